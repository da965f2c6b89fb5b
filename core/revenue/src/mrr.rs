//! MRR per month and its movement (docs/revenue.md, "MRR" and "MRR movement"), as SQL over the
//! mirror: each paid renewal payment covers its membership from `paid_at` for one billing period
//! plus [`GRACE_DAYS`], cut short by the membership's next payment or its end; a customer's MRR at
//! an instant is the sum of the monthly-normalised amounts of the payments covering it.

use crate::months::{self, MonthIndex};
use dealdesk_model::revenue::{ALL_IN_USD, DrillRow, Movement, MrrMonth};

/// Days a renewal stays counted after its period ends, while Whop retries a failed renewal.
pub const GRACE_DAYS: i64 = 14;

/// Which amounts a pass sums: each currency on its own, or every currency in Whop's USD amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    PerCurrency,
    AllInUsd,
    /// Any currency, amounts unused: who is a paying customer when (cohorts).
    Customers,
}

impl Pass {
    fn currency(self) -> String {
        match self {
            Pass::PerCurrency => "c.currency".into(),
            Pass::AllInUsd => format!("'{ALL_IN_USD}'"),
            Pass::Customers => "''".into(),
        }
    }

    /// The coverage end and the monthly amount this pass reads from `revenue_cover`.
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Pass::PerCurrency | Pass::Customers => ("c.t1", "c.mrr"),
            Pass::AllInUsd => ("c.t1_usd", "c.mrr_usd"),
        }
    }
}

/// Payments in scope: `?2` business (NULL: every synced business), `?3` product (NULL: all).
pub const SCOPE: &str = "(?2 IS NULL AND (y.account_id IS NULL OR y.account_id IN (SELECT id FROM whop_account)) \
     OR y.account_id = ?2) AND (?3 IS NULL OR y.product_id = ?3)";

/// The common table expressions every MRR figure reads, from `revenue_cover` (refreshed first:
/// `cover::refresh`). Parameters: `?1` the month grid
/// ([`months::grid_json`]), `?2`/`?3` the scope, `?4` the instant measured at (stored text).
/// Gives `grid(m, e)`, `cover(ms, customer, cur, t0, t1, mrr)` (the rows that span one of the
/// grid's instants), `at_end(m, customer, cur, mrr)`, and `moves` for every grid month whose
/// previous month is in the grid too (the grid need not be contiguous: kept months are skipped).
/// A month's pairs (each customer's MRR at its start and at its end) come from one pass over the
/// rows that overlap it: a third of the time of grouping `at_end` twice and joining the halves.
pub fn coverage_ctes(pass: Pass) -> String {
    let currency = pass.currency();
    let (t1, mrr) = pass.columns();
    let scope = SCOPE.replace("y.", "c.");
    // Whether the customer was covered before the month began: new, or back. Read through
    // `revenue_cover_by_customer` only for those who start paying in a month.
    let earlier = format!(
        "EXISTS (SELECT 1 FROM revenue_cover x WHERE x.customer = p.customer AND x.t0 < g.e AND {x_t1} IS NOT NULL \
         AND x.paid_at < ?4 AND {x_scope}{x_currency})",
        x_t1 = t1.replace("c.", "x."),
        x_scope = SCOPE.replace("y.", "x."),
        x_currency = if pass == Pass::PerCurrency { " AND x.currency = p.cur" } else { "" },
    );
    let movement = movement_sql("p.before", "p.after", &earlier);
    format!(
        "grid AS MATERIALIZED (
            SELECT CAST(json_extract(value, '$[0]') AS INTEGER) AS m, json_extract(value, '$[1]') AS e
            FROM json_each(?1)
        ),
        cover AS (
            SELECT c.membership_id AS ms, c.customer, {currency} AS cur, c.t0, {t1} AS t1, {mrr} AS mrr
            FROM revenue_cover c
            WHERE {t1} > (SELECT min(e) FROM grid) AND c.t0 < (SELECT max(e) FROM grid) AND c.paid_at < ?4 AND {scope}
        ),
        at_end AS (
            SELECT g.m, c.customer, c.cur, sum(c.mrr) AS mrr
            FROM cover c JOIN grid g ON c.t0 < g.e AND c.t1 > g.e
            GROUP BY g.m, c.customer, c.cur
        ),
        spans AS (
            SELECT g.m, p.e AS e0, g.e AS e1 FROM grid g JOIN grid p ON p.m = g.m - 1
        ),
        pairs AS (
            SELECT s.m, c.customer, c.cur,
                   sum(CASE WHEN c.t0 < s.e1 AND c.t1 > s.e1 THEN c.mrr ELSE 0 END) AS after,
                   sum(CASE WHEN c.t0 < s.e0 AND c.t1 > s.e0 THEN c.mrr ELSE 0 END) AS before
            FROM spans s JOIN cover c ON c.t1 > s.e0 AND c.t0 < s.e1
            GROUP BY s.m, c.customer, c.cur
            HAVING after > 0 OR before > 0
        ),
        moves AS (
            SELECT p.m, p.customer, p.cur, p.before, p.after,
                   {movement} AS movement
            FROM pairs p
            JOIN grid g ON g.m = p.m - 1
        )"
    )
}

