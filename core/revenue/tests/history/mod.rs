//! Random Whop histories for the revenue tests: generated (seeded), written into a real SQLite
//! mirror, and recomputed naively in plain Rust from the generated structs, never from SQL.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use dealdesk_store::Store;

pub const BUSINESS: &str = "biz_1";
pub const FOREIGN_BUSINESS: &str = "biz_foreign";
const DAY_US: i64 = 86_400_000_000;

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub id: String,
    pub product: String,
    /// `None`: a one-time plan.
    pub period_days: Option<i64>,
    pub price: i64,
    pub currency: &'static str,
    pub trial_days: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Membership {
    pub id: String,
    pub customer: String,
    pub plan: usize,
    pub status: &'static str,
    pub canceled_at: Option<i64>,
    pub business: &'static str,
}

#[derive(Clone, Debug)]
pub struct Payment {
    pub id: String,
    pub membership: usize,
    pub plan: usize,
    pub status: &'static str,
    pub substatus: &'static str,
    pub total: i64,
    pub tax: i64,
    pub usd: Option<i64>,
    pub refunded: i64,
    pub refunded_at: Option<i64>,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub currency: Option<&'static str>,
    pub payments_failed: i64,
    pub failure_message: Option<&'static str>,
    pub next_attempt: Option<i64>,
    pub retryable: bool,
}

#[derive(Clone, Debug)]
pub struct Refund {
    pub payment: usize,
    pub amount: i64,
    pub created_at: i64,
    pub status: &'static str,
}

pub struct History {
    pub as_of: DateTime<Utc>,
    pub plans: Vec<Plan>,
    pub memberships: Vec<Membership>,
    pub payments: Vec<Payment>,
    pub refunds: Vec<Refund>,
}

pub fn at(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().expect("in range")
}

pub fn text(us: i64) -> String {
    dealdesk_store::time::format(at(us))
}

pub fn plans() -> Vec<Plan> {
    let plan = |id: &str, product: &str, period: Option<i64>, price: i64, currency, trial: Option<i64>| Plan {
        id: id.into(),
        product: product.into(),
        period_days: period,
        price,
        currency,
        trial_days: trial,
    };
    vec![
        plan("plan_m10", "prod_a", Some(30), 10_000_000, "USD", None),
        plan("plan_m25", "prod_a", Some(30), 25_000_000, "USD", Some(7)),
        plan("plan_y120", "prod_a", Some(365), 120_000_000, "USD", None),
        plan("plan_w5", "prod_b", Some(7), 5_000_000, "USD", None),
        plan("plan_45d", "prod_b", Some(45), 40_000_000, "USD", None),
        plan("plan_eur9", "prod_c", Some(30), 9_000_000, "EUR", None),
        plan("plan_eur_y", "prod_c", Some(365), 90_000_000, "EUR", None),
        plan("plan_once50", "prod_d", None, 50_000_000, "USD", None),
        plan("plan_free", "prod_d", Some(30), 0, "USD", None),
    ]
}

/// A seller's history up to `as_of`: customers joining over 18 months, renewals on schedule,
/// failures (recovered or not), cancellations, plan changes, refunds, trials, free and one-time
/// plans, a second currency, missing USD amounts, unknown currencies and another business.
pub fn generate(seed: u64, customers: usize) -> History {
    let mut rng = Rng::new(seed);
    let as_of = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).single().expect("valid").timestamp_micros()
        + rng.below(20 * DAY_US as u64) as i64;
    let plans = plans();
    let mut h = History {
        as_of: at(as_of),
        plans: plans.clone(),
        memberships: Vec::new(),
        payments: Vec::new(),
        refunds: Vec::new(),
    };
    for c in 0..customers {
        let customer = format!("user_{c}");
        let n_memberships = 1 + usize::from(rng.chance(25));
        for _ in 0..n_memberships {
            let plan = rng.below(plans.len() as u64) as usize;
            let start = as_of - rng.below(540 * DAY_US as u64) as i64;
            let business = if rng.chance(4) { FOREIGN_BUSINESS } else { BUSINESS };
            let m = h.memberships.len();
            h.memberships.push(Membership {
                id: format!("mem_{m}"),
                customer: customer.clone(),
                plan,
                status: "active",
                canceled_at: None,
                business,
            });
            simulate(&mut h, &mut rng, m, start, as_of);
        }
    }
    h
}

