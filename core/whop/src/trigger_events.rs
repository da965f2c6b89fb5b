//! Whop events for workflow triggers, noticed by the sync as it writes each page: a membership
//! became active (or trialing), was canceled, became past due, or is a trial that ends within
//! three days; a payment succeeded or newly failed. They are written to `automation_event` in the
//! page's transaction, so none is lost or seen twice.
//!
//! A resource's first full pass (the initial import) raises no events: connecting Whop must not
//! fire a workflow for every member a business ever had.
//!
//! The table is the boundary: the sync (here) writes what Whop changed, and the workflow engine
//! (a layer above) reads it, so neither calls the other.

use super::resources::{integer, text, timestamp};
use chrono::{DateTime, Utc};
use dealdesk_model::automation::TRIAL_ENDING_DAYS;
use dealdesk_store::time;
use serde_json::Value;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashMap;

/// What a page's objects were before the page is written.
pub struct Before {
    initial: bool,
    state: HashMap<String, Old>,
}

/// One stored object's state, as far as the events need it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Old {
    status: Option<String>,
    /// Memberships.
    cancel_at_period_end: Option<bool>,
    renewal_period_end: Option<String>,
    /// Payments.
    substatus: Option<String>,
    failure_message: Option<String>,
    payments_failed: Option<i64>,
}

const ACTIVE: &[&str] = &["active", "trialing"];
const CANCELLED: &[&str] = &["canceled", "cancelled"];
const PAID: &[&str] = &["paid", "succeeded"];
/// A payment in these states is settled: it cannot be failing.
const SETTLED: &[&str] = &["paid", "succeeded", "void"];
const FAILED_SUBSTATUS: &[&str] = &["failed", "past_due", "uncollectible"];

/// Reads the stored state of `items` (memberships or payments) before they are overwritten.
pub async fn before(
    conn: &mut SqliteConnection,
    resource: &str,
    scope: &str,
    table: &str,
    items: &[&Value],
) -> Result<Option<Before>, sqlx::Error> {
    if !matches!(resource, "memberships" | "payments") || items.is_empty() {
        return Ok(None);
    }
    let scanned: Option<Option<String>> =
        sqlx::query_scalar("SELECT last_full_scan_at FROM whop_sync_cursor WHERE resource = ? AND scope = ?")
            .bind(resource)
            .bind(scope)
            .fetch_optional(&mut *conn)
            .await?;
    let initial = scanned.flatten().is_none();
    if initial {
        return Ok(Some(Before { initial, state: HashMap::new() }));
    }
    let columns = if resource == "memberships" {
        "cancel_at_period_end, renewal_period_end, NULL, NULL, NULL"
    } else {
        "NULL, NULL, substatus, failure_message, payments_failed"
    };
    let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT id, status, {columns} FROM {table} WHERE id IN ("));
    let mut list = qb.separated(", ");
    for item in items {
        list.push_bind(item.get("id").and_then(Value::as_str).unwrap_or_default().to_string());
    }
    qb.push(")");
    type Row = (String, Option<String>, Option<bool>, Option<String>, Option<String>, Option<String>, Option<i64>);
    let rows: Vec<Row> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let state = rows
        .into_iter()
        .map(|(id, status, cancel_at_period_end, renewal_period_end, substatus, failure_message, payments_failed)| {
            let old =
                Old { status, cancel_at_period_end, renewal_period_end, substatus, failure_message, payments_failed };
            (id, old)
        })
        .collect();
    Ok(Some(Before { initial, state }))
}

/// Whether a trialing membership's renewal (the trial's end) is within the window from `now`.
fn trial_ends_soon(status: Option<&str>, renewal_period_end: Option<&str>, now: DateTime<Utc>) -> bool {
    let Some(end) = renewal_period_end.and_then(|t| time::parse(t).ok()) else { return false };
    status == Some("trialing") && end >= now && end - now <= chrono::Duration::days(TRIAL_ENDING_DAYS)
}

/// Whether a payment is failing: not settled, and failed, past due or uncollectible, or with a
/// failure message.
fn failing(status: Option<&str>, substatus: Option<&str>, failure_message: Option<&str>) -> bool {
    !status.is_some_and(|s| SETTLED.contains(&s))
        && (substatus.is_some_and(|s| FAILED_SUBSTATUS.contains(&s)) || failure_message.is_some())
}

/// The events one object's change raises (`old` is `None` for an object new to the mirror).
fn events_for(resource: &str, item: &Value, old: Option<&Old>, now: DateTime<Utc>) -> Vec<&'static str> {
    let mut events = Vec::new();
    let status = item.get("status").and_then(Value::as_str).unwrap_or_default();
    let old_status = old.and_then(|o| o.status.as_deref());
    let was = |set: &[&str]| old_status.is_some_and(|s| set.contains(&s));
    if resource == "memberships" {
        if ACTIVE.contains(&status) && !was(ACTIVE) {
            events.push("whop_membership_activated");
        }
        let cancels = item.get("cancel_at_period_end").and_then(Value::as_bool).unwrap_or(false);
        let newly_cancelled = CANCELLED.contains(&status) && !was(CANCELLED);
        let newly_cancelling = cancels
            && old.and_then(|o| o.cancel_at_period_end) != Some(true)
            && old_status.is_some()
            && !was(CANCELLED);
        if newly_cancelled || newly_cancelling {
            events.push("whop_membership_cancelled");
        }
        if status == "past_due" && !was(&["past_due"]) {
            events.push("whop_membership_past_due");
        }
        let renewal = timestamp(item, "renewal_period_end");
        let ending = trial_ends_soon(Some(status), renewal.as_deref(), now);
        let was_ending = old.is_some_and(|o| trial_ends_soon(old_status, o.renewal_period_end.as_deref(), now));
        if ending && !was_ending {
            events.push("whop_trial_ending");
        }
    } else {
        if PAID.contains(&status) && !was(PAID) {
            events.push("whop_payment_succeeded");
        }
        let substatus = text(item, "substatus");
        let message = text(item, "failure_message");
        let attempts = integer(item, "payments_failed").unwrap_or(0);
        let old_attempts = old.and_then(|o| o.payments_failed).unwrap_or(0);
        let failing_now = failing(Some(status), substatus.as_deref(), message.as_deref());
        let failed_before = old.is_some_and(|o| {
            failing(old_status, o.substatus.as_deref(), o.failure_message.as_deref()) || old_attempts > 0
        });
        let another_attempt_failed = attempts > old_attempts && !SETTLED.contains(&status);
        if (failing_now && !failed_before) || another_attempt_failed {
            events.push("whop_payment_failed");
        }
    }
    events
}

