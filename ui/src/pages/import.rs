//! The Import CSV dialog (`#import-dialog`): pick the object and a file, read it in the window,
//! check it with a dry run (counts, rejected rows, the column mapping), then import for real.
//! Opened from the People, Companies and Deals lists, the welcome screen and the palette.

use crate::components::controls::{Button, Checkbox, Select, Tone};
use crate::components::overlay::Modal;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::state::import::{
    ChosenFile, ENCODINGS, ImportAction, ImportStep, ImportView, MAX_FILE_BYTES, OBJECTS, REJECTED_SHOWN, encoding_of,
    imported_text, mapping_text, object_label, rejected_lines, rows_text,
};
use crate::state::support::size_text;
use dealdesk_model::ipc::ImportCsv;
use dealdesk_model::{CsvObject, ImportReport};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Reads a picked file's bytes (`Blob.arrayBuffer()`).
async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| format!("Cannot read {}: the file may have moved or be unreadable.", file.name()))?;
    let buffer = buffer.dyn_into::<js_sys::ArrayBuffer>().map_err(|_| format!("Cannot read {}", file.name()))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Runs the dry run for the file and object on screen.
fn check(view: &ImportView, dispatch: UseReducerDispatcher<ImportView>) {
    let Some(request) = view.request(true) else { return };
    let generation = view.generation;
    dispatch.dispatch(ImportAction::Checking);
    wasm_bindgen_futures::spawn_local(async move {
        let result = invoke::<ImportCsv>(&request).await.map_err(|e| e.message);
        dispatch.dispatch(ImportAction::Checked { generation, result });
    });
}

#[derive(Properties, PartialEq)]
pub struct ImportDialogProps {
    /// The object chosen when the dialog opens.
    pub object: CsvObject,
    pub on_close: Callback<()>,
    /// An import went through (after the toast; the dialog closes too).
    #[prop_or_default]
    pub on_imported: Callback<CsvObject>,
}

#[function_component(ImportDialog)]
pub fn import_dialog(props: &ImportDialogProps) -> Html {
    let object = props.object;
    let view = use_reducer(move || ImportView::new(object));
    let notifier = use_notifier();
    // A new file or another object: check it again.
    {
        let view = view.clone();
        use_effect_with(view.generation, move |_| {
            if view.step == ImportStep::Idle && view.report.is_none() && view.error.is_none() {
                check(&view, view.dispatcher());
            }
        });
    }
    let on_object = {
        let dispatch = view.dispatcher();
        Callback::from(move |value: String| {
            if let Some(object) = CsvObject::parse(&value) {
                dispatch.dispatch(ImportAction::Object(object));
            }
        })
    };
    let on_encoding = {
        let dispatch = view.dispatcher();
        Callback::from(move |value: String| dispatch.dispatch(ImportAction::Encoding(encoding_of(&value))))
    };
    let on_file = {
        let dispatch = view.dispatcher();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
            let size = file.size() as u64;
            if size > MAX_FILE_BYTES {
                dispatch.dispatch(ImportAction::ReadFailed(format!(
                    "{} is {}: files up to {} can be imported here. Split it, or use dealdesk-cli import.",
                    file.name(),
                    size_text(size),
                    size_text(MAX_FILE_BYTES)
                )));
                return;
            }
            dispatch.dispatch(ImportAction::Reading);
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match read_file(&file).await {
                    Ok(bytes) => {
                        dispatch.dispatch(ImportAction::File(ChosenFile { name: file.name(), bytes: Rc::new(bytes) }))
                    }
                    Err(message) => dispatch.dispatch(ImportAction::ReadFailed(message)),
                }
            });
        })
    };
    let check_again = {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| check(&view, view.dispatcher()))
    };
    let keep_good = {
        let dispatch = view.dispatcher();
        Callback::from(move |(keep, _): (bool, bool)| dispatch.dispatch(ImportAction::KeepGoodRows(keep)))
    };
    let run = {
        let view = view.clone();
        let (notifier, on_close, on_imported) = (notifier.clone(), props.on_close.clone(), props.on_imported.clone());
        Callback::from(move |_: MouseEvent| {
            if !view.can_import() {
                return;
            }
            let Some(request) = view.request(false) else { return };
            let (generation, object) = (view.generation, view.object);
            let dispatch = view.dispatcher();
            dispatch.dispatch(ImportAction::Importing);
            let (notifier, on_close, on_imported) = (notifier.clone(), on_close.clone(), on_imported.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<ImportCsv>(&request).await.map_err(|e| e.message);
                if let Some(report) = result.as_ref().ok().filter(|r| r.committed) {
                    if let Some(n) = &notifier {
                        n.success(imported_text(report));
                    }
                    on_close.emit(());
                    on_imported.emit(object);
                    return;
                }
                dispatch.dispatch(ImportAction::Imported { generation, result });
            });
        })
    };
    let cancel = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };

    // An import that has started commits whatever the dialog does: it stays open until it ends.
    let close_unless_importing = {
        let on_close = props.on_close.clone();
        let importing = view.step == ImportStep::Importing;
        Callback::from(move |()| {
            if !importing {
                on_close.emit(());
            }
        })
    };
    let busy = view.busy();
    let encodings: Vec<(AttrValue, AttrValue)> =
        ENCODINGS.iter().map(|(value, label)| (AttrValue::from(*value), AttrValue::from(*label))).collect();
    let objects: Vec<(AttrValue, AttrValue)> =
        OBJECTS.iter().map(|o| (AttrValue::from(o.as_str()), AttrValue::from(object_label(*o)))).collect();
    let footer = html! {
        <>
            if let Some(reason) = view.blocked_reason() {
                <span class="muted import-blocked" id="import-blocked">{ reason }</span>
            }
            <Button tone={Tone::Ghost} id="import-cancel" disabled={view.step == ImportStep::Importing} onclick={cancel}>{ "Cancel" }</Button>
            <Button tone={Tone::Primary} id="import-run" disabled={!view.can_import()} onclick={run}>
                if view.step == ImportStep::Importing { <span class="spinner" aria-hidden="true" />{ " " } }
                { view.run_label() }
            </Button>
        </>
    };
    html! {
        <Modal title="Import CSV" id="import-dialog" wide=true on_close={close_unless_importing} {footer}>
            <p class="dialog-lead muted">
                { "Pick what the file holds and the file. Dealdesk checks it first and shows what would change; nothing is written until you press Import." }
            </p>
            <div class="form-grid import-choose">
                <Select id="import-object" label={AttrValue::from("Import into")} value={view.object.as_str()}
                    options={objects} disabled={busy} on_change={on_object} />
                <label class="field" for="import-file">
                    <span class="field-label">{ "CSV file" }</span>
                    <input id="import-file" type="file" accept=".csv,text/csv" disabled={busy} onchange={on_file} />
                </label>
                <Select id="import-encoding" label={AttrValue::from("Encoding")}
                    value={AttrValue::from(view.encoding.clone().unwrap_or_default())}
                    options={encodings} disabled={busy} on_change={on_encoding} />
            </div>
            if let Some(file) = &view.file {
                <div class="muted import-file" id="import-file-name" data-name={file.name.clone()}>
                    { format!("{} · {}", file.name, size_text(file.bytes.len() as u64)) }
                </div>
            }
            { match view.step {
                ImportStep::Reading => progress("Reading the file…"),
                ImportStep::Checking => progress("Checking the file…"),
                ImportStep::Importing => progress("Importing…"),
                ImportStep::Idle => html! {},
            } }
            if let Some(message) = &view.error {
                <div class="banner error import-error" id="import-error" role="alert">
                    <span>{ message.clone() }</span>
                    if view.file.is_some() && !busy {
                        { " " }<Button small=true id="import-check" onclick={check_again}>{ "Check again" }</Button>
                    }
                </div>
            }
            if let Some(report) = &view.report {
                { report_view(report, view.keep_good_rows, keep_good, busy) }
            }
        </Modal>
    }
}

