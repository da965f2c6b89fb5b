//! Every revenue metric against an independent, naive recomputation over random histories
//! (seeded; seeds that once failed are kept in `KEPT_SEEDS`), on a real SQLite mirror.
#![allow(clippy::unwrap_used)]

mod history;
mod naive;

use chrono::{DateTime, Utc};
use dealdesk_model::revenue::{CohortGrid, Movement, MrrDrill, MrrQuery, NetRevenueMonth, RevenueScope, SummaryQuery};
use dealdesk_revenue::Revenue;
use dealdesk_store::Store;
use history::{BUSINESS, History, Payment};
use naive::{Amounts, Naive, month_index, month_start, month_text};
use std::collections::{BTreeMap, BTreeSet};

/// Seeds that found a disagreement once (kept so it cannot come back), then fresh ones.
const KEPT_SEEDS: &[u64] = &[];
const FRESH_SEEDS: u64 = 12;
async fn open(h: &History) -> (tempfile::TempDir, Revenue) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    history::write(&store, h).await;
    (dir, Revenue::new(store))
}

fn seeds() -> Vec<u64> {
    KEPT_SEEDS.iter().copied().chain((1..=FRESH_SEEDS).map(|s| s * 7_919)).collect()
}

#[tokio::test]
async fn mrr_and_its_movement_match_a_naive_recomputation() {
    for seed in seeds() {
        let h = history::generate(seed, 60);
        let (_dir, revenue) = open(&h).await;
        let naive = Naive { h: &h, as_of: h.as_of.timestamp_micros(), businesses: vec![BUSINESS.into()] };
        let last = month_index(h.as_of);
        let series = revenue.mrr_at(MrrQuery { scope: RevenueScope::default(), months: 12 }, h.as_of).await.unwrap();
        let mut expected = naive.series(last - 11, last, Amounts::Native);
        expected.extend(naive.series(last - 11, last, Amounts::Usd));
        assert_eq!(series.months, expected, "seed {seed}");
        assert!(series.months.iter().any(|m| m.churned_micros > 0), "seed {seed}: the history has churn");
        // The movement adds up, month to month.
        for pair in series.months.windows(2).filter(|w| w[0].currency == w[1].currency) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(
                b.mrr_micros,
                a.mrr_micros + b.new_micros + b.expansion_micros + b.reactivated_micros
                    - b.contraction_micros
                    - b.churned_micros,
                "seed {seed}: {} {}",
                b.currency,
                b.month
            );
        }
    }
}

