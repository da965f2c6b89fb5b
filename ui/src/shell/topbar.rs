//! The top bar: global search (opens the palette) and the status area: connectivity, background
//! work, and the changes waiting for the network (a button to the outbox page). Refusals of
//! queued operations (by Whop or the AI provider) arrive here as toasts, whichever screen is open,
//! and so does the notice that the app restarts to restore a backup.

use super::ShellHandle;
use crate::components::hooks::use_core_events;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::route::Route;
use crate::state::outbox::{attention_count, offline_title, rejected_text, status_button_text};
use crate::state::team::team_pill;
use dealdesk_model::ipc::{CoreEvent, OutboxGetSummary, TeamGetStatus};
use dealdesk_model::outbox::OutboxSummary;
use dealdesk_model::team::TeamStatus;
use gloo_events::EventListener;
use yew::prelude::*;
use yew_router::prelude::*;

/// What runs in the background, for the status area: the Whop sync's current resource and count.
fn background_text(event: &CoreEvent) -> Option<Option<String>> {
    match event {
        CoreEvent::WhopSync { progress } if progress.done && progress.step == progress.steps => Some(None),
        CoreEvent::WhopSync { progress } => Some(Some(format!(
            "Syncing Whop: {} {} ({}/{})",
            progress.resource.replace('_', " "),
            progress.fetched,
            progress.step,
            progress.steps
        ))),
        CoreEvent::WhopChanged => Some(None),
        _ => None,
    }
}

fn online_now() -> bool {
    web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true)
}

#[function_component(TopBar)]
pub fn top_bar() -> Html {
    let shell = use_context::<ShellHandle>();
    let online = use_state(online_now);
    {
        let online = online.clone();
        use_effect_with((), move |_| {
            let listeners = web_sys::window().map(|w| {
                let (a, b) = (online.clone(), online.clone());
                (
                    EventListener::new(&w, "online", move |_| a.set(true)),
                    EventListener::new(&w, "offline", move |_| b.set(false)),
                )
            });
            move || drop(listeners)
        });
    }
    let background = use_state(|| None::<String>);
    let summary = use_state(|| None::<OutboxSummary>);
    let team = use_state(|| None::<TeamStatus>);
    {
        let team = team.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(loaded) = invoke::<TeamGetStatus>(&()).await {
                    team.set(loaded);
                }
            });
        });
    }
    let notifier = use_notifier();
    // An event newer than the first load wins over that load's (possibly older) answer.
    let heard = use_mut_ref(|| false);
    {
        let (summary, heard) = (summary.clone(), heard.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(loaded) = invoke::<OutboxGetSummary>(&()).await
                    && !*heard.borrow()
                {
                    summary.set(Some(loaded));
                }
            });
        });
    }
    {
        let (background, summary, team) = (background.clone(), summary.clone(), team.clone());
        use_core_events(Callback::from(move |event: CoreEvent| {
            if let Some(text) = background_text(&event) {
                background.set(text);
            }
            match event {
                CoreEvent::TeamChanged { status } => team.set(status),
                CoreEvent::OutboxChanged { summary: next } => {
                    *heard.borrow_mut() = true;
                    summary.set(Some(next));
                }
                CoreEvent::OutboxRejected { operation } => {
                    if let Some(n) = &notifier {
                        n.error(rejected_text(&operation));
                    }
                }
                // The shell restarts the app to apply a restore; say so meanwhile.
                CoreEvent::RestartRequired => {
                    if let Some(n) = &notifier {
                        n.success("Restarting Dealdesk to restore the backup…");
                    }
                }
                _ => {}
            }
        }));
    }
    let navigator = use_navigator();
    let open_team = {
        let navigator = navigator.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(nav) = &navigator {
                nav.push(&Route::SettingsTab { tab: "team".into() });
            }
        })
    };
    let open_outbox = Callback::from(move |_: MouseEvent| {
        if let Some(nav) = &navigator {
            nav.push(&Route::Outbox);
        }
    });
    let team_state = team_pill(team.as_ref());
    let offline = offline_title(summary.as_ref(), *online);
    let outbox_text = summary.as_ref().and_then(status_button_text);
    let attention = summary.as_ref().is_some_and(|s| attention_count(s) > 0);
    let open = shell.map(|s| s.open_palette.clone()).unwrap_or_default();
    // Opens on a click or Enter, not on focus: Tab passing through must not open a dialog
    // (WCAG 3.2.1).
    let onclick = Callback::from(move |_: MouseEvent| open.emit(()));
    html! {
        <header class="topbar">
            <button type="button" id="global-search" class="search-box" {onclick}>
                <span aria-hidden="true">{ "⌕" }</span>
                <span class="search-placeholder">{ "Search or jump to…" }</span>
                <kbd>{ "Ctrl K" }</kbd>
            </button>
            <div class="status" id="status-area" aria-live="polite">
                if let Some(reason) = offline {
                    <span id="offline-indicator" class="status-pill offline" title={reason.clone()} aria-label={format!("Offline: {reason}")}>
                        <span class="dot offline" aria-hidden="true" />{ "Offline" }
                    </span>
                } else {
                    <span class="dot online" />{ "Online" }
                }
                <span class="status-sep">{ "·" }</span>
                {
                    match &*background {
                        Some(text) => html! { <span id="background-work" class="background-work"><span class="spinner" aria-hidden="true" />{ text.clone() }</span> },
                        None => html! { "All changes saved on this computer" },
                    }
                }
                if let Some(pill) = team_state {
                    <button type="button" id="team-sync-state" class={classes!("status-pill", "team-sync-state", pill.attention.then_some("attention"))}
                        title={pill.title.clone()} aria-label={format!("{}. {}", pill.text, pill.title)} onclick={open_team}>
                        { pill.text }
                    </button>
                }
                if let Some(text) = outbox_text {
                    <button type="button" id="outbox-status" class={classes!("status-pill", "outbox-status", attention.then_some("attention"))}
                        title="Open what waits for the network: changes to Whop, queued AI runs" onclick={open_outbox}>
                        { text }
                    </button>
                }
            </div>
        </header>
    }
}
