//! Workflows: a trigger, then steps run in order, with a run history of each step's input,
//! output and error.

use crate::ai::AiAction;
use crate::record::{RecordKind, RecordRef};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// How close a trial's end must be for "Whop trial ending" to fire, in days.
pub const TRIAL_ENDING_DAYS: i64 = 3;

/// What starts a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Trigger {
    RecordCreated {
        kind: RecordKind,
    },
    /// Any change of the kind, or of one field when `field` is set.
    RecordUpdated {
        kind: RecordKind,
        #[serde(default)]
        field: Option<String>,
    },
    /// A deal entered a stage (any stage when `stage` is `None`; matched by name).
    DealStageChanged {
        #[serde(default)]
        stage: Option<String>,
    },
    /// A Whop membership became active (or trialing); runs on the member's person.
    WhopMembershipActivated,
    /// A Whop membership was canceled; runs on the member's person.
    WhopMembershipCancelled,
    /// A Whop payment succeeded; runs on the payer's person.
    WhopPaymentSucceeded,
    /// A Whop payment newly failed (failed, past due, uncollectible, or another failed attempt);
    /// runs on the payer's person.
    WhopPaymentFailed,
    /// A Whop membership became past due; runs on the member's person.
    WhopMembershipPastDue,
    /// A trialing Whop membership renews (its trial ends) within 3 days; runs on the member's person.
    WhopTrialEnding,
    /// A customer's churn-risk score reached the at-risk threshold (docs/revenue.md); runs on
    /// their person.
    CustomerAtRisk,
    /// A contract sent for signature was completed by every signer; runs on its deal.
    ContractCompleted,
    /// Every `every_minutes`, on each record of `kind` changed since the previous run (at most 100).
    Schedule {
        every_minutes: u32,
        kind: RecordKind,
    },
    /// From the Automations screen, a record page or `dealdesk-cli workflows run`.
    Manual,
}

impl Trigger {
    pub fn describe(&self) -> String {
        match self {
            Trigger::RecordCreated { kind } => format!("{} created", kind.label()),
            Trigger::RecordUpdated { kind, field: Some(field) } => format!("{} {field} changed", kind.label()),
            Trigger::RecordUpdated { kind, field: None } => format!("{} updated", kind.label()),
            Trigger::DealStageChanged { stage: Some(stage) } => format!("Deal moved to {stage}"),
            Trigger::DealStageChanged { stage: None } => "Deal stage changed".into(),
            Trigger::WhopMembershipActivated => "Whop membership became active".into(),
            Trigger::WhopMembershipCancelled => "Whop membership canceled".into(),
            Trigger::WhopPaymentSucceeded => "Whop payment succeeded".into(),
            Trigger::WhopPaymentFailed => "Whop payment failed".into(),
            Trigger::WhopMembershipPastDue => "Whop membership past due".into(),
            Trigger::WhopTrialEnding => format!("Whop trial ending (within {TRIAL_ENDING_DAYS} days)"),
            Trigger::CustomerAtRisk => "Customer became at risk".into(),
            Trigger::ContractCompleted => "Contract signed by everyone".into(),
            Trigger::Schedule { every_minutes, kind } => {
                format!("Every {every_minutes} min, on changed {}", kind.plural_label())
            }
            Trigger::Manual => "Manual".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    Gte,
    Gt,
    Lte,
    Lt,
    Eq,
    Ne,
}

impl CompareOp {
    pub const ALL: [CompareOp; 6] =
        [CompareOp::Gte, CompareOp::Gt, CompareOp::Lte, CompareOp::Lt, CompareOp::Eq, CompareOp::Ne];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Gte => "gte",
            CompareOp::Gt => "gt",
            CompareOp::Lte => "lte",
            CompareOp::Lt => "lt",
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
        }
    }

    pub fn parse(text: &str) -> Option<CompareOp> {
        CompareOp::ALL.into_iter().find(|op| op.as_str() == text)
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Gte => "≥",
            CompareOp::Gt => ">",
            CompareOp::Lte => "≤",
            CompareOp::Lt => "<",
            CompareOp::Eq => "=",
            CompareOp::Ne => "≠",
        }
    }

    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            CompareOp::Gte => left >= right,
            CompareOp::Gt => left > right,
            CompareOp::Lte => left <= right,
            CompareOp::Lt => left < right,
            CompareOp::Eq => (left - right).abs() < f64::EPSILON,
            CompareOp::Ne => (left - right).abs() >= f64::EPSILON,
        }
    }
}

/// A number a condition can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionValue {
    /// The record's lead score (0–100), from this run or earlier.
    LeadScore,
    /// The record's sentiment score (-1 to 1).
    SentimentScore,
    /// A deal's amount in its currency's units.
    DealAmount,
}

impl ConditionValue {
    pub const ALL: [ConditionValue; 3] =
        [ConditionValue::LeadScore, ConditionValue::SentimentScore, ConditionValue::DealAmount];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionValue::LeadScore => "lead_score",
            ConditionValue::SentimentScore => "sentiment_score",
            ConditionValue::DealAmount => "deal_amount",
        }
    }

    pub fn parse(text: &str) -> Option<ConditionValue> {
        ConditionValue::ALL.into_iter().find(|v| v.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ConditionValue::LeadScore => "lead score",
            ConditionValue::SentimentScore => "sentiment score",
            ConditionValue::DealAmount => "deal amount",
        }
    }
}

