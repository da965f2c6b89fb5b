//! CSV import and export: which objects, and what an import reports.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The objects that can be imported from and exported to CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvObject {
    People,
    Companies,
    Deals,
}

impl CsvObject {
    pub fn as_str(self) -> &'static str {
        match self {
            CsvObject::People => "people",
            CsvObject::Companies => "companies",
            CsvObject::Deals => "deals",
        }
    }

    pub fn parse(text: &str) -> Option<CsvObject> {
        match text.trim().to_ascii_lowercase().as_str() {
            "people" | "person" | "persons" | "contacts" => Some(CsvObject::People),
            "companies" | "company" | "organizations" => Some(CsvObject::Companies),
            "deals" | "deal" | "opportunities" => Some(CsvObject::Deals),
            _ => None,
        }
    }
}

impl fmt::Display for CsvObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one column of the file was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub header: String,
    /// The field it fills, or `None` when the column is ignored.
    pub field: Option<String>,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
    pub field: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub object: CsvObject,
    pub dry_run: bool,
    /// Whether the good rows were written. False for a dry run, and for an import with rejected
    /// rows unless the caller asked to keep the good ones.
    pub committed: bool,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<RejectedRow>,
    pub columns: Vec<ColumnMapping>,
}
