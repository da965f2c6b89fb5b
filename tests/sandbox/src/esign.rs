//! Stand-ins for DocuSign (`/docusign/*`: OAuth with PKCE and eSignature REST v2.1) and Dropbox Sign
//! (`/dropbox-sign/*`: API v3), over one store of sent documents.
//!
//! A document's life: sent → delivered (the first signer viewed it) → each signer signs in routing
//! order → completed; or a signer declines. DocuSign envelopes can also be voided and Dropbox Sign
//! requests canceled. Documents move only when told to ([`Sandbox::esign_advance`],
//! `/_sandbox/esign/{id}/advance`…) or, with `SandboxConfig::esign_auto_advance_secs`, one step per that
//! many seconds of the sandbox clock (wall time plus `advance_clock`), worked out on every e-sign
//! request. The fault layer logs every e-sign request ([`arrive`], [`depart`]) and gives faults the
//! provider's error shape ([`fault_error`]). Rate-limit headers count requests but never refuse one.

pub mod docusign;
pub mod dropbox_sign;
mod multipart;
mod pdf;

use std::sync::MutexGuard;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::data::format_ts;
use crate::{AppState, Fault, FaultKind, Sandbox, Shared, lock};

/// Far above any document a test sends (DocuSign takes 25 MB per envelope request).
const BODY_LIMIT: usize = 32 * 1024 * 1024;
/// Status logged for a request whose client went away before it was answered (nginx's convention).
const CLIENT_CLOSED: u16 = 499;

/// Which e-signature provider a request or document belongs to.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EsignProvider {
    #[serde(rename = "docusign")]
    DocuSign,
    #[serde(rename = "dropbox_sign")]
    DropboxSign,
}

impl EsignProvider {
    /// `/docusign…` is DocuSign's, `/dropbox-sign…` Dropbox Sign's; `None` elsewhere.
    pub(crate) fn of(path: &str) -> Option<EsignProvider> {
        let under =
            |prefix: &str| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if under("/docusign") {
            Some(EsignProvider::DocuSign)
        } else if under("/dropbox-sign") {
            Some(EsignProvider::DropboxSign)
        } else {
            None
        }
    }

    /// The advertised limit and its window in ms: DocuSign's 3,000 calls an hour, Dropbox Sign's 100 a
    /// minute for standard endpoints.
    fn rate_limit(self) -> (u32, i64) {
        match self {
            EsignProvider::DocuSign => (3000, 3_600_000),
            EsignProvider::DropboxSign => (100, 60_000),
        }
    }

    fn index(self) -> usize {
        match self {
            EsignProvider::DocuSign => 0,
            EsignProvider::DropboxSign => 1,
        }
    }
}

/// A document's state, named as DocuSign names envelope statuses (plus `canceled` for Dropbox Sign).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// A DocuSign draft (`"status":"created"`); it never moves on by itself.
    Created,
    Sent,
    Delivered,
    Completed,
    Declined,
    Voided,
    Canceled,
}

