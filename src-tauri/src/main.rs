//! The Dealdesk desktop shell: opens the core on the data folder, registers the typed commands,
//! and forwards core events to the window. All behaviour lives in dealdesk-core.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod opening;

use dealdesk_core::{App, default_data_dir};
use dealdesk_model::ipc::{CORE_EVENT, CoreEvent};
use opening::Opening;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use tauri::{Emitter, Manager};

/// How long the window shows "restarting" before a restart applies a restore.
const RESTART_DELAY: std::time::Duration = std::time::Duration::from_millis(800);

/// How often the app looks for writes made by other processes.
const EXTERNAL_CHANGES_POLL: std::time::Duration = std::time::Duration::from_millis(400);

/// `--data-dir DIR` (or `--data-dir=DIR`) from the command line, if given.
fn data_dir_arg(args: impl IntoIterator<Item = String>) -> Option<PathBuf> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(dir) = arg.strip_prefix("--data-dir=") {
            return Some(PathBuf::from(dir));
        }
    }
    None
}

/// The main window as configured in tauri.conf.json, showing `url`.
fn open_window(app: &tauri::App, url: Option<&str>) -> tauri::Result<()> {
    let mut config = app.config().app.windows.first().cloned().unwrap_or_default();
    if let Some(url) = url {
        config.url = tauri::WebviewUrl::App(url.into());
    }
    let window = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?.build()?;
    webview_tuning(&window);
    Ok(())
}

/// Whether WebKit should composite on the GPU. Without a GPU device (a VM, Xvfb, a remote
/// session) accelerated compositing runs on a software GL and paints several times slower than
/// WebKit's plain painting (docs/decisions/0008). `DEALDESK_GPU_COMPOSITING=on|off` overrides.
#[cfg(target_os = "linux")]
fn gpu_compositing() -> bool {
    match std::env::var("DEALDESK_GPU_COMPOSITING").as_deref() {
        Ok("on") => true,
        Ok("off") => false,
        _ => std::path::Path::new("/dev/dri").exists() && std::env::var_os("LIBGL_ALWAYS_SOFTWARE").is_none(),
    }
}

#[cfg(target_os = "linux")]
fn webview_tuning(window: &tauri::WebviewWindow) {
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    if gpu_compositing() {
        return;
    }
    let result = window.with_webview(|webview| {
        if let Some(settings) = WebViewExt::settings(&webview.inner()) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    if let Err(error) = result {
        tracing::warn!(%error, "cannot tune the webview");
    }
}

#[cfg(not(target_os = "linux"))]
fn webview_tuning(_window: &tauri::WebviewWindow) {}

/// Whether this run registers the `dealdesk://` scheme for the user. Packages declare it (the
/// `.deb`'s desktop entry, the `.msi`'s registry keys, the `.app`'s Info.plist), and a registration
/// here would shadow theirs; an AppImage has no installer, and development and demo runs from
/// target/ have none either.
#[cfg(any(target_os = "linux", windows))]
fn registers_scheme_at_runtime() -> bool {
    if std::env::var_os("APPIMAGE").is_some() {
        return true;
    }
    let packaged =
        std::env::current_exe().map(|exe| ["/usr/", "/opt/"].iter().any(|dir| exe.starts_with(dir))).unwrap_or(false);
    cfg!(debug_assertions) && !packaged
}

/// Hands `dealdesk://` links (the OAuth redirect) to the core, which checks them strictly.
fn deep_links(app: &tauri::App) {
    use tauri_plugin_deep_link::DeepLinkExt;
    #[cfg(any(target_os = "linux", windows))]
    if registers_scheme_at_runtime()
        && let Err(error) = app.deep_link().register_all()
    {
        tracing::warn!(%error, "cannot register the dealdesk:// scheme");
    }
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        deliver_links(app.handle(), urls.into_iter().map(|u| u.to_string()).collect());
    }
    let handle = app.handle().clone();
    app.deep_link()
        .on_open_url(move |event| deliver_links(&handle, event.urls().into_iter().map(|u| u.to_string()).collect()));
}

/// Hands links to the core. The outcome reaches the window as a core event; the core logs refusals.
fn deliver_links(handle: &tauri::AppHandle, urls: Vec<String>) {
    for url in &urls {
        // The query (or a fragment) carries the OAuth code: only the address is logged.
        tracing::info!(link = url.split(['?', '#']).next().unwrap_or_default(), "deep link received");
    }
    let handle = handle.clone();
    tauri::async_runtime::spawn(async move {
        // A link that starts the app (the OAuth redirect) waits for the database to open.
        let opening = handle.state::<Opening>();
        let Ok(app) = opening.app().await else { return };
        for url in urls {
            let _ = app.handle_deep_link(&url).await;
        }
    });
}

/// `--blank-window`: the same shell showing an empty page, with no database. The benchmark
/// measures it as the baseline for the app's memory.
fn run_blank_window() -> anyhow::Result<()> {
    tauri::Builder::default()
        .setup(|app| Ok(open_window(app, Some("blank.html"))?))
        .run(tauri::generate_context!("../tauri.conf.json"))?;
    Ok(())
}

/// Daily log files kept in the log folder.
const LOG_FILES_KEPT: usize = 14;

// Before tracing exists, a problem with the log folder can only go to standard error.
#[allow(clippy::print_stderr)]
/// Logs to standard error and to a daily file in the platform's log folder (Help → Diagnostics
/// opens it). `RUST_LOG` sets the level. The guard flushes the file writer on exit.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = || tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let file = dealdesk_core::support::default_log_dir().and_then(|dir| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("dealdesk.log")
            .max_log_files(LOG_FILES_KEPT)
            .build(&dir)
            .map_err(|error| eprintln!("warning: cannot log to {}: {error}", dir.display()))
            .ok()
    });
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file_layer = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(writer);
            tracing_subscriber::registry().with(filter()).with(stderr).with(file_layer).init();
            Some(guard)
        }
        None => {
            tracing_subscriber::registry().with(filter()).with(stderr).init();
            None
        }
    }
}

