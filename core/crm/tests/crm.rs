//! The CRM core on real, temporary SQLite files: schema, writes, validation, search, paging,
//! timeline and change log.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_crm::test_support::Workspace;
use dealdesk_crm::{CrmError, parse_id};
use dealdesk_model::*;
use sqlx::Row;

async fn open() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let app = Workspace::open(dir.path()).await.unwrap();
    (dir, app)
}

fn person(first: &str, last: &str, email: Option<&str>) -> NewPerson {
    NewPerson { first_name: first.into(), last_name: last.into(), email: email.map(Into::into), ..Default::default() }
}

fn deal(name: &str, amount: &str, stage: Option<&str>) -> NewDeal {
    NewDeal {
        id: None,
        name: name.into(),
        amount: Money::parse(amount, "USD").unwrap(),
        close_date: None,
        pipeline_id: None,
        stage: stage.map(Into::into),
        status: DealStatus::Open,
        lost_reason: None,
        contact_id: None,
        company_id: None,
        custom: Default::default(),
    }
}

const UI: UpdateSource = UpdateSource::Ui;

#[tokio::test]
async fn a_new_database_is_migrated_with_wal_foreign_keys_and_the_default_pipeline() {
    let (dir, app) = open().await;
    let pool = app.store().pool();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await.unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(pool).await.unwrap();
    assert_eq!(fk, 1);
    let pipelines = app.crm().list_pipelines().await.unwrap();
    assert_eq!(pipelines.len(), 1);
    let stages: Vec<&str> = pipelines[0].stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stages, ["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"]);
    assert!(pipelines[0].is_default);
    app.close().await;
    // Opening again runs no migration twice and keeps the data.
    let again = Workspace::open(dir.path()).await.unwrap();
    assert_eq!(again.crm().list_pipelines().await.unwrap().len(), 1);
}

