//! dealdesk-sandbox: a local stand-in for Whop's OAuth endpoints and API v1.
//!
//! It serves deterministic seeded data at any scale on 127.0.0.1, mutates it on request (so incremental
//! sync can be tested), and injects faults (rate limits, 500s, slow or truncated bodies, schema drift).
//! It also takes Whop's writes (cancel, pause, refund, promo codes, DMs…) with `Idempotency-Key` replay and
//! logs every applied write, so tests can assert that a retried write landed exactly once; and it can
//! stop and restart listening on the same port with its data intact, to test offline behaviour.
//! Beside Whop it imitates OpenAI's Chat Completions and Anthropic's Messages API under `/v1`, with
//! deterministic answers computed from the prompt, so the AI features can be tested offline (see `ai`).
//! It also imitates DocuSign (`/docusign`) and Dropbox Sign (`/dropbox-sign`) for e-signatures, with
//! documents that signers view, sign or decline when a test says so or as time passes (see `esign`).
//! Tests use it in-process through [`Sandbox`]; other processes drive it via `/_sandbox/*` endpoints.

mod ai;
mod api;
pub mod contract;
mod control;
mod data;
mod dms;
mod esign;
mod faults;
mod listen;
mod oauth;
mod rng;
mod writes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::ai::AiLog;
pub use crate::ai::AiRequestRecord;
use crate::data::{Data, Record};
pub use crate::dms::{DmChannelRecord, MessageRecord};
pub use crate::esign::{EsignDocument, EsignProvider, EsignRequestRecord, EsignSigner};
use crate::esign::{EsignLog, EsignState};
use crate::listen::{bind, serve};
use crate::oauth::OAuthState;
pub use crate::writes::WriteRecord;
use crate::writes::WriteState;

/// How the sandbox is seeded and which OAuth client it accepts.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// 0 picks a free port.
    pub port: u16,
    pub members: usize,
    pub memberships: usize,
    pub payments: usize,
    /// The seller's business accounts (1 to 4); members, products and everything below them are
    /// spread over them. The seller also has a few purchases of their own from another creator.
    pub businesses: usize,
    pub seed: u64,
    pub client_id: String,
    /// The permissions the app declared on Whop (its Permissions tab): a login grants the requested
    /// ones among these. `None`: every permission of the contract.
    pub app_permissions: Option<Vec<String>>,
    /// Skip the consent page: `/oauth/authorize` redirects with a code straight away.
    pub auto_approve: bool,
    pub access_token_ttl_secs: i64,
    /// The key the AI routes accept: `Authorization: Bearer` on OpenAI's, `x-api-key` on Anthropic's.
    pub ai_api_key: String,
    /// The DocuSign integration key (`client_id`) `/docusign/oauth` accepts.
    pub docusign_client_id: String,
    /// The Dropbox Sign API key (HTTP Basic user name) `/dropbox-sign/v3` accepts.
    pub dropbox_sign_api_key: String,
    /// How many Dropbox Sign file downloads answer 409 ("still being prepared") after completion.
    pub files_409_count: u32,
    /// When set, every sent envelope or signature request moves one step per this many seconds of the
    /// sandbox clock since its last step (viewed, then one signature per step). `None`: only on request.
    pub esign_auto_advance_secs: Option<u64>,
    /// When the seeded history ends, in ms since the epoch. `None`: near 2026-09-01, so tests never
    /// depend on the wall clock. The benchmark and the demo pass "now", so the month in progress
    /// has renewals, failed payments awaiting their retry and trials ending, as a live business has.
    pub history_ends_at_ms: Option<i64>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self::with_members(50)
    }
}

impl SandboxConfig {
    /// `n` members with 1.5×n memberships and 5×n payments, the ratio of a typical small business.
    pub fn with_members(n: usize) -> Self {
        Self {
            port: 0,
            members: n,
            memberships: n + n / 2,
            payments: n * 5,
            businesses: 1,
            seed: 1,
            client_id: DEFAULT_CLIENT_ID.into(),
            app_permissions: None,
            auto_approve: false,
            access_token_ttl_secs: 3600,
            ai_api_key: SANDBOX_AI_KEY.into(),
            docusign_client_id: DOCUSIGN_CLIENT_ID.into(),
            dropbox_sign_api_key: DROPBOX_SIGN_API_KEY.into(),
            files_409_count: 2,
            esign_auto_advance_secs: None,
            history_ends_at_ms: None,
        }
    }
}

