//! dealdesk-sandbox: a local stand-in for Whop's OAuth endpoints and API v1 (and for OpenAI's,
//! Anthropic's, DocuSign's and Dropbox Sign's APIs), for the demo mode and for tests in other processes. Prints its URLs, then serves
//! until SIGINT/SIGTERM.

use std::io::Write;

use clap::Parser;
use dealdesk_sandbox::{Mutation, SANDBOX_AI_KEY, Sandbox, SandboxConfig};

#[derive(Parser, Debug)]
#[command(
    name = "dealdesk-sandbox",
    about = "Local stand-in for Whop OAuth + API v1, OpenAI, Anthropic, DocuSign and Dropbox Sign"
)]
struct Args {
    /// Port on 127.0.0.1 (0 = pick a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long, default_value_t = 50)]
    members: usize,
    /// Defaults to 1.5 × members.
    #[arg(long)]
    memberships: Option<usize>,
    /// Defaults to 5 × members.
    #[arg(long)]
    payments: Option<usize>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The seller's business accounts (1 to 4): with more than one, Dealdesk asks which to sync.
    #[arg(long, default_value_t = 1)]
    businesses: usize,
    /// The permissions the app declared on Whop, comma-separated (default: all it can need); a
    /// login is granted only these, so missing ones show as 403s.
    #[arg(long, value_delimiter = ',')]
    app_permissions: Option<Vec<String>>,
    /// Skip the consent page and redirect with a code immediately.
    #[arg(long)]
    auto_approve: bool,
    /// Apply a small mutation (1 member, 3 payments, 1 cancellation) every SECS seconds.
    #[arg(long, value_name = "SECS")]
    mutate_every: Option<u64>,
    /// The key the OpenAI- and Anthropic-style routes accept (Bearer / x-api-key).
    #[arg(long, default_value = SANDBOX_AI_KEY)]
    ai_api_key: String,
    /// Move every sent envelope / signature request one step (viewed, then one signature) per N seconds.
    #[arg(long, value_name = "N")]
    esign_auto_advance_secs: Option<u64>,
    /// End the seeded history now (the wall clock) instead of near 2026-09-01, so this month has
    /// renewals, failed payments awaiting their retry and trials ending.
    #[arg(long)]
    history_ends_now: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr so stdout carries only the machine-readable lines below.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let args = Args::parse();
    let mut config = SandboxConfig::with_members(args.members);
    config.port = args.port;
    config.seed = args.seed;
    config.businesses = args.businesses;
    config.app_permissions = args.app_permissions;
    config.auto_approve = args.auto_approve;
    config.ai_api_key = args.ai_api_key;
    config.esign_auto_advance_secs = args.esign_auto_advance_secs;
    if args.history_ends_now {
        config.history_ends_at_ms = Some(chrono::Utc::now().timestamp_millis());
    }
    if let Some(n) = args.memberships {
        config.memberships = n;
    }
    if let Some(n) = args.payments {
        config.payments = n;
    }
    let client_id = config.client_id.clone();
    let sandbox = Sandbox::start(config).await?;

    announce(&sandbox, &client_id)?;

    if let Some(secs) = args.mutate_every.filter(|s| *s > 0) {
        let period = std::time::Duration::from_secs(secs);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let stop = shutdown_signal();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let r = sandbox.mutate(Mutation {
                        new_members: 1,
                        new_payments: 3,
                        cancellations: 1,
                        ..Mutation::default()
                    });
                    tracing::info!(
                        members = r.created_member_ids.len(),
                        payments = r.created_payment_ids.len(),
                        canceled = r.canceled_membership_ids.len(),
                        "applied periodic mutation"
                    );
                }
                () = &mut stop => break,
            }
        }
    } else {
        shutdown_signal().await;
    }
    sandbox.shutdown().await;
    Ok(())
}

/// The exact lines other processes parse to find the sandbox.
#[allow(clippy::print_stdout)]
fn announce(sandbox: &Sandbox, client_id: &str) -> anyhow::Result<()> {
    println!("api: {}", sandbox.api_url());
    println!("oauth: {}", sandbox.oauth_url());
    println!("client_id: {client_id}");
    println!("openai: {}", sandbox.openai_base_url());
    println!("anthropic: {}", sandbox.anthropic_base_url());
    println!("ai_key: {}", sandbox.ai_api_key());
    println!("docusign_oauth: {}", sandbox.docusign_oauth_url());
    println!("docusign_api: {}", sandbox.docusign_api_url());
    println!("docusign_client_id: {}", sandbox.docusign_client_id());
    println!("dropbox_sign_api: {}", sandbox.dropbox_sign_api_url());
    println!("dropbox_sign_key: {}", sandbox.dropbox_sign_api_key());
    println!("ready");
    std::io::stdout().flush()?;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the sandbox");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
