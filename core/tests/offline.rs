//! Offline first against the sandbox (real HTTP on loopback, real SQLite files): edits and Whop
//! actions made while Whop is unreachable go out after a restart, exactly once and in order per
//! record; faults during the drain are survived; conflicts are recorded and resolved.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::App;
use dealdesk_core::secrets::{MemoryStore, SecretStore};
use dealdesk_core::test_support::{TestApp, whop_config};
use dealdesk_core::whop::WhopConfig;
use dealdesk_model::outbox::{CancelMode, ConflictKind, OutboxStatus, Resolution, WhopAction};
use dealdesk_model::{PersonPatch, PersonQuery, RecordKind, RecordRef, UpdateSource};
use dealdesk_sandbox::{Fault, FaultKind, Mutation, Sandbox, SandboxConfig};
use std::collections::HashMap;
use std::sync::Arc;

const UI: UpdateSource = UpdateSource::Ui;

async fn open(dir: &std::path::Path, config: WhopConfig, secrets: Arc<dyn SecretStore>) -> App {
    TestApp::new().whop(config).secrets(secrets).open(dir).await.unwrap()
}

async fn connected(sandbox: &Sandbox, dir: &std::path::Path, secrets: Arc<dyn SecretStore>) -> App {
    let app = open(dir, whop_config(sandbox), secrets).await;
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
    let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
    app.whop().handle_deep_link(&link).await.unwrap();
    app.whop().sync(&|_| {}).await.unwrap();
    app
}

/// Memberships that are active and not paused (every action applies to them).
async fn active_memberships(app: &App, n: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT id FROM whop_membership WHERE status = 'active' AND coalesce(payment_collection_paused, 0) = 0
           AND coalesce(cancel_at_period_end, 0) = 0 ORDER BY id LIMIT ?",
    )
    .bind(n)
    .fetch_all(app.store().pool())
    .await
    .unwrap()
}

