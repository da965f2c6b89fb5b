//! The Dealdesk desktop shell: opens the core on the data folder, registers the typed commands,
//! and forwards core events to the window. All behaviour lives in dealdesk-core.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use dealdesk_core::{App, default_data_dir};
use dealdesk_model::ipc::CORE_EVENT;
use std::path::PathBuf;
use tauri::{Emitter, Manager};

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

/// `--blank-window`: the same shell showing an empty page, with no database. The benchmark
/// measures it as the baseline for the app's memory.
fn run_blank_window() -> anyhow::Result<()> {
    tauri::Builder::default()
        .setup(|app| Ok(open_window(app, Some("blank.html"))?))
        .run(tauri::generate_context!("../tauri.conf.json"))?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--blank-window") {
        return run_blank_window();
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let data_dir = match data_dir_arg(std::env::args().skip(1)) {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    tracing::info!(data_dir = %data_dir.display(), "starting Dealdesk");
    let app = tauri::async_runtime::block_on(App::open(&data_dir))?;
    let events = app.subscribe();
    // Writes by the CLI or a script reach open windows too. Entering the runtime lets the core
    // spawn its watcher onto it.
    let _watcher = {
        let _runtime = tauri::async_runtime::handle().inner().enter();
        app.watch_external_changes(EXTERNAL_CHANGES_POLL)
    };

    tauri::Builder::default()
        .manage(app)
        .invoke_handler(commands::handler())
        .setup(move |tauri_app| {
            open_window(tauri_app, None)?;
            let handle = tauri_app.handle().clone();
            let mut events = events;
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
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
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))?
        .run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                let app = handle.state::<App>();
                tauri::async_runtime::block_on(app.close());
            }
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::data_dir_arg;
    use std::path::PathBuf;

    #[test]
    fn data_dir_is_read_from_either_form() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(data_dir_arg(args(&["--data-dir", "/x"])), Some(PathBuf::from("/x")));
        assert_eq!(data_dir_arg(args(&["--foo", "--data-dir=/y"])), Some(PathBuf::from("/y")));
        assert_eq!(data_dir_arg(args(&["dealdesk://oauth"])), None);
    }
}
