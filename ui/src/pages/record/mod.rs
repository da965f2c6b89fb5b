//! Record pages for a person, a company and a deal: editable fields (custom fields too), tags,
//! related records, the AI card, the timeline, notes (markdown) and tasks, and places for Whop and
//! contracts.

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
use crate::route::Route;
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

mod company;
mod deal;
mod panels;
mod person;

pub use company::CompanyPage;
pub use deal::DealPage;
use panels::{NotesPanel, TasksPanel, TimelinePanel};
pub use person::PersonPage;

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

fn related_deal(d: &Deal) -> Html {
    html! {
        <div class="related-line">
            <Link<Route> to={Route::Deal { id: d.id }}>{ d.name.clone() }</Link<Route>>
            <span class="muted">{ format!(" · {} · {}", d.amount.display(), d.stage_name) }</span>
        </div>
    }
}
