//! `#prompt-templates` under Settings → AI: the templates grouped by action (the active one and
//! the built-ins marked), an editor whose textareas complete `{{merge fields}}`, a live preview on
//! a chosen record, Use this template, and the version history with Restore.

use crate::components::controls::{Button, Input, Select, Tone};
use crate::components::display::{Card, EmptyState, Skeleton};
use crate::components::toasts::{notify, use_notifier};
use crate::ipc::invoke;
use crate::shell::picker::Picker;
use crate::state::ai::{
    MergeMenu, PREVIEW_KINDS, TemplateDraft, TemplateErrors, byte_index, filter_fields, group_templates, insert_field,
    natural_kind, restore_request, tokens_estimate_text, unknown_fields_text, utf16_index,
};
use crate::state::format::short_time;
use dealdesk_model::ai::{
    AiAction, MergeField, MergeFieldsRequest, PromptPreview, PromptPreviewRequest, PromptTemplate, SavePromptTemplate,
};
use dealdesk_model::ipc::{
    PromptMergeFields, PromptTemplateActivate, PromptTemplatePreview, PromptTemplateSave, PromptTemplateVersions,
    PromptTemplatesList,
};
use dealdesk_model::{RecordKind, RecordRef};
use gloo_timers::callback::Timeout;
use std::rc::Rc;
use uuid::Uuid;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// How long the preview waits after the last keystroke.
const PREVIEW_DEBOUNCE_MS: u32 = 300;

#[derive(Properties, PartialEq)]
pub struct MergeTextAreaProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    #[prop_or(6)]
    pub rows: u32,
    /// The fields `{{` offers.
    pub fields: Rc<Vec<MergeField>>,
    #[prop_or_default]
    pub placeholder: AttrValue,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_change: Callback<String>,
}

