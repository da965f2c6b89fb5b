//! The churn segments and the at-risk score, read from each customer's kept facts
//! (`churn_customer`), against a naive recomputation from the mirror's rows, on random histories
//! and after each kind of write that changes them.
#![allow(clippy::unwrap_used)]

mod history;

use chrono::{DateTime, Duration, Utc};
use dealdesk_model::revenue::{AT_RISK_SCORE, ChurnSegment, RevenueScope};
use dealdesk_revenue::{Revenue, churn, months};
use dealdesk_store::Store;
use history::{BUSINESS, FOREIGN_BUSINESS, Rng};
use std::collections::{BTreeMap, BTreeSet};

const LEAVING: [&str; 6] = ["canceling", "expiring", "past_due", "paused", "churned", "left"];

/// One customer as the documented rules see them (docs/revenue.md, "Churn").
#[derive(Debug, PartialEq)]
struct Expected {
    score: u32,
    segments: Vec<ChurnSegment>,
}

/// Every customer with a membership in `businesses` (or in none when `unnamed`) and `product`,
/// from the mirror's rows.
async fn naive(
    store: &Store,
    as_of: DateTime<Utc>,
    businesses: &[&str],
    unnamed: bool,
    product: Option<&str>,
) -> BTreeMap<String, Expected> {
    let pool = store.pool();
    let stored = |t: DateTime<Utc>| months::stored(t);
    let now = stored(as_of);
    let trial_horizon = stored(as_of + Duration::days(churn::TRIAL_ENDING_DAYS));
    let month_start = stored(months::start(months::index_of(as_of)));
    let quiet_payment = stored(as_of - Duration::days(churn::QUIET_PAYMENT_DAYS));
    let quiet_note = stored(as_of - Duration::days(churn::QUIET_NOTE_DAYS));
    type MembershipRow = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let memberships: Vec<MembershipRow> = sqlx::query_as(
        "SELECT user_id, account_id, product_id, status, cancel_at_period_end, payment_collection_paused,
                renewal_period_end, canceled_at
         FROM whop_membership WHERE user_id IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let paid: Vec<(String, String)> =
        sqlx::query_as("SELECT user_id, paid_at FROM whop_payment WHERE status = 'paid' AND user_id IS NOT NULL")
            .fetch_all(pool)
            .await
            .unwrap();
    let actions: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT user_id, most_recent_action FROM whop_member WHERE user_id IS NOT NULL")
            .fetch_all(pool)
            .await
            .unwrap();
    let links: BTreeMap<String, String> = sqlx::query_as("SELECT user_id, person_id FROM whop_person")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let notes: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.record_id, n.created_at FROM note n JOIN note_target t ON t.note_id = n.id
         WHERE t.record_kind = 'person' AND n.deleted_at IS NULL",
    )
    .fetch_all(pool)
    .await
    .unwrap();

    #[derive(Default)]
    struct Flags {
        live: bool,
        canceling: bool,
        past_due: bool,
        trial_ending: bool,
        paused: bool,
        ended_now: bool,
        trialing: bool,
    }
    let mut flags: BTreeMap<String, Flags> = BTreeMap::new();
    for (user, account, product_id, status, cancel_at_end, paused, period_end, canceled_at) in &memberships {
        if account.as_deref().map_or(!unnamed, |a| !businesses.contains(&a))
            || product.is_some_and(|p| product_id.as_deref() != Some(p))
        {
            continue;
        }
        let f = flags.entry(user.clone()).or_default();
        let status = status.as_deref().unwrap_or("");
        let live = ["active", "trialing", "past_due", "canceling"].contains(&status);
        f.live |= live;
        f.canceling |= ["active", "trialing", "canceling"].contains(&status)
            && (status == "canceling" || *cancel_at_end == Some(1));
        f.past_due |= status == "past_due";
        f.trial_ending |= status == "trialing"
            && period_end.as_deref().is_some_and(|e| e >= now.as_str() && e < trial_horizon.as_str());
        f.paused |= live && *paused == Some(1);
        f.ended_now |= ["canceled", "expired", "completed"].contains(&status)
            && canceled_at.as_deref().is_some_and(|c| c >= month_start.as_str() && c < now.as_str());
        f.trialing |= status == "trialing";
    }
    let mut out = BTreeMap::new();
    for (user, f) in flags {
        let last_paid = paid.iter().filter(|(u, _)| *u == user).map(|(_, t)| t.as_str()).max().unwrap_or("");
        let action = actions.iter().filter(|(u, _)| *u == user).filter_map(|(_, a)| a.as_deref()).max().unwrap_or("");
        let person = links.get(&user);
        let last_note = notes.iter().filter(|(p, _)| Some(p) == person).map(|(_, t)| t.as_str()).max().unwrap_or("");
        let points = |on: bool, p: u32| if on { p } else { 0 };
        let score = if f.live && !f.trialing || f.past_due || f.canceling {
            (points(f.past_due, 40)
                + points(f.canceling, 35)
                + points(f.paused, 25)
                + points(LEAVING.contains(&action), 15)
                + points(last_paid < quiet_payment.as_str(), 15)
                + points(f.trial_ending, 10)
                + points(last_note < quiet_note.as_str(), 10))
            .min(100)
        } else if f.live {
            (points(f.trial_ending, 10) + points(f.paused, 25)).min(100)
        } else {
            0
        };
        let mut segments = Vec::new();
        for (on, segment) in [
            (f.canceling, ChurnSegment::Canceling),
            (f.ended_now && !f.live, ChurnSegment::ChurnedThisMonth),
            (f.past_due, ChurnSegment::PastDue),
            (f.trial_ending, ChurnSegment::TrialEnding),
            (f.paused, ChurnSegment::Paused),
            (f.live && score >= AT_RISK_SCORE, ChurnSegment::AtRisk),
        ] {
            if on {
                segments.push(segment);
            }
        }
        segments.sort();
        out.insert(user, Expected { score, segments });
    }
    out
}

