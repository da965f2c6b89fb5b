//! Automations (`/automations`): the workflows with their on/off switch, trigger, steps and last
//! run; the editor (trigger and its parameters, steps added, moved and removed, Save, Delete);
//! Run now (on a record picked when the steps need one); and the run history with each step's
//! input, output and error.

use crate::app::Route;
use crate::components::controls::{Button, Checkbox, Input, Select, Tone};
use crate::components::display::{Card, EmptyState, Skeleton};
use crate::components::hooks::{use_contracts_changes, use_workflows_changes};
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::{Notifier, use_notifier};
use crate::ipc::invoke;
use crate::pages::ai::tone_class;
use crate::shell::picker::Picker;
use crate::state::ai::record_text;
use crate::state::automation::{
    AutomationsAction, AutomationsView, StepDraft, StepEdit, StepKind, TRIGGER_KINDS, TriggerKind, WorkflowDraft,
    WorkflowEdit, last_run_text, needs_record, pretty_json, run_record_kind, run_status_label, run_times, run_tone,
    steps_text, toggled, trigger_record_kind,
};
use dealdesk_model::RecordKind;
use dealdesk_model::RecordRef;
use dealdesk_model::ai::AiAction;
use dealdesk_model::automation::{CompareOp, ConditionValue, RunWorkflow, RunsQuery, Workflow, WorkflowRun};
use dealdesk_model::contract::SignatureProviderKind;
use dealdesk_model::ipc::{
    ContractTemplatesList, ListPipelines, WorkflowDelete, WorkflowRunNow, WorkflowRuns, WorkflowSave, WorkflowsList,
};
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;

/// How many runs the history shows.
const RUNS_LIMIT: u32 = 50;

fn notify(notifier: &Option<Notifier>, result: Result<String, String>) {
    if let Some(n) = notifier {
        match result {
            Ok(text) => n.success(text),
            Err(text) => n.error(text),
        }
    }
}

fn load_workflows(dispatch: UseReducerDispatcher<AutomationsView>) {
    wasm_bindgen_futures::spawn_local(async move {
        dispatch.dispatch(AutomationsAction::Workflows(invoke::<WorkflowsList>(&()).await.map_err(|e| e.message)));
    });
}

fn load_runs(dispatch: UseReducerDispatcher<AutomationsView>, workflow: Option<Uuid>) {
    wasm_bindgen_futures::spawn_local(async move {
        let query = RunsQuery { workflow, limit: RUNS_LIMIT };
        dispatch.dispatch(AutomationsAction::Runs(invoke::<WorkflowRuns>(&query).await.map_err(|e| e.message)));
    });
}

