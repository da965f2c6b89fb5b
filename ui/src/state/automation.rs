//! Workflows as plain data: the editor's draft (trigger, steps) with its checks, the list's
//! texts, which record a Run now needs, the run history's statuses, and a pretty-printer for
//! step input and output.

use crate::state::whop::{StatusTone, short_time};
use dealdesk_model::RecordKind;
use dealdesk_model::ai::AiAction;
use dealdesk_model::automation::{
    CompareOp, ConditionValue, RunStatus, SaveWorkflow, Trigger, Workflow, WorkflowRun, WorkflowRunSummary,
    WorkflowStep,
};
use dealdesk_model::contract::SignatureProviderKind;
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

// ---------------------------------------------------------------------------------------------
// Selects

/// The kinds of trigger, for the trigger select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    RecordCreated,
    RecordUpdated,
    DealStageChanged,
    WhopMembershipActivated,
    WhopMembershipCancelled,
    WhopPaymentSucceeded,
    ContractCompleted,
    Schedule,
    Manual,
}

impl TriggerKind {
    pub const ALL: [TriggerKind; 9] = [
        TriggerKind::RecordCreated,
        TriggerKind::RecordUpdated,
        TriggerKind::DealStageChanged,
        TriggerKind::WhopMembershipActivated,
        TriggerKind::WhopMembershipCancelled,
        TriggerKind::WhopPaymentSucceeded,
        TriggerKind::ContractCompleted,
        TriggerKind::Schedule,
        TriggerKind::Manual,
    ];

    /// The select's value (the wire tag).
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::RecordCreated => "record_created",
            TriggerKind::RecordUpdated => "record_updated",
            TriggerKind::DealStageChanged => "deal_stage_changed",
            TriggerKind::WhopMembershipActivated => "whop_membership_activated",
            TriggerKind::WhopMembershipCancelled => "whop_membership_cancelled",
            TriggerKind::WhopPaymentSucceeded => "whop_payment_succeeded",
            TriggerKind::ContractCompleted => "contract_completed",
            TriggerKind::Schedule => "schedule",
            TriggerKind::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<TriggerKind> {
        TriggerKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            TriggerKind::RecordCreated => "A record is created",
            TriggerKind::RecordUpdated => "A record is updated",
            TriggerKind::DealStageChanged => "A deal changes stage",
            TriggerKind::WhopMembershipActivated => "A Whop membership becomes active",
            TriggerKind::WhopMembershipCancelled => "A Whop membership is cancelled",
            TriggerKind::WhopPaymentSucceeded => "A Whop payment succeeds",
            TriggerKind::ContractCompleted => "A contract is signed by everyone (runs on its deal)",
            TriggerKind::Schedule => "On a schedule",
            TriggerKind::Manual => "Only by hand (Run now)",
        }
    }

    pub fn of(trigger: &Trigger) -> TriggerKind {
        match trigger {
            Trigger::RecordCreated { .. } => TriggerKind::RecordCreated,
            Trigger::RecordUpdated { .. } => TriggerKind::RecordUpdated,
            Trigger::DealStageChanged { .. } => TriggerKind::DealStageChanged,
            Trigger::WhopMembershipActivated => TriggerKind::WhopMembershipActivated,
            Trigger::WhopMembershipCancelled => TriggerKind::WhopMembershipCancelled,
            Trigger::WhopPaymentSucceeded => TriggerKind::WhopPaymentSucceeded,
            Trigger::ContractCompleted => TriggerKind::ContractCompleted,
            Trigger::Schedule { .. } => TriggerKind::Schedule,
            Trigger::Manual => TriggerKind::Manual,
        }
    }

    /// The trigger has a record kind to choose.
    pub fn has_record_kind(self) -> bool {
        matches!(self, TriggerKind::RecordCreated | TriggerKind::RecordUpdated | TriggerKind::Schedule)
    }
}

/// The record kinds a trigger can watch.
pub const TRIGGER_KINDS: [RecordKind; 5] =
    [RecordKind::Person, RecordKind::Company, RecordKind::Deal, RecordKind::Task, RecordKind::Note];

/// The kinds of step, for the step select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Ai,
    Condition,
    CreateTask,
    UpdateField,
    AddTag,
    MoveStage,
    SendContract,
}

impl StepKind {
    pub const ALL: [StepKind; 7] = [
        StepKind::Ai,
        StepKind::Condition,
        StepKind::CreateTask,
        StepKind::UpdateField,
        StepKind::AddTag,
        StepKind::MoveStage,
        StepKind::SendContract,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Ai => "ai",
            StepKind::Condition => "condition",
            StepKind::CreateTask => "create_task",
            StepKind::UpdateField => "update_field",
            StepKind::AddTag => "add_tag",
            StepKind::MoveStage => "move_stage",
            StepKind::SendContract => "send_contract",
        }
    }

    pub fn parse(text: &str) -> Option<StepKind> {
        StepKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            StepKind::Ai => "AI action",
            StepKind::Condition => "Condition",
            StepKind::CreateTask => "Create task",
            StepKind::UpdateField => "Update field",
            StepKind::AddTag => "Add tag",
            StepKind::MoveStage => "Move deal stage",
            StepKind::SendContract => "Send contract",
        }
    }

    pub fn of(step: &WorkflowStep) -> StepKind {
        match step {
            WorkflowStep::Ai { .. } => StepKind::Ai,
            WorkflowStep::Condition { .. } => StepKind::Condition,
            WorkflowStep::CreateTask { .. } => StepKind::CreateTask,
            WorkflowStep::UpdateField { .. } => StepKind::UpdateField,
            WorkflowStep::AddTag { .. } => StepKind::AddTag,
            WorkflowStep::MoveStage { .. } => StepKind::MoveStage,
            WorkflowStep::SendContract { .. } => StepKind::SendContract,
        }
    }
}

/// The range a condition's threshold must fall in, as text for the message.
fn threshold_range(value: ConditionValue) -> (f64, f64, &'static str) {
    match value {
        ConditionValue::LeadScore => (0.0, 100.0, "a lead score from 0 to 100"),
        ConditionValue::SentimentScore => (-1.0, 1.0, "a sentiment score from -1 to 1"),
        ConditionValue::DealAmount => (0.0, f64::MAX, "a deal amount of 0 or more"),
    }
}

