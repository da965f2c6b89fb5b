//! `#contracts-card` on the deal page: the deal's contracts with their status, signers and
//! timeline (Refresh now, Void with a reason, the PDF viewer, Export), and the send dialog
//! (`#contract-send-dialog`: template, provider, signers, a live preview of the pages).

use crate::app::Route;
use crate::components::controls::{Button, Input, Select, Tone};
use crate::components::display::{Card, Skeleton};
use crate::components::hooks::use_contracts_changes;
use crate::components::overlay::Modal;
use crate::components::toasts::{Notifier, use_notifier};
use crate::ipc::invoke;
use crate::pages::ai::tone_class;
use crate::state::contracts::{
    ContractsAction, ContractsView, MAX_SIGNERS, QUEUED_TOAST, SENDER_HINT_LEAD, SendAction, SendDialog, SignerError,
    SignerRow, event_label, event_tone, export_toast, field_list, needs_sender, pages_text, pdf_label,
    provider_connected, provider_option_label, render_ms_text, signed_text, signer_status_key, signer_status_label,
    signer_tone, status_tone,
};
use crate::state::whop::short_time;
use dealdesk_model::contract::{Contract, ContractPreview, ContractPreviewRequest, EsignStatus, SignatureProviderKind};
use dealdesk_model::ipc::{
    ContractExportPdf, ContractOpenPdf, ContractPreviewRender, ContractRefresh, ContractSend, ContractTemplatesList,
    ContractVoid, ContractsForDeal, EsignGetStatus, GetPerson,
};
use std::cell::RefCell;
use std::rc::Rc;
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

fn toast_error(notifier: &Option<Notifier>, message: impl Into<String>) {
    if let Some(n) = notifier {
        n.error(message);
    }
}

fn toast_success(notifier: &Option<Notifier>, message: impl Into<String>) {
    if let Some(n) = notifier {
        n.success(message);
    }
}

/// Reads the e-sign status and the deal's contracts; an answer overtaken by a newer load is
/// dropped.
fn load(deal: Uuid, dispatch: UseReducerDispatcher<ContractsView>, latest: Rc<RefCell<u64>>) {
    *latest.borrow_mut() += 1;
    let mine = *latest.borrow();
    wasm_bindgen_futures::spawn_local(async move {
        let status = invoke::<EsignGetStatus>(&()).await.map(Box::new).map_err(|e| e.message);
        let contracts = invoke::<ContractsForDeal>(&deal).await.map_err(|e| e.message);
        if *latest.borrow() == mine {
            dispatch.dispatch(ContractsAction::Status(status));
            dispatch.dispatch(ContractsAction::Contracts(contracts));
        }
    });
}

/// The link to Settings → Contracts.
fn settings_link(text: &'static str) -> Html {
    html! {
        <Link<Route> to={Route::SettingsTab { tab: "contracts".into() }} classes="contracts-settings-link">{ text }</Link<Route>>
    }
}

#[derive(Properties, PartialEq)]
pub struct ContractsCardProps {
    pub deal: Uuid,
    /// The deal's point of contact: the first signer.
    #[prop_or_default]
    pub contact: Option<Uuid>,
    #[prop_or_default]
    pub contact_name: Option<String>,
}

