//! Workflows: a trigger, then steps in order (AI actions, conditions, tasks, field updates, tags,
//! stage moves), with a run history of each step's input, output and error.
//!
//! Triggers come from two durable sources, read in order from a stored cursor: the change log
//! (records created or updated, deal stage changes) and `automation_event` (Whop events the sync
//! writes). Matching events queue runs (`workflow_run`, one per workflow and event); the engine
//! then runs them. Writes made by workflow steps are tagged `workflow` and never fire workflows,
//! so a workflow cannot trigger itself in a loop; nor do CSV imports, or events from before a
//! workflow was switched on. An AI step that cannot reach its provider waits in the outbox, and
//! its run waits with it. See docs/ai-and-automations.md.

mod error;
pub mod whop_steps;

pub use error::AutomationError;

use dealdesk_ai::{Ai, WorkflowAiOutcome};
use dealdesk_crm::Crm;
use dealdesk_crm::shared::config::{self, ConfigKind};
use dealdesk_model::ai::{AiAction, AiOutput};
use dealdesk_model::automation::{
    CompareOp, ConditionValue, RunStatus, SaveWorkflow, StepRun, Trigger, Workflow, WorkflowRun, WorkflowRunSummary,
    WorkflowStep,
};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::{CompanyPatch, DealPatch, MoveDeal, NewTask, PersonPatch, RecordKind, RecordRef, UpdateSource};
use dealdesk_store::EventBus;
use dealdesk_store::{Store, time};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// The example workflow shipped (disabled) with every install.
pub const EXAMPLE_ID: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00e1);
const EXAMPLE_SETTING: &str = "automation.example_seeded";
const CURSOR_SETTING: &str = "automation.cursor";
/// Events read per pass.
const BATCH: i64 = 500;
/// Records one scheduled run covers at most.
const SCHEDULE_LIMIT: i64 = 100;
/// How often the engine looks without being woken (schedules, runs another process queued).
const TICK: Duration = Duration::from_secs(15);
/// How long the engine waits after the app starts before it catches up on changes made while the
/// app was closed (a CLI import can leave 100,000 of them): the window's first queries and paint
/// come first. A change made in the app, or a wake, ends the wait early.
const START_GRACE: Duration = Duration::from_secs(5);
const MAX_STEPS: usize = 20;

#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct Cursor {
    change_seq: i64,
    event_id: i64,
}