/// Complete months are kept (`revenue_month`) and forgotten from the earliest instant a change
/// reaches: after each kind of change a sync can write, the series still equals a naive
/// recomputation of the changed mirror, and a payment made yesterday leaves older months kept.
#[tokio::test]
async fn kept_months_follow_every_change_to_the_mirror() {
    let changes = [
        // A payment made yesterday on a membership that already pays.
        "INSERT INTO whop_payment (id, account_id, status, user_id, member_id, membership_id, product_id, plan_id,
                                  total_micros, tax_micros, usd_total_micros, currency, paid_at, created_at,
                                  billing_reason, synced_at, raw)
         SELECT 'pay_yesterday', account_id, 'paid', user_id, member_id, membership_id, product_id, plan_id,
                total_micros, tax_micros, usd_total_micros, currency, ?1, ?1, billing_reason, synced_at, '{}'
         FROM whop_payment WHERE status = 'paid' AND refunded_micros = 0 ORDER BY paid_at DESC, id LIMIT 1 OFFSET ?3",
        // An old payment refunded in full: it no longer covers its months.
        "UPDATE whop_payment SET refunded_micros = total_micros, refunded_at = ?1
         WHERE id = (SELECT id FROM whop_payment WHERE status = 'paid' ORDER BY paid_at, id LIMIT 1 OFFSET ?3)",
        // An old one-time payment refunded in full: it covers nothing, but its customer's first
        // payment, and who paid in its month, change.
        "UPDATE whop_payment SET refunded_micros = total_micros, refunded_at = ?1
         WHERE id = (SELECT y.id FROM whop_payment y JOIN whop_plan pl ON pl.id = y.plan_id
                     WHERE pl.plan_type = 'one_time' AND y.status = 'paid' AND y.total_micros > 0
                       AND y.refunded_micros < y.total_micros AND y.paid_at < ?2
                     ORDER BY y.paid_at DESC, y.id LIMIT 1 OFFSET ?3 % 3)",
        // A customer never seen before, who bought a one-time plan months ago.
        "INSERT INTO whop_membership (id, account_id, status, user_id, member_id, product_id, plan_id, currency,
                                     created_at, synced_at, raw)
         SELECT 'mem_newcomer', account_id, 'completed', 'user_newcomer', 'mber_newcomer', product_id, id, currency,
                ?2, ?2, '{}'
         FROM whop_plan WHERE plan_type = 'one_time' ORDER BY id LIMIT 1",
        "INSERT INTO whop_payment (id, account_id, status, user_id, member_id, membership_id, product_id, plan_id,
                                   total_micros, currency, paid_at, created_at, billing_reason, synced_at, raw)
         SELECT 'pay_newcomer', account_id, 'paid', user_id, member_id, id, product_id, plan_id, 25000000, currency,
                ?2, ?2, 'one_time', ?2, '{}'
         FROM whop_membership WHERE id = 'mem_newcomer' AND ?1 IS NOT NULL AND ?3 IS NOT NULL",
        // A refund, listed months ago, of a payment made before it.
        "INSERT INTO whop_refund (id, account_id, payment_id, amount_micros, currency, status, created_at, synced_at, raw)
         SELECT 'rfnd_late', account_id, id, total_micros / 2, currency, 'succeeded', ?2, ?1, '{}'
         FROM whop_payment WHERE status = 'paid' AND paid_at < ?2 AND refunded_micros = 0
         ORDER BY paid_at DESC, id LIMIT 1 OFFSET ?3",
        // A membership that ended months ago.
        "UPDATE whop_membership SET status = 'canceled', canceled_at = ?2
         WHERE id = (SELECT membership_id FROM whop_payment WHERE status = 'paid' AND paid_at < ?2
                     ORDER BY paid_at DESC, id LIMIT 1 OFFSET ?3)",
        // A payment gone from the mirror.
        "DELETE FROM whop_payment WHERE id = (SELECT id FROM whop_payment WHERE status = 'paid' ORDER BY id LIMIT 1 OFFSET ?3)",
        // A plan billed yearly from now on: every payment on it covers differently.
        "UPDATE whop_plan SET billing_period = 365 WHERE id = (SELECT plan_id FROM whop_payment ORDER BY id LIMIT 1 OFFSET ?3)",
    ];
    for seed in seeds().into_iter().take(4) {
        let h = history::generate(seed, 60);
        let (dir, revenue) = open(&h).await;
        let store = Store::open(dir.path()).await.unwrap();
        let last = month_index(h.as_of);
        let query = MrrQuery { scope: RevenueScope::default(), months: 12 };
        revenue.mrr_at(query.clone(), h.as_of).await.unwrap();
        let kept = |before: i64| {
            let store = store.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM revenue_month WHERE figure LIKE 'mrr:%' AND month < ?1",
                )
                .bind(before)
                .fetch_one(store.pool())
                .await
                .unwrap()
            }
        };
        assert_customer_sums_match_the_payments(&revenue, &store, h.as_of, &format!("seed {seed}")).await;
        // Two passes of the eleven months that are over.
        assert_eq!(kept(last).await, 22, "seed {seed}");
        let mut rng = history::Rng::new(seed);
        for (k, change) in changes.iter().enumerate() {
            let yesterday = history::text(h.as_of.timestamp_micros() - history::day_us());
            let months_ago = history::text(h.as_of.timestamp_micros() - 100 * history::day_us());
            let written = sqlx::query(sqlx::AssertSqlSafe(*change))
                .bind(&yesterday)
                .bind(&months_ago)
                .bind(rng.below(20) as i64)
                .execute(store.pool())
                .await
                .unwrap()
                .rows_affected();
            assert_eq!(written, 1, "seed {seed}, change {k}");
            if change.starts_with("INSERT INTO whop_membership") {
                continue; // its payment is the next change
            }
            if k == 0 {
                // The coverage is refreshed by any figure; this change reaches yesterday's month
                // and none before it.
                revenue.cohorts_at(&RevenueScope::default(), 2, h.as_of).await.unwrap();
                let yesterday_month = month_index(h.as_of - history::duration_days(1));
                assert_eq!(kept(yesterday_month).await, 2 * (yesterday_month - (last - 11)), "seed {seed}");
                assert_eq!(kept(last).await, kept(yesterday_month).await, "seed {seed}");
            }
            let series = revenue.mrr_at(query.clone(), h.as_of).await.unwrap();
            let changed = history::read(&store, h.as_of).await;
            let naive = Naive { h: &changed, as_of: h.as_of.timestamp_micros(), businesses: vec![BUSINESS.into()] };
            let mut expected = naive.series(last - 11, last, Amounts::Native);
            expected.extend(naive.series(last - 11, last, Amounts::Usd));
            assert_eq!(series.months, expected, "seed {seed}, after change {k}");
            let case = format!("seed {seed}, change {k}");
            assert_customer_sums_match_the_payments(&revenue, &store, h.as_of, &case).await;
            let grid = revenue.cohorts_at(&RevenueScope::default(), 12, h.as_of).await.unwrap();
            assert_cohorts_match_a_naive_recomputation(&grid, &changed, &case);
            let net = revenue.net_revenue_at(&RevenueScope::default(), last - 11, last, h.as_of).await.unwrap();
            assert_net_revenue_matches_a_naive_recomputation(&net, &changed, &case);
            let cohort_months: i64 =
                sqlx::query_scalar("SELECT count(*) FROM revenue_month WHERE figure LIKE 'cohorts:%'")
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            assert_eq!(cohort_months, 11, "{case}: the cohort grid's months that are over are kept");
        }
    }
}

