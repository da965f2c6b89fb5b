//! `cargo xtask bench`: seeds 100,000 people, 20,000 companies and 50,000 deals into fresh
//! databases and compares the core's own paths with raw SQLite doing the same work in the same
//! run: bulk insert, full-text prefix search, first list page. Prints a markdown table.
//!
//! Flags: `--people N --companies N --deals N --queries N --iterations N`.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use dealdesk_core::App;
use dealdesk_core::crm::fts_query;
use dealdesk_model::*;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Config {
    people: usize,
    companies: usize,
    deals: usize,
    queries: usize,
    iterations: usize,
}

fn config() -> Config {
    let mut c = Config { people: 100_000, companies: 20_000, deals: 50_000, queries: 200, iterations: 200 };
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
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    c
}

/// xorshift64*: deterministic data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Ada", "Alan", "Amara", "Ana", "Ann", "Arjun", "Beatriz", "Ben", "Bjorn", "Carla", "Chen", "Chloé", "Dana",
    "David", "Diego", "Elena", "Emeka", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jade",
    "James", "Jonas", "José", "Julia", "Kai", "Karim", "Lara", "Leo", "Lina", "Lucas", "Maya", "Mei", "Mohammed",
    "Nadia", "Noah", "Nora", "Olga", "Omar", "Paula", "Pedro", "Priya", "Rafael", "Rosa", "Sam", "Sara", "Sofia",
    "Tariq", "Tom", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoë",
];
const LAST: &[&str] = &[
    "Abebe",
    "Alvarez",
    "Andersen",
    "Baker",
    "Bianchi",
    "Brown",
    "Chen",
    "Costa",
    "Dubois",
    "Dupont",
    "Eriksson",
    "Fischer",
    "García",
    "Gomez",
    "Hansen",
    "Hoffmann",
    "Ivanova",
    "Jensen",
    "Kim",
    "Kowalski",
    "Larsen",
    "Lee",
    "López",
    "Martin",
    "Müller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Sørensen",
    "Tanaka",
    "Taylor",
    "Wagner",
    "Wang",
    "Weber",
    "Wilson",
    "Yamamoto",
    "Zhang",
    "Ziegler",
];
const TITLES: &[&str] =
    &["Founder", "CEO", "CTO", "Head of Growth", "Community Manager", "Creator", "Coach", "Designer"];
const CITIES: &[&str] =
    &["Lisbon", "Berlin", "Austin", "Lagos", "São Paulo", "Tokyo", "Toronto", "Paris", "Mumbai", "Sydney"];
const WORDS: &[&str] = &[
    "Alpha", "Bright", "Cloud", "Delta", "Echo", "Forge", "Growth", "Harbor", "Insight", "Jet", "Kite", "Lumen",
    "Mint", "Nova", "Orbit", "Pixel", "Quartz", "River", "Summit", "Trade", "Union", "Vertex", "Wave", "Xeno", "Yield",
    "Zen",
];
const SUFFIXES: &[&str] = &["Labs", "Academy", "Capital", "Studio", "Media", "Collective", "Group", "Club"];

struct Data {
    companies: Vec<NewCompany>,
    people: Vec<NewPerson>,
    deals: Vec<NewDeal>,
}

