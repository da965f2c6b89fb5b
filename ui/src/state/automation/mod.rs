//! Workflows as plain data: the editor's draft (trigger, steps) with its checks, the list's
//! texts, which record a Run now needs, the run history's statuses, and a pretty-printer for
//! step input and output.

use crate::state::format::short_time;
use crate::state::whop::StatusTone;
use dealdesk_model::RecordKind;
use dealdesk_model::ai::AiAction;
use dealdesk_model::automation::{
    CompareOp, ConditionValue, RunStatus, SaveWorkflow, Trigger, Workflow, WorkflowRun, WorkflowRunSummary,
    WorkflowStep,
};
use dealdesk_model::contract::SignatureProviderKind;
use dealdesk_model::outbox::MAX_WHOP_MESSAGE_CHARS;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use uuid::Uuid;
use yew::Reducible;

/// A schedule runs at most every minute and at least once a week.
pub const MAX_EVERY_MINUTES: u32 = 7 * 24 * 60;
/// A task is due at most ten years out.
pub const MAX_DUE_IN_DAYS: u32 = 3_650;
/// A contract template's name has at most this many characters.
pub const MAX_TEMPLATE_NAME: usize = 100;

mod selects;
pub use selects::*;
mod editor;
pub use editor::*;
mod run_now;
pub use run_now::*;
mod history;
pub use history::*;
mod screen;
pub use screen::*;

#[cfg(test)]
mod tests;
