//! Harness for desktop end-to-end tests: starts tauri-driver (which starts WebKitWebDriver), opens
//! a WebDriver session on the real app binary with a temporary data folder, and cleans up.
//!
//! The tests need a display and a D-Bus session: `cargo xtask test` runs them under
//! `dbus-run-session -- xvfb-run` with `DEALDESK_E2E_APP` pointing at the app built with its UI.
#![allow(clippy::print_stderr)]

use anyhow::{Context, Result, bail};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use thirtyfour::Key;
use thirtyfour::prelude::*;

pub use thirtyfour;

/// The environment variable naming the app binary under test.
pub const APP_ENV: &str = "DEALDESK_E2E_APP";
/// The environment variable naming the CLI binary (for writes from another process).
pub const CLI_ENV: &str = "DEALDESK_E2E_CLI";

/// Runs `dealdesk-cli --data-dir DIR args…` and returns its stdout; fails on a non-zero exit.
pub fn run_cli(data_dir: &Path, args: &[&str]) -> Result<String> {
    let cli = std::env::var_os(CLI_ENV)
        .map(PathBuf::from)
        .with_context(|| format!("{CLI_ENV} is not set: run the desktop suite with `cargo xtask test`"))?;
    let out = Command::new(cli).arg("--data-dir").arg(data_dir).args(args).output().context("running dealdesk-cli")?;
    if !out.status.success() {
        bail!("dealdesk-cli {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn tool(name: &str) -> Result<PathBuf> {
    let cargo_bin = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .with_context(|| format!("{name} not found: run `cargo xtask setup`"))
}

fn wait_for_port(port: u16, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listened on port {port} within {timeout:?} (tauri-driver or WebKitWebDriver)")
}

/// The element's text content. (WebKitWebDriver's "visible text" came back empty for table
/// cells under Xvfb, so this reads the DOM property instead.)
pub async fn text_of(element: &WebElement) -> WebDriverResult<String> {
    Ok(element.prop("textContent").await?.unwrap_or_default())
}

/// Where the suite saves screenshots of the main screens: `docs/screenshots/` (committed, shown
/// in the README).
pub fn screenshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots").join(name)
}

/// A running app under WebDriver, on its own data folder.
pub struct Session {
    pub driver: WebDriver,
    pub data_dir: tempfile::TempDir,
    tauri_driver: Child,
    /// The app binary this session started.
    app: PathBuf,
}

impl Session {
    /// Starts the app on a fresh data folder. `prepare` runs first on that folder (to seed data
    /// through the core, say).
    pub async fn start() -> Result<Session> {
        let data_dir = tempfile::tempdir()?;
        Self::start_in(data_dir).await
    }

    pub async fn start_in(data_dir: tempfile::TempDir) -> Result<Session> {
        Self::start_with_env(data_dir, &[]).await
    }

    /// The app binary under test (`DEALDESK_E2E_APP`).
    pub fn app_binary() -> Result<PathBuf> {
        std::env::var_os(APP_ENV)
            .map(PathBuf::from)
            .with_context(|| format!("{APP_ENV} is not set: run the desktop suite with `cargo xtask test`"))
    }

    /// Starts the app with extra environment variables (pointing it at the Whop sandbox, say),
    /// past the first-run welcome screen (`start_first_run` shows it).
    pub async fn start_with_env(data_dir: tempfile::TempDir, env: &[(&str, String)]) -> Result<Session> {
        let store = dealdesk_core::store::Store::open(data_dir.path()).await?;
        store.set_setting(dealdesk_core::support::WELCOME_DISMISSED_KEY, &true).await?;
        store.close().await;
        Self::start_app(&Self::app_binary()?, data_dir, env).await
    }

    /// Starts the app on a fresh data folder as a new user sees it: the welcome screen first.
    pub async fn start_first_run(env: &[(&str, String)]) -> Result<Session> {
        Self::start_app(&Self::app_binary()?, tempfile::tempdir()?, env).await
    }

    /// Starts a given app binary (the installed one, say) on `data_dir`.
    pub async fn start_app(app: &Path, data_dir: tempfile::TempDir, env: &[(&str, String)]) -> Result<Session> {
        Self::start_app_with_args(app, data_dir, env, &[]).await
    }

    /// Starts a given app binary with arguments after `--data-dir DIR` (`--blank-window`, say).
    pub async fn start_app_with_args(
        app: &Path,
        data_dir: tempfile::TempDir,
        env: &[(&str, String)],
        args: &[&str],
    ) -> Result<Session> {
        let app = app.to_path_buf();
        // Logs beside the test's data, not in the machine's log folder.
        let log_dir = ("DEALDESK_LOG_DIR", data_dir.path().join("logs").display().to_string());
        let env: Vec<(&str, String)> = if env.iter().any(|(k, _)| *k == log_dir.0) {
            env.to_vec()
        } else {
            env.iter().cloned().chain([log_dir]).collect()
        };
        let env = env.as_slice();
        if !app.is_file() {
            bail!("{APP_ENV}={} is not a file", app.display());
        }
        // The app is single-instance: a start while an earlier test's window is still closing
        // would hand its arguments to that window and exit, and the session would never open.
        stop_app_instances(&app);
        let mut last_error = None;
        for attempt in 1..=SESSION_ATTEMPTS {
            match Self::open(&app, data_dir.path(), env, args).await {
                Ok((driver, tauri_driver)) => return Ok(Session { driver, data_dir, tauri_driver, app }),
                Err(error) => {
                    eprintln!("opening a WebDriver session, attempt {attempt} of {SESSION_ATTEMPTS}: {error:#}");
                    stop_app_instances(&app);
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no attempt to open a session was made")))
    }

    /// One attempt: a fresh tauri-driver and a session on it, bounded in time (a start that
    /// hangs is retried rather than waited on for thirtyfour's two minutes).
    async fn open(app: &Path, data_dir: &Path, env: &[(&str, String)], args: &[&str]) -> Result<(WebDriver, Child)> {
        let (port, native_port) = (free_port()?, free_port()?);
        let log_path = std::env::temp_dir().join(format!("dealdesk-e2e-tauri-driver-{port}.log"));
        let log = std::fs::File::create(&log_path).context("creating the tauri-driver log")?;
        let tauri_driver = Command::new(tool("tauri-driver")?)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            // tauri-driver → WebKitWebDriver → the app: the environment is inherited down the chain.
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting tauri-driver")?;
        // Owns the driver from here on, so an early error below still stops it.
        let mut guard = DriverGuard(Some(tauri_driver));
        let result = Self::connect(app, data_dir, args, port, native_port).await;
        let driver = match result {
            Ok(driver) => driver,
            Err(error) => {
                drop(guard);
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let _ = std::fs::remove_file(&log_path);
                let tail: String =
                    log.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
                return Err(error.context(format!("tauri-driver said:\n{tail}")));
            }
        };
        let _ = std::fs::remove_file(&log_path);
        let tauri_driver = guard.0.take().context("tauri-driver handle")?;
        Ok((driver, tauri_driver))
    }

    async fn connect(app: &Path, data_dir: &Path, args: &[&str], port: u16, native_port: u16) -> Result<WebDriver> {
        // tauri-driver listens at once, but forwards to WebKitWebDriver, which takes a moment.
        wait_for_port(port, Duration::from_secs(20))?;
        wait_for_port(native_port, Duration::from_secs(20))?;
        let data_dir = data_dir.display().to_string();
        let app_args: Vec<&str> = ["--data-dir", data_dir.as_str()].into_iter().chain(args.iter().copied()).collect();
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({
                "application": app,
                "args": app_args,
            }),
        );
        let opening = WebDriver::new(format!("http://127.0.0.1:{port}"), thirtyfour::Capabilities::from(caps));
        match tokio::time::timeout(SESSION_TIMEOUT, opening).await {
            Ok(driver) => driver.context("opening a WebDriver session"),
            Err(_) => bail!("the WebDriver session did not open within {SESSION_TIMEOUT:?}"),
        }
    }

    pub fn data_path(&self) -> &Path {
        self.data_dir.path()
    }

    /// The running processes of this session's app binary: the one under test and, after the app
    /// restarts itself, the one it started (which WebDriver does not drive).
    pub fn app_pids(&self) -> Vec<u32> {
        app_instances(&self.app)
    }

    /// Waits (up to 10 s) for an element matching the CSS selector.
    pub async fn find(&self, css: &str) -> Result<WebElement> {
        self.driver
            .query(By::Css(css))
            .wait(Duration::from_secs(10), Duration::from_millis(50))
            .first()
            .await
            .with_context(|| format!("no element matches {css}"))
    }

    /// Waits (up to 10 s) until an element matching `css` has text containing `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Result<WebElement> {
        let start = Instant::now();
        loop {
            let mut seen = Vec::new();
            for element in self.driver.find_all(By::Css(css)).await? {
                match text_of(&element).await {
                    Ok(shown) if shown.contains(text) => return Ok(element),
                    Ok(shown) => seen.push(shown),
                    Err(error) => seen.push(format!("<{error}>")),
                }
            }
            if start.elapsed() > Duration::from_secs(10) {
                bail!("no {css} shows '{text}' after 10 s (seen: {seen:?})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 10 s) until no element matching `css` shows `text`.
    pub async fn wait_for_no_text(&self, css: &str, text: &str) -> Result<()> {
        let start = Instant::now();
        loop {
            let mut found = false;
            for element in self.driver.find_all(By::Css(css)).await? {
                if text_of(&element).await.unwrap_or_default().contains(text) {
                    found = true;
                }
            }
            if !found {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(10) {
                bail!("{css} still shows '{text}' after 10 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens a screen through the sidebar.
    pub async fn go(&self, label: &str) -> Result<()> {
        let start = Instant::now();
        loop {
            for link in self.driver.find_all(By::Css("a.nav-item")).await? {
                if text_of(&link).await.unwrap_or_default().trim().ends_with(label) {
                    link.click().await?;
                    return Ok(());
                }
            }
            if start.elapsed() > Duration::from_secs(10) {
                bail!("no sidebar link '{label}'");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types into an input: selects what is there, then types `text` (WebDriver's clear does
    /// not fire the input events the UI listens to).
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let input = self.find(css).await?;
        input.click().await?;
        input.send_keys(Key::Control + "a").await?;
        input.send_keys(Key::Backspace).await?;
        if !text.is_empty() {
            input.send_keys(text).await?;
        }
        Ok(())
    }

    /// Runs JavaScript in the page and returns its JSON result.
    pub async fn js(&self, script: &str) -> Result<serde_json::Value> {
        Ok(self.driver.execute(script, Vec::new()).await?.json().clone())
    }

    /// Saves a PNG of the window (for docs/screenshots or a failure), as the screen shows it.
    /// The capture is taken from the X display (ImageMagick `import`): WebKitWebDriver's own
    /// screenshot needs accelerated compositing, which the app turns off without a GPU.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        let size = self.js("return [window.innerWidth, window.innerHeight];").await?;
        let (w, h) = (size[0].as_f64().unwrap_or(1200.0), size[1].as_f64().unwrap_or(780.0));
        self.capture(path, 0.0, 0.0, w, h).await
    }

    /// Saves a PNG of one element (scrolled into view first).
    pub async fn screenshot_element(&self, css: &str, path: &Path) -> Result<()> {
        let element = self.find(css).await?;
        element.scroll_into_view().await?;
        let rect = self
            .driver
            .execute(
                "const r = arguments[0].getBoundingClientRect(); return [r.x, r.y, r.width, r.height];",
                vec![element.to_json()?],
            )
            .await?;
        let r = rect.json();
        let n = |i: usize| r[i].as_f64().unwrap_or_default();
        self.capture(path, n(0), n(1), n(2), n(3)).await
    }

    async fn capture(&self, path: &Path, x: f64, y: f64, w: f64, h: f64) -> Result<()> {
        // Let the latest render reach the screen.
        tokio::time::sleep(Duration::from_millis(400)).await;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let geometry = format!(
            "{}x{}+{}+{}",
            w.round() as u32,
            h.round() as u32,
            x.max(0.0).round() as u32,
            y.max(0.0).round() as u32
        );
        let status = Command::new("import")
            .args(["-window", "root", "-crop", &geometry, "+repage"])
            .arg(path)
            .status()
            .context("running ImageMagick import (is DISPLAY set?)")?;
        if !status.success() {
            bail!("import failed for {}", path.display());
        }
        Ok(())
    }

    /// Ends the session and hands back its data folder (which `quit` deletes).
    pub async fn quit_keeping_data(mut self) -> Result<tempfile::TempDir> {
        let data_dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir()?);
        self.quit().await?;
        Ok(data_dir)
    }

    /// Ends the session and stops the drivers (SIGTERM, so WebKitWebDriver stops too).
    pub async fn quit(mut self) -> Result<()> {
        let result = self.driver.clone().quit().await;
        self.stop_driver();
        result.context("closing the WebDriver session")
    }

    fn stop_driver(&mut self) {
        stop(&mut self.tauri_driver);
        stop_app_instances(&self.app);
    }
}

/// How long one attempt to open a session may take (the app starts in a few seconds).
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
const SESSION_ATTEMPTS: u32 = 2;

/// Waits (up to 10 s) for running instances of the app binary to exit, then kills what is left.
/// The suite runs one test at a time, so any instance found belongs to a finished test.
fn stop_app_instances(app: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let running = app_instances(app);
        if running.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            eprintln!("app instances still running after their session ended; killing {running:?}");
            for pid in running {
                let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
            }
            std::thread::sleep(Duration::from_millis(200));
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The process ids whose executable is `app` (Linux: read from /proc).
fn app_instances(app: &Path) -> Vec<u32> {
    let Ok(app) = app.canonicalize() else { return Vec::new() };
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let exe = std::fs::read_link(entry.path().join("exe")).ok()?;
            (exe == app && pid != std::process::id()).then_some(pid)
        })
        .collect()
}

/// Stops tauri-driver with SIGTERM (SIGKILL would leave WebKitWebDriver running), then SIGKILL.
fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("tauri-driver did not stop on SIGTERM; killing it");
    let _ = child.kill();
    let _ = child.wait();
}

struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            stop(child);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop_driver();
    }
}
