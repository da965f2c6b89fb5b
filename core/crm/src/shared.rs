//! What this desktop shares with its team workspace (docs/team.md, "Merge rules"): its own
//! changes, read from the change log in the shape every desktop agrees on; and the changes the
//! other desktops made, merged into the same tables, triggers (search) and change log (timeline,
//! "who changed what") as a local edit. Per slot of a record (a field, its trash mark, a tag, a
//! link, `dealdesk_model::team`), the change with the greater (HLC, node) wins, whatever the order
//! of arrival. The stamps that decide are the change log's own rows: this desktop's (node NULL,
//! read as its install id) and those merged before.

pub mod config;

use super::{Crm, CrmError};
use config::ConfigKind;
use dealdesk_model::team::{DELETED_SLOT, member_slot};
use dealdesk_model::{RecordKind, RecordRef, UpdateSource};
use dealdesk_store::time;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::{Acquire, AssertSqlSafe, SqliteConnection};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// The columns each record kind shares, by the names its changes use (the `Fields` of each kind).
/// `custom` is shared key by key, as `custom.KEY`.
pub fn shared_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Person => &[
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "city",
            "linkedin_url",
            "avatar_url",
            "company_id",
        ],
        RecordKind::Company => {
            &["name", "domain", "employees", "arr_micros", "arr_currency", "address", "linkedin_url", "icp"]
        }
        RecordKind::Deal => &[
            "name",
            "amount_micros",
            "currency",
            "close_date",
            "pipeline_id",
            "stage_id",
            "status",
            "lost_reason",
            "contact_id",
            "company_id",
            "stage_entered_at",
            "closed_at",
            "position",
        ],
        RecordKind::Note => &["body"],
        RecordKind::Task => &["title", "body", "due_at", "reminder_at", "status"],
    }
}

fn has_custom(kind: RecordKind) -> bool {
    matches!(kind, RecordKind::Person | RecordKind::Company | RecordKind::Deal)
}

/// One change as every desktop and the hub see it. A `create` carries the record's fields
/// (custom values as `custom.KEY`); an `update` one field's new value; `tag` and `untag` the tag's
/// name; `link` the link's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedChange {
    pub hlc: String,
    pub record_kind: String,
    pub record_id: String,
    pub op: String,
    pub field: Option<String>,
    pub value: Option<Value>,
}

/// One of this desktop's own changes, with its change-log number (its place in the push order).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnChange {
    pub seq: i64,
    pub change: SharedChange,
}

/// A change another desktop made: its number in the hub's order, the desktop (node) and member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamChange {
    pub hub_seq: i64,
    pub node: String,
    pub author: String,
    pub change: SharedChange,
}

/// What merging a batch of team changes did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MergeReport {
    /// Changes that were the latest word on at least one slot, now written here.
    pub applied: u64,
    /// Changes every slot of which had a later change already (or seen before).
    pub superseded: u64,
    /// Changes kept aside until what they need arrives (`team_held`), tried again each merge.
    pub held: u64,
    /// Changes this version cannot read (a newer Dealdesk's): kept on the hub, ignored here.
    pub unknown: u64,
}

type Stamp = (String, String);

fn parse_json(text: Option<String>) -> Result<Option<Value>, CrmError> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| CrmError::Corrupt(format!("change log value: {e}")))).transpose()
}

/// A change-log row as a shared change: `custom` in a create's snapshot spread into `custom.KEY`
/// fields, an untag carrying the name it removed.
fn to_shared(
    hlc: String,
    record_kind: String,
    record_id: String,
    op: String,
    field: Option<String>,
    old: Option<Value>,
    new: Option<Value>,
) -> SharedChange {
    let value = match (op.as_str(), new) {
        ("create", Some(Value::Object(mut snapshot))) => {
            if let Some(Value::Object(custom)) = snapshot.remove("custom") {
                for (key, value) in custom {
                    snapshot.insert(format!("custom.{key}"), value);
                }
            }
            Some(Value::Object(snapshot))
        }
        ("untag", _) => old,
        (_, new) => new,
    };
    SharedChange { hlc, record_kind, record_id, op, field, value }
}

/// The slots a change sets (see the module's comment); empty for a change this version cannot read.
fn slots_of(change: &SharedChange) -> Vec<String> {
    match (change.op.as_str(), change.field.as_deref(), change.value.as_ref()) {
        ("create", _, Some(Value::Object(snapshot))) => {
            std::iter::once(DELETED_SLOT.to_string()).chain(snapshot.keys().cloned()).collect()
        }
        ("update", Some(field), _) => vec![field.to_string()],
        ("delete" | "restore", _, _) => vec![DELETED_SLOT.to_string()],
        (op, field, value) => member_slot(op, field, value).into_iter().collect(),
    }
}

