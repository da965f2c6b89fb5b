//! Button, IconButton, Input, TextArea, Select, Checkbox, DatePicker.

use chrono::NaiveDate;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    Primary,
    #[default]
    Secondary,
    Danger,
    Ghost,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Primary => "btn primary",
            Tone::Secondary => "btn",
            Tone::Danger => "btn danger",
            Tone::Ghost => "btn ghost",
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ButtonProps {
    #[prop_or_default]
    pub tone: Tone,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub onclick: Callback<MouseEvent>,
    #[prop_or_default]
    pub disabled: bool,
    /// `submit` inside forms.
    #[prop_or(AttrValue::Static("button"))]
    pub kind: AttrValue,
    #[prop_or_default]
    pub title: Option<AttrValue>,
    #[prop_or_default]
    pub small: bool,
    /// Extra classes (what a row's button does, for styles and tests).
    #[prop_or_default]
    pub class: Classes,
    /// The accessible name, when the text alone is ambiguous (many rows with the same button).
    #[prop_or_default]
    pub aria_label: Option<AttrValue>,
    pub children: Html,
}

#[function_component(Button)]
pub fn button(props: &ButtonProps) -> Html {
    html! {
        <button
            id={props.id.clone()}
            type={props.kind.clone()}
            class={classes!(props.tone.class(), props.small.then_some("small"), props.class.clone())}
            disabled={props.disabled}
            title={props.title.clone()}
            aria-label={props.aria_label.clone()}
            onclick={props.onclick.clone()}
        >
            { props.children.clone() }
        </button>
    }
}

#[derive(Properties, PartialEq)]
pub struct IconButtonProps {
    /// A short glyph.
    pub icon: AttrValue,
    /// What it does, for screen readers and the tooltip.
    pub label: AttrValue,
    #[prop_or_default]
    pub onclick: Callback<MouseEvent>,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub active: bool,
}

#[function_component(IconButton)]
pub fn icon_button(props: &IconButtonProps) -> Html {
    html! {
        <button id={props.id.clone()} type="button" class={classes!("icon-btn", props.active.then_some("active"))}
            aria-label={props.label.clone()} title={props.label.clone()} onclick={props.onclick.clone()}>
            { props.icon.clone() }
        </button>
    }
}

#[derive(Properties, PartialEq)]
pub struct InputProps {
    pub id: AttrValue,
    #[prop_or_default]
    pub label: Option<AttrValue>,
    pub value: AttrValue,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    #[prop_or_default]
    pub placeholder: AttrValue,
    #[prop_or_default]
    pub autofocus: bool,
    /// The smallest number a `number` input takes.
    #[prop_or_default]
    pub min: Option<AttrValue>,
    pub on_change: Callback<String>,
    /// Called with the value on Enter.
    #[prop_or_default]
    pub on_enter: Option<Callback<String>>,
    /// The screen-reader name when no visible label fits (a cell in a table with headers).
    #[prop_or_default]
    pub aria_label: Option<AttrValue>,
}