// ---------------------------------------------------------------------------------------------
// The editor

/// The trigger as edited: every kind's parameters stay while another kind is chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerDraft {
    pub kind: TriggerKind,
    pub record_kind: RecordKind,
    /// Record updated: one field only (empty = any change).
    pub field: String,
    /// Deal stage changed: one stage only (empty = any stage).
    pub stage: String,
    pub every_minutes: String,
}

impl Default for TriggerDraft {
    fn default() -> Self {
        TriggerDraft {
            kind: TriggerKind::RecordCreated,
            record_kind: RecordKind::Person,
            field: String::new(),
            stage: String::new(),
            every_minutes: "60".to_string(),
        }
    }
}

impl TriggerDraft {
    pub fn of(trigger: &Trigger) -> TriggerDraft {
        let mut draft = TriggerDraft { kind: TriggerKind::of(trigger), ..Default::default() };
        match trigger {
            Trigger::RecordCreated { kind } => draft.record_kind = *kind,
            Trigger::RecordUpdated { kind, field } => {
                draft.record_kind = *kind;
                draft.field = field.clone().unwrap_or_default();
            }
            Trigger::DealStageChanged { stage } => draft.stage = stage.clone().unwrap_or_default(),
            Trigger::Schedule { every_minutes, kind } => {
                draft.record_kind = *kind;
                draft.every_minutes = every_minutes.to_string();
            }
            Trigger::WhopMembershipActivated
            | Trigger::WhopMembershipCancelled
            | Trigger::WhopPaymentSucceeded
            | Trigger::ContractCompleted
            | Trigger::Manual => {}
        }
        draft
    }

    pub fn to_trigger(&self) -> Result<Trigger, String> {
        let optional = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        Ok(match self.kind {
            TriggerKind::RecordCreated => Trigger::RecordCreated { kind: self.record_kind },
            TriggerKind::RecordUpdated => {
                let field = optional(&self.field);
                if let Some(f) = &field
                    && !is_field_name(f)
                {
                    return Err(format!(
                        "“{f}” is not a field name: use a name like job_title or a custom field key, or leave it empty for any change"
                    ));
                }
                Trigger::RecordUpdated { kind: self.record_kind, field }
            }
            TriggerKind::DealStageChanged => Trigger::DealStageChanged { stage: optional(&self.stage) },
            TriggerKind::WhopMembershipActivated => Trigger::WhopMembershipActivated,
            TriggerKind::WhopMembershipCancelled => Trigger::WhopMembershipCancelled,
            TriggerKind::WhopPaymentSucceeded => Trigger::WhopPaymentSucceeded,
            TriggerKind::ContractCompleted => Trigger::ContractCompleted,
            TriggerKind::Schedule => {
                let minutes = self.every_minutes.trim();
                let every_minutes =
                    minutes.parse::<u32>().ok().filter(|m| (1..=MAX_EVERY_MINUTES).contains(m)).ok_or_else(|| {
                        if minutes.is_empty() {
                            format!("Enter how often to run, in minutes from 1 to {MAX_EVERY_MINUTES} (a week)")
                        } else {
                            format!("“{minutes}” is not a number of minutes from 1 to {MAX_EVERY_MINUTES} (a week)")
                        }
                    })?;
                Trigger::Schedule { every_minutes, kind: self.record_kind }
            }
            TriggerKind::Manual => Trigger::Manual,
        })
    }
}

/// A standard field's name or a custom field's key: letters, digits and `_`.
fn is_field_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One step as edited: every kind's parameters stay while another kind is chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDraft {
    pub kind: StepKind,
    pub action: AiAction,
    pub instructions: String,
    pub value: ConditionValue,
    pub op: CompareOp,
    pub threshold: String,
    pub title: String,
    /// Empty: no due date.
    pub due_in_days: String,
    pub field: String,
    pub field_value: String,
    pub tag: String,
    pub stage: String,
    /// Send contract: the template's name, and the provider.
    pub contract_template: String,
    pub contract_provider: SignatureProviderKind,
}

impl StepDraft {
    pub fn new(kind: StepKind) -> StepDraft {
        StepDraft {
            kind,
            action: AiAction::ScoreLead,
            instructions: String::new(),
            value: ConditionValue::LeadScore,
            op: CompareOp::Gte,
            threshold: "70".to_string(),
            title: String::new(),
            due_in_days: "1".to_string(),
            field: String::new(),
            field_value: String::new(),
            tag: String::new(),
            stage: String::new(),
            contract_template: String::new(),
            contract_provider: SignatureProviderKind::DocuSign,
        }
    }

    pub fn of(step: &WorkflowStep) -> StepDraft {
        let mut draft = StepDraft::new(StepKind::of(step));
        match step {
            WorkflowStep::Ai { action, instructions } => {
                draft.action = *action;
                draft.instructions = instructions.clone().unwrap_or_default();
            }
            WorkflowStep::Condition { value, op, threshold } => {
                draft.value = *value;
                draft.op = *op;
                draft.threshold = threshold.to_string();
            }
            WorkflowStep::CreateTask { title, due_in_days } => {
                draft.title = title.clone();
                draft.due_in_days = due_in_days.map(|d| d.to_string()).unwrap_or_default();
            }
            WorkflowStep::UpdateField { field, value } => {
                draft.field = field.clone();
                draft.field_value = value.clone();
            }
            WorkflowStep::AddTag { tag } => draft.tag = tag.clone(),
            WorkflowStep::MoveStage { stage } => draft.stage = stage.clone(),
            WorkflowStep::SendContract { template, provider } => {
                draft.contract_template = template.clone();
                draft.contract_provider = *provider;
            }
        }
        draft
    }

