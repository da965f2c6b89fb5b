//! `cargo xtask bench`: a full Whop sync from the sandbox on loopback (20,000 members, 30,000
//! memberships, 100,000 payments by default), the ingest path next to a raw SQLite insert of the
//! same rows, and an incremental sync with nothing changed. Prints a markdown table.
//!
//! Flags: `--members N --memberships N --payments N`.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use dealdesk_core::App;
use dealdesk_core::test_support::TestApp;
use dealdesk_core::whop::{Resource, WhopConfig, sync};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use sqlx::{QueryBuilder, Sqlite};
use std::time::{Duration, Instant};

fn config() -> SandboxConfig {
    let mut c = SandboxConfig::with_members(20_000);
    c.memberships = 30_000;
    c.payments = 100_000;
    let args: Vec<String> = std::env::args().collect();
    let value =
        |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok());
    c.members = value("--members").unwrap_or(c.members);
    c.memberships = value("--memberships").unwrap_or(c.memberships);
    c.payments = value("--payments").unwrap_or(c.payments);
    c
}

async fn open(dir: &std::path::Path, sandbox: &Sandbox) -> App {
    let mut whop =
        WhopConfig::for_server(&sandbox.api_url(), &sandbox.oauth_url(), dealdesk_sandbox::DEFAULT_CLIENT_ID);
    // Loopback: measure Dealdesk, not the politeness delay (the default limit is 10 requests/s).
    whop.max_requests_per_second = None;
    TestApp::new().whop(whop).open(dir).await.unwrap()
}

async fn login(app: &App, sandbox: &Sandbox) {
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
    let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
    app.whop().handle_deep_link(&link).await.unwrap();
}

/// The rows as received, per resource, in sync order (read back from the mirror's raw column).
async fn received_rows(app: &App) -> Vec<(Resource, Vec<Value>)> {
    let mut all = Vec::new();
    for resource in Resource::ALL {
        let raw: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT raw FROM {} ORDER BY created_at, id",
            resource.table()
        )))
        .fetch_all(app.store().pool())
        .await
        .unwrap();
        all.push((resource, raw.iter().map(|r| serde_json::from_str(r).unwrap()).collect()));
    }
    all
}

/// One stored value, read back from the synced database.
#[derive(Clone)]
enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Val {
    fn bind(&self, row: &mut sqlx::query_builder::Separated<'_, Sqlite, &'static str>) {
        match self {
            Val::Null => row.push_bind(None::<String>),
            Val::Int(v) => row.push_bind(*v),
            Val::Real(v) => row.push_bind(*v),
            Val::Text(v) => row.push_bind(v.clone()),
        };
    }
}

/// Rows of a table exactly as the sync stored them: the column names and every row's values.
struct TableRows {
    columns: Vec<String>,
    rows: Vec<Vec<Val>>,
}

async fn read_table(app: &App, sql: &str) -> TableRows {
    use sqlx::{Column, Row};
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_all(app.store().pool()).await.unwrap();
    let columns = rows.first().map(|r| r.columns().iter().map(|c| c.name().to_string()).collect()).unwrap_or_default();
    let rows = rows
        .iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                        v.map_or(Val::Null, Val::Int)
                    } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
                        v.map_or(Val::Null, Val::Real)
                    } else {
                        row.try_get::<Option<String>, _>(i).unwrap().map_or(Val::Null, Val::Text)
                    }
                })
                .collect()
        })
        .collect();
    TableRows { columns, rows }
}

/// What the raw baseline writes: per resource, the mirror rows in sync order, and the person,
/// link and deal rows the sync made, keyed by Whop user and membership id.
struct RawRows {
    mirror: Vec<(Resource, TableRows)>,
    people: std::collections::HashMap<String, (Vec<Val>, Vec<Val>)>,
    person_columns: Vec<String>,
    deals: std::collections::HashMap<String, (Vec<Val>, Vec<Val>)>,
    deal_columns: Vec<String>,
    setup: Vec<TableRows>,
}

async fn raw_rows(app: &App) -> RawRows {
    let mut mirror = Vec::new();
    for resource in Resource::ALL {
        mirror.push((
            resource,
            read_table(app, &format!("SELECT * FROM {} ORDER BY created_at, id", resource.table())).await,
        ));
    }
    let person =
        read_table(app, "SELECT wp.user_id, p.* FROM whop_person wp JOIN person p ON p.id = wp.person_id").await;
    let deal = read_table(app, "SELECT w.membership_id, d.* FROM whop_deal w JOIN deal d ON d.id = w.deal_id").await;
    let split = |t: &TableRows| {
        t.rows
            .iter()
            .map(|r| {
                let Val::Text(key) = &r[0] else { panic!("key") };
                // rid is left to SQLite, as the core does.
                let values: Vec<Val> = r[2..].to_vec();
                let link = vec![r[0].clone(), r[2].clone()];
                (key.clone(), (values, link))
            })
            .collect::<std::collections::HashMap<_, _>>()
    };
    RawRows {
        people: split(&person),
        person_columns: person.columns[2..].to_vec(),
        deals: split(&deal),
        deal_columns: deal.columns[2..].to_vec(),
        mirror,
        setup: vec![
            read_table(app, "SELECT * FROM pipeline WHERE name = 'Whop memberships'").await,
            read_table(
                app,
                "SELECT s.* FROM stage s JOIN pipeline p ON p.id = s.pipeline_id WHERE p.name = 'Whop memberships'",
            )
            .await,
        ],
    }
}

