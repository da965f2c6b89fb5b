//! `cargo xtask bench`: local edit latency while the outbox holds 10,000 operations (target p95
//! ≤ 5 ms), beside the same edit with an empty outbox and a raw SQLite UPDATE; and the drain's
//! throughput against the sandbox on loopback. Prints a markdown table.
//!
//! Flags: `--operations N` (default 10,000), `--edits N` (default 500).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use dealdesk_core::test_support::TestApp;
use dealdesk_core::whop::WhopConfig;
use dealdesk_model::outbox::WhopAction;
use dealdesk_model::{PersonPatch, PersonQuery, UpdateSource};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;
use support::{arg, row};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let operations = arg("--operations", 10_000);
    let edits = arg("--edits", 500);
    let sandbox = Sandbox::start(SandboxConfig::with_members(2_000)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut whop =
        WhopConfig::for_server(&sandbox.api_url(), &sandbox.oauth_url(), dealdesk_sandbox::DEFAULT_CLIENT_ID);
    // Loopback: measure Dealdesk, not the politeness delay (the default limit is 10 requests/s).
    whop.max_requests_per_second = None;
    let app = TestApp::new().whop(whop).open(dir.path()).await.unwrap();
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
    let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
    app.whop().handle_deep_link(&link).await.unwrap();
    app.whop().sync(&|_| {}).await.unwrap();
    let memberships: Vec<String> =
        sqlx::query_scalar("SELECT id FROM whop_membership ORDER BY id").fetch_all(app.store().pool()).await.unwrap();
    let people = app.crm().list_people(&PersonQuery { limit: Some(500), ..Default::default() }).await.unwrap().items;
    let ui = UpdateSource::Ui;

    let edit = |i: usize| PersonPatch { city: Some(format!("City {i}")), ..Default::default() };
    let mut empty = Vec::with_capacity(edits);
    for i in 0..edits {
        let t = Instant::now();
        app.crm().update_person(people[i % people.len()].id, edit(i), ui).await.unwrap();
        empty.push(t.elapsed());
    }
    let mut raw = Vec::with_capacity(edits);
    for i in 0..edits {
        let t = Instant::now();
        sqlx::query("UPDATE person SET city = ?, updated_at = ? WHERE id = ?")
            .bind(format!("Raw {i}"))
            .bind(dealdesk_core::store::time::format(dealdesk_core::store::time::now()))
            .bind(people[i % people.len()].id.to_string())
            .execute(app.store().pool())
            .await
            .unwrap();
        raw.push(t.elapsed());
    }

    // Fill the outbox (metadata updates are always valid, any number per membership).
    let filled = Instant::now();
    let metadata = |i: usize| WhopAction::UpdateMembershipMetadata {
        membership_id: memberships[i % memberships.len()].clone(),
        metadata: serde_json::json!({"n": i}),
    };
    let mut enqueue = Vec::with_capacity(operations);
    for i in 0..operations {
        let t = Instant::now();
        app.whop().run_action(&metadata(i), ui).await.unwrap();
        enqueue.push(t.elapsed());
    }
    let fill_secs = filled.elapsed().as_secs_f64();
    let mut full = Vec::with_capacity(edits);
    for i in 0..edits {
        let t = Instant::now();
        app.crm().update_person(people[i % people.len()].id, edit(i + edits), ui).await.unwrap();
        full.push(t.elapsed());
    }
    let mut action = Vec::with_capacity(edits);
    for i in 0..edits {
        let t = Instant::now();
        app.whop().run_action(&metadata(operations + i), ui).await.unwrap();
        action.push(t.elapsed());
    }
    let waiting = app.outbox().summary().await.unwrap().waiting;

    println!("\n### Offline edits (outbox of {waiting} operations, {edits} edits each, release)\n");
    println!("| edit | p50 ms | p95 ms | p99 ms |");
    println!("|---|---|---|---|");
    row("raw SQLite UPDATE person (baseline)", &mut raw);
    row("update a person, empty outbox", &mut empty);
    row(&format!("update a person, {operations} operations waiting"), &mut full);
    row("queue a Whop action, outbox filling 0 → N", &mut enqueue);
    row(&format!("queue a Whop action, {operations}+ waiting"), &mut action);
    println!(
        "\nFilling the outbox: {operations} actions in {fill_secs:.1} s ({:.0}/s).",
        operations as f64 / fill_secs
    );

    let drained = Instant::now();
    let report = app.outbox().drain(true).await.unwrap();
    let secs = drained.elapsed().as_secs_f64();
    assert_eq!(report.remaining, 0, "{report:?}");
    assert_eq!(sandbox.writes().len() as u64, report.sent);
    println!("\n### Drain against the sandbox on loopback\n");
    println!("| operations | seconds | operations/s |");
    println!("|---|---|---|");
    println!("| {} | {secs:.1} | {:.0} |", report.sent, report.sent as f64 / secs);
    println!(
        "\nWith Whop's default client-side limit of 10 requests/s the same drain would take {:.0} s.",
        report.sent as f64 / 10.0
    );
    app.close().await;
}
