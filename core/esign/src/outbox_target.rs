//! E-signature as an outbox target: contracts go out to their provider (and voids follow) when it
//! can be reached; what the provider did is written when the operation settles.

use super::{Delivered, Esign, EsignError, TARGET, mark_failed, settle};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_outbox::queue::{self, OutboxRow};
use dealdesk_outbox::target::{Settle, target_error};
use dealdesk_outbox::{Delivery, OutboxError, OutboxTarget};
use serde_json::Value;
use sqlx::SqliteConnection;

#[async_trait::async_trait]
impl Settle for Delivered {
    async fn settle(
        self: Box<Self>,
        tx: &mut SqliteConnection,
        _op: &OutboxRow,
    ) -> Result<Vec<CoreEvent>, OutboxError> {
        let deal = settle(tx, &self).await.map_err(target_error)?;
        Ok(vec![CoreEvent::ContractsChanged { deal }])
    }
}

/// Like AI: an unreachable e-sign provider waits without making the app offline.
fn delivery(outcome: Result<Delivered, EsignError>, attempts: u32) -> Delivery {
    match outcome {
        Ok(delivered) => Delivery::Confirmed(Box::new(delivered)),
        Err(error @ EsignError::Network { .. }) => Delivery::unreachable(error.to_string()),
        Err(error @ (EsignError::Disabled | EsignError::NotConnected { .. } | EsignError::Secret(_))) => {
            Delivery::not_connected(error.to_string())
        }
        Err(error) if error.is_transient() => {
            let wait = match &error {
                EsignError::Api { retry_after: Some(wait), .. } => *wait,
                _ => queue::backoff(attempts.saturating_sub(1)),
            };
            Delivery::transient(wait, error.to_string())
        }
        Err(error) => Delivery::Rejected(error.to_string()),
    }
}

#[async_trait::async_trait]
impl OutboxTarget for Esign {
    fn name(&self) -> &'static str {
        TARGET
    }

    async fn deliver(&self, _op: &OutboxRow, payload: &Value, attempts: u32) -> Result<Delivery, OutboxError> {
        Ok(delivery(self.send_queued(payload).await, attempts))
    }

    /// A send that failed for good leaves the contract failed (a void that failed leaves it sent).
    async fn rejected(
        &self,
        tx: &mut SqliteConnection,
        op: &OutboxRow,
        message: &str,
    ) -> Result<Vec<CoreEvent>, OutboxError> {
        if op.action != "contract.send" {
            return Ok(Vec::new());
        }
        mark_failed(tx, &op.record_id, message).await.map_err(target_error)?;
        Ok(vec![CoreEvent::ContractsChanged { deal: None }])
    }
}