/// The month in progress is kept per customer (`revenue_now`) with the instant each customer's MRR
/// expires: read at later and later instants of the month (coverage running out as it goes), after
/// writes of each kind, and once at an earlier instant (rebuilt), the MRR series and the cohort
/// grid still equal a naive recomputation at that instant.
#[tokio::test]
async fn the_month_in_progress_follows_time_and_every_write() {
    let writes = [
        // A renewal paid an hour ago on a membership that already pays.
        "INSERT INTO whop_payment (id, account_id, status, user_id, member_id, membership_id, product_id, plan_id,
                                  total_micros, tax_micros, usd_total_micros, currency, paid_at, created_at,
                                  billing_reason, synced_at, raw)
         SELECT 'pay_now_' || ?2, account_id, 'paid', user_id, member_id, membership_id, product_id, plan_id,
                total_micros * 2, tax_micros, usd_total_micros * 2, currency, ?1, ?1, billing_reason, synced_at, '{}'
         FROM whop_payment WHERE status = 'paid' AND refunded_micros = 0 AND paid_at < ?1
         ORDER BY paid_at DESC, id LIMIT 1 OFFSET ?2",
        // A payment counted now refunded in full.
        "UPDATE whop_payment SET refunded_micros = total_micros, refunded_at = ?1
         WHERE id = (SELECT id FROM whop_payment WHERE status = 'paid' AND refunded_micros < total_micros AND paid_at < ?1
                     ORDER BY paid_at DESC, id LIMIT 1 OFFSET ?2)",
        // A membership that pays now canceled an hour ago.
        "UPDATE whop_membership SET status = 'canceled', canceled_at = ?1
         WHERE id = (SELECT membership_id FROM whop_payment WHERE status = 'paid' AND paid_at < ?1
                     ORDER BY paid_at DESC, id LIMIT 1 OFFSET ?2)",
        // A payment dated in an hour (a clock ahead of ours): counted once that hour has come.
        "INSERT INTO whop_payment (id, account_id, status, user_id, member_id, membership_id, product_id, plan_id,
                                  total_micros, tax_micros, usd_total_micros, currency, paid_at, created_at,
                                  billing_reason, synced_at, raw)
         SELECT 'pay_later_' || ?2, account_id, 'paid', user_id, member_id, membership_id, product_id, plan_id,
                total_micros, tax_micros, usd_total_micros, currency, ?3, ?3, billing_reason, synced_at, '{}'
         FROM whop_payment WHERE status = 'paid' AND refunded_micros = 0 AND paid_at < ?1
         ORDER BY paid_at DESC, id LIMIT 1 OFFSET ?2",
        // A payment gone from the mirror.
        "DELETE FROM whop_payment WHERE id = (SELECT id FROM whop_payment WHERE status = 'paid' AND paid_at < ?1
                                             ORDER BY paid_at DESC, id LIMIT 1 OFFSET ?2)",
    ];
    for seed in seeds().into_iter().take(4) {
        let h = history::generate(seed, 60);
        let (dir, revenue) = open(&h).await;
        let store = Store::open(dir.path()).await.unwrap();
        let month = month_index(h.as_of);
        let hour = 3_600_000_000;
        let month_end = month_start(month + 1);
        // Later and later instants, the first at the month's start and the last at its end, then
        // one back (earlier than the rows were computed at: rebuilt).
        let mut instants: Vec<i64> = vec![month_start(month) + hour, h.as_of.timestamp_micros()];
        instants
            .extend((1..=5).map(|k| h.as_of.timestamp_micros() + k * 4 * history::day_us()).filter(|t| *t < month_end));
        instants.push(month_end - hour);
        instants.push(h.as_of.timestamp_micros());
        let mut rng = history::Rng::new(seed);
        let mut previous = i64::MIN;
        for (step, &instant) in instants.iter().enumerate() {
            let as_of = history::at(instant);
            // Writes are made only going forward: nothing is dated after the instant read but the
            // payment dated in an hour.
            if instant > previous && step > 1 {
                let write = writes[step % writes.len()];
                let written = sqlx::query(sqlx::AssertSqlSafe(write))
                    .bind(history::text(instant - hour))
                    .bind(rng.below(10) as i64)
                    .bind(history::text(instant + hour))
                    .execute(store.pool())
                    .await
                    .unwrap()
                    .rows_affected();
                assert_eq!(written, 1, "seed {seed}, step {step}");
            }
            previous = instant;
            let case = format!("seed {seed}, step {step} ({})", history::text(instant));
            let series = revenue.mrr_at(MrrQuery { scope: RevenueScope::default(), months: 12 }, as_of).await.unwrap();
            let changed = history::read(&store, as_of).await;
            let naive = Naive { h: &changed, as_of: instant, businesses: vec![BUSINESS.into()] };
            let mut expected = naive.series(month - 11, month, Amounts::Native);
            expected.extend(naive.series(month - 11, month, Amounts::Usd));
            assert_eq!(series.months, expected, "{case}");
            // Read from the kept rows: computed at or before this instant (rebuilt at it when
            // the instant goes back), for this month.
            let (kept_month, since): (i64, String) =
                sqlx::query_as("SELECT month, since FROM revenue_now_state").fetch_one(store.pool()).await.unwrap();
            assert_eq!(kept_month, month, "{case}");
            if instant < instants[..step].iter().copied().max().unwrap_or(i64::MIN) {
                assert_eq!(since, history::text(instant), "{case}: rebuilt");
            } else {
                assert!(since <= history::text(instant), "{case}: {since}");
            }
            let grid = revenue.cohorts_at(&RevenueScope::default(), 12, as_of).await.unwrap();
            assert_cohorts_match_a_naive_recomputation(&grid, &changed, &case);
        }
    }
}

