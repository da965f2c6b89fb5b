//! Record pages for a person, a company and a deal: editable fields (custom fields too), tags,
//! related records, the AI card, the timeline, notes (markdown) and tasks, and places for Whop and
//! contracts.

use crate::app::Route;
use crate::components::controls::{Button, Checkbox, DatePicker, Input, Select, TextArea, Tone};
use crate::components::display::{Badge, BadgeTone, Card, EmptyState, Skeleton, TabsHost, TagChip};
use crate::components::hooks::use_changes_of;
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::{Notifier, use_notifier};
use crate::ipc::invoke;
use crate::pages::ai::AiCard;
use crate::pages::contracts::ContractsCard;
use crate::pages::outbox::RecordConflicts;
use crate::pages::whop::{WhopPersonCard, whop_badge};
use crate::pages::whop_actions::WhopDealMembership;
use crate::shell::picker::Picker;
use crate::state::format;
use crate::state::format::{field_label, restore_prompt, restored_text};
use crate::state::markdown::to_safe_html;
use crate::state::whop::WHOP_PIPELINE;
use chrono::NaiveDate;
use dealdesk_model::ipc::{
    AddNote, AddTask, ChangeDealStatus, GetCompany, GetDeal, GetPerson, ListCustomFields, ListDeals, ListNotes,
    ListPeople, ListPipelines, ListTasks, MoveDealStage, RestoreField, RestoreRecord, TagRecord, Timeline, TrashRecord,
    UntagRecord, UpdateCompany, UpdateDeal, UpdatePerson, UpdateTask,
};
use dealdesk_model::outbox::RestoreFieldValue;
use dealdesk_model::{
    ApiError, Company, CompanyPatch, CustomFieldDef, CustomFieldType, CustomValues, Deal, DealPatch, DealQuery,
    DealStatus, Money, MoveDeal, NewNote, NewTask, NoteQuery, Person, PersonPatch, PersonQuery, RecordKind, RecordRef,
    SetDealStatus, TagRequest, TaskPatch, TaskQuery, TaskStatus, TimelineEventKind,
};
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;

/// Saves an edited value; the answer says whether it was taken, or why not.
pub type Save = Callback<(String, Callback<Result<(), String>>)>;

fn save_with<T: 'static>(
    run: impl Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ApiError>>>> + 'static,
) -> Save {
    let run = std::rc::Rc::new(run);
    Callback::from(move |(value, done): (String, Callback<Result<(), String>>)| {
        let run = run.clone();
        wasm_bindgen_futures::spawn_local(async move {
            done.emit(run(value).await.map(|_| ()).map_err(|e| e.message));
        });
    })
}

#[derive(Properties, PartialEq)]
pub struct FieldRowProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: String,
    /// Not editable when absent.
    #[prop_or_default]
    pub save: Option<Save>,
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
}

/// A label and a value that turns into an input on click; Enter saves, Escape cancels, and a
/// refusal is shown under the input.
#[function_component(FieldRow)]
pub fn field_row(props: &FieldRowProps) -> Html {
    let editing = use_state(|| None::<String>);
    let error = use_state(|| None::<String>);
    let start = {
        let editing = editing.clone();
        let value = props.value.clone();
        let can = props.save.is_some();
        Callback::from(move |_| {
            if can {
                editing.set(Some(value.clone()));
            }
        })
    };
    let commit = {
        let editing = editing.clone();
        let error = error.clone();
        let save = props.save.clone();
        let original = props.value.clone();
        Callback::from(move |value: String| {
            let Some(save) = &save else { return };
            if value == original {
                editing.set(None);
                return;
            }
            let (editing, error) = (editing.clone(), error.clone());
            save.emit((
                value,
                Callback::from(move |result: Result<(), String>| match result {
                    Ok(()) => {
                        editing.set(None);
                        error.set(None);
                    }
                    Err(message) => error.set(Some(message)),
                }),
            ));
        })
    };
    html! {
        <div class="field-row" data-field={props.id.clone()}>
            <div class="field-row-label">{ props.label.clone() }</div>
            if let Some(value) = (*editing).clone() {
                <div class="field-row-edit">
                    <Input id={format!("edit-{}", props.id)} kind={props.kind.clone()} value={value} autofocus=true
                        error={(*error).clone().map(AttrValue::from)}
                        on_change={{ let editing = editing.clone(); let error = error.clone(); Callback::from(move |v| { error.set(None); editing.set(Some(v)); }) }}
                        on_enter={commit.clone()} />
                    <div class="field-row-buttons">
                        <Button small=true tone={Tone::Primary} onclick={{ let commit = commit.clone(); let editing = editing.clone(); Callback::from(move |_| commit.emit((*editing).clone().unwrap_or_default())) }}>{ "Save" }</Button>
                        <Button small=true tone={Tone::Ghost} onclick={{ let editing = editing.clone(); let error = error.clone(); Callback::from(move |_| { editing.set(None); error.set(None); }) }}>{ "Cancel" }</Button>
                    </div>
                </div>
            } else {
                <div class={classes!("field-row-value", props.save.is_some().then_some("editable"))} onclick={start} tabindex="0">
                    if props.value.is_empty() { <span class="muted">{ if props.save.is_some() { "Add…" } else { "—" } }</span> } else { { props.value.clone() } }
                </div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct RecordProps {
    pub id: Uuid,
}

#[derive(Properties, PartialEq)]
struct TagsProps {
    record: RecordRef,
    tags: Vec<String>,
}

#[function_component(TagsEditor)]
fn tags_editor(props: &TagsProps) -> Html {
    let text = use_state(String::new);
    let notifier = use_notifier();
    let add = {
        let record = props.record;
        let text = text.clone();
        let notifier = notifier.clone();
        Callback::from(move |tag: String| {
            if tag.trim().is_empty() {
                return;
            }
            text.set(String::new());
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = invoke::<TagRecord>(&TagRequest { record, tag }).await {
                    toast_error(&notifier, e);
                }
            });
        })
    };
    html! {
        <div class="tags-editor">
            { for props.tags.iter().map(|tag| {
                let record = props.record;
                let tag_name = tag.clone();
                let notifier = notifier.clone();
                html! {
                    <TagChip text={tag.clone()} on_remove={Callback::from(move |_| {
                        let request = TagRequest { record, tag: tag_name.clone() };
                        let notifier = notifier.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            if let Err(e) = invoke::<UntagRecord>(&request).await { toast_error(&notifier, e); }
                        });
                    })} />
                }
            }) }
            <div class="tag-input">
                <Input id="add-tag" value={(*text).clone()} placeholder="Add tag…"
                    on_change={{ let text = text.clone(); Callback::from(move |v| text.set(v)) }} on_enter={add} />
            </div>
        </div>
    }
}

