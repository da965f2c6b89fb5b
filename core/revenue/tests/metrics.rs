//! Every revenue metric against an independent, naive recomputation over random histories
//! (seeded; seeds that once failed are kept in `KEPT_SEEDS`), on a real SQLite mirror.
#![allow(clippy::unwrap_used)]

mod history;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use dealdesk_model::revenue::{ALL_IN_USD, MrrMonth, MrrQuery, RevenueScope, SummaryQuery};
use dealdesk_revenue::Revenue;
use dealdesk_store::Store;
use history::{BUSINESS, History, Payment};
use std::collections::{BTreeMap, BTreeSet};

/// Seeds that found a disagreement once (kept so it cannot come back), then fresh ones.
const KEPT_SEEDS: &[u64] = &[];
const FRESH_SEEDS: u64 = 12;
const GRACE_US: i64 = 14 * 86_400_000_000;

fn month_index(t: DateTime<Utc>) -> i64 {
    i64::from(t.year()) * 12 + i64::from(t.month0())
}

fn month_start(m: i64) -> i64 {
    Utc.with_ymd_and_hms(m.div_euclid(12) as i32, (m.rem_euclid(12) + 1) as u32, 1, 0, 0, 0)
        .single()
        .unwrap()
        .timestamp_micros()
}

fn month_text(m: i64) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// Written out again on purpose rather than calling the crate's `normalise`.
fn monthly(amount: i64, days: i64) -> i64 {
    let (num, den) = if (28..=31).contains(&days) {
        (1, 1)
    } else if (364..=366).contains(&days) {
        (1, 12)
    } else if days == 7 {
        (52, 12)
    } else if days == 14 {
        (26, 12)
    } else if (89..=92).contains(&days) {
        (1, 3)
    } else if (180..=183).contains(&days) {
        (1, 6)
    } else {
        (243_495, 8_000 * days)
    };
    (amount * num + den / 2) / den
}

struct Naive<'a> {
    h: &'a History,
    as_of: i64,
}

#[derive(Clone, Copy, PartialEq)]
enum Amounts {
    Native,
    Usd,
    Any,
}

impl<'a> Naive<'a> {
    fn in_scope(&self, p: &Payment) -> bool {
        self.h.memberships[p.membership].business == BUSINESS
    }

