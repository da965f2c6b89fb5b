//! Hand-worked examples, one per edge case in docs/revenue.md ("Edge cases, one line each").
//! Amounts in micros: 10_000_000 is 10.00.
#![allow(clippy::unwrap_used)]

mod history;

use dealdesk_model::revenue::{
    ALL_IN_USD, Excluded, ExcludedReason, MrrMonth, MrrQuery, MrrSeries, RevenueScope, SummaryQuery,
};
use dealdesk_revenue::{Revenue, months};
use dealdesk_store::Store;
use history::History;

const AS_OF: &str = "2026-12-15T12:00:00Z";
const USD_10: i64 = 10_000_000;

async fn open(h: &History) -> (tempfile::TempDir, Revenue, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    history::write(&store, h).await;
    (dir, Revenue::new(store.clone()), store)
}

async fn mrr(revenue: &Revenue, h: &History) -> MrrSeries {
    revenue.mrr_at(MrrQuery { scope: RevenueScope::default(), months: 2 }, h.as_of).await.unwrap()
}

fn month<'a>(series: &'a MrrSeries, currency: &str, month: &str) -> &'a MrrMonth {
    series
        .months
        .iter()
        .find(|m| m.currency == currency && m.month == month)
        .unwrap_or_else(|| panic!("no {currency} {month} in {:?}", series.months))
}

fn nov_dec(h: &History) -> (i64, i64) {
    let dec = months::index_of(h.as_of);
    (dec - 1, dec)
}

#[tokio::test]
async fn a_refund_lowers_net_revenue_in_its_month_not_mrr() {
    let mut h = History::empty(AS_OF);
    let a = h.membership("user_a", "plan_m10", "active");
    let october = h.paid(a, "plan_m10", "2026-10-20T10:00:00Z", USD_10);
    let november = h.paid(a, "plan_m10", "2026-11-20T10:00:00Z", USD_10);
    // A partial refund Whop lists, and one it does not (only the payment's refunded_amount says so).
    h.refund(november, 2_500_000, "2026-12-02T09:00:00Z", true);
    h.refund(october, 1_000_000, "2026-11-05T09:00:00Z", false);
    let (_dir, revenue, _store) = open(&h).await;

    let series = mrr(&revenue, &h).await;
    assert_eq!(month(&series, "USD", "2026-11").mrr_micros, USD_10);
    assert_eq!(month(&series, "USD", "2026-12").mrr_micros, USD_10, "refunds leave MRR alone");
    assert_eq!(month(&series, "USD", "2026-12").churned_micros, 0);

    let (nov, dec) = nov_dec(&h);
    let net = revenue.net_revenue_at(&RevenueScope::default(), nov, dec, h.as_of).await.unwrap();
    let n = |m: &str| net.iter().find(|r| r.month == m && r.currency == "USD").unwrap();
    assert_eq!(
        (n("2026-11").gross_micros, n("2026-11").refunded_micros, n("2026-11").net_micros),
        (USD_10, 1_000_000, 9_000_000)
    );
    assert_eq!(
        (n("2026-12").gross_micros, n("2026-12").refunded_micros, n("2026-12").net_micros),
        (0, 2_500_000, -2_500_000)
    );
}

#[tokio::test]
async fn a_full_refund_carries_no_mrr() {
    let mut h = History::empty(AS_OF);
    let b = h.membership("user_b", "plan_m10", "active");
    let k = h.paid(b, "plan_m10", "2026-11-20T10:00:00Z", USD_10);
    h.refund(k, USD_10, "2026-11-22T10:00:00Z", true);
    let (_dir, revenue, _store) = open(&h).await;
    assert!(mrr(&revenue, &h).await.months.is_empty(), "no customer ever had MRR");
    let grid = revenue.cohorts_at(&RevenueScope::default(), 2, h.as_of).await.unwrap();
    assert!(grid.rows.iter().all(|r| r.customers == 0), "a refunded buyer is not a customer: {grid:?}");
    let (nov, dec) = nov_dec(&h);
    let net = revenue.net_revenue_at(&RevenueScope::default(), nov, dec, h.as_of).await.unwrap();
    assert_eq!(net.iter().find(|r| r.month == "2026-11").unwrap().net_micros, 0);
}

