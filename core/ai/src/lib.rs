//! AI automations: providers behind one [`provider::AiProvider`] trait (OpenAI-compatible Chat
//! Completions and Anthropic Messages), the four actions with validated structured answers,
//! prompt templates, the usage and cost log with a monthly budget, and offline runs through the
//! outbox. See docs/ai-and-automations.md.

pub mod actions;
pub mod anthropic;
pub mod client;
pub mod config;
mod error;
pub mod openai;
mod outbox_target;
pub mod prompt;
pub mod provider;
pub mod templates;
pub mod usage;

pub use error::AiError;

use client::AiClient;
use config::AiEnv;
use dealdesk_crm::Crm;
use dealdesk_model::ai::{
    AiAction, AiCallOutcome, AiCallView, AiConnectionTest, AiInsights, AiOutput, AiProviderKind, AiResult,
    AiRunOutcome, AiRunRequest, AiSettings, AiStatus, AiUsageReport, MergeField, PromptPreview, PromptPreviewRequest,
    PromptTemplate, SaveAiSettings, SavePromptTemplate,
};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::outbox::OutboxStatus;
use dealdesk_model::{NoteQuery, RecordKind, RecordRef, UpdateSource};
use dealdesk_net::secrets::SecretStore;
use dealdesk_outbox::{NewOperation, OutboxHandle};
use dealdesk_store::EventBus;
use dealdesk_store::{Store, time};
use dealdesk_whop::Whop;
use prompt::PromptContext;
use provider::{AiProvider, ModelCall};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use usage::CallRecord;
use uuid::Uuid;

/// The outbox target of queued AI runs.
pub const TARGET: &str = "ai";

/// A provider with its client, built from the effective settings and key; rebuilt when they change.
struct Engine {
    settings: AiSettings,
    api_key: Option<String>,
    provider: Box<dyn AiProvider>,
    client: AiClient,
}

/// What one call asked and got, before it is stored.
pub struct Executed {
    pub output: AiOutput,
    pub model: String,
    pub call: AiCallView,
}

pub struct Ai {
    store: Store,
    events: EventBus,
    crm: Crm,
    whop: Arc<Whop>,
    secrets: Arc<dyn SecretStore>,
    /// Keyring entries are per data folder: `ai-api-key:<install id>:<provider>`.
    key_prefix: String,
    http: dealdesk_net::LazyHttp,
    env: AiEnv,
    engine: Mutex<Option<Arc<Engine>>>,
    /// Where runs wait while the provider cannot be reached.
    outbox: OutboxHandle,
}

/// What [`Ai`] is built from (the app's services, where the key is kept, the environment).
pub struct AiParts {
    pub store: Store,
    pub events: EventBus,
    pub crm: Crm,
    pub whop: Arc<Whop>,
    pub secrets: Arc<dyn SecretStore>,
    /// Names the keyring entries of this data folder.
    pub install_id: String,
    pub env: AiEnv,
    /// Where runs wait while the provider cannot be reached.
    pub outbox: OutboxHandle,
}

/// Records AI actions run on.
fn check_kind(record: RecordRef) -> Result<(), AiError> {
    match record.kind {
        RecordKind::Person | RecordKind::Company | RecordKind::Deal => Ok(()),
        other => Err(AiError::Invalid(format!("AI actions run on people, companies and deals, not on a {other}"))),
    }
}

impl Ai {
    pub fn new(parts: AiParts) -> Ai {
        let AiParts { store, events, crm, whop, secrets, install_id, env, outbox } = parts;
        let http = whop.http().clone();
        Ai {
            store,
            events,
            crm,
            whop,
            secrets,
            key_prefix: format!("ai-api-key:{install_id}"),
            http,
            env,
            engine: Mutex::new(None),
            outbox,
        }
    }

    /// Adds the shipped prompt templates (idempotent).
    pub async fn prepare(&self) -> Result<(), AiError> {
        templates::seed(self.store.pool()).await
    }

    /// A key belongs to a provider at one server (scheme, host and port): pointing the base URL
    /// at another server (a local llama.cpp, a proxy) never sends it the key saved for OpenAI.
    fn key_entry(&self, settings: &AiSettings) -> String {
        let origin = url::Url::parse(&settings.base_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| settings.base_url.clone());
        format!("{}:{}:{origin}", self.key_prefix, settings.provider.as_str())
    }

