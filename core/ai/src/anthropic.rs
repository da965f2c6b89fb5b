//! Anthropic Messages (`POST {base}/v1/messages`, `x-api-key`, `anthropic-version`). Structured
//! output asks for `output_config.format: json_schema`; a server that refuses that field gets a
//! forced tool call instead (`tool_choice: {type: tool}`), whose `input` is the answer.

use super::AiError;
use super::provider::{AiProvider, AnswerContent, ModelAnswer, ModelCall, WireRequest, join, token_count};
use dealdesk_model::ai::AiProviderKind;
use dealdesk_net::error_body;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};

pub const ANTHROPIC_VERSION: &str = "2023-06-01";

pub struct AnthropicProvider {
    base_url: String,
    api_key: String,
    /// The server refused `output_config`: structured calls use a forced tool from now on.
    forced_tool: AtomicBool,
}

impl AnthropicProvider {
    pub fn new(base_url: &str, api_key: String) -> AnthropicProvider {
        AnthropicProvider {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key,
            forced_tool: AtomicBool::new(false),
        }
    }

    /// The messages URL: the base is the host (`https://api.anthropic.com`), as in Anthropic's SDKs;
    /// a base that already ends in `/v1` is accepted too.
    fn url(&self) -> String {
        if self.base_url.ends_with("/v1") {
            join(&self.base_url, "messages")
        } else {
            join(&self.base_url, "v1/messages")
        }
    }
}

fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>())
}

impl AiProvider for AnthropicProvider {
    fn kind(&self) -> AiProviderKind {
        AiProviderKind::Anthropic
    }

    fn chat_request(&self, call: &ModelCall) -> WireRequest {
        let mut body = Map::new();
        body.insert("model".into(), Value::from(call.model.as_str()));
        body.insert("max_tokens".into(), Value::from(call.max_tokens));
        if !call.system.is_empty() {
            body.insert("system".into(), Value::from(call.system.as_str()));
        }
        body.insert(
            "messages".into(),
            Value::Array(vec![object(vec![
                ("role", Value::from("user")),
                ("content", Value::from(call.user.as_str())),
            ])]),
        );
        if let Some(schema) = &call.schema {
            if self.forced_tool.load(Ordering::Relaxed) {
                let tool = object(vec![
                    ("name", Value::from(schema.name)),
                    ("description", Value::from(schema.description)),
                    ("input_schema", schema.schema.clone()),
                ]);
                body.insert("tools".into(), Value::Array(vec![tool]));
                body.insert(
                    "tool_choice".into(),
                    object(vec![("type", Value::from("tool")), ("name", Value::from(schema.name))]),
                );
            } else {
                let format = object(vec![("type", Value::from("json_schema")), ("schema", schema.schema.clone())]);
                body.insert("output_config".into(), object(vec![("format", format)]));
            }
        }
        WireRequest {
            url: self.url(),
            headers: vec![
                ("content-type", "application/json".into()),
                ("x-api-key", self.api_key.clone()),
                ("anthropic-version", ANTHROPIC_VERSION.into()),
            ],
            body: Value::Object(body),
        }
    }

    fn parse_answer(&self, body: &Value) -> Result<ModelAnswer, AiError> {
        let usage = body.get("usage");
        let stop = body.get("stop_reason").and_then(Value::as_str).unwrap_or_default();
        let blocks = body
            .get("content")
            .and_then(Value::as_array)
            .ok_or_else(|| AiError::Decode("no content in the answer".into()))?;
        if stop == "refusal" {
            return Err(AiError::Refused("the model stopped with a refusal".into()));
        }
        let content = match blocks.iter().find(|b| b.get("type").and_then(Value::as_str) == Some("tool_use")) {
            Some(tool) => AnswerContent::Json(tool.get("input").cloned().unwrap_or(Value::Null)),
            None => AnswerContent::Text(
                blocks
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                    .filter_map(|b| b.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(""),
            ),
        };
        Ok(ModelAnswer {
            content,
            tokens_in: token_count(usage.and_then(|u| u.get("input_tokens"))),
            tokens_out: token_count(usage.and_then(|u| u.get("output_tokens"))),
            model: body.get("model").and_then(Value::as_str).unwrap_or_default().to_string(),
            truncated: stop == "max_tokens",
        })
    }

    fn parse_error(&self, body: &[u8]) -> (Option<String>, String) {
        error_body(body)
    }

    fn fall_back(&self, message: &str) -> bool {
        let mentions = message.contains("output_config") || message.contains("output_format");
        mentions && !self.forced_tool.swap(true, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::OutputSchema;

    fn call() -> ModelCall {
        ModelCall {
            model: "claude".into(),
            system: "sys".into(),
            user: "hi".into(),
            schema: Some(OutputSchema {
                name: "sentiment",
                description: "d",
                schema: serde_json::json!({"type":"object"}),
            }),
            max_tokens: 50,
        }
    }

    #[test]
    fn structured_calls_use_output_config_then_a_forced_tool() {
        let provider = AnthropicProvider::new("http://127.0.0.1:9", "k".into());
        let first = provider.chat_request(&call());
        assert_eq!(first.url, "http://127.0.0.1:9/v1/messages");
        assert!(first.headers.contains(&("anthropic-version", ANTHROPIC_VERSION.into())));
        assert_eq!(first.body["system"], "sys");
        assert_eq!(first.body["output_config"]["format"]["type"], "json_schema");
        assert!(!provider.fall_back("max_tokens: required"));
        assert!(provider.fall_back("output_config: Extra inputs are not permitted"));
        assert!(!provider.fall_back("output_config: again"), "falls back once");
        let second = provider.chat_request(&call());
        assert!(second.body.get("output_config").is_none());
        assert_eq!(second.body["tool_choice"]["name"], "sentiment");
    }

    #[test]
    fn answers_read_text_tool_input_usage_and_refusal() {
        let provider = AnthropicProvider::new("http://x/v1", "k".into());
        assert_eq!(provider.url(), "http://x/v1/messages");
        let text = provider
            .parse_answer(&serde_json::json!({"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}))
            .unwrap();
        assert_eq!(text.content, AnswerContent::Text("ab".into()));
        assert_eq!((text.tokens_in, text.tokens_out), (3, 1));
        let tool = provider
            .parse_answer(&serde_json::json!({"content":[{"type":"tool_use","name":"s","input":{"score":1}}],"stop_reason":"tool_use"}))
            .unwrap();
        assert_eq!(tool.content, AnswerContent::Json(serde_json::json!({"score":1})));
        assert!(matches!(
            provider.parse_answer(&serde_json::json!({"content":[],"stop_reason":"refusal"})),
            Err(AiError::Refused(_))
        ));
    }
}