async fn deal_of(app: &App, membership: &str) -> uuid::Uuid {
    let id: String = sqlx::query_scalar("SELECT deal_id FROM whop_deal WHERE membership_id = ?")
        .bind(membership)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    id.parse().unwrap()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_and_whop_actions_go_out_after_a_restart_exactly_once_in_order() {
    let mut sandbox = Sandbox::start(SandboxConfig::with_members(120)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let app = connected(&sandbox, dir.path(), secrets.clone()).await;
    let memberships = active_memberships(&app, 10).await;
    assert_eq!(memberships.len(), 10);
    let payments: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM whop_payment WHERE status = 'paid' AND coalesce(refunded_micros, 0) = 0
           AND total_micros >= 2000000 ORDER BY id LIMIT 10",
    )
    .fetch_all(app.store().pool())
    .await
    .unwrap();
    assert_eq!(payments.len(), 10);

    sandbox.stop_listening().await;
    let started = std::time::Instant::now();

    // 1,000 random edits to people, all local, while Whop is unreachable.
    let people = app.crm().list_people(&PersonQuery { limit: Some(200), ..Default::default() }).await.unwrap().items;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut expected_city: HashMap<uuid::Uuid, String> = HashMap::new();
    for i in 0..1000 {
        let person = &people[rng.below(people.len())];
        let city = format!("City {}", rng.below(10_000));
        let patch = if i % 2 == 0 {
            PersonPatch { city: Some(city.clone()), ..Default::default() }
        } else {
            PersonPatch { job_title: Some(format!("Title {i}")), ..Default::default() }
        };
        app.crm().update_person(person.id, patch, UI).await.unwrap();
        if i % 2 == 0 {
            expected_city.insert(person.id, city);
        }
    }

    // 50 Whop actions: four in a row on each of 10 memberships, and 10 partial refunds.
    let mut queued = Vec::new();
    for (i, id) in memberships.iter().enumerate() {
        for action in [
            WhopAction::PauseMembership { membership_id: id.clone() },
            WhopAction::AddFreeDays { membership_id: id.clone(), days: 7 },
            WhopAction::UpdateMembershipMetadata {
                membership_id: id.clone(),
                metadata: serde_json::json!({"crm": "dealdesk", "n": i}),
            },
            WhopAction::ResumeMembership { membership_id: id.clone() },
        ] {
            queued.push(app.whop().run_action(&action, UI).await.unwrap());
        }
    }
    for id in &payments {
        let action = WhopAction::RefundPayment { payment_id: id.clone(), amount_micros: Some(1_000_000) };
        queued.push(app.whop().run_action(&action, UI).await.unwrap());
    }
    assert_eq!(queued.len(), 50);
    eprintln!("1,000 edits and 50 actions offline in {:?}", started.elapsed());

    // The window shows the optimistic state, marked pending.
    let deal = deal_of(&app, &memberships[0]).await;
    let view = app.whop().deal_membership(deal).await.unwrap().unwrap();
    assert!(!view.paused, "paused then resumed: the last waiting value shows");
    assert_eq!(view.pending.len(), 4);
    assert!(view.pending.iter().all(|p| p.status == OutboxStatus::Pending));

    // A drain while offline sends nothing, loses nothing, and says why.
    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!(report.sent, 0);
    assert!(report.stopped.is_some(), "{report:?}");
    let summary = app.outbox().summary().await.unwrap();
    assert!(!summary.online);
    assert_eq!(summary.waiting, 50);
    app.close().await;
    drop(app);

    // Restart, then the network comes back.
    let app = open(dir.path(), whop_config(&sandbox), secrets.clone()).await;
    assert_eq!(app.outbox().summary().await.unwrap().waiting, 50, "the outbox survives a restart");
    sandbox.start_listening().await.unwrap();
    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!((report.sent, report.failed, report.conflicts, report.remaining), (50, 0, 0, 0), "{report:?}");
    let summary = app.outbox().summary().await.unwrap();
    assert!(summary.online && summary.waiting == 0);

    // Every action reached Whop exactly once (by idempotency key), in order per record.
    let writes = sandbox.writes();
    assert_eq!(writes.len(), 50);
    let entries = app.outbox().list(true).await.unwrap();
    let mut sent_keys: Vec<&str> = writes.iter().filter_map(|w| w.idempotency_key.as_deref()).collect();
    sent_keys.sort_unstable();
    sent_keys.dedup();
    assert_eq!(sent_keys.len(), 50, "one applied write per idempotency key");
    for entry in &entries {
        assert_eq!(entry.status, OutboxStatus::Done, "{entry:?}");
        assert!(sent_keys.contains(&entry.idempotency_key.as_str()));
    }
    for id in &memberships {
        let paths: Vec<&str> = writes.iter().filter(|w| w.object_id == *id).map(|w| w.path.as_str()).collect();
        let suffixes: Vec<&str> = paths.iter().map(|p| p.rsplit('/').next().unwrap()).collect();
        assert_eq!(suffixes, ["pause", "add_free_days", id.as_str(), "resume"], "{paths:?}");
        let remote = sandbox.membership(id).unwrap();
        assert_eq!(remote["payment_collection_paused"], false);
        assert_eq!(remote["metadata"]["crm"], "dealdesk");
    }
    for id in &payments {
        assert!(sandbox.payment(id).unwrap()["refunded_amount"].as_f64().unwrap() >= 1.0);
    }
    // The local edits are all there.
    for (person, city) in expected_city {
        assert_eq!(app.crm().get_person(person).await.unwrap().city.as_deref(), Some(city.as_str()));
    }
    // Whop's answers updated the mirror: no pending marks left, the refunds are in.
    let view = app.whop().deal_membership(deal).await.unwrap().unwrap();
    assert!(view.pending.is_empty());
    let refunded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM whop_payment WHERE refunded_micros >= 1000000 AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(serde_json::to_string(&payments).unwrap())
    .fetch_one(app.store().pool())
    .await
    .unwrap();
    assert_eq!(refunded, 10);
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_during_the_drain_are_waited_out() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(80)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected(&sandbox, dir.path(), Arc::new(MemoryStore::new())).await;
    let memberships = active_memberships(&app, 8).await;
    for id in &memberships {
        app.whop().run_action(&WhopAction::PauseMembership { membership_id: id.clone() }, UI).await.unwrap();
    }
    let writes = "/api/v1/memberships/";
    for (kind, count) in [(FaultKind::RateLimit, 2), (FaultKind::ServerError, 2), (FaultKind::Truncated, 2)] {
        sandbox.inject(Fault { path_prefix: Some(writes.into()), count, ..Fault::new(kind) });
    }
    // Longer than the client's 2 s timeout.
    sandbox.inject(Fault { path_prefix: Some(writes.into()), delay_ms: Some(2_500), ..Fault::new(FaultKind::Slow) });
    let started = std::time::Instant::now();
    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!((report.sent, report.failed, report.remaining), (8, 0, 0), "{report:?}");
    eprintln!("drained through 7 faults in {:?}", started.elapsed());
    // Truncated answers were applied by Whop and resent with the same key: replayed, not re-applied.
    let applied = sandbox.writes();
    assert_eq!(applied.len(), 8, "each operation applied once");
    assert!(sandbox.replays() >= 2, "the truncated answers were replayed");
    let entries = app.outbox().list(true).await.unwrap();
    assert!(entries.iter().any(|e| e.attempts > 1), "some operations needed retries");
    for id in &memberships {
        assert_eq!(sandbox.membership(id).unwrap()["payment_collection_paused"], true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_keep_both_values_until_the_user_picks() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(80)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected(&sandbox, dir.path(), Arc::new(MemoryStore::new())).await;
    let ids = active_memberships(&app, 4).await;
    let (theirs, mine, deleted, trashed) = (&ids[0], &ids[1], &ids[2], &ids[3]);

    // 1. A pending local cancel, and Whop cancels the same membership outright meanwhile.
    for id in [theirs, mine] {
        let action = WhopAction::CancelMembership { membership_id: id.clone(), mode: CancelMode::AtPeriodEnd };
        app.whop().run_action(&action, UI).await.unwrap();
    }
    // 2. A pending local pause on a membership Whop deletes.
    app.whop().run_action(&WhopAction::PauseMembership { membership_id: deleted.clone() }, UI).await.unwrap();
    // 3. A membership deal in the local trash that Whop cancels.
    let trashed_deal = deal_of(&app, trashed).await;
    app.crm().trash(RecordRef { kind: RecordKind::Deal, id: trashed_deal }, UI).await.unwrap();
    let stage_before = app.crm().get_deal(trashed_deal).await.unwrap().stage_name;

    sandbox.mutate(Mutation {
        cancel_membership_ids: vec![theirs.clone(), mine.clone(), trashed.clone()],
        ..Default::default()
    });
    app.whop().sync(&|_| {}).await.unwrap();

    let conflicts = app.outbox().conflicts(false).await.unwrap();
    let field: Vec<_> = conflicts.iter().filter(|c| c.kind == ConflictKind::Field).collect();
    assert_eq!(field.len(), 2, "{conflicts:#?}");
    for c in &field {
        assert_eq!(c.field.as_deref(), Some("status"));
        assert_eq!(c.local_value, "canceling");
        assert_eq!(c.remote_value, "canceled");
        assert!(c.crm_record.is_some());
    }
    // Both values stay visible: the window shows mine, the conflict holds theirs.
    let view = app.whop().deal_membership(deal_of(&app, theirs).await).await.unwrap().unwrap();
    assert_eq!(view.status, "canceling");
    assert_eq!(view.pending[0].status, OutboxStatus::Conflict);
    // The local trash is not undone by the sync, and the change is a conflict.
    let trashed_now = app.crm().get_deal(trashed_deal).await.unwrap();
    assert!(trashed_now.meta.deleted_at.is_some());
    assert_eq!(trashed_now.stage_name, stage_before);
    let local_delete =
        conflicts.iter().find(|c| c.kind == ConflictKind::DeletedLocally).expect("deleted-locally conflict");
    assert_eq!(local_delete.record_id, *trashed);
    assert_eq!(local_delete.remote_value, "canceled");

    // Conflicting operations are held; the delete comes out when the pause is sent.
    sandbox.mutate(Mutation { delete_membership_ids: vec![deleted.clone()], ..Default::default() });
    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!((report.sent, report.conflicts), (0, 1), "{report:?}");
    let conflicts = app.outbox().conflicts(false).await.unwrap();
    let remote_delete = conflicts.iter().find(|c| c.kind == ConflictKind::DeletedRemotely).expect("deleted remotely");
    assert_eq!(remote_delete.record_id, *deleted);
    let view = app.whop().deal_membership(deal_of(&app, deleted).await).await.unwrap().unwrap();
    assert!(view.deleted_remotely);

    // Take theirs: the local cancel is dropped and Whop's "canceled" shows.
    let id_of = |id: &str| field.iter().find(|c| c.record_id == id).unwrap().id;
    app.outbox().resolve(id_of(theirs), Resolution::Theirs, UI).await.unwrap();
    let view = app.whop().deal_membership(deal_of(&app, theirs).await).await.unwrap().unwrap();
    assert_eq!(view.status, "canceled");
    assert!(view.pending.iter().all(|p| p.status != OutboxStatus::Pending));
    // Keep mine: the cancel goes out; Whop refuses it (already canceled), so it fails, rolled back,
    // with Whop's reason.
    app.outbox().resolve(id_of(mine), Resolution::Mine, UI).await.unwrap();
    let report = app.outbox().drain(true).await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 1), "{report:?}");
    let view = app.whop().deal_membership(deal_of(&app, mine).await).await.unwrap().unwrap();
    assert_eq!(view.status, "canceled");
    assert_eq!(view.pending[0].status, OutboxStatus::Failed);
    assert!(view.pending[0].last_error.as_deref().unwrap_or_default().contains("422"), "{view:?}");
    // Take theirs on the remote delete: the deal goes to the trash (restorable).
    app.outbox().resolve(remote_delete.id, Resolution::Theirs, UI).await.unwrap();
    let gone = app.crm().get_deal(deal_of(&app, deleted).await).await.unwrap();
    assert!(gone.meta.deleted_at.is_some());
    // Take theirs on the local delete: the deal comes back, in Whop's state.
    app.outbox().resolve(local_delete.id, Resolution::Theirs, UI).await.unwrap();
    let back = app.crm().get_deal(trashed_deal).await.unwrap();
    assert!(back.meta.deleted_at.is_none());
    assert_eq!(back.stage_name, "Ended");
    assert!(app.outbox().conflicts(false).await.unwrap().is_empty());
    assert!(app.outbox().resolve(local_delete.id, Resolution::Mine, UI).await.is_err(), "resolved once");
    // Whop saw no write for the conflicting cancels it won, and one (refused) for "keep mine".
    assert!(sandbox.writes().iter().all(|w| w.object_id != *theirs));
}

#[tokio::test]
async fn bad_actions_are_refused_before_anything_is_queued() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(40)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected(&sandbox, dir.path(), Arc::new(MemoryStore::new())).await;
    let id = active_memberships(&app, 1).await.remove(0);
    let payment: String = sqlx::query_scalar("SELECT id FROM whop_payment WHERE status = 'paid' LIMIT 1")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    let refusals = [
        WhopAction::PauseMembership { membership_id: "mem_nope".into() },
        WhopAction::ResumeMembership { membership_id: id.clone() },
        WhopAction::AddFreeDays { membership_id: id.clone(), days: 0 },
        WhopAction::UpdateMembershipMetadata { membership_id: id.clone(), metadata: serde_json::json!([1, 2]) },
        WhopAction::RefundPayment { payment_id: payment.clone(), amount_micros: Some(-5) },
        WhopAction::RefundPayment { payment_id: payment.clone(), amount_micros: Some(i64::MAX / 2) },
    ];
    for action in refusals {
        let error = app.whop().run_action(&action, UI).await.unwrap_err();
        assert!(!error.to_string().is_empty(), "{action:?}");
    }
    // A second pause while the first waits is refused against the optimistic state.
    app.whop().run_action(&WhopAction::PauseMembership { membership_id: id.clone() }, UI).await.unwrap();
    let again = app.whop().run_action(&WhopAction::PauseMembership { membership_id: id }, UI).await;
    assert!(again.unwrap_err().to_string().contains("already paused"));
    assert_eq!(app.outbox().list(false).await.unwrap().len(), 1, "only the good action was queued");
}

