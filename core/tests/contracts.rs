//! Contracts end to end on real SQLite files and real HTTP to the sandbox's DocuSign- and
//! Dropbox-Sign-shaped endpoints: template rendering (merge fields, missing and unknown fields,
//! hostile values), each provider's lifecycle (PKCE sign-in, send, status by polling, download,
//! void/cancel), offline sends that go out exactly once, the polling interval, encryption at rest,
//! and requests checked against the providers' published schemas.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use dealdesk_core::App;
use dealdesk_core::esign::EsignError;
use dealdesk_core::esign::render::AnchorStyle;
use dealdesk_core::test_support::{TestApp, esign_env};
use dealdesk_core::whop::WhopConfig;
use dealdesk_model::contract::{
    ContractPreviewRequest, ContractStatus, SaveEsignSettings, SendContract, SignatureProviderKind, SignerInput,
    SignerStatus,
};
use dealdesk_model::money::Money;
use dealdesk_model::{DealStatus, NewCompany, NewDeal, NewPerson, UpdateSource};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

const UI: UpdateSource = UpdateSource::Ui;

async fn open(dir: &std::path::Path, sandbox: Option<&Sandbox>) -> App {
    let app = TestApp::new().whop(WhopConfig::default()).esign(esign_env(sandbox)).open(dir).await.unwrap();
    let status = app.esign().status().await.unwrap();
    app.esign()
        .save_settings(SaveEsignSettings {
            enabled: true,
            poll_minutes: status.poll_minutes,
            move_deal_to_won: true,
            default_provider: SignatureProviderKind::DocuSign,
            sender_company: "Northwind Studio".into(),
            sender_name: "Sam Seller".into(),
            dropbox_sign_api_key: None,
        })
        .await
        .unwrap();
    app
}

/// A deal with a company and a contact; returns the deal id.
async fn deal(app: &App, company: &str, contact: (&str, &str)) -> Uuid {
    let crm = app.crm();
    let company = crm.create_company(NewCompany { name: company.into(), ..Default::default() }, UI).await.unwrap();
    let person = crm
        .create_person(
            NewPerson {
                first_name: contact.0.into(),
                last_name: "Buyer".into(),
                email: Some(contact.1.into()),
                company_id: Some(company.id),
                ..Default::default()
            },
            UI,
        )
        .await
        .unwrap();
    crm.create_deal(
        NewDeal {
            id: None,
            name: format!("{} retainer", company.name),
            amount: Money::parse("12000", "USD").unwrap(),
            close_date: None,
            pipeline_id: None,
            stage: None,
            status: DealStatus::Open,
            lost_reason: None,
            contact_id: Some(person.id),
            company_id: Some(company.id),
            custom: Default::default(),
        },
        UI,
    )
    .await
    .unwrap()
    .id
}

async fn template_id(app: &App, name: &str) -> Uuid {
    app.esign().find_template(name).await.unwrap().id
}

