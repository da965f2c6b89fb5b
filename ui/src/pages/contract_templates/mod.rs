//! The contract template editor (`/contracts/templates`): the templates, a Typst editor whose
//! `{{` offers the merge fields with their values on the preview deal, a live preview (pages,
//! render time, the Typst error), Save (a new version each time), New, Duplicate and Delete.

use crate::components::controls::{Button, Input, Tone};
use crate::components::display::{EmptyState, Skeleton};
use crate::components::hooks::use_esign_config_changes;
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::{notify, use_notifier};
use crate::ipc::invoke;
use crate::pages::contracts::missing_panel;
use crate::route::Route;
use crate::shell::picker::Picker;
use crate::state::ai::{MergeMenu, byte_index, insert_field, utf16_index};
use crate::state::contracts::{
    ContractDraft, ContractDraftErrors, field_value_text, filter_contract_fields, pages_text, render_ms_text,
    sorted_templates,
};
use crate::state::format::short_date;
use dealdesk_model::DealQuery;
use dealdesk_model::contract::{ContractField, ContractPreview, ContractPreviewRequest, ContractTemplate};
use dealdesk_model::ipc::{
    ContractFields, ContractPreviewRender, ContractTemplateDelete, ContractTemplateSave, ContractTemplatesList,
    ListDeals,
};
use gloo_timers::callback::Timeout;
use std::rc::Rc;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

mod editor;

pub use editor::*;

/// How long the preview waits after the last keystroke.
const PREVIEW_DEBOUNCE_MS: u32 = 400;
/// The editor's line height, as styles.css sets it (`#contract-template-body`).
const LINE_PX: f64 = 20.0;
/// The completion list's width and height at most (styles.css).
const LIST_WIDTH_PX: f64 = 380.0;
const LIST_HEIGHT_PX: f64 = 260.0;

