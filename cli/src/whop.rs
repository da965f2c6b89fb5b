//! `dealdesk-cli whop …`: sign in through the loopback redirect, choose businesses, sync, status,
//! check the connection (`doctor`), sign out, and queue Whop actions (messages to customers too).

use crate::output;
use clap::Subcommand;
use dealdesk_core::App;
use dealdesk_core::crm::parse_id;
use dealdesk_core::whop::WhopError;
use dealdesk_model::outbox::{CancelMode, MessageRecipient, NewPromoCode, PromoType, WhopAction};
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
    /// Connection, businesses, permissions, sync cursors and the last run
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Your Whop business accounts and which ones sync; choose with --select or --all
    Businesses {
        /// Sync only these business ids (comma-separated)
        #[arg(long, value_delimiter = ',', conflicts_with = "all")]
        select: Option<Vec<String>>,
        /// Sync every business account you have now (one you get later is added by choosing again)
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Check the connection end to end, one line per check; exits non-zero if any fails
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Revoke the tokens at Whop and delete them from the keyring (synced data stays)
    Logout,
    /// Change a membership on Whop (queued in the outbox; sent on the next drain)
    #[command(subcommand)]
    Membership(MembershipCommand),
    /// Refund or retry a payment on Whop (queued in the outbox; sent on the next drain)
    #[command(subcommand)]
    Payment(PaymentCommand),
    /// Create or deactivate (archive) promo codes on Whop (queued in the outbox)
    #[command(subcommand)]
    Promo(PromoCommand),
    /// Message a customer on Whop (queued in the outbox; sent on the next drain): their DM channel,
    /// then the message
    Message {
        /// The person's id, or a Whop user id (user_…) of a synced customer
        person_id: String,
        /// The message (Markdown, as Whop shows it)
        #[arg(long)]
        text: String,
    },
}

#[derive(Subcommand)]
pub enum MembershipCommand {
    /// Cancel at the end of the billing period (or now with --immediately)
    Cancel {
        membership_id: String,
        #[arg(long)]
        immediately: bool,
    },
    /// Take back a cancellation at the end of the period
    Uncancel { membership_id: String },
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
    /// Charge a failed payment again (only when Whop marks it retryable)
    Retry { payment_id: String },
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
        /// The discount lasts this many billing months, 1 to 36 (Whop's API has no "forever")
        #[arg(long)]
        months: u32,
        /// The business it is for (needed when more than one syncs)
        #[arg(long)]
        business: Option<String>,
    },
    /// Archive a promo code by its Whop id: it can no longer be used
    Deactivate { promo_code_id: String },
}

/// A person's id, or a Whop user id.
fn recipient(id: &str) -> anyhow::Result<MessageRecipient> {
    let id = id.trim();
    if id.starts_with("user_") {
        return Ok(MessageRecipient::WhopUser(id.to_string()));
    }
    let person =
        parse_id(id).map_err(|_| anyhow::anyhow!("'{id}' is neither a person's id nor a Whop user id (user_…)"))?;
    Ok(MessageRecipient::Person(person))
}

fn decimal_micros(text: &str, what: &str) -> anyhow::Result<i64> {
    dealdesk_model::money::parse_decimal_micros(text.trim())
        .map_err(|e| anyhow::anyhow!("{what}: '{text}' is not an amount ({e})"))
}

