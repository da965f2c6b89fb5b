//! Run now and the run history.

use super::*;

pub(super) fn run_dialog(
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

pub(super) fn runs_view(view: &AutomationsView, dispatch: UseReducerDispatcher<AutomationsView>) -> Html {
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

pub(super) fn run_item(run: &WorkflowRun, open: bool, dispatch: &UseReducerDispatcher<AutomationsView>) -> Html {
    let id = run.id;
    let toggle = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(AutomationsAction::ToggleRun(id)))
    };
    let record = run.record.and_then(|r| crate::shell::record_route(r).map(|route| (r, route)));
    // The screen-reader name starts with the button's text (WCAG 2.5.3).
    let toggle_text = if open { "Hide steps".to_string() } else { format!("Steps ({})", run.steps.len()) };
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
                <Button small=true tone={Tone::Ghost} class="workflow-run-toggle" aria_label={AttrValue::from(format!("{toggle_text} of run {id}"))}
                    onclick={toggle}>
                    { toggle_text.clone() }
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
