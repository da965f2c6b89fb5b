//! "Changes waiting" (/outbox): the operations waiting for the network (changes to Whop, queued
//! AI runs) or refused, with Retry and Discard, and the conflicts to resolve. The conflict list is
//! shared with the record pages' `#record-conflicts` banner.

use crate::components::controls::{Button, Checkbox, Tone};
use crate::components::display::{Badge, EmptyState, Skeleton};
use crate::components::hooks::{use_core_events, use_whop_data_changes};
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::pages::whop::tone;
use crate::route::Route;
use crate::state::ai::record_text;
use crate::state::format::short_time;
use crate::state::outbox::{
    OutboxAction, OutboxView, can_discard, can_retry, conflict_explanation, conflict_kind_label, conflicts_of,
    discard_text, discard_title, entry_record, field_label, offline_note, record_noun, status_label, value_text,
};
use dealdesk_model::RecordRef;
use dealdesk_model::ipc::{
    ConflictResolve, ConflictsList, CoreEvent, OutboxDiscard, OutboxGetSummary, OutboxList, OutboxRetry,
};
use dealdesk_model::outbox::{ConflictView, OutboxEntry, OutboxStatus, Resolution, ResolveConflict};
use yew::prelude::*;
use yew_router::prelude::*;

fn load_entries(dispatch: UseReducerDispatcher<OutboxView>, finished: bool) {
    wasm_bindgen_futures::spawn_local(async move {
        let result = invoke::<OutboxList>(&finished).await.map_err(|e| e.message);
        dispatch.dispatch(OutboxAction::Entries { finished, result });
    });
}

fn load_conflicts(dispatch: UseReducerDispatcher<OutboxView>) {
    wasm_bindgen_futures::spawn_local(async move {
        dispatch.dispatch(OutboxAction::Conflicts(invoke::<ConflictsList>(&()).await.map_err(|e| e.message)));
    });
}

