//! Settings → AI, stored in the `setting` table (the API key is in the OS keyring), and the
//! `DEALDESK_AI_*` environment variables that override them for the app and the CLI.

use super::AiError;
use dealdesk_model::ai::{AiProviderKind, AiSettings};

/// `off`, `0`, `false` or `no` switches AI off whatever the setting says.
pub const ENABLED_ENV: &str = "DEALDESK_AI";
pub const PROVIDER_ENV: &str = "DEALDESK_AI_PROVIDER";
pub const BASE_URL_ENV: &str = "DEALDESK_AI_BASE_URL";
pub const MODEL_ENV: &str = "DEALDESK_AI_MODEL";
pub const API_KEY_ENV: &str = "DEALDESK_AI_API_KEY";

pub const SETTING_KEY: &str = "ai";

/// The environment's overrides, read once when the app starts.
#[derive(Clone, Default, PartialEq)]
pub struct AiEnv {
    pub disabled: bool,
    pub provider: Option<AiProviderKind>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key: Option<String>,
}

/// Debug output never shows the key.
impl std::fmt::Debug for AiEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiEnv")
            .field("disabled", &self.disabled)
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// An API key as pasted: trimmed, without spaces or control characters (which a header cannot
/// carry), at most 500 characters.
pub fn checked_api_key(key: &str) -> Result<String, String> {
    let key = key.trim();
    if key.is_empty() || key.len() > 500 || key.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("the API key is empty, too long, or has spaces or control characters".into());
    }
    Ok(key.to_string())
}

impl AiEnv {
    pub fn from_env() -> Result<AiEnv, AiError> {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let provider =
            match var(PROVIDER_ENV) {
                Some(text) => Some(AiProviderKind::parse(&text).ok_or_else(|| {
                    AiError::Config(format!("{PROVIDER_ENV} must be openai or anthropic, not {text:?}"))
                })?),
                None => None,
            };
        let base_url = match var(BASE_URL_ENV) {
            Some(url) => Some(checked_base_url(&url).map_err(|e| AiError::Config(format!("{BASE_URL_ENV}: {e}")))?),
            None => None,
        };
        Ok(AiEnv {
            disabled: var(ENABLED_ENV)
                .is_some_and(|flag| matches!(flag.to_ascii_lowercase().as_str(), "off" | "0" | "false" | "no")),
            provider,
            base_url,
            model: var(MODEL_ENV),
            api_key: match var(API_KEY_ENV) {
                Some(key) => Some(checked_api_key(&key).map_err(|e| AiError::Config(format!("{API_KEY_ENV}: {e}")))?),
                None => None,
            },
        })
    }

    /// Which variables are set (for Settings → AI).
    pub fn overrides(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut note = |set: bool, name: &str| {
            if set {
                names.push(name.to_string());
            }
        };
        note(self.disabled, ENABLED_ENV);
        note(self.provider.is_some(), PROVIDER_ENV);
        note(self.base_url.is_some(), BASE_URL_ENV);
        note(self.model.is_some(), MODEL_ENV);
        note(self.api_key.is_some(), API_KEY_ENV);
        names
    }

    /// The saved settings with the environment applied. Naming another provider than the saved
    /// one, without a URL or model, means that provider's defaults (not the other's URL).
    pub fn apply(&self, saved: &AiSettings) -> AiSettings {
        let mut effective = saved.clone();
        if self.disabled {
            effective.enabled = false;
        }
        if let Some(provider) = self.provider
            && provider != saved.provider
        {
            effective.provider = provider;
            effective.base_url = provider.default_base_url().into();
            effective.model = provider.default_model().into();
        }
        if let Some(url) = &self.base_url {
            effective.base_url = url.clone();
        }
        if let Some(model) = &self.model {
            effective.model = model.clone();
        }
        effective
    }
}

/// A provider URL: https anywhere; plain http only on this machine or the local network (a
/// llama.cpp or Ollama box), where an API key does not cross the internet in the clear.
pub fn checked_base_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("not a URL ({e}): {text:?}"))?;
    // Credentials in a URL would be stored, shown and logged with it: the key has its own place.
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password (paste the API key in its own field)".into());
    }
    let local = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unique_local(),
        Some(url::Host::Domain(host)) => {
            host == "localhost" || host.ends_with(".local") || host.ends_with(".localhost")
        }
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(format!("must be https (plain http is only for this machine or the local network): {text:?}"));
        }
        other => return Err(format!("must be an http(s) URL, not {other}: {text:?}")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("must not have a query or fragment: {text:?}"));
    }
    Ok(text.trim().trim_end_matches('/').to_string())
}

