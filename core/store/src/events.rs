//! The event bus: every layer announces what changed through it; the shell forwards the events
//! to the windows. It lives with the store, at the bottom, so any layer can emit.

use dealdesk_model::ipc::CoreEvent;
use tokio::sync::broadcast;

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