    /// The step, or what is wrong with it (without the "Step N" prefix).
    pub fn to_step(&self) -> Result<WorkflowStep, String> {
        Ok(match self.kind {
            StepKind::Ai => WorkflowStep::Ai {
                action: self.action,
                instructions: Some(self.instructions.trim().to_string()).filter(|i| !i.is_empty()),
            },
            StepKind::Condition => {
                let (min, max, what) = threshold_range(self.value);
                let text = self.threshold.trim();
                let threshold =
                    text.parse::<f64>().ok().filter(|t| t.is_finite() && *t >= min && *t <= max).ok_or_else(|| {
                        if text.is_empty() {
                            format!("enter a threshold: {what}")
                        } else {
                            format!("the threshold “{text}” is not {what}")
                        }
                    })?;
                WorkflowStep::Condition { value: self.value, op: self.op, threshold }
            }
            StepKind::CreateTask => {
                let title = self.title.trim();
                if title.is_empty() {
                    return Err("give the task a title".to_string());
                }
                let days = self.due_in_days.trim();
                let due_in_days = if days.is_empty() {
                    None
                } else {
                    Some(days.parse::<u32>().ok().filter(|d| *d <= MAX_DUE_IN_DAYS).ok_or_else(|| {
                        format!(
                            "“{days}” is not a number of days from 0 to {MAX_DUE_IN_DAYS} (leave it empty for no due date)"
                        )
                    })?)
                };
                WorkflowStep::CreateTask { title: title.to_string(), due_in_days }
            }
            StepKind::UpdateField => {
                let field = self.field.trim();
                if field.is_empty() {
                    return Err("enter the field to set, such as job_title or a custom field key".to_string());
                }
                if !is_field_name(field) {
                    return Err(format!("“{field}” is not a field name: use letters, digits and _ (job_title)"));
                }
                WorkflowStep::UpdateField { field: field.to_string(), value: self.field_value.clone() }
            }
            StepKind::AddTag => {
                let tag = self.tag.trim();
                if tag.is_empty() {
                    return Err("enter the tag to add".to_string());
                }
                WorkflowStep::AddTag { tag: tag.to_string() }
            }
            StepKind::MoveStage => {
                let stage = self.stage.trim();
                if stage.is_empty() {
                    return Err("choose the stage to move the deal to".to_string());
                }
                WorkflowStep::MoveStage { stage: stage.to_string() }
            }
            StepKind::SendContract => {
                let template = self.contract_template.trim();
                if template.is_empty() {
                    return Err("choose the contract template to send".to_string());
                }
                if template.chars().count() > MAX_TEMPLATE_NAME {
                    return Err(format!("a template name has at most {MAX_TEMPLATE_NAME} characters"));
                }
                WorkflowStep::SendContract { template: template.to_string(), provider: self.contract_provider }
            }
        })
    }
}

/// What is wrong with a workflow, per part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowErrors {
    pub name: Option<String>,
    pub trigger: Option<String>,
    /// "Add at least one step".
    pub steps: Option<String>,
    /// By step index.
    pub step: BTreeMap<usize, String>,
}

impl WorkflowErrors {
    pub fn is_empty(&self) -> bool {
        self == &WorkflowErrors::default()
    }

    pub fn messages(&self) -> Vec<String> {
        [&self.name, &self.trigger, &self.steps]
            .into_iter()
            .flatten()
            .cloned()
            .chain(self.step.values().cloned())
            .collect()
    }
}

/// The record kind a trigger runs on, when it fixes one.
pub fn trigger_record_kind(trigger: &Trigger) -> Option<RecordKind> {
    match trigger {
        Trigger::RecordCreated { kind } | Trigger::RecordUpdated { kind, .. } | Trigger::Schedule { kind, .. } => {
            Some(*kind)
        }
        Trigger::DealStageChanged { .. } | Trigger::ContractCompleted => Some(RecordKind::Deal),
        Trigger::WhopMembershipActivated | Trigger::WhopMembershipCancelled | Trigger::WhopPaymentSucceeded => {
            Some(RecordKind::Person)
        }
        Trigger::Manual => None,
    }
}

/// A step that only works on deals (the model's rule for the record a run needs).
fn deal_only(step: &WorkflowStep) -> bool {
    WorkflowStep::record_kind_for(std::slice::from_ref(step)) == RecordKind::Deal
}

/// The workflow as edited.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowDraft {
    pub id: Option<Uuid>,
    pub name: String,
    pub enabled: bool,
    pub trigger: TriggerDraft,
    pub steps: Vec<StepDraft>,
}

/// One change in the editor.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkflowEdit {
    Name(String),
    Enabled(bool),
    TriggerKind(TriggerKind),
    TriggerRecordKind(RecordKind),
    TriggerField(String),
    TriggerStage(String),
    TriggerEvery(String),
    AddStep(StepKind),
    RemoveStep(usize),
    MoveUp(usize),
    MoveDown(usize),
    Step(usize, StepEdit),
}

/// One change to a step.
#[derive(Debug, Clone, PartialEq)]
pub enum StepEdit {
    Kind(StepKind),
    Action(AiAction),
    Instructions(String),
    Value(ConditionValue),
    Op(CompareOp),
    Threshold(String),
    Title(String),
    DueInDays(String),
    Field(String),
    FieldValue(String),
    Tag(String),
    Stage(String),
    ContractTemplate(String),
    ContractProvider(SignatureProviderKind),
}

impl Default for WorkflowDraft {
    fn default() -> Self {
        WorkflowDraft { id: None, name: String::new(), enabled: true, trigger: TriggerDraft::default(), steps: vec![] }
    }
}

impl WorkflowDraft {
    pub fn of(w: &Workflow) -> WorkflowDraft {
        WorkflowDraft {
            id: Some(w.id),
            name: w.name.clone(),
            enabled: w.enabled,
            trigger: TriggerDraft::of(&w.trigger),
            steps: w.steps.iter().map(StepDraft::of).collect(),
        }
    }

