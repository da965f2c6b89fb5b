//! `cargo xtask bench`: the revenue desk's queries on a synced Whop mirror (20,000 members, 30,000
//! memberships, 100,000 payments by default), each beside the same SQL run raw through the driver
//! on the same database (no scope handling, no post-processing). Prints a markdown table.
//!
//! Flags: `--members N --memberships N --payments N`, and `--keep-db DIR` to sync into DIR, keep
//! the database there and write each raw query with its parameters to DIR/queries.json (to study a
//! plan by hand); each query then runs once. `--reuse-db DIR` times the queries again on such a
//! database, without seeding and syncing (a few seconds instead of minutes, to try a change).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use chrono::Utc;
use dealdesk_core::App;
use dealdesk_core::revenue::{churn, cohorts, in_progress, months, mrr, net, recover};
use dealdesk_core::test_support::TestApp;
use dealdesk_core::whop::WhopConfig;
use dealdesk_model::revenue::{ChurnSegment, Movement, MrrDrill, MrrQuery, RevenueScope, SummaryQuery};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

const RUNS: usize = 30;
const TARGET_P95_MS: f64 = 50.0;
/// `--keep-db`: each query once, and the raw queries recorded.
static KEEP: AtomicBool = AtomicBool::new(false);
static RECORDED: Mutex<BTreeMap<String, Vec<Option<String>>>> = Mutex::new(BTreeMap::new());

fn config() -> SandboxConfig {
    let mut c = SandboxConfig::with_members(20_000);
    c.memberships = 30_000;
    c.payments = 100_000;
    let args: Vec<String> = std::env::args().collect();
    let value =
        |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok());
    c.members = value("--members").unwrap_or(c.members);
    c.memberships = value("--memberships").unwrap_or(c.memberships);
    c.payments = value("--payments").unwrap_or(c.payments);
    // A history that ends now: this month has its renewals, as a live business's month does.
    c.history_ends_at_ms = Some(chrono::Utc::now().timestamp_millis());
    c
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

async fn time<F, Fut>(mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    f().await; // warm the statement cache and the page cache
    if KEEP.load(Ordering::Relaxed) {
        return (0.0, 0.0);
    }
    let mut samples = Vec::with_capacity(RUNS);
    let budget = Instant::now();
    // Up to RUNS runs; a slow query stops after 15 s (at least 5 runs), so the table still comes.
    while samples.len() < RUNS && (samples.len() < 5 || budget.elapsed() < Duration::from_secs(15)) {
        let started = Instant::now();
        f().await;
        samples.push(started.elapsed());
    }
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.95))
}

