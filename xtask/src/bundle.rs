//! `cargo xtask bundle` (the installable packages, with the Tauri CLI) and `cargo xtask icons`
//! (every icon size from icons/dealdesk.svg). The Tauri CLI comes prebuilt from npm into
//! target/tools, at the version of the `tauri` crate in Cargo.lock.

use crate::setup;
use crate::tasks::{build_ui, run_cmd, tool_path};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the bundles of a profile land (Tauri's layout): `target/<profile>/bundle/<kind>/`.
pub fn bundle_dir(root: &Path, debug: bool) -> PathBuf {
    root.join("target").join(if debug { "debug" } else { "release" }).join("bundle")
}

/// The `tauri` crate version in Cargo.lock: the CLI must match it.
fn locked_tauri_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"tauri\""
            && let Some(version) = lines.next().and_then(|l| l.trim().strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_string());
        }
    }
    bail!("tauri is not in Cargo.lock")
}

/// The Tauri CLI in target/tools (npm's prebuilt package, about 2 s), installed when missing or
/// at another version.
pub fn tauri_cli(root: &Path) -> Result<PathBuf> {
    let version = locked_tauri_version(root)?;
    let tools = root.join("target/tools");
    let cli = tools.join("node_modules/.bin/tauri");
    let current = Command::new(&cli)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if current == format!("tauri-cli {version}") {
        eprintln!("bundle: tauri-cli {version} present");
        return Ok(cli);
    }
    setup::node()?;
    std::fs::create_dir_all(&tools)?;
    eprintln!("bundle: installing @tauri-apps/cli@{version} into {}", tools.display());
    run_cmd(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
            .arg(&tools)
            .arg(format!("@tauri-apps/cli@{version}")),
    )?;
    Ok(cli)
}

/// Regenerates every icon Tauri needs from icons/dealdesk.svg (the one source kept in the repo).
pub fn icons(root: &Path) -> Result<()> {
    let cli = tauri_cli(root)?;
    let icons = root.join("icons");
    run_cmd(Command::new(&cli).arg("icon").arg(icons.join("dealdesk.svg")).arg("--output").arg(&icons))?;
    // Mobile icons: Dealdesk is a desktop app.
    for mobile in ["android", "ios"] {
        let dir = icons.join(mobile);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
    }
    eprintln!("icons: regenerated in {}", icons.display());
    Ok(())
}

/// The package kinds this platform builds.
fn platform_bundles(appimage: bool) -> Vec<&'static str> {
    if cfg!(target_os = "macos") {
        vec!["app", "dmg"]
    } else if cfg!(windows) {
        vec!["msi"]
    } else if appimage {
        vec!["deb", "appimage"]
    } else {
        vec!["deb"]
    }
}

/// Builds the UI and the bundles. `debug` builds unoptimised packages quickly (the
/// install test); releases are optimised. Returns the bundle folder.
pub fn bundle(root: &Path, debug: bool, appimage: bool) -> Result<PathBuf> {
    setup::all(root)?;
    build_ui(root)?;
    build_bundles(root, AppBinary::Build { debug }, appimage)
}

/// Where the packaged app binary comes from.
#[derive(Clone, Copy)]
pub enum AppBinary {
    /// `tauri build`: compiled for the package, optimised or (`debug`) quick.
    Build { debug: bool },
    /// `tauri bundle --debug`: the debug binary `cargo xtask test` already built for every target.
    /// `tauri build` runs `cargo build --bins` for the app package alone, whose features unify
    /// differently from the workspace's: it compiled 74 crates again, and the install test's
    /// `cargo test` then 239 more (17 of CI's 49 minutes; docs/ci.md).
    TestBuild,
}

