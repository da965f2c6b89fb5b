//! `dealdesk-cli whop …` as a user runs it, with the OS keyring (Secret Service) holding the
//! tokens and the sandbox standing in for Whop. Run by `cargo xtask test`, which starts a session
//! bus and an unlocked gnome-keyring; plain `cargo test` skips them.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::App;
use dealdesk_core::secrets::{KeyringStore, SecretStore};
use dealdesk_core::test_support::TestApp;
use dealdesk_core::whop::WhopConfig;
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn cli(sandbox: &Sandbox, dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dealdesk-cli"));
    command
        .arg("--data-dir")
        .arg(dir)
        .env_remove("DEALDESK_DATA_DIR")
        .env("DEALDESK_WHOP_API_URL", sandbox.api_url())
        .env("DEALDESK_WHOP_OAUTH_URL", sandbox.oauth_url())
        .env("DEALDESK_WHOP_CLIENT_ID", dealdesk_sandbox::DEFAULT_CLIENT_ID)
        .env("DEALDESK_WHOP_LOOPBACK_PORT", "0")
        .env("DEALDESK_WHOP_MAX_RPS", "0")
        // A killed drain's operations go out again once its claim's lease runs out: 4 s, not 60.
        .env("DEALDESK_OUTBOX_LEASE_SECS", "4")
        .env_remove("DEALDESK_WHOP");
    command
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// `whop login --no-browser`, with the test playing the browser: open the printed URL, approve,
/// follow the redirect to the CLI's loopback listener.
async fn login(sandbox: &Sandbox, dir: &Path) {
    let mut command = cli(sandbox, dir);
    command.args(["whop", "login", "--no-browser", "--timeout", "60"]).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child: Child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let url = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let url = lines.by_ref().map_while(Result::ok).find(|l| l.starts_with("http")).expect("authorize URL printed");
        (url, lines)
    });
    let (authorize_url, rest) = url.await.unwrap();
    assert!(
        authorize_url.contains("code_challenge_method=S256") && authorize_url.contains("nonce="),
        "{authorize_url}"
    );
    let location = sandbox.approve_in_browser(&authorize_url).await.unwrap();
    assert!(location.starts_with("http://127.0.0.1:"), "loopback redirect: {location}");
    let page = http().get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    let rest: Vec<String> = rest.map_while(Result::ok).collect();
    assert!(status.success(), "login exited with {status}");
    assert!(rest.iter().any(|l| l.contains("signed in to Whop")), "{rest:?}");
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The data folder's database, to read what the CLI wrote (no keyring, no Whop server needed).
async fn open_database(dir: &Path) -> App {
    TestApp::new().whop(WhopConfig::default()).open(dir).await.unwrap()
}

async fn install_id(dir: &Path) -> String {
    let app = open_database(dir).await;
    let value: String = sqlx::query_scalar("SELECT value FROM setting WHERE key = 'install_id'")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    app.close().await;
    serde_json::from_str(&value).unwrap()
}