/// The template editor screen.
#[function_component(ContractTemplatesPage)]
pub fn contract_templates_page() -> Html {
    let notifier = use_notifier();
    let navigator = use_navigator();
    // Templates saved or deleted elsewhere, the sender's details ({{sender.*}}).
    let changes = use_esign_config_changes();
    let templates = use_state(|| None::<Result<Vec<ContractTemplate>, String>>);
    let reloads = use_state(|| 0_u32);
    let draft = use_state(|| None::<ContractDraft>);
    let errors = use_state(ContractDraftErrors::default);
    let saving = use_state(|| false);
    let save_error = use_state(|| None::<String>);
    let deleting = use_state(|| false);
    let confirm_delete = use_state(|| false);
    let delete_error = use_state(|| None::<String>);
    let deal = use_state(|| None::<(Uuid, String)>);
    // Bumped when the deal is set from here (not typed), so the picker shows its name.
    let picker_key = use_state(|| 0_u32);
    let fields = use_state(|| Rc::new(Vec::<ContractField>::new()));
    let preview = use_state(|| None::<Result<ContractPreview, String>>);
    let rendering = use_state(|| false);
    let timer = use_mut_ref(|| None::<Timeout>);
    let sequence = use_mut_ref(|| 0_u64);

    {
        let templates = templates.clone();
        use_effect_with((*reloads, changes), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                templates.set(Some(invoke::<ContractTemplatesList>(&()).await.map_err(|e| e.message)));
            });
        });
    }
    {
        // A deal to preview on from the start: the newest one.
        let (deal, picker_key) = (deal.clone(), picker_key.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let query = DealQuery { limit: Some(1), ..Default::default() };
                if let Some(first) = invoke::<ListDeals>(&query).await.ok().and_then(|p| p.items.into_iter().next())
                    && deal.is_none()
                {
                    deal.set(Some((first.id, first.name)));
                    picker_key.set(*picker_key + 1);
                }
            });
        });
    }
    let deal_id = deal.as_ref().map(|(id, _)| *id);
    {
        let fields = fields.clone();
        use_effect_with((deal_id, changes), move |(deal_id, _)| match *deal_id {
            None => fields.set(Rc::new(Vec::new())),
            Some(id) => wasm_bindgen_futures::spawn_local(async move {
                fields.set(Rc::new(invoke::<ContractFields>(&id).await.unwrap_or_default()));
            }),
        });
    }
    let list = match &*templates {
        Some(Ok(list)) => sorted_templates(list),
        _ => Vec::new(),
    };
    {
        // Opens the first template once the list is there.
        let (draft, first) = (draft.clone(), list.first().cloned());
        use_effect_with(first.is_some(), move |has| {
            if *has
                && draft.is_none()
                && let Some(first) = first
            {
                draft.set(Some(ContractDraft::of(&first)));
            }
        });
    }
    {
        // The live preview, some 400 ms after the last change.
        let (preview, rendering) = (preview.clone(), rendering.clone());
        let (timer, sequence) = (timer.clone(), sequence.clone());
        let request = draft.as_ref().zip(deal_id).map(|(d, deal_id)| ContractPreviewRequest {
            deal_id,
            template_id: d.id,
            body: Some(d.body.clone()),
        });
        use_effect_with((request, changes), move |(request, _)| {
            *sequence.borrow_mut() += 1;
            let mine = *sequence.borrow();
            match request.clone() {
                None => {
                    timer.borrow_mut().take();
                    preview.set(None);
                    rendering.set(false);
                }
                Some(request) => {
                    rendering.set(true);
                    let seen = sequence.clone();
                    *timer.borrow_mut() = Some(Timeout::new(PREVIEW_DEBOUNCE_MS, move || {
                        wasm_bindgen_futures::spawn_local(async move {
                            let result = invoke::<ContractPreviewRender>(&request).await.map_err(|e| e.message);
                            // A newer change has its own preview on the way.
                            if *seen.borrow() == mine {
                                preview.set(Some(result));
                                rendering.set(false);
                            }
                        });
                    }));
                }
            }
        });
    }

    let open_id = draft.as_ref().and_then(|d| d.id);
    let saved = open_id.and_then(|id| list.iter().find(|t| t.id == id)).cloned();
    let dirty = draft.as_ref().is_some_and(|d| d.changed_from(saved.as_ref()));

    let open = {
        let (draft, errors, save_error) = (draft.clone(), errors.clone(), save_error.clone());
        Callback::from(move |next: ContractDraft| {
            errors.set(ContractDraftErrors::default());
            save_error.set(None);
            draft.set(Some(next));
        })
    };
    let new_template = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.emit(ContractDraft::blank()))
    };
    let set_name = {
        let (draft, errors) = (draft.clone(), errors.clone());
        Callback::from(move |name: String| {
            if let Some(mut next) = (*draft).clone() {
                next.name = name;
                if !errors.is_empty() {
                    errors.set(next.validate().err().unwrap_or_default());
                }
                draft.set(Some(next));
            }
        })
    };
    let set_body = {
        let (draft, errors) = (draft.clone(), errors.clone());
        Callback::from(move |body: String| {
            if let Some(mut next) = (*draft).clone() {
                next.body = body;
                if !errors.is_empty() {
                    errors.set(next.validate().err().unwrap_or_default());
                }
                draft.set(Some(next));
            }
        })
    };
    let save = {
        let (draft, errors, saving, save_error, reloads, notifier) =
            (draft.clone(), errors.clone(), saving.clone(), save_error.clone(), reloads.clone(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(current) = (*draft).clone() else { return };
            let request = match current.validate() {
                Ok(request) => request,
                Err(found) => {
                    errors.set(found);
                    return;
                }
            };
            errors.set(ContractDraftErrors::default());
            save_error.set(None);
            saving.set(true);
            let (draft, saving, save_error, reloads, notifier) =
                (draft.clone(), saving.clone(), save_error.clone(), reloads.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let created = request.id.is_none();
                let result = invoke::<ContractTemplateSave>(&request).await;
                saving.set(false);
                match result {
                    Ok(saved) => {
                        let text = if created {
                            format!("Created the template {}", saved.name)
                        } else {
                            format!("Saved version {} of {}", saved.version, saved.name)
                        };
                        notify(&notifier, Ok(text));
                        draft.set(Some(ContractDraft::of(&saved)));
                        reloads.set(*reloads + 1);
                    }
                    Err(e) => save_error.set(Some(e.message)),
                }
            });
        })
    };
    let delete = {
        let remaining = list.clone();
        let (draft, deleting, confirm_delete, delete_error, reloads, notifier) = (
            draft.clone(),
            deleting.clone(),
            confirm_delete.clone(),
            delete_error.clone(),
            reloads.clone(),
            notifier.clone(),
        );
        Callback::from(move |_: ()| {
            let Some((id, name)) = draft.as_ref().and_then(|d| d.id.map(|id| (id, d.name.clone()))) else { return };
            // The editor moves on to the first template left.
            let next = remaining.iter().find(|t| t.id != id).map(ContractDraft::of);
            deleting.set(true);
            let (draft, deleting, confirm_delete, delete_error, reloads, notifier) = (
                draft.clone(),
                deleting.clone(),
                confirm_delete.clone(),
                delete_error.clone(),
                reloads.clone(),
                notifier.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<ContractTemplateDelete>(&id).await;
                deleting.set(false);
                match result {
                    Ok(()) => {
                        confirm_delete.set(false);
                        draft.set(next);
                        reloads.set(*reloads + 1);
                        notify(&notifier, Ok(format!("Deleted the template {name}")));
                    }
                    Err(e) => delete_error.set(Some(e.message)),
                }
            });
        })
    };
    let to_settings = {
        let navigator = navigator.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(nav) = &navigator {
                nav.push(&Route::SettingsTab { tab: "contracts".into() });
            }
        })
    };

    let list_view = match &*templates {
        None => html! { <Skeleton rows={4} /> },
        Some(Err(message)) => html! {
            <div class="banner error" id="contract-templates-error" role="alert">{ format!("Cannot read the templates: {message}") }</div>
        },
        Some(Ok(_)) if list.is_empty() => html! {
            <div class="muted contract-template-none">{ "No templates yet: New template starts one." }</div>
        },
        Some(Ok(_)) => html! {
            <ul class="contract-template-items">
                { for list.iter().map(|t| {
                    let selected = open_id == Some(t.id);
                    let (open, next) = (open.clone(), ContractDraft::of(t));
                    html! {
                        <li key={t.id.to_string()}>
                            <button type="button" class={classes!("contract-template-item", selected.then_some("selected"))}
                                data-id={t.id.to_string()} data-builtin={t.builtin.to_string()} aria-current={selected.then_some("true")}
                                onclick={Callback::from(move |_| open.emit(next.clone()))}>
                                <span class="contract-template-item-name">{ t.name.clone() }</span>
                                <span class="contract-template-item-meta muted">
                                    { format!("v{} · {}", t.version, short_date(&t.updated_at)) }
                                    if t.builtin { { " " }<span class="badge neutral">{ "Shipped" }</span> }
                                </span>
                            </button>
                        </li>
                    }
                }) }
                if draft.as_ref().is_some_and(|d| d.id.is_none()) {
                    <li key="new">
                        <button type="button" class="contract-template-item selected new" aria-current="true">
                            <span class="contract-template-item-name">{ draft.as_ref().map(|d| d.name.clone()).filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "New template".into()) }</span>
                            <span class="contract-template-item-meta muted">{ "Not saved yet" }</span>
                        </button>
                    </li>
                }
            </ul>
        },
    };

    let editor = match (*draft).clone() {
        None => html! {
            <div class="contract-editor">
                <EmptyState title="Choose a template" hint={AttrValue::from("Pick one on the left to edit it, or New template to write one. Type {{ in the editor to insert a merge field.")} />
            </div>
        },
        Some(d) => {
            let duplicate = {
                let (open, saved) = (open.clone(), saved.clone());
                Callback::from(move |_: MouseEvent| {
                    if let Some(t) = &saved {
                        open.emit(ContractDraft::copy_of(t));
                    }
                })
            };
            let ask_delete = {
                let (confirm_delete, delete_error) = (confirm_delete.clone(), delete_error.clone());
                Callback::from(move |_: MouseEvent| {
                    delete_error.set(None);
                    confirm_delete.set(true);
                })
            };
            let discard = {
                let (open, saved) = (open.clone(), saved.clone());
                Callback::from(move |_: MouseEvent| {
                    if let Some(t) = &saved {
                        open.emit(ContractDraft::of(t));
                    }
                })
            };
            html! {
                <div class="contract-editor" id="contract-template-editor" data-id={d.id.map(|i| i.to_string())}>
                    <div class="contract-editor-head">
                        <Input id="contract-template-name" label={AttrValue::from("Name")} value={d.name.clone()}
                            placeholder="Service agreement" error={errors.name.clone().map(AttrValue::from)} on_change={set_name} />
                        <div class="contract-editor-badges">
                            if let Some(v) = d.version { <span class="badge neutral" id="contract-template-version">{ format!("v{v}") }</span> }
                            if d.builtin { <span class="badge neutral">{ "Shipped" }</span> }
                            if d.id.is_none() { <span class="badge accent">{ "New" }</span> }
                            if dirty && d.id.is_some() { <span class="badge warning" id="contract-template-unsaved">{ "Unsaved" }</span> }
                        </div>
                    </div>
                    <ContractBodyEditor value={d.body.clone()} fields={(*fields).clone()} has_deal={deal_id.is_some()}
                        error={errors.body.clone().map(AttrValue::from)} on_change={set_body} />
                    <div class="muted contract-editor-hint">
                        { "Typst markup. Type " }<code>{ "{{" }</code>{ " for a merge field; " }
                        <code>{ "#signatures()" }</code>{ " places a signature block for every signer." }
                    </div>
                    if let Some(message) = &*save_error {
                        <div class="banner error" id="contract-template-save-error" role="alert">{ message.clone() }</div>
                    }
                    <div class="inline-form contract-editor-buttons">
                        <Button tone={Tone::Primary} id="contract-template-save" disabled={*saving || (!dirty && d.id.is_some())} onclick={save}
                            title={AttrValue::from(if d.id.is_some() { "Saves a new version; the older ones are kept" } else { "Creates the template" })}>
                            { if *saving { "Saving…" } else if d.id.is_some() { "Save as new version" } else { "Create template" } }
                        </Button>
                        if d.id.is_some() {
                            <Button tone={Tone::Ghost} id="contract-template-duplicate" onclick={duplicate}>{ "Duplicate" }</Button>
                        }
                        if dirty && d.id.is_some() {
                            <Button tone={Tone::Ghost} id="contract-template-discard" onclick={discard}>{ "Discard changes" }</Button>
                        }
                        <span class="spacer" />
                        if d.id.is_some() && !d.builtin {
                            <Button tone={Tone::Danger} id="contract-template-delete" onclick={ask_delete}>{ "Delete…" }</Button>
                        }
                    </div>
                </div>
            }
        }
    };

    let set_deal = {
        let deal = deal.clone();
        Callback::from(move |choice: Option<(Uuid, String)>| deal.set(choice))
    };
    let preview_body = match (deal_id, &*draft, &*preview) {
        (_, None, _) => html! { <div class="muted contract-preview-empty">{ "Open a template to preview it." }</div> },
        (None, _, _) => html! {
            <div class="muted contract-preview-empty" id="contract-preview-no-deal">{ "Pick a deal to render the template on it." }</div>
        },
        (Some(_), Some(_), None) => html! {
            <div class="contract-preview-loading" role="status"><span class="spinner" aria-hidden="true" />{ " Rendering…" }</div>
        },
        (Some(_), Some(_), Some(Err(message))) => html! {
            <div class="banner error" id="contract-template-error" role="alert">{ format!("Cannot render the preview: {message}") }</div>
        },
        (Some(_), Some(_), Some(Ok(p))) => html! {
            <>
                if let Some(error) = &p.error {
                    <div class="banner error contract-typst-error" id="contract-template-error" role="alert">
                        <div class="contract-typst-error-title">{ "The template does not compile" }</div>
                        <pre>{ error.clone() }</pre>
                    </div>
                }
                { missing_panel("contract-template-missing", &ContractPreview { error: None, ..p.clone() }) }
                <div class={classes!("contract-pages", (*rendering).then_some("stale"))}>
                    { for p.pages.iter().enumerate().map(|(i, page)| html! {
                        <div class="contract-page" key={i.to_string()} data-page={(i + 1).to_string()}>
                            { Html::from_html_unchecked(AttrValue::from(page.clone())) }
                        </div>
                    }) }
                </div>
            </>
        },
    };
    let meta = match &*preview {
        Some(Ok(p)) if deal_id.is_some() && draft.is_some() => html! {
            <span class="muted contract-preview-meta" id="contract-render-ms" data-ms={p.render_ms.to_string()}>
                { format!("{} · {}", pages_text(p.pages.len()), render_ms_text(p.render_ms)) }
            </span>
        },
        _ => html! {},
    };

    html! {
        <section class="page contract-templates-page" id="contract-templates-page">
            <header class="page-header">
                <h1>{ "Contract templates" }</h1>
                if !list.is_empty() { <span class="count">{ list.len() }</span> }
                <div class="spacer" />
                <Button small=true tone={Tone::Ghost} id="contract-settings-open" onclick={to_settings}>{ "E-signature settings" }</Button>
                <Button small=true tone={Tone::Primary} id="contract-template-new" onclick={new_template}>{ "New template" }</Button>
            </header>
            <div class="contract-editor-layout">
                <nav class="contract-template-list card" id="contract-template-list" aria-label="Contract templates">
                    { list_view }
                </nav>
                <div class="card contract-editor-card">{ editor }</div>
                <section class="card contract-editor-preview" id="contract-template-preview" aria-label="Preview">
                    <div class="contract-preview-toolbar">
                        <Picker key={picker_key.to_string()} id="contract-preview-deal" label="Preview on deal" kind={dealdesk_model::RecordKind::Deal}
                            value={(*deal).clone()} on_change={set_deal} />
                        <div class="contract-preview-status">
                            if *rendering { <span class="spinner" role="status" aria-label="Rendering" /> }
                            { meta }
                        </div>
                    </div>
                    { preview_body }
                </section>
            </div>
            if *confirm_delete {
                <ConfirmDialog title="Delete this template?" id="contract-template-delete-dialog" confirm_id="contract-template-delete-confirm"
                    confirm_label="Delete template" danger=true busy={*deleting} error={(*delete_error).clone().map(AttrValue::from)}
                    on_confirm={delete} on_close={{ let c = confirm_delete.clone(); Callback::from(move |_| c.set(false)) }}>
                    <p class="dialog-lead">
                        { format!("“{}” and its versions go. Contracts already sent with it keep their PDF.", draft.as_ref().map(|d| d.name.clone()).unwrap_or_default()) }
                    </p>
                </ConfirmDialog>
            }
        </section>
    }
}