#[tokio::test]
async fn people_crud_with_soft_delete_and_restore() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let acme = crm
        .create_company(NewCompany { name: "Acme".into(), domain: Some("acme.com".into()), ..Default::default() }, UI)
        .await
        .unwrap();
    let mut new = person("Ann", "Lee", Some("Ann@Acme.COM"));
    new.company_id = Some(acme.id);
    let ann = crm.create_person(new, UI).await.unwrap();
    assert_eq!(ann.id.get_version_num(), 7, "ids are UUIDv7");
    assert_eq!(ann.email.as_deref(), Some("Ann@acme.com"));
    assert_eq!(ann.company_name.as_deref(), Some("Acme"));

    let patch = PersonPatch { job_title: Some("CTO".into()), email: Some("ann@acme.io".into()), ..Default::default() };
    let updated = crm.update_person(ann.id, patch, UI).await.unwrap();
    assert_eq!(updated.job_title.as_deref(), Some("CTO"));
    assert!(updated.meta.updated_at > ann.meta.updated_at);

    crm.delete_person(ann.id, UI).await.unwrap();
    assert!(crm.list_people(&PersonQuery::default()).await.unwrap().items.is_empty());
    let trash = crm.list_people(&PersonQuery { deleted: true, ..Default::default() }).await.unwrap();
    assert_eq!(trash.items.len(), 1);
    assert!(matches!(crm.update_person(ann.id, PersonPatch::default(), UI).await, Err(CrmError::Deleted { .. })));
    crm.delete_person(ann.id, UI).await.unwrap(); // trashing twice is a no-op
    assert!(matches!(crm.delete_person(uuid::Uuid::now_v7(), UI).await, Err(CrmError::NotFound { .. })));
    let restored = crm.restore_person(ann.id, UI).await.unwrap();
    assert_eq!(restored.meta.deleted_at, None);
    assert_eq!(crm.list_people(&PersonQuery::default()).await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn validation_errors_are_specific_and_write_nothing() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM change_log").fetch_one(app.store().pool()).await.unwrap();

    let err = crm.create_person(person("Ann", "Lee", Some("ann@")), UI).await.unwrap_err();
    assert!(matches!(err, CrmError::InvalidEmail { .. }), "{err}");
    assert_eq!(err.field().as_deref(), Some("email"));
    assert!(matches!(crm.create_person(person(" ", "", None), UI).await, Err(CrmError::MissingPersonName)));
    let mut ghost = person("Ann", "Lee", None);
    ghost.company_id = Some(uuid::Uuid::now_v7());
    assert!(matches!(crm.create_person(ghost, UI).await, Err(CrmError::CompanyNotFound(_))));
    assert!(matches!(crm.resolve_company("Nope Inc").await, Err(CrmError::CompanyNotFound(_))));
    assert!(matches!(crm.create_deal(deal("X", "10", Some("WON-ISH")), UI).await, Err(CrmError::UnknownStage { .. })));
    let mut bad_currency = deal("X", "10", None);
    bad_currency.amount.currency = "XYZ".into();
    let err = crm.create_deal(bad_currency, UI).await.unwrap_err();
    assert!(err.to_string().contains("unknown currency 'XYZ'"), "{err}");
    assert!(matches!(crm.create_deal(deal(" ", "10", None), UI).await, Err(CrmError::MissingName(RecordKind::Deal))));
    assert!(matches!(
        crm.create_company(
            NewCompany { name: "A".into(), domain: Some("not a domain".into()), ..Default::default() },
            UI
        )
        .await,
        Err(CrmError::InvalidDomain(_))
    ));
    let long = "x".repeat(1_000_001);
    assert!(matches!(crm.create_person(person(&long, "", None), UI).await, Err(CrmError::TooLong { .. })));

    crm.create_person(person("Ann", "Lee", Some("ann@acme.com")), UI).await.unwrap();
    let dup = crm.create_person(person("Other", "Ann", Some("ANN@acme.com")), UI).await.unwrap_err();
    assert!(matches!(dup, CrmError::DuplicateEmail { .. }), "{dup}");

    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM change_log").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(after, before + 1, "only the one good person was logged");
    assert!(matches!(parse_id("nope"), Err(CrmError::InvalidId(_))));

    // An id given from outside (an import of an export) must not be taken already.
    let taken = crm.list_people(&PersonQuery::default()).await.unwrap().items[0].id;
    let reuse = NewPerson { id: Some(taken), ..person("Copy", "Cat", None) };
    assert!(matches!(crm.create_person(reuse, UI).await, Err(CrmError::DuplicateId { .. })));
}

#[tokio::test]
async fn deals_move_through_stages_and_close() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let d = crm.create_deal(deal("Renewal", "1200.50", None), UI).await.unwrap();
    assert_eq!(d.stage_name, "NEW");
    assert_eq!(d.amount.micros, 1_200_500_000);
    assert_eq!(d.probability, 10);
    let moved =
        crm.move_deal_stage(MoveDeal { deal_id: d.id, stage: "proposal".into(), position: None }, UI).await.unwrap();
    assert_eq!(moved.stage_name, "PROPOSAL");
    assert_eq!(moved.probability, 60);
    assert!(moved.stage_entered_at > d.stage_entered_at);

    let no_reason = SetDealStatus { deal_id: d.id, status: DealStatus::Lost, lost_reason: None };
    assert!(matches!(crm.set_deal_status(no_reason, UI).await, Err(CrmError::LostReasonRequired)));
    let lost = crm
        .set_deal_status(
            SetDealStatus { deal_id: d.id, status: DealStatus::Lost, lost_reason: Some("Budget".into()) },
            UI,
        )
        .await
        .unwrap();
    assert_eq!((lost.status, lost.probability, lost.lost_reason.as_deref()), (DealStatus::Lost, 0, Some("Budget")));

    let proposals = crm.list_deals(&DealQuery { stage: Some("PROPOSAL".into()), ..Default::default() }).await.unwrap();
    assert_eq!(proposals.items.len(), 1);
    assert!(
        crm.list_deals(&DealQuery { stage: Some("NEW".into()), ..Default::default() }).await.unwrap().items.is_empty()
    );
}

