use crate::route::Route;
use crate::state::shell::Screen;
use yew::prelude::*;
use yew_router::prelude::*;

const GROUPS: &[(&str, &[Screen])] = &[
    ("", &[Screen::Dashboard]),
    ("Records", &[Screen::People, Screen::Companies, Screen::Deals, Screen::Board, Screen::Tasks, Screen::Notes]),
    ("Workspace", &[Screen::Automations, Screen::Contracts, Screen::Whop, Screen::Settings]),
];

fn icon(screen: Screen) -> &'static str {
    match screen {
        Screen::Dashboard => "◧",
        Screen::People => "◉",
        Screen::Companies => "▦",
        Screen::Deals => "◆",
        Screen::Board => "▥",
        Screen::Tasks => "☑",
        Screen::Notes => "✎",
        Screen::Automations => "⚡",
        Screen::Contracts => "✍",
        Screen::Whop => "◎",
        Screen::Settings => "⚙",
    }
}

/// The logo and name, at the top of the sidebar and of the screens shown without it. The frame in
/// `ui/static/index.html` repeats this markup: it paints before the wasm exists.
pub fn brand() -> Html {
    html! { <div class="brand"><span class="logo">{ "D" }</span>{ "Dealdesk" }</div> }
}

#[function_component(Sidebar)]
pub fn sidebar() -> Html {
    let current = use_route::<Route>();
    let active = |screen: Screen| match (&current, screen) {
        (Some(Route::Home | Route::People | Route::Person { .. }), Screen::People) => true,
        (Some(Route::Company { .. }), Screen::Companies) => true,
        (Some(Route::Deal { .. }), Screen::Deals) => true,
        (Some(Route::SettingsTab { .. }), Screen::Settings) => true,
        (Some(Route::ContractTemplates), Screen::Contracts) => true,
        (Some(route), s) => *route == Route::of(s),
        _ => false,
    };
    let help_active = current == Some(Route::Diagnostics);
    html! {
        <aside class="sidebar">
            { brand() }
            <nav aria-label="Screens">
                { for GROUPS.iter().map(|(title, screens)| html! {
                    <div class="nav-group">
                        if !title.is_empty() { <div class="nav-title">{ *title }</div> }
                        { for screens.iter().map(|s| html! {
                            <Link<Route> to={Route::of(*s)} classes={classes!("nav-item", active(*s).then_some("active"))}>
                                <span class="nav-icon" aria-hidden="true">{ icon(*s) }</span>{ s.label() }
                            </Link<Route>>
                        }) }
                    </div>
                }) }
                <div class="nav-group nav-help">
                    <Link<Route> to={Route::Diagnostics} classes={classes!("nav-item", help_active.then_some("active"))}>
                        <span class="nav-icon" aria-hidden="true">{ "?" }</span>
                        <span id="nav-help" title="Help: versions, paths, logs and timings for troubleshooting">{ "Help" }</span>
                    </Link<Route>>
                </div>
            </nav>
            <div class="sidebar-foot">{ "Press ? for shortcuts" }</div>
        </aside>
    }
}
