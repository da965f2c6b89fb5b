//! Results kept until the data under them changes: the figures over a seller's whole history
//! take a second or more to compute on 100,000 payments, and change only when a sync (or a
//! rename) writes the tables they read. Triggers bump `revenue_version` on every such write
//! (migration `…_revenue_cache.sql`); a result is reused while its version is current and it was
//! taken within the same hour ("now" moves: the month in progress is measured at a time).
//! Churn also reads notes, which bump a second counter; its results are keyed by the sum of both
//! (each only grows, so any write changes the sum).

use crate::error::RevenueError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::SqlitePool;

/// What a kept result reads, beyond the Whop mirror every figure reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    Mirror,
    MirrorAndNotes,
}

/// `compute(now)`, or its kept result while the data under it and the hour are the same.
pub async fn kept<T, F, Fut>(pool: &SqlitePool, key: String, reads: Reads, compute: F) -> Result<T, RevenueError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(DateTime<Utc>) -> Fut,
    Fut: std::future::Future<Output = Result<T, RevenueError>>,
{
    let as_of = dealdesk_store::time::now();
    let version = version(pool, reads).await?;
    if let Some(hit) = get(pool, &key, version, as_of).await? {
        return Ok(hit);
    }
    let value = compute(as_of).await?;
    put(pool, &key, version, as_of, &value).await?;
    Ok(value)
}

/// The hour a result was taken in: `2026-12-07T01`.
pub fn hour(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}

pub async fn version(pool: &SqlitePool, reads: Reads) -> Result<i64, RevenueError> {
    let sql = match reads {
        Reads::Mirror => "SELECT version FROM revenue_version WHERE id = 1",
        Reads::MirrorAndNotes => "SELECT version + notes FROM revenue_version WHERE id = 1",
    };
    Ok(sqlx::query_scalar(sql).fetch_one(pool).await?)
}

/// The cached value of `key` at `version` in the hour of `as_of`, if there is one that reads.
async fn get<T: DeserializeOwned>(
    pool: &SqlitePool,
    key: &str,
    version: i64,
    as_of: DateTime<Utc>,
) -> Result<Option<T>, RevenueError> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM revenue_cache WHERE key = ?1 AND version = ?2 AND hour = ?3")
            .bind(key)
            .bind(version)
            .bind(hour(as_of))
            .fetch_optional(pool)
            .await?;
    // A value that no longer reads (an older shape) is computed again, never an error.
    Ok(value.and_then(|v| serde_json::from_str(&v).ok()))
}

/// Keeps `value` for `key`, computed from the data at `version`. If the data changed while it
/// was computed, the stored version is already stale and the next read computes again.
async fn put<T: Serialize>(
    pool: &SqlitePool,
    key: &str,
    version: i64,
    as_of: DateTime<Utc>,
    value: &T,
) -> Result<(), RevenueError> {
    let Ok(text) = serde_json::to_string(value) else {
        tracing::warn!(key, "a revenue result could not be serialised for the cache");
        return Ok(());
    };
    sqlx::query("INSERT OR REPLACE INTO revenue_cache (key, version, hour, value) VALUES (?1, ?2, ?3, ?4)")
        .bind(key)
        .bind(version)
        .bind(hour(as_of))
        .bind(text)
        .execute(pool)
        .await?;
    // A key's row is replaced above; other keys' rows from earlier hours are dead weight. (Versions
    // of different keys are not comparable: churn's adds the notes counter.)
    sqlx::query("DELETE FROM revenue_cache WHERE hour < ?1").bind(hour(as_of)).execute(pool).await?;
    Ok(())
}