/// The SQL as the core runs it, raw: bound and fetched, rows dropped.
async fn raw(app: &App, sql: &str, binds: &[Option<String>]) {
    if KEEP.load(Ordering::Relaxed) {
        RECORDED.lock().unwrap().insert(sql.to_string(), binds.to_vec());
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for b in binds {
        // Month indexes are integers in the SQL: bind them as such.
        match b.as_deref().and_then(|v| v.parse::<i64>().ok()) {
            Some(n) => q = q.bind(n),
            None => q = q.bind(b.clone()),
        }
    }
    q.fetch_all(app.store().pool()).await.unwrap();
}

#[tokio::main]
async fn main() {
    let config = config();
    let (members, memberships, payments) = (config.members, config.memberships, config.payments);
    let args: Vec<String> = std::env::args().collect();
    let path_arg =
        |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(std::path::PathBuf::from);
    let kept = path_arg("--keep-db");
    let temp = tempfile::tempdir().unwrap();
    KEEP.store(kept.is_some(), Ordering::Relaxed);
    let app = if let Some(dir) = path_arg("--reuse-db") {
        // A database a `--keep-db` run left: timed again without seeding and syncing (the
        // sizes printed are the flags', not the database's).
        eprintln!("reusing {}", dir.display());
        TestApp::new().open(&dir).await.unwrap()
    } else {
        eprintln!("seeding the sandbox: {members} members, {memberships} memberships, {payments} payments…");
        let sandbox = Sandbox::start(config).await.unwrap();
        let dir = kept.clone().unwrap_or_else(|| temp.path().to_path_buf());
        let mut whop =
            WhopConfig::for_server(&sandbox.api_url(), &sandbox.oauth_url(), dealdesk_sandbox::DEFAULT_CLIENT_ID);
        whop.max_requests_per_second = None;
        let app = TestApp::new().whop(whop).open(&dir).await.unwrap();
        let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
        let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
        app.whop().handle_deep_link(&link).await.unwrap();
        eprintln!("full sync…");
        app.whop().sync(&|_| {}).await.unwrap();
        app
    };

    let as_of = Utc::now();
    let revenue = app.revenue();
    let scope = RevenueScope::default();
    let last = months::index_of(as_of);
    let stored = months::stored(as_of);
    let grid13 = months::grid_json(last - 12..=last, as_of);
    let grid12 = months::grid_json(last - 11..=last, as_of);
    let month_start = months::stored(months::start(last));
    let year_start = months::stored(months::start(last - 11));
    let none = None::<String>;

    type Timed = (f64, f64);
    let mut rows: Vec<(String, Timed, Timed)> = Vec::new();
    eprintln!("timing…");
    let mrr_q = MrrQuery { scope: scope.clone(), months: 12 };
    // Nothing kept: the months that are over, and the month in progress kept per customer.
    let forget = || async {
        for sql in ["DELETE FROM revenue_month", "DELETE FROM revenue_now_state"] {
            sqlx::query(sql).execute(app.store().pool()).await.unwrap();
        }
    };
    // The month in progress read from its kept rows (`in_progress::series_sql`), per pass.
    let kept_now = || async {
        for pass in [mrr::Pass::PerCurrency, mrr::Pass::AllInUsd] {
            raw(&app, &in_progress::series_sql(), &[Some(last.to_string()), Some(format!("{pass:?}"))]).await;
        }
    };
    // The MRR series raw: its kept months, its month in progress, what it leaves out.
    let mrr_kept_raw = || async {
        for pass in [mrr::Pass::PerCurrency, mrr::Pass::AllInUsd] {
            raw(
                &app,
                "SELECT month, value FROM revenue_month WHERE figure = ?1 AND month BETWEEN ?2 AND ?3",
                &[
                    Some(format!("mrr:{pass:?}:{}", serde_json::to_string(&scope).unwrap())),
                    Some((last - 11).to_string()),
                    Some((last - 1).to_string()),
                ],
            )
            .await;
        }
        kept_now().await;
        raw(&app, &net::excluded_sql(), &[none.clone(), none.clone(), none.clone(), Some(stored.clone())]).await;
    };
    rows.push((
        "MRR, 12 months with movement (per currency and in USD): months that are over kept".into(),
        time(|| async {
            revenue.mrr_at(mrr_q.clone(), as_of).await.unwrap();
        })
        .await,
        time(mrr_kept_raw).await,
    ));
    rows.push((
        "MRR, 12 months with movement, nothing kept (the first open)".into(),
        time(|| async {
            forget().await;
            revenue.mrr_at(mrr_q.clone(), as_of).await.unwrap();
        })
        .await,
        time(|| async {
            forget().await;
            for pass in [mrr::Pass::PerCurrency, mrr::Pass::AllInUsd] {
                raw(
                    &app,
                    &mrr::series_sql(pass),
                    &[Some(grid13.clone()), none.clone(), none.clone(), Some(stored.clone())],
                )
                .await;
            }
            raw(&app, &net::excluded_sql(), &[none.clone(), none.clone(), none.clone(), Some(stored.clone())]).await;
        })
        .await,
    ));
    let summary_q = SummaryQuery { scope: scope.clone(), month: None };
    rows.push((
        "summary of this month (MRR, net revenue, churn, recovered)".into(),
        time(|| async {
            revenue.summary_at(summary_q.clone(), as_of).await.unwrap();
        })
        .await,
        time(|| async {
            kept_now().await;
            let month = [Some(month_start.clone()), none.clone(), none.clone(), Some(stored.clone())];
            for sql in [net::gross_sql(), net::refunds_sql(), net::recovered_sql(), net::failed_in_month_sql()] {
                raw(&app, &sql, &month).await;
            }
            raw(&app, &net::excluded_sql(), &[none.clone(), none.clone(), none.clone(), Some(stored.clone())]).await;
        })
        .await,
    ));
    rows.push((
        "net revenue, 12 months: months that are over kept".into(),
        time(|| async {
            revenue.net_revenue_at(&scope, last - 11, last, as_of).await.unwrap();
        })
        .await,
        time(|| async {
            raw(
                &app,
                "SELECT month, value FROM revenue_month WHERE figure = ?1 AND month BETWEEN ?2 AND ?3",
                &[
                    Some(format!("net:{}", serde_json::to_string(&scope).unwrap())),
                    Some((last - 11).to_string()),
                    Some((last - 1).to_string()),
                ],
            )
            .await;
            let month = [Some(month_start.clone()), none.clone(), none.clone(), Some(stored.clone())];
            raw(&app, &net::gross_sql(), &month).await;
            raw(&app, &net::refunds_sql(), &month).await;
        })
        .await,
    ));
    rows.push((
        "net revenue, 12 months, nothing kept (the first open)".into(),
        time(|| async {
            forget().await;
            revenue.net_revenue_at(&scope, last - 11, last, as_of).await.unwrap();
        })
        .await,
        time(|| async {
            forget().await;
            let year = [Some(year_start.clone()), none.clone(), none.clone(), Some(stored.clone())];
            raw(&app, &net::gross_sql(), &year).await;
            raw(&app, &net::refunds_sql(), &year).await;
        })
        .await,
    ));
    rows.push((
        "cohort grid, 12 months: months that are over kept".into(),
        time(|| async {
            revenue.cohorts_at(&scope, 12, as_of).await.unwrap();
        })
        .await,
        time(|| async {
            raw(
                &app,
                "SELECT month, value FROM revenue_month WHERE figure = ?1 AND month BETWEEN ?2 AND ?3",
                &[
                    Some(format!("cohorts:{}", serde_json::to_string(&scope).unwrap())),
                    Some((last - 11).to_string()),
                    Some((last - 1).to_string()),
                ],
            )
            .await;
            raw(
                &app,
                &cohorts::column_in_progress_sql(),
                &[Some(last.to_string()), none.clone(), none.clone(), Some(stored.clone()), Some(month_start.clone())],
            )
            .await;
        })
        .await,
    ));
    rows.push((
        "cohort grid, 12 months, nothing kept (the first open)".into(),
        time(|| async {
            forget().await;
            revenue.cohorts_at(&scope, 12, as_of).await.unwrap();
        })
        .await,
        time(|| async {
            forget().await;
            raw(
                &app,
                &cohorts::columns_sql(),
                &[Some(grid12.clone()), none.clone(), none.clone(), Some(stored.clone()), Some(year_start.clone())],
            )
            .await;
        })
        .await,
    ));
    rows.push((
        "LTV by product and plan".into(),
        time(|| async {
            revenue.ltv_at(&scope, as_of).await.unwrap();
        })
        .await,
        time(|| async {
            raw(&app, &cohorts::ltv_kept_sql(), &[none.clone(), none.clone(), none.clone()]).await;
        })
        .await,
    ));
    rows.push((
        "top customers".into(),
        time(|| async {
            revenue.top_customers_at(&scope, as_of).await.unwrap();
        })
        .await,
        time(|| async {
            raw(&app, &cohorts::top_customers_kept_sql(), &[none.clone(), none.clone(), none.clone()]).await;
        })
        .await,
    ));
    let drill = MrrDrill {
        scope: scope.clone(),
        month: months::text(last),
        currency: "USD".into(),
        movement: Movement::Active,
    };
    rows.push((
        "customers behind a figure (this month's USD MRR)".into(),
        time(|| async {
            revenue.drill_at(drill.clone(), as_of).await.unwrap();
        })
        .await,
        time(|| async {
            raw(
                &app,
                &mrr::drill_sql(mrr::Pass::PerCurrency),
                &[
                    Some(months::grid_json(last - 1..=last, as_of)),
                    none.clone(),
                    none.clone(),
                    Some(stored.clone()),
                    Some(last.to_string()),
                    Some("USD".into()),
                    Some("active".into()),
                ],
            )
            .await;
        })
        .await,
    ));
    // The Revenue screen as the window asks for it: computed after a change ("cold": the triggers'
    // version bumped by one write; the months that are over stay kept), then read back while
    // nothing changed ("kept").
    let default_query = SummaryQuery { scope: scope.clone(), month: None };
    // A sync that wrote the latest renewal again: its membership's coverage and its customer's
    // sums are recomputed, and the kept months from its own forgotten.
    let bump = "UPDATE whop_payment SET synced_at = synced_at \
                WHERE id = (SELECT id FROM whop_payment WHERE status = 'paid' ORDER BY paid_at DESC LIMIT 1)";
    rows.push((
        "Revenue screen after a sync (computed: summary, MRR, net revenue, cohorts, LTV, top)".into(),
        time(|| async {
            sqlx::query(bump).execute(app.store().pool()).await.unwrap();
            revenue.overview(default_query.clone()).await.unwrap();
        })
        .await,
        time(|| async {
            sqlx::query(bump).execute(app.store().pool()).await.unwrap();
        })
        .await,
    ));
    revenue.overview(default_query.clone()).await.unwrap();
    rows.push((
        "Revenue screen opened again (kept result)".into(),
        time(|| async {
            revenue.overview(default_query.clone()).await.unwrap();
        })
        .await,
        time(|| async {
            raw(&app, "SELECT value FROM revenue_cache LIMIT 1", &[]).await;
        })
        .await,
    ));
    // The month in progress as time passes: each run an hour after the last, so the customers
    // whose coverage ran out in that hour are recomputed before the kept rows are summed.
    let hours_later = AtomicI64::new(0);
    rows.push((
        "MRR, 12 months, each run an hour after the last (the customers whose coverage ran out, recomputed)".into(),
        time(|| async {
            let hours = hours_later.fetch_add(1, Ordering::Relaxed) + 1;
            let later = as_of + chrono::Duration::hours(hours);
            revenue.mrr_at(mrr_q.clone(), later).await.unwrap();
        })
        .await,
        time(mrr_kept_raw).await,
    ));
    // The churn queries' parameters (core/revenue/src/churn.rs, `facts_cte`).
    let churn_binds: Vec<Option<String>> = vec![
        none.clone(),
        none.clone(),
        none.clone(),
        Some(stored.clone()),
        Some(months::stored(as_of + chrono::Duration::days(churn::TRIAL_ENDING_DAYS))),
        Some(month_start.clone()),
        Some(months::stored(as_of - chrono::Duration::days(churn::QUIET_PAYMENT_DAYS))),
        Some(months::stored(as_of - chrono::Duration::days(churn::QUIET_NOTE_DAYS))),
    ];
    rows.push((
        "churn segment counts".into(),
        time(|| async {
            revenue.segments_at(&scope, as_of).await.unwrap();
        })
        .await,
        time(|| async {
            raw(&app, &churn::counts_sql(churn::Facts::Kept), &churn_binds).await;
        })
        .await,
    ));
    // After a full sync every customer is dirty: the facts are recomputed once, by the warm-up.
    let all_dirty = "INSERT INTO churn_customer_dirty SELECT DISTINCT user_id FROM whop_membership \
                     WHERE user_id IS NOT NULL";
    rows.push((
        "churn segment counts, every customer's facts recomputed (the first read after a full sync)".into(),
        time(|| async {
            sqlx::query(all_dirty).execute(app.store().pool()).await.unwrap();
            revenue.segments_at(&scope, as_of).await.unwrap();
        })
        .await,
        time(|| async {
            sqlx::query(all_dirty).execute(app.store().pool()).await.unwrap();
            for sql in churn::refresh_sql() {
                raw(&app, &sql, &[]).await;
            }
            raw(&app, &churn::counts_sql(churn::Facts::Kept), &churn_binds).await;
        })
        .await,
    ));
    let business: Option<String> =
        sqlx::query_scalar("SELECT min(id) FROM whop_account").fetch_one(app.store().pool()).await.unwrap();
    let one_business = RevenueScope { business: business.clone(), product: None };
    let mut business_binds = churn_binds.clone();
    business_binds[1] = business;
    rows.push((
        "churn segment counts, one business".into(),
        time(|| async {
            revenue.segments_at(&one_business, as_of).await.unwrap();
        })
        .await,
        time(|| async {
            raw(&app, &churn::counts_sql(churn::Facts::KeptForBusiness), &business_binds).await;
        })
        .await,
    ));
    rows.push((
        "churn segment counts, kept (the sidebar's reload when nothing changed)".into(),
        time(|| async {
            revenue.segments(scope.clone()).await.unwrap();
        })
        .await,
        time(|| async {
            raw(&app, "SELECT value FROM revenue_cache WHERE key LIKE 'segments:%'", &[]).await;
        })
        .await,
    ));
    let at_risk = revenue.churn_customers_at(&scope, Some(ChurnSegment::AtRisk), as_of).await.unwrap().len();
    rows.push((
        format!("at-risk customers with reasons ({at_risk})"),
        time(|| async {
            revenue.churn_customers_at(&scope, Some(ChurnSegment::AtRisk), as_of).await.unwrap();
        })
        .await,
        time(|| async {
            raw(&app, &churn::customers_sql(Some(ChurnSegment::AtRisk), churn::Facts::Kept), &churn_binds).await;
        })
        .await,
    ));
    let items = revenue.recover_at(scope.clone(), as_of).await.unwrap().items.len();
    rows.push((
        format!("Recover list ({items} memberships)"),
        time(|| async {
            revenue.recover_at(scope.clone(), as_of).await.unwrap();
        })
        .await,
        time(|| async {
            raw(&app, &recover::recover_sql(), &[none.clone(), none.clone(), none.clone()]).await;
        })
        .await,
    ));
    rows.push((
        "Recover list, kept (reopened, or reloaded after an outbox change)".into(),
        time(|| async {
            revenue.recover(scope.clone()).await.unwrap();
        })
        .await,
        time(|| async {
            raw(&app, "SELECT value FROM revenue_cache WHERE key LIKE 'recover:%'", &[]).await;
        })
        .await,
    ));
    app.close().await;
    if let Some(kept) = kept {
        let recorded = serde_json::to_string_pretty(&*RECORDED.lock().unwrap()).unwrap();
        std::fs::write(kept.join("queries.json"), recorded).unwrap();
    }

    println!("## Revenue desk benchmark\n");
    println!(
        "A Whop mirror synced from the sandbox on loopback: {members} members, {memberships} memberships, \
         {payments} payments. Each query {RUNS} times after one warm-up; \"raw\" is the same SQL bound and \
         fetched through the driver on the same database, without the core's scope handling and assembly.\n"
    );
    println!("| query | p50 ms | p95 ms | raw p50 ms | raw p95 ms | core / raw (p95) | target p95 | met |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, (p50, p95), (raw50, raw95)) in rows {
        println!(
            "| {name} | {p50:.1} | {p95:.1} | {raw50:.1} | {raw95:.1} | {:.2}× | ≤ {TARGET_P95_MS:.0} ms | {} |",
            p95 / raw95.max(0.001),
            if p95 <= TARGET_P95_MS { "yes" } else { "no" }
        );
    }
}
