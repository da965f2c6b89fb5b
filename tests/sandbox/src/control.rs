//! `/_sandbox/*`: drive the sandbox from another process (the demo, the e2e harness). No auth: it only
//! listens on loopback.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::esign::{self, Refusal};
use crate::{AppState, Fault, Mutation};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/mutate", post(mutate))
        .route("/clock", post(clock))
        .route("/stats", get(stats))
        .route("/stats/reset", post(reset_stats))
        .route("/counts", get(counts))
        .route("/writes", get(writes))
        .route("/dms", get(dms))
        .route("/ai/requests", get(ai_requests).delete(clear_ai_requests))
        .route("/esign", get(esign_documents))
        .route("/esign/requests", get(esign_requests).delete(clear_esign_requests))
        .route("/esign/{id}/advance", post(esign_advance))
        .route("/esign/{id}/complete", post(esign_complete))
        .route("/esign/{id}/decline", post(esign_decline))
}

async fn add_fault(State(s): State<AppState>, Json(fault): Json<Fault>) -> impl IntoResponse {
    s.inject(fault);
    Json(json!({}))
}

async fn clear_faults(State(s): State<AppState>) -> impl IntoResponse {
    s.clear_faults();
    Json(json!({}))
}

async fn mutate(State(s): State<AppState>, Json(m): Json<Mutation>) -> impl IntoResponse {
    Json(s.mutate(&m))
}

#[derive(Deserialize)]
struct Clock {
    advance_secs: i64,
}

async fn clock(State(s): State<AppState>, Json(c): Json<Clock>) -> impl IntoResponse {
    s.advance_clock(c.advance_secs);
    Json(json!({ "now": crate::data::format_ts(s.now_ms()) }))
}

async fn stats(State(s): State<AppState>) -> impl IntoResponse {
    let requests = s.stats();
    let total: u64 = requests.values().sum();
    Json(json!({ "requests": requests, "total": total }))
}

async fn reset_stats(State(s): State<AppState>) -> impl IntoResponse {
    s.reset_stats();
    Json(json!({}))
}

async fn counts(State(s): State<AppState>) -> impl IntoResponse {
    Json(s.data().counts())
}

/// The write log and the replay count, for harnesses in other processes.
async fn writes(State(s): State<AppState>) -> impl IntoResponse {
    let w = s.writes();
    Json(json!({ "writes": w.log(), "replays": w.replays() }))
}

/// DM channels and messages sent through the API (`{"channels":[…],"messages":[…]}`), so a harness
/// can read back what a seller sent.
async fn dms(State(s): State<AppState>) -> impl IntoResponse {
    let data = s.data();
    Json(json!({ "channels": data.dms.channels(), "messages": data.dms.messages() }))
}

/// The AI request log (`{"requests":[AiRequestRecord…]}`), for harnesses in other processes.
async fn ai_requests(State(s): State<AppState>) -> impl IntoResponse {
    Json(json!({ "requests": s.ai_log().records() }))
}

async fn clear_ai_requests(State(s): State<AppState>) -> impl IntoResponse {
    s.ai_log().clear();
    Json(json!({}))
}

/// Every envelope and signature request (`{"documents":[EsignDocument without "request"…],"sent_count"}`).
async fn esign_documents(State(s): State<AppState>) -> impl IntoResponse {
    let documents: Vec<Value> = esign::documents(&s)
        .into_iter()
        .map(|d| {
            let mut v = json!(d);
            if let Some(map) = v.as_object_mut() {
                map.remove("request");
            }
            v
        })
        .collect();
    let sent_count = documents.len();
    Json(json!({ "documents": documents, "sent_count": sent_count }))
}

/// The e-sign request log (`{"requests":[EsignRequestRecord…]}`).
async fn esign_requests(State(s): State<AppState>) -> impl IntoResponse {
    Json(json!({ "requests": esign::requests(&s) }))
}

async fn clear_esign_requests(State(s): State<AppState>) -> impl IntoResponse {
    esign::clear_requests(&s);
    Json(json!({}))
}

/// `{"id","status"}`, or 404 for an unknown id, 409 (with the status) when nothing can happen to it.
fn esign_outcome(id: &str, outcome: Result<&'static str, Refusal>) -> Response {
    match outcome {
        Ok(status) => Json(json!({ "id": id, "status": status })).into_response(),
        Err(Refusal::Unknown) => {
            (StatusCode::NOT_FOUND, Json(json!({ "error": format!("no envelope or signature request {id}") })))
                .into_response()
        }
        Err(Refusal::NotOpen(status)) => (
            StatusCode::CONFLICT,
            Json(json!({ "error": "it is not waiting for signers", "id": id, "status": status })),
        )
            .into_response(),
    }
}

async fn esign_advance(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    esign_outcome(&id, esign::advance(&s, &id))
}

async fn esign_complete(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    esign_outcome(&id, esign::complete(&s, &id))
}

/// Body `{"reason":"…"}` (optional).
async fn esign_decline(State(s): State<AppState>, Path(id): Path<String>, body: Bytes) -> Response {
    let reason = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("reason").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "Declined in the sandbox".into());
    esign_outcome(&id, esign::decline(&s, &id, &reason))
}
