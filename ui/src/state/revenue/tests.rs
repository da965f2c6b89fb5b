use super::*;
use chrono::Duration;
use dealdesk_model::outbox::{MessageRecipient, WhopAction};

fn month(month: &str, currency: &str, mrr: i64) -> MrrMonth {
    MrrMonth { month: month.into(), currency: currency.into(), mrr_micros: mrr, ..MrrMonth::default() }
}

fn item() -> RecoverItem {
    RecoverItem {
        membership_id: Some("mem_1".into()),
        membership_status: Some("past_due".into()),
        payment_id: Some("pay_1".into()),
        customer: "Ada Lovelace".into(),
        product_id: Some("prod_1".into()),
        product_title: Some("Pro".into()),
        plan_id: Some("plan_1".into()),
        plan_title: Some("Monthly".into()),
        amount_micros: 49_000_000,
        currency: Some("usd".into()),
        failure_message: Some("Your card was declined.".into()),
        attempts: 2,
        retryable: true,
        ..RecoverItem::default()
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

#[test]
fn amounts_and_currencies_name_the_cross_currency_total() {
    assert_eq!(amount(1_234_500_000, "eur"), "EUR 1234.50");
    assert_eq!(amount(2_000_000, ALL_IN_USD), "USD 2.00", "Whop's USD amounts read as USD, not USD*");
    assert_eq!(currency_label(ALL_IN_USD), "USD (all currencies, Whop's USD amounts)");
    assert_eq!(currency_label("eur"), "EUR");
    let totals = [
        CurrencyTotal { currency: "USD".into(), micros: 120_000_000, count: 3 },
        CurrencyTotal { currency: "EUR".into(), micros: 40_000_000, count: 1 },
    ];
    assert_eq!(totals_text(&totals), "USD 120.00 · EUR 40.00");
    assert_eq!(totals_text(&[]), "—");
}

#[test]
fn rates_are_percentages_with_one_decimal() {
    assert_eq!(rate_text(Some(0.042)), "4.2 %");
    assert_eq!(rate_text(Some(1.0)), "100.0 %");
    assert_eq!(rate_text(Some(0.0)), "0.0 %");
    assert_eq!(rate_text(None), "—");
    assert_eq!(rate_text(Some(f64::NAN)), "—");
}

#[test]
fn months_read_as_names_and_short_axis_labels() {
    assert_eq!(month_label("2026-11"), "November 2026");
    assert_eq!(month_label("bogus"), "bogus");
    assert_eq!(month_axis("2026-11", false), "Nov");
    assert_eq!(month_axis("2026-11", true), "Nov ’26");
    assert_eq!(month_axis("2027-01", false), "Jan ’27");
}

#[test]
fn the_chart_keeps_a_chosen_currency_and_otherwise_picks_a_sensible_one() {
    let months = vec![
        month("2026-10", "USD", 1),
        month("2026-10", "EUR", 1),
        month("2026-10", ALL_IN_USD, 2),
        month("2026-11", "USD", 1),
    ];
    let all = currencies(&months);
    assert_eq!(all, ["USD", "EUR", ALL_IN_USD]);
    assert_eq!(chosen_currency(&all, Some("EUR")).as_deref(), Some("EUR"));
    assert_eq!(chosen_currency(&all, None).as_deref(), Some(ALL_IN_USD), "several currencies: the total");
    assert_eq!(chosen_currency(&all, Some("GBP")).as_deref(), Some(ALL_IN_USD), "a gone currency falls back");
    let one = vec!["USD".to_string(), ALL_IN_USD.to_string()];
    assert_eq!(chosen_currency(&one, None).as_deref(), Some("USD"), "one currency: itself");
    assert_eq!(chosen_currency(&[], None), None);
}

#[test]
fn a_series_is_one_currency_oldest_first_and_its_bars_say_what_they_show() {
    let months = vec![month("2026-11", "USD", 300_000_000), month("2026-10", "USD", 100_000_000), {
        let mut m = month("2026-10", "EUR", 5);
        m.customers = 9;
        m
    }];
    let usd = series(&months, "USD");
    assert_eq!(usd.iter().map(|m| m.month.as_str()).collect::<Vec<_>>(), ["2026-10", "2026-11"]);
    let bars = mrr_bars(&usd);
    assert_eq!(bars[0].0, "Oct ’26");
    assert_eq!(bars[1].0, "Nov");
    assert_eq!(bars[1].1, 300_000_000.0);
    assert_eq!(bars[0].2, "October 2026 MRR USD 100.00, 0 customers");
    let eur = series(&months, "EUR");
    assert!(mrr_bars(&eur)[0].2.ends_with("9 customers"));
    assert_eq!(
        chart_summary(&usd, "USD"),
        "MRR per month in USD, October 2026 to November 2026: from USD 100.00 to USD 300.00. The table below lists every month's figures."
    );
    assert_eq!(chart_summary(&[], ALL_IN_USD), "No MRR in USD (all currencies, Whop's USD amounts) yet.");
}

#[test]
fn movement_cells_sign_losses_and_open_only_figures_with_customers() {
    let m = MrrMonth {
        month: "2026-11".into(),
        currency: "USD".into(),
        mrr_micros: 500_000_000,
        new_micros: 98_000_000,
        expansion_micros: 0,
        contraction_micros: 10_000_000,
        churned_micros: 49_000_000,
        reactivated_micros: 0,
        customers: 10,
        new_customers: 2,
        churned_customers: 1,
        reactivated_customers: 0,
    };
    let cells = movement_cells(&m);
    let movements: Vec<Movement> = cells.iter().map(|c| c.movement).collect();
    assert_eq!(
        movements,
        [
            Movement::Active,
            Movement::New,
            Movement::Expansion,
            Movement::Contraction,
            Movement::Churned,
            Movement::Reactivated
        ]
    );
    assert_eq!(cells[0].text, "USD 500.00");
    assert!(cells[0].drillable);
    assert_eq!(cells[1].customers, Some(2));
    assert_eq!(cells[2].text, "—");
    assert!(!cells[2].drillable);
    assert_eq!(cells[3].text, "−USD 10.00");
    assert!(cells[3].drillable, "contraction has no customer count but opens");
    assert_eq!(cells[4].text, "−USD 49.00");
    assert!(!cells[5].drillable);
    assert_eq!(movement_aria(&cells[1], &m.month), "Customers behind New in November 2026: USD 98.00, 2 customers");
    assert_eq!(movement_aria(&cells[4], &m.month), "Customers behind Churned in November 2026: −USD 49.00, 1 customer");
    let empty = movement_cells(&MrrMonth { month: "2026-11".into(), currency: "USD".into(), ..MrrMonth::default() });
    assert_eq!(empty[0].text, "USD 0.00", "the MRR itself shows even at zero");
    assert!(!empty[0].drillable);
}

#[test]
fn drills_name_the_figure_and_show_before_and_after() {
    assert_eq!(drill_title(Movement::Churned, "2026-11", "USD"), "Churned in November 2026 (USD)");
    assert_eq!(
        drill_title(Movement::Active, "2026-11", ALL_IN_USD),
        "Paying customers in November 2026 (USD (all currencies, Whop's USD amounts))"
    );
    let row = DrillRow { before_micros: 0, after_micros: 49_000_000, ..DrillRow::default() };
    assert_eq!(drill_change(&row, "USD"), "USD 0.00 → USD 49.00");
}

#[test]
fn net_revenue_rows_are_one_currency_oldest_first() {
    let row = |m: &str, c: &str| NetRevenueMonth { month: m.into(), currency: c.into(), ..NetRevenueMonth::default() };
    let net = vec![row("2026-11", "USD"), row("2026-10", "EUR"), row("2026-10", "USD")];
    let usd = net_rows(&net, "USD");
    assert_eq!(usd.iter().map(|n| n.month.as_str()).collect::<Vec<_>>(), ["2026-10", "2026-11"]);
    assert!(net_rows(&net, "GBP").is_empty());
}

#[test]
fn cohort_cells_are_percentages_shaded_by_fifths_with_counts_in_the_title() {
    assert_eq!(shade(0.0), 0);
    assert_eq!(shade(1.0), 1);
    assert_eq!(shade(20.0), 1);
    assert_eq!(shade(20.5), 2);
    assert_eq!(shade(75.0), 4);
    assert_eq!(shade(100.0), SHADES);
    assert_eq!(shade(140.0), SHADES);
    assert_eq!(shade(f64::NAN), 0);
    let grid = CohortGrid {
        rows: vec![
            CohortRow { cohort: "2026-09".into(), customers: 40, retained: vec![40, 30, 12] },
            CohortRow { cohort: "2026-11".into(), customers: 0, retained: vec![0] },
        ],
    };
    let width = cohort_width(&grid);
    assert_eq!(width, 3);
    let cells = cohort_cells(&grid.rows[0], width);
    let first = cells[0].clone().unwrap();
    assert_eq!((first.text.as_str(), first.shade), ("100 %", 5));
    let later = cells[2].clone().unwrap();
    assert_eq!((later.text.as_str(), later.shade), ("30 %", 2));
    assert_eq!(later.title, "12 of 40 customers from September 2026 still customers 2 months later");
    assert_eq!((first.month.as_str(), later.month.as_str()), ("2026-09", "2026-11"), "the month each cell counts");
    assert_eq!(cells[1].clone().unwrap().title, "30 of 40 customers from September 2026 still customers 1 month later");
    let young = cohort_cells(&grid.rows[1], width);
    assert_eq!(young[0].clone().unwrap().text, "0 %", "an empty cohort divides by nothing");
    assert_eq!((young[1].clone(), young[2].clone()), (None, None), "months not reached yet are blank");
    assert_eq!(cohort_width(&CohortGrid::default()), 0);
}

#[test]
fn left_out_payments_become_notices_once_each() {
    let unknown = Excluded { reason: ExcludedReason::UnknownCurrency, payments: 3, micros: 0, currency: None };
    assert_eq!(excluded_text(&unknown), "3 payments in an unknown currency are left out of these totals");
    let one =
        Excluded { reason: ExcludedReason::NoPlan, payments: 1, micros: 49_000_000, currency: Some("EUR".into()) };
    assert_eq!(excluded_text(&one), "1 payment whose plan is not synced (EUR 49.00) is left out of MRR");
    let usd = Excluded { reason: ExcludedReason::NoUsdAmount, payments: 2, micros: 0, currency: None };
    assert_eq!(excluded_text(&usd), "2 payments without Whop's USD amount are left out of the USD total");
    let none = Excluded { payments: 0, ..usd.clone() };
    let notices = excluded_notices(&[&[unknown.clone(), none], &[unknown, one]]);
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].starts_with("3 payments"));
}