/// The contracts of a deal. Render it with `key` set to the deal.
#[function_component(ContractsCard)]
pub fn contracts_card(props: &ContractsCardProps) -> Html {
    let view = use_reducer(ContractsView::default);
    let notifier = use_notifier();
    let changes = use_contracts_changes(Some(props.deal));
    let latest = use_mut_ref(|| 0_u64);
    {
        let (dispatch, latest) = (view.dispatcher(), latest.clone());
        use_effect_with((props.deal, changes), move |(deal, _)| load(*deal, dispatch, latest));
    }
    let deal = props.deal;

    let refresh = {
        let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
        Callback::from(move |id: Uuid| {
            dispatch.dispatch(ContractsAction::Busy(id));
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ContractRefresh>(&id).await {
                    Ok(contract) => {
                        toast_success(&notifier, format!("{}: {}", contract.title, contract.status.label()));
                        dispatch.dispatch(ContractsAction::Updated(Box::new(contract)));
                    }
                    Err(e) => {
                        toast_error(&notifier, format!("Cannot check the status: {}", e.message));
                        dispatch.dispatch(ContractsAction::Idle(id));
                    }
                }
            });
        })
    };
    let export = {
        let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
        Callback::from(move |id: Uuid| {
            dispatch.dispatch(ContractsAction::Busy(id));
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ContractExportPdf>(&id).await {
                    Ok(file) => toast_success(&notifier, export_toast(&file.path)),
                    Err(e) => toast_error(&notifier, format!("Cannot export the PDF: {}", e.message)),
                }
                dispatch.dispatch(ContractsAction::Idle(id));
            });
        })
    };
    let open_pdf = {
        let dispatch = view.dispatcher();
        Callback::from(move |(id, title): (Uuid, String)| {
            dispatch.dispatch(ContractsAction::OpenPdf(id, title));
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let pdf = invoke::<ContractOpenPdf>(&id).await.map_err(|e| e.message);
                dispatch.dispatch(ContractsAction::PdfLoaded(id, pdf));
            });
        })
    };
    let ask_void = {
        let dispatch = view.dispatcher();
        Callback::from(move |(id, title): (Uuid, String)| dispatch.dispatch(ContractsAction::OpenVoid(id, title)))
    };
    let void = {
        let (view, notifier) = (view.clone(), notifier.clone());
        Callback::from(move |_: ()| {
            let Some(ask) = view.void.clone() else { return };
            if ask.busy {
                return;
            }
            let reason = match ask.checked_reason() {
                Ok(reason) => reason,
                Err(why) => {
                    view.dispatch(ContractsAction::VoidFailed(why));
                    return;
                }
            };
            view.dispatch(ContractsAction::VoidBusy);
            let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ContractVoid>(&(ask.contract, reason)).await {
                    Ok(contract) => {
                        toast_success(
                            &notifier,
                            if contract.status.is_open() {
                                "Voiding: it goes out now, or when you are back online".to_string()
                            } else {
                                format!("Voided “{}”", contract.title)
                            },
                        );
                        dispatch.dispatch(ContractsAction::Updated(Box::new(contract)));
                        dispatch.dispatch(ContractsAction::CloseVoid);
                    }
                    Err(e) => dispatch.dispatch(ContractsAction::VoidFailed(e.message)),
                }
            });
        })
    };
    let open_send = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(ContractsAction::OpenSend))
    };
    let close_send = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: ()| dispatch.dispatch(ContractsAction::CloseSend))
    };
    let sent = {
        let (dispatch, notifier, latest) = (view.dispatcher(), notifier.clone(), latest.clone());
        Callback::from(move |contract: Contract| {
            toast_success(&notifier, QUEUED_TOAST);
            dispatch.dispatch(ContractsAction::CloseSend);
            dispatch.dispatch(ContractsAction::Updated(Box::new(contract)));
            load(deal, dispatch.clone(), latest.clone());
        })
    };

    let status = match &view.status {
        Some(Ok(status)) => Some(status.clone()),
        _ => None,
    };
    let actions = match &status {
        Some(s) if s.enabled => html! {
            <Button small=true tone={Tone::Primary} id="contract-send-open" onclick={open_send}>{ "Send contract" }</Button>
        },
        _ => html! {},
    };
    let body = match (&view.status, &view.contracts) {
        (None, _) | (_, None) => html! { <Skeleton rows={3} /> },
        (Some(Err(message)), _) | (_, Some(Err(message))) => html! {
            <div class="banner error" id="contracts-error" role="alert">{ format!("Cannot read the contracts: {message}") }</div>
        },
        (Some(Ok(status)), Some(Ok(list))) => html! {
            <>
                if !status.enabled {
                    <div class="contracts-off" id="contracts-off">
                        if status.disabled_by_env {
                            { "Contract signing is switched off by DEALDESK_ESIGN=off. See " }
                        } else {
                            { "Contract signing is off. Turn it on in " }
                        }
                        { settings_link("Settings → Contracts") }
                        { "." }
                    </div>
                }
                if list.is_empty() {
                    <div class="muted contracts-empty" id="contracts-empty">
                        { if status.enabled { "No contracts yet: Send contract renders a template on this deal and sends it for e-signature." } else { "No contracts yet." } }
                    </div>
                } else {
                    <div class="contract-list" id="contract-list">
                        { for list.iter().map(|c| contract_view(c, view.busy.contains(&c.id), status.enabled, &refresh, &ask_void, &open_pdf, &export)) }
                    </div>
                }
            </>
        },
    };

    html! {
        <Card title={AttrValue::from("Contracts")} id="contracts-card" class="contracts-card" {actions}>
            { body }
            if view.sending {
                if let Some(status) = status.clone() {
                    <SendContractDialog {deal} {status} contact={props.contact} contact_name={props.contact_name.clone()}
                        on_close={close_send} on_sent={sent} />
                }
            }
            { void_dialog(&view, &void) }
            { pdf_viewer(&view, &export) }
        </Card>
    }
}

