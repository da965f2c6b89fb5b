//! Whether the network is there. Failed requests say "offline", answered ones say "online"; while
//! offline, a cheap probe (any HTTP answer from the Whop API host counts) runs with backoff, and
//! coming back online wakes whoever waits (the outbox worker, the Whop sync).

use std::time::Duration;
use tokio::sync::watch;

/// Probe backoff: 1 s, 2 s, 4 s … up to this.
const MAX_PROBE_INTERVAL: Duration = Duration::from_secs(60);
/// How long one network probe may take before it counts as a failure.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkState {
    pub online: bool,
    /// Why the last request failed, while offline.
    pub reason: Option<String>,
}

pub struct Connectivity {
    state: watch::Sender<NetworkState>,
}

impl Default for Connectivity {
    fn default() -> Self {
        Self::new()
    }
}

impl Connectivity {
    /// Starts online: the first failed request says otherwise.
    pub fn new() -> Self {
        let (state, _) = watch::channel(NetworkState { online: true, reason: None });
        Connectivity { state }
    }

    pub fn is_online(&self) -> bool {
        self.state.borrow().online
    }

    pub fn state(&self) -> NetworkState {
        self.state.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<NetworkState> {
        self.state.subscribe()
    }

    /// A request could not connect to the server.
    pub fn report_offline(&self, reason: &str) {
        let reason: String = reason.chars().take(300).collect();
        self.state.send_if_modified(|state| {
            if !state.online && state.reason.as_deref() == Some(reason.as_str()) {
                return false;
            }
            if state.online {
                tracing::info!(%reason, "network: offline");
            }
            *state = NetworkState { online: false, reason: Some(reason) };
            true
        });
    }

    /// A request got an HTTP answer (any status).
    pub fn report_online(&self) {
        // Only a real change wakes the waiters: most answers arrive while already online.
        self.state.send_if_modified(|state| {
            if state.online {
                return false;
            }
            tracing::info!("network: back online");
            *state = NetworkState { online: true, reason: None };
            true
        });
    }

    /// Waits until online (at once when already online).
    pub async fn wait_online(&self) {
        let mut rx = self.subscribe();
        // `wait_for` only fails when the sender is gone, which means the app is closing.
        let _ = rx.wait_for(|s| s.online).await;
    }

    /// While offline, calls `probe` with backoff until it reports an answer (`Ok`). Runs forever;
    /// the app spawns it once. The probe is a closure so the outbox stays free of HTTP: the app
    /// passes one that asks Whop's API host for any answer.
    pub async fn run_probe<P, F>(&self, probe: P)
    where
        P: Fn() -> F,
        F: std::future::Future<Output = Result<(), String>>,
    {
        let mut rx = self.subscribe();
        loop {
            if rx.wait_for(|s| !s.online).await.is_err() {
                return;
            }
            let mut wait = Duration::from_secs(1);
            while !self.is_online() {
                tokio::time::sleep(wait).await;
                match probe().await {
                    Ok(()) => self.report_online(),
                    Err(error) => {
                        tracing::debug!(%error, wait_ms = wait.as_millis() as u64, "network probe failed");
                        wait = (wait * 2).min(MAX_PROBE_INTERVAL);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn transitions_wake_waiters() {
        let c = std::sync::Arc::new(Connectivity::new());
        assert!(c.is_online());
        c.report_offline("connection refused");
        assert_eq!(c.state().reason.as_deref(), Some("connection refused"));
        let waiter = {
            let c = c.clone();
            tokio::spawn(async move { c.wait_online().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        c.report_online();
        tokio::time::timeout(Duration::from_secs(2), waiter).await.unwrap().unwrap();
        assert!(c.is_online() && c.state().reason.is_none());
    }
}
