//! Offline work as plain data: the status area's text, the outbox page's rows and conflicts, the
//! pending marks beside Whop records, and the messages about them.

pub use crate::state::format::field_label;
use crate::state::whop::StatusTone;
use dealdesk_model::RecordRef;
use dealdesk_model::outbox::{ConflictKind, ConflictView, OutboxEntry, OutboxStatus, OutboxSummary, PendingOperation};
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

/// The tooltip of the Offline pill, or `None` while online: the core's reason (Whop cannot be
/// reached) first, then the webview's own view of the network.
pub fn offline_title(summary: Option<&OutboxSummary>, navigator_online: bool) -> Option<String> {
    let core_offline = summary.is_some_and(|s| !s.online);
    if core_offline {
        let reason = summary.and_then(|s| s.offline_reason.clone()).filter(|r| !r.trim().is_empty());
        return Some(reason.unwrap_or_else(|| "Whop cannot be reached".to_string()));
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

/// The mark beside a Whop record with an operation that has not reached Whop: its text, tone, and
/// whether it is an error. `None` for finished operations.
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

/// The toast when Whop refuses an operation.
pub fn rejected_text(op: &PendingOperation) -> String {
    match op.last_error.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(error) => format!("Whop refused “{}”: {error}. The change was rolled back.", op.summary),
        None => format!("Whop refused “{}”. The change was rolled back.", op.summary),
    }
}

/// The toast after an action was queued.
pub fn queued_text(entry: &OutboxEntry) -> String {
    format!("“{}” is queued; it goes to Whop when Dealdesk is online.", entry.summary)
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

/// The kind of Whop object a conflict or operation is about.
pub fn record_noun(record_kind: &str) -> String {
    match record_kind {
        "whop_membership" => "Membership".to_string(),
        "whop_payment" => "Payment".to_string(),
        "whop_promo_code" => "Promo code".to_string(),
        other => other.replace('_', " "),
    }
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
    use dealdesk_model::RecordKind;
    use serde_json::json;

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
            payload: json!({}),
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
            local_value: json!("2026-12-08T00:00:00Z"),
            remote_value: json!("2026-12-01T00:00:00Z"),
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
        assert_eq!(offline_title(Some(&s), true).as_deref(), Some("Whop cannot be reached"));
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
            "Whop refused “Cancel membership mem_1 now”: not found. The change was rolled back."
        );
        assert_eq!(
            rejected_text(&op(OutboxStatus::Failed, None)),
            "Whop refused “Cancel membership mem_1 now”. The change was rolled back."
        );
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
        assert_eq!(value_text(&json!(null)), "—");
        assert_eq!(value_text(&json!("gold")), "gold");
        assert_eq!(value_text(&json!(true)), "yes");
        assert_eq!(value_text(&json!({"a": 1})), "{\"a\":1}");
        assert_eq!(field_label(Some("renewal_period_end")), "renewal period end");
        assert_eq!(record_noun("whop_payment"), "Payment");
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
