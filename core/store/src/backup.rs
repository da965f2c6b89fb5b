//! Backups of the database file: consistent copies taken with `VACUUM INTO` while the app runs,
//! automatically before a schema upgrade and daily (the newest N automatic ones kept), by hand
//! from Settings → Data or the CLI, and restores applied at the next start (decision 0015).

use super::StoreError;
use dealdesk_model::support::{BackupInfo, BackupReason};
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};

/// The folder inside the data folder.
pub const BACKUPS_DIR: &str = "backups";
/// How many automatic backups to keep (`DEALDESK_BACKUP_KEEP`, default 10).
pub const BACKUP_KEEP_ENV: &str = "DEALDESK_BACKUP_KEEP";
pub const DEFAULT_KEEP: u32 = 10;
/// The `setting` holding the name of a backup to restore at the next start.
pub const RESTORE_PENDING_KEY: &str = "backup.restore_pending";

const PREFIX: &str = "dealdesk-";
const SUFFIX: &str = ".sqlite3";
const STAMP: &str = "%Y%m%d-%H%M%S";

pub fn backups_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(BACKUPS_DIR)
}

/// Automatic backups kept: `DEALDESK_BACKUP_KEEP` (at least 1) or 10.
pub fn keep() -> u32 {
    std::env::var(BACKUP_KEEP_ENV).ok().and_then(|v| v.trim().parse::<u32>().ok()).map_or(DEFAULT_KEEP, |n| n.max(1))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Backup { path: path.to_path_buf(), source }
}

/// Copies the open database into `dir` (a consistent snapshot: `VACUUM INTO` reads one
/// transaction). Written under a temporary name and renamed, so a half backup never lists.
pub async fn create(pool: &SqlitePool, dir: &Path, reason: BackupReason) -> Result<BackupInfo, StoreError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let now = chrono::Utc::now();
    let base = format!("{PREFIX}{}-{reason}", now.format(STAMP));
    let name = (1..)
        .map(|n| if n == 1 { format!("{base}{SUFFIX}") } else { format!("{base}-{n}{SUFFIX}") })
        .find(|name| !dir.join(name).exists())
        .unwrap_or_else(|| format!("{base}{SUFFIX}"));
    let path = dir.join(&name);
    let temp = dir.join(format!(".{name}.{}.part", std::process::id()));
    // VACUUM INTO refuses an existing file: a leftover from a crash goes first.
    let _ = std::fs::remove_file(&temp);
    let started = std::time::Instant::now();
    sqlx::query("VACUUM INTO ?").bind(temp.display().to_string()).execute(pool).await?;
    std::fs::rename(&temp, &path).map_err(io_error(&path))?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or_default();
    tracing::info!(path = %path.display(), bytes, %reason, ms = started.elapsed().as_millis() as u64, "database backed up");
    Ok(BackupInfo { name, path: path.display().to_string(), bytes, created_at: now.to_rfc3339(), reason })
}

/// `dealdesk-20261127-104512-daily.sqlite3` → (time, reason). Names without a reason are the
/// manual backups of earlier versions.
fn parse_name(name: &str) -> Option<(chrono::DateTime<chrono::Utc>, BackupReason)> {
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let stamp = rest.get(..15)?;
    let time = chrono::NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
    let tail = rest.get(15..)?.trim_start_matches('-');
    let reason = if tail.is_empty() {
        BackupReason::Manual
    } else {
        BackupReason::ALL.into_iter().find(|r| {
            tail.strip_prefix(r.as_str()).is_some_and(|after| {
                after.is_empty() || after.strip_prefix('-').is_some_and(|n| n.parse::<u32>().is_ok())
            })
        })?
    };
    Some((time, reason))
}

/// `…-daily-3.sqlite3` → 3; 1 without a number.
fn sequence(name: &str) -> u32 {
    name.strip_suffix(SUFFIX)
        .and_then(|stem| stem.rsplit_once('-'))
        .and_then(|(_, n)| n.parse::<u32>().ok())
        .filter(|n| *n < 1000)
        .unwrap_or(1)
}

/// The backups in `dir`, newest first. Files that are not Dealdesk backups are left alone.
pub fn list(dir: &Path) -> Result<Vec<BackupInfo>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(StoreError::Backup { path: dir.to_path_buf(), source }),
    };
    let mut backups: Vec<BackupInfo> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let (time, reason) = parse_name(&name)?;
            let bytes = entry.metadata().ok()?.len();
            Some(BackupInfo {
                path: entry.path().display().to_string(),
                name,
                bytes,
                created_at: time.to_rfc3339(),
                reason,
            })
        })
        .collect();
    // Newest first; within one second, by the sequence number the name carries (`-2`, `-3`…).
    let order = |b: &BackupInfo| (b.created_at.clone(), sequence(&b.name));
    backups.sort_by_key(|b| std::cmp::Reverse(order(b)));
    Ok(backups)
}

/// Deletes automatic backups beyond the newest `keep`. Manual backups are the user's to delete;
/// the newest taken before an upgrade (the only copy at the old schema) and `spare` (a backup
/// waiting to be restored) are kept too.
pub fn prune(dir: &Path, keep: u32, spare: Option<&str>) -> Result<u32, StoreError> {
    let backups = list(dir)?;
    let newest_before_upgrade =
        backups.iter().find(|b| b.reason == BackupReason::BeforeMigration).map(|b| b.name.clone());
    let mut removed = 0;
    for backup in backups
        .into_iter()
        .filter(|b| b.reason.is_automatic())
        .skip(keep as usize)
        .filter(|b| Some(b.name.as_str()) != spare && Some(&b.name) != newest_before_upgrade.as_ref())
    {
        match std::fs::remove_file(&backup.path) {
            Ok(()) => removed += 1,
            Err(error) => tracing::warn!(path = %backup.path, %error, "cannot delete an old backup"),
        }
    }
    Ok(removed)
}