    pub async fn settings(&self) -> Result<AiSettings, AiError> {
        Ok(self.store.setting(config::SETTING_KEY).await?.unwrap_or_default())
    }

    /// The settings calls use: saved settings with `DEALDESK_AI_*` applied.
    pub async fn effective_settings(&self) -> Result<AiSettings, AiError> {
        Ok(self.env.apply(&self.settings().await?))
    }

    /// The key for the effective settings: `DEALDESK_AI_API_KEY`, else the keyring's.
    fn api_key(&self, effective: &AiSettings) -> Result<Option<String>, AiError> {
        if let Some(key) = &self.env.api_key {
            return Ok(Some(key.clone()));
        }
        Ok(self.secrets.get(&self.key_entry(effective))?)
    }

    pub async fn status(&self) -> Result<AiStatus, AiError> {
        let settings = self.settings().await?;
        let effective = self.env.apply(&settings);
        let month_cost_micros = usage::month_cost(self.store.pool()).await?;
        Ok(AiStatus {
            has_api_key: self.api_key(&effective)?.is_some(),
            over_budget: effective.monthly_budget_micros.is_some_and(|b| month_cost_micros >= b),
            env_overrides: self.env.overrides(),
            disabled_by_env: self.env.disabled,
            month_cost_micros,
            settings,
            effective,
        })
    }

    pub async fn save_settings(&self, save: SaveAiSettings) -> Result<AiStatus, AiError> {
        let settings = config::validate(&save.settings)?;
        // The key belongs to the provider and server in force (the environment may name others).
        let entry = self.key_entry(&self.env.apply(&settings));
        if save.clear_api_key {
            self.secrets.delete(&entry)?;
        }
        if let Some(key) = save.api_key.as_deref().filter(|k| !k.trim().is_empty()) {
            let key = config::checked_api_key(key).map_err(|e| AiError::Invalid(format!("{e}: paste it again")))?;
            self.secrets.set(&entry, &key)?;
        }
        self.store.set_setting(config::SETTING_KEY, &settings).await?;
        self.lock_engine().take();
        self.events.emit(CoreEvent::AiChanged { record: None });
        self.status().await
    }

    fn lock_engine(&self) -> std::sync::MutexGuard<'_, Option<Arc<Engine>>> {
        // The guarded value is a cache: a panic elsewhere cannot leave it half-written.
        self.engine.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The provider and client for the effective settings, or why AI cannot run.
    async fn engine(&self) -> Result<Arc<Engine>, AiError> {
        let settings = self.effective_settings().await?;
        if !settings.enabled {
            return Err(AiError::Disabled);
        }
        let api_key = self.api_key(&settings)?;
        if let Some(engine) = self.lock_engine().as_ref()
            && engine.settings == settings
            && engine.api_key == api_key
        {
            return Ok(engine.clone());
        }
        let provider: Box<dyn AiProvider> = match settings.provider {
            AiProviderKind::OpenAi => {
                // Local servers (Ollama, llama.cpp) take no key; OpenAI itself needs one.
                if api_key.is_none() && settings.base_url.starts_with("https://") {
                    return Err(AiError::NoApiKey { provider: "OpenAI" });
                }
                Box::new(openai::OpenAiProvider::new(&settings.base_url, api_key.clone()))
            }
            AiProviderKind::Anthropic => {
                let key = api_key.clone().ok_or(AiError::NoApiKey { provider: "Anthropic" })?;
                Box::new(anthropic::AnthropicProvider::new(&settings.base_url, key))
            }
        };
        let client = AiClient::new(
            self.http.clone(),
            settings.max_requests_per_minute,
            Duration::from_secs(u64::from(settings.timeout_secs)),
        );
        let engine = Arc::new(Engine { settings, api_key, provider, client });
        *self.lock_engine() = Some(engine.clone());
        Ok(engine)
    }

