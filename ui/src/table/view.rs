//! RecordTable as a component: its messages and its view.

use super::*;

impl<O: TableObject> Component for RecordTable<O> {
    type Message = Msg<O::Record>;
    type Properties = RecordTableProps;

    fn create(ctx: &Context<Self>) -> Self {
        crate::perf::mark_once("table-create");
        let mut table = RecordTable {
            view: ctx.props().initial.clone().unwrap_or_default(),
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
            share_view: false,
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
                self.share_view = self.views.iter().any(|v| v.shared && v.id.to_string() == self.active_view);
                true
            }
            Msg::ShareView(shared) => {
                self.share_view = shared;
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
                let new =
                    NewSavedView { object: O::KIND, name, state: self.view_state_json(), shared: self.share_view };
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
                        <div class="tbody" role="rowgroup" ref={self.body.clone()} onscroll={link.callback(|_| Msg::Scrolled)} tabindex="0">
                            <div class="tspacer" role="presentation" style={format!("height: {}px", total as f64 * ROW_HEIGHT)}>
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
                                                        <Checkbox checked={checked} aria_label={AttrValue::from("Select this row")}
                                                            on_change={link.callback(move |(_, shift)| Msg::Select { id, index: i, shift })} />
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
                        <Checkbox id="view-shared" checked={self.share_view} label={AttrValue::from("Share with your team workspace")}
                            on_change={link.callback(|(shared, _)| Msg::ShareView(shared))} />
                        <p class="muted">{ "A shared view appears on every desktop of the workspace; otherwise it stays on this one." }</p>
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
