//! `/docusign/*`: DocuSign's OAuth for public clients (`/oauth/auth`, `/oauth/token` with PKCE S256,
//! `/oauth/userinfo`; consent is automatic) and eSignature REST v2.1's envelope routes under
//! `/restapi/v2.1/accounts/{accountId}/envelopes`.
//!
//! As at DocuSign, numbers in REST bodies are strings and times are ISO 8601 UTC with 7 fractional
//! digits; fields without a value are left out. Differences: an unknown envelope or document is 404
//! (DocuSign mostly answers 400), and `from_date` matches any change (a signer signing included), via
//! `lastModifiedDateTime`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Doc, EsignProvider, Signer, SignerStatus, Status, StoredFile, docusign_error, uuid_like};
use crate::data::{SELLER_EMAIL, SELLER_NAME};
use crate::{AppState, Shared};

/// Authorization codes live 2 minutes (DocuSign's documented lifetime).
const CODE_TTL_MS: i64 = 120_000;
/// Access tokens live 8 hours, as DocuSign's do.
pub const TOKEN_TTL_SECS: i64 = 28_800;
const ACCOUNT_NAME: &str = "Sandbox Account";
const INVALID_TOKEN: &str = "The access token provided is expired, revoked or malformed.";

struct Code {
    redirect_uri: String,
    challenge: String,
    issued_ms: i64,
    used: bool,
}

/// Codes and tokens handed out by `/docusign/oauth`.
#[derive(Default)]
pub struct Auth {
    codes: HashMap<String, Code>,
    /// Access token → expiry (sandbox ms).
    access: HashMap<String, i64>,
    /// Refresh token → still valid (each is spent by its first use).
    refresh: HashMap<String, bool>,
}

pub fn routes(s: &AppState) -> Router<AppState> {
    let oauth = Router::new()
        .route("/auth", get(auth))
        .route("/token", axum::routing::post(token))
        .route("/userinfo", get(userinfo));
    let envelope = "/v2.1/accounts/{account_id}/envelopes/{envelope_id}";
    let rest = Router::new()
        .route("/v2.1/accounts/{account_id}/envelopes", get(list).post(create))
        .route(envelope, get(get_one).put(update))
        .route(&format!("{envelope}/recipients"), get(recipients))
        .route(&format!("{envelope}/documents/{{document_id}}"), get(document))
        .fallback(unknown_route);
    Router::new()
        .nest("/docusign/oauth", oauth)
        .nest("/docusign/restapi", super::with_rate_headers(rest, s, EsignProvider::DocuSign))
}

/// The account `/oauth/userinfo` reports: a UUID that depends only on the seed.
pub fn account_id(s: &Shared) -> String {
    let digest: [u8; 32] =
        Sha256::new().chain_update(s.config.seed.to_le_bytes()).chain_update(b"docusign-account").finalize().into();
    uuid_like(&digest)
}