/// A labelled input that shows its validation error in place.
#[function_component(Input)]
pub fn input(props: &InputProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        let autofocus = props.autofocus;
        use_effect_with((), move |_| {
            if autofocus && let Some(input) = node.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
        });
    }
    let on_input = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: InputEvent| on_change.emit(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_keydown = props.on_enter.clone().map(|on_enter| {
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                e.prevent_default();
                on_enter.emit(e.target_unchecked_into::<HtmlInputElement>().value());
            }
        })
    });
    let error_id = format!("{}-error", props.id);
    html! {
        <label class={classes!("field", props.error.is_some().then_some("invalid"))} for={props.id.clone()}>
            if let Some(label) = &props.label {
                <span class="field-label">{ label.clone() }</span>
            }
            <input
                ref={node}
                id={props.id.clone()}
                type={props.kind.clone()}
                value={props.value.clone()}
                min={props.min.clone()}
                placeholder={props.placeholder.clone()}
                aria-invalid={props.error.is_some().to_string()}
                aria-describedby={error_id.clone()}
                aria-label={props.aria_label.clone()}
                oninput={on_input}
                onkeydown={on_keydown}
            />
            if let Some(error) = &props.error {
                <span class="field-error" id={error_id} role="alert">{ error.clone() }</span>
            }
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct TextAreaProps {
    pub id: AttrValue,
    #[prop_or_default]
    pub label: Option<AttrValue>,
    pub value: AttrValue,
    #[prop_or(4)]
    pub rows: u32,
    #[prop_or_default]
    pub placeholder: AttrValue,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_change: Callback<String>,
}

#[function_component(TextArea)]
pub fn text_area(props: &TextAreaProps) -> Html {
    let on_input = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: InputEvent| on_change.emit(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    html! {
        <label class={classes!("field", props.error.is_some().then_some("invalid"))} for={props.id.clone()}>
            if let Some(label) = &props.label {
                <span class="field-label">{ label.clone() }</span>
            }
            <textarea id={props.id.clone()} rows={props.rows.to_string()} value={props.value.clone()}
                placeholder={props.placeholder.clone()} oninput={on_input} />
            if let Some(error) = &props.error {
                <span class="field-error" role="alert">{ error.clone() }</span>
            }
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectProps {
    pub id: AttrValue,
    #[prop_or_default]
    pub label: Option<AttrValue>,
    pub value: AttrValue,
    /// `(value, label)` pairs.
    pub options: Vec<(AttrValue, AttrValue)>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or_default]
    pub disabled: bool,
    pub on_change: Callback<String>,
    /// The screen-reader name when no visible label fits (a toolbar's filter).
    #[prop_or_default]
    pub aria_label: Option<AttrValue>,
}

#[function_component(Select)]
pub fn select(props: &SelectProps) -> Html {
    let on_change = {
        let cb = props.on_change.clone();
        Callback::from(move |e: Event| cb.emit(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    html! {
        <label class={classes!("field", props.error.is_some().then_some("invalid"))} for={props.id.clone()}>
            if let Some(label) = &props.label {
                <span class="field-label">{ label.clone() }</span>
            }
            <select id={props.id.clone()} disabled={props.disabled} onchange={on_change} aria-label={props.aria_label.clone()}>
                { for props.options.iter().map(|(value, label)| html! {
                    <option value={value.clone()} selected={*value == props.value}>{ label.clone() }</option>
                }) }
            </select>
            if let Some(error) = &props.error {
                <span class="field-error" role="alert">{ error.clone() }</span>
            }
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct CheckboxProps {
    #[prop_or_default]
    pub id: Option<AttrValue>,
    pub checked: bool,
    #[prop_or_default]
    pub label: Option<AttrValue>,
    #[prop_or_default]
    pub disabled: bool,
    pub on_change: Callback<(bool, bool)>,
    /// The screen-reader name of a checkbox without a visible label (a table's row selection).
    #[prop_or_default]
    pub aria_label: Option<AttrValue>,
}

/// Emits `(checked, shift_key)` so tables can select ranges.
#[function_component(Checkbox)]
pub fn checkbox(props: &CheckboxProps) -> Html {
    let onclick = {
        let cb = props.on_change.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            cb.emit((e.target_unchecked_into::<HtmlInputElement>().checked(), e.shift_key()))
        })
    };
    html! {
        <label class="checkbox">
            <input id={props.id.clone()} type="checkbox" checked={props.checked} disabled={props.disabled} {onclick}
                aria-label={props.aria_label.clone()} />
            if let Some(label) = &props.label { <span>{ label.clone() }</span> }
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct DatePickerProps {
    pub id: AttrValue,
    #[prop_or_default]
    pub label: Option<AttrValue>,
    pub value: Option<NaiveDate>,
    pub on_change: Callback<Option<NaiveDate>>,
}

/// A date typed as `YYYY-MM-DD` (WebKitGTK's native date field shows today's date greyed out
/// when empty, which reads as a value). What is typed stays while it is incomplete; a complete
/// date, or an empty field, is reported.
#[function_component(DatePicker)]
pub fn date_picker(props: &DatePickerProps) -> Html {
    let shown = props.value.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    let text = use_state(|| shown.clone());
    {
        // A new value from outside (a reset, a loaded record) replaces what is shown.
        let text = text.clone();
        use_effect_with(shown, move |shown| text.set(shown.clone()));
    }
    let invalid = !text.trim().is_empty() && NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").is_err();
    let on_input = {
        let text = text.clone();
        let cb = props.on_change.clone();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            let trimmed = value.trim();
            if trimmed.is_empty() {
                cb.emit(None);
            } else if let Ok(date) = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
                cb.emit(Some(date));
            }
            text.set(value);
        })
    };
    html! {
        <label class={classes!("field", "date-field", invalid.then_some("invalid"))} for={props.id.clone()}>
            if let Some(label) = &props.label {
                <span class="field-label">{ label.clone() }</span>
            }
            <input id={props.id.clone()} type="text" inputmode="numeric" placeholder="YYYY-MM-DD" value={(*text).clone()}
                aria-invalid={invalid.to_string()} oninput={on_input} />
        </label>
    }
}
