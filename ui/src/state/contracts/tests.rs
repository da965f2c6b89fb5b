use super::*;
use dealdesk_model::contract::{ContractEvent, ContractSigner};

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn status() -> EsignStatus {
    EsignStatus {
        enabled: true,
        disabled_by_env: false,
        docusign_connected: true,
        docusign_account: Some("Acme Inc.".into()),
        dropbox_sign_key_set: false,
        poll_minutes: 15,
        move_deal_to_won: true,
        default_provider: SignatureProviderKind::DocuSign,
        sender_company: "Acme Inc.".into(),
        sender_name: "Ada Admin".into(),
    }
}

fn template(n: u128, name: &str, builtin: bool) -> ContractTemplate {
    ContractTemplate {
        id: id(n),
        name: name.into(),
        body: "Hello {{contact.name}}".into(),
        version: 1,
        builtin,
        updated_at: "2026-11-27T10:00:00Z".into(),
    }
}

fn preview() -> ContractPreview {
    ContractPreview {
        pages: vec!["<svg></svg>".into()],
        missing: Vec::new(),
        unknown: Vec::new(),
        error: None,
        render_ms: 42,
    }
}

fn contract(n: u128, status: ContractStatus) -> Contract {
    Contract {
        id: id(n),
        deal_id: id(1),
        template_name: "NDA".into(),
        title: "NDA: Big deal".into(),
        provider: SignatureProviderKind::DocuSign,
        status,
        remote_id: None,
        signers: vec![
            ContractSigner {
                name: "Bea".into(),
                email: "bea@example.com".into(),
                status: SignerStatus::Signed,
                signed_at: Some("2026-11-27T10:00:00Z".into()),
                declined_reason: None,
            },
            ContractSigner {
                name: "Cy".into(),
                email: "cy@example.com".into(),
                status: SignerStatus::Waiting,
                signed_at: None,
                declined_reason: None,
            },
        ],
        events: vec![ContractEvent {
            at: "2026-11-27T09:00:00Z".into(),
            kind: "drafted".into(),
            detail: "NDA v1".into(),
        }],
        created_at: "2026-11-27T09:00:00Z".into(),
        last_checked_at: None,
        has_signed_pdf: false,
        error: None,
    }
}

#[test]
fn labels_read_well() {
    assert_eq!(event_label("partially_signed"), "partially signed");
    assert_eq!(event_label("completed"), "completed");
    assert_eq!(event_label(""), "");
    assert_eq!(status_tone(ContractStatus::Completed), StatusTone::Success);
    assert_eq!(status_tone(ContractStatus::Failed), StatusTone::Danger);
    assert_eq!(signed_text(&contract(2, ContractStatus::PartiallySigned)).as_deref(), Some("1 of 2 signed"));
    assert_eq!(pages_text(1), "1 page");
    assert_eq!(pages_text(3), "3 pages");
    assert_eq!(field_list(&["sender.name".into(), "deal.amount".into()]), "{{sender.name}}, {{deal.amount}}");
    let mut c = contract(2, ContractStatus::Sent);
    assert_eq!(pdf_label(&c), "Open PDF");
    c.has_signed_pdf = true;
    assert_eq!(pdf_label(&c), "Open signed PDF");
}

#[test]
fn providers_say_when_they_are_not_connected() {
    let s = status();
    assert_eq!(provider_option_label(&s, SignatureProviderKind::DocuSign), "DocuSign");
    assert_eq!(provider_option_label(&s, SignatureProviderKind::DropboxSign), "Dropbox Sign (not connected)");
    assert_eq!(docusign_text(&s), "Connected to Acme Inc.");
    assert_eq!(docusign_text(&EsignStatus { docusign_connected: false, ..s }), "Not connected");
}

#[test]
fn emails_are_checked_like_the_core_does() {
    assert!(valid_email("bea@example.com"));
    assert!(valid_email(" Bea.B+x@Mail.Example.co "));
    for bad in
        ["", "bea", "bea@", "@example.com", "bea@example", "bea@@example.com", "be a@example.com", ".b@x.io", "b@-x.io"]
    {
        assert!(!valid_email(bad), "{bad}");
    }
}

