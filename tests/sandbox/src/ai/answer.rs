//! The model: deterministic answers computed from the prompt, so tests of the AI features can assert
//! exact results (a sentiment label, a lead score) without a real model and without flakiness.
//!
//! Everything here is a pure function of the request's text and requested shape; the HTTP side
//! (`super`) only decides which [`Ask`] a request makes and wraps the [`Answer`] in a provider's shape.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Words that push a sentiment towards positive, matched as whole words ignoring case.
pub const POSITIVE_WORDS: &[&str] = &["love", "great", "happy", "thanks", "excellent", "renew", "upgrade", "amazing"];
/// Words that push a sentiment towards negative.
pub const NEGATIVE_WORDS: &[&str] = &["angry", "cancel", "refund", "terrible", "disappointed", "bug", "slow", "broken"];
/// Lead-score keywords worth +12 each (counted once however often they occur).
pub const BUYING_SIGNALS: &[&str] = &["enterprise", "budget", "demo", "upgrade", "annual", "team", "pricing"];
/// Lead-score keywords worth −15 each.
pub const CHURN_SIGNALS: &[&str] = &["cancel", "refund", "churn", "unsubscribe"];

const LEAD_BASE: i64 = 40;
const BUYING_POINTS: i64 = 12;
const CHURN_POINTS: i64 = 15;
const MAX_REASONS: usize = 5;
/// How much of the last user message the plain reply quotes.
const QUOTE_CHARS: usize = 80;
/// `$ref`s and nested objects are followed this deep; a recursive schema must still end.
const MAX_SCHEMA_DEPTH: u32 = 8;

/// What the request asks the model for.
#[derive(Clone, Debug, PartialEq)]
pub enum Ask {
    /// Free text.
    Text,
    /// OpenAI's JSON mode: any JSON object.
    JsonObject,
    /// An object matching this JSON schema, as text (OpenAI `response_format`, Anthropic `output_config`).
    Schema(Value),
    /// A forced Anthropic tool call whose input matches the tool's `input_schema`.
    Tool { name: String, schema: Value },
}

/// The model's answer: the text that is returned (or streamed), and for a tool call the input object
/// that text serialises.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub text: String,
    pub tool_input: Option<Value>,
}

/// Answers `ask` for `prompt` (system text and every message's text, joined with "\n"). `malformed`
/// stands for a model that ignored the requested format (the `MalformedOutput` fault).
pub fn compose(prompt: &str, last_user: &str, ask: &Ask, malformed: bool) -> Answer {
    let text_only = |text: String| Answer { text, tool_input: None };
    match ask {
        Ask::Text if malformed => text_only(String::new()),
        Ask::Text => text_only(plain_reply(prompt, last_user)),
        // Prose where JSON was required is the usual way JSON mode goes wrong.
        Ask::JsonObject if malformed => text_only(plain_reply(prompt, last_user)),
        Ask::JsonObject => text_only(json!({ "reply": plain_reply(prompt, last_user) }).to_string()),
        Ask::Schema(schema) => {
            let value = if malformed { broken(schema) } else { structured(prompt, schema) };
            text_only(value.to_string())
        }
        Ask::Tool { schema, .. } => {
            let value = if malformed { broken(schema) } else { structured(prompt, schema) };
            Answer { text: value.to_string(), tool_input: Some(value) }
        }
    }
}

/// `Sandbox reply <hash8>: <first 80 chars of the last user message, whitespace collapsed>`.
pub fn plain_reply(prompt: &str, last_user: &str) -> String {
    let collapsed = last_user.split_whitespace().collect::<Vec<_>>().join(" ");
    let quote: String = collapsed.chars().take(QUOTE_CHARS).collect();
    format!("Sandbox reply {}: {quote}", hash8(prompt))
}

