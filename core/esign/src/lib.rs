//! Contracts and e-signature: Typst templates rendered to PDF offline, sealed at rest, sent for
//! signature through DocuSign or Dropbox Sign by way of the outbox, and followed by polling.
//!
//! The flow: [`Esign::send`] renders the template on the deal with the provider's anchors, seals
//! the PDF, records the contract and queues one outbox operation (target `esign`) in one
//! transaction. The outbox worker calls [`Esign::deliver`]; a retry first asks the provider for a
//! request tagged with the contract's id, so a lost answer never sends the contract twice. The
//! poller reads the status of every open contract in one batched call per provider, records each
//! step in `contract_event`, downloads and seals the signed PDF on completion, and fires the
//! `contract_completed` workflow trigger. See docs/contracts.md and decision 0014.

pub mod docusign;
pub mod dropbox_sign;
mod error;
pub mod fields;
mod http;
mod outbox_target;
pub mod provider;
// Typst and the fonts, in their own crate: nothing below e-sign compiles them (docs/ARCHITECTURE.md).
pub use dealdesk_typeset as render;
pub mod templates;
pub mod vault;

pub use error::EsignError;

use dealdesk_crm::Crm;
use dealdesk_model::contract::{
    Contract, ContractEvent, ContractField, ContractPdf, ContractPreview, ContractPreviewRequest, ContractSigner,
    ContractStatus, ContractTemplate, EsignStatus, SaveContractTemplate, SaveEsignSettings, SendContract,
    SignatureProviderKind, SignerStatus,
};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::{DealStatus, SetDealStatus, UpdateSource};
use dealdesk_net::secrets::SecretStore;
use dealdesk_outbox::OutboxHandle;
use dealdesk_outbox::queue::NewOperation;
use dealdesk_store::EventBus;
use dealdesk_store::{Store, time};
use docusign::{DocuSign, DocuSignAuth, DocuSignConfig};
use dropbox_sign::DropboxSign;
use provider::{Outgoing, RemoteStatus, SignatureProvider, VoidOutcome};
use render::{AnchorStyle, RenderInput};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;
use vault::Vault;

/// The outbox target of contract operations.
pub const TARGET: &str = "esign";
/// `off`, `0`, `false` or `no` switches contract signing off, whatever the setting says.
pub const ENABLED_ENV: &str = "DEALDESK_ESIGN";
/// Polling faster than this needs the environment (DocuSign expects ≥ 15 minutes per envelope).
pub const MIN_POLL_MINUTES: u32 = 15;
/// Seconds between polls, for the sandbox and tests only.
pub const POLL_SECONDS_ENV: &str = "DEALDESK_ESIGN_POLL_SECS";
const SETTINGS_KEY: &str = "esign.settings";
const MAX_SIGNERS: usize = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct Settings {
    enabled: bool,
    poll_minutes: u32,
    move_deal_to_won: bool,
    default_provider: SignatureProviderKind,
    sender_company: String,
    sender_name: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            poll_minutes: MIN_POLL_MINUTES,
            move_deal_to_won: true,
            default_provider: SignatureProviderKind::DocuSign,
            sender_company: String::new(),
            sender_name: String::new(),
        }
    }
}

/// Where the providers are and what the environment forces. (`Debug` leaves the key out.)
#[derive(Clone)]
pub struct EsignEnv {
    pub enabled_by_env: bool,
    pub docusign: DocuSignConfig,
    pub dropbox_sign_api_url: String,
    /// Wins over the key in the keyring.
    pub dropbox_sign_api_key: Option<String>,
    pub dropbox_sign_test_mode: bool,
    /// A poll interval under the 15-minute floor (sandbox, tests).
    pub poll_interval_override: Option<Duration>,
}

impl std::fmt::Debug for EsignEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsignEnv")
            .field("enabled_by_env", &self.enabled_by_env)
            .field("docusign", &self.docusign)
            .field("dropbox_sign_api_url", &self.dropbox_sign_api_url)
            .field("dropbox_sign_api_key", &self.dropbox_sign_api_key.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

impl EsignEnv {
    pub fn from_env() -> EsignEnv {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let off = |v: &str| matches!(v.to_ascii_lowercase().as_str(), "off" | "0" | "false" | "no");
        EsignEnv {
            enabled_by_env: !var(ENABLED_ENV).is_some_and(|v| off(&v)),
            docusign: DocuSignConfig::from_env(),
            dropbox_sign_api_url: var(dropbox_sign::API_URL_ENV)
                .map(|v| v.trim_end_matches('/').to_string())
                .unwrap_or_else(|| dropbox_sign::DEFAULT_API_URL.into()),
            dropbox_sign_api_key: var(dropbox_sign::API_KEY_ENV),
            dropbox_sign_test_mode: !var(dropbox_sign::TEST_MODE_ENV).is_some_and(|v| off(&v)),
            poll_interval_override: var(POLL_SECONDS_ENV)
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|s| *s > 0)
                .map(Duration::from_secs),
        }
    }
}

/// What [`Esign`] is built from.
pub struct EsignParts {
    pub store: Store,
    pub events: EventBus,
    pub crm: Crm,
    pub secrets: Arc<dyn SecretStore>,
    pub install_id: String,
    pub env: EsignEnv,
    /// Where sends and voids wait for the network.
    pub outbox: OutboxHandle,
}

/// What an outbox operation carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Operation {
    Send { contract: Uuid },
    Void { contract: Uuid, reason: String },
}

/// What the provider did with an operation, settled in the outbox's transaction.
pub enum Delivered {
    Sent { contract: Uuid, remote: RemoteStatus },
    Voided { contract: Uuid, outcome: VoidOutcome, reason: String },
}

/// What a poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    pub checked: u64,
    pub changed: u64,
    pub completed: u64,
    pub errors: Vec<String>,
}

pub struct Esign {
    store: Store,
    events: EventBus,
    crm: Crm,
    secrets: Arc<dyn SecretStore>,
    install_id: String,
    env: EsignEnv,
    http: dealdesk_net::LazyHttp,
    vault: Vault,
    docusign_auth: Arc<DocuSignAuth>,
    outbox: OutboxHandle,
    poll_lock: tokio::sync::Mutex<()>,
    /// One client per provider for the process, so its rate limit holds across calls. Dropbox
    /// Sign's is rebuilt when the key changes.
    docusign: DocuSign,
    dropbox_sign: std::sync::Mutex<Option<(String, Arc<DropboxSign>)>>,
}

fn json_error(error: serde_json::Error) -> EsignError {
    EsignError::Invalid(error.to_string())
}

