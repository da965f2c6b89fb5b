//! Trash (/trash): deleted people, companies, deals, notes and tasks, newest first, with Restore
//! and Delete for good (after a confirmation), Empty trash, and how many days the trash keeps
//! records before deleting them for good.

use crate::components::controls::{Button, Input, Select, Tone};
use crate::components::display::{EmptyState, Skeleton};
use crate::components::hooks::use_core_events;
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::{notify, use_notifier};
use crate::ipc::invoke;
use crate::state::format::short_time;
use crate::state::trash::{
    count_text, delete_text, empty_text, kind_of, kind_options, parse_retention, retention_text, singular,
};
use dealdesk_model::ipc::{CoreEvent, RestoreRecord, TrashDeleteForGood, TrashEmpty, TrashList, TrashSetRetention};
use dealdesk_model::trash::{TrashItem, TrashList as Listed, TrashQuery};
use dealdesk_model::{RecordKind, RecordRef};
use yew::prelude::*;

/// What the Trash screen is asking the user to confirm.
#[derive(Clone, PartialEq)]
enum Confirm {
    DeleteOne(TrashItem),
    /// How many records, and of which kind (every kind when `None`): what the screen shows.
    Empty(u64, Option<RecordKind>),
}

fn load(kind: Option<RecordKind>, list: UseStateHandle<Option<Result<Listed, String>>>) {
    wasm_bindgen_futures::spawn_local(async move {
        list.set(Some(invoke::<TrashList>(&TrashQuery { kind, limit: None }).await.map_err(|e| e.message)));
    });
}

#[function_component(TrashPage)]
pub fn trash_page() -> Html {
    let list = use_state(|| None::<Result<Listed, String>>);
    let kind = use_state(|| None::<RecordKind>);
    let confirm = use_state(|| None::<Confirm>);
    let retention = use_state(|| None::<String>);
    let retention_error = use_state(|| None::<String>);
    let notifier = use_notifier();
    {
        let list = list.clone();
        use_effect_with(*kind, move |kind| load(*kind, list));
    }
    {
        let (list, kind) = (list.clone(), *kind);
        use_core_events(Callback::from(move |event: CoreEvent| {
            if matches!(event, CoreEvent::RecordChanged { .. } | CoreEvent::RecordsChanged { .. }) {
                load(kind, list.clone());
            }
        }));
    }
    let restore = {
        let notifier = notifier.clone();
        Callback::from(move |item: TrashItem| {
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<RestoreRecord>(&item.record).await;
                notify(&notifier, result.map(|_| format!("Restored “{}”", item.title)).map_err(|e| e.message));
            });
        })
    };
    let confirmed = {
        let (confirm, notifier) = (confirm.clone(), notifier.clone());
        Callback::from(move |_: ()| {
            let Some(asked) = (*confirm).clone() else { return };
            confirm.set(None);
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = match asked {
                    Confirm::DeleteOne(item) => invoke::<TrashDeleteForGood>(&item.record)
                        .await
                        .map(|_| format!("Deleted “{}” for good", item.title)),
                    Confirm::Empty(_, kind) => invoke::<TrashEmpty>(&kind).await.map(|n| match n {
                        1 => "Deleted 1 record for good".to_string(),
                        n => format!("Deleted {n} records for good"),
                    }),
                };
                notify(&notifier, result.map_err(|e| e.message));
            });
        })
    };
    let save_retention = {
        let (retention, retention_error, list, notifier, kind) =
            (retention.clone(), retention_error.clone(), list.clone(), notifier.clone(), *kind);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(text) = (*retention).clone() else { return };
            let days = match parse_retention(&text) {
                Ok(days) => days,
                Err(message) => {
                    retention_error.set(Some(message));
                    return;
                }
            };
            retention_error.set(None);
            let (retention, list, notifier) = (retention.clone(), list.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<TrashSetRetention>(&days).await {
                    Ok(_) => {
                        retention.set(None);
                        // Again with the kind the screen shows (the answer lists every kind).
                        load(kind, list);
                        notify(&notifier, Ok(retention_text(days)));
                    }
                    Err(e) => notify(&notifier, Err(e.message)),
                }
            });
        })
    };

    let (total, days, deletable) = match &*list {
        Some(Ok(listed)) => {
            (listed.total, Some(listed.retention_days), listed.items.iter().any(|item| item.kept.is_none()))
        }
        _ => (0, None, false),
    };
    let body = match &*list {
        None => html! { <Skeleton rows={4} /> },
        Some(Err(message)) => html! { <div class="banner error" role="alert">{ message.clone() }</div> },
        Some(Ok(listed)) if listed.items.is_empty() => html! {
            <EmptyState title="The trash is empty"
                hint="What you delete comes here first, so you can bring it back." />
        },
        Some(Ok(listed)) => html! {
            <>
                <p class="muted" id="trash-count">{ count_text(listed.items.len(), listed.total) }</p>
                <table class="whop-table trash-table" id="trash-table">
                    <thead><tr>
                        <th>{ "Record" }</th><th>{ "Kind" }</th><th>{ "Deleted" }</th><th aria-label="Actions" />
                    </tr></thead>
                    <tbody>
                        { for listed.items.iter().map(|item| trash_row(item, &restore, &confirm)) }
                    </tbody>
                </table>
            </>
        },
    };
    let retention_value = (*retention).clone().or_else(|| days.map(|d| d.to_string())).unwrap_or_default();
    html! {
        <section class="page trash-page" id="trash-page">
            <header class="page-header">
                <h1>{ "Trash" }</h1>
                <div class="spacer" />
                <Select id="trash-kind" label={AttrValue::from("Show")} value={kind.map(|k| k.as_str()).unwrap_or("")}
                    options={kind_options().into_iter().map(|(v, l)| (AttrValue::from(v), AttrValue::from(l))).collect::<Vec<_>>()}
                    on_change={{ let kind = kind.clone(); Callback::from(move |v: String| kind.set(kind_of(&v))) }} />
                <Button tone={Tone::Danger} id="trash-empty" disabled={!deletable}
                    onclick={{ let (c, kind) = (confirm.clone(), *kind); Callback::from(move |_| c.set(Some(Confirm::Empty(total, kind)))) }}>
                    { "Empty trash" }
                </Button>
            </header>
            <form class="inline-form trash-retention" id="trash-retention" onsubmit={save_retention} novalidate=true
                aria-label="How long the trash keeps records">
                <span class="muted" id="trash-retention-text">{ days.map(retention_text).unwrap_or_default() }</span>
                <Input id="trash-retention-days" kind="number" min={AttrValue::from("0")}
                    label={AttrValue::from("Delete for good after (days, 0 for never)")} value={retention_value}
                    error={(*retention_error).clone().map(AttrValue::from)}
                    on_change={{ let r = retention.clone(); Callback::from(move |v: String| r.set(Some(v))) }} />
                <Button kind="submit" id="trash-retention-save" disabled={retention.is_none()}>{ "Save" }</Button>
            </form>
            { body }
            if let Some(asked) = &*confirm {
                <ConfirmDialog
                    title={match asked { Confirm::DeleteOne(_) => "Delete for good?", Confirm::Empty(..) => "Empty the trash?" }}
                    id="trash-confirm-dialog" confirm_id="trash-confirm"
                    confirm_label={match asked { Confirm::DeleteOne(_) => "Delete for good", Confirm::Empty(..) => "Empty trash" }}
                    danger=true on_confirm={confirmed}
                    on_close={{ let c = confirm.clone(); Callback::from(move |_| c.set(None)) }}>
                    <p class="dialog-lead">{ match asked { Confirm::DeleteOne(item) => delete_text(item), Confirm::Empty(n, kind) => empty_text(*n, *kind) } }</p>
                </ConfirmDialog>
            }
        </section>
    }
}

