//! The Whop workflow steps on real SQLite files, with the sandbox standing in for Whop and the AI
//! provider: a payment-failed workflow retries the right payment, a Whop message is queued, or held
//! for approval as a task with nothing queued.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::App;
use dealdesk_core::automation::whop_steps::{APPROVAL_TITLE, NO_RETRYABLE_PAYMENT};
use dealdesk_core::test_support::{self, TestApp};
use dealdesk_model::ai::AiProviderKind;
use dealdesk_model::automation::{RunStatus, SaveWorkflow, Trigger, WorkflowStep};
use dealdesk_model::{NewPerson, RecordKind, RecordRef, TaskQuery, UpdateSource};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use uuid::Uuid;

/// Signs in through the consent page and syncs, with the sandbox as the AI provider too.
async fn connected(sandbox: &Sandbox, dir: &std::path::Path) -> App {
    let app =
        TestApp::whop_at(sandbox).ai(test_support::ai_env(sandbox, AiProviderKind::OpenAi)).open(dir).await.unwrap();
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
    let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
    app.whop().handle_deep_link(&link).await.unwrap();
    let run = app.whop().sync(&|_| {}).await.unwrap();
    assert_eq!(run.status, "done", "{:?}", run.error);
    app
}

fn workflow(name: &str, trigger: Trigger, steps: Vec<WorkflowStep>) -> SaveWorkflow {
    SaveWorkflow { id: None, name: name.into(), enabled: true, trigger, steps }
}

/// (action, record_id) of every outbox operation, oldest first.
async fn operations(app: &App) -> Vec<(String, String)> {
    sqlx::query_as("SELECT action, record_id FROM outbox ORDER BY id").fetch_all(app.store().pool()).await.unwrap()
}

