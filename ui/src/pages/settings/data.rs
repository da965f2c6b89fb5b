//! Settings → Data: backups and restore.

use super::*;

#[function_component(DataSettings)]
pub(super) fn data_settings() -> Html {
    let info = use_state(|| None::<AppInfo>);
    let notifier = use_notifier();
    {
        let info = info.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move { info.set(invoke::<GetAppInfo>(&()).await.ok()) });
        });
    }
    let export = |object: CsvObject| {
        let notifier = notifier.clone();
        Callback::from(move |_| {
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match (invoke::<ExportCsv>(&object).await, notifier) {
                    (Ok(file), Some(n)) => {
                        n.success(format!("Exported {} {object} to {}", file.rows.unwrap_or_default(), file.path))
                    }
                    (Err(e), Some(n)) => n.error(e.message),
                    _ => {}
                }
            });
        })
    };
    let import = use_context::<crate::shell::ShellHandle>()
        .map(|shell| Callback::from(move |_: MouseEvent| shell.import.emit(CsvObject::People)));
    // Bumped after "Back up now", so the list shows the new file even without an event.
    let backed_up = use_state(|| 0u64);
    let backing_up = use_state(|| false);
    let backup = {
        let (notifier, backed_up, backing_up) = (notifier.clone(), backed_up.clone(), backing_up.clone());
        Callback::from(move |_| {
            backing_up.set(true);
            let (backed_up, backing_up) = (backed_up.clone(), backing_up.clone());
            crate::app::backup(
                notifier.clone(),
                Callback::from(move |_| {
                    backing_up.set(false);
                    backed_up.set(*backed_up + 1);
                }),
            )
        })
    };
    html! {
        <>
            <Card title={AttrValue::from("Data")} id="data-settings">
                if let Some(info) = &*info {
                    <IconText label="Data folder" text={info.data_dir.clone()} />
                    <IconText label="Database" text={format!("{} ({:.1} MB)", info.database_file, info.database_bytes as f64 / 1_048_576.0)} />
                    <IconText label="Version" text={info.version.clone()} />
                }
                <div class="muted">{ "Everything is stored in this one SQLite file. The CLI (dealdesk-cli) works on the same file." }</div>
                <div class="inline-form">
                    <Button tone={Tone::Primary} id="backup-now" disabled={*backing_up} onclick={backup}>{ "Back up now" }</Button>
                    <Button onclick={export(CsvObject::People)}>{ "Export people (CSV)" }</Button>
                    <Button onclick={export(CsvObject::Companies)}>{ "Export companies (CSV)" }</Button>
                    <Button onclick={export(CsvObject::Deals)}>{ "Export deals (CSV)" }</Button>
                    if let Some(import) = import {
                        <Button id="data-import" onclick={import}>{ "Import CSV…" }</Button>
                    }
                </div>
            </Card>
            <BackupsCard reload={*backed_up} />
        </>
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct BackupsCardProps {
    /// Changes when the list should be read again (after "Back up now").
    reload: u64,
}

/// `#backups`: the backup files, newest first, each with Restore….
#[function_component(BackupsCard)]
pub(super) fn backups_card(props: &BackupsCardProps) -> Html {
    let backups = use_state(|| None::<Result<Backups, String>>);
    let restoring = use_state(|| None::<BackupInfo>);
    let busy = use_state(|| false);
    let restore_error = use_state(|| None::<String>);
    let notifier = use_notifier();
    let changes = use_backups_changes();
    {
        let backups = backups.clone();
        use_effect_with((props.reload, changes), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                backups.set(Some(invoke::<BackupsList>(&()).await.map_err(|e| e.message)));
            });
        });
    }
    let ask = {
        let (restoring, restore_error) = (restoring.clone(), restore_error.clone());
        Callback::from(move |backup: BackupInfo| {
            restore_error.set(None);
            restoring.set(Some(backup));
        })
    };
    let restore = {
        let (restoring, busy, restore_error, backups, notifier) =
            (restoring.clone(), busy.clone(), restore_error.clone(), backups.clone(), notifier.clone());
        Callback::from(move |_: ()| {
            let Some(backup) = (*restoring).clone() else { return };
            busy.set(true);
            let (restoring, busy, restore_error, backups, notifier) =
                (restoring.clone(), busy.clone(), restore_error.clone(), backups.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<BackupRestore>(&backup.name).await;
                busy.set(false);
                match result {
                    Ok(list) => {
                        restoring.set(None);
                        backups.set(Some(Ok(list)));
                        if let Some(n) = &notifier {
                            n.success(restore_scheduled_text(&backup));
                        }
                    }
                    Err(e) => restore_error.set(Some(e.message)),
                }
            });
        })
    };
    let close = {
        let restoring = restoring.clone();
        Callback::from(move |_: ()| restoring.set(None))
    };
    let cancel_restore = {
        let (backups, notifier) = (backups.clone(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            let (backups, notifier) = (backups.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<BackupRestoreCancel>(&()).await {
                    Ok(list) => {
                        backups.set(Some(Ok(list)));
                        if let Some(n) = &notifier {
                            n.success("Restore cancelled: the current data stays.");
                        }
                    }
                    Err(e) => {
                        if let Some(n) = &notifier {
                            n.error(format!("Cannot cancel the restore: {}", e.message));
                        }
                    }
                }
            });
        })
    };
    html! {
        <Card title={AttrValue::from("Backups")} id="backups-card">
            { match &*backups {
                None => html! { <Skeleton rows={3} /> },
                Some(Err(message)) => html! {
                    <div class="banner error" id="backups-error" role="alert">{ format!("Cannot list the backups: {message}") }</div>
                },
                Some(Ok(list)) => html! {
                    <>
                        <IconText label="Backups folder" text={list.dir.clone()} />
                        <div class="muted backups-kept" id="backups-kept">
                            { kept_text(list) }
                            { "; the ones you take with Back up now are kept until you delete them." }
                        </div>
                        if let Some(name) = &list.restore_pending {
                            <div class="banner warning" id="backup-restore-pending" role="status">
                                <span>{ pending_text(name) }</span>
                                <Button id="backup-restore-cancel" onclick={cancel_restore}>{ "Cancel restore" }</Button>
                            </div>
                        }
                        <div id="backups" class="backups">
                            if list.backups.is_empty() {
                                <div class="muted backups-empty">{ "No backups yet. Press Back up now, or wait for the daily one." }</div>
                            } else {
                                <table class="whop-table backups-table">
                                    <thead><tr>
                                        <th>{ "Taken" }</th><th>{ "Why" }</th><th class="num">{ "Size" }</th><th>{ "File" }</th><th />
                                    </tr></thead>
                                    <tbody>
                                        { for list.backups.iter().map(|b| backup_row(b, list.restore_pending.as_deref(), &ask)) }
                                    </tbody>
                                </table>
                            }
                        </div>
                    </>
                },
            } }
            if let Some(backup) = &*restoring {
                <ConfirmDialog title="Restore this backup?" id="backup-restore-dialog" confirm_id="backup-restore-confirm"
                    confirm_label="Restore and restart" busy_label="Restoring…" danger=true busy={*busy}
                    error={(*restore_error).clone().map(AttrValue::from)} on_confirm={restore} on_close={close}>
                    <p class="dialog-lead">{ restore_question(backup) }</p>
                    <p class="muted dialog-note"><code>{ backup.name.clone() }</code>{ format!(" · {}", size_text(backup.bytes)) }</p>
                </ConfirmDialog>
            }
        </Card>
    }
}

