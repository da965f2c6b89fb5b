//! "Run a workflow…" on a churn segment: pick one of the workflows that run on a person, confirm
//! ("Run “Win back” on 12 people?"), then run it on each of the segment's people, one at a time
//! (`workflow_run`, the Automations screen's Run now), and say how it went in a toast. Customers
//! who are not people in Dealdesk are skipped, and the dialog and the toast say how many.

use crate::components::controls::{Button, Select, Tone};
use crate::components::display::{EmptyState, Skeleton};
use crate::components::overlay::{ConfirmDialog, Modal};
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::route::Route;
use crate::state::churn::{
    BatchOutcome, Targets, confirm_label, confirm_question, people_text, progress_text, runnable_workflows,
    skipped_text, workflow_option,
};
use dealdesk_model::automation::{RunWorkflow, Workflow};
use dealdesk_model::ipc::{WorkflowRunNow, WorkflowsList};
use dealdesk_model::revenue::{ChurnCustomer, ChurnSegment};
use dealdesk_model::{RecordKind, RecordRef};
use std::rc::Rc;
use uuid::Uuid;
use web_sys::HtmlElement;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RunProps {
    pub segment: ChurnSegment,
    pub customers: Rc<Vec<ChurnCustomer>>,
}

/// Where "Run a workflow…" is.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Closed,
    /// Choosing the workflow.
    Picking,
    /// Asking before running the chosen one.
    Confirming {
        id: Uuid,
        name: String,
    },
    /// Running it: `done` people so far.
    Running {
        name: String,
        done: usize,
    },
}

