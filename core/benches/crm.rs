//! `cargo xtask bench`: seeds 100,000 people, 20,000 companies and 50,000 deals into fresh
//! databases and compares the core's own paths with raw SQLite doing the same work in the same
//! run: bulk insert, full-text prefix search, first list page. Prints a markdown table.
//!
//! Flags: `--people N --companies N --deals N --queries N --iterations N --rounds N`.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use dealdesk_core::App;
use dealdesk_core::crm::{SEARCH_CANDIDATES, fts_query};
use dealdesk_core::sample::{FIRST, LAST, Rng, SampleData, WORDS, generate};
use dealdesk_model::*;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Config {
    people: usize,
    companies: usize,
    deals: usize,
    queries: usize,
    iterations: usize,
    rounds: usize,
}

fn config() -> Config {
    let mut c = Config { people: 100_000, companies: 20_000, deals: 50_000, queries: 200, iterations: 200, rounds: 3 };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let value = || args.get(i + 1).and_then(|v| v.parse().ok());
        match args[i].as_str() {
            "--people" => c.people = value().unwrap_or(c.people),
            "--companies" => c.companies = value().unwrap_or(c.companies),
            "--deals" => c.deals = value().unwrap_or(c.deals),
            "--queries" => c.queries = value().unwrap_or(c.queries),
            "--iterations" => c.iterations = value().unwrap_or(c.iterations),
            "--rounds" => c.rounds = value().unwrap_or(c.rounds).max(1),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    c
}

const RAW_ROWS_PER_STATEMENT: usize = 250;

/// Placeholder id → the id an insert path gave the record.
#[derive(Default)]
struct IdMap(HashMap<Uuid, Uuid>);

impl IdMap {
    fn fresh(&mut self, placeholder: Option<Uuid>) -> String {
        let id = Uuid::now_v7();
        self.0.insert(placeholder.unwrap(), id);
        id.to_string()
    }

    fn get(&self, placeholder: Option<Uuid>) -> Option<String> {
        placeholder.map(|p| self.0[&p].to_string())
    }

    fn link(&mut self, placeholders: impl Iterator<Item = Option<Uuid>>, ids: Vec<Uuid>) {
        for (placeholder, id) in placeholders.zip(ids) {
            self.0.insert(placeholder.unwrap(), id);
        }
    }

    fn remap(&self, placeholder: Option<Uuid>) -> Option<Uuid> {
        placeholder.map(|p| self.0[&p])
    }
}

/// The same rows, written straight into the same tables with multi-row INSERTs in one transaction.
async fn raw_insert(pool: &SqlitePool, data: &SampleData, now: &str) -> [Duration; 3] {
    let stage_ids: Vec<(String, String)> = sqlx::query_as("SELECT name, id FROM stage").fetch_all(pool).await.unwrap();
    let pipeline: String =
        sqlx::query_scalar("SELECT id FROM pipeline WHERE is_default = 1").fetch_one(pool).await.unwrap();
    let stage = |name: &str| stage_ids.iter().find(|(n, _)| n == name).unwrap().1.clone();

    let mut ids = IdMap::default();
    let start = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    for chunk in data.companies.chunks(RAW_ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO company (id, origin, created_at, updated_at, name, domain, employees, icp, custom) ",
        );
        qb.push_values(chunk, |mut b, c| {
            b.push_bind(ids.fresh(c.id)).push_bind("local").push_bind(now).push_bind(now);
            b.push_bind(c.name.clone()).push_bind(c.domain.clone()).push_bind(c.employees).push_bind(0).push_bind("{}");
        });
        qb.build().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let companies = start.elapsed();

    let start = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    for chunk in data.people.chunks(RAW_ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO person (id, origin, created_at, updated_at, first_name, last_name, email, job_title, city, company_id, custom) ",
        );
        qb.push_values(chunk, |mut b, p| {
            b.push_bind(ids.fresh(p.id)).push_bind("local").push_bind(now).push_bind(now);
            b.push_bind(p.first_name.clone()).push_bind(p.last_name.clone()).push_bind(p.email.clone());
            b.push_bind(p.job_title.clone()).push_bind(p.city.clone()).push_bind(ids.get(p.company_id));
            b.push_bind("{}");
        });
        qb.build().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let people = start.elapsed();

    let start = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    for (n, chunk) in data.deals.chunks(RAW_ROWS_PER_STATEMENT).enumerate() {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO deal (id, origin, created_at, updated_at, name, amount_micros, currency, pipeline_id, stage_id, \
             status, contact_id, company_id, stage_entered_at, position, custom) ",
        );
        qb.push_values(chunk.iter().enumerate(), |mut b, (i, d)| {
            b.push_bind(ids.fresh(d.id)).push_bind("local").push_bind(now).push_bind(now);
            b.push_bind(d.name.clone()).push_bind(d.amount.micros).push_bind(d.amount.currency.clone());
            b.push_bind(pipeline.clone()).push_bind(stage(d.stage.as_deref().unwrap())).push_bind("open");
            b.push_bind(ids.get(d.contact_id)).push_bind(ids.get(d.company_id));
            b.push_bind(now).push_bind((n * RAW_ROWS_PER_STATEMENT + i) as f64).push_bind("{}");
        });
        qb.build().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    [companies, people, start.elapsed()]
}

async fn core_insert(app: &App, data: &SampleData) -> [Duration; 3] {
    let crm = app.crm();
    let mut ids = IdMap::default();
    // The core makes the ids: drop the placeholders (untimed), then link by the returned ids.
    let companies: Vec<NewCompany> = data.companies.iter().map(|c| NewCompany { id: None, ..c.clone() }).collect();
    let start = Instant::now();
    let made = crm.create_companies(companies, UpdateSource::Import).await.unwrap();
    let companies_time = start.elapsed();
    ids.link(data.companies.iter().map(|c| c.id), made);

    let people: Vec<NewPerson> =
        data.people.iter().map(|p| NewPerson { id: None, company_id: ids.remap(p.company_id), ..p.clone() }).collect();
    let start = Instant::now();
    let made = crm.create_people(people, UpdateSource::Import).await.unwrap();
    let people_time = start.elapsed();
    ids.link(data.people.iter().map(|p| p.id), made);

    let deals: Vec<NewDeal> = data
        .deals
        .iter()
        .map(|d| NewDeal {
            id: None,
            contact_id: ids.remap(d.contact_id),
            company_id: ids.remap(d.company_id),
            ..d.clone()
        })
        .collect();
    let start = Instant::now();
    crm.create_deals(deals, UpdateSource::Import).await.unwrap();
    [companies_time, people_time, start.elapsed()]
}

const RAW_SEARCH: &str = "\
SELECT kind, rid, rank FROM (
  SELECT 'person' AS kind, rowid AS rid, rank FROM person_fts WHERE person_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3)