#[test]
fn signer_rows_are_checked_and_blank_ones_left_out() {
    let rows = vec![
        SignerRow::new("Bea", "bea@example.com"),
        SignerRow::default(),
        SignerRow::new(" Cy ", " cy@example.com "),
    ];
    assert_eq!(signer_errors(&rows), vec![None, None, None]);
    let signers = signers_request(&rows).unwrap();
    assert_eq!(signers.len(), 2);
    assert_eq!((signers[1].name.as_str(), signers[1].email.as_str()), ("Cy", "cy@example.com"));

    let rows = vec![
        SignerRow::new("", "bea@example.com"),
        SignerRow::new("Bea", "nope"),
        SignerRow::new("B", "BEA@example.com"),
    ];
    let errors = signer_errors(&rows);
    let first = errors[0].clone().unwrap();
    assert!(first.message.contains("name") && !first.email);
    let second = errors[1].clone().unwrap();
    assert!(second.message.contains("email") && second.email);
    assert_eq!(errors[2], None, "the first row has no valid email to clash with");
    let twice = vec![SignerRow::new("A", "a@x.io"), SignerRow::new("B", "A@X.io")];
    assert!(signer_errors(&twice)[1].clone().unwrap().message.contains("twice"));

    assert!(signers_request(&[SignerRow::default()]).unwrap_err().contains("Add a signer"));
    assert!(signers_request(&[]).is_err());
    let many: Vec<SignerRow> = (0..11).map(|i| SignerRow::new("N", format!("n{i}@x.io"))).collect();
    assert!(signers_request(&many).unwrap_err().contains("at most 10"));
}

#[test]
fn the_send_dialog_picks_a_template_and_waits_for_its_preview() {
    let dialog = SendDialog::new(SignatureProviderKind::DropboxSign, Some("Bea".into()), true);
    assert_eq!(dialog.signers, vec![SignerRow::new("Bea", "")]);
    assert!(!dialog.signers_ready);
    assert!(dialog.apply(SendAction::PrefillFailed).signers_ready);
    assert_eq!(dialog.blocker().as_deref(), Some("Choose a template"));
    let dialog = dialog.apply(SendAction::Templates(Ok(vec![template(10, "NDA", true), template(11, "MSA", false)])));
    assert_eq!(dialog.template, Some(id(10)));
    assert!(dialog.blocker().unwrap().contains("rendering"));
    let dialog = dialog.apply(SendAction::Prefill(SignerRow::new("Bea Contact", "bea@example.com")));
    assert_eq!(dialog.signers, vec![SignerRow::new("Bea Contact", "bea@example.com")]);
    assert!(dialog.signers_ready);
    // A stale preview (another template) is ignored.
    let dialog = dialog.apply(SendAction::Preview(id(11), Ok(preview())));
    assert_eq!(dialog.preview, None);
    let dialog = dialog.apply(SendAction::Preview(id(10), Ok(preview())));
    assert!(dialog.can_send());
    let request = dialog.request(id(1)).unwrap();
    assert_eq!(request.template_id, id(10));
    assert_eq!(request.provider, SignatureProviderKind::DropboxSign);
    assert_eq!(request.signers.len(), 1);

    // Changing the template renders again.
    let other = dialog.apply(SendAction::Template(id(11)));
    assert_eq!(other.preview, None);
    assert!(!other.can_send());
    // The same template keeps its preview.
    assert!(dialog.apply(SendAction::Template(id(10))).can_send());
}

#[test]
fn missing_fields_and_bad_signers_stop_sending() {
    let base = SendDialog::new(SignatureProviderKind::DocuSign, None, false)
        .apply(SendAction::Templates(Ok(vec![template(10, "NDA", true)])))
        .apply(SendAction::SignerName(0, "Bea".into()))
        .apply(SendAction::SignerEmail(0, "bea@example.com".into()));
    let missing = ContractPreview { missing: vec!["sender.company".into()], ..preview() };
    assert!(needs_sender(&missing));
    let dialog = base.apply(SendAction::Preview(id(10), Ok(missing)));
    assert!(dialog.blocker().unwrap().contains("lacks fields"));
    let broken = ContractPreview { error: Some("line 3: unclosed delimiter".into()), pages: vec![], ..preview() };
    assert!(base.apply(SendAction::Preview(id(10), Ok(broken))).blocker().unwrap().contains("does not render"));
    // A failed preview call does not block: the core checks again on Send.
    assert!(base.apply(SendAction::Preview(id(10), Err("offline".into()))).can_send());

    let ok = base.apply(SendAction::Preview(id(10), Ok(preview())));
    assert!(ok.can_send());
    let bad = ok.apply(SendAction::SignerEmail(0, "bea@".into()));
    assert_eq!(bad.blocker().as_deref(), Some("Not an email address"));
    let none = ok.apply(SendAction::RemoveSigner(0));
    assert!(none.blocker().unwrap().contains("Add a signer"));
    let added = none.apply(SendAction::AddSigner);
    assert_eq!(added.signers.len(), 1);
    // Problems show once the row is left, and follow their rows when one goes.
    let typing = ok
        .apply(SendAction::AddSigner)
        .apply(SendAction::SignerName(1, "Cy".into()))
        .apply(SendAction::SignerEmail(1, "cy@".into()));
    assert_eq!(typing.shown_errors(), vec![None, None]);
    let left = typing.apply(SendAction::SignerLeft(1));
    assert_eq!(left.shown_errors()[1].clone().map(|e| e.email), Some(true));
    let shifted = left.apply(SendAction::RemoveSigner(0));
    assert_eq!(shifted.checked.iter().copied().collect::<Vec<_>>(), vec![0]);
    assert!(shifted.shown_errors()[0].is_some());
    // Edited signers are not overwritten by a late prefill.
    assert_eq!(ok.apply(SendAction::Prefill(SignerRow::new("X", "x@x.io"))).signers, ok.signers);
    let sending = ok.apply(SendAction::Sending);
    assert!(!sending.can_send());
    let failed = sending.apply(SendAction::SendFailed("DocuSign is not connected".into()));
    assert!(failed.can_send());
    assert_eq!(failed.error.as_deref(), Some("DocuSign is not connected"));
    assert_eq!(failed.apply(SendAction::Provider(SignatureProviderKind::DropboxSign)).error, None);
}

