//! The Whop API v1 client: bearer auth with refresh on 401, the pinned `Api-Version-Date`, cursor
//! paging, retries on 408/409/429/5xx and broken bodies with backoff that honours `Retry-After`,
//! a client-side rate limit, timeouts, and errors mapped to [`WhopError`] (a 403 names the
//! permissions the endpoint needs and which of them were not granted).
//! A focused client rather than `whop_sdk`: see docs/decisions/0009-whop-client-not-whop-sdk.md.
//! What each request may carry comes from the contract extracted from Whop's SDK (`contract.rs`).

use super::config::{API_VERSION_DATE, WhopConfig};
use super::contract::{self, contract};
use super::error::WhopError;
use super::oauth::Auth;
use dealdesk_model::whop_contract::Endpoint;
use dealdesk_net::{RateLimiter, describe_reqwest, error_body, retry_after};
use dealdesk_outbox::connectivity::Connectivity;
use dealdesk_store::time::backoff;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// Longest `Retry-After` the client waits for by itself; longer waits are reported instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// One page of a list endpoint: the objects as received (unknown fields kept) and the cursor.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub items: Vec<Value>,
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
}

pub struct ApiClient {
    http: dealdesk_net::LazyHttp,
    config: WhopConfig,
    auth: Arc<Auth>,
    connectivity: Arc<Connectivity>,
    limiter: RateLimiter,
    /// What the token was granted, when Whop said (to name the missing permission on a 403).
    granted: std::sync::RwLock<Option<BTreeSet<String>>>,
}

/// What one write attempt came to. Writes are not retried here: the outbox retries them durably,
/// with the same idempotency key, across restarts.
#[derive(Debug)]
pub enum WriteOutcome {
    /// Whop confirmed; the changed object as it answered.
    Confirmed(Value),
    /// Try again later (the network, 408/409/429/5xx, a broken body), after `wait` if Whop said.
    Retry { wait: Option<Duration>, error: WhopError },
    /// Whop refused it (400/403/422 …): sending it again would not help.
    Rejected(WhopError),
    /// The object does not exist on Whop (any more).
    NotFound(WhopError),
}

/// A write: method, path under the API URL, JSON body, idempotency key, and the API version it
/// was built for (Whop ties a key to the version too).
#[derive(Debug, Clone)]
pub struct WriteRequest {
    pub method: reqwest::Method,
    pub path: String,
    pub body: Option<Value>,
    pub idempotency_key: String,
    pub api_version: String,
}

enum Attempt {
    Done(Value),
    /// Retry after this long (or the backoff when `None`), remembering why.
    Retry(Option<Duration>, WhopError),
    Unauthorized(String),
    /// 403, with Whop's message.
    Forbidden(String),
    Fail(WhopError),
}

impl ApiClient {
    pub fn new(
        http: dealdesk_net::LazyHttp,
        config: WhopConfig,
        auth: Arc<Auth>,
        connectivity: Arc<Connectivity>,
    ) -> ApiClient {
        let limiter = RateLimiter::per_second(config.max_requests_per_second);
        ApiClient { http, config, auth, connectivity, limiter, granted: std::sync::RwLock::new(None) }
    }

    /// Records what the token was granted (`None`: unknown), for the messages of 403s.
    pub fn set_granted(&self, granted: Option<BTreeSet<String>>) {
        *self.granted.write().unwrap_or_else(|p| p.into_inner()) = granted;
    }

    /// The endpoint's permissions that are known not to be granted (`None`: not known).
    fn missing(&self, endpoint: &Endpoint) -> Option<Vec<String>> {
        let granted = self.granted.read().unwrap_or_else(|p| p.into_inner());
        granted.as_ref().map(|g| endpoint.permissions.iter().filter(|p| !g.contains(*p)).cloned().collect())
    }

    fn forbidden(&self, endpoint: Option<&Endpoint>, call: String, url: &str, message: String) -> WhopError {
        WhopError::Forbidden(Box::new(super::error::Refusal {
            call,
            url: url.into(),
            required: endpoint.map(|e| e.permissions.clone()).unwrap_or_default(),
            missing: endpoint.and_then(|e| self.missing(e)),
            message,
        }))
    }

