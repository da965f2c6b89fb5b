//! Direct messages against a real sandbox server over HTTP: `POST /dm_channels` and `POST /messages`
//! behind the contract's gate, in the SDK's shapes, kept so a test can read back what was sent.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_sandbox::{Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

const VERSION: &str = "2026-07-20";

struct Api {
    sb: Sandbox,
    c: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        Api { sb: Sandbox::start(SandboxConfig::with_members(20)).await.unwrap(), c: reqwest::Client::new() }
    }

    async fn post(&self, token: &str, path: &str, body: Value, key: Option<&str>) -> (StatusCode, Value) {
        let mut req = self
            .c
            .post(format!("{}{path}", self.sb.api_url()))
            .bearer_auth(token)
            .header("Api-Version-Date", VERSION)
            .json(&body);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// The user behind the first member of the first business, and that member's username.
    async fn customer(&self) -> (String, String) {
        let business = self.sb.businesses()[0].0.clone();
        let members: Value = self
            .c
            .get(format!("{}/members?company_id={business}", self.sb.api_url()))
            .bearer_auth(self.sb.mint_access_token())
            .header("Api-Version-Date", VERSION)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let user = &members["data"][0]["user"];
        (user["id"].as_str().unwrap().to_string(), user["username"].as_str().unwrap().to_string())
    }
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn a_dm_channel_and_a_message_are_answered_in_the_sdks_shapes_and_kept() {
    let api = Api::start().await;
    let token = api.sb.mint_access_token();
    let (user, username) = api.customer().await;

    let (status, channel) = api.post(&token, "/dm_channels", json!({"with_user_ids": [user]}), None).await;
    assert_eq!(status, 200, "{channel}");
    assert_eq!(keys(&channel), ["created_at", "id", "last_message_at", "name"], "the SDK's DmChannel");
    let id = channel["id"].as_str().unwrap().to_string();

    // "Returns the existing channel if one already exists": by id, and by username as the SDK allows.
    let (_, again) = api.post(&token, "/dm_channels", json!({"with_user_ids": [user]}), None).await;
    assert_eq!(again["id"], channel["id"]);
    let (_, by_name) = api.post(&token, "/dm_channels", json!({"with_user_ids": [username]}), None).await;
    assert_eq!(by_name["id"], channel["id"]);
    assert_eq!(api.sb.dm_channels().len(), 1);
    assert_eq!(api.sb.dm_channels()[0].with_user_ids, [user.as_str()]);

    let (status, message) =
        api.post(&token, "/messages", json!({"channel_id": id, "content": "Your card **failed**"}), None).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(message["content"], "Your card **failed**");
    assert_eq!(message["user"]["username"], "samseller", "written by the signed-in seller");
    assert_eq!(message["message_type"], "regular");
    for list in ["mentions", "poll_votes", "reaction_counts"] {
        assert_eq!(message[list], json!([]), "{list}");
    }
    assert_eq!(message["view_count"], Value::Null);

    let sent = api.sb.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].channel_id.as_str(), sent[0].content.as_str()), (id.as_str(), "Your card **failed**"));
    assert!(api.sb.dm_channels()[0].last_message_at.is_some());

    // The same, for a harness in another process.
    let control: Value =
        api.c.get(format!("http://{}/_sandbox/dms", api.sb.addr())).send().await.unwrap().json().await.unwrap();
    assert_eq!(control["messages"][0]["content"], "Your card **failed**");
    assert_eq!(control["channels"][0]["with_user_ids"], json!([user]));
}

#[tokio::test]
async fn dms_are_refused_as_whop_refuses_them() {
    let api = Api::start().await;
    let token = api.sb.mint_access_token();
    let (user, _) = api.customer().await;

    // Someone the seller has no relation with.
    let (status, body) = api.post(&token, "/dm_channels", json!({"with_user_ids": ["user_stranger"]}), None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "no_access");
    assert_eq!(body["error"]["param"], "with_user_ids");
    // A param the SDK does not have, and a missing required one: the gate.
    let (status, body) = api.post(&token, "/dm_channels", json!({"user_ids": [user]}), None).await;
    assert_eq!((status, body["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some("user_ids")), "{body}");
    let (status, body) = api.post(&token, "/dm_channels", json!({}), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("parameter_missing")));

    let (_, channel) = api.post(&token, "/dm_channels", json!({"with_user_ids": [user]}), None).await;
    let id = channel["id"].as_str().unwrap();
    for content in ["", "  \n "] {
        let (status, body) = api.post(&token, "/messages", json!({"channel_id": id, "content": content}), None).await;
        assert_eq!((status, body["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some("content")), "{body}");
    }
    let (status, body) = api.post(&token, "/messages", json!({"channel_id": id}), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("parameter_missing")));
    let (status, _) = api.post(&token, "/messages", json!({"channel_id": "feed_nope", "content": "hi"}), None).await;
    assert_eq!(status, 404);

    // Opening a channel needs no permission (the SDK lists none); sending needs chat:message:create.
    let no_chat: Vec<String> =
        dealdesk_sandbox::contract::all_permissions().into_iter().filter(|p| p != "chat:message:create").collect();
    let limited = api.sb.mint_access_token_with(&no_chat);
    let (status, _) = api.post(&limited, "/dm_channels", json!({"with_user_ids": [user]}), None).await;
    assert_eq!(status, 200);
    let (status, body) = api.post(&limited, "/messages", json!({"channel_id": id, "content": "hi"}), None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "missing_permissions");
    assert!(body["error"]["message"].as_str().unwrap().contains("chat:message:create"), "{body}");
    assert!(api.sb.messages().is_empty(), "nothing refused was sent");
}

#[tokio::test]
async fn a_message_resent_with_its_idempotency_key_is_sent_once() {
    let api = Api::start().await;
    let token = api.sb.mint_access_token();
    let (user, _) = api.customer().await;
    let (_, channel) = api.post(&token, "/dm_channels", json!({"with_user_ids": [user]}), Some("k-channel")).await;
    let body = json!({"channel_id": channel["id"], "content": "Checking in"});
    let (_, first) = api.post(&token, "/messages", body.clone(), Some("k-message")).await;
    let (status, second) = api.post(&token, "/messages", body, Some("k-message")).await;
    assert_eq!(status, 200);
    assert_eq!(first, second, "the stored answer");
    assert_eq!(api.sb.messages().len(), 1);
    assert_eq!(api.sb.replays_of("k-message"), 1);

    let other = json!({"channel_id": channel["id"], "content": "Something else"});
    let (status, body) = api.post(&token, "/messages", other, Some("k-message")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_mismatch"))
    );
    assert_eq!(api.sb.messages().len(), 1);
}
