//! Tags on people, companies and deals.

use super::record::{Change, WriteCtx, append_changes};
use super::{Crm, CrmError, live_exists, rows, validate};
use dealdesk_model::{RecordKind, RecordRef, Tag, UpdateSource};
use serde_json::Value;
use sqlx::SqliteConnection;
use uuid::Uuid;

/// The table of a record kind that can carry notes, tasks and tags.
pub(crate) fn linkable_table(kind: RecordKind) -> Result<&'static str, CrmError> {
    match kind {
        RecordKind::Person => Ok("person"),
        RecordKind::Company => Ok("company"),
        RecordKind::Deal => Ok("deal"),
        other => Err(CrmError::NotTaggable(other)),
    }
}

/// Fails unless the record exists and is not in the trash.
pub(crate) async fn require_live(conn: &mut SqliteConnection, record: RecordRef) -> Result<(), CrmError> {
    let table = linkable_table(record.kind)?;
    if live_exists(conn, table, record.id).await? {
        Ok(())
    } else {
        Err(CrmError::NotFound { kind: record.kind, id: record.id.to_string() })
    }
}

async fn tag_id(conn: &mut SqliteConnection, name: &str) -> Result<Option<Tag>, CrmError> {
    let row =
        sqlx::query("SELECT id, name, color FROM tag WHERE name = ?").bind(name).fetch_optional(&mut *conn).await?;
    row.map(|row| {
        Ok(Tag { id: rows::uuid(&row, "id")?, name: rows::text(&row, "name")?, color: rows::opt_text(&row, "color")? })
    })
    .transpose()
}

/// The names of a record's tags.
pub(crate) async fn names_of(conn: &mut SqliteConnection, record: RecordRef) -> Result<Vec<String>, CrmError> {
    Ok(sqlx::query_scalar(
        "SELECT t.name FROM record_tag rt JOIN tag t ON t.id = rt.tag_id WHERE rt.record_kind = ? AND rt.record_id = ?",
    )
    .bind(record.kind.as_str())
    .bind(record.id.to_string())
    .fetch_all(&mut *conn)
    .await?)
}

pub(crate) async fn add_tag(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    record: RecordRef,
    name: &str,
) -> Result<Tag, CrmError> {
    let name = validate::line("tag", name, validate::NAME_LIMIT)?;
    if name.is_empty() {
        return Err(CrmError::invalid("tag", "a tag needs a name"));
    }
    let tag = match tag_id(conn, &name).await? {
        Some(tag) => tag,
        None => {
            let tag = Tag { id: Uuid::now_v7(), name: name.clone(), color: None };
            sqlx::query("INSERT INTO tag (id, name, created_at) VALUES (?, ?, ?)")
                .bind(tag.id.to_string())
                .bind(&tag.name)
                .bind(&ctx.now)
                .execute(&mut *conn)
                .await?;
            tag
        }
    };
    let inserted = sqlx::query(
        "INSERT OR IGNORE INTO record_tag (record_kind, record_id, tag_id, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(record.kind.as_str())
    .bind(record.id.to_string())
    .bind(tag.id.to_string())
    .bind(&ctx.now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() > 0 {
        let change = Change {
            kind: record.kind,
            id: record.id,
            op: "tag",
            field: Some("tags".into()),
            old: None,
            new: Some(Value::String(tag.name.clone())),
        };
        append_changes(conn, ctx, &[change]).await?;
    }
    Ok(tag)
}

impl Crm {
    /// Tags a live record, creating the tag on first use. Tagging twice is a no-op.
    pub async fn tag_record(&self, record: RecordRef, name: &str, source: UpdateSource) -> Result<Tag, CrmError> {
        let ctx = self.ctx(source);
        let mut tx = self.store.begin_write().await?;
        require_live(&mut tx, record).await?;
        let tag = add_tag(&mut tx, &ctx, record, name).await?;
        tx.commit().await?;
        self.emit_changed(record.kind, record.id, source);
        Ok(tag)
    }

    pub async fn untag_record(&self, record: RecordRef, name: &str, source: UpdateSource) -> Result<(), CrmError> {
        let ctx = self.ctx(source);
        let mut tx = self.store.begin_write().await?;
        require_live(&mut tx, record).await?;
        let Some(tag) = tag_id(&mut tx, name.trim()).await? else {
            return Ok(());
        };
        let removed = sqlx::query("DELETE FROM record_tag WHERE record_kind = ? AND record_id = ? AND tag_id = ?")
            .bind(record.kind.as_str())
            .bind(record.id.to_string())
            .bind(tag.id.to_string())
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() > 0 {
            let change = Change {
                kind: record.kind,
                id: record.id,
                op: "untag",
                field: Some("tags".into()),
                old: Some(Value::String(tag.name.clone())),
                new: None,
            };
            append_changes(&mut tx, &ctx, &[change]).await?;
        }
        tx.commit().await?;
        self.emit_changed(record.kind, record.id, source);
        Ok(())
    }

    pub async fn list_tags(&self) -> Result<Vec<Tag>, CrmError> {
        let rows = sqlx::query("SELECT id, name, color FROM tag ORDER BY name").fetch_all(self.store.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(Tag {
                    id: rows::uuid(row, "id")?,
                    name: rows::text(row, "name")?,
                    color: rows::opt_text(row, "color")?,
                })
            })
            .collect()
    }
}
