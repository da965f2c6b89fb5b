//! The board, the dashboard, bulk actions, trash and undo, pipelines and custom field editing,
//! saved views and settings, on the CRM alone (backups, exports and changes made by other
//! processes are the app's: core/tests/app.rs).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_crm::CrmError;
use dealdesk_crm::test_support::Workspace;
use dealdesk_model::*;

const UI: UpdateSource = UpdateSource::Ui;

async fn open() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let app = Workspace::open(dir.path()).await.unwrap();
    (dir, app)
}

fn deal(name: &str, amount: &str, currency: &str, stage: &str) -> NewDeal {
    NewDeal {
        id: None,
        name: name.into(),
        amount: Money::parse(amount, currency).unwrap(),
        close_date: None,
        pipeline_id: None,
        stage: Some(stage.into()),
        status: DealStatus::Open,
        lost_reason: None,
        contact_id: None,
        company_id: None,
        custom: Default::default(),
    }
}

fn person(first: &str) -> NewPerson {
    NewPerson { first_name: first.into(), last_name: "Test".into(), ..Default::default() }
}

#[tokio::test]
async fn the_board_has_counts_totals_and_order_that_persists() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let a = crm.create_deal(deal("A", "100", "USD", "NEW"), UI).await.unwrap();
    let b = crm.create_deal(deal("B", "50.5", "USD", "NEW"), UI).await.unwrap();
    crm.create_deal(deal("C", "10", "EUR", "NEW"), UI).await.unwrap();
    crm.create_deal(deal("D", "1000", "USD", "PROPOSAL"), UI).await.unwrap();
    let won = crm.create_deal(deal("W", "7", "USD", "NEW"), UI).await.unwrap();
    crm.set_deal_status(SetDealStatus { deal_id: won.id, status: DealStatus::Won, lost_reason: None }, UI)
        .await
        .unwrap();

    let board = crm.board(&BoardQuery::default()).await.unwrap();
    assert_eq!(board.columns.len(), 5);
    let new = &board.columns[0];
    assert_eq!((new.stage.name.as_str(), new.count), ("NEW", 3), "won deals leave the board");
    assert_eq!(new.totals[0], Money { micros: 150_500_000, currency: "USD".into() });
    assert_eq!(new.totals[1], Money { micros: 10_000_000, currency: "EUR".into() });
    assert_eq!(new.weighted[0].micros, 15_050_000, "NEW is 10%");
    let names: Vec<&str> = new.deals.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["A", "B", "C"], "new cards go to the end");
    assert_eq!(board.columns[3].weighted[0].micros, 600_000_000, "PROPOSAL is 60%");

    // Reorder within the column: B before A.
    crm.move_deal_stage(MoveDeal { deal_id: b.id, stage: "NEW".into(), position: Some(a.position - 0.5) }, UI)
        .await
        .unwrap();
    // Drag A to MEETING.
    crm.move_deal_stage(MoveDeal { deal_id: a.id, stage: "MEETING".into(), position: None }, UI).await.unwrap();
    let board = crm.board(&BoardQuery::default()).await.unwrap();
    let names: Vec<&str> = board.columns[0].deals.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["B", "C"]);
    assert_eq!(board.columns[2].count, 1);
    assert_eq!(board.columns[2].totals[0].micros, 100_000_000);
}

