//! The one write path every record kind goes through: insert (batched), field-level update and
//! soft delete/restore, each appending to the change log in the caller's transaction.

use dealdesk_model::{Origin, RecordKind, UpdateSource};
use dealdesk_store::Clock;
use serde_json::Value;
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

/// SQLite allows 32,766 bound parameters per statement; stay well below.
const MAX_PARAMS_PER_STATEMENT: usize = 30_000;
/// Rows per multi-row INSERT: large enough to amortise the statement, small enough to cache.
const MAX_ROWS_PER_STATEMENT: usize = 250;

/// One column value as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    /// A JSON document stored as text (custom field values).
    Json(Value),
}

impl Cell {
    pub fn to_json(&self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Int(i) => Value::from(*i),
            Cell::Real(f) => Value::from(*f),
            Cell::Json(v) => v.clone(),
        }
    }

    pub fn bind(&self, qb: &mut QueryBuilder<Sqlite>) {
        match self {
            Cell::Null => qb.push_bind(None::<String>),
            Cell::Text(s) => qb.push_bind(s.clone()),
            Cell::Int(i) => qb.push_bind(*i),
            Cell::Real(f) => qb.push_bind(*f),
            Cell::Json(v) => qb.push_bind(v.to_string()),
        };
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.to_string())
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        v.map_or(Cell::Null, Cell::Text)
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Cell::Null, Cell::Int)
    }
}

impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell::Int(i64::from(v))
    }
}

impl From<Option<bool>> for Cell {
    fn from(v: Option<bool>) -> Self {
        v.map_or(Cell::Null, |b| Cell::Int(i64::from(b)))
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Real(v)
    }
}

impl From<Uuid> for Cell {
    fn from(v: Uuid) -> Self {
        Cell::Text(v.to_string())
    }
}

impl From<Option<Uuid>> for Cell {
    fn from(v: Option<Uuid>) -> Self {
        v.map_or(Cell::Null, |id| Cell::Text(id.to_string()))
    }
}

/// The writable columns of one record kind, in a fixed order.
pub trait Fields {
    const KIND: RecordKind;
    const TABLE: &'static str;
    fn cells(&self) -> Vec<(&'static str, Cell)>;
}

/// Who writes, when, and with which clock: shared by all rows of one transaction.
pub struct WriteCtx<'a> {
    pub clock: &'a Clock,
    pub source: UpdateSource,
    /// `store::time::format` of the transaction's time.
    pub now: String,
}

impl<'a> WriteCtx<'a> {
    pub fn new(clock: &'a Clock, source: UpdateSource) -> Self {
        WriteCtx { clock, source, now: dealdesk_store::time::format(dealdesk_store::time::now()) }
    }

    fn origin(&self) -> Origin {
        match self.source {
            UpdateSource::Sync => Origin::Whop,
            _ => Origin::Local,
        }
    }
}

