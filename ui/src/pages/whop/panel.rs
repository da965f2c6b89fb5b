//! The Whop connection panel: sign-in, businesses, permissions, the doctor, sync progress and history.

use super::*;

/// Connection, settings, sync progress, totals and history: the same panel on the Whop screen and
/// in Settings → Integrations.
#[function_component(WhopPanel)]
pub fn whop_panel() -> Html {
    let view = use_reducer(WhopView::default);
    let notifier = use_notifier();
    let confirming = use_state(|| false);
    // Check connection: `None` closed, `Some(None)` checking, `Some(Some(result))` done. Each run
    // has a number, so the answer of a run the user closed does not open the dialog again.
    let doctor = use_state(|| None::<Option<Result<Vec<DoctorCheck>, String>>>);
    let doctor_run = use_mut_ref(|| 0u32);
    // A business choice is on its way: the boxes wait for it, so two quick ticks are not one.
    let choosing = use_state(|| false);
    {
        let dispatch = view.dispatcher();
        use_effect_with((), move |_| reload(dispatch));
    }
    {
        let dispatch = view.dispatcher();
        let notifier = notifier.clone();
        use_core_events(Callback::from(move |event: CoreEvent| match event {
            CoreEvent::WhopSync { progress } => {
                let done = progress.done;
                dispatch.dispatch(WhopAction::Progress(progress));
                if done {
                    // Totals and cursors move after each resource.
                    load_status(dispatch.clone());
                }
            }
            CoreEvent::WhopChanged => reload(dispatch.clone()),
            CoreEvent::WhopLoginFailed { message } => {
                toast_error(&notifier, format!("Whop sign-in failed: {message}"));
                dispatch.dispatch(WhopAction::LoginFailed(message));
            }
            CoreEvent::RecordChanged { .. }
            | CoreEvent::RecordsChanged { .. }
            | CoreEvent::ConfigChanged
            | CoreEvent::OutboxChanged { .. }
            | CoreEvent::OutboxRejected { .. }
            | CoreEvent::AiChanged { .. }
            | CoreEvent::WorkflowsChanged
            | CoreEvent::ContractsChanged { .. }
            | CoreEvent::BackupsChanged
            | CoreEvent::TeamChanged { .. }
            | CoreEvent::RestartRequired => {}
        }));
    }

    let Some(status) = view.status.clone() else {
        return match &view.load_error {
            Some(message) => html! {
                <div class="whop-panel">
                    <div class="banner error" id="whop-load-error" role="alert">{ format!("Cannot read the Whop status: {message}") }</div>
                </div>
            },
            None => html! { <div class="whop-panel"><Skeleton rows={4} /></div> },
        };
    };

    let connect = start_login::<WhopConnect>(view.dispatcher(), notifier.clone());
    let connect_loopback = start_login::<WhopConnectLoopback>(view.dispatcher(), notifier.clone());
    let copy = {
        let (url, notifier) = (view.authorize_url.clone().unwrap_or_default(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            let (url, notifier) = (url.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let copied = copy_to_clipboard(&url).await;
                if let Some(n) = &notifier {
                    if copied {
                        n.success("Copied the Whop sign-in link");
                    } else {
                        select_text_of("whop-authorize-url");
                        n.error("Cannot reach the clipboard: the link is selected, press Ctrl+C to copy it");
                    }
                }
            });
        })
    };
    let disconnect = {
        let (dispatch, notifier, confirming) = (view.dispatcher(), notifier.clone(), confirming.clone());
        Callback::from(move |_: MouseEvent| {
            confirming.set(false);
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<WhopDisconnect>(&()).await {
                    Ok(()) => {
                        if let Some(n) = &notifier {
                            n.success("Disconnected from Whop");
                        }
                    }
                    Err(e) => toast_error(&notifier, e.message),
                }
                reload(dispatch);
            });
        })
    };
    let save_settings = {
        let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
        Callback::from(move |settings: WhopSettings| {
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = invoke::<WhopSaveSettings>(&settings).await {
                    toast_error(&notifier, e.message);
                }
                load_status(dispatch);
            });
        })
    };
    let current = WhopSettings {
        enabled: status.enabled,
        sync_interval_minutes: status.sync_interval_minutes,
        actions_enabled: status.actions_enabled,
    };
    let set_enabled = {
        let (save, current) = (save_settings.clone(), current.clone());
        Callback::from(move |(enabled, _): (bool, bool)| save.emit(WhopSettings { enabled, ..current.clone() }))
    };
    let set_actions = {
        let (save, current) = (save_settings.clone(), current.clone());
        Callback::from(move |(actions_enabled, _): (bool, bool)| {
            save.emit(WhopSettings { actions_enabled, ..current.clone() })
        })
    };
    let set_interval = {
        let (save, current, notifier) = (save_settings.clone(), current.clone(), notifier.clone());
        Callback::from(move |value: String| match value.parse::<u32>() {
            Ok(minutes) => save.emit(WhopSettings { sync_interval_minutes: minutes, ..current.clone() }),
            Err(_) => toast_error(&notifier, format!("Not a number of minutes: {value}")),
        })
    };
    let select_business = {
        let (dispatch, notifier, businesses) = (view.dispatcher(), notifier.clone(), status.businesses.clone());
        let choosing = choosing.clone();
        Callback::from(move |(id, on): (String, bool)| {
            let mut ids: Vec<String> =
                businesses.iter().filter(|b| if b.id == id { on } else { b.selected }).map(|b| b.id.clone()).collect();
            ids.sort();
            choosing.set(true);
            let (dispatch, notifier, choosing) = (dispatch.clone(), notifier.clone(), choosing.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = invoke::<WhopSelectBusinesses>(&ids).await {
                    toast_error(&notifier, e.message);
                }
                if let Ok(status) = invoke::<WhopGetStatus>(&()).await {
                    dispatch.dispatch(WhopAction::Status(Ok(Box::new(status))));
                }
                choosing.set(false);
            });
        })
    };
    let check_connection = {
        let (doctor, doctor_run) = (doctor.clone(), doctor_run.clone());
        Callback::from(move |_: MouseEvent| {
            let run = {
                let mut n = doctor_run.borrow_mut();
                *n += 1;
                *n
            };
            doctor.set(Some(None));
            let (doctor, doctor_run) = (doctor.clone(), doctor_run.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<WhopDoctor>(&()).await.map_err(|e| e.message);
                if *doctor_run.borrow() == run {
                    doctor.set(Some(Some(result)));
                }
            });
        })
    };
    let close_doctor = {
        let (doctor, doctor_run) = (doctor.clone(), doctor_run.clone());
        Callback::from(move |_| {
            *doctor_run.borrow_mut() += 1;
            doctor.set(None);
        })
    };
    let sync_now = {
        let (dispatch, notifier) = (view.dispatcher(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(WhopAction::SyncStarted);
            let (dispatch, notifier) = (dispatch.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<WhopSyncNow>(&()).await;
                dispatch.dispatch(WhopAction::SyncFinished);
                match result {
                    Ok(run) => {
                        if let Some(n) = &notifier {
                            match run_summary(&run) {
                                (StatusTone::Success, text) => n.success(text),
                                (_, text) => n.error(text),
                            }
                        }
                    }
                    Err(e) => toast_error(&notifier, format!("Whop sync failed: {}", e.message)),
                }
                reload(dispatch);
            });
        })
    };

    let off = status.disabled_by_env;
    let running = view.sync_running();
    html! {
        <div class="whop-panel" id="whop-panel">
            <Card title={AttrValue::from("Connection")} id="whop-connection" actions={whop_badge()}>
                if off {
                    <div class="banner warning" id="whop-disabled" role="status">
                        { format!("{DISABLED_BY_ENV}: the environment variable DEALDESK_WHOP=off keeps the integration off. Remove it and restart Dealdesk to use Whop.") }
                    </div>
                }
                <div class="whop-status-line">
                    <span class={classes!("dot", if status.connected { "online" } else { "offline" })} />
                    <span id="whop-status">{ status_text(&status) }</span>
                </div>
                { connection(&status, &view, connect.clone(), connect_loopback, copy, confirming.clone()) }
                if status.connected {
                    { businesses(&status, select_business, *choosing) }
                    { permissions(&status, connect, view.can_reconnect()) }
                }
                if let Some(message) = &view.login_error {
                    <div class="banner error" id="whop-login-error" role="alert">{ format!("Whop sign-in failed: {message}") }</div>
                }
                <div class="inline-form whop-settings">
                    <Checkbox id="whop-enabled" checked={status.enabled && !off} disabled={off}
                        label={AttrValue::from("Sync with Whop")} on_change={set_enabled} />
                    <Checkbox id="whop-actions-enabled" checked={status.actions_enabled} disabled={off}
                        label={AttrValue::from("Let Dealdesk act on Whop (cancel, refund, promo codes…)")} on_change={set_actions} />
                    <Select id="whop-interval" label={AttrValue::from("Sync interval")} disabled={off}
                        value={status.sync_interval_minutes.to_string()} on_change={set_interval}
                        options={interval_options(status.sync_interval_minutes).into_iter()
                            .map(|m| (AttrValue::from(m.to_string()), AttrValue::from(interval_label(m)))).collect::<Vec<_>>()} />
                    if status.connected {
                        <Button small=true id="whop-doctor" onclick={check_connection}
                            title={AttrValue::from("Check the hosts, the API version, the permissions and every list")}>
                            { "Check connection" }
                        </Button>
                    }
                </div>
            </Card>
            <Card title={AttrValue::from("Sync")} id="whop-sync" actions={html! {
                <Button tone={Tone::Primary} small=true id="whop-sync-now" disabled={!view.can_sync()} onclick={sync_now}
                    title={AttrValue::from(if running { "A sync is running" } else if !status.connected { "Connect Whop first" } else { "Fetch what changed on Whop now" })}>
                    { "Sync now" }
                </Button>
            }}>
                if let Some(run) = &status.last_run {
                    <div class="muted whop-last-run" id="whop-last-run">
                        { format!("Last sync started {} · {}", short_time(&run.started_at), run.status) }
                        if let Some(error) = &run.error { { format!(" · {error}") } }
                    </div>
                } else {
                    <div class="muted whop-last-run" id="whop-last-run">{ "No sync yet." }</div>
                }
                { progress(&view) }
                <div class="whop-totals" id="whop-totals">
                    { total("people", "People", status.totals.people) }
                    { total("memberships", "Memberships", status.totals.memberships) }
                    { total("payments", "Payments", status.totals.payments) }
                </div>
                { resources(&status) }
            </Card>
            { history(&view) }
            if let Some(result) = (*doctor).clone() {
                <Modal title="Check connection" id="whop-doctor-dialog" on_close={close_doctor.clone()}
                    footer={html! {
                        <Button tone={Tone::Ghost} onclick={close_doctor.reform(|_: MouseEvent| ())}>{ "Close" }</Button>
                    }}>
                    { doctor_checks(result.as_ref()) }
                </Modal>
            }
            if *confirming {
                <Modal title="Disconnect Whop?" id="whop-disconnect-dialog"
                    on_close={{ let confirming = confirming.clone(); Callback::from(move |_| confirming.set(false)) }}
                    footer={html! {
                        <>
                            <Button tone={Tone::Ghost} onclick={{ let confirming = confirming.clone(); Callback::from(move |_| confirming.set(false)) }}>{ "Cancel" }</Button>
                            <Button tone={Tone::Danger} id="whop-disconnect-confirm" onclick={disconnect}>{ "Disconnect" }</Button>
                        </>
                    }}>
                    <p>{ "Dealdesk signs out of Whop and stops syncing. The people, deals and payments already synced stay." }</p>
                </Modal>
            }
        </div>
    }
}

