//! Whop: OAuth login (PKCE, deep link or loopback redirect), the API v1 client, the polling sync
//! of each chosen business into mirror tables, and the mapping of members, memberships and
//! payments onto the CRM. Every request is shaped by the contract extracted from Whop's official
//! SDK (`contract.rs`, docs/decisions/0019). Tokens live only in the OS keyring ([`crate::secrets`]).

pub mod actions;
pub mod businesses;
pub mod client;
pub mod config;
pub mod contract;
pub mod doctor;
pub mod error;
pub mod messages;
pub mod oauth;
mod outbox_target;
pub mod permissions;
pub mod resources;
pub mod sync;
mod trigger_events;

pub use config::WhopConfig;
pub use dealdesk_net::oauth::Callback;
use dealdesk_net::oauth::LoopbackListener;
pub use error::{DeepLinkError, WhopError};
pub use resources::Resource;

use client::ApiClient;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::outbox::{PromoType, WhopPromoCodeView};
use dealdesk_model::whop::{
    ProductRevenue, ResourceCount, ResourceState, SyncProgress, SyncRun, WhopAccount, WhopIdentity, WhopMembershipView,
    WhopPaymentView, WhopPersonQuery, WhopPersonSummary, WhopSettings, WhopStatus, WhopTotals,
};
use dealdesk_model::whop::{amount_text, promo_amount_text};
use dealdesk_model::{RecordKind, RecordRef, TimelineEvent, TimelineEventKind, UpdateSource};
use dealdesk_net::secrets::SecretStore;
use dealdesk_outbox::OutboxHandle;
use dealdesk_store::EventBus;
use dealdesk_store::{Store, time};
use oauth::{Auth, LoginStart};
use permissions::{PERMISSIONS_SETTING, PermissionRecord};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync::{Seller, Target};
use uuid::Uuid;

const ENABLED_SETTING: &str = "whop.enabled";
const INTERVAL_SETTING: &str = "whop.sync_interval_minutes";
const ACTIONS_SETTING: &str = "whop.actions_enabled";
/// How many failed lists a run's error names before it says "and N more".
const ERRORS_SHOWN: usize = 4;
pub const IDENTITY_SETTING: &str = "whop.identity";
pub const DEFAULT_SYNC_MINUTES: u32 = 5;

#[derive(Default, sqlx::FromRow)]
struct CursorState {
    resuming: bool,
    high_water: Option<String>,
    last_full_scan_at: Option<String>,
    last_error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SyncRunRow {
    id: i64,
    started_at: String,
    finished_at: Option<String>,
    status: String,
    counts: String,
    error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    id: String,
    product: Option<String>,
    created_at: Option<String>,
    deal_id: Option<String>,
    remote_deleted_at: Option<String>,
    raw: String,
}

const MEMBERSHIP_VIEW_SELECT: &str =
    "SELECT m.id, coalesce(p.title, json_extract(m.raw, '$.product.title')) AS product,
        m.created_at, d.deal_id, m.remote_deleted_at, m.raw
     FROM whop_membership m LEFT JOIN whop_product p ON p.id = m.product_id
     LEFT JOIN whop_deal d ON d.membership_id = m.id";

#[derive(sqlx::FromRow)]
struct PaymentEventRow {
    n: i64,
    id: String,
    status: Option<String>,
    micros: Option<i64>,
    currency: Option<String>,
    product: Option<String>,
    at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: String,
    status: Option<String>,
    currency: Option<String>,
    product: Option<String>,
    paid_at: Option<String>,
    raw: String,
}

/// Membership rows as the window shows them: waiting operations applied, marked pending.
async fn membership_views(
    conn: &mut sqlx::SqliteConnection,
    rows: Vec<MembershipRow>,
) -> Result<Vec<WhopMembershipView>, WhopError> {
    let ids: Vec<String> = rows.iter().map(|m| m.id.clone()).collect();
    let mut open = dealdesk_outbox::queue::open_for(conn, "whop_membership", &ids).await?;
    let mut views = Vec::with_capacity(rows.len());
    for m in rows {
        let remote: Value = serde_json::from_str(&m.raw).unwrap_or(Value::Null);
        let ops = open.remove(&m.id).unwrap_or_default();
        let (shown, pending) = dealdesk_outbox::queue::overlay(&remote, &ops)?;
        views.push(WhopMembershipView {
            status: resources::text(&shown, "status").unwrap_or_else(|| "unknown".into()),
            product: m.product,
            renewal_period_end: resources::timestamp(&shown, "renewal_period_end"),
            cancel_at_period_end: shown.get("cancel_at_period_end").and_then(Value::as_bool).unwrap_or(false),
            paused: shown.get("payment_collection_paused").and_then(Value::as_bool).unwrap_or(false),
            created_at: m.created_at,
            deal_id: m.deal_id.and_then(|d| Uuid::parse_str(&d).ok()),
            deleted_remotely: m.remote_deleted_at.is_some(),
            metadata: shown.get("metadata").filter(|v| v.is_object()).cloned(),
            pending,
            id: m.id,
        });
    }
    Ok(views)
}

/// Where a list stands in a run, for the progress events: its step and the business, and for
/// reviews (a list per product, one step) what the earlier products fetched and whether it is the
/// last product.
struct Step<'a> {
    business: Option<&'a str>,
    at: u32,
    of: u32,
    carried: ResourceCount,
    last: bool,
}