pub const DEFAULT_CLIENT_ID: &str = "app_dealdesk_sandbox";
/// The custom-scheme redirect the desktop app registers (loopback redirects are accepted too).
pub const APP_REDIRECT_URI: &str = "dealdesk://oauth/whop/callback";
/// The AI API key a sandbox accepts unless configured otherwise.
pub const SANDBOX_AI_KEY: &str = "sk-sandbox";
/// The DocuSign integration key a sandbox accepts unless configured otherwise.
pub const DOCUSIGN_CLIENT_ID: &str = "dealdesk-docusign-sandbox";
/// The Dropbox Sign API key a sandbox accepts unless configured otherwise.
pub const DROPBOX_SIGN_API_KEY: &str = "dbs-sandbox-key";

fn one() -> u32 {
    1
}

/// A fault applied to the next `count` matching requests.
#[derive(Deserialize, Serialize, Clone, Debug)]
pub struct Fault {
    pub kind: FaultKind,
    /// Only requests whose path starts with this; `None` = all `/api/v1` and `/oauth/token` requests
    /// (never the AI or e-sign routes: a fault for those names them, e.g. `/v1/messages`, `/docusign/`
    /// or `/dropbox-sign/`).
    #[serde(default)]
    pub path_prefix: Option<String>,
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

impl Fault {
    /// A fault of `kind` for the next matching request, on every faultable path.
    pub fn new(kind: FaultKind) -> Self {
        Self { kind, path_prefix: None, count: 1, retry_after_secs: None, delay_ms: None }
    }
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with `Retry-After` (default 1 s) and a v1 error body (on AI routes the provider's
    /// `rate_limit_error` shape, plus `retry-after-ms` for OpenAI; on e-sign routes the provider's shape
    /// and rate-limit headers with `X-RateLimit-Remaining: 0`).
    RateLimit,
    /// 500 with a v1 error body (on AI routes the provider's shape: OpenAI `server_error`, Anthropic
    /// `api_error`).
    ServerError,
    /// Sleeps `delay_ms` (default 1000) and then answers normally.
    Slow,
    /// 200 with the JSON body cut in half.
    Truncated,
    /// Normal answer, but every object carries unknown extra fields (nested objects too).
    ExtraFields,
    /// Normal answer, but optional fields are left out (keeps id, created_at, updated_at, status).
    MissingOptional,
    /// The provider cannot take the request right now: Anthropic's 529 `overloaded_error` on
    /// `/v1/messages`, 503 elsewhere (OpenAI's shape on the other AI routes, a v1 body on Whop's).
    /// `retry_after_secs`, if set, is sent as `Retry-After`.
    Overloaded,
    /// AI routes only (a normal answer elsewhere): 200, but the model ignored the requested format. A
    /// structured answer breaks its schema (sentiment `{"label":"ecstatic","score":2.5}`, lead score
    /// `{"score":250}`, email `{"subject":42}`, anything else `{"x_sandbox_unexpected":true}`), JSON
    /// mode gets prose, and a text answer is empty.
    MalformedOutput,
}

#[derive(Deserialize, Serialize, Default, Clone, Debug)]
pub struct Mutation {
    #[serde(default)]
    pub new_members: usize,
    #[serde(default)]
    pub new_payments: usize,
    #[serde(default)]
    pub cancellations: usize,
    #[serde(default)]
    pub refunds: usize,
    /// These memberships become "canceled" now (unknown ids are skipped), for write-conflict tests.
    #[serde(default)]
    pub cancel_membership_ids: Vec<String>,
    /// These memberships get payment collection paused.
    #[serde(default)]
    pub pause_membership_ids: Vec<String>,
    /// These memberships disappear: retrieve answers 404 and lists leave them out.
    #[serde(default)]
    pub delete_membership_ids: Vec<String>,
}

#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct MutationResult {
    pub created_member_ids: Vec<String>,
    pub created_payment_ids: Vec<String>,
    /// Random cancellations first, then `cancel_membership_ids` that exist.
    pub canceled_membership_ids: Vec<String>,
    pub refund_ids: Vec<String>,
    #[serde(default)]
    pub deleted_membership_ids: Vec<String>,
}

/// State shared by all handlers.
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub port: u16,
    data: RwLock<Data>,
    oauth: Mutex<OAuthState>,
    faults: Mutex<Vec<Fault>>,
    stats: Mutex<BTreeMap<String, u64>>,
    /// Idempotency keys and the write log. Taken before `data` whenever both are held.
    writes: Mutex<WriteState>,
    clock_offset_ms: AtomicI64,
    token_counter: AtomicU64,
    /// Mixed into token hashes so two sandboxes in one process never hand out the same token.
    token_salt: u64,
    /// When the sandbox started: the AI request log's time base.
    started: std::time::Instant,
    ai_log: Mutex<AiLog>,
    ai_ids: AtomicU64,
    /// E-sign documents, DocuSign tokens and rate counters; never held while taking `data`.
    esign: Mutex<EsignState>,
    esign_log: Mutex<EsignLog>,
}

