//! Sends a provider's requests the way the official SDKs do: two retries on 408, 409, 429, 5xx
//! and Anthropic's 529 (and on timeouts), honouring `retry-after(-ms)` and `x-should-retry`; a
//! client-side rate limit per provider; a per-request timeout. A connection that cannot be made
//! is not retried here: it means offline, and the call waits in the outbox instead.

use super::AiError;
use super::provider::{AiProvider, ModelAnswer, ModelCall};
use dealdesk_net::{RateLimiter, describe_reqwest, retry_after};
use dealdesk_store::time::backoff;
use serde_json::Value;
use std::time::Duration;

/// Retries after the first attempt, like the SDKs.
pub const MAX_RETRIES: u32 = 2;
/// The longest wait between retries the client accepts from `retry-after` before giving up.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// The longest backoff between retries when the server does not say.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The most of an answer body Dealdesk reads (answers are small; this bounds a hostile server).
const MAX_BODY: usize = 4 * 1024 * 1024;

pub struct AiClient {
    http: dealdesk_net::LazyHttp,
    limiter: RateLimiter,
    timeout: Duration,
}

enum Attempt {
    Done(ModelAnswer),
    Retry(Option<Duration>, AiError),
    Fail(AiError),
}

impl AiClient {
    pub fn new(http: dealdesk_net::LazyHttp, max_requests_per_minute: u32, timeout: Duration) -> AiClient {
        AiClient { http, limiter: RateLimiter::per_minute(max_requests_per_minute), timeout }
    }

    /// One call, with retries. Returns the answer with its usage, or the last error.
    pub async fn complete(&self, provider: &dyn AiProvider, call: &ModelCall) -> Result<ModelAnswer, AiError> {
        let mut attempt = 0;
        let mut fell_back = false;
        loop {
            self.limiter.wait().await;
            match self.attempt(provider, call).await {
                Attempt::Done(answer) => return Ok(answer),
                Attempt::Fail(AiError::Api { status: 400, message, .. })
                    if !fell_back && provider.fall_back(&message) =>
                {
                    tracing::info!(%message, "ai: the server refused structured output; using a forced tool call");
                    fell_back = true;
                }
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry(wait, error) => {
                    if attempt >= MAX_RETRIES {
                        return Err(error);
                    }
                    let wait = wait.unwrap_or_else(|| backoff(attempt, MAX_BACKOFF));
                    if wait > MAX_RETRY_WAIT {
                        return Err(error);
                    }
                    tracing::debug!(%error, ?wait, attempt, "ai: retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, provider: &dyn AiProvider, call: &ModelCall) -> Attempt {
        let request = provider.chat_request(call);
        let mut builder = self.http.post(&request.url).timeout(self.timeout).json(&request.body);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) if e.is_timeout() => {
                return Attempt::Retry(None, AiError::Timeout { seconds: self.timeout.as_secs() });
            }
            // No connection (no network, the server down, a name that does not resolve): offline.
            Err(e) if e.is_connect() => {
                return Attempt::Fail(AiError::Network { url: request.url, message: describe_reqwest(&e) });
            }
            // The request itself is wrong (a key with characters a header cannot hold, say).
            Err(e) if e.is_builder() => {
                return Attempt::Fail(AiError::Config(format!("cannot build the request: {}", describe_reqwest(&e))));
            }
            Err(e) => return Attempt::Retry(None, AiError::Decode(describe_reqwest(&e))),
        };
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let should_retry = response.headers().get("x-should-retry").and_then(|v| v.to_str().ok()).map(|v| v == "true");
        let bytes = match read_limited(response, self.timeout).await {
            Ok(bytes) => bytes,
            Err(error) => return Attempt::Retry(None, error),
        };
        if (200..300).contains(&status) {
            return match serde_json::from_slice::<Value>(&bytes) {
                Ok(body) => match provider.parse_answer(&body) {
                    Ok(answer) => Attempt::Done(answer),
                    Err(error) => Attempt::Fail(error),
                },
                // A cut or garbled body: the SDKs retry these.
                Err(e) => Attempt::Retry(None, AiError::Decode(format!("{e} (status {status})"))),
            };
        }
        let (kind, message) = provider.parse_error(&bytes);
        let error = AiError::Api { status, kind, message };
        let retryable = should_retry.unwrap_or(matches!(status, 408 | 409 | 429 | 500..=599));
        if retryable { Attempt::Retry(wait, error) } else { Attempt::Fail(error) }
    }
}

/// Reads a body up to [`MAX_BODY`].
async fn read_limited(mut response: reqwest::Response, timeout: Duration) -> Result<Vec<u8>, AiError> {
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(AiError::Decode(format!("the answer is larger than {} MiB", MAX_BODY >> 20)));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(e) if e.is_timeout() => return Err(AiError::Timeout { seconds: timeout.as_secs() }),
            Err(e) => return Err(AiError::Decode(describe_reqwest(&e))),
        }
    }
}
