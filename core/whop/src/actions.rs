//! Whop actions taken from the CRM (cancel, un-cancel, pause, resume, free days, metadata,
//! refunds, payment retries, promo codes, messages to customers (`messages.rs`)), as the pinned
//! API version defines them
//! (tests/specs/whop/contract.json). Each is checked against what Dealdesk knows (the mirror with
//! waiting operations applied) and the permissions Whop granted, turned into an outbox operation
//! with the state to show meanwhile, and later sent with its idempotency key and API version.
//!
//! Whop keeps an idempotency key for 24 hours. An operation whose key first went out longer ago
//! than that is not sent again with it: [`Whop::already_applied`] reads the object first, and the
//! outbox settles the operation if it took effect, or sends it under a new key if it did not.

use super::client::{WriteOutcome, WriteRequest};
use super::config::API_VERSION_DATE;
use super::contract;
use super::error::WhopError;
use super::resources::{field, money, text};
use super::{Whop, businesses, messages};
use dealdesk_model::money::format_decimal_micros;
use dealdesk_model::outbox::{CancelMode, NewPromoCode, PromoType, WhopAction};
use dealdesk_model::whop::{amount_text, promo_amount_text};
use dealdesk_outbox::queue::{self, NewOperation, same_value};
use dealdesk_store::time;
use serde_json::{Map, Value, json};
use sqlx::SqliteConnection;
use std::time::Duration;

pub const TARGET: &str = "whop";
const MAX_METADATA_KEYS: usize = 50;
const MAX_METADATA_BYTES: usize = 16 * 1024;
const ENDED: [&str; 3] = ["canceled", "expired", "completed"];
/// The documented free-days range (`memberships.addFreeDays`).
const MAX_FREE_DAYS: u32 = 1095;
/// Promo code durations Dealdesk offers, in billing months.
const MAX_PROMO_MONTHS: u32 = 36;
/// How long Whop keeps an idempotency key.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The version operations were built for before each recorded its own: the pin of that day.
const LEGACY_API_VERSION: &str = "2026-07-20";
/// How far clocks (Dealdesk's and Whop's) may differ when Whop's times are compared with ours.
const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// A key this close to the end of its window is treated as gone (clocks differ; a send takes time).
const KEY_MARGIN: Duration = Duration::from_secs(3600);

/// Whether a key first sent at `first_sent` may have been forgotten by Whop at `now`.
pub fn key_expired(first_sent: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> bool {
    let age = now.signed_duration_since(first_sent).to_std().unwrap_or_default();
    age + KEY_MARGIN >= IDEMPOTENCY_WINDOW
}

fn invalid(message: impl Into<String>) -> WhopError {
    WhopError::InvalidAction(message.into())
}

/// A record from the mirror with the waiting operations' values applied: what the user sees.
async fn effective(
    conn: &mut SqliteConnection,
    table: &'static str,
    record_kind: &'static str,
    id: &str,
    what: &str,
) -> Result<Value, WhopError> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT raw, {} FROM {table} WHERE id = ?",
        if table == "whop_membership" { "remote_deleted_at" } else { "NULL" }
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((raw, deleted)) = row else {
        return Err(invalid(format!("no Whop {what} {id} is known here: check the id, or sync Whop first")));
    };
    if deleted.is_some() {
        return Err(invalid(format!("the Whop {what} {id} was deleted on Whop")));
    }
    let remote: Value =
        serde_json::from_str(&raw).map_err(|e| invalid(format!("the stored {what} is unreadable: {e}")))?;
    let open = queue::open_for(conn, record_kind, &[id.to_string()]).await?;
    let ops = open.get(id).map(Vec::as_slice).unwrap_or_default();
    let (shown, _) = queue::overlay(&remote, ops)?;
    Ok(shown)
}

/// Money as Whop writes it (a number in major units, or its text) in micros.
fn money_value(value: &Value) -> Option<i64> {
    money(&json!({ "v": value }), "v")
}

/// A timestamp at or after another (both as Whop or Dealdesk write them).
fn later_or_same(now: &Value, wanted: &Value) -> bool {
    match (now.as_str().map(time::parse), wanted.as_str().map(time::parse)) {
        (Some(Ok(now)), Some(Ok(wanted))) => now >= wanted,
        _ => false,
    }
}