/// Checks settings before they are saved.
pub fn validate(settings: &AiSettings) -> Result<AiSettings, AiError> {
    let mut clean = settings.clone();
    clean.base_url = checked_base_url(&settings.base_url).map_err(|e| AiError::Invalid(format!("Base URL {e}")))?;
    clean.model = settings.model.trim().to_string();
    if clean.model.is_empty() || clean.model.len() > 200 || clean.model.chars().any(char::is_control) {
        return Err(AiError::Invalid("Model must be a name such as gpt-4o-mini (at most 200 characters)".into()));
    }
    if !(1..=3600).contains(&settings.timeout_secs) {
        return Err(AiError::Invalid("Timeout must be from 1 to 3600 seconds".into()));
    }
    if !(16..=200_000).contains(&settings.max_output_tokens) {
        return Err(AiError::Invalid("Max output tokens must be from 16 to 200,000".into()));
    }
    if settings.max_requests_per_minute > 100_000 {
        return Err(AiError::Invalid("Requests per minute must be at most 100,000 (0 = no limit)".into()));
    }
    if settings.monthly_budget_micros.is_some_and(|b| b < 0) {
        return Err(AiError::Invalid("The monthly budget cannot be negative".into()));
    }
    for price in &mut clean.prices {
        price.model = price.model.trim().to_string();
        if price.model.is_empty() {
            return Err(AiError::Invalid("Every price row needs a model name (or a prefix ending in *)".into()));
        }
        if price.input_per_million_micros < 0 || price.output_per_million_micros < 0 {
            return Err(AiError::Invalid(format!("The price of {} cannot be negative", price.model)));
        }
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_or_local_http() {
        assert_eq!(checked_base_url("https://api.openai.com/v1/").unwrap(), "https://api.openai.com/v1");
        assert!(checked_base_url("http://localhost:11434/v1").is_ok());
        assert!(checked_base_url("http://192.168.1.20:8080/v1").is_ok());
        assert!(checked_base_url("http://gpu.local:8080").is_ok());
        assert!(checked_base_url("http://example.com/v1").is_err());
        assert!(checked_base_url("ftp://127.0.0.1").is_err());
        assert!(checked_base_url("https://x/v1?key=1").is_err());
        assert!(checked_base_url("https://user:sk-secret@api.example.com/v1").is_err());
        assert!(checked_base_url("nonsense").is_err());
    }

    #[test]
    fn the_environment_overrides_settings_and_switches_defaults_with_the_provider() {
        let saved = AiSettings::default();
        let env = AiEnv { provider: Some(AiProviderKind::Anthropic), ..AiEnv::default() };
        let effective = env.apply(&saved);
        assert_eq!(effective.base_url, "https://api.anthropic.com");
        assert_eq!(effective.model, AiProviderKind::Anthropic.default_model());
        let env = AiEnv {
            provider: Some(AiProviderKind::OpenAi),
            base_url: Some("http://127.0.0.1:9/v1".into()),
            model: Some("llama3".into()),
            disabled: true,
            api_key: None,
        };
        let effective = env.apply(&saved);
        assert_eq!(
            (effective.base_url.as_str(), effective.model.as_str(), effective.enabled),
            ("http://127.0.0.1:9/v1", "llama3", false)
        );
        assert_eq!(env.overrides(), vec![ENABLED_ENV, PROVIDER_ENV, BASE_URL_ENV, MODEL_ENV]);
    }

    #[test]
    fn settings_are_checked() {
        let mut s = AiSettings::default();
        assert!(validate(&s).is_ok());
        s.timeout_secs = 0;
        assert!(validate(&s).is_err());
        s = AiSettings { model: " ".into(), ..AiSettings::default() };
        assert!(validate(&s).is_err());
        s = AiSettings { monthly_budget_micros: Some(-1), ..AiSettings::default() };
        assert!(validate(&s).is_err());
    }
}