fn simulate(h: &mut History, rng: &mut Rng, m: usize, start: i64, as_of: i64) {
    let mut plan = h.memberships[m].plan;
    let mut t = start;
    if let Some(trial) = h.plans[plan].trial_days {
        pay(h, rng, m, plan, t, 0);
        t += trial * DAY_US;
    }
    let Some(_) = h.plans[plan].period_days else {
        if t < as_of {
            pay(h, rng, m, plan, t, h.plans[plan].price);
        }
        h.memberships[m].status = "completed";
        return;
    };
    while t < as_of {
        let roll = rng.below(100);
        if roll < 5 {
            // Canceled at the renewal: no payment.
            h.memberships[m].status = if rng.chance(50) { "canceled" } else { "expired" };
            h.memberships[m].canceled_at = Some(t);
            return;
        }
        if roll < 12 {
            // The renewal fails.
            let k = pay(h, rng, m, plan, t, h.plans[plan].price);
            let p = &mut h.payments[k];
            p.payments_failed = 1 + rng.below(3) as i64;
            p.failure_message = Some("Your card was declined.");
            let recovered_after = (1 + rng.below(10) as i64) * DAY_US;
            if rng.chance(50) && t + recovered_after < as_of {
                p.paid_at = Some(t + recovered_after);
            } else if t + 14 * DAY_US < as_of {
                p.status = "uncollectible";
                p.substatus = "failed";
                p.paid_at = None;
                p.retryable = false;
                h.memberships[m].status = "canceled";
                h.memberships[m].canceled_at = Some(t + 14 * DAY_US);
                return;
            } else {
                p.status = "open";
                p.substatus = "failed";
                p.paid_at = None;
                p.retryable = true;
                p.next_attempt = Some(t + 3 * DAY_US);
                h.memberships[m].status = "past_due";
                return;
            }
        } else if roll < 17 {
            // A plan change to another renewal plan in the same currency (any period).
            let currency = h.plans[plan].currency;
            let others: Vec<usize> = (0..h.plans.len())
                .filter(|&i| i != plan && h.plans[i].currency == currency && h.plans[i].period_days.is_some())
                .collect();
            if !others.is_empty() {
                plan = others[rng.below(others.len() as u64) as usize];
                h.memberships[m].plan = plan;
            }
            pay(h, rng, m, plan, t, h.plans[plan].price);
        } else {
            pay(h, rng, m, plan, t, h.plans[plan].price);
        }
        t += h.plans[plan].period_days.unwrap_or(30) * DAY_US;
    }
    if rng.chance(10) {
        h.memberships[m].status = "canceling";
    }
}

/// A paid payment at about `t` (refunded now and then), returning its index.
fn pay(h: &mut History, rng: &mut Rng, m: usize, plan: usize, t: i64, total: i64) -> usize {
    let p = &h.plans[plan];
    let tax = if total > 0 && rng.chance(10) { total / 10 } else { 0 };
    let currency = if rng.chance(2) { None } else { Some(p.currency) };
    let usd = match p.currency {
        "USD" if rng.chance(80) => Some(total),
        "USD" => None,
        _ if rng.chance(85) => Some(total * 108 / 100),
        _ => None,
    };
    let created = t + rng.below(60_000_000) as i64;
    let k = h.payments.len();
    h.payments.push(Payment {
        id: format!("pay_{k}"),
        membership: m,
        plan,
        status: "paid",
        substatus: "succeeded",
        total,
        tax,
        usd,
        refunded: 0,
        refunded_at: None,
        created_at: created,
        paid_at: Some(created + 1_500_000),
        currency,
        payments_failed: 0,
        failure_message: None,
        next_attempt: None,
        retryable: false,
    });
    if total > 0 && rng.chance(5) {
        let when = created + (1 + rng.below(20) as i64) * DAY_US;
        let amount = if rng.chance(50) { total } else { total / 4 };
        let listed = rng.chance(80);
        let payment = &mut h.payments[k];
        payment.refunded = amount;
        payment.refunded_at = Some(when);
        if listed {
            h.refunds.push(Refund { payment: k, amount, created_at: when, status: "succeeded" });
        }
        if rng.chance(20) {
            h.refunds.push(Refund { payment: k, amount: total, created_at: when, status: "failed" });
        }
    }
    k
}

