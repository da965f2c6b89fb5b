//! Offline first: the outbox of operations waiting for the network, the worker that sends them
//! (in order per record, with backoff, exactly once thanks to idempotency keys), connectivity,
//! and conflicts. The model is explained in docs/offline-and-sync.md.

pub mod conflicts;
pub mod connectivity;
pub mod error;
mod handle;
pub mod queue;
pub mod target;

pub use error::OutboxError;
pub use handle::OutboxHandle;
pub use queue::NewOperation;
pub use target::{Delivery, OutboxTarget, Settle};

use connectivity::Connectivity;
use dealdesk_crm::record::{WriteCtx, set_deleted};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::outbox::{ConflictKind, ConflictView, OutboxEntry, OutboxStatus, OutboxSummary, Resolution};
use dealdesk_model::{RecordKind, UpdateSource};
use dealdesk_store::{EventBus, Store, time};
use queue::OutboxRow;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// Server errors (5xx, 408, 409, broken answers) an operation survives before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 10;
/// How often a running drain tells the windows about its progress.
const EVENT_INTERVAL: Duration = Duration::from_millis(250);
/// The most operations the panel lists at once (oldest first); the counts cover all of them.
const LIST_LIMIT: i64 = 500;
/// The longest a drain sleeps for one backoff before looking again.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// How long a claim holds an operation unless its holder renews it. A send renews it every
/// quarter of this ([`Outbox::hold_lease`]) for as long as it runs, rather than the lease being
/// longer than any send: how long a send takes is the target's business and has no bound the
/// outbox could know (an AI call waits up to the user's timeout, which may be an hour, three
/// times over with retry waits of up to 60 s between, core/ai/src/client.rs; a Whop operation may
/// make several requests, a key check, a DM channel, the message, each under a 30 s timeout), and
/// a fixed lease that long would hold a crashed process's operation for hours. 60 s: a renewal
/// can wait out SQLite's 10 s busy timeout on the write lock and fail, and the next one (15 s
/// later) still lands before the lease ends; and an operation a killed process held goes out
/// again within a minute. Leases compare one machine's wall clock (the database is a local file):
/// a clock jump or a suspend longer than the lease can end a live one early, and then the send
/// may go out twice, as every resend did before leases (a replay under its key at Whop).
pub const LEASE: Duration = Duration::from_secs(60);
/// How often a drain looks again while another process sends the only operations left: they are
/// open until it settles them (or its lease runs out), and that process cannot wake this one.
const HELD_POLL: Duration = Duration::from_millis(500);

/// What a drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DrainReport {
    pub sent: u64,
    pub failed: u64,
    pub conflicts: u64,
    /// Open operations left (waiting on the network, a failed or conflicting predecessor).
    pub remaining: u64,
    /// Why the drain stopped early (offline, not connected).
    pub stopped: Option<String>,
}

enum Settled {
    Sent,
    Failed,
    Conflict,
    /// Waits for its next attempt.
    Later,
    /// The network or the login is missing: stop draining.
    Stop(String),
}

