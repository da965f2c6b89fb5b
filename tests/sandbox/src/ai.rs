//! `/v1/*`: stand-ins for OpenAI's Chat Completions and Anthropic's Messages API, so the CRM's AI
//! features can be tested offline, deterministically and with faults.
//!
//! The wire shapes follow the real APIs closely enough for their clients (auth, required fields, error
//! bodies, usage, SSE streaming); the answers come from [`answer`], pure functions of the prompt. The
//! fault layer logs every request under `/v1` here (refused and faulted ones too) via [`arrive`] and
//! [`depart`], and gives faults the provider's error shape via [`fault_error`].

pub mod answer;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{AppState, FaultKind};
use answer::{Answer, Ask};

/// Far above any prompt a test sends; bodies are buffered once for the log and once for the handler.
const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// The models `GET /v1/models` lists for OpenAI clients. Any model name is accepted in requests.
const OPENAI_MODELS: &[&str] = &["sandbox-gpt", "sandbox-gpt-mini"];
/// What `GET /v1/models` lists for Anthropic clients.
const ANTHROPIC_MODEL: &str = "sandbox-claude";
/// Fixed `created` of the listed models, so the list is identical on every run.
const MODELS_CREATED: i64 = 1_700_000_000;
/// Status logged for a request whose client went away before it was answered (nginx's convention).
const CLIENT_CLOSED: u16 = 499;

/// One request to an AI route, as tests see it through `Sandbox::ai_requests` or
/// `GET /_sandbox/ai/requests`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AiRequestRecord {
    /// The full path, e.g. `/v1/chat/completions`.
    pub path: String,
    /// When it arrived, in ms since the sandbox started (monotonic, unaffected by `advance_clock`).
    pub at_ms: u64,
    /// The status answered (faults included); 0 while it is still being answered, 499 if the client
    /// went away first and the server noticed.
    pub status: u16,
    /// The `Authorization: Bearer` value (OpenAI-style requests) or the `x-api-key` value (Anthropic).
    pub api_key: Option<String>,
    pub anthropic_version: Option<String>,
    /// The request body as JSON; null when it is empty or not JSON.
    pub body: Value,
}

/// The AI request log. Entries are added on arrival and get their status once answered, so the log is
/// in arrival order even when a slow request finishes after a later one.
#[derive(Default)]
pub struct AiLog {
    next_seq: u64,
    entries: Vec<(u64, AiRequestRecord)>,
}

impl AiLog {
    fn push(&mut self, record: AiRequestRecord) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.push((seq, record));
        seq
    }

    /// Sets the status of entry `seq` unless it was cleared meanwhile or already has one.
    fn answer(&mut self, seq: u64, status: u16) {
        if let Some((_, record)) = self.entries.iter_mut().find(|(s, r)| *s == seq && r.status == 0) {
            record.status = status;
        }
    }

    pub fn records(&self) -> Vec<AiRequestRecord> {
        self.entries.iter().map(|(_, r)| r.clone()).collect()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Whose conventions a request under `/v1` follows: error shapes, auth header, request-id header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    OpenAi,
    Anthropic,
}

impl Provider {
    /// `/v1/messages` is Anthropic's and `/v1/chat/completions` OpenAI's; other `/v1` paths (the shared
    /// `/v1/models`, unknown ones) are Anthropic's when they carry `x-api-key` and no Bearer token, as
    /// Anthropic's SDK sends them. `None` outside `/v1`.
    pub fn of(path: &str, headers: &HeaderMap) -> Option<Provider> {
        if path != "/v1" && !path.starts_with("/v1/") {
            return None;
        }
        if path == "/v1/messages" || path.starts_with("/v1/messages/") {
            return Some(Provider::Anthropic);
        }
        if path == "/v1/chat/completions" {
            return Some(Provider::OpenAi);
        }
        if headers.contains_key("x-api-key") && bearer(headers).is_none() {
            Some(Provider::Anthropic)
        } else {
            Some(Provider::OpenAi)
        }
    }

    fn request_id_header(self) -> &'static str {
        match self {
            Provider::OpenAi => "x-request-id",
            Provider::Anthropic => "request-id",
        }
    }
}

/// The id of one AI request: its `x-request-id`/`request-id` header and Anthropic's `request_id`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Set on a request by the `MalformedOutput` fault: the model's answer should break the requested format.
#[derive(Clone, Copy, Debug)]
pub struct Malformed;