#[test]
fn the_card_updates_one_contract_and_asks_for_a_void_reason() {
    let view = ContractsView::default()
        .apply(ContractsAction::Contracts(Ok(vec![
            contract(2, ContractStatus::Sent),
            contract(3, ContractStatus::Queued),
        ])))
        .apply(ContractsAction::Busy(id(2)));
    assert!(view.busy.contains(&id(2)));
    let view = view.apply(ContractsAction::Updated(Box::new(contract(2, ContractStatus::Completed))));
    assert!(view.busy.is_empty());
    let list = view.contracts.clone().unwrap().unwrap();
    assert_eq!((list.len(), list[0].status), (2, ContractStatus::Completed));
    let view = view.apply(ContractsAction::Updated(Box::new(contract(4, ContractStatus::Queued))));
    assert_eq!(view.contracts.clone().unwrap().unwrap()[0].id, id(4));

    let view = view.apply(ContractsAction::OpenVoid(id(3), "NDA".into()));
    let ask = view.void.clone().unwrap();
    assert!(ask.checked_reason().unwrap_err().contains("reason"));
    let view = view.apply(ContractsAction::VoidReason("  Wrong amount ".into()));
    assert_eq!(view.void.clone().unwrap().checked_reason().unwrap(), "Wrong amount");
    let long = view.apply(ContractsAction::VoidReason("x".repeat(201)));
    assert!(long.void.unwrap().checked_reason().is_err());
    let failed = view.apply(ContractsAction::VoidBusy).apply(ContractsAction::VoidFailed("no".into()));
    assert_eq!(failed.void.clone().unwrap().error.as_deref(), Some("no"));
    assert!(!failed.void.unwrap().busy);
    assert_eq!(view.apply(ContractsAction::CloseVoid).void, None);

    let view = view.apply(ContractsAction::OpenPdf(id(2), "NDA".into()));
    let pdf = ContractPdf { file_name: "a.pdf".into(), base64: String::new(), pages: vec!["<svg/>".into()] };
    let stale = view.apply(ContractsAction::PdfLoaded(id(3), Ok(pdf.clone())));
    assert_eq!(stale.pdf.unwrap().pdf, None);
    let loaded = view.apply(ContractsAction::PdfLoaded(id(2), Ok(pdf)));
    assert!(matches!(loaded.pdf.unwrap().pdf, Some(Ok(_))));
}

#[test]
fn settings_are_checked_before_saving() {
    let s = status();
    let form = EsignForm::of(&s);
    let save = form.validate().unwrap();
    assert_eq!((save.poll_minutes, save.dropbox_sign_api_key.clone()), (15, None));
    let typed = form.edit(EsignEdit::DropboxKey("  key_123  ".into())).edit(EsignEdit::SenderName(" Ada ".into()));
    let save = typed.validate().unwrap();
    assert_eq!(save.dropbox_sign_api_key.as_deref(), Some("key_123"));
    assert_eq!(save.sender_name, "Ada");

    let bad = form
        .edit(EsignEdit::PollMinutes("5".into()))
        .edit(EsignEdit::SenderCompany("a\nb".into()))
        .edit(EsignEdit::DropboxKey("two words".into()));
    let errors = bad.validate().unwrap_err();
    assert!(errors.poll_minutes.is_some() && errors.sender_company.is_some() && errors.dropbox_sign_key.is_some());
    assert_eq!(errors.messages().len(), 3);
    assert!(form.edit(EsignEdit::PollMinutes("1441".into())).validate().is_err());
    assert!(form.edit(EsignEdit::PollMinutes("sixty".into())).validate().is_err());
    assert_eq!(form.edit(EsignEdit::PollMinutes(" 60 ".into())).validate().unwrap().poll_minutes, 60);
}

