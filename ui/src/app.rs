//! The router and the shell around every screen: sidebar, content, toasts.

use crate::components::sidebar::Sidebar;
use crate::components::toasts::ToastHost;
use crate::pages::{companies::CompaniesPage, deals::DealsPage, people::PeoplePage};
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/people")]
    People,
    #[at("/companies")]
    Companies,
    #[at("/deals")]
    Deals,
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Redirect<Route> to={Route::People} /> },
        Route::People => html! { <PeoplePage /> },
        Route::Companies => html! { <CompaniesPage /> },
        Route::Deals => html! { <DealsPage /> },
        Route::NotFound => html! {
            <section class="page"><div class="empty">{ "This screen does not exist." }</div></section>
        },
    }
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <HashRouter>
            <ToastHost>
                <div class="shell">
                    <Sidebar />
                    <main class="content">
                        <Switch<Route> render={switch} />
                    </main>
                </div>
            </ToastHost>
        </HashRouter>
    }
}