/// Writes the history into the mirror tables, as a sync would have.
pub async fn write(store: &Store, h: &History) {
    let pool = store.pool();
    let now = text(h.as_of.timestamp_micros());
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO whop_account (id, title, synced_at, raw) VALUES (?1, 'Biz', ?2, '{}')")
        .bind(BUSINESS)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    for p in &h.plans {
        sqlx::query(
            "INSERT INTO whop_plan (id, account_id, product_id, plan_type, billing_period, initial_price_micros,
                                    renewal_price_micros, currency, title, trial_period_days, synced_at, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, '{}')",
        )
        .bind(&p.id)
        .bind(BUSINESS)
        .bind(&p.product)
        .bind(if p.period_days.is_some() { "renewal" } else { "one_time" })
        .bind(p.period_days)
        .bind(p.price)
        .bind(p.period_days.map(|_| p.price))
        .bind(p.currency)
        .bind(format!("{} plan", p.id))
        .bind(p.trial_days)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    for m in &h.memberships {
        sqlx::query(
            "INSERT INTO whop_membership (id, account_id, status, user_id, member_id, product_id, plan_id, currency,
                                          canceled_at, created_at, synced_at, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, '{}')",
        )
        .bind(&m.id)
        .bind(m.business)
        .bind(m.status)
        .bind(&m.customer)
        .bind(format!("mber_{}", m.customer))
        .bind(&h.plans[m.plan].product)
        .bind(&h.plans[m.plan].id)
        .bind(h.plans[m.plan].currency)
        .bind(m.canceled_at.map(text))
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    for p in &h.payments {
        let m = &h.memberships[p.membership];
        sqlx::query(
            "INSERT INTO whop_payment (id, account_id, status, substatus, user_id, member_id, membership_id, product_id,
                                       plan_id, total_micros, tax_micros, usd_total_micros, refunded_micros, refunded_at,
                                       currency, paid_at, created_at, payments_failed, failure_message,
                                       next_payment_attempt, retryable, billing_reason, synced_at, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                     'subscription_cycle', ?22, '{}')",
        )
        .bind(&p.id)
        .bind(m.business)
        .bind(p.status)
        .bind(p.substatus)
        .bind(&m.customer)
        .bind(format!("mber_{}", m.customer))
        .bind(&m.id)
        .bind(&h.plans[p.plan].product)
        .bind(&h.plans[p.plan].id)
        .bind(p.total)
        .bind(p.tax)
        .bind(p.usd)
        .bind(p.refunded)
        .bind(p.refunded_at.map(text))
        .bind(p.currency)
        .bind(p.paid_at.map(text))
        .bind(text(p.created_at))
        .bind(p.payments_failed)
        .bind(p.failure_message)
        .bind(p.next_attempt.map(text))
        .bind(p.retryable)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    for (i, r) in h.refunds.iter().enumerate() {
        sqlx::query(
            "INSERT INTO whop_refund (id, account_id, payment_id, amount_micros, currency, status, created_at,
                                      synced_at, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '{}')",
        )
        .bind(format!("rfnd_{i}"))
        .bind(h.memberships[h.payments[r.payment].membership].business)
        .bind(&h.payments[r.payment].id)
        .bind(r.amount)
        .bind(h.payments[r.payment].currency)
        .bind(r.status)
        .bind(text(r.created_at))
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

pub fn day_us() -> i64 {
    DAY_US
}

pub fn duration_days(days: i64) -> Duration {
    Duration::days(days)
}

/// Hand-built histories for the fixtures.
impl History {
    pub fn empty(as_of: &str) -> History {
        History {
            as_of: dealdesk_store::time::parse(as_of).expect("as_of"),
            plans: plans(),
            memberships: Vec::new(),
            payments: Vec::new(),
            refunds: Vec::new(),
        }
    }

    pub fn plan(&self, id: &str) -> usize {
        self.plans.iter().position(|p| p.id == id).expect("a known plan")
    }

    pub fn membership(&mut self, customer: &str, plan: &str, status: &'static str) -> usize {
        let plan = self.plan(plan);
        self.memberships.push(Membership {
            id: format!("mem_{}", self.memberships.len()),
            customer: customer.into(),
            plan,
            status,
            canceled_at: None,
            business: BUSINESS,
        });
        self.memberships.len() - 1
    }

    /// A paid payment of `total` micros at `when` (`2026-11-20T10:00:00Z`), on `plan`.
    pub fn paid(&mut self, m: usize, plan: &str, when: &str, total: i64) -> usize {
        let plan = self.plan(plan);
        let at = dealdesk_store::time::parse(when).expect("when").timestamp_micros();
        let currency = self.plans[plan].currency;
        self.payments.push(Payment {
            id: format!("pay_{}", self.payments.len()),
            membership: m,
            plan,
            status: "paid",
            substatus: "succeeded",
            total,
            tax: 0,
            usd: (currency == "USD").then_some(total),
            refunded: 0,
            refunded_at: None,
            created_at: at - 1_000_000,
            paid_at: Some(at),
            currency: Some(currency),
            payments_failed: 0,
            failure_message: None,
            next_attempt: None,
            retryable: false,
        });
        self.payments.len() - 1
    }

    /// A refund of `amount` on payment `k` at `when`; `listed`: Whop's refund object is synced too.
    pub fn refund(&mut self, k: usize, amount: i64, when: &str, listed: bool) {
        let at = dealdesk_store::time::parse(when).expect("when").timestamp_micros();
        self.payments[k].refunded += amount;
        self.payments[k].refunded_at = Some(at);
        if listed {
            self.refunds.push(Refund { payment: k, amount, created_at: at, status: "succeeded" });
        }
    }
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn micros(text: &Option<String>) -> Option<i64> {
    text.as_deref().and_then(|t| dealdesk_store::time::parse(t).ok()).map(|t| t.timestamp_micros())
}

/// A synced mirror read back as a history, so the naive recomputation runs on what a sync wrote.
/// Payments whose plan or membership is not in the mirror get stand-ins that count as SQL counts
/// them (a plan that is not synced carries no MRR).
pub async fn read(store: &Store, as_of: DateTime<Utc>) -> History {
    let pool = store.pool();
    type PlanRow = (String, Option<String>, Option<String>, Option<i64>, Option<i64>, Option<String>, Option<i64>);
    let plan_rows: Vec<PlanRow> = sqlx::query_as(
        "SELECT id, product_id, plan_type, billing_period, renewal_price_micros, currency, trial_period_days FROM whop_plan",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut plans: Vec<Plan> = plan_rows
        .into_iter()
        .map(|(id, product, plan_type, period, price, currency, trial)| Plan {
            id,
            product: product.unwrap_or_default(),
            period_days: period.filter(|_| plan_type.as_deref() == Some("renewal")),
            price: price.unwrap_or(0),
            currency: leak(currency.unwrap_or_default()),
            trial_days: trial,
        })
        .collect();
    let unknown_plan = plans.len();
    plans.push(Plan {
        id: "(not synced)".into(),
        product: String::new(),
        period_days: None,
        price: 0,
        currency: "",
        trial_days: None,
    });
    let plan_of = |id: &Option<String>| id.as_ref().and_then(|id| plans.iter().position(|p| &p.id == id));

    type MembershipRow = (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
    let rows: Vec<MembershipRow> =
        sqlx::query_as("SELECT id, account_id, status, user_id, plan_id, canceled_at FROM whop_membership")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut memberships: Vec<Membership> = rows
        .iter()
        .map(|(id, account, status, user, plan, canceled)| Membership {
            id: id.clone(),
            customer: user.clone().unwrap_or_else(|| id.clone()),
            plan: plan_of(plan).unwrap_or(unknown_plan),
            status: leak(status.clone().unwrap_or_default()),
            canceled_at: micros(canceled),
            business: leak(account.clone().unwrap_or_default()),
        })
        .collect();

    #[derive(sqlx::FromRow)]
    struct PaymentRow {
        id: String,
        account_id: Option<String>,
        status: Option<String>,
        substatus: Option<String>,
        user_id: Option<String>,
        membership_id: Option<String>,
        plan_id: Option<String>,
        total_micros: Option<i64>,
        tax_micros: Option<i64>,
        usd_total_micros: Option<i64>,
        refunded_micros: Option<i64>,
        refunded_at: Option<String>,
        currency: Option<String>,
        paid_at: Option<String>,
        created_at: Option<String>,
        payments_failed: Option<i64>,
        failure_message: Option<String>,
        next_payment_attempt: Option<String>,
        retryable: Option<bool>,
    }
    let rows: Vec<PaymentRow> = sqlx::query_as(
        "SELECT id, account_id, status, substatus, user_id, membership_id, plan_id, total_micros, tax_micros,
                usd_total_micros, refunded_micros, refunded_at, currency, paid_at, created_at, payments_failed,
                failure_message, next_payment_attempt, retryable
         FROM whop_payment WHERE membership_id IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut payments = Vec::new();
    for row in rows {
        let membership_id = row.membership_id.clone().unwrap_or_default();
        let m = match memberships.iter().position(|m| m.id == membership_id) {
            Some(m) => m,
            None => {
                memberships.push(Membership {
                    id: membership_id.clone(),
                    customer: row.user_id.clone().unwrap_or_else(|| membership_id.clone()),
                    plan: unknown_plan,
                    status: "",
                    canceled_at: None,
                    business: leak(row.account_id.clone().unwrap_or_default()),
                });
                memberships.len() - 1
            }
        };
        payments.push(Payment {
            id: row.id,
            membership: m,
            plan: plan_of(&row.plan_id).unwrap_or(memberships[m].plan),
            status: leak(row.status.unwrap_or_default()),
            substatus: leak(row.substatus.unwrap_or_default()),
            total: row.total_micros.unwrap_or(0),
            tax: row.tax_micros.unwrap_or(0),
            usd: row.usd_total_micros,
            refunded: row.refunded_micros.unwrap_or(0),
            refunded_at: micros(&row.refunded_at),
            created_at: micros(&row.created_at).unwrap_or(0),
            paid_at: micros(&row.paid_at),
            currency: row.currency.map(leak),
            payments_failed: row.payments_failed.unwrap_or(0),
            failure_message: row.failure_message.map(leak),
            next_attempt: micros(&row.next_payment_attempt),
            retryable: row.retryable.unwrap_or(false),
        });
    }
    type RefundRow = (String, Option<i64>, Option<String>, Option<String>);
    let refund_rows: Vec<RefundRow> =
        sqlx::query_as("SELECT payment_id, amount_micros, created_at, status FROM whop_refund")
            .fetch_all(pool)
            .await
            .unwrap();
    let refunds = refund_rows
        .into_iter()
        .filter_map(|(payment_id, amount, created, status)| {
            Some(Refund {
                payment: payments.iter().position(|p| p.id == payment_id)?,
                amount: amount.unwrap_or(0),
                created_at: micros(&created).unwrap_or(0),
                status: leak(status.unwrap_or_default()),
            })
        })
        .collect();
    History { as_of, plans, memberships, payments, refunds }
}
