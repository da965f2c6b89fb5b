//! The window's benchmark (run by `cargo xtask bench` under Xvfb): with 100,000 people, 20,000
//! companies and 50,000 deals, how long until the first rows are painted, how fast search results
//! follow typing, whether the people table renders only the visible rows, and the idle memory of
//! the app and its WebKit processes next to an empty Tauri window measured in the same run.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use anyhow::{Context, Result, bail};
use dealdesk_core::App;
use dealdesk_e2e::{APP_ENV, Session};
use dealdesk_model::UpdateSource;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use thirtyfour::Key;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Parent pid of every process.
fn parents() -> HashMap<u32, u32> {
    let mut map = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // Field 4 (ppid) follows the command name in parentheses.
        if let Some(ppid) =
            stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)).and_then(|p| p.parse().ok())
        {
            map.insert(pid, ppid);
        }
    }
    map
}

/// The app's pid: the process running `app` whose command line mentions `marker`.
fn find_app(app: &Path, marker: &str) -> Option<u32> {
    let exe = app.canonicalize().ok()?;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let same_exe = std::fs::read_link(entry.path().join("exe")).is_ok_and(|e| e == exe);
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if same_exe && String::from_utf8_lossy(&cmdline).contains(marker) {
            return Some(pid);
        }
    }
    None
}

