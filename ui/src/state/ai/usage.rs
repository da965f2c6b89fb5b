//! Usage.

use super::*;

/// "$1.2345 of a $10.00 budget (12%)" or "$0.0123 · no budget".
pub fn budget_text(month_cost_micros: i64, budget_micros: Option<i64>) -> String {
    match budget_micros {
        Some(budget) => match budget_percent(month_cost_micros, budget) {
            Some(percent) => format!("{} of a {} budget ({percent}%)", usd(month_cost_micros), usd(budget)),
            None => format!("{} of a {} budget", usd(month_cost_micros), usd(budget)),
        },
        None => format!("{} · no budget", usd(month_cost_micros)),
    }
}

/// How much of the budget is spent, in whole percent (past 100 when over).
pub fn budget_percent(month_cost_micros: i64, budget_micros: i64) -> Option<u64> {
    (budget_micros > 0).then(|| (month_cost_micros.max(0) as u128 * 100 / budget_micros as u128) as u64)
}

/// A day key (`2026-11-26`) as an axis label: the day of the month.
pub fn day_label(key: &str) -> String {
    match key.get(8..10) {
        Some(day) if key.len() == 10 => day.trim_start_matches('0').to_string(),
        _ => key.to_string(),
    }
}

/// The calls-per-day chart's data.
pub fn calls_per_day(rows: &[AiUsageRow]) -> Vec<(String, f64, String)> {
    rows.iter()
        .map(|r| {
            let failed = if r.failed > 0 { format!(", {} failed", r.failed) } else { String::new() };
            (day_label(&r.key), r.calls as f64, format!("{} calls{failed} on {}", r.calls, r.key))
        })
        .collect()
}

/// The cost-per-day chart's data.
pub fn cost_per_day(rows: &[AiUsageRow]) -> Vec<(String, f64, String)> {
    rows.iter()
        .map(|r| (day_label(&r.key), r.cost_micros as f64, format!("{} on {}", usd(r.cost_micros), r.key)))
        .collect()
}

/// An action's key in the usage report as its label.
pub fn action_label(key: &str) -> String {
    AiAction::parse(key).map(|a| a.label().to_string()).unwrap_or_else(|| key.to_string())
}

/// A record link's text: `Person 0190a1b2`.
pub fn record_text(record: &RecordRef) -> String {
    let id = record.id.simple().to_string();
    format!("{} {}", record.kind.label(), &id[..8])
}
