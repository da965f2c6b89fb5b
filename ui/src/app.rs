//! The router and the shell around every screen: sidebar, top bar with search and status, the
//! command palette, the shortcut help, create dialogs, toasts, and the keyboard map.

use crate::components::toasts::{Notifier, ToastHost, use_notifier};
use crate::ipc::invoke;
use crate::pages;
use crate::route::Route;
use crate::shell::create::CreateDialog;
use crate::shell::help::HelpOverlay;
use crate::shell::palette::Palette;
use crate::shell::sidebar::Sidebar;
use crate::shell::topbar::TopBar;
use crate::shell::{ShellHandle, apply_theme};
use crate::state::shell::{KeyInput, KeyState, ShellAction, on_key};
use dealdesk_model::ipc::{BackupDatabase, GetSettings, WelcomeGet};
use dealdesk_model::{CsvObject, RecordKind};
use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew_router::prelude::*;

fn switch(route: Route) -> Html {
    match route {
        // People is the start screen (rendered directly: a redirect would cost a render cycle).
        Route::Home => html! { <pages::people::PeoplePage /> },
        Route::Dashboard => html! { <pages::dashboard::DashboardPage /> },
        Route::People => html! { <pages::people::PeoplePage /> },
        Route::PeopleInSegment { segment } => html! { <pages::people::PeoplePage {segment} /> },
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
        Route::Revenue => html! { <pages::revenue::RevenuePage /> },
        Route::Recover => html! { <pages::recover::RecoverPage /> },
        Route::Churn => html! { <pages::churn::ChurnPage /> },
        Route::ChurnSegment { segment } => html! { <pages::churn::ChurnPage segment={AttrValue::from(segment)} /> },
        Route::Outbox => html! { <pages::outbox::OutboxPage /> },
        Route::Trash => html! { <pages::trash::TrashPage /> },
        Route::Settings => html! { <pages::settings::SettingsPage /> },
        Route::SettingsTab { tab } => html! { <pages::settings::SettingsPage tab={AttrValue::from(tab)} /> },
        Route::Welcome => html! { <pages::welcome::WelcomePage /> },
        Route::Diagnostics => html! { <pages::diagnostics::DiagnosticsPage /> },
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
    /// The Import CSV dialog, opened on an object.
    Import(CsvObject),
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

    // The route now, for answers that arrive later.
    let current = use_mut_ref(|| route.clone());
    *current.borrow_mut() = route.clone();

    // Theme from settings, applied once at start (Settings re-applies on change).
    use_effect_with((), |_| {
        crate::perf::mark_once_after_paint("shell-painted");
        wasm_bindgen_futures::spawn_local(async {
            if let Ok(settings) = invoke::<GetSettings>(&()).await {
                apply_theme(settings.theme);
            }
        });
    });
    // First run: the welcome screen, unless the window already opened somewhere else.
    {
        let (navigator, current) = (navigator.clone(), current.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let Ok(welcome) = invoke::<WelcomeGet>(&()).await else { return };
                let at_start = matches!(*current.borrow(), Route::Home | Route::People);
                if welcome.show
                    && at_start
                    && let Some(nav) = &navigator
                {
                    nav.push(&Route::Welcome);
                }
            });
        });
    }

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
                    if action == ShellAction::OpenPalette && input.key == "/" {
                        // After this key's events: opened now, the palette's field would have the
                        // focus when WebKit inserts the character, and the search would start "/".
                        let run = run.clone();
                        gloo_timers::callback::Timeout::new(0, move || run.emit(action)).forget();
                    } else {
                        run.emit(action);
                    }
                })
            });
            move || drop(listener)
        });
    }

    let handle = {
        let overlay = overlay.clone();
        let open = overlay.clone();
        let import = overlay.clone();
        ShellHandle {
            create: Callback::from(move |kind| overlay.set(Overlay::Create(kind))),
            open_palette: Callback::from(move |_| open.set(Overlay::Palette)),
            import: Callback::from(move |object| import.set(Overlay::Import(object))),
        }
    };
    let close = {
        let overlay = overlay.clone();
        Callback::from(move |_| overlay.set(Overlay::None))
    };
    let on_imported = {
        let navigator = navigator.clone();
        Callback::from(move |object: CsvObject| {
            if let Some(nav) = &navigator {
                nav.push(&Route::list_of(object));
            }
        })
    };
    let on_palette = {
        let overlay = overlay.clone();
        let navigator = navigator.clone();
        let notifier = notifier.clone();
        let import_object = route.import_object();
        Callback::from(move |action: crate::state::palette::PaletteAction| {
            use crate::state::palette::PaletteAction;
            overlay.set(Overlay::None);
            let go = |to: Route| {
                if let Some(nav) = &navigator {
                    nav.push(&to);
                }
            };
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
                PaletteAction::Backup => backup(notifier.clone(), Callback::noop()),
                PaletteAction::Import => overlay.set(Overlay::Import(import_object)),
                PaletteAction::Design => go(Route::Design),
                PaletteAction::Welcome => go(Route::Welcome),
                PaletteAction::Diagnostics => go(Route::Diagnostics),
                PaletteAction::Trash => go(Route::Trash),
                PaletteAction::Churn(segment) => go(Route::churn(segment)),
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
                Overlay::Import(object) => html! {
                    <pages::import::ImportDialog {object} on_close={close.clone()} on_imported={on_imported} />
                },
                Overlay::None => html! {},
            } }
        </ContextProvider<ShellHandle>>
    }
}

