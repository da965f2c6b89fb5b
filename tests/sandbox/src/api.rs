//! API v1: one route per endpoint of the contract (`crate::contract`), each behind the contract's
//! gate. Lists are Relay-style cursor pages scoped the way Whop scopes a user token: the seller's
//! businesses, one at a time when the request names one (`account_id`, `company_id`,
//! `product_id`), and, for memberships and payments that name none, the seller's own purchases too.

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::AppState;
use crate::contract::{Admitted, DEFAULT_FIRST, contract, shaped};
use crate::data::{Data, Record};
use crate::{dms, writes};

/// A v1 error: `{"error":{"type","message","code"?,"param"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    code: Option<&'static str>,
    param: Option<String>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        message: String,
        code: Option<&'static str>,
        param: Option<String>,
    ) -> Self {
        Self { status, kind, message, code, param }
    }

    pub fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message.into(), None, None)
    }

    pub fn invalid(param: &str, message: String) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            message,
            Some("parameter_invalid"),
            Some(param.into()),
        )
    }

    /// 400 for a required parameter that is absent.
    pub fn missing(param: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!("{param} is required"),
            Some("parameter_missing"),
            Some(param.into()),
        )
    }

    /// 400 for a body that is not JSON, or not a JSON object.
    pub fn invalid_json(message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message, Some("invalid_json"), None)
    }

    /// 422: the request is well-formed but the object's state does not allow it.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", message.into(), Some(code), None)
    }

    /// 403 for a business the seller cannot act for (never theirs, or access taken away).
    pub fn no_access(param: &str, id: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("You do not have access to {id}"),
            Some("no_access"),
            Some(param.into()),
        )
    }

    pub fn not_found(message: String) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message, None, None)
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
        if let Some(param) = &self.param {
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

pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

/// Makes the route of one SDK method.
type MakeRoute = fn() -> MethodRouter<AppState>;

/// The handler of each SDK method the sandbox serves. The routes are the contract's endpoints;
/// a test checks that these names and the contract's are the same set.
pub const HANDLERS: &[(&str, MakeRoute)] = &[
    ("accounts.list", || get(list_accounts)),
    ("products.list", || get(list_products)),
    ("plans.list", || get(list_plans)),
    ("members.list", || get(list_members)),
    ("memberships.list", || get(list_memberships)),
    ("memberships.retrieve", || get(retrieve_membership)),
    ("memberships.update", || patch(writes::update_membership)),
    ("memberships.cancel", || post(writes::cancel_membership)),
    ("memberships.uncancel", || post(writes::uncancel_membership)),
    ("memberships.pause", || post(writes::pause_membership)),
    ("memberships.resume", || post(writes::resume_membership)),
    ("memberships.addFreeDays", || post(writes::add_free_days)),
    ("payments.list", || get(list_payments)),
    ("payments.retrieve", || get(retrieve_payment)),
    ("payments.refund", || post(writes::refund_payment)),
    ("payments.retry", || post(writes::retry_payment)),
    ("refunds.list", || get(list_refunds)),
    ("reviews.list", || get(list_reviews)),
    ("promoCodes.list", || get(list_promo_codes)),
    ("promoCodes.retrieve", || get(retrieve_promo_code)),
    ("promoCodes.create", || post(writes::create_promo_code)),
    ("promoCodes.delete", || delete(writes::delete_promo_code)),
    ("leads.list", || get(list_leads)),
    ("dmChannels.create", || post(dms::create_dm_channel)),
    ("messages.create", || post(dms::create_message)),
];

/// Contract endpoints the sandbox has no handler for ([`crate::Sandbox::start`] refuses to run then).
pub fn unhandled() -> Vec<&'static str> {
    contract()
        .endpoints
        .iter()
        .map(|e| e.sdk_method.as_str())
        .filter(|name| !HANDLERS.iter().any(|(handled, _)| handled == name))
        .collect()
}