#[tokio::test]
async fn timeline_and_change_log_record_every_field_change() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let p = crm.create_person(person("Ann", "Lee", Some("ann@acme.com")), UI).await.unwrap();
    crm.update_person(p.id, PersonPatch { email: Some("ann@acme.io".into()), ..Default::default() }, UpdateSource::Cli)
        .await
        .unwrap();
    crm.tag_record(RecordRef { kind: RecordKind::Person, id: p.id }, "VIP", UI).await.unwrap();
    crm.add_note(
        NewNote {
            body: "Met at the conference\nmore".into(),
            targets: vec![RecordRef { kind: RecordKind::Person, id: p.id }],
        },
        UI,
    )
    .await
    .unwrap();
    let d = crm.create_deal(deal("Deal", "1", None), UI).await.unwrap();
    crm.move_deal_stage(MoveDeal { deal_id: d.id, stage: "MEETING".into(), position: None }, UI).await.unwrap();

    let events = crm.timeline(RecordRef { kind: RecordKind::Person, id: p.id }).await.unwrap();
    let kinds: Vec<&TimelineEventKind> = events.iter().map(|e| &e.kind).collect();
    assert!(matches!(kinds[0], TimelineEventKind::NoteAdded { excerpt, .. } if excerpt == "Met at the conference"));
    assert!(matches!(kinds[1], TimelineEventKind::Tagged { tag } if tag == "VIP"));
    assert!(matches!(kinds[2], TimelineEventKind::FieldChanged { field, from, to }
        if field == "email" && from == "ann@acme.com" && to == "ann@acme.io"));
    assert_eq!(events[2].source, UpdateSource::Cli);
    assert!(matches!(kinds[3], TimelineEventKind::Created));
    assert!(events.windows(2).all(|w| w[0].seq > w[1].seq && w[0].hlc > w[1].hlc), "newest first, HLC ordered");

    let deal_events = crm.timeline(RecordRef { kind: RecordKind::Deal, id: d.id }).await.unwrap();
    assert!(
        matches!(&deal_events[0].kind, TimelineEventKind::StageMoved { from, to } if from == "NEW" && to == "MEETING")
    );

    // The change log refuses edits and deletes.
    let pool = app.store().pool();
    assert!(sqlx::query("UPDATE change_log SET op = 'create'").execute(pool).await.is_err());
    assert!(sqlx::query("DELETE FROM change_log").execute(pool).await.is_err());
}

#[tokio::test]
async fn a_failed_write_leaves_no_change_log_row() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let p = crm.create_person(person("Ann", "Lee", Some("a@x.com")), UI).await.unwrap();
    crm.create_person(person("Bob", "Ray", Some("b@x.com")), UI).await.unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM change_log").fetch_one(app.store().pool()).await.unwrap()
    };
    let before = count().await;
    // Valid fields but a clash with Bob's email: the whole update is refused.
    let patch = PersonPatch { city: Some("Paris".into()), email: Some("b@x.com".into()), ..Default::default() };
    assert!(crm.update_person(p.id, patch, UI).await.is_err());
    assert_eq!(count().await, before);
    assert_eq!(crm.get_person(p.id).await.unwrap().city, None);
}

#[tokio::test]
async fn search_matches_prefixes_across_kinds_folding_case_and_accents() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    crm.create_person(person("Zoë", "Ångström", Some("zoe@physics.org")), UI).await.unwrap();
    crm.create_company(NewCompany { name: "Zoetic Labs".into(), ..Default::default() }, UI).await.unwrap();
    let d = crm.create_deal(deal("Zoom rollout", "5", None), UI).await.unwrap();
    crm.add_note(
        NewNote { body: "zoology budget".into(), targets: vec![RecordRef { kind: RecordKind::Deal, id: d.id }] },
        UI,
    )
    .await
    .unwrap();

    let hits = crm.search("ZO", None).await.unwrap();
    let kinds: std::collections::BTreeSet<RecordKind> = hits.iter().map(|h| h.record.kind).collect();
    assert_eq!(kinds.len(), 4, "{hits:?}");
    let accents = crm.search("angstr", None).await.unwrap();
    assert_eq!(accents.len(), 1);
    assert_eq!(accents[0].title, "Zoë Ångström");
    assert_eq!(crm.search("zoe ang", None).await.unwrap().len(), 1, "all words must match");
    // FTS syntax in the input is inert: `OR` is a word here, so all three words must match.
    assert!(crm.search("zoe\" OR (xyz*", None).await.unwrap().is_empty());
    assert_eq!(crm.search("zo NEAR(", None).await.unwrap().len(), 0);

    // Deleting removes from the index; restoring puts it back.
    crm.delete_deal(d.id, UI).await.unwrap();
    assert!(crm.search("zoom", None).await.unwrap().is_empty());
    crm.restore_deal(d.id, UI).await.unwrap();
    assert_eq!(crm.search("zoom", None).await.unwrap().len(), 1);
    // Renaming re-indexes.
    crm.update_deal(d.id, DealPatch { name: Some("Rocket".into()), ..Default::default() }, UI).await.unwrap();
    assert!(crm.search("zoom", None).await.unwrap().is_empty());
    assert_eq!(crm.search("rock", None).await.unwrap().len(), 1);
}

