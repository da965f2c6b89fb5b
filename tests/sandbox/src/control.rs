//! `/_sandbox/*`: drive the sandbox from another process (the demo, the e2e harness). No auth: it only
//! listens on loopback.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

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
        .route("/ai/requests", get(ai_requests).delete(clear_ai_requests))
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

/// The AI request log (`{"requests":[AiRequestRecord…]}`), for harnesses in other processes.
async fn ai_requests(State(s): State<AppState>) -> impl IntoResponse {
    Json(json!({ "requests": s.ai_log().records() }))
}

async fn clear_ai_requests(State(s): State<AppState>) -> impl IntoResponse {
    s.ai_log().clear();
    Json(json!({}))
}