fn options<T: Copy>(
    items: &[T],
    key: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> Vec<(AttrValue, AttrValue)> {
    items.iter().map(|i| (AttrValue::from(key(*i)), AttrValue::from(label(*i)))).collect()
}

/// A capitalised label: `lead score` → `Lead score`.
fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A Run now waiting for its record.
#[derive(Debug, Clone, PartialEq)]
struct RunAsk {
    workflow: Workflow,
    kind: RecordKind,
    record: Option<(Uuid, String)>,
    busy: bool,
    error: Option<String>,
}

#[function_component(AutomationsPage)]
pub fn automations_page() -> Html {
    let view = use_reducer(AutomationsView::default);
    let notifier = use_notifier();
    let changes = use_workflows_changes();
    let contract_changes = use_contracts_changes(None);
    let stages = use_state(Vec::<String>::new);
    let contract_templates = use_state(Vec::<String>::new);
    let add_kind = use_state(|| StepKind::Ai);
    let deleting = use_state(|| None::<(Uuid, String)>);
    let asking = use_state(|| None::<RunAsk>);
    {
        let dispatch = view.dispatcher();
        use_effect_with(changes, move |_| load_workflows(dispatch));
    }
    {
        let dispatch = view.dispatcher();
        use_effect_with((changes, view.runs_of), move |(_, of)| load_runs(dispatch, *of));
    }
    {
        let stages = stages.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let pipelines = invoke::<ListPipelines>(&()).await.unwrap_or_default();
                let mut names: Vec<String> = Vec::new();
                for stage in pipelines.into_iter().flat_map(|p| p.stages) {
                    if !names.iter().any(|n| n.eq_ignore_ascii_case(&stage.name)) {
                        names.push(stage.name);
                    }
                }
                stages.set(names);
            });
        });
    }
    {
        // The names a Send contract step can choose (a text field while they load, or without any).
        let contract_templates = contract_templates.clone();
        use_effect_with(contract_changes, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(list) = invoke::<ContractTemplatesList>(&()).await {
                    contract_templates.set(list.into_iter().map(|t| t.name).collect());
                }
            });
        });
    }

    let new_workflow = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(AutomationsAction::New))
    };
    let set_enabled = {
        let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
        Callback::from(move |(w, enabled): (Workflow, bool)| {
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<WorkflowSave>(&toggled(&w, enabled)).await {
                    Ok(saved) => {
                        let text =
                            format!("{} “{}”", if saved.enabled { "Switched on" } else { "Switched off" }, saved.name);
                        dispatch.dispatch(AutomationsAction::Updated(Box::new(saved)));
                        notify(&notifier, Ok(text));
                    }
                    Err(e) => notify(&notifier, Err(e.message)),
                }
            });
        })
    };
    let run_now = {
        let (dispatch, notifier, asking) = (view.dispatcher(), notifier.clone(), asking.clone());
        Callback::from(move |(w, record): (Workflow, Option<RecordRef>)| {
            let (dispatch, notifier, asking) = (dispatch.clone(), notifier.clone(), asking.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<WorkflowRunNow>(&RunWorkflow { workflow: w.id, record }).await {
                    Ok(run) => {
                        asking.set(None);
                        notify(&notifier, Ok(format!("Ran “{}”: {}", w.name, run_status_label(run.status))));
                        dispatch.dispatch(AutomationsAction::Ran(Box::new(run)));
                        load_workflows(dispatch);
                    }
                    Err(e) => {
                        notify(&notifier, Err(e.message.clone()));
                        if let Some(ask) = (*asking).clone() {
                            asking.set(Some(RunAsk { busy: false, error: Some(e.message), ..ask }));
                        }
                    }
                }
            });
        })
    };
    let start_run = {
        let (asking, run_now) = (asking.clone(), run_now.clone());
        Callback::from(move |w: Workflow| {
            if needs_record(&w.steps) {
                asking.set(Some(RunAsk {
                    kind: run_record_kind(&w),
                    workflow: w,
                    record: None,
                    busy: false,
                    error: None,
                }));
            } else {
                run_now.emit((w, None));
            }
        })
    };

    let list = match &view.workflows {
        None => html! { <Skeleton rows={4} /> },
        Some(Err(message)) => {
            html! { <div class="banner error" role="alert">{ format!("Cannot read the workflows: {message}") }</div> }
        }
        Some(Ok(list)) if list.is_empty() => html! {
            <EmptyState title="No workflows yet — New workflow" hint={AttrValue::from(
                "A workflow runs steps (AI actions, conditions, tasks, fields, tags, stages, contracts) when something happens: a record created or updated, a deal moving stage, a contract signed by everyone, a Whop event, a schedule, or Run now."
            )}>
                <div class="empty-action">
                    <Button tone={Tone::Primary} id="workflows-empty-new" onclick={new_workflow.clone()}>{ "New workflow" }</Button>
                </div>
            </EmptyState>
        },
        Some(Ok(list)) => html! {
            <table class="whop-table workflow-table" id="workflow-list">
                <thead><tr>
                    <th>{ "On" }</th><th>{ "Workflow" }</th><th>{ "Trigger" }</th><th class="num">{ "Steps" }</th>
                    <th>{ "Last run" }</th><th />
                </tr></thead>
                <tbody>
                    { for list.iter().map(|w| workflow_row(w, &view, &set_enabled, &start_run)) }
                </tbody>
            </table>
        },
    };

    let editor = view
        .editor
        .clone()
        .map(|draft| editor_view(&view, draft, &stages, &contract_templates, &add_kind, &deleting, notifier.clone()));
    let delete_dialog = (*deleting).clone().map(|(id, name)| {
        let lead = format!("“{name}” stops running and is removed. Its run history stays readable until it is cleaned up.");
        let confirm = {
            let (dispatch, notifier, deleting) = (view.dispatcher(), notifier.clone(), deleting.clone());
            Callback::from(move |_: ()| {
                let (dispatch, notifier, deleting, name) =
                    (dispatch.clone(), notifier.clone(), deleting.clone(), name.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    match invoke::<WorkflowDelete>(&id).await {
                        Ok(()) => {
                            deleting.set(None);
                            dispatch.dispatch(AutomationsAction::Deleted(id));
                            notify(&notifier, Ok(format!("Deleted “{name}”")));
                        }
                        Err(e) => notify(&notifier, Err(e.message)),
                    }
                });
            })
        };
        html! {
            <ConfirmDialog title="Delete this workflow?" id="workflow-delete-dialog" confirm_id="workflow-delete-confirm"
                confirm_label="Delete" danger=true on_confirm={confirm}
                on_close={{ let d = deleting.clone(); Callback::from(move |_| d.set(None)) }}>
                <p class="dialog-lead">{ lead }</p>
            </ConfirmDialog>
        }
    });
    let run_dialog = (*asking).clone().map(|ask| run_dialog(ask, &asking, &run_now));
    let filtered = view.runs_of.and_then(|id| view.workflow(id)).map(|w| w.name.clone());
    html! {
        <section class="page automations-page" id="automations-page">
            <header class="page-header">
                <h1>{ "Automations" }</h1>
                <div class="spacer" />
                <Button tone={Tone::Primary} id="workflow-new" onclick={new_workflow}>{ "New workflow" }</Button>
            </header>
            { editor.unwrap_or_default() }
            <Card title={AttrValue::from("Workflows")} id="workflows" class="workflows">{ list }</Card>
            <Card title={AttrValue::from(match &filtered { Some(name) => format!("Run history · {name}"), None => "Run history".to_string() })}
                id="workflow-runs" class="workflow-runs" actions={html! {
                    if view.runs_of.is_some() {
                        <Button small=true tone={Tone::Ghost} id="workflow-runs-all"
                            onclick={{ let d = view.dispatcher(); Callback::from(move |_| d.dispatch(AutomationsAction::RunsOf(None))) }}>
                            { "Show all workflows" }
                        </Button>
                    }
                }}>
                { runs_view(&view, view.dispatcher()) }
            </Card>
            { delete_dialog.unwrap_or_default() }
            { run_dialog.unwrap_or_default() }
        </section>
    }
}