pub(crate) type AppState = Arc<Shared>;

// A poisoned lock only means another handler panicked; the data is still usable for a test double.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn data(&self) -> RwLockReadGuard<'_, Data> {
        self.data.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn data_mut(&self) -> RwLockWriteGuard<'_, Data> {
        self.data.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn oauth(&self) -> MutexGuard<'_, OAuthState> {
        lock(&self.oauth)
    }

    pub(crate) fn writes(&self) -> MutexGuard<'_, WriteState> {
        lock(&self.writes)
    }

    /// The sandbox clock in ms: never behind the newest object, plus whatever tests advanced it by.
    pub(crate) fn now_ms(&self) -> i64 {
        let latest = self.data().latest_ms;
        self.now_ms_given(latest)
    }

    fn now_ms_given(&self, latest_ms: i64) -> i64 {
        let wall = chrono::Utc::now().timestamp_millis();
        wall.max(latest_ms + 1) + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// The time for a change made while holding the data lock: after everything in `data` even if the
    /// clock was moved backwards, so updated_at and new objects' created_at keep increasing.
    pub(crate) fn write_time(&self, data: &Data) -> i64 {
        self.now_ms_given(data.latest_ms).max(data.latest_ms + 1)
    }

    pub(crate) fn ai_log(&self) -> MutexGuard<'_, AiLog> {
        lock(&self.ai_log)
    }

    /// Monotonic ms since the sandbox started.
    pub(crate) fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// `prefix` + a fresh id, for request, completion, message and tool-call ids on the AI routes.
    pub(crate) fn next_ai_id(&self, prefix: &str) -> String {
        let n = self.ai_ids.fetch_add(1, Ordering::Relaxed);
        rng::make_id(prefix, self.config.seed, self.token_salt ^ 0xa1, n)
    }

    pub(crate) fn next_token_number(&self) -> u64 {
        self.token_counter.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn inject(&self, fault: Fault) {
        if fault.count > 0 {
            tracing::debug!(?fault, "fault injected");
            lock(&self.faults).push(fault);
        }
    }

    pub(crate) fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// Takes one use of the first fault matching `path`.
    pub(crate) fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let i = faults.iter().position(|f| match &f.path_prefix {
            Some(prefix) => path.starts_with(prefix.as_str()),
            None => path.starts_with("/api/v1") || path == "/oauth/token",
        })?;
        let fault = faults[i].clone();
        faults[i].count -= 1;
        if faults[i].count == 0 {
            faults.remove(i);
        }
        Some(fault)
    }

    pub(crate) fn mutate(&self, m: &Mutation) -> MutationResult {
        let mut data = self.data_mut();
        let now = self.now_ms_given(data.latest_ms);
        let result = data.mutate(m, now);
        tracing::debug!(?m, "mutation applied");
        result
    }

    pub(crate) fn advance_clock(&self, secs: i64) {
        self.clock_offset_ms.fetch_add(secs.saturating_mul(1000), Ordering::Relaxed);
    }

    pub(crate) fn count_request(&self, path: &str) {
        *lock(&self.stats).entry(path.to_string()).or_insert(0) += 1;
    }

    pub(crate) fn stats(&self) -> BTreeMap<String, u64> {
        lock(&self.stats).clone()
    }

    pub(crate) fn reset_stats(&self) {
        lock(&self.stats).clear();
    }
}