/// Net revenue of the last 12 months against a naive recomputation: paid payments by the month
/// paid, listed refunds by the month made, the unlisted rest of a refund at the payment's
/// `refunded_at`.
fn assert_net_revenue_matches_a_naive_recomputation(net: &[NetRevenueMonth], h: &History, case: &str) {
    let naive = Naive { h, as_of: h.as_of.timestamp_micros(), businesses: vec![BUSINESS.into()] };
    let last = month_index(h.as_of);
    let (from, to) = (month_start(last - 11), naive.as_of);
    let month_of = |t: i64| month_index(history::at(t));
    let mut gross: BTreeMap<(String, i64), (i64, u64)> = BTreeMap::new();
    let mut refunds: BTreeMap<(String, i64), (i64, u64)> = BTreeMap::new();
    for (k, p) in h.payments.iter().enumerate() {
        let (Some(currency), Some(paid)) = (p.currency, p.paid_at) else { continue };
        if !naive.in_scope(p) || p.status != "paid" {
            continue;
        }
        if paid >= from && paid < to {
            let g = gross.entry((currency.into(), month_of(paid))).or_default();
            g.0 += p.total;
            g.1 += 1;
        }
        let listed: Vec<_> = h.refunds.iter().filter(|r| r.payment == k && r.status == "succeeded").collect();
        for r in &listed {
            if r.created_at >= from && r.created_at < to {
                let e = refunds.entry((currency.into(), month_of(r.created_at))).or_default();
                e.0 += r.amount;
                e.1 += 1;
            }
        }
        let rest = p.refunded - listed.iter().map(|r| r.amount).sum::<i64>();
        let when = p.refunded_at.unwrap_or(paid);
        if rest > 0 && when >= from && when < to {
            let e = refunds.entry((currency.into(), month_of(when))).or_default();
            e.0 += rest;
            e.1 += 1;
        }
    }
    for row in net {
        let m = (row.month[..4].parse::<i64>().unwrap()) * 12 + row.month[5..].parse::<i64>().unwrap() - 1;
        let key = (row.currency.clone(), m);
        let g = gross.get(&key).copied().unwrap_or_default();
        let r = refunds.get(&key).copied().unwrap_or_default();
        assert_eq!((row.gross_micros, row.payments), g, "{case}: gross {key:?}");
        assert_eq!((row.refunded_micros, row.refunds), r, "{case}: refunds {key:?}");
        assert_eq!(row.net_micros, g.0 - r.0);
    }
    let currencies = gross.keys().chain(refunds.keys()).map(|(c, _)| c).collect::<BTreeSet<_>>().len();
    assert_eq!(net.len(), currencies * 12, "{case}");
}

