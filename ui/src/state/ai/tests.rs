use super::*;
use dealdesk_model::outbox::OutboxStatus;

fn record() -> RecordRef {
    RecordRef { kind: RecordKind::Person, id: Uuid::from_u128(0x0190_a1b2_0000_0000_0000_0000_0000_0001) }
}

fn result(id: i64, output: AiOutput) -> AiResult {
    AiResult {
        id,
        record: record(),
        output,
        created_at: "2026-11-26T10:00:00Z".into(),
        model: "gpt-4o-mini".into(),
        workflow_run: None,
    }
}

fn call(action: AiAction) -> AiCallView {
    AiCallView {
        id: 7,
        at: "2026-11-26T10:00:00Z".into(),
        provider: AiProviderKind::OpenAi,
        model: "gpt-4o-mini".into(),
        action,
        record: Some(record()),
        tokens_in: 1200,
        tokens_out: 80,
        cost_micros: 228,
        latency_ms: 850,
        outcome: dealdesk_model::ai::AiCallOutcome::Ok,
        error: None,
    }
}

fn insights() -> AiInsights {
    AiInsights { enabled: true, ..Default::default() }
}

#[test]
fn money_has_four_decimals_under_a_dollar() {
    assert_eq!(usd(12_300), "$0.0123");
    assert_eq!(usd(0), "$0.0000");
    assert_eq!(usd(49), "$0.0000");
    assert_eq!(usd(50), "$0.0001");
    assert_eq!(usd(999_900), "$0.9999");
    assert_eq!(usd(999_960), "$1.00");
    assert_eq!(usd(1_000_000), "$1.00");
    assert_eq!(usd(12_345_678), "$12.35");
    assert_eq!(usd(-12_300), "-$0.0123");
    assert_eq!(dollars_input(150_000), "0.15");
    assert_eq!(dollars_input(10_000_000), "10.00");
    assert_eq!(parse_dollars(" $2.50 "), Ok(2_500_000));
    assert!(parse_dollars("-1").unwrap_err().contains("negative"));
    assert!(parse_dollars("ten").unwrap_err().contains("not an amount"));
}

#[test]
fn badges_read_and_colour_by_band() {
    assert_eq!(lead_score_text(82), "Lead score 82");
    assert_eq!(ScoreBand::of(82), ScoreBand::Good);
    assert_eq!(ScoreBand::of(70), ScoreBand::Good);
    assert_eq!(ScoreBand::of(69), ScoreBand::Medium);
    assert_eq!(ScoreBand::of(40), ScoreBand::Medium);
    assert_eq!(ScoreBand::of(39), ScoreBand::Low);
    assert_eq!(ScoreBand::of(0).as_str(), "low");
    assert_eq!(ScoreBand::Medium.tone(), StatusTone::Warning);
    assert_eq!(sentiment_text(SentimentLabel::Positive, 0.6), "Positive +0.60");
    assert_eq!(sentiment_text(SentimentLabel::Negative, -0.25), "Negative -0.25");
    assert_eq!(sentiment_text(SentimentLabel::Neutral, 0.0), "Neutral +0.00");
    assert_eq!(latency_text(850), "850 ms");
    assert_eq!(latency_text(1_234), "1.2 s");
    assert_eq!(
        over_budget_question(10_500_000, 10_000_000),
        "This month's AI spend is $10.50 of a $10.00 budget. Run anyway?"
    );
}

