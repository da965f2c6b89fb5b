//! The top bar: global search (opens the palette) and the status area.

use super::ShellHandle;
use crate::components::hooks::use_core_events;
use dealdesk_model::ipc::CoreEvent;
use gloo_events::EventListener;
use yew::prelude::*;

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
    {
        let background = background.clone();
        use_core_events(Callback::from(move |event: CoreEvent| {
            if let Some(text) = background_text(&event) {
                background.set(text);
            }
        }));
    }
    let open = shell.map(|s| s.open_palette.clone()).unwrap_or_default();
    let onclick = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.emit(()))
    };
    let onfocus = Callback::from(move |_: FocusEvent| open.emit(()));
    html! {
        <header class="topbar">
            <button type="button" id="global-search" class="search-box" {onclick} {onfocus}>
                <span aria-hidden="true">{ "⌕" }</span>
                <span class="search-placeholder">{ "Search or jump to…" }</span>
                <kbd>{ "Ctrl K" }</kbd>
            </button>
            <div class="status" id="status-area" aria-live="polite">
                <span class={classes!("dot", if *online { "online" } else { "offline" })} />
                { if *online { "Online" } else { "Offline" } }
                <span class="status-sep">{ "·" }</span>
                {
                    match &*background {
                        Some(text) => html! { <span id="background-work" class="background-work"><span class="spinner" aria-hidden="true" />{ text.clone() }</span> },
                        None => html! { "All changes saved on this computer" },
                    }
                }
            </div>
        </header>
    }
}