/// The business accounts, each with a switch for syncing it (the last one on stays on: at least
/// one business syncs once chosen).
pub(super) fn businesses(status: &WhopStatus, select: Callback<(String, bool)>, choosing: bool) -> Html {
    let selected = status.businesses.iter().filter(|b| b.selected).count();
    html! {
        <div class="field-row">
            <div class="field-row-label">{ "Business accounts" }</div>
            <div class="field-row-value">
                if status.choose_businesses {
                    <div class="banner warning" id="whop-choose-businesses" role="status">
                        { format!("You have {} business accounts on Whop. Choose which ones Dealdesk syncs; nothing else syncs until you do.", status.businesses.len()) }
                    </div>
                }
                if status.businesses.is_empty() {
                    <span class="muted">{ "None found yet" }</span>
                } else {
                    <ul class="whop-accounts" id="whop-accounts">
                        { for status.businesses.iter().map(|b| {
                            let locked = choosing || (b.selected && selected == 1);
                            business_row(b, status.businesses.len(), locked, select.clone())
                        }) }
                    </ul>
                }
            </div>
        </div>
    }
}

pub(super) fn business_row(b: &WhopBusiness, count: usize, locked: bool, select: Callback<(String, bool)>) -> Html {
    let id = b.id.clone();
    let on_change = Callback::from(move |(on, _): (bool, bool)| select.emit((id.clone(), on)));
    html! {
        <li data-account={b.id.clone()} data-selected={b.selected.to_string()} class="whop-business"
            title={(locked && b.selected).then_some("At least one business syncs: tick another one first")}>
            if count > 1 {
                <Checkbox id={AttrValue::from(format!("whop-business-{}", b.id))} checked={b.selected}
                    disabled={locked} label={AttrValue::from(b.title.clone())} {on_change} />
            } else {
                <span>{ b.title.clone() }</span>
            }
            { " " }<code class="muted">{ b.id.clone() }</code>
            if b.selected {
                <span class="muted">{ format!(" · {} memberships, {} payments", b.memberships, b.payments) }</span>
            }
            if let Some(error) = &b.last_error {
                <div class="whop-error whop-business-error" role="status">{ error.clone() }</div>
            }
        </li>
    }
}

