//! The Whop contract the sandbox holds clients to: `tests/specs/whop/contract.json`, extracted from
//! Whop's official TypeScript SDK (see `tests/whop-sdk/extract.mjs`). Every `/api/v1` request goes
//! through [`gate`] first, which refuses what Whop refuses: no or an unknown `Api-Version-Date`, a
//! route Whop does not have, an unknown or missing param, a value of the wrong type, a page size
//! over the maximum, and a token without the permissions the endpoint lists. Answers are completed
//! by [`complete`] with the nullable fields the sandbox does not model, so they have the SDK's shape.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use dealdesk_model::whop_contract::UNDOCUMENTED_MAX_FIRST;
use dealdesk_model::whop_contract::{Endpoint, WhopContract};
use serde_json::{Map, Value};

use crate::AppState;
use crate::api::{ApiError, bearer};

static CONTRACT: LazyLock<&'static WhopContract> = LazyLock::new(|| {
    // Embedded at build time and parsed by the model's tests, so a bad file never reaches a run.
    #[allow(clippy::expect_used)]
    dealdesk_model::whop_contract::embedded().expect("run node tests/whop-sdk/extract.mjs")
});

pub fn contract() -> &'static WhopContract {
    &CONTRACT
}
/// The page size when a list request names none.
pub const DEFAULT_FIRST: usize = 10;

/// Every permission some endpoint of the contract needs.
pub fn all_permissions() -> BTreeSet<String> {
    contract().endpoints.iter().flat_map(|e| e.permissions.iter().cloned()).collect()
}

/// What the gate learned about a request, for its handler.
#[derive(Clone, Debug)]
pub struct Admitted {
    pub sdk_method: &'static str,
    /// Query params by name (`statuses[]` is `statuses`), each value as sent.
    pub query: BTreeMap<String, Vec<String>>,
}

impl Admitted {
    pub fn first(&self, name: &str) -> Option<&str> {
        self.query.get(name).and_then(|v| v.first()).map(String::as_str)
    }
}

/// In front of every `/api/v1` route: authentication, the version, the route, the params and the
/// permissions, in that order, before any handler runs.
pub(crate) async fn gate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, 8 * 1024 * 1024).await {
        Ok(bytes) => bytes,
        Err(e) => return ApiError::invalid_json(format!("The request body could not be read: {e}")).into_response(),
    };
    match admit(&s, &parts.method, parts.uri.path(), parts.uri.query(), &parts.headers, &body) {
        Ok(admitted) => {
            parts.extensions.insert(admitted);
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        Err(e) => e.into_response(),
    }
}

fn admit(
    s: &AppState,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Admitted, ApiError> {
    let token = bearer(headers).ok_or_else(|| ApiError::unauthorized("Missing bearer token"))?;
    let granted = s.oauth().check_access(token, s.now_ms()).map_err(ApiError::unauthorized)?;
    let version = headers.get("api-version-date").and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
    if version.is_empty() {
        return Err(ApiError::missing("Api-Version-Date"));
    }
    if version != contract().api_version_date {
        return Err(ApiError::invalid(
            "Api-Version-Date",
            format!("Unknown Api-Version-Date {version:?}: this API serves {}", contract().api_version_date),
        ));
    }
    let (endpoint, _) = contract().route(method.as_str(), path).ok_or_else(|| {
        ApiError::not_found(format!("No route {method} {path} in API version {}", contract().api_version_date))
    })?;

    let query = parse_query(query)?;
    check_query(endpoint, &query)?;
    if endpoint.method != "GET" && endpoint.method != "DELETE" {
        check_body(endpoint, body)?;
    }
    let lacking: Vec<&str> =
        endpoint.permissions.iter().filter(|p| !granted.contains(p.as_str())).map(String::as_str).collect();
    if !lacking.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "This token was not granted the permission{} {} that {} {} requires",
                if lacking.len() == 1 { "" } else { "s" },
                lacking.join(", "),
                endpoint.method,
                endpoint.path
            ),
            Some("missing_permissions"),
            None,
        ));
    }
    Ok(Admitted { sdk_method: sdk_method_name(endpoint), query })
}

/// The endpoint's SDK method with a `'static` lifetime (the contract lives as long as the process).
fn sdk_method_name(endpoint: &'static Endpoint) -> &'static str {
    endpoint.sdk_method.as_str()
}

fn parse_query(query: Option<&str>) -> Result<BTreeMap<String, Vec<String>>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| ApiError::invalid("query", format!("The query string is malformed: {e}")))?;
    let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in pairs {
        // The TypeScript SDK sends arrays as `statuses[]=a&statuses[]=b`, the Python one repeats the name.
        let name = name.strip_suffix("[]").unwrap_or(&name).to_string();
        query.entry(name).or_default().push(value);
    }
    Ok(query)
}

