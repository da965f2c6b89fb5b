//! AI automations as plain data: money in micros of USD, lead score and sentiment badges, the
//! record page's AI card (running, queued, over budget, unread texts and drafts), Settings → AI's
//! form and its checks, usage report rows, prompt templates and the `{{merge field}}` autocomplete.

use crate::state::whop::StatusTone;
use dealdesk_model::ai::{
    AiAction, AiCallView, AiConnectionTest, AiInsights, AiOutput, AiProviderKind, AiResult, AiRunOutcome, AiRunRequest,
    AiSettings, AiStatus, AiUsageRow, MergeField, ModelPrice, PromptTemplate, SaveAiSettings, SavePromptTemplate,
    SentimentLabel,
};
use dealdesk_model::money::{MoneyParseError, format_decimal_micros, parse_decimal_micros};
use dealdesk_model::outbox::PendingOperation;
use dealdesk_model::{ApiError, RecordKind, RecordRef};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use uuid::Uuid;
use yew::Reducible;

// ---------------------------------------------------------------------------------------------
// Money and badges

/// Micros of USD for people: 4 decimals under a dollar (`$0.0123`), cents from a dollar up
/// (`$12.35`).
pub fn usd(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    if abs < 999_950 {
        // Ten-thousandths of a dollar, rounded half up.
        let units = (abs + 50) / 100;
        return format!("{sign}$0.{units:04}");
    }
    let cents = (abs + 5_000) / 10_000;
    format!("{sign}${}.{:02}", cents / 100, cents % 100)
}

/// A dollar amount typed by a person into micros: `12.50` → `12_500_000`.
fn parse_dollars(text: &str) -> Result<i64, String> {
    let text = text.trim().trim_start_matches('$').trim();
    match parse_decimal_micros(text) {
        Ok(micros) if micros < 0 => Err("cannot be negative".to_string()),
        Ok(micros) => Ok(micros),
        Err(MoneyParseError::Empty) => Err("is empty".to_string()),
        Err(MoneyParseError::TooPrecise(_)) => Err("has more than 6 decimals".to_string()),
        Err(MoneyParseError::TooLarge(_)) => Err("is too large".to_string()),
        Err(_) => Err(format!("“{text}” is not an amount in dollars like 25 or 0.15")),
    }
}

/// Micros for an input: `12_500_000` → `12.50`.
pub fn dollars_input(micros: i64) -> String {
    format_decimal_micros(micros, 2)
}

/// Where a lead score falls: 70 and up is good, 40–69 medium, under 40 low.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreBand {
    Good,
    Medium,
    Low,
}

impl ScoreBand {
    pub fn of(score: u8) -> ScoreBand {
        match score {
            70.. => ScoreBand::Good,
            40..=69 => ScoreBand::Medium,
            _ => ScoreBand::Low,
        }
    }

    /// The badge's `data-band` and class suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreBand::Good => "good",
            ScoreBand::Medium => "medium",
            ScoreBand::Low => "low",
        }
    }

    pub fn tone(self) -> StatusTone {
        match self {
            ScoreBand::Good => StatusTone::Success,
            ScoreBand::Medium => StatusTone::Warning,
            ScoreBand::Low => StatusTone::Danger,
        }
    }
}

/// "Lead score 82".
pub fn lead_score_text(score: u8) -> String {
    format!("Lead score {score}")
}

/// "Positive +0.60".
pub fn sentiment_text(label: SentimentLabel, score: f64) -> String {
    let name = match label {
        SentimentLabel::Positive => "Positive",
        SentimentLabel::Neutral => "Neutral",
        SentimentLabel::Negative => "Negative",
    };
    format!("{name} {score:+.2}")
}

pub fn sentiment_tone(label: SentimentLabel) -> StatusTone {
    match label {
        SentimentLabel::Positive => StatusTone::Success,
        SentimentLabel::Neutral => StatusTone::Neutral,
        SentimentLabel::Negative => StatusTone::Danger,
    }
}

/// "850 ms", "1.2 s".
pub fn latency_text(ms: u64) -> String {
    if ms < 1_000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1_000.0) }
}

/// "1200 in · 300 out".
pub fn tokens_text(tokens_in: u64, tokens_out: u64) -> String {
    format!("{tokens_in} in · {tokens_out} out")
}

/// The question before running past the monthly budget.
pub fn over_budget_question(month_cost_micros: i64, budget_micros: i64) -> String {
    format!("This month's AI spend is {} of a {} budget. Run anyway?", usd(month_cost_micros), usd(budget_micros))
}

/// What the card says after an action was queued.
pub const QUEUED_TEXT: &str = "Queued until back online";

// ---------------------------------------------------------------------------------------------
// The record page's AI card

/// A run that asked before going past the budget.
#[derive(Debug, Clone, PartialEq)]
pub struct OverBudgetAsk {
    pub request: AiRunRequest,
    pub month_cost_micros: i64,
    pub budget_micros: i64,
}

impl OverBudgetAsk {
    pub fn question(&self) -> String {
        over_budget_question(self.month_cost_micros, self.budget_micros)
    }

    /// The same request, confirmed.
    pub fn confirmed(&self) -> AiRunRequest {
        AiRunRequest { allow_over_budget: true, ..self.request.clone() }
    }
}

/// How the card's last run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum LastRun {
    Done { result: Box<AiResult>, call: Box<AiCallView> },
    Queued { action: AiAction, operation: PendingOperation },
}

/// The AI card of one record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AiCard {
    /// `None` while loading.
    pub insights: Option<Result<AiInsights, String>>,
    /// The optional "Instructions" input.
    pub instructions: String,
    /// The action on its way (buttons wait, a spinner turns).
    pub running: Option<AiAction>,
    pub last: Option<LastRun>,
    /// Why the last run failed (also toasted).
    pub error: Option<String>,
    /// Asking whether to run past the budget.
    pub over_budget: Option<OverBudgetAsk>,
    /// Email drafts as edited here: id → (subject, body).
    pub drafts: BTreeMap<i64, (String, String)>,
    /// Results being saved as a note or dismissed.
    pub busy: BTreeSet<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CardAction {
    /// Boxed: the insights are far larger than the other actions.
    Insights(Result<Box<AiInsights>, String>),
    Instructions(String),
    /// A request went out (also the confirmed re-send).
    Started(AiAction),
    Finished(AiRunRequest, Result<AiRunOutcome, ApiError>),
    ConfirmOverBudget,
    CancelOverBudget,
    Subject(i64, String),
    Body(i64, String),
    ResultBusy(i64),
    /// Saved as a note or dismissed: off the unread list.
    ResultGone(i64),
    ResultFailed(i64, String),
    /// A command about the card failed (also toasted), e.g. opening a draft in the mail client.
    Error(String),
    DismissError,
}

impl AiCard {
    /// Texts and drafts waiting, newest first.
    pub fn unread(&self) -> &[AiResult] {
        match &self.insights {
            Some(Ok(insights)) => &insights.unread,
            _ => &[],
        }
    }

    pub fn enabled(&self) -> bool {
        matches!(&self.insights, Some(Ok(insights)) if insights.enabled)
    }

    /// The buttons take a click: AI is on and nothing runs or asks.
    pub fn can_run(&self) -> bool {
        self.enabled() && self.running.is_none() && self.over_budget.is_none()
    }

