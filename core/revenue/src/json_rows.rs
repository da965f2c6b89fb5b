//! Long lists (a churn segment's customers, Recover) cross the driver as one JSON array that
//! SQLite builds: sqlx-sqlite hands every row over from its worker thread with each value copied,
//! about 5 µs a row of 14 to 20 columns on the benchmark's mirror, a third of these queries' time.
//! One text value and `serde_json` cost a tenth of that (decision 0023).

use crate::error::RevenueError;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};

/// `sql`, whose result columns are `columns`, as one row holding a JSON array of objects, in
/// `order` (a list of those columns; empty: as the rows come).
pub fn wrap(sql: &str, columns: &[&str], order: &str) -> String {
    let fields: Vec<String> = columns.iter().map(|c| format!("'{c}', {c}")).collect();
    let order = if order.is_empty() { String::new() } else { format!(" ORDER BY {order}") };
    format!("SELECT coalesce(json_group_array(json_object({}){order}), '[]') FROM ({sql})", fields.join(", "))
}

/// The rows of a [`wrap`]ped query's text.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, RevenueError> {
    serde_json::from_str(text).map_err(|e| RevenueError::Rows(e.to_string()))
}

/// A flag as SQLite gives it (0 or 1), for `#[serde(deserialize_with = "…")]`.
pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(i64::deserialize(deserializer)? != 0)
}
