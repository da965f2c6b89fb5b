//! Net revenue (payments minus refunds) per month, recovered payments, and the rows a total
//! leaves out (docs/revenue.md, "Net revenue", "Recovered", "What a total leaves out").

use crate::mrr::SCOPE;

/// Paid payments per month and currency. `?1`/`?4`: the first and the end instant (stored text).
pub fn gross_sql() -> String {
    format!(
        "SELECT substr(y.paid_at, 1, 7), y.currency, sum(y.total_micros), count(*)
         FROM whop_payment y
         WHERE y.status = 'paid' AND y.paid_at >= ?1 AND y.paid_at < ?4 AND y.currency IS NOT NULL
           AND y.total_micros IS NOT NULL AND {SCOPE}
         GROUP BY 1, 2"
    )
}

/// Refunds per month and currency: Whop's refund objects that succeeded or are on their way
/// (pending), dated when created; and, for a payment whose `refunded_amount` is more than its
/// listed refunds (refunds not synced, or made before they were listed), the rest, dated at the
/// payment's `refunded_at`.
pub fn refunds_sql() -> String {
    format!(
        "WITH listed AS (
             SELECT r.payment_id, r.amount_micros, r.created_at
             FROM whop_refund r
             WHERE r.status IN ('succeeded', 'pending') AND r.amount_micros > 0
         ),
         in_scope AS (
             SELECT y.id, y.currency, y.refunded_micros, coalesce(y.refunded_at, y.paid_at) AS refunded_at
             FROM whop_payment y
             WHERE y.status = 'paid' AND y.currency IS NOT NULL AND {SCOPE}
               AND (coalesce(y.refunded_micros, 0) > 0 OR y.id IN (SELECT payment_id FROM listed))
         ),
         dated AS (
             SELECT l.created_at AS at, p.currency, l.amount_micros AS micros
             FROM listed l JOIN in_scope p ON p.id = l.payment_id
             UNION ALL
             SELECT p.refunded_at, p.currency,
                    p.refunded_micros - coalesce((SELECT sum(l.amount_micros) FROM listed l WHERE l.payment_id = p.id), 0)
             FROM in_scope p
         )
         SELECT substr(at, 1, 7), currency, sum(micros), count(*)
         FROM dated WHERE micros > 0 AND at >= ?1 AND at < ?4
         GROUP BY 1, 2"
    )
}

/// A payment that failed at least once: Whop counted failed attempts, or it is unsettled with a
/// failure. Used by recovery and Recover alike.
pub const FAILED_ONCE: &str = "(coalesce(y.payments_failed, 0) > 0 \
     OR (y.status NOT IN ('paid', 'void') AND (y.substatus IN ('failed', 'past_due', 'uncollectible') \
         OR y.failure_message IS NOT NULL)))";

/// Recovered revenue in a month: payments paid in it after failing (per currency).
pub fn recovered_sql() -> String {
    format!(
        "SELECT y.currency, sum(y.total_micros), count(*)
         FROM whop_payment y
         WHERE y.status = 'paid' AND coalesce(y.payments_failed, 0) > 0
           AND y.paid_at >= ?1 AND y.paid_at < ?4 AND y.currency IS NOT NULL AND {SCOPE}
         GROUP BY y.currency ORDER BY y.currency"
    )
}

/// Payments created in a month that failed at least once, and how many of them are paid now.
pub fn failed_in_month_sql() -> String {
    format!(
        "SELECT count(*), coalesce(sum(y.status = 'paid'), 0)
         FROM whop_payment y
         WHERE y.created_at >= ?1 AND y.created_at < ?4 AND {FAILED_ONCE} AND {SCOPE}"
    )
}

/// Paid payments a total cannot take in, up to `?4`: unknown currency; renewal payments whose
/// membership or plan is not in the mirror; payments without a USD amount (cross-currency total).
pub fn excluded_sql() -> String {
    format!(
        "SELECT 'unknown_currency', count(*), coalesce(sum(y.total_micros), 0), NULL
         FROM whop_payment y
         WHERE y.status = 'paid' AND y.paid_at < ?4 AND y.currency IS NULL AND {SCOPE}
         UNION ALL
         SELECT 'no_plan', count(*), coalesce(sum(y.total_micros), 0), y.currency
         FROM whop_payment y
         LEFT JOIN whop_membership s ON s.id = y.membership_id
         LEFT JOIN whop_plan pl ON pl.id = coalesce(y.plan_id, s.plan_id)
         WHERE y.status = 'paid' AND y.paid_at < ?4 AND y.currency IS NOT NULL AND {SCOPE}
           AND y.billing_reason LIKE 'subscription%' AND pl.id IS NULL
         GROUP BY y.currency
         UNION ALL
         SELECT 'no_usd_amount', count(*), coalesce(sum(y.total_micros), 0), y.currency
         FROM whop_payment y
         WHERE y.status = 'paid' AND y.paid_at < ?4 AND y.currency IS NOT NULL AND y.currency != 'USD'
           AND y.usd_total_micros IS NULL AND {SCOPE}
         GROUP BY y.currency"
    )
}
