use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    #[prop_or_default]
    pub placeholder: AttrValue,
    pub on_change: Callback<String>,
}

/// A labelled input that shows its validation error in place.
#[function_component(Field)]
pub fn field(props: &FieldProps) -> Html {
    let on_input = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: InputEvent| on_change.emit(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let error_id = format!("{}-error", props.id);
    html! {
        <label class={classes!("field", props.error.is_some().then_some("invalid"))} for={props.id.clone()}>
            <span class="field-label">{ props.label.clone() }</span>
            <input
                id={props.id.clone()}
                type={props.kind.clone()}
                value={props.value.clone()}
                placeholder={props.placeholder.clone()}
                aria-invalid={props.error.is_some().to_string()}
                aria-describedby={error_id.clone()}
                oninput={on_input}
            />
            if let Some(error) = &props.error {
                <span class="field-error" id={error_id}>{ error.clone() }</span>
            }
        </label>
    }
}
