//! The record table used by People, Companies, Deals and Tasks: sortable columns, filters, a
//! column chooser, saved views, multi-select with bulk actions, inline editing with errors in
//! place, and virtual scrolling (only the visible rows are in the DOM, fetched by page).

use crate::app::Route;
use crate::components::controls::{Button, Checkbox, DatePicker, Input, Select, Tone};
use crate::components::display::{EmptyState, Skeleton};
use crate::components::overlay::Modal;
use crate::components::toasts::Notifier;
use crate::ipc::{EventSubscription, invoke, listen_core_events};
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
    naming_tag: Option<String>,
    columns_open: bool,
    /// Filters, saved views and live updates were requested (after the first page).
    started: bool,
    /// A stand-in for the count while it loads.
    provisional_total: Option<u64>,
    _subscription: Option<Rc<EventSubscription>>,
    _marker: PhantomData<O>,
}

impl<O: TableObject> RecordTable<O> {
    fn row(&self, index: u32) -> Option<&O::Record> {
        self.pages.get(&(index / PAGE_SIZE)).and_then(|rows| rows.get((index % PAGE_SIZE) as usize))
    }

    /// Starts over: new generation, empty cache, a fresh count and the visible pages.
    fn reload(&mut self, ctx: &Context<Self>, keep_rows: bool) {
        self.generation += 1;
        if !keep_rows {
            self.pages.clear();
        }
        self.requested.clear();
        let generation = self.generation;
        let view = self.view.clone();
        ctx.link().send_future(async move { Msg::Counted { generation, result: O::count(view).await } });
        self.fetch_visible(ctx);
    }

    fn fetch_visible(&mut self, ctx: &Context<Self>) {
        let total = self.total.map_or(PAGE_SIZE, |t| t.min(u64::from(u32::MAX)) as u32);
        let rows = visible_rows(self.scroll_top, self.viewport.max(ROW_HEIGHT * 20.0), total.max(1));
        for page in pages_for(&rows) {
            if self.requested.insert(page) {
                let (generation, view) = (self.generation, self.view.clone());
                ctx.link().send_future(async move {
                    let result = O::fetch(view, page * PAGE_SIZE, PAGE_SIZE).await;
                    Msg::Loaded { generation, page, result }
                });
            }
        }
    }

    fn loaded_rows(&self) -> Vec<(usize, Uuid)> {
        let mut rows: Vec<(usize, Uuid)> = self
            .pages
            .iter()
            .flat_map(|(page, records)| {
                records.iter().enumerate().map(move |(i, r)| ((*page * PAGE_SIZE) as usize + i, O::id(r)))
            })
            .collect();
        rows.sort_unstable();
        rows
    }

    /// Filters, saved views and the live-update subscription: not needed for the first paint.
    fn start_extras(&self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        ctx.link().send_future(async move {
            let on_change = link.callback(|_: ()| Msg::CoreChanged);
            let kind = O::KIND;
            let subscription = listen_core_events(move |event| {
                let touched = match event {
                    CoreEvent::RecordChanged { record, .. } => record.kind == kind,
                    CoreEvent::RecordsChanged { kind: changed, .. } => changed == kind,
                    CoreEvent::ConfigChanged => true,
                    CoreEvent::WhopSync { .. }
                    | CoreEvent::WhopChanged
                    | CoreEvent::WhopLoginFailed { .. }
                    | CoreEvent::OutboxChanged { .. }
                    | CoreEvent::OutboxRejected { .. }
                    | CoreEvent::AiChanged { .. }
                    | CoreEvent::WorkflowsChanged
                    | CoreEvent::ContractsChanged { .. }
                    | CoreEvent::BackupsChanged
                    | CoreEvent::RestartRequired => false,
                };
                if touched {
                    on_change.emit(());
                }
            })
            .await;
            match subscription {
                Ok(sub) => Msg::Subscribed(Rc::new(sub)),
                Err(_) => Msg::Scrolled,
            }
        });
        ctx.link().send_future(async { Msg::FiltersLoaded(O::filters().await) });
        ctx.link()
            .send_future(async { Msg::ViewsLoaded(invoke::<ListSavedViews>(&O::KIND).await.unwrap_or_default()) });
    }

