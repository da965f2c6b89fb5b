//! OAuth 2.1 public client with PKCE (S256), `state` and `nonce`: starting a login, completing it
//! from the redirect, refreshing (rotating refresh tokens) and revoking. The `oauth2` crate builds
//! the requests; they go out through [`send_oauth_request`], which speaks JSON as Whop's docs show.

use super::config::WhopConfig;
use super::error::WhopError;
use base64::Engine;
use dealdesk_net::oauth::{Callback, PendingLogins, Pkce};
use dealdesk_net::secrets::SecretStore;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, Client, ClientId, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, RevocationUrl, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a started login waits for its redirect (Whop's codes also expire after 10 minutes).
pub const LOGIN_TTL: Duration = Duration::from_secs(600);
/// Refresh this long before the access token expires.
const REFRESH_MARGIN_SECS: i64 = 120;

/// The id_token Whop returns when `openid` is requested.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhopTokenFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}
impl ExtraTokenFields for WhopTokenFields {}

type WhopTokenResponse = StandardTokenResponse<WhopTokenFields, BasicTokenType>;
type OAuthClient = Client<
    BasicErrorResponse,
    WhopTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
>;

/// The tokens as kept in the OS keyring (one JSON entry).
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

struct PendingLogin {
    verifier: String,
    nonce: String,
    redirect_uri: String,
    /// What the login asked for.
    scopes: Vec<String>,
}

/// What a completed login was granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginGrant {
    pub requested: Vec<String>,
    /// The token response's `scope`, or what was requested when it lists none.
    pub granted: Vec<String>,
}