/// The latest stamp of each slot of a record, from its change-log rows.
async fn stamps_of(
    conn: &mut SqliteConnection,
    me: &str,
    kind: &str,
    id: &str,
) -> Result<HashMap<String, Stamp>, CrmError> {
    type Row = (String, String, String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT hlc, coalesce(node, ?1), op, field, old_value, new_value FROM change_log \
         WHERE record_kind = ?2 AND record_id = ?3",
    )
    .bind(me)
    .bind(kind)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut stamps: HashMap<String, Stamp> = HashMap::new();
    for (hlc, node, op, field, old, new) in rows {
        let change = to_shared(hlc, kind.to_string(), id.to_string(), op, field, parse_json(old)?, parse_json(new)?);
        for slot in slots_of(&change) {
            let stamp = (change.hlc.clone(), node.clone());
            if stamps.get(&slot).is_none_or(|kept| *kept < stamp) {
                stamps.insert(slot, stamp);
            }
        }
    }
    Ok(stamps)
}

/// Why a change waits: it needs something that has not arrived, or would break a rule of this
/// database (a live email or domain taken here).
enum Outcome {
    Done,
    Held(String),
}

fn held_by(error: sqlx::Error) -> Result<Outcome, CrmError> {
    match error.as_database_error().map(|e| e.kind()) {
        Some(sqlx::error::ErrorKind::Other) | None => Err(CrmError::Database(error)),
        Some(_) => Ok(Outcome::Held(error.to_string())),
    }
}

fn bind_value<'q>(
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    value: &Value,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    match value {
        Value::Null => query.bind(None::<String>),
        Value::Bool(b) => query.bind(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => query.bind(i),
            None => query.bind(n.as_f64()),
        },
        Value::String(s) => query.bind(s.clone()),
        other => query.bind(other.to_string()),
    }
}

/// Writes one field (a column, or one custom key) and returns the value it had.
async fn set_field(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: &str,
    field: &str,
    value: &Value,
    at: &str,
) -> Result<Result<Value, sqlx::Error>, CrmError> {
    let table = kind.as_str();
    if let Some(key) = field.strip_prefix("custom.").filter(|_| has_custom(kind)) {
        let sql = format!("SELECT custom FROM {table} WHERE id = ?");
        let text: String = sqlx::query_scalar(AssertSqlSafe(sql)).bind(id).fetch_one(&mut *conn).await?;
        let mut custom: Map<String, Value> =
            serde_json::from_str(&text).map_err(|e| CrmError::Corrupt(format!("custom values: {e}")))?;
        let old = if value.is_null() { custom.remove(key) } else { custom.insert(key.to_string(), value.clone()) };
        let sql = format!("UPDATE {table} SET custom = ?, updated_at = ? WHERE id = ?");
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(Value::Object(custom).to_string())
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await;
        return Ok(done.map(|_| old.unwrap_or(Value::Null)));
    }
    let Some(column) = shared_columns(kind).iter().find(|c| **c == field) else {
        // A field a newer Dealdesk shares: its stamp is kept (the change is logged), its value
        // has nowhere to go in this version.
        tracing::debug!(field, "team: a field this version does not share");
        return Ok(Ok(Value::Null));
    };
    let sql = format!("SELECT json_quote({column}) FROM {table} WHERE id = ?");
    let old: String = sqlx::query_scalar(AssertSqlSafe(sql)).bind(id).fetch_one(&mut *conn).await?;
    let old = serde_json::from_str(&old).map_err(|e| CrmError::Corrupt(format!("{column}: {e}")))?;
    let sql = format!("UPDATE {table} SET {column} = ?, updated_at = ? WHERE id = ?");
    let done = bind_value(sqlx::query(AssertSqlSafe(sql)), value).bind(at).bind(id).execute(&mut *conn).await;
    Ok(done.map(|_| old))
}

async fn exists(conn: &mut SqliteConnection, kind: RecordKind, id: &str) -> Result<bool, CrmError> {
    let sql = format!("SELECT 1 FROM {} WHERE id = ?", kind.as_str());
    Ok(sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?.is_some())
}