fn pdf_pages(pdf: &[u8]) -> usize {
    dealdesk_core::esign::render::pdf_to_svg(pdf).unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_templates_render_to_pdf_with_merge_fields_and_embedded_fonts() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), None).await;
    let deal = deal(&app, "Acme Corp", ("Ada", "ada@acme.test")).await;
    let templates = app.esign().templates().await.unwrap();
    assert_eq!(templates.iter().filter(|t| t.builtin).count(), 2, "service agreement and NDA ship");
    for template in &templates {
        let signers = vec![("Ada Buyer".to_string(), "ada@acme.test".to_string())];
        let pdf = app.esign().render_pdf(deal, template, &signers, AnchorStyle::DocuSign).await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{}", template.name);
        // Fonts are embedded (font programs inside the file), never looked up on the reader's machine.
        assert!(pdf.windows(9).any(|w| w == b"/FontFile"), "{} embeds its fonts", template.name);
        let pages = pdf_pages(&pdf);
        assert!((1..=4).contains(&pages), "{}: {pages} pages", template.name);
    }
    // The preview shows the merge values; nothing is missing on a complete deal.
    let preview = app
        .esign()
        .preview(&ContractPreviewRequest { deal_id: deal, template_id: Some(templates[0].id), body: None })
        .await
        .unwrap();
    assert!(preview.error.is_none(), "{:?}", preview.error);
    assert!(preview.missing.is_empty() && preview.unknown.is_empty(), "{preview:?}");
    assert!(!preview.pages.is_empty() && preview.pages[0].starts_with("<svg"));
    let fields = app.esign().fields(deal).await.unwrap();
    let value = |name: &str| fields.iter().find(|f| f.name == name).and_then(|f| f.value.clone());
    assert_eq!(value("company.name").as_deref(), Some("Acme Corp"));
    assert_eq!(value("contact.email").as_deref(), Some("ada@acme.test"));
    assert_eq!(value("deal.amount").as_deref(), Some("12,000.00 USD"));
    assert_eq!(value("sender.company").as_deref(), Some("Northwind Studio"));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_unknown_and_broken_templates_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), None).await;
    // A deal with neither company nor contact.
    let lonely = app
        .crm()
        .create_deal(
            NewDeal {
                id: None,
                name: "Lonely".into(),
                amount: Money::parse("10", "USD").unwrap(),
                close_date: None,
                pipeline_id: None,
                stage: None,
                status: DealStatus::Open,
                lost_reason: None,
                contact_id: None,
                company_id: None,
                custom: Default::default(),
            },
            UI,
        )
        .await
        .unwrap()
        .id;
    let nda = app.esign().find_template("mutual nda").await.unwrap();
    let error = app.esign().render_pdf(lonely, &nda, &[], AnchorStyle::Preview).await.unwrap_err();
    match &error {
        EsignError::MissingFields(names) => {
            assert!(names.contains(&"company.name".to_string()) && names.contains(&"contact.email".to_string()));
            assert!(error.to_string().contains("company.name"), "{error}");
        }
        other => panic!("expected missing fields, got {other}"),
    }
    // The preview shows them as placeholders instead, and lists them.
    let preview = app
        .esign()
        .preview(&ContractPreviewRequest { deal_id: lonely, template_id: Some(nda.id), body: None })
        .await
        .unwrap();
    assert!(preview.error.is_none() && !preview.pages.is_empty(), "{:?}", preview.error);
    assert!(preview.missing.contains(&"company.name".to_string()));

    let deal = deal(&app, "Globex", ("Gil", "gil@globex.test")).await;
    let mut custom = nda.clone();
    custom.body = "Hello {{deal.nonsense}} and {{contact.name}}".into();
    let error = app.esign().render_pdf(deal, &custom, &[], AnchorStyle::Preview).await.unwrap_err();
    assert!(matches!(&error, EsignError::UnknownFields(f) if f == &["deal.nonsense".to_string()]), "{error}");

    // A Typst error names the template's own line.
    custom.body = "Line one\nLine two\n#let x = (\n".into();
    let error = app.esign().render_pdf(deal, &custom, &[], AnchorStyle::Preview).await.unwrap_err();
    assert!(matches!(&error, EsignError::Render(m) if m.contains("line 3")), "{error}");
    // Templates cannot read files.
    custom.body = "#read(\"/etc/passwd\")".into();
    assert!(app.esign().render_pdf(deal, &custom, &[], AnchorStyle::Preview).await.is_err());
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_field_values_neither_inject_markup_nor_break_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), None).await;
    let normal = deal(&app, "Initech", ("Ida", "ida@initech.test")).await;
    let hostile_company = "#set page(width: 1cm, height: 1cm) ] ) } #panic(\"pwned\") {{deal.title}} \
                           *bold* _em_ $x^2$ <label> @ref `raw` \\ // comment /* open";
    let hostile = deal(&app, hostile_company, ("\u{202E}Eve\u{200B}", "eve@evil.test")).await;
    // A 200-letter "word" (the longest title allowed) in the deal title.
    let long_word = "A".repeat(200);
    app.crm()
        .update_deal(hostile, dealdesk_model::DealPatch { name: Some(long_word), ..Default::default() }, UI)
        .await
        .unwrap();
    let template = app.esign().find_template("service agreement").await.unwrap();
    let signers = vec![("Eve".to_string(), "eve@evil.test".to_string())];
    let normal_pdf = app.esign().render_pdf(normal, &template, &signers, AnchorStyle::DocuSign).await.unwrap();
    let hostile_pdf = app.esign().render_pdf(hostile, &template, &signers, AnchorStyle::DocuSign).await.unwrap();
    let (normal_pages, hostile_pages) = (pdf_pages(&normal_pdf), pdf_pages(&hostile_pdf));
    // Same page size (the `#set page` stayed text) and at most a page more for the long word,
    // which wraps instead of running off the page.
    assert!(hostile_pages <= normal_pages + 1, "{normal_pages} vs {hostile_pages} pages");
    let svg = dealdesk_core::esign::render::pdf_to_svg(&hostile_pdf).unwrap();
    let normal_svg = dealdesk_core::esign::render::pdf_to_svg(&normal_pdf).unwrap();
    let head = |s: &str| s.split('>').next().unwrap_or_default().to_string();
    assert_eq!(head(&svg[0]), head(&normal_svg[0]), "the page size did not change");

    // The value alone on a page: it compiles (no panic ran, no markup opened) to one page.
    let values: std::collections::BTreeMap<String, String> =
        app.esign().fields(hostile).await.unwrap().into_iter().filter_map(|f| f.value.map(|v| (f.name, v))).collect();
    let input = dealdesk_core::esign::render::RenderInput {
        body: "{{company.name}} and {{contact.name}}",
        fields: &values,
        signers: &[],
        anchors: AnchorStyle::Preview,
    };
    let rendered = dealdesk_core::esign::render::render(&input).unwrap();
    assert_eq!(rendered.page_count(), 1);
    let cleaned = dealdesk_core::esign::render::clean_value(values.get("contact.name").unwrap());
    assert!(!cleaned.contains('\u{202E}') && !cleaned.contains('\u{200B}'), "bidi and zero-width dropped: {cleaned:?}");
    app.close().await;
}

