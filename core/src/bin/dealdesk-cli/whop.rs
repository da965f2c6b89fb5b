//! `dealdesk-cli whop …`: sign in through the loopback redirect, sync, status, sign out.

use crate::output;
use clap::Subcommand;
use dealdesk_core::App;
use dealdesk_core::whop::WhopError;
use dealdesk_model::whop::{SyncProgress, SyncRun};
use std::io::Write;
use std::time::Duration;

#[derive(Subcommand)]
pub enum WhopCommand {
    /// Sign in to Whop: prints the authorize URL, waits for the browser on the loopback redirect
    Login {
        /// Only print the URL; do not try to open a browser
        #[arg(long)]
        no_browser: bool,
        /// Give up after this many seconds
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Sync from Whop: polls on the configured interval until stopped, or once with --once
    Sync {
        /// Run one sync and exit
        #[arg(long)]
        once: bool,
        #[arg(long)]
        json: bool,
    },
    /// Connection, sync cursors and the last run
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Revoke the tokens at Whop and delete them from the keyring (synced data stays)
    Logout,
}

pub async fn run(app: &App, command: WhopCommand) -> anyhow::Result<()> {
    let whop = app.whop();
    match command {
        WhopCommand::Login { no_browser, timeout } => {
            let status = whop
                .login_with_loopback(
                    |url| {
                        let _ = output::line(format!("Open this address to sign in to Whop:\n{url}"));
                        let _ = std::io::stdout().flush();
                        if !no_browser {
                            dealdesk_core::browser::open_in_browser(url);
                        }
                    },
                    Duration::from_secs(timeout),
                )
                .await?;
            let who = status
                .identity
                .as_ref()
                .map(|i| i.name.clone().or(i.username.clone()).or(i.email.clone()).unwrap_or(i.user_id.clone()))
                .unwrap_or_else(|| "your Whop account".into());
            output::line(format!("signed in to Whop as {who}; tokens are in the OS keyring"))?;
        }
        WhopCommand::Sync { once, json } => loop {
            let show = move |p: &SyncProgress| {
                if !json && p.done {
                    eprintln!("  {:<12} {:>8} fetched  {:>8.0}/s", p.resource, p.fetched, p.rate);
                }
            };
            match whop.sync(&show).await {
                Ok(run) => print_run(&run, json)?,
                Err(error @ (WhopError::NotConnected | WhopError::Disabled)) => return Err(error.into()),
                Err(error) if once => return Err(error.into()),
                Err(error) => eprintln!("sync failed: {error} (next try on the interval)"),
            }
            if once {
                break;
            }
            let minutes = whop.settings().await?.sync_interval_minutes;
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(u64::from(minutes) * 60)) => {}
                _ = tokio::signal::ctrl_c() => break,
            }
        },
        WhopCommand::Status { json } => {
            let status = whop.status().await?;
            if json {
                output::json(&status)?;
            } else {
                let connection = match (&status.enabled, &status.connected, &status.identity) {
                    (false, _, _) => "switched off".to_string(),
                    (true, false, _) => "not connected".to_string(),
                    (true, true, Some(identity)) => format!(
                        "connected as {} ({})",
                        identity.name.clone().or(identity.username.clone()).unwrap_or_default(),
                        identity.user_id
                    ),
                    (true, true, None) => "connected".to_string(),
                };
                output::line(format!("whop: {connection} · API {}", status.api_url))?;
                let rows: Vec<Vec<String>> = status
                    .resources
                    .iter()
                    .map(|r| {
                        vec![
                            r.resource.clone(),
                            r.rows.to_string(),
                            if r.resuming { "resuming".into() } else { "-".into() },
                            r.last_full_scan_at.clone().unwrap_or_else(|| "-".into()),
                            r.last_error.clone().unwrap_or_else(|| "-".into()),
                        ]
                    })
                    .collect();
                output::table(&["resource", "rows", "pass", "last full scan", "last error"], &rows)?;
                if let Some(run) = &status.last_run {
                    output::line(format!(
                        "last sync: {} at {}{}",
                        run.status,
                        run.started_at,
                        run.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
                    ))?;
                }
            }
        }
        WhopCommand::Logout => {
            whop.logout().await?;
            output::line("signed out of Whop; tokens deleted")?;
        }
    }
    Ok(())
}

fn print_run(run: &SyncRun, json: bool) -> anyhow::Result<()> {
    if json {
        return output::json(run);
    }
    let rows: Vec<Vec<String>> = run
        .counts
        .iter()
        .map(|c| {
            vec![
                c.resource.clone(),
                c.requests.to_string(),
                c.fetched.to_string(),
                c.inserted.to_string(),
                c.updated.to_string(),
                c.people_created.to_string(),
                c.deals_created.to_string(),
            ]
        })
        .collect();
    output::table(&["resource", "requests", "fetched", "new", "updated", "people+", "deals+"], &rows)?;
    output::line(format!("sync {} ({} → {})", run.status, run.started_at, run.finished_at.as_deref().unwrap_or("-")))?;
    Ok(())
}