/// The cohort grid of the last 12 months against a naive recomputation: the first received
/// payment per customer; active in a month if paid in it or covered at its end.
fn assert_cohorts_match_a_naive_recomputation(grid: &CohortGrid, h: &History, case: &str) {
    let naive = Naive { h, as_of: h.as_of.timestamp_micros(), businesses: vec![BUSINESS.into()] };
    let last = month_index(h.as_of);
    let first = last - 11;
    let received = |p: &&Payment| {
        naive.in_scope(p)
            && p.status == "paid"
            && p.paid_at.is_some_and(|t| t < naive.as_of)
            && p.total > 0
            && p.refunded < p.total
    };
    let mut cohort: BTreeMap<String, i64> = BTreeMap::new();
    let mut active: BTreeSet<(String, i64)> = BTreeSet::new();
    for p in h.payments.iter().filter(received) {
        let customer = h.memberships[p.membership].customer.clone();
        let m = month_index(history::at(p.paid_at.unwrap()));
        cohort.entry(customer.clone()).and_modify(|c| *c = (*c).min(m)).or_insert(m);
        if p.paid_at.unwrap() >= month_start(first) {
            active.insert((customer, m));
        }
    }
    for m in first..=last {
        for (customer, _) in naive.mrr_at(naive.measured(m), Amounts::Any).into_keys() {
            active.insert((customer, m));
        }
    }
    assert_eq!(grid.rows.len(), 12, "{case}");
    for (row_index, row) in grid.rows.iter().enumerate() {
        let c = first + row_index as i64;
        assert_eq!(row.cohort, month_text(c));
        for (k, retained) in row.retained.iter().enumerate() {
            let expected = cohort
                .iter()
                .filter(|(customer, cm)| **cm == c && active.contains(&((*customer).clone(), c + k as i64)))
                .count() as u64;
            assert_eq!(*retained, expected, "{case}: cohort {} +{k}", row.cohort);
        }
    }
}