/// A textarea that offers the merge fields when `{{` is typed: arrows choose, Enter or Tab (or a
/// click) inserts `{{name}}`, Escape closes the list.
#[function_component(MergeTextArea)]
pub fn merge_text_area(props: &MergeTextAreaProps) -> Html {
    let node = use_node_ref();
    let menu = use_state(MergeMenu::default);
    let cursor_of = |area: &HtmlTextAreaElement| {
        let value = area.value();
        let at = area.selection_start().ok().flatten().unwrap_or(0) as usize;
        (byte_index(&value, at), value)
    };
    let matches: Vec<MergeField> = menu
        .open
        .as_ref()
        .map(|q| filter_fields(&props.fields, &q.query).into_iter().take(12).cloned().collect())
        .unwrap_or_default();
    let pick = {
        let (node, menu, on_change) = (node.clone(), menu.clone(), props.on_change.clone());
        Callback::from(move |name: String| {
            let Some(area) = node.cast::<HtmlTextAreaElement>() else { return };
            let Some(query) = menu.open.clone() else { return };
            let value = area.value();
            let (next, at) = insert_field(&value, &query, menu.cursor.min(value.len()), &name);
            area.set_value(&next);
            let position = utf16_index(&next, at) as u32;
            let _ = area.set_selection_range(position, position);
            let _ = area.focus();
            menu.set(MergeMenu::default());
            on_change.emit(next);
        })
    };
    let oninput = {
        let (menu, on_change) = (menu.clone(), props.on_change.clone());
        Callback::from(move |e: InputEvent| {
            let area = e.target_unchecked_into::<HtmlTextAreaElement>();
            let (cursor, value) = cursor_of(&area);
            menu.set(MergeMenu::at(&value, cursor));
            on_change.emit(value);
        })
    };
    let onkeydown = {
        let (menu, pick, matches) = (menu.clone(), pick.clone(), matches.clone());
        Callback::from(move |e: KeyboardEvent| {
            if menu.open.is_none() || matches.is_empty() {
                return;
            }
            match e.key().as_str() {
                "ArrowDown" | "ArrowUp" => {
                    e.prevent_default();
                    menu.set(menu.moved(e.key() == "ArrowDown", matches.len()));
                }
                "Enter" | "Tab" => {
                    e.prevent_default();
                    if let Some(field) = matches.get(menu.selected.min(matches.len() - 1)) {
                        pick.emit(field.name.clone());
                    }
                }
                "Escape" => {
                    e.prevent_default();
                    e.stop_propagation();
                    menu.set(MergeMenu::default());
                }
                _ => {}
            }
        })
    };
    let onkeyup = {
        let menu = menu.clone();
        Callback::from(move |e: KeyboardEvent| {
            if matches!(e.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                let (cursor, value) = cursor_of(&e.target_unchecked_into::<HtmlTextAreaElement>());
                menu.set(MergeMenu::at(&value, cursor));
            }
        })
    };
    let onclick = {
        let menu = menu.clone();
        Callback::from(move |e: MouseEvent| {
            let (cursor, value) = cursor_of(&e.target_unchecked_into::<HtmlTextAreaElement>());
            menu.set(MergeMenu::at(&value, cursor));
        })
    };
    let onblur = {
        let menu = menu.clone();
        // Later than an option's mousedown, so a click still lands.
        Callback::from(move |_: FocusEvent| {
            let menu = menu.clone();
            Timeout::new(150, move || menu.set(MergeMenu::default())).forget();
        })
    };
    let list_id = format!("{}-merge-menu", props.id);
    let open = menu.open.is_some() && !matches.is_empty();
    html! {
        <label class={classes!("field", "merge-field", props.error.is_some().then_some("invalid"))} for={props.id.clone()}>
            <span class="field-label">{ props.label.clone() }</span>
            <textarea ref={node} id={props.id.clone()} rows={props.rows.to_string()} value={props.value.clone()}
                placeholder={props.placeholder.clone()} spellcheck="false" aria-autocomplete="list"
                aria-controls={open.then(|| list_id.clone())}
                {oninput} {onkeydown} {onkeyup} {onclick} {onblur} />
            if open {
                <ul class="picker-options merge-menu" role="listbox" id={list_id}>
                    { for matches.iter().enumerate().map(|(i, field)| {
                        let (pick, name) = (pick.clone(), field.name.clone());
                        html! {
                            <li role="option" aria-selected={(i == menu.selected).to_string()}
                                class={classes!("picker-option", "merge-option", (i == menu.selected).then_some("selected"))}
                                data-field={field.name.clone()}
                                onmousedown={Callback::from(move |e: MouseEvent| { e.prevent_default(); pick.emit(name.clone()); })}>
                                <code>{ format!("{{{{{}}}}}", field.name) }</code>
                                if !field.description.is_empty() { <span class="muted merge-description">{ field.description.clone() }</span> }
                            </li>
                        }
                    }) }
                </ul>
            }
            if let Some(error) = &props.error {
                <span class="field-error" role="alert">{ error.clone() }</span>
            }
        </label>
    }
}

