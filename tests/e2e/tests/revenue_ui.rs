//! The revenue desk in the real window, against the Whop sandbox: Recover lists the failed
//! payments, queues a Retry through the same confirmation as a person's Whop card (and Whop gets
//! it once), offers a Whop message to edit and a follow-up task; Revenue shows MRR per month with
//! the customers behind a figure, and the cohort grid; the sidebar's "Past due" churn segment
//! opens Churn on its customers, each with an at-risk score and its reasons.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use anyhow::{Context, Result};
use dealdesk_core::whop::WhopConfig;
use dealdesk_core::{App, AppOptions};
use dealdesk_e2e::{Session, run_cli, screenshot_path, text_of};
use dealdesk_model::revenue::AT_RISK_SCORE;
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use std::time::{Duration, Instant};

/// Signs the data folder in to the sandbox and syncs it, through the core (tokens go to the OS
/// keyring, as the app's own Connect does; the deep-link flow has its own test in whop_ui.rs).
async fn prepare(dir: &std::path::Path, sandbox: &Sandbox) -> Result<()> {
    let mut config =
        WhopConfig::for_server(&sandbox.api_url(), &sandbox.oauth_url(), dealdesk_sandbox::DEFAULT_CLIENT_ID);
    config.max_requests_per_second = None;
    let app = App::open_with(dir, AppOptions { secrets: None, whop: Some(config), ai: None, esign: None }).await?;
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await?;
    let link = sandbox.approve_in_browser(&start.authorize_url).await?;
    app.whop().handle_deep_link(&link).await?;
    app.whop().sync(&|_| {}).await?;
    app.close().await;
    Ok(())
}

