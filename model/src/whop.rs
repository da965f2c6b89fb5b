//! What the window and the CLI see of the Whop integration: connection state, sync progress and
//! history, and a person's Whop data.

use serde::{Deserialize, Serialize};

/// The pipeline the sync keeps Whop memberships in (its deals' stage and status are Whop's).
pub const WHOP_PIPELINE: &str = "Whop memberships";

/// A Whop amount as shown everywhere (`USD 49.00`): Whop sends lower-case codes and may omit them.
pub fn amount_text(micros: i64, currency: Option<&str>) -> String {
    format!("{} {}", currency.unwrap_or("USD").to_uppercase(), crate::money::format_decimal_micros(micros, 2))
}

/// A promo code's discount as shown everywhere: `20%` or `USD 5.00`.
pub fn promo_amount_text(promo_type: crate::outbox::PromoType, micros: i64, currency: Option<&str>) -> String {
    match promo_type {
        crate::outbox::PromoType::Percentage => format!("{}%", crate::money::format_decimal_micros(micros, 0)),
        crate::outbox::PromoType::FlatAmount => amount_text(micros, currency),
    }
}

/// A business account the signed-in Whop user can act for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopAccount {
    pub id: String,
    pub title: String,
}

/// The signed-in Whop user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopIdentity {
    pub user_id: String,
    pub name: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
}

/// A business account and whether Dealdesk syncs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopBusiness {
    pub id: String,
    pub title: String,
    /// Synced (chosen, or the only one).
    pub selected: bool,
    /// The last sync of it failed (access lost, a permission missing): why.
    pub last_error: Option<String>,
    pub memberships: u64,
    pub payments: u64,
}

