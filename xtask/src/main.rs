//! `cargo xtask`: Dealdesk's own task runner. Every step installs what it needs first, and skips
//! whatever is already present, so the same command works on a fresh machine and a warm one.
//!
//! - `cargo xtask setup`  system packages, the wasm32 target, wasm-bindgen-cli, tauri-driver
//! - `cargo xtask run`    build the UI and the app, open the window on the local database
//!   (`--demo`: with the local Whop sandbox standing in for Whop)
//! - `cargo xtask test`   fmt, clippy, the Windows check, unit + integration + CLI tests, the
//!   desktop e2e suite
//! - `cargo xtask check-windows`  type-check and lint the workspace for x86_64-pc-windows-gnu
//! - `cargo xtask bench`  the benchmarks; prints the tables for docs/performance.md
//! - `cargo xtask bundle` the installable packages (`.deb`, AppImage) under target/release/bundle
//! - `cargo xtask icons`  every icon size from icons/dealdesk.svg
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bundle;
mod setup;
mod tasks;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Dealdesk's task runner")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what building, running and testing need (idempotent), the Windows check's
    /// cross-compiler too
    Setup,
    /// Build the UI into ui/dist
    Ui,
    /// Build and open the desktop app (under Xvfb when there is no display)
    Run {
        /// Data folder; default: DEALDESK_DATA_DIR or the platform's data dir
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Build with optimisations
        #[arg(long)]
        release: bool,
        /// With no display: save a screenshot of the window here after it opens, then quit
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// Start the local Whop sandbox and point the app at it (data in target/demo-data unless
        /// --data-dir is given): Connect Whop works with no Whop account
        #[arg(long)]
        demo: bool,
        /// A team workspace on this machine: a private PostgreSQL hub and two windows (Ann, the
        /// owner, and Bob, joined with a code) on target/team-demo/{ann,bob}, syncing every 2 s
        #[arg(long, conflicts_with_all = ["demo", "data_dir"])]
        team_demo: bool,
    },
    /// Run every check CI runs: fmt, clippy, the Windows check, all tests, the desktop end-to-end
    /// suite
    Test {
        /// Skip the desktop end-to-end suite (and the install test)
        #[arg(long)]
        no_e2e: bool,
        /// Skip the install test (build a .deb, dpkg -i, start it, deep link, dpkg -r)
        #[arg(long)]
        no_install: bool,
    },
    /// Type-check and lint (clippy, warnings denied) the workspace's shipped code for
    /// x86_64-pc-windows-gnu, as `test` does; installs the target and MinGW-w64's C compiler
    CheckWindows,
    /// Build the installable packages: .deb (and AppImage) on Linux, .app/.dmg on macOS, .msi on
    /// Windows, under target/release/bundle/ (target/debug/bundle/ with --debug)
    Bundle {
        /// Unoptimised, quick to build (what the install test uses)
        #[arg(long)]
        debug: bool,
        /// Skip the AppImage (it needs linuxdeploy from GitHub)
        #[arg(long)]
        no_appimage: bool,
    },
    /// Regenerate every icon size in icons/ from icons/dealdesk.svg
    Icons,
    /// Run the benchmarks (core, then the window) and print their tables
    Bench {
        /// Only the core benchmark
        #[arg(long)]
        core_only: bool,
        /// Only the window benchmark
        #[arg(long)]
        ui_only: bool,
        /// Only the installed app's benchmark (release bundles, sizes, start to first paint; root)
        #[arg(long)]
        install_only: bool,
        /// Arguments passed to the benchmark binaries (e.g. --people 10000)
        #[arg(trailing_var_arg = true)]
        args: Vec<String>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = tasks::workspace_root()?;
    std::env::set_current_dir(&root)?;
    match cli.command {
        Command::Setup => setup::all(&root).and_then(|()| setup::windows_cross()),
        Command::Ui => tasks::build_ui(&root),
        Command::Run { team_demo: true, release, screenshot, .. } => tasks::team_demo(&root, release, screenshot),
        Command::Run { data_dir, release, screenshot, demo, .. } => {
            tasks::run(&root, data_dir, release, screenshot, demo)
        }
        Command::Test { no_e2e, no_install } => tasks::test(&root, !no_e2e, !no_e2e && !no_install),
        Command::CheckWindows => tasks::check_windows(),
        Command::Bundle { debug, no_appimage } => bundle::bundle(&root, debug, !no_appimage).map(|_| ()),
        Command::Icons => bundle::icons(&root),
        Command::Bench { core_only, ui_only, install_only, args } => {
            let all = !core_only && !ui_only && !install_only;
            // The installed app's benchmark installs a package: by default only where that is allowed.
            let install = install_only || (all && setup::is_root());
            if all && !install {
                eprintln!("bench: the installed app's benchmark needs root (dpkg -i); skipped");
            }
            tasks::bench(&root, all || core_only, all || ui_only, install, &args)
        }
    }
}
