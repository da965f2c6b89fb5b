//! Offline work as plain data: the status area's text, the outbox page's rows and conflicts, the
//! pending marks beside Whop records and queued AI runs, and the messages about them. The outbox
//! holds operations for several targets (`whop`: changes to Whop; `ai`: runs waiting for the AI
//! provider), so the texts say where each one goes.

pub use crate::state::format::field_label;
use crate::state::whop::StatusTone;
use dealdesk_model::outbox::{ConflictKind, ConflictView, OutboxEntry, OutboxStatus, OutboxSummary, PendingOperation};
use dealdesk_model::{RecordKind, RecordRef};
use std::rc::Rc;
use yew::Reducible;

/// "1 change waiting", "3 changes waiting".
pub fn waiting_text(count: u64) -> String {
    if count == 1 { "1 change waiting".to_string() } else { format!("{count} changes waiting") }
}

/// "1 needs attention", "3 need attention".
pub fn attention_text(count: u64) -> String {
    if count == 1 { "1 needs attention".to_string() } else { format!("{count} need attention") }
}

/// Refused operations plus unresolved conflicts: what the user has to look at.
pub fn attention_count(summary: &OutboxSummary) -> u64 {
    summary.failed + summary.conflicts
}

/// The `#outbox-status` button's text, or `None` when nothing waits and nothing needs attention.
pub fn status_button_text(summary: &OutboxSummary) -> Option<String> {
    let mut parts = Vec::new();
    if summary.waiting > 0 {
        parts.push(waiting_text(summary.waiting));
    }
    let attention = attention_count(summary);
    if attention > 0 {
        parts.push(attention_text(attention));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The tooltip of the Offline pill, or `None` while online: the core's reason first, then the
/// webview's own view of the network.
pub fn offline_title(summary: Option<&OutboxSummary>, navigator_online: bool) -> Option<String> {
    let core_offline = summary.is_some_and(|s| !s.online);
    if core_offline {
        let reason = summary.and_then(|s| s.offline_reason.clone()).filter(|r| !r.trim().is_empty());
        return Some(reason.unwrap_or_else(|| "Waiting for the network".to_string()));
    }
    (!navigator_online).then(|| "This computer has no network connection".to_string())
}

/// How an operation's status reads in the outbox table.
pub fn status_label(status: OutboxStatus) -> (&'static str, StatusTone) {
    match status {
        OutboxStatus::Pending => ("Waiting", StatusTone::Warning),
        OutboxStatus::InFlight => ("Sending", StatusTone::Accent),
        OutboxStatus::Done => ("Sent", StatusTone::Success),
        OutboxStatus::Failed => ("Refused", StatusTone::Danger),
        OutboxStatus::Conflict => ("Conflict", StatusTone::Danger),
        OutboxStatus::Discarded => ("Discarded", StatusTone::Neutral),
    }
}

/// Retry is offered for refused operations and for waiting ones (send now).
pub fn can_retry(status: OutboxStatus) -> bool {
    matches!(status, OutboxStatus::Failed | OutboxStatus::Pending)
}

/// Discard is offered while the operation has not been sent or settled.
pub fn can_discard(status: OutboxStatus) -> bool {
    matches!(status, OutboxStatus::Pending | OutboxStatus::Failed | OutboxStatus::Conflict)
}

/// The mark beside a record with an operation that has not gone out (a Whop change, a queued AI
/// run): its text, tone, and whether it is an error. `None` for finished operations.
pub fn pending_label(op: &PendingOperation) -> Option<(String, StatusTone, bool)> {
    Some(match op.status {
        OutboxStatus::Pending => ("Waiting to send".to_string(), StatusTone::Warning, false),
        OutboxStatus::InFlight => ("Sending".to_string(), StatusTone::Accent, false),
        OutboxStatus::Conflict => ("Conflict".to_string(), StatusTone::Danger, false),
        OutboxStatus::Failed => {
            let text = match op.last_error.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                Some(error) => format!("Refused: {error}"),
                None => "Refused".to_string(),
            };
            (text, StatusTone::Danger, true)
        }
        OutboxStatus::Done | OutboxStatus::Discarded => return None,
    })
}

/// The toast when the remote (Whop, the AI provider) refuses an operation. The event does not say
/// which target it was for, so the text names none; the error is the remote's own.
pub fn rejected_text(op: &PendingOperation) -> String {
    match op.last_error.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(error) => format!("“{}” was refused: {error}. Anything it showed here was undone.", op.summary),
        None => format!("“{}” was refused. Anything it showed here was undone.", op.summary),
    }
}

