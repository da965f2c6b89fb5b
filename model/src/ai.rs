//! AI automations as the window and the CLI see them: provider settings, the four actions and
//! their outputs, prompt templates, and the usage and cost log.

use crate::outbox::PendingOperation;
use crate::record::{RecordKind, RecordRef};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AiProviderKind {
    /// OpenAI Chat Completions: OpenAI itself, Ollama's `/v1`, a llama.cpp server, …
    #[default]
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
}

impl AiProviderKind {
    pub const ALL: [AiProviderKind; 2] = [AiProviderKind::OpenAi, AiProviderKind::Anthropic];

    pub fn as_str(self) -> &'static str {
        match self {
            AiProviderKind::OpenAi => "openai",
            AiProviderKind::Anthropic => "anthropic",
        }
    }

    pub fn parse(text: &str) -> Option<AiProviderKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "openai" | "openai-compatible" | "ollama" | "llama.cpp" => Some(AiProviderKind::OpenAi),
            "anthropic" => Some(AiProviderKind::Anthropic),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AiProviderKind::OpenAi => "OpenAI or OpenAI-compatible",
            AiProviderKind::Anthropic => "Anthropic",
        }
    }

    /// The base URL a fresh setup starts from.
    pub fn default_base_url(self) -> &'static str {
        match self {
            AiProviderKind::OpenAi => "https://api.openai.com/v1",
            AiProviderKind::Anthropic => "https://api.anthropic.com",
        }
    }

    pub fn default_model(self) -> &'static str {
        match self {
            AiProviderKind::OpenAi => "gpt-4o-mini",
            AiProviderKind::Anthropic => "claude-3-5-haiku-latest",
        }
    }
}

/// The four things Dealdesk asks a model to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AiAction {
    GenerateText,
    Sentiment,
    ScoreLead,
    DraftEmail,
}

impl AiAction {
    pub const ALL: [AiAction; 4] =
        [AiAction::GenerateText, AiAction::Sentiment, AiAction::ScoreLead, AiAction::DraftEmail];

    /// The CLI's and the database's name.
    pub fn as_str(self) -> &'static str {
        match self {
            AiAction::GenerateText => "generate-text",
            AiAction::Sentiment => "sentiment",
            AiAction::ScoreLead => "score-lead",
            AiAction::DraftEmail => "draft-email",
        }
    }

    pub fn parse(text: &str) -> Option<AiAction> {
        AiAction::ALL.into_iter().find(|a| a.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            AiAction::GenerateText => "Generate text",
            AiAction::Sentiment => "Analyse sentiment",
            AiAction::ScoreLead => "Score lead",
            AiAction::DraftEmail => "Draft email",
        }
    }

    /// Whether the answer has a JSON shape (structured output) rather than free text.
    pub fn is_structured(self) -> bool {
        !matches!(self, AiAction::GenerateText)
    }
}

/// What one million tokens cost on a model, in micros of USD (so `0.15 $/M` is `150_000`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelPrice {
    /// The model name, or a prefix ending in `*` (`gpt-4o*`).
    pub model: String,
    pub input_per_million_micros: i64,
    pub output_per_million_micros: i64,
}

/// Settings → AI (the API key is not here: it lives in the OS keyring).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiSettings {
    pub enabled: bool,
    pub provider: AiProviderKind,
    /// OpenAI-compatible: up to `/v1` (`http://localhost:11434/v1` for Ollama). Anthropic: the host.
    pub base_url: String,
    pub model: String,
    /// Client-side limit per provider; 0 = none.
    pub max_requests_per_minute: u32,
    /// Per request, in seconds.
    pub timeout_secs: u32,
    pub max_output_tokens: u32,
    /// Past this month's spend (USD micros), actions ask before running; `None` = no budget.
    pub monthly_budget_micros: Option<i64>,
    /// Prices used for the cost column; a model without a price costs 0 (local servers).
    pub prices: Vec<ModelPrice>,
}

impl Default for AiSettings {
    fn default() -> Self {
        let provider = AiProviderKind::OpenAi;
        AiSettings {
            enabled: true,
            provider,
            base_url: provider.default_base_url().into(),
            model: provider.default_model().into(),
            max_requests_per_minute: 60,
            timeout_secs: 120,
            max_output_tokens: 1024,
            monthly_budget_micros: None,
            prices: default_prices(),
        }
    }
}