/// Follows the sandbox's DocuSign sign-in like a browser and hands the redirect back.
async fn docusign_login(app: &App) {
    let url = app.esign().start_docusign_login("http://127.0.0.1:47699/callback").await.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = http.get(&url).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 302, "{}", answer.text().await.unwrap_or_default());
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    let query = url::Url::parse(&location).unwrap().query().unwrap().to_string();
    let callback = dealdesk_core::net::oauth::parse_query(&query).unwrap();
    let status = app.esign().complete_docusign_login(&callback).await.unwrap();
    assert!(status.docusign_connected);
    // The same state cannot be used twice.
    assert!(app.esign().complete_docusign_login(&callback).await.is_err());
}

async fn send(app: &App, deal: Uuid, provider: SignatureProviderKind, signers: &[(&str, &str)]) -> Uuid {
    let request = SendContract {
        deal_id: deal,
        template_id: template_id(app, "service agreement").await,
        provider,
        signers: signers.iter().map(|(n, e)| SignerInput { name: n.to_string(), email: e.to_string() }).collect(),
        title: None,
    };
    let contract = app.esign().send(&request, UI).await.unwrap();
    assert_eq!(contract.status, ContractStatus::Queued);
    contract.id
}

async fn drain(app: &App) -> dealdesk_core::outbox::DrainReport {
    app.outbox().recover().await.unwrap();
    app.outbox().drain(true).await.unwrap()
}

