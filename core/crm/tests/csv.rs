//! CSV import and export on real SQLite files: good, bad and hostile files.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_crm::csv::{ImportError, ImportOptions};
use dealdesk_crm::test_support::Workspace;
use dealdesk_model::*;

async fn open() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let app = Workspace::open(dir.path()).await.unwrap();
    (dir, app)
}

const SRC: UpdateSource = UpdateSource::Import;

fn opts() -> ImportOptions {
    ImportOptions::default()
}

async fn count(app: &Workspace, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table} WHERE deleted_at IS NULL")))
        .fetch_one(app.store().pool())
        .await
        .unwrap()
}

async fn export(app: &Workspace, object: CsvObject) -> String {
    let mut out = Vec::new();
    app.crm().export_csv(object, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn imports_people_with_aliases_dedupe_and_company_links() {
    let (_dir, app) = open().await;
    app.crm()
        .create_company(NewCompany { name: "Acme".into(), domain: Some("acme.com".into()), ..Default::default() }, SRC)
        .await
        .unwrap();
    app.crm()
        .create_person(
            NewPerson {
                first_name: "Old".into(),
                last_name: "Ann".into(),
                email: Some("ann@acme.com".into()),
                ..Default::default()
            },
            SRC,
        )
        .await
        .unwrap();
    let csv = "First Name,Surname,E-mail,Company,Title,Shoe size,Tags\n\
               Ann,Lee,ANN@acme.com,acme.com,CTO,42,vip; beta\n\
               Bob,Ray,bob@acme.com,Acme,,41,\n\
               Cleo,,cleo@example.org,,,,\n";
    let report = app.crm().import_csv(CsvObject::People, csv.as_bytes(), &opts(), SRC).await.unwrap();
    assert!(report.committed && report.rejected.is_empty(), "{report:?}");
    assert_eq!((report.rows, report.created, report.updated), (3, 2, 1));
    assert_eq!(report.columns.iter().find(|c| c.header == "Shoe size").unwrap().field, None);
    assert_eq!(count(&app, "person").await, 3);
    let ann = app.crm().find_person_by_email("ann@acme.com").await.unwrap().unwrap();
    assert_eq!(
        (ann.first_name.as_str(), ann.job_title.as_deref(), ann.company_name.as_deref()),
        ("Ann", Some("CTO"), Some("Acme"))
    );
    assert_eq!(ann.tags, ["beta", "vip"]);
}

#[tokio::test]
async fn dry_run_reports_and_writes_nothing() {
    let (_dir, app) = open().await;
    let csv = "name,domain\nAcme,acme.com\nGlobex,globex.com\n";
    let options = ImportOptions { dry_run: true, ..opts() };
    let report = app.crm().import_csv(CsvObject::Companies, csv.as_bytes(), &options, SRC).await.unwrap();
    assert_eq!((report.created, report.committed, report.dry_run), (2, false, true));
    assert_eq!(count(&app, "company").await, 0);
    let changes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM change_log").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(changes, 0);
}

#[tokio::test]
async fn a_bad_row_fails_the_import_unless_good_rows_are_kept() {
    let (_dir, app) = open().await;
    let csv = "name,amount,currency,stage\n\
               Good deal,100,USD,NEW\n\
               Bad currency,100,XYZ,NEW\n\
               Bad stage,5,EUR,LATER\n\
               Bad amount,1.2.3,EUR,\n\
               Short row,1\n\
               Another good,2.5,eur,meeting\n";
    let report = app.crm().import_csv(CsvObject::Deals, csv.as_bytes(), &opts(), SRC).await.unwrap();
    assert!(!report.committed);
    let reasons: Vec<(u64, &str)> = report.rejected.iter().map(|r| (r.line, r.reason.as_str())).collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons[0].0 == 3 && reasons[0].1.contains("unknown currency 'XYZ'"));
    assert!(reasons[1].0 == 4 && reasons[1].1.contains("unknown stage 'LATER'"));
    assert!(reasons[2].0 == 5 && reasons[2].1.contains("not a number"));
    assert!(reasons[3].0 == 6 && reasons[3].1.contains("2 fields"));
    assert_eq!(report.rejected[0].field.as_deref(), Some("currency"));
    assert_eq!(count(&app, "deal").await, 0, "nothing changes when a row is rejected");

    let keep = ImportOptions { keep_good_rows: true, ..opts() };
    let report = app.crm().import_csv(CsvObject::Deals, csv.as_bytes(), &keep, SRC).await.unwrap();
    assert!(report.committed);
    assert_eq!((report.created, report.rejected.len()), (2, 4));
    assert_eq!(count(&app, "deal").await, 2);
}

#[tokio::test]
async fn duplicates_inside_a_file_are_rejected_with_the_first_line() {
    let (_dir, app) = open().await;
    let csv = "name,email\nAnn Lee,ann@x.com\nAnn L.,ANN@x.com\n";
    let report = app.crm().import_csv(CsvObject::People, csv.as_bytes(), &opts(), SRC).await.unwrap();
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].line, 3);
    assert!(report.rejected[0].reason.contains("line 2"), "{:?}", report.rejected);
}

