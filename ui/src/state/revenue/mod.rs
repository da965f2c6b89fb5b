//! The revenue desk as plain data: which currency the Revenue screen charts, the MRR bars and the
//! movement figures behind them, net revenue rows, cohort percentages and their shade, rates, the
//! notices for payments a total leaves out, and the Recover rows' texts (when Whop retries, when
//! it cancels, the follow-up task).

use crate::state::format::{money_text, relative, short_time};
use chrono::{DateTime, NaiveDate, Utc};
use dealdesk_model::revenue::{
    ALL_IN_USD, CohortGrid, CohortRow, CurrencyTotal, DrillRow, Excluded, ExcludedReason, FIGURE_CUSTOMERS_MAX, Figure,
    FigureCustomer, FigureQuery, LtvRow, Movement, MrrMonth, NetRevenueMonth, RecoverItem, RecoveryStats, RevenueScope,
};
use dealdesk_model::whop::{ProductRevenue, WhopPaymentView};

mod message;

pub use message::*;

/// How the cross-currency total ([`ALL_IN_USD`]) is named on screen.
pub const ALL_IN_USD_LABEL: &str = "USD (all currencies, Whop's USD amounts)";

/// The Recover screen when nothing failed.
pub const NO_FAILED_PAYMENTS: &str = "No failed payments. Every renewal went through.";

/// Shade levels of a cohort cell: 0 (nobody left) to `SHADES` (everybody).
pub const SHADES: u8 = 5;

/// The movements of MRR from one month to the next, in the order the screen lists them.
pub const MOVEMENTS: [Movement; 5] =
    [Movement::New, Movement::Expansion, Movement::Contraction, Movement::Churned, Movement::Reactivated];

/// An amount in a revenue currency; Whop's USD amounts ([`ALL_IN_USD`]) read as USD. MRR
/// normalised from other billing periods carries fractions of a cent: shown rounded to the
/// currency's minor unit (half away from zero).
pub fn amount(micros: i64, currency: &str) -> String {
    let code = if currency == ALL_IN_USD { "USD" } else { currency };
    let minor = dealdesk_model::money::currency_minor_units(code).unwrap_or(2).min(6);
    let unit = 10_i64.pow(6 - u32::from(minor));
    let rounded = (micros + micros.signum() * (unit / 2)) / unit * unit;
    money_text(rounded, code)
}

/// Per-currency lines for a card: the cross-currency total is left out when it only repeats the
/// one currency there is (USD alone, every payment with its USD amount).
pub fn without_repeated_total(items: Vec<(String, i64)>) -> Vec<(String, i64)> {
    let real: Vec<&(String, i64)> = items.iter().filter(|(c, _)| c != ALL_IN_USD).collect();
    let total = items.iter().find(|(c, _)| c == ALL_IN_USD);
    match (real.as_slice(), total) {
        ([(currency, micros)], Some((_, all))) if currency == "USD" && micros == all => {
            items.into_iter().filter(|(c, _)| c != ALL_IN_USD).collect()
        }
        _ => items,
    }
}

/// A currency for people: the ISO code, or what the cross-currency total is.
pub fn currency_label(currency: &str) -> String {
    if currency == ALL_IN_USD { ALL_IN_USD_LABEL.to_string() } else { currency.to_uppercase() }
}

/// A rate (a fraction) as a percentage with one decimal: `0.042` → `4.2 %`; none → `—`.
pub fn rate_text(rate: Option<f64>) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{:.1} %", r * 100.0),
        _ => "—".to_string(),
    }
}

/// Totals per currency on one line: `USD 120.00 · EUR 40.00`; nothing → `—`.
pub fn totals_text(totals: &[CurrencyTotal]) -> String {
    if totals.is_empty() {
        return "—".to_string();
    }
    totals.iter().map(|t| amount(t.micros, &t.currency)).collect::<Vec<_>>().join(" · ")
}

fn month_date(month: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()
}

