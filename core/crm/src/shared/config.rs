//! How a team workspace shares the CRM's shape and the team's tools (decision 0028): pipelines,
//! their stages, custom field definitions, saved views marked shared, workflows, prompt and
//! contract templates, and the choices made once for everyone (which pipeline is the default,
//! which template each AI action uses). Each is a record of the change log like a person, by the
//! same merge rules (per slot, the greater (HLC, node) wins): a local save logs what it changed
//! by comparing the object before and after ([`snapshot`], [`log_saved`]), and a pulled change is
//! written to the same tables ([`apply`]).
//!
//! - A custom field is known by `object.key` on every desktop (its values are shared by key), so
//!   two desktops that define `tier` on people get one field.
//! - A template keeps its versions: a pulled edit adds a version, as a local one does.
//! - A choice made once (`setting` records) is one slot, so the latest choice wins everywhere
//!   rather than each pipeline or template keeping a flag of its own.

use super::{Outcome, TeamChange, bind_value, held_by};
use crate::CrmError;
use dealdesk_model::UpdateSource;
use dealdesk_model::team::{DELETED_SLOT, WHOP_DESKTOP_SETTING};
use dealdesk_store::Clock;
use serde_json::{Map, Value};
use sqlx::{AssertSqlSafe, SqliteConnection};
use uuid::Uuid;

/// The `setting` record that names the default pipeline.
pub const DEFAULT_PIPELINE: &str = "default_pipeline";
/// The `setting` records that name the template an AI action uses: `active_prompt.ACTION`.
pub const ACTIVE_PROMPT: &str = "active_prompt.";
/// The `setting` record that names the desktop running the workspace's Whop automations
/// (kept here as `dealdesk_model::team::WHOP_DESKTOP_SETTING`).
pub const WHOP_DESKTOP: &str = "whop_desktop";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConfigKind {
    Pipeline,
    Stage,
    CustomField,
    /// A saved view marked shared (a personal one stays on its desktop).
    View,
    PromptTemplate,
    ContractTemplate,
    Workflow,
    /// A choice made once for the workspace (its id says which).
    Setting,
}

/// Where a kind lives and what of it is shared.
struct Shape {
    table: &'static str,
    /// The fields a change may set. A custom field's `object` and `key` are its identity and
    /// travel in its create only.
    columns: &'static [&'static str],
    /// SQL over a row: it counts as there for the team (not in the trash; a view, shared).
    live: &'static str,
    /// Every change adds a version (`version`); the newest one is the object.
    versioned: bool,
    /// Columns a new version copies from the one before.
    carried: &'static [&'static str],
    /// The row's time columns.
    times: &'static [&'static str],
    /// Columns a pulled object gets that are not shared fields, with their SQL values.
    inserted_with: &'static [(&'static str, &'static str)],
    /// SQL over a row: made by the install, the same on every desktop.
    builtin: &'static str,
}

/// Columns that hold JSON text, whatever JSON value they hold.
const JSON_COLUMNS: [&str; 4] = ["field_type", "state", "trigger", "steps"];

const BOTH_TIMES: &[&str] = &["created_at", "updated_at"];
/// Objects every install starts with have fixed ids beginning so (the Sales pipeline and its
/// stages, the example workflow, the shipped prompt templates).
const BY_PREFIX: &str = "id LIKE '01930000-0000-7000-8000-0000000000%'";

