//! Card, Badge, TagChip, Tabs, EmptyState, Skeleton.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CardProps {
    #[prop_or_default]
    pub title: Option<AttrValue>,
    #[prop_or_default]
    pub actions: Html,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub class: Classes,
    pub children: Html,
}

#[function_component(Card)]
pub fn card(props: &CardProps) -> Html {
    html! {
        <section id={props.id.clone()} class={classes!("card", props.class.clone())}>
            if let Some(title) = &props.title {
                <header class="card-header"><h3>{ title.clone() }</h3><div class="card-actions">{ props.actions.clone() }</div></header>
            }
            { props.children.clone() }
        </section>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadgeTone {
    #[default]
    Neutral,
    Accent,
    Success,
    Danger,
    Warning,
}

#[derive(Properties, PartialEq)]
pub struct BadgeProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub tone: BadgeTone,
}

#[function_component(Badge)]
pub fn badge(props: &BadgeProps) -> Html {
    let tone = match props.tone {
        BadgeTone::Neutral => "neutral",
        BadgeTone::Accent => "accent",
        BadgeTone::Success => "success",
        BadgeTone::Danger => "danger",
        BadgeTone::Warning => "warning",
    };
    html! { <span class={classes!("badge", tone)}>{ props.text.clone() }</span> }
}

#[derive(Properties, PartialEq)]
pub struct TagChipProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub on_remove: Option<Callback<()>>,
}

#[function_component(TagChip)]
pub fn tag_chip(props: &TagChipProps) -> Html {
    html! {
        <span class="tag">
            { props.text.clone() }
            if let Some(remove) = props.on_remove.clone() {
                <button type="button" class="tag-remove" aria-label={format!("Remove tag {}", props.text)}
                    onclick={Callback::from(move |_| remove.emit(()))}>{ "×" }</button>
            }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct TabsProps {
    /// `(key, label)` pairs.
    pub tabs: Vec<(AttrValue, AttrValue)>,
    pub active: AttrValue,
    pub on_select: Callback<AttrValue>,
}

#[function_component(Tabs)]
pub fn tabs(props: &TabsProps) -> Html {
    html! {
        <div class="tabs" role="tablist">
            { for props.tabs.iter().map(|(key, label)| {
                let on_select = props.on_select.clone();
                let k = key.clone();
                html! {
                    <button type="button" role="tab" class={classes!("tab", (*key == props.active).then_some("active"))} data-tab={key.clone()}
                        aria-selected={(*key == props.active).to_string()} onclick={Callback::from(move |_| on_select.emit(k.clone()))}>
                        { label.clone() }
                    </button>
                }
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct EmptyStateProps {
    pub title: AttrValue,
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    #[prop_or_default]
    pub children: Html,
}

#[function_component(EmptyState)]
pub fn empty_state(props: &EmptyStateProps) -> Html {
    html! {
        <div class="empty">
            <div class="empty-title">{ props.title.clone() }</div>
            if let Some(hint) = &props.hint { <div class="empty-hint">{ hint.clone() }</div> }
            { props.children.clone() }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SkeletonProps {
    #[prop_or(3)]
    pub rows: usize,
}

/// Placeholder lines while something loads.
#[function_component(Skeleton)]
pub fn skeleton(props: &SkeletonProps) -> Html {
    html! {
        <div class="skeleton" aria-busy="true" aria-label="Loading">
            { for (0..props.rows).map(|i| html! { <div class="skeleton-line" style={format!("width: {}%", 90 - (i * 13) % 40)} /> }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct TabsHostProps {
    /// `(key, label)` per child, in order.
    pub tabs: Vec<(AttrValue, AttrValue)>,
    /// The tab open at first (and whenever this changes); the first tab when absent.
    #[prop_or_default]
    pub initial: Option<AttrValue>,
    pub children: Children,
}

/// Tabs over its children: shows the child of the active tab.
#[function_component(TabsHost)]
pub fn tabs_host(props: &TabsHostProps) -> Html {
    let first = props.initial.clone().or_else(|| props.tabs.first().map(|t| t.0.clone())).unwrap_or_default();
    let active = use_state(move || first);
    {
        let active = active.clone();
        use_effect_with(props.initial.clone(), move |initial| {
            if let Some(tab) = initial {
                active.set(tab.clone());
            }
        });
    }
    let index = props.tabs.iter().position(|t| t.0 == *active).unwrap_or(0);
    let on_select = {
        let active = active.clone();
        Callback::from(move |key: AttrValue| active.set(key))
    };
    html! {
        <div class="tabs-host">
            <Tabs tabs={props.tabs.clone()} active={(*active).clone()} {on_select} />
            <div class="tab-panel" role="tabpanel">{ props.children.iter().nth(index).unwrap_or_default() }</div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct IconTextProps {
    pub label: AttrValue,
    pub text: AttrValue,
}

/// A labelled line of read-only text.
#[function_component(IconText)]
pub fn icon_text(props: &IconTextProps) -> Html {
    html! {
        <div class="field-row">
            <div class="field-row-label">{ props.label.clone() }</div>
            <div class="field-row-value"><code>{ props.text.clone() }</code></div>
        </div>
    }
}