pub(super) fn backup_row(b: &BackupInfo, pending: Option<&str>, ask: &Callback<BackupInfo>) -> Html {
    let is_pending = pending == Some(b.name.as_str());
    let (ask, backup) = (ask.clone(), b.clone());
    html! {
        <tr class={classes!("backup", is_pending.then_some("pending"))} key={b.name.clone()} data-name={b.name.clone()} data-reason={b.reason.as_str()}>
            <td class="backup-created">{ short_time(&b.created_at) }</td>
            <td class="backup-reason">
                <Badge text={b.reason.label()} tone={if b.reason.is_automatic() { BadgeTone::Neutral } else { BadgeTone::Accent }} />
                if is_pending { { " " }<Badge text="restores at the next start" tone={BadgeTone::Warning} /> }
            </td>
            <td class="num backup-size">{ size_text(b.bytes) }</td>
            <td class="backup-file"><code title={b.path.clone()}>{ b.name.clone() }</code></td>
            <td class="row-buttons">
                <Button small=true class="backup-restore" disabled={pending.is_some()}
                    aria_label={AttrValue::from(format!("Restore the backup from {}", short_time(&b.created_at)))}
                    onclick={Callback::from(move |_| ask.emit(backup.clone()))}>{ "Restore…" }</Button>
            </td>
        </tr>
    }
}