fn workflow_row(
    w: &Workflow,
    view: &UseReducerHandle<AutomationsView>,
    set_enabled: &Callback<(Workflow, bool)>,
    start_run: &Callback<Workflow>,
) -> Html {
    let (toggle, run, open, history) = (set_enabled.clone(), start_run.clone(), view.dispatcher(), view.dispatcher());
    let (for_toggle, for_run, for_open, id) = (w.clone(), w.clone(), w.clone(), w.id);
    let editing = view.editor.as_ref().is_some_and(|d| d.id == Some(w.id));
    let status = w.last_run.as_ref().map(|r| r.status);
    html! {
        <tr class={classes!("workflow-row", editing.then_some("selected"))} key={w.id.to_string()} data-id={w.id.to_string()}
            data-enabled={w.enabled.to_string()}>
            <td class="workflow-enabled">
                <Checkbox id={AttrValue::from(format!("workflow-enabled-{}", w.id))} checked={w.enabled}
                    on_change={Callback::from(move |(on, _): (bool, bool)| toggle.emit((for_toggle.clone(), on)))} />
            </td>
            <td>
                <button type="button" class="link-btn workflow-open" onclick={Callback::from(move |_| open.dispatch(AutomationsAction::Open(Box::new(for_open.clone()))))}>
                    { w.name.clone() }
                </button>
            </td>
            <td class="workflow-trigger-text">{ w.trigger.describe() }</td>
            <td class="num workflow-steps-count">{ steps_text(w.steps.len()) }</td>
            <td class="workflow-last-run" data-status={status.map(|s| s.as_str())}>
                if let Some(s) = status {
                    <span class={classes!("badge", tone_class(run_tone(s)))}>{ s.as_str() }</span>{ " " }
                }
                <span class="muted">{ last_run_text(w.last_run.as_ref()) }</span>
                if let Some(error) = w.last_run.as_ref().and_then(|r| r.error.clone()) {
                    <div class="whop-error workflow-last-error">{ error }</div>
                }
            </td>
            <td class="row-buttons">
                <Button small=true class="workflow-run-now" aria_label={AttrValue::from(format!("Run “{}” now", w.name))}
                    onclick={Callback::from(move |_| run.emit(for_run.clone()))}>{ "Run now" }</Button>
                <Button small=true tone={Tone::Ghost} class="workflow-edit" aria_label={AttrValue::from(format!("Edit “{}”", w.name))}
                    onclick={{ let d = view.dispatcher(); let w = w.clone(); Callback::from(move |_| d.dispatch(AutomationsAction::Open(Box::new(w.clone())))) }}>{ "Edit" }</Button>
                <Button small=true tone={Tone::Ghost} class="workflow-history" aria_label={AttrValue::from(format!("Run history of “{}”", w.name))}
                    onclick={Callback::from(move |_| history.dispatch(AutomationsAction::RunsOf(Some(id))))}>{ "History" }</Button>
            </td>
        </tr>
    }
}

