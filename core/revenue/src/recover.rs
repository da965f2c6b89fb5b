//! Recover: memberships past due or whose latest payment failed, most at stake and soonest lost
//! first (docs/revenue.md, "Recover").

use crate::json_rows;
use crate::mrr::{GRACE_DAYS, SCOPE};
use crate::net::FAILED_ONCE;
use chrono::{DateTime, Duration, Utc};
use dealdesk_model::revenue::RecoverItem;

/// `?2`/`?3` scope. One row per membership (or per failed payment without one), all in one JSON
/// array of [`RecoverRow`]s (`json_rows`). `failed` is
/// materialized: SQLite 3.51 otherwise evaluates it again for `past_due`'s `NOT IN`, through every
/// payment's mirror row (343 ms against 76 ms on the benchmark's mirror).
pub fn recover_sql() -> String {
    let membership_scope = SCOPE.replace("y.", "s.");
    let name = crate::cohorts::customer_name("i.user_id");
    let joins = crate::cohorts::person_joins("i.user_id");
    let rows = format!(
        "WITH failed AS MATERIALIZED (
            SELECT y.id AS payment_id, y.membership_id, coalesce(y.user_id, s.user_id) AS user_id,
                   coalesce(y.account_id, s.account_id) AS account_id, coalesce(y.product_id, s.product_id) AS product_id,
                   coalesce(y.plan_id, s.plan_id) AS plan_id, coalesce(y.total_micros, 0) AS amount, y.currency,
                   y.usd_total_micros AS usd, y.failure_message, coalesce(y.payments_failed, 0) AS attempts,
                   y.next_payment_attempt, coalesce(y.retryable, 0) AS retryable, y.created_at AS failed_at,
                   s.status AS membership_status
            FROM whop_payment y
            LEFT JOIN whop_membership s ON s.id = y.membership_id
            WHERE y.status NOT IN ('paid', 'void') AND {FAILED_ONCE} AND {SCOPE}
              AND coalesce(s.status, '') NOT IN ('canceled', 'expired', 'completed')
              AND (y.membership_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM whop_payment z WHERE z.membership_id = y.membership_id AND z.created_at > y.created_at))
        ),
        past_due AS (
            SELECT NULL, s.id, s.user_id, s.account_id, s.product_id, s.plan_id,
                   coalesce(nullif(pl.renewal_price_micros, 0), pl.initial_price_micros, 0), coalesce(s.currency, pl.currency), NULL, NULL, 0, NULL, 0,
                   coalesce(s.renewal_period_end, s.remote_updated_at), s.status
            FROM whop_membership s
            LEFT JOIN whop_plan pl ON pl.id = s.plan_id
            WHERE s.status = 'past_due' AND {membership_scope}
              AND s.id NOT IN (SELECT membership_id FROM failed WHERE membership_id IS NOT NULL)
        ),
        items AS (SELECT * FROM failed UNION ALL SELECT * FROM past_due)
        SELECT i.membership_id, i.membership_status, i.payment_id, i.user_id, wp.person_id,
               coalesce({name}, 'Unknown customer') AS customer,
               coalesce(pe.email, (SELECT max(email) FROM whop_member WHERE user_id = i.user_id)) AS email,
               i.account_id AS business_id, i.product_id, pr.title AS product_title, i.plan_id,
               pl.title AS plan_title, i.amount AS amount_micros, i.currency, i.usd AS usd_micros,
               i.failure_message, i.attempts, i.next_payment_attempt AS next_attempt_at, i.retryable, i.failed_at
        FROM items i
        {joins}
        LEFT JOIN whop_product pr ON pr.id = i.product_id
        LEFT JOIN whop_plan pl ON pl.id = i.plan_id"
    );
    json_rows::wrap(&rows, &COLUMNS, "")
}

/// The columns of [`recover_sql`]'s rows, as [`RecoverRow`] names them.
const COLUMNS: [&str; 20] = [
    "membership_id",
    "membership_status",
    "payment_id",
    "user_id",
    "person_id",
    "customer",
    "email",
    "business_id",
    "product_id",
    "product_title",
    "plan_id",
    "plan_title",
    "amount_micros",
    "currency",
    "usd_micros",
    "failure_message",
    "attempts",
    "next_attempt_at",
    "retryable",
    "failed_at",
];

#[derive(serde::Deserialize)]
pub struct RecoverRow {
    membership_id: Option<String>,
    membership_status: Option<String>,
    payment_id: Option<String>,
    user_id: Option<String>,
    person_id: Option<String>,
    customer: String,
    email: Option<String>,
    business_id: Option<String>,
    product_id: Option<String>,
    product_title: Option<String>,
    plan_id: Option<String>,
    plan_title: Option<String>,
    amount_micros: i64,
    currency: Option<String>,
    usd_micros: Option<i64>,
    failure_message: Option<String>,
    attempts: i64,
    next_attempt_at: Option<String>,
    #[serde(deserialize_with = "json_rows::flag")]
    retryable: bool,
    failed_at: Option<String>,
}

pub fn item(row: RecoverRow, as_of: DateTime<Utc>) -> RecoverItem {
    let RecoverRow {
        membership_id,
        membership_status,
        payment_id,
        user_id,
        person_id,
        customer,
        email,
        business_id,
        product_id,
        product_title,
        plan_id,
        plan_title,
        amount_micros,
        currency,
        usd_micros,
        failure_message,
        attempts,
        next_attempt_at,
        retryable,
        failed_at,
    } = row;
    let parse = |t: &Option<String>| t.as_deref().and_then(|t| dealdesk_store::time::parse(t).ok());
    let cancels_at = cancel_estimate(parse(&failed_at), parse(&next_attempt_at));
    let stake = usd_micros.unwrap_or(amount_micros).max(0) as f64;
    let days_left = cancels_at.map_or(GRACE_DAYS as f64, |c| (c - as_of).num_seconds() as f64 / 86_400.0);
    // Still to save: what is at stake per day left (at least one). Past the expected cancel date,
    // after every row still to save, the most recently lapsed first.
    let priority = if days_left >= 0.0 { stake / days_left.max(1.0) } else { days_left };
    RecoverItem {
        membership_id,
        membership_status,
        payment_id,
        user_id,
        person_id: person_id.and_then(|id| uuid::Uuid::parse_str(&id).ok()),
        customer,
        email,
        business_id,
        product_id,
        product_title,
        plan_id,
        plan_title,
        amount_micros,
        currency,
        usd_micros,
        failure_message,
        attempts: u32::try_from(attempts.max(0)).unwrap_or(u32::MAX),
        next_attempt_at,
        cancels_at: cancels_at.map(dealdesk_store::time::format),
        retryable,
        failed_at,
        priority,
    }
}

/// When Whop is expected to cancel: [`GRACE_DAYS`] after the renewal failed, or after its last
/// scheduled retry if that is later. Whop does not publish the window; this is an estimate and
/// the screen says "about".
pub fn cancel_estimate(failed_at: Option<DateTime<Utc>>, next_attempt: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let by_window = failed_at.map(|f| f + Duration::days(GRACE_DAYS));
    match (by_window, next_attempt) {
        (Some(w), Some(n)) => Some(w.max(n)),
        (w, n) => w.or(n),
    }
}

/// Most at stake per day left first; then the soonest lost; then by id, so the order is stable.
pub fn sort(items: &mut [RecoverItem]) {
    items.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then_with(|| a.cancels_at.cmp(&b.cancels_at))
            .then_with(|| a.membership_id.cmp(&b.membership_id))
            .then_with(|| a.payment_id.cmp(&b.payment_id))
    });
}
