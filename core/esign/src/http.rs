//! Sends e-sign requests: a client-side rate limit, two retries on 429 and 5xx honouring
//! `Retry-After`, bounded answer bodies, and errors that name the provider. A connection that
//! cannot be made is never retried here: it means offline, and the operation waits in the outbox.

use super::error::EsignError;
use dealdesk_net::{RateLimiter, describe_reqwest, retry_after};
use dealdesk_store::time::backoff;
use std::time::Duration;

/// Retries after the first attempt.
const MAX_RETRIES: u32 = 2;
/// A `Retry-After` longer than this is not waited for in the call: the outbox retries later.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The most of a JSON answer read.
pub const MAX_JSON: usize = 4 * 1024 * 1024;
/// The largest PDF accepted from a provider (signed contracts are well under a megabyte).
pub const MAX_PDF: usize = 25 * 1024 * 1024;

/// One answer: status, content type and body.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self, provider: &'static str) -> Result<serde_json::Value, EsignError> {
        serde_json::from_slice(&self.body).map_err(|e| EsignError::Decode {
            provider,
            message: format!("the answer is not JSON ({e}, status {})", self.status),
        })
    }
}

pub struct EsignHttp {
    pub provider: &'static str,
    http: dealdesk_net::LazyHttp,
    limiter: RateLimiter,
    timeout: Duration,
}

impl EsignHttp {
    pub fn new(provider: &'static str, http: dealdesk_net::LazyHttp, per_minute: u32, timeout: Duration) -> EsignHttp {
        EsignHttp { provider, http, limiter: RateLimiter::per_minute(per_minute), timeout }
    }

    /// Sends the request `build` makes (again for each retry) and returns any answer that is not a
    /// retried 429/5xx. `limit` bounds the body.
    pub async fn send(
        &self,
        build: &(dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync),
        limit: usize,
    ) -> Result<Reply, EsignError> {
        self.send_with(build, limit, true).await
    }

    /// Like [`EsignHttp::send`]; with `retry` false nothing is sent twice (creating an envelope:
    /// a lost answer is settled by the outbox, which looks the send up before trying again).
    pub async fn send_with(
        &self,
        build: &(dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync),
        limit: usize,
        retry: bool,
    ) -> Result<Reply, EsignError> {
        let max_retries = if retry { MAX_RETRIES } else { 0 };
        let mut attempt = 0;
        loop {
            self.limiter.wait().await;
            let request = build(&self.http).timeout(self.timeout);
            let response = match request.send().await {
                Ok(response) => response,
                Err(e) if e.is_connect() => {
                    let url = e.url().map(|u| format!("{}://{}", u.scheme(), u.authority())).unwrap_or_default();
                    return Err(EsignError::Network { provider: self.provider, url, message: describe_reqwest(&e) });
                }
                Err(e) if e.is_builder() => {
                    return Err(EsignError::Config(format!("cannot build the request: {}", describe_reqwest(&e))));
                }
                Err(e) => {
                    let message = if e.is_timeout() {
                        format!("no answer within {} s", self.timeout.as_secs())
                    } else {
                        describe_reqwest(&e)
                    };
                    let error = EsignError::Decode { provider: self.provider, message };
                    if attempt >= max_retries {
                        return Err(error);
                    }
                    tokio::time::sleep(backoff(attempt, MAX_BACKOFF)).await;
                    attempt += 1;
                    continue;
                }
            };
            let status = response.status().as_u16();
            let wait = retry_after(response.headers());
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let body = read_limited(self.provider, response, limit).await?;
            let retryable = status == 429 || status >= 500;
            if retryable && attempt < max_retries {
                let pause = wait.unwrap_or_else(|| backoff(attempt, MAX_BACKOFF));
                if pause <= MAX_RETRY_WAIT {
                    tracing::debug!(provider = self.provider, status, ?pause, "e-sign: retrying");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                    continue;
                }
            }
            return Ok(Reply { status, content_type, retry_after: wait, body });
        }
    }
}

async fn read_limited(
    provider: &'static str,
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, EsignError> {
    if let Some(length) = response.content_length()
        && length > limit as u64
    {
        return Err(EsignError::Decode {
            provider,
            message: format!("the answer is {length} bytes; the limit is {limit}"),
        });
    }
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > limit {
                    return Err(EsignError::Decode {
                        provider,
                        message: format!("the answer is larger than {limit} bytes"),
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(e) => return Err(EsignError::Decode { provider, message: describe_reqwest(&e) }),
        }
    }
}

/// Checks that a downloaded file is a PDF: the content type, a size within bounds, the `%PDF-`
/// header and an `%%EOF` marker near the end.
pub fn check_pdf(provider: &'static str, reply: &Reply) -> Result<(), EsignError> {
    let bad = |message: String| Err(EsignError::Decode { provider, message });
    let kind = reply.content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if kind != "application/pdf" && kind != "application/octet-stream" {
        return bad(format!("the download is {kind:?}, not a PDF"));
    }
    if reply.body.len() < 64 {
        return bad(format!("the PDF is only {} bytes", reply.body.len()));
    }
    if !reply.body.starts_with(b"%PDF-") {
        return bad("the download does not start with a PDF header".into());
    }
    let tail = &reply.body[reply.body.len().saturating_sub(2048)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return bad("the PDF is cut short (no %%EOF marker)".into());
    }
    Ok(())
}
