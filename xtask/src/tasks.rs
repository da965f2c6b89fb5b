//! Building the UI and the app, running the window, the test pipeline, the benchmarks.

use crate::setup::{self, WASM_TARGET, WINDOWS_TARGET};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The screen Xvfb gives the app when there is no display.
const XVFB_SCREEN: &str = "-screen 0 1280x800x24 -nolisten tcp";

pub fn workspace_root() -> Result<PathBuf> {
    let xtask_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().map(Path::to_path_buf).context("xtask has no parent folder")
}

pub fn cargo() -> Command {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    linted(&mut cargo);
    cargo
}

/// clippy-driver, once `cargo xtask test` lints while it builds (`lint_while_building`).
static CLIPPY_DRIVER: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
/// Set by `test` when the run starts without a debug target folder (see there).
static FRESH_TARGET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Clippy's checks as `cargo clippy -- -D warnings` makes them: clippy-driver as cargo's wrapper for
/// the workspace's own crates, the arguments in clippy's own encoding.
const CLIPPY_ARGS: &str = "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__";

/// Makes every later cargo call of this run (also those through `headless` and the Tauri CLI)
/// compile the workspace's crates with clippy-driver, denying warnings. A separate `cargo clippy`
/// compiles every dependency a second time (check metadata beside the build's code): 9.5 of the
/// clean clone's 56 minutes. Clippy-driver is rustc with clippy's lints added, so the build's
/// artifacts are the same; every call of the run keeps the same wrapper, so nothing is rebuilt
/// between stages (cargo fingerprints the wrapper).
fn lint_while_building() -> Result<()> {
    let found = Command::new("rustup").args(["which", "clippy-driver"]).output().ok().filter(|o| o.status.success());
    let driver = match found {
        Some(out) => PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()),
        None => tool_path("clippy-driver").context("clippy-driver is missing: `rustup component add clippy`")?,
    };
    eprintln!("test: linting while building, with {}", driver.display());
    // A second call keeps the first driver: the same for every stage.
    let _ = CLIPPY_DRIVER.set(driver);
    Ok(())
}

/// Adds the lint-while-building environment, when chosen, to a command that runs cargo.
pub fn linted(command: &mut Command) -> &mut Command {
    if FRESH_TARGET.get() == Some(&true) {
        command.env("CARGO_INCREMENTAL", "0");
    }
    if let Some(driver) = CLIPPY_DRIVER.get() {
        command.env("RUSTC_WORKSPACE_WRAPPER", driver).env("CLIPPY_ARGS", CLIPPY_ARGS);
    }
    command
}

/// Finds a program on PATH or in cargo's bin folder (where `cargo install` puts tools).
pub fn tool_path(name: &str) -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|d| d.join("bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

pub fn run_cmd(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("$ {shown}");
    let status = cmd.status().with_context(|| format!("cannot start: {shown}"))?;
    if !status.success() {
        bail!("failed ({status}): {shown}");
    }
    Ok(())
}

/// Builds the Yew app for wasm32 and lays out ui/dist (wasm-bindgen output plus static files).
pub fn build_ui(root: &Path) -> Result<()> {
    run_cmd(cargo().args(["build", "-p", "dealdesk-ui", "--target", WASM_TARGET, "--release"]))?;
    let dist = root.join("ui/dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).context("clearing ui/dist")?;
    }
    std::fs::create_dir_all(&dist)?;
    let wasm_bindgen = tool_path("wasm-bindgen").context("wasm-bindgen is missing: run `cargo xtask setup`")?;
    let wasm = root.join(format!("target/{WASM_TARGET}/release/dealdesk-ui.wasm"));
    run_cmd(
        Command::new(wasm_bindgen)
            .args(["--target", "web", "--no-typescript", "--remove-name-section", "--remove-producers-section"])
            .args(["--out-name", "dealdesk_ui", "--out-dir"])
            .arg(&dist)
            .arg(&wasm),
    )?;
    for entry in std::fs::read_dir(root.join("ui/static"))? {
        let entry = entry?;
        std::fs::copy(entry.path(), dist.join(entry.file_name()))?;
    }
    eprintln!("ui: built into {}", dist.display());
    Ok(())
}

fn app_binary(root: &Path, release: bool) -> PathBuf {
    root.join(if release { "target/release/dealdesk" } else { "target/debug/dealdesk" })
}

fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
}