/// Every endpoint of the contract, routed to its handler, behind the contract's gate.
pub fn routes(shared: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for endpoint in &contract().endpoints {
        if let Some((_, make)) = HANDLERS.iter().find(|(name, _)| *name == endpoint.sdk_method) {
            router = router.route(&endpoint.path, make());
        }
    }
    router
        .fallback(|method: axum::http::Method, uri: axum::http::Uri| async move {
            ApiError::not_found(format!(
                "No route {method} {} in API version {}",
                uri.path(),
                contract().api_version_date
            ))
        })
        .layer(axum::middleware::from_fn_with_state(shared.clone(), crate::contract::gate))
}

/// Which objects one list request may see.
struct Scope {
    /// One business (`account_id`/`company_id`), or every business the seller can still reach.
    business: Option<usize>,
    /// The seller's own purchases (memberships and payments listed with no company).
    own_purchases: bool,
}

impl Scope {
    fn sees<T: Record>(&self, item: &T, data: &Data) -> bool {
        match (item.business(), self.business) {
            (None, _) => self.own_purchases,
            (Some(b), Some(one)) => b == one,
            (Some(b), None) => data.accessible.get(b).copied().unwrap_or(false),
        }
    }
}

/// The business a request names in `param`, which the seller must still have access to.
fn business_param(data: &Data, admitted: &Admitted, param: &str) -> Result<Option<usize>, ApiError> {
    let Some(id) = admitted.first(param) else { return Ok(None) };
    match data.accounts.iter().position(|a| a.id == id) {
        Some(b) if data.accessible[b] => Ok(Some(b)),
        _ => Err(ApiError::no_access(param, id)),
    }
}

/// The params every list handler implements; others are valid (the gate checked them) but the
/// sandbox does not filter by them, and says so in `X-Sandbox-Ignored-Params`.
const PAGING: &[&str] = &["first", "after", "created_after", "created_before", "direction", "order"];

struct ListParams {
    first: usize,
    after: Option<(i64, String)>,
    created_after: Option<i64>,
    created_before: Option<i64>,
    desc: bool,
}

pub fn parse_time(param: &str, v: &str) -> Result<i64, ApiError> {
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
    fn parse(admitted: &Admitted) -> Result<Self, ApiError> {
        let mut p =
            ListParams { first: DEFAULT_FIRST, after: None, created_after: None, created_before: None, desc: true };
        if let Some(first) = admitted.first("first") {
            // The gate checked the range.
            p.first = first.parse().unwrap_or(DEFAULT_FIRST);
        }
        if let Some(after) = admitted.first("after").filter(|a| !a.is_empty()) {
            p.after = Some(decode_cursor(after).ok_or_else(|| ApiError::invalid("after", "Invalid cursor".into()))?);
        }
        if let Some(v) = admitted.first("created_after") {
            p.created_after = Some(parse_time("created_after", v)?);
        }
        if let Some(v) = admitted.first("created_before") {
            p.created_before = Some(parse_time("created_before", v)?);
        }
        p.desc = admitted.first("direction") != Some("asc");
        Ok(p)
    }
}