impl Status {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Completed => "completed",
            Status::Declined => "declined",
            Status::Voided => "voided",
            Status::Canceled => "canceled",
        }
    }

    /// Out with the signers, waiting for them.
    pub(crate) fn is_open(self) -> bool {
        matches!(self, Status::Sent | Status::Delivered)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignerStatus {
    Created,
    Sent,
    Delivered,
    Signed,
    Declined,
}

impl SignerStatus {
    fn name(self) -> &'static str {
        match self {
            SignerStatus::Created => "created",
            SignerStatus::Sent => "sent",
            SignerStatus::Delivered => "delivered",
            SignerStatus::Signed => "signed",
            SignerStatus::Declined => "declined",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Signer {
    pub email: String,
    pub name: String,
    /// DocuSign's `recipientId`; for Dropbox Sign the signer's index.
    pub recipient_id: String,
    /// DocuSign's `routingOrder`, Dropbox Sign's `order` (`None` when not given).
    pub order: Option<u32>,
    /// DocuSign's `recipientIdGuid`, Dropbox Sign's `signature_id`.
    pub guid: String,
    pub status: SignerStatus,
    pub sent_ms: Option<i64>,
    pub delivered_ms: Option<i64>,
    pub signed_ms: Option<i64>,
    pub declined_ms: Option<i64>,
    pub decline_reason: Option<String>,
}

impl Signer {
    pub(crate) fn new(email: String, name: String, recipient_id: String, order: Option<u32>, guid: String) -> Self {
        Signer {
            email,
            name,
            recipient_id,
            order,
            guid,
            status: SignerStatus::Created,
            sent_ms: None,
            delivered_ms: None,
            signed_ms: None,
            declined_ms: None,
            decline_reason: None,
        }
    }
}

/// An uploaded document.
#[derive(Clone, Debug)]
pub(crate) struct StoredFile {
    pub document_id: String,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A DocuSign envelope or a Dropbox Sign signature request.
#[derive(Clone, Debug)]
pub(crate) struct Doc {
    pub provider: EsignProvider,
    pub id: String,
    /// DocuSign's `emailSubject`, Dropbox Sign's `title`.
    pub title: String,
    pub subject: Option<String>,
    pub message: Option<String>,
    pub status: Status,
    pub created_ms: i64,
    pub sent_ms: Option<i64>,
    pub delivered_ms: Option<i64>,
    pub completed_ms: Option<i64>,
    pub declined_ms: Option<i64>,
    pub voided_ms: Option<i64>,
    pub voided_reason: Option<String>,
    pub status_changed_ms: i64,
    /// Any change, signers' included; DocuSign's `from_date` compares against this.
    pub modified_ms: i64,
    /// When it last moved (or was sent): the base of auto-advance.
    last_step_ms: i64,
    pub signers: Vec<Signer>,
    pub files: Vec<StoredFile>,
    /// The create request: DocuSign's JSON body, or Dropbox Sign's form as in the request log.
    pub request: Value,
    pub test_mode: bool,
    pub metadata: Value,
    /// Dropbox Sign: canceled, but not yet processed (see `dropbox_sign`).
    pub cancel_pending: bool,
    /// Dropbox Sign: file downloads still to answer 409 once completed.
    pub files_409_left: u32,
}

impl Doc {
    pub(crate) fn new(provider: EsignProvider, id: String, title: String, now: i64) -> Doc {
        Doc {
            provider,
            id,
            title,
            subject: None,
            message: None,
            status: Status::Created,
            created_ms: now,
            sent_ms: None,
            delivered_ms: None,
            completed_ms: None,
            declined_ms: None,
            voided_ms: None,
            voided_reason: None,
            status_changed_ms: now,
            modified_ms: now,
            last_step_ms: now,
            signers: Vec::new(),
            files: Vec::new(),
            request: Value::Null,
            test_mode: false,
            metadata: json!({}),
            cancel_pending: false,
            files_409_left: 0,
        }
    }

    /// Signer indices in signing order: by `order` (a missing one counts as the signer's index), then
    /// as listed.
    pub(crate) fn signing_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.signers.len()).collect();
        order.sort_by_key(|&i| (self.signers[i].order.unwrap_or(u32::try_from(i).unwrap_or(u32::MAX)), i));
        order
    }

    /// The signer whose turn it is.
    fn next_signer(&self) -> Option<usize> {
        self.signing_order().into_iter().find(|&i| self.signers[i].status != SignerStatus::Signed)
    }

    fn set_status(&mut self, status: Status, at: i64) {
        self.status = status;
        self.status_changed_ms = at;
        self.modified_ms = at;
        self.last_step_ms = at;
    }

    /// Sends a draft (or a new document) to its signers.
    pub(crate) fn send(&mut self, at: i64) {
        for signer in &mut self.signers {
            signer.status = SignerStatus::Sent;
            signer.sent_ms = Some(at);
        }
        self.sent_ms = Some(at);
        self.set_status(Status::Sent, at);
    }

    /// Whether a signer can act on it now.
    pub(crate) fn can_step(&self) -> bool {
        self.status.is_open() && !self.cancel_pending
    }

    /// One step: the first signer views it, or the signer whose turn it is signs (the last signature
    /// completes it). False if nothing can happen.
    pub(crate) fn step(&mut self, at: i64) -> bool {
        if !self.can_step() {
            return false;
        }
        let Some(i) = self.next_signer() else { return false };
        let signer = &mut self.signers[i];
        signer.delivered_ms.get_or_insert(at);
        if self.status == Status::Sent {
            signer.status = SignerStatus::Delivered;
            self.delivered_ms = Some(at);
            self.set_status(Status::Delivered, at);
            return true;
        }
        signer.status = SignerStatus::Signed;
        signer.signed_ms = Some(at);
        if self.next_signer().is_none() {
            self.completed_ms = Some(at);
            self.set_status(Status::Completed, at);
        } else {
            self.modified_ms = at;
            self.last_step_ms = at;
        }
        true
    }

    /// The signer whose turn it is declines. False if nothing can happen.
    pub(crate) fn decline(&mut self, at: i64, reason: &str) -> bool {
        if !self.can_step() {
            return false;
        }
        let Some(i) = self.next_signer() else { return false };
        let signer = &mut self.signers[i];
        signer.delivered_ms.get_or_insert(at);
        signer.status = SignerStatus::Declined;
        signer.declined_ms = Some(at);
        signer.decline_reason = Some(reason.to_string());
        self.declined_ms = Some(at);
        self.set_status(Status::Declined, at);
        true
    }

    pub(crate) fn void(&mut self, at: i64, reason: &str) {
        self.voided_ms = Some(at);
        self.voided_reason = Some(reason.to_string());
        self.set_status(Status::Voided, at);
    }

    pub(crate) fn cancel(&mut self, at: i64) {
        self.cancel_pending = false;
        self.set_status(Status::Canceled, at);
    }

    /// Takes every auto-advance step due by `now`, each at the time it fell due.
    fn catch_up(&mut self, now: i64, period_ms: i64) {
        while self.can_step() && now - self.last_step_ms >= period_ms {
            let at = self.last_step_ms + period_ms;
            self.step(at);
        }
    }

    /// The document as it stands, as a one-page PDF: what was uploaded, and who signed when.
    pub(crate) fn signed_copy(&self) -> Vec<u8> {
        let kind = match self.provider {
            EsignProvider::DocuSign => "DocuSign envelope",
            EsignProvider::DropboxSign => "Dropbox Sign signature request",
        };
        let title = if self.status == Status::Completed { "Signed copy" } else { "Copy (not completed)" };
        let mut lines = vec![
            self.title.clone(),
            format!("{kind} {}", self.id),
            format!("Status: {}", self.status.name()),
            String::new(),
        ];
        for file in &self.files {
            lines.push(format!("Document {}: {} ({} bytes)", file.document_id, file.name, file.bytes.len()));
            lines.push(format!("  SHA-256 {}", hex(&Sha256::digest(&file.bytes))));
        }
        lines.push(String::new());
        for i in self.signing_order() {
            let s = &self.signers[i];
            lines.push(match (s.status, s.signed_ms, s.declined_ms) {
                (SignerStatus::Signed, Some(at), _) => {
                    format!("Signed by {} <{}> at {}", s.name, s.email, format_ts(at))
                }
                (SignerStatus::Declined, _, Some(at)) => format!(
                    "Declined by {} <{}> at {}: {}",
                    s.name,
                    s.email,
                    format_ts(at),
                    s.decline_reason.as_deref().unwrap_or("")
                ),
                _ => format!("Awaiting signature: {} <{}>", s.name, s.email),
            });
        }
        if let (Some(at), Some(reason)) = (self.voided_ms, &self.voided_reason) {
            lines.push(format!("Voided at {}: {reason}", format_ts(at)));
        }
        pdf::render(title, &lines)
    }

    /// DocuSign's Certificate of Completion: the envelope's and each signer's events.
    pub(crate) fn certificate(&self) -> Vec<u8> {
        let mut lines = vec![
            format!("Envelope Id: {}", self.id),
            format!("Subject: {}", self.title),
            format!("Status: {}", self.status.name()),
            format!("Created: {}", format_ts(self.created_ms)),
        ];
        if let Some(at) = self.completed_ms {
            lines.push(format!("Completed: {}", format_ts(at)));
        }
        lines.push(String::new());
        lines.push("Signer events".into());
        for i in self.signing_order() {
            let s = &self.signers[i];
            lines.push(format!("{} <{}> (routing order {})", s.name, s.email, s.order.unwrap_or(1)));
            for (what, at) in
                [("Sent", s.sent_ms), ("Viewed", s.delivered_ms), ("Signed", s.signed_ms), ("Declined", s.declined_ms)]
            {
                if let Some(at) = at {
                    lines.push(format!("  {what}: {}", format_ts(at)));
                }
            }
        }
        pdf::render("Certificate of Completion", &lines)
    }

    fn info(&self) -> EsignDocument {
        EsignDocument {
            id: self.id.clone(),
            provider: self.provider,
            status: self.status.name().to_string(),
            title: self.title.clone(),
            created_at: format_ts(self.created_ms),
            cancel_pending: self.cancel_pending,
            signers: self
                .signing_order()
                .into_iter()
                .map(|i| {
                    let s = &self.signers[i];
                    EsignSigner { email: s.email.clone(), name: s.name.clone(), status: s.status.name().to_string() }
                })
                .collect(),
            request: self.request.clone(),
            pdf: self.files.first().map(|f| f.bytes.clone()).unwrap_or_default(),
        }
    }
}

/// A created envelope or signature request, as tests see it through `Sandbox::esign_documents`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EsignDocument {
    pub id: String,
    pub provider: EsignProvider,
    /// `created` (a DocuSign draft), `sent`, `delivered`, `completed`, `declined`, `voided` (DocuSign) or
    /// `canceled` (Dropbox Sign).
    pub status: String,
    /// DocuSign's `emailSubject`, Dropbox Sign's `title`.
    pub title: String,
    pub created_at: String,
    /// Dropbox Sign: canceled, not yet processed.
    pub cancel_pending: bool,
    /// In signing order.
    pub signers: Vec<EsignSigner>,
    /// The create request: DocuSign's JSON body, or Dropbox Sign's form as in the request log.
    pub request: Value,
    /// The first uploaded document's bytes (not serialized).
    #[serde(skip)]
    pub pdf: Vec<u8>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EsignSigner {
    pub email: String,
    pub name: String,
    /// `created`, `sent`, `delivered` (viewed), `signed` or `declined`.
    pub status: String,
}

#[derive(Default, Clone, Copy)]
struct RateWindow {
    start_ms: i64,
    used: u32,
}

/// Documents, DocuSign's OAuth state and the rate-limit counters.
#[derive(Default)]
pub struct EsignState {
    pub(crate) docs: Vec<Doc>,
    pub(crate) auth: docusign::Auth,
    rate: [RateWindow; 2],
}

impl EsignState {
    /// Document `id`, of `provider` if given.
    pub(crate) fn doc_mut(&mut self, provider: Option<EsignProvider>, id: &str) -> Option<&mut Doc> {
        self.docs.iter_mut().find(|d| d.id == id && provider.is_none_or(|p| d.provider == p))
    }

    /// Counts one request: (limit, remaining, reset as unix seconds).
    fn take_rate(&mut self, provider: EsignProvider, now: i64) -> (u32, u32, i64) {
        let (limit, window) = provider.rate_limit();
        let w = &mut self.rate[provider.index()];
        if now < w.start_ms || now >= w.start_ms + window {
            *w = RateWindow { start_ms: now, used: 0 };
        }
        w.used = w.used.saturating_add(1);
        (limit, limit.saturating_sub(w.used), (w.start_ms + window) / 1000)
    }
}

impl Shared {
    /// The e-sign state with every document brought up to date with auto-advance, and the time used.
    pub(crate) fn esign(&self) -> (MutexGuard<'_, EsignState>, i64) {
        let now = self.now_ms();
        let mut state = lock(&self.esign);
        if let Some(period) = self.config.esign_auto_advance_secs.filter(|s| *s > 0) {
            let period_ms = i64::try_from(period).unwrap_or(i64::MAX / 2_000).saturating_mul(1000);
            for doc in &mut state.docs {
                doc.catch_up(now, period_ms);
            }
        }
        (state, now)
    }

    fn esign_log(&self) -> MutexGuard<'_, EsignLog> {
        lock(&self.esign_log)
    }

    /// 32 fresh pseudo-random bytes of `kind`.
    pub(crate) fn esign_digest(&self, kind: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.token_salt.to_le_bytes());
        h.update(self.config.seed.to_le_bytes());
        h.update(self.next_token_number().to_le_bytes());
        h.update(kind.as_bytes());
        h.finalize().into()
    }

    /// A fresh lowercase hex id of `len` characters (at most 64).
    pub(crate) fn esign_hex_id(&self, kind: &str, len: usize) -> String {
        let mut id = hex(&self.esign_digest(kind));
        id.truncate(len);
        id
    }

    /// A fresh token: `prefix` + 43 base64url characters.
    pub(crate) fn esign_token(&self, prefix: &str) -> String {
        format!("{prefix}{}", URL_SAFE_NO_PAD.encode(self.esign_digest(prefix)))
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A version-4-shaped UUID from the first 16 bytes.
pub(crate) fn uuid_like(bytes: &[u8; 32]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// One request to an e-sign route, as tests see it through `Sandbox::esign_requests` or
/// `GET /_sandbox/esign/requests`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EsignRequestRecord {
    pub provider: EsignProvider,
    pub method: String,
    /// The full path, e.g. `/docusign/restapi/v2.1/accounts/{id}/envelopes`.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// When it arrived, in ms since the sandbox started (monotonic, unaffected by `advance_clock`).
    pub at_ms: u64,
    /// The status answered (faults included); 0 while it is being answered, 499 if the client went away.
    pub status: u16,
    /// A JSON body as is; a form (multipart or urlencoded) as an object of field name → text, files as
    /// `{"filename","content_type","size"}`; null when empty or unreadable.
    pub body: Value,
}

/// The e-sign request log, in arrival order.
#[derive(Default)]
pub struct EsignLog {
    next_seq: u64,
    entries: Vec<(u64, EsignRequestRecord)>,
}

impl EsignLog {
    fn push(&mut self, record: EsignRequestRecord) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.push((seq, record));
        seq
    }

    fn answer(&mut self, seq: u64, status: u16) {
        if let Some((_, record)) = self.entries.iter_mut().find(|(s, r)| *s == seq && r.status == 0) {
            record.status = status;
        }
    }

    pub(crate) fn records(&self) -> Vec<EsignRequestRecord> {
        self.entries.iter().map(|(_, r)| r.clone()).collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// A logged request waiting for its answer; dropped unanswered, it logs [`CLIENT_CLOSED`].
pub struct Pending {
    shared: AppState,
    seq: u64,
    answered: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.answered {
            self.shared.esign_log().answer(self.seq, CLIENT_CLOSED);
        }
    }
}

fn content_type(headers: &HeaderMap) -> &str {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn logged_body(headers: &HeaderMap, bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    let ct = content_type(headers);
    if let Some(boundary) = multipart::boundary(ct) {
        return multipart::parse(bytes, &boundary).map(|parts| multipart::form_json(&parts)).unwrap_or(Value::Null);
    }
    if ct.starts_with("application/x-www-form-urlencoded") {
        return match serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes) {
            Ok(pairs) => Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect::<Map<_, _>>()),
            Err(_) => Value::Null,
        };
    }
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// Logs an e-sign request as it arrives. The body is buffered for the log and handed on unchanged; one
/// over the limit is answered 413 at once (and logged).
pub async fn arrive(s: &AppState, provider: EsignProvider, req: Request) -> Result<(Request, Pending), Response> {
    let (parts, body) = req.into_parts();
    let mut record = EsignRequestRecord {
        provider,
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        at_ms: s.elapsed_ms(),
        status: 0,
        body: Value::Null,
    };
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::debug!(error = %e, "e-sign request body unreadable or too large");
            record.status = StatusCode::PAYLOAD_TOO_LARGE.as_u16();
            s.esign_log().push(record);
            let message = "The request is larger than the sandbox accepts";
            return Err(match provider {
                EsignProvider::DocuSign => docusign_error(StatusCode::PAYLOAD_TOO_LARGE, "REQUEST_TOO_LARGE", message),
                EsignProvider::DropboxSign => {
                    dropbox_sign_error(StatusCode::PAYLOAD_TOO_LARGE, "bad_request", message, None)
                }
            });
        }
    };
    record.body = logged_body(&parts.headers, &bytes);
    let seq = s.esign_log().push(record);
    Ok((Request::from_parts(parts, Body::from(bytes)), Pending { shared: s.clone(), seq, answered: false }))
}

