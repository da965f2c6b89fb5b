//! Team workspaces end to end on a real PostgreSQL (a private server, Debian's package) and real
//! SQLite files: desktops push their change logs to the hub and merge each other's through the
//! CRM's write path, by the merge rules (docs/team.md); every desktop ends equal to the others and
//! to the reference merge of everything on the hub.
#![allow(clippy::unwrap_used)]

use dealdesk_core::App;
use dealdesk_core::team::Hub;
use dealdesk_core::team::merge::Merged;
use dealdesk_core::team::test_support::{OWNER, PrivatePostgres};
use dealdesk_core::test_support::TestApp;
use dealdesk_core::workspace::WorkspaceError;
use dealdesk_model::ai::{AiAction, PromptTemplate, SavePromptTemplate};
use dealdesk_model::automation::{SaveWorkflow, Trigger, WorkflowStep};
use dealdesk_model::contract::SaveContractTemplate;
use dealdesk_model::team::TeamAccess;
use dealdesk_model::{
    CustomFieldPatch, CustomFieldType, DealStatus, Money, NewCompany, NewCustomField, NewDeal, NewNote, NewPerson,
    NewSavedView, PersonPatch, Pipeline, RecordKind, RecordRef, SavePipeline, StageEdit, TimelineEventKind,
    UpdateSource,
};
use serde_json::Value;
use uuid::Uuid;

const UI: UpdateSource = UpdateSource::Ui;

struct Desk {
    app: App,
    _dir: tempfile::TempDir,
}

async fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new().open(dir.path()).await.unwrap();
    Desk { app, _dir: dir }
}

impl Desk {
    async fn sync(&self) {
        self.app.workspace().sync_once().await.unwrap();
    }

    async fn dump(&self) -> Value {
        self.app.crm().shared_dump().await.unwrap()
    }

    async fn person(&self, first: &str, last: &str, email: &str) -> uuid::Uuid {
        let new = NewPerson {
            first_name: first.into(),
            last_name: last.into(),
            email: Some(email.into()),
            ..Default::default()
        };
        self.app.crm().create_person(new, UI).await.unwrap().id
    }

    async fn set_city(&self, id: uuid::Uuid, city: &str) {
        let patch = PersonPatch { city: Some(city.into()), ..Default::default() };
        self.app.crm().update_person(id, patch, UI).await.unwrap();
    }
}

/// A stamp `secs` seconds ahead of the wall clock, as a desktop whose clock runs ahead makes.
fn stamp_ahead(secs: u64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    format!("{:016x}/1", (now.as_secs() + secs) << 32)
}

/// A private PostgreSQL with an empty `hub` database, and its owner's URL and password.
fn private_hub() -> (PrivatePostgres, String, String) {
    let server = PrivatePostgres::start().unwrap();
    server.owner_database("hub").unwrap();
    let (url, password) = server.owner_url("hub");
    (server, url, password)
}

/// Everything on the hub folded by the merge rules: what every desktop must equal.
async fn reference(server: &PrivatePostgres, workspace: &str) -> Value {
    let (_, password) = server.owner_url("hub");
    let hub = Hub::connect(server.connect_as(OWNER, &password, "hub")).await.unwrap();
    let workspace = uuid::Uuid::parse_str(workspace).unwrap();
    let mut merged = Merged::default();
    let mut after = 0;
    loop {
        let page = hub.pull(workspace, after, 500).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for pulled in &page {
            merged.apply(&pulled.change);
        }
    }
    merged.dump()
}

