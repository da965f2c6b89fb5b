//! Where Whop is and how Dealdesk talks to it: defaults are Whop's production URLs; environment
//! variables point the app and the CLI at the sandbox (`cargo xtask run --demo`, tests).

use super::WhopError;
use std::time::Duration;

pub const API_URL_ENV: &str = "DEALDESK_WHOP_API_URL";
/// `sandbox` points the app at Whop's own sandbox (`sandbox-api.whop.com`, no real money);
/// `production` (the default) at Whop. The URL variables above win over it.
pub const ENVIRONMENT_ENV: &str = "DEALDESK_WHOP_ENV";
pub const OAUTH_URL_ENV: &str = "DEALDESK_WHOP_OAUTH_URL";
pub const CLIENT_ID_ENV: &str = "DEALDESK_WHOP_CLIENT_ID";
/// `off`, `0`, `false` or `no` switches the whole integration off, whatever the setting says.
pub const ENABLED_ENV: &str = "DEALDESK_WHOP";
/// The CLI's loopback redirect port (Whop matches redirect URIs exactly, so it is fixed).
pub const LOOPBACK_PORT_ENV: &str = "DEALDESK_WHOP_LOOPBACK_PORT";
/// Client-side request rate limit in requests per second (`0` = none).
pub const MAX_RPS_ENV: &str = "DEALDESK_WHOP_MAX_RPS";

pub const DEFAULT_API_URL: &str = "https://api.whop.com/api/v1";
pub const DEFAULT_OAUTH_URL: &str = "https://api.whop.com/oauth";
/// Whop's sandbox environment, as the official SDKs name it (Python SDK `environment.py`).
pub const SANDBOX_API_URL: &str = "https://sandbox-api.whop.com/api/v1";
pub const SANDBOX_OAUTH_URL: &str = "https://sandbox-api.whop.com/oauth";
/// Dealdesk's public OAuth client on Whop (a public app: PKCE, no secret shipped).
pub const DEFAULT_CLIENT_ID: &str = "app_dealdesk";
pub const DEEP_LINK_REDIRECT: &str = "dealdesk://oauth/whop/callback";
pub const DEFAULT_LOOPBACK_PORT: u16 = 47615;
/// The API version every request carries: the pin of the official TypeScript SDK the contract is
/// extracted from (tests/specs/whop/contract.json; a unit test keeps the two equal). Queued
/// operations keep the version they were built for (docs/decisions/0019).
pub const API_VERSION_DATE: &str = "2026-07-20";

#[derive(Debug, Clone)]
pub struct WhopConfig {
    /// API v1 base, without a trailing slash.
    pub api_url: String,
    /// OAuth base (`…/authorize`, `…/token`, `…/revoke`, `…/userinfo`), without a trailing slash.
    pub oauth_url: String,
    pub client_id: String,
    /// False when `DEALDESK_WHOP=off`: the setting cannot switch it back on.
    pub enabled_by_env: bool,
    pub loopback_port: u16,
    /// Client-side rate limit; `None` = unlimited.
    pub max_requests_per_second: Option<f64>,
    pub request_timeout: Duration,
    /// Retries after the first attempt for retryable answers (408, 409, 429, 5xx, broken bodies).
    pub max_retries: u32,
    /// Items per page (`first`), capped by each endpoint's documented maximum.
    pub page_size: u32,
    /// How often mutable resources (memberships, members, payments, …) are re-scanned in full.
    pub rescan_interval: Duration,
}

impl Default for WhopConfig {
    fn default() -> Self {
        WhopConfig {
            api_url: DEFAULT_API_URL.into(),
            oauth_url: DEFAULT_OAUTH_URL.into(),
            client_id: DEFAULT_CLIENT_ID.into(),
            enabled_by_env: true,
            loopback_port: DEFAULT_LOOPBACK_PORT,
            // v1 publishes no numbers; the legacy v2 limit was 100 requests per 10 s.
            max_requests_per_second: Some(10.0),
            request_timeout: Duration::from_secs(30),
            max_retries: 4,
            page_size: 100,
            rescan_interval: Duration::from_secs(6 * 3600),
        }
    }
}

