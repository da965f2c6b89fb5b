//! API v1 writes: membership lifecycle, refunds and promo codes, shaped like Whop's SDK calls.
//!
//! Requests reach these handlers through the contract's gate (authenticated, params checked). Every
//! write then goes through [`write`]: honour `Idempotency-Key` as Whop documents it (the first answer
//! to a key is stored, 2xx and 4xx alike, and replayed for an identical request for 24 hours; a key
//! reused with another method, path, query, body or `Api-Version-Date` is refused), apply the change
//! under the data lock at one sandbox time, and log it. Operations validate everything before they
//! change anything, so a refused request leaves no trace in the data or the log.
//!
//! After 24 hours Whop forgets a key, so a resend would be applied again as a new request. The
//! sandbox refuses it instead (`idempotency_key_expired`): a client that resends an old key has a
//! bug that would, against Whop, refund or cancel twice, and a test must see it.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::api::{ApiError, parse_time};
use crate::contract::shaped;
use crate::data::{DAY_MS, Data, Membership, Metadata, Payment, PromoCode, Record, TitledRef, Ts, format_ts, money};

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

/// How long Whop keeps an idempotency key.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 3_600_000;

/// The first answer given to an idempotency key.
struct Stored {
    fingerprint: [u8; 32],
    status: StatusCode,
    body: Bytes,
    replays: u64,
    /// Sandbox time the key was first used.
    at_ms: i64,
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

/// What a write needs from its request besides path parameters. The body stays raw: the idempotency
/// fingerprint covers it byte for byte, and a body that is not JSON still gets a v1 error.
pub struct WriteReq {
    method: Method,
    path: String,
    query: String,
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
        let query = req.uri().query().unwrap_or_default().to_string();
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        Ok(Self { method, path, query, headers, body })
    }
}

/// What an operation reports once it has changed the data.
pub(crate) struct Applied {
    pub(crate) object_id: String,
    pub(crate) response: Value,
}

pub(crate) type Fields = Map<String, Value>;

