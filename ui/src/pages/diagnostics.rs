//! Help → Diagnostics (`/diagnostics`): versions, paths, integration states, record counts and
//! recent timings (Whop syncs, AI calls, contract renders), with "Open logs folder" and "Copy
//! diagnostics" (the core's text report: no secrets) for a support request.

use crate::components::controls::{Button, Tone};
use crate::components::display::{Badge, Card, Skeleton};
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::pages::whop::{copy_to_clipboard, select_text_of, tone};
use crate::state::format::short_time;
use crate::state::support::{duration_text, maybe_duration_text, size_text};
use crate::state::whop::run_tone;
use dealdesk_model::ipc::{DiagnosticsGet, OpenLogsFolder};
use dealdesk_model::support::Diagnostics;
use yew::prelude::*;

#[function_component(DiagnosticsPage)]
pub fn diagnostics_page() -> Html {
    let report = use_state(|| None::<Result<Diagnostics, String>>);
    let loading = use_state(|| false);
    let notifier = use_notifier();
    let load = {
        let (report, loading) = (report.clone(), loading.clone());
        Callback::from(move |_: ()| {
            loading.set(true);
            let (report, loading) = (report.clone(), loading.clone());
            wasm_bindgen_futures::spawn_local(async move {
                report.set(Some(invoke::<DiagnosticsGet>(&()).await.map_err(|e| e.message)));
                loading.set(false);
            });
        })
    };
    {
        let load = load.clone();
        use_effect_with((), move |_| load.emit(()));
    }
    let refresh = {
        let load = load.clone();
        Callback::from(move |_: MouseEvent| load.emit(()))
    };
    let open_logs = {
        let notifier = notifier.clone();
        Callback::from(move |_: MouseEvent| {
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let (Err(e), Some(n)) = (invoke::<OpenLogsFolder>(&()).await, &notifier) {
                    n.error(format!("Cannot open the logs folder: {}", e.message));
                }
            });
        })
    };
    let text = match &*report {
        Some(Ok(d)) => Some(d.text.clone()),
        _ => None,
    };
    let copy = {
        let (notifier, text) = (notifier.clone(), text.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(text) = text.clone() else { return };
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let copied = copy_to_clipboard(&text).await;
                if let Some(n) = &notifier {
                    if copied {
                        n.success("Diagnostics copied");
                    } else {
                        // The report below is opened and selected: Ctrl+C copies it.
                        if let Some(details) = web_sys::window()
                            .and_then(|w| w.document())
                            .and_then(|d| d.get_element_by_id("diagnostics-report"))
                        {
                            let _ = details.set_attribute("open", "");
                        }
                        select_text_of("diagnostics-text");
                        n.error("Cannot reach the clipboard: the report is selected, press Ctrl+C to copy it");
                    }
                }
            });
        })
    };

    html! {
        <section class="page diagnostics-page" id="diagnostics">
            <header class="page-header">
                <h1>{ "Diagnostics" }</h1>
                <span class="count">{ "Help" }</span>
                <div class="spacer" />
                <Button id="diagnostics-refresh" disabled={*loading} onclick={refresh}>
                    if *loading { <span class="spinner" aria-hidden="true" />{ " " } }
                    { "Refresh" }
                </Button>
                <Button id="diagnostics-open-logs" onclick={open_logs}>{ "Open logs folder" }</Button>
                <Button tone={Tone::Primary} id="diagnostics-copy" disabled={text.is_none()} onclick={copy}>{ "Copy diagnostics" }</Button>
            </header>
            <p class="muted diagnostics-lead">
                { "What to send with a question or a bug report. The copied text holds versions, paths, states and timings; never keys, tokens or your records." }
            </p>
            { match &*report {
                None => html! { <Card><Skeleton rows={6} /></Card> },
                Some(Err(message)) => html! {
                    <div class="banner error" id="diagnostics-error" role="alert">{ format!("Cannot read the diagnostics: {message}") }</div>
                },
                Some(Ok(d)) => body(d),
            } }
        </section>
    }
}

fn row(key: &'static str, label: &'static str, value: Html) -> Html {
    html! {
        <div class="field-row" data-key={key}>
            <div class="field-row-label">{ label }</div>
            <div class="field-row-value">{ value }</div>
        </div>
    }
}

fn path(text: &str) -> Html {
    html! { <code>{ text.to_string() }</code> }
}

fn count(key: &'static str, label: &'static str, value: u64) -> Html {
    html! {
        <div class="whop-total" data-total={key}>
            <div class="kpi-label">{ label }</div>
            <div class="kpi-value">{ value }</div>
        </div>
    }
}

