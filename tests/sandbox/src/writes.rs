//! API v1 writes: membership lifecycle, refunds and promo codes, shaped like Whop's SDK calls.
//!
//! Every write goes through [`write`]: authenticate, honour `Idempotency-Key` with Stripe's semantics
//! (the first answer to a key is stored, 2xx and 4xx alike, and replayed for an identical request), apply
//! the change under the data lock at one sandbox time, and log it. Operations validate everything
//! before they change anything, so a refused request leaves no trace in the data or the log.

use std::collections::HashMap;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::api::{ApiError, check, parse_time};
use crate::data::{DAY_MS, Data, IdRef, Membership, Metadata, Payment, PromoCode, Ts, format_ts, money};

/// Whop (like Stripe) caps metadata at 50 keys.
const MAX_METADATA_KEYS: usize = 50;
/// Stripe's limit; longer keys are almost certainly a client bug worth surfacing.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// One applied write, as tests see it through `Sandbox::writes` or `GET /_sandbox/writes`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WriteRecord {
    /// 1, 2, 3… in the order writes were applied.
    pub seq: u64,
    pub idempotency_key: Option<String>,
    pub method: String,
    /// The full request path, e.g. `/api/v1/memberships/mem_…/cancel`.
    pub path: String,
    /// The object the path names (the payment for a refund), or the new promo code for a create.
    pub object_id: String,
    /// The request body as JSON; null when the body was empty.
    pub body: Value,
    /// Sandbox time of the write (ISO 8601), which is also the object's new `updated_at`.
    pub at: String,
}

/// The first answer given to an idempotency key.
struct Stored {
    fingerprint: [u8; 32],
    status: StatusCode,
    body: Bytes,
    replays: u64,
}

/// Idempotency keys and the write log, behind one lock so a key is checked and stored atomically.
#[derive(Default)]
pub struct WriteState {
    keys: HashMap<String, Stored>,
    log: Vec<WriteRecord>,
}

impl WriteState {
    pub fn log(&self) -> &[WriteRecord] {
        &self.log
    }

    pub fn replays(&self) -> u64 {
        self.keys.values().map(|s| s.replays).sum()
    }

