//! The core as the window's commands reach it. The window opens while the database opens, so the
//! page loads and paints meanwhile (an upgrade backs a large database up first, which takes
//! seconds); a command that arrives before the database is open waits for it.

use dealdesk_core::App;
use dealdesk_model::{ApiError, ErrorCode};
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::SetOnce;

#[derive(Default)]
pub struct Opening(SetOnce<Result<App, String>>, Restoring);

/// Set while a backup is put in place of a database that could not be opened, and after (the
/// app then restarts): a second click must not set aside the backup just put in place.
#[derive(Default)]
struct Restoring(AtomicBool);

impl Opening {
    /// The open core, once the database is open. A database that could not be opened answers
    /// every command with why.
    pub async fn app(&self) -> Result<&App, ApiError> {
        match self.0.wait().await {
            Ok(app) => Ok(app),
            Err(message) => Err(ApiError::new(ErrorCode::Unavailable, message.clone())),
        }
    }

    /// The core if the database is open now.
    pub fn now(&self) -> Option<&App> {
        self.0.get().and_then(|opened| opened.as_ref().ok())
    }

    /// Whether opening ended and the database could not be opened.
    fn failed(&self) -> bool {
        self.0.get().is_some_and(|opened| opened.is_err())
    }

    /// Records how opening ended; the first outcome stands.
    pub fn finish(&self, opened: Result<App, String>) {
        if self.0.set(opened).is_err() {
            tracing::warn!("the database was reported open twice");
        }
    }
}

/// The commands of the "cannot open its database" screen. Unlike every other command they do not
/// wait for the database: they read the backups folder, and put a backup in place of the file
/// that did not open (decision 0015), then restart the app on it.
pub mod unavailable {
    use super::{Opening, Ordering};
    use dealdesk_core::store::{StoreError, backup};
    use dealdesk_core::support::SupportError;
    use dealdesk_model::ipc::{self, Command};
    use dealdesk_model::{ApiError, ErrorCode};
    use std::path::PathBuf;

    /// The data folder, worked out as `main` did at the start (the same arguments and
    /// environment): the core was never built, so nothing else holds it.
    fn data_dir() -> Result<PathBuf, ApiError> {
        match crate::data_dir_arg(std::env::args().skip(1)) {
            Some(dir) => Ok(dir),
            None => dealdesk_core::default_data_dir().map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string())),
        }
    }

    fn api_error(error: StoreError) -> ApiError {
        ApiError::from(&SupportError::from(error))
    }

    #[tauri::command]
    #[allow(clippy::let_unit_value)] // like every command without arguments, it takes `()`
    pub async fn unavailable_backups_list(
        request: <ipc::UnavailableBackupsList as Command>::Request,
    ) -> Result<<ipc::UnavailableBackupsList as Command>::Response, ApiError> {
        let () = request;
        backup::folder(&data_dir()?).map_err(api_error)
    }

    #[tauri::command]
    pub async fn unavailable_restore(
        handle: tauri::AppHandle,
        state: tauri::State<'_, Opening>,
        request: <ipc::UnavailableRestore as Command>::Request,
    ) -> Result<<ipc::UnavailableRestore as Command>::Response, ApiError> {
        // Only over a database that did not open: an open one is restored from Settings → Data,
        // with a copy taken first.
        if !state.failed() {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "the database is open: restore a backup from Settings → Data",
            ));
        }
        if state.1.0.swap(true, Ordering::AcqRel) {
            return Err(ApiError::new(ErrorCode::Conflict, "a backup is already being restored"));
        }
        let restored = match backup::restore_in_place(&data_dir()?, &request).await {
            Ok(restored) => restored,
            Err(error) => {
                state.1.0.store(false, Ordering::Release);
                tracing::warn!(%error, backup = %request, "cannot put the backup in place");
                return Err(api_error(error));
            }
        };
        // After the answer reaches the window, which says what happened meanwhile.
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(crate::RESTART_DELAY).await;
            tracing::info!("restarting on the restored database");
            crate::request_restart(&handle);
        });
        Ok(restored)
    }
}
