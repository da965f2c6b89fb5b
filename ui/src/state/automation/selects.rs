//! Selects.

use super::*;

/// The kinds of trigger, for the trigger select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    RecordCreated,
    RecordUpdated,
    DealStageChanged,
    WhopMembershipActivated,
    WhopMembershipCancelled,
    WhopPaymentSucceeded,
    WhopPaymentFailed,
    WhopMembershipPastDue,
    WhopTrialEnding,
    CustomerAtRisk,
    ContractCompleted,
    Schedule,
    Manual,
}

impl TriggerKind {
    pub const ALL: [TriggerKind; 13] = [
        TriggerKind::RecordCreated,
        TriggerKind::RecordUpdated,
        TriggerKind::DealStageChanged,
        TriggerKind::WhopMembershipActivated,
        TriggerKind::WhopMembershipCancelled,
        TriggerKind::WhopPaymentSucceeded,
        TriggerKind::WhopPaymentFailed,
        TriggerKind::WhopMembershipPastDue,
        TriggerKind::WhopTrialEnding,
        TriggerKind::CustomerAtRisk,
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
            TriggerKind::WhopPaymentFailed => "whop_payment_failed",
            TriggerKind::WhopMembershipPastDue => "whop_membership_past_due",
            TriggerKind::WhopTrialEnding => "whop_trial_ending",
            TriggerKind::CustomerAtRisk => "customer_at_risk",
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
            TriggerKind::WhopMembershipCancelled => "A Whop membership is canceled",
            TriggerKind::WhopPaymentSucceeded => "A Whop payment succeeds",
            TriggerKind::WhopPaymentFailed => "A Whop payment fails",
            TriggerKind::WhopMembershipPastDue => "A Whop membership becomes past due",
            TriggerKind::WhopTrialEnding => "A Whop trial ends within 3 days",
            TriggerKind::CustomerAtRisk => "A customer becomes at risk (churn score)",
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
            Trigger::WhopPaymentFailed => TriggerKind::WhopPaymentFailed,
            Trigger::WhopMembershipPastDue => TriggerKind::WhopMembershipPastDue,
            Trigger::WhopTrialEnding => TriggerKind::WhopTrialEnding,
            Trigger::CustomerAtRisk => TriggerKind::CustomerAtRisk,
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
    RetryPayment,
    SendWhopMessage,
}

impl StepKind {
    pub const ALL: [StepKind; 9] = [
        StepKind::Ai,
        StepKind::Condition,
        StepKind::CreateTask,
        StepKind::UpdateField,
        StepKind::AddTag,
        StepKind::MoveStage,
        StepKind::SendContract,
        StepKind::RetryPayment,
        StepKind::SendWhopMessage,
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
            StepKind::RetryPayment => "retry_payment",
            StepKind::SendWhopMessage => "send_whop_message",
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
            StepKind::RetryPayment => "Retry failed Whop payment",
            StepKind::SendWhopMessage => "Send Whop message",
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
            WorkflowStep::RetryPayment => StepKind::RetryPayment,
            WorkflowStep::SendWhopMessage { .. } => StepKind::SendWhopMessage,
        }
    }
}

/// The range a condition's threshold must fall in, as text for the message.
pub(super) fn threshold_range(value: ConditionValue) -> (f64, f64, &'static str) {
    match value {
        ConditionValue::LeadScore => (0.0, 100.0, "a lead score from 0 to 100"),
        ConditionValue::SentimentScore => (-1.0, 1.0, "a sentiment score from -1 to 1"),
        ConditionValue::DealAmount => (0.0, f64::MAX, "a deal amount of 0 or more"),
    }
}
