//! Backups of the database file: consistent copies taken with `VACUUM INTO` while the app runs,
//! automatically before a schema upgrade and daily (the newest N automatic ones kept), by hand
//! from Settings → Data or the CLI, and restores applied at the next start (decision 0015).

use super::StoreError;
use dealdesk_model::support::{BackupInfo, BackupReason, Backups, RestoredInPlace};
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

/// The backups folder of `data_dir` as Settings → Data shows it, read without opening the
/// database: the window's "cannot open" screen and `dealdesk-cli backup list` on a database that
/// does not open. A waiting restore is recorded in the database, so none is reported here.
pub fn folder(data_dir: &Path) -> Result<Backups, StoreError> {
    let dir = backups_dir(data_dir);
    Ok(Backups { backups: list(&dir)?, dir: dir.display().to_string(), keep: keep(), restore_pending: None })
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
    inspect(backup, "PRAGMA quick_check").await
}

/// [`check`] with `PRAGMA integrity_check`, which also compares every index with its table:
/// slower, for a backup that replaces a database at once, with no `before-restore` copy to undo.
pub async fn check_thoroughly(backup: &BackupInfo) -> Result<(), StoreError> {
    inspect(backup, "PRAGMA integrity_check").await
}

async fn inspect(backup: &BackupInfo, pragma: &'static str) -> Result<(), StoreError> {
    let unreadable = |reason: String| StoreError::BackupUnreadable { name: backup.name.clone(), reason };
    let mut conn = SqliteConnectOptions::new()
        .filename(&backup.path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    let result = async {
        let check: String =
            sqlx::query_scalar(pragma).fetch_one(&mut conn).await.map_err(|e| unreadable(e.to_string()))?;
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

/// Puts the backup `name` in place of a database that cannot be opened, without opening it
/// (`dealdesk-cli backup restore` and the window's "cannot open" screen, decision 0015). A restore
/// scheduled in the database needs the database to open; a damaged one never does.
///
/// The backup is checked in full first. The damaged file, with its `-wal` and `-shm`, is kept
/// aside as `dealdesk.sqlite3.damaged-<time>` (never deleted: it may hold what the backup lacks).
/// The copy is written beside the database, synced and renamed over it, so the database file is
/// never half written. Refused while another process has the database open, and for a database
/// from a newer version, which is intact: that version opens it.
pub async fn restore_in_place(data_dir: &Path, name: &str) -> Result<RestoredInPlace, StoreError> {
    let database = data_dir.join(super::DATABASE_FILE);
    let backup = find(&backups_dir(data_dir), name)?;
    check_thoroughly(&backup).await?;
    let holders = other_holders(&database);
    if !holders.is_empty() {
        return Err(StoreError::DatabaseHeld { pids: holders });
    }
    if let Some(version) = newer_schema(&database).await {
        return Err(StoreError::NewerDatabase { path: database, version });
    }
    // Only a damaged file is replaced. One that failed to open for another reason (busy in a
    // process the check above cannot see on macOS and Windows, a failed upgrade) stays.
    intact_or_damaged(&database).await?;
    let incoming = database.with_extension("sqlite3.restoring");
    if let Err(error) = prepare_incoming(&backup, &incoming).await {
        let _ = std::fs::remove_file(&incoming);
        return Err(error);
    }
    let aside = match Aside::make(&database) {
        Ok(aside) => aside,
        Err(error) => {
            let _ = std::fs::remove_file(&incoming);
            return Err(error);
        }
    };
    if let Err(source) = std::fs::rename(&incoming, &database) {
        aside.undo(&database);
        let _ = std::fs::remove_file(&incoming);
        return Err(StoreError::PutInPlace { path: database, source });
    }
    sync_folder(data_dir);
    let kept_aside: Vec<String> = aside.kept().map(|p| p.display().to_string()).collect();
    tracing::info!(backup = %backup.path, ?kept_aside, "a database that could not be opened was replaced by a backup");
    Ok(RestoredInPlace { backup, database: database.display().to_string(), kept_aside })
}

/// Refuses a database that opens and passes `PRAGMA quick_check` (not damaged), and one another
/// process holds locked; a missing or damaged file may be replaced. A plain read-only connection:
/// it waits on another process's lock, where an immutable one would read a file mid-write.
async fn intact_or_damaged(path: &Path) -> Result<(), StoreError> {
    if !path.is_file() {
        return Ok(());
    }
    let options =
        SqliteConnectOptions::new().filename(path).read_only(true).busy_timeout(std::time::Duration::from_secs(2));
    let busy = |error: &sqlx::Error| {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
        error
            .as_database_error()
            .and_then(|e| e.code())
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6))
    };
    // A read-only connection makes a `-wal` and `-shm` beside a WAL database that has none: the
    // ones it made go again, so the check leaves the folder as it found it.
    let logs: Vec<PathBuf> = ["-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
        .filter(|log| !log.exists())
        .collect();
    let checked = match options.connect().await {
        Ok(mut conn) => {
            let checked: Result<Vec<String>, sqlx::Error> =
                sqlx::query_scalar("PRAGMA quick_check").fetch_all(&mut conn).await;
            let _ = conn.close().await;
            checked
        }
        Err(error) => Err(error),
    };
    for log in logs {
        let _ = std::fs::remove_file(log);
    }
    match checked {
        Ok(lines) if lines == ["ok"] => Err(StoreError::NotDamaged { path: path.to_path_buf() }),
        Err(error) if busy(&error) => Err(StoreError::DatabaseHeld { pids: Vec::new() }),
        _ => Ok(()),
    }
}

/// The schema version, if the database at `path` opens and comes from a newer Dealdesk. A file
/// that does not open, or has no migrations table, is no newer database. Read as immutable: a
/// plain read-only connection leaves a `-wal` and `-shm` beside a WAL database, and nothing is
/// written beside a database that stays. (An upgrade still only in the log is not seen; the
/// database is then kept aside, not lost.)
async fn newer_schema(path: &Path) -> Option<i64> {
    if !path.is_file() {
        return None;
    }
    let mut conn = SqliteConnectOptions::new().filename(path).read_only(true).immutable(true).connect().await.ok()?;
    let versions: Result<Vec<i64>, _> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1").fetch_all(&mut conn).await;
    let _ = conn.close().await;
    super::unknown_version(&versions.ok()?)
}

/// Copies the backup to `incoming` (beside the database, so the rename is atomic) and makes it
/// what a restore at the start makes: no restore waiting in it (a backup taken while one waited
/// would apply it at the next start), and its waiting operations held for review.
async fn prepare_incoming(backup: &BackupInfo, incoming: &Path) -> Result<(), StoreError> {
    let put = |source| StoreError::PutInPlace { path: incoming.to_path_buf(), source };
    std::fs::copy(&backup.path, incoming).map_err(put)?;
    let options = SqliteConnectOptions::new().filename(incoming).create_if_missing(false);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open { path: incoming.to_path_buf(), source })?;
    let fixed = async {
        super::clear_pending_restore(&pool).await?;
        hold_restored_operations(&pool).await
    }
    .await;
    pool.close().await;
    fixed?;
    std::fs::File::open(incoming).and_then(|f| f.sync_all()).map_err(put)
}

/// The damaged database kept aside as `dealdesk.sqlite3.damaged-<time>`, with its `-wal` and
/// `-shm` after that name (so SQLite still pairs them if someone opens the copy).
struct Aside {
    /// The database, hard-linked (it stays in place until the backup is renamed over it, so a
    /// crash meanwhile never leaves the folder without one) or, where links fail, moved.
    database: Option<(PathBuf, bool)>,
    /// The log files moved: from, to. They go before the backup arrives: left beside it, the old
    /// log would be replayed into it.
    sides: Vec<(PathBuf, PathBuf)>,
}

impl Aside {
    fn make(database: &Path) -> Result<Aside, StoreError> {
        let base = format!("{}.damaged-{}", database.display(), chrono::Utc::now().format(STAMP));
        let target = (1..)
            .map(|n| if n == 1 { PathBuf::from(&base) } else { PathBuf::from(format!("{base}-{n}")) })
            .find(|p| !p.exists())
            .unwrap_or_else(|| PathBuf::from(&base));
        let mut aside = Aside { database: None, sides: Vec::new() };
        if database.exists() {
            let linked = std::fs::hard_link(database, &target).is_ok();
            if !linked && let Err(source) = std::fs::rename(database, &target) {
                return Err(StoreError::PutInPlace { path: database.to_path_buf(), source });
            }
            aside.database = Some((target.clone(), linked));
        }
        for side in ["-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{side}", database.display()));
            let to = PathBuf::from(format!("{}{side}", target.display()));
            match std::fs::rename(&from, &to) {
                Ok(()) => aside.sides.push((from, to)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    aside.undo(database);
                    return Err(StoreError::PutInPlace { path: from, source });
                }
            }
        }
        Ok(aside)
    }

    /// Where the files went, the database first.
    fn kept(&self) -> impl Iterator<Item = &PathBuf> {
        self.database.iter().map(|(path, _)| path).chain(self.sides.iter().map(|(_, to)| to))
    }

    /// Puts everything back as it was (the backup could not be put in place).
    fn undo(&self, database: &Path) {
        for (from, to) in &self.sides {
            let _ = std::fs::rename(to, from);
        }
        match &self.database {
            Some((link, true)) => {
                let _ = std::fs::remove_file(link);
            }
            Some((moved, false)) => {
                let _ = std::fs::rename(moved, database);
            }
            None => {}
        }
    }
}

