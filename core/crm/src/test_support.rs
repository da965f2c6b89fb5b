//! One way for tests (here and in the crates above) to open the CRM on a real SQLite file
//! without the app: the store, the event bus and the CRM, wired as `App::open` wires them.

use crate::Crm;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_store::{EventBus, Store, StoreError};
use std::path::Path;
use tokio::sync::broadcast;

/// A data folder opened for the CRM alone.
pub struct Workspace {
    store: Store,
    events: EventBus,
    crm: Crm,
}

impl Workspace {
    /// Opens (creating and migrating) the database in `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<Workspace, StoreError> {
        let store = Store::open(data_dir).await?;
        let events = EventBus::new();
        let crm = Crm::new(store.clone(), events.clone());
        Ok(Workspace { store, events, crm })
    }

    pub fn crm(&self) -> &Crm {
        &self.crm
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What the CRM announces, as the app's windows receive it.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.events.subscribe()
    }

    pub async fn close(&self) {
        self.store.close().await;
    }
}
