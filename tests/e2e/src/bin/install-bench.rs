//! The installed app's benchmark (run by `cargo xtask bench` under Xvfb, as root): the sizes of
//! the release bundles and of the installed package, the start of the installed app to its first
//! paint on an empty database and on the 100k benchmark database, against an empty Tauri window
//! started and measured the same way (`--blank-window`), and the idle memory. `--app PATH`
//! measures the starts of a built binary instead, with no package (no sizes): for trying a change
//! without a quarter of an hour of release bundling.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use anyhow::{Context, Result, bail, ensure};
use dealdesk_core::App;
use dealdesk_e2e::Session;
use dealdesk_model::UpdateSource;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const INSTALLED_APP: &str = "/usr/bin/dealdesk";
const RUNS: usize = 5;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or_default()
}

/// When a process started, in ms since the epoch: its start in clock ticks since boot
/// (/proc/PID/stat field 22) placed on the wall clock through /proc/uptime (10 ms resolution).
fn process_start_ms(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks: f64 = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|v| v.parse().ok())
        .context("/proc/PID/stat starttime")?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")?
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .context("/proc/uptime")?;
    let now = now_ms();
    Ok(now - (uptime - ticks / 100.0) * 1000.0)
}

/// The newest process running `exe` (the app under WebDriver).
fn newest_pid(exe: &Path) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == exe))
        .max()
}