#[tokio::test]
async fn keyset_paging_visits_every_row_once_in_order() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let names = ["émile", "Bob", "alice", "Carol", "dave", "Bob", "eve", "Frank", "grace"];
    let new: Vec<NewPerson> = names.iter().enumerate().map(|(i, n)| person(n, &format!("N{i}"), None)).collect();
    crm.create_people(new, UI).await.unwrap();

    for direction in [SortDirection::Asc, SortDirection::Desc] {
        let mut seen = Vec::new();
        let mut query = PersonQuery { limit: Some(2), direction, ..Default::default() };
        loop {
            let page = crm.list_people(&query).await.unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(page.items.iter().map(|p| (p.first_name.to_lowercase(), p.last_name.clone())));
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), names.len());
        let mut sorted = seen.clone();
        sorted.sort();
        if direction == SortDirection::Desc {
            sorted.reverse();
        }
        // NOCASE order: ASCII case-folded; 'é' sorts after ASCII letters.
        assert_eq!(seen, sorted, "{direction:?}");
    }

    let by_updated = crm
        .list_people(&PersonQuery { sort: PersonSort::UpdatedAt, limit: Some(4), ..Default::default() })
        .await
        .unwrap();
    let cursor = by_updated.next_cursor.clone().unwrap();
    let wrong_sort = PersonQuery { sort: PersonSort::Name, cursor: Some(cursor), ..Default::default() };
    assert!(matches!(crm.list_people(&wrong_sort).await, Err(CrmError::InvalidCursor)));
    let garbage = PersonQuery { cursor: Some("!!".into()), ..Default::default() };
    assert!(matches!(crm.list_people(&garbage).await, Err(CrmError::InvalidCursor)));
}

#[tokio::test]
async fn lists_filter_by_text_company_and_tag() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let acme = crm.create_company(NewCompany { name: "Acme".into(), ..Default::default() }, UI).await.unwrap();
    let mut ann = person("Ann", "Lee", None);
    ann.company_id = Some(acme.id);
    let ann = crm.create_person(ann, UI).await.unwrap();
    crm.create_person(person("Anna", "Berg", None), UI).await.unwrap();
    crm.tag_record(RecordRef { kind: RecordKind::Person, id: ann.id }, "vip", UI).await.unwrap();

    let text = crm.list_people(&PersonQuery { text: Some("ann".into()), ..Default::default() }).await.unwrap();
    assert_eq!(text.items.len(), 2);
    let at_acme = crm.list_people(&PersonQuery { company_id: Some(acme.id), ..Default::default() }).await.unwrap();
    assert_eq!(at_acme.items.len(), 1);
    let tagged = crm.list_people(&PersonQuery { tag: Some("VIP".into()), ..Default::default() }).await.unwrap();
    assert_eq!(tagged.items.iter().map(|p| p.id).collect::<Vec<_>>(), [ann.id]);
    assert_eq!(tagged.items[0].tags, ["vip"]);
}

