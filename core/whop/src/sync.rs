//! The sync engine: pages each resource into its mirror table and maps members, memberships and
//! leads onto people and deals. Every page is one transaction together with its cursor, so a run
//! killed anywhere resumes where it stopped and never duplicates a row.
//!
//! What is listed is a [`Target`]: a resource for one business (Whop's SDK requires the business
//! on most lists, and without it a user token's lists also hold the seller's own purchases), or
//! reviews for one product. Each target has its own cursor.
//!
//! Passes: the first sync of a target (and one every `rescan_interval`) is a *rescan* that lists
//! everything and keeps rows whose `updated_at` changed; the others are *incremental*, listing only
//! objects created after the high-water mark (Whop's lists filter by creation time only). A list
//! without `created_after` (products) is rescanned every time.
//!
//! A rescan is also the only pass that can tell an object is gone: when one of a kind Whop deletes
//! ([`Resource::marks_remote_deletes`]) completes, the business's rows it did not list are marked
//! deleted on Whop (`remote_deleted_at`), and a marked object Whop lists again is unmarked. The ids
//! a rescan lists are kept (`whop_rescan_seen`) with each page and its cursor, so a rescan resumed
//! after a crash still covers the whole list; one that fails partway marks nothing.

use super::client::ApiClient;
use super::contract;
use super::error::WhopError;
use super::resources::{Resource, text, timestamp};
use dealdesk_crm::deals::DealFields;
use dealdesk_crm::people::PersonFields;
use dealdesk_crm::record::{WriteCtx, insert_records, update_record};
use dealdesk_crm::shared::config::{self, ConfigKind};
use dealdesk_crm::validate;
use dealdesk_model::outbox::ConflictKind;
use dealdesk_model::whop::ResourceCount;
use dealdesk_model::{DealStatus, Money, UpdateSource};
use dealdesk_store::{Store, time};
use serde_json::Value;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use uuid::Uuid;

pub use dealdesk_model::whop::WHOP_PIPELINE;
/// Incremental passes ask for objects created a little before the high-water mark, in case two
/// objects share a timestamp; the overlap is re-read and found unchanged.
const HIGH_WATER_OVERLAP: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    Incremental,
    Rescan,
}

impl Pass {
    fn as_str(self) -> &'static str {
        match self {
            Pass::Incremental => "incremental",
            Pass::Rescan => "rescan",
        }
    }
}

/// One list a sync pages through: a resource, for a business or (reviews) a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub resource: Resource,
    /// The business the objects belong to (`""` for the accounts list itself).
    pub account_id: String,
    /// What the cursor is kept per: the business, or the product for reviews.
    pub scope: String,
}

impl Target {
    pub fn accounts() -> Target {
        Target { resource: Resource::Accounts, account_id: String::new(), scope: String::new() }
    }

    /// A resource of a business (not reviews: see [`Target::reviews`]).
    pub fn of_business(resource: Resource, account_id: &str) -> Target {
        Target { resource, account_id: account_id.into(), scope: account_id.into() }
    }

    pub fn reviews(account_id: &str, product_id: &str) -> Target {
        Target { resource: Resource::Reviews, account_id: account_id.into(), scope: product_id.into() }
    }

    /// The param that names the business or product, as the resource's endpoint calls it.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        match self.resource {
            Resource::Accounts => Vec::new(),
            Resource::Products | Resource::Plans => vec![("account_id", self.account_id.clone())],
            Resource::Reviews => vec![("product_id", self.scope.clone())],
            _ => vec![("company_id", self.account_id.clone())],
        }
    }
}

/// Who is syncing: their own Whop user never becomes one of their customers.
#[derive(Debug, Clone, Default)]
pub struct Seller {
    pub user_id: Option<String>,
}

/// The committed position of one target.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct CursorRow {
    pub after: Option<String>,
    pub pass: Option<String>,
    pub pass_created_after: Option<String>,
    pub high_water: Option<String>,
    pub last_full_scan_at: Option<String>,
}

pub async fn load_cursor(store: &Store, target: &Target) -> Result<CursorRow, WhopError> {
    let row: Option<CursorRow> = sqlx::query_as(
        "SELECT after_cursor AS after, pass, pass_created_after, high_water, last_full_scan_at
         FROM whop_sync_cursor WHERE resource = ? AND scope = ?",
    )
    .bind(target.resource.name())
    .bind(&target.scope)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.unwrap_or_default())
}

/// Where the next page of a target comes from.
struct PassPlan {
    pass: Pass,
    created_after: Option<String>,
    after: Option<String>,
}

fn plan_pass(
    cursor: &CursorRow,
    rescan_interval: Duration,
    now: chrono::DateTime<chrono::Utc>,
    incremental_possible: bool,
) -> PassPlan {
    if cursor.after.is_some() {
        let pass = if cursor.pass.as_deref() == Some("rescan") { Pass::Rescan } else { Pass::Incremental };
        return PassPlan { pass, created_after: cursor.pass_created_after.clone(), after: cursor.after.clone() };
    }
    let scanned_recently = cursor
        .last_full_scan_at
        .as_deref()
        .and_then(|t| time::parse(t).ok())
        .is_some_and(|t| now.signed_duration_since(t).to_std().unwrap_or_default() < rescan_interval);
    match (&cursor.high_water, scanned_recently && incremental_possible) {
        (Some(high_water), true) => {
            let created_after = time::parse(high_water)
                .ok()
                .and_then(|t| chrono::Duration::from_std(HIGH_WATER_OVERLAP).ok().map(|d| t - d))
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            PassPlan { pass: Pass::Incremental, created_after, after: None }
        }
        _ => PassPlan { pass: Pass::Rescan, created_after: None, after: None },
    }
}