async fn insert_rows(tx: &mut sqlx::SqliteConnection, table: &str, columns: &[String], rows: &[&Vec<Val>]) {
    if rows.is_empty() {
        return;
    }
    let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO {table} ({}) ", columns.join(", ")));
    qb.push_values(rows, |mut row, values| {
        for value in values.iter() {
            value.bind(&mut row);
        }
    });
    qb.build().execute(&mut *tx).await.unwrap();
}

/// Raw SQLite: the rows the ingest ends up writing (values prepared beforehand, read back from the
/// synced database), as bare multi-row INSERTs into the same schema (same indexes and FTS
/// triggers), one transaction per 100-row page: mirror rows, and with members, leads and
/// memberships the new people, their links, the deals and theirs. No JSON parsing, extraction,
/// lookups, validation or change log.
async fn raw_insert(app: &App, raw: &RawRows) -> Vec<Duration> {
    let mut tx = app.store().begin_write().await.unwrap();
    let names = ["pipeline", "stage"];
    for (table, rows) in names.iter().zip(&raw.setup) {
        insert_rows(&mut tx, table, &rows.columns, &rows.rows.iter().collect::<Vec<_>>()).await;
    }
    tx.commit().await.unwrap();
    let mut seen_users = std::collections::HashSet::new();
    let user_columns = ["user_id".to_string(), "person_id".to_string()];
    let deal_link_columns = ["membership_id".to_string(), "deal_id".to_string()];
    let mut times = Vec::new();
    for (resource, table) in &raw.mirror {
        let user_at = table.columns.iter().position(|c| c == "user_id");
        let started = Instant::now();
        for page in table.rows.chunks(100) {
            let mut tx = app.store().begin_write().await.unwrap();
            insert_rows(&mut tx, resource.table(), &table.columns, &page.iter().collect::<Vec<_>>()).await;
            if matches!(resource, Resource::Members | Resource::Leads | Resource::Memberships) {
                let mut people = Vec::new();
                let mut links = Vec::new();
                for row in page {
                    let Some(Val::Text(user)) = user_at.map(|i| &row[i]) else { continue };
                    if seen_users.insert(user.clone())
                        && let Some((person, link)) = raw.people.get(user)
                    {
                        people.push(person);
                        links.push(link);
                    }
                }
                insert_rows(&mut tx, "person", &raw.person_columns, &people).await;
                insert_rows(&mut tx, "whop_person", &user_columns, &links).await;
            }
            if *resource == Resource::Memberships {
                let (deals, links): (Vec<_>, Vec<_>) = page
                    .iter()
                    .filter_map(|row| match &row[0] {
                        Val::Text(id) => raw.deals.get(id).map(|(d, l)| (d, l)),
                        _ => None,
                    })
                    .unzip();
                insert_rows(&mut tx, "deal", &raw.deal_columns, &deals).await;
                insert_rows(&mut tx, "whop_deal", &deal_link_columns, &links).await;
            }
            tx.commit().await.unwrap();
        }
        times.push(started.elapsed());
    }
    times
}

/// The core's ingest path on the same pages: extraction, upsert by updated_at, people and deals,
/// change log, cursor, one transaction per page.
async fn core_ingest(app: &App, rows: &[(Resource, Vec<Value>)], business: &str) -> Vec<Duration> {
    let mut times = Vec::new();
    for (resource, items) in rows {
        let started = Instant::now();
        let pages: Vec<&[Value]> = items.chunks(100).collect();
        let target = match resource {
            Resource::Accounts => sync::Target::accounts(),
            Resource::Reviews => sync::Target::reviews(business, ""),
            _ => sync::Target::of_business(*resource, business),
        };
        for (i, page) in pages.iter().enumerate() {
            sync::ingest_page(app.store(), &target, page, i + 1 < pages.len()).await.unwrap();
        }
        times.push(started.elapsed());
    }
    times
}