/// Every byte of every file in the data folder (database, WAL, backups).
fn folder_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in walk(dir) {
        bytes.extend(std::fs::read(entry).unwrap_or_default());
    }
    bytes
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an unlocked OS keyring and the CLI binary: run through `cargo xtask test`"]
async fn cli_login_sync_status_logout_keep_tokens_in_the_keyring_only() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(40)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    login(&sandbox, dir.path()).await;

    let keyring = KeyringStore::new(dealdesk_core::app::KEYRING_SERVICE);
    let key = format!("whop-tokens:{}", install_id(dir.path()).await);
    let tokens: serde_json::Value =
        serde_json::from_str(&keyring.get(&key).unwrap().expect("tokens in the keyring")).unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    let status = json(
        &run({
            let mut c = cli(&sandbox, dir.path());
            c.args(["whop", "status", "--json"]);
            c
        })
        .await,
    );
    assert_eq!(status["connected"], true);
    assert!(status["identity"]["user_id"].as_str().unwrap().starts_with("user_"));

    let mut sync = cli(&sandbox, dir.path());
    sync.args(["whop", "sync", "--once", "--json"]).env("RUST_LOG", "trace");
    let output = run(sync).await;
    let report = json(&output);
    assert_eq!(report["status"], "done");
    let fetched: u64 = report["counts"].as_array().unwrap().iter().map(|c| c["fetched"].as_u64().unwrap()).sum();
    assert!(fetched > 200, "{report}");

    // Tokens never reach the database files or the logs (searched byte for byte).
    let files = folder_bytes(dir.path());
    let logs = [output.stderr.clone(), output.stdout.clone()].concat();
    for secret in [&access, &refresh] {
        assert!(!contains(&files, secret), "a token is in the data folder");
        assert!(!contains(&logs, secret), "a token is in the CLI's trace log");
    }
    let current: serde_json::Value = serde_json::from_str(&keyring.get(&key).unwrap().unwrap()).unwrap();
    assert!(!contains(&files, current["access_token"].as_str().unwrap()));

    // `whop businesses` lists the one business (it syncs by default); `whop doctor` checks every
    // part of the connection, one line each, and exits 0 when all pass.
    let businesses = run({
        let mut c = cli(&sandbox, dir.path());
        c.args(["whop", "businesses"]);
        c
    })
    .await;
    assert!(businesses.status.success());
    assert!(String::from_utf8_lossy(&businesses.stdout).contains("Sandbox Studio"));
    let doctor = run({
        let mut c = cli(&sandbox, dir.path());
        c.args(["whop", "doctor"]);
        c
    })
    .await;
    let text = String::from_utf8_lossy(&doctor.stdout).to_string();
    assert!(doctor.status.success(), "{text}{}", String::from_utf8_lossy(&doctor.stderr));
    assert!(text.lines().count() >= 14 && text.lines().all(|l| l.starts_with("ok ")), "{text}");
    assert!(text.contains("API version") && text.contains("2026-07-20 accepted"), "{text}");
    // Kept for the docs and the closing note: what `whop doctor` prints against the sandbox.
    let _ = std::fs::write(std::env::temp_dir().join("dealdesk-whop-doctor.txt"), &text);

    let out = run({
        let mut c = cli(&sandbox, dir.path());
        c.args(["whop", "logout"]);
        c
    })
    .await;
    assert!(out.status.success());
    assert_eq!(keyring.get(&key).unwrap(), None, "logout deletes the tokens");
    let status = json(
        &run({
            let mut c = cli(&sandbox, dir.path());
            c.args(["whop", "status", "--json"]);
            c
        })
        .await,
    );
    assert_eq!(status["connected"], false);
    let refused = run({
        let mut c = cli(&sandbox, dir.path());
        c.args(["whop", "sync", "--once"]);
        c
    })
    .await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not connected"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

async fn table_summary(dir: &Path) -> Vec<(String, i64, String)> {
    let app = open_database(dir).await;
    let mut summary = Vec::new();
    for table in [
        "whop_account",
        "whop_product",
        "whop_plan",
        "whop_member",
        "whop_membership",
        "whop_payment",
        "whop_refund",
        "whop_review",
        "whop_promo_code",
        "whop_lead",
    ] {
        let (count, ids): (i64, Option<String>) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT count(*), group_concat(id, ',') FROM (SELECT id FROM {table} ORDER BY id)"
        )))
        .fetch_one(app.store().pool())
        .await
        .unwrap();
        summary.push((table.to_string(), count, ids.unwrap_or_default()));
    }
    for (name, sql) in [
        ("people", "SELECT count(*) FROM person"),
        ("links", "SELECT count(*) FROM whop_person"),
        ("deals", "SELECT count(*) FROM deal"),
        ("deal links", "SELECT count(*) FROM whop_deal"),
        ("pipelines", "SELECT count(*) FROM pipeline"),
    ] {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(app.store().pool()).await.unwrap();
        summary.push((name.to_string(), n, String::new()));
    }
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(check, "ok");
    app.close().await;
    summary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an unlocked OS keyring and the CLI binary: run through `cargo xtask test`"]
