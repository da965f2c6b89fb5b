//! Whop write endpoints against a real sandbox server over HTTP: state changes, idempotent replay,
//! the write log, targeted mutations, faults on writes, and stopping and restarting the listener.

// Shared helpers below are not `#[test]` functions, so clippy's allow-unwrap-in-tests does not reach them;
// a panic is the right failure mode in test code.
#![allow(clippy::unwrap_used)]

use dealdesk_sandbox::{Fault, FaultKind, Mutation, Sandbox, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const VERSION: &str = "2026-07-20";

/// A sandbox plus one client and token, the way the app talks to Whop.
struct Api {
    sb: Sandbox,
    c: reqwest::Client,
    token: String,
}

/// One answer: status, whether it was an idempotent replay, the raw body and the body as JSON (null if
/// it is not JSON).
struct Answer {
    status: StatusCode,
    replayed: bool,
    text: String,
    json: Value,
}

impl Answer {
    fn error_code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }
}

impl Api {
    async fn start(members: usize) -> Api {
        let sb = Sandbox::start(SandboxConfig::with_members(members)).await.unwrap();
        let token = sb.mint_access_token();
        Api { sb, c: reqwest::Client::new(), token }
    }

    async fn send(&self, method: Method, path: &str, body: Option<&str>, key: Option<&str>) -> Answer {
        self.try_send(method, path, body, key).await.unwrap()
    }

    async fn try_send(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        key: Option<&str>,
    ) -> reqwest::Result<Answer> {
        let mut req = self
            .c
            .request(method, format!("{}{}", self.sb.api_url(), path))
            .bearer_auth(&self.token)
            .header("Api-Version-Date", VERSION);
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body.to_string());
        }
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let replayed = resp.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
        let text = resp.text().await?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer { status, replayed, text, json })
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(&body.to_string()), None).await
    }

    async fn post_empty(&self, path: &str) -> Answer {
        self.send(Method::POST, path, None, None).await
    }

    async fn get(&self, path: &str) -> Value {
        let a = self.send(Method::GET, path, None, None).await;
        assert_eq!(a.status, StatusCode::OK, "GET {path}: {}", a.text);
        a.json
    }

    /// The seller's business.
    fn company(&self) -> String {
        self.sb.businesses()[0].0.clone()
    }

    /// Every object of a list of the business, oldest first.
    async fn all(&self, resource: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = String::new();
        let company = self.company();
        // Promo codes take no `direction` in the pinned version: they come newest first.
        let newest_first = resource == "promo_codes";
        let direction = if newest_first { "" } else { "&direction=asc" };
        loop {
            let page = self.get(&format!("/{resource}?first=100{direction}&company_id={company}&after={after}")).await;
            out.extend(page["data"].as_array().unwrap().iter().cloned());
            if !page["page_info"]["has_next_page"].as_bool().unwrap() {
                if newest_first {
                    out.reverse();
                }
                return out;
            }
            after = page["page_info"]["end_cursor"].as_str().unwrap().to_string();
        }
    }

    async fn first_membership(&self, status: &str) -> String {
        let all = self.all("memberships").await;
        let ms = all.iter().find(|m| m["status"] == status && m["payment_collection_paused"] == false).unwrap();
        ms["id"].as_str().unwrap().to_string()
    }
}

fn ok(a: &Answer) -> &Value {
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    &a.json
}

fn refused<'a>(a: &'a Answer, status: StatusCode, code: &str) -> &'a Value {
    assert_eq!(a.status, status, "{}", a.text);
    assert_eq!(a.error_code(), code, "{}", a.text);
    assert_eq!(
        a.json["error"]["type"],
        if status == StatusCode::NOT_FOUND { "not_found" } else { "invalid_request_error" }
    );
    &a.json
}

