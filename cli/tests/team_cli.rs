//! `dealdesk-cli team …` as users run it, on a private PostgreSQL hub, with the OS keyring
//! holding each desktop's hub password: init, invite, join, sync, members, remove; pushes killed
//! (`kill -9`) at many points lose nothing and repeat nothing. Run by `cargo xtask test` (a
//! session bus and an unlocked gnome-keyring); plain `cargo test` skips it.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers outside #[test] functions; the kill points

use dealdesk_core::team::Hub;
use dealdesk_core::test_support::TestApp;
use dealdesk_core::whop::WhopConfig;
use dealdesk_team::test_support::{OWNER, PrivatePostgres};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn cli(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dealdesk-cli"));
    command.arg("--data-dir").arg(dir).env_remove("DEALDESK_DATA_DIR").env_remove("PGPASSWORD");
    command
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Every byte of every file in the data folder (database, WAL, backups).
fn folder_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            bytes.extend(folder_bytes(&path));
        } else {
            bytes.extend(std::fs::read(path).unwrap_or_default());
        }
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an unlocked OS keyring and the CLI binary: run through `cargo xtask test`"]
async fn team_commands_share_a_crm_and_pushes_killed_at_any_point_lose_and_repeat_nothing() {
    let server = PrivatePostgres::start().unwrap();
    server.owner_database("hub").unwrap();
    let (url, owner_password) = server.owner_url("hub");
    let (owner, member) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    // The owner's CRM: 3,000 people, 3,000 changes to push.
    let csv = owner.path().join("people.csv");
    let mut rows = String::from("first_name,last_name,email\n");
    for i in 0..3_000 {
        rows.push_str(&format!("Person,{i},p{i}@acme.com\n"));
    }
    std::fs::write(&csv, rows).unwrap();
    ok(cli(owner.path()).args(["import", "people"]).arg(&csv).output().unwrap());
    let out = cli(owner.path())
        .args(["team", "init", "--url", &url, "--name", "Acme sales", "--email", "owner@acme.com"])
        .env("PGPASSWORD", &owner_password)
        .output()
        .unwrap();
    assert!(ok(out).contains("Acme sales"));
    let refused = cli(owner.path()).args(["team", "join", "ddj1.x"]).output().unwrap();
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already in team workspace"), "{refused:?}");

    let waiting = || -> i64 {
        let out = ok(cli(owner.path()).args(["team", "status", "--json"]).output().unwrap());
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["waiting"].as_i64().unwrap()
    };
    // The people, and the pipeline, templates and choices every install starts with.
    let to_push = waiting();
    assert!(to_push > 3_000, "{to_push}");

    // A push killed inside the hub: the workspace row is locked by another session, so the push
    // waits there until `kill -9`; the hub rolls it back, nothing counts as pushed.
    let mut blocker = <sqlx::postgres::PgConnection as sqlx::Connection>::connect_with(&server.connect_as(
        OWNER,
        &owner_password,
        "hub",
    ))
    .await
    .unwrap();
    sqlx::query("BEGIN").execute(&mut blocker).await.unwrap();
    sqlx::query("SELECT 1 FROM dealdesk.workspace FOR UPDATE").execute(&mut blocker).await.unwrap();
    let mut child = cli(owner.path()).args(["team", "sync", "--once"]).spawn().unwrap();
    let mut watcher = <sqlx::postgres::PgConnection as sqlx::Connection>::connect_with(&server.connect_as(
        OWNER,
        &owner_password,
        "hub",
    ))
    .await
    .unwrap();
    // From another session: inside the blocker's transaction, pg_stat_activity would not change.
    let waited: i64 = loop {
        let waiting_on_lock: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT dealdesk.push%'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting_on_lock > 0 {
            break waiting_on_lock;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(waited, 1);
    child.kill().unwrap();
    child.wait().unwrap();
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    assert_eq!(waiting(), to_push, "the killed push counts for nothing");

    // Pushes killed at other points, each after more edits: each resumes where the hub's
    // (node, seq) says, nothing twice.
    let mut after_kills = Vec::new();
    for (round, delay_ms) in [40, 80, 120, 160, 220, 300].into_iter().enumerate() {
        let more = owner.path().join(format!("more-{round}.csv"));
        let mut rows = String::from("first_name,last_name,email\n");
        for i in 0..1_000 {
            rows.push_str(&format!("More{round},{i},m{round}-{i}@acme.com\n"));
        }
        std::fs::write(&more, rows).unwrap();
        ok(cli(owner.path()).args(["import", "people"]).arg(&more).output().unwrap());
        let mut child = cli(owner.path()).args(["team", "sync", "--once"]).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        after_kills.push(waiting());
    }
    eprintln!("changes waiting after each kill: {after_kills:?}");
    ok(cli(owner.path()).args(["team", "sync", "--once"]).output().unwrap());
    let status: serde_json::Value =
        serde_json::from_str(&ok(cli(owner.path()).args(["team", "status", "--json"]).output().unwrap())).unwrap();
    assert_eq!(status["waiting"], 0, "{status}");

    let code = ok(cli(owner.path()).args(["team", "invite", "bob@acme.com"]).output().unwrap()).trim().to_string();
    let joined: serde_json::Value =
        serde_json::from_str(&ok(cli(member.path()).args(["team", "join", &code, "--json"]).output().unwrap()))
            .unwrap();
    assert_eq!((joined["email"].as_str(), joined["access"].as_str()), (Some("bob@acme.com"), Some("member")));
    ok(cli(member.path()).args(["team", "sync", "--once"]).output().unwrap());
    let members = ok(cli(owner.path()).args(["team", "members"]).output().unwrap());
    assert!(members.contains("bob@acme.com") && members.contains("joined"), "{members}");

    // Both desktops hold the same CRM; the hub holds each of the owner's changes exactly once.
    let owner_app = TestApp::new().whop(WhopConfig::default()).open(owner.path()).await.unwrap();
    let member_app = TestApp::new().whop(WhopConfig::default()).open(member.path()).await.unwrap();
    let dump = owner_app.crm().shared_dump().await.unwrap();
    let people = dump.as_array().unwrap().iter().filter(|r| r["kind"] == "person").count();
    assert_eq!(people, 9_000);
    assert_eq!(member_app.crm().shared_dump().await.unwrap(), dump);
    let own: i64 = sqlx::query_scalar("SELECT count(*) FROM change_log WHERE node IS NULL")
        .fetch_one(owner_app.store().pool())
        .await
        .unwrap();
    let hub = Hub::connect(server.connect_as(OWNER, &owner_password, "hub")).await.unwrap();
    let mut conn = <sqlx::postgres::PgConnection as sqlx::Connection>::connect_with(&server.connect_as(
        OWNER,
        &owner_password,
        "hub",
    ))
    .await
    .unwrap();
    let on_hub: i64 = sqlx::query_scalar("SELECT count(*) FROM dealdesk.change").fetch_one(&mut conn).await.unwrap();
    assert_eq!(on_hub, own, "every change once");
    owner_app.close().await;
    member_app.close().await;

    // Passwords live in the keyring only: not in either data folder, nor anywhere on the hub.
    let hub_text: String = sqlx::query_scalar(
        "SELECT concat_ws(' ', (SELECT string_agg(c::text, ' ') FROM dealdesk.change c),
                               (SELECT string_agg(m::text, ' ') FROM dealdesk.member m),
                               (SELECT string_agg(w::text, ' ') FROM dealdesk.workspace w))",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let code_password = dealdesk_core::team::JoinCode::decode(&code).unwrap().password;
    for secret in [&owner_password, &code_password] {
        assert!(!hub_text.contains(secret.as_str()), "a password on the hub");
        assert!(!contains(&folder_bytes(owner.path()), secret), "a password in the owner's folder");
        assert!(!contains(&folder_bytes(member.path()), secret), "a password in the member's folder");
    }
    hub.close().await;

    // The owner removes the member: their next sync is refused, their copy stays, marked left.
    ok(cli(owner.path()).args(["team", "remove", "bob@acme.com"]).output().unwrap());
    let refused = cli(member.path()).args(["team", "sync", "--once"]).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("removed"), "{refused:?}");
    let status = ok(cli(member.path()).args(["team", "status"]).output().unwrap());
    assert!(status.contains("left") && status.contains("removed"), "{status}");
    let people = ok(cli(member.path()).args(["people", "list", "--limit", "5"]).output().unwrap());
    assert!(people.contains("@acme.com"), "the local copy stays: {people}");
}
