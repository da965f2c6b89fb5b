//! Offline first: the outbox of operations waiting for the network, the worker that sends them
//! (in order per record, with backoff, exactly once thanks to idempotency keys), connectivity,
//! and conflicts. The model is explained in docs/offline-and-sync.md.

pub mod conflicts;
pub mod connectivity;
pub mod error;
pub mod outbox;

pub use error::SyncError;
pub use outbox::NewOperation;

use crate::app::EventBus;
use crate::crm::record::{WriteCtx, set_deleted};
use crate::store::{Store, time};
use crate::whop::Whop;
use crate::whop::client::WriteOutcome;
use connectivity::Connectivity;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::outbox::{
    ConflictKind, ConflictView, OutboxEntry, OutboxStatus, OutboxSummary, Resolution, WhopAction,
};
use dealdesk_model::{RecordKind, UpdateSource};
use outbox::OutboxRow;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// Server errors (5xx, 408, 409, broken answers) an operation survives before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 10;
/// How long a worker waits before trying again while Whop is not connected.
const NOT_CONNECTED_WAIT: Duration = Duration::from_secs(60);
/// How long the windows' counts wait for more changes before they are taken.
const COUNT_DELAY: Duration = Duration::from_millis(100);
/// How often a running drain tells the windows about its progress.
const EVENT_INTERVAL: Duration = Duration::from_millis(250);
/// The most operations the panel lists at once (oldest first); the counts cover all of them.
const LIST_LIMIT: i64 = 500;
/// The longest a drain sleeps for one backoff before looking again.
const MAX_SLEEP: Duration = Duration::from_secs(30);

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

/// How long a queued AI run waits before trying again while its provider cannot be reached.
const AI_UNREACHABLE_WAIT: Duration = Duration::from_secs(30);

/// What the remote made of one operation, whatever the target.
enum Delivery {
    Confirmed(Confirmed),
    /// Try again after `wait`. `stop` ends the drain (offline, not connected); an attempt that is
    /// not `counted` does not bring the operation closer to failing.
    Retry {
        wait: Duration,
        message: String,
        stop: bool,
        counted: bool,
    },
    /// Refused: sending it again would not help.
    Rejected(String),
    /// The remote object is gone.
    NotFound(String),
}

enum Confirmed {
    /// Whop's answer: the changed object.
    Whop(Value),
    /// The model's validated answer, stored when the operation settles.
    Ai(Box<(crate::ai::QueuedRun, crate::ai::Executed)>),
    /// The e-sign provider took the contract (or the void).
    Esign(Box<crate::esign::Delivered>),
}

impl Delivery {
    fn from_whop(outcome: WriteOutcome, attempts: u32) -> Delivery {
        use crate::whop::WhopError;
        match outcome {
            WriteOutcome::Confirmed(object) => Delivery::Confirmed(Confirmed::Whop(object)),
            WriteOutcome::Rejected(error) => Delivery::Rejected(error.to_string()),
            WriteOutcome::NotFound(error) => Delivery::NotFound(error.to_string()),
            WriteOutcome::Retry { wait, error } => {
                let message = error.to_string();
                let backoff = outbox::backoff(attempts.saturating_sub(1));
                match error {
                    WhopError::Network { .. } => Delivery::Retry { wait: backoff, message, stop: true, counted: false },
                    WhopError::NotConnected
                    | WhopError::SessionEnded(_)
                    | WhopError::Disabled
                    | WhopError::Secret(_)
                    | WhopError::Api { status: 401, .. } => {
                        Delivery::Retry { wait: NOT_CONNECTED_WAIT, message, stop: true, counted: false }
                    }
                    _ => Delivery::Retry { wait: wait.unwrap_or(backoff), message, stop: false, counted: true },
                }
            }
        }
    }

    /// An unreachable AI provider does not make the app offline: Whop operations still go out.
    fn from_ai(
        outcome: Result<(crate::ai::QueuedRun, crate::ai::Executed), crate::ai::AiError>,
        attempts: u32,
    ) -> Delivery {
        use crate::ai::AiError;
        match outcome {
            Ok(answer) => Delivery::Confirmed(Confirmed::Ai(Box::new(answer))),
            // The drain ends here (a CLI drain returns; the worker starts again at once and sends
            // what else is due, since this operation now waits 30 s).
            Err(error @ AiError::Network { .. }) => {
                Delivery::Retry { wait: AI_UNREACHABLE_WAIT, message: error.to_string(), stop: true, counted: false }
            }
            Err(error @ (AiError::Disabled | AiError::NoApiKey { .. } | AiError::Secret(_))) => {
                Delivery::Retry { wait: NOT_CONNECTED_WAIT, message: error.to_string(), stop: false, counted: false }
            }
            Err(error) if error.is_transient() => Delivery::Retry {
                wait: outbox::backoff(attempts.saturating_sub(1)),
                message: error.to_string(),
                stop: false,
                counted: true,
            },
            Err(error) => Delivery::Rejected(error.to_string()),
        }
    }
}

