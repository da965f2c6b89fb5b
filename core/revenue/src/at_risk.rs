//! Customers who newly become at risk, for the "Customer became at risk" workflow trigger.
//!
//! Each check computes the at-risk set (a score of `AT_RISK_SCORE` or more, across every business)
//! and compares it with the set the previous check kept in `churn_at_risk`. Newcomers with a
//! person in the CRM get an `automation_event` row (kind `customer_at_risk`, on the person, the
//! subject their Whop user id); customers no longer at risk are removed. All of it is one
//! transaction, so two checks never raise an event twice. The first check ever only records the
//! set: connecting Whop (or upgrading) must not fire a workflow for every customer already at risk.

use crate::{Revenue, RevenueError};
use chrono::{DateTime, Utc};
use dealdesk_model::revenue::{ChurnSegment, RevenueScope};
use dealdesk_store::time;
use std::collections::{HashMap, HashSet};

/// The `automation_event` kind.
pub const EVENT_KIND: &str = "customer_at_risk";
/// Set once the first check has recorded the set.
const CHECKED_SETTING: &str = "revenue.at_risk_checked";

/// What one check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AtRiskCheck {
    /// Customers at risk now.
    pub at_risk: usize,
    /// Events written (newcomers with a person).
    pub events: usize,
    /// Customers no longer at risk.
    pub left: usize,
}

impl Revenue {
    /// Compares the customers at risk as of `as_of` with the previous check and writes a
    /// `customer_at_risk` event for each newcomer (none on the first check ever).
    pub async fn record_at_risk_events(&self, as_of: DateTime<Utc>) -> Result<AtRiskCheck, RevenueError> {
        let now: HashMap<String, Option<String>> = self
            .churn_customers_at(&RevenueScope::default(), Some(ChurnSegment::AtRisk), as_of)
            .await?
            .into_iter()
            .map(|c| (c.user_id, c.person_id.map(|p| p.to_string())))
            .collect();
        let mut tx = self.store.begin_write().await?;
        let checked: Option<String> = sqlx::query_scalar("SELECT value FROM setting WHERE key = ?")
            .bind(CHECKED_SETTING)
            .fetch_optional(&mut *tx)
            .await?;
        let kept: HashSet<String> =
            sqlx::query_scalar("SELECT user_id FROM churn_at_risk").fetch_all(&mut *tx).await?.into_iter().collect();
        let since = time::format(as_of);
        let noticed = time::format(time::now());
        let mut check = AtRiskCheck { at_risk: now.len(), ..AtRiskCheck::default() };
        for (user, person) in &now {
            if kept.contains(user) {
                continue;
            }
            sqlx::query("INSERT INTO churn_at_risk (user_id, person_id, since) VALUES (?, ?, ?)")
                .bind(user)
                .bind(person)
                .bind(&since)
                .execute(&mut *tx)
                .await?;
            let Some(person) = person.as_deref().filter(|_| checked.is_some()) else { continue };
            sqlx::query(
                "INSERT INTO automation_event (at, kind, record_kind, record_id, subject) VALUES (?, ?, 'person', ?, ?)",
            )
            .bind(&noticed)
            .bind(EVENT_KIND)
            .bind(person)
            .bind(user)
            .execute(&mut *tx)
            .await?;
            check.events += 1;
        }
        for user in kept.iter().filter(|u| !now.contains_key(*u)) {
            sqlx::query("DELETE FROM churn_at_risk WHERE user_id = ?").bind(user).execute(&mut *tx).await?;
            check.left += 1;
        }
        if checked.is_none() {
            dealdesk_store::set_setting_in(&mut tx, CHECKED_SETTING, &since).await?;
        }
        tx.commit().await?;
        Ok(check)
    }
}
