//! `cargo xtask run --team-demo`: a team workspace on this machine. Starts a private PostgreSQL
//! hub (Debian's package, in a temporary folder, on a Unix socket), makes Ann's desktop its owner
//! with a few people, joins Bob's desktop with a join code, and opens both windows side by side,
//! each on its own data folder (`target/team-demo/ann`, `target/team-demo/bob`), syncing every
//! 2 seconds. Edit in one window, watch it arrive in the other. Closing both windows (or Ctrl+C)
//! stops the hub and removes it.
//!
//! `team-demo --app PATH [--dir DIR] [--screenshot PNG]`: with `--screenshot`, saves the screen
//! once both windows are up, then quits (for a machine without a display).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::{Context, Result, anyhow, bail};
use dealdesk_core::App;
use dealdesk_model::team::TeamAccess;
use dealdesk_model::{NewPerson, UpdateSource};
use dealdesk_team::test_support::PrivatePostgres;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// `own`: Bob's window opens beside Ann's instead of handing over to it (decision 0027).
fn open_window(app: &PathBuf, dir: &std::path::Path, own: bool) -> Result<Child> {
    Command::new(app)
        .arg("--data-dir")
        .arg(dir)
        .args(own.then_some("--own-window"))
        .env("DEALDESK_TEAM_SYNC_SECS", "2")
        .spawn()
        .with_context(|| format!("starting {}", app.display()))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let app = PathBuf::from(arg("--app").context("--app PATH: the dealdesk binary")?);
    let dir = PathBuf::from(arg("--dir").unwrap_or_else(|| "target/team-demo".into()));
    let screenshot = arg("--screenshot");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    let (ann_dir, bob_dir) = (dir.join("ann"), dir.join("bob"));

    let server = PrivatePostgres::start().map_err(|e| anyhow!(e))?;
    server.owner_database("hub").map_err(|e| anyhow!(e))?;
    let (url, password) = server.owner_url("hub");
    println!("team-demo: hub at {url}");

    // Ann's desktop owns the workspace and has a few people; Bob joins with a code. Both through
    // the core, with this session's keyring, as Settings → Team does.
    let ann = App::open(&ann_dir).await?;
    for (first, last, email) in [
        ("Grace", "Hopper", "grace@acme.com"),
        ("Ada", "Lovelace", "ada@acme.com"),
        ("Alan", "Turing", "alan@acme.com"),
    ] {
        let person = NewPerson {
            first_name: first.into(),
            last_name: last.into(),
            email: Some(email.into()),
            ..Default::default()
        };
        ann.crm().create_person(person, UpdateSource::Cli).await?;
    }
    ann.workspace().init(&url, Some(password), "Acme sales (demo)", "ann@acme.com").await?;
    ann.workspace().sync_once().await?;
    let code = ann.workspace().invite("bob@acme.com", TeamAccess::Member).await?;
    ann.close().await;
    let bob = App::open(&bob_dir).await?;
    bob.workspace().join(&code).await?;
    bob.workspace().sync_once().await?;
    bob.close().await;
    for folder in [&ann_dir, &bob_dir] {
        let store = dealdesk_core::store::Store::open(folder).await?;
        store.set_setting(dealdesk_core::support::WELCOME_DISMISSED_KEY, &true).await?;
        store.close().await;
    }

    println!("team-demo: opening Ann's window ({}) and Bob's ({})", ann_dir.display(), bob_dir.display());
    let mut windows = vec![open_window(&app, &ann_dir, false)?, open_window(&app, &bob_dir, true)?];
    if let Some(path) = screenshot {
        tokio::time::sleep(Duration::from_secs(12)).await;
        let status = Command::new("import").args(["-window", "root", &path]).status().context("running import")?;
        for window in &mut windows {
            let _ = window.kill();
            let _ = window.wait();
        }
        if !status.success() {
            bail!("import failed");
        }
        println!("team-demo: screenshot saved to {path}");
        return Ok(());
    }
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        if windows.iter_mut().all(|window| matches!(window.try_wait(), Ok(Some(_)))) {
            break;
        }
        tokio::select! {
            _ = &mut stop => {
                for window in &mut windows {
                    let _ = window.kill();
                    let _ = window.wait();
                }
                break;
            }
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
    println!("team-demo: the windows closed; the hub stops");
    Ok(())
}
