//! A table view: sort, filters, visible columns (the part saved as a view), the selection, and
//! the virtual-scrolling window arithmetic.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use uuid::Uuid;

/// Height of one table row in pixels (the CSS uses the same number).
pub const ROW_HEIGHT: f64 = 36.0;
/// Rows rendered above and below the viewport so fast scrolling never shows a gap.
pub const OVERSCAN: u32 = 10;
/// Rows fetched per request.
pub const PAGE_SIZE: u32 = 100;

/// How a column's cells are edited in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    None,
    Text,
    Email,
    Money,
    Date,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub key: &'static str,
    pub label: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// The core can sort by it.
    pub sortable: bool,
    pub edit: Edit,
    pub numeric: bool,
    /// Shown unless the user hides it.
    pub default_visible: bool,
}

impl ColumnSpec {
    pub const fn new(key: &'static str, label: &'static str, width: u32) -> Self {
        ColumnSpec { key, label, width, sortable: false, edit: Edit::None, numeric: false, default_visible: true }
    }
    pub const fn sortable(mut self) -> Self {
        self.sortable = true;
        self
    }
    pub const fn edit(mut self, edit: Edit) -> Self {
        self.edit = edit;
        self
    }
    pub const fn numeric(mut self) -> Self {
        self.numeric = true;
        self
    }
    pub const fn hidden(mut self) -> Self {
        self.default_visible = false;
        self
    }
}

/// The saved part of a table view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ViewState {
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub descending: bool,
    /// Visible columns in order; empty means the defaults.
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub text: String,
    /// Select filters by key (stage, status, tag, …).
    #[serde(default)]
    pub selects: BTreeMap<String, String>,
    #[serde(default)]
    pub date_from: Option<NaiveDate>,
    #[serde(default)]
    pub date_to: Option<NaiveDate>,
    /// Amount range as typed (plain decimals).
    #[serde(default)]
    pub amount_min: String,
    #[serde(default)]
    pub amount_max: String,
}

impl ViewState {
    /// Click on a sortable header: ascending, then descending, then back to the default order.
    pub fn toggle_sort(&mut self, key: &str) {
        match (&self.sort, self.descending) {
            (Some(current), false) if current == key => self.descending = true,
            (Some(current), true) if current == key => {
                self.sort = None;
                self.descending = false;
            }
            _ => {
                self.sort = Some(key.to_string());
                self.descending = false;
            }
        }
    }

    pub fn visible<'a>(&self, all: &'a [ColumnSpec]) -> Vec<&'a ColumnSpec> {
        if self.columns.is_empty() {
            return all.iter().filter(|c| c.default_visible).collect();
        }
        self.columns.iter().filter_map(|key| all.iter().find(|c| c.key == key)).collect()
    }

    /// Shows or hides a column, keeping the others in place; the last column cannot be hidden.
    pub fn toggle_column(&mut self, key: &str, all: &[ColumnSpec]) {
        let mut keys: Vec<String> = self.visible(all).iter().map(|c| c.key.to_string()).collect();
        if let Some(i) = keys.iter().position(|k| k == key) {
            if keys.len() > 1 {
                keys.remove(i);
            }
        } else if all.iter().any(|c| c.key == key) {
            // Put it back where it sits in the full list.
            let rank = |k: &str| all.iter().position(|c| c.key == k).unwrap_or(usize::MAX);
            let at = keys.iter().position(|k| rank(k) > rank(key)).unwrap_or(keys.len());
            keys.insert(at, key.to_string());
        }
        self.columns = keys;
    }

    pub fn set_select(&mut self, key: &str, value: &str) {
        if value.is_empty() {
            self.selects.remove(key);
        } else {
            self.selects.insert(key.to_string(), value.to_string());
        }
    }

    pub fn select(&self, key: &str) -> Option<&str> {
        self.selects.get(key).map(String::as_str)
    }

    /// Whether any filter narrows the list.
    pub fn is_filtered(&self) -> bool {
        !self.text.trim().is_empty()
            || !self.selects.is_empty()
            || self.date_from.is_some()
            || self.date_to.is_some()
            || !self.amount_min.trim().is_empty()
            || !self.amount_max.trim().is_empty()
    }

    pub fn clear_filters(&mut self) {
        self.text.clear();
        self.selects.clear();
        self.date_from = None;
        self.date_to = None;
        self.amount_min.clear();
        self.amount_max.clear();
    }
}

/// Which rows are checked. Shift-click selects a range from the last clicked row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub ids: BTreeSet<Uuid>,
    anchor: Option<usize>,
}

impl Selection {
    pub fn toggle(&mut self, id: Uuid, index: usize) {
        if !self.ids.remove(&id) {
            self.ids.insert(id);
        }
        self.anchor = Some(index);
    }

