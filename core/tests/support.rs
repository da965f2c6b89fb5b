//! The installed app's support services on real SQLite files: the welcome state, the sample
//! workspace through the CSV import, backups (before an upgrade, daily, by hand, pruning),
//! restores applied at the next open, databases from a newer version, and diagnostics that
//! carry no secrets.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::ai::config::AiEnv;
use dealdesk_core::store::backup;
use dealdesk_core::store::{DATABASE_FILE, StoreError};
use dealdesk_core::support::SupportError;
use dealdesk_core::test_support::TestApp;
use dealdesk_core::whop::WhopConfig;
use dealdesk_core::{App, AppError};
use dealdesk_model::support::BackupReason;
use dealdesk_model::{NewPerson, PersonQuery, UpdateSource};
use std::path::Path;

const UI: UpdateSource = UpdateSource::Ui;
const SECRET_KEY: &str = "sk-test-diagnostics-must-never-show-this";

async fn open(dir: &Path) -> Result<App, AppError> {
    TestApp::new()
        .whop(WhopConfig::default())
        .ai(AiEnv {
            disabled: false,
            provider: None,
            base_url: Some("http://127.0.0.1:9/v1".into()),
            model: Some("test-model".into()),
            api_key: Some(SECRET_KEY.into()),
        })
        .open(dir)
        .await
}

async fn people(app: &App) -> u64 {
    app.crm().count_people(&PersonQuery::default()).await.unwrap()
}

async fn add_person(app: &App, first: &str) {
    let person = NewPerson { first_name: first.into(), last_name: "Test".into(), ..Default::default() };
    app.crm().create_person(person, UI).await.unwrap();
}

/// Builds a database at the schema of the release before this one: every migration but the
/// newest, run by sqlx from a copy of the migrations folder, the way that release ran them.
async fn previous_release_database(data_dir: &Path) -> i64 {
    let migrations = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let newest = files.pop().unwrap();
    for file in &files {
        std::fs::copy(file, migrations.path().join(file.file_name().unwrap())).unwrap();
    }
    std::fs::create_dir_all(data_dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", data_dir.join(DATABASE_FILE).display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(migrations.path()).await.unwrap().run(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO company (id, name, created_at, updated_at) VALUES ('01930000-0000-7000-8000-0000000000aa', 'Old Release Co', '2026-11-01T00:00:00.000000000Z', '2026-11-01T00:00:00.000000000Z')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let name = newest.file_name().unwrap().to_str().unwrap();
    name.split('_').next().unwrap().parse::<i64>().unwrap() - 1
}

async fn schema_of(file: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{file}?mode=ro")).await.unwrap();
    let version = dealdesk_core::store::schema_version(&pool).await.unwrap();
    pool.close().await;
    version
}

#[tokio::test]
async fn an_upgrade_backs_the_old_database_up_first_and_keeps_its_records() {
    let dir = tempfile::tempdir().unwrap();
    previous_release_database(dir.path()).await;
    let app = open(dir.path()).await.unwrap();
    let backups = app.backups().await.unwrap().backups;
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(backups[0].reason, BackupReason::BeforeMigration);
    let old_schema = schema_of(&backups[0].path).await;
    let new_schema = dealdesk_core::store::schema_version(app.store().pool()).await.unwrap();
    assert!(old_schema < new_schema, "the backup has the old schema ({old_schema} vs {new_schema})");
    let company = app.crm().resolve_company("Old Release Co").await.unwrap();
    assert_eq!(company.name, "Old Release Co");
    app.close().await;
    // An up-to-date database opens without another backup.
    let app = open(dir.path()).await.unwrap();
    assert_eq!(app.backups().await.unwrap().backups.len(), 1);
    app.close().await;
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (29990101000000, 'from the future', '2999-01-01', 1, x'00', 0)",
    )
    .execute(app.store().pool())
    .await
    .unwrap();
    app.close().await;
    let before = std::fs::read(dir.path().join(DATABASE_FILE)).unwrap();
    let error = open(dir.path()).await.err().unwrap();
    assert!(matches!(error, AppError::Store(StoreError::NewerDatabase { version: 29990101000000, .. })), "{error}");
    assert!(error.to_string().contains("newer version of Dealdesk"), "{error}");
    assert_eq!(std::fs::read(dir.path().join(DATABASE_FILE)).unwrap(), before);
    assert!(backup::list(&backup::backups_dir(dir.path())).unwrap().is_empty());
}