/// Whether the record was deleted for good on this desktop (the Trash screen's tombstone).
async fn purged(conn: &mut SqliteConnection, kind: RecordKind, id: &str) -> Result<bool, CrmError> {
    Ok(sqlx::query("SELECT 1 FROM purged_record WHERE record_kind = ? AND record_id = ?")
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

/// Most changes one multi-row statement takes (the record columns are at most 15 parameters a row,
/// SQLite allows 32,766 per statement).
const FRESH_RUN: usize = 500;

/// How many changes at the start of `queue` are creates (each readable, of a distinct record) of
/// records this desktop has never seen: neither a row nor a change-log entry.
async fn fresh_creates(conn: &mut SqliteConnection, queue: &[TeamChange]) -> Result<usize, CrmError> {
    let mut ids: Vec<(RecordKind, &str)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut in_run: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for team in queue.iter().take(FRESH_RUN) {
        let change = &team.change;
        let readable = change.op == "create"
            && matches!(change.value, Some(Value::Object(_)))
            && Uuid::parse_str(&change.record_id).is_ok();
        let Some(kind) = RecordKind::parse(&change.record_kind).filter(|_| readable) else { break };
        // A record that names one made earlier in the run (a person's company) starts the next
        // run, so the statements' order never matters to the foreign keys.
        let names_the_run = match &change.value {
            Some(Value::Object(snapshot)) => snapshot
                .iter()
                .any(|(field, value)| field.ends_with("_id") && value.as_str().is_some_and(|id| in_run.contains(id))),
            _ => false,
        };
        if names_the_run || !seen.insert((kind, change.record_id.as_str())) {
            break;
        }
        in_run.insert(change.record_id.as_str());
        ids.push((kind, change.record_id.as_str()));
    }
    if ids.len() < 2 {
        return Ok(0);
    }
    let mut known: BTreeSet<(RecordKind, String)> = BTreeSet::new();
    for kind in RecordKind::ALL {
        let of_kind: Vec<&str> = ids.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
        if of_kind.is_empty() {
            continue;
        }
        let list = serde_json::to_string(&of_kind).map_err(|e| CrmError::Corrupt(e.to_string()))?;
        let sql = format!(
            "SELECT value FROM json_each(?1) WHERE value IN (SELECT id FROM {table}) \
             OR value IN (SELECT record_id FROM change_log WHERE record_kind = ?2 AND record_id IN \
             (SELECT value FROM json_each(?1))) \
             OR value IN (SELECT record_id FROM purged_record WHERE record_kind = ?2)",
            table = kind.as_str()
        );
        let found: Vec<String> =
            sqlx::query_scalar(AssertSqlSafe(sql)).bind(list).bind(kind.as_str()).fetch_all(&mut *conn).await?;
        known.extend(found.into_iter().map(|id| (kind, id)));
    }
    Ok(ids.iter().take_while(|(kind, id)| !known.contains(&(*kind, id.to_string()))).count())
}

/// Inserts a run of new records and their change-log rows, rows of the same columns together.
/// `Err` (a constraint): the caller rolls back and takes them one by one.
async fn insert_fresh(conn: &mut SqliteConnection, run: &[TeamChange]) -> Result<Result<(), sqlx::Error>, CrmError> {
    // Rows with the same kind and the same fields share a statement.
    let mut groups: BTreeMap<(RecordKind, Vec<&str>), Vec<&TeamChange>> = BTreeMap::new();
    for team in run {
        let (Some(kind), Some(Value::Object(snapshot))) =
            (RecordKind::parse(&team.change.record_kind), team.change.value.as_ref())
        else {
            continue;
        };
        let columns: Vec<&str> =
            shared_columns(kind).iter().copied().filter(|column| snapshot.contains_key(*column)).collect();
        groups.entry((kind, columns)).or_default().push(team);
    }
    for ((kind, columns), rows) in &groups {
        let mut names: Vec<&str> = vec!["id", "origin", "created_at", "updated_at"];
        names.extend(columns.iter().copied());
        if has_custom(*kind) {
            names.push("custom");
        }
        let mut qb =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!("INSERT INTO {} ({}) ", kind.as_str(), names.join(", ")));
        qb.push_values(rows, |mut row, team| {
            let at = stamp_at(&team.change.hlc);
            row.push_bind(team.change.record_id.clone()).push_bind("local").push_bind(at.clone()).push_bind(at);
            let snapshot = match &team.change.value {
                Some(Value::Object(snapshot)) => snapshot.clone(),
                _ => Map::new(),
            };
            for column in columns {
                match snapshot.get(*column).unwrap_or(&Value::Null) {
                    Value::Null => row.push_bind(None::<String>),
                    Value::Bool(b) => row.push_bind(i64::from(*b)),
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => row.push_bind(i),
                        None => row.push_bind(n.as_f64()),
                    },
                    Value::String(text) => row.push_bind(text.clone()),
                    other => row.push_bind(other.to_string()),
                };
            }
            if has_custom(*kind) {
                let custom: Map<String, Value> = snapshot
                    .iter()
                    .filter_map(|(field, value)| {
                        field.strip_prefix("custom.").map(|key| (key.to_string(), value.clone()))
                    })
                    .filter(|(_, value)| !value.is_null())
                    .collect();
                row.push_bind(Value::Object(custom).to_string());
            }
        });
        if let Err(error) = qb.build().execute(&mut *conn).await {
            return Ok(Err(error));
        }
    }
    let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO change_log (hlc, at, record_kind, record_id, op, field, old_value, new_value, source, node, author) ",
    );
    qb.push_values(run, |mut row, team| {
        let change = &team.change;
        row.push_bind(change.hlc.clone())
            .push_bind(stamp_at(&change.hlc))
            .push_bind(change.record_kind.clone())
            .push_bind(change.record_id.clone())
            .push_bind("create")
            .push_bind(None::<String>)
            .push_bind(None::<String>)
            .push_bind(change.value.as_ref().map(Value::to_string))
            .push_bind("team")
            .push_bind(team.node.clone())
            .push_bind(team.author.clone());
    });
    Ok(qb.build().execute(&mut *conn).await.map(|_| ()))
}