/// One contract: title, status, provider, signers, the timeline, the error, the buttons.
fn contract_view(
    c: &Contract,
    busy: bool,
    enabled: bool,
    refresh: &Callback<Uuid>,
    ask_void: &Callback<(Uuid, String)>,
    open_pdf: &Callback<(Uuid, String)>,
    export: &Callback<Uuid>,
) -> Html {
    let id = c.id;
    let title = c.title.clone();
    let on_refresh = {
        let refresh = refresh.clone();
        Callback::from(move |_: MouseEvent| refresh.emit(id))
    };
    let on_void = {
        let (ask_void, title) = (ask_void.clone(), title.clone());
        Callback::from(move |_: MouseEvent| ask_void.emit((id, title.clone())))
    };
    let on_pdf = {
        let (open_pdf, title) = (open_pdf.clone(), title.clone());
        Callback::from(move |_: MouseEvent| open_pdf.emit((id, title.clone())))
    };
    let on_export = {
        let export = export.clone();
        Callback::from(move |_: MouseEvent| export.emit(id))
    };
    let status = c.status;
    html! {
        <div class={classes!("contract", format!("contract-{}", status.as_str()))} key={id.to_string()}
            data-contract={id.to_string()} data-status={status.as_str()}>
            <div class="contract-head">
                <div class="contract-title-line">
                    <span class="contract-title">{ c.title.clone() }</span>
                    <span class={classes!("badge", tone_class(status_tone(status)), "contract-status")} data-status={status.as_str()}>
                        { status.label() }
                    </span>
                </div>
                <div class="contract-meta muted">
                    <span class="contract-provider" data-provider={c.provider.as_str()}>{ c.provider.label() }</span>
                    <span class="contract-sep" aria-hidden="true">{ "·" }</span>
                    <span class="contract-template">{ c.template_name.clone() }</span>
                    <span class="contract-sep" aria-hidden="true">{ "·" }</span>
                    <span class="contract-created">{ format!("Created {}", short_time(&c.created_at)) }</span>
                    if let Some(text) = signed_text(c) {
                        <span class="contract-sep" aria-hidden="true">{ "·" }</span>
                        <span class="contract-signed-count">{ text }</span>
                    }
                </div>
            </div>
            if let Some(error) = &c.error {
                <div class="banner error contract-error" role="alert">{ error.clone() }</div>
            }
            <div class="contract-columns">
                <div class="contract-column">
                    <div class="contract-column-title">{ "Signers" }</div>
                    <ul class="contract-signers">
                        { for c.signers.iter().map(|s| html! {
                            <li class="contract-signer" data-status={signer_status_key(s.status)} data-email={s.email.clone()}>
                                <span class="contract-signer-avatar" aria-hidden="true">{ initial(&s.name) }</span>
                                <div class="contract-signer-who">
                                    <span class="contract-signer-label">{ s.name.clone() }</span>
                                    <span class="muted contract-signer-address">{ s.email.clone() }</span>
                                    if let Some(at) = &s.signed_at {
                                        <span class="muted contract-signer-when">{ format!("Signed {}", short_time(at)) }</span>
                                    }
                                    if let Some(reason) = &s.declined_reason {
                                        <span class="contract-signer-declined">{ format!("Declined: {reason}") }</span>
                                    }
                                </div>
                                <span class={classes!("badge", tone_class(signer_tone(s.status)), "contract-signer-status")}>
                                    { signer_status_label(s.status) }
                                </span>
                            </li>
                        }) }
                    </ul>
                </div>
                <div class="contract-column">
                    <div class="contract-column-title">{ "Timeline" }</div>
                    <ol class="contract-events">
                        { for c.events.iter().map(|e| html! {
                            <li class="contract-event" data-kind={e.kind.clone()}>
                                <span class={classes!("contract-event-dot", tone_class(event_tone(&e.kind)))} aria-hidden="true" />
                                <div class="contract-event-text">
                                    <span class="contract-event-kind">{ event_label(&e.kind) }</span>
                                    if !e.detail.is_empty() {
                                        <span class="contract-event-detail">{ e.detail.clone() }</span>
                                    }
                                </div>
                                <time class="contract-event-time" datetime={e.at.clone()}>{ short_time(&e.at) }</time>
                            </li>
                        }) }
                    </ol>
                    if c.events.is_empty() { <div class="muted contract-no-events">{ "Nothing yet." }</div> }
                </div>
            </div>
            <div class="contract-buttons">
                <Button small=true class="contract-refresh" disabled={busy || !enabled || c.remote_id.is_none()} onclick={on_refresh}
                    aria_label={AttrValue::from(format!("Refresh the status of {title}"))}
                    title={AttrValue::from(if c.remote_id.is_some() { "Ask the provider for the status now" } else { "Not sent yet: there is no status to ask for" })}>
                    if busy { <span class="spinner" aria-hidden="true" />{ " " } }
                    { "Refresh now" }
                </Button>
                <Button small=true class="contract-open-pdf" onclick={on_pdf}
                    aria_label={AttrValue::from(format!("Open the PDF of {title}"))}>{ pdf_label(c) }</Button>
                <Button small=true class="contract-export" disabled={busy} onclick={on_export}
                    aria_label={AttrValue::from(format!("Export the PDF of {title}"))}
                    title={AttrValue::from("Save the PDF to your downloads folder")}>{ "Export PDF" }</Button>
                <span class="spacer" />
                if let Some(at) = &c.last_checked_at {
                    <span class="muted contract-checked">{ format!("Checked {}", short_time(at)) }</span>
                }
                if status.is_open() {
                    <Button small=true tone={Tone::Danger} class="contract-void" disabled={!enabled} onclick={on_void}
                        aria_label={AttrValue::from(format!("Void {title}"))}>{ "Void…" }</Button>
                }
            </div>
        </div>
    }
}

