//! `dealdesk-cli whop …`: sign in through the loopback redirect, sync, status, sign out.

use crate::output;
use clap::Subcommand;
use dealdesk_core::App;
use dealdesk_core::whop::WhopError;
use dealdesk_model::outbox::{CancelMode, NewPromoCode, PromoType, WhopAction};
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
    /// Change a membership on Whop (queued in the outbox; sent on the next drain)
    #[command(subcommand)]
    Membership(MembershipCommand),
    /// Refund a payment on Whop (queued in the outbox; sent on the next drain)
    #[command(subcommand)]
    Payment(PaymentCommand),
    /// Create or deactivate promo codes on Whop (queued in the outbox)
    #[command(subcommand)]
    Promo(PromoCommand),
}

#[derive(Subcommand)]
pub enum MembershipCommand {
    /// Cancel at the end of the billing period (or now with --immediately)
    Cancel {
        membership_id: String,
        #[arg(long)]
        immediately: bool,
    },
    /// Pause payment collection
    Pause { membership_id: String },
    /// Resume payment collection
    Resume { membership_id: String },
    /// Push the next renewal back by DAYS free days
    AddFreeDays { membership_id: String, days: u32 },
    /// Replace the membership's metadata with a JSON object
    Metadata { membership_id: String, json: String },
}

#[derive(Subcommand)]
pub enum PaymentCommand {
    /// Refund a payment: all that is left, or --amount (in the payment's currency, e.g. 12.50)
    Refund {
        payment_id: String,
        #[arg(long)]
        amount: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum PromoCommand {
    /// Create a promo code: --percent 20 or --amount 5.00 --currency USD
    Create {
        code: String,
        #[arg(long, conflicts_with = "amount")]
        percent: Option<String>,
        #[arg(long)]
        amount: Option<String>,
        #[arg(long, default_value = "USD")]
        currency: String,
        /// Only for new customers
        #[arg(long)]
        new_users_only: bool,
        /// The discount lasts this many months (default: forever)
        #[arg(long)]
        months: Option<u32>,
    },
    /// Deactivate a promo code by its Whop id
    Deactivate { promo_code_id: String },
}

fn decimal_micros(text: &str, what: &str) -> anyhow::Result<i64> {
    dealdesk_model::money::parse_decimal_micros(text.trim())
        .map_err(|e| anyhow::anyhow!("{what}: '{text}' is not an amount ({e})"))
}

async fn queue(app: &App, action: WhopAction) -> anyhow::Result<()> {
    let entry = app.outbox().run_whop_action(&action, dealdesk_model::UpdateSource::Cli).await?;
    output::line(format!(
        "queued #{}: {} (it reaches Whop on the next `dealdesk-cli outbox drain` or when the app is online)",
        entry.id, entry.summary
    ))?;
    Ok(())
}

pub async fn run(app: &App, command: WhopCommand) -> anyhow::Result<()> {
    let whop = app.whop();
    match command {
        WhopCommand::Membership(command) => {
            let action = match command {
                MembershipCommand::Cancel { membership_id, immediately } => WhopAction::CancelMembership {
                    membership_id,
                    mode: if immediately { CancelMode::Immediately } else { CancelMode::AtPeriodEnd },
                },
                MembershipCommand::Pause { membership_id } => WhopAction::PauseMembership { membership_id },
                MembershipCommand::Resume { membership_id } => WhopAction::ResumeMembership { membership_id },
                MembershipCommand::AddFreeDays { membership_id, days } => {
                    WhopAction::AddFreeDays { membership_id, days }
                }
                MembershipCommand::Metadata { membership_id, json } => {
                    let metadata =
                        serde_json::from_str(&json).map_err(|e| anyhow::anyhow!("metadata: not valid JSON ({e})"))?;
                    WhopAction::UpdateMembershipMetadata { membership_id, metadata }
                }
            };
            queue(app, action).await?;
        }
        WhopCommand::Payment(PaymentCommand::Refund { payment_id, amount }) => {
            let amount_micros = amount.as_deref().map(|a| decimal_micros(a, "--amount")).transpose()?;
            queue(app, WhopAction::RefundPayment { payment_id, amount_micros }).await?;
        }
        WhopCommand::Promo(PromoCommand::Create { code, percent, amount, currency, new_users_only, months }) => {
            let (promo_type, amount_off_micros) = match (percent, amount) {
                (Some(p), None) => (PromoType::Percentage, decimal_micros(&p, "--percent")?),
                (None, Some(a)) => (PromoType::FlatAmount, decimal_micros(&a, "--amount")?),
                _ => anyhow::bail!("give either --percent or --amount"),
            };
            let new =
                NewPromoCode { code, promo_type, amount_off_micros, currency, new_users_only, duration_months: months };
            queue(app, WhopAction::CreatePromoCode(new)).await?;
        }
        WhopCommand::Promo(PromoCommand::Deactivate { promo_code_id }) => {
            queue(app, WhopAction::DeactivatePromoCode { promo_code_id }).await?;
        }
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
                Ok(run) => {
                    print_run(&run, json)?;
                    // Workflows the sync's Whop events trigger run now, app open or not.
                    crate::ai::process_workflows(app).await;
                }
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
