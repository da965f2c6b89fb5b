//! Run now.

use super::*;

/// Whether a run needs a record: every step but a task works on one.
pub fn needs_record(steps: &[WorkflowStep]) -> bool {
    steps.iter().any(|s| !matches!(s, WorkflowStep::CreateTask { .. }))
}

/// The kind of record Run now asks for: the trigger's, else what the steps need (the model's
/// `WorkflowStep::record_kind_for`: a deal when a step only works on deals, else a person).
pub fn run_record_kind(w: &Workflow) -> RecordKind {
    trigger_record_kind(&w.trigger).unwrap_or_else(|| WorkflowStep::record_kind_for(&w.steps))
}
