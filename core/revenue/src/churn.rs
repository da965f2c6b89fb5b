//! Churn segments and the at-risk score (docs/revenue.md, "Churn"): Whop's own signals (membership
//! status, `cancel_at_period_end`, paused collection, trials ending, the member's
//! `most_recent_action`) and activity (no payment, no note), per customer, in SQL.

use crate::error::RevenueError;
use crate::json_rows;
use crate::mrr::SCOPE;
use dealdesk_model::revenue::{AT_RISK_SCORE, ChurnCustomer, ChurnSegment, RevenueScope};
use dealdesk_store::Store;

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

/// Whop's signals per membership (`s`), each aggregated with `max` over a customer's memberships.
const LIVE: &str = "s.status IN ('active', 'trialing', 'past_due', 'canceling')";
const CANCELING: &str = "s.status IN ('active', 'trialing', 'canceling') \
     AND (s.status = 'canceling' OR coalesce(s.cancel_at_period_end, 0) = 1)";
const PAST_DUE: &str = "s.status = 'past_due'";
const PAUSED: &str = "s.status IN ('active', 'trialing', 'past_due', 'canceling') \
     AND coalesce(s.payment_collection_paused, 0) = 1";
const TRIALING: &str = "s.status = 'trialing'";
const ENDED: &str = "s.status IN ('canceled', 'expired', 'completed')";
/// A trial ending between `?4` (now) and `?5`; a membership that ended between `?6` (the month's
/// start) and `?4`.
const TRIAL_ENDING: &str = "s.status = 'trialing' AND s.renewal_period_end >= ?4 AND s.renewal_period_end < ?5";
const ENDED_NOW: &str =
    "s.status IN ('canceled', 'expired', 'completed') AND s.canceled_at >= ?6 AND s.canceled_at < ?4";

/// Each customer's last payment, last note on their person (`person`) and Whop's last action,
/// looked up through their indexes.
fn last_facts(user: &str, person: &str) -> String {
    format!(
        "(SELECT max(y.paid_at) FROM whop_payment y WHERE y.status = 'paid' AND y.user_id = {user}) AS last_paid,
         (SELECT max(n.created_at) FROM note_target t JOIN note n ON n.id = t.note_id
          WHERE t.record_kind = 'person' AND t.record_id = {person} AND n.deleted_at IS NULL) AS last_note,
         coalesce((SELECT max(most_recent_action) FROM whop_member WHERE user_id = {user}), '') AS action"
    )
}

/// Recomputes the churn facts of the customers whose mirror rows, notes or person link changed
/// since the last read (`churn_customer_dirty`, filled by triggers), in one transaction. Nothing
/// to do is one read; after a full sync it is every customer, once.
pub async fn refresh(store: &Store) -> Result<(), RevenueError> {
    crate::dirty::recompute(store, "churn_customer_dirty", refresh_sql()).await
}

/// Whop's signals over a customer's memberships (`s`) that `counted` keeps: the flags, and the
/// first and last end of a trial's period and of an ended membership.
fn signals(counted: &str) -> String {
    format!(
        "coalesce(max({counted} AND {LIVE}), 0), coalesce(max({counted} AND {CANCELING}), 0),
         coalesce(max({counted} AND {PAST_DUE}), 0), coalesce(max({counted} AND {PAUSED}), 0),
         coalesce(max({counted} AND {TRIALING}), 0),
         min(CASE WHEN {counted} AND {TRIALING} THEN s.renewal_period_end END),
         max(CASE WHEN {counted} AND {TRIALING} THEN s.renewal_period_end END),
         min(CASE WHEN {counted} AND {ENDED} THEN s.canceled_at END),
         max(CASE WHEN {counted} AND {ENDED} THEN s.canceled_at END)"
    )
}