fn initial(name: &str) -> String {
    name.trim().chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_else(|| "?".to_string())
}

/// `#contract-void-dialog`: the reason (Enter voids), Back and Void.
fn void_dialog(view: &UseReducerHandle<ContractsView>, void: &Callback<()>) -> Html {
    let Some(ask) = view.void.clone() else { return html! {} };
    let close = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: ()| dispatch.dispatch(ContractsAction::CloseVoid))
    };
    let back = {
        let close = close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    };
    let confirm = {
        let void = void.clone();
        Callback::from(move |_: MouseEvent| void.emit(()))
    };
    let on_enter = {
        let void = void.clone();
        Callback::from(move |_: String| void.emit(()))
    };
    let on_reason = {
        let dispatch = view.dispatcher();
        Callback::from(move |v: String| dispatch.dispatch(ContractsAction::VoidReason(v)))
    };
    let footer = html! {
        <>
            <Button tone={Tone::Ghost} onclick={back}>{ "Back" }</Button>
            <button type="button" id="contract-void-confirm" class="btn danger" disabled={ask.busy}
                aria-busy={ask.busy.to_string()} onclick={confirm}>
                { if ask.busy { "Voiding…" } else { "Void contract" } }
            </button>
        </>
    };
    html! {
        <Modal title="Void this contract?" id="contract-void-dialog" on_close={close} {footer}>
            <p class="dialog-lead">{ format!("“{}” is withdrawn: its signers can no longer sign it.", ask.title) }</p>
            <Input id="contract-void-reason" label={AttrValue::from("Reason (the signers see it)")} value={ask.reason.clone()}
                placeholder="For example: the amount changed, a new version follows" autofocus=true
                on_change={on_reason} on_enter={Some(on_enter)} />
            if let Some(error) = &ask.error {
                <div class="banner error dialog-error" id="contract-void-dialog-error" role="alert">{ error.clone() }</div>
            }
        </Modal>
    }
}

