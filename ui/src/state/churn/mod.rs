//! Churn segments as plain data: the segment a `/churn/<name>` address opens, each segment's
//! count and empty state, the at-risk score's level and badge, its reasons split into what and how
//! many points, which core events move the counts, and "Run a workflow…" on a segment: which
//! workflows can run on its people, who is skipped, the question before, and the outcome after.

use crate::state::automation::{run_record_kind, run_status_label};
use crate::state::whop::StatusTone;
use dealdesk_model::RecordKind;
use dealdesk_model::automation::{RunStatus, Workflow};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::revenue::{AT_RISK_SCORE, ChurnCustomer, ChurnSegment, SegmentCount};
use uuid::Uuid;

/// From this score a customer is worth watching (below [`AT_RISK_SCORE`]).
pub const WATCH_SCORE: u32 = AT_RISK_SCORE / 2;

/// Where an at-risk score falls: at risk from [`AT_RISK_SCORE`], watch from [`WATCH_SCORE`], low
/// under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreLevel {
    AtRisk,
    Watch,
    Low,
}

impl ScoreLevel {
    pub fn of(score: u32) -> ScoreLevel {
        match score {
            s if s >= AT_RISK_SCORE => ScoreLevel::AtRisk,
            s if s >= WATCH_SCORE => ScoreLevel::Watch,
            _ => ScoreLevel::Low,
        }
    }

    /// The badge's `data-level` and class suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreLevel::AtRisk => "at-risk",
            ScoreLevel::Watch => "watch",
            ScoreLevel::Low => "low",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ScoreLevel::AtRisk => "At risk",
            ScoreLevel::Watch => "Watch",
            ScoreLevel::Low => "Low",
        }
    }

    pub fn tone(self) -> StatusTone {
        match self {
            ScoreLevel::AtRisk => StatusTone::Danger,
            ScoreLevel::Watch => StatusTone::Warning,
            ScoreLevel::Low => StatusTone::Neutral,
        }
    }
}

/// The score badge: `At risk · 75`, `Watch · 25`, `Low · 10`.
pub fn score_text(score: u32) -> String {
    format!("{} · {}", ScoreLevel::of(score).label(), score.min(100))
}

/// The badge's tooltip and accessible name: `At-risk score 75 of 100: at risk (from 40)`.
pub fn score_title(score: u32) -> String {
    let level = match ScoreLevel::of(score) {
        ScoreLevel::AtRisk => format!("at risk (from {AT_RISK_SCORE})"),
        ScoreLevel::Watch => format!("worth watching (at risk from {AT_RISK_SCORE})"),
        ScoreLevel::Low => format!("low (at risk from {AT_RISK_SCORE})"),
    };
    format!("At-risk score {} of 100: {level}", score.min(100))
}

/// One reason behind a score, as the core words it (`Payment past due (+40)`), split in two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub text: String,
    /// The points it adds, when the reason says.
    pub points: Option<u32>,
}

impl Reason {
    pub fn parse(reason: &str) -> Reason {
        let reason = reason.trim();
        let split = reason.strip_suffix(')').and_then(|rest| {
            let open = rest.rfind("(+")?;
            let points = rest[open + 2..].trim().parse::<u32>().ok()?;
            Some(Reason { text: rest[..open].trim_end().to_string(), points: Some(points) })
        });
        split.unwrap_or_else(|| Reason { text: reason.to_string(), points: None })
    }

    /// `+40`, or nothing.
    pub fn points_text(&self) -> Option<String> {
        self.points.map(|p| format!("+{p}"))
    }
}

/// A customer's reasons, in the core's order (the rules' order).
pub fn reasons(customer: &ChurnCustomer) -> Vec<Reason> {
    customer.reasons.iter().filter(|r| !r.trim().is_empty()).map(|r| Reason::parse(r)).collect()
}

/// `1 customer`, `3 customers`.
pub fn customers_text(count: u64) -> String {
    match count {
        1 => "1 customer".to_string(),
        n => format!("{n} customers"),
    }
}