#[tokio::test]
async fn trials_and_free_plans_carry_no_mrr() {
    let mut h = History::empty(AS_OF);
    let c = h.membership("user_c", "plan_m25", "active");
    h.paid(c, "plan_m25", "2026-11-01T10:00:00Z", 0); // the trial
    h.paid(c, "plan_m25", "2026-11-08T10:00:00Z", 25_000_000);
    let d = h.membership("user_d", "plan_free", "active");
    h.paid(d, "plan_free", "2026-10-03T10:00:00Z", 0);
    h.paid(d, "plan_free", "2026-11-03T10:00:00Z", 0);
    let (_dir, revenue, _store) = open(&h).await;

    let series = mrr(&revenue, &h).await;
    let nov = month(&series, "USD", "2026-11");
    assert_eq!((nov.mrr_micros, nov.new_micros, nov.customers, nov.new_customers), (25_000_000, 25_000_000, 1, 1));
    let grid = revenue.cohorts_at(&RevenueScope::default(), 2, h.as_of).await.unwrap();
    assert_eq!(grid.rows[0].cohort, "2026-11");
    assert_eq!(grid.rows[0].retained, vec![1, 1], "only the paying customer, still paying in December");
}

#[tokio::test]
async fn a_plan_change_is_expansion_or_contraction() {
    let mut h = History::empty(AS_OF);
    let e = h.membership("user_e", "plan_y120", "active");
    h.paid(e, "plan_m10", "2026-10-05T10:00:00Z", USD_10);
    h.paid(e, "plan_m10", "2026-11-05T10:00:00Z", USD_10);
    h.paid(e, "plan_y120", "2026-12-05T10:00:00Z", 240_000_000); // yearly: 20.00 a month
    let f = h.membership("user_f", "plan_m10", "active");
    h.paid(f, "plan_m25", "2026-10-10T10:00:00Z", 25_000_000);
    h.paid(f, "plan_m25", "2026-11-10T10:00:00Z", 25_000_000);
    h.paid(f, "plan_m10", "2026-12-10T10:00:00Z", USD_10);
    let (_dir, revenue, _store) = open(&h).await;

    let series = mrr(&revenue, &h).await;
    assert_eq!(month(&series, "USD", "2026-11").mrr_micros, 35_000_000);
    let dec = month(&series, "USD", "2026-12");
    assert_eq!(
        (dec.mrr_micros, dec.expansion_micros, dec.contraction_micros, dec.new_micros, dec.churned_micros),
        (30_000_000, 10_000_000, 15_000_000, 0, 0)
    );
}

#[tokio::test]
async fn one_time_plans_are_revenue_not_mrr() {
    let mut h = History::empty(AS_OF);
    let g = h.membership("user_g", "plan_once50", "completed");
    h.paid(g, "plan_once50", "2026-11-12T10:00:00Z", 50_000_000);
    let (_dir, revenue, _store) = open(&h).await;

    assert!(mrr(&revenue, &h).await.months.is_empty());
    let (nov, dec) = nov_dec(&h);
    let net = revenue.net_revenue_at(&RevenueScope::default(), nov, dec, h.as_of).await.unwrap();
    assert_eq!(net.iter().find(|r| r.month == "2026-11").unwrap().gross_micros, 50_000_000);
    let grid = revenue.cohorts_at(&RevenueScope::default(), 2, h.as_of).await.unwrap();
    assert_eq!(grid.rows[0].retained, vec![1, 0], "a one-time buyer is a customer in the month they paid");
    let ltv = revenue.ltv_at(&RevenueScope::default(), h.as_of).await.unwrap();
    let product = ltv.iter().find(|l| l.product_id == "prod_d" && l.plan_id.is_none()).unwrap();
    assert_eq!((product.customers, product.net_micros, product.ltv_micros), (1, 50_000_000, 50_000_000));
}

#[tokio::test]
async fn currencies_stay_apart_and_usd_star_uses_whops_amounts() {
    let mut h = History::empty(AS_OF);
    let eu = h.membership("user_h", "plan_eur9", "active");
    let k = h.paid(eu, "plan_eur9", "2026-11-03T10:00:00Z", 9_000_000);
    h.payments[k].usd = Some(9_720_000);
    let us = h.membership("user_i", "plan_m10", "active");
    h.paid(us, "plan_m10", "2026-11-04T10:00:00Z", USD_10);
    let (_dir, revenue, _store) = open(&h).await;

    let series = mrr(&revenue, &h).await;
    assert_eq!(month(&series, "EUR", "2026-12").mrr_micros, 9_000_000);
    assert_eq!(month(&series, "USD", "2026-12").mrr_micros, USD_10);
    let all = month(&series, ALL_IN_USD, "2026-12");
    assert_eq!((all.mrr_micros, all.customers), (19_720_000, 2));
    let summary =
        revenue.summary_at(SummaryQuery { scope: RevenueScope::default(), month: None }, h.as_of).await.unwrap();
    assert_eq!(summary.month, "2026-12");
    assert_eq!(summary.customer_churn_rate, Some(0.0));
}