/// The list, the editor, the preview and the versions.
#[function_component(PromptTemplates)]
pub fn prompt_templates() -> Html {
    let notifier = use_notifier();
    let templates = use_state(|| None::<Result<Vec<PromptTemplate>, String>>);
    let reloads = use_state(|| 0_u32);
    let draft = use_state(|| None::<TemplateDraft>);
    let errors = use_state(TemplateErrors::default);
    let saving = use_state(|| false);
    let versions = use_state(|| None::<Result<Vec<PromptTemplate>, String>>);
    let kind = use_state(|| RecordKind::Person);
    let record = use_state(|| None::<(Uuid, String)>);
    let instructions = use_state(String::new);
    let fields = use_state(|| Rc::new(Vec::<MergeField>::new()));
    let preview = use_state(|| None::<Result<PromptPreview, String>>);
    let timer = use_mut_ref(|| None::<Timeout>);
    let sequence = use_mut_ref(|| 0_u64);

    {
        let templates = templates.clone();
        use_effect_with(*reloads, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                templates.set(Some(invoke::<PromptTemplatesList>(&()).await.map_err(|e| e.message)));
            });
        });
    }
    {
        let fields = fields.clone();
        use_effect_with(*kind, move |kind| {
            let kind = *kind;
            wasm_bindgen_futures::spawn_local(async move {
                let list = invoke::<PromptMergeFields>(&MergeFieldsRequest { kind }).await.unwrap_or_default();
                fields.set(Rc::new(list));
            });
        });
    }
    let open_id = draft.as_ref().and_then(|d| d.id);
    {
        let versions = versions.clone();
        use_effect_with((open_id, *reloads), move |(id, _)| {
            versions.set(None);
            if let Some(id) = *id {
                wasm_bindgen_futures::spawn_local(async move {
                    versions.set(Some(invoke::<PromptTemplateVersions>(&id).await.map_err(|e| e.message)));
                });
            }
        });
    }
    {
        // The live preview, some 300 ms after the last change.
        let preview = preview.clone();
        let (timer, sequence) = (timer.clone(), sequence.clone());
        let target = record.as_ref().map(|(id, _)| RecordRef { kind: *kind, id: *id });
        let request = draft.as_ref().zip(target).map(|(d, record)| PromptPreviewRequest {
            action: d.action,
            system: d.system.clone(),
            user: d.user.clone(),
            record,
            instructions: Some(instructions.trim().to_string()).filter(|i| !i.is_empty()),
        });
        use_effect_with(request, move |request| {
            *sequence.borrow_mut() += 1;
            let mine = *sequence.borrow();
            match request.clone() {
                None => {
                    timer.borrow_mut().take();
                    preview.set(None);
                }
                Some(request) => {
                    let seen = sequence.clone();
                    *timer.borrow_mut() = Some(Timeout::new(PREVIEW_DEBOUNCE_MS, move || {
                        wasm_bindgen_futures::spawn_local(async move {
                            let result = invoke::<PromptTemplatePreview>(&request).await.map_err(|e| e.message);
                            // A newer change has its own preview on the way.
                            if *seen.borrow() == mine {
                                preview.set(Some(result));
                            }
                        });
                    }));
                }
            }
        });
    }

    let list = match &*templates {
        Some(Ok(list)) => list.clone(),
        _ => Vec::new(),
    };
    let saved = open_id.and_then(|id| list.iter().find(|t| t.id == id)).cloned();
    let dirty = match (&*draft, &saved) {
        (Some(d), Some(t)) => d.changed_from(t),
        (Some(_), None) => true,
        _ => false,
    };

    let open = {
        let (draft, errors, kind, record) = (draft.clone(), errors.clone(), kind.clone(), record.clone());
        Callback::from(move |next: TemplateDraft| {
            if record.is_none() {
                kind.set(natural_kind(next.action));
            }
            errors.set(TemplateErrors::default());
            draft.set(Some(next));
        })
    };
    let after_save = {
        let (draft, reloads, notifier) = (draft.clone(), reloads.clone(), notifier.clone());
        Callback::from(move |(saved, text): (PromptTemplate, String)| {
            draft.set(Some(TemplateDraft::of(&saved)));
            reloads.set(*reloads + 1);
            notify(&notifier, Ok(text));
        })
    };
    let save_request = {
        let (saving, notifier, after_save) = (saving.clone(), notifier.clone(), after_save.clone());
        Callback::from(move |(request, text): (SavePromptTemplate, String)| {
            saving.set(true);
            let (saving, notifier, after_save) = (saving.clone(), notifier.clone(), after_save.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<PromptTemplateSave>(&request).await;
                saving.set(false);
                match result {
                    Ok(saved) => {
                        let text = text.replace("{version}", &saved.version.to_string());
                        after_save.emit((saved, text));
                    }
                    Err(e) => notify(&notifier, Err(e.message)),
                }
            });
        })
    };
    let save = {
        let (draft, errors, save_request) = (draft.clone(), errors.clone(), save_request.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(current) = (*draft).clone() else { return };
            match current.validate() {
                Ok(request) => {
                    errors.set(TemplateErrors::default());
                    let text = if request.id.is_some() {
                        format!("Saved version {{version}} of {}", request.name)
                    } else {
                        format!("Created the template {}", request.name)
                    };
                    save_request.emit((request, text));
                }
                Err(found) => errors.set(found),
            }
        })
    };
    let activate = {
        let (reloads, notifier) = (reloads.clone(), notifier.clone());
        Callback::from(move |id: Uuid| {
            let (reloads, notifier) = (reloads.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<PromptTemplateActivate>(&id).await;
                notify(
                    &notifier,
                    result.map(|t| format!("{} now uses “{}”", t.action.label(), t.name)).map_err(|e| e.message),
                );
                reloads.set(*reloads + 1);
            });
        })
    };

    let groups = group_templates(&list);
    let list_view = match &*templates {
        None => html! { <Skeleton rows={4} /> },
        Some(Err(message)) => {
            html! { <div class="banner error" role="alert">{ format!("Cannot read the templates: {message}") }</div> }
        }
        Some(Ok(_)) => html! {
            <nav class="prompt-list" id="prompt-template-list" aria-label="Prompt templates">
                { for groups.iter().map(|(action, items)| {
                    let action = *action;
                    let from = items.iter().find(|t| t.active).cloned();
                    let new_one = { let open = open.clone(); Callback::from(move |_: MouseEvent| open.emit(TemplateDraft::new_for(action, from.as_ref()))) };
                    html! {
                        <section class="prompt-group" data-action={action.as_str()} key={action.as_str()}>
                            <div class="prompt-group-head">
                                <h4>{ action.label() }</h4>
                                <button type="button" class="link-btn prompt-new" data-action={action.as_str()} onclick={new_one}
                                    aria-label={format!("New template for {}", action.label())}>{ "New" }</button>
                            </div>
                            if items.is_empty() {
                                <div class="muted prompt-none">{ "No templates: New writes one." }</div>
                            }
                            <ul>
                                { for items.iter().map(|t| {
                                    let selected = open_id == Some(t.id);
                                    let (open, draft) = (open.clone(), TemplateDraft::of(t));
                                    html! {
                                        <li key={t.id.to_string()}>
                                            <button type="button" class={classes!("prompt-template", selected.then_some("selected"))}
                                                data-id={t.id.to_string()} data-active={t.active.to_string()} data-builtin={t.builtin.to_string()}
                                                aria-current={selected.then_some("true")}
                                                onclick={Callback::from(move |_| open.emit(draft.clone()))}>
                                                <span class="prompt-template-name">{ t.name.clone() }</span>
                                                <span class="muted prompt-template-version">{ format!("v{}", t.version) }</span>
                                                if t.active { <span class="badge accent prompt-active">{ "Active" }</span> }
                                                if t.builtin { <span class="badge neutral prompt-builtin">{ "Built-in" }</span> }
                                            </button>
                                        </li>
                                    }
                                }) }
                            </ul>
                        </section>
                    }
                }) }
            </nav>
        },
    };

    let editor = match (*draft).clone() {
        None => html! {
            <EmptyState title="Choose a template" hint={AttrValue::from("Pick one on the left to edit it, or New to write one for an action. Type {{ in a prompt to insert a merge field.")} />
        },
        Some(d) => {
            let set = |apply: fn(&mut TemplateDraft, String)| {
                let (draft, errors) = (draft.clone(), errors.clone());
                Callback::from(move |value: String| {
                    if let Some(mut next) = (*draft).clone() {
                        apply(&mut next, value);
                        if !errors.is_empty() {
                            errors.set(next.validate().err().unwrap_or_default());
                        }
                        draft.set(Some(next));
                    }
                })
            };
            let actions: Vec<(AttrValue, AttrValue)> =
                AiAction::ALL.into_iter().map(|a| (AttrValue::from(a.as_str()), AttrValue::from(a.label()))).collect();
            let duplicate = {
                let (open, d) = (open.clone(), d.clone());
                Callback::from(move |_: MouseEvent| {
                    let mut copy = d.clone();
                    copy.id = None;
                    copy.version = None;
                    copy.builtin = false;
                    copy.name = format!("Copy of {}", d.name.trim());
                    open.emit(copy);
                })
            };
            let close = {
                let draft = draft.clone();
                Callback::from(move |_: MouseEvent| draft.set(None))
            };
            let active = saved.as_ref().is_some_and(|t| t.active);
            let use_it = {
                let activate = activate.clone();
                let id = d.id;
                Callback::from(move |_: MouseEvent| {
                    if let Some(id) = id {
                        activate.emit(id);
                    }
                })
            };
            html! {
                <div class="prompt-editor" id="prompt-editor" data-id={d.id.map(|i| i.to_string())}>
                    <div class="prompt-editor-head">
                        <strong>{ if d.id.is_some() { "Edit template" } else { "New template" } }</strong>
                        if let Some(v) = d.version { <span class="muted">{ format!("from v{v}") }</span> }
                        if d.builtin { <span class="badge neutral">{ "Built-in" }</span> }
                        if active { <span class="badge accent" id="prompt-in-use">{ "In use" }</span> }
                        if dirty { <span class="badge warning" id="prompt-unsaved">{ "Unsaved" }</span> }
                    </div>
                    <div class="form-grid">
                        <Input id="prompt-name" label={AttrValue::from("Name")} value={d.name.clone()}
                            error={errors.name.clone().map(AttrValue::from)} on_change={set(|d, v| d.name = v)} />
                        if d.id.is_none() {
                            <Select id="prompt-action" label={AttrValue::from("Action")} value={d.action.as_str()} options={actions}
                                on_change={{ let draft = draft.clone(); Callback::from(move |v: String| {
                                    if let (Some(mut next), Some(action)) = ((*draft).clone(), AiAction::parse(&v)) { next.action = action; draft.set(Some(next)); }
                                }) }} />
                        } else {
                            <div class="field">
                                <span class="field-label">{ "Action" }</span>
                                <div class="prompt-action-fixed" id="prompt-action-fixed">{ d.action.label() }</div>
                            </div>
                        }
                    </div>
                    <MergeTextArea id="prompt-system" label={AttrValue::from("System prompt")} value={d.system.clone()} rows={5}
                        fields={(*fields).clone()} placeholder="Who the model is and the rules it follows"
                        on_change={set(|d, v| d.system = v)} />
                    <MergeTextArea id="prompt-user" label={AttrValue::from("User prompt")} value={d.user.clone()} rows={9}
                        fields={(*fields).clone()} placeholder="What to do with the record: type {{ for a merge field"
                        error={errors.user.clone().map(AttrValue::from)} on_change={set(|d, v| d.user = v)} />
                    <div class="muted prompt-hint">{ format!("Type {{{{ to insert a merge field of a {} ({} fields).", kind.label().to_lowercase(), fields.len()) }</div>
                    <div class="inline-form">
                        <Button tone={Tone::Primary} id="prompt-save" disabled={*saving} onclick={save}>
                            { if d.id.is_some() { "Save as new version" } else { "Create template" } }
                        </Button>
                        if d.id.is_some() {
                            <Button id="prompt-activate" disabled={active || dirty} onclick={use_it}
                                title={AttrValue::from(if dirty { "Save first: this uses the saved version" } else if active { "Already in use" } else { "Make this the template its action uses" })}>
                                { "Use this template" }
                            </Button>
                            <Button tone={Tone::Ghost} id="prompt-duplicate" onclick={duplicate}>{ "Duplicate" }</Button>
                        }
                        <Button tone={Tone::Ghost} id="prompt-close" onclick={close}>{ "Close" }</Button>
                    </div>
                    { preview_panel(&kind, &record, &instructions, &preview) }
                    if d.id.is_some() {
                        { versions_panel(&versions, save_request.clone(), *saving) }
                    }
                </div>
            }
        }
    };
    html! {
        <Card title={AttrValue::from("Prompt templates")} id="prompt-templates" class="prompt-templates">
            <div class="prompt-layout">
                { list_view }
                { editor }
            </div>
        </Card>
    }
}