/// The counts and every customer's score and segments, in `scope`, against the naive ones.
async fn assert_churn_matches(
    revenue: &Revenue,
    store: &Store,
    as_of: DateTime<Utc>,
    scope: &RevenueScope,
    case: &str,
) {
    let connected: Vec<String> =
        sqlx::query_scalar("SELECT id FROM whop_account").fetch_all(store.pool()).await.unwrap();
    let businesses: Vec<&str> = match &scope.business {
        Some(b) => vec![b.as_str()],
        None => connected.iter().map(String::as_str).collect(),
    };
    // A business's view leaves out the memberships that name no business.
    let expected = naive(store, as_of, &businesses, scope.business.is_none(), scope.product.as_deref()).await;
    let customers = revenue.churn_customers_at(scope, None, as_of).await.unwrap();
    let got: BTreeMap<String, Expected> =
        customers.into_iter().map(|c| (c.user_id, Expected { score: c.score, segments: c.segments })).collect();
    assert_eq!(got, expected, "{case}");
    let counts = revenue.segments_at(scope, as_of).await.unwrap();
    for count in counts {
        let naive_count = expected.values().filter(|e| e.segments.contains(&count.segment)).count() as u64;
        assert_eq!(count.customers, naive_count, "{case}: {:?}", count.segment);
    }
}

/// Whop's other signals, which the generated histories do not have: trials ending around now,
/// paused collection, cancellations at the period's end, member actions, people and their notes.
async fn add_signals(store: &Store, rng: &mut Rng, as_of: DateTime<Utc>) {
    let pool = store.pool();
    let at = |days: i64| months::stored(as_of + Duration::days(days));
    let ids: Vec<(String, String)> =
        sqlx::query_as("SELECT id, user_id FROM whop_membership ORDER BY id").fetch_all(pool).await.unwrap();
    for (id, _) in &ids {
        let roll = rng.below(100);
        let sql = match roll {
            0..10 => "UPDATE whop_membership SET status = 'trialing', renewal_period_end = ?2 WHERE id = ?1",
            10..18 => "UPDATE whop_membership SET payment_collection_paused = 1 WHERE id = ?1",
            18..26 => "UPDATE whop_membership SET cancel_at_period_end = 1, renewal_period_end = ?2 WHERE id = ?1",
            26..31 => "UPDATE whop_membership SET status = 'past_due' WHERE id = ?1",
            31..36 => "UPDATE whop_membership SET status = 'canceled', canceled_at = ?3 WHERE id = ?1",
            _ => continue,
        };
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(at(rng.below(20) as i64 - 5))
            .bind(at(-(rng.below(40) as i64)))
            .execute(pool)
            .await
            .unwrap();
    }
    let users: BTreeSet<&String> = ids.iter().map(|(_, u)| u).collect();
    for user in users {
        if rng.chance(50) {
            let action = ["canceling", "active", "past_due", "left", "paused"][rng.below(5) as usize];
            sqlx::query(
                "INSERT INTO whop_member (id, user_id, most_recent_action, synced_at, raw) VALUES (?1, ?2, ?3, ?4, '{}')",
            )
            .bind(format!("mber_{user}"))
            .bind(user)
            .bind(action)
            .bind(at(0))
            .execute(pool)
            .await
            .unwrap();
        }
        if rng.chance(60) {
            let person = format!("p_{user}");
            sqlx::query(
                "INSERT INTO person (id, first_name, last_name, created_at, updated_at) VALUES (?1, ?2, 'C', ?3, ?3)",
            )
            .bind(&person)
            .bind(user)
            .bind(at(-400))
            .execute(pool)
            .await
            .unwrap();
            sqlx::query("INSERT INTO whop_person (user_id, person_id) VALUES (?1, ?2)")
                .bind(user)
                .bind(&person)
                .execute(pool)
                .await
                .unwrap();
            if rng.chance(50) {
                add_note(store, &format!("n_{user}"), &person, &at(-(rng.below(200) as i64))).await;
            }
        }
    }
}

