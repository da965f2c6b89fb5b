//! The deal board (a pipeline's open deals by stage) and the dashboard.

use super::deals;
use super::{Crm, CrmError, pipelines};
use chrono::{Datelike, Local, NaiveDate, NaiveTime, TimeZone, Utc};
use dealdesk_model::{
    Board, BoardColumn, BoardQuery, Dashboard, Money, MonthValue, Page, StageValue, Task, TaskQuery, TaskSort,
};
use dealdesk_store::time;
use std::collections::HashMap;

/// Cards per column when the caller does not say.
const DEFAULT_CARDS_PER_COLUMN: u32 = 100;
const MAX_CARDS_PER_COLUMN: u32 = 1_000;

/// `amount × probability / 100`, without overflow.
pub fn weighted(micros: i64, probability: u8) -> i64 {
    i64::try_from(i128::from(micros) * i128::from(probability) / 100).unwrap_or(i64::MAX)
}

/// Per-currency sums, largest first.
fn money_list(by_currency: HashMap<String, i64>) -> Vec<Money> {
    let mut list: Vec<Money> = by_currency.into_iter().map(|(currency, micros)| Money { micros, currency }).collect();
    list.sort_by(|a, b| b.micros.cmp(&a.micros).then_with(|| a.currency.cmp(&b.currency)));
    list
}

/// The twelve months ending with `today`'s, as `YYYY-MM`, oldest first.
pub fn last_twelve_months(today: NaiveDate) -> Vec<String> {
    let (mut year, mut month) = (today.year(), today.month());
    let mut months = Vec::with_capacity(12);
    for _ in 0..12 {
        months.push(format!("{year:04}-{month:02}"));
        if month == 1 {
            year -= 1;
            month = 12;
        } else {
            month -= 1;
        }
    }
    months.reverse();
    months
}

impl Crm {
    /// A pipeline's open deals as columns, each with its count and totals over all its deals.
    pub async fn board(&self, query: &BoardQuery) -> Result<Board, CrmError> {
        let per_column = query.per_column.unwrap_or(DEFAULT_CARDS_PER_COLUMN).clamp(1, MAX_CARDS_PER_COLUMN);
        let mut conn = self.store.pool().acquire().await?;
        let pipeline = pipelines::pipeline(&mut conn, query.pipeline_id).await?;
        let sums: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT stage_id, currency, count(*), sum(amount_micros) FROM deal \
             WHERE pipeline_id = ? AND status = 'open' AND deleted_at IS NULL GROUP BY stage_id, currency",
        )
        .bind(pipeline.id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        let mut columns = Vec::with_capacity(pipeline.stages.len());
        for stage in &pipeline.stages {
            let stage_id = stage.id.to_string();
            let (mut count, mut totals, mut weights) = (0u64, HashMap::new(), HashMap::new());
            for (_, currency, n, sum) in sums.iter().filter(|(s, ..)| *s == stage_id) {
                count += u64::try_from(*n).unwrap_or_default();
                totals.insert(currency.clone(), *sum);
                weights.insert(currency.clone(), weighted(*sum, stage.probability));
            }
            let cards = deals::list_stage(&mut conn, stage.id, per_column).await?;
            columns.push(BoardColumn {
                stage: stage.clone(),
                count,
                totals: money_list(totals),
                weighted: money_list(weights),
                deals: cards,
            });
        }
        Ok(Board { pipeline, columns })
    }