fn progress(text: &'static str) -> Html {
    html! {
        <div class="import-progress" id="import-progress" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true" />{ text }
        </div>
    }
}

fn total(key: &'static str, label: &'static str, value: u64) -> Html {
    html! {
        <div class="whop-total import-total" data-total={key}>
            <div class="kpi-label">{ label }</div>
            <div class="kpi-value">{ value }</div>
        </div>
    }
}

fn report_view(report: &ImportReport, keep_good: bool, on_keep: Callback<(bool, bool)>, busy: bool) -> Html {
    let rejected = rejected_lines(report);
    let more = report.rejected.len().saturating_sub(REJECTED_SHOWN);
    html! {
        <section class="import-report" id="import-report" data-committed={report.committed.to_string()} aria-label="What the import does">
            <div class="import-totals">
                { total("rows", "Rows", report.rows) }
                { total("created", "New", report.created) }
                { total("updated", "Updated", report.updated) }
                { total("unchanged", "Unchanged", report.unchanged) }
                { total("rejected", "Rejected", rejected) }
            </div>
            if !report.rejected.is_empty() {
                <h4 class="whop-subhead">{ "Rejected rows" }<span class="count">{ rows_text(rejected) }</span></h4>
                <table class="whop-table import-rejected" id="import-rejected">
                    <thead><tr><th class="num">{ "Line" }</th><th>{ "Field" }</th><th>{ "Reason" }</th></tr></thead>
                    <tbody>
                        { for report.rejected.iter().take(REJECTED_SHOWN).enumerate().map(|(i, r)| html! {
                            <tr class="import-rejected-row" key={format!("{i}-{}", r.line)} data-line={r.line.to_string()}>
                                <td class="num">{ r.line }</td>
                                <td>{ r.field.as_deref().map(|f| mapping_text(Some(f))).unwrap_or_else(|| "—".into()) }</td>
                                <td class="whop-error">{ r.reason.clone() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                if more > 0 {
                    <div class="muted import-more" id="import-rejected-more">{ format!("… and {more} more") }</div>
                }
                <div class="import-keep">
                    <Checkbox id="import-keep-good" checked={keep_good} disabled={busy}
                        label={AttrValue::from("Import the good rows and skip the rejected ones")} on_change={on_keep} />
                </div>
            }
            <h4 class="whop-subhead">{ "Columns" }<span class="count">{ "how each column of the file is read" }</span></h4>
            <table class="whop-table import-columns" id="import-columns">
                <thead><tr><th>{ "Column in the file" }</th><th>{ "Field" }</th></tr></thead>
                <tbody>
                    { for report.columns.iter().enumerate().map(|(i, c)| html! {
                        <tr class={classes!("import-column", c.field.is_none().then_some("ignored"))} key={format!("{i}-{}", c.header)}
                            data-header={c.header.clone()} data-field={c.field.clone().unwrap_or_default()}>
                            <td><code>{ c.header.clone() }</code></td>
                            <td class={classes!(c.field.is_none().then_some("muted"))}>{ mapping_text(c.field.as_deref()) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}