/// `#contract-pdf-viewer`: the pages as SVG, Export and Close.
fn pdf_viewer(view: &UseReducerHandle<ContractsView>, export: &Callback<Uuid>) -> Html {
    let Some(pdf) = view.pdf.clone() else { return html! {} };
    let close = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: ()| dispatch.dispatch(ContractsAction::ClosePdf))
    };
    let close_button = {
        let close = close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    };
    let on_export = {
        let (export, id) = (export.clone(), pdf.contract);
        Callback::from(move |_: MouseEvent| export.emit(id))
    };
    let busy = view.busy.contains(&pdf.contract);
    let footer = html! {
        <>
            if let Some(Ok(file)) = &pdf.pdf {
                <span class="muted contract-pdf-file" id="contract-pdf-file">{ file.file_name.clone() }</span>
            }
            <Button id="contract-pdf-export" disabled={busy || !matches!(pdf.pdf, Some(Ok(_)))} onclick={on_export}>{ "Export PDF" }</Button>
            <Button tone={Tone::Primary} id="contract-pdf-close" onclick={close_button}>{ "Close" }</Button>
        </>
    };
    let body = match &pdf.pdf {
        None => html! { <div class="contract-pdf-loading"><Skeleton rows={6} /></div> },
        Some(Err(message)) => html! {
            <div class="banner error" id="contract-pdf-error" role="alert">{ format!("Cannot open the PDF: {message}") }</div>
        },
        Some(Ok(file)) if file.pages.is_empty() => html! {
            <div class="muted" id="contract-pdf-empty">{ "The PDF has no pages to show." }</div>
        },
        Some(Ok(file)) => html! {
            <div class="contract-pdf-pages" aria-label={format!("{} ({})", pdf.title, pages_text(file.pages.len()))}>
                { for file.pages.iter().enumerate().map(|(i, page)| html! {
                    <div class="contract-pdf-page" key={i.to_string()} data-page={(i + 1).to_string()}>
                        { Html::from_html_unchecked(AttrValue::from(page.clone())) }
                    </div>
                }) }
            </div>
        },
    };
    html! {
        <Modal title={AttrValue::from(pdf.title.clone())} id="contract-pdf-viewer" wide=true on_close={close} {footer}>
            { body }
        </Modal>
    }
}

#[derive(Properties, PartialEq)]
pub struct SendDialogProps {
    pub deal: Uuid,
    pub status: EsignStatus,
    #[prop_or_default]
    pub contact: Option<Uuid>,
    #[prop_or_default]
    pub contact_name: Option<String>,
    pub on_close: Callback<()>,
    pub on_sent: Callback<Contract>,
}