    pub fn apply(&self, edit: WorkflowEdit) -> WorkflowDraft {
        let mut next = self.clone();
        match edit {
            WorkflowEdit::Name(name) => next.name = name,
            WorkflowEdit::Enabled(enabled) => next.enabled = enabled,
            WorkflowEdit::TriggerKind(kind) => next.trigger.kind = kind,
            WorkflowEdit::TriggerRecordKind(kind) => next.trigger.record_kind = kind,
            WorkflowEdit::TriggerField(field) => next.trigger.field = field,
            WorkflowEdit::TriggerStage(stage) => next.trigger.stage = stage,
            WorkflowEdit::TriggerEvery(every) => next.trigger.every_minutes = every,
            WorkflowEdit::AddStep(kind) => next.steps.push(StepDraft::new(kind)),
            WorkflowEdit::RemoveStep(i) => {
                if i < next.steps.len() {
                    next.steps.remove(i);
                }
            }
            WorkflowEdit::MoveUp(i) => {
                if i > 0 && i < next.steps.len() {
                    next.steps.swap(i - 1, i);
                }
            }
            WorkflowEdit::MoveDown(i) => {
                if i + 1 < next.steps.len() {
                    next.steps.swap(i, i + 1);
                }
            }
            WorkflowEdit::Step(i, edit) => {
                if let Some(step) = next.steps.get_mut(i) {
                    match edit {
                        StepEdit::Kind(kind) => step.kind = kind,
                        StepEdit::Action(action) => step.action = action,
                        StepEdit::Instructions(text) => step.instructions = text,
                        StepEdit::Value(value) => {
                            // A fresh threshold that fits the new value's range.
                            if value != step.value {
                                step.threshold = match value {
                                    ConditionValue::LeadScore => "70",
                                    ConditionValue::SentimentScore => "0",
                                    ConditionValue::DealAmount => "1000",
                                }
                                .to_string();
                            }
                            step.value = value;
                        }
                        StepEdit::Op(op) => step.op = op,
                        StepEdit::Threshold(text) => step.threshold = text,
                        StepEdit::Title(text) => step.title = text,
                        StepEdit::DueInDays(text) => step.due_in_days = text,
                        StepEdit::Field(text) => step.field = text,
                        StepEdit::FieldValue(text) => step.field_value = text,
                        StepEdit::Tag(text) => step.tag = text,
                        StepEdit::Stage(text) => step.stage = text,
                        StepEdit::ContractTemplate(text) => step.contract_template = text,
                        StepEdit::ContractProvider(provider) => step.contract_provider = provider,
                    }
                }
            }
        }
        next
    }

    /// The save request, or what to fix, with specific messages.
    pub fn validate(&self) -> Result<SaveWorkflow, WorkflowErrors> {
        let mut errors = WorkflowErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.name = Some("Name the workflow".to_string());
        } else if name.chars().count() > 120 {
            errors.name = Some("Keep the name under 120 characters".to_string());
        }
        let trigger = match self.trigger.to_trigger() {
            Ok(trigger) => Some(trigger),
            Err(message) => {
                errors.trigger = Some(message);
                None
            }
        };
        if self.steps.is_empty() {
            errors.steps = Some("Add at least one step".to_string());
        }
        let runs_on = trigger.as_ref().and_then(trigger_record_kind);
        let mut steps = Vec::with_capacity(self.steps.len());
        for (i, draft) in self.steps.iter().enumerate() {
            let which = format!("Step {} ({})", i + 1, draft.kind.label());
            match draft.to_step() {
                Ok(step) => {
                    if let Some(kind) = runs_on.filter(|k| *k != RecordKind::Deal && deal_only(&step)) {
                        errors.step.insert(
                            i,
                            format!("{which}: only deals have this, and the workflow runs on {}", kind.plural_label()),
                        );
                    }
                    steps.push(step);
                }
                Err(message) => {
                    errors.step.insert(i, format!("{which}: {message}"));
                }
            }
        }
        match (errors.is_empty(), trigger) {
            (true, Some(trigger)) => {
                Ok(SaveWorkflow { id: self.id, name: name.to_string(), enabled: self.enabled, trigger, steps })
            }
            _ => Err(errors),
        }
    }
}

/// The list's switch: the same workflow, switched on or off.
pub fn toggled(w: &Workflow, enabled: bool) -> SaveWorkflow {
    SaveWorkflow { id: Some(w.id), name: w.name.clone(), enabled, trigger: w.trigger.clone(), steps: w.steps.clone() }
}

// ---------------------------------------------------------------------------------------------
// Run now

/// Whether a run needs a record: every step but a task works on one.
pub fn needs_record(steps: &[WorkflowStep]) -> bool {
    steps.iter().any(|s| !matches!(s, WorkflowStep::CreateTask { .. }))
}

/// The kind of record Run now asks for: the trigger's, else what the steps need (the model's
/// `WorkflowStep::record_kind_for`: a deal when a step only works on deals, else a person).
pub fn run_record_kind(w: &Workflow) -> RecordKind {
    trigger_record_kind(&w.trigger).unwrap_or_else(|| WorkflowStep::record_kind_for(&w.steps))
}

// ---------------------------------------------------------------------------------------------
// The list and the history

pub fn steps_text(count: usize) -> String {
    if count == 1 { "1 step".to_string() } else { format!("{count} steps") }
}

pub fn run_status_label(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Queued => "Queued",
        RunStatus::Running => "Running",
        RunStatus::Waiting => "Waiting for the network",
        RunStatus::Succeeded => "Succeeded",
        RunStatus::Stopped => "Stopped by a condition",
        RunStatus::Failed => "Failed",
    }
}

pub fn run_tone(status: RunStatus) -> StatusTone {
    match status {
        RunStatus::Queued | RunStatus::Waiting => StatusTone::Warning,
        RunStatus::Running => StatusTone::Accent,
        RunStatus::Succeeded => StatusTone::Success,
        RunStatus::Stopped => StatusTone::Neutral,
        RunStatus::Failed => StatusTone::Danger,
    }
}

/// "Never run" or "Succeeded · 2026-11-26 19:09 UTC".
pub fn last_run_text(last: Option<&WorkflowRunSummary>) -> String {
    match last {
        None => "Never run".to_string(),
        Some(run) => format!("{} · {}", run_status_label(run.status), short_time(&run.started_at)),
    }
}

/// "2026-11-26 19:09 UTC → 19:10 UTC" style: start, and the finish when there is one.
pub fn run_times(run: &WorkflowRun) -> String {
    let start = short_time(&run.started_at);
    match &run.finished_at {
        Some(end) => {
            let end = short_time(end);
            // The same day: only the time of the end.
            match (start.split_once(' '), end.split_once(' ')) {
                (Some((d1, _)), Some((d2, t2))) if d1 == d2 => format!("{start} → {t2}"),
                _ => format!("{start} → {end}"),
            }
        }
        None => format!("{start} → …"),
    }
}

/// JSON for people: two-space indents, one key or item a line, written out by hand.
pub fn pretty_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value, 0);
    out
}