impl<'a> Step<'a> {
    /// A step of one list.
    fn one(business: Option<&'a str>, at: u32, of: u32) -> Step<'a> {
        Step { business, at, of, carried: ResourceCount::default(), last: true }
    }
}

/// How one list of a run went: its counts, and Whop's refusal if it refused it.
struct StepOutcome {
    refused: Option<WhopError>,
    counts: ResourceCount,
}

/// Two lists' counts added up (under the first one's resource name).
fn sum(a: &ResourceCount, b: &ResourceCount) -> ResourceCount {
    ResourceCount {
        resource: if a.resource.is_empty() { b.resource.clone() } else { a.resource.clone() },
        requests: a.requests + b.requests,
        fetched: a.fetched + b.fetched,
        inserted: a.inserted + b.inserted,
        updated: a.updated + b.updated,
        people_created: a.people_created + b.people_created,
        deals_created: a.deals_created + b.deals_created,
        errors: a.errors + b.errors,
    }
}

/// What a sync run found so far: counts per resource (over every business), the lists Whop
/// refused, and how many lists synced.
#[derive(Default)]
struct RunState {
    counts: Vec<ResourceCount>,
    failures: Vec<String>,
    succeeded: u32,
}

impl RunState {
    fn add(&mut self, counts: ResourceCount) {
        match self.counts.iter_mut().find(|c| c.resource == counts.resource) {
            Some(total) => *total = sum(total, &counts),
            None => self.counts.push(counts),
        }
    }
}

/// The path of Whop's sign-in redirect: `dealdesk://oauth/whop/callback`.
pub const DEEP_LINK_PATH: &str = "oauth/whop/callback";

/// Parses a `dealdesk://oauth/whop/callback?code=…&state=…` deep link.
pub fn parse_deep_link(link: &str) -> Result<Callback, DeepLinkError> {
    dealdesk_net::oauth::parse_deep_link_at(link, DEEP_LINK_PATH)
}

pub struct Whop {
    store: Store,
    events: EventBus,
    config: WhopConfig,
    http: dealdesk_net::LazyHttp,
    auth: Arc<Auth>,
    api: ApiClient,
    /// One sync at a time per process.
    sync_lock: tokio::sync::Mutex<()>,
    /// The app's loopback login waiting for the browser, if any.
    loopback_wait: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Where actions wait for the network.
    outbox: OutboxHandle,
}

impl Whop {
    /// `secret_key` names this data folder's token entry in the keyring.
    pub fn new(
        store: Store,
        events: EventBus,
        config: WhopConfig,
        secrets: Arc<dyn SecretStore>,
        secret_key: String,
        outbox: OutboxHandle,
    ) -> Whop {
        let timeout = config.request_timeout;
        let http = dealdesk_net::LazyHttp::new(move || {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .timeout(timeout)
                // Redirects on an API call are unexpected; never forward the bearer token elsewhere.
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("Dealdesk/", env!("CARGO_PKG_VERSION")))
        });
        let auth = Arc::new(Auth::new(config.clone(), http.clone(), secrets, secret_key));
        let api = ApiClient::new(http.clone(), config.clone(), auth.clone(), outbox.connectivity().clone());
        Whop {
            store,
            events,
            config,
            http,
            auth,
            api,
            sync_lock: tokio::sync::Mutex::new(()),
            loopback_wait: tokio::sync::Mutex::new(None),
            outbox,
        }
    }

    pub fn config(&self) -> &WhopConfig {
        &self.config
    }

    /// The shared HTTP client (timeouts, no redirects), for the connectivity probe.
    pub fn http(&self) -> &dealdesk_net::LazyHttp {
        &self.http
    }

    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    async fn setting<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, WhopError> {
        Ok(self.store.setting(key).await?)
    }

    async fn set_setting(&self, key: &str, value: &impl serde::Serialize) -> Result<(), WhopError> {
        Ok(self.store.set_setting(key, value).await?)
    }

    pub async fn settings(&self) -> Result<WhopSettings, WhopError> {
        Ok(WhopSettings {
            enabled: self.setting::<bool>(ENABLED_SETTING).await?.unwrap_or(true),
            sync_interval_minutes: self.setting::<u32>(INTERVAL_SETTING).await?.unwrap_or(DEFAULT_SYNC_MINUTES),
            actions_enabled: self.setting::<bool>(ACTIONS_SETTING).await?.unwrap_or(true),
        })
    }

    pub async fn save_settings(&self, settings: WhopSettings) -> Result<WhopSettings, WhopError> {
        if !(1..=24 * 60).contains(&settings.sync_interval_minutes) {
            return Err(WhopError::Config("the sync interval must be between 1 minute and 24 hours".into()));
        }
        self.set_setting(ENABLED_SETTING, &settings.enabled).await?;
        self.set_setting(INTERVAL_SETTING, &settings.sync_interval_minutes).await?;
        self.set_setting(ACTIONS_SETTING, &settings.actions_enabled).await?;
        self.events.emit(CoreEvent::WhopChanged);
        self.settings().await
    }

    /// The integration is on: not switched off by the environment or the setting.
    pub async fn enabled(&self) -> Result<bool, WhopError> {
        Ok(self.config.enabled_by_env && self.settings().await?.enabled)
    }

    async fn ensure_enabled(&self) -> Result<(), WhopError> {
        if self.enabled().await? { Ok(()) } else { Err(WhopError::Disabled) }
    }

    /// Starts a browser login whose redirect comes back to `redirect_uri`. It asks for what the
    /// sync needs and, with the actions on, what they need (the contract's permissions).
    pub async fn start_login(&self, redirect_uri: &str) -> Result<LoginStart, WhopError> {
        self.ensure_enabled().await?;
        let scopes = contract::scopes(self.settings().await?.actions_enabled)?;
        let start = self.auth.start_login(redirect_uri, &scopes)?;
        self.events.emit(CoreEvent::WhopChanged);
        Ok(start)
    }

