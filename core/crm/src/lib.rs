//! The CRM: people, companies, deals, pipelines and stages, notes, tasks, tags, custom fields,
//! the timeline, full-text search and CSV import/export.
//!
//! Every write runs in one SQLite transaction that also appends to the change log, then emits a
//! [`CoreEvent`] tagged with its [`UpdateSource`].

mod board;
mod companies;
pub mod csv;
mod cursor;
mod custom_fields;
pub mod deals;
pub mod error;
mod filters;
mod history;
mod notes;
pub mod people;
mod pipelines;
mod preferences;
pub mod record;
mod records;
mod rows;
mod search;
mod segments;
pub mod shared;
mod tags;
mod tasks;
#[cfg(feature = "test-support")]
pub mod test_support;
mod timeline;
mod trash;
pub mod validate;

pub use board::weighted;
pub use error::CrmError;
pub use search::{SEARCH_CANDIDATES, fts_query};
pub use segments::{SegmentMembers, SegmentPeople};

use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::{RecordKind, RecordRef, UpdateSource};
use dealdesk_store::EventBus;
use dealdesk_store::Store;
use record::WriteCtx;
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Clone)]
pub struct Crm {
    store: Store,
    events: EventBus,
    /// Who is in a churn segment, from the revenue desk once the app registers it.
    segments: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<dyn SegmentMembers>>>,
}

/// Parses a record id given by a user.
pub fn parse_id(text: &str) -> Result<Uuid, CrmError> {
    Uuid::parse_str(text.trim()).map_err(|_| CrmError::InvalidId(text.chars().take(60).collect()))
}

impl Crm {
    pub fn new(store: Store, events: EventBus) -> Self {
        Crm { store, events, segments: Default::default() }
    }

    fn ctx(&self, source: UpdateSource) -> WriteCtx<'_> {
        WriteCtx::new(self.store.clock(), source)
    }

    fn emit_changed(&self, kind: RecordKind, id: Uuid, source: UpdateSource) {
        self.events.emit(CoreEvent::RecordChanged { record: RecordRef { kind, id }, source });
    }

    fn emit_many_changed(&self, kind: RecordKind, source: UpdateSource) {
        self.events.emit(CoreEvent::RecordsChanged { kind, source });
    }

    /// Finds which kind of record an id belongs to (live or in the trash).
    pub async fn resolve_record(&self, id: Uuid) -> Result<RecordRef, CrmError> {
        let kind: Option<String> = sqlx::query_scalar(
            "SELECT 'person' FROM person WHERE id = ?1 UNION ALL SELECT 'company' FROM company WHERE id = ?1 \
             UNION ALL SELECT 'deal' FROM deal WHERE id = ?1 UNION ALL SELECT 'note' FROM note WHERE id = ?1 \
             UNION ALL SELECT 'task' FROM task WHERE id = ?1 LIMIT 1",
        )
        .bind(id.to_string())
        .fetch_optional(self.store.pool())
        .await?;
        kind.and_then(|k| RecordKind::parse(&k))
            .map(|kind| RecordRef { kind, id })
            .ok_or_else(|| CrmError::RecordNotFound(id.to_string()))
    }
}

/// Looks up many values of one column at once (chunked `IN` lists). Returns lower-cased value →
/// record id. `live_only` skips records in the trash.
pub(crate) async fn find_existing(
    conn: &mut SqliteConnection,
    table: &'static str,
    column: &'static str,
    live_only: bool,
    values: &[String],
) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut found = HashMap::new();
    for chunk in values.chunks(500) {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {column}, id FROM {table} WHERE {column} IN ("));
        let mut list = qb.separated(", ");
        for value in chunk {
            list.push_bind(value.clone());
        }
        qb.push(")");
        if live_only {
            qb.push(" AND deleted_at IS NULL");
        }
        let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        for (value, id) in rows {
            found.insert(value.to_lowercase(), id);
        }
    }
    Ok(found)
}

/// Whether a live record of `table` has this id.
pub(crate) async fn live_exists(
    conn: &mut SqliteConnection,
    table: &'static str,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT 1 FROM {table} WHERE id = ? AND deleted_at IS NULL");
    Ok(sqlx::query(AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(&mut *conn).await?.is_some())
}
