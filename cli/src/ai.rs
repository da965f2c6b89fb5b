//! `dealdesk-cli ai …` and `dealdesk-cli workflows …`: AI actions on records, usage and cost,
//! and workflows.

use crate::output;
use anyhow::bail;
use clap::Subcommand;
use dealdesk_core::App;
use dealdesk_core::crm::parse_id;
use dealdesk_model::UpdateSource;
use dealdesk_model::ai::{AiAction, AiOutput, AiRunOutcome, AiRunRequest};

#[derive(Subcommand)]
pub enum AiCommand {
    /// Run an action on a person, company or deal: generate-text, sentiment, score-lead, draft-email
    Run {
        #[arg(value_parser = ["generate-text", "sentiment", "score-lead", "draft-email"])]
        action: String,
        /// The record's id
        #[arg(long)]
        record: String,
        /// Extra instructions for the model
        #[arg(long)]
        instructions: Option<String>,
        /// Run even past the monthly budget
        #[arg(long)]
        over_budget: bool,
        #[arg(long)]
        json: bool,
    },
    /// Calls, tokens and cost: this month, per day, per action and model, slowest and failed calls
    Usage {
        #[arg(long)]
        json: bool,
    },
    /// Provider, model, key and budget in force (settings plus DEALDESK_AI_* variables)
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Send a tiny request to check the provider, model and key
    Test {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum WorkflowsCommand {
    /// Workflows with their trigger, steps and last run
    List {
        #[arg(long)]
        json: bool,
    },
    /// Run a workflow now (by name or id), on a record when its steps need one
    Run {
        name: String,
        #[arg(long)]
        record: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The run history, newest first (of one workflow when named)
    Runs {
        name: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

/// One workflow engine pass (after a sync or a drain), so the CLI fires workflows whether or not
/// the app is open. A failure is reported, not fatal: the command's own work is done.
pub async fn process_workflows(app: &App) {
    match app.automation().process().await {
        Ok(0) => {}
        Ok(runs) => tracing::info!(runs, "workflows ran"),
        Err(error) => eprintln!("workflows: {error}"),
    }
}

fn dollars(micros: i64) -> String {
    format!("${:.4}", micros as f64 / 1_000_000.0)
}

pub async fn run(app: &App, command: AiCommand) -> anyhow::Result<()> {
    match command {
        AiCommand::Run { action, record, instructions, over_budget, json } => {
            let Some(action) = AiAction::parse(&action) else { bail!("unknown action {action}") };
            let record = app.crm().resolve_record(parse_id(&record)?).await?;
            let request = AiRunRequest { action, record, instructions, allow_over_budget: over_budget };
            let outcome = app.ai().run(&request, UpdateSource::Cli).await?;
            if json {
                return output::json(&outcome);
            }
            match outcome {
                AiRunOutcome::Done { result, call } => {
                    match &result.output {
                        AiOutput::Text { text } => output::line(text)?,
                        AiOutput::Sentiment { label, score, summary } => {
                            output::line(format!("{} ({score:+.2}): {summary}", label.as_str()))?
                        }
                        AiOutput::LeadScore { score, reasons } => {
                            output::line(format!("lead score {score}"))?;
                            for reason in reasons {
                                output::line(format!("  - {reason}"))?;
                            }
                        }
                        AiOutput::EmailDraft { subject, body } => {
                            output::line(format!("Subject: {subject}\n\n{body}"))?
                        }
                    }
                    output::line(format!(
                        "({} · {} in / {} out tokens · {} · {} ms)",
                        call.model,
                        call.tokens_in,
                        call.tokens_out,
                        dollars(call.cost_micros),
                        call.latency_ms
                    ))?;
                }
                AiRunOutcome::Queued { operation } => output::line(format!(
                    "the AI provider cannot be reached: queued as outbox operation #{} (runs when it can)",
                    operation.outbox_id
                ))?,
                AiRunOutcome::OverBudget { month_cost_micros, budget_micros } => bail!(
                    "this month's AI spend {} has reached the budget {}: run again with --over-budget",
                    dollars(month_cost_micros),
                    dollars(budget_micros)
                ),
            }
        }
        AiCommand::Usage { json } => {
            let report = app.ai().usage().await?;
            if json {
                return output::json(&report);
            }
            output::line(format!(
                "{}: {} spent{}; {} calls in all ({} failed), {} tokens in, {} out, {}",
                report.month,
                dollars(report.month_cost_micros),
                report.budget_micros.map(|b| format!(" of a {} budget", dollars(b))).unwrap_or_default(),
                report.total.calls,
                report.total.failed,
                report.total.tokens_in,
                report.total.tokens_out,
                dollars(report.total.cost_micros),
            ))?;
            let rows = |rows: &[dealdesk_model::ai::AiUsageRow]| -> Vec<Vec<String>> {
                rows.iter()
                    .map(|r| {
                        vec![
                            r.key.clone(),
                            r.calls.to_string(),
                            r.failed.to_string(),
                            r.tokens_in.to_string(),
                            r.tokens_out.to_string(),
                            dollars(r.cost_micros),
                        ]
                    })
                    .collect()
            };
            output::line("\nPer action (last 30 days)")?;
            output::table(
                &["action", "calls", "failed", "tokens in", "tokens out", "cost"],
                &rows(&report.per_action),
            )?;
            output::line("\nPer model (last 30 days)")?;
            output::table(&["model", "calls", "failed", "tokens in", "tokens out", "cost"], &rows(&report.per_model))?;
            if !report.failed.is_empty() {
                output::line("\nFailed calls")?;
                let failed: Vec<Vec<String>> = report
                    .failed
                    .iter()
                    .map(|c| {
                        vec![
                            c.at.clone(),
                            c.action.as_str().into(),
                            c.model.clone(),
                            c.error.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                output::table(&["at", "action", "model", "error"], &failed)?;
            }
        }
        AiCommand::Status { json } => {
            let status = app.ai().status().await?;
            if json {
                return output::json(&status);
            }
            let e = &status.effective;
            output::line(format!(
                "AI {}: {} at {} with {} (key {}){}",
                if e.enabled { "on" } else { "off" },
                e.provider.label(),
                e.base_url,
                e.model,
                if status.has_api_key { "set" } else { "missing" },
                if status.env_overrides.is_empty() {
                    String::new()
                } else {
                    format!("; overridden by {}", status.env_overrides.join(", "))
                }
            ))?;
        }
        AiCommand::Test { json } => {
            let test = app.ai().test_connection().await?;
            if json {
                output::json(&test)?;
            } else {
                output::line(&test.message)?;
            }
            if !test.ok {
                bail!("the connection test failed");
            }
        }
    }
    Ok(())
}

pub async fn run_workflows(app: &App, command: WorkflowsCommand) -> anyhow::Result<()> {
    let automation = app.automation();
    match command {
        WorkflowsCommand::List { json } => {
            let workflows = automation.list().await?;
            if json {
                return output::json(&workflows);
            }
            let rows: Vec<Vec<String>> = workflows
                .iter()
                .map(|w| {
                    vec![
                        w.name.clone(),
                        if w.enabled { "on" } else { "off" }.into(),
                        w.trigger.describe(),
                        w.steps.iter().map(|s| s.describe()).collect::<Vec<_>>().join(" → "),
                        w.last_run
                            .as_ref()
                            .map(|r| format!("{} {}", r.status.as_str(), r.started_at))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            output::table(&["name", "enabled", "trigger", "steps", "last run"], &rows)?;
        }
        WorkflowsCommand::Run { name, record, json } => {
            let workflow = automation.find(&name).await?;
            let record = match record {
                Some(id) => Some(app.crm().resolve_record(parse_id(&id)?).await?),
                None => None,
            };
            let run = app.automation().run_now(workflow.id, record).await?;
            if json {
                return output::json(&run);
            }
            output::line(format!("run #{} of \"{}\": {}", run.id, run.workflow_name, run.status.as_str()))?;
            for step in &run.steps {
                output::line(format!(
                    "  {}. {} — {}{}",
                    step.index + 1,
                    step.label,
                    step.status.as_str(),
                    step.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                ))?;
            }
            if run.status == dealdesk_model::automation::RunStatus::Failed {
                bail!("the workflow run failed: {}", run.error.unwrap_or_default());
            }
        }
        WorkflowsCommand::Runs { name, limit, json } => {
            let workflow = match name {
                Some(name) => Some(automation.find(&name).await?.id),
                None => None,
            };
            let runs = automation.runs(workflow, limit).await?;
            if json {
                return output::json(&runs);
            }
            let rows: Vec<Vec<String>> = runs
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.workflow_name.clone(),
                        r.status.as_str().into(),
                        r.trigger.clone(),
                        r.record.map(|rec| format!("{}:{}", rec.kind, rec.id)).unwrap_or_default(),
                        r.started_at.clone(),
                        r.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            output::table(&["run", "workflow", "status", "trigger", "record", "started", "error"], &rows)?;
        }
    }
    Ok(())
}