/// No file in the data folder holds a plaintext PDF.
fn assert_no_plaintext_pdf(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(5).any(|w| w == b"%PDF-"), "{} holds a plaintext PDF", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docusign_lifecycle_sign_in_send_poll_complete_download_and_void() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), Some(&sandbox)).await;
    let deal_id = deal(&app, "Acme Corp", ("Ada", "ada@acme.test")).await;
    // Not connected yet: a clear refusal, nothing queued.
    let refused = app
        .esign()
        .send(
            &SendContract {
                deal_id,
                template_id: template_id(&app, "service agreement").await,
                provider: SignatureProviderKind::DocuSign,
                signers: vec![SignerInput { name: "Ada".into(), email: "ada@acme.test".into() }],
                title: None,
            },
            UI,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, EsignError::NotConnected { .. }), "{refused}");
    docusign_login(&app).await;

    let id = send(
        &app,
        deal_id,
        SignatureProviderKind::DocuSign,
        &[("Ada Buyer", "ada@acme.test"), ("Sam Seller", "sam@northwind.test")],
    )
    .await;
    let report = drain(&app).await;
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(sandbox.esign_sent_count(), 1);
    let contract = app.esign().get(id).await.unwrap();
    assert_eq!(contract.status, ContractStatus::Sent);
    let envelope = contract.remote_id.clone().unwrap();
    // The envelope carries the PDF and one signer per person, with anchor tabs.
    let created = sandbox.esign_documents().into_iter().find(|d| d.id == envelope).unwrap();
    assert_eq!(created.request["recipients"]["signers"][1]["tabs"]["signHereTabs"][0]["anchorString"], "/sig2/");
    assert!(created.pdf.starts_with(b"%PDF-"));

    // Viewed, then the first signer signs, then all: each step lands in the timeline.
    sandbox.esign_advance(&envelope).unwrap();
    app.esign().poll(true).await.unwrap();
    assert_eq!(app.esign().get(id).await.unwrap().status, ContractStatus::Viewed);
    sandbox.esign_advance(&envelope).unwrap();
    app.esign().poll(true).await.unwrap();
    let partial = app.esign().get(id).await.unwrap();
    assert_eq!(partial.status, ContractStatus::PartiallySigned);
    assert_eq!(partial.signers[0].status, SignerStatus::Signed);
    sandbox.esign_complete(&envelope).unwrap();
    let report = app.esign().poll(true).await.unwrap();
    assert_eq!(report.completed, 1, "{report:?}");
    let done = app.esign().get(id).await.unwrap();
    assert_eq!(done.status, ContractStatus::Completed);
    assert!(done.has_signed_pdf);
    let kinds: Vec<&str> = done.events.iter().map(|e| e.kind.as_str()).collect();
    for kind in ["drafted", "sent", "viewed", "signed", "completed", "downloaded"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    // The deal is won (the default setting) and the workflow trigger is recorded.
    assert_eq!(app.crm().get_deal(deal_id).await.unwrap().status, DealStatus::Won);
    let triggers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM automation_event WHERE kind = 'contract_completed' AND record_id = ?")
            .bind(deal_id.to_string())
            .fetch_one(app.store().pool())
            .await
            .unwrap();
    assert_eq!(triggers, 1);
    // The signed PDF opens (decrypted in memory) and shows as pages.
    let (_, pdf) = app.esign().pdf(id).await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(!app.esign().open_pdf(id).await.unwrap().pages.is_empty());
    // A completed contract cannot be voided.
    assert!(app.esign().void(id, "changed my mind", UI).await.is_err());

    // A second contract is voided with a reason.
    let second = send(&app, deal_id, SignatureProviderKind::DocuSign, &[("Ada Buyer", "ada@acme.test")]).await;
    drain(&app).await;
    app.esign().void(second, "wrong amount", UI).await.unwrap();
    drain(&app).await;
    let voided = app.esign().get(second).await.unwrap();
    assert_eq!(voided.status, ContractStatus::Voided);
    let remote = voided.remote_id.unwrap();
    assert_eq!(sandbox.esign_status(&remote).as_deref(), Some("voided"));

    app.close().await;
    // Nothing in the data folder is a plaintext PDF, and the key opens nothing without itself.
    assert_no_plaintext_pdf(dir.path());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropbox_sign_lifecycle_send_poll_files_after_409_and_asynchronous_cancel() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), Some(&sandbox)).await;
    let deal_id = deal(&app, "Globex", ("Gil", "gil@globex.test")).await;
    let id = send(&app, deal_id, SignatureProviderKind::DropboxSign, &[("Gil Buyer", "gil@globex.test")]).await;
    assert_eq!(drain(&app).await.sent, 1);
    let contract = app.esign().get(id).await.unwrap();
    let request_id = contract.remote_id.clone().unwrap();
    let created = sandbox.esign_documents().into_iter().find(|d| d.id == request_id).unwrap();
    assert!(created.pdf.starts_with(b"%PDF-"));

    sandbox.esign_complete(&request_id).unwrap();
    // The files answer 409 twice while "prepared"; the download waits through it.
    let report = app.esign().poll(true).await.unwrap();
    assert_eq!(report.completed, 1, "{report:?}");
    let done = app.esign().get(id).await.unwrap();
    assert_eq!(done.status, ContractStatus::Completed);
    assert!(done.has_signed_pdf, "{:?}", done.events);
    let conflicts = sandbox
        .esign_requests()
        .iter()
        .filter(|r| r.path.contains("/signature_request/files/") && r.status == 409)
        .count();
    assert_eq!(conflicts, 2);

    // Cancel is asynchronous: requested first, confirmed by a later poll.
    let second = send(&app, deal_id, SignatureProviderKind::DropboxSign, &[("Gil Buyer", "gil@globex.test")]).await;
    drain(&app).await;
    app.esign().void(second, "superseded", UI).await.unwrap();
    drain(&app).await;
    let requested = app.esign().get(second).await.unwrap();
    assert!(requested.events.iter().any(|e| e.kind == "void_requested"));
    let mut status = requested.status;
    for _ in 0..3 {
        app.esign().poll(true).await.unwrap();
        status = app.esign().get(second).await.unwrap().status;
        if status == ContractStatus::Voided {
            break;
        }
    }
    assert_eq!(status, ContractStatus::Voided);
    app.close().await;
    assert_no_plaintext_pdf(dir.path());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_sent_offline_goes_out_once_and_a_lost_answer_is_not_sent_twice() {
    let mut sandbox = Sandbox::start(SandboxConfig::with_members(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), Some(&sandbox)).await;
    docusign_login(&app).await;
    let deal_id = deal(&app, "Umbrella", ("Una", "una@umbrella.test")).await;

    sandbox.stop_listening().await;
    let id = send(&app, deal_id, SignatureProviderKind::DocuSign, &[("Una Buyer", "una@umbrella.test")]).await;
    let report = drain(&app).await;
    assert_eq!((report.sent, report.remaining), (0, 1), "{report:?}");
    assert!(report.stopped.is_some());
    assert_eq!(app.esign().get(id).await.unwrap().status, ContractStatus::Queued);

    sandbox.start_listening().await.unwrap();
    // The retry wait for an unreachable provider is due now.
    sqlx::query("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE target = 'esign'")
        .execute(app.store().pool())
        .await
        .unwrap();
    assert_eq!(drain(&app).await.sent, 1);
    assert_eq!(drain(&app).await.sent, 0);
    assert_eq!(sandbox.esign_sent_count(), 1, "sent exactly once");

    // The provider took a send but the answer was lost: the retry finds the envelope by the
    // contract's id instead of sending a second one.
    let second = send(&app, deal_id, SignatureProviderKind::DocuSign, &[("Una Buyer", "una@umbrella.test")]).await;
    assert_eq!(drain(&app).await.sent, 1);
    let remote = app.esign().get(second).await.unwrap().remote_id.unwrap();
    sqlx::query("UPDATE contract SET remote_id = NULL, status = 'queued' WHERE id = ?")
        .bind(second.to_string())
        .execute(app.store().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE outbox SET status = 'pending', attempts = 1 WHERE target = 'esign' AND record_id = ?")
        .bind(second.to_string())
        .execute(app.store().pool())
        .await
        .unwrap();
    assert_eq!(drain(&app).await.sent, 1);
    assert_eq!(sandbox.esign_sent_count(), 2, "no third envelope");
    assert_eq!(app.esign().get(second).await.unwrap().remote_id.as_deref(), Some(remote.as_str()));
    app.close().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_waits_its_interval_and_asks_once_for_all_open_envelopes() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), Some(&sandbox)).await;
    docusign_login(&app).await;
    let deal_id = deal(&app, "Hooli", ("Hal", "hal@hooli.test")).await;
    for _ in 0..3 {
        send(&app, deal_id, SignatureProviderKind::DocuSign, &[("Hal Buyer", "hal@hooli.test")]).await;
    }
    assert_eq!(drain(&app).await.sent, 3);
    let lists =
        || sandbox.esign_requests().iter().filter(|r| r.method == "GET" && r.path.ends_with("/envelopes")).count();
    // The first check asks once for the three envelopes.
    let before = lists();
    let report = app.esign().poll(false).await.unwrap();
    assert_eq!(report.checked, 3);
    assert_eq!(lists() - before, 1, "one batched list call");
    // Within the 15-minute interval nothing is asked again…
    let report = app.esign().poll(false).await.unwrap();
    assert_eq!(report.checked, 0);
    assert_eq!(lists() - before, 1);
    // …and the interval cannot be set below 15 minutes.
    let status = app.esign().status().await.unwrap();
    let too_fast = app
        .esign()
        .save_settings(SaveEsignSettings {
            enabled: true,
            poll_minutes: 5,
            move_deal_to_won: status.move_deal_to_won,
            default_provider: status.default_provider,
            sender_company: status.sender_company.clone(),
            sender_name: status.sender_name.clone(),
            dropbox_sign_api_key: None,
        })
        .await;
    assert!(too_fast.is_err());
    // Switched off, nothing is checked or sent.
    app.esign()
        .save_settings(SaveEsignSettings {
            enabled: false,
            poll_minutes: 15,
            move_deal_to_won: true,
            default_provider: SignatureProviderKind::DocuSign,
            sender_company: status.sender_company,
            sender_name: status.sender_name,
            dropbox_sign_api_key: None,
        })
        .await
        .unwrap();
    assert_eq!(app.esign().poll(true).await.unwrap().checked, 0);
    let off = app
        .esign()
        .send(
            &SendContract {
                deal_id,
                template_id: template_id(&app, "nda").await,
                provider: SignatureProviderKind::DocuSign,
                signers: vec![SignerInput { name: "Hal".into(), email: "hal@hooli.test".into() }],
                title: None,
            },
            UI,
        )
        .await;
    assert!(matches!(off, Err(EsignError::Disabled)));
    app.close().await;
    sandbox.shutdown().await;
}