/// LTV and the top customers, read from each customer's sums (`revenue_customer`), equal the
/// same figures summed from the payments.
async fn assert_customer_sums_match_the_payments(revenue: &Revenue, store: &Store, as_of: DateTime<Utc>, case: &str) {
    let scope = RevenueScope::default();
    let scan = |sql: String| {
        let store = store.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(Option::<String>::None)
                .bind(Option::<String>::None)
                .bind(Option::<String>::None)
                .bind(dealdesk_revenue::months::stored(as_of))
                .fetch_all(store.pool())
                .await
                .unwrap()
        }
    };
    use sqlx::Row;
    let ltv: Vec<(String, Option<String>, String, i64, i64)> = revenue
        .ltv_at(&scope, as_of)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.product_id, r.plan_id, r.currency, r.customers as i64, r.net_micros))
        .collect();
    let scanned: Vec<(String, Option<String>, String, i64, i64)> = scan(dealdesk_revenue::cohorts::ltv_sql())
        .await
        .iter()
        .map(|r| (r.get(0), r.get(2), r.get(4), r.get(5), r.get(6)))
        .collect();
    assert!(!ltv.is_empty(), "{case}");
    assert_eq!(ltv, scanned, "{case}");
    let top: Vec<(String, i64, i64)> = revenue
        .top_customers_at(&scope, as_of)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.user_id, t.net_usd_micros, t.payments as i64))
        .collect();
    let scanned: Vec<(String, i64, i64)> = scan(dealdesk_revenue::cohorts::top_customers_sql())
        .await
        .iter()
        .map(|r| (r.get(0), r.get(3), r.get(4)))
        .collect();
    assert_eq!(top.len(), 10, "{case}");
    assert_eq!(top, scanned, "{case}");
}

/// The customers behind each movement of each month add up to the movement: what the drill-down
/// lists is what the chart counts.
#[tokio::test]
async fn the_customers_behind_each_movement_add_up_to_it() {
    for seed in seeds().into_iter().take(4) {
        let h = history::generate(seed, 60);
        let (_dir, revenue) = open(&h).await;
        let series = revenue.mrr_at(MrrQuery { scope: RevenueScope::default(), months: 12 }, h.as_of).await.unwrap();
        for month in &series.months {
            let drill = |movement: Movement| {
                let revenue = revenue.clone();
                let query = MrrDrill {
                    scope: RevenueScope::default(),
                    month: month.month.clone(),
                    currency: month.currency.clone(),
                    movement,
                };
                async move { revenue.drill_at(query, h.as_of).await.unwrap() }
            };
            let case = format!("seed {seed}, {} {}", month.currency, month.month);
            let rows = drill(Movement::Active).await;
            assert_eq!(rows.len() as u64, month.customers, "{case}");
            assert_eq!(rows.iter().map(|r| r.after_micros).sum::<i64>(), month.mrr_micros, "{case}");
            let rows = drill(Movement::New).await;
            assert_eq!(
                (rows.len() as u64, rows.iter().map(|r| r.after_micros).sum::<i64>()),
                (month.new_customers, month.new_micros),
                "{case}"
            );
            let rows = drill(Movement::Reactivated).await;
            assert_eq!(
                (rows.len() as u64, rows.iter().map(|r| r.after_micros).sum::<i64>()),
                (month.reactivated_customers, month.reactivated_micros),
                "{case}"
            );
            let rows = drill(Movement::Churned).await;
            assert_eq!(
                (rows.len() as u64, rows.iter().map(|r| r.before_micros).sum::<i64>()),
                (month.churned_customers, month.churned_micros),
                "{case}"
            );
            let rows = drill(Movement::Expansion).await;
            assert_eq!(
                rows.iter().map(|r| r.after_micros - r.before_micros).sum::<i64>(),
                month.expansion_micros,
                "{case}"
            );
            let rows = drill(Movement::Contraction).await;
            assert_eq!(
                rows.iter().map(|r| r.before_micros - r.after_micros).sum::<i64>(),
                month.contraction_micros,
                "{case}"
            );
            assert!(rows.iter().all(|r| !r.name.is_empty()), "{case}");
        }
    }
}