fn base_of(current: &Value, fields: &Map<String, Value>) -> Map<String, Value> {
    fields.keys().map(|k| (k.clone(), current.get(k).cloned().unwrap_or(Value::Null))).collect()
}

fn number(micros: i64) -> Value {
    serde_json::from_str(&format_decimal_micros(micros, 2)).unwrap_or(Value::Null)
}

/// What the outbox sends: the request, and the API version it was built for (a later pin must
/// not change a queued request, and Whop ties its idempotency key to the version).
pub(super) fn request(method: &str, path: String, body: Value) -> Value {
    json!({"method": method, "path": path, "body": body, "api_version": API_VERSION_DATE})
}

/// A membership operation: `request` is (method, path, body).
fn membership_op(
    id: &str,
    current: &Value,
    action: &'static str,
    (method, path, body): (&str, String, Value),
    optimistic: Map<String, Value>,
    summary: String,
) -> NewOperation {
    NewOperation {
        target: TARGET,
        action,
        record_kind: "whop_membership",
        record_id: id.to_string(),
        payload: request(method, path, body),
        base: base_of(current, &optimistic),
        optimistic,
        summary,
    }
}

/// The SDK method a queued action calls (for its permissions).
fn sdk_method(action: &WhopAction) -> &'static str {
    match action {
        WhopAction::CancelMembership { .. } => "memberships.cancel",
        WhopAction::UncancelMembership { .. } => "memberships.uncancel",
        WhopAction::PauseMembership { .. } => "memberships.pause",
        WhopAction::ResumeMembership { .. } => "memberships.resume",
        WhopAction::AddFreeDays { .. } => "memberships.addFreeDays",
        WhopAction::UpdateMembershipMetadata { .. } => "memberships.update",
        WhopAction::RefundPayment { .. } => "payments.refund",
        WhopAction::RetryPayment { .. } => "payments.retry",
        WhopAction::CreatePromoCode(_) => "promoCodes.create",
        WhopAction::DeactivatePromoCode { .. } => "promoCodes.delete",
        // Opening the DM channel first needs no permission (the SDK lists none).
        WhopAction::SendMessage { .. } => "messages.create",
    }
}

fn object(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn check_code(code: &str) -> Result<String, WhopError> {
    let code = code.trim();
    if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(invalid("a promo code is 1–64 letters, digits, _ or -"));
    }
    Ok(code.to_uppercase())
}

