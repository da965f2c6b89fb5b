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
use std::future::Future;

/// The rows of `figure` in months `first..=last`: the kept months read, the others computed by
/// `compute(missing months)` as `(month, row)` pairs, and those before `in_progress` kept. Call it
/// after refreshing what `compute` reads.
pub async fn through<T, F, Fut>(
    pool: &SqlitePool,
    figure: &str,
    first: MonthIndex,
    last: MonthIndex,
    in_progress: MonthIndex,
    compute: F,
) -> Result<BTreeMap<MonthIndex, Vec<T>>, RevenueError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(Vec<MonthIndex>) -> Fut,
    Fut: Future<Output = Result<Vec<(MonthIndex, T)>, RevenueError>>,
{
    let version = version(pool).await?;
    let mut by_month: BTreeMap<MonthIndex, Vec<T>> = get(pool, figure, first, last.min(in_progress - 1)).await?;
    let missing: Vec<MonthIndex> = (first..=last).filter(|m| !by_month.contains_key(m)).collect();
    if missing.is_empty() {
        return Ok(by_month);
    }
    let mut computed: BTreeMap<MonthIndex, Vec<T>> = missing.iter().map(|&m| (m, Vec::new())).collect();
    for (month, row) in compute(missing).await? {
        // A month computed only as another's baseline is not one asked for.
        if let Some(rows) = computed.get_mut(&month) {
            rows.push(row);
        }
    }
    let over: BTreeMap<MonthIndex, &Vec<T>> =
        computed.iter().filter(|(m, _)| **m < in_progress).map(|(m, rows)| (*m, rows)).collect();
    put(pool, figure, version, &over).await?;
    by_month.extend(computed);
    Ok(by_month)
}

/// The mirror's version before a computation: months computed from it are kept only while it is
/// still current (a sync that wrote in between has already forgotten what they would replace).
async fn version(pool: &SqlitePool) -> Result<i64, RevenueError> {
    cache::version(pool, cache::Reads::Mirror).await
}

/// The kept months of `figure` in `first..=last`.
async fn get<T: DeserializeOwned>(
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
async fn put<T: Serialize>(
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