/// One step. A failed condition ends the run (status "stopped").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum WorkflowStep {
    Ai {
        action: AiAction,
        #[serde(default)]
        instructions: Option<String>,
    },
    Condition {
        value: ConditionValue,
        op: CompareOp,
        threshold: f64,
    },
    /// A task linked to the record, due in `due_in_days` (none when `None`).
    CreateTask {
        title: String,
        #[serde(default)]
        due_in_days: Option<u32>,
    },
    /// Sets a field (a standard field by name, or a custom field by key) to a text value.
    UpdateField {
        field: String,
        value: String,
    },
    AddTag {
        tag: String,
    },
    /// Moves a deal to the stage of that name in its pipeline.
    MoveStage {
        stage: String,
    },
    /// Sends the deal a contract from the template of that name, signed by the deal's contact.
    SendContract {
        template: String,
        provider: crate::contract::SignatureProviderKind,
    },
    /// Retries the person's newest failed Whop payment that Whop says is retryable (queued in the
    /// outbox). With none, the step is skipped and the run goes on.
    RetryPayment,
    /// Messages the person on Whop. The body is `text` (with merge fields), or with `ai_draft` an
    /// AI draft from the customer's history (`text`, when set, is the draft's instructions). With
    /// `hold_for_approval` nothing is sent: the run stops and the message waits as a task to approve.
    SendWhopMessage {
        #[serde(default)]
        text: String,
        #[serde(default)]
        ai_draft: bool,
        #[serde(default)]
        hold_for_approval: bool,
    },
}

impl WorkflowStep {
    pub fn describe(&self) -> String {
        match self {
            WorkflowStep::Ai { action, .. } => action.label().to_string(),
            WorkflowStep::Condition { value, op, threshold } => {
                format!("If {} {} {threshold}", value.label(), op.symbol())
            }
            WorkflowStep::CreateTask { title, due_in_days: Some(days) } => {
                format!("Create task \"{title}\" due in {days} d")
            }
            WorkflowStep::CreateTask { title, due_in_days: None } => format!("Create task \"{title}\""),
            WorkflowStep::UpdateField { field, value } => format!("Set {field} to \"{value}\""),
            WorkflowStep::AddTag { tag } => format!("Add tag \"{tag}\""),
            WorkflowStep::MoveStage { stage } => format!("Move to stage \"{stage}\""),
            WorkflowStep::SendContract { template, provider } => {
                format!("Send contract \"{template}\" via {}", provider.label())
            }
            WorkflowStep::RetryPayment => "Retry the failed Whop payment".into(),
            WorkflowStep::SendWhopMessage { ai_draft, hold_for_approval, .. } => {
                let what = if *ai_draft { "Send an AI-drafted Whop message" } else { "Send a Whop message" };
                if *hold_for_approval { format!("{what} (held for approval)") } else { what.to_string() }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub id: Uuid,
    pub name: String,
    pub enabled: bool,
    pub trigger: Trigger,
    pub steps: Vec<WorkflowStep>,
    pub created_at: String,
    pub updated_at: String,
    pub last_run: Option<WorkflowRunSummary>,
}

/// Creates (`id: None`) or replaces a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveWorkflow {
    pub id: Option<Uuid>,
    pub name: String,
    pub enabled: bool,
    pub trigger: Trigger,
    pub steps: Vec<WorkflowStep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Queued,
    Running,
    /// An AI step waits for the network (queued in the outbox); the run goes on when it is back.
    Waiting,
    Succeeded,
    /// A condition did not hold, or a Whop message was held for approval.
    Stopped,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Stopped => "stopped",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<RunStatus> {
        Some(match text {
            "queued" => RunStatus::Queued,
            "running" => RunStatus::Running,
            "waiting" => RunStatus::Waiting,
            "succeeded" => RunStatus::Succeeded,
            "stopped" => RunStatus::Stopped,
            "failed" => RunStatus::Failed,
            _ => return None,
        })
    }

    pub fn is_finished(self) -> bool {
        matches!(self, RunStatus::Succeeded | RunStatus::Stopped | RunStatus::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRun {
    pub index: u32,
    pub label: String,
    pub status: RunStatus,
    pub input: Value,
    pub output: Value,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRunSummary {
    pub id: i64,
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRun {
    pub id: i64,
    pub workflow_id: Uuid,
    pub workflow_name: String,
    /// What fired it, in words.
    pub trigger: String,
    pub record: Option<RecordRef>,
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    pub steps: Vec<StepRun>,
}

/// Runs a workflow by hand, on a record when its steps need one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunWorkflow {
    pub workflow: Uuid,
    pub record: Option<RecordRef>,
}

impl WorkflowStep {
    /// The record kind a manual run needs: a deal when a step only works on deals, else a person.
    pub fn record_kind_for(steps: &[WorkflowStep]) -> RecordKind {
        let deal_only = steps.iter().any(|s| {
            matches!(s, WorkflowStep::MoveStage { .. } | WorkflowStep::SendContract { .. })
                || matches!(s, WorkflowStep::Condition { value: ConditionValue::DealAmount, .. })
        });
        if deal_only { RecordKind::Deal } else { RecordKind::Person }
    }
}

/// The run history, newest first; of one workflow when `workflow` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsQuery {
    pub workflow: Option<Uuid>,
    pub limit: u32,
}
