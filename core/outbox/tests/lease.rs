//! The claim lease (issue 21) on a real SQLite file: two processes draining one outbox at once
//! (each an `Outbox` on its own store pool, as the app and `dealdesk-cli outbox drain` are) send
//! every operation once; an operation a dead process left in flight goes out again once its lease
//! runs out, one a live process is sending is never taken from it.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dealdesk_model::UpdateSource;
use dealdesk_outbox::connectivity::Connectivity;
use dealdesk_outbox::queue::OutboxRow;
use dealdesk_outbox::{Delivery, LEASE, NewOperation, Outbox, OutboxError, OutboxHandle, OutboxTarget, Settle};
use dealdesk_store::{EventBus, Store, time};
use serde_json::{Map, Value, json};
use sqlx::SqliteConnection;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A remote that takes `delay` per delivery and remembers each one (operation, when it began).
struct Counting {
    delay: Duration,
    deliveries: Mutex<Vec<(i64, DateTime<Utc>)>>,
    finished: Mutex<usize>,
}

impl Counting {
    fn new(delay: Duration) -> Arc<Counting> {
        Arc::new(Counting { delay, deliveries: Mutex::default(), finished: Mutex::default() })
    }

    fn begun(&self) -> Vec<(i64, DateTime<Utc>)> {
        self.deliveries.lock().unwrap().clone()
    }

    fn times(&self, id: i64) -> usize {
        self.begun().iter().filter(|(op, _)| *op == id).count()
    }

    fn finished(&self) -> usize {
        *self.finished.lock().unwrap()
    }
}

struct Accepted;

#[async_trait]
impl Settle for Accepted {
    async fn settle(
        self: Box<Self>,
        _tx: &mut SqliteConnection,
        _op: &OutboxRow,
    ) -> Result<Vec<dealdesk_model::ipc::CoreEvent>, OutboxError> {
        Ok(Vec::new())
    }
}

#[async_trait]
impl OutboxTarget for Counting {
    fn name(&self) -> &'static str {
        "whop"
    }

    async fn deliver(&self, op: &OutboxRow, _payload: &Value, _attempts: u32) -> Result<Delivery, OutboxError> {
        self.deliveries.lock().unwrap().push((op.id, time::now()));
        tokio::time::sleep(self.delay).await;
        *self.finished.lock().unwrap() += 1;
        Ok(Delivery::Confirmed(Box::new(Accepted)))
    }
}

/// One process: its own store (its own pool on the file), events and outbox.
async fn process(dir: &Path, target: &Arc<Counting>) -> Arc<Outbox> {
    leased(dir, target, LEASE).await
}

/// A process whose claims last `lease` without renewal.
async fn leased(dir: &Path, target: &Arc<Counting>, lease: Duration) -> Arc<Outbox> {
    let store = Store::open(dir).await.unwrap();
    let handle = OutboxHandle::new(store, EventBus::new(), Arc::new(Connectivity::new()));
    Arc::new(Outbox::new(handle, vec![target.clone() as Arc<dyn OutboxTarget>]).with_lease(lease))
}

async fn queue(outbox: &Outbox, record: &str) -> i64 {
    let op = NewOperation {
        target: "whop",
        action: "test.write",
        record_kind: "test",
        record_id: record.into(),
        payload: json!({ "record": record }),
        optimistic: Map::new(),
        base: Map::new(),
        summary: format!("write {record}"),
    };
    let mut tx = outbox.handle().store().begin_write().await.unwrap();
    let id = outbox.handle().enqueue(&mut tx, &op, UpdateSource::Cli).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// What another process's claim leaves in the row: `in_flight`, its id, its lease.
async fn claimed_elsewhere(outbox: &Outbox, id: i64, claimer: &str, lease_until: DateTime<Utc>) {
    sqlx::query(
        "UPDATE outbox SET status = 'in_flight', attempts = attempts + 1, claimed_by = ?, lease_until = ? WHERE id = ?",
    )
    .bind(claimer)
    .bind(time::format(lease_until))
    .bind(id)
    .execute(outbox.handle().store().pool())
    .await
    .unwrap();
}

/// The other process settles its operation.
async fn settled_elsewhere(outbox: &Outbox, id: i64) {
    sqlx::query("UPDATE outbox SET status = 'done', claimed_by = NULL, lease_until = NULL WHERE id = ?")
        .bind(id)
        .execute(outbox.handle().store().pool())
        .await
        .unwrap();
}

async fn row(outbox: &Outbox, id: i64) -> (String, Option<String>) {
    sqlx::query_as("SELECT status, claimed_by FROM outbox WHERE id = ?")
        .bind(id)
        .fetch_one(outbox.handle().store().pool())
        .await
        .unwrap()
}

async fn statuses(outbox: &Outbox) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT status, count(*) FROM outbox GROUP BY status")
        .fetch_all(outbox.handle().store().pool())
        .await
        .unwrap()
}

