use crate::app::Route;
use yew::prelude::*;
use yew_router::prelude::*;

#[function_component(Sidebar)]
pub fn sidebar() -> Html {
    let current = use_route::<Route>();
    let item = |route: Route, label: &'static str| {
        let active = current == Some(route) || (route == Route::People && current == Some(Route::Home));
        html! {
            <Link<Route> to={route} classes={classes!("nav-item", active.then_some("active"))}>
                { label }
            </Link<Route>>
        }
    };
    html! {
        <aside class="sidebar">
            <div class="brand"><span class="logo">{ "D" }</span>{ "Dealdesk" }</div>
            <nav>
                { item(Route::People, "People") }
                { item(Route::Companies, "Companies") }
                { item(Route::Deals, "Deals") }
            </nav>
        </aside>
    }
}
