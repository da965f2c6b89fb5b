//! The usage and cost log: every call (provider, model, action, record, tokens, cost, latency,
//! outcome), the dashboard's numbers, and the monthly budget.

use super::AiError;
use super::provider::ModelAnswer;
use chrono::Datelike;
use dealdesk_model::ai::AiSettings;
use dealdesk_model::ai::{AiAction, AiCallOutcome, AiCallView, AiProviderKind, AiUsageReport, AiUsageRow, ModelPrice};
use dealdesk_model::{RecordKind, RecordRef};
use dealdesk_store::time;
use sqlx::SqlitePool;
use uuid::Uuid;

/// The price that applies to `model`: an exact name first, then the longest matching `prefix*`.
pub fn price_for<'a>(prices: &'a [ModelPrice], model: &str) -> Option<&'a ModelPrice> {
    prices.iter().find(|p| p.model == model).or_else(|| {
        prices
            .iter()
            .filter_map(|p| {
                p.model.strip_suffix('*').filter(|prefix| model.starts_with(prefix)).map(|prefix| (prefix.len(), p))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, p)| p)
    })
}

/// Cost in USD micros, rounded to the nearest micro (integer arithmetic: money is never a float).
pub fn cost_micros(price: Option<&ModelPrice>, tokens_in: u64, tokens_out: u64) -> i64 {
    let Some(price) = price else {
        return 0;
    };
    let total = i128::from(tokens_in) * i128::from(price.input_per_million_micros)
        + i128::from(tokens_out) * i128::from(price.output_per_million_micros);
    ((total + 500_000) / 1_000_000).clamp(0, i128::from(i64::MAX)) as i64
}

/// One call as logged.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub provider: AiProviderKind,
    pub model: String,
    /// `None` for "test connection".
    pub action: Option<AiAction>,
    pub record: Option<RecordRef>,
    pub workflow_run: Option<i64>,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_micros: i64,
    pub latency_ms: u64,
    pub outcome: AiCallOutcome,
    pub error: Option<String>,
}

impl CallRecord {
    /// A call as it ended: tokens, cost (from the price table) and the model that answered come
    /// from the answer when there is one; the outcome starts as `Ok`.
    pub fn new(
        settings: &AiSettings,
        action: Option<AiAction>,
        record: Option<RecordRef>,
        workflow_run: Option<i64>,
        latency_ms: u64,
        answer: Option<&ModelAnswer>,
    ) -> CallRecord {
        let (tokens_in, tokens_out) = answer.map(|a| (a.tokens_in, a.tokens_out)).unwrap_or((0, 0));
        let model = answer.map(|a| a.model.clone()).filter(|m| !m.is_empty()).unwrap_or_else(|| settings.model.clone());
        CallRecord {
            provider: settings.provider,
            cost_micros: cost_micros(price_for(&settings.prices, &settings.model), tokens_in, tokens_out),
            model,
            action,
            record,
            workflow_run,
            tokens_in,
            tokens_out,
            latency_ms,
            outcome: AiCallOutcome::Ok,
            error: None,
        }
    }
}

/// Logs a call and adds it to its day's totals, in one transaction (the dashboard and the budget
/// read the totals: a handful of rows a day instead of every call).
pub async fn log_call(pool: &SqlitePool, call: &CallRecord) -> Result<i64, AiError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let now = time::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ai_call (at, provider, model, action, record_kind, record_id, workflow_run_id, tokens_in,
                              tokens_out, cost_micros, latency_ms, outcome, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(time::format(now))
    .bind(call.provider.as_str())
    .bind(&call.model)
    .bind(call.action.map(AiAction::as_str).unwrap_or("test"))
    .bind(call.record.map(|r| r.kind.as_str()))
    .bind(call.record.map(|r| r.id.to_string()))
    .bind(call.workflow_run)
    .bind(call.tokens_in as i64)
    .bind(call.tokens_out as i64)
    .bind(call.cost_micros)
    .bind(call.latency_ms as i64)
    .bind(call.outcome.as_str())
    .bind(&call.error)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO ai_usage_day (day, action, model, calls, failed, tokens_in, tokens_out, cost_micros)
         VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7)
         ON CONFLICT (day, action, model) DO UPDATE SET calls = calls + 1, failed = failed + ?4,
            tokens_in = tokens_in + ?5, tokens_out = tokens_out + ?6, cost_micros = cost_micros + ?7",
    )
    .bind(now.format("%Y-%m-%d").to_string())
    .bind(call.action.map(AiAction::as_str).unwrap_or("test"))
    .bind(&call.model)
    .bind(i64::from(call.outcome != AiCallOutcome::Ok))
    .bind(call.tokens_in as i64)
    .bind(call.tokens_out as i64)
    .bind(call.cost_micros)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// This month's first day (UTC), as the daily totals name days.
fn month_start() -> String {
    let today = time::now().date_naive();
    today.with_day0(0).unwrap_or(today).format("%Y-%m-%d").to_string()
}

/// This month's spend, from the daily totals (at most 31 days × actions × models rows).
pub async fn month_cost(pool: &SqlitePool) -> Result<i64, AiError> {
    let cost: Option<i64> = sqlx::query_scalar("SELECT sum(cost_micros) FROM ai_usage_day WHERE day >= ?")
        .bind(month_start())
        .fetch_one(pool)
        .await?;
    Ok(cost.unwrap_or(0))
}

type CallRow =
    (i64, String, String, String, String, Option<String>, Option<String>, i64, i64, i64, i64, String, Option<String>);

const CALL_COLUMNS: &str = "id, at, provider, model, action, record_kind, record_id, tokens_in, tokens_out, cost_micros, latency_ms, outcome, error";