#[tokio::test]
async fn file_level_problems_are_clear_errors() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    let err = crm.import_csv(CsvObject::People, b"", &opts(), SRC).await.unwrap_err();
    assert!(matches!(err, ImportError::Empty), "{err}");
    let err = crm.import_csv(CsvObject::People, b"email,phone\na@x.com,1\n", &opts(), SRC).await.unwrap_err();
    assert!(matches!(err, ImportError::MissingColumn { .. }), "{err}");
    assert!(err.to_string().contains("email, phone"), "lists the headers it saw: {err}");
    let err = crm.import_csv(CsvObject::Deals, b"name,amount\nx,1\n", &opts(), SRC).await.unwrap_err();
    assert!(err.to_string().contains("'currency'"), "{err}");
    let err = crm.import_csv(CsvObject::People, b"name,name\nA,B\n", &opts(), SRC).await.unwrap_err();
    assert!(matches!(err, ImportError::DuplicateHeader(_)));

    // Latin-1 bytes are refused with the line, not guessed; naming the encoding works.
    let latin1 = b"name,city\nJos\xE9 Ruiz,M\xE1laga\n";
    let err = crm.import_csv(CsvObject::People, latin1, &opts(), SRC).await.unwrap_err();
    assert!(matches!(err, ImportError::NotUtf8 { line: 2 }), "{err}");
    let named = ImportOptions { encoding: Some("windows-1252".into()), ..opts() };
    crm.import_csv(CsvObject::People, latin1, &named, SRC).await.unwrap();
    assert_eq!(crm.search("malaga", None).await.unwrap()[0].title, "José Ruiz");

    // UTF-16 with a BOM (what some spreadsheet apps write) is read.
    let utf16: Vec<u8> =
        [0xFF, 0xFE].into_iter().chain("name\nZoë Park\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    crm.import_csv(CsvObject::People, &utf16, &opts(), SRC).await.unwrap();
    assert_eq!(crm.search("zoe", None).await.unwrap().len(), 1);
    assert_eq!(count(&app, "person").await, 2);
}

#[tokio::test]
async fn hostile_cells_are_refused_per_row_and_formulas_neutralised_on_export() {
    let (_dir, app) = open().await;
    let huge = "x".repeat(1024 * 1024);
    let csv = format!(
        "first_name,last_name,job_title,email\n\
         =cmd|' /C calc'!A0,Lee,+SUM(A1:A9),a@x.com\n\
         Bob,{huge},,b@x.com\n\
         \"Multi\nLine\",Name,,c@x.com\n\
         Nul\u{0}Byte,X,,d@x.com\n"
    );
    let keep = ImportOptions { keep_good_rows: true, ..opts() };
    let report = app.crm().import_csv(CsvObject::People, csv.as_bytes(), &keep, SRC).await.unwrap();
    let reasons: Vec<&str> = report.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("too long") && reasons[0].contains("1048576"), "{reasons:?}");
    assert!(reasons[1].contains("control characters"));
    assert!(reasons[2].contains("control characters"));
    assert_eq!(report.created, 1);

    // The formula is stored as typed (it is only text here) but exported inert.
    let out = export(&app, CsvObject::People).await;
    assert!(out.contains(",'=cmd|' /C calc'!A0,") || out.contains("\"'=cmd|' /C calc'!A0\""), "{out}");
    assert!(out.contains("'+SUM(A1:A9)"), "{out}");
    assert!(!out.lines().skip(1).any(|l| l.split(',').any(|cell| cell.starts_with('='))));
}

