//! The Whop API v1 client: bearer auth with refresh on 401, the pinned `Api-Version-Date`, cursor
//! paging, retries on 408/409/429/5xx and broken bodies with backoff that honours `Retry-After`,
//! a client-side rate limit, timeouts, and errors mapped to [`WhopError`].
//! A focused client rather than `whop_sdk`: see docs/decisions/0009-whop-client-not-whop-sdk.md.

use super::config::{API_VERSION_DATE, WhopConfig};
use super::error::WhopError;
use super::oauth::Auth;
use crate::net::{RateLimiter, backoff, describe_reqwest, error_body, retry_after};
use crate::sync::connectivity::Connectivity;
use serde_json::Value;
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
    http: crate::net::LazyHttp,
    config: WhopConfig,
    auth: Arc<Auth>,
    connectivity: Arc<Connectivity>,
    limiter: RateLimiter,
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

/// A write: method, path under the API URL, JSON body, idempotency key.
#[derive(Debug, Clone)]
pub struct WriteRequest {
    pub method: reqwest::Method,
    pub path: String,
    pub body: Option<Value>,
    pub idempotency_key: String,
}

enum Attempt {
    Done(Value),
    /// Retry after this long (or the backoff when `None`), remembering why.
    Retry(Option<Duration>, WhopError),
    Unauthorized(String),
    Fail(WhopError),
}

impl ApiClient {
    pub fn new(
        http: crate::net::LazyHttp,
        config: WhopConfig,
        auth: Arc<Auth>,
        connectivity: Arc<Connectivity>,
    ) -> ApiClient {
        let limiter = RateLimiter::per_second(config.max_requests_per_second);
        ApiClient { http, config, auth, connectivity, limiter }
    }

    /// One write (with one token refresh on a 401), sent with its `Idempotency-Key`.
    pub async fn write(&self, request: WriteRequest) -> WriteOutcome {
        let url = format!("{}{}", self.config.api_url, request.path);
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

    /// One list page: `GET {path}?first=N[&after=…]` plus `query`.
    /// Owned arguments keep the future `Send` when a whole sync is spawned.
    pub async fn list(
        &self,
        path: String,
        after: Option<String>,
        query: Vec<(&'static str, String)>,
    ) -> Result<ListPage, WhopError> {
        let mut params: Vec<(&'static str, String)> = vec![("first", self.config.page_size.to_string())];
        if let Some(after) = after {
            params.push(("after", after));
        }
        params.extend(query);
        let url = format!("{}{path}", self.config.api_url);
        let body = self.get(path, params).await?;
        parse_page(body, &url)
    }

    /// `GET {path}` with retries; the decoded JSON body.
    pub async fn get(&self, path: String, params: Vec<(&'static str, String)>) -> Result<Value, WhopError> {
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
            .header("Api-Version-Date", API_VERSION_DATE)
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