/// What Whop granted: missing permissions first, with Reconnect Whop; the full list folded.
pub(super) fn permissions(status: &WhopStatus, reconnect: Callback<MouseEvent>, can_reconnect: bool) -> Html {
    let missing: Vec<&str> = status
        .permissions
        .iter()
        .filter(|p| p.state == PermissionState::Missing)
        .map(|p| p.permission.as_str())
        .collect();
    html! {
        <div class="field-row" id="whop-permissions">
            <div class="field-row-label">{ "Permissions" }</div>
            <div class="field-row-value">
                if missing.is_empty() {
                    <span class="muted" id="whop-permissions-ok">{ "Dealdesk has what it needs." }</span>
                } else {
                    <div class="banner warning" id="whop-permissions-missing" role="status">
                        { format!("Whop did not grant {}. Reconnect Whop and approve {} to sync and act on Whop.",
                            missing.join(", "), if missing.len() == 1 { "it" } else { "them" }) }
                        { " " }
                        <Button small=true tone={Tone::Primary} id="whop-reconnect" disabled={!can_reconnect} onclick={reconnect}>{ "Reconnect Whop" }</Button>
                    </div>
                }
                <details class="whop-permission-list">
                    <summary>{ format!("All {} permissions", status.permissions.len()) }</summary>
                    <ul>
                        { for status.permissions.iter().map(|p| {
                            let (text, badge) = match p.state {
                                PermissionState::Granted => ("granted", BadgeTone::Success),
                                PermissionState::Missing => ("missing", BadgeTone::Danger),
                                PermissionState::Requested => ("asked for", BadgeTone::Neutral),
                                PermissionState::NotRequested => ("not asked (actions off)", BadgeTone::Neutral),
                            };
                            html! {
                                <li key={p.permission.clone()} data-permission={p.permission.clone()} data-state={text}>
                                    <code>{ p.permission.clone() }</code>{ " " }<Badge text={text} tone={badge} />
                                    <span class="muted">{ format!(" {}", p.purpose) }</span>
                                </li>
                            }
                        }) }
                    </ul>
                </details>
            </div>
        </div>
    }
}

