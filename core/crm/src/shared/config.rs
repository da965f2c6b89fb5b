//! How a team workspace shares the CRM's shape (decision 0028): pipelines, their stages, custom
//! field definitions and which pipeline is the default. Each is a record of the change log like a
//! person, by the same merge rules (per slot, the greater (HLC, node) wins): a local save logs
//! what it changed by comparing the object before and after, and a pulled change is written to
//! the same tables. A custom field is known by `object.key` on every desktop (its values are
//! shared by key), so two desktops that define `tier` on people get one field. The default
//! pipeline is one slot of its own (the `setting` record `default_pipeline`), so the latest
//! choice wins everywhere rather than each pipeline keeping its own flag.

use super::{Outcome, TeamChange, bind_value, held_by};
use crate::CrmError;
use dealdesk_model::UpdateSource;
use dealdesk_model::team::DELETED_SLOT;
use dealdesk_store::Clock;
use serde_json::{Map, Value};
use sqlx::{AssertSqlSafe, SqliteConnection};
use uuid::Uuid;

/// The built-in Sales pipeline every install starts with (migration 1), under fixed ids.
const BUILTIN_PREFIX: &str = "01930000-0000-7000-8000-0000000000";

/// The `setting` record that names the default pipeline.
pub const DEFAULT_PIPELINE: &str = "default_pipeline";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConfigKind {
    Pipeline,
    Stage,
    CustomField,
    Setting,
    /// A saved view marked shared (a personal one stays on its desktop).
    View,
}

impl ConfigKind {
    pub const ALL: [ConfigKind; 5] =
        [ConfigKind::Pipeline, ConfigKind::Stage, ConfigKind::CustomField, ConfigKind::Setting, ConfigKind::View];

    pub fn as_str(self) -> &'static str {
        match self {
            ConfigKind::Pipeline => "pipeline",
            ConfigKind::Stage => "stage",
            ConfigKind::CustomField => "custom_field",
            ConfigKind::Setting => "setting",
            ConfigKind::View => "view",
        }
    }

    pub fn parse(text: &str) -> Option<ConfigKind> {
        ConfigKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The columns a change may set. A custom field's `object` and `key` are its identity and
    /// travel in its create, never changed after.
    fn columns(self) -> &'static [&'static str] {
        match self {
            ConfigKind::Pipeline => &["name", "position"],
            ConfigKind::Stage => &["pipeline_id", "name", "position", "probability", "rotting_days"],
            ConfigKind::CustomField => &["label", "field_type", "position"],
            ConfigKind::Setting => &["pipeline_id"],
            ConfigKind::View => &["object", "name", "state"],
        }
    }

    /// When an object of this kind counts as there for the team: not in the trash, and for a
    /// saved view, shared.
    fn live_sql(self) -> &'static str {
        match self {
            ConfigKind::View => "deleted_at IS NULL AND shared = 1",
            _ => "deleted_at IS NULL",
        }
    }

    /// Columns a pulled object gets that are not shared fields.
    fn inserted_with(self) -> &'static str {
        match self {
            ConfigKind::View => ", shared",
            _ => "",
        }
    }

    fn table(self) -> &'static str {
        match self {
            ConfigKind::Pipeline => "pipeline",
            ConfigKind::Stage => "stage",
            ConfigKind::CustomField => "custom_field",
            ConfigKind::Setting => "pipeline",
            ConfigKind::View => "saved_view",
        }
    }
}

/// Columns that hold JSON text, whatever JSON value they hold.
const JSON_COLUMNS: [&str; 2] = ["field_type", "state"];

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

