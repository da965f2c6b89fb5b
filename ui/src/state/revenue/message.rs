//! "Message on Whop" from a Recover row: the draft the user edits before it is queued as
//! `WhopAction::SendMessage`, with the same checks the core makes.

use super::{failure_text, item_amount, what_for};
use dealdesk_model::outbox::{MessageRecipient, WhopAction};
use dealdesk_model::revenue::RecoverItem;
use std::rc::Rc;
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
}

/// Who a Recover row's message goes to: the person in the CRM, else the Whop user.
pub fn recipient(item: &RecoverItem) -> Option<MessageRecipient> {
    match (&item.person_id, &item.user_id) {
        (Some(person), _) => Some(MessageRecipient::Person(*person)),
        (None, Some(user)) if !user.trim().is_empty() => Some(MessageRecipient::WhopUser(user.clone())),
        _ => None,
    }
}

/// The text the dialog starts from: who, what failed and what to do, for the user to edit.
pub fn message_template(item: &RecoverItem) -> String {
    let greeting = match item.customer.split_whitespace().next() {
        Some(first) => format!("Hi {first},"),
        None => "Hi,".to_string(),
    };
    let amount = match item.currency {
        Some(_) => format!(" of {}", item_amount(item)),
        None => String::new(),
    };
    let reason = match item.failure_message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(_) => format!(" (Whop says: {})", failure_text(item)),
        None => String::new(),
    };
    format!(
        "{greeting}\n\nyour payment{amount} for {} did not go through{reason}. Could you update your payment method on Whop so your access continues?\n\nThanks!",
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
        })
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
}

impl Reducible for MessageDraft {
    type Action = MessageEdit;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}