#[test]
fn ltv_rows_name_product_and_plan() {
    let row = LtvRow { product_id: "prod_1".into(), product_title: Some("Pro".into()), ..LtvRow::default() };
    assert_eq!(ltv_names(&row), ("Pro".to_string(), "All plans".to_string()));
    let plan = LtvRow { plan_id: Some("plan_9".into()), plan_title: Some("  ".into()), product_title: None, ..row };
    assert_eq!(ltv_names(&plan), ("prod_1".to_string(), "plan_9".to_string()));
}

#[test]
fn each_product_is_offered_once_by_name() {
    let row = |id: &str, title: Option<&str>, currency: &str| ProductRevenue {
        business_id: None,
        product_id: id.into(),
        title: title.map(str::to_string),
        currency: currency.into(),
        revenue_micros: 0,
        payments: 1,
    };
    let rows = [
        row("prod_b", Some("beta"), "USD"),
        row("prod_a", Some("Alpha"), "USD"),
        row("prod_b", Some("beta"), "EUR"),
        row("prod_c", None, "USD"),
    ];
    assert_eq!(
        product_options(&rows),
        [
            ("prod_a".to_string(), "Alpha".to_string()),
            ("prod_b".to_string(), "beta".to_string()),
            ("prod_c".to_string(), "prod_c".to_string())
        ]
    );
}