UNION ALL SELECT kind, rid, rank FROM (
  SELECT 'company' AS kind, rowid AS rid, rank FROM company_fts WHERE company_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3)
UNION ALL SELECT kind, rid, rank FROM (
  SELECT 'deal' AS kind, rowid AS rid, rank FROM deal_fts WHERE deal_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3)
UNION ALL SELECT kind, rid, rank FROM (
  SELECT 'note' AS kind, rowid AS rid, rank FROM note_fts WHERE note_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3)
ORDER BY rank LIMIT ?2";

/// Ranking every match, as a search without the candidate cap would: shown for comparison.
const RAW_SEARCH_ALL_RANKED: &str = "\
SELECT kind, rid, rank FROM (
  SELECT 'person' AS kind, rowid AS rid, rank FROM person_fts WHERE person_fts MATCH ?1 ORDER BY rank LIMIT ?2)
UNION ALL SELECT kind, rid, rank FROM (
  SELECT 'company' AS kind, rowid AS rid, rank FROM company_fts WHERE company_fts MATCH ?1 ORDER BY rank LIMIT ?2)
UNION ALL SELECT kind, rid, rank FROM (
  SELECT 'deal' AS kind, rowid AS rid, rank FROM deal_fts WHERE deal_fts MATCH ?1 ORDER BY rank LIMIT ?2)
UNION ALL SELECT kind, rid, rank FROM (
  SELECT 'note' AS kind, rowid AS rid, rank FROM note_fts WHERE note_fts MATCH ?1 ORDER BY rank LIMIT ?2)
ORDER BY rank LIMIT ?2";