#[tokio::test]
async fn a_field_can_be_put_back_from_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), WhopConfig::default(), Arc::new(MemoryStore::new())).await;
    let person = app
        .crm()
        .create_person(
            dealdesk_model::NewPerson {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                city: Some("London".into()),
                ..Default::default()
            },
            UI,
        )
        .await
        .unwrap();
    app.crm()
        .update_person(person.id, PersonPatch { city: Some("Paris".into()), ..Default::default() }, UI)
        .await
        .unwrap();
    app.crm()
        .update_person(person.id, PersonPatch { city: Some("Rome".into()), ..Default::default() }, UI)
        .await
        .unwrap();
    let record = RecordRef { kind: RecordKind::Person, id: person.id };
    let timeline = app.timeline(record).await.unwrap();
    let first_move = timeline
        .iter()
        .rev()
        .find(|e| matches!(&e.kind, dealdesk_model::TimelineEventKind::FieldChanged { field, .. } if field == "city"))
        .unwrap();
    app.restore_field_value(dealdesk_model::outbox::RestoreFieldValue { record, seq: first_move.seq }, UI)
        .await
        .unwrap();
    assert_eq!(app.crm().get_person(person.id).await.unwrap().city.as_deref(), Some("London"));
    // The restore is itself history.
    assert_eq!(app.timeline(record).await.unwrap().len(), timeline.len() + 1);
    let other = RecordRef { kind: RecordKind::Company, id: person.id };
    assert!(
        app.restore_field_value(dealdesk_model::outbox::RestoreFieldValue { record: other, seq: first_move.seq }, UI)
            .await
            .is_err()
    );
}
