use super::*;
use dealdesk_model::automation::{Trigger, WorkflowStep};
use dealdesk_model::outbox::OutboxSummary;
use dealdesk_model::record::UpdateSource;
use dealdesk_model::{RecordKind, RecordRef};

fn customer(name: &str, person: Option<u128>) -> ChurnCustomer {
    ChurnCustomer {
        user_id: format!("user_{name}"),
        person_id: person.map(Uuid::from_u128),
        name: name.into(),
        ..ChurnCustomer::default()
    }
}

fn workflow(name: &str, trigger: Trigger, steps: Vec<WorkflowStep>) -> Workflow {
    Workflow {
        id: Uuid::from_u128(name.bytes().map(u128::from).sum()),
        name: name.into(),
        enabled: true,
        trigger,
        steps,
        created_at: String::new(),
        updated_at: String::new(),
        last_run: None,
    }
}

fn counts(pairs: &[(ChurnSegment, u64)]) -> Vec<SegmentCount> {
    pairs.iter().map(|(segment, customers)| SegmentCount { segment: *segment, customers: *customers }).collect()
}

#[test]
fn score_levels_turn_at_the_at_risk_score() {
    assert_eq!(ScoreLevel::of(AT_RISK_SCORE), ScoreLevel::AtRisk, "the model's threshold is at risk");
    assert_eq!(ScoreLevel::of(AT_RISK_SCORE - 1), ScoreLevel::Watch);
    assert_eq!(ScoreLevel::of(100), ScoreLevel::AtRisk);
    assert_eq!(ScoreLevel::of(WATCH_SCORE), ScoreLevel::Watch);
    assert_eq!(ScoreLevel::of(WATCH_SCORE - 1), ScoreLevel::Low);
    assert_eq!(ScoreLevel::of(0), ScoreLevel::Low);
    assert_eq!(ScoreLevel::AtRisk.tone(), StatusTone::Danger);
    assert_eq!(ScoreLevel::Watch.tone(), StatusTone::Warning);
    assert_eq!(ScoreLevel::Low.as_str(), "low");
}

#[test]
fn the_badge_says_at_risk_and_the_score() {
    assert_eq!(score_text(75), "At risk · 75");
    assert_eq!(score_text(40), "At risk · 40");
    assert_eq!(score_text(25), "Watch · 25");
    assert_eq!(score_text(0), "Low · 0");
    assert_eq!(score_text(250), "At risk · 100", "never past 100");
    assert_eq!(score_title(75), "At-risk score 75 of 100: at risk (from 40)");
    assert_eq!(score_title(10), "At-risk score 10 of 100: low (at risk from 40)");
}

#[test]
fn reasons_split_into_what_and_points() {
    let r = Reason::parse("Payment past due (+40)");
    assert_eq!(r, Reason { text: "Payment past due".into(), points: Some(40) });
    assert_eq!(r.points_text().as_deref(), Some("+40"));
    let r = Reason::parse("Whop's latest member action: expiring (+15)");
    assert_eq!(r.text, "Whop's latest member action: expiring");
    assert_eq!(r.points, Some(15));
    // Brackets that are not points stay in the text.
    assert_eq!(Reason::parse("Paused (by the seller)"), Reason { text: "Paused (by the seller)".into(), points: None });
    assert_eq!(Reason::parse("Odd (+x)").points, None);
    assert_eq!(Reason::parse("  No note in 90 days (+10) ").text, "No note in 90 days");
    let mut c = customer("Ada", Some(1));
    c.reasons = vec!["Payment past due (+40)".into(), " ".into(), "No payment in 60 days (+15)".into()];
    let listed: Vec<String> = reasons(&c).into_iter().map(|r| r.text).collect();
    assert_eq!(listed, ["Payment past due", "No payment in 60 days"], "in order, blanks dropped");
}

#[test]
fn counts_read_as_customers_with_their_segment() {
    assert_eq!(customers_text(1), "1 customer");
    assert_eq!(customers_text(0), "0 customers");
    assert_eq!(count_label(ChurnSegment::PastDue, 3), "Past due: 3 customers");
    assert_eq!(count_label(ChurnSegment::TrialEnding, 1), "Trial ending in 7 days: 1 customer");
    let c = counts(&[(ChurnSegment::PastDue, 3), (ChurnSegment::AtRisk, 9)]);
    assert_eq!(count_of(&c, ChurnSegment::PastDue), Some(3));
    assert_eq!(count_of(&c, ChurnSegment::Paused), None, "not read is not zero");
}

#[test]
fn churn_opens_on_the_first_segment_with_customers() {
    let c = counts(&[(ChurnSegment::Canceling, 0), (ChurnSegment::PastDue, 2), (ChurnSegment::AtRisk, 5)]);
    assert_eq!(default_segment(&c), ChurnSegment::PastDue);
    assert_eq!(default_segment(&counts(&[(ChurnSegment::Canceling, 0)])), ChurnSegment::Canceling);
    assert_eq!(default_segment(&[]), ChurnSegment::Canceling);
}