    /// Sends a tiny request with the effective settings.
    pub async fn test_connection(&self) -> Result<AiConnectionTest, AiError> {
        let engine = self.engine().await?;
        let call = ModelCall {
            model: engine.settings.model.clone(),
            system: String::new(),
            user: "Reply with the single word OK.".into(),
            schema: None,
            max_tokens: 16,
        };
        let started = Instant::now();
        let answer = engine.client.complete(engine.provider.as_ref(), &call).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let mut record = CallRecord::new(&engine.settings, None, None, None, latency_ms, answer.as_ref().ok());
        let result = match &answer {
            Ok(_) => AiConnectionTest {
                ok: true,
                provider: engine.settings.provider,
                model: engine.settings.model.clone(),
                latency_ms,
                message: format!("Connected: {} answered in {latency_ms} ms", engine.settings.model),
            },
            Err(error) => {
                record.outcome = AiCallOutcome::Error;
                record.error = Some(error.to_string());
                AiConnectionTest {
                    ok: false,
                    provider: engine.settings.provider,
                    model: engine.settings.model.clone(),
                    latency_ms,
                    message: error.to_string(),
                }
            }
        };
        usage::log_call(self.store.pool(), &record).await?;
        Ok(result)
    }

    /// Gathers what a record contributes to a prompt.
    pub async fn context(&self, record: RecordRef, instructions: Option<&str>) -> Result<PromptContext, AiError> {
        check_kind(record)?;
        let mut context = PromptContext::default();
        context.set("record.kind", record.kind.as_str(), 20);
        context.set("today", &time::now().format("%Y-%m-%d").to_string(), 20);
        context.set("instructions", instructions.unwrap_or_default(), prompt::MAX_FIELD);
        let to_value = |v: Result<Value, serde_json::Error>| v.map_err(|e| AiError::Decode(e.to_string()));
        let mut related = Vec::new();
        let mut person_for_whop = None;
        let lines = match record.kind {
            RecordKind::Person => {
                let person = self.crm.get_person(record.id).await?;
                person_for_whop = Some(person.id);
                if let Some(company_id) = person.company_id
                    && let Ok(company) = self.crm.get_company(company_id).await
                {
                    let lines = context.add_record("company", &to_value(serde_json::to_value(&company))?);
                    related.push(format!("company:\n{lines}"));
                }
                context.add_record("person", &to_value(serde_json::to_value(&person))?)
            }
            RecordKind::Company => {
                let company = self.crm.get_company(record.id).await?;
                context.add_record("company", &to_value(serde_json::to_value(&company))?)
            }
            _ => {
                let deal = self.crm.get_deal(record.id).await?;
                if let Some(contact) = deal.contact_id
                    && let Ok(person) = self.crm.get_person(contact).await
                {
                    person_for_whop = Some(person.id);
                    let lines = context.add_record("person", &to_value(serde_json::to_value(&person))?);
                    related.push(format!("contact:\n{lines}"));
                }
                if let Some(company_id) = deal.company_id
                    && let Ok(company) = self.crm.get_company(company_id).await
                {
                    let lines = context.add_record("company", &to_value(serde_json::to_value(&company))?);
                    related.push(format!("company:\n{lines}"));
                }
                context.add_record("deal", &to_value(serde_json::to_value(&deal))?)
            }
        };
        // `add_record` quoted each value already; the blocks are joined lines of quoted values.
        context.values.insert("record".into(), lines);
        context.values.insert("related".into(), prompt::bounded_lines(&related, prompt::MAX_BLOCK));

        let mut whop_lines = Vec::new();
        if let Some(person) = person_for_whop
            && let Ok(summary) = self
                .whop
                .person_summary(dealdesk_model::whop::WhopPersonQuery { person_id: person, business_id: None })
                .await
        {
            for membership in summary.memberships.iter().take(10) {
                whop_lines.push(prompt::quote(
                    &format!(
                        "membership {} {}{}",
                        membership.product.as_deref().unwrap_or("product"),
                        membership.status,
                        if membership.cancel_at_period_end { " (cancels at period end)" } else { "" }
                    ),
                    300,
                ));
            }
            if summary.payment_count > 0 {
                whop_lines.push(format!("payments: {}", summary.payment_count));
            }
            if !summary.lifetime_value.is_empty() {
                whop_lines.push(prompt::quote(&format!("lifetime value: {}", summary.lifetime_value.join(", ")), 300));
            }
        }
        context.values.insert("whop".into(), prompt::bounded_lines(&whop_lines, prompt::MAX_BLOCK));

        let mut events = self.crm.timeline(record).await?;
        if let Ok(whop_events) = self.whop.timeline_events(record, 50).await {
            events.extend(whop_events);
            events.sort_by(|a, b| b.at.cmp(&a.at).then(b.seq.cmp(&a.seq)));
        }
        let timeline: Vec<String> = events.iter().take(prompt::MAX_TIMELINE_LINES).map(prompt::timeline_line).collect();
        context.values.insert("timeline".into(), timeline.join("\n"));

        let notes =
            self.crm.list_notes(&NoteQuery { text: None, record: Some(record), limit: Some(10), offset: None }).await?;
        let mut notes_text = String::new();
        for note in &notes.items {
            let quoted = prompt::quote(&note.body, prompt::MAX_FIELD);
            if notes_text.chars().count() + quoted.chars().count() > prompt::MAX_NOTES {
                break;
            }
            if !notes_text.is_empty() {
                notes_text.push_str("\n---\n");
            }
            notes_text.push_str(&format!("{}: {quoted}", note.meta.created_at.format("%Y-%m-%d")));
        }
        context.values.insert("notes".into(), notes_text);
        Ok(context)
    }

