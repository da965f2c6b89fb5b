//! Conflicts: a remote change to a field a waiting operation changes, a waiting operation on a
//! record deleted remotely, and a remote change to a record in the local trash. Both values are
//! kept (the mirror holds theirs, the operation or the trash holds mine) until the user picks.

use super::OutboxError;
use super::queue::{self, OutboxRow, same_value};
use dealdesk_model::outbox::{ConflictKind, ConflictView, OutboxStatus};
use dealdesk_model::{RecordKind, RecordRef};
use dealdesk_store::time;
use serde_json::{Map, Value};
use sqlx::SqliteConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConflictRow {
    pub id: i64,
    pub created_at: String,
    pub kind: String,
    pub record_kind: String,
    pub record_id: String,
    pub field: Option<String>,
    pub local_value: Option<String>,
    pub remote_value: Option<String>,
    pub outbox_id: Option<i64>,
    pub summary: String,
    pub resolved_at: Option<String>,
    pub resolution: Option<String>,
}

pub const COLUMNS: &str = "id, created_at, kind, record_kind, record_id, field, local_value, remote_value, \
     outbox_id, summary, resolved_at, resolution";

impl ConflictRow {
    pub fn kind(&self) -> Result<ConflictKind, OutboxError> {
        ConflictKind::parse(&self.kind).ok_or_else(|| OutboxError::Corrupt(format!("conflict kind {:?}", self.kind)))
    }
}

fn parse(text: &Option<String>) -> Value {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null)
}

/// The CRM record a Whop record shows on: a membership's deal, a payment's or a user's person.
pub async fn crm_record(
    conn: &mut SqliteConnection,
    record_kind: &str,
    record_id: &str,
) -> Result<Option<RecordRef>, OutboxError> {
    let (kind, sql) = match record_kind {
        "whop_membership" => (RecordKind::Deal, "SELECT deal_id FROM whop_deal WHERE membership_id = ?"),
        "whop_payment" => (
            RecordKind::Person,
            "SELECT w.person_id FROM whop_payment y JOIN whop_person w ON w.user_id = y.user_id WHERE y.id = ?",
        ),
        // A message to a Whop user (their person's timeline shows it once sent).
        "whop_user" => (RecordKind::Person, "SELECT person_id FROM whop_person WHERE user_id = ?"),
        _ => return Ok(None),
    };
    let id: Option<String> = sqlx::query_scalar(sql).bind(record_id).fetch_optional(&mut *conn).await?;
    Ok(id.and_then(|id| uuid::Uuid::parse_str(&id).ok()).map(|id| RecordRef { kind, id }))
}

pub async fn view(conn: &mut SqliteConnection, row: ConflictRow) -> Result<ConflictView, OutboxError> {
    let crm_record = crm_record(conn, &row.record_kind, &row.record_id).await?;
    Ok(ConflictView {
        id: row.id,
        kind: row.kind()?,
        crm_record,
        field: row.field.clone(),
        local_value: parse(&row.local_value),
        remote_value: parse(&row.remote_value),
        outbox_id: row.outbox_id,
        summary: row.summary.clone(),
        created_at: row.created_at.clone(),
        resolved_at: row.resolved_at.clone(),
        resolution: row.resolution.clone(),
        record_kind: row.record_kind,
        record_id: row.record_id,
    })
}

pub async fn get(conn: &mut SqliteConnection, id: i64) -> Result<ConflictRow, OutboxError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM conflict WHERE id = ?")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(OutboxError::UnknownConflict(id))
}