/// Waits (up to 10 s) until nothing matches `css` (a dialog or panel closed).
async fn wait_gone(session: &Session, css: &str) -> Result<()> {
    let start = Instant::now();
    let script = format!("return !!document.querySelector({css:?})");
    while session.js(&script).await? == serde_json::Value::Bool(true) {
        anyhow::ensure!(start.elapsed() < Duration::from_secs(10), "{css} is still open after 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test]
#[ignore = "desktop end-to-end: run through `cargo xtask test`"]
async fn recover_a_failed_payment_then_read_the_revenue_desk() -> Result<()> {
    // A history that ends now, as a live business's does: this month has its renewals and failures.
    let ends_now = Some(chrono::Utc::now().timestamp_millis());
    let sandbox =
        Sandbox::start(SandboxConfig { history_ends_at_ms: ends_now, ..SandboxConfig::with_members(120) }).await?;
    let dir = tempfile::tempdir()?;
    prepare(dir.path(), &sandbox).await?;
    let env = [
        ("DEALDESK_WHOP_API_URL", sandbox.api_url()),
        ("DEALDESK_WHOP_OAUTH_URL", sandbox.oauth_url()),
        ("DEALDESK_WHOP_CLIENT_ID", dealdesk_sandbox::DEFAULT_CLIENT_ID.to_string()),
        ("DEALDESK_WHOP_MAX_RPS", "0".to_string()),
        // The AI drafts a Recover message: the sandbox's OpenAI-compatible endpoint.
        ("DEALDESK_AI_PROVIDER", "openai".to_string()),
        ("DEALDESK_AI_BASE_URL", sandbox.openai_base_url()),
        ("DEALDESK_AI_MODEL", "sandbox-gpt".to_string()),
        ("DEALDESK_AI_API_KEY", dealdesk_sandbox::SANDBOX_AI_KEY.to_string()),
    ];
    let session = Session::start_with_env(dir, &env).await?;
    let result = async {
        // Recover: the failed payments, most at stake first, under this month's recovery.
        session.go("Recover").await?;
        session.find("#recover-table .recover-row").await?;
        session.wait_for_text("#recover-count", "to recover").await?;
        session.find("#recover-recovered").await?;
        session.find("#recover-rate").await?;
        let at_stake = text_of(&session.find("#recover-at-stake").await?).await?;
        assert!(at_stake.chars().any(|c| c.is_ascii_digit()), "something is at stake: {at_stake}");
        let rows = session.js("return document.querySelectorAll('#recover-table .recover-row').length").await?;
        assert!(rows.as_u64().unwrap_or_default() >= 1, "{rows} rows to recover");
        session.find("#recover-page h1").await?.click().await?;
        session.screenshot(&screenshot_path("recover.png")).await?;

        // Revenue: the month at a glance, MRR per month, its movement, and the cohort grid.
        session.go("Revenue").await?;
        session.find("#revenue-summary").await?;
        session.wait_for_text("#revenue-mrr-now", "USD").await?;
        session.find("#revenue-mrr-chart .bar rect").await?;
        session.find("#revenue-movements .revenue-month").await?;
        session.find("#revenue-cohort-grid .cohort-cell[data-shade]").await?;
        session.wait_for_text("#revenue-cohort-grid .cohort-cell", "%").await?;
        session.find("#revenue-ltv").await?;
        session.find("#revenue-top-customers").await?;
        session.find("#revenue-page h1").await?.click().await?;
        session.screenshot(&screenshot_path("revenue.png")).await?;

        // A figure opens the customers behind it, each a link to their page; Close closes.
        // (Brought to the middle of the window first: the toasts of the retries sit at its foot.)
        session
            .js("document.querySelector('#revenue-movements .figure-btn[data-movement=\"mrr\"]').scrollIntoView({block: 'center'})")
            .await?;
        session.find("#revenue-movements .figure-btn[data-movement=\"mrr\"]").await?.click().await?;
        session.find("#revenue-drill").await?;
        session.find("#revenue-drill .revenue-drill-row").await?;
        session.wait_for_text("#revenue-drill-count", "customer").await?;
        session.find("#revenue-drill-close").await?.click().await?;
        wait_gone(&session, "#revenue-drill").await?;

        // So do a cohort cell (as many customers as the cell counts), a month's net revenue (what
        // each paid) and an LTV row.
        for (figure, paid) in [
            ("#revenue-cohort-grid .cohort-cell .figure-btn", false),
            ("#revenue-net .revenue-net-value .figure-btn", true),
            ("#revenue-ltv .figure-btn", true),
        ] {
            session.js(&format!("document.querySelector('{figure}').scrollIntoView({{block: 'center'}})")).await?;
            session.find(figure).await?.click().await?;
            if session.find("#revenue-drill .revenue-drill-row").await.is_err() {
                session.screenshot(&std::env::temp_dir().join("dealdesk-e2e-figure.png")).await?;
                let panel = text_of(&session.find("#revenue-drill").await?).await?;
                anyhow::bail!("{figure} opened no customers: {panel}");
            }
            session.wait_for_text("#revenue-drill-count", "customer").await?;
            let amounts = session.js("return document.querySelectorAll('#revenue-drill .revenue-drill-row td.num').length").await?;
            assert_eq!(amounts.as_u64().unwrap_or_default() > 0, paid, "{figure}: amounts shown only where there are any");
            if figure.contains("net") {
                session.screenshot(&screenshot_path("revenue-figure.png")).await?;
            }
            session.find("#revenue-drill-close").await?.click().await?;
            wait_gone(&session, "#revenue-drill").await?;
        }

        // Churn: the sidebar's "Past due" entry names its count ("Past due: 3 customers") and opens
        // the segment, highest at-risk score first, each score a badge with the reasons behind it.
        let entry = session.find("#nav-churn-past_due[aria-label^=\"Past due: \"]").await?;
        let label = entry.attr("aria-label").await?.unwrap_or_default();
        assert!(label.contains("customer"), "the count's accessible name: {label}");
        entry.click().await?;
        session.find("#churn-page").await?;
        session.find("#churn-segment-past_due[aria-current=\"page\"]").await?;
        session.find("#churn-table[data-segment=\"past_due\"] .churn-row").await?;
        session.wait_for_text("#churn-count", "customer").await?;
        let badge = session.find("#churn-table .churn-row .churn-score[data-level]").await?;
        let score: u32 = badge.attr("data-score").await?.unwrap_or_default().parse()?;
        assert!(score >= AT_RISK_SCORE, "past due alone puts a customer at risk: {score}");
        session.wait_for_text("#churn-table .churn-row .churn-score", "At risk").await?;
        session.wait_for_text("#churn-table .churn-row .churn-reasons li", "Payment past due").await?;
        session.find("#churn-table .churn-row .churn-chips li[data-segment=\"past_due\"]").await?;
        session.find("#churn-page h1").await?.click().await?;
        session.screenshot(&screenshot_path("churn.png")).await?;
        // The segment as a view of people: People opens filtered to it (a filter to refine and
        // save like any other), listing the segment's customers who are people.
        let people = session.js("return document.querySelectorAll('#churn-table .churn-row[data-person]').length").await?;
        let people = people.as_u64().unwrap_or_default();
        assert!(people > 0, "the past-due customers are people");
        session.find("#churn-open-people").await?.click().await?;
        session.wait_for_text("#record-count", &people.to_string()).await?;
        let filter = session.js("return document.querySelector('#filter-churn').value").await?;
        assert_eq!(filter.as_str(), Some("past_due"), "the People table's churn filter");
        session.find(".tr[role=\"row\"][data-id]").await?;
        session.screenshot(&screenshot_path("people-churn-segment.png")).await?;
        // Back on Recover: act on what failed.
        session.go("Recover").await?;
        session.find("#recover-table .recover-row").await?;

        // Message on Whop: the text starts from a template, the AI can draft it from the customer's
        // history (told what failed), and it is edited before anything goes out; going back sends
        // nothing.
        session.find(".recover-row[data-person] .recover-message").await?.click().await?;
        session.find("#recover-message-dialog").await?;
        let text_now = || session.js("return document.querySelector('#recover-message-text').value");
        let text = text_now().await?;
        assert!(text.as_str().unwrap_or_default().starts_with("Hi"), "the template: {text}");
        session.wait_for_text("#recover-message-dialog", "characters").await?;
        session.find("#recover-message-email").await?;
        session.find("#recover-message-ai").await?.click().await?;
        let mut drafted = String::new();
        for _ in 0..150 {
            drafted = text_now().await?.as_str().unwrap_or_default().to_string();
            if drafted.contains("Reference:") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(drafted.contains("Thanks for your time recently"), "the AI's draft fills the text: {drafted}");
        let asked = sandbox.ai_requests();
        let prompt = asked.last().map(|r| r.body.to_string()).unwrap_or_default();
        assert!(prompt.contains("asking them to update their payment method"), "the AI was told: {prompt}");
        session.find("#recover-message-ai:not([disabled])").await?;
        session.screenshot(&screenshot_path("recover-message.png")).await?;
        session.wait_for_text("#recover-message-dialog .btn.ghost", "Back").await?.click().await?;
        wait_gone(&session, "#recover-message-dialog").await?;
        assert!(sandbox.writes().iter().all(|w| !w.path.contains("messages")), "nothing was sent");

        // Retry payment on a retryable row: the shared confirmation, a toast, and Whop gets it once.
        // (The seed's "Insufficient funds." payment is the one Whop declines again: see below.)
        let pick = |declined: bool| {
            format!(
                "const rows = [...document.querySelectorAll('.recover-row[data-retryable=\"true\"]')]; \
                 const row = rows.find(r => r.querySelector('.recover-failure').textContent.includes('Insufficient funds') === {declined}); \
                 return row ? row.dataset.payment : null"
            )
        };
        let payment = session.js(&pick(false)).await?.as_str().context("a retryable row Whop will charge")?.to_string();
        let selector = format!(".recover-row[data-payment=\"{payment}\"]");
        session.find(&format!("{selector} .whop-action-retry-payment")).await?.click().await?;
        session.find("#whop-action-dialog").await?;
        session.wait_for_text("#whop-action-explanation", &payment).await?;
        session.find("#whop-action-confirm").await?.click().await?;
        session.wait_for_text(".toast", "is queued").await?;
        let start = Instant::now();
        loop {
            let retries =
                sandbox.writes().into_iter().filter(|w| w.path.ends_with(&format!("{payment}/retry"))).count();
            if retries > 0 {
                assert_eq!(retries, 1, "the retry reached Whop once");
                break;
            }
            anyhow::ensure!(start.elapsed() < Duration::from_secs(60), "the retry of {payment} never reached Whop");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // A retry Whop declines: queued like the other, then refused with Whop's reason, which the
        // outbox keeps (and the payment stays on the list).
        let declined = session.js(&pick(true)).await?.as_str().context("the payment Whop declines")?.to_string();
        let selector = format!(".recover-row[data-payment=\"{declined}\"]");
        session.find(&format!("{selector} .whop-action-retry-payment")).await?.click().await?;
        session.find("#whop-action-dialog").await?;
        session.find("#whop-action-confirm").await?.click().await?;
        let start = Instant::now();
        loop {
            let list = run_cli(session.data_path(), &["outbox", "list", "--json"])?;
            let entries: serde_json::Value = serde_json::from_str(&list)?;
            let refused = entries.as_array().into_iter().flatten().find(|e| {
                e["summary"].as_str().unwrap_or_default().contains(&declined)
                    && e["last_error"].as_str().unwrap_or_default().contains("declined")
            });
            if refused.is_some() {
                break;
            }
            anyhow::ensure!(start.elapsed() < Duration::from_secs(60), "Whop's refusal never showed: {list}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert!(sandbox.writes().iter().all(|w| !w.path.ends_with(&format!("{declined}/retry"))), "nothing applied");
        session.find(&selector).await?;

        // Add task: a follow-up task on the customer, named after what failed.
        session.find(".recover-row .recover-add-task").await?.click().await?;
        session.wait_for_text(".toast", "Follow up on failed payment").await?;
        session.wait_for_text(".recover-row .recover-add-task", "Task added").await?;

        // The customer's name opens their person page.
        let link = session.find(".recover-row .person-link").await?;
        let name = text_of(&link).await?;
        link.click().await?;
        session.wait_for_text("#person-page h1", name.split_whitespace().next().unwrap_or_default()).await?;

        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = session.screenshot(&std::env::temp_dir().join("dealdesk-e2e-revenue.png")).await;
    }
    session.quit().await?;
    result
}
