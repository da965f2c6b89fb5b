//! "Message on Whop" from a Recover row: the draft the user edits before it is queued as
//! `WhopAction::SendMessage`, with the same checks the core makes. The text can be drafted by the
//! AI from the customer's history (the person's "Draft email" action, told what failed), and the
//! same text can go out as an email from the user's mail app instead.

use super::{failure_text, item_amount, what_for};
use dealdesk_model::ai::{AiAction, AiOutput, AiRunOutcome, AiRunRequest, OpenDraftInMail};
use dealdesk_model::outbox::{MessageRecipient, WhopAction};
use dealdesk_model::revenue::RecoverItem;
use dealdesk_model::{RecordKind, RecordRef};
use std::rc::Rc;
use uuid::Uuid;
use yew::Reducible;

/// The longest message the core queues (`core/whop/src/messages.rs`).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// A message to one customer, as typed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageDraft {
    pub to: MessageRecipient,
    /// Who it goes to, for the dialog's title.
    pub name: String,
    pub text: String,
    /// What is wrong with the text (shown under it).
    pub error: Option<String>,
    /// Why the core refused it (shown in the dialog).
    pub refusal: Option<String>,
    /// On its way to the core.
    pub sending: bool,
    /// The CRM person, whose history the AI drafts from (none: no AI draft).
    pub person: Option<Uuid>,
    /// Their email address (none: no "Email instead").
    pub email: Option<String>,
    /// The email's subject, when it goes out as an email.
    pub subject: String,
    /// What the AI is told, beside the person's history.
    pub ai_instructions: String,
    /// The AI is drafting.
    pub drafting: bool,
    /// What became of the last AI draft, when it did not fill the text (offline, refused).
    pub ai_note: Option<String>,
}

/// Who a Recover row's message goes to: the person in the CRM, else the Whop user.
pub fn recipient(item: &RecoverItem) -> Option<MessageRecipient> {
    match (&item.person_id, &item.user_id) {
        (Some(person), _) => Some(MessageRecipient::Person(*person)),
        (None, Some(user)) if !user.trim().is_empty() => Some(MessageRecipient::WhopUser(user.clone())),
        _ => None,
    }
}

/// ` of USD 49.00` when the amount's currency is known, else nothing.
fn amount_phrase(item: &RecoverItem) -> String {
    item.currency.as_ref().map(|_| format!(" of {}", item_amount(item))).unwrap_or_default()
}

/// Whop's failure message as shown, when Whop gave one.
fn whop_reason(item: &RecoverItem) -> Option<String> {
    item.failure_message.as_deref().map(str::trim).filter(|m| !m.is_empty()).map(|_| failure_text(item))
}

/// The text the dialog starts from: who, what failed and what to do, for the user to edit.
pub fn message_template(item: &RecoverItem) -> String {
    let greeting = match item.customer.split_whitespace().next() {
        Some(first) => format!("Hi {first},"),
        None => "Hi,".to_string(),
    };
    let amount = amount_phrase(item);
    let reason = whop_reason(item).map(|r| format!(" (Whop says: {r})")).unwrap_or_default();
    format!(
        "{greeting}\n\nyour payment{amount} for {} did not go through{reason}. Could you update your payment method on Whop so your access continues?\n\nThanks!",
        what_for(item)
    )
}

/// What the AI is told when it drafts the message: the medium, and what failed.
pub fn ai_instructions(item: &RecoverItem) -> String {
    let amount = amount_phrase(item);
    let reason = whop_reason(item).map(|r| format!(" Whop's reason: {r}.")).unwrap_or_default();
    format!(
        "Write a short, friendly direct message (it may also go out as an email) asking them to update their \
         payment method on Whop: their payment{amount} for {} failed.{reason} Keep it under 600 characters, in \
         plain text, with no placeholders.",
        what_for(item)
    )
}

/// Whether the text can go out: some text, at most [`MAX_MESSAGE_CHARS`] characters.
pub fn check_message(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Write a message first".to_string());
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(format!("A Whop message is at most {MAX_MESSAGE_CHARS} characters; this one has {chars}"));
    }
    Ok(text.to_string())
}

