//! "Message the customer on Whop" against the sandbox (real HTTP on loopback, real SQLite files):
//! a message is one outbox operation that opens the customer's DM channel (`POST /dm_channels`)
//! and sends the text (`POST /messages`) under its idempotency key, as the pinned SDK defines both.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::App;
use dealdesk_core::secrets::{MemoryStore, SecretStore};
use dealdesk_core::test_support::{TestApp, whop_config};
use dealdesk_model::outbox::{MessageRecipient, OutboxStatus, WhopAction};
use dealdesk_model::whop::PermissionState;
use dealdesk_model::{NewPerson, RecordKind, RecordRef, TimelineEventKind, UpdateSource};
use dealdesk_sandbox::{Fault, FaultKind, Sandbox, SandboxConfig};
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;

const CLI: UpdateSource = UpdateSource::Cli;

async fn open(sandbox: &Sandbox, dir: &std::path::Path, secrets: Arc<dyn SecretStore>) -> App {
    TestApp::new().whop(whop_config(sandbox)).secrets(secrets).open(dir).await.unwrap()
}

/// Signs in through the consent page and syncs.
async fn connected(sandbox: &Sandbox, dir: &std::path::Path, secrets: Arc<dyn SecretStore>) -> App {
    let app = open(sandbox, dir, secrets).await;
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
    let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
    app.whop().handle_deep_link(&link).await.unwrap();
    let run = app.whop().sync(&|_| {}).await.unwrap();
    assert_eq!(run.status, "done", "{:?}", run.error);
    app
}

/// A person synced from Whop with exactly one Whop account: (person, Whop user).
async fn customer(app: &App) -> (Uuid, String) {
    let (person, user): (String, String) = sqlx::query_as(
        "SELECT person_id, min(user_id) FROM whop_person GROUP BY person_id HAVING count(*) = 1 ORDER BY person_id LIMIT 1",
    )
    .fetch_one(app.store().pool())
    .await
    .unwrap();
    (person.parse().unwrap(), user)
}

fn message(person: Uuid, text: &str) -> WhopAction {
    WhopAction::SendMessage { to: MessageRecipient::Person(person), text: text.into() }
}