/// Once the database is open: core events forwarded to the window (a scheduled restore restarts
/// the app), and the work that runs while the app is open. Runs on the async runtime, so the core
/// spawns its tasks there.
fn start_background_work(handle: &tauri::AppHandle, app: &App) {
    let mut events = app.subscribe();
    // Writes by the CLI or a script reach open windows too; the Whop scheduler polls.
    app.watch_external_changes(EXTERNAL_CHANGES_POLL);
    app.spawn_whop_scheduler();
    app.spawn_offline_tasks();
    app.spawn_automation();
    app.spawn_esign_poller();
    app.spawn_team_sync();
    app.spawn_daily_backups();
    app.spawn_trash_retention();
    let handle = handle.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    // A restore was scheduled: it is applied when the database opens. The
                    // window first answers the command and says why it closes.
                    if matches!(event, CoreEvent::RestartRequired) {
                        let handle = handle.clone();
                        tauri::async_runtime::spawn(async move {
                            tokio::time::sleep(RESTART_DELAY).await;
                            tracing::info!("restarting to apply a restore");
                            request_restart(&handle);
                        });
                    }
                    if let Err(error) = handle.emit(CORE_EVENT, &event) {
                        tracing::warn!(%error, "cannot forward a core event to the window");
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the window missed core events");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Set when the app starts again once it has exited (a restore waits to be applied).
#[derive(Default)]
struct RestartOnExit(std::sync::atomic::AtomicBool);

/// Exits, then starts again with [`restart_args`] (not Tauri's restart, which repeats the command
/// line as it was).
fn request_restart(handle: &tauri::AppHandle) {
    handle.state::<RestartOnExit>().0.store(true, std::sync::atomic::Ordering::Release);
    handle.exit(0);
}

/// The arguments a restart starts with: the same, less any `dealdesk://` link. The OS passes the
/// link that started the app (the OAuth redirect) on its command line, and it was handled once:
/// handed over again, its one-use code would be refused and the window would show an error.
fn restart_args(args: Vec<OsString>) -> Vec<OsString> {
    args.into_iter().filter(|arg| !arg.to_string_lossy().starts_with("dealdesk:")).collect()
}

/// The name a running window answers a second start to. By default the app's identifier: every
/// start (a `dealdesk://` link the OS opens carries no data folder) hands over to the one window.
/// With `--own-window` (a second desktop on the same machine: the team demo, a second profile),
/// a name of the data folder's own, so that window opens beside the first and a second start on
/// the same folder with the flag still reaches it (decision 0027). On Linux the name is the
/// plugin's D-Bus name; elsewhere the plugin keys by the identifier alone.
fn single_instance_id(identifier: &str, data_dir: &std::path::Path, own_window: bool) -> String {
    use std::hash::{Hash, Hasher};
    if !own_window {
        return identifier.to_string();
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf()).hash(&mut hasher);
    format!("{identifier}.folder{:016x}", hasher.finish())
}

fn main() -> anyhow::Result<ExitCode> {
    // `dealdesk cli …` is dealdesk-cli: the package ships one binary (decision 0017), and
    // /usr/bin/dealdesk-cli runs this. Checked first, so the CLI never opens a window or the log.
    let mut args = std::env::args_os();
    if args.nth(1).is_some_and(|first| first == "cli") {
        return Ok(dealdesk_cli::run(std::iter::once(OsString::from("dealdesk-cli")).chain(args)));
    }
    if std::env::args().any(|a| a == "--blank-window") {
        run_blank_window()?;
        return Ok(ExitCode::SUCCESS);
    }
    let _log_guard = init_logging();
    let data_dir = match data_dir_arg(std::env::args().skip(1)) {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    tracing::info!(data_dir = %data_dir.display(), "starting Dealdesk");
    let context = tauri::generate_context!("../tauri.conf.json");
    let own_window = std::env::args().any(|a| a == "--own-window");
    let instance_id = single_instance_id(&context.config().identifier, &data_dir, own_window);

    tauri::Builder::default()
        // First: a second start (the OS opening a dealdesk:// link) hands its arguments to this
        // instance and exits before opening anything. The deep-link plugin reports a lone URL
        // argument through on_open_url; a URL among other arguments (`--data-dir D URL`) is
        // handled here.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .callback(|app, argv, _cwd| {
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.unminimize();
                        let _ = window.set_focus();
                    }
                    if argv.len() > 2 {
                        deliver_links(app, argv.into_iter().filter(|a| a.starts_with("dealdesk:")).collect());
                    }
                })
                .dbus_id(instance_id)
                .build(),
        )
        .plugin(tauri_plugin_deep_link::init())
        .invoke_handler(commands::handler())
        .setup(move |tauri_app| {
            // Opened here, after the single-instance check, so a second start never touches the
            // database; in the background, so the window is made, WebKit starts its processes and
            // the page loads and paints meanwhile (an upgrade backs a large database up first).
            // Commands and links that arrive before it is open wait for it (`Opening`).
            tauri_app.manage(Opening::default());
            tauri_app.manage(RestartOnExit::default());
            open_window(tauri_app, None)?;
            deep_links(tauri_app);
            let handle = tauri_app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let opened = match App::open(&data_dir).await {
                    Ok(app) => {
                        start_background_work(&handle, &app);
                        Ok(app)
                    }
                    Err(error) => {
                        tracing::error!(%error, "cannot open the database");
                        Err(error.to_string())
                    }
                };
                handle.state::<Opening>().finish(opened);
            });
            Ok(())
        })
        .build(context)?
        .run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                if let Some(opening) = handle.try_state::<Opening>()
                    && let Some(app) = opening.now()
                {
                    tauri::async_runtime::block_on(app.close());
                }
                // After the plugins saw the exit (the single-instance name is released), so the
                // new process does not hand itself over to this one.
                if handle.try_state::<RestartOnExit>().is_some_and(|r| r.0.load(std::sync::atomic::Ordering::Acquire)) {
                    handle.cleanup_before_exit();
                    let mut env = handle.env();
                    env.args_os = restart_args(env.args_os);
                    tauri::process::restart(&env);
                }
            }
        });
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::{data_dir_arg, restart_args};
    use std::ffi::OsString;
    use std::path::PathBuf;

    #[test]
    fn a_restart_keeps_the_arguments_but_not_the_link_that_started_the_app() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            restart_args(args(&[
                "/usr/bin/dealdesk",
                "--data-dir",
                "/x",
                "dealdesk://oauth/whop/callback?code=c&state=s"
            ])),
            args(&["/usr/bin/dealdesk", "--data-dir", "/x"])
        );
        assert_eq!(restart_args(args(&["dealdesk", "--own-window"])), args(&["dealdesk", "--own-window"]));
    }

    #[test]
    fn data_dir_is_read_from_either_form() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(data_dir_arg(args(&["--data-dir", "/x"])), Some(PathBuf::from("/x")));
        assert_eq!(data_dir_arg(args(&["--foo", "--data-dir=/y"])), Some(PathBuf::from("/y")));
        assert_eq!(data_dir_arg(args(&["dealdesk://oauth"])), None);
    }
}