/// `#contract-send-dialog`: template, provider and signers on the left, the rendered pages on
/// the right; Send queues the contract.
#[function_component(SendContractDialog)]
pub fn send_contract_dialog(props: &SendDialogProps) -> Html {
    let dialog = {
        let (provider, name, has_contact) =
            (props.status.default_provider, props.contact_name.clone(), props.contact.is_some());
        use_reducer(move || SendDialog::new(provider, name, has_contact))
    };
    {
        let dispatch = dialog.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let list = invoke::<ContractTemplatesList>(&()).await.map_err(|e| e.message);
                dispatch.dispatch(SendAction::Templates(list));
            });
        });
    }
    {
        let (dispatch, name) = (dialog.dispatcher(), props.contact_name.clone());
        use_effect_with(props.contact, move |contact| {
            if let Some(id) = *contact {
                wasm_bindgen_futures::spawn_local(async move {
                    match invoke::<GetPerson>(&id).await {
                        Ok(person) => {
                            let full = person.full_name();
                            let name = if full.trim().is_empty() { name.unwrap_or_default() } else { full };
                            let email = person.email.unwrap_or_default();
                            dispatch.dispatch(SendAction::Prefill(SignerRow::new(name, email)));
                        }
                        Err(_) => dispatch.dispatch(SendAction::PrefillFailed),
                    }
                });
            }
        });
    }
    {
        let (dispatch, deal) = (dialog.dispatcher(), props.deal);
        use_effect_with(dialog.template, move |template| {
            if let Some(template) = *template {
                wasm_bindgen_futures::spawn_local(async move {
                    let request = ContractPreviewRequest { deal_id: deal, template_id: Some(template), body: None };
                    let preview = invoke::<ContractPreviewRender>(&request).await.map_err(|e| e.message);
                    dispatch.dispatch(SendAction::Preview(template, preview));
                });
            }
        });
    }

    let send = {
        let (dialog, deal, on_sent) = (dialog.clone(), props.deal, props.on_sent.clone());
        Callback::from(move |_: MouseEvent| {
            if dialog.sending {
                return;
            }
            let request = match dialog.request(deal) {
                Ok(request) => request,
                Err(why) => {
                    dialog.dispatch(SendAction::SendFailed(why));
                    return;
                }
            };
            dialog.dispatch(SendAction::Sending);
            let (dispatch, on_sent) = (dialog.dispatcher(), on_sent.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<ContractSend>(&request).await {
                    Ok(contract) => on_sent.emit(contract),
                    Err(e) => dispatch.dispatch(SendAction::SendFailed(e.message)),
                }
            });
        })
    };
    let cancel = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    // A refusal shows at the top of the dialog: bring it into view.
    use_effect_with(dialog.error.clone(), |error| {
        if error.is_some()
            && let Some(banner) =
                web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("contract-send-error"))
        {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            banner.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });

    let status = &props.status;
    let blocker = dialog.blocker();
    let footer = html! {
        <>
            if let Some(why) = blocker.clone().filter(|_| !dialog.sending) {
                <span class="muted contract-send-why" id="contract-send-why">{ why }</span>
            }
            <Button tone={Tone::Ghost} id="contract-send-cancel" onclick={cancel}>{ "Cancel" }</Button>
            <Button tone={Tone::Primary} id="contract-send" disabled={!dialog.can_send()} onclick={send}
                title={blocker.map(AttrValue::from)}>
                if dialog.sending { <span class="spinner" aria-hidden="true" />{ " Sending…" } } else { { "Send for signature" } }
            </Button>
        </>
    };

    let templates = match &dialog.templates {
        None => html! { <Skeleton rows={1} /> },
        Some(Err(message)) => html! {
            <div class="banner error" id="contract-templates-error" role="alert">{ format!("Cannot read the templates: {message}") }</div>
        },
        Some(Ok(list)) if list.is_empty() => html! {
            <div class="contracts-off" id="contract-no-templates">
                { "No contract templates yet. " }
                <Link<Route> to={Route::ContractTemplates} classes="contract-templates-link">{ "Write one" }</Link<Route>>
            </div>
        },
        Some(Ok(list)) => {
            let options: Vec<(AttrValue, AttrValue)> = list
                .iter()
                .map(|t| (AttrValue::from(t.id.to_string()), AttrValue::from(format!("{} (v{})", t.name, t.version))))
                .collect();
            let dispatch = dialog.dispatcher();
            html! {
                <div class="contract-template-choice">
                    <Select id="contract-template" label={AttrValue::from("Template")}
                        value={dialog.template.map(|t| t.to_string()).unwrap_or_default()} {options}
                        on_change={Callback::from(move |v: String| {
                            if let Ok(id) = Uuid::parse_str(&v) { dispatch.dispatch(SendAction::Template(id)) }
                        })} />
                    <Link<Route> to={Route::ContractTemplates} classes="link-btn contract-templates-link">{ "Edit templates" }</Link<Route>>
                </div>
            }
        }
    };
    let providers: Vec<(AttrValue, AttrValue)> = SignatureProviderKind::ALL
        .into_iter()
        .map(|p| (AttrValue::from(p.as_str()), AttrValue::from(provider_option_label(status, p))))
        .collect();
    let set_provider = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |v: String| {
            if let Some(p) = SignatureProviderKind::parse(&v) {
                dispatch.dispatch(SendAction::Provider(p));
            }
        })
    };
    let connected = provider_connected(status, dialog.provider);
    let errors = dialog.shown_errors();
    let add_signer = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(SendAction::AddSigner))
    };

    html! {
        <Modal title="Send contract" id="contract-send-dialog" wide=true on_close={props.on_close.clone()} {footer}>
            if let Some(message) = &dialog.error {
                <div class="banner error" id="contract-send-error" role="alert">{ message.clone() }</div>
            }
            <div class="contract-send-layout">
                <div class="contract-send-form">
                    { templates }
                    <Select id="contract-provider" label={AttrValue::from("Send with")} value={dialog.provider.as_str()}
                        options={providers} on_change={set_provider} />
                    if !connected {
                        <div class="contract-provider-hint" id="contract-provider-hint">
                            { format!("{} is not connected: ", dialog.provider.label()) }
                            { settings_link("connect it in Settings → Contracts") }
                            { "." }
                        </div>
                    }
                    <fieldset class="contract-signers-edit" id="contract-signers">
                        <legend class="field-label">{ "Signers" }</legend>
                        if dialog.signers_ready {
                            { for dialog.signers.iter().enumerate().map(|(i, row)| signer_row(&dialog, i, row, errors.get(i).cloned().flatten())) }
                        } else {
                            <Skeleton rows={1} />
                        }
                        if dialog.signers_ready && dialog.signers.is_empty() {
                            <div class="muted contract-no-signers">{ "No signers: add one." }</div>
                        }
                        <button type="button" class="link-btn" id="contract-add-signer" disabled={!dialog.signers_ready || dialog.signers.len() >= MAX_SIGNERS}
                            onclick={add_signer}>{ "+ Add signer" }</button>
                    </fieldset>
                    <p class="muted dialog-note contract-send-note">
                        { format!("{} emails each signer a link to sign, in this order. ", dialog.provider.label()) }
                        { "The contract is queued first: it goes out now, or when you are back online." }
                    </p>
                </div>
                { preview_panel(dialog.template.is_some(), dialog.preview.as_ref()) }
            </div>
        </Modal>
    }
}