pub(super) fn doctor_checks(result: Option<&Result<Vec<DoctorCheck>, String>>) -> Html {
    match result {
        None => html! { <div aria-busy="true"><Skeleton rows={4} /></div> },
        Some(Err(message)) => html! { <div class="banner error" role="alert">{ message.clone() }</div> },
        Some(Ok(checks)) => html! {
            <ul class="whop-doctor" id="whop-doctor-checks">
                { for checks.iter().map(|c| html! {
                    <li data-ok={c.ok.to_string()} class={classes!("whop-doctor-check", (!c.ok).then_some("failed"))}>
                        <Badge text={if c.ok { "ok" } else { "failed" }} tone={if c.ok { BadgeTone::Success } else { BadgeTone::Danger }} />
                        { " " }<strong>{ c.check.clone() }</strong>
                        <div class="muted">{ c.detail.clone() }</div>
                    </li>
                }) }
            </ul>
        },
    }
}

pub(super) fn connection(
    status: &WhopStatus,
    view: &WhopView,
    connect: Callback<MouseEvent>,
    connect_loopback: Callback<MouseEvent>,
    copy: Callback<MouseEvent>,
    confirming: UseStateHandle<bool>,
) -> Html {
    if status.connected {
        return html! {
            <>
                if let Some(place) = environment_text(status) {
                    <div class="muted" id="whop-environment">{ place }</div>
                }
                <div class="inline-form">
                    <Button tone={Tone::Danger} small=true id="whop-disconnect" disabled={status.disabled_by_env}
                        onclick={Callback::from(move |_| confirming.set(true))}>{ "Disconnect" }</Button>
                </div>
                { login_waiting(status, view, connect_loopback, copy) }
            </>
        };
    }
    html! {
        <>
            <div class="inline-form">
                <Button tone={Tone::Primary} id="whop-connect" disabled={!view.can_connect()} onclick={connect}>{ "Connect Whop" }</Button>
                if !status.enabled && !status.disabled_by_env {
                    <span class="muted">{ "Switch on Sync with Whop to connect." }</span>
                }
            </div>
            { login_waiting(status, view, connect_loopback, copy) }
        </>
    }
}

