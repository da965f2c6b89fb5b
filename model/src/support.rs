//! The installed app's support surface: first run (welcome, sample data), backups and restore,
//! and Help → Diagnostics.

use crate::import::ImportReport;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the welcome screen needs: whether to show it, and where the data lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// First run: no records yet and the welcome was never dismissed.
    pub show: bool,
    pub data_dir: String,
    pub database_file: String,
    pub backups_dir: String,
    pub log_dir: String,
}

/// Imports a CSV file the user picked (the bytes, read in the window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCsvRequest {
    pub object: crate::import::CsvObject,
    /// The file's name, for messages.
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Report what would happen; write nothing.
    pub dry_run: bool,
    /// Import the good rows even when some are rejected.
    pub keep_good_rows: bool,
    /// The file's encoding when it is not UTF-8 (or UTF-16 with a byte-order mark), as a WHATWG
    /// label such as `windows-1252`; `None` detects UTF-8/UTF-16 and refuses anything else.
    #[serde(default)]
    pub encoding: Option<String>,
}

/// The sample workspace, loaded through the CSV import: one report per file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleLoaded {
    pub reports: Vec<ImportReport>,
    pub notes: u64,
    pub tasks: u64,
}

/// Why a backup was taken. Automatic ones are pruned to the newest N; manual ones are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackupReason {
    Manual,
    Daily,
    BeforeMigration,
    BeforeRestore,
}

impl BackupReason {
    pub const ALL: [BackupReason; 4] =
        [BackupReason::Manual, BackupReason::Daily, BackupReason::BeforeMigration, BackupReason::BeforeRestore];

    pub fn as_str(self) -> &'static str {
        match self {
            BackupReason::Manual => "manual",
            BackupReason::Daily => "daily",
            BackupReason::BeforeMigration => "before-migration",
            BackupReason::BeforeRestore => "before-restore",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BackupReason::Manual => "Backed up by you",
            BackupReason::Daily => "Daily",
            BackupReason::BeforeMigration => "Before an upgrade",
            BackupReason::BeforeRestore => "Before a restore",
        }
    }

    pub fn is_automatic(self) -> bool {
        self != BackupReason::Manual
    }
}

impl fmt::Display for BackupReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One backup file in `<data dir>/backups/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupInfo {
    /// The file name: what restore takes.
    pub name: String,
    pub path: String,
    pub bytes: u64,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub reason: BackupReason,
}

/// A backup put in place of a database that could not be opened (decision 0015): the damaged
/// file and its write-ahead log are kept aside in the data folder, never deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoredInPlace {
    pub backup: BackupInfo,
    /// The database file now in place.
    pub database: String,
    /// Where the damaged database went (`dealdesk.sqlite3.damaged-<time>`), then its `-wal` and
    /// `-shm` if it had them.
    pub kept_aside: Vec<String>,
}

/// The backups folder and its files, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backups {
    pub dir: String,
    /// Automatic backups kept (the newest N).
    pub keep: u32,
    pub backups: Vec<BackupInfo>,
    /// A restore waiting for the next start.
    pub restore_pending: Option<String>,
}

/// One Whop sync, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncTiming {
    pub started_at: String,
    pub duration_ms: Option<u64>,
    pub status: String,
    pub requests: u64,
    pub fetched: u64,
    pub written: u64,
    pub error: Option<String>,
}

/// One AI call, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiCallTiming {
    pub at: String,
    pub provider: String,
    pub model: String,
    pub action: String,
    pub latency_ms: u64,
    pub outcome: String,
}

/// One contract render (preview, send or export), for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderTiming {
    pub at: String,
    pub template: String,
    /// `preview`, `pdf`.
    pub kind: String,
    pub pages: u32,
    pub render_ms: u64,
}

/// One integration's state in words (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationState {
    pub name: String,
    pub state: String,
}

/// Help → Diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostics {
    pub version: String,
    /// `linux x86_64`, …
    pub platform: String,
    pub data_dir: String,
    pub database_file: String,
    pub database_bytes: u64,
    pub log_dir: String,
    pub backups_dir: String,
    pub schema_version: i64,
    pub records: RecordCounts,
    pub integrations: Vec<IntegrationState>,
    pub whop_syncs: Vec<SyncTiming>,
    pub ai_calls: Vec<AiCallTiming>,
    pub contract_renders: Vec<RenderTiming>,
    pub outbox_waiting: u64,
    /// The whole report as text, for "Copy diagnostics": versions, paths, integration states and
    /// timings, no secrets.
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCounts {
    pub people: u64,
    pub companies: u64,
    pub deals: u64,
}