/// A request that has been logged and waits for its answer. Dropping it unanswered (the client went
/// away and the server dropped the handler) logs [`CLIENT_CLOSED`].
pub struct Pending {
    shared: AppState,
    seq: u64,
    provider: Provider,
    request_id: String,
    answered: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.answered {
            self.shared.ai_log().answer(self.seq, CLIENT_CLOSED);
        }
    }
}

/// Logs an AI request as it arrives and tags it with a request id. The body is buffered for the log
/// and handed on unchanged; a body over the limit is answered 413 at once (and logged).
pub async fn arrive(s: &AppState, provider: Provider, req: Request) -> Result<(Request, Pending), Response> {
    let (mut parts, body) = req.into_parts();
    let request_id = s.next_ai_id("req_");
    let headers = &parts.headers;
    let api_key = match provider {
        Provider::OpenAi => bearer(headers),
        Provider::Anthropic => header_str(headers, "x-api-key"),
    };
    let mut record = AiRequestRecord {
        path: parts.uri.path().to_string(),
        at_ms: s.elapsed_ms(),
        status: 0,
        api_key: api_key.map(str::to_string),
        anthropic_version: header_str(headers, "anthropic-version").map(str::to_string),
        body: Value::Null,
    };
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::debug!(error = %e, "AI request body unreadable or too large");
            record.status = StatusCode::PAYLOAD_TOO_LARGE.as_u16();
            s.ai_log().push(record);
            let error =
                AiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large", "Request exceeds the size limit");
            return Err(with_request_id(error.render(provider, &request_id), provider, &request_id));
        }
    };
    record.body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let seq = s.ai_log().push(record);
    parts.extensions.insert(RequestId(request_id.clone()));
    let pending = Pending { shared: s.clone(), seq, provider, request_id, answered: false };
    Ok((Request::from_parts(parts, Body::from(bytes)), pending))
}

/// Logs the status a request was answered with and adds the provider's request-id header.
pub fn depart(mut pending: Pending, resp: Response) -> Response {
    pending.answered = true;
    pending.shared.ai_log().answer(pending.seq, resp.status().as_u16());
    with_request_id(resp, pending.provider, &pending.request_id)
}

fn with_request_id(mut resp: Response, provider: Provider, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        resp.headers_mut().entry(provider.request_id_header()).or_insert(value);
    }
    resp
}

/// The error a fault stands for on an AI route, in the provider's shape. `None` for kinds that are
/// not an error answer.
pub fn fault_error(kind: FaultKind, provider: Provider, request_id: &str) -> Option<Response> {
    let error = match (kind, provider) {
        (FaultKind::RateLimit, Provider::OpenAi) => AiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "requests",
            "Rate limit reached for requests. Please try again later.",
        )
        .code("rate_limit_exceeded"),
        (FaultKind::RateLimit, Provider::Anthropic) => AiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "Number of requests has exceeded your rate limit. Please try again later.",
        ),
        (FaultKind::ServerError, Provider::OpenAi) => AiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The server had an error while processing your request. Sorry about that!",
        ),
        (FaultKind::ServerError, Provider::Anthropic) => {
            AiError::new(StatusCode::INTERNAL_SERVER_ERROR, "api_error", "Internal server error")
        }
        (FaultKind::Overloaded, Provider::OpenAi) => AiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "The engine is currently overloaded, please try again later.",
        ),
        (FaultKind::Overloaded, Provider::Anthropic) => AiError::new(OVERLOADED, "overloaded_error", "Overloaded"),
        _ => return None,
    };
    Some(error.render(provider, request_id))
}

/// Anthropic's "overloaded" status; not a registered HTTP status, so it has no constant.
const OVERLOADED: StatusCode = match StatusCode::from_u16(529) {
    Ok(status) => status,
    Err(_) => StatusCode::SERVICE_UNAVAILABLE,
};

/// An error answer; rendered as `{"error":{message,type,param,code}}` for OpenAI and
/// `{"type":"error","error":{type,message},"request_id"}` for Anthropic.
#[derive(Debug)]
struct AiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    param: Option<String>,
    code: Option<&'static str>,
}

