//! The installed app's support services: first run (the welcome screen, the sample workspace and
//! CSV files picked in the window), backups and restore, the log folder, and Help → Diagnostics.

mod diagnostics;
pub mod error;
mod sample;

pub use error::SupportError;

use crate::app::App;
use crate::crm::csv::ImportOptions;
use crate::store::EventBus;
use crate::store::Store;
use crate::store::backup;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::support::{BackupInfo, BackupReason, Backups, ImportCsvRequest, Welcome};
use dealdesk_model::{ImportReport, UpdateSource};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The log folder: `DEALDESK_LOG_DIR` if set, else the platform's place for logs
/// (`$XDG_STATE_HOME/dealdesk/logs` or `~/.local/state/dealdesk/logs` on Linux,
/// `~/Library/Logs/Dealdesk` on macOS, `%LOCALAPPDATA%\Dealdesk\logs` on Windows).
pub const LOG_DIR_ENV: &str = "DEALDESK_LOG_DIR";

pub fn default_log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(LOG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    if cfg!(target_os = "macos") {
        dirs::home_dir().map(|home| home.join("Library/Logs/Dealdesk"))
    } else if cfg!(windows) {
        dirs::data_local_dir().map(|dir| dir.join("Dealdesk").join("logs"))
    } else {
        dirs::state_dir().or_else(dirs::data_local_dir).map(|dir| dir.join("dealdesk").join("logs"))
    }
}

/// Set once the welcome was dismissed (or the sample loaded); the e2e harness sets it for tests that
/// do not look at the first run.
pub const WELCOME_DISMISSED_KEY: &str = "welcome.dismissed";
/// How often the daily backup looks whether one is due.
const DAILY_BACKUP_CHECK: Duration = Duration::from_secs(60 * 60);

impl App {
    pub fn log_dir(&self) -> PathBuf {
        default_log_dir().unwrap_or_else(|| self.data_dir().join("logs"))
    }

    pub fn backups_dir(&self) -> PathBuf {
        backup::backups_dir(self.data_dir())
    }

    /// Whether this is a first run (no records, welcome never dismissed), and where data lives.
    pub async fn welcome(&self) -> Result<Welcome, SupportError> {
        let dismissed: bool = self.store().setting(WELCOME_DISMISSED_KEY).await?.unwrap_or(false);
        let empty = self.is_empty().await?;
        Ok(Welcome {
            show: empty && !dismissed,
            data_dir: self.data_dir().display().to_string(),
            database_file: self.store().path().display().to_string(),
            backups_dir: self.backups_dir().display().to_string(),
            log_dir: self.log_dir().display().to_string(),
        })
    }

    pub async fn dismiss_welcome(&self) -> Result<(), SupportError> {
        Ok(self.store().set_setting(WELCOME_DISMISSED_KEY, &true).await?)
    }

    /// Imports a CSV file picked in the window (or checks it, with `dry_run`).
    pub async fn import_csv_file(
        &self,
        request: &ImportCsvRequest,
        source: UpdateSource,
    ) -> Result<ImportReport, SupportError> {
        let options = ImportOptions {
            dry_run: request.dry_run,
            keep_good_rows: request.keep_good_rows,
            mapping: Vec::new(),
            encoding: request.encoding.clone(),
        };
        self.crm()
            .import_csv(request.object, &request.bytes, &options, source)
            .await
            .map_err(|source| SupportError::Import { file: request.file_name.clone(), source })
    }