/// Writes the events the page's changes raise. Runs after the people are mapped, so each event
/// names the member's person.
pub async fn record(
    conn: &mut SqliteConnection,
    resource: &str,
    before: Option<Before>,
    items: &[&Value],
    now: &str,
) -> Result<u64, sqlx::Error> {
    let Some(before) = before else {
        return Ok(0);
    };
    if before.initial {
        return Ok(0);
    }
    let now_at = time::parse(now).unwrap_or_else(|_| time::now());
    let mut events: Vec<(&'static str, String, String)> = Vec::new();
    for item in items {
        let Some(id) = item.get("id").and_then(Value::as_str) else { continue };
        let Some(user) = item.pointer("/user/id").or_else(|| item.get("user_id")).and_then(Value::as_str) else {
            continue;
        };
        for kind in events_for(resource, item, before.state.get(id), now_at) {
            events.push((kind, user.to_string(), id.to_string()));
        }
    }
    let mut written = 0;
    for (kind, user, subject) in events {
        let person: Option<String> = sqlx::query_scalar("SELECT person_id FROM whop_person WHERE user_id = ?")
            .bind(&user)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(person) = person else { continue };
        sqlx::query(
            "INSERT INTO automation_event (at, kind, record_kind, record_id, subject) VALUES (?, ?, 'person', ?, ?)",
        )
        .bind(now)
        .bind(kind)
        .bind(person)
        .bind(subject)
        .execute(&mut *conn)
        .await?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> DateTime<Utc> {
        time::parse(text).unwrap()
    }

    fn old(status: &str) -> Old {
        Old { status: Some(status.into()), ..Default::default() }
    }

    #[test]
    fn a_payment_fires_failed_once_when_it_newly_fails() {
        let now = at("2026-12-07T12:00:00Z");
        let failed = json!({"id": "pay_1", "status": "open", "substatus": "failed", "payments_failed": 1});
        // New to the mirror, already failed: it newly failed.
        assert_eq!(events_for("payments", &failed, None, now), vec!["whop_payment_failed"]);
        // It was pending before.
        assert_eq!(events_for("payments", &failed, Some(&old("pending")), now), vec!["whop_payment_failed"]);
        // It was failed already, with the same attempts: nothing new.
        let before = Old { substatus: Some("failed".into()), payments_failed: Some(1), ..old("open") };
        assert!(events_for("payments", &failed, Some(&before), now).is_empty());
        // Another attempt failed.
        let again = json!({"id": "pay_1", "status": "open", "substatus": "failed", "payments_failed": 2});
        assert_eq!(events_for("payments", &again, Some(&before), now), vec!["whop_payment_failed"]);
        // A failure message alone, or past due or uncollectible, is a failure.
        let message = json!({"id": "pay_1", "status": "open", "failure_message": "Card declined"});
        assert_eq!(events_for("payments", &message, Some(&old("open")), now), vec!["whop_payment_failed"]);
        let uncollectible = json!({"id": "pay_1", "status": "open", "substatus": "uncollectible"});
        assert_eq!(events_for("payments", &uncollectible, Some(&old("open")), now), vec!["whop_payment_failed"]);
        // Paid or void is never failing, even with a failure message or failed attempts.
        let paid = json!({"id": "pay_1", "status": "paid", "failure_message": "Card declined", "payments_failed": 2});
        assert_eq!(events_for("payments", &paid, Some(&before), now), vec!["whop_payment_succeeded"]);
        let void = json!({"id": "pay_1", "status": "void", "substatus": "failed", "payments_failed": 3});
        assert!(events_for("payments", &void, Some(&before), now).is_empty());
    }

    #[test]
    fn a_membership_fires_past_due_once() {
        let now = at("2026-12-07T12:00:00Z");
        let past_due = json!({"id": "mem_1", "status": "past_due"});
        assert_eq!(events_for("memberships", &past_due, Some(&old("active")), now), vec!["whop_membership_past_due"]);
        assert!(events_for("memberships", &past_due, Some(&old("past_due")), now).is_empty());
        let cancelled = json!({"id": "mem_1", "status": "canceled"});
        assert_eq!(
            events_for("memberships", &cancelled, Some(&old("past_due")), now),
            vec!["whop_membership_cancelled"]
        );
    }

    #[test]
    fn a_trial_fires_ending_when_it_enters_the_last_three_days() {
        let now = at("2026-12-07T12:00:00Z");
        let trial = |end: &str| json!({"id": "mem_1", "status": "trialing", "renewal_period_end": end});
        let trialing = |end: &str| Old { renewal_period_end: Some(end.into()), ..old("trialing") };
        let soon = trial("2026-12-09T12:00:00Z");
        // It was trialing with its end further out: it entered the window.
        assert_eq!(
            events_for("memberships", &soon, Some(&trialing("2026-12-20T00:00:00Z")), now),
            vec!["whop_trial_ending"]
        );
        // Already in the window at the previous sync: nothing new.
        assert!(events_for("memberships", &soon, Some(&trialing("2026-12-09T12:00:00Z")), now).is_empty());
        // Further out than 3 days, or over already: nothing.
        assert!(events_for("memberships", &trial("2026-12-11T12:00:01Z"), Some(&trialing("x")), now).is_empty());
        assert!(events_for("memberships", &trial("2026-12-07T11:00:00Z"), Some(&trialing("x")), now).is_empty());
        // Whop's unix seconds are read too; a membership that was not trialing before counts.
        let unix = json!({"id": "mem_1", "status": "trialing", "renewal_period_end": 1_765_281_600});
        let fired = events_for("memberships", &unix, Some(&old("pending")), at("2025-12-08T12:00:00Z"));
        assert_eq!(fired, vec!["whop_membership_activated", "whop_trial_ending"]);
        // A trial that is not ending soon does not fire; an active membership never does.
        let active = json!({"id": "mem_1", "status": "active", "renewal_period_end": "2026-12-08T00:00:00Z"});
        assert!(events_for("memberships", &active, Some(&old("active")), now).is_empty());
    }
}
