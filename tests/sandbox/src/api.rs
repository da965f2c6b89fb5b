//! API v1: list and retrieve endpoints with Relay-style cursors.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::AppState;
use crate::data::{Data, Record, SELLER_EMAIL, SELLER_NAME, SELLER_USERNAME, Ts};

/// A v1 error: `{"error":{"type","message","code"?,"param"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    code: Option<&'static str>,
    param: Option<&'static str>,
}

impl ApiError {
    pub fn unauthorized(message: &str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            kind: "unauthorized",
            message: message.into(),
            code: None,
            param: None,
        }
    }

    pub fn invalid(param: &'static str, message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message,
            code: Some("parameter_invalid"),
            param: Some(param),
        }
    }

    /// 400 for a required parameter that is absent (or null).
    pub fn missing(param: &'static str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message: format!("{param} is required"),
            code: Some("parameter_missing"),
            param: Some(param),
        }
    }

    /// 400 for a body that is not JSON, or not a JSON object.
    pub fn invalid_json(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message,
            code: Some("invalid_json"),
            param: None,
        }
    }

    /// 422: the request is well-formed but the object's state does not allow it.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "invalid_request_error",
            message: message.into(),
            code: Some(code),
            param: None,
        }
    }

    pub fn not_found(message: String) -> Self {
        Self { status: StatusCode::NOT_FOUND, kind: "not_found", message, code: None, param: None }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `{"error":{…}}` body, for callers that store or log the answer before sending it.
    pub fn body(&self) -> Value {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(code) = self.code {
            error["code"] = json!(code);
        }
        if let Some(param) = self.param {
            error["param"] = json!(param);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

/// Bearer token first (a real gateway authenticates before anything else), then the version header.
pub fn check(s: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = bearer(headers).ok_or_else(|| ApiError::unauthorized("Missing bearer token"))?;
    let now = s.now_ms();
    s.oauth().check_access(token, now).map_err(ApiError::unauthorized)?;
    let has_version =
        headers.get("api-version-date").and_then(|v| v.to_str().ok()).is_some_and(|v| !v.trim().is_empty());
    if !has_version {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message: "Api-Version-Date header is required".into(),
            code: Some("parameter_missing"),
            param: Some("Api-Version-Date"),
        });
    }
    Ok(())
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

pub fn routes() -> Router<AppState> {
    let r = Router::new().route("/users/me", get(users_me)).route("/users/{id}", get(user_by_id));
    let r = resource(r, "accounts", |d| &d.accounts);
    let r = resource(r, "products", |d| &d.products);
    let r = resource(r, "plans", |d| &d.plans);
    let r = resource(r, "memberships", |d| &d.memberships);
    let r = resource(r, "members", |d| &d.members);
    let r = resource(r, "payments", |d| &d.payments);
    let r = resource(r, "refunds", |d| &d.refunds);
    let r = resource(r, "reviews", |d| &d.reviews);
    let r = resource(r, "promo_codes", |d| &d.promo_codes);
    resource(r, "leads", |d| &d.leads)
}

type Getter<T> = fn(&Data) -> &[T];

fn resource<T: Record + Send + Sync + 'static>(
    router: Router<AppState>,
    name: &'static str,
    getter: Getter<T>,
) -> Router<AppState> {
    router
        .route(
            &format!("/{name}"),
            get(move |State(s): State<AppState>, headers: HeaderMap, Query(q): Query<Vec<(String, String)>>| async move {
                list(&s, &headers, &q, getter).map_or_else(IntoResponse::into_response, IntoResponse::into_response)
            }),
        )
        .route(
            &format!("/{name}/{{id}}"),
            get(move |State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>| async move {
                retrieve(&s, &headers, &id, name, getter)
                    .map_or_else(IntoResponse::into_response, IntoResponse::into_response)
            }),
        )
}

fn retrieve<T: Record>(
    s: &AppState,
    headers: &HeaderMap,
    id: &str,
    name: &str,
    getter: Getter<T>,
) -> Result<axum::Json<Value>, ApiError> {
    check(s, headers)?;
    let data = s.data();
    let item = getter(&data)
        .iter()
        .find(|x| x.id() == id)
        .ok_or_else(|| ApiError::not_found(format!("No {name} object found with id {id}")))?;
    serde_json::to_value(item).map(axum::Json).map_err(|e| ApiError::not_found(e.to_string()))
}

struct ListParams {
    first: usize,
    after: Option<(i64, String)>,
    created_after: Option<i64>,
    created_before: Option<i64>,
    desc: bool,
}

pub fn parse_time(param: &'static str, v: &str) -> Result<i64, ApiError> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(dt.timestamp_millis());
    }
    // Some Whop docstrings say "Unix timestamp": accept whole seconds too.
    v.parse::<i64>()
        .map(|secs| secs.saturating_mul(1000))
        .map_err(|_| ApiError::invalid(param, format!("{param} must be an ISO 8601 timestamp")))
}

