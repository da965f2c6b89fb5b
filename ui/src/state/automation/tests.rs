use super::*;
use dealdesk_model::automation::StepRun;
use serde_json::{Map, Number};

fn workflow(trigger: Trigger, steps: Vec<WorkflowStep>) -> Workflow {
    Workflow {
        id: Uuid::from_u128(1),
        name: "Hot leads".into(),
        enabled: true,
        trigger,
        steps,
        created_at: "2026-11-26T10:00:00Z".into(),
        updated_at: "2026-11-26T10:00:00Z".into(),
        last_run: None,
    }
}

fn full_steps() -> Vec<WorkflowStep> {
    vec![
        WorkflowStep::Ai { action: AiAction::ScoreLead, instructions: Some("Focus on budget".into()) },
        WorkflowStep::Condition { value: ConditionValue::LeadScore, op: CompareOp::Gte, threshold: 70.0 },
        WorkflowStep::CreateTask { title: "Call them".into(), due_in_days: Some(2) },
        WorkflowStep::CreateTask { title: "Send deck".into(), due_in_days: None },
        WorkflowStep::UpdateField { field: "job_title".into(), value: "Lead".into() },
        WorkflowStep::AddTag { tag: "hot".into() },
    ]
}

#[test]
fn drafts_round_trip_every_trigger_and_step() {
    let triggers = [
        Trigger::RecordCreated { kind: RecordKind::Company },
        Trigger::RecordUpdated { kind: RecordKind::Person, field: Some("job_title".into()) },
        Trigger::RecordUpdated { kind: RecordKind::Person, field: None },
        Trigger::DealStageChanged { stage: Some("Won".into()) },
        Trigger::DealStageChanged { stage: None },
        Trigger::WhopMembershipActivated,
        Trigger::WhopMembershipCancelled,
        Trigger::WhopPaymentSucceeded,
        Trigger::ContractCompleted,
        Trigger::Schedule { every_minutes: 30, kind: RecordKind::Person },
        Trigger::Manual,
    ];
    for trigger in triggers {
        let w = workflow(trigger.clone(), full_steps());
        let save = WorkflowDraft::of(&w).validate().unwrap();
        assert_eq!(save, toggled(&w, true), "{trigger:?}");
    }
    let deal = workflow(
        Trigger::DealStageChanged { stage: None },
        vec![
            WorkflowStep::MoveStage { stage: "Won".into() },
            WorkflowStep::Condition { value: ConditionValue::DealAmount, op: CompareOp::Gt, threshold: 1000.5 },
            WorkflowStep::SendContract { template: "NDA".into(), provider: SignatureProviderKind::DropboxSign },
        ],
    );
    assert_eq!(WorkflowDraft::of(&deal).validate().unwrap().steps, deal.steps);
    for kind in TriggerKind::ALL {
        assert_eq!(TriggerKind::parse(kind.as_str()), Some(kind));
    }
    for kind in StepKind::ALL {
        assert_eq!(StepKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn the_editor_adds_moves_and_removes_steps() {
    let d = WorkflowDraft::default()
        .apply(WorkflowEdit::Name("Score new people".into()))
        .apply(WorkflowEdit::AddStep(StepKind::Ai))
        .apply(WorkflowEdit::AddStep(StepKind::Condition))
        .apply(WorkflowEdit::AddStep(StepKind::AddTag))
        .apply(WorkflowEdit::Step(2, StepEdit::Tag("hot".into())));
    assert_eq!(
        d.steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
        [StepKind::Ai, StepKind::Condition, StepKind::AddTag]
    );
    let moved = d.apply(WorkflowEdit::MoveUp(2)).apply(WorkflowEdit::MoveDown(0));
    assert_eq!(
        moved.steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
        [StepKind::AddTag, StepKind::Ai, StepKind::Condition]
    );
    // Out-of-range moves do nothing.
    assert_eq!(moved.apply(WorkflowEdit::MoveUp(0)), moved);
    assert_eq!(moved.apply(WorkflowEdit::MoveDown(2)), moved);
    assert_eq!(moved.apply(WorkflowEdit::RemoveStep(9)), moved);
    let removed = moved.apply(WorkflowEdit::RemoveStep(0));
    assert_eq!(removed.steps.len(), 2);
    let save = d.validate().unwrap();
    assert_eq!(save.name, "Score new people");
    assert_eq!(save.trigger, Trigger::RecordCreated { kind: RecordKind::Person });
    assert_eq!(
        save.steps,
        vec![
            WorkflowStep::Ai { action: AiAction::ScoreLead, instructions: None },
            WorkflowStep::Condition { value: ConditionValue::LeadScore, op: CompareOp::Gte, threshold: 70.0 },
            WorkflowStep::AddTag { tag: "hot".into() },
        ]
    );
    // Switching what a condition tests proposes a threshold in the new range.
    let c = d.apply(WorkflowEdit::Step(1, StepEdit::Value(ConditionValue::SentimentScore)));
    assert_eq!(c.steps[1].threshold, "0");
    // Switching a step's kind keeps what was typed for the other kind.
    let k = d
        .apply(WorkflowEdit::Step(2, StepEdit::Kind(StepKind::MoveStage)))
        .apply(WorkflowEdit::Step(2, StepEdit::Kind(StepKind::AddTag)));
    assert_eq!(k.steps[2].tag, "hot");
}

#[test]
fn validation_names_the_problem() {
    let e = WorkflowDraft::default().validate().unwrap_err();
    assert_eq!(e.name.as_deref(), Some("Name the workflow"));
    assert_eq!(e.steps.as_deref(), Some("Add at least one step"));
    let mut d = WorkflowDraft { name: "x".into(), ..Default::default() };
    d.trigger = TriggerDraft { kind: TriggerKind::Schedule, every_minutes: "0".into(), ..Default::default() };
    for kind in StepKind::ALL {
        d = d.apply(WorkflowEdit::AddStep(kind));
    }
    d = d.apply(WorkflowEdit::Step(1, StepEdit::Threshold("120".into())));
    d = d.apply(WorkflowEdit::Step(2, StepEdit::Title("Call".into())));
    d = d.apply(WorkflowEdit::Step(2, StepEdit::DueInDays("-1".into())));
    d = d.apply(WorkflowEdit::Step(3, StepEdit::Field("job title".into())));
    let e = d.validate().unwrap_err();
    assert_eq!(e.trigger.as_deref(), Some("“0” is not a number of minutes from 1 to 10080 (a week)"));
    assert_eq!(e.step[&1], "Step 2 (Condition): the threshold “120” is not a lead score from 0 to 100");
    assert!(e.step[&2].starts_with("Step 3 (Create task): “-1” is not a number of days from 0 to 3650"));
    assert!(e.step[&3].contains("“job title” is not a field name"));
    assert_eq!(e.step[&4], "Step 5 (Add tag): enter the tag to add");
    assert_eq!(e.step[&5], "Step 6 (Move deal stage): choose the stage to move the deal to");
    assert_eq!(e.step[&6], "Step 7 (Send contract): choose the contract template to send");
    assert!(!e.step.contains_key(&7), "retrying a payment needs nothing more");
    assert_eq!(e.step[&8], "Step 9 (Send Whop message): write the message, or let AI draft it");
    assert!(!e.step.contains_key(&0));
    assert_eq!(e.messages().len(), 8);
    // Deal-only steps on a trigger about people.
    let d = d
        .apply(WorkflowEdit::TriggerEvery("15".into()))
        .apply(WorkflowEdit::Step(1, StepEdit::Threshold("80".into())))
        .apply(WorkflowEdit::Step(2, StepEdit::DueInDays("".into())))
        .apply(WorkflowEdit::Step(3, StepEdit::Field("job_title".into())))
        .apply(WorkflowEdit::Step(4, StepEdit::Tag("hot".into())))
        .apply(WorkflowEdit::Step(5, StepEdit::Stage("Won".into())))
        .apply(WorkflowEdit::Step(6, StepEdit::ContractTemplate(" NDA ".into())))
        .apply(WorkflowEdit::Step(6, StepEdit::ContractProvider(SignatureProviderKind::DropboxSign)))
        .apply(WorkflowEdit::Step(8, StepEdit::Message("Hi {{person.first_name}}".into())));
    let e = d.validate().unwrap_err();
    assert_eq!(
        e.messages(),
        vec![
            "Step 6 (Move deal stage): only deals have this, and the workflow runs on people",
            "Step 7 (Send contract): only deals have this, and the workflow runs on people",
        ]
    );
    let ok = d.apply(WorkflowEdit::TriggerRecordKind(RecordKind::Deal)).validate().unwrap();
    assert_eq!(ok.trigger, Trigger::Schedule { every_minutes: 15, kind: RecordKind::Deal });
    assert_eq!(
        ok.steps[6],
        WorkflowStep::SendContract { template: "NDA".into(), provider: SignatureProviderKind::DropboxSign }
    );
    let sentiment = StepDraft {
        value: ConditionValue::SentimentScore,
        threshold: "-0.5".into(),
        ..StepDraft::new(StepKind::Condition)
    };
    assert!(sentiment.to_step().is_ok());
    let nan = StepDraft { threshold: "NaN".into(), ..sentiment.clone() };
    assert!(nan.to_step().is_err());
    let empty = StepDraft { threshold: " ".into(), ..sentiment };
    assert_eq!(empty.to_step().unwrap_err(), "enter a threshold: a sentiment score from -1 to 1");
    let field = TriggerDraft { kind: TriggerKind::RecordUpdated, field: "a-b".into(), ..Default::default() };
    assert!(field.to_trigger().unwrap_err().contains("not a field name"));
}

#[test]
fn contract_trigger_and_step_convert_and_check() {
    // Draft → model → draft, for every provider.
    for provider in SignatureProviderKind::ALL {
        let step = WorkflowStep::SendContract { template: "Service agreement".into(), provider };
        let draft = StepDraft::of(&step);
        assert_eq!(draft.kind, StepKind::SendContract);
        assert_eq!((draft.contract_template.as_str(), draft.contract_provider), ("Service agreement", provider));
        assert_eq!(draft.to_step().unwrap(), step);
        assert_eq!(StepDraft::of(&draft.to_step().unwrap()), draft);
        assert_eq!(SignatureProviderKind::parse(provider.as_str()), Some(provider));
    }
    let trigger = TriggerDraft::of(&Trigger::ContractCompleted);
    assert_eq!(trigger.kind, TriggerKind::ContractCompleted);
    assert!(!trigger.kind.has_record_kind());
    assert_eq!(trigger.to_trigger().unwrap(), Trigger::ContractCompleted);
    assert_eq!(trigger_record_kind(&Trigger::ContractCompleted), Some(RecordKind::Deal));
    // Built in the editor: a new step proposes the first provider; the name is trimmed.
    let d = WorkflowDraft { name: "Kick-off".into(), ..Default::default() }
        .apply(WorkflowEdit::TriggerKind(TriggerKind::ContractCompleted))
        .apply(WorkflowEdit::AddStep(StepKind::SendContract));
    assert_eq!(d.steps[0].contract_provider, SignatureProviderKind::ALL[0]);
    let e = d.validate().unwrap_err();
    assert_eq!(e.messages(), vec!["Step 1 (Send contract): choose the contract template to send"]);
    let blank = d.apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate("   ".into())));
    assert_eq!(blank.steps[0].to_step().unwrap_err(), "choose the contract template to send");
    let long = d.apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate("x".repeat(MAX_TEMPLATE_NAME + 1))));
    assert_eq!(long.steps[0].to_step().unwrap_err(), "a template name has at most 100 characters");
    let longest = d.apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate("é".repeat(MAX_TEMPLATE_NAME))));
    assert!(longest.steps[0].to_step().is_ok());
    let ok = d
        .apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate(" NDA ".into())))
        .apply(WorkflowEdit::Step(0, StepEdit::ContractProvider(SignatureProviderKind::DropboxSign)))
        .validate()
        .unwrap();
    assert_eq!(ok.trigger, Trigger::ContractCompleted);
    assert_eq!(
        ok.steps,
        vec![WorkflowStep::SendContract { template: "NDA".into(), provider: SignatureProviderKind::DropboxSign }]
    );
    // Only deals get contracts: on a trigger about people the step is refused.
    let people = d
        .apply(WorkflowEdit::TriggerKind(TriggerKind::WhopPaymentSucceeded))
        .apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate("NDA".into())));
    assert_eq!(
        people.validate().unwrap_err().messages(),
        vec!["Step 1 (Send contract): only deals have this, and the workflow runs on people"]
    );
    // Run now on a manual workflow that sends a contract asks for a deal.
    let manual = workflow(Trigger::Manual, ok.steps.clone());
    assert!(needs_record(&manual.steps));
    assert_eq!(run_record_kind(&manual), RecordKind::Deal);
    assert_eq!(run_record_kind(&workflow(Trigger::ContractCompleted, full_steps())), RecordKind::Deal);
}