/// The first 4 bytes of SHA-256 of the prompt's UTF-8, as 8 lowercase hex digits: stable across runs,
/// machines and sandbox instances.
pub fn hash8(prompt: &str) -> String {
    Sha256::digest(prompt.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// Estimated tokens for `text`: one per 4 characters (Unicode scalar values), rounded up.
pub fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// The lowercase words of `text`: maximal runs of alphanumeric characters.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// The object a schema asks for, picked by the schema's top-level `properties`.
fn structured(prompt: &str, schema: &Value) -> Value {
    let has = |name: &str| schema.get("properties").and_then(Value::as_object).is_some_and(|p| p.contains_key(name));
    if has("label") {
        sentiment(prompt)
    } else if has("reasons") {
        lead_score(prompt)
    } else if has("subject") {
        email_draft(prompt)
    } else {
        fill(schema, schema, 0)
    }
}

/// `{label, score, summary}` from counting sentiment words (every occurrence counts).
pub fn sentiment(prompt: &str) -> Value {
    let (mut pos, mut neg) = (0u32, 0u32);
    for word in words(prompt) {
        if POSITIVE_WORDS.contains(&word.as_str()) {
            pos += 1;
        } else if NEGATIVE_WORDS.contains(&word.as_str()) {
            neg += 1;
        }
    }
    let raw = (f64::from(pos) - f64::from(neg)) / f64::from((pos + neg).max(1));
    let score = (raw * 100.0).round() / 100.0;
    let label = if score >= 0.2 {
        "positive"
    } else if score <= -0.2 {
        "negative"
    } else {
        "neutral"
    };
    json!({ "label": label, "score": score, "summary": format!("{pos} positive and {neg} negative signals") })
}

/// `{score, reasons}`: 40, +12 per buying signal present, −15 per churn signal present, clamped to
/// 0..=100; one "mentions X" reason per signal present (buying signals first, list order), at most 5.
pub fn lead_score(prompt: &str) -> Value {
    let present: std::collections::HashSet<String> = words(prompt).collect();
    let buying: Vec<&str> = BUYING_SIGNALS.iter().copied().filter(|w| present.contains(*w)).collect();
    let churn: Vec<&str> = CHURN_SIGNALS.iter().copied().filter(|w| present.contains(*w)).collect();
    let score = (LEAD_BASE + BUYING_POINTS * buying.len() as i64 - CHURN_POINTS * churn.len() as i64).clamp(0, 100);
    let mut reasons: Vec<String> = buying.iter().chain(&churn).map(|w| format!("mentions {w}")).collect();
    if reasons.is_empty() {
        reasons.push("no strong buying signals".into());
    }
    reasons.truncate(MAX_REASONS);
    json!({ "score": score, "reasons": reasons })
}

/// `{subject, body}` greeting the prompt's `first_name` if it names one.
pub fn email_draft(prompt: &str) -> Value {
    let name = first_name(prompt);
    let subject = match &name {
        Some(n) => format!("Following up, {n}"),
        None => "Following up".to_string(),
    };
    let greeting = match &name {
        Some(n) => format!("Hi {n},"),
        None => "Hi there,".to_string(),
    };
    let body = [
        greeting.as_str(),
        "",
        "Thanks for your time recently. I wanted to follow up and see whether you have any questions.",
        "",
        &format!("Reference: {}", hash8(prompt)),
        "",
        "Best regards,",
        "The Dealdesk Sandbox",
    ]
    .join("\n");
    json!({ "subject": subject, "body": body })
}

/// The value after the first `first_name: X` or `"first_name": "X"` in the prompt: up to a quote,
/// comma, closing brace or end of line, trimmed. Empty values and JSON `null` do not count.
pub fn first_name(prompt: &str) -> Option<String> {
    const KEY: &str = "first_name";
    let mut rest = prompt;
    while let Some(at) = rest.find(KEY) {
        rest = &rest[at + KEY.len()..];
        let after = rest.strip_prefix('"').unwrap_or(rest).trim_start_matches([' ', '\t']);
        let Some(value) = after.strip_prefix(':') else { continue };
        let value = value.trim_start_matches([' ', '\t']);
        let value = value.strip_prefix('"').unwrap_or(value);
        let end = value.find(['"', ',', '}', '\n', '\r']).unwrap_or(value.len());
        let name = value[..end].trim();
        if !name.is_empty() && name != "null" {
            return Some(name.to_string());
        }
    }
    None
}

/// A value of the schema's declared type: `const`, else the first `enum` value, else the first
/// `anyOf`/`oneOf`/`allOf` branch, else by `type` (the first non-null one of a list): objects get
/// every `required` property, arrays max(minItems, 1) items, strings "sandbox" (or a sample of their
/// `format`), numbers their `minimum` or 0, booleans true. Local `$ref`s (`#/$defs/…`,
/// `#/definitions/…`) are followed.
pub fn fill(schema: &Value, root: &Value, depth: u32) -> Value {
    if depth > MAX_SCHEMA_DEPTH {
        return Value::Null;
    }
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        // A local ref is a JSON pointer into the root schema after its '#'.
        let resolved = target.strip_prefix('#').and_then(|pointer| root.pointer(pointer));
        return resolved.map_or(Value::Null, |s| fill(s, root, depth + 1));
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let pick = branches.iter().find(|b| b.get("type").and_then(Value::as_str) != Some("null"));
            if let Some(branch) = pick.or(branches.first()) {
                return fill(branch, root, depth + 1);
            }
        }
    }
    let declared = match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(types)) => {
            types.iter().filter_map(Value::as_str).find(|t| *t != "null").or(types.first().and_then(Value::as_str))
        }
        _ => None,
    };
    let ty = declared.unwrap_or(if schema.get("properties").is_some() {
        "object"
    } else if schema.get("items").is_some() {
        "array"
    } else {
        "string"
    });
    match ty {
        "object" => {
            let props = schema.get("properties");
            let mut out = Map::new();
            for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
            {
                let prop = props.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
                out.insert(name.to_string(), fill(prop, root, depth + 1));
            }
            Value::Object(out)
        }
        "array" => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0).max(1);
            let max = schema.get("maxItems").and_then(Value::as_u64).unwrap_or(u64::MAX);
            let item = schema.get("items").unwrap_or(&Value::Null);
            Value::Array((0..min.min(max)).map(|_| fill(item, root, depth + 1)).collect())
        }
        "integer" => json!(schema.get("minimum").and_then(Value::as_f64).map_or(0, |m| m.ceil() as i64)),
        "number" => json!(schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0)),
        "boolean" => Value::Bool(true),
        "null" => Value::Null,
        _ => Value::String(
            match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => "2025-01-01T00:00:00Z",
                Some("date") => "2025-01-01",
                Some("email") => "sandbox@example.com",
                Some("uri" | "url") => "https://example.com/sandbox",
                Some("uuid") => "00000000-0000-4000-8000-000000000000",
                _ => "sandbox",
            }
            .to_string(),
        ),
    }
}

