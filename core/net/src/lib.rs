//! HTTP helpers every remote client shares (Whop, the AI providers, e-sign): `Retry-After`, a
//! client-side rate limit, readable transport errors, and the OAuth sign-in pieces.

pub mod browser;
pub mod oauth;
pub mod secrets;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// An HTTP client built on its first request. Building one loads the system's TLS roots (60 ms
/// warm, 100 ms cold here), which every start of the app and every CLI command paid once per
/// service although most never reach the network. Clones share one client.
#[derive(Clone)]
pub struct LazyHttp {
    client: Arc<OnceLock<reqwest::Client>>,
    settings: Arc<dyn Fn() -> reqwest::ClientBuilder + Send + Sync>,
}

impl LazyHttp {
    /// `settings` makes the builder (timeouts, redirects, user agent); it runs once.
    pub fn new(settings: impl Fn() -> reqwest::ClientBuilder + Send + Sync + 'static) -> LazyHttp {
        LazyHttp { client: Arc::new(OnceLock::new()), settings: Arc::new(settings) }
    }

    pub fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(|| match (self.settings)().build() {
            Ok(client) => client,
            // Only a TLS backend that cannot start fails here, and then the default client (which
            // needs the same backend) cannot be built either: reqwest panics, as it would have at
            // start before clients were lazy.
            Err(error) => {
                tracing::error!(error = %describe_reqwest(&error), "cannot build the HTTP client; using the defaults");
                reqwest::Client::default()
            }
        })
    }
}

impl std::ops::Deref for LazyHttp {
    type Target = reqwest::Client;

    fn deref(&self) -> &reqwest::Client {
        self.client()
    }
}

/// A readable cause for a reqwest failure (its Display hides the interesting part in `source`).
pub fn describe_reqwest(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `Retry-After` in seconds or as an HTTP date, or `retry-after-ms`.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) =
        headers.get("retry-after-ms").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok())
    {
        return (ms.is_finite() && ms >= 0.0).then(|| Duration::from_secs_f64(ms / 1000.0));
    }
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.timestamp() - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(wait.max(0) as u64))
}

/// An API error body: `{"error":{"type" (or "code"),"message"}}` (Whop v1, OpenAI, Anthropic,
/// Ollama's /v1, llama.cpp), `{"error":"text"}`, `{"message":…}`, or the start of whatever came.
pub fn error_body(bytes: &[u8]) -> (Option<String>, String) {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let kind = error
        .and_then(|e| e.get("type").or_else(|| e.get("code")))
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    let message = error
        .and_then(|e| e.get("message"))
        .or_else(|| error.filter(|e| e.is_string()))
        .or_else(|| parsed.as_ref().and_then(|v| v.get("message")))
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).trim().to_string());
    (kind, message)
}

/// Spaces requests evenly: each caller waits for its own slot, `interval` after the previous one.
pub struct RateLimiter {
    interval: Option<Duration>,
    next_slot: tokio::sync::Mutex<Instant>,
}

impl RateLimiter {
    /// `None` (or a non-positive rate) means no limit.
    pub fn per_second(rate: Option<f64>) -> RateLimiter {
        let interval = rate.filter(|r| r.is_finite() && *r > 0.0).map(|r| Duration::from_secs_f64(1.0 / r));
        RateLimiter { interval, next_slot: tokio::sync::Mutex::new(Instant::now()) }
    }

    pub fn per_minute(rate: u32) -> RateLimiter {
        Self::per_second((rate > 0).then(|| f64::from(rate) / 60.0))
    }

    pub async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let start = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let start = (*next).max(now);
            *next = start + interval;
            start
        };
        tokio::time::sleep_until(start.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
    }

    #[test]
    fn error_bodies_give_type_and_message() {
        let (kind, message) = error_body(br#"{"error":{"type":"not_found","message":"No such payment"}}"#);
        assert_eq!(kind.as_deref(), Some("not_found"));
        assert_eq!(message, "No such payment");
        assert_eq!(
            error_body(br#"{"error":{"code":"invalid_api_key","message":"x"}}"#).0.as_deref(),
            Some("invalid_api_key")
        );
        assert_eq!(error_body(br#"{"error":"model not found"}"#).1, "model not found");
        assert_eq!(error_body(b"<html>oops").1, "<html>oops");
    }

    #[tokio::test]
    async fn the_limiter_spaces_requests() {
        let limiter = RateLimiter::per_second(Some(20.0));
        let start = Instant::now();
        for _ in 0..5 {
            limiter.wait().await;
        }
        // Four gaps of 50 ms after the first slot.
        assert!(start.elapsed() >= Duration::from_millis(195));
        let unlimited = RateLimiter::per_minute(0);
        let start = Instant::now();
        for _ in 0..100 {
            unlimited.wait().await;
        }
        assert!(start.elapsed() < Duration::from_millis(100));
    }
}