/// List prices at the time of writing (USD per million tokens), editable in Settings → AI.
pub fn default_prices() -> Vec<ModelPrice> {
    let price = |model: &str, input: i64, output: i64| ModelPrice {
        model: model.into(),
        input_per_million_micros: input,
        output_per_million_micros: output,
    };
    vec![
        price("gpt-4o-mini*", 150_000, 600_000),
        price("gpt-4o*", 2_500_000, 10_000_000),
        price("gpt-4.1-mini*", 400_000, 1_600_000),
        price("claude-3-5-haiku*", 800_000, 4_000_000),
        price("claude-sonnet-4*", 3_000_000, 15_000_000),
        price("sandbox-*", 1_000_000, 2_000_000),
    ]
}

/// Settings → AI: the saved settings, what is in force after the environment, and the key's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiStatus {
    pub settings: AiSettings,
    /// The settings with `DEALDESK_AI_*` applied: what calls use.
    pub effective: AiSettings,
    /// Which environment variables override the saved settings.
    pub env_overrides: Vec<String>,
    pub has_api_key: bool,
    /// `DEALDESK_AI=off`: the feature is off whatever the setting says.
    pub disabled_by_env: bool,
    pub month_cost_micros: i64,
    pub over_budget: bool,
}

/// Saves Settings → AI; `api_key` replaces the stored key when given, `clear_api_key` removes it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveAiSettings {
    pub settings: AiSettings,
    pub api_key: Option<String>,
    pub clear_api_key: bool,
}

/// Debug output (logs, panics) never shows the key.
impl std::fmt::Debug for SaveAiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaveAiSettings")
            .field("settings", &self.settings)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("clear_api_key", &self.clear_api_key)
            .finish()
    }
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiConnectionTest {
    pub ok: bool,
    pub provider: AiProviderKind,
    pub model: String,
    pub latency_ms: u64,
    pub message: String,
}

/// Runs one action on one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiRunRequest {
    pub action: AiAction,
    pub record: RecordRef,
    /// Extra instructions from the user (quoted into the prompt, like record data).
    pub instructions: Option<String>,
    /// The user confirmed running past the monthly budget.
    #[serde(default)]
    pub allow_over_budget: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentimentLabel {
    Positive,
    Neutral,
    Negative,
}

impl SentimentLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Positive => "positive",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Negative => "negative",
        }
    }
}

/// A validated answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum AiOutput {
    Text {
        text: String,
    },
    /// `score` from -1 (negative) to 1 (positive).
    Sentiment {
        label: SentimentLabel,
        score: f64,
        summary: String,
    },
    /// 0–100 with the reasons the model gave.
    LeadScore {
        score: u8,
        reasons: Vec<String>,
    },
    EmailDraft {
        subject: String,
        body: String,
    },
}

impl AiOutput {
    pub fn action(&self) -> AiAction {
        match self {
            AiOutput::Text { .. } => AiAction::GenerateText,
            AiOutput::Sentiment { .. } => AiAction::Sentiment,
            AiOutput::LeadScore { .. } => AiAction::ScoreLead,
            AiOutput::EmailDraft { .. } => AiAction::DraftEmail,
        }
    }

    /// One line for lists, logs and the CLI.
    pub fn headline(&self) -> String {
        match self {
            AiOutput::Text { text } => text.lines().next().unwrap_or_default().chars().take(120).collect(),
            AiOutput::Sentiment { label, score, .. } => format!("{} ({score:+.2})", label.as_str()),
            AiOutput::LeadScore { score, .. } => format!("lead score {score}"),
            AiOutput::EmailDraft { subject, .. } => format!("email: {subject}"),
        }
    }
}

/// A finished answer kept for the record: sentiment and lead scores are the record's current
/// values; texts and drafts wait for the user to use or dismiss them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiResult {
    pub id: i64,
    pub record: RecordRef,
    pub output: AiOutput,
    pub created_at: String,
    pub model: String,
    /// The workflow run that asked for it, if any.
    pub workflow_run: Option<i64>,
}

