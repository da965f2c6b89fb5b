//! The OpenAI- and Anthropic-style routes against a real sandbox server over HTTP: answers and usage,
//! structured output, auth and request checks, streaming, faults and the request log.

// Shared helpers below are not `#[test]` functions, so clippy's allow-unwrap-in-tests does not reach them;
// a panic is the right failure mode in test code.
#![allow(clippy::unwrap_used)]

use dealdesk_sandbox::{Fault, FaultKind, SANDBOX_AI_KEY, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

const VERSION: &str = "2023-06-01";

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::with_members(3)).await.unwrap()
}

/// One answer: status, headers and the body as text and as JSON (null if it is not JSON).
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
    json: Value,
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, headers, text, json }
}

async fn openai_with_key(sb: &Sandbox, key: &str, body: &Value) -> Answer {
    let resp = reqwest::Client::new()
        .post(format!("{}/chat/completions", sb.openai_base_url()))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    answer(resp).await
}

async fn openai(sb: &Sandbox, body: &Value) -> Answer {
    openai_with_key(sb, SANDBOX_AI_KEY, body).await
}

async fn anthropic_with(sb: &Sandbox, key: Option<&str>, version: Option<&str>, body: &Value) -> Answer {
    let mut req = reqwest::Client::new().post(format!("{}/v1/messages", sb.anthropic_base_url())).json(body);
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    if let Some(version) = version {
        req = req.header("anthropic-version", version);
    }
    answer(req.send().await.unwrap()).await
}

async fn anthropic(sb: &Sandbox, body: &Value) -> Answer {
    anthropic_with(sb, Some(SANDBOX_AI_KEY), Some(VERSION), body).await
}

fn schema_with(props: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> =
        props.iter().map(|p| (p.to_string(), json!({"type": "string"}))).collect();
    json!({"type": "object", "properties": properties, "required": props, "additionalProperties": false})
}

fn structured_openai(prompt: &str, props: &[&str]) -> Value {
    json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You are a CRM assistant."}, {"role": "user", "content": prompt}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": schema_with(props), "strict": true}},
    })
}

/// The JSON object in an OpenAI answer's content.
fn content_json(a: &Answer) -> Value {
    serde_json::from_str(a.json["choices"][0]["message"]["content"].as_str().unwrap()).unwrap()
}

/// `(event name, data)` per SSE event; the name is "" where the event has no `event:` line.
fn sse_events(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut name = String::new();
            let mut data = String::new();
            for line in e.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = v.to_string();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = v.to_string();
                }
            }
            (name, data)
        })
        .collect()
}