/// A running sandbox server. Dropping it stops the server too; `shutdown` also waits for it.
pub struct Sandbox {
    shared: AppState,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// How long `start_listening` keeps retrying a port that is still held (TIME_WAIT, a slow close).
const REBIND_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

impl Sandbox {
    /// Binds 127.0.0.1, seeds the data and serves in a spawned task.
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Sandbox> {
        let unhandled = api::unhandled();
        anyhow::ensure!(unhandled.is_empty(), "the sandbox has no handler for {}", unhandled.join(", "));
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], config.port)))?;
        let addr = listener.local_addr()?;
        let (seed, members, memberships, payments) = (config.seed, config.members, config.memberships, config.payments);
        let (businesses, ends_at) = (config.businesses, config.history_ends_at_ms);
        // Seeding 150k objects is CPU work; keep it off the async worker threads.
        let data =
            tokio::task::spawn_blocking(move || Data::seed(seed, members, memberships, payments, businesses, ends_at))
                .await?;
        let wall_nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        let shared = Arc::new(Shared {
            port: addr.port(),
            config,
            data: RwLock::new(data),
            oauth: Mutex::new(OAuthState::default()),
            faults: Mutex::new(Vec::new()),
            stats: Mutex::new(BTreeMap::new()),
            writes: Mutex::new(WriteState::default()),
            clock_offset_ms: AtomicI64::new(0),
            token_counter: AtomicU64::new(0),
            token_salt: rng::mix(wall_nanos ^ u64::from(addr.port())),
            started: std::time::Instant::now(),
            ai_log: Mutex::new(AiLog::default()),
            ai_ids: AtomicU64::new(0),
            esign: Mutex::new(EsignState::default()),
            esign_log: Mutex::new(EsignLog::default()),
        });
        let (stop, task) = serve(shared.clone(), listener);
        tracing::info!(%addr, "sandbox listening");
        Ok(Sandbox { shared, addr, stop: Some(stop), task: Some(task) })
    }

    /// Stops accepting and closes every connection (idle keep-alive ones included), waiting until the
    /// server task has ended, so the next request to this port is refused. Data, tokens, faults, the
    /// write log and the AI request log stay; `start_listening` serves them again on the same port.
    pub async fn stop_listening(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
            // Every client has closed its end by now, but a client thread can be preempted between
            // sending its FIN and dropping the connection from its pool; give it a moment.
            tokio::time::sleep(listen::CLIENT_SETTLE).await;
            tracing::info!(addr = %self.addr, "sandbox stopped listening");
        }
    }

    /// Binds the same address again and serves the same state. Retries for a while if the port is
    /// still held; fails if something else took it meanwhile. A no-op when already listening.
    pub async fn start_listening(&mut self) -> anyhow::Result<()> {
        if self.is_listening() {
            return Ok(());
        }
        // A server task that ended on its own leaves its stop channel behind; clear both.
        self.stop_listening().await;
        let deadline = tokio::time::Instant::now() + REBIND_PATIENCE;
        let listener = loop {
            match bind(self.addr) {
                Ok(listener) => break listener,
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tokio::time::Instant::now() < deadline => {
                    tracing::debug!(addr = %self.addr, "port still in use; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                }
                Err(e) => return Err(anyhow::anyhow!("cannot listen on {} again: {e}", self.addr)),
            }
        };
        let (stop, task) = serve(self.shared.clone(), listener);
        self.stop = Some(stop);
        self.task = Some(task);
        tracing::info!(addr = %self.addr, "sandbox listening again");
        Ok(())
    }

    /// Whether the server task is running (false after `stop_listening` or if serving failed).
    pub fn is_listening(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/api/v1`
    pub fn api_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT/oauth`
    pub fn oauth_url(&self) -> String {
        format!("http://{}/oauth", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL for OpenAI clients (they append `/chat/completions`).
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT`, the base URL for Anthropic clients (they append `/v1/messages`).
    pub fn anthropic_base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The key the AI routes accept (`SandboxConfig::ai_api_key`).
    pub fn ai_api_key(&self) -> &str {
        &self.shared.config.ai_api_key
    }

    /// Every request to an AI route so far, in arrival order, refused and faulted ones included.
    pub fn ai_requests(&self) -> Vec<AiRequestRecord> {
        self.shared.ai_log().records()
    }

    pub fn clear_ai_requests(&self) {
        self.shared.ai_log().clear();
    }

    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }

    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    pub fn mutate(&self, m: Mutation) -> MutationResult {
        self.shared.mutate(&m)
    }

    /// Moves the sandbox's notion of now forward (code and token expiry, mutation timestamps).
    pub fn advance_clock(&self, secs: i64) {
        self.shared.advance_clock(secs);
    }

    /// Requests received for this exact path (faulted ones included, `/_sandbox` ones excluded).
    pub fn request_count(&self, path: &str) -> u64 {
        self.shared.stats().get(path).copied().unwrap_or(0)
    }

    pub fn reset_stats(&self) {
        self.shared.reset_stats();
    }

    /// Live objects per resource name ("payments", "members", …).
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.shared.data().counts()
    }

    /// Plays the user in the browser: opens `authorize_url` (the consent page), clicks Approve,
    /// and returns where the sandbox redirects (the deep link or loopback URL with code and state).
    pub async fn approve_in_browser(&self, authorize_url: &str) -> anyhow::Result<String> {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let page = http.get(authorize_url).send().await?;
        anyhow::ensure!(page.status() == 200, "the consent page answered {}", page.status());
        let html = page.text().await?;
        let at = html.find("id=\"approve\"").ok_or_else(|| anyhow::anyhow!("no Approve link on the consent page"))?;
        let href_at =
            at + html[at..].find("href=\"").ok_or_else(|| anyhow::anyhow!("the Approve link has no href"))? + 6;
        let end = html[href_at..].find('"').ok_or_else(|| anyhow::anyhow!("unterminated href"))?;
        let href = html[href_at..href_at + end].replace("&amp;", "&");
        let decision = http.get(format!("http://{}{href}", self.addr())).send().await?;
        anyhow::ensure!(decision.status() == 302, "the decision answered {}", decision.status());
        let location = decision
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| anyhow::anyhow!("the decision has no Location"))?;
        Ok(location.to_string())
    }

    /// Extra to the OAuth flow: a valid access token granted every permission of the contract, for
    /// tests and benchmarks that only exercise the API.
    pub fn mint_access_token(&self) -> String {
        let all: Vec<String> = contract::all_permissions().into_iter().collect();
        oauth::mint_direct_token(&self.shared, &all)
    }

    /// A valid access token granted only `permissions` (and the OpenID scopes).
    pub fn mint_access_token_with<S: AsRef<str>>(&self, permissions: &[S]) -> String {
        let permissions: Vec<String> = permissions.iter().map(|p| p.as_ref().to_string()).collect();
        oauth::mint_direct_token(&self.shared, &permissions)
    }

    /// The seller's business accounts: (id, title), in order.
    pub fn businesses(&self) -> Vec<(String, String)> {
        self.shared.data().accounts.iter().map(|a| (a.id.clone(), a.title.clone())).collect()
    }

    /// Takes the seller's access to a business away (or gives it back): its lists and objects answer
    /// 403 and it leaves `GET /accounts`, as when a team member is removed from a company.
    pub fn set_business_access(&self, business_id: &str, accessible: bool) {
        let mut data = self.shared.data_mut();
        if let Some(b) = data.accounts.iter().position(|a| a.id == business_id) {
            data.accessible[b] = accessible;
        }
    }

    /// The ids of the seller's own purchases (memberships and payments from another creator):
    /// listed for a user token that names no company, never the seller's customers.
    pub fn own_purchase_ids(&self) -> Vec<String> {
        let data = self.shared.data();
        let memberships = data.memberships.iter().filter(|m| m.biz.is_none()).map(|m| m.id.clone());
        let payments = data.payments.iter().filter(|p| p.biz.is_none()).map(|p| p.id.clone());
        memberships.chain(payments).collect()
    }

    /// Every applied write so far, oldest first (replays and refused requests are not in it).
    pub fn writes(&self) -> Vec<WriteRecord> {
        self.shared.writes().log().to_vec()
    }

    /// Requests answered from a stored idempotent result, over all keys.
    pub fn replays(&self) -> u64 {
        self.shared.writes().replays()
    }

    /// Requests answered from the stored result of this idempotency key.
    pub fn replays_of(&self, idempotency_key: &str) -> u64 {
        self.shared.writes().replays_of(idempotency_key)
    }

    /// The membership as `GET /memberships/{id}` would answer it, without faults.
    pub fn membership(&self, id: &str) -> Option<serde_json::Value> {
        find_json(&self.shared.data().memberships, id, "memberships.retrieve")
    }

    /// The payment as `GET /payments/{id}` would answer it, without faults.
    pub fn payment(&self, id: &str) -> Option<serde_json::Value> {
        find_json(&self.shared.data().payments, id, "payments.retrieve")
    }

    /// The promo code with this code (compared ignoring ASCII case, as codes are unique that way),
    /// as `GET /promo_codes/{id}` would answer it.
    pub fn promo_code_by_code(&self, code: &str) -> Option<serde_json::Value> {
        let data = self.shared.data();
        let promo = data.promo_codes.iter().find(|p| p.code.eq_ignore_ascii_case(code))?;
        Some(contract::shaped("promoCodes.retrieve", serde_json::to_value(promo).ok()?))
    }

    pub async fn shutdown(mut self) {
        self.stop_listening().await;
    }
}

fn find_json<T: Record>(items: &[T], id: &str, sdk_method: &str) -> Option<serde_json::Value> {
    Some(contract::shaped(sdk_method, serde_json::to_value(items.iter().find(|x| x.id() == id)?).ok()?))
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn router(shared: AppState) -> axum::Router {
    axum::Router::new()
        .nest("/oauth", oauth::routes())
        .nest("/api/v1", api::routes(&shared))
        .nest("/v1", ai::routes())
        .merge(esign::routes(&shared))
        .nest("/_sandbox", control::routes())
        .layer(axum::middleware::from_fn_with_state(shared.clone(), faults::layer))
        .with_state(shared)
}