#[tokio::test]
async fn a_restore_brings_the_backup_back_at_the_next_open_and_keeps_a_copy_of_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    add_person(&app, "Kept").await;
    let manual = app.backup_now(BackupReason::Manual).await.unwrap();
    add_person(&app, "Later").await;
    assert_eq!(people(&app).await, 2);
    let mut events = app.subscribe();
    let scheduled = app.schedule_restore(&manual.name).await.unwrap();
    assert_eq!(scheduled.restore_pending.as_deref(), Some(manual.name.as_str()));
    let mut restart = false;
    while let Ok(event) = events.try_recv() {
        restart |= matches!(event, dealdesk_model::ipc::CoreEvent::RestartRequired);
    }
    assert!(restart, "the shell is asked to restart");
    app.close().await;

    let app = open(dir.path()).await.unwrap();
    assert_eq!(people(&app).await, 1, "the backup's records are back");
    let backups = app.backups().await.unwrap();
    assert!(backups.restore_pending.is_none());
    // The database as it was just before the swap is kept.
    let safety = backups.backups.iter().find(|b| b.reason == BackupReason::BeforeRestore).unwrap().clone();
    app.close().await;
    // Applied once: a second open changes nothing, and the copy taken before holds both people.
    let app = open(dir.path()).await.unwrap();
    assert_eq!(people(&app).await, 1);
    app.schedule_restore(&safety.name).await.unwrap();
    app.close().await;
    let app = open(dir.path()).await.unwrap();
    assert_eq!(people(&app).await, 2, "the copy taken before the restore brings the later record back");
    app.close().await;
}

#[tokio::test]
async fn a_cancelled_restore_leaves_the_data_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    let backup = app.backup_now(BackupReason::Manual).await.unwrap();
    add_person(&app, "Later").await;
    app.schedule_restore(&backup.name).await.unwrap();
    let mut events = app.subscribe();
    let cancelled = app.cancel_restore().await.unwrap();
    assert!(cancelled.restore_pending.is_none());
    assert!(matches!(events.try_recv(), Ok(dealdesk_model::ipc::CoreEvent::BackupsChanged)));
    app.close().await;
    let app = open(dir.path()).await.unwrap();
    assert_eq!(people(&app).await, 1, "nothing was restored");
    let backups = app.backups().await.unwrap();
    assert!(backups.backups.iter().all(|b| b.reason != BackupReason::BeforeRestore), "no swap happened");
    app.close().await;
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_restore_waits_while_another_process_has_the_database_open() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    let backup = app.backup_now(BackupReason::Manual).await.unwrap();
    add_person(&app, "Later").await;
    app.schedule_restore(&backup.name).await.unwrap();
    app.close().await;
    // Another process (a running app, say) holding the file: the swap would pull the file from
    // under it, so the restore waits for the next open.
    let database = dir.path().join(DATABASE_FILE);
    let mut holder = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("exec 3<'{}'; exec sleep 60", database.display()))
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let app = open(dir.path()).await.unwrap();
    assert_eq!(people(&app).await, 1, "not restored under another process");
    assert_eq!(app.backups().await.unwrap().restore_pending.as_deref(), Some(backup.name.as_str()));
    app.close().await;
    holder.kill().unwrap();
    holder.wait().unwrap();
    let app = open(dir.path()).await.unwrap();
    assert_eq!(people(&app).await, 0, "restored once the other process is gone");
    assert!(app.backups().await.unwrap().restore_pending.is_none());
    app.close().await;
}