#[tokio::test]
async fn custom_fields_are_defined_checked_and_logged() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let def = NewCustomField {
        object: RecordKind::Person,
        key: "tier".into(),
        label: "Tier".into(),
        field_type: CustomFieldType::Select { options: vec!["Gold".into(), "Silver".into()] },
    };
    crm.define_custom_field(def.clone()).await.unwrap();
    assert!(matches!(crm.define_custom_field(def).await, Err(CrmError::DuplicateCustomField { .. })));
    let mut new = person("Ann", "Lee", None);
    new.custom.insert("tier".into(), "gold".into());
    let ann = crm.create_person(new, UI).await.unwrap();
    assert_eq!(ann.custom["tier"], "Gold");
    let mut bad = person("Bob", "Ray", None);
    bad.custom.insert("tier".into(), "Bronze".into());
    assert!(matches!(crm.create_person(bad, UI).await, Err(CrmError::InvalidCustomValue { .. })));

    let mut patch = PersonPatch::default();
    patch.custom.insert("tier".into(), "Silver".into());
    crm.update_person(ann.id, patch, UI).await.unwrap();
    let events = crm.timeline(RecordRef { kind: RecordKind::Person, id: ann.id }).await.unwrap();
    assert!(matches!(&events[0].kind, TimelineEventKind::FieldChanged { field, .. } if field == "custom.tier"));
}

#[tokio::test]
async fn hlc_stamps_keep_increasing_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let app = Workspace::open(dir.path()).await.unwrap();
    app.crm().create_person(person("A", "B", None), UI).await.unwrap();
    let first: String =
        sqlx::query("SELECT max(hlc) AS h FROM change_log").fetch_one(app.store().pool()).await.unwrap().get("h");
    app.close().await;
    let app = Workspace::open(dir.path()).await.unwrap();
    app.crm().create_person(person("C", "D", None), UI).await.unwrap();
    let second: String =
        sqlx::query("SELECT max(hlc) AS h FROM change_log").fetch_one(app.store().pool()).await.unwrap().get("h");
    assert!(second > first);
}

#[tokio::test]
async fn writes_emit_core_events_tagged_with_their_source() {
    let (_dir, app) = open().await;
    let mut events = app.subscribe();
    let p = app.crm().create_person(person("Ann", "Lee", None), UpdateSource::Cli).await.unwrap();
    let event = events.recv().await.unwrap();
    assert_eq!(
        event,
        ipc::CoreEvent::RecordChanged {
            record: RecordRef { kind: RecordKind::Person, id: p.id },
            source: UpdateSource::Cli
        }
    );
}