/// `2026-11` → `November 2026` (other text as it is).
pub fn month_label(month: &str) -> String {
    month_date(month).map(|d| d.format("%B %Y").to_string()).unwrap_or_else(|| month.to_string())
}

/// A month under a chart bar: `Nov`; the first bar and every January carry the year (`Jan ’27`).
pub fn month_axis(month: &str, first: bool) -> String {
    match month_date(month) {
        Some(d) if first || d.format("%m").to_string() == "01" => d.format("%b ’%y").to_string(),
        Some(d) => d.format("%b").to_string(),
        None => month.to_string(),
    }
}

/// The currencies of an MRR series, in the core's order (ISO codes, then [`ALL_IN_USD`]).
pub fn currencies(months: &[MrrMonth]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for m in months {
        if !found.contains(&m.currency) {
            found.push(m.currency.clone());
        }
    }
    found
}

/// The currency to chart: the one chosen while it is still there; otherwise the only real
/// currency, or the cross-currency total when there are several, or the first one.
pub fn chosen_currency(available: &[String], chosen: Option<&str>) -> Option<String> {
    if let Some(c) = chosen.filter(|c| available.iter().any(|a| a == c)) {
        return Some(c.to_string());
    }
    let real: Vec<&String> = available.iter().filter(|c| c.as_str() != ALL_IN_USD).collect();
    match real.as_slice() {
        [one] => Some((*one).clone()),
        _ if available.iter().any(|c| c == ALL_IN_USD) => Some(ALL_IN_USD.to_string()),
        _ => available.first().cloned(),
    }
}

/// One currency's months, oldest first.
pub fn series<'a>(months: &'a [MrrMonth], currency: &str) -> Vec<&'a MrrMonth> {
    let mut picked: Vec<&MrrMonth> = months.iter().filter(|m| m.currency == currency).collect();
    picked.sort_by(|a, b| a.month.cmp(&b.month));
    picked
}

/// The MRR chart's bars: `(axis label, value, text on hover and for screen readers)`.
pub fn mrr_bars(series: &[&MrrMonth]) -> Vec<(String, f64, String)> {
    series
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let customers = match m.customers {
                1 => "1 customer".to_string(),
                n => format!("{n} customers"),
            };
            (
                month_axis(&m.month, i == 0),
                m.mrr_micros.max(0) as f64,
                format!("{} MRR {}, {customers}", month_label(&m.month), amount(m.mrr_micros, &m.currency)),
            )
        })
        .collect()
}

/// What the MRR chart shows, for its accessible description.
pub fn chart_summary(series: &[&MrrMonth], currency: &str) -> String {
    match (series.first(), series.last()) {
        (Some(first), Some(last)) => format!(
            "MRR per month in {}, {} to {}: from {} to {}. The table below lists every month's figures.",
            currency_label(currency),
            month_label(&first.month),
            month_label(&last.month),
            amount(first.mrr_micros, currency),
            amount(last.mrr_micros, currency),
        ),
        _ => format!("No MRR in {} yet.", currency_label(currency)),
    }
}

/// A movement's name as a column and a drill title.
pub fn movement_label(movement: Movement) -> &'static str {
    match movement {
        Movement::Active => "MRR",
        Movement::New => "New",
        Movement::Expansion => "Expansion",
        Movement::Contraction => "Contraction",
        Movement::Churned => "Churned",
        Movement::Reactivated => "Reactivated",
    }
}

/// The movements that take MRR away (shown with a minus).
fn is_loss(movement: Movement) -> bool {
    matches!(movement, Movement::Contraction | Movement::Churned)
}

/// One figure of a month's row: the amount, how many customers, and whether it opens the
/// customers behind it (not when it is zero).
#[derive(Debug, Clone, PartialEq)]
pub struct MovementCell {
    pub movement: Movement,
    pub micros: i64,
    pub text: String,
    pub customers: Option<u64>,
    pub drillable: bool,
}