/// Opens a draft result in the mail client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDraftInMail {
    /// The AI result the draft came from, if any (a Recover message may be written by hand).
    #[serde(default)]
    pub result: Option<i64>,
    /// The address (the person's email, or the deal contact's); `None` leaves "To" empty.
    pub to: Option<String>,
    /// The subject and body as the user edited them.
    pub subject: String,
    pub body: String,
}

/// How `ai_run` ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum AiRunOutcome {
    Done {
        result: Box<AiResult>,
        call: Box<AiCallView>,
    },
    /// Offline: queued in the outbox; the result appears on the record when it has run.
    Queued {
        operation: PendingOperation,
    },
    /// This month's spend is past the budget: ask the user, then send again with
    /// `allow_over_budget`.
    OverBudget {
        month_cost_micros: i64,
        budget_micros: i64,
    },
}

/// The AI card of a record page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AiInsights {
    pub sentiment: Option<AiResult>,
    pub lead_score: Option<AiResult>,
    /// Texts and drafts not used or dismissed yet, newest first.
    pub unread: Vec<AiResult>,
    /// Runs waiting in the outbox.
    pub queued: Vec<PendingOperation>,
    pub enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AiCallOutcome {
    Ok,
    /// The answer broke the schema.
    InvalidOutput,
    Error,
}

impl AiCallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AiCallOutcome::Ok => "ok",
            AiCallOutcome::InvalidOutput => "invalid_output",
            AiCallOutcome::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<AiCallOutcome> {
        Some(match text {
            "ok" => AiCallOutcome::Ok,
            "invalid_output" => AiCallOutcome::InvalidOutput,
            "error" => AiCallOutcome::Error,
            _ => return None,
        })
    }
}

/// One logged call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiCallView {
    pub id: i64,
    pub at: String,
    pub provider: AiProviderKind,
    pub model: String,
    pub action: AiAction,
    pub record: Option<RecordRef>,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_micros: i64,
    pub latency_ms: u64,
    pub outcome: AiCallOutcome,
    pub error: Option<String>,
}

/// Calls, tokens and cost grouped by one key (a day, an action, a model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiUsageRow {
    pub key: String,
    pub calls: u64,
    pub failed: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_micros: i64,
}

/// Settings → AI → Usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiUsageReport {
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub month_cost_micros: i64,
    pub budget_micros: Option<i64>,
    /// All calls ever.
    pub total: AiUsageRow,
    /// The last 30 days, oldest first, one row per day (days without calls included).
    pub per_day: Vec<AiUsageRow>,
    pub per_action: Vec<AiUsageRow>,
    pub per_model: Vec<AiUsageRow>,
    pub slowest: Vec<AiCallView>,
    pub failed: Vec<AiCallView>,
}

/// One version of a prompt template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptTemplate {
    /// Stable across versions.
    pub id: Uuid,
    pub version: u32,
    pub action: AiAction,
    pub name: String,
    pub system: String,
    pub user: String,
    /// Shipped with Dealdesk (its first version).
    pub builtin: bool,
    /// The template the action uses.
    pub active: bool,
    pub created_at: String,
}

/// Saves a template: a new one when `id` is `None`, else a new version of `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavePromptTemplate {
    pub id: Option<Uuid>,
    pub action: AiAction,
    pub name: String,
    pub system: String,
    pub user: String,
}

/// Renders a template (saved or being edited) on a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptPreviewRequest {
    pub action: AiAction,
    pub system: String,
    pub user: String,
    pub record: RecordRef,
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptPreview {
    pub system: String,
    pub user: String,
    /// `{{…}}` fields the record kind does not have (rendered empty).
    pub unknown_fields: Vec<String>,
    /// Roughly what the prompt costs in tokens (characters / 4).
    pub estimated_tokens: u64,
}

/// A merge field the editor offers (the live preview shows the values on a chosen record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeField {
    /// `person.first_name`, `timeline`, `notes`, `instructions`, …
    pub name: String,
    pub description: String,
}

/// Which merge fields exist for a record kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeFieldsRequest {
    pub kind: RecordKind,
}