fn check_query(endpoint: &Endpoint, query: &BTreeMap<String, Vec<String>>) -> Result<(), ApiError> {
    for (name, values) in query {
        let Some(param) = endpoint.query.get(name) else {
            return Err(ApiError::invalid(
                name,
                format!(
                    "{name} is not a parameter of {} {} (version {})",
                    endpoint.method,
                    endpoint.path,
                    contract().api_version_date
                ),
            ));
        };
        let is_array = schema_type(&param.schema) == Some("array");
        if values.len() > 1 && !is_array {
            return Err(ApiError::invalid(name, format!("{name} is given {} times", values.len())));
        }
        for value in values {
            let item_schema = if is_array { array_items(&param.schema) } else { &param.schema };
            let as_json = query_value(item_schema, value).ok_or_else(|| {
                ApiError::invalid(name, format!("{name} must be {}, not {value:?}", describe(item_schema)))
            })?;
            if let Err(why) = conforms(item_schema, &as_json) {
                return Err(ApiError::invalid(name, format!("{name}: {why}")));
            }
        }
    }
    for (name, param) in &endpoint.query {
        if param.required && !query.contains_key(name) {
            return Err(ApiError::missing(name));
        }
    }
    if let Some(first) = query.get("first").and_then(|v| v.first()) {
        let max = endpoint.max_first.unwrap_or(UNDOCUMENTED_MAX_FIRST);
        let ok = first.parse::<u32>().ok().is_some_and(|n| (1..=max).contains(&n));
        if !ok {
            return Err(ApiError::invalid("first", format!("first must be between 1 and {max}, not {first}")));
        }
    }
    Ok(())
}

fn check_body(endpoint: &Endpoint, body: &Bytes) -> Result<(), ApiError> {
    let fields = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(fields)) => fields,
            Ok(_) => return Err(ApiError::invalid_json("The request body must be a JSON object".into())),
            Err(e) => return Err(ApiError::invalid_json(format!("The request body is not valid JSON: {e}"))),
        }
    };
    for (name, value) in &fields {
        let Some(param) = endpoint.body.get(name) else {
            return Err(ApiError::invalid(
                name,
                format!(
                    "{name} is not a field of {} {} (version {})",
                    endpoint.method,
                    endpoint.path,
                    contract().api_version_date
                ),
            ));
        };
        if let Err(why) = conforms(&param.schema, value) {
            return Err(ApiError::invalid(name, format!("{name}: {why}")));
        }
    }
    for (name, param) in &endpoint.body {
        if param.required && !fields.contains_key(name) {
            return Err(ApiError::missing(name));
        }
    }
    Ok(())
}

fn schema_type(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str)
}

fn array_items(schema: &Value) -> &Value {
    schema.get("items").unwrap_or(&Value::Null)
}

/// A schema, resolved through `$ref` and with a nullable `anyOf` unwrapped: (schema, nullable).
fn resolve(schema: &Value) -> (&Value, bool) {
    if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
        let name = name.trim_start_matches("#/schemas/");
        return match contract().schemas.get(name) {
            Some(target) => resolve(target),
            None => (&Value::Null, false),
        };
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let nullable = options.iter().any(|o| schema_type(o) == Some("null"));
        let rest: Vec<&Value> = options.iter().filter(|o| schema_type(o) != Some("null")).collect();
        if rest.len() == 1 {
            let (inner, inner_nullable) = resolve(rest[0]);
            return (inner, nullable || inner_nullable);
        }
    }
    (schema, false)
}

fn describe(schema: &Value) -> String {
    let (schema, _) = resolve(schema);
    match (schema_type(schema), schema.get("enum").and_then(Value::as_array)) {
        (_, Some(values)) => {
            let names: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            format!("one of {}", names.join(", "))
        }
        (Some(kind), None) => format!("a {kind}"),
        (None, None) => "a value".into(),
    }
}

/// A query string value read as the JSON value its schema expects.
fn query_value(schema: &Value, text: &str) -> Option<Value> {
    let (schema, _) = resolve(schema);
    match schema_type(schema) {
        Some("number") => text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number),
        Some("boolean") => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => Some(Value::String(text.to_string())),
    }
}