impl ConfigKind {
    pub const ALL: [ConfigKind; 8] = [
        ConfigKind::Pipeline,
        ConfigKind::Stage,
        ConfigKind::CustomField,
        ConfigKind::View,
        ConfigKind::PromptTemplate,
        ConfigKind::ContractTemplate,
        ConfigKind::Workflow,
        ConfigKind::Setting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConfigKind::Pipeline => "pipeline",
            ConfigKind::Stage => "stage",
            ConfigKind::CustomField => "custom_field",
            ConfigKind::View => "view",
            ConfigKind::PromptTemplate => "prompt_template",
            ConfigKind::ContractTemplate => "contract_template",
            ConfigKind::Workflow => "workflow",
            ConfigKind::Setting => "setting",
        }
    }

    pub fn parse(text: &str) -> Option<ConfigKind> {
        ConfigKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    fn shape(self) -> Shape {
        let plain = Shape {
            table: "",
            columns: &[],
            live: "deleted_at IS NULL",
            versioned: false,
            carried: &[],
            times: BOTH_TIMES,
            inserted_with: &[],
            builtin: "0",
        };
        match self {
            ConfigKind::Pipeline => {
                Shape { table: "pipeline", columns: &["name", "position"], builtin: BY_PREFIX, ..plain }
            }
            ConfigKind::Stage => Shape {
                table: "stage",
                columns: &["pipeline_id", "name", "position", "probability", "rotting_days"],
                builtin: BY_PREFIX,
                ..plain
            },
            ConfigKind::CustomField => {
                Shape { table: "custom_field", columns: &["label", "field_type", "position"], ..plain }
            }
            ConfigKind::View => Shape {
                table: "saved_view",
                columns: &["object", "name", "state"],
                live: "deleted_at IS NULL AND shared = 1",
                inserted_with: &[("shared", "1")],
                ..plain
            },
            ConfigKind::Workflow => Shape {
                table: "workflow",
                columns: &["name", "enabled", "trigger", "steps"],
                builtin: BY_PREFIX,
                ..plain
            },
            ConfigKind::PromptTemplate => Shape {
                table: "prompt_template",
                columns: &["action", "name", "system", "user"],
                live: "1",
                versioned: true,
                // A new version is the user's, as a local save makes it (`builtin` 0).
                carried: &[],
                times: &["created_at"],
                inserted_with: &[("version", "1"), ("builtin", "0")],
                builtin: "builtin = 1",
            },
            ConfigKind::ContractTemplate => Shape {
                table: "contract_template",
                columns: &["name", "body"],
                versioned: true,
                carried: &["builtin", "deleted_at"],
                times: &["created_at"],
                inserted_with: &[("version", "1"), ("builtin", "0")],
                builtin: "builtin = 1",
                ..plain
            },
            // Settings are read and written by `setting_*` below.
            ConfigKind::Setting => plain,
        }
    }
}

/// The shared id of a custom field: `object.key`.
pub fn custom_field_id(object: &str, key: &str) -> String {
    format!("{object}.{key}")
}

/// The row a shared id stands for, as a WHERE clause and its two binds.
fn row_of(kind: ConfigKind, id: &str) -> (&'static str, String, Option<String>) {
    match kind {
        ConfigKind::CustomField => {
            let (object, key) = id.split_once('.').unwrap_or((id, ""));
            ("object = ?1 AND key = ?2", object.to_string(), Some(key.to_string()))
        }
        _ => ("id = ?1", id.to_string(), None),
    }
}

/// An object as it is here: live or not (in the trash; a view made personal), and its shared
/// fields, nulls left out. `None`: it does not exist here.
pub async fn snapshot(
    conn: &mut SqliteConnection,
    kind: ConfigKind,
    id: &str,
) -> Result<Option<(bool, Map<String, Value>)>, CrmError> {
    let row: Option<(bool, String)> = if kind == ConfigKind::Setting {
        setting_snapshot(conn, id).await?
    } else {
        let shape = kind.shape();
        let (filter, first, second) = row_of(kind, id);
        let identity = if kind == ConfigKind::CustomField { "'object', object, 'key', key, " } else { "" };
        let fields: Vec<String> = shape
            .columns
            .iter()
            .map(|c| if JSON_COLUMNS.contains(c) { format!("'{c}', json({c})") } else { format!("'{c}', {c}") })
            .collect();
        let newest = if shape.versioned { "ORDER BY version DESC LIMIT 1" } else { "" };
        let sql = format!(
            "SELECT {}, json_object({identity}{}) FROM {} WHERE {filter} {newest}",
            shape.live,
            fields.join(", "),
            shape.table
        );
        sqlx::query_as(AssertSqlSafe(sql)).bind(first).bind(second).fetch_optional(&mut *conn).await?
    };
    row.map(|(live, json)| {
        let fields: Map<String, Value> =
            serde_json::from_str(&json).map_err(|e| CrmError::Corrupt(format!("{}: {e}", kind.as_str())))?;
        Ok((live, fields.into_iter().filter(|(_, v)| !v.is_null()).collect()))
    })
    .transpose()
}