#[test]
fn recover_times_read_from_now() {
    let now = at(0);
    assert_eq!(until_text(&stamp(at(2 * 86_400 + 300)), now), "in 2 days");
    assert_eq!(until_text(&stamp(at(86_400 + 5)), now), "in 1 day");
    assert_eq!(until_text(&stamp(at(5 * 3_600)), now), "in 5 h");
    assert_eq!(until_text(&stamp(at(12 * 60)), now), "in 12 min");
    assert_eq!(until_text(&stamp(at(30)), now), "now");
    assert_eq!(until_text(&stamp(now - Duration::hours(3)), now), "3 h ago");
    assert_eq!(until_text("soon", now), "soon");
    let mut i = item();
    assert_eq!(retry_text(&i, now), "no retry scheduled");
    assert_eq!(cancel_text(&i, now), "not expected");
    i.next_attempt_at = Some(stamp(at(3 * 86_400)));
    i.cancels_at = Some(stamp(at(14 * 86_400)));
    assert_eq!(retry_text(&i, now), "in 3 days");
    assert_eq!(cancel_text(&i, now), "in 14 days");
    assert_eq!(exact_time(Some("2027-01-15T08:00:00Z")).as_deref(), Some("2027-01-15 08:00 UTC"));
}

#[test]
fn recover_rows_say_what_failed() {
    let mut i = item();
    assert_eq!(product_plan(&i), "Pro · Monthly");
    assert_eq!(item_amount(&i), "USD 49.00");
    assert_eq!(failure_text(&i), "Your card was declined.");
    assert_eq!(attempts_text(i.attempts), "2 attempts");
    assert_eq!(attempts_text(1), "1 attempt");
    assert_eq!(attempts_text(0), "none yet");
    assert_eq!(item_key(&i, 4), "pay_1");
    i.failure_message = Some(" ".into());
    assert_eq!(failure_text(&i), "Whop gave no reason");
    i.payment_id = None;
    assert_eq!(failure_text(&i), "Past due (the failed payment is not synced)");
    assert_eq!(item_key(&i, 4), "mem_1");
    i.plan_id = None;
    assert_eq!(product_plan(&i), "Pro");
    i.product_id = None;
    assert_eq!(product_plan(&i), "—");
    i.currency = None;
    assert_eq!(item_amount(&i), "—");
}