/// The published request schemas accept what the clients send, and catch a broken request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_validate_against_the_docusign_and_dropbox_sign_specs() {
    let sandbox = Sandbox::start(SandboxConfig::with_members(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), Some(&sandbox)).await;
    docusign_login(&app).await;
    let deal_id = deal(&app, "Stark", ("Tony", "tony@stark.test")).await;
    send(
        &app,
        deal_id,
        SignatureProviderKind::DocuSign,
        &[("Tony Buyer", "tony@stark.test"), ("Pep", "pep@stark.test")],
    )
    .await;
    send(&app, deal_id, SignatureProviderKind::DropboxSign, &[("Tony Buyer", "tony@stark.test")]).await;
    assert_eq!(drain(&app).await.sent, 2);
    let documents = sandbox.esign_documents();

    let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/specs");
    let mut docusign: Value =
        serde_json::from_str(&std::fs::read_to_string(specs.join("docusign-esignature.crm-mock.json")).unwrap())
            .unwrap();
    docusign.as_object_mut().unwrap().insert("$ref".into(), Value::from("#/definitions/envelopeDefinition"));
    let validator = jsonschema::validator_for(&docusign).unwrap();
    let envelope = &documents.iter().find(|d| d.request.get("recipients").is_some()).unwrap().request;
    let errors: Vec<String> = validator.iter_errors(envelope).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut broken = envelope.clone();
    broken["recipients"]["signers"] = Value::from("ada@acme.test");
    assert!(!validator.is_valid(&broken));

    let text = std::fs::read_to_string(specs.join("dropboxsign-openapi.bundled.yaml")).unwrap();
    let mut dropbox: Value = serde_yaml_ng::from_str(&text).unwrap();
    dropbox
        .as_object_mut()
        .unwrap()
        .insert("$ref".into(), Value::from("#/components/schemas/SignatureRequestSendRequest"));
    let validator = jsonschema::validator_for(&dropbox).unwrap();
    let form = &documents.iter().find(|d| d.request.get("recipients").is_none()).unwrap().request;
    let object = form_as_json(form);
    let errors: Vec<String> = validator.iter_errors(&object).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:?}\n{object}");
    let mut broken = object.clone();
    broken["signers"][0]["email_address"] = Value::from(42);
    assert!(!validator.is_valid(&broken));
    app.close().await;
    sandbox.shutdown().await;
}

