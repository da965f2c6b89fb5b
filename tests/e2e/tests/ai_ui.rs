//! AI in the real window, against the sandbox's OpenAI-compatible endpoint: score a lead from a
//! person page and see the badge; build a workflow in the Automations screen; see usage and cost
//! in Settings → AI.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use anyhow::Result;
use dealdesk_core::{App, AppOptions};
use dealdesk_e2e::thirtyfour::Key;
use dealdesk_e2e::{Session, run_cli, screenshot_path};
use dealdesk_model::{NewNote, NewPerson, RecordKind, RecordRef, UpdateSource};
use dealdesk_sandbox::{Sandbox, SandboxConfig};

/// A person with notes that read like a hot lead, made through the core.
async fn prepare(dir: &std::path::Path) -> Result<uuid::Uuid> {
    let app = App::open_with(dir, AppOptions::default()).await?;
    let person = app
        .crm()
        .create_person(
            NewPerson { first_name: "Hattie".into(), last_name: "Hotlead".into(), ..Default::default() },
            UpdateSource::Cli,
        )
        .await?;
    let record = RecordRef { kind: RecordKind::Person, id: person.id };
    let note = "Team of 40; budget approved; asked for a demo and annual pricing.";
    app.crm().add_note(NewNote { body: note.into(), targets: vec![record] }, UpdateSource::Cli).await?;
    app.close().await;
    Ok(person.id)
}

#[tokio::test]
#[ignore = "desktop end-to-end: run through `cargo xtask test`"]
async fn score_a_lead_from_a_person_page_build_a_workflow_and_see_usage() -> Result<()> {
    let sandbox = Sandbox::start(SandboxConfig::with_members(5)).await?;
    let dir = tempfile::tempdir()?;
    let person = prepare(dir.path()).await?;
    let env = [
        ("DEALDESK_AI_PROVIDER", "openai".to_string()),
        ("DEALDESK_AI_BASE_URL", sandbox.openai_base_url()),
        ("DEALDESK_AI_MODEL", "sandbox-gpt".to_string()),
        ("DEALDESK_AI_API_KEY", dealdesk_sandbox::SANDBOX_AI_KEY.to_string()),
    ];
    let session = Session::start_with_env(dir, &env).await?;
    let result = async {
        // Open the person's page through the palette.
        session.go("People").await?;
        session.find("body").await?.send_keys(Key::Control + "k").await?;
        let input = session.find("#palette-input").await?;
        input.send_keys("Hattie").await?;
        session.wait_for_text(".palette-item[data-kind=person]", "Hattie Hotlead").await?;
        input.send_keys(Key::Enter).await?;

        // Score the lead: the badge shows the score the model gave, with its reasons.
        session.find("#ai-card .ai-action-score-lead").await?.click().await?;
        let badge = session.wait_for_text("#lead-score-badge", "Lead score").await?;
        let score = badge.attr("data-score").await?.unwrap_or_default();
        let stored: String = {
            let out = run_cli(session.data_path(), &["ai", "usage", "--json"])?;
            let usage: serde_json::Value = serde_json::from_str(&out)?;
            anyhow::ensure!(usage["total"]["calls"] == 1, "one call logged: {usage}");
            usage["per_action"][0]["key"].as_str().unwrap_or_default().to_string()
        };
        assert_eq!(stored, "score-lead");
        let sent = sandbox.ai_requests();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].body["response_format"]["json_schema"]["name"], "lead_score");
        // budget, demo, pricing, annual, team and the template's "upgrade": 40 + 12 × 5 (capped reasons).
        let number: u32 = score.parse()?;
        assert!(number >= 70, "score {number}");
        session.wait_for_text("#lead-score-reasons", "mentions budget").await?;
        session.screenshot(&screenshot_path("ai-lead-score.png")).await?;

        // Build a workflow in the Automations screen.
        session.go("Automations").await?;
        session.find("#workflow-new, #workflows-empty-new").await?.click().await?;
        session.type_into("#workflow-name", "Tag hot leads").await?;
        session.find("#workflow-trigger option[value=manual]").await?.click().await?;
        session.find("#workflow-add-step-kind option[value=add_tag]").await?.click().await?;
        session.find("#workflow-add-step").await?.click().await?;
        session.type_into("#step-0-tag", "hot").await?;
        session.find("#workflow-save").await?.click().await?;
        session.wait_for_text("#workflow-list", "Tag hot leads").await?;
        session.screenshot(&screenshot_path("automations.png")).await?;
        let listed = run_cli(session.data_path(), &["workflows", "list", "--json"])?;
        let workflows: serde_json::Value = serde_json::from_str(&listed)?;
        let built = workflows.as_array().unwrap().iter().find(|w| w["name"] == "Tag hot leads").cloned();
        let built = built.ok_or_else(|| anyhow::anyhow!("not saved: {listed}"))?;
        assert_eq!(built["trigger"]["type"], "manual");
        assert_eq!(built["steps"][0]["type"], "add_tag");
        assert_eq!(built["steps"][0]["tag"], "hot");
        // It runs (from the CLI, on the same database) and the tag lands.
        run_cli(session.data_path(), &["workflows", "run", "Tag hot leads", "--record", &person.to_string()])?;
        let shown = run_cli(session.data_path(), &["people", "show", &person.to_string(), "--json"])?;
        assert!(shown.contains("\"hot\""), "{shown}");

        // Usage and cost in Settings → AI.
        session.go("Settings").await?;
        session.find("button.tab[data-tab=\"ai\"]").await?.click().await?;
        session.wait_for_text("#ai-usage-actions", "Score lead").await?;
        session.screenshot(&screenshot_path("ai-settings.png")).await?;
        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = session.screenshot(&std::env::temp_dir().join("dealdesk-e2e-ai.png")).await;
    }
    session.quit().await?;
    sandbox.shutdown().await;
    result
}
