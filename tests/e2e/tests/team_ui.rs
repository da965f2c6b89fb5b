//! A team workspace in two real windows on one hub (a private PostgreSQL): the owner makes the
//! workspace and invites in Settings → Team, a second desktop joins with the code; an edit in one
//! window appears in the other; both go offline, both edit the same field, and after the hub is
//! back both show the later edit (per field, the later change wins).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use anyhow::{Context, Result, anyhow};
use dealdesk_e2e::thirtyfour::Key;
use dealdesk_e2e::{Session, run_cli, screenshot_path};
use dealdesk_team::test_support::PrivatePostgres;
use std::path::PathBuf;

/// The second desktop runs the same app from another path, so each session stops only its own
/// window when it ends (the harness stops instances by executable).
fn second_binary() -> Result<PathBuf> {
    let app = Session::app_binary()?;
    let second = app.with_file_name("dealdesk-second-desktop");
    let _ = std::fs::remove_file(&second);
    if std::fs::hard_link(&app, &second).is_err() {
        std::fs::copy(&app, &second).context("copying the app for the second window")?;
    }
    Ok(second)
}

/// Brings `front` to the screen's corner and moves `back` off the screen, so a capture of the
/// display shows `front` (both windows share one display, with no window manager to raise one).
async fn show(front: &Session, back: &Session) -> Result<()> {
    back.driver.set_window_rect(1400, 0, 1200, 780).await.context("moving a window aside")?;
    front.driver.set_window_rect(0, 0, 1200, 780).await.context("moving a window back")?;
    Ok(())
}

async fn open_team_settings(session: &Session) -> Result<()> {
    session.go("Settings").await?;
    session.find("button.tab[data-tab=\"team\"]").await?.click().await?;
    Ok(())
}

/// Edits a person's email in the People table, as a user does (double-click, type, Enter).
async fn edit_email(session: &Session, from: &str, to: &str) -> Result<()> {
    session.go("People").await?;
    let cell = session.wait_for_text("#people-table .td[data-col=email]", from).await?;
    session.driver.action_chain().double_click_element(&cell).perform().await?;
    session.type_into(".cell-input", to).await?;
    session.find(".cell-input").await?.send_keys(Key::Enter).await?;
    session.wait_for_text("#people-table .td[data-col=email]", to).await?;
    Ok(())
}

#[tokio::test]
#[ignore = "desktop end-to-end: run through `cargo xtask test`"]
async fn two_windows_share_a_workspace_and_agree_after_both_edited_offline() -> Result<()> {
    let server = PrivatePostgres::start().map_err(|e| anyhow!(e))?;
    server.owner_database("hub").map_err(|e| anyhow!(e))?;
    let (url, password) = server.owner_url("hub");
    // Sync every second (10 s by default), so the test waits little.
    let env = [("DEALDESK_TEAM_SYNC_SECS", "1".to_string())];

    // The owner's desktop has a customer before the workspace exists.
    let owner_dir = tempfile::tempdir()?;
    run_cli(
        owner_dir.path(),
        &["people", "add", "--first-name", "Grace", "--last-name", "Hopper", "--email", "grace@acme.com"],
    )?;
    let owner = Session::start_with_env(owner_dir, &env).await?;
    let mut second = None;
    let result = async {
        open_team_settings(&owner).await?;
        owner.type_into("#team-url", &url).await?;
        owner.type_into("#team-password", &password).await?;
        owner.type_into("#team-name", "Acme sales").await?;
        owner.type_into("#team-email", "ann@acme.com").await?;
        owner.find("#team-create-submit").await?.click().await?;
        owner.wait_for_text("#team-status", "Acme sales").await?;
        owner.wait_for_text("#team-sync-state", "Team: synced").await?;

        owner.type_into("#team-invite-email", "bob@acme.com").await?;
        owner.find("#team-invite-submit").await?.click().await?;
        let code = owner.find("#team-invite-code").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(code.starts_with("ddj1."), "a join code: {code}");

        // The second desktop joins with the code, in its own window and data folder.
        let bob_dir = tempfile::tempdir()?;
        let store = dealdesk_core::store::Store::open(bob_dir.path()).await?;
        store.set_setting(dealdesk_core::support::WELCOME_DISMISSED_KEY, &true).await?;
        store.close().await;
        // `--own-window`: beside the owner's window, not handed over to it (decision 0027).
        let bob =
            second.insert(Session::start_app_with_args(&second_binary()?, bob_dir, &env, &["--own-window"]).await?);
        open_team_settings(bob).await?;
        bob.type_into("#team-join-code", &code).await?;
        bob.find("#team-join-submit").await?.click().await?;
        bob.wait_for_text("#team-status", "Acme sales").await?;
        bob.wait_for_text("#team-status", "bob@acme.com").await?;
        bob.go("People").await?;
        bob.wait_for_text("#people-table .td[data-col=name]", "Grace Hopper").await?;
        owner.wait_for_text(".team-member[data-email=\"bob@acme.com\"]", "Joined").await?;
        show(&owner, bob).await?;
        owner.screenshot(&screenshot_path("team-settings.png")).await?;

        // An edit in one window appears in the other.
        run_cli(owner.data_path(), &["people", "add", "--first-name", "Ada", "--last-name", "Lovelace"])?;
        bob.wait_for_text("#people-table .td[data-col=name]", "Ada Lovelace").await?;

        // The hub goes away; both edit Grace's email, the second desktop last.
        server.pause().map_err(|e| anyhow!(e))?;
        owner.wait_for_text("#team-sync-state", "Team: offline").await?;
        bob.wait_for_text("#team-sync-state", "Team: offline").await?;
        edit_email(&owner, "grace@acme.com", "grace@oslo.no").await?;
        edit_email(bob, "grace@acme.com", "grace@rome.it").await?;
        bob.wait_for_text("#team-sync-state", "Team: offline").await?;
        show(bob, &owner).await?;
        bob.screenshot(&screenshot_path("team-offline.png")).await?;

        // The hub is back: both windows show the later edit, by themselves.
        server.resume().map_err(|e| anyhow!(e))?;
        bob.wait_for_text("#team-sync-state", "Team: synced").await?;
        owner.wait_for_text("#people-table .td[data-col=email]", "grace@rome.it").await?;
        owner.wait_for_text("#team-sync-state", "Team: synced").await?;
        bob.wait_for_text("#people-table .td[data-col=email]", "grace@rome.it").await?;
        show(&owner, bob).await?;
        owner.screenshot(&screenshot_path("team-converged.png")).await?;
        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = owner.screenshot(&std::env::temp_dir().join("dealdesk-e2e-team-owner.png")).await;
        if let Some(bob) = &second {
            let _ = bob.screenshot(&std::env::temp_dir().join("dealdesk-e2e-team-second.png")).await;
        }
    }
    if let Some(bob) = second {
        bob.quit().await?;
    }
    owner.quit().await?;
    result
}
