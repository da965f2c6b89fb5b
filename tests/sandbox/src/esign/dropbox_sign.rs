//! `/dropbox-sign/v3/*`: Dropbox Sign's (HelloSign's) signature request routes: send (multipart), get,
//! list, files and cancel, with HTTP Basic auth (the API key as user name, no password). The request's
//! `signing_url` and `details_url` point at a small status page under `/dropbox-sign`.
//!
//! Cancel follows the spec's `POST /signature_request/cancel/{id}`: an empty 200 only queues it; the
//! request is processed by the next `GET /signature_request/{id}` or `/list` that shows it (that answer
//! still shows the request), and from then on the request answers 410 `deleted` and is left out of lists.
//! Completed and declined requests cannot be canceled (400). File downloads answer 409 `conflict` for
//! the first `SandboxConfig::files_409_count` calls after completion ("still being prepared"); before
//! completion they give the document as signed so far. Only `file_type=pdf` is supported.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::multipart::{self, Part};
use super::{Doc, EsignProvider, Signer, SignerStatus, Status, StoredFile, dropbox_sign_error};
use crate::data::SELLER_EMAIL;
use crate::{AppState, Shared};

const PREPARING: &str = "Files are still being prepared. Please try again later.";
const DELETED: &str = "This resource has been deleted";

pub fn routes(s: &AppState) -> Router<AppState> {
    let api = Router::new()
        .route("/signature_request/send", post(send))
        .route("/signature_request/list", get(list))
        .route("/signature_request/{id}", get(get_one))
        .route("/signature_request/files/{id}", get(files))
        .route("/signature_request/cancel/{id}", post(cancel))
        .fallback(unknown_route);
    Router::new()
        .nest("/dropbox-sign/v3", super::with_rate_headers(api, s, EsignProvider::DropboxSign))
        .route("/dropbox-sign/home/manage", get(details_page))
        .route("/dropbox-sign/sign/{id}", get(signing_page))
}

fn bad_request(message: &str, path: Option<&str>) -> Response {
    dropbox_sign_error(StatusCode::BAD_REQUEST, "bad_request", message, path)
}

fn not_found() -> Response {
    dropbox_sign_error(StatusCode::NOT_FOUND, "not_found", "Not found.", None)
}

fn deleted() -> Response {
    dropbox_sign_error(StatusCode::GONE, "deleted", DELETED, None)
}

/// The refusal, if any: HTTP Basic with the API key as user name is required (the password is ignored).
fn refusal(s: &Shared, headers: &HeaderMap) -> Option<Response> {
    let unauthorized = |message: &str| dropbox_sign_error(StatusCode::UNAUTHORIZED, "unauthorized", message, None);
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Some(unauthorized("Unauthorized user. No credentials supplied."));
    };
    let key = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, encoded)| STANDARD.decode(encoded.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|decoded| decoded.split_once(':').map_or(decoded.as_str(), |(user, _)| user).to_string());
    if key.as_deref() == Some(s.config.dropbox_sign_api_key.as_str()) {
        None
    } else {
        Some(unauthorized("Unauthorized api key"))
    }
}

/// `signers[2][name]` with prefix `signers` → (Some(2), "name"); `files[]` → (None, "").
fn indexed<'a>(name: &'a str, prefix: &str) -> Option<(Option<usize>, &'a str)> {
    let rest = name.strip_prefix(prefix)?.strip_prefix('[')?;
    let (index, rest) = rest.split_once(']')?;
    let index = if index.is_empty() { None } else { Some(index.parse().ok()?) };
    let key = match rest {
        "" => "",
        _ => rest.strip_prefix('[')?.strip_suffix(']')?,
    };
    Some((index, key))
}