    /// Completes a login from its redirect, records what was granted, then reads who signed in
    /// and their business accounts.
    pub async fn complete_login(&self, callback: &Callback) -> Result<WhopStatus, WhopError> {
        self.ensure_enabled().await?;
        let result = self.auth.complete_login(callback).await;
        self.events.emit(CoreEvent::WhopChanged);
        let grant = result?;
        let record = PermissionRecord { requested: grant.requested, granted: Some(grant.granted), refused: Vec::new() };
        self.set_setting(PERMISSIONS_SETTING, &record).await?;
        self.api.set_granted(record.granted_set());
        match self.fetch_identity().await {
            Ok(identity) => self.set_setting(IDENTITY_SETTING, &identity).await?,
            Err(error) => tracing::warn!(%error, "whop: signed in, but reading the user failed"),
        }
        self.events.emit(CoreEvent::WhopChanged);
        self.status().await
    }

    /// What the last login was granted and what Whop refused since (a connection from before
    /// this was recorded asked for the old read scopes).
    async fn permission_record(&self) -> Result<PermissionRecord, WhopError> {
        Ok(self.setting::<PermissionRecord>(PERMISSIONS_SETTING).await?.unwrap_or_else(PermissionRecord::legacy))
    }

    /// Tells the client what the token may do (read before each run: another process may have
    /// signed in again).
    async fn load_granted(&self) -> Result<(), WhopError> {
        self.api.set_granted(self.permission_record().await?.granted_set());
        Ok(())
    }

    /// Remembers the permissions a 403 showed missing, for Settings and the next messages.
    pub async fn note_refusal(&self, error: &WhopError) {
        let result = async {
            let mut record = self.permission_record().await?;
            if record.note_refusal(error) {
                self.set_setting(PERMISSIONS_SETTING, &record).await?;
                self.api.set_granted(record.granted_set());
                self.events.emit(CoreEvent::WhopChanged);
            }
            Ok::<(), WhopError>(())
        };
        if let Err(e) = result.await {
            tracing::warn!(error = %e, "whop: cannot record a refused permission");
        }
    }

    /// The permissions a call needs that are known to be missing: refused before anything queues.
    pub async fn known_missing(&self, sdk_method: &str) -> Result<Vec<String>, WhopError> {
        let view = self.permission_record().await?.view(self.settings().await?.actions_enabled)?;
        let missing = permissions::missing(&view);
        Ok(contract::endpoint(sdk_method)?.permissions.iter().filter(|p| missing.contains(p)).cloned().collect())
    }

    /// Chooses which business accounts to sync.
    pub async fn select_businesses(&self, ids: Vec<String>) -> Result<WhopStatus, WhopError> {
        businesses::select(&self.store, &ids).await?;
        self.events.emit(CoreEvent::WhopChanged);
        self.status().await
    }

    /// A `dealdesk://` link handed to the app (untrusted: parsed strictly, state checked). A
    /// refusal is also sent to the windows as `WhopLoginFailed`.
    pub async fn handle_deep_link(&self, link: &str) -> Result<WhopStatus, WhopError> {
        let result = match parse_deep_link(link) {
            Ok(callback) => self.complete_login(&callback).await,
            Err(error) => Err(error.into()),
        };
        if let Err(error) = &result {
            tracing::warn!(%error, "whop: refused a sign-in link");
            self.events.emit(CoreEvent::WhopLoginFailed { message: error.to_string() });
        }
        result
    }

    /// Connect Whop through a loopback redirect (RFC 8252), for when the `dealdesk://` link cannot
    /// come back (Whop refuses custom-scheme redirects, or no handler is registered). A background
    /// task waits for the browser (10 minutes) and completes the login; the outcome reaches the
    /// windows as `WhopChanged` or `WhopLoginFailed`. Starting again replaces a waiting login.
    pub async fn start_app_loopback_login(
        self: &Arc<Self>,
    ) -> Result<dealdesk_model::whop::WhopLoginStarted, WhopError> {
        self.ensure_enabled().await?;
        let mut waiting = self.loopback_wait.lock().await;
        if let Some(previous) = waiting.take() {
            previous.abort();
            // The aborted task releases its port once it is dropped by the runtime.
            let _ = previous.await;
        }
        let listener = LoopbackListener::bind(self.config.loopback_port, "Whop").await?;
        let start = self.start_login(&listener.redirect_uri()).await?;
        let whop = self.clone();
        *waiting = Some(tokio::spawn(async move {
            let result = match listener.wait(oauth::LOGIN_TTL).await {
                Ok(callback) => whop.complete_login(&callback).await.map(|_| ()),
                Err(error) => Err(error.into()),
            };
            if let Err(error) = result {
                tracing::warn!(%error, "whop: loopback sign-in failed");
                whop.events.emit(CoreEvent::WhopLoginFailed { message: error.to_string() });
            }
        }));
        Ok(dealdesk_model::whop::WhopLoginStarted { authorize_url: start.authorize_url })
    }

    /// Starts Connect Whop from the desktop app: the redirect comes back as a deep link.
    pub async fn start_app_login(&self) -> Result<dealdesk_model::whop::WhopLoginStarted, WhopError> {
        let start = self.start_login(config::DEEP_LINK_REDIRECT).await?;
        Ok(dealdesk_model::whop::WhopLoginStarted { authorize_url: start.authorize_url })
    }