/// One change-log row.
pub struct Change {
    pub kind: RecordKind,
    pub id: Uuid,
    pub op: &'static str,
    pub field: Option<String>,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Appends change-log rows (batched).
pub async fn append_changes(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    changes: &[Change],
) -> Result<(), sqlx::Error> {
    for chunk in changes.chunks(MAX_ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO change_log (hlc, at, record_kind, record_id, op, field, old_value, new_value, source) ",
        );
        qb.push_values(chunk, |mut row, change| {
            row.push_bind(ctx.clock.stamp())
                .push_bind(ctx.now.clone())
                .push_bind(change.kind.as_str())
                .push_bind(change.id.to_string())
                .push_bind(change.op)
                .push_bind(change.field.clone())
                .push_bind(change.old.as_ref().map(Value::to_string))
                .push_bind(change.new.as_ref().map(Value::to_string))
                .push_bind(ctx.source.as_str());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts new records with `created_at = updated_at = now`, and one `create` change each holding
/// the full snapshot. Many rows go into each statement: this is the bulk path imports use.
pub async fn insert_records<F: Fields>(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    rows: &[(Uuid, F)],
) -> Result<(), sqlx::Error> {
    let Some((_, first)) = rows.first() else {
        return Ok(());
    };
    let names: Vec<&'static str> = first.cells().into_iter().map(|(name, _)| name).collect();
    let params_per_row = names.len() + 4;
    let rows_per_statement = (MAX_PARAMS_PER_STATEMENT / params_per_row).clamp(1, MAX_ROWS_PER_STATEMENT);
    let head = format!("INSERT INTO {} (id, origin, created_at, updated_at, {}) VALUES ", F::TABLE, names.join(", "));
    let origin = ctx.origin().as_str();

    for chunk in rows.chunks(rows_per_statement) {
        let mut changes = Vec::with_capacity(chunk.len());
        let mut qb = QueryBuilder::<Sqlite>::new(head.as_str());
        for (i, (id, fields)) in chunk.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            qb.push("(");
            qb.push_bind(id.to_string());
            qb.push(", ");
            qb.push_bind(origin);
            qb.push(", ");
            qb.push_bind(ctx.now.clone());
            qb.push(", ");
            qb.push_bind(ctx.now.clone());
            let cells = fields.cells();
            let mut snapshot = serde_json::Map::with_capacity(cells.len());
            for (name, cell) in cells {
                qb.push(", ");
                cell.bind(&mut qb);
                if cell != Cell::Null {
                    snapshot.insert(name.to_string(), cell.to_json());
                }
            }
            qb.push(")");
            changes.push(Change {
                kind: F::KIND,
                id: *id,
                op: "create",
                field: None,
                old: None,
                new: Some(Value::Object(snapshot)),
            });
        }
        qb.build().execute(&mut *conn).await?;
        append_changes(conn, ctx, &changes).await?;
    }
    Ok(())
}

/// Writes the columns that differ between `old` and `new` and logs one change per field (one per
/// key for custom values). Returns the names of the changed columns; empty means nothing to do.
pub async fn update_record<F: Fields>(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    id: Uuid,
    old: &F,
    new: &F,
) -> Result<Vec<&'static str>, sqlx::Error> {
    // (column, old value, new value) of each column that differs.
    let changed: Vec<(&'static str, Cell, Cell)> = old
        .cells()
        .into_iter()
        .zip(new.cells())
        .filter(|((_, a), (_, b))| a != b)
        .map(|((name, a), (_, b))| (name, a, b))
        .collect();
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = QueryBuilder::<Sqlite>::new(format!("UPDATE {} SET ", F::TABLE));
    let mut changes = Vec::new();
    for (name, old_cell, new_cell) in &changed {
        qb.push(*name).push(" = ");
        new_cell.bind(&mut qb);
        qb.push(", ");
        if let (Cell::Json(Value::Object(a)), Cell::Json(Value::Object(b))) = (old_cell, new_cell) {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let (before, after) = (a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null));
                if before != after {
                    changes.push(Change {
                        kind: F::KIND,
                        id,
                        op: "update",
                        field: Some(format!("{name}.{key}")),
                        old: Some(before.clone()),
                        new: Some(after.clone()),
                    });
                }
            }
        } else {
            changes.push(Change {
                kind: F::KIND,
                id,
                op: "update",
                field: Some(name.to_string()),
                old: Some(old_cell.to_json()),
                new: Some(new_cell.to_json()),
            });
        }
    }
    qb.push("updated_at = ");
    qb.push_bind(ctx.now.clone());
    qb.push(" WHERE id = ");
    qb.push_bind(id.to_string());
    qb.build().execute(&mut *conn).await?;
    append_changes(conn, ctx, &changes).await?;
    Ok(changed.into_iter().map(|(name, _, _)| name).collect())
}

/// Moves a record to the trash (`deleted = true`) or back. Returns false when it was already there.
pub async fn set_deleted(
    conn: &mut SqliteConnection,
    ctx: &WriteCtx<'_>,
    kind: RecordKind,
    table: &'static str,
    id: Uuid,
    deleted: bool,
) -> Result<bool, sqlx::Error> {
    let sql = if deleted {
        format!("UPDATE {table} SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NULL")
    } else {
        format!("UPDATE {table} SET deleted_at = NULL, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NOT NULL")
    };
    let done = sqlx::query(AssertSqlSafe(sql)).bind(ctx.now.clone()).bind(id.to_string()).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let change = Change { kind, id, op: if deleted { "delete" } else { "restore" }, field: None, old: None, new: None };
    append_changes(conn, ctx, &[change]).await?;
    Ok(true)
}