/// A count's accessible name: `Past due: 3 customers`.
pub fn count_label(segment: ChurnSegment, count: u64) -> String {
    format!("{}: {}", segment.label(), customers_text(count))
}

/// How many customers a segment holds, once the counts are read.
pub fn count_of(counts: &[SegmentCount], segment: ChurnSegment) -> Option<u64> {
    counts.iter().find(|c| c.segment == segment).map(|c| c.customers)
}

/// The segment `/churn` opens: the first one with customers (in [`ChurnSegment::ALL`] order),
/// else the first.
pub fn default_segment(counts: &[SegmentCount]) -> ChurnSegment {
    ChurnSegment::ALL.into_iter().find(|s| count_of(counts, *s).unwrap_or(0) > 0).unwrap_or(ChurnSegment::ALL[0])
}

/// The segment a `/churn/<name>` address names: its name (`past_due`), or its name with dashes.
pub fn segment_named(name: &str) -> Option<ChurnSegment> {
    ChurnSegment::from_name(&name.trim().to_lowercase().replace('-', "_"))
}

/// What an empty segment says.
pub fn empty_title(segment: ChurnSegment) -> &'static str {
    match segment {
        ChurnSegment::Canceling => "No one is canceling right now.",
        ChurnSegment::ChurnedThisMonth => "No one churned this month.",
        ChurnSegment::PastDue => "No one is past due.",
        ChurnSegment::TrialEnding => "No trial ends in the next 7 days.",
        ChurnSegment::Paused => "No one has paused their payments.",
        ChurnSegment::AtRisk => "No one is at risk right now.",
    }
}

/// What puts a customer in a segment, under its empty state and its table.
pub fn segment_hint(segment: ChurnSegment) -> String {
    match segment {
        ChurnSegment::Canceling => "Members whose Whop membership is set to cancel at the end of its period.".into(),
        ChurnSegment::ChurnedThisMonth => "Members whose last membership ended this month.".into(),
        ChurnSegment::PastDue => "Members whose renewal Whop could not charge; Recover has the failed payments.".into(),
        ChurnSegment::TrialEnding => "Members whose trial ends within 7 days.".into(),
        ChurnSegment::Paused => "Members whose payment collection is paused on Whop.".into(),
        ChurnSegment::AtRisk => format!(
            "Members with an at-risk score of {AT_RISK_SCORE} or more, from Whop's signals and from activity (no payment, no note)."
        ),
    }
}

/// Whether a core event may move the segments: a Whop sync or connection change, the outbox
/// (optimistic Whop values), and people or notes (a note counts as activity).
pub fn churn_may_change(event: &CoreEvent) -> bool {
    let activity = |kind: RecordKind| matches!(kind, RecordKind::Person | RecordKind::Note);
    match event {
        CoreEvent::WhopChanged | CoreEvent::OutboxChanged { .. } | CoreEvent::OutboxRejected { .. } => true,
        CoreEvent::RecordChanged { record, .. } => activity(record.kind),
        CoreEvent::RecordsChanged { kind, .. } => activity(*kind),
        CoreEvent::ConfigChanged
        | CoreEvent::WhopSync { .. }
        | CoreEvent::WhopLoginFailed { .. }
        | CoreEvent::AiChanged { .. }
        | CoreEvent::WorkflowsChanged
        | CoreEvent::ContractsChanged { .. }
        | CoreEvent::BackupsChanged
        | CoreEvent::TeamChanged { .. }
        | CoreEvent::RestartRequired => false,
    }
}

/// The workflows "Run a workflow…" offers: those a manual run takes a person for.
pub fn runnable_workflows(workflows: &[Workflow]) -> Vec<&Workflow> {
    workflows.iter().filter(|w| run_record_kind(w) == RecordKind::Person).collect()
}

/// A workflow in the picker: its name, and whether it is switched off.
pub fn workflow_option(w: &Workflow) -> String {
    if w.enabled { w.name.clone() } else { format!("{} (switched off)", w.name) }
}

/// Who a segment's workflow runs on: each person once, and how many customers are skipped
/// (not a person in Dealdesk).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    pub people: Vec<Uuid>,
    pub skipped: usize,
}