/// A callback that turns typed text into an editor change.
fn on_edit(
    dispatch: &UseReducerDispatcher<AutomationsView>,
    make: impl Fn(String) -> WorkflowEdit + 'static,
) -> Callback<String> {
    let dispatch = dispatch.clone();
    Callback::from(move |value: String| dispatch.dispatch(AutomationsAction::Edit(make(value))))
}

/// A stage chooser: the pipelines' stages (plus the current value), or a text field when there
/// are none; `any` adds an "Any stage" choice (empty).
fn stage_field(
    id: String,
    label: &'static str,
    value: &str,
    stages: &[String],
    any: bool,
    on_change: Callback<String>,
) -> Html {
    if stages.is_empty() {
        return html! {
            <Input id={id} label={AttrValue::from(label)} value={value.to_string()}
                placeholder={if any { "Any stage" } else { "Stage name" }} {on_change} />
        };
    }
    let mut choices: Vec<(AttrValue, AttrValue)> = Vec::new();
    if any {
        choices.push((AttrValue::from(""), AttrValue::from("Any stage")));
    } else if value.is_empty() {
        choices.push((AttrValue::from(""), AttrValue::from("Choose a stage…")));
    }
    if !value.is_empty() && !stages.iter().any(|s| s == value) {
        choices.push((AttrValue::from(value.to_string()), AttrValue::from(value.to_string())));
    }
    choices.extend(stages.iter().map(|s| (AttrValue::from(s.clone()), AttrValue::from(s.clone()))));
    html! { <Select id={id} label={AttrValue::from(label)} value={value.to_string()} options={choices} {on_change} /> }
}

/// The contract template a Send contract step sends: a select of the templates (keeping a name
/// no longer there), or a text field when there are none.
fn template_field(id: String, value: &str, templates: &[String], on_change: Callback<String>) -> Html {
    let label = AttrValue::from("Contract template");
    if templates.is_empty() {
        return html! { <Input {id} {label} value={value.to_string()} placeholder="Template name" {on_change} /> };
    }
    let mut choices: Vec<(AttrValue, AttrValue)> = Vec::new();
    if value.is_empty() {
        choices.push((AttrValue::from(""), AttrValue::from("Choose a template…")));
    } else if !templates.iter().any(|t| t == value) {
        choices.push((AttrValue::from(value.to_string()), AttrValue::from(format!("{value} (not found)"))));
    }
    choices.extend(templates.iter().map(|t| (AttrValue::from(t.clone()), AttrValue::from(t.clone()))));
    html! { <Select {id} {label} value={value.to_string()} options={choices} {on_change} /> }
}