/// The time a stamp carries, as the change log and the record tables write times.
fn stamp_at(hlc: &str) -> String {
    dealdesk_store::stamp_time(hlc).map_or_else(|| time::format(time::now()), time::format)
}

/// Writes the winning slots of one change and logs it with its own stamp and author.
async fn apply_one(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    team: &TeamChange,
    winning: &[String],
    at: &str,
) -> Result<Outcome, CrmError> {
    let change = &team.change;
    let id = change.record_id.as_str();
    // Deleted for good here: whatever another desktop says about it is dropped, not held.
    if purged(conn, kind, id).await? {
        return Ok(Outcome::Done);
    }
    let present = exists(conn, kind, id).await?;
    if !present && change.op != "create" {
        return Ok(Outcome::Held(format!("{} {id} has not arrived yet", kind.as_str())));
    }
    let mut old = None;
    match (change.op.as_str(), change.value.as_ref()) {
        // New here: the same insert as a run of new records, which logs the change too.
        ("create", Some(Value::Object(_))) if !present => {
            return match insert_fresh(conn, std::slice::from_ref(team)).await? {
                Ok(()) => Ok(Outcome::Done),
                Err(error) => held_by(error),
            };
        }
        ("create", Some(Value::Object(snapshot))) => {
            for slot in winning {
                let done = if slot == DELETED_SLOT {
                    set_deleted(conn, kind, id, None, at).await?
                } else {
                    set_field(conn, kind, id, slot, snapshot.get(slot).unwrap_or(&Value::Null), at).await?.map(|_| ())
                };
                if let Err(error) = done {
                    return held_by(error);
                }
            }
        }
        ("update", value) => {
            let field = change.field.as_deref().unwrap_or_default();
            match set_field(conn, kind, id, field, value.unwrap_or(&Value::Null), at).await? {
                Ok(before) => old = Some(before),
                Err(error) => return held_by(error),
            }
        }
        ("delete" | "restore", _) => {
            let deleted_at = (change.op == "delete").then_some(at);
            if let Err(error) = set_deleted(conn, kind, id, deleted_at, at).await? {
                return held_by(error);
            }
        }
        ("tag" | "untag", Some(Value::String(name))) => {
            if let Err(error) = set_tag(conn, kind, id, name, change.op == "tag", at).await {
                return held_by(error);
            }
        }
        ("link", Some(payload)) => {
            if let Err(error) = add_link(conn, kind, id, change.field.as_deref(), payload).await {
                return held_by(error);
            }
        }
        _ => return Ok(Outcome::Held(format!("a {} change this version cannot read", change.op))),
    }
    log_pulled(conn, team, old, at).await?;
    Ok(Outcome::Done)
}

