//! `RouteLink`: a link to a screen, like yew_router's `Link`, that also takes an id, an
//! accessible name and `aria-current` (the sidebar's churn segments, the segment picker).

use crate::route::Route;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RouteLinkProps {
    pub to: Route,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub class: Classes,
    /// The accessible name, when the text alone says less (a bare count).
    #[prop_or_default]
    pub label: Option<AttrValue>,
    #[prop_or_default]
    pub title: Option<AttrValue>,
    /// The page it opens is the one shown (`aria-current="page"`).
    #[prop_or_default]
    pub current: bool,
    pub children: Html,
}

/// The `href` of a screen in the hash router: `#/churn/past_due`.
pub fn route_href(route: &Route) -> String {
    format!("#{}", route.to_path())
}

#[function_component(RouteLink)]
pub fn route_link(props: &RouteLinkProps) -> Html {
    let navigator = use_navigator();
    let onclick = {
        let to = props.to.clone();
        Callback::from(move |e: MouseEvent| {
            // Modified clicks keep the browser's meaning, as yew_router's Link does.
            if e.meta_key() || e.ctrl_key() || e.shift_key() || e.alt_key() {
                return;
            }
            e.prevent_default();
            if let Some(nav) = &navigator {
                nav.push(&to);
            }
        })
    };
    html! {
        <a href={route_href(&props.to)} id={props.id.clone()} class={props.class.clone()} aria-label={props.label.clone()}
            title={props.title.clone()} aria-current={props.current.then_some("page")} {onclick}>
            { props.children.clone() }
        </a>
    }
}
