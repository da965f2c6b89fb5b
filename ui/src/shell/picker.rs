//! Picks a person, a company or a deal by typing part of its name (full-text search in the core).

use crate::ipc::invoke;
use dealdesk_model::ipc::{ListCompanies, ListDeals, ListPeople};
use dealdesk_model::{CompanyQuery, DealQuery, PersonQuery, RecordKind};
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    pub id: AttrValue,
    pub label: AttrValue,
    /// Person, company or deal.
    pub kind: RecordKind,
    pub value: Option<(Uuid, String)>,
    pub on_change: Callback<Option<(Uuid, String)>>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

async fn suggestions(kind: RecordKind, text: String) -> Vec<(Uuid, String)> {
    let text = Some(text).filter(|t| !t.trim().is_empty());
    match kind {
        RecordKind::Company => invoke::<ListCompanies>(&CompanyQuery { text, limit: Some(8), ..Default::default() })
            .await
            .map(|p| p.items.into_iter().map(|c| (c.id, c.name)).collect())
            .unwrap_or_default(),
        RecordKind::Deal => invoke::<ListDeals>(&DealQuery { text, limit: Some(8), ..Default::default() })
            .await
            .map(|p| p.items.into_iter().map(|d| (d.id, d.name)).collect())
            .unwrap_or_default(),
        _ => invoke::<ListPeople>(&PersonQuery { text, limit: Some(8), ..Default::default() })
            .await
            .map(|p| p.items.into_iter().map(|p| (p.id, p.full_name())).collect())
            .unwrap_or_default(),
    }
}

#[function_component(Picker)]
pub fn picker(props: &PickerProps) -> Html {
    let text = use_state(|| props.value.as_ref().map(|(_, name)| name.clone()).unwrap_or_default());
    let options = use_state(Vec::<(Uuid, String)>::new);
    let open = use_state(|| false);
    let search = {
        let options = options.clone();
        let kind = props.kind;
        Callback::from(move |query: String| {
            let options = options.clone();
            wasm_bindgen_futures::spawn_local(async move { options.set(suggestions(kind, query).await) });
        })
    };
    let oninput = {
        let text = text.clone();
        let open = open.clone();
        let search = search.clone();
        let on_change = props.on_change.clone();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            if value.trim().is_empty() {
                on_change.emit(None);
            }
            text.set(value.clone());
            open.set(true);
            search.emit(value);
        })
    };
    let onfocus = {
        let open = open.clone();
        let text = text.clone();
        Callback::from(move |_: FocusEvent| {
            open.set(true);
            search.emit((*text).clone());
        })
    };
    let onblur = {
        let open = open.clone();
        // Later than the option's mousedown, so a click still lands.
        Callback::from(move |_: FocusEvent| {
            let open = open.clone();
            gloo_timers::callback::Timeout::new(150, move || open.set(false)).forget();
        })
    };
    html! {
        <label class={classes!("field", "picker", props.error.is_some().then_some("invalid"))} for={props.id.clone()}>
            <span class="field-label">{ props.label.clone() }</span>
            <input id={props.id.clone()} value={(*text).clone()} {oninput} {onfocus} {onblur} autocomplete="off"
                placeholder={format!("Type to find a {}", props.kind)} />
            if *open && !options.is_empty() {
                <ul class="picker-options" role="listbox">
                    { for options.iter().map(|(id, name)| {
                        let choice = (*id, name.clone());
                        let on_change = props.on_change.clone();
                        let text = text.clone();
                        let open = open.clone();
                        html! {
                            <li role="option" class="picker-option" onmousedown={Callback::from(move |e: MouseEvent| {
                                e.prevent_default();
                                text.set(choice.1.clone());
                                open.set(false);
                                on_change.emit(Some(choice.clone()));
                            })}>{ name.clone() }</li>
                        }
                    }) }
                </ul>
            }
            if let Some(error) = &props.error {
                <span class="field-error" role="alert">{ error.clone() }</span>
            }
        </label>
    }
}
