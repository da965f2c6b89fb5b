//! The SQLite store: one database file per data folder, WAL, foreign keys on, migrations embedded.

mod clock;
pub mod error;
pub mod time;

pub use clock::Clock;
pub use error::StoreError;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The database file inside the data folder. The app and the CLI share it.
pub const DATABASE_FILE: &str = "dealdesk.sqlite3";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

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

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::CreateDataDir { path: data_dir.to_path_buf(), source })?;
        let path = data_dir.join(DATABASE_FILE);
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-2000");
        let pool = SqlitePoolOptions::new()
            // Few connections with small page caches: SQLite's work here is index seeks, and every
            // connection's cache counts against the app's memory.
            .max_connections(2)
            .min_connections(1)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { path: path.clone(), source })?;
        MIGRATOR.run(&pool).await?;

        let clock = Arc::new(Clock::new());
        let newest: Option<String> = sqlx::query_scalar("SELECT max(hlc) FROM change_log").fetch_one(&pool).await?;
        if let Some(stamp) = newest {
            clock.observe(&stamp);
        }
        tracing::debug!(path = %path.display(), "store open");
        Ok(Store { pool, clock, path })
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
