//! The SQLite store: one database file per data folder, WAL, foreign keys on, migrations embedded.

pub mod backup;
mod clock;
pub mod error;
mod events;
pub mod time;

pub use clock::{Clock, stamp_time};
pub use error::StoreError;
pub use events::EventBus;

use dealdesk_model::support::BackupReason;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The database file inside the data folder. The app and the CLI share it.
pub const DATABASE_FILE: &str = "dealdesk.sqlite3";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    clock: Arc<Clock>,
    path: PathBuf,
}

/// Stores a value in the `setting` table (as JSON), in the caller's transaction.
pub async fn set_setting_in(
    conn: &mut sqlx::SqliteConnection,
    key: &str,
    value: &impl serde::Serialize,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO setting (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(json)
    .bind(time::format(time::now()))
    .execute(conn)
    .await?;
    Ok(())
}

async fn connect(path: &Path) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("temp_store", "memory")
        // 16 MB a connection, filled only as queries read: with 2 MB, whichever of the two
        // connections ran a large query second took twice as long (decision 0022).
        .pragma("cache_size", "-16000");
    SqlitePoolOptions::new()
        // Few connections: SQLite's work here is index seeks, and every connection's page cache
        // counts against the app's memory.
        .max_connections(2)
        .min_connections(1)
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })
}

async fn has_table(pool: &SqlitePool, table: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .bind(table)
        .fetch_one(pool)
        .await
}

async fn pending_restore(pool: &SqlitePool) -> Result<Option<String>, sqlx::Error> {
    if !has_table(pool, "setting").await? {
        return Ok(None);
    }
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM setting WHERE key = ?")
        .bind(backup::RESTORE_PENDING_KEY)
        .fetch_optional(pool)
        .await?;
    Ok(value.and_then(|json| serde_json::from_str(&json).ok()))
}

async fn clear_pending_restore(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    if !has_table(pool, "setting").await? {
        return Ok(());
    }
    sqlx::query("DELETE FROM setting WHERE key = ?").bind(backup::RESTORE_PENDING_KEY).execute(pool).await?;
    Ok(())
}

/// Applies a restore chosen in Settings → Data, before anything reads the database.
///
/// Swapping the file under another process's connections would lose its writes and corrupt what
/// it reads: a restarting app gets a few seconds to exit, else the restore waits for the next
/// start. The current database is copied just before the swap (so a postponed restore loses
/// nothing done meanwhile). A failed restore is logged and dropped; the current database opens.
async fn restore(pool: SqlitePool, data_dir: &Path, path: &Path, name: &str) -> Result<SqlitePool, StoreError> {
    let dir = backup::backups_dir(data_dir);
    if let Err(error) = backup::wait_until_unused(path, Duration::from_secs(5)).await {
        tracing::warn!(%error, backup = %name, "restore postponed");
        return Ok(pool);
    }
    let outcome = match backup::create(&pool, &dir, BackupReason::BeforeRestore).await {
        Ok(copy) => {
            pool.close().await;
            backup::replace_database(data_dir, path, name).map(|()| copy)
        }
        Err(error) => {
            pool.close().await;
            Err(error)
        }
    };
    let pool = connect(path).await?;
    match outcome {
        Ok(copy) => {
            tracing::info!(backup = %name, copy = %copy.name, "restored; the database before it is kept");
            backup::hold_restored_operations(&pool).await?;
        }
        Err(error) => {
            tracing::error!(%error, backup = %name, "cannot restore the backup; opening the current database")
        }
    }
    // Also in the restored file, in case the backup was taken while a restore waited.
    clear_pending_restore(&pool).await?;
    Ok(pool)
}

/// A schema version this build does not know: the database comes from a newer Dealdesk.
pub(crate) fn unknown_version(applied: &[i64]) -> Option<i64> {
    applied.iter().copied().find(|v| !MIGRATOR.iter().any(|m| m.version == *v))
}