/// Logs what a local save changed in one object, from its state before and after: a `create`
/// with every field when it is new here (or back from the trash, or newly shared), a `delete`
/// when it went (to the trash, or personal), else an `update` per field that changed.
pub async fn log_saved(
    conn: &mut SqliteConnection,
    clock: &Clock,
    source: UpdateSource,
    kind: ConfigKind,
    id: &str,
    before: Option<(bool, Map<String, Value>)>,
) -> Result<(), CrmError> {
    let after = snapshot(conn, kind, id).await?;
    // (op, field, old value, new value)
    type Row<'a> = (&'a str, Option<String>, Option<Value>, Option<Value>);
    let mut rows: Vec<Row> = Vec::new();
    match (before, after) {
        (Some((true, _)), Some((false, _))) => rows.push(("delete", None, None, None)),
        (None | Some((false, _)), Some((true, fields))) => {
            rows.push(("create", None, None, Some(Value::Object(fields))));
        }
        (Some((true, old)), Some((true, new))) => {
            let fields: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            for field in fields {
                let (was, is) = (old.get(field), new.get(field));
                if was != is {
                    let value = |v: Option<&Value>| Some(v.cloned().unwrap_or(Value::Null));
                    rows.push(("update", Some(field.clone()), value(was), value(is)));
                }
            }
        }
        (_, None) | (None | Some((false, _)), Some((false, _))) => {}
    }
    let at = dealdesk_store::time::format(dealdesk_store::time::now());
    for (op, field, old, new) in rows {
        sqlx::query(
            "INSERT INTO change_log (hlc, at, record_kind, record_id, op, field, old_value, new_value, source) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(clock.stamp())
        .bind(&at)
        .bind(kind.as_str())
        .bind(id)
        .bind(op)
        .bind(field)
        .bind(old.map(|v| v.to_string()))
        .bind(new.map(|v| v.to_string()))
        .bind(source.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Logs a `create` for every live object the change log has no create of: those made before this
/// desktop shared them (edited since or not), or by the Whop sync before it logged its pipeline. Objects every install
/// starts with (the Sales pipeline, the example workflow, the shipped templates) and the choices
/// made once only with `builtin` (the workspace's owner): a member's copies are the team's.
pub async fn log_unshared(conn: &mut SqliteConnection, clock: &Clock, builtin: bool) -> Result<u64, CrmError> {
    let found = unshared(conn, builtin).await?;
    for (kind, id) in &found {
        log_saved(conn, clock, UpdateSource::Ui, *kind, id, None).await?;
    }
    if !found.is_empty() {
        tracing::info!(count = found.len(), "team: shared what was made before sharing");
    }
    Ok(found.len() as u64)
}

/// What [`log_unshared`] would log, in the order it would: read only, so a sync that finds
/// nothing (nearly every one) takes no write lock from the user's edits.
pub async fn unshared(conn: &mut SqliteConnection, builtin: bool) -> Result<Vec<(ConfigKind, String)>, CrmError> {
    let mut found: Vec<(ConfigKind, String)> = Vec::new();
    for kind in ConfigKind::ALL.into_iter().filter(|k| *k != ConfigKind::Setting) {
        let shape = kind.shape();
        let shared_id = if kind == ConfigKind::CustomField { "object || '.' || key" } else { "id" };
        let sql = format!(
            "SELECT DISTINCT {shared_id} FROM {table} t WHERE {live} \
             AND NOT EXISTS (SELECT 1 FROM change_log c \
                             WHERE c.record_kind = ?1 AND c.record_id = {shared_id} AND c.op = 'create') \
             AND (?2 OR NOT ({builtin}))",
            table = shape.table,
            live = shape.live,
            builtin = shape.builtin,
        );
        let ids: Vec<String> =
            sqlx::query_scalar(AssertSqlSafe(sql)).bind(kind.as_str()).bind(builtin).fetch_all(&mut *conn).await?;
        found.extend(ids.into_iter().map(|id| (kind, id)));
    }
    if builtin {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM (SELECT ?2 AS id FROM pipeline WHERE is_default = 1 \
                             UNION SELECT ?3 || action FROM prompt_template_active) \
             WHERE NOT EXISTS (SELECT 1 FROM change_log WHERE record_kind = ?1 AND record_id = id AND op = 'create')",
        )
        .bind(ConfigKind::Setting.as_str())
        .bind(DEFAULT_PIPELINE)
        .bind(ACTIVE_PROMPT)
        .fetch_all(&mut *conn)
        .await?;
        found.extend(ids.into_iter().map(|id| (ConfigKind::Setting, id)));
    }
    // Pipelines before their stages, templates before the choice of one: the order every other
    // desktop needs.
    found.sort();
    Ok(found)
}

/// Writes the winning slots of a pulled change. The caller logs it. The value is what an update
/// replaced.
pub(super) async fn apply(
    conn: &mut SqliteConnection,
    kind: ConfigKind,
    team: &TeamChange,
    winning: &[String],
    at: &str,
) -> Result<(Outcome, Option<Value>), CrmError> {
    let change = &team.change;
    let id = change.record_id.as_str();
    if kind == ConfigKind::Setting {
        return Ok((setting_apply(conn, id, change.value.as_ref(), winning).await?, None));
    }
    let present = snapshot(conn, kind, id).await?;
    let snapshot_fields = match change.value.as_ref() {
        Some(Value::Object(fields)) => Some(fields),
        _ => None,
    };
    let mut old = None;
    let done = match (change.op.as_str(), present, snapshot_fields) {
        ("create", None, Some(fields)) => insert(conn, kind, id, fields, at).await?,
        (_, None, _) => return Ok((Outcome::Held(format!("{} {id} has not arrived yet", kind.as_str())), None)),
        ("create", Some((_, current)), Some(fields)) => {
            let mut done = Ok(());
            for slot in winning {
                // Equal already (a shipped template every install has): no write, no new version.
                if current.get(slot).is_some() && current.get(slot) == fields.get(slot) {
                    continue;
                }
                done = if slot == DELETED_SLOT {
                    set_deleted(conn, kind, id, None, at).await?
                } else {
                    set_column(conn, kind, id, slot, fields.get(slot).unwrap_or(&Value::Null), at).await?
                };
                if done.is_err() {
                    break;
                }
            }
            done
        }
        ("update", Some((_, fields)), _) => {
            let field = change.field.as_deref().unwrap_or_default();
            old = Some(fields.get(field).cloned().unwrap_or(Value::Null));
            set_column(conn, kind, id, field, change.value.as_ref().unwrap_or(&Value::Null), at).await?
        }
        ("delete" | "restore", Some(_), _) => {
            let deleted_at = (change.op == "delete").then_some(at);
            set_deleted(conn, kind, id, deleted_at, at).await?
        }
        _ => return Ok((Outcome::Held(format!("a {} change this version cannot read", change.op)), None)),
    };
    if let Err(error) = done {
        return Ok((held_by(error)?, None));
    }
    if kind == ConfigKind::Workflow {
        // From its arrival here, not from when it was switched on elsewhere.
        workflow_enabled_here(conn, id, &dealdesk_store::time::format(dealdesk_store::time::now())).await?;
    }
    Ok((Outcome::Done, old))
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn bind_column<'q>(query: Query<'q>, column: &str, value: &Value) -> Query<'q> {
    if JSON_COLUMNS.contains(&column) { query.bind(value.to_string()) } else { bind_value(query, value) }
}

async fn insert(
    conn: &mut SqliteConnection,
    kind: ConfigKind,
    id: &str,
    fields: &Map<String, Value>,
    at: &str,
) -> Result<Result<(), sqlx::Error>, CrmError> {
    let shape = kind.shape();
    let (local_id, identity) = match kind {
        ConfigKind::CustomField => {
            let (object, key) = id.split_once('.').unwrap_or((id, ""));
            (Uuid::now_v7().to_string(), vec![("object", object), ("key", key)])
        }
        _ => (id.to_string(), Vec::new()),
    };
    let columns: Vec<&str> = shape.columns.iter().copied().filter(|c| fields.contains_key(*c)).collect();
    let mut names: Vec<&str> = vec!["id"];
    names.extend(shape.times);
    names.extend(identity.iter().map(|(name, _)| *name));
    names.extend(columns.iter().copied());
    let mut values = vec!["?"; names.len()];
    names.extend(shape.inserted_with.iter().map(|(name, _)| *name));
    values.extend(shape.inserted_with.iter().map(|(_, value)| *value));
    let sql = format!("INSERT INTO {} ({}) VALUES ({})", shape.table, names.join(", "), values.join(", "));
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(local_id);
    for _ in shape.times {
        query = query.bind(at.to_string());
    }
    for (_, value) in &identity {
        query = query.bind(value.to_string());
    }
    for column in &columns {
        query = bind_column(query, column, fields.get(*column).unwrap_or(&Value::Null));
    }
    Ok(query.execute(&mut *conn).await.map(|_| ()))
}

async fn set_column(
    conn: &mut SqliteConnection,
    kind: ConfigKind,
    id: &str,
    column: &str,
    value: &Value,
    at: &str,
) -> Result<Result<(), sqlx::Error>, CrmError> {
    let shape = kind.shape();
    let Some(column) = shape.columns.iter().find(|c| **c == column) else {
        // A field a newer Dealdesk shares (or a custom field's identity): its stamp is logged.
        return Ok(Ok(()));
    };
    let (filter, first, second) = row_of(kind, id);
    let sql = if shape.versioned {
        // A new version: the newest one with this field changed.
        let mut columns: Vec<&str> = shape.columns.to_vec();
        columns.extend(shape.carried);
        let copied: Vec<&str> = columns.iter().map(|c| if *c == *column { "?3" } else { *c }).collect();
        format!(
            "INSERT INTO {table} (id, version, {columns}, created_at) \
             SELECT id, version + 1, {copied}, ?4 FROM {table} WHERE {filter} \
             ORDER BY version DESC LIMIT 1",
            table = shape.table,
            columns = columns.join(", "),
            copied = copied.join(", "),
        )
    } else {
        format!("UPDATE {} SET {column} = ?3, updated_at = ?4 WHERE {filter}", shape.table)
    };
    let query = sqlx::query(AssertSqlSafe(sql)).bind(first).bind(second);
    Ok(bind_column(query, column, value).bind(at.to_string()).execute(&mut *conn).await.map(|_| ()))
}

async fn set_deleted(
    conn: &mut SqliteConnection,
    kind: ConfigKind,
    id: &str,
    deleted_at: Option<&str>,
    at: &str,
) -> Result<Result<(), sqlx::Error>, CrmError> {
    let shape = kind.shape();
    let (filter, first, second) = row_of(kind, id);
    let sql = match kind {
        // Prompt templates are never deleted: nothing to write.
        ConfigKind::PromptTemplate => return Ok(Ok(())),
        // Every version of a template is marked (a template row has no `updated_at`).
        ConfigKind::ContractTemplate => format!("UPDATE {} SET deleted_at = ?3 WHERE {filter}", shape.table),
        // A shared view brought back is shared here too.
        ConfigKind::View => {
            format!("UPDATE {} SET deleted_at = ?3, updated_at = ?4, shared = 1 WHERE {filter}", shape.table)
        }
        _ => format!("UPDATE {} SET deleted_at = ?3, updated_at = ?4 WHERE {filter}", shape.table),
    };
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(first).bind(second).bind(deleted_at.map(str::to_string));
    if shape.times.contains(&"updated_at") {
        query = query.bind(at.to_string());
    }
    Ok(query.execute(&mut *conn).await.map(|_| ()))
}

/// A workflow switched on by another desktop starts from now here, as one switched on here does:
/// events and schedules before this moment never fire it.
async fn workflow_enabled_here(conn: &mut SqliteConnection, id: &str, at: &str) -> Result<(), CrmError> {
    sqlx::query(
        "UPDATE workflow SET \
             last_scheduled_at = CASE WHEN enabled AND enabled_at IS NULL THEN ?2 ELSE last_scheduled_at END, \
             schedule_seq = CASE WHEN enabled AND enabled_at IS NULL \
                                 THEN (SELECT coalesce(max(seq), 0) FROM change_log) ELSE schedule_seq END, \
             enabled_at = CASE WHEN enabled THEN coalesce(enabled_at, ?2) END \
         WHERE id = ?1",
    )
    .bind(id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A choice made once: its one field, live whenever it is made.
async fn setting_snapshot(conn: &mut SqliteConnection, id: &str) -> Result<Option<(bool, String)>, CrmError> {
    if id == DEFAULT_PIPELINE {
        return Ok(sqlx::query_as("SELECT 1, json_object('pipeline_id', id) FROM pipeline WHERE is_default = 1")
            .fetch_optional(&mut *conn)
            .await?);
    }
    if let Some(action) = id.strip_prefix(ACTIVE_PROMPT) {
        return Ok(sqlx::query_as(
            "SELECT 1, json_object('template_id', template_id) FROM prompt_template_active WHERE action = ?",
        )
        .bind(action)
        .fetch_optional(&mut *conn)
        .await?);
    }
    if id == WHOP_DESKTOP {
        return Ok(sqlx::query_as("SELECT 1, json_object('node', json(value)) FROM setting WHERE key = ?")
            .bind(WHOP_DESKTOP_SETTING)
            .fetch_optional(&mut *conn)
            .await?);
    }
    Ok(None)
}

/// Names the desktop that runs the Whop automations here (no check: any node may be named).
pub async fn set_whop_desktop(conn: &mut SqliteConnection, node: &str, at: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO setting (key, value, updated_at) VALUES (?1, json_quote(?2), ?3) \
         ON CONFLICT (key) DO UPDATE SET value = json_quote(?2), updated_at = ?3",
    )
    .bind(WHOP_DESKTOP_SETTING)
    .bind(node)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Makes the choice a pulled change names; held until what it names is here.
async fn setting_apply(
    conn: &mut SqliteConnection,
    id: &str,
    value: Option<&Value>,
    winning: &[String],
) -> Result<Outcome, CrmError> {
    let (field, table) = if id == DEFAULT_PIPELINE {
        ("pipeline_id", "pipeline")
    } else if id.starts_with(ACTIVE_PROMPT) {
        ("template_id", "prompt_template")
    } else if id == WHOP_DESKTOP {
        ("node", "")
    } else {
        return Ok(Outcome::Held(format!("a setting this version cannot read: {id}")));
    };
    if !winning.iter().any(|slot| slot == field) {
        return Ok(Outcome::Done);
    }
    // A create carries `{field: id}`, an update the id alone.
    let Some(named) = value.and_then(|v| v.get(field).or(Some(v))).and_then(Value::as_str) else {
        return Ok(Outcome::Held(format!("a {id} change without a {field}")));
    };
    if id == WHOP_DESKTOP {
        set_whop_desktop(conn, named, &dealdesk_store::time::format(dealdesk_store::time::now())).await?;
        return Ok(Outcome::Done);
    }
    let sql = format!("SELECT 1 FROM {table} WHERE id = ? LIMIT 1");
    let exists: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql)).bind(named).fetch_optional(&mut *conn).await?;
    if exists.is_none() {
        return Ok(Outcome::Held(format!("{table} {named} has not arrived yet")));
    }
    if let Some(action) = id.strip_prefix(ACTIVE_PROMPT) {
        sqlx::query(
            "INSERT INTO prompt_template_active (action, template_id) VALUES (?1, ?2) \
             ON CONFLICT (action) DO UPDATE SET template_id = ?2",
        )
        .bind(action)
        .bind(named)
        .execute(&mut *conn)
        .await?;
        return Ok(Outcome::Done);
    }
    sqlx::query("UPDATE pipeline SET is_default = 0 WHERE is_default = 1 AND id != ?")
        .bind(named)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE pipeline SET is_default = 1 WHERE id = ?").bind(named).execute(&mut *conn).await?;
    Ok(Outcome::Done)
}

/// Every shared object the change log names, as `shared_dump` shows records.
pub(super) async fn dump(conn: &mut SqliteConnection) -> Result<Vec<((String, String), Value)>, CrmError> {
    let kinds = Value::from(ConfigKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()).to_string();
    let named: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT record_kind, record_id FROM change_log \
         WHERE record_kind IN (SELECT value FROM json_each(?))",
    )
    .bind(kinds)
    .fetch_all(&mut *conn)
    .await?;
    let mut records = Vec::with_capacity(named.len());
    for (kind_text, id) in named {
        let Some(kind) = ConfigKind::parse(&kind_text) else { continue };
        let Some((live, fields)) = snapshot(conn, kind, &id).await? else { continue };
        let record = serde_json::json!({
            "kind": kind_text, "id": id, "live": live, "fields": fields, "members": Vec::<String>::new(),
        });
        records.push(((kind_text, id), record));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_names() {
        assert_eq!(
            ConfigKind::ALL.len(),
            ConfigKind::ALL.iter().map(|k| k.as_str()).collect::<std::collections::BTreeSet<_>>().len()
        );
    }
}
