//! The record table used by People, Companies, Deals and Tasks: sortable columns, filters, a
//! column chooser, saved views, multi-select with bulk actions, inline editing with errors in
//! place, and virtual scrolling (only the visible rows are in the DOM, fetched by page).

use crate::components::controls::{Button, Checkbox, DatePicker, Input, Select, Tone};
use crate::components::display::{EmptyState, Skeleton};
use crate::components::overlay::Modal;
use crate::components::toasts::Notifier;
use crate::ipc::{EventSubscription, invoke, listen_core_events};
use crate::route::Route;
use crate::shell::ShellHandle;
use crate::state::table::{ColumnSpec, Edit, PAGE_SIZE, ROW_HEIGHT, Selection, ViewState, pages_for, visible_rows};
use dealdesk_model::ipc::{Bulk, CoreEvent, DeleteSavedView, ListSavedViews, SaveView};
use dealdesk_model::{ApiError, BulkAction, BulkRequest, NewSavedView, Page, RecordKind, SavedView};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;
use uuid::Uuid;
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;
use yew_router::prelude::*;

mod methods;
mod view;

/// What an empty list suggests: clearing the filters, or creating (and, for kinds a CSV can hold,
/// importing) records.
fn empty_hint(filtered: bool, importable: bool) -> &'static str {
    match (filtered, importable) {
        (true, _) => "Clear the filters to see everything.",
        (false, true) => "Create one with the button above, press n, or bring in a CSV file with Import.",
        (false, false) => "Create one with the button above, or press n.",
    }
}

/// A select filter and its choices.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterSpec {
    pub key: &'static str,
    pub label: &'static str,
    /// `(value, label)`; the empty value means "any".
    pub options: Vec<(String, String)>,
}

/// What a kind of record needs to be shown in a [`RecordTable`].
pub trait TableObject: 'static {
    type Record: Clone + PartialEq + 'static;
    const KIND: RecordKind;
    const TITLE: &'static str;
    /// "person", used in buttons and messages.
    const NOUN: &'static str;
    /// Label of the date range filter, if the kind has one.
    const DATE_FILTER: Option<&'static str> = None;
    const AMOUNT_FILTER: bool = false;
    /// Deals can move stage in bulk.
    const BULK_MOVE: bool = false;

    fn columns() -> Vec<ColumnSpec>;
    fn id(record: &Self::Record) -> Uuid;
    /// Display text of a cell.
    fn cell(record: &Self::Record, key: &str) -> String;
    /// The value an edit starts from (defaults to the display text).
    fn edit_value(record: &Self::Record, key: &str) -> String {
        Self::cell(record, key)
    }
    /// The record page the first column links to.
    fn route(record: &Self::Record) -> Option<Route>;
    fn filters() -> impl Future<Output = Vec<FilterSpec>>;
    fn fetch(view: ViewState, offset: u32, limit: u32) -> impl Future<Output = Result<Page<Self::Record>, ApiError>>;
    fn count(view: ViewState) -> impl Future<Output = Result<u64, ApiError>>;
    fn update(id: Uuid, key: &'static str, value: String) -> impl Future<Output = Result<Self::Record, ApiError>>;
}

pub enum Msg<R> {
    Scrolled,
    Counted {
        generation: u64,
        result: Result<u64, ApiError>,
    },
    Loaded {
        generation: u64,
        page: u32,
        result: Result<Page<R>, ApiError>,
    },
    View(ViewState),
    Sort(&'static str),
    ToggleColumn(&'static str),
    ToggleColumnMenu,
    FiltersLoaded(Vec<FilterSpec>),
    ViewsLoaded(Vec<SavedView>),
    /// After saving: the views, and the saved one, which becomes the active view.
    ViewsSaved(Vec<SavedView>, Option<String>),
    ApplyView(String),
    AskViewName(bool),
    ViewName(String),
    ShareView(bool),
    SaveView,
    DeleteView,
    Select {
        id: Uuid,
        index: usize,
        shift: bool,
    },
    SelectAll(bool),
    ClearSelection,
    Bulk(BulkAction),
    BulkDone(Result<u64, ApiError>, BulkAction, Vec<Uuid>),
    AskTag(bool),
    TagName(String),
    StartEdit {
        id: Uuid,
        key: &'static str,
    },
    EditInput(String),
    CommitEdit,
    CancelEdit,
    Edited(Uuid, &'static str, Result<R, ApiError>),
    Focus(usize, usize),
    Key(KeyboardEvent),
    CoreChanged,
    Subscribed(Rc<EventSubscription>),
}

#[derive(Properties, PartialEq)]
pub struct RecordTableProps {
    /// Shown above the filters (a "New" button, a board switch).
    #[prop_or_default]
    pub actions: Html,
    /// The filters, sort and columns the table opens with (a link to a filtered list).
    #[prop_or_default]
    pub initial: Option<ViewState>,
}

struct Editing {
    id: Uuid,
    key: &'static str,
    value: String,
    error: Option<String>,
    saving: bool,
}

pub struct RecordTable<O: TableObject> {
    view: ViewState,
    generation: u64,
    total: Option<u64>,
    pages: HashMap<u32, Vec<O::Record>>,
    requested: HashSet<u32>,
    error: Option<String>,
    scroll_top: f64,
    viewport: f64,
    body: NodeRef,
    selection: Selection,
    editing: Option<Editing>,
    focus: Option<(usize, usize)>,
    filters: Vec<FilterSpec>,
    views: Vec<SavedView>,
    active_view: String,
    naming_view: Option<String>,
    /// The "share with the team" box of the save-view dialog.
    share_view: bool,
    naming_tag: Option<String>,
    columns_open: bool,
    /// Filters, saved views and live updates were requested (after the first page).
    started: bool,
    /// A stand-in for the count while it loads.
    provisional_total: Option<u64>,
    _subscription: Option<Rc<EventSubscription>>,
    _marker: PhantomData<O>,
}

fn grid_style(columns: &[&ColumnSpec]) -> String {
    // Widths are proportions, so the columns always fit the table; hiding one widens the others.
    let widths: Vec<String> = columns.iter().map(|c| format!("minmax(48px, {}fr)", c.width)).collect();
    format!("grid-template-columns: 36px {};", widths.join(" "))
}
