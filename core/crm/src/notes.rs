//! Notes (markdown) attached to one or more people, companies or deals.

use super::cursor::page_size;
use super::record::{Cell, Change, Fields, WriteCtx, append_changes, insert_records, update_record};
use super::tags::require_live;
use super::{Crm, CrmError, filters, rows, validate};
use dealdesk_model::{NewNote, Note, NoteEdit, NoteQuery, Page, RecordKind, RecordRef, UpdateSource};
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

pub(crate) struct NoteFields {
    pub body: String,
}

impl Fields for NoteFields {
    const KIND: RecordKind = RecordKind::Note;
    const TABLE: &'static str = "note";

    fn cells(&self) -> Vec<(&'static str, Cell)> {
        vec![("body", self.body.as_str().into())]
    }
}

/// The first line of a text, cut to `max` characters: what a timeline shows of a note.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default().trim();
    if first.chars().count() > max {
        let cut: String = first.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        first.to_string()
    }
}

/// Where the targets of notes or tasks are stored, and what their timeline entries are called.
pub(crate) struct LinkTable {
    pub table: &'static str,
    pub owner_column: &'static str,
    pub field: &'static str,
}

pub(crate) const NOTE_LINKS: LinkTable = LinkTable { table: "note_target", owner_column: "note_id", field: "note" };
pub(crate) const TASK_LINKS: LinkTable = LinkTable { table: "task_target", owner_column: "task_id", field: "task" };

/// Links a new note or task to its targets (there may be none) and puts a `link` change on each
/// target's timeline.
pub(crate) async fn link_targets(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    links: &LinkTable,
    owner: Uuid,
    targets: &[RecordRef],
    payload: serde_json::Value,
) -> Result<(), CrmError> {
    let mut changes = Vec::with_capacity(targets.len());
    for target in targets {
        require_live(conn, *target).await?;
        let sql = format!(
            "INSERT OR IGNORE INTO {} ({}, record_kind, record_id) VALUES (?, ?, ?)",
            links.table, links.owner_column
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner.to_string())
            .bind(target.kind.as_str())
            .bind(target.id.to_string())
            .execute(&mut *conn)
            .await?;
        changes.push(Change {
            kind: target.kind,
            id: target.id,
            op: "link",
            field: Some(links.field.to_string()),
            old: None,
            new: Some(payload.clone()),
        });
    }
    append_changes(conn, ctx, &changes).await?;
    Ok(())
}

pub(crate) async fn targets_of(
    conn: &mut SqliteConnection,
    links: &LinkTable,
    owner: &str,
) -> Result<Vec<RecordRef>, CrmError> {
    let sql = format!(
        "SELECT record_kind, record_id FROM {} WHERE {} = ? ORDER BY record_kind, record_id",
        links.table, links.owner_column
    );
    let pairs: Vec<(String, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(owner).fetch_all(&mut *conn).await?;
    pairs
        .into_iter()
        .map(|(kind, id)| {
            Ok(RecordRef {
                kind: RecordKind::parse(&kind).ok_or_else(|| CrmError::Corrupt(format!("record kind {kind}")))?,
                id: rows::parse_uuid("record_id", &id)?,
            })
        })
        .collect()
}

impl Crm {
    pub async fn add_note(&self, new: NewNote, source: UpdateSource) -> Result<Note, CrmError> {
        let body = validate::body("body", &new.body, validate::BODY_LIMIT)?;
        if body.is_empty() {
            return Err(CrmError::invalid("body", "a note cannot be empty"));
        }
        let ctx = self.ctx(source);
        let id = Uuid::now_v7();
        let mut tx = self.store.begin_write().await?;
        insert_records(&mut tx, &ctx, &[(id, NoteFields { body: body.clone() })]).await?;
        let payload = json!({ "note_id": id.to_string(), "excerpt": excerpt(&body, 120) });
        link_targets(&mut tx, &ctx, &NOTE_LINKS, id, &new.targets, payload).await?;
        tx.commit().await?;
        for target in &new.targets {
            self.emit_changed(target.kind, target.id, source);
        }
        self.get_note(id).await
    }

    pub async fn get_note(&self, id: Uuid) -> Result<Note, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        let row = sqlx::query("SELECT id, body, origin, created_at, updated_at, deleted_at FROM note WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| CrmError::NotFound { kind: RecordKind::Note, id: id.to_string() })?;
        Ok(Note {
            id,
            body: rows::text(&row, "body")?,
            targets: targets_of(&mut conn, &NOTE_LINKS, &id.to_string()).await?,
            meta: rows::meta(&row)?,
        })
    }

    /// Live notes, newest first: all of them, those attached to a record, or those matching text.
    pub async fn list_notes(&self, query: &NoteQuery) -> Result<Page<Note>, CrmError> {
        let limit = page_size(query.limit);
        let offset = query.offset.unwrap_or(0);
        let mut conn = self.store.pool().acquire().await?;
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT n.id, n.body, n.origin, n.created_at, n.updated_at, n.deleted_at FROM note n WHERE n.deleted_at IS NULL",
        );
        if let Some(record) = query.record {
            qb.push(" AND n.id IN (SELECT note_id FROM note_target WHERE record_kind = ")
                .push_bind(record.kind.as_str())
                .push(" AND record_id = ")
                .push_bind(record.id.to_string())
                .push(")");
        }
        if let Some(text) = query.text.as_deref()
            && !filters::push_text(&mut qb, "note_fts", "n.rid", text)
        {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        qb.push(" ORDER BY n.created_at DESC, n.id DESC LIMIT ")
            .push_bind(i64::from(limit) + 1)
            .push(" OFFSET ")
            .push_bind(i64::from(offset));
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let more = rows.len() > limit as usize;
        let mut notes = Vec::with_capacity(rows.len());
        for row in rows.iter().take(limit as usize) {
            let id = rows::text(row, "id")?;
            notes.push(Note {
                id: rows::parse_uuid("id", &id)?,
                body: rows::text(row, "body")?,
                targets: targets_of(&mut conn, &NOTE_LINKS, &id).await?,
                meta: rows::meta(row)?,
            });
        }
        Ok(Page { items: notes, next_cursor: more.then(|| (offset + limit).to_string()) })
    }

    pub async fn update_note(&self, edit: NoteEdit, source: UpdateSource) -> Result<Note, CrmError> {
        let body = validate::body("body", &edit.body, validate::BODY_LIMIT)?;
        if body.is_empty() {
            return Err(CrmError::invalid("body", "a note cannot be empty"));
        }
        let current = self.get_note(edit.id).await?;
        if current.meta.deleted_at.is_some() {
            return Err(CrmError::Deleted { kind: RecordKind::Note, id: edit.id.to_string() });
        }
        let mut tx = self.store.begin_write().await?;
        let changed = update_record(
            &mut tx,
            &self.ctx(source),
            edit.id,
            &NoteFields { body: current.body.clone() },
            &NoteFields { body },
        )
        .await?;
        tx.commit().await?;
        if !changed.is_empty() {
            self.emit_changed(RecordKind::Note, edit.id, source);
            for target in &current.targets {
                self.emit_changed(target.kind, target.id, source);
            }
        }
        self.get_note(edit.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn excerpt_takes_the_first_line_and_cuts() {
        assert_eq!(excerpt("\n  Called Ann  \nmore", 50), "Called Ann");
        assert_eq!(excerpt("abcdef", 4), "abc…");
    }
}