#[tokio::test]
async fn cancel_at_period_end_then_immediately() {
    let api = Api::start(30).await;
    let id = api.first_membership("active").await;
    let before = api.sb.membership(&id).unwrap();

    let ms = api.post_empty(&format!("/memberships/{id}/cancel")).await;
    let ms = ok(&ms);
    assert_eq!(ms["status"], "canceling");
    assert_eq!(ms["cancel_at_period_end"], true);
    assert!(ms["canceled_at"].is_string());
    assert!(ms["updated_at"].as_str().unwrap() > before["updated_at"].as_str().unwrap());
    assert_eq!(api.get(&format!("/memberships/{id}")).await, *ms);

    let ms = api.post_empty(&format!("/memberships/{id}/uncancel")).await;
    assert_eq!(ok(&ms)["status"], "active");
    assert_eq!(ms.json["cancel_at_period_end"], false);
    assert!(ms.json["canceled_at"].is_null());
    refused(
        &api.post_empty(&format!("/memberships/{id}/uncancel")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "membership_not_canceling",
    );

    let ms = api.post(&format!("/memberships/{id}/cancel"), json!({"cancellation_mode": "at_period_end"})).await;
    assert_eq!(ok(&ms)["status"], "canceling");
    let ms = api.post(&format!("/memberships/{id}/cancel"), json!({"cancellation_mode": "immediate"})).await;
    let ms = ok(&ms);
    assert_eq!(ms["status"], "canceled");
    assert_eq!(ms["cancel_at_period_end"], false);
    assert_eq!(ms["canceled_at"], ms["updated_at"]);
    assert_eq!(api.sb.membership(&id).unwrap(), *ms);

    for mode in [json!({}), json!({"cancellation_mode": "immediate"})] {
        let again = api.post(&format!("/memberships/{id}/cancel"), mode).await;
        refused(&again, StatusCode::UNPROCESSABLE_ENTITY, "membership_not_cancelable");
    }
    let bad = api.post(&format!("/memberships/{id}/cancel"), json!({"cancellation_mode": "later"})).await;
    assert_eq!(refused(&bad, StatusCode::BAD_REQUEST, "parameter_invalid")["error"]["param"], "cancellation_mode");

    // Four applied writes, in order, each at a later sandbox time; refusals are not logged.
    let writes = api.sb.writes();
    let paths: Vec<&str> = writes.iter().map(|w| w.path.rsplit('/').next().unwrap()).collect();
    assert_eq!(paths, ["cancel", "uncancel", "cancel", "cancel"]);
    assert!(writes.iter().all(|w| w.object_id == id && w.method == "POST" && w.idempotency_key.is_none()));
    assert_eq!(writes.iter().map(|w| w.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(writes.windows(2).all(|w| w[0].at < w[1].at));
    assert_eq!(writes[0].body, Value::Null);
    assert_eq!(writes[3].body, json!({"cancellation_mode": "immediate"}));
    assert_eq!(writes[3].at, ms["updated_at"].as_str().unwrap());
}

#[tokio::test]
async fn pause_resume_free_days_and_metadata() {
    let api = Api::start(30).await;
    let id = api.first_membership("active").await;
    let pause = format!("/memberships/{id}/pause");

    let bad = api.post(&pause, json!({"resumes_at": "next tuesday"})).await;
    refused(&bad, StatusCode::BAD_REQUEST, "parameter_invalid");
    let ms = api.post(&pause, json!({"resumes_at": "2030-01-01T00:00:00Z", "void_payments": false})).await;
    assert_eq!(ok(&ms)["payment_collection_paused"], true);
    refused(&api.post_empty(&pause).await, StatusCode::UNPROCESSABLE_ENTITY, "membership_already_paused");

    let resume = format!("/memberships/{id}/resume");
    assert_eq!(ok(&api.post_empty(&resume).await)["payment_collection_paused"], false);
    refused(&api.post_empty(&resume).await, StatusCode::UNPROCESSABLE_ENTITY, "membership_not_paused");

    // Ended memberships cannot be paused.
    let canceled = api.first_membership("canceled").await;
    let a = api.post_empty(&format!("/memberships/{canceled}/pause")).await;
    refused(&a, StatusCode::UNPROCESSABLE_ENTITY, "membership_not_pausable");

    let end = |ms: &Value| {
        chrono::DateTime::parse_from_rfc3339(ms["renewal_period_end"].as_str().unwrap()).unwrap().timestamp_millis()
    };
    let before = api.sb.membership(&id).unwrap();
    let days = format!("/memberships/{id}/add_free_days");
    let ms = api.post(&days, json!({"free_days": 10})).await;
    if before["renewal_period_end"].is_null() {
        assert!(ok(&ms)["renewal_period_end"].is_string());
    } else {
        assert_eq!(end(ok(&ms)) - end(&before), 10 * 86_400_000);
    }
    for bad in
        [json!({"free_days": 0}), json!({"free_days": 1096}), json!({"free_days": 1.5}), json!({"free_days": "3"})]
    {
        refused(&api.post(&days, bad).await, StatusCode::BAD_REQUEST, "parameter_invalid");
    }
    refused(&api.post(&days, json!({})).await, StatusCode::BAD_REQUEST, "parameter_missing");

    let path = format!("/memberships/{id}");
    let meta = json!({"metadata": {"crm_id": "d-42", "tags": ["vip"], "nested": {"n": 1}}});
    let ms = api.send(Method::PATCH, &path, Some(&meta.to_string()), None).await;
    assert_eq!(ok(&ms)["metadata"], meta["metadata"]);
    let ms = api.send(Method::PATCH, &path, Some(r#"{"metadata":{"only":true}}"#), None).await;
    assert_eq!(ok(&ms)["metadata"], json!({"only": true}), "replaced, not merged");
    let too_many: serde_json::Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    for bad in [json!({"metadata": [1]}), json!({"metadata": "x"}), json!({"metadata": too_many})] {
        let a = api.send(Method::PATCH, &path, Some(&bad.to_string()), None).await;
        assert_eq!(refused(&a, StatusCode::BAD_REQUEST, "parameter_invalid")["error"]["param"], "metadata");
    }
    assert_eq!(api.get(&path).await["metadata"], json!({"only": true}));

    let malformed = api.send(Method::POST, &pause, Some("{\"resumes_at\":"), None).await;
    refused(&malformed, StatusCode::BAD_REQUEST, "invalid_json");
    let not_object = api.send(Method::POST, &pause, Some("[1,2]"), None).await;
    refused(&not_object, StatusCode::BAD_REQUEST, "invalid_json");
    assert_eq!(api.sb.writes().len(), 5, "pause, resume, free days, two metadata updates");
}

#[tokio::test]
async fn refund_partially_then_the_rest_then_refused() {
    let api = Api::start(30).await;
    let payments = api.all("payments").await;
    let pay = payments.iter().find(|p| p["status"] == "paid" && p["refunded_amount"] == 0.0).unwrap();
    let id = pay["id"].as_str().unwrap();
    let total = pay["total"].as_f64().unwrap();
    let refunds_before = api.sb.counts()["refunds"];
    let path = format!("/payments/{id}/refund");

    for bad in [json!({"partial_amount": 0}), json!({"partial_amount": -1}), json!({"partial_amount": total + 0.01})] {
        let a = api.post(&path, bad).await;
        assert_eq!(refused(&a, StatusCode::BAD_REQUEST, "parameter_invalid")["error"]["param"], "partial_amount");
    }

    let p = api.post(&path, json!({"partial_amount": 1.25})).await;
    let p = ok(&p);
    assert_eq!(p["status"], "paid");
    assert_eq!(p["substatus"], "partially_refunded");
    assert_eq!(p["refunded_amount"], 1.25);
    assert_eq!(p["refundable"], true);
    assert_eq!(p["refunded_at"], p["updated_at"]);

    // An empty body is a refund of the full amount (the SDK's docs): after a partial refund that
    // is more than is left, so the rest must be named.
    let full = api.post_empty(&path).await;
    refused(&full, StatusCode::UNPROCESSABLE_ENTITY, "refund_exceeds_remaining");
    let rest = (total * 100.0 - 125.0).round() / 100.0;
    let p = api.post(&path, json!({"partial_amount": rest})).await;
    let p = ok(&p);
    assert_eq!(p["status"], "paid", "Whop's payment status has no 'refunded'");
    assert_eq!(p["substatus"], "refunded");
    assert_eq!(p["refunded_amount"].as_f64().unwrap(), total);
    assert_eq!(p["refundable"], false);
    assert_eq!(api.sb.payment(id).unwrap(), *p);

    refused(&api.post_empty(&path).await, StatusCode::UNPROCESSABLE_ENTITY, "payment_not_refundable");

    // Two refunds appended at the end of the sorted list, the second for what remained.
    let refunds = api.all("refunds").await;
    assert_eq!(refunds.len(), refunds_before + 2);
    assert!(refunds.windows(2).all(|w| w[0]["created_at"].as_str() < w[1]["created_at"].as_str()));
    let ours = &refunds[refunds.len() - 2..];
    assert!(ours.iter().all(|r| r["payment"]["id"] == id && r["status"] == "succeeded"));
    assert!(ours.iter().all(|r| r["id"].as_str().unwrap().starts_with("rfnd_") && r["currency"] == pay["currency"]));
    assert_eq!(ours[0]["amount"], 1.25);
    assert!((ours[1]["amount"].as_f64().unwrap() - (total - 1.25)).abs() < 1e-9);
    let of_payment = api.get(&format!("/refunds?payment_id={id}&direction=asc")).await;
    assert_eq!(of_payment["data"].as_array().unwrap(), ours);

    // A payment never refunded before: an empty body refunds all of it.
    let other =
        payments.iter().find(|x| x["status"] == "paid" && x["refunded_amount"] == 0.0 && x["id"] != pay["id"]).unwrap();
    let whole = api.post_empty(&format!("/payments/{}/refund", other["id"].as_str().unwrap())).await;
    assert_eq!(ok(&whole)["refunded_amount"], other["total"]);

    // A payment that never succeeded has nothing to refund.
    if let Some(open) = payments.iter().find(|p| p["status"] != "paid") {
        let a = api.post_empty(&format!("/payments/{}/refund", open["id"].as_str().unwrap())).await;
        refused(&a, StatusCode::UNPROCESSABLE_ENTITY, "payment_not_refundable");
    }
}

fn promo(code: &str, company: &str) -> Value {
    json!({
        "code": code,
        "amount_off": 15,
        "base_currency": "usd",
        "promo_type": "percentage",
        "new_users_only": false,
        "promo_duration_months": 1,
        "company_id": company,
    })
}

#[tokio::test]
async fn promo_codes_create_duplicate_and_archive() {
    let api = Api::start(10).await;
    let company = api.get("/accounts").await["data"][0]["id"].as_str().unwrap().to_string();

    let created = api.post("/promo_codes", promo("SPRING-25", &company)).await;
    let p = ok(&created).clone();
    let id = p["id"].as_str().unwrap();
    assert!(id.starts_with("promo_"));
    assert_eq!(p["status"], "active");
    assert_eq!(p["code"], "SPRING-25");
    assert_eq!(p["amount_off"], 15.0);
    assert_eq!((p["duration"].as_str(), p["promo_duration_months"].as_u64()), (Some("once"), Some(1)));
    assert_eq!(api.sb.promo_code_by_code("spring-25").unwrap(), p);
    let all = api.all("promo_codes").await;
    assert_eq!(all.last().unwrap()["id"], p["id"], "appended newest");
    assert_eq!(api.sb.writes()[0].object_id, id);

    let dup = api.post("/promo_codes", promo("spring-25", &company)).await;
    refused(&dup, StatusCode::UNPROCESSABLE_ENTITY, "promo_code_taken");
    let dup = api.post("/promo_codes", promo("WELCOME10", &company)).await;
    refused(&dup, StatusCode::UNPROCESSABLE_ENTITY, "promo_code_taken");

    // Parameter errors name the parameter.
    let mut missing = promo("X1", &company);
    missing.as_object_mut().unwrap().remove("code");
    let a = api.post("/promo_codes", missing).await;
    assert_eq!(refused(&a, StatusCode::BAD_REQUEST, "parameter_missing")["error"]["param"], "code");
    let mut missing = promo("X1", &company);
    missing.as_object_mut().unwrap().remove("promo_duration_months");
    let a = api.post("/promo_codes", missing).await;
    assert_eq!(refused(&a, StatusCode::BAD_REQUEST, "parameter_missing")["error"]["param"], "promo_duration_months");
    let mut no_owner = promo("X1", &company);
    no_owner.as_object_mut().unwrap().remove("company_id");
    let a = api.post("/promo_codes", no_owner).await;
    refused(&a, StatusCode::BAD_REQUEST, "parameter_missing");
    let cases = [
        ("code", json!("has space")),
        ("code", json!("")),
        ("code", json!("x".repeat(65))),
        ("amount_off", json!(0)),
        ("amount_off", json!(101)),
        ("promo_type", json!("bogo")),
        ("base_currency", json!("dollars")),
        ("new_users_only", json!("yes")),
        ("promo_duration_months", json!(0)),
        // The pinned version has no "forever": the months are a number, never null.
        ("promo_duration_months", Value::Null),
        // Not a field of the pinned version (newer versions name the owner `account_id`).
        ("account_id", json!(company)),
    ];
    for (param, value) in cases {
        let mut body = promo("X1", &company);
        body[param] = value;
        let a = api.post("/promo_codes", body).await;
        assert_eq!(refused(&a, StatusCode::BAD_REQUEST, "parameter_invalid")["error"]["param"], param);
    }
    let mut elsewhere = promo("X1", &company);
    elsewhere["company_id"] = json!("biz_someone_else");
    let a = api.post("/promo_codes", elsewhere).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert_eq!(a.json["error"]["param"], "company_id");

    // A flat amount with a duration repeats.
    let mut flat = promo("FLAT_7", &company);
    let body = flat.as_object_mut().unwrap();
    body.insert("promo_type".into(), json!("flat_amount"));
    body.insert("amount_off".into(), json!(7.5));
    body.insert("promo_duration_months".into(), json!(3));
    body.insert("base_currency".into(), json!("eur"));
    let a = api.post("/promo_codes", flat).await;
    let flat = ok(&a);
    assert_eq!((flat["amount_off"].as_f64(), flat["currency"].as_str()), (Some(7.5), Some("eur")));
    assert_eq!((flat["duration"].as_str(), flat["promo_duration_months"].as_u64()), (Some("repeating"), Some(3)));

    // The pinned version has no activate or deactivate: DELETE archives, and answers true.
    let a = api.post_empty(&format!("/promo_codes/{id}/deactivate")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    let a = api.send(Method::DELETE, &format!("/promo_codes/{id}"), None, None).await;
    assert_eq!(*ok(&a), json!(true));
    let a = api.send(Method::DELETE, &format!("/promo_codes/{id}"), None, None).await;
    refused(&a, StatusCode::UNPROCESSABLE_ENTITY, "promo_code_archived");
    assert_eq!(api.get(&format!("/promo_codes/{id}")).await["status"], "archived");
    assert_eq!(api.sb.writes().len(), 3, "two creates, one delete");
}

#[tokio::test]
async fn idempotent_replay_and_reused_key() {
    let api = Api::start(20).await;
    let id = api.first_membership("active").await;
    let path = format!("/memberships/{id}/pause");
    let body = r#"{"void_payments":true}"#;

    let first = api.send(Method::POST, &path, Some(body), Some("key-1")).await;
    ok(&first);
    assert!(!first.replayed);
    api.sb.advance_clock(60);
    let again = api.send(Method::POST, &path, Some(body), Some("key-1")).await;
    assert_eq!(again.status, StatusCode::OK, "a replay, not 'already paused'");
    assert!(again.replayed);
    assert_eq!(again.text, first.text, "byte-identical stored body");
    assert_eq!(api.sb.writes().len(), 1);
    assert_eq!(api.sb.writes()[0].idempotency_key.as_deref(), Some("key-1"));
    assert_eq!((api.sb.replays(), api.sb.replays_of("key-1")), (1, 1));

    // The same key on a different body or path is refused and applies nothing.
    let other = api.send(Method::POST, &path, Some(r#"{"void_payments":false}"#), Some("key-1")).await;
    refused(&other, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_mismatch");
    let other = api.send(Method::POST, &format!("/memberships/{id}/resume"), None, Some("key-1")).await;
    refused(&other, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_mismatch");
    // …or with another query string, or under another API version (Whop compares both).
    let other = api.send(Method::POST, &format!("{path}?x=1"), Some(body), Some("key-1")).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST, "x is not a param of pause: {}", other.text);
    assert!(!other.replayed);
    assert_eq!(api.sb.membership(&id).unwrap()["payment_collection_paused"], true);

    // 4xx answers are stored too: the retry gets the same refusal even though it would now succeed…
    let gone = api.send(Method::POST, &path, None, Some("key-2")).await;
    refused(&gone, StatusCode::UNPROCESSABLE_ENTITY, "membership_already_paused");
    ok(&api.post_empty(&format!("/memberships/{id}/resume")).await);
    let replay = api.send(Method::POST, &path, None, Some("key-2")).await;
    assert!(replay.replayed);
    refused(&replay, StatusCode::UNPROCESSABLE_ENTITY, "membership_already_paused");
    // …while without a key every request is applied on its own.
    ok(&api.post_empty(&path).await);
    assert_eq!(api.sb.writes().len(), 3);
    assert_eq!(api.sb.replays(), 2);

    // Authentication is checked first and never stored.
    let bad_token = api
        .c
        .post(format!("{}{path}", api.sb.api_url()))
        .bearer_auth("wsat_nope")
        .header("Api-Version-Date", VERSION)
        .header("Idempotency-Key", "key-3")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_token.status(), StatusCode::UNAUTHORIZED);
    let a = api.send(Method::POST, &format!("/memberships/{id}/resume"), None, Some("key-3")).await;
    assert!(ok(&a)["payment_collection_paused"] == false && !a.replayed);

    // Whop keeps a key for 24 hours; a resend after that would be a new request. The sandbox
    // refuses it, so a client that resends old keys fails its tests instead of acting twice.
    api.sb.advance_clock(24 * 3600 + 60);
    let api = Api { token: api.sb.mint_access_token(), ..api };
    let late = api.send(Method::POST, &format!("/memberships/{id}/resume"), None, Some("key-3")).await;
    refused(&late, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_expired");

    let log: Value =
        api.c.get(format!("http://{}/_sandbox/writes", api.sb.addr())).send().await.unwrap().json().await.unwrap();
    assert_eq!(log["replays"], 2);
    assert_eq!(log["writes"].as_array().unwrap().len(), 4);
    assert_eq!(log["writes"][0]["idempotency_key"], "key-1");
    assert_eq!(log["writes"][0]["body"], json!({"void_payments": true}));
    let parsed: Vec<dealdesk_sandbox::WriteRecord> = serde_json::from_value(log["writes"].clone()).unwrap();
    assert_eq!(parsed, api.sb.writes());
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let api = Api::start(5).await;
    let paths = [
        (Method::POST, "/memberships/mem_nope/cancel"),
        (Method::POST, "/memberships/mem_nope/uncancel"),
        (Method::POST, "/memberships/mem_nope/pause"),
        (Method::POST, "/memberships/mem_nope/resume"),
        (Method::PATCH, "/memberships/mem_nope"),
        (Method::POST, "/payments/pay_nope/refund"),
        (Method::POST, "/payments/pay_nope/retry"),
        (Method::DELETE, "/promo_codes/promo_nope"),
    ];
    for (method, path) in paths {
        let body = if method == Method::PATCH { Some(r#"{"metadata":{}}"#) } else { None };
        let a = api.send(method, path, body, None).await;
        refused(&a, StatusCode::NOT_FOUND, "");
        assert!(a.json["error"]["message"].as_str().unwrap().contains("nope"), "{path}");
    }
    let a = api.post("/memberships/mem_nope/add_free_days", json!({"free_days": 3})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(api.sb.writes().is_empty());
}

// Multi-threaded, like the app: the client's connection tasks run on other threads, which is where a
// pooled connection can outlive the server's close unnoticed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stop_listening_refuses_connections_and_start_restores_the_same_data() {
    let mut api = Api::start(10).await;
    let id = api.first_membership("active").await;
    ok(&api.post(&format!("/memberships/{id}/cancel"), json!({"cancellation_mode": "immediate"})).await);
    let addr = api.sb.addr();
    assert!(api.sb.is_listening());

    // The client holds a pooled keep-alive connection from the requests above; it must be closed too.
    api.sb.stop_listening().await;
    assert!(!api.sb.is_listening());
    let err = api.try_send(Method::GET, &format!("/memberships/{id}"), None, None).await.err().unwrap();
    assert!(err.is_connect(), "{err:?}");
    let err = api.try_send(Method::POST, &format!("/memberships/{id}/pause"), None, Some("offline-1")).await;
    assert!(err.err().unwrap().is_connect());
    api.sb.stop_listening().await; // stopping twice is harmless

    api.sb.start_listening().await.unwrap();
    api.sb.start_listening().await.unwrap(); // and so is starting twice
    assert!(api.sb.is_listening());
    assert_eq!(api.sb.addr(), addr);
    // Same token, same data, same log.
    assert_eq!(api.get(&format!("/memberships/{id}")).await["status"], "canceled");
    assert_eq!(api.sb.writes().len(), 1);

    // A few quick cycles: the port comes back every time despite TIME_WAIT from the closed connections.
    for _ in 0..3 {
        api.sb.stop_listening().await;
        api.sb.start_listening().await.unwrap();
        assert_eq!(api.get("/memberships?first=1").await["data"].as_array().unwrap().len(), 1);
    }
    api.sb.shutdown().await;
}

#[tokio::test]
async fn targeted_mutations_cancel_pause_and_delete() {
    let api = Api::start(20).await;
    let all = api.all("memberships").await;
    let active: Vec<String> = all
        .iter()
        .filter(|m| m["status"] == "active" && m["payment_collection_paused"] == false)
        .map(|m| m["id"].as_str().unwrap().to_string())
        .take(3)
        .collect();
    let (cancel, pause, delete) = (&active[0], &active[1], &active[2]);
    let before = api.sb.membership(cancel).unwrap();

    let r = api.sb.mutate(Mutation {
        cancel_membership_ids: vec![cancel.clone(), "mem_unknown".into()],
        pause_membership_ids: vec![pause.clone()],
        delete_membership_ids: vec![delete.clone(), "mem_unknown".into()],
        ..Mutation::default()
    });
    assert_eq!(r.canceled_membership_ids, [cancel.as_str()]);
    assert_eq!(r.deleted_membership_ids, [delete.as_str()]);

    let ms = api.get(&format!("/memberships/{cancel}")).await;
    assert_eq!(ms["status"], "canceled");
    assert_eq!(ms["canceled_at"], ms["updated_at"]);
    assert!(ms["updated_at"].as_str() > before["updated_at"].as_str());
    assert_eq!(api.get(&format!("/memberships/{pause}")).await["payment_collection_paused"], true);
    let gone = api.send(Method::GET, &format!("/memberships/{delete}"), None, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let after = api.all("memberships").await;
    assert_eq!(after.len(), all.len() - 1);
    assert!(after.iter().all(|m| m["id"] != delete.as_str()));
    assert_eq!(api.sb.counts()["memberships"], all.len() - 1);

    // A write racing the change sees the server's state.
    refused(
        &api.post_empty(&format!("/memberships/{pause}/pause")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "membership_already_paused",
    );
    refused(&api.post_empty(&format!("/memberships/{delete}/cancel")).await, StatusCode::NOT_FOUND, "");

    // The same over the control endpoint, for other processes.
    let r: Value = api
        .c
        .post(format!("http://{}/_sandbox/mutate", api.sb.addr()))
        .json(&json!({"delete_membership_ids": [cancel]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["deleted_membership_ids"], json!([cancel]));
    assert!(api.sb.membership(cancel).is_none());
}

#[tokio::test]
async fn faults_apply_to_writes() {
    let api = Api::start(20).await;
    let id = api.first_membership("active").await;
    let path = format!("/memberships/{id}/pause");
    let full_path = format!("/api/v1{path}");

    // A 500 from the fault layer never reaches the handler: nothing applied, nothing stored.
    api.sb.inject(Fault { path_prefix: Some(full_path.clone()), ..Fault::new(FaultKind::ServerError) });
    let a = api.send(Method::POST, &path, None, Some("retry-me")).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(api.sb.writes().is_empty());
    assert_eq!(api.sb.membership(&id).unwrap()["payment_collection_paused"], false);

    // A truncated answer is cut after the write happened: applied once, and the retry replays it.
    api.sb.inject(Fault { path_prefix: Some("/api/v1/memberships".into()), ..Fault::new(FaultKind::Truncated) });
    let cut = api.send(Method::POST, &path, None, Some("retry-me")).await;
    assert_eq!(cut.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&cut.text).is_err(), "{}", cut.text);
    assert_eq!(api.sb.writes().len(), 1);
    assert_eq!(api.sb.membership(&id).unwrap()["payment_collection_paused"], true);
    let retry = api.send(Method::POST, &path, None, Some("retry-me")).await;
    assert!(retry.replayed);
    assert_eq!(ok(&retry)["payment_collection_paused"], true);
    assert!(retry.text.starts_with(&cut.text));
    assert_eq!(api.sb.writes().len(), 1);
    assert_eq!(api.sb.replays(), 1);
    assert_eq!(api.sb.request_count(&full_path), 3);

    // A rate limit on writes by prefix, then the write goes through.
    api.sb.inject(Fault { path_prefix: Some("/api/v1/memberships".into()), ..Fault::new(FaultKind::RateLimit) });
    let resume = format!("/memberships/{id}/resume");
    assert_eq!(api.post_empty(&resume).await.status, StatusCode::TOO_MANY_REQUESTS);
    ok(&api.post_empty(&resume).await);
    assert_eq!(api.sb.writes().len(), 2);
}