/// The month's MRR, then its movements in [`MOVEMENTS`] order.
pub fn movement_cells(m: &MrrMonth) -> Vec<MovementCell> {
    let figure = |movement: Movement| -> (i64, Option<u64>) {
        match movement {
            Movement::Active => (m.mrr_micros, Some(m.customers)),
            Movement::New => (m.new_micros, Some(m.new_customers)),
            Movement::Expansion => (m.expansion_micros, None),
            Movement::Contraction => (m.contraction_micros, None),
            Movement::Churned => (m.churned_micros, Some(m.churned_customers)),
            Movement::Reactivated => (m.reactivated_micros, Some(m.reactivated_customers)),
        }
    };
    std::iter::once(Movement::Active)
        .chain(MOVEMENTS)
        .map(|movement| {
            let (micros, customers) = figure(movement);
            let nobody = customers == Some(0);
            let text = match micros {
                0 if movement != Movement::Active => "—".to_string(),
                _ if is_loss(movement) => format!("−{}", amount(micros.abs(), &m.currency)),
                _ => amount(micros, &m.currency),
            };
            MovementCell { movement, micros, text, customers, drillable: micros != 0 && !nobody }
        })
        .collect()
}

/// The accessible name of a figure's button: `New in November 2026: USD 120.00, 3 customers`.
pub fn movement_aria(cell: &MovementCell, month: &str) -> String {
    let who = match cell.customers {
        Some(1) => ", 1 customer".to_string(),
        Some(n) => format!(", {n} customers"),
        None => String::new(),
    };
    format!("Customers behind {} in {}: {}{who}", movement_label(cell.movement), month_label(month), cell.text)
}

/// The drill panel's title: `New in November 2026 (USD)`.
pub fn drill_title(movement: Movement, month: &str, currency: &str) -> String {
    let what = match movement {
        Movement::Active => "Paying customers",
        other => movement_label(other),
    };
    format!("{what} in {} ({})", month_label(month), currency_label(currency))
}

/// A drilled customer's MRR before and after: `USD 0.00 → USD 49.00`.
pub fn drill_change(row: &DrillRow, currency: &str) -> String {
    format!("{} → {}", amount(row.before_micros, currency), amount(row.after_micros, currency))
}

/// What a figure's customer panel is titled, and asks the core for.
pub fn figure_query(scope: &RevenueScope, figure: Figure) -> (String, FigureQuery) {
    let title = match &figure {
        Figure::NetRevenue { month, currency } => {
            format!("Net revenue in {} ({})", month_label(month), currency_label(currency))
        }
        Figure::Cohort { cohort, month } if cohort == month => {
            format!("Customers who first paid in {}", month_label(cohort))
        }
        Figure::Cohort { cohort, month } => {
            format!("First paid in {}, still customers in {}", month_label(cohort), month_label(month))
        }
        Figure::Ltv { .. } => "Lifetime value".to_string(),
    };
    (title, FigureQuery { scope: scope.clone(), figure })
}

/// An LTV row's figure and panel title: `Pro · All plans (USD)`.
pub fn ltv_figure(scope: &RevenueScope, row: &LtvRow) -> (String, FigureQuery) {
    let (product, plan) = ltv_names(row);
    let figure = Figure::Ltv {
        product_id: row.product_id.clone(),
        plan_id: row.plan_id.clone(),
        currency: row.currency.clone(),
    };
    let (_, query) = figure_query(scope, figure);
    (format!("{product} · {plan} ({})", currency_label(&row.currency)), query)
}

/// What a customer brought within a figure: `USD 98.00`, or `USD 98.00 − USD 49.00 refunded`;
/// nothing for a cohort cell (no amounts).
pub fn figure_amount(row: &FigureCustomer, figure: &Figure) -> Option<String> {
    let currency = match figure {
        Figure::NetRevenue { currency, .. } | Figure::Ltv { currency, .. } => currency,
        Figure::Cohort { .. } => return None,
    };
    let paid = amount(row.paid_micros, currency);
    Some(match row.refunded_micros {
        0 => paid,
        refunded => format!("{paid} − {} refunded", amount(refunded, currency)),
    })
}