#[tokio::test]
async fn two_desktops_share_their_crm_by_the_merge_rules_through_a_real_hub() {
    let (server, url, password) = private_hub();

    // The owner's desktop has a CRM before the workspace exists: it becomes the first content.
    let owner = desk().await;
    let acme = owner
        .app
        .crm()
        .create_company(NewCompany { name: "Acme".into(), domain: Some("acme.com".into()), ..Default::default() }, UI)
        .await
        .unwrap();
    let grace = owner.person("Grace", "Hopper", "grace@acme.com").await;
    let deal = owner
        .app
        .crm()
        .create_deal(
            NewDeal {
                id: None,
                name: "Acme renewal".into(),
                amount: Money::parse("1200", "USD").unwrap(),
                close_date: None,
                pipeline_id: None,
                stage: None,
                status: DealStatus::Open,
                lost_reason: None,
                contact_id: Some(grace),
                company_id: Some(acme.id),
                custom: Default::default(),
            },
            UI,
        )
        .await
        .unwrap();
    let grace_ref = RecordRef { kind: RecordKind::Person, id: grace };
    owner.app.crm().tag_record(grace_ref, "vip", UI).await.unwrap();
    owner.app.crm().add_note(NewNote { body: "Met at the fair".into(), targets: vec![grace_ref] }, UI).await.unwrap();

    let status =
        owner.app.workspace().init(&url, Some(password.clone()), "Acme sales", "owner@acme.com").await.unwrap();
    assert_eq!(status.access, TeamAccess::Owner);
    assert!(status.waiting > 0, "the local CRM waits to be pushed");
    let again = owner.app.workspace().init(&url, Some(password), "Again", "owner@acme.com").await;
    assert!(matches!(again, Err(WorkspaceError::AlreadyLinked(_))), "{again:?}");
    owner.sync().await;
    assert_eq!(owner.app.workspace().status().await.unwrap().unwrap().waiting, 0);

    // A member joins with a code and gets everything, through the write path: search finds it.
    let code = owner.app.workspace().invite("ann@acme.com", TeamAccess::Member).await.unwrap();
    let ann = desk().await;
    let joined = ann.app.workspace().join(&code).await.unwrap();
    assert_eq!((joined.email.as_str(), joined.access), ("ann@acme.com", TeamAccess::Member));
    assert!(ann.app.workspace().join(&code).await.is_err(), "a desktop joins one workspace");
    ann.sync().await;
    assert_eq!(ann.dump().await, owner.dump().await);
    let hits = ann.app.crm().search("hopper", None).await.unwrap();
    assert!(hits.iter().any(|h| h.record.id == grace), "{hits:?}");
    assert_eq!(ann.app.crm().get_deal(deal.id).await.unwrap().contact_id, Some(grace));

    // Concurrent edits of one field: the later stamp wins, whichever desktop pushes first.
    owner.set_city(grace, "Oslo").await;
    ann.set_city(grace, "Rome").await;
    ann.sync().await;
    owner.sync().await;
    ann.sync().await;
    assert_eq!(owner.app.crm().get_person(grace).await.unwrap().city.as_deref(), Some("Rome"));
    assert_eq!(ann.app.crm().get_person(grace).await.unwrap().city.as_deref(), Some("Rome"));

    // A delete and a later update: the record stays in the trash, with the update's value; a
    // restore brings it back with it.
    let ada = ann.person("Ada", "Lovelace", "ada@acme.com").await;
    ann.sync().await;
    owner.sync().await;
    owner.app.crm().delete_person(ada, UI).await.unwrap();
    ann.set_city(ada, "London").await;
    owner.sync().await;
    ann.sync().await;
    owner.sync().await;
    for desk in [&owner, &ann] {
        let ada = desk.app.crm().get_person(ada).await.unwrap();
        assert!(ada.meta.deleted_at.is_some(), "an update does not bring a deleted record back");
        assert_eq!(ada.city.as_deref(), Some("London"));
    }
    ann.app.crm().restore_person(ada, UI).await.unwrap();
    ann.sync().await;
    owner.sync().await;
    assert!(owner.app.crm().get_person(ada).await.unwrap().meta.deleted_at.is_none());

    // Untag on one desktop, a note on the other: both arrive.
    ann.app.crm().untag_record(grace_ref, "vip", UI).await.unwrap();
    owner.app.crm().add_note(NewNote { body: "Sent the quote".into(), targets: vec![grace_ref] }, UI).await.unwrap();
    owner.sync().await;
    ann.sync().await;
    owner.sync().await;

    let dump = owner.dump().await;
    assert_eq!(ann.dump().await, dump);
    assert_eq!(reference(&server, &status.workspace).await, dump, "the desktops equal the reference merge");
    let grace_record = dump.as_array().unwrap().iter().find(|r| r["id"] == grace.to_string()).unwrap().clone();
    assert_eq!(grace_record["members"].as_array().unwrap().len(), 2, "two notes, no tag: {grace_record}");

    // The timeline says who changed what.
    let timeline = owner.app.crm().timeline(grace_ref).await.unwrap();
    let rome = timeline
        .iter()
        .find(|e| matches!(&e.kind, TimelineEventKind::FieldChanged { to, .. } if to == "Rome"))
        .unwrap();
    assert_eq!((rome.source, rome.author.as_deref()), (UpdateSource::Team, Some("ann@acme.com")));

    // The owner removes the member: the next sync is refused, the desktop keeps its copy and
    // is marked as having left.
    owner.app.workspace().remove("ann@acme.com").await.unwrap();
    let people_before = ann.dump().await;
    ann.set_city(grace, "Paris").await;
    let refused = ann.app.workspace().sync_once().await;
    assert!(matches!(refused, Err(WorkspaceError::Left(_))), "{refused:?}");
    let status = ann.app.workspace().status().await.unwrap().unwrap();
    assert!(status.left_at.is_some(), "{status:?}");
    assert!(matches!(ann.app.workspace().sync_once().await, Err(WorkspaceError::Left(_))));
    assert_eq!(ann.dump().await.as_array().unwrap().len(), people_before.as_array().unwrap().len());
    owner.sync().await;
    assert_eq!(owner.app.crm().get_person(grace).await.unwrap().city.as_deref(), Some("Rome"));
}

fn prompt_save(template: &PromptTemplate) -> SavePromptTemplate {
    SavePromptTemplate {
        id: Some(template.id),
        action: template.action,
        name: template.name.clone(),
        system: template.system.clone(),
        user: template.user.clone(),
    }
}

fn stages(names: &[(&str, u8)]) -> Vec<StageEdit> {
    names
        .iter()
        .map(|(name, probability)| StageEdit {
            id: None,
            name: (*name).into(),
            probability: *probability,
            rotting_days: None,
        })
        .collect()
}

/// The stages of a pipeline as an editor would send them back: ids kept, in order.
fn edit_of(pipeline: &Pipeline) -> Vec<StageEdit> {
    pipeline
        .stages
        .iter()
        .map(|s| StageEdit {
            id: Some(s.id),
            name: s.name.clone(),
            probability: s.probability,
            rotting_days: s.rotting_days,
        })
        .collect()
}

async fn pipeline_named(desk: &Desk, name: &str) -> Vec<Pipeline> {
    desk.app.crm().list_pipelines().await.unwrap().into_iter().filter(|p| p.name == name).collect()
}