/// Logs the status a request was answered with.
pub fn depart(mut pending: Pending, resp: Response) -> Response {
    pending.answered = true;
    pending.shared.esign_log().answer(pending.seq, resp.status().as_u16());
    resp
}

/// DocuSign's error body: `{"errorCode","message"}`.
pub(crate) fn docusign_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({ "errorCode": code, "message": message }))).into_response()
}

/// Dropbox Sign's error body: `{"error":{"error_msg","error_path"?,"error_name"}}`.
pub(crate) fn dropbox_sign_error(status: StatusCode, name: &str, message: &str, path: Option<&str>) -> Response {
    let mut error = json!({ "error_msg": message, "error_name": name });
    if let Some(path) = path {
        error["error_path"] = json!(path);
    }
    (status, axum::Json(json!({ "error": error }))).into_response()
}

fn set_rate_headers(headers: &mut HeaderMap, (limit, remaining, reset): (u32, u32, i64)) {
    headers.insert(HeaderName::from_static("x-ratelimit-limit"), HeaderValue::from(limit));
    headers.insert(HeaderName::from_static("x-ratelimit-remaining"), HeaderValue::from(remaining));
    headers.insert(HeaderName::from_static("x-ratelimit-reset"), HeaderValue::from(reset));
}

/// The answer a fault stands for on an e-sign route, in the provider's shape, with the rate-limit
/// headers (`Remaining` 0 on a 429). `None` for kinds that are not an error answer.
pub fn fault_error(s: &Shared, fault: &Fault, provider: EsignProvider) -> Option<Response> {
    let (status, code, message, name) = match fault.kind {
        FaultKind::RateLimit => (
            StatusCode::TOO_MANY_REQUESTS,
            "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
            "The maximum number of hourly API invocations has been exceeded.",
            "exceeded_rate",
        ),
        FaultKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNSPECIFIED_ERROR",
            "An unexpected error occurred. Please try again later.",
            "internal_server_error",
        ),
        FaultKind::Overloaded => (
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable. Please try again later.",
            "service_unavailable",
        ),
        _ => return None,
    };
    let mut resp = match provider {
        EsignProvider::DocuSign => docusign_error(status, code, message),
        EsignProvider::DropboxSign => {
            let message = if name == "exceeded_rate" { "Too many requests." } else { message };
            dropbox_sign_error(status, name, message, None)
        }
    };
    let now = s.now_ms();
    let mut rate = lock(&s.esign).take_rate(provider, now);
    let retry_after = match fault.kind {
        FaultKind::RateLimit => {
            let secs = fault.retry_after_secs.unwrap_or(1);
            rate.1 = 0;
            rate.2 = now / 1000 + i64::try_from(secs).unwrap_or(0);
            Some(secs)
        }
        _ => fault.retry_after_secs,
    };
    if let Some(secs) = retry_after {
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    set_rate_headers(resp.headers_mut(), rate);
    Some(resp)
}

