//! The command palette (Ctrl/Cmd+K): records from full-text search, screens and commands.

use crate::ipc::invoke;
use crate::perf;
use crate::state::palette::{PaletteAction, PaletteItem, matching_commands, move_selection, record_items};
use dealdesk_model::ipc::Search;
use dealdesk_model::{SearchHit, SearchQuery};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PaletteProps {
    pub on_close: Callback<()>,
    pub on_action: Callback<PaletteAction>,
}

/// Commands shown above the records when the query matches some.
const MAX_COMMANDS: usize = 5;

#[function_component(Palette)]
pub fn palette(props: &PaletteProps) -> Html {
    let query = use_state(String::new);
    let hits = use_state(|| (String::new(), Vec::<SearchHit>::new()));
    let selected = use_state(|| 0usize);
    let sequence = use_mut_ref(|| 0u64);
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with((), move |_| {
            if let Some(el) = input.cast::<HtmlInputElement>() {
                let _ = el.focus();
            }
        });
    }
    // The bench reads when results for a query were painted.
    {
        let (answered, _) = (*hits).clone();
        use_effect_with(answered, |answered| {
            if !answered.is_empty() {
                perf::search_rendered(answered);
                perf::search_painted(answered);
            }
        });
    }

    let items: Vec<PaletteItem> = {
        let mut commands = matching_commands(&query);
        if !query.trim().is_empty() {
            commands.truncate(MAX_COMMANDS);
        }
        let records = if hits.0 == *query { record_items(&hits.1) } else { Vec::new() };
        if query.trim().is_empty() { commands } else { records.into_iter().chain(commands).collect() }
    };

    let oninput = {
        let query = query.clone();
        let hits = hits.clone();
        let selected = selected.clone();
        let sequence = sequence.clone();
        Callback::from(move |e: InputEvent| {
            let text = e.target_unchecked_into::<HtmlInputElement>().value();
            perf::search_input(&text);
            query.set(text.clone());
            selected.set(0);
            *sequence.borrow_mut() += 1;
            let mine = *sequence.borrow();
            let hits = hits.clone();
            let sequence = sequence.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // One letter matches most of the database; records are searched from two.
                let found = if text.trim().chars().count() < 2 {
                    Ok(Vec::new())
                } else {
                    invoke::<Search>(&SearchQuery { text: text.clone(), limit: Some(12) }).await
                };
                perf::search_answered(&text);
                // A slower answer to an older query must not replace a newer one.
                if *sequence.borrow() == mine {
                    hits.set((text, found.unwrap_or_default()));
                }
            });
        })
    };
    let onkeydown = {
        let selected = selected.clone();
        let items = items.clone();
        let on_action = props.on_action.clone();
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "ArrowDown" => {
                e.prevent_default();
                selected.set(move_selection(*selected, 1, items.len()));
            }
            "ArrowUp" => {
                e.prevent_default();
                selected.set(move_selection(*selected, -1, items.len()));
            }
            "Enter" => {
                e.prevent_default();
                if let Some(item) = items.get(*selected) {
                    on_action.emit(item.action.clone());
                }
            }
            "Escape" => {
                e.prevent_default();
                e.stop_propagation();
                on_close.emit(());
            }
            _ => {}
        })
    };
    let backdrop = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    html! {
        <div class="backdrop palette-backdrop" onclick={backdrop}>
            <div class="palette" id="palette" role="dialog" aria-label="Command palette"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <input ref={input} id="palette-input" class="palette-input" placeholder="Search people, companies, deals, notes — or type a command"
                    value={(*query).clone()} {oninput} {onkeydown} autocomplete="off" />
                <ul class="palette-results" id="palette-results" role="listbox" aria-label="Results">
                    { for items.iter().enumerate().map(|(i, item)| {
                        let on_action = props.on_action.clone();
                        let action = item.action.clone();
                        let kind = match &item.action {
                            PaletteAction::Open(r) => r.kind.as_str(),
                            _ => "command",
                        };
                        html! {
                            <li class={classes!("palette-item", (i == *selected).then_some("selected"))} role="option"
                                aria-selected={(i == *selected).to_string()} data-kind={kind}
                                onclick={Callback::from(move |_| on_action.emit(action.clone()))}>
                                <span class="palette-label">{ item.label.clone() }</span>
                                <span class="palette-hint">{ item.hint.clone() }</span>
                            </li>
                        }
                    }) }
                    if items.is_empty() {
                        <li class="palette-empty">{ "Nothing matches" }</li>
                    }
                </ul>
            </div>
        </div>
    }
}