/// `#churn-run-workflow`, and its dialogs: `#churn-run-dialog` (the workflow `#churn-run-choice`,
/// Continue `#churn-run-next`), then `#churn-run-confirm-dialog` (Run `#churn-run-confirm`).
#[function_component(RunOnSegment)]
pub fn run_on_segment(props: &RunProps) -> Html {
    let stage = use_state(|| Stage::Closed);
    let workflows = use_state(|| None::<Result<Vec<Workflow>, String>>);
    let chosen = use_state(|| None::<Uuid>);
    let notifier = use_notifier();
    let targets = Targets::of(&props.customers);
    let open = {
        let (stage, workflows) = (stage.clone(), workflows.clone());
        Callback::from(move |_: MouseEvent| {
            stage.set(Stage::Picking);
            let workflows = workflows.clone();
            wasm_bindgen_futures::spawn_local(async move {
                workflows.set(Some(invoke::<WorkflowsList>(&()).await.map_err(|e| e.message)));
            });
        })
    };
    let close = {
        let stage = stage.clone();
        Callback::from(move |_: ()| {
            if !matches!(*stage, Stage::Running { .. }) {
                stage.set(Stage::Closed);
            }
        })
    };
    let offered: Vec<Workflow> = match &*workflows {
        Some(Ok(list)) => runnable_workflows(list).into_iter().cloned().collect(),
        _ => Vec::new(),
    };
    // The chosen workflow while it is still offered, else the first one.
    let choice = (*chosen).filter(|id| offered.iter().any(|w| w.id == *id)).or_else(|| offered.first().map(|w| w.id));
    let dialog = match &*stage {
        Stage::Closed => html! {},
        Stage::Picking => {
            let next = {
                let (stage, offered) = (stage.clone(), offered.clone());
                Callback::from(move |_: MouseEvent| {
                    if let Some(w) = choice.and_then(|id| offered.iter().find(|w| w.id == id)) {
                        stage.set(Stage::Confirming { id: w.id, name: w.name.clone() });
                    }
                })
            };
            let on_choose = {
                let chosen = chosen.clone();
                Callback::from(move |value: String| chosen.set(Uuid::parse_str(&value).ok()))
            };
            html! {
                <PickDialog segment={props.segment} workflows={(*workflows).clone()} offered={offered.clone()} {choice}
                    people={targets.people.len()} skipped={targets.skipped} {on_choose} on_next={next} on_close={close.clone()} />
            }
        }
        Stage::Confirming { .. } | Stage::Running { .. } => {
            let (name, workflow, running) = match &*stage {
                Stage::Confirming { id, name } => (name.clone(), Some(*id), None),
                Stage::Running { name, done } => (name.clone(), None, Some(*done)),
                Stage::Closed | Stage::Picking => (String::new(), None, None),
            };
            let confirm = {
                let (stage, notifier, targets, name) = (stage.clone(), notifier.clone(), targets.clone(), name.clone());
                Callback::from(move |_: ()| {
                    let Some(workflow) = workflow else { return };
                    stage.set(Stage::Running { name: name.clone(), done: 0 });
                    let (stage, notifier, targets, name) =
                        (stage.clone(), notifier.clone(), targets.clone(), name.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        let mut outcome = BatchOutcome::new(targets.skipped);
                        for (done, person) in targets.people.iter().enumerate() {
                            stage.set(Stage::Running { name: name.clone(), done });
                            let record = Some(RecordRef { kind: RecordKind::Person, id: *person });
                            let answer = invoke::<WorkflowRunNow>(&RunWorkflow { workflow, record }).await;
                            outcome.add(answer.map(|run| (run.status, run.error)).map_err(|e| e.message));
                        }
                        stage.set(Stage::Closed);
                        if let Some(n) = &notifier {
                            if outcome.is_error() {
                                n.error(outcome.text(&name))
                            } else {
                                n.success(outcome.text(&name))
                            }
                        }
                    });
                })
            };
            let people = targets.people.len();
            html! {
                <ConfirmDialog title={AttrValue::from(confirm_question(&name, people))} id="churn-run-confirm-dialog"
                    confirm_id="churn-run-confirm" confirm_label={confirm_label(people)} busy={running.is_some()}
                    busy_label={AttrValue::from(progress_text(running.unwrap_or(0), people))}
                    on_confirm={confirm} on_close={close.clone()}>
                    <p class="dialog-lead" id="churn-run-question">
                        { format!("“{name}” runs on each of the {} in “{}”, one after the other, as Run now does.",
                            people_text(people), props.segment.label()) }
                    </p>
                    if let Some(skipped) = skipped_text(targets.skipped) {
                        <p class="muted dialog-note" id="churn-run-skipped">{ skipped }</p>
                    }
                    <p class="muted dialog-note">{ "Each run shows in the workflow's run history on the Automations screen." }</p>
                </ConfirmDialog>
            }
        }
    };
    html! {
        <>
            <Button small=true id="churn-run-workflow" onclick={open} disabled={props.customers.is_empty()}
                aria_label={AttrValue::from(format!("Run a workflow on the people in {}", props.segment.label()))}>
                { "Run a workflow…" }
            </Button>
            { dialog }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct PickProps {
    segment: ChurnSegment,
    /// Every workflow, once read.
    workflows: Option<Result<Vec<Workflow>, String>>,
    /// Those that run on a person.
    offered: Vec<Workflow>,
    choice: Option<Uuid>,
    people: usize,
    skipped: usize,
    on_choose: Callback<String>,
    on_next: Callback<MouseEvent>,
    on_close: Callback<()>,
}

/// The first step: which workflow, and on whom.
#[function_component(PickDialog)]
fn pick_dialog(props: &PickProps) -> Html {
    let ready = !props.offered.is_empty();
    {
        // The choice has the focus once there is one (Escape still closes).
        use_effect_with(ready, move |ready| {
            if *ready {
                let select = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("churn-run-choice"))
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok());
                if let Some(select) = select {
                    let _ = select.focus();
                }
            }
        });
    }
    let back = props.on_close.reform(|_: MouseEvent| ());
    let can_go = ready && props.people > 0 && props.choice.is_some();
    let footer = html! {
        <>
            <button type="button" class="btn ghost" onclick={back}>{ "Back" }</button>
            <Button tone={Tone::Primary} id="churn-run-next" disabled={!can_go} onclick={props.on_next.clone()}>{ "Continue" }</Button>
        </>
    };
    let body = match &props.workflows {
        None => html! { <Skeleton rows={2} /> },
        Some(Err(message)) => html! {
            <div class="banner error" role="alert">{ format!("Cannot read the workflows: {message}") }</div>
        },
        Some(Ok(_)) if !ready => html! {
            <div id="churn-run-none">
                <EmptyState title={AttrValue::from("No workflow runs on people yet")}
                    hint={AttrValue::from("Make one on the Automations screen: a manual trigger, then steps such as Create task, Add tag or an AI action.")}>
                    <div class="empty-action">
                        <Link<Route> to={Route::Automations} classes="btn">{ "Open Automations" }</Link<Route>>
                    </div>
                </EmptyState>
            </div>
        },
        Some(Ok(_)) => {
            let options: Vec<(AttrValue, AttrValue)> = props
                .offered
                .iter()
                .map(|w| (AttrValue::from(w.id.to_string()), AttrValue::from(workflow_option(w))))
                .collect();
            let value = AttrValue::from(props.choice.map(|id| id.to_string()).unwrap_or_default());
            html! {
                <>
                    <Select id="churn-run-choice" label={AttrValue::from("Workflow")} {value} {options}
                        on_change={props.on_choose.clone()} />
                    if props.people == 0 {
                        <p class="banner warning" id="churn-run-nobody" role="status">
                            { "None of these customers is a person in Dealdesk yet, so there is no one to run it on." }
                        </p>
                    } else {
                        <p class="dialog-note">
                            { format!("It runs on each of the {} in “{}”, after you confirm.", people_text(props.people), props.segment.label()) }
                        </p>
                    }
                    if let Some(skipped) = skipped_text(props.skipped) {
                        <p class="muted dialog-note">{ skipped }</p>
                    }
                </>
            }
        }
    };
    html! {
        <Modal title={AttrValue::from(format!("Run a workflow on “{}”", props.segment.label()))} id="churn-run-dialog"
            on_close={props.on_close.clone()} {footer}>
            { body }
        </Modal>
    }
}
