//! Tasks with due dates and reminders, attached to people, companies or deals.

use super::cursor::page_size;
use super::notes::{TASK_LINKS, link_targets, targets_of};
use super::record::{Cell, Fields, insert_records, update_record};
use super::{Crm, CrmError, filters, rows, validate};
use dealdesk_model::{
    NewTask, Page, RecordKind, SortDirection, Task, TaskPatch, TaskQuery, TaskSort, TaskStatus, UpdateSource,
};
use dealdesk_store::time;
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
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

impl From<&Task> for TaskFields {
    fn from(task: &Task) -> Self {
        TaskFields {
            title: task.title.clone(),
            body: task.body.clone(),
            due_at: task.due_at.map(time::format),
            reminder_at: task.reminder_at.map(time::format),
            status: task.status,
        }
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
        self.update_task(id, TaskPatch { status: Some(status), ..Default::default() }, source).await
    }

    /// A page of live tasks: open ones first by due date unless sorted otherwise.
    pub async fn list_tasks(&self, query: &TaskQuery) -> Result<Page<Task>, CrmError> {
        let limit = page_size(query.limit);
        let offset = query.offset.unwrap_or(0);
        let mut conn = self.store.pool().acquire().await?;
        let mut qb = QueryBuilder::<Sqlite>::new(SELECT);
        if !push_filters(&mut qb, query) {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        let dir = match query.direction {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        };
        qb.push(match query.sort {
            TaskSort::Due => format!(" ORDER BY status = 'done', due_at IS NULL, due_at {dir}, created_at, id"),
            TaskSort::Title => format!(" ORDER BY title COLLATE NOCASE {dir}, id"),
            TaskSort::CreatedAt => format!(" ORDER BY created_at {dir}, id"),
        });
        qb.push(" LIMIT ").push_bind(i64::from(limit) + 1).push(" OFFSET ").push_bind(i64::from(offset));
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let more = rows.len() > limit as usize;
        let mut tasks = Vec::with_capacity(rows.len());
        for row in rows.iter().take(limit as usize) {
            tasks.push(from_row(&mut conn, row).await?);
        }
        Ok(Page { items: tasks, next_cursor: more.then(|| (offset + limit).to_string()) })
    }

    pub async fn count_tasks(&self, query: &TaskQuery) -> Result<u64, CrmError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM task");
        if !push_filters(&mut qb, query) {
            return Ok(0);
        }
        let count: i64 = qb.build_query_scalar().fetch_one(self.store.pool()).await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Changes a task's title, description, due date or status.
    pub async fn update_task(&self, id: Uuid, patch: TaskPatch, source: UpdateSource) -> Result<Task, CrmError> {
        let ctx = self.ctx(source);
        let mut tx = self.store.begin_write().await?;
        let task = fetch(&mut tx, id).await?;
        if task.meta.deleted_at.is_some() {
            return Err(CrmError::Deleted { kind: RecordKind::Task, id: id.to_string() });
        }
        let old = TaskFields::from(&task);
        let mut new = old.clone();
        if let Some(title) = patch.title {
            new.title = validate::line("title", &title, validate::LINE_LIMIT)?;
            if new.title.is_empty() {
                return Err(CrmError::invalid("title", "a task needs a title"));
            }
        }
        if let Some(body) = patch.body {
            new.body = Some(validate::body("body", &body, validate::BODY_LIMIT)?).filter(|b| !b.is_empty());
        }
        if let Some(due) = patch.due_at {
            new.due_at = due.map(time::format);
        }
        if let Some(status) = patch.status {
            new.status = status;
        }
        update_record(&mut tx, &ctx, id, &old, &new).await?;
        let task = fetch(&mut tx, id).await?;
        tx.commit().await?;
        self.emit_changed(RecordKind::Task, id, source);
        Ok(task)
    }
}

/// The WHERE clause of a task query; false when it can match nothing.
fn push_filters(qb: &mut QueryBuilder<Sqlite>, query: &TaskQuery) -> bool {
    qb.push(" WHERE deleted_at IS NULL");
    match query.status {
        Some(status) => {
            qb.push(" AND status = ").push_bind(status.as_str());
        }
        None if !query.include_done => {
            qb.push(" AND status != 'done'");
        }
        None => {}
    }
    if let Some(record) = query.record {
        qb.push(" AND id IN (SELECT task_id FROM task_target WHERE record_kind = ")
            .push_bind(record.kind.as_str())
            .push(" AND record_id = ")
            .push_bind(record.id.to_string())
            .push(")");
    }
    if let Some(text) = query.text.as_deref() {
        let words: Vec<&str> = text.split_whitespace().take(8).collect();
        if words.is_empty() {
            return false;
        }
        for word in words {
            qb.push(" AND title LIKE ").push_bind(format!("%{}%", word.replace(['%', '_'], "")));
        }
    }
    filters::push_day_range(qb, "due_at", query.due_from, query.due_to);
    true
}
