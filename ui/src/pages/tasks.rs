use crate::ipc::invoke;
use crate::route::Route;
use crate::state::table::{ColumnSpec, Edit, ViewState};
use crate::table::{FilterSpec, RecordTable, TableObject};
use chrono::NaiveDate;
use dealdesk_model::ipc::{CountTasks, ListTasks, UpdateTask};
use dealdesk_model::{
    ApiError, ErrorCode, Page, RecordKind, SortDirection, Task, TaskPatch, TaskQuery, TaskSort, TaskStatus,
};
use uuid::Uuid;
use yew::prelude::*;

pub struct TasksTable;

fn query(view: &ViewState) -> TaskQuery {
    let status = view.select("status");
    TaskQuery {
        text: Some(view.text.clone()).filter(|t| !t.trim().is_empty()),
        status: status.and_then(TaskStatus::parse),
        include_done: status == Some("all"),
        due_from: view.date_from,
        due_to: view.date_to,
        sort: match view.sort.as_deref() {
            Some("title") => TaskSort::Title,
            Some("created") => TaskSort::CreatedAt,
            _ => TaskSort::Due,
        },
        direction: if view.descending { SortDirection::Desc } else { SortDirection::Asc },
        ..Default::default()
    }
}

fn status_label(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Todo => "To do",
        TaskStatus::InProgress => "In progress",
        TaskStatus::Done => "Done",
    }
}

impl TableObject for TasksTable {
    type Record = Task;
    const KIND: RecordKind = RecordKind::Task;
    const TITLE: &'static str = "Tasks";
    const NOUN: &'static str = "task";
    const DATE_FILTER: Option<&'static str> = Some("Due");

    fn columns() -> Vec<ColumnSpec> {
        vec![
            ColumnSpec::new("title", "Task", 260).sortable().edit(Edit::Text),
            ColumnSpec::new("status", "Status", 100).edit(Edit::Text),
            ColumnSpec::new("due", "Due", 110).sortable().edit(Edit::Date),
            ColumnSpec::new("linked", "Linked to", 90).numeric(),
            ColumnSpec::new("created", "Created", 110).sortable(),
        ]
    }

    fn id(record: &Task) -> Uuid {
        record.id
    }

    fn cell(t: &Task, key: &str) -> String {
        match key {
            "title" => t.title.clone(),
            "status" => status_label(t.status).to_string(),
            "due" => t.due_at.map(|d| d.date_naive().to_string()).unwrap_or_default(),
            "linked" => t.targets.len().to_string(),
            "created" => t.meta.created_at.format("%Y-%m-%d").to_string(),
            _ => String::new(),
        }
    }

    fn route(_: &Task) -> Option<Route> {
        None
    }

    async fn filters() -> Vec<FilterSpec> {
        vec![FilterSpec {
            key: "status",
            label: "Status",
            options: vec![
                ("todo".into(), "To do".into()),
                ("in_progress".into(), "In progress".into()),
                ("done".into(), "Done".into()),
                ("all".into(), "All, with done".into()),
            ],
        }]
    }

    async fn fetch(view: ViewState, offset: u32, limit: u32) -> Result<Page<Task>, ApiError> {
        invoke::<ListTasks>(&TaskQuery { offset: Some(offset), limit: Some(limit), ..query(&view) }).await
    }

    async fn count(view: ViewState) -> Result<u64, ApiError> {
        invoke::<CountTasks>(&query(&view)).await
    }

    async fn update(id: Uuid, key: &'static str, value: String) -> Result<Task, ApiError> {
        let mut patch = TaskPatch::default();
        match key {
            "title" => patch.title = Some(value),
            "status" => {
                patch.status = Some(TaskStatus::parse(&value).ok_or_else(|| {
                    ApiError::new(ErrorCode::Validation, "status is to do, in progress or done").with_field("status")
                })?);
            }
            "due" => {
                let trimmed = value.trim();
                patch.due_at = Some(if trimmed.is_empty() {
                    None
                } else {
                    let day = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").map_err(|_| {
                        ApiError::new(ErrorCode::Validation, "pick a date (YYYY-MM-DD)").with_field("due")
                    })?;
                    day.and_hms_opt(12, 0, 0).map(|t| t.and_utc())
                });
            }
            _ => {}
        }
        invoke::<UpdateTask>(&(id, patch)).await
    }
}

#[function_component(TasksPage)]
pub fn tasks_page() -> Html {
    html! { <RecordTable<TasksTable> /> }
}
