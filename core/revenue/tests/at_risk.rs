//! "Customer became at risk": each check compares the at-risk set with the previous one and writes
//! a workflow event for each newcomer; the first check only records the set.
#![allow(clippy::unwrap_used)]

mod history;

use dealdesk_revenue::{AtRiskCheck, Revenue};
use dealdesk_store::Store;
use history::History;

const AS_OF: &str = "2026-12-15T12:00:00Z";
const USD_10: i64 = 10_000_000;

/// A person for a Whop user, linked as the sync links them.
async fn person_for(store: &Store, user: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO person (id, first_name, last_name, origin, created_at, updated_at)
         VALUES (?1, ?2, 'Test', 'whop', ?3, ?3)",
    )
    .bind(&id)
    .bind(user)
    .bind(AS_OF)
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO whop_person (user_id, person_id) VALUES (?, ?)")
        .bind(user)
        .bind(&id)
        .execute(store.pool())
        .await
        .unwrap();
    id
}

async fn set_status(store: &Store, user: &str, status: &str) {
    sqlx::query("UPDATE whop_membership SET status = ? WHERE user_id = ?")
        .bind(status)
        .bind(user)
        .execute(store.pool())
        .await
        .unwrap();
}

/// kind, record_kind, record_id, subject of every event, oldest first.
async fn events(store: &Store) -> Vec<(String, String, String, String)> {
    sqlx::query_as("SELECT kind, record_kind, record_id, subject FROM automation_event ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_customer_who_newly_becomes_at_risk_raises_one_event() {
    let mut h = History::empty(AS_OF);
    // Past due (40) and no note (10): at risk from the start.
    let p = h.membership("user_p", "plan_m10", "past_due");
    h.paid(p, "plan_m10", "2026-11-10T10:00:00Z", USD_10);
    // Canceling (35) and no note (10): at risk.
    let q = h.membership("user_q", "plan_m10", "canceling");
    h.paid(q, "plan_m10", "2026-12-01T10:00:00Z", USD_10);
    // Active and paying: only "no note" (10).
    let r = h.membership("user_r", "plan_m10", "active");
    h.paid(r, "plan_m10", "2026-12-01T10:00:00Z", USD_10);
    // At risk later, with no person in the CRM: tracked, but no event (a workflow needs a record).
    let s = h.membership("user_s", "plan_m10", "active");
    h.paid(s, "plan_m10", "2026-12-01T10:00:00Z", USD_10);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    history::write(&store, &h).await;
    let revenue = Revenue::new(store.clone());
    person_for(&store, "user_p").await;
    let person_q = person_for(&store, "user_q").await;
    let person_r = person_for(&store, "user_r").await;

    // The first check ever records who is at risk, without events.
    let first = revenue.record_at_risk_events(h.as_of).await.unwrap();
    assert_eq!(first, AtRiskCheck { at_risk: 2, events: 0, left: 0 });
    assert!(events(&store).await.is_empty(), "customers already at risk are not news");
    // Nothing changed: nothing new.
    assert_eq!(revenue.record_at_risk_events(h.as_of).await.unwrap(), AtRiskCheck { at_risk: 2, events: 0, left: 0 });

    // R falls past due: one event on R's person, naming the Whop user.
    set_status(&store, "user_r", "past_due").await;
    set_status(&store, "user_s", "past_due").await;
    let check = revenue.record_at_risk_events(h.as_of).await.unwrap();
    assert_eq!(check, AtRiskCheck { at_risk: 4, events: 1, left: 0 });
    let expected_r = ("customer_at_risk".to_string(), "person".to_string(), person_r.clone(), "user_r".to_string());
    assert_eq!(events(&store).await, vec![expected_r.clone()]);
    assert_eq!(revenue.record_at_risk_events(h.as_of).await.unwrap().events, 0, "once, not at every check");

    // Q takes the cancellation back: no longer at risk, and removed.
    set_status(&store, "user_q", "active").await;
    assert_eq!(revenue.record_at_risk_events(h.as_of).await.unwrap(), AtRiskCheck { at_risk: 3, events: 0, left: 1 });
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM churn_at_risk ORDER BY user_id").fetch_all(store.pool()).await.unwrap();
    assert_eq!(kept, vec!["user_p", "user_r", "user_s"]);
    // Q cancels again: at risk anew, so a new event.
    set_status(&store, "user_q", "canceling").await;
    assert_eq!(revenue.record_at_risk_events(h.as_of).await.unwrap().events, 1);
    let expected_q = ("customer_at_risk".to_string(), "person".to_string(), person_q, "user_q".to_string());
    assert_eq!(events(&store).await, vec![expected_r, expected_q]);
}
