//! Merge-field autocomplete.

use super::*;

/// A `{{` being typed before the cursor: where it starts (a byte index) and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeQuery {
    pub start: usize,
    pub query: String,
}

/// The `{{partial` just before `cursor` (a byte index), if the user is typing a merge field.
pub fn merge_query(text: &str, cursor: usize) -> Option<MergeQuery> {
    let before = text.get(..cursor)?;
    let start = before.rfind("{{")?;
    let query = &before[start + 2..];
    query
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
        .then(|| MergeQuery { start, query: query.to_string() })
}

/// The fields matching what is typed: names starting with it first, then names containing it.
pub fn filter_fields<'a>(fields: &'a [MergeField], query: &str) -> Vec<&'a MergeField> {
    let q = query.to_lowercase();
    let mut starts: Vec<&MergeField> = Vec::new();
    let mut contains: Vec<&MergeField> = Vec::new();
    for field in fields {
        let name = field.name.to_lowercase();
        if name.starts_with(&q) {
            starts.push(field);
        } else if name.contains(&q) {
            contains.push(field);
        }
    }
    starts.extend(contains);
    starts
}

/// Replaces the `{{partial` before `cursor` with `{{name}}` (swallowing a `}}` already after the
/// cursor); answers the new text and the cursor after the field (byte indexes).
pub fn insert_field(text: &str, query: &MergeQuery, cursor: usize, name: &str) -> (String, usize) {
    let head = text.get(..query.start).unwrap_or(text);
    let tail = text.get(cursor..).unwrap_or("");
    let tail = tail.strip_prefix("}}").unwrap_or(tail);
    let field = format!("{{{{{name}}}}}");
    let at = head.len() + field.len();
    (format!("{head}{field}{tail}"), at)
}

/// A textarea's cursor (UTF-16 code units) as a byte index into `text`.
pub fn byte_index(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// A byte index as a textarea position (UTF-16 code units).
pub fn utf16_index(text: &str, byte: usize) -> usize {
    text.get(..byte.min(text.len())).map(|s| s.encode_utf16().count()).unwrap_or_else(|| text.encode_utf16().count())
}

/// The autocomplete menu: which textarea, where the `{{` is, and the highlighted choice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeMenu {
    pub open: Option<MergeQuery>,
    pub cursor: usize,
    pub selected: usize,
}

impl MergeMenu {
    /// After typing or moving the cursor.
    pub fn at(text: &str, cursor: usize) -> MergeMenu {
        MergeMenu { open: merge_query(text, cursor), cursor, selected: 0 }
    }

    /// Arrow keys: moves the highlight within `count` choices.
    pub fn moved(&self, down: bool, count: usize) -> MergeMenu {
        let mut next = self.clone();
        if count > 0 {
            next.selected = if down { (self.selected + 1) % count } else { (self.selected + count - 1) % count };
        }
        next
    }
}
