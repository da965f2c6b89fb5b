//! Whop as an outbox target: actions queued by [`Whop::run_action`] go out under their
//! idempotency keys; Whop's answer is written into the mirror when the operation settles.

use super::actions::{self, TARGET};
use super::client::WriteOutcome;
use super::{Whop, WhopError};
use dealdesk_crm::record::WriteCtx;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::outbox::{ConflictKind, OutboxEntry, Resolution, WhopAction};
use dealdesk_model::{RecordKind, UpdateSource};
use dealdesk_outbox::conflicts::{self, ConflictRow};
use dealdesk_outbox::queue::{self, OutboxRow};
use dealdesk_outbox::target::{NOT_CONNECTED_WAIT, Settle};
use dealdesk_outbox::{Delivery, OutboxError, OutboxTarget};
use dealdesk_store::{Store, time};
use serde_json::Value;
use sqlx::SqliteConnection;
use std::sync::Arc;

impl From<WhopError> for OutboxError {
    fn from(error: WhopError) -> Self {
        match error {
            WhopError::Store(error) => OutboxError::Store(error),
            other => OutboxError::InvalidAction(other.to_string()),
        }
    }
}

impl Whop {
    /// Records a Whop action and queues it, in one transaction; the worker is woken.
    pub async fn run_action(&self, action: &WhopAction, source: UpdateSource) -> Result<OutboxEntry, WhopError> {
        let mut tx = self.store.begin_write().await?;
        let op = self.prepare_action(&mut tx, action).await?;
        let id = self.outbox.enqueue(&mut tx, &op, source).await?;
        let row = queue::get(&mut tx, id).await?;
        tx.commit().await?;
        self.outbox.poke();
        Ok(row.entry()?)
    }

    /// Sends a Whop operation under an idempotency key Whop still knows. A key first sent longer
    /// ago than Whop keeps keys is not resent: Whop is asked whether the operation took effect
    /// (then it settles with the object as Whop has it) and, if not, it goes out under a new key.
    async fn send_operation(&self, op: &OutboxRow, payload: &Value, attempts: u32) -> Result<Delivery, OutboxError> {
        let mut key = op.idempotency_key.clone();
        let first_sent = op.key_first_sent_at.as_deref().and_then(|t| time::parse(t).ok());
        if let Some(first_sent) = first_sent.filter(|at| actions::key_expired(*at, time::now())) {
            let optimistic = op.map(&op.optimistic);
            match self.already_applied(&op.action, &op.record_id, payload, &optimistic, first_sent).await {
                Ok(Some(object)) => {
                    tracing::info!(id = op.id, action = %op.action, "outbox: its key expired, and Whop shows it done");
                    return Ok(self.confirmed(object));
                }
                Ok(None) => {
                    key = self.outbox.replace_key(op.id).await?;
                    tracing::info!(id = op.id, action = %op.action, "outbox: its key expired and it did not take effect; a new key");
                }
                // A read that fails as a write would: the same outcome (a 403 or 4xx will not go
                // away by retrying; the network, the session and 5xx will).
                Err(error @ WhopError::Api { status: 404, .. }) => {
                    return Ok(self.delivery(WriteOutcome::NotFound(error), attempts));
                }
                Err(error @ WhopError::Forbidden(_)) => {
                    self.note_refusal(&error).await;
                    return Ok(self.delivery(WriteOutcome::Rejected(error), attempts));
                }
                Err(error @ WhopError::MessageMayHaveArrived { .. }) => {
                    tracing::info!(id = op.id, "outbox: a message's key expired; not sending it again unasked");
                    return Ok(self.delivery(WriteOutcome::Rejected(error), attempts));
                }
                Err(error @ (WhopError::Api { status: 400..=499, .. } | WhopError::Config(_)))
                    if !matches!(error, WhopError::Api { status: 401 | 408 | 409 | 429, .. }) =>
                {
                    return Ok(self.delivery(WriteOutcome::Rejected(error), attempts));
                }
                Err(error) => return Ok(self.delivery(WriteOutcome::Retry { wait: None, error }, attempts)),
            }
        }
        Ok(self.delivery(self.send_queued(payload, &key).await, attempts))
    }

    fn confirmed(&self, object: Value) -> Delivery {
        Delivery::Confirmed(Box::new(Confirmed { store: self.store.clone(), object }))
    }

