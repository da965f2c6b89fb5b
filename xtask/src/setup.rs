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
/// The Windows target the workspace is type-checked for (`cargo xtask check-windows`): the GNU one,
/// whose C toolchain with Windows' headers (MinGW-w64) is a Debian package; the MSVC one's build
/// scripts would need Microsoft's compiler and SDK.
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";
/// The C cross-compiler that build scripts call for that target (libsqlite3-sys compiles SQLite,
/// ring its assembly and C). Only the win32-threads variant: `gcc-mingw-w64-x86-64` pulls in the
/// POSIX-threads one as well (about 170 MB more installed), and the check links nothing that
/// would tell them apart. 56 MB to download, 358 MB installed, about 10 s.
pub const MINGW_PACKAGE: &str = "gcc-mingw-w64-x86-64-win32";
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";
const TAURI_DRIVER_VERSION: &str = "2.1.0";

pub fn all(root: &Path) -> Result<()> {
    system_packages()?;
    wasm_target()?;
    wasm_bindgen_cli(root)?;
    tauri_driver()?;
    whop_sdk(root)?;
    axe(root)?;
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
    npm_tool(root, "whop-sdk", "Whop's SDK")
}

/// axe-core, as pinned by tests/axe/package-lock.json, in target/tools/axe: the accessibility
/// audit the end-to-end suite injects into the real window (tests/e2e/tests/a11y_ui.rs). One
/// package, about 1 s; skipped while the installed lock matches.
pub fn axe(root: &Path) -> Result<()> {
    npm_tool(root, "axe", "axe-core")
}

/// Installs the npm packages pinned in tests/NAME into target/tools/NAME (`npm ci`), unless the
/// installed lock already matches.
fn npm_tool(root: &Path, name: &str, what: &str) -> Result<()> {
    let source = root.join("tests").join(name);
    let tools = root.join("target/tools").join(name);
    let lock = std::fs::read(source.join("package-lock.json"))
        .with_context(|| format!("reading tests/{name}/package-lock.json"))?;
    let installed = std::fs::read(tools.join("node_modules/.package-lock.json")).ok();
    let current = std::fs::read(tools.join("package-lock.json")).ok();
    if installed.is_some() && current.as_deref() == Some(lock.as_slice()) {
        eprintln!("setup: {what} present");
        return Ok(());
    }
    node()?;
    std::fs::create_dir_all(&tools)?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(source.join(file), tools.join(file)).with_context(|| format!("copying {file}"))?;
    }
    eprintln!("setup: installing {what} into {}", tools.display());
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
    rustup_target(WASM_TARGET)
}

/// What `cargo xtask check-windows` needs: the Windows target's standard library and the MinGW C
/// cross-compiler. Not part of `all`: `cargo xtask run` and `bundle` build for this machine only.
pub fn windows_cross() -> Result<()> {
    rustup_target(WINDOWS_TARGET)?;
    if tool_path(MINGW_GCC).is_some() {
        eprintln!("setup: {MINGW_GCC} present");
        return Ok(());
    }
    if tool_path("dpkg-query").is_none() || tool_path("apt-get").is_none() {
        // As for the other system packages: say what is needed; the check names what it missed.
        eprintln!("setup: not a Debian/Ubuntu system; install MinGW-w64's C compiler ({MINGW_GCC})");
        return Ok(());
    }
    apt_install(&[MINGW_PACKAGE])
}

/// `rustup target add`, unless the target's standard library is installed already.
fn rustup_target(target: &str) -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == target));
    match installed {
        Ok(true) => {
            eprintln!("setup: {target} target present");
            Ok(())
        }
        Ok(false) => run_cmd(Command::new("rustup").args(["target", "add", target])),
        Err(_) => bail!("rustup is needed to add the {target} target"),
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