    /// The request for an action on the record, with the typed instructions.
    pub fn request(&self, action: AiAction, record: RecordRef) -> AiRunRequest {
        let instructions = Some(self.instructions.trim().to_string()).filter(|i| !i.is_empty());
        AiRunRequest { action, record, instructions, allow_over_budget: false }
    }

    /// A draft's subject and body as shown: edited here, else as the model wrote it.
    pub fn draft_text(&self, result: &AiResult) -> Option<(String, String)> {
        match &result.output {
            AiOutput::EmailDraft { subject, body } => {
                Some(self.drafts.get(&result.id).cloned().unwrap_or_else(|| (subject.clone(), body.clone())))
            }
            _ => None,
        }
    }

    /// The last result in full, unless it waits in the unread list below (texts and drafts).
    pub fn last_shown_in_full(&self) -> bool {
        match &self.last {
            Some(LastRun::Done { result, .. }) => !self.unread().iter().any(|r| r.id == result.id),
            _ => false,
        }
    }

    fn merge_result(&mut self, result: &AiResult) {
        let Some(Ok(insights)) = &mut self.insights else { return };
        match result.output {
            AiOutput::Sentiment { .. } => insights.sentiment = Some(result.clone()),
            AiOutput::LeadScore { .. } => insights.lead_score = Some(result.clone()),
            AiOutput::Text { .. } | AiOutput::EmailDraft { .. } => {
                if !insights.unread.iter().any(|r| r.id == result.id) {
                    insights.unread.insert(0, result.clone());
                }
            }
        }
    }

    pub fn apply(&self, action: CardAction) -> AiCard {
        let mut next = self.clone();
        match action {
            CardAction::Insights(Ok(insights)) => {
                next.drafts.retain(|id, _| insights.unread.iter().any(|r| r.id == *id));
                next.busy.retain(|id| insights.unread.iter().any(|r| r.id == *id));
                next.insights = Some(Ok(*insights));
            }
            CardAction::Insights(Err(message)) => {
                // Keep what is on screen when a reload fails; say so when there is nothing.
                if !matches!(next.insights, Some(Ok(_))) {
                    next.insights = Some(Err(message));
                }
            }
            CardAction::Instructions(text) => next.instructions = text,
            CardAction::Started(action) => {
                next.running = Some(action);
                next.error = None;
                next.over_budget = None;
            }
            CardAction::Finished(request, outcome) => {
                next.running = None;
                match outcome {
                    Ok(AiRunOutcome::Done { result, call }) => {
                        next.merge_result(&result);
                        next.last = Some(LastRun::Done { result, call });
                    }
                    Ok(AiRunOutcome::Queued { operation }) => {
                        if let Some(Ok(insights)) = &mut next.insights
                            && !insights.queued.iter().any(|q| q.outbox_id == operation.outbox_id)
                        {
                            insights.queued.push(operation.clone());
                        }
                        next.last = Some(LastRun::Queued { action: request.action, operation });
                    }
                    Ok(AiRunOutcome::OverBudget { month_cost_micros, budget_micros }) => {
                        next.over_budget = Some(OverBudgetAsk { request, month_cost_micros, budget_micros });
                    }
                    Err(error) => next.error = Some(error.message),
                }
            }
            CardAction::ConfirmOverBudget => {
                if let Some(ask) = next.over_budget.take() {
                    next.running = Some(ask.request.action);
                    next.error = None;
                }
            }
            CardAction::CancelOverBudget => next.over_budget = None,
            CardAction::Subject(id, subject) => {
                if let Some(result) = self.unread().iter().find(|r| r.id == id)
                    && let Some((_, body)) = self.draft_text(result)
                {
                    next.drafts.insert(id, (subject, body));
                }
            }
            CardAction::Body(id, body) => {
                if let Some(result) = self.unread().iter().find(|r| r.id == id)
                    && let Some((subject, _)) = self.draft_text(result)
                {
                    next.drafts.insert(id, (subject, body));
                }
            }
            CardAction::ResultBusy(id) => {
                next.busy.insert(id);
            }
            CardAction::ResultGone(id) => {
                next.busy.remove(&id);
                next.drafts.remove(&id);
                if let Some(Ok(insights)) = &mut next.insights {
                    insights.unread.retain(|r| r.id != id);
                }
            }
            CardAction::ResultFailed(id, message) => {
                next.busy.remove(&id);
                next.error = Some(message);
            }
            CardAction::Error(message) => next.error = Some(message),
            CardAction::DismissError => next.error = None,
        }
        next
    }
}

impl Reducible for AiCard {
    type Action = CardAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

// ---------------------------------------------------------------------------------------------
// Settings → AI

/// A row of the price table as typed (dollars per million tokens).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceRow {
    pub model: String,
    pub input: String,
    pub output: String,
}

/// Settings → AI as typed: numbers stay text until saved.
#[derive(Debug, Clone, PartialEq)]
pub struct AiSettingsForm {
    pub enabled: bool,
    pub provider: AiProviderKind,
    pub base_url: String,
    pub model: String,
    /// A new key to store (never the stored one: that stays in the keyring).
    pub api_key: String,
    pub clear_api_key: bool,
    pub max_requests_per_minute: String,
    pub timeout_secs: String,
    pub max_output_tokens: String,
    /// Dollars; empty = no budget.
    pub budget: String,
    pub prices: Vec<PriceRow>,
}

/// What is wrong with the form, per field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AiSettingsErrors {
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key: Option<String>,
    pub max_requests_per_minute: Option<String>,
    pub timeout_secs: Option<String>,
    pub max_output_tokens: Option<String>,
    pub budget: Option<String>,
    /// By price row.
    pub prices: BTreeMap<usize, String>,
}

impl AiSettingsErrors {
    pub fn is_empty(&self) -> bool {
        self == &AiSettingsErrors::default()
    }

    /// Every message, in form order.
    pub fn messages(&self) -> Vec<String> {
        [
            &self.base_url,
            &self.model,
            &self.api_key,
            &self.max_requests_per_minute,
            &self.timeout_secs,
            &self.max_output_tokens,
            &self.budget,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .chain(self.prices.values().cloned())
        .collect()
    }
}

pub const MAX_TIMEOUT_SECS: u32 = 3_600;
pub const MAX_OUTPUT_TOKENS: u32 = 1_000_000;

fn whole_number(text: &str, min: u32, max: u32) -> Option<u32> {
    text.trim().parse::<u32>().ok().filter(|n| (min..=max).contains(n))
}

impl AiSettingsForm {
    pub fn of(settings: &AiSettings) -> AiSettingsForm {
        AiSettingsForm {
            enabled: settings.enabled,
            provider: settings.provider,
            base_url: settings.base_url.clone(),
            model: settings.model.clone(),
            api_key: String::new(),
            clear_api_key: false,
            max_requests_per_minute: settings.max_requests_per_minute.to_string(),
            timeout_secs: settings.timeout_secs.to_string(),
            max_output_tokens: settings.max_output_tokens.to_string(),
            budget: settings.monthly_budget_micros.map(dollars_input).unwrap_or_default(),
            prices: settings
                .prices
                .iter()
                .map(|p| PriceRow {
                    model: p.model.clone(),
                    input: dollars_input(p.input_per_million_micros),
                    output: dollars_input(p.output_per_million_micros),
                })
                .collect(),
        }
    }