/// A login waiting for its redirect.
#[derive(Debug, Clone)]
pub struct LoginStart {
    pub authorize_url: String,
    pub state: String,
    pub redirect_uri: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OAuthTransportError(String);

/// Owns the tokens: hands out a valid access token, refreshing before expiry and after a 401,
/// storing each rotated refresh token, one refresh at a time.
pub struct Auth {
    config: WhopConfig,
    http: dealdesk_net::LazyHttp,
    secrets: std::sync::Arc<dyn SecretStore>,
    /// The keyring entry holding [`StoredTokens`].
    secret_key: String,
    pending: PendingLogins<PendingLogin>,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl Auth {
    pub fn new(
        config: WhopConfig,
        http: dealdesk_net::LazyHttp,
        secrets: std::sync::Arc<dyn SecretStore>,
        secret_key: String,
    ) -> Auth {
        Auth {
            config,
            http,
            secrets,
            secret_key,
            pending: PendingLogins::new(LOGIN_TTL),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }

    fn client(&self, redirect_uri: Option<&str>) -> Result<OAuthClient, WhopError> {
        let url = |path: &str| format!("{}/{path}", self.config.oauth_url);
        let bad = |e: url::ParseError| WhopError::Config(format!("OAuth URL: {e}"));
        let client: OAuthClient = Client::new(ClientId::new(self.config.client_id.clone()))
            .set_auth_uri(AuthUrl::new(url("authorize")).map_err(bad)?)
            .set_token_uri(TokenUrl::new(url("token")).map_err(bad)?)
            .set_revocation_url(RevocationUrl::new(url("revoke")).map_err(bad)?);
        match redirect_uri {
            Some(redirect) => Ok(client.set_redirect_uri(RedirectUrl::new(redirect.to_string()).map_err(bad)?)),
            None => Ok(client),
        }
    }

    /// Starts a login asking for `scopes`: the URL to open in the browser, remembered under its
    /// `state`.
    pub fn start_login(&self, redirect_uri: &str, scopes: &[String]) -> Result<LoginStart, WhopError> {
        let client = self.client(Some(redirect_uri))?;
        let pkce = Pkce::new();
        let nonce = CsrfToken::new_random().secret().clone();
        let state = pkce.state.clone();
        let (url, _) = client
            .authorize_url(|| CsrfToken::new(state))
            .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())))
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
                pkce.verifier.clone(),
            )))
            .add_extra_param("nonce", nonce.clone())
            .url();
        self.pending.insert(
            pkce.state.clone(),
            PendingLogin {
                verifier: pkce.verifier,
                nonce,
                redirect_uri: redirect_uri.to_string(),
                scopes: scopes.to_vec(),
            },
        );
        Ok(LoginStart { authorize_url: url.to_string(), state: pkce.state, redirect_uri: redirect_uri.into() })
    }

    /// Whether a login is waiting for its redirect.
    pub fn login_pending(&self) -> bool {
        self.pending.any()
    }

    /// Completes a login from its redirect: checks `state` (single use, unexpired), exchanges the
    /// code with the PKCE verifier, checks the id_token's nonce and stores the tokens. Answers
    /// what was granted.
    pub async fn complete_login(&self, callback: &Callback) -> Result<LoginGrant, WhopError> {
        let (login, code) = self.pending.take(callback)?;
        let client = self.client(Some(&login.redirect_uri))?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(login.verifier))
            .request_async(&|request| send_oauth_request(self.http.clone(), request))
            .await
            .map_err(|e| token_error(e, false))?;
        if let Some(id_token) = &response.extra_fields().id_token {
            check_nonce(id_token, &login.nonce, &self.config.client_id)?;
        } else if login.scopes.iter().any(|s| s == "openid") {
            return Err(WhopError::TokenCheck("no id_token came back although openid was requested".into()));
        }
        self.store_tokens(&response, None)?;
        tracing::info!("whop: signed in");
        // RFC 6749 §5.1: a token response lists its scope when it differs from the request.
        let granted = match response.scopes() {
            Some(scopes) => scopes.iter().map(|s| s.to_string()).collect(),
            None => login.scopes.clone(),
        };
        Ok(LoginGrant { requested: login.scopes, granted })
    }

    fn store_tokens(
        &self,
        response: &WhopTokenResponse,
        previous_refresh: Option<String>,
    ) -> Result<StoredTokens, WhopError> {
        let expires_in = response.expires_in().map(|d| d.as_secs() as i64).unwrap_or(3600);
        let tokens = StoredTokens {
            access_token: response.access_token().secret().clone(),
            // Rotation: always keep the newest refresh token; keep the old one only if none came.
            refresh_token: response.refresh_token().map(|t| t.secret().clone()).or(previous_refresh),
            expires_at: chrono::Utc::now().timestamp() + expires_in,
        };
        let json = serde_json::to_string(&tokens).map_err(|e| WhopError::Token(e.to_string()))?;
        self.secrets.set(&self.secret_key, &json)?;
        Ok(tokens)
    }

    pub fn stored_tokens(&self) -> Result<Option<StoredTokens>, WhopError> {
        let Some(json) = self.secrets.get(&self.secret_key)? else {
            return Ok(None);
        };
        serde_json::from_str(&json).map(Some).map_err(|_| {
            WhopError::Secret(dealdesk_net::secrets::SecretError::Corrupt {
                key: self.secret_key.clone(),
                message: "not the token record Dealdesk writes".into(),
            })
        })
    }

    /// A valid access token, refreshed first when it expires within two minutes.
    pub async fn access_token(&self) -> Result<String, WhopError> {
        let tokens = self.stored_tokens()?.ok_or(WhopError::NotConnected)?;
        if tokens.expires_at - chrono::Utc::now().timestamp() > REFRESH_MARGIN_SECS {
            return Ok(tokens.access_token);
        }
        self.refresh(Some(&tokens.access_token)).await
    }

    /// Refreshes the tokens. `rejected` is the access token the caller saw fail (or expire): when
    /// another task has already replaced it, that newer token is returned without a second refresh,
    /// which matters because each refresh token works once.
    pub async fn refresh(&self, rejected: Option<&str>) -> Result<String, WhopError> {
        let _one_at_a_time = self.refresh_lock.lock().await;
        let tokens = self.stored_tokens()?.ok_or(WhopError::NotConnected)?;
        let still_valid = tokens.expires_at - chrono::Utc::now().timestamp() > REFRESH_MARGIN_SECS;
        if rejected.is_some_and(|r| r != tokens.access_token) && still_valid {
            return Ok(tokens.access_token);
        }
        let refresh_token =
            tokens.refresh_token.clone().ok_or_else(|| WhopError::SessionEnded("no refresh token".into()))?;
        let response = self
            .client(None)?
            .exchange_refresh_token(&RefreshToken::new(refresh_token.clone()))
            .request_async(&|request| send_oauth_request(self.http.clone(), request))
            .await
            .map_err(|e| token_error(e, true))?;
        let stored = self.store_tokens(&response, Some(refresh_token))?;
        tracing::info!("whop: access token refreshed");
        Ok(stored.access_token)
    }

    /// Revokes the refresh token at Whop (best effort: signing out works offline too) and deletes
    /// the tokens from the keyring.
    pub async fn logout(&self) -> Result<(), WhopError> {
        if let Some(refresh) = self.stored_tokens()?.and_then(|t| t.refresh_token) {
            {
                // Whop's documented body is JSON `{token, client_id}` (the oauth2 crate's revoke
                // request also insists on https, which the loopback sandbox is not).
                let url = format!("{}/revoke", self.config.oauth_url);
                let body = serde_json::json!({ "token": refresh, "client_id": self.config.client_id });
                match self.http.post(&url).json(&body).send().await {
                    Ok(response) if response.status().is_success() => tracing::info!("whop: refresh token revoked"),
                    Ok(response) => tracing::warn!(
                        status = response.status().as_u16(),
                        "whop: revoke refused; deleting the tokens locally anyway"
                    ),
                    Err(error) => {
                        tracing::warn!(error = %dealdesk_net::describe_reqwest(&error), "whop: revoke failed; deleting the tokens locally anyway")
                    }
                }
            }
        }
        self.secrets.delete(&self.secret_key)?;
        self.pending.clear();
        Ok(())
    }
}