impl Delivery {
    /// Like AI: an unreachable e-sign provider waits without making the app offline.
    fn from_esign(outcome: Result<crate::esign::Delivered, crate::esign::EsignError>, attempts: u32) -> Delivery {
        use crate::esign::EsignError;
        match outcome {
            Ok(delivered) => Delivery::Confirmed(Confirmed::Esign(Box::new(delivered))),
            Err(error @ EsignError::Network { .. }) => {
                Delivery::Retry { wait: AI_UNREACHABLE_WAIT, message: error.to_string(), stop: true, counted: false }
            }
            Err(error @ (EsignError::Disabled | EsignError::NotConnected { .. } | EsignError::Secret(_))) => {
                Delivery::Retry { wait: NOT_CONNECTED_WAIT, message: error.to_string(), stop: false, counted: false }
            }
            Err(error) if error.is_transient() => {
                let wait = match &error {
                    EsignError::Api { retry_after: Some(wait), .. } => *wait,
                    _ => outbox::backoff(attempts.saturating_sub(1)),
                };
                Delivery::Retry { wait, message: error.to_string(), stop: false, counted: true }
            }
            Err(error) => Delivery::Rejected(error.to_string()),
        }
    }
}

/// What the outbox is built from.
pub struct OutboxParts {
    pub store: Store,
    pub events: EventBus,
    pub connectivity: Arc<Connectivity>,
    pub whop: Arc<Whop>,
    pub ai: Arc<crate::ai::Ai>,
    pub esign: Arc<crate::esign::Esign>,
    /// Shared with the services that queue operations.
    pub wake: Arc<Notify>,
}

