use super::*;
use serde_json::{Map, Value};

/// A JSON object of these keys and values.
fn object(pairs: &[(&str, Value)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Map<_, _>>())
}

fn membership(status: &str, paused: bool, cancel_at_period_end: bool) -> WhopMembershipView {
    WhopMembershipView {
        id: "mem_1".into(),
        status: status.into(),
        product: Some("Pro".into()),
        renewal_period_end: Some("2026-12-01T00:00:00Z".into()),
        cancel_at_period_end,
        paused,
        created_at: None,
        deal_id: None,
        deleted_remotely: false,
        metadata: None,
        pending: vec![],
    }
}

fn payment(total: i64, refunded: i64, currency: &str) -> WhopPaymentView {
    WhopPaymentView {
        id: "pay_1".into(),
        status: "paid".into(),
        amount: format!("{} {}", currency.to_uppercase(), format_decimal_micros(total, 2)),
        refunded: None,
        total_micros: total,
        refunded_micros: refunded,
        currency: currency.into(),
        product: None,
        paid_at: None,
        pending: vec![],
        retryable: false,
        failure_message: None,
    }
}

#[test]
fn memberships_offer_what_their_state_allows() {
    use ActionKind::*;
    assert_eq!(
        membership_actions(&membership("active", false, false)),
        [CancelAtPeriodEnd, CancelNow, Pause, AddFreeDays, EditMetadata]
    );
    assert_eq!(
        membership_actions(&membership("active", true, false)),
        [CancelAtPeriodEnd, CancelNow, Resume, AddFreeDays, EditMetadata]
    );
    assert_eq!(membership_actions(&membership("canceling", false, true)), [Uncancel, CancelNow, EditMetadata]);
    assert_eq!(membership_actions(&membership("canceled", false, false)), [EditMetadata]);
    let mut gone = membership("active", false, false);
    gone.deleted_remotely = true;
    assert!(membership_actions(&gone).is_empty());
}

#[test]
fn free_days_are_whole_numbers_up_to_a_year() {
    assert_eq!(parse_free_days(" 7 "), Ok(7));
    assert_eq!(parse_free_days("1095"), Ok(1095));
    assert!(parse_free_days("0").is_err());
    assert!(parse_free_days("1096").is_err());
    assert!(parse_free_days("1.5").unwrap_err().contains("whole number"));
    assert!(parse_free_days("").unwrap_err().contains("1 to 1095"));
}

#[test]
fn the_metadata_dialog_starts_from_the_current_metadata() {
    let empty = ActionDraft::membership(ActionKind::EditMetadata, &membership("active", false, false));
    assert_eq!(empty.metadata, "{}");
    let current = object(&[("plan", Value::from("gold")), ("seats", Value::from(3))]);
    let with = WhopMembershipView { metadata: Some(current.clone()), ..membership("active", false, false) };
    let draft = ActionDraft::membership(ActionKind::EditMetadata, &with);
    assert_eq!(parse_metadata(&draft.metadata), Ok(current), "saving untouched keeps every key: {}", draft.metadata);
}