/// One page of the items `keep` lets through. Items are sorted by strictly increasing created_at,
/// so `(created_at, id)` orders them totally and a cursor holding that key survives appends.
fn page<'a, T: Record>(items: &'a [T], keep: impl Fn(&T) -> bool, p: &ListParams) -> (Vec<&'a T>, bool, bool) {
    let lo = p.created_after.map_or(0, |a| items.partition_point(|x| x.created_ms() <= a));
    let hi = p.created_before.map_or(items.len(), |b| items.partition_point(|x| x.created_ms() < b)).max(lo);
    let position = |(ms, id): &(i64, String), inclusive: bool| {
        items.partition_point(|x| {
            let key = (x.created_ms(), x.id());
            if inclusive { key <= (*ms, id.as_str()) } else { key < (*ms, id.as_str()) }
        })
    };
    if p.desc {
        let end = p.after.as_ref().map_or(hi, |c| position(c, false)).clamp(lo, hi);
        let mut slice = Vec::with_capacity(p.first);
        let mut i = end;
        while i > lo && slice.len() < p.first {
            i -= 1;
            if keep(&items[i]) {
                slice.push(&items[i]);
            }
        }
        let has_next = items[lo..i].iter().any(&keep);
        let has_prev = items[end..hi].iter().any(&keep);
        (slice, has_next, has_prev)
    } else {
        let start = p.after.as_ref().map_or(lo, |c| position(c, true)).clamp(lo, hi);
        let mut slice = Vec::with_capacity(p.first);
        let mut i = start;
        while i < hi && slice.len() < p.first {
            if keep(&items[i]) {
                slice.push(&items[i]);
            }
            i += 1;
        }
        let has_next = items[i..hi].iter().any(&keep);
        let has_prev = items[lo..start].iter().any(&keep);
        (slice, has_next, has_prev)
    }
}

/// Answers one list request: the page, each item in the SDK's shape, and the ignored params.
fn list<T: Record>(
    admitted: &Admitted,
    items: &[T],
    keep: impl Fn(&T) -> bool,
    implemented: &[&str],
) -> Result<Response, ApiError> {
    let p = ListParams::parse(admitted)?;
    let (slice, has_next, has_prev) = page(items, keep, &p);
    let cursor = |x: Option<&&T>| x.map(|x| encode_cursor(x.created_ms(), x.id()));
    let data: Vec<Value> =
        slice.iter().map(|item| shaped(admitted.sdk_method, serde_json::to_value(item).unwrap_or_default())).collect();
    let body = json!({
        "data": data,
        "page_info": {
            "end_cursor": cursor(slice.last()),
            "start_cursor": cursor(slice.first()),
            "has_next_page": has_next,
            "has_previous_page": has_prev,
        }
    });
    let ignored: Vec<&str> = admitted
        .query
        .keys()
        .map(String::as_str)
        .filter(|k| !PAGING.contains(k) && !implemented.contains(k))
        .chain(admitted.first("order").filter(|o| *o != "created_at").map(|_| "order"))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut response = axum::Json(body).into_response();
    if !ignored.is_empty() {
        tracing::debug!(method = admitted.sdk_method, ?ignored, "sandbox: params accepted but not applied");
        if let Ok(value) = HeaderValue::from_str(&ignored.join(",")) {
            response.headers_mut().insert("x-sandbox-ignored-params", value);
        }
    }
    Ok(response)
}

fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn list_accounts(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    answer(list(&a, &data.accounts, |x| data.accessible.get(x.business().unwrap_or(usize::MAX)) == Some(&true), &[]))
}

/// `account_id` is required by the contract for products and plans.
fn account_scope(data: &Data, a: &Admitted) -> Result<Scope, ApiError> {
    Ok(Scope { business: business_param(data, a, "account_id")?, own_purchases: false })
}

/// `company_id`: optional for members, refunds, memberships and payments, required (by the
/// contract) for promo codes and leads. Without one, memberships and payments include the
/// seller's own purchases, as Whop's do for a user token.
fn company_scope(data: &Data, a: &Admitted, own_purchases_unfiltered: bool) -> Result<Scope, ApiError> {
    let business = business_param(data, a, "company_id")?;
    Ok(Scope { business, own_purchases: business.is_none() && own_purchases_unfiltered })
}

async fn list_products(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    answer(
        account_scope(&data, &a).and_then(|scope| list(&a, &data.products, |x| scope.sees(x, &data), &["account_id"])),
    )
}

async fn list_plans(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    answer(account_scope(&data, &a).and_then(|scope| list(&a, &data.plans, |x| scope.sees(x, &data), &["account_id"])))
}

