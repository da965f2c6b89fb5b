//! Offline first: the outbox of operations waiting for the network, conflicts between local and
//! remote changes, connectivity, and the Whop actions a user can take from the CRM.

use serde::{Deserialize, Serialize};

/// Where an outbound operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for its turn, the network or its next attempt.
    Pending,
    /// Being sent right now.
    InFlight,
    /// The remote confirmed it.
    Done,
    /// The remote refused it (or kept failing); the local state is rolled back. Retry or discard.
    Failed,
    /// A remote change collides with it; resolve the conflict to go on.
    Conflict,
    /// The user gave it up.
    Discarded,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::InFlight => "in_flight",
            OutboxStatus::Done => "done",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Conflict => "conflict",
            OutboxStatus::Discarded => "discarded",
        }
    }

    pub fn parse(text: &str) -> Option<OutboxStatus> {
        Some(match text {
            "pending" => OutboxStatus::Pending,
            "in_flight" => OutboxStatus::InFlight,
            "done" => OutboxStatus::Done,
            "failed" => OutboxStatus::Failed,
            "conflict" => OutboxStatus::Conflict,
            "discarded" => OutboxStatus::Discarded,
            _ => return None,
        })
    }

    /// Still the user's business: shown in the panel and counted as waiting or needing attention.
    pub fn is_open(self) -> bool {
        matches!(self, OutboxStatus::Pending | OutboxStatus::InFlight | OutboxStatus::Failed | OutboxStatus::Conflict)
    }
}

/// One outbound operation as the panel and `dealdesk-cli outbox list` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: i64,
    /// `whop` (later `ai`, `esign`).
    pub target: String,
    /// `membership.cancel`, `payment.refund`, …
    pub action: String,
    /// `whop_membership`, `whop_payment`, `whop_promo_code`.
    pub record_kind: String,
    pub record_id: String,
    /// What it does, for people ("Cancel membership mem_… at period end").
    pub summary: String,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub finished_at: Option<String>,
    pub idempotency_key: String,
    pub payload: serde_json::Value,
}

/// What the status area shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxSummary {
    /// Pending or in flight.
    pub waiting: u64,
    pub failed: u64,
    /// Unresolved conflicts.
    pub conflicts: u64,
    /// The network (Whop) answered the last request or probe.
    pub online: bool,
    /// Why the app thinks it is offline.
    pub offline_reason: Option<String>,
}

/// How a conflict arose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// The same field changed locally (a pending operation) and remotely.
    Field,
    /// The record was deleted remotely while a local change waited.
    DeletedRemotely,
    /// The record is in the local trash and changed remotely.
    DeletedLocally,
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::Field => "field",
            ConflictKind::DeletedRemotely => "deleted_remotely",
            ConflictKind::DeletedLocally => "deleted_locally",
        }
    }

    pub fn parse(text: &str) -> Option<ConflictKind> {
        Some(match text {
            "field" => ConflictKind::Field,
            "deleted_remotely" => ConflictKind::DeletedRemotely,
            "deleted_locally" => ConflictKind::DeletedLocally,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictView {
    pub id: i64,
    pub kind: ConflictKind,
    pub record_kind: String,
    pub record_id: String,
    /// The CRM record the conflict shows on (the membership's deal, the payment's person).
    pub crm_record: Option<crate::record::RecordRef>,
    pub field: Option<String>,
    pub local_value: serde_json::Value,
    pub remote_value: serde_json::Value,
    /// The operation that holds the local value.
    pub outbox_id: Option<i64>,
    pub summary: String,
    pub created_at: String,
    pub resolved_at: Option<String>,
    /// `mine` or `theirs` once resolved.
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Keep the local value: the operation goes out (or the record stays as it is here).
    Mine,
    /// Take the remote value: the operation is dropped and the local value replaced.
    Theirs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveConflict {
    pub id: i64,
    pub keep: Resolution,
}

/// How a membership is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelMode {
    AtPeriodEnd,
    Immediately,
}

/// A change to Whop made from the CRM. It is recorded locally at once and goes out through the
/// outbox; until Whop confirms, the window shows it as pending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum WhopAction {
    CancelMembership {
        membership_id: String,
        mode: CancelMode,
    },
    /// Takes back a cancellation at the end of the period.
    UncancelMembership {
        membership_id: String,
    },
    PauseMembership {
        membership_id: String,
    },
    ResumeMembership {
        membership_id: String,
    },
    AddFreeDays {
        membership_id: String,
        days: u32,
    },
    /// Replaces the membership's metadata with this JSON object.
    UpdateMembershipMetadata {
        membership_id: String,
        metadata: serde_json::Value,
    },
    /// `amount_micros: None` refunds whatever is left (sent to Whop as that amount: an empty
    /// refund means the full payment to Whop).
    RefundPayment {
        payment_id: String,
        amount_micros: Option<i64>,
    },
    /// Charges a failed payment again (only when Whop says it is `retryable`).
    RetryPayment {
        payment_id: String,
    },
    CreatePromoCode(NewPromoCode),
    /// Archives the code on Whop (`DELETE /promo_codes/{id}`): it can no longer be used.
    DeactivatePromoCode {
        promo_code_id: String,
    },
    /// Messages a customer on Whop: a DM channel with them (Whop returns the existing one), then
    /// the message in it. `text` is Markdown, as Whop reads it.
    SendMessage {
        to: MessageRecipient,
        text: String,
    },
}

/// The longest message Dealdesk sends to a customer on Whop, in characters. Whop documents no limit;
/// this one is Dealdesk's (the window can count against it).
pub const MAX_WHOP_MESSAGE_CHARS: usize = 4000;

/// Who a Whop message goes to: a person in the CRM (through their Whop account), or a Whop user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRecipient {
    Person(uuid::Uuid),
    /// A Whop user id (`user_…`) synced from Whop.
    WhopUser(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromoType {
    Percentage,
    FlatAmount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPromoCode {
    pub code: String,
    pub promo_type: PromoType,
    /// Percent (1–100) for a percentage code; micros of `currency` for a flat amount.
    pub amount_off_micros: i64,
    pub currency: String,
    pub new_users_only: bool,
    /// How many billing months the discount lasts (Whop's pinned API has no "forever").
    pub duration_months: u32,
    /// The business it is for; may be left out when only one business is synced.
    #[serde(default)]
    pub business_id: Option<String>,
}

/// A promo code as the Whop screen lists it (pending creations included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhopPromoCodeView {
    /// `None` until Whop has created it.
    pub id: Option<String>,
    pub code: String,
    pub status: String,
    pub amount_off: String,
    pub uses: Option<u64>,
    pub pending: Vec<PendingOperation>,
    /// The business it belongs to.
    #[serde(default)]
    pub business_id: Option<String>,
}

/// An operation that has not reached Whop yet, shown beside the record it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOperation {
    pub outbox_id: i64,
    pub summary: String,
    pub status: OutboxStatus,
    pub last_error: Option<String>,
}

/// Sets a field back to the value it had before change `seq` of the record's change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreFieldValue {
    pub record: crate::record::RecordRef,
    pub seq: i64,
}