impl AiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into(), param: None, code: None }
    }

    fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// 400 `invalid_request_error`, the type both providers use for a bad request.
    fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    fn render(self, provider: Provider, request_id: &str) -> Response {
        let body = match provider {
            Provider::OpenAi => json!({
                "error": { "message": self.message, "type": self.kind, "param": self.param, "code": self.code }
            }),
            Provider::Anthropic => json!({
                "type": "error",
                "error": { "type": self.kind, "message": self.message },
                "request_id": request_id,
            }),
        };
        (self.status, axum::Json(body)).into_response()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(chat_completions))
        .route("/messages", post(messages))
        .route("/models", get(models))
        .route("/{*rest}", any(unknown))
}

/// What a handler needs from its request besides the body.
struct Ctx {
    request_id: String,
    malformed: bool,
    headers: HeaderMap,
}

impl Ctx {
    async fn read(req: Request) -> (Ctx, Option<Value>) {
        let (parts, body) = req.into_parts();
        let ctx = Ctx {
            request_id: parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default(),
            malformed: parts.extensions.get::<Malformed>().is_some(),
            headers: parts.headers,
        };
        // The fault layer has already buffered the body, so this cannot exceed the limit.
        let json = match axum::body::to_bytes(body, BODY_LIMIT).await {
            Ok(bytes) => serde_json::from_slice::<Value>(&bytes).ok(),
            Err(_) => None,
        };
        (ctx, json)
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = header_str(headers, header::AUTHORIZATION.as_str())?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn openai_unauthorized() -> AiError {
    AiError::new(StatusCode::UNAUTHORIZED, "invalid_request_error", "Incorrect API key provided")
        .code("invalid_api_key")
}

fn anthropic_unauthorized() -> AiError {
    AiError::new(StatusCode::UNAUTHORIZED, "authentication_error", "invalid x-api-key")
}

/// A request reduced to what the model needs.
struct Conversation {
    model: String,
    /// The system text (if any) and every message's text, joined with "\n".
    prompt: String,
    /// The text of the last `user` message ("" if there is none).
    last_user: String,
    ask: Ask,
    stream: bool,
    include_usage: bool,
}

/// A message `content`'s text: a string as is, an array's `text` blocks joined with "\n" (other blocks
/// contribute nothing), null or absent as "". `Err` for anything else.
fn content_text(content: Option<&Value>) -> Result<String, ()> {
    match content {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(blocks)) => {
            let mut texts = Vec::new();
            for block in blocks {
                let block = block.as_object().ok_or(())?;
                if block.get("type").and_then(Value::as_str) == Some("text") {
                    texts.push(block.get("text").and_then(Value::as_str).ok_or(())?);
                }
            }
            Ok(texts.join("\n"))
        }
        Some(_) => Err(()),
    }
}

/// The model name: a non-empty string.
fn model_of(
    body: &Value,
    missing: impl FnOnce() -> AiError,
    invalid: impl FnOnce() -> AiError,
) -> Result<String, AiError> {
    match body.get("model") {
        None | Some(Value::Null) => Err(missing()),
        Some(Value::String(m)) if !m.trim().is_empty() => Ok(m.clone()),
        Some(_) => Err(invalid()),
    }
}

fn openai_conversation(body: Option<Value>) -> Result<Conversation, AiError> {
    let missing = |param: &str| {
        AiError::invalid(format!("Missing required parameter: '{param}'."))
            .param(param)
            .code("missing_required_parameter")
    };
    let Some(body) = body.filter(Value::is_object) else {
        return Err(AiError::invalid(
            "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.",
        ));
    };
    let model = model_of(
        &body,
        || missing("model"),
        || AiError::invalid("Invalid 'model': expected a non-empty string.").param("model").code("invalid_type"),
    )?;
    let messages = match body.get("messages") {
        None | Some(Value::Null) => return Err(missing("messages")),
        Some(Value::Array(m)) if m.is_empty() => {
            return Err(AiError::invalid(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            )
            .param("messages")
            .code("empty_array"));
        }
        Some(Value::Array(m)) => m,
        Some(_) => {
            return Err(AiError::invalid("Invalid type for 'messages': expected an array of objects.")
                .param("messages")
                .code("invalid_type"));
        }
    };
    let mut texts = Vec::with_capacity(messages.len());
    let mut last_user = String::new();
    for (i, message) in messages.iter().enumerate() {
        if !message.is_object() {
            return Err(AiError::invalid(format!("Invalid type for 'messages[{i}]': expected an object."))
                .param(format!("messages[{i}]"))
                .code("invalid_type"));
        }
        let text = content_text(message.get("content")).map_err(|()| {
            AiError::invalid(format!(
                "Invalid type for 'messages[{i}].content': expected one of a string or array of objects."
            ))
            .param(format!("messages[{i}].content"))
            .code("invalid_type")
        })?;
        if message.get("role").and_then(Value::as_str) == Some("user") {
            last_user = text.clone();
        }
        texts.push(text);
    }
    let ask = match body.get("response_format") {
        None | Some(Value::Null) => Ask::Text,
        Some(format) => match format.get("type").and_then(Value::as_str) {
            Some("text") => Ask::Text,
            Some("json_object") => Ask::JsonObject,
            Some("json_schema") => {
                let schema = format.get("json_schema").and_then(|j| j.get("schema")).filter(|s| s.is_object());
                let schema = schema.ok_or_else(|| {
                    AiError::invalid("Missing required parameter: 'response_format.json_schema.schema'.")
                        .param("response_format.json_schema.schema")
                        .code("missing_required_parameter")
                })?;
                Ask::Schema(schema.clone())
            }
            _ => {
                return Err(AiError::invalid(
                    "Invalid value for 'response_format.type': expected 'text', 'json_object' or 'json_schema'.",
                )
                .param("response_format.type")
                .code("invalid_value"));
            }
        },
    };
    Ok(Conversation {
        model,
        prompt: texts.join("\n"),
        last_user,
        ask,
        stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
        include_usage: body.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn anthropic_conversation(body: Option<Value>) -> Result<Conversation, AiError> {
    let Some(body) = body.filter(Value::is_object) else {
        return Err(AiError::invalid("There was an issue with your request body: expected a JSON object"));
    };
    let model = model_of(
        &body,
        || AiError::invalid("model: Field required"),
        || AiError::invalid("model: Input should be a non-empty string"),
    )?;
    match body.get("max_tokens") {
        None | Some(Value::Null) => return Err(AiError::invalid("max_tokens: Field required")),
        Some(n) if n.as_u64().is_some_and(|n| n >= 1) => {}
        Some(_) => return Err(AiError::invalid("max_tokens: Input should be an integer greater than or equal to 1")),
    }
    let messages = match body.get("messages") {
        None | Some(Value::Null) => return Err(AiError::invalid("messages: Field required")),
        Some(Value::Array(m)) if m.is_empty() => {
            return Err(AiError::invalid("messages: at least one message is required"));
        }
        Some(Value::Array(m)) => m,
        Some(_) => return Err(AiError::invalid("messages: Input should be a valid list")),
    };
    let mut texts = Vec::with_capacity(messages.len() + 1);
    match body.get("system") {
        None | Some(Value::Null) => {}
        Some(system @ (Value::String(_) | Value::Array(_))) => texts.push(
            content_text(Some(system))
                .map_err(|()| AiError::invalid("system: Input should be a valid string or list of text blocks"))?,
        ),
        Some(_) => return Err(AiError::invalid("system: Input should be a valid string or list of text blocks")),
    }
    let mut last_user = String::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str);
        if !matches!(role, Some("user" | "assistant")) {
            return Err(AiError::invalid(format!("messages.{i}.role: Input should be 'user' or 'assistant'")));
        }
        if message.get("content").is_none_or(Value::is_null) {
            return Err(AiError::invalid(format!("messages.{i}.content: Field required")));
        }
        let text = content_text(message.get("content")).map_err(|()| {
            AiError::invalid(format!("messages.{i}.content: Input should be a valid string or list of content blocks"))
        })?;
        if role == Some("user") {
            last_user = text.clone();
        }
        texts.push(text);
    }
    let forced_tool = body.get("tool_choice").filter(|c| c.get("type").and_then(Value::as_str) == Some("tool"));
    let ask = if let Some(choice) = forced_tool {
        let name = choice
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| AiError::invalid("tool_choice.name: Field required"))?;
        let tool = body
            .get("tools")
            .and_then(Value::as_array)
            .and_then(|tools| tools.iter().find(|t| t.get("name").and_then(Value::as_str) == Some(name)))
            .ok_or_else(|| AiError::invalid(format!("tool_choice: tool '{name}' not found in tools")))?;
        let schema = tool
            .get("input_schema")
            .filter(|s| s.is_object())
            .ok_or_else(|| AiError::invalid(format!("tools: tool '{name}' has no input_schema object")))?;
        Ask::Tool { name: name.to_string(), schema: schema.clone() }
    } else if let Some(format) = body.pointer("/output_config/format").filter(|f| !f.is_null()) {
        if format.get("type").and_then(Value::as_str) != Some("json_schema") {
            return Err(AiError::invalid("output_config.format.type: Input should be 'json_schema'"));
        }
        let schema = format
            .get("schema")
            .filter(|s| s.is_object())
            .ok_or_else(|| AiError::invalid("output_config.format.schema: Field required"))?;
        Ask::Schema(schema.clone())
    } else {
        Ask::Text
    };
    Ok(Conversation {
        model,
        prompt: texts.join("\n"),
        last_user,
        ask,
        stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
        include_usage: false,
    })
}

/// `POST /v1/chat/completions`.
async fn chat_completions(State(s): State<AppState>, req: Request) -> Response {
    let (ctx, body) = Ctx::read(req).await;
    if bearer(&ctx.headers) != Some(s.config.ai_api_key.as_str()) {
        return openai_unauthorized().render(Provider::OpenAi, &ctx.request_id);
    }
    let conv = match openai_conversation(body) {
        Ok(conv) => conv,
        Err(e) => return e.render(Provider::OpenAi, &ctx.request_id),
    };
    let answer = answer::compose(&conv.prompt, &conv.last_user, &conv.ask, ctx.malformed);
    let (prompt_tokens, completion_tokens) = (answer::tokens(&conv.prompt), answer::tokens(&answer.text));
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    });
    let id = s.next_ai_id("chatcmpl-");
    let created = s.now_ms() / 1000;
    tracing::debug!(model = %conv.model, stream = conv.stream, "chat completion");
    if !conv.stream {
        let body = json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": conv.model,
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": answer.text, "refusal": null },
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": usage,
        });
        return axum::Json(body).into_response();
    }
    let chunk = |choices: Value, usage: Option<&Value>| {
        let mut c = json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": conv.model, "choices": choices,
        });
        // With include_usage every chunk carries `usage`, null until the last one.
        if conv.include_usage {
            c["usage"] = usage.cloned().unwrap_or(Value::Null);
        }
        c
    };
    let delta = |delta: Value, finish: Value| json!([{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }]);
    let mut events =
        vec![chunk(delta(json!({ "role": "assistant", "content": "", "refusal": null }), Value::Null), None)];
    for piece in answer::pieces(&answer.text) {
        events.push(chunk(delta(json!({ "content": piece }), Value::Null), None));
    }
    events.push(chunk(delta(json!({}), json!("stop")), None));
    if conv.include_usage {
        events.push(chunk(json!([]), Some(&usage)));
    }
    let mut out = String::new();
    for event in events {
        out.push_str(&format!("data: {event}\n\n"));
    }
    out.push_str("data: [DONE]\n\n");
    sse(out)
}