/// Writes a conflict, or refreshes the remote value of the same open one (one per record and
/// field, however many syncs bring the change again).
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut SqliteConnection,
    kind: ConflictKind,
    record_kind: &str,
    record_id: &str,
    field: Option<&str>,
    local: &Value,
    remote: &Value,
    outbox_id: Option<i64>,
    summary: &str,
) -> Result<i64, OutboxError> {
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM conflict WHERE resolved_at IS NULL AND kind = ?1 AND record_kind = ?2 AND record_id = ?3
           AND field IS ?4",
    )
    .bind(kind.as_str())
    .bind(record_kind)
    .bind(record_id)
    .bind(field)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = existing {
        sqlx::query("UPDATE conflict SET remote_value = ?, local_value = ? WHERE id = ?")
            .bind(remote.to_string())
            .bind(local.to_string())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        return Ok(id);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO conflict (created_at, kind, record_kind, record_id, field, local_value, remote_value, outbox_id, summary)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(time::format(time::now()))
    .bind(kind.as_str())
    .bind(record_kind)
    .bind(record_id)
    .bind(field)
    .bind(local.to_string())
    .bind(remote.to_string())
    .bind(outbox_id)
    .bind(summary)
    .fetch_one(&mut *conn)
    .await?;
    tracing::info!(id, kind = kind.as_str(), record_kind, record_id, ?field, "conflict recorded");
    Ok(id)
}

/// A waiting operation with its field maps parsed once.
struct ParsedOp<'a> {
    row: &'a OutboxRow,
    base: Map<String, Value>,
    optimistic: Map<String, Value>,
}

/// Called by the sync for every remote object it writes: compares each field a waiting operation
/// changes with the value the operation started from. A remote value equal to neither the start
/// nor any waiting value is a conflict; the first waiting operation on that field stops.
/// Returns how many conflicts were recorded.
pub async fn reconcile(
    conn: &mut SqliteConnection,
    record_kind: &str,
    remote_items: &[&Value],
) -> Result<u64, OutboxError> {
    let ids: Vec<String> =
        remote_items.iter().filter_map(|i| i.get("id").and_then(Value::as_str)).map(str::to_string).collect();
    let open = queue::open_for(conn, record_kind, &ids).await?;
    if open.is_empty() {
        return Ok(0);
    }
    let mut recorded = 0;
    for item in remote_items {
        let Some(ops) = item.get("id").and_then(Value::as_str).and_then(|id| open.get(id)) else { continue };
        // Each operation's maps, parsed once; fields in the order the operations touch them.
        let parsed: Vec<ParsedOp> = ops
            .iter()
            .map(|op| ParsedOp { row: op, base: op.map(&op.base), optimistic: op.map(&op.optimistic) })
            .collect();
        let mut fields: Vec<&String> = Vec::new();
        for op in &parsed {
            for key in op.base.keys() {
                if !fields.contains(&key) {
                    fields.push(key);
                }
            }
        }
        for field in fields {
            let touching: Vec<&ParsedOp> = parsed.iter().filter(|op| op.base.contains_key(field)).collect();
            let (Some(first), Some(last)) = (touching.first(), touching.last()) else { continue };
            let remote = item.get(field).cloned().unwrap_or(Value::Null);
            let base = first.base.get(field).cloned().unwrap_or(Value::Null);
            let caught_up = touching.iter().any(|op| op.optimistic.get(field).is_some_and(|v| same_value(v, &remote)));
            if same_value(&remote, &base) || caught_up {
                continue;
            }
            let local = last.optimistic.get(field).cloned().unwrap_or(Value::Null);
            // A failed operation is already rolled back: nothing of mine is left to collide.
            let Some(holder) =
                touching.iter().map(|op| op.row).find(|row| row.status().ok() != Some(OutboxStatus::Failed))
            else {
                continue;
            };
            let summary = format!("{field}: changed on Whop to {remote} while \"{}\" waited", holder.summary);
            record(
                conn,
                ConflictKind::Field,
                record_kind,
                &holder.record_id,
                Some(field),
                &local,
                &remote,
                Some(holder.id),
                &summary,
            )
            .await?;
            sqlx::query("UPDATE outbox SET status = 'conflict', updated_at = ? WHERE id = ? AND status = 'pending'")
                .bind(time::format(time::now()))
                .bind(holder.id)
                .execute(&mut *conn)
                .await?;
            recorded += 1;
        }
    }
    Ok(recorded)
}