#[test]
fn a_run_ends_done_queued_over_budget_or_failed() {
    let card = AiCard::default().apply(CardAction::Insights(Ok(Box::new(insights()))));
    assert!(card.can_run());
    let card = card.apply(CardAction::Instructions("  be brief ".into()));
    let request = card.request(AiAction::ScoreLead, record());
    assert_eq!(request.instructions.as_deref(), Some("be brief"));
    assert!(!request.allow_over_budget);

    let running = card.apply(CardAction::Started(AiAction::ScoreLead));
    assert!(!running.can_run());
    assert_eq!(running.running, Some(AiAction::ScoreLead));

    // Done: the score shows at once.
    let score = result(1, AiOutput::LeadScore { score: 82, reasons: vec!["CTO".into()] });
    let done = running.apply(CardAction::Finished(
        request.clone(),
        Ok(AiRunOutcome::Done { result: Box::new(score.clone()), call: Box::new(call(AiAction::ScoreLead)) }),
    ));
    assert!(done.can_run());
    assert_eq!(done.insights.clone().unwrap().unwrap().lead_score, Some(score));
    assert!(done.last_shown_in_full());

    // Queued: listed under the card.
    let op = PendingOperation {
        outbox_id: 9,
        summary: "Score lead".into(),
        status: OutboxStatus::Pending,
        last_error: None,
    };
    let queued =
        running.apply(CardAction::Finished(request.clone(), Ok(AiRunOutcome::Queued { operation: op.clone() })));
    assert_eq!(queued.insights.clone().unwrap().unwrap().queued, vec![op.clone()]);
    assert_eq!(queued.last, Some(LastRun::Queued { action: AiAction::ScoreLead, operation: op }));

    // Over budget: ask, then send the same request confirmed.
    let asking = running.apply(CardAction::Finished(
        request.clone(),
        Ok(AiRunOutcome::OverBudget { month_cost_micros: 12_000_000, budget_micros: 10_000_000 }),
    ));
    let ask = asking.over_budget.clone().unwrap();
    assert!(!asking.can_run());
    assert_eq!(ask.question(), "This month's AI spend is $12.00 of a $10.00 budget. Run anyway?");
    assert_eq!(ask.confirmed(), AiRunRequest { allow_over_budget: true, ..request.clone() });
    let confirmed = asking.apply(CardAction::ConfirmOverBudget);
    assert_eq!((confirmed.running, confirmed.over_budget.clone()), (Some(AiAction::ScoreLead), None));
    assert!(asking.apply(CardAction::CancelOverBudget).can_run());

    // Failed: the message stays in the card.
    let failed = running.apply(CardAction::Finished(
        request,
        Err(ApiError::new(dealdesk_model::ErrorCode::Internal, "the provider answered 401")),
    ));
    assert_eq!(failed.error.as_deref(), Some("the provider answered 401"));
    assert!(failed.can_run());
}

#[test]
fn unread_drafts_edit_and_leave() {
    let draft = result(5, AiOutput::EmailDraft { subject: "Hello".into(), body: "Body".into() });
    let text = result(4, AiOutput::Text { text: "Summary".into() });
    let mut i = insights();
    i.unread = vec![draft.clone(), text.clone()];
    let card = AiCard::default().apply(CardAction::Insights(Ok(Box::new(i.clone()))));
    assert_eq!(card.draft_text(&draft), Some(("Hello".into(), "Body".into())));
    assert_eq!(card.draft_text(&text), None);
    let card = card.apply(CardAction::Subject(5, "Hi".into())).apply(CardAction::Body(5, "New body".into()));
    assert_eq!(card.draft_text(&draft), Some(("Hi".into(), "New body".into())));
    // A reload keeps the edits of drafts still unread.
    let card = card.apply(CardAction::Insights(Ok(Box::new(i))));
    assert_eq!(card.draft_text(&draft), Some(("Hi".into(), "New body".into())));
    // Opening it in the mail client failed: the card says why and the draft stays as edited.
    let refused = card.apply(CardAction::Error("Cannot open the mail client: \"a@\" is not an email address".into()));
    assert_eq!(refused.error.as_deref(), Some("Cannot open the mail client: \"a@\" is not an email address"));
    assert_eq!(refused.draft_text(&draft), Some(("Hi".into(), "New body".into())));
    assert_eq!(refused.apply(CardAction::DismissError).error, None);
    // Saving a text as a note failed: it stays unread and can be tried again.
    let failed = card.apply(CardAction::ResultBusy(4)).apply(CardAction::ResultFailed(4, "Cannot save".into()));
    assert!(failed.busy.is_empty() && failed.unread().len() == 2);
    assert_eq!(failed.error.as_deref(), Some("Cannot save"));
    let card = card.apply(CardAction::ResultBusy(5)).apply(CardAction::ResultGone(5));
    assert_eq!(card.unread(), std::slice::from_ref(&text));
    assert!(card.drafts.is_empty() && card.busy.is_empty());
    // A result that waits in the unread list is not repeated in full above it.
    let done = card.apply(CardAction::Finished(
        card.request(AiAction::GenerateText, record()),
        Ok(AiRunOutcome::Done { result: Box::new(text.clone()), call: Box::new(call(AiAction::GenerateText)) }),
    ));
    assert!(!done.last_shown_in_full());
    assert_eq!(done.unread().len(), 1);
    // AI off: nothing runs.
    let off = AiCard::default().apply(CardAction::Insights(Ok(Box::default())));
    assert!(!off.can_run());
    // A failed reload keeps what is shown.
    let kept = done.apply(CardAction::Insights(Err("gone".into())));
    assert!(matches!(kept.insights, Some(Ok(_))));
}

