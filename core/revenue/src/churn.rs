//! Churn segments and the at-risk score (docs/revenue.md, "Churn"): Whop's own signals (membership
//! status, `cancel_at_period_end`, paused collection, trials ending, the member's
//! `most_recent_action`) and activity (no payment, no note), per customer, in SQL.

use crate::mrr::SCOPE;
use dealdesk_model::revenue::{AT_RISK_SCORE, ChurnCustomer, ChurnSegment};

/// Days without a payment, or without a note, that count against a customer.
pub const QUIET_PAYMENT_DAYS: i64 = 60;
pub const QUIET_NOTE_DAYS: i64 = 90;
/// A trial ending within this many days puts the customer in "trial ending".
pub const TRIAL_ENDING_DAYS: i64 = 7;

/// The rules, in points: each is a reason shown beside the score (capped at 100).
pub const RULES: [(&str, u32); 7] = [
    ("past_due", 40),
    ("canceling", 35),
    ("paused", 25),
    ("whop_action", 15),
    ("no_payment", 15),
    ("trial_ending", 10),
    ("no_note", 10),
];

fn points(rule: &str) -> u32 {
    RULES.iter().find(|(name, _)| *name == rule).map_or(0, |(_, p)| *p)
}

/// Whop's member actions that say a customer is leaving.
const LEAVING_ACTIONS: &str = "('canceling', 'expiring', 'past_due', 'paused', 'churned', 'left')";

/// Per customer: flags, the last payment, the last note, Whop's last action and the score.
/// `?2`/`?3` scope (memberships), `?4` now, `?5` the trial horizon, `?6` the month's start,
/// `?7` the quiet-payment horizon, `?8` the quiet-note horizon (stored text).
fn facts_cte() -> String {
    let scope = SCOPE.replace("y.", "s.");
    let score = format!(
        "min(100, past_due * {} + canceling * {} + paused * {} + (action IN {LEAVING_ACTIONS}) * {} \
         + (coalesce(last_paid, '') < ?7) * {} + trial_ending * {} + (coalesce(last_note, '') < ?8) * {})",
        points("past_due"),
        points("canceling"),
        points("paused"),
        points("whop_action"),
        points("no_payment"),
        points("trial_ending"),
        points("no_note"),
    );
    // A customer still in their trial has never paid: only the trial's signals count.
    let trial_score = format!("min(100, trial_ending * {} + paused * {})", points("trial_ending"), points("paused"));
    format!(
        "WITH ms AS (
            SELECT s.user_id,
                   max(s.status IN ('active', 'trialing', 'past_due', 'canceling')) AS live,
                   max(s.status IN ('active', 'trialing', 'canceling')
                       AND (s.status = 'canceling' OR coalesce(s.cancel_at_period_end, 0) = 1)) AS canceling,
                   max(s.status = 'past_due') AS past_due,
                   max(s.status = 'trialing' AND s.renewal_period_end >= ?4 AND s.renewal_period_end < ?5) AS trial_ending,
                   max(s.status IN ('active', 'trialing', 'past_due', 'canceling')
                       AND coalesce(s.payment_collection_paused, 0) = 1) AS paused,
                   max(s.status IN ('canceled', 'expired', 'completed') AND s.canceled_at >= ?6 AND s.canceled_at < ?4) AS ended_now,
                   max(s.status = 'trialing') AS trialing
            FROM whop_membership s
            WHERE s.user_id IS NOT NULL AND {scope}
            GROUP BY s.user_id
        ),
        -- Each customer's last payment, last note and Whop's last action, looked up through
        -- their indexes: cheaper than grouping every payment, note and member to join them.
        facts AS (
            SELECT ms.*,
                   (SELECT max(y.paid_at) FROM whop_payment y WHERE y.status = 'paid' AND y.user_id = ms.user_id)
                       AS last_paid,
                   wp.person_id,
                   (SELECT max(n.created_at) FROM note_target t JOIN note n ON n.id = t.note_id
                    WHERE t.record_kind = 'person' AND t.record_id = wp.person_id AND n.deleted_at IS NULL) AS last_note,
                   coalesce((SELECT max(most_recent_action) FROM whop_member WHERE user_id = ms.user_id), '') AS action
            FROM ms
            LEFT JOIN whop_person wp ON wp.user_id = ms.user_id
        ),
        scored AS (
            SELECT facts.*, CASE WHEN live = 1 AND trialing = 0 OR past_due = 1 OR canceling = 1 THEN {score}
                                 WHEN live = 1 THEN {trial_score} ELSE 0 END AS score
            FROM facts
        )"
    )
}