impl Whop {
    /// Checks `action` against the known state and builds its outbox operation. Nothing is
    /// written: the caller queues it in its transaction.
    pub async fn prepare_action(
        &self,
        conn: &mut SqliteConnection,
        action: &WhopAction,
    ) -> Result<NewOperation, WhopError> {
        self.ensure_enabled().await?;
        if !self.settings().await?.actions_enabled {
            return Err(invalid(
                "Whop actions are switched off (Settings → Integrations → Whop → Let Dealdesk act on Whop)",
            ));
        }
        let missing = self.known_missing(sdk_method(action)).await?;
        if !missing.is_empty() {
            return Err(invalid(format!(
                "Whop did not grant Dealdesk {}, which this needs: reconnect Whop (Settings → Integrations → Whop, \
                 or `dealdesk-cli whop login`) and approve {}",
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            )));
        }
        match action {
            WhopAction::CancelMembership { membership_id: id, mode } => {
                let current = effective(conn, "whop_membership", "whop_membership", id, "membership").await?;
                let status = field(&current, "status").and_then(Value::as_str).unwrap_or_default();
                if ENDED.contains(&status) {
                    return Err(invalid(format!("membership {id} has already ended ({status})")));
                }
                let (mode_text, optimistic, summary) = match mode {
                    CancelMode::AtPeriodEnd => {
                        if status == "canceling" || field(&current, "cancel_at_period_end") == Some(&json!(true)) {
                            return Err(invalid(format!("membership {id} already cancels at the end of its period")));
                        }
                        (
                            "at_period_end",
                            object(&[("status", json!("canceling")), ("cancel_at_period_end", json!(true))]),
                            format!("Cancel membership {id} at period end"),
                        )
                    }
                    CancelMode::Immediately => (
                        "immediate",
                        object(&[("status", json!("canceled")), ("cancel_at_period_end", json!(false))]),
                        format!("Cancel membership {id} now"),
                    ),
                };
                Ok(membership_op(
                    id,
                    &current,
                    "membership.cancel",
                    ("POST", format!("/memberships/{id}/cancel"), json!({"cancellation_mode": mode_text})),
                    optimistic,
                    summary,
                ))
            }
            WhopAction::UncancelMembership { membership_id: id } => {
                let current = effective(conn, "whop_membership", "whop_membership", id, "membership").await?;
                let status = field(&current, "status").and_then(Value::as_str).unwrap_or_default();
                let canceling = status == "canceling" || field(&current, "cancel_at_period_end") == Some(&json!(true));
                if !canceling {
                    return Err(invalid(format!("membership {id} has no cancellation to take back ({status})")));
                }
                Ok(membership_op(
                    id,
                    &current,
                    "membership.uncancel",
                    ("POST", format!("/memberships/{id}/uncancel"), json!({})),
                    object(&[("status", json!("active")), ("cancel_at_period_end", json!(false))]),
                    format!("Keep membership {id} (take back its cancellation)"),
                ))
            }
            WhopAction::PauseMembership { membership_id: id } => {
                let current = effective(conn, "whop_membership", "whop_membership", id, "membership").await?;
                let status = field(&current, "status").and_then(Value::as_str).unwrap_or_default();
                if ENDED.contains(&status) {
                    return Err(invalid(format!("membership {id} has ended ({status}): nothing to pause")));
                }
                if field(&current, "payment_collection_paused") == Some(&json!(true)) {
                    return Err(invalid(format!("membership {id} is already paused")));
                }
                Ok(membership_op(
                    id,
                    &current,
                    "membership.pause",
                    ("POST", format!("/memberships/{id}/pause"), json!({})),
                    object(&[("payment_collection_paused", json!(true))]),
                    format!("Pause membership {id}"),
                ))
            }
            WhopAction::ResumeMembership { membership_id: id } => {
                let current = effective(conn, "whop_membership", "whop_membership", id, "membership").await?;
                if field(&current, "payment_collection_paused") != Some(&json!(true)) {
                    return Err(invalid(format!("membership {id} is not paused")));
                }
                Ok(membership_op(
                    id,
                    &current,
                    "membership.resume",
                    ("POST", format!("/memberships/{id}/resume"), json!({})),
                    object(&[("payment_collection_paused", json!(false))]),
                    format!("Resume membership {id}"),
                ))
            }
            WhopAction::AddFreeDays { membership_id: id, days } => {
                if !(1..=MAX_FREE_DAYS).contains(days) {
                    return Err(invalid(format!("free days must be between 1 and {MAX_FREE_DAYS}")));
                }
                let current = effective(conn, "whop_membership", "whop_membership", id, "membership").await?;
                let from = field(&current, "renewal_period_end")
                    .and_then(Value::as_str)
                    .and_then(|t| time::parse(t).ok())
                    .unwrap_or_else(time::now);
                let until = from + chrono::Duration::days(i64::from(*days));
                Ok(membership_op(
                    id,
                    &current,
                    "membership.add_free_days",
                    ("POST", format!("/memberships/{id}/add_free_days"), json!({"free_days": days})),
                    object(&[("renewal_period_end", json!(time::format(until)))]),
                    format!("Add {days} free day{} to membership {id}", if *days == 1 { "" } else { "s" }),
                ))
            }
            WhopAction::UpdateMembershipMetadata { membership_id: id, metadata } => {
                let Value::Object(map) = metadata else {
                    return Err(invalid("metadata must be a JSON object"));
                };
                if map.len() > MAX_METADATA_KEYS || metadata.to_string().len() > MAX_METADATA_BYTES {
                    return Err(invalid(format!(
                        "metadata holds at most {MAX_METADATA_KEYS} keys and {} KiB",
                        MAX_METADATA_BYTES / 1024
                    )));
                }
                let current = effective(conn, "whop_membership", "whop_membership", id, "membership").await?;
                Ok(membership_op(
                    id,
                    &current,
                    "membership.update_metadata",
                    ("PATCH", format!("/memberships/{id}"), json!({"metadata": metadata})),
                    object(&[("metadata", metadata.clone())]),
                    format!("Update the metadata of membership {id}"),
                ))
            }
            WhopAction::RefundPayment { payment_id: id, amount_micros } => {
                let current = effective(conn, "whop_payment", "whop_payment", id, "payment").await?;
                let total = money(&current, "total").unwrap_or(0);
                let refunded = money(&current, "refunded_amount").unwrap_or(0);
                let remaining = total - refunded;
                let currency = field(&current, "currency").and_then(Value::as_str).map(str::to_string);
                if remaining <= 0 || field(&current, "refundable") == Some(&json!(false)) {
                    return Err(invalid(format!("payment {id} has nothing left to refund")));
                }
                let amount = amount_micros.unwrap_or(remaining);
                if amount <= 0 || amount > remaining {
                    return Err(invalid(format!(
                        "a refund of payment {id} must be more than 0 and at most {}",
                        amount_text(remaining, currency.as_deref())
                    )));
                }
                // Always the amount: an empty body is the full payment to Whop, which after a
                // partial refund is more than is left.
                let body = json!({"partial_amount": number(amount)});
                let optimistic = object(&[("refunded_amount", number(refunded + amount))]);
                Ok(NewOperation {
                    target: TARGET,
                    action: "payment.refund",
                    record_kind: "whop_payment",
                    record_id: id.clone(),
                    payload: request("POST", format!("/payments/{id}/refund"), body),
                    base: base_of(&current, &optimistic),
                    optimistic,
                    summary: format!("Refund {} of payment {id}", amount_text(amount, currency.as_deref())),
                })
            }
            WhopAction::RetryPayment { payment_id: id } => {
                let current = effective(conn, "whop_payment", "whop_payment", id, "payment").await?;
                if field(&current, "retryable") != Some(&json!(true)) {
                    let status = text(&current, "substatus").or_else(|| text(&current, "status")).unwrap_or_default();
                    return Err(invalid(format!(
                        "Whop cannot retry payment {id} ({status}): it is not a failed payment"
                    )));
                }
                // Retried once: the button goes away until Whop answers.
                let optimistic = object(&[("retryable", json!(false))]);
                let total = money(&current, "total").unwrap_or(0);
                let currency = field(&current, "currency").and_then(Value::as_str);
                Ok(NewOperation {
                    target: TARGET,
                    action: "payment.retry",
                    record_kind: "whop_payment",
                    record_id: id.clone(),
                    payload: request("POST", format!("/payments/{id}/retry"), Value::Null),
                    base: base_of(&current, &optimistic),
                    optimistic,
                    summary: format!("Retry payment {id} ({})", amount_text(total, currency)),
                })
            }
            WhopAction::CreatePromoCode(new) => self.prepare_promo_code(conn, new).await,
            WhopAction::DeactivatePromoCode { promo_code_id: id } => {
                let current = effective(conn, "whop_promo_code", "whop_promo_code", id, "promo code").await?;
                if field(&current, "status").and_then(Value::as_str) == Some("archived") {
                    return Err(invalid(format!("promo code {id} is already archived")));
                }
                let optimistic = object(&[("status", json!("archived"))]);
                let code = field(&current, "code").and_then(Value::as_str).unwrap_or(id).to_string();
                Ok(NewOperation {
                    target: TARGET,
                    action: "promo_code.deactivate",
                    record_kind: "whop_promo_code",
                    record_id: id.clone(),
                    payload: request("DELETE", format!("/promo_codes/{id}"), Value::Null),
                    base: base_of(&current, &optimistic),
                    optimistic,
                    summary: format!("Archive promo code {code}"),
                })
            }
            WhopAction::SendMessage { to, text } => messages::prepare(conn, to, text).await,
        }
    }