/// A signer row: name, email, remove, and what is wrong with it.
fn signer_row(dialog: &UseReducerHandle<SendDialog>, i: usize, row: &SignerRow, error: Option<SignerError>) -> Html {
    let on_name = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |e: InputEvent| {
            dispatch.dispatch(SendAction::SignerName(i, e.target_unchecked_into::<HtmlInputElement>().value()))
        })
    };
    let on_email = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |e: InputEvent| {
            dispatch.dispatch(SendAction::SignerEmail(i, e.target_unchecked_into::<HtmlInputElement>().value()))
        })
    };
    let remove = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(SendAction::RemoveSigner(i)))
    };
    let left = {
        let dispatch = dialog.dispatcher();
        Callback::from(move |_: FocusEvent| dispatch.dispatch(SendAction::SignerLeft(i)))
    };
    let (bad_name, bad_email) = match &error {
        Some(e) => (!e.email, e.email),
        None => (false, false),
    };
    html! {
        <div class={classes!("contract-signer-row", error.is_some().then_some("invalid"))} data-index={i.to_string()}>
            <span class="contract-signer-number" aria-hidden="true">{ i + 1 }</span>
            <label class="field">
                <input class="contract-signer-name" type="text" value={row.name.clone()} placeholder="Full name"
                    aria-label={format!("Signer {} name", i + 1)} aria-invalid={bad_name.to_string()}
                    oninput={on_name} onblur={left.clone()} />
            </label>
            <label class="field">
                <input class="contract-signer-email" type="email" value={row.email.clone()} placeholder="name@company.com"
                    aria-label={format!("Signer {} email", i + 1)} aria-invalid={bad_email.to_string()}
                    oninput={on_email} onblur={left} />
            </label>
            <button type="button" class="icon-btn contract-signer-remove" aria-label={format!("Remove signer {}", i + 1)}
                title="Remove" onclick={remove}>{ "✕" }</button>
            if let Some(error) = error {
                <span class="field-error contract-signer-error" role="alert">{ error.message }</span>
            }
        </div>
    }
}