fn form() -> AiSettingsForm {
    AiSettingsForm::of(&AiSettings::default())
}

#[test]
fn settings_round_trip_through_the_form() {
    let settings = AiSettings { monthly_budget_micros: Some(25_000_000), ..Default::default() };
    let form = AiSettingsForm::of(&settings);
    assert_eq!(form.budget, "25.00");
    assert_eq!(form.prices[0], PriceRow { model: "gpt-4o-mini*".into(), input: "0.15".into(), output: "0.60".into() });
    let save = form.validate().unwrap();
    assert_eq!(save.settings, settings);
    assert_eq!((save.api_key, save.clear_api_key), (None, false));
    let with_key = AiSettingsForm { api_key: " sk-123 ".into(), budget: String::new(), ..form.clone() };
    let save = with_key.validate().unwrap();
    assert_eq!(save.api_key.as_deref(), Some("sk-123"));
    assert_eq!(save.settings.monthly_budget_micros, None);
    let clear = AiSettingsForm { clear_api_key: true, ..with_key };
    let save = clear.validate().unwrap();
    assert_eq!((save.api_key, save.clear_api_key), (None, true));
    assert_eq!(key_text(true, &clear), "The stored key is removed when you save.");
    assert_eq!(key_text(true, &form), "A key is stored in the OS keyring.");
}

#[test]
fn form_edits_touch_one_field() {
    let f = form()
        .edit(FormEdit::AddPrice)
        .edit(FormEdit::PriceModel(6, "llama3*".into()))
        .edit(FormEdit::PriceInput(6, "0".into()))
        .edit(FormEdit::PriceOutput(6, "0".into()))
        .edit(FormEdit::RemovePrice(0))
        .edit(FormEdit::Budget("5".into()))
        .edit(FormEdit::Provider(AiProviderKind::Anthropic));
    assert_eq!(f.prices.len(), 6);
    assert_eq!(f.prices[5], PriceRow { model: "llama3*".into(), input: "0".into(), output: "0".into() });
    assert_eq!(f.model, "claude-3-5-haiku-latest");
    assert_eq!(f.validate().unwrap().settings.monthly_budget_micros, Some(5_000_000));
    let key = f.edit(FormEdit::ClearKey(true));
    assert!(key.clear_api_key);
    let typed = key.edit(FormEdit::ApiKey("sk-new".into()));
    assert!(!typed.clear_api_key);
    assert_eq!(typed.edit(FormEdit::ClearKey(true)).api_key, "");
    assert_eq!(f.edit(FormEdit::RemovePrice(99)), f);
    // Fixing a field clears its message.
    let v = AiSettingsView { form: Some(form()), ..Default::default() }
        .apply(SettingsAction::Edit(FormEdit::TimeoutSecs("0".into())));
    let v = v.apply(SettingsAction::Invalid(v.form.as_ref().unwrap().validate().unwrap_err()));
    assert!(v.errors.timeout_secs.is_some());
    let v = v.apply(SettingsAction::Edit(FormEdit::TimeoutSecs("30".into())));
    assert!(v.errors.is_empty());
}