    /// One write (with one token refresh on a 401), sent with its `Idempotency-Key`.
    pub async fn write(&self, request: WriteRequest) -> WriteOutcome {
        let url = format!("{}{}", self.config.api_url, request.path);
        let endpoint = contract().ok().and_then(|c| c.route(request.method.as_str(), &request.path)).map(|(e, _)| e);
        let call = format!("{} {}", request.method, endpoint.map_or(request.path.as_str(), |e| e.path.as_str()));
        let mut token = match self.auth.access_token().await {
            Ok(token) => token,
            Err(error) => return WriteOutcome::Retry { wait: None, error },
        };
        let mut refreshed = false;
        loop {
            self.limiter.wait().await;
            match self.attempt(&request.method, url.clone(), token.clone(), Some(&request)).await {
                Attempt::Done(value) => return WriteOutcome::Confirmed(value),
                Attempt::Retry(wait, error) => return WriteOutcome::Retry { wait, error },
                Attempt::Forbidden(message) => {
                    return WriteOutcome::Rejected(self.forbidden(endpoint, call, &url, message));
                }
                Attempt::Fail(error @ WhopError::Api { status: 404, .. }) => return WriteOutcome::NotFound(error),
                Attempt::Fail(error) => return WriteOutcome::Rejected(error),
                Attempt::Unauthorized(message) => {
                    if refreshed {
                        let error = WhopError::Api { status: 401, url, kind: Some("unauthorized".into()), message };
                        return WriteOutcome::Retry { wait: None, error };
                    }
                    token = match self.auth.refresh(Some(&token)).await {
                        Ok(token) => token,
                        Err(error) => return WriteOutcome::Retry { wait: None, error },
                    };
                    refreshed = true;
                }
            }
        }
    }