/// `#contract-preview`: the pages of the chosen template on this deal, and `#contract-missing`.
fn preview_panel(chosen: bool, preview: Option<&Result<ContractPreview, String>>) -> Html {
    let body = match preview {
        _ if !chosen => {
            html! { <div class="muted contract-preview-empty">{ "Choose a template to see it on this deal." }</div> }
        }
        None => html! {
            <div class="contract-preview-loading" role="status"><span class="spinner" aria-hidden="true" />{ " Rendering…" }</div>
        },
        Some(Err(message)) => html! {
            <div class="banner error" id="contract-preview-error" role="alert">{ format!("Cannot render the preview: {message}") }</div>
        },
        Some(Ok(p)) => html! {
            <>
                { missing_panel("contract-missing", p) }
                <div class="contract-pages">
                    { for p.pages.iter().enumerate().map(|(i, page)| html! {
                        <div class="contract-page" key={i.to_string()} data-page={(i + 1).to_string()}>
                            { Html::from_html_unchecked(AttrValue::from(page.clone())) }
                        </div>
                    }) }
                </div>
            </>
        },
    };
    let meta = match preview {
        Some(Ok(p)) if chosen => format!("{} · {}", pages_text(p.pages.len()), render_ms_text(p.render_ms)),
        _ => String::new(),
    };
    html! {
        <section class="contract-preview" id="contract-preview" aria-label="Preview" aria-busy={(chosen && preview.is_none()).to_string()}>
            <div class="contract-preview-head">
                <span class="contract-column-title">{ "Preview" }</span>
                <span class="muted contract-preview-meta">{ meta }</span>
            </div>
            { body }
        </section>
    }
}

/// What stops the template from rendering on the deal: missing and unknown fields, the Typst
/// error, and where to set the sender's details.
pub fn missing_panel(id: &'static str, p: &ContractPreview) -> Html {
    if p.missing.is_empty() && p.unknown.is_empty() && p.error.is_none() {
        return html! {};
    }
    html! {
        <div class={classes!("banner", if p.error.is_some() { "error" } else { "warning" }, "contract-missing")} {id} role="status">
            <ul class="contract-missing-list">
                if !p.missing.is_empty() {
                    <li class="contract-missing-fields" data-fields={p.missing.join(",")}>
                        { "No value on this deal: " }<code>{ field_list(&p.missing) }</code>
                    </li>
                }
                if !p.unknown.is_empty() {
                    <li class="contract-unknown-fields" data-fields={p.unknown.join(",")}>
                        { "Not a merge field: " }<code>{ field_list(&p.unknown) }</code>
                    </li>
                }
                if let Some(error) = &p.error {
                    <li class="contract-render-error">{ "The template does not render: " }<pre>{ error.clone() }</pre></li>
                }
            </ul>
            if needs_sender(p) {
                <div class="contract-sender-hint" id={format!("{id}-sender-hint")}>
                    { SENDER_HINT_LEAD }{ settings_link("Settings → Contracts") }
                </div>
            }
        </div>
    }
}
