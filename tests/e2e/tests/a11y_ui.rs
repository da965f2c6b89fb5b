//! Accessibility: axe-core (pinned in tests/axe, installed by `cargo xtask setup` into
//! target/tools/axe) injected into the real window on every screen, the open overlays, and in
//! the light and dark themes. Fails on a serious or critical violation of WCAG 2.0/2.1/2.2 A and
//! AA; writes the results per screen to target/a11y/results.md (docs/accessibility.md holds the
//! table). Also checks that the keyboard reaches every control with a visible focus ring and that
//! dialogs keep and give back the focus.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use anyhow::{Context, Result, bail};
use dealdesk_core::App;
use dealdesk_e2e::Session;
use dealdesk_e2e::thirtyfour::prelude::*;
use dealdesk_model::{Money, NewCompany, NewDeal, NewNote, NewPerson, NewTask, RecordKind, RecordRef, UpdateSource};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const WCAG: &str = "['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa']";

/// What one audit found.
struct Audit {
    screen: String,
    theme: &'static str,
    passes: u64,
    /// (rule, impact, nodes, help, first target)
    violations: Vec<(String, String, u64, String, String)>,
    /// Where and why, for the results file.
    details: Vec<String>,
}

impl Audit {
    fn blocking(&self) -> Vec<&(String, String, u64, String, String)> {
        self.violations.iter().filter(|v| v.1 == "serious" || v.1 == "critical").collect()
    }
}

fn axe_source() -> Result<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/tools/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .with_context(|| format!("{} is missing: run `cargo xtask setup` (it installs axe-core)", path.display()))
}

/// Waits until the screen has loaded what it shows (no skeleton rows left), at most 5 s.
async fn settle(s: &Session) -> Result<()> {
    let start = Instant::now();
    loop {
        let loading = s.js("return document.querySelectorAll('.skeleton, .spinner').length").await?;
        if loading.as_u64() == Some(0) || start.elapsed() > Duration::from_secs(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    Ok(())
}

async fn audit(s: &Session, screen: &str, theme: &'static str) -> Result<Audit> {
    let run_only = if theme == "dark" {
        "{type:'rule', values:['color-contrast']}".to_string()
    } else {
        format!("{{type:'tag', values:{WCAG}}}")
    };
    let script = format!(
        "return window.axe.run(document, {{ runOnly: {run_only}, resultTypes: ['violations'] }}).then(r => ({{
            passes: r.passes.length,
            violations: r.violations.map(v => ({{ id: v.id, impact: v.impact || 'minor', help: v.help,
                nodes: v.nodes.length, target: String(v.nodes[0] && v.nodes[0].target),
                details: v.nodes.slice(0, 4).map(n => String(n.target) + ' :: ' + n.html.slice(0, 160) + ' :: ' + (n.failureSummary || '').replace(/\\s+/g, ' ')).join('\\n') }}))
        }}));"
    );
    let result = s.js(&script).await?;
    let violations = result["violations"]
        .as_array()
        .context("axe answered without violations")?
        .iter()
        .map(|v| {
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (text("id"), text("impact"), v["nodes"].as_u64().unwrap_or(0), text("help"), text("target"))
        })
        .collect();
    let details = result["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            format!(
                "{screen} ({theme}) {}:\n{}",
                v["id"].as_str().unwrap_or_default(),
                v["details"].as_str().unwrap_or_default()
            )
        })
        .collect();
    Ok(Audit { screen: screen.to_string(), theme, passes: result["passes"].as_u64().unwrap_or(0), violations, details })
}

async fn set_theme(s: &Session, theme: &str) -> Result<()> {
    s.js(&format!("document.documentElement.setAttribute('data-theme', '{theme}'); return true")).await?;
    tokio::time::sleep(Duration::from_millis(150)).await;
    Ok(())
}

/// Audits the current screen in both themes (axe is injected again after a page load).
async fn audit_both(s: &Session, axe: &str, screen: &str, audits: &mut Vec<Audit>) -> Result<()> {
    settle(s).await?;
    if s.js("return typeof window.axe").await? != "object" {
        s.js(&format!("{axe}\nreturn true;")).await?;
    }
    set_theme(s, "light").await?;
    audits.push(audit(s, screen, "light").await?);
    set_theme(s, "dark").await?;
    audits.push(audit(s, screen, "dark").await?);
    set_theme(s, "light").await?;
    Ok(())
}

async fn go(s: &Session, route: &str) -> Result<()> {
    s.js(&format!("window.location.hash = '#{route}'; return true")).await?;
    Ok(())
}