/// The panel's count: `1 customer`, `12 customers`, or that the list stops at its maximum.
pub fn figure_count(rows: usize) -> String {
    match rows {
        1 => "1 customer".to_string(),
        n if n >= FIGURE_CUSTOMERS_MAX => format!("The first {n} customers"),
        n => format!("{n} customers"),
    }
}

/// The currency the net revenue table shows: the chart's when net revenue has it, else (USD\*:
/// net revenue stays per currency) the one with the most payments.
pub fn net_currency(net: &[NetRevenueMonth], chosen: &str) -> String {
    if net.iter().any(|n| n.currency == chosen) {
        return chosen.to_string();
    }
    let mut payments: Vec<(String, u64)> = Vec::new();
    for n in net {
        match payments.iter_mut().find(|(c, _)| *c == n.currency) {
            Some((_, count)) => *count += n.payments,
            None => payments.push((n.currency.clone(), n.payments)),
        }
    }
    // Most payments first; ties by code, so the choice is stable.
    payments.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    payments.into_iter().next().map_or_else(|| chosen.to_string(), |(c, _)| c)
}

/// One currency's net revenue, oldest month first.
pub fn net_rows<'a>(net: &'a [NetRevenueMonth], currency: &str) -> Vec<&'a NetRevenueMonth> {
    let mut rows: Vec<&NetRevenueMonth> = net.iter().filter(|n| n.currency == currency).collect();
    rows.sort_by(|a, b| a.month.cmp(&b.month));
    rows
}

/// A cohort cell: the share still customers, its shade, and the count for its tooltip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortCell {
    pub text: String,
    pub shade: u8,
    pub title: String,
    /// `YYYY-MM` of the month the cell counts (the cohort's month plus the column).
    pub month: String,
}

/// How many month columns the grid has (the oldest cohort's).
pub fn cohort_width(grid: &CohortGrid) -> usize {
    grid.rows.iter().map(|r| r.retained.len()).max().unwrap_or(0)
}

/// A share from 0 to 100 as a shade: 0 for nobody, then one level per fifth, `SHADES` at 100.
pub fn shade(percent: f64) -> u8 {
    if !percent.is_finite() || percent <= 0.0 {
        return 0;
    }
    ((percent / 100.0 * f64::from(SHADES)).ceil() as u8).clamp(1, SHADES)
}

/// A cohort's cells, `width` of them: `None` for months the cohort has not reached yet.
pub fn cohort_cells(row: &CohortRow, width: usize) -> Vec<Option<CohortCell>> {
    (0..width)
        .map(|k| {
            let retained = *row.retained.get(k)?;
            let percent = if row.customers == 0 { 0.0 } else { retained as f64 * 100.0 / row.customers as f64 };
            let month = month_date(&row.cohort)
                .and_then(|d| d.checked_add_months(chrono::Months::new(u32::try_from(k).ok()?)))
                .map_or_else(|| row.cohort.clone(), |d| d.format("%Y-%m").to_string());
            Some(CohortCell {
                month,
                text: format!("{percent:.0} %"),
                shade: shade(percent),
                title: format!(
                    "{retained} of {} customers from {} still customers {}",
                    row.customers,
                    month_label(&row.cohort),
                    match k {
                        0 => "in their first month".to_string(),
                        1 => "1 month later".to_string(),
                        n => format!("{n} months later"),
                    }
                ),
            })
        })
        .collect()
}