#[test]
fn run_now_asks_for_the_right_record() {
    let w = workflow(Trigger::Manual, full_steps());
    assert!(needs_record(&w.steps));
    assert_eq!(run_record_kind(&w), RecordKind::Person);
    let tasks =
        workflow(Trigger::Manual, vec![WorkflowStep::CreateTask { title: "Weekly review".into(), due_in_days: None }]);
    assert!(!needs_record(&tasks.steps));
    let deal = workflow(Trigger::Manual, vec![WorkflowStep::MoveStage { stage: "Won".into() }]);
    assert_eq!(run_record_kind(&deal), RecordKind::Deal);
    let company = workflow(Trigger::RecordCreated { kind: RecordKind::Company }, full_steps());
    assert_eq!(run_record_kind(&company), RecordKind::Company);
    let whop = workflow(Trigger::WhopPaymentSucceeded, full_steps());
    assert_eq!(run_record_kind(&whop), RecordKind::Person);
}

#[test]
fn texts_for_the_list_and_history() {
    assert_eq!(steps_text(1), "1 step");
    assert_eq!(steps_text(3), "3 steps");
    assert_eq!(last_run_text(None), "Never run");
    let summary = WorkflowRunSummary {
        id: 1,
        status: RunStatus::Failed,
        started_at: "2026-11-26T19:09:04Z".into(),
        finished_at: None,
        error: None,
    };
    assert_eq!(last_run_text(Some(&summary)), "Failed · 2026-11-26 19:09 UTC");
    assert_eq!(run_tone(RunStatus::Succeeded), StatusTone::Success);
    assert_eq!(run_tone(RunStatus::Waiting), StatusTone::Warning);
    let mut run = WorkflowRun {
        id: 3,
        workflow_id: Uuid::from_u128(1),
        workflow_name: "Hot leads".into(),
        trigger: "Manual".into(),
        record: None,
        status: RunStatus::Succeeded,
        started_at: "2026-11-26T19:09:04Z".into(),
        finished_at: Some("2026-11-26T19:10:00Z".into()),
        error: None,
        steps: vec![StepRun {
            index: 0,
            label: "Score lead".into(),
            status: RunStatus::Succeeded,
            input: Value::Null,
            output: Value::Null,
            error: None,
        }],
    };
    assert_eq!(run_times(&run), "2026-11-26 19:09 UTC → 19:10 UTC");
    run.finished_at = Some("2026-11-27T00:01:00Z".into());
    assert_eq!(run_times(&run), "2026-11-26 19:09 UTC → 2026-11-27 00:01 UTC");
    run.finished_at = None;
    assert_eq!(run_times(&run), "2026-11-26 19:09 UTC → …");
}