/// What happened, for matching against triggers.
#[derive(Debug, Clone)]
struct Event {
    key: String,
    at: String,
    record: RecordRef,
    what: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
enum EventKind {
    Created,
    Updated {
        field: String,
    },
    StageChanged {
        stage: String,
    },
    /// An `automation_event` row: a Whop event from the sync, a customer at risk (the revenue
    /// check), or a contract completed.
    Whop(&'static str),
}

/// The `automation_event` kinds workflows listen to.
const EVENT_KINDS: [&str; 8] = [
    "whop_membership_activated",
    "whop_membership_cancelled",
    "whop_payment_succeeded",
    "whop_payment_failed",
    "whop_membership_past_due",
    "whop_trial_ending",
    "customer_at_risk",
    "contract_completed",
];

fn matches(trigger: &Trigger, event: &Event) -> bool {
    match (trigger, &event.what) {
        (Trigger::RecordCreated { kind }, EventKind::Created) => *kind == event.record.kind,
        (Trigger::RecordUpdated { kind, field }, EventKind::Updated { field: changed }) => {
            *kind == event.record.kind && field.as_deref().is_none_or(|f| f == changed)
        }
        (Trigger::RecordUpdated { kind, field }, EventKind::StageChanged { .. }) => {
            *kind == event.record.kind && field.as_deref().is_none_or(|f| f == "stage" || f == "stage_id")
        }
        (Trigger::DealStageChanged { stage }, EventKind::StageChanged { stage: entered }) => {
            stage.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(entered))
        }
        (Trigger::WhopMembershipActivated, EventKind::Whop(kind)) => *kind == "whop_membership_activated",
        (Trigger::WhopMembershipCancelled, EventKind::Whop(kind)) => *kind == "whop_membership_cancelled",
        (Trigger::WhopPaymentSucceeded, EventKind::Whop(kind)) => *kind == "whop_payment_succeeded",
        (Trigger::WhopPaymentFailed, EventKind::Whop(kind)) => *kind == "whop_payment_failed",
        (Trigger::WhopMembershipPastDue, EventKind::Whop(kind)) => *kind == "whop_membership_past_due",
        (Trigger::WhopTrialEnding, EventKind::Whop(kind)) => *kind == "whop_trial_ending",
        (Trigger::CustomerAtRisk, EventKind::Whop(kind)) => *kind == "customer_at_risk",
        (Trigger::ContractCompleted, EventKind::Whop(kind)) => *kind == "contract_completed",
        _ => false,
    }
}

/// Checks a workflow before it is saved.
fn validate(save: &SaveWorkflow) -> Result<(), AutomationError> {
    let invalid = |m: String| Err(AutomationError::Invalid(m));
    let name = save.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return invalid("A workflow needs a name (at most 100 characters)".into());
    }
    if save.steps.is_empty() || save.steps.len() > MAX_STEPS {
        return invalid(format!("A workflow needs 1 to {MAX_STEPS} steps"));
    }
    match &save.trigger {
        Trigger::Schedule { every_minutes, .. } if !(5..=10_080).contains(every_minutes) => {
            return invalid("A schedule runs every 5 minutes to every 7 days (10,080 minutes)".into());
        }
        Trigger::RecordUpdated { field: Some(field), .. } if !is_field_name(field) => {
            return invalid(format!("{field:?} is not a field name"));
        }
        _ => {}
    }
    for (index, step) in save.steps.iter().enumerate() {
        let n = index + 1;
        match step {
            WorkflowStep::Ai { instructions: Some(instructions), .. } if instructions.chars().count() > 2_000 => {
                return invalid(format!("Step {n}: instructions can have at most 2,000 characters"));
            }
            WorkflowStep::Condition { value, threshold, .. } => {
                let range = match value {
                    ConditionValue::LeadScore => 0.0..=100.0,
                    ConditionValue::SentimentScore => -1.0..=1.0,
                    ConditionValue::DealAmount => 0.0..=1e15,
                };
                if !threshold.is_finite() || !range.contains(threshold) {
                    return invalid(format!(
                        "Step {n}: a {} threshold must be from {} to {}",
                        value.label(),
                        range.start(),
                        range.end()
                    ));
                }
            }
            WorkflowStep::CreateTask { title, due_in_days } => {
                if title.trim().is_empty() || title.chars().count() > 200 {
                    return invalid(format!("Step {n}: a task needs a title (at most 200 characters)"));
                }
                if due_in_days.is_some_and(|d| d > 3650) {
                    return invalid(format!("Step {n}: a task is due within 3,650 days"));
                }
            }
            WorkflowStep::UpdateField { field, value } => {
                let key = field.strip_prefix("custom.").unwrap_or(field);
                if !is_field_name(key) {
                    return invalid(format!("Step {n}: {field:?} is not a field name"));
                }
                if value.chars().count() > 2_000 {
                    return invalid(format!("Step {n}: the value can have at most 2,000 characters"));
                }
            }
            WorkflowStep::AddTag { tag } if tag.trim().is_empty() || tag.chars().count() > 50 => {
                return invalid(format!("Step {n}: a tag needs a name (at most 50 characters)"));
            }
            WorkflowStep::SendContract { template, .. }
                if template.trim().is_empty() || template.chars().count() > 100 =>
            {
                return Err(AutomationError::Invalid("a send-contract step needs a template name".into()));
            }
            WorkflowStep::MoveStage { stage } if stage.trim().is_empty() => {
                return invalid(format!("Step {n}: name the stage to move to"));
            }
            WorkflowStep::SendWhopMessage { text, ai_draft, .. } => {
                if text.trim().is_empty() && !ai_draft {
                    return invalid(format!("Step {n}: write the Whop message, or let AI draft it"));
                }
                let chars = text.chars().count();
                if chars > dealdesk_model::outbox::MAX_WHOP_MESSAGE_CHARS {
                    return invalid(format!(
                        "Step {n}: a Whop message has at most {} characters; this one has {chars}",
                        dealdesk_model::outbox::MAX_WHOP_MESSAGE_CHARS
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Whether a workflow's steps act on a record (most do; a run with none fails at the first).
fn needs_record(steps: &[WorkflowStep]) -> bool {
    !steps.is_empty()
}

type WorkflowRow = (String, String, bool, String, String, String, String);
/// id, status, started_at, finished_at, error
type LastRunRow = (i64, String, String, Option<String>, Option<String>);
/// A workflow row plus `enabled_at`.
type EnabledRow = (String, String, bool, String, String, String, String, Option<String>);
/// seq, at, record_kind, record_id, op, field, new_value, source
type ChangeRow = (i64, String, String, String, String, Option<String>, Option<String>, String);
const WORKFLOW_COLUMNS: &str = "id, name, enabled, trigger, steps, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    workflow_id: String,
    workflow_name: String,
    trigger: String,
    record_kind: Option<String>,
    record_id: Option<String>,
    status: String,
    definition: String,
    next_step: i64,
    steps: String,
    started_at: String,
    finished_at: Option<String>,
    error: Option<String>,
}

const RUN_COLUMNS: &str = "id, workflow_id, workflow_name, trigger, record_kind, record_id, status, definition, \
                           next_step, steps, started_at, finished_at, error";

impl RunRow {
    fn record(&self) -> Option<RecordRef> {
        let kind = RecordKind::parse(self.record_kind.as_deref()?)?;
        let id = Uuid::parse_str(self.record_id.as_deref()?).ok()?;
        Some(RecordRef { kind, id })
    }

    fn status(&self) -> Result<RunStatus, AutomationError> {
        RunStatus::parse(&self.status).ok_or_else(|| AutomationError::Corrupt(format!("run status {:?}", self.status)))
    }

    fn step_runs(&self) -> Result<Vec<StepRun>, AutomationError> {
        serde_json::from_str(&self.steps)
            .map_err(|e| AutomationError::Corrupt(format!("steps of run #{}: {e}", self.id)))
    }

    fn definition(&self) -> Result<Vec<WorkflowStep>, AutomationError> {
        serde_json::from_str(&self.definition)
            .map_err(|e| AutomationError::Corrupt(format!("definition of run #{}: {e}", self.id)))
    }

    fn view(&self) -> Result<WorkflowRun, AutomationError> {
        Ok(WorkflowRun {
            id: self.id,
            workflow_id: Uuid::parse_str(&self.workflow_id).map_err(|e| AutomationError::Corrupt(e.to_string()))?,
            workflow_name: self.workflow_name.clone(),
            trigger: self.trigger.clone(),
            record: self.record(),
            status: self.status()?,
            started_at: self.started_at.clone(),
            finished_at: self.finished_at.clone(),
            error: self.error.clone(),
            steps: self.step_runs()?,
        })
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AutomationError> {
    serde_json::to_string(value).map_err(|e| AutomationError::Corrupt(e.to_string()))
}

/// What one step came to.
enum StepOutcome {
    Done(Value),
    /// The condition did not hold: the run stops here.
    Stop(Value),
    /// Waiting in the outbox (operation id).
    Waiting(i64),
}

pub struct Automation {
    store: Store,
    events: EventBus,
    crm: Crm,
    ai: Arc<Ai>,
    esign: Arc<dealdesk_esign::Esign>,
    whop: Arc<dealdesk_whop::Whop>,
    wake: Notify,
    /// One engine pass at a time within this process.
    pass: tokio::sync::Mutex<()>,
}

impl Automation {
    pub fn new(
        store: Store,
        events: EventBus,
        crm: Crm,
        ai: Arc<Ai>,
        esign: Arc<dealdesk_esign::Esign>,
        whop: Arc<dealdesk_whop::Whop>,
    ) -> Automation {
        Automation { store, events, crm, ai, esign, whop, wake: Notify::new(), pass: tokio::sync::Mutex::new(()) }
    }

    /// Asks the engine for a pass now (new events were written outside a record change).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Starts reading events from now on the first open (history never fires anything), and
    /// ships the example workflow (disabled) once per install; a user who deletes it keeps it gone.
    pub async fn prepare(&self) -> Result<(), AutomationError> {
        if self.store.setting::<Cursor>(CURSOR_SETTING).await?.is_none() {
            let (seq, event): (Option<i64>, Option<i64>) =
                sqlx::query_as("SELECT (SELECT max(seq) FROM change_log), (SELECT max(id) FROM automation_event)")
                    .fetch_one(self.store.pool())
                    .await?;
            let cursor = Cursor { change_seq: seq.unwrap_or(0), event_id: event.unwrap_or(0) };
            self.store.set_setting(CURSOR_SETTING, &cursor).await?;
        }
        if self.store.setting::<bool>(EXAMPLE_SETTING).await?.unwrap_or(false) {
            return Ok(());
        }
        let example = SaveWorkflow {
            id: None,
            name: "New Whop member: score and follow up".into(),
            enabled: false,
            trigger: Trigger::WhopMembershipActivated,
            steps: vec![
                WorkflowStep::Ai { action: AiAction::ScoreLead, instructions: None },
                WorkflowStep::Condition { value: ConditionValue::LeadScore, op: CompareOp::Gte, threshold: 70.0 },
                WorkflowStep::CreateTask {
                    title: "Follow up with {{person.first_name}} (hot lead)".into(),
                    due_in_days: Some(1),
                },
            ],
        };
        let mut conn = self.store.pool().acquire().await?;
        Self::insert(&mut conn, EXAMPLE_ID, &example).await?;
        self.store.set_setting(EXAMPLE_SETTING, &true).await?;
        Ok(())
    }

    async fn insert(conn: &mut sqlx::SqliteConnection, id: Uuid, save: &SaveWorkflow) -> Result<(), AutomationError> {
        let now = time::format(time::now());
        sqlx::query(
            "INSERT INTO workflow (id, name, enabled, enabled_at, trigger, steps, last_scheduled_at, schedule_seq,
                                   created_at, updated_at)
             VALUES (?1, ?2, ?3, CASE WHEN ?3 THEN ?4 END, ?5, ?6, ?4, (SELECT coalesce(max(seq), 0) FROM change_log), ?4, ?4)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(save.name.trim())
        .bind(save.enabled)
        .bind(&now)
        .bind(to_json(&save.trigger)?)
        .bind(to_json(&save.steps)?)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    fn workflow(&self, row: WorkflowRow, last_run: Option<WorkflowRunSummary>) -> Result<Workflow, AutomationError> {
        let (id, name, enabled, trigger, steps, created_at, updated_at) = row;
        Ok(Workflow {
            id: Uuid::parse_str(&id).map_err(|e| AutomationError::Corrupt(e.to_string()))?,
            name,
            enabled,
            trigger: serde_json::from_str(&trigger).map_err(|e| AutomationError::Corrupt(format!("trigger: {e}")))?,
            steps: serde_json::from_str(&steps).map_err(|e| AutomationError::Corrupt(format!("steps: {e}")))?,
            created_at,
            updated_at,
            last_run,
        })
    }

    pub async fn list(&self) -> Result<Vec<Workflow>, AutomationError> {
        let rows: Vec<WorkflowRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WORKFLOW_COLUMNS} FROM workflow WHERE deleted_at IS NULL ORDER BY name COLLATE NOCASE, id"
        )))
        .fetch_all(self.store.pool())
        .await?;
        let mut workflows = Vec::with_capacity(rows.len());
        for row in rows {
            let last: Option<LastRunRow> = sqlx::query_as(
                "SELECT id, status, started_at, finished_at, error FROM workflow_run WHERE workflow_id = ? ORDER BY id DESC LIMIT 1",
            )
            .bind(&row.0)
            .fetch_optional(self.store.pool())
            .await?;
            let last_run = last.and_then(|(id, status, started_at, finished_at, error)| {
                Some(WorkflowRunSummary { id, status: RunStatus::parse(&status)?, started_at, finished_at, error })
            });
            workflows.push(self.workflow(row, last_run)?);
        }
        Ok(workflows)
    }

    pub async fn get(&self, id: Uuid) -> Result<Workflow, AutomationError> {
        self.list()
            .await?
            .into_iter()
            .find(|w| w.id == id)
            .ok_or_else(|| AutomationError::UnknownWorkflow(id.to_string()))
    }

    /// A workflow by id or (case-insensitive) name, for the CLI.
    pub async fn find(&self, name_or_id: &str) -> Result<Workflow, AutomationError> {
        let all = self.list().await?;
        let wanted = name_or_id.trim();
        all.into_iter()
            .find(|w| w.id.to_string() == wanted || w.name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| AutomationError::UnknownWorkflow(wanted.to_string()))
    }

    pub async fn save(&self, save: &SaveWorkflow) -> Result<Workflow, AutomationError> {
        validate(save)?;
        let mut tx = self.store.begin_write().await?;
        // Names are unique here (the database allows two, which a team workspace can bring).
        let taken: Option<String> =
            sqlx::query_scalar("SELECT id FROM workflow WHERE name = ? AND deleted_at IS NULL AND id != ? LIMIT 1")
                .bind(save.name.trim())
                .bind(save.id.map(|id| id.to_string()).unwrap_or_default())
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(AutomationError::Invalid("A workflow with this name exists already".into()));
        }
        let id = save.id.unwrap_or_else(Uuid::now_v7);
        let before = config::snapshot(&mut tx, ConfigKind::Workflow, &id.to_string()).await?;
        match save.id {
            None => Self::insert(&mut tx, id, save).await?,
            Some(id) => {
                let now = time::format(time::now());
                let done = sqlx::query(
                    "UPDATE workflow SET name = ?1, trigger = ?3, steps = ?4, updated_at = ?5,
                        enabled_at = CASE WHEN ?2 AND NOT enabled THEN ?5 WHEN ?2 THEN enabled_at END,
                        last_scheduled_at = CASE WHEN ?2 AND NOT enabled THEN ?5 ELSE last_scheduled_at END,
                        schedule_seq = CASE WHEN ?2 AND NOT enabled THEN (SELECT coalesce(max(seq), 0) FROM change_log)
                                            ELSE schedule_seq END,
                        enabled = ?2
                     WHERE id = ?6 AND deleted_at IS NULL",
                )
                .bind(save.name.trim())
                .bind(save.enabled)
                .bind(to_json(&save.trigger)?)
                .bind(to_json(&save.steps)?)
                .bind(&now)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(AutomationError::UnknownWorkflow(id.to_string()));
                }
            }
        }
        config::log_saved(&mut tx, self.store.clock(), UpdateSource::Ui, ConfigKind::Workflow, &id.to_string(), before)
            .await?;
        tx.commit().await?;
        self.events.emit(CoreEvent::WorkflowsChanged);
        self.wake.notify_one();
        self.get(id).await
    }

    /// Deletes a workflow; its run history stays (under its name).
    pub async fn delete(&self, id: Uuid) -> Result<(), AutomationError> {
        let id = id.to_string();
        let mut tx = self.store.begin_write().await?;
        let before = config::snapshot(&mut tx, ConfigKind::Workflow, &id).await?;
        let done =
            sqlx::query("UPDATE workflow SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NULL")
                .bind(time::format(time::now()))
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(AutomationError::UnknownWorkflow(id));
        }
        config::log_saved(&mut tx, self.store.clock(), UpdateSource::Ui, ConfigKind::Workflow, &id, before).await?;
        tx.commit().await?;
        self.events.emit(CoreEvent::WorkflowsChanged);
        Ok(())
    }

    pub async fn runs(&self, workflow: Option<Uuid>, limit: u32) -> Result<Vec<WorkflowRun>, AutomationError> {
        let rows: Vec<RunRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM workflow_run WHERE ?1 IS NULL OR workflow_id = ?1 ORDER BY id DESC LIMIT ?2"
        )))
        .bind(workflow.map(|w| w.to_string()))
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(RunRow::view).collect()
    }

    pub async fn run(&self, id: i64) -> Result<WorkflowRun, AutomationError> {
        let row: Option<RunRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RUN_COLUMNS} FROM workflow_run WHERE id = ?")))
                .bind(id)
                .fetch_optional(self.store.pool())
                .await?;
        row.ok_or(AutomationError::UnknownRun(id))?.view()
    }

    /// Queues a run in the caller's connection; `None` when this event already queued one.
    /// Queues a run in the caller's connection; `None` when this event already queued one. A
    /// manual run is queued as `running`, so no engine pass can claim it while its caller runs it.
    async fn queue(
        conn: &mut sqlx::SqliteConnection,
        workflow: &Workflow,
        trigger: &str,
        record: Option<RecordRef>,
        event_key: Option<&str>,
        status: RunStatus,
    ) -> Result<Option<i64>, AutomationError> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO workflow_run (workflow_id, workflow_name, trigger, record_kind, record_id, status, definition, started_at, event_key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING RETURNING id",
        )
        .bind(workflow.id.to_string())
        .bind(&workflow.name)
        .bind(trigger)
        .bind(record.map(|r| r.kind.as_str()))
        .bind(record.map(|r| r.id.to_string()))
        .bind(status.as_str())
        .bind(to_json(&workflow.steps)?)
        .bind(time::format(time::now()))
        .bind(event_key)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(id)
    }

    /// Runs a workflow now (from the Automations screen, a record page or the CLI), enabled or
    /// not, and answers with the run as it ended (or waits).
    pub async fn run_now(&self, workflow: Uuid, record: Option<RecordRef>) -> Result<WorkflowRun, AutomationError> {
        let workflow = self.get(workflow).await?;
        if record.is_none() && needs_record(&workflow.steps) {
            return Err(AutomationError::Invalid(format!(
                "\"{}\" acts on a record: choose a person, company or deal to run it on",
                workflow.name
            )));
        }
        let mut conn = self.store.pool().acquire().await?;
        let id = Self::queue(&mut conn, &workflow, "Manual", record, None, RunStatus::Running)
            .await?
            .ok_or_else(|| AutomationError::Corrupt("a manual run was not queued".into()))?;
        drop(conn);
        self.execute_or_fail(id).await?;
        self.events.emit(CoreEvent::WorkflowsChanged);
        self.run(id).await
    }

    /// Puts runs a stopped process left `running` back in the queue, to go on from the step after
    /// the last one saved (the step in progress then runs again: steps are at least once). Run
    /// once when a process starts its engine.
    pub async fn recover(&self) -> Result<u64, AutomationError> {
        let done = sqlx::query("UPDATE workflow_run SET status = 'queued' WHERE status = 'running'")
            .execute(self.store.pool())
            .await?;
        if done.rows_affected() > 0 {
            tracing::info!(runs = done.rows_affected(), "automation: resuming runs a stopped process left running");
        }
        Ok(done.rows_affected())
    }

    /// Reads new events and queues the runs they trigger; runs due schedules.
    async fn collect(&self) -> Result<u64, AutomationError> {
        let workflows: Vec<(Workflow, String)> = {
            let rows: Vec<EnabledRow> = sqlx::query_as(
                "SELECT id, name, enabled, trigger, steps, created_at, updated_at, enabled_at FROM workflow \
                 WHERE enabled AND deleted_at IS NULL",
            )
            .fetch_all(self.store.pool())
            .await?;
            let mut list = Vec::new();
            for (id, name, enabled, trigger, steps, created_at, updated_at, enabled_at) in rows {
                let workflow = self.workflow((id, name, enabled, trigger, steps, created_at, updated_at), None)?;
                list.push((workflow, enabled_at.unwrap_or_default()));
            }
            list
        };
        let mut queued = 0;
        loop {
            // The cursor is read and moved inside one write transaction, so two processes never
            // move it backwards; the runs' unique event keys stop a second queueing of one event.
            let mut tx = self.store.begin_write().await?;
            let cursor: Cursor = read_setting(&mut tx, CURSOR_SETTING).await?.unwrap_or_default();
            let whop_here = runs_whop_automations(&mut tx).await?;
            let (events, next) = read_events(&mut tx, cursor, whop_here).await?;
            if next.change_seq == cursor.change_seq && next.event_id == cursor.event_id {
                break;
            }
            for event in &events {
                for (workflow, enabled_at) in &workflows {
                    if event.at < *enabled_at || !matches(&workflow.trigger, event) {
                        continue;
                    }
                    // One edit of several fields is one event: its change-log rows share `at`.
                    let key = format!("{}:{}", workflow.id, event.key);
                    let trigger = workflow.trigger.describe();
                    let record = Some(event.record);
                    if Self::queue(&mut tx, workflow, &trigger, record, Some(&key), RunStatus::Queued).await?.is_some()
                    {
                        queued += 1;
                    }
                }
            }
            dealdesk_store::set_setting_in(&mut tx, CURSOR_SETTING, &next).await?;
            tx.commit().await?;
        }
        queued += self.schedule(&workflows).await?;
        Ok(queued)
    }

    /// Queues a run per record changed since the schedule's previous run (by the window, the CLI
    /// or a script: not by workflows, imports or the Whop sync), for each due schedule. A change
    /// pulled from a team hub is scheduled by the desktop that made it, so each runs once.
    async fn schedule(&self, workflows: &[(Workflow, String)]) -> Result<u64, AutomationError> {
        let now = time::now();
        let mut queued = 0;
        for (workflow, _) in workflows {
            let Trigger::Schedule { every_minutes, kind } = workflow.trigger else { continue };
            let mut tx = self.store.begin_write().await?;
            let (last, since_seq): (Option<String>, Option<i64>) =
                sqlx::query_as("SELECT last_scheduled_at, schedule_seq FROM workflow WHERE id = ?")
                    .bind(workflow.id.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
            let last_at = last.as_deref().and_then(|l| time::parse(l).ok());
            if last_at.is_some_and(|l| now - l < chrono::Duration::minutes(i64::from(every_minutes))) {
                continue;
            }
            let newest: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM change_log").fetch_one(&mut *tx).await?;
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT record_id FROM change_log WHERE seq > ? AND record_kind = ?
                   AND source NOT IN ('workflow', 'import', 'sync', 'team')
                 GROUP BY record_id ORDER BY max(seq) DESC LIMIT ?",
            )
            .bind(since_seq.unwrap_or(0))
            .bind(kind.as_str())
            .bind(SCHEDULE_LIMIT)
            .fetch_all(&mut *tx)
            .await?;
            let stamp = time::format(now);
            for id in ids {
                let Ok(id) = Uuid::parse_str(&id) else { continue };
                let key = format!("{}:s{stamp}:{id}", workflow.id);
                let trigger = workflow.trigger.describe();
                let record = Some(RecordRef { kind, id });
                if Self::queue(&mut tx, workflow, &trigger, record, Some(&key), RunStatus::Queued).await?.is_some() {
                    queued += 1;
                }
            }
            sqlx::query("UPDATE workflow SET last_scheduled_at = ?, schedule_seq = ? WHERE id = ?")
                .bind(&stamp)
                .bind(newest.unwrap_or(0))
                .bind(workflow.id.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(queued)
    }

    /// One engine pass: queue runs for new events, run queued runs, resume runs whose AI step
    /// came back from the outbox. Returns how many runs it moved.
    pub async fn process(&self) -> Result<u64, AutomationError> {
        let _pass = self.pass.lock().await;
        let mut moved = self.collect().await?;
        moved += self.resume_waiting().await?;
        loop {
            let next: Option<i64> = sqlx::query_scalar(
                "UPDATE workflow_run SET status = 'running' WHERE id = (
                    SELECT id FROM workflow_run WHERE status = 'queued' ORDER BY id LIMIT 1) RETURNING id",
            )
            .fetch_optional(self.store.pool())
            .await?;
            let Some(id) = next else { break };
            self.execute_or_fail(id).await?;
            moved += 1;
        }
        if moved > 0 {
            self.events.emit(CoreEvent::WorkflowsChanged);
        }
        Ok(moved)
    }

    /// Runs a claimed run; an error that is not the store's (a corrupt definition, say) fails
    /// that run instead of stopping the engine.
    async fn execute_or_fail(&self, id: i64) -> Result<(), AutomationError> {
        match self.execute(id).await {
            Ok(()) => Ok(()),
            Err(error @ AutomationError::Store(_)) => Err(error),
            Err(error) => {
                tracing::warn!(run = id, %error, "automation: run failed");
                sqlx::query("UPDATE workflow_run SET status = 'failed', error = ?, finished_at = ? WHERE id = ?")
                    .bind(error.to_string())
                    .bind(time::format(time::now()))
                    .bind(id)
                    .execute(self.store.pool())
                    .await?;
                Ok(())
            }
        }
    }

    /// Resumes runs whose AI step finished in the outbox (or fails them if it was refused).
    async fn resume_waiting(&self) -> Result<u64, AutomationError> {
        // Only runs whose operation is settled (or gone), so a long queue of waiting runs never
        // hides one that can go on.
        let rows: Vec<RunRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM workflow_run r WHERE r.status = 'waiting' AND NOT EXISTS (
                SELECT 1 FROM outbox o WHERE o.id = json_extract(r.steps, '$[#-1].output.outbox_id')
                  AND o.status IN ('pending', 'in_flight'))
             ORDER BY r.id LIMIT 100"
        )))
        .fetch_all(self.store.pool())
        .await?;
        let mut moved = 0;
        for row in rows {
            // A Whop message step waited for its AI draft: it runs again, with the draft.
            let again = usize::try_from(row.next_step).ok().and_then(|i| row.definition().ok()?.get(i).cloned());
            let again = i64::from(matches!(again, Some(WorkflowStep::SendWhopMessage { .. })));
            let mut steps = row.step_runs()?;
            let Some(step) = steps.last_mut() else { continue };
            let Some(op) = step.output.get("outbox_id").and_then(Value::as_i64) else { continue };
            let state: Option<(String, Option<String>)> =
                sqlx::query_as("SELECT status, last_error FROM outbox WHERE id = ?")
                    .bind(op)
                    .fetch_optional(self.store.pool())
                    .await?;
            let (status, last_error) = state.unwrap_or(("discarded".into(), None));
            let (run_status, next_step, error) = match status.as_str() {
                "done" => {
                    let output: Option<String> = sqlx::query_scalar(
                        "SELECT output FROM ai_result WHERE workflow_run_id = ? ORDER BY id DESC LIMIT 1",
                    )
                    .bind(row.id)
                    .fetch_optional(self.store.pool())
                    .await?;
                    step.status = RunStatus::Succeeded;
                    step.output = output.and_then(|o| serde_json::from_str(&o).ok()).unwrap_or(Value::Null);
                    if again == 1 {
                        step.label = "AI draft for the Whop message".into();
                    }
                    (RunStatus::Queued, row.next_step + 1 - again, None)
                }
                "failed" | "discarded" | "conflict" => {
                    let message = last_error.unwrap_or_else(|| format!("the queued AI run was {status}"));
                    step.status = RunStatus::Failed;
                    step.error = Some(message.clone());
                    (RunStatus::Failed, row.next_step, Some(message))
                }
                _ => continue,
            };
            // Only from `waiting`: another process may have resumed it already.
            let done = sqlx::query(
                "UPDATE workflow_run SET status = ?1, next_step = ?2, steps = ?3, error = ?4,
                    finished_at = CASE WHEN ?1 = 'failed' THEN ?5 END WHERE id = ?6 AND status = 'waiting'",
            )
            .bind(run_status.as_str())
            .bind(next_step)
            .bind(to_json(&steps)?)
            .bind(error)
            .bind(time::format(time::now()))
            .bind(row.id)
            .execute(self.store.pool())
            .await?;
            moved += done.rows_affected();
        }
        Ok(moved)
    }

    async fn save_progress(
        &self,
        id: i64,
        status: RunStatus,
        next_step: i64,
        steps: &[StepRun],
        error: Option<&str>,
    ) -> Result<(), AutomationError> {
        sqlx::query(
            "UPDATE workflow_run SET status = ?1, next_step = ?2, steps = ?3, error = ?4,
                finished_at = CASE WHEN ?1 IN ('succeeded', 'stopped', 'failed') THEN ?5 END WHERE id = ?6",
        )
        .bind(status.as_str())
        .bind(next_step)
        .bind(to_json(&steps)?)
        .bind(error)
        .bind(time::format(time::now()))
        .bind(id)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// Runs a run's remaining steps, saving each step's input, output and error as it goes.
    async fn execute(&self, id: i64) -> Result<(), AutomationError> {
        let row: RunRow =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RUN_COLUMNS} FROM workflow_run WHERE id = ?")))
                .bind(id)
                .fetch_optional(self.store.pool())
                .await?
                .ok_or(AutomationError::UnknownRun(id))?;
        let definition = row.definition()?;
        let mut steps = row.step_runs()?;
        let record = row.record();
        let mut index = row.next_step.max(0) as usize;
        while index < definition.len() {
            let step = &definition[index];
            let input = step_input(step, record);
            let carried = whop_steps::carried_draft(steps.last(), index);
            let outcome = self.step(step, record, id, carried).await;
            let (status, output, error) = match &outcome {
                Ok(StepOutcome::Done(output)) => (RunStatus::Succeeded, output.clone(), None),
                Ok(StepOutcome::Stop(output)) => (RunStatus::Stopped, output.clone(), None),
                Ok(StepOutcome::Waiting(op)) => {
                    let mut waiting = Map::new();
                    waiting.insert("outbox_id".into(), Value::from(*op));
                    (RunStatus::Waiting, Value::Object(waiting), None)
                }
                Err(e) => (RunStatus::Failed, Value::Null, Some(e.to_string())),
            };
            steps.push(StepRun {
                index: index as u32,
                label: step.describe(),
                status,
                input,
                output,
                error: error.clone(),
            });
            let (run_status, next) = match status {
                RunStatus::Succeeded if index + 1 == definition.len() => (RunStatus::Succeeded, index + 1),
                RunStatus::Succeeded => (RunStatus::Running, index + 1),
                other => (other, index),
            };
            self.save_progress(id, run_status, next as i64, &steps, error.as_deref()).await?;
            if run_status != RunStatus::Running {
                tracing::info!(run = id, workflow = %row.workflow_name, status = run_status.as_str(), "workflow run");
                return Ok(());
            }
            index += 1;
        }
        self.save_progress(id, RunStatus::Succeeded, index as i64, &steps, None).await
    }

    /// Runs one step; `carried` is an AI draft a Whop message step made while offline.
    async fn step(
        &self,
        step: &WorkflowStep,
        record: Option<RecordRef>,
        run: i64,
        carried: Option<String>,
    ) -> Result<StepOutcome, AutomationError> {
        let record =
            record.ok_or_else(|| AutomationError::Invalid("this step needs a record; the run has none".into()))?;
        let source = UpdateSource::Workflow;
        let done = |v: Result<Value, serde_json::Error>| {
            v.map(StepOutcome::Done).map_err(|e| AutomationError::Corrupt(e.to_string()))
        };
        match step {
            WorkflowStep::Ai { action, instructions } => {
                match self.ai.run_for_workflow(*action, record, instructions.as_deref(), run).await? {
                    WorkflowAiOutcome::Done(result) => done(serde_json::to_value(&result.output)),
                    WorkflowAiOutcome::Queued(op) => Ok(StepOutcome::Waiting(op)),
                }
            }
            WorkflowStep::Condition { value, op, threshold } => {
                let actual = match value {
                    ConditionValue::LeadScore => match self.ai.latest_output(record, AiAction::ScoreLead).await? {
                        Some(AiOutput::LeadScore { score, .. }) => Some(f64::from(score)),
                        _ => None,
                    },
                    ConditionValue::SentimentScore => match self.ai.latest_output(record, AiAction::Sentiment).await? {
                        Some(AiOutput::Sentiment { score, .. }) => Some(score),
                        _ => None,
                    },
                    ConditionValue::DealAmount => {
                        if record.kind != RecordKind::Deal {
                            return Err(AutomationError::Invalid("a deal amount condition needs a deal".into()));
                        }
                        let deal = self.crm.get_deal(record.id).await?;
                        Some(deal.amount.micros as f64 / 1_000_000.0)
                    }
                };
                let holds = actual.is_some_and(|a| op.holds(a, *threshold));
                let mut output = Map::new();
                output.insert("value".into(), actual.map(Value::from).unwrap_or(Value::Null));
                output.insert("holds".into(), Value::Bool(holds));
                if actual.is_none() {
                    output.insert("note".into(), Value::from(format!("the record has no {} yet", value.label())));
                }
                Ok(if holds {
                    StepOutcome::Done(Value::Object(output))
                } else {
                    StepOutcome::Stop(Value::Object(output))
                })
            }
            WorkflowStep::CreateTask { title, due_in_days } => {
                let title = self.render(title, record).await?;
                let task = self
                    .crm
                    .add_task(
                        NewTask {
                            title,
                            body: Some("Created by a workflow".into()),
                            due_at: due_in_days.map(|d| time::now() + chrono::Duration::days(i64::from(d))),
                            reminder_at: None,
                            targets: vec![record],
                        },
                        source,
                    )
                    .await?;
                let mut output = Map::new();
                output.insert("task_id".into(), Value::from(task.id.to_string()));
                output.insert("title".into(), Value::from(task.title));
                Ok(StepOutcome::Done(Value::Object(output)))
            }
            WorkflowStep::UpdateField { field, value } => {
                let value = self.render(value, record).await?;
                self.update_field(record, field, &value).await?;
                let mut output = Map::new();
                output.insert(field.clone(), Value::from(value));
                Ok(StepOutcome::Done(Value::Object(output)))
            }
            WorkflowStep::AddTag { tag } => {
                let tag = self.crm.tag_record(record, tag.trim(), source).await?;
                let mut output = Map::new();
                output.insert("tag".into(), Value::from(tag.name));
                Ok(StepOutcome::Done(Value::Object(output)))
            }
            WorkflowStep::MoveStage { stage } => {
                if record.kind != RecordKind::Deal {
                    return Err(AutomationError::Invalid(format!(
                        "only deals move between stages, not a {}",
                        record.kind
                    )));
                }
                let deal = self
                    .crm
                    .move_deal_stage(
                        MoveDeal { deal_id: record.id, stage: stage.trim().to_string(), position: None },
                        source,
                    )
                    .await?;
                let mut output = Map::new();
                output.insert("stage".into(), Value::from(deal.stage_name));
                Ok(StepOutcome::Done(Value::Object(output)))
            }
            WorkflowStep::SendContract { template, provider } => {
                if record.kind != RecordKind::Deal {
                    return Err(AutomationError::Invalid(format!(
                        "contracts are sent for deals, not a {}",
                        record.kind
                    )));
                }
                let deal = self.crm.get_deal(record.id).await?;
                let contact = match deal.contact_id {
                    Some(id) => Some(self.crm.get_person(id).await?),
                    None => None,
                };
                let Some((name, Some(email))) = contact.map(|p| (p.full_name(), p.email.clone())) else {
                    return Err(AutomationError::Invalid(
                        "the deal has no contact with an email to sign the contract".into(),
                    ));
                };
                let template = self.esign.find_template(template).await?;
                let request = dealdesk_model::contract::SendContract {
                    deal_id: deal.id,
                    template_id: template.id,
                    provider: *provider,
                    signers: vec![dealdesk_model::contract::SignerInput { name, email }],
                    title: None,
                };
                // Queued in the outbox: it goes out now, or when the network is back.
                let contract = self.esign.send(&request, source).await?;
                let mut output = Map::new();
                output.insert("contract".into(), Value::from(contract.id.to_string()));
                output.insert("status".into(), Value::from(contract.status.as_str()));
                Ok(StepOutcome::Done(Value::Object(output)))
            }
            WorkflowStep::RetryPayment => self.retry_payment(record).await,
            WorkflowStep::SendWhopMessage { text, ai_draft, hold_for_approval } => {
                self.send_whop_message(record, (text, *ai_draft, *hold_for_approval), run, carried).await
            }
        }
    }

    /// Fills `{{merge.fields}}` of a task title or field value from the record (like prompts).
    async fn render(&self, text: &str, record: RecordRef) -> Result<String, AutomationError> {
        if !text.contains("{{") {
            return Ok(text.to_string());
        }
        let context = self.ai.context(record, None).await?;
        Ok(dealdesk_ai::prompt::render(text, &context).text)
    }

    /// Sets one field from text, through the normal edit path (so it is validated and logged).
    async fn update_field(&self, record: RecordRef, field: &str, value: &str) -> Result<(), AutomationError> {
        let patch = patch_json(field, value);
        let source = UpdateSource::Workflow;
        let unknown =
            || AutomationError::Invalid(format!("a {} has no field {field:?} a workflow can set", record.kind));
        let parsed = |patch: &Value| patch.clone();
        match record.kind {
            RecordKind::Person => {
                let patch: PersonPatch = typed_patch(parsed(&patch), field, value).ok_or_else(unknown)?;
                self.crm.update_person(record.id, patch, source).await?;
            }
            RecordKind::Company => {
                let patch: CompanyPatch = typed_patch(parsed(&patch), field, value).ok_or_else(unknown)?;
                self.crm.update_company(record.id, patch, source).await?;
            }
            RecordKind::Deal => {
                let patch: DealPatch = typed_patch(parsed(&patch), field, value).ok_or_else(unknown)?;
                self.crm.update_deal(record.id, patch, source).await?;
            }
            other => return Err(AutomationError::Invalid(format!("workflows cannot set fields of a {other}"))),
        }
        Ok(())
    }

    /// The engine in the desktop app: a pass whenever records or Whop data change, and every 15 s.
    pub async fn run_engine(self: Arc<Self>) {
        if let Err(error) = self.recover().await {
            tracing::warn!(%error, "automation: cannot resume interrupted runs");
        }
        let mut events = self.events.subscribe();
        tokio::select! {
            _ = changed_here(&mut events) => {}
            _ = self.wake.notified() => {}
            _ = tokio::time::sleep(START_GRACE) => {}
        }
        loop {
            if self.store.pool().is_closed() {
                return;
            }
            match self.process().await {
                Ok(0) => {}
                Ok(moved) => tracing::debug!(moved, "automation: pass"),
                Err(AutomationError::Store(sqlx::Error::PoolClosed)) => return,
                Err(error) => tracing::warn!(%error, "automation: pass failed"),
            }
            tokio::select! {
                _ = changed_here(&mut events) => {}
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }
}

/// Returns at the next event that can start a workflow: a record changed by anything but a
/// workflow, a Whop sync, an AI result (or events missed). Never returns once the bus is closed.
async fn changed_here(events: &mut tokio::sync::broadcast::Receiver<CoreEvent>) {
    loop {
        match events.recv().await {
            Ok(CoreEvent::RecordChanged { source, .. } | CoreEvent::RecordsChanged { source, .. })
                if !matches!(source, UpdateSource::Workflow | UpdateSource::Team) =>
            {
                return;
            }
            Ok(CoreEvent::WhopChanged | CoreEvent::AiChanged { .. }) => return,
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

async fn read_setting<T: serde::de::DeserializeOwned>(
    conn: &mut sqlx::SqliteConnection,
    key: &str,
) -> Result<Option<T>, AutomationError> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM setting WHERE key = ?").bind(key).fetch_optional(&mut *conn).await?;
    Ok(value.and_then(|v| serde_json::from_str(&v).ok()))
}

/// The events after `cursor` (at most a batch of each source) and the cursor past them. Writes by
/// workflows, CSV imports and the Whop sync are skipped: the sync's changes fire the Whop
/// triggers, through `automation_event`. So are changes pulled from a team hub: the desktop that
/// made them ran their workflows.
/// Whether Whop events fire workflows here: always, unless this desktop is in a team workspace
/// whose Whop automations another desktop runs (`WHOP_DESKTOP_SETTING`, docs/team.md): two desktops
/// connected to one business would otherwise both retry a payment or message a customer.
async fn runs_whop_automations(conn: &mut sqlx::SqliteConnection) -> Result<bool, AutomationError> {
    // Not (or no longer) in a workspace, none chosen (or released: ""), or this desktop chosen.
    Ok(sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM team_link WHERE left_at IS NULL) \
             OR coalesce((SELECT value FROM setting WHERE key = ?1) \
                         IN ((SELECT value FROM setting WHERE key = 'install_id'), '\"\"'), 1)",
    )
    .bind(dealdesk_model::team::WHOP_DESKTOP_SETTING)
    .fetch_one(&mut *conn)
    .await?)
}

async fn read_events(
    conn: &mut sqlx::SqliteConnection,
    cursor: Cursor,
    whop_here: bool,
) -> Result<(Vec<Event>, Cursor), AutomationError> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT seq, at, record_kind, record_id, op, field, new_value, source FROM change_log
         WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(cursor.change_seq)
    .bind(BATCH)
    .fetch_all(&mut *conn)
    .await?;
    let mut next = cursor;
    let mut events = Vec::new();
    let mut stage_names: Option<std::collections::HashMap<String, String>> = None;
    for (seq, at, kind, record_id, op, field, new_value, source) in rows {
        next.change_seq = seq;
        if matches!(source.as_str(), "workflow" | "import" | "sync" | "team") {
            continue;
        }
        let (Some(kind), Ok(id)) = (RecordKind::parse(&kind), Uuid::parse_str(&record_id)) else { continue };
        let what = match (op.as_str(), field.as_deref()) {
            ("create", _) => EventKind::Created,
            ("update", Some("stage_id")) if kind == RecordKind::Deal => {
                if stage_names.is_none() {
                    let names: Vec<(String, String)> =
                        sqlx::query_as("SELECT id, name FROM stage").fetch_all(&mut *conn).await?;
                    stage_names = Some(names.into_iter().collect());
                }
                let stage_id: Option<String> = new_value.as_deref().and_then(|v| serde_json::from_str(v).ok());
                let stage = stage_id
                    .and_then(|id| stage_names.as_ref().and_then(|names| names.get(&id).cloned()))
                    .unwrap_or_default();
                EventKind::StageChanged { stage }
            }
            ("update", Some(field)) => EventKind::Updated { field: field.to_string() },
            _ => continue,
        };
        // One edit writes one row per field, all with the edit's time: one event.
        let key = match &what {
            EventKind::Created => format!("c{seq}"),
            _ => format!("u{kind}:{id}:{at}"),
        };
        events.push(Event { key, at, record: RecordRef { kind, id }, what });
    }
    let whop: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, at, kind, record_kind, record_id FROM automation_event WHERE id > ? ORDER BY id LIMIT ?",
    )
    .bind(cursor.event_id)
    .bind(BATCH)
    .fetch_all(&mut *conn)
    .await?;
    for (id, at, kind, record_kind, record_id) in whop {
        next.event_id = id;
        let Some(what) = EVENT_KINDS.iter().find(|k| **k == kind).map(|k| EventKind::Whop(k)) else { continue };
        // Raised from Whop data (the sync, the churn desk): another desktop runs these.
        if !whop_here && kind != "contract_completed" {
            continue;
        }
        let (Some(kind), Ok(record)) = (RecordKind::parse(&record_kind), Uuid::parse_str(&record_id)) else {
            continue;
        };
        events.push(Event { key: format!("w{id}"), at, record: RecordRef { kind, id: record }, what });
    }
    Ok((events, next))
}