pub fn encode_cursor(created_ms: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("c1:{created_ms}:{id}"))
}

fn decode_cursor(v: &str) -> Option<(i64, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(v).ok()?).ok()?;
    let rest = raw.strip_prefix("c1:")?;
    let (ms, id) = rest.split_once(':')?;
    Some((ms.parse().ok()?, id.to_string()))
}

impl ListParams {
    fn parse(q: &[(String, String)]) -> Result<Self, ApiError> {
        let mut p = ListParams { first: 10, after: None, created_after: None, created_before: None, desc: true };
        for (k, v) in q {
            match k.as_str() {
                "first" => {
                    p.first = v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=100).contains(n))
                        .ok_or_else(|| ApiError::invalid("first", "first must be between 1 and 100".into()))?;
                }
                // An empty `after` is how some clients spell "from the start".
                "after" if v.is_empty() => {}
                "after" => {
                    p.after =
                        Some(decode_cursor(v).ok_or_else(|| ApiError::invalid("after", "Invalid cursor".into()))?);
                }
                "created_after" => p.created_after = Some(parse_time("created_after", v)?),
                "created_before" => p.created_before = Some(parse_time("created_before", v)?),
                "direction" => {
                    p.desc = match v.as_str() {
                        "asc" => false,
                        "desc" => true,
                        _ => return Err(ApiError::invalid("direction", "direction must be asc or desc".into())),
                    }
                }
                // `order` is always created_at here; account_id, company_id and other filters are ignored
                // silently, as the real API ignores parameters it does not know.
                _ => {}
            }
        }
        Ok(p)
    }
}

fn list<T: Record>(
    s: &AppState,
    headers: &HeaderMap,
    q: &[(String, String)],
    getter: Getter<T>,
) -> Result<axum::Json<Value>, ApiError> {
    check(s, headers)?;
    let p = ListParams::parse(q)?;
    let data = s.data();
    Ok(axum::Json(page(getter(&data), &p)))
}

/// Items are sorted by strictly increasing created_at, so `(created_at, id)` orders them totally and a
/// cursor holding that key survives appends: new objects land after every existing one.
fn page<T: Record>(items: &[T], p: &ListParams) -> Value {
    let key = |x: &T| (x.created_ms(), x.id().to_string());
    let lo = p.created_after.map_or(0, |a| items.partition_point(|x| x.created_ms() <= a));
    let hi = p.created_before.map_or(items.len(), |b| items.partition_point(|x| x.created_ms() < b)).max(lo);
    let (slice, has_next, has_prev): (Vec<&T>, bool, bool) = if p.desc {
        let end = match &p.after {
            Some((ms, id)) => items.partition_point(|x| (x.created_ms(), x.id()) < (*ms, id.as_str())),
            None => hi,
        }
        .clamp(lo, hi);
        let start = end.saturating_sub(p.first).max(lo);
        (items[start..end].iter().rev().collect(), start > lo, end < hi)
    } else {
        let start = match &p.after {
            Some((ms, id)) => items.partition_point(|x| (x.created_ms(), x.id()) <= (*ms, id.as_str())),
            None => lo,
        }
        .clamp(lo, hi);
        let end = (start + p.first).min(hi);
        (items[start..end].iter().collect(), end < hi, start > lo)
    };
    let cursor = |x: Option<&&T>| x.map(|x| key(x)).map(|(ms, id)| encode_cursor(ms, &id));
    json!({
        "data": slice,
        "page_info": {
            "end_cursor": cursor(slice.last()),
            "start_cursor": cursor(slice.first()),
            "has_next_page": has_next,
            "has_previous_page": has_prev,
        }
    })
}

fn seller_json(s: &AppState) -> Value {
    let data = s.data();
    json!({
        "id": data.seller.id,
        "username": SELLER_USERNAME,
        "name": SELLER_NAME,
        "email": SELLER_EMAIL,
        "profile_picture": null,
        "created_at": Ts(data.seller.created_ms),
    })
}

async fn users_me(State(s): State<AppState>, headers: HeaderMap) -> Response {
    match check(&s, &headers) {
        Ok(()) => axum::Json(seller_json(&s)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /users/{id}`: the seller by id or username; other users are not exposed by the sandbox.
async fn user_by_id(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(e) = check(&s, &headers) {
        return e.into_response();
    }
    let me = seller_json(&s);
    if id == SELLER_USERNAME || me["id"] == json!(id) {
        axum::Json(me).into_response()
    } else {
        ApiError::not_found(format!("No user found with id {id}")).into_response()
    }
}