    /// Renders a template on a record (the editor's live preview).
    pub async fn preview(&self, request: &PromptPreviewRequest) -> Result<PromptPreview, AiError> {
        let context = self.context(request.record, request.instructions.as_deref()).await?;
        let system = prompt::render(&request.system, &context);
        let user = prompt::render(&request.user, &context);
        let mut unknown = system.unknown;
        unknown.extend(user.unknown.into_iter().filter(|u| !unknown.contains(u)).collect::<Vec<_>>());
        let chars = system.text.chars().count() + user.text.chars().count();
        Ok(PromptPreview {
            system: system.text,
            user: user.text,
            unknown_fields: unknown,
            estimated_tokens: chars.div_ceil(4) as u64,
        })
    }

    pub async fn merge_fields(&self, kind: RecordKind) -> Result<Vec<MergeField>, AiError> {
        let mut custom = Vec::new();
        for k in [RecordKind::Person, RecordKind::Company, RecordKind::Deal] {
            for def in self.crm.custom_fields(k).await? {
                custom.push((k, def.key, def.label));
            }
        }
        Ok(prompt::merge_fields(kind, &custom))
    }

    /// Runs an action now. When the provider cannot be reached, the run waits in the outbox
    /// (`Queued`) and its result appears on the record later. Past the monthly budget it asks
    /// first (`OverBudget`) unless the request says the user agreed.
    pub async fn run(&self, request: &AiRunRequest, source: UpdateSource) -> Result<AiRunOutcome, AiError> {
        check_kind(request.record)?;
        let instructions = request.instructions.as_deref().map(str::trim).filter(|i| !i.is_empty());
        if instructions.is_some_and(|i| i.chars().count() > prompt::MAX_FIELD) {
            return Err(AiError::Invalid(format!("Instructions can have at most {} characters", prompt::MAX_FIELD)));
        }
        let engine = self.engine().await?;
        if !request.allow_over_budget
            && let Some(budget) = engine.settings.monthly_budget_micros
        {
            let spent = usage::month_cost(self.store.pool()).await?;
            if spent >= budget {
                return Ok(AiRunOutcome::OverBudget { month_cost_micros: spent, budget_micros: budget });
            }
        }
        match self.execute(&engine, request.action, request.record, instructions, None).await {
            Ok(executed) => {
                let result = self.store_result(request.record, &executed, None).await?;
                Ok(AiRunOutcome::Done { result: Box::new(result), call: Box::new(executed.call) })
            }
            Err(error) if error.is_offline() => {
                let operation = self.enqueue(request.action, request.record, instructions, None, source).await?;
                Ok(AiRunOutcome::Queued { operation })
            }
            Err(error) => Err(error),
        }
    }