fn report(audits: &[Audit]) -> String {
    let mut out =
        String::from("| screen | theme | rules passed | serious/critical | moderate/minor |\n|---|---|---|---|---|\n");
    for a in audits {
        let blocking = a.blocking();
        let others: Vec<String> = a
            .violations
            .iter()
            .filter(|v| v.1 != "serious" && v.1 != "critical")
            .map(|v| format!("{} ({}, {})", v.0, v.1, v.2))
            .collect();
        let serious: Vec<String> = blocking.iter().map(|v| format!("{} ({}, {}: {})", v.0, v.1, v.2, v.4)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            a.screen,
            a.theme,
            a.passes,
            if serious.is_empty() { "none".to_string() } else { serious.join("; ") },
            if others.is_empty() { "none".to_string() } else { others.join("; ") }
        );
    }
    out
}

async fn seed(app: &App) -> Result<(RecordRef, RecordRef, RecordRef)> {
    let crm = app.crm();
    let acme = crm
        .create_company(
            NewCompany { name: "Acme".into(), domain: Some("acme.com".into()), ..Default::default() },
            UpdateSource::Cli,
        )
        .await?;
    let mut ada = NewPerson {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        email: Some("ada@acme.com".into()),
        ..Default::default()
    };
    ada.company_id = Some(acme.id);
    let ada = crm.create_person(ada, UpdateSource::Cli).await?;
    let deal = crm
        .create_deal(
            NewDeal {
                id: None,
                name: "Acme analytics".into(),
                amount: Money::parse("12000", "USD")?,
                close_date: None,
                pipeline_id: None,
                stage: None,
                status: Default::default(),
                lost_reason: None,
                contact_id: Some(ada.id),
                company_id: Some(acme.id),
                custom: Default::default(),
            },
            UpdateSource::Cli,
        )
        .await?;
    let person = RecordRef { kind: RecordKind::Person, id: ada.id };
    crm.add_note(NewNote { body: "Wants a demo next week".into(), targets: vec![person] }, UpdateSource::Cli).await?;
    crm.add_task(
        NewTask { title: "Send the demo invite".into(), targets: vec![person], ..Default::default() },
        UpdateSource::Cli,
    )
    .await?;
    let old = crm
        .create_person(
            NewPerson { first_name: "Alan".into(), last_name: "Turing".into(), ..Default::default() },
            UpdateSource::Cli,
        )
        .await?;
    crm.trash(RecordRef { kind: RecordKind::Person, id: old.id }, UpdateSource::Cli).await?;
    Ok((
        person,
        RecordRef { kind: RecordKind::Company, id: acme.id },
        RecordRef { kind: RecordKind::Deal, id: deal.id },
    ))
}

/// Presses a key where the focus is, as a user's keyboard would.
async fn press(s: &Session, key: impl Into<TypingData>) -> Result<()> {
    s.driver.active_element().await?.send_keys(key).await?;
    Ok(())
}

