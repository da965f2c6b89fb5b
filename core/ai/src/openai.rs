//! OpenAI Chat Completions (`POST {base}/chat/completions`): OpenAI itself, and any server that
//! speaks it (Ollama's `/v1`, llama.cpp's `llama-server`). Structured output uses
//! `response_format: json_schema` with `strict: true`.

use super::AiError;
use super::provider::{AiProvider, AnswerContent, ModelAnswer, ModelCall, WireRequest, join, token_count};
use dealdesk_model::ai::AiProviderKind;
use dealdesk_net::error_body;
use serde_json::{Map, Value};

pub struct OpenAiProvider {
    base_url: String,
    api_key: Option<String>,
}

impl OpenAiProvider {
    /// `api_key` may be absent for local servers that do not check it.
    pub fn new(base_url: &str, api_key: Option<String>) -> OpenAiProvider {
        OpenAiProvider { base_url: base_url.trim_end_matches('/').to_string(), api_key }
    }
}

fn message(role: &str, content: &str) -> Value {
    let mut m = Map::new();
    m.insert("role".into(), Value::from(role));
    m.insert("content".into(), Value::from(content));
    Value::Object(m)
}

impl AiProvider for OpenAiProvider {
    fn kind(&self) -> AiProviderKind {
        AiProviderKind::OpenAi
    }

    fn chat_request(&self, call: &ModelCall) -> WireRequest {
        let mut body = Map::new();
        body.insert("model".into(), Value::from(call.model.as_str()));
        let mut messages = Vec::with_capacity(2);
        if !call.system.is_empty() {
            messages.push(message("system", &call.system));
        }
        messages.push(message("user", &call.user));
        body.insert("messages".into(), Value::Array(messages));
        // `max_completion_tokens` replaced `max_tokens` on OpenAI; the compatible servers read
        // `max_tokens`. Both are in the spec, so send the one every server knows.
        body.insert("max_tokens".into(), Value::from(call.max_tokens));
        if let Some(schema) = &call.schema {
            let mut json_schema = Map::new();
            json_schema.insert("name".into(), Value::from(schema.name));
            json_schema.insert("description".into(), Value::from(schema.description));
            json_schema.insert("schema".into(), schema.schema.clone());
            json_schema.insert("strict".into(), Value::Bool(true));
            let mut format = Map::new();
            format.insert("type".into(), Value::from("json_schema"));
            format.insert("json_schema".into(), Value::Object(json_schema));
            body.insert("response_format".into(), Value::Object(format));
        }
        let mut headers = vec![("content-type", "application/json".to_string())];
        if let Some(key) = &self.api_key {
            headers.push(("authorization", format!("Bearer {key}")));
        }
        WireRequest { url: join(&self.base_url, "chat/completions"), headers, body: Value::Object(body) }
    }

    fn parse_answer(&self, body: &Value) -> Result<ModelAnswer, AiError> {
        let usage = body.get("usage");
        let choice = body
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
            .ok_or_else(|| AiError::Decode("no choices in the answer".into()))?;
        let message = choice.get("message").ok_or_else(|| AiError::Decode("the choice has no message".into()))?;
        if let Some(refusal) = message.get("refusal").and_then(Value::as_str).filter(|r| !r.is_empty()) {
            return Err(AiError::Refused(refusal.to_string()));
        }
        let content = match message.get("content") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => String::new(),
            Some(_) => return Err(AiError::Decode("message content is not text".into())),
        };
        Ok(ModelAnswer {
            content: AnswerContent::Text(content),
            tokens_in: token_count(usage.and_then(|u| u.get("prompt_tokens"))),
            tokens_out: token_count(usage.and_then(|u| u.get("completion_tokens"))),
            model: body.get("model").and_then(Value::as_str).unwrap_or_default().to_string(),
            truncated: choice.get("finish_reason").and_then(Value::as_str) == Some("length"),
        })
    }

    fn parse_error(&self, body: &[u8]) -> (Option<String>, String) {
        error_body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::OutputSchema;

    fn call(schema: bool) -> ModelCall {
        ModelCall {
            model: "gpt-4o-mini".into(),
            system: "Be brief.".into(),
            user: "Hi".into(),
            schema: schema.then(|| OutputSchema {
                name: "lead_score",
                description: "A score",
                schema: serde_json::json!({"type":"object","properties":{"score":{"type":"integer"}},"required":["score"],"additionalProperties":false}),
            }),
            max_tokens: 100,
        }
    }

    #[test]
    fn requests_carry_the_key_the_messages_and_the_schema() {
        let provider = OpenAiProvider::new("http://127.0.0.1:1/v1/", Some("sk-x".into()));
        let request = provider.chat_request(&call(true));
        assert_eq!(request.url, "http://127.0.0.1:1/v1/chat/completions");
        assert!(request.headers.contains(&("authorization", "Bearer sk-x".into())));
        assert_eq!(request.body["messages"][0]["role"], "system");
        assert_eq!(request.body["response_format"]["json_schema"]["strict"], true);
        let plain = OpenAiProvider::new("http://127.0.0.1:1/v1", None).chat_request(&call(false));
        assert!(plain.body.get("response_format").is_none());
        assert!(plain.headers.iter().all(|(name, _)| *name != "authorization"));
    }

    #[test]
    fn answers_give_text_usage_and_refusals() {
        let provider = OpenAiProvider::new("http://x/v1", None);
        let answer = provider
            .parse_answer(&serde_json::json!({"model":"m","choices":[{"message":{"content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":2}}))
            .unwrap();
        assert_eq!(answer.content, AnswerContent::Text("hello".into()));
        assert_eq!((answer.tokens_in, answer.tokens_out, answer.truncated), (7, 2, false));
        let refused =
            provider.parse_answer(&serde_json::json!({"choices":[{"message":{"content":null,"refusal":"no"}}]}));
        assert!(matches!(refused, Err(AiError::Refused(_))));
        assert!(matches!(provider.parse_answer(&serde_json::json!({"choices":[]})), Err(AiError::Decode(_))));
    }
}
