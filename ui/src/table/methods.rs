//! RecordTable's state: loading pages, sorting, filters, views, selection and edits.

use super::*;

impl<O: TableObject> RecordTable<O> {
    pub(super) fn row(&self, index: u32) -> Option<&O::Record> {
        self.pages.get(&(index / PAGE_SIZE)).and_then(|rows| rows.get((index % PAGE_SIZE) as usize))
    }

    /// Starts over: new generation, empty cache, a fresh count and the visible pages.
    pub(super) fn reload(&mut self, ctx: &Context<Self>, keep_rows: bool) {
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

    pub(super) fn fetch_visible(&mut self, ctx: &Context<Self>) {
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

    pub(super) fn loaded_rows(&self) -> Vec<(usize, Uuid)> {
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
    pub(super) fn start_extras(&self, ctx: &Context<Self>) {
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
                    | CoreEvent::TeamChanged { .. }
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

    pub(super) fn notifier(ctx: &Context<Self>) -> Option<Notifier> {
        ctx.link().context::<Notifier>(Callback::noop()).map(|(n, _)| n)
    }

    pub(super) fn view_state_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.view).unwrap_or_default()
    }

    pub(super) fn header(&self, ctx: &Context<Self>, columns: &[&ColumnSpec]) -> Html {
        let link = ctx.link();
        let loaded: Vec<Uuid> = self.loaded_rows().into_iter().map(|(_, id)| id).collect();
        let all_checked = !loaded.is_empty() && loaded.iter().all(|id| self.selection.contains(id));
        html! {
            <div class="thead tr" role="row" style={grid_style(columns)}>
                <div class="td check" role="columnheader">
                    <Checkbox checked={all_checked} aria_label={AttrValue::from("Select every row")} on_change={link.callback(|(checked, _)| Msg::SelectAll(checked))} />
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

    pub(super) fn filters_bar(&self, ctx: &Context<Self>) -> Html {
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
                            aria_label={AttrValue::from(format!("Filter by {}", f.label.to_lowercase()))}
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

    pub(super) fn toolbar(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let all = O::columns();
        let visible: Vec<&'static str> = self.view.visible(&all).iter().map(|c| c.key).collect();
        let mut views: Vec<(AttrValue, AttrValue)> = vec![("".into(), "All records".into())];
        views.extend(self.views.iter().map(|v| {
            let name = if v.shared { format!("{} · shared", v.name) } else { v.name.clone() };
            (AttrValue::from(v.id.to_string()), AttrValue::from(name))
        }));
        html! {
            <div class="toolbar">
                <Select id="saved-view" value={self.active_view.clone()} options={views} aria_label={AttrValue::from("Saved view")} on_change={link.callback(Msg::ApplyView)} />
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

    pub(super) fn bulk_bar(&self, ctx: &Context<Self>) -> Html {
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

    pub(super) fn cell(
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
