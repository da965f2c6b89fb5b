//! One [`AiProvider`] trait over the two wire formats. A provider only builds requests and reads
//! answers (pure functions, testable without a server); [`super::client::AiClient`] sends them
//! with retries, the rate limit and timeouts, the same for both.

use super::AiError;
use dealdesk_model::ai::AiProviderKind;
use serde_json::Value;

/// What Dealdesk asks a model: a system prompt, a user prompt, and the shape of the answer when
/// the action needs one.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCall {
    pub model: String,
    pub system: String,
    pub user: String,
    pub schema: Option<OutputSchema>,
    pub max_tokens: u32,
}

/// A JSON schema the answer must match (OpenAI strict mode rules: every property required, no
/// additional properties).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSchema {
    pub name: &'static str,
    pub description: &'static str,
    pub schema: Value,
}

/// An HTTP request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct WireRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AnswerContent {
    /// Free text, or JSON still to be parsed and checked (a `json_schema` answer arrives as text).
    Text(String),
    /// Already JSON (Anthropic's forced tool call).
    Json(Value),
}

/// A provider's answer, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelAnswer {
    pub content: AnswerContent,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub model: String,
    /// The answer was cut at the token limit.
    pub truncated: bool,
}

pub trait AiProvider: Send + Sync {
    fn kind(&self) -> AiProviderKind;

    /// The request for one call.
    fn chat_request(&self, call: &ModelCall) -> WireRequest;

    /// Reads a 2xx answer. A refusal is an error; usage is read whatever the content.
    fn parse_answer(&self, body: &Value) -> Result<ModelAnswer, AiError>;

    /// The error type and message of a non-2xx answer, in this provider's error shape.
    fn parse_error(&self, body: &[u8]) -> (Option<String>, String);

    /// Called with a 400's message: switches to a fallback request shape (and says so) when the
    /// server does not support the first one.
    fn fall_back(&self, _message: &str) -> bool {
        false
    }
}

pub fn token_count(value: Option<&Value>) -> u64 {
    value.and_then(Value::as_u64).unwrap_or(0)
}

/// Joins a base URL and a path with exactly one slash.
pub fn join(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}