#[test]
fn addresses_name_segments() {
    for segment in ChurnSegment::ALL {
        assert_eq!(segment_named(segment.name()), Some(segment), "{segment:?} round-trips");
    }
    assert_eq!(segment_named("past-due"), Some(ChurnSegment::PastDue));
    assert_eq!(segment_named("At_Risk"), Some(ChurnSegment::AtRisk));
    assert_eq!(segment_named("bogus"), None);
}

#[test]
fn every_segment_has_its_own_empty_state() {
    assert_eq!(empty_title(ChurnSegment::Canceling), "No one is canceling right now.");
    let titles: std::collections::BTreeSet<&str> = ChurnSegment::ALL.into_iter().map(empty_title).collect();
    assert_eq!(titles.len(), ChurnSegment::ALL.len(), "no two segments say the same");
    assert!(segment_hint(ChurnSegment::AtRisk).contains(&AT_RISK_SCORE.to_string()));
}

#[test]
fn syncs_the_outbox_people_and_notes_move_the_counts() {
    let person = RecordRef { kind: RecordKind::Person, id: Uuid::nil() };
    let deal = RecordRef { kind: RecordKind::Deal, id: Uuid::nil() };
    assert!(churn_may_change(&CoreEvent::WhopChanged));
    assert!(churn_may_change(&CoreEvent::OutboxChanged { summary: OutboxSummary::default() }));
    assert!(churn_may_change(&CoreEvent::RecordChanged { record: person, source: UpdateSource::Ui }));
    assert!(churn_may_change(&CoreEvent::RecordsChanged { kind: RecordKind::Note, source: UpdateSource::Ui }));
    assert!(!churn_may_change(&CoreEvent::RecordChanged { record: deal, source: UpdateSource::Ui }));
    assert!(!churn_may_change(&CoreEvent::WorkflowsChanged));
    assert!(!churn_may_change(&CoreEvent::ConfigChanged));
}

#[test]
fn only_workflows_that_run_on_a_person_are_offered() {
    let note = WorkflowStep::CreateTask { title: "Call".into(), due_in_days: None };
    let list = vec![
        workflow("Win back", Trigger::Manual, vec![note.clone()]),
        workflow("On deal stage", Trigger::DealStageChanged { stage: None }, vec![note.clone()]),
        workflow("New company", Trigger::RecordCreated { kind: RecordKind::Company }, vec![note.clone()]),
        workflow("On cancel", Trigger::WhopMembershipCancelled, vec![note]),
    ];
    let names: Vec<&str> = runnable_workflows(&list).into_iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["Win back", "On cancel"]);
    let mut off = list[0].clone();
    off.enabled = false;
    assert_eq!(workflow_option(&off), "Win back (switched off)");
    assert_eq!(workflow_option(&list[0]), "Win back");
}

#[test]
fn runs_go_to_each_person_once_and_skip_the_others() {
    let list =
        [customer("Ada", Some(1)), customer("Bob", None), customer("Ada again", Some(1)), customer("Cy", Some(2))];
    let t = Targets::of(&list);
    assert_eq!(t.people, [Uuid::from_u128(1), Uuid::from_u128(2)]);
    assert_eq!(t.skipped, 1);
    assert_eq!(confirm_question("Win back", 12), "Run “Win back” on 12 people?");
    assert_eq!(confirm_question("Win back", 1), "Run “Win back” on 1 person?");
    assert_eq!(confirm_label(12), "Run on 12 people");
    assert_eq!(skipped_text(0), None);
    assert_eq!(skipped_text(1).as_deref(), Some("1 customer is skipped: they are not a person in Dealdesk."));
    assert_eq!(skipped_text(3).as_deref(), Some("3 customers are skipped: they are not people in Dealdesk."));
    assert_eq!(progress_text(0, 12), "Running 1 of 12…");
    assert_eq!(progress_text(12, 12), "Running 12 of 12…");
}

#[test]
fn the_outcome_counts_each_status_and_names_the_first_error() {
    let mut all_good = BatchOutcome::new(0);
    all_good.add(Ok((RunStatus::Succeeded, None)));
    all_good.add(Ok((RunStatus::Succeeded, None)));
    assert_eq!(all_good.text("Win back"), "Ran “Win back” on 2 people.");
    assert!(!all_good.is_error());

    let mut mixed = BatchOutcome::new(2);
    mixed.add(Ok((RunStatus::Succeeded, None)));
    mixed.add(Ok((RunStatus::Waiting, None)));
    mixed.add(Ok((RunStatus::Stopped, None)));
    mixed.add(Ok((RunStatus::Failed, Some("no email".into()))));
    mixed.add(Err("the workflow is gone".into()));
    assert_eq!(mixed.people(), 5);
    assert!(mixed.is_error());
    assert_eq!(
        mixed.text("Win back"),
        "Ran “Win back” on 5 people: 1 succeeded, 1 waiting for the network, 1 stopped by a condition, 2 failed \
         (first error: no email). 2 customers are skipped: they are not people in Dealdesk."
    );

    let mut one_waiting = BatchOutcome::new(0);
    one_waiting.add(Ok((RunStatus::Queued, None)));
    assert_eq!(one_waiting.text("X"), "Ran “X” on 1 person: 1 still running.");
}