/// An outbox operation's target (`OutboxEntry.target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A change to Whop.
    Whop,
    /// An AI run waiting for the provider.
    Ai,
    /// A target this window does not know yet.
    Other,
}

impl Target {
    pub fn of(target: &str) -> Target {
        match target {
            "whop" => Target::Whop,
            "ai" => Target::Ai,
            _ => Target::Other,
        }
    }

    /// When a waiting operation of this target goes out.
    pub fn when_text(self) -> &'static str {
        match self {
            Target::Whop => "it is sent to Whop when the network is back",
            Target::Ai => "it runs when the AI provider can be reached",
            Target::Other => "it goes out when the network is back",
        }
    }
}

/// The toast after an action was queued.
pub fn queued_text(entry: &OutboxEntry) -> String {
    format!("“{}” is queued; {}.", entry.summary, Target::of(&entry.target).when_text())
}

/// The offline banner's second sentence: where the waiting operations go, per target.
pub fn offline_note(entries: &[OutboxEntry]) -> String {
    let waiting = |target| entries.iter().any(|e| e.status.is_open() && Target::of(&e.target) == target);
    match (waiting(Target::Whop), waiting(Target::Ai), waiting(Target::Other)) {
        (true, false, false) => "These changes are sent to Whop when the network is back.".to_string(),
        (false, true, false) => "These AI runs start when the AI provider can be reached.".to_string(),
        (true, true, false) => {
            "Changes to Whop are sent when the network is back; AI runs start when the AI provider can be reached."
                .to_string()
        }
        _ => "What waits here goes out when the network is back.".to_string(),
    }
}

/// The discard dialog's title.
pub fn discard_title(entry: &OutboxEntry) -> &'static str {
    match Target::of(&entry.target) {
        Target::Ai => "Discard this AI run?",
        Target::Whop | Target::Other => "Discard this change?",
    }
}

/// What discarding an operation does, in one sentence.
pub fn discard_text(entry: &OutboxEntry) -> String {
    match Target::of(&entry.target) {
        Target::Whop => {
            format!("“{}” will not be sent to Whop, and what it changed here goes back to how it was.", entry.summary)
        }
        Target::Ai => format!("“{}” will not run, and no result is added to the record.", entry.summary),
        Target::Other => {
            format!("“{}” will not be sent, and what it changed here goes back to how it was.", entry.summary)
        }
    }
}

/// A conflict kind in two words.
pub fn conflict_kind_label(kind: ConflictKind) -> &'static str {
    match kind {
        ConflictKind::Field => "Changed on both sides",
        ConflictKind::DeletedRemotely => "Deleted on Whop",
        ConflictKind::DeletedLocally => "Deleted here",
    }
}

/// What a conflict means and what each button does, in one plain sentence.
pub fn conflict_explanation(kind: ConflictKind) -> &'static str {
    match kind {
        ConflictKind::Field => {
            "You changed this field here while it also changed on Whop: keep yours to send it to Whop, or take Whop's value and drop your change."
        }
        ConflictKind::DeletedRemotely => {
            "This was deleted on Whop while your change waited, so the change cannot be sent: keep yours to keep the record here, or take Whop's side to move it to the trash."
        }
        ConflictKind::DeletedLocally => {
            "This is in the trash here but changed on Whop: keep yours to leave it in the trash, or take Whop's side to bring it back with Whop's data."
        }
    }
}

/// The kind of record a conflict or operation is about: a Whop object, or a CRM record (an AI
/// run's).
pub fn record_noun(record_kind: &str) -> String {
    match record_kind {
        "whop_membership" => "Membership".to_string(),
        "whop_payment" => "Payment".to_string(),
        "whop_promo_code" => "Promo code".to_string(),
        other => match RecordKind::parse(other) {
            Some(kind) => kind.label().to_string(),
            None => other.replace('_', " "),
        },
    }
}

/// The CRM record an operation is about (an AI run's person, company or deal), to link to.
pub fn entry_record(entry: &OutboxEntry) -> Option<RecordRef> {
    let kind = RecordKind::parse(&entry.record_kind)?;
    let id = uuid::Uuid::parse_str(&entry.record_id).ok()?;
    Some(RecordRef { kind, id })
}

pub use crate::state::format::value_text;

/// The unresolved conflicts that show on one record's page.
pub fn conflicts_of(conflicts: &[ConflictView], record: RecordRef) -> Vec<ConflictView> {
    conflicts.iter().filter(|c| c.resolved_at.is_none() && c.crm_record == Some(record)).cloned().collect()
}