impl WhopConfig {
    /// The defaults with the environment's overrides applied.
    pub fn from_env() -> Result<WhopConfig, WhopError> {
        WhopConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// The defaults with the overrides `lookup` finds (the environment, or a test's map).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<WhopConfig, WhopError> {
        let var = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut config = WhopConfig::default();
        match var(ENVIRONMENT_ENV).map(|e| e.to_ascii_lowercase()).as_deref() {
            None | Some("production") => {}
            Some("sandbox") => {
                config.api_url = SANDBOX_API_URL.into();
                config.oauth_url = SANDBOX_OAUTH_URL.into();
            }
            Some(other) => {
                return Err(WhopError::Config(format!(
                    "{ENVIRONMENT_ENV} must be production or sandbox, not {other:?}"
                )));
            }
        }
        if let Some(url) = var(API_URL_ENV) {
            config.api_url = checked_base_url(API_URL_ENV, &url)?;
        }
        if let Some(url) = var(OAUTH_URL_ENV) {
            config.oauth_url = checked_base_url(OAUTH_URL_ENV, &url)?;
        }
        if let Some(id) = var(CLIENT_ID_ENV) {
            config.client_id = id;
        }
        if let Some(flag) = var(ENABLED_ENV) {
            config.enabled_by_env = !matches!(flag.to_ascii_lowercase().as_str(), "off" | "0" | "false" | "no");
        }
        if let Some(port) = var(LOOPBACK_PORT_ENV) {
            config.loopback_port = port
                .parse()
                .map_err(|_| WhopError::Config(format!("{LOOPBACK_PORT_ENV} must be a port number, not {port:?}")))?;
        }
        if let Some(rps) = var(MAX_RPS_ENV) {
            let rps: f64 = rps
                .parse()
                .ok()
                .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                .ok_or_else(|| WhopError::Config(format!("{MAX_RPS_ENV} must be a number ≥ 0, not {rps:?}")))?;
            config.max_requests_per_second = (rps > 0.0).then_some(rps);
        }
        Ok(config)
    }

    /// `production` (Whop), `sandbox` (Whop's sandbox) or `custom` (another server).
    pub fn environment(&self) -> &'static str {
        match self.api_url.as_str() {
            DEFAULT_API_URL => "production",
            SANDBOX_API_URL => "sandbox",
            _ => "custom",
        }
    }

    /// The same configuration aimed at another server (tests, the demo).
    pub fn for_server(api_url: &str, oauth_url: &str, client_id: &str) -> WhopConfig {
        WhopConfig {
            api_url: api_url.trim_end_matches('/').into(),
            oauth_url: oauth_url.trim_end_matches('/').into(),
            client_id: client_id.into(),
            ..WhopConfig::default()
        }
    }
}

fn checked_base_url(name: &str, text: &str) -> Result<String, WhopError> {
    let url = url::Url::parse(text).map_err(|e| WhopError::Config(format!("{name} is not a URL ({e}): {text:?}")))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(WhopError::Config(format!("{name} must be https (or http on loopback): {text:?}"))),
    }
    Ok(text.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whops_sandbox_is_one_variable_away_and_explicit_urls_win() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        let sandbox = WhopConfig::from_vars(vars(&[(ENVIRONMENT_ENV, "sandbox")])).unwrap();
        assert_eq!((sandbox.api_url.as_str(), sandbox.oauth_url.as_str()), (SANDBOX_API_URL, SANDBOX_OAUTH_URL));
        assert_eq!(sandbox.environment(), "sandbox");
        assert_eq!(WhopConfig::from_vars(vars(&[])).unwrap().environment(), "production");
        let local =
            WhopConfig::from_vars(vars(&[(ENVIRONMENT_ENV, "Sandbox"), (API_URL_ENV, "http://127.0.0.1:9/api/v1")]))
                .unwrap();
        assert_eq!(
            (local.api_url.as_str(), local.oauth_url.as_str()),
            ("http://127.0.0.1:9/api/v1", SANDBOX_OAUTH_URL)
        );
        assert_eq!(local.environment(), "custom");
        let bad = WhopConfig::from_vars(vars(&[(ENVIRONMENT_ENV, "staging")])).unwrap_err();
        assert!(bad.to_string().contains("production or sandbox"), "{bad}");
    }

    #[test]
    fn base_urls_must_be_https_or_loopback() {
        assert!(checked_base_url("X", "https://api.whop.com/api/v1/").is_ok());
        assert_eq!(checked_base_url("X", "http://127.0.0.1:9/api/v1/").unwrap(), "http://127.0.0.1:9/api/v1");
        assert!(checked_base_url("X", "http://evil.example/api").is_err());
        assert!(checked_base_url("X", "not a url").is_err());
    }
}