/// Logs a pulled change with its own stamp, desktop and author (`old`: what an update replaced).
async fn log_pulled(
    conn: &mut SqliteConnection,
    team: &TeamChange,
    old: Option<Value>,
    at: &str,
) -> Result<(), CrmError> {
    let change = &team.change;
    let (old, new) = match change.op.as_str() {
        "untag" => (change.value.clone(), None),
        _ => (old, change.value.clone()),
    };
    sqlx::query(
        "INSERT INTO change_log (hlc, at, record_kind, record_id, op, field, old_value, new_value, source, node, author) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'team', ?, ?)",
    )
    .bind(&change.hlc)
    .bind(at)
    .bind(&change.record_kind)
    .bind(&change.record_id)
    .bind(&change.op)
    .bind(&change.field)
    .bind(old.map(|v| v.to_string()))
    .bind(new.map(|v| v.to_string()))
    .bind(&team.node)
    .bind(&team.author)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a pulled change is about: a record, or a piece of the CRM's shape.
#[derive(Clone, Copy)]
enum Target {
    Record(RecordKind, Uuid),
    Config(ConfigKind),
}

impl Target {
    fn of(change: &SharedChange) -> Option<Target> {
        if let Some(kind) = ConfigKind::parse(&change.record_kind) {
            return Some(Target::Config(kind));
        }
        Some(Target::Record(RecordKind::parse(&change.record_kind)?, Uuid::parse_str(&change.record_id).ok()?))
    }
}

async fn set_deleted(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: &str,
    deleted_at: Option<&str>,
    at: &str,
) -> Result<Result<(), sqlx::Error>, CrmError> {
    let sql = format!("UPDATE {} SET deleted_at = ?, updated_at = ? WHERE id = ?", kind.as_str());
    Ok(sqlx::query(AssertSqlSafe(sql)).bind(deleted_at).bind(at).bind(id).execute(&mut *conn).await.map(|_| ()))
}

async fn set_tag(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: &str,
    name: &str,
    present: bool,
    at: &str,
) -> Result<(), sqlx::Error> {
    if present {
        sqlx::query("INSERT INTO tag (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(Uuid::now_v7().to_string())
            .bind(name)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT OR IGNORE INTO record_tag (record_kind, record_id, tag_id, created_at) \
             SELECT ?, ?, id, ? FROM tag WHERE name = ?",
        )
        .bind(kind.as_str())
        .bind(id)
        .bind(at)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query(
            "DELETE FROM record_tag WHERE record_kind = ? AND record_id = ? \
             AND tag_id IN (SELECT id FROM tag WHERE name = ?)",
        )
        .bind(kind.as_str())
        .bind(id)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn add_link(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: &str,
    field: Option<&str>,
    payload: &Value,
) -> Result<(), sqlx::Error> {
    let links = match field {
        Some("note") => &super::notes::NOTE_LINKS,
        Some("task") => &super::notes::TASK_LINKS,
        _ => return Ok(()),
    };
    let owner = payload.get(format!("{}_id", links.field)).and_then(Value::as_str).unwrap_or_default();
    let sql = format!(
        "INSERT OR IGNORE INTO {} ({}, record_kind, record_id) VALUES (?, ?, ?)",
        links.table, links.owner_column
    );
    sqlx::query(AssertSqlSafe(sql)).bind(owner).bind(kind.as_str()).bind(id).execute(&mut *conn).await?;
    Ok(())
}

impl Crm {
    /// This desktop's own changes after change-log number `after`, oldest first, at most `limit`.
    pub async fn own_changes(&self, after: i64, limit: i64) -> Result<Vec<OwnChange>, CrmError> {
        type Row = (i64, String, String, String, String, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, hlc, record_kind, record_id, op, field, old_value, new_value FROM change_log \
             WHERE node IS NULL AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.store.pool())
        .await?;
        rows.into_iter()
            .map(|(seq, hlc, kind, id, op, field, old, new)| {
                Ok(OwnChange { seq, change: to_shared(hlc, kind, id, op, field, parse_json(old)?, parse_json(new)?) })
            })
            .collect()
    }

    /// How many of this desktop's own changes come after change-log number `after`.
    pub async fn own_changes_waiting(&self, after: i64) -> Result<i64, CrmError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM change_log WHERE node IS NULL AND seq > ?")
            .bind(after)
            .fetch_one(self.store.pool())
            .await?)
    }

    /// Logs a create for every pipeline, stage and custom field the change log has never named,
    /// so a workspace gets the ones made before this desktop shared them; with `builtin` (the
    /// owner), also the built-in Sales pipeline and which pipeline is the default. How many.
    pub async fn share_config(&self, builtin: bool) -> Result<u64, CrmError> {
        // Nearly always nothing: found without the write lock (the user's edits wait for it).
        let mut conn = self.store.pool().acquire().await?;
        if config::unshared(&mut conn, builtin).await?.is_empty() {
            return Ok(0);
        }
        drop(conn);
        let mut tx = self.store.begin_write().await?;
        let logged = config::log_unshared(&mut tx, self.store.clock(), builtin).await?;
        tx.commit().await?;
        Ok(logged)
    }

    /// Makes `node` the desktop that runs the workspace's Whop automations (shared like any
    /// choice made once: the latest wins everywhere).
    pub async fn set_whop_desktop(&self, node: &str) -> Result<(), CrmError> {
        let mut tx = self.store.begin_write().await?;
        let before = config::snapshot(&mut tx, ConfigKind::Setting, config::WHOP_DESKTOP).await?;
        config::set_whop_desktop(&mut tx, node, &time::format(time::now())).await?;
        let source = UpdateSource::Ui;
        config::log_saved(&mut tx, self.store.clock(), source, ConfigKind::Setting, config::WHOP_DESKTOP, before)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The desktop that runs the workspace's Whop automations, and the member who chose it
    /// (`None` for this desktop's own choice).
    pub async fn whop_desktop(&self) -> Result<Option<(String, Option<String>)>, CrmError> {
        let node: Option<String> = sqlx::query_scalar("SELECT json_extract(value, '$') FROM setting WHERE key = ?")
            .bind(dealdesk_model::team::WHOP_DESKTOP_SETTING)
            .fetch_optional(self.store.pool())
            .await?;
        // "": released (its desktop left or was removed), nobody runs them.
        let Some(node) = node.filter(|node| !node.is_empty()) else { return Ok(None) };
        let author: Option<String> = sqlx::query_scalar(
            "SELECT author FROM change_log WHERE record_kind = 'setting' AND record_id = ? AND node = ? \
             ORDER BY seq DESC LIMIT 1",
        )
        .bind(config::WHOP_DESKTOP)
        .bind(&node)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(Some((node, author)))
    }

    /// The pulled changes that wait (`team_held`), in the hub's order.
    pub async fn team_held_changes(&self) -> Result<Vec<dealdesk_model::team::TeamHeldChange>, CrmError> {
        let rows: Vec<(i64, String, String, String, String)> =
            sqlx::query_as("SELECT hub_seq, author, change, reason, held_at FROM team_held ORDER BY hub_seq")
                .fetch_all(self.store.pool())
                .await?;
        rows.into_iter()
            .map(|(hub_seq, author, change, reason, held_at)| {
                let change: SharedChange =
                    serde_json::from_str(&change).map_err(|e| CrmError::Corrupt(format!("held change: {e}")))?;
                let short: String = change.record_id.chars().take(13).collect();
                let what = match (change.op.as_str(), change.field.as_deref()) {
                    ("update", Some(field)) => format!("{} {short}… · {field}", change.record_kind),
                    (op, _) => format!("{} {short}… · {op}", change.record_kind),
                };
                let held_at = time::parse(&held_at).map_err(|e| CrmError::Corrupt(format!("held at: {e}")))?;
                Ok(dealdesk_model::team::TeamHeldChange { hub_seq, author, what, reason, held_at })
            })
            .collect()
    }

    /// Drops a held change: this desktop keeps its own version of what it changed. Whether there
    /// was one by that number.
    pub async fn discard_team_held(&self, hub_seq: i64) -> Result<bool, CrmError> {
        let done =
            sqlx::query("DELETE FROM team_held WHERE hub_seq = ?").bind(hub_seq).execute(self.store.pool()).await?;
        if done.rows_affected() > 0 {
            tracing::info!(hub_seq, "team: a held change was discarded by the user");
        }
        Ok(done.rows_affected() > 0)
    }

    /// How many pulled changes wait for what they need (`team_held`).
    pub async fn team_changes_held(&self) -> Result<i64, CrmError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM team_held").fetch_one(self.store.pool()).await?)
    }

    /// Merges changes other desktops made (in the hub's order), after those held before, in one
    /// transaction: each is written where it is the latest word on a slot, logged with its own
    /// stamp and author, and moves this desktop's clock past it, so a later edit here wins over it.
    /// `me`: this desktop's node (install id), which its own change-log rows stand for.
    pub async fn merge_team_changes(&self, me: &str, changes: &[TeamChange]) -> Result<MergeReport, CrmError> {
        let mut tx = self.store.begin_write().await?;
        let held: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT hub_seq, node, author, change FROM team_held ORDER BY hub_seq")
                .fetch_all(&mut *tx)
                .await?;
        let mut queue = Vec::with_capacity(held.len() + changes.len());
        for (hub_seq, node, author, change) in held {
            let change = serde_json::from_str(&change).map_err(|e| CrmError::Corrupt(format!("held change: {e}")))?;
            queue.push(TeamChange { hub_seq, node, author, change });
        }
        sqlx::query("DELETE FROM team_held").execute(&mut *tx).await?;
        queue.extend(changes.iter().cloned());

        let mut report = MergeReport::default();
        let mut stamps: HashMap<(String, String), HashMap<String, Stamp>> = HashMap::new();
        let mut touched: BTreeSet<(RecordKind, Uuid)> = BTreeSet::new();
        let mut config_touched = false;
        let mut waiting: Vec<(TeamChange, String)> = Vec::new();
        loop {
            let applied_before = report.applied;
            let mut next = 0;
            while next < queue.len() {
                // A run of creates of records never seen here (every record, when a member joins)
                // goes in as a few multi-row statements.
                let run = fresh_creates(&mut tx, &queue[next..]).await?;
                if run > 0 {
                    let created = &queue[next..next + run];
                    let mut savepoint = (&mut *tx).begin().await?;
                    match insert_fresh(&mut savepoint, created).await? {
                        Ok(()) => {
                            savepoint.commit().await?;
                            for team in created {
                                self.store.clock().observe(&team.change.hlc);
                                stamps.remove(&(team.change.record_kind.clone(), team.change.record_id.clone()));
                                if let (Some(kind), Ok(id)) = (
                                    RecordKind::parse(&team.change.record_kind),
                                    Uuid::parse_str(&team.change.record_id),
                                ) {
                                    touched.insert((kind, id));
                                }
                            }
                            report.applied += run as u64;
                            next += run;
                            continue;
                        }
                        // A constraint (a taken email, say): one by one below, which holds the culprit.
                        Err(error) => {
                            savepoint.rollback().await?;
                            tracing::debug!(%error, run, "team: a run of creates goes in one by one");
                        }
                    }
                }
                let team = &queue[next];
                next += 1;
                let change = &team.change;
                let Some(target) = Target::of(change) else {
                    report.unknown += 1;
                    continue;
                };
                let slots = slots_of(change);
                if slots.is_empty() {
                    report.unknown += 1;
                    continue;
                }
                self.store.clock().observe(&change.hlc);
                let key = (change.record_kind.clone(), change.record_id.clone());
                if !stamps.contains_key(&key) {
                    let loaded = stamps_of(&mut tx, me, &key.0, &key.1).await?;
                    stamps.insert(key.clone(), loaded);
                }
                let known = stamps.entry(key).or_default();
                let stamp = (change.hlc.clone(), team.node.clone());
                let winning: Vec<String> =
                    slots.into_iter().filter(|slot| known.get(slot).is_none_or(|kept| *kept < stamp)).collect();
                if winning.is_empty() {
                    report.superseded += 1;
                    continue;
                }
                let at = stamp_at(&change.hlc);
                let mut savepoint = (&mut *tx).begin().await?;
                let outcome = match target {
                    Target::Record(kind, _) => apply_one(&mut savepoint, kind, team, &winning, &at).await?,
                    Target::Config(kind) => match config::apply(&mut savepoint, kind, team, &winning, &at).await? {
                        (Outcome::Done, old) => {
                            log_pulled(&mut savepoint, team, old, &at).await?;
                            Outcome::Done
                        }
                        (held, _) => held,
                    },
                };
                match outcome {
                    Outcome::Done => {
                        savepoint.commit().await?;
                        for slot in winning {
                            known.insert(slot, stamp.clone());
                        }
                        report.applied += 1;
                        match target {
                            Target::Record(kind, id) => {
                                touched.insert((kind, id));
                            }
                            Target::Config(_) => config_touched = true,
                        }
                    }
                    Outcome::Held(reason) => {
                        savepoint.rollback().await?;
                        waiting.push((team.clone(), reason));
                    }
                }
            }
            // What this pass applied may be what a held change waited for (a deal pushed before
            // the pipeline it is in): those go round again while that makes progress.
            if waiting.is_empty() || report.applied == applied_before {
                break;
            }
            queue = waiting.drain(..).map(|(team, _)| team).collect();
        }
        for (team, reason) in waiting {
            tracing::info!(hub_seq = team.hub_seq, %reason, "team: a pulled change waits");
            let json = serde_json::to_string(&team.change).map_err(|e| CrmError::Corrupt(e.to_string()))?;
            sqlx::query(
                "INSERT OR REPLACE INTO team_held (hub_seq, node, author, change, reason, held_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(team.hub_seq)
            .bind(&team.node)
            .bind(&team.author)
            .bind(json)
            .bind(reason)
            .bind(time::format(time::now()))
            .execute(&mut *tx)
            .await?;
            report.held += 1;
        }
        tx.commit().await?;
        if config_touched {
            use dealdesk_model::ipc::CoreEvent;
            self.events.emit(CoreEvent::ConfigChanged);
            self.events.emit(CoreEvent::WorkflowsChanged);
            self.events.emit(CoreEvent::ContractsChanged { deal: None });
            self.emit_many_changed(RecordKind::Deal, UpdateSource::Team);
        }
        if touched.len() > 50 {
            let kinds: BTreeSet<RecordKind> = touched.iter().map(|(kind, _)| *kind).collect();
            for kind in kinds {
                self.emit_many_changed(kind, UpdateSource::Team);
            }
        } else {
            for (kind, id) in touched {
                self.events.emit(dealdesk_model::ipc::CoreEvent::RecordChanged {
                    record: RecordRef { kind, id },
                    source: UpdateSource::Team,
                });
            }
        }
        Ok(report)
    }

    /// Every record this desktop shares, as canonical JSON in the shape of the hub's reference
    /// merge (`dealdesk_team::merge::Merged::dump`): what two desktops of a workspace compare.
    pub async fn shared_dump(&self) -> Result<Value, CrmError> {
        let pool = self.store.pool();
        let mut members: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        let tags: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT record_kind, record_id, tag.name FROM record_tag JOIN tag ON tag.id = record_tag.tag_id",
        )
        .fetch_all(pool)
        .await?;
        for (kind, id, name) in tags {
            members.entry((kind, id)).or_default().insert(format!("tag:{name}"));
        }
        for links in [&super::notes::NOTE_LINKS, &super::notes::TASK_LINKS] {
            let sql = format!("SELECT record_kind, record_id, {} FROM {}", links.owner_column, links.table);
            let rows: Vec<(String, String, String)> = sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await?;
            for (kind, id, owner) in rows {
                members.entry((kind, id)).or_default().insert(format!("link:{}:{owner}", links.field));
            }
        }
        let mut records: BTreeMap<(String, String), Value> = BTreeMap::new();
        for kind in RecordKind::ALL {
            let columns = shared_columns(kind);
            let custom = if has_custom(kind) { "custom" } else { "'{}'" };
            let sql = format!(
                "SELECT id, deleted_at IS NULL, json_array({}), {custom} FROM {}",
                columns.join(", "),
                kind.as_str()
            );
            let rows: Vec<(String, bool, String, String)> = sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await?;
            for (id, live, values, custom) in rows {
                let values: Vec<Value> =
                    serde_json::from_str(&values).map_err(|e| CrmError::Corrupt(format!("dump: {e}")))?;
                let custom: Map<String, Value> =
                    serde_json::from_str(&custom).map_err(|e| CrmError::Corrupt(format!("custom values: {e}")))?;
                let mut fields: BTreeMap<String, Value> = columns
                    .iter()
                    .zip(values)
                    .filter(|(_, value)| !value.is_null())
                    .map(|(column, value)| (column.to_string(), value))
                    .collect();
                fields
                    .extend(custom.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (format!("custom.{k}"), v)));
                let key = (kind.as_str().to_string(), id);
                let member_list: Vec<String> = members.remove(&key).unwrap_or_default().into_iter().collect();
                let record = serde_json::json!({
                    "kind": key.0, "id": key.1, "live": live, "fields": fields, "members": member_list,
                });
                records.insert(key, record);
            }
        }
        let mut conn = pool.acquire().await?;
        records.extend(config::dump(&mut conn).await?);
        Ok(Value::Array(records.into_values().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_create_shares_its_custom_values_key_by_key_and_an_untag_its_name() {
        let create = to_shared(
            "h".into(),
            "person".into(),
            "p".into(),
            "create".into(),
            None,
            None,
            Some(json!({"first_name": "Ann", "custom": {"tier": "gold"}})),
        );
        assert_eq!(create.value, Some(json!({"first_name": "Ann", "custom.tier": "gold"})));
        let mut slots = slots_of(&create);
        slots.sort();
        assert_eq!(slots, ["custom.tier", "deleted", "first_name"]);
        let untag = to_shared(
            "h".into(),
            "person".into(),
            "p".into(),
            "untag".into(),
            Some("tags".into()),
            Some(json!("vip")),
            None,
        );
        assert_eq!(untag.value, Some(json!("vip")));
        assert_eq!(slots_of(&untag), ["tag:vip"]);
    }
}