async fn outbox_rows(app: &App) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox").fetch_one(app.store().pool()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_reaches_the_customer_in_their_dm_channel_and_shows_on_their_timeline() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(20)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected(&sandbox, dir.path(), Arc::new(MemoryStore::new())).await;
    let status = app.whop().status().await.unwrap();
    let chat = status.permissions.iter().find(|p| p.permission == "chat:message:create").unwrap();
    assert_eq!(chat.state, PermissionState::Granted, "the login asks for what messages need");
    let (person, user) = customer(&app).await;

    let entry =
        app.whop().run_action(&message(person, "  Your card was declined: **retry** here \n"), CLI).await.unwrap();
    assert_eq!(
        (entry.action.as_str(), entry.record_kind.as_str(), entry.record_id.as_str()),
        ("message.send", "whop_user", user.as_str())
    );
    assert!(entry.summary.contains("on Whop: \"Your card was declined: **retry** here\""), "{}", entry.summary);
    assert!(sandbox.messages().is_empty(), "queued, not sent");
    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0), "{report:?}");

    let channels = sandbox.dm_channels();
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].with_user_ids, [user.as_str()], "a channel with the customer");
    let sent = sandbox.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].channel_id, channels[0].id);
    assert_eq!(sent[0].content, "Your card was declined: **retry** here");
    let write = sandbox.writes().into_iter().find(|w| w.path.ends_with("/messages")).unwrap();
    assert_eq!(write.idempotency_key.as_deref(), Some(entry.idempotency_key.as_str()), "sent under its own key");

    // A second message, named by the Whop user: the same channel (Whop returns the existing one).
    let second = WhopAction::SendMessage { to: MessageRecipient::WhopUser(user.clone()), text: "Still there?".into() };
    app.whop().run_action(&second, CLI).await.unwrap();
    assert_eq!(app.outbox().drain(true).await.unwrap().sent, 1);
    assert_eq!(sandbox.dm_channels().len(), 1);
    let sent = sandbox.messages();
    assert_eq!((sent.len(), sent[1].channel_id.as_str()), (2, channels[0].id.as_str()));

    // The person's timeline shows both, with Whop's message ids.
    let timeline = app.timeline(RecordRef { kind: RecordKind::Person, id: person }).await.unwrap();
    let messages: Vec<(Option<String>, String)> = timeline
        .iter()
        .filter_map(|e| match &e.kind {
            TimelineEventKind::WhopMessage { message_id, excerpt } => Some((message_id.clone(), excerpt.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 2, "{timeline:?}");
    assert!(messages.contains(&(Some(sent[0].id.clone()), sent[0].content.clone())), "{messages:?}");
    assert!(messages.contains(&(Some(sent[1].id.clone()), "Still there?".into())), "{messages:?}");
    for entry in app.outbox().list(true).await.unwrap() {
        assert_eq!(entry.status, OutboxStatus::Done, "{entry:?}");
    }
}

// Whop took the message but its answer was lost (resent at once under the same keys), and then the
// app died after Whop's answer but before the settling transaction committed (the operation is in
// flight again after a restart): each resend is answered from what Whop stored. One channel, one
// message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_repeated_after_a_crash_sends_the_message_once() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(20)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let app = connected(&sandbox, dir.path(), secrets.clone()).await;
    let (person, _) = customer(&app).await;
    let entry = app.whop().run_action(&message(person, "One time only"), CLI).await.unwrap();

    sandbox.inject(Fault { path_prefix: Some("/api/v1/messages".into()), ..Fault::new(FaultKind::Truncated) });
    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0), "{report:?}");
    assert_eq!(sandbox.messages().len(), 1);
    assert_eq!(sandbox.replays_of(&entry.idempotency_key), 1, "the cut-off answer was resent and replayed");

    // The crash: the settling transaction never committed.
    sqlx::query(
        "UPDATE outbox SET status = 'in_flight', finished_at = NULL, payload = json_remove(payload, '$.sent_message_id')
         WHERE id = ?",
    )
    .bind(entry.id)
    .execute(app.store().pool())
    .await
    .unwrap();
    app.close().await;
    drop(app);

    let app = open(&sandbox, dir.path(), secrets).await;
    assert_eq!(app.outbox().recover().await.unwrap(), 1);
    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0), "{report:?}");
    assert_eq!(sandbox.messages().len(), 1, "sent once");
    assert_eq!(sandbox.dm_channels().len(), 1);
    assert_eq!(sandbox.replays_of(&entry.idempotency_key), 2, "answered from Whop's stored result again");
    assert_eq!(app.outbox().drain(true).await.unwrap().sent, 0, "nothing left to send");
    assert_eq!(sandbox.messages().len(), 1);
    let sent_id: Option<String> =
        sqlx::query_scalar("SELECT json_extract(payload, '$.sent_message_id') FROM outbox WHERE id = ?")
            .bind(entry.id)
            .fetch_one(app.store().pool())
            .await
            .unwrap();
    assert_eq!(sent_id, Some(sandbox.messages()[0].id.clone()), "the one message Whop has");
}