#[test]
fn the_follow_up_task_names_the_amount_and_product() {
    let mut i = item();
    i.cancels_at = Some("2027-01-15T08:00:00Z".into());
    assert_eq!(task_title(&i), "Follow up on failed payment of USD 49.00 for Pro");
    assert_eq!(
        task_body(&i),
        "Whop says: Your card was declined.\nPayment: pay_1\nMembership: mem_1\nWhop is expected to cancel it 2027-01-15 08:00 UTC"
    );
    i.product_id = None;
    i.currency = None;
    assert_eq!(task_title(&i), "Follow up on failed payment for membership mem_1");
}

#[test]
fn only_a_retryable_payment_reaches_the_shared_retry_dialog() {
    let i = item();
    let view = retry_view(&i).unwrap();
    assert_eq!((view.id.as_str(), view.amount.as_str(), view.retryable), ("pay_1", "USD 49.00", true));
    let draft = crate::state::whop_actions::ActionDraft::retry(&view);
    assert_eq!(draft.to_action(), Ok(dealdesk_model::outbox::WhopAction::RetryPayment { payment_id: "pay_1".into() }));
    assert!(retry_view(&RecoverItem { retryable: false, ..item() }).is_none());
    assert!(retry_view(&RecoverItem { payment_id: None, ..item() }).is_none());
}

#[test]
fn recovery_reads_as_paid_of_failed() {
    let stats = RecoveryStats {
        failed_payments: 12,
        recovered_payments: 9,
        recovery_rate: Some(5.0 / 12.0),
        ..RecoveryStats::default()
    };
    assert_eq!(recovery_detail(&stats), "Paid since: 5 of the 12 payments that failed this month");
    let one = RecoveryStats { failed_payments: 1, recovery_rate: Some(0.0), ..RecoveryStats::default() };
    assert_eq!(recovery_detail(&one), "Paid since: 0 of the 1 payment that failed this month");
    assert_eq!(recovery_detail(&RecoveryStats::default()), "No payment failed this month");
    assert_eq!(recover_count(3), "3 to recover");
}