/// The refresh's statements: the dirty customers' rows deleted, recomputed (every business, and
/// per business), and the dirty set emptied.
pub fn refresh_sql() -> [String; 5] {
    // The signals count the memberships of connected businesses (or of none), as every figure's
    // scope does; the customer keeps a row while any membership names them.
    let counted = "(s.account_id IS NULL OR s.account_id IN (SELECT id FROM whop_account))";
    let dirty = "(SELECT user_id FROM churn_customer_dirty)";
    [
        format!("DELETE FROM churn_customer WHERE user_id IN {dirty}"),
        format!("DELETE FROM churn_business WHERE user_id IN {dirty}"),
        format!(
            "INSERT INTO churn_customer (user_id, person_id, memberships, live, canceling, past_due, paused, trialing,
                                         trial_first, trial_last, ended_first, ended_last, last_paid, last_note, action)
             SELECT s.user_id, wp.person_id, sum({counted}), {signals}, {facts}
             FROM whop_membership s
             LEFT JOIN whop_person wp ON wp.user_id = s.user_id
             WHERE s.user_id IN {dirty}
             GROUP BY s.user_id",
            signals = signals(counted),
            facts = last_facts("s.user_id", "wp.person_id"),
        ),
        format!(
            "INSERT INTO churn_business (account_id, user_id, live, canceling, past_due, paused, trialing,
                                         trial_first, trial_last, ended_first, ended_last)
             SELECT s.account_id, s.user_id, {signals}
             FROM whop_membership s
             WHERE s.user_id IN {dirty} AND s.account_id IS NOT NULL
             GROUP BY s.account_id, s.user_id",
            signals = signals("1"),
        ),
        "DELETE FROM churn_customer_dirty".to_string(),
    ]
}

/// Where a churn read's facts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facts {
    /// Every business: one kept row per customer (`churn_customer`).
    Kept,
    /// One business: its kept rows (`churn_business`).
    KeptForBusiness,
    /// One product: the memberships in scope, grouped per customer.
    Grouped,
}

impl Facts {
    pub fn for_scope(scope: &RevenueScope) -> Facts {
        match (&scope.business, &scope.product) {
            (_, Some(_)) => Facts::Grouped,
            (Some(_), None) => Facts::KeptForBusiness,
            (None, None) => Facts::Kept,
        }
    }
}

/// `facts(user_id, person_id, live, canceling, past_due, paused, trialing, trial_ending, ended_now,
/// last_paid, last_note, action)`: every customer with a membership in scope. The last payment,
/// note and action always come from `churn_customer`.
///
/// From kept rows, whether a trial ends within the window (or a membership ended this month)
/// follows from the first and last kept dates, except when the window lies strictly between
/// them: then the customer's memberships in scope are read.
fn facts_cte(facts: Facts) -> String {
    let scope = SCOPE.replace("y.", "s.");
    let (from, k) = match facts {
        Facts::Kept => ("churn_customer c WHERE c.memberships > 0", "c"),
        Facts::KeptForBusiness => {
            ("churn_business b JOIN churn_customer c ON c.user_id = b.user_id WHERE b.account_id = ?2", "b")
        }
        Facts::Grouped => {
            return format!(
                "ms AS (
                    SELECT s.user_id, coalesce(max({LIVE}), 0) AS live, coalesce(max({CANCELING}), 0) AS canceling,
                           coalesce(max({PAST_DUE}), 0) AS past_due, coalesce(max({PAUSED}), 0) AS paused,
                           coalesce(max({TRIALING}), 0) AS trialing,
                           coalesce(max({TRIAL_ENDING}), 0) AS trial_ending, coalesce(max({ENDED_NOW}), 0) AS ended_now
                    FROM whop_membership s
                    WHERE s.user_id IS NOT NULL AND {scope}
                    GROUP BY s.user_id
                    -- (a membership without a status, a trial without a period end or an end without a date
                    -- gives NULL: none of them is a signal, so 0)
                ),
                facts AS (
                    SELECT ms.*, c.last_paid, c.last_note, coalesce(c.action, '') AS action, c.person_id
                    FROM ms LEFT JOIN churn_customer c ON c.user_id = ms.user_id
                )"
            );
        }
    };
    let probe = |condition: &str| {
        format!("EXISTS (SELECT 1 FROM whop_membership s WHERE s.user_id = {k}.user_id AND {condition} AND {scope})")
    };
    format!(
        "facts AS (
            SELECT {k}.user_id, {k}.live, {k}.canceling, {k}.past_due, {k}.paused, {k}.trialing,
                   CASE WHEN {k}.trial_first IS NULL OR {k}.trial_first >= ?5 OR {k}.trial_last < ?4 THEN 0
                        WHEN {k}.trial_first >= ?4 OR {k}.trial_last < ?5 THEN 1
                        ELSE {trial_probe} END AS trial_ending,
                   CASE WHEN {k}.ended_first IS NULL OR {k}.ended_first >= ?4 OR {k}.ended_last < ?6 THEN 0
                        WHEN {k}.ended_first >= ?6 OR {k}.ended_last < ?4 THEN 1
                        ELSE {ended_probe} END AS ended_now,
                   c.last_paid, c.last_note, c.action, c.person_id
            FROM {from}
        )",
        trial_probe = probe(TRIAL_ENDING),
        ended_probe = probe(ENDED_NOW),
    )
}