// Whop forgets a key after 24 hours, and a message cannot be checked afterwards: the operation
// stops with a reason instead of risking a second copy; Retry sends it under a new key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_key_whop_forgot_waits_for_the_seller_instead_of_going_out_twice() {
    let mut sandbox = Sandbox::start(SandboxConfig::with_members(20)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected(&sandbox, dir.path(), Arc::new(MemoryStore::new())).await;
    let (person, _) = customer(&app).await;
    let entry = app.whop().run_action(&message(person, "Late news"), CLI).await.unwrap();
    sandbox.stop_listening().await;
    assert!(app.outbox().drain(true).await.unwrap().stopped.is_some());
    sandbox.start_listening().await.unwrap();

    let past = (chrono::Utc::now() - chrono::Duration::hours(25)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    sqlx::query("UPDATE outbox SET key_first_sent_at = ? WHERE id = ?")
        .bind(past)
        .bind(entry.id)
        .execute(app.store().pool())
        .await
        .unwrap();
    sandbox.advance_clock(25 * 3600);
    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 1), "{report:?}");
    let failed = app.outbox().list(true).await.unwrap().into_iter().find(|e| e.id == entry.id).unwrap();
    let reason = failed.last_error.unwrap();
    assert!(reason.contains("may already have delivered") && reason.contains("Retry"), "{reason}");
    assert!(sandbox.messages().is_empty());

    app.outbox().retry(entry.id).await.unwrap();
    assert_eq!(app.outbox().drain(true).await.unwrap().sent, 1);
    assert_eq!(sandbox.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_nobody_can_receive_are_refused_before_anything_is_queued() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(10)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected(&sandbox, dir.path(), Arc::new(MemoryStore::new())).await;
    let local = app
        .crm()
        .create_person(NewPerson { first_name: "Lena".into(), last_name: "Local".into(), ..Default::default() }, CLI)
        .await
        .unwrap();
    let (customer, _) = customer(&app).await;
    let cases = [
        (message(local.id, "Hi"), "Lena Local has no Whop account"),
        (message(Uuid::now_v7(), "Hi"), "no person"),
        (
            WhopAction::SendMessage { to: MessageRecipient::WhopUser("user_nobody".into()), text: "Hi".into() },
            "no Whop customer user_nobody",
        ),
        (message(customer, " \n\t "), "needs some text"),
        (message(customer, &"x".repeat(4001)), "at most 4000 characters"),
    ];
    for (action, expected) in cases {
        let error = app.whop().run_action(&action, CLI).await.unwrap_err().to_string();
        assert!(error.contains(expected), "{expected}: {error}");
    }
    assert_eq!(outbox_rows(&app).await, 0, "a refused action leaves no row");
}

// The seller's Whop app does not declare chat:message:create. A login knows it: the action is
// refused before it queues. A message queued while the permission was granted, and sent after a
// login that did not get it, gets Whop's 403, and the operation names the missing permission.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_chat_message_create_gets_whops_403_and_the_operation_names_it() {
    let declared: Vec<String> =
        dealdesk_sandbox::contract::all_permissions().into_iter().filter(|p| p != "chat:message:create").collect();
    let config = SandboxConfig { app_permissions: Some(declared), ..SandboxConfig::with_members(10) };
    let sandbox = Sandbox::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected(&sandbox, dir.path(), Arc::new(MemoryStore::new())).await;
    let state = |status: &dealdesk_model::whop::WhopStatus| {
        status.permissions.iter().find(|p| p.permission == "chat:message:create").unwrap().state
    };
    assert_eq!(state(&app.whop().status().await.unwrap()), PermissionState::Missing);
    let (person, _) = customer(&app).await;
    let refused = app.whop().run_action(&message(person, "Hi"), CLI).await.unwrap_err().to_string();
    assert!(refused.contains("chat:message:create") && refused.contains("reconnect Whop"), "{refused}");
    assert_eq!(outbox_rows(&app).await, 0);

    // Queued under an earlier login that had the permission (its record), then this login's token.
    let now: Value = sqlx::query_scalar::<_, String>("SELECT value FROM setting WHERE key = 'whop.permissions'")
        .fetch_one(app.store().pool())
        .await
        .map(|v| serde_json::from_str(&v).unwrap())
        .unwrap();
    let mut earlier = now.clone();
    earlier["granted"].as_array_mut().unwrap().push("chat:message:create".into());
    app.store().set_setting("whop.permissions", &earlier).await.unwrap();
    let entry = app.whop().run_action(&message(person, "Hi"), CLI).await.unwrap();
    app.store().set_setting("whop.permissions", &now).await.unwrap();

    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 1), "{report:?}");
    let failed = app.outbox().list(true).await.unwrap().into_iter().find(|e| e.id == entry.id).unwrap();
    let reason = failed.last_error.unwrap();
    assert!(
        reason.contains("POST /messages")
            && reason.contains("not granted chat:message:create")
            && reason.contains("Reconnect Whop"),
        "{reason}"
    );
    assert!(sandbox.messages().is_empty());
    assert_eq!(state(&app.whop().status().await.unwrap()), PermissionState::Missing);
}