#[tokio::test]
async fn the_dashboard_sums_the_main_currency_and_lists_due_tasks() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    crm.create_deal(deal("A", "100", "USD", "NEW"), UI).await.unwrap();
    crm.create_deal(deal("B", "200", "USD", "PROPOSAL"), UI).await.unwrap();
    crm.create_deal(deal("C", "5", "EUR", "NEW"), UI).await.unwrap();
    let w = crm.create_deal(deal("W", "300", "USD", "MEETING"), UI).await.unwrap();
    crm.set_deal_status(SetDealStatus { deal_id: w.id, status: DealStatus::Won, lost_reason: None }, UI).await.unwrap();
    let p = crm.create_person(person("Ann"), UI).await.unwrap();
    let target = vec![RecordRef { kind: RecordKind::Person, id: p.id }];
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let later_today =
        chrono::Local::now().date_naive().and_hms_opt(23, 59, 0).unwrap().and_local_timezone(chrono::Local).unwrap();
    crm.add_task(
        NewTask { title: "Late".into(), due_at: Some(yesterday), targets: target.clone(), ..Default::default() },
        UI,
    )
    .await
    .unwrap();
    crm.add_task(
        NewTask {
            title: "Today".into(),
            due_at: Some(later_today.with_timezone(&chrono::Utc)),
            targets: target,
            ..Default::default()
        },
        UI,
    )
    .await
    .unwrap();

    let d = crm.dashboard().await.unwrap();
    assert_eq!(d.currency, "USD");
    assert_eq!(d.other_currencies, ["EUR"]);
    assert_eq!(d.open_value_micros, 300_000_000);
    assert_eq!(d.weighted_forecast_micros, 10_000_000 + 120_000_000);
    assert_eq!(d.won_per_month.len(), 12);
    assert_eq!(d.won_per_month.last().unwrap().value_micros, 300_000_000);
    assert_eq!(d.tasks_overdue.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(), ["Late"]);
    assert_eq!(d.tasks_due_today.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(), ["Today"]);
}

#[tokio::test]
async fn trash_and_restore_work_for_every_kind_and_bulk_actions_apply_to_many() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let ids = crm.create_people(vec![person("A"), person("B"), person("C")], UI).await.unwrap();
    let result = crm
        .bulk(
            BulkRequest { kind: RecordKind::Person, ids: ids.clone(), action: BulkAction::Tag { tag: "vip".into() } },
            UI,
        )
        .await
        .unwrap();
    assert_eq!(result.changed, 3);
    let tagged = crm.list_people(&PersonQuery { tag: Some("vip".into()), ..Default::default() }).await.unwrap();
    assert_eq!(tagged.items.len(), 3);
    crm.bulk(BulkRequest { kind: RecordKind::Person, ids: ids[..2].to_vec(), action: BulkAction::Trash }, UI)
        .await
        .unwrap();
    assert_eq!(crm.count_people(&PersonQuery::default()).await.unwrap(), 1);
    crm.bulk(BulkRequest { kind: RecordKind::Person, ids: ids[..2].to_vec(), action: BulkAction::Restore }, UI)
        .await
        .unwrap();
    assert_eq!(crm.count_people(&PersonQuery::default()).await.unwrap(), 3);

    let d1 = crm.create_deal(deal("D1", "1", "USD", "NEW"), UI).await.unwrap();
    let d2 = crm.create_deal(deal("D2", "1", "USD", "NEW"), UI).await.unwrap();
    let moved = crm
        .bulk(
            BulkRequest {
                kind: RecordKind::Deal,
                ids: vec![d1.id, d2.id],
                action: BulkAction::MoveStage { stage: "MEETING".into() },
            },
            UI,
        )
        .await
        .unwrap();
    assert_eq!(moved.changed, 2);
    assert_eq!(crm.count_deals(&DealQuery { stage: Some("MEETING".into()), ..Default::default() }).await.unwrap(), 2);
    let refused = crm
        .bulk(
            BulkRequest {
                kind: RecordKind::Person,
                ids: vec![ids[0]],
                action: BulkAction::MoveStage { stage: "NEW".into() },
            },
            UI,
        )
        .await;
    assert!(refused.is_err());

    // Notes and tasks go to the trash and come back too.
    let target = vec![RecordRef { kind: RecordKind::Deal, id: d1.id }];
    let note = crm.add_note(NewNote { body: "hello".into(), targets: target.clone() }, UI).await.unwrap();
    let note_ref = RecordRef { kind: RecordKind::Note, id: note.id };
    crm.trash(note_ref, UI).await.unwrap();
    assert!(crm.list_notes(&NoteQuery::default()).await.unwrap().items.is_empty());
    crm.restore(note_ref, UI).await.unwrap();
    assert_eq!(
        crm.list_notes(&NoteQuery { record: Some(target[0]), ..Default::default() }).await.unwrap().items.len(),
        1
    );
    let edited = crm.update_note(NoteEdit { id: note.id, body: "hello **world**".into() }, UI).await.unwrap();
    assert_eq!(edited.body, "hello **world**");
    assert_eq!(crm.search("world", None).await.unwrap().len(), 1, "edits are re-indexed");
}

