//! Workflows on real SQLite files, with the sandbox standing in for Whop and the AI provider over
//! real HTTP on loopback: every trigger fires (Whop ones from a real sync), steps run in order with
//! their inputs and outputs recorded, workflows never fire on their own writes, and an AI step
//! waits offline in the outbox and resumes.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::App;
use dealdesk_core::automation::EXAMPLE_ID;
use dealdesk_core::test_support::{self, TestApp};
use dealdesk_model::ai::{AiAction, AiProviderKind};
use dealdesk_model::automation::{CompareOp, ConditionValue, RunStatus, SaveWorkflow, Trigger, WorkflowStep};
use dealdesk_model::{
    Money, MoveDeal, NewCompany, NewDeal, NewNote, NewPerson, PersonPatch, RecordKind, RecordRef, TaskQuery,
    UpdateSource,
};
use dealdesk_sandbox::{Mutation, Sandbox, SandboxConfig};

const UI: UpdateSource = UpdateSource::Ui;

async fn open(sandbox: &Sandbox, dir: &std::path::Path) -> App {
    TestApp::whop_at(sandbox).ai(test_support::ai_env(sandbox, AiProviderKind::OpenAi)).open(dir).await.unwrap()
}

fn workflow(name: &str, trigger: Trigger, steps: Vec<WorkflowStep>) -> SaveWorkflow {
    SaveWorkflow { id: None, name: name.into(), enabled: true, trigger, steps }
}

async fn person(app: &App, first_name: &str, source: UpdateSource) -> RecordRef {
    let p = app
        .crm()
        .create_person(
            NewPerson { first_name: first_name.into(), last_name: "Test".into(), ..Default::default() },
            source,
        )
        .await
        .unwrap();
    RecordRef { kind: RecordKind::Person, id: p.id }
}

async fn tags(app: &App, record: RecordRef) -> Vec<String> {
    match record.kind {
        RecordKind::Person => app.crm().get_person(record.id).await.unwrap().tags,
        RecordKind::Company => app.crm().get_company(record.id).await.unwrap().tags,
        other => panic!("no tags read for {other}"),
    }
}

