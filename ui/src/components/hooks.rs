use crate::ipc::{EventSubscription, listen_core_events};
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::{RecordKind, RecordRef};
use std::cell::Cell;
use std::rc::Rc;
use uuid::Uuid;
use yew::prelude::*;

/// A counter bumped through `dispatch`, so callbacks that outlive a render never bump a stale
/// copy (a `use_state` handle captured by a long-lived listener would keep setting the same value).
#[derive(Debug, Default, PartialEq)]
struct Counter(u64);

impl Reducible for Counter {
    type Action = ();

    fn reduce(self: Rc<Self>, _: ()) -> Rc<Self> {
        Rc::new(Counter(self.0 + 1))
    }
}

/// Calls the latest `on_event` for every core event while the component is mounted.
#[hook]
pub fn use_core_events(on_event: Callback<CoreEvent>) {
    let latest = use_mut_ref(|| on_event.clone());
    *latest.borrow_mut() = on_event;
    let subscription = use_mut_ref(|| None::<EventSubscription>);
    use_effect_with((), move |_| {
        let alive = Rc::new(Cell::new(true));
        {
            let (slot, alive) = (subscription.clone(), alive.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let on_event = move |event: CoreEvent| {
                    let callback = latest.borrow().clone();
                    callback.emit(event);
                };
                if let Ok(sub) = listen_core_events(on_event).await
                    && alive.get()
                {
                    *slot.borrow_mut() = Some(sub);
                }
            });
        }
        move || {
            alive.set(false);
            subscription.borrow_mut().take();
        }
    });
}

/// Bumps the returned counter for every core event `touches` accepts: the shell each "reload when
/// X changed" hook below shares.
#[hook]
fn use_changes_matching<F>(touches: F) -> u64
where
    F: Fn(&CoreEvent) -> bool + 'static,
{
    let version = use_reducer(Counter::default);
    let bump = version.dispatcher();
    use_core_events(Callback::from(move |event: CoreEvent| {
        if touches(&event) {
            bump.dispatch(());
        }
    }));
    version.0
}

/// Bumps the returned counter whenever the core reports a change to records of `kind` (from this
/// window, another one, or the CLI via the shell), so a view can reload without a manual refresh.
#[hook]
pub fn use_changes_of(kind: RecordKind) -> u64 {
    use_changes_matching(move |event: &CoreEvent| match *event {
        CoreEvent::RecordChanged { record, .. } => record.kind == kind,
        CoreEvent::RecordsChanged { kind: changed, .. } => changed == kind,
        CoreEvent::ConfigChanged
        | CoreEvent::WhopSync { .. }
        | CoreEvent::WhopChanged
        | CoreEvent::WhopLoginFailed { .. }
        | CoreEvent::OutboxChanged { .. }
        | CoreEvent::OutboxRejected { .. }
        | CoreEvent::AiChanged { .. }
        | CoreEvent::WorkflowsChanged
        | CoreEvent::ContractsChanged { .. }
        | CoreEvent::BackupsChanged
        | CoreEvent::TeamChanged { .. }
        | CoreEvent::RestartRequired => false,
    })
}

/// Bumps the returned counter whenever the Whop connection, settings or sync history change.
#[hook]
pub fn use_whop_changes() -> u64 {
    use_changes_matching(|event: &CoreEvent| *event == CoreEvent::WhopChanged)
}

/// Bumps the returned counter when Whop data as the window shows it may have moved: the Whop
/// connection or a sync (`WhopChanged`), the outbox (`OutboxChanged`, `OutboxRejected`: pending
/// marks and optimistic values), and, with `records`, changes to records of that kind. One
/// subscription for all of them.
#[hook]
pub fn use_whop_data_changes(records: Option<RecordKind>) -> u64 {
    use_changes_matching(move |event: &CoreEvent| match *event {
        CoreEvent::WhopChanged | CoreEvent::OutboxChanged { .. } | CoreEvent::OutboxRejected { .. } => true,
        CoreEvent::RecordChanged { record, .. } => Some(record.kind) == records,
        CoreEvent::RecordsChanged { kind, .. } => Some(kind) == records,
        CoreEvent::ConfigChanged
        | CoreEvent::WhopSync { .. }
        | CoreEvent::WhopLoginFailed { .. }
        | CoreEvent::AiChanged { .. }
        | CoreEvent::WorkflowsChanged
        | CoreEvent::ContractsChanged { .. }
        | CoreEvent::BackupsChanged
        | CoreEvent::TeamChanged { .. }
        | CoreEvent::RestartRequired => false,
    })
}