    /// Selects every loaded row between the anchor and `index` (inclusive).
    pub fn extend_to(&mut self, index: usize, row_ids: &[(usize, Uuid)]) {
        let from = self.anchor.unwrap_or(index);
        let (lo, hi) = (from.min(index), from.max(index));
        for (i, id) in row_ids {
            if (lo..=hi).contains(i) {
                self.ids.insert(*id);
            }
        }
        self.anchor = Some(index);
    }

    pub fn set_all(&mut self, ids: impl IntoIterator<Item = Uuid>) {
        self.ids = ids.into_iter().collect();
    }

    pub fn clear(&mut self) {
        self.ids.clear();
        self.anchor = None;
    }

    pub fn contains(&self, id: &Uuid) -> bool {
        self.ids.contains(id)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The rows to render for a scroll position: the visible ones plus the overscan, within `total`.
pub fn visible_rows(scroll_top: f64, viewport_height: f64, total: u32) -> Range<u32> {
    let first = (scroll_top.max(0.0) / ROW_HEIGHT).floor() as u32;
    let count = (viewport_height.max(0.0) / ROW_HEIGHT).ceil() as u32 + 1;
    let start = first.saturating_sub(OVERSCAN).min(total);
    let end = first.saturating_add(count).saturating_add(OVERSCAN).min(total);
    start..end
}

/// The pages (of `PAGE_SIZE` rows) that hold a range of rows.
pub fn pages_for(rows: &Range<u32>) -> Vec<u32> {
    if rows.is_empty() {
        return Vec::new();
    }
    (rows.start / PAGE_SIZE..=(rows.end - 1) / PAGE_SIZE).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<ColumnSpec> {
        vec![
            ColumnSpec::new("name", "Name", 200).sortable(),
            ColumnSpec::new("email", "Email", 200),
            ColumnSpec::new("city", "City", 100).hidden(),
            ColumnSpec::new("updated", "Updated", 100).sortable(),
        ]
    }

    #[test]
    fn sort_cycles_ascending_descending_default() {
        let mut view = ViewState::default();
        view.toggle_sort("name");
        assert_eq!((view.sort.as_deref(), view.descending), (Some("name"), false));
        view.toggle_sort("name");
        assert!(view.descending);
        view.toggle_sort("name");
        assert_eq!(view.sort, None);
        view.toggle_sort("name");
        view.toggle_sort("updated");
        assert_eq!((view.sort.as_deref(), view.descending), (Some("updated"), false));
    }

    #[test]
    fn columns_hide_and_come_back_in_place() {
        let all = cols();
        let mut view = ViewState::default();
        let keys = |v: &ViewState| v.visible(&all).iter().map(|c| c.key).collect::<Vec<_>>();
        assert_eq!(keys(&view), ["name", "email", "updated"]);
        view.toggle_column("city", &all);
        assert_eq!(keys(&view), ["name", "email", "city", "updated"]);
        view.toggle_column("email", &all);
        view.toggle_column("name", &all);
        view.toggle_column("city", &all);
        assert_eq!(keys(&view), ["updated"]);
        view.toggle_column("updated", &all);
        assert_eq!(keys(&view), ["updated"], "the last column stays");
        view.toggle_column("email", &all);
        assert_eq!(keys(&view), ["email", "updated"]);
    }

    #[test]
    fn filters_are_tracked_and_cleared() {
        let mut view = ViewState::default();
        assert!(!view.is_filtered());
        view.set_select("stage", "NEW");
        view.amount_min = "100".into();
        assert!(view.is_filtered());
        assert_eq!(view.select("stage"), Some("NEW"));
        view.set_select("stage", "");
        assert_eq!(view.select("stage"), None);
        view.clear_filters();
        assert!(!view.is_filtered());
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(serde_json::from_value::<ViewState>(json).unwrap(), view);
    }

    #[test]
    fn selection_toggles_and_extends_ranges() {
        let ids: Vec<(usize, Uuid)> = (0..6).map(|i| (i, Uuid::from_u128(i as u128 + 1))).collect();
        let mut sel = Selection::default();
        sel.toggle(ids[1].1, 1);
        sel.extend_to(4, &ids);
        assert_eq!(sel.len(), 4);
        sel.toggle(ids[2].1, 2);
        assert!(!sel.contains(&ids[2].1));
        sel.clear();
        assert!(sel.is_empty());
    }

    #[test]
    fn only_visible_rows_and_their_pages_are_needed() {
        // 100,000 rows, 720 px viewport, scrolled to row 50,000.
        let rows = visible_rows(50_000.0 * ROW_HEIGHT, 720.0, 100_000);
        assert_eq!(rows, 49_990..50_031);
        assert!(rows.len() < 60, "renders a screenful, not the table");
        assert_eq!(pages_for(&rows), [499, 500]);
        assert_eq!(visible_rows(0.0, 720.0, 5), 0..5);
        assert_eq!(visible_rows(10_000.0, 720.0, 0), 0..0);
        assert!(pages_for(&(0..0)).is_empty());
    }
}