    fn notifier(ctx: &Context<Self>) -> Option<Notifier> {
        ctx.link().context::<Notifier>(Callback::noop()).map(|(n, _)| n)
    }

    fn view_state_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.view).unwrap_or_default()
    }

    fn header(&self, ctx: &Context<Self>, columns: &[&ColumnSpec]) -> Html {
        let link = ctx.link();
        let loaded: Vec<Uuid> = self.loaded_rows().into_iter().map(|(_, id)| id).collect();
        let all_checked = !loaded.is_empty() && loaded.iter().all(|id| self.selection.contains(id));
        html! {
            <div class="thead tr" role="row" style={grid_style(columns)}>
                <div class="td check" role="columnheader">
                    <Checkbox checked={all_checked} on_change={link.callback(|(checked, _)| Msg::SelectAll(checked))} />
                </div>
                { for columns.iter().map(|c| {
                    let sorted = self.view.sort.as_deref() == Some(c.key);
                    let aria = if sorted { if self.view.descending { "descending" } else { "ascending" } } else { "none" };
                    let arrow = if sorted { if self.view.descending { " ↓" } else { " ↑" } } else { "" };
                    let key = c.key;
                    let onclick = c.sortable.then(|| link.callback(move |_| Msg::Sort(key)));
                    html! {
                        <div class={classes!("td", "th", c.sortable.then_some("sortable"), c.numeric.then_some("num"))}
                            role="columnheader" aria-sort={aria} data-col={c.key} {onclick}>
                            { c.label }{ arrow }
                        </div>
                    }
                }) }
            </div>
        }
    }

    fn filters_bar(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let view = self.view.clone();
        let set_text = {
            let view = view.clone();
            link.callback(move |text: String| Msg::View(ViewState { text, ..view.clone() }))
        };
        html! {
            <div class="filters">
                <div class="filter-text">
                    <Input id="filter-text" value={view.text.clone()} placeholder={format!("Filter {}…", O::TITLE.to_lowercase())}
                        on_change={set_text} />
                </div>
                { for self.filters.iter().map(|f| {
                    let view = view.clone();
                    let key = f.key;
                    let options: Vec<(AttrValue, AttrValue)> = std::iter::once((AttrValue::from(""), AttrValue::from(format!("Any {}", f.label.to_lowercase()))))
                        .chain(f.options.iter().map(|(v, l)| (AttrValue::from(v.clone()), AttrValue::from(l.clone()))))
                        .collect();
                    html! {
                        <Select id={format!("filter-{key}")} value={view.select(key).unwrap_or("").to_string()} {options}
                            on_change={link.callback(move |value: String| {
                                let mut next = view.clone();
                                next.set_select(key, &value);
                                Msg::View(next)
                            })} />
                    }
                }) }
                if let Some(label) = O::DATE_FILTER {
                    <span class="filter-label">{ label }</span>
                    <DatePicker id="filter-from" value={view.date_from} on_change={{
                        let view = view.clone();
                        link.callback(move |d| Msg::View(ViewState { date_from: d, ..view.clone() }))
                    }} />
                    <span class="filter-dash">{ "–" }</span>
                    <DatePicker id="filter-to" value={view.date_to} on_change={{
                        let view = view.clone();
                        link.callback(move |d| Msg::View(ViewState { date_to: d, ..view.clone() }))
                    }} />
                }
                if O::AMOUNT_FILTER {
                    <div class="filter-amount">
                        <Input id="filter-amount-min" value={view.amount_min.clone()} placeholder="Min amount" on_change={{
                            let view = view.clone();
                            link.callback(move |v| Msg::View(ViewState { amount_min: v, ..view.clone() }))
                        }} />
                    </div>
                    <div class="filter-amount">
                        <Input id="filter-amount-max" value={view.amount_max.clone()} placeholder="Max amount" on_change={{
                            let view = view.clone();
                            link.callback(move |v| Msg::View(ViewState { amount_max: v, ..view.clone() }))
                        }} />
                    </div>
                }
                if view.is_filtered() {
                    <Button tone={Tone::Ghost} small=true onclick={{
                        let view = view.clone();
                        link.callback(move |_| { let mut next = view.clone(); next.clear_filters(); Msg::View(next) })
                    }}>{ "Clear filters" }</Button>
                }
            </div>
        }
    }

    fn toolbar(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let all = O::columns();
        let visible: Vec<&'static str> = self.view.visible(&all).iter().map(|c| c.key).collect();
        let mut views: Vec<(AttrValue, AttrValue)> = vec![("".into(), "All records".into())];
        views.extend(self.views.iter().map(|v| (AttrValue::from(v.id.to_string()), AttrValue::from(v.name.clone()))));
        html! {
            <div class="toolbar">
                <Select id="saved-view" value={self.active_view.clone()} options={views} on_change={link.callback(Msg::ApplyView)} />
                <Button small=true id="save-view" onclick={link.callback(|_| Msg::AskViewName(true))}>{ "Save view" }</Button>
                if !self.active_view.is_empty() {
                    <Button small=true tone={Tone::Ghost} onclick={link.callback(|_| Msg::DeleteView)}>{ "Delete view" }</Button>
                }
                <div class="menu-anchor">
                    <Button small=true id="columns-button" onclick={link.callback(|_| Msg::ToggleColumnMenu)}>{ "Columns" }</Button>
                    if self.columns_open {
                        <div class="menu" id="columns-menu">
                            { for all.iter().map(|c| {
                                let key = c.key;
                                html! {
                                    <Checkbox checked={visible.contains(&key)} label={AttrValue::from(c.label)}
                                        on_change={link.callback(move |_| Msg::ToggleColumn(key))} />
                                }
                            }) }
                        </div>
                    }
                </div>
            </div>
        }
    }

    fn bulk_bar(&self, ctx: &Context<Self>) -> Html {
        if self.selection.is_empty() {
            return html! {};
        }
        let link = ctx.link();
        let stages = self.filters.iter().find(|f| f.key == "stage").map(|f| f.options.clone()).unwrap_or_default();
        let mut stage_options: Vec<(AttrValue, AttrValue)> = vec![("".into(), "Move to stage…".into())];
        stage_options.extend(stages.into_iter().map(|(v, l)| (AttrValue::from(v), AttrValue::from(l))));
        html! {
            <div class="bulkbar" role="toolbar" aria-label="Bulk actions">
                <span id="selection-count">{ format!("{} selected", self.selection.len()) }</span>
                <Button small=true id="bulk-tag" onclick={link.callback(|_| Msg::AskTag(true))}>{ "Tag" }</Button>
                if O::BULK_MOVE {
                    <Select id="bulk-move" value="" options={stage_options}
                        on_change={link.callback(|stage: String| Msg::Bulk(BulkAction::MoveStage { stage }))} />
                }
                <Button small=true tone={Tone::Danger} id="bulk-delete" onclick={link.callback(|_| Msg::Bulk(BulkAction::Trash))}>{ "Delete" }</Button>
                <Button small=true tone={Tone::Ghost} onclick={link.callback(|_| Msg::ClearSelection)}>{ "Clear" }</Button>
            </div>
        }
    }

    fn cell(
        &self,
        ctx: &Context<Self>,
        record: &O::Record,
        index: usize,
        col_index: usize,
        column: &ColumnSpec,
    ) -> Html {
        let link = ctx.link();
        let id = O::id(record);
        let key = column.key;
        let focused = self.focus == Some((index, col_index));
        if let Some(editing) = self.editing.as_ref().filter(|e| e.id == id && e.key == key) {
            let kind = match column.edit {
                Edit::Email => "email",
                Edit::Date => "date",
                _ => "text",
            };
            return html! {
                <div class={classes!("td", "editing", editing.error.is_some().then_some("invalid"))} role="gridcell" data-col={key}>
                    <input class="cell-input" type={kind} value={editing.value.clone()} aria-invalid={editing.error.is_some().to_string()}
                        disabled={editing.saving}
                        oninput={link.callback(|e: InputEvent| Msg::EditInput(e.target_unchecked_into::<HtmlInputElement>().value()))}
                        onkeydown={link.callback(|e: KeyboardEvent| match e.key().as_str() {
                            "Enter" => { e.prevent_default(); Msg::CommitEdit }
                            "Escape" => { e.stop_propagation(); Msg::CancelEdit }
                            _ => Msg::Key(e),
                        })}
                        onblur={link.callback(|_| Msg::CommitEdit)} />
                </div>
            };
        }
        let text = O::cell(record, key);
        let editable = column.edit != Edit::None;
        let ondblclick = editable.then(|| link.callback(move |_| Msg::StartEdit { id, key }));
        let onclick = link.callback(move |_| Msg::Focus(index, col_index));
        let content = match (col_index, O::route(record)) {
            (0, Some(route)) => html! { <Link<Route> to={route} classes="cell-link">{ text.clone() }</Link<Route>> },
            _ => html! { <span class="cell-text">{ text.clone() }</span> },
        };
        html! {
            <div class={classes!("td", column.numeric.then_some("num"), focused.then_some("focused"), editable.then_some("editable"))}
                role="gridcell" data-col={key} title={text} {ondblclick} {onclick}>
                { content }
            </div>
        }
    }
}