async fn rate_layer(State((s, provider)): State<(AppState, EsignProvider)>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let now = s.now_ms();
    let rate = lock(&s.esign).take_rate(provider, now);
    set_rate_headers(resp.headers_mut(), rate);
    resp
}

/// Adds the provider's rate-limit headers to every answer of `router`.
pub(crate) fn with_rate_headers(router: Router<AppState>, s: &AppState, provider: EsignProvider) -> Router<AppState> {
    router.layer(axum::middleware::from_fn_with_state((s.clone(), provider), rate_layer))
}

/// `/docusign/*` and `/dropbox-sign/*`. Each provider mounts its routers at their full prefixes (a
/// nested router's fallback is lost when the router it is nested in is nested again).
pub fn routes(s: &AppState) -> Router<AppState> {
    Router::new().merge(docusign::routes(s)).merge(dropbox_sign::routes(s)).layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// Why a test's action on a document did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Unknown,
    /// Not with the signers (a draft, finished, or being canceled); carries the status.
    NotOpen(&'static str),
}

/// Runs `act` on document `id` (brought up to date first) and answers its new status.
fn act(s: &Shared, id: &str, act: impl FnOnce(&mut Doc, i64) -> bool) -> Result<&'static str, Refusal> {
    let (mut state, now) = s.esign();
    let doc = state.doc_mut(None, id).ok_or(Refusal::Unknown)?;
    if act(doc, now) { Ok(doc.status.name()) } else { Err(Refusal::NotOpen(doc.status.name())) }
}

