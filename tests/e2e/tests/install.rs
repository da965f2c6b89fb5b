//! The installed app, as a user gets it: the `.deb` that `cargo xtask test` builds (named by
//! `DEALDESK_INSTALL_DEB`) is installed with dpkg, its desktop entry declares the `dealdesk://`
//! scheme, the installed binary starts under Xvfb on a previous release's database (backed up
//! before the upgrade), a `dealdesk://` link opened through the desktop handler (`gio open`)
//! reaches the running app, the installed `dealdesk-cli` script (the app binary's `dealdesk cli`)
//! lists the upgraded data once the app has closed, and `dpkg -r` removes the program and leaves
//! the user's data.

use anyhow::{Context, Result, bail, ensure};
use dealdesk_e2e::{Session, screenshot_path};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const DEB_ENV: &str = "DEALDESK_INSTALL_DEB";
const INSTALLED_APP: &str = "/usr/bin/dealdesk";
const INSTALLED_CLI: &str = "/usr/bin/dealdesk-cli";

fn run(program: &str, args: &[&str], env: &[(&str, &Path)]) -> Result<String> {
    let output = Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    ensure!(output.status.success(), "{program} {args:?} failed ({}): {text}", output.status);
    Ok(text)
}

/// A database at the schema of the release before this one (every migration but the newest),
/// made by sqlx from a copy of the migrations folder, holding one company.
async fn previous_release_database(data_dir: &Path) -> Result<()> {
    let migrations = tempfile::tempdir()?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files.pop();
    for file in &files {
        std::fs::copy(file, migrations.path().join(file.file_name().context("file name")?))?;
    }
    let url = format!("sqlite://{}?mode=rwc", data_dir.join("dealdesk.sqlite3").display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    sqlx::migrate::Migrator::new(migrations.path()).await?.run(&pool).await?;
    sqlx::query(
        "INSERT INTO company (id, name, domain, created_at, updated_at) VALUES
         ('01930000-0000-7000-8000-0000000000aa', 'Old Release Co', 'old-release.example',
          '2026-11-01T00:00:00.000000000Z', '2026-11-01T00:00:00.000000000Z')",
    )
    .execute(&pool)
    .await?;
    pool.close().await;
    Ok(())
}

async fn wait_for_file_text(dir: &Path, needle: &str, within: Duration) -> Result<String> {
    let deadline = Instant::now() + within;
    loop {
        let mut all = String::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        if all.contains(needle) {
            return Ok(all);
        }
        if Instant::now() > deadline {
            bail!("no '{needle}' in the logs in {}:\n{all}", dir.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[ignore = "installs a package system-wide: run by `cargo xtask test` as root, with DEALDESK_INSTALL_DEB"]
async fn the_deb_installs_upgrades_old_data_takes_deep_links_and_uninstalls_leaving_data() -> Result<()> {
    let Some(deb) = std::env::var_os(DEB_ENV) else {
        eprintln!("skipped: {DEB_ENV} is not set (`cargo xtask test` builds the .deb and sets it)");
        return Ok(());
    };
    // Install; removed again however the test ends.
    run("dpkg", &["-i", &deb.to_string_lossy()], &[])?;
    let _installed = Installed;
    ensure!(
        Path::new(INSTALLED_APP).is_file() && Path::new(INSTALLED_CLI).is_file(),
        "dpkg installed neither the app nor the dealdesk-cli script"
    );
    let desktop = std::fs::read_dir("/usr/share/applications")?
        .flatten()
        .map(|e| e.path())
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("Exec=dealdesk")))
        .context("no desktop entry for dealdesk in /usr/share/applications")?;
    let entry = std::fs::read_to_string(&desktop)?;
    ensure!(entry.contains("MimeType=x-scheme-handler/dealdesk"), "the desktop entry declares no scheme:\n{entry}");
    ensure!(entry.contains("Exec=dealdesk %u"), "the desktop entry does not pass the link:\n{entry}");
    let cli_version = run(INSTALLED_CLI, &["--version"], &[])?;
    ensure!(cli_version.contains(env!("CARGO_PKG_VERSION")), "{cli_version}");

    // A user's home with nothing registered by development runs: the link must go through the
    // package's desktop entry.
    let home = tempfile::tempdir()?;
    let (share, config, logs) = (home.path().join("share"), home.path().join("config"), home.path().join("logs"));
    let data_dir = tempfile::tempdir()?;
    previous_release_database(data_dir.path()).await?;

    let env = [
        ("XDG_DATA_HOME", share.display().to_string()),
        ("XDG_CONFIG_HOME", config.display().to_string()),
        ("DEALDESK_LOG_DIR", logs.display().to_string()),
    ];
    let session = Session::start_app(Path::new(INSTALLED_APP), data_dir, &env).await?;
    let result = async {
        // The window, on the upgraded database.
        session.go("Companies").await?;
        session.wait_for_text("#companies-table .td[data-col=name]", "Old Release Co").await?;
        session.screenshot(&screenshot_path("installed-app.png")).await?;
        let data = session.data_path();
        ensure!(data.join("dealdesk.sqlite3").is_file(), "no database in the data folder");
        let backups: Vec<String> = std::fs::read_dir(data.join("backups"))?
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        ensure!(
            backups.len() == 1 && backups[0].ends_with("-before-migration.sqlite3"),
            "expected one backup taken before the upgrade: {backups:?}"
        );
        wait_for_file_text(&logs, "starting Dealdesk", Duration::from_secs(5)).await?;

        // A link opened the way a browser opens it reaches the running app (through the
        // single-instance hand-over), which refuses this unknown login.
        let link = "dealdesk://oauth/whop/callback?code=install-test&state=no-such-login";
        let (share_dir, config_dir) = (share.as_path(), config.as_path());
        run(
            "gio",
            &["open", link],
            &[("XDG_DATA_HOME", share_dir), ("XDG_CONFIG_HOME", config_dir), ("DEALDESK_LOG_DIR", logs.as_path())],
        )?;
        let log = wait_for_file_text(&logs, "deep link received", Duration::from_secs(15)).await?;
        ensure!(log.contains("dealdesk://oauth/whop/callback"), "{log}");
        ensure!(!log.contains("install-test"), "the OAuth code must not reach the log:\n{log}");
        wait_for_file_text(&logs, "refused a sign-in link", Duration::from_secs(10)).await?;
        Ok(())
    }
    .await;
    let kept = session.quit_keeping_data().await;
    result?;
    let data_dir = kept?;

    // The packaged command line (the app binary's `dealdesk cli`) works on the same data.
    let data_arg = data_dir.path().display().to_string();
    let companies = run(INSTALLED_CLI, &["--data-dir", &data_arg, "companies", "list", "--json"], &[])?;
    ensure!(companies.contains("Old Release Co"), "dealdesk-cli does not see the upgraded data: {companies}");

    // Uninstall: the program goes, the user's data stays.
    run("dpkg", &["-r", "dealdesk"], &[])?;
    ensure!(!Path::new(INSTALLED_APP).exists(), "dpkg -r left {INSTALLED_APP}");
    ensure!(data_dir.path().join("dealdesk.sqlite3").is_file(), "the database is gone");
    ensure!(std::fs::read_dir(data_dir.path().join("backups"))?.count() == 1, "the backups are gone");
    ensure!(std::fs::read_dir(&logs)?.count() >= 1, "the logs are gone");
    Ok(())
}

/// Removes the package when the test ends early, so a failure leaves no system-wide install (and
/// no `dealdesk://` handler) behind for later runs.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        if Path::new(INSTALLED_APP).exists() {
            let _ = Command::new("dpkg").args(["-r", "dealdesk"]).status();
        }
    }
}