fn generate(c: &Config) -> Data {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let companies: Vec<NewCompany> = (0..c.companies)
        .map(|i| {
            let (a, b) = (rng.pick(WORDS), rng.pick(SUFFIXES));
            NewCompany {
                id: Some(Uuid::now_v7()),
                name: format!("{a} {b} {i}"),
                domain: Some(format!("{}-{}-{i}.com", a.to_lowercase(), b.to_lowercase())),
                employees: Some((rng.next() % 500) as i64),
                ..Default::default()
            }
        })
        .collect();
    let people: Vec<NewPerson> = (0..c.people)
        .map(|i| {
            let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
            let company =
                (!companies.is_empty()).then(|| companies[(rng.next() % companies.len() as u64) as usize].id).flatten();
            NewPerson {
                id: Some(Uuid::now_v7()),
                first_name: first.to_string(),
                last_name: last.to_string(),
                email: Some(
                    format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase())
                        .replace(['é', 'ë', 'ø', 'í', 'ü', 'á', 'ó'], "x"),
                ),
                job_title: Some(rng.pick(TITLES).to_string()),
                city: Some(rng.pick(CITIES).to_string()),
                company_id: company,
                ..Default::default()
            }
        })
        .collect();
    let stages = ["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"];
    let deals: Vec<NewDeal> = (0..c.deals)
        .map(|i| NewDeal {
            id: Some(Uuid::now_v7()),
            name: format!("{} {} deal {i}", rng.pick(WORDS), rng.pick(SUFFIXES)),
            amount: Money { micros: ((rng.next() % 50_000) as i64 + 100) * 1_000_000, currency: "USD".into() },
            close_date: None,
            pipeline_id: None,
            stage: Some(stages[(rng.next() % 5) as usize].to_string()),
            status: DealStatus::Open,
            lost_reason: None,
            contact_id: (!people.is_empty()).then(|| people[(rng.next() % people.len() as u64) as usize].id).flatten(),
            company_id: (!companies.is_empty())
                .then(|| companies[(rng.next() % companies.len() as u64) as usize].id)
                .flatten(),
            custom: Default::default(),
        })
        .collect();
    Data { companies, people, deals }
}

const RAW_ROWS_PER_STATEMENT: usize = 250;

/// The same rows, written straight into the same tables with multi-row INSERTs in one transaction.
async fn raw_insert(pool: &SqlitePool, data: &Data, now: &str) -> [Duration; 3] {
    let stage_ids: Vec<(String, String)> = sqlx::query_as("SELECT name, id FROM stage").fetch_all(pool).await.unwrap();
    let pipeline: String =
        sqlx::query_scalar("SELECT id FROM pipeline WHERE is_default = 1").fetch_one(pool).await.unwrap();
    let stage = |name: &str| stage_ids.iter().find(|(n, _)| n == name).unwrap().1.clone();

    let start = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    for chunk in data.companies.chunks(RAW_ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO company (id, origin, created_at, updated_at, name, domain, employees, icp, custom) ",
        );
        qb.push_values(chunk, |mut b, c| {
            b.push_bind(c.id.unwrap().to_string()).push_bind("local").push_bind(now).push_bind(now);
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
            b.push_bind(p.id.unwrap().to_string()).push_bind("local").push_bind(now).push_bind(now);
            b.push_bind(p.first_name.clone()).push_bind(p.last_name.clone()).push_bind(p.email.clone());
            b.push_bind(p.job_title.clone()).push_bind(p.city.clone()).push_bind(p.company_id.map(|c| c.to_string()));
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
            b.push_bind(d.id.unwrap().to_string()).push_bind("local").push_bind(now).push_bind(now);
            b.push_bind(d.name.clone()).push_bind(d.amount.micros).push_bind(d.amount.currency.clone());
            b.push_bind(pipeline.clone()).push_bind(stage(d.stage.as_deref().unwrap())).push_bind("open");
            b.push_bind(d.contact_id.map(|c| c.to_string())).push_bind(d.company_id.map(|c| c.to_string()));
            b.push_bind(now).push_bind((n * RAW_ROWS_PER_STATEMENT + i) as f64).push_bind("{}");
        });
        qb.build().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    [companies, people, start.elapsed()]
}

async fn core_insert(app: &App, data: &Data) -> [Duration; 3] {
    let crm = app.crm();
    let start = Instant::now();
    crm.create_companies(data.companies.clone(), UpdateSource::Import).await.unwrap();
    let companies = start.elapsed();
    let start = Instant::now();
    crm.create_people(data.people.clone(), UpdateSource::Import).await.unwrap();
    let people = start.elapsed();
    let start = Instant::now();
    crm.create_deals(data.deals.clone(), UpdateSource::Import).await.unwrap();
    [companies, people, start.elapsed()]
}