/// Backs up the database, says where the copy went, then calls `done` (whatever the outcome).
pub fn backup(notifier: Option<Notifier>, done: Callback<()>) {
    wasm_bindgen_futures::spawn_local(async move {
        let result = invoke::<BackupDatabase>(&()).await;
        if let Some(n) = notifier {
            match result {
                Ok(file) => n.success(format!("Backed up to {}", file.path)),
                Err(e) => n.error(e.message),
            }
        }
        done.emit(());
    });
}

/// The window when the database cannot be opened: why, that nothing was changed, and what to do,
/// instead of every list showing the same error.
#[function_component(DatabaseUnavailable)]
fn database_unavailable(props: &DatabaseUnavailableProps) -> Html {
    html! {
        <div class="unavailable" id="database-unavailable" role="alert">
            { crate::shell::sidebar::brand() }
            <h1>{ "Dealdesk cannot open its database" }</h1>
            <p class="unavailable-reason" id="database-unavailable-reason">{ props.message.clone() }</p>
            <p>{ "Nothing in the file was changed or deleted. Dealdesk tries it again at its next start." }</p>
            <ul class="unavailable-steps">
                <li>{ "Another program may be holding the file, or the disk may be full: close Dealdesk, free some space, and start it again." }</li>
                <li>{ "If the file is damaged, put a backup in its place below. The damaged file is kept beside it, and Dealdesk restarts on the backup." }</li>
                <li>{ "To start on an empty database and keep this one as it is, start Dealdesk with " }<code>{ "--data-dir" }</code>{ " and another folder." }</li>
            </ul>
            <crate::unavailable::UnavailableBackups />
            <p class="unavailable-more">{ "Troubleshooting, in the user documentation: \"Restoring a backup\"." }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DatabaseUnavailableProps {
    message: AttrValue,
}

#[function_component(App)]
pub fn app() -> Html {
    crate::perf::mark_once("app-render");
    let unavailable = use_state(|| None::<AttrValue>);
    {
        let unavailable = unavailable.clone();
        use_effect_with((), move |_| {
            crate::ipc::on_database_unavailable(Callback::from(move |message: String| {
                unavailable.set(Some(AttrValue::from(message)));
            }));
        });
    }
    if let Some(message) = &*unavailable {
        return html! { <DatabaseUnavailable message={message.clone()} /> };
    }
    html! {
        <HashRouter>
            <ToastHost>
                <Shell />
            </ToastHost>
        </HashRouter>
    }
}