#[tokio::test]
async fn what_a_total_cannot_take_is_reported() {
    let mut h = History::empty(AS_OF);
    let j = h.membership("user_j", "plan_m10", "active");
    let k = h.paid(j, "plan_m10", "2026-11-02T10:00:00Z", USD_10);
    h.payments[k].currency = None;
    let w = h.membership("user_k", "plan_w5", "active");
    h.paid(w, "plan_w5", "2026-11-02T10:00:00Z", 5_000_000);
    let l = h.membership("user_l", "plan_eur9", "active");
    let k = h.paid(l, "plan_eur9", "2026-11-02T10:00:00Z", 9_000_000);
    h.payments[k].usd = None;
    let (_dir, revenue, store) = open(&h).await;
    sqlx::query("DELETE FROM whop_plan WHERE id = 'plan_w5'").execute(store.pool()).await.unwrap();

    let series = mrr(&revenue, &h).await;
    let mut excluded = series.excluded.clone();
    excluded.sort_by_key(|e| format!("{:?}", e.reason));
    assert_eq!(
        excluded,
        vec![
            Excluded { reason: ExcludedReason::NoPlan, payments: 1, micros: 5_000_000, currency: Some("USD".into()) },
            Excluded {
                reason: ExcludedReason::NoUsdAmount,
                payments: 1,
                micros: 9_000_000,
                currency: Some("EUR".into())
            },
            Excluded { reason: ExcludedReason::UnknownCurrency, payments: 1, micros: USD_10, currency: None },
        ]
    );
    assert_eq!(month(&series, "EUR", "2026-12").mrr_micros, 9_000_000, "still in its own currency");
    assert!(series.months.iter().all(|m| m.currency != "USD" || m.mrr_micros == 0), "{:?}", series.months);
    assert!(series.months.iter().all(|m| m.currency != ALL_IN_USD), "nothing has a USD amount");
}

#[tokio::test]
async fn a_bad_month_is_refused_with_its_text() {
    let h = History::empty(AS_OF);
    let (_dir, revenue, _store) = open(&h).await;
    let error = revenue
        .summary_at(SummaryQuery { scope: RevenueScope::default(), month: Some("2026-13".into()) }, h.as_of)
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "bad month '2026-13': expected YYYY-MM, such as 2026-11");
    let error = revenue.mrr_at(MrrQuery { scope: RevenueScope::default(), months: 0 }, h.as_of).await.unwrap_err();
    assert!(error.to_string().contains("1 to 120 months"), "{error}");
}

