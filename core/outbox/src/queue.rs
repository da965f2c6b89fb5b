//! The outbox table: operations written in the caller's transaction, read back for the panel,
//! claimed in order per record by the worker, and settled from the remote's answer.

use super::OutboxError;
use dealdesk_model::UpdateSource;
use dealdesk_model::outbox::{OutboxEntry, OutboxStatus, OutboxSummary, PendingOperation};
use dealdesk_store::time;
use serde_json::{Map, Value};
use sqlx::{SqliteConnection, SqlitePool};
use std::collections::HashMap;
use std::time::Duration;

/// Statuses that still hold the record's later operations back, and that the window lists.
pub const OPEN: &str = "('pending', 'in_flight', 'failed', 'conflict')";
/// Statuses whose optimistic values the window shows (a failed operation is rolled back).
const SHOWN: [OutboxStatus; 3] = [OutboxStatus::Pending, OutboxStatus::InFlight, OutboxStatus::Conflict];

/// An operation about to be queued.
#[derive(Debug, Clone)]
pub struct NewOperation {
    pub target: &'static str,
    pub action: &'static str,
    pub record_kind: &'static str,
    pub record_id: String,
    /// What the worker sends (for Whop: method, path, body).
    pub payload: Value,
    /// field → value shown while the operation waits.
    pub optimistic: Map<String, Value>,
    /// field → value before it (a remote value different from both is a conflict).
    pub base: Map<String, Value>,
    pub summary: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub target: String,
    pub action: String,
    pub record_kind: String,
    pub record_id: String,
    pub payload: String,
    pub optimistic: String,
    pub base: String,
    pub summary: String,
    pub idempotency_key: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: String,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub finished_at: Option<String>,
    /// When the idempotency key first went out (Whop keeps keys for 24 hours).
    pub key_first_sent_at: Option<String>,
}

pub const COLUMNS: &str = "id, target, action, record_kind, record_id, payload, optimistic, base, summary, \
     idempotency_key, status, attempts, created_at, next_attempt_at, last_error, finished_at, key_first_sent_at";

impl OutboxRow {
    pub fn status(&self) -> Result<OutboxStatus, OutboxError> {
        OutboxStatus::parse(&self.status).ok_or_else(|| OutboxError::Corrupt(format!("status {:?}", self.status)))
    }

    pub fn payload(&self) -> Result<Value, OutboxError> {
        serde_json::from_str(&self.payload).map_err(|e| OutboxError::Corrupt(format!("payload of #{}: {e}", self.id)))
    }

    pub fn map(&self, text: &str) -> Map<String, Value> {
        match serde_json::from_str(text) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    pub fn entry(&self) -> Result<OutboxEntry, OutboxError> {
        let status = self.status()?;
        Ok(OutboxEntry {
            id: self.id,
            target: self.target.clone(),
            action: self.action.clone(),
            record_kind: self.record_kind.clone(),
            record_id: self.record_id.clone(),
            summary: self.summary.clone(),
            status,
            attempts: self.attempts.max(0) as u32,
            created_at: self.created_at.clone(),
            next_attempt_at: (status == OutboxStatus::Pending).then(|| self.next_attempt_at.clone()),
            last_error: self.last_error.clone(),
            finished_at: self.finished_at.clone(),
            idempotency_key: self.idempotency_key.clone(),
            payload: self.payload()?,
        })
    }

    pub fn pending_operation(&self) -> Result<PendingOperation, OutboxError> {
        Ok(PendingOperation {
            outbox_id: self.id,
            summary: self.summary.clone(),
            status: self.status()?,
            last_error: self.last_error.clone(),
        })
    }
}

/// Queues `op` in the caller's transaction (with the local change that caused it). Returns its id.
pub async fn enqueue(conn: &mut SqliteConnection, op: &NewOperation, source: UpdateSource) -> Result<i64, OutboxError> {
    let now = time::format(time::now());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (created_at, updated_at, target, action, record_kind, record_id, payload, optimistic,
                             base, summary, idempotency_key, status, next_attempt_at, source)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?1, ?11) RETURNING id",
    )
    .bind(&now)
    .bind(op.target)
    .bind(op.action)
    .bind(op.record_kind)
    .bind(&op.record_id)
    .bind(op.payload.to_string())
    .bind(Value::Object(op.optimistic.clone()).to_string())
    .bind(Value::Object(op.base.clone()).to_string())
    .bind(&op.summary)
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(source.as_str())
    .fetch_one(&mut *conn)
    .await?;
    tracing::debug!(id, action = op.action, record = %op.record_id, "outbox: queued");
    Ok(id)
}

