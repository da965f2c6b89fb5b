//! `dealdesk-cli team …`: this desktop in a team workspace (docs/team.md). The owner makes the
//! hub and invites; members join with a code; `sync` pushes this desktop's changes and merges the
//! others'.

use crate::output;
use clap::Subcommand;
use dealdesk_core::App;
use dealdesk_model::team::{TeamAccess, TeamStatus};
use std::time::Duration;

#[derive(Subcommand)]
pub enum TeamCommand {
    /// Make the team hub on an empty PostgreSQL database, as its owner, with this desktop's
    /// workspace (the password: in the URL, or in PGPASSWORD)
    Init {
        /// postgres://OWNER@HOST[:PORT]/DATABASE[?sslmode=verify-full]
        #[arg(long)]
        url: String,
        /// The workspace's name
        #[arg(long, default_value = "Team")]
        name: String,
        /// The owner's email (how members see them)
        #[arg(long)]
        email: String,
        #[arg(long)]
        json: bool,
    },
    /// Invite a member: prints a join code to send them (the owner only)
    Invite {
        email: String,
        /// member (edits) or read-only
        #[arg(long, default_value = "member", value_parser = ["member", "read-only"])]
        role: String,
    },
    /// Join a workspace with a code from its owner
    Join {
        code: String,
        #[arg(long)]
        json: bool,
    },
    /// The hub, this desktop's role, the last push and pull, the changes waiting
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Push this desktop's changes and merge the others'; every 5 seconds until stopped, or once
    Sync {
        #[arg(long)]
        once: bool,
        #[arg(long)]
        json: bool,
    },
    /// The workspace's members and their roles
    Members {
        #[arg(long)]
        json: bool,
    },
    /// Remove a member: their access ends at once (the owner only)
    Remove { email: String },
    /// Leave the workspace: syncing stops, the local copy stays
    Leave,
    /// Upgrade a hub made by an older Dealdesk to this one's schema (the owner only)
    UpgradeHub,
    /// Run the workspace's Whop automations (workflows triggered by Whop events) on this desktop
    WhopHere,
    /// Changes from other desktops that wait for what they need (a record not arrived yet, a
    /// taken email), tried again at each sync
    Held {
        #[arg(long)]
        json: bool,
    },
    /// Drop a held change by its hub number: this desktop keeps its own version
    DiscardHeld { hub_seq: i64 },
}

fn print_status(status: &TeamStatus) -> std::io::Result<()> {
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| at.map_or_else(|| "never".to_string(), |t| t.to_rfc3339());
    output::line(format!("workspace  {} ({})", status.workspace_name, status.workspace))?;
    output::line(format!("hub        {}", status.hub))?;
    output::line(format!("member     {} ({})", status.email, status.access.as_str().replace('_', "-")))?;
    if let Some(left) = status.left_at {
        output::line(format!(
            "state      left {} ({})",
            left.to_rfc3339(),
            status.left_reason.as_deref().unwrap_or("left")
        ))?;
    }
    output::line(format!("last push  {}", when(status.last_push_at)))?;
    output::line(format!("last pull  {}", when(status.last_pull_at)))?;
    output::line(format!("waiting    {} of this desktop's changes", status.waiting))?;
    if status.held > 0 {
        output::line(format!("held       {} pulled changes wait for what they need", status.held))?;
    }
    if let Some(error) = &status.last_error {
        output::line(format!("last error {error}"))?;
    }
    if status.left_at.is_none() {
        let runner = match (&status.whop_here, &status.whop_desktop) {
            (true, _) => "this desktop".to_string(),
            (false, Some(email)) => format!("{email}'s desktop (team whop-here to run them here)"),
            (false, None) => "another desktop (team whop-here to run them here)".to_string(),
        };
        output::line(format!("whop       automations run on {runner}"))?;
    }
    if let Some(version) = status.hub_version.filter(|v| *v < dealdesk_model::team::HUB_SCHEMA_VERSION) {
        output::line(format!("hub        schema version {version}: the owner can upgrade it (team upgrade-hub)"))?;
    }
    Ok(())
}

pub async fn run(app: &App, command: TeamCommand) -> anyhow::Result<()> {
    let workspace = app.workspace();
    match command {
        TeamCommand::Init { url, name, email, json } => {
            let password = std::env::var("PGPASSWORD").ok();
            let status = workspace.init(&url, password, &name, &email).await?;
            if json { output::json(&status)? } else { print_status(&status)? }
        }
        TeamCommand::Invite { email, role } => {
            let access = if role == "read-only" { TeamAccess::ReadOnly } else { TeamAccess::Member };
            output::line(workspace.invite(&email, access).await?)?;
        }
        TeamCommand::Join { code, json } => {
            let status = workspace.join(&code).await?;
            if json { output::json(&status)? } else { print_status(&status)? }
        }
        TeamCommand::Status { json } => match workspace.status().await? {
            Some(status) if json => output::json(&status)?,
            Some(status) => print_status(&status)?,
            None if json => output::json(&serde_json::Value::Null)?,
            None => output::line("not in a team workspace (team init, or team join CODE)")?,
        },
        TeamCommand::Sync { once, json } => loop {
            let report = workspace.sync_once().await?;
            if json {
                output::json(&report)?;
            } else {
                output::line(format!(
                    "pushed {}, pulled {} (applied {}, already superseded {}, held {})",
                    report.pushed, report.pulled, report.applied, report.superseded, report.held
                ))?;
            }
            if once {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = tokio::signal::ctrl_c() => break,
            }
        },
        TeamCommand::Members { json } => {
            let members = workspace.members().await?;
            if json {
                output::json(&members)?;
            } else {
                let rows: Vec<Vec<String>> = members
                    .iter()
                    .map(|m| {
                        let state = if m.removed {
                            "removed"
                        } else if m.joined {
                            "joined"
                        } else {
                            "invited"
                        };
                        vec![m.email.clone(), m.access.as_str().replace('_', "-"), state.to_string()]
                    })
                    .collect();
                output::table(&["email", "role", "state"], &rows)?;
            }
        }
        TeamCommand::Remove { email } => {
            workspace.remove(&email).await?;
            output::line(format!("removed {email}: their access ended"))?;
        }
        TeamCommand::UpgradeHub => {
            let from = workspace.upgrade_hub().await?;
            let to = dealdesk_model::team::HUB_SCHEMA_VERSION;
            if from == to {
                output::line(format!("the hub is already at schema version {to}"))?;
            } else {
                output::line(format!("upgraded the hub from schema version {from} to {to}"))?;
            }
        }
        TeamCommand::Held { json } => {
            let held = workspace.held().await?;
            if json {
                output::json(&held)?;
            } else if held.is_empty() {
                output::line("no held changes")?;
            } else {
                let rows: Vec<Vec<String>> = held
                    .iter()
                    .map(|h| vec![h.hub_seq.to_string(), h.author.clone(), h.what.clone(), h.reason.clone()])
                    .collect();
                output::table(&["hub #", "from", "what", "why it waits"], &rows)?;
            }
        }
        TeamCommand::DiscardHeld { hub_seq } => {
            workspace.discard_held(hub_seq).await?;
            output::line(format!("discarded held change {hub_seq}: this desktop keeps its own version"))?;
        }
        TeamCommand::WhopHere => {
            workspace.run_whop_here().await?;
            output::line("the workspace's Whop automations run on this desktop from now on")?;
        }
        TeamCommand::Leave => {
            workspace.leave().await?;
            output::line("left the workspace: syncing stopped, the local copy stays")?;
        }
    }
    Ok(())
}