#[tokio::test]
async fn churn_segments_and_the_at_risk_score_follow_the_documented_rules() {
    let mut h = History::empty(AS_OF);
    let p = h.membership("user_p", "plan_m10", "past_due");
    h.paid(p, "plan_m10", "2026-11-10T10:00:00Z", USD_10);
    let q = h.membership("user_q", "plan_m10", "canceling");
    h.paid(q, "plan_m10", "2026-12-01T10:00:00Z", USD_10);
    let r = h.membership("user_r", "plan_m10", "active");
    h.paid(r, "plan_m10", "2026-12-01T10:00:00Z", USD_10);
    h.membership("user_s", "plan_m25", "trialing");
    let t = h.membership("user_t", "plan_m10", "canceled");
    h.memberships[t].canceled_at =
        Some(dealdesk_store::time::parse("2026-12-03T10:00:00Z").unwrap().timestamp_micros());
    let u = h.membership("user_u", "plan_m10", "active");
    h.paid(u, "plan_m10", "2026-12-01T10:00:00Z", USD_10);
    let v = h.membership("user_v", "plan_y120", "active");
    h.paid(v, "plan_y120", "2026-09-01T10:00:00Z", 120_000_000);
    let (_dir, revenue, store) = open(&h).await;
    sqlx::query("UPDATE whop_membership SET payment_collection_paused = 1 WHERE user_id = 'user_r'")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE whop_membership SET renewal_period_end = '2026-12-18T00:00:00.000000Z' WHERE user_id = 'user_s'",
    )
    .execute(store.pool())
    .await
    .unwrap();

    use dealdesk_model::revenue::{ChurnSegment, SegmentCount};
    let scope = RevenueScope::default();
    let counts = revenue.segments_at(&scope, h.as_of).await.unwrap();
    let count = |s: ChurnSegment| counts.iter().find(|c| c.segment == s).map(|c| c.customers);
    assert_eq!(counts.len(), ChurnSegment::ALL.len());
    assert_eq!(
        [
            count(ChurnSegment::Canceling),
            count(ChurnSegment::ChurnedThisMonth),
            count(ChurnSegment::PastDue),
            count(ChurnSegment::TrialEnding),
            count(ChurnSegment::Paused),
            count(ChurnSegment::AtRisk),
        ],
        [Some(1), Some(1), Some(1), Some(1), Some(1), Some(2)],
        "{counts:?}"
    );
    let _: Option<SegmentCount> = None;

    let all = revenue.churn_customers_at(&scope, None, h.as_of).await.unwrap();
    let of = |user: &str| all.iter().find(|c| c.user_id == user).unwrap();
    assert_eq!(of("user_p").score, 50);
    assert_eq!(of("user_p").reasons, vec!["Payment past due (+40)", "No note in 90 days (+10)"]);
    assert_eq!(of("user_p").segments, vec![ChurnSegment::PastDue, ChurnSegment::AtRisk]);
    assert_eq!(of("user_q").score, 45);
    assert_eq!(of("user_r").score, 35, "paused and quiet, but under the line");
    assert_eq!(of("user_r").segments, vec![ChurnSegment::Paused]);
    assert_eq!(of("user_s").score, 10, "a trial only counts its own signals");
    assert_eq!(of("user_t").segments, vec![ChurnSegment::ChurnedThisMonth]);
    assert_eq!(of("user_t").score, 0);
    assert_eq!(of("user_v").score, 25);
    assert!(of("user_v").reasons.iter().any(|r| r.starts_with("No payment in 60 days")));
    assert_eq!(all.first().map(|c| c.user_id.as_str()), Some("user_p"), "highest score first");

    let at_risk = revenue.churn_customers_at(&scope, Some(ChurnSegment::AtRisk), h.as_of).await.unwrap();
    assert_eq!(at_risk.iter().map(|c| c.user_id.as_str()).collect::<Vec<_>>(), vec!["user_p", "user_q"]);
}

#[tokio::test]
async fn a_kept_revenue_screen_is_used_until_the_data_under_it_changes() {
    let now = chrono::Utc::now();
    let days_ago = |d: i64| dealdesk_store::time::format(now - chrono::Duration::days(d));
    let mut h = History::empty(&dealdesk_store::time::format(now));
    let a = h.membership("user_a", "plan_m10", "active");
    h.paid(a, "plan_m10", &days_ago(10), USD_10);
    let (_dir, revenue, store) = open(&h).await;
    let usd_now = |o: &dealdesk_model::revenue::RevenueOverview| {
        o.summary.mrr.iter().find(|m| m.currency == "USD").map(|m| m.mrr_micros)
    };
    let query = SummaryQuery { scope: RevenueScope::default(), month: None };

    let first = revenue.overview(query.clone()).await.unwrap();
    assert_eq!(usd_now(&first), Some(USD_10));
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM revenue_cache").fetch_one(store.pool()).await.unwrap();
    assert_eq!(kept, 1);
    // Read again: the kept result (a marker written into it shows it was not computed again).
    sqlx::query("UPDATE revenue_cache SET value = json_set(value, '$.summary.month', 'kept')")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(revenue.overview(query.clone()).await.unwrap().summary.month, "kept");

    // A sync writes a new customer's payment: the next read computes again and sees it.
    sqlx::query(
        "INSERT INTO whop_membership (id, account_id, status, user_id, plan_id, product_id, currency, synced_at, raw)
         VALUES ('mem_b', ?1, 'active', 'user_b', 'plan_m10', 'prod_a', 'USD', ?2, '{}')",
    )
    .bind(history::BUSINESS)
    .bind(days_ago(0))
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO whop_payment (id, account_id, status, user_id, membership_id, product_id, plan_id, total_micros,
                                   currency, paid_at, created_at, synced_at, raw)
         VALUES ('pay_b', ?1, 'paid', 'user_b', 'mem_b', 'prod_a', 'plan_m10', ?2, 'USD', ?3, ?3, ?3, '{}')",
    )
    .bind(history::BUSINESS)
    .bind(USD_10)
    .bind(days_ago(3))
    .execute(store.pool())
    .await
    .unwrap();
    let after = revenue.overview(query).await.unwrap();
    assert_ne!(after.summary.month, "kept");
    assert_eq!(usd_now(&after), Some(2 * USD_10));
}