async fn add_note(store: &Store, note: &str, person: &str, at: &str) {
    sqlx::query("INSERT INTO note (id, body, created_at, updated_at) VALUES (?1, 'Called', ?2, ?2)")
        .bind(note)
        .bind(at)
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO note_target (note_id, record_kind, record_id) VALUES (?1, 'person', ?2)")
        .bind(note)
        .bind(person)
        .execute(store.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn kept_churn_facts_follow_every_write_that_changes_them() {
    // `?1` now, `?2` yesterday, `?3` a small number that picks a row; `?4`…`?8` now -2 days,
    // +3 days, +30 days, -1 year, +1 day. (Parameters a statement does not name are not bound.)
    let changes = [
        // Three trials for one customer, ended two days ago (still trialing), ending in three days
        // and in a month: only the middle one is "ending", between the first and last kept ends.
        "INSERT INTO whop_membership (id, account_id, status, user_id, renewal_period_end, synced_at, raw)
         VALUES ('mem_t1', 'biz_1', 'trialing', 'user_trials', ?4, ?1, '{}'),
                ('mem_t2', 'biz_1', 'trialing', 'user_trials', ?5, ?1, '{}'),
                ('mem_t3', NULL, 'trialing', 'user_trials', ?6, ?1, '{}')",
        // Memberships that ended a year ago, yesterday and (an odd date) tomorrow.
        "INSERT INTO whop_membership (id, account_id, status, user_id, canceled_at, synced_at, raw)
         VALUES ('mem_e1', 'biz_1', 'canceled', 'user_ended', ?7, ?1, '{}'),
                ('mem_e2', 'biz_1', 'expired', 'user_ended', ?2, ?1, '{}'),
                ('mem_e3', 'biz_1', 'canceled', 'user_ended', ?8, ?1, '{}')",
        "UPDATE whop_membership SET status = 'past_due'
         WHERE id = (SELECT id FROM whop_membership WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET ?3)",
        "UPDATE whop_membership SET status = 'canceled', canceled_at = ?2
         WHERE id = (SELECT id FROM whop_membership WHERE status = 'canceling' OR cancel_at_period_end = 1
                     ORDER BY id LIMIT 1 OFFSET ?3 % 2)",
        // A quiet customer pays today.
        "INSERT INTO whop_payment (id, account_id, status, user_id, membership_id, total_micros, currency, paid_at,
                                   created_at, synced_at, raw)
         SELECT 'pay_today', account_id, 'paid', user_id, id, 10000000, 'USD', ?1, ?1, ?1, '{}'
         FROM whop_membership WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET ?3",
        // The latest payment of a customer is gone from the mirror.
        "DELETE FROM whop_payment WHERE id = (SELECT id FROM whop_payment WHERE status = 'paid'
                                              ORDER BY paid_at DESC, id LIMIT 1 OFFSET ?3)",
        // A note on a customer's person; a note deleted (then gone for good).
        "INSERT INTO note (id, body, created_at, updated_at) VALUES ('n_today', 'Renewing', ?1, ?1)",
        "INSERT INTO note_target (note_id, record_kind, record_id)
         SELECT 'n_today', 'person', person_id FROM whop_person ORDER BY user_id LIMIT 1 OFFSET ?3",
        "UPDATE note SET deleted_at = ?1 WHERE id = (SELECT note_id FROM note_target ORDER BY note_id LIMIT 1 OFFSET ?3)",
        "DELETE FROM note WHERE id = 'n_today'",
        // Whop says a member left; a member row gone.
        // (written as the sync writes, an upsert: it overrides a trigger's own conflict clause)
        "INSERT INTO whop_member (id, user_id, most_recent_action, synced_at, raw)
         SELECT id, user_id, 'left', ?1, '{}' FROM whop_member WHERE true ORDER BY id LIMIT 1 OFFSET ?3
         ON CONFLICT (id) DO UPDATE SET most_recent_action = excluded.most_recent_action",
        "DELETE FROM whop_member WHERE id = (SELECT id FROM whop_member ORDER BY id DESC LIMIT 1 OFFSET ?3)",
        // A customer linked to another person (one with a recent note), and a link removed.
        "UPDATE whop_person SET person_id = (SELECT record_id FROM note_target ORDER BY note_id DESC LIMIT 1)
         WHERE user_id = (SELECT user_id FROM whop_person ORDER BY user_id DESC LIMIT 1 OFFSET ?3)",
        "DELETE FROM whop_person WHERE user_id = (SELECT user_id FROM whop_person ORDER BY user_id LIMIT 1 OFFSET ?3)",
        // The other business connected (its memberships count), then removed again.
        "INSERT INTO whop_account (id, title, synced_at, raw) VALUES ('biz_foreign', 'Other', ?1, '{}')",
        "DELETE FROM whop_account WHERE id = 'biz_foreign'",
        // A membership Whop sent without a status: no signal, and no error.
        "UPDATE whop_membership SET status = NULL
         WHERE id = (SELECT id FROM whop_membership WHERE status = 'active' ORDER BY id DESC LIMIT 1 OFFSET ?3)",
        // A membership gone from the mirror.
        "DELETE FROM whop_membership WHERE id = (SELECT id FROM whop_membership ORDER BY id LIMIT 1 OFFSET ?3)",
    ];
    assert_eq!(FOREIGN_BUSINESS, "biz_foreign");
    for seed in [1_u64, 7_919, 15_838] {
        let h = history::generate(seed, 60);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        history::write(&store, &h).await;
        let mut rng = Rng::new(seed);
        add_signals(&store, &mut rng, h.as_of).await;
        let revenue = Revenue::new(store.clone());
        let all = RevenueScope::default();
        let one = RevenueScope { business: Some(BUSINESS.into()), product: None };
        let product: Option<String> =
            sqlx::query_scalar("SELECT min(product_id) FROM whop_membership").fetch_one(store.pool()).await.unwrap();
        let one_product = RevenueScope { business: None, product };
        let scopes = [(all, "every business"), (one, "one business"), (one_product, "one product")];
        for (scope, label) in &scopes {
            assert_churn_matches(&revenue, &store, h.as_of, scope, &format!("seed {seed}, {label}")).await;
        }
        let kept: i64 =
            sqlx::query_scalar("SELECT count(*) FROM churn_customer").fetch_one(store.pool()).await.unwrap();
        assert!(kept >= 60, "seed {seed}: every customer's facts are kept ({kept})");
        let day = |d: i64| months::stored(h.as_of + Duration::days(d));
        for (k, change) in changes.iter().enumerate() {
            let written = sqlx::query(sqlx::AssertSqlSafe(*change))
                .bind(months::stored(h.as_of))
                .bind(months::stored(h.as_of - Duration::days(1)))
                .bind(rng.below(10) as i64)
                .bind(day(-2))
                .bind(day(3))
                .bind(day(30))
                .bind(day(-365))
                .bind(day(1))
                .execute(store.pool())
                .await
                .unwrap()
                .rows_affected();
            assert!(written >= 1, "seed {seed}, change {k} wrote nothing");
            let dirty: i64 =
                sqlx::query_scalar("SELECT count(*) FROM churn_customer_dirty").fetch_one(store.pool()).await.unwrap();
            assert!(dirty >= 1 || k == 6, "seed {seed}, change {k}: the customers it changes are marked");
            let case = format!("seed {seed}, after change {k}");
            for (scope, label) in &scopes {
                assert_churn_matches(&revenue, &store, h.as_of, scope, &format!("{case}, {label}")).await;
            }
        }
    }
}