#[test]
fn switching_provider_proposes_its_defaults_only_over_defaults() {
    let f = form().with_provider(AiProviderKind::Anthropic);
    assert_eq!((f.base_url.as_str(), f.model.as_str()), ("https://api.anthropic.com", "claude-3-5-haiku-latest"));
    let back = f.with_provider(AiProviderKind::OpenAi);
    assert_eq!((back.base_url.as_str(), back.model.as_str()), ("https://api.openai.com/v1", "gpt-4o-mini"));
    let custom = AiSettingsForm { base_url: "http://localhost:11434/v1".into(), model: "llama3".into(), ..form() };
    let kept = custom.with_provider(AiProviderKind::Anthropic);
    assert_eq!((kept.base_url.as_str(), kept.model.as_str()), ("http://localhost:11434/v1", "llama3"));
    let empty = AiSettingsForm { model: " ".into(), ..custom }.with_provider(AiProviderKind::Anthropic);
    assert_eq!(empty.model, "claude-3-5-haiku-latest");
}

#[test]
fn settings_are_checked_with_clear_messages() {
    let bad = AiSettingsForm {
        base_url: "api.openai.com".into(),
        model: "".into(),
        api_key: "sk 1".into(),
        max_requests_per_minute: "-1".into(),
        timeout_secs: "0".into(),
        max_output_tokens: "lots".into(),
        budget: "-5".into(),
        prices: vec![
            PriceRow { model: "".into(), input: "1".into(), output: "1".into() },
            PriceRow { model: "a*b".into(), input: "1".into(), output: "1".into() },
            PriceRow { model: "m".into(), input: "x".into(), output: "1".into() },
            PriceRow { model: "m".into(), input: "1".into(), output: "1".into() },
            PriceRow { model: "n".into(), input: "1".into(), output: "-1".into() },
        ],
        ..form()
    };
    let e = bad.validate().unwrap_err();
    assert_eq!(e.base_url.as_deref(), Some("The base URL must start with http:// or https://"));
    assert_eq!(e.model.as_deref(), Some("Enter a model name, e.g. gpt-4o-mini"));
    assert!(e.api_key.is_some());
    assert!(e.max_requests_per_minute.as_deref().unwrap().contains("0 or more"));
    assert!(e.timeout_secs.as_deref().unwrap().contains("from 1 to 3600"));
    assert!(e.max_output_tokens.is_some());
    assert!(e.budget.as_deref().unwrap().contains("cannot be negative"));
    assert!(e.prices[&0].contains("enter a model name"));
    assert!(e.prices[&1].contains("a * may only end a prefix"));
    assert!(e.prices[&2].contains("the input price “x” is not an amount"));
    assert!(e.prices[&3].contains("listed twice"));
    assert!(e.prices[&4].contains("output price cannot be negative"));
    assert_eq!(e.messages().len(), 12);
    let host = AiSettingsForm { base_url: "https:///v1".into(), ..form() }.validate().unwrap_err();
    assert!(host.base_url.unwrap().contains("needs a host"));
    let spaces = AiSettingsForm { base_url: "http://a b".into(), ..form() }.validate().unwrap_err();
    assert!(spaces.base_url.unwrap().contains("spaces"));
    let trailing = AiSettingsForm { base_url: "http://localhost:11434/v1/".into(), ..form() }.validate().unwrap();
    assert_eq!(trailing.settings.base_url, "http://localhost:11434/v1");
    let dup = AiSettingsForm {
        prices: vec![
            PriceRow { model: "m".into(), input: "1".into(), output: "1".into() },
            PriceRow { model: "m".into(), input: "1".into(), output: "1".into() },
        ],
        ..form()
    };
    assert_eq!(dup.validate().unwrap_err().prices[&1], "Price row 2: m is listed twice");
}