fn truthy(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

/// A checked send request.
struct NewRequest {
    title: Option<String>,
    subject: Option<String>,
    message: Option<String>,
    test_mode: bool,
    metadata: Map<String, Value>,
    files: Vec<StoredFile>,
    /// (email, name, order)
    signers: Vec<(String, String, Option<u32>)>,
}

/// Why a send request is refused: message and `error_path`.
type Refused = (String, String);

/// Signer fields by index, from `signers[i][key]` parts or a `signers` JSON array.
fn signer_fields(parts: &[Part]) -> Result<BTreeMap<usize, HashMap<String, String>>, Refused> {
    let mut signers: BTreeMap<usize, HashMap<String, String>> = BTreeMap::new();
    for part in parts {
        if part.name == "signers" {
            let list: Vec<Map<String, Value>> = serde_json::from_slice(&part.data)
                .map_err(|_| ("signers must be a JSON array of objects".to_string(), "signers".to_string()))?;
            for (i, signer) in list.into_iter().enumerate() {
                let fields = signers.entry(i).or_default();
                for (key, value) in signer {
                    let text = match value {
                        Value::String(s) => s,
                        Value::Null => continue,
                        other => other.to_string(),
                    };
                    fields.insert(key, text);
                }
            }
        } else if let Some((Some(i), key)) = indexed(&part.name, "signers")
            && !key.is_empty()
        {
            signers.entry(i).or_default().insert(key.to_string(), part.text());
        }
    }
    Ok(signers)
}

fn parse_send(parts: &[Part]) -> Result<NewRequest, Refused> {
    let field = |name: &str| parts.iter().find(|p| p.name == name).map(Part::text).filter(|t| !t.is_empty());
    let mut files: Vec<(usize, &Part)> = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        let index = ["files", "file"].iter().find_map(|prefix| indexed(&part.name, prefix));
        match index {
            Some((index, "")) => files.push((index.unwrap_or(usize::MAX / 2 + n), part)),
            _ if part.name == "file" => files.push((usize::MAX / 2 + n, part)),
            _ => {}
        }
    }
    files.sort_by_key(|(i, _)| *i);
    if files.is_empty() {
        return Err(("Must specify files to send (files[0])".into(), "files".into()));
    }
    let mut stored = Vec::with_capacity(files.len());
    for (n, (_, part)) in files.iter().enumerate() {
        if !part.data.starts_with(b"%PDF-") {
            return Err((format!("files[{n}] is not a PDF"), format!("files[{n}]")));
        }
        let name = part.filename.clone().unwrap_or_else(|| format!("document-{n}.pdf"));
        stored.push(StoredFile { document_id: n.to_string(), name, bytes: part.data.clone() });
    }
    let mut signers = Vec::new();
    for (n, fields) in signer_fields(parts)?.into_values().enumerate() {
        let get = |key: &str| fields.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let name = get("name").ok_or(("This value should not be blank".to_string(), format!("signers[{n}][name]")))?;
        let email = get("email_address")
            .filter(|e| e.contains('@'))
            .ok_or(("Invalid email address".to_string(), format!("signers[{n}][email_address]")))?;
        let order =
            match get("order") {
                None => None,
                Some(o) => Some(o.parse::<u32>().map_err(|_| {
                    ("order must be a non-negative integer".to_string(), format!("signers[{n}][order]"))
                })?),
            };
        signers.push((email, name, order));
    }
    if signers.is_empty() {
        return Err(("Must specify at least one signer".into(), "signers".into()));
    }
    let mut metadata = Map::new();
    for part in parts {
        if part.name == "metadata" {
            let object: Map<String, Value> = serde_json::from_slice(&part.data)
                .map_err(|_| ("metadata must be a JSON object".to_string(), "metadata".to_string()))?;
            metadata.extend(object);
        } else if let Some(key) = part.name.strip_prefix("metadata[").and_then(|k| k.strip_suffix(']')) {
            metadata.insert(key.to_string(), Value::String(part.text()));
        }
    }
    Ok(NewRequest {
        title: field("title"),
        subject: field("subject"),
        message: field("message"),
        test_mode: field("test_mode").is_some_and(|v| truthy(&v)),
        metadata,
        files: stored,
        signers,
    })
}

fn secs(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| json!(ms / 1000))
}

fn base_url(s: &Shared) -> String {
    format!("http://127.0.0.1:{}/dropbox-sign", s.port)
}