/// A customer's movement from MRR `before` to `after` (docs/revenue.md, "MRR movement"); `earlier`
/// says whether they were covered before, which tells a new customer from one who is back. Equal
/// amounts are 'active' (also when both are 0: the sums leave such rows out).
pub(crate) fn movement_sql(before: &str, after: &str, earlier: &str) -> String {
    format!(
        "CASE
            WHEN {before} = 0 AND {after} > 0 AND NOT {earlier} THEN 'new'
            WHEN {before} = 0 AND {after} > 0 THEN 'reactivated'
            WHEN {before} > 0 AND {after} = 0 THEN 'churned'
            WHEN {after} > {before} THEN 'expansion'
            WHEN {after} < {before} THEN 'contraction'
            ELSE 'active'
        END"
    )
}

/// Per currency, from rows of `(before, after, movement)`: MRR, its movement and the customers
/// behind it, in the order of [`SeriesRow`] after the month and currency.
pub(crate) const MOVEMENT_SUMS: &str = "sum(after),
           sum(CASE WHEN movement = 'new' THEN after ELSE 0 END),
           sum(CASE WHEN movement = 'expansion' THEN after - before ELSE 0 END),
           sum(CASE WHEN movement = 'contraction' THEN before - after ELSE 0 END),
           sum(CASE WHEN movement = 'churned' THEN before ELSE 0 END),
           sum(CASE WHEN movement = 'reactivated' THEN after ELSE 0 END),
           sum(after > 0),
           sum(movement = 'new'),
           sum(movement = 'churned'),
           sum(movement = 'reactivated')";

/// Monthly-normalised amount, in integers (docs/revenue.md, "Billing periods"): 28–31 days is a
/// month, 364–366 a year, 7 and 14 days are weeks, 89–92 a quarter, 180–183 half a year, and any
/// other period is scaled by an average month (365.2425 / 12 = 30.436875 = 243495 / 8000 days).
pub(crate) fn normalised_sql(amount: &str, period: &str) -> String {
    let (num, den) = (
        format!(
            "CASE WHEN {period} BETWEEN 28 AND 31 THEN 1 WHEN {period} BETWEEN 364 AND 366 THEN 1 \
             WHEN {period} = 7 THEN 52 WHEN {period} = 14 THEN 26 WHEN {period} BETWEEN 89 AND 92 THEN 1 \
             WHEN {period} BETWEEN 180 AND 183 THEN 1 ELSE 243495 END"
        ),
        format!(
            "CASE WHEN {period} BETWEEN 28 AND 31 THEN 1 WHEN {period} BETWEEN 364 AND 366 THEN 12 \
             WHEN {period} = 7 THEN 12 WHEN {period} = 14 THEN 12 WHEN {period} BETWEEN 89 AND 92 THEN 3 \
             WHEN {period} BETWEEN 180 AND 183 THEN 6 ELSE 8000 * {period} END"
        ),
    );
    format!("(({amount}) * ({num}) + ({den}) / 2) / ({den})")
}

/// The same normalisation in Rust (the tests' naive recomputation and docs/revenue.md use it).
pub fn normalise(amount_micros: i64, period_days: i64) -> i64 {
    let (num, den) = match period_days {
        28..=31 => (1, 1),
        364..=366 => (1, 12),
        7 => (52, 12),
        14 => (26, 12),
        89..=92 => (1, 3),
        180..=183 => (1, 6),
        other => (243_495, 8_000 * other),
    };
    (amount_micros * num + den / 2) / den
}