/// The Trash screen's core: what is in the trash (newest first), Restore, Delete for good (a
/// live record refused; the row, its search entry, its tags and links and its history gone, the
/// records that pointed at it kept), and emptying after the retention setting's days.
#[tokio::test]
async fn the_trash_lists_restores_deletes_for_good_and_empties_after_its_days() {
    use dealdesk_model::trash::{DEFAULT_RETENTION_DAYS, TrashQuery};
    let (_dir, app) = open().await;
    let crm = app.crm();
    let acme = crm
        .create_company(NewCompany { name: "Acme".into(), domain: Some("acme.com".into()), ..Default::default() }, UI)
        .await
        .unwrap();
    let mut new = person("Ada", "Lovelace", Some("ada@acme.com"));
    new.company_id = Some(acme.id);
    let ada = crm.create_person(new, UI).await.unwrap();
    let grace = crm.create_person(person("Grace", "Hopper", Some("grace@navy.mil")), UI).await.unwrap();
    let mut big = deal("Big deal", "1000", None);
    big.contact_id = Some(ada.id);
    let big = crm.create_deal(big, UI).await.unwrap();
    let ada_ref = RecordRef { kind: RecordKind::Person, id: ada.id };
    crm.tag_record(ada_ref, "vip", UI).await.unwrap();
    let note = crm
        .add_note(NewNote { body: "Called Ada\nShe wants a demo".into(), targets: vec![ada_ref] }, UI)
        .await
        .unwrap();
    let task = crm
        .add_task(NewTask { title: "Send the demo".into(), targets: vec![ada_ref], ..Default::default() }, UI)
        .await
        .unwrap();

    // Nothing in the trash yet; a live record cannot be deleted for good.
    let empty = crm.trash_list(&TrashQuery::default()).await.unwrap();
    assert_eq!((empty.total, empty.retention_days), (0, DEFAULT_RETENTION_DAYS));
    let refused = crm.delete_for_good(ada_ref, UI).await.unwrap_err();
    assert!(refused.to_string().contains("not in the trash"), "{refused}");

    for record in [
        RecordRef { kind: RecordKind::Note, id: note.id },
        ada_ref,
        RecordRef { kind: RecordKind::Company, id: acme.id },
        RecordRef { kind: RecordKind::Person, id: grace.id },
    ] {
        crm.trash(record, UI).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let listed = crm.trash_list(&TrashQuery::default()).await.unwrap();
    let titles: Vec<&str> = listed.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, vec!["Grace Hopper", "Acme", "Ada Lovelace", "Called Ada"], "newest deletion first");
    assert_eq!(listed.total, 4);
    assert_eq!(listed.items[2].detail.as_deref(), Some("ada@acme.com"));
    let people = crm.trash_list(&TrashQuery { kind: Some(RecordKind::Person), limit: None }).await.unwrap();
    assert_eq!(people.total, 2);

    // Restore brings Grace back to the lists.
    crm.restore(RecordRef { kind: RecordKind::Person, id: grace.id }, UI).await.unwrap();
    assert_eq!(crm.trash_list(&TrashQuery::default()).await.unwrap().total, 3);

    // Delete for good: Ada's row, tags, links and history go; the deal and the task stay.
    crm.delete_for_good(ada_ref, UI).await.unwrap();
    let pool = app.store().pool();
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql).bind(ada.id.to_string()).fetch_one(pool).await.unwrap()
    };
    assert_eq!(count("SELECT count(*) FROM person WHERE id = ?").await, 0);
    assert_eq!(count("SELECT count(*) FROM change_log WHERE record_id = ?").await, 0, "no history left");
    assert_eq!(count("SELECT count(*) FROM record_tag WHERE record_id = ?").await, 0);
    assert_eq!(count("SELECT count(*) FROM task_target WHERE record_id = ?").await, 0);
    assert_eq!(count("SELECT count(*) FROM note_target WHERE record_id = ?").await, 0);
    assert!(crm.search("Lovelace", None).await.unwrap().is_empty(), "nor in search");
    let kept = crm.get_deal(big.id).await.unwrap();
    assert_eq!(kept.contact_id, None, "the deal stays, without its contact");
    let task_left: i64 = sqlx::query_scalar("SELECT count(*) FROM task WHERE id = ? AND deleted_at IS NULL")
        .bind(task.id.to_string())
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(task_left, 1, "the task stays");
    // Every other record's history is still append-only.
    let other =
        sqlx::query("DELETE FROM change_log WHERE record_id = ?").bind(grace.id.to_string()).execute(pool).await;
    assert!(other.unwrap_err().to_string().contains("append-only"));

    // Retention: 0 keeps everything; otherwise what was trashed longer ago than that goes.
    assert!(crm.set_trash_retention(100_000).await.is_err(), "at most ten years");
    crm.set_trash_retention(0).await.unwrap();
    sqlx::query("UPDATE company SET deleted_at = '2020-01-01T00:00:00.000000Z'").execute(pool).await.unwrap();
    assert_eq!(crm.empty_expired_trash().await.unwrap(), 0);
    assert_eq!(crm.set_trash_retention(30).await.unwrap().retention_days, 30);
    // The first check after the upgrade starts the count: what was in the trash before (when
    // nothing was ever erased) gets its 30 days from now.
    assert_eq!(crm.empty_expired_trash().await.unwrap(), 0, "nothing goes at once after an upgrade");
    sqlx::query("UPDATE setting SET value = '\"2020-06-01T00:00:00.000000Z\"' WHERE key = 'trash.retention_since'")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(crm.empty_expired_trash().await.unwrap(), 1, "the company trashed in 2020 goes");
    let left = crm.trash_list(&TrashQuery::default()).await.unwrap();
    assert_eq!(left.items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), vec!["Called Ada"]);
    // Emptying one kind leaves the others.
    let done = crm.add_task(NewTask { title: "Old task".into(), ..Default::default() }, UI).await.unwrap();
    crm.trash(RecordRef { kind: RecordKind::Task, id: done.id }, UI).await.unwrap();
    assert_eq!(crm.empty_trash(Some(RecordKind::Task), UI).await.unwrap(), 1);
    assert_eq!(crm.trash_list(&TrashQuery::default()).await.unwrap().total, 1, "the note is still there");
    assert_eq!(crm.empty_trash(None, UI).await.unwrap(), 1);
    assert_eq!(crm.trash_list(&TrashQuery::default()).await.unwrap().total, 0);

    // A Whop customer stays in the trash (the next sync would bring them back): refused by hand,
    // left by Empty trash, and the list says why.
    let customer = crm.create_person(person("Whop", "Buyer", Some("buyer@whop.test")), UI).await.unwrap();
    sqlx::query("INSERT INTO whop_person (user_id, person_id) VALUES ('user_1', ?)")
        .bind(customer.id.to_string())
        .execute(pool)
        .await
        .unwrap();
    let customer_ref = RecordRef { kind: RecordKind::Person, id: customer.id };
    crm.trash(customer_ref, UI).await.unwrap();
    let kept = crm.trash_list(&TrashQuery::default()).await.unwrap();
    assert!(kept.items[0].kept.as_deref().is_some_and(|why| why.contains("Whop")), "{:?}", kept.items[0]);
    let refused = crm.delete_for_good(customer_ref, UI).await.unwrap_err();
    assert!(refused.to_string().contains("stays in the trash"), "{refused}");
    assert_eq!(crm.empty_trash(None, UI).await.unwrap(), 0);
    assert_eq!(crm.trash_list(&TrashQuery::default()).await.unwrap().total, 1);
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(pool).await.unwrap();
    assert_eq!(integrity, "ok");
}