fn write_json(out: &mut String, value: &Value, depth: usize) {
    let pad = |out: &mut String, depth: usize| out.extend(std::iter::repeat_n("  ", depth));
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format!("{n}")),
        Value::String(s) => write_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, depth + 1);
                write_json(out, item, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push_str("{\n");
            for (i, (key, item)) in map.iter().enumerate() {
                pad(out, depth + 1);
                write_string(out, key);
                out.push_str(": ");
                write_json(out, item, depth + 1);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// The screen

/// The Automations screen: the list, the editor, the history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutomationsView {
    pub workflows: Option<Result<Vec<Workflow>, String>>,
    pub runs: Option<Result<Vec<WorkflowRun>, String>>,
    /// The history of one workflow only.
    pub runs_of: Option<Uuid>,
    /// Runs whose steps are open.
    pub expanded: BTreeSet<i64>,
    pub editor: Option<WorkflowDraft>,
    pub errors: WorkflowErrors,
    pub saving: bool,
    pub save_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AutomationsAction {
    Workflows(Result<Vec<Workflow>, String>),
    Runs(Result<Vec<WorkflowRun>, String>),
    RunsOf(Option<Uuid>),
    ToggleRun(i64),
    New,
    Open(Box<Workflow>),
    Close,
    Edit(WorkflowEdit),
    Invalid(WorkflowErrors),
    Saving,
    Saved(Box<Workflow>),
    SaveFailed(String),
    /// A workflow changed from the list (its switch).
    Updated(Box<Workflow>),
    Deleted(Uuid),
    /// Run now answered: the run goes on top, open.
    Ran(Box<WorkflowRun>),
}

impl AutomationsView {
    pub fn workflow(&self, id: Uuid) -> Option<&Workflow> {
        match &self.workflows {
            Some(Ok(list)) => list.iter().find(|w| w.id == id),
            _ => None,
        }
    }

    /// The editor differs from the workflow it opened (or a new one has content).
    pub fn dirty(&self) -> bool {
        match &self.editor {
            None => false,
            Some(draft) => match draft.id.and_then(|id| self.workflow(id)) {
                Some(w) => *draft != WorkflowDraft::of(w),
                None => *draft != WorkflowDraft::default(),
            },
        }
    }

    /// An editor without changes follows its workflow when the list brings a newer version.
    fn follow_saved(&mut self, before: &AutomationsView) {
        let Some(id) = self.editor.as_ref().and_then(|d| d.id) else { return };
        if before.dirty() {
            return;
        }
        if let Some(w) = self.workflow(id) {
            self.editor = Some(WorkflowDraft::of(w));
        }
    }

    pub fn apply(&self, action: AutomationsAction) -> AutomationsView {
        let mut next = self.clone();
        match action {
            AutomationsAction::Workflows(result) => {
                next.workflows = Some(result);
                next.follow_saved(self);
            }
            AutomationsAction::Runs(result) => next.runs = Some(result),
            AutomationsAction::RunsOf(filter) => {
                next.runs_of = filter;
                next.runs = None;
            }
            AutomationsAction::ToggleRun(id) => {
                if !next.expanded.remove(&id) {
                    next.expanded.insert(id);
                }
            }
            AutomationsAction::New => {
                next.editor = Some(WorkflowDraft::default());
                next.errors = WorkflowErrors::default();
                next.save_error = None;
            }
            AutomationsAction::Open(w) => {
                next.editor = Some(WorkflowDraft::of(&w));
                next.errors = WorkflowErrors::default();
                next.save_error = None;
            }
            AutomationsAction::Close => {
                next.editor = None;
                next.errors = WorkflowErrors::default();
                next.save_error = None;
            }
            AutomationsAction::Edit(edit) => {
                if let Some(draft) = &next.editor {
                    next.editor = Some(draft.apply(edit));
                    // Errors clear as the user fixes things; Save checks again.
                    if !next.errors.is_empty() {
                        next.errors = next.editor.as_ref().and_then(|d| d.validate().err()).unwrap_or_default();
                    }
                }
            }
            AutomationsAction::Invalid(errors) => next.errors = errors,
            AutomationsAction::Saving => {
                next.saving = true;
                next.save_error = None;
                next.errors = WorkflowErrors::default();
            }
            AutomationsAction::Saved(w) => {
                next.saving = false;
                next.editor = Some(WorkflowDraft::of(&w));
                next = next.apply(AutomationsAction::Updated(w));
            }
            AutomationsAction::SaveFailed(message) => {
                next.saving = false;
                next.save_error = Some(message);
            }
            AutomationsAction::Updated(w) => {
                if let Some(Ok(list)) = &mut next.workflows {
                    match list.iter_mut().find(|x| x.id == w.id) {
                        Some(slot) => *slot = *w,
                        None => list.push(*w),
                    }
                }
                next.follow_saved(self);
            }
            AutomationsAction::Deleted(id) => {
                if let Some(Ok(list)) = &mut next.workflows {
                    list.retain(|w| w.id != id);
                }
                if next.editor.as_ref().is_some_and(|d| d.id == Some(id)) {
                    next.editor = None;
                }
                if next.runs_of == Some(id) {
                    next.runs_of = None;
                }
            }
            AutomationsAction::Ran(run) => {
                next.expanded.insert(run.id);
                if let Some(Ok(list)) = &mut next.runs {
                    list.retain(|r| r.id != run.id);
                    list.insert(0, *run);
                }
            }
        }
        next
    }
}

impl Reducible for AutomationsView {
    type Action = AutomationsAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealdesk_model::automation::StepRun;
    use serde_json::{Map, Number};

    fn workflow(trigger: Trigger, steps: Vec<WorkflowStep>) -> Workflow {
        Workflow {
            id: Uuid::from_u128(1),
            name: "Hot leads".into(),
            enabled: true,
            trigger,
            steps,
            created_at: "2026-11-26T10:00:00Z".into(),
            updated_at: "2026-11-26T10:00:00Z".into(),
            last_run: None,
        }
    }

    fn full_steps() -> Vec<WorkflowStep> {
        vec![
            WorkflowStep::Ai { action: AiAction::ScoreLead, instructions: Some("Focus on budget".into()) },
            WorkflowStep::Condition { value: ConditionValue::LeadScore, op: CompareOp::Gte, threshold: 70.0 },
            WorkflowStep::CreateTask { title: "Call them".into(), due_in_days: Some(2) },
            WorkflowStep::CreateTask { title: "Send deck".into(), due_in_days: None },
            WorkflowStep::UpdateField { field: "job_title".into(), value: "Lead".into() },
            WorkflowStep::AddTag { tag: "hot".into() },
        ]
    }

    #[test]
    fn drafts_round_trip_every_trigger_and_step() {
        let triggers = [
            Trigger::RecordCreated { kind: RecordKind::Company },
            Trigger::RecordUpdated { kind: RecordKind::Person, field: Some("job_title".into()) },
            Trigger::RecordUpdated { kind: RecordKind::Person, field: None },
            Trigger::DealStageChanged { stage: Some("Won".into()) },
            Trigger::DealStageChanged { stage: None },
            Trigger::WhopMembershipActivated,
            Trigger::WhopMembershipCancelled,
            Trigger::WhopPaymentSucceeded,
            Trigger::ContractCompleted,
            Trigger::Schedule { every_minutes: 30, kind: RecordKind::Person },
            Trigger::Manual,
        ];
        for trigger in triggers {
            let w = workflow(trigger.clone(), full_steps());
            let save = WorkflowDraft::of(&w).validate().unwrap();
            assert_eq!(save, toggled(&w, true), "{trigger:?}");
        }
        let deal = workflow(
            Trigger::DealStageChanged { stage: None },
            vec![
                WorkflowStep::MoveStage { stage: "Won".into() },
                WorkflowStep::Condition { value: ConditionValue::DealAmount, op: CompareOp::Gt, threshold: 1000.5 },
                WorkflowStep::SendContract { template: "NDA".into(), provider: SignatureProviderKind::DropboxSign },
            ],
        );
        assert_eq!(WorkflowDraft::of(&deal).validate().unwrap().steps, deal.steps);
        for kind in TriggerKind::ALL {
            assert_eq!(TriggerKind::parse(kind.as_str()), Some(kind));
        }
        for kind in StepKind::ALL {
            assert_eq!(StepKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn the_editor_adds_moves_and_removes_steps() {
        let d = WorkflowDraft::default()
            .apply(WorkflowEdit::Name("Score new people".into()))
            .apply(WorkflowEdit::AddStep(StepKind::Ai))
            .apply(WorkflowEdit::AddStep(StepKind::Condition))
            .apply(WorkflowEdit::AddStep(StepKind::AddTag))
            .apply(WorkflowEdit::Step(2, StepEdit::Tag("hot".into())));
        assert_eq!(
            d.steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [StepKind::Ai, StepKind::Condition, StepKind::AddTag]
        );
        let moved = d.apply(WorkflowEdit::MoveUp(2)).apply(WorkflowEdit::MoveDown(0));
        assert_eq!(
            moved.steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [StepKind::AddTag, StepKind::Ai, StepKind::Condition]
        );
        // Out-of-range moves do nothing.
        assert_eq!(moved.apply(WorkflowEdit::MoveUp(0)), moved);
        assert_eq!(moved.apply(WorkflowEdit::MoveDown(2)), moved);
        assert_eq!(moved.apply(WorkflowEdit::RemoveStep(9)), moved);
        let removed = moved.apply(WorkflowEdit::RemoveStep(0));
        assert_eq!(removed.steps.len(), 2);
        let save = d.validate().unwrap();
        assert_eq!(save.name, "Score new people");
        assert_eq!(save.trigger, Trigger::RecordCreated { kind: RecordKind::Person });
        assert_eq!(
            save.steps,
            vec![
                WorkflowStep::Ai { action: AiAction::ScoreLead, instructions: None },
                WorkflowStep::Condition { value: ConditionValue::LeadScore, op: CompareOp::Gte, threshold: 70.0 },
                WorkflowStep::AddTag { tag: "hot".into() },
            ]
        );
        // Switching what a condition tests proposes a threshold in the new range.
        let c = d.apply(WorkflowEdit::Step(1, StepEdit::Value(ConditionValue::SentimentScore)));
        assert_eq!(c.steps[1].threshold, "0");
        // Switching a step's kind keeps what was typed for the other kind.
        let k = d
            .apply(WorkflowEdit::Step(2, StepEdit::Kind(StepKind::MoveStage)))
            .apply(WorkflowEdit::Step(2, StepEdit::Kind(StepKind::AddTag)));
        assert_eq!(k.steps[2].tag, "hot");
    }

    #[test]
    fn validation_names_the_problem() {
        let e = WorkflowDraft::default().validate().unwrap_err();
        assert_eq!(e.name.as_deref(), Some("Name the workflow"));
        assert_eq!(e.steps.as_deref(), Some("Add at least one step"));
        let mut d = WorkflowDraft { name: "x".into(), ..Default::default() };
        d.trigger = TriggerDraft { kind: TriggerKind::Schedule, every_minutes: "0".into(), ..Default::default() };
        for kind in StepKind::ALL {
            d = d.apply(WorkflowEdit::AddStep(kind));
        }
        d = d.apply(WorkflowEdit::Step(1, StepEdit::Threshold("120".into())));
        d = d.apply(WorkflowEdit::Step(2, StepEdit::Title("Call".into())));
        d = d.apply(WorkflowEdit::Step(2, StepEdit::DueInDays("-1".into())));
        d = d.apply(WorkflowEdit::Step(3, StepEdit::Field("job title".into())));
        let e = d.validate().unwrap_err();
        assert_eq!(e.trigger.as_deref(), Some("“0” is not a number of minutes from 1 to 10080 (a week)"));
        assert_eq!(e.step[&1], "Step 2 (Condition): the threshold “120” is not a lead score from 0 to 100");
        assert!(e.step[&2].starts_with("Step 3 (Create task): “-1” is not a number of days from 0 to 3650"));
        assert!(e.step[&3].contains("“job title” is not a field name"));
        assert_eq!(e.step[&4], "Step 5 (Add tag): enter the tag to add");
        assert_eq!(e.step[&5], "Step 6 (Move deal stage): choose the stage to move the deal to");
        assert_eq!(e.step[&6], "Step 7 (Send contract): choose the contract template to send");
        assert!(!e.step.contains_key(&0));
        assert_eq!(e.messages().len(), 7);
        // Deal-only steps on a trigger about people.
        let d = d
            .apply(WorkflowEdit::TriggerEvery("15".into()))
            .apply(WorkflowEdit::Step(1, StepEdit::Threshold("80".into())))
            .apply(WorkflowEdit::Step(2, StepEdit::DueInDays("".into())))
            .apply(WorkflowEdit::Step(3, StepEdit::Field("job_title".into())))
            .apply(WorkflowEdit::Step(4, StepEdit::Tag("hot".into())))
            .apply(WorkflowEdit::Step(5, StepEdit::Stage("Won".into())))
            .apply(WorkflowEdit::Step(6, StepEdit::ContractTemplate(" NDA ".into())))
            .apply(WorkflowEdit::Step(6, StepEdit::ContractProvider(SignatureProviderKind::DropboxSign)));
        let e = d.validate().unwrap_err();
        assert_eq!(
            e.messages(),
            vec![
                "Step 6 (Move deal stage): only deals have this, and the workflow runs on people",
                "Step 7 (Send contract): only deals have this, and the workflow runs on people",
            ]
        );
        let ok = d.apply(WorkflowEdit::TriggerRecordKind(RecordKind::Deal)).validate().unwrap();
        assert_eq!(ok.trigger, Trigger::Schedule { every_minutes: 15, kind: RecordKind::Deal });
        assert_eq!(
            ok.steps[6],
            WorkflowStep::SendContract { template: "NDA".into(), provider: SignatureProviderKind::DropboxSign }
        );
        let sentiment = StepDraft {
            value: ConditionValue::SentimentScore,
            threshold: "-0.5".into(),
            ..StepDraft::new(StepKind::Condition)
        };
        assert!(sentiment.to_step().is_ok());
        let nan = StepDraft { threshold: "NaN".into(), ..sentiment.clone() };
        assert!(nan.to_step().is_err());
        let empty = StepDraft { threshold: " ".into(), ..sentiment };
        assert_eq!(empty.to_step().unwrap_err(), "enter a threshold: a sentiment score from -1 to 1");
        let field = TriggerDraft { kind: TriggerKind::RecordUpdated, field: "a-b".into(), ..Default::default() };
        assert!(field.to_trigger().unwrap_err().contains("not a field name"));
    }

    #[test]
    fn contract_trigger_and_step_convert_and_check() {
        // Draft → model → draft, for every provider.
        for provider in SignatureProviderKind::ALL {
            let step = WorkflowStep::SendContract { template: "Service agreement".into(), provider };
            let draft = StepDraft::of(&step);
            assert_eq!(draft.kind, StepKind::SendContract);
            assert_eq!((draft.contract_template.as_str(), draft.contract_provider), ("Service agreement", provider));
            assert_eq!(draft.to_step().unwrap(), step);
            assert_eq!(StepDraft::of(&draft.to_step().unwrap()), draft);
            assert_eq!(SignatureProviderKind::parse(provider.as_str()), Some(provider));
        }
        let trigger = TriggerDraft::of(&Trigger::ContractCompleted);
        assert_eq!(trigger.kind, TriggerKind::ContractCompleted);
        assert!(!trigger.kind.has_record_kind());
        assert_eq!(trigger.to_trigger().unwrap(), Trigger::ContractCompleted);
        assert_eq!(trigger_record_kind(&Trigger::ContractCompleted), Some(RecordKind::Deal));
        // Built in the editor: a new step proposes the first provider; the name is trimmed.
        let d = WorkflowDraft { name: "Kick-off".into(), ..Default::default() }
            .apply(WorkflowEdit::TriggerKind(TriggerKind::ContractCompleted))
            .apply(WorkflowEdit::AddStep(StepKind::SendContract));
        assert_eq!(d.steps[0].contract_provider, SignatureProviderKind::ALL[0]);
        let e = d.validate().unwrap_err();
        assert_eq!(e.messages(), vec!["Step 1 (Send contract): choose the contract template to send"]);
        let blank = d.apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate("   ".into())));
        assert_eq!(blank.steps[0].to_step().unwrap_err(), "choose the contract template to send");
        let long = d.apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate("x".repeat(MAX_TEMPLATE_NAME + 1))));
        assert_eq!(long.steps[0].to_step().unwrap_err(), "a template name has at most 100 characters");
        let longest = d.apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate("é".repeat(MAX_TEMPLATE_NAME))));
        assert!(longest.steps[0].to_step().is_ok());
        let ok = d
            .apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate(" NDA ".into())))
            .apply(WorkflowEdit::Step(0, StepEdit::ContractProvider(SignatureProviderKind::DropboxSign)))
            .validate()
            .unwrap();
        assert_eq!(ok.trigger, Trigger::ContractCompleted);
        assert_eq!(
            ok.steps,
            vec![WorkflowStep::SendContract { template: "NDA".into(), provider: SignatureProviderKind::DropboxSign }]
        );
        // Only deals get contracts: on a trigger about people the step is refused.
        let people = d
            .apply(WorkflowEdit::TriggerKind(TriggerKind::WhopPaymentSucceeded))
            .apply(WorkflowEdit::Step(0, StepEdit::ContractTemplate("NDA".into())));
        assert_eq!(
            people.validate().unwrap_err().messages(),
            vec!["Step 1 (Send contract): only deals have this, and the workflow runs on people"]
        );
        // Run now on a manual workflow that sends a contract asks for a deal.
        let manual = workflow(Trigger::Manual, ok.steps.clone());
        assert!(needs_record(&manual.steps));
        assert_eq!(run_record_kind(&manual), RecordKind::Deal);
        assert_eq!(run_record_kind(&workflow(Trigger::ContractCompleted, full_steps())), RecordKind::Deal);
    }

    #[test]
    fn run_now_asks_for_the_right_record() {
        let w = workflow(Trigger::Manual, full_steps());
        assert!(needs_record(&w.steps));
        assert_eq!(run_record_kind(&w), RecordKind::Person);
        let tasks = workflow(
            Trigger::Manual,
            vec![WorkflowStep::CreateTask { title: "Weekly review".into(), due_in_days: None }],
        );
        assert!(!needs_record(&tasks.steps));
        let deal = workflow(Trigger::Manual, vec![WorkflowStep::MoveStage { stage: "Won".into() }]);
        assert_eq!(run_record_kind(&deal), RecordKind::Deal);
        let company = workflow(Trigger::RecordCreated { kind: RecordKind::Company }, full_steps());
        assert_eq!(run_record_kind(&company), RecordKind::Company);
        let whop = workflow(Trigger::WhopPaymentSucceeded, full_steps());
        assert_eq!(run_record_kind(&whop), RecordKind::Person);
    }

    #[test]
    fn texts_for_the_list_and_history() {
        assert_eq!(steps_text(1), "1 step");
        assert_eq!(steps_text(3), "3 steps");
        assert_eq!(last_run_text(None), "Never run");
        let summary = WorkflowRunSummary {
            id: 1,
            status: RunStatus::Failed,
            started_at: "2026-11-26T19:09:04Z".into(),
            finished_at: None,
            error: None,
        };
        assert_eq!(last_run_text(Some(&summary)), "Failed · 2026-11-26 19:09 UTC");
        assert_eq!(run_tone(RunStatus::Succeeded), StatusTone::Success);
        assert_eq!(run_tone(RunStatus::Waiting), StatusTone::Warning);
        let mut run = WorkflowRun {
            id: 3,
            workflow_id: Uuid::from_u128(1),
            workflow_name: "Hot leads".into(),
            trigger: "Manual".into(),
            record: None,
            status: RunStatus::Succeeded,
            started_at: "2026-11-26T19:09:04Z".into(),
            finished_at: Some("2026-11-26T19:10:00Z".into()),
            error: None,
            steps: vec![StepRun {
                index: 0,
                label: "Score lead".into(),
                status: RunStatus::Succeeded,
                input: Value::Null,
                output: Value::Null,
                error: None,
            }],
        };
        assert_eq!(run_times(&run), "2026-11-26 19:09 UTC → 19:10 UTC");
        run.finished_at = Some("2026-11-27T00:01:00Z".into());
        assert_eq!(run_times(&run), "2026-11-26 19:09 UTC → 2026-11-27 00:01 UTC");
        run.finished_at = None;
        assert_eq!(run_times(&run), "2026-11-26 19:09 UTC → …");
    }

    #[test]
    fn json_prints_with_indents_and_escapes() {
        assert_eq!(pretty_json(&Value::Null), "null");
        assert_eq!(pretty_json(&Value::from(vec![Value::Null; 0])), "[]");
        assert_eq!(pretty_json(&Value::Object(Map::new())), "{}");
        // Keys inserted in sorted order: the output is the same whether or not serde_json keeps
        // insertion order (a feature another crate of the workspace may switch on).
        let mut inner = Map::new();
        inner.insert("reasons".into(), Value::from(vec!["CTO", "budget \"ok\""]));
        inner.insert("score".into(), Value::from(82));
        let mut outer = Map::new();
        outer.insert("lead".into(), Value::Object(inner));
        outer.insert("ok".into(), Value::Bool(true));
        outer.insert("ratio".into(), Value::Number(Number::from_f64(0.5).unwrap()));
        outer.insert("text".into(), Value::from("a\nb\t\u{1}\\"));
        assert_eq!(
            pretty_json(&Value::Object(outer)),
            "{\n  \"lead\": {\n    \"reasons\": [\n      \"CTO\",\n      \"budget \\\"ok\\\"\"\n    ],\n    \"score\": 82\n  },\n  \"ok\": true,\n  \"ratio\": 0.5,\n  \"text\": \"a\\nb\\t\\u0001\\\\\"\n}"
        );
    }

    #[test]
    fn the_screen_tracks_editing_saving_and_runs() {
        let w = workflow(Trigger::Manual, full_steps());
        let v = AutomationsView::default().apply(AutomationsAction::Workflows(Ok(vec![w.clone()])));
        let v = v.apply(AutomationsAction::Open(Box::new(w.clone())));
        assert!(!v.dirty());
        let v = v.apply(AutomationsAction::Edit(WorkflowEdit::Name("Renamed".into())));
        assert!(v.dirty());
        let invalid = v.apply(AutomationsAction::Edit(WorkflowEdit::Name("".into())));
        let invalid =
            invalid.apply(AutomationsAction::Invalid(invalid.editor.as_ref().unwrap().validate().unwrap_err()));
        assert!(invalid.errors.name.is_some());
        // Fixing the problem clears its message.
        let fixed = invalid.apply(AutomationsAction::Edit(WorkflowEdit::Name("Back".into())));
        assert!(fixed.errors.is_empty());
        // The switch in the list moves an editor without changes along, not one with changes.
        let off = Workflow { enabled: false, ..w.clone() };
        let clean = v.apply(AutomationsAction::Edit(WorkflowEdit::Name("Hot leads".into())));
        assert!(!clean.dirty());
        assert!(!clean.apply(AutomationsAction::Updated(Box::new(off.clone()))).editor.unwrap().enabled);
        assert!(v.apply(AutomationsAction::Updated(Box::new(off))).editor.unwrap().enabled);
        let saved = Workflow { name: "Renamed".into(), ..w.clone() };
        let v = v.apply(AutomationsAction::Saving).apply(AutomationsAction::Saved(Box::new(saved.clone())));
        assert!(!v.saving && !v.dirty());
        assert_eq!(v.workflow(w.id).unwrap().name, "Renamed");
        let v = v.apply(AutomationsAction::Runs(Ok(vec![]))).apply(AutomationsAction::RunsOf(Some(w.id)));
        assert_eq!(v.runs, None);
        let run = WorkflowRun {
            id: 4,
            workflow_id: w.id,
            workflow_name: w.name.clone(),
            trigger: "Manual".into(),
            record: None,
            status: RunStatus::Succeeded,
            started_at: "2026-11-26T19:09:04Z".into(),
            finished_at: None,
            error: None,
            steps: vec![],
        };
        let v = v.apply(AutomationsAction::Runs(Ok(vec![]))).apply(AutomationsAction::Ran(Box::new(run.clone())));
        assert_eq!(v.runs, Some(Ok(vec![run])));
        assert!(v.expanded.contains(&4));
        let v = v.apply(AutomationsAction::ToggleRun(4));
        assert!(v.expanded.is_empty());
        let v = v.apply(AutomationsAction::Deleted(w.id));
        assert_eq!((v.editor.clone(), v.runs_of), (None, None));
        assert_eq!(v.workflows, Some(Ok(vec![])));
        let v = v.apply(AutomationsAction::New);
        assert!(!v.dirty());
        assert!(v.apply(AutomationsAction::Edit(WorkflowEdit::AddStep(StepKind::Ai))).dirty());
    }
}
