//! The backups on the "Dealdesk cannot open its database" screen: newest first, each with
//! "Restore this backup", which puts it in place of the damaged file (kept aside) and restarts.
//! Its commands answer without the database, which every other command waits for.

use crate::components::controls::{Button, Tone};
use crate::components::display::{Badge, BadgeTone};
use crate::components::overlay::ConfirmDialog;
use crate::ipc::invoke;
use crate::state::format::short_time;
use crate::state::support::{restore_in_place_question, restored_in_place_text, size_text};
use dealdesk_model::ipc::{UnavailableBackupsList, UnavailableRestore};
use dealdesk_model::support::{BackupInfo, Backups};
use yew::prelude::*;

/// `#unavailable-backups`.
#[function_component(UnavailableBackups)]
pub fn unavailable_backups() -> Html {
    let backups = use_state(|| None::<Result<Backups, String>>);
    let asking = use_state(|| None::<BackupInfo>);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let restored = use_state(|| None::<String>);
    {
        let backups = backups.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                backups.set(Some(invoke::<UnavailableBackupsList>(&()).await.map_err(|e| e.message)));
            });
        });
    }
    let ask = {
        let (asking, error) = (asking.clone(), error.clone());
        Callback::from(move |backup: BackupInfo| {
            error.set(None);
            asking.set(Some(backup));
        })
    };
    let restore = {
        let (asking, busy, error, restored) = (asking.clone(), busy.clone(), error.clone(), restored.clone());
        Callback::from(move |_: ()| {
            let Some(backup) = (*asking).clone() else { return };
            busy.set(true);
            let (asking, busy, error, restored) = (asking.clone(), busy.clone(), error.clone(), restored.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<UnavailableRestore>(&backup.name).await;
                busy.set(false);
                match result {
                    // The shell restarts the app a moment later, on the restored database.
                    Ok(done) => {
                        asking.set(None);
                        restored.set(Some(restored_in_place_text(&done)));
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let close = {
        let asking = asking.clone();
        Callback::from(move |_: ()| asking.set(None))
    };
    html! {
        <section class="unavailable-backups" id="unavailable-backups" aria-labelledby="unavailable-backups-title">
            <h2 id="unavailable-backups-title">{ "Put a backup in its place" }</h2>
            if let Some(text) = &*restored {
                <div class="banner success" id="unavailable-restored" role="status">{ text.clone() }</div>
            }
            { match &*backups {
                None => html! { <p class="muted">{ "Looking for backups…" }</p> },
                Some(Err(message)) => html! {
                    <div class="banner error" id="unavailable-backups-error" role="alert">{ format!("Cannot list the backups: {message}") }</div>
                },
                Some(Ok(list)) if list.backups.is_empty() => html! {
                    <p class="muted" id="unavailable-backups-empty">
                        { "There are no backups in " }<code>{ list.dir.clone() }</code>{ "." }
                    </p>
                },
                Some(Ok(list)) => html! {
                    <>
                        <p class="muted">
                            { "The damaged file is kept beside it, and Dealdesk restarts on the backup. Work done since the backup was taken is not in it. Backups are in " }
                            <code>{ list.dir.clone() }</code>{ "." }
                        </p>
                        <table class="whop-table backups-table" id="unavailable-backups-list">
                            <thead><tr>
                                <th>{ "Taken" }</th><th>{ "Why" }</th><th class="num">{ "Size" }</th><th />
                            </tr></thead>
                            <tbody>
                                { for list.backups.iter().map(|b| backup_row(b, restored.is_some(), &ask)) }
                            </tbody>
                        </table>
                    </>
                },
            } }
            if let Some(backup) = &*asking {
                <ConfirmDialog title="Restore this backup?" id="unavailable-restore-dialog" confirm_id="unavailable-restore-confirm"
                    confirm_label="Restore and restart" busy_label="Restoring…" danger=true busy={*busy}
                    error={(*error).clone().map(AttrValue::from)} on_confirm={restore} on_close={close}>
                    <p class="dialog-lead">{ restore_in_place_question(backup) }</p>
                    <p class="muted dialog-note"><code>{ backup.name.clone() }</code>{ format!(" · {}", size_text(backup.bytes)) }</p>
                </ConfirmDialog>
            }
        </section>
    }
}

fn backup_row(b: &BackupInfo, done: bool, ask: &Callback<BackupInfo>) -> Html {
    let (ask, backup) = (ask.clone(), b.clone());
    html! {
        <tr class="backup" key={b.name.clone()} data-name={b.name.clone()} data-reason={b.reason.as_str()}>
            <td class="backup-created" title={b.name.clone()}>{ short_time(&b.created_at) }</td>
            <td class="backup-reason">
                <Badge text={b.reason.label()} tone={if b.reason.is_automatic() { BadgeTone::Neutral } else { BadgeTone::Accent }} />
            </td>
            <td class="num backup-size">{ size_text(b.bytes) }</td>
            <td class="row-buttons">
                <Button small=true tone={Tone::Primary} class="unavailable-restore" disabled={done}
                    aria_label={AttrValue::from(format!("Restore this backup from {}", short_time(&b.created_at)))}
                    onclick={Callback::from(move |_| ask.emit(backup.clone()))}>{ "Restore this backup" }</Button>
            </td>
        </tr>
    }
}