    pub fn replays_of(&self, key: &str) -> u64 {
        self.keys.get(key).map_or(0, |s| s.replays)
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/memberships/{id}", patch(update_membership))
        .route("/memberships/{id}/cancel", post(cancel_membership))
        .route("/memberships/{id}/uncancel", post(uncancel_membership))
        .route("/memberships/{id}/pause", post(pause_membership))
        .route("/memberships/{id}/resume", post(resume_membership))
        .route("/memberships/{id}/add_free_days", post(add_free_days))
        .route("/payments/{id}/refund", post(refund_payment))
        .route("/promo_codes", post(create_promo_code))
        .route("/promo_codes/{id}", axum::routing::delete(archive_promo_code))
        .route("/promo_codes/{id}/activate", post(activate_promo_code))
        .route("/promo_codes/{id}/deactivate", post(deactivate_promo_code))
}

/// What a write needs from its request besides path parameters. The body stays raw: the idempotency
/// fingerprint covers it byte for byte, and a body that is not JSON still gets a v1 error.
pub struct WriteReq {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for WriteReq {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let method = req.method().clone();
        // These routes are nested under /api/v1, which `nest` strips; the crate's axum has no
        // `original-uri` feature, so the prefix is put back by hand for the log and the fingerprint.
        let path = format!("/api/v1{}", req.uri().path());
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        Ok(Self { method, path, headers, body })
    }
}

/// What an operation reports once it has changed the data.
struct Applied {
    object_id: String,
    response: Value,
}

type Fields = Map<String, Value>;

/// Runs one write: auth, idempotency, `op` under the data lock at sandbox time `now`, log, answer.
/// `op` gets the body's fields (empty for an empty body) and must not change anything when it fails.
fn write<F>(s: &AppState, req: WriteReq, op: F) -> Response
where
    F: FnOnce(&mut Data, i64, &Fields) -> Result<Applied, ApiError>,
{
    // Authentication comes first and is never stored: a retry with a fresh token must still work.
    if let Err(e) = check(s, &req.headers) {
        return e.into_response();
    }
    let key = match idempotency_key(&req.headers) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let fingerprint = fingerprint(&req);
    // Held until the answer is stored, so two concurrent requests with one key cannot both apply.
    let mut w = s.writes();
    if let Some(key) = &key
        && let Some(stored) = w.keys.get_mut(key)
    {
        if stored.fingerprint != fingerprint {
            return ApiError::unprocessable(
                "idempotency_key_reused",
                format!("Idempotency-Key {key} was already used for a different request"),
            )
            .into_response();
        }
        stored.replays += 1;
        tracing::debug!(key, path = %req.path, "idempotent replay");
        return json_response(stored.status, stored.body.clone(), true);
    }

    let outcome = parse_body(&req.body).and_then(|(logged, fields)| {
        let mut data = s.data_mut();
        let now = s.write_time(&data);
        let applied = op(&mut data, now, &fields)?;
        data.latest_ms = data.latest_ms.max(now);
        Ok((applied, logged, now))
    });
    let (status, answer) = match outcome {
        Ok((applied, logged, now)) => {
            let record = WriteRecord {
                seq: w.log.len() as u64 + 1,
                idempotency_key: key.clone(),
                method: req.method.to_string(),
                path: req.path.clone(),
                object_id: applied.object_id,
                body: logged,
                at: format_ts(now),
            };
            tracing::debug!(seq = record.seq, method = %record.method, path = %record.path, "write applied");
            w.log.push(record);
            (StatusCode::OK, applied.response)
        }
        Err(e) => (e.status(), e.body()),
    };
    // Serialising a `Value` cannot fail: its map keys are strings.
    let body = Bytes::from(serde_json::to_vec(&answer).unwrap_or_default());
    if let Some(key) = key
        && (status.is_success() || status.is_client_error())
    {
        w.keys.insert(key, Stored { fingerprint, status, body: body.clone(), replays: 0 });
    }
    json_response(status, body, false)
}

fn json_response(status: StatusCode, body: Bytes, replayed: bool) -> Response {
    let mut resp = (status, Body::from(body)).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    resp
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::invalid(
            "Idempotency-Key",
            format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} printable ASCII characters"),
        )
    };
    let key = value.to_str().map_err(|_| invalid())?.trim();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(invalid());
    }
    Ok(Some(key.to_string()))
}

/// Method, path and body bytes: what makes a retry "the same request". Headers other than the key are
/// left out, so a retry with a refreshed token still replays.
fn fingerprint(req: &WriteReq) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(req.method.as_str().as_bytes());
    h.update([0]);
    h.update(req.path.as_bytes());
    h.update([0]);
    h.update(&req.body);
    h.finalize().into()
}

/// The body for the log (null when empty) and its fields. Only JSON objects are accepted.
fn parse_body(bytes: &[u8]) -> Result<(Value, Fields), ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((Value::Null, Map::new()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(fields)) => Ok((Value::Object(fields.clone()), fields)),
        Ok(_) => Err(ApiError::invalid_json("The request body must be a JSON object".into())),
        Err(e) => Err(ApiError::invalid_json(format!("The request body is not valid JSON: {e}"))),
    }
}

// Field readers. JSON null counts as absent, as in Whop's SDKs where optional fields are sent as null.

fn field<'a>(body: &'a Fields, name: &str) -> Option<&'a Value> {
    body.get(name).filter(|v| !v.is_null())
}

fn required<'a>(body: &'a Fields, name: &'static str) -> Result<&'a Value, ApiError> {
    field(body, name).ok_or_else(|| ApiError::missing(name))
}

fn as_str<'a>(v: &'a Value, name: &'static str) -> Result<&'a str, ApiError> {
    v.as_str().ok_or_else(|| ApiError::invalid(name, format!("{name} must be a string")))
}

fn as_bool(v: &Value, name: &'static str) -> Result<bool, ApiError> {
    v.as_bool().ok_or_else(|| ApiError::invalid(name, format!("{name} must be a boolean")))
}

fn optional_bool(body: &Fields, name: &'static str) -> Result<Option<bool>, ApiError> {
    field(body, name).map(|v| as_bool(v, name)).transpose()
}