    async fn prepare_promo_code(
        &self,
        conn: &mut SqliteConnection,
        new: &NewPromoCode,
    ) -> Result<NewOperation, WhopError> {
        let code = check_code(&new.code)?;
        let currency = new.currency.trim().to_ascii_lowercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(invalid("the currency is a three-letter code such as USD"));
        }
        let amount_off = match new.promo_type {
            PromoType::Percentage if (1..=100_000_000).contains(&new.amount_off_micros) => {
                number(new.amount_off_micros)
            }
            PromoType::Percentage => return Err(invalid("a percentage discount is between 0 and 100")),
            PromoType::FlatAmount if new.amount_off_micros > 0 => number(new.amount_off_micros),
            PromoType::FlatAmount => return Err(invalid("a flat discount must be more than 0")),
        };
        if !(1..=MAX_PROMO_MONTHS).contains(&new.duration_months) {
            return Err(invalid(format!(
                "a promo code lasts 1 to {MAX_PROMO_MONTHS} billing months (Whop's API has no \"forever\")"
            )));
        }
        let chosen = match businesses::chosen(&self.store).await? {
            businesses::Chosen::These(list) => list,
            businesses::Chosen::Undecided => Vec::new(),
        };
        let company_id = match (&new.business_id, chosen.as_slice()) {
            (Some(id), _) if chosen.iter().any(|b| &b.id == id) => id.clone(),
            (Some(id), _) => return Err(invalid(format!("{id} is not one of the Whop businesses Dealdesk syncs"))),
            (None, [only]) => only.id.clone(),
            (None, []) => return Err(invalid("no Whop business is synced yet: connect Whop and choose a business")),
            (None, _) => return Err(invalid("choose which business the promo code is for")),
        };
        // Codes are unique within a business (Whop matches them ignoring case at checkout).
        let record_id = format!("code:{company_id}:{code}");
        let taken: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM whop_promo_code WHERE upper(code) = ?1 AND coalesce(account_id, ?2) = ?2
             UNION ALL SELECT 1 FROM outbox WHERE record_kind = 'whop_promo_code' AND record_id = ?3
               AND status IN ('pending', 'in_flight', 'conflict') LIMIT 1",
        )
        .bind(&code)
        .bind(&company_id)
        .bind(&record_id)
        .fetch_optional(&mut *conn)
        .await?;
        if taken.is_some() {
            return Err(invalid(format!("the promo code {code} already exists")));
        }
        let promo_type = match new.promo_type {
            PromoType::Percentage => "percentage",
            PromoType::FlatAmount => "flat_amount",
        };
        let shown = promo_amount_text(new.promo_type, new.amount_off_micros, Some(&currency));
        Ok(NewOperation {
            target: TARGET,
            action: "promo_code.create",
            record_kind: "whop_promo_code",
            record_id,
            payload: request(
                "POST",
                "/promo_codes".into(),
                json!({
                    "company_id": company_id,
                    "code": code,
                    "amount_off": amount_off,
                    "base_currency": currency,
                    "promo_type": promo_type,
                    "new_users_only": new.new_users_only,
                    "promo_duration_months": new.duration_months,
                }),
            ),
            optimistic: object(&[("code", json!(code)), ("status", json!("active")), ("amount_off", json!(shown))]),
            base: Map::new(),
            summary: format!("Create promo code {code} ({shown} off)"),
        })
    }

    /// Sends one queued operation's request (with its idempotency key).
    pub async fn send_queued(&self, payload: &Value, idempotency_key: &str) -> WriteOutcome {
        let method = match payload.get("method").and_then(Value::as_str) {
            Some("POST") => reqwest::Method::POST,
            Some("PATCH") => reqwest::Method::PATCH,
            Some("DELETE") => reqwest::Method::DELETE,
            other => return WriteOutcome::Rejected(invalid(format!("unknown method {other:?} in a queued operation"))),
        };
        let Some(path) = payload.get("path").and_then(Value::as_str).filter(|p| p.starts_with('/')) else {
            return WriteOutcome::Rejected(invalid("a queued operation has no path"));
        };
        if let Err(error) = self.ensure_enabled().await {
            return WriteOutcome::Retry { wait: None, error };
        }
        let mut body = payload.get("body").cloned().filter(|b| !b.is_null());
        // Operations queued before versions were recorded were built for the pin of their day.
        let api_version = payload.get("api_version").and_then(Value::as_str).unwrap_or(LEGACY_API_VERSION).to_string();
        // A message goes to a DM channel, opened (or found) first.
        if let Some(channel) = payload.get("dm_channel") {
            match self.open_dm_channel(channel, idempotency_key, &api_version).await {
                Ok(id) => {
                    if let Some(Value::Object(fields)) = body.as_mut() {
                        fields.insert("channel_id".into(), Value::String(id));
                    }
                }
                Err(outcome) => {
                    if let WriteOutcome::Rejected(error @ WhopError::Forbidden(_)) = &outcome {
                        self.note_refusal(error).await;
                    }
                    return outcome;
                }
            }
        }
        let request = WriteRequest {
            method,
            path: path.to_string(),
            body,
            idempotency_key: idempotency_key.to_string(),
            api_version,
        };
        let outcome = self.api.write(request).await;
        if let WriteOutcome::Rejected(error @ WhopError::Forbidden(_)) = &outcome {
            self.note_refusal(error).await;
        }
        outcome
    }

    /// Whether a queued operation whose idempotency key Whop may have forgotten (first sent at
    /// `first_sent`) already took effect: the object as Whop has it now if so (the operation
    /// settles with it), `None` if not (it goes out again under a new key). Reads only.
    pub async fn already_applied(
        &self,
        action: &str,
        record_id: &str,
        payload: &Value,
        optimistic: &Map<String, Value>,
        first_sent: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Value>, WhopError> {
        self.load_granted().await?;
        let retrieve = |method: &'static str, path: String| async move {
            let endpoint = contract::endpoint(method)?;
            self.api.get(endpoint, path, Vec::new()).await
        };
        match action {
            "payment.refund" => {
                let payment = retrieve("payments.retrieve", format!("/payments/{record_id}")).await?;
                let wanted = optimistic.get("refunded_amount").and_then(money_value);
                let refunded = money(&payment, "refunded_amount").unwrap_or(0);
                // Refunded at least as much as this refund was to bring it to: never refund twice.
                Ok(wanted.is_some_and(|w| refunded >= w).then_some(payment))
            }
            "payment.retry" => {
                let payment = retrieve("payments.retrieve", format!("/payments/{record_id}")).await?;
                // Any attempt from about when the key went out counts: a charge is never repeated.
                let attempted = super::resources::timestamp(&payment, "last_payment_attempt")
                    .and_then(|t| time::parse(&t).ok())
                    .is_some_and(|t| t >= first_sent - CLOCK_SKEW);
                let paid = text(&payment, "status").as_deref() == Some("paid");
                Ok((paid || attempted).then_some(payment))
            }
            "promo_code.create" => {
                let Some(company) = text(payload, "body.company_id") else { return Ok(None) };
                let code = text(payload, "body.code").unwrap_or_default();
                let endpoint = contract::endpoint("promoCodes.list")?;
                let mut after = None;
                loop {
                    let page = self.api.list(endpoint, after, vec![("company_id", company.clone())]).await?;
                    if let Some(found) =
                        page.items.iter().find(|p| text(p, "code").is_some_and(|c| c.eq_ignore_ascii_case(&code)))
                    {
                        return Ok(Some(found.clone()));
                    }
                    match page.end_cursor.filter(|_| page.has_next_page) {
                        Some(next) => after = Some(next),
                        None => return Ok(None),
                    }
                }
            }
            // Whether a message arrived cannot be read without `chat:read`: the seller decides.
            messages::ACTION => Err(messages::unverifiable(first_sent)),
            "promo_code.deactivate" => {
                let promo = retrieve("promoCodes.retrieve", format!("/promo_codes/{record_id}")).await?;
                Ok((text(&promo, "status").as_deref() == Some("archived")).then_some(Value::Bool(true)))
            }
            _ if action.starts_with("membership.") => {
                let membership = retrieve("memberships.retrieve", format!("/memberships/{record_id}")).await?;
                let applied = !optimistic.is_empty()
                    && optimistic.iter().all(|(k, v)| match (k.as_str(), membership.get(k)) {
                        // Free days push the renewal at least this far; a renewal since moves it
                        // further. Either way the days are not added a second time.
                        ("renewal_period_end", Some(now)) => later_or_same(now, v),
                        (_, Some(now)) => same_value(now, v),
                        (_, None) => false,
                    });
                Ok(applied.then_some(membership))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promo_codes_are_checked() {
        assert_eq!(check_code(" spring-25 ").unwrap(), "SPRING-25");
        assert!(check_code("").is_err());
        assert!(check_code("no spaces").is_err());
        assert!(check_code(&"x".repeat(65)).is_err());
    }

    #[test]
    fn keys_expire_an_hour_before_whops_window_ends() {
        let sent = time::parse("2026-12-01T00:00:00Z").unwrap();
        assert!(!key_expired(sent, sent + chrono::Duration::hours(22)));
        assert!(key_expired(sent, sent + chrono::Duration::hours(23)));
        assert!(key_expired(sent, sent + chrono::Duration::days(3)));
    }

    #[test]
    fn amounts_go_out_in_major_units() {
        assert_eq!(number(12_340_000), json!(12.34));
        assert_eq!(number(5_000_000), json!(5.0));
    }
}
