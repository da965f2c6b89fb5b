//! Automations (`/automations`): the workflows with their on/off switch, trigger, steps and last
//! run; the editor (trigger and its parameters, steps added, moved and removed, Save, Delete);
//! Run now (on a record picked when the steps need one); and the run history with each step's
//! input, output and error.

use crate::components::controls::{Button, Checkbox, Input, Select, TextArea, Tone};
use crate::components::display::{Card, EmptyState, Skeleton};
use crate::components::hooks::{use_contracts_changes, use_workflows_changes};
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::{Notifier, use_notifier};
use crate::ipc::invoke;
use crate::pages::ai::tone_class;
use crate::route::Route;
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

mod editor;
mod runs;

use editor::*;
use runs::*;

/// How many runs the history shows.
const RUNS_LIMIT: u32 = 50;

use crate::components::toasts::notify;

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
                    aria_label={AttrValue::from(format!("Enabled: {}", w.name))}
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
                <Button small=true class="workflow-run-now" aria_label={AttrValue::from(format!("Run now: “{}”", w.name))}
                    onclick={Callback::from(move |_| run.emit(for_run.clone()))}>{ "Run now" }</Button>
                <Button small=true tone={Tone::Ghost} class="workflow-edit" aria_label={AttrValue::from(format!("Edit “{}”", w.name))}
                    onclick={{ let d = view.dispatcher(); let w = w.clone(); Callback::from(move |_| d.dispatch(AutomationsAction::Open(Box::new(w.clone())))) }}>{ "Edit" }</Button>
                <Button small=true tone={Tone::Ghost} class="workflow-history" aria_label={AttrValue::from(format!("Run history of “{}”", w.name))}
                    onclick={Callback::from(move |_| history.dispatch(AutomationsAction::RunsOf(Some(id))))}>{ "History" }</Button>
            </td>
        </tr>
    }
}
