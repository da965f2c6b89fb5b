//! Installs what Dealdesk needs to build, run and test, skipping whatever is already present.
//! Facts (packages, versions, costs) come from shared/TOOLCHAIN.md.

use crate::tasks::{cargo, run_cmd, tool_path};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// Debian/Ubuntu packages: WebKitGTK and friends to build and run Tauri, Xvfb and D-Bus for a
/// headless window, the WebDriver for end-to-end tests, a keyring, ImageMagick for screenshots,
/// PostgreSQL for the team hub's tests.
pub const APT_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "file",
    "curl",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libssl-dev",
    "libxdo-dev",
    "webkit2gtk-driver",
    "xvfb",
    "xauth",
    "dbus-x11",
    "xdg-utils",
    "desktop-file-utils",
    // gio: the install test opens dealdesk:// links through the desktop handler.
    "libglib2.0-bin",
    "imagemagick",
    "gnome-keyring",
    "libsecret-tools",
    "keyutils",
    // The team hub's tests run a private PostgreSQL server from it (`dealdesk_team::test_support`).
    "postgresql",
];

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TAURI_DRIVER_VERSION: &str = "2.1.0";

pub fn all(root: &Path) -> Result<()> {
    system_packages()?;
    wasm_target()?;
    wasm_bindgen_cli(root)?;
    tauri_driver()?;
    whop_sdk(root)?;
    Ok(())
}

/// Node.js with npm, from Debian's packages when missing.
pub fn node() -> Result<()> {
    if tool_path("node").is_some() && tool_path("npm").is_some() {
        return Ok(());
    }
    apt_install(&["nodejs", "npm"])
}

/// Whop's official TypeScript SDK and TypeScript, as pinned by tests/whop-sdk/package-lock.json,
/// in target/tools/whop-sdk: the contract extract is checked against it and the SDK is run
/// against the sandbox (tests/sandbox/tests/official_sdk.rs). About 3 s from the npm registry;
/// skipped while the installed lock matches.
pub fn whop_sdk(root: &Path) -> Result<()> {
    let source = root.join("tests/whop-sdk");
    let tools = root.join("target/tools/whop-sdk");
    let lock = std::fs::read(source.join("package-lock.json")).context("reading tests/whop-sdk/package-lock.json")?;
    let installed = std::fs::read(tools.join("node_modules/.package-lock.json")).ok();
    let current = std::fs::read(tools.join("package-lock.json")).ok();
    if installed.is_some() && current.as_deref() == Some(lock.as_slice()) {
        eprintln!("setup: Whop's SDK present");
        return Ok(());
    }
    node()?;
    std::fs::create_dir_all(&tools)?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(source.join(file), tools.join(file)).with_context(|| format!("copying {file}"))?;
    }
    eprintln!("setup: installing Whop's SDK into {}", tools.display());
    run_cmd(Command::new("npm").args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]).current_dir(&tools))
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Status}", package])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "installed")
        .unwrap_or(false)
}

pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

pub fn system_packages() -> Result<()> {
    if tool_path("dpkg-query").is_none() || tool_path("apt-get").is_none() {
        eprintln!(
            "setup: not a Debian/Ubuntu system; make sure the equivalents of these are installed: {}",
            APT_PACKAGES.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = APT_PACKAGES.iter().copied().filter(|p| !is_installed(p)).collect();
    if missing.is_empty() {
        eprintln!("setup: system packages present");
        return Ok(());
    }
    apt_install(&missing)
}

/// `apt-get install` (with sudo when not root) of the given packages.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    eprintln!("setup: installing {}", packages.join(" "));
    let apt = |args: &[&str]| {
        let mut cmd = if is_root() {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run_cmd(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(packages);
    run_cmd(&mut install).context("installing system packages (needs root or sudo)")
}

pub fn wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == WASM_TARGET));
    match installed {
        Ok(true) => {
            eprintln!("setup: {WASM_TARGET} target present");
            Ok(())
        }
        Ok(false) => run_cmd(Command::new("rustup").args(["target", "add", WASM_TARGET])),
        Err(_) => bail!("rustup is needed to add the {WASM_TARGET} target"),
    }
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.trim().strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_string());
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

fn wasm_bindgen_cli(root: &Path) -> Result<()> {
    let version = locked_wasm_bindgen_version(root)?;
    let current = tool_path("wasm-bindgen")
        .and_then(|path| Command::new(path).arg("--version").output().ok())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if current == format!("wasm-bindgen {version}") {
        eprintln!("setup: wasm-bindgen-cli {version} present");
        return Ok(());
    }
    eprintln!("setup: installing wasm-bindgen-cli {version} (about 2 minutes)");
    // Not --locked: its lockfile pins a crate version the registry does not serve (TOOLCHAIN.md).
    run_cmd(cargo().args(["install", "wasm-bindgen-cli", "--version", &version, "--force"]))
}

fn tauri_driver() -> Result<()> {
    if tool_path("tauri-driver").is_some() {
        eprintln!("setup: tauri-driver present");
        return Ok(());
    }
    eprintln!("setup: installing tauri-driver {TAURI_DRIVER_VERSION}");
    run_cmd(cargo().args(["install", "--locked", "tauri-driver", "--version", TAURI_DRIVER_VERSION]))
}