fn user_id(s: &Shared) -> String {
    let digest: [u8; 32] =
        Sha256::new().chain_update(s.config.seed.to_le_bytes()).chain_update(b"docusign-user").finalize().into();
    uuid_like(&digest)
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffZ`, DocuSign's format (the last 4 digits are always 0 here).
fn ds_time(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3f0000Z").to_string(),
        None => String::new(),
    }
}

/// An ISO 8601 date or date-time; without an offset it is taken as UTC.
fn parse_time(v: &str) -> Option<i64> {
    let v = v.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(t.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    let date = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

// ---- OAuth ----

fn auth_error_page(param: &str, why: &str) -> Response {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>DocuSign sandbox: invalid request</title>\
         </head><body><h1>Invalid authorization request</h1><p><b>{}</b>: {}</p></body></html>",
        escape(param),
        escape(why)
    );
    (StatusCode::BAD_REQUEST, Html(html)).into_response()
}

/// A loopback `http` URI with a port, or an app's custom-scheme URI.
fn redirect_allowed(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else { return false };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    match scheme {
        "http" => ["127.0.0.1:", "localhost:", "[::1]:"].iter().any(|host| {
            rest.strip_prefix(host).is_some_and(|r| {
                let port = r.split(['/', '?']).next().unwrap_or("");
                port.parse::<u16>().is_ok()
            })
        }),
        "https" => false,
        _ => scheme_ok && !rest.is_empty(),
    }
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{query}")
}

/// `GET /oauth/auth`: checks the request and redirects straight back with a code (consent is automatic).
async fn auth(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if get("client_id") != Some(s.config.docusign_client_id.as_str()) {
        return auth_error_page("client_id", "The client id provided is not registered with DocuSign.");
    }
    if get("response_type") != Some("code") {
        return auth_error_page("response_type", "must be \"code\"");
    }
    let Some(redirect_uri) = get("redirect_uri").filter(|u| redirect_allowed(u)) else {
        return auth_error_page(
            "redirect_uri",
            "must be a loopback URI with a port (http://127.0.0.1:<port>/…) or a custom-scheme URI",
        );
    };
    if get("code_challenge_method") != Some("S256") {
        return auth_error_page("code_challenge_method", "PKCE is required: only S256 is supported");
    }
    let Some(challenge) = get("code_challenge")
        .filter(|c| c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    else {
        return auth_error_page("code_challenge", "required: 43 characters of base64url (SHA-256 of the verifier)");
    };
    let code = s.esign_token("dscode_");
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = get("state") {
        pairs.push(("state", state));
    }
    let location = with_query(redirect_uri, &pairs);
    let Ok(location) = HeaderValue::from_str(&location) else {
        return auth_error_page("redirect_uri", "not a valid URI");
    };
    let (mut st, now) = s.esign();
    st.auth.codes.insert(
        code,
        Code { redirect_uri: redirect_uri.to_string(), challenge: challenge.to_string(), issued_ms: now, used: false },
    );
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

#[derive(Deserialize, Default)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    code_verifier: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    refresh_token: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({ "error": error, "error_description": description }))).into_response()
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// The client id from the form, else the user name of `Authorization: Basic`.
fn client_id_of(form: &TokenForm, headers: &HeaderMap) -> Option<String> {
    if let Some(id) = form.client_id.clone().filter(|c| !c.is_empty()) {
        return Some(id);
    }
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    Some(decoded.split_once(':').map_or(decoded.as_str(), |(user, _)| user).to_string())
}

/// Issues an access/refresh pair and returns the token response.
fn issue(s: &Shared, auth: &mut Auth, now: i64) -> Value {
    let access = s.esign_token("dsat_");
    let refresh = s.esign_token("dsrt_");
    auth.access.insert(access.clone(), now + TOKEN_TTL_SECS * 1000);
    auth.refresh.insert(refresh.clone(), true);
    json!({ "access_token": access, "token_type": "Bearer", "refresh_token": refresh, "expires_in": TOKEN_TTL_SECS })
}

pub fn mint_token(s: &Shared) -> String {
    let (mut st, now) = s.esign();
    let body = issue(s, &mut st.auth, now);
    body["access_token"].as_str().unwrap_or_default().to_string()
}

/// `POST /oauth/token`: authorization_code (with `code_verifier`) or refresh_token. Form or JSON body.
async fn token(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let is_form = super::content_type(&headers).starts_with("application/x-www-form-urlencoded");
    let parsed = if is_form {
        serde_urlencoded::from_bytes::<TokenForm>(&body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<TokenForm>(&body).map_err(|e| e.to_string())
    };
    let form = match parsed {
        Ok(form) => form,
        Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &format!("unreadable body: {e}")),
    };
    if client_id_of(&form, &headers).as_deref() != Some(s.config.docusign_client_id.as_str()) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "The client id is not registered");
    }
    let (mut st, now) = s.esign();
    match form.grant_type.as_deref() {
        Some("authorization_code") => {
            let Some(code) = form.code.as_deref() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "code is required");
            };
            let Some(grant) = st.auth.codes.get_mut(code) else {
                return invalid_grant("unknown authorization code");
            };
            if grant.used {
                return invalid_grant("authorization code already used");
            }
            if now - grant.issued_ms > CODE_TTL_MS {
                return invalid_grant("authorization code expired");
            }
            if form.redirect_uri.as_deref().is_some_and(|r| r != grant.redirect_uri) {
                return invalid_grant("redirect_uri does not match the authorization request");
            }
            let Some(verifier) = form.code_verifier.as_deref() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "code_verifier is required");
            };
            if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
                // A failed attempt leaves the code usable: only a successful exchange spends it.
                return invalid_grant("PKCE verification failed");
            }
            grant.used = true;
            axum::Json(issue(&s, &mut st.auth, now)).into_response()
        }
        Some("refresh_token") => {
            let Some(old) = form.refresh_token.as_deref() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "refresh_token is required");
            };
            match st.auth.refresh.get_mut(old) {
                Some(valid) if *valid => *valid = false,
                Some(_) => return invalid_grant("refresh token already used"),
                None => return invalid_grant("unknown refresh token"),
            }
            axum::Json(issue(&s, &mut st.auth, now)).into_response()
        }
        Some(_) => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "unsupported grant_type"),
        None => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required"),
    }
}

fn token_valid(s: &Shared, headers: &HeaderMap) -> bool {
    let Some(token) = crate::api::bearer(headers) else { return false };
    let (st, now) = s.esign();
    st.auth.access.get(token).is_some_and(|expires| now < *expires)
}

/// `GET /oauth/userinfo`.
async fn userinfo(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if !token_valid(&s, &headers) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", INVALID_TOKEN);
    }
    let (given, family) = SELLER_NAME.split_once(' ').unwrap_or((SELLER_NAME, ""));
    axum::Json(json!({
        "sub": user_id(&s),
        "name": SELLER_NAME,
        "given_name": given,
        "family_name": family,
        "created": "2024-01-01T00:00:00.000000Z",
        "email": SELLER_EMAIL,
        "accounts": [{
            "account_id": account_id(&s),
            "is_default": true,
            "account_name": ACCOUNT_NAME,
            "base_uri": format!("http://127.0.0.1:{}/docusign", s.port),
        }],
    }))
    .into_response()
}

// ---- REST ----

fn bad_body(message: &str) -> Response {
    docusign_error(StatusCode::BAD_REQUEST, "INVALID_REQUEST_BODY", message)
}

fn no_envelope() -> Response {
    docusign_error(
        StatusCode::NOT_FOUND,
        "ENVELOPE_DOES_NOT_EXIST",
        "The envelope specified either does not exist or you have no rights to it.",
    )
}

/// The refusal, if any: the Bearer token must be live and the account the one userinfo reports.
fn refusal(s: &Shared, headers: &HeaderMap, account: &str) -> Option<Response> {
    if !token_valid(s, headers) {
        return Some(docusign_error(StatusCode::UNAUTHORIZED, "AUTHORIZATION_INVALID_TOKEN", INVALID_TOKEN));
    }
    if account != account_id(s) {
        return Some(docusign_error(
            StatusCode::BAD_REQUEST,
            "USER_LACKS_MEMBERSHIP",
            "The UserID does not have a valid membership in this Account.",
        ));
    }
    None
}

fn signer_status(status: SignerStatus) -> &'static str {
    match status {
        SignerStatus::Created => "created",
        SignerStatus::Sent => "sent",
        SignerStatus::Delivered => "delivered",
        // DocuSign moves a signer from `signed` to `completed` as soon as it has processed the signature.
        SignerStatus::Signed => "completed",
        SignerStatus::Declined => "declined",
    }
}

fn put_time(v: &mut Value, key: &str, ms: Option<i64>) {
    if let Some(ms) = ms {
        v[key] = json!(ds_time(ms));
    }
}

fn signer_json(s: &Signer) -> Value {
    let mut v = json!({
        "recipientId": s.recipient_id,
        "recipientIdGuid": s.guid,
        "recipientType": "signer",
        "email": s.email,
        "name": s.name,
        "routingOrder": s.order.unwrap_or(1).to_string(),
        "status": signer_status(s.status),
    });
    put_time(&mut v, "sentDateTime", s.sent_ms);
    put_time(&mut v, "deliveredDateTime", s.delivered_ms);
    put_time(&mut v, "signedDateTime", s.signed_ms);
    put_time(&mut v, "declinedDateTime", s.declined_ms);
    if let Some(reason) = &s.decline_reason {
        v["declinedReason"] = json!(reason);
    }
    v
}

fn recipients_json(doc: &Doc) -> Value {
    let order = doc.signing_order();
    let current = order
        .iter()
        .map(|&i| &doc.signers[i])
        .find(|s| s.status != SignerStatus::Signed)
        .or_else(|| order.last().map(|&i| &doc.signers[i]))
        .map_or(1, |s| s.order.unwrap_or(1));
    json!({
        "signers": order.iter().map(|&i| signer_json(&doc.signers[i])).collect::<Vec<_>>(),
        "carbonCopies": [],
        "recipientCount": doc.signers.len().to_string(),
        "currentRoutingOrder": current.to_string(),
    })
}

fn envelope_json(doc: &Doc, with_recipients: bool) -> Value {
    let uri = format!("/envelopes/{}", doc.id);
    let mut v = json!({
        "envelopeId": doc.id,
        "status": doc.status.name(),
        "emailSubject": doc.title,
        "envelopeUri": uri,
        "recipientsUri": format!("{uri}/recipients"),
        "documentsUri": format!("{uri}/documents"),
        "documentsCombinedUri": format!("{uri}/documents/combined"),
        "certificateUri": format!("{uri}/documents/certificate"),
        "createdDateTime": ds_time(doc.created_ms),
        "statusChangedDateTime": ds_time(doc.status_changed_ms),
        "lastModifiedDateTime": ds_time(doc.modified_ms),
    });
    if let Some(blurb) = &doc.message {
        v["emailBlurb"] = json!(blurb);
    }
    put_time(&mut v, "sentDateTime", doc.sent_ms);
    put_time(&mut v, "deliveredDateTime", doc.delivered_ms);
    put_time(&mut v, "completedDateTime", doc.completed_ms);
    put_time(&mut v, "declinedDateTime", doc.declined_ms);
    put_time(&mut v, "voidedDateTime", doc.voided_ms);
    if let Some(reason) = &doc.voided_reason {
        v["voidedReason"] = json!(reason);
    }
    if with_recipients {
        v["recipients"] = recipients_json(doc);
    }
    v
}

/// The value of the envelope's text custom field `name`, as the create request set it.
fn custom_field_value(doc: &Doc, name: &str) -> Option<String> {
    doc.request
        .pointer("/customFields/textCustomFields")?
        .as_array()?
        .iter()
        .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
        .and_then(|f| f.get("value").and_then(Value::as_str))
        .map(str::to_string)
}

/// Whether the comma-separated `include` names `what`.
fn includes(q: &HashMap<String, String>, what: &str) -> bool {
    q.get("include").is_some_and(|v| v.split(',').any(|x| x.trim() == what))
}

/// A JSON string or number as text (DocuSign sends numbers as strings but accepts both).
fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `GET envelopes?from_date=…&envelope_ids=…&status=…&include=recipients&start_position=…&count=…`.
async fn list(
    State(s): State<AppState>,
    Path(account): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refusal(&s, &headers, &account) {
        return resp;
    }
    let invalid = |message: &str| docusign_error(StatusCode::BAD_REQUEST, "INVALID_REQUEST_PARAMETER", message);
    let ids: Option<Vec<&str>> = q
        .get("envelope_ids")
        .filter(|v| !v.is_empty() && v.as_str() != "request_body")
        .map(|v| v.split(',').map(str::trim).filter(|x| !x.is_empty()).collect());
    let mut bounds = [None, None];
    for (slot, key) in bounds.iter_mut().zip(["from_date", "to_date"]) {
        if let Some(v) = q.get(key).filter(|v| !v.trim().is_empty()) {
            match parse_time(v) {
                Some(t) => *slot = Some(t),
                None => return invalid(&format!("The value of {key} is not a valid date: {v}")),
            }
        }
    }
    let [from, to] = bounds;
    if from.is_none() && ids.is_none() {
        return invalid(
            "The request contained at least one invalid parameter. A value for 'from_date', 'envelope_ids' or \
             'transaction_ids' must be set.",
        );
    }
    let statuses: Option<Vec<&str>> =
        q.get("status").filter(|v| !v.is_empty()).map(|v| v.split(',').map(str::trim).collect());
    let number = |key: &str, default: usize| q.get(key).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(default);
    let (start, count) = (number("start_position", 0), number("count", 1000).max(1));
    let with_recipients = includes(&q, "recipients");
    let with_custom_fields = includes(&q, "custom_fields");
    // `custom_field=name=value`: envelopes whose text custom field `name` has `value`.
    let custom_field = q.get("custom_field").and_then(|v| v.split_once('='));
    let (st, _) = s.esign();
    let matching: Vec<Value> = st
        .docs
        .iter()
        .filter(|d| d.provider == EsignProvider::DocuSign)
        .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id.as_str())))
        .filter(|d| from.is_none_or(|f| d.modified_ms >= f) && to.is_none_or(|t| d.modified_ms <= t))
        .filter(|d| statuses.as_ref().is_none_or(|st| st.contains(&d.status.name())))
        .filter(|d| custom_field.is_none_or(|(name, value)| custom_field_value(d, name).as_deref() == Some(value)))
        .map(|d| {
            let mut v = envelope_json(d, with_recipients);
            if with_custom_fields {
                v["customFields"] = d.request.get("customFields").cloned().unwrap_or_else(|| json!({}));
            }
            v
        })
        .collect();
    let total = matching.len();
    let page: Vec<Value> = matching.into_iter().skip(start).take(count).collect();
    let end = (start + page.len()) as i64 - 1;
    axum::Json(json!({
        "envelopes": page,
        "resultSetSize": page.len().to_string(),
        "totalSetSize": total.to_string(),
        "startPosition": start.to_string(),
        "endPosition": end.to_string(),
    }))
    .into_response()
}

/// A checked create request.
struct NewEnvelope {
    send: bool,
    subject: String,
    blurb: Option<String>,
    files: Vec<StoredFile>,
    /// (email, name, recipientId, routingOrder)
    signers: Vec<(String, String, String, u32)>,
}

fn parse_envelope(body: &Value) -> Result<NewEnvelope, String> {
    if !body.is_object() {
        return Err("The request body is not a JSON object.".into());
    }
    let send = match body.get("status").and_then(Value::as_str) {
        None => false,
        Some(s) if s.eq_ignore_ascii_case("created") => false,
        Some(s) if s.eq_ignore_ascii_case("sent") => true,
        Some(other) => return Err(format!("status must be 'sent' or 'created', not '{other}'.")),
    };
    let documents = body.get("documents").and_then(Value::as_array).filter(|d| !d.is_empty());
    let documents = documents.ok_or("documents: at least one document is required.")?;
    let mut files = Vec::with_capacity(documents.len());
    for (i, d) in documents.iter().enumerate() {
        let document_id = text_of(d.get("documentId")).ok_or(format!("documents[{i}].documentId is required."))?;
        let encoded = d
            .get("documentBase64")
            .and_then(Value::as_str)
            .ok_or(format!("documents[{i}].documentBase64 is required (remote documents are not supported)."))?;
        let compact: String = encoded.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes =
            STANDARD.decode(compact).map_err(|e| format!("documents[{i}].documentBase64 is not valid base64: {e}"))?;
        if !bytes.starts_with(b"%PDF-") {
            return Err(format!("documents[{i}] is not a PDF (it does not start with %PDF-)."));
        }
        let name = text_of(d.get("name")).unwrap_or_else(|| format!("Document {document_id}"));
        files.push(StoredFile { document_id, name, bytes });
    }
    let signers = body.pointer("/recipients/signers").and_then(Value::as_array).filter(|s| !s.is_empty());
    let signers = signers.ok_or("recipients.signers: at least one signer is required.")?;
    let mut parsed = Vec::with_capacity(signers.len());
    for (i, r) in signers.iter().enumerate() {
        let email = text_of(r.get("email")).filter(|e| e.contains('@'));
        let email = email.ok_or(format!("recipients.signers[{i}].email is missing or not an email address."))?;
        let name = text_of(r.get("name")).ok_or(format!("recipients.signers[{i}].name is required."))?;
        let id = text_of(r.get("recipientId")).ok_or(format!("recipients.signers[{i}].recipientId is required."))?;
        if parsed.iter().any(|(_, _, other, _)| *other == id) {
            return Err(format!("recipients.signers[{i}].recipientId '{id}' is used twice."));
        }
        let order = match text_of(r.get("routingOrder")) {
            None => 1,
            Some(o) => o
                .parse::<u32>()
                .ok()
                .filter(|o| *o >= 1)
                .ok_or(format!("recipients.signers[{i}].routingOrder must be a positive number."))?,
        };
        parsed.push((email, name, id, order));
    }
    Ok(NewEnvelope {
        send,
        subject: text_of(body.get("emailSubject")).unwrap_or_default(),
        blurb: text_of(body.get("emailBlurb")),
        files,
        signers: parsed,
    })
}

/// `POST envelopes`.
async fn create(State(s): State<AppState>, Path(account): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(resp) = refusal(&s, &headers, &account) {
        return resp;
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return bad_body("The request body is missing or is not valid JSON.");
    };
    let new = match parse_envelope(&request) {
        Ok(new) => new,
        Err(message) => return bad_body(&message),
    };
    let id = uuid_like(&s.esign_digest("envelope"));
    let guids: Vec<String> = new.signers.iter().map(|_| uuid_like(&s.esign_digest("recipient"))).collect();
    let (mut st, now) = s.esign();
    let mut doc = Doc::new(EsignProvider::DocuSign, id.clone(), new.subject, now);
    doc.message = new.blurb;
    doc.files = new.files;
    doc.request = request;
    doc.signers = new
        .signers
        .into_iter()
        .zip(guids)
        .map(|((email, name, recipient_id, order), guid)| Signer::new(email, name, recipient_id, Some(order), guid))
        .collect();
    if new.send {
        doc.send(now);
    }
    let status = doc.status.name();
    st.docs.push(doc);
    drop(st);
    tracing::debug!(%id, status, "envelope created");
    let body = json!({
        "envelopeId": id,
        "status": status,
        "statusDateTime": ds_time(now),
        "uri": format!("/envelopes/{id}"),
    });
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

/// `GET envelopes/{id}` (`?include=recipients` adds the signers).
async fn get_one(
    State(s): State<AppState>,
    Path((account, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refusal(&s, &headers, &account) {
        return resp;
    }
    let (mut st, _) = s.esign();
    match st.doc_mut(Some(EsignProvider::DocuSign), &id) {
        Some(doc) => axum::Json(envelope_json(doc, includes(&q, "recipients"))).into_response(),
        None => no_envelope(),
    }
}

/// `GET envelopes/{id}/recipients`.
async fn recipients(
    State(s): State<AppState>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refusal(&s, &headers, &account) {
        return resp;
    }
    let (mut st, _) = s.esign();
    match st.doc_mut(Some(EsignProvider::DocuSign), &id) {
        Some(doc) => axum::Json(recipients_json(doc)).into_response(),
        None => no_envelope(),
    }
}

/// `GET envelopes/{id}/documents/{combined|certificate|documentId}` as `application/pdf`.
async fn document(
    State(s): State<AppState>,
    Path((account, id, document_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refusal(&s, &headers, &account) {
        return resp;
    }
    let (mut st, _) = s.esign();
    let Some(doc) = st.doc_mut(Some(EsignProvider::DocuSign), &id) else {
        return no_envelope();
    };
    let (name, bytes) = match document_id.as_str() {
        "combined" => (format!("{}.pdf", doc.id), doc.signed_copy()),
        "certificate" => ("Certificate of Completion.pdf".to_string(), doc.certificate()),
        other => match doc.files.iter().find(|f| f.document_id == other) {
            Some(file) => (file.name.clone(), file.bytes.clone()),
            None => {
                return docusign_error(
                    StatusCode::NOT_FOUND,
                    "DOCUMENT_DOES_NOT_EXIST",
                    "The document specified was not found.",
                );
            }
        },
    };
    drop(st);
    let disposition = format!("file; filename=\"{}\"", name.replace(['"', '\\', '\r', '\n'], "_"));
    let mut resp = ([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    resp
}

/// `PUT envelopes/{id}`: `{"status":"voided","voidedReason":…}` voids a sent envelope;
/// `{"status":"sent"}` sends a draft.
async fn update(
    State(s): State<AppState>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(resp) = refusal(&s, &headers, &account) {
        return resp;
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return bad_body("The request body is missing or is not valid JSON.");
    };
    let (mut st, now) = s.esign();
    let Some(doc) = st.doc_mut(Some(EsignProvider::DocuSign), &id) else {
        return no_envelope();
    };
    match request.get("status").and_then(Value::as_str) {
        Some("voided") => {
            if !doc.status.is_open() {
                return docusign_error(
                    StatusCode::BAD_REQUEST,
                    "ENVELOPE_CANNOT_VOID_INVALID_STATE",
                    "Only envelopes in the 'Sent' or 'Delivered' states may be voided.",
                );
            }
            let Some(reason) = text_of(request.get("voidedReason")) else {
                return bad_body("voidedReason is required to void an envelope.");
            };
            doc.void(now, &reason);
        }
        Some("sent") if doc.status == Status::Created => doc.send(now),
        Some("sent") => return bad_body("The envelope has already been sent."),
        _ => {
            return bad_body(
                "Only 'status':'voided' (with voidedReason) or 'status':'sent' (for a draft) is supported.",
            );
        }
    }
    axum::Json(json!({ "envelopeId": id })).into_response()
}

async fn unknown_route(uri: axum::http::Uri) -> Response {
    docusign_error(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        &format!("The sandbox does not implement {}", uri.path()),
    )
}