/// Makes the renames durable where the platform allows syncing a folder (not Windows).
fn sync_folder(dir: &Path) {
    #[cfg(unix)]
    if let Err(error) = std::fs::File::open(dir).and_then(|f| f.sync_all()) {
        tracing::warn!(dir = %dir.display(), %error, "cannot sync the data folder after a restore");
    }
    #[cfg(not(unix))]
    let _ = dir;
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

    /// A data folder with a Dealdesk database (a setting to know it by) and one backup of it.
    async fn folder_with_a_backup() -> (tempfile::TempDir, BackupInfo) {
        let data = tempfile::tempdir().unwrap();
        let store = crate::Store::open(data.path()).await.unwrap();
        store.set_setting("restore.test", &"kept").await.unwrap();
        let backup = create(store.pool(), &backups_dir(data.path()), BackupReason::Manual).await.unwrap();
        store.close().await;
        (data, backup)
    }

    fn damage(data: &Path) -> Vec<u8> {
        let garbage: Vec<u8> = (0..8192u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        std::fs::write(data.join(crate::DATABASE_FILE), &garbage).unwrap();
        std::fs::write(data.join("dealdesk.sqlite3-wal"), b"old log").unwrap();
        garbage
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_backup_that_is_not_sqlite_is_refused_and_the_damaged_database_stays() {
        let (data, _) = folder_with_a_backup().await;
        let garbage = damage(data.path());
        let bad = "dealdesk-20260101-000000-manual.sqlite3";
        std::fs::write(backups_dir(data.path()).join(bad), b"this is not a database, just some text").unwrap();
        let before = names(data.path());

        let refused = restore_in_place(data.path(), bad).await.unwrap_err();
        assert!(matches!(refused, StoreError::BackupUnreadable { .. }), "{refused}");
        assert!(refused.to_string().contains(bad), "{refused}");
        assert_eq!(std::fs::read(data.path().join(crate::DATABASE_FILE)).unwrap(), garbage);
        assert_eq!(std::fs::read(data.path().join("dealdesk.sqlite3-wal")).unwrap(), b"old log");
        assert_eq!(names(data.path()), before, "nothing set aside or left behind");
    }

    #[tokio::test]
    async fn a_damaged_database_is_replaced_and_kept_aside_with_its_log() {
        let (data, backup) = folder_with_a_backup().await;
        let garbage = damage(data.path());

        let restored = restore_in_place(data.path(), &backup.name).await.unwrap();
        assert_eq!(restored.kept_aside.len(), 2, "{restored:?}");
        let aside = PathBuf::from(&restored.kept_aside[0]);
        assert!(aside.file_name().unwrap().to_string_lossy().starts_with("dealdesk.sqlite3.damaged-"), "{aside:?}");
        assert_eq!(std::fs::read(&aside).unwrap(), garbage);
        assert_eq!(std::fs::read(format!("{}-wal", aside.display())).unwrap(), b"old log");
        assert!(!data.path().join("dealdesk.sqlite3.restoring").exists());

        let store = crate::Store::open(data.path()).await.unwrap();
        assert_eq!(store.setting::<String>("restore.test").await.unwrap().as_deref(), Some("kept"));
        store.close().await;
    }

    #[tokio::test]
    async fn a_database_from_a_newer_version_is_not_replaced() {
        let (data, backup) = folder_with_a_backup().await;
        let store = crate::Store::open(data.path()).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (99991231000000, 'from the future', 1, x'00', 0)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
        let before = names(data.path());

        let refused = restore_in_place(data.path(), &backup.name).await.unwrap_err();
        assert!(matches!(refused, StoreError::NewerDatabase { version: 99991231000000, .. }), "{refused}");
        assert_eq!(names(data.path()), before);
    }

    /// A database that opens and checks out is not damaged: whatever kept it from opening (a
    /// process holding it busy that /proc cannot show on macOS or Windows), it is not replaced.
    #[tokio::test]
    async fn an_intact_database_is_not_replaced() {
        let (data, backup) = folder_with_a_backup().await;
        let store = crate::Store::open(data.path()).await.unwrap();
        store.close().await;
        let before = names(data.path());
        let refused = restore_in_place(data.path(), &backup.name).await.unwrap_err();
        assert!(matches!(refused, StoreError::NotDamaged { .. }), "{refused}");
        assert_eq!(names(data.path()), before);
    }

    #[test]
    fn find_refuses_paths() {
        let dir = std::env::temp_dir();
        assert!(matches!(find(&dir, "../dealdesk.sqlite3"), Err(StoreError::BackupNotFound(_))));
        assert!(matches!(find(&dir, "/etc/passwd"), Err(StoreError::BackupNotFound(_))));
    }
}
