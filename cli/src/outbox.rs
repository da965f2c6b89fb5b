//! `dealdesk-cli outbox …` and `dealdesk-cli conflicts …`: what waits for the network, sending it,
//! and the conflicts between local and remote changes.

use crate::output;
use clap::Subcommand;
use dealdesk_core::App;
use dealdesk_model::UpdateSource;
use dealdesk_model::outbox::{OutboxEntry, Resolution};

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Operations waiting, failed or in conflict (with --all, finished ones too)
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Send what is due until the outbox is empty or the network fails, then exit
    Drain {
        #[arg(long)]
        json: bool,
    },
    /// Send a failed operation again (or a waiting one now)
    Retry { id: i64 },
    /// Give an operation up (its local effect is rolled back)
    Discard { id: i64 },
}

#[derive(Subcommand)]
pub enum ConflictsCommand {
    /// Unresolved conflicts (with --all, resolved ones too)
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Keep the local value ("mine") or take the remote one ("theirs")
    Resolve {
        id: i64,
        #[arg(value_parser = ["mine", "theirs"])]
        keep: String,
    },
}

fn entry_row(e: &OutboxEntry) -> Vec<String> {
    vec![
        e.id.to_string(),
        e.status.as_str().to_string(),
        e.summary.clone(),
        e.attempts.to_string(),
        e.last_error.clone().unwrap_or_default().chars().take(80).collect(),
    ]
}

pub async fn run(app: &App, command: OutboxCommand) -> anyhow::Result<()> {
    let outbox = app.outbox();
    match command {
        OutboxCommand::List { all, json } => {
            let entries = outbox.list(all).await?;
            if json {
                output::json(&entries)?;
            } else {
                let rows: Vec<Vec<String>> = entries.iter().map(entry_row).collect();
                output::table(&["ID", "STATUS", "OPERATION", "ATTEMPTS", "LAST ERROR"], &rows)?;
            }
        }
        OutboxCommand::Drain { json } => {
            outbox.recover().await?;
            let report = outbox.drain(true).await?;
            // Workflow runs waiting on an AI step that just ran go on.
            crate::ai::process_workflows(app).await;
            if json {
                output::json(&report)?;
            } else {
                output::line(format!(
                    "sent {}, failed {}, conflicts {}, still open {}",
                    report.sent, report.failed, report.conflicts, report.remaining
                ))?;
            }
            if let Some(reason) = report.stopped {
                anyhow::bail!("stopped: {reason}");
            }
        }
        OutboxCommand::Retry { id } => {
            let entry = outbox.retry(id).await?;
            output::line(format!("#{} {}: {}", entry.id, entry.status.as_str(), entry.summary))?;
        }
        OutboxCommand::Discard { id } => {
            let entry = outbox.discard(id).await?;
            output::line(format!("#{} {}: {}", entry.id, entry.status.as_str(), entry.summary))?;
        }
    }
    Ok(())
}

pub async fn run_conflicts(app: &App, command: ConflictsCommand) -> anyhow::Result<()> {
    let outbox = app.outbox();
    match command {
        ConflictsCommand::List { all, json } => {
            let conflicts = outbox.conflicts(all).await?;
            if json {
                output::json(&conflicts)?;
            } else {
                let rows: Vec<Vec<String>> = conflicts
                    .iter()
                    .map(|c| {
                        vec![
                            c.id.to_string(),
                            c.kind.as_str().to_string(),
                            c.record_id.clone(),
                            c.field.clone().unwrap_or_default(),
                            c.local_value.to_string(),
                            c.remote_value.to_string(),
                            c.resolution.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                output::table(&["ID", "KIND", "RECORD", "FIELD", "MINE", "THEIRS", "RESOLVED"], &rows)?;
            }
        }
        ConflictsCommand::Resolve { id, keep } => {
            let keep = if keep == "mine" { Resolution::Mine } else { Resolution::Theirs };
            let view = outbox.resolve(id, keep, UpdateSource::Cli).await?;
            output::line(format!("conflict #{} resolved: {}", view.id, view.resolution.unwrap_or_default()))?;
        }
    }
    Ok(())
}