#[tokio::test]
async fn restores_refuse_paths_unknown_names_and_damaged_files() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    for name in ["../dealdesk.sqlite3", "/etc/passwd", "dealdesk-20261127-101010-daily.sqlite3"] {
        let error = app.schedule_restore(name).await.err().unwrap();
        assert!(matches!(error, SupportError::Store(StoreError::BackupNotFound(_))), "{name}: {error}");
    }
    let dir_backups = app.backups_dir();
    std::fs::create_dir_all(&dir_backups).unwrap();
    std::fs::write(dir_backups.join("dealdesk-20261127-101010-daily.sqlite3"), b"not a database at all").unwrap();
    let error = app.schedule_restore("dealdesk-20261127-101010-daily.sqlite3").await.err().unwrap();
    assert!(matches!(error, SupportError::Store(StoreError::BackupUnreadable { .. })), "{error}");
    let backups = app.backups().await.unwrap();
    assert!(backups.restore_pending.is_none(), "nothing scheduled");
    assert!(backups.backups.iter().all(|b| b.reason != BackupReason::BeforeRestore), "no copy taken for a refusal");
    app.close().await;
}

#[tokio::test]
async fn daily_backups_come_once_a_day_and_old_automatic_ones_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    let first = app.daily_backup_if_due().await.unwrap();
    assert_eq!(first.as_ref().unwrap().reason, BackupReason::Daily);
    assert!(app.daily_backup_if_due().await.unwrap().is_none(), "not due again within a day");
    let manual = app.backup_now(BackupReason::Manual).await.unwrap();
    let before_upgrade = app.backup_now(BackupReason::BeforeMigration).await.unwrap();
    for _ in 0..5 {
        app.backup_now(BackupReason::Daily).await.unwrap();
    }
    let oldest_daily = first.unwrap();
    let removed = backup::prune(&app.backups_dir(), 3, Some(&oldest_daily.name)).unwrap();
    assert_eq!(removed, 2, "7 automatic, 3 kept, the pending restore and the upgrade copy spared");
    let left = app.backups().await.unwrap().backups;
    assert_eq!(left.iter().filter(|b| b.reason.is_automatic()).count(), 5);
    assert!(left.iter().any(|b| b.name == manual.name), "manual backups are kept");
    assert!(left.iter().any(|b| b.name == before_upgrade.name), "the only copy at the old schema is kept");
    assert!(left.iter().any(|b| b.name == oldest_daily.name), "a backup waiting to be restored is kept");
    app.close().await;
}

#[tokio::test]
async fn first_run_shows_the_welcome_until_sample_data_or_a_dismissal() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    let welcome = app.welcome().await.unwrap();
    assert!(welcome.show);
    assert_eq!(welcome.database_file, dir.path().join(DATABASE_FILE).display().to_string());
    let loaded = app.load_sample_workspace(UI).await.unwrap();
    let created: Vec<u64> = loaded.reports.iter().map(|r| r.created).collect();
    assert_eq!(created, vec![14, 40, 22]);
    assert!(loaded.reports.iter().all(|r| r.rejected.is_empty() && r.committed));
    assert_eq!((loaded.notes, loaded.tasks), (3, 3));
    assert!(!app.welcome().await.unwrap().show);
    let again = app.load_sample_workspace(UI).await.err().unwrap();
    assert!(matches!(again, SupportError::NotEmpty), "{again}");
    assert_eq!(people(&app).await, 40);
    app.close().await;

    let other = tempfile::tempdir().unwrap();
    let app = open(other.path()).await.unwrap();
    app.dismiss_welcome().await.unwrap();
    assert!(!app.welcome().await.unwrap().show);
    app.close().await;
}

/// What a sample load leaves in the database: companies, people, deals, notes, tasks and the
/// deals' names (sorted), counted over every row, the trash included.
async fn sample_rows(app: &App) -> ((i64, i64, i64, i64, i64), Vec<String>) {
    let pool = app.store().pool();
    let counts = sqlx::query_as(
        "SELECT (SELECT count(*) FROM company), (SELECT count(*) FROM person), (SELECT count(*) FROM deal),
                (SELECT count(*) FROM note), (SELECT count(*) FROM task)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let deals = sqlx::query_scalar("SELECT name FROM deal ORDER BY name").fetch_all(pool).await.unwrap();
    (counts, deals)
}

async fn deal_ids(app: &App) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM deal").fetch_all(app.store().pool()).await.unwrap()
}

