//! One module per screen.

pub mod companies;
pub mod deals;
pub mod people;

use crate::ipc::invoke;
use crate::state::list::{ListAction, ListState, Listed};
use dealdesk_model::Page;
use dealdesk_model::ipc::Command;
use yew::prelude::*;

/// Loads one page of `C` for `request`, again whenever `request` or `version` changes.
#[hook]
pub fn use_list<C, T>(request: C::Request, version: u64) -> UseReducerHandle<ListState<T>>
where
    C: Command<Response = Page<T>> + 'static,
    C::Request: Clone + PartialEq + 'static,
    T: Listed + 'static,
{
    let state = use_reducer(ListState::<T>::default);
    {
        let state = state.clone();
        use_effect_with((request, version), move |(request, _)| {
            let request = request.clone();
            state.dispatch(ListAction::Loading);
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<C>(&request).await {
                    Ok(page) => state.dispatch(ListAction::Loaded(page)),
                    Err(error) => state.dispatch(ListAction::Failed(error.message)),
                }
            });
        });
    }
    state
}

/// The banner a list shows when loading failed.
pub fn error_banner(error: &Option<String>) -> Html {
    match error {
        Some(message) => html! { <div class="banner error" role="alert">{ message.clone() }</div> },
        None => html! {},
    }
}
