//! The welcome screen (`/welcome`): shown at the first start, and from the palette later. What
//! Dealdesk is, three ways to begin (connect Whop, import a CSV, try the sample data), and where
//! the data lives. Any choice, and "Skip for now", dismisses it for good.

use crate::components::controls::Button;
use crate::components::display::Skeleton;
use crate::components::hooks::use_core_events;
use crate::components::toasts::{notify, use_notifier};
use crate::ipc::invoke;
use crate::pages::whop::{begin_login, copy_to_clipboard, select_text_of};
use crate::route::Route;
use crate::shell::ShellHandle;
use crate::state::import::sample_text;
use dealdesk_model::CsvObject;
use dealdesk_model::ipc::{CoreEvent, SampleDataLoad, WelcomeDismiss, WelcomeGet, WhopConnect, WhopGetStatus};
use dealdesk_model::support::Welcome;
use yew::prelude::*;
use yew_router::prelude::*;

/// Where "Connect Whop" is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Connect {
    Idle,
    Starting,
    /// The browser was sent to this URL.
    Waiting(String),
    Connected,
    Failed(String),
}

/// Marks the welcome as seen; a failure only means it shows again at the next start.
fn dismiss() {
    wasm_bindgen_futures::spawn_local(async {
        let _ = invoke::<WelcomeDismiss>(&()).await;
    });
}

#[function_component(WelcomePage)]
pub fn welcome_page() -> Html {
    let welcome = use_state(|| None::<Result<Welcome, String>>);
    let connect = use_state(|| Connect::Idle);
    let loading_sample = use_state(|| false);
    let sample_error = use_state(|| None::<String>);
    let notifier = use_notifier();
    let navigator = use_navigator();
    let shell = use_context::<ShellHandle>();
    {
        let welcome = welcome.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                welcome.set(Some(invoke::<WelcomeGet>(&()).await.map_err(|e| e.message)));
            });
        });
    }
    // The sign-in finishes in the browser: the core reports it with WhopChanged (or a failure).
    {
        let connect = connect.clone();
        let waiting = matches!(*connect, Connect::Starting | Connect::Waiting(_));
        use_core_events(Callback::from(move |event: CoreEvent| match event {
            CoreEvent::WhopChanged if waiting => {
                let connect = connect.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if invoke::<WhopGetStatus>(&()).await.is_ok_and(|s| s.connected) {
                        connect.set(Connect::Connected);
                    }
                });
            }
            CoreEvent::WhopLoginFailed { message } if waiting => connect.set(Connect::Failed(message)),
            _ => {}
        }));
    }
    let go = {
        let navigator = navigator.clone();
        move |route: Route| {
            if let Some(nav) = &navigator {
                nav.push(&route);
            }
        }
    };

    let on_connect = {
        let connect = connect.clone();
        Callback::from(move |_: MouseEvent| {
            dismiss();
            connect.set(Connect::Starting);
            let connect = connect.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match begin_login::<WhopConnect>().await {
                    Ok(url) => connect.set(Connect::Waiting(url)),
                    Err(e) => connect.set(Connect::Failed(e.message)),
                }
            });
        })
    };
    let on_import = Callback::from(move |_: MouseEvent| {
        dismiss();
        if let Some(shell) = &shell {
            shell.import.emit(CsvObject::People);
        }
    });
    let on_sample = {
        let (loading, error, notifier, go) =
            (loading_sample.clone(), sample_error.clone(), notifier.clone(), go.clone());
        Callback::from(move |_: MouseEvent| {
            if *loading {
                return;
            }
            dismiss();
            loading.set(true);
            error.set(None);
            let (loading, error, notifier, go) = (loading.clone(), error.clone(), notifier.clone(), go.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<SampleDataLoad>(&()).await;
                loading.set(false);
                match result {
                    Ok(loaded) => {
                        notify(&notifier, Ok(sample_text(&loaded)));
                        go(Route::People);
                    }
                    Err(e) => error.set(Some(format!("Cannot load the sample data: {}", e.message))),
                }
            });
        })
    };
    let on_skip = {
        let go = go.clone();
        Callback::from(move |_: MouseEvent| {
            let go = go.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = invoke::<WelcomeDismiss>(&()).await;
                go(Route::People);
            });
        })
    };
    let copy_url = {
        let (connect, notifier) = (connect.clone(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            let Connect::Waiting(url) = (*connect).clone() else { return };
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if copy_to_clipboard(&url).await {
                    notify(&notifier, Ok("Copied the Whop sign-in link".into()));
                } else {
                    select_text_of("welcome-whop-url");
                    notify(
                        &notifier,
                        Err("Cannot reach the clipboard: the link is selected, press Ctrl+C to copy it".into()),
                    );
                }
            });
        })
    };
    let open_whop = {
        let go = go.clone();
        Callback::from(move |_: MouseEvent| go(Route::Whop))
    };

    let sampling = *loading_sample;
    let connecting = matches!(*connect, Connect::Starting);
    html! {
        <section class="page welcome-page" id="welcome">
            <header class="welcome-header">
                <span class="logo welcome-logo" aria-hidden="true">{ "D" }</span>
                <h1>{ "Welcome to Dealdesk" }</h1>
                <p class="welcome-lead">
                    { "Dealdesk is a CRM that lives on this computer: your people, companies and deals in one local database, with Whop sync, AI help and contracts when you want them." }
                </p>
            </header>
            <div class="welcome-choices" role="group" aria-label="How to begin">
                <button type="button" class="welcome-choice" id="welcome-connect-whop" disabled={connecting || sampling} onclick={on_connect}>
                    <span class="welcome-choice-icon" aria-hidden="true">{ "◎" }</span>
                    <span class="welcome-choice-title">{ "Connect Whop" }</span>
                    <span class="welcome-choice-text">{ "Sign in with Whop in your browser; your members, memberships and payments come in and stay in sync." }</span>
                </button>
                <button type="button" class="welcome-choice" id="welcome-import-csv" disabled={sampling} onclick={on_import}>
                    <span class="welcome-choice-icon" aria-hidden="true">{ "⇪" }</span>
                    <span class="welcome-choice-title">{ "Import a CSV" }</span>
                    <span class="welcome-choice-text">{ "Bring people, companies or deals from a spreadsheet or another CRM. You see what changes before anything is written." }</span>
                </button>
                <button type="button" class="welcome-choice" id="welcome-sample-data" disabled={sampling} aria-busy={sampling.to_string()} onclick={on_sample}>
                    <span class="welcome-choice-icon" aria-hidden="true">{ "◆" }</span>
                    <span class="welcome-choice-title">{ "Try with sample data" }</span>
                    <span class="welcome-choice-text">{ "A small made-up workspace to look around in. Delete it from the lists whenever you like." }</span>
                </button>
            </div>
            if sampling {
                <div class="welcome-progress" id="welcome-sample-progress" role="status" aria-live="polite">
                    <span class="spinner" aria-hidden="true" />{ "Loading the sample workspace…" }
                </div>
            }
            if let Some(message) = &*sample_error {
                <div class="banner error" id="welcome-error" role="alert">{ message.clone() }</div>
            }
            { connect_status(&connect, copy_url, open_whop) }
            <section class="card welcome-data" id="welcome-data" aria-labelledby="welcome-data-title">
                <h2 id="welcome-data-title">{ "Where your data lives" }</h2>
                { match &*welcome {
                    None => html! { <Skeleton rows={4} /> },
                    Some(Err(message)) => html! { <div class="banner error" role="alert">{ format!("Cannot read the data folder: {message}") }</div> },
                    Some(Ok(w)) => html! {
                        <>
                            { path_row("data_dir", "Data folder", &w.data_dir) }
                            { path_row("database_file", "Database", &w.database_file) }
                            { path_row("backups_dir", "Backups", &w.backups_dir) }
                            { path_row("log_dir", "Logs", &w.log_dir) }
                        </>
                    },
                } }
                <ul class="welcome-facts">
                    <li>{ "Everything stays on this computer, in one SQLite file: no account, no cloud copy." }</li>
                    <li>{ "Keys and sign-in tokens (Whop, AI, e-signature) are kept in the operating system's keyring, never in the database." }</li>
                    <li>{ "Backups are taken automatically before every upgrade and once a day; Settings → Data lists them and restores one." }</li>
                </ul>
            </section>
            <div class="welcome-skip">
                <button type="button" class="link-btn" id="welcome-skip" disabled={sampling} onclick={on_skip}>{ "Skip for now" }</button>
            </div>
        </section>
    }
}

