//! The Whop steps: retry a failed payment, and message a customer on Whop (a text, or an AI draft
//! from the customer's history; sent, or held for the user's approval). Both go through the Whop
//! crate's actions, so they are checked like the window's buttons (the connection, "Let Dealdesk
//! act on Whop", the permissions) and queued in the outbox: they go out now, or when the network
//! is back.

use super::{Automation, AutomationError, StepOutcome};
use dealdesk_ai::WorkflowAiOutcome;
use dealdesk_model::ai::{AiAction, AiOutput};
use dealdesk_model::automation::{RunStatus, StepRun};
use dealdesk_model::outbox::{MAX_WHOP_MESSAGE_CHARS, MessageRecipient, WhopAction};
use dealdesk_model::{NewTask, RecordKind, RecordRef, UpdateSource};
use serde_json::{Map, Value};

/// What a retry step records when the person has nothing to retry.
pub const NO_RETRYABLE_PAYMENT: &str = "skipped: no retryable failed payment";
/// The title of the task a held message waits in, before an excerpt of the message.
pub const APPROVAL_TITLE: &str = "Approve the Whop message: ";
/// What the AI is asked for when it drafts a Whop message (the email-draft action's prompt, with
/// these instructions first).
const DRAFT_INSTRUCTIONS: &str = "This is a direct message in Whop's chat, not an email: the body only, \
                                  plain and short (under 800 characters), no subject line, no signature block.";
/// How much of the message a task title shows.
const TITLE_EXCERPT_CHARS: usize = 60;

fn person(record: RecordRef, what: &str) -> Result<RecordRef, AutomationError> {
    if record.kind != RecordKind::Person {
        return Err(AutomationError::Invalid(format!("{what} runs on a person, not on a {}", record.kind)));
    }
    Ok(record)
}

/// The first `max` characters of `text` on one line, with "…" when cut.
fn excerpt(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// An AI draft a run already has for this step: made while the provider was offline, it came back
/// from the outbox and the step runs again with it.
pub(super) fn carried_draft(last: Option<&StepRun>, index: usize) -> Option<String> {
    let last = last.filter(|s| s.index as usize == index && s.status == RunStatus::Succeeded)?;
    last.output.get("body").and_then(Value::as_str).map(str::to_string)
}

impl Automation {
    /// Retries the person's newest failed payment that Whop says is retryable and that has no
    /// retry waiting already; with none, the step is skipped (the run goes on).
    pub(super) async fn retry_payment(&self, record: RecordRef) -> Result<StepOutcome, AutomationError> {
        let record = person(record, "retrying a Whop payment")?;
        let payment: Option<String> = sqlx::query_scalar(
            "SELECT y.id FROM whop_payment y JOIN whop_person wp ON wp.user_id = y.user_id
             WHERE wp.person_id = ? AND y.retryable = 1 AND coalesce(y.status, '') NOT IN ('paid', 'void')
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.target = 'whop' AND o.action = 'payment.retry'
                               AND o.record_id = y.id AND o.status IN ('pending', 'in_flight'))
             ORDER BY y.created_at DESC, y.id DESC LIMIT 1",
        )
        .bind(record.id.to_string())
        .fetch_optional(self.store.pool())
        .await?;
        let mut output = Map::new();
        let Some(payment_id) = payment else {
            output.insert("skipped".into(), Value::Bool(true));
            output.insert("note".into(), Value::from(NO_RETRYABLE_PAYMENT));
            return Ok(StepOutcome::Done(Value::Object(output)));
        };
        let action = WhopAction::RetryPayment { payment_id: payment_id.clone() };
        let entry = self.whop.run_action(&action, UpdateSource::Workflow).await?;
        output.insert("payment_id".into(), Value::from(payment_id));
        output.insert("operation".into(), Value::from(entry.id));
        output.insert("summary".into(), Value::from(entry.summary));
        Ok(StepOutcome::Done(Value::Object(output)))
    }

    /// Messages the person on Whop, or keeps the message for their approval (a task on the
    /// person, and the run stops). `carried` is an AI draft made while the provider was offline.
    pub(super) async fn send_whop_message(
        &self,
        record: RecordRef,
        step: (&str, bool, bool),
        run: i64,
        carried: Option<String>,
    ) -> Result<StepOutcome, AutomationError> {
        let (text, ai_draft, hold_for_approval) = step;
        let record = person(record, "a Whop message")?;
        let body = if !ai_draft {
            self.render(text, record).await?
        } else if let Some(draft) = carried {
            draft
        } else {
            let instructions = match text.trim() {
                "" => DRAFT_INSTRUCTIONS.to_string(),
                wanted => format!("{DRAFT_INSTRUCTIONS} {wanted}"),
            };
            match self.ai.run_for_workflow(AiAction::DraftEmail, record, Some(&instructions), run).await? {
                WorkflowAiOutcome::Done(result) => match result.output {
                    AiOutput::EmailDraft { body, .. } => body,
                    other => {
                        return Err(AutomationError::Corrupt(format!(
                            "the AI answered a draft with {}",
                            other.action().label()
                        )));
                    }
                },
                WorkflowAiOutcome::Queued(op) => return Ok(StepOutcome::Waiting(op)),
            }
        };
        let body = body.trim().to_string();
        if body.is_empty() {
            return Err(AutomationError::Invalid("the Whop message is empty: nothing to send".into()));
        }
        let chars = body.chars().count();
        if chars > MAX_WHOP_MESSAGE_CHARS {
            return Err(AutomationError::Invalid(format!(
                "the Whop message has {chars} characters; Whop messages have at most {MAX_WHOP_MESSAGE_CHARS}"
            )));
        }
        let mut output = Map::new();
        output.insert("text".into(), Value::from(body.clone()));
        if hold_for_approval {
            let task = self
                .crm
                .add_task(
                    NewTask {
                        title: format!("{APPROVAL_TITLE}{}", excerpt(&body, TITLE_EXCERPT_CHARS)),
                        body: Some(body),
                        due_at: None,
                        reminder_at: None,
                        targets: vec![record],
                    },
                    UpdateSource::Workflow,
                )
                .await?;
            output.insert("held_for_approval".into(), Value::Bool(true));
            output.insert("task_id".into(), Value::from(task.id.to_string()));
            return Ok(StepOutcome::Stop(Value::Object(output)));
        }
        let action = WhopAction::SendMessage { to: MessageRecipient::Person(record.id), text: body };
        let entry = self.whop.run_action(&action, UpdateSource::Workflow).await?;
        output.insert("operation".into(), Value::from(entry.id));
        output.insert("summary".into(), Value::from(entry.summary));
        Ok(StepOutcome::Done(Value::Object(output)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_carries_over_only_to_its_own_step() {
        let step = |index: u32, status: RunStatus| StepRun {
            index,
            label: "Send an AI-drafted Whop message".into(),
            status,
            input: Value::Null,
            output: serde_json::json!({"type": "email_draft", "subject": "Hi", "body": "Hello there"}),
            error: None,
        };
        assert_eq!(carried_draft(Some(&step(2, RunStatus::Succeeded)), 2).as_deref(), Some("Hello there"));
        assert_eq!(carried_draft(Some(&step(1, RunStatus::Succeeded)), 2), None);
        assert_eq!(carried_draft(Some(&step(2, RunStatus::Failed)), 2), None);
        assert_eq!(carried_draft(None, 0), None);
        assert_eq!(excerpt("Hi  there,\nyour payment", 8), "Hi there…");
    }
}