#[test]
fn json_prints_with_indents_and_escapes() {
    assert_eq!(pretty_json(&Value::Null), "null");
    assert_eq!(pretty_json(&Value::from(vec![Value::Null; 0])), "[]");
    assert_eq!(pretty_json(&Value::Object(Map::new())), "{}");
    // Keys inserted in sorted order: the output is the same whether or not serde_json keeps
    // insertion order (a feature another crate of the workspace may switch on).
    let mut inner = Map::new();
    inner.insert("reasons".into(), Value::from(vec!["CTO", "budget \"ok\""]));
    inner.insert("score".into(), Value::from(82));
    let mut outer = Map::new();
    outer.insert("lead".into(), Value::Object(inner));
    outer.insert("ok".into(), Value::Bool(true));
    outer.insert("ratio".into(), Value::Number(Number::from_f64(0.5).unwrap()));
    outer.insert("text".into(), Value::from("a\nb\t\u{1}\\"));
    assert_eq!(
        pretty_json(&Value::Object(outer)),
        "{\n  \"lead\": {\n    \"reasons\": [\n      \"CTO\",\n      \"budget \\\"ok\\\"\"\n    ],\n    \"score\": 82\n  },\n  \"ok\": true,\n  \"ratio\": 0.5,\n  \"text\": \"a\\nb\\t\\u0001\\\\\"\n}"
    );
}