pub(crate) fn advance(s: &Shared, id: &str) -> Result<&'static str, Refusal> {
    act(s, id, |doc, now| doc.step(now))
}

pub(crate) fn complete(s: &Shared, id: &str) -> Result<&'static str, Refusal> {
    act(s, id, |doc, now| {
        let mut moved = false;
        while doc.step(now) {
            moved = true;
        }
        moved
    })
}

pub(crate) fn decline(s: &Shared, id: &str, reason: &str) -> Result<&'static str, Refusal> {
    act(s, id, |doc, now| doc.decline(now, reason))
}

pub(crate) fn documents(s: &Shared) -> Vec<EsignDocument> {
    s.esign().0.docs.iter().map(Doc::info).collect()
}

pub(crate) fn requests(s: &Shared) -> Vec<EsignRequestRecord> {
    s.esign_log().records()
}

pub(crate) fn clear_requests(s: &Shared) {
    s.esign_log().clear();
}

impl Sandbox {
    /// `http://127.0.0.1:PORT/docusign/oauth`, standing for `https://account-d.docusign.com/oauth`.
    pub fn docusign_oauth_url(&self) -> String {
        format!("http://{}/docusign/oauth", self.addr)
    }

    /// `http://127.0.0.1:PORT/docusign/restapi`, i.e. `{base_uri}/restapi` with the `base_uri` that
    /// `/oauth/userinfo` reports.
    pub fn docusign_api_url(&self) -> String {
        format!("http://{}/docusign/restapi", self.addr)
    }