    /// Switches the provider; the base URL and model follow when they still hold the previous
    /// provider's defaults (or nothing), so a custom server or model is never overwritten.
    pub fn with_provider(&self, provider: AiProviderKind) -> AiSettingsForm {
        let mut next = self.clone();
        let old = self.provider;
        next.provider = provider;
        if old != provider {
            let url = self.base_url.trim();
            if url.is_empty() || url == old.default_base_url() {
                next.base_url = provider.default_base_url().to_string();
            }
            let model = self.model.trim();
            if model.is_empty() || model == old.default_model() {
                next.model = provider.default_model().to_string();
            }
        }
        next
    }

    /// The save request, or what to fix first.
    pub fn validate(&self) -> Result<SaveAiSettings, Box<AiSettingsErrors>> {
        let mut errors = AiSettingsErrors::default();
        let base_url = self.base_url.trim().trim_end_matches('/').to_string();
        let lower = base_url.to_ascii_lowercase();
        let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
        if base_url.is_empty() {
            errors.base_url = Some(format!("Enter the provider's base URL, e.g. {}", self.provider.default_base_url()));
        } else if base_url.chars().any(char::is_whitespace) {
            errors.base_url = Some("The base URL cannot contain spaces".to_string());
        } else if rest.is_none() {
            errors.base_url = Some("The base URL must start with http:// or https://".to_string());
        } else if rest.is_some_and(|r| r.is_empty() || r.starts_with('/')) {
            errors.base_url = Some("The base URL needs a host after http:// or https://".to_string());
        }
        let model = self.model.trim().to_string();
        if model.is_empty() {
            errors.model = Some(format!("Enter a model name, e.g. {}", self.provider.default_model()));
        }
        let api_key = self.api_key.trim().to_string();
        if !self.clear_api_key && api_key.chars().any(char::is_whitespace) {
            errors.api_key = Some("An API key has no spaces or line breaks".to_string());
        }
        let max_requests_per_minute = whole_number(&self.max_requests_per_minute, 0, 1_000_000);
        if max_requests_per_minute.is_none() {
            errors.max_requests_per_minute =
                Some("Requests per minute must be a whole number, 0 or more (0 = no limit)".to_string());
        }
        let timeout_secs = whole_number(&self.timeout_secs, 1, MAX_TIMEOUT_SECS);
        if timeout_secs.is_none() {
            errors.timeout_secs =
                Some(format!("The timeout must be a whole number of seconds from 1 to {MAX_TIMEOUT_SECS}"));
        }
        let max_output_tokens = whole_number(&self.max_output_tokens, 1, MAX_OUTPUT_TOKENS);
        if max_output_tokens.is_none() {
            errors.max_output_tokens =
                Some(format!("Max output tokens must be a whole number from 1 to {MAX_OUTPUT_TOKENS}"));
        }
        let monthly_budget_micros = if self.budget.trim().is_empty() {
            None
        } else {
            match parse_dollars(&self.budget) {
                Ok(micros) => Some(micros),
                Err(why) => {
                    errors.budget = Some(format!("The monthly budget {why} (leave it empty for no budget)"));
                    None
                }
            }
        };
        let mut prices = Vec::with_capacity(self.prices.len());
        let mut seen = BTreeSet::new();
        for (i, row) in self.prices.iter().enumerate() {
            let which = format!("Price row {}", i + 1);
            let name = row.model.trim();
            let problem = if name.is_empty() {
                Some(format!("{which}: enter a model name, or a prefix ending in * (gpt-4o*)"))
            } else if name.trim_end_matches('*').contains('*') || name.chars().any(char::is_whitespace) {
                Some(format!("{which}: “{name}” is not a model name (a * may only end a prefix)"))
            } else if !seen.insert(name.to_string()) {
                Some(format!("{which}: {name} is listed twice"))
            } else {
                None
            };
            if let Some(problem) = problem {
                errors.prices.insert(i, problem);
                continue;
            }
            match (parse_dollars(&row.input), parse_dollars(&row.output)) {
                (Ok(input), Ok(output)) => prices.push(ModelPrice {
                    model: name.to_string(),
                    input_per_million_micros: input,
                    output_per_million_micros: output,
                }),
                (Err(why), _) => {
                    errors.prices.insert(i, format!("{which} ({name}): the input price {why}"));
                }
                (_, Err(why)) => {
                    errors.prices.insert(i, format!("{which} ({name}): the output price {why}"));
                }
            }
        }
        match (errors.is_empty(), max_requests_per_minute, timeout_secs, max_output_tokens) {
            (true, Some(max_requests_per_minute), Some(timeout_secs), Some(max_output_tokens)) => Ok(SaveAiSettings {
                settings: AiSettings {
                    enabled: self.enabled,
                    provider: self.provider,
                    base_url,
                    model,
                    max_requests_per_minute,
                    timeout_secs,
                    max_output_tokens,
                    monthly_budget_micros,
                    prices,
                },
                api_key: Some(api_key).filter(|k| !k.is_empty() && !self.clear_api_key),
                clear_api_key: self.clear_api_key,
            }),
            _ => Err(Box::new(errors)),
        }
    }
}

/// One change in Settings → AI.
#[derive(Debug, Clone, PartialEq)]
pub enum FormEdit {
    Enabled(bool),
    Provider(AiProviderKind),
    BaseUrl(String),
    Model(String),
    ApiKey(String),
    ClearKey(bool),
    MaxRequestsPerMinute(String),
    TimeoutSecs(String),
    MaxOutputTokens(String),
    Budget(String),
    PriceModel(usize, String),
    PriceInput(usize, String),
    PriceOutput(usize, String),
    AddPrice,
    RemovePrice(usize),
}

impl AiSettingsForm {
    pub fn edit(&self, edit: FormEdit) -> AiSettingsForm {
        if let FormEdit::Provider(provider) = edit {
            return self.with_provider(provider);
        }
        let mut next = self.clone();
        match edit {
            FormEdit::Provider(_) => {}
            FormEdit::Enabled(on) => next.enabled = on,
            FormEdit::BaseUrl(text) => next.base_url = text,
            FormEdit::Model(text) => next.model = text,
            FormEdit::ApiKey(text) => {
                if !text.is_empty() {
                    next.clear_api_key = false;
                }
                next.api_key = text;
            }
            FormEdit::ClearKey(clear) => {
                next.clear_api_key = clear;
                if clear {
                    next.api_key.clear();
                }
            }
            FormEdit::MaxRequestsPerMinute(text) => next.max_requests_per_minute = text,
            FormEdit::TimeoutSecs(text) => next.timeout_secs = text,
            FormEdit::MaxOutputTokens(text) => next.max_output_tokens = text,
            FormEdit::Budget(text) => next.budget = text,
            FormEdit::PriceModel(i, text) => {
                if let Some(row) = next.prices.get_mut(i) {
                    row.model = text;
                }
            }
            FormEdit::PriceInput(i, text) => {
                if let Some(row) = next.prices.get_mut(i) {
                    row.input = text;
                }
            }
            FormEdit::PriceOutput(i, text) => {
                if let Some(row) = next.prices.get_mut(i) {
                    row.output = text;
                }
            }
            FormEdit::AddPrice => next.prices.push(PriceRow::default()),
            FormEdit::RemovePrice(i) => {
                if i < next.prices.len() {
                    next.prices.remove(i);
                }
            }
        }
        next
    }
}

/// What the API key line says.
pub fn key_text(has_api_key: bool, form: &AiSettingsForm) -> &'static str {
    if form.clear_api_key {
        "The stored key is removed when you save."
    } else if !form.api_key.trim().is_empty() {
        "The new key replaces the stored one when you save."
    } else if has_api_key {
        "A key is stored in the OS keyring."
    } else {
        "No key stored. Local servers (Ollama, llama.cpp) need none."
    }
}