#[test]
fn a_message_goes_to_the_person_else_the_whop_user_and_starts_from_a_template() {
    let person = uuid::Uuid::from_u128(7);
    let mut i = RecoverItem { person_id: Some(person), user_id: Some("user_1".into()), ..item() };
    assert_eq!(recipient(&i), Some(MessageRecipient::Person(person)));
    let draft = MessageDraft::recover(&i).unwrap();
    assert_eq!(draft.title(), "Message Ada Lovelace on Whop");
    assert_eq!(
        draft.text,
        "Hi Ada,\n\nyour payment of USD 49.00 for Pro did not go through (Whop says: Your card was declined.). Could you update your payment method on Whop so your access continues?\n\nThanks!"
    );
    i.person_id = None;
    assert_eq!(recipient(&i), Some(MessageRecipient::WhopUser("user_1".into())));
    i.user_id = None;
    assert!(MessageDraft::recover(&i).is_none(), "nobody to message");
    let bare = RecoverItem {
        customer: " ".into(),
        user_id: Some("user_2".into()),
        currency: None,
        failure_message: None,
        product_id: None,
        ..item()
    };
    let draft = MessageDraft::recover(&bare).unwrap();
    assert_eq!(draft.name, "the customer");
    assert!(
        draft.text.starts_with("Hi,\n\nyour payment for membership mem_1 did not go through. Could"),
        "{}",
        draft.text
    );
}

#[test]
fn a_message_is_checked_before_it_is_queued() {
    let person = uuid::Uuid::from_u128(7);
    let draft = MessageDraft::recover(&RecoverItem { person_id: Some(person), ..item() }).unwrap();
    let edited = draft.apply(MessageEdit::Text("  Hello there  ".into()));
    assert_eq!(edited.count_text(), "11 of 4000 characters");
    assert_eq!(
        edited.to_action(),
        Ok(WhopAction::SendMessage { to: MessageRecipient::Person(person), text: "Hello there".into() })
    );
    let sent = edited.apply(MessageEdit::Send);
    assert!(sent.sending);
    let refused = sent.apply(MessageEdit::Refused("Whop is off".into()));
    assert_eq!((refused.sending, refused.refusal.as_deref()), (false, Some("Whop is off")));
    assert_eq!(refused.apply(MessageEdit::Text("Hi".into())).refusal, None, "typing clears a refusal");

    let empty = draft.apply(MessageEdit::Text("   ".into()));
    assert_eq!(empty.error, None, "no complaint before Send");
    let tried = empty.apply(MessageEdit::Send);
    assert!(!tried.sending);
    assert_eq!(tried.error.as_deref(), Some("Write a message first"));
    assert_eq!(tried.apply(MessageEdit::Text("ok".into())).error, None, "fixed as it is typed");
    let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    assert_eq!(
        check_message(&long),
        Err(format!("A Whop message is at most 4000 characters; this one has {}", MAX_MESSAGE_CHARS + 1))
    );
    assert_eq!(check_message(&"é".repeat(MAX_MESSAGE_CHARS)).map(|t| t.chars().count()), Ok(MAX_MESSAGE_CHARS));
}