fn editor_view(
    view: &UseReducerHandle<AutomationsView>,
    draft: WorkflowDraft,
    stages: &[String],
    templates: &[String],
    add_kind: &UseStateHandle<StepKind>,
    deleting: &UseStateHandle<Option<(Uuid, String)>>,
    notifier: Option<Notifier>,
) -> Html {
    let dispatch = view.dispatcher();
    let errors = &view.errors;
    let t = &draft.trigger;
    let save = {
        let (dispatch, draft) = (dispatch.clone(), draft.clone());
        Callback::from(move |_: MouseEvent| {
            let request = match draft.validate() {
                Ok(request) => request,
                Err(errors) => {
                    dispatch.dispatch(AutomationsAction::Invalid(errors));
                    return;
                }
            };
            dispatch.dispatch(AutomationsAction::Saving);
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<WorkflowSave>(&request).await {
                    Ok(saved) => {
                        notify(&notifier, Ok(format!("Saved “{}”", saved.name)));
                        dispatch.dispatch(AutomationsAction::Saved(Box::new(saved)));
                    }
                    Err(e) => {
                        notify(&notifier, Err(e.message.clone()));
                        dispatch.dispatch(AutomationsAction::SaveFailed(e.message));
                    }
                }
            });
        })
    };
    let trigger_options = options(&TriggerKind::ALL, TriggerKind::as_str, |k| k.label().to_string());
    let kind_options = options(&TRIGGER_KINDS, RecordKind::as_str, |k| capital(k.plural_label()));
    let describe = t.to_trigger().ok().map(|trigger| trigger.describe());
    let count = draft.steps.len();
    let add = {
        let (dispatch, add_kind) = (dispatch.clone(), add_kind.clone());
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(AutomationsAction::Edit(WorkflowEdit::AddStep(*add_kind)))
        })
    };
    let title = if draft.id.is_some() { "Edit workflow" } else { "New workflow" };
    html! {
        <Card title={AttrValue::from(title)} id="workflow-editor" class="workflow-editor">
            <div class="form-grid">
                <Input id="workflow-name" label={AttrValue::from("Name")} value={draft.name.clone()} placeholder="e.g. Score new leads"
                    error={errors.name.clone().map(AttrValue::from)} on_change={on_edit(&dispatch, WorkflowEdit::Name)} />
                <div class="workflow-enabled-edit">
                    <Checkbox id="workflow-enabled" checked={draft.enabled} label={AttrValue::from("Enabled: runs on its trigger")}
                        on_change={{ let d = dispatch.clone(); Callback::from(move |(on, _): (bool, bool)| d.dispatch(AutomationsAction::Edit(WorkflowEdit::Enabled(on)))) }} />
                </div>
            </div>
            <h4 class="whop-subhead">{ "When" }</h4>
            <div class="inline-form workflow-trigger" data-kind={t.kind.as_str()}>
                <Select id="workflow-trigger" label={AttrValue::from("Trigger")} value={t.kind.as_str()} options={trigger_options}
                    on_change={{ let d = dispatch.clone(); Callback::from(move |v: String| if let Some(k) = TriggerKind::parse(&v) { d.dispatch(AutomationsAction::Edit(WorkflowEdit::TriggerKind(k))) }) }} />
                if t.kind.has_record_kind() {
                    <Select id="workflow-trigger-kind" label={AttrValue::from("Records")} value={t.record_kind.as_str()} options={kind_options}
                        on_change={{ let d = dispatch.clone(); Callback::from(move |v: String| if let Some(k) = RecordKind::parse(&v) { d.dispatch(AutomationsAction::Edit(WorkflowEdit::TriggerRecordKind(k))) }) }} />
                }
                if t.kind == TriggerKind::RecordUpdated {
                    <Input id="workflow-trigger-field" label={AttrValue::from("Field (empty: any change)")} value={t.field.clone()}
                        placeholder="e.g. job_title" on_change={on_edit(&dispatch, WorkflowEdit::TriggerField)} />
                }
                if t.kind == TriggerKind::DealStageChanged {
                    { stage_field("workflow-trigger-stage".into(), "Stage", &t.stage, stages, true, on_edit(&dispatch, WorkflowEdit::TriggerStage)) }
                }
                if t.kind == TriggerKind::Schedule {
                    <Input id="workflow-trigger-every" label={AttrValue::from("Every (minutes)")} value={t.every_minutes.clone()}
                        on_change={on_edit(&dispatch, WorkflowEdit::TriggerEvery)} />
                }
            </div>
            if let Some(message) = &errors.trigger {
                <div class="field-error" id="workflow-trigger-error" role="alert">{ message.clone() }</div>
            } else if let Some(text) = describe {
                <div class="muted workflow-trigger-describe" id="workflow-trigger-describe">{ format!("Runs: {text}") }</div>
            }
            <h4 class="whop-subhead">{ "Then" }<span class="count">{ steps_text(count) }</span></h4>
            if let Some(message) = &errors.steps {
                <div class="field-error" id="workflow-steps-error" role="alert">{ message.clone() }</div>
            }
            if draft.steps.is_empty() {
                <div class="muted workflow-no-steps">{ "No steps yet — choose a kind of step below and Add step." }</div>
            }
            <ol class="workflow-steps" id="workflow-steps">
                { for draft.steps.iter().enumerate().map(|(i, step)| step_view(&dispatch, i, count, step, errors.step.get(&i), stages, templates)) }
            </ol>
            <div class="inline-form workflow-add">
                <Select id="workflow-add-step-kind" label={AttrValue::from("New step")} value={add_kind.as_str()}
                    options={options(&StepKind::ALL, StepKind::as_str, |k| k.label().to_string())}
                    on_change={{ let k = add_kind.clone(); Callback::from(move |v: String| if let Some(kind) = StepKind::parse(&v) { k.set(kind) }) }} />
                <Button id="workflow-add-step" onclick={add}>{ "Add step" }</Button>
            </div>
            if let Some(message) = &view.save_error {
                <div class="banner error" id="workflow-save-error" role="alert">{ message.clone() }</div>
            }
            if !errors.is_empty() {
                <div class="banner error" id="workflow-errors" role="alert">
                    <div>{ "Fix these first:" }</div>
                    <ul>{ for errors.messages().into_iter().map(|m| html! { <li>{ m }</li> }) }</ul>
                </div>
            }
            <div class="inline-form workflow-editor-buttons">
                <Button tone={Tone::Primary} id="workflow-save" disabled={view.saving} onclick={save}>
                    { if view.saving { "Saving…" } else { "Save" } }
                </Button>
                <Button tone={Tone::Ghost} id="workflow-cancel" onclick={{ let d = dispatch.clone(); Callback::from(move |_| d.dispatch(AutomationsAction::Close)) }}>
                    { if view.dirty() { "Discard changes" } else { "Close" } }
                </Button>
                <div class="spacer" />
                if let Some(id) = draft.id {
                    <Button tone={Tone::Danger} id="workflow-delete"
                        onclick={{ let d = deleting.clone(); let name = draft.name.clone(); Callback::from(move |_| d.set(Some((id, name.clone())))) }}>
                        { "Delete" }
                    </Button>
                }
            </div>
        </Card>
    }
}