/// Settings that differ in force from what is saved (the environment's doing): label and value.
pub fn effective_differences(saved: &AiSettings, effective: &AiSettings) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if saved.enabled != effective.enabled {
        out.push(("Enabled", if effective.enabled { "yes" } else { "no" }.to_string()));
    }
    if saved.provider != effective.provider {
        out.push(("Provider", effective.provider.label().to_string()));
    }
    if saved.base_url != effective.base_url {
        out.push(("Base URL", effective.base_url.clone()));
    }
    if saved.model != effective.model {
        out.push(("Model", effective.model.clone()));
    }
    if saved.max_requests_per_minute != effective.max_requests_per_minute {
        out.push(("Requests per minute", effective.max_requests_per_minute.to_string()));
    }
    if saved.timeout_secs != effective.timeout_secs {
        out.push(("Timeout", format!("{} s", effective.timeout_secs)));
    }
    if saved.max_output_tokens != effective.max_output_tokens {
        out.push(("Max output tokens", effective.max_output_tokens.to_string()));
    }
    if saved.monthly_budget_micros != effective.monthly_budget_micros {
        out.push(("Monthly budget", effective.monthly_budget_micros.map(usd).unwrap_or_else(|| "none".into())));
    }
    out
}

/// Settings → AI: the status, the form, saving and testing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AiSettingsView {
    pub status: Option<AiStatus>,
    pub load_error: Option<String>,
    pub form: Option<AiSettingsForm>,
    pub errors: AiSettingsErrors,
    pub saving: bool,
    pub save_error: Option<String>,
    pub testing: bool,
    pub test: Option<Result<AiConnectionTest, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SettingsAction {
    /// Boxed: the status is much larger than the other actions.
    Loaded(Result<Box<AiStatus>, String>),
    Edit(FormEdit),
    /// Back to what is saved.
    Discard,
    Invalid(Box<AiSettingsErrors>),
    Saving,
    Saved(Box<AiStatus>),
    SaveFailed(String),
    Testing,
    Tested(Result<AiConnectionTest, String>),
}

impl AiSettingsView {
    /// The form differs from what is saved.
    pub fn dirty(&self) -> bool {
        match (&self.form, &self.status) {
            (Some(form), Some(status)) => *form != AiSettingsForm::of(&status.settings),
            _ => false,
        }
    }

    pub fn apply(&self, action: SettingsAction) -> AiSettingsView {
        let mut next = self.clone();
        match action {
            SettingsAction::Loaded(Ok(status)) => {
                // A reload (another window, the CLI) replaces the form unless it is being edited.
                if next.form.is_none() || !self.dirty() {
                    next.form = Some(AiSettingsForm::of(&status.settings));
                }
                next.status = Some(*status);
                next.load_error = None;
            }
            SettingsAction::Loaded(Err(message)) => next.load_error = Some(message),
            SettingsAction::Edit(edit) => {
                if let Some(form) = &self.form {
                    let form = form.edit(edit);
                    // Messages clear as the user fixes things; Save checks again.
                    if !next.errors.is_empty() {
                        next.errors = form.validate().err().map(|e| *e).unwrap_or_default();
                    }
                    next.form = Some(form);
                }
                next.save_error = None;
            }
            SettingsAction::Discard => {
                next.form = self.status.as_ref().map(|s| AiSettingsForm::of(&s.settings));
                next.errors = AiSettingsErrors::default();
                next.save_error = None;
            }
            SettingsAction::Invalid(errors) => next.errors = *errors,
            SettingsAction::Saving => {
                next.saving = true;
                next.errors = AiSettingsErrors::default();
                next.save_error = None;
            }
            SettingsAction::Saved(status) => {
                next.saving = false;
                next.form = Some(AiSettingsForm::of(&status.settings));
                next.status = Some(*status);
                next.test = None;
            }
            SettingsAction::SaveFailed(message) => {
                next.saving = false;
                next.save_error = Some(message);
            }
            SettingsAction::Testing => {
                next.testing = true;
                next.test = None;
            }
            SettingsAction::Tested(result) => {
                next.testing = false;
                next.test = Some(result);
            }
        }
        next
    }
}

impl Reducible for AiSettingsView {
    type Action = SettingsAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

// ---------------------------------------------------------------------------------------------
// Usage

/// "$1.2345 of a $10.00 budget (12%)" or "$0.0123 · no budget".
pub fn budget_text(month_cost_micros: i64, budget_micros: Option<i64>) -> String {
    match budget_micros {
        Some(budget) => match budget_percent(month_cost_micros, budget) {
            Some(percent) => format!("{} of a {} budget ({percent}%)", usd(month_cost_micros), usd(budget)),
            None => format!("{} of a {} budget", usd(month_cost_micros), usd(budget)),
        },
        None => format!("{} · no budget", usd(month_cost_micros)),
    }
}

/// How much of the budget is spent, in whole percent (past 100 when over).
pub fn budget_percent(month_cost_micros: i64, budget_micros: i64) -> Option<u64> {
    (budget_micros > 0).then(|| (month_cost_micros.max(0) as u128 * 100 / budget_micros as u128) as u64)
}

/// A day key (`2026-11-26`) as an axis label: the day of the month.
pub fn day_label(key: &str) -> String {
    match key.get(8..10) {
        Some(day) if key.len() == 10 => day.trim_start_matches('0').to_string(),
        _ => key.to_string(),
    }
}

/// The calls-per-day chart's data.
pub fn calls_per_day(rows: &[AiUsageRow]) -> Vec<(String, f64, String)> {
    rows.iter()
        .map(|r| {
            let failed = if r.failed > 0 { format!(", {} failed", r.failed) } else { String::new() };
            (day_label(&r.key), r.calls as f64, format!("{} calls{failed} on {}", r.calls, r.key))
        })
        .collect()
}

/// The cost-per-day chart's data.
pub fn cost_per_day(rows: &[AiUsageRow]) -> Vec<(String, f64, String)> {
    rows.iter()
        .map(|r| (day_label(&r.key), r.cost_micros as f64, format!("{} on {}", usd(r.cost_micros), r.key)))
        .collect()
}

/// An action's key in the usage report as its label.
pub fn action_label(key: &str) -> String {
    AiAction::parse(key).map(|a| a.label().to_string()).unwrap_or_else(|| key.to_string())
}

/// A record link's text: `Person 0190a1b2`.
pub fn record_text(record: &RecordRef) -> String {
    let id = record.id.simple().to_string();
    format!("{} {}", record.kind.label(), &id[..8])
}

// ---------------------------------------------------------------------------------------------
// Prompt templates

/// Templates by action (all four, in `AiAction::ALL` order): the active one first, then by name.
pub fn group_templates(templates: &[PromptTemplate]) -> Vec<(AiAction, Vec<PromptTemplate>)> {
    AiAction::ALL
        .into_iter()
        .map(|action| {
            let mut list: Vec<PromptTemplate> = templates.iter().filter(|t| t.action == action).cloned().collect();
            list.sort_by(|a, b| {
                b.active.cmp(&a.active).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            });
            (action, list)
        })
        .collect()
}

/// The record kind a preview starts on (the user may pick another).
pub fn natural_kind(action: AiAction) -> RecordKind {
    match action {
        AiAction::ScoreLead | AiAction::DraftEmail => RecordKind::Person,
        AiAction::GenerateText | AiAction::Sentiment => RecordKind::Person,
    }
}

/// The kinds a preview can run on.
pub const PREVIEW_KINDS: [RecordKind; 3] = [RecordKind::Person, RecordKind::Company, RecordKind::Deal];

/// A template in the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateDraft {
    /// `None`: a new template.
    pub id: Option<Uuid>,
    pub action: AiAction,
    pub name: String,
    pub system: String,
    pub user: String,
    /// The version the editor started from.
    pub version: Option<u32>,
    pub builtin: bool,
}

