//! The workflow editor: trigger, conditions and steps.

use super::*;

/// A callback that turns typed text into an editor change.
pub(super) fn on_edit(
    dispatch: &UseReducerDispatcher<AutomationsView>,
    make: impl Fn(String) -> WorkflowEdit + 'static,
) -> Callback<String> {
    let dispatch = dispatch.clone();
    Callback::from(move |value: String| dispatch.dispatch(AutomationsAction::Edit(make(value))))
}

/// A stage chooser: the pipelines' stages (plus the current value), or a text field when there
/// are none; `any` adds an "Any stage" choice (empty).
pub(super) fn stage_field(
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
pub(super) fn template_field(id: String, value: &str, templates: &[String], on_change: Callback<String>) -> Html {
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

pub(super) fn editor_view(
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

pub(super) fn step_view(
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
        StepKind::RetryPayment => html! {
            <span class="muted workflow-step-note">
                { "Retries the person's newest failed Whop payment that Whop can retry; skipped when there is none." }
            </span>
        },
        StepKind::SendWhopMessage => {
            let toggle = |make: fn(bool) -> StepEdit| {
                let d = dispatch.clone();
                Callback::from(move |(on, _): (bool, bool)| {
                    d.dispatch(AutomationsAction::Edit(WorkflowEdit::Step(i, make(on))))
                })
            };
            let (label, placeholder) = if step.ai_draft {
                ("Instructions for the draft (optional)", "e.g. Offer help with the failed payment")
            } else {
                ("Message", "Hi {{person.first_name}}, …")
            };
            html! {
                <>
                    <TextArea id={id("message")} label={AttrValue::from(label)} value={step.message.clone()} rows={3}
                        placeholder={AttrValue::from(placeholder)} on_change={edit(StepEdit::Message)} />
                    <Checkbox id={AttrValue::from(id("ai-draft"))} checked={step.ai_draft}
                        label={AttrValue::from("AI drafts the message")} on_change={toggle(StepEdit::AiDraft)} />
                    <Checkbox id={AttrValue::from(id("hold"))} checked={step.hold_for_approval}
                        label={AttrValue::from("Hold for my approval")} on_change={toggle(StepEdit::HoldForApproval)} />
                    <span class="muted workflow-step-note">
                        { if step.hold_for_approval {
                            "Nothing is sent: the run stops and the message waits as a task on the person, to approve."
                        } else {
                            "Sent on Whop to the person (queued while offline)."
                        } }
                    </span>
                </>
            }
        }
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