async fn queue(app: &App, action: WhopAction) -> anyhow::Result<()> {
    let entry = app.whop().run_action(&action, dealdesk_model::UpdateSource::Cli).await?;
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
                MembershipCommand::Uncancel { membership_id } => WhopAction::UncancelMembership { membership_id },
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
        WhopCommand::Payment(PaymentCommand::Retry { payment_id }) => {
            queue(app, WhopAction::RetryPayment { payment_id }).await?;
        }
        WhopCommand::Promo(PromoCommand::Create {
            code,
            percent,
            amount,
            currency,
            new_users_only,
            months,
            business,
        }) => {
            let (promo_type, amount_off_micros) = match (percent, amount) {
                (Some(p), None) => (PromoType::Percentage, decimal_micros(&p, "--percent")?),
                (None, Some(a)) => (PromoType::FlatAmount, decimal_micros(&a, "--amount")?),
                _ => anyhow::bail!("give either --percent or --amount"),
            };
            let new = NewPromoCode {
                code,
                promo_type,
                amount_off_micros,
                currency,
                new_users_only,
                duration_months: months,
                business_id: business,
            };
            queue(app, WhopAction::CreatePromoCode(new)).await?;
        }
        WhopCommand::Promo(PromoCommand::Deactivate { promo_code_id }) => {
            queue(app, WhopAction::DeactivatePromoCode { promo_code_id }).await?;
        }
        WhopCommand::Message { person_id, text } => {
            queue(app, WhopAction::SendMessage { to: recipient(&person_id)?, text }).await?;
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
                    let status = whop.status().await?;
                    if status.choose_businesses {
                        eprintln!(
                            "You have several Whop business accounts: choose which to sync with \
                             `dealdesk-cli whop businesses --select ID` (or --all)."
                        );
                    }
                    if once && run.status != "done" {
                        anyhow::bail!(
                            "the sync ended {}: {}",
                            run.status,
                            run.error.as_deref().unwrap_or("see `dealdesk-cli whop status`")
                        );
                    }
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
                output::line(format!("whop: {connection} · API {} ({})", status.api_url, status.environment))?;
                for business in &status.businesses {
                    output::line(format!(
                        "  {} {} ({}){}",
                        if business.selected { "[x]" } else { "[ ]" },
                        business.title,
                        business.id,
                        business.last_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                    ))?;
                }
                if status.choose_businesses {
                    output::line("  choose which to sync: dealdesk-cli whop businesses --select ID (or --all)")?;
                }
                let missing = status.missing_permissions();
                if !missing.is_empty() {
                    output::line(format!(
                        "  missing permissions: {} (reconnect with `dealdesk-cli whop login`)",
                        missing.join(", ")
                    ))?;
                }
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
        WhopCommand::Businesses { select, all, json } => {
            let ids = match (select, all) {
                (Some(ids), _) => Some(ids),
                (None, true) => Some(whop.status().await?.businesses.into_iter().map(|b| b.id).collect()),
                (None, false) => None,
            };
            let status = match ids {
                Some(ids) => whop.select_businesses(ids).await?,
                None => whop.status().await?,
            };
            if json {
                output::json(&status.businesses)?;
            } else if status.businesses.is_empty() {
                output::line("no Whop business account known yet: `dealdesk-cli whop login`, then sync")?;
            } else {
                let rows: Vec<Vec<String>> = status
                    .businesses
                    .iter()
                    .map(|b| {
                        vec![
                            b.id.clone(),
                            b.title.clone(),
                            if b.selected { "yes".into() } else { "no".into() },
                            b.memberships.to_string(),
                            b.payments.to_string(),
                            b.last_error.clone().unwrap_or_else(|| "-".into()),
                        ]
                    })
                    .collect();
                output::table(&["id", "business", "syncs", "memberships", "payments", "last error"], &rows)?;
            }
        }
        WhopCommand::Doctor { json } => {
            let checks = whop.doctor().await?;
            if json {
                output::json(&checks)?;
            } else {
                for check in &checks {
                    output::line(format!(
                        "{:<4} {:<28} {}",
                        if check.ok { "ok" } else { "FAIL" },
                        check.check,
                        check.detail
                    ))?;
                }
            }
            let failed = checks.iter().filter(|c| !c.ok).count();
            if failed > 0 {
                anyhow::bail!("whop doctor: {failed} of {} checks failed", checks.len());
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
    if let Some(error) = &run.error {
        output::line(format!("  {error}"))?;
    }
    Ok(())
}