    /// Polls Whop in the background: syncs when the integration is on, connected, and the
    /// interval has passed since the last run. Runs until the store closes.
    pub async fn run_scheduler(self: Arc<Self>) {
        tokio::time::sleep(Duration::from_secs(3)).await;
        loop {
            if let Err(error) = self.sync_if_due().await {
                tracing::info!(%error, "whop: scheduled sync did not run");
            }
            if self.store.pool().is_closed() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(15)).await;
        }
    }

    async fn sync_if_due(&self) -> Result<(), WhopError> {
        if !self.enabled().await? || self.auth.stored_tokens()?.is_none() {
            return Ok(());
        }
        let interval = i64::from(self.settings().await?.sync_interval_minutes) * 60;
        let last = self.sync_history(1).await?.into_iter().next();
        let due = last
            .and_then(|run| time::parse(&run.started_at).ok())
            .is_none_or(|at| time::now().signed_duration_since(at).num_seconds() >= interval);
        if due {
            self.sync(&|_| {}).await?;
        }
        Ok(())
    }

    /// Syncs now when the integration is on and connected (after the network came back).
    pub async fn sync_if_connected(&self) -> Result<(), WhopError> {
        if self.enabled().await? && self.auth.stored_tokens()?.is_some() {
            self.sync(&|_| {}).await?;
        }
        Ok(())
    }

    /// The CLI's login: listens on the loopback redirect, shows the authorize URL through
    /// `show_url`, and waits for the browser (at most `timeout`).
    pub async fn login_with_loopback(
        &self,
        show_url: impl FnOnce(&str),
        timeout: Duration,
    ) -> Result<WhopStatus, WhopError> {
        self.ensure_enabled().await?;
        let listener = LoopbackListener::bind(self.config.loopback_port, "Whop").await?;
        let start = self.start_login(&listener.redirect_uri()).await?;
        show_url(&start.authorize_url);
        let callback = listener.wait(timeout).await?;
        self.complete_login(&callback).await
    }

    /// Who signed in (OpenID userinfo) and their business accounts (`GET /accounts`, every page,
    /// into the mirror as a sync's accounts pass would).
    async fn fetch_identity(&self) -> Result<WhopIdentity, WhopError> {
        let url = format!("{}/userinfo", self.config.oauth_url);
        let token = self.auth.access_token().await?;
        let response = self
            .http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| WhopError::Network { url: url.clone(), message: dealdesk_net::describe_reqwest(&e) })?;
        let status = response.status().as_u16();
        let body: Value =
            response.json().await.map_err(|e| WhopError::Decode { url: url.clone(), message: e.to_string() })?;
        if status != 200 {
            return Err(WhopError::Api { status, url, kind: None, message: body.to_string() });
        }
        let user_id = resources::text(&body, "sub")
            .ok_or_else(|| WhopError::Decode { url: url.clone(), message: "userinfo has no `sub`".into() })?;
        // The business accounts, right away (a sync may be running: its cursors are not shared).
        let seller = Seller { user_id: Some(user_id.clone()) };
        let _one_at_a_time = self.sync_lock.lock().await;
        let accounts = Target::accounts();
        if let Err(error) = sync::sync_resource(
            self.store.clone(),
            &self.api,
            &accounts,
            &seller,
            self.config.rescan_interval,
            &mut |_| {},
        )
        .await
        {
            tracing::warn!(%error, "whop: cannot list the user's business accounts");
        }
        Ok(WhopIdentity {
            user_id,
            name: resources::text(&body, "name"),
            username: resources::text(&body, "preferred_username"),
            email: resources::text(&body, "email"),
        })
    }

    /// Revokes and deletes the tokens, and forgets who signed in, what they granted and which of
    /// their businesses sync (the next login may be someone else). Synced data stays (it is the
    /// user's CRM now).
    pub async fn logout(&self) -> Result<(), WhopError> {
        self.auth.logout().await?;
        sqlx::query("DELETE FROM setting WHERE key IN (?, ?, ?)")
            .bind(IDENTITY_SETTING)
            .bind(PERMISSIONS_SETTING)
            .bind(businesses::BUSINESSES_SETTING)
            .execute(self.store.pool())
            .await?;
        self.events.emit(CoreEvent::WhopChanged);
        Ok(())
    }

    pub async fn status(&self) -> Result<WhopStatus, WhopError> {
        let settings = self.settings().await?;
        let connected = self.auth.stored_tokens()?.is_some();
        let identity = if connected { self.setting::<WhopIdentity>(IDENTITY_SETTING).await? } else { None };
        let chosen = match businesses::chosen(&self.store).await? {
            businesses::Chosen::These(list) => list.into_iter().map(|b| b.id).collect(),
            businesses::Chosen::Undecided => Vec::new(),
        };
        // Errors of businesses that no longer sync are history, not news.
        let scopes = serde_json::to_string(&chosen).unwrap_or_else(|_| "[]".into());
        let mut resources = Vec::with_capacity(Resource::ALL.len());
        for resource in Resource::ALL {
            // What Whop still has: rows marked deleted on Whop are kept but not counted.
            let live = if resource.marks_remote_deletes() { " WHERE remote_deleted_at IS NULL" } else { "" };
            let rows: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {}{live}", resource.table())))
                    .fetch_one(self.store.pool())
                    .await?;
            // One cursor per business (per product for reviews): summed up.
            let cursor: Option<CursorState> = sqlx::query_as(
                "SELECT max(after_cursor IS NOT NULL) AS resuming, max(high_water) AS high_water,
                        min(last_full_scan_at) AS last_full_scan_at,
                        (SELECT last_error FROM whop_sync_cursor e WHERE e.resource = c.resource
                           AND e.last_error IS NOT NULL
                           AND (e.account_id = '' OR e.account_id IN (SELECT value FROM json_each(?2)))
                         ORDER BY e.updated_at DESC LIMIT 1) AS last_error
                 FROM whop_sync_cursor c WHERE resource = ?1 GROUP BY resource",
            )
            .bind(resource.name())
            .bind(&scopes)
            .fetch_optional(self.store.pool())
            .await?;
            let cursor = cursor.unwrap_or_default();
            resources.push(ResourceState {
                resource: resource.name().into(),
                rows: rows as u64,
                resuming: cursor.resuming,
                high_water: cursor.high_water,
                last_full_scan_at: cursor.last_full_scan_at,
                last_error: cursor.last_error,
            });
        }
        let people: i64 = sqlx::query_scalar("SELECT count(*) FROM whop_person").fetch_one(self.store.pool()).await?;
        let count = |name: &str| resources.iter().find(|r| r.resource == name).map_or(0, |r| r.rows);
        let totals =
            WhopTotals { people: people as u64, memberships: count("memberships"), payments: count("payments") };
        let businesses = businesses::views(&self.store, &chosen).await?;
        let choose_businesses = businesses.len() > 1 && businesses.iter().all(|b| !b.selected);
        let permissions =
            if connected { self.permission_record().await?.view(settings.actions_enabled)? } else { Vec::new() };
        Ok(WhopStatus {
            enabled: self.config.enabled_by_env && settings.enabled,
            disabled_by_env: !self.config.enabled_by_env,
            connected,
            identity,
            login_pending: self.auth.login_pending(),
            api_url: self.config.api_url.clone(),
            environment: self.config.environment().into(),
            sync_interval_minutes: settings.sync_interval_minutes,
            actions_enabled: settings.actions_enabled,
            last_run: self.sync_history(1).await?.into_iter().next(),
            resources,
            totals,
            businesses,
            choose_businesses,
            permissions,
        })
    }

    pub async fn sync_history(&self, limit: u32) -> Result<Vec<SyncRun>, WhopError> {
        let rows: Vec<SyncRunRow> = sqlx::query_as(
            "SELECT id, started_at, finished_at, status, counts, error FROM sync_run ORDER BY id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| SyncRun {
                id: row.id,
                started_at: row.started_at,
                finished_at: row.finished_at,
                status: row.status,
                counts: serde_json::from_str(&row.counts).unwrap_or_default(),
                error: row.error,
            })
            .collect())
    }

    /// One sync run: the business accounts, then every list of each chosen business (reviews per
    /// product). A list Whop refuses (400, 403, 404, 422, an unreadable answer) is recorded and
    /// the run goes on with the next; a network failure ends the run (every list would fail).
    /// Progress goes to `on_progress` and out as core events.
    pub async fn sync(&self, on_progress: &(dyn Fn(&SyncProgress) + Send + Sync)) -> Result<SyncRun, WhopError> {
        self.ensure_enabled().await?;
        if self.auth.stored_tokens()?.is_none() {
            return Err(WhopError::NotConnected);
        }
        let _one_at_a_time = self.sync_lock.lock().await;
        sync::close_stale_runs(&self.store).await?;
        self.load_granted().await?;
        let started_at = time::format(time::now());
        let run_id: i64 =
            sqlx::query_scalar("INSERT INTO sync_run (started_at, status) VALUES (?, 'running') RETURNING id")
                .bind(&started_at)
                .fetch_one(self.store.pool())
                .await?;
        let seller =
            Seller { user_id: self.setting::<WhopIdentity>(IDENTITY_SETTING).await?.map(|identity| identity.user_id) };
        let mut run = RunState::default();
        let per_business = Resource::PER_BUSINESS.len() as u32 + 1;
        let chosen = |store: Store| async move {
            Ok::<_, WhopError>(match businesses::chosen(&store).await? {
                businesses::Chosen::These(list) => list,
                businesses::Chosen::Undecided => Vec::new(),
            })
        };
        // The steps as far as known before the accounts are read (the progress must not look
        // finished after its first step).
        let expected = 1 + chosen(self.store.clone()).await?.len() as u32 * per_business;
        let accounts = Target::accounts();
        if let Err(stop) =
            self.sync_step(&accounts, &Step::one(None, 1, expected), &seller, &mut run, on_progress).await
        {
            return self.finish_run(run_id, run, Some(stop)).await;
        }
        let chosen = chosen(self.store.clone()).await?;
        if chosen.is_empty() {
            tracing::info!("whop: no business account to sync (none, or several and none chosen)");
        }
        let steps = 1 + chosen.len() as u32 * per_business;
        let mut step = 1u32;
        for business in &chosen {
            let mut reachable = true;
            for resource in Resource::PER_BUSINESS {
                step += 1;
                if !reachable {
                    continue;
                }
                let target = Target::of_business(resource, &business.id);
                let at = Step::one(Some(&business.title), step, steps);
                match self.sync_step(&target, &at, &seller, &mut run, on_progress).await {
                    // The business's first list refused with every permission granted: the account
                    // lost access to it, and its other lists would be refused too.
                    Ok(StepOutcome { refused: Some(WhopError::Forbidden(refusal)), .. })
                        if refusal.access_lost() && resource == Resource::PER_BUSINESS[0] =>
                    {
                        reachable = false;
                    }
                    Ok(_) => {}
                    Err(stop) => return self.finish_run(run_id, run, Some(stop)).await,
                }
            }
            step += 1;
            if !reachable {
                continue;
            }
            // A product deleted on Whop has no reviews list to ask for any more.
            let products: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM whop_product WHERE account_id = ? AND remote_deleted_at IS NULL
                 ORDER BY created_at, id",
            )
            .bind(&business.id)
            .fetch_all(self.store.pool())
            .await?;
            // One step for the reviews of all the business's products: the progress row finishes
            // with the last product (at once when there is none).
            let mut at = Step::one(Some(&business.title), step, steps);
            if products.is_empty() {
                self.report_progress(
                    Resource::Reviews,
                    &at,
                    &ResourceCount::default(),
                    Instant::now(),
                    true,
                    on_progress,
                );
            }
            for (i, product) in products.iter().enumerate() {
                at.last = i + 1 == products.len();
                let target = Target::reviews(&business.id, product);
                match self.sync_step(&target, &at, &seller, &mut run, on_progress).await {
                    Ok(outcome) => at.carried = sum(&at.carried, &outcome.counts),
                    Err(stop) => return self.finish_run(run_id, run, Some(stop)).await,
                }
            }
        }
        self.finish_run(run_id, run, None).await
    }

    /// Tells the window (and `on_progress`) how a step stands: what it fetched so far (with what
    /// earlier lists of the same step fetched), and whether it is done.
    fn report_progress(
        &self,
        resource: Resource,
        at: &Step<'_>,
        counts: &ResourceCount,
        started: Instant,
        done: bool,
        on_progress: &(dyn Fn(&SyncProgress) + Send + Sync),
    ) {
        let shown = sum(&at.carried, counts);
        let elapsed = started.elapsed().as_secs_f64().max(1e-3);
        let progress = SyncProgress {
            resource: resource.name().into(),
            business: at.business.map(str::to_string),
            step: at.at,
            steps: at.of,
            fetched: shown.fetched,
            rate: counts.fetched as f64 / elapsed,
            errors: shown.errors,
            done: done && at.last,
        };
        on_progress(&progress);
        self.events.emit(CoreEvent::WhopSync { progress });
    }

    /// Syncs one target: `refused` when Whop refused this list (recorded; the run goes on).
    /// `Err`: the run must stop (the network, the session, the database).
    async fn sync_step(
        &self,
        target: &Target,
        at: &Step<'_>,
        seller: &Seller,
        run: &mut RunState,
        on_progress: &(dyn Fn(&SyncProgress) + Send + Sync),
    ) -> Result<StepOutcome, WhopError> {
        let resource = target.resource;
        let business = at.business;
        let started = Instant::now();
        let report = |counts: &ResourceCount, done: bool| {
            self.report_progress(resource, at, counts, started, done, on_progress);
        };
        let mut on_page = |counts: &ResourceCount| report(counts, false);
        let result = sync::sync_resource(
            self.store.clone(),
            &self.api,
            target,
            seller,
            self.config.rescan_interval,
            &mut on_page,
        )
        .await;
        match result {
            Ok(counts) => {
                report(&counts, true);
                if counts.people_created > 0 || (resource == Resource::Members && counts.updated > 0) {
                    self.events
                        .emit(CoreEvent::RecordsChanged { kind: RecordKind::Person, source: UpdateSource::Sync });
                }
                if resource == Resource::Memberships && (counts.inserted > 0 || counts.updated > 0) {
                    self.events.emit(CoreEvent::RecordsChanged { kind: RecordKind::Deal, source: UpdateSource::Sync });
                }
                run.add(counts.clone());
                run.succeeded += 1;
                Ok(StepOutcome { refused: None, counts })
            }
            Err(error) => {
                tracing::warn!(resource = resource.name(), scope = %target.scope, %error, "whop: a list did not sync");
                let failed = ResourceCount { resource: resource.name().into(), errors: 1, ..Default::default() };
                report(&failed, true);
                run.add(failed.clone());
                let stops = error.is_transient()
                    || matches!(
                        error,
                        WhopError::NotConnected
                            | WhopError::SessionEnded(_)
                            | WhopError::Store(_)
                            | WhopError::Secret(_)
                            | WhopError::Api { status: 401, .. }
                    );
                if stops {
                    return Err(error);
                }
                self.note_refusal(&error).await;
                let what = match business {
                    Some(title) if resource == Resource::Reviews => {
                        format!("reviews of {} ({title})", target.scope)
                    }
                    Some(title) => format!("{} of {title}", resource.name()),
                    None => resource.name().to_string(),
                };
                run.failures.push(format!("{what}: {error}"));
                Ok(StepOutcome { refused: Some(error), counts: failed })
            }
        }
    }

    /// Records how a run ended and answers it (or why it stopped).
    async fn finish_run(&self, run_id: i64, run: RunState, stopped: Option<WhopError>) -> Result<SyncRun, WhopError> {
        let counts_json = serde_json::to_string(&run.counts).unwrap_or_else(|_| "[]".into());
        let mut messages: Vec<String> = stopped.iter().map(ToString::to_string).collect();
        messages.extend(run.failures.iter().take(ERRORS_SHOWN).cloned());
        if run.failures.len() > ERRORS_SHOWN {
            messages.push(format!("and {} more", run.failures.len() - ERRORS_SHOWN));
        }
        let status = match (&stopped, run.failures.is_empty(), run.succeeded) {
            (None, true, _) => "done",
            (None, false, n) if n > 0 => "partial",
            _ => "failed",
        };
        let error = (!messages.is_empty()).then(|| messages.join("; "));
        sqlx::query("UPDATE sync_run SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?")
            .bind(time::format(time::now()))
            .bind(status)
            .bind(counts_json)
            .bind(&error)
            .bind(run_id)
            .execute(self.store.pool())
            .await?;
        self.events.emit(CoreEvent::WhopChanged);
        if let Some(stop) = stopped {
            return Err(stop);
        }
        self.sync_history(1).await?.into_iter().next().ok_or(WhopError::Config("the sync run vanished".into()))
    }

    /// A person's memberships, recent payments and lifetime value, for one of their businesses
    /// (`business_id`) or all of them.
    pub async fn person_summary(&self, query: WhopPersonQuery) -> Result<WhopPersonSummary, WhopError> {
        let WhopPersonQuery { person_id, business_id } = query;
        let business = business_id.as_deref();
        let pool = self.store.pool();
        let user_ids: Vec<String> =
            sqlx::query_scalar("SELECT user_id FROM whop_person WHERE person_id = ? ORDER BY user_id")
                .bind(person_id.to_string())
                .fetch_all(pool)
                .await?;
        if user_ids.is_empty() {
            return Ok(WhopPersonSummary::default());
        }
        let users = serde_json::to_string(&user_ids).unwrap_or_else(|_| "[]".into());
        let businesses: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT b.account_id, a.title FROM (
                 SELECT account_id FROM whop_membership WHERE user_id IN (SELECT value FROM json_each(?1))
                 UNION SELECT account_id FROM whop_payment WHERE user_id IN (SELECT value FROM json_each(?1))
             ) b LEFT JOIN whop_account a ON a.id = b.account_id
             WHERE b.account_id IS NOT NULL ORDER BY coalesce(a.title, b.account_id)",
        )
        .bind(&users)
        .fetch_all(pool)
        .await?;
        let mut conn = pool.acquire().await?;
        let memberships: Vec<MembershipRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{MEMBERSHIP_VIEW_SELECT} WHERE m.user_id IN (SELECT value FROM json_each(?1))
               AND (?2 IS NULL AND (m.account_id IS NULL OR m.account_id IN (SELECT id FROM whop_account)) OR m.account_id = ?2) ORDER BY m.created_at DESC"
        )))
        .bind(&users)
        .bind(business)
        .fetch_all(&mut *conn)
        .await?;
        let memberships = membership_views(&mut conn, memberships).await?;
        let payments: Vec<PaymentRow> = sqlx::query_as(
            "SELECT y.id, y.status, y.currency, y.raw,
                    coalesce(p.title, json_extract(y.raw, '$.product.title')) AS product,
                    coalesce(y.paid_at, y.created_at) AS paid_at
             FROM whop_payment y LEFT JOIN whop_product p ON p.id = y.product_id
             WHERE y.user_id IN (SELECT value FROM json_each(?1)) AND (?2 IS NULL AND (y.account_id IS NULL OR y.account_id IN (SELECT id FROM whop_account)) OR y.account_id = ?2)
             ORDER BY y.created_at DESC LIMIT 20",
        )
        .bind(&users)
        .bind(business)
        .fetch_all(&mut *conn)
        .await?;
        let payment_ids: Vec<String> = payments.iter().map(|p| p.id.clone()).collect();
        let mut open = dealdesk_outbox::queue::open_for(&mut conn, "whop_payment", &payment_ids).await?;
        drop(conn);
        let payment_count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM whop_payment WHERE user_id IN (SELECT value FROM json_each(?1))
               AND (?2 IS NULL AND (account_id IS NULL OR account_id IN (SELECT id FROM whop_account)) OR account_id = ?2)",
        )
        .bind(&users)
        .bind(business)
        .fetch_one(pool)
        .await?;
        let ltv: Vec<(String, i64)> = sqlx::query_as(
            "SELECT upper(coalesce(currency, 'USD')), sum(coalesce(total_micros, 0) - coalesce(refunded_micros, 0))
             FROM whop_payment WHERE user_id IN (SELECT value FROM json_each(?1)) AND status = 'paid'
               AND (?2 IS NULL AND (account_id IS NULL OR account_id IN (SELECT id FROM whop_account)) OR account_id = ?2)
             GROUP BY 1 ORDER BY 1",
        )
        .bind(&users)
        .bind(business)
        .fetch_all(pool)
        .await?;
        Ok(WhopPersonSummary {
            user_ids,
            businesses: businesses
                .into_iter()
                .map(|(id, title)| WhopAccount { title: title.unwrap_or_else(|| id.clone()), id })
                .collect(),
            memberships,
            payments: payments
                .into_iter()
                .map(|p| {
                    let remote: Value = serde_json::from_str(&p.raw).unwrap_or(Value::Null);
                    let ops = open.remove(&p.id).unwrap_or_default();
                    let (shown, pending) = dealdesk_outbox::queue::overlay(&remote, &ops)?;
                    let total_micros = resources::money(&shown, "total").unwrap_or(0);
                    let refunded_micros = resources::money(&shown, "refunded_amount").unwrap_or(0);
                    Ok(WhopPaymentView {
                        amount: amount_text(total_micros, p.currency.as_deref()),
                        refunded: (refunded_micros > 0).then(|| amount_text(refunded_micros, p.currency.as_deref())),
                        total_micros,
                        refunded_micros,
                        currency: p.currency.clone().unwrap_or_else(|| "USD".into()).to_uppercase(),
                        id: p.id,
                        status: p.status.unwrap_or_else(|| "unknown".into()),
                        product: p.product,
                        paid_at: p.paid_at,
                        pending,
                        retryable: shown.get("retryable").and_then(Value::as_bool).unwrap_or(false),
                        failure_message: resources::text(&shown, "failure_message"),
                    })
                })
                .collect::<Result<Vec<_>, WhopError>>()?,
            payment_count: payment_count as u64,
            lifetime_value: ltv.into_iter().map(|(currency, micros)| amount_text(micros, Some(&currency))).collect(),
        })
    }

    /// The membership a Whop deal mirrors, as the window shows it.
    pub async fn deal_membership(&self, deal_id: Uuid) -> Result<Option<WhopMembershipView>, WhopError> {
        let mut conn = self.store.pool().acquire().await?;
        let rows: Vec<MembershipRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{MEMBERSHIP_VIEW_SELECT} WHERE d.deal_id = ?")))
                .bind(deal_id.to_string())
                .fetch_all(&mut *conn)
                .await?;
        Ok(membership_views(&mut conn, rows).await?.into_iter().next())
    }

    /// Promo codes of one business or all, newest first, with creations that have not reached
    /// Whop yet on top.
    pub async fn promo_codes(&self, business: Option<String>) -> Result<Vec<WhopPromoCodeView>, WhopError> {
        let mut conn = self.store.pool().acquire().await?;
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, raw, account_id FROM whop_promo_code WHERE ?1 IS NULL OR account_id = ?1
             ORDER BY created_at DESC LIMIT 500",
        )
        .bind(&business)
        .fetch_all(&mut *conn)
        .await?;
        let ids: Vec<String> = rows.iter().map(|(id, ..)| id.clone()).collect();
        let mut open = dealdesk_outbox::queue::open_for(&mut conn, "whop_promo_code", &ids).await?;
        let creations: Vec<dealdesk_outbox::queue::OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM outbox WHERE action = 'promo_code.create' AND status IN {} ORDER BY id DESC",
            dealdesk_outbox::queue::COLUMNS,
            dealdesk_outbox::queue::OPEN
        )))
        .fetch_all(&mut *conn)
        .await?;
        let mut views = Vec::with_capacity(rows.len() + creations.len());
        for op in creations {
            let shown = Value::Object(op.map(&op.optimistic));
            let for_business = op.payload().ok().and_then(|p| resources::text(&p, "body.company_id"));
            if business.is_some() && for_business != business {
                continue;
            }
            views.push(WhopPromoCodeView {
                business_id: for_business,
                id: None,
                code: resources::text(&shown, "code").unwrap_or_default(),
                status: if op.status == "failed" { "refused".into() } else { "pending".into() },
                amount_off: resources::text(&shown, "amount_off").unwrap_or_default(),
                uses: None,
                pending: vec![op.pending_operation()?],
            });
        }
        for (id, raw, business_id) in rows {
            let remote: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
            let (shown, pending) = dealdesk_outbox::queue::overlay(&remote, &open.remove(&id).unwrap_or_default())?;
            let currency = resources::text(&shown, "currency");
            let promo_type = match resources::text(&shown, "promo_type").as_deref() {
                Some("percentage") => PromoType::Percentage,
                _ => PromoType::FlatAmount,
            };
            let amount_off = resources::money(&shown, "amount_off")
                .map(|micros| promo_amount_text(promo_type, micros, currency.as_deref()))
                .unwrap_or_default();
            views.push(WhopPromoCodeView {
                code: resources::text(&shown, "code").unwrap_or_default(),
                status: resources::text(&shown, "status").unwrap_or_else(|| "unknown".into()),
                amount_off,
                uses: shown.get("uses").and_then(Value::as_u64),
                pending,
                id: Some(id),
                business_id,
            });
        }
        Ok(views)
    }

    /// Whop payments, refunds and messages sent for a person's timeline (through their Whop users)
    /// or payments and refunds for a membership deal's (through its membership), newest first.
    pub async fn timeline_events(&self, record: RecordRef, limit: i64) -> Result<Vec<TimelineEvent>, WhopError> {
        let filter = match record.kind {
            RecordKind::Person => "y.user_id IN (SELECT user_id FROM whop_person WHERE person_id = ?1)",
            RecordKind::Deal => "y.membership_id IN (SELECT membership_id FROM whop_deal WHERE deal_id = ?1)",
            _ => return Ok(Vec::new()),
        };
        let pool = self.store.pool();
        let payments: Vec<PaymentEventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT y.rowid AS n, y.id, y.status, y.total_micros AS micros, y.currency,
                    coalesce(p.title, json_extract(y.raw, '$.product.title')) AS product,
                    coalesce(y.paid_at, y.created_at) AS at
             FROM whop_payment y LEFT JOIN whop_product p ON p.id = y.product_id
             WHERE {filter} ORDER BY at DESC LIMIT ?2"
        )))
        .bind(record.id.to_string())
        .bind(limit)
        .fetch_all(pool)
        .await?;
        let refunds: Vec<PaymentEventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.rowid AS n, r.id, r.status, r.amount_micros AS micros, r.currency, NULL AS product, r.created_at AS at
             FROM whop_refund r JOIN whop_payment y ON y.id = r.payment_id
             WHERE {filter} ORDER BY at DESC LIMIT ?2"
        )))
        .bind(record.id.to_string())
        .bind(limit)
        .fetch_all(pool)
        .await?;
        let event = |row: &PaymentEventRow, seq: i64, kind: TimelineEventKind| {
            let at = row.at.as_deref().and_then(|t| time::parse(t).ok())?;
            Some(TimelineEvent { seq, at, hlc: String::new(), record, source: UpdateSource::Sync, author: None, kind })
        };
        let mut events: Vec<TimelineEvent> = Vec::with_capacity(payments.len() + refunds.len());
        for row in &payments {
            let kind = TimelineEventKind::WhopPayment {
                payment_id: row.id.clone(),
                amount: amount_text(row.micros.unwrap_or(0), row.currency.as_deref()),
                status: row.status.clone().unwrap_or_else(|| "unknown".into()),
                product: row.product.clone(),
            };
            events.extend(event(row, -row.n, kind));
        }
        for row in &refunds {
            let kind = TimelineEventKind::WhopRefund {
                refund_id: row.id.clone(),
                amount: amount_text(row.micros.unwrap_or(0), row.currency.as_deref()),
                status: row.status.clone().unwrap_or_else(|| "unknown".into()),
            };
            // Below every payment number, so the two never collide.
            events.extend(event(row, -(row.n + (1 << 40)), kind));
        }
        if record.kind == RecordKind::Person {
            events.extend(messages::timeline_events(pool, record, limit).await?);
        }
        events.sort_by_key(|e| std::cmp::Reverse(e.at));
        events.truncate(limit.max(0) as usize);
        Ok(events)
    }

    /// Revenue per product (paid minus refunded) of one business or all, largest first.
    pub async fn product_revenue(&self, business: Option<String>) -> Result<Vec<ProductRevenue>, WhopError> {
        type Row = (Option<String>, String, Option<String>, String, i64, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT y.account_id, y.product_id, p.title, upper(coalesce(y.currency, 'USD')),
                    sum(coalesce(y.total_micros, 0) - coalesce(y.refunded_micros, 0)), count(*)
             FROM whop_payment y LEFT JOIN whop_product p ON p.id = y.product_id
             WHERE y.status = 'paid' AND y.product_id IS NOT NULL
               AND (?1 IS NULL AND (y.account_id IS NULL OR y.account_id IN (SELECT id FROM whop_account)) OR y.account_id = ?1)
             GROUP BY y.account_id, y.product_id, 4 ORDER BY 5 DESC",
        )
        .bind(business)
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(business_id, product_id, title, currency, revenue_micros, payments)| ProductRevenue {
                business_id,
                product_id,
                title,
                currency,
                revenue_micros,
                payments: payments as u64,
            })
            .collect())
    }
}
