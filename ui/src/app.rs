//! The router and the shell around every screen: sidebar, top bar with search and status, the
//! command palette, the shortcut help, create dialogs, toasts, and the keyboard map.

use crate::components::toasts::{Notifier, ToastHost, use_notifier};
use crate::ipc::invoke;
use crate::pages;
use crate::shell::create::CreateDialog;
use crate::shell::help::HelpOverlay;
use crate::shell::palette::Palette;
use crate::shell::sidebar::Sidebar;
use crate::shell::topbar::TopBar;
use crate::shell::{ShellHandle, apply_theme};
use crate::state::shell::{KeyInput, KeyState, Screen, ShellAction, on_key};
use dealdesk_model::RecordKind;
use dealdesk_model::ipc::{BackupDatabase, GetSettings};
use gloo_events::EventListener;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/dashboard")]
    Dashboard,
    #[at("/people")]
    People,
    #[at("/people/:id")]
    Person { id: Uuid },
    #[at("/companies")]
    Companies,
    #[at("/companies/:id")]
    Company { id: Uuid },
    #[at("/deals")]
    Deals,
    #[at("/deals/:id")]
    Deal { id: Uuid },
    #[at("/board")]
    Board,
    #[at("/tasks")]
    Tasks,
    #[at("/notes")]
    Notes,
    #[at("/automations")]
    Automations,
    #[at("/contracts")]
    Contracts,
    /// The contract template editor.
    #[at("/contracts/templates")]
    ContractTemplates,
    #[at("/whop")]
    Whop,
    /// Changes waiting for the network, refused ones, and conflicts.
    #[at("/outbox")]
    Outbox,
    #[at("/settings")]
    Settings,
    /// Settings opened on one tab (`/settings/ai`).
    #[at("/settings/:tab")]
    SettingsTab { tab: String },
    /// Every design-system component, for docs/design-system.md.
    #[at("/design")]
    Design,
    #[not_found]
    #[at("/404")]
    NotFound,
}

impl Route {
    pub fn of(screen: Screen) -> Route {
        match screen {
            Screen::Dashboard => Route::Dashboard,
            Screen::People => Route::People,
            Screen::Companies => Route::Companies,
            Screen::Deals => Route::Deals,
            Screen::Board => Route::Board,
            Screen::Tasks => Route::Tasks,
            Screen::Notes => Route::Notes,
            Screen::Automations => Route::Automations,
            Screen::Contracts => Route::Contracts,
            Screen::Whop => Route::Whop,
            Screen::Settings => Route::Settings,
        }
    }

    /// What "new" creates on this screen.
    fn new_kind(&self) -> Option<RecordKind> {
        match self {
            Route::Home | Route::People | Route::Person { .. } => Some(RecordKind::Person),
            Route::Companies | Route::Company { .. } => Some(RecordKind::Company),
            Route::Deals | Route::Deal { .. } | Route::Board | Route::Dashboard => Some(RecordKind::Deal),
            Route::Tasks => Some(RecordKind::Task),
            _ => None,
        }
    }
}

fn switch(route: Route) -> Html {
    match route {
        // People is the start screen (rendered directly: a redirect would cost a render cycle).
        Route::Home => html! { <pages::people::PeoplePage /> },
        Route::Dashboard => html! { <pages::dashboard::DashboardPage /> },
        Route::People => html! { <pages::people::PeoplePage /> },
        Route::Person { id } => html! { <pages::record::PersonPage {id} /> },
        Route::Companies => html! { <pages::companies::CompaniesPage /> },
        Route::Company { id } => html! { <pages::record::CompanyPage {id} /> },
        Route::Deals => html! { <pages::deals::DealsPage /> },
        Route::Deal { id } => html! { <pages::record::DealPage {id} /> },
        Route::Board => html! { <pages::board::BoardPage /> },
        Route::Tasks => html! { <pages::tasks::TasksPage /> },
        Route::Notes => html! { <pages::notes::NotesPage /> },
        Route::Automations => html! { <pages::automations::AutomationsPage /> },
        Route::Contracts | Route::ContractTemplates => {
            html! { <pages::contract_templates::ContractTemplatesPage /> }
        }
        Route::Whop => html! { <pages::whop::WhopPage /> },
        Route::Outbox => html! { <pages::outbox::OutboxPage /> },
        Route::Settings => html! { <pages::settings::SettingsPage /> },
        Route::SettingsTab { tab } => html! { <pages::settings::SettingsPage tab={AttrValue::from(tab)} /> },
        Route::Design => html! { <pages::gallery::Gallery /> },
        Route::NotFound => html! {
            <section class="page"><div class="empty">{ "This screen does not exist." }</div></section>
        },
    }
}

fn is_typing() -> bool {
    let Some(active) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element()) else {
        return false;
    };
    matches!(active.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || active.has_attribute("contenteditable")
}

#[derive(Clone, Copy, PartialEq)]
enum Overlay {
    None,
    Palette,
    Help,
    Create(RecordKind),
}

