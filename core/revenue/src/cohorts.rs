//! Cohorts, LTV and top customers (docs/revenue.md).

use crate::mrr::{Pass, SCOPE, coverage_ctes};
use dealdesk_model::revenue::FIGURE_CUSTOMERS_MAX;

/// A customer's key: the Whop user, else the member, else the membership.
pub const CUSTOMER: &str = "coalesce(y.user_id, y.member_id, y.membership_id)";
/// The same, '' for a payment with none: the key of `revenue_customer`, read through the index
/// `whop_payment_by_customer` on this very expression.
pub const CUSTOMER_KEY: &str = "coalesce(y.user_id, y.member_id, y.membership_id, '')";

/// A payment's amount in Whop's USD (its own amount when it is in USD), and what is left of it
/// after refunds.
pub const USD_TOTAL: &str = "coalesce(y.usd_total_micros, CASE WHEN y.currency = 'USD' THEN y.total_micros END)";
pub const NET_USD: &str = "CAST(coalesce(y.usd_total_micros, CASE WHEN y.currency = 'USD' THEN y.total_micros END) \
     * (y.total_micros - coalesce(y.refunded_micros, 0)) / y.total_micros AS INTEGER)";

/// A payment that counts as money received: paid, not free, not fully refunded.
pub const RECEIVED: &str = "y.status = 'paid' AND y.paid_at IS NOT NULL AND y.total_micros > 0 \
     AND coalesce(y.refunded_micros, 0) < y.total_micros";

/// The cohort grid's common table expressions: `cohort(customer, c)` (the month of the first
/// payment) and `active(customer, m)` (a customer in month `m`: paying for a renewal plan at the
/// month's end, or paying in it). `?1` grid, `?2`/`?3` scope, `?4` as of, `?5` the first cohort
/// month's start (stored text).
fn cohort_ctes() -> String {
    format!(
        "{ctes},
        any_paid AS (
            SELECT {CUSTOMER} AS customer, y.paid_at FROM whop_payment y
            WHERE {RECEIVED} AND y.paid_at < ?4 AND {SCOPE}
        ),
        cohort AS (
            SELECT customer,
                   CAST(substr(min(paid_at), 1, 4) AS INTEGER) * 12 + CAST(substr(min(paid_at), 6, 2) AS INTEGER) - 1 AS c
            FROM any_paid GROUP BY customer
        ),
        active AS (
            SELECT customer, CAST(substr(paid_at, 1, 4) AS INTEGER) * 12 + CAST(substr(paid_at, 6, 2) AS INTEGER) - 1 AS m
            FROM any_paid WHERE paid_at >= ?5
            UNION
            SELECT customer, m FROM at_end
        )",
        ctes = coverage_ctes(Pass::Customers)
    )
}

/// A month index from stored text.
fn month_of(at: &str) -> String {
    format!("(CAST(substr({at}, 1, 4) AS INTEGER) * 12 + CAST(substr({at}, 6, 2) AS INTEGER) - 1)")
}

/// The cohort grid's cells in the grid's months (`?1`, a set of columns; the months kept are left
/// out): `(cohort, month, customers)` for every cohort. Reads the payments from `?5` (the start of
/// the earliest month asked) and each active customer's first payment in `revenue_customer`
/// (refreshed first), so it answers for "now" only (`customers::answer_for`); otherwise the whole
/// grid is [`cohorts_sql`]. `?2`/`?3` scope, `?4` as of.
pub fn columns_sql() -> String {
    format!(
        "WITH {ctes},
        paid_in AS (
            SELECT DISTINCT {CUSTOMER_KEY} AS customer, {paid_month} AS m FROM whop_payment y
            WHERE {RECEIVED} AND y.paid_at >= ?5 AND y.paid_at < ?4 AND {SCOPE}
        ),
        active AS (
            SELECT customer, m FROM paid_in WHERE customer != '' AND m IN (SELECT m FROM grid)
            UNION
            SELECT customer, m FROM at_end
        ),
        cohort AS (
            SELECT a.customer,
                   (SELECT min(y.first_paid_at) FROM revenue_customer y WHERE y.customer = a.customer AND {SCOPE})
                       AS first_paid_at
            FROM (SELECT DISTINCT customer FROM active) a
        )
        SELECT {first_month}, a.m, count(*)
        FROM active a JOIN cohort k ON k.customer = a.customer
        WHERE k.first_paid_at IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2",
        ctes = coverage_ctes(Pass::Customers),
        paid_month = month_of("y.paid_at"),
        first_month = month_of("k.first_paid_at"),
    )
}