/// The outbox page: operations (open ones, or all with "Show finished"), conflicts, connectivity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxView {
    pub entries: Option<Result<Vec<OutboxEntry>, String>>,
    pub conflicts: Option<Result<Vec<ConflictView>, String>>,
    pub summary: Option<OutboxSummary>,
    pub show_finished: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutboxAction {
    /// The list for `show_finished`; answers for another setting (a slow reload) are dropped.
    Entries {
        finished: bool,
        result: Result<Vec<OutboxEntry>, String>,
    },
    Conflicts(Result<Vec<ConflictView>, String>),
    Summary(OutboxSummary),
    ShowFinished(bool),
}

impl OutboxView {
    pub fn apply(&self, action: OutboxAction) -> OutboxView {
        let mut next = self.clone();
        match action {
            OutboxAction::Entries { finished, result } => {
                if finished == self.show_finished {
                    next.entries = Some(result);
                }
            }
            OutboxAction::Conflicts(result) => next.conflicts = Some(result),
            OutboxAction::Summary(summary) => next.summary = Some(summary),
            OutboxAction::ShowFinished(on) => {
                if on != self.show_finished {
                    next.show_finished = on;
                    next.entries = None;
                }
            }
        }
        next
    }

    /// "Showing the oldest 500 of 10,000": the core lists at most 500 open operations at once.
    pub fn partial_list_note(&self) -> Option<String> {
        let (Some(Ok(entries)), Some(summary)) = (&self.entries, &self.summary) else { return None };
        let open = summary.waiting + summary.failed;
        (!self.show_finished && (entries.len() as u64) < open)
            .then(|| format!("Showing the oldest {} of {open}.", entries.len()))
    }

    /// Nothing waits, nothing was refused, nothing conflicts: "Everything is sent."
    pub fn everything_sent(&self) -> bool {
        matches!(&self.entries, Some(Ok(e)) if e.iter().all(|e| !e.status.is_open()))
            && matches!(&self.conflicts, Some(Ok(c)) if c.is_empty())
    }
}

impl Reducible for OutboxView {
    type Action = OutboxAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

    fn summary(waiting: u64, failed: u64, conflicts: u64, online: bool) -> OutboxSummary {
        OutboxSummary { waiting, failed, conflicts, online, offline_reason: None }
    }

    fn op(status: OutboxStatus, error: Option<&str>) -> PendingOperation {
        PendingOperation {
            outbox_id: 7,
            summary: "Cancel membership mem_1 now".into(),
            status,
            last_error: error.map(Into::into),
        }
    }

    fn entry(id: i64, status: OutboxStatus) -> OutboxEntry {
        OutboxEntry {
            id,
            target: "whop".into(),
            action: "membership.cancel".into(),
            record_kind: "whop_membership".into(),
            record_id: "mem_1".into(),
            summary: "Cancel membership mem_1 now".into(),
            status,
            attempts: 0,
            created_at: "2026-11-27T10:00:00Z".into(),
            next_attempt_at: None,
            last_error: None,
            finished_at: None,
            idempotency_key: "k".into(),
            payload: Value::Object(Map::new()),
        }
    }

    fn conflict(id: i64, record: Option<RecordRef>) -> ConflictView {
        ConflictView {
            id,
            kind: ConflictKind::Field,
            record_kind: "whop_membership".into(),
            record_id: "mem_1".into(),
            crm_record: record,
            field: Some("renewal_period_end".into()),
            local_value: Value::from("2026-12-08T00:00:00Z"),
            remote_value: Value::from("2026-12-01T00:00:00Z"),
            outbox_id: Some(7),
            summary: "Add 7 free days to membership mem_1".into(),
            created_at: "2026-11-27T10:00:00Z".into(),
            resolved_at: None,
            resolution: None,
        }
    }

    #[test]
    fn status_button_counts_waiting_and_attention() {
        assert_eq!(status_button_text(&summary(0, 0, 0, true)), None);
        assert_eq!(status_button_text(&summary(0, 0, 0, false)), None);
        assert_eq!(status_button_text(&summary(1, 0, 0, true)).as_deref(), Some("1 change waiting"));
        assert_eq!(status_button_text(&summary(3, 0, 0, true)).as_deref(), Some("3 changes waiting"));
        assert_eq!(status_button_text(&summary(0, 1, 0, true)).as_deref(), Some("1 needs attention"));
        assert_eq!(status_button_text(&summary(0, 1, 1, true)).as_deref(), Some("2 need attention"));
        assert_eq!(
            status_button_text(&summary(2, 0, 3, true)).as_deref(),
            Some("2 changes waiting · 3 need attention")
        );
    }