/// Whether `value` has the schema's type (with `$ref`, `anyOf`, enums, arrays and objects).
pub fn conforms(schema: &Value, value: &Value) -> Result<(), String> {
    if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
        let name = name.trim_start_matches("#/schemas/");
        return match contract().schemas.get(name) {
            Some(target) => conforms(target, value),
            None => Err(format!("unknown schema {name}")),
        };
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let mut why = String::new();
        for option in options {
            match conforms(option, value) {
                Ok(()) => return Ok(()),
                Err(e) => why = e,
            }
        }
        return Err(why);
    }
    let Some(kind) = schema_type(schema) else { return Ok(()) };
    let matches = match kind {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    };
    if !matches {
        return Err(format!("must be {}, not {value}", describe(schema)));
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("must be {}, not {value}", describe(schema)));
    }
    match value {
        Value::Array(items) => {
            for item in items {
                conforms(array_items(schema), item)?;
            }
        }
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, field) in fields {
                match properties.and_then(|p| p.get(name)) {
                    Some(property) => conforms(property, field).map_err(|e| format!("{name}: {e}"))?,
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        return Err(format!("{name} is not a known field"));
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Gives an answer the shape the SDK's type has: the sandbox keeps one record per object, and
/// each endpoint shows Whop's view of it. Fields the type does not have are dropped; each missing
/// required field that may be null becomes null, a missing list `[]`, a missing map or an object
/// with no required fields `{}`. Nested objects are shaped too. A required field that can be none
/// of these must come from the sandbox's model (the official-SDK test finds any that does not).
pub fn complete(schema: &Value, value: &mut Value) {
    let (schema, _) = resolve(schema);
    match value {
        Value::Object(fields) => {
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
            if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                fields.retain(|name, _| properties.contains_key(name));
            }
            let required: BTreeSet<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (name, property) in properties {
                match fields.get_mut(name) {
                    Some(field) => complete(property, field),
                    None if required.contains(name.as_str()) => {
                        if let Some(empty) = empty_value(property) {
                            fields.insert(name.clone(), empty);
                        }
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            let item_schema = array_items(schema);
            for item in items {
                complete(item_schema, item);
            }
        }
        _ => {}
    }
}

fn empty_value(schema: &Value) -> Option<Value> {
    if schema.as_object().is_some_and(Map::is_empty) {
        return Some(Value::Null); // `unknown` in the SDK
    }
    let (resolved, nullable) = resolve(schema);
    if nullable {
        return Some(Value::Null);
    }
    let nothing_required = resolved.get("required").and_then(Value::as_array).is_none_or(Vec::is_empty);
    match schema_type(resolved) {
        Some("array") => Some(Value::Array(Vec::new())),
        Some("object") if nothing_required => Some(Value::Object(Map::new())),
        None if resolved.get("anyOf").is_none() => Some(Value::Null),
        _ => None,
    }
}

/// An answer of `sdk_method`, completed to the SDK's shape (for lists, one item).
pub fn shaped(sdk_method: &str, mut value: Value) -> Value {
    if let Some(endpoint) = contract().sdk_method(sdk_method) {
        complete(&endpoint.response, &mut value);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_embedded_contract_parses_and_pins_a_version() {
        let c = contract();
        assert_eq!(c.api_version_date, "2026-07-20");
        assert!(c.sdk_method("payments.refund").is_some());
        assert!(all_permissions().contains("payment:manage"));
    }

    #[test]
    fn values_are_checked_against_the_sdk_types() {
        let months = &contract().sdk_method("promoCodes.create").unwrap().body["promo_duration_months"].schema;
        assert!(conforms(months, &json!(3)).is_ok());
        assert!(conforms(months, &Value::Null).is_err());
        let mode = &contract().sdk_method("memberships.cancel").unwrap().body["cancellation_mode"].schema;
        assert!(conforms(mode, &json!("immediate")).is_ok());
        assert!(conforms(mode, &json!("later")).is_err());
        assert!(conforms(mode, &Value::Null).is_ok());
    }

    #[test]
    fn answers_are_completed_with_nulls_and_empty_lists() {
        let mut item = json!({"id": "mem_1", "status": "active", "user": {"id": "user_1"}});
        complete(&contract().sdk_method("memberships.list").unwrap().response, &mut item);
        assert_eq!(item["canceled_at"], Value::Null);
        assert_eq!(item["user"]["email"], Value::Null);
        assert_eq!(item["status"], json!("active"));
        let mut account = json!({"id": "biz_1", "member_count": 3});
        complete(&contract().sdk_method("accounts.list").unwrap().response, &mut account);
        assert!(account.get("member_count").is_none(), "not in the SDK's Account");
        assert_eq!(account["llc_formation"], json!({}));
    }
}