#[test]
fn metadata_must_be_a_json_object() {
    assert_eq!(parse_metadata(r#"{"plan": "gold"}"#), Ok(object(&[("plan", Value::from("gold"))])));
    assert_eq!(parse_metadata("{}"), Ok(object(&[])));
    assert!(parse_metadata("[1, 2]").unwrap_err().contains("not a list"));
    assert!(parse_metadata("\"gold\"").unwrap_err().contains("not a string"));
    assert!(parse_metadata("{plan: gold}").unwrap_err().starts_with("Not valid JSON"));
    assert!(parse_metadata("  ").is_err());
    let many: Map<_, _> = (0..51).map(|i| (format!("k{i}"), Value::from(i))).collect();
    assert!(parse_metadata(&Value::Object(many).to_string()).unwrap_err().contains("50 keys"));
}

#[test]
fn refunds_are_positive_and_at_most_what_remains() {
    let p = payment(49_000_000, 9_000_000, "usd");
    assert!(can_refund(&p));
    assert_eq!(refundable_micros(&p), 40_000_000);
    assert_eq!(amount_input(refundable_micros(&p), &p.currency), "40.00");
    assert_eq!(parse_refund("40", 40_000_000, "usd"), Ok(None));
    assert_eq!(parse_refund("40.00", 40_000_000, "usd"), Ok(None));
    assert_eq!(parse_refund("12.5", 40_000_000, "usd"), Ok(Some(12_500_000)));
    assert_eq!(parse_refund("40.01", 40_000_000, "usd"), Err("At most USD 40.00 is left to refund".into()));
    assert_eq!(parse_refund("0", 40_000_000, "usd"), Err("A refund must be more than 0".into()));
    assert_eq!(parse_refund("1.005", 40_000_000, "usd"), Err("USD amounts have at most 2 decimals".into()));
    assert_eq!(parse_refund("5.5", 40_000_000, "jpy"), Err("JPY amounts have no decimals".into()));
    assert!(parse_refund("1,000", 40_000_000, "usd").unwrap_err().contains("not an amount"));
    assert!(!can_refund(&payment(49_000_000, 49_000_000, "usd")));
    let mut failed = payment(49_000_000, 0, "usd");
    failed.status = "failed".into();
    assert!(!can_refund(&failed));
    assert!(!can_retry(&failed));
    failed.retryable = true;
    assert!(can_retry(&failed));
    assert_eq!(ActionDraft::retry(&failed).to_action(), Ok(WhopAction::RetryPayment { payment_id: "pay_1".into() }));
}

#[test]
fn a_refund_draft_prefills_the_remainder_and_checks_as_typed() {
    let draft = ActionDraft::refund(&payment(49_000_000, 9_000_000, "usd"));
    assert_eq!(draft.amount, "40.00");
    assert_eq!(draft.to_action(), Ok(WhopAction::RefundPayment { payment_id: "pay_1".into(), amount_micros: None }));
    assert!(draft.explanation().contains("all that is left, USD 40.00"));
    let partial = draft.apply(DraftAction::Amount("15".into()));
    assert_eq!(partial.error, None);
    assert!(partial.explanation().starts_with("Whop refunds USD 15.00 of"));
    assert_eq!(
        partial.to_action(),
        Ok(WhopAction::RefundPayment { payment_id: "pay_1".into(), amount_micros: Some(15_000_000) })
    );
    let too_much = partial.apply(DraftAction::Amount("50".into()));
    assert_eq!(too_much.error.as_deref(), Some("At most USD 40.00 is left to refund"));
    let confirmed = too_much.apply(DraftAction::Confirm);
    assert!(!confirmed.sending);
    let ok = confirmed.apply(DraftAction::Amount("40".into())).apply(DraftAction::Confirm);
    assert!(ok.sending && ok.error.is_none());
    let refused = ok.apply(DraftAction::Refused("payment pay_1 has nothing left to refund".into()));
    assert!(!refused.sending);
    assert_eq!(refused.refusal.as_deref(), Some("payment pay_1 has nothing left to refund"));
    assert_eq!(refused.error, None);
    // Typing again clears the refusal.
    assert_eq!(refused.apply(DraftAction::Amount("39".into())).refusal, None);
}

#[test]
fn a_cancellation_can_be_taken_back() {
    let m = membership("active", false, true);
    assert!(membership_actions(&m).contains(&ActionKind::Uncancel));
    assert!(!membership_actions(&membership("active", false, false)).contains(&ActionKind::Uncancel));
    assert_eq!(
        ActionDraft::membership(ActionKind::Uncancel, &m).to_action(),
        Ok(WhopAction::UncancelMembership { membership_id: "mem_1".into() })
    );
}

#[test]
fn membership_drafts_build_their_actions() {
    let m = membership("active", false, false);
    let cancel = ActionDraft::membership(ActionKind::CancelAtPeriodEnd, &m);
    assert_eq!(
        cancel.to_action(),
        Ok(WhopAction::CancelMembership { membership_id: "mem_1".into(), mode: CancelMode::AtPeriodEnd })
    );
    assert!(cancel.explanation().contains("Pro (mem_1)"));
    let days = ActionDraft::membership(ActionKind::AddFreeDays, &m);
    assert!(days.to_action().is_err());
    let days = days.apply(DraftAction::Days("14".into()));
    assert_eq!(days.to_action(), Ok(WhopAction::AddFreeDays { membership_id: "mem_1".into(), days: 14 }));
    assert!(days.explanation().contains("14 days later"));
    let meta = ActionDraft::membership(ActionKind::EditMetadata, &m).apply(DraftAction::Metadata("[]".into()));
    assert!(meta.error.as_deref().is_some_and(|e| e.contains("JSON object")));
    let meta = meta.apply(DraftAction::Metadata(r#"{"tier": 2}"#.into())).apply(DraftAction::Confirm);
    assert!(meta.sending);
    assert_eq!(
        meta.to_action(),
        Ok(WhopAction::UpdateMembershipMetadata {
            membership_id: "mem_1".into(),
            metadata: object(&[("tier", Value::from(2))])
        })
    );
    assert!(ActionKind::CancelNow.is_destructive() && !ActionKind::Resume.is_destructive());
}

#[test]
fn promo_forms_parse_into_micros() {
    let form = PromoForm { code: " spring-20 ".into(), amount: "20".into(), ..Default::default() };
    let promo = form.validate().unwrap();
    assert_eq!(promo.code, "SPRING-20");
    assert_eq!(
        (promo.promo_type, promo.amount_off_micros, promo.currency.as_str()),
        (PromoType::Percentage, 20_000_000, "USD")
    );
    assert_eq!(promo.duration_months, 1);
    assert_eq!(promo_terms(&promo), "20% off for 1 month");
    let forever = PromoForm { duration_months: String::new(), ..form.clone() }.validate().unwrap_err();
    assert!(forever.duration.as_deref().is_some_and(|d| d.contains("no \"forever\"")));

    let flat = PromoForm {
        code: "TEN".into(),
        promo_type: PromoType::FlatAmount,
        amount: "10.50".into(),
        currency: "eur".into(),
        new_users_only: true,
        duration_months: "3".into(),
        business_id: None,
    };
    let promo = flat.validate().unwrap();
    assert_eq!((promo.amount_off_micros, promo.currency.as_str(), promo.duration_months), (10_500_000, "EUR", 3));
    assert_eq!(promo_terms(&promo), "EUR 10.50 off for 3 months, new customers only");
    let draft = ActionDraft::create_promo(promo.clone());
    assert_eq!(draft.to_action(), Ok(WhopAction::CreatePromoCode(promo)));
    assert_eq!(draft.title(), "Create promo code TEN?");

    let bad = PromoForm {
        code: "no spaces".into(),
        amount: "120".into(),
        currency: "XYZ".into(),
        duration_months: "0".into(),
        ..Default::default()
    };
    let errors = bad.validate().unwrap_err();
    assert!(errors.code.is_some() && errors.amount.is_some() && errors.currency.is_some() && errors.duration.is_some());
    let words = PromoForm { code: "A".into(), amount: "ten".into(), ..Default::default() }.validate().unwrap_err();
    assert_eq!(words.amount.as_deref(), Some("“ten” is not a percentage like 20"));
}

#[test]
fn promo_codes_deactivate_once_created_and_active() {
    let mut p = WhopPromoCodeView {
        id: Some("promo_1".into()),
        code: "SPRING".into(),
        status: "active".into(),
        amount_off: "20%".into(),
        uses: Some(3),
        pending: vec![],
        business_id: None,
    };
    assert!(can_deactivate(&p));
    assert_eq!(
        ActionDraft::deactivate(&p).to_action(),
        Ok(WhopAction::DeactivatePromoCode { promo_code_id: "promo_1".into() })
    );
    p.status = "archived".into();
    assert!(!can_deactivate(&p));
    p.status = "active".into();
    p.id = None;
    assert!(!can_deactivate(&p));
}