#[function_component(OutboxPage)]
pub fn outbox_page() -> Html {
    let view = use_reducer(OutboxView::default);
    let notifier = use_notifier();
    let discarding = use_state(|| None::<OutboxEntry>);
    let discard_error = use_state(|| None::<String>);
    let show_finished = view.show_finished;
    {
        let dispatch = view.dispatcher();
        use_effect_with(show_finished, move |finished| load_entries(dispatch, *finished));
    }
    {
        let dispatch = view.dispatcher();
        use_effect_with((), move |_| {
            load_conflicts(dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(summary) = invoke::<OutboxGetSummary>(&()).await {
                    dispatch.dispatch(OutboxAction::Summary(summary));
                }
            });
        });
    }
    {
        let dispatch = view.dispatcher();
        use_core_events(Callback::from(move |event: CoreEvent| match event {
            CoreEvent::OutboxChanged { summary } => {
                dispatch.dispatch(OutboxAction::Summary(summary));
                load_entries(dispatch.clone(), show_finished);
                load_conflicts(dispatch.clone());
            }
            CoreEvent::WhopChanged | CoreEvent::OutboxRejected { .. } => {
                load_entries(dispatch.clone(), show_finished);
                load_conflicts(dispatch.clone());
            }
            _ => {}
        }));
    }
    let reload = {
        let dispatch = view.dispatcher();
        Callback::from(move |_: ()| {
            load_entries(dispatch.clone(), show_finished);
            load_conflicts(dispatch.clone());
        })
    };
    let toggle = {
        let dispatch = view.dispatcher();
        Callback::from(move |(checked, _): (bool, bool)| dispatch.dispatch(OutboxAction::ShowFinished(checked)))
    };
    let retry = {
        let (notifier, reload) = (notifier.clone(), reload.clone());
        Callback::from(move |id: i64| {
            let (notifier, reload) = (notifier.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<OutboxRetry>(&id).await {
                    Ok(entry) => {
                        if let Some(n) = &notifier {
                            n.success(format!("“{}” goes out again", entry.summary));
                        }
                    }
                    Err(e) => {
                        if let Some(n) = &notifier {
                            n.error(e.message);
                        }
                    }
                }
                reload.emit(());
            });
        })
    };
    let ask_discard = {
        let (discarding, discard_error) = (discarding.clone(), discard_error.clone());
        Callback::from(move |entry: OutboxEntry| {
            discard_error.set(None);
            discarding.set(Some(entry));
        })
    };
    let discard = {
        let (discarding, discard_error, notifier, reload) =
            (discarding.clone(), discard_error.clone(), notifier.clone(), reload.clone());
        Callback::from(move |_: ()| {
            let Some(entry) = (*discarding).clone() else { return };
            let (discarding, discard_error, notifier, reload) =
                (discarding.clone(), discard_error.clone(), notifier.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<OutboxDiscard>(&entry.id).await {
                    Ok(_) => {
                        discarding.set(None);
                        if let Some(n) = &notifier {
                            n.success(format!("Discarded “{}”", entry.summary));
                        }
                        reload.emit(());
                    }
                    Err(e) => discard_error.set(Some(e.message)),
                }
            });
        })
    };

    let offline = view.summary.as_ref().filter(|s| !s.online);
    let entries = match &view.entries {
        None => html! { <Skeleton rows={4} /> },
        Some(Err(message)) => html! { <div class="banner error" role="alert">{ message.clone() }</div> },
        Some(Ok(entries)) => html! {
            <>
                if view.everything_sent() {
                    <EmptyState title="Everything is sent." hint={
                        AttrValue::from("Changes to Whop and AI runs made while Dealdesk is offline wait in this list.")
                    } />
                } else if entries.is_empty() {
                    <div class="muted">{ "Nothing is waiting to go out." }</div>
                }
                if !entries.is_empty() {
                    <table class="whop-table outbox-table" id="outbox-table">
                        <thead><tr>
                            <th>{ "Status" }</th><th>{ "Change" }</th><th class="num">{ "Attempts" }</th>
                            <th>{ "Created" }</th><th>{ "Last error" }</th><th />
                        </tr></thead>
                        <tbody>
                            { for entries.iter().map(|e| outbox_row(e, &retry, &ask_discard)) }
                        </tbody>
                    </table>
                }
                if let Some(note) = view.partial_list_note() {
                    <p class="muted" id="outbox-partial">{ note }</p>
                }
            </>
        },
    };
    let conflicts = match &view.conflicts {
        None => html! { <Skeleton rows={2} /> },
        Some(Err(message)) => html! { <div class="banner error" role="alert">{ message.clone() }</div> },
        Some(Ok(list)) if list.is_empty() => html! { <div class="muted">{ "No conflicts." }</div> },
        Some(Ok(list)) => {
            html! { <ConflictList conflicts={list.clone()} link_records=true on_resolved={reload.clone()} /> }
        }
    };
    html! {
        <section class="page outbox-page" id="outbox-page">
            <header class="page-header">
                <h1>{ "Changes waiting" }</h1>
                <div class="spacer" />
                <Checkbox id="outbox-show-finished" checked={show_finished} label={AttrValue::from("Show finished")} on_change={toggle} />
            </header>
            if let Some(s) = offline {
                <div class="banner warning" id="outbox-offline" role="status">
                    { "Dealdesk is offline" }
                    if let Some(reason) = &s.offline_reason { { format!(" ({reason})") } }
                    { ". " }
                    { offline_note(match &view.entries { Some(Ok(entries)) => entries, _ => &[] }) }
                </div>
            }
            { entries }
            <section class="outbox-conflicts" id="conflicts" aria-labelledby="conflicts-title">
                <h2 id="conflicts-title">{ "Conflicts" }</h2>
                { conflicts }
            </section>
            if let Some(entry) = &*discarding {
                <ConfirmDialog title={discard_title(entry)} id="outbox-discard-dialog" confirm_id="outbox-discard-confirm"
                    confirm_label="Discard" danger=true error={(*discard_error).clone().map(AttrValue::from)}
                    on_confirm={discard} on_close={{ let d = discarding.clone(); Callback::from(move |_| d.set(None)) }}>
                    <p class="dialog-lead">{ discard_text(entry) }</p>
                </ConfirmDialog>
            }
        </section>
    }
}