/// The cohort grid's column of the month in progress (`?1`), from the customers kept as covered
/// now (`revenue_now`, refreshed first: `in_progress`) and those who paid in it, as [`columns_sql`]
/// gives it: `(cohort, month, customers)`. `?2`/`?3` scope (NULL: the default, the one kept), `?4`
/// as of, `?5` the month's start (stored text).
pub fn column_in_progress_sql() -> String {
    format!(
        "WITH active AS (
            SELECT {CUSTOMER_KEY} AS customer FROM whop_payment y
            WHERE {RECEIVED} AND y.paid_at >= ?5 AND y.paid_at < ?4 AND {SCOPE}
            UNION
            SELECT customer FROM revenue_now WHERE pass = 'PerCurrency' AND covered
        ),
        cohort AS (
            SELECT (SELECT min(y.first_paid_at) FROM revenue_customer y WHERE y.customer = a.customer AND {SCOPE})
                       AS first_paid_at
            FROM active a WHERE a.customer != ''
        )
        SELECT {first_month}, ?1, count(*) FROM cohort k WHERE k.first_paid_at IS NOT NULL
        GROUP BY 1 ORDER BY 1",
        first_month = month_of("k.first_paid_at"),
    )
}

/// Customers by the month of their first payment (from `?6`, a month index), and how many were
/// customers in each later month (see [`cohort_ctes`] for the other parameters).
pub fn cohorts_sql() -> String {
    format!(
        "WITH {}
        SELECT k.c, a.m - k.c, count(*)
        FROM cohort k JOIN active a ON a.customer = k.customer AND a.m >= k.c
        WHERE k.c >= ?6
        GROUP BY 1, 2 ORDER BY 1, 2",
        cohort_ctes()
    )
}

/// The customers of one cohort grid cell: cohort `?6` (a month index) in month `?7`.
pub fn cell_customers_sql() -> String {
    format!(
        "WITH {}, figure AS (
            SELECT k.customer, 0 AS paid, 0 AS refunded, 0 AS payments
            FROM cohort k JOIN active a ON a.customer = k.customer
            WHERE k.c = ?6 AND a.m = ?7
        ) {}",
        cohort_ctes(),
        named_figure_rows()
    )
}

/// A customer's name: their person's, else Whop's member name or email, else the customer key.
/// Reads `pe` (the person), as [`person_joins`] gives it.
pub fn customer_name(customer: &str) -> String {
    format!(
        "coalesce(nullif(trim(pe.first_name || ' ' || pe.last_name), ''),
                  (SELECT coalesce(max(name), max(email)) FROM whop_member WHERE user_id = {customer}), {customer})"
    )
}

/// The customer's link to a person (`wp`) and the person (`pe`).
pub fn person_joins(customer: &str) -> String {
    format!(
        "LEFT JOIN whop_person wp ON wp.user_id = {customer}
         LEFT JOIN person pe ON pe.id = wp.person_id"
    )
}

/// The rows of a `figure(customer, paid, refunded, payments)` expression, each with the customer's
/// person and name, most paid first (at most [`FIGURE_CUSTOMERS_MAX`]).
pub fn named_figure_rows() -> String {
    format!(
        "SELECT f.customer, wp.person_id, {name}, f.paid, f.refunded, f.payments
        FROM figure f
        {joins}
        ORDER BY f.paid - f.refunded DESC, f.customer
        LIMIT {FIGURE_CUSTOMERS_MAX}",
        name = customer_name("f.customer"),
        joins = person_joins("f.customer"),
    )
}