    /// Pipeline value by stage, weighted forecast and deals won per month in the main currency,
    /// and the tasks due today or overdue (in the machine's time zone).
    pub async fn dashboard(&self) -> Result<Dashboard, CrmError> {
        let mut conn = self.store.pool().acquire().await?;
        let currencies: Vec<(String, i64)> = sqlx::query_as(
            "SELECT currency, count(*) AS n FROM deal WHERE deleted_at IS NULL GROUP BY currency ORDER BY n DESC, currency",
        )
        .fetch_all(&mut *conn)
        .await?;
        let currency = currencies.first().map_or_else(|| "USD".to_string(), |(c, _)| c.clone());
        let other_currencies = currencies.iter().skip(1).map(|(c, _)| c.clone()).collect();

        let pipeline = pipelines::pipeline(&mut conn, None).await?;
        let sums: HashMap<String, (i64, i64)> = sqlx::query_as::<_, (String, i64, i64)>(
            "SELECT stage_id, count(*), sum(amount_micros) FROM deal \
             WHERE pipeline_id = ? AND status = 'open' AND currency = ? AND deleted_at IS NULL GROUP BY stage_id",
        )
        .bind(pipeline.id.to_string())
        .bind(&currency)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(stage, n, sum)| (stage, (n, sum)))
        .collect();
        let stages: Vec<StageValue> = pipeline
            .stages
            .iter()
            .map(|s| {
                let (n, sum) = sums.get(&s.id.to_string()).copied().unwrap_or_default();
                StageValue {
                    stage_id: s.id,
                    name: s.name.clone(),
                    count: u64::try_from(n).unwrap_or_default(),
                    value_micros: sum,
                    weighted_micros: weighted(sum, s.probability),
                }
            })
            .collect();

        let now = Local::now();
        let today = now.date_naive();
        let months = last_twelve_months(today);
        let won: HashMap<String, (i64, i64)> = sqlx::query_as::<_, (String, i64, i64)>(
            "SELECT substr(closed_at, 1, 7) AS month, count(*), sum(amount_micros) FROM deal \
             WHERE status = 'won' AND currency = ? AND deleted_at IS NULL AND closed_at >= ? GROUP BY month",
        )
        .bind(&currency)
        .bind(format!("{}-01T00:00:00.000000Z", months[0]))
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(m, n, sum)| (m, (n, sum)))
        .collect();
        let won_per_month = months
            .into_iter()
            .map(|month| {
                let (n, sum) = won.get(&month).copied().unwrap_or_default();
                MonthValue { month, count: u64::try_from(n).unwrap_or_default(), value_micros: sum }
            })
            .collect();
        drop(conn);

        let local_midnight = |day: NaiveDate| {
            Local.from_local_datetime(&day.and_time(NaiveTime::MIN)).earliest().map(|t| t.with_timezone(&Utc))
        };
        let start_of_today = local_midnight(today).unwrap_or_else(Utc::now);
        let start_of_tomorrow = today.succ_opt().and_then(local_midnight).unwrap_or_else(Utc::now);
        let open_tasks = |page: Page<Task>| page.items;
        let due = open_tasks(
            self.list_tasks(&TaskQuery { sort: TaskSort::Due, limit: Some(500), ..Default::default() }).await?,
        );
        let (mut tasks_due_today, mut tasks_overdue) = (Vec::new(), Vec::new());
        for task in due {
            match task.due_at {
                Some(at) if at < start_of_today => tasks_overdue.push(task),
                Some(at) if at < start_of_tomorrow => tasks_due_today.push(task),
                _ => {}
            }
        }
        tracing::debug!(today = %time::format(start_of_today), "dashboard");
        Ok(Dashboard {
            currency,
            other_currencies,
            pipeline_name: pipeline.name.clone(),
            open_value_micros: stages.iter().map(|s| s.value_micros).sum(),
            weighted_forecast_micros: stages.iter().map(|s| s.weighted_micros).sum(),
            stages,
            won_per_month,
            tasks_due_today,
            tasks_overdue,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_values_round_down_without_overflow() {
        assert_eq!(weighted(1_000_000, 60), 600_000);
        assert_eq!(weighted(i64::MAX, 100), i64::MAX);
        assert_eq!(weighted(5, 33), 1);
    }

    #[test]
    fn twelve_months_wrap_the_year() {
        let months = last_twelve_months(NaiveDate::from_ymd_opt(2026, 3, 15).unwrap());
        assert_eq!(months.first().map(String::as_str), Some("2025-04"));
        assert_eq!(months.last().map(String::as_str), Some("2026-03"));
        assert_eq!(months.len(), 12);
    }
}