#[test]
fn the_ai_drafts_a_message_for_a_crm_person_and_the_text_can_go_out_as_an_email() {
    use dealdesk_model::ai::{AiAction, AiCallOutcome, AiCallView, AiOutput, AiProviderKind, AiResult, AiRunOutcome};
    use dealdesk_model::outbox::{OutboxStatus, PendingOperation};
    use dealdesk_model::{RecordKind, RecordRef};
    let person = uuid::Uuid::from_u128(7);
    let record = RecordRef { kind: RecordKind::Person, id: person };
    let with_person = RecoverItem { person_id: Some(person), email: Some("ada@example.com".into()), ..item() };
    let draft = MessageDraft::recover(&with_person).unwrap();

    // The AI is asked for the person's "Draft email", told what failed and that it is a message.
    let request = draft.ai_request().unwrap();
    assert_eq!((request.action, request.record, request.allow_over_budget), (AiAction::DraftEmail, record, false));
    let told = request.instructions.unwrap();
    assert!(told.contains("payment of USD 49.00 for Pro failed"), "{told}");
    assert!(told.contains("Whop's reason: Your card was declined."), "{told}");
    // A Whop user with no CRM person has no history to draft from.
    let whop_only = RecoverItem { user_id: Some("user_1".into()), ..item() };
    assert_eq!(MessageDraft::recover(&whop_only).unwrap().ai_request(), None);

    let done = |output: AiOutput| {
        Ok(AiRunOutcome::Done {
            result: Box::new(AiResult {
                id: 3,
                record,
                output,
                created_at: "2026-12-07T10:00:00Z".into(),
                model: "gpt-4o-mini".into(),
                workflow_run: None,
            }),
            call: Box::new(AiCallView {
                id: 9,
                at: "2026-12-07T10:00:00Z".into(),
                provider: AiProviderKind::OpenAi,
                model: "gpt-4o-mini".into(),
                action: AiAction::DraftEmail,
                record: Some(record),
                tokens_in: 900,
                tokens_out: 60,
                cost_micros: 150,
                latency_ms: 700,
                outcome: AiCallOutcome::Ok,
                error: None,
            }),
        })
    };
    let drafting = draft.apply(MessageEdit::Drafting);
    assert!(drafting.drafting);
    let drafted = drafting.apply(MessageEdit::Drafted(done(AiOutput::EmailDraft {
        subject: "About your Pro renewal".into(),
        body: "  Hi Ada, your card was declined. Could you update it on Whop?  ".into(),
    })));
    assert!(!drafted.drafting);
    assert_eq!(drafted.text, "Hi Ada, your card was declined. Could you update it on Whop?");
    assert_eq!(drafted.subject, "About your Pro renewal");
    assert_eq!(drafted.ai_note, None);

    // Offline, over budget, refused or empty: the text stays as it was, and the dialog says why.
    let queued = drafting.apply(MessageEdit::Drafted(Ok(AiRunOutcome::Queued {
        operation: PendingOperation {
            outbox_id: 4,
            summary: "Draft email".into(),
            status: OutboxStatus::Pending,
            last_error: None,
        },
    })));
    assert_eq!(queued.text, draft.text);
    assert_eq!(
        queued.ai_note.as_deref(),
        Some("Offline: the AI draft is queued and will show on Ada Lovelace's page when it has run.")
    );
    let over =
        drafting.apply(MessageEdit::Drafted(Ok(AiRunOutcome::OverBudget { month_cost_micros: 9, budget_micros: 5 })));
    assert!(over.ai_note.unwrap().starts_with("This month's AI budget is spent"));
    let refused = drafting.apply(MessageEdit::Drafted(Err("AI is off: choose a provider in Settings → AI".into())));
    assert_eq!(
        refused.ai_note.as_deref(),
        Some("The AI could not draft it: AI is off: choose a provider in Settings → AI")
    );
    let empty =
        drafting.apply(MessageEdit::Drafted(done(AiOutput::EmailDraft { subject: String::new(), body: " ".into() })));
    assert_eq!((empty.text.as_str(), empty.ai_note.is_some()), (draft.text.as_str(), true));
    assert_eq!(empty.apply(MessageEdit::Drafting).ai_note, None, "a new draft clears the note");

    // As an email: to their address, with the subject, once the text passes the same checks.
    let mail = drafted.email_request().unwrap().unwrap();
    assert_eq!(mail.to.as_deref(), Some("ada@example.com"));
    assert_eq!((mail.subject.as_str(), mail.result), ("About your Pro renewal", None));
    assert_eq!(mail.body, drafted.text);
    assert_eq!(draft.subject, "Your payment for Pro");
    assert_eq!(drafted.apply(MessageEdit::Text(" ".into())).email_request(), Some(Err("Write a message first".into())));
    assert_eq!(MessageDraft::recover(&RecoverItem { email: None, ..with_person }).unwrap().email_request(), None);
}