/// Prefixes a user might type: 2-4 letters of names, companies and words, some two-word.
fn search_queries(data: &SampleData, n: usize) -> Vec<String> {
    let mut rng = Rng(42);
    (0..n)
        .map(|i| {
            let word = match i % 4 {
                0 => rng.pick(FIRST).to_string(),
                1 => rng.pick(LAST).to_string(),
                2 => rng.pick(WORDS).to_string(),
                _ => {
                    let p = &data.people[(rng.next_u64() % data.people.len().max(1) as u64) as usize];
                    format!("{} {}", p.first_name, &p.last_name.chars().take(2).collect::<String>())
                }
            };
            let len = 2 + (rng.next_u64() % 3) as usize;
            if word.contains(' ') { word } else { word.chars().take(len).collect() }
        })
        .collect()
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn rate(rows: usize, d: Duration) -> f64 {
    rows as f64 / d.as_secs_f64()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| t.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<u64>().ok()))
        .map(|kb| format!("{} GiB", kb / 1024 / 1024))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem} RAM, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let c = config();
    eprintln!("generating {} companies, {} people, {} deals…", c.companies, c.people, c.deals);
    let data = generate(c.companies, c.people, c.deals);

    // Insert: raw and core into fresh databases, alternating which goes first, `rounds` times;
    // the median of each is reported. The last core database serves the read measurements.
    let now = dealdesk_core::store::time::format(dealdesk_core::store::time::now());
    let (mut raw_runs, mut core_runs) = (Vec::new(), Vec::new());
    let mut kept = None;
    for round in 0..c.rounds {
        let raw_dir = tempfile::tempdir().unwrap();
        let raw_app = App::open(raw_dir.path()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path()).await.unwrap();
        eprintln!("insert round {} of {}…", round + 1, c.rounds);
        if round % 2 == 0 {
            raw_runs.push(raw_insert(raw_app.store().pool(), &data, &now).await);
            core_runs.push(core_insert(&app, &data).await);
        } else {
            core_runs.push(core_insert(&app, &data).await);
            raw_runs.push(raw_insert(raw_app.store().pool(), &data, &now).await);
        }
        raw_app.close().await;
        kept = Some((dir, app));
    }
    let median = |runs: &[[Duration; 3]], i: usize| {
        let mut v: Vec<Duration> = runs.iter().map(|r| r[i]).collect();
        percentile(&mut v, 0.5)
    };
    let raw = [median(&raw_runs, 0), median(&raw_runs, 1), median(&raw_runs, 2)];
    let core = [median(&core_runs, 0), median(&core_runs, 1), median(&core_runs, 2)];
    let (_dir, app) = kept.unwrap();

    let sqlite_version: String =
        sqlx::query_scalar("SELECT sqlite_version()").fetch_one(app.store().pool()).await.unwrap();
    println!("## CRM core benchmark\n");
    println!("Machine: {}; SQLite {sqlite_version}; release build.\n", machine());
    println!("| measure | core | raw SQLite | core / raw | target | met |");
    println!("|---|---|---|---|---|---|");
    let counts = [c.companies, c.people, c.deals];
    let names = ["companies", "people", "deals"];
    for i in 0..3 {
        let (core_rate, raw_rate) = (rate(counts[i], core[i]), rate(counts[i], raw[i]));
        let ratio = core_rate / raw_rate;
        println!(
            "| insert {} ({} rows, median of {} rounds) | {:.0} rows/s | {:.0} rows/s | {:.0}% | ≥ 50% | {} |",
            names[i],
            counts[i],
            c.rounds,
            core_rate,
            raw_rate,
            ratio * 100.0,
            if ratio >= 0.5 { "yes" } else { "no" }
        );
    }
    let total = counts.iter().sum::<usize>();
    let (core_total, raw_total): (Duration, Duration) = (core.iter().sum(), raw.iter().sum());
    let ratio = rate(total, core_total) / rate(total, raw_total);
    println!(
        "| insert all ({total} rows) | {:.0} rows/s | {:.0} rows/s | {:.0}% | ≥ 50% | {} |",
        rate(total, core_total),
        rate(total, raw_total),
        ratio * 100.0,
        if ratio >= 0.5 { "yes" } else { "no" }
    );

    // Search: the same prefix queries through the core and as a bare FTS5 query, interleaved.
    let queries = search_queries(&data, c.queries);
    let pool = app.store().pool().clone();
    for q in &queries {
        app.crm().search(q, Some(20)).await.unwrap();
    }
    let (mut core_s, mut raw_s, mut all_s) = (Vec::new(), Vec::new(), Vec::new());
    let mut hits = 0usize;
    for q in &queries {
        let start = Instant::now();
        hits += app.crm().search(q, Some(20)).await.unwrap().len();
        core_s.push(start.elapsed());
        let fts = fts_query(q).unwrap();
        let start = Instant::now();
        let rows: Vec<(String, i64, f64)> =
            sqlx::query_as(RAW_SEARCH).bind(&fts).bind(20i64).bind(SEARCH_CANDIDATES).fetch_all(&pool).await.unwrap();
        raw_s.push(start.elapsed());
        assert!(rows.len() <= 20);
        let start = Instant::now();
        let _: Vec<(String, i64, f64)> =
            sqlx::query_as(RAW_SEARCH_ALL_RANKED).bind(&fts).bind(20i64).fetch_all(&pool).await.unwrap();
        all_s.push(start.elapsed());
    }
    let (c50, c95, r50, r95) = (
        percentile(&mut core_s, 0.5),
        percentile(&mut core_s, 0.95),
        percentile(&mut raw_s, 0.5),
        percentile(&mut raw_s, 0.95),
    );
    let ratio = c95.as_secs_f64() / r95.as_secs_f64();
    println!(
        "| search p50 ({} prefix queries) | {} | {} | {:.2}× | | |",
        queries.len(),
        ms(c50),
        ms(r50),
        c50.as_secs_f64() / r50.as_secs_f64()
    );
    println!(
        "| search p95 | {} | {} | {ratio:.2}× | ≤ 10 ms, ≤ 2× raw | {} |",
        ms(c95),
        ms(r95),
        if c95 <= Duration::from_millis(10) && ratio <= 2.0 { "yes" } else { "no" }
    );
    let (a50, a95) = (percentile(&mut all_s, 0.5), percentile(&mut all_s, 0.95));
    println!("| (raw FTS5 ranking every match, p95 (p50)) | | {} ({}) | | | |", ms(a95), ms(a50));

    // First list page (50 rows), by name and by last update, next to the bare index-ordered
    // SELECT of the same rows (no joins, tags or decoding into records).
    let pages: [(&str, &str); 3] = [
        (
            "people first page by name",
            "SELECT id, first_name, last_name, email, company_id, updated_at FROM person \
             WHERE deleted_at IS NULL ORDER BY first_name, last_name, id LIMIT 51",
        ),
        (
            "people first page by updated time",
            "SELECT id, first_name, last_name, email, company_id, updated_at FROM person \
             WHERE deleted_at IS NULL ORDER BY updated_at, id LIMIT 51",
        ),
        (
            "deals first page by updated time (desc)",
            "SELECT id, name, amount_micros, currency, stage_id, status, company_id, contact_id, updated_at FROM deal \
             WHERE deleted_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT 51",
        ),
    ];
    for (i, (label, raw_sql)) in pages.into_iter().enumerate() {
        let run = |i: usize| {
            let app = &app;
            async move {
                match i {
                    0 => app
                        .crm()
                        .list_people(&PersonQuery { limit: Some(50), ..Default::default() })
                        .await
                        .unwrap()
                        .items
                        .len(),
                    1 => {
                        let query = PersonQuery { sort: PersonSort::UpdatedAt, limit: Some(50), ..Default::default() };
                        app.crm().list_people(&query).await.unwrap().items.len()
                    }
                    _ => {
                        let query = DealQuery {
                            sort: DealSort::UpdatedAt,
                            direction: SortDirection::Desc,
                            limit: Some(50),
                            ..Default::default()
                        };
                        app.crm().list_deals(&query).await.unwrap().items.len()
                    }
                }
            }
        };
        run(i).await;
        let (mut core_s, mut raw_s) = (Vec::new(), Vec::new());
        for _ in 0..c.iterations {
            let start = Instant::now();
            let n = run(i).await;
            core_s.push(start.elapsed());
            assert!(n > 0);
            let start = Instant::now();
            let rows = sqlx::query(raw_sql).fetch_all(&pool).await.unwrap();
            raw_s.push(start.elapsed());
            assert!(!rows.is_empty());
        }
        let (p50, p95) = (percentile(&mut core_s, 0.5), percentile(&mut core_s, 0.95));
        let (r50, r95) = (percentile(&mut raw_s, 0.5), percentile(&mut raw_s, 0.95));
        println!(
            "| {label}, p95 (p50) | {} ({}) | {} ({}) | {:.2}× | ≤ 5 ms | {} |",
            ms(p95),
            ms(p50),
            ms(r95),
            ms(r50),
            p95.as_secs_f64() / r95.as_secs_f64(),
            if p95 <= Duration::from_millis(5) { "yes" } else { "no" }
        );
    }
    println!("\nSearch returned {hits} hits over {} queries.", queries.len());
    app.close().await;
}