/// Pipelines, stages, custom field definitions and the default pipeline are shared by the same
/// rules as records (decision 0028), including those made before the workspace existed.
#[tokio::test]
async fn the_crms_shape_is_shared_pipelines_stages_custom_fields_and_the_default() {
    let (server, url, password) = private_hub();

    // Made before the workspace: a pipeline with a deal in it, and a custom field.
    let owner = desk().await;
    let crm = owner.app.crm();
    let enterprise = crm
        .save_pipeline(SavePipeline {
            id: None,
            name: "Enterprise".into(),
            is_default: false,
            stages: stages(&[("Lead", 10), ("Demo", 40), ("Contract", 70)]),
        })
        .await
        .unwrap();
    let new_deal = NewDeal {
        id: None,
        name: "Big one".into(),
        amount: Money::parse("50000", "USD").unwrap(),
        close_date: None,
        pipeline_id: Some(enterprise.id),
        stage: Some("Demo".into()),
        status: DealStatus::Open,
        lost_reason: None,
        contact_id: None,
        company_id: None,
        custom: Default::default(),
    };
    let deal = crm.create_deal(new_deal, UI).await.unwrap();
    let tier = NewCustomField {
        object: RecordKind::Person,
        key: "tier".into(),
        label: "Tier".into(),
        field_type: CustomFieldType::Select { options: vec!["Gold".into(), "Silver".into()] },
    };
    let tier = crm.define_custom_field(tier).await.unwrap();
    // And one the change log never named, as the Whop sync writes its pipeline.
    sqlx::query(
        "INSERT INTO pipeline (id, name, position, created_at, updated_at) VALUES ('a0000000-0000-7000-8000-000000000001', 'Whop', 9, 'now', 'now'); \
         INSERT INTO stage (id, pipeline_id, name, position, probability, created_at, updated_at) \
         VALUES ('a0000000-0000-7000-8000-000000000002', 'a0000000-0000-7000-8000-000000000001', 'Active', 0, 80, 'now', 'now')",
    )
    .execute(owner.app.store().pool())
    .await
    .unwrap();
    // Edited since (the change log has updates of it, never its create).
    let whop = owner.app.crm().list_pipelines().await.unwrap().into_iter().find(|p| p.name == "Whop").unwrap();
    let mut renamed = edit_of(&whop);
    renamed[0].name = "Paying".into();
    let save = SavePipeline { id: Some(whop.id), name: "Whop".into(), is_default: false, stages: renamed };
    owner.app.crm().save_pipeline(save).await.unwrap();

    let status = owner.app.workspace().init(&url, Some(password), "Acme", "owner@acme.com").await.unwrap();
    owner.sync().await;
    let code = owner.app.workspace().invite("bob@acme.com", TeamAccess::Member).await.unwrap();
    let bob = desk().await;
    bob.app.workspace().join(&code).await.unwrap();
    bob.sync().await;
    let at_bob = pipeline_named(&bob, "Enterprise").await;
    assert_eq!(at_bob.len(), 1);
    let names: Vec<&str> = at_bob[0].stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Lead", "Demo", "Contract"]);
    let pulled = bob.app.crm().get_deal(deal.id).await.unwrap();
    assert_eq!((pulled.pipeline_id, pulled.stage_name.as_str()), (enterprise.id, "Demo"));
    let whop = pipeline_named(&bob, "Whop").await;
    assert_eq!(whop[0].stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["Paying"]);
    let fields = bob.app.crm().custom_fields(RecordKind::Person).await.unwrap();
    assert_eq!(
        fields.iter().map(|f| (f.key.as_str(), &f.field_type)).collect::<Vec<_>>(),
        [("tier", &tier.field_type)]
    );
    assert_eq!(bob.app.workspace().status().await.unwrap().unwrap().held, 0);

    // Offline on both: each edits a different stage of one pipeline, each makes a pipeline called
    // "Renewals" and defines `region` on companies, and each picks a default.
    owner
        .app
        .crm()
        .save_pipeline(SavePipeline {
            id: Some(enterprise.id),
            name: "Enterprise".into(),
            is_default: true,
            stages: {
                let mut edit = edit_of(&enterprise);
                edit[1].name = "Qualified".into();
                edit
            },
        })
        .await
        .unwrap();
    bob.app
        .crm()
        .save_pipeline(SavePipeline {
            id: Some(enterprise.id),
            name: "Enterprise".into(),
            is_default: false,
            stages: {
                let mut edit = edit_of(&at_bob[0]);
                edit[2].probability = 90;
                edit
            },
        })
        .await
        .unwrap();
    for (desk, label) in [(&owner, "Region"), (&bob, "Area")] {
        let renewals =
            SavePipeline { id: None, name: "Renewals".into(), is_default: false, stages: stages(&[("Due", 50)]) };
        desk.app.crm().save_pipeline(renewals).await.unwrap();
        let region = NewCustomField {
            object: RecordKind::Company,
            key: "region".into(),
            label: label.into(),
            field_type: CustomFieldType::Text,
        };
        desk.app.crm().define_custom_field(region).await.unwrap();
    }
    let bobs_renewals = pipeline_named(&bob, "Renewals").await.remove(0);
    bob.app
        .crm()
        .save_pipeline(SavePipeline {
            is_default: true,
            stages: edit_of(&bobs_renewals),
            id: Some(bobs_renewals.id),
            name: "Renewals".into(),
        })
        .await
        .unwrap();
    owner.sync().await;
    bob.sync().await;
    owner.sync().await;

    for desk in [&owner, &bob] {
        let enterprise = pipeline_named(desk, "Enterprise").await.remove(0);
        let shape: Vec<(&str, u8)> = enterprise.stages.iter().map(|s| (s.name.as_str(), s.probability)).collect();
        assert_eq!(shape, [("Lead", 10), ("Qualified", 40), ("Contract", 90)], "both stage edits arrive");
        assert_eq!(pipeline_named(desk, "Renewals").await.len(), 2, "two pipelines of one name both arrive");
        let default: Vec<Uuid> =
            desk.app.crm().list_pipelines().await.unwrap().iter().filter(|p| p.is_default).map(|p| p.id).collect();
        assert_eq!(default, [bobs_renewals.id], "the later choice of default wins");
        let region = desk.app.crm().custom_fields(RecordKind::Company).await.unwrap();
        assert_eq!(
            region.iter().map(|f| f.label.as_str()).collect::<Vec<_>>(),
            ["Area"],
            "one field per key, the later label"
        );
        assert_eq!(desk.app.workspace().status().await.unwrap().unwrap().held, 0);
    }

    // A field deleted and a stage removed on one desktop go everywhere.
    owner.app.crm().delete_custom_field(tier.id).await.unwrap();
    let enterprise = pipeline_named(&owner, "Enterprise").await.remove(0);
    let mut without_lead = edit_of(&enterprise);
    without_lead.remove(0);
    owner
        .app
        .crm()
        .save_pipeline(SavePipeline {
            id: Some(enterprise.id),
            name: "Enterprise".into(),
            is_default: false,
            stages: without_lead,
        })
        .await
        .unwrap();
    owner.sync().await;
    bob.sync().await;
    assert!(bob.app.crm().custom_fields(RecordKind::Person).await.unwrap().is_empty());
    let names: Vec<String> =
        pipeline_named(&bob, "Enterprise").await[0].stages.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, ["Qualified", "Contract"]);

    // A shared view goes to every desktop, a personal one stays; an edit of a shared one follows
    // it, and making it personal again takes it off the others.
    let view = |name: &str, state: Value, shared: bool| NewSavedView {
        object: RecordKind::Deal,
        name: name.into(),
        state,
        shared,
    };
    owner.app.crm().save_view(view("Hot deals", serde_json::json!({"sort": "amount"}), true)).await.unwrap();
    owner.app.crm().save_view(view("Mine", serde_json::json!({}), false)).await.unwrap();
    owner.sync().await;
    bob.sync().await;
    let views = bob.app.crm().saved_views(RecordKind::Deal).await.unwrap();
    assert_eq!(views.iter().map(|v| (v.name.as_str(), v.shared)).collect::<Vec<_>>(), [("Hot deals", true)]);
    bob.app.crm().save_view(view("Hot deals", serde_json::json!({"sort": "close_date"}), true)).await.unwrap();
    bob.sync().await;
    owner.sync().await;
    let at_owner = owner.app.crm().saved_views(RecordKind::Deal).await.unwrap();
    let hot = at_owner.iter().find(|v| v.name == "Hot deals").unwrap();
    assert_eq!(hot.state, serde_json::json!({"sort": "close_date"}));
    // A personal view of the same name never replaces the shared one; deleting the shared one
    // takes it off every desktop.
    owner.app.crm().save_view(view("Hot deals", serde_json::json!({"sort": "name"}), false)).await.unwrap();
    owner.sync().await;
    bob.sync().await;
    let at_bob = bob.app.crm().saved_views(RecordKind::Deal).await.unwrap();
    assert_eq!(at_bob[0].state, serde_json::json!({"sort": "close_date"}));
    owner.app.crm().delete_saved_view(hot.id).await.unwrap();
    owner.sync().await;
    bob.sync().await;
    assert!(bob.app.crm().saved_views(RecordKind::Deal).await.unwrap().is_empty(), "deleted: gone from the others");
    let mine = owner.app.crm().saved_views(RecordKind::Deal).await.unwrap();
    let mine: Vec<(&str, bool)> = mine.iter().map(|v| (v.name.as_str(), v.shared)).collect();
    assert_eq!(mine, [("Hot deals", false), ("Mine", false)]);

    // Workflows, prompt templates (and which one an action uses) and contract templates.
    let workflow = SaveWorkflow {
        id: None,
        name: "Welcome".into(),
        enabled: true,
        trigger: Trigger::RecordCreated { kind: RecordKind::Person },
        steps: vec![WorkflowStep::CreateTask {
            title: "Say hello to {{person.first_name}}".into(),
            due_in_days: Some(1),
        }],
    };
    let workflow = owner.app.automation().save(&workflow).await.unwrap();
    let prompt = SavePromptTemplate {
        id: None,
        action: AiAction::DraftEmail,
        name: "Short and warm".into(),
        system: "Be brief.".into(),
        user: "Write to {{person.first_name}}.".into(),
    };
    let prompt = owner.app.ai().save_template(&prompt).await.unwrap();
    owner.app.ai().activate_template(prompt.id).await.unwrap();
    let contract = SaveContractTemplate { id: None, name: "Pilot".into(), body: "= Pilot agreement".into() };
    let contract = bob.app.esign().save_template(&contract).await.unwrap();
    owner.sync().await;
    bob.sync().await;
    owner.sync().await;
    let at_bob = bob.app.automation().get(workflow.id).await.unwrap();
    assert_eq!((at_bob.name.as_str(), at_bob.enabled, &at_bob.steps), ("Welcome", true, &workflow.steps));
    let enabled_at: Option<String> = sqlx::query_scalar("SELECT enabled_at FROM workflow WHERE id = ?")
        .bind(workflow.id.to_string())
        .fetch_one(bob.app.store().pool())
        .await
        .unwrap();
    assert!(enabled_at.is_some(), "switched on here from the moment it arrived");
    let templates = bob.app.ai().templates().await.unwrap();
    let pulled = templates.iter().find(|t| t.id == prompt.id).unwrap();
    assert!(pulled.active && pulled.system == "Be brief.", "{pulled:?}");
    let at_owner = owner.app.esign().find_template("Pilot").await.unwrap();
    assert_eq!((at_owner.id, at_owner.body.as_str()), (contract.id, "= Pilot agreement"));

    // Edits add versions on the other desktop too; deletes go everywhere.
    let edit = SavePromptTemplate { id: Some(prompt.id), system: "Be brief and kind.".into(), ..prompt_save(&prompt) };
    bob.app.ai().save_template(&edit).await.unwrap();
    owner.app.automation().delete(workflow.id).await.unwrap();
    owner.app.esign().delete_template(contract.id).await.unwrap();
    owner.sync().await;
    bob.sync().await;
    owner.sync().await;
    let versions = owner.app.ai().template_versions(prompt.id).await.unwrap();
    assert_eq!((versions.len(), versions[0].system.as_str()), (2, "Be brief and kind."));
    assert!(bob.app.automation().get(workflow.id).await.is_err(), "deleted everywhere");
    assert!(bob.app.esign().find_template("Pilot").await.is_err());

    let dump = owner.dump().await;
    assert_eq!(bob.dump().await, dump);
    assert_eq!(reference(&server, &status.workspace).await, dump, "the desktops equal the reference merge");
    let kinds: std::collections::BTreeSet<&str> =
        dump.as_array().unwrap().iter().filter_map(|r| r["kind"].as_str()).collect();
    let every =
        ["pipeline", "stage", "custom_field", "setting", "view", "workflow", "prompt_template", "contract_template"];
    assert!(every.iter().all(|k| kinds.contains(k)), "{kinds:?}");
}