fn sha8(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn openai_text_answer_and_usage() {
    let sb = start().await;
    let body = json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hello   there,\n  how are you?"}]},
        ],
    });
    let a = openai(&sb, &body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let prompt = "Be brief.\nHello   there,\n  how are you?";
    let expected = format!("Sandbox reply {}: Hello there, how are you?", sha8(prompt));
    assert_eq!(a.json["object"], "chat.completion");
    assert!(a.json["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(a.json["model"], "gpt-4o-mini");
    assert_eq!(a.json["choices"][0]["message"]["role"], "assistant");
    assert_eq!(a.json["choices"][0]["message"]["content"], expected.as_str());
    assert_eq!(a.json["choices"][0]["message"]["refusal"], Value::Null);
    assert_eq!(a.json["choices"][0]["finish_reason"], "stop");
    let prompt_tokens = prompt.chars().count().div_ceil(4) as u64;
    let completion_tokens = expected.chars().count().div_ceil(4) as u64;
    assert_eq!(a.json["usage"]["prompt_tokens"], prompt_tokens);
    assert_eq!(a.json["usage"]["completion_tokens"], completion_tokens);
    assert_eq!(a.json["usage"]["total_tokens"], prompt_tokens + completion_tokens);
    assert!(a.headers["x-request-id"].to_str().unwrap().starts_with("req_"));
    // Deterministic: the same request gets the same answer.
    let again = openai(&sb, &body).await;
    assert_eq!(again.json["choices"][0]["message"]["content"], expected.as_str());
}

#[tokio::test]
async fn openai_structured_shapes() {
    let sb = start().await;
    let a = openai(
        &sb,
        &structured_openai("I love it, thanks! Great support, one small bug.", &["label", "score", "summary"]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = content_json(&a);
    assert_eq!(v["label"], "positive");
    assert_eq!(v["score"], 0.5);
    assert_eq!(v["summary"], "3 positive and 1 negative signals");

    let a =
        openai(&sb, &structured_openai("Terrible and slow. I want to cancel.", &["label", "score", "summary"])).await;
    assert_eq!(content_json(&a)["label"], "negative");
    assert_eq!(content_json(&a)["score"], -1.0);

    let a = openai(
        &sb,
        &structured_openai("Enterprise team wants a demo; budget approved, pricing?", &["score", "reasons"]),
    )
    .await;
    let v = content_json(&a);
    assert_eq!(v["score"], 100);
    assert_eq!(v["reasons"].as_array().unwrap().len(), 5);
    assert_eq!(v["reasons"][0], "mentions enterprise");
    let a = openai(&sb, &structured_openai("Budget is fine but they may churn", &["score", "reasons"])).await;
    let v = content_json(&a);
    assert_eq!(v["score"], 40 + 12 - 15);
    assert_eq!(v["reasons"], json!(["mentions budget", "mentions churn"]));

    let prompt = "Draft a follow-up.\nfirst_name: Ada\nlast_name: Lovelace";
    let a = openai(&sb, &structured_openai(prompt, &["subject", "body"])).await;
    let v = content_json(&a);
    assert_eq!(v["subject"], "Following up, Ada");
    let body = v["body"].as_str().unwrap();
    assert!(body.starts_with("Hi Ada,"));
    assert!(body.contains(&sha8(&format!("You are a CRM assistant.\n{prompt}"))));

    // Any other schema: every required property filled with a value of its type.
    let schema = json!({
        "type": "object",
        "properties": {"company": {"type": "string"}, "seats": {"type": "integer"}, "hot": {"type": "boolean"}},
        "required": ["company", "seats", "hot"],
    });
    let body = json!({
        "model": "m",
        "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "lead", "schema": schema, "strict": true}},
    });
    let v = content_json(&openai(&sb, &body).await);
    assert!(v["company"].is_string() && v["seats"].is_i64() && v["hot"].is_boolean());
}

#[tokio::test]
async fn anthropic_output_config_and_forced_tool() {
    let sb = start().await;
    let schema = schema_with(&["label", "score", "summary"]);
    let body = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": "Classify the sentiment."}],
        "messages": [{"role": "user", "content": "Amazing product, happy to renew."}],
        "output_config": {"format": {"type": "json_schema", "schema": schema}},
    });
    let a = anthropic(&sb, &body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json["type"], "message");
    assert_eq!(a.json["role"], "assistant");
    assert_eq!(a.json["model"], "claude-sonnet-4-5");
    assert!(a.json["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(a.json["stop_reason"], "end_turn");
    assert_eq!(a.json["stop_sequence"], Value::Null);
    assert_eq!(a.json["content"][0]["type"], "text");
    let text = a.json["content"][0]["text"].as_str().unwrap();
    let v: Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["label"], "positive");
    assert_eq!(v["score"], 1.0);
    let prompt = "Classify the sentiment.\nAmazing product, happy to renew.";
    assert_eq!(a.json["usage"]["input_tokens"], prompt.chars().count().div_ceil(4) as u64);
    assert_eq!(a.json["usage"]["output_tokens"], text.chars().count().div_ceil(4) as u64);
    assert!(a.headers["request-id"].to_str().unwrap().starts_with("req_"));

    let body = json!({
        "model": "claude-haiku-4-5",
        "max_tokens": 512,
        "messages": [{"role": "user", "content": "Annual plan for the team? Send pricing."}],
        "tools": [
            {"name": "other", "description": "unused", "input_schema": {"type": "object"}},
            {"name": "score_lead", "description": "Score a lead", "input_schema": schema_with(&["score", "reasons"]), "strict": true},
        ],
        "tool_choice": {"type": "tool", "name": "score_lead"},
    });
    let a = anthropic(&sb, &body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json["stop_reason"], "tool_use");
    let block = &a.json["content"][0];
    assert_eq!(block["type"], "tool_use");
    assert_eq!(block["name"], "score_lead");
    assert!(block["id"].as_str().unwrap().starts_with("toolu_"));
    assert_eq!(block["input"]["score"], 40 + 3 * 12);
    assert_eq!(block["input"]["reasons"], json!(["mentions annual", "mentions team", "mentions pricing"]));

    // Plain text, system as a string.
    let body = json!({"model": "m", "max_tokens": 10, "system": "S", "messages": [{"role": "user", "content": "Hi"}]});
    let a = anthropic(&sb, &body).await;
    assert_eq!(a.json["content"][0]["text"], format!("Sandbox reply {}: Hi", sha8("S\nHi")));
}

#[tokio::test]
async fn request_checks_and_auth() {
    let sb = start().await;
    let ok = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]});

    let a = anthropic_with(&sb, Some(SANDBOX_AI_KEY), None, &ok).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json["type"], "error");
    assert_eq!(a.json["error"]["type"], "invalid_request_error");
    assert!(a.json["error"]["message"].as_str().unwrap().contains("anthropic-version"));

    for key in [Some("sk-wrong"), None] {
        let a = anthropic_with(&sb, key, Some(VERSION), &ok).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.json["error"]["type"], "authentication_error");
        assert!(a.json["request_id"].as_str().unwrap().starts_with("req_"));
    }
    let a = openai_with_key(&sb, "sk-wrong", &ok).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.json,
        json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})
    );

    let a = anthropic(&sb, &json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}]})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json["error"]["message"].as_str().unwrap().contains("max_tokens"));
    let a =
        anthropic(&sb, &json!({"model": "", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]})).await;
    assert!(a.json["error"]["message"].as_str().unwrap().contains("model"));
    let a = anthropic(&sb, &json!({"model": "m", "max_tokens": 5, "messages": []})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json["error"]["message"].as_str().unwrap().contains("messages"));

    let a = openai(&sb, &json!({"messages": [{"role": "user", "content": "Hi"}]})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json["error"]["param"], "model");
    let a = openai(&sb, &json!({"model": "m", "messages": []})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json["error"]["param"], "messages");
    let a = openai(&sb, &json!({"model": "m", "messages": [{"role": "user", "content": 5}]})).await;
    assert_eq!(a.json["error"]["param"], "messages[0].content");

    // /v1/models answers in whichever shape the caller's auth header implies.
    let c = reqwest::Client::new();
    let url = format!("{}/models", sb.openai_base_url());
    let list: Value = c.get(&url).bearer_auth(SANDBOX_AI_KEY).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["object"], "list");
    assert_eq!(
        list["data"][0],
        json!({"id": "sandbox-gpt", "object": "model", "created": 1_700_000_000, "owned_by": "sandbox"})
    );
    let resp =
        c.get(&url).header("x-api-key", SANDBOX_AI_KEY).header("anthropic-version", VERSION).send().await.unwrap();
    assert!(resp.headers().contains_key("request-id"));
    let list: Value = resp.json().await.unwrap();
    assert_eq!(list["data"][0]["type"], "model");
    assert_eq!(list["data"][0]["id"], "sandbox-claude");
    assert_eq!(list["has_more"], false);
    assert_eq!(c.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let resp = c.get(&url).header("x-api-key", "nope").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["type"], "authentication_error");

    // A custom key replaces the default.
    let custom = Sandbox::start(SandboxConfig { ai_api_key: "sk-custom".into(), ..SandboxConfig::with_members(1) })
        .await
        .unwrap();
    assert_eq!(openai(&custom, &ok).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(openai_with_key(&custom, "sk-custom", &ok).await.status, StatusCode::OK);
}