/// A notice for payments a total leaves out: `3 payments in an unknown currency are left out of
/// these totals`.
pub fn excluded_text(e: &Excluded) -> String {
    let (count, verb) = match e.payments {
        1 => ("1 payment".to_string(), "is"),
        n => (format!("{n} payments"), "are"),
    };
    let worth = e.currency.as_deref().map(|c| format!(" ({})", amount(e.micros, c))).unwrap_or_default();
    match e.reason {
        ExcludedReason::UnknownCurrency => {
            format!("{count} in an unknown currency{worth} {verb} left out of these totals")
        }
        ExcludedReason::NoPlan => format!("{count} whose plan is not synced{worth} {verb} left out of MRR"),
        ExcludedReason::NoUsdAmount => {
            format!("{count} without Whop's USD amount{worth} {verb} left out of the USD total")
        }
    }
}

/// Every notice once, whichever figure left the payments out.
pub fn excluded_notices(lists: &[&[Excluded]]) -> Vec<String> {
    let mut notices: Vec<String> = Vec::new();
    for e in lists.iter().flat_map(|l| l.iter()).filter(|e| e.payments > 0) {
        let text = excluded_text(e);
        if !notices.contains(&text) {
            notices.push(text);
        }
    }
    notices
}

fn named(title: &Option<String>, id: &str) -> String {
    title.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).unwrap_or_else(|| id.to_string())
}

/// An LTV row's product and plan columns.
pub fn ltv_names(row: &LtvRow) -> (String, String) {
    let plan = match &row.plan_id {
        Some(id) => named(&row.plan_title, id),
        None => "All plans".to_string(),
    };
    (named(&row.product_title, &row.product_id), plan)
}

/// The product picker's choices, `(id, name)`: each product once (revenue rows come per business
/// and currency), by name.
pub fn product_options(rows: &[ProductRevenue]) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = Vec::new();
    for r in rows {
        if !options.iter().any(|(id, _)| *id == r.product_id) {
            options.push((r.product_id.clone(), named(&r.title, &r.product_id)));
        }
    }
    options.sort_by_key(|(_, name)| name.to_lowercase());
    options
}

/// When something Whop plans happens, from now: `in 2 days`, `in 5 h`, `in 12 min`, `now`, or,
/// once past, `3 h ago`.
pub fn until_text(at: &str, now: DateTime<Utc>) -> String {
    let Ok(at) = DateTime::parse_from_rfc3339(at).map(|a| a.to_utc()) else { return at.to_string() };
    let seconds = (at - now).num_seconds();
    match seconds {
        s if s < -60 => relative(at, now),
        s if s < 60 => "now".to_string(),
        s if s < 3_600 => format!("in {} min", s / 60),
        s if s < 86_400 => format!("in {} h", s / 3_600),
        s if s < 2 * 86_400 => "in 1 day".to_string(),
        s => format!("in {} days", s / 86_400),
    }
}

/// When Whop retries the payment next.
pub fn retry_text(item: &RecoverItem, now: DateTime<Utc>) -> String {
    item.next_attempt_at.as_deref().map(|at| until_text(at, now)).unwrap_or_else(|| "no retry scheduled".to_string())
}

/// When Whop is expected to cancel the membership.
pub fn cancel_text(item: &RecoverItem, now: DateTime<Utc>) -> String {
    item.cancels_at.as_deref().map(|at| until_text(at, now)).unwrap_or_else(|| "not expected".to_string())
}

/// The exact time, for a tooltip.
pub fn exact_time(at: Option<&str>) -> Option<String> {
    at.map(short_time)
}

pub fn attempts_text(attempts: u32) -> String {
    match attempts {
        0 => "none yet".to_string(),
        1 => "1 attempt".to_string(),
        n => format!("{n} attempts"),
    }
}

/// `Pro · Monthly`, the product alone, or `—`.
pub fn product_plan(item: &RecoverItem) -> String {
    let product = item.product_id.as_deref().map(|id| named(&item.product_title, id));
    let plan = item.plan_id.as_deref().map(|id| named(&item.plan_title, id));
    match (product, plan) {
        (Some(p), Some(plan)) => format!("{p} · {plan}"),
        (Some(p), None) => p,
        (None, Some(plan)) => plan,
        (None, None) => "—".to_string(),
    }
}