async fn kill_9_during_sync_then_rerun_equals_a_clean_sync() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(400)).await.unwrap();
    // Each page takes a little while, so the kills land mid-run.
    sandbox.inject(dealdesk_sandbox::Fault {
        kind: dealdesk_sandbox::FaultKind::Slow,
        path_prefix: Some("/api/v1/".into()),
        count: 10_000,
        retry_after_secs: None,
        delay_ms: Some(25),
    });
    let killed = tempfile::tempdir().unwrap();
    login(&sandbox, killed.path()).await;
    let mut seed: u64 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    for round in 0..4 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(150 + seed % 900);
        let mut command = cli(&sandbox, killed.path());
        command.args(["whop", "sync", "--once"]).stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = command.spawn().unwrap();
        tokio::time::sleep(delay).await;
        // SIGKILL: no chance to finish the transaction or close the database.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        eprintln!("round {round}: killed after {delay:?} ({status})");
    }
    // The kills landed inside runs (a killed run stays `running` until the next one closes it).
    let app = open_database(killed.path()).await;
    let cut: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_run WHERE status IN ('running', 'interrupted')")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    app.close().await;
    assert!(cut >= 3, "only {cut} of 4 kills interrupted a sync");
    let finish = run({
        let mut c = cli(&sandbox, killed.path());
        c.args(["whop", "sync", "--once", "--json"]);
        c
    })
    .await;
    assert_eq!(json(&finish)["status"], "done");
    sandbox.clear_faults();

    // The same data synced once, cleanly, in another folder.
    let clean = tempfile::tempdir().unwrap();
    let whop = WhopConfig {
        max_requests_per_second: None,
        ..WhopConfig::for_server(&sandbox.api_url(), &sandbox.oauth_url(), dealdesk_sandbox::DEFAULT_CLIENT_ID)
    };
    let app = TestApp::new().whop(whop).open(clean.path()).await.unwrap();
    let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
    let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
    app.whop().handle_deep_link(&link).await.unwrap();
    app.whop().sync(&|_| {}).await.unwrap();
    app.close().await;

    let interrupted = table_summary(killed.path()).await;
    let reference = table_summary(clean.path()).await;
    assert_eq!(interrupted, reference, "a sync killed four times then finished equals a clean sync");
}

/// Queues actions through the library (no network needed), as the window or the CLI would.
async fn queue_actions(dir: &Path, actions: &[dealdesk_model::outbox::WhopAction]) -> Vec<String> {
    let app = open_database(dir).await;
    let mut keys = Vec::new();
    for action in actions {
        let entry = app.whop().run_action(action, dealdesk_model::UpdateSource::Cli).await.unwrap();
        keys.push(entry.idempotency_key);
    }
    app.close().await;
    keys
}