#[test]
fn the_settings_view_keeps_edits_across_reloads() {
    let status = |model: &str| AiStatus {
        settings: AiSettings { model: model.into(), ..Default::default() },
        effective: AiSettings { model: "env-model".into(), ..Default::default() },
        env_overrides: vec!["DEALDESK_AI_MODEL".into()],
        has_api_key: false,
        disabled_by_env: false,
        month_cost_micros: 0,
        over_budget: false,
    };
    let v = AiSettingsView::default().apply(SettingsAction::Loaded(Ok(Box::new(status("a")))));
    assert!(!v.dirty());
    assert_eq!(v.form.as_ref().unwrap().model, "a");
    let v = v.apply(SettingsAction::Loaded(Ok(Box::new(status("b")))));
    assert_eq!(v.form.as_ref().unwrap().model, "b");
    let v = v.apply(SettingsAction::Edit(FormEdit::Model("mine".into())));
    assert!(v.dirty());
    let undone = v.apply(SettingsAction::Discard);
    assert!(!undone.dirty());
    let v = v.apply(SettingsAction::Loaded(Ok(Box::new(status("c")))));
    assert_eq!(v.form.as_ref().unwrap().model, "mine");
    let v = v.apply(SettingsAction::Saving).apply(SettingsAction::Saved(Box::new(status("mine"))));
    assert!(!v.saving && !v.dirty());
    let s = status("a");
    assert_eq!(effective_differences(&s.settings, &s.effective), vec![("Model", "env-model".to_string())]);
    let v = v.apply(SettingsAction::Testing);
    assert!(v.testing);
    let v = v.apply(SettingsAction::Tested(Err("timeout".into())));
    assert_eq!((v.testing, v.test), (false, Some(Err("timeout".into()))));
}

#[test]
fn usage_rows_for_charts_and_tables() {
    let row = |key: &str, calls, failed, cost| AiUsageRow {
        key: key.into(),
        calls,
        failed,
        tokens_in: 0,
        tokens_out: 0,
        cost_micros: cost,
    };
    assert_eq!(day_label("2026-11-06"), "6");
    assert_eq!(day_label("total"), "total");
    let rows = [row("2026-11-05", 3, 1, 12_300), row("2026-11-06", 0, 0, 0)];
    assert_eq!(calls_per_day(&rows)[0], ("5".into(), 3.0, "3 calls, 1 failed on 2026-11-05".into()));
    assert_eq!(cost_per_day(&rows)[0], ("5".into(), 12_300.0, "$0.0123 on 2026-11-05".into()));
    assert_eq!(budget_text(2_500_000, Some(10_000_000)), "$2.50 of a $10.00 budget (25%)");
    assert_eq!(budget_text(12_300, None), "$0.0123 · no budget");
    assert_eq!(budget_percent(15_000_000, 10_000_000), Some(150));
    assert_eq!(budget_percent(1, 0), None);
    assert_eq!(action_label("score-lead"), "Score lead");
    assert_eq!(action_label("other"), "other");
    assert_eq!(record_text(&record()), "Person 0190a1b2");
}

fn template(action: AiAction, name: &str, active: bool) -> PromptTemplate {
    PromptTemplate {
        id: Uuid::from_u128(name.len() as u128),
        version: 2,
        action,
        name: name.into(),
        system: "You are helpful.".into(),
        user: "Score {{person.first_name}}".into(),
        builtin: false,
        active,
        created_at: "2026-11-26T10:00:00Z".into(),
    }
}