/// Bumps the returned counter when the churn segments may have moved
/// (`state::churn::churn_may_change`: a sync, the outbox, people and notes).
#[hook]
pub fn use_churn_changes() -> u64 {
    use_changes_matching(crate::state::churn::churn_may_change)
}

/// Bumps the returned counter when AI results or usage change: for one record (an `AiChanged`
/// naming it, or naming none), or for any record when `record` is `None`. With `outbox`, also
/// when the outbox moves (queued AI runs going out).
#[hook]
pub fn use_ai_changes(record: Option<RecordRef>, outbox: bool) -> u64 {
    use_changes_matching(move |event: &CoreEvent| match *event {
        CoreEvent::AiChanged { record: changed } => record.is_none() || changed.is_none() || changed == record,
        CoreEvent::OutboxChanged { .. } | CoreEvent::OutboxRejected { .. } => outbox,
        CoreEvent::RecordChanged { .. }
        | CoreEvent::RecordsChanged { .. }
        | CoreEvent::ConfigChanged
        | CoreEvent::WhopSync { .. }
        | CoreEvent::WhopChanged
        | CoreEvent::WhopLoginFailed { .. }
        | CoreEvent::WorkflowsChanged
        | CoreEvent::ContractsChanged { .. }
        | CoreEvent::BackupsChanged
        | CoreEvent::TeamChanged { .. }
        | CoreEvent::RestartRequired => false,
    })
}

/// Bumps the returned counter when workflows or their run history change.
#[hook]
pub fn use_workflows_changes() -> u64 {
    use_changes_matching(|event: &CoreEvent| *event == CoreEvent::WorkflowsChanged)
}

/// Bumps the returned counter when contracts change: for one deal (a `ContractsChanged` naming
/// it, or naming none: the e-sign settings or templates), or for any deal when `deal` is `None`.
#[hook]
pub fn use_contracts_changes(deal: Option<Uuid>) -> u64 {
    use_changes_matching(move |event: &CoreEvent| match *event {
        CoreEvent::ContractsChanged { deal: changed } => deal.is_none() || changed.is_none() || changed == deal,
        CoreEvent::RecordChanged { .. }
        | CoreEvent::RecordsChanged { .. }
        | CoreEvent::ConfigChanged
        | CoreEvent::WhopSync { .. }
        | CoreEvent::WhopChanged
        | CoreEvent::WhopLoginFailed { .. }
        | CoreEvent::OutboxChanged { .. }
        | CoreEvent::OutboxRejected { .. }
        | CoreEvent::AiChanged { .. }
        | CoreEvent::WorkflowsChanged
        | CoreEvent::BackupsChanged
        | CoreEvent::TeamChanged { .. }
        | CoreEvent::RestartRequired => false,
    })
}

/// Bumps the returned counter when the e-sign settings, the DocuSign connection or the contract
/// templates change (a `ContractsChanged` naming no deal).
#[hook]
pub fn use_esign_config_changes() -> u64 {
    use_changes_matching(|event: &CoreEvent| matches!(event, CoreEvent::ContractsChanged { deal: None }))
}

/// Bumps the returned counter when backups were taken or a restore was scheduled.
#[hook]
pub fn use_backups_changes() -> u64 {
    use_changes_matching(|event: &CoreEvent| *event == CoreEvent::BackupsChanged)
}

/// The answer of command `C` for `request`, asked again whenever `request` changes: `None` while
/// it is on its way, then the response or the error's message.
#[hook]
pub fn use_invoked<C>(request: C::Request) -> Option<Result<C::Response, String>>
where
    C: dealdesk_model::ipc::Command + 'static,
    C::Request: Clone + PartialEq + 'static,
    C::Response: Clone + 'static,
{
    let answer = use_state(|| None::<Result<C::Response, String>>);
    {
        let answer = answer.clone();
        use_effect_with(request, move |request| {
            answer.set(None);
            let request = request.clone();
            wasm_bindgen_futures::spawn_local(async move {
                answer.set(Some(crate::ipc::invoke::<C>(&request).await.map_err(|e| e.message)));
            });
        });
    }
    (*answer).clone()
}