/// Per customer: the facts and the score. `?2`/`?3` scope (memberships), `?4` now, `?5` the trial
/// horizon, `?6` the month's start, `?7` the quiet-payment horizon, `?8` the quiet-note horizon
/// (stored text). The facts are refreshed first (`refresh`).
fn scored_cte(facts: Facts) -> String {
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
        "WITH {facts},
        scored AS (
            SELECT facts.*, CASE WHEN live = 1 AND trialing = 0 OR past_due = 1 OR canceling = 1 THEN {score}
                                 WHEN live = 1 THEN {trial_score} ELSE 0 END AS score
            FROM facts
        )",
        facts = facts_cte(facts),
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
pub fn counts_sql(facts: Facts) -> String {
    let sums: Vec<String> = ChurnSegment::ALL.iter().map(|s| format!("coalesce(sum({}), 0)", condition(*s))).collect();
    format!("{} SELECT {} FROM scored", scored_cte(facts), sums.join(", "))
}

/// The columns of [`customers_sql`]'s rows, as [`CustomerRow`] names them.
const CUSTOMER_COLUMNS: [&str; 14] = [
    "user_id",
    "person_id",
    "name",
    "live",
    "canceling",
    "past_due",
    "trial_ending",
    "paused",
    "ended_now",
    "last_paid",
    "last_note",
    "action",
    "score",
    "trialing",
];

/// The customers of a segment (every customer with a membership when `None`), highest score first,
/// as one JSON array of [`CustomerRow`]s (`json_rows`).
pub fn customers_sql(segment: Option<ChurnSegment>, facts: Facts) -> String {
    let filter = segment.map_or_else(|| "1".to_string(), condition);
    let rows = format!(
        "{} SELECT s.user_id, s.person_id, {name} AS name,
               s.live, s.canceling, s.past_due, s.trial_ending, s.paused, s.ended_now,
               s.last_paid, s.last_note, s.action, s.score, s.trialing
        FROM scored s LEFT JOIN person pe ON pe.id = s.person_id
        WHERE {filter}
        ORDER BY s.score DESC, s.user_id
        LIMIT 5000",
        scored_cte(facts),
        name = crate::cohorts::customer_name("s.user_id"),
    );
    json_rows::wrap(&rows, &CUSTOMER_COLUMNS, "score DESC, user_id")
}

#[derive(serde::Deserialize)]
pub struct CustomerRow {
    user_id: String,
    person_id: Option<String>,
    name: String,
    #[serde(deserialize_with = "json_rows::flag")]
    live: bool,
    #[serde(deserialize_with = "json_rows::flag")]
    canceling: bool,
    #[serde(deserialize_with = "json_rows::flag")]
    past_due: bool,
    #[serde(deserialize_with = "json_rows::flag")]
    trial_ending: bool,
    #[serde(deserialize_with = "json_rows::flag")]
    paused: bool,
    #[serde(deserialize_with = "json_rows::flag")]
    ended_now: bool,
    last_paid: Option<String>,
    last_note: Option<String>,
    action: String,
    score: i64,
    #[serde(deserialize_with = "json_rows::flag")]
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