/// Proportional set size of a process and all its descendants (the WebKit web and network
/// processes are children of the app), in KiB.
fn tree_pss_kib(root: u32) -> (u64, usize) {
    let parents = parents();
    let mut members = vec![root];
    let mut i = 0;
    while i < members.len() {
        let p = members[i];
        members.extend(parents.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    for pid in &members {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let pss = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("Pss:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u64>().ok())
            })
            .unwrap_or_default();
        eprintln!("  pid {pid} {}: {:.0} MiB", name.trim(), mib(pss));
    }
    let total = members
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .sum();
    (total, members.len())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Idle memory of an empty Tauri window: the same binary with `--blank-window`.
fn blank_window_pss(app: &Path, settle: Duration) -> Result<u64> {
    let mut child = Command::new(app).arg("--blank-window").stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    std::thread::sleep(settle);
    let (pss, _) = tree_pss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    if pss == 0 {
        bail!("could not read the blank window's memory");
    }
    Ok(pss)
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let people = arg("--people", 100_000);
    let companies = arg("--companies", 20_000);
    let deals = arg("--deals", 50_000);
    let app_path = std::path::PathBuf::from(std::env::var_os(APP_ENV).context("DEALDESK_E2E_APP names the app")?);

    let dir = tempfile::tempdir()?;
    eprintln!("seeding {companies} companies, {people} people, {deals} deals…");
    let seeded = Instant::now();
    {
        let app = App::open(dir.path()).await?;
        let data = dealdesk_core::sample::generate(companies, people, deals);
        dealdesk_core::sample::load(app.crm(), &data, UpdateSource::Import).await?;
        app.close().await;
    }
    eprintln!("seeded in {:.1} s", seeded.elapsed().as_secs_f64());
    let marker = dir.path().display().to_string();

    eprintln!("empty window baseline…");
    let blank = blank_window_pss(&app_path, Duration::from_secs(6))?;

    eprintln!("starting the app on the benchmark database…");
    let spawned = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64() * 1000.0;
    let session = Session::start_in(dir).await?;
    let result = async {
        // Window shown (navigation start) to first rows painted, from the page's own clock.
        let deadline = Instant::now() + Duration::from_secs(30);
        let marks = loop {
            let v = session
                .js("return { origin: performance.timeOrigin, rows: (window.__dealdesk_marks || {})['first-rows'] || null };")
                .await?;
            if !v["rows"].is_null() {
                break v;
            }
            if Instant::now() > deadline {
                bail!("the people table never painted rows");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let first_rows = marks["rows"].as_f64().unwrap_or_default();
        let detail = session.js("return window.__dealdesk_marks;").await?;
        let raf = session
            .js("return new Promise(done => { let n = 0; const t0 = performance.now(); const f = () => { if (++n == 10) done((performance.now() - t0) / 10); else requestAnimationFrame(f); }; requestAnimationFrame(f); });")
            .await?;
        eprintln!("requestAnimationFrame interval: {raf} ms");
        eprintln!("page marks (ms from navigation start): {detail}");
        let from_spawn = marks["origin"].as_f64().unwrap_or_default() + first_rows - spawned;

        // Virtual scrolling: rows in the DOM at the top and in the middle of 100k.
        let rendered_top = session.js("return document.querySelectorAll('#people-table .tbody .tr').length;").await?;
        session.js("const b = document.querySelector('#people-table .tbody'); b.scrollTop = b.scrollHeight / 2; b.dispatchEvent(new Event('scroll')); return 0;").await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let middle = session
            .js("const rows = [...document.querySelectorAll('#people-table .tbody .tr')]; return { n: rows.length, named: rows.filter(r => r.querySelector('[data-col=name]')).length, first: rows.length ? Number(rows[0].dataset.index) : -1 };")
            .await?;

        // Typing in search to results painted: the palette records both moments per query.
        session.find("body").await?.send_keys(Key::Control + "k").await?;
        session.find("#palette-input").await?;
        let queries = ["ann", "lee", "sofia", "mar", "alpha lab", "nova", "chen", "zen", "kim", "olga", "deal 12", "orbit", "summit media", "pat", "wagner",
            "tom", "gar", "ivan", "lopez", "jade", "wave", "delta", "hugo", "sara", "noah", "quartz", "kai", "omar", "emma", "river"];
        let mut latencies = Vec::new();
        let mut answered = Vec::new();
        let mut rendered = Vec::new();
        for q in queries {
            session.type_into("#palette-input", q).await?;
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let entry = session.js(&format!("const e = (window.__dealdesk_search || {{}})[{}]; return e && e.painted && e.painted >= e.input ? [e.painted - e.input, e.answered - e.input, e.rendered - e.input] : null;", serde_json::to_string(q)?)).await?;
                if let Some(ms) = entry[0].as_f64() {
                    latencies.push(ms);
                    answered.push(entry[1].as_f64().unwrap_or(f64::NAN));
                    rendered.push(entry[2].as_f64().unwrap_or(f64::NAN));
                    break;
                }
                if Instant::now() > deadline {
                    eprintln!("no results painted for '{q}'");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        session.find("#palette-input").await?.send_keys(Key::Escape).await?;
        eprintln!("search: typed → core answered p50 {:.1} ms, p95 {:.1} ms", percentile(answered.clone(), 0.5), percentile(answered, 0.95));
        eprintln!("search: typed → results in the DOM p50 {:.1} ms, p95 {:.1} ms", percentile(rendered.clone(), 0.5), percentile(rendered, 0.95));
        let probe = session
            .js("const t0 = performance.now(); let x = 0; for (let i = 0; i < 2e7; i++) { x = (x + i * 7) % 1000003; } return [performance.now() - t0, x];")
            .await?;
        eprintln!("JS loop of 2e7 iterations: {} ms", probe[0]);

        // Idle memory of the app and its WebKit processes.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let pid = find_app(&app_path, &marker).context("the app process under WebDriver")?;
        let (pss, processes) = tree_pss_kib(pid);
        Ok((first_rows, from_spawn, rendered_top, middle, latencies, pss, processes))
    }
    .await;
    session.quit().await?;
    let (first_rows, from_spawn, rendered_top, middle, latencies, pss, processes) = result?;

    let ratio = pss as f64 / blank as f64;
    let (s50, s95) = (percentile(latencies.clone(), 0.5), percentile(latencies.clone(), 0.95));
    println!("## Window benchmark\n");
    println!(
        "{people} people, {companies} companies, {deals} deals; release build of the app under Xvfb; times from the page's clock.\n"
    );
    println!("| measure | result | target | met |");
    println!("|---|---|---|---|");
    println!(
        "| window shown (navigation start) → first rows painted | {first_rows:.0} ms | ≤ 500 ms | {} |",
        if first_rows <= 500.0 { "yes" } else { "no" }
    );
    println!("| process start → first rows painted | {from_spawn:.0} ms | | |");
    println!(
        "| typing in search → results painted, p50 / p95 ({} queries) | {s50:.1} ms / {s95:.1} ms | p95 ≤ 50 ms | {} |",
        latencies.len(),
        if s95 <= 50.0 { "yes" } else { "no" }
    );
    println!(
        "| people table rows in the DOM: at the top / mid-table (first row index) | {} / {} ({}) | only visible rows | {} |",
        rendered_top,
        middle["n"],
        middle["first"],
        if rendered_top.as_u64().unwrap_or(u64::MAX) < 80 && middle["n"].as_u64().unwrap_or(u64::MAX) < 80 {
            "yes"
        } else {
            "no"
        }
    );
    println!(
        "| idle memory (PSS), app + WebKit ({processes} processes) | {:.0} MiB | ≤ 250 MiB | {} |",
        mib(pss),
        if mib(pss) <= 250.0 { "yes" } else { "no" }
    );
    println!("| idle memory, empty Tauri window (same binary, `--blank-window`) | {:.0} MiB | | |", mib(blank));
    println!("| app / empty window | {ratio:.2}× | ≤ 1.3× | {} |", if ratio <= 1.3 { "yes" } else { "no" });
    Ok(())
}
