//! List queries (filter, sort, keyset page) and the pages they return.

use crate::record::{DealStatus, RecordRef, TaskStatus};
use crate::revenue::ChurnSegment;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most rows one page may hold.
pub const MAX_PAGE_SIZE: u32 = 500;
/// Rows per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// One page of a keyset-paginated list. Pass `next_cursor` back to get the following page; it is
/// `None` on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PersonSort {
    /// First name, then last name.
    #[default]
    Name,
    UpdatedAt,
    CreatedAt,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonQuery {
    /// Full-text prefix search over name, email, job title and city.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub company_id: Option<Uuid>,
    #[serde(default)]
    pub tag: Option<String>,
    /// Created on or after this day (UTC).
    #[serde(default)]
    pub created_from: Option<NaiveDate>,
    /// Created on or before this day (UTC).
    #[serde(default)]
    pub created_to: Option<NaiveDate>,
    /// Only the people whose Whop customer is in this churn segment now (docs/revenue.md,
    /// "Churn"): a churn segment as a view of people, to combine with the other filters and save.
    #[serde(default)]
    pub churn_segment: Option<ChurnSegment>,
    #[serde(default)]
    pub sort: PersonSort,
    #[serde(default)]
    pub direction: SortDirection,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub cursor: Option<String>,
    /// Skip this many rows instead of seeking a cursor (random access for virtual scrolling).
    #[serde(default)]
    pub offset: Option<u32>,
    /// List the trash instead of live records.
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CompanySort {
    #[default]
    Name,
    UpdatedAt,
    CreatedAt,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyQuery {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    /// Only ideal-customer-profile companies (or only the others).
    #[serde(default)]
    pub icp: Option<bool>,
    #[serde(default)]
    pub sort: CompanySort,
    #[serde(default)]
    pub direction: SortDirection,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub offset: Option<u32>,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DealSort {
    #[default]
    Name,
    Amount,
    UpdatedAt,
    CreatedAt,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DealQuery {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub pipeline_id: Option<Uuid>,
    /// Stage name (case-insensitive) in the chosen or default pipeline.
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub status: Option<DealStatus>,
    #[serde(default)]
    pub company_id: Option<Uuid>,
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    #[serde(default)]
    pub tag: Option<String>,
    /// Amount range in micros (inclusive), compared regardless of currency.
    #[serde(default)]
    pub amount_min: Option<i64>,
    #[serde(default)]
    pub amount_max: Option<i64>,
    /// Expected close date range (inclusive).
    #[serde(default)]
    pub close_from: Option<NaiveDate>,
    #[serde(default)]
    pub close_to: Option<NaiveDate>,
    #[serde(default)]
    pub sort: DealSort,
    #[serde(default)]
    pub direction: SortDirection,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub offset: Option<u32>,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub text: String,
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TaskSort {
    /// Open first, then by due date (no date last).
    #[default]
    Due,
    Title,
    CreatedAt,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskQuery {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    /// Include done tasks (when no status is chosen).
    #[serde(default)]
    pub include_done: bool,
    #[serde(default)]
    pub due_from: Option<NaiveDate>,
    #[serde(default)]
    pub due_to: Option<NaiveDate>,
    /// Only tasks attached to this record.
    #[serde(default)]
    pub record: Option<RecordRef>,
    #[serde(default)]
    pub sort: TaskSort,
    #[serde(default)]
    pub direction: SortDirection,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoteQuery {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub record: Option<RecordRef>,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: Option<u32>,
}
