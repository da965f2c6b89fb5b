//! Fault injection and request accounting, as one middleware in front of every route. Requests to the
//! AI and e-sign routes are also logged here, so their logs see faulted requests too.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::ai::{self, Provider};
use crate::esign::{self, EsignProvider};
use crate::{AppState, FaultKind};

/// Large enough for a 100-item page of any resource; bodies are built by this crate.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Fields a client must tolerate being absent. Identity and state fields stay so records remain usable.
const OPTIONAL_FIELDS: &[&str] = &[
    "email",
    "name",
    "metadata",
    "username",
    "phone",
    "canceled_at",
    "cancel_option",
    "cancellation_reason",
    "promo_code",
    "card_brand",
    "card_last4",
    "failure_message",
    "referrer",
    "description",
    "most_recent_action",
    "most_recent_action_at",
    "paid_at",
    "refunded_at",
    "renewal_period_start",
    "renewal_period_end",
    "license_key",
    "manage_url",
    "trial_period_days",
    "billing_period",
    "purchase_url",
    "expires_at",
    "settlement_currency",
    "tax_amount",
    "published_at",
    "substatus",
    "profile_picture",
    "picture",
];

pub async fn layer(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_sandbox") {
        return next.run(req).await;
    }
    s.count_request(&path);
    if let Some(provider) = EsignProvider::of(&path) {
        let (req, pending) = match esign::arrive(&s, provider, req).await {
            Ok(v) => v,
            Err(resp) => return resp,
        };
        let resp = apply(&s, &path, Origin::Esign(provider), req, next).await;
        return esign::depart(pending, resp);
    }
    let Some(provider) = Provider::of(&path, req.headers()) else {
        return apply(&s, &path, Origin::Whop, req, next).await;
    };
    // AI requests are logged whatever happens to them, faults and refusals included.
    let (req, pending) = match ai::arrive(&s, provider, req).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let resp = apply(&s, &path, Origin::Ai(provider), req, next).await;
    ai::depart(pending, resp)
}

/// Who a path imitates, which decides the shape of error bodies.
#[derive(Clone, Copy)]
enum Origin {
    Whop,
    Ai(Provider),
    Esign(EsignProvider),
}

/// Answers `req`, through the first pending fault for `path` if there is one.
async fn apply(s: &AppState, path: &str, origin: Origin, mut req: Request, next: Next) -> Response {
    let Some(fault) = s.take_fault(path) else {
        return next.run(req).await;
    };
    tracing::debug!(%path, kind = ?fault.kind, "applying fault");
    if let Origin::Esign(provider) = origin
        && let Some(resp) = esign::fault_error(s, &fault, provider)
    {
        return resp;
    }
    if let Origin::Ai(provider) = origin {
        let request_id = req.extensions().get::<ai::RequestId>().map(|r| r.0.clone()).unwrap_or_default();
        if let Some(mut resp) = ai::fault_error(fault.kind, provider, &request_id) {
            let retry_after = match fault.kind {
                FaultKind::RateLimit => Some(fault.retry_after_secs.unwrap_or(1)),
                _ => fault.retry_after_secs,
            };
            if let Some(secs) = retry_after {
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                // OpenAI's SDK prefers the ms header; Anthropic's reads it too.
                if provider == Provider::OpenAi {
                    resp.headers_mut().insert("retry-after-ms", HeaderValue::from(secs.saturating_mul(1000)));
                }
            }
            return resp;
        }
    }
    match fault.kind {
        FaultKind::RateLimit => {
            let secs = fault.retry_after_secs.unwrap_or(1);
            let mut resp = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"error":{"type":"rate_limit_exceeded","message":"You are being rate limited"}})),
            )
                .into_response();
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            resp
        }
        FaultKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"error":{"type":"internal_server_error","message":"An unexpected error occurred"}})),
        )
            .into_response(),
        FaultKind::Overloaded => {
            let mut resp = (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"error":{"type":"service_unavailable","message":"The service is overloaded"}})),
            )
                .into_response();
            if let Some(secs) = fault.retry_after_secs {
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            resp
        }
        FaultKind::MalformedOutput => {
            // Only the AI handlers know what "the requested format" is; Whop routes answer normally.
            if matches!(origin, Origin::Ai(_)) {
                req.extensions_mut().insert(ai::Malformed);
            }
            next.run(req).await
        }
        FaultKind::Slow => {
            tokio::time::sleep(std::time::Duration::from_millis(fault.delay_ms.unwrap_or(1000))).await;
            next.run(req).await
        }
        FaultKind::Truncated => {
            let (mut parts, bytes) = match collect(next.run(req).await).await {
                Ok(v) => v,
                Err(resp) => return resp,
            };
            parts.status = StatusCode::OK;
            parts.headers.remove(header::CONTENT_LENGTH);
            let half = bytes.slice(..bytes.len() / 2);
            Response::from_parts(parts, Body::from(half))
        }
        FaultKind::ExtraFields | FaultKind::MissingOptional => {
            let (mut parts, bytes) = match collect(next.run(req).await).await {
                Ok(v) => v,
                Err(resp) => return resp,
            };
            let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
                return Response::from_parts(parts, Body::from(bytes));
            };
            if fault.kind == FaultKind::ExtraFields {
                add_extra_fields(&mut value);
            } else {
                remove_optional_fields(&mut value);
            }
            parts.headers.remove(header::CONTENT_LENGTH);
            let body = serde_json::to_vec(&value).unwrap_or_default();
            Response::from_parts(parts, Body::from(body))
        }
    }
}

async fn collect(resp: Response) -> Result<(axum::http::response::Parts, axum::body::Bytes), Response> {
    let (parts, body) = resp.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(e) => {
            tracing::warn!(error = %e, "could not buffer response for a fault");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// Simulates a newer API version: unknown scalars, objects and arrays on every object.
pub fn add_extra_fields(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                add_extra_fields(child);
            }
            map.insert("x_sandbox_extra".into(), json!("unexpected"));
            map.insert("x_future_object".into(), json!({"nested": {"flag": true}, "list": [1, 2, 3]}));
            map.insert("x_future_enum".into(), json!("some_new_value"));
        }
        Value::Array(items) => items.iter_mut().for_each(add_extra_fields),
        _ => {}
    }
}

pub fn remove_optional_fields(v: &mut Value) {
    match v {
        Value::Object(map) => {
            // page_info and error bodies are protocol, not data: keep them intact.
            for key in OPTIONAL_FIELDS {
                map.remove(*key);
            }
            for (key, child) in map.iter_mut() {
                if key != "page_info" && key != "error" {
                    remove_optional_fields(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(remove_optional_fields),
        _ => {}
    }
}