fn optional_time(body: &Fields, name: &'static str) -> Result<Option<i64>, ApiError> {
    field(body, name).map(|v| parse_time(name, as_str(v, name)?)).transpose()
}

/// A finite number above zero.
fn positive_number(v: &Value, name: &'static str) -> Result<f64, ApiError> {
    v.as_f64()
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| ApiError::invalid(name, format!("{name} must be a number greater than 0")))
}

/// Major units to cents; amounts below half a cent round to 0 and are refused by the callers.
fn to_cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

/// Serialising these records cannot fail (no maps with non-string keys, no fallible fields), and an
/// operation has already changed the data when it serialises, so there is no error to report.
fn to_json<T: Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or_default()
}

fn not_found(resource: &str, id: &str) -> ApiError {
    // Same wording as retrieve, so clients see one message for one situation.
    ApiError::not_found(format!("No {resource} object found with id {id}"))
}

fn membership_at(data: &Data, id: &str) -> Result<usize, ApiError> {
    data.memberships.iter().position(|m| m.id == id).ok_or_else(|| not_found("memberships", id))
}

/// Applies `change` to membership `i` and answers it, refreshing member counts (they depend on status).
fn membership_applied(data: &mut Data, i: usize, now: i64, change: impl FnOnce(&mut Membership)) -> Applied {
    let ms = &mut data.memberships[i];
    change(ms);
    ms.updated_at = Ts(now);
    let applied = Applied { object_id: ms.id.clone(), response: to_json(ms) };
    data.recount();
    applied
}

/// Statuses after which a membership is over: nothing left to cancel, pause or collect.
fn is_ended(status: &str) -> bool {
    matches!(status, "canceled" | "expired" | "completed")
}

async fn cancel_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        let immediate = match field(body, "cancellation_mode") {
            None => false,
            Some(v) => match v.as_str() {
                Some("at_period_end") => false,
                Some("immediate") => true,
                _ => {
                    return Err(ApiError::invalid(
                        "cancellation_mode",
                        "cancellation_mode must be at_period_end or immediate".into(),
                    ));
                }
            },
        };
        let i = membership_at(data, &id)?;
        let ms = &data.memberships[i];
        if is_ended(ms.status) {
            return Err(ApiError::unprocessable(
                "membership_not_cancelable",
                format!("Membership {id} is {} and cannot be canceled", ms.status),
            ));
        }
        Ok(membership_applied(data, i, now, |ms| {
            if immediate {
                ms.status = "canceled";
                ms.canceled_at = Some(Ts(now));
                ms.cancel_at_period_end = false;
            } else {
                // Seeded "canceling" memberships carry the time the cancellation was requested; a
                // repeated request keeps the first one.
                ms.status = "canceling";
                ms.cancel_at_period_end = true;
                ms.canceled_at.get_or_insert(Ts(now));
            }
        }))
    })
}

async fn uncancel_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, _| {
        let i = membership_at(data, &id)?;
        let ms = &data.memberships[i];
        if ms.status != "canceling" {
            return Err(ApiError::unprocessable(
                "membership_not_canceling",
                format!("Membership {id} is {} and has no pending cancellation", ms.status),
            ));
        }
        Ok(membership_applied(data, i, now, |ms| {
            ms.status = "active";
            ms.cancel_at_period_end = false;
            // Only canceled or canceling memberships carry cancellation details in the seeded data.
            ms.canceled_at = None;
            ms.cancel_option = None;
            ms.cancellation_reason = None;
        }))
    })
}

async fn pause_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        // Validated for the client's sake; the membership object has no field that shows them.
        optional_time(body, "resumes_at")?;
        optional_bool(body, "void_payments")?;
        let i = membership_at(data, &id)?;
        let ms = &data.memberships[i];
        if is_ended(ms.status) {
            return Err(ApiError::unprocessable(
                "membership_not_pausable",
                format!("Membership {id} is {} and cannot be paused", ms.status),
            ));
        }
        if ms.payment_collection_paused {
            return Err(ApiError::unprocessable(
                "membership_already_paused",
                format!("Payment collection for membership {id} is already paused"),
            ));
        }
        Ok(membership_applied(data, i, now, |ms| ms.payment_collection_paused = true))
    })
}

