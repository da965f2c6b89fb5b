//! [`App`]: owns the store and the event bus; the one object the shell and the CLI construct.

use crate::crm::Crm;
use crate::store::{Store, StoreError};
use dealdesk_model::ipc::CoreEvent;
use std::path::{Path, PathBuf};
use tokio::sync::broadcast;

/// Environment variable that overrides the data folder (for the app and the CLI alike).
pub const DATA_DIR_ENV: &str = "DEALDESK_DATA_DIR";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no data folder: set {DATA_DIR_ENV} or pass --data-dir (the platform has no data directory)")]
    NoDataDir,
}

/// The data folder: `DEALDESK_DATA_DIR` if set, else the platform's data dir
/// (`$XDG_DATA_HOME/dealdesk` or `~/.local/share/dealdesk` on Linux).
pub fn default_data_dir() -> Result<PathBuf, AppError> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir().map(|d| d.join("dealdesk")).ok_or(AppError::NoDataDir)
}

/// Fans core events out to whoever listens (the shell forwards them to the windows).
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<CoreEvent>,
}

impl EventBus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(256);
        EventBus { sender }
    }

    pub fn emit(&self, event: CoreEvent) {
        // No listener (the CLI) is normal: the event is simply dropped.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.sender.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

pub struct App {
    store: Store,
    events: EventBus,
    crm: Crm,
    data_dir: PathBuf,
}

impl App {
    /// Opens the data folder (creating it and the database if needed) and migrates the schema.
    pub async fn open(data_dir: &Path) -> Result<App, AppError> {
        let store = Store::open(data_dir).await?;
        let events = EventBus::new();
        let crm = Crm::new(store.clone(), events.clone());
        Ok(App { store, events, crm, data_dir: data_dir.to_path_buf() })
    }

    pub fn crm(&self) -> &Crm {
        &self.crm
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.events.subscribe()
    }

    pub async fn close(&self) {
        self.store.close().await;
    }
}