/// An object that breaks the schema the way real models do: out-of-range values, an unknown enum value,
/// wrong types and missing required fields.
pub fn broken(schema: &Value) -> Value {
    let has = |name: &str| schema.get("properties").and_then(Value::as_object).is_some_and(|p| p.contains_key(name));
    if has("label") {
        json!({ "label": "ecstatic", "score": 2.5 })
    } else if has("reasons") {
        json!({ "score": 250 })
    } else if has("subject") {
        json!({ "subject": 42 })
    } else {
        json!({ "x_sandbox_unexpected": true })
    }
}

/// `text` cut into pieces for streaming: at least 3 when it has at least 3 characters, each at most
/// 24 characters, split on character boundaries. Empty text gives no pieces.
pub fn pieces(text: &str) -> Vec<&str> {
    let chars = text.chars().count();
    let size = chars.div_ceil(3).clamp(1, 24);
    let mut out = Vec::new();
    let mut start = 0;
    for (n, (i, _)) in text.char_indices().enumerate() {
        if n > 0 && n % size == 0 {
            out.push(&text[start..i]);
            start = i;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentiment_counts_whole_words_ignoring_case() {
        let v = sentiment("I LOVE it, thanks! Great. But one bug. Lovely loves (not counted)");
        assert_eq!(v["label"], "positive");
        assert_eq!(v["score"], 0.5);
        assert_eq!(v["summary"], "3 positive and 1 negative signals");
        let v = sentiment("Terrible and broken; I want a refund. Thanks");
        assert_eq!(v["label"], "negative");
        assert_eq!(v["score"], -0.5);
        let v = sentiment("nothing to see");
        assert_eq!(v["label"], "neutral");
        assert_eq!(v["score"], 0.0);
        // 2 positive, 1 negative: 1/3 rounds to 0.33.
        assert_eq!(sentiment("great happy slow")["score"], 0.33);
    }

    #[test]
    fn lead_score_arithmetic() {
        let v = lead_score("Enterprise budget, budget again, and a demo for the team");
        assert_eq!(v["score"], 40 + 4 * 12);
        assert_eq!(v["reasons"], json!(["mentions enterprise", "mentions budget", "mentions demo", "mentions team"]));
        assert_eq!(lead_score("cancel and refund, churn")["score"], 0);
        assert_eq!(lead_score("hello")["reasons"], json!(["no strong buying signals"]));
        let all = lead_score("enterprise budget demo upgrade annual team pricing");
        assert_eq!(all["score"], 100);
        assert_eq!(all["reasons"].as_array().map(Vec::len), Some(5));
        assert_eq!(lead_score("pricing, but cancel")["score"], 37);
    }

    #[test]
    fn first_name_in_both_spellings() {
        assert_eq!(first_name("Contact\nfirst_name: Ada\nlast_name: L").as_deref(), Some("Ada"));
        assert_eq!(first_name(r#"{"first_name": "Grace", "x": 1}"#).as_deref(), Some("Grace"));
        assert_eq!(first_name(r#"{"first_name":null} first_name: Bo"#).as_deref(), Some("Bo"));
        assert_eq!(first_name("the first_name field"), None);
        let v = email_draft("first_name: Ada");
        assert_eq!(v["subject"], "Following up, Ada");
        assert!(v["body"].as_str().unwrap().starts_with("Hi Ada,\n"));
        assert!(v["body"].as_str().unwrap().contains(&hash8("first_name: Ada")));
        assert_eq!(email_draft("nobody")["subject"], "Following up");
    }

    #[test]
    fn fill_follows_types_refs_and_enums() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "n": {"type": "integer", "minimum": 3},
                "x": {"type": ["number", "null"]},
                "ok": {"type": "boolean"},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "child": {"$ref": "#/$defs/child"},
                "optional": {"type": "string"}
            },
            "required": ["name", "n", "x", "ok", "kind", "tags", "child"],
            "$defs": {"child": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}, "required": ["at"]}}
        });
        assert_eq!(
            fill(&schema, &schema, 0),
            json!({"name": "sandbox", "n": 3, "x": 0.0, "ok": true, "kind": "a", "tags": ["sandbox"],
                   "child": {"at": "2025-01-01T00:00:00Z"}})
        );
        let recursive = json!({"$ref": "#"});
        assert_eq!(fill(&recursive, &recursive, 0), Value::Null);
    }

    #[test]
    fn pieces_rejoin_and_split_in_three_or_more() {
        for text in ["", "ab", "abc", "héllo wörld", &"x".repeat(200)] {
            let p = pieces(text);
            assert_eq!(p.concat(), text);
            assert!(text.chars().count() < 3 || p.len() >= 3, "{text:?} gave {p:?}");
        }
    }

    #[test]
    fn plain_reply_quotes_the_collapsed_last_message() {
        let reply = plain_reply("p", "  hello \n\t world  ");
        assert_eq!(reply, format!("Sandbox reply {}: hello world", hash8("p")));
        assert_eq!(hash8("p").len(), 8);
        let long = "y".repeat(200);
        assert!(plain_reply("p", &long).ends_with(&"y".repeat(80)));
        assert_eq!(tokens("abcde"), 2);
        assert_eq!(tokens(""), 0);
    }
}