/// Runs one write: auth, idempotency, `op` under the data lock at sandbox time `now`, log, answer.
/// `op` gets the body's fields (empty for an empty body) and must not change anything when it fails.
pub(crate) fn write<F>(s: &AppState, req: WriteReq, op: F) -> Response
where
    F: FnOnce(&mut Data, i64, &Fields) -> Result<Applied, ApiError>,
{
    // The gate authenticated the request; that is never stored, so a retry with a fresh token works.
    let key = match idempotency_key(&req.headers) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let fingerprint = fingerprint(&req);
    let now_ms = s.now_ms();
    // Held until the answer is stored, so two concurrent requests with one key cannot both apply.
    let mut w = s.writes();
    if let Some(key) = &key
        && let Some(stored) = w.keys.get_mut(key)
    {
        if now_ms - stored.at_ms > IDEMPOTENCY_WINDOW_MS {
            return ApiError::unprocessable(
                "idempotency_key_expired",
                format!(
                    "Idempotency-Key {key} was first used more than 24 hours ago; Whop would run this as a new request"
                ),
            )
            .into_response();
        }
        if stored.fingerprint != fingerprint {
            return ApiError::unprocessable(
                "idempotency_key_mismatch",
                format!(
                    "Idempotency-Key {key} was already used with a different method, path, query, body or Api-Version-Date"
                ),
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
        w.keys.insert(key, Stored { fingerprint, status, body: body.clone(), replays: 0, at_ms: now_ms });
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

/// Method, path, query, body bytes and `Api-Version-Date`: what Whop compares for "the same
/// request". Other headers are left out, so a retry with a refreshed token still replays.
fn fingerprint(req: &WriteReq) -> [u8; 32] {
    let version = req.headers.get("api-version-date").map(HeaderValue::as_bytes).unwrap_or_default();
    let mut h = Sha256::new();
    for part in [req.method.as_str().as_bytes(), req.path.as_bytes(), req.query.as_bytes(), &req.body, version] {
        h.update(part);
        h.update([0]);
    }
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

pub(crate) fn field<'a>(body: &'a Fields, name: &str) -> Option<&'a Value> {
    body.get(name).filter(|v| !v.is_null())
}

pub(crate) fn required<'a>(body: &'a Fields, name: &'static str) -> Result<&'a Value, ApiError> {
    field(body, name).ok_or_else(|| ApiError::missing(name))
}

pub(crate) fn as_str<'a>(v: &'a Value, name: &'static str) -> Result<&'a str, ApiError> {
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
pub(crate) fn to_json<T: Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or_default()
}

fn not_found(resource: &str, id: &str) -> ApiError {
    // Same wording as retrieve, so clients see one message for one situation.
    ApiError::not_found(format!("No {resource} object found with id {id}"))
}

/// An object the seller may change: in one of their businesses, still reachable. Their own
/// purchases from other creators are not theirs to manage.
fn manageable<T: Record>(data: &Data, items: &[T], id: &str, resource: &str) -> Result<usize, ApiError> {
    let i = items.iter().position(|x| x.id() == id).ok_or_else(|| not_found(resource, id))?;
    match items[i].business() {
        Some(b) if data.accessible[b] => Ok(i),
        _ => Err(ApiError::no_access("id", id)),
    }
}

fn membership_at(data: &Data, id: &str) -> Result<usize, ApiError> {
    manageable(data, &data.memberships, id, "memberships")
}

/// Applies `change` to membership `i` and answers it, refreshing member counts (they depend on status).
fn membership_applied(data: &mut Data, i: usize, now: i64, change: impl FnOnce(&mut Membership)) -> Applied {
    let ms = &mut data.memberships[i];
    change(ms);
    ms.updated_at = Ts(now);
    let applied = Applied { object_id: ms.id.clone(), response: shaped("memberships.retrieve", to_json(ms)) };
    data.recount();
    applied
}

/// Statuses after which a membership is over: nothing left to cancel, pause or collect.
fn is_ended(status: &str) -> bool {
    matches!(status, "canceled" | "expired" | "completed")
}

pub async fn cancel_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
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

pub async fn uncancel_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
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

pub async fn pause_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
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

pub async fn resume_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
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

pub async fn add_free_days(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        let days = required(body, "free_days")?
            .as_i64()
            .filter(|d| (1..=1095).contains(d))
            .ok_or_else(|| ApiError::invalid("free_days", "free_days must be an integer from 1 to 1095".into()))?;
        let i = membership_at(data, &id)?;
        Ok(membership_applied(data, i, now, |ms| {
            let from = ms.renewal_period_end.map_or(now, |t| t.0);
            ms.renewal_period_end = Some(Ts(from + days * DAY_MS));
        }))
    })
}

pub async fn update_membership(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
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

pub async fn refund_payment(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, body| {
        let requested = field(body, "partial_amount")
            .map(|v| {
                positive_number(v, "partial_amount")
                    .map(to_cents)
                    .and_then(|c| (c > 0).then_some(c).ok_or_else(|| too_small("partial_amount")))
            })
            .transpose()?;
        let k = manageable(data, &data.payments, &id, "payments")?;
        let p: &Payment = &data.payments[k];
        let remaining = p.total_cents - p.refunded_cents;
        if p.status != "paid" || remaining <= 0 {
            return Err(ApiError::unprocessable(
                "payment_not_refundable",
                format!("Payment {id} is {} with nothing left to refund", p.status),
            ));
        }
        // "If omitted, the full payment amount is refunded" (the SDK's PaymentRefundParams): after a
        // partial refund that is more than is left, and Whop refuses it.
        let Some(cents) = requested else {
            if p.refunded_cents > 0 {
                return Err(ApiError::unprocessable(
                    "refund_exceeds_remaining",
                    format!(
                        "A refund without partial_amount is the full {:.2}; only {:.2} is left on payment {id}",
                        money(p.total_cents),
                        money(remaining)
                    ),
                ));
            }
            return refund(data, k, remaining, now, &id);
        };
        if cents > remaining {
            return Err(ApiError::invalid(
                "partial_amount",
                format!("partial_amount must not exceed the refundable {:.2}", money(remaining)),
            ));
        }
        refund(data, k, cents, now, &id)
    })
}

/// Refunds `cents` of payment `k` and answers the payment.
fn refund(data: &mut Data, k: usize, cents: i64, now: i64, id: &str) -> Result<Applied, ApiError> {
    {
        // Refunds are never removed, so their count numbers the new one uniquely; `now` is after every
        // existing refund, which keeps the refunds list sorted.
        let n = data.refunds.len() as u64;
        data.add_refund(n, k, cents, now);
        // A refunded payment stays `paid`; its substatus says refunded (Whop's status has no "refunded").
        let p = &data.payments[k];
        Ok(Applied { object_id: id.to_string(), response: shaped("payments.refund", to_json(p)) })
    }
}

fn too_small(name: &'static str) -> ApiError {
    ApiError::invalid(name, format!("{name} must be at least 0.01"))
}

pub async fn create_promo_code(State(s): State<AppState>, req: WriteReq) -> Response {
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
        // A number in the pinned version (the gate refused null): how many billing months it lasts.
        let months = required(body, "promo_duration_months")?
            .as_u64()
            .and_then(|m| u32::try_from(m).ok())
            .filter(|m| *m >= 1)
            .ok_or_else(|| {
                ApiError::invalid("promo_duration_months", "promo_duration_months must be a positive integer".into())
            })?;
        let owner = as_str(required(body, "company_id")?, "company_id")?;
        let business = match data.accounts.iter().position(|a| a.id == owner) {
            Some(b) if data.accessible[b] => b,
            _ => return Err(ApiError::no_access("company_id", owner)),
        };
        let product = match field(body, "product_id") {
            None => None,
            Some(v) => {
                let pid = as_str(v, "product_id")?;
                match data.products.iter().find(|p| p.id == pid && p.biz == Some(business)) {
                    Some(p) => Some(TitledRef { id: p.id.clone(), title: p.title.clone() }),
                    None => return Err(ApiError::invalid("product_id", format!("No product {pid} in {owner}"))),
                }
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
        // Codes are matched ignoring case at checkout, so they are unique that way too, within a
        // business.
        if data.promo_codes.iter().any(|p| p.code.eq_ignore_ascii_case(code) && p.biz == Some(business)) {
            return Err(ApiError::unprocessable("promo_code_taken", format!("The promo code {code} already exists")));
        }
        let promo = PromoCode {
            id: data.new_promo_id(),
            code: code.to_string(),
            promo_type,
            amount_off,
            currency: currency.to_ascii_lowercase(),
            duration: if months == 1 { "once" } else { "repeating" },
            promo_duration_months: Some(months),
            uses: 0,
            stock: stock.unwrap_or(0),
            unlimited_stock,
            expires_at: expires_at.map(Ts),
            new_users_only,
            churned_users_only,
            existing_memberships_only: optional_bool(body, "existing_memberships_only")?.unwrap_or(false),
            one_per_customer,
            product,
            company: TitledRef { id: data.accounts[business].id.clone(), title: data.accounts[business].title.clone() },
            status: "active",
            created_at: Ts(now),
            updated_at: Ts(now),
            biz: Some(business),
        };
        let applied = Applied { object_id: promo.id.clone(), response: shaped("promoCodes.create", to_json(&promo)) };
        // `now` is after every existing object, so appending keeps the list sorted by created_at.
        data.promo_codes.push(promo);
        Ok(applied)
    })
}

/// `DELETE /promo_codes/{id}` archives the code ("preventing it from being used in future
/// checkouts"); it stays listed, and taken, with status "archived". Whop answers `true`.
pub async fn delete_promo_code(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, _| {
        let i = manageable(data, &data.promo_codes, &id, "promo_codes")?;
        let promo = &mut data.promo_codes[i];
        if promo.status == "archived" {
            return Err(ApiError::unprocessable("promo_code_archived", format!("Promo code {id} is already archived")));
        }
        promo.status = "archived";
        promo.updated_at = Ts(now);
        Ok(Applied { object_id: id.clone(), response: Value::Bool(true) })
    })
}