/// A record deleted for good here stays gone when a team workspace sends changes about it: they
/// are dropped, not held forever waiting for the record (nor is it made again from its create).
#[tokio::test]
async fn changes_pulled_for_a_record_deleted_for_good_are_dropped_not_held() {
    use dealdesk_crm::shared::TeamChange;
    let (_a_dir, a) = open().await;
    let (_b_dir, b) = open().await;
    let ada = a.crm().create_person(person("Ada", "Lovelace", Some("ada@acme.com")), UI).await.unwrap();
    let to_team = |changes: Vec<dealdesk_crm::shared::OwnChange>, node: &str| -> Vec<TeamChange> {
        changes
            .into_iter()
            .map(|own| TeamChange { hub_seq: own.seq, node: node.into(), author: node.into(), change: own.change })
            .collect()
    };
    // B pulls Ada, then renames her.
    let from_a = to_team(a.crm().own_changes(0, 1000).await.unwrap(), "a");
    b.crm().merge_team_changes("b", &from_a).await.unwrap();
    let patch = PersonPatch { first_name: Some("Augusta".into()), ..Default::default() };
    b.crm().update_person(ada.id, patch, UI).await.unwrap();
    // A deletes her for good meanwhile, then pulls B's changes (her create among them).
    let ada_ref = RecordRef { kind: RecordKind::Person, id: ada.id };
    a.crm().trash(ada_ref, UI).await.unwrap();
    a.crm().delete_for_good(ada_ref, UI).await.unwrap();
    let from_b: Vec<TeamChange> = to_team(b.crm().own_changes(0, 1000).await.unwrap(), "b")
        .into_iter()
        .chain(from_a.clone())
        .enumerate()
        .map(|(i, mut team)| {
            team.hub_seq = 100 + i as i64;
            team
        })
        .collect();
    a.crm().merge_team_changes("a", &from_b).await.unwrap();
    assert_eq!(a.crm().team_changes_held().await.unwrap(), 0, "nothing waits for a record deleted for good");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM person WHERE id = ?")
        .bind(ada.id.to_string())
        .fetch_one(a.store().pool())
        .await
        .unwrap();
    assert_eq!(left, 0, "not made again from a create pulled later");
}