/// The amount that failed, in its currency (`—` when Whop gave none).
pub fn item_amount(item: &RecoverItem) -> String {
    match &item.currency {
        Some(c) => amount(item.amount_micros, c),
        None => "—".to_string(),
    }
}

/// Whop's reason, or that it gave none (a past-due membership without its payment synced).
pub fn failure_text(item: &RecoverItem) -> String {
    item.failure_message.as_deref().map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).unwrap_or_else(|| {
        match item.payment_id {
            Some(_) => "Whop gave no reason".to_string(),
            None => "Past due (the failed payment is not synced)".to_string(),
        }
    })
}

/// What the failed payment was for, in a sentence: the product, else the membership.
fn what_for(item: &RecoverItem) -> String {
    match (&item.product_id, &item.membership_id) {
        (Some(id), _) => named(&item.product_title, id),
        (None, Some(m)) => format!("membership {m}"),
        (None, None) => "their membership".to_string(),
    }
}

/// The follow-up task's title: `Follow up on failed payment of USD 49.00 for Pro`.
pub fn task_title(item: &RecoverItem) -> String {
    match &item.currency {
        Some(c) => format!("Follow up on failed payment of {} for {}", amount(item.amount_micros, c), what_for(item)),
        None => format!("Follow up on failed payment for {}", what_for(item)),
    }
}

/// The follow-up task's notes: Whop's reason and the ids to look it up by.
pub fn task_body(item: &RecoverItem) -> String {
    let mut lines = vec![format!("Whop says: {}", failure_text(item))];
    if let Some(p) = &item.payment_id {
        lines.push(format!("Payment: {p}"));
    }
    if let Some(m) = &item.membership_id {
        lines.push(format!("Membership: {m}"));
    }
    if let Some(at) = &item.cancels_at {
        lines.push(format!("Whop is expected to cancel it {}", short_time(at)));
    }
    lines.join("\n")
}

/// The payment as the shared Retry button and its confirmation dialog take it (only a payment
/// Whop can charge again).
pub fn retry_view(item: &RecoverItem) -> Option<WhopPaymentView> {
    let id = item.payment_id.clone().filter(|_| item.retryable)?;
    let currency = item.currency.clone().unwrap_or_else(|| "USD".to_string());
    Some(WhopPaymentView {
        id,
        status: "failed".to_string(),
        amount: amount(item.amount_micros, &currency),
        refunded: None,
        total_micros: item.amount_micros,
        refunded_micros: 0,
        currency,
        product: item.product_id.as_ref().map(|_| what_for(item)),
        paid_at: None,
        pending: vec![],
        retryable: true,
        failure_message: item.failure_message.clone(),
    })
}

/// A row's key: the payment, else the membership, else its place.
pub fn item_key(item: &RecoverItem, index: usize) -> String {
    item.payment_id.clone().or_else(|| item.membership_id.clone()).unwrap_or_else(|| format!("row-{index}"))
}

/// Under the recovery rate: `Paid since: 5 of the 12 payments that failed this month`.
pub fn recovery_detail(stats: &RecoveryStats) -> String {
    let failed = stats.failed_payments;
    if failed == 0 {
        return "No payment failed this month".to_string();
    }
    let paid = stats.recovery_rate.filter(|r| r.is_finite()).map(|r| (r * failed as f64).round().max(0.0) as u64);
    let paid = paid.unwrap_or(0).min(failed);
    match failed {
        1 => format!("Paid since: {paid} of the 1 payment that failed this month"),
        n => format!("Paid since: {paid} of the {n} payments that failed this month"),
    }
}

/// The Recover screen's count: `3 to recover`.
pub fn recover_count(items: usize) -> String {
    format!("{items} to recover")
}

#[cfg(test)]
mod tests;