/// Moves an operation to `status` (a discard also finishes it).
async fn set_status(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    status: OutboxStatus,
    now: &str,
) -> Result<(), SyncError> {
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

pub struct Outbox {
    store: Store,
    events: EventBus,
    connectivity: Arc<Connectivity>,
    whop: Arc<Whop>,
    ai: Arc<crate::ai::Ai>,
    esign: Arc<crate::esign::Esign>,
    /// Shared with [`crate::ai::Ai`], which queues offline runs.
    wake: Arc<Notify>,
    /// A count for the windows is already on its way.
    count_scheduled: Arc<AtomicBool>,
}

impl Outbox {
    pub fn new(parts: OutboxParts) -> Outbox {
        let OutboxParts { store, events, connectivity, whop, ai, esign, wake } = parts;
        Outbox { store, events, connectivity, whop, ai, esign, wake, count_scheduled: Arc::default() }
    }

    /// Wakes the worker and recounts (after queuing, retrying or resolving an operation).
    pub fn poke(&self) {
        self.changed();
        self.wake.notify_one();
    }

    pub fn connectivity(&self) -> &Arc<Connectivity> {
        &self.connectivity
    }

    /// Records a Whop action and queues it, in one transaction; the worker is woken.
    pub async fn run_whop_action(&self, action: &WhopAction, source: UpdateSource) -> Result<OutboxEntry, SyncError> {
        let mut tx = self.store.begin_write().await?;
        let op = self.whop.prepare_action(&mut tx, action).await?;
        let id = outbox::enqueue(&mut tx, &op, source).await?;
        let row = outbox::get(&mut tx, id).await?;
        tx.commit().await?;
        self.poke();
        row.entry()
    }

    /// The oldest 500 open operations; with `include_finished`, the newest 500 of all.
    pub async fn list(&self, include_finished: bool) -> Result<Vec<OutboxEntry>, SyncError> {
        let sql = if include_finished {
            format!("SELECT * FROM (SELECT {} FROM outbox ORDER BY id DESC LIMIT ?) ORDER BY id", outbox::COLUMNS)
        } else {
            format!("SELECT {} FROM outbox WHERE status IN {} ORDER BY id LIMIT ?", outbox::COLUMNS, outbox::OPEN)
        };
        let rows: Vec<OutboxRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(LIST_LIMIT).fetch_all(self.store.pool()).await?;
        rows.iter().map(OutboxRow::entry).collect()
    }

    pub async fn summary(&self) -> Result<OutboxSummary, SyncError> {
        let state = self.connectivity.state();
        outbox::summary(self.store.pool(), state.online, state.reason).await
    }

    /// Sends the new counts to the windows. Counting runs in its own task, a moment later, so an
    /// edit returns without waiting for it and a burst of edits is counted once.
    fn changed(&self) {
        if self.count_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let (pool, events) = (self.store.pool().clone(), self.events.clone());
        let (connectivity, scheduled) = (self.connectivity.clone(), self.count_scheduled.clone());
        tokio::spawn(async move {
            tokio::time::sleep(COUNT_DELAY).await;
            // Cleared before counting: a change after this point schedules a count of its own.
            scheduled.store(false, Ordering::Release);
            let state = connectivity.state();
            match outbox::summary(&pool, state.online, state.reason).await {
                Ok(summary) => events.emit(CoreEvent::OutboxChanged { summary }),
                Err(SyncError::Store(sqlx::Error::PoolClosed)) => {}
                Err(error) => tracing::warn!(%error, "outbox: cannot count"),
            }
        });
    }

    /// Sends a failed operation again (with a new idempotency key: Whop remembers the refusal
    /// under the old one), or a waiting one now.
    pub async fn retry(&self, id: i64) -> Result<OutboxEntry, SyncError> {
        let mut tx = self.store.begin_write().await?;
        let row = outbox::get(&mut tx, id).await?;
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
                return Err(SyncError::WrongStatus {
                    id,
                    status: other.as_str().into(),
                    allowed: "failed or pending",
                    verb: "retried",
                });
            }
        }
        let row = outbox::get(&mut tx, id).await?;
        tx.commit().await?;
        self.poke();
        row.entry()
    }

    /// Gives an operation up: its optimistic state disappears, and its conflicts are closed.
    pub async fn discard(&self, id: i64) -> Result<OutboxEntry, SyncError> {
        let mut tx = self.store.begin_write().await?;
        let row = outbox::get(&mut tx, id).await?;
        let status = row.status()?;
        if !matches!(status, OutboxStatus::Pending | OutboxStatus::Failed | OutboxStatus::Conflict) {
            return Err(SyncError::WrongStatus {
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
        let row = outbox::get(&mut tx, id).await?;
        tx.commit().await?;
        self.poke();
        row.entry()
    }

    /// Unresolved conflicts, oldest first (`include_resolved`: the newest 500 of all).
    pub async fn conflicts(&self, include_resolved: bool) -> Result<Vec<ConflictView>, SyncError> {
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
    pub async fn resolve(&self, id: i64, keep: Resolution, source: UpdateSource) -> Result<ConflictView, SyncError> {
        let mut tx = self.store.begin_write().await?;
        let conflict = conflicts::get(&mut tx, id).await?;
        if conflict.resolved_at.is_some() {
            return Err(SyncError::AlreadyResolved(id));
        }
        let now = time::format(time::now());
        let ctx = WriteCtx::new(self.store.clock(), source);
        let record_ops = outbox::open_for(&mut tx, &conflict.record_kind, std::slice::from_ref(&conflict.record_id))
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
                    let sync_ctx = WriteCtx::new(self.store.clock(), UpdateSource::Sync);
                    crate::whop::sync::remap_membership(&mut tx, &sync_ctx, &conflict.record_id).await?;
                }
            }
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
        self.events.emit(CoreEvent::WhopChanged);
        self.poke();
        Ok(view)
    }

    /// Operations a dead process left in flight go back to pending: they are resent with the same
    /// idempotency key, so Whop applies each once. Run once when a process starts draining (it
    /// would also take back another live process's operation, which the key makes a replay).
    pub async fn recover(&self) -> Result<u64, SyncError> {
        let done = sqlx::query("UPDATE outbox SET status = 'pending', updated_at = ? WHERE status = 'in_flight'")
            .bind(time::format(time::now()))
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
    /// have no order between them: a refused one does not hold the record's later runs back.
    async fn claim_next(&self) -> Result<Option<OutboxRow>, SyncError> {
        let now = time::format(time::now());
        let row: Option<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE outbox SET status = 'in_flight', attempts = attempts + 1, updated_at = ?1
             WHERE id = (
                SELECT o.id FROM outbox o
                WHERE o.status = 'pending' AND o.next_attempt_at <= ?1
                  AND (o.target = 'ai' OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.record_kind = o.record_kind
                                  AND p.record_id = o.record_id AND p.id < o.id AND p.status IN {}))
                ORDER BY o.id LIMIT 1)
             RETURNING {}",
            outbox::OPEN,
            outbox::COLUMNS
        )))
        .bind(&now)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(row)
    }

    /// When the next waiting operation (first on its record) is due.
    async fn next_due(&self) -> Result<Option<String>, SyncError> {
        let at: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT min(o.next_attempt_at) FROM outbox o WHERE o.status = 'pending'
               AND (o.target = 'ai' OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.record_kind = o.record_kind
                               AND p.record_id = o.record_id AND p.id < o.id AND p.status IN {}))",
            outbox::OPEN
        )))
        .fetch_one(self.store.pool())
        .await?;
        Ok(at)
    }

    async fn open_count(&self) -> Result<u64, SyncError> {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM outbox WHERE status IN {}",
            outbox::OPEN
        )))
        .fetch_one(self.store.pool())
        .await?;
        Ok(n as u64)
    }

    /// Sends one claimed operation and records the outcome.
    async fn send(&self, op: OutboxRow) -> Result<Settled, SyncError> {
        let payload = op.payload()?;
        let attempts = op.attempts.max(0) as u32;
        let delivery = match op.target.as_str() {
            crate::whop::actions::TARGET => self.send_whop(&op, &payload, attempts).await?,
            crate::ai::TARGET => Delivery::from_ai(self.ai.run_queued(&payload).await, attempts),
            crate::esign::TARGET => Delivery::from_esign(self.esign.deliver(&payload).await, attempts),
            other => Delivery::Rejected(format!("unknown outbox target {other}")),
        };
        let now = time::format(time::now());
        let mut tx = self.store.begin_write().await?;
        // Another process may have taken the operation back meanwhile (a drain starting recovers
        // in-flight operations): then that process settles it, and this answer is dropped.
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM outbox WHERE id = ?").bind(op.id).fetch_optional(&mut *tx).await?;
        if status.as_deref() != Some(OutboxStatus::InFlight.as_str()) {
            tracing::info!(id = op.id, ?status, "outbox: the operation was taken back while sending; not settling it");
            return Ok(Settled::Later);
        }
        let mut ai_record = None;
        let mut contract_deal = None;
        let settled = match delivery {
            Delivery::Confirmed(confirmed) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'done', finished_at = ?1, updated_at = ?1, last_error = NULL WHERE id = ?2",
                )
                .bind(&now)
                .bind(op.id)
                .execute(&mut *tx)
                .await?;
                match confirmed {
                    Confirmed::Whop(object) => self.settle_whop(&mut tx, &op, &object).await?,
                    Confirmed::Ai(answer) => {
                        let (run, executed) = *answer;
                        crate::ai::insert_result(
                            &mut tx,
                            run.record,
                            &executed.output,
                            &executed.model,
                            Some(executed.call.id),
                            run.workflow_run,
                        )
                        .await
                        .map_err(|e| SyncError::InvalidAction(e.to_string()))?;
                        ai_record = Some(run.record);
                    }
                    Confirmed::Esign(delivered) => {
                        contract_deal = Some(
                            crate::esign::settle(&mut tx, &delivered)
                                .await
                                .map_err(|e| SyncError::InvalidAction(e.to_string()))?,
                        );
                    }
                }
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
                .bind(if failed { now.clone() } else { outbox::later(wait) })
                .bind(&message)
                .bind(&now)
                .bind(i64::from(!counted))
                .bind(op.id)
                .execute(&mut *tx)
                .await?;
                tracing::debug!(id = op.id, %message, status, "outbox: not sent");
                if failed && op.target == crate::esign::TARGET && op.action == "contract.send" {
                    crate::esign::mark_failed(&mut tx, &op.record_id, &message)
                        .await
                        .map_err(|e| SyncError::InvalidAction(e.to_string()))?;
                    contract_deal = Some(None);
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
                if op.target == crate::esign::TARGET && op.action == "contract.send" {
                    crate::esign::mark_failed(&mut tx, &op.record_id, &message)
                        .await
                        .map_err(|e| SyncError::InvalidAction(e.to_string()))?;
                    contract_deal = Some(None);
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
                crate::whop::sync::tombstone(&mut tx, &op.record_kind, &op.record_id).await?;
                let summary = format!("{} is no longer on Whop: \"{}\" cannot be sent", op.record_id, op.summary);
                conflicts::record(
                    &mut tx,
                    ConflictKind::DeletedRemotely,
                    &op.record_kind,
                    &op.record_id,
                    None,
                    &Value::Object(op.map(&op.optimistic)),
                    &Value::Null,
                    Some(op.id),
                    &summary,
                )
                .await?;
                Settled::Conflict
            }
        };
        let record = conflicts::crm_record(&mut tx, &op.record_kind, &op.record_id).await?;
        let settled_row = outbox::get(&mut tx, op.id).await?;
        tx.commit().await?;
        if let Settled::Failed = settled {
            self.events.emit(CoreEvent::OutboxRejected { operation: settled_row.pending_operation()? });
        }
        if let Some(record) = record {
            self.events.emit(CoreEvent::RecordChanged { record, source: UpdateSource::Sync });
        }
        if op.target == crate::ai::TARGET {
            self.events.emit(CoreEvent::AiChanged { record: ai_record });
        }
        if let Some(deal) = contract_deal {
            self.events.emit(CoreEvent::ContractsChanged { deal });
        }
        Ok(settled)
    }

    /// Sends a Whop operation under an idempotency key Whop still knows. A key first sent longer
    /// ago than Whop keeps keys is not resent: Whop is asked whether the operation took effect
    /// (then it settles with the object as Whop has it) and, if not, it goes out under a new key.
    async fn send_whop(&self, op: &OutboxRow, payload: &Value, attempts: u32) -> Result<Delivery, SyncError> {
        use crate::whop::actions;
        let mut key = op.idempotency_key.clone();
        let first_sent = op.key_first_sent_at.as_deref().and_then(|t| time::parse(t).ok());
        if let Some(first_sent) = first_sent.filter(|at| actions::key_expired(*at, time::now())) {
            let optimistic = op.map(&op.optimistic);
            match self.whop.already_applied(&op.action, &op.record_id, payload, &optimistic, first_sent).await {
                Ok(Some(object)) => {
                    tracing::info!(id = op.id, action = %op.action, "outbox: its key expired, and Whop shows it done");
                    return Ok(Delivery::Confirmed(Confirmed::Whop(object)));
                }
                Ok(None) => {
                    key = uuid::Uuid::now_v7().to_string();
                    sqlx::query("UPDATE outbox SET idempotency_key = ?, key_first_sent_at = NULL WHERE id = ?")
                        .bind(&key)
                        .bind(op.id)
                        .execute(self.store.pool())
                        .await?;
                    tracing::info!(id = op.id, action = %op.action, "outbox: its key expired and it did not take effect; a new key");
                }
                // A read that fails as a write would: the same outcome (a 403 or 4xx will not go
                // away by retrying; the network, the session and 5xx will).
                Err(error @ crate::whop::WhopError::Api { status: 404, .. }) => {
                    return Ok(Delivery::from_whop(WriteOutcome::NotFound(error), attempts));
                }
                Err(error @ crate::whop::WhopError::Forbidden(_)) => {
                    self.whop.note_refusal(&error).await;
                    return Ok(Delivery::from_whop(WriteOutcome::Rejected(error), attempts));
                }
                Err(
                    error @ (crate::whop::WhopError::Api { status: 400..=499, .. } | crate::whop::WhopError::Config(_)),
                ) if !matches!(error, crate::whop::WhopError::Api { status: 401 | 408 | 409 | 429, .. }) => {
                    return Ok(Delivery::from_whop(WriteOutcome::Rejected(error), attempts));
                }
                Err(error) => return Ok(Delivery::from_whop(WriteOutcome::Retry { wait: None, error }, attempts)),
            }
        }
        sqlx::query("UPDATE outbox SET key_first_sent_at = coalesce(key_first_sent_at, ?) WHERE id = ?")
            .bind(time::format(time::now()))
            .bind(op.id)
            .execute(self.store.pool())
            .await?;
        Ok(Delivery::from_whop(self.whop.deliver(payload, &key).await, attempts))
    }

    /// Writes Whop's answer to a confirmed write into the mirror, in the settling transaction.
    async fn settle_whop(
        &self,
        tx: &mut sqlx::SqliteConnection,
        op: &OutboxRow,
        object: &Value,
    ) -> Result<(), SyncError> {
        let ctx = WriteCtx::new(self.store.clock(), UpdateSource::Sync);
        if op.action == "promo_code.deactivate" && !object.is_object() {
            // Whop answers a promo code's delete with `true`, not the code.
            crate::whop::sync::archive_promo_code(&mut *tx, &op.record_id).await?;
            return Ok(());
        }
        crate::whop::sync::apply_confirmed(&mut *tx, &ctx, &op.record_kind, object).await?;
        if op.action == "promo_code.create"
            && let Some(real_id) = object.get("id").and_then(Value::as_str)
        {
            // Later operations on the new code name it by its Whop id from now on.
            sqlx::query(
                "UPDATE outbox SET record_id = ? WHERE record_kind = 'whop_promo_code' AND record_id = ? AND id != ?",
            )
            .bind(real_id)
            .bind(&op.record_id)
            .bind(op.id)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    /// Tells the windows what a drain settled (the counts, and Whop data that changed).
    fn announce(&self, whop_changed: bool) {
        if whop_changed {
            self.events.emit(CoreEvent::WhopChanged);
        }
        self.changed();
    }

    /// Sends due operations until none is left or the network fails. Waits through backoffs
    /// (Retry-After, server errors); with `stop_when_offline`, a network failure ends the drain.
    /// Call [`Outbox::recover`] once before the first drain of a process.
    pub async fn drain(&self, stop_when_offline: bool) -> Result<DrainReport, SyncError> {
        let mut report = DrainReport::default();
        // Counts and Whop views are announced at most every EVENT_INTERVAL while a long drain
        // runs (not once per operation), and whenever it pauses or ends.
        let mut last_announced = std::time::Instant::now();
        let (mut unannounced, mut whop_changed) = (false, false);
        loop {
            if unannounced && last_announced.elapsed() >= EVENT_INTERVAL {
                self.announce(std::mem::take(&mut whop_changed));
                (unannounced, last_announced) = (false, std::time::Instant::now());
            }
            match self.claim_next().await? {
                Some(op) => {
                    let settled = self.send(op).await?;
                    unannounced = true;
                    whop_changed |= !matches!(settled, Settled::Later | Settled::Stop(_));
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
                            self.announce(std::mem::take(&mut whop_changed));
                            unannounced = false;
                            self.connectivity.wait_online().await;
                        }
                    }
                }
                None => {
                    if unannounced {
                        self.announce(std::mem::take(&mut whop_changed));
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
                        _ = self.wake.notified() => {}
                    }
                }
            }
        }
        if unannounced {
            self.announce(whop_changed);
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
        let mut network = self.connectivity.subscribe();
        loop {
            if self.store.pool().is_closed() {
                return;
            }
            if !self.connectivity.is_online() {
                tokio::select! {
                    _ = network.wait_for(|s| s.online) => {}
                    _ = self.wake.notified() => {}
                }
            }
            match self.drain(true).await {
                Ok(report) if report.sent + report.failed + report.conflicts > 0 || report.stopped.is_some() => {
                    tracing::info!(?report, "outbox: drained");
                }
                Ok(_) => {}
                Err(SyncError::Store(sqlx::Error::PoolClosed)) => return,
                Err(error) => tracing::warn!(%error, "outbox: drain failed"),
            }
            let wait = match self.next_due().await {
                Ok(Some(due)) => time::parse(&due)
                    .ok()
                    .and_then(|at| (at - time::now()).to_std().ok())
                    .unwrap_or(Duration::from_millis(200))
                    .clamp(Duration::from_millis(200), MAX_SLEEP),
                Ok(None) => MAX_SLEEP,
                Err(SyncError::Store(sqlx::Error::PoolClosed)) => return,
                Err(_) => MAX_SLEEP,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
                _ = network.changed() => {}
            }
        }
    }

    /// Tells the windows whenever connectivity flips, and runs a Whop sync when the network comes
    /// back (the worker drains by itself).
    pub async fn run_connectivity_watch(self: Arc<Self>) {
        let mut network = self.connectivity.subscribe();
        let mut was_online = network.borrow().online;
        while network.changed().await.is_ok() {
            let online = network.borrow_and_update().online;
            self.changed();
            if online && !was_online {
                self.wake.notify_one();
                let whop = self.whop.clone();
                tokio::spawn(async move {
                    if let Err(error) = whop.sync_if_connected().await {
                        tracing::info!(%error, "whop: sync after reconnecting did not run");
                    }
                });
            }
            was_online = online;
        }
    }
}
