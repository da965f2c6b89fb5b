//! OAuth 2.1 + PKCE (S256) + OIDC bits, imitating `https://api.whop.com/oauth/*`.

use std::collections::{BTreeSet, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::data::{SELLER_EMAIL, SELLER_NAME, SELLER_USERNAME};
use crate::{APP_REDIRECT_URI, AppState, Shared};
use dealdesk_model::whop_contract::OPENID_SCOPES;

/// Authorization codes live 10 minutes (Whop's documented lifetime).
const CODE_TTL_MS: i64 = 600_000;

#[derive(Clone, Debug)]
struct AuthRequest {
    redirect_uri: String,
    scope: String,
    state: String,
    nonce: Option<String>,
    code_challenge: String,
}

struct CodeGrant {
    req: AuthRequest,
    issued_ms: i64,
    used: bool,
}

struct AccessToken {
    expires_ms: i64,
    revoked: bool,
    /// What the token may do: the scopes granted at consent.
    scopes: BTreeSet<String>,
    /// The refresh token issued together with it; revoking that one revokes this too.
    refresh: String,
    /// The authorization code the token family descends from (replay revokes the family).
    grant: String,
}

struct RefreshToken {
    valid: bool,
    grant: String,
    scope: String,
    nonce: Option<String>,
}

#[derive(Default)]
pub struct OAuthState {
    requests: HashMap<String, AuthRequest>,
    codes: HashMap<String, CodeGrant>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
}

impl OAuthState {
    /// The token's granted scopes, if it is valid now.
    pub fn check_access(&self, token: &str, now_ms: i64) -> Result<BTreeSet<String>, &'static str> {
        match self.access.get(token) {
            None => Err("Invalid access token"),
            Some(t) if t.revoked => Err("Access token has been revoked"),
            Some(t) if now_ms >= t.expires_ms => Err("Access token has expired"),
            Some(t) => Ok(t.scopes.clone()),
        }
    }

    fn revoke_grant(&mut self, grant: &str) {
        for t in self.refresh.values_mut().filter(|t| t.grant == grant) {
            t.valid = false;
        }
        for t in self.access.values_mut().filter(|t| t.grant == grant) {
            t.revoked = true;
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/authorize", get(authorize))
        .route("/authorize/decision", get(decision))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/userinfo", get(userinfo))
}

/// Long, random-looking tokens: SHA-256 over (salt, seed, counter, kind), base64url.
fn mint(s: &Shared, prefix: &str) -> String {
    let mut h = Sha256::new();
    h.update(s.token_salt.to_le_bytes());
    h.update(s.config.seed.to_le_bytes());
    h.update(s.next_token_number().to_le_bytes());
    h.update(prefix.as_bytes());
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(h.finalize()))
}

/// Issues an access/refresh pair for `grant` and returns the token response body.
fn issue(s: &Shared, st: &mut OAuthState, grant: &str, scope: &str, nonce: Option<String>, now_ms: i64) -> Value {
    let access = mint(s, "wsat_");
    let refresh = mint(s, "wsrt_");
    let ttl = s.config.access_token_ttl_secs;
    st.access.insert(
        access.clone(),
        AccessToken {
            expires_ms: now_ms + ttl.saturating_mul(1000),
            revoked: false,
            scopes: scope.split(' ').filter(|x| !x.is_empty()).map(str::to_string).collect(),
            refresh: refresh.clone(),
            grant: grant.to_string(),
        },
    );
    st.refresh.insert(
        refresh.clone(),
        RefreshToken { valid: true, grant: grant.to_string(), scope: scope.to_string(), nonce: nonce.clone() },
    );
    let mut body = json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": scope,
    });
    // As at Whop, the id_token only comes with the openid scope.
    if scope.split(' ').any(|x| x == "openid") {
        body["id_token"] = json!(id_token(s, now_ms, nonce));
    }
    body
}

fn seller_id(s: &Shared) -> String {
    s.data().seller.id.clone()
}

/// A JWT-shaped token; clients only read the payload, so the "signature" is a keyed SHA-256.
fn id_token(s: &Shared, now_ms: i64, nonce: Option<String>) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let iat = now_ms / 1000;
    let payload = json!({
        "iss": format!("http://127.0.0.1:{}", s.port),
        "sub": seller_id(s),
        "aud": s.config.client_id,
        "exp": iat + s.config.access_token_ttl_secs,
        "iat": iat,
        "nonce": nonce,
    });
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut h = Sha256::new();
    h.update(s.token_salt.to_le_bytes());
    h.update(format!("{header}.{payload}"));
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(h.finalize()))
}

/// A token granted `permissions` (and the OpenID scopes), without the browser flow.
pub fn mint_direct_token(s: &Shared, permissions: &[String]) -> String {
    let now = s.now_ms();
    let mut st = s.oauth();
    let scope = OPENID_SCOPES.iter().map(|x| x.to_string()).chain(permissions.iter().cloned());
    let scope: Vec<String> = scope.collect();
    let body = issue(s, &mut st, "direct", &scope.join(" "), None, now);
    body["access_token"].as_str().unwrap_or_default().to_string()
}

