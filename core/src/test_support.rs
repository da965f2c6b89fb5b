//! One way for the integration tests and benchmarks to open an app whose services talk to a
//! running sandbox (feature `test-support`, the pattern Zed uses). Secrets stay in memory, so a
//! test never touches the OS keyring unless it asks for it.

use crate::ai::config::AiEnv;
use crate::esign::EsignEnv;
use crate::esign::docusign::DocuSignConfig;
use crate::secrets::{MemoryStore, SecretStore};
use crate::whop::WhopConfig;
use crate::{App, AppError, AppOptions};
use dealdesk_model::ai::AiProviderKind;
use dealdesk_sandbox::Sandbox;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Whop at the sandbox, set for tests: no client-side rate limit, 2-second timeouts, and every
/// sync a full re-scan (so remote changes to old objects arrive at once).
pub fn whop_config(sandbox: &Sandbox) -> WhopConfig {
    let mut config =
        WhopConfig::for_server(&sandbox.api_url(), &sandbox.oauth_url(), dealdesk_sandbox::DEFAULT_CLIENT_ID);
    config.max_requests_per_second = None;
    config.request_timeout = Duration::from_secs(2);
    config.rescan_interval = Duration::ZERO;
    config
}

/// An AI provider at the sandbox, with the sandbox's key and its model names.
pub fn ai_env(sandbox: &Sandbox, provider: AiProviderKind) -> AiEnv {
    let (base_url, model) = match provider {
        AiProviderKind::OpenAi => (sandbox.openai_base_url(), "sandbox-gpt"),
        AiProviderKind::Anthropic => (sandbox.anthropic_base_url(), "sandbox-claude"),
    };
    AiEnv {
        disabled: false,
        provider: Some(provider),
        base_url: Some(base_url),
        model: Some(model.into()),
        api_key: Some(dealdesk_sandbox::SANDBOX_AI_KEY.into()),
    }
}

/// DocuSign and Dropbox Sign at the sandbox; without one, at a closed port (nothing answers).
pub fn esign_env(sandbox: Option<&Sandbox>) -> EsignEnv {
    EsignEnv {
        enabled_by_env: true,
        docusign: DocuSignConfig {
            oauth_url: sandbox.map_or("http://127.0.0.1:9/docusign/oauth".into(), |s| s.docusign_oauth_url()),
            api_url: None,
            client_id: dealdesk_sandbox::DOCUSIGN_CLIENT_ID.into(),
            loopback_port: 0,
        },
        dropbox_sign_api_url: sandbox.map_or("http://127.0.0.1:9/dropbox-sign/v3".into(), |s| s.dropbox_sign_api_url()),
        dropbox_sign_api_key: sandbox.map(|s| s.dropbox_sign_api_key().to_string()),
        dropbox_sign_test_mode: true,
        poll_interval_override: None,
    }
}

/// What a test's app is connected to. Unset services read the environment, as an installed app
/// does (tests run without `DEALDESK_*` variables: nothing connected).
pub struct TestApp {
    options: AppOptions,
}

impl Default for TestApp {
    fn default() -> Self {
        TestApp::new()
    }
}

impl TestApp {
    /// Nothing connected; secrets in memory.
    pub fn new() -> TestApp {
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
        TestApp { options: AppOptions { secrets: Some(secrets), whop: None, ai: None, esign: None } }
    }

    /// Whop at the sandbox ([`whop_config`]).
    pub fn whop_at(sandbox: &Sandbox) -> TestApp {
        TestApp::new().whop(whop_config(sandbox))
    }

    pub fn whop(mut self, config: WhopConfig) -> TestApp {
        self.options.whop = Some(config);
        self
    }

    pub fn ai(mut self, env: AiEnv) -> TestApp {
        self.options.ai = Some(env);
        self
    }

    pub fn esign(mut self, env: EsignEnv) -> TestApp {
        self.options.esign = Some(env);
        self
    }

    /// Shares a secret store between apps (a restart, a second process) or uses the OS keyring.
    pub fn secrets(mut self, secrets: Arc<dyn SecretStore>) -> TestApp {
        self.options.secrets = Some(secrets);
        self
    }

    pub async fn open(self, data_dir: &Path) -> Result<App, AppError> {
        App::open_with(data_dir, self.options).await
    }
}
