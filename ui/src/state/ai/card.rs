//! The record page's AI card.

use super::*;

/// A run that asked before going past the budget.
#[derive(Debug, Clone, PartialEq)]
pub struct OverBudgetAsk {
    pub request: AiRunRequest,
    pub month_cost_micros: i64,
    pub budget_micros: i64,
}

impl OverBudgetAsk {
    pub fn question(&self) -> String {
        over_budget_question(self.month_cost_micros, self.budget_micros)
    }

    /// The same request, confirmed.
    pub fn confirmed(&self) -> AiRunRequest {
        AiRunRequest { allow_over_budget: true, ..self.request.clone() }
    }
}

/// How the card's last run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum LastRun {
    Done { result: Box<AiResult>, call: Box<AiCallView> },
    Queued { action: AiAction, operation: PendingOperation },
}

/// The AI card of one record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AiCard {
    /// `None` while loading.
    pub insights: Option<Result<AiInsights, String>>,
    /// The optional "Instructions" input.
    pub instructions: String,
    /// The action on its way (buttons wait, a spinner turns).
    pub running: Option<AiAction>,
    pub last: Option<LastRun>,
    /// Why the last run failed (also toasted).
    pub error: Option<String>,
    /// Asking whether to run past the budget.
    pub over_budget: Option<OverBudgetAsk>,
    /// Email drafts as edited here: id → (subject, body).
    pub drafts: BTreeMap<i64, (String, String)>,
    /// Results being saved as a note or dismissed.
    pub busy: BTreeSet<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CardAction {
    /// Boxed: the insights are far larger than the other actions.
    Insights(Result<Box<AiInsights>, String>),
    Instructions(String),
    /// A request went out (also the confirmed re-send).
    Started(AiAction),
    Finished(AiRunRequest, Result<AiRunOutcome, ApiError>),
    ConfirmOverBudget,
    CancelOverBudget,
    Subject(i64, String),
    Body(i64, String),
    ResultBusy(i64),
    /// Saved as a note or dismissed: off the unread list.
    ResultGone(i64),
    ResultFailed(i64, String),
    /// A command about the card failed (also toasted), e.g. opening a draft in the mail client.
    Error(String),
    DismissError,
}

impl AiCard {
    /// Texts and drafts waiting, newest first.
    pub fn unread(&self) -> &[AiResult] {
        match &self.insights {
            Some(Ok(insights)) => &insights.unread,
            _ => &[],
        }
    }

    pub fn enabled(&self) -> bool {
        matches!(&self.insights, Some(Ok(insights)) if insights.enabled)
    }

    /// The buttons take a click: AI is on and nothing runs or asks.
    pub fn can_run(&self) -> bool {
        self.enabled() && self.running.is_none() && self.over_budget.is_none()
    }

    /// The request for an action on the record, with the typed instructions.
    pub fn request(&self, action: AiAction, record: RecordRef) -> AiRunRequest {
        let instructions = Some(self.instructions.trim().to_string()).filter(|i| !i.is_empty());
        AiRunRequest { action, record, instructions, allow_over_budget: false }
    }

    /// A draft's subject and body as shown: edited here, else as the model wrote it.
    pub fn draft_text(&self, result: &AiResult) -> Option<(String, String)> {
        match &result.output {
            AiOutput::EmailDraft { subject, body } => {
                Some(self.drafts.get(&result.id).cloned().unwrap_or_else(|| (subject.clone(), body.clone())))
            }
            _ => None,
        }
    }

    /// The last result in full, unless it waits in the unread list below (texts and drafts).
    pub fn last_shown_in_full(&self) -> bool {
        match &self.last {
            Some(LastRun::Done { result, .. }) => !self.unread().iter().any(|r| r.id == result.id),
            _ => false,
        }
    }

    fn merge_result(&mut self, result: &AiResult) {
        let Some(Ok(insights)) = &mut self.insights else { return };
        match result.output {
            AiOutput::Sentiment { .. } => insights.sentiment = Some(result.clone()),
            AiOutput::LeadScore { .. } => insights.lead_score = Some(result.clone()),
            AiOutput::Text { .. } | AiOutput::EmailDraft { .. } => {
                if !insights.unread.iter().any(|r| r.id == result.id) {
                    insights.unread.insert(0, result.clone());
                }
            }
        }
    }

    pub fn apply(&self, action: CardAction) -> AiCard {
        let mut next = self.clone();
        match action {
            CardAction::Insights(Ok(insights)) => {
                next.drafts.retain(|id, _| insights.unread.iter().any(|r| r.id == *id));
                next.busy.retain(|id| insights.unread.iter().any(|r| r.id == *id));
                next.insights = Some(Ok(*insights));
            }
            CardAction::Insights(Err(message)) => {
                // Keep what is on screen when a reload fails; say so when there is nothing.
                if !matches!(next.insights, Some(Ok(_))) {
                    next.insights = Some(Err(message));
                }
            }
            CardAction::Instructions(text) => next.instructions = text,
            CardAction::Started(action) => {
                next.running = Some(action);
                next.error = None;
                next.over_budget = None;
            }
            CardAction::Finished(request, outcome) => {
                next.running = None;
                match outcome {
                    Ok(AiRunOutcome::Done { result, call }) => {
                        next.merge_result(&result);
                        next.last = Some(LastRun::Done { result, call });
                    }
                    Ok(AiRunOutcome::Queued { operation }) => {
                        if let Some(Ok(insights)) = &mut next.insights
                            && !insights.queued.iter().any(|q| q.outbox_id == operation.outbox_id)
                        {
                            insights.queued.push(operation.clone());
                        }
                        next.last = Some(LastRun::Queued { action: request.action, operation });
                    }
                    Ok(AiRunOutcome::OverBudget { month_cost_micros, budget_micros }) => {
                        next.over_budget = Some(OverBudgetAsk { request, month_cost_micros, budget_micros });
                    }
                    Err(error) => next.error = Some(error.message),
                }
            }
            CardAction::ConfirmOverBudget => {
                if let Some(ask) = next.over_budget.take() {
                    next.running = Some(ask.request.action);
                    next.error = None;
                }
            }
            CardAction::CancelOverBudget => next.over_budget = None,
            CardAction::Subject(id, subject) => {
                if let Some(result) = self.unread().iter().find(|r| r.id == id)
                    && let Some((_, body)) = self.draft_text(result)
                {
                    next.drafts.insert(id, (subject, body));
                }
            }
            CardAction::Body(id, body) => {
                if let Some(result) = self.unread().iter().find(|r| r.id == id)
                    && let Some((subject, _)) = self.draft_text(result)
                {
                    next.drafts.insert(id, (subject, body));
                }
            }
            CardAction::ResultBusy(id) => {
                next.busy.insert(id);
            }
            CardAction::ResultGone(id) => {
                next.busy.remove(&id);
                next.drafts.remove(&id);
                if let Some(Ok(insights)) = &mut next.insights {
                    insights.unread.retain(|r| r.id != id);
                }
            }
            CardAction::ResultFailed(id, message) => {
                next.busy.remove(&id);
                next.error = Some(message);
            }
            CardAction::Error(message) => next.error = Some(message),
            CardAction::DismissError => next.error = None,
        }
        next
    }
}

impl Reducible for AiCard {
    type Action = CardAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}