/// Waits (at most 20 s) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_draining_one_outbox_at_once_send_each_operation_once() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Counting::new(Duration::from_millis(50));
    let app = process(dir.path(), &remote).await;
    let cli = process(dir.path(), &remote).await;
    // Three operations on each of eight records.
    let mut ids = Vec::new();
    for _ in 0..3 {
        for record in 0..8 {
            ids.push((format!("r{record}"), queue(&app, &format!("r{record}")).await));
        }
    }

    // The app drains; the CLI starts while the app is sending (it recovers, then drains).
    let first = tokio::spawn({
        let app = app.clone();
        async move {
            app.recover().await.unwrap();
            app.drain(true).await.unwrap()
        }
    });
    until("the app is sending", || !remote.begun().is_empty()).await;
    let second = tokio::spawn({
        let cli = cli.clone();
        async move {
            cli.recover().await.unwrap();
            cli.drain(true).await.unwrap()
        }
    });
    let (first, second) = (first.await.unwrap(), second.await.unwrap());

    for (_, id) in &ids {
        assert_eq!(remote.times(*id), 1, "operation #{id} delivered once");
    }
    assert_eq!(first.sent + second.sent, ids.len() as u64, "{first:?} {second:?}");
    assert!(first.sent > 0 && second.sent > 0, "both drained: {first:?} {second:?}");
    assert_eq!((first.remaining, second.remaining), (0, 0));
    assert_eq!(statuses(&app).await, [("done".to_string(), ids.len() as i64)]);
    // In order per record, across the two processes.
    let begun = remote.begun();
    for record in 0..8 {
        let record = format!("r{record}");
        let order: Vec<i64> =
            begun.iter().map(|(id, _)| *id).filter(|id| ids.iter().any(|(r, i)| *r == record && i == id)).collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted, "{record}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_takes_back_an_expired_lease_and_never_a_live_one() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Counting::new(Duration::from_millis(10));
    let outbox = process(dir.path(), &remote).await;
    let crashed = queue(&outbox, "a").await;
    let live = queue(&outbox, "b").await;
    let behind_live = queue(&outbox, "b").await;
    claimed_elsewhere(&outbox, crashed, "a crashed process", time::now() - chrono::Duration::minutes(1)).await;
    claimed_elsewhere(&outbox, live, "a live process", time::now() + chrono::Duration::hours(1)).await;

    assert_eq!(outbox.recover().await.unwrap(), 1);
    assert_eq!(row(&outbox, crashed).await, ("pending".to_string(), None));
    assert_eq!(row(&outbox, live).await, ("in_flight".to_string(), Some("a live process".to_string())));

    // The drain resends the crashed one, and leaves the live one (and the one behind it) alone…
    let drain = tokio::spawn({
        let outbox = outbox.clone();
        async move { outbox.drain(true).await.unwrap() }
    });
    until("the crashed operation is resent", || remote.finished() == 1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!((remote.times(crashed), remote.times(live), remote.times(behind_live)), (1, 0, 0));
    assert_eq!(row(&outbox, live).await, ("in_flight".to_string(), Some("a live process".to_string())));
    // … until the live process settles it: then the record's next operation goes out.
    settled_elsewhere(&outbox, live).await;
    let report = drain.await.unwrap();
    assert_eq!((report.sent, report.remaining), (2, 0), "{report:?}");
    assert_eq!((remote.times(crashed), remote.times(live), remote.times(behind_live)), (1, 0, 1));
    assert_eq!(statuses(&outbox).await, [("done".to_string(), 3)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_resends_an_operation_once_its_lease_runs_out_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Counting::new(Duration::from_millis(10));
    let outbox = process(dir.path(), &remote).await;
    let id = queue(&outbox, "a").await;
    // Its process claimed it and died: the lease still runs for a moment.
    let lease_until = time::now() + chrono::Duration::milliseconds(1200);
    claimed_elsewhere(&outbox, id, "a process killed mid-send", lease_until).await;

    assert_eq!(outbox.recover().await.unwrap(), 0, "the lease still runs");
    let report = outbox.drain(true).await.unwrap();
    assert_eq!((report.sent, report.remaining), (1, 0), "{report:?}");
    let begun = remote.begun();
    assert_eq!(begun.len(), 1);
    assert!(begun[0].1 >= lease_until, "sent at {} before the lease ran out at {lease_until}", begun[0].1);
    assert_eq!(row(&outbox, id).await, ("done".to_string(), None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_for_an_operation_another_drain_took_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Counting::new(Duration::from_millis(300));
    let outbox = process(dir.path(), &remote).await;
    let id = queue(&outbox, "a").await;
    let drain = tokio::spawn({
        let outbox = outbox.clone();
        async move { outbox.drain(true).await.unwrap() }
    });
    until("the operation is being sent", || !remote.begun().is_empty()).await;
    // Its lease ran out (the process stalled) and another drain took it.
    claimed_elsewhere(&outbox, id, "another drain", time::now() + chrono::Duration::hours(1)).await;
    until("the send ends", || remote.finished() == 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(row(&outbox, id).await, ("in_flight".to_string(), Some("another drain".to_string())));
    settled_elsewhere(&outbox, id).await;
    let report = drain.await.unwrap();
    assert_eq!((report.sent, report.remaining), (0, 0), "the answer was dropped: {report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_longer_than_the_lease_renews_it_and_keeps_the_operation() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Counting::new(Duration::from_secs(3));
    let lease = Duration::from_secs(1);
    let (app, cli) = (leased(dir.path(), &remote, lease).await, leased(dir.path(), &remote, lease).await);
    let id = queue(&app, "a").await;
    let first = tokio::spawn({
        let app = app.clone();
        async move { app.drain(true).await.unwrap() }
    });
    until("the app is sending", || !remote.begun().is_empty()).await;
    // Three leases long, another process keeps trying to take the operation.
    let second = tokio::spawn({
        let cli = cli.clone();
        async move { cli.drain(true).await.unwrap() }
    });
    while remote.finished() == 0 {
        assert_eq!(cli.recover().await.unwrap(), 0, "a live lease is never taken back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    assert_eq!(remote.times(id), 1);
    assert_eq!((first.sent, second.sent, second.remaining), (1, 0, 0));
    assert_eq!(row(&app, id).await, ("done".to_string(), None));
}
