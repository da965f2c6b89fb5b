//! The revenue figures on what a real sync wrote: the sandbox's default seed synced over loopback,
//! then every figure computed by the core beside the naive recomputation of the same mirror
//! (core/revenue/tests/naive). Run with `--nocapture` to see the table the closing note quotes.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers; the table is the point

#[path = "../revenue/tests/history/mod.rs"]
mod history;
#[path = "../revenue/tests/naive/mod.rs"]
mod naive;

use dealdesk_core::App;
use dealdesk_core::test_support::{self, TestApp};
use dealdesk_model::PersonQuery;
use dealdesk_model::money::format_decimal_micros;
use dealdesk_model::revenue::{ALL_IN_USD, ChurnQuery, ChurnSegment, MrrQuery, RevenueScope, SummaryQuery};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use naive::{Amounts, Naive, month_index};
use std::collections::BTreeSet;
use uuid::Uuid;

/// The sandbox's default seed, logged in and synced into a fresh data folder.
async fn synced() -> (Sandbox, tempfile::TempDir, App) {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new().whop(test_support::whop_config(&sandbox)).open(dir.path()).await.unwrap();
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
    let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
    app.whop().handle_deep_link(&link).await.unwrap();
    app.whop().sync(&|_| {}).await.unwrap();
    (sandbox, dir, app)
}

/// Each churn segment is a filter of the People list: exactly the people linked to the segment's
/// customers, counted alike, and combined with the list's other filters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_churn_segment_filters_the_people_list() {
    let (_sandbox, _dir, app) = synced().await;
    let mut seen = 0;
    for segment in ChurnSegment::ALL {
        let customers = app
            .revenue()
            .churn_customers(ChurnQuery { scope: RevenueScope::default(), segment: Some(segment) })
            .await
            .unwrap();
        let expected: BTreeSet<Uuid> = customers.iter().filter_map(|c| c.person_id).collect();
        let query = PersonQuery { churn_segment: Some(segment), limit: Some(500), ..Default::default() };
        let page = app.crm().list_people(&query).await.unwrap();
        let listed: BTreeSet<Uuid> = page.items.iter().map(|p| p.id).collect();
        assert_eq!(listed, expected, "{segment:?}");
        assert_eq!(app.crm().count_people(&query).await.unwrap(), expected.len() as u64, "{segment:?}");
        seen += expected.len();
        // With a text filter too: the segment's people whose name matches it, and only those.
        if let Some(one) = page.items.first() {
            let text = PersonQuery { text: Some(one.last_name.clone()), ..query.clone() };
            let narrowed = app.crm().list_people(&text).await.unwrap().items;
            assert!(narrowed.iter().any(|p| p.id == one.id), "{segment:?}");
            assert!(narrowed.iter().all(|p| expected.contains(&p.id)), "{segment:?}");
        }
    }
    assert!(seen > 0, "the seed has people in churn segments");
    // No segment: every live person.
    let everyone = app.crm().count_people(&PersonQuery::default()).await.unwrap();
    assert!(everyone > seen as u64 / ChurnSegment::ALL.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_figure_on_the_sandboxs_default_seed_matches_the_naive_recomputation() {
    let (_sandbox, _dir, app) = synced().await;

    let as_of = chrono::Utc::now();
    let h = history::read(app.store(), as_of).await;
    let businesses: Vec<String> =
        sqlx::query_scalar("SELECT id FROM whop_account").fetch_all(app.store().pool()).await.unwrap();
    let naive = Naive { h: &h, as_of: as_of.timestamp_micros(), businesses };
    let last = month_index(as_of);
    let revenue = app.revenue();

    let series = revenue.mrr_at(MrrQuery { scope: RevenueScope::default(), months: 12 }, as_of).await.unwrap();
    let mut expected = naive.series(last - 11, last, Amounts::Native);
    expected.extend(naive.series(last - 11, last, Amounts::Usd));
    assert_eq!(series.months, expected);
    assert!(series.months.iter().any(|m| m.mrr_micros > 0), "the seed has recurring revenue");

    let summary =
        revenue.summary_at(SummaryQuery { scope: RevenueScope::default(), month: None }, as_of).await.unwrap();
    let cohorts = revenue.cohorts_at(&RevenueScope::default(), 12, as_of).await.unwrap();
    let recover = revenue.recover_at(RevenueScope::default(), as_of).await.unwrap();
    assert!(recover.items.iter().any(|i| i.retryable), "the seed has a failed payment Whop can retry");
    assert!(
        recover.items.iter().any(|i| i.failure_message.as_deref() == Some("Insufficient funds.")),
        "and one whose retry Whop declines"
    );

    // The table the closing note quotes: the core's figure beside the naive one.
    let money = |v: i64| format_decimal_micros(v, 2);
    eprintln!("| figure ({}) | core | naive |", summary.month);
    eprintln!("|---|---|---|");
    for (core, naive) in series.months.iter().zip(&expected).filter(|(m, _)| m.month == summary.month) {
        let currency = if core.currency == ALL_IN_USD { "USD* (Whop's USD amounts)" } else { &core.currency };
        eprintln!("| MRR {currency} | {} | {} |", money(core.mrr_micros), money(naive.mrr_micros));
        eprintln!(
            "| movement {currency}: new / expansion / contraction / churned / reactivated | {} / {} / {} / {} / {} | {} / {} / {} / {} / {} |",
            money(core.new_micros),
            money(core.expansion_micros),
            money(core.contraction_micros),
            money(core.churned_micros),
            money(core.reactivated_micros),
            money(naive.new_micros),
            money(naive.expansion_micros),
            money(naive.contraction_micros),
            money(naive.churned_micros),
            money(naive.reactivated_micros)
        );
        eprintln!("| customers {currency} | {} | {} |", core.customers, naive.customers);
    }
    let usd =
        expected.iter().find(|m| m.currency == ALL_IN_USD && m.month == summary.month).cloned().unwrap_or_default();
    let start = usd.customers + usd.churned_customers - usd.new_customers - usd.reactivated_customers;
    let naive_churn = (start > 0).then(|| usd.churned_customers as f64 / start as f64);
    assert_eq!(summary.customer_churn_rate, naive_churn);
    eprintln!("| customer churn rate | {:?} | {:?} |", summary.customer_churn_rate, naive_churn);
    eprintln!("| revenue churn rate | {:?} | (from the same movement) |", summary.revenue_churn_rate);
    eprintln!(
        "| cohorts: customers per cohort | {:?} | |",
        cohorts.rows.iter().map(|r| r.customers).collect::<Vec<_>>()
    );
    eprintln!(
        "| Recover: memberships / retryable | {} / {} | |",
        recover.items.len(),
        recover.items.iter().filter(|i| i.retryable).count()
    );
    app.close().await;
}