/// The JSON object a Dropbox Sign multipart form encodes (`signers[0][name]` → `signers[0].name`,
/// booleans and numbers typed as the API reads them, files as names).
fn form_as_json(form: &Value) -> Value {
    let mut object = serde_json::Map::new();
    let mut signers: Vec<serde_json::Map<String, Value>> = Vec::new();
    let mut metadata = serde_json::Map::new();
    for (key, value) in form.as_object().unwrap() {
        let text = value.as_str().map(str::to_string);
        if let Some(rest) = key.strip_prefix("signers[") {
            let (index, field) = rest.split_once("][").unwrap();
            let index: usize = index.parse().unwrap();
            let field = field.trim_end_matches(']');
            while signers.len() <= index {
                signers.push(serde_json::Map::new());
            }
            let value = match field {
                "order" => Value::from(text.unwrap().parse::<i64>().unwrap()),
                _ => Value::from(text.unwrap()),
            };
            signers[index].insert(field.to_string(), value);
        } else if let Some(name) = key.strip_prefix("metadata[") {
            metadata.insert(name.trim_end_matches(']').to_string(), Value::from(text.unwrap()));
        } else if key.starts_with("files[") {
            object
                .entry("files")
                .or_insert_with(|| Value::Array(Vec::new()))
                .as_array_mut()
                .unwrap()
                .push(Value::from(value.get("filename").and_then(Value::as_str).unwrap_or("contract.pdf")));
        } else {
            let text = text.unwrap_or_default();
            let typed = match key.as_str() {
                "test_mode" | "use_text_tags" | "hide_text_tags" => Value::Bool(text == "1" || text == "true"),
                _ => Value::from(text),
            };
            object.insert(key.clone(), typed);
        }
    }
    object.insert("signers".into(), Value::Array(signers.into_iter().map(Value::Object).collect()));
    object.insert("metadata".into(), Value::Object(metadata));
    Value::Object(object)
}