async fn resume_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, _| {
        let i = membership_at(data, &id)?;
        let ms = &data.memberships[i];
        if !ms.payment_collection_paused {
            return Err(ApiError::unprocessable(
                "membership_not_paused",
                format!("Payment collection for membership {id} is not paused"),
            ));
        }
        Ok(membership_applied(data, i, now, |ms| ms.payment_collection_paused = false))
    })
}

async fn add_free_days(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        let days = required(body, "free_days")?
            .as_i64()
            .filter(|d| (1..=365).contains(d))
            .ok_or_else(|| ApiError::invalid("free_days", "free_days must be an integer from 1 to 365".into()))?;
        let i = membership_at(data, &id)?;
        Ok(membership_applied(data, i, now, |ms| {
            let from = ms.renewal_period_end.map_or(now, |t| t.0);
            ms.renewal_period_end = Some(Ts(from + days * DAY_MS));
        }))
    })
}

async fn update_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        let metadata: Metadata = match required(body, "metadata")? {
            Value::Object(m) if m.len() <= MAX_METADATA_KEYS => m.clone(),
            Value::Object(_) => {
                return Err(ApiError::invalid(
                    "metadata",
                    format!("metadata can have at most {MAX_METADATA_KEYS} keys"),
                ));
            }
            _ => return Err(ApiError::invalid("metadata", "metadata must be a JSON object".into())),
        };
        let i = membership_at(data, &id)?;
        Ok(membership_applied(data, i, now, |ms| ms.metadata = metadata))
    })
}

async fn refund_payment(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        let requested = field(body, "partial_amount")
            .map(|v| {
                positive_number(v, "partial_amount")
                    .map(to_cents)
                    .and_then(|c| (c > 0).then_some(c).ok_or_else(|| too_small("partial_amount")))
            })
            .transpose()?;
        let k = data.payments.iter().position(|p| p.id == id).ok_or_else(|| not_found("payments", &id))?;
        let p: &Payment = &data.payments[k];
        let remaining = p.total_cents - p.refunded_cents;
        if p.status != "paid" || remaining <= 0 {
            return Err(ApiError::unprocessable(
                "payment_not_refundable",
                format!("Payment {id} is {} with nothing left to refund", p.status),
            ));
        }
        let cents = requested.unwrap_or(remaining);
        if cents > remaining {
            return Err(ApiError::invalid(
                "partial_amount",
                format!("partial_amount must not exceed the refundable {:.2}", money(remaining)),
            ));
        }
        // Refunds are never removed, so their count numbers the new one uniquely; `now` is after every
        // existing refund, which keeps the refunds list sorted.
        let n = data.refunds.len() as u64;
        data.add_refund(n, k, cents, now);
        let p = &mut data.payments[k];
        if p.refunded_cents >= p.total_cents {
            p.status = "refunded";
        }
        Ok(Applied { object_id: id.clone(), response: to_json(p) })
    })
}

fn too_small(name: &'static str) -> ApiError {
    ApiError::invalid(name, format!("{name} must be at least 0.01"))
}