async fn list_members(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    answer(
        company_scope(&data, &a, false)
            .and_then(|scope| list(&a, &data.members, |x| scope.sees(x, &data), &["company_id"])),
    )
}

async fn list_memberships(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    answer(
        company_scope(&data, &a, true)
            .and_then(|scope| list(&a, &data.memberships, |x| scope.sees(x, &data), &["company_id"])),
    )
}

async fn list_payments(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    answer(
        company_scope(&data, &a, true)
            .and_then(|scope| list(&a, &data.payments, |x| scope.sees(x, &data), &["company_id"])),
    )
}

async fn list_refunds(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    let payment = a.first("payment_id").map(str::to_string);
    answer(company_scope(&data, &a, false).and_then(|scope| {
        list(
            &a,
            &data.refunds,
            |x| scope.sees(x, &data) && payment.as_ref().is_none_or(|p| &x.payment.id == p),
            &["company_id", "payment_id"],
        )
    }))
}

async fn list_promo_codes(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    answer(
        company_scope(&data, &a, false)
            .and_then(|scope| list(&a, &data.promo_codes, |x| scope.sees(x, &data), &["company_id"])),
    )
}

async fn list_leads(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    answer(
        company_scope(&data, &a, false)
            .and_then(|scope| list(&a, &data.leads, |x| scope.sees(x, &data), &["company_id"])),
    )
}

/// Reviews are listed per product (`product_id` is required by the contract).
async fn list_reviews(State(s): State<AppState>, Extension(a): Extension<Admitted>) -> Response {
    let data = s.data();
    let product_id = a.first("product_id").unwrap_or_default().to_string();
    let product = data.products.iter().find(|p| p.id == product_id);
    let reachable = product.and_then(|p| p.biz).is_some_and(|b| data.accessible[b]);
    if !reachable {
        return ApiError::no_access("product_id", &product_id).into_response();
    }
    answer(list(&a, &data.reviews, |x| x.product_id == product_id, &["product_id"]))
}

/// Retrieve by id among the objects the seller can see (their businesses and their own purchases).
fn retrieve<T: Record>(data: &Data, admitted: &Admitted, items: &[T], id: &str, what: &str) -> Response {
    let visible = |x: &T| x.business().is_none_or(|b| data.accessible[b]);
    match items.iter().find(|x| x.id() == id && visible(x)) {
        Some(item) => {
            axum::Json(shaped(admitted.sdk_method, serde_json::to_value(item).unwrap_or_default())).into_response()
        }
        None => ApiError::not_found(format!("No {what} object found with id {id}")).into_response(),
    }
}

async fn retrieve_membership(
    State(s): State<AppState>,
    Extension(a): Extension<Admitted>,
    Path(id): Path<String>,
) -> Response {
    let data = s.data();
    retrieve(&data, &a, &data.memberships, &id, "memberships")
}

async fn retrieve_payment(
    State(s): State<AppState>,
    Extension(a): Extension<Admitted>,
    Path(id): Path<String>,
) -> Response {
    let data = s.data();
    retrieve(&data, &a, &data.payments, &id, "payments")
}

async fn retrieve_promo_code(
    State(s): State<AppState>,
    Extension(a): Extension<Admitted>,
    Path(id): Path<String>,
) -> Response {
    let data = s.data();
    retrieve(&data, &a, &data.promo_codes, &id, "promo_codes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_endpoint_has_a_handler_and_every_handler_an_endpoint() {
        let handled: BTreeSet<&str> = HANDLERS.iter().map(|(name, _)| *name).collect();
        let contracted: BTreeSet<&str> = contract().endpoints.iter().map(|e| e.sdk_method.as_str()).collect();
        assert_eq!(handled, contracted, "the sandbox's routes and tests/specs/whop/contract.json differ");
        assert_eq!(handled.len(), HANDLERS.len(), "a handler is listed twice");
    }
}
