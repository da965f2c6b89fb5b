//! AI as an outbox target: a run queued while its provider could not be reached goes out when it
//! can; the model's validated answer is stored when the operation settles.

use super::{Ai, AiError, Executed, QueuedRun, TARGET, insert_result};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_outbox::queue::{self, OutboxRow};
use dealdesk_outbox::target::{Settle, target_error};
use dealdesk_outbox::{Delivery, OutboxError, OutboxTarget};
use serde_json::Value;
use sqlx::SqliteConnection;

/// The model's validated answer, stored when the operation settles.
struct Answer {
    run: QueuedRun,
    executed: Executed,
}

#[async_trait::async_trait]
impl Settle for Answer {
    async fn settle(
        self: Box<Self>,
        tx: &mut SqliteConnection,
        _op: &OutboxRow,
    ) -> Result<Vec<CoreEvent>, OutboxError> {
        let Answer { run, executed } = *self;
        insert_result(tx, run.record, &executed.output, &executed.model, Some(executed.call.id), run.workflow_run)
            .await
            .map_err(target_error)?;
        Ok(vec![CoreEvent::AiChanged { record: Some(run.record) }])
    }
}

/// An unreachable AI provider does not make the app offline: Whop operations still go out.
fn delivery(outcome: Result<(QueuedRun, Executed), AiError>, attempts: u32) -> Delivery {
    match outcome {
        Ok((run, executed)) => Delivery::Confirmed(Box::new(Answer { run, executed })),
        // The drain ends here (a CLI drain returns; the worker starts again at once and sends
        // what else is due, since this operation now waits 30 s).
        Err(error @ AiError::Network { .. }) => Delivery::unreachable(error.to_string()),
        Err(error @ (AiError::Disabled | AiError::NoApiKey { .. } | AiError::Secret(_))) => {
            Delivery::not_connected(error.to_string())
        }
        Err(error) if error.is_transient() => {
            Delivery::transient(queue::backoff(attempts.saturating_sub(1)), error.to_string())
        }
        Err(error) => Delivery::Rejected(error.to_string()),
    }
}

#[async_trait::async_trait]
impl OutboxTarget for Ai {
    fn name(&self) -> &'static str {
        TARGET
    }

    async fn deliver(&self, _op: &OutboxRow, payload: &Value, attempts: u32) -> Result<Delivery, OutboxError> {
        Ok(delivery(self.run_queued(payload).await, attempts))
    }

    /// The AI panels show queued runs and their last attempt.
    fn attempt_event(&self) -> Option<CoreEvent> {
        Some(CoreEvent::AiChanged { record: None })
    }
}