fn body(d: &Diagnostics) -> Html {
    html! {
        <>
            <div class="diagnostics-grid">
                <Card title={AttrValue::from("This installation")} id="diagnostics-install">
                    { row("version", "Version", html! { <span id="diagnostics-version">{ d.version.clone() }</span> }) }
                    { row("platform", "Platform", html! { d.platform.clone() }) }
                    { row("schema", "Schema version", html! { <span class="num">{ d.schema_version }</span> }) }
                    { row("data_dir", "Data folder", path(&d.data_dir)) }
                    { row("database_file", "Database", html! {
                        <>{ path(&d.database_file) }<span class="muted diagnostics-size">{ format!(" · {}", size_text(d.database_bytes)) }</span></>
                    }) }
                    { row("log_dir", "Logs", path(&d.log_dir)) }
                    { row("backups_dir", "Backups", path(&d.backups_dir)) }
                </Card>
                <Card title={AttrValue::from("Records and integrations")} id="diagnostics-state">
                    <div class="whop-totals diagnostics-counts" id="diagnostics-records">
                        { count("people", "People", d.records.people) }
                        { count("companies", "Companies", d.records.companies) }
                        { count("deals", "Deals", d.records.deals) }
                    </div>
                    { row("outbox_waiting", "Changes waiting", html! { <span class="num" id="diagnostics-outbox">{ d.outbox_waiting }</span> }) }
                    if d.integrations.is_empty() {
                        <div class="muted">{ "No integrations." }</div>
                    } else {
                        <table class="whop-table" id="diagnostics-integrations">
                            <thead><tr><th>{ "Integration" }</th><th>{ "State" }</th></tr></thead>
                            <tbody>
                                { for d.integrations.iter().map(|i| html! {
                                    <tr class="diagnostics-integration" key={i.name.clone()} data-name={i.name.clone()}>
                                        <td>{ i.name.clone() }</td><td>{ i.state.clone() }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    }
                </Card>
            </div>
            <Card title={AttrValue::from("Recent Whop syncs")} id="diagnostics-syncs">
                if d.whop_syncs.is_empty() {
                    <div class="muted">{ "No Whop sync yet." }</div>
                } else {
                    <table class="whop-table">
                        <thead><tr>
                            <th>{ "Started" }</th><th class="num">{ "Duration" }</th><th>{ "Status" }</th>
                            <th class="num">{ "Requests" }</th><th class="num">{ "Fetched" }</th><th class="num">{ "Written" }</th><th>{ "Error" }</th>
                        </tr></thead>
                        <tbody>
                            { for d.whop_syncs.iter().enumerate().map(|(i, s)| html! {
                                <tr class="diagnostics-sync" key={format!("{i}-{}", s.started_at)} data-status={s.status.clone()}>
                                    <td>{ short_time(&s.started_at) }</td>
                                    <td class="num">{ maybe_duration_text(s.duration_ms) }</td>
                                    <td><Badge text={s.status.clone()} tone={tone(run_tone(&s.status))} /></td>
                                    <td class="num">{ s.requests }</td>
                                    <td class="num">{ s.fetched }</td>
                                    <td class="num">{ s.written }</td>
                                    <td class={classes!(s.error.is_some().then_some("whop-error"))}>{ s.error.clone().unwrap_or_default() }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
            </Card>
            <Card title={AttrValue::from("Recent AI calls")} id="diagnostics-ai">
                if d.ai_calls.is_empty() {
                    <div class="muted">{ "No AI calls yet." }</div>
                } else {
                    <table class="whop-table">
                        <thead><tr>
                            <th>{ "At" }</th><th>{ "Action" }</th><th>{ "Provider / model" }</th><th class="num">{ "Latency" }</th><th>{ "Outcome" }</th>
                        </tr></thead>
                        <tbody>
                            { for d.ai_calls.iter().enumerate().map(|(i, c)| html! {
                                <tr class="diagnostics-ai-call" key={format!("{i}-{}", c.at)} data-outcome={c.outcome.clone()}>
                                    <td>{ short_time(&c.at) }</td>
                                    <td>{ c.action.replace('_', " ") }</td>
                                    <td>{ format!("{} / {}", c.provider, c.model) }</td>
                                    <td class="num" title={format!("{} ms", c.latency_ms)}>{ duration_text(c.latency_ms) }</td>
                                    <td>{ c.outcome.clone() }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
            </Card>
            <Card title={AttrValue::from("Recent contract renders")} id="diagnostics-renders">
                if d.contract_renders.is_empty() {
                    <div class="muted">{ "No contract rendered yet." }</div>
                } else {
                    <table class="whop-table">
                        <thead><tr>
                            <th>{ "At" }</th><th>{ "Template" }</th><th>{ "Kind" }</th><th class="num">{ "Pages" }</th><th class="num">{ "Time" }</th>
                        </tr></thead>
                        <tbody>
                            { for d.contract_renders.iter().enumerate().map(|(i, r)| html! {
                                <tr class="diagnostics-render" key={format!("{i}-{}", r.at)} data-kind={r.kind.clone()}>
                                    <td>{ short_time(&r.at) }</td>
                                    <td>{ r.template.clone() }</td>
                                    <td>{ r.kind.clone() }</td>
                                    <td class="num">{ r.pages }</td>
                                    <td class="num" title={format!("{} ms", r.render_ms)}>{ duration_text(r.render_ms) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
            </Card>
            <details class="card diagnostics-report" id="diagnostics-report">
                <summary>{ "The report as text" }</summary>
                <pre class="diagnostics-text" id="diagnostics-text">{ d.text.clone() }</pre>
            </details>
        </>
    }
}