fn grid_style(columns: &[&ColumnSpec]) -> String {
    // Widths are proportions, so the columns always fit the table; hiding one widens the others.
    let widths: Vec<String> = columns.iter().map(|c| format!("minmax(48px, {}fr)", c.width)).collect();
    format!("grid-template-columns: 36px {};", widths.join(" "))
}

impl<O: TableObject> Component for RecordTable<O> {
    type Message = Msg<O::Record>;
    type Properties = RecordTableProps;

    fn create(ctx: &Context<Self>) -> Self {
        crate::perf::mark_once("table-create");
        let mut table = RecordTable {
            view: ViewState::default(),
            generation: 0,
            total: None,
            pages: HashMap::new(),
            requested: HashSet::new(),
            error: None,
            scroll_top: 0.0,
            viewport: 0.0,
            body: NodeRef::default(),
            selection: Selection::default(),
            editing: None,
            focus: None,
            filters: Vec::new(),
            views: Vec::new(),
            active_view: String::new(),
            naming_view: None,
            naming_tag: None,
            columns_open: false,
            started: false,
            provisional_total: None,
            _subscription: None,
            _marker: PhantomData,
        };
        // The first rows come first; filters, saved views and live updates follow them.
        table.reload(ctx, false);
        table
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Subscribed(sub) => {
                self._subscription = Some(sub);
                false
            }
            Msg::Scrolled => {
                if let Some(body) = self.body.cast::<HtmlElement>() {
                    self.scroll_top = f64::from(body.scroll_top());
                    self.viewport = f64::from(body.client_height());
                }
                self.fetch_visible(ctx);
                true
            }
            Msg::Counted { generation, result } => {
                if generation != self.generation {
                    return false;
                }
                crate::perf::mark_once("count-answered");
                match result {
                    Ok(total) => self.total = Some(total),
                    Err(e) => self.error = Some(e.message),
                }
                self.fetch_visible(ctx);
                true
            }
            Msg::Loaded { generation, page, result } => {
                if generation != self.generation {
                    return false;
                }
                if page == 0 && !self.started {
                    crate::perf::mark_once("first-page-answered");
                    self.started = true;
                    self.start_extras(ctx);
                }
                match result {
                    Ok(loaded) => {
                        // Rows can show before the count arrives: assume the first page is all
                        // there is (or one more page) until the count says otherwise.
                        if self.total.is_none() && page == 0 {
                            let more = if loaded.next_cursor.is_some() { PAGE_SIZE } else { 0 };
                            self.provisional_total = Some(loaded.items.len() as u64 + u64::from(more));
                        }
                        self.pages.insert(page, loaded.items);
                        self.error = None;
                    }
                    Err(e) => {
                        self.requested.remove(&page);
                        self.error = Some(e.message);
                    }
                }
                true
            }
            Msg::View(view) => {
                self.view = view;
                self.provisional_total = None;
                self.selection.clear();
                self.reload(ctx, false);
                if let Some(body) = self.body.cast::<HtmlElement>() {
                    body.set_scroll_top(0);
                }
                self.scroll_top = 0.0;
                true
            }
            Msg::Sort(key) => {
                let mut view = self.view.clone();
                view.toggle_sort(key);
                ctx.link().send_message(Msg::View(view));
                false
            }
            Msg::ToggleColumn(key) => {
                self.view.toggle_column(key, &O::columns());
                true
            }
            Msg::ToggleColumnMenu => {
                self.columns_open = !self.columns_open;
                true
            }
            Msg::FiltersLoaded(filters) => {
                self.filters = filters;
                true
            }
            Msg::ViewsLoaded(views) => {
                self.views = views;
                true
            }
            Msg::ViewsSaved(views, active) => {
                self.views = views;
                if let Some(active) = active {
                    self.active_view = active;
                }
                true
            }
            Msg::ApplyView(id) => {
                self.active_view = id.clone();
                let state = self
                    .views
                    .iter()
                    .find(|v| v.id.to_string() == id)
                    .and_then(|v| serde_json::from_value::<ViewState>(v.state.clone()).ok())
                    .unwrap_or_default();
                ctx.link().send_message(Msg::View(state));
                true
            }
            Msg::AskViewName(open) => {
                self.naming_view = open.then(String::new);
                true
            }
            Msg::ViewName(name) => {
                self.naming_view = Some(name);
                true
            }
            Msg::SaveView => {
                let Some(name) = self.naming_view.take().filter(|n| !n.trim().is_empty()) else {
                    return true;
                };
                let new = NewSavedView { object: O::KIND, name, state: self.view_state_json() };
                let notifier = Self::notifier(ctx);
                ctx.link().send_future(async move {
                    let active = match invoke::<SaveView>(&new).await {
                        Ok(saved) => {
                            if let Some(n) = notifier {
                                n.success(format!("Saved view “{}”", saved.name));
                            }
                            Some(saved.id.to_string())
                        }
                        Err(e) => {
                            if let Some(n) = notifier {
                                n.error(e.message);
                            }
                            None
                        }
                    };
                    Msg::ViewsSaved(invoke::<ListSavedViews>(&O::KIND).await.unwrap_or_default(), active)
                });
                true
            }
            Msg::DeleteView => {
                let Ok(id) = Uuid::parse_str(&self.active_view) else {
                    return false;
                };
                self.active_view.clear();
                ctx.link().send_future(async move {
                    let _ = invoke::<DeleteSavedView>(&id).await;
                    Msg::ViewsLoaded(invoke::<ListSavedViews>(&O::KIND).await.unwrap_or_default())
                });
                true
            }
            Msg::Select { id, index, shift } => {
                if shift {
                    let rows = self.loaded_rows();
                    self.selection.extend_to(index, &rows);
                } else {
                    self.selection.toggle(id, index);
                }
                true
            }
            Msg::SelectAll(checked) => {
                if checked {
                    let ids: Vec<Uuid> = self.loaded_rows().into_iter().map(|(_, id)| id).collect();
                    self.selection.set_all(ids);
                } else {
                    self.selection.clear();
                }
                true
            }
            Msg::ClearSelection => {
                self.selection.clear();
                true
            }
            Msg::AskTag(open) => {
                self.naming_tag = open.then(String::new);
                true
            }
            Msg::TagName(tag) => {
                self.naming_tag = Some(tag);
                true
            }
            Msg::Bulk(action) => {
                if let BulkAction::MoveStage { stage } = &action
                    && stage.is_empty()
                {
                    return false;
                }
                let action = match action {
                    BulkAction::Tag { .. } => match self.naming_tag.take().filter(|t| !t.trim().is_empty()) {
                        Some(tag) => BulkAction::Tag { tag },
                        None => return true,
                    },
                    other => other,
                };
                let ids: Vec<Uuid> = self.selection.ids.iter().copied().collect();
                let request = BulkRequest { kind: O::KIND, ids: ids.clone(), action: action.clone() };
                ctx.link().send_future(async move {
                    let result = invoke::<Bulk>(&request).await.map(|r| r.changed);
                    Msg::BulkDone(result, action, ids)
                });
                true
            }
            Msg::BulkDone(result, action, ids) => {
                let notifier = Self::notifier(ctx);
                match (result, notifier) {
                    (Ok(changed), Some(n)) => {
                        let noun = if changed == 1 { O::NOUN.to_string() } else { O::TITLE.to_lowercase() };
                        match action {
                            BulkAction::Trash => {
                                // Undo restores exactly what was deleted, even if the selection changed.
                                let restore_ids = ids.clone();
                                let kind = O::KIND;
                                let notifier = n.clone();
                                n.with_action(
                                    format!("Deleted {changed} {noun}"),
                                    "Undo",
                                    Callback::from(move |_| {
                                        let request =
                                            BulkRequest { kind, ids: restore_ids.clone(), action: BulkAction::Restore };
                                        let notifier = notifier.clone();
                                        wasm_bindgen_futures::spawn_local(async move {
                                            match invoke::<Bulk>(&request).await {
                                                Ok(r) => notifier.success(format!("Restored {}", r.changed)),
                                                Err(e) => notifier.error(e.message),
                                            }
                                        });
                                    }),
                                );
                            }
                            BulkAction::Restore => n.success(format!("Restored {changed} {noun}")),
                            BulkAction::Tag { tag } => n.success(format!("Tagged {changed} {noun} “{tag}”")),
                            BulkAction::Untag { tag } => n.success(format!("Removed “{tag}” from {changed} {noun}")),
                            BulkAction::MoveStage { stage } => n.success(format!("Moved {changed} {noun} to {stage}")),
                        }
                    }
                    (Err(e), Some(n)) => n.error(e.message),
                    _ => {}
                }
                self.selection.clear();
                self.reload(ctx, true);
                true
            }
            Msg::StartEdit { id, key } => {
                let record = self.pages.values().flatten().find(|r| O::id(r) == id).cloned();
                if let Some(record) = record {
                    self.editing =
                        Some(Editing { id, key, value: O::edit_value(&record, key), error: None, saving: false });
                }
                true
            }
            Msg::EditInput(value) => {
                if let Some(editing) = self.editing.as_mut() {
                    editing.value = value;
                    editing.error = None;
                }
                true
            }
            Msg::CommitEdit => {
                let Some(editing) = self.editing.as_mut().filter(|e| !e.saving) else {
                    return false;
                };
                let record = self.pages.values().flatten().find(|r| O::id(r) == editing.id).cloned();
                if record.is_some_and(|r| O::edit_value(&r, editing.key) == editing.value) {
                    self.editing = None;
                    return true;
                }
                editing.saving = true;
                let (id, key, value) = (editing.id, editing.key, editing.value.clone());
                ctx.link().send_future(async move { Msg::Edited(id, key, O::update(id, key, value).await) });
                true
            }
            Msg::CancelEdit => {
                self.editing = None;
                true
            }
            Msg::Edited(id, key, result) => {
                match result {
                    Ok(record) => {
                        for rows in self.pages.values_mut() {
                            if let Some(slot) = rows.iter_mut().find(|r| O::id(r) == id) {
                                *slot = record.clone();
                            }
                        }
                        self.editing = None;
                    }
                    Err(error) => {
                        if let Some(editing) = self.editing.as_mut().filter(|e| e.id == id && e.key == key) {
                            editing.saving = false;
                            editing.error = Some(error.message);
                        }
                    }
                }
                true
            }
            Msg::Focus(row, col) => {
                self.focus = Some((row, col));
                true
            }
            Msg::Key(e) => {
                let Some((row, col)) = self.focus else {
                    return false;
                };
                let columns = self.view.visible(&O::columns()).len();
                let total = self.total.unwrap_or(0) as usize;
                let next = match e.key().as_str() {
                    "ArrowDown" => Some(((row + 1).min(total.saturating_sub(1)), col)),
                    "ArrowUp" => Some((row.saturating_sub(1), col)),
                    "ArrowRight" => Some((row, (col + 1).min(columns.saturating_sub(1)))),
                    "ArrowLeft" => Some((row, col.saturating_sub(1))),
                    "Enter" => {
                        let column = self.view.visible(&O::columns()).get(col).map(|c| (c.key, c.edit));
                        if let (Some((key, edit)), Some(record)) = (column, self.row(row as u32))
                            && edit != Edit::None
                        {
                            let id = O::id(record);
                            ctx.link().send_message(Msg::StartEdit { id, key });
                        }
                        None
                    }
                    _ => None,
                };
                if let Some(focus) = next {
                    e.prevent_default();
                    self.focus = Some(focus);
                    if let Some(body) = self.body.cast::<HtmlElement>() {
                        let top = focus.0 as f64 * ROW_HEIGHT;
                        let view = f64::from(body.client_height());
                        let current = f64::from(body.scroll_top());
                        if top < current {
                            body.set_scroll_top(top as i32);
                        } else if top + ROW_HEIGHT > current + view {
                            body.set_scroll_top((top + ROW_HEIGHT - view) as i32);
                        }
                    }
                    return true;
                }
                false
            }
            Msg::CoreChanged => {
                // Keep what is on screen while the fresh rows load, so nothing flickers.
                if self.editing.as_ref().is_some_and(|e| e.saving || e.error.is_none()) {
                    return false;
                }
                ctx.link().send_future(async { Msg::FiltersLoaded(O::filters().await) });
                ctx.link().send_future(async {
                    Msg::ViewsLoaded(invoke::<ListSavedViews>(&O::KIND).await.unwrap_or_default())
                });
                self.reload(ctx, true);
                false
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let all = O::columns();
        let columns = self.view.visible(&all);
        let shown_total = self.total.or(self.provisional_total);
        let total = shown_total.unwrap_or(0);
        let rows =
            visible_rows(self.scroll_top, self.viewport.max(ROW_HEIGHT * 20.0), total.min(u64::from(u32::MAX)) as u32);
        let style = grid_style(&columns);
        let shell = ctx.link().context::<ShellHandle>(Callback::noop()).map(|(s, _)| s);
        let import_button = shell.as_ref().zip(crate::state::import::object_of(O::KIND)).map(|(s, object)| {
            let import = s.import.clone();
            html! {
                <Button id={format!("import-{}", O::NOUN)} class="import-open" title={AttrValue::from(format!("Import {} from a CSV file", O::TITLE.to_lowercase()))}
                    onclick={Callback::from(move |_| import.emit(object))}>{ "Import" }</Button>
            }
        });
        let new_button = shell.map(|s| {
            let kind = O::KIND;
            html! { <Button tone={Tone::Primary} id={format!("new-{}", O::NOUN)} onclick={Callback::from(move |_| s.create.emit(kind))}>{ format!("New {}", O::NOUN) }</Button> }
        });
        html! {
            <section class="page table-page" onkeydown={link.callback(Msg::Key)}>
                <header class="page-header">
                    <h1>{ O::TITLE }</h1>
                    <span class="count" id="record-count">{ self.total.map(|t| t.to_string()).unwrap_or_default() }</span>
                    <div class="spacer" />
                    { ctx.props().actions.clone() }
                    { self.toolbar(ctx) }
                    { import_button.unwrap_or_default() }
                    { new_button.unwrap_or_default() }
                </header>
                { self.filters_bar(ctx) }
                { self.bulk_bar(ctx) }
                if let Some(error) = self.editing.as_ref().and_then(|e| e.error.clone()) {
                    // Shown above the table: a message under the cell would be clipped by the
                    // scrolling rows. The cell itself is outlined in red.
                    <div class="cell-error" role="alert">{ error }</div>
                }
                if let Some(error) = &self.error {
                    <div class="banner error" role="alert">{ error.clone() }</div>
                }
                if shown_total == Some(0) {
                    <EmptyState title={if self.view.is_filtered() { format!("No {} match these filters", O::TITLE.to_lowercase()) } else { format!("No {} yet", O::TITLE.to_lowercase()) }}
                        hint={AttrValue::from(empty_hint(self.view.is_filtered(), crate::state::import::object_of(O::KIND).is_some()))} />
                } else if shown_total.is_none() {
                    <Skeleton rows={8} />
                } else {
                    <div class="table" role="grid" aria-rowcount={total.to_string()} id={format!("{}-table", O::TITLE.to_lowercase())}>
                        { self.header(ctx, &columns) }
                        <div class="tbody" ref={self.body.clone()} onscroll={link.callback(|_| Msg::Scrolled)} tabindex="0">
                            <div class="tspacer" style={format!("height: {}px", total as f64 * ROW_HEIGHT)}>
                                { for rows.clone().map(|index| {
                                    let top = f64::from(index) * ROW_HEIGHT;
                                    match self.row(index) {
                                        Some(record) => {
                                            let id = O::id(record);
                                            let checked = self.selection.contains(&id);
                                            let i = index as usize;
                                            html! {
                                                <div key={id.to_string()} class={classes!("tr", checked.then_some("selected"))} role="row"
                                                    data-id={id.to_string()} data-index={index.to_string()}
                                                    style={format!("{style} top: {top}px;")}>
                                                    <div class="td check" role="gridcell">
                                                        <Checkbox checked={checked} on_change={link.callback(move |(_, shift)| Msg::Select { id, index: i, shift })} />
                                                    </div>
                                                    { for columns.iter().enumerate().map(|(c, column)| self.cell(ctx, record, i, c, column)) }
                                                </div>
                                            }
                                        }
                                        None => html! {
                                            <div key={format!("loading-{index}")} class="tr loading" role="row" style={format!("{style} top: {top}px;")}>
                                                <div class="td check" />
                                                <div class="td"><div class="skeleton-line" /></div>
                                            </div>
                                        },
                                    }
                                }) }
                            </div>
                        </div>
                    </div>
                }
                if let Some(name) = &self.naming_view {
                    <Modal title="Save this view" on_close={link.callback(|_| Msg::AskViewName(false))}
                        footer={html! { <Button tone={Tone::Primary} id="save-view-confirm" onclick={link.callback(|_| Msg::SaveView)}>{ "Save" }</Button> }}>
                        <Input id="view-name" label={AttrValue::from("Name")} value={name.clone()} autofocus=true
                            on_change={link.callback(Msg::ViewName)} on_enter={link.callback(|_| Msg::SaveView)} />
                    </Modal>
                }
                if let Some(tag) = &self.naming_tag {
                    <Modal title={format!("Tag {} {}", self.selection.len(), O::TITLE.to_lowercase())} on_close={link.callback(|_| Msg::AskTag(false))}
                        footer={html! { <Button tone={Tone::Primary} id="bulk-tag-confirm" onclick={link.callback(|_| Msg::Bulk(BulkAction::Tag { tag: String::new() }))}>{ "Add tag" }</Button> }}>
                        <Input id="bulk-tag-name" label={AttrValue::from("Tag")} value={tag.clone()} autofocus=true
                            on_change={link.callback(Msg::TagName)} on_enter={link.callback(|_| Msg::Bulk(BulkAction::Tag { tag: String::new() }))} />
                    </Modal>
                }
            </section>
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            crate::perf::mark_once("table-rendered");
        }
        if let Some(body) = self.body.cast::<HtmlElement>() {
            let height = f64::from(body.client_height());
            if (height - self.viewport).abs() > 1.0 {
                self.viewport = height;
                ctx.link().send_message(Msg::Scrolled);
            }
        }
        if first_render {
            crate::perf::mark_after_paint("table-mounted");
        }
        // The first page painted, rows or the empty state (an empty database's first paint).
        if self.pages.contains_key(&0) {
            crate::perf::first_content_painted();
        }
    }
}