/// What is wrong with a template draft.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateErrors {
    pub name: Option<String>,
    pub user: Option<String>,
}

impl TemplateErrors {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.user.is_none()
    }
}

impl TemplateDraft {
    pub fn of(t: &PromptTemplate) -> TemplateDraft {
        TemplateDraft {
            id: Some(t.id),
            action: t.action,
            name: t.name.clone(),
            system: t.system.clone(),
            user: t.user.clone(),
            version: Some(t.version),
            builtin: t.builtin,
        }
    }

    /// A new template for an action, starting from another's text when given.
    pub fn new_for(action: AiAction, from: Option<&PromptTemplate>) -> TemplateDraft {
        TemplateDraft {
            id: None,
            action,
            name: from.map(|t| format!("Copy of {}", t.name)).unwrap_or_default(),
            system: from.map(|t| t.system.clone()).unwrap_or_default(),
            user: from.map(|t| t.user.clone()).unwrap_or_default(),
            version: None,
            builtin: false,
        }
    }

    /// The text differs from the template it started from.
    pub fn changed_from(&self, t: &PromptTemplate) -> bool {
        self.name != t.name || self.system != t.system || self.user != t.user
    }

    pub fn validate(&self) -> Result<SavePromptTemplate, TemplateErrors> {
        let mut errors = TemplateErrors::default();
        if self.name.trim().is_empty() {
            errors.name = Some("Name the template".to_string());
        }
        if self.user.trim().is_empty() {
            errors.user = Some("The user prompt is empty: write what the model should do".to_string());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SavePromptTemplate {
            id: self.id,
            action: self.action,
            name: self.name.trim().to_string(),
            system: self.system.clone(),
            user: self.user.clone(),
        })
    }
}

/// Restore: a version's text saved again as the newest version.
pub fn restore_request(version: &PromptTemplate) -> SavePromptTemplate {
    SavePromptTemplate {
        id: Some(version.id),
        action: version.action,
        name: version.name.clone(),
        system: version.system.clone(),
        user: version.user.clone(),
    }
}

/// "~120 tokens".
pub fn tokens_estimate_text(tokens: u64) -> String {
    format!("~{tokens} tokens")
}

/// The warning about fields the record kind lacks.
pub fn unknown_fields_text(fields: &[String], kind: RecordKind) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let list = fields.iter().map(|f| format!("{{{{{f}}}}}")).collect::<Vec<_>>().join(", ");
    Some(format!("Not a field of a {}: {list} (rendered empty)", kind.label().to_lowercase()))
}

// ---------------------------------------------------------------------------------------------
// Merge-field autocomplete

/// A `{{` being typed before the cursor: where it starts (a byte index) and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeQuery {
    pub start: usize,
    pub query: String,
}

/// The `{{partial` just before `cursor` (a byte index), if the user is typing a merge field.
pub fn merge_query(text: &str, cursor: usize) -> Option<MergeQuery> {
    let before = text.get(..cursor)?;
    let start = before.rfind("{{")?;
    let query = &before[start + 2..];
    query
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
        .then(|| MergeQuery { start, query: query.to_string() })
}

/// The fields matching what is typed: names starting with it first, then names containing it.
pub fn filter_fields<'a>(fields: &'a [MergeField], query: &str) -> Vec<&'a MergeField> {
    let q = query.to_lowercase();
    let mut starts: Vec<&MergeField> = Vec::new();
    let mut contains: Vec<&MergeField> = Vec::new();
    for field in fields {
        let name = field.name.to_lowercase();
        if name.starts_with(&q) {
            starts.push(field);
        } else if name.contains(&q) {
            contains.push(field);
        }
    }
    starts.extend(contains);
    starts
}

/// Replaces the `{{partial` before `cursor` with `{{name}}` (swallowing a `}}` already after the
/// cursor); answers the new text and the cursor after the field (byte indexes).
pub fn insert_field(text: &str, query: &MergeQuery, cursor: usize, name: &str) -> (String, usize) {
    let head = text.get(..query.start).unwrap_or(text);
    let tail = text.get(cursor..).unwrap_or("");
    let tail = tail.strip_prefix("}}").unwrap_or(tail);
    let field = format!("{{{{{name}}}}}");
    let at = head.len() + field.len();
    (format!("{head}{field}{tail}"), at)
}

/// A textarea's cursor (UTF-16 code units) as a byte index into `text`.
pub fn byte_index(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// A byte index as a textarea position (UTF-16 code units).
pub fn utf16_index(text: &str, byte: usize) -> usize {
    text.get(..byte.min(text.len())).map(|s| s.encode_utf16().count()).unwrap_or_else(|| text.encode_utf16().count())
}

/// The autocomplete menu: which textarea, where the `{{` is, and the highlighted choice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeMenu {
    pub open: Option<MergeQuery>,
    pub cursor: usize,
    pub selected: usize,
}

impl MergeMenu {
    /// After typing or moving the cursor.
    pub fn at(text: &str, cursor: usize) -> MergeMenu {
        MergeMenu { open: merge_query(text, cursor), cursor, selected: 0 }
    }