fn preview_panel(
    kind: &UseStateHandle<RecordKind>,
    record: &UseStateHandle<Option<(Uuid, String)>>,
    instructions: &UseStateHandle<String>,
    preview: &UseStateHandle<Option<Result<PromptPreview, String>>>,
) -> Html {
    let kinds: Vec<(AttrValue, AttrValue)> =
        PREVIEW_KINDS.into_iter().map(|k| (AttrValue::from(k.as_str()), AttrValue::from(k.label()))).collect();
    let set_kind = {
        let (kind, record) = (kind.clone(), record.clone());
        Callback::from(move |v: String| {
            if let Some(k) = RecordKind::parse(&v) {
                kind.set(k);
                record.set(None);
            }
        })
    };
    let set_record = {
        let record = record.clone();
        Callback::from(move |choice: Option<(Uuid, String)>| record.set(choice))
    };
    let body = match (&**record, &**preview) {
        (None, _) => html! {
            <div class="muted" id="prompt-preview-empty">{ format!("Pick a {} to see the prompt as the model gets it.", kind.label().to_lowercase()) }</div>
        },
        (Some(_), None) => html! { <Skeleton rows={3} /> },
        (Some(_), Some(Err(message))) => html! {
            <div class="banner error" id="prompt-preview-error" role="alert">{ format!("Cannot render the preview: {message}") }</div>
        },
        (Some(_), Some(Ok(p))) => html! {
            <>
                <div class="prompt-preview-meta">
                    <span class="badge neutral" id="prompt-preview-tokens" data-tokens={p.estimated_tokens.to_string()}>{ tokens_estimate_text(p.estimated_tokens) }</span>
                </div>
                if let Some(warning) = unknown_fields_text(&p.unknown_fields, **kind) {
                    <div class="banner warning" id="prompt-preview-unknown" role="status">{ warning }</div>
                }
                <div class="prompt-rendered-label">{ "System" }</div>
                <pre class="prompt-rendered" id="prompt-preview-system">{ p.system.clone() }</pre>
                <div class="prompt-rendered-label">{ "User" }</div>
                <pre class="prompt-rendered" id="prompt-preview-user">{ p.user.clone() }</pre>
            </>
        },
    };
    html! {
        <section class="prompt-preview" id="prompt-preview" aria-label="Preview">
            <h4 class="whop-subhead">{ "Preview" }</h4>
            <div class="inline-form prompt-preview-inputs">
                <Select id="prompt-preview-kind" label={AttrValue::from("Record kind")} value={kind.as_str()} options={kinds} on_change={set_kind} />
                <Picker key={kind.as_str()} id="prompt-preview-record" label="Preview on" kind={**kind} value={(**record).clone()} on_change={set_record} />
                <Input id="prompt-preview-instructions" label={AttrValue::from("Instructions (optional)")} value={(**instructions).clone()}
                    on_change={{ let i = instructions.clone(); Callback::from(move |v| i.set(v)) }} />
            </div>
            { body }
        </section>
    }
}