#[tokio::test]
async fn offsets_and_counts_serve_virtual_scrolling() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let people: Vec<NewPerson> = (0..30).map(|i| person(&format!("P{i:02}"))).collect();
    crm.create_people(people, UI).await.unwrap();
    let query = PersonQuery { limit: Some(10), offset: Some(20), ..Default::default() };
    let page = crm.list_people(&query).await.unwrap();
    assert_eq!(page.items.first().unwrap().first_name, "P20");
    assert_eq!(page.items.len(), 10);
    assert!(page.next_cursor.is_none());
    assert_eq!(crm.count_people(&PersonQuery::default()).await.unwrap(), 30);
    assert_eq!(crm.count_people(&PersonQuery { text: Some("p1".into()), ..Default::default() }).await.unwrap(), 10);
    assert_eq!(crm.count_people(&PersonQuery { text: Some("--".into()), ..Default::default() }).await.unwrap(), 0);
    let today = chrono::Utc::now().date_naive();
    let created_today = PersonQuery { created_from: Some(today), created_to: Some(today), ..Default::default() };
    assert_eq!(crm.count_people(&created_today).await.unwrap(), 30);
    let before = PersonQuery { created_to: today.pred_opt(), ..Default::default() };
    assert_eq!(crm.count_people(&before).await.unwrap(), 0);

    let d = crm.create_deal(deal("Big", "5000", "USD", "NEW"), UI).await.unwrap();
    crm.create_deal(deal("Small", "5", "USD", "NEW"), UI).await.unwrap();
    let big = DealQuery { amount_min: Some(1_000 * 1_000_000), ..Default::default() };
    assert_eq!(crm.list_deals(&big).await.unwrap().items.iter().map(|x| x.id).collect::<Vec<_>>(), [d.id]);
}

#[tokio::test]
async fn pipelines_are_edited_in_one_save() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let sales = crm.list_pipelines().await.unwrap().remove(0);
    let d = crm.create_deal(deal("D", "1", "USD", "MEETING"), UI).await.unwrap();
    // Swap two names, rename, add a stage, remove an empty one.
    let mut stages: Vec<StageEdit> = sales
        .stages
        .iter()
        .map(|s| StageEdit {
            id: Some(s.id),
            name: s.name.clone(),
            probability: s.probability,
            rotting_days: s.rotting_days,
        })
        .collect();
    stages.swap(0, 1);
    stages[0].name = "NEW".into();
    stages[1].name = "SCREENING".into();
    stages.retain(|s| s.name != "CUSTOMER");
    stages.push(StageEdit { id: None, name: "Negotiation".into(), probability: 80, rotting_days: Some(5) });
    let saved = crm
        .save_pipeline(SavePipeline {
            id: Some(sales.id),
            name: "Sales".into(),
            is_default: true,
            stages: stages.clone(),
        })
        .await
        .unwrap();
    let names: Vec<&str> = saved.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["NEW", "SCREENING", "MEETING", "PROPOSAL", "Negotiation"]);
    assert_eq!(crm.get_deal(d.id).await.unwrap().stage_name, "MEETING", "deals keep their stage");

    // A stage with deals cannot be removed.
    let without_meeting: Vec<StageEdit> = stages.iter().filter(|s| s.name != "MEETING").cloned().collect();
    let err = crm
        .save_pipeline(SavePipeline {
            id: Some(sales.id),
            name: "Sales".into(),
            is_default: true,
            stages: without_meeting,
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("still has 1 deals"), "{err}");
    // Duplicate names and bad probabilities are refused.
    let mut dup = stages.clone();
    dup[1].name = "new".into();
    assert!(
        crm.save_pipeline(SavePipeline { id: Some(sales.id), name: "Sales".into(), is_default: true, stages: dup })
            .await
            .is_err()
    );

    // A second pipeline can become the default.
    let partners = crm
        .save_pipeline(SavePipeline {
            id: None,
            name: "Partners".into(),
            is_default: true,
            stages: vec![StageEdit { id: None, name: "Intro".into(), probability: 5, rotting_days: None }],
        })
        .await
        .unwrap();
    let all = crm.list_pipelines().await.unwrap();
    assert_eq!(all.iter().filter(|p| p.is_default).map(|p| p.id).collect::<Vec<_>>(), [partners.id]);
    let new_deal = crm.create_deal(deal("P", "1", "USD", "Intro"), UI).await.unwrap();
    assert_eq!(new_deal.pipeline_id, partners.id);
}