#[test]
fn the_screen_tracks_editing_saving_and_runs() {
    let w = workflow(Trigger::Manual, full_steps());
    let v = AutomationsView::default().apply(AutomationsAction::Workflows(Ok(vec![w.clone()])));
    let v = v.apply(AutomationsAction::Open(Box::new(w.clone())));
    assert!(!v.dirty());
    let v = v.apply(AutomationsAction::Edit(WorkflowEdit::Name("Renamed".into())));
    assert!(v.dirty());
    let invalid = v.apply(AutomationsAction::Edit(WorkflowEdit::Name("".into())));
    let invalid = invalid.apply(AutomationsAction::Invalid(invalid.editor.as_ref().unwrap().validate().unwrap_err()));
    assert!(invalid.errors.name.is_some());
    // Fixing the problem clears its message.
    let fixed = invalid.apply(AutomationsAction::Edit(WorkflowEdit::Name("Back".into())));
    assert!(fixed.errors.is_empty());
    // The switch in the list moves an editor without changes along, not one with changes.
    let off = Workflow { enabled: false, ..w.clone() };
    let clean = v.apply(AutomationsAction::Edit(WorkflowEdit::Name("Hot leads".into())));
    assert!(!clean.dirty());
    assert!(!clean.apply(AutomationsAction::Updated(Box::new(off.clone()))).editor.unwrap().enabled);
    assert!(v.apply(AutomationsAction::Updated(Box::new(off))).editor.unwrap().enabled);
    let saved = Workflow { name: "Renamed".into(), ..w.clone() };
    let v = v.apply(AutomationsAction::Saving).apply(AutomationsAction::Saved(Box::new(saved.clone())));
    assert!(!v.saving && !v.dirty());
    assert_eq!(v.workflow(w.id).unwrap().name, "Renamed");
    let v = v.apply(AutomationsAction::Runs(Ok(vec![]))).apply(AutomationsAction::RunsOf(Some(w.id)));
    assert_eq!(v.runs, None);
    let run = WorkflowRun {
        id: 4,
        workflow_id: w.id,
        workflow_name: w.name.clone(),
        trigger: "Manual".into(),
        record: None,
        status: RunStatus::Succeeded,
        started_at: "2026-11-26T19:09:04Z".into(),
        finished_at: None,
        error: None,
        steps: vec![],
    };
    let v = v.apply(AutomationsAction::Runs(Ok(vec![]))).apply(AutomationsAction::Ran(Box::new(run.clone())));
    assert_eq!(v.runs, Some(Ok(vec![run])));
    assert!(v.expanded.contains(&4));
    let v = v.apply(AutomationsAction::ToggleRun(4));
    assert!(v.expanded.is_empty());
    let v = v.apply(AutomationsAction::Deleted(w.id));
    assert_eq!((v.editor.clone(), v.runs_of), (None, None));
    assert_eq!(v.workflows, Some(Ok(vec![])));
    let v = v.apply(AutomationsAction::New);
    assert!(!v.dirty());
    assert!(v.apply(AutomationsAction::Edit(WorkflowEdit::AddStep(StepKind::Ai))).dirty());
}