fn step_view(
    dispatch: &UseReducerDispatcher<AutomationsView>,
    i: usize,
    count: usize,
    step: &StepDraft,
    error: Option<&String>,
    stages: &[String],
    templates: &[String],
) -> Html {
    let edit = |make: fn(String) -> StepEdit| on_edit(dispatch, move |v| WorkflowEdit::Step(i, make(v)));
    let send = |edit: WorkflowEdit| {
        let d = dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(AutomationsAction::Edit(edit.clone())))
    };
    let select = |parse: fn(&str) -> Option<StepEdit>| {
        let d = dispatch.clone();
        Callback::from(move |v: String| {
            if let Some(edit) = parse(&v) {
                d.dispatch(AutomationsAction::Edit(WorkflowEdit::Step(i, edit)));
            }
        })
    };
    let id = |name: &str| format!("step-{i}-{name}");
    let params = match step.kind {
        StepKind::Ai => html! {
            <>
                <Select id={id("action")} label={AttrValue::from("AI action")} value={step.action.as_str()}
                    options={options(&AiAction::ALL, AiAction::as_str, |a| a.label().to_string())}
                    on_change={select(|v| AiAction::parse(v).map(StepEdit::Action))} />
                <Input id={id("instructions")} label={AttrValue::from("Instructions (optional)")} value={step.instructions.clone()}
                    placeholder="e.g. Mention the spring offer" on_change={edit(StepEdit::Instructions)} />
            </>
        },
        StepKind::Condition => html! {
            <>
                <Select id={id("value")} label={AttrValue::from("If")} value={step.value.as_str()}
                    options={options(&ConditionValue::ALL, ConditionValue::as_str, |v| capital(v.label()))}
                    on_change={select(|v| ConditionValue::parse(v).map(StepEdit::Value))} />
                <Select id={id("op")} label={AttrValue::from("is")} value={step.op.as_str()}
                    options={options(&CompareOp::ALL, CompareOp::as_str, |o| o.symbol().to_string())}
                    on_change={select(|v| CompareOp::parse(v).map(StepEdit::Op))} />
                <Input id={id("threshold")} label={AttrValue::from("Threshold")} value={step.threshold.clone()} on_change={edit(StepEdit::Threshold)} />
                <span class="muted workflow-step-note">{ "Otherwise the run stops here." }</span>
            </>
        },
        StepKind::CreateTask => html! {
            <>
                <Input id={id("title")} label={AttrValue::from("Task title")} value={step.title.clone()} placeholder="e.g. Call back"
                    on_change={edit(StepEdit::Title)} />
                <Input id={id("due")} label={AttrValue::from("Due in days (empty: no date)")} value={step.due_in_days.clone()}
                    on_change={edit(StepEdit::DueInDays)} />
            </>
        },
        StepKind::UpdateField => html! {
            <>
                <Input id={id("field")} label={AttrValue::from("Field")} value={step.field.clone()} placeholder="job_title or a custom field key"
                    on_change={edit(StepEdit::Field)} />
                <Input id={id("field-value")} label={AttrValue::from("Value")} value={step.field_value.clone()} on_change={edit(StepEdit::FieldValue)} />
            </>
        },
        StepKind::AddTag => html! {
            <Input id={id("tag")} label={AttrValue::from("Tag")} value={step.tag.clone()} placeholder="e.g. hot" on_change={edit(StepEdit::Tag)} />
        },
        StepKind::MoveStage => {
            stage_field(id("stage"), "Move the deal to", &step.stage, stages, false, edit(StepEdit::Stage))
        }
        StepKind::SendContract => html! {
            <>
                { template_field(id("template"), &step.contract_template, templates, edit(StepEdit::ContractTemplate)) }
                <Select id={id("provider")} label={AttrValue::from("Send with")} value={step.contract_provider.as_str()}
                    options={options(&SignatureProviderKind::ALL, SignatureProviderKind::as_str, |p| p.label().to_string())}
                    on_change={select(|v| SignatureProviderKind::parse(v).map(StepEdit::ContractProvider))} />
                <span class="muted workflow-step-note">{ "Signed by the deal's contact." }</span>
            </>
        },
    };
    html! {
        <li class={classes!("workflow-step", error.is_some().then_some("invalid"))} key={i.to_string()} data-index={i.to_string()} data-kind={step.kind.as_str()}>
            <div class="workflow-step-head">
                <span class="workflow-step-number">{ i + 1 }</span>
                <Select id={id("kind")} value={step.kind.as_str()}
                    options={options(&StepKind::ALL, StepKind::as_str, |k| k.label().to_string())}
                    on_change={select(|v| StepKind::parse(v).map(StepEdit::Kind))} />
                <div class="spacer" />
                <Button small=true tone={Tone::Ghost} class="step-up" disabled={i == 0} title={AttrValue::from("Move up")}
                    aria_label={AttrValue::from(format!("Move step {} up", i + 1))} onclick={send(WorkflowEdit::MoveUp(i))}>{ "↑" }</Button>
                <Button small=true tone={Tone::Ghost} class="step-down" disabled={i + 1 == count} title={AttrValue::from("Move down")}
                    aria_label={AttrValue::from(format!("Move step {} down", i + 1))} onclick={send(WorkflowEdit::MoveDown(i))}>{ "↓" }</Button>
                <Button small=true tone={Tone::Ghost} class="step-remove" title={AttrValue::from("Remove")}
                    aria_label={AttrValue::from(format!("Remove step {}", i + 1))} onclick={send(WorkflowEdit::RemoveStep(i))}>{ "✕" }</Button>
            </div>
            <div class="inline-form workflow-step-params">{ params }</div>
            if let Some(message) = error {
                <div class="field-error workflow-step-error" role="alert">{ message.clone() }</div>
            }
        </li>
    }
}