/// An object as it is here: live or in the trash, and its shared fields (nulls left out).
/// `None`: it does not exist here.
pub async fn snapshot(
    conn: &mut SqliteConnection,
    kind: ConfigKind,
    id: &str,
) -> Result<Option<(bool, Map<String, Value>)>, CrmError> {
    let row: Option<(bool, String)> = if kind == ConfigKind::Setting {
        sqlx::query_as("SELECT 1, json_object('pipeline_id', id) FROM pipeline WHERE is_default = 1 AND ?1 = ?2")
            .bind(id)
            .bind(DEFAULT_PIPELINE)
            .fetch_optional(&mut *conn)
            .await?
    } else {
        let (filter, first, second) = row_of(kind, id);
        let identity = if kind == ConfigKind::CustomField { "'object', object, 'key', key, " } else { "" };
        let fields: Vec<String> = kind
            .columns()
            .iter()
            .map(|c| if JSON_COLUMNS.contains(c) { format!("'{c}', json({c})") } else { format!("'{c}', {c}") })
            .collect();
        let sql = format!(
            "SELECT {}, json_object({identity}{}) FROM {} WHERE {filter}",
            kind.live_sql(),
            fields.join(", "),
            kind.table()
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
/// with every field when it is new here (or back from the trash), a `delete` when it went to the
/// trash, else an `update` per field that changed.
pub async fn log_saved(
    conn: &mut SqliteConnection,
    clock: &Clock,
    source: UpdateSource,
    kind: ConfigKind,
    id: &str,
    before: Option<(bool, Map<String, Value>)>,
) -> Result<(), CrmError> {
    let after = snapshot(conn, kind, id).await?;
    let mut rows: Vec<(&str, Option<String>, Option<Value>, Option<Value>)> = Vec::new();
    match (before, after) {
        (Some((true, _)), Some((false, _))) => rows.push(("delete", None, None, None)),
        (None | Some((false, _)), Some((true, fields))) => {
            rows.push(("create", None, None, Some(Value::Object(fields))));
        }
        (Some((true, old)), Some((true, new))) => {
            for column in kind.columns() {
                let (was, is) = (old.get(*column), new.get(*column));
                if was != is {
                    let value = |v: Option<&Value>| Some(v.cloned().unwrap_or(Value::Null));
                    rows.push(("update", Some(column.to_string()), value(was), value(is)));
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

/// Logs a `create` for every live object the change log has never named: pipelines, stages and
/// custom fields made before this desktop shared them (or by the Whop sync, which writes its
/// pipeline directly). The built-in Sales pipeline, its stages and the default pipeline only with
/// `builtin` (the workspace's owner): every install has them, so a member's copy is the team's.
pub async fn log_unshared(conn: &mut SqliteConnection, clock: &Clock, builtin: bool) -> Result<u64, CrmError> {
    let unlogged = "NOT EXISTS (SELECT 1 FROM change_log c WHERE c.record_kind = ?1 AND c.record_id = shared_id)";
    let mut found: Vec<(ConfigKind, String)> = Vec::new();
    for (kind, shared_id) in
        [(ConfigKind::Pipeline, "id"), (ConfigKind::Stage, "id"), (ConfigKind::CustomField, "object || '.' || key")]
    {
        let sql = format!(
            "SELECT shared_id FROM (SELECT {shared_id} AS shared_id, id FROM {} WHERE deleted_at IS NULL) \
             WHERE {unlogged} AND (?2 OR id NOT LIKE ?3 || '%')",
            kind.table()
        );
        let ids: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(kind.as_str())
            .bind(builtin)
            .bind(BUILTIN_PREFIX)
            .fetch_all(&mut *conn)
            .await?;
        found.extend(ids.into_iter().map(|id| (kind, id)));
    }
    if builtin {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT ?2 FROM pipeline WHERE is_default = 1 AND NOT EXISTS \
             (SELECT 1 FROM change_log WHERE record_kind = ?1 AND record_id = ?2)",
        )
        .bind(ConfigKind::Setting.as_str())
        .bind(DEFAULT_PIPELINE)
        .fetch_all(&mut *conn)
        .await?;
        found.extend(ids.into_iter().map(|id| (ConfigKind::Setting, id)));
    }
    // Pipelines before their stages, the default last: the order every other desktop needs.
    found.sort();
    for (kind, id) in &found {
        log_saved(conn, clock, UpdateSource::Ui, *kind, id, None).await?;
    }
    Ok(found.len() as u64)
}

/// Writes the winning slots of a pulled change to a pipeline, stage, custom field or the default
/// pipeline. The caller logs it.
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
        if !winning.iter().any(|slot| slot == "pipeline_id") {
            return Ok((Outcome::Done, None));
        }
        return set_default(conn, id, change.value.as_ref()).await.map(|outcome| (outcome, None));
    }
    let present = snapshot(conn, kind, id).await?;
    let snapshot_fields = match change.value.as_ref() {
        Some(Value::Object(fields)) => Some(fields),
        _ => None,
    };
    match (change.op.as_str(), present.is_some(), snapshot_fields) {
        ("create", false, Some(fields)) => Ok((insert(conn, kind, id, fields, at).await?, None)),
        (_, false, _) => Ok((Outcome::Held(format!("{} {id} has not arrived yet", kind.as_str())), None)),
        ("create", true, Some(fields)) => {
            for slot in winning {
                let done = if slot == DELETED_SLOT {
                    set_deleted(conn, kind, id, None, at).await?
                } else {
                    set_column(conn, kind, id, slot, fields.get(slot).unwrap_or(&Value::Null), at).await?
                };
                if let Err(error) = done {
                    return Ok((held_by(error)?, None));
                }
            }
            Ok((Outcome::Done, None))
        }
        ("update", true, _) => {
            let field = change.field.as_deref().unwrap_or_default();
            let old = present.and_then(|(_, fields)| fields.get(field).cloned()).unwrap_or(Value::Null);
            match set_column(conn, kind, id, field, change.value.as_ref().unwrap_or(&Value::Null), at).await? {
                Ok(()) => Ok((Outcome::Done, Some(old))),
                Err(error) => Ok((held_by(error)?, None)),
            }
        }
        ("delete" | "restore", true, _) => {
            let deleted_at = (change.op == "delete").then_some(at);
            match set_deleted(conn, kind, id, deleted_at, at).await? {
                Ok(()) => Ok((Outcome::Done, None)),
                Err(error) => Ok((held_by(error)?, None)),
            }
        }
        _ => Ok((Outcome::Held(format!("a {} change this version cannot read", change.op)), None)),
    }
}

async fn insert(
    conn: &mut SqliteConnection,
    kind: ConfigKind,
    id: &str,
    fields: &Map<String, Value>,
    at: &str,
) -> Result<Outcome, CrmError> {
    let mut names: Vec<&str> = vec!["id", "created_at", "updated_at"];
    let (local_id, identity) = match kind {
        ConfigKind::CustomField => {
            let (object, key) = id.split_once('.').unwrap_or((id, ""));
            (Uuid::now_v7().to_string(), vec![("object", object), ("key", key)])
        }
        _ => (id.to_string(), Vec::new()),
    };
    names.extend(identity.iter().map(|(name, _)| *name));
    let columns: Vec<&str> = kind.columns().iter().copied().filter(|c| fields.contains_key(*c)).collect();
    names.extend(columns.iter().copied());
    let marks = vec!["?"; names.len()].join(", ");
    let (extra, extra_values) = match kind.inserted_with() {
        "" => ("", ""),
        extra => (extra, ", 1"),
    };
    let sql = format!("INSERT INTO {} ({}{extra}) VALUES ({marks}{extra_values})", kind.table(), names.join(", "));
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(local_id).bind(at.to_string()).bind(at.to_string());
    for (_, value) in &identity {
        query = query.bind(value.to_string());
    }
    for column in &columns {
        query = bind_column(query, column, fields.get(*column).unwrap_or(&Value::Null));
    }
    match query.execute(&mut *conn).await {
        Ok(_) => Ok(Outcome::Done),
        Err(error) => held_by(error),
    }
}

async fn set_column(
    conn: &mut SqliteConnection,
    kind: ConfigKind,
    id: &str,
    column: &str,
    value: &Value,
    at: &str,
) -> Result<Result<(), sqlx::Error>, CrmError> {
    let Some(column) = kind.columns().iter().find(|c| **c == column) else {
        // A field a newer Dealdesk shares (or a custom field's identity): its stamp is logged.
        return Ok(Ok(()));
    };
    let (filter, first, second) = row_of(kind, id);
    let sql = format!("UPDATE {} SET {column} = ?3, updated_at = ?4 WHERE {filter}", kind.table());
    let query = sqlx::query(AssertSqlSafe(sql)).bind(first).bind(second);
    Ok(bind_column(query, column, value).bind(at.to_string()).execute(&mut *conn).await.map(|_| ()))
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// A custom field's type is stored as JSON text, whatever JSON value it is.
fn bind_column<'q>(query: Query<'q>, column: &str, value: &Value) -> Query<'q> {
    if JSON_COLUMNS.contains(&column) { query.bind(value.to_string()) } else { bind_value(query, value) }
}

async fn set_deleted(
    conn: &mut SqliteConnection,
    kind: ConfigKind,
    id: &str,
    deleted_at: Option<&str>,
    at: &str,
) -> Result<Result<(), sqlx::Error>, CrmError> {
    let (filter, first, second) = row_of(kind, id);
    // A shared view brought back is shared here too.
    let shared = if kind == ConfigKind::View { ", shared = 1" } else { "" };
    let sql = format!("UPDATE {} SET deleted_at = ?3, updated_at = ?4{shared} WHERE {filter}", kind.table());
    Ok(sqlx::query(AssertSqlSafe(sql))
        .bind(first)
        .bind(second)
        .bind(deleted_at.map(str::to_string))
        .bind(at.to_string())
        .execute(&mut *conn)
        .await
        .map(|_| ()))
}

/// Makes the pipeline a pulled change names the default; held until that pipeline is here.
async fn set_default(conn: &mut SqliteConnection, id: &str, value: Option<&Value>) -> Result<Outcome, CrmError> {
    let pipeline = value.and_then(|v| v.get("pipeline_id").or(Some(v))).and_then(Value::as_str);
    let Some(pipeline) = pipeline.filter(|_| id == DEFAULT_PIPELINE) else {
        return Ok(Outcome::Held(format!("a setting this version cannot read: {id}")));
    };
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM pipeline WHERE id = ?").bind(pipeline).fetch_optional(&mut *conn).await?;
    if exists.is_none() {
        return Ok(Outcome::Held(format!("pipeline {pipeline} has not arrived yet")));
    }
    sqlx::query("UPDATE pipeline SET is_default = 0 WHERE is_default = 1 AND id != ?")
        .bind(pipeline)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE pipeline SET is_default = 1 WHERE id = ?").bind(pipeline).execute(&mut *conn).await?;
    Ok(Outcome::Done)
}

/// Every shared object the change log names, as `shared_dump` shows records.
pub(super) async fn dump(conn: &mut SqliteConnection) -> Result<Vec<((String, String), Value)>, CrmError> {
    let named: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT record_kind, record_id FROM change_log \
         WHERE record_kind IN ('pipeline', 'stage', 'custom_field', 'setting', 'view')",
    )
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