fn path_row(key: &'static str, label: &'static str, path: &str) -> Html {
    html! {
        <div class="field-row welcome-path" data-path={key}>
            <div class="field-row-label">{ label }</div>
            <div class="field-row-value"><code>{ path.to_string() }</code></div>
        </div>
    }
}

fn connect_status(connect: &Connect, copy_url: Callback<MouseEvent>, open_whop: Callback<MouseEvent>) -> Html {
    match connect {
        Connect::Idle => html! {},
        Connect::Starting => html! {
            <div class="whop-login welcome-whop" id="welcome-whop" role="status">
                <div class="whop-waiting"><span class="spinner" aria-hidden="true" />{ " Opening Whop in your browser…" }</div>
            </div>
        },
        Connect::Waiting(url) => html! {
            <div class="whop-login welcome-whop" id="welcome-whop" role="status">
                <div class="whop-waiting" id="welcome-whop-waiting">{ "Finish signing in in your browser…" }</div>
                <div class="muted">{ "No browser opened? Open this link yourself:" }</div>
                <div class="whop-url-row">
                    <code class="whop-url" id="welcome-whop-url">{ url.clone() }</code>
                    <Button small=true id="welcome-whop-copy" onclick={copy_url}>{ "Copy" }</Button>
                </div>
                <div class="muted">
                    { "The Whop screen shows the sync once you are signed in. " }
                    <button type="button" class="link-btn" id="welcome-open-whop" onclick={open_whop}>{ "Open Whop" }</button>
                </div>
            </div>
        },
        Connect::Connected => html! {
            <div class="whop-login welcome-whop" id="welcome-whop" role="status" data-connected="true">
                <div class="whop-waiting">{ "Whop is connected: the first sync is running." }</div>
                <div>
                    <button type="button" class="link-btn" id="welcome-open-whop" onclick={open_whop}>{ "Watch it on the Whop screen" }</button>
                </div>
            </div>
        },
        Connect::Failed(message) => html! {
            <div class="banner error welcome-whop-error" id="welcome-whop-error" role="alert">
                { format!("Cannot connect Whop: {message}") }
                { " " }
                <button type="button" class="link-btn" id="welcome-open-whop" onclick={open_whop}>{ "Open the Whop settings" }</button>
            </div>
        },
    }
}