#[tokio::test]
async fn net_revenue_recovery_and_summary_match_a_naive_recomputation() {
    for seed in seeds() {
        let h = history::generate(seed, 60);
        let (_dir, revenue) = open(&h).await;
        let naive = Naive { h: &h, as_of: h.as_of.timestamp_micros(), businesses: vec![BUSINESS.into()] };
        let last = month_index(h.as_of);
        let scope = RevenueScope::default();
        let net = revenue.net_revenue_at(&scope, last - 11, last, h.as_of).await.unwrap();
        assert_net_revenue_matches_a_naive_recomputation(&net, &h, &format!("seed {seed}"));

        // Recovery this month and last.
        for m in [last - 1, last] {
            let stats = revenue.recovery_at(&scope, m, h.as_of).await.unwrap();
            let (from, to) = (month_start(m), naive.measured(m));
            let recovered: Vec<&Payment> = h
                .payments
                .iter()
                .filter(|p| naive.in_scope(p) && p.status == "paid" && p.payments_failed > 0 && p.currency.is_some())
                .filter(|p| p.paid_at.is_some_and(|t| t >= from && t < to))
                .collect();
            assert_eq!(stats.recovered_payments, recovered.len() as u64, "seed {seed}");
            assert_eq!(
                stats.recovered.iter().map(|c| c.micros).sum::<i64>(),
                recovered.iter().map(|p| p.total).sum::<i64>()
            );
            let failed: Vec<&Payment> = h
                .payments
                .iter()
                .filter(|p| naive.in_scope(p) && p.created_at >= from && p.created_at < to)
                .filter(|p| {
                    p.payments_failed > 0
                        || (!matches!(p.status, "paid" | "void")
                            && (matches!(p.substatus, "failed" | "past_due" | "uncollectible")
                                || p.failure_message.is_some()))
                })
                .collect();
            assert_eq!(stats.failed_payments, failed.len() as u64, "seed {seed}");
            let paid = failed.iter().filter(|p| p.status == "paid").count();
            assert_eq!(stats.recovery_rate, (!failed.is_empty()).then(|| paid as f64 / failed.len() as f64));
        }

        // The summary's churn rates from the naive movement.
        let summary = revenue.summary_at(SummaryQuery { scope: scope.clone(), month: None }, h.as_of).await.unwrap();
        let usd = naive.series(last, last, Amounts::Usd);
        let usd = usd.first().cloned().unwrap_or_default();
        let start_customers = usd.customers + usd.churned_customers - usd.new_customers - usd.reactivated_customers;
        assert_eq!(
            summary.customer_churn_rate,
            (start_customers > 0).then(|| usd.churned_customers as f64 / start_customers as f64),
            "seed {seed}"
        );
    }
}

