//! A record's timeline: what happened to it, newest first. Derived from the change log.

use crate::record::{RecordRef, UpdateSource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// The change-log sequence number: unique and increasing. Whop payments, refunds and messages,
    /// which come from the Whop mirror or the outbox rather than the change log, have negative numbers.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Hybrid logical clock timestamp of the change.
    pub hlc: String,
    pub record: RecordRef,
    pub source: UpdateSource,
    /// Who made a change another desktop of the team workspace pulled in (their email); none
    /// for this desktop's own changes.
    #[serde(default)]
    pub author: Option<String>,
    #[serde(flatten)]
    pub kind: TimelineEventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum TimelineEventKind {
    Created,
    FieldChanged {
        field: String,
        from: serde_json::Value,
        to: serde_json::Value,
    },
    StageMoved {
        from: String,
        to: String,
    },
    Deleted,
    Restored,
    Tagged {
        tag: String,
    },
    Untagged {
        tag: String,
    },
    NoteAdded {
        note_id: Uuid,
        excerpt: String,
    },
    TaskAdded {
        task_id: Uuid,
        title: String,
    },
    /// A Whop payment of this person (or this membership's deal); `amount` is formatted.
    WhopPayment {
        payment_id: String,
        amount: String,
        status: String,
        product: Option<String>,
    },
    WhopRefund {
        refund_id: String,
        amount: String,
        status: String,
    },
    /// A message sent to this person on Whop (from Dealdesk), once Whop took it.
    WhopMessage {
        /// Whop's id of the message, when its answer was recorded.
        message_id: Option<String>,
        excerpt: String,
    },
}

impl TimelineEventKind {
    /// One line for humans: `email: "a@x.io" → "b@x.io"`.
    pub fn describe(&self) -> String {
        fn show(v: &serde_json::Value) -> String {
            match v {
                serde_json::Value::Null => "(empty)".to_string(),
                serde_json::Value::String(s) => format!("\"{s}\""),
                other => other.to_string(),
            }
        }
        match self {
            TimelineEventKind::Created => "created".to_string(),
            TimelineEventKind::FieldChanged { field, from, to } => {
                format!("{field}: {} → {}", show(from), show(to))
            }
            TimelineEventKind::StageMoved { from, to } => format!("stage: {from} → {to}"),
            TimelineEventKind::Deleted => "moved to trash".to_string(),
            TimelineEventKind::Restored => "restored from trash".to_string(),
            TimelineEventKind::Tagged { tag } => format!("tagged {tag}"),
            TimelineEventKind::Untagged { tag } => format!("untagged {tag}"),
            TimelineEventKind::NoteAdded { excerpt, .. } => format!("note added: {excerpt}"),
            TimelineEventKind::TaskAdded { title, .. } => format!("task added: {title}"),
            TimelineEventKind::WhopPayment { amount, status, product, .. } => match product {
                Some(product) => format!("Whop payment {amount} ({status}) for {product}"),
                None => format!("Whop payment {amount} ({status})"),
            },
            TimelineEventKind::WhopRefund { amount, status, .. } => format!("Whop refund {amount} ({status})"),
            TimelineEventKind::WhopMessage { excerpt, .. } => format!("Whop message sent: {excerpt}"),
        }
    }
}