/// Counts of one resource's run.
pub type Counts = ResourceCount;

/// Syncs one target to the end of its pass, calling `on_page` after each committed page.
pub async fn sync_resource(
    store: Store,
    api: &ApiClient,
    target: &Target,
    seller: &Seller,
    rescan_interval: Duration,
    on_page: &mut (dyn FnMut(&Counts) + Send),
) -> Result<Counts, WhopError> {
    let store = &store;
    let endpoint = contract::endpoint(target.resource.sdk_method())?;
    let cursor = load_cursor(store, target).await?;
    let plan = plan_pass(&cursor, rescan_interval, time::now(), endpoint.takes("created_after"));
    let mut counts = Counts { resource: target.resource.name().into(), ..Counts::default() };
    let mut after = plan.after.clone();
    // Only what the pinned version's endpoint takes (contract.json): oldest first where it can
    // sort, so a pass that stops resumes after the last object it kept.
    let mut query = target.query();
    if endpoint.takes("order") {
        query.push(("order", "created_at".into()));
    }
    if endpoint.takes("direction") {
        query.push(("direction", "asc".into()));
    }
    if let Some(created_after) = &plan.created_after {
        query.push(("created_after", created_after.clone()));
    }
    loop {
        // Taken before asking: an object the mirror got after this (a confirmed write's answer)
        // may be missing from a page that was already on its way, and must not be marked gone.
        let asked_at = time::format(time::now());
        let page = api.list(endpoint, after.clone(), query.clone()).await;
        counts.requests += 1;
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                counts.errors += 1;
                record_error(store, target, error.to_string()).await;
                return Err(error);
            }
        };
        let next = if page.has_next_page { page.end_cursor.clone() } else { None };
        let outcome = write_page(store, target, seller, &page.items, &plan, next.as_deref(), &asked_at).await?;
        counts.fetched += page.items.len() as u64;
        counts.inserted += outcome.inserted;
        counts.updated += outcome.updated;
        counts.people_created += outcome.people_created;
        counts.deals_created += outcome.deals_created;
        on_page(&counts);
        match next {
            Some(cursor) => after = Some(cursor),
            None => return Ok(counts),
        }
    }
}

async fn record_error(store: &Store, target: &Target, error: String) {
    let result = sqlx::query(
        "INSERT INTO whop_sync_cursor (resource, scope, account_id, last_error, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (resource, scope) DO UPDATE SET last_error = ?4, updated_at = ?5",
    )
    .bind(target.resource.name())
    .bind(&target.scope)
    .bind(&target.account_id)
    .bind(error)
    .bind(time::format(time::now()))
    .execute(store.pool())
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "whop: cannot record a sync error");
    }
}

/// Writes one page exactly as a sync does (mirror rows, CRM mapping, cursor), without the network:
/// the benchmark measures ingest throughput with it. Returns (inserted, updated).
pub async fn ingest_page(store: &Store, target: &Target, items: &[Value], more: bool) -> Result<(u64, u64), WhopError> {
    let plan = PassPlan { pass: Pass::Rescan, created_after: None, after: None };
    let asked_at = time::format(time::now());
    let outcome =
        write_page(store, target, &Seller::default(), items, &plan, more.then_some("bench"), &asked_at).await?;
    Ok((outcome.inserted, outcome.updated))
}

#[derive(Debug, Default)]
struct PageOutcome {
    inserted: u64,
    updated: u64,
    people_created: u64,
    deals_created: u64,
}