/// Two desktops of one workspace both connected to the same Whop business: the records the Whop
/// sync makes get ids derived from Whop's, so each customer is one person and each membership
/// one deal everywhere, whichever desktop synced Whop first (docs/team.md, "Whop in a workspace").
#[tokio::test]
async fn two_desktops_syncing_one_whop_business_make_one_record_per_customer() {
    use dealdesk_sandbox::{Sandbox, SandboxConfig};
    let sandbox = Sandbox::start(SandboxConfig::with_members(30)).await.unwrap();
    let (server, url, password) = private_hub();

    let mut desks = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let app = TestApp::whop_at(&sandbox).open(dir.path()).await.unwrap();
        let start = app.whop().start_login("dealdesk://oauth/whop/callback").await.unwrap();
        let link = sandbox.approve_in_browser(&start.authorize_url).await.unwrap();
        app.whop().handle_deep_link(&link).await.unwrap();
        // Each syncs Whop on its own before the workspace exists: the hardest order.
        assert_eq!(app.whop().sync(&|_| {}).await.unwrap().status, "done");
        desks.push(Desk { app, _dir: dir });
    }
    let count = |desk: &Desk, sql: &'static str| {
        let pool = desk.app.store().pool().clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    let people = count(&desks[0], "SELECT count(*) FROM person").await;
    let deals = count(&desks[0], "SELECT count(*) FROM deal").await;
    assert!(people >= 30 && deals >= 30, "{people} people, {deals} deals");

    let (owner, bob) = (&desks[0], &desks[1]);
    let status = owner.app.workspace().init(&url, Some(password), "Acme", "owner@acme.com").await.unwrap();
    owner.sync().await;
    let code = owner.app.workspace().invite("bob@acme.com", TeamAccess::Member).await.unwrap();
    bob.app.workspace().join(&code).await.unwrap();
    bob.sync().await;
    owner.sync().await;
    for desk in [owner, bob] {
        assert_eq!(count(desk, "SELECT count(*) FROM person").await, people, "one person per Whop customer");
        assert_eq!(count(desk, "SELECT count(*) FROM deal").await, deals, "one deal per membership");
        assert_eq!(count(desk, "SELECT count(*) FROM pipeline WHERE name = 'Whop memberships'").await, 1);
        assert_eq!(desk.app.workspace().status().await.unwrap().unwrap().held, 0);
    }
    // A membership that changes on Whop moves the one deal, whichever desktop syncs it.
    assert_eq!(bob.app.whop().sync(&|_| {}).await.unwrap().status, "done");
    bob.sync().await;
    owner.sync().await;
    let dump = owner.dump().await;
    assert_eq!(bob.dump().await, dump);
    assert_eq!(reference(&server, &status.workspace).await, dump);

    // Whop automations run on one desktop: the owner's, until another is chosen. Both desktops'
    // syncs raise the same Whop event; one workflow run follows it.
    let bob_status = bob.app.workspace().status().await.unwrap().unwrap();
    assert_eq!((bob_status.whop_here, bob_status.whop_desktop.as_deref()), (false, Some("owner@acme.com")));
    assert!(owner.app.workspace().status().await.unwrap().unwrap().whop_here);
    let workflow = SaveWorkflow {
        id: None,
        name: "Tag failed payers".into(),
        enabled: true,
        trigger: Trigger::WhopPaymentFailed,
        steps: vec![WorkflowStep::AddTag { tag: "dunning".into() }],
    };
    owner.app.automation().save(&workflow).await.unwrap();
    owner.sync().await;
    bob.sync().await;
    let payer: String = sqlx::query_scalar("SELECT person_id FROM whop_person ORDER BY user_id LIMIT 1")
        .fetch_one(owner.app.store().pool())
        .await
        .unwrap();
    let payment_failed = |desk: &Desk| {
        let (pool, payer) = (desk.app.store().pool().clone(), payer.clone());
        async move {
            sqlx::query(
                "INSERT INTO automation_event (at, kind, record_kind, record_id, subject) \
                 VALUES (?, 'whop_payment_failed', 'person', ?, 'pay_1')",
            )
            .bind(dealdesk_store::time::format(dealdesk_store::time::now()))
            .bind(payer)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    let runs = |desk: &Desk| {
        let automation = desk.app.automation().clone();
        async move {
            automation.process().await.unwrap();
            automation.runs(None, 10).await.unwrap().len()
        }
    };
    for desk in [owner, bob] {
        payment_failed(desk).await;
    }
    assert_eq!((runs(owner).await, runs(bob).await), (1, 0), "the owner's desktop runs it, Bob's does not");

    // Bob's desktop takes over; once the choice reaches the owner's, only Bob's runs them.
    let taken = bob.app.workspace().run_whop_here().await.unwrap();
    assert!(taken.whop_here);
    bob.sync().await;
    owner.sync().await;
    let owner_status = owner.app.workspace().status().await.unwrap().unwrap();
    assert_eq!((owner_status.whop_here, owner_status.whop_desktop.as_deref()), (false, Some("bob@acme.com")));
    for desk in [owner, bob] {
        payment_failed(desk).await;
    }
    assert_eq!((runs(owner).await, runs(bob).await), (1, 1));

    // Bob is removed: the owner's desktop takes the Whop automations back at its next sync, and
    // Bob's desktop, alone again, runs its own.
    owner.app.workspace().remove("bob@acme.com").await.unwrap();
    owner.sync().await;
    assert!(owner.app.workspace().status().await.unwrap().unwrap().whop_here);
    assert!(matches!(bob.app.workspace().sync_once().await, Err(WorkspaceError::Left(_))));
    for desk in [owner, bob] {
        payment_failed(desk).await;
    }
    assert_eq!((runs(owner).await, runs(bob).await), (2, 2));
}

/// Two people with one email made on two desktops while offline: each desktop holds the other's
/// (a live person here has the email), says why, and lets the user discard it.
#[tokio::test]
async fn a_held_change_says_why_and_can_be_discarded() {
    let (_server, url, password) = private_hub();
    let owner = desk().await;
    owner.app.workspace().init(&url, Some(password), "Acme", "owner@acme.com").await.unwrap();
    let code = owner.app.workspace().invite("bob@acme.com", TeamAccess::Member).await.unwrap();
    let bob = desk().await;
    bob.app.workspace().join(&code).await.unwrap();
    owner.sync().await;
    bob.sync().await;
    owner.person("Grace", "Hopper", "grace@acme.com").await;
    bob.person("Grace", "H.", "grace@acme.com").await;
    owner.sync().await;
    bob.sync().await;
    owner.sync().await;
    let held = bob.app.workspace().held().await.unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].author, "owner@acme.com");
    assert!(held[0].what.starts_with("person ") && held[0].reason.contains("UNIQUE"), "{held:?}");
    // Still held after another sync: nothing is dropped by itself.
    bob.sync().await;
    assert_eq!(bob.app.workspace().status().await.unwrap().unwrap().held, 1);
    let missing = bob.app.workspace().discard_held(held[0].hub_seq + 1000).await;
    assert!(matches!(missing, Err(WorkspaceError::NoHeldChange(_))), "{missing:?}");
    bob.app.workspace().discard_held(held[0].hub_seq).await.unwrap();
    bob.sync().await;
    assert_eq!(bob.app.workspace().status().await.unwrap().unwrap().held, 0);
    let graces: i64 = sqlx::query_scalar("SELECT count(*) FROM person WHERE email = 'grace@acme.com'")
        .fetch_one(bob.app.store().pool())
        .await
        .unwrap();
    assert_eq!(graces, 1, "Bob keeps his own Grace");
}

