//! The RFC 8252 loopback redirect: a one-shot listener on 127.0.0.1 that receives the browser's
//! `GET /callback?code=…&state=…`, answers with a small page, and hands the callback over.

use super::OAuthError;
use super::deeplink::{Callback, parse_query};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub struct LoopbackListener {
    listener: TcpListener,
    port: u16,
    /// Named on the page the browser shows ("Signed in to Whop").
    provider: &'static str,
}

impl LoopbackListener {
    /// Binds 127.0.0.1:`port` for a sign-in to `provider` (0 picks a free port; providers need
    /// the registered fixed one).
    pub async fn bind(port: u16, provider: &'static str) -> Result<LoopbackListener, OAuthError> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| OAuthError::Loopback(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let port = listener.local_addr().map_err(|e| OAuthError::Loopback(e.to_string()))?.port();
        Ok(LoopbackListener { listener, port, provider })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// Waits for the callback request (other requests, such as a favicon, get a 404).
    pub async fn wait(self, timeout: Duration) -> Result<Callback, OAuthError> {
        tokio::time::timeout(timeout, self.accept_callback()).await.map_err(|_| OAuthError::Timeout)?
    }

    async fn accept_callback(self) -> Result<Callback, OAuthError> {
        loop {
            let (mut socket, _) = self.listener.accept().await.map_err(|e| OAuthError::Loopback(e.to_string()))?;
            let mut buffer = vec![0u8; 8192];
            let mut read = 0;
            // Only the request line matters; read until it is complete (or the buffer is full).
            while read < buffer.len() {
                let n = match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buffer[read..])).await {
                    Ok(Ok(n)) => n,
                    _ => 0,
                };
                if n == 0 {
                    break;
                }
                read += n;
                if buffer[..read].windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
            let head = String::from_utf8_lossy(&buffer[..read]);
            let target = head.lines().next().and_then(|line| {
                let mut parts = line.split(' ');
                (parts.next() == Some("GET")).then(|| parts.next()).flatten().map(str::to_string)
            });
            let Some(target) = target else {
                respond(&mut socket, "400 Bad Request", "Not a sign-in request.").await;
                continue;
            };
            let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
            if path != "/callback" {
                respond(&mut socket, "404 Not Found", "Not found.").await;
                continue;
            }
            match parse_query(query) {
                Ok(callback) => {
                    let text = match &callback {
                        Callback::Code { .. } => {
                            format!("Signed in to {}. You can close this tab and go back to Dealdesk.", self.provider)
                        }
                        Callback::Denied { .. } => {
                            format!("{} sign-in was cancelled. You can close this tab.", self.provider)
                        }
                    };
                    respond(&mut socket, "200 OK", &text).await;
                    return Ok(callback);
                }
                Err(error) => {
                    tracing::warn!(%error, provider = self.provider, "oauth: refused a loopback callback");
                    respond(&mut socket, "400 Bad Request", &format!("Refused: {error}")).await;
                }
            }
        }
    }
}

async fn respond(socket: &mut tokio::net::TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Dealdesk</title>\
         <body style=\"font:16px system-ui;margin:4rem auto;max-width:32rem\"><h1>Dealdesk</h1><p>{}</p></body>",
        text.replace('&', "&amp;").replace('<', "&lt;")
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(error) = socket.write_all(response.as_bytes()).await {
        tracing::debug!(%error, "oauth: the browser left before the loopback answer");
    }
    let _ = socket.shutdown().await;
}
