//! Reading stored columns back into model types, with a clear error for anything unreadable.

use super::CrmError;
use chrono::{DateTime, NaiveDate, Utc};
use dealdesk_model::{CustomValues, Origin, RecordMeta};
use dealdesk_store::time;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

fn corrupt(column: &str, detail: impl std::fmt::Display) -> CrmError {
    CrmError::Corrupt(format!("column {column}: {detail}"))
}

pub(crate) fn text(row: &SqliteRow, column: &str) -> Result<String, CrmError> {
    Ok(row.try_get::<String, _>(column)?)
}

pub(crate) fn opt_text(row: &SqliteRow, column: &str) -> Result<Option<String>, CrmError> {
    Ok(row.try_get::<Option<String>, _>(column)?)
}

pub(crate) fn int(row: &SqliteRow, column: &str) -> Result<i64, CrmError> {
    Ok(row.try_get::<i64, _>(column)?)
}

pub(crate) fn opt_int(row: &SqliteRow, column: &str) -> Result<Option<i64>, CrmError> {
    Ok(row.try_get::<Option<i64>, _>(column)?)
}

pub(crate) fn parse_uuid(column: &str, value: &str) -> Result<Uuid, CrmError> {
    Uuid::parse_str(value).map_err(|e| corrupt(column, e))
}

pub(crate) fn uuid(row: &SqliteRow, column: &str) -> Result<Uuid, CrmError> {
    parse_uuid(column, &text(row, column)?)
}

pub(crate) fn opt_uuid(row: &SqliteRow, column: &str) -> Result<Option<Uuid>, CrmError> {
    opt_text(row, column)?.map(|v| parse_uuid(column, &v)).transpose()
}

pub(crate) fn timestamp(row: &SqliteRow, column: &str) -> Result<DateTime<Utc>, CrmError> {
    let value = text(row, column)?;
    time::parse(&value).map_err(|e| corrupt(column, e))
}

pub(crate) fn opt_timestamp(row: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>, CrmError> {
    opt_text(row, column)?.map(|v| time::parse(&v).map_err(|e| corrupt(column, e))).transpose()
}

pub(crate) fn opt_date(row: &SqliteRow, column: &str) -> Result<Option<NaiveDate>, CrmError> {
    opt_text(row, column)?
        .map(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|e| corrupt(column, e)))
        .transpose()
}

pub(crate) fn custom(row: &SqliteRow, column: &str) -> Result<CustomValues, CrmError> {
    serde_json::from_str(&text(row, column)?).map_err(|e| corrupt(column, e))
}

/// A JSON array of strings (tag names, aggregated by `json_group_array`).
pub(crate) fn string_list(row: &SqliteRow, column: &str) -> Result<Vec<String>, CrmError> {
    match opt_text(row, column)? {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(&json).map_err(|e| corrupt(column, e)),
    }
}

/// `created_at`, `updated_at`, `deleted_at` and `origin` of the row (unprefixed column names).
pub(crate) fn meta(row: &SqliteRow) -> Result<RecordMeta, CrmError> {
    let origin = text(row, "origin")?;
    Ok(RecordMeta {
        created_at: timestamp(row, "created_at")?,
        updated_at: timestamp(row, "updated_at")?,
        deleted_at: opt_timestamp(row, "deleted_at")?,
        origin: Origin::parse(&origin).ok_or_else(|| corrupt("origin", origin))?,
    })
}

/// The SQL expression that lists a record's tag names, sorted, as a JSON array.
pub(crate) fn tags_expr(kind: &str, id_column: &str) -> String {
    format!(
        "(SELECT json_group_array(name) FROM (SELECT t.name FROM record_tag rt JOIN tag t ON t.id = rt.tag_id \
         WHERE rt.record_kind = '{kind}' AND rt.record_id = {id_column} ORDER BY t.name))"
    )
}