#[tokio::test]
async fn custom_fields_can_be_renamed_and_removed() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let def = crm
        .define_custom_field(NewCustomField {
            object: RecordKind::Deal,
            key: "tier".into(),
            label: "Tier".into(),
            field_type: CustomFieldType::Select { options: vec!["A".into()] },
        })
        .await
        .unwrap();
    let updated = crm
        .update_custom_field(CustomFieldPatch {
            id: def.id,
            label: Some("Plan tier".into()),
            options: Some(vec!["A".into(), "B".into()]),
        })
        .await
        .unwrap();
    assert_eq!(updated.label, "Plan tier");
    let mut d = deal("D", "1", "USD", "NEW");
    d.custom.insert("tier".into(), "b".into());
    assert_eq!(crm.create_deal(d, UI).await.unwrap().custom["tier"], "B");
    crm.delete_custom_field(def.id).await.unwrap();
    assert!(crm.custom_fields(RecordKind::Deal).await.unwrap().is_empty());
    // The key is free again.
    crm.define_custom_field(NewCustomField {
        object: RecordKind::Deal,
        key: "tier".into(),
        label: "Tier".into(),
        field_type: CustomFieldType::Text,
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn saved_views_and_settings_persist() {
    let (dir, app) = open().await;
    let crm = app.crm();
    let state = serde_json::json!({ "sort": "name", "columns": ["name", "email"] });
    crm.save_view(NewSavedView {
        object: RecordKind::Person,
        name: "VIPs".into(),
        state: state.clone(),
        shared: false,
    })
    .await
    .unwrap();
    let replaced = serde_json::json!({ "sort": "updated_at" });
    crm.save_view(NewSavedView {
        object: RecordKind::Person,
        name: "VIPs".into(),
        state: replaced.clone(),
        shared: false,
    })
    .await
    .unwrap();
    crm.save_settings(Settings { theme: Theme::Dark }).await.unwrap();
    app.close().await;

    let app = Workspace::open(dir.path()).await.unwrap();
    let views = app.crm().saved_views(RecordKind::Person).await.unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].state, replaced);
    assert_eq!(app.crm().settings().await.unwrap().theme, Theme::Dark);
    app.crm().delete_saved_view(views[0].id).await.unwrap();
    assert!(app.crm().saved_views(RecordKind::Person).await.unwrap().is_empty());
    assert!(matches!(
        app.crm()
            .save_view(NewSavedView {
                object: RecordKind::Note,
                name: "x".into(),
                state: serde_json::json!({}),
                shared: false
            })
            .await,
        Err(CrmError::InvalidField { .. })
    ));
}

#[tokio::test]
async fn tasks_are_listed_edited_and_counted() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let p = crm.create_person(person("Ann"), UI).await.unwrap();
    let target = vec![RecordRef { kind: RecordKind::Person, id: p.id }];
    let t = crm
        .add_task(NewTask { title: "Call Ann".into(), targets: target.clone(), ..Default::default() }, UI)
        .await
        .unwrap();
    crm.add_task(NewTask { title: "Email Bob".into(), targets: target.clone(), ..Default::default() }, UI)
        .await
        .unwrap();
    crm.update_task(t.id, TaskPatch { status: Some(TaskStatus::Done), ..Default::default() }, UI).await.unwrap();
    assert_eq!(crm.count_tasks(&TaskQuery::default()).await.unwrap(), 1, "done tasks are hidden by default");
    assert_eq!(crm.count_tasks(&TaskQuery { include_done: true, ..Default::default() }).await.unwrap(), 2);
    let found = crm
        .list_tasks(&TaskQuery { text: Some("ann".into()), include_done: true, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert!(matches!(
        crm.update_task(t.id, TaskPatch { title: Some(" ".into()), ..Default::default() }, UI).await,
        Err(CrmError::InvalidField { .. })
    ));
}