async fn create_promo_code(State(s): State<AppState>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        let code = as_str(required(body, "code")?, "code")?;
        let valid_code =
            (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid_code {
            return Err(ApiError::invalid("code", "code must be 1 to 64 letters, digits, _ or -".into()));
        }
        let amount_off = positive_number(required(body, "amount_off")?, "amount_off")?;
        let currency = as_str(required(body, "base_currency")?, "base_currency")?;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ApiError::invalid("base_currency", "base_currency must be an ISO 4217 code".into()));
        }
        let promo_type = match as_str(required(body, "promo_type")?, "promo_type")? {
            "percentage" => "percentage",
            "flat_amount" => "flat_amount",
            _ => return Err(ApiError::invalid("promo_type", "promo_type must be percentage or flat_amount".into())),
        };
        let amount_off = if promo_type == "percentage" {
            if amount_off > 100.0 {
                return Err(ApiError::invalid("amount_off", "a percentage amount_off must be at most 100".into()));
            }
            amount_off
        } else {
            let cents = to_cents(amount_off);
            if cents <= 0 {
                return Err(too_small("amount_off"));
            }
            money(cents)
        };
        let new_users_only = as_bool(required(body, "new_users_only")?, "new_users_only")?;
        // Required but nullable (null = the discount lasts forever), so absence and null differ here.
        if !body.contains_key("promo_duration_months") {
            return Err(ApiError::missing("promo_duration_months"));
        }
        let months = field(body, "promo_duration_months")
            .map(|v| {
                v.as_u64().and_then(|m| u32::try_from(m).ok()).filter(|m| *m >= 1).ok_or_else(|| {
                    ApiError::invalid(
                        "promo_duration_months",
                        "promo_duration_months must be a positive integer".into(),
                    )
                })
            })
            .transpose()?;
        let (owner_param, owner) = match (field(body, "company_id"), field(body, "account_id")) {
            (Some(v), _) => ("company_id", v),
            (None, Some(v)) => ("account_id", v),
            (None, None) => return Err(ApiError::missing("company_id")),
        };
        let owner = as_str(owner, owner_param)?;
        if !data.accounts.iter().any(|a| a.id == owner) {
            return Err(ApiError::invalid(owner_param, format!("{owner_param} {owner} is not this seller's company")));
        }
        let product = match field(body, "product_id") {
            None => None,
            Some(v) => {
                let pid = as_str(v, "product_id")?;
                if !data.products.iter().any(|p| p.id == pid) {
                    return Err(ApiError::invalid("product_id", format!("No product with id {pid}")));
                }
                Some(IdRef { id: pid.to_string() })
            }
        };
        let stock = field(body, "stock")
            .map(|v| {
                v.as_u64().ok_or_else(|| ApiError::invalid("stock", "stock must be a non-negative integer".into()))
            })
            .transpose()?;
        let unlimited_stock = optional_bool(body, "unlimited_stock")?.unwrap_or(stock.is_none());
        let expires_at = optional_time(body, "expires_at")?;
        let one_per_customer = optional_bool(body, "one_per_customer")?.unwrap_or(false);
        let churned_users_only = optional_bool(body, "churned_users_only")?.unwrap_or(false);
        // Codes are matched ignoring case at checkout, so they are unique that way too.
        if data.promo_codes.iter().any(|p| p.code.eq_ignore_ascii_case(code)) {
            return Err(ApiError::unprocessable("promo_code_taken", format!("The promo code {code} already exists")));
        }
        let promo = PromoCode {
            id: data.new_promo_id(),
            code: code.to_string(),
            promo_type,
            amount_off,
            currency: currency.to_ascii_lowercase(),
            duration: if months.is_some() { "repeating" } else { "forever" },
            promo_duration_months: months,
            uses: 0,
            stock,
            unlimited_stock,
            expires_at: expires_at.map(Ts),
            new_users_only,
            churned_users_only,
            one_per_customer,
            product,
            status: "active",
            created_at: Ts(now),
            updated_at: Ts(now),
        };
        let applied = Applied { object_id: promo.id.clone(), response: to_json(&promo) };
        // `now` is after every existing object, so appending keeps the list sorted by created_at.
        data.promo_codes.push(promo);
        Ok(applied)
    })
}

/// Moves a promo code to `status`. Archived codes are final, and a move to the current status is
/// refused so a client learns its view was stale.
fn set_promo_status(data: &mut Data, id: &str, now: i64, status: &'static str) -> Result<Applied, ApiError> {
    let promo = data.promo_codes.iter_mut().find(|p| p.id == id).ok_or_else(|| not_found("promo_codes", id))?;
    if promo.status == "archived" {
        return Err(ApiError::unprocessable("promo_code_archived", format!("Promo code {id} is archived")));
    }
    if promo.status == status {
        let code = if status == "active" { "promo_code_already_active" } else { "promo_code_already_inactive" };
        return Err(ApiError::unprocessable(code, format!("Promo code {id} is already {status}")));
    }
    promo.status = status;
    promo.updated_at = Ts(now);
    Ok(Applied { object_id: id.to_string(), response: to_json(promo) })
}

async fn activate_promo_code(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, _| set_promo_status(data, &id, now, "active"))
}

async fn deactivate_promo_code(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, _| set_promo_status(data, &id, now, "inactive"))
}

/// The sandbox archives rather than deletes, so the code stays listed (and taken) with status "archived".
async fn archive_promo_code(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, _| set_promo_status(data, &id, now, "archived"))
}
