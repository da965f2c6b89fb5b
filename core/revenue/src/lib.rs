//! The revenue desk: what a Whop seller's mirrored memberships and payments mean. MRR and its
//! movement, net revenue, churn rates, cohorts, LTV, top customers and Recover, all computed here
//! as SQL over the Whop mirror (defined, with their edge cases, in `docs/revenue.md`).
//!
//! This crate reads the mirror the Whop crate writes and never calls Whop; actions on what it
//! shows (retry a payment, message a customer) go through the Whop crate's outbox actions.

pub mod at_risk;
mod cache;
pub mod churn;
pub mod cohorts;
mod cover;
mod customers;
mod dirty;
pub mod error;
pub mod in_progress;
pub mod json_rows;
mod kept_months;
pub mod months;
pub mod mrr;
pub mod net;
pub mod recover;

pub use at_risk::AtRiskCheck;
pub use error::RevenueError;
pub use mrr::{GRACE_DAYS, normalise};
pub use recover::cancel_estimate;

use chrono::{DateTime, Utc};
use dealdesk_model::revenue::{
    ALL_IN_USD, ChurnCustomer, ChurnQuery, ChurnSegment, CohortGrid, CohortRow, CurrencyTotal, DrillRow, Excluded,
    ExcludedReason, Figure, FigureCustomer, FigureQuery, LtvRow, MrrDrill, MrrMonth, MrrQuery, MrrSeries,
    NetRevenueMonth, RecoverList, RecoveryStats, RevenueOverview, RevenueScope, RevenueSummary, SegmentCount,
    SummaryQuery, TopCustomer,
};
use dealdesk_store::Store;
use months::MonthIndex;
use mrr::Pass;
use std::collections::{BTreeMap, BTreeSet};

/// A figure's customer as its SQL gives it: customer, person, name, paid, refunded, payments.
type FigureSqlRow = (String, Option<String>, String, i64, i64, i64);

/// The most months one query may span (ten years).
const MAX_MONTHS: u32 = 120;

#[derive(Clone)]
pub struct Revenue {
    store: Store,
}

impl Revenue {
    pub fn new(store: Store) -> Revenue {
        Revenue { store }
    }

    /// The Revenue screen, as of now: kept until the data under it changes (see `cache`).
    pub async fn overview(&self, query: SummaryQuery) -> Result<RevenueOverview, RevenueError> {
        let key = format!("overview:{}", serde_json::to_string(&query).unwrap_or_default());
        cache::kept(self.store.pool(), key, cache::Reads::Mirror, |as_of| self.overview_at(query, as_of)).await
    }

    /// Computes the default Revenue screen and the sidebar's churn counts ahead of the user (after
    /// a sync), so opening them reads a kept result.
    pub async fn warm(&self) -> Result<(), RevenueError> {
        self.overview(SummaryQuery { scope: RevenueScope::default(), month: None }).await?;
        self.segments(RevenueScope::default()).await.map(|_| ())
    }

    pub async fn drill(&self, drill: MrrDrill) -> Result<Vec<DrillRow>, RevenueError> {
        let key = format!("drill:{}", serde_json::to_string(&drill).unwrap_or_default());
        cache::kept(self.store.pool(), key, cache::Reads::Mirror, |as_of| self.drill_at(drill, as_of)).await
    }

    /// The customers behind a net revenue month, a cohort cell or an LTV row, kept like a drill.
    pub async fn figure_customers(&self, query: FigureQuery) -> Result<Vec<FigureCustomer>, RevenueError> {
        let key = format!("figure:{}", serde_json::to_string(&query).unwrap_or_default());
        cache::kept(self.store.pool(), key, cache::Reads::Mirror, |as_of| self.figure_customers_at(query, as_of)).await
    }