#[test]
fn deep_links_for_docusign_are_parsed_strictly() {
    use dealdesk_core::net::oauth::parse_deep_link_at;
    let path = dealdesk_core::esign::docusign::DEEP_LINK_PATH;
    assert!(parse_deep_link_at("dealdesk://oauth/docusign/callback?code=abc&state=xyz", path).is_ok());
    assert!(parse_deep_link_at("dealdesk://oauth/whop/callback?code=abc&state=xyz", path).is_err());
    assert!(parse_deep_link_at("dealdesk://oauth/docusign/callback?code=abc&state=xyz&evil=1", path).is_err());
    let _ = Duration::ZERO;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_sends_a_contract_and_another_fires_when_it_is_completed() {
    use dealdesk_model::RecordRef;
    use dealdesk_model::automation::{RunStatus, SaveWorkflow, Trigger, WorkflowStep};
    let sandbox = Sandbox::start(SandboxConfig::with_members(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), Some(&sandbox)).await;
    let deal_id = deal(&app, "Wayne", ("Bruce", "bruce@wayne.test")).await;
    let automation = app.automation();
    let sender = automation
        .save(&SaveWorkflow {
            id: None,
            name: "Send the NDA".into(),
            enabled: true,
            trigger: Trigger::Manual,
            steps: vec![WorkflowStep::SendContract {
                template: "nda".into(),
                provider: SignatureProviderKind::DropboxSign,
            }],
        })
        .await
        .unwrap();
    automation
        .save(&SaveWorkflow {
            id: None,
            name: "Tag signed deals".into(),
            enabled: true,
            trigger: Trigger::ContractCompleted,
            steps: vec![WorkflowStep::AddTag { tag: "signed".into() }],
        })
        .await
        .unwrap();
    let run = automation
        .run_now(sender.id, Some(RecordRef { kind: dealdesk_model::RecordKind::Deal, id: deal_id }))
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(drain(&app).await.sent, 1);
    let contract = app.esign().for_deal(deal_id).await.unwrap().remove(0);
    assert_eq!(contract.signers[0].email, "bruce@wayne.test");
    assert_eq!(contract.template_name, "Mutual NDA");
    sandbox.esign_complete(contract.remote_id.as_deref().unwrap()).unwrap();
    assert_eq!(app.esign().poll(true).await.unwrap().completed, 1);
    automation.process().await.unwrap();
    let deal = app.crm().get_deal(deal_id).await.unwrap();
    assert!(deal.tags.contains(&"signed".to_string()), "{:?}", deal.tags);
    app.close().await;
    sandbox.shutdown().await;
}