#[tokio::test]
async fn a_read_only_member_pulls_but_never_pushes_and_a_bad_code_says_why() {
    let (_server, url, password) = private_hub();
    let owner = desk().await;
    owner.app.workspace().init(&url, Some(password), "Acme", "owner@acme.com").await.unwrap();
    let grace = owner.person("Grace", "Hopper", "grace@acme.com").await;
    owner.sync().await;

    let reader = desk().await;
    let bad = reader.app.workspace().join("ddj1.not-a-code").await.unwrap_err().to_string();
    assert!(bad.contains("join code"), "{bad}");
    let code = owner.app.workspace().invite("rob@acme.com", TeamAccess::ReadOnly).await.unwrap();
    reader.app.workspace().join(&code).await.unwrap();
    reader.sync().await;
    assert_eq!(reader.dump().await, owner.dump().await);
    reader.set_city(grace, "Rome").await;
    let report = reader.app.workspace().sync_once().await.unwrap();
    assert_eq!(report.pushed, 0);
    assert_eq!(reader.app.workspace().status().await.unwrap().unwrap().waiting, 0);
    owner.sync().await;
    assert_eq!(owner.app.crm().get_person(grace).await.unwrap().city, None);

    let member_invite = reader.app.workspace().invite("eve@acme.com", TeamAccess::Member).await;
    assert!(matches!(member_invite, Err(WorkspaceError::NotOwner)), "{member_invite:?}");
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// One random edit on a small set of people: a create, a field edit, a delete, a restore, a tag
/// or an untag. Edits the CRM refuses here (a field of a person in the trash) are skipped, as a
/// user could not make them either.
async fn random_edit(desk: &Desk, rng: &mut Rng, n: usize) {
    let crm = desk.app.crm();
    let people: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM person ORDER BY id").fetch_all(desk.app.store().pool()).await.unwrap();
    let pick = |rng: &mut Rng| -> Option<uuid::Uuid> {
        (!people.is_empty()).then(|| uuid::Uuid::parse_str(&people[rng.below(people.len())].0).unwrap())
    };
    let choice = if people.len() < 6 { 0 } else { rng.below(11) };
    let result = match (choice, pick(rng)) {
        (0, _) => crm
            .create_person(
                NewPerson { first_name: format!("P{n}"), last_name: "Team".into(), ..Default::default() },
                UI,
            )
            .await
            .map(|_| ()),
        (1 | 2, Some(id)) => {
            let patch = PersonPatch { city: Some(format!("city {}", rng.below(5))), ..Default::default() };
            crm.update_person(id, patch, UI).await.map(|_| ())
        }
        (3, Some(id)) => {
            let patch = PersonPatch { job_title: Some(format!("title {n}")), ..Default::default() };
            crm.update_person(id, patch, UI).await.map(|_| ())
        }
        (4, Some(id)) => crm.delete_person(id, UI).await,
        (5, Some(id)) => crm.restore_person(id, UI).await.map(|_| ()),
        (6, Some(id)) => {
            let tag = format!("t{}", rng.below(3));
            crm.tag_record(RecordRef { kind: RecordKind::Person, id }, &tag, UI).await.map(|_| ())
        }
        (7, Some(id)) => {
            let tag = format!("t{}", rng.below(3));
            crm.untag_record(RecordRef { kind: RecordKind::Person, id }, &tag, UI).await
        }
        (8, _) => random_pipeline_edit(crm, rng, n).await,
        (9, _) => {
            let key = format!("k{}", rng.below(3));
            let defs = crm.custom_fields(RecordKind::Person).await.unwrap();
            match (defs.iter().find(|d| d.key == key), rng.below(2)) {
                (Some(def), 0) => crm.delete_custom_field(def.id).await,
                (Some(def), _) => {
                    let patch = CustomFieldPatch { id: def.id, label: Some(format!("L{n}")), options: None };
                    crm.update_custom_field(patch).await.map(|_| ())
                }
                (None, _) => {
                    let field_type = CustomFieldType::Text;
                    let new = NewCustomField { object: RecordKind::Person, key, label: format!("L{n}"), field_type };
                    crm.define_custom_field(new).await.map(|_| ())
                }
            }
        }
        (_, Some(id)) => {
            let patch = PersonPatch {
                custom: [(format!("k{}", rng.below(3)), Value::from(format!("v{n}")))].into(),
                ..Default::default()
            };
            crm.update_person(id, patch, UI).await.map(|_| ())
        }
        (_, None) => Ok(()),
    };
    if let Err(error) = result {
        assert!(
            matches!(
                error,
                dealdesk_core::CrmError::Deleted { .. }
                    | dealdesk_core::CrmError::NotFound { .. }
                    | dealdesk_core::CrmError::UnknownCustomField { .. }
                    | dealdesk_core::CrmError::InvalidField { .. }
            ),
            "{error}"
        );
    }
}

/// A new pipeline, or a stage of one renamed, re-weighted or added; sometimes made the default.
async fn random_pipeline_edit(
    crm: &dealdesk_core::crm::Crm,
    rng: &mut Rng,
    n: usize,
) -> Result<(), dealdesk_core::CrmError> {
    let pipelines = crm.list_pipelines().await.unwrap();
    let made: Vec<&Pipeline> = pipelines.iter().filter(|p| p.name.starts_with("Pipe")).collect();
    let is_default = rng.below(4) == 0;
    if made.len() < 2 || rng.below(4) == 0 {
        let new = SavePipeline {
            id: None,
            name: format!("Pipe {n}"),
            is_default,
            stages: stages(&[("One", 10), ("Two", 50)]),
        };
        return crm.save_pipeline(new).await.map(|_| ());
    }
    let pipeline = made[rng.below(made.len())];
    let mut edit = edit_of(pipeline);
    let i = rng.below(edit.len());
    match rng.below(3) {
        0 => edit[i].name = format!("S{n}"),
        1 => edit[i].probability = rng.below(101) as u8,
        _ => edit.push(StageEdit { id: None, name: format!("N{n}"), probability: 5, rotting_days: None }),
    }
    let save = SavePipeline { id: Some(pipeline.id), name: pipeline.name.clone(), is_default, stages: edit };
    crm.save_pipeline(save).await.map(|_| ())
}

/// Five desktops, 1,000 random edits between them on a handful of people, synced at random
/// points with offline stretches and pushes repeated as after a crash (the pushed mark rolled
/// back): afterwards every desktop equals the others and the reference merge of the hub.
#[tokio::test]
async fn five_desktops_and_a_thousand_random_edits_converge_on_the_reference_merge() {
    const SEEDS: [u64; 2] = [0x5eed_0001, 0x5eed_0002];
    for seed in SEEDS {
        let (server, url, password) = private_hub();
        let mut desks = vec![desk().await];
        let status = desks[0].app.workspace().init(&url, Some(password), "Acme", "owner@acme.com").await.unwrap();
        for i in 1..5 {
            let code = desks[0].app.workspace().invite(&format!("m{i}@acme.com"), TeamAccess::Member).await.unwrap();
            let member = desk().await;
            member.app.workspace().join(&code).await.unwrap();
            desks.push(member);
        }
        // Two desktops' clocks run ahead, within the margin: they win more conflicts, and
        // everything still converges.
        desks[3].app.store().clock().observe(&stamp_ahead(20));
        desks[4].app.store().clock().observe(&stamp_ahead(45));
        let mut rng = Rng(seed);
        let mut offline = [false; 5];
        for n in 0..1_000 {
            let d = rng.below(5);
            random_edit(&desks[d], &mut rng, n).await;
            match rng.below(20) {
                0 => offline[d] = !offline[d],
                1 => {
                    // A crash after a push reached the hub but before it was marked here: the
                    // next push repeats it.
                    sqlx::query("UPDATE team_link SET pushed_seq = max(0, pushed_seq - 7)")
                        .execute(desks[d].app.store().pool())
                        .await
                        .unwrap();
                }
                2..=6 if !offline[d] => desks[d].sync().await,
                _ => {}
            }
        }
        for _ in 0..2 {
            for desk in &desks {
                desk.sync().await;
            }
        }
        let reference = reference(&server, &status.workspace).await;
        assert!(reference.as_array().unwrap().len() >= 6, "seed {seed:x}: {reference}");
        let records = reference.as_array().unwrap();
        let of_kind = |kind: &str| records.iter().filter(|r| r["kind"] == kind).count();
        assert!(of_kind("custom_field") >= 2 && of_kind("pipeline") >= 3, "seed {seed:x}: the shape was edited too");
        assert!(
            records
                .iter()
                .any(|r| r["kind"] == "stage" && r["fields"]["name"].as_str().is_some_and(|n| n.starts_with('S'))),
            "seed {seed:x}: a stage was renamed"
        );
        for (i, desk) in desks.iter().enumerate() {
            assert_eq!(desk.dump().await, reference, "seed {seed:x}: desktop {i} differs from the reference");
            assert_eq!(desk.app.workspace().status().await.unwrap().unwrap().held, 0);
        }
    }
}

/// Every column a user can set is shared: a column added to a record table without being added
/// to `shared_columns` would silently stay on one desktop.
#[tokio::test]
async fn every_record_column_a_user_sets_is_shared() {
    let desk = desk().await;
    for kind in RecordKind::ALL {
        let columns: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{}') ORDER BY cid",
            kind.as_str()
        )))
        .fetch_all(desk.app.store().pool())
        .await
        .unwrap();
        let bookkeeping = ["rid", "id", "origin", "created_at", "updated_at", "deleted_at", "custom"];
        let columns: Vec<String> =
            columns.into_iter().map(|(c,)| c).filter(|c| !bookkeeping.contains(&c.as_str())).collect();
        let mut shared: Vec<String> =
            dealdesk_core::crm::shared::shared_columns(kind).iter().map(|c| c.to_string()).collect();
        let mut sorted = columns.clone();
        sorted.sort();
        shared.sort();
        assert_eq!(sorted, shared, "{kind:?}");
    }
}