    fn delivery(&self, outcome: WriteOutcome, attempts: u32) -> Delivery {
        match outcome {
            WriteOutcome::Confirmed(object) => self.confirmed(object),
            WriteOutcome::Rejected(error) => Delivery::Rejected(error.to_string()),
            WriteOutcome::NotFound(error) => Delivery::NotFound(error.to_string()),
            WriteOutcome::Retry { wait, error } => {
                let message = error.to_string();
                let backoff = queue::backoff(attempts.saturating_sub(1));
                match error {
                    WhopError::Network { .. } => Delivery::Retry { wait: backoff, message, stop: true, counted: false },
                    WhopError::NotConnected
                    | WhopError::SessionEnded(_)
                    | WhopError::Disabled
                    | WhopError::Secret(_)
                    | WhopError::Api { status: 401, .. } => {
                        Delivery::Retry { wait: NOT_CONNECTED_WAIT, message, stop: true, counted: false }
                    }
                    _ => Delivery::transient(wait.unwrap_or(backoff), message),
                }
            }
        }
    }
}

/// Whop's answer to a confirmed write: the changed object.
struct Confirmed {
    store: Store,
    object: Value,
}

#[async_trait::async_trait]
impl Settle for Confirmed {
    /// Writes the object into the mirror, in the settling transaction.
    async fn settle(self: Box<Self>, tx: &mut SqliteConnection, op: &OutboxRow) -> Result<Vec<CoreEvent>, OutboxError> {
        if op.action == super::messages::ACTION {
            // No mirror of messages: the operation itself is the record (the person's timeline).
            super::messages::record_sent(&mut *tx, op.id, &self.object).await?;
            return Ok(Vec::new());
        }
        let ctx = WriteCtx::new(self.store.clock(), UpdateSource::Sync);
        if op.action == "promo_code.deactivate" && !self.object.is_object() {
            // Whop answers a promo code's delete with `true`, not the code.
            super::sync::archive_promo_code(&mut *tx, &op.record_id).await?;
            return Ok(Vec::new());
        }
        super::sync::apply_confirmed(&mut *tx, &ctx, &op.record_kind, &self.object).await?;
        if op.action == "promo_code.create"
            && let Some(real_id) = self.object.get("id").and_then(Value::as_str)
        {
            // Later operations on the new code name it by its Whop id from now on.
            sqlx::query(
                "UPDATE outbox SET record_id = ? WHERE record_kind = 'whop_promo_code' AND record_id = ? AND id != ?",
            )
            .bind(real_id)
            .bind(&op.record_id)
            .bind(op.id)
            .execute(&mut *tx)
            .await?;
        }
        Ok(Vec::new())
    }
}

#[async_trait::async_trait]
impl OutboxTarget for Whop {
    fn name(&self) -> &'static str {
        TARGET
    }

    async fn deliver(&self, op: &OutboxRow, payload: &Value, attempts: u32) -> Result<Delivery, OutboxError> {
        self.send_operation(op, payload, attempts).await
    }

    /// The object is gone from Whop: its mirror row is marked, and the user decides.
    async fn not_found(&self, tx: &mut SqliteConnection, op: &OutboxRow, _message: &str) -> Result<(), OutboxError> {
        super::sync::tombstone(&mut *tx, &op.record_kind, &op.record_id).await?;
        let summary = format!("{} is no longer on Whop: \"{}\" cannot be sent", op.record_id, op.summary);
        conflicts::record(
            tx,
            ConflictKind::DeletedRemotely,
            &op.record_kind,
            &op.record_id,
            None,
            &Value::Object(op.map(&op.optimistic)),
            &Value::Null,
            Some(op.id),
            &summary,
        )
        .await?;
        Ok(())
    }

    /// A deal deleted here whose membership lives on at Whop, taken back: it is linked to the
    /// membership again.
    async fn conflict_resolved(
        &self,
        tx: &mut SqliteConnection,
        conflict: &ConflictRow,
        keep: Resolution,
    ) -> Result<(), OutboxError> {
        if conflict.kind()? == ConflictKind::DeletedLocally
            && keep == Resolution::Theirs
            && let Some(record) = conflicts::crm_record(&mut *tx, &conflict.record_kind, &conflict.record_id).await?
            && record.kind == RecordKind::Deal
        {
            let ctx = WriteCtx::new(self.store.clock(), UpdateSource::Sync);
            super::sync::remap_membership(&mut *tx, &ctx, &conflict.record_id).await?;
        }
        Ok(())
    }

    fn settled_event(&self) -> Option<CoreEvent> {
        Some(CoreEvent::WhopChanged)
    }

    /// Syncs as soon as the network is back (in its own task: a sync takes a while).
    fn back_online(self: Arc<Self>) {
        tokio::spawn(async move {
            if let Err(error) = self.sync_if_connected().await {
                tracing::info!(%error, "whop: sync after reconnecting did not run");
            }
        });
    }
}