fn token_error(error: RequestTokenError<OAuthTransportError, BasicErrorResponse>, refreshing: bool) -> WhopError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let message = match response.error_description() {
                Some(d) => format!("{} ({d})", response.error()),
                None => response.error().to_string(),
            };
            if refreshing { WhopError::SessionEnded(message) } else { WhopError::Token(message) }
        }
        RequestTokenError::Request(e) => {
            WhopError::Network { url: "the Whop token endpoint".into(), message: e.to_string() }
        }
        RequestTokenError::Parse(e, _) => {
            WhopError::Decode { url: "the Whop token endpoint".into(), message: e.to_string() }
        }
        RequestTokenError::Other(message) => WhopError::Token(message),
    }
}

/// Reads the id_token's claims (without verifying the signature: the key Whop signs OAuth
/// id_tokens with is not documented, and the token came straight from the token endpoint over TLS)
/// and checks the nonce and audience.
fn check_nonce(id_token: &str, nonce: &str, client_id: &str) -> Result<(), WhopError> {
    let payload =
        id_token.split('.').nth(1).ok_or_else(|| WhopError::TokenCheck("the id_token is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| WhopError::TokenCheck("the id_token payload is not base64url".into()))?;
    let claims: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| WhopError::TokenCheck("the id_token payload is not JSON".into()))?;
    if claims.get("nonce").and_then(|n| n.as_str()) != Some(nonce) {
        return Err(WhopError::TokenCheck("the id_token's nonce does not match this login".into()));
    }
    let audience_ok = match claims.get("aud") {
        Some(serde_json::Value::String(aud)) => aud == client_id,
        Some(serde_json::Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => true,
    };
    if !audience_ok {
        return Err(WhopError::TokenCheck("the id_token was issued to another app".into()));
    }
    Ok(())
}

/// Sends an OAuth request built by `oauth2`. Whop documents JSON bodies for the token and revoke
/// endpoints, so the form the crate builds is re-encoded as a JSON object.
pub async fn send_oauth_request(
    http: dealdesk_net::LazyHttp,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, OAuthTransportError> {
    let (parts, body) = request.into_parts();
    let is_form = parts
        .headers
        .get(oauth2::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let mut builder = http.request(parts.method, parts.uri.to_string());
    for (name, value) in &parts.headers {
        if name != oauth2::http::header::CONTENT_TYPE && name != oauth2::http::header::CONTENT_LENGTH {
            builder = builder.header(name, value);
        }
    }
    builder = if is_form {
        let object: serde_json::Map<String, serde_json::Value> = url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
        builder.json(&object)
    } else {
        builder.body(body)
    };
    let response = builder.send().await.map_err(|e| OAuthTransportError(dealdesk_net::describe_reqwest(&e)))?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(|e| OAuthTransportError(dealdesk_net::describe_reqwest(&e)))?;
    let mut out = oauth2::http::Response::builder().status(status.as_u16());
    for (name, value) in &headers {
        out = out.header(name.as_str(), value.as_bytes());
    }
    out.body(bytes.to_vec()).map_err(|e| OAuthTransportError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.sig", enc(br#"{"alg":"none"}"#), enc(claims.to_string().as_bytes()))
    }

    #[test]
    fn nonce_and_audience_are_checked() {
        let token = jwt(serde_json::json!({"nonce": "n1", "aud": "app_x", "sub": "user_1"}));
        assert!(check_nonce(&token, "n1", "app_x").is_ok());
        assert!(check_nonce(&token, "n2", "app_x").is_err());
        assert!(check_nonce(&token, "n1", "app_y").is_err());
        assert!(check_nonce("garbage", "n1", "app_x").is_err());
    }

    #[test]
    fn tokens_never_show_in_debug_output() {
        let tokens =
            StoredTokens { access_token: "secret-a".into(), refresh_token: Some("secret-r".into()), expires_at: 1 };
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
