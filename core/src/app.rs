//! [`App`]: owns the store and the event bus; the one object the shell and the CLI construct.

use crate::ai::config::AiEnv;
use crate::ai::{Ai, AiError, AiParts};
use crate::automation::{Automation, AutomationError};
use crate::crm::{Crm, CrmError};
use crate::esign::{Esign, EsignEnv, EsignError, EsignParts};
use crate::outbox::connectivity::Connectivity;
use crate::outbox::{Outbox, OutboxError, OutboxHandle, OutboxTarget};
use crate::revenue::Revenue;
use crate::secrets::{KeyringStore, SecretStore};
use crate::store::{DATABASE_FILE, EventBus, Store, StoreError};
use crate::whop::{Whop, WhopConfig, WhopError};
use crate::workspace::{Workspace, WorkspaceError};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::{AppInfo, CsvObject, FileWritten, RecordKind, UpdateSource};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Environment variable that overrides the data folder (for the app and the CLI alike).
pub const DATA_DIR_ENV: &str = "DEALDESK_DATA_DIR";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no data folder: set {DATA_DIR_ENV} or pass --data-dir (the platform has no data directory)")]
    NoDataDir,
    #[error(transparent)]
    Crm(#[from] CrmError),
    #[error(transparent)]
    File(#[from] crate::exports::FileError),
    #[error(transparent)]
    Whop(#[from] WhopError),
    #[error(transparent)]
    Sync(#[from] OutboxError),
    #[error(transparent)]
    Ai(#[from] AiError),
    #[error(transparent)]
    Automation(#[from] AutomationError),
    #[error(transparent)]
    Esign(#[from] EsignError),
    #[error(transparent)]
    Support(#[from] crate::support::SupportError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

impl From<&AppError> for dealdesk_model::ApiError {
    fn from(error: &AppError) -> Self {
        match error {
            AppError::Crm(crm) => crm.into(),
            AppError::Whop(whop) => whop.into(),
            AppError::Sync(sync) => sync.into(),
            AppError::Ai(ai) => ai.into(),
            AppError::Automation(automation) => automation.into(),
            AppError::Esign(esign) => esign.into(),
            AppError::Support(support) => support.into(),
            AppError::Workspace(workspace) => workspace.into(),
            other => dealdesk_model::ApiError::new(dealdesk_model::ErrorCode::Internal, other.to_string()),
        }
    }
}

/// The data folder: `DEALDESK_DATA_DIR` if set, else the platform's data dir
/// (`$XDG_DATA_HOME/dealdesk` or `~/.local/share/dealdesk` on Linux).
pub fn default_data_dir() -> Result<PathBuf, AppError> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir().map(|d| d.join("dealdesk")).ok_or(AppError::NoDataDir)
}

/// The keyring service name all Dealdesk secrets are filed under.
pub const KEYRING_SERVICE: &str = "dealdesk";

/// What [`App::open_with`] can swap out (tests, the demo).
#[derive(Default)]
pub struct AppOptions {
    /// Default: the OS keyring.
    pub secrets: Option<Arc<dyn SecretStore>>,
    /// Default: [`WhopConfig::from_env`].
    pub whop: Option<WhopConfig>,
    /// Default: [`AiEnv::from_env`].
    pub ai: Option<AiEnv>,
    /// Default: [`EsignEnv::from_env`].
    pub esign: Option<EsignEnv>,
}

pub struct App {
    store: Store,
    events: EventBus,
    crm: Crm,
    whop: Arc<Whop>,
    ai: Arc<Ai>,
    automation: Arc<Automation>,
    esign: Arc<Esign>,
    outbox: Arc<Outbox>,
    revenue: Revenue,
    workspace: Arc<Workspace>,
    data_dir: PathBuf,
}

impl App {
    /// Opens the data folder (creating it and the database if needed) and migrates the schema.
    pub async fn open(data_dir: &Path) -> Result<App, AppError> {
        Self::open_with(data_dir, AppOptions::default()).await
    }

    pub async fn open_with(data_dir: &Path, options: AppOptions) -> Result<App, AppError> {
        let store = Store::open(data_dir).await?;
        let events = EventBus::new();
        let crm = Crm::new(store.clone(), events.clone());
        let install_id = store.install_id().await?;
        let secrets = options.secrets.unwrap_or_else(|| Arc::new(KeyringStore::new(KEYRING_SERVICE)));
        let whop_config = match options.whop {
            Some(config) => config,
            None => WhopConfig::from_env()?,
        };
        // Services queue through the handle; the outbox sends to them once they are registered.
        let outbox_handle = OutboxHandle::new(store.clone(), events.clone(), Arc::new(Connectivity::new()));
        // One token entry per data folder: two profiles (or test folders) never share a login.
        let whop = Arc::new(Whop::new(
            store.clone(),
            events.clone(),
            whop_config,
            secrets.clone(),
            format!("whop-tokens:{install_id}"),
            outbox_handle.clone(),
        ));
        let ai_env = match options.ai {
            Some(env) => env,
            None => AiEnv::from_env()?,
        };
        let ai = Arc::new(Ai::new(AiParts {
            store: store.clone(),
            events: events.clone(),
            crm: crm.clone(),
            whop: whop.clone(),
            secrets: secrets.clone(),
            install_id: install_id.clone(),
            env: ai_env,
            outbox: outbox_handle.clone(),
        }));
        ai.prepare().await?;
        let team_secrets = secrets.clone();
        let esign = Arc::new(Esign::new(EsignParts {
            store: store.clone(),
            events: events.clone(),
            crm: crm.clone(),
            secrets,
            install_id: install_id.clone(),
            env: options.esign.unwrap_or_else(EsignEnv::from_env),
            outbox: outbox_handle.clone(),
        }));
        esign.prepare().await?;
        let automation = Arc::new(Automation::new(
            store.clone(),
            events.clone(),
            crm.clone(),
            ai.clone(),
            esign.clone(),
            whop.clone(),
        ));
        automation.prepare().await?;
        let targets: Vec<Arc<dyn OutboxTarget>> = vec![whop.clone(), ai.clone(), esign.clone()];
        let outbox = Arc::new(Outbox::new(outbox_handle, targets));
        let revenue = Revenue::new(store.clone());
        crm.set_segment_members(Arc::new(ChurnSegmentPeople(revenue.clone())));
        let workspace = Arc::new(Workspace::new(store.clone(), events.clone(), crm.clone(), team_secrets, install_id));
        Ok(App {
            store,
            events,
            crm,
            whop,
            ai,
            automation,
            esign,
            outbox,
            revenue,
            workspace,
            data_dir: data_dir.to_path_buf(),
        })
    }

    pub fn crm(&self) -> &Crm {
        &self.crm
    }

    pub(crate) fn events(&self) -> &EventBus {
        &self.events
    }

    /// This desktop in a team workspace: its link to the hub and the sync.
    pub fn workspace(&self) -> &Arc<Workspace> {
        &self.workspace
    }

    /// MRR, churn, cohorts and Recover, from the Whop mirror.
    pub fn revenue(&self) -> &Revenue {
        &self.revenue
    }

    pub fn whop(&self) -> &Arc<Whop> {
        &self.whop
    }

    pub fn ai(&self) -> &Arc<Ai> {
        &self.ai
    }

    pub fn automation(&self) -> &Arc<Automation> {
        &self.automation
    }

    pub fn esign(&self) -> &Arc<Esign> {
        &self.esign
    }

    /// Starts the contract status poller on the current tokio runtime (the desktop app): it checks
    /// open contracts when their interval has passed (15 minutes by default).
    pub fn spawn_esign_poller(&self) -> tokio::task::JoinHandle<()> {
        let esign = self.esign.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            loop {
                if let Err(error) = esign.poll(false).await {
                    tracing::info!(%error, "contracts: the status check did not run");
                }
                if esign.is_closed() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(15)).await;
            }
        })
    }

    /// Writes a contract's signed PDF (or its draft) to the downloads folder: the only plaintext
    /// copy Dealdesk ever writes, and only when asked.
    pub async fn export_contract_pdf(&self, id: uuid::Uuid) -> Result<FileWritten, AppError> {
        let (name, bytes) = self.esign.pdf(id).await?;
        let dir = dirs::download_dir().unwrap_or_else(|| self.data_dir.join("exports"));
        let path = dir.join(&name);
        crate::exports::write_atomically(&path, &bytes)?;
        tracing::info!(path = %path.display(), "contracts: exported a PDF at the user's request");
        Ok(FileWritten { path: path.display().to_string(), bytes: bytes.len() as u64, rows: None })
    }

    /// A `dealdesk://` link: the OAuth redirect of Whop or DocuSign, told apart by its path.
    pub async fn handle_deep_link(&self, link: &str) -> Result<(), AppError> {
        if link.trim().starts_with(&format!("dealdesk://{}", crate::esign::docusign::DEEP_LINK_PATH)) {
            self.esign.handle_deep_link(link).await?;
        } else {
            self.whop.handle_deep_link(link).await?;
        }
        Ok(())
    }

    /// Starts the team workspace's background sync on the current tokio runtime (the desktop app):
    /// every `DEALDESK_TEAM_SYNC_SECS` seconds (10 by default) and soon after each local edit,
    /// while this desktop is in a workspace.
    pub fn spawn_team_sync(&self) -> tokio::task::JoinHandle<()> {
        let every = std::env::var("DEALDESK_TEAM_SYNC_SECS")
            .ok()
            .and_then(|secs| secs.parse::<u64>().ok())
            .filter(|secs| *secs > 0)
            .unwrap_or(10);
        tokio::spawn(self.workspace.clone().run(Duration::from_secs(every)))
    }

    /// Empties what has been in the trash longer than the user's setting, soon after start and
    /// then twice a day (the desktop app).
    pub fn spawn_trash_retention(&self) -> tokio::task::JoinHandle<()> {
        let crm = self.crm.clone();
        tokio::spawn(async move {
            // Not during start-up: the first paint and the first sync come first.
            tokio::time::sleep(Duration::from_secs(90)).await;
            loop {
                if let Err(error) = crm.empty_expired_trash().await {
                    tracing::warn!(%error, "cannot empty the expired trash");
                }
                tokio::time::sleep(Duration::from_secs(12 * 60 * 60)).await;
            }
        })
    }

    /// Starts the workflow engine on the current tokio runtime (the desktop app).
    pub fn spawn_automation(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.automation.clone().run_engine())
    }

    /// Operations waiting for the network, conflicts and connectivity.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Starts the offline machinery on the current tokio runtime (the desktop app): the outbox
    /// worker, the network probe while offline, and the watch that syncs when the network is back.
    pub fn spawn_offline_tasks(&self) -> Vec<tokio::task::JoinHandle<()>> {
        let probe_url = format!("{}/", self.whop.config().api_url.trim_end_matches('/'));
        let connectivity = self.outbox.connectivity().clone();
        let http = self.whop.http().clone();
        vec![
            tokio::spawn(self.outbox.clone().run_worker()),
            tokio::spawn(self.outbox.clone().run_connectivity_watch()),
            tokio::spawn(async move {
                let probe = || {
                    let request = http.get(&probe_url).timeout(crate::outbox::connectivity::PROBE_TIMEOUT);
                    async move { request.send().await.map(drop).map_err(|error| error.to_string()) }
                };
                connectivity.run_probe(probe).await
            }),
        ]
    }

    /// Sets a field back to the value it had before one change of the record's history.
    pub async fn restore_field_value(
        &self,
        request: dealdesk_model::outbox::RestoreFieldValue,
        source: UpdateSource,
    ) -> Result<(), AppError> {
        self.crm.restore_field_value(request.record, request.seq, source).await?;
        Ok(())
    }

    /// A record's timeline: its change log, plus Whop payments and refunds for people and
    /// membership deals, newest first.
    pub async fn timeline(
        &self,
        record: dealdesk_model::RecordRef,
    ) -> Result<Vec<dealdesk_model::TimelineEvent>, AppError> {
        let mut events = self.crm.timeline(record).await?;
        let whop = self.whop.timeline_events(record, 200).await?;
        if !whop.is_empty() {
            events.extend(whop);
            events.sort_by(|a, b| b.at.cmp(&a.at).then(b.seq.cmp(&a.seq)));
        }
        Ok(events)
    }

    /// Starts the Whop polling loop on the current tokio runtime (the desktop app).
    pub fn spawn_whop_scheduler(&self) -> tokio::task::JoinHandle<()> {
        self.spawn_revenue_warmer();
        tokio::spawn(self.whop.clone().run_scheduler())
    }

    /// After Whop's data changes (a sync ends with `WhopChanged`), computes the Revenue screen
    /// ahead of the user, so opening it reads a kept result (docs/revenue.md, "Speed"), and
    /// records the customers who became at risk as workflow events (docs/ai-and-automations.md).
    fn spawn_revenue_warmer(&self) -> tokio::task::JoinHandle<()> {
        let mut events = self.events.subscribe();
        let revenue = self.revenue.clone();
        let automation = self.automation.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(CoreEvent::WhopChanged) => {
                        // A burst of changes warms once, after it settles.
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        while events.try_recv().is_ok() {}
                        if let Err(error) = revenue.warm().await {
                            tracing::warn!(%error, "could not compute the Revenue screen ahead");
                        }
                        // Customers who became at risk fire "Customer became at risk" workflows.
                        match revenue.record_at_risk_events(dealdesk_store::time::now()).await {
                            Ok(check) if check.events > 0 => automation.wake(),
                            Ok(_) => {}
                            Err(error) => tracing::warn!(%error, "could not check which customers became at risk"),
                        }
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.events.subscribe()
    }

    pub async fn close(&self) {
        self.store.close().await;
    }

    pub async fn info(&self) -> AppInfo {
        let database = self.data_dir.join(DATABASE_FILE);
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: self.data_dir.display().to_string(),
            database_bytes: self.store.bytes_on_disk(),
            database_file: database.display().to_string(),
        }
    }

    /// A consistent copy of the database in `<data dir>/backups/` (Settings → Data → Back up now).
    pub async fn backup(&self) -> Result<FileWritten, AppError> {
        let info = self.backup_now(dealdesk_model::support::BackupReason::Manual).await?;
        Ok(FileWritten { path: info.path, bytes: info.bytes, rows: None })
    }

    /// Exports an object to a CSV file in the user's downloads folder (or `<data dir>/exports`).
    pub async fn export_csv_file(&self, object: CsvObject) -> Result<FileWritten, AppError> {
        let dir = dirs::download_dir().unwrap_or_else(|| self.data_dir.join("exports"));
        let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
        let path = dir.join(format!("dealdesk-{object}-{stamp}.csv"));
        self.export_csv_to(object, &path).await
    }

    /// Exports an object to a CSV file at `path`, atomically (a temporary file, then a rename).
    pub async fn export_csv_to(&self, object: CsvObject, path: &Path) -> Result<FileWritten, AppError> {
        Ok(crate::exports::export_csv(&self.crm, object, path).await?)
    }

    /// Notices writes made by other processes (the CLI, a script) and tells the windows, so open
    /// views refresh without a reload. Writes made in this process already emit their own events.
    pub fn watch_external_changes(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let pool = self.store.pool().clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let newest = || async {
                sqlx::query_scalar::<_, Option<i64>>("SELECT max(seq) FROM change_log").fetch_one(&pool).await
            };
            let mut seen = match newest().await {
                Ok(seq) => seq.unwrap_or(0),
                Err(error) => {
                    tracing::warn!(%error, "cannot watch for outside changes");
                    return;
                }
            };
            loop {
                tokio::time::sleep(every).await;
                let latest = match newest().await {
                    Ok(seq) => seq.unwrap_or(0),
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(error) => {
                        tracing::debug!(%error, "change watcher");
                        continue;
                    }
                };
                if latest <= seen {
                    continue;
                }
                let changed: Result<Vec<(String, String)>, _> = sqlx::query_as(
                    "SELECT DISTINCT record_kind, source FROM change_log WHERE seq > ? AND source != 'ui'",
                )
                .bind(seen)
                .fetch_all(&pool)
                .await;
                seen = latest;
                for (kind, source) in changed.unwrap_or_default() {
                    if let (Some(kind), Some(source)) = (RecordKind::parse(&kind), UpdateSource::parse(&source)) {
                        events.emit(CoreEvent::RecordsChanged { kind, source });
                    }
                }
            }
        })
    }
}

/// The revenue desk answering the CRM's question of who is in a churn segment (the CRM is a layer
/// below it and owns the trait).
struct ChurnSegmentPeople(Revenue);

impl crate::crm::SegmentMembers for ChurnSegmentPeople {
    fn people(&self, segment: dealdesk_model::revenue::ChurnSegment) -> crate::crm::SegmentPeople<'_> {
        Box::pin(async move { self.0.segment_people(segment).await.map_err(|e| e.to_string()) })
    }
}