fn versions_panel(
    versions: &UseStateHandle<Option<Result<Vec<PromptTemplate>, String>>>,
    save: Callback<(SavePromptTemplate, String)>,
    saving: bool,
) -> Html {
    let body = match &**versions {
        None => html! { <Skeleton rows={2} /> },
        Some(Err(message)) => html! { <div class="banner error" role="alert">{ message.clone() }</div> },
        Some(Ok(list)) if list.is_empty() => html! { <div class="muted">{ "No versions yet." }</div> },
        Some(Ok(list)) => html! {
            <ol class="prompt-versions-list">
                { for list.iter().enumerate().map(|(i, v)| {
                    let restore = {
                        let save = save.clone();
                        let request = restore_request(v);
                        let text = format!("Restored v{} as version {{version}}", v.version);
                        Callback::from(move |_: MouseEvent| save.emit((request.clone(), text.clone())))
                    };
                    html! {
                        <li class="prompt-version" key={v.version.to_string()} data-version={v.version.to_string()}>
                            <details>
                                <summary>
                                    <span class="prompt-version-name">{ format!("v{} · {}", v.version, v.name) }</span>
                                    <span class="muted">{ format!(" · {}", short_time(&v.created_at)) }</span>
                                    if i == 0 { { " " }<span class="badge neutral">{ "Newest" }</span> }
                                    if v.builtin { { " " }<span class="badge neutral">{ "Built-in" }</span> }
                                </summary>
                                <div class="prompt-rendered-label">{ "System" }</div>
                                <pre class="prompt-rendered">{ v.system.clone() }</pre>
                                <div class="prompt-rendered-label">{ "User" }</div>
                                <pre class="prompt-rendered">{ v.user.clone() }</pre>
                            </details>
                            if i > 0 {
                                <Button small=true class="prompt-restore" disabled={saving}
                                    aria_label={AttrValue::from(format!("Restore version {}", v.version))}
                                    onclick={restore}>{ "Restore" }</Button>
                            }
                        </li>
                    }
                }) }
            </ol>
        },
    };
    html! {
        <section class="prompt-versions" id="prompt-versions" aria-label="Version history">
            <h4 class="whop-subhead">{ "Versions" }</h4>
            { body }
        </section>
    }
}
