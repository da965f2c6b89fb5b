//! Tasks with due dates and reminders, attached to people, companies or deals.

use super::notes::{TASK_LINKS, link_targets, targets_of};
use super::record::{Cell, Fields, insert_records, update_record};
use super::{Crm, CrmError, rows, validate};
use crate::store::time;
use dealdesk_model::{NewTask, RecordKind, RecordRef, Task, TaskStatus, UpdateSource};
use serde_json::json;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskFields {
    pub title: String,
    pub body: Option<String>,
    pub due_at: Option<String>,
    pub reminder_at: Option<String>,
    pub status: TaskStatus,
}

impl Fields for TaskFields {
    const KIND: RecordKind = RecordKind::Task;
    const TABLE: &'static str = "task";

    fn cells(&self) -> Vec<(&'static str, Cell)> {
        vec![
            ("title", self.title.as_str().into()),
            ("body", self.body.clone().into()),
            ("due_at", self.due_at.clone().into()),
            ("reminder_at", self.reminder_at.clone().into()),
            ("status", self.status.as_str().into()),
        ]
    }
}

const SELECT: &str =
    "SELECT id, title, body, due_at, reminder_at, status, origin, created_at, updated_at, deleted_at FROM task";

async fn from_row(conn: &mut SqliteConnection, row: &SqliteRow) -> Result<Task, CrmError> {
    let id = rows::text(row, "id")?;
    let status = rows::text(row, "status")?;
    Ok(Task {
        id: rows::parse_uuid("id", &id)?,
        title: rows::text(row, "title")?,
        body: rows::opt_text(row, "body")?,
        due_at: rows::opt_timestamp(row, "due_at")?,
        reminder_at: rows::opt_timestamp(row, "reminder_at")?,
        status: TaskStatus::parse(&status).ok_or_else(|| CrmError::Corrupt(format!("task status {status}")))?,
        targets: targets_of(conn, &TASK_LINKS, &id).await?,
        meta: rows::meta(row)?,
    })
}

async fn fetch(conn: &mut SqliteConnection, id: Uuid) -> Result<Task, CrmError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = ?")))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| CrmError::NotFound { kind: RecordKind::Task, id: id.to_string() })?;
    from_row(conn, &row).await
}

impl Crm {
    pub async fn add_task(&self, new: NewTask, source: UpdateSource) -> Result<Task, CrmError> {
        let title = validate::line("title", &new.title, validate::LINE_LIMIT)?;
        if title.is_empty() {
            return Err(CrmError::invalid("title", "a task needs a title"));
        }
        let body = validate::body("body", new.body.as_deref().unwrap_or_default(), validate::BODY_LIMIT)?;
        let fields = TaskFields {
            title: title.clone(),
            body: Some(body).filter(|b| !b.is_empty()),
            due_at: new.due_at.map(time::format),
            reminder_at: new.reminder_at.map(time::format),
            status: TaskStatus::Todo,
        };
        let ctx = self.ctx(source);
        let id = Uuid::now_v7();
        let mut tx = self.store.begin_write().await?;
        insert_records(&mut tx, &ctx, &[(id, fields)]).await?;
        let payload = json!({ "task_id": id.to_string(), "title": title });
        link_targets(&mut tx, &ctx, &TASK_LINKS, id, &new.targets, payload).await?;
        let task = fetch(&mut tx, id).await?;
        tx.commit().await?;
        for target in &new.targets {
            self.emit_changed(target.kind, target.id, source);
        }
        Ok(task)
    }

    pub async fn set_task_status(&self, id: Uuid, status: TaskStatus, source: UpdateSource) -> Result<Task, CrmError> {
        let ctx = self.ctx(source);
        let mut tx = self.store.begin_write().await?;
        let task = fetch(&mut tx, id).await?;
        let old = TaskFields {
            title: task.title.clone(),
            body: task.body.clone(),
            due_at: task.due_at.map(time::format),
            reminder_at: task.reminder_at.map(time::format),
            status: task.status,
        };
        let new = TaskFields { status, ..old.clone() };
        update_record(&mut tx, &ctx, id, &old, &new).await?;
        let task = fetch(&mut tx, id).await?;
        tx.commit().await?;
        self.emit_changed(RecordKind::Task, id, source);
        Ok(task)
    }

    /// Live tasks: attached to `record` when given; open ones first by due date.
    pub async fn list_tasks(&self, record: Option<RecordRef>, include_done: bool) -> Result<Vec<Task>, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        let mut sql = format!("{SELECT} WHERE deleted_at IS NULL");
        if !include_done {
            sql.push_str(" AND status != 'done'");
        }
        if record.is_some() {
            sql.push_str(" AND id IN (SELECT task_id FROM task_target WHERE record_kind = ? AND record_id = ?)");
        }
        sql.push_str(" ORDER BY status = 'done', due_at IS NULL, due_at, created_at LIMIT 1000");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(record) = record {
            query = query.bind(record.kind.as_str()).bind(record.id.to_string());
        }
        let rows = query.fetch_all(&mut *conn).await?;
        let mut tasks = Vec::with_capacity(rows.len());
        for row in &rows {
            tasks.push(from_row(&mut conn, row).await?);
        }
        Ok(tasks)
    }
}