impl Esign {
    pub fn new(parts: EsignParts) -> Esign {
        let http = dealdesk_net::LazyHttp::new(|| {
            reqwest::Client::builder()
                .user_agent(concat!("Dealdesk/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(10))
        });
        let docusign_auth = Arc::new(DocuSignAuth::new(
            parts.env.docusign.clone(),
            http.clone(),
            parts.secrets.clone(),
            format!("docusign-tokens:{}", parts.install_id),
        ));
        Esign {
            vault: Vault::new(parts.secrets.clone(), format!("contracts-key:{}", parts.install_id)),
            store: parts.store,
            events: parts.events,
            crm: parts.crm,
            secrets: parts.secrets,
            install_id: parts.install_id,
            env: parts.env,
            docusign: DocuSign::new(http.clone(), docusign_auth.clone()),
            dropbox_sign: std::sync::Mutex::new(None),
            http,
            docusign_auth,
            outbox: parts.outbox,
            poll_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The database is closed (the app is quitting).
    pub fn is_closed(&self) -> bool {
        self.store.pool().is_closed()
    }

    /// Seeds the shipped templates. Safe on every start.
    pub async fn prepare(&self) -> Result<(), EsignError> {
        templates::seed(self.store.pool()).await
    }

    async fn settings(&self) -> Result<Settings, EsignError> {
        Ok(self.store.setting(SETTINGS_KEY).await?.unwrap_or_default())
    }

    fn dropbox_key_entry(&self) -> String {
        format!("dropbox-sign-key:{}", self.install_id)
    }

    fn dropbox_key(&self) -> Result<Option<String>, EsignError> {
        if let Some(key) = &self.env.dropbox_sign_api_key {
            return Ok(Some(key.clone()));
        }
        Ok(self.secrets.get(&self.dropbox_key_entry())?)
    }

    /// Stores a Dropbox Sign API key in the keyring (`contract key dropbox-sign`, Settings).
    pub fn set_dropbox_sign_key(&self, key: &str) -> Result<(), EsignError> {
        let key = key.trim();
        if key.len() < 8 || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(EsignError::Invalid("that does not look like a Dropbox Sign API key".into()));
        }
        self.secrets.set(&self.dropbox_key_entry(), key)?;
        self.events.emit(CoreEvent::ContractsChanged { deal: None });
        Ok(())
    }

    /// Forgets the Dropbox Sign API key (`contract key dropbox-sign --remove`, Settings). A key
    /// given by `DEALDESK_DROPBOX_SIGN_API_KEY` is not stored, so it still applies: the status
    /// says whether a key is set after the removal.
    pub async fn remove_dropbox_sign_key(&self) -> Result<EsignStatus, EsignError> {
        self.secrets.delete(&self.dropbox_key_entry())?;
        // The cached client holds the old key: the next send must not use it.
        *self.dropbox_sign.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.events.emit(CoreEvent::ContractsChanged { deal: None });
        self.status().await
    }

    pub async fn status(&self) -> Result<EsignStatus, EsignError> {
        let settings = self.settings().await?;
        // Without a usable keyring the settings still show (and save); the connections read as
        // not connected, and sending says why.
        let tokens = self.docusign_auth.tokens().unwrap_or_else(|error| {
            tracing::warn!(%error, "contracts: cannot read the DocuSign sign-in from the keyring");
            None
        });
        let dropbox_sign_key_set = self.dropbox_key().unwrap_or_else(|error| {
            tracing::warn!(%error, "contracts: cannot read the Dropbox Sign key from the keyring");
            None
        });
        Ok(EsignStatus {
            enabled: settings.enabled && self.env.enabled_by_env,
            disabled_by_env: !self.env.enabled_by_env,
            docusign_connected: tokens.is_some(),
            docusign_account: tokens.map(|t| t.account_name),
            dropbox_sign_key_set: dropbox_sign_key_set.is_some(),
            poll_minutes: settings.poll_minutes,
            move_deal_to_won: settings.move_deal_to_won,
            default_provider: settings.default_provider,
            sender_company: settings.sender_company,
            sender_name: settings.sender_name,
        })
    }

    pub async fn save_settings(&self, save: SaveEsignSettings) -> Result<EsignStatus, EsignError> {
        if save.poll_minutes < MIN_POLL_MINUTES || save.poll_minutes > 24 * 60 {
            return Err(EsignError::Invalid(format!(
                "the status check interval must be between {MIN_POLL_MINUTES} minutes and 24 hours"
            )));
        }
        let clean = |text: &str, what: &str| -> Result<String, EsignError> {
            let text = text.trim();
            if text.chars().count() > 200 || text.chars().any(char::is_control) {
                return Err(EsignError::Invalid(format!("{what} must be one line of at most 200 characters")));
            }
            Ok(text.to_string())
        };
        let settings = Settings {
            enabled: save.enabled,
            poll_minutes: save.poll_minutes,
            move_deal_to_won: save.move_deal_to_won,
            default_provider: save.default_provider,
            sender_company: clean(&save.sender_company, "Your company")?,
            sender_name: clean(&save.sender_name, "Your name")?,
        };
        if let Some(key) = save.dropbox_sign_api_key.as_deref().filter(|k| !k.trim().is_empty()) {
            self.set_dropbox_sign_key(key)?;
        }
        self.store.set_setting(SETTINGS_KEY, &settings).await?;
        self.events.emit(CoreEvent::ContractsChanged { deal: None });
        self.status().await
    }

    async fn ensure_enabled(&self) -> Result<(), EsignError> {
        if !self.env.enabled_by_env || !self.settings().await?.enabled {
            return Err(EsignError::Disabled);
        }
        Ok(())
    }

    // ----- DocuSign sign-in -----

    /// Starts Connect DocuSign: the page to open in the browser.
    pub async fn start_docusign_login(&self, redirect_uri: &str) -> Result<String, EsignError> {
        self.ensure_enabled().await?;
        self.docusign_auth.start_login(redirect_uri)
    }

    /// Completes a DocuSign sign-in from its redirect (deep link or loopback).
    pub async fn complete_docusign_login(
        &self,
        callback: &dealdesk_net::oauth::Callback,
    ) -> Result<EsignStatus, EsignError> {
        let result = self.docusign_auth.complete_login(callback).await;
        self.events.emit(CoreEvent::ContractsChanged { deal: None });
        result?;
        self.status().await
    }

    /// A `dealdesk://oauth/docusign/callback?…` link (untrusted: parsed strictly, state checked).
    pub async fn handle_deep_link(&self, link: &str) -> Result<EsignStatus, EsignError> {
        let callback = dealdesk_net::oauth::parse_deep_link_at(link, docusign::DEEP_LINK_PATH)
            .map_err(|e| EsignError::Login { provider: "DocuSign", message: e.to_string() })?;
        self.complete_docusign_login(&callback).await
    }

    /// Connect DocuSign from the app: the redirect comes back as `dealdesk://oauth/docusign/callback`.
    pub async fn start_docusign_app_login(&self) -> Result<dealdesk_model::whop::WhopLoginStarted, EsignError> {
        let authorize_url = self.start_docusign_login(docusign::DEEP_LINK_REDIRECT).await?;
        Ok(dealdesk_model::whop::WhopLoginStarted { authorize_url })
    }

    /// Signs in to DocuSign through a loopback redirect (the CLI): `show_url` gets the page to
    /// open; the call returns when the browser comes back (or after `timeout`).
    pub async fn login_docusign_with_loopback(
        &self,
        show_url: impl FnOnce(&str),
        timeout: Duration,
    ) -> Result<EsignStatus, EsignError> {
        self.ensure_enabled().await?;
        let login_error =
            |e: dealdesk_net::oauth::OAuthError| EsignError::Login { provider: "DocuSign", message: e.to_string() };
        let listener = dealdesk_net::oauth::LoopbackListener::bind(self.env.docusign.loopback_port, "DocuSign")
            .await
            .map_err(login_error)?;
        let url = self.docusign_auth.start_login(&listener.redirect_uri())?;
        show_url(&url);
        let callback = listener.wait(timeout).await.map_err(login_error)?;
        self.complete_docusign_login(&callback).await
    }

    pub async fn docusign_logout(&self) -> Result<(), EsignError> {
        self.docusign_auth.logout()?;
        self.events.emit(CoreEvent::ContractsChanged { deal: None });
        Ok(())
    }

    // ----- templates and rendering -----

    pub async fn templates(&self) -> Result<Vec<ContractTemplate>, EsignError> {
        templates::list(self.store.pool()).await
    }

    pub async fn find_template(&self, id_or_name: &str) -> Result<ContractTemplate, EsignError> {
        templates::find(self.store.pool(), id_or_name).await
    }

    pub async fn save_template(&self, save: &SaveContractTemplate) -> Result<ContractTemplate, EsignError> {
        let saved = templates::save(self.store.pool(), self.store.clock(), save).await?;
        self.events.emit(CoreEvent::ContractsChanged { deal: None });
        Ok(saved)
    }

    pub async fn delete_template(&self, id: Uuid) -> Result<(), EsignError> {
        templates::delete(self.store.pool(), self.store.clock(), id).await?;
        self.events.emit(CoreEvent::ContractsChanged { deal: None });
        Ok(())
    }

    async fn field_values(&self, deal_id: Uuid) -> Result<BTreeMap<String, String>, EsignError> {
        let settings = self.settings().await?;
        let sender = fields::Sender { company: &settings.sender_company, name: &settings.sender_name };
        fields::gather(&self.crm, &self.store, deal_id, &sender).await
    }

    /// The merge fields with their values on a deal.
    pub async fn fields(&self, deal_id: Uuid) -> Result<Vec<ContractField>, EsignError> {
        Ok(fields::describe(&self.field_values(deal_id).await?))
    }

    /// Renders a template (saved or the editor's text) on a deal as SVG pages. Missing fields show
    /// as placeholders and are listed; a Typst error is reported with its line.
    pub async fn preview(&self, request: &ContractPreviewRequest) -> Result<ContractPreview, EsignError> {
        let body = match (&request.body, request.template_id) {
            (Some(body), _) => body.clone(),
            (None, Some(id)) => templates::latest(self.store.pool(), id).await?.body,
            (None, None) => return Err(EsignError::Invalid("pick a template to preview".into())),
        };
        let values = self.field_values(request.deal_id).await?;
        let deal = self.crm.get_deal(request.deal_id).await?;
        let signers = default_signers(&self.crm, &deal).await;
        let (missing, unknown) = check_fields(&body, &values);
        let started = std::time::Instant::now();
        let rendered = tokio::task::spawn_blocking(move || {
            let input = RenderInput { body: &body, fields: &values, signers: &signers, anchors: AnchorStyle::Preview };
            render::render(&input).map(|r| r.svg_pages())
        })
        .await
        .map_err(|e| EsignError::Render(e.to_string()))?;
        let render_ms = started.elapsed().as_millis() as u64;
        if let Ok(pages) = &rendered {
            let template = match request.template_id {
                Some(id) => templates::latest(self.store.pool(), id).await.map(|t| t.name).unwrap_or_default(),
                None => String::new(),
            };
            self.record_render(&template, "preview", pages.len(), render_ms).await;
        }
        Ok(match rendered {
            Ok(pages) => ContractPreview { pages, missing, unknown, error: None, render_ms },
            Err(error) => {
                ContractPreview { pages: Vec::new(), missing, unknown, error: Some(error.to_string()), render_ms }
            }
        })
    }

    /// Renders a template on a deal to PDF, refusing missing or unknown merge fields.
    pub async fn render_pdf(
        &self,
        deal_id: Uuid,
        template: &ContractTemplate,
        signers: &[(String, String)],
        anchors: AnchorStyle,
    ) -> Result<Vec<u8>, EsignError> {
        let values = self.field_values(deal_id).await?;
        let (missing, unknown) = check_fields(&template.body, &values);
        if !unknown.is_empty() {
            return Err(EsignError::UnknownFields(unknown));
        }
        if !missing.is_empty() {
            return Err(EsignError::MissingFields(missing));
        }
        let body = template.body.clone();
        let signers = signers.to_vec();
        let started = std::time::Instant::now();
        let (pdf, pages) = tokio::task::spawn_blocking(move || {
            let input = RenderInput { body: &body, fields: &values, signers: &signers, anchors };
            let rendered = render::render(&input)?;
            Ok::<_, EsignError>((rendered.pdf()?, rendered.page_count()))
        })
        .await
        .map_err(|e| EsignError::Render(e.to_string()))??;
        self.record_render(&template.name, "pdf", pages, started.elapsed().as_millis() as u64).await;
        Ok(pdf)
    }

    /// Keeps a render's time for Help → Diagnostics (the newest 200). Never fails the render.
    async fn record_render(&self, template: &str, kind: &str, pages: usize, render_ms: u64) {
        let template = if template.is_empty() { "unsaved template" } else { template };
        let result = async {
            let id = sqlx::query(
                "INSERT INTO contract_render (at, template, kind, pages, render_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(time::format(time::now()))
            .bind(template)
            .bind(kind)
            .bind(pages as i64)
            .bind(render_ms as i64)
            .execute(self.store.pool())
            .await?
            .last_insert_rowid();
            sqlx::query("DELETE FROM contract_render WHERE id <= ?").bind(id - 200).execute(self.store.pool()).await
        }
        .await;
        if let Err(error) = result {
            tracing::warn!(%error, "cannot record a contract render time");
        }
    }

    // ----- sending -----

    fn provider_ready(&self, provider: SignatureProviderKind) -> Result<(), EsignError> {
        match provider {
            SignatureProviderKind::DocuSign => {
                if self.docusign_auth.tokens()?.is_none() {
                    return Err(EsignError::NotConnected {
                        provider: "DocuSign",
                        hint: "connect DocuSign in Settings → Contracts or run `dealdesk-cli contract login docusign`",
                    });
                }
            }
            SignatureProviderKind::DropboxSign => {
                if self.dropbox_key()?.is_none() {
                    return Err(EsignError::NotConnected {
                        provider: "Dropbox Sign",
                        hint: "paste an API key in Settings → Contracts or run `dealdesk-cli contract key dropbox-sign`",
                    });
                }
            }
        }
        Ok(())
    }

    /// Renders the contract, seals it and queues it for the provider, in one transaction. It goes
    /// out when the outbox worker (or `outbox drain`) runs, offline or not now.
    pub async fn send(&self, request: &SendContract, source: UpdateSource) -> Result<Contract, EsignError> {
        self.ensure_enabled().await?;
        self.provider_ready(request.provider)?;
        let signers = check_signers(&request.signers)?;
        let deal = self.crm.get_deal(request.deal_id).await?;
        let template = templates::latest(self.store.pool(), request.template_id).await?;
        let anchors = match request.provider {
            SignatureProviderKind::DocuSign => AnchorStyle::DocuSign,
            SignatureProviderKind::DropboxSign => AnchorStyle::DropboxSign,
        };
        let pdf = self.render_pdf(deal.id, &template, &signers, anchors).await?;
        let title = match request.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(title) if title.chars().count() <= 100 && !title.chars().any(char::is_control) => title.to_string(),
            Some(_) => return Err(EsignError::Invalid("the title must be one line of at most 100 characters".into())),
            None => format!("{}: {}", template.name, deal.name).chars().take(100).collect(),
        };
        let id = Uuid::now_v7();
        let sealed = self.vault.seal(&pdf, &aad(id, "draft"))?;
        let now = time::format(time::now());
        let signer_rows: Vec<ContractSigner> = signers
            .iter()
            .map(|(name, email)| ContractSigner {
                name: name.clone(),
                email: email.clone(),
                status: SignerStatus::Waiting,
                signed_at: None,
                declined_reason: None,
            })
            .collect();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO contract (id, deal_id, template_id, template_name, title, provider, status, signers,
                                   created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?8)",
        )
        .bind(id.to_string())
        .bind(deal.id.to_string())
        .bind(template.id.to_string())
        .bind(&template.name)
        .bind(&title)
        .bind(request.provider.as_str())
        .bind(serde_json::to_string(&signer_rows).map_err(json_error)?)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        store_document(&mut tx, id, "draft", &sealed, &pdf, &now).await?;
        add_event(
            &mut tx,
            id,
            &now,
            "drafted",
            &format!("{} v{}, {} bytes", template.name, template.version, pdf.len()),
        )
        .await?;
        let op = NewOperation {
            target: TARGET,
            action: "contract.send",
            record_kind: "contract",
            record_id: id.to_string(),
            payload: serde_json::to_value(Operation::Send { contract: id }).map_err(json_error)?,
            optimistic: Map::new(),
            base: Map::new(),
            summary: format!("Send contract \"{title}\" via {}", request.provider.label()),
        };
        self.outbox.enqueue(&mut tx, &op, source).await?;
        tx.commit().await?;
        tracing::info!(contract = %id, provider = request.provider.as_str(), "contracts: queued for signature");
        self.outbox.poke();
        self.events.emit(CoreEvent::ContractsChanged { deal: Some(deal.id) });
        self.get(id).await
    }

    fn docusign(&self) -> &DocuSign {
        &self.docusign
    }

    fn dropbox_sign(&self) -> Result<Arc<DropboxSign>, EsignError> {
        let key = self.dropbox_key()?.ok_or(EsignError::NotConnected {
            provider: "Dropbox Sign",
            hint: "paste an API key in Settings → Contracts or run `dealdesk-cli contract key dropbox-sign`",
        })?;
        let mut cached = self.dropbox_sign.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((cached_key, client)) = cached.as_ref()
            && *cached_key == key
        {
            return Ok(client.clone());
        }
        let client = Arc::new(DropboxSign::new(
            self.http.clone(),
            &self.env.dropbox_sign_api_url,
            key.clone(),
            self.env.dropbox_sign_test_mode,
        ));
        *cached = Some((key, client.clone()));
        Ok(client)
    }

    /// Sends one outbox operation (the worker's side).
    pub async fn send_queued(&self, payload: &Value) -> Result<Delivered, EsignError> {
        self.ensure_enabled().await?;
        let operation: Operation = serde_json::from_value(payload.clone())
            .map_err(|e| EsignError::Invalid(format!("a queued contract operation is unreadable: {e}")))?;
        match operation {
            Operation::Send { contract } => {
                let row = self.row(contract).await?;
                if let Some(remote_id) = row.remote_id.clone() {
                    // Settled by an earlier attempt whose outbox update was lost.
                    let remote =
                        RemoteStatus { remote_id, status: ContractStatus::Sent, signers: Vec::new(), detail: None };
                    return Ok(Delivered::Sent { contract, remote });
                }
                let provider = row.provider()?;
                let pdf = self.open_document(contract, "draft").await?;
                let signers: Vec<(String, String)> = row.signers()?.into_iter().map(|s| (s.name, s.email)).collect();
                let outgoing = Outgoing { contract_id: contract, title: &row.title, pdf: &pdf, signers: &signers };
                let remote = match provider {
                    SignatureProviderKind::DocuSign => self.send_once(self.docusign(), &outgoing).await?,
                    SignatureProviderKind::DropboxSign => self.send_once(&*self.dropbox_sign()?, &outgoing).await?,
                };
                Ok(Delivered::Sent { contract, remote })
            }
            Operation::Void { contract, reason } => {
                let row = self.row(contract).await?;
                let provider = row.provider()?;
                // A send whose answer was lost has no id here: look it up by the contract's id.
                let remote_id = match row.remote_id.clone() {
                    Some(id) => Some(id),
                    None => match provider {
                        SignatureProviderKind::DocuSign => self.docusign().find_sent(contract).await?,
                        SignatureProviderKind::DropboxSign => self.dropbox_sign()?.find_sent(contract).await?,
                    }
                    .map(|found| found.remote_id),
                };
                let Some(remote_id) = remote_id else {
                    // Never reached the provider: voiding it here is all there is to do.
                    return Ok(Delivered::Voided { contract, outcome: VoidOutcome::Voided, reason });
                };
                let outcome = match provider {
                    SignatureProviderKind::DocuSign => self.docusign().void(&remote_id, &reason).await?,
                    SignatureProviderKind::DropboxSign => self.dropbox_sign()?.void(&remote_id, &reason).await?,
                };
                Ok(Delivered::Voided { contract, outcome, reason })
            }
        }
    }

    /// Sends, unless an earlier attempt already did (its answer lost on the way back). The check
    /// runs before every send, not only on retries: a retry from the Outbox page starts the count
    /// again, and a CLI drain may have taken the operation back from a running app.
    async fn send_once(
        &self,
        provider: &impl SignatureProvider,
        outgoing: &Outgoing<'_>,
    ) -> Result<RemoteStatus, EsignError> {
        if let Some(found) = provider.find_sent(outgoing.contract_id).await? {
            tracing::info!(contract = %outgoing.contract_id, remote = %found.remote_id,
                provider = provider.kind().as_str(), "contracts: an earlier attempt reached the provider; not sending again");
            return Ok(found);
        }
        provider.send(outgoing).await
    }

    // ----- status -----

    /// Checks every open contract whose last check is older than the interval (all of them with
    /// `force`): one batched call per provider.
    pub async fn poll(&self, force: bool) -> Result<PollReport, EsignError> {
        let _guard = self.poll_lock.lock().await;
        let mut report = PollReport::default();
        if !self.env.enabled_by_env || !self.settings().await?.enabled {
            return Ok(report);
        }
        let interval = self.poll_interval().await?;
        let cutoff = time::format(time::now() - chrono::Duration::from_std(interval).unwrap_or_default());
        let rows: Vec<ContractRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM contract c
             WHERE remote_id IS NOT NULL
               AND (status IN ('sent', 'viewed', 'partially_signed') OR void_requested = 1
                    OR (status = 'completed' AND NOT EXISTS (SELECT 1 FROM contract_document d
                                                             WHERE d.contract_id = c.id AND d.kind = 'signed')))
               AND (?1 OR last_checked_at IS NULL OR last_checked_at <= ?2)
             ORDER BY created_at"
        )))
        .bind(force)
        .bind(&cutoff)
        .fetch_all(self.store.pool())
        .await?;
        for provider in SignatureProviderKind::ALL {
            let group: Vec<&ContractRow> = rows.iter().filter(|r| r.provider == provider.as_str()).collect();
            if group.is_empty() {
                continue;
            }
            let ids: Vec<String> = group.iter().filter_map(|r| r.remote_id.clone()).collect();
            let since = group.iter().map(|r| r.sent_at.clone().unwrap_or_else(|| r.created_at.clone())).min();
            let since = since
                .and_then(|s| time::parse(&s).ok())
                .map(|t| (t - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default();
            let statuses = match provider {
                SignatureProviderKind::DocuSign => self.docusign().statuses(&ids, &since).await,
                SignatureProviderKind::DropboxSign => match self.dropbox_sign() {
                    Ok(client) => client.statuses(&ids, &since).await,
                    Err(error) => Err(error),
                },
            };
            let statuses = match statuses {
                Ok(statuses) => statuses,
                Err(error) => {
                    tracing::info!(%error, provider = provider.as_str(), "contracts: status check failed");
                    report.errors.push(error.to_string());
                    // Counted as a check: a failing provider is asked again after the interval,
                    // not every few seconds.
                    let now = time::format(time::now());
                    for row in &group {
                        sqlx::query("UPDATE contract SET last_checked_at = ? WHERE id = ?")
                            .bind(&now)
                            .bind(&row.id)
                            .execute(self.store.pool())
                            .await?;
                    }
                    continue;
                }
            };
            let now = time::format(time::now());
            for row in &group {
                report.checked += 1;
                let remote = statuses.iter().find(|s| Some(&s.remote_id) == row.remote_id.as_ref());
                match self.apply(row, remote, provider).await {
                    Ok((changed, completed)) => {
                        report.changed += u64::from(changed);
                        report.completed += u64::from(completed);
                    }
                    Err(error) => {
                        tracing::info!(%error, contract = %row.id, "contracts: applying a status failed");
                        report.errors.push(error.to_string());
                    }
                }
                sqlx::query("UPDATE contract SET last_checked_at = ? WHERE id = ?")
                    .bind(&now)
                    .bind(&row.id)
                    .execute(self.store.pool())
                    .await?;
            }
        }
        Ok(report)
    }

    async fn poll_interval(&self) -> Result<Duration, EsignError> {
        if let Some(interval) = self.env.poll_interval_override {
            return Ok(interval);
        }
        let minutes = self.settings().await?.poll_minutes.max(MIN_POLL_MINUTES);
        Ok(Duration::from_secs(u64::from(minutes) * 60))
    }

    /// Asks the provider about one contract now ("refresh now").
    pub async fn refresh(&self, id: Uuid) -> Result<Contract, EsignError> {
        self.ensure_enabled().await?;
        let row = self.row(id).await?;
        let provider = row.provider()?;
        if let Some(remote_id) = row.remote_id.clone() {
            let remote = match provider {
                SignatureProviderKind::DocuSign => self.docusign().status(&remote_id).await?,
                SignatureProviderKind::DropboxSign => self.dropbox_sign()?.status(&remote_id).await?,
            };
            self.apply(&row, Some(&remote), provider).await?;
            sqlx::query("UPDATE contract SET last_checked_at = ? WHERE id = ?")
                .bind(time::format(time::now()))
                .bind(id.to_string())
                .execute(self.store.pool())
                .await?;
        }
        self.get(id).await
    }

    /// Records what the provider reports: new timeline entries, signer progress, the status; on
    /// completion the signed files (downloaded first, outside the transaction), the workflow
    /// trigger and, if set, the deal moved to won. Returns (changed, completed now).
    async fn apply(
        &self,
        row: &ContractRow,
        remote: Option<&RemoteStatus>,
        provider: SignatureProviderKind,
    ) -> Result<(bool, bool), EsignError> {
        let Some(remote) = remote else { return Ok((false, false)) };
        let id = row.uuid()?;
        let old_status = row.status()?;
        let mut signers = row.signers()?;
        let now = time::format(time::now());
        let mut events: Vec<(String, String)> = Vec::new();
        for signer in &mut signers {
            let Some(reported) = remote.signers.iter().find(|s| s.email.eq_ignore_ascii_case(&signer.email)) else {
                continue;
            };
            if reported.status != signer.status && rank(reported.status) > rank(signer.status) {
                let kind = match reported.status {
                    SignerStatus::Viewed => "viewed",
                    SignerStatus::Signed => "signed",
                    SignerStatus::Declined => "declined",
                    SignerStatus::Waiting => continue,
                };
                let mut detail = format!("{} <{}>", signer.name, signer.email);
                if let Some(reason) = reported.declined_reason.as_deref().filter(|r| !r.is_empty()) {
                    detail.push_str(&format!(": {}", reason.chars().take(300).collect::<String>()));
                }
                events.push((kind.to_string(), detail));
                signer.status = reported.status;
                if reported.status == SignerStatus::Signed {
                    signer.signed_at = reported.at.clone().or_else(|| signer.signed_at.clone());
                }
                signer.declined_reason = reported.declined_reason.clone();
            }
        }
        let mut status = remote.status;
        // A cancel asked of Dropbox Sign stays "requested" until the provider confirms it.
        if status == ContractStatus::Voided && old_status != ContractStatus::Voided {
            events.push(("voided".into(), remote.detail.clone().unwrap_or_default()));
        }
        if status == ContractStatus::Declined
            && old_status != ContractStatus::Declined
            && !events.iter().any(|(k, _)| k == "declined")
        {
            events.push(("declined".into(), String::new()));
        }
        let newly_completed = status == ContractStatus::Completed && old_status != ContractStatus::Completed;
        if newly_completed {
            events.push(("completed".into(), format!("all {} signed", signers.len())));
        }
        // Never step back (a list answer older than a refresh).
        if status.is_open() && old_status.is_open() && status_rank(status) < status_rank(old_status) {
            status = old_status;
        }
        let mut files = None;
        let mut download_error = None;
        let has_signed: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM contract_document WHERE contract_id = ? AND kind = 'signed')",
        )
        .bind(&row.id)
        .fetch_one(self.store.pool())
        .await?;
        if status == ContractStatus::Completed && !has_signed {
            let remote_id = remote.remote_id.as_str();
            let downloaded = match provider {
                SignatureProviderKind::DocuSign => self.docusign().download(remote_id).await,
                SignatureProviderKind::DropboxSign => self.dropbox_sign()?.download(remote_id).await,
            };
            match downloaded {
                Ok(signed) => files = Some(signed),
                // Recorded as completed either way; the next poll fetches the files again.
                Err(error) => {
                    tracing::info!(%error, contract = %id, "contracts: the signed PDF could not be fetched yet");
                    download_error = Some(format!("the signed PDF could not be downloaded yet: {error}"));
                }
            }
        }
        if events.is_empty() && status == old_status && files.is_none() && download_error.is_none() {
            return Ok((false, false));
        }
        let mut tx = self.store.begin_write().await?;
        // Only if nobody else (a refresh, another process's poll) moved the contract since it was
        // read: otherwise their write stands and this answer is dropped, so no step is recorded
        // twice and a completed contract fires its trigger once.
        let updated = sqlx::query(
            "UPDATE contract SET status = ?1, signers = ?2, updated_at = ?3, error = ?5,
                 completed_at = CASE WHEN ?1 = 'completed' THEN coalesce(completed_at, ?3) ELSE completed_at END,
                 void_requested = CASE WHEN ?1 IN ('voided', 'completed', 'declined') THEN 0 ELSE void_requested END
             WHERE id = ?4 AND status = ?6 AND signers = ?7",
        )
        .bind(status.as_str())
        .bind(serde_json::to_string(&signers).map_err(json_error)?)
        .bind(&now)
        .bind(&row.id)
        .bind(download_error.as_deref())
        .bind(old_status.as_str())
        .bind(&row.signers)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            tracing::debug!(contract = %id, "contracts: changed meanwhile; this status answer is dropped");
            return Ok((false, false));
        }
        for (kind, detail) in &events {
            add_event(&mut tx, id, &now, kind, detail).await?;
        }
        if let Some(signed) = &files {
            let sealed = self.vault.seal(&signed.pdf, &aad(id, "signed"))?;
            store_document(&mut tx, id, "signed", &sealed, &signed.pdf, &now).await?;
            if let Some(certificate) = &signed.certificate {
                let sealed = self.vault.seal(certificate, &aad(id, "certificate"))?;
                store_document(&mut tx, id, "certificate", &sealed, certificate, &now).await?;
            }
            add_event(&mut tx, id, &now, "downloaded", &format!("signed PDF, {} bytes", signed.pdf.len())).await?;
        }
        if newly_completed {
            sqlx::query(
                "INSERT INTO automation_event (at, kind, record_kind, record_id, subject)
                 VALUES (?, 'contract_completed', 'deal', ?, ?)",
            )
            .bind(&now)
            .bind(&row.deal_id)
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let deal_id = Uuid::parse_str(&row.deal_id).ok();
        if newly_completed
            && self.settings().await?.move_deal_to_won
            && let Some(deal_id) = deal_id
        {
            let won = SetDealStatus { deal_id, status: DealStatus::Won, lost_reason: None };
            if let Err(error) = self.crm.set_deal_status(won, UpdateSource::Sync).await {
                tracing::warn!(%error, deal = %deal_id, "contracts: could not mark the deal won");
            }
        }
        self.events.emit(CoreEvent::ContractsChanged { deal: deal_id });
        Ok((true, newly_completed))
    }

    /// Voids a contract: a queued one is simply not sent; a sent one is voided at the provider
    /// through the outbox (Dropbox Sign confirms a cancel later, by polling).
    pub async fn void(&self, id: Uuid, reason: &str, source: UpdateSource) -> Result<Contract, EsignError> {
        self.ensure_enabled().await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(char::is_control) {
            return Err(EsignError::Invalid("give a reason of at most 200 characters on one line".into()));
        }
        let row = self.row(id).await?;
        let status = row.status()?;
        if !status.is_open() {
            return Err(EsignError::Invalid(format!("a contract that is {} cannot be voided", status.label())));
        }
        if row.void_requested {
            return Err(EsignError::Invalid(
                "voiding this contract was already asked for; it waits for the provider".into(),
            ));
        }
        let now = time::format(time::now());
        let mut tx = self.store.begin_write().await?;
        // A send that was never attempted is simply dropped; one that was attempted may have
        // reached the provider (its answer lost), so the void goes out and looks it up.
        let (pending, attempted): (Option<i64>, bool) = sqlx::query_as(
            "SELECT max(id), coalesce(max(attempts > 0 OR status = 'in_flight'), 0) FROM outbox
             WHERE target = 'esign' AND action = 'contract.send' AND record_id = ?
               AND status IN ('pending', 'in_flight', 'failed')",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let sent_ops: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE target = 'esign' AND action = 'contract.send' AND record_id = ?
             AND (status IN ('pending', 'in_flight', 'failed', 'done') OR attempts > 0)",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        if row.remote_id.is_none() && (sent_ops == 0 || (pending.is_some() && !attempted)) {
            sqlx::query("UPDATE outbox SET status = 'discarded', finished_at = ?1, updated_at = ?1 WHERE id = ?2")
                .bind(&now)
                .bind(pending)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE contract SET status = 'voided', updated_at = ? WHERE id = ?")
                .bind(&now)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            add_event(&mut tx, id, &now, "voided", &format!("before sending: {reason}")).await?;
        } else {
            let op = NewOperation {
                target: TARGET,
                action: "contract.void",
                record_kind: "contract",
                record_id: id.to_string(),
                payload: serde_json::to_value(Operation::Void { contract: id, reason: reason.to_string() })
                    .map_err(json_error)?,
                optimistic: Map::new(),
                base: Map::new(),
                summary: format!("Void contract \"{}\"", row.title),
            };
            self.outbox.enqueue(&mut tx, &op, source).await?;
            sqlx::query("UPDATE contract SET void_requested = 1, updated_at = ? WHERE id = ?")
                .bind(&now)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            add_event(&mut tx, id, &now, "void_requested", reason).await?;
        }
        tx.commit().await?;
        self.outbox.poke();
        self.events.emit(CoreEvent::ContractsChanged { deal: Uuid::parse_str(&row.deal_id).ok() });
        self.get(id).await
    }

    // ----- reading -----

    async fn row(&self, id: Uuid) -> Result<ContractRow, EsignError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ROW_COLUMNS} FROM contract WHERE id = ?")))
            .bind(id.to_string())
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(EsignError::UnknownContract(id))
    }

    pub async fn get(&self, id: Uuid) -> Result<Contract, EsignError> {
        let row = self.row(id).await?;
        self.view(row).await
    }

    /// A contract by id or by the start of its id (the CLI prints short ids).
    pub async fn find(&self, id_or_prefix: &str) -> Result<Contract, EsignError> {
        let text = id_or_prefix.trim().to_lowercase();
        if let Ok(id) = Uuid::parse_str(&text) {
            return self.get(id).await;
        }
        if text.len() < 4 || !text.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(EsignError::Invalid(format!("not a contract id: {id_or_prefix:?}")));
        }
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM contract WHERE id LIKE ? || '%' LIMIT 2")
            .bind(&text)
            .fetch_all(self.store.pool())
            .await?;
        match ids.as_slice() {
            [one] => self.get(Uuid::parse_str(one).map_err(|e| EsignError::Invalid(e.to_string()))?).await,
            [] => Err(EsignError::Invalid(format!("no contract id starts with {text}"))),
            _ => Err(EsignError::Invalid(format!("more than one contract id starts with {text}"))),
        }
    }

    pub async fn for_deal(&self, deal_id: Uuid) -> Result<Vec<Contract>, EsignError> {
        let rows: Vec<ContractRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM contract WHERE deal_id = ? ORDER BY created_at DESC"
        )))
        .bind(deal_id.to_string())
        .fetch_all(self.store.pool())
        .await?;
        let mut contracts = Vec::with_capacity(rows.len());
        for row in rows {
            contracts.push(self.view(row).await?);
        }
        Ok(contracts)
    }

    async fn view(&self, row: ContractRow) -> Result<Contract, EsignError> {
        let events: Vec<(String, String, String)> =
            sqlx::query_as("SELECT at, kind, detail FROM contract_event WHERE contract_id = ? ORDER BY id")
                .bind(&row.id)
                .fetch_all(self.store.pool())
                .await?;
        let has_signed: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM contract_document WHERE contract_id = ? AND kind = 'signed')",
        )
        .bind(&row.id)
        .fetch_one(self.store.pool())
        .await?;
        let outbox_error: Option<String> = sqlx::query_scalar(
            "SELECT last_error FROM outbox WHERE target = 'esign' AND record_id = ? AND status IN ('pending', 'failed')
             ORDER BY id DESC LIMIT 1",
        )
        .bind(&row.id)
        .fetch_optional(self.store.pool())
        .await?
        .flatten();
        Ok(Contract {
            id: row.uuid()?,
            deal_id: Uuid::parse_str(&row.deal_id).map_err(|e| EsignError::Invalid(e.to_string()))?,
            template_name: row.template_name.clone(),
            title: row.title.clone(),
            provider: row.provider()?,
            status: row.status()?,
            remote_id: row.remote_id.clone(),
            signers: row.signers()?,
            events: events.into_iter().map(|(at, kind, detail)| ContractEvent { at, kind, detail }).collect(),
            created_at: row.created_at.clone(),
            last_checked_at: row.last_checked_at.clone(),
            has_signed_pdf: has_signed,
            error: row.error.clone().or(outbox_error),
        })
    }

    async fn open_document(&self, id: Uuid, kind: &'static str) -> Result<Vec<u8>, EsignError> {
        let row: Option<(Vec<u8>, Vec<u8>)> =
            sqlx::query_as("SELECT nonce, sealed FROM contract_document WHERE contract_id = ? AND kind = ?")
                .bind(id.to_string())
                .bind(kind)
                .fetch_optional(self.store.pool())
                .await?;
        let (nonce, sealed) = row.ok_or_else(|| EsignError::Invalid(format!("contract {id} has no {kind} PDF")))?;
        self.vault.open(&nonce, &sealed, &aad(id, kind)).map_err(|message| EsignError::Sealed {
            contract: id,
            what: kind,
            message,
        })
    }

    /// The signed PDF, or the sent draft while it is out for signature.
    pub async fn pdf(&self, id: Uuid) -> Result<(String, Vec<u8>), EsignError> {
        let contract = self.get(id).await?;
        let (kind, suffix) = if contract.has_signed_pdf { ("signed", "signed") } else { ("draft", "draft") };
        let bytes = self.open_document(id, kind).await?;
        let safe: String = contract
            .title
            .chars()
            .map(|c| if c.is_alphanumeric() || c == ' ' || c == '-' { c } else { '_' })
            .collect::<String>()
            .trim()
            .chars()
            .take(80)
            .collect();
        Ok((format!("{safe} ({suffix}).pdf"), bytes))
    }

    /// The PDF for the window (bytes as base64).
    pub async fn open_pdf(&self, id: Uuid) -> Result<ContractPdf, EsignError> {
        use base64::Engine as _;
        let (file_name, bytes) = self.pdf(id).await?;
        let base64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let pages = tokio::task::spawn_blocking(move || render::pdf_to_svg(&bytes))
            .await
            .map_err(|e| EsignError::Render(e.to_string()))??;
        Ok(ContractPdf { file_name, base64, pages })
    }
}