/// Where a permission Dealdesk needs stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionState {
    Granted,
    /// Not granted, or Whop refused a call for lack of it: reconnect and approve it.
    Missing,
    /// Asked for at a login from before Dealdesk recorded what Whop grants; nothing refused yet.
    Requested,
    /// Only the Whop actions need it, and they are switched off.
    NotRequested,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopPermission {
    pub permission: String,
    /// What Dealdesk uses it for.
    pub purpose: String,
    pub state: PermissionState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhopStatus {
    /// The integration is on (the setting and `DEALDESK_WHOP`).
    pub enabled: bool,
    /// `DEALDESK_WHOP=off` forces it off; the switch in Settings cannot turn it back on.
    pub disabled_by_env: bool,
    /// Tokens are in the keyring.
    pub connected: bool,
    pub identity: Option<WhopIdentity>,
    /// A browser login is waiting for its redirect.
    pub login_pending: bool,
    pub api_url: String,
    /// `production`, `sandbox` (Whop's sandbox) or `custom` (another server).
    pub environment: String,
    pub sync_interval_minutes: u32,
    /// Dealdesk may act on Whop (cancel, refund, promo codes…); it then asks for those permissions.
    pub actions_enabled: bool,
    pub last_run: Option<SyncRun>,
    pub resources: Vec<ResourceState>,
    /// People, memberships and payments mirrored so far.
    pub totals: WhopTotals,
    /// The signed-in user's business accounts.
    pub businesses: Vec<WhopBusiness>,
    /// There are several businesses and none is chosen yet: nothing but the accounts syncs.
    pub choose_businesses: bool,
    /// Every permission Dealdesk needs, and where each stands.
    pub permissions: Vec<WhopPermission>,
}

impl WhopStatus {
    /// The permissions Dealdesk needs and does not have (reconnect to approve them).
    pub fn missing_permissions(&self) -> Vec<&str> {
        self.permissions.iter().filter(|p| p.state == PermissionState::Missing).map(|p| p.permission.as_str()).collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopTotals {
    pub people: u64,
    pub memberships: u64,
    pub payments: u64,
}

/// The sync cursor of one resource (summed over its businesses, and for reviews their products).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceState {
    pub resource: String,
    pub rows: u64,
    /// A pass stopped part-way and resumes from its cursor.
    pub resuming: bool,
    pub high_water: Option<String>,
    pub last_full_scan_at: Option<String>,
    pub last_error: Option<String>,
}

/// One run of the sync (the history in Settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `running`, `done`, `partial` (some lists failed, the rest synced), `failed` or
    /// `interrupted`.
    pub status: String,
    pub counts: Vec<ResourceCount>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceCount {
    pub resource: String,
    pub requests: u64,
    pub fetched: u64,
    pub inserted: u64,
    pub updated: u64,
    pub people_created: u64,
    pub deals_created: u64,
    pub errors: u64,
}

/// Sent while a sync runs, after each page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncProgress {
    pub resource: String,
    /// The business being synced (its title), if the resource is per business.
    #[serde(default)]
    pub business: Option<String>,
    /// Position of the resource in the run and how many there are.
    pub step: u32,
    pub steps: u32,
    pub fetched: u64,
    /// Objects per second for this resource so far.
    pub rate: f64,
    pub errors: u64,
    pub done: bool,
}

/// A membership as shown on a person page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopMembershipView {
    pub id: String,
    pub status: String,
    pub product: Option<String>,
    pub renewal_period_end: Option<String>,
    pub cancel_at_period_end: bool,
    /// Payment collection is paused.
    pub paused: bool,
    pub created_at: Option<String>,
    /// The CRM deal that mirrors it.
    pub deal_id: Option<uuid::Uuid>,
    /// Deleted on Whop (a tombstone: kept so nothing the user wrote about it is lost).
    pub deleted_remotely: bool,
    /// Its metadata (a JSON object), a waiting edit applied: the metadata dialog starts from it.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// Changes made here that Whop has not confirmed yet; the fields above already show them.
    pub pending: Vec<crate::outbox::PendingOperation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopPaymentView {
    pub id: String,
    pub status: String,
    pub amount: String,
    pub refunded: Option<String>,
    pub total_micros: i64,
    /// Refunded so far, pending refunds included.
    pub refunded_micros: i64,
    pub currency: String,
    pub product: Option<String>,
    pub paid_at: Option<String>,
    pub pending: Vec<crate::outbox::PendingOperation>,
    /// A failed payment Whop can charge again (`POST /payments/{id}/retry`).
    #[serde(default)]
    pub retryable: bool,
    /// Why the payment failed, as Whop says it.
    #[serde(default)]
    pub failure_message: Option<String>,
}

/// A person's Whop data: memberships, recent payments and lifetime value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopPersonSummary {
    pub user_ids: Vec<String>,
    /// The businesses the person is a customer of (the summary can be narrowed to one).
    pub businesses: Vec<WhopAccount>,
    pub memberships: Vec<WhopMembershipView>,
    pub payments: Vec<WhopPaymentView>,
    pub payment_count: u64,
    /// Paid minus refunded, per currency (`"USD 1,234.00"`).
    pub lifetime_value: Vec<String>,
}

/// Which person, and optionally which of their businesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopPersonQuery {
    pub person_id: uuid::Uuid,
    pub business_id: Option<String>,
}

/// Revenue per product (paid minus refunded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRevenue {
    pub business_id: Option<String>,
    pub product_id: String,
    pub title: Option<String>,
    pub currency: String,
    pub revenue_micros: i64,
    pub payments: u64,
}

/// What Connect Whop starts: the page the browser opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopLoginStarted {
    pub authorize_url: String,
}

/// Settings → Integrations → Whop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopSettings {
    pub enabled: bool,
    pub sync_interval_minutes: u32,
    /// Let Dealdesk act on Whop (cancel, pause, refund, retry, promo codes). Off: the login asks
    /// only for read permissions and actions are refused.
    #[serde(default = "yes")]
    pub actions_enabled: bool,
}

fn yes() -> bool {
    true
}

/// One line of `whop doctor`: a check, whether it passed, and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorCheck {
    pub check: String,
    pub ok: bool,
    pub detail: String,
}
