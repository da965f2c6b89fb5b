//! What a service that sends operations through the outbox implements. The outbox knows
//! operations, their order, attempts, keys and conflicts; each target knows its remote. Targets
//! register with the outbox when the app opens, so the outbox never names a service above it.

use super::OutboxError;
use super::conflicts::ConflictRow;
use super::queue::OutboxRow;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::outbox::Resolution;
use serde_json::Value;
use sqlx::SqliteConnection;
use std::time::Duration;

/// How long an operation waits before trying again while its service is not connected (no login,
/// no API key, turned off).
pub const NOT_CONNECTED_WAIT: Duration = Duration::from_secs(60);
/// How long an operation waits before trying again while its provider cannot be reached (an AI or
/// e-sign provider down does not make the app offline: Whop operations still go out).
pub const UNREACHABLE_WAIT: Duration = Duration::from_secs(30);

/// What the remote made of one operation, whatever the target.
pub enum Delivery {
    /// Taken: the answer is written when the operation settles.
    Confirmed(Box<dyn Settle>),
    /// Try again after `wait`. `stop` ends the drain (offline, not connected); an attempt that is
    /// not `counted` does not bring the operation closer to failing.
    Retry { wait: Duration, message: String, stop: bool, counted: bool },
    /// Refused: sending it again would not help.
    Rejected(String),
    /// The remote object is gone.
    NotFound(String),
}

impl Delivery {
    /// A provider that cannot be reached (AI, e-sign): the operation waits without counting the
    /// attempt, and the drain ends; an unreachable provider does not make the app offline.
    pub fn unreachable(message: String) -> Delivery {
        Delivery::Retry { wait: UNREACHABLE_WAIT, message, stop: true, counted: false }
    }

    /// A service that is not connected (no login, no key, turned off): the operation waits
    /// without counting the attempt; the drain goes on with the other targets.
    pub fn not_connected(message: String) -> Delivery {
        Delivery::Retry { wait: NOT_CONNECTED_WAIT, message, stop: false, counted: false }
    }

    /// A failure that may pass: tried again after `wait`, counted towards giving up.
    pub fn transient(wait: Duration, message: String) -> Delivery {
        Delivery::Retry { wait, message, stop: false, counted: true }
    }
}

/// A confirmed operation's answer, written in the transaction that settles it.
#[async_trait::async_trait]
pub trait Settle: Send {
    /// Writes the answer; returns what the windows are told once the settling commits.
    async fn settle(self: Box<Self>, tx: &mut SqliteConnection, op: &OutboxRow) -> Result<Vec<CoreEvent>, OutboxError>;
}

/// A service whose operations wait in the outbox.
#[async_trait::async_trait]
pub trait OutboxTarget: Send + Sync {
    /// The `target` column of the operations it owns.
    fn name(&self) -> &'static str;

    /// Sends one claimed operation (`attempts` counts this one).
    async fn deliver(&self, op: &OutboxRow, payload: &Value, attempts: u32) -> Result<Delivery, OutboxError>;

    /// The operation failed for good (refused, or out of attempts); in the settling transaction.
    /// Returns what the windows are told once it commits.
    async fn rejected(
        &self,
        _tx: &mut SqliteConnection,
        _op: &OutboxRow,
        _message: &str,
    ) -> Result<Vec<CoreEvent>, OutboxError> {
        Ok(Vec::new())
    }

    /// The remote object is gone: the operation is now a conflict; the target marks its copy and
    /// records the conflict the user resolves.
    async fn not_found(&self, _tx: &mut SqliteConnection, _op: &OutboxRow, _message: &str) -> Result<(), OutboxError> {
        Ok(())
    }

    /// A conflict was resolved (in its transaction, after the outbox settled the operations and
    /// the CRM record).
    async fn conflict_resolved(
        &self,
        _tx: &mut SqliteConnection,
        _conflict: &ConflictRow,
        _keep: Resolution,
    ) -> Result<(), OutboxError> {
        Ok(())
    }

    /// What the windows are told after an attempt whose outcome announced nothing of its own.
    fn attempt_event(&self) -> Option<CoreEvent> {
        None
    }

    /// What the windows are told once a drain settled some of its operations (batched).
    fn settled_event(&self) -> Option<CoreEvent> {
        None
    }

    /// The network came back (runs on the connectivity watch: spawn anything long).
    fn back_online(self: std::sync::Arc<Self>) {}
}

/// Maps a target's own error to the outbox's, keeping its message.
pub fn target_error(error: impl std::fmt::Display) -> OutboxError {
    OutboxError::InvalidAction(error.to_string())
}