/// A backup by its file name; anything that is not a backup in `dir` is refused (no paths).
pub fn find(dir: &Path, name: &str) -> Result<BackupInfo, StoreError> {
    let name = name.trim();
    if name.contains(['/', '\\']) || parse_name(name).is_none() {
        return Err(StoreError::BackupNotFound(name.to_string()));
    }
    list(dir)?.into_iter().find(|b| b.name == name).ok_or_else(|| StoreError::BackupNotFound(name.to_string()))
}

/// Opens a backup read-only and checks it is an intact Dealdesk database this version can open.
pub async fn check(backup: &BackupInfo) -> Result<(), StoreError> {
    let unreadable = |reason: String| StoreError::BackupUnreadable { name: backup.name.clone(), reason };
    let mut conn = SqliteConnectOptions::new()
        .filename(&backup.path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    let result = async {
        let check: String = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| unreadable(e.to_string()))?;
        if check != "ok" {
            return Err(unreadable(format!("the file is damaged ({check})")));
        }
        let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
            .fetch_all(&mut conn)
            .await
            .map_err(|_| unreadable("it is not a Dealdesk database".into()))?;
        if let Some(version) = super::unknown_version(&versions) {
            return Err(StoreError::NewerDatabase { path: PathBuf::from(&backup.path), version });
        }
        Ok(())
    }
    .await;
    let _ = conn.close().await;
    result
}

/// Other processes that have `database` open (Linux: their `/proc/PID/fd` links). Elsewhere the
/// answer is empty: the restore then relies on the user having closed the app, as the CLI says.
fn other_holders(database: &Path) -> Vec<u32> {
    let Ok(target) = database.canonicalize() else { return Vec::new() };
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .into_iter()
                .flatten()
                .flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|link| link == target))
        })
        .collect()
}

/// Waits (up to `within`) until no other process has the database open: after a restart the
/// previous instance may still be exiting.
pub(crate) async fn wait_until_unused(database: &Path, within: std::time::Duration) -> Result<(), StoreError> {
    let deadline = std::time::Instant::now() + within;
    loop {
        let holders = other_holders(database);
        if holders.is_empty() {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(StoreError::DatabaseInUse { pids: holders });
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Puts the backup `name` in place of the database file. The database must be closed, here and
/// in every other process.
pub(crate) fn replace_database(data_dir: &Path, database: &Path, name: &str) -> Result<(), StoreError> {
    let backup = find(&backups_dir(data_dir), name)?;
    let incoming = database.with_extension("sqlite3.restoring");
    std::fs::copy(&backup.path, &incoming).map_err(io_error(&incoming))?;
    std::fs::File::open(&incoming).and_then(|f| f.sync_all()).map_err(io_error(&incoming))?;
    // The old write-ahead log belongs to the old file: left beside the new one it would be
    // replayed into it.
    for side in ["sqlite3-wal", "sqlite3-shm"] {
        let path = database.with_extension(side);
        if let Err(error) = std::fs::remove_file(&path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            return Err(StoreError::Backup { path, source: error });
        }
    }
    std::fs::rename(&incoming, database).map_err(io_error(database))?;
    tracing::info!(backup = %backup.path, "database restored from a backup");
    Ok(())
}

/// After a restore, operations the backup still had waiting may have been delivered since: none
/// goes out again by itself. They are held as failed, for the user to retry or discard on the
/// Outbox page.
pub(crate) async fn hold_restored_operations(pool: &SqlitePool) -> Result<(), StoreError> {
    // Backups from before the outbox existed have nothing to hold.
    if !super::has_table(pool, "outbox").await? {
        return Ok(());
    }
    let now = super::time::format(super::time::now());
    let held = sqlx::query(
        "UPDATE outbox SET status = 'failed', finished_at = ?1, updated_at = ?1,
             last_error = 'restored from a backup: it may have been sent since; retry or discard it'
         WHERE status IN ('pending', 'in_flight')",
    )
    .bind(&now)
    .execute(pool)
    .await?
    .rows_affected();
    if held > 0 {
        tracing::warn!(held, "operations from the backup held for review on the Outbox page");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_time_and_reason() {
        let (time, reason) = parse_name("dealdesk-20261127-104512-daily.sqlite3").unwrap();
        assert_eq!(time.to_rfc3339(), "2026-11-27T10:45:12+00:00");
        assert_eq!(reason, BackupReason::Daily);
        assert_eq!(parse_name("dealdesk-20261127-104512.sqlite3").unwrap().1, BackupReason::Manual);
        assert_eq!(
            parse_name("dealdesk-20261127-104512-before-migration-2.sqlite3").unwrap().1,
            BackupReason::BeforeMigration
        );
        assert!(parse_name("dealdesk-20261127-104512-weekly.sqlite3").is_none());
        assert!(parse_name("notes.sqlite3").is_none());
        assert!(parse_name(".dealdesk-20261127-104512-daily.sqlite3.part").is_none());
    }

    #[test]
    fn find_refuses_paths() {
        let dir = std::env::temp_dir();
        assert!(matches!(find(&dir, "../dealdesk.sqlite3"), Err(StoreError::BackupNotFound(_))));
        assert!(matches!(find(&dir, "/etc/passwd"), Err(StoreError::BackupNotFound(_))));
    }
}