    /// The DocuSign integration key the sandbox accepts (`SandboxConfig::docusign_client_id`).
    pub fn docusign_client_id(&self) -> &str {
        &self.shared.config.docusign_client_id
    }

    /// The account id `/oauth/userinfo` reports, the same for every sandbox with the same seed.
    pub fn docusign_account_id(&self) -> String {
        docusign::account_id(&self.shared)
    }

    /// Extra to the OAuth flow: a valid DocuSign access token for tests that only exercise the REST API.
    pub fn mint_docusign_token(&self) -> String {
        docusign::mint_token(&self.shared)
    }

    /// `http://127.0.0.1:PORT/dropbox-sign/v3`, standing for `https://api.hellosign.com/v3`.
    pub fn dropbox_sign_api_url(&self) -> String {
        format!("http://{}/dropbox-sign/v3", self.addr)
    }

    /// The Dropbox Sign API key the sandbox accepts (`SandboxConfig::dropbox_sign_api_key`).
    pub fn dropbox_sign_api_key(&self) -> &str {
        &self.shared.config.dropbox_sign_api_key
    }

    /// Moves envelope or signature request `id` one step (viewed, then one signature per step) and
    /// returns its status afterwards; `None` if it is unknown or not with its signers.
    pub fn esign_advance(&self, id: &str) -> Option<String> {
        advance(&self.shared, id).ok().map(str::to_string)
    }