/// Writes one page, its CRM mapping and the target's new cursor in one transaction; the last page
/// of a rescan also marks what it did not list (see [`mark_unlisted`]). `asked_at` is when the
/// page was asked for.
async fn write_page(
    store: &Store,
    target: &Target,
    seller: &Seller,
    items: &[Value],
    plan: &PassPlan,
    next_cursor: Option<&str>,
    asked_at: &str,
) -> Result<PageOutcome, WhopError> {
    let mut tx = store.begin_write().await?;
    let ctx = WriteCtx::new(store.clock(), UpdateSource::Sync);
    // A membership or payment of another company is the seller's own purchase (a list that
    // ignored its business filter): it is not this business's, and never becomes a customer.
    let items: Vec<&Value> = items
        .iter()
        .filter(|item| {
            let company = text(item, "company.id");
            let foreign = company.is_some_and(|c| !target.account_id.is_empty() && c != target.account_id);
            if foreign {
                tracing::warn!(resource = target.resource.name(), business = %target.account_id,
                    "whop: skipped an object of another company in a business's list");
            }
            !foreign
        })
        .collect();
    // A page with no pass in progress starts one (the stored cursor is what the next page resumes
    // from, so it, not the request, says where the pass stands).
    let stored: Option<(bool, Option<String>)> = sqlx::query_as(
        "SELECT after_cursor IS NOT NULL, pass_started_at FROM whop_sync_cursor WHERE resource = ? AND scope = ?",
    )
    .bind(target.resource.name())
    .bind(&target.scope)
    .fetch_optional(&mut *tx)
    .await?;
    let (starts_pass, pass_started_at) = match stored {
        Some((true, started)) => (false, started),
        _ => (true, Some(asked_at.to_string())),
    };
    let keeps_seen = plan.pass == Pass::Rescan && target.resource.marks_remote_deletes();
    if keeps_seen {
        if starts_pass {
            // Ids left by a rescan this cursor no longer continues are not this one's.
            forget_seen(&mut tx, target).await?;
        }
        let ids: Vec<&str> = items.iter().filter_map(|i| i.get("id").and_then(Value::as_str)).collect();
        sqlx::query(
            "INSERT OR IGNORE INTO whop_rescan_seen (resource, scope, id) SELECT ?1, ?2, value FROM json_each(?3)",
        )
        .bind(target.resource.name())
        .bind(&target.scope)
        .bind(Value::from(ids).to_string())
        .execute(&mut *tx)
        .await?;
    }

    let (outcome, page_high_water) = if items.is_empty() {
        (PageOutcome::default(), None)
    } else {
        upsert_items(&mut tx, &ctx, target, seller, &items).await?
    };

    let finished = next_cursor.is_none();
    if finished && keeps_seen {
        match &pass_started_at {
            Some(started) => mark_unlisted(&mut tx, target, started, &ctx.now).await?,
            // Resumed from a cursor written before passes recorded their start: its earlier pages'
            // ids were never kept, so it cannot tell what is missing. The next rescan can.
            None => tracing::info!(resource = target.resource.name(), business = %target.account_id,
                "whop: a rescan resumed from an older version's cursor marks nothing deleted"),
        }
        forget_seen(&mut tx, target).await?;
    }
    sqlx::query(
        "INSERT INTO whop_sync_cursor (resource, scope, account_id, after_cursor, pass, pass_created_after, high_water,
                                       last_full_scan_at, fetched, last_error, updated_at, pass_started_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?8 THEN ?9 END, ?10, NULL, ?9, ?11)
         ON CONFLICT (resource, scope) DO UPDATE SET
            after_cursor = ?4, pass = ?5, pass_created_after = ?6,
            high_water = CASE WHEN high_water IS NULL OR ?7 > high_water THEN ?7 ELSE high_water END,
            last_full_scan_at = CASE WHEN ?8 THEN ?9 ELSE last_full_scan_at END,
            fetched = fetched + ?10, last_error = NULL, updated_at = ?9, pass_started_at = ?11",
    )
    .bind(target.resource.name())
    .bind(&target.scope)
    .bind(&target.account_id)
    .bind(next_cursor)
    .bind(if finished { Pass::Incremental.as_str() } else { plan.pass.as_str() })
    .bind(if finished { None } else { plan.created_after.clone() })
    .bind(page_high_water)
    .bind(finished && plan.pass == Pass::Rescan)
    .bind(ctx.now.clone())
    .bind(items.len() as i64)
    .bind(if finished { None } else { pass_started_at })
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Empties the ids a target's rescan has listed.
async fn forget_seen(conn: &mut SqliteConnection, target: &Target) -> Result<(), WhopError> {
    sqlx::query("DELETE FROM whop_rescan_seen WHERE resource = ? AND scope = ?")
        .bind(target.resource.name())
        .bind(&target.scope)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// At the end of a complete rescan: marks deleted on Whop the business's rows the rescan did not
/// list. Rows are kept (and their deals and people); the mark clears when Whop lists them again.
/// A row written since the rescan asked for its first page is left alone: a confirmed write's
/// answer may name an object created after the list was read.
async fn mark_unlisted(
    conn: &mut SqliteConnection,
    target: &Target,
    pass_started_at: &str,
    now: &str,
) -> Result<(), WhopError> {
    let table = target.resource.table();
    let marked = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET remote_deleted_at = ?1
         WHERE account_id = ?2 AND remote_deleted_at IS NULL AND synced_at < ?3
           AND id NOT IN (SELECT id FROM whop_rescan_seen WHERE resource = ?4 AND scope = ?5)"
    )))
    .bind(now)
    .bind(&target.account_id)
    .bind(pass_started_at)
    .bind(target.resource.name())
    .bind(&target.scope)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if marked > 0 {
        tracing::info!(resource = target.resource.name(), business = %target.account_id, marked,
            "whop: a complete rescan no longer lists these objects; marked deleted on Whop");
    }
    Ok(())
}