/// `POST /payments/{id}/retry`: charges a failed payment again. In the sandbox the retry succeeds,
/// except for the payments seeded to be declined again (`Payment::retry_declines`).
pub async fn retry_payment(State(s): State<AppState>, Path(id): Path<String>, req: WriteReq) -> Response {
    write(&s, req, |data, now, _| {
        let k = manageable(data, &data.payments, &id, "payments")?;
        let p = &data.payments[k];
        if !p.retryable {
            return Err(ApiError::unprocessable(
                "payment_not_retryable",
                format!("Payment {id} is {} and cannot be retried", p.status),
            ));
        }
        if p.retry_declines {
            // Declined again: Whop counts the attempt and schedules the next one. (Whop documents
            // no answer for a declined retry; the sandbox answers its error envelope, 402.)
            let p = &mut data.payments[k];
            p.payments_failed = Some(p.payments_failed.unwrap_or(0) + 1);
            p.last_payment_attempt = Some(Ts(now));
            p.next_payment_attempt = Some(Ts(now + 3 * 86_400_000));
            p.updated_at = Ts(now);
            return Err(ApiError::new(
                axum::http::StatusCode::PAYMENT_REQUIRED,
                "card_error",
                format!("The retry of payment {id} was declined: {}", p.failure_message.unwrap_or("declined")),
                Some("payment_declined"),
                None,
            ));
        }
        let membership = p.membership.id.clone();
        let p = &mut data.payments[k];
        p.next_payment_attempt = None;
        p.last_payment_attempt = Some(Ts(now));
        p.status = "paid";
        p.substatus = "succeeded";
        p.failure_message = None;
        p.paid_at = Some(Ts(now));
        p.retryable = false;
        p.refundable = true;
        p.updated_at = Ts(now);
        let response = shaped("payments.retry", to_json(&data.payments[k]));
        if let Some(ms) = data.memberships.iter_mut().find(|m| m.id == membership && m.status == "past_due") {
            ms.status = "active";
            ms.updated_at = Ts(now);
        }
        Ok(Applied { object_id: id.clone(), response })
    })
}