/// `dbus-run-session -- xvfb-run …`: a private session bus (single-instance, deep links), an
/// unlocked gnome-keyring on it (the OS keyring that holds tokens), and a virtual screen for
/// machines with no display.
fn headless(program: &Path) -> Command {
    let mut cmd = Command::new("dbus-run-session");
    cmd.args(["--", "sh", "-c", HEADLESS_SESSION, "sh", "xvfb-run", "-a", "-s", XVFB_SCREEN]).arg(program);
    cmd
}

/// Inside the private bus: unlock (creating on first use) the login keyring with a fixed password,
/// then run the command. gnome-keyring keeps the keyring in `~/.local/share/keyrings`.
const HEADLESS_SESSION: &str = "printf %s dealdesk-headless | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 \
    || echo 'warning: gnome-keyring did not unlock; keyring tests will fail' >&2; exec \"$@\"";

/// The sandbox for `run --demo`: started, its URLs read from its first lines, stopped on drop.
struct DemoSandbox {
    child: std::process::Child,
    api_url: String,
    oauth_url: String,
    client_id: String,
    /// The sandbox's OpenAI-compatible endpoint and key (the demo's AI provider).
    openai_url: String,
    ai_key: String,
    /// The sandbox's DocuSign and Dropbox Sign (the demo's e-sign providers): name → value of the
    /// `DEALDESK_DOCUSIGN_*` / `DEALDESK_DROPBOX_SIGN_*` variables.
    esign_env: Vec<(&'static str, String)>,
}

impl DemoSandbox {
    fn start(root: &Path, release: bool) -> Result<DemoSandbox> {
        use std::io::BufRead;
        let binary =
            root.join(if release { "target/release/dealdesk-sandbox" } else { "target/debug/dealdesk-sandbox" });
        let mut child = Command::new(&binary)
            // Envelopes and signature requests take a step (viewed, signed, completed) every 20 s.
            .args([
                "--members",
                "2000",
                "--mutate-every",
                "30",
                "--esign-auto-advance-secs",
                "20",
                "--history-ends-now",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("sandbox stdout")?;
        let (mut api_url, mut oauth_url, mut client_id) = (String::new(), String::new(), String::new());
        let (mut openai_url, mut ai_key) = (String::new(), String::new());
        let mut esign_env = Vec::new();
        let esign_lines = [
            ("docusign_oauth: ", "DEALDESK_DOCUSIGN_OAUTH_URL"),
            ("docusign_client_id: ", "DEALDESK_DOCUSIGN_CLIENT_ID"),
            ("dropbox_sign_api: ", "DEALDESK_DROPBOX_SIGN_API_URL"),
            ("dropbox_sign_key: ", "DEALDESK_DROPBOX_SIGN_API_KEY"),
        ];
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line?;
            if let Some(v) = line.strip_prefix("api: ") {
                api_url = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("oauth: ") {
                oauth_url = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("client_id: ") {
                client_id = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("openai: ") {
                openai_url = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("ai_key: ") {
                ai_key = v.trim().to_string();
            } else if let Some((prefix, name)) = esign_lines.iter().find(|(p, _)| line.starts_with(p)) {
                esign_env.push((*name, line[prefix.len()..].trim().to_string()));
            } else if line.trim() == "ready" {
                break;
            }
        }
        if api_url.is_empty() || oauth_url.is_empty() {
            bail!("the sandbox did not print its URLs");
        }
        eprintln!("demo: Whop sandbox at {api_url} (OAuth {oauth_url}); click Connect Whop in the app");
        eprintln!("demo: AI actions answer from the sandbox's OpenAI-compatible endpoint {openai_url}");
        if !esign_env.is_empty() {
            eprintln!("demo: contracts go to the sandbox's DocuSign and Dropbox Sign; they sign every 20 s");
            // The demo checks contract status every 20 s (real providers: 15 minutes at least).
            esign_env.push(("DEALDESK_ESIGN_POLL_SECS", "20".into()));
        }
        Ok(DemoSandbox { child, api_url, oauth_url, client_id, openai_url, ai_key, esign_env })
    }
}

impl Drop for DemoSandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn run(
    root: &Path,
    data_dir: Option<PathBuf>,
    release: bool,
    screenshot: Option<PathBuf>,
    demo: bool,
) -> Result<()> {
    setup::all(root)?;
    build_ui(root)?;
    let mut build = cargo();
    build.args(["build", "-p", "dealdesk"]);
    if demo {
        build.args(["-p", "dealdesk-sandbox"]);
    }
    if release {
        build.arg("--release");
    }
    run_cmd(&mut build)?;
    let app = app_binary(root, release);
    // Kept alive until the window closes.
    let sandbox = if demo { Some(DemoSandbox::start(root, release)?) } else { None };
    let data_dir = match (&sandbox, data_dir) {
        (Some(_), None) => Some(root.join("target/demo-data")),
        (_, dir) => dir,
    };
    let with_sandbox = |cmd: &mut Command| {
        if let Some(s) = &sandbox {
            cmd.env("DEALDESK_WHOP_API_URL", &s.api_url)
                .env("DEALDESK_WHOP_OAUTH_URL", &s.oauth_url)
                .env("DEALDESK_WHOP_CLIENT_ID", &s.client_id);
            if !s.openai_url.is_empty() {
                cmd.env("DEALDESK_AI_PROVIDER", "openai")
                    .env("DEALDESK_AI_BASE_URL", &s.openai_url)
                    .env("DEALDESK_AI_MODEL", "sandbox-gpt")
                    .env("DEALDESK_AI_API_KEY", &s.ai_key);
            }
            for (name, value) in &s.esign_env {
                cmd.env(name, value);
            }
        }
    };
    let mut app_args: Vec<String> = Vec::new();
    if let Some(dir) = &data_dir {
        app_args.push("--data-dir".into());
        app_args.push(dir.display().to_string());
    }
    if has_display() && screenshot.is_none() {
        let mut cmd = Command::new(&app);
        cmd.args(&app_args);
        with_sandbox(&mut cmd);
        return run_cmd(&mut cmd);
    }
    let script = root.join("xtask/scripts/window.sh");
    let mut cmd = headless(Path::new("bash"));
    cmd.arg(&script).arg(&app);
    if let Some(shot) = &screenshot {
        cmd.env("DEALDESK_SCREENSHOT", shot);
    } else {
        eprintln!("run: no display; the window opens on a virtual screen (Ctrl+C to stop)");
    }
    cmd.args(&app_args);
    with_sandbox(&mut cmd);
    run_cmd(&mut cmd)
}

/// `cargo xtask run --team-demo`: builds the app and the demo driver (`tests/e2e/src/bin/team-demo.rs`),
/// which starts a private PostgreSQL hub, joins two data folders to one workspace and opens a window
/// on each (under Xvfb when there is no display).
pub fn team_demo(root: &Path, release: bool, screenshot: Option<PathBuf>) -> Result<()> {
    setup::all(root)?;
    build_ui(root)?;
    let mut build = cargo();
    build.args(["build", "-p", "dealdesk", "-p", "dealdesk-e2e", "--bin", "dealdesk", "--bin", "team-demo"]);
    if release {
        build.arg("--release");
    }
    run_cmd(&mut build)?;
    let driver = root.join(if release { "target/release/team-demo" } else { "target/debug/team-demo" });
    let mut cmd = if has_display() && screenshot.is_none() { Command::new(&driver) } else { headless(&driver) };
    cmd.arg("--app").arg(app_binary(root, release)).arg("--dir").arg(root.join("target/team-demo"));
    if let Some(shot) = &screenshot {
        cmd.arg("--screenshot").arg(shot);
    } else if !has_display() {
        eprintln!("run: no display; the windows open on a virtual screen (Ctrl+C to stop)");
    }
    run_cmd(&mut cmd)
}

/// The stages of a run and how long each took, printed as a table when the run ends (or fails):
/// where CI's time goes (docs/ci.md).
struct Stages {
    started: std::time::Instant,
    done: Vec<(&'static str, std::time::Duration)>,
}

impl Stages {
    fn new() -> Stages {
        Stages { started: std::time::Instant::now(), done: Vec::new() }
    }

    /// Runs one stage and records its duration, failed or not.
    fn run(&mut self, name: &'static str, stage: impl FnOnce() -> Result<()>) -> Result<()> {
        let started = std::time::Instant::now();
        let result = stage();
        self.done.push((name, started.elapsed()));
        if result.is_err() {
            self.print();
        }
        result
    }

    fn print(&self) {
        eprintln!("\ntest: stage durations");
        for (name, took) in &self.done {
            eprintln!("  {name:<38} {:>7.1} s", took.as_secs_f64());
        }
        eprintln!("  {:<38} {:>7.1} s", "total", self.started.elapsed().as_secs_f64());
    }
}

pub fn test(root: &Path, e2e: bool, install: bool) -> Result<()> {
    let mut stages = Stages::new();
    // A first build (a clean clone, as in CI) gains nothing from incremental caches: they only pay
    // off on the next build, and they cost 2.5 GB of disk and time to write. Later builds keep them.
    let _ = FRESH_TARGET.set(!root.join("target/debug").exists());
    stages.run("setup", || {
        setup::all(root)?;
        setup::windows_cross()
    })?;
    stages.run("fmt", || run_cmd(cargo().args(["fmt", "--all", "--", "--check"])))?;
    // Clippy runs inside the builds below: the wasm32 UI is linted as it builds for the window, the
    // native workspace as every target builds (docs/ci.md).
    lint_while_building()?;
    stages.run("ui (wasm32, release, clippy)", || build_ui(root))?;
    // Build every target with the feature set the test run uses, so the app binary is not rebuilt
    // in between; keep a copy for the end-to-end suite. `--timings` writes what each crate cost to
    // target/cargo-timings/ (docs/ci.md).
    stages.run("build + clippy (all targets)", || {
        run_cmd(cargo().args(["build", "--workspace", "--all-targets", "--locked", "--timings"]))
    })?;
    stages.run("windows check (x86_64-pc-windows-gnu)", windows_check)?;
    let e2e_app = root.join("target/e2e-app/dealdesk");
    let e2e_cli = root.join("target/e2e-app/dealdesk-cli");
    std::fs::create_dir_all(e2e_app.parent().context("e2e dir")?)?;
    std::fs::copy(app_binary(root, false), &e2e_app).context("copying the app for the e2e suite")?;
    std::fs::copy(root.join("target/debug/dealdesk-cli"), &e2e_cli).context("copying the CLI for the e2e suite")?;

    let mut tests = if e2e {
        headless(&PathBuf::from(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())))
    } else {
        cargo()
    };
    linted(&mut tests).args(["test", "--workspace", "--locked"]);
    if e2e {
        // One at a time: the desktop tests share one virtual display.
        tests.args(["--", "--include-ignored", "--test-threads=1"]);
        tests.env("DEALDESK_E2E_APP", &e2e_app).env("DEALDESK_E2E_CLI", &e2e_cli);
    }
    stages.run(if e2e { "tests (with e2e)" } else { "tests" }, || run_cmd(&mut tests))?;
    if install {
        stages.run("install test", || install_test(root))?;
    }
    stages.print();
    eprintln!("test: all checks passed");
    Ok(())
}

/// `cargo xtask check-windows`: the Windows check alone, with what it needs installed and clippy
/// as the compiler wrapper, as in `cargo xtask test`.
pub fn check_windows() -> Result<()> {
    setup::windows_cross()?;
    lint_while_building()?;
    let started = std::time::Instant::now();
    windows_check()?;
    eprintln!("check-windows: passed in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Type-checks the shipped code for Windows, so what compiles only there keeps compiling on a
/// Linux CI: the workspace's `cfg(windows)`/`cfg(not(unix))` paths (deep-link registration at run
/// time, the store's restore, the sandbox's listener and shutdown) and the Windows code of the
/// dependencies they call (the data and log folders through `dirs`, Tauri on WebView2, the
/// deep-link plugin's registry keys). With the run's clippy wrapper this is
/// `cargo clippy -- -D warnings`, which lints that code too for 5-15 s more than a plain check.
/// Libraries and binaries only: tests and benches run on Linux alone, and checking them as well
/// cost 110 s more. Left out: `dealdesk-ui`, which ships as wasm32 on every platform (the ui stage
/// checks and lints it) and builds natively only for its unit tests; `dealdesk-e2e`, the
/// Linux-only desktop test driver (Xvfb, WebKitWebDriver, dpkg). Together they cost 65 s. Build
/// scripts and proc macros compile for the host into target/debug beside the native build's
/// (different units, so neither invalidates the other); the checked crates go to
/// target/x86_64-pc-windows-gnu.
fn windows_check() -> Result<()> {
    run_cmd(cargo().args(["check", "--workspace", "--exclude", "dealdesk-ui", "--exclude", "dealdesk-e2e"]).args([
        "--target",
        WINDOWS_TARGET,
        "--locked",
    ]))
}

/// The install test: a quick (unoptimised) `.deb`, installed, started, handed a deep link and
/// removed by tests/e2e/tests/install.rs. It installs system-wide, so it needs root.
fn install_test(root: &Path) -> Result<()> {
    if !setup::is_root() {
        eprintln!("test: the install test needs root (it runs dpkg -i); skipped");
        return Ok(());
    }
    let deb =
        crate::bundle::find_deb(&crate::bundle::build_bundles(root, crate::bundle::AppBinary::TestBuild, false)?)?;
    let binary = built_test_binary(root, "dealdesk-e2e", "install")?;
    let mut test = headless(&binary);
    test.args(["--include-ignored"]).env("DEALDESK_INSTALL_DEB", &deb).current_dir(root.join("tests/e2e"));
    run_cmd(&mut test)
}

/// A test binary the main run (`cargo test --workspace`) built. Asking cargo for one test
/// (`cargo test --workspace --test install`) selects other units, since dev-dependency features
/// unify per selection, and compiled 239 crates again (about 9 minutes here); the same selection
/// with `--no-run` finds everything built and names the binaries.
fn built_test_binary(root: &Path, package: &str, test: &str) -> Result<PathBuf> {
    let out = cargo()
        .args(["test", "--workspace", "--locked", "--no-run", "--message-format", "json"])
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running cargo test --no-run")?;
    if !out.status.success() {
        bail!("cargo test --no-run failed");
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let target = &message["target"];
        let is_it = message["reason"] == "compiler-artifact"
            && target["name"] == test
            && target["kind"].as_array().is_some_and(|kinds| kinds.iter().any(|k| k == "test"))
            // A package id spec: `path+file:///…/tests/e2e#dealdesk-e2e@0.1.0`.
            && message["package_id"].as_str().is_some_and(|id| id.contains(&format!("#{package}@")));
        if let Some(executable) = message["executable"].as_str().filter(|_| is_it) {
            return Ok(PathBuf::from(executable));
        }
    }
    bail!("cargo built no test binary named {test} in {package}")
}

pub fn bench(root: &Path, core: bool, ui: bool, install: bool, args: &[String]) -> Result<()> {
    if core {
        run_cmd(cargo().args(["bench", "-p", "dealdesk-core", "--bench", "crm", "--"]).args(args))?;
        run_cmd(cargo().args(["bench", "-p", "dealdesk-core", "--bench", "whop", "--"]).args(args))?;
        run_cmd(cargo().args(["bench", "-p", "dealdesk-core", "--bench", "outbox", "--"]).args(args))?;
        run_cmd(cargo().args(["bench", "-p", "dealdesk-core", "--bench", "ai", "--"]).args(args))?;
        run_cmd(cargo().args(["bench", "-p", "dealdesk-core", "--bench", "contracts", "--"]).args(args))?;
        run_cmd(cargo().args(["bench", "-p", "dealdesk-core", "--bench", "revenue", "--"]).args(args))?;
        run_cmd(cargo().args(["bench", "-p", "dealdesk-core", "--bench", "team", "--"]).args(args))?;
    }
    if ui {
        setup::all(root)?;
        build_ui(root)?;
        run_cmd(cargo().args(["build", "-p", "dealdesk", "--release"]))?;
        run_cmd(cargo().args(["build", "-p", "dealdesk-e2e", "--bin", "ui-bench", "--release"]))?;
        let mut run = headless(&root.join("target/release/ui-bench"));
        run.args(args).env("DEALDESK_E2E_APP", app_binary(root, true));
        run_cmd(&mut run)?;
    }
    if install {
        if !setup::is_root() {
            bail!("the installed app's benchmark installs the .deb: run it as root");
        }
        let out = crate::bundle::bundle(root, false, true)?;
        let deb = crate::bundle::find_deb(&out)?;
        // The driver in the dev profile: it only seeds databases and reads the page's clock, and a
        // release build of its dependency graph (features unified differently from the app's)
        // would take a quarter of an hour. What it measures is the installed release package.
        run_cmd(cargo().args(["build", "-p", "dealdesk-e2e", "--bin", "install-bench"]))?;
        let mut run = headless(&root.join("target/debug/install-bench"));
        run.arg("--deb").arg(&deb).args(args);
        if let Some(appimage) = crate::bundle::walk(&out.join("appimage"))?
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "AppImage"))
        {
            run.arg("--appimage").arg(appimage);
        }
        run_cmd(&mut run)?;
    }
    Ok(())
}
