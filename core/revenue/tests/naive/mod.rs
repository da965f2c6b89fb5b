//! The naive recomputation the revenue figures are checked against: plain Rust over a
//! [`History`], written apart from the SQL on purpose (docs/revenue.md defines both).

#![allow(dead_code, clippy::unwrap_used)]

use crate::history::{History, Payment};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use dealdesk_model::revenue::{ALL_IN_USD, MrrMonth};
use std::collections::{BTreeMap, BTreeSet};

const GRACE_US: i64 = 14 * 86_400_000_000;

pub fn month_index(t: DateTime<Utc>) -> i64 {
    i64::from(t.year()) * 12 + i64::from(t.month0())
}

pub fn month_start(m: i64) -> i64 {
    Utc.with_ymd_and_hms(m.div_euclid(12) as i32, (m.rem_euclid(12) + 1) as u32, 1, 0, 0, 0)
        .single()
        .unwrap()
        .timestamp_micros()
}

pub fn month_text(m: i64) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// Written out again on purpose rather than calling the crate's `normalise`.
pub fn monthly(amount: i64, days: i64) -> i64 {
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

pub struct Naive<'a> {
    pub h: &'a History,
    pub as_of: i64,
    /// The businesses in scope (every synced one).
    pub businesses: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Amounts {
    Native,
    Usd,
    Any,
}

impl<'a> Naive<'a> {
    pub fn in_scope(&self, p: &Payment) -> bool {
        self.businesses.iter().any(|b| b == self.h.memberships[p.membership].business)
    }

    /// The payments that carry MRR, per membership, in time order.
    pub fn counted(&self, m: usize) -> Vec<&'a Payment> {
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

    pub fn amount(&self, p: &Payment, amounts: Amounts) -> Option<i64> {
        match amounts {
            Amounts::Native | Amounts::Any => Some(p.total - p.tax),
            Amounts::Usd => {
                let usd = p.usd.or(if p.currency == Some("USD") { Some(p.total) } else { None })?;
                Some(if p.tax > 0 { usd * (p.total - p.tax) / p.total } else { usd })
            }
        }
    }

    pub fn currency(p: &Payment, amounts: Amounts) -> String {
        match amounts {
            Amounts::Native => p.currency.unwrap_or_default().to_string(),
            Amounts::Usd => ALL_IN_USD.to_string(),
            Amounts::Any => String::new(),
        }
    }

    /// MRR per (customer, currency) at instant `e`.
    pub fn mrr_at(&self, e: i64, amounts: Amounts) -> BTreeMap<(String, String), i64> {
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

    pub fn first_paid(&self, amounts: Amounts) -> BTreeMap<(String, String), i64> {
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

    pub fn measured(&self, m: i64) -> i64 {
        month_start(m + 1).min(self.as_of)
    }

    pub fn series(&self, first: i64, last: i64, amounts: Amounts) -> Vec<MrrMonth> {
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
