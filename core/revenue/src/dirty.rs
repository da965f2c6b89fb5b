//! Rows kept beside the mirror for a set of keys that writes mark dirty (row triggers fill a
//! `…_dirty` table): each customer's sums (`customers`) and churn facts (`churn`). Before a figure
//! reads them, the dirty keys' rows are deleted and computed again, and the set is emptied.

use crate::error::RevenueError;
use dealdesk_store::Store;

/// Runs `statements` in one write transaction when the table `dirty` has rows; nothing to do is
/// one read. The statements recompute the dirty keys' rows and empty `dirty` last.
pub async fn recompute(
    store: &Store,
    dirty: &str,
    statements: impl IntoIterator<Item = String>,
) -> Result<(), RevenueError> {
    let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM {dirty})")))
        .fetch_one(store.pool())
        .await?;
    if !any {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