    /// Builds the prompt, calls the model, validates the answer and logs the call (whatever the
    /// outcome). Nothing is stored on the record here.
    async fn execute(
        &self,
        engine: &Engine,
        action: AiAction,
        record: RecordRef,
        instructions: Option<&str>,
        workflow_run: Option<i64>,
    ) -> Result<Executed, AiError> {
        let template = templates::active(self.store.pool(), action).await?;
        let context = self.context(record, instructions).await?;
        let call = ModelCall {
            model: engine.settings.model.clone(),
            system: prompt::render(&template.system, &context).text,
            user: prompt::render(&template.user, &context).text,
            schema: actions::output_schema(action),
            max_tokens: engine.settings.max_output_tokens,
        };
        let length = call.system.chars().count() + call.user.chars().count();
        if length > prompt::MAX_PROMPT {
            return Err(AiError::Invalid(format!(
                "the prompt would be {length} characters (at most {}): shorten the \"{}\" template",
                prompt::MAX_PROMPT,
                template.name
            )));
        }
        let started = Instant::now();
        let answer = engine.client.complete(engine.provider.as_ref(), &call).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let mut log = CallRecord::new(
            &engine.settings,
            Some(action),
            Some(record),
            workflow_run,
            latency_ms,
            answer.as_ref().ok(),
        );
        let outcome = answer.and_then(|answer| actions::validate(action, &answer.content, answer.truncated));
        if let Err(error) = &outcome {
            log.outcome = if matches!(error, AiError::InvalidOutput(_)) {
                AiCallOutcome::InvalidOutput
            } else {
                AiCallOutcome::Error
            };
            log.error = Some(error.to_string());
        }
        // A call that never reached the provider (offline) costs nothing and is not a call.
        if outcome.as_ref().is_err_and(AiError::is_offline) {
            return Err(outcome.err().unwrap_or(AiError::Disabled));
        }
        let id = usage::log_call(self.store.pool(), &log).await?;
        self.events.emit(CoreEvent::AiChanged { record: None });
        let output = outcome?;
        // Never the answer itself at info level: it is customer data.
        tracing::info!(action = action.as_str(), call = id, "ai: call done");
        Ok(Executed {
            output,
            model: log.model.clone(),
            call: AiCallView {
                id,
                at: time::format(time::now()),
                provider: log.provider,
                model: log.model,
                action,
                record: Some(record),
                tokens_in: log.tokens_in,
                tokens_out: log.tokens_out,
                cost_micros: log.cost_micros,
                latency_ms,
                outcome: AiCallOutcome::Ok,
                error: None,
            },
        })
    }

    async fn store_result(
        &self,
        record: RecordRef,
        executed: &Executed,
        workflow_run: Option<i64>,
    ) -> Result<AiResult, AiError> {
        let mut conn = self.store.pool().acquire().await?;
        let result =
            insert_result(&mut conn, record, &executed.output, &executed.model, Some(executed.call.id), workflow_run)
                .await?;
        self.events.emit(CoreEvent::AiChanged { record: Some(record) });
        Ok(result)
    }

    /// Queues a run in the outbox (it goes out when the provider can be reached).
    async fn enqueue(
        &self,
        action: AiAction,
        record: RecordRef,
        instructions: Option<&str>,
        workflow_run: Option<i64>,
        source: UpdateSource,
    ) -> Result<dealdesk_model::outbox::PendingOperation, AiError> {
        let payload = QueuedRun { action, record, instructions: instructions.map(str::to_string), workflow_run };
        let op = NewOperation {
            target: TARGET,
            action: action.as_str(),
            record_kind: record.kind.as_str(),
            record_id: record.id.to_string(),
            payload: serde_json::to_value(&payload).map_err(|e| AiError::Decode(e.to_string()))?,
            optimistic: Map::new(),
            base: Map::new(),
            summary: format!("AI: {}", action.label()),
        };
        let mut tx = self.store.begin_write().await?;
        let id = self.outbox.enqueue(&mut tx, &op, source).await?;
        let row = dealdesk_outbox::queue::get(&mut tx, id).await?;
        tx.commit().await?;
        tracing::info!(id, action = action.as_str(), "ai: the provider is unreachable; the run waits in the outbox");
        self.outbox.poke();
        self.events.emit(CoreEvent::AiChanged { record: Some(record) });
        Ok(row.pending_operation()?)
    }

