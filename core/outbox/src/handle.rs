//! What services hold to queue operations: they enqueue in their own transaction (with the local
//! change that caused the operation) and poke the handle once it commits, which wakes the worker
//! and recounts the windows' badges.

use super::OutboxError;
use super::connectivity::Connectivity;
use super::queue::{self, NewOperation};
use dealdesk_model::UpdateSource;
use dealdesk_model::ipc::CoreEvent;
use dealdesk_model::outbox::OutboxSummary;
use dealdesk_store::{EventBus, Store};
use sqlx::SqliteConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// How long the windows' counts wait for more changes before they are taken.
const COUNT_DELAY: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct OutboxHandle {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    events: EventBus,
    connectivity: Arc<Connectivity>,
    wake: Notify,
    /// A count for the windows is already on its way.
    count_scheduled: Arc<AtomicBool>,
}

impl OutboxHandle {
    pub fn new(store: Store, events: EventBus, connectivity: Arc<Connectivity>) -> OutboxHandle {
        OutboxHandle {
            inner: Arc::new(Inner {
                store,
                events,
                connectivity,
                wake: Notify::new(),
                count_scheduled: Arc::default(),
            }),
        }
    }

    /// Queues `op` in the caller's transaction. Returns its id; [`OutboxHandle::poke`] once the
    /// transaction commits.
    pub async fn enqueue(
        &self,
        tx: &mut SqliteConnection,
        op: &NewOperation,
        source: UpdateSource,
    ) -> Result<i64, OutboxError> {
        queue::enqueue(tx, op, source).await
    }

    /// Wakes the worker and recounts (after queuing, retrying or resolving an operation).
    pub fn poke(&self) {
        self.changed();
        self.wake();
    }

    /// Wakes the worker.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Resolves when [`OutboxHandle::wake`] is called (or was, since the last wait).
    pub async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    pub fn connectivity(&self) -> &Arc<Connectivity> {
        &self.inner.connectivity
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    /// Gives an operation a new idempotency key, first sent now (the old one expired at the
    /// remote, and the operation did not take effect under it).
    pub async fn replace_key(&self, id: i64) -> Result<String, OutboxError> {
        let key = uuid::Uuid::now_v7().to_string();
        sqlx::query("UPDATE outbox SET idempotency_key = ?, key_first_sent_at = ? WHERE id = ?")
            .bind(&key)
            .bind(dealdesk_store::time::format(dealdesk_store::time::now()))
            .bind(id)
            .execute(self.inner.store.pool())
            .await?;
        Ok(key)
    }

    pub async fn summary(&self) -> Result<OutboxSummary, OutboxError> {
        let state = self.inner.connectivity.state();
        queue::summary(self.inner.store.pool(), state.online, state.reason).await
    }

    /// Sends the new counts to the windows. Counting runs in its own task, a moment later, so an
    /// edit returns without waiting for it and a burst of edits is counted once.
    pub fn changed(&self) {
        if self.inner.count_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let (pool, events) = (self.inner.store.pool().clone(), self.inner.events.clone());
        let (connectivity, scheduled) = (self.inner.connectivity.clone(), self.inner.count_scheduled.clone());
        tokio::spawn(async move {
            tokio::time::sleep(COUNT_DELAY).await;
            // Cleared before counting: a change after this point schedules a count of its own.
            scheduled.store(false, Ordering::Release);
            let state = connectivity.state();
            match queue::summary(&pool, state.online, state.reason).await {
                Ok(summary) => events.emit(CoreEvent::OutboxChanged { summary }),
                Err(OutboxError::Store(sqlx::Error::PoolClosed)) => {}
                Err(error) => tracing::warn!(%error, "outbox: cannot count"),
            }
        });
    }
}