fn signature_json(signer: &Signer) -> Value {
    let status_code = match signer.status {
        SignerStatus::Signed => "signed",
        SignerStatus::Declined => "declined",
        _ => "awaiting_signature",
    };
    json!({
        "signature_id": signer.guid,
        "signer_email_address": signer.email,
        "signer_name": signer.name,
        "signer_role": null,
        "order": signer.order,
        "status_code": status_code,
        "signed_at": secs(signer.signed_ms),
        "last_viewed_at": secs(signer.delivered_ms),
        "last_reminded_at": null,
        "decline_reason": signer.decline_reason,
        "has_pin": false,
        "has_sms_auth": false,
        "has_sms_delivery": false,
        "error": null,
    })
}

fn request_json(s: &Shared, doc: &Doc) -> Value {
    let base = base_url(s);
    json!({
        "signature_request_id": doc.id,
        "test_mode": doc.test_mode,
        "title": doc.title,
        "original_title": doc.title,
        "subject": doc.subject,
        "message": doc.message,
        "metadata": doc.metadata,
        "created_at": doc.created_ms / 1000,
        "expires_at": null,
        "is_complete": doc.status == Status::Completed,
        "is_declined": doc.status == Status::Declined,
        "has_error": false,
        "files_url": format!("{base}/v3/signature_request/files/{}", doc.id),
        "signing_url": if doc.status.is_open() { json!(format!("{base}/sign/{}", doc.id)) } else { Value::Null },
        "details_url": format!("{base}/home/manage?guid={}", doc.id),
        "requester_email_address": SELLER_EMAIL,
        "cc_email_addresses": [],
        "signing_redirect_url": null,
        "custom_fields": [],
        "response_data": [],
        "signatures": doc.signing_order().into_iter().map(|i| signature_json(&doc.signers[i])).collect::<Vec<_>>(),
    })
}

/// `POST /signature_request/send` (multipart/form-data).
async fn send(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(resp) = refusal(&s, &headers) {
        return resp;
    }
    let Some(boundary) = multipart::boundary(super::content_type(&headers)) else {
        return bad_request("The sandbox takes signature requests as multipart/form-data with files[0]", None);
    };
    let parts = match multipart::parse(&body, &boundary) {
        Ok(parts) => parts,
        Err(e) => return bad_request(&format!("Unreadable multipart body: {e}"), None),
    };
    let new = match parse_send(&parts) {
        Ok(new) => new,
        Err((message, path)) => return bad_request(&message, Some(&path)),
    };
    let id = s.esign_hex_id("signature_request", 40);
    let signature_ids: Vec<String> = new.signers.iter().map(|_| s.esign_hex_id("signature", 32)).collect();
    let title = new.title.or_else(|| new.subject.clone()).unwrap_or_else(|| new.files[0].name.clone());
    let (mut st, now) = s.esign();
    let mut doc = Doc::new(EsignProvider::DropboxSign, id.clone(), title, now);
    doc.subject = new.subject;
    doc.message = new.message;
    doc.test_mode = new.test_mode;
    doc.metadata = Value::Object(new.metadata);
    doc.files = new.files;
    doc.request = multipart::form_json(&parts);
    doc.files_409_left = s.config.files_409_count;
    doc.signers = new
        .signers
        .into_iter()
        .zip(signature_ids)
        .enumerate()
        .map(|(i, ((email, name, order), guid))| Signer::new(email, name, i.to_string(), order, guid))
        .collect();
    doc.send(now);
    let body = json!({ "signature_request": request_json(&s, &doc) });
    st.docs.push(doc);
    drop(st);
    tracing::debug!(%id, "signature request sent");
    axum::Json(body).into_response()
}

/// `GET /signature_request/{id}`; processes a queued cancel after answering.
async fn get_one(State(s): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(resp) = refusal(&s, &headers) {
        return resp;
    }
    let (mut st, now) = s.esign();
    let Some(doc) = st.doc_mut(Some(EsignProvider::DropboxSign), &id) else {
        return not_found();
    };
    if doc.status == Status::Canceled {
        return deleted();
    }
    let body = json!({ "signature_request": request_json(&s, doc) });
    if doc.cancel_pending {
        doc.cancel(now);
    }
    axum::Json(body).into_response()
}