    /// Runs a queued operation for the outbox worker: the model's validated answer, ready to be
    /// stored in the worker's settling transaction.
    pub async fn run_queued(&self, payload: &Value) -> Result<(QueuedRun, Executed), AiError> {
        let run: QueuedRun = serde_json::from_value(payload.clone())
            .map_err(|e| AiError::Invalid(format!("a queued AI run is unreadable: {e}")))?;
        let engine = self.engine().await?;
        if run.workflow_run.is_some() {
            self.check_workflow_budget(&engine).await?;
        }
        let executed =
            self.execute(&engine, run.action, run.record, run.instructions.as_deref(), run.workflow_run).await?;
        Ok((run, executed))
    }

    /// Runs an action for a workflow step: no budget prompt (past the budget the step fails), and
    /// offline it waits in the outbox and the run waits with it.
    pub async fn run_for_workflow(
        &self,
        action: AiAction,
        record: RecordRef,
        instructions: Option<&str>,
        workflow_run: i64,
    ) -> Result<WorkflowAiOutcome, AiError> {
        check_kind(record)?;
        let engine = self.engine().await?;
        self.check_workflow_budget(&engine).await?;
        match self.execute(&engine, action, record, instructions, Some(workflow_run)).await {
            Ok(executed) => {
                Ok(WorkflowAiOutcome::Done(self.store_result(record, &executed, Some(workflow_run)).await?))
            }
            Err(error) if error.is_offline() => {
                let operation =
                    self.enqueue(action, record, instructions, Some(workflow_run), UpdateSource::Workflow).await?;
                Ok(WorkflowAiOutcome::Queued(operation.outbox_id))
            }
            Err(error) => Err(error),
        }
    }

    /// Workflows do not ask: past the monthly budget their AI steps fail.
    async fn check_workflow_budget(&self, engine: &Engine) -> Result<(), AiError> {
        if let Some(budget) = engine.settings.monthly_budget_micros {
            let spent = usage::month_cost(self.store.pool()).await?;
            if spent >= budget {
                return Err(AiError::OverBudget { spent_micros: spent, budget_micros: budget });
            }
        }
        Ok(())
    }