const RAW_SEARCH: &str = "\
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
fn search_queries(data: &Data, n: usize) -> Vec<String> {
    let mut rng = Rng(42);
    (0..n)
        .map(|i| {
            let word = match i % 4 {
                0 => rng.pick(FIRST).to_string(),
                1 => rng.pick(LAST).to_string(),
                2 => rng.pick(WORDS).to_string(),
                _ => {
                    let p = &data.people[(rng.next() % data.people.len().max(1) as u64) as usize];
                    format!("{} {}", p.first_name, &p.last_name.chars().take(2).collect::<String>())
                }
            };
            let len = 2 + (rng.next() % 3) as usize;
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
    let data = generate(&c);

    let raw_dir = tempfile::tempdir().unwrap();
    let raw_app = App::open(raw_dir.path()).await.unwrap();
    let now = dealdesk_core::store::time::format(dealdesk_core::store::time::now());
    eprintln!("raw insert…");
    let raw = raw_insert(raw_app.store().pool(), &data, &now).await;
    raw_app.close().await;

    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).await.unwrap();
    eprintln!("core insert…");
    let core = core_insert(&app, &data).await;

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
            "| insert {} ({} rows) | {:.0} rows/s | {:.0} rows/s | {:.0}% | ≥ 50% | {} |",
            names[i],
            counts[i],
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
    let (mut core_s, mut raw_s) = (Vec::new(), Vec::new());
    let mut hits = 0usize;
    for q in &queries {
        let start = Instant::now();
        hits += app.crm().search(q, Some(20)).await.unwrap().len();
        core_s.push(start.elapsed());
        let fts = fts_query(q).unwrap();
        let start = Instant::now();
        let rows: Vec<(String, i64, f64)> =
            sqlx::query_as(RAW_SEARCH).bind(fts).bind(20i64).fetch_all(&pool).await.unwrap();
        raw_s.push(start.elapsed());
        assert!(!rows.is_empty() || hits == 0);
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

    // First list page (50 rows), by name and by last update.
    for (label, sort) in [("name", PersonSort::Name), ("updated time", PersonSort::UpdatedAt)] {
        let query = PersonQuery { sort, limit: Some(50), ..Default::default() };
        app.crm().list_people(&query).await.unwrap();
        let mut samples = Vec::new();
        for _ in 0..c.iterations {
            let start = Instant::now();
            let page = app.crm().list_people(&query).await.unwrap();
            samples.push(start.elapsed());
            assert_eq!(page.items.len(), 50.min(c.people));
        }
        let (p50, p95) = (percentile(&mut samples, 0.5), percentile(&mut samples, 0.95));
        println!(
            "| people first page by {label}, p95 (p50) | {} ({}) | | | ≤ 5 ms | {} |",
            ms(p95),
            ms(p50),
            if p95 <= Duration::from_millis(5) { "yes" } else { "no" }
        );
    }
    let query =
        DealQuery { sort: DealSort::UpdatedAt, direction: SortDirection::Desc, limit: Some(50), ..Default::default() };
    let mut samples = Vec::new();
    for _ in 0..c.iterations {
        let start = Instant::now();
        app.crm().list_deals(&query).await.unwrap();
        samples.push(start.elapsed());
    }
    let (p50, p95) = (percentile(&mut samples, 0.5), percentile(&mut samples, 0.95));
    println!(
        "| deals first page by updated time (desc), p95 (p50) | {} ({}) | | | ≤ 5 ms | {} |",
        ms(p95),
        ms(p50),
        if p95 <= Duration::from_millis(5) { "yes" } else { "no" }
    );
    println!("\nSearch returned {hits} hits over {} queries.", queries.len());
    app.close().await;
}
