//! The trash as a screen: what is in it, deleting a record for good, and emptying it after the
//! number of days the user chose (`trash.retention_days`). Moving to the trash and restoring are
//! in `records.rs`.

use super::records::table_of;
use super::{Crm, CrmError};
use dealdesk_model::trash::{DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, TrashItem, TrashList, TrashQuery};
use dealdesk_model::{RecordKind, RecordRef, UpdateSource};
use dealdesk_store::time;
use sqlx::{AssertSqlSafe, SqliteConnection};
use uuid::Uuid;

/// The setting that holds how many days the trash keeps records.
pub const RETENTION_SETTING: &str = "trash.retention_days";
/// When this database started counting days in the trash: a record trashed before (when nothing
/// was ever erased) counts from then, not from its deletion, so an upgrade deletes nothing at once.
const RETENTION_SINCE_SETTING: &str = "trash.retention_since";
/// Most records one page of the Trash screen lists.
const MAX_LISTED: u32 = 500;

/// Why a record of this kind stays in the trash rather than being deleted for good (SQL on the
/// kind's row, NULL when it can go). A Whop customer or membership would come back with the next
/// sync, and a deal's contracts (signed PDFs among them) are reached through the deal.
fn kept_reason(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => {
            "CASE WHEN EXISTS (SELECT 1 FROM whop_person w WHERE w.person_id = person.id) \
             THEN 'A Whop customer: the next Whop sync would bring them back' END"
        }
        RecordKind::Deal => {
            "CASE WHEN EXISTS (SELECT 1 FROM contract c WHERE c.deal_id = deal.id) \
             THEN 'It has contracts, kept with it' \
             WHEN EXISTS (SELECT 1 FROM whop_deal w WHERE w.deal_id = deal.id) \
             THEN 'A Whop membership: the next Whop sync would bring it back' END"
        }
        RecordKind::Company | RecordKind::Note | RecordKind::Task => "NULL",
    }
}

/// Each kind's title and second line, as the Trash screen shows them.
fn describe(kind: RecordKind) -> (&'static str, &'static str) {
    match kind {
        RecordKind::Person => ("trim(first_name || ' ' || last_name)", "email"),
        RecordKind::Company => ("name", "domain"),
        RecordKind::Deal => ("name", "NULL"),
        // A note's first line, and its length when there is more.
        RecordKind::Note => (
            "substr(CASE WHEN instr(body, char(10)) > 0 THEN substr(body, 1, instr(body, char(10)) - 1) ELSE body END, 1, 120)",
            "CASE WHEN length(body) > 120 OR instr(body, char(10)) > 0 THEN length(body) || ' characters' END",
        ),
        RecordKind::Task => ("title", "NULL"),
    }
}

#[derive(sqlx::FromRow)]
struct TrashRow {
    kind: String,
    id: String,
    title: Option<String>,
    detail: Option<String>,
    deleted_at: String,
    kept: Option<String>,
}

impl Crm {
    /// Days the trash keeps a record before deleting it for good; 0 keeps it until deleted by hand.
    pub async fn trash_retention(&self) -> Result<u32, CrmError> {
        Ok(self.store.setting::<u32>(RETENTION_SETTING).await?.unwrap_or(DEFAULT_RETENTION_DAYS))
    }

    pub async fn set_trash_retention(&self, days: u32) -> Result<TrashList, CrmError> {
        if days > MAX_RETENTION_DAYS {
            return Err(CrmError::invalid(
                "retention_days",
                format!(
                    "the trash keeps records at most {MAX_RETENTION_DAYS} days (0 keeps them until you delete them)"
                ),
            ));
        }
        self.store.set_setting(RETENTION_SETTING, &days).await?;
        self.trash_list(&TrashQuery::default()).await
    }

