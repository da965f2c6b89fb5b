//! Complete months' figures, kept in `revenue_month` (migration `…_revenue_month.sql`) until the
//! coverage under them changes: `cover::refresh` deletes every kept month from the earliest
//! instant a recomputed coverage row differs. A month that is over is measured at its end and
//! reads nothing after it, so the figures of the months kept are those a full computation gives;
//! only the months missing and the month in progress are computed.

use crate::cache;
use crate::error::RevenueError;
use crate::months::MonthIndex;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::SqlitePool;
use std::collections::BTreeMap;

/// The mirror's version before a computation: months computed from it are kept only while it is
/// still current (a sync that wrote in between has already forgotten what they would replace).
pub async fn version(pool: &SqlitePool) -> Result<i64, RevenueError> {
    cache::version(pool, cache::Reads::Mirror).await
}

/// The kept months of `figure` in `first..=last`.
pub async fn get<T: DeserializeOwned>(
    pool: &SqlitePool,
    figure: &str,
    first: MonthIndex,
    last: MonthIndex,
) -> Result<BTreeMap<MonthIndex, T>, RevenueError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT month, value FROM revenue_month WHERE figure = ?1 AND month BETWEEN ?2 AND ?3 ORDER BY month",
    )
    .bind(figure)
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?;
    // A value that no longer reads (an older shape) is computed again, never an error.
    Ok(rows.into_iter().filter_map(|(month, value)| Some((month, serde_json::from_str(&value).ok()?))).collect())
}

/// Keeps `months` of `figure`, computed from the mirror at `version`, if that is still current.
pub async fn put<T: Serialize>(
    pool: &SqlitePool,
    figure: &str,
    version: i64,
    months: &BTreeMap<MonthIndex, T>,
) -> Result<(), RevenueError> {
    if months.is_empty() {
        return Ok(());
    }
    let Ok(values) = serde_json::to_string(months) else {
        tracing::warn!(figure, "a revenue month could not be serialised to be kept");
        return Ok(());
    };
    sqlx::query(
        "INSERT OR REPLACE INTO revenue_month (figure, month, value)
         SELECT ?1, CAST(j.key AS INTEGER), j.value FROM json_each(?2) j
         WHERE (SELECT version FROM revenue_version WHERE id = 1) = ?3",
    )
    .bind(figure)
    .bind(values)
    .bind(version)
    .execute(pool)
    .await?;
    Ok(())
}