#[test]
fn templates_group_by_action_with_the_active_first() {
    let groups = group_templates(&[
        template(AiAction::ScoreLead, "b", false),
        template(AiAction::ScoreLead, "Default", true),
        template(AiAction::ScoreLead, "a", false),
    ]);
    assert_eq!(groups.len(), 4);
    assert_eq!(groups[0].0, AiAction::GenerateText);
    assert!(groups[0].1.is_empty());
    let names: Vec<_> = groups[2].1.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Default", "a", "b"]);
    assert_eq!(natural_kind(AiAction::DraftEmail), RecordKind::Person);
}

#[test]
fn template_drafts_save_versions_and_restore() {
    let t = template(AiAction::ScoreLead, "Mine", true);
    let draft = TemplateDraft::of(&t);
    assert!(!draft.changed_from(&t));
    let save = draft.validate().unwrap();
    assert_eq!(save.id, Some(t.id));
    let copy = TemplateDraft::new_for(AiAction::ScoreLead, Some(&t));
    assert_eq!((copy.id, copy.name.as_str()), (None, "Copy of Mine"));
    let empty = TemplateDraft { name: " ".into(), user: "\n".into(), ..draft };
    let e = empty.validate().unwrap_err();
    assert_eq!(e.name.as_deref(), Some("Name the template"));
    assert!(e.user.is_some());
    assert_eq!(restore_request(&t).id, Some(t.id));
    assert_eq!(restore_request(&t).user, t.user);
    assert_eq!(
        unknown_fields_text(&["deal.amount".into()], RecordKind::Person).as_deref(),
        Some("Not a field of a person: {{deal.amount}} (rendered empty)")
    );
    assert_eq!(unknown_fields_text(&[], RecordKind::Person), None);
}

#[test]
fn merge_fields_complete_after_two_braces() {
    let text = "Hello {{person.fi";
    let q = merge_query(text, text.len()).unwrap();
    assert_eq!(q, MergeQuery { start: 6, query: "person.fi".into() });
    assert_eq!(merge_query("Hello {{", 8), Some(MergeQuery { start: 6, query: String::new() }));
    assert_eq!(merge_query("{{a}} b", 7), None);
    assert_eq!(merge_query("{{a b", 5), None);
    assert_eq!(merge_query("no braces", 3), None);
    let (next, at) = insert_field(text, &q, text.len(), "person.first_name");
    assert_eq!(next, "Hello {{person.first_name}}");
    assert_eq!(at, next.len());
    // A closing pair already there is not doubled; text after it stays.
    let text = "Hi {{pe}}, bye";
    let q = merge_query(text, 7).unwrap();
    let (next, at) = insert_field(text, &q, 7, "person.email");
    assert_eq!(next, "Hi {{person.email}}, bye");
    assert_eq!(&next[at..], ", bye");
    let field = |name: &str| MergeField { name: name.into(), description: String::new() };
    let fields = [field("notes"), field("person.first_name"), field("person.email"), field("company.name")];
    let names: Vec<_> = filter_fields(&fields, "na").iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["person.first_name", "company.name"]);
    assert_eq!(filter_fields(&fields, "").len(), 4);
    let menu = MergeMenu::at("{{", 2);
    assert!(menu.open.is_some());
    assert_eq!(menu.moved(false, 4).selected, 3);
    assert_eq!(menu.moved(true, 4).moved(true, 4).selected, 2);
}

#[test]
fn cursors_convert_between_utf16_and_bytes() {
    let text = "Grüße 😀 {{";
    let utf16 = text.encode_utf16().count();
    assert_eq!(byte_index(text, utf16), text.len());
    assert_eq!(utf16_index(text, text.len()), utf16);
    assert_eq!(byte_index(text, 2), 2);
    assert_eq!(byte_index(text, 3), 4); // after "ü" (2 bytes, 1 unit)
    assert_eq!(utf16_index(text, 4), 3);
    let emoji = text.find('😀').unwrap();
    assert_eq!(utf16_index(text, emoji + 4), utf16_index(text, emoji) + 2);
    assert!(merge_query(text, byte_index(text, utf16)).is_some());
}
