//! Keyset pagination: the sort key of the last row, as an opaque cursor, seeks the next page.

use super::CrmError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dealdesk_model::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, SortDirection};
use serde_json::Value;
use sqlx::{QueryBuilder, Sqlite};

/// A sort order over columns whose last one is unique (the id), so the order is total.
pub(crate) struct SortKey {
    /// Names the sort inside the cursor, so a cursor from another sort is refused.
    pub tag: &'static str,
    pub columns: &'static [&'static str],
}

pub(crate) fn page_size(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE)
}

impl SortKey {
    /// Appends ` AND (a, b, id) > (?, ?, ?)` for a cursor, then ORDER BY and LIMIT (one extra row
    /// tells whether another page follows).
    pub fn push_seek_order_limit(
        &self,
        qb: &mut QueryBuilder<Sqlite>,
        direction: SortDirection,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(), CrmError> {
        let (cmp, dir) = match direction {
            SortDirection::Asc => (">", "ASC"),
            SortDirection::Desc => ("<", "DESC"),
        };
        if let Some(cursor) = cursor {
            let values = self.decode(cursor)?;
            qb.push(" AND (").push(self.columns.join(", ")).push(") ").push(cmp).push(" (");
            for (i, value) in values.into_iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                match value {
                    Value::String(s) => qb.push_bind(s),
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => qb.push_bind(i),
                        None => qb.push_bind(n.as_f64().unwrap_or_default()),
                    },
                    Value::Null => qb.push_bind(None::<String>),
                    _ => return Err(CrmError::InvalidCursor),
                };
            }
            qb.push(")");
        }
        let order: Vec<String> = self.columns.iter().map(|c| format!("{c} {dir}")).collect();
        qb.push(" ORDER BY ").push(order.join(", ")).push(" LIMIT ").push_bind(i64::from(limit) + 1);
        Ok(())
    }

    /// Seeks with the cursor, or skips `offset` rows when given (random access for virtual
    /// scrolling), then orders and limits.
    pub fn push_page(
        &self,
        qb: &mut QueryBuilder<Sqlite>,
        direction: SortDirection,
        cursor: Option<&str>,
        offset: Option<u32>,
        limit: u32,
    ) -> Result<(), CrmError> {
        self.push_seek_order_limit(qb, direction, if offset.is_some() { None } else { cursor }, limit)?;
        if let Some(offset) = offset {
            qb.push(" OFFSET ").push_bind(i64::from(offset));
        }
        Ok(())
    }

    /// Trims the extra row and makes the cursor of the page's last item.
    pub fn page<T>(&self, mut items: Vec<T>, limit: u32, key_of: impl Fn(&T) -> Vec<Value>) -> Page<T> {
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more { items.last().map(|last| self.encode(key_of(last))) } else { None };
        Page { items, next_cursor }
    }

    fn encode(&self, values: Vec<Value>) -> String {
        let mut all = vec![Value::String(self.tag.to_string())];
        all.extend(values);
        URL_SAFE_NO_PAD.encode(Value::Array(all).to_string())
    }

    fn decode(&self, cursor: &str) -> Result<Vec<Value>, CrmError> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| CrmError::InvalidCursor)?;
        let Ok(Value::Array(mut values)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(CrmError::InvalidCursor);
        };
        if values.len() != self.columns.len() + 1 || values.remove(0) != Value::String(self.tag.to_string()) {
            return Err(CrmError::InvalidCursor);
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: SortKey = SortKey { tag: "name", columns: &["p.first_name", "p.id"] };

    #[test]
    fn cursor_round_trips_and_refuses_others() {
        let page = KEY.page(vec![1, 2, 3], 2, |i| vec![Value::from(format!("n{i}")), Value::from(*i)]);
        assert_eq!(page.items, vec![1, 2]);
        let cursor = page.next_cursor.unwrap();
        assert_eq!(KEY.decode(&cursor).unwrap(), vec![Value::from("n2"), Value::from(2)]);
        let other = SortKey { tag: "updated", columns: &["a", "b"] };
        assert!(matches!(other.decode(&cursor), Err(CrmError::InvalidCursor)));
        assert!(matches!(KEY.decode("not base64 !"), Err(CrmError::InvalidCursor)));
        assert_eq!(KEY.page(vec![1], 2, |_| vec![]).next_cursor, None);
    }
}
