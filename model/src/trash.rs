//! The Trash screen: records in the trash, Restore, Delete for good, and how long the trash keeps
//! them.

use crate::RecordRef;
use serde::{Deserialize, Serialize};

/// The trash keeps records this many days unless the user chose otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// The longest a user may ask the trash to keep records (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// One record in the trash, as the Trash screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashItem {
    pub record: RecordRef,
    /// What people know it by: a name, a deal's name, a task's title, a note's first line.
    pub title: String,
    /// A second line: an email, a domain, a note's length.
    pub detail: Option<String>,
    pub deleted_at: String,
    /// Why it stays in the trash rather than being deleted for good (a Whop customer the next
    /// sync would bring back, a deal with contracts); `None` when it can go.
    #[serde(default)]
    pub kept: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TrashQuery {
    /// Only this kind; every kind when `None`.
    #[serde(default)]
    pub kind: Option<crate::RecordKind>,
    /// At most this many, newest deletion first (the core caps it).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TrashList {
    pub items: Vec<TrashItem>,
    /// Every record in the trash (of the asked kind), listed or not.
    pub total: u64,
    /// Days a record stays in the trash before it is deleted for good; 0 keeps it until the user
    /// deletes it.
    pub retention_days: u32,
}