/// Upserts the page's objects (new ones, and ones whose `updated_at` or business moved) and maps
/// them. Returns the outcome and the newest `created_at` on the page.
async fn upsert_items(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    target: &Target,
    seller: &Seller,
    items: &[&Value],
) -> Result<(PageOutcome, Option<String>), WhopError> {
    let resource = target.resource;
    let table = resource.table();
    let has_account = resource != Resource::Accounts;
    let ids: Vec<&str> = items.iter().filter_map(|i| i.get("id").and_then(Value::as_str)).collect();
    let mut known: HashMap<String, (Option<String>, Option<String>)> = HashMap::with_capacity(ids.len());
    let account_column = if has_account { "account_id" } else { "NULL" };
    let mut qb = QueryBuilder::<Sqlite>::new(format!(
        "SELECT id, remote_updated_at, {account_column} FROM {table} WHERE id IN ("
    ));
    let mut list = qb.separated(", ");
    for id in &ids {
        list.push_bind(*id);
    }
    qb.push(")");
    let rows: Vec<(String, Option<String>, Option<String>)> = qb.build_query_as().fetch_all(&mut *conn).await?;
    known.extend(rows.into_iter().map(|(id, updated, account)| (id, (updated, account))));
    let account = (has_account && !target.account_id.is_empty()).then(|| target.account_id.clone());
    if resource.marks_remote_deletes() {
        // Whop lists it (or answered with it): it is not deleted, whatever an earlier rescan or a
        // 404 concluded. Only marked rows are written, so an unchanged page stays a read.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET remote_deleted_at = NULL
             WHERE remote_deleted_at IS NOT NULL AND id IN (SELECT value FROM json_each(?))"
        )))
        .bind(Value::from(ids.clone()).to_string())
        .execute(&mut *conn)
        .await?;
    }

    let mut outcome = PageOutcome::default();
    let mut high_water: Option<String> = None;
    // Later duplicates of an id on the same page win, once. Timestamps are parsed once per item.
    let mut seen = HashSet::new();
    let mut changed: Vec<(&Value, &str, Option<String>, Option<String>)> = Vec::new();
    for item in items.iter().rev() {
        let Some(id) = item.get("id").and_then(Value::as_str) else { continue };
        if !seen.insert(id) {
            continue;
        }
        let created = timestamp(item, "created_at");
        if created.as_ref().is_some_and(|c| high_water.as_ref().is_none_or(|h| c > h)) {
            high_water = created.clone();
        }
        let updated = timestamp(item, "updated_at");
        match known.get(id) {
            None => outcome.inserted += 1,
            Some((stored, stored_account)) if updated.is_none() || *stored != updated || *stored_account != account => {
                outcome.updated += 1
            }
            Some(_) => continue,
        }
        changed.push((item, id, created, updated));
    }
    changed.reverse();
    if changed.is_empty() {
        return Ok((outcome, high_water));
    }

    let changed_items: Vec<&Value> = changed.iter().map(|(item, ..)| *item).collect();
    let before = super::trigger_events::before(conn, resource.name(), &target.scope, table, &changed_items).await?;
    let columns = resource.columns();
    let account_columns = if has_account { "account_id, " } else { "" };
    let mut qb = QueryBuilder::<Sqlite>::new(format!(
        "INSERT INTO {table} (id, {account_columns}{}, created_at, remote_updated_at, synced_at, raw) ",
        columns.join(", ")
    ));
    qb.push("VALUES ");
    for (i, (item, id, created, updated)) in changed.iter().enumerate() {
        qb.push(if i == 0 { "(" } else { ", (" });
        qb.push_bind(id.to_string());
        if has_account {
            qb.push(", ").push_bind(account.clone());
        }
        for cell in resource.extract(item, &target.scope) {
            qb.push(", ");
            cell.bind(&mut qb);
        }
        qb.push(", ").push_bind(created.clone());
        qb.push(", ").push_bind(updated.clone());
        qb.push(", ").push_bind(ctx.now.clone());
        qb.push(", ").push_bind(item.to_string());
        qb.push(")");
    }
    qb.push(" ON CONFLICT (id) DO UPDATE SET ");
    // A row keeps the business it was first synced for when a later answer has none (a confirmed
    // write of an object without a company field).
    if has_account {
        qb.push("account_id = coalesce(excluded.account_id, account_id), ");
    }
    for column in columns.iter().chain(&["created_at", "remote_updated_at", "synced_at", "raw"]) {
        qb.push(format!("{column} = excluded.{column}, "));
    }
    qb.push("id = id");
    qb.build().execute(&mut *conn).await?;

    let changed = changed_items;
    if let Some(record_kind) = resource.outbox_kind() {
        dealdesk_outbox::conflicts::reconcile(conn, record_kind, &changed).await?;
    }
    // The seller's own Whop user is never one of their customers (a test purchase of their own
    // product, say): its mirror rows stay, no person or deal is made from them.
    let customers: Vec<&Value> =
        changed.iter().copied().filter(|i| seller.user_id.is_none() || text(i, "user.id") != seller.user_id).collect();
    match resource {
        Resource::Members | Resource::Leads => {
            let users: Vec<WhopUser> = customers.iter().filter_map(|i| WhopUser::from_item(i)).collect();
            let (_, created) = ensure_people(conn, ctx, &users).await?;
            outcome.people_created += created;
        }
        Resource::Memberships => {
            let users: Vec<WhopUser> = customers.iter().filter_map(|i| WhopUser::from_item(i)).collect();
            let (people, created) = ensure_people(conn, ctx, &users).await?;
            outcome.people_created += created;
            outcome.deals_created += map_memberships(conn, ctx, &customers, &people, account.as_deref()).await?;
        }
        _ => {}
    }
    super::trigger_events::record(conn, resource.name(), before, &customers, &ctx.now).await?;
    Ok((outcome, high_water))
}

/// The `user` object embedded in members, memberships and leads.
#[derive(Debug, Clone)]
struct WhopUser {
    id: String,
    email: Option<String>,
    name: Option<String>,
    username: Option<String>,
}

impl WhopUser {
    fn from_item(item: &Value) -> Option<WhopUser> {
        Some(WhopUser {
            id: text(item, "user.id")?,
            email: text(item, "user.email").and_then(|e| validate::email("email", Some(&e)).ok().flatten()),
            name: text(item, "user.name"),
            username: text(item, "user.username"),
        })
    }

    fn person_fields(&self) -> PersonFields {
        let (first, last) = match (&self.name, &self.username, &self.email) {
            (Some(name), _, _) => match name.split_once(char::is_whitespace) {
                Some((first, last)) => (first.to_string(), last.trim().to_string()),
                None => (name.clone(), String::new()),
            },
            (None, Some(username), _) => (username.clone(), String::new()),
            (None, None, Some(email)) => (email.split('@').next().unwrap_or(email).to_string(), String::new()),
            (None, None, None) => ("Whop".to_string(), self.id.clone()),
        };
        PersonFields {
            first_name: first.chars().take(200).collect(),
            last_name: last.chars().take(200).collect(),
            email: self.email.clone(),
            phone: None,
            job_title: None,
            city: None,
            linkedin_url: None,
            avatar_url: None,
            company_id: None,
            custom: Default::default(),
        }
    }
}

