//! The app around the CRM: backups, exports and changes made by other processes.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::App;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::*;
use std::time::Duration;

const UI: UpdateSource = UpdateSource::Ui;

async fn open() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).await.unwrap();
    (dir, app)
}

fn person(first: &str) -> NewPerson {
    NewPerson { first_name: first.into(), last_name: "Test".into(), ..Default::default() }
}

#[tokio::test]
async fn writes_from_another_process_reach_the_event_bus() {
    let (dir, app) = open().await;
    let mut events = app.subscribe();
    let _watcher = app.watch_external_changes(Duration::from_millis(50));
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A second App on the same folder stands in for the CLI (same code path, its own pool).
    let other = App::open(dir.path()).await.unwrap();
    other.crm().create_person(person("Cli"), UpdateSource::Cli).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(CoreEvent::RecordsChanged { kind, source }) = events.recv().await {
                return (kind, source);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(event, (RecordKind::Person, UpdateSource::Cli));
}

#[tokio::test]
async fn backups_and_exports_write_real_files() {
    let (dir, app) = open().await;
    app.crm().create_person(person("Ann"), UI).await.unwrap();
    let backup = app.backup().await.unwrap();
    assert!(backup.path.starts_with(&dir.path().join("backups").display().to_string()));
    let restored = sqlx::SqlitePool::connect(&format!("sqlite://{}", backup.path)).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM person").fetch_one(&restored).await.unwrap();
    assert_eq!(n, 1);
    let csv = dir.path().join("out/people.csv");
    let written = app.export_csv_to(CsvObject::People, &csv).await.unwrap();
    assert_eq!(written.rows, Some(1));
    assert!(std::fs::read_to_string(&csv).unwrap().contains("Ann"));
    let info = app.info().await;
    assert!(info.database_bytes > 0);
}
