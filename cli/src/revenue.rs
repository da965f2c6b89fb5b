//! `dealdesk-cli revenue …` and `dealdesk-cli recover …`: the revenue desk from the Whop mirror
//! (MRR, net revenue, churn, recovered payments, cohorts) and the failed payments to recover.

use crate::output;
use clap::Subcommand;
use dealdesk_core::App;
use dealdesk_model::money::format_decimal_micros;
use dealdesk_model::revenue::{ALL_IN_USD, Excluded, MrrQuery, RevenueScope, SummaryQuery};

#[derive(Subcommand)]
pub enum RevenueCommand {
    /// One month at a glance: MRR, net revenue, churn, recovered payments
    Summary {
        /// One business (a `biz_` id); default: every synced business
        #[arg(long)]
        business: Option<String>,
        /// The month, YYYY-MM; default: the current one
        #[arg(long)]
        month: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// MRR per month and its movement (new, expansion, contraction, churned, reactivated)
    Mrr {
        #[arg(long, default_value_t = 12)]
        months: u32,
        #[arg(long)]
        business: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Customers by the month they first paid, and how many stayed each month after
    Cohorts {
        #[arg(long, default_value_t = 12)]
        months: u32,
        #[arg(long)]
        business: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum RecoverCommand {
    /// Past-due memberships and failed payments, most at stake and soonest lost first
    List {
        #[arg(long)]
        business: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn amount(micros: i64, currency: &str) -> String {
    let code = if currency == ALL_IN_USD { "USD (all currencies, Whop's USD amounts)" } else { currency };
    format!("{} {code}", format_decimal_micros(micros, 2))
}

fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |r| format!("{:.1} %", r * 100.0))
}

fn excluded_lines(excluded: &[Excluded]) -> std::io::Result<()> {
    for e in excluded {
        let what = e.currency.as_deref().map(|c| format!(" ({})", amount(e.micros, c))).unwrap_or_default();
        output::line(format!("Left out: {} {}{what}", e.payments, e.reason.label()))?;
    }
    Ok(())
}

fn scope(business: Option<String>) -> RevenueScope {
    RevenueScope { business, product: None }
}

pub async fn run(app: &App, command: RevenueCommand) -> anyhow::Result<()> {
    let revenue = app.revenue();
    match command {
        RevenueCommand::Summary { business, month, json } => {
            let summary = revenue.summary_at(SummaryQuery { scope: scope(business), month }, now()).await?;
            if json {
                return output::json(&summary);
            }
            output::line(format!("Revenue for {}", summary.month))?;
            for m in &summary.mrr {
                output::line(format!(
                    "MRR            {}  ({} customers)",
                    amount(m.mrr_micros, &m.currency),
                    m.customers
                ))?;
            }
            for n in &summary.net_revenue {
                output::line(format!(
                    "Net revenue    {}  (paid {}, refunded {})",
                    amount(n.net_micros, &n.currency),
                    format_decimal_micros(n.gross_micros, 2),
                    format_decimal_micros(n.refunded_micros, 2)
                ))?;
            }
            output::line(format!("Customer churn {}", rate(summary.customer_churn_rate)))?;
            output::line(format!("Revenue churn  {}", rate(summary.revenue_churn_rate)))?;
            for r in &summary.recovery.recovered {
                output::line(format!("Recovered      {}  ({} payments)", amount(r.micros, &r.currency), r.count))?;
            }
            output::line(format!(
                "Recovery rate  {}  ({} failed payments this month)",
                rate(summary.recovery.recovery_rate),
                summary.recovery.failed_payments
            ))?;
            excluded_lines(&summary.excluded)?;
        }
        RevenueCommand::Mrr { months, business, json } => {
            let series = revenue.mrr_at(MrrQuery { scope: scope(business), months }, now()).await?;
            if json {
                return output::json(&series);
            }
            let rows: Vec<Vec<String>> = series
                .months
                .iter()
                .map(|m| {
                    let money = |v: i64| format_decimal_micros(v, 2);
                    vec![
                        m.month.clone(),
                        m.currency.clone(),
                        money(m.mrr_micros),
                        money(m.new_micros),
                        money(m.expansion_micros),
                        money(m.contraction_micros),
                        money(m.churned_micros),
                        money(m.reactivated_micros),
                        m.customers.to_string(),
                    ]
                })
                .collect();
            output::table(
                &["month", "currency", "mrr", "new", "expansion", "contraction", "churned", "reactivated", "customers"],
                &rows,
            )?;
            if series.months.iter().any(|m| m.currency == ALL_IN_USD) {
                output::line(format!("{ALL_IN_USD}: every currency, in Whop's USD amounts"))?;
            }
            excluded_lines(&series.excluded)?;
        }
        RevenueCommand::Cohorts { months, business, json } => {
            let grid = revenue.cohorts_at(&scope(business), months, now()).await?;
            if json {
                return output::json(&grid);
            }
            let width = grid.rows.iter().map(|r| r.retained.len()).max().unwrap_or(0);
            let mut header = vec!["cohort".to_string(), "customers".to_string()];
            header.extend((0..width).map(|k| format!("m{k}")));
            let rows: Vec<Vec<String>> = grid
                .rows
                .iter()
                .map(|r| {
                    let mut row = vec![r.cohort.clone(), r.customers.to_string()];
                    row.extend(r.retained.iter().map(|n| {
                        (n * 100).checked_div(r.customers).map_or_else(|| "–".into(), |pct| format!("{pct}%"))
                    }));
                    row
                })
                .collect();
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            output::table(&header, &rows)?;
        }
    }
    Ok(())
}

pub async fn run_recover(app: &App, command: RecoverCommand) -> anyhow::Result<()> {
    match command {
        RecoverCommand::List { business, json } => {
            let list = app.revenue().recover_at(scope(business), now()).await?;
            if json {
                return output::json(&list);
            }
            if list.items.is_empty() {
                output::line("No failed payments. Every renewal went through.")?;
            } else {
                let rows: Vec<Vec<String>> = list
                    .items
                    .iter()
                    .map(|i| {
                        vec![
                            i.customer.clone(),
                            i.product_title.clone().or_else(|| i.product_id.clone()).unwrap_or_default(),
                            amount(i.amount_micros, i.currency.as_deref().unwrap_or("?")),
                            i.failure_message.clone().unwrap_or_else(|| "past due".into()),
                            i.attempts.to_string(),
                            i.next_attempt_at.as_deref().map(day).unwrap_or_else(|| "none scheduled".into()),
                            i.cancels_at.as_deref().map(|c| format!("about {}", day(c))).unwrap_or_default(),
                            i.payment_id.clone().unwrap_or_default(),
                            if i.retryable { "yes".into() } else { "no".into() },
                        ]
                    })
                    .collect();
                output::table(
                    &[
                        "customer",
                        "product",
                        "amount",
                        "why",
                        "attempts",
                        "next retry",
                        "cancels",
                        "payment",
                        "retryable",
                    ],
                    &rows,
                )?;
            }
            for r in &list.recovery.recovered {
                output::line(format!(
                    "Recovered this month: {} ({} payments)",
                    amount(r.micros, &r.currency),
                    r.count
                ))?;
            }
            output::line(format!("Recovery rate this month: {}", rate(list.recovery.recovery_rate)))?;
        }
    }
    Ok(())
}

fn day(timestamp: &str) -> String {
    timestamp.get(..10).unwrap_or(timestamp).to_string()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
