//! `cargo xtask bench`: what Dealdesk adds around a model call, beside raw baselines in the same
//! run. Prints markdown tables.
//! - building a prompt from a record (fields, related records, timeline, notes) and rendering it;
//! - a whole action against the sandbox on loopback, against a raw POST of the same request;
//! - the usage dashboard with 100,000 logged calls;
//! - the workflow engine: runs per second for a one-step workflow, against the step done directly.
//!
//! Flags: `--samples N` (default 300), `--calls N` (default 100,000), `--records N` (default 2,000).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use dealdesk_core::test_support::{TestApp, ai_env};
use dealdesk_model::ai::{AiAction, AiProviderKind, AiRunRequest, AiSettings, PromptPreviewRequest, SaveAiSettings};
use dealdesk_model::automation::{SaveWorkflow, Trigger, WorkflowStep};
use dealdesk_model::{NewNote, NewPerson, PersonPatch, RecordKind, RecordRef, UpdateSource};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;
use support::{arg, row};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let samples = arg("--samples", 300);
    let calls = arg("--calls", 100_000);
    let records = arg("--records", 2_000);
    let sandbox = Sandbox::start(SandboxConfig::with_members(5)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new().ai(ai_env(&sandbox, AiProviderKind::OpenAi)).open(dir.path()).await.unwrap();
    let settings = AiSettings { max_requests_per_minute: 0, ..app.ai().settings().await.unwrap() };
    app.ai().save_settings(SaveAiSettings { settings, api_key: None, clear_api_key: false }).await.unwrap();
    let ui = UpdateSource::Ui;

    // A realistic record: 10 notes and 30 field changes in its history.
    let person = app
        .crm()
        .create_person(NewPerson { first_name: "Ada".into(), last_name: "Lovelace".into(), ..Default::default() }, ui)
        .await
        .unwrap();
    let record = RecordRef { kind: RecordKind::Person, id: person.id };
    for i in 0..10 {
        let body =
            format!("Call {i}: discussed the annual plan, budget and a demo for the team. {}", "Details. ".repeat(40));
        app.crm().add_note(NewNote { body, targets: vec![record] }, ui).await.unwrap();
    }
    for i in 0..30 {
        app.crm()
            .update_person(person.id, PersonPatch { city: Some(format!("City {i}")), ..Default::default() }, ui)
            .await
            .unwrap();
    }
    let template =
        app.ai().templates().await.unwrap().into_iter().find(|t| t.action == AiAction::ScoreLead && t.active).unwrap();
    let preview = PromptPreviewRequest {
        action: AiAction::ScoreLead,
        system: template.system.clone(),
        user: template.user.clone(),
        record,
        instructions: Some("Be strict".into()),
    };
    let mut build = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        app.ai().preview(&preview).await.unwrap();
        build.push(t.elapsed());
    }

    // The whole action (prompt, HTTP, validation, usage log, result) against a raw POST of the
    // same request body to the same server.
    let request = AiRunRequest { action: AiAction::ScoreLead, record, instructions: None, allow_over_budget: false };
    let mut action = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        app.ai().run(&request, ui).await.unwrap();
        action.push(t.elapsed());
    }
    let body = sandbox.ai_requests().last().unwrap().body.clone();
    let http = reqwest::Client::new();
    let url = format!("{}/chat/completions", sandbox.openai_base_url());
    let mut raw = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        let response = http.post(&url).bearer_auth(dealdesk_sandbox::SANDBOX_AI_KEY).json(&body).send().await.unwrap();
        let _: serde_json::Value = response.json().await.unwrap();
        raw.push(t.elapsed());
    }

    println!("\n### AI actions (person with 10 notes and 30 history entries; sandbox on loopback)\n");
    println!("| operation | p50 ms | p95 ms | p99 ms |");
    println!("|---|---|---|---|");
    row("build and render the score-lead prompt", &mut build);
    row("raw POST /chat/completions (same body)", &mut raw);
    row("score a lead (prompt, call, validate, log, store)", &mut action);

    // The usage dashboard over many logged calls (spread over 60 days).
    let filled = Instant::now();
    let mut tx = app.store().pool().begin().await.unwrap();
    let now = chrono::Utc::now();
    for i in 0..calls {
        let at = now - chrono::Duration::minutes((i as i64 * 60 * 24 * 60) / calls as i64);
        sqlx::query(
            "INSERT INTO ai_call (at, provider, model, action, tokens_in, tokens_out, cost_micros, latency_ms, outcome)
             VALUES (?, 'openai', ?, ?, 900, 60, 1020, ?, ?)",
        )
        .bind(dealdesk_core::store::time::format(at))
        .bind(if i % 3 == 0 { "gpt-4o-mini" } else { "sandbox-gpt" })
        .bind(AiAction::ALL[i % 4].as_str())
        .bind((i % 900) as i64)
        .bind(if i % 50 == 0 { "error" } else { "ok" })
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    // The daily totals `log_call` keeps alongside each call.
    sqlx::query(
        "INSERT INTO ai_usage_day (day, action, model, calls, failed, tokens_in, tokens_out, cost_micros)
         SELECT substr(at, 1, 10), action, model, count(*), sum(outcome != 'ok'), sum(tokens_in), sum(tokens_out),
                sum(cost_micros) FROM ai_call WHERE true GROUP BY 1, 2, 3
         ON CONFLICT (day, action, model) DO UPDATE SET calls = excluded.calls, failed = excluded.failed,
            tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, cost_micros = excluded.cost_micros",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    eprintln!("ai bench: {calls} calls logged in {:.1} s", filled.elapsed().as_secs_f64());
    let mut report = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        app.ai().usage().await.unwrap();
        report.push(t.elapsed());
    }
    let mut month = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        app.ai().status().await.unwrap();
        month.push(t.elapsed());
    }
    println!("\n### Usage dashboard with {calls} logged calls\n");
    println!("| operation | p50 ms | p95 ms | p99 ms |");
    println!("|---|---|---|---|");
    row("usage report (30 days by day, action, model; slowest; failed)", &mut report);
    row("AI status with this month's spend (the budget check)", &mut month);

    // The workflow engine: `records` people created, each firing a one-step workflow.
    app.automation()
        .save(&SaveWorkflow {
            id: None,
            name: "Tag new people".into(),
            enabled: true,
            trigger: Trigger::RecordCreated { kind: RecordKind::Person },
            steps: vec![WorkflowStep::AddTag { tag: "new".into() }],
        })
        .await
        .unwrap();
    let new_people = (0..records)
        .map(|i| NewPerson { first_name: format!("P{i}"), last_name: "Bench".into(), ..Default::default() })
        .collect();
    let ids = app.crm().create_people(new_people, ui).await.unwrap();
    let t = Instant::now();
    app.automation().process().await.unwrap();
    let engine = t.elapsed();
    let done: i64 = sqlx::query_scalar("SELECT count(*) FROM workflow_run WHERE status = 'succeeded'")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(done as usize, records);
    // Raw: the same tags written directly through the CRM, without the engine.
    let more = (0..records)
        .map(|i| NewPerson { first_name: format!("Q{i}"), last_name: "Bench".into(), ..Default::default() })
        .collect();
    let direct_ids = app.crm().create_people(more, UpdateSource::Import).await.unwrap();
    let t = Instant::now();
    for id in &direct_ids {
        app.crm()
            .tag_record(RecordRef { kind: RecordKind::Person, id: *id }, "new", UpdateSource::Workflow)
            .await
            .unwrap();
    }
    let direct = t.elapsed();
    assert_eq!(ids.len(), records);
    println!("\n### Workflow engine ({records} records created, a one-step workflow each)\n");
    println!("| what | total s | per second |");
    println!("|---|---|---|");
    println!(
        "| raw: tag {records} records through the CRM | {:.2} | {:.0} |",
        direct.as_secs_f64(),
        records as f64 / direct.as_secs_f64()
    );
    println!(
        "| engine: read events, queue and run {records} runs (history saved per step) | {:.2} | {:.0} |",
        engine.as_secs_f64(),
        records as f64 / engine.as_secs_f64()
    );
    sandbox.shutdown().await;
}