    /// The payments that carry MRR, per membership, in time order.
    fn counted(&self, m: usize) -> Vec<&'a Payment> {
        let mut out: Vec<&Payment> = self
            .h
            .payments
            .iter()
            .filter(|p| p.membership == m && self.in_scope(p))
            .filter(|p| p.status == "paid" && p.paid_at.is_some_and(|t| t < self.as_of))
            .filter(|p| self.h.plans[p.plan].period_days.is_some_and(|d| d > 0))
            .filter(|p| p.total > 0 && p.refunded < p.total && p.currency.is_some())
            .collect();
        out.sort_by_key(|p| p.paid_at);
        out
    }

    fn amount(&self, p: &Payment, amounts: Amounts) -> Option<i64> {
        match amounts {
            Amounts::Native | Amounts::Any => Some(p.total - p.tax),
            Amounts::Usd => {
                let usd = p.usd.or(if p.currency == Some("USD") { Some(p.total) } else { None })?;
                Some(if p.tax > 0 { usd * (p.total - p.tax) / p.total } else { usd })
            }
        }
    }

    fn currency(p: &Payment, amounts: Amounts) -> String {
        match amounts {
            Amounts::Native => p.currency.unwrap_or_default().to_string(),
            Amounts::Usd => ALL_IN_USD.to_string(),
            Amounts::Any => String::new(),
        }
    }

    /// MRR per (customer, currency) at instant `e`.
    fn mrr_at(&self, e: i64, amounts: Amounts) -> BTreeMap<(String, String), i64> {
        let mut out = BTreeMap::new();
        for (m, ms) in self.h.memberships.iter().enumerate() {
            // A payment without the amount this pass sums (no USD amount) neither covers nor cuts.
            let counted: Vec<&Payment> =
                self.counted(m).into_iter().filter(|p| self.amount(p, amounts).is_some()).collect();
            let ended = matches!(ms.status, "canceled" | "expired" | "completed").then_some(ms.canceled_at).flatten();
            for (i, p) in counted.iter().enumerate() {
                let t0 = p.paid_at.unwrap();
                let period = self.h.plans[p.plan].period_days.unwrap();
                let mut t1 = t0 + period * 86_400_000_000 + GRACE_US;
                if let Some(next) = counted.get(i + 1) {
                    t1 = t1.min(next.paid_at.unwrap());
                }
                if let Some(end) = ended.filter(|end| *end > t0) {
                    t1 = t1.min(end);
                }
                if t0 < e
                    && t1 > e
                    && let Some(amount) = self.amount(p, amounts)
                {
                    *out.entry((ms.customer.clone(), Self::currency(p, amounts))).or_insert(0) +=
                        monthly(amount, period);
                }
            }
        }
        out
    }

    fn first_paid(&self, amounts: Amounts) -> BTreeMap<(String, String), i64> {
        let mut out = BTreeMap::new();
        for m in 0..self.h.memberships.len() {
            for p in self.counted(m) {
                if self.amount(p, amounts).is_none() {
                    continue;
                }
                let key = (self.h.memberships[m].customer.clone(), Self::currency(p, amounts));
                let t = p.paid_at.unwrap();
                out.entry(key).and_modify(|v: &mut i64| *v = (*v).min(t)).or_insert(t);
            }
        }
        out
    }

    fn measured(&self, m: i64) -> i64 {
        month_start(m + 1).min(self.as_of)
    }

    fn series(&self, first: i64, last: i64, amounts: Amounts) -> Vec<MrrMonth> {
        let firsts = self.first_paid(amounts);
        let mut rows: BTreeMap<(String, i64), MrrMonth> = BTreeMap::new();
        for m in first..=last {
            let before = self.mrr_at(self.measured(m - 1), amounts);
            let after = self.mrr_at(self.measured(m), amounts);
            let keys: BTreeSet<&(String, String)> = before.keys().chain(after.keys()).collect();
            for key in keys {
                let (b, a) = (before.get(key).copied().unwrap_or(0), after.get(key).copied().unwrap_or(0));
                let row = rows.entry((key.1.clone(), m)).or_insert_with(|| MrrMonth {
                    month: month_text(m),
                    currency: key.1.clone(),
                    ..MrrMonth::default()
                });
                row.mrr_micros += a;
                if a > 0 {
                    row.customers += 1;
                }
                if b == 0 && a > 0 {
                    if firsts[key] >= self.measured(m - 1) {
                        row.new_micros += a;
                        row.new_customers += 1;
                    } else {
                        row.reactivated_micros += a;
                        row.reactivated_customers += 1;
                    }
                } else if b > 0 && a == 0 {
                    row.churned_micros += b;
                    row.churned_customers += 1;
                } else if a > b {
                    row.expansion_micros += a - b;
                } else if a < b {
                    row.contraction_micros += b - a;
                }
            }
        }
        // Every currency seen gets every month.
        let currencies: BTreeSet<String> = rows.keys().map(|(c, _)| c.clone()).collect();
        let mut out = Vec::new();
        for c in currencies {
            for m in first..=last {
                out.push(rows.remove(&(c.clone(), m)).unwrap_or_else(|| MrrMonth {
                    month: month_text(m),
                    currency: c.clone(),
                    ..MrrMonth::default()
                }));
            }
        }
        out
    }
}

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
        let naive = Naive { h: &h, as_of: h.as_of.timestamp_micros() };
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

#[tokio::test]
async fn net_revenue_recovery_and_summary_match_a_naive_recomputation() {
    for seed in seeds() {
        let h = history::generate(seed, 60);
        let (_dir, revenue) = open(&h).await;
        let naive = Naive { h: &h, as_of: h.as_of.timestamp_micros() };
        let as_of = naive.as_of;
        let last = month_index(h.as_of);
        let scope = RevenueScope::default();
        let net = revenue.net_revenue_at(&scope, last - 11, last, h.as_of).await.unwrap();
        let (from, to) = (month_start(last - 11), as_of);
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
        for row in &net {
            let m = (row.month[..4].parse::<i64>().unwrap()) * 12 + row.month[5..].parse::<i64>().unwrap() - 1;
            let key = (row.currency.clone(), m);
            let g = gross.get(&key).copied().unwrap_or_default();
            let r = refunds.get(&key).copied().unwrap_or_default();
            assert_eq!((row.gross_micros, row.payments), g, "seed {seed} gross {key:?}");
            assert_eq!((row.refunded_micros, row.refunds), r, "seed {seed} refunds {key:?}");
            assert_eq!(row.net_micros, g.0 - r.0);
        }
        assert_eq!(net.len(), gross.keys().chain(refunds.keys()).map(|(c, _)| c).collect::<BTreeSet<_>>().len() * 12);

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
        let naive = Naive { h: &h, as_of: h.as_of.timestamp_micros() };
        let last = month_index(h.as_of);
        let first = last - 11;
        let grid = revenue.cohorts_at(&RevenueScope::default(), 12, h.as_of).await.unwrap();
        // Naive: first received payment per customer; active in a month if paid in it or covered at its end.
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
        for (row_index, row) in grid.rows.iter().enumerate() {
            let c = first + row_index as i64;
            assert_eq!(row.cohort, month_text(c));
            for (k, retained) in row.retained.iter().enumerate() {
                let expected = cohort
                    .iter()
                    .filter(|(customer, cm)| **cm == c && active.contains(&((*customer).clone(), c + k as i64)))
                    .count() as u64;
                assert_eq!(*retained, expected, "seed {seed} cohort {} +{k}", row.cohort);
            }
        }
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