impl MessageDraft {
    /// A draft to a Recover row's customer; `None` when Dealdesk knows no Whop user for them.
    pub fn recover(item: &RecoverItem) -> Option<MessageDraft> {
        Some(MessageDraft {
            to: recipient(item)?,
            name: if item.customer.trim().is_empty() { "the customer".to_string() } else { item.customer.clone() },
            text: message_template(item),
            error: None,
            refusal: None,
            sending: false,
            person: item.person_id,
            email: item.email.clone().filter(|e| !e.trim().is_empty()),
            subject: format!("Your payment for {}", what_for(item)),
            ai_instructions: ai_instructions(item),
            drafting: false,
            ai_note: None,
        })
    }

    /// The AI run that drafts the text, when the customer is a CRM person.
    pub fn ai_request(&self) -> Option<AiRunRequest> {
        Some(AiRunRequest {
            action: AiAction::DraftEmail,
            record: RecordRef { kind: RecordKind::Person, id: self.person? },
            instructions: Some(self.ai_instructions.clone()),
            allow_over_budget: false,
        })
    }

    /// The same text as an email in the user's mail app, when their address is known.
    pub fn email_request(&self) -> Option<Result<OpenDraftInMail, String>> {
        let to = self.email.clone()?;
        Some(check_message(&self.text).map(|body| OpenDraftInMail {
            result: None,
            to: Some(to),
            subject: self.subject.clone(),
            body,
        }))
    }

    pub fn title(&self) -> String {
        format!("Message {} on Whop", self.name)
    }

    /// Under the text: `212 of 4000 characters`.
    pub fn count_text(&self) -> String {
        format!("{} of {MAX_MESSAGE_CHARS} characters", self.text.trim().chars().count())
    }

    /// The action to queue, or why it cannot be.
    pub fn to_action(&self) -> Result<WhopAction, String> {
        Ok(WhopAction::SendMessage { to: self.to.clone(), text: check_message(&self.text)? })
    }

    pub fn apply(&self, edit: MessageEdit) -> MessageDraft {
        let mut next = self.clone();
        match edit {
            MessageEdit::Text(text) => {
                next.text = text;
                next.refusal = None;
                // Say what is wrong as it is typed only once something was said (Send was pressed).
                if next.error.is_some() {
                    next.error = check_message(&next.text).err();
                }
            }
            MessageEdit::Send => match next.to_action() {
                Ok(_) => {
                    next.error = None;
                    next.refusal = None;
                    next.sending = true;
                }
                Err(message) => next.error = Some(message),
            },
            MessageEdit::Refused(message) => {
                next.sending = false;
                next.refusal = Some(message);
            }
            MessageEdit::Drafting => {
                next.drafting = true;
                next.ai_note = None;
            }
            MessageEdit::Drafted(outcome) => {
                next.drafting = false;
                match outcome {
                    Ok(AiRunOutcome::Done { result, .. }) => match result.output {
                        AiOutput::EmailDraft { subject, body } if !body.trim().is_empty() => {
                            next.text = body.trim().to_string();
                            if !subject.trim().is_empty() {
                                next.subject = subject.trim().to_string();
                            }
                            next.error = None;
                            next.refusal = None;
                        }
                        _ => next.ai_note = Some("The AI gave no draft; the text is as it was.".to_string()),
                    },
                    Ok(AiRunOutcome::Queued { .. }) => {
                        next.ai_note = Some(format!(
                            "Offline: the AI draft is queued and will show on {}'s page when it has run.",
                            next.name
                        ))
                    }
                    Ok(AiRunOutcome::OverBudget { .. }) => next.ai_note = Some(
                        "This month's AI budget is spent: raise it in Settings → AI, or write the message yourself."
                            .to_string(),
                    ),
                    Err(message) => next.ai_note = Some(format!("The AI could not draft it: {message}")),
                }
            }
        }
        next
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum MessageEdit {
    Text(String),
    /// Send was pressed: check the text and mark it sending, or say why not.
    Send,
    /// The core refused it.
    Refused(String),
    /// "Draft with AI" was pressed.
    Drafting,
    /// How the AI run ended (the IPC error's message when it failed).
    Drafted(Result<AiRunOutcome, String>),
}

impl Reducible for MessageDraft {
    type Action = MessageEdit;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}
