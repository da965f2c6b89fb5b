//! The first window: lists people and deals from the database, adds a person.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::App;
use dealdesk_e2e::Session;
use dealdesk_model::{Money, NewDeal, NewPerson, UpdateSource};

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn lists_seeded_records_and_adds_a_person_from_the_window() -> anyhow::Result<()> {
    // Seed through the core, as the CLI would, before the app starts.
    let data_dir = tempfile::tempdir()?;
    {
        let app = App::open(data_dir.path()).await?;
        app.crm()
            .create_person(
                NewPerson { first_name: "Grace".into(), last_name: "Hopper".into(), ..Default::default() },
                UpdateSource::Cli,
            )
            .await?;
        app.crm()
            .create_deal(
                NewDeal {
                    id: None,
                    name: "Navy contract".into(),
                    amount: Money::parse("1200.50", "USD")?,
                    close_date: None,
                    pipeline_id: None,
                    stage: Some("PROPOSAL".into()),
                    status: Default::default(),
                    lost_reason: None,
                    contact_id: None,
                    company_id: None,
                    custom: Default::default(),
                },
                UpdateSource::Cli,
            )
            .await?;
        app.close().await;
    }

    let session = Session::start_in(data_dir).await?;
    let result = async {
        session.wait_for_text("#people-table td.name", "Grace Hopper").await?;

        // A bad email is refused in place, and nothing is added.
        session.find("#first-name").await?.send_keys("Ada").await?;
        session.find("#last-name").await?.send_keys("Lovelace").await?;
        session.find("#email").await?.send_keys("ada-at-example").await?;
        session.find("#add-person").await?.click().await?;
        session.wait_for_text(".field-error", "not a valid email").await?;

        let email = session.find("#email").await?;
        email.clear().await?;
        email.send_keys("ada@example.com").await?;
        session.find("#add-person").await?.click().await?;
        session.wait_for_text("#people-table td.name", "Ada Lovelace").await?;
        session.screenshot(&dealdesk_e2e::screenshot_path("people.png")).await?;

        // It is in the database, not only on screen.
        let app = App::open(session.data_path()).await?;
        let ada = app.crm().find_person_by_email("ada@example.com").await?;
        app.close().await;
        anyhow::ensure!(ada.is_some_and(|p| p.first_name == "Ada"), "Ada is not in the database");

        session.wait_for_text("a.nav-item", "Deals").await?.click().await?;
        let row = session.wait_for_text("#deals-table tr", "Navy contract").await?;
        let text = dealdesk_e2e::text_of(&row).await?;
        anyhow::ensure!(text.contains("1,200.50 USD") && text.contains("PROPOSAL"), "deal row shows: {text}");
        session.screenshot(&dealdesk_e2e::screenshot_path("deals.png")).await?;
        anyhow::Ok(())
    }
    .await;
    if result.is_err() {
        let _ = session.screenshot(&std::env::temp_dir().join("dealdesk-e2e-failure.png")).await;
    }
    session.quit().await?;
    result
}