/// `POST /v1/messages`.
async fn messages(State(s): State<AppState>, req: Request) -> Response {
    let (ctx, body) = Ctx::read(req).await;
    let render = |e: AiError| e.render(Provider::Anthropic, &ctx.request_id);
    if header_str(&ctx.headers, "x-api-key") != Some(s.config.ai_api_key.as_str()) {
        return render(anthropic_unauthorized());
    }
    if header_str(&ctx.headers, "anthropic-version").is_none_or(|v| v.trim().is_empty()) {
        return render(AiError::invalid("anthropic-version: header is required"));
    }
    let conv = match anthropic_conversation(body) {
        Ok(conv) => conv,
        Err(e) => return render(e),
    };
    let answer = answer::compose(&conv.prompt, &conv.last_user, &conv.ask, ctx.malformed);
    let (input_tokens, output_tokens) = (answer::tokens(&conv.prompt), answer::tokens(&answer.text));
    let id = s.next_ai_id("msg_");
    let tool = match &conv.ask {
        Ask::Tool { name, .. } => Some((s.next_ai_id("toolu_"), name.clone())),
        _ => None,
    };
    let stop_reason = if tool.is_some() { "tool_use" } else { "end_turn" };
    tracing::debug!(model = %conv.model, stream = conv.stream, "message");
    if !conv.stream {
        let block = match (&tool, &answer) {
            (Some((tool_id, name)), Answer { tool_input: Some(input), .. }) => {
                json!({ "type": "tool_use", "id": tool_id, "name": name, "input": input })
            }
            _ => json!({ "type": "text", "text": answer.text }),
        };
        let body = json!({
            "id": id,
            "type": "message",
            "role": "assistant",
            "model": conv.model,
            "content": [block],
            "stop_reason": stop_reason,
            "stop_sequence": null,
            "usage": { "input_tokens": input_tokens, "output_tokens": output_tokens },
        });
        return axum::Json(body).into_response();
    }
    let (start_block, delta_kind, delta_field) = match &tool {
        Some((tool_id, name)) => (
            json!({ "type": "tool_use", "id": tool_id, "name": name, "input": {} }),
            "input_json_delta",
            "partial_json",
        ),
        None => (json!({ "type": "text", "text": "" }), "text_delta", "text"),
    };
    let mut events = vec![
        (
            "message_start",
            json!({ "type": "message_start", "message": {
                "id": id, "type": "message", "role": "assistant", "model": conv.model, "content": [],
                "stop_reason": null, "stop_sequence": null,
                "usage": { "input_tokens": input_tokens, "output_tokens": 1 },
            }}),
        ),
        ("content_block_start", json!({ "type": "content_block_start", "index": 0, "content_block": start_block })),
        ("ping", json!({ "type": "ping" })),
    ];
    for piece in answer::pieces(&answer.text) {
        events.push((
            "content_block_delta",
            json!({ "type": "content_block_delta", "index": 0, "delta": { "type": delta_kind, delta_field: piece } }),
        ));
    }
    events.push(("content_block_stop", json!({ "type": "content_block_stop", "index": 0 })));
    events.push((
        "message_delta",
        json!({
            "type": "message_delta",
            "delta": { "stop_reason": stop_reason, "stop_sequence": null },
            "usage": { "output_tokens": output_tokens },
        }),
    ));
    events.push(("message_stop", json!({ "type": "message_stop" })));
    let mut out = String::new();
    for (name, data) in events {
        out.push_str(&format!("event: {name}\ndata: {data}\n\n"));
    }
    sse(out)
}