#[test]
fn amounts_round_to_the_currencys_minor_unit_and_a_lone_usd_total_is_said_once() {
    assert_eq!(amount(1_724_166_660, "USD"), amount(1_724_170_000, "USD"));
    assert_eq!(amount(-40_833_333, "USD"), amount(-40_830_000, "USD"));
    assert_eq!(amount(1_005_000, ALL_IN_USD), amount(1_010_000, "USD"));
    let usd = vec![("USD".to_string(), 10), (ALL_IN_USD.to_string(), 10)];
    assert_eq!(without_repeated_total(usd), vec![("USD".to_string(), 10)]);
    let two = vec![("EUR".to_string(), 9), ("USD".to_string(), 10), (ALL_IN_USD.to_string(), 20)];
    assert_eq!(without_repeated_total(two.clone()), two);
    let short = vec![("USD".to_string(), 10), (ALL_IN_USD.to_string(), 8)];
    assert_eq!(without_repeated_total(short.clone()), short, "a USD payment without its USD amount: both shown");
}

#[test]
fn figures_name_what_they_list_and_amounts_say_refunds() {
    use dealdesk_model::revenue::{Figure, FigureCustomer};
    let scope = RevenueScope { business: Some("biz_1".into()), product: None };
    let (title, query) = figure_query(&scope, Figure::NetRevenue { month: "2026-11".into(), currency: "USD".into() });
    assert_eq!(title, "Net revenue in November 2026 (USD)");
    assert_eq!(query.scope, scope);
    let cohort = |c: &str, m: &str| figure_query(&scope, Figure::Cohort { cohort: c.into(), month: m.into() }).0;
    assert_eq!(cohort("2026-09", "2026-09"), "Customers who first paid in September 2026");
    assert_eq!(cohort("2026-09", "2026-11"), "First paid in September 2026, still customers in November 2026");
    let ltv = LtvRow {
        product_id: "prod_1".into(),
        product_title: Some("Pro".into()),
        currency: "EUR".into(),
        ..LtvRow::default()
    };
    let (title, query) = ltv_figure(&scope, &ltv);
    assert_eq!(title, "Pro · All plans (EUR)");
    assert_eq!(query.figure, Figure::Ltv { product_id: "prod_1".into(), plan_id: None, currency: "EUR".into() });

    let row = FigureCustomer { paid_micros: 98_000_000, refunded_micros: 49_000_000, ..FigureCustomer::default() };
    assert_eq!(figure_amount(&row, &query.figure).as_deref(), Some("EUR 98.00 − EUR 49.00 refunded"));
    let paid_only = FigureCustomer { refunded_micros: 0, ..row.clone() };
    assert_eq!(figure_amount(&paid_only, &query.figure).as_deref(), Some("EUR 98.00"));
    assert_eq!(figure_amount(&row, &Figure::Cohort { cohort: "2026-09".into(), month: "2026-09".into() }), None);
    assert_eq!(figure_count(1), "1 customer");
    assert_eq!(figure_count(12), "12 customers");
    assert_eq!(figure_count(1000), "The first 1000 customers");
}

#[test]
fn net_revenue_follows_the_charts_currency_or_the_busiest_one_for_usd_star() {
    let n = |month: &str, currency: &str, payments: u64| NetRevenueMonth {
        month: month.into(),
        currency: currency.into(),
        payments,
        ..NetRevenueMonth::default()
    };
    let net = vec![n("2026-10", "EUR", 3), n("2026-11", "EUR", 4), n("2026-11", "USD", 5), n("2026-12", "GBP", 9)];
    assert_eq!(net_currency(&net, "EUR"), "EUR");
    assert_eq!(net_currency(&net, ALL_IN_USD), "GBP", "USD* has no net revenue rows: the busiest currency");
    let tie = vec![n("2026-11", "USD", 2), n("2026-11", "EUR", 2)];
    assert_eq!(net_currency(&tie, ALL_IN_USD), "EUR", "ties go by code");
    assert_eq!(net_currency(&[], ALL_IN_USD), ALL_IN_USD, "nothing to show: as chosen");
}