fn trash_row(item: &TrashItem, restore: &Callback<TrashItem>, confirm: &UseStateHandle<Option<Confirm>>) -> Html {
    let RecordRef { kind, id } = item.record;
    let (restore, confirm) = (restore.clone(), confirm.clone());
    let (to_restore, to_delete) = (item.clone(), item.clone());
    html! {
        <tr class="trash-row" key={id.to_string()} data-kind={kind.as_str()} data-id={id.to_string()}>
            <td class="trash-title">
                { item.title.clone() }
                if let Some(detail) = &item.detail { <div class="muted">{ detail.clone() }</div> }
                if let Some(kept) = &item.kept { <div class="muted trash-kept">{ format!("Stays in the trash. {kept}.") }</div> }
            </td>
            <td>{ singular(kind) }</td>
            <td class="trash-deleted">{ short_time(&item.deleted_at) }</td>
            <td class="row-buttons">
                <Button small=true class="trash-restore" aria_label={AttrValue::from(format!("Restore “{}”", item.title))}
                    onclick={Callback::from(move |_| restore.emit(to_restore.clone()))}>{ "Restore" }</Button>
                <Button small=true tone={Tone::Danger} class="trash-delete" disabled={item.kept.is_some()}
                    title={item.kept.clone().map(AttrValue::from)}
                    aria_label={AttrValue::from(format!("Delete for good: “{}”", item.title))}
                    onclick={Callback::from(move |_| confirm.set(Some(Confirm::DeleteOne(to_delete.clone()))))}>
                    { "Delete for good" }
                </Button>
            </td>
        </tr>
    }
}