    /// Arrow keys: moves the highlight within `count` choices.
    pub fn moved(&self, down: bool, count: usize) -> MergeMenu {
        let mut next = self.clone();
        if count > 0 {
            next.selected = if down { (self.selected + 1) % count } else { (self.selected + count - 1) % count };
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealdesk_model::outbox::OutboxStatus;

    fn record() -> RecordRef {
        RecordRef { kind: RecordKind::Person, id: Uuid::from_u128(0x0190_a1b2_0000_0000_0000_0000_0000_0001) }
    }

    fn result(id: i64, output: AiOutput) -> AiResult {
        AiResult {
            id,
            record: record(),
            output,
            created_at: "2026-11-26T10:00:00Z".into(),
            model: "gpt-4o-mini".into(),
            workflow_run: None,
        }
    }

    fn call(action: AiAction) -> AiCallView {
        AiCallView {
            id: 7,
            at: "2026-11-26T10:00:00Z".into(),
            provider: AiProviderKind::OpenAi,
            model: "gpt-4o-mini".into(),
            action,
            record: Some(record()),
            tokens_in: 1200,
            tokens_out: 80,
            cost_micros: 228,
            latency_ms: 850,
            outcome: dealdesk_model::ai::AiCallOutcome::Ok,
            error: None,
        }
    }

    fn insights() -> AiInsights {
        AiInsights { enabled: true, ..Default::default() }
    }

    #[test]
    fn money_has_four_decimals_under_a_dollar() {
        assert_eq!(usd(12_300), "$0.0123");
        assert_eq!(usd(0), "$0.0000");
        assert_eq!(usd(49), "$0.0000");
        assert_eq!(usd(50), "$0.0001");
        assert_eq!(usd(999_900), "$0.9999");
        assert_eq!(usd(999_960), "$1.00");
        assert_eq!(usd(1_000_000), "$1.00");
        assert_eq!(usd(12_345_678), "$12.35");
        assert_eq!(usd(-12_300), "-$0.0123");
        assert_eq!(dollars_input(150_000), "0.15");
        assert_eq!(dollars_input(10_000_000), "10.00");
        assert_eq!(parse_dollars(" $2.50 "), Ok(2_500_000));
        assert!(parse_dollars("-1").unwrap_err().contains("negative"));
        assert!(parse_dollars("ten").unwrap_err().contains("not an amount"));
    }

    #[test]
    fn badges_read_and_colour_by_band() {
        assert_eq!(lead_score_text(82), "Lead score 82");
        assert_eq!(ScoreBand::of(82), ScoreBand::Good);
        assert_eq!(ScoreBand::of(70), ScoreBand::Good);
        assert_eq!(ScoreBand::of(69), ScoreBand::Medium);
        assert_eq!(ScoreBand::of(40), ScoreBand::Medium);
        assert_eq!(ScoreBand::of(39), ScoreBand::Low);
        assert_eq!(ScoreBand::of(0).as_str(), "low");
        assert_eq!(ScoreBand::Medium.tone(), StatusTone::Warning);
        assert_eq!(sentiment_text(SentimentLabel::Positive, 0.6), "Positive +0.60");
        assert_eq!(sentiment_text(SentimentLabel::Negative, -0.25), "Negative -0.25");
        assert_eq!(sentiment_text(SentimentLabel::Neutral, 0.0), "Neutral +0.00");
        assert_eq!(latency_text(850), "850 ms");
        assert_eq!(latency_text(1_234), "1.2 s");
        assert_eq!(
            over_budget_question(10_500_000, 10_000_000),
            "This month's AI spend is $10.50 of a $10.00 budget. Run anyway?"
        );
    }

    #[test]
    fn a_run_ends_done_queued_over_budget_or_failed() {
        let card = AiCard::default().apply(CardAction::Insights(Ok(Box::new(insights()))));
        assert!(card.can_run());
        let card = card.apply(CardAction::Instructions("  be brief ".into()));
        let request = card.request(AiAction::ScoreLead, record());
        assert_eq!(request.instructions.as_deref(), Some("be brief"));
        assert!(!request.allow_over_budget);

        let running = card.apply(CardAction::Started(AiAction::ScoreLead));
        assert!(!running.can_run());
        assert_eq!(running.running, Some(AiAction::ScoreLead));

        // Done: the score shows at once.
        let score = result(1, AiOutput::LeadScore { score: 82, reasons: vec!["CTO".into()] });
        let done = running.apply(CardAction::Finished(
            request.clone(),
            Ok(AiRunOutcome::Done { result: Box::new(score.clone()), call: Box::new(call(AiAction::ScoreLead)) }),
        ));
        assert!(done.can_run());
        assert_eq!(done.insights.clone().unwrap().unwrap().lead_score, Some(score));
        assert!(done.last_shown_in_full());

        // Queued: listed under the card.
        let op = PendingOperation {
            outbox_id: 9,
            summary: "Score lead".into(),
            status: OutboxStatus::Pending,
            last_error: None,
        };
        let queued =
            running.apply(CardAction::Finished(request.clone(), Ok(AiRunOutcome::Queued { operation: op.clone() })));
        assert_eq!(queued.insights.clone().unwrap().unwrap().queued, vec![op.clone()]);
        assert_eq!(queued.last, Some(LastRun::Queued { action: AiAction::ScoreLead, operation: op }));

        // Over budget: ask, then send the same request confirmed.
        let asking = running.apply(CardAction::Finished(
            request.clone(),
            Ok(AiRunOutcome::OverBudget { month_cost_micros: 12_000_000, budget_micros: 10_000_000 }),
        ));
        let ask = asking.over_budget.clone().unwrap();
        assert!(!asking.can_run());
        assert_eq!(ask.question(), "This month's AI spend is $12.00 of a $10.00 budget. Run anyway?");
        assert_eq!(ask.confirmed(), AiRunRequest { allow_over_budget: true, ..request.clone() });
        let confirmed = asking.apply(CardAction::ConfirmOverBudget);
        assert_eq!((confirmed.running, confirmed.over_budget.clone()), (Some(AiAction::ScoreLead), None));
        assert!(asking.apply(CardAction::CancelOverBudget).can_run());

        // Failed: the message stays in the card.
        let failed = running.apply(CardAction::Finished(
            request,
            Err(ApiError::new(dealdesk_model::ErrorCode::Internal, "the provider answered 401")),
        ));
        assert_eq!(failed.error.as_deref(), Some("the provider answered 401"));
        assert!(failed.can_run());
    }

    #[test]
    fn unread_drafts_edit_and_leave() {
        let draft = result(5, AiOutput::EmailDraft { subject: "Hello".into(), body: "Body".into() });
        let text = result(4, AiOutput::Text { text: "Summary".into() });
        let mut i = insights();
        i.unread = vec![draft.clone(), text.clone()];
        let card = AiCard::default().apply(CardAction::Insights(Ok(Box::new(i.clone()))));
        assert_eq!(card.draft_text(&draft), Some(("Hello".into(), "Body".into())));
        assert_eq!(card.draft_text(&text), None);
        let card = card.apply(CardAction::Subject(5, "Hi".into())).apply(CardAction::Body(5, "New body".into()));
        assert_eq!(card.draft_text(&draft), Some(("Hi".into(), "New body".into())));
        // A reload keeps the edits of drafts still unread.
        let card = card.apply(CardAction::Insights(Ok(Box::new(i))));
        assert_eq!(card.draft_text(&draft), Some(("Hi".into(), "New body".into())));
        // Opening it in the mail client failed: the card says why and the draft stays as edited.
        let refused =
            card.apply(CardAction::Error("Cannot open the mail client: \"a@\" is not an email address".into()));
        assert_eq!(refused.error.as_deref(), Some("Cannot open the mail client: \"a@\" is not an email address"));
        assert_eq!(refused.draft_text(&draft), Some(("Hi".into(), "New body".into())));
        assert_eq!(refused.apply(CardAction::DismissError).error, None);
        // Saving a text as a note failed: it stays unread and can be tried again.
        let failed = card.apply(CardAction::ResultBusy(4)).apply(CardAction::ResultFailed(4, "Cannot save".into()));
        assert!(failed.busy.is_empty() && failed.unread().len() == 2);
        assert_eq!(failed.error.as_deref(), Some("Cannot save"));
        let card = card.apply(CardAction::ResultBusy(5)).apply(CardAction::ResultGone(5));
        assert_eq!(card.unread(), std::slice::from_ref(&text));
        assert!(card.drafts.is_empty() && card.busy.is_empty());
        // A result that waits in the unread list is not repeated in full above it.
        let done = card.apply(CardAction::Finished(
            card.request(AiAction::GenerateText, record()),
            Ok(AiRunOutcome::Done { result: Box::new(text.clone()), call: Box::new(call(AiAction::GenerateText)) }),
        ));
        assert!(!done.last_shown_in_full());
        assert_eq!(done.unread().len(), 1);
        // AI off: nothing runs.
        let off = AiCard::default().apply(CardAction::Insights(Ok(Box::default())));
        assert!(!off.can_run());
        // A failed reload keeps what is shown.
        let kept = done.apply(CardAction::Insights(Err("gone".into())));
        assert!(matches!(kept.insights, Some(Ok(_))));
    }

    fn form() -> AiSettingsForm {
        AiSettingsForm::of(&AiSettings::default())
    }

    #[test]
    fn settings_round_trip_through_the_form() {
        let settings = AiSettings { monthly_budget_micros: Some(25_000_000), ..Default::default() };
        let form = AiSettingsForm::of(&settings);
        assert_eq!(form.budget, "25.00");
        assert_eq!(
            form.prices[0],
            PriceRow { model: "gpt-4o-mini*".into(), input: "0.15".into(), output: "0.60".into() }
        );
        let save = form.validate().unwrap();
        assert_eq!(save.settings, settings);
        assert_eq!((save.api_key, save.clear_api_key), (None, false));
        let with_key = AiSettingsForm { api_key: " sk-123 ".into(), budget: String::new(), ..form.clone() };
        let save = with_key.validate().unwrap();
        assert_eq!(save.api_key.as_deref(), Some("sk-123"));
        assert_eq!(save.settings.monthly_budget_micros, None);
        let clear = AiSettingsForm { clear_api_key: true, ..with_key };
        let save = clear.validate().unwrap();
        assert_eq!((save.api_key, save.clear_api_key), (None, true));
        assert_eq!(key_text(true, &clear), "The stored key is removed when you save.");
        assert_eq!(key_text(true, &form), "A key is stored in the OS keyring.");
    }

    #[test]
    fn form_edits_touch_one_field() {
        let f = form()
            .edit(FormEdit::AddPrice)
            .edit(FormEdit::PriceModel(6, "llama3*".into()))
            .edit(FormEdit::PriceInput(6, "0".into()))
            .edit(FormEdit::PriceOutput(6, "0".into()))
            .edit(FormEdit::RemovePrice(0))
            .edit(FormEdit::Budget("5".into()))
            .edit(FormEdit::Provider(AiProviderKind::Anthropic));
        assert_eq!(f.prices.len(), 6);
        assert_eq!(f.prices[5], PriceRow { model: "llama3*".into(), input: "0".into(), output: "0".into() });
        assert_eq!(f.model, "claude-3-5-haiku-latest");
        assert_eq!(f.validate().unwrap().settings.monthly_budget_micros, Some(5_000_000));
        let key = f.edit(FormEdit::ClearKey(true));
        assert!(key.clear_api_key);
        let typed = key.edit(FormEdit::ApiKey("sk-new".into()));
        assert!(!typed.clear_api_key);
        assert_eq!(typed.edit(FormEdit::ClearKey(true)).api_key, "");
        assert_eq!(f.edit(FormEdit::RemovePrice(99)), f);
        // Fixing a field clears its message.
        let v = AiSettingsView { form: Some(form()), ..Default::default() }
            .apply(SettingsAction::Edit(FormEdit::TimeoutSecs("0".into())));
        let v = v.apply(SettingsAction::Invalid(v.form.as_ref().unwrap().validate().unwrap_err()));
        assert!(v.errors.timeout_secs.is_some());
        let v = v.apply(SettingsAction::Edit(FormEdit::TimeoutSecs("30".into())));
        assert!(v.errors.is_empty());
    }

    #[test]
    fn switching_provider_proposes_its_defaults_only_over_defaults() {
        let f = form().with_provider(AiProviderKind::Anthropic);
        assert_eq!((f.base_url.as_str(), f.model.as_str()), ("https://api.anthropic.com", "claude-3-5-haiku-latest"));
        let back = f.with_provider(AiProviderKind::OpenAi);
        assert_eq!((back.base_url.as_str(), back.model.as_str()), ("https://api.openai.com/v1", "gpt-4o-mini"));
        let custom = AiSettingsForm { base_url: "http://localhost:11434/v1".into(), model: "llama3".into(), ..form() };
        let kept = custom.with_provider(AiProviderKind::Anthropic);
        assert_eq!((kept.base_url.as_str(), kept.model.as_str()), ("http://localhost:11434/v1", "llama3"));
        let empty = AiSettingsForm { model: " ".into(), ..custom }.with_provider(AiProviderKind::Anthropic);
        assert_eq!(empty.model, "claude-3-5-haiku-latest");
    }

    #[test]
    fn settings_are_checked_with_clear_messages() {
        let bad = AiSettingsForm {
            base_url: "api.openai.com".into(),
            model: "".into(),
            api_key: "sk 1".into(),
            max_requests_per_minute: "-1".into(),
            timeout_secs: "0".into(),
            max_output_tokens: "lots".into(),
            budget: "-5".into(),
            prices: vec![
                PriceRow { model: "".into(), input: "1".into(), output: "1".into() },
                PriceRow { model: "a*b".into(), input: "1".into(), output: "1".into() },
                PriceRow { model: "m".into(), input: "x".into(), output: "1".into() },
                PriceRow { model: "m".into(), input: "1".into(), output: "1".into() },
                PriceRow { model: "n".into(), input: "1".into(), output: "-1".into() },
            ],
            ..form()
        };
        let e = bad.validate().unwrap_err();
        assert_eq!(e.base_url.as_deref(), Some("The base URL must start with http:// or https://"));
        assert_eq!(e.model.as_deref(), Some("Enter a model name, e.g. gpt-4o-mini"));
        assert!(e.api_key.is_some());
        assert!(e.max_requests_per_minute.as_deref().unwrap().contains("0 or more"));
        assert!(e.timeout_secs.as_deref().unwrap().contains("from 1 to 3600"));
        assert!(e.max_output_tokens.is_some());
        assert!(e.budget.as_deref().unwrap().contains("cannot be negative"));
        assert!(e.prices[&0].contains("enter a model name"));
        assert!(e.prices[&1].contains("a * may only end a prefix"));
        assert!(e.prices[&2].contains("the input price “x” is not an amount"));
        assert!(e.prices[&3].contains("listed twice"));
        assert!(e.prices[&4].contains("output price cannot be negative"));
        assert_eq!(e.messages().len(), 12);
        let host = AiSettingsForm { base_url: "https:///v1".into(), ..form() }.validate().unwrap_err();
        assert!(host.base_url.unwrap().contains("needs a host"));
        let spaces = AiSettingsForm { base_url: "http://a b".into(), ..form() }.validate().unwrap_err();
        assert!(spaces.base_url.unwrap().contains("spaces"));
        let trailing = AiSettingsForm { base_url: "http://localhost:11434/v1/".into(), ..form() }.validate().unwrap();
        assert_eq!(trailing.settings.base_url, "http://localhost:11434/v1");
        let dup = AiSettingsForm {
            prices: vec![
                PriceRow { model: "m".into(), input: "1".into(), output: "1".into() },
                PriceRow { model: "m".into(), input: "1".into(), output: "1".into() },
            ],
            ..form()
        };
        assert_eq!(dup.validate().unwrap_err().prices[&1], "Price row 2: m is listed twice");
    }

    #[test]
    fn the_settings_view_keeps_edits_across_reloads() {
        let status = |model: &str| AiStatus {
            settings: AiSettings { model: model.into(), ..Default::default() },
            effective: AiSettings { model: "env-model".into(), ..Default::default() },
            env_overrides: vec!["DEALDESK_AI_MODEL".into()],
            has_api_key: false,
            disabled_by_env: false,
            month_cost_micros: 0,
            over_budget: false,
        };
        let v = AiSettingsView::default().apply(SettingsAction::Loaded(Ok(Box::new(status("a")))));
        assert!(!v.dirty());
        assert_eq!(v.form.as_ref().unwrap().model, "a");
        let v = v.apply(SettingsAction::Loaded(Ok(Box::new(status("b")))));
        assert_eq!(v.form.as_ref().unwrap().model, "b");
        let v = v.apply(SettingsAction::Edit(FormEdit::Model("mine".into())));
        assert!(v.dirty());
        let undone = v.apply(SettingsAction::Discard);
        assert!(!undone.dirty());
        let v = v.apply(SettingsAction::Loaded(Ok(Box::new(status("c")))));
        assert_eq!(v.form.as_ref().unwrap().model, "mine");
        let v = v.apply(SettingsAction::Saving).apply(SettingsAction::Saved(Box::new(status("mine"))));
        assert!(!v.saving && !v.dirty());
        let s = status("a");
        assert_eq!(effective_differences(&s.settings, &s.effective), vec![("Model", "env-model".to_string())]);
        let v = v.apply(SettingsAction::Testing);
        assert!(v.testing);
        let v = v.apply(SettingsAction::Tested(Err("timeout".into())));
        assert_eq!((v.testing, v.test), (false, Some(Err("timeout".into()))));
    }

    #[test]
    fn usage_rows_for_charts_and_tables() {
        let row = |key: &str, calls, failed, cost| AiUsageRow {
            key: key.into(),
            calls,
            failed,
            tokens_in: 0,
            tokens_out: 0,
            cost_micros: cost,
        };
        assert_eq!(day_label("2026-11-06"), "6");
        assert_eq!(day_label("total"), "total");
        let rows = [row("2026-11-05", 3, 1, 12_300), row("2026-11-06", 0, 0, 0)];
        assert_eq!(calls_per_day(&rows)[0], ("5".into(), 3.0, "3 calls, 1 failed on 2026-11-05".into()));
        assert_eq!(cost_per_day(&rows)[0], ("5".into(), 12_300.0, "$0.0123 on 2026-11-05".into()));
        assert_eq!(budget_text(2_500_000, Some(10_000_000)), "$2.50 of a $10.00 budget (25%)");
        assert_eq!(budget_text(12_300, None), "$0.0123 · no budget");
        assert_eq!(budget_percent(15_000_000, 10_000_000), Some(150));
        assert_eq!(budget_percent(1, 0), None);
        assert_eq!(action_label("score-lead"), "Score lead");
        assert_eq!(action_label("other"), "other");
        assert_eq!(record_text(&record()), "Person 0190a1b2");
    }

    fn template(action: AiAction, name: &str, active: bool) -> PromptTemplate {
        PromptTemplate {
            id: Uuid::from_u128(name.len() as u128),
            version: 2,
            action,
            name: name.into(),
            system: "You are helpful.".into(),
            user: "Score {{person.first_name}}".into(),
            builtin: false,
            active,
            created_at: "2026-11-26T10:00:00Z".into(),
        }
    }

    #[test]
    fn templates_group_by_action_with_the_active_first() {
        let groups = group_templates(&[
            template(AiAction::ScoreLead, "b", false),
            template(AiAction::ScoreLead, "Default", true),
            template(AiAction::ScoreLead, "a", false),
        ]);
        assert_eq!(groups.len(), 4);
        assert_eq!(groups[0].0, AiAction::GenerateText);
        assert!(groups[0].1.is_empty());
        let names: Vec<_> = groups[2].1.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Default", "a", "b"]);
        assert_eq!(natural_kind(AiAction::DraftEmail), RecordKind::Person);
    }

    #[test]
    fn template_drafts_save_versions_and_restore() {
        let t = template(AiAction::ScoreLead, "Mine", true);
        let draft = TemplateDraft::of(&t);
        assert!(!draft.changed_from(&t));
        let save = draft.validate().unwrap();
        assert_eq!(save.id, Some(t.id));
        let copy = TemplateDraft::new_for(AiAction::ScoreLead, Some(&t));
        assert_eq!((copy.id, copy.name.as_str()), (None, "Copy of Mine"));
        let empty = TemplateDraft { name: " ".into(), user: "\n".into(), ..draft };
        let e = empty.validate().unwrap_err();
        assert_eq!(e.name.as_deref(), Some("Name the template"));
        assert!(e.user.is_some());
        assert_eq!(restore_request(&t).id, Some(t.id));
        assert_eq!(restore_request(&t).user, t.user);
        assert_eq!(
            unknown_fields_text(&["deal.amount".into()], RecordKind::Person).as_deref(),
            Some("Not a field of a person: {{deal.amount}} (rendered empty)")
        );
        assert_eq!(unknown_fields_text(&[], RecordKind::Person), None);
    }

    #[test]
    fn merge_fields_complete_after_two_braces() {
        let text = "Hello {{person.fi";
        let q = merge_query(text, text.len()).unwrap();
        assert_eq!(q, MergeQuery { start: 6, query: "person.fi".into() });
        assert_eq!(merge_query("Hello {{", 8), Some(MergeQuery { start: 6, query: String::new() }));
        assert_eq!(merge_query("{{a}} b", 7), None);
        assert_eq!(merge_query("{{a b", 5), None);
        assert_eq!(merge_query("no braces", 3), None);
        let (next, at) = insert_field(text, &q, text.len(), "person.first_name");
        assert_eq!(next, "Hello {{person.first_name}}");
        assert_eq!(at, next.len());
        // A closing pair already there is not doubled; text after it stays.
        let text = "Hi {{pe}}, bye";
        let q = merge_query(text, 7).unwrap();
        let (next, at) = insert_field(text, &q, 7, "person.email");
        assert_eq!(next, "Hi {{person.email}}, bye");
        assert_eq!(&next[at..], ", bye");
        let field = |name: &str| MergeField { name: name.into(), description: String::new() };
        let fields = [field("notes"), field("person.first_name"), field("person.email"), field("company.name")];
        let names: Vec<_> = filter_fields(&fields, "na").iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["person.first_name", "company.name"]);
        assert_eq!(filter_fields(&fields, "").len(), 4);
        let menu = MergeMenu::at("{{", 2);
        assert!(menu.open.is_some());
        assert_eq!(menu.moved(false, 4).selected, 3);
        assert_eq!(menu.moved(true, 4).moved(true, 4).selected, 2);
    }

    #[test]
    fn cursors_convert_between_utf16_and_bytes() {
        let text = "Grüße 😀 {{";
        let utf16 = text.encode_utf16().count();
        assert_eq!(byte_index(text, utf16), text.len());
        assert_eq!(utf16_index(text, text.len()), utf16);
        assert_eq!(byte_index(text, 2), 2);
        assert_eq!(byte_index(text, 3), 4); // after "ü" (2 bytes, 1 unit)
        assert_eq!(utf16_index(text, 4), 3);
        let emoji = text.find('😀').unwrap();
        assert_eq!(utf16_index(text, emoji + 4), utf16_index(text, emoji) + 2);
        assert!(merge_query(text, byte_index(text, utf16)).is_some());
    }
}