    #[test]
    fn offline_pill_prefers_the_core_reason() {
        assert_eq!(offline_title(None, true), None);
        assert_eq!(offline_title(Some(&summary(0, 0, 0, true)), true), None);
        let mut s = summary(0, 0, 0, false);
        assert_eq!(offline_title(Some(&s), true).as_deref(), Some("Waiting for the network"));
        s.offline_reason = Some("connection refused".into());
        assert_eq!(offline_title(Some(&s), true).as_deref(), Some("connection refused"));
        assert_eq!(
            offline_title(Some(&summary(0, 0, 0, true)), false).as_deref(),
            Some("This computer has no network connection")
        );
    }

    #[test]
    fn pending_marks_and_rejection_toast() {
        assert_eq!(pending_label(&op(OutboxStatus::Pending, None)).map(|l| l.0).as_deref(), Some("Waiting to send"));
        assert_eq!(pending_label(&op(OutboxStatus::InFlight, None)).map(|l| l.0).as_deref(), Some("Sending"));
        assert_eq!(pending_label(&op(OutboxStatus::Conflict, None)).map(|l| l.0).as_deref(), Some("Conflict"));
        let refused = pending_label(&op(OutboxStatus::Failed, Some("membership is already canceled"))).unwrap();
        assert_eq!(refused, ("Refused: membership is already canceled".into(), StatusTone::Danger, true));
        assert_eq!(pending_label(&op(OutboxStatus::Done, None)), None);
        assert_eq!(
            rejected_text(&op(OutboxStatus::Failed, Some("not found"))),
            "“Cancel membership mem_1 now” was refused: not found. Anything it showed here was undone."
        );
        assert_eq!(
            rejected_text(&op(OutboxStatus::Failed, None)),
            "“Cancel membership mem_1 now” was refused. Anything it showed here was undone."
        );
    }

    fn ai_entry(id: i64, status: OutboxStatus) -> OutboxEntry {
        OutboxEntry {
            target: "ai".into(),
            action: "score-lead".into(),
            record_kind: "person".into(),
            record_id: uuid::Uuid::from_u128(9).to_string(),
            summary: "AI: Score lead".into(),
            ..entry(id, status)
        }
    }

    #[test]
    fn texts_say_where_each_target_goes() {
        let whop = entry(1, OutboxStatus::Pending);
        let ai = ai_entry(2, OutboxStatus::Pending);
        let other =
            OutboxEntry { target: "esign".into(), summary: "Send contract".into(), ..entry(3, OutboxStatus::Pending) };
        assert_eq!(
            queued_text(&whop),
            "“Cancel membership mem_1 now” is queued; it is sent to Whop when the network is back."
        );
        assert_eq!(queued_text(&ai), "“AI: Score lead” is queued; it runs when the AI provider can be reached.");
        assert_eq!(queued_text(&other), "“Send contract” is queued; it goes out when the network is back.");
        assert!(discard_text(&whop).contains("will not be sent to Whop"));
        assert_eq!(discard_text(&ai), "“AI: Score lead” will not run, and no result is added to the record.");
        assert!(!discard_text(&other).contains("Whop"));
        assert_eq!((discard_title(&whop), discard_title(&ai)), ("Discard this change?", "Discard this AI run?"));
        assert_eq!(
            offline_note(std::slice::from_ref(&whop)),
            "These changes are sent to Whop when the network is back."
        );
        assert_eq!(offline_note(std::slice::from_ref(&ai)), "These AI runs start when the AI provider can be reached.");
        assert!(
            offline_note(&[whop.clone(), ai.clone()]).contains("AI runs start when the AI provider can be reached")
        );
        assert_eq!(offline_note(&[]), "What waits here goes out when the network is back.");
        // Finished operations do not count.
        let done = ai_entry(4, OutboxStatus::Done);
        assert_eq!(offline_note(&[whop.clone(), done]), offline_note(std::slice::from_ref(&whop)));
        // An AI run links to its record; a Whop object is not a CRM record.
        assert_eq!(entry_record(&ai), Some(RecordRef { kind: RecordKind::Person, id: uuid::Uuid::from_u128(9) }));
        assert_eq!(entry_record(&whop), None);
        assert_eq!(record_noun(&ai.record_kind), "Person");
    }