    /// No person, company or deal, not even in the trash.
    async fn is_empty(&self) -> Result<bool, SupportError> {
        Ok(sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM person) AND NOT EXISTS (SELECT 1 FROM company)
                AND NOT EXISTS (SELECT 1 FROM deal)",
        )
        .fetch_one(self.store().pool())
        .await?)
    }

    /// The backups folder, newest first, and a restore waiting for the next start.
    pub async fn backups(&self) -> Result<Backups, SupportError> {
        let dir = self.backups_dir();
        Ok(Backups {
            backups: backup::list(&dir)?,
            dir: dir.display().to_string(),
            keep: backup::keep(),
            restore_pending: self.store().setting(backup::RESTORE_PENDING_KEY).await?,
        })
    }

    /// Takes a backup now and prunes old automatic ones.
    pub async fn backup_now(&self, reason: BackupReason) -> Result<BackupInfo, SupportError> {
        backup_now(self.store(), &self.backups_dir(), self.events(), reason).await
    }

    /// Checks the backup and marks it for restoring at the next start (the database cannot be
    /// swapped under open connections); the current database is copied just before the swap.
    /// The shell restarts on `RestartRequired`; the CLI reopens the store.
    pub async fn schedule_restore(&self, name: &str) -> Result<Backups, SupportError> {
        let chosen = backup::find(&self.backups_dir(), name)?;
        backup::check(&chosen).await?;
        self.store().set_setting(backup::RESTORE_PENDING_KEY, &chosen.name).await?;
        tracing::info!(backup = %chosen.name, "restore scheduled for the next start");
        let backups = self.backups().await?;
        self.events().emit(CoreEvent::BackupsChanged);
        self.events().emit(CoreEvent::RestartRequired);
        Ok(backups)
    }

    /// Forgets a restore waiting for the next start (one postponed because another process had
    /// the database open, or scheduled by the CLI while the app ran). Nothing else changes.
    pub async fn cancel_restore(&self) -> Result<Backups, SupportError> {
        let pending: Option<String> = self.store().setting(backup::RESTORE_PENDING_KEY).await?;
        self.store().cancel_pending_restore().await?;
        if let Some(name) = pending {
            tracing::info!(backup = %name, "restore cancelled");
        }
        let backups = self.backups().await?;
        self.events().emit(CoreEvent::BackupsChanged);
        Ok(backups)
    }

    /// A daily backup when the newest automatic one is a day old, checked hourly; the newest N
    /// automatic backups are kept.
    pub fn spawn_daily_backups(&self) -> tokio::task::JoinHandle<()> {
        let (store, dir, events) = (self.store().clone(), self.backups_dir(), self.events().clone());
        tokio::spawn(async move {
            // Not during start-up: the first paint and the first sync come first.
            tokio::time::sleep(Duration::from_secs(60)).await;
            loop {
                if let Err(error) = daily_backup_if_due(&store, &dir, &events).await {
                    tracing::warn!(%error, "daily backup failed");
                }
                tokio::time::sleep(DAILY_BACKUP_CHECK).await;
            }
        })
    }

    pub async fn daily_backup_if_due(&self) -> Result<Option<BackupInfo>, SupportError> {
        daily_backup_if_due(self.store(), &self.backups_dir(), self.events()).await
    }

    /// Opens the log folder in the file manager (created first, so there is something to open).
    pub fn open_logs_folder(&self) -> Result<(), SupportError> {
        let dir = self.log_dir();
        std::fs::create_dir_all(&dir).map_err(|source| SupportError::LogDir { path: dir.clone(), source })?;
        crate::browser::open_in_browser(&dir.display().to_string());
        Ok(())
    }
}

async fn backup_now(
    store: &Store,
    dir: &Path,
    events: &EventBus,
    reason: BackupReason,
) -> Result<BackupInfo, SupportError> {
    let info = backup::create(store.pool(), dir, reason).await?;
    let pending: Option<String> = store.setting(backup::RESTORE_PENDING_KEY).await?;
    backup::prune(dir, backup::keep(), pending.as_deref())?;
    events.emit(CoreEvent::BackupsChanged);
    Ok(info)
}

async fn daily_backup_if_due(store: &Store, dir: &Path, events: &EventBus) -> Result<Option<BackupInfo>, SupportError> {
    let newest = backup::list(dir)?.into_iter().find(|b| b.reason.is_automatic());
    let due = newest
        .and_then(|b| chrono::DateTime::parse_from_rfc3339(&b.created_at).ok())
        .is_none_or(|at| chrono::Utc::now().signed_duration_since(at) >= chrono::Duration::hours(24));
    if !due {
        return Ok(None);
    }
    backup_now(store, dir, events, BackupReason::Daily).await.map(Some)
}