    /// What is in the trash, newest deletion first.
    pub async fn trash_list(&self, query: &TrashQuery) -> Result<TrashList, CrmError> {
        let kinds: Vec<RecordKind> = match query.kind {
            Some(kind) => vec![kind],
            None => RecordKind::ALL.to_vec(),
        };
        let union = |select: &dyn Fn(RecordKind) -> String| {
            kinds.iter().map(|kind| select(*kind)).collect::<Vec<_>>().join(" UNION ALL ")
        };
        let limit = query.limit.unwrap_or(MAX_LISTED).min(MAX_LISTED);
        let sql = format!(
            "SELECT kind, id, title, detail, deleted_at, kept FROM ({}) ORDER BY deleted_at DESC, id LIMIT {limit}",
            union(&|kind| {
                let (title, detail) = describe(kind);
                format!(
                    "SELECT '{}' AS kind, id, {title} AS title, {detail} AS detail, deleted_at, {} AS kept \
                     FROM {} WHERE deleted_at IS NOT NULL",
                    kind.as_str(),
                    kept_reason(kind),
                    table_of(kind)
                )
            })
        );
        let mut conn = self.store.pool().acquire().await?;
        let rows: Vec<TrashRow> = sqlx::query_as(AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
        let count_sql = format!(
            "SELECT {} ",
            kinds
                .iter()
                .map(|kind| format!("(SELECT count(*) FROM {} WHERE deleted_at IS NOT NULL)", table_of(*kind)))
                .collect::<Vec<_>>()
                .join(" + ")
        );
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(count_sql)).fetch_one(&mut *conn).await?;
        drop(conn);
        let items = rows
            .into_iter()
            .filter_map(|row| {
                let kind = RecordKind::parse(&row.kind)?;
                let id = Uuid::parse_str(&row.id).ok()?;
                let title = row.title.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "(untitled)".to_string());
                Some(TrashItem {
                    record: RecordRef { kind, id },
                    title,
                    detail: row.detail.filter(|d| !d.trim().is_empty()),
                    deleted_at: row.deleted_at,
                    kept: row.kept,
                })
            })
            .collect();
        Ok(TrashList { items, total: total.max(0) as u64, retention_days: self.trash_retention().await? })
    }

    /// Deletes a record in the trash for good: its row, its tags and links, the notes' and tasks'
    /// links to it, and its history. A live record is refused: it goes to the trash first.
    pub async fn delete_for_good(&self, record: RecordRef, source: UpdateSource) -> Result<(), CrmError> {
        let mut tx = self.store.begin_write().await?;
        let deleted_at: Option<Option<String>> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT deleted_at FROM {} WHERE id = ?", table_of(record.kind))))
                .bind(record.id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        match deleted_at {
            None => return Err(CrmError::NotFound { kind: record.kind, id: record.id.to_string() }),
            Some(None) => {
                return Err(CrmError::invalid(
                    "record",
                    format!("this {} is not in the trash: move it to the trash first", record.kind.as_str()),
                ));
            }
            Some(Some(_)) => {}
        }
        let why: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {} FROM {} WHERE id = ?",
            kept_reason(record.kind),
            table_of(record.kind)
        )))
        .bind(record.id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        if let Some(why) = why {
            return Err(CrmError::invalid(
                "record",
                format!("this {} stays in the trash: {why}", record.kind.as_str()),
            ));
        }
        purge(&mut tx, record).await?;
        tx.commit().await?;
        tracing::info!(kind = record.kind.as_str(), id = %record.id, "deleted for good");
        self.emit_changed(record.kind, record.id, source);
        Ok(())
    }

    /// Deletes everything in the trash (of one kind, or every kind) for good, but what stays for a
    /// reason (see the list); returns how many records went.
    pub async fn empty_trash(&self, kind: Option<RecordKind>, source: UpdateSource) -> Result<u64, CrmError> {
        self.purge_deleted_before(kind, None, source).await
    }

    /// Deletes for good what has been in the trash longer than the retention setting (nothing
    /// when it is 0). The app runs it at start and daily.
    pub async fn empty_expired_trash(&self) -> Result<u64, CrmError> {
        let days = self.trash_retention().await?;
        if days == 0 {
            return Ok(0);
        }
        let now = time::now();
        let since = match self.store.setting::<String>(RETENTION_SINCE_SETTING).await? {
            Some(since) => since,
            None => {
                let since = time::format(now);
                self.store.set_setting(RETENTION_SINCE_SETTING, &since).await?;
                since
            }
        };
        let before = time::format(now - chrono::Duration::days(i64::from(days)));
        if since >= before {
            return Ok(0);
        }
        self.purge_deleted_before(None, Some(before), UpdateSource::Ui).await
    }

    async fn purge_deleted_before(
        &self,
        only: Option<RecordKind>,
        before: Option<String>,
        source: UpdateSource,
    ) -> Result<u64, CrmError> {
        let mut purged = 0u64;
        for kind in RecordKind::ALL.into_iter().filter(|kind| only.is_none_or(|only| only == *kind)) {
            let mut tx = self.store.begin_write().await?;
            let ids: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT id FROM {table} WHERE deleted_at IS NOT NULL AND (?1 IS NULL OR deleted_at < ?1) \
                 AND {kept} IS NULL",
                table = table_of(kind),
                kept = kept_reason(kind)
            )))
            .bind(&before)
            .fetch_all(&mut *tx)
            .await?;
            for id in &ids {
                let Ok(id) = Uuid::parse_str(id) else { continue };
                purge(&mut tx, RecordRef { kind, id }).await?;
            }
            tx.commit().await?;
            if !ids.is_empty() {
                purged += ids.len() as u64;
                self.emit_many_changed(kind, source);
            }
        }
        if purged > 0 {
            tracing::info!(records = purged, "emptied the trash");
        }
        Ok(purged)
    }
}

/// Deletes one record and everything that only describes it, in the caller's transaction.
async fn purge(conn: &mut SqliteConnection, record: RecordRef) -> Result<(), sqlx::Error> {
    let (kind, id) = (record.kind.as_str(), record.id.to_string());
    // Notes and tasks linked to it stay (they may name other records too); the link goes.
    for table in ["record_tag", "note_target", "task_target"] {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE record_kind = ? AND record_id = ?")))
            .bind(kind)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    // The row: the search index, Whop links and its own note or task links go with it (triggers
    // and foreign keys); deals and people pointing at it keep their row with the link cleared.
    sqlx::query(AssertSqlSafe(format!("DELETE FROM {} WHERE id = ?", table_of(record.kind))))
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    // The tombstone lets the log's rows go, and drops what other desktops later send about it.
    sqlx::query("INSERT OR IGNORE INTO purged_record (record_kind, record_id, purged_at) VALUES (?, ?, ?)")
        .bind(kind)
        .bind(&id)
        .bind(time::format(time::now()))
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM change_log WHERE record_kind = ? AND record_id = ?")
        .bind(kind)
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