impl Targets {
    pub fn of(customers: &[ChurnCustomer]) -> Targets {
        let mut targets = Targets::default();
        for c in customers {
            match c.person_id {
                Some(id) if !targets.people.contains(&id) => targets.people.push(id),
                Some(_) => {}
                None => targets.skipped += 1,
            }
        }
        targets
    }
}

/// `1 person`, `12 people`.
pub fn people_text(count: usize) -> String {
    match count {
        1 => "1 person".to_string(),
        n => format!("{n} people"),
    }
}

/// The question before a run: `Run “Win back” on 12 people?`.
pub fn confirm_question(workflow: &str, people: usize) -> String {
    format!("Run “{workflow}” on {}?", people_text(people))
}

/// The confirm button: `Run on 12 people`.
pub fn confirm_label(people: usize) -> String {
    format!("Run on {}", people_text(people))
}

/// Said before and after a run: `2 customers are skipped: they are not people in Dealdesk.`
pub fn skipped_text(skipped: usize) -> Option<String> {
    match skipped {
        0 => None,
        1 => Some("1 customer is skipped: they are not a person in Dealdesk.".to_string()),
        n => Some(format!("{n} customers are skipped: they are not people in Dealdesk.")),
    }
}

/// The confirm button while the runs go: `Running 3 of 12…`.
pub fn progress_text(done: usize, total: usize) -> String {
    format!("Running {} of {total}…", (done + 1).min(total))
}

/// How a batch of runs went, one person at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub succeeded: usize,
    /// Queued or still running.
    pub running: usize,
    /// Waiting for the network (an AI step).
    pub waiting: usize,
    pub stopped: usize,
    pub failed: usize,
    /// The first error the core gave (a refused run, or a failed one).
    pub first_error: Option<String>,
    pub skipped: usize,
}

impl BatchOutcome {
    pub fn new(skipped: usize) -> BatchOutcome {
        BatchOutcome { skipped, ..BatchOutcome::default() }
    }

    /// Counts one person's run: its status, or why the core refused it.
    pub fn add(&mut self, result: Result<(RunStatus, Option<String>), String>) {
        match result {
            Ok((RunStatus::Succeeded, _)) => self.succeeded += 1,
            Ok((RunStatus::Queued | RunStatus::Running, _)) => self.running += 1,
            Ok((RunStatus::Waiting, _)) => self.waiting += 1,
            Ok((RunStatus::Stopped, _)) => self.stopped += 1,
            Ok((RunStatus::Failed, error)) => self.fail(error.unwrap_or_else(|| "the run failed".to_string())),
            Err(message) => self.fail(message),
        }
    }

    fn fail(&mut self, message: String) {
        self.failed += 1;
        if self.first_error.is_none() {
            self.first_error = Some(message);
        }
    }

    pub fn people(&self) -> usize {
        self.succeeded + self.running + self.waiting + self.stopped + self.failed
    }

    /// Shown as an error toast: some runs failed.
    pub fn is_error(&self) -> bool {
        self.failed > 0
    }

    /// The toast: `Ran “Win back” on 12 people: 10 succeeded, 2 failed (first: …). 1 customer is
    /// skipped: …`.
    pub fn text(&self, workflow: &str) -> String {
        let parts: Vec<String> = [
            (self.succeeded, run_status_label(RunStatus::Succeeded)),
            (self.running, "still running"),
            (self.waiting, "waiting for the network"),
            (self.stopped, "stopped by a condition"),
            (self.failed, run_status_label(RunStatus::Failed)),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, label)| format!("{n} {}", label.to_lowercase()))
        .collect();
        let mut text = format!("Ran “{workflow}” on {}", people_text(self.people()));
        if parts.len() > 1 || self.succeeded != self.people() {
            text.push_str(&format!(": {}", parts.join(", ")));
        }
        if let Some(error) = &self.first_error {
            text.push_str(&format!(" (first error: {error})"));
        }
        text.push('.');
        if let Some(skipped) = skipped_text(self.skipped) {
            text.push(' ');
            text.push_str(&skipped);
        }
        text
    }
}

#[cfg(test)]
mod tests;
