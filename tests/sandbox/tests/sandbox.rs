//! End-to-end tests against a real sandbox server over HTTP.

// Shared helpers below are not `#[test]` functions, so clippy's allow-unwrap-in-tests does not reach them;
// a panic is the right failure mode in test code.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dealdesk_sandbox::{Fault, FaultKind, Mutation, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const VERSION: &str = "2026-07-20";
const REDIRECT: &str = "dealdesk://oauth/whop/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-sandbox-verifier";

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn query_of(location: &str) -> HashMap<String, String> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str(q).unwrap()
}

async fn start(members: usize) -> Sandbox {
    Sandbox::start(SandboxConfig::with_members(members)).await.unwrap()
}

/// The seller's (first) business id.
fn biz(sb: &Sandbox) -> String {
    sb.businesses()[0].0.clone()
}

/// What Dealdesk asks for: the OpenID scopes and every permission of the contract.
fn scope() -> String {
    let permissions = dealdesk_sandbox::contract::all_permissions().into_iter().collect::<Vec<_>>().join(" ");
    format!("openid profile email {permissions}")
}

/// Runs authorize → consent page → approve and returns the code.
async fn authorize_code(sb: &Sandbox, c: &reqwest::Client) -> String {
    let resp = c
        .get(format!("{}/authorize", sb.oauth_url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", "app_dealdesk_sandbox"),
            ("redirect_uri", REDIRECT),
            ("scope", &scope()),
            ("state", "st-123"),
            ("nonce", "n-456"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Authorize Dealdesk") && html.contains("Sandbox Studio") && html.contains("Sam Seller"));
    let start = html.find("id=\"approve\" href=\"").unwrap() + "id=\"approve\" href=\"".len();
    let href = &html[start..start + html[start..].find('"').unwrap()];
    let resp = c.get(format!("http://{}{}", sb.addr(), href)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT));
    let q = query_of(&location);
    assert_eq!(q["state"], "st-123");
    q["code"].clone()
}

async fn exchange(sb: &Sandbox, c: &reqwest::Client, code: &str, verifier: &str) -> reqwest::Response {
    c.post(format!("{}/token", sb.oauth_url()))
        .json(&json!({
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "app_dealdesk_sandbox",
            "code_verifier": verifier,
        }))
        .send()
        .await
        .unwrap()
}

async fn login(sb: &Sandbox, c: &reqwest::Client) -> Value {
    let code = authorize_code(sb, c).await;
    let resp = exchange(sb, c, &code, VERIFIER).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn api(sb: &Sandbox, c: &reqwest::Client, token: &str, path: &str, query: &[(&str, &str)]) -> reqwest::Response {
    c.get(format!("{}{}", sb.api_url(), path))
        .bearer_auth(token)
        .header("Api-Version-Date", VERSION)
        .query(query)
        .send()
        .await
        .unwrap()
}

async fn api_json(sb: &Sandbox, c: &reqwest::Client, token: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let resp = api(sb, c, token, path, query).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.json().await.unwrap()
}

async fn refresh(sb: &Sandbox, c: &reqwest::Client, rt: &str) -> reqwest::Response {
    c.post(format!("{}/token", sb.oauth_url()))
        .json(&json!({"grant_type": "refresh_token", "refresh_token": rt, "client_id": "app_dealdesk_sandbox"}))
        .send()
        .await
        .unwrap()
}

/// Pages a list in ascending order; `between` runs after each page (to mutate mid-sync).
async fn page_all(
    sb: &Sandbox,
    c: &reqwest::Client,
    token: &str,
    path: &str,
    first: &str,
    company: &str,
    mut between: impl FnMut(usize),
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    for n in 0.. {
        let mut q = vec![
            ("first", first.to_string()),
            ("order", "created_at".into()),
            ("direction", "asc".into()),
            ("company_id", company.to_string()),
        ];
        if let Some(a) = &after {
            q.push(("after", a.clone()));
        }
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = api_json(sb, c, token, path, &q).await;
        ids.extend(body["data"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()));
        if !body["page_info"]["has_next_page"].as_bool().unwrap() {
            break;
        }
        after = Some(body["page_info"]["end_cursor"].as_str().unwrap().to_string());
        between(n);
    }
    ids
}

#[tokio::test]
async fn pkce_happy_path_through_consent_page() {
    let sb = start(20).await;
    let c = client();
    let tokens = login(&sb, &c).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let access = tokens["access_token"].as_str().unwrap();
    assert!(access.starts_with("wsat_") && access.len() > 40);
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("wsrt_"));

    let id_token = tokens["id_token"].as_str().unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["nonce"], "n-456");
    assert_eq!(claims["aud"], "app_dealdesk_sandbox");
    assert!(claims["sub"].as_str().unwrap().starts_with("user_"));

    let info: Value =
        c.get(format!("{}/userinfo", sb.oauth_url())).bearer_auth(access).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["email"], "sam@sandbox.whop.test");
    assert_eq!(info["preferred_username"], "samseller");

    let company = biz(&sb);
    let members = api_json(&sb, &c, access, "/members", &[("first", "5"), ("company_id", &company)]).await;
    assert_eq!(members["data"].as_array().unwrap().len(), 5);
    let m = &members["data"][0];
    assert!(m["id"].as_str().unwrap().starts_with("mber_"));
    assert!(m["user"]["id"].as_str().unwrap().starts_with("user_"));
    let created = m["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");

    // Whop's v1 has no retrieve-a-member route in the pinned version: a route outside the contract.
    let missing = api(&sb, &c, access, &format!("/members/{}", m["id"].as_str().unwrap()), &[]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"]["type"], "not_found");
    let missing = api(&sb, &c, access, "/memberships/mem_nope", &[]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // Every resource lists, for the business, and its objects carry the documented id prefix.
    let product = api_json(&sb, &c, access, "/products", &[("account_id", &company)]).await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (path, prefix, param, value) in [
        ("/accounts", "biz_", "direction", "asc"),
        ("/products", "prod_", "account_id", company.as_str()),
        ("/plans", "plan_", "account_id", &company),
        ("/memberships", "mem_", "company_id", &company),
        ("/payments", "pay_", "company_id", &company),
        ("/refunds", "rfnd_", "company_id", &company),
        ("/reviews", "rev_", "product_id", &product),
        ("/promo_codes", "promo_", "company_id", &company),
        ("/leads", "lead_", "company_id", &company),
    ] {
        let first = if path == "/accounts" { "50" } else { "100" };
        let body = api_json(&sb, &c, access, path, &[("first", first), (param, value)]).await;
        for item in body["data"].as_array().unwrap() {
            assert!(item["id"].as_str().unwrap().starts_with(prefix), "{path}");
        }
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn deny_and_invalid_authorize_requests() {
    let sb = start(5).await;
    let c = client();
    let base = [
        ("response_type", "code"),
        ("client_id", "app_dealdesk_sandbox"),
        ("scope", "openid"),
        ("state", "s"),
        ("nonce", "n"),
        ("code_challenge_method", "S256"),
    ];
    let ch = challenge(VERIFIER);
    let bad_redirect = c
        .get(format!("{}/authorize", sb.oauth_url()))
        .query(&base)
        .query(&[("redirect_uri", "https://evil.example/cb"), ("code_challenge", &ch)])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_redirect.status(), StatusCode::BAD_REQUEST);
    assert!(bad_redirect.text().await.unwrap().contains("redirect_uri"));
    let bad_challenge = c
        .get(format!("{}/authorize", sb.oauth_url()))
        .query(&base)
        .query(&[("redirect_uri", "http://127.0.0.1:53682/callback"), ("code_challenge", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_challenge.status(), StatusCode::BAD_REQUEST);
    assert!(bad_challenge.text().await.unwrap().contains("code_challenge"));

    let page = c
        .get(format!("{}/authorize", sb.oauth_url()))
        .query(&base)
        .query(&[("redirect_uri", "http://localhost:53682/callback"), ("code_challenge", &ch)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("id=\"deny\" href=\"").unwrap() + "id=\"deny\" href=\"".len();
    let href = &page[start..start + page[start..].find('"').unwrap()];
    let resp = c.get(format!("http://{}{}", sb.addr(), href)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let q = query_of(resp.headers()["location"].to_str().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "s");
    // The request is decided: using it again is refused.
    let again = c.get(format!("http://{}{}", sb.addr(), href)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn auto_approve_redirects_and_form_bodies_work() {
    let sb = Sandbox::start(SandboxConfig { auto_approve: true, ..SandboxConfig::with_members(5) }).await.unwrap();
    let c = client();
    let resp = c
        .get(format!("{}/authorize", sb.oauth_url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", "app_dealdesk_sandbox"),
            ("redirect_uri", "http://127.0.0.1:53682/callback"),
            ("scope", "openid email"),
            ("state", "xyz"),
            ("nonce", "n"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let q = query_of(resp.headers()["location"].to_str().unwrap());
    assert_eq!(q["state"], "xyz");
    let resp = c
        .post(format!("{}/token", sb.oauth_url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", "http://127.0.0.1:53682/callback"),
            ("client_id", "app_dealdesk_sandbox"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert!(body["access_token"].as_str().unwrap().starts_with("wsat_"));
}

#[tokio::test]
async fn tampered_verifier_and_wrong_client_rejected() {
    let sb = start(5).await;
    let c = client();
    let code = authorize_code(&sb, &c).await;
    let resp = exchange(&sb, &c, &code, "tampered-verifier-tampered-verifier-tampered").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "PKCE verification failed");

    let wrong_client = c
        .post(format!("{}/token", sb.oauth_url()))
        .json(&json!({"grant_type":"authorization_code","code":code,"redirect_uri":REDIRECT,"client_id":"app_other","code_verifier":VERIFIER}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_client.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_client.json::<Value>().await.unwrap()["error"], "invalid_client");
}

#[tokio::test]
async fn replayed_code_rejected_and_its_tokens_revoked() {
    let sb = start(5).await;
    let c = client();
    let code = authorize_code(&sb, &c).await;
    let first: Value = exchange(&sb, &c, &code, VERIFIER).await.json().await.unwrap();
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(api(&sb, &c, access, "/payments", &[]).await.status(), StatusCode::OK);

    let replay = exchange(&sb, &c, &code, VERIFIER).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert_eq!(replay.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(api(&sb, &c, access, "/payments", &[]).await.status(), StatusCode::UNAUTHORIZED);
    let rt = refresh(&sb, &c, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(rt.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn expired_code_rejected() {
    let sb = start(5).await;
    let c = client();
    let code = authorize_code(&sb, &c).await;
    sb.advance_clock(601);
    let resp = exchange(&sb, &c, &code, VERIFIER).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "code expired");
}

#[tokio::test]
async fn refresh_rotates_and_old_token_is_refused() {
    let sb = start(5).await;
    let c = client();
    let tokens = login(&sb, &c).await;
    let rt1 = tokens["refresh_token"].as_str().unwrap();
    let resp = refresh(&sb, &c, rt1).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let next: Value = resp.json().await.unwrap();
    let rt2 = next["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert_eq!(api(&sb, &c, next["access_token"].as_str().unwrap(), "/members", &[]).await.status(), StatusCode::OK);

    let reuse = refresh(&sb, &c, rt1).await;
    assert_eq!(reuse.status(), StatusCode::BAD_REQUEST);
    assert_eq!(reuse.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(refresh(&sb, &c, rt2).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn revoke_invalidates_refresh_and_its_access_tokens() {
    let sb = start(5).await;
    let c = client();
    let tokens = login(&sb, &c).await;
    let (access, rt) = (tokens["access_token"].as_str().unwrap(), tokens["refresh_token"].as_str().unwrap());
    let resp = c
        .post(format!("{}/revoke", sb.oauth_url()))
        .json(&json!({"token": rt, "client_id": "app_dealdesk_sandbox"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(refresh(&sb, &c, rt).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(api(&sb, &c, access, "/members", &[]).await.status(), StatusCode::UNAUTHORIZED);
    let info = c.get(format!("{}/userinfo", sb.oauth_url())).bearer_auth(access).send().await.unwrap();
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn missing_version_header_and_expired_token() {
    let sb = start(5).await;
    let c = client();
    let token = sb.mint_access_token();
    let resp = c.get(format!("{}/payments", sb.api_url())).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "parameter_missing");
    assert_eq!(body["error"]["message"], "Api-Version-Date is required");
    let unknown = c
        .get(format!("{}/payments", sb.api_url()))
        .bearer_auth(&token)
        .header("Api-Version-Date", "2026-10-15-1")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"]["param"], "Api-Version-Date");

    let no_auth = c.get(format!("{}/payments", sb.api_url())).header("Api-Version-Date", VERSION).send().await.unwrap();
    assert_eq!(no_auth.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(api(&sb, &c, &token, "/payments", &[("first", "0")]).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(api(&sb, &c, &token, "/payments", &[("first", "101")]).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(api(&sb, &c, &token, "/payments", &[("after", "garbage!")]).await.status(), StatusCode::BAD_REQUEST);

    sb.advance_clock(3601);
    let resp = api(&sb, &c, &token, "/payments", &[]).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["type"], "unauthorized");
}

#[tokio::test]
async fn paging_returns_every_payment_once() {
    let sb = start(60).await;
    let c = client();
    let token = sb.mint_access_token();
    let company = biz(&sb);
    let ids = page_all(&sb, &c, &token, "/payments", "100", &company, |_| {}).await;
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), 300);
    assert_eq!(unique.len(), 300);
    assert_eq!(sb.counts()["payments"], 300);
    assert_eq!(sb.request_count("/api/v1/payments"), 3);

    // Without a company, a user token also sees the seller's own purchases from other creators.
    let own: HashSet<String> = sb.own_purchase_ids().into_iter().collect();
    let mut everything = Vec::new();
    let mut after = String::new();
    loop {
        let page = api_json(&sb, &c, &token, "/payments", &[("first", "100"), ("after", &after)]).await;
        everything.extend(page["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()));
        match page["page_info"]["end_cursor"].as_str() {
            Some(next) if page["page_info"]["has_next_page"] == json!(true) => after = next.to_string(),
            _ => break,
        }
    }
    assert_eq!(everything.len(), 300 + 3);
    assert!(own.iter().filter(|id| id.starts_with("pay_")).all(|id| everything.contains(id)));
    assert!(ids.iter().all(|id| !own.contains(id)), "a business's list never has the seller's purchases");

    // Default direction is desc: the first page starts with the newest.
    let desc = api_json(&sb, &c, &token, "/payments", &[("first", "3"), ("company_id", &company)]).await;
    assert_eq!(desc["data"][0]["id"].as_str().unwrap(), ids.last().unwrap());
    let next = api_json(
        &sb,
        &c,
        &token,
        "/payments",
        &[("first", "3"), ("company_id", &company), ("after", desc["page_info"]["end_cursor"].as_str().unwrap())],
    )
    .await;
    assert_eq!(next["data"][0]["id"].as_str().unwrap(), &ids[ids.len() - 4]);
}

#[tokio::test]
async fn paging_stays_consistent_while_data_mutates() {
    let sb = start(40).await;
    let c = client();
    let token = sb.mint_access_token();
    let company = biz(&sb);
    let before = page_all(&sb, &c, &token, "/payments", "100", &company, |_| {}).await;
    let mut created = Vec::new();
    let during = page_all(&sb, &c, &token, "/payments", "30", &company, |_| {
        let r = sb.mutate(Mutation {
            new_members: 1,
            new_payments: 2,
            cancellations: 1,
            refunds: 1,
            ..Mutation::default()
        });
        assert_eq!(r.created_member_ids.len(), 1);
        assert_eq!(r.created_payment_ids.len(), 3);
        assert_eq!(r.canceled_membership_ids.len(), 1);
        assert_eq!(r.refund_ids.len(), 1);
        created.extend(r.created_payment_ids);
    })
    .await;
    let unique: HashSet<_> = during.iter().collect();
    assert_eq!(unique.len(), during.len(), "no duplicates");
    assert_eq!(&during[..before.len()], &before[..], "earlier pages unchanged");
    assert_eq!(&during[before.len()..], &created[..], "new payments appended in order");
    assert_eq!(sb.counts()["payments"], 200 + created.len());

    // A canceled membership shows its new state and a refunded payment its refund.
    let r = sb.mutate(Mutation { cancellations: 1, refunds: 1, ..Mutation::default() });
    let ms = api_json(&sb, &c, &token, &format!("/memberships/{}", r.canceled_membership_ids[0]), &[]).await;
    assert_eq!(ms["status"], "canceled");
    assert!(ms["canceled_at"].is_string());
    let refunds = api_json(&sb, &c, &token, "/refunds", &[("first", "100"), ("direction", "asc")]).await;
    let refund =
        refunds["data"].as_array().unwrap().iter().find(|x| x["id"] == json!(r.refund_ids[0])).unwrap().clone();
    let pay = api_json(&sb, &c, &token, &format!("/payments/{}", refund["payment"]["id"].as_str().unwrap()), &[]).await;
    assert_eq!(pay["substatus"], "refunded");
    assert_eq!(pay["refunded_amount"], refund["amount"]);
}

#[tokio::test]
async fn created_after_and_before_filter_strictly() {
    let sb = start(30).await;
    let c = client();
    let token = sb.mint_access_token();
    let all = api_json(&sb, &c, &token, "/members", &[("first", "100"), ("direction", "asc")]).await;
    let all = all["data"].as_array().unwrap();
    let pivot = all[9]["created_at"].as_str().unwrap();
    let after =
        api_json(&sb, &c, &token, "/members", &[("first", "100"), ("direction", "asc"), ("created_after", pivot)])
            .await;
    let after = after["data"].as_array().unwrap();
    assert_eq!(after.len(), all.len() - 10);
    assert_eq!(after[0]["id"], all[10]["id"]);
    let before = api_json(&sb, &c, &token, "/members", &[("first", "100"), ("created_before", pivot)]).await;
    assert_eq!(before["data"].as_array().unwrap().len(), 9);
    let bad = api(&sb, &c, &token, "/members", &[("created_after", "yesterday")]).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

fn fault(kind: FaultKind) -> Fault {
    Fault { kind, path_prefix: Some("/api/v1/members".into()), count: 1, retry_after_secs: None, delay_ms: None }
}

#[tokio::test]
async fn each_fault_kind_is_observable() {
    let sb = start(10).await;
    let c = client();
    let token = sb.mint_access_token();

    sb.inject(Fault { retry_after_secs: Some(7), ..fault(FaultKind::RateLimit) });
    let resp = api(&sb, &c, &token, "/members", &[]).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["type"], "rate_limit_exceeded");
    // count = 1: the next request is normal, and other paths were never affected.
    assert_eq!(api(&sb, &c, &token, "/members", &[]).await.status(), StatusCode::OK);

    sb.inject(fault(FaultKind::ServerError));
    assert_eq!(api(&sb, &c, &token, "/payments", &[]).await.status(), StatusCode::OK);
    let resp = api(&sb, &c, &token, "/members", &[]).await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(resp.json::<Value>().await.unwrap()["error"]["message"].is_string());

    sb.inject(Fault { delay_ms: Some(300), ..fault(FaultKind::Slow) });
    let t = std::time::Instant::now();
    assert_eq!(api(&sb, &c, &token, "/members", &[]).await.status(), StatusCode::OK);
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));

    sb.inject(fault(FaultKind::Truncated));
    let resp = api(&sb, &c, &token, "/members", &[]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());

    sb.inject(fault(FaultKind::ExtraFields));
    let body = api_json(&sb, &c, &token, "/members", &[]).await;
    assert!(body["data"][0]["x_sandbox_extra"].is_string());
    assert!(body["data"][0]["user"]["x_future_enum"].is_string());

    sb.inject(fault(FaultKind::MissingOptional));
    let body = api_json(&sb, &c, &token, "/members", &[]).await;
    let m = body["data"][0].as_object().unwrap();
    assert!(m.contains_key("id") && m.contains_key("created_at") && m.contains_key("status"));
    assert!(!m["user"].as_object().unwrap().contains_key("email"));
    assert!(!m.contains_key("phone"));

    // Without a prefix a fault hits the token endpoint too; clear_faults drops pending ones.
    sb.inject(Fault { count: 5, ..Fault::new(FaultKind::ServerError) });
    let resp = refresh(&sb, &c, "wsrt_x").await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    sb.clear_faults();
    assert_eq!(api(&sb, &c, &token, "/members", &[]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn control_endpoints_over_http() {
    let sb = start(10).await;
    let c = client();
    let base = format!("http://{}/_sandbox", sb.addr());
    let token = sb.mint_access_token();

    let resp = c.post(format!("{base}/faults")).json(&json!({"kind": "rate_limit"})).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let company = biz(&sb);
    let products = [("account_id", company.as_str())];
    assert_eq!(api(&sb, &c, &token, "/products", &products).await.status(), StatusCode::TOO_MANY_REQUESTS);
    c.post(format!("{base}/faults")).json(&json!({"kind": "server_error", "count": 3})).send().await.unwrap();
    c.delete(format!("{base}/faults")).send().await.unwrap();
    assert_eq!(api(&sb, &c, &token, "/products", &products).await.status(), StatusCode::OK);

    let r: Value =
        c.post(format!("{base}/mutate")).json(&json!({"new_members": 2})).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["created_member_ids"].as_array().unwrap().len(), 2);
    let counts: Value = c.get(format!("{base}/counts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(counts["members"], 12);
    assert_eq!(counts["memberships"], 17);

    let stats: Value = c.get(format!("{base}/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["requests"]["/api/v1/products"], 2);
    assert_eq!(stats["total"], 2);
    c.post(format!("{base}/stats/reset")).send().await.unwrap();
    assert_eq!(sb.request_count("/api/v1/products"), 0);

    let resp = c.post(format!("{base}/clock")).json(&json!({"advance_secs": 4000})).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(api(&sb, &c, &token, "/products", &products).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn seeding_at_benchmark_scale() {
    let t = std::time::Instant::now();
    let config = SandboxConfig { members: 20_000, memberships: 30_000, payments: 100_000, ..SandboxConfig::default() };
    let sb = Sandbox::start(config).await.unwrap();
    let elapsed = t.elapsed();
    let counts = sb.counts();
    assert_eq!(counts["members"], 20_000);
    assert_eq!(counts["memberships"], 30_000);
    assert_eq!(counts["payments"], 100_000);
    assert!(counts["refunds"] > 0 && counts["reviews"] > 0 && counts["leads"] > 0);
    eprintln!("seeded 150k objects in {elapsed:?}");
    // Timing is only meaningful in release builds; debug builds just must not be absurdly slow.
    assert!(elapsed < std::time::Duration::from_secs(if cfg!(debug_assertions) { 30 } else { 3 }));
    sb.shutdown().await;
}