/// A person synced from Whop with exactly one Whop account.
async fn customer(app: &App) -> RecordRef {
    let person: String = sqlx::query_scalar(
        "SELECT person_id FROM whop_person GROUP BY person_id HAVING count(*) = 1 ORDER BY person_id LIMIT 1",
    )
    .fetch_one(app.store().pool())
    .await
    .unwrap();
    RecordRef { kind: RecordKind::Person, id: person.parse().unwrap() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_failed_workflow_retries_the_persons_newest_retryable_payment() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(30)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected(&sandbox, dir.path()).await;
    let automation = app.automation();
    automation
        .save(&workflow("Retry failed payments", Trigger::WhopPaymentFailed, vec![WorkflowStep::RetryPayment]))
        .await
        .unwrap();
    // The sandbox seeds a failed payment Whop can retry; its payer's newest such payment is the one.
    let (person, expected): (String, String) = sqlx::query_as(
        "SELECT wp.person_id, y.id FROM whop_payment y JOIN whop_person wp ON wp.user_id = y.user_id
         WHERE y.retryable = 1 AND y.status NOT IN ('paid', 'void') ORDER BY y.created_at DESC LIMIT 1",
    )
    .fetch_one(app.store().pool())
    .await
    .unwrap();
    let person = RecordRef { kind: RecordKind::Person, id: person.parse::<Uuid>().unwrap() };
    // The event a sync writes when a payment newly fails.
    sqlx::query(
        "INSERT INTO automation_event (at, kind, record_kind, record_id, subject)
         VALUES (?, 'whop_payment_failed', 'person', ?, ?)",
    )
    .bind(dealdesk_store::time::format(dealdesk_store::time::now()))
    .bind(person.id.to_string())
    .bind(&expected)
    .execute(app.store().pool())
    .await
    .unwrap();
    let before = operations(&app).await.len();
    automation.process().await.unwrap();

    let runs = automation.runs(None, 10).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(
        (run.status, run.record, run.trigger.as_str()),
        (RunStatus::Succeeded, Some(person), "Whop payment failed")
    );
    assert_eq!(run.steps[0].output["payment_id"], expected.as_str(), "{run:?}");
    let ops = operations(&app).await;
    assert_eq!(ops.len(), before + 1);
    assert_eq!(ops.last().unwrap(), &("payment.retry".to_string(), expected.clone()), "one retry, for that payment");

    // A person without a retryable failed payment: the step says so, and the run goes on.
    let nobody = app
        .crm()
        .create_person(
            NewPerson { first_name: "Nora".into(), last_name: "Local".into(), ..Default::default() },
            UpdateSource::Ui,
        )
        .await
        .unwrap();
    let nobody = RecordRef { kind: RecordKind::Person, id: nobody.id };
    let flow = automation
        .save(&workflow(
            "Retry then tag",
            Trigger::Manual,
            vec![WorkflowStep::RetryPayment, WorkflowStep::AddTag { tag: "dunning".into() }],
        ))
        .await
        .unwrap();
    let run = automation.run_now(flow.id, Some(nobody)).await.unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.steps[0].output["note"], NO_RETRYABLE_PAYMENT);
    assert_eq!(run.steps.len(), 2);
    assert_eq!(operations(&app).await.len(), before + 1, "nothing more queued");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whop_message_step_queues_one_message_or_holds_the_draft_for_approval() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(20)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected(&sandbox, dir.path()).await;
    let automation = app.automation();
    let person = customer(&app).await;
    let first_name = app.crm().get_person(person.id).await.unwrap().first_name;

    // Sent: the text with its merge fields, queued as one message to the person.
    let send = automation
        .save(&workflow(
            "Message now",
            Trigger::Manual,
            vec![WorkflowStep::SendWhopMessage {
                text: "Hi {{person.first_name}}, your last payment did not go through.".into(),
                ai_draft: false,
                hold_for_approval: false,
            }],
        ))
        .await
        .unwrap();
    let before = operations(&app).await.len();
    let run = automation.run_now(send.id, Some(person)).await.unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    let text = format!("Hi {first_name}, your last payment did not go through.");
    assert_eq!(run.steps[0].output["text"], text.as_str());
    let ops = operations(&app).await;
    assert_eq!(ops.len(), before + 1);
    assert_eq!(ops.last().unwrap().0, "message.send");
    assert_eq!(app.outbox().drain(true).await.unwrap().sent, 1);
    assert_eq!(sandbox.messages().iter().map(|m| m.content.clone()).collect::<Vec<_>>(), vec![text]);

    // Drafted by AI and held: nothing queued, the run stops, the draft waits as a task to approve.
    let held = automation
        .save(&workflow(
            "Draft for approval",
            Trigger::WhopPaymentFailed,
            vec![
                WorkflowStep::SendWhopMessage {
                    text: "Offer help with the card".into(),
                    ai_draft: true,
                    hold_for_approval: true,
                },
                WorkflowStep::AddTag { tag: "never".into() },
            ],
        ))
        .await
        .unwrap();
    let before = operations(&app).await.len();
    let run = automation.run_now(held.id, Some(person)).await.unwrap();
    assert_eq!(run.status, RunStatus::Stopped, "{run:?}");
    assert_eq!(run.steps.len(), 1, "the run stops at the held message");
    assert_eq!(run.steps[0].output["held_for_approval"], true);
    let draft = run.steps[0].output["text"].as_str().unwrap().to_string();
    assert!(!draft.trim().is_empty());
    assert_eq!(operations(&app).await.len(), before, "nothing queued while it waits for approval");
    let tasks = app.crm().list_tasks(&TaskQuery { record: Some(person), ..Default::default() }).await.unwrap().items;
    let task = tasks.iter().find(|t| t.title.starts_with(APPROVAL_TITLE)).unwrap();
    assert_eq!(task.body.as_deref(), Some(draft.as_str()));
    assert_eq!(run.steps[0].output["task_id"], task.id.to_string().as_str());
    assert!(!app.crm().get_person(person.id).await.unwrap().tags.contains(&"never".to_string()));
    let drafted: i64 = sqlx::query_scalar("SELECT count(*) FROM ai_call WHERE workflow_run_id = ?")
        .bind(run.id)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(drafted, 1, "one AI call drafted it");
    sandbox.shutdown().await;
}