/// (RSS, PSS) in KiB of a process and its descendants (WebKit's web and network processes).
fn tree_memory_kib(root: u32) -> (u64, u64) {
    let mut parents = Vec::new();
    for pid in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = pid.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        if let Some(ppid) =
            stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().nth(1)).and_then(|p| p.parse::<u32>().ok())
        {
            parents.push((pid, ppid));
        }
    }
    let mut members = vec![root];
    let mut i = 0;
    while i < members.len() {
        let p = members[i];
        members.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    let field = |pid: u32, name: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .and_then(|t| {
                t.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or_default()
    };
    (members.iter().map(|p| field(*p, "Rss:")).sum(), members.iter().map(|p| field(*p, "Pss:")).sum())
}

/// Empties the page cache when allowed (root on a machine that permits it): a cold start.
fn drop_caches() -> bool {
    let _ = Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// Where a start's time goes, in ms from the process start: the page's clock starting (the shell,
/// the database and WebKit's processes), the app's frame painted (index.html, before the wasm),
/// the wasm running, the first command answered, the first content painted.
const PHASES: [&str; 5] =
    ["page clock starts", "app frame painted", "wasm starts", "first command answered", "first content painted"];

/// One start: the app spawned by WebDriver, then process start → first content painted, and the
/// time each phase ended.
async fn start_once(app: &Path, data: &Path, args: &[&str], cold: bool) -> Result<(f64, [f64; 5], u32, Session)> {
    let dir = tempfile::tempdir()?;
    if data.exists() {
        std::fs::copy(data, dir.path().join("dealdesk.sqlite3"))?;
    }
    if cold {
        drop_caches();
    }
    let session = Session::start_app_with_args(app, dir, &[], args).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    // The app marks its first rows (or empty state) painted; the empty window's page has nothing
    // to mark, so its load (the first frame of an empty document) stands in.
    let blank = args.contains(&"--blank-window");
    let empty_ok = !data.exists() || std::fs::metadata(data).map(|m| m.len()).unwrap_or_default() < 2_000_000;
    // Builds that mark the empty page's first paint say so within a moment; older ones do not.
    let settle = Instant::now() + Duration::from_secs(3);
    let marks = loop {
        let v = session
            .js("const n = performance.getEntriesByType('navigation')[0]; const m = window.__dealdesk_marks || {}; return { origin: performance.timeOrigin, painted: m['first-rows'] || null, mounted: m['table-mounted'] || null, loaded: n && n.loadEventEnd > 0 ? n.loadEventEnd : null, frame: m['frame-painted'] || null, wasm: m['wasm-start'] || null, answered: m['first-invoke-answered'] || null, all: m };")
            .await?;
        if !v["painted"].is_null() {
            break v;
        }
        // An empty database has no rows to paint: the people page painted is its first paint.
        if empty_ok && !v["mounted"].is_null() && Instant::now() > settle {
            let mut v = v;
            v["painted"] = v["mounted"].clone();
            break v;
        }
        if blank && !v["loaded"].is_null() {
            let mut v = v;
            v["painted"] = v["loaded"].clone();
            break v;
        }
        if Instant::now() > deadline {
            bail!("nothing painted within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let pid = newest_pid(app).context("the app's process")?;
    let clock = marks["origin"].as_f64().unwrap_or_default() - process_start_ms(pid)?;
    let at = |name: &str| marks[name].as_f64().map_or(f64::NAN, |ms| clock + ms);
    let phases = [clock, at("frame"), at("wasm"), at("answered"), at("painted")];
    // Every mark the page recorded, for reading one start closely (stderr only).
    if let Some(all) = marks["all"].as_object() {
        let mut named: Vec<(f64, &str)> =
            all.iter().filter_map(|(name, ms)| Some((clock + ms.as_f64()?, name.as_str()))).collect();
        named.sort_by(|a, b| a.0.total_cmp(&b.0));
        let line: Vec<String> = named.iter().map(|(ms, name)| format!("{name} {ms:.0}")).collect();
        eprintln!("  marks (ms after the process start): {}", line.join(", "));
    }
    Ok((phases[4], phases, pid, session))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `RUNS` starts: their times to first paint, and the median time each phase ended.
async fn starts(app: &Path, label: &str, data: &Path, args: &[&str], cold: bool) -> Result<(Vec<f64>, [f64; 5])> {
    let mut times = Vec::new();
    let mut phases: [Vec<f64>; 5] = Default::default();
    for run in 1..=RUNS {
        let (ms, ends, _, session) = start_once(app, data, args, cold).await?;
        eprintln!("{label}, run {run}: {ms:.0} ms (phases end at {ends:.0?} ms)");
        times.push(ms);
        for (all, end) in phases.iter_mut().zip(ends) {
            all.push(end);
        }
        session.quit().await?;
    }
    Ok((times, phases.map(median)))
}

fn mib(bytes: f64) -> f64 {
    bytes / 1024.0 / 1024.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let people: usize = arg("--people").and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let (app, sizes, _installed) = match arg("--app") {
        Some(path) => (std::fs::canonicalize(&path).with_context(|| format!("--app {path}"))?, None, None),
        None => {
            let deb = PathBuf::from(arg("--deb").context("--deb names the release .deb (or --app a binary)")?);
            let appimage = arg("--appimage").map(PathBuf::from);
            let status = Command::new("dpkg").arg("-i").arg(&deb).status()?;
            ensure!(status.success(), "dpkg -i {} failed", deb.display());
            let installed = Installed;
            let installed_kib: f64 = String::from_utf8(
                Command::new("dpkg-query").args(["-W", "-f=${Installed-Size}", "dealdesk"]).output()?.stdout,
            )?
            .trim()
            .parse()?;
            let deb_bytes = std::fs::metadata(&deb)?.len() as f64;
            let appimage_bytes = appimage.as_ref().and_then(|p| std::fs::metadata(p).ok()).map(|m| m.len() as f64);
            (PathBuf::from(INSTALLED_APP), Some((deb_bytes, appimage_bytes, installed_kib)), Some(installed))
        }
    };
    let app = app.as_path();

    // The benchmark database: the window benchmark's 100k people, 20k companies, 50k deals.
    let seeds = tempfile::tempdir()?;
    let empty = seeds.path().join("empty/dealdesk.sqlite3");
    let big = seeds.path().join("big/dealdesk.sqlite3");
    for (path, people) in [(&empty, 0), (&big, people)] {
        let dir = path.parent().context("seed dir")?;
        let app = App::open(dir).await?;
        app.dismiss_welcome().await?;
        if people > 0 {
            eprintln!("seeding {people} people…");
            let data = dealdesk_core::sample::generate(people / 5, people, people / 2);
            dealdesk_core::sample::load(app.crm(), &data, UpdateSource::Import).await?;
        }
        app.close().await;
    }
    let cold = drop_caches();
    eprintln!(
        "page cache {}",
        if cold { "dropped before each start (cold)" } else { "cannot be dropped here (warm starts)" }
    );

    let (blank, blank_phases) =
        starts(app, "empty Tauri window", Path::new("/nonexistent"), &["--blank-window"], cold).await?;
    let (empty_times, empty_phases) = starts(app, "installed app, empty database", &empty, &[], cold).await?;
    let (big_times, big_phases) = starts(app, "installed app, 100k database", &big, &[], cold).await?;

    // Idle memory after start on the empty database.
    let (_, _, pid, session) = start_once(app, &empty, &[], false).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (rss, pss) = tree_memory_kib(pid);
    session.quit().await?;
    let (_, _, blank_pid, session) = start_once(app, Path::new("/nonexistent"), &["--blank-window"], false).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (blank_rss, blank_pss) = tree_memory_kib(blank_pid);
    session.quit().await?;

    let (b, e, g) = (median(blank), median(empty_times), median(big_times));
    let kind = if cold { "cold (page cache dropped)" } else { "warm" };
    println!("## Installed app benchmark\n");
    println!(
        "Release bundles; the installed `.deb` started by WebDriver under Xvfb; median of {RUNS} {kind} starts, from the process start (/proc) to the first content painted (the page's clock).\n"
    );
    println!("| measure | result | target | met |");
    println!("|---|---|---|---|");
    if let Some((deb_bytes, appimage_bytes, installed_kib)) = sizes {
        println!(
            "| `.deb` size | {:.1} MB | ≤ 20 MB | {} |",
            deb_bytes / 1e6,
            if deb_bytes <= 20e6 { "yes" } else { "no" }
        );
        if let Some(bytes) = appimage_bytes {
            println!("| AppImage size | {:.1} MB | | |", bytes / 1e6);
        }
        println!("| installed size (dpkg) | {:.1} MB | | |", installed_kib * 1024.0 / 1e6);
    } else {
        println!("| app measured | `{}` (not installed) | | |", app.display());
    }
    println!("| empty Tauri window (`--blank-window`): start → empty page loaded | {b:.0} ms | baseline | |");
    println!(
        "| installed app, empty / 100k database: start → the app's frame painted (before the wasm) | {:.0} / {:.0} ms | | |",
        empty_phases[1], big_phases[1]
    );
    println!(
        "| installed app, empty database: start → first paint | {e:.0} ms | ≤ 500 ms | {} |",
        if e <= 500.0 { "yes" } else { "no" }
    );
    println!(
        "| installed app, 100k database: start → first rows | {g:.0} ms | ≤ 800 ms | {} |",
        if g <= 800.0 { "yes" } else { "no" }
    );
    println!(
        "| idle RSS / PSS, app + WebKit (empty database) | {:.0} / {:.0} MiB | | |",
        mib(rss as f64 * 1024.0),
        mib(pss as f64 * 1024.0)
    );
    println!(
        "| idle RSS / PSS, empty Tauri window | {:.0} / {:.0} MiB | baseline | |",
        mib(blank_rss as f64 * 1024.0),
        mib(blank_pss as f64 * 1024.0)
    );
    println!("\nWhere a start's time goes: when each phase ends, ms after the process start (medians).\n");
    println!("| phase | empty Tauri window | app, empty database | app, 100k database |");
    println!("|---|---|---|---|");
    for (i, phase) in PHASES.iter().enumerate() {
        let cell = |v: f64| if v.is_nan() { "–".to_string() } else { format!("{v:.0}") };
        println!("| {phase} | {} | {} | {} |", cell(blank_phases[i]), cell(empty_phases[i]), cell(big_phases[i]));
    }
    Ok(())
}

/// Removes the package however the benchmark ends.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["-r", "dealdesk"]).status();
    }
}