/// The customers of an LTV row: product `?5`, plan `?6` (NULL: the product as a whole), currency
/// `?7`; what each paid and had refunded, as [`ltv_sql`] counts it. `?2`/`?3` scope, `?4` as of.
pub fn ltv_customers_sql() -> String {
    format!(
        "WITH figure AS (
            SELECT {CUSTOMER} AS customer, sum(y.total_micros) AS paid, sum(coalesce(y.refunded_micros, 0)) AS refunded,
                   count(*) AS payments
            FROM whop_payment y
            WHERE {RECEIVED} AND y.paid_at < ?4 AND y.currency = ?7 AND y.product_id = ?5
              AND (?6 IS NULL OR y.plan_id = ?6) AND {SCOPE}
            GROUP BY 1
        ) {}",
        named_figure_rows()
    )
}

/// Net revenue per customer by product (plan NULL) and by product and plan, per currency.
/// `?2`/`?3` scope, `?4` as of.
pub fn ltv_sql() -> String {
    let per = |plan: &str, group: &str| {
        format!(
            "SELECT y.product_id, pr.title, {plan}, pl.title, y.currency,
                    count(DISTINCT {CUSTOMER}), sum(y.total_micros - coalesce(y.refunded_micros, 0))
             FROM whop_payment y
             LEFT JOIN whop_product pr ON pr.id = y.product_id
             LEFT JOIN whop_plan pl ON pl.id = {plan}
             WHERE {RECEIVED} AND y.paid_at < ?4 AND y.currency IS NOT NULL AND y.product_id IS NOT NULL AND {SCOPE}
             GROUP BY {group}"
        )
    };
    format!(
        "{} UNION ALL {} ORDER BY 1, 3 NULLS FIRST, 5",
        per("NULL", "y.product_id, y.currency"),
        per("y.plan_id", "y.product_id, y.plan_id, y.currency")
    )
}

/// [`ltv_sql`] from each customer's sums (`revenue_customer`, refreshed first:
/// `customers::refresh`), for "now" (`customers::answer_for`): the same rows, a tenth of the time.
pub fn ltv_kept_sql() -> String {
    // Two passes over the index by product, each grouping as it reads: faster than grouping the
    // rows once per customer and twice again.
    let per = |plan: &str, group: &str| {
        format!(
            "SELECT y.product_id, {plan} AS plan_id, y.currency, count(DISTINCT nullif(y.customer, '')) AS customers,
                    sum(y.net) AS net
             FROM revenue_customer y
             WHERE y.currency IS NOT NULL AND y.product_id IS NOT NULL AND {SCOPE}
             GROUP BY {group}"
        )
    };
    format!(
        "WITH rows AS ({} UNION ALL {})
        SELECT r.product_id, (SELECT title FROM whop_product WHERE id = r.product_id), r.plan_id,
               (SELECT title FROM whop_plan WHERE id = r.plan_id), r.currency, r.customers, r.net
        FROM rows r ORDER BY 1, 3 NULLS FIRST, 5",
        per("NULL", "y.product_id, y.currency"),
        per("y.plan_id", "y.product_id, y.plan_id, y.currency")
    )
}

/// The ten customers with the most net revenue, in Whop's USD amounts. `?2`/`?3` scope, `?4` as of.
pub fn top_customers_sql() -> String {
    top_customers_from(&format!(
        "SELECT customer, sum(usd) AS usd, count(*) AS payments FROM (
             SELECT {CUSTOMER} AS customer, {NET_USD} AS usd
             FROM whop_payment y
             WHERE {RECEIVED} AND y.paid_at < ?4 AND {SCOPE}
         )
         WHERE usd IS NOT NULL GROUP BY customer ORDER BY 2 DESC, 1 LIMIT 10"
    ))
}

/// [`top_customers_sql`] from each customer's sums, like [`ltv_kept_sql`].
pub fn top_customers_kept_sql() -> String {
    top_customers_from(&format!(
        "SELECT y.customer, sum(y.usd) AS usd, sum(y.usd_payments) AS payments FROM revenue_customer y
         WHERE y.usd_payments > 0 AND y.customer != '' AND {SCOPE}
         GROUP BY y.customer ORDER BY 2 DESC, 1 LIMIT 10"
    ))
}

/// The top customers `top(customer, usd, payments)` with their person and name.
fn top_customers_from(top: &str) -> String {
    format!(
        "WITH top AS ({top})
        SELECT t.customer, wp.person_id, {name}, t.usd, t.payments
        FROM top t
        {joins}
        ORDER BY t.usd DESC, t.customer",
        name = customer_name("t.customer"),
        joins = person_joins("t.customer"),
    )
}