/// Sealed documents are bound to their row.
fn aad(contract: Uuid, kind: &str) -> String {
    format!("contract:{contract}:{kind}")
}

async fn store_document(
    conn: &mut sqlx::SqliteConnection,
    contract: Uuid,
    kind: &str,
    sealed: &vault::Sealed,
    plaintext: &[u8],
    now: &str,
) -> Result<(), EsignError> {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(plaintext);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    sqlx::query(
        "INSERT INTO contract_document (contract_id, kind, nonce, sealed, size, sha256, stored_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (contract_id, kind) DO UPDATE SET nonce = excluded.nonce, sealed = excluded.sealed,
             size = excluded.size, sha256 = excluded.sha256, stored_at = excluded.stored_at",
    )
    .bind(contract.to_string())
    .bind(kind)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .bind(plaintext.len() as i64)
    .bind(hex)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn add_event(
    conn: &mut sqlx::SqliteConnection,
    contract: Uuid,
    at: &str,
    kind: &str,
    detail: &str,
) -> Result<(), EsignError> {
    sqlx::query("INSERT INTO contract_event (contract_id, at, kind, detail) VALUES (?, ?, ?, ?)")
        .bind(contract.to_string())
        .bind(at)
        .bind(kind)
        .bind(detail)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Settles a delivered operation in the outbox's transaction.
pub async fn settle(conn: &mut sqlx::SqliteConnection, delivered: &Delivered) -> Result<Option<Uuid>, EsignError> {
    let now = time::format(time::now());
    let contract = match delivered {
        Delivered::Sent { contract, remote } => {
            sqlx::query(
                "UPDATE contract SET remote_id = ?1, status = CASE WHEN status IN ('queued', 'failed') THEN 'sent' ELSE status END,
                     sent_at = coalesce(sent_at, ?2), updated_at = ?2, error = NULL WHERE id = ?3",
            )
            .bind(&remote.remote_id)
            .bind(&now)
            .bind(contract.to_string())
            .execute(&mut *conn)
            .await?;
            let short: String = remote.remote_id.chars().take(12).collect();
            add_event(conn, *contract, &now, "sent", &format!("for signature (id {short}…)")).await?;
            *contract
        }
        Delivered::Voided { contract, outcome, reason } => {
            match outcome {
                VoidOutcome::Voided => {
                    sqlx::query(
                        "UPDATE contract SET status = 'voided', void_requested = 0, updated_at = ? WHERE id = ?",
                    )
                    .bind(&now)
                    .bind(contract.to_string())
                    .execute(&mut *conn)
                    .await?;
                    add_event(conn, *contract, &now, "voided", reason).await?;
                }
                // Confirmed by a later poll.
                VoidOutcome::Requested => {}
            }
            *contract
        }
    };
    let deal: Option<String> = sqlx::query_scalar("SELECT deal_id FROM contract WHERE id = ?")
        .bind(contract.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(deal.and_then(|d| Uuid::parse_str(&d).ok()))
}

/// Marks a contract whose send the provider refused.
pub async fn mark_failed(conn: &mut sqlx::SqliteConnection, record_id: &str, message: &str) -> Result<(), EsignError> {
    let now = time::format(time::now());
    let done = sqlx::query(
        "UPDATE contract SET status = 'failed', error = ?1, updated_at = ?2 WHERE id = ?3 AND status = 'queued'",
    )
    .bind(message)
    .bind(&now)
    .bind(record_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() > 0
        && let Ok(id) = Uuid::parse_str(record_id)
    {
        add_event(conn, id, &now, "failed", message).await?;
    }
    Ok(())
}

fn rank(status: SignerStatus) -> u8 {
    match status {
        SignerStatus::Waiting => 0,
        SignerStatus::Viewed => 1,
        SignerStatus::Signed | SignerStatus::Declined => 2,
    }
}

fn status_rank(status: ContractStatus) -> u8 {
    match status {
        ContractStatus::Queued => 0,
        ContractStatus::Sent => 1,
        ContractStatus::Viewed => 2,
        ContractStatus::PartiallySigned => 3,
        _ => 4,
    }
}

/// Missing (`{{name}}` without a value) and unknown (not in the catalogue) fields of a template.
fn check_fields(body: &str, values: &BTreeMap<String, String>) -> (Vec<String>, Vec<String>) {
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    for name in render::used_fields(body) {
        if !render::is_field_name(&name) || !fields::is_known(&name) {
            unknown.push(name);
        } else if !values.contains_key(&name) && body.contains(&format!("{{{{{name}}}}}")) {
            missing.push(name);
        }
    }
    (missing, unknown)
}

/// The deal's contact as the one signer, when it has an email.
async fn default_signers(crm: &Crm, deal: &dealdesk_model::Deal) -> Vec<(String, String)> {
    match deal.contact_id {
        Some(id) => match crm.get_person(id).await {
            Ok(person) => vec![(person.full_name(), person.email.unwrap_or_default())],
            Err(_) => Vec::new(),
        },
        None => Vec::new(),
    }
}

/// Trims and checks signers: 1 to 10, each with a name and a plausible, distinct email.
fn check_signers(signers: &[dealdesk_model::contract::SignerInput]) -> Result<Vec<(String, String)>, EsignError> {
    if signers.is_empty() {
        return Err(EsignError::Invalid("add at least one signer".into()));
    }
    if signers.len() > MAX_SIGNERS {
        return Err(EsignError::Invalid(format!("a contract can have at most {MAX_SIGNERS} signers")));
    }
    let mut checked: Vec<(String, String)> = Vec::new();
    for signer in signers {
        let name = signer.name.trim();
        let email = signer.email.trim().to_lowercase();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(EsignError::Invalid(format!("signer {email:?} needs a name of at most 100 characters")));
        }
        if dealdesk_crm::validate::email("email", Some(&email)).is_err() {
            return Err(EsignError::Invalid(format!("{:?} is not an email address", signer.email.trim())));
        }
        if checked.iter().any(|(_, e)| *e == email) {
            return Err(EsignError::Invalid(format!("{email} is listed twice")));
        }
        checked.push((name.to_string(), email));
    }
    Ok(checked)
}

/// A `contract` row.
#[derive(sqlx::FromRow)]
struct ContractRow {
    id: String,
    deal_id: String,
    template_name: String,
    title: String,
    provider: String,
    status: String,
    remote_id: Option<String>,
    signers: String,
    error: Option<String>,
    created_at: String,
    sent_at: Option<String>,
    last_checked_at: Option<String>,
    void_requested: bool,
}

const ROW_COLUMNS: &str = "id, deal_id, template_name, title, provider, status, remote_id, signers, error, created_at, \
                           sent_at, last_checked_at, void_requested";

impl ContractRow {
    fn uuid(&self) -> Result<Uuid, EsignError> {
        Uuid::parse_str(&self.id).map_err(|e| EsignError::Invalid(format!("stored contract id: {e}")))
    }

    fn provider(&self) -> Result<SignatureProviderKind, EsignError> {
        SignatureProviderKind::parse(&self.provider)
            .ok_or_else(|| EsignError::Invalid(format!("stored provider {:?}", self.provider)))
    }

    fn status(&self) -> Result<ContractStatus, EsignError> {
        ContractStatus::parse(&self.status)
            .ok_or_else(|| EsignError::Invalid(format!("stored status {:?}", self.status)))
    }

    fn signers(&self) -> Result<Vec<ContractSigner>, EsignError> {
        serde_json::from_str(&self.signers).map_err(|e| EsignError::Invalid(format!("stored signers: {e}")))
    }
}