/// What a consent grants: the requested scopes that are OpenID scopes or permissions the app has
/// (`SandboxConfig::app_permissions`, as declared on the app's Permissions tab at Whop). Whop
/// gives an app nothing it did not declare; the token response's `scope` says what was granted.
fn granted_scope(s: &Shared, requested: &str) -> String {
    requested
        .split(' ')
        .filter(|x| !x.is_empty())
        .filter(|x| {
            OPENID_SCOPES.contains(x)
                || match &s.config.app_permissions {
                    Some(allowed) => allowed.iter().any(|a| a == x),
                    None => crate::contract::all_permissions().contains(*x),
                }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn bad_request_page(param: &str, why: &str) -> Response {
    let html = page(
        "Invalid authorization request",
        &format!(
            "<p>The app sent an invalid authorization request.</p><p><b>Parameter <code>{}</code>:</b> {}</p>",
            escape(param),
            escape(why)
        ),
    );
    (StatusCode::BAD_REQUEST, Html(html)).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;background:#f4f4f6;display:flex;justify-content:center;padding-top:8vh}}\
         .card{{background:#fff;border-radius:12px;padding:28px 32px;max-width:420px;box-shadow:0 2px 12px #0002}}\
         h1{{font-size:20px}} .scopes li{{font-family:monospace}} .who{{color:#555}}\
         a.btn{{display:inline-block;padding:10px 18px;border-radius:8px;text-decoration:none;margin-right:8px}}\
         #approve{{background:#ff6243;color:#fff}} #deny{{background:#e6e6ea;color:#222}}\
         </style></head><body><div class=\"card\"><h1>{title}</h1>{body}</div></body></html>"
    )
}

/// Exact custom-scheme URI, or a loopback URI with an explicit port and a path.
fn redirect_allowed(uri: &str) -> bool {
    if uri == APP_REDIRECT_URI {
        return true;
    }
    let Some(rest) = uri.strip_prefix("http://127.0.0.1:").or_else(|| uri.strip_prefix("http://localhost:")) else {
        return false;
    };
    let Some((port, _path)) = rest.split_once('/') else {
        return false;
    };
    !port.is_empty() && port.parse::<u16>().is_ok()
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{query}")
}

fn issue_code(s: &Shared, req: AuthRequest) -> String {
    let code = mint(s, "wscode_");
    let now = s.now_ms();
    let location = with_query(&req.redirect_uri, &[("code", &code), ("state", &req.state)]);
    s.oauth().codes.insert(code, CodeGrant { req, issued_ms: now, used: false });
    location
}

async fn authorize(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if get("client_id") != Some(s.config.client_id.as_str()) {
        return bad_request_page("client_id", "unknown client_id for this sandbox");
    }
    if get("response_type") != Some("code") {
        return bad_request_page("response_type", "must be \"code\"");
    }
    let Some(redirect_uri) = get("redirect_uri").filter(|u| redirect_allowed(u)) else {
        return bad_request_page(
            "redirect_uri",
            "must be dealdesk://oauth/whop/callback or http://127.0.0.1:<port>/<path> or http://localhost:<port>/<path>",
        );
    };
    if get("code_challenge_method") != Some("S256") {
        return bad_request_page("code_challenge_method", "only S256 is supported");
    }
    let Some(challenge) = get("code_challenge")
        .filter(|c| c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    else {
        return bad_request_page("code_challenge", "required: 43 characters of base64url (SHA-256 of the verifier)");
    };
    let Some(state) = get("state") else {
        return bad_request_page("state", "required");
    };
    let scope = granted_scope(&s, get("scope").unwrap_or(""));
    let nonce = get("nonce").map(str::to_string);
    if scope.split(' ').any(|x| x == "openid") && nonce.is_none() {
        return bad_request_page("nonce", "required when scope includes openid");
    }
    let req = AuthRequest {
        redirect_uri: redirect_uri.to_string(),
        scope,
        state: state.to_string(),
        nonce,
        code_challenge: challenge.to_string(),
    };
    if s.config.auto_approve {
        return Redirect::to(&issue_code(&s, req)).into_response().with_status(StatusCode::FOUND);
    }
    let request_id = mint(&s, "authreq_");
    let scopes: String =
        req.scope.split(' ').filter(|x| !x.is_empty()).map(|x| format!("<li>{}</li>", escape(x))).collect();
    s.oauth().requests.insert(request_id.clone(), req);
    let businesses: Vec<String> = s.data().accounts.iter().map(|a| escape(&a.title)).collect();
    let businesses = businesses.join(", ");
    let body = format!(
        "<p class=\"who\">Signed in as <b>{SELLER_NAME}</b> ({SELLER_EMAIL})</p>\
         <p><b>Dealdesk</b> wants to access <b>{businesses}</b> with these permissions:</p>\
         <ul class=\"scopes\">{scopes}</ul>\
         <p><a class=\"btn\" id=\"approve\" href=\"/oauth/authorize/decision?request={request_id}&approve=1\">Approve</a>\
         <a class=\"btn\" id=\"deny\" href=\"/oauth/authorize/decision?request={request_id}&approve=0\">Deny</a></p>"
    );
    Html(page("Authorize Dealdesk", &body)).into_response()
}

trait WithStatus {
    fn with_status(self, status: StatusCode) -> Self;
}

impl WithStatus for Response {
    /// axum's `Redirect::to` answers 303; OAuth servers conventionally answer 302.
    fn with_status(mut self, status: StatusCode) -> Self {
        *self.status_mut() = status;
        self
    }
}

async fn decision(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let id = q.get("request").cloned().unwrap_or_default();
    let Some(req) = s.oauth().requests.remove(&id) else {
        return bad_request_page("request", "unknown or already decided authorization request");
    };
    let location = if q.get("approve").map(String::as_str) == Some("1") {
        issue_code(&s, req)
    } else {
        with_query(
            &req.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied the authorization request"),
                ("state", &req.state),
            ],
        )
    };
    Redirect::to(&location).into_response().with_status(StatusCode::FOUND)
}

#[derive(Deserialize, Default)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    token: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({"error": error, "error_description": description}))).into_response()
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// Whop documents JSON bodies; the `oauth2` crate sends form bodies. Accept both.
fn parse_body(headers: &HeaderMap, body: &Bytes) -> Result<TokenForm, String> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let parsed = if ct.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes::<TokenForm>(body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<TokenForm>(body).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| format!("unreadable body: {e}"))
}

async fn token(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match parse_body(&headers, &body) {
        Ok(f) => f,
        Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e),
    };
    if form.client_id.as_deref() != Some(s.config.client_id.as_str()) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client_id");
    }
    let now = s.now_ms();
    match form.grant_type.as_deref() {
        Some("authorization_code") => exchange_code(&s, &form, now),
        Some("refresh_token") => refresh(&s, &form, now),
        Some(_) => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "unsupported grant_type"),
        None => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required"),
    }
}

fn exchange_code(s: &Shared, form: &TokenForm, now: i64) -> Response {
    let Some(code) = form.code.as_deref() else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "code is required");
    };
    let mut st = s.oauth();
    let Some(grant) = st.codes.get(code) else {
        return invalid_grant("unknown authorization code");
    };
    if grant.used {
        // RFC 6749 §4.1.2: a replayed code should revoke the tokens issued from it.
        st.revoke_grant(code);
        tracing::info!("authorization code replayed; its tokens are revoked");
        return invalid_grant("authorization code already used");
    }
    if now - grant.issued_ms > CODE_TTL_MS {
        return invalid_grant("code expired");
    }
    if form.redirect_uri.as_deref() != Some(grant.req.redirect_uri.as_str()) {
        return invalid_grant("redirect_uri does not match the authorization request");
    }
    let Some(verifier) = form.code_verifier.as_deref() else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "code_verifier is required");
    };
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if computed != grant.req.code_challenge {
        // Failed attempts leave the code usable: only a successful exchange consumes it.
        return invalid_grant("PKCE verification failed");
    }
    let req = grant.req.clone();
    if let Some(g) = st.codes.get_mut(code) {
        g.used = true;
    }
    let body = issue(s, &mut st, code, &req.scope, req.nonce, now);
    axum::Json(body).into_response()
}