/// Brings the schema up to date, backing the database up first when it has data and an upgrade
/// is due, and refusing a database from a newer version (sqlx would fail on it less clearly).
async fn migrate(pool: &SqlitePool, data_dir: &Path, path: &Path) -> Result<(), StoreError> {
    let applied: Vec<i64> = if has_table(pool, "_sqlx_migrations").await? {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1").fetch_all(pool).await?
    } else {
        Vec::new()
    };
    if let Some(version) = unknown_version(&applied) {
        return Err(StoreError::NewerDatabase { path: path.to_path_buf(), version });
    }
    let pending: Vec<i64> = MIGRATOR.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect();
    if !applied.is_empty() && !pending.is_empty() {
        let dir = backup::backups_dir(data_dir);
        let backup = backup::create(pool, &dir, BackupReason::BeforeMigration).await?;
        tracing::info!(backup = %backup.name, ?pending, "upgrading the database schema");
        backup::prune(&dir, backup::keep(), None)?;
    }
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// The newest schema version applied.
pub async fn schema_version(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations WHERE success = 1").fetch_one(pool).await
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::CreateDataDir { path: data_dir.to_path_buf(), source })?;
        let path = data_dir.join(DATABASE_FILE);
        let mut pool = connect(&path).await?;
        // A restore chosen in Settings → Data: applied before anything reads the database. A
        // failed one is logged and dropped, and the current database opens as it was.
        if let Some(name) = pending_restore(&pool).await? {
            pool = restore(pool, data_dir, &path, &name).await?;
        }
        migrate(&pool, data_dir, &path).await?;

        let clock = Arc::new(Clock::new());
        // The newest stamps are the last rows written (stamps are taken under the write lock), so
        // the newest few by `seq` are read instead of scanning the whole log: on a 100k-record
        // database that scan read the change log from disk on every start.
        let newest: Option<String> =
            sqlx::query_scalar("SELECT max(hlc) FROM (SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 64)")
                .fetch_one(&pool)
                .await?;
        if let Some(stamp) = newest {
            clock.observe(&stamp);
        }
        tracing::debug!(path = %path.display(), "store open");
        Ok(Store { pool, clock, path })
    }

    /// A random id for this data folder, made on first open: it names the folder's keyring
    /// entries, so two profiles (or test folders) never share a login.
    pub async fn install_id(&self) -> Result<String, StoreError> {
        let fresh = serde_json::Value::String(uuid::Uuid::now_v7().to_string()).to_string();
        sqlx::query(
            "INSERT INTO setting (key, value, updated_at) VALUES ('install_id', ?1, ?2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&fresh)
        .bind(time::format(time::now()))
        .execute(&self.pool)
        .await?;
        let value: String =
            sqlx::query_scalar("SELECT value FROM setting WHERE key = 'install_id'").fetch_one(&self.pool).await?;
        Ok(serde_json::from_str::<String>(&value).unwrap_or(value))
    }

    /// A value of the `setting` table, `None` when missing. A value this version cannot read (one
    /// written by a newer version, say) is logged and treated as missing, so the default applies.
    pub async fn setting<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, sqlx::Error> {
        let value: Option<String> =
            sqlx::query_scalar("SELECT value FROM setting WHERE key = ?").bind(key).fetch_optional(&self.pool).await?;
        Ok(value.and_then(|json| match serde_json::from_str(&json) {
            Ok(value) => Some(value),
            Err(error) => {
                tracing::warn!(key, %error, "unreadable setting; using the default");
                None
            }
        }))
    }

    /// Forgets a restore waiting for the next start.
    pub async fn cancel_pending_restore(&self) -> Result<(), sqlx::Error> {
        clear_pending_restore(&self.pool).await
    }

    /// Forgets a restore waiting for the next start without opening the store, which would apply
    /// it first (`dealdesk-cli backup cancel-restore`). Returns the backup that was waiting.
    pub async fn cancel_pending_restore_at(data_dir: &Path) -> Result<Option<String>, StoreError> {
        let path = data_dir.join(DATABASE_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let pool = connect(&path).await?;
        let pending = pending_restore(&pool).await?;
        clear_pending_restore(&pool).await?;
        pool.close().await;
        if let Some(name) = &pending {
            tracing::info!(backup = %name, "restore cancelled");
        }
        Ok(pending)
    }

    /// Stores a value in the `setting` table (as JSON).
    pub async fn set_setting(&self, key: &str, value: &impl serde::Serialize) -> Result<(), sqlx::Error> {
        set_setting_in(&mut *self.pool.acquire().await?, key, value).await
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The database's size on disk: the file plus its write-ahead log, where recent writes live
    /// until a checkpoint.
    pub fn bytes_on_disk(&self) -> u64 {
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or_default();
        size(&self.path) + size(&self.path.with_extension("sqlite3-wal"))
    }

    /// Starts a write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so two writers
    /// queue on the busy timeout instead of failing when a read lock would need upgrading.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