/// The condition of a segment on `scored`.
fn condition(segment: ChurnSegment) -> String {
    match segment {
        ChurnSegment::Canceling => "canceling = 1".into(),
        ChurnSegment::ChurnedThisMonth => "ended_now = 1 AND live = 0".into(),
        ChurnSegment::PastDue => "past_due = 1".into(),
        ChurnSegment::TrialEnding => "trial_ending = 1".into(),
        ChurnSegment::Paused => "paused = 1".into(),
        ChurnSegment::AtRisk => format!("live = 1 AND score >= {AT_RISK_SCORE}"),
    }
}

/// One row of counts, in [`ChurnSegment::ALL`] order.
pub fn counts_sql() -> String {
    let sums: Vec<String> = ChurnSegment::ALL.iter().map(|s| format!("coalesce(sum({}), 0)", condition(*s))).collect();
    format!("{} SELECT {} FROM scored", facts_cte(), sums.join(", "))
}

/// The customers of a segment (every customer with a membership when `None`), highest score first.
pub fn customers_sql(segment: Option<ChurnSegment>) -> String {
    let filter = segment.map_or_else(|| "1".to_string(), condition);
    format!(
        "{} SELECT s.user_id, s.person_id, {name} AS name,
               s.live, s.canceling, s.past_due, s.trial_ending, s.paused, s.ended_now,
               s.last_paid, s.last_note, s.action, s.score, s.trialing
        FROM scored s LEFT JOIN person pe ON pe.id = s.person_id
        WHERE {filter}
        ORDER BY s.score DESC, s.user_id
        LIMIT 5000",
        facts_cte(),
        name = crate::cohorts::customer_name("s.user_id"),
    )
}

#[derive(sqlx::FromRow)]
pub struct CustomerRow {
    user_id: String,
    person_id: Option<String>,
    name: String,
    live: bool,
    canceling: bool,
    past_due: bool,
    trial_ending: bool,
    paused: bool,
    ended_now: bool,
    last_paid: Option<String>,
    last_note: Option<String>,
    action: String,
    score: i64,
    trialing: bool,
}

/// A row as the screen shows it: its segments, and the score's reasons in the rules' order.
pub fn customer(row: CustomerRow, quiet_payment_since: &str, quiet_note_since: &str) -> ChurnCustomer {
    let mut segments = Vec::new();
    let mut reasons = Vec::new();
    let mut flag = |on: bool, segment: Option<ChurnSegment>, reason: Option<String>| {
        if on {
            segments.extend(segment);
            reasons.extend(reason);
        }
    };
    let scored = row.live && (!row.trialing || row.past_due || row.canceling);
    flag(row.past_due, Some(ChurnSegment::PastDue), Some(format!("Payment past due (+{})", points("past_due"))));
    flag(
        row.canceling,
        Some(ChurnSegment::Canceling),
        Some(format!("Set to cancel at the period's end (+{})", points("canceling"))),
    );
    flag(row.paused, Some(ChurnSegment::Paused), Some(format!("Payment collection paused (+{})", points("paused"))));
    let leaving = ["canceling", "expiring", "past_due", "paused", "churned", "left"].contains(&row.action.as_str());
    flag(
        scored && leaving,
        None,
        Some(format!("Whop's latest member action: {} (+{})", row.action.replace('_', " "), points("whop_action"))),
    );
    flag(
        scored && row.last_paid.as_deref().unwrap_or("") < quiet_payment_since,
        None,
        Some(format!("No payment in {QUIET_PAYMENT_DAYS} days (+{})", points("no_payment"))),
    );
    flag(
        row.trial_ending,
        Some(ChurnSegment::TrialEnding),
        Some(format!("Trial ends within {TRIAL_ENDING_DAYS} days (+{})", points("trial_ending"))),
    );
    flag(
        scored && row.last_note.as_deref().unwrap_or("") < quiet_note_since,
        None,
        Some(format!("No note in {QUIET_NOTE_DAYS} days (+{})", points("no_note"))),
    );
    flag(row.ended_now && !row.live, Some(ChurnSegment::ChurnedThisMonth), None);
    let score = u32::try_from(row.score.clamp(0, 100)).unwrap_or(0);
    if row.live && score >= AT_RISK_SCORE {
        segments.push(ChurnSegment::AtRisk);
    }
    segments.sort();
    ChurnCustomer {
        user_id: row.user_id,
        person_id: row.person_id.and_then(|id| uuid::Uuid::parse_str(&id).ok()),
        name: row.name,
        segments,
        score,
        reasons,
    }
}
