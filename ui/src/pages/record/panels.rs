//! The side panels every record page has: notes, tasks and the timeline.

use super::*;

#[derive(Properties, PartialEq)]
pub(super) struct PanelProps {
    pub record: RecordRef,
}

#[function_component(NotesPanel)]
pub(super) fn notes_panel(props: &PanelProps) -> Html {
    let version = use_changes_of(RecordKind::Note);
    let notes = use_state(Vec::<dealdesk_model::Note>::new);
    let draft = use_state(String::new);
    let error = use_state(|| None::<String>);
    let own = use_changes_of(props.record.kind);
    {
        let notes = notes.clone();
        let record = props.record;
        use_effect_with((record, version, own), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let query = NoteQuery { record: Some(record), limit: Some(100), ..Default::default() };
                notes.set(invoke::<ListNotes>(&query).await.map(|p| p.items).unwrap_or_default());
            });
        });
    }
    let add = {
        let draft = draft.clone();
        let error = error.clone();
        let notes = notes.clone();
        let record = props.record;
        Callback::from(move |_| {
            let body = (*draft).clone();
            let (draft, error, notes) = (draft.clone(), error.clone(), notes.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<AddNote>(&NewNote { body, targets: vec![record] }).await {
                    Ok(note) => {
                        draft.set(String::new());
                        error.set(None);
                        let mut list = (*notes).clone();
                        list.insert(0, note);
                        notes.set(list);
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    html! {
        <div class="notes-panel">
            <div class="note-compose">
                <TextArea id="note-body" value={(*draft).clone()} rows={3} placeholder="Write a note (markdown)…"
                    error={(*error).clone().map(AttrValue::from)}
                    on_change={{ let draft = draft.clone(); Callback::from(move |v| draft.set(v)) }} />
                <Button small=true tone={Tone::Primary} id="add-note" disabled={draft.trim().is_empty()} onclick={add}>{ "Add note" }</Button>
            </div>
            if notes.is_empty() {
                <div class="muted">{ "No notes yet." }</div>
            }
            { for notes.iter().map(|note| {
                let html = Html::from_html_unchecked(AttrValue::from(to_safe_html(&note.body)));
                let record = RecordRef { kind: RecordKind::Note, id: note.id };
                html! {
                    <article class="note" key={note.id.to_string()}>
                        <div class="note-meta">
                            { format::relative(note.meta.created_at, format::now()) }
                            <button type="button" class="link-btn" onclick={Callback::from(move |_| {
                                wasm_bindgen_futures::spawn_local(async move { let _ = invoke::<TrashRecord>(&record).await; });
                            })}>{ "Delete" }</button>
                        </div>
                        <div class="markdown">{ html }</div>
                    </article>
                }
            }) }
        </div>
    }
}

#[function_component(TasksPanel)]
pub(super) fn tasks_panel(props: &PanelProps) -> Html {
    let version = use_changes_of(RecordKind::Task);
    let tasks = use_state(Vec::<dealdesk_model::Task>::new);
    let title = use_state(String::new);
    let due = use_state(|| None::<NaiveDate>);
    let error = use_state(|| None::<String>);
    let reload = {
        let tasks = tasks.clone();
        let record = props.record;
        Callback::from(move |_: ()| {
            let tasks = tasks.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let query =
                    TaskQuery { record: Some(record), include_done: true, limit: Some(200), ..Default::default() };
                tasks.set(invoke::<ListTasks>(&query).await.map(|p| p.items).unwrap_or_default());
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((props.record, version), move |_| reload.emit(()));
    }
    let add = {
        let (title, due, error, reload) = (title.clone(), due.clone(), error.clone(), reload.clone());
        let record = props.record;
        Callback::from(move |_| {
            let request = NewTask {
                title: (*title).clone(),
                due_at: due.and_then(|d| d.and_hms_opt(12, 0, 0)).map(|t| t.and_utc()),
                targets: vec![record],
                ..Default::default()
            };
            let (title, error, reload) = (title.clone(), error.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<AddTask>(&request).await {
                    Ok(_) => {
                        title.set(String::new());
                        error.set(None);
                        reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let now = format::now();
    html! {
        <div class="tasks-panel">
            <div class="task-compose">
                <Input id="task-title" value={(*title).clone()} placeholder="New task…" error={(*error).clone().map(AttrValue::from)}
                    on_change={{ let title = title.clone(); Callback::from(move |v| title.set(v)) }}
                    on_enter={{ let add = add.clone(); Callback::from(move |_| add.emit(())) }} />
                <DatePicker id="task-due" value={*due} on_change={{ let due = due.clone(); Callback::from(move |d| due.set(d)) }} />
                <Button small=true id="add-task" disabled={title.trim().is_empty()} onclick={{ let add = add.clone(); Callback::from(move |_| add.emit(())) }}>{ "Add" }</Button>
            </div>
            if tasks.is_empty() { <div class="muted">{ "No tasks." }</div> }
            <ul class="task-list">
                { for tasks.iter().map(|task| {
                    let done = task.status == TaskStatus::Done;
                    let overdue = !done && task.due_at.is_some_and(|d| d < now);
                    let id = task.id;
                    let reload = reload.clone();
                    html! {
                        <li class={classes!("task", done.then_some("done"))} key={task.id.to_string()}>
                            <Checkbox checked={done} aria_label={AttrValue::from(format!("Done: {}", task.title))} on_change={Callback::from(move |(checked, _): (bool, bool)| {
                                let status = if checked { TaskStatus::Done } else { TaskStatus::Todo };
                                let reload = reload.clone();
                                wasm_bindgen_futures::spawn_local(async move {
                                    let _ = invoke::<UpdateTask>(&(id, TaskPatch { status: Some(status), ..Default::default() })).await;
                                    reload.emit(());
                                });
                            })} />
                            <span class="task-title">{ task.title.clone() }</span>
                            if let Some(due) = task.due_at {
                                <Badge text={format!("due {}", due.date_naive())} tone={if overdue { BadgeTone::Danger } else { BadgeTone::Neutral }} />
                            }
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}

#[function_component(TimelinePanel)]
pub(super) fn timeline_panel(props: &PanelProps) -> Html {
    let own = use_changes_of(props.record.kind);
    let notes = use_changes_of(RecordKind::Note);
    let tasks = use_changes_of(RecordKind::Task);
    let events = use_state(|| None::<Vec<dealdesk_model::TimelineEvent>>);
    {
        let events = events.clone();
        let record = props.record;
        use_effect_with((record, own, notes, tasks), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                events.set(Some(invoke::<Timeline>(&record).await.unwrap_or_default()));
            });
        });
    }
    let restoring = use_state(|| None::<(i64, String, serde_json::Value)>);
    let restore_error = use_state(|| None::<String>);
    let notifier = use_notifier();
    let Some(list) = &*events else {
        return html! { <Skeleton rows={4} /> };
    };
    let now = format::now();
    let restore = {
        let (restoring, restore_error, notifier, record) =
            (restoring.clone(), restore_error.clone(), notifier.clone(), props.record);
        Callback::from(move |_: ()| {
            let Some((seq, field, _)) = (*restoring).clone() else { return };
            let (restoring, restore_error, notifier) = (restoring.clone(), restore_error.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<RestoreField>(&RestoreFieldValue { record, seq }).await {
                    Ok(()) => {
                        restoring.set(None);
                        if let Some(n) = &notifier {
                            n.success(restored_text(&field));
                        }
                    }
                    Err(e) => restore_error.set(Some(e.message)),
                }
            });
        })
    };
    html! {
        <>
            <ol class="timeline" id="timeline">
                { for list.iter().map(|e| {
                    let restore_button = match &e.kind {
                        TimelineEventKind::FieldChanged { field, from, .. } if e.seq > 0 => {
                            let (restoring, restore_error) = (restoring.clone(), restore_error.clone());
                            let ask = (e.seq, field.clone(), from.clone());
                            html! {
                                <button type="button" class="link-btn timeline-restore" title="Put back the value before this change"
                                    aria-label={format!("Restore the value of {field} before this change")}
                                    onclick={Callback::from(move |_| { restore_error.set(None); restoring.set(Some(ask.clone())); })}>
                                    { "Restore" }
                                </button>
                            }
                        }
                        _ => html! {},
                    };
                    html! {
                        <li class="timeline-event" key={e.seq.to_string()} data-seq={e.seq.to_string()}>
                            <span class="timeline-dot" />
                            <span class="timeline-what">{ e.kind.describe() }</span>
                            <span class="timeline-when" title={e.at.to_rfc3339()}>
                                { match &e.author {
                                    // "who changed what" in a team workspace
                                    Some(author) => format!("{author}, {}", format::relative(e.at, now)),
                                    None => format!("{} · {}", format::relative(e.at, now), e.source.as_str()),
                                } }
                                { restore_button }
                            </span>
                        </li>
                    }
                }) }
            </ol>
            if let Some((_, field, from)) = &*restoring {
                <ConfirmDialog title={format!("Restore {}?", field_label(Some(field)))} id="restore-dialog" confirm_id="restore-confirm"
                    confirm_label="Restore" error={(*restore_error).clone().map(AttrValue::from)} on_confirm={restore}
                    on_close={{ let r = restoring.clone(); Callback::from(move |_| r.set(None)) }}>
                    <p class="dialog-lead">{ restore_prompt(field, from) }</p>
                </ConfirmDialog>
            }
        </>
    }
}
