//! The core as the window's commands reach it. The window opens while the database opens, so the
//! page loads and paints meanwhile (an upgrade backs a large database up first, which takes
//! seconds); a command that arrives before the database is open waits for it.

use dealdesk_core::App;
use dealdesk_model::{ApiError, ErrorCode};
use tokio::sync::SetOnce;

#[derive(Default)]
pub struct Opening(SetOnce<Result<App, String>>);

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

    /// Records how opening ended; the first outcome stands.
    pub fn finish(&self, opened: Result<App, String>) {
        if self.0.set(opened).is_err() {
            tracing::warn!("the database was reported open twice");
        }
    }
}
