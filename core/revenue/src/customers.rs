//! `revenue_customer`: each customer's received payments summed per product, plan, currency and
//! business, recomputed for the customers the payment triggers marked dirty before LTV or the top
//! customers read it (migration `…_revenue_month.sql`). It sums every payment, so it answers for
//! "now": a figure asked as of an earlier instant than the latest payment reads the payments.

use crate::cohorts::{CUSTOMER_KEY, NET_USD, RECEIVED, USD_TOTAL};
use crate::error::RevenueError;
use chrono::{DateTime, Utc};
use dealdesk_store::Store;

/// Recomputes the dirty customers' rows, in one transaction; nothing to do is one read.
pub async fn refresh(store: &Store) -> Result<(), RevenueError> {
    let dirty = "(SELECT customer FROM revenue_customer_dirty)";
    let statements = [
        format!("DELETE FROM revenue_customer WHERE customer IN {dirty}"),
        format!(
            "INSERT INTO revenue_customer (customer, product_id, plan_id, currency, account_id, first_paid_at,
                                           last_paid_at, net, payments, usd, usd_payments)
             SELECT {CUSTOMER_KEY}, y.product_id, y.plan_id, y.currency, y.account_id, min(y.paid_at), max(y.paid_at),
                    sum(y.total_micros - coalesce(y.refunded_micros, 0)), count(*),
                    sum({NET_USD}), count({USD_TOTAL})
             FROM whop_payment y
             WHERE {CUSTOMER_KEY} IN {dirty} AND {RECEIVED}
             GROUP BY 1, 2, 3, 4, 5"
        ),
        "DELETE FROM revenue_customer_dirty".to_string(),
    ];
    crate::dirty::recompute(store, "revenue_customer_dirty", statements).await
}

/// Whether the sums answer for `as_of`: no received payment is at or after it.
pub async fn answer_for(store: &Store, as_of: DateTime<Utc>) -> Result<bool, RevenueError> {
    let latest: Option<String> = sqlx::query_scalar("SELECT max(paid_at) FROM whop_payment WHERE status = 'paid'")
        .fetch_one(store.pool())
        .await?;
    Ok(latest.is_none_or(|latest| latest < crate::months::stored(as_of)))
}