/// `{field: value}`, or `{custom: {key: value}}` for `custom.key`.
fn patch_json(field: &str, value: &str) -> Value {
    let mut patch = Map::new();
    match field.strip_prefix("custom.") {
        Some(key) => {
            let mut custom = Map::new();
            custom.insert(key.to_string(), Value::from(value));
            patch.insert("custom".into(), Value::Object(custom));
        }
        None => {
            patch.insert(field.to_string(), Value::from(value));
        }
    }
    Value::Object(patch)
}

/// Reads `{field: value}` as a typed patch, trying the text as text, then as a number or a
/// boolean; `None` when no reading sets the field (an unknown field).
fn typed_patch<T: serde::de::DeserializeOwned + serde::Serialize>(patch: Value, field: &str, value: &str) -> Option<T> {
    let sets_field = |typed: &T| {
        let back = serde_json::to_value(typed).ok()?;
        let set = match field.strip_prefix("custom.") {
            Some(key) => back.get("custom").and_then(|c| c.get(key)).is_some_and(|v| !v.is_null()),
            None => back.get(field).is_some_and(|v| !v.is_null()),
        };
        Some(set)
    };
    let candidates = [
        Some(patch.clone()),
        value.trim().parse::<i64>().ok().map(|n| replace_value(&patch, Value::from(n))),
        value.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| replace_value(&patch, Value::from(f))),
        value.trim().parse::<bool>().ok().map(|b| replace_value(&patch, Value::Bool(b))),
    ];
    candidates.into_iter().flatten().find_map(|candidate| {
        let typed: T = serde_json::from_value(candidate).ok()?;
        sets_field(&typed)?.then_some(typed)
    })
}