#[function_component(Shell)]
fn shell() -> Html {
    let overlay = use_state(|| Overlay::None);
    let keys = use_mut_ref(KeyState::default);
    let navigator = use_navigator();
    let route = use_route::<Route>().unwrap_or(Route::Home);
    let notifier = use_notifier();
    // Unfinished create dialogs, by kind: reopening one brings back what was typed.
    let drafts = use_mut_ref(std::collections::HashMap::<RecordKind, crate::state::form::Form>::new);

    // Theme from settings, applied once at start (Settings re-applies on change).
    use_effect_with((), |_| {
        wasm_bindgen_futures::spawn_local(async {
            if let Ok(settings) = invoke::<GetSettings>(&()).await {
                apply_theme(settings.theme);
            }
        });
    });

    let run = {
        let overlay = overlay.clone();
        let navigator = navigator.clone();
        let route = route.clone();
        Callback::from(move |action: ShellAction| match action {
            ShellAction::OpenPalette => overlay.set(Overlay::Palette),
            ShellAction::ToggleHelp => {
                overlay.set(if *overlay == Overlay::Help { Overlay::None } else { Overlay::Help })
            }
            ShellAction::Close => overlay.set(Overlay::None),
            ShellAction::FocusSearch => overlay.set(Overlay::Palette),
            ShellAction::Go(screen) => {
                if let Some(nav) = &navigator {
                    nav.push(&Route::of(screen));
                }
            }
            ShellAction::NewHere => {
                if let Some(kind) = route.new_kind() {
                    overlay.set(Overlay::Create(kind));
                }
            }
        })
    };

    {
        let run = run.clone();
        let keys = keys.clone();
        let overlay_now = *overlay;
        use_effect_with((route.clone(), overlay_now), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|document| {
                EventListener::new(&document, "keydown", move |event| {
                    let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    let input = KeyInput {
                        key: event.key(),
                        ctrl: event.ctrl_key(),
                        meta: event.meta_key(),
                        alt: event.alt_key(),
                        typing: is_typing(),
                    };
                    let (next, action) = on_key(*keys.borrow(), &input);
                    *keys.borrow_mut() = next;
                    let Some(action) = action else {
                        return;
                    };
                    // Escape only matters when something is open; the palette owns its own keys.
                    if action == ShellAction::Close && overlay_now == Overlay::None {
                        return;
                    }
                    if overlay_now != Overlay::None && !matches!(action, ShellAction::Close | ShellAction::OpenPalette)
                    {
                        return;
                    }
                    event.prevent_default();
                    run.emit(action);
                })
            });
            move || drop(listener)
        });
    }

    let handle = {
        let overlay = overlay.clone();
        let open = overlay.clone();
        ShellHandle {
            create: Callback::from(move |kind| overlay.set(Overlay::Create(kind))),
            open_palette: Callback::from(move |_| open.set(Overlay::Palette)),
        }
    };
    let close = {
        let overlay = overlay.clone();
        Callback::from(move |_| overlay.set(Overlay::None))
    };
    let on_palette = {
        let overlay = overlay.clone();
        let navigator = navigator.clone();
        let notifier = notifier.clone();
        Callback::from(move |action: crate::state::palette::PaletteAction| {
            use crate::state::palette::PaletteAction;
            overlay.set(Overlay::None);
            match action {
                PaletteAction::Go(screen) => {
                    if let Some(nav) = &navigator {
                        nav.push(&Route::of(screen));
                    }
                }
                PaletteAction::New(kind) => overlay.set(Overlay::Create(kind)),
                PaletteAction::Open(record) => {
                    if let (Some(nav), Some(route)) = (&navigator, crate::shell::record_route(record)) {
                        nav.push(&route);
                    }
                }
                PaletteAction::Backup => backup(notifier.clone()),
                PaletteAction::Design => {
                    if let Some(nav) = &navigator {
                        nav.push(&Route::Design);
                    }
                }
            }
        })
    };

    html! {
        <ContextProvider<ShellHandle> context={handle}>
            <div class="shell">
                <Sidebar />
                <div class="main">
                    <TopBar />
                    <main class="content">
                        <Switch<Route> render={switch} />
                    </main>
                </div>
            </div>
            { match *overlay {
                Overlay::Palette => html! { <Palette on_close={close.clone()} on_action={on_palette} /> },
                Overlay::Help => html! { <HelpOverlay on_close={close.clone()} /> },
                Overlay::Create(kind) => {
                    let draft = drafts.borrow().get(&kind).cloned();
                    let drafts = drafts.clone();
                    let on_draft = Callback::from(move |form: Option<crate::state::form::Form>| match form {
                        Some(form) => {
                            drafts.borrow_mut().insert(kind, form);
                        }
                        None => {
                            drafts.borrow_mut().remove(&kind);
                        }
                    });
                    html! { <CreateDialog {kind} on_close={close.clone()} {draft} {on_draft} /> }
                }
                Overlay::None => html! {},
            } }
        </ContextProvider<ShellHandle>>
    }
}

/// Backs up the database and says where the copy went.
pub fn backup(notifier: Option<Notifier>) {
    wasm_bindgen_futures::spawn_local(async move {
        let result = invoke::<BackupDatabase>(&()).await;
        if let Some(n) = notifier {
            match result {
                Ok(file) => n.success(format!("Backed up to {}", file.path)),
                Err(e) => n.error(e.message),
            }
        }
    });
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <HashRouter>
            <ToastHost>
                <Shell />
            </ToastHost>
        </HashRouter>
    }
}
