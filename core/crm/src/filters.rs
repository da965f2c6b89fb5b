//! WHERE clauses shared by the list queries.

use chrono::NaiveDate;
use dealdesk_model::RecordKind;
use sqlx::{QueryBuilder, Sqlite};

/// Appends a full-text filter on `rid_column` through `fts_table`. Returns false when the text has
/// no searchable words, so the caller can answer with an empty page.
pub(crate) fn push_text(qb: &mut QueryBuilder<Sqlite>, fts_table: &str, rid_column: &str, text: &str) -> bool {
    let Some(fts) = super::fts_query(text) else {
        return false;
    };
    qb.push(format!(" AND {rid_column} IN (SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH "))
        .push_bind(fts)
        .push(")");
    true
}

/// Appends "has the tag named `tag`" (case-insensitive) for records of `kind` keyed by `id_column`.
pub(crate) fn push_tag(qb: &mut QueryBuilder<Sqlite>, kind: RecordKind, id_column: &str, tag: &str) {
    qb.push(format!(
        " AND EXISTS (SELECT 1 FROM record_tag rt JOIN tag t ON t.id = rt.tag_id \
         WHERE rt.record_kind = '{kind}' AND rt.record_id = {id_column} AND t.name = "
    ))
    .push_bind(tag.trim().to_string())
    .push(")");
}

/// Appends an inclusive day range on a timestamp column (stored as fixed-width UTC text).
pub(crate) fn push_day_range(
    qb: &mut QueryBuilder<Sqlite>,
    column: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) {
    if let Some(from) = from {
        qb.push(format!(" AND {column} >= ")).push_bind(format!("{}T00:00:00.000000Z", from.format("%Y-%m-%d")));
    }
    if let Some(next_day) = to.and_then(|to| to.succ_opt()) {
        qb.push(format!(" AND {column} < ")).push_bind(format!("{}T00:00:00.000000Z", next_day.format("%Y-%m-%d")));
    }
}

/// Appends an inclusive range on a `YYYY-MM-DD` date column.
pub(crate) fn push_date_range(
    qb: &mut QueryBuilder<Sqlite>,
    column: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) {
    if let Some(from) = from {
        qb.push(format!(" AND {column} >= ")).push_bind(from.format("%Y-%m-%d").to_string());
    }
    if let Some(to) = to {
        qb.push(format!(" AND {column} <= ")).push_bind(to.format("%Y-%m-%d").to_string());
    }
}