    pub async fn insights(&self, record: RecordRef) -> Result<AiInsights, AiError> {
        let enabled = self.effective_settings().await?.enabled;
        let pool = self.store.pool();
        let latest = |action: AiAction| {
            sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {RESULT_COLUMNS} FROM ai_result WHERE record_kind = ? AND record_id = ? AND action = ?
                 ORDER BY id DESC LIMIT 1"
            )))
            .bind(record.kind.as_str())
            .bind(record.id.to_string())
            .bind(action.as_str())
        };
        let sentiment =
            latest(AiAction::Sentiment).fetch_optional(pool).await?.map(ResultRow::into_result).transpose()?;
        let lead_score =
            latest(AiAction::ScoreLead).fetch_optional(pool).await?.map(ResultRow::into_result).transpose()?;
        let unread: Vec<ResultRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RESULT_COLUMNS} FROM ai_result WHERE record_kind = ? AND record_id = ?
               AND action IN ('generate-text', 'draft-email') AND dismissed_at IS NULL ORDER BY id DESC LIMIT 10"
        )))
        .bind(record.kind.as_str())
        .bind(record.id.to_string())
        .fetch_all(pool)
        .await?;
        let queued_rows: Vec<dealdesk_outbox::queue::OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM outbox WHERE target = 'ai' AND record_kind = ? AND record_id = ? AND status IN {} ORDER BY id",
            dealdesk_outbox::queue::COLUMNS,
            dealdesk_outbox::queue::OPEN
        )))
        .bind(record.kind.as_str())
        .bind(record.id.to_string())
        .fetch_all(pool)
        .await?;
        let mut queued = Vec::with_capacity(queued_rows.len());
        for row in &queued_rows {
            let op = row.pending_operation()?;
            if op.status != OutboxStatus::Done {
                queued.push(op);
            }
        }
        Ok(AiInsights {
            sentiment,
            lead_score,
            unread: unread.into_iter().map(ResultRow::into_result).collect::<Result<_, _>>()?,
            queued,
            enabled,
        })
    }

    pub async fn dismiss(&self, id: i64) -> Result<(), AiError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "UPDATE ai_result SET dismissed_at = coalesce(dismissed_at, ?) WHERE id = ? RETURNING record_kind, record_id",
        )
        .bind(time::format(time::now()))
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?;
        let Some((kind, record_id)) = row else {
            return Err(AiError::Invalid(format!("no AI result #{id}")));
        };
        let record =
            RecordKind::parse(&kind).zip(Uuid::parse_str(&record_id).ok()).map(|(kind, id)| RecordRef { kind, id });
        self.events.emit(CoreEvent::AiChanged { record });
        Ok(())
    }

    /// The newest result of `action` on `record` (what a workflow condition tests).
    pub async fn latest_output(&self, record: RecordRef, action: AiAction) -> Result<Option<AiOutput>, AiError> {
        let output: Option<String> = sqlx::query_scalar(
            "SELECT output FROM ai_result WHERE record_kind = ? AND record_id = ? AND action = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(record.kind.as_str())
        .bind(record.id.to_string())
        .bind(action.as_str())
        .fetch_optional(self.store.pool())
        .await?;
        output.map(|o| serde_json::from_str(&o).map_err(|e| AiError::Decode(e.to_string()))).transpose()
    }

    pub async fn usage(&self) -> Result<AiUsageReport, AiError> {
        let budget = self.effective_settings().await?.monthly_budget_micros;
        usage::report(self.store.pool(), budget).await
    }

    pub async fn templates(&self) -> Result<Vec<PromptTemplate>, AiError> {
        templates::list(self.store.pool()).await
    }

    pub async fn template_versions(&self, id: Uuid) -> Result<Vec<PromptTemplate>, AiError> {
        templates::versions(self.store.pool(), id).await
    }

    pub async fn save_template(&self, save: &SavePromptTemplate) -> Result<PromptTemplate, AiError> {
        let template = templates::save(self.store.pool(), self.store.clock(), save).await?;
        self.events.emit(CoreEvent::AiChanged { record: None });
        Ok(template)
    }

    pub async fn activate_template(&self, id: Uuid) -> Result<PromptTemplate, AiError> {
        let template = templates::activate(self.store.pool(), self.store.clock(), id).await?;
        self.events.emit(CoreEvent::AiChanged { record: None });
        Ok(template)
    }

    /// Saves a generated text (or an email draft) as a note on its record and marks it used. The
    /// result is claimed first (a second click finds it used and writes no second note); if the
    /// note cannot be written, the claim is undone, so the text is never lost.
    pub async fn save_as_note(&self, id: i64, source: UpdateSource) -> Result<dealdesk_model::Note, AiError> {
        let claimed: Option<ResultRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE ai_result SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL
               AND action IN ('generate-text', 'draft-email') RETURNING {RESULT_COLUMNS}"
        )))
        .bind(time::format(time::now()))
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?;
        let result = claimed
            .ok_or_else(|| AiError::Invalid(format!("AI result #{id} is gone, already used, or not a text")))?
            .into_result()?;
        let body = match &result.output {
            AiOutput::EmailDraft { subject, body } => format!("Email draft: {subject}\n\n{body}"),
            AiOutput::Text { text } => text.clone(),
            other => other.headline(),
        };
        let note = self.crm.add_note(dealdesk_model::NewNote { body, targets: vec![result.record] }, source).await;
        if note.is_err() {
            sqlx::query("UPDATE ai_result SET dismissed_at = NULL WHERE id = ?")
                .bind(id)
                .execute(self.store.pool())
                .await?;
        }
        self.events.emit(CoreEvent::AiChanged { record: Some(result.record) });
        Ok(note?)
    }

    /// Opens a draft in the mail client through a `mailto:` link.
    pub fn open_draft_in_mail(&self, request: &dealdesk_model::ai::OpenDraftInMail) -> Result<(), AiError> {
        let url = mailto(request.to.as_deref(), &request.subject, &request.body)?;
        dealdesk_net::browser::open_in_browser(&url);
        Ok(())
    }
}