fn run_dialog(
    ask: RunAsk,
    asking: &UseStateHandle<Option<RunAsk>>,
    run_now: &Callback<(Workflow, Option<RecordRef>)>,
) -> Html {
    let fixed = trigger_record_kind(&ask.workflow.trigger).is_some();
    let confirm = {
        let (asking, run_now, ask) = (asking.clone(), run_now.clone(), ask.clone());
        Callback::from(move |_: ()| match ask.record.clone() {
            Some((id, _)) => {
                asking.set(Some(RunAsk { busy: true, error: None, ..ask.clone() }));
                run_now.emit((ask.workflow.clone(), Some(RecordRef { kind: ask.kind, id })));
            }
            None => asking.set(Some(RunAsk {
                error: Some(format!("Choose a {} to run the workflow on", ask.kind.label().to_lowercase())),
                ..ask.clone()
            })),
        })
    };
    let set_kind = {
        let (asking, ask) = (asking.clone(), ask.clone());
        Callback::from(move |v: String| {
            if let Some(kind) = RecordKind::parse(&v) {
                asking.set(Some(RunAsk { kind, record: None, error: None, ..ask.clone() }));
            }
        })
    };
    let set_record = {
        let (asking, ask) = (asking.clone(), ask.clone());
        Callback::from(move |record: Option<(Uuid, String)>| {
            asking.set(Some(RunAsk { record, error: None, ..ask.clone() }))
        })
    };
    let kinds = options(&[RecordKind::Person, RecordKind::Company, RecordKind::Deal], RecordKind::as_str, |k| {
        k.label().to_string()
    });
    html! {
        <ConfirmDialog title={format!("Run “{}” now?", ask.workflow.name)} id="workflow-run-dialog" confirm_id="workflow-run-confirm"
            confirm_label="Run now" busy={ask.busy} error={ask.error.clone().map(AttrValue::from)} on_confirm={confirm}
            on_close={{ let a = asking.clone(); Callback::from(move |_| a.set(None)) }}>
            <p class="dialog-lead">{ format!("Its steps work on a record: choose the {} to run them on.", ask.kind.label().to_lowercase()) }</p>
            <div class="workflow-run-inputs">
                if !fixed {
                    <Select id="workflow-run-kind" label={AttrValue::from("Record kind")} value={ask.kind.as_str()} options={kinds} on_change={set_kind} />
                }
                <Picker key={ask.kind.as_str()} id="workflow-run-record" label={AttrValue::from(ask.kind.label())} kind={ask.kind}
                    value={ask.record.clone()} on_change={set_record} />
            </div>
        </ConfirmDialog>
    }
}