fn refresh(s: &Shared, form: &TokenForm, now: i64) -> Response {
    let Some(old) = form.refresh_token.as_deref() else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "refresh_token is required");
    };
    let mut st = s.oauth();
    let Some(rt) = st.refresh.get_mut(old) else {
        return invalid_grant("unknown refresh token");
    };
    if !rt.valid {
        return invalid_grant("refresh token has already been used or was revoked");
    }
    // Rotation: the presented refresh token is spent now.
    rt.valid = false;
    let (grant, scope, nonce) = (rt.grant.clone(), rt.scope.clone(), rt.nonce.clone());
    let body = issue(s, &mut st, &grant, &scope, nonce, now);
    axum::Json(body).into_response()
}

async fn revoke(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // Revocation always answers 200 (RFC 7009), even for unknown tokens.
    if let Ok(form) = parse_body(&headers, &body)
        && let Some(token) = form.token
    {
        let mut st = s.oauth();
        if let Some(rt) = st.refresh.get_mut(&token) {
            rt.valid = false;
            for at in st.access.values_mut().filter(|a| a.refresh == token) {
                at.revoked = true;
            }
        } else if let Some(at) = st.access.get_mut(&token) {
            at.revoked = true;
        }
    }
    axum::Json(json!({})).into_response()
}

async fn userinfo(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let now = s.now_ms();
    let checked = match crate::api::bearer(&headers) {
        Some(token) => s.oauth().check_access(token, now),
        None => Err("Missing bearer token"),
    };
    if let Err(message) = checked {
        return crate::api::ApiError::unauthorized(message).into_response();
    }
    axum::Json(json!({
        "sub": seller_id(&s),
        "name": SELLER_NAME,
        "preferred_username": SELLER_USERNAME,
        "picture": null,
        "email": SELLER_EMAIL,
        "email_verified": true,
    }))
    .into_response()
}