#[tokio::test]
async fn streaming_matches_the_plain_answer() {
    let sb = start().await;
    let mut body = structured_openai("Happy with it, thanks, but the export is slow", &["label", "score", "summary"]);
    let plain = openai(&sb, &body).await;
    let expected = plain.json["choices"][0]["message"]["content"].as_str().unwrap().to_string();
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let a = openai(&sb, &body).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.headers["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let events = sse_events(&a.text);
    assert!(events.iter().all(|(name, _)| name.is_empty()));
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|(_, d)| serde_json::from_str(d).unwrap()).collect();
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String =
        chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect::<Vec<_>>().concat();
    assert_eq!(text, expected);
    assert!(
        chunks.iter().filter(|c| c["choices"][0]["delta"]["content"].as_str().is_some_and(|t| !t.is_empty())).count()
            >= 3
    );
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"], plain.json["usage"]);

    // Without include_usage there is no usage chunk.
    body["stream_options"] = json!({"include_usage": false});
    let events = sse_events(&openai(&sb, &body).await.text);
    let last: Value = serde_json::from_str(&events[events.len() - 2].1).unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");

    let mut body = json!({"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "Tell me about the renewal."}]});
    let plain = anthropic(&sb, &body).await;
    let expected = plain.json["content"][0]["text"].as_str().unwrap().to_string();
    body["stream"] = json!(true);
    let a = anthropic(&sb, &body).await;
    assert!(a.headers["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let events = sse_events(&a.text);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..3], ["message_start", "content_block_start", "ping"]);
    assert_eq!(&names[names.len() - 3..], ["content_block_stop", "message_delta", "message_stop"]);
    let data: Vec<Value> = events.iter().map(|(_, d)| serde_json::from_str(d).unwrap()).collect();
    assert!(data.iter().zip(&names).all(|(d, n)| d["type"] == *n));
    assert_eq!(data[0]["message"]["usage"]["input_tokens"], plain.json["usage"]["input_tokens"]);
    let deltas: Vec<&str> = data
        .iter()
        .filter(|d| d["type"] == "content_block_delta")
        .map(|d| d["delta"]["text"].as_str().unwrap())
        .collect();
    assert!(deltas.len() >= 3);
    assert!(data.iter().filter(|d| d["type"] == "content_block_delta").all(|d| d["delta"]["type"] == "text_delta"));
    assert_eq!(deltas.concat(), expected);
    let message_delta = &data[data.len() - 2];
    assert_eq!(message_delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(message_delta["usage"]["output_tokens"], plain.json["usage"]["output_tokens"]);
}

#[tokio::test]
async fn faults_on_ai_routes() {
    let sb = start().await;
    let ok_openai = json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}]});
    let ok_anthropic = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]});
    let on = |kind: FaultKind, prefix: &str| Fault { path_prefix: Some(prefix.into()), ..Fault::new(kind) };

    sb.inject(Fault { retry_after_secs: Some(3), ..on(FaultKind::RateLimit, "/v1/") });
    let a = openai(&sb, &ok_openai).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.headers["retry-after"], "3");
    assert_eq!(a.headers["retry-after-ms"], "3000");
    assert_eq!(a.json["error"]["code"], "rate_limit_exceeded");
    assert_eq!(openai(&sb, &ok_openai).await.status, StatusCode::OK);

    sb.inject(on(FaultKind::RateLimit, "/v1/"));
    let a = anthropic(&sb, &ok_anthropic).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.headers["retry-after"], "1");
    assert_eq!(a.json["type"], "error");
    assert_eq!(a.json["error"]["type"], "rate_limit_error");

    sb.inject(on(FaultKind::Overloaded, "/v1/messages"));
    let a = anthropic(&sb, &ok_anthropic).await;
    assert_eq!(a.status.as_u16(), 529);
    assert_eq!(a.json["error"], json!({"type": "overloaded_error", "message": "Overloaded"}));
    sb.inject(on(FaultKind::Overloaded, "/v1/chat"));
    assert_eq!(openai(&sb, &ok_openai).await.status, StatusCode::SERVICE_UNAVAILABLE);

    sb.inject(Fault { count: 2, ..on(FaultKind::ServerError, "/v1/") });
    let a = openai(&sb, &ok_openai).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(a.json["error"]["type"], "server_error");
    let a = anthropic(&sb, &ok_anthropic).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(a.json["error"]["type"], "api_error");

    sb.inject(on(FaultKind::Truncated, "/v1/"));
    let a = openai(&sb, &ok_openai).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&a.text).is_err());

    sb.inject(Fault { delay_ms: Some(300), ..on(FaultKind::Slow, "/v1/messages") });
    let t = std::time::Instant::now();
    assert_eq!(anthropic(&sb, &ok_anthropic).await.status, StatusCode::OK);
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));

    // MalformedOutput: 200, but the structured answers break their schemas and text comes back empty.
    sb.inject(Fault { count: 4, ..on(FaultKind::MalformedOutput, "/v1/") });
    let a = openai(&sb, &structured_openai("great", &["label", "score", "summary"])).await;
    assert_eq!(a.status, StatusCode::OK);
    let v = content_json(&a);
    assert_eq!(v["label"], "ecstatic");
    assert!(v.get("summary").is_none());
    assert_eq!(content_json(&openai(&sb, &structured_openai("x", &["score", "reasons"])).await), json!({"score": 250}));
    assert_eq!(openai(&sb, &ok_openai).await.json["choices"][0]["message"]["content"], "");
    let tool_body = json!({
        "model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
        "tools": [{"name": "t", "input_schema": schema_with(&["subject", "body"])}],
        "tool_choice": {"type": "tool", "name": "t"},
    });
    let a = anthropic(&sb, &tool_body).await;
    assert_eq!(a.json["content"][0]["input"], json!({"subject": 42}));
    assert_eq!(anthropic(&sb, &tool_body).await.json["content"][0]["input"]["subject"], "Following up");

    // A fault without a prefix is for Whop only: AI routes answer normally and the fault stays pending.
    sb.inject(Fault::new(FaultKind::ServerError));
    assert_eq!(openai(&sb, &ok_openai).await.status, StatusCode::OK);
    assert_eq!(anthropic(&sb, &ok_anthropic).await.status, StatusCode::OK);
    let token = sb.mint_access_token();
    let whop = reqwest::Client::new()
        .get(format!("{}/members", sb.api_url()))
        .bearer_auth(token)
        .header("Api-Version-Date", "2026-07-20")
        .send()
        .await
        .unwrap();
    assert_eq!(whop.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn request_log_records_everything_and_survives_restart() {
    let mut sb = start().await;
    let ok = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]});
    assert_eq!(openai(&sb, &ok).await.status, StatusCode::OK);
    assert_eq!(anthropic_with(&sb, Some("bad"), None, &ok).await.status, StatusCode::UNAUTHORIZED);
    sb.inject(Fault { path_prefix: Some("/v1/messages".into()), ..Fault::new(FaultKind::Overloaded) });
    assert_eq!(anthropic(&sb, &ok).await.status.as_u16(), 529);
    let resp = reqwest::Client::new()
        .post(format!("{}/chat/completions", sb.openai_base_url()))
        .bearer_auth(SANDBOX_AI_KEY)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let log = sb.ai_requests();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].path, "/v1/chat/completions");
    assert_eq!(log[0].status, 200);
    assert_eq!(log[0].api_key.as_deref(), Some(SANDBOX_AI_KEY));
    assert_eq!(log[0].anthropic_version, None);
    assert_eq!(log[0].body, ok);
    assert_eq!(log[1].path, "/v1/messages");
    assert_eq!(log[1].status, 401);
    assert_eq!(log[1].api_key.as_deref(), Some("bad"));
    assert_eq!(log[2].status, 529);
    assert_eq!(log[2].anthropic_version.as_deref(), Some(VERSION));
    assert_eq!(log[3].status, 400);
    assert_eq!(log[3].body, Value::Null);
    assert!(log.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    assert_eq!(sb.request_count("/v1/messages"), 2);

    // The log and the AI routes survive a stop and restart of the listener.
    sb.stop_listening().await;
    sb.start_listening().await.unwrap();
    assert_eq!(sb.ai_requests().len(), 4);
    assert_eq!(openai(&sb, &ok).await.status, StatusCode::OK);

    let c = reqwest::Client::new();
    let base = format!("http://{}/_sandbox/ai/requests", sb.addr());
    let remote: Value = c.get(&base).send().await.unwrap().json().await.unwrap();
    assert_eq!(remote["requests"].as_array().unwrap().len(), 5);
    assert_eq!(remote["requests"][4]["path"], "/v1/chat/completions");
    assert_eq!(c.delete(&base).send().await.unwrap().status(), StatusCode::OK);
    assert!(sb.ai_requests().is_empty());
    openai(&sb, &ok).await;
    assert_eq!(sb.ai_requests().len(), 1);
    sb.clear_ai_requests();
    assert!(sb.ai_requests().is_empty());
}

#[tokio::test]
async fn slow_fault_outlasts_a_client_timeout() {
    let sb = start().await;
    sb.inject(Fault { path_prefix: Some("/v1/".into()), delay_ms: Some(1500), ..Fault::new(FaultKind::Slow) });
    let c = reqwest::Client::builder().timeout(std::time::Duration::from_millis(200)).build().unwrap();
    let err = c
        .post(format!("{}/chat/completions", sb.openai_base_url()))
        .bearer_auth(SANDBOX_AI_KEY)
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    // Logged on arrival; the server drops the handler when the client hangs up, which logs 499.
    assert_eq!(sb.ai_requests().len(), 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while sb.ai_requests()[0].status == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(sb.ai_requests()[0].status, 499);
}