async fn runs_of(app: &App, name: &str) -> Vec<dealdesk_model::automation::WorkflowRun> {
    let id = app.automation().find(name).await.unwrap().id;
    app.automation().runs(Some(id), 100).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_stage_and_schedule_triggers_fire_and_workflows_never_fire_on_their_own_writes() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(5)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(&sandbox, dir.path()).await;
    let automation = app.automation();

    // Made before the workflow is switched on: never fires it.
    let early = person(&app, "Early", UI).await;
    automation
        .save(&workflow(
            "Tag new people",
            Trigger::RecordCreated { kind: RecordKind::Person },
            vec![WorkflowStep::AddTag { tag: "new-lead".into() }],
        ))
        .await
        .unwrap();
    automation
        .save(&workflow(
            "Note moves",
            Trigger::RecordUpdated { kind: RecordKind::Person, field: Some("city".into()) },
            vec![
                WorkflowStep::UpdateField { field: "job_title".into(), value: "Moved to {{person.city}}".into() },
                // Its own write to the person must not fire "any person update" workflows.
                WorkflowStep::UpdateField { field: "city".into(), value: "{{person.city}}".into() },
            ],
        ))
        .await
        .unwrap();
    automation
        .save(&workflow(
            "Any person update",
            Trigger::RecordUpdated { kind: RecordKind::Person, field: None },
            vec![WorkflowStep::AddTag { tag: "touched".into() }],
        ))
        .await
        .unwrap();
    automation
        .save(&workflow(
            "Proposal follow-up",
            Trigger::DealStageChanged { stage: Some("proposal".into()) },
            vec![WorkflowStep::CreateTask {
                title: "Chase the proposal for {{deal.name}}".into(),
                due_in_days: Some(2),
            }],
        ))
        .await
        .unwrap();
    automation
        .save(&workflow(
            "Nightly company review",
            Trigger::Schedule { every_minutes: 60, kind: RecordKind::Company },
            vec![
                WorkflowStep::AddTag { tag: "reviewed".into() },
                WorkflowStep::UpdateField { field: "address".into(), value: "Reviewed".into() },
            ],
        ))
        .await
        .unwrap();
    let mut off = workflow(
        "Switched off",
        Trigger::RecordCreated { kind: RecordKind::Person },
        vec![WorkflowStep::AddTag { tag: "never".into() }],
    );
    off.enabled = false;
    automation.save(&off).await.unwrap();

    let ada = person(&app, "Ada", UI).await;
    let imported = person(&app, "Imported", UpdateSource::Import).await;
    automation.process().await.unwrap();
    assert_eq!(tags(&app, ada).await, vec!["new-lead".to_string()]);
    assert!(tags(&app, early).await.is_empty(), "made before the workflow was on");
    assert!(tags(&app, imported).await.is_empty(), "imports do not fire workflows");
    assert!(runs_of(&app, "Switched off").await.is_empty());

    app.crm().update_person(ada.id, PersonPatch { city: Some("Lyon".into()), ..Default::default() }, UI).await.unwrap();
    automation.process().await.unwrap();
    automation.process().await.unwrap();
    let ada_now = app.crm().get_person(ada.id).await.unwrap();
    assert_eq!(ada_now.job_title.as_deref(), Some("Moved to Lyon"));
    // One run each: the workflow's own writes (job title, city, tags) fired nothing more.
    assert_eq!(runs_of(&app, "Note moves").await.len(), 1);
    assert_eq!(runs_of(&app, "Any person update").await.len(), 1);
    let run = &runs_of(&app, "Note moves").await[0];
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.steps.len(), 2);
    assert_eq!(run.steps[0].output["job_title"], "Moved to Lyon");
    assert_eq!(run.steps[0].input["type"], "update_field");

    // A deal entering "Proposal" (matched case-insensitively) gets a task linked to it.
    let deal = app
        .crm()
        .create_deal(
            NewDeal {
                id: None,
                name: "Acme rollout".into(),
                amount: Money::parse("1200", "USD").unwrap(),
                close_date: None,
                pipeline_id: None,
                stage: None,
                status: Default::default(),
                lost_reason: None,
                contact_id: Some(ada.id),
                company_id: None,
                custom: Default::default(),
            },
            UI,
        )
        .await
        .unwrap();
    app.crm()
        .move_deal_stage(MoveDeal { deal_id: deal.id, stage: "PROPOSAL".into(), position: None }, UI)
        .await
        .unwrap();
    automation.process().await.unwrap();
    let deal_ref = RecordRef { kind: RecordKind::Deal, id: deal.id };
    let tasks = app.crm().list_tasks(&TaskQuery { record: Some(deal_ref), ..Default::default() }).await.unwrap();
    assert_eq!(tasks.items.len(), 1);
    assert_eq!(tasks.items[0].title, "Chase the proposal for Acme rollout");
    assert!(tasks.items[0].due_at.is_some());

    // The schedule runs on companies changed since its last run, once per period.
    let acme = app.crm().create_company(NewCompany { name: "Acme".into(), ..Default::default() }, UI).await.unwrap();
    automation.process().await.unwrap();
    assert!(runs_of(&app, "Nightly company review").await.is_empty(), "not due yet");
    sqlx::query("UPDATE workflow SET last_scheduled_at = '2000-01-01T00:00:00.000000000Z' WHERE name = 'Nightly company review'")
        .execute(app.store().pool())
        .await
        .unwrap();
    automation.process().await.unwrap();
    let company = RecordRef { kind: RecordKind::Company, id: acme.id };
    assert_eq!(tags(&app, company).await, vec!["reviewed".to_string()]);
    automation.process().await.unwrap();
    assert_eq!(runs_of(&app, "Nightly company review").await.len(), 1, "once per period");
    // Due again: its own writes (the tag, the address) are not changes it runs on.
    sqlx::query("UPDATE workflow SET last_scheduled_at = '2000-01-01T00:00:00.000000000Z' WHERE name = 'Nightly company review'")
        .execute(app.store().pool())
        .await
        .unwrap();
    automation.process().await.unwrap();
    assert_eq!(runs_of(&app, "Nightly company review").await.len(), 1, "no loop on its own writes");

    // A run a crash left "running" goes on from its saved step when an engine starts.
    let stuck = runs_of(&app, "Tag new people").await[0].id;
    sqlx::query("UPDATE workflow_run SET status = 'running', next_step = 0, steps = '[]' WHERE id = ?")
        .bind(stuck)
        .execute(app.store().pool())
        .await
        .unwrap();
    automation.process().await.unwrap();
    assert_eq!(automation.run(stuck).await.unwrap().status, RunStatus::Running, "a pass never takes another's run");
    assert_eq!(automation.recover().await.unwrap(), 1);
    automation.process().await.unwrap();
    assert_eq!(automation.run(stuck).await.unwrap().status, RunStatus::Succeeded);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_scores_leads_and_follows_up_only_hot_ones() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(5)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(&sandbox, dir.path()).await;
    let example = app.automation().get(EXAMPLE_ID).await.unwrap();
    assert!(!example.enabled, "shipped switched off");
    assert_eq!(example.trigger, Trigger::WhopMembershipActivated);

    let hot = person(&app, "Hattie", UI).await;
    let note = "Team of 40, budget approved, asked for a demo and annual pricing.";
    app.crm().add_note(NewNote { body: note.into(), targets: vec![hot] }, UI).await.unwrap();
    let cold = person(&app, "Colin", UI).await;
    app.crm()
        .add_note(NewNote { body: "Wants to cancel and get a refund.".into(), targets: vec![cold] }, UI)
        .await
        .unwrap();

    let run = app.automation().run_now(EXAMPLE_ID, Some(hot)).await.unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    let score = run.steps[0].output["score"].as_u64().unwrap();
    assert!(score >= 70, "{score}");
    assert_eq!(run.steps[1].output["holds"], true);
    let tasks = app.crm().list_tasks(&TaskQuery { record: Some(hot), ..Default::default() }).await.unwrap();
    assert_eq!(tasks.items[0].title, "Follow up with Hattie (hot lead)");

    let run = app.automation().run_now(EXAMPLE_ID, Some(cold)).await.unwrap();
    assert_eq!(run.status, RunStatus::Stopped);
    assert!(run.steps[0].output["score"].as_u64().unwrap() < 70);
    assert_eq!(run.steps[1].output["holds"], false);
    assert_eq!(run.steps.len(), 2, "the task step never ran");
    assert!(
        app.crm().list_tasks(&TaskQuery { record: Some(cold), ..Default::default() }).await.unwrap().items.is_empty()
    );

    // A manual run needs a record; a step that does not fit the record fails with a clear error.
    assert!(app.automation().run_now(EXAMPLE_ID, None).await.is_err());
    let mover = app
        .automation()
        .save(&workflow("Mover", Trigger::Manual, vec![WorkflowStep::MoveStage { stage: "Won".into() }]))
        .await
        .unwrap();
    let run = app.automation().run_now(mover.id, Some(hot)).await.unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert!(run.steps[0].error.as_deref().unwrap().contains("only deals"), "{:?}", run.steps[0].error);
    // Names are unique; bad workflows are refused with specific messages.
    let duplicate = workflow("mover", Trigger::Manual, vec![WorkflowStep::AddTag { tag: "x".into() }]);
    assert!(app.automation().save(&duplicate).await.unwrap_err().to_string().contains("name exists"));
    let bad = workflow(
        "Bad",
        Trigger::Manual,
        vec![WorkflowStep::Condition { value: ConditionValue::LeadScore, op: CompareOp::Gte, threshold: 700.0 }],
    );
    assert!(app.automation().save(&bad).await.is_err());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whop_events_from_a_sync_fire_workflows_but_the_initial_import_does_not() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(30)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(&sandbox, dir.path()).await;
    let automation = app.automation();
    for (name, trigger, tag) in [
        // The sync's own record changes fire only the Whop triggers, never this one.
        ("Every new person", Trigger::RecordCreated { kind: RecordKind::Person }, "new-person"),
        ("Welcome", Trigger::WhopMembershipActivated, "whop-active"),
        ("Thank payers", Trigger::WhopPaymentSucceeded, "paid"),
        ("Win back", Trigger::WhopMembershipCancelled, "churned"),
    ] {
        automation.save(&workflow(name, trigger, vec![WorkflowStep::AddTag { tag: tag.into() }])).await.unwrap();
    }
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
    let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
    app.whop().handle_deep_link(&link).await.unwrap();
    app.whop().sync(&|_| {}).await.unwrap();
    automation.process().await.unwrap();
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM automation_event").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(events, 0, "the initial import raises no events");

    let changes = sandbox.mutate(Mutation { new_members: 2, new_payments: 3, cancellations: 2, ..Default::default() });
    app.whop().sync(&|_| {}).await.unwrap();
    automation.process().await.unwrap();
    let count = |kind: &'static str| {
        let pool = app.store().pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM automation_event WHERE kind = ?")
                .bind(kind)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let activated = count("whop_membership_activated").await;
    let paid = count("whop_payment_succeeded").await;
    let cancelled = count("whop_membership_cancelled").await;
    assert!(activated >= 2, "{activated} activations for {:?}", changes.created_member_ids);
    assert!(paid >= 1 && paid <= 3 + activated, "{paid}");
    assert_eq!(cancelled, changes.canceled_membership_ids.len() as i64);
    assert_eq!(runs_of(&app, "Welcome").await.len() as i64, activated);
    assert_eq!(runs_of(&app, "Thank payers").await.len() as i64, paid);
    assert_eq!(runs_of(&app, "Win back").await.len() as i64, cancelled);
    for run in runs_of(&app, "Win back").await {
        assert_eq!(run.status, RunStatus::Succeeded);
        assert!(tags(&app, run.record.unwrap()).await.contains(&"churned".to_string()));
    }
    assert!(runs_of(&app, "Every new person").await.is_empty(), "the sync's people fire Whop triggers only");
    // A sync with nothing new raises nothing more.
    app.whop().sync(&|_| {}).await.unwrap();
    automation.process().await.unwrap();
    assert_eq!(runs_of(&app, "Win back").await.len() as i64, cancelled);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ai_step_waits_offline_in_the_outbox_and_the_run_resumes() {
    let mut sandbox = Sandbox::start(SandboxConfig::with_members(5)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(&sandbox, dir.path()).await;
    let flow = app
        .automation()
        .save(&workflow(
            "Score then tag",
            Trigger::Manual,
            vec![
                WorkflowStep::Ai { action: AiAction::ScoreLead, instructions: Some("Be strict".into()) },
                WorkflowStep::AddTag { tag: "scored".into() },
            ],
        ))
        .await
        .unwrap();
    let ivy = person(&app, "Ivy", UI).await;
    sandbox.stop_listening().await;
    let run = app.automation().run_now(flow.id, Some(ivy)).await.unwrap();
    assert_eq!(run.status, RunStatus::Waiting);
    let waiting_on = run.steps[0].output["outbox_id"].as_i64().unwrap();
    app.automation().process().await.unwrap();
    assert_eq!(app.automation().run(run.id).await.unwrap().status, RunStatus::Waiting);

    sandbox.start_listening().await.unwrap();
    app.outbox().retry(waiting_on).await.unwrap();
    assert_eq!(app.outbox().drain(true).await.unwrap().sent, 1);
    app.automation().process().await.unwrap();
    let run = app.automation().run(run.id).await.unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.steps.len(), 2);
    assert!(run.steps[0].output["score"].is_u64());
    assert_eq!(tags(&app, ivy).await, vec!["scored".to_string()]);
    // The call was logged against the run.
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM ai_call WHERE workflow_run_id = ?")
        .bind(run.id)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(logged, 1);
    sandbox.shutdown().await;
}