    /// One list page of `endpoint`: `GET {path}?first=N[&after=…]` plus `query`, with `first` at
    /// most the endpoint's maximum. A param the endpoint does not take is a bug here, refused
    /// before anything is sent. Owned arguments keep the future `Send` when a sync is spawned.
    pub async fn list(
        &self,
        endpoint: &'static Endpoint,
        after: Option<String>,
        query: Vec<(&'static str, String)>,
    ) -> Result<ListPage, WhopError> {
        let first = contract::page_size(endpoint, self.config.page_size);
        let mut params: Vec<(&'static str, String)> = vec![("first", first.to_string())];
        if let Some(after) = after {
            params.push(("after", after));
        }
        params.extend(query);
        let path = endpoint.path.clone();
        let url = format!("{}{path}", self.config.api_url);
        let body = self.get(endpoint, path, params).await?;
        parse_page(body, &url)
    }

    /// `GET {path}` of `endpoint` (its path with the ids filled in) with retries; the decoded body.
    pub async fn get(
        &self,
        endpoint: &'static Endpoint,
        path: String,
        params: Vec<(&'static str, String)>,
    ) -> Result<Value, WhopError> {
        if let Some((name, _)) = params.iter().find(|(name, _)| !endpoint.takes(name)) {
            return Err(WhopError::Config(format!(
                "{} {} takes no parameter {name} in API version {API_VERSION_DATE}",
                endpoint.method, endpoint.path
            )));
        }
        if let Some(missing) = endpoint.required().find(|r| !params.iter().any(|(name, _)| name == r)) {
            return Err(WhopError::Config(format!(
                "{} {} needs the parameter {missing} in API version {API_VERSION_DATE}",
                endpoint.method, endpoint.path
            )));
        }
        let call = format!("GET {}", endpoint.path);
        let mut url = format!("{}{path}", self.config.api_url);
        if !params.is_empty() {
            let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
            url = format!("{url}?{query}");
        }
        let mut token = self.auth.access_token().await?;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            self.limiter.wait().await;
            match self.attempt(&reqwest::Method::GET, url.clone(), token.clone(), None).await {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(error) => return Err(error),
                Attempt::Forbidden(message) => return Err(self.forbidden(Some(endpoint), call, &url, message)),
                Attempt::Unauthorized(message) => {
                    if refreshed {
                        return Err(WhopError::Api { status: 401, url, kind: Some("unauthorized".into()), message });
                    }
                    // The token expired early or was revoked: refresh once, then retry.
                    token = self.auth.refresh(Some(&token)).await?;
                    refreshed = true;
                }
                Attempt::Retry(wait, error) => {
                    if attempt >= self.config.max_retries {
                        return Err(error);
                    }
                    let wait = match wait {
                        Some(wait) if wait > MAX_RETRY_AFTER => return Err(error),
                        Some(wait) => wait,
                        None => backoff(attempt, MAX_READ_BACKOFF),
                    };
                    tracing::debug!(%url, attempt, wait_ms = wait.as_millis() as u64, %error, "whop: retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(
        &self,
        method: &reqwest::Method,
        url: String,
        token: String,
        write: Option<&WriteRequest>,
    ) -> Attempt {
        let url = url.as_str();
        let mut builder = self
            .http
            .request(method.clone(), url)
            .bearer_auth(token)
            .header("Api-Version-Date", write.map_or(API_VERSION_DATE, |w| w.api_version.as_str()))
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.config.request_timeout);
        if let Some(write) = write {
            builder = builder.header("Idempotency-Key", write.idempotency_key.as_str());
            if let Some(body) = &write.body {
                builder = builder.json(body);
            }
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) if e.is_timeout() => {
                let seconds = self.config.request_timeout.as_secs();
                return Attempt::Retry(None, WhopError::Timeout { url: url.into(), seconds });
            }
            Err(e) => {
                let message = describe_reqwest(&e);
                if e.is_connect() {
                    self.connectivity.report_offline(&message);
                }
                return Attempt::Retry(None, WhopError::Network { url: url.into(), message });
            }
        };
        self.connectivity.report_online();
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) if e.is_timeout() => {
                let seconds = self.config.request_timeout.as_secs();
                return Attempt::Retry(None, WhopError::Timeout { url: url.into(), seconds });
            }
            Err(e) => {
                return Attempt::Retry(None, WhopError::Network { url: url.into(), message: describe_reqwest(&e) });
            }
        };
        if (200..300).contains(&status) {
            return match serde_json::from_slice(&bytes) {
                Ok(value) => Attempt::Done(value),
                // A cut-off body is a transfer problem: the same GET may well succeed again.
                Err(e) => Attempt::Retry(None, WhopError::Decode { url: url.into(), message: e.to_string() }),
            };
        }
        let (kind, message) = error_body(&bytes);
        match status {
            401 => Attempt::Unauthorized(message),
            403 => Attempt::Forbidden(message),
            429 => {
                let retry_after_secs = retry_after.map(|d| d.as_secs().max(1)).unwrap_or(1);
                Attempt::Retry(
                    retry_after.or(Some(backoff(0, MAX_READ_BACKOFF))),
                    WhopError::RateLimited { url: url.into(), retry_after_secs },
                )
            }
            408 | 409 | 500..=599 => {
                Attempt::Retry(retry_after, WhopError::Api { status, url: url.into(), kind, message })
            }
            _ => Attempt::Fail(WhopError::Api { status, url: url.into(), kind, message }),
        }
    }
}

/// The longest in-request wait between retries of a read (like the official SDKs).
const MAX_READ_BACKOFF: Duration = Duration::from_secs(8);

fn parse_page(body: Value, url: &str) -> Result<ListPage, WhopError> {
    let decode = |message: &str| WhopError::Decode { url: url.into(), message: message.into() };
    let Value::Object(mut body) = body else {
        return Err(decode("the list answer is not a JSON object"));
    };
    let items = match body.remove("data") {
        Some(Value::Array(items)) => items,
        _ => return Err(decode("the list answer has no `data` array")),
    };
    if let Some(bad) = items.iter().position(|item| item.get("id").and_then(Value::as_str).is_none()) {
        return Err(decode(&format!("item {bad} of the page has no string `id`")));
    }
    let info = body.get("page_info");
    let end_cursor =
        info.and_then(|i| i.get("end_cursor")).and_then(Value::as_str).filter(|c| !c.is_empty()).map(str::to_string);
    let has_next_page =
        info.and_then(|i| i.get("has_next_page")).and_then(Value::as_bool).unwrap_or(end_cursor.is_some());
    // A page that says "more" but gives no cursor would loop forever: treat it as the last.
    Ok(ListPage { has_next_page: has_next_page && end_cursor.is_some(), items, end_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_parse_and_refuse_bad_shapes() {
        let page = parse_page(
            json!({"data":[{"id":"pay_1","extra":{"x":1}}],"page_info":{"end_cursor":"c1","has_next_page":true}}),
            "u",
        )
        .unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.end_cursor.as_deref(), Some("c1"));
        assert!(page.has_next_page);
        assert!(parse_page(json!({"data":{}}), "u").is_err());
        assert!(parse_page(json!({"data":[{"name":"no id"}]}), "u").is_err());
        let last = parse_page(json!({"data":[],"page_info":{"end_cursor":null,"has_next_page":false}}), "u").unwrap();
        assert!(!last.has_next_page && last.end_cursor.is_none());
    }
}