#[test]
fn whop_triggers_and_steps_convert_and_check() {
    for trigger in [
        Trigger::WhopPaymentFailed,
        Trigger::WhopMembershipPastDue,
        Trigger::WhopTrialEnding,
        Trigger::CustomerAtRisk,
        Trigger::WhopMembershipCancelled,
    ] {
        let kind = TriggerKind::of(&trigger);
        assert!(TriggerKind::ALL.contains(&kind), "{trigger:?} is in the trigger picker");
        assert_eq!(TriggerKind::parse(kind.as_str()), Some(kind));
        assert_eq!(TriggerDraft::of(&trigger).to_trigger(), Ok(trigger.clone()));
        assert_eq!(trigger_record_kind(&trigger), Some(RecordKind::Person), "{trigger:?} runs on the person");
    }
    assert_eq!(TriggerKind::WhopMembershipCancelled.label(), "A Whop membership is canceled");
    assert_eq!(Trigger::WhopMembershipCancelled.describe(), "Whop membership canceled");

    let steps = [
        WorkflowStep::RetryPayment,
        WorkflowStep::SendWhopMessage {
            text: "Hi {{person.first_name}}".into(),
            ai_draft: false,
            hold_for_approval: false,
        },
        WorkflowStep::SendWhopMessage { text: String::new(), ai_draft: true, hold_for_approval: true },
    ];
    for step in steps {
        let kind = StepKind::of(&step);
        assert!(StepKind::ALL.contains(&kind), "{step:?} is in the step picker");
        assert_eq!(StepKind::parse(kind.as_str()), Some(kind));
        assert_eq!(StepDraft::of(&step).to_step(), Ok(step.clone()));
        assert!(!deal_only(&step), "{step:?} runs on people");
    }

    // A new message step holds for approval until the user says otherwise; the checkboxes edit it.
    let draft = WorkflowDraft { name: "Dunning".into(), ..Default::default() }
        .apply(WorkflowEdit::TriggerKind(TriggerKind::WhopPaymentFailed))
        .apply(WorkflowEdit::AddStep(StepKind::SendWhopMessage));
    assert!(draft.steps[0].hold_for_approval);
    let errors = draft.validate().unwrap_err();
    assert_eq!(
        errors.step.get(&0).map(String::as_str),
        Some("Step 1 (Send Whop message): write the message, or let AI draft it")
    );
    let draft = draft.apply(WorkflowEdit::Step(0, StepEdit::AiDraft(true)));
    let draft = draft.apply(WorkflowEdit::Step(0, StepEdit::HoldForApproval(false)));
    let draft = draft.apply(WorkflowEdit::Step(0, StepEdit::Message("Mention the grace period".into())));
    let save = draft.validate().unwrap();
    assert_eq!(save.trigger, Trigger::WhopPaymentFailed);
    assert_eq!(
        save.steps,
        vec![WorkflowStep::SendWhopMessage {
            text: "Mention the grace period".into(),
            ai_draft: true,
            hold_for_approval: false,
        }]
    );
    let long = draft.apply(WorkflowEdit::Step(0, StepEdit::Message("x".repeat(MAX_WHOP_MESSAGE_CHARS + 1))));
    assert!(long.validate().unwrap_err().step[&0].contains("at most 4000 characters"));
    assert_eq!(
        WorkflowDraft { name: "Retry".into(), ..Default::default() }
            .apply(WorkflowEdit::AddStep(StepKind::RetryPayment))
            .validate()
            .map(|s| s.steps),
        Ok(vec![WorkflowStep::RetryPayment])
    );
}