fn outbox_row(e: &OutboxEntry, retry: &Callback<i64>, discard: &Callback<OutboxEntry>) -> Html {
    let (label, t) = status_label(e.status);
    let id = e.id;
    let retry = retry.clone();
    let discard = discard.clone();
    let entry = e.clone();
    // An AI run is about a CRM record: named shortly and linked; a Whop object by its Whop id.
    let record = entry_record(e);
    let record_name = match record {
        Some(r) => record_text(&r),
        None => format!("{} {}", record_noun(&e.record_kind), e.record_id),
    };
    html! {
        <tr class="outbox-row" key={e.id.to_string()} data-id={e.id.to_string()} data-status={e.status.as_str()} data-target={e.target.clone()}>
            <td>
                <Badge text={label} tone={tone(t)} />
                if let Some(next) = e.next_attempt_at.as_deref().filter(|_| e.status.is_open()) {
                    <div class="muted outbox-next">{ format!("next try {}", short_time(next)) }</div>
                }
            </td>
            <td class="outbox-summary">
                { e.summary.clone() }
                <div class="muted outbox-record">
                    { match record.and_then(crate::shell::record_route) {
                        Some(route) => html! { <Link<Route> to={route}>{ record_name }</Link<Route>> },
                        None => html! { { record_name } },
                    } }
                </div>
            </td>
            <td class="num">{ e.attempts }</td>
            <td class="outbox-created">{ short_time(&e.created_at) }</td>
            <td class={classes!("outbox-error", e.last_error.is_some().then_some("whop-error"))}>
                { e.last_error.clone().unwrap_or_else(|| "—".into()) }
            </td>
            <td class="row-buttons">
                if can_retry(e.status) {
                    <Button small=true class="outbox-retry" aria_label={AttrValue::from(format!("Retry “{}”", e.summary))}
                        title={AttrValue::from(if e.status == OutboxStatus::Failed { "Send it again" } else { "Send it now" })}
                        onclick={Callback::from(move |_| retry.emit(id))}>{ "Retry" }</Button>
                }
                if can_discard(e.status) {
                    <Button small=true tone={Tone::Danger} class="outbox-discard" aria_label={AttrValue::from(format!("Discard “{}”", e.summary))}
                        onclick={Callback::from(move |_| discard.emit(entry.clone()))}>{ "Discard" }</Button>
                }
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
pub struct ConflictListProps {
    pub conflicts: Vec<ConflictView>,
    /// Link each conflict to its CRM record (the outbox page; a record page is that record).
    #[prop_or_default]
    pub link_records: bool,
    /// A conflict was resolved.
    #[prop_or_default]
    pub on_resolved: Callback<()>,
}

/// Conflicts, each with what happened, mine and theirs, Keep mine and Take theirs.
#[function_component(ConflictList)]
pub fn conflict_list(props: &ConflictListProps) -> Html {
    let notifier = use_notifier();
    let busy = use_state(|| None::<i64>);
    let resolve = {
        let (notifier, busy, on_resolved) = (notifier.clone(), busy.clone(), props.on_resolved.clone());
        Callback::from(move |(id, keep): (i64, Resolution)| {
            busy.set(Some(id));
            let (notifier, busy, on_resolved) = (notifier.clone(), busy.clone(), on_resolved.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<ConflictResolve>(&ResolveConflict { id, keep }).await;
                busy.set(None);
                if let Some(n) = &notifier {
                    match result {
                        Ok(_) if keep == Resolution::Mine => n.success("Kept your value"),
                        Ok(_) => n.success("Took the value from Whop"),
                        Err(e) => n.error(e.message),
                    }
                }
                on_resolved.emit(());
            });
        })
    };
    html! {
        <ul class="conflict-list">
            { for props.conflicts.iter().map(|c| {
                let id = c.id;
                let record = match (props.link_records, c.crm_record.and_then(crate::shell::record_route)) {
                    (true, Some(route)) => html! {
                        <Link<Route> to={route} classes="conflict-record">{ format!("{} {}", record_noun(&c.record_kind), c.record_id) }</Link<Route>>
                    },
                    _ => html! { <span class="conflict-record">{ format!("{} {}", record_noun(&c.record_kind), c.record_id) }</span> },
                };
                let working = *busy == Some(id);
                let (mine, theirs) = (resolve.clone(), resolve.clone());
                html! {
                    <li class="conflict-row" key={id.to_string()} data-id={id.to_string()} data-kind={c.kind.as_str()}>
                        <div class="conflict-head">
                            <span class="badge warning conflict-kind">{ conflict_kind_label(c.kind) }</span>
                            { record }
                            if c.field.is_some() {
                                <span class="conflict-field">{ field_label(c.field.as_deref()) }</span>
                            }
                            <span class="muted conflict-when">{ short_time(&c.created_at) }</span>
                        </div>
                        <p class="conflict-explain">{ conflict_explanation(c.kind) }</p>
                        if !c.summary.is_empty() {
                            <div class="muted conflict-summary">{ format!("Your change: {}", c.summary) }</div>
                        }
                        <div class="conflict-values">
                            <div class="conflict-value conflict-value-mine">
                                <span class="conflict-value-label">{ "Mine" }</span>
                                <code>{ value_text(&c.local_value) }</code>
                            </div>
                            <div class="conflict-value conflict-value-theirs">
                                <span class="conflict-value-label">{ "Theirs (Whop)" }</span>
                                <code>{ value_text(&c.remote_value) }</code>
                            </div>
                        </div>
                        <div class="conflict-buttons">
                            <Button small=true tone={Tone::Primary} class="conflict-mine" disabled={working}
                                aria_label={AttrValue::from(format!("Keep mine for {} {}", record_noun(&c.record_kind), c.record_id))}
                                onclick={Callback::from(move |_| mine.emit((id, Resolution::Mine)))}>{ "Keep mine" }</Button>
                            <Button small=true class="conflict-theirs" disabled={working}
                                aria_label={AttrValue::from(format!("Take theirs for {} {}", record_noun(&c.record_kind), c.record_id))}
                                onclick={Callback::from(move |_| theirs.emit((id, Resolution::Theirs)))}>{ "Take theirs" }</Button>
                        </div>
                    </li>
                }
            }) }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
pub struct RecordConflictsProps {
    pub record: RecordRef,
}

/// `#record-conflicts`: a banner on a person or deal page while conflicts about it are open.
#[function_component(RecordConflicts)]
pub fn record_conflicts(props: &RecordConflictsProps) -> Html {
    let changes = use_whop_data_changes(Some(props.record.kind));
    let conflicts = use_state(Vec::<ConflictView>::new);
    let reloads = use_state(|| 0_u32);
    {
        let conflicts = conflicts.clone();
        use_effect_with((props.record, changes, *reloads), move |(record, ..)| {
            let record = *record;
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(all) = invoke::<ConflictsList>(&()).await {
                    conflicts.set(conflicts_of(&all, record));
                }
            });
        });
    }
    if conflicts.is_empty() {
        return html! {};
    }
    let reload = {
        let reloads = reloads.clone();
        Callback::from(move |_| reloads.set(*reloads + 1))
    };
    let count = conflicts.len();
    html! {
        <div class="banner warning record-conflicts" id="record-conflicts" role="alert">
            <div class="record-conflicts-title">
                { if count == 1 { "A change here collides with Whop: choose which value to keep.".to_string() }
                  else { format!("{count} changes here collide with Whop: choose which values to keep.") } }
            </div>
            <ConflictList conflicts={(*conflicts).clone()} on_resolved={reload} />
        </div>
    }
}
