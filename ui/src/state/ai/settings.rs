//! Settings → AI.

use super::*;

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

pub(super) fn whole_number(text: &str, min: u32, max: u32) -> Option<u32> {
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