/// `GET /signature_request/list?page=1&page_size=20`, newest first; processes queued cancels it shows.
async fn list(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    if let Some(resp) = refusal(&s, &headers) {
        return resp;
    }
    let number = |key: &str, default: usize| q.get(key).map_or(Some(default), |v| v.trim().parse::<usize>().ok());
    let Some(page) = number("page", 1).filter(|p| *p >= 1) else {
        return bad_request("page must be a positive integer", Some("page"));
    };
    let Some(page_size) = number("page_size", 20).filter(|n| (1..=100).contains(n)) else {
        return bad_request("page_size must be between 1 and 100", Some("page_size"));
    };
    let (mut st, now) = s.esign();
    let mut visible: Vec<&mut Doc> = st
        .docs
        .iter_mut()
        .rev()
        .filter(|d| d.provider == EsignProvider::DropboxSign && d.status != Status::Canceled)
        .collect();
    let total = visible.len();
    let shown: Vec<Value> = visible
        .iter_mut()
        .skip((page - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|doc| {
            let json = request_json(&s, doc);
            if doc.cancel_pending {
                doc.cancel(now);
            }
            json
        })
        .collect();
    axum::Json(json!({
        "signature_requests": shown,
        "list_info": {
            "num_pages": total.div_ceil(page_size),
            "num_results": total,
            "page": page,
            "page_size": page_size,
        },
    }))
    .into_response()
}

/// `GET /signature_request/files/{id}?file_type=pdf`.
async fn files(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refusal(&s, &headers) {
        return resp;
    }
    if q.get("file_type").is_some_and(|t| t != "pdf") {
        return bad_request("The sandbox only serves file_type=pdf", Some("file_type"));
    }
    let (mut st, _) = s.esign();
    let Some(doc) = st.doc_mut(Some(EsignProvider::DropboxSign), &id) else {
        return not_found();
    };
    if doc.status == Status::Canceled {
        return deleted();
    }
    if doc.status == Status::Completed && doc.files_409_left > 0 {
        doc.files_409_left -= 1;
        return dropbox_sign_error(StatusCode::CONFLICT, "conflict", PREPARING, None);
    }
    let pdf = doc.signed_copy();
    let name = doc.title.replace(['"', '\\', '\r', '\n'], "_");
    drop(st);
    let mut resp = ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.pdf\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    resp
}

/// `POST /signature_request/cancel/{id}`: queues the cancel and answers an empty 200.
async fn cancel(State(s): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(resp) = refusal(&s, &headers) {
        return resp;
    }
    let (mut st, now) = s.esign();
    let Some(doc) = st.doc_mut(Some(EsignProvider::DropboxSign), &id) else {
        return not_found();
    };
    match doc.status {
        Status::Canceled => return deleted(),
        Status::Completed => {
            return bad_request("This signature request has been completed and cannot be canceled", None);
        }
        Status::Declined => return bad_request("This signature request was declined and cannot be canceled", None),
        _ => {}
    }
    doc.cancel_pending = true;
    doc.modified_ms = now;
    StatusCode::OK.into_response()
}

async fn unknown_route() -> Response {
    not_found()
}

/// The page behind `details_url` and `signing_url`: the request's state, for people clicking through.
fn status_page(s: &Shared, id: &str) -> Response {
    let escape = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let (mut st, _) = s.esign();
    let Some(doc) = st.doc_mut(Some(EsignProvider::DropboxSign), id) else {
        return (StatusCode::NOT_FOUND, Html("<!doctype html><p>No such signature request.</p>".to_string()))
            .into_response();
    };
    let signers: String = doc
        .signing_order()
        .into_iter()
        .map(|i| {
            let signer = &doc.signers[i];
            format!("<li>{} &lt;{}&gt;: {}</li>", escape(&signer.name), escape(&signer.email), signer.status.name())
        })
        .collect();
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <h1>{title}</h1><p>Dropbox Sign sandbox: signature request <code>{id}</code> is <b>{status}</b>.</p>\
         <ul>{signers}</ul></body></html>",
        title = escape(&doc.title),
        id = escape(&doc.id),
        status = doc.status.name(),
    ))
    .into_response()
}

async fn details_page(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    status_page(&s, q.get("guid").map_or("", String::as_str))
}

async fn signing_page(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    status_page(&s, &id)
}