/// A complete SSE stream in one body: the events are all known up front, and a whole body lets the
/// `Truncated` fault cut a stream like any other answer.
fn sse(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/event-stream; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], body)
        .into_response()
}

/// `GET /v1/models`, in OpenAI's shape, or in Anthropic's for a request authenticated with `x-api-key`.
async fn models(State(s): State<AppState>, req: Request) -> Response {
    let (ctx, _) = Ctx::read(req).await;
    let key = s.config.ai_api_key.as_str();
    match Provider::of("/v1/models", &ctx.headers) {
        Some(Provider::Anthropic) => {
            if header_str(&ctx.headers, "x-api-key") != Some(key) {
                return anthropic_unauthorized().render(Provider::Anthropic, &ctx.request_id);
            }
            axum::Json(json!({
                "data": [{
                    "type": "model",
                    "id": ANTHROPIC_MODEL,
                    "display_name": "Sandbox Claude",
                    "created_at": "2025-01-01T00:00:00Z",
                }],
                "has_more": false,
                "first_id": ANTHROPIC_MODEL,
                "last_id": ANTHROPIC_MODEL,
            }))
            .into_response()
        }
        _ => {
            if bearer(&ctx.headers) != Some(key) {
                return openai_unauthorized().render(Provider::OpenAi, &ctx.request_id);
            }
            let data: Vec<Value> = OPENAI_MODELS
                .iter()
                .map(|id| json!({ "id": id, "object": "model", "created": MODELS_CREATED, "owned_by": "sandbox" }))
                .collect();
            axum::Json(json!({ "object": "list", "data": data })).into_response()
        }
    }
}

/// Any other `/v1` path: 404 in the provider's shape, so a client calling the wrong endpoint sees an
/// error it can parse (and the log shows what it called).
async fn unknown(method: Method, req: Request) -> Response {
    // `nest` strips the prefix; put it back for the message.
    let path = format!("/v1{}", req.uri().path());
    let (ctx, _) = Ctx::read(req).await;
    let provider = Provider::of(&path, &ctx.headers).unwrap_or(Provider::OpenAi);
    let error = match provider {
        Provider::OpenAi => {
            AiError::new(StatusCode::NOT_FOUND, "invalid_request_error", format!("Invalid URL ({method} {path})"))
        }
        Provider::Anthropic => AiError::new(StatusCode::NOT_FOUND, "not_found_error", "Not Found"),
    };
    error.render(provider, &ctx.request_id)
}