/// Per month (after the grid's first, which is the baseline) and currency: MRR and movement.
pub fn series_sql(pass: Pass) -> String {
    format!(
        "WITH {ctes}
        SELECT m, cur, {MOVEMENT_SUMS}
        FROM moves GROUP BY m, cur ORDER BY cur, m",
        ctes = coverage_ctes(pass)
    )
}

pub type SeriesRow = (i64, String, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

pub fn month_of(row: SeriesRow) -> MrrMonth {
    let (m, currency, mrr, new, expansion, contraction, churned, reactivated, customers, n_new, n_churned, n_re) = row;
    MrrMonth {
        month: months::text(m),
        currency,
        mrr_micros: mrr,
        new_micros: new,
        expansion_micros: expansion,
        contraction_micros: contraction,
        churned_micros: churned,
        reactivated_micros: reactivated,
        customers: customers.max(0) as u64,
        new_customers: n_new.max(0) as u64,
        churned_customers: n_churned.max(0) as u64,
        reactivated_customers: n_re.max(0) as u64,
    }
}

/// Fills months where a currency had no customer at all (no row) with zeros, so every currency
/// has one entry per month, in order of currency, then month.
pub fn complete(rows: Vec<MrrMonth>, first: MonthIndex, last: MonthIndex) -> Vec<MrrMonth> {
    let mut currencies: Vec<String> = rows.iter().map(|r| r.currency.clone()).collect();
    currencies.sort();
    currencies.dedup();
    let mut out = Vec::with_capacity(currencies.len() * (last - first + 1).max(0) as usize);
    for currency in currencies {
        for m in first..=last {
            let month = months::text(m);
            let found = rows.iter().find(|r| r.currency == currency && r.month == month);
            out.push(found.cloned().unwrap_or_else(|| MrrMonth {
                month,
                currency: currency.clone(),
                ..MrrMonth::default()
            }));
        }
    }
    out
}

/// The customers behind one movement: `?5` month, `?6` currency, `?7` movement.
pub fn drill_sql(pass: Pass) -> String {
    // Names are looked up for the rows shown, after the sort, not for every mover.
    format!(
        "WITH {ctes},
        picked AS (
            SELECT v.customer, v.before, v.after FROM moves v
            WHERE v.m = ?5 AND v.cur = ?6 AND (?7 = v.movement OR (?7 = 'active' AND v.after > 0))
            ORDER BY max(v.before, v.after) DESC, v.customer
            LIMIT 1000
        )
        SELECT p.customer, wp.person_id, {name}, p.before, p.after
        FROM picked p
        {joins}
        ORDER BY max(p.before, p.after) DESC, p.customer",
        ctes = coverage_ctes(pass),
        name = crate::cohorts::customer_name("p.customer"),
        joins = crate::cohorts::person_joins("p.customer"),
    )
}

pub fn movement_name(movement: Movement) -> &'static str {
    match movement {
        Movement::Active => "active",
        Movement::New => "new",
        Movement::Expansion => "expansion",
        Movement::Contraction => "contraction",
        Movement::Churned => "churned",
        Movement::Reactivated => "reactivated",
    }
}

pub type DrillSqlRow = (String, Option<String>, String, i64, i64);

pub fn drill_row((customer, person_id, name, before, after): DrillSqlRow) -> DrillRow {
    DrillRow {
        customer,
        person_id: person_id.and_then(|id| uuid::Uuid::parse_str(&id).ok()),
        name,
        before_micros: before,
        after_micros: after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_normalise_to_a_month() {
        assert_eq!(normalise(9_900_000, 30), 9_900_000);
        assert_eq!(normalise(9_900_000, 31), 9_900_000);
        assert_eq!(normalise(120_000_000, 365), 10_000_000);
        assert_eq!(normalise(12_000_000, 7), 52_000_000);
        assert_eq!(normalise(30_000_000, 90), 10_000_000);
        // 45 days: 30.436875 / 45 of the price.
        assert_eq!(normalise(45_000_000, 45), 30_436_875);
    }
}