    #[test]
    fn retry_and_discard_follow_the_status() {
        assert!(can_retry(OutboxStatus::Failed) && can_retry(OutboxStatus::Pending));
        assert!(!can_retry(OutboxStatus::Conflict) && !can_retry(OutboxStatus::InFlight));
        assert!(can_discard(OutboxStatus::Conflict) && can_discard(OutboxStatus::Failed));
        assert!(!can_discard(OutboxStatus::Done) && !can_discard(OutboxStatus::InFlight));
        assert_eq!(status_label(OutboxStatus::Failed).0, "Refused");
    }

    #[test]
    fn values_and_fields_read_plainly() {
        assert_eq!(value_text(&Value::Null), "—");
        assert_eq!(value_text(&Value::from("gold")), "gold");
        assert_eq!(value_text(&Value::from(true)), "yes");
        let object: Map<String, Value> = [("a".to_string(), Value::from(1))].into_iter().collect();
        assert_eq!(value_text(&Value::Object(object)), "{\"a\":1}");
        assert_eq!(field_label(Some("renewal_period_end")), "renewal period end");
        assert_eq!(record_noun("whop_payment"), "Payment");
        assert_eq!(record_noun("deal"), "Deal");
        assert_eq!(record_noun("esign_envelope"), "esign envelope");
        for kind in [ConflictKind::Field, ConflictKind::DeletedRemotely, ConflictKind::DeletedLocally] {
            assert!(conflict_explanation(kind).ends_with('.'));
        }
    }

    #[test]
    fn conflicts_are_picked_per_record() {
        let deal = RecordRef { kind: RecordKind::Deal, id: uuid::Uuid::from_u128(1) };
        let other = RecordRef { kind: RecordKind::Deal, id: uuid::Uuid::from_u128(2) };
        let mut resolved = conflict(3, Some(deal));
        resolved.resolved_at = Some("2026-11-27T11:00:00Z".into());
        let all = vec![conflict(1, Some(deal)), conflict(2, Some(other)), resolved, conflict(4, None)];
        let mine: Vec<i64> = conflicts_of(&all, deal).iter().map(|c| c.id).collect();
        assert_eq!(mine, [1]);
    }

    #[test]
    fn the_page_drops_stale_lists_and_knows_when_all_is_sent() {
        let mut v = OutboxView::default();
        assert!(!v.everything_sent());
        v = v.apply(OutboxAction::Entries { finished: false, result: Ok(vec![]) });
        v = v.apply(OutboxAction::Conflicts(Ok(vec![])));
        assert!(v.everything_sent());
        v = v.apply(OutboxAction::ShowFinished(true));
        assert_eq!(v.entries, None);
        // The answer to the earlier, open-only request arrives late: dropped.
        v = v.apply(OutboxAction::Entries { finished: false, result: Ok(vec![entry(1, OutboxStatus::Pending)]) });
        assert_eq!(v.entries, None);
        v = v.apply(OutboxAction::Entries { finished: true, result: Ok(vec![entry(2, OutboxStatus::Done)]) });
        assert!(matches!(&v.entries, Some(Ok(e)) if e.len() == 1));
        assert!(v.everything_sent());
        v = v.apply(OutboxAction::Entries { finished: true, result: Ok(vec![entry(3, OutboxStatus::Failed)]) });
        assert!(!v.everything_sent());
        v = v.apply(OutboxAction::Conflicts(Ok(vec![conflict(1, None)])));
        assert!(!v.everything_sent());
    }

    #[test]
    fn a_long_outbox_says_how_much_is_listed() {
        let entry = |id| OutboxEntry {
            id,
            target: "whop".into(),
            action: "membership.pause".into(),
            record_kind: "whop_membership".into(),
            record_id: format!("mem_{id}"),
            summary: "Pause".into(),
            status: OutboxStatus::Pending,
            attempts: 0,
            created_at: String::new(),
            next_attempt_at: None,
            last_error: None,
            finished_at: None,
            idempotency_key: String::new(),
            payload: serde_json::Value::Null,
        };
        let summary = |waiting| OutboxSummary { waiting, online: true, ..Default::default() };
        let view = OutboxView::default()
            .apply(OutboxAction::Entries { finished: false, result: Ok(vec![entry(1), entry(2)]) })
            .apply(OutboxAction::Summary(summary(2)));
        assert_eq!(view.partial_list_note(), None);
        let view = view.apply(OutboxAction::Summary(summary(10_000)));
        assert_eq!(view.partial_list_note().as_deref(), Some("Showing the oldest 2 of 10000."));
    }
}