/// A `mailto:` link. The address is checked (a `?` or newline in it could add recipients or
/// headers); subject and body are percent-encoded, and the body is cut where mail clients stop
/// reading long links.
pub fn mailto(to: Option<&str>, subject: &str, body: &str) -> Result<String, AiError> {
    const MAX_BODY: usize = 6_000;
    let to = to.map(str::trim).filter(|t| !t.is_empty()).unwrap_or_default();
    let valid = to.is_empty()
        || (to.len() <= 254
            && to.matches('@').count() == 1
            && !to.starts_with('@')
            && !to.ends_with('@')
            && to.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '?' | '&' | '%' | '<' | '>' | ',' | ';' | '"')));
    if !valid {
        return Err(AiError::Invalid(format!("{to:?} is not an email address")));
    }
    let encode = |text: &str| {
        let mut out = String::with_capacity(text.len() * 3);
        for byte in text.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
                other => out.push_str(&format!("%{other:02X}")),
            }
        }
        out
    };
    let body: String = body.replace("\r\n", "\n").replace('\n', "\r\n").chars().take(MAX_BODY).collect();
    Ok(format!("mailto:{to}?subject={}&body={}", encode(subject), encode(&body)))
}

/// What a workflow's AI step came to.
pub enum WorkflowAiOutcome {
    Done(AiResult),
    /// Waiting in the outbox (operation id).
    Queued(i64),
}

/// The payload of a queued run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct QueuedRun {
    pub action: AiAction,
    pub record: RecordRef,
    pub instructions: Option<String>,
    pub workflow_run: Option<i64>,
}

const RESULT_COLUMNS: &str = "id, record_kind, record_id, output, created_at, model, workflow_run_id";

#[derive(sqlx::FromRow)]
struct ResultRow {
    id: i64,
    record_kind: String,
    record_id: String,
    output: String,
    created_at: String,
    model: String,
    workflow_run_id: Option<i64>,
}

impl ResultRow {
    fn into_result(self) -> Result<AiResult, AiError> {
        let kind = RecordKind::parse(&self.record_kind)
            .ok_or_else(|| AiError::Decode(format!("stored result kind {:?}", self.record_kind)))?;
        let id = Uuid::parse_str(&self.record_id).map_err(|e| AiError::Decode(e.to_string()))?;
        Ok(AiResult {
            id: self.id,
            record: RecordRef { kind, id },
            output: serde_json::from_str(&self.output).map_err(|e| AiError::Decode(e.to_string()))?,
            created_at: self.created_at,
            model: self.model,
            workflow_run: self.workflow_run_id,
        })
    }
}

/// Stores a validated answer (in the caller's connection or transaction).
pub async fn insert_result(
    conn: &mut sqlx::SqliteConnection,
    record: RecordRef,
    output: &AiOutput,
    model: &str,
    call_id: Option<i64>,
    workflow_run: Option<i64>,
) -> Result<AiResult, AiError> {
    let json = serde_json::to_string(output).map_err(|e| AiError::Decode(e.to_string()))?;
    let row: ResultRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ai_result (created_at, action, record_kind, record_id, output, model, call_id, workflow_run_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {RESULT_COLUMNS}"
    )))
    .bind(time::format(time::now()))
    .bind(output.action().as_str())
    .bind(record.kind.as_str())
    .bind(record.id.to_string())
    .bind(json)
    .bind(model)
    .bind(call_id)
    .bind(workflow_run)
    .fetch_one(conn)
    .await?;
    row.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_links_encode_and_refuse_header_injection() {
        let url = mailto(Some("ada@example.com"), "Hi & bye", "Line 1\nLine 2 ?&=").unwrap();
        assert_eq!(url, "mailto:ada@example.com?subject=Hi%20%26%20bye&body=Line%201%0D%0ALine%202%20%3F%26%3D");
        assert!(mailto(None, "s", "b").unwrap().starts_with("mailto:?subject=s"));
        for bad in ["a@b.c?cc=evil@x.y", "a@b.c\nBcc: x@y.z", "nobody", "a@b@c", "a@b.c,evil@x.y"] {
            assert!(mailto(Some(bad), "s", "b").is_err(), "{bad}");
        }
    }
}