/// Makes every insert into `table` fail once it holds `rows` rows, the way a full disk or a crash
/// would stop the load there; returns the trigger's name for dropping it.
async fn fail_inserts(app: &App, table: &str, rows: u32) -> String {
    let name = format!("fail_{table}_after_{rows}");
    // The names come from the test itself, never from input.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN (SELECT count(*) FROM {table}) >= {rows}
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
    )))
    .execute(app.store().pool())
    .await
    .unwrap();
    name
}

async fn drop_trigger(app: &App, name: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {name}"))).execute(app.store().pool()).await.unwrap();
}

/// Issue 21: a sample load that fails partway is run again and finishes, repeating nothing: first
/// while the deals are written (companies and people are in), then at the second note (the deals
/// are in); the third run leaves exactly what one uninterrupted load leaves.
#[tokio::test]
async fn a_sample_load_that_failed_partway_finishes_when_run_again_without_repeats() {
    let whole = tempfile::tempdir().unwrap();
    let app = open(whole.path()).await.unwrap();
    app.load_sample_workspace(UI).await.unwrap();
    let (once, deal_names) = sample_rows(&app).await;
    let whole_ids = deal_ids(&app).await;
    app.close().await;
    assert_eq!(once, (14, 40, 22, 3, 3));

    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    let trigger = fail_inserts(&app, "deal", 9).await;
    let error = app.load_sample_workspace(UI).await.err().unwrap();
    assert!(error.to_string().contains("injected failure"), "{error}");
    assert_eq!(sample_rows(&app).await.0, (14, 40, 0, 0, 0), "the deals file is written whole or not at all");
    drop_trigger(&app, &trigger).await;

    let trigger = fail_inserts(&app, "note", 1).await;
    let error = app.load_sample_workspace(UI).await.err().unwrap();
    assert!(error.to_string().contains("injected failure"), "the second run went on: {error}");
    assert_eq!(sample_rows(&app).await.0, (14, 40, 22, 1, 0));
    drop_trigger(&app, &trigger).await;

    let loaded = app.load_sample_workspace(UI).await.unwrap();
    let created: Vec<u64> = loaded.reports.iter().map(|r| r.created).collect();
    assert_eq!(created, vec![0, 0, 0], "{:?}", loaded.reports);
    assert!(loaded.reports.iter().all(|r| r.rejected.is_empty() && r.updated == 0), "{:?}", loaded.reports);
    assert_eq!((loaded.notes, loaded.tasks), (2, 3));
    assert_eq!(sample_rows(&app).await, (once, deal_names), "the same records as one whole load");
    // The deals' ids, stable across the runs here, are UUIDv7 like every id and this database's own.
    let ids = deal_ids(&app).await;
    assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).unwrap().get_version_num() == 7), "{ids:?}");
    assert!(ids.iter().all(|id| !whole_ids.contains(id)), "another database's sample has other ids");
    assert!(!app.welcome().await.unwrap().show);

    // Finished: asking again is refused as after an uninterrupted load, and adds nothing.
    let again = app.load_sample_workspace(UI).await.err().unwrap();
    assert!(matches!(again, SupportError::NotEmpty), "{again}");
    assert_eq!(sample_rows(&app).await.0, once);
    app.close().await;
}

