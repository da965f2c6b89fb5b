//! Offline in the real window: Whop goes away, the user pauses a membership, the top bar says
//! "Offline" and "1 change waiting"; Whop comes back and the change goes out and clears by itself.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use anyhow::Result;
use dealdesk_core::whop::WhopConfig;
use dealdesk_core::{App, AppOptions};
use dealdesk_e2e::thirtyfour::Key;
use dealdesk_e2e::{Session, screenshot_path};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use std::time::{Duration, Instant};

/// Signs the data folder in to the sandbox and syncs it, through the core (tokens go to the OS
/// keyring, as the app's own Connect does; the deep-link flow has its own test in whop_ui.rs).
async fn prepare(dir: &std::path::Path, sandbox: &Sandbox) -> Result<(String, String)> {
    let mut config =
        WhopConfig::for_server(&sandbox.api_url(), &sandbox.oauth_url(), dealdesk_sandbox::DEFAULT_CLIENT_ID);
    config.max_requests_per_second = None;
    let app = App::open_with(dir, AppOptions { secrets: None, whop: Some(config), ai: None, esign: None }).await?;
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await?;
    let link = sandbox.approve_in_browser(&start.authorize_url).await?;
    app.whop().handle_deep_link(&link).await?;
    app.whop().sync(&|_| {}).await?;
    let (membership, name): (String, String) = sqlx::query_as(
        "SELECT m.id, p.first_name || ' ' || p.last_name FROM whop_membership m
         JOIN whop_person wp ON wp.user_id = m.user_id JOIN person p ON p.id = wp.person_id
         WHERE m.status = 'active' AND coalesce(m.payment_collection_paused, 0) = 0 ORDER BY m.id LIMIT 1",
    )
    .fetch_one(app.store().pool())
    .await?;
    app.close().await;
    Ok((membership, name))
}

#[tokio::test]
#[ignore = "desktop end-to-end: run through `cargo xtask test`"]
async fn a_change_made_offline_waits_then_clears_when_whop_is_back() -> Result<()> {
    let mut sandbox = Sandbox::start(SandboxConfig::with_members(60)).await?;
    let dir = tempfile::tempdir()?;
    let (membership, name) = prepare(dir.path(), &sandbox).await?;
    let env = [
        ("DEALDESK_WHOP_API_URL", sandbox.api_url()),
        ("DEALDESK_WHOP_OAUTH_URL", sandbox.oauth_url()),
        ("DEALDESK_WHOP_CLIENT_ID", dealdesk_sandbox::DEFAULT_CLIENT_ID.to_string()),
        ("DEALDESK_WHOP_MAX_RPS", "0".to_string()),
    ];
    let session = Session::start_with_env(dir, &env).await?;
    let result = async {
        // Open the customer's page (once the window is up).
        session.go("People").await?;
        session.find("body").await?.send_keys(Key::Control + "k").await?;
        let input = session.find("#palette-input").await?;
        input.send_keys(name.as_str()).await?;
        session.wait_for_text(".palette-item[data-kind=person]", &name).await?;
        input.send_keys(Key::Enter).await?;
        session.wait_for_text("#whop-person", "payments").await?;

        // The network goes away; the user pauses the membership anyway.
        sandbox.stop_listening().await;
        let row = format!(".whop-membership[data-membership=\"{membership}\"]");
        session.find(&format!("{row} .whop-action-pause")).await?.click().await?;
        session.find("#whop-action-dialog").await?;
        session.find("#whop-action-confirm").await?.click().await?;
        session.wait_for_text("#outbox-status", "1 change waiting").await?;
        session.wait_for_text("#offline-indicator", "Offline").await?;
        session.wait_for_text(&format!("{row} .pending-badge"), "Waiting").await?;
        session.screenshot(&screenshot_path("offline.png")).await?;
        assert!(sandbox.writes().is_empty());

        // Whop is back: the probe notices, the worker sends, the badge and the count clear.
        sandbox.start_listening().await?;
        let start = Instant::now();
        loop {
            let waiting =
                session.js("const e = document.querySelector('#outbox-status'); return e ? e.textContent : ''").await?;
            if !waiting.as_str().unwrap_or_default().contains("waiting") && !sandbox.writes().is_empty() {
                break;
            }
            anyhow::ensure!(start.elapsed() < Duration::from_secs(60), "the change still waits: {waiting}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        session.wait_for_no_text("#offline-indicator", "Offline").await?;
        session.wait_for_no_text(&format!("{row} .pending-badge"), "Waiting").await?;
        let writes = sandbox.writes();
        assert_eq!(writes.len(), 1, "sent exactly once");
        assert!(writes[0].path.ends_with(&format!("{membership}/pause")), "{writes:?}");
        assert_eq!(sandbox.membership(&membership).unwrap()["payment_collection_paused"], true);
        session.screenshot(&screenshot_path("online-again.png")).await?;
        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = session.screenshot(&std::env::temp_dir().join("dealdesk-e2e-offline.png")).await;
    }
    session.quit().await?;
    result
}
