//! Connect Whop in the real window: the consent page in "the browser" (this test), the
//! `dealdesk://` redirect handed to the running app by a second instance, then a sync with its
//! progress and history, and a refused link shown in the UI.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use anyhow::{Context, Result, bail};
use dealdesk_e2e::thirtyfour::Key;
use dealdesk_e2e::{Session, run_cli, screenshot_path, text_of};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use std::process::Command;
use std::time::{Duration, Instant};

/// Starts the app binary again with `link` as its argument, as the OS does for a dealdesk://
/// URL, and waits for it to hand the link over and exit.
fn open_link_with_second_instance(session: &Session, link: &str) -> Result<()> {
    let mut second = Command::new(Session::app_binary()?)
        .arg("--data-dir")
        .arg(session.data_path())
        .arg(link)
        .spawn()
        .context("starting the second instance")?;
    let start = Instant::now();
    loop {
        if let Some(status) = second.try_wait()? {
            if !status.success() {
                bail!("the second instance exited with {status}");
            }
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = second.kill();
            bail!("the second instance kept running instead of handing the link over");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
#[ignore = "desktop end-to-end: run through `cargo xtask test`"]
async fn connect_whop_through_a_deep_link_then_sync() -> Result<()> {
    // Two business accounts, and a Whop app that did not declare `promo_code:delete`: the seller
    // chooses what syncs, and the screen names the missing permission.
    let declared: Vec<String> =
        dealdesk_sandbox::contract::all_permissions().into_iter().filter(|p| p != "promo_code:delete").collect();
    let config = SandboxConfig { businesses: 2, app_permissions: Some(declared), ..SandboxConfig::with_members(120) };
    let sandbox = Sandbox::start(config).await?;
    let env = [
        ("DEALDESK_WHOP_API_URL", sandbox.api_url()),
        ("DEALDESK_WHOP_OAUTH_URL", sandbox.oauth_url()),
        ("DEALDESK_WHOP_CLIENT_ID", dealdesk_sandbox::DEFAULT_CLIENT_ID.to_string()),
        ("DEALDESK_WHOP_MAX_RPS", "0".to_string()),
    ];
    let session = Session::start_with_env(tempfile::tempdir()?, &env).await?;
    let result = async {
        session.go("Whop").await?;
        session.find("#whop-connect").await?.click().await?;
        let url_element = session.wait_for_text("#whop-authorize-url", "http").await?;
        let authorize_url = text_of(&url_element).await?.trim().to_string();
        session.find("#whop-connect-loopback").await?;
        session.screenshot(&screenshot_path("whop-connect.png")).await?;
        // The user approves in the browser; Whop redirects to dealdesk://…
        let link = sandbox.approve_in_browser(&authorize_url).await?;
        assert!(link.starts_with("dealdesk://oauth/whop/callback?"), "{link}");
        open_link_with_second_instance(&session, &link)?;
        session.wait_for_text("#whop-status", "Connected as").await?;

        // Right after login: both business accounts, a choice to make, and the missing permission.
        session.wait_for_text("#whop-choose-businesses", "2 business accounts").await?;
        session.wait_for_text("#whop-permissions-missing", "promo_code:delete").await?;
        session.find("#whop-reconnect").await?;
        let businesses = sandbox.businesses();
        for (id, _) in &businesses {
            // The boxes wait while a choice is saved.
            session.find(&format!("#whop-business-{id}:not([disabled])")).await?.click().await?;
            session.find(&format!(".whop-business[data-account=\"{id}\"][data-selected=\"true\"]")).await?;
        }
        session.wait_for_no_text("#whop-connection", "Choose which ones").await?;

        // The sync right after login had nothing but the accounts to sync; this one has both
        // businesses: one progress row per list (the accounts, then eight lists and the reviews per
        // business), all finished. Rows re-render on every page, so they are counted in the page
        // rather than held as elements.
        session.find("#whop-sync-now:not([disabled])").await?.click().await?;
        let mut rows = serde_json::Value::Null;
        for _ in 0..600 {
            rows = session
                .js("return document.querySelectorAll('#whop-progress .whop-progress-row[data-done=\"true\"]').length")
                .await?;
            if rows.as_u64() == Some(19) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(rows.as_u64(), Some(19), "finished progress rows");
        session.wait_for_text("#whop-progress", "Done: 19 of 19 steps").await?;
        // The pointer leaves Sync now, so its tooltip is not in the screenshots.
        session.find("#whop-page h1").await?.click().await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        session.screenshot(&screenshot_path("whop.png")).await?;

        // One business's revenue: the filter narrows the table to its products.
        let all_rows = session.js("return document.querySelectorAll('#whop-revenue .whop-revenue-row').length").await?;
        let second = &businesses[1].0;
        session.find(&format!("#whop-business-filter option[value=\"{second}\"]")).await?.click().await?;
        let mut narrowed = all_rows.clone();
        for _ in 0..50 {
            narrowed = session.js("return document.querySelectorAll('#whop-revenue .whop-revenue-row').length").await?;
            if narrowed != all_rows {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(narrowed.as_u64() < all_rows.as_u64(), "{narrowed} of {all_rows} revenue rows for one business");
        session.screenshot_element("#whop-permissions", &screenshot_path("whop-permissions.png")).await.ok();

        // The people arrived in the CRM.
        let people = run_cli(session.data_path(), &["people", "list", "--limit", "500", "--json"])?;
        let people: serde_json::Value = serde_json::from_str(&people)?;
        assert!(people.as_array().map_or(0, Vec::len) >= 120, "people from Whop members");

        // The best customer's page: memberships, payments and lifetime value, and the payments
        // on the timeline.
        let db = dealdesk_core::App::open(session.data_path()).await?;
        let (first, last): (String, String) = sqlx::query_as(
            "SELECT p.first_name, p.last_name FROM whop_person wp JOIN person p ON p.id = wp.person_id
             JOIN whop_payment y ON y.user_id = wp.user_id GROUP BY p.id ORDER BY count(*) DESC LIMIT 1",
        )
        .fetch_one(db.store().pool())
        .await?;
        db.close().await;
        session.find("body").await?.send_keys(Key::Control + "k").await?;
        let input = session.find("#palette-input").await?;
        input.send_keys(format!("{first} {last}")).await?;
        session.wait_for_text(".palette-item[data-kind=person]", &first).await?;
        input.send_keys(Key::Enter).await?;
        session.wait_for_text("#person-page h1", &first).await?;
        session.wait_for_text("#whop-person", "payments").await?;
        session.wait_for_text("#timeline", "Whop payment").await?;
        session.screenshot(&screenshot_path("person-whop.png")).await?;

        // A link nobody asked for is refused, visibly, without a crash.
        session.go("Whop").await?;
        session.wait_for_text("#whop-status", "Connected as").await?;
        open_link_with_second_instance(&session, "dealdesk://oauth/whop/callback?code=abc&state=forged")?;
        session.wait_for_text("#whop-login-error", "does not belong to a login in progress").await?;
        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = session.screenshot(&std::env::temp_dir().join("dealdesk-e2e-whop.png")).await;
    }
    session.quit().await?;
    result
}
