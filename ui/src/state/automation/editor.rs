//! The editor.

use super::*;

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
            | Trigger::WhopPaymentFailed
            | Trigger::WhopMembershipPastDue
            | Trigger::WhopTrialEnding
            | Trigger::CustomerAtRisk
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
            TriggerKind::WhopPaymentFailed => Trigger::WhopPaymentFailed,
            TriggerKind::WhopMembershipPastDue => Trigger::WhopMembershipPastDue,
            TriggerKind::WhopTrialEnding => Trigger::WhopTrialEnding,
            TriggerKind::CustomerAtRisk => Trigger::CustomerAtRisk,
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
pub(super) fn is_field_name(text: &str) -> bool {
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
    /// Send Whop message: the text (with AI drafting, the draft's instructions), whether AI
    /// drafts it, whether it waits for the user's approval.
    pub message: String,
    pub ai_draft: bool,
    pub hold_for_approval: bool,
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
            message: String::new(),
            ai_draft: false,
            hold_for_approval: true,
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
            WorkflowStep::RetryPayment => {}
            WorkflowStep::SendWhopMessage { text, ai_draft, hold_for_approval } => {
                draft.message = text.clone();
                draft.ai_draft = *ai_draft;
                draft.hold_for_approval = *hold_for_approval;
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
            StepKind::RetryPayment => WorkflowStep::RetryPayment,
            StepKind::SendWhopMessage => {
                let text = self.message.trim();
                if text.is_empty() && !self.ai_draft {
                    return Err("write the message, or let AI draft it".to_string());
                }
                let chars = text.chars().count();
                if chars > MAX_WHOP_MESSAGE_CHARS {
                    return Err(format!(
                        "a Whop message has at most {MAX_WHOP_MESSAGE_CHARS} characters; this one has {chars}"
                    ));
                }
                WorkflowStep::SendWhopMessage {
                    text: text.to_string(),
                    ai_draft: self.ai_draft,
                    hold_for_approval: self.hold_for_approval,
                }
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
        Trigger::WhopMembershipActivated
        | Trigger::WhopMembershipCancelled
        | Trigger::WhopPaymentSucceeded
        | Trigger::WhopPaymentFailed
        | Trigger::WhopMembershipPastDue
        | Trigger::WhopTrialEnding
        | Trigger::CustomerAtRisk => Some(RecordKind::Person),
        Trigger::Manual => None,
    }
}

/// A step that only works on deals (the model's rule for the record a run needs).
pub(super) fn deal_only(step: &WorkflowStep) -> bool {
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
    Message(String),
    AiDraft(bool),
    HoldForApproval(bool),
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
                        StepEdit::Message(text) => step.message = text,
                        StepEdit::AiDraft(on) => step.ai_draft = on,
                        StepEdit::HoldForApproval(on) => step.hold_for_approval = on,
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
