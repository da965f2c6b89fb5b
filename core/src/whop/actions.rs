//! Whop actions taken from the CRM (cancel, pause, resume, free days, metadata, refunds, promo
//! codes). Each is checked against what Dealdesk knows (the mirror with waiting operations
//! applied), turned into an outbox operation with the state to show meanwhile, and later sent.

use super::client::{WriteOutcome, WriteRequest};
use super::error::WhopError;
use super::resources::{field, money};
use super::{IDENTITY_SETTING, Whop};
use crate::store::time;
use crate::sync::outbox::{self, NewOperation};
use dealdesk_model::money::format_decimal_micros;
use dealdesk_model::outbox::{CancelMode, NewPromoCode, PromoType, WhopAction};
use dealdesk_model::whop::{WhopIdentity, amount_text, promo_amount_text};
use serde_json::{Map, Value, json};
use sqlx::SqliteConnection;

pub const TARGET: &str = "whop";
const MAX_METADATA_KEYS: usize = 50;
const MAX_METADATA_BYTES: usize = 16 * 1024;
const ENDED: [&str; 3] = ["canceled", "expired", "completed"];

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
    let open = outbox::open_for(conn, record_kind, &[id.to_string()]).await?;
    let ops = open.get(id).map(Vec::as_slice).unwrap_or_default();
    let (shown, _) = outbox::overlay(&remote, ops)?;
    Ok(shown)
}

fn base_of(current: &Value, fields: &Map<String, Value>) -> Map<String, Value> {
    fields.keys().map(|k| (k.clone(), current.get(k).cloned().unwrap_or(Value::Null))).collect()
}

fn number(micros: i64) -> Value {
    serde_json::from_str(&format_decimal_micros(micros, 2)).unwrap_or(Value::Null)
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
        payload: json!({"method": method, "path": path, "body": body}),
        base: base_of(current, &optimistic),
        optimistic,
        summary,
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
    pub(crate) async fn prepare_action(
        &self,
        conn: &mut SqliteConnection,
        action: &WhopAction,
    ) -> Result<NewOperation, WhopError> {
        self.ensure_enabled().await?;
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
                if !(1..=365).contains(days) {
                    return Err(invalid("free days must be between 1 and 365"));
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
                let body = match amount_micros {
                    Some(amount) => json!({"partial_amount": number(*amount)}),
                    None => json!({}),
                };
                let optimistic = object(&[("refunded_amount", number(refunded + amount))]);
                Ok(NewOperation {
                    target: TARGET,
                    action: "payment.refund",
                    record_kind: "whop_payment",
                    record_id: id.clone(),
                    payload: json!({"method": "POST", "path": format!("/payments/{id}/refund"), "body": body}),
                    base: base_of(&current, &optimistic),
                    optimistic,
                    summary: format!("Refund {} of payment {id}", amount_text(amount, currency.as_deref())),
                })
            }
            WhopAction::CreatePromoCode(new) => self.prepare_promo_code(conn, new).await,
            WhopAction::DeactivatePromoCode { promo_code_id: id } => {
                let current = effective(conn, "whop_promo_code", "whop_promo_code", id, "promo code").await?;
                if field(&current, "status").and_then(Value::as_str) != Some("active") {
                    return Err(invalid(format!("promo code {id} is not active")));
                }
                let optimistic = object(&[("status", json!("inactive"))]);
                let code = field(&current, "code").and_then(Value::as_str).unwrap_or(id).to_string();
                Ok(NewOperation {
                    target: TARGET,
                    action: "promo_code.deactivate",
                    record_kind: "whop_promo_code",
                    record_id: id.clone(),
                    payload: json!({"method": "POST", "path": format!("/promo_codes/{id}/deactivate"), "body": {}}),
                    base: base_of(&current, &optimistic),
                    optimistic,
                    summary: format!("Deactivate promo code {code}"),
                })
            }
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
        if new.duration_months.is_some_and(|m| !(1..=36).contains(&m)) {
            return Err(invalid("a limited discount lasts 1 to 36 months"));
        }
        let taken: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM whop_promo_code WHERE upper(code) = ?1
             UNION ALL SELECT 1 FROM outbox WHERE record_kind = 'whop_promo_code' AND record_id = 'code:' || ?1
               AND status IN ('pending', 'in_flight', 'conflict') LIMIT 1",
        )
        .bind(&code)
        .fetch_optional(&mut *conn)
        .await?;
        if taken.is_some() {
            return Err(invalid(format!("the promo code {code} already exists")));
        }
        let identity: Option<String> = sqlx::query_scalar("SELECT value FROM setting WHERE key = ?")
            .bind(IDENTITY_SETTING)
            .fetch_optional(&mut *conn)
            .await?;
        let company_id = identity
            .and_then(|v| serde_json::from_str::<WhopIdentity>(&v).ok())
            .and_then(|i| i.accounts.first().map(|a| a.id.clone()))
            .ok_or_else(|| invalid("no Whop business account is known: connect Whop and sync first"))?;
        let promo_type = match new.promo_type {
            PromoType::Percentage => "percentage",
            PromoType::FlatAmount => "flat_amount",
        };
        let shown = promo_amount_text(new.promo_type, new.amount_off_micros, Some(&currency));
        Ok(NewOperation {
            target: TARGET,
            action: "promo_code.create",
            record_kind: "whop_promo_code",
            record_id: format!("code:{code}"),
            payload: json!({"method": "POST", "path": "/promo_codes", "body": {
                "company_id": company_id,
                "code": code,
                "amount_off": amount_off,
                "base_currency": currency,
                "promo_type": promo_type,
                "new_users_only": new.new_users_only,
                "promo_duration_months": new.duration_months,
            }}),
            optimistic: object(&[("code", json!(code)), ("status", json!("active")), ("amount_off", json!(shown))]),
            base: Map::new(),
            summary: format!("Create promo code {code} ({shown} off)"),
        })
    }

    /// Sends one queued operation's request (with its idempotency key).
    pub async fn deliver(&self, payload: &Value, idempotency_key: &str) -> WriteOutcome {
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
        let body = payload.get("body").cloned().filter(|b| !b.is_null());
        self.api
            .write(WriteRequest { method, path: path.to_string(), body, idempotency_key: idempotency_key.to_string() })
            .await
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
    fn amounts_go_out_in_major_units() {
        assert_eq!(number(12_340_000), json!(12.34));
        assert_eq!(number(5_000_000), json!(5.0));
    }
}