/// The focused element: its id (or tag and class) and whether it shows a focus ring.
async fn focused(s: &Session) -> Result<(String, bool)> {
    let v = s
        .js("const a = document.activeElement; const st = getComputedStyle(a);
             const ring = (st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0) || st.boxShadow !== 'none';
             return [a.id || (a.tagName.toLowerCase() + '.' + String(a.className).split(' ')[0]), ring,
                     !!a.closest('[role=dialog]')];")
        .await?;
    Ok((
        format!("{}{}", v[0].as_str().unwrap_or_default(), if v[2] == true { " (in dialog)" } else { "" }),
        v[1] == true,
    ))
}

/// The keyboard reaches the People screen's controls with a visible focus ring; a dialog keeps
/// Tab and Shift+Tab inside it and gives the focus back to the button that opened it.
#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn the_keyboard_reaches_everything_with_a_visible_focus_and_dialogs_keep_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let app = App::open(dir.path()).await?;
    seed(&app).await?;
    app.close().await;
    let s = Session::start_in(dir).await?;
    let result = async {
        s.wait_for_text("#people-table .td[data-col=name]", "Ada Lovelace").await?;
        s.js("document.activeElement && document.activeElement.blur(); return true").await?;
        let mut seen = Vec::new();
        for _ in 0..40 {
            press(&s, Key::Tab).await?;
            let (name, ring) = focused(&s).await?;
            if !ring {
                bail!("Tab reached {name} without a visible focus ring (after {seen:?})");
            }
            seen.push(name);
        }
        for control in ["new-person", "filter-text", "saved-view"] {
            if !seen.iter().any(|n| n == control) {
                bail!("Tab never reached #{control}: {seen:?}");
            }
        }

        // The New person dialog: opened from its button by keyboard.
        s.find("#new-person").await?.send_keys(Key::Enter).await?;
        s.find(".modal").await?;
        for _ in 0..20 {
            press(&s, Key::Tab).await?;
            let (name, ring) = focused(&s).await?;
            if !name.ends_with("(in dialog)") || !ring {
                bail!("Tab left the dialog or lost its ring: {name}");
            }
        }
        for _ in 0..20 {
            press(&s, Key::Shift + Key::Tab).await?;
            let (name, _) = focused(&s).await?;
            if !name.ends_with("(in dialog)") {
                bail!("Shift+Tab left the dialog: {name}");
            }
        }
        press(&s, Key::Escape).await?;
        for _ in 0..50 {
            if s.js("return document.querySelector('.modal') === null").await? == true {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let back = focused(&s).await?.0;
        if back != "new-person" {
            bail!("closing the dialog gave the focus to {back}, not back to the New person button");
        }
        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = s.screenshot(&std::env::temp_dir().join("dealdesk-e2e-keyboard.png")).await;
    }
    s.quit().await?;
    result
}

#[tokio::test]
#[ignore = "desktop e2e: needs Xvfb, D-Bus and tauri-driver; run with `cargo xtask test`"]
async fn every_screen_passes_axe_in_light_and_dark() -> Result<()> {
    let axe = axe_source()?;
    let dir = tempfile::tempdir()?;
    let app = App::open(dir.path()).await?;
    let (person, company, deal) = seed(&app).await?;
    app.close().await;
    let s = Session::start_in(dir).await?;
    let result = async {
        s.wait_for_text("#people-table .td[data-col=name]", "Ada Lovelace").await?;
        let mut audits = Vec::new();
        let screens: Vec<(String, String)> = [
            ("People", "/people".to_string()),
            ("A person", format!("/people/{}", person.id)),
            ("Companies", "/companies".into()),
            ("A company", format!("/companies/{}", company.id)),
            ("Deals", "/deals".into()),
            ("A deal", format!("/deals/{}", deal.id)),
            ("Deal board", "/board".into()),
            ("Dashboard", "/dashboard".into()),
            ("Tasks", "/tasks".into()),
            ("Notes", "/notes".into()),
            ("Automations", "/automations".into()),
            ("Contracts", "/contracts".into()),
            ("Contract templates", "/contracts/templates".into()),
            ("Whop", "/whop".into()),
            ("Revenue", "/revenue".into()),
            ("Recover", "/recover".into()),
            ("Churn", "/churn".into()),
            ("Changes waiting", "/outbox".into()),
            ("Trash", "/trash".into()),
            ("Settings: pipelines", "/settings/pipelines".into()),
            ("Settings: custom fields", "/settings/fields".into()),
            ("Settings: appearance", "/settings/appearance".into()),
            ("Settings: data", "/settings/data".into()),
            ("Settings: integrations", "/settings/integrations".into()),
            ("Settings: AI", "/settings/ai".into()),
            ("Settings: contracts", "/settings/contracts".into()),
            ("Settings: team", "/settings/team".into()),
            ("Help", "/diagnostics".into()),
            ("Welcome", "/welcome".into()),
        ]
        .into_iter()
        .map(|(name, route)| (name.to_string(), route))
        .collect();
        for (name, route) in &screens {
            go(&s, route).await?;
            audit_both(&s, &axe, name, &mut audits).await?;
        }
        // Overlays: the palette, the shortcut list, a create dialog.
        go(&s, "/people").await?;
        settle(&s).await?;
        s.find("body").await?.send_keys(Key::Control + "k").await?;
        s.find("#palette-input").await?.send_keys("ada").await?;
        s.wait_for_text(".palette-item[data-kind=person]", "Ada Lovelace").await?;
        audit_both(&s, &axe, "Command palette", &mut audits).await?;
        s.find("#palette-input").await?.send_keys(Key::Escape).await?;
        s.find("body").await?.send_keys("?").await?;
        s.wait_for_text("#help-overlay", "Command palette").await?;
        audit_both(&s, &axe, "Shortcuts", &mut audits).await?;
        s.find("body").await?.send_keys(Key::Escape).await?;
        s.find("body").await?.send_keys("n").await?;
        s.find(".modal").await?;
        audit_both(&s, &axe, "New person dialog", &mut audits).await?;

        let table = report(&audits);
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/a11y");
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("results.md"), &table)?;
        let details: Vec<&str> = audits.iter().flat_map(|a| a.details.iter().map(String::as_str)).collect();
        std::fs::write(out.join("details.txt"), details.join("\n\n"))?;
        eprintln!("{table}");
        let blocking: Vec<String> = audits
            .iter()
            .flat_map(|a| {
                a.blocking().into_iter().map(move |v| format!("{} ({}): {} {} — {}", a.screen, a.theme, v.0, v.4, v.3))
            })
            .collect();
        if !blocking.is_empty() {
            bail!("{} serious or critical accessibility violations:\n{}", blocking.len(), blocking.join("\n"));
        }
        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = s.screenshot(&std::env::temp_dir().join("dealdesk-e2e-a11y.png")).await;
    }
    s.quit().await?;
    result
}
