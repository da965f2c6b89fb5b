//! `cargo xtask bench`: team workspaces on a private PostgreSQL hub (Debian's package) and real
//! SQLite files. Prints a markdown table:
//! - push: the owner's desktop pushes the changes that made N people (100,000 by default), beside
//!   the raw baseline: the same changes, already as JSON, sent through `dealdesk.push` alone;
//! - join: a new member joins and pulls and merges them all, beside the raw baseline: the same
//!   people written by the CRM's own bulk insert;
//! - a local edit's p95 with the background sync running (every 200 ms, another desktop editing
//!   meanwhile), beside the same edits with no sync.
//!
//! Flags: `--people N`.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use dealdesk_core::App;
use dealdesk_core::team::test_support::PrivatePostgres;
use dealdesk_core::team::{Change, Hub};
use dealdesk_core::test_support::TestApp;
use dealdesk_model::team::TeamAccess;
use dealdesk_model::{NewPerson, PersonPatch, UpdateSource};
use std::sync::Arc;
use std::time::{Duration, Instant};

const EDITS: usize = 300;

fn people_arg() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--people")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn people(n: usize, tag: &str) -> Vec<NewPerson> {
    (0..n)
        .map(|i| NewPerson {
            first_name: format!("{tag}{i}"),
            last_name: "Bench".into(),
            email: Some(format!("{tag}{i}@bench.dev")),
            city: Some(["Oslo", "Rome", "Lima"][i % 3].into()),
            ..Default::default()
        })
        .collect()
}

async fn open(dir: &std::path::Path) -> App {
    TestApp::new().open(dir).await.unwrap()
}

fn p95(samples: &mut [Duration]) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * 0.95).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

/// `EDITS` field edits on the first people, one at a time: each edit's duration.
async fn edits(app: &App, round: usize) -> Vec<Duration> {
    let ids: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM person ORDER BY rid LIMIT 50").fetch_all(app.store().pool()).await.unwrap();
    let mut samples = Vec::with_capacity(EDITS);
    for i in 0..EDITS {
        let id = uuid::Uuid::parse_str(&ids[i % ids.len()].0).unwrap();
        let patch = PersonPatch { job_title: Some(format!("title {round} {i}")), ..Default::default() };
        let start = Instant::now();
        app.crm().update_person(id, patch, UpdateSource::Ui).await.unwrap();
        samples.push(start.elapsed());
    }
    samples
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = people_arg();
    let server = PrivatePostgres::start().unwrap();
    server.owner_database("hub").unwrap();
    let (url, password) = server.owner_url("hub");
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();

    // The owner's CRM, made locally through the bulk path.
    let owner = Arc::new(open(dirs[0].path()).await);
    let start = Instant::now();
    owner.crm().create_people(people(n, "p"), UpdateSource::Import).await.unwrap();
    let seeded = start.elapsed();
    owner.workspace().init(&url, Some(password.clone()), "Bench", "owner@bench.dev").await.unwrap();

    // Push.
    let start = Instant::now();
    let report = owner.workspace().sync_once().await.unwrap();
    let push = start.elapsed();
    // The people, and the pipeline, templates and choices every install starts with.
    let shape = report.pushed as usize - n;
    assert!(shape < 100, "{report:?}");

    // Raw push: the same changes, already JSON, straight into dealdesk.push as another node.
    let own = owner.crm().own_changes(0, i64::MAX).await.unwrap();
    let changes: Vec<Change> = own
        .into_iter()
        .map(|o| Change {
            node: "raw-baseline".into(),
            node_seq: o.seq,
            hlc: o.change.hlc,
            record_kind: o.change.record_kind,
            record_id: format!("raw-{}", o.change.record_id),
            op: o.change.op,
            field: o.change.field,
            value: o.change.value,
        })
        .collect();
    let status = owner.workspace().status().await.unwrap().unwrap();
    let workspace = uuid::Uuid::parse_str(&status.workspace).unwrap();
    let hub =
        Hub::connect(server.connect_as(dealdesk_core::team::test_support::OWNER, &password, "hub")).await.unwrap();
    let start = Instant::now();
    for batch in changes.chunks(1_000) {
        hub.push(workspace, batch).await.unwrap();
    }
    let raw_push = start.elapsed();
    // Take the raw rows out again, so the member pulls only the owner's.
    let mut conn = <sqlx::postgres::PgConnection as sqlx::Connection>::connect_with(&server.connect_as(
        dealdesk_core::team::test_support::OWNER,
        &password,
        "hub",
    ))
    .await
    .unwrap();
    sqlx::query("DELETE FROM dealdesk.change WHERE node = 'raw-baseline'").execute(&mut conn).await.unwrap();
    hub.close().await;

    // Join: a new member pulls and merges everything.
    let code = owner.workspace().invite("member@bench.dev", TeamAccess::Member).await.unwrap();
    let member = Arc::new(open(dirs[1].path()).await);
    let start = Instant::now();
    member.workspace().join(&code).await.unwrap();
    let report = member.workspace().sync_once().await.unwrap();
    let join = start.elapsed();
    assert_eq!(report.applied as usize, n + shape, "{report:?}");

    // Raw join: the same people through the CRM's bulk insert.
    let raw_app = open(dirs[2].path()).await;
    let start = Instant::now();
    raw_app.crm().create_people(people(n, "p"), UpdateSource::Import).await.unwrap();
    let raw_join = start.elapsed();
    raw_app.close().await;

    // A local edit with the sync off, then on (every 200 ms, the owner editing meanwhile).
    let mut off = edits(&member, 0).await;
    let syncing = tokio::spawn(member.workspace().clone().run(Duration::from_millis(200)));
    let owner_sync = tokio::spawn(owner.workspace().clone().run(Duration::from_millis(200)));
    let owner_edits = {
        let owner = owner.clone();
        tokio::spawn(async move { edits(&owner, 1).await })
    };
    let mut on = edits(&member, 2).await;
    owner_edits.await.unwrap();
    syncing.abort();
    owner_sync.abort();

    let per_sec = |count: usize, took: Duration| count as f64 / took.as_secs_f64();
    println!("\n## Team workspaces ({n} people, release, private PostgreSQL 15 on a Unix socket)\n");
    println!("| measure | Dealdesk | raw | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| push, changes/s | {:.0} ({:.1} s) | {:.0} ({:.1} s) | {:.2} |",
        per_sec(n, push),
        push.as_secs_f64(),
        per_sec(n, raw_push),
        raw_push.as_secs_f64(),
        raw_push.as_secs_f64() / push.as_secs_f64()
    );
    println!(
        "| a new member joins: pull and merge, changes/s | {:.0} ({:.1} s) | {:.0} ({:.1} s, bulk insert) | {:.2} |",
        per_sec(n, join),
        join.as_secs_f64(),
        per_sec(n, raw_join),
        raw_join.as_secs_f64(),
        raw_join.as_secs_f64() / join.as_secs_f64()
    );
    println!(
        "| local edit p95, ms (target ≤ 5 with sync on) | {:.2} (sync on) | {:.2} (sync off) | |",
        p95(&mut on),
        p95(&mut off)
    );
    println!("\nSeeding {n} people locally took {:.1} s.", seeded.as_secs_f64());
}
