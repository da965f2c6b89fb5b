//! The whole CRM from the window: create, edit inline, drag on the board, find with Ctrl+K,
//! delete and undo, and writes from the CLI showing up without a reload. Saves a screenshot of
//! each main screen into docs/screenshots/.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use anyhow::{Context, Result, ensure};
use dealdesk_core::App;
use dealdesk_e2e::thirtyfour::prelude::*;
use dealdesk_e2e::{Session, run_cli, screenshot_path, text_of};
use dealdesk_model::{Money, NewCompany, NewDeal, NewPerson, RecordKind, UpdateSource};
use std::path::Path;
use std::time::Duration;

fn deal(name: &str, amount: &str, stage: &str) -> NewDeal {
    NewDeal {
        id: None,
        name: name.into(),
        amount: Money::parse(amount, "USD").unwrap(),
        close_date: None,
        pipeline_id: None,
        stage: Some(stage.into()),
        status: Default::default(),
        lost_reason: None,
        contact_id: None,
        company_id: None,
        custom: Default::default(),
    }
}

fn person(first: &str, last: &str, email: &str) -> NewPerson {
    NewPerson { first_name: first.into(), last_name: last.into(), email: Some(email.into()), ..Default::default() }
}

/// Seeds a data folder through the core (as the CLI would) before the app starts.
async fn seeded(seed: impl AsyncFnOnce(&App) -> Result<()>) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    let app = App::open(dir.path()).await?;
    seed(&app).await?;
    app.close().await;
    Ok(dir)
}

/// Runs `body` on a session, saving a failure screenshot and always closing the session.
async fn with_session(
    dir: tempfile::TempDir,
    name: &str,
    body: impl AsyncFnOnce(&Session) -> Result<()>,
) -> Result<()> {
    let session = Session::start_in(dir).await?;
    let result = body(&session).await;
    if result.is_err() {
        let _ = session.screenshot(&std::env::temp_dir().join(format!("dealdesk-e2e-{name}.png"))).await;
    }
    session.quit().await?;
    result
}