#[tokio::test]
async fn the_churn_counts_are_kept_until_the_mirror_or_a_note_changes() {
    use dealdesk_model::revenue::ChurnSegment;
    let now = chrono::Utc::now();
    let at = |d: i64| dealdesk_store::time::format(now - chrono::Duration::days(d));
    let mut h = History::empty(&at(0));
    // Canceling (35) and no note in 90 days (10): at risk (40 or more) until a note is written.
    let q = h.membership("user_q", "plan_m10", "canceling");
    h.paid(q, "plan_m10", &at(5), USD_10);
    let (_dir, revenue, store) = open(&h).await;
    let scope = RevenueScope::default();
    let at_risk = |counts: &[dealdesk_model::revenue::SegmentCount]| {
        counts.iter().find(|c| c.segment == ChurnSegment::AtRisk).map(|c| c.customers)
    };
    assert_eq!(at_risk(&revenue.segments(scope.clone()).await.unwrap()), Some(1));
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM revenue_cache WHERE key LIKE 'segments:%'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(kept, 1);

    // Unrelated reads keep it: a marker written into the kept row comes back.
    sqlx::query("UPDATE revenue_cache SET value = json_set(value, '$[0].customers', 99) WHERE key LIKE 'segments:%'")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(revenue.segments(scope.clone()).await.unwrap()[0].customers, 99);

    // A note on the customer's person: computed again, and no longer at risk.
    for sql in [
        "INSERT INTO person (id, first_name, last_name, created_at, updated_at) VALUES ('p_q', 'Quinn', 'Q', ?1, ?1)",
        "INSERT INTO whop_person (user_id, person_id) VALUES ('user_q', 'p_q')",
        "INSERT INTO note (id, body, created_at, updated_at) VALUES ('n_q', 'Called: staying on', ?1, ?1)",
        "INSERT INTO note_target (note_id, record_kind, record_id) VALUES ('n_q', 'person', 'p_q')",
    ] {
        sqlx::query(sql).bind(at(0)).execute(store.pool()).await.unwrap();
    }
    let counts = revenue.segments(scope.clone()).await.unwrap();
    assert_ne!(counts[0].customers, 99);
    assert_eq!(at_risk(&counts), Some(0));
    assert_eq!(revenue.churn_customers_at(&scope, Some(ChurnSegment::AtRisk), now).await.unwrap().len(), 0);
}

/// The rare rows a figure counts (failed payments, refunds, what a total leaves out) are found
/// through their partial indexes: a changed condition on one side would silently read every
/// payment again (migration `…_revenue_month.sql`).
#[tokio::test]
async fn rare_rows_are_found_through_their_own_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let plan = |sql: String| {
        let store = store.clone();
        async move {
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                    .bind(Option::<String>::None)
                    .bind(Option::<String>::None)
                    .bind(Option::<String>::None)
                    .bind("2026-12-07T00:00:00.000000Z")
                    .fetch_all(store.pool())
                    .await
                    .unwrap();
            rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
        }
    };
    let failed = plan(dealdesk_revenue::net::failed_in_month_sql()).await;
    assert!(failed.contains("whop_payment_failed_once"), "{failed}");
    let refunds = plan(dealdesk_revenue::net::refunds_sql()).await;
    assert!(refunds.contains("whop_payment_refunded"), "{refunds}");
    let excluded = plan(dealdesk_revenue::net::excluded_sql()).await;
    for index in ["whop_payment_paid_no_currency", "whop_payment_paid_by_plan", "whop_payment_paid_no_usd"] {
        assert!(excluded.contains(index), "{excluded}");
    }
}
