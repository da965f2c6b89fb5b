//! The top bar: global search (opens the palette) and the status area.

use super::ShellHandle;
use gloo_events::EventListener;
use yew::prelude::*;

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
                { "All changes saved on this computer" }
            </div>
        </header>
    }
}
