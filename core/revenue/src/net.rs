//! Net revenue (payments minus refunds) per month, recovered payments, and the rows a total
//! leaves out (docs/revenue.md, "Net revenue", "Recovered", "What a total leaves out").

use crate::cohorts::CUSTOMER;
use crate::mrr::SCOPE;

/// A paid payment counted in gross revenue between `?1` and `?4` (stored text).
const GROSS: &str = "y.status = 'paid' AND y.paid_at >= ?1 AND y.paid_at < ?4 AND y.currency IS NOT NULL \
     AND y.total_micros IS NOT NULL";

/// Paid payments per month and currency. `?1`/`?4`: the first and the end instant (stored text).
pub fn gross_sql() -> String {
    format!(
        "SELECT substr(y.paid_at, 1, 7), y.currency, sum(y.total_micros), count(*)
         FROM whop_payment y
         WHERE {GROSS} AND {SCOPE}
         GROUP BY 1, 2"
    )
}

/// `dated(at, customer, currency, micros)`: refunds, dated when they happen. Whop's refund
/// objects that succeeded or are on their way (pending), dated when created; and, for a payment
/// whose `refunded_amount` is more than its listed refunds (refunds not synced, or made before
/// they were listed), the rest, dated at the payment's `refunded_at`. The refunded payments are
/// found through their own small index (`whop_payment_refunded`), not by reading every payment.
fn dated_refunds_ctes() -> String {
    format!(
        "listed AS (
             SELECT r.payment_id, r.amount_micros, r.created_at
             FROM whop_refund r
             WHERE r.status IN ('succeeded', 'pending') AND r.amount_micros > 0
         ),
         in_scope AS MATERIALIZED (
             SELECT y.id, {CUSTOMER} AS customer, y.currency, y.refunded_micros,
                    coalesce(y.refunded_at, y.paid_at) AS refunded_at
             FROM whop_payment y
             WHERE y.status = 'paid' AND y.currency IS NOT NULL AND {SCOPE}
               AND y.id IN (SELECT id FROM whop_payment INDEXED BY whop_payment_refunded
                            WHERE status = 'paid' AND refunded_micros > 0
                            UNION SELECT payment_id FROM listed)
         ),
         dated AS (
             SELECT l.created_at AS at, p.customer, p.currency, l.amount_micros AS micros
             FROM listed l JOIN in_scope p ON p.id = l.payment_id
             UNION ALL
             SELECT p.refunded_at, p.customer, p.currency,
                    p.refunded_micros - coalesce((SELECT sum(l.amount_micros) FROM listed l WHERE l.payment_id = p.id), 0)
             FROM in_scope p
         )"
    )
}

/// Refunds per month and currency (see [`dated_refunds_ctes`]).
pub fn refunds_sql() -> String {
    format!(
        "WITH {}
         SELECT substr(at, 1, 7), currency, sum(micros), count(*)
         FROM dated WHERE micros > 0 AND at >= ?1 AND at < ?4
         GROUP BY 1, 2",
        dated_refunds_ctes()
    )
}

/// The customers behind one month's net revenue in currency `?5`: what each paid in it and had
/// refunded in it, as [`gross_sql`] and [`refunds_sql`] count them.
pub fn customers_sql() -> String {
    let per_customer = format!(
        "SELECT customer, sum(paid) AS paid, sum(refunded) AS refunded, sum(payments) AS payments FROM (
             SELECT {CUSTOMER} AS customer, y.total_micros AS paid, 0 AS refunded, 1 AS payments
             FROM whop_payment y WHERE {GROSS} AND y.currency = ?5 AND {SCOPE}
             UNION ALL
             SELECT customer, 0, micros, 0 FROM dated
             WHERE micros > 0 AND at >= ?1 AND at < ?4 AND currency = ?5
         ) GROUP BY customer"
    );
    format!("WITH {}, figure AS ({per_customer}) {}", dated_refunds_ctes(), crate::cohorts::named_figure_rows())
}

/// A payment that failed at least once: Whop counted failed attempts, or it is unsettled with a
/// failure. Used by recovery and Recover alike. `whop_payment_failed_once` is a partial index on
/// this very expression (SQLite uses it only while the two read the same): change both together.
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
    // Each reason reads its own partial index (migration `…_revenue_month.sql`), so the answer,
    // nearly always "nothing", costs a few index probes instead of reading every payment; the
    // planner, without statistics, would take the wider paid-payments index, hence `INDEXED BY`.
    // Plans missing from the mirror are found by stepping through the distinct plan ids that
    // payments name (a handful), then their payments are read by plan.
    format!(
        "WITH RECURSIVE plan_ids(id) AS (
             SELECT min(plan_id) FROM whop_payment WHERE status = 'paid'
             UNION ALL
             SELECT (SELECT min(plan_id) FROM whop_payment WHERE status = 'paid' AND plan_id > p.id)
             FROM plan_ids p WHERE p.id IS NOT NULL
         ),
         no_plan AS (
             SELECT y.currency, y.total_micros FROM whop_payment y INDEXED BY whop_payment_paid_by_plan
             WHERE y.status = 'paid'
               AND y.plan_id IN (SELECT id FROM plan_ids WHERE id IS NOT NULL AND id NOT IN (SELECT id FROM whop_plan))
               AND y.paid_at < ?4 AND y.currency IS NOT NULL AND {SCOPE} AND y.billing_reason LIKE 'subscription%'
             UNION ALL
             SELECT y.currency, y.total_micros FROM whop_payment y INDEXED BY whop_payment_paid_by_plan
             WHERE y.status = 'paid' AND y.plan_id IS NULL
               AND y.paid_at < ?4 AND y.currency IS NOT NULL AND {SCOPE} AND y.billing_reason LIKE 'subscription%'
               AND NOT EXISTS (SELECT 1 FROM whop_membership s JOIN whop_plan pl ON pl.id = s.plan_id
                               WHERE s.id = y.membership_id)
         )
         SELECT 'unknown_currency', count(*), coalesce(sum(y.total_micros), 0), NULL
         FROM whop_payment y INDEXED BY whop_payment_paid_no_currency
         WHERE y.status = 'paid' AND y.paid_at < ?4 AND y.currency IS NULL AND {SCOPE}
         UNION ALL
         SELECT 'no_plan', count(*), coalesce(sum(total_micros), 0), currency FROM no_plan GROUP BY currency
         UNION ALL
         SELECT 'no_usd_amount', count(*), coalesce(sum(y.total_micros), 0), y.currency
         FROM whop_payment y INDEXED BY whop_payment_paid_no_usd
         WHERE y.status = 'paid' AND y.paid_at < ?4 AND y.currency IS NOT NULL AND y.currency != 'USD'
           AND y.usd_total_micros IS NULL AND {SCOPE}
         GROUP BY y.currency"
    )
}
