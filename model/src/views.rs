//! What the screens beyond plain lists need: the board, the dashboard, bulk actions, saved views,
//! settings, pipeline and custom field editing, task and note edits.

use crate::money::Money;
use crate::record::{Deal, Pipeline, RecordKind, RecordRef, Stage, Task, TaskStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BoardQuery {
    /// The default pipeline when absent.
    #[serde(default)]
    pub pipeline_id: Option<Uuid>,
    /// Cards loaded per column (the counts and totals always cover the whole column).
    #[serde(default)]
    pub per_column: Option<u32>,
}

/// A pipeline as a kanban board of its open deals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub pipeline: Pipeline,
    pub columns: Vec<BoardColumn>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardColumn {
    pub stage: Stage,
    /// Open deals in the stage.
    pub count: u64,
    /// Sum of amounts, one entry per currency, largest first.
    pub totals: Vec<Money>,
    /// Sum of amount × stage probability, per currency.
    pub weighted: Vec<Money>,
    /// The first cards by board position.
    pub deals: Vec<Deal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageValue {
    pub stage_id: Uuid,
    pub name: String,
    pub count: u64,
    pub value_micros: i64,
    pub weighted_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthValue {
    /// `YYYY-MM`.
    pub month: String,
    pub count: u64,
    pub value_micros: i64,
}

/// The dashboard, in the currency most open deals use (others are listed, not converted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub currency: String,
    pub other_currencies: Vec<String>,
    pub pipeline_name: String,
    /// Open deals of the default pipeline by stage.
    pub stages: Vec<StageValue>,
    pub open_value_micros: i64,
    pub weighted_forecast_micros: i64,
    /// Deals won per month, the last 12 months, oldest first.
    pub won_per_month: Vec<MonthValue>,
    pub tasks_due_today: Vec<Task>,
    pub tasks_overdue: Vec<Task>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum BulkAction {
    Tag {
        tag: String,
    },
    Untag {
        tag: String,
    },
    Trash,
    Restore,
    /// Deals only: move to a stage (by name) of each deal's pipeline.
    MoveStage {
        stage: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRequest {
    pub kind: RecordKind,
    pub ids: Vec<Uuid>,
    pub action: BulkAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResult {
    /// Records the action changed (the others already were that way).
    pub changed: u64,
}

/// A named table view: the UI's filter, sort and column state, kept in the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: Uuid,
    pub object: RecordKind,
    pub name: String,
    pub state: serde_json::Value,
    /// Shared with the team workspace (every desktop has it); else personal, this desktop only.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSavedView {
    pub object: RecordKind,
    pub name: String,
    pub state: serde_json::Value,
    /// Share it with the team workspace; personal when absent.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the operating system.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub theme: Theme,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub database_file: String,
    pub database_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileWritten {
    pub path: String,
    pub bytes: u64,
    /// Records written, for exports.
    #[serde(default)]
    pub rows: Option<u64>,
}

/// One stage in the pipeline editor, in the order shown. `id` is absent for a new stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageEdit {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    pub probability: u8,
    #[serde(default)]
    pub rotting_days: Option<u32>,
}

/// Saves a whole pipeline from the editor: its name and its stages in order. Stages left out are
/// removed, which is refused while deals sit in them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavePipeline {
    /// A new pipeline when absent.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub is_default: bool,
    pub stages: Vec<StageEdit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldPatch {
    pub id: Uuid,
    #[serde(default)]
    pub label: Option<String>,
    /// New options for a select field.
    #[serde(default)]
    pub options: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskPatch {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default, with = "crate::record::double_option", skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Option<DateTime<Utc>>>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagRequest {
    pub record: RecordRef,
    pub tag: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteEdit {
    pub id: Uuid,
    pub body: String,
}