    /// Every remaining signer signs; returns the status afterwards (`completed`), `None` if it is unknown
    /// or not with its signers.
    pub fn esign_complete(&self, id: &str) -> Option<String> {
        complete(&self.shared, id).ok().map(str::to_string)
    }

    /// The signer whose turn it is declines; returns the status afterwards (`declined`), `None` if it is
    /// unknown or not with its signers.
    pub fn esign_decline(&self, id: &str, reason: &str) -> Option<String> {
        decline(&self.shared, id, reason).ok().map(str::to_string)
    }

    /// The status of envelope or signature request `id` (see [`EsignDocument::status`]).
    pub fn esign_status(&self, id: &str) -> Option<String> {
        let (mut state, _) = self.shared.esign();
        state.doc_mut(None, id).map(|d| d.status.name().to_string())
    }

    /// Every envelope and signature request created so far, oldest first.
    pub fn esign_documents(&self) -> Vec<EsignDocument> {
        documents(&self.shared)
    }

    /// Envelopes and signature requests created so far (drafts included), for exactly-once tests.
    pub fn esign_sent_count(&self) -> usize {
        lock(&self.shared.esign).docs.len()
    }

    /// Every request to an e-sign route so far, in arrival order, refused and faulted ones included.
    pub fn esign_requests(&self) -> Vec<EsignRequestRecord> {
        requests(&self.shared)
    }

    pub fn clear_esign_requests(&self) {
        clear_requests(&self.shared);
    }
}