/// A desktop whose clock runs more than the margin ahead of the hub is refused before it pushes,
/// with how far ahead it is; its edits wait, nothing is lost.
#[tokio::test]
async fn a_desktop_whose_clock_runs_ahead_is_refused_and_told_by_how_much() {
    let (server, url, password) = private_hub();
    let owner = desk().await;
    owner.app.workspace().init(&url, Some(password), "Acme", "owner@acme.com").await.unwrap();
    owner.person("Grace", "Hopper", "grace@acme.com").await;
    owner.sync().await;

    owner.app.store().clock().observe(&stamp_ahead(600));
    owner.person("Ada", "Lovelace", "ada@acme.com").await;
    let refused = owner.app.workspace().sync_once().await;
    let Err(WorkspaceError::ClockAhead { ahead_secs, margin_secs }) = refused else { panic!("{refused:?}") };
    assert!((590..=610).contains(&ahead_secs), "{ahead_secs}");
    assert_eq!(margin_secs, dealdesk_core::workspace::CLOCK_MARGIN_SECS);
    let status = owner.app.workspace().status().await.unwrap().unwrap();
    assert!(status.last_error.as_deref().unwrap().contains("clock"), "{status:?}");
    assert_eq!(status.waiting, 1, "the edit waits");
    let on_hub = reference(&server, &status.workspace).await;
    assert_eq!(on_hub.as_array().unwrap().iter().filter(|r| r["kind"] == "person").count(), 1, "Ada waits: {on_hub}");
}