fn spawn_and_kill(mut command: Command, after: Duration) -> std::process::ExitStatus {
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    std::thread::sleep(after);
    // SIGKILL: no chance to finish a transaction, close the database or record an answer.
    let _ = child.kill();
    child.wait().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an unlocked OS keyring and the CLI binary: run through `cargo xtask test`"]
async fn kill_9_at_100_points_during_drain_and_sync_loses_nothing_and_sends_each_once() {
    use dealdesk_model::outbox::WhopAction;
    let sandbox = Sandbox::start(SandboxConfig::with_members(150)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    login(&sandbox, dir.path()).await;
    let synced = run({
        let mut c = cli(&sandbox, dir.path());
        c.args(["whop", "sync", "--once"]);
        c
    })
    .await;
    assert!(synced.status.success(), "{}", String::from_utf8_lossy(&synced.stderr));

    // 120 operations: a pause then 5 free days on each of 60 memberships (order matters per record).
    let app = open_database(dir.path()).await;
    let memberships: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM whop_membership WHERE status = 'active' AND coalesce(payment_collection_paused, 0) = 0
           AND renewal_period_end IS NOT NULL ORDER BY id LIMIT 60",
    )
    .fetch_all(app.store().pool())
    .await
    .unwrap();
    app.close().await;
    assert_eq!(memberships.len(), 60);
    let before: Vec<(String, String)> = memberships
        .iter()
        .map(|id| (id.clone(), sandbox.membership(id).unwrap()["renewal_period_end"].to_string()))
        .collect();
    let actions: Vec<WhopAction> = memberships
        .iter()
        .flat_map(|id| {
            [
                WhopAction::PauseMembership { membership_id: id.clone() },
                WhopAction::AddFreeDays { membership_id: id.clone(), days: 5 },
            ]
        })
        .collect();
    let keys = queue_actions(dir.path(), &actions).await;
    // Every write takes a little while, so kills land between sending and recording the answer.
    sandbox.inject(dealdesk_sandbox::Fault {
        kind: dealdesk_sandbox::FaultKind::Slow,
        path_prefix: Some("/api/v1/".into()),
        count: 1_000_000,
        retry_after_secs: None,
        delay_ms: Some(60),
    });

    let mut seed: u64 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    for round in 0..100 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut command = cli(&sandbox, dir.path());
        if round % 2 == 0 {
            command.args(["outbox", "drain"]);
        } else {
            command.args(["whop", "sync", "--once"]);
        }
        let after = Duration::from_millis(40 + seed % 360);
        let status = tokio::task::spawn_blocking(move || spawn_and_kill(command, after)).await.unwrap();
        if round % 10 == 0 {
            eprintln!("round {round}: killed after {after:?} ({status})");
        }
    }
    let app = open_database(dir.path()).await;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(check, "ok");
    let open_before: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status != 'done'")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    app.close().await;
    eprintln!("after 100 kills: {open_before} of 120 operations still open, {} applied", sandbox.writes().len());
    sandbox.clear_faults();

    // Finish cleanly.
    let drained = run({
        let mut c = cli(&sandbox, dir.path());
        c.args(["outbox", "drain", "--json"]);
        c
    })
    .await;
    let report = json(&drained);
    assert_eq!(report["remaining"], 0, "{report}");
    let synced = run({
        let mut c = cli(&sandbox, dir.path());
        c.args(["whop", "sync", "--once"]);
        c
    })
    .await;
    assert!(synced.status.success());

    // Nothing lost, nothing sent twice, in order per membership.
    let writes = sandbox.writes();
    assert_eq!(writes.len(), 120, "each operation applied exactly once");
    let mut applied: Vec<&str> = writes.iter().filter_map(|w| w.idempotency_key.as_deref()).collect();
    applied.sort_unstable();
    let mut expected: Vec<&str> = keys.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(applied, expected);
    for id in &memberships {
        let order: Vec<&str> =
            writes.iter().filter(|w| w.object_id == *id).map(|w| w.path.rsplit('/').next().unwrap()).collect();
        assert_eq!(order, ["pause", "add_free_days"], "{id}");
    }
    // The final state equals a run without crashes: every membership paused with 5 more days,
    // on Whop and in the local mirror; every operation done; no conflict.
    let app = open_database(dir.path()).await;
    for (id, renewal_before) in &before {
        let remote = sandbox.membership(id).unwrap();
        assert_eq!(remote["payment_collection_paused"], true);
        let was = dealdesk_core::store::time::parse(renewal_before.trim_matches('"')).unwrap();
        let now = dealdesk_core::store::time::parse(remote["renewal_period_end"].as_str().unwrap()).unwrap();
        assert_eq!((now - was).num_days(), 5, "{id}");
        let local: (i64, String) =
            sqlx::query_as("SELECT payment_collection_paused, renewal_period_end FROM whop_membership WHERE id = ?")
                .bind(id)
                .fetch_one(app.store().pool())
                .await
                .unwrap();
        assert_eq!(local.0, 1);
        assert_eq!(dealdesk_core::store::time::parse(&local.1).unwrap(), now);
    }
    let statuses: Vec<(String, i64)> = sqlx::query_as("SELECT status, count(*) FROM outbox GROUP BY status")
        .fetch_all(app.store().pool())
        .await
        .unwrap();
    assert_eq!(statuses, [("done".to_string(), 120)]);
    let conflicts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM conflict").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(conflicts, 0, "a sync between sends never mistakes our own change for a conflict");
    app.close().await;
}