#[tokio::test]
async fn cohorts_and_recover_match_a_naive_recomputation() {
    for seed in seeds() {
        let h = history::generate(seed, 60);
        let (_dir, revenue) = open(&h).await;
        let grid = revenue.cohorts_at(&RevenueScope::default(), 12, h.as_of).await.unwrap();
        assert_cohorts_match_a_naive_recomputation(&grid, &h, &format!("seed {seed}"));
        assert!(grid.rows.iter().any(|r| r.customers > 0), "seed {seed}");

        // Recover: every failed latest payment of a live membership, and past-due memberships.
        let list = revenue.recover_at(RevenueScope::default(), h.as_of).await.unwrap();
        let got: BTreeSet<(Option<String>, Option<String>)> =
            list.items.iter().map(|i| (i.membership_id.clone(), i.payment_id.clone())).collect();
        let mut expected = BTreeSet::new();
        for (m, ms) in h.memberships.iter().enumerate() {
            if ms.business != BUSINESS || matches!(ms.status, "canceled" | "expired" | "completed") {
                continue;
            }
            let latest = h.payments.iter().filter(|p| p.membership == m).max_by_key(|p| p.created_at);
            let failed = latest.filter(|p| {
                !matches!(p.status, "paid" | "void")
                    && (p.payments_failed > 0
                        || matches!(p.substatus, "failed" | "past_due" | "uncollectible")
                        || p.failure_message.is_some())
            });
            match failed {
                Some(p) => {
                    expected.insert((Some(ms.id.clone()), Some(p.id.clone())));
                }
                None if ms.status == "past_due" => {
                    expected.insert((Some(ms.id.clone()), None));
                }
                None => {}
            }
        }
        assert_eq!(got, expected, "seed {seed}");
        assert!(list.items.windows(2).all(|w| w[0].priority >= w[1].priority), "seed {seed}: most at stake first");
    }
}

/// The customers behind a net revenue month, a cohort cell and an LTV row add up to the figure
/// itself, on every random history.
#[tokio::test]
async fn the_customers_behind_a_figure_add_up_to_it() {
    use dealdesk_model::revenue::{Figure, FigureQuery};
    for seed in seeds() {
        let h = history::generate(seed, 60);
        let (_dir, revenue) = open(&h).await;
        let scope = RevenueScope::default();
        let behind = |figure: Figure| {
            let revenue = revenue.clone();
            let scope = scope.clone();
            async move { revenue.figure_customers_at(FigureQuery { scope, figure }, h.as_of).await.unwrap() }
        };
        let last = month_index(h.as_of);
        let net = revenue.net_revenue_at(&scope, last - 11, last, h.as_of).await.unwrap();
        let mut checked = 0;
        for month in net.iter().filter(|m| m.payments > 0 || m.refunds > 0) {
            let rows =
                behind(Figure::NetRevenue { month: month.month.clone(), currency: month.currency.clone() }).await;
            let paid: i64 = rows.iter().map(|r| r.paid_micros).sum();
            let refunded: i64 = rows.iter().map(|r| r.refunded_micros).sum();
            assert_eq!((paid, refunded), (month.gross_micros, month.refunded_micros), "seed {seed}: {month:?}");
            assert_eq!(rows.iter().map(|r| r.payments).sum::<u64>(), month.payments, "seed {seed}: {month:?}");
            checked += 1;
        }
        assert!(checked > 0, "seed {seed}: some month has payments");

        let grid = revenue.cohorts_at(&scope, 12, h.as_of).await.unwrap();
        for row in grid.rows.iter().filter(|r| r.customers > 0) {
            let cohort = month_index_of_text(&row.cohort);
            for (k, retained) in row.retained.iter().enumerate() {
                let month = month_text(cohort + k as i64);
                let rows = behind(Figure::Cohort { cohort: row.cohort.clone(), month }).await;
                assert_eq!(rows.len() as u64, *retained, "seed {seed}: cohort {} + {k}", row.cohort);
            }
        }

        for row in revenue.ltv_at(&scope, h.as_of).await.unwrap() {
            let rows = behind(Figure::Ltv {
                product_id: row.product_id.clone(),
                plan_id: row.plan_id.clone(),
                currency: row.currency.clone(),
            })
            .await;
            assert_eq!(rows.len() as u64, row.customers, "seed {seed}: {row:?}");
            let net: i64 = rows.iter().map(|r| r.paid_micros - r.refunded_micros).sum();
            assert_eq!(net, row.net_micros, "seed {seed}: {row:?}");
        }
    }
}

fn month_index_of_text(text: &str) -> i64 {
    dealdesk_revenue::months::parse(text).unwrap()
}