/// Moves an operation to `status` (a discard also finishes it).
async fn set_status(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    status: OutboxStatus,
    now: &str,
) -> Result<(), OutboxError> {
    sqlx::query(
        "UPDATE outbox SET status = ?1, updated_at = ?2,
         finished_at = CASE WHEN ?1 = 'discarded' THEN ?2 ELSE finished_at END WHERE id = ?3",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The worker and the panel: sends what services queued through their [`OutboxHandle`] to the
/// [`OutboxTarget`] registered under the operation's target.
pub struct Outbox {
    store: Store,
    events: EventBus,
    handle: OutboxHandle,
    targets: Vec<Arc<dyn OutboxTarget>>,
    /// Names this outbox's claims (`claimed_by`): another process draining the same file has
    /// its own, so neither settles nor renews the other's operations.
    claimer: String,
    /// How long a claim lasts without renewal ([`LEASE`]).
    lease: Duration,
}

/// `DEALDESK_OUTBOX_LEASE_SECS` (1 to 3600) shortens or lengthens [`LEASE`]: a test that kills
/// processes mid-send waits that long before their operations go out again.
fn lease_from_env() -> Duration {
    std::env::var("DEALDESK_OUTBOX_LEASE_SECS")
        .ok()
        .and_then(|secs| secs.trim().parse::<u64>().ok())
        .filter(|secs| (1..=3600).contains(secs))
        .map_or(LEASE, Duration::from_secs)
}

impl Outbox {
    /// The outbox of `handle`'s store, sending to `targets` (one per `target` name).
    pub fn new(handle: OutboxHandle, targets: Vec<Arc<dyn OutboxTarget>>) -> Outbox {
        Outbox {
            store: handle.store().clone(),
            events: handle.events().clone(),
            handle,
            targets,
            claimer: uuid::Uuid::now_v7().to_string(),
            lease: lease_from_env(),
        }
    }

    /// The same outbox with claims that last `lease` without renewal instead of [`LEASE`] (renewed
    /// every quarter of it while a send runs): tests shorten it to watch leases run out.
    pub fn with_lease(mut self, lease: Duration) -> Outbox {
        self.lease = lease;
        self
    }

    /// When a claim taken or renewed now runs out.
    fn lease_end(&self) -> String {
        let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::seconds(60));
        time::format(time::now() + lease)
    }

    /// Wakes the worker and recounts (after queuing, retrying or resolving an operation).
    pub fn poke(&self) {
        self.handle.poke();
    }

    pub fn handle(&self) -> &OutboxHandle {
        &self.handle
    }

    pub fn connectivity(&self) -> &Arc<Connectivity> {
        self.handle.connectivity()
    }

    fn target(&self, name: &str) -> Option<&Arc<dyn OutboxTarget>> {
        self.targets.iter().find(|t| t.name() == name)
    }

    /// The oldest 500 open operations; with `include_finished`, the newest 500 of all.
    pub async fn list(&self, include_finished: bool) -> Result<Vec<OutboxEntry>, OutboxError> {
        let sql = if include_finished {
            format!("SELECT * FROM (SELECT {} FROM outbox ORDER BY id DESC LIMIT ?) ORDER BY id", queue::COLUMNS)
        } else {
            format!("SELECT {} FROM outbox WHERE status IN {} ORDER BY id LIMIT ?", queue::COLUMNS, queue::OPEN)
        };
        let rows: Vec<OutboxRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(LIST_LIMIT).fetch_all(self.store.pool()).await?;
        rows.iter().map(OutboxRow::entry).collect()
    }

    pub async fn summary(&self) -> Result<OutboxSummary, OutboxError> {
        self.handle.summary().await
    }

    /// Sends a failed operation again (with a new idempotency key: Whop remembers the refusal
    /// under the old one), or a waiting one now.
    pub async fn retry(&self, id: i64) -> Result<OutboxEntry, OutboxError> {
        let mut tx = self.store.begin_write().await?;
        let row = queue::get(&mut tx, id).await?;
        let now = time::format(time::now());
        match row.status()? {
            OutboxStatus::Failed => {
                sqlx::query(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?1, updated_at = ?1,
                     idempotency_key = ?2, key_first_sent_at = NULL, last_error = NULL WHERE id = ?3",
                )
                .bind(&now)
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            OutboxStatus::Pending => {
                sqlx::query("UPDATE outbox SET next_attempt_at = ?1, updated_at = ?1 WHERE id = ?2")
                    .bind(&now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            other => {
                return Err(OutboxError::WrongStatus {
                    id,
                    status: other.as_str().into(),
                    allowed: "failed or pending",
                    verb: "retried",
                });
            }
        }
        let row = queue::get(&mut tx, id).await?;
        tx.commit().await?;
        self.poke();
        row.entry()
    }

    /// Gives an operation up: its optimistic state disappears, and its conflicts are closed.
    pub async fn discard(&self, id: i64) -> Result<OutboxEntry, OutboxError> {
        let mut tx = self.store.begin_write().await?;
        let row = queue::get(&mut tx, id).await?;
        let status = row.status()?;
        if !matches!(status, OutboxStatus::Pending | OutboxStatus::Failed | OutboxStatus::Conflict) {
            return Err(OutboxError::WrongStatus {
                id,
                status: status.as_str().into(),
                allowed: "pending, failed or conflicting",
                verb: "discarded",
            });
        }
        let now = time::format(time::now());
        set_status(&mut tx, id, OutboxStatus::Discarded, &now).await?;
        sqlx::query(
            "UPDATE conflict SET resolved_at = ?1, resolution = 'theirs' WHERE outbox_id = ?2 AND resolved_at IS NULL",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row = queue::get(&mut tx, id).await?;
        tx.commit().await?;
        self.poke();
        row.entry()
    }

    /// Unresolved conflicts, oldest first (`include_resolved`: the newest 500 of all).
    pub async fn conflicts(&self, include_resolved: bool) -> Result<Vec<ConflictView>, OutboxError> {
        let sql = if include_resolved {
            format!(
                "SELECT * FROM (SELECT {} FROM conflict ORDER BY id DESC LIMIT 500) ORDER BY id",
                conflicts::COLUMNS
            )
        } else {
            format!("SELECT {} FROM conflict WHERE resolved_at IS NULL ORDER BY id", conflicts::COLUMNS)
        };
        let mut conn = self.store.pool().acquire().await?;
        let rows: Vec<conflicts::ConflictRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            views.push(conflicts::view(&mut conn, row).await?);
        }
        Ok(views)
    }

    /// Resolves a conflict: keep mine or take theirs. See docs/offline-and-sync.md for each kind.
    pub async fn resolve(&self, id: i64, keep: Resolution, source: UpdateSource) -> Result<ConflictView, OutboxError> {
        let mut tx = self.store.begin_write().await?;
        let conflict = conflicts::get(&mut tx, id).await?;
        if conflict.resolved_at.is_some() {
            return Err(OutboxError::AlreadyResolved(id));
        }
        let now = time::format(time::now());
        let ctx = WriteCtx::new(self.store.clock(), source);
        let record_ops = queue::open_for(&mut tx, &conflict.record_kind, std::slice::from_ref(&conflict.record_id))
            .await?
            .remove(&conflict.record_id)
            .unwrap_or_default();
        let remote: Value =
            conflict.remote_value.as_deref().and_then(|v| serde_json::from_str(v).ok()).unwrap_or(Value::Null);
        match (conflict.kind()?, keep) {
            (ConflictKind::Field, Resolution::Mine) => {
                // My value goes out; the remote value becomes the new starting point, so the next
                // sync does not raise the same conflict again.
                let field = conflict.field.clone().unwrap_or_default();
                for op in record_ops.iter().filter(|op| op.map(&op.base).contains_key(&field)) {
                    let mut base = op.map(&op.base);
                    base.insert(field.clone(), remote.clone());
                    sqlx::query("UPDATE outbox SET base = ? WHERE id = ?")
                        .bind(Value::Object(base).to_string())
                        .bind(op.id)
                        .execute(&mut *tx)
                        .await?;
                    if op.status()? == OutboxStatus::Conflict {
                        set_status(&mut tx, op.id, OutboxStatus::Pending, &now).await?;
                    }
                }
            }
            (ConflictKind::Field, Resolution::Theirs) => {
                let field = conflict.field.clone().unwrap_or_default();
                for op in record_ops.iter().filter(|op| op.map(&op.base).contains_key(&field)) {
                    if op.status()? != OutboxStatus::InFlight {
                        set_status(&mut tx, op.id, OutboxStatus::Discarded, &now).await?;
                    }
                }
            }
            (ConflictKind::DeletedRemotely, keep) => {
                // Nothing can be sent to a deleted object either way.
                for op in &record_ops {
                    set_status(&mut tx, op.id, OutboxStatus::Discarded, &now).await?;
                }
                if keep == Resolution::Theirs
                    && let Some(record) =
                        conflicts::crm_record(&mut tx, &conflict.record_kind, &conflict.record_id).await?
                    && record.kind == RecordKind::Deal
                {
                    set_deleted(&mut tx, &ctx, RecordKind::Deal, "deal", record.id, true).await?;
                }
            }
            (ConflictKind::DeletedLocally, Resolution::Mine) => {}
            (ConflictKind::DeletedLocally, Resolution::Theirs) => {
                if let Some(record) = conflicts::crm_record(&mut tx, &conflict.record_kind, &conflict.record_id).await?
                    && record.kind == RecordKind::Deal
                {
                    set_deleted(&mut tx, &ctx, RecordKind::Deal, "deal", record.id, false).await?;
                }
            }
        }
        for target in &self.targets {
            target.conflict_resolved(&mut tx, &conflict, keep).await?;
        }
        sqlx::query("UPDATE conflict SET resolved_at = ?, resolution = ? WHERE id = ?")
            .bind(&now)
            .bind(match keep {
                Resolution::Mine => "mine",
                Resolution::Theirs => "theirs",
            })
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let row = conflicts::get(&mut tx, id).await?;
        let view = conflicts::view(&mut tx, row).await?;
        tx.commit().await?;
        if let Some(record) = view.crm_record {
            self.events.emit(CoreEvent::RecordChanged { record, source });
        }
        // Conflicts are between a target's copy and the remote: its views refresh.
        for event in self.targets.iter().filter_map(|t| t.settled_event()) {
            self.events.emit(event);
        }
        self.poke();
        Ok(view)
    }

    /// Operations a dead process left in flight go back to pending: they are resent with the same
    /// idempotency key, so Whop applies each once. Only those whose lease ran out: another live
    /// process renews the lease of what it is sending, and settles it itself. Run once when a
    /// process starts draining (a drain also takes such operations by itself, see `claim_next`).
    pub async fn recover(&self) -> Result<u64, OutboxError> {
        let now = time::format(time::now());
        let done = sqlx::query(
            "UPDATE outbox SET status = 'pending', updated_at = ?1, claimed_by = NULL, lease_until = NULL
             WHERE status = 'in_flight' AND (lease_until IS NULL OR lease_until <= ?1)",
        )
        .bind(&now)
        .execute(self.store.pool())
        .await?;
        if done.rows_affected() > 0 {
            tracing::info!(
                operations = done.rows_affected(),
                "outbox: resending operations a stopped run left in flight"
            );
        }
        Ok(done.rows_affected())
    }

    /// Takes the oldest operation that is due and whose record has nothing open before it. AI runs
    /// have no order between them: a refused one does not hold the record's later runs back. An
    /// operation in flight whose lease ran out (its process died) comes first: it was already
    /// going out, and it holds its record's later operations back. One in flight under a live
    /// lease is never taken. The claim is this outbox's, until `lease_end`.
    async fn claim_next(&self) -> Result<Option<OutboxRow>, OutboxError> {
        let now = time::format(time::now());
        let row: Option<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE outbox SET status = 'in_flight', attempts = attempts + 1, updated_at = ?1,
                               claimed_by = ?2, lease_until = ?3
             WHERE id = coalesce(
                (SELECT o.id FROM outbox o
                 WHERE o.status = 'in_flight' AND (o.lease_until IS NULL OR o.lease_until <= ?1)
                 ORDER BY o.id LIMIT 1),
                (SELECT o.id FROM outbox o
                 WHERE o.status = 'pending' AND o.next_attempt_at <= ?1
                   AND (o.target = 'ai' OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.record_kind = o.record_kind
                                   AND p.record_id = o.record_id AND p.id < o.id AND p.status IN {}))
                 ORDER BY o.id LIMIT 1))
             RETURNING {}",
            queue::OPEN,
            queue::COLUMNS
        )))
        .bind(&now)
        .bind(&self.claimer)
        .bind(self.lease_end())
        .fetch_optional(self.store.pool())
        .await?;
        Ok(row)
    }

    /// Pushes back the lease of an operation this outbox is sending. False when it no longer
    /// holds it (its lease ran out and another drain took it).
    async fn renew(&self, id: i64) -> Result<bool, OutboxError> {
        let done = sqlx::query(
            "UPDATE outbox SET lease_until = ?1 WHERE id = ?2 AND status = 'in_flight' AND claimed_by = ?3",
        )
        .bind(self.lease_end())
        .bind(id)
        .bind(&self.claimer)
        .execute(self.store.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Renews the lease of operation `id` every quarter of the lease, for as long as it is polled:
    /// beside a send, which ends it. A failed renewal is tried again at the next turn (the lease
    /// leaves room for one); a lost claim stops renewing, and the send's answer is dropped.
    async fn hold_lease(&self, id: i64) -> std::convert::Infallible {
        loop {
            tokio::time::sleep(self.lease / 4).await;
            match self.renew(id).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(id, "outbox: the lease of an operation being sent ran out and it was taken back");
                    return std::future::pending().await;
                }
                Err(error) => tracing::warn!(%error, id, "outbox: cannot renew the lease of an operation being sent"),
            }
        }
    }

    /// When to look for work again: when the next waiting operation (first on its record) is due,
    /// or, while another process sends one, when its lease runs out (its process died) or in
    /// `HELD_POLL` (it may have settled it, and then the record's next operation is due). `None`:
    /// nothing is waiting or in flight that could come to this drain.
    async fn next_due(&self) -> Result<Option<String>, OutboxError> {
        let at: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT min(at) FROM (
               SELECT min(o.next_attempt_at) AS at FROM outbox o WHERE o.status = 'pending'
                 AND (o.target = 'ai' OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.record_kind = o.record_kind
                                 AND p.record_id = o.record_id AND p.id < o.id AND p.status IN {}))
               UNION ALL
               SELECT min(min(coalesce(lease_until, ''), ?1)) FROM outbox WHERE status = 'in_flight')",
            queue::OPEN
        )))
        .bind(time::format(time::now() + chrono::Duration::milliseconds(HELD_POLL.as_millis() as i64)))
        .fetch_one(self.store.pool())
        .await?;
        Ok(at)
    }

    async fn open_count(&self) -> Result<u64, OutboxError> {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM outbox WHERE status IN {}",
            queue::OPEN
        )))
        .fetch_one(self.store.pool())
        .await?;
        Ok(n as u64)
    }

    /// Sends one claimed operation and records the outcome.
    async fn send(&self, op: OutboxRow) -> Result<Settled, OutboxError> {
        let payload = op.payload()?;
        let attempts = op.attempts.max(0) as u32;
        let Some(target) = self.target(&op.target).cloned() else {
            return self.settle(&op, None, Delivery::Rejected(format!("unknown outbox target {}", op.target))).await;
        };
        // The key goes out now, unless it already did (a resend keeps its first time): remotes
        // remember keys for a while only (Whop for 24 hours), and the target checks against it.
        sqlx::query("UPDATE outbox SET key_first_sent_at = coalesce(key_first_sent_at, ?) WHERE id = ?")
            .bind(time::format(time::now()))
            .bind(op.id)
            .execute(self.store.pool())
            .await?;
        // The lease is renewed for as long as the send runs, however long the target takes.
        let delivery = tokio::select! {
            biased;
            delivery = target.deliver(&op, &payload, attempts) => delivery?,
            never = self.hold_lease(op.id) => match never {},
        };
        self.settle(&op, Some(&target), delivery).await
    }

    /// Records what the remote made of an operation, in one transaction with what its target
    /// writes, then tells the windows.
    async fn settle(
        &self,
        op: &OutboxRow,
        target: Option<&Arc<dyn OutboxTarget>>,
        delivery: Delivery,
    ) -> Result<Settled, OutboxError> {
        let attempts = op.attempts.max(0) as u32;
        let now = time::format(time::now());
        let mut tx = self.store.begin_write().await?;
        // Another process may have taken the operation back meanwhile (its lease ran out while
        // this one stalled, and a drain took it, or a conflict discarded it): then that process
        // settles it, and this answer is dropped.
        let claim: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT status, claimed_by FROM outbox WHERE id = ?")
                .bind(op.id)
                .fetch_optional(&mut *tx)
                .await?;
        let held = claim.as_ref().is_some_and(|(status, claimer)| {
            status == OutboxStatus::InFlight.as_str() && claimer.as_deref() == Some(self.claimer.as_str())
        });
        if !held {
            tracing::info!(id = op.id, ?claim, "outbox: the operation was taken back while sending; not settling it");
            return Ok(Settled::Later);
        }
        // Settled, it is nobody's: a later `in_flight` by hand (or a restore) has no live lease.
        sqlx::query("UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE id = ?")
            .bind(op.id)
            .execute(&mut *tx)
            .await?;
        let mut announced = Vec::new();
        let settled = match delivery {
            Delivery::Confirmed(answer) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'done', finished_at = ?1, updated_at = ?1, last_error = NULL WHERE id = ?2",
                )
                .bind(&now)
                .bind(op.id)
                .execute(&mut *tx)
                .await?;
                announced = answer.settle(&mut tx, op).await?;
                Settled::Sent
            }
            Delivery::Retry { wait, message, stop, counted } => {
                let failed = counted && attempts >= MAX_ATTEMPTS;
                let status = if failed { "failed" } else { "pending" };
                sqlx::query(
                    "UPDATE outbox SET status = ?1, next_attempt_at = ?2, last_error = ?3, updated_at = ?4,
                     attempts = attempts - ?5, finished_at = CASE WHEN ?1 = 'failed' THEN ?4 END WHERE id = ?6",
                )
                .bind(status)
                .bind(if failed { now.clone() } else { queue::later(wait) })
                .bind(&message)
                .bind(&now)
                .bind(i64::from(!counted))
                .bind(op.id)
                .execute(&mut *tx)
                .await?;
                tracing::debug!(id = op.id, %message, status, "outbox: not sent");
                if failed && let Some(target) = target {
                    announced = target.rejected(&mut tx, op, &message).await?;
                }
                match (failed, stop) {
                    (true, _) => Settled::Failed,
                    (_, true) => Settled::Stop(message),
                    _ => Settled::Later,
                }
            }
            Delivery::Rejected(message) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'failed', last_error = ?1, finished_at = ?2, updated_at = ?2 WHERE id = ?3",
                )
                .bind(&message)
                .bind(&now)
                .bind(op.id)
                .execute(&mut *tx)
                .await?;
                if let Some(target) = target {
                    announced = target.rejected(&mut tx, op, &message).await?;
                }
                tracing::info!(id = op.id, %message, "outbox: the remote refused an operation; its local effect is rolled back");
                Settled::Failed
            }
            Delivery::NotFound(message) => {
                sqlx::query("UPDATE outbox SET status = 'conflict', last_error = ?1, updated_at = ?2 WHERE id = ?3")
                    .bind(&message)
                    .bind(&now)
                    .bind(op.id)
                    .execute(&mut *tx)
                    .await?;
                if let Some(target) = target {
                    target.not_found(&mut tx, op, &message).await?;
                }
                Settled::Conflict
            }
        };
        let record = conflicts::crm_record(&mut tx, &op.record_kind, &op.record_id).await?;
        let settled_row = queue::get(&mut tx, op.id).await?;
        tx.commit().await?;
        if let Settled::Failed = settled {
            self.events.emit(CoreEvent::OutboxRejected { operation: settled_row.pending_operation()? });
        }
        if let Some(record) = record {
            self.events.emit(CoreEvent::RecordChanged { record, source: UpdateSource::Sync });
        }
        if announced.is_empty() {
            announced.extend(target.and_then(|t| t.attempt_event()));
        }
        for event in announced {
            self.events.emit(event);
        }
        Ok(settled)
    }

    /// Tells the windows what a drain settled: the counts, and the views of the targets whose
    /// operations settled.
    fn announce(&self, settled: &mut BTreeSet<String>) {
        for name in std::mem::take(settled) {
            if let Some(event) = self.target(&name).and_then(|t| t.settled_event()) {
                self.events.emit(event);
            }
        }
        self.handle.changed();
    }

    /// Sends due operations until none is left or the network fails. Waits through backoffs
    /// (Retry-After, server errors), and for operations another process is sending (until it
    /// settles them, or their lease runs out and this drain sends them); with `stop_when_offline`,
    /// a network failure ends the drain. Call [`Outbox::recover`] once before the first drain of
    /// a process.
    pub async fn drain(&self, stop_when_offline: bool) -> Result<DrainReport, OutboxError> {
        let mut report = DrainReport::default();
        // Counts and Whop views are announced at most every EVENT_INTERVAL while a long drain
        // runs (not once per operation), and whenever it pauses or ends.
        let mut last_announced = std::time::Instant::now();
        let (mut unannounced, mut settled_targets) = (false, BTreeSet::new());
        loop {
            if unannounced && last_announced.elapsed() >= EVENT_INTERVAL {
                self.announce(&mut settled_targets);
                (unannounced, last_announced) = (false, std::time::Instant::now());
            }
            match self.claim_next().await? {
                Some(op) => {
                    let target = op.target.clone();
                    let settled = self.send(op).await?;
                    unannounced = true;
                    if !matches!(settled, Settled::Later | Settled::Stop(_)) {
                        settled_targets.insert(target);
                    }
                    match settled {
                        Settled::Sent => report.sent += 1,
                        Settled::Failed => report.failed += 1,
                        Settled::Conflict => report.conflicts += 1,
                        Settled::Later => {}
                        Settled::Stop(reason) => {
                            if stop_when_offline {
                                report.stopped = Some(reason);
                                break;
                            }
                            self.announce(&mut settled_targets);
                            unannounced = false;
                            self.connectivity().wait_online().await;
                        }
                    }
                }
                None => {
                    if unannounced {
                        self.announce(&mut settled_targets);
                        unannounced = false;
                    }
                    let Some(due) = self.next_due().await? else { break };
                    let wait = time::parse(&due)
                        .ok()
                        .and_then(|at| (at - time::now()).to_std().ok())
                        .unwrap_or_default()
                        .min(MAX_SLEEP);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = self.handle.woken() => {}
                    }
                }
            }
        }
        if unannounced {
            self.announce(&mut settled_targets);
        }
        report.remaining = self.open_count().await?;
        Ok(report)
    }

    /// The app's worker: drains whenever there is work and the network is there; wakes on new
    /// operations, on coming back online, and when the next backoff ends. Runs until the store
    /// closes.
    pub async fn run_worker(self: Arc<Self>) {
        if let Err(error) = self.recover().await {
            tracing::warn!(%error, "outbox: cannot take back operations left in flight");
        }
        let mut network = self.connectivity().subscribe();
        loop {
            if self.store.pool().is_closed() {
                return;
            }
            if !self.connectivity().is_online() {
                tokio::select! {
                    _ = network.wait_for(|s| s.online) => {}
                    _ = self.handle.woken() => {}
                }
            }
            match self.drain(true).await {
                Ok(report) if report.sent + report.failed + report.conflicts > 0 || report.stopped.is_some() => {
                    tracing::info!(?report, "outbox: drained");
                }
                Ok(_) => {}
                Err(OutboxError::Store(sqlx::Error::PoolClosed)) => return,
                Err(error) => tracing::warn!(%error, "outbox: drain failed"),
            }
            let wait = match self.next_due().await {
                Ok(Some(due)) => time::parse(&due)
                    .ok()
                    .and_then(|at| (at - time::now()).to_std().ok())
                    .unwrap_or(Duration::from_millis(200))
                    .clamp(Duration::from_millis(200), MAX_SLEEP),
                Ok(None) => MAX_SLEEP,
                Err(OutboxError::Store(sqlx::Error::PoolClosed)) => return,
                Err(_) => MAX_SLEEP,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.handle.woken() => {}
                _ = network.changed() => {}
            }
        }
    }

    /// Tells the windows whenever connectivity flips, and tells the targets when the network comes
    /// back (Whop syncs; the worker drains by itself).
    pub async fn run_connectivity_watch(self: Arc<Self>) {
        let mut network = self.connectivity().subscribe();
        let mut was_online = network.borrow().online;
        while network.changed().await.is_ok() {
            let online = network.borrow_and_update().online;
            self.handle.changed();
            if online && !was_online {
                self.handle.wake();
                for target in &self.targets {
                    target.clone().back_online();
                }
            }
            was_online = online;
        }
    }
}