/// Where Dealdesk talks to, unless it is Whop itself.
pub(super) fn environment_text(status: &WhopStatus) -> Option<String> {
    match status.environment.as_str() {
        "production" => None,
        "sandbox" => Some("Whop's sandbox (no real money)".to_string()),
        _ => Some(format!("A server other than Whop: {}", status.api_url)),
    }
}

/// The sign-in waiting for the browser (Connect Whop, or Reconnect Whop), with the link to open by
/// hand and the loopback fallback.
pub(super) fn login_waiting(
    status: &WhopStatus,
    view: &WhopView,
    connect_loopback: Callback<MouseEvent>,
    copy: Callback<MouseEvent>,
) -> Html {
    if let Some(url) = &view.authorize_url {
        html! {
            <div class="whop-login" id="whop-login">
                <div class="whop-waiting">{ "Waiting for Whop in your browser…" }</div>
                <div class="muted">{ "No browser opened? Open this link yourself:" }</div>
                <div class="whop-url-row">
                    <code class="whop-url" id="whop-authorize-url">{ url.clone() }</code>
                    <Button small=true id="whop-copy-url" onclick={copy}>{ "Copy" }</Button>
                </div>
                <div class="muted">
                    { "Approved, but the browser did not come back to Dealdesk? " }
                    <Button small=true id="whop-connect-loopback" onclick={connect_loopback}>{ "Sign in through this computer instead" }</Button>
                </div>
            </div>
        }
    } else if status.login_pending {
        html! {
            <div class="whop-login" id="whop-login">
                <div class="whop-waiting">{ "Waiting for Whop in your browser…" }</div>
            </div>
        }
    } else {
        html! {}
    }
}

pub(super) fn total(key: &'static str, label: &'static str, value: u64) -> Html {
    html! {
        <div class="whop-total" data-total={key}>
            <div class="kpi-label">{ label }</div>
            <div class="kpi-value">{ value }</div>
        </div>
    }
}