/// The person of each Whop user: linked before, else matched by email, else created. Never two
/// people for one Whop user. Returns user id → person id and how many people were created.
async fn ensure_people(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    users: &[WhopUser],
) -> Result<(HashMap<String, Uuid>, u64), WhopError> {
    let mut people: HashMap<String, Uuid> = HashMap::new();
    if users.is_empty() {
        return Ok((people, 0));
    }
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT user_id, person_id FROM whop_person WHERE user_id IN (");
    let mut list = qb.separated(", ");
    for user in users {
        list.push_bind(user.id.clone());
    }
    qb.push(")");
    let linked: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
    for (user_id, person_id) in linked {
        if let Ok(id) = Uuid::parse_str(&person_id) {
            people.insert(user_id, id);
        }
    }
    let mut missing: Vec<&WhopUser> = Vec::new();
    let mut missing_ids = HashSet::new();
    for user in users {
        if !people.contains_key(&user.id) && missing_ids.insert(user.id.as_str()) {
            missing.push(user);
        }
    }
    if missing.is_empty() {
        return Ok((people, 0));
    }

    // Match by email (people already in the CRM, live ones).
    let mut by_email: HashMap<String, Uuid> = HashMap::new();
    let emails: Vec<String> = missing.iter().filter_map(|u| u.email.clone()).collect();
    if !emails.is_empty() {
        let mut qb =
            QueryBuilder::<Sqlite>::new("SELECT id, email FROM person WHERE deleted_at IS NULL AND email IN (");
        let mut list = qb.separated(", ");
        for email in &emails {
            list.push_bind(email.clone());
        }
        qb.push(")");
        let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        for (id, email) in rows {
            if let Ok(id) = Uuid::parse_str(&id) {
                by_email.insert(email.to_lowercase(), id);
            }
        }
    }
    // Made before by another desktop of the team, and pulled here.
    let derived: Vec<Uuid> = missing.iter().map(|u| whop_record_id("person", &u.id)).collect();
    let pulled = existing_ids(conn, "person", &derived).await?;
    let mut new_people: Vec<(Uuid, PersonFields)> = Vec::new();
    let mut links: Vec<(String, Uuid)> = Vec::new();
    for user in missing {
        let key = user.email.as_ref().map(|e| e.to_lowercase());
        let id = whop_record_id("person", &user.id);
        let person = match key.as_ref().and_then(|k| by_email.get(k)) {
            Some(id) => *id,
            None if pulled.contains(&id) => id,
            None => {
                new_people.push((id, user.person_fields()));
                if let Some(key) = key {
                    by_email.insert(key, id);
                }
                id
            }
        };
        links.push((user.id.clone(), person));
        people.insert(user.id.clone(), person);
    }
    insert_records(&mut *conn, ctx, &new_people).await?;
    let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO whop_person (user_id, person_id) ");
    qb.push_values(&links, |mut row, (user_id, person_id)| {
        row.push_bind(user_id.clone()).push_bind(person_id.to_string());
    });
    qb.push(" ON CONFLICT (user_id) DO NOTHING");
    qb.build().execute(&mut *conn).await?;
    Ok((people, new_people.len() as u64))
}

/// The id of a CRM record the sync makes from a Whop object: the same on every desktop, so two
/// desktops of a team workspace connected to one business make one record, not two (docs/team.md).
pub fn whop_record_id(kind: &str, whop_id: &str) -> Uuid {
    /// Dealdesk's namespace for ids derived from Whop ids (fixed forever: changing it would
    /// make every desktop's next sync a stranger to the records it made before).
    const NAMESPACE: Uuid = Uuid::from_u128(0x6d1f_0b5e_8c2a_4e47_9a51_3c0d_7e2b_9f14);
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{whop_id}").as_bytes())
}

/// Logs a pipeline or stage the sync made or restored, so a team workspace gets it before the
/// deals in it.
async fn log_shape(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    kind: ConfigKind,
    id: Uuid,
    before: Option<(bool, serde_json::Map<String, Value>)>,
) -> Result<(), WhopError> {
    Ok(config::log_saved(conn, ctx.clock, ctx.source, kind, &id.to_string(), before).await?)
}

/// Brings the Whop pipeline or one of its stages back from the trash (the sync needs it).
async fn restore(conn: &mut SqliteConnection, ctx: &WriteCtx<'_>, kind: ConfigKind, id: Uuid) -> Result<(), WhopError> {
    let before = config::snapshot(conn, kind, &id.to_string()).await?;
    if before.as_ref().is_none_or(|(live, _)| *live) {
        return Ok(());
    }
    let table = if kind == ConfigKind::Pipeline { "pipeline" } else { "stage" };
    let sql = format!("UPDATE {table} SET deleted_at = NULL, updated_at = ? WHERE id = ?");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&ctx.now).bind(id.to_string()).execute(&mut *conn).await?;
    log_shape(conn, ctx, kind, id, before).await
}

/// Which of these ids the table has (live or in the trash).
async fn existing_ids(conn: &mut SqliteConnection, table: &str, ids: &[Uuid]) -> Result<HashSet<Uuid>, WhopError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let list = Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>()).to_string();
    let sql = format!("SELECT id FROM {table} WHERE id IN (SELECT value FROM json_each(?))");
    let found: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(list).fetch_all(&mut *conn).await?;
    Ok(found.iter().filter_map(|id| Uuid::parse_str(id).ok()).collect())
}

/// The stages of the Whop memberships pipeline and the membership statuses each holds.
const WHOP_STAGES: [(&str, i64); 5] =
    [("Trialing", 40), ("Active", 100), ("Past due", 50), ("Canceling", 20), ("Ended", 0)];

/// Stage name and deal status for a membership status.
fn stage_for(status: Option<&str>) -> (&'static str, DealStatus) {
    match status.unwrap_or_default() {
        "active" => ("Active", DealStatus::Won),
        "completed" => ("Ended", DealStatus::Won),
        "past_due" | "unresolved" => ("Past due", DealStatus::Open),
        "canceling" => ("Canceling", DealStatus::Open),
        "canceled" | "expired" => ("Ended", DealStatus::Lost),
        _ => ("Trialing", DealStatus::Open),
    }
}