fn runs_view(view: &AutomationsView, dispatch: UseReducerDispatcher<AutomationsView>) -> Html {
    match &view.runs {
        None => html! { <Skeleton rows={3} /> },
        Some(Err(message)) => {
            html! { <div class="banner error" role="alert">{ format!("Cannot read the run history: {message}") }</div> }
        }
        Some(Ok(runs)) if runs.is_empty() => html! {
            <div class="muted" id="workflow-runs-empty">{ "No runs yet. A workflow runs on its trigger, or use Run now." }</div>
        },
        Some(Ok(runs)) => html! {
            <ul class="workflow-run-list">
                { for runs.iter().map(|run| run_item(run, view.expanded.contains(&run.id), &dispatch)) }
            </ul>
        },
    }
}

fn run_item(run: &WorkflowRun, open: bool, dispatch: &UseReducerDispatcher<AutomationsView>) -> Html {
    let id = run.id;
    let toggle = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(AutomationsAction::ToggleRun(id)))
    };
    let record = run.record.and_then(|r| crate::shell::record_route(r).map(|route| (r, route)));
    html! {
        <li class={classes!("workflow-run", open.then_some("open"))} key={run.id.to_string()} data-run={run.id.to_string()}
            data-status={run.status.as_str()} data-workflow={run.workflow_id.to_string()}>
            <div class="workflow-run-head">
                <span class={classes!("badge", tone_class(run_tone(run.status)))} title={run_status_label(run.status)}>{ run.status.as_str() }</span>
                <strong class="workflow-run-name">{ run.workflow_name.clone() }</strong>
                <span class="muted workflow-run-trigger">{ run.trigger.clone() }</span>
                if let Some((r, route)) = record {
                    <Link<Route> to={route} classes="workflow-run-record">{ record_text(&r) }</Link<Route>>
                }
                <span class="muted workflow-run-times">{ run_times(run) }</span>
                <Button small=true tone={Tone::Ghost} class="workflow-run-toggle" aria_label={AttrValue::from(format!("Steps of run {id}"))}
                    onclick={toggle}>
                    { if open { "Hide steps".to_string() } else { format!("Steps ({})", run.steps.len()) } }
                </Button>
            </div>
            if let Some(error) = &run.error {
                <div class="whop-error workflow-run-error">{ error.clone() }</div>
            }
            if open {
                <ol class="workflow-run-steps">
                    { for run.steps.iter().map(|s| html! {
                        <li class="workflow-run-step" key={s.index.to_string()} data-index={s.index.to_string()} data-status={s.status.as_str()}>
                            <div class="workflow-run-step-head">
                                <span class="workflow-step-number">{ s.index + 1 }</span>
                                <span>{ s.label.clone() }</span>
                                <span class={classes!("badge", tone_class(run_tone(s.status)))}>{ s.status.as_str() }</span>
                            </div>
                            <div class="step-io">
                                <div>
                                    <div class="prompt-rendered-label">{ "Input" }</div>
                                    <pre class="step-input">{ pretty_json(&s.input) }</pre>
                                </div>
                                <div>
                                    <div class="prompt-rendered-label">{ "Output" }</div>
                                    <pre class="step-output">{ pretty_json(&s.output) }</pre>
                                </div>
                            </div>
                            if let Some(error) = &s.error {
                                <div class="whop-error step-error">{ error.clone() }</div>
                            }
                        </li>
                    }) }
                    if run.steps.is_empty() { <li class="muted">{ "No steps ran." }</li> }
                </ol>
            }
        </li>
    }
}