#[tokio::test]
async fn export_round_trips_through_import() {
    let (_dir, app) = open().await;
    let crm = app.crm();
    crm.define_custom_field(NewCustomField {
        object: RecordKind::Deal,
        key: "seats".into(),
        label: "Seats".into(),
        field_type: CustomFieldType::Number,
    })
    .await
    .unwrap();
    let acme = crm
        .create_company(
            NewCompany { name: "Acme, Inc.".into(), domain: Some("acme.com".into()), icp: true, ..Default::default() },
            SRC,
        )
        .await
        .unwrap();
    let ann = crm
        .create_person(
            NewPerson {
                first_name: "Ann".into(),
                last_name: "O\"Neil".into(),
                email: Some("ann@acme.com".into()),
                job_title: Some("-VP-".into()),
                company_id: Some(acme.id),
                ..Default::default()
            },
            SRC,
        )
        .await
        .unwrap();
    crm.tag_record(RecordRef { kind: RecordKind::Person, id: ann.id }, "vip", SRC).await.unwrap();
    let mut custom = CustomValues::new();
    custom.insert("seats".into(), 25.into());
    crm.create_deal(
        NewDeal {
            id: None,
            name: "=Renewal".into(),
            amount: Money::parse("1200.50", "EUR").unwrap(),
            close_date: Some("2027-03-31".parse().unwrap()),
            pipeline_id: None,
            stage: Some("PROPOSAL".into()),
            status: DealStatus::Lost,
            lost_reason: Some("Budget".into()),
            contact_id: Some(ann.id),
            company_id: Some(acme.id),
            custom,
        },
        SRC,
    )
    .await
    .unwrap();

    let companies = export(&app, CsvObject::Companies).await;
    let people = export(&app, CsvObject::People).await;
    let deals = export(&app, CsvObject::Deals).await;
    assert!(deals.lines().next().unwrap().ends_with(",tags,seats"), "{deals}");

    // Re-importing into the same database changes nothing.
    for (object, file) in [(CsvObject::Companies, &companies), (CsvObject::People, &people), (CsvObject::Deals, &deals)]
    {
        let report = crm.import_csv(object, file.as_bytes(), &opts(), SRC).await.unwrap();
        assert_eq!((report.created, report.updated, report.unchanged), (0, 0, 1), "{object}: {report:?}");
    }

    // Into a fresh database, in dependency order, then exported again: the same files.
    let (_dir2, fresh) = open().await;
    fresh
        .crm()
        .define_custom_field(NewCustomField {
            object: RecordKind::Deal,
            key: "seats".into(),
            label: "Seats".into(),
            field_type: CustomFieldType::Number,
        })
        .await
        .unwrap();
    for (object, file) in [(CsvObject::Companies, &companies), (CsvObject::People, &people), (CsvObject::Deals, &deals)]
    {
        let report = fresh.crm().import_csv(object, file.as_bytes(), &opts(), SRC).await.unwrap();
        assert!(report.committed && report.created == 1, "{object}: {report:?}");
    }
    assert_eq!(export(&fresh, CsvObject::Companies).await, companies);
    assert_eq!(export(&fresh, CsvObject::People).await, people);
    assert_eq!(export(&fresh, CsvObject::Deals).await, deals);
}

#[tokio::test]
async fn mapping_overrides_pick_columns() {
    let (_dir, app) = open().await;
    let csv = "Who,Mail,Note\nAnn Lee,ann@x.com,ignore me\n";
    let options =
        ImportOptions { mapping: vec![("Who".into(), "name".into()), ("Mail".into(), "email".into())], ..opts() };
    let report = app.crm().import_csv(CsvObject::People, csv.as_bytes(), &options, SRC).await.unwrap();
    assert_eq!(report.created, 1);
    let ann = app.crm().find_person_by_email("ann@x.com").await.unwrap().unwrap();
    assert_eq!((ann.first_name.as_str(), ann.last_name.as_str()), ("Ann", "Lee"));
    let bad = ImportOptions { mapping: vec![("Who".into(), "shoe_size".into())], ..opts() };
    let err = app.crm().import_csv(CsvObject::People, csv.as_bytes(), &bad, SRC).await.unwrap_err();
    assert!(matches!(err, ImportError::UnknownMappedField { .. }), "{err}");
}