fn toast_error(notifier: &Option<Notifier>, error: ApiError) {
    if let Some(n) = notifier {
        n.error(error.message);
    }
}

#[derive(Properties, PartialEq)]
struct PanelProps {
    record: RecordRef,
}

#[function_component(NotesPanel)]
fn notes_panel(props: &PanelProps) -> Html {
    let version = use_changes_of(RecordKind::Note);
    let notes = use_state(Vec::<dealdesk_model::Note>::new);
    let draft = use_state(String::new);
    let error = use_state(|| None::<String>);
    let own = use_changes_of(props.record.kind);
    {
        let notes = notes.clone();
        let record = props.record;
        use_effect_with((record, version, own), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let query = NoteQuery { record: Some(record), limit: Some(100), ..Default::default() };
                notes.set(invoke::<ListNotes>(&query).await.map(|p| p.items).unwrap_or_default());
            });
        });
    }
    let add = {
        let draft = draft.clone();
        let error = error.clone();
        let notes = notes.clone();
        let record = props.record;
        Callback::from(move |_| {
            let body = (*draft).clone();
            let (draft, error, notes) = (draft.clone(), error.clone(), notes.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<AddNote>(&NewNote { body, targets: vec![record] }).await {
                    Ok(note) => {
                        draft.set(String::new());
                        error.set(None);
                        let mut list = (*notes).clone();
                        list.insert(0, note);
                        notes.set(list);
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    html! {
        <div class="notes-panel">
            <div class="note-compose">
                <TextArea id="note-body" value={(*draft).clone()} rows={3} placeholder="Write a note (markdown)…"
                    error={(*error).clone().map(AttrValue::from)}
                    on_change={{ let draft = draft.clone(); Callback::from(move |v| draft.set(v)) }} />
                <Button small=true tone={Tone::Primary} id="add-note" disabled={draft.trim().is_empty()} onclick={add}>{ "Add note" }</Button>
            </div>
            if notes.is_empty() {
                <div class="muted">{ "No notes yet." }</div>
            }
            { for notes.iter().map(|note| {
                let html = Html::from_html_unchecked(AttrValue::from(to_safe_html(&note.body)));
                let record = RecordRef { kind: RecordKind::Note, id: note.id };
                html! {
                    <article class="note" key={note.id.to_string()}>
                        <div class="note-meta">
                            { format::relative(note.meta.created_at, format::now()) }
                            <button type="button" class="link-btn" onclick={Callback::from(move |_| {
                                wasm_bindgen_futures::spawn_local(async move { let _ = invoke::<TrashRecord>(&record).await; });
                            })}>{ "Delete" }</button>
                        </div>
                        <div class="markdown">{ html }</div>
                    </article>
                }
            }) }
        </div>
    }
}

#[function_component(TasksPanel)]
fn tasks_panel(props: &PanelProps) -> Html {
    let version = use_changes_of(RecordKind::Task);
    let tasks = use_state(Vec::<dealdesk_model::Task>::new);
    let title = use_state(String::new);
    let due = use_state(|| None::<NaiveDate>);
    let error = use_state(|| None::<String>);
    let reload = {
        let tasks = tasks.clone();
        let record = props.record;
        Callback::from(move |_: ()| {
            let tasks = tasks.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let query =
                    TaskQuery { record: Some(record), include_done: true, limit: Some(200), ..Default::default() };
                tasks.set(invoke::<ListTasks>(&query).await.map(|p| p.items).unwrap_or_default());
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((props.record, version), move |_| reload.emit(()));
    }
    let add = {
        let (title, due, error, reload) = (title.clone(), due.clone(), error.clone(), reload.clone());
        let record = props.record;
        Callback::from(move |_| {
            let request = NewTask {
                title: (*title).clone(),
                due_at: due.and_then(|d| d.and_hms_opt(12, 0, 0)).map(|t| t.and_utc()),
                targets: vec![record],
                ..Default::default()
            };
            let (title, error, reload) = (title.clone(), error.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<AddTask>(&request).await {
                    Ok(_) => {
                        title.set(String::new());
                        error.set(None);
                        reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let now = format::now();
    html! {
        <div class="tasks-panel">
            <div class="task-compose">
                <Input id="task-title" value={(*title).clone()} placeholder="New task…" error={(*error).clone().map(AttrValue::from)}
                    on_change={{ let title = title.clone(); Callback::from(move |v| title.set(v)) }}
                    on_enter={{ let add = add.clone(); Callback::from(move |_| add.emit(())) }} />
                <DatePicker id="task-due" value={*due} on_change={{ let due = due.clone(); Callback::from(move |d| due.set(d)) }} />
                <Button small=true id="add-task" disabled={title.trim().is_empty()} onclick={{ let add = add.clone(); Callback::from(move |_| add.emit(())) }}>{ "Add" }</Button>
            </div>
            if tasks.is_empty() { <div class="muted">{ "No tasks." }</div> }
            <ul class="task-list">
                { for tasks.iter().map(|task| {
                    let done = task.status == TaskStatus::Done;
                    let overdue = !done && task.due_at.is_some_and(|d| d < now);
                    let id = task.id;
                    let reload = reload.clone();
                    html! {
                        <li class={classes!("task", done.then_some("done"))} key={task.id.to_string()}>
                            <Checkbox checked={done} on_change={Callback::from(move |(checked, _): (bool, bool)| {
                                let status = if checked { TaskStatus::Done } else { TaskStatus::Todo };
                                let reload = reload.clone();
                                wasm_bindgen_futures::spawn_local(async move {
                                    let _ = invoke::<UpdateTask>(&(id, TaskPatch { status: Some(status), ..Default::default() })).await;
                                    reload.emit(());
                                });
                            })} />
                            <span class="task-title">{ task.title.clone() }</span>
                            if let Some(due) = task.due_at {
                                <Badge text={format!("due {}", due.date_naive())} tone={if overdue { BadgeTone::Danger } else { BadgeTone::Neutral }} />
                            }
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}

#[function_component(TimelinePanel)]
fn timeline_panel(props: &PanelProps) -> Html {
    let own = use_changes_of(props.record.kind);
    let notes = use_changes_of(RecordKind::Note);
    let tasks = use_changes_of(RecordKind::Task);
    let events = use_state(|| None::<Vec<dealdesk_model::TimelineEvent>>);
    {
        let events = events.clone();
        let record = props.record;
        use_effect_with((record, own, notes, tasks), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                events.set(Some(invoke::<Timeline>(&record).await.unwrap_or_default()));
            });
        });
    }
    let restoring = use_state(|| None::<(i64, String, serde_json::Value)>);
    let restore_error = use_state(|| None::<String>);
    let notifier = use_notifier();
    let Some(list) = &*events else {
        return html! { <Skeleton rows={4} /> };
    };
    let now = format::now();
    let restore = {
        let (restoring, restore_error, notifier, record) =
            (restoring.clone(), restore_error.clone(), notifier.clone(), props.record);
        Callback::from(move |_: ()| {
            let Some((seq, field, _)) = (*restoring).clone() else { return };
            let (restoring, restore_error, notifier) = (restoring.clone(), restore_error.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<RestoreField>(&RestoreFieldValue { record, seq }).await {
                    Ok(()) => {
                        restoring.set(None);
                        if let Some(n) = &notifier {
                            n.success(restored_text(&field));
                        }
                    }
                    Err(e) => restore_error.set(Some(e.message)),
                }
            });
        })
    };
    html! {
        <>
            <ol class="timeline" id="timeline">
                { for list.iter().map(|e| {
                    let restore_button = match &e.kind {
                        TimelineEventKind::FieldChanged { field, from, .. } if e.seq > 0 => {
                            let (restoring, restore_error) = (restoring.clone(), restore_error.clone());
                            let ask = (e.seq, field.clone(), from.clone());
                            html! {
                                <button type="button" class="link-btn timeline-restore" title="Put back the value before this change"
                                    aria-label={format!("Restore the value of {field} before this change")}
                                    onclick={Callback::from(move |_| { restore_error.set(None); restoring.set(Some(ask.clone())); })}>
                                    { "Restore" }
                                </button>
                            }
                        }
                        _ => html! {},
                    };
                    html! {
                        <li class="timeline-event" key={e.seq.to_string()} data-seq={e.seq.to_string()}>
                            <span class="timeline-dot" />
                            <span class="timeline-what">{ e.kind.describe() }</span>
                            <span class="timeline-when" title={e.at.to_rfc3339()}>
                                { format!("{} · {}", format::relative(e.at, now), e.source.as_str()) }
                                { restore_button }
                            </span>
                        </li>
                    }
                }) }
            </ol>
            if let Some((_, field, from)) = &*restoring {
                <ConfirmDialog title={format!("Restore {}?", field_label(Some(field)))} id="restore-dialog" confirm_id="restore-confirm"
                    confirm_label="Restore" error={(*restore_error).clone().map(AttrValue::from)} on_confirm={restore}
                    on_close={{ let r = restoring.clone(); Callback::from(move |_| r.set(None)) }}>
                    <p class="dialog-lead">{ restore_prompt(field, from) }</p>
                </ConfirmDialog>
            }
        </>
    }
}

/// Custom fields of a record as editable rows.
fn custom_rows(
    id_prefix: &str,
    defs: &[CustomFieldDef],
    values: &CustomValues,
    save: impl Fn(String, String) -> Save,
) -> Html {
    html! {
        { for defs.iter().map(|def| {
            let value = match values.get(&def.key) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            let label = match &def.field_type {
                CustomFieldType::Select { options } => format!("{} ({})", def.label, options.join(" / ")),
                _ => def.label.clone(),
            };
            let kind = match def.field_type { CustomFieldType::Date => "date", CustomFieldType::Number => "text", _ => "text" };
            html! { <FieldRow id={format!("{id_prefix}-custom-{}", def.key)} label={label} value={value} kind={kind} save={save(def.key.clone(), String::new())} /> }
        }) }
    }
}

fn custom_patch(key: String, value: String) -> CustomValues {
    let value = if value.trim().is_empty() { serde_json::Value::Null } else { serde_json::Value::String(value) };
    [(key, value)].into_iter().collect()
}

#[hook]
fn use_custom_fields(object: RecordKind) -> Vec<CustomFieldDef> {
    let defs = use_state(Vec::new);
    {
        let defs = defs.clone();
        use_effect_with(object, move |object| {
            let object = *object;
            wasm_bindgen_futures::spawn_local(async move {
                defs.set(invoke::<ListCustomFields>(&object).await.unwrap_or_default());
            });
        });
    }
    (*defs).clone()
}

/// Moves a record to the trash, offers Undo, and goes back to its list.
fn delete_button(record: RecordRef, name: String, back: Route) -> Html {
    html! { <DeleteButton {record} {name} {back} /> }
}

#[derive(Properties, PartialEq)]
struct DeleteProps {
    record: RecordRef,
    name: String,
    back: Route,
}

#[function_component(DeleteButton)]
fn delete_button_component(props: &DeleteProps) -> Html {
    let notifier = use_notifier();
    let navigator = use_navigator();
    let onclick = {
        let (record, name, back) = (props.record, props.name.clone(), props.back.clone());
        Callback::from(move |_| {
            let (notifier, navigator, name, back) = (notifier.clone(), navigator.clone(), name.clone(), back.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<TrashRecord>(&record).await {
                    Ok(()) => {
                        if let Some(n) = &notifier {
                            let n2 = n.clone();
                            let nav = navigator.clone();
                            n.with_action(
                                format!("Deleted {name}"),
                                "Undo",
                                Callback::from(move |_| {
                                    let n2 = n2.clone();
                                    let nav = nav.clone();
                                    wasm_bindgen_futures::spawn_local(async move {
                                        match invoke::<RestoreRecord>(&record).await {
                                            Ok(()) => {
                                                n2.success("Restored");
                                                if let (Some(nav), Some(route)) =
                                                    (nav, crate::shell::record_route(record))
                                                {
                                                    nav.push(&route);
                                                }
                                            }
                                            Err(e) => n2.error(e.message),
                                        }
                                    });
                                }),
                            );
                        }
                        if let Some(nav) = navigator {
                            nav.push(&back);
                        }
                    }
                    Err(e) => toast_error(&notifier, e),
                }
            });
        })
    };
    html! { <Button tone={Tone::Danger} small=true id="delete-record" {onclick}>{ "Delete" }</Button> }
}

fn side_panels(record: RecordRef) -> Html {
    html! {
        <TabsHost tabs={vec![(AttrValue::from("timeline"), AttrValue::from("Timeline")), (AttrValue::from("notes"), AttrValue::from("Notes")), (AttrValue::from("tasks"), AttrValue::from("Tasks"))]}>
            <TimelinePanel {record} />
            <NotesPanel {record} />
            <TasksPanel {record} />
        </TabsHost>
    }
}

/// The Whop card under a record; `whop` replaces the placeholder. (Contracts have their own card
/// on deal pages.)
fn integrations_with(whop: Option<Html>) -> Html {
    whop.unwrap_or_else(whop_placeholder)
}

/// The Whop card of a record without Whop data.
fn whop_placeholder() -> Html {
    html! {
        <Card title={AttrValue::from("Whop")} id="whop-card">
            <div class="muted">{ "Memberships and payments appear here once Whop is connected in Settings." }</div>
        </Card>
    }
}

fn integrations() -> Html {
    integrations_with(None)
}

#[function_component(PersonPage)]
pub fn person_page(props: &RecordProps) -> Html {
    let version = use_changes_of(RecordKind::Person);
    let person = use_state(|| None::<Result<Person, ApiError>>);
    let deals = use_state(Vec::<Deal>::new);
    let defs = use_custom_fields(RecordKind::Person);
    {
        let (person, deals) = (person.clone(), deals.clone());
        use_effect_with((props.id, version), move |(id, _)| {
            let id = *id;
            wasm_bindgen_futures::spawn_local(async move {
                person.set(Some(invoke::<GetPerson>(&id).await));
                let query = DealQuery { contact_id: Some(id), limit: Some(50), ..Default::default() };
                deals.set(invoke::<ListDeals>(&query).await.map(|p| p.items).unwrap_or_default());
            });
        });
    }
    let p = match &*person {
        None => return html! { <section class="page"><Skeleton rows={6} /></section> },
        Some(Err(e)) => return html! { <section class="page"><EmptyState title={e.message.clone()} /></section> },
        Some(Ok(p)) => p.clone(),
    };
    let id = p.id;
    let save = |field: &'static str| {
        save_with(move |value: String| {
            let mut patch = PersonPatch::default();
            match field {
                "first_name" => patch.first_name = Some(value),
                "last_name" => patch.last_name = Some(value),
                "email" => patch.email = Some(value),
                "phone" => patch.phone = Some(value),
                "job_title" => patch.job_title = Some(value),
                "city" => patch.city = Some(value),
                _ => patch.linkedin_url = Some(value),
            }
            Box::pin(async move { invoke::<UpdatePerson>(&(id, patch)).await })
        })
    };
    let set_company = Callback::from(move |choice: Option<(Uuid, String)>| {
        let patch = PersonPatch { company_id: Some(choice.map(|(c, _)| c)), ..Default::default() };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke::<UpdatePerson>(&(id, patch)).await;
        });
    });
    let record = RecordRef { kind: RecordKind::Person, id };
    let trashed = p.meta.deleted_at.is_some();
    html! {
        <section class="page record-page" id="person-page">
            <header class="page-header">
                <div class="avatar">{ p.full_name().chars().next().unwrap_or('?').to_string() }</div>
                <h1>{ p.full_name() }</h1>
                if trashed { <Badge text="In the trash" tone={BadgeTone::Danger} /> }
                <div class="spacer" />
                if !trashed { { delete_button(record, p.full_name(), Route::People) } }
            </header>
            <RecordConflicts {record} />
            <div class="record-layout">
                <div class="record-main">
                    <Card title={AttrValue::from("Details")}>
                        <FieldRow id="first_name" label="First name" value={p.first_name.clone()} save={save("first_name")} />
                        <FieldRow id="last_name" label="Last name" value={p.last_name.clone()} save={save("last_name")} />
                        <FieldRow id="email" label="Email" kind="email" value={p.email.clone().unwrap_or_default()} save={save("email")} />
                        <FieldRow id="phone" label="Phone" value={p.phone.clone().unwrap_or_default()} save={save("phone")} />
                        <FieldRow id="job_title" label="Job title" value={p.job_title.clone().unwrap_or_default()} save={save("job_title")} />
                        <FieldRow id="city" label="City" value={p.city.clone().unwrap_or_default()} save={save("city")} />
                        <FieldRow id="linkedin_url" label="LinkedIn" value={p.linkedin_url.clone().unwrap_or_default()} save={save("linkedin_url")} />
                        <div class="field-row">
                            <div class="field-row-label">{ "Company" }</div>
                            <Picker id="person-company" label="" kind={RecordKind::Company}
                                value={p.company_id.zip(p.company_name.clone())} on_change={set_company} />
                        </div>
                        { custom_rows("person", &defs, &p.custom, |key, _| save_with(move |value: String| {
                            let patch = PersonPatch { custom: custom_patch(key.clone(), value), ..Default::default() };
                            Box::pin(async move { invoke::<UpdatePerson>(&(id, patch)).await })
                        })) }
                        <div class="field-row">
                            <div class="field-row-label">{ "Tags" }</div>
                            <TagsEditor {record} tags={p.tags.clone()} />
                        </div>
                    </Card>
                    <AiCard key={id.to_string()} {record} email={p.email.clone()} />
                    <Card title={AttrValue::from("Deals")}>
                        if deals.is_empty() { <div class="muted">{ "Not the contact of any deal." }</div> }
                        { for deals.iter().map(related_deal) }
                        if let Some(company_id) = p.company_id {
                            <div class="related-line">{ "Works at " }<Link<Route> to={Route::Company { id: company_id }}>{ p.company_name.clone().unwrap_or_default() }</Link<Route>></div>
                        }
                    </Card>
                    { integrations_with(Some(html! { <WhopPersonCard person={id} /> })) }
                </div>
                <div class="record-side">{ side_panels(record) }</div>
            </div>
        </section>
    }
}

fn related_deal(d: &Deal) -> Html {
    html! {
        <div class="related-line">
            <Link<Route> to={Route::Deal { id: d.id }}>{ d.name.clone() }</Link<Route>>
            <span class="muted">{ format!(" · {} · {}", d.amount.display(), d.stage_name) }</span>
        </div>
    }
}

#[function_component(CompanyPage)]
pub fn company_page(props: &RecordProps) -> Html {
    let version = use_changes_of(RecordKind::Company);
    let people_version = use_changes_of(RecordKind::Person);
    let deals_version = use_changes_of(RecordKind::Deal);
    let company = use_state(|| None::<Result<Company, ApiError>>);
    let people = use_state(Vec::<Person>::new);
    let deals = use_state(Vec::<Deal>::new);
    let defs = use_custom_fields(RecordKind::Company);
    {
        let (company, people, deals) = (company.clone(), people.clone(), deals.clone());
        use_effect_with((props.id, version, people_version, deals_version), move |(id, ..)| {
            let id = *id;
            wasm_bindgen_futures::spawn_local(async move {
                company.set(Some(invoke::<GetCompany>(&id).await));
                let q = PersonQuery { company_id: Some(id), limit: Some(100), ..Default::default() };
                people.set(invoke::<ListPeople>(&q).await.map(|p| p.items).unwrap_or_default());
                let q = DealQuery { company_id: Some(id), limit: Some(100), ..Default::default() };
                deals.set(invoke::<ListDeals>(&q).await.map(|p| p.items).unwrap_or_default());
            });
        });
    }
    let c = match &*company {
        None => return html! { <section class="page"><Skeleton rows={6} /></section> },
        Some(Err(e)) => return html! { <section class="page"><EmptyState title={e.message.clone()} /></section> },
        Some(Ok(c)) => c.clone(),
    };
    let id = c.id;
    let save = |field: &'static str| {
        save_with(move |value: String| {
            let mut patch = CompanyPatch::default();
            match field {
                "name" => patch.name = Some(value),
                "domain" => patch.domain = Some(value),
                "address" => patch.address = Some(value),
                _ => patch.linkedin_url = Some(value),
            }
            Box::pin(async move { invoke::<UpdateCompany>(&(id, patch)).await })
        })
    };
    let record = RecordRef { kind: RecordKind::Company, id };
    let trashed = c.meta.deleted_at.is_some();
    html! {
        <section class="page record-page" id="company-page">
            <header class="page-header">
                <div class="avatar square">{ c.name.chars().next().unwrap_or('?').to_string() }</div>
                <h1>{ c.name.clone() }</h1>
                if c.icp { <Badge text="ICP" tone={BadgeTone::Accent} /> }
                if trashed { <Badge text="In the trash" tone={BadgeTone::Danger} /> }
                <div class="spacer" />
                if !trashed { { delete_button(record, c.name.clone(), Route::Companies) } }
            </header>
            <div class="record-layout">
                <div class="record-main">
                    <Card title={AttrValue::from("Details")}>
                        <FieldRow id="name" label="Name" value={c.name.clone()} save={save("name")} />
                        <FieldRow id="domain" label="Domain" value={c.domain.clone().unwrap_or_default()} save={save("domain")} />
                        <FieldRow id="address" label="Address" value={c.address.clone().unwrap_or_default()} save={save("address")} />
                        <FieldRow id="linkedin_url" label="LinkedIn" value={c.linkedin_url.clone().unwrap_or_default()} save={save("linkedin_url")} />
                        <FieldRow id="employees" label="Employees" value={c.employees.map(|e| e.to_string()).unwrap_or_default()} save={save_with(move |value: String| {
                            let parsed = value.trim().parse::<i64>().ok();
                            let patch = CompanyPatch { employees: Some(parsed), ..Default::default() };
                            Box::pin(async move { invoke::<UpdateCompany>(&(id, patch)).await })
                        })} />
                        <FieldRow id="arr" label="ARR" value={c.arr.as_ref().map(Money::display).unwrap_or_default()} />
                        <div class="field-row">
                            <div class="field-row-label">{ "Ideal customer" }</div>
                            <Checkbox checked={c.icp} on_change={Callback::from(move |(checked, _): (bool, bool)| {
                                let patch = CompanyPatch { icp: Some(checked), ..Default::default() };
                                wasm_bindgen_futures::spawn_local(async move { let _ = invoke::<UpdateCompany>(&(id, patch)).await; });
                            })} />
                        </div>
                        { custom_rows("company", &defs, &c.custom, |key, _| save_with(move |value: String| {
                            let patch = CompanyPatch { custom: custom_patch(key.clone(), value), ..Default::default() };
                            Box::pin(async move { invoke::<UpdateCompany>(&(id, patch)).await })
                        })) }
                        <div class="field-row">
                            <div class="field-row-label">{ "Tags" }</div>
                            <TagsEditor {record} tags={c.tags.clone()} />
                        </div>
                    </Card>
                    <AiCard key={id.to_string()} {record} />
                    <Card title={AttrValue::from(format!("People ({})", people.len()))}>
                        if people.is_empty() { <div class="muted">{ "Nobody here yet." }</div> }
                        { for people.iter().map(|p| html! {
                            <div class="related-line">
                                <Link<Route> to={Route::Person { id: p.id }}>{ p.full_name() }</Link<Route>>
                                <span class="muted">{ format!(" · {}", p.job_title.clone().or(p.email.clone()).unwrap_or_default()) }</span>
                            </div>
                        }) }
                    </Card>
                    <Card title={AttrValue::from(format!("Deals ({})", deals.len()))}>
                        if deals.is_empty() { <div class="muted">{ "No deals." }</div> }
                        { for deals.iter().map(related_deal) }
                    </Card>
                    { integrations() }
                </div>
                <div class="record-side">{ side_panels(record) }</div>
            </div>
        </section>
    }
}

#[function_component(DealPage)]
pub fn deal_page(props: &RecordProps) -> Html {
    let version = use_changes_of(RecordKind::Deal);
    let deal = use_state(|| None::<Result<Deal, ApiError>>);
    let pipelines = use_state(Vec::<dealdesk_model::Pipeline>::new);
    let lost_reason = use_state(String::new);
    let defs = use_custom_fields(RecordKind::Deal);
    let notifier = use_notifier();
    {
        let (deal, pipelines) = (deal.clone(), pipelines.clone());
        use_effect_with((props.id, version), move |(id, _)| {
            let id = *id;
            wasm_bindgen_futures::spawn_local(async move {
                deal.set(Some(invoke::<GetDeal>(&id).await));
                pipelines.set(invoke::<ListPipelines>(&()).await.unwrap_or_default());
            });
        });
    }
    let d = match &*deal {
        None => return html! { <section class="page"><Skeleton rows={6} /></section> },
        Some(Err(e)) => return html! { <section class="page"><EmptyState title={e.message.clone()} /></section> },
        Some(Ok(d)) => d.clone(),
    };
    let id = d.id;
    let currency = d.amount.currency.clone();
    let stages: Vec<(AttrValue, AttrValue)> = pipelines
        .iter()
        .find(|p| p.id == d.pipeline_id)
        .map(|p| p.stages.iter().map(|s| (AttrValue::from(s.name.clone()), AttrValue::from(s.name.clone()))).collect())
        .unwrap_or_default();
    let move_stage = {
        let notifier = notifier.clone();
        Callback::from(move |stage: String| {
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = invoke::<MoveDealStage>(&MoveDeal { deal_id: id, stage, position: None }).await {
                    toast_error(&notifier, e);
                }
            });
        })
    };
    let set_status = {
        let notifier = notifier.clone();
        Callback::from(move |(status, reason): (DealStatus, Option<String>)| {
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let request = SetDealStatus { deal_id: id, status, lost_reason: reason };
                if let Err(e) = invoke::<ChangeDealStatus>(&request).await {
                    toast_error(&notifier, e);
                }
            });
        })
    };
    let save_name = save_with(move |value: String| {
        let patch = DealPatch { name: Some(value), ..Default::default() };
        Box::pin(async move { invoke::<UpdateDeal>(&(id, patch)).await })
    });
    let save_amount = save_with(move |value: String| {
        let currency = currency.clone();
        Box::pin(async move {
            let amount = super::edited_money(&value, &currency)?;
            invoke::<UpdateDeal>(&(id, DealPatch { amount: Some(amount), ..Default::default() })).await
        })
    });
    let set_close = Callback::from(move |date: Option<NaiveDate>| {
        let patch = DealPatch { close_date: Some(date), ..Default::default() };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke::<UpdateDeal>(&(id, patch)).await;
        });
    });
    let set_company = Callback::from(move |choice: Option<(Uuid, String)>| {
        let patch = DealPatch { company_id: Some(choice.map(|(c, _)| c)), ..Default::default() };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke::<UpdateDeal>(&(id, patch)).await;
        });
    });
    let set_contact = Callback::from(move |choice: Option<(Uuid, String)>| {
        let patch = DealPatch { contact_id: Some(choice.map(|(c, _)| c)), ..Default::default() };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke::<UpdateDeal>(&(id, patch)).await;
        });
    });
    let record = RecordRef { kind: RecordKind::Deal, id };
    let (tone, status) = match d.status {
        DealStatus::Open => (BadgeTone::Neutral, "Open"),
        DealStatus::Won => (BadgeTone::Success, "Won"),
        DealStatus::Lost => (BadgeTone::Danger, "Lost"),
    };
    let trashed = d.meta.deleted_at.is_some();
    // Deals of the Whop memberships pipeline: the sync owns their stage and status.
    let from_whop = pipelines.iter().any(|p| p.id == d.pipeline_id && p.name == WHOP_PIPELINE);
    html! {
        <section class="page record-page" id="deal-page">
            <header class="page-header">
                <h1>{ d.name.clone() }</h1>
                <Badge text={status} {tone} />
                if from_whop { { whop_badge() } }
                if trashed { <Badge text="In the trash" tone={BadgeTone::Danger} /> }
                <div class="spacer" />
                if !from_whop {
                    if d.status == DealStatus::Open {
                        <Button small=true id="deal-won" onclick={{ let s = set_status.clone(); Callback::from(move |_| s.emit((DealStatus::Won, None))) }}>{ "Mark won" }</Button>
                    } else {
                        <Button small=true id="deal-reopen" onclick={{ let s = set_status.clone(); Callback::from(move |_| s.emit((DealStatus::Open, None))) }}>{ "Reopen" }</Button>
                    }
                }
                if !trashed { { delete_button(record, d.name.clone(), Route::Deals) } }
            </header>
            <RecordConflicts {record} />
            <div class="record-layout">
                <div class="record-main">
                    <Card title={AttrValue::from("Details")}>
                        <FieldRow id="name" label="Name" value={d.name.clone()} save={save_name} />
                        <FieldRow id="amount" label={format!("Amount ({})", d.amount.currency)} value={d.amount.amount_text()} save={save_amount} />
                        <div class="field-row">
                            <div class="field-row-label">{ "Stage" }</div>
                            if from_whop {
                                <div class="field-row-value whop-stage" id="deal-stage-whop">{ d.stage_name.clone() }{ " " }{ whop_badge() }</div>
                            } else {
                                <Select id="deal-stage" value={d.stage_name.clone()} options={stages} on_change={move_stage} />
                            }
                        </div>
                        if from_whop {
                            <div class="whop-note" id="whop-deal-note">{ "Stage and status follow the Whop membership; they change with sync." }</div>
                        }
                        <FieldRow id="probability" label="Probability" value={format!("{}%", d.probability)} />
                        <div class="field-row">
                            <div class="field-row-label">{ "Expected close" }</div>
                            <DatePicker id="deal-close" value={d.close_date} on_change={set_close} />
                        </div>
                        <div class="field-row">
                            <div class="field-row-label">{ "Company" }</div>
                            <Picker id="deal-company" label="" kind={RecordKind::Company} value={d.company_id.zip(d.company_name.clone())} on_change={set_company} />
                        </div>
                        <div class="field-row">
                            <div class="field-row-label">{ "Point of contact" }</div>
                            <Picker id="deal-contact" label="" kind={RecordKind::Person} value={d.contact_id.zip(d.contact_name.clone())} on_change={set_contact} />
                        </div>
                        if d.status == DealStatus::Lost {
                            <FieldRow id="lost_reason" label="Lost reason" value={d.lost_reason.clone().unwrap_or_default()} />
                        }
                        <FieldRow id="stage_entered" label="In this stage since" value={d.stage_entered_at.format("%Y-%m-%d").to_string()} />
                        { custom_rows("deal", &defs, &d.custom, |key, _| save_with(move |value: String| {
                            let patch = DealPatch { custom: custom_patch(key.clone(), value), ..Default::default() };
                            Box::pin(async move { invoke::<UpdateDeal>(&(id, patch)).await })
                        })) }
                        <div class="field-row">
                            <div class="field-row-label">{ "Tags" }</div>
                            <TagsEditor {record} tags={d.tags.clone()} />
                        </div>
                    </Card>
                    <AiCard key={id.to_string()} {record} contact={d.contact_id} />
                    <ContractsCard key={format!("contracts-{id}")} deal={id} contact={d.contact_id} contact_name={d.contact_name.clone()} />
                    if d.status == DealStatus::Open && !from_whop {
                        <Card title={AttrValue::from("Lost?")}>
                            <div class="inline-form">
                                <Input id="deal-lost-reason" value={(*lost_reason).clone()} placeholder="Why it was lost"
                                    on_change={{ let r = lost_reason.clone(); Callback::from(move |v| r.set(v)) }} />
                                <Button small=true tone={Tone::Danger} id="deal-lost" disabled={lost_reason.trim().is_empty()}
                                    onclick={{ let s = set_status.clone(); let r = lost_reason.clone(); Callback::from(move |_| s.emit((DealStatus::Lost, Some((*r).clone())))) }}>
                                    { "Mark lost" }
                                </Button>
                            </div>
                        </Card>
                    }
                    <Card title={AttrValue::from("Related")}>
                        if let Some(contact) = d.contact_id {
                            <div class="related-line">{ "Contact: " }<Link<Route> to={Route::Person { id: contact }}>{ d.contact_name.clone().unwrap_or_default() }</Link<Route>></div>
                        }
                        if let Some(company) = d.company_id {
                            <div class="related-line">{ "Company: " }<Link<Route> to={Route::Company { id: company }}>{ d.company_name.clone().unwrap_or_default() }</Link<Route>></div>
                        }
                        if d.contact_id.is_none() && d.company_id.is_none() { <div class="muted">{ "No contact or company yet." }</div> }
                    </Card>
                    // A Whop deal shows its membership; any other deal the placeholder (unless
                    // it does mirror a membership after all).
                    { integrations_with(Some(html! {
                        <WhopDealMembership deal={id} fallback={if from_whop { Html::default() } else { whop_placeholder() }} />
                    })) }
                </div>
                <div class="record-side">{ side_panels(record) }</div>
            </div>
        </section>
    }
}