fn call_view(row: CallRow) -> Option<AiCallView> {
    let (
        id,
        at,
        provider,
        model,
        action,
        kind,
        record_id,
        tokens_in,
        tokens_out,
        cost_micros,
        latency_ms,
        outcome,
        error,
    ) = row;
    let record = match (kind.as_deref().and_then(RecordKind::parse), record_id.and_then(|r| Uuid::parse_str(&r).ok())) {
        (Some(kind), Some(id)) => Some(RecordRef { kind, id }),
        _ => None,
    };
    Some(AiCallView {
        id,
        at,
        provider: AiProviderKind::parse(&provider)?,
        model,
        // "Test connection" calls count in the totals but are not listed.
        action: AiAction::parse(&action)?,
        record,
        tokens_in: tokens_in.max(0) as u64,
        tokens_out: tokens_out.max(0) as u64,
        cost_micros,
        latency_ms: latency_ms.max(0) as u64,
        outcome: AiCallOutcome::parse(&outcome)?,
        error,
    })
}

fn usage_row(key: String, calls: i64, failed: i64, tokens_in: i64, tokens_out: i64, cost: i64) -> AiUsageRow {
    AiUsageRow {
        key,
        calls: calls.max(0) as u64,
        failed: failed.max(0) as u64,
        tokens_in: tokens_in.max(0) as u64,
        tokens_out: tokens_out.max(0) as u64,
        cost_micros: cost,
    }
}

const SUMS: &str = "coalesce(sum(calls), 0), coalesce(sum(failed), 0), coalesce(sum(tokens_in), 0), \
                    coalesce(sum(tokens_out), 0), coalesce(sum(cost_micros), 0)";

async fn grouped(pool: &SqlitePool, key: &str, since: &str) -> Result<Vec<AiUsageRow>, AiError> {
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {key} AS k, {SUMS} FROM ai_usage_day WHERE day >= ? GROUP BY k ORDER BY k"
    )))
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(k, c, f, i, o, cost)| usage_row(k, c, f, i, o, cost)).collect())
}

/// The dashboard: this month against the budget, the last 30 days by day, action and model, the
/// slowest and the failed calls.
pub async fn report(pool: &SqlitePool, budget_micros: Option<i64>) -> Result<AiUsageReport, AiError> {
    let today = time::now().date_naive();
    let first_day = today - chrono::Days::new(29);
    let since_day = first_day.format("%Y-%m-%d").to_string();
    let since = time::format(first_day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    let (c, f, i, o, cost): (i64, i64, i64, i64, i64) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SUMS} FROM ai_usage_day"))).fetch_one(pool).await?;
    let total = usage_row("all".into(), c, f, i, o, cost);
    let by_day = grouped(pool, "day", &since_day).await?;
    let per_day = (0..30)
        .map(|offset| {
            let day = (first_day + chrono::Days::new(offset)).format("%Y-%m-%d").to_string();
            by_day.iter().find(|r| r.key == day).cloned().unwrap_or_else(|| usage_row(day, 0, 0, 0, 0, 0))
        })
        .collect();
    let calls = |filter: &str, order: &str| {
        format!(
            "SELECT {CALL_COLUMNS} FROM ai_call WHERE at >= ? AND action != 'test' {filter} ORDER BY {order} LIMIT 10"
        )
    };
    let slowest: Vec<CallRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(calls("", "latency_ms DESC"))).bind(&since).fetch_all(pool).await?;
    let failed: Vec<CallRow> = sqlx::query_as(sqlx::AssertSqlSafe(calls("AND outcome != 'ok'", "id DESC")))
        .bind(&since)
        .fetch_all(pool)
        .await?;
    Ok(AiUsageReport {
        month: today.format("%Y-%m").to_string(),
        month_cost_micros: month_cost(pool).await?,
        budget_micros,
        total,
        per_day,
        per_action: grouped(pool, "action", &since_day).await?.into_iter().filter(|r| r.key != "test").collect(),
        per_model: grouped(pool, "model", &since_day).await?,
        slowest: slowest.into_iter().filter_map(call_view).collect(),
        failed: failed.into_iter().filter_map(call_view).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(model: &str, input: i64, output: i64) -> ModelPrice {
        ModelPrice { model: model.into(), input_per_million_micros: input, output_per_million_micros: output }
    }

    #[test]
    fn prices_match_exact_names_then_the_longest_prefix() {
        let prices = vec![price("gpt-4o*", 1, 1), price("gpt-4o-mini*", 2, 2), price("gpt-4o-mini", 3, 3)];
        assert_eq!(price_for(&prices, "gpt-4o-mini").unwrap().input_per_million_micros, 3);
        assert_eq!(price_for(&prices, "gpt-4o-mini-2024").unwrap().input_per_million_micros, 2);
        assert_eq!(price_for(&prices, "gpt-4o-2024").unwrap().input_per_million_micros, 1);
        assert!(price_for(&prices, "llama3").is_none());
    }

    #[test]
    fn cost_is_integer_micros_rounded_half_up() {
        // 1,234 tokens in at $0.15/M and 567 out at $0.60/M = 185.1 + 340.2 = 525.3 micros.
        let p = price("m", 150_000, 600_000);
        assert_eq!(cost_micros(Some(&p), 1_234, 567), 525);
        // 1 token at $2.50/M = 2.5 micros → 3.
        assert_eq!(cost_micros(Some(&price("m", 2_500_000, 0)), 1, 0), 3);
        assert_eq!(cost_micros(None, 1_000_000, 1_000_000), 0);
        // A million tokens each way at $3/$15 per million = $18.
        assert_eq!(cost_micros(Some(&price("m", 3_000_000, 15_000_000)), 1_000_000, 1_000_000), 18_000_000);
    }
}
