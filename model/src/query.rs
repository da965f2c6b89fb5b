//! List queries (filter, sort, keyset page) and the pages they return.

use crate::record::DealStatus;
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
    #[serde(default)]
    pub sort: PersonSort,
    #[serde(default)]
    pub direction: SortDirection,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub cursor: Option<String>,
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
    #[serde(default)]
    pub sort: CompanySort,
    #[serde(default)]
    pub direction: SortDirection,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub cursor: Option<String>,
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
    #[serde(default)]
    pub sort: DealSort,
    #[serde(default)]
    pub direction: SortDirection,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub text: String,
    #[serde(default)]
    pub limit: Option<u32>,
}