/// The bundles, once the UI is built (ui/dist).
pub fn build_bundles(root: &Path, binary: AppBinary, appimage: bool) -> Result<PathBuf> {
    let debug = matches!(binary, AppBinary::Build { debug: true } | AppBinary::TestBuild);
    let cli = tauri_cli(root)?;
    // The Tauri CLI reads the config through src-tauri/tauri.conf.json (a link to the root one)
    // and resolves its paths from src-tauri/, while the app's build resolves them from the root:
    // the paths only the bundler reads are given absolute here.
    let abs = |p: &str| root.join(p).display().to_string();
    let icons =
        ["icons/32x32.png", "icons/128x128.png", "icons/128x128@2x.png", "icons/icon.icns", "icons/icon.ico"].map(abs);
    let overrides = serde_json::json!({
        "build": { "frontendDist": abs("ui/dist") },
        "bundle": {
            "icon": icons,
            "linux": { "deb": {
                // `Exec=dealdesk %u`: the browser's dealdesk:// link reaches the app as an argument.
                "desktopTemplate": abs("packaging/linux/dealdesk.desktop"),
                "postInstallScript": abs("packaging/linux/postinst"),
                "postRemoveScript": abs("packaging/linux/postrm"),
                // The command line is the app binary's `dealdesk cli …` (decision 0017).
                "files": { "/usr/bin/dealdesk-cli": abs("packaging/linux/dealdesk-cli") },
            } },
        },
    });
    let config = root.join("target/tauri-bundle.conf.json");
    std::fs::write(&config, serde_json::to_vec_pretty(&overrides)?)?;

    let out = bundle_dir(root, debug);
    // Packages of an earlier version would sit beside the new ones (and be picked by the tests).
    for kind in platform_bundles(appimage) {
        let dir = out.join(kind);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
    }
    for kind in platform_bundles(appimage) {
        let mut tauri = Command::new(&cli);
        let command = match binary {
            AppBinary::Build { .. } => "build",
            AppBinary::TestBuild => "bundle",
        };
        tauri.args([command, "--ci", "--bundles", kind, "--config"]).arg(&config);
        if debug {
            tauri.arg("--debug");
        }
        tauri.env("TAURI_APP_PATH", root.join("src-tauri")).current_dir(root);
        match (kind, run_cmd(&mut tauri)) {
            ("deb", Ok(())) if !debug => recompress_deb(&find_deb(&out)?)?,
            (_, Ok(())) => {}
            // linuxdeploy and the AppImage runtime come from GitHub, which some machines cannot reach.
            ("appimage", Err(error)) => {
                eprintln!("bundle: the AppImage was not built ({error:#}); it needs linuxdeploy from GitHub");
            }
            (_, Err(error)) => return Err(error),
        }
    }
    for entry in walk(&out)? {
        let bytes = std::fs::metadata(&entry).map(|m| m.len()).unwrap_or_default();
        if entry.extension().is_some_and(|e| e == "deb" || e == "AppImage" || e == "dmg" || e == "msi") {
            eprintln!("bundle: {} ({:.1} MB)", entry.display(), bytes as f64 / 1e6);
        }
    }
    Ok(out)
}

/// Repacks a release `.deb` with xz, as Debian's own packages are: Tauri writes gzip, and xz
/// makes the package about a fifth smaller. Debug packages (the install test) stay as built.
fn recompress_deb(deb: &Path) -> Result<()> {
    if tool_path("dpkg-deb").is_none() {
        eprintln!("bundle: dpkg-deb is missing; {} stays gzip-compressed", deb.display());
        return Ok(());
    }
    let tree = deb.with_extension("tree");
    if tree.exists() {
        std::fs::remove_dir_all(&tree)?;
    }
    run_cmd(Command::new("dpkg-deb").arg("--raw-extract").arg(deb).arg(&tree))?;
    run_cmd(Command::new("dpkg-deb").args(["-Zxz", "-z9", "--root-owner-group", "--build"]).arg(&tree).arg(deb))?;
    std::fs::remove_dir_all(&tree)?;
    Ok(())
}

/// Files under `dir`, recursively (none when it does not exist).
pub fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    Ok(files)
}

/// The `.deb` in a bundle folder.
pub fn find_deb(out: &Path) -> Result<PathBuf> {
    walk(&out.join("deb"))?
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .with_context(|| format!("no .deb under {}", out.join("deb").display()))
}
