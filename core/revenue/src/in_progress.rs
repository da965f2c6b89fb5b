//! The month in progress, kept per customer (`revenue_now`, decision 0024). A month that is over
//! is kept whole (`kept_months`); the month in progress is measured now, and "now" moves. But a
//! customer's MRR now changes without a write only when one of their coverage rows ends (or a
//! payment dated later starts), so each customer's MRR at the end of last month and now is kept
//! with the instant it expires. A read recomputes the customers whose rows expired or whose
//! coverage `cover::refresh` recomputed, and sums the rest as they are: the same figures as the
//! full computation (`mrr::series_sql`), from one row per customer instead of every coverage row
//! that spans the month. Kept for the default scope (every synced business) only.

use crate::error::RevenueError;
use crate::months::{self, MonthIndex};
use crate::mrr::{MOVEMENT_SUMS, Pass, SCOPE, movement_sql};
use chrono::{DateTime, Utc};
use dealdesk_model::revenue::{ALL_IN_USD, RevenueScope};
use dealdesk_store::Store;

/// Whether the kept rows answer for `scope`: only the default scope is kept.
pub fn answers_for(scope: &RevenueScope) -> bool {
    scope.business.is_none() && scope.product.is_none()
}

/// Brings `revenue_now` to `as_of` (call `cover::refresh` first): rebuilt when it is for another
/// month or was computed after `as_of`, else the dirty and expired customers recomputed.
pub async fn refresh(store: &Store, as_of: DateTime<Utc>) -> Result<(), RevenueError> {
    let month = months::index_of(as_of);
    let now = months::stored(as_of);
    let state_sql = "SELECT month, since FROM revenue_now_state WHERE id = 1";
    let must_rebuild = |state: Option<(i64, String)>| match state {
        Some((kept, since)) => kept != month || since > now,
        None => true,
    };
    let julian = months::julian(as_of);
    if !must_rebuild(sqlx::query_as(state_sql).fetch_optional(store.pool()).await?) {
        // Nothing dirty and nothing expired: one read of each, by index.
        let stale: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM revenue_now_dirty) OR EXISTS (SELECT 1 FROM revenue_now WHERE expires <= ?1)",
        )
        .bind(julian)
        .fetch_one(store.pool())
        .await?;
        if !stale {
            return Ok(());
        }
    }
    let mut tx = store.begin_write().await?;
    // Decided again inside the write: another reader may have brought the rows past `as_of`.
    let rebuild = must_rebuild(sqlx::query_as(state_sql).fetch_optional(&mut *tx).await?);
    let targets = if rebuild {
        sqlx::query("DELETE FROM revenue_now").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM revenue_now_dirty").execute(&mut *tx).await?;
        // Every customer with coverage this month or later (in either chain).
        "SELECT customer FROM revenue_cover WHERE t1 > ?1 UNION SELECT customer FROM revenue_cover WHERE t1_usd > ?1"
    } else {
        sqlx::query("INSERT INTO revenue_now_dirty SELECT customer FROM revenue_now WHERE expires <= ?1")
            .bind(julian)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM revenue_now WHERE customer IN (SELECT customer FROM revenue_now_dirty)")
            .execute(&mut *tx)
            .await?;
        "SELECT customer FROM revenue_now_dirty"
    };
    let month_start = months::julian(months::start(month));
    for pass in [Pass::PerCurrency, Pass::AllInUsd] {
        sqlx::query(sqlx::AssertSqlSafe(recompute_sql(pass, targets)))
            .bind(month_start)
            .bind(Option::<String>::None)
            .bind(Option::<String>::None)
            .bind(&now)
            .bind(julian)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM revenue_now_dirty").execute(&mut *tx).await?;
    let since = if rebuild { "?2" } else { "max(since, ?2)" };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO revenue_now_state (id, month, since) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET month = ?1, since = {since}"
    )))
    .bind(month)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Computes the rows of the customers `targets` gives (a query of `customer`, reading `?1`) in
/// one pass. `?1` the month's start and `?5` now (julian days), `?4` now (stored text), `?2`/`?3`
/// the scope (NULL: the default). The rules are `mrr::coverage_ctes`'s: a row counts at an
/// instant it spans if it was paid before now; "new" is a customer with no coverage before the
/// month began.
fn recompute_sql(pass: Pass, targets: &str) -> String {
    let (t1, mrr, cur, group) = match pass {
        Pass::AllInUsd => ("c.t1_usd", "c.mrr_usd", format!("'{ALL_IN_USD}'"), "c.customer"),
        Pass::PerCurrency | Pass::Customers => ("c.t1", "c.mrr", "c.currency".to_string(), "c.customer, c.currency"),
    };
    let now_counts = format!("(c.paid_at < ?4 AND c.t0 < ?5 AND {t1} > ?5)");
    format!(
        "INSERT INTO revenue_now (customer, pass, cur, before, after, movement, covered, expires)
        SELECT customer, '{pass:?}', cur, before, after,
               CASE WHEN before = 0 AND after = 0 THEN '' ELSE {movement} END,
               covered, expires
        FROM (
            SELECT c.customer, {cur} AS cur,
                   sum(CASE WHEN c.t0 < ?1 AND {t1} > ?1 THEN {mrr} ELSE 0 END) AS before,
                   sum(CASE WHEN {now_counts} THEN {mrr} ELSE 0 END) AS after,
                   max(c.t0 < ?1) AS earlier,
                   max({now_counts}) AS covered,
                   min(CASE WHEN c.paid_at >= ?4 OR c.t0 >= ?5 THEN c.t0 WHEN {t1} > ?5 THEN {t1} ELSE 1e9 END)
                       AS expires,
                   max({t1} > ?1) AS this_month
            FROM revenue_cover c
            WHERE c.customer IN ({targets}) AND {t1} IS NOT NULL AND {scope}
            GROUP BY {group}
        )
        WHERE this_month",
        scope = SCOPE.replace("y.", "c."),
        movement = movement_sql("before", "after", "earlier"),
    )
}

/// The month in progress as `mrr::series_sql` gives it (one row per currency), from the kept
/// rows. `?1` the month, `?2` the pass.
pub fn series_sql() -> String {
    format!(
        "SELECT ?1, cur, {MOVEMENT_SUMS}
        FROM revenue_now WHERE pass = ?2 AND movement != ''
        GROUP BY cur ORDER BY cur"
    )
}

/// One pass of the month in progress from the kept rows (after [`refresh`]).
pub async fn series(store: &Store, pass: Pass, month: MonthIndex) -> Result<Vec<crate::mrr::SeriesRow>, RevenueError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(series_sql()))
        .bind(month)
        .bind(format!("{pass:?}"))
        .fetch_all(store.pool())
        .await?)
}
