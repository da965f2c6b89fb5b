//! The seller's business accounts (`GET /accounts`, mirrored in `whop_account`) and which of them
//! Dealdesk syncs: all of them by default when there is one, the user's choice when there are
//! several (until then only the accounts list itself syncs).

use super::error::WhopError;
use dealdesk_model::whop::WhopBusiness;
use dealdesk_store::Store;
use std::collections::HashMap;

pub const BUSINESSES_SETTING: &str = "whop.businesses";

/// A business account: id and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Business {
    pub id: String,
    pub title: String,
}

/// Which businesses to sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    These(Vec<Business>),
    /// Several businesses and no choice yet.
    Undecided,
}

/// Every business account seen, by title.
pub async fn known(store: &Store) -> Result<Vec<Business>, WhopError> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT id, title FROM whop_account ORDER BY coalesce(title, id), id")
            .fetch_all(store.pool())
            .await?;
    Ok(rows.into_iter().map(|(id, title)| Business { title: title.unwrap_or_else(|| id.clone()), id }).collect())
}

/// The businesses to sync: the stored choice (of those still known), or the only one. A seller
/// who syncs one business and gains a second keeps syncing the first: with no stored choice, the
/// businesses that were synced before become it.
pub async fn chosen(store: &Store) -> Result<Chosen, WhopError> {
    let known = known(store).await?;
    let mut selection: Option<Vec<String>> = store.setting(BUSINESSES_SETTING).await?;
    if selection.is_none() && known.len() > 1 {
        let synced: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT account_id FROM whop_sync_cursor WHERE account_id != '' ORDER BY account_id",
        )
        .fetch_all(store.pool())
        .await?;
        if !synced.is_empty() {
            store.set_setting(BUSINESSES_SETTING, &synced).await?;
            selection = Some(synced);
        }
    }
    Ok(match selection {
        Some(ids) => Chosen::These(known.into_iter().filter(|b| ids.contains(&b.id)).collect()),
        None if known.len() <= 1 => Chosen::These(known),
        None => Chosen::Undecided,
    })
}

/// Stores the choice: ids of known businesses, at least one.
pub async fn select(store: &Store, ids: &[String]) -> Result<(), WhopError> {
    let known = known(store).await?;
    if ids.is_empty() {
        return Err(WhopError::InvalidAction("choose at least one business to sync".into()));
    }
    if let Some(unknown) = ids.iter().find(|id| !known.iter().any(|b| &b.id == *id)) {
        let names: Vec<String> = known.iter().map(|b| format!("{} ({})", b.id, b.title)).collect();
        return Err(WhopError::InvalidAction(format!(
            "{unknown} is not one of your Whop business accounts{}",
            if names.is_empty() { String::from(": sync Whop first") } else { format!(": {}", names.join(", ")) }
        )));
    }
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    store.set_setting(BUSINESSES_SETTING, &ids).await?;
    Ok(())
}

/// The businesses as Settings lists them, with what the last syncs of each chosen one found.
pub async fn views(store: &Store, chosen: &[String]) -> Result<Vec<WhopBusiness>, WhopError> {
    let errors: Vec<(String, String)> = sqlx::query_as(
        "SELECT account_id, last_error FROM whop_sync_cursor WHERE last_error IS NOT NULL AND account_id != ''
         ORDER BY updated_at DESC",
    )
    .fetch_all(store.pool())
    .await?;
    let mut last_error: HashMap<String, String> = HashMap::new();
    for (account, error) in errors {
        last_error.entry(account).or_insert(error);
    }
    let counts = |table: &'static str, filter: &'static str| async move {
        let rows: Vec<(Option<String>, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT account_id, count(*) FROM {table}{filter} GROUP BY 1")))
                .fetch_all(store.pool())
                .await?;
        Ok::<HashMap<String, u64>, WhopError>(
            rows.into_iter().filter_map(|(a, n)| Some((a?, n.max(0) as u64))).collect(),
        )
    };
    // Memberships deleted on Whop stay in the mirror but are no longer the business's.
    let memberships = counts("whop_membership", " WHERE remote_deleted_at IS NULL").await?;
    let payments = counts("whop_payment", "").await?;
    Ok(known(store)
        .await?
        .into_iter()
        .map(|b| WhopBusiness {
            selected: chosen.contains(&b.id),
            last_error: if chosen.contains(&b.id) { last_error.remove(&b.id) } else { None },
            memberships: memberships.get(&b.id).copied().unwrap_or(0),
            payments: payments.get(&b.id).copied().unwrap_or(0),
            id: b.id,
            title: b.title,
        })
        .collect())
}