#[test]
fn the_settings_view_keeps_edits_across_reloads() {
    let s = status();
    let view = EsignSettingsView::default().apply(EsignAction::Loaded(Ok(Box::new(s.clone()))));
    assert!(!view.dirty());
    let view = view.apply(EsignAction::Edit(EsignEdit::SenderName("Bo".into())));
    assert!(view.dirty());
    let connected = EsignStatus { dropbox_sign_key_set: true, ..s.clone() };
    let view = view.apply(EsignAction::Connecting).apply(EsignAction::LoginStarted("https://x".into()));
    let view = view.apply(EsignAction::Loaded(Ok(Box::new(connected))));
    assert_eq!(view.form.clone().unwrap().sender_name, "Bo");
    assert_eq!(view.authorize_url, None, "DocuSign is connected: the sign-in is over");
    let view = view.apply(EsignAction::Discard);
    assert!(!view.dirty());
    let invalid = view.apply(EsignAction::Edit(EsignEdit::PollMinutes("1".into())));
    let invalid = invalid.apply(EsignAction::Invalid(invalid.form.clone().unwrap().validate().unwrap_err()));
    assert!(!invalid.errors.is_empty());
    let fixed = invalid.apply(EsignAction::Edit(EsignEdit::PollMinutes("30".into())));
    assert!(fixed.errors.is_empty(), "messages clear as the user fixes things");
    let failed = fixed.apply(EsignAction::Connecting).apply(EsignAction::LoginFailed("denied".into()));
    assert_eq!((failed.connecting, failed.login_error.as_deref()), (false, Some("denied")));
}

#[test]
fn template_drafts_are_checked() {
    let t = template(10, "NDA", true);
    let draft = ContractDraft::of(&t);
    assert!(!draft.changed_from(Some(&t)));
    assert!(ContractDraft::blank().changed_from(None));
    let save = ContractDraft { name: "  NDA 2 ".into(), ..draft.clone() }.validate().unwrap();
    assert_eq!((save.id, save.name.as_str()), (Some(id(10)), "NDA 2"));
    let errors = ContractDraft { name: " ".into(), body: "\n".into(), ..draft.clone() }.validate().unwrap_err();
    assert!(errors.name.is_some() && errors.body.is_some());
    let copy = ContractDraft::copy_of(&t);
    assert_eq!((copy.id, copy.name.as_str(), copy.builtin), (None, "Copy of NDA", false));
    let blank = ContractDraft::blank();
    assert!(blank.body.contains("#signatures()"));
    assert!(ContractDraft { name: "x".into(), ..blank }.validate().is_ok());
}

#[test]
fn merge_fields_filter_by_name_then_label() {
    let field = |name: &str, label: &str, value: Option<&str>| ContractField {
        name: name.into(),
        label: label.into(),
        value: value.map(str::to_string),
    };
    let fields = vec![
        field("deal.title", "Deal title", Some("Big deal")),
        field("contact.name", "Contact's full name", None),
        field("company.name", "Company name", Some("Acme")),
        field("sender.name", "Your name", Some(&"x".repeat(60))),
    ];
    let names = |q: &str| filter_contract_fields(&fields, q).iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    assert_eq!(names("co"), vec!["contact.name", "company.name"]);
    assert_eq!(names("name"), vec!["contact.name", "company.name", "sender.name"]);
    assert_eq!(names("title"), vec!["deal.title"]);
    assert_eq!(names("your"), vec!["sender.name"]);
    assert_eq!(names("").len(), 4);
    assert_eq!(field_value_text(&fields[1]), "no value on this deal");
    assert_eq!(field_value_text(&fields[0]), "Big deal");
    assert!(field_value_text(&fields[3]).ends_with('…'));
    assert_eq!(field_value_text(&fields[3]).chars().count(), 48);
}

#[test]
fn shipped_templates_come_first() {
    let sorted = sorted_templates(&[template(1, "zeta", false), template(2, "NDA", true), template(3, "alpha", false)]);
    let names: Vec<&str> = sorted.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["NDA", "alpha", "zeta"]);
}