pub async fn get(conn: &mut SqliteConnection, id: i64) -> Result<OutboxRow, OutboxError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM outbox WHERE id = ?")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(OutboxError::UnknownOperation(id))
}

/// Open operations of some records, oldest first, keyed by record id.
pub async fn open_for(
    conn: &mut SqliteConnection,
    record_kind: &str,
    record_ids: &[String],
) -> Result<HashMap<String, Vec<OutboxRow>>, OutboxError> {
    let mut found: HashMap<String, Vec<OutboxRow>> = HashMap::new();
    if record_ids.is_empty() {
        return Ok(found);
    }
    let ids = serde_json::to_string(record_ids).unwrap_or_else(|_| "[]".into());
    let rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE record_kind = ?1 AND record_id IN (SELECT value FROM json_each(?2))
           AND status IN {OPEN} ORDER BY id"
    )))
    .bind(record_kind)
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        found.entry(row.record_id.clone()).or_default().push(row);
    }
    Ok(found)
}

/// The record's fields as the window shows them: `remote` with the optimistic values of its
/// waiting operations applied in order, plus those operations for the "pending" marks.
pub fn overlay(remote: &Value, ops: &[OutboxRow]) -> Result<(Value, Vec<PendingOperation>), OutboxError> {
    let mut shown = remote.clone();
    let mut pending = Vec::with_capacity(ops.len());
    for op in ops {
        let status = op.status()?;
        if SHOWN.contains(&status)
            && let Value::Object(fields) = &mut shown
        {
            fields.extend(op.map(&op.optimistic));
        }
        pending.push(op.pending_operation()?);
    }
    Ok((shown, pending))
}

pub async fn summary(pool: &SqlitePool, online: bool, reason: Option<String>) -> Result<OutboxSummary, OutboxError> {
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count(*) FROM outbox WHERE status IN ('pending', 'in_flight', 'failed', 'conflict') GROUP BY status",
    )
    .fetch_all(pool)
    .await?;
    let count = |names: &[&str]| -> u64 {
        counts.iter().filter(|(s, _)| names.contains(&s.as_str())).map(|(_, n)| *n as u64).sum()
    };
    let conflicts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM conflict WHERE resolved_at IS NULL").fetch_one(pool).await?;
    Ok(OutboxSummary {
        waiting: count(&["pending", "in_flight"]),
        failed: count(&["failed"]),
        conflicts: conflicts as u64,
        online,
        offline_reason: if online { None } else { reason },
    })
}

/// The longest wait between two attempts of one operation.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The wait before an operation's next attempt: the client's jittered backoff, up to 5 minutes.
pub fn backoff(attempt: u32) -> Duration {
    time::backoff(attempt, MAX_BACKOFF)
}

pub fn later(wait: Duration) -> String {
    let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(300));
    time::format(time::now() + wait)
}

/// Two field values are the same: numbers by value (Whop sends 49 and 49.0 alike), timestamps by
/// instant (formats differ between the API and what Dealdesk computes), the rest exactly.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            _ => x == y,
        },
        (Value::String(x), Value::String(y)) if x != y => match (time::parse(x), time::parse(y)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_compare_by_meaning() {
        assert!(same_value(&json!(49), &json!(49.0)));
        assert!(!same_value(&json!(49), &json!(49.5)));
        assert!(same_value(&json!("2026-12-01T00:00:00Z"), &json!("2026-12-01T00:00:00.000000Z")));
        assert!(!same_value(&json!("active"), &json!("canceling")));
        assert!(same_value(&Value::Null, &Value::Null));
        assert!(!same_value(&json!(false), &Value::Null));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= Duration::from_millis(625));
        assert!(backoff(3) >= Duration::from_secs(3));
        assert!(backoff(30) <= Duration::from_secs(375));
    }
}
