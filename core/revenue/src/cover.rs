//! `revenue_cover`: what each paid renewal covers (docs/revenue.md, "MRR"), recomputed for the
//! memberships the mirror's triggers marked dirty, before any figure reads it.

use crate::error::RevenueError;
use crate::mrr::{GRACE_DAYS, normalised_sql};
use dealdesk_store::Store;

/// Recomputes the coverage of every dirty membership, in one transaction; nothing to do is one
/// read. A full mirror (the first time) takes about a second per 100,000 payments.
pub async fn refresh(store: &Store) -> Result<(), RevenueError> {
    let dirty: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revenue_dirty)").fetch_one(store.pool()).await?;
    if !dirty {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    // The dirty memberships' rows as they were, to find the earliest instant that changed.
    let months_kept: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revenue_month)").fetch_one(&mut *tx).await?;
    if months_kept {
        sqlx::query("CREATE TEMP TABLE IF NOT EXISTS revenue_cover_before AS SELECT * FROM main.revenue_cover WHERE 0")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM temp.revenue_cover_before").execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO temp.revenue_cover_before SELECT * FROM main.revenue_cover
             WHERE membership_id IN (SELECT membership_id FROM revenue_dirty)",
        )
        .execute(&mut *tx)
        .await?;
    }
    // The customers whose coverage changes: the month in progress kept per customer (`in_progress`)
    // recomputes them, from their old rows and their new ones.
    sqlx::query(MARK_CUSTOMERS_SQL).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM revenue_cover WHERE membership_id IN (SELECT membership_id FROM revenue_dirty)")
        .execute(&mut *tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(rebuild_sql())).execute(&mut *tx).await?;
    sqlx::query(MARK_CUSTOMERS_SQL).execute(&mut *tx).await?;
    if months_kept {
        let forgotten = sqlx::query(FORGET_CHANGED_MONTHS_SQL).execute(&mut *tx).await?.rows_affected();
        tracing::debug!(forgotten, "kept revenue months the changed coverage reaches");
        sqlx::query("DELETE FROM temp.revenue_cover_before").execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM revenue_dirty").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The dirty memberships' customers, for `in_progress` (nothing while it keeps no rows).
const MARK_CUSTOMERS_SQL: &str = "
    INSERT INTO revenue_now_dirty (customer)
    SELECT DISTINCT customer FROM revenue_cover
    WHERE membership_id IN (SELECT membership_id FROM revenue_dirty) AND EXISTS (SELECT 1 FROM revenue_now_state)";

/// Deletes the kept months (`revenue_month`) that the dirty memberships' new coverage no longer
/// agrees with: every month whose end (or the previous month's end, its baseline) is at or after
/// the earliest instant where a row was added, removed or changed. A row whose coverage only ends
/// at another time (the next payment came, the membership ended) changes nothing before the
/// earlier of its two ends; any other change counts from the payment itself.
const FORGET_CHANGED_MONTHS_SQL: &str = "
    WITH changed(t) AS (
        SELECT CASE
                   WHEN n.payment_id IS NULL THEN o.t0
                   WHEN (o.membership_id, o.account_id, o.product_id, o.customer, o.currency, o.paid_at, o.t0,
                         o.mrr, o.mrr_usd)
                        IS NOT (n.membership_id, n.account_id, n.product_id, n.customer, n.currency, n.paid_at, n.t0,
                                n.mrr, n.mrr_usd)
                       THEN min(o.t0, n.t0)
                   ELSE min(CASE WHEN o.t1 != n.t1 THEN min(o.t1, n.t1) ELSE 1e9 END,
                            CASE WHEN o.t1_usd IS NOT n.t1_usd THEN min(o.t1_usd, n.t1_usd) ELSE 1e9 END)
               END
        FROM temp.revenue_cover_before o LEFT JOIN main.revenue_cover n ON n.payment_id = o.payment_id
        UNION ALL
        SELECT n.t0 FROM main.revenue_cover n
        WHERE n.membership_id IN (SELECT membership_id FROM revenue_dirty)
          AND n.payment_id NOT IN (SELECT payment_id FROM temp.revenue_cover_before)
    ),
    earliest(t) AS (SELECT min(t) - 1.0 / 86400 FROM changed WHERE t < 1e9)
    DELETE FROM revenue_month
    WHERE month >= (SELECT CAST(strftime('%Y', t) AS INTEGER) * 12 + CAST(strftime('%m', t) AS INTEGER) - 1
                    FROM earliest WHERE t IS NOT NULL)";

/// The counted payments of the dirty memberships and their coverage: in each currency, and in the
/// USD* chain, where a payment without a USD amount neither covers nor cuts.
fn rebuild_sql() -> String {
    let usd = "CASE WHEN coalesce(y.tax_micros, 0) > 0 \
               THEN CAST(coalesce(y.usd_total_micros, CASE WHEN y.currency = 'USD' THEN y.total_micros END) \
                    * (y.total_micros - y.tax_micros) / y.total_micros AS INTEGER) \
               ELSE coalesce(y.usd_total_micros, CASE WHEN y.currency = 'USD' THEN y.total_micros END) END";
    let end = |lead: &str| {
        format!("min(t0 + period + {GRACE_DAYS}, coalesce({lead}, 1e9), CASE WHEN ended > t0 THEN ended ELSE 1e9 END)")
    };
    format!(
        "WITH paid AS (
            SELECT y.id, y.membership_id AS ms, y.account_id, y.product_id,
                   coalesce(y.user_id, y.member_id, y.membership_id) AS customer, y.currency AS cur, y.paid_at,
                   (y.total_micros - coalesce(y.tax_micros, 0)) AS amount, {usd} AS usd,
                   julianday(y.paid_at) AS t0, pl.billing_period AS period,
                   CASE WHEN s.status IN ('canceled', 'expired', 'completed') THEN julianday(s.canceled_at) END AS ended
            FROM whop_payment y
            LEFT JOIN whop_membership s ON s.id = y.membership_id
            JOIN whop_plan pl ON pl.id = coalesce(y.plan_id, s.plan_id)
            WHERE y.membership_id IN (SELECT membership_id FROM revenue_dirty)
              AND y.status = 'paid' AND y.paid_at IS NOT NULL
              AND pl.plan_type = 'renewal' AND pl.billing_period > 0
              AND y.total_micros > 0 AND coalesce(y.refunded_micros, 0) < y.total_micros
              AND y.currency IS NOT NULL
        )
        INSERT INTO revenue_cover (payment_id, membership_id, account_id, product_id, customer, currency, paid_at,
                                   t0, t1, mrr, t1_usd, mrr_usd)
        SELECT id, ms, account_id, product_id, customer, cur, paid_at, t0,
               {t1},
               {mrr},
               CASE WHEN usd IS NOT NULL THEN {t1_usd} END,
               CASE WHEN usd IS NOT NULL THEN {mrr_usd} END
        FROM paid
        WINDOW every AS (PARTITION BY ms ORDER BY t0, id),
               with_usd AS (PARTITION BY ms, usd IS NULL ORDER BY t0, id)",
        t1 = end("lead(t0) OVER every"),
        t1_usd = end("lead(t0) OVER with_usd"),
        mrr = normalised_sql("amount", "period"),
        mrr_usd = normalised_sql("usd", "period"),
    )
}
