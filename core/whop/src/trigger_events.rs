//! Whop events for workflow triggers, noticed by the sync as it writes each page: a membership
//! became active (or trialing), a membership was cancelled, a payment succeeded. They are written
//! to `automation_event` in the page's transaction, so none is lost or seen twice.
//!
//! A resource's first full pass (the initial import) raises no events: connecting Whop must not
//! fire a workflow for every member a business ever had.
//!
//! The table is the boundary: the sync (here) writes what Whop changed, and the workflow engine
//! (a layer above) reads it, so neither calls the other.

use serde_json::Value;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashMap;

/// What a page's objects were before the page is written.
pub struct Before {
    initial: bool,
    /// id → (status, cancel_at_period_end)
    state: HashMap<String, (Option<String>, Option<bool>)>,
}

const ACTIVE: &[&str] = &["active", "trialing"];
const CANCELLED: &[&str] = &["canceled", "cancelled"];
const PAID: &[&str] = &["paid", "succeeded"];

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
    let cancel = if resource == "memberships" { "cancel_at_period_end" } else { "NULL" };
    let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT id, status, {cancel} FROM {table} WHERE id IN ("));
    let mut list = qb.separated(", ");
    for item in items {
        list.push_bind(item.get("id").and_then(Value::as_str).unwrap_or_default().to_string());
    }
    qb.push(")");
    let rows: Vec<(String, Option<String>, Option<bool>)> = qb.build_query_as().fetch_all(&mut *conn).await?;
    Ok(Some(Before { initial, state: rows.into_iter().map(|(id, s, c)| (id, (s, c))).collect() }))
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
    let mut events: Vec<(&'static str, String, String)> = Vec::new();
    for item in items {
        let Some(id) = item.get("id").and_then(Value::as_str) else { continue };
        let Some(user) = item.pointer("/user/id").or_else(|| item.get("user_id")).and_then(Value::as_str) else {
            continue;
        };
        let status = item.get("status").and_then(Value::as_str).unwrap_or_default();
        let (old_status, old_cancel) = before.state.get(id).cloned().unwrap_or((None, None));
        let was = |set: &[&str]| old_status.as_deref().is_some_and(|s| set.contains(&s));
        if resource == "memberships" {
            if ACTIVE.contains(&status) && !was(ACTIVE) {
                events.push(("whop_membership_activated", user.to_string(), id.to_string()));
            }
            let cancels = item.get("cancel_at_period_end").and_then(Value::as_bool).unwrap_or(false);
            let newly_cancelled = CANCELLED.contains(&status) && !was(CANCELLED);
            let newly_cancelling = cancels && old_cancel != Some(true) && old_status.is_some() && !was(CANCELLED);
            if newly_cancelled || newly_cancelling {
                events.push(("whop_membership_cancelled", user.to_string(), id.to_string()));
            }
        } else if PAID.contains(&status) && !was(PAID) {
            events.push(("whop_payment_succeeded", user.to_string(), id.to_string()));
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
