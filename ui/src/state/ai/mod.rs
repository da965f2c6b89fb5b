//! AI automations as plain data: money in micros of USD, lead score and sentiment badges, the
//! record page's AI card (running, queued, over budget, unread texts and drafts), Settings → AI's
//! form and its checks, usage report rows, prompt templates and the `{{merge field}}` autocomplete.

use crate::state::whop::StatusTone;
use dealdesk_model::ai::{
    AiAction, AiCallView, AiConnectionTest, AiInsights, AiOutput, AiProviderKind, AiResult, AiRunOutcome, AiRunRequest,
    AiSettings, AiStatus, AiUsageRow, MergeField, ModelPrice, PromptTemplate, SaveAiSettings, SavePromptTemplate,
    SentimentLabel,
};
use dealdesk_model::money::{MoneyParseError, format_decimal_micros, parse_decimal_micros};
use dealdesk_model::outbox::PendingOperation;
use dealdesk_model::{ApiError, RecordKind, RecordRef};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use uuid::Uuid;
use yew::Reducible;

mod badges;
pub use badges::*;
mod card;
pub use card::*;
mod settings;
pub use settings::*;
mod usage;
pub use usage::*;
mod templates;
pub use templates::*;
mod merge;
pub use merge::*;

#[cfg(test)]
mod tests;