/// Per resource, the faster of two rounds.
fn best(a: Vec<Duration>, b: Vec<Duration>) -> Vec<Duration> {
    if a.is_empty() {
        return b;
    }
    a.into_iter().zip(b).map(|(x, y)| x.min(y)).collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let config = config();
    let (members, memberships, payments) = (config.members, config.memberships, config.payments);
    eprintln!("seeding the sandbox: {members} members, {memberships} memberships, {payments} payments…");
    let sandbox = Sandbox::start(config).await.unwrap();
    let objects: usize = sandbox.counts().values().sum();
    let business = sandbox.businesses()[0].0.clone();

    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), &sandbox).await;
    login(&app, &sandbox).await;
    eprintln!("full sync…");
    sandbox.reset_stats();
    let started = Instant::now();
    let run = app.whop().sync(&|_| {}).await.unwrap();
    let full = started.elapsed();
    let full_requests: u64 = run.counts.iter().map(|c| c.requests).sum();
    let fetched: u64 = run.counts.iter().map(|c| c.fetched).sum();
    assert_eq!(fetched as usize, objects, "every object synced");
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM person").fetch_one(app.store().pool()).await.unwrap();
    let deals: i64 = sqlx::query_scalar("SELECT count(*) FROM deal").fetch_one(app.store().pool()).await.unwrap();

    eprintln!("incremental sync with nothing changed…");
    sandbox.reset_stats();
    let started = Instant::now();
    let again = app.whop().sync(&|_| {}).await.unwrap();
    let incremental = started.elapsed();
    let incremental_requests: u64 = again.counts.iter().map(|c| c.requests).sum();
    let max_per_resource = again.counts.iter().map(|c| c.requests).max().unwrap_or(0);

    eprintln!("ingest vs raw insert of the same rows…");
    let rows = received_rows(&app).await;
    let raw_rows = raw_rows(&app).await;
    let total_rows: usize = rows.iter().map(|(_, r)| r.len()).sum();
    // Alternate which goes first over two rounds, fresh databases each time; keep the best of each.
    let mut raw_best: Vec<Duration> = Vec::new();
    let mut core_best: Vec<Duration> = Vec::new();
    for round in 0..2 {
        let raw_dir = tempfile::tempdir().unwrap();
        let core_dir = tempfile::tempdir().unwrap();
        let raw_app = open(raw_dir.path(), &sandbox).await;
        let core_app = open(core_dir.path(), &sandbox).await;
        if round % 2 == 0 {
            raw_best = best(raw_best, raw_insert(&raw_app, &raw_rows).await);
            core_best = best(core_best, core_ingest(&core_app, &rows, &business).await);
        } else {
            core_best = best(core_best, core_ingest(&core_app, &rows, &business).await);
            raw_best = best(raw_best, raw_insert(&raw_app, &raw_rows).await);
        }
        raw_app.close().await;
        core_app.close().await;
    }
    app.close().await;

    let per_sec = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    let by_resource: Vec<String> = rows
        .iter()
        .zip(core_best.iter().zip(&raw_best))
        .filter(|((_, items), _)| items.len() >= 1000)
        .map(|((resource, items), (core, raw))| {
            let (core, raw) = (per_sec(items.len(), *core), per_sec(items.len(), *raw));
            format!("{} {:.0}% ({core:.0} vs {raw:.0} rows/s)", resource.name(), core / raw * 100.0)
        })
        .collect();
    let core_best: Duration = core_best.iter().sum();
    let raw_best: Duration = raw_best.iter().sum();
    let ingest_ratio = per_sec(total_rows, core_best) / per_sec(total_rows, raw_best);
    println!("## Whop sync benchmark\n");
    println!(
        "Sandbox on loopback: {members} members, {memberships} memberships, {payments} payments ({objects} objects in all, \
         with products, plans, refunds, reviews, promo codes, leads); {people} people and {deals} deals created.\n"
    );
    println!("| measure | result | baseline | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| full sync end to end ({full_requests} requests) | {:.1} s, {:.0} objects/s | | | | |",
        full.as_secs_f64(),
        per_sec(objects, full)
    );
    println!(
        "| ingest (extract, upsert, people + deals, change log, cursor; 100-row pages) vs raw INSERTs of the same mirror, person and deal rows | {:.0} rows/s | {:.0} rows/s | {:.0}% | ≥ 50% | {} |",
        per_sec(total_rows, core_best),
        per_sec(total_rows, raw_best),
        ingest_ratio * 100.0,
        if ingest_ratio >= 0.5 { "yes" } else { "no" }
    );
    println!("| ingest by resource (core vs raw) | {} | | | | |", by_resource.join("; "));
    println!(
        "| incremental sync, nothing changed | {:.0} ms, {incremental_requests} requests ({max_per_resource} max per resource) | | | ≤ 1 s, 1 page per resource | {} |",
        incremental.as_secs_f64() * 1000.0,
        if incremental < Duration::from_secs(1) && max_per_resource == 1 { "yes" } else { "no" }
    );
}
