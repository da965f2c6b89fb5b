use crate::ipc::{EventSubscription, listen_core_events};
use dealdesk_model::RecordKind;
use dealdesk_model::ipc::CoreEvent;
use yew::prelude::*;

/// Bumps the returned counter whenever the core reports a change to records of `kind` (from this
/// window, another one, or the CLI via the shell), so a view can reload without a manual refresh.
#[hook]
pub fn use_changes_of(kind: RecordKind) -> u64 {
    let version = use_state(|| 0u64);
    let subscription = use_mut_ref(|| None::<EventSubscription>);
    {
        let version = version.clone();
        let subscription = subscription.clone();
        use_effect_with(kind, move |kind| {
            let kind = *kind;
            let slot = subscription.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let on_event = move |event: CoreEvent| {
                    let touched = match event {
                        CoreEvent::RecordChanged { record, .. } => record.kind == kind,
                        CoreEvent::RecordsChanged { kind: changed, .. } => changed == kind,
                        CoreEvent::ConfigChanged | CoreEvent::WhopSync { .. } | CoreEvent::WhopChanged => false,
                    };
                    if touched {
                        version.set(*version + 1);
                    }
                };
                if let Ok(sub) = listen_core_events(on_event).await {
                    *slot.borrow_mut() = Some(sub);
                }
            });
            move || {
                subscription.borrow_mut().take();
            }
        });
    }
    *version
}