/// The Whop pipeline's id and stage ids, created (or completed) on first use.
async fn ensure_pipeline(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
) -> Result<(Uuid, HashMap<String, Uuid>), WhopError> {
    let now = ctx.now.as_str();
    // Its derived id first (every desktop's), then by name (one made before ids were derived).
    let existing: Option<String> = sqlx::query_scalar(
        "SELECT id FROM pipeline WHERE id = ?1 OR name = ?2 ORDER BY id = ?1 DESC, deleted_at IS NULL DESC LIMIT 1",
    )
    .bind(whop_record_id("pipeline", WHOP_PIPELINE).to_string())
    .bind(WHOP_PIPELINE)
    .fetch_optional(&mut *conn)
    .await?;
    let pipeline_id = match existing.and_then(|id| Uuid::parse_str(&id).ok()) {
        Some(id) => {
            restore(conn, ctx, ConfigKind::Pipeline, id).await?;
            id
        }
        None => {
            let id = whop_record_id("pipeline", WHOP_PIPELINE);
            sqlx::query(
                "INSERT INTO pipeline (id, name, position, is_default, created_at, updated_at)
                 VALUES (?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM pipeline), 0, ?3, ?3)",
            )
            .bind(id.to_string())
            .bind(WHOP_PIPELINE)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            log_shape(conn, ctx, ConfigKind::Pipeline, id, None).await?;
            id
        }
    };
    // Live stages first: a stage found by name is the live one of that name, if any.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, id FROM stage WHERE pipeline_id = ? ORDER BY deleted_at IS NULL DESC, id")
            .bind(pipeline_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    let rows: Vec<(String, Uuid)> =
        rows.into_iter().filter_map(|(name, id)| Some((name.to_lowercase(), Uuid::parse_str(&id).ok()?))).collect();
    let mut stages: HashMap<String, Uuid> = HashMap::new();
    for (position, (name, probability)) in WHOP_STAGES.iter().enumerate() {
        let id = whop_record_id("stage", &format!("{pipeline_id}:{name}"));
        // Its derived id (renamed by the user, perhaps), else its name; from the trash, restored.
        let by_id = rows.iter().find(|(_, stage)| *stage == id);
        if let Some((_, stage)) = by_id.or_else(|| rows.iter().find(|(n, _)| *n == name.to_lowercase())) {
            restore(conn, ctx, ConfigKind::Stage, *stage).await?;
            stages.insert(name.to_lowercase(), *stage);
            continue;
        }
        sqlx::query(
            "INSERT INTO stage (id, pipeline_id, name, position, probability, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        )
        .bind(id.to_string())
        .bind(pipeline_id.to_string())
        .bind(*name)
        .bind(position as i64)
        .bind(*probability)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        log_shape(conn, ctx, ConfigKind::Stage, id, None).await?;
        stages.insert(name.to_lowercase(), id);
    }
    Ok((pipeline_id, stages))
}

/// Creates a deal for each new membership and moves the deal when the membership's status moved.
async fn map_memberships(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    memberships: &[&Value],
    people: &HashMap<String, Uuid>,
    account: Option<&str>,
) -> Result<u64, WhopError> {
    let (pipeline_id, stages) = ensure_pipeline(conn, ctx).await?;
    let stage_id = |name: &str| stages.get(&name.to_lowercase()).copied();

    let mut qb = QueryBuilder::<Sqlite>::new("SELECT membership_id, deal_id FROM whop_deal WHERE membership_id IN (");
    let mut list = qb.separated(", ");
    for item in memberships {
        list.push_bind(item.get("id").and_then(Value::as_str).unwrap_or_default().to_string());
    }
    qb.push(")");
    let linked: HashMap<String, String> =
        qb.build_query_as::<(String, String)>().fetch_all(&mut *conn).await?.into_iter().collect();

    let plan_ids: Vec<String> = memberships.iter().filter_map(|m| text(m, "plan.id")).collect();
    let mut prices: HashMap<String, (Option<i64>, Option<String>)> = HashMap::new();
    if !plan_ids.is_empty() {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT id, coalesce(renewal_price_micros, initial_price_micros), currency FROM whop_plan WHERE id IN (",
        );
        let mut list = qb.separated(", ");
        for id in &plan_ids {
            list.push_bind(id.clone());
        }
        qb.push(")");
        let rows: Vec<(String, Option<i64>, Option<String>)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        prices.extend(rows.into_iter().map(|(id, price, currency)| (id, (price, currency))));
    }

    let derived: Vec<Uuid> =
        memberships.iter().filter_map(|item| text(item, "id")).map(|id| whop_record_id("deal", &id)).collect();
    let pulled_deals = existing_ids(conn, "deal", &derived).await?;
    let mut new_deals: Vec<(Uuid, DealFields)> = Vec::new();
    let mut links: Vec<(String, Uuid)> = Vec::new();
    for (index, item) in memberships.iter().enumerate() {
        let Some(membership_id) = text(item, "id") else { continue };
        let status = text(item, "status");
        let (stage_name, deal_status) = stage_for(status.as_deref());
        let Some(stage) = stage_id(stage_name) else { continue };
        let lost_reason = (deal_status == DealStatus::Lost).then(|| {
            text(item, "cancellation_reason")
                .or_else(|| text(item, "cancel_option"))
                .unwrap_or_else(|| format!("membership {}", status.as_deref().unwrap_or("ended")))
        });

        let known = linked.get(&membership_id).and_then(|id| Uuid::parse_str(id).ok());
        let derived = whop_record_id("deal", &membership_id);
        let pulled = (known.is_none() && pulled_deals.contains(&derived)).then_some(derived);
        if let Some(deal_id) = known.or(pulled) {
            if pulled.is_some() {
                // Made by another desktop of the team from the same membership.
                links.push((membership_id.clone(), deal_id));
            }
            match dealdesk_crm::deals::fetch(&mut *conn, deal_id).await {
                Ok(deal) if deal.meta.deleted_at.is_some() => {
                    // In the local trash: a remote change does not bring it back silently.
                    let old = DealFields::from(&deal);
                    if old.stage_id != stage || old.status != deal_status {
                        let summary = format!(
                            "Membership {membership_id} changed on Whop ({}) while its deal \"{}\" is in the trash",
                            status.as_deref().unwrap_or("unknown"),
                            deal.name
                        );
                        dealdesk_outbox::conflicts::record(
                            conn,
                            ConflictKind::DeletedLocally,
                            "whop_membership",
                            &membership_id,
                            Some("status"),
                            &Value::Null,
                            &Value::from(status.clone()),
                            None,
                            &summary,
                        )
                        .await?;
                    }
                    continue;
                }
                Ok(deal) => {
                    let old = DealFields::from(&deal);
                    let mut new = old.clone();
                    if new.stage_id != stage {
                        // The Whop pipeline may be another desktop's now (its derived id).
                        new.pipeline_id = pipeline_id;
                        new.stage_id = stage;
                        new.stage_entered_at = ctx.now.clone();
                    }
                    new.set_status(deal_status, &ctx.now);
                    new.lost_reason = lost_reason;
                    update_record(&mut *conn, ctx, deal_id, &old, &new).await?;
                    continue;
                }
                Err(dealdesk_crm::CrmError::NotFound { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }

        let plan = text(item, "plan.id").and_then(|id| prices.get(&id).cloned());
        let currency = super::resources::currency(item)
            .or_else(|| plan.as_ref().and_then(|(_, c)| c.clone()))
            .unwrap_or_else(|| "USD".into());
        let amount = plan.and_then(|(price, _)| price).unwrap_or(0).max(0);
        let who = text(item, "user.name").or_else(|| text(item, "user.username")).or_else(|| text(item, "user.email"));
        let product = text(item, "product.title").unwrap_or_else(|| "Whop membership".into());
        let name = match who {
            Some(who) => format!("{product} · {who}"),
            None => product,
        };
        let mut fields = DealFields {
            name: name.chars().take(200).collect(),
            amount: Money { micros: amount, currency },
            close_date: None,
            pipeline_id,
            stage_id: stage,
            status: DealStatus::Open,
            lost_reason,
            contact_id: text(item, "user.id").and_then(|u| people.get(&u).copied()),
            company_id: None,
            stage_entered_at: ctx.now.clone(),
            closed_at: None,
            position: index as f64,
            custom: Default::default(),
        };
        links.push((membership_id, derived));
        if pulled_deals.contains(&derived) {
            // Its linked deal is gone, and another desktop's deal for it is here: that one.
            continue;
        }
        fields.set_status(deal_status, &ctx.now);
        let id = derived;
        new_deals.push((id, fields));
    }
    insert_records(&mut *conn, ctx, &new_deals).await?;
    if !links.is_empty() {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO whop_deal (membership_id, deal_id, account_id) ");
        qb.push_values(&links, |mut row, (membership_id, deal_id)| {
            row.push_bind(membership_id.clone()).push_bind(deal_id.to_string()).push_bind(account.map(str::to_string));
        });
        qb.push(
            " ON CONFLICT (membership_id) DO UPDATE SET deal_id = excluded.deal_id,
              account_id = coalesce(excluded.account_id, whop_deal.account_id)",
        );
        qb.build().execute(&mut *conn).await?;
    }
    Ok(new_deals.len() as u64)
}

/// Writes an object Whop returned from a confirmed write into its mirror (and the CRM mapping),
/// in the caller's transaction, as a sync would. The object keeps the business its row has (or
/// the company it names).
pub async fn apply_confirmed(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    record_kind: &str,
    item: &Value,
) -> Result<(), WhopError> {
    let Some(resource) = Resource::ALL.into_iter().find(|r| r.outbox_kind() == Some(record_kind)) else {
        return Ok(());
    };
    let Some(id) = item.get("id").and_then(Value::as_str) else {
        tracing::warn!(record_kind, "whop: a confirmed write answered without an object id; the next sync brings it");
        return Ok(());
    };
    let stored: Option<Option<String>> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT account_id FROM {} WHERE id = ?", resource.table())))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let account = stored.flatten().or_else(|| text(item, "company.id")).unwrap_or_default();
    let target = Target::of_business(resource, &account);
    upsert_items(conn, ctx, &target, &Seller::default(), &[item]).await?;
    Ok(())
}

/// Marks a promo code archived after Whop confirmed its delete (Whop answers `true`, not the code).
pub async fn archive_promo_code(conn: &mut SqliteConnection, id: &str) -> Result<(), WhopError> {
    sqlx::query(
        "UPDATE whop_promo_code SET status = 'archived', raw = json_set(raw, '$.status', 'archived') WHERE id = ?",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a membership deleted on Whop after an action got a 404 (a tombstone: the row and its deal
/// stay). A rescan marks the ones that left Whop's lists ([`mark_unlisted`]).
pub async fn tombstone(conn: &mut SqliteConnection, record_kind: &str, id: &str) -> Result<(), WhopError> {
    if record_kind == "whop_membership" {
        sqlx::query("UPDATE whop_membership SET remote_deleted_at = ? WHERE id = ? AND remote_deleted_at IS NULL")
            .bind(time::format(time::now()))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Maps a membership onto its deal again from the mirror (after its deal left the trash).
pub async fn remap_membership(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    membership_id: &str,
) -> Result<(), WhopError> {
    let raw: Option<String> = sqlx::query_scalar("SELECT raw FROM whop_membership WHERE id = ?")
        .bind(membership_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(item) = raw.and_then(|r| serde_json::from_str::<Value>(&r).ok()) else {
        return Ok(());
    };
    let users: Vec<WhopUser> = WhopUser::from_item(&item).into_iter().collect();
    let (people, _) = ensure_people(conn, ctx, &users).await?;
    let account = text(&item, "company.id");
    map_memberships(conn, ctx, &[&item], &people, account.as_deref()).await?;
    Ok(())
}

/// Marks runs left `running` by a process that died as interrupted.
pub async fn close_stale_runs(store: &Store) -> Result<(), WhopError> {
    sqlx::query(
        "UPDATE sync_run SET status = 'interrupted', finished_at = coalesce(finished_at, ?) WHERE status = 'running'",
    )
    .bind(time::format(time::now()))
    .execute(store.pool())
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_statuses_map_to_stages() {
        assert_eq!(stage_for(Some("active")), ("Active", DealStatus::Won));
        assert_eq!(stage_for(Some("canceled")), ("Ended", DealStatus::Lost));
        assert_eq!(stage_for(Some("something_new")), ("Trialing", DealStatus::Open));
        assert_eq!(stage_for(None), ("Trialing", DealStatus::Open));
    }

    fn product(id: &str) -> Value {
        serde_json::json!({"id": id, "title": id, "created_at": "2026-01-01T00:00:00Z",
                           "updated_at": "2026-01-01T00:00:00Z"})
    }

    async fn marked(store: &Store) -> Vec<String> {
        sqlx::query_scalar("SELECT id FROM whop_product WHERE remote_deleted_at IS NOT NULL ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    /// One page of biz_1's products list (of a rescan, as every products pass is); `more`: not
    /// the last page.
    async fn page(store: &Store, ids: &[&str], more: bool) {
        let target = Target::of_business(Resource::Products, "biz_1");
        let items: Vec<Value> = ids.iter().map(|id| product(id)).collect();
        ingest_page(store, &target, &items, more).await.unwrap();
    }

    #[tokio::test]
    async fn a_complete_rescan_marks_what_it_did_not_list_and_a_listing_unmarks_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let other = Target::of_business(Resource::Products, "biz_2");
        ingest_page(&store, &other, &[product("x")], false).await.unwrap();
        page(&store, &["a", "b", "c"], false).await;
        assert!(marked(&store).await.is_empty());

        // Over two pages: "a" was listed by the first, so only "b" is missing. The other business's
        // row is not this list's to judge.
        page(&store, &["a"], true).await;
        assert!(marked(&store).await.is_empty(), "nothing is marked while the rescan is under way");
        page(&store, &["c"], false).await;
        assert_eq!(marked(&store).await, ["b"]);
        let seen: i64 =
            sqlx::query_scalar("SELECT count(*) FROM whop_rescan_seen").fetch_one(store.pool()).await.unwrap();
        assert_eq!(seen, 0, "a completed rescan forgets what it listed");

        // Listed again, unchanged: unmarked, and the row kept its data all along.
        page(&store, &["a", "b", "c"], false).await;
        assert!(marked(&store).await.is_empty());
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM whop_product").fetch_one(store.pool()).await.unwrap();
        assert_eq!(rows, 4);

        // A rescan resumed from a cursor that did not record its start (an older version's) cannot
        // know what its earlier pages held: it marks nothing, and the next complete one does.
        page(&store, &["a"], true).await;
        sqlx::query("UPDATE whop_sync_cursor SET pass_started_at = NULL").execute(store.pool()).await.unwrap();
        page(&store, &["c"], false).await;
        assert!(marked(&store).await.is_empty());
        page(&store, &["a", "c"], false).await;
        assert_eq!(marked(&store).await, ["b"]);

        // A row written after the rescan asked for its first page (a confirmed write's answer) may
        // be newer than the list: it is not marked.
        page(&store, &["a", "b", "c"], false).await;
        page(&store, &["a"], true).await;
        sqlx::query("UPDATE whop_product SET synced_at = '9999-01-01T00:00:00.000000Z' WHERE id = 'c'")
            .execute(store.pool())
            .await
            .unwrap();
        page(&store, &["b"], false).await;
        assert!(marked(&store).await.is_empty());
    }

    #[test]
    fn passes_resume_then_go_incremental_then_rescan() {
        let now = time::parse("2026-11-26T12:00:00Z").unwrap();
        let fresh = plan_pass(&CursorRow::default(), Duration::from_secs(3600), now, true);
        assert_eq!(fresh.pass, Pass::Rescan);
        let resuming = CursorRow {
            after: Some("c9".into()),
            pass: Some("incremental".into()),
            pass_created_after: Some("2026-11-26T11:00:00.000Z".into()),
            ..CursorRow::default()
        };
        let plan = plan_pass(&resuming, Duration::from_secs(3600), now, true);
        assert_eq!((plan.pass, plan.after.as_deref()), (Pass::Incremental, Some("c9")));
        assert_eq!(plan.created_after.as_deref(), Some("2026-11-26T11:00:00.000Z"));
        let synced = CursorRow {
            high_water: Some("2026-11-26T11:30:00.000000Z".into()),
            last_full_scan_at: Some("2026-11-26T11:40:00.000000Z".into()),
            ..CursorRow::default()
        };
        let plan = plan_pass(&synced, Duration::from_secs(3600), now, true);
        assert_eq!(plan.pass, Pass::Incremental);
        assert_eq!(plan.created_after.as_deref(), Some("2026-11-26T11:29:58.000Z"));
        let stale = plan_pass(&synced, Duration::from_secs(60), now, true);
        assert_eq!(stale.pass, Pass::Rescan);
        // A list without created_after (products) cannot go incremental: every pass rescans.
        let products = plan_pass(&synced, Duration::from_secs(3600), now, false);
        assert_eq!(products.pass, Pass::Rescan);
    }
}
