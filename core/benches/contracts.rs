//! `cargo xtask bench`: contracts, beside raw baselines in the same run. Prints markdown tables.
//! - rendering the shipped service agreement on a deal to PDF (merge fields gathered from the
//!   database, Typst compile, PDF export), per document and per page, against compiling the same
//!   text with the values pasted in;
//! - the editor's live preview (SVG pages);
//! - send to "sent" in the sandbox (render, seal, queue, drain, provider answer), against a raw
//!   POST of the same envelope;
//! - one status check of 50 open envelopes (one batched list call), against the raw list call.
//!
//! Flags: `--samples N` (default 40).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use dealdesk_core::esign::render::{self, AnchorStyle, RenderInput};
use dealdesk_core::test_support::{TestApp, esign_env};
use dealdesk_model::contract::{
    ContractPreviewRequest, SaveEsignSettings, SendContract, SignatureProviderKind, SignerInput,
};
use dealdesk_model::money::Money;
use dealdesk_model::{DealStatus, NewCompany, NewDeal, NewPerson, UpdateSource};
use dealdesk_sandbox::{Sandbox, SandboxConfig};
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::{arg, row};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let samples = arg("--samples", 40);
    let sandbox = Sandbox::start(SandboxConfig::with_members(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new().esign(esign_env(Some(&sandbox))).open(dir.path()).await.unwrap();
    let esign = app.esign();
    esign
        .save_settings(SaveEsignSettings {
            enabled: true,
            poll_minutes: 15,
            move_deal_to_won: false,
            default_provider: SignatureProviderKind::DocuSign,
            sender_company: "Northwind Studio".into(),
            sender_name: "Sam Seller".into(),
            dropbox_sign_api_key: None,
        })
        .await
        .unwrap();
    // Sign in to the sandbox's DocuSign like a browser would.
    let url = esign.start_docusign_login("http://127.0.0.1:47699/callback").await.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let location = http.get(&url).send().await.unwrap().headers()["location"].to_str().unwrap().to_string();
    let query = url::Url::parse(&location).unwrap().query().unwrap().to_string();
    esign.complete_docusign_login(&dealdesk_core::net::oauth::parse_query(&query).unwrap()).await.unwrap();

    let crm = app.crm();
    let company = crm
        .create_company(NewCompany { name: "Acme Corp".into(), ..Default::default() }, UpdateSource::Cli)
        .await
        .unwrap();
    let person = crm
        .create_person(
            NewPerson {
                first_name: "Ada".into(),
                last_name: "Buyer".into(),
                email: Some("ada@acme.test".into()),
                company_id: Some(company.id),
                ..Default::default()
            },
            UpdateSource::Cli,
        )
        .await
        .unwrap();
    let deal = crm
        .create_deal(
            NewDeal {
                id: None,
                name: "Acme retainer".into(),
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
            UpdateSource::Cli,
        )
        .await
        .unwrap();
    let template = esign.find_template("service agreement").await.unwrap();
    let signers = vec![("Ada Buyer".to_string(), "ada@acme.test".to_string())];

    // Rendering.
    let mut ours = Vec::new();
    let mut pages = 0;
    for _ in 0..samples {
        let started = Instant::now();
        let pdf = esign.render_pdf(deal.id, &template, &signers, AnchorStyle::DocuSign).await.unwrap();
        ours.push(started.elapsed());
        pages = render::pdf_to_svg(&pdf).unwrap().len();
    }
    let values: std::collections::BTreeMap<String, String> =
        esign.fields(deal.id).await.unwrap().into_iter().filter_map(|f| f.value.map(|v| (f.name, v))).collect();
    let mut pasted = template.body.clone();
    for (name, value) in &values {
        // As Typst string literals: pasted as markup, an email would read as a reference.
        let literal = format!("#\"{}\";", value.replace('\\', "\\\\").replace('"', "\\\""));
        pasted = pasted.replace(&format!("{{{{{name}}}}}"), &literal);
    }
    let mut raw = Vec::new();
    for _ in 0..samples {
        let started = Instant::now();
        let input = RenderInput { body: &pasted, fields: &values, signers: &signers, anchors: AnchorStyle::DocuSign };
        let pdf = render::render(&input).unwrap().pdf().unwrap();
        std::hint::black_box(pdf);
        raw.push(started.elapsed());
    }
    let mut per_page: Vec<Duration> = ours.iter().map(|d| *d / pages.max(1) as u32).collect();
    let mut preview = Vec::new();
    for _ in 0..samples {
        let started = Instant::now();
        let request = ContractPreviewRequest { deal_id: deal.id, template_id: Some(template.id), body: None };
        let shown = esign.preview(&request).await.unwrap();
        assert!(shown.error.is_none());
        preview.push(started.elapsed());
    }
    println!("\nContract rendering ({samples} samples, service agreement, {pages} pages), ms\n");
    println!("| step | p50 | p95 | p99 |\n|---|---|---|---|");
    row("render to PDF on a deal (fields from the database, compile, export)", &mut ours);
    row("… per page", &mut per_page);
    row("raw: the same text with the values pasted in as literals, compile + export", &mut raw);
    row("live preview (SVG pages)", &mut preview);

    // Send to "sent".
    let mut sends = Vec::new();
    for _ in 0..samples {
        let started = Instant::now();
        let request = SendContract {
            deal_id: deal.id,
            template_id: template.id,
            provider: SignatureProviderKind::DocuSign,
            signers: vec![SignerInput { name: "Ada Buyer".into(), email: "ada@acme.test".into() }],
            title: None,
        };
        let contract = app.esign().send(&request, UpdateSource::Cli).await.unwrap();
        app.outbox().drain(true).await.unwrap();
        assert!(esign.get(contract.id).await.unwrap().remote_id.is_some());
        sends.push(started.elapsed());
    }
    let last = sandbox.esign_documents().pop().unwrap().request;
    let (token, base) = (sandbox.mint_docusign_token(), sandbox.docusign_api_url());
    let account = sandbox.docusign_account_id();
    let envelopes = format!("{base}/v2.1/accounts/{account}/envelopes");
    let mut raw_sends = Vec::new();
    for _ in 0..samples {
        let started = Instant::now();
        let answer = http.post(&envelopes).bearer_auth(&token).json(&last).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 201);
        answer.bytes().await.unwrap();
        raw_sends.push(started.elapsed());
    }
    println!("\nSending to DocuSign in the sandbox ({samples} samples), ms\n");
    println!("| step | p50 | p95 | p99 |\n|---|---|---|---|");
    row("send contract → status \"sent\" (render, seal, queue, outbox, provider)", &mut sends);
    row("raw: POST the same envelope", &mut raw_sends);

    // One status check of the open envelopes.
    let open = esign.for_deal(deal.id).await.unwrap();
    let ids: Vec<String> = open.iter().filter_map(|c| c.remote_id.clone()).take(50).collect();
    let mut polls = Vec::new();
    let mut raw_polls = Vec::new();
    for _ in 0..samples.min(20) {
        let started = Instant::now();
        let report = esign.poll(true).await.unwrap();
        polls.push(started.elapsed());
        assert!(report.checked as usize >= ids.len().min(open.len()));
        let started = Instant::now();
        let answer = http
            .get(&envelopes)
            .bearer_auth(&token)
            .query(&[
                ("from_date", "2020-01-01T00:00:00Z"),
                ("envelope_ids", &ids.join(",")),
                ("include", "recipients"),
            ])
            .send()
            .await
            .unwrap();
        answer.bytes().await.unwrap();
        raw_polls.push(started.elapsed());
    }
    println!("\nStatus check of {} open envelopes (one batched list call), ms\n", open.len());
    println!("| step | p50 | p95 | p99 |\n|---|---|---|---|");
    row("poll: list call, compare, record changes", &mut polls);
    row("raw: the list call alone", &mut raw_polls);
    app.close().await;
    sandbox.shutdown().await;
}