async fn open_db(path: &Path) -> Result<App> {
    Ok(App::open(path).await?)
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn creates_a_person_a_company_and_a_deal_from_the_window() -> Result<()> {
    let dir = seeded(async |_| Ok(())).await?;
    with_session(dir, "create", async |s| {
        s.find("#new-person").await?.click().await?;
        s.type_into("#new-first-name", "Ada").await?;
        s.type_into("#new-last-name", "Lovelace").await?;
        s.type_into("#new-email", "ada-at-example").await?;
        s.find("#create-submit").await?.click().await?;
        s.wait_for_text(".field-error", "not a valid email").await?;
        s.type_into("#new-email", "ada@example.com").await?;
        s.find("#create-submit").await?.click().await?;
        s.wait_for_text("#people-table .td[data-col=name]", "Ada Lovelace").await?;
        s.wait_for_text(".toast", "Added Ada Lovelace").await?;

        s.go("Companies").await?;
        s.find("#new-company").await?.click().await?;
        s.type_into("#new-company-name", "Analytical Engines").await?;
        s.type_into("#new-domain", "https://www.engines.io/about").await?;
        s.find("#create-submit").await?.click().await?;
        s.wait_for_text("#companies-table .td[data-col=domain]", "engines.io").await?;

        s.go("Deals").await?;
        s.find("#new-deal").await?.click().await?;
        s.type_into("#new-deal-name", "Difference engine").await?;
        s.type_into("#new-amount", "1200.50").await?;
        s.type_into("#new-deal-company", "Analyt").await?;
        s.wait_for_text(".picker-option", "Analytical Engines").await?.click().await?;
        s.find("#create-submit").await?.click().await?;
        let row = s.wait_for_text("#deals-table .tr", "Difference engine").await?;
        let text = text_of(&row).await?;
        ensure!(
            text.contains("1,200.50 USD") && text.contains("NEW") && text.contains("Analytical Engines"),
            "deal row: {text}"
        );

        let app = open_db(s.data_path()).await?;
        let ada = app.crm().find_person_by_email("ada@example.com").await?;
        ensure!(ada.is_some(), "Ada is in the database");
        app.close().await;
        Ok(())
    })
    .await
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn inline_edit_refuses_a_bad_email_in_place_then_saves_a_good_one() -> Result<()> {
    let dir = seeded(async |app| {
        app.crm().create_person(person("Grace", "Hopper", "grace@navy.mil"), UpdateSource::Cli).await?;
        Ok(())
    })
    .await?;
    with_session(dir, "inline-edit", async |s| {
        let cell = s.wait_for_text("#people-table .td[data-col=email]", "grace@navy.mil").await?;
        s.driver.action_chain().double_click_element(&cell).perform().await?;
        s.type_into(".cell-input", "grace-at-navy").await?;
        s.find(".cell-input").await?.send_keys(Key::Enter).await?;
        s.wait_for_text(".cell-error", "not a valid email").await?;
        s.type_into(".cell-input", "grace@hopper.dev").await?;
        s.find(".cell-input").await?.send_keys(Key::Enter).await?;
        s.wait_for_text("#people-table .td[data-col=email]", "grace@hopper.dev").await?;
        let app = open_db(s.data_path()).await?;
        ensure!(app.crm().find_person_by_email("grace@hopper.dev").await?.is_some(), "the edit reached the database");
        app.close().await;
        Ok(())
    })
    .await
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn dragging_a_deal_to_another_stage_moves_it_and_updates_the_totals() -> Result<()> {
    let dir = seeded(async |app| {
        let crm = app.crm();
        let acme =
            crm.create_company(NewCompany { name: "Acme".into(), ..Default::default() }, UpdateSource::Cli).await?;
        let mut first = deal("Acme renewal", "1000", "NEW");
        first.company_id = Some(acme.id);
        crm.create_deal(first, UpdateSource::Cli).await?;
        crm.create_deal(deal("Globex pilot", "250", "NEW"), UpdateSource::Cli).await?;
        crm.create_deal(deal("Initech", "4000", "PROPOSAL"), UpdateSource::Cli).await?;
        Ok(())
    })
    .await?;
    with_session(dir, "board", async |s| {
        s.go("Deal board").await?;
        let column = |stage: &str| format!(".board-column[data-stage={stage}]");
        s.wait_for_text(&format!("{} [data-role=count]", column("NEW")), "2").await?;
        s.wait_for_text(&format!("{} [data-role=total]", column("NEW")), "1,250.00 USD").await?;
        s.screenshot(&screenshot_path("board.png")).await?;

        let card = s.wait_for_text(".card-deal", "Acme renewal").await?;
        let target = s.find(&format!("{} .column-cards", column("MEETING"))).await?;
        s.driver
            .action_chain()
            .move_to_element_center(&card)
            .click_and_hold()
            .move_by_offset(20, 10)
            .move_to_element_center(&target)
            .move_by_offset(0, 5)
            .release()
            .perform()
            .await?;
        s.wait_for_text(&format!("{} [data-role=count]", column("MEETING")), "1").await?;
        s.wait_for_text(&format!("{} [data-role=total]", column("MEETING")), "1,000.00 USD").await?;
        s.wait_for_text(&format!("{} [data-role=count]", column("NEW")), "1").await?;
        s.wait_for_text(&format!("{} [data-role=total]", column("NEW")), "250.00 USD").await?;
        s.wait_for_text(&format!("{} [data-role=weighted]", column("MEETING")), "400.00 USD").await?;

        let app = open_db(s.data_path()).await?;
        let deals = app
            .crm()
            .list_deals(&dealdesk_model::DealQuery { stage: Some("MEETING".into()), ..Default::default() })
            .await?;
        ensure!(
            deals.items.iter().map(|d| d.name.as_str()).collect::<Vec<_>>() == ["Acme renewal"],
            "moved in the database"
        );
        app.close().await;
        Ok(())
    })
    .await
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn ctrl_k_finds_a_record_and_opens_it() -> Result<()> {
    let dir = seeded(async |app| {
        app.crm().create_person(person("Grace", "Hopper", "grace@navy.mil"), UpdateSource::Cli).await?;
        app.crm().create_person(person("Alan", "Turing", "alan@bletchley.uk"), UpdateSource::Cli).await?;
        Ok(())
    })
    .await?;
    with_session(dir, "palette", async |s| {
        s.wait_for_text("#people-table .td[data-col=name]", "Grace Hopper").await?;
        s.find("body").await?.send_keys(Key::Control + "k").await?;
        let input = s.find("#palette-input").await?;
        input.send_keys("grac").await?;
        s.wait_for_text(".palette-item[data-kind=person]", "Grace Hopper").await?;
        s.screenshot(&screenshot_path("palette.png")).await?;
        input.send_keys(Key::Enter).await?;
        s.wait_for_text("#person-page h1", "Grace Hopper").await?;
        s.wait_for_text("#timeline", "created").await?;
        s.screenshot(&screenshot_path("person.png")).await?;

        // `?` shows the shortcuts.
        s.find("body").await?.send_keys("?").await?;
        s.wait_for_text("#help-overlay", "Command palette").await?;
        s.screenshot(&screenshot_path("shortcuts.png")).await?;

        // `/` does what that list says: the palette opens with the cursor in an empty search.
        s.wait_for_text("#help-overlay", "Search: opens the command palette").await?;
        s.find("body").await?.send_keys(Key::Escape).await?;
        s.find("body").await?.send_keys("/").await?;
        s.find("#palette-input").await?;
        let focus = "return [document.activeElement.id, document.activeElement.value]";
        let mut focused = s.js(focus).await?;
        // The palette focuses its field in an effect right after it renders.
        for _ in 0..20 {
            if focused[0] == "palette-input" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            focused = s.js(focus).await?;
        }
        assert_eq!(focused, serde_json::json!(["palette-input", ""]), "the slash is not typed into the search");
        Ok(())
    })
    .await
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn delete_then_undo_from_the_toast() -> Result<()> {
    let dir = seeded(async |app| {
        app.crm().create_person(person("Grace", "Hopper", "grace@navy.mil"), UpdateSource::Cli).await?;
        app.crm().create_person(person("Alan", "Turing", "alan@bletchley.uk"), UpdateSource::Cli).await?;
        Ok(())
    })
    .await?;
    with_session(dir, "undo", async |s| {
        let row = s.wait_for_text("#people-table .tr", "Alan Turing").await?;
        row.find(By::Css("input[type=checkbox]")).await?.click().await?;
        s.wait_for_text("#selection-count", "1 selected").await?;
        s.find("#bulk-delete").await?.click().await?;
        s.wait_for_no_text("#people-table .td[data-col=name]", "Alan Turing").await?;
        s.wait_for_text("#record-count", "1").await?;
        s.wait_for_text(".toast-action", "Undo").await?.click().await?;
        s.wait_for_text("#people-table .td[data-col=name]", "Alan Turing").await?;
        s.wait_for_text("#record-count", "2").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn a_cli_write_shows_up_in_an_open_table_without_reload() -> Result<()> {
    let dir = seeded(async |app| {
        app.crm().create_person(person("Grace", "Hopper", "grace@navy.mil"), UpdateSource::Cli).await?;
        Ok(())
    })
    .await?;
    with_session(dir, "cli-write", async |s| {
        s.wait_for_text("#people-table .td[data-col=name]", "Grace Hopper").await?;
        run_cli(
            s.data_path(),
            &["people", "add", "--first-name", "Katherine", "--last-name", "Johnson", "--email", "kj@nasa.gov"],
        )?;
        s.wait_for_text("#people-table .td[data-col=name]", "Katherine Johnson").await?;
        s.wait_for_text("#record-count", "2").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn every_main_screen_renders_and_is_captured() -> Result<()> {
    let dir = seeded(async |app| {
        let crm = app.crm();
        let acme = crm
            .create_company(
                NewCompany {
                    name: "Acme Studio".into(),
                    domain: Some("acme.studio".into()),
                    icp: true,
                    ..Default::default()
                },
                UpdateSource::Cli,
            )
            .await?;
        let mut ann = person("Ann", "Lee", "ann@acme.studio");
        ann.company_id = Some(acme.id);
        ann.job_title = Some("Founder".into());
        let ann = crm.create_person(ann, UpdateSource::Cli).await?;
        crm.create_person(person("Bob", "Ray", "bob@globex.com"), UpdateSource::Cli).await?;
        for (name, amount, stage) in [
            ("Acme annual", "12000", "PROPOSAL"),
            ("Coaching bundle", "900", "MEETING"),
            ("Community seats", "2400", "NEW"),
        ] {
            let mut d = deal(name, amount, stage);
            d.company_id = Some(acme.id);
            d.contact_id = Some(ann.id);
            crm.create_deal(d, UpdateSource::Cli).await?;
        }
        let target = dealdesk_model::RecordRef { kind: RecordKind::Person, id: ann.id };
        crm.add_note(
            dealdesk_model::NewNote {
                body: "Met at **Whop Summit**; wants a team plan.".into(),
                targets: vec![target],
            },
            UpdateSource::Cli,
        )
        .await?;
        crm.add_task(
            dealdesk_model::NewTask {
                title: "Send the proposal".into(),
                due_at: Some(chrono::Utc::now()),
                targets: vec![target],
                ..Default::default()
            },
            UpdateSource::Cli,
        )
        .await?;
        Ok(())
    })
    .await?;
    with_session(dir, "screens", async |s| {
        s.wait_for_text("#people-table .td[data-col=name]", "Ann Lee").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        s.screenshot(&screenshot_path("people.png")).await?;
        for (label, ready, file) in [
            ("Companies", "#companies-table .td[data-col=name]", "companies.png"),
            ("Deals", "#deals-table .td[data-col=name]", "deals.png"),
            ("Tasks", "#tasks-table .td[data-col=title]", "tasks.png"),
        ] {
            s.go(label).await?;
            s.find(ready).await.with_context(|| format!("{label} shows rows"))?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            s.screenshot(&screenshot_path(file)).await?;
        }
        s.go("Dashboard").await?;
        s.wait_for_text("#kpi-open", "USD").await?;
        s.find("svg.chart").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        s.screenshot(&screenshot_path("dashboard.png")).await?;
        s.go("Notes").await?;
        s.wait_for_text(".markdown strong", "Whop Summit").await?;
        s.screenshot(&screenshot_path("notes.png")).await?;
        s.go("Settings").await?;
        s.find("#pipelines-editor").await?;
        s.screenshot(&screenshot_path("settings.png")).await?;
        s.go("Deals").await?;
        s.wait_for_text("#deals-table .td[data-col=name] a", "Acme annual").await?.click().await?;
        s.wait_for_text("#deal-page h1", "Acme annual").await?;
        s.screenshot(&screenshot_path("deal.png")).await?;
        Ok(())
    })
    .await
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn design_system_components_are_captured() -> Result<()> {
    let dir = seeded(async |_| Ok(())).await?;
    with_session(dir, "gallery", async |s| {
        s.find("#people-table, .empty").await?;
        s.js("window.location.hash = '#/design'; return 0;").await?;
        s.find("#gallery").await?;
        tokio::time::sleep(Duration::from_millis(600)).await;
        for section in ["button", "input", "select", "badge", "card", "empty", "table", "chart"] {
            s.screenshot_element(
                &format!("#gallery-{section}"),
                &screenshot_path(&format!("components/{section}.png")),
            )
            .await?;
        }
        s.find("#g-open-modal").await?.click().await?;
        s.find("#g-modal").await?;
        s.screenshot(&screenshot_path("components/modal.png")).await?;
        s.find("#g-modal-name").await?.send_keys(Key::Escape).await?;
        s.find("#g-open-drawer").await?.click().await?;
        s.find("#g-drawer").await?;
        s.screenshot(&screenshot_path("components/drawer.png")).await?;
        s.find("body").await?.send_keys(Key::Escape).await?;
        s.js("document.querySelector('#g-drawer')?.parentElement?.click(); return 0;").await?;
        s.find("#g-toast").await?.click().await?;
        s.wait_for_text(".toast", "Deleted 3 people").await?;
        s.screenshot(&screenshot_path("components/toast.png")).await?;
        Ok(())
    })
    .await
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn filters_columns_and_saved_views_shape_the_deals_table() -> Result<()> {
    let dir = seeded(async |app| {
        for (name, amount, stage) in
            [("Small new", "50", "NEW"), ("Big new", "5000", "NEW"), ("Big meeting", "7000", "MEETING")]
        {
            app.crm().create_deal(deal(name, amount, stage), UpdateSource::Cli).await?;
        }
        Ok(())
    })
    .await?;
    with_session(dir, "views", async |s| {
        s.go("Deals").await?;
        s.wait_for_text("#record-count", "3").await?;
        // A select filter and an amount range.
        s.find("#filter-stage").await?.click().await?;
        s.find("#filter-stage option[value=NEW]").await?.click().await?;
        s.wait_for_text("#record-count", "2").await?;
        s.type_into("#filter-amount-min", "1000").await?;
        s.wait_for_text("#record-count", "1").await?;
        s.wait_for_text("#deals-table .td[data-col=name]", "Big new").await?;
        // Hide a column.
        s.find("#columns-button").await?.click().await?;
        let contact = s.wait_for_text("#columns-menu .checkbox", "Contact").await?;
        contact.find(By::Css("input")).await?.click().await?;
        ensure!(
            s.driver.find_all(By::Css("#deals-table .th[data-col=contact]")).await?.is_empty(),
            "contact column hidden"
        );
        // Save the view, clear the filters, and apply the view again.
        s.find("#save-view").await?.click().await?;
        s.type_into("#view-name", "Big new deals").await?;
        s.find("#save-view-confirm").await?.click().await?;
        s.wait_for_text(".toast", "Saved view").await?;
        s.find("#saved-view option[value='']").await?.click().await?;
        s.wait_for_text("#record-count", "3").await?;
        s.wait_for_text("#saved-view option", "Big new deals").await?.click().await?;
        s.wait_for_text("#record-count", "1").await?;
        ensure!(
            s.driver.find_all(By::Css("#deals-table .th[data-col=contact]")).await?.is_empty(),
            "the view keeps its columns"
        );
        // Sort by amount, descending.
        s.find("#filter-stage option[value='']").await?.click().await?;
        s.type_into("#filter-amount-min", "").await?;
        s.wait_for_text("#record-count", "3").await?;
        let amount = s.find("#deals-table .th[data-col=amount]").await?;
        amount.click().await?;
        amount.click().await?;
        s.wait_for_text("#deals-table .tr[data-index='0'] .td[data-col=name]", "Big meeting").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn a_stage_renamed_in_settings_shows_on_the_board() -> Result<()> {
    let dir = seeded(async |app| {
        app.crm().create_deal(deal("Acme", "10", "SCREENING"), UpdateSource::Cli).await?;
        Ok(())
    })
    .await?;
    with_session(dir, "settings", async |s| {
        s.go("Settings").await?;
        s.find("#pipelines-editor").await?;
        s.type_into("#stage-name-1", "Qualified").await?;
        s.type_into("#stage-probability-1", "25").await?;
        s.find("#save-pipeline").await?.click().await?;
        s.wait_for_text(".toast", "Saved pipeline Sales").await?;
        s.go("Deal board").await?;
        s.wait_for_text(".board-column[data-stage=Qualified] [data-role=count]", "1").await?;
        s.wait_for_text(".board-column[data-stage=Qualified] [data-role=weighted]", "25%").await?;
        Ok(())
    })
    .await
}

/// The Trash screen: what was deleted is listed; Restore brings a person back to the People
/// table; Delete for good (after a confirmation) removes one for ever; the retention setting saves.
#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn the_trash_restores_and_deletes_for_good() -> Result<()> {
    let dir = seeded(async |app| {
        let crm = app.crm();
        crm.create_person(person("Grace", "Hopper", "grace@navy.mil"), UpdateSource::Cli).await?;
        for (first, last, email) in [("Alan", "Turing", "alan@bletchley.uk"), ("Ada", "Lovelace", "ada@engine.org")] {
            let p = crm.create_person(person(first, last, email), UpdateSource::Cli).await?;
            crm.trash(dealdesk_model::RecordRef { kind: RecordKind::Person, id: p.id }, UpdateSource::Cli).await?;
        }
        let acme =
            crm.create_company(NewCompany { name: "Acme".into(), ..Default::default() }, UpdateSource::Cli).await?;
        crm.trash(dealdesk_model::RecordRef { kind: RecordKind::Company, id: acme.id }, UpdateSource::Cli).await?;
        Ok(())
    })
    .await?;
    with_session(dir, "trash", async |s| {
        s.wait_for_text("#people-table .td[data-col=name]", "Grace Hopper").await?;
        s.go("Trash").await?;
        s.wait_for_text("#trash-table", "Ada Lovelace").await?;
        s.wait_for_text("#trash-count", "3 records").await?;
        s.wait_for_text("#trash-retention-text", "after 30 days").await?;
        s.screenshot(&screenshot_path("trash.png")).await?;

        // Restore: Alan leaves the trash and is back among people.
        let alan = s.wait_for_text(".trash-row", "Alan Turing").await?;
        alan.find(By::Css(".trash-restore")).await?.click().await?;
        s.wait_for_text(".toast", "Restored “Alan Turing”").await?;
        s.wait_for_no_text("#trash-table", "Alan Turing").await?;

        // Delete for good asks first; cancelling keeps the record.
        let ada = s.wait_for_text(".trash-row", "Ada Lovelace").await?;
        ada.find(By::Css(".trash-delete")).await?.click().await?;
        s.wait_for_text("#trash-confirm-dialog", "cannot be undone").await?;
        // Escape from the focused confirm button, as a user would press it.
        s.find("#trash-confirm").await?.send_keys(Key::Escape).await?;
        s.wait_for_no_text("body", "cannot be undone").await?;
        s.wait_for_text("#trash-table", "Ada Lovelace").await?;
        let ada = s.wait_for_text(".trash-row", "Ada Lovelace").await?;
        ada.find(By::Css(".trash-delete")).await?.click().await?;
        s.find("#trash-confirm").await?.click().await?;
        s.wait_for_no_text("#trash-table", "Ada Lovelace").await?;
        s.wait_for_text("#trash-count", "1 record").await?;

        // The retention setting.
        s.type_into("#trash-retention-days", "7").await?;
        s.find("#trash-retention-save").await?.click().await?;
        s.wait_for_text("#trash-retention-text", "after 7 days").await?;

        s.go("People").await?;
        s.wait_for_text("#people-table .td[data-col=name]", "Alan Turing").await?;
        s.wait_for_text("#record-count", "2").await?;
        Ok(())
    })
    .await?;
    Ok(())
}