pub(super) fn progress(view: &WhopView) -> Html {
    let p = &view.progress;
    if p.rows.is_empty() {
        if view.syncing {
            return html! {
                <div class="whop-progress running" id="whop-progress" aria-live="polite">
                    <div class="whop-progress-step">{ "Starting the sync…" }</div>
                </div>
            };
        }
        return html! {};
    }
    html! {
        <div class={classes!("whop-progress", p.active.then_some("running"))} id="whop-progress" aria-live="polite">
            <div class="whop-progress-step">{ p.step_text() }</div>
            <div class="whop-progress-row whop-progress-head">
                <span>{ "Resource" }</span><span class="num">{ "Fetched" }</span><span class="num">{ "Rate" }</span>
                <span class="num">{ "Errors" }</span><span />
            </div>
            { for p.rows.iter().map(|row| {
                let state = if row.done { "done" } else if p.active { "running" } else { "stopped" };
                html! {
                    <div class="whop-progress-row" key={row.label()} data-resource={row.resource.clone()}
                        data-business={row.business.clone()} data-done={row.done.to_string()} data-step={row.step.to_string()}>
                        <span class="whop-progress-name">{ row.label() }</span>
                        <span class="whop-progress-fetched num">{ row.fetched }</span>
                        <span class="whop-progress-rate num">{ row.rate_text() }</span>
                        <span class={classes!("whop-progress-errors", "num", (row.errors > 0).then_some("has-errors"))}>{ row.errors }</span>
                        <div class={classes!("whop-bar", state)} role="progressbar" aria-label={format!("{} {state}", row.resource)}
                            aria-valuemin="0" aria-valuemax="100" aria-valuenow={row.done.then_some("100")}>
                            <div class="whop-bar-fill" />
                        </div>
                    </div>
                }
            }) }
        </div>
    }
}

pub(super) fn resources(status: &WhopStatus) -> Html {
    if status.resources.is_empty() {
        return html! {};
    }
    html! {
        <table class="whop-table" id="whop-resources">
            <thead><tr>
                <th>{ "Resource" }</th><th class="num">{ "Rows mirrored" }</th><th>{ "Last full scan" }</th><th>{ "Last error" }</th>
            </tr></thead>
            <tbody>
                { for status.resources.iter().map(|r| html! {
                    <tr class="whop-resource-row" key={r.resource.clone()} data-resource={r.resource.clone()}>
                        <td>
                            { r.resource.replace('_', " ") }
                            if r.resuming { { " " }<Badge text="resuming" tone={BadgeTone::Warning} /> }
                        </td>
                        <td class="num">{ r.rows }</td>
                        <td>{ r.last_full_scan_at.as_deref().map(short_time).unwrap_or_else(|| "—".into()) }</td>
                        <td class={classes!(r.last_error.is_some().then_some("whop-error"))}>{ r.last_error.clone().unwrap_or_else(|| "—".into()) }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

pub(super) fn history(view: &WhopView) -> Html {
    html! {
        <Card title={AttrValue::from("Sync history")} id="whop-history">
            if view.history.is_empty() {
                <div class="muted">{ "No syncs yet." }</div>
            } else {
                <table class="whop-table">
                    <thead><tr>
                        <th>{ "Started" }</th><th>{ "Finished" }</th><th>{ "Status" }</th>
                        <th class="num">{ "Fetched" }</th><th class="num">{ "Inserted" }</th><th class="num">{ "Updated" }</th>
                        <th>{ "Error" }</th>
                    </tr></thead>
                    <tbody>
                        { for view.history.iter().map(|run| {
                            let (fetched, inserted, updated) = run_totals(run);
                            html! {
                                <tr class="whop-history-row" key={run.id.to_string()} data-run={run.id.to_string()} data-status={run.status.clone()}>
                                    <td>{ short_time(&run.started_at) }</td>
                                    <td>{ run.finished_at.as_deref().map(short_time).unwrap_or_else(|| "—".into()) }</td>
                                    <td><Badge text={run.status.clone()} tone={tone(run_tone(&run.status))} /></td>
                                    <td class="num">{ fetched }</td>
                                    <td class="num">{ inserted }</td>
                                    <td class="num">{ updated }</td>
                                    <td class={classes!(run.error.is_some().then_some("whop-error"))}>{ run.error.clone().unwrap_or_default() }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            }
        </Card>
    }
}