    pub async fn figure_customers_at(
        &self,
        query: FigureQuery,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<FigureCustomer>, RevenueError> {
        let FigureQuery { scope, figure } = query;
        let rows: Vec<FigureSqlRow> = match figure {
            Figure::NetRevenue { month, currency } => {
                let month = months::parse(&month)?;
                sqlx::query_as(sqlx::AssertSqlSafe(net::customers_sql()))
                    .bind(months::stored(months::start(month)))
                    .bind(&scope.business)
                    .bind(&scope.product)
                    .bind(months::stored(months::measured_at(month, as_of)))
                    .bind(currency)
                    .fetch_all(self.store.pool())
                    .await?
            }
            Figure::Cohort { cohort, month } => {
                let (cohort, month) = (months::parse(&cohort)?, months::parse(&month)?);
                cover::refresh(&self.store).await?;
                sqlx::query_as(sqlx::AssertSqlSafe(cohorts::cell_customers_sql()))
                    .bind(months::grid_json(cohort..=month.max(cohort), as_of))
                    .bind(&scope.business)
                    .bind(&scope.product)
                    .bind(months::stored(as_of))
                    .bind(months::stored(months::start(cohort)))
                    .bind(cohort)
                    .bind(month)
                    .fetch_all(self.store.pool())
                    .await?
            }
            Figure::Ltv { product_id, plan_id, currency } => {
                sqlx::query_as(sqlx::AssertSqlSafe(cohorts::ltv_customers_sql()))
                    .bind(Option::<String>::None)
                    .bind(&scope.business)
                    .bind(&scope.product)
                    .bind(months::stored(as_of))
                    .bind(product_id)
                    .bind(plan_id)
                    .bind(currency)
                    .fetch_all(self.store.pool())
                    .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|(customer, person_id, name, paid, refunded, payments)| FigureCustomer {
                customer,
                person_id: person_id.and_then(|id| uuid::Uuid::parse_str(&id).ok()),
                name,
                paid_micros: paid,
                refunded_micros: refunded,
                payments: payments.max(0) as u64,
            })
            .collect())
    }

    /// Recover, kept like the Revenue screen (the window reloads it after every outbox change).
    pub async fn recover(&self, scope: RevenueScope) -> Result<RecoverList, RevenueError> {
        let key = format!("recover:{}", serde_json::to_string(&scope).unwrap_or_default());
        cache::kept(self.store.pool(), key, cache::Reads::Mirror, |as_of| self.recover_at(scope, as_of)).await
    }

    /// The sidebar's churn counts, kept until the mirror or a note changes.
    pub async fn segments(&self, scope: RevenueScope) -> Result<Vec<SegmentCount>, RevenueError> {
        let key = format!("segments:{}", serde_json::to_string(&scope).unwrap_or_default());
        cache::kept(self.store.pool(), key, cache::Reads::MirrorAndNotes, |as_of| async move {
            self.segments_at(&scope, as_of).await
        })
        .await
    }

    /// The people linked to the customers of `segment` now (every synced business): a churn
    /// segment as a view of people. Reads the kept churn list.
    pub async fn segment_people(&self, segment: ChurnSegment) -> Result<Vec<uuid::Uuid>, RevenueError> {
        let customers =
            self.churn_customers(ChurnQuery { scope: RevenueScope::default(), segment: Some(segment) }).await?;
        let mut people: Vec<uuid::Uuid> = customers.into_iter().filter_map(|c| c.person_id).collect();
        people.sort_unstable();
        people.dedup();
        Ok(people)
    }

    pub async fn churn_customers(&self, query: ChurnQuery) -> Result<Vec<ChurnCustomer>, RevenueError> {
        let key = format!("churn:{}", serde_json::to_string(&query).unwrap_or_default());
        cache::kept(self.store.pool(), key, cache::Reads::MirrorAndNotes, |as_of| async move {
            self.churn_customers_at(&query.scope, query.segment, as_of).await
        })
        .await
    }

    pub async fn overview_at(
        &self,
        query: SummaryQuery,
        as_of: DateTime<Utc>,
    ) -> Result<RevenueOverview, RevenueError> {
        let summary = self.summary_at(query.clone(), as_of).await?;
        let mrr = self.mrr_at(MrrQuery { scope: query.scope.clone(), months: 12 }, as_of).await?;
        let last = months::index_of(as_of);
        let net_revenue = self.net_revenue_at(&query.scope, last - 11, last, as_of).await?;
        let cohorts = self.cohorts_at(&query.scope, 12, as_of).await?;
        let ltv = self.ltv_at(&query.scope, as_of).await?;
        let top_customers = self.top_customers_at(&query.scope, as_of).await?;
        Ok(RevenueOverview { summary, mrr, net_revenue, cohorts, ltv, top_customers })
    }

    /// MRR and its movement for the last `months` months (the current one to date), per currency
    /// and across currencies in Whop's USD amounts.
    pub async fn mrr_at(&self, query: MrrQuery, as_of: DateTime<Utc>) -> Result<MrrSeries, RevenueError> {
        if query.months == 0 || query.months > MAX_MONTHS {
            return Err(RevenueError::BadMonthCount(query.months));
        }
        let last = months::index_of(as_of);
        let first = last - i64::from(query.months) + 1;
        let months = self.mrr_months(&query.scope, first, last, as_of).await?;
        let excluded = self.excluded_at(&query.scope, as_of).await?;
        Ok(MrrSeries { months, excluded })
    }

    async fn mrr_months(
        &self,
        scope: &RevenueScope,
        first: MonthIndex,
        last: MonthIndex,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<MrrMonth>, RevenueError> {
        cover::refresh(&self.store).await?;
        let pool = self.store.pool();
        // Months before this one are over: kept once computed (see `kept_months`); the month in
        // progress is kept per customer (see `in_progress`).
        let in_progress = months::index_of(as_of);
        let kept_now = last == in_progress && in_progress::answers_for(scope);
        if kept_now {
            in_progress::refresh(&self.store, as_of).await?;
        }
        let mut out = Vec::new();
        for pass in [Pass::PerCurrency, Pass::AllInUsd] {
            let figure = format!("mrr:{pass:?}:{}", serde_json::to_string(scope).unwrap_or_default());
            let by_month = kept_months::through(pool, &figure, first, last, in_progress, |mut missing| async move {
                let mut rows: Vec<mrr::SeriesRow> = Vec::new();
                if kept_now && missing.last() == Some(&in_progress) {
                    missing.pop();
                    rows = in_progress::series(&self.store, pass, in_progress).await?;
                }
                if !missing.is_empty() {
                    // Each month missing, and the month before it: the baseline its movement is
                    // measured from.
                    let grid: BTreeSet<MonthIndex> = missing.iter().flat_map(|&m| [m - 1, m]).collect();
                    rows.extend(
                        sqlx::query_as::<_, mrr::SeriesRow>(sqlx::AssertSqlSafe(mrr::series_sql(pass)))
                            .bind(months::grid_json(grid, as_of))
                            .bind(&scope.business)
                            .bind(&scope.product)
                            .bind(months::stored(as_of))
                            .fetch_all(pool)
                            .await?,
                    );
                }
                Ok(rows.into_iter().map(|row| (row.0, row)).collect())
            })
            .await?;
            let rows = by_month.into_values().flatten().map(mrr::month_of).collect();
            out.extend(mrr::complete(rows, first, last));
        }
        Ok(out)
    }

    pub async fn drill_at(&self, drill: MrrDrill, as_of: DateTime<Utc>) -> Result<Vec<DrillRow>, RevenueError> {
        let month = months::parse(&drill.month)?;
        cover::refresh(&self.store).await?;
        let pass = if drill.currency == ALL_IN_USD { Pass::AllInUsd } else { Pass::PerCurrency };
        let rows: Vec<mrr::DrillSqlRow> = sqlx::query_as(sqlx::AssertSqlSafe(mrr::drill_sql(pass)))
            .bind(months::grid_json(month - 1..=month, as_of))
            .bind(&drill.scope.business)
            .bind(&drill.scope.product)
            .bind(months::stored(as_of))
            .bind(month)
            .bind(&drill.currency)
            .bind(mrr::movement_name(drill.movement))
            .fetch_all(self.store.pool())
            .await?;
        Ok(rows.into_iter().map(mrr::drill_row).collect())
    }

    /// One month at a glance (the current one when `query.month` is `None`).
    pub async fn summary_at(&self, query: SummaryQuery, as_of: DateTime<Utc>) -> Result<RevenueSummary, RevenueError> {
        let month = match &query.month {
            Some(text) => months::parse(text)?,
            None => months::index_of(as_of),
        };
        let until = months::measured_at(month, as_of);
        let mrr = self.mrr_months(&query.scope, month, month, until).await?;
        let net_revenue = self.net_revenue_at(&query.scope, month, month, as_of).await?;
        let all = mrr.iter().find(|m| m.currency == ALL_IN_USD);
        let customer_churn_rate = all.and_then(|m| {
            let start = m.customers + m.churned_customers - m.new_customers - m.reactivated_customers;
            (start > 0).then(|| m.churned_customers as f64 / start as f64)
        });
        let revenue_churn_rate = all.and_then(|m| {
            let start = m.mrr_micros - m.new_micros - m.expansion_micros - m.reactivated_micros
                + m.contraction_micros
                + m.churned_micros;
            (start > 0).then(|| (m.churned_micros + m.contraction_micros) as f64 / start as f64)
        });
        let recovery = self.recovery_at(&query.scope, month, as_of).await?;
        let excluded = self.excluded_at(&query.scope, until).await?;
        Ok(RevenueSummary {
            month: months::text(month),
            scope: query.scope,
            mrr,
            net_revenue,
            customer_churn_rate,
            revenue_churn_rate,
            recovery,
            excluded,
        })
    }

    /// Paid payments minus refunds, per month and currency, for months `first..=last`. The months
    /// that are over are kept (`kept_months`; payments and refunds written forget them from their
    /// earliest date, migration `…_revenue_month.sql`).
    pub async fn net_revenue_at(
        &self,
        scope: &RevenueScope,
        first: MonthIndex,
        last: MonthIndex,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<NetRevenueMonth>, RevenueError> {
        let figure = format!("net:{}", serde_json::to_string(scope).unwrap_or_default());
        let by_month = kept_months::through(
            self.store.pool(),
            &figure,
            first,
            last,
            months::index_of(as_of),
            |missing| async move {
                let earliest = missing.first().copied().unwrap_or(first);
                let rows = self.net_revenue_rows(scope, earliest, last, as_of).await?;
                rows.into_iter().map(|row| Ok((months::parse(&row.month)?, row))).collect()
            },
        )
        .await?;
        let mut by_key: BTreeMap<(String, String), NetRevenueMonth> =
            by_month.into_values().flatten().map(|row| ((row.currency.clone(), row.month.clone()), row)).collect();
        let mut currencies: Vec<String> = by_key.keys().map(|(c, _)| c.clone()).collect();
        currencies.dedup();
        let mut out = Vec::new();
        for currency in currencies {
            for m in first..=last {
                let month = months::text(m);
                let mut row = by_key.remove(&(currency.clone(), month.clone())).unwrap_or_else(|| NetRevenueMonth {
                    month,
                    currency: currency.clone(),
                    ..NetRevenueMonth::default()
                });
                row.net_micros = row.gross_micros - row.refunded_micros;
                out.push(row);
            }
        }
        Ok(out)
    }

    /// The months of `first..=last` that had payments or refunds, per currency.
    async fn net_revenue_rows(
        &self,
        scope: &RevenueScope,
        first: MonthIndex,
        last: MonthIndex,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<NetRevenueMonth>, RevenueError> {
        let from = months::stored(months::start(first));
        let to = months::stored(months::measured_at(last, as_of));
        let fetch = |sql: String| {
            let (from, to) = (from.clone(), to.clone());
            async move {
                sqlx::query_as::<_, (String, String, i64, i64)>(sqlx::AssertSqlSafe(sql))
                    .bind(from)
                    .bind(&scope.business)
                    .bind(&scope.product)
                    .bind(to)
                    .fetch_all(self.store.pool())
                    .await
            }
        };
        let gross = fetch(net::gross_sql()).await?;
        let refunds = fetch(net::refunds_sql()).await?;
        let mut by_key: BTreeMap<(String, String), NetRevenueMonth> = BTreeMap::new();
        for (month, currency, micros, count) in gross {
            let entry = by_key.entry((currency.clone(), month.clone())).or_insert_with(|| NetRevenueMonth {
                month,
                currency,
                ..NetRevenueMonth::default()
            });
            entry.gross_micros += micros;
            entry.payments += count.max(0) as u64;
        }
        for (month, currency, micros, count) in refunds {
            let entry = by_key.entry((currency.clone(), month.clone())).or_insert_with(|| NetRevenueMonth {
                month,
                currency,
                ..NetRevenueMonth::default()
            });
            entry.refunded_micros += micros;
            entry.refunds += count.max(0) as u64;
        }
        Ok(by_key.into_values().collect())
    }

    /// Recovered revenue and the recovery rate of one month.
    pub async fn recovery_at(
        &self,
        scope: &RevenueScope,
        month: MonthIndex,
        as_of: DateTime<Utc>,
    ) -> Result<RecoveryStats, RevenueError> {
        let from = months::stored(months::start(month));
        let to = months::stored(months::measured_at(month, as_of));
        let recovered: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(net::recovered_sql()))
            .bind(&from)
            .bind(&scope.business)
            .bind(&scope.product)
            .bind(&to)
            .fetch_all(self.store.pool())
            .await?;
        let (failed, now_paid): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(net::failed_in_month_sql()))
            .bind(&from)
            .bind(&scope.business)
            .bind(&scope.product)
            .bind(&to)
            .fetch_one(self.store.pool())
            .await?;
        Ok(RecoveryStats {
            month: months::text(month),
            recovered_payments: recovered.iter().map(|(_, _, n)| n.max(&0)).sum::<i64>() as u64,
            recovered: recovered
                .into_iter()
                .map(|(currency, micros, count)| CurrencyTotal { currency, micros, count: count.max(0) as u64 })
                .collect(),
            failed_payments: failed.max(0) as u64,
            recovery_rate: (failed > 0).then(|| now_paid as f64 / failed as f64),
        })
    }

    async fn excluded_at(&self, scope: &RevenueScope, as_of: DateTime<Utc>) -> Result<Vec<Excluded>, RevenueError> {
        let rows: Vec<(String, i64, i64, Option<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(net::excluded_sql()))
            .bind(Option::<String>::None)
            .bind(&scope.business)
            .bind(&scope.product)
            .bind(months::stored(as_of))
            .fetch_all(self.store.pool())
            .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, count, ..)| *count > 0)
            .filter_map(|(reason, payments, micros, currency)| {
                let reason = match reason.as_str() {
                    "unknown_currency" => ExcludedReason::UnknownCurrency,
                    "no_plan" => ExcludedReason::NoPlan,
                    "no_usd_amount" => ExcludedReason::NoUsdAmount,
                    _ => return None,
                };
                Some(Excluded { reason, payments: payments as u64, micros, currency })
            })
            .collect())
    }

    /// Cohorts of the last `months` months (the current one included).
    pub async fn cohorts_at(
        &self,
        scope: &RevenueScope,
        months: u32,
        as_of: DateTime<Utc>,
    ) -> Result<CohortGrid, RevenueError> {
        if months == 0 || months > MAX_MONTHS {
            return Err(RevenueError::BadMonthCount(months));
        }
        let last = months::index_of(as_of);
        let first = last - i64::from(months) + 1;
        cover::refresh(&self.store).await?;
        // (cohort, month, customers)
        let cells: Vec<(i64, i64, i64)> = if customers::answer_for(&self.store, as_of).await? {
            self.cohort_columns(scope, first, last, as_of).await?
        } else {
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(cohorts::cohorts_sql()))
                .bind(months::grid_json(first..=last, as_of))
                .bind(&scope.business)
                .bind(&scope.product)
                .bind(months::stored(as_of))
                .bind(months::stored(months::start(first)))
                .bind(first)
                .fetch_all(self.store.pool())
                .await?;
            rows.into_iter().map(|(cohort, offset, count)| (cohort, cohort + offset, count)).collect()
        };
        let mut grid: Vec<CohortRow> = (first..=last)
            .map(|c| CohortRow {
                cohort: months::text(c),
                customers: 0,
                retained: vec![0; usize::try_from(last - c + 1).unwrap_or(0)],
            })
            .collect();
        for (cohort, month, count) in cells {
            let (Ok(row), Ok(k)) = (usize::try_from(cohort - first), usize::try_from(month - cohort)) else { continue };
            if let Some(cell) = grid.get_mut(row).and_then(|r| r.retained.get_mut(k)) {
                *cell = count.max(0) as u64;
            }
        }
        for row in &mut grid {
            row.customers = row.retained.first().copied().unwrap_or(0);
        }
        Ok(CohortGrid { rows: grid })
    }

    /// The cohort grid's cells in months `first..=last`, as of now: the months that are over are
    /// kept (`kept_months`), each with the cells of every cohort.
    async fn cohort_columns(
        &self,
        scope: &RevenueScope,
        first: MonthIndex,
        last: MonthIndex,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<(i64, i64, i64)>, RevenueError> {
        customers::refresh(&self.store).await?;
        let pool = self.store.pool();
        let figure = format!("cohorts:{}", serde_json::to_string(scope).unwrap_or_default());
        let in_progress = months::index_of(as_of);
        let kept_now = last == in_progress && in_progress::answers_for(scope);
        if kept_now {
            in_progress::refresh(&self.store, as_of).await?;
        }
        // Per month: (cohort, customers)
        let by_month: BTreeMap<MonthIndex, Vec<(i64, i64)>> =
            kept_months::through(pool, &figure, first, last, in_progress, |mut missing| async move {
                let mut rows: Vec<(i64, i64, i64)> = Vec::new();
                if kept_now && missing.last() == Some(&in_progress) {
                    missing.pop();
                    rows = sqlx::query_as(sqlx::AssertSqlSafe(cohorts::column_in_progress_sql()))
                        .bind(in_progress)
                        .bind(&scope.business)
                        .bind(&scope.product)
                        .bind(months::stored(as_of))
                        .bind(months::stored(months::start(in_progress)))
                        .fetch_all(pool)
                        .await?;
                }
                if let Some(&earliest) = missing.first() {
                    rows.extend(
                        sqlx::query_as::<_, (i64, i64, i64)>(sqlx::AssertSqlSafe(cohorts::columns_sql()))
                            .bind(months::grid_json(missing.iter().copied(), as_of))
                            .bind(&scope.business)
                            .bind(&scope.product)
                            .bind(months::stored(as_of))
                            .bind(months::stored(months::start(earliest)))
                            .fetch_all(pool)
                            .await?,
                    );
                }
                Ok(rows.into_iter().map(|(cohort, month, count)| (month, (cohort, count))).collect())
            })
            .await?;
        Ok(by_month
            .into_iter()
            .flat_map(|(month, cells)| cells.into_iter().map(move |(cohort, count)| (cohort, month, count)))
            .collect())
    }

    pub async fn ltv_at(&self, scope: &RevenueScope, as_of: DateTime<Utc>) -> Result<Vec<LtvRow>, RevenueError> {
        type Row = (String, Option<String>, Option<String>, Option<String>, String, i64, i64);
        let rows: Vec<Row> = self.customers_query(cohorts::ltv_kept_sql(), cohorts::ltv_sql(), scope, as_of).await?;
        Ok(rows
            .into_iter()
            .map(|(product_id, product_title, plan_id, plan_title, currency, customers, net)| LtvRow {
                product_id,
                product_title,
                plan_id,
                plan_title,
                currency,
                customers: customers.max(0) as u64,
                net_micros: net,
                ltv_micros: if customers > 0 { net / customers } else { 0 },
            })
            .collect())
    }

    pub async fn top_customers_at(
        &self,
        scope: &RevenueScope,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<TopCustomer>, RevenueError> {
        type Row = (String, Option<String>, String, i64, i64);
        let rows: Vec<Row> =
            self.customers_query(cohorts::top_customers_kept_sql(), cohorts::top_customers_sql(), scope, as_of).await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, person_id, name, usd, payments)| TopCustomer {
                user_id,
                person_id: person_id.and_then(|id| uuid::Uuid::parse_str(&id).ok()),
                name,
                net_usd_micros: usd,
                payments: payments.max(0) as u64,
            })
            .collect())
    }

    /// A figure over each customer's sums: `kept` reads `revenue_customer` (scope `?2`/`?3`) when
    /// it answers for `as_of`, `payments` reads the payments (`?4` as of) when it does not.
    async fn customers_query<Row>(
        &self,
        kept: String,
        payments: String,
        scope: &RevenueScope,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<Row>, RevenueError>
    where
        Row: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        if customers::answer_for(&self.store, as_of).await? {
            customers::refresh(&self.store).await?;
            return Ok(sqlx::query_as(sqlx::AssertSqlSafe(kept))
                .bind(Option::<String>::None)
                .bind(&scope.business)
                .bind(&scope.product)
                .fetch_all(self.store.pool())
                .await?);
        }
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(payments))
            .bind(Option::<String>::None)
            .bind(&scope.business)
            .bind(&scope.product)
            .bind(months::stored(as_of))
            .fetch_all(self.store.pool())
            .await?)
    }

    /// Past-due memberships and failed latest payments, most at stake per day left first.
    pub async fn recover_at(&self, scope: RevenueScope, as_of: DateTime<Utc>) -> Result<RecoverList, RevenueError> {
        let rows: String = sqlx::query_scalar(sqlx::AssertSqlSafe(recover::recover_sql()))
            .bind(Option::<String>::None)
            .bind(&scope.business)
            .bind(&scope.product)
            .fetch_one(self.store.pool())
            .await?;
        let rows: Vec<recover::RecoverRow> = json_rows::parse(&rows)?;
        let mut items: Vec<_> = rows.into_iter().map(|row| recover::item(row, as_of)).collect();
        recover::sort(&mut items);
        let mut at_stake: BTreeMap<String, CurrencyTotal> = BTreeMap::new();
        for item in &items {
            let currency = item.currency.clone().unwrap_or_else(|| "?".into());
            let total =
                at_stake.entry(currency.clone()).or_insert_with(|| CurrencyTotal { currency, micros: 0, count: 0 });
            total.micros += item.amount_micros;
            total.count += 1;
        }
        let recovery = self.recovery_at(&scope, months::index_of(as_of), as_of).await?;
        Ok(RecoverList { items, recovery, at_stake: at_stake.into_values().collect() })
    }

    /// How many customers each churn segment holds now.
    pub async fn segments_at(
        &self,
        scope: &RevenueScope,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<SegmentCount>, RevenueError> {
        churn::refresh(&self.store).await?;
        let mut query = sqlx::query(sqlx::AssertSqlSafe(churn::counts_sql(churn::Facts::for_scope(scope))));
        for bind in churn_binds(scope, as_of) {
            query = query.bind(bind);
        }
        let row = query.fetch_one(self.store.pool()).await?;
        use sqlx::Row;
        let mut out = Vec::with_capacity(ChurnSegment::ALL.len());
        for (i, segment) in ChurnSegment::ALL.into_iter().enumerate() {
            let customers: i64 = row.try_get(i)?;
            out.push(SegmentCount { segment, customers: customers.max(0) as u64 });
        }
        Ok(out)
    }

    /// The customers of one segment (every customer when `None`), highest at-risk score first,
    /// each with the reasons for their score.
    pub async fn churn_customers_at(
        &self,
        scope: &RevenueScope,
        segment: Option<ChurnSegment>,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<ChurnCustomer>, RevenueError> {
        let binds = churn_binds(scope, as_of);
        let (quiet_payment, quiet_note) = (binds[6].clone().unwrap_or_default(), binds[7].clone().unwrap_or_default());
        churn::refresh(&self.store).await?;
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(churn::customers_sql(
            segment,
            churn::Facts::for_scope(scope),
        )));
        for bind in binds {
            query = query.bind(bind);
        }
        let rows: Vec<churn::CustomerRow> = json_rows::parse(&query.fetch_one(self.store.pool()).await?)?;
        Ok(rows.into_iter().map(|row| churn::customer(row, &quiet_payment, &quiet_note)).collect())
    }
}

/// `?1`…`?8` of the churn queries (see `churn::facts_cte`).
fn churn_binds(scope: &RevenueScope, as_of: DateTime<Utc>) -> Vec<Option<String>> {
    let days = |d: i64| months::stored(as_of + chrono::Duration::days(d));
    vec![
        None,
        scope.business.clone(),
        scope.product.clone(),
        Some(months::stored(as_of)),
        Some(days(churn::TRIAL_ENDING_DAYS)),
        Some(months::stored(months::start(months::index_of(as_of)))),
        Some(days(-churn::QUIET_PAYMENT_DAYS)),
        Some(days(-churn::QUIET_NOTE_DAYS)),
    ]
}