/// Two loads at once (a double click, the CLI beside the window) load the sample once; a load
/// killed with its process leaves a claim that keeps others out only until it lapses.
#[tokio::test]
async fn a_sample_load_runs_once_at_a_time_and_a_dead_loads_claim_lapses() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    // What a load killed a moment ago leaves: its claim, and no record.
    let claim = "INSERT INTO setting (key, value, updated_at) VALUES ('sample.loading', json_quote(?1), ?1)";
    let just_now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    sqlx::query(claim).bind(&just_now).execute(app.store().pool()).await.unwrap();
    let refused = app.load_sample_workspace(UI).await.err().unwrap();
    assert!(matches!(refused, SupportError::SampleAlreadyLoaded), "{refused}");
    assert_eq!(sample_rows(&app).await.0, (0, 0, 0, 0, 0));
    let an_hour_ago =
        (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    sqlx::query("UPDATE setting SET updated_at = ? WHERE key = 'sample.loading'")
        .bind(an_hour_ago)
        .execute(app.store().pool())
        .await
        .unwrap();

    let (first, second) = tokio::join!(app.load_sample_workspace(UI), app.load_sample_workspace(UI));
    let refused = match (first, second) {
        (Ok(_), Err(refused)) | (Err(refused), Ok(_)) => refused,
        (first, second) => panic!("one load, one refusal: {first:?} {second:?}"),
    };
    assert!(matches!(refused, SupportError::SampleAlreadyLoaded | SupportError::NotEmpty), "{refused}");
    assert_eq!(sample_rows(&app).await.0, (14, 40, 22, 3, 3));
    app.close().await;
}

#[tokio::test]
async fn a_csv_picked_in_the_window_is_checked_then_imported() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    let bytes = b"First name,Last name,Email\nAda,Lovelace,ada@example.com\nBad,Row,not-an-email\n".to_vec();
    let mut request = dealdesk_model::support::ImportCsvRequest {
        object: dealdesk_model::CsvObject::People,
        file_name: "people.csv".into(),
        bytes,
        dry_run: true,
        keep_good_rows: false,
        encoding: None,
    };
    let report = app.import_csv_file(&request, UI).await.unwrap();
    assert_eq!((report.rows, report.rejected.len(), report.committed), (2, 1, false));
    assert_eq!(people(&app).await, 0);
    request.dry_run = false;
    request.keep_good_rows = true;
    let report = app.import_csv_file(&request, UI).await.unwrap();
    assert_eq!((report.created, report.committed), (1, true));
    request.bytes = b"".to_vec();
    let error = app.import_csv_file(&request, UI).await.err().unwrap();
    assert!(error.to_string().starts_with("people.csv: "), "{error}");
    // Excel on Windows saves windows-1252: refused as UTF-8 with a way out, read once chosen.
    request.bytes = b"First name,Last name,Email\nRen\xe9,M\xfcller,rene@example.com\n".to_vec();
    let error = app.import_csv_file(&request, UI).await.err().unwrap().to_string();
    assert!(error.contains("not valid UTF-8") && error.contains("choose its encoding"), "{error}");
    assert_eq!(people(&app).await, 1, "nothing written");
    request.encoding = Some("windows-1252".into());
    let report = app.import_csv_file(&request, UI).await.unwrap();
    assert_eq!((report.created, report.committed), (1, true));
    let found = app.crm().list_people(&dealdesk_model::PersonQuery::default()).await.unwrap();
    assert!(found.items.iter().any(|p| p.first_name == "René" && p.last_name == "Müller"), "{found:?}");
    app.close().await;
}

#[tokio::test]
async fn diagnostics_report_paths_states_and_timings_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    app.load_sample_workspace(UI).await.unwrap();
    let diagnostics = app.diagnostics().await.unwrap();
    assert_eq!(diagnostics.records.people, 40);
    assert_eq!(diagnostics.records.deals, 22);
    assert!(diagnostics.schema_version >= 20261127000007);
    assert_eq!(diagnostics.integrations.len(), 3);
    let ai = &diagnostics.integrations[1];
    assert!(ai.state.contains("test-model") && ai.state.contains("API key set"), "{ai:?}");
    assert!(diagnostics.text.contains(&diagnostics.database_file));
    assert!(diagnostics.text.contains("Dealdesk "));
    let everything = serde_json::to_string(&diagnostics).unwrap();
    assert!(!everything.contains(SECRET_KEY), "no secret in diagnostics");
    app.close().await;
}
