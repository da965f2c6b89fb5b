//! All notes, newest first, with full-text search; each rendered from markdown.

use crate::components::controls::Input;
use crate::components::display::{EmptyState, Skeleton};
use crate::components::hooks::use_changes_of;
use crate::ipc::invoke;
use crate::shell::record_route;
use crate::state::format;
use crate::state::markdown::to_safe_html;
use dealdesk_model::ipc::ListNotes;
use dealdesk_model::{Note, NoteQuery, RecordKind};
use yew::prelude::*;
use yew_router::prelude::*;

#[function_component(NotesPage)]
pub fn notes_page() -> Html {
    let version = use_changes_of(RecordKind::Note);
    let text = use_state(String::new);
    let notes = use_state(|| None::<Vec<Note>>);
    {
        let notes = notes.clone();
        use_effect_with(((*text).clone(), version), move |(text, _)| {
            let query = NoteQuery {
                text: Some(text.clone()).filter(|t| !t.trim().is_empty()),
                limit: Some(200),
                ..Default::default()
            };
            wasm_bindgen_futures::spawn_local(async move {
                notes.set(Some(invoke::<ListNotes>(&query).await.map(|p| p.items).unwrap_or_default()));
            });
        });
    }
    html! {
        <section class="page" id="notes-page">
            <header class="page-header"><h1>{ "Notes" }</h1></header>
            <div class="filters">
                <div class="filter-text">
                    <Input id="notes-search" value={(*text).clone()} placeholder="Search notes…" on_change={{ let text = text.clone(); Callback::from(move |v| text.set(v)) }} />
                </div>
            </div>
            { match &*notes {
                None => html! { <Skeleton rows={5} /> },
                Some(list) if list.is_empty() => html! {
                    <EmptyState title="No notes" hint={AttrValue::from("Add notes from a person, company or deal page.")} />
                },
                Some(list) => html! {
                    <div class="note-list">
                        { for list.iter().map(|note| html! {
                            <article class="note card" key={note.id.to_string()}>
                                <div class="note-meta">
                                    { format::relative(note.meta.created_at, format::now()) }
                                    { for note.targets.iter().filter_map(|t| record_route(*t).map(|r| (t.kind, r))).map(|(kind, route)| html! {
                                        <Link<crate::route::Route> to={route} classes="link-btn">{ format!("open {kind}") }</Link<crate::route::Route>>
                                    }) }
                                </div>
                                <div class="markdown">{ Html::from_html_unchecked(AttrValue::from(to_safe_html(&note.body))) }</div>
                            </article>
                        }) }
                    </div>
                },
            } }
        </section>
    }
}
