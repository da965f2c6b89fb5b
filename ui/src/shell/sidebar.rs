use crate::components::hooks::use_churn_changes;
use crate::ipc::invoke;
use crate::pages::revenue::use_whop_connected;
use crate::route::Route;
use crate::shell::link::RouteLink;
use crate::state::churn::{count_label, count_of, segment_named};
use crate::state::shell::Screen;
use dealdesk_model::ipc::ChurnGetSegments;
use dealdesk_model::revenue::{ChurnSegment, RevenueScope, SegmentCount};
use yew::prelude::*;
use yew_router::prelude::*;

const GROUPS: &[(&str, &[Screen])] = &[
    ("", &[Screen::Dashboard]),
    ("Records", &[Screen::People, Screen::Companies, Screen::Deals, Screen::Board, Screen::Tasks, Screen::Notes]),
    (
        "Workspace",
        &[
            Screen::Automations,
            Screen::Contracts,
            Screen::Whop,
            Screen::Revenue,
            Screen::Recover,
            Screen::Churn,
            Screen::Settings,
        ],
    ),
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
        Screen::Revenue => "↗",
        Screen::Recover => "↺",
        Screen::Churn => "↘",
        Screen::Settings => "⚙",
    }
}

/// Under Churn: each segment with its count (all synced businesses), opening Churn on it. Counts
/// reload when a sync, the outbox, people or notes move them; the rows hide while Whop is not
/// connected (Churn itself then says how to connect).
#[function_component(ChurnNav)]
fn churn_nav() -> Html {
    let current = use_route::<Route>();
    let connected = use_whop_connected();
    let changes = use_churn_changes();
    let counts = use_state(Vec::<SegmentCount>::new);
    {
        let counts = counts.clone();
        use_effect_with((changes, connected), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                counts.set(invoke::<ChurnGetSegments>(&RevenueScope::default()).await.unwrap_or_default());
            });
        });
    }
    if connected == Some(false) {
        return html! {};
    }
    let open = match &current {
        Some(Route::ChurnSegment { segment }) => segment_named(segment),
        _ => None,
    };
    html! {
        <div class="nav-sub" id="nav-churn" role="group" aria-label="Churn segments">
            { for ChurnSegment::ALL.into_iter().map(|segment| {
                let count = count_of(&counts, segment);
                let here = open == Some(segment);
                html! {
                    <RouteLink to={Route::churn(segment)} id={AttrValue::from(format!("nav-churn-{}", segment.name()))}
                        class={classes!("nav-item", "nav-sub-item", here.then_some("active"))} current={here}
                        label={count.map(|n| AttrValue::from(count_label(segment, n)))}>
                        <span class="nav-sub-label">{ segment.label() }</span>
                        if let Some(n) = count {
                            <span class={classes!("nav-count", (n == 0).then_some("zero"))} aria-hidden="true">{ n }</span>
                        }
                    </RouteLink>
                }
            }) }
        </div>
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
        (Some(Route::Home | Route::People | Route::PeopleInSegment { .. } | Route::Person { .. }), Screen::People) => {
            true
        }
        (Some(Route::Company { .. }), Screen::Companies) => true,
        (Some(Route::Deal { .. }), Screen::Deals) => true,
        (Some(Route::SettingsTab { .. }), Screen::Settings) => true,
        (Some(Route::ContractTemplates), Screen::Contracts) => true,
        (Some(Route::ChurnSegment { .. }), Screen::Churn) => true,
        (Some(route), s) => *route == Route::of(s),
        _ => false,
    };
    let help_active = current == Some(Route::Diagnostics);
    let trash_active = current == Some(Route::Trash);
    html! {
        <aside class="sidebar">
            { brand() }
            <nav aria-label="Screens">
                { for GROUPS.iter().map(|(title, screens)| html! {
                    <div class="nav-group">
                        if !title.is_empty() { <div class="nav-title">{ *title }</div> }
                        { for screens.iter().map(|s| html! {
                            <>
                                <Link<Route> to={Route::of(*s)} classes={classes!("nav-item", active(*s).then_some("active"))}>
                                    <span class="nav-icon" aria-hidden="true">{ icon(*s) }</span>{ s.label() }
                                </Link<Route>>
                                if *s == Screen::Churn { <ChurnNav /> }
                            </>
                        }) }
                    </div>
                }) }
                <div class="nav-group nav-help">
                    <Link<Route> to={Route::Trash} classes={classes!("nav-item", trash_active.then_some("active"))}>
                        <span class="nav-icon" aria-hidden="true">{ "⌫" }</span>
                        <span id="nav-trash" title="Deleted records: restore them or delete them for good">{ "Trash" }</span>
                    </Link<Route>>
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