fn replace_value(patch: &Value, value: Value) -> Value {
    let mut patch = patch.clone();
    if let Some(object) = patch.as_object_mut() {
        for (_, slot) in object.iter_mut() {
            match slot {
                Value::Object(custom) => {
                    for (_, v) in custom.iter_mut() {
                        *v = value.clone();
                    }
                }
                other => *other = value.clone(),
            }
        }
    }
    patch
}

/// What a step was given, for the run history.
fn step_input(step: &WorkflowStep, record: Option<RecordRef>) -> Value {
    let mut input = match serde_json::to_value(step) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Some(record) = record {
        input.insert("record".into(), Value::from(format!("{}:{}", record.kind, record.id)));
    }
    Value::Object(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(what: EventKind, kind: RecordKind) -> Event {
        Event { key: "c1".into(), at: "2026-01-01".into(), record: RecordRef { kind, id: Uuid::nil() }, what }
    }

    #[test]
    fn triggers_match_their_events_only() {
        let created = event(EventKind::Created, RecordKind::Person);
        assert!(matches(&Trigger::RecordCreated { kind: RecordKind::Person }, &created));
        assert!(!matches(&Trigger::RecordCreated { kind: RecordKind::Deal }, &created));
        let email = event(EventKind::Updated { field: "email".into() }, RecordKind::Person);
        assert!(matches(&Trigger::RecordUpdated { kind: RecordKind::Person, field: None }, &email));
        assert!(matches(&Trigger::RecordUpdated { kind: RecordKind::Person, field: Some("email".into()) }, &email));
        assert!(!matches(&Trigger::RecordUpdated { kind: RecordKind::Person, field: Some("city".into()) }, &email));
        let moved = event(EventKind::StageChanged { stage: "Won".into() }, RecordKind::Deal);
        assert!(matches(&Trigger::DealStageChanged { stage: Some("won".into()) }, &moved));
        assert!(!matches(&Trigger::DealStageChanged { stage: Some("Lost".into()) }, &moved));
        assert!(matches(&Trigger::DealStageChanged { stage: None }, &moved));
        let paid = event(EventKind::Whop("whop_payment_succeeded"), RecordKind::Person);
        assert!(matches(&Trigger::WhopPaymentSucceeded, &paid));
        assert!(!matches(&Trigger::WhopMembershipActivated, &paid));
        assert!(!matches(&Trigger::Manual, &paid));
        for (trigger, kind) in [
            (Trigger::WhopPaymentFailed, "whop_payment_failed"),
            (Trigger::WhopMembershipPastDue, "whop_membership_past_due"),
            (Trigger::WhopTrialEnding, "whop_trial_ending"),
            (Trigger::CustomerAtRisk, "customer_at_risk"),
            (Trigger::WhopMembershipCancelled, "whop_membership_cancelled"),
        ] {
            assert!(EVENT_KINDS.contains(&kind), "{kind} is read from automation_event");
            let event = event(EventKind::Whop(kind), RecordKind::Person);
            assert!(matches(&trigger, &event), "{trigger:?} on {kind}");
            assert!(!matches(&Trigger::WhopPaymentSucceeded, &event), "{kind}");
            assert!(!matches(&trigger, &paid), "{trigger:?} on a payment that succeeded");
        }
        assert_eq!(Trigger::WhopMembershipCancelled.describe(), "Whop membership canceled");
        assert_eq!(Trigger::WhopTrialEnding.describe(), "Whop trial ending (within 3 days)");
    }

    #[test]
    fn workflows_are_validated_with_specific_messages() {
        let good = SaveWorkflow {
            id: None,
            name: "Score".into(),
            enabled: true,
            trigger: Trigger::Manual,
            steps: vec![WorkflowStep::AddTag { tag: "hot".into() }],
        };
        assert!(validate(&good).is_ok());
        let mut bad = good.clone();
        bad.steps.clear();
        assert!(validate(&bad).unwrap_err().to_string().contains("1 to 20 steps"));
        let mut bad = good.clone();
        bad.steps =
            vec![WorkflowStep::Condition { value: ConditionValue::LeadScore, op: CompareOp::Gte, threshold: 170.0 }];
        assert!(validate(&bad).unwrap_err().to_string().contains("Step 1: a lead score threshold"));
        let mut bad = good.clone();
        bad.trigger = Trigger::Schedule { every_minutes: 1, kind: RecordKind::Person };
        assert!(validate(&bad).is_err());
        let mut bad = good;
        bad.steps = vec![WorkflowStep::UpdateField { field: "Robert'); DROP".into(), value: "x".into() }];
        assert!(validate(&bad).is_err());
    }

    #[test]
    fn field_values_become_typed_patches() {
        let patch: PersonPatch = typed_patch(patch_json("city", "Paris"), "city", "Paris").unwrap();
        assert_eq!(patch.city.as_deref(), Some("Paris"));
        let patch: CompanyPatch = typed_patch(patch_json("employees", "42"), "employees", "42").unwrap();
        assert_eq!(patch.employees, Some(Some(42)));
        let patch: PersonPatch = typed_patch(patch_json("custom.tier", "gold"), "custom.tier", "gold").unwrap();
        assert_eq!(patch.custom.get("tier"), Some(&Value::from("gold")));
        assert!(typed_patch::<PersonPatch>(patch_json("nope", "x"), "nope", "x").is_none());
    }
}
