//! A record's timeline, read from the change log.

use super::{Crm, CrmError, rows};
use dealdesk_model::{RecordRef, TimelineEvent, TimelineEventKind, UpdateSource};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// Columns whose changes are bookkeeping, not news: kept in the change log, left off the timeline.
const QUIET_FIELDS: &[&str] = &["position", "stage_entered_at", "pipeline_id", "closed_at"];
/// The most events one timeline returns.
const TIMELINE_LIMIT: i64 = 1_000;

fn parse_json(text: Option<String>) -> Result<Value, CrmError> {
    match text {
        None => Ok(Value::Null),
        Some(t) => serde_json::from_str(&t).map_err(|e| CrmError::Corrupt(format!("change log value: {e}"))),
    }
}

impl Crm {
    /// What happened to a record, newest first: created, fields changed (from → to), stage moves,
    /// tags, notes and tasks added, trash and restore.
    pub async fn timeline(&self, record: RecordRef) -> Result<Vec<TimelineEvent>, CrmError> {
        let rows = sqlx::query(
            "SELECT seq, hlc, at, op, field, old_value, new_value, source, author FROM change_log \
             WHERE record_kind = ? AND record_id = ? ORDER BY seq DESC LIMIT ?",
        )
        .bind(record.kind.as_str())
        .bind(record.id.to_string())
        .bind(TIMELINE_LIMIT)
        .fetch_all(self.store.pool())
        .await?;
        let stage_names: HashMap<String, String> =
            sqlx::query_as("SELECT id, name FROM stage").fetch_all(self.store.pool()).await?.into_iter().collect();
        let stage_name = |v: &Value| -> String {
            v.as_str().map(|id| stage_names.get(id).cloned().unwrap_or_else(|| id.to_string())).unwrap_or_default()
        };

        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let op = rows::text(row, "op")?;
            let field = rows::opt_text(row, "field")?;
            let old = parse_json(rows::opt_text(row, "old_value")?)?;
            let new = parse_json(rows::opt_text(row, "new_value")?)?;
            let kind = match (op.as_str(), field.as_deref()) {
                ("create", _) => TimelineEventKind::Created,
                ("delete", _) => TimelineEventKind::Deleted,
                ("restore", _) => TimelineEventKind::Restored,
                ("tag", _) => TimelineEventKind::Tagged { tag: new.as_str().unwrap_or_default().to_string() },
                ("untag", _) => TimelineEventKind::Untagged { tag: old.as_str().unwrap_or_default().to_string() },
                ("update", Some(f)) if QUIET_FIELDS.contains(&f) => continue,
                ("update", Some("stage_id")) => {
                    TimelineEventKind::StageMoved { from: stage_name(&old), to: stage_name(&new) }
                }
                ("update", Some(f)) => TimelineEventKind::FieldChanged { field: f.to_string(), from: old, to: new },
                ("link", Some("note")) => TimelineEventKind::NoteAdded {
                    note_id: new["note_id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default(),
                    excerpt: new["excerpt"].as_str().unwrap_or_default().to_string(),
                },
                ("link", Some("task")) => TimelineEventKind::TaskAdded {
                    task_id: new["task_id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default(),
                    title: new["title"].as_str().unwrap_or_default().to_string(),
                },
                (other, field) => {
                    tracing::warn!(op = other, ?field, "unknown change-log entry left off the timeline");
                    continue;
                }
            };
            let source = rows::text(row, "source")?;
            events.push(TimelineEvent {
                seq: rows::int(row, "seq")?,
                at: rows::timestamp(row, "at")?,
                hlc: rows::text(row, "hlc")?,
                record,
                source: UpdateSource::parse(&source).ok_or_else(|| CrmError::Corrupt(format!("source {source}")))?,
                author: rows::opt_text(row, "author")?,
                kind,
            });
        }
        Ok(events)
    }
}
