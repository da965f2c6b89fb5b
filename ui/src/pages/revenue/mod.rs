//! The Revenue screen (`/revenue`, the revenue desk): one business or all and one product or all;
//! the month at a glance (MRR, net revenue, churn, recovery), MRR per month with its movement and
//! the customers behind each figure, net revenue per month, cohorts, LTV and top customers, and a
//! visible notice for every payment a total leaves out. Figures come from the core
//! (`revenue_overview`); `state::revenue` turns them into texts.

use crate::components::controls::Select;
use crate::components::display::{Card, EmptyState, Skeleton};
use crate::components::hooks::use_whop_changes;
use crate::ipc::invoke;
use crate::pages::whop::{BusinessPicker, use_business_filter, use_synced_businesses, whop_badge};
use crate::route::Route;
use crate::state::revenue::{chosen_currency, currencies, currency_label, month_label, net_currency, product_options};
use dealdesk_model::ipc::{RevenueGetOverview, WhopGetProductRevenue, WhopGetStatus};
use dealdesk_model::revenue::{FigureQuery, Movement, MrrDrill, RevenueOverview, RevenueScope, SummaryQuery};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

mod figures;
mod mrr;
mod summary;
mod tables;

/// Whether Whop is connected: `None` until the status is read (or when it cannot be).
#[hook]
pub fn use_whop_connected() -> Option<bool> {
    let changes = use_whop_changes();
    let connected = use_state(|| None::<bool>);
    {
        let connected = connected.clone();
        use_effect_with(changes, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(status) = invoke::<WhopGetStatus>(&()).await {
                    connected.set(Some(status.connected));
                }
            });
        });
    }
    *connected
}

/// What a Whop screen shows while Whop is not connected: what it would show, and the way to the
/// Whop screen's Connect Whop.
pub fn connect_whop(id: &'static str, hint: &'static str) -> Html {
    html! {
        <div id={id} class="whop-not-connected">
            <EmptyState title={AttrValue::from("Whop is not connected")} hint={AttrValue::from(hint)}>
                <div class="empty-action">
                    <Link<Route> to={Route::Whop} classes="btn primary">{ "Connect Whop" }</Link<Route>>
                </div>
            </EmptyState>
        </div>
    }
}

/// A link to a person's page when the customer is one, their name otherwise.
pub fn person_link(person: Option<uuid::Uuid>, name: &str) -> Html {
    let name = if name.trim().is_empty() { "(no name)".to_string() } else { name.to_string() };
    match person {
        Some(id) => html! { <Link<Route> to={Route::Person { id }} classes="person-link">{ name }</Link<Route>> },
        None => html! { <span>{ name }</span> },
    }
}

/// The products of one business or all, for the product picker.
#[hook]
fn use_products(business: Option<String>) -> Vec<(String, String)> {
    let changes = use_whop_changes();
    let products = use_state(Vec::<(String, String)>::new);
    {
        let products = products.clone();
        use_effect_with((changes, business), move |(_, business)| {
            let business = business.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(rows) = invoke::<WhopGetProductRevenue>(&business).await {
                    products.set(product_options(&rows));
                }
            });
        });
    }
    (*products).clone()
}

#[derive(Properties, PartialEq)]
struct ProductPickerProps {
    products: Vec<(String, String)>,
    value: Option<String>,
    on_change: Callback<Option<String>>,
}

/// "All products" or one of them; nothing when there is at most one.
#[function_component(ProductPicker)]
fn product_picker(props: &ProductPickerProps) -> Html {
    if props.products.len() < 2 {
        return html! {};
    }
    let on_change = props.on_change.reform(|value: String| (!value.is_empty()).then_some(value));
    let options: Vec<(AttrValue, AttrValue)> = std::iter::once((AttrValue::from(""), AttrValue::from("All products")))
        .chain(props.products.iter().map(|(id, name)| (AttrValue::from(id.clone()), AttrValue::from(name.clone()))))
        .collect();
    html! {
        <div class="whop-business-picker revenue-product-picker">
            <Select id="revenue-product" label={AttrValue::from("Product")}
                value={AttrValue::from(props.value.clone().unwrap_or_default())} {options} {on_change} />
        </div>
    }
}

/// Nothing to show yet: no MRR, no payments, no cohorts.
fn is_empty(o: &RevenueOverview) -> bool {
    o.mrr.months.is_empty() && o.net_revenue.is_empty() && o.cohorts.rows.is_empty() && o.summary.mrr.is_empty()
}

#[function_component(RevenuePage)]
pub fn revenue_page() -> Html {
    let connected = use_whop_connected();
    let businesses = use_synced_businesses();
    let (business, on_business) = use_business_filter(&businesses);
    let products = use_products(business.clone());
    let chosen_product = use_state(|| None::<String>);
    // A product of another business falls back to all of them.
    let product = (*chosen_product).clone().filter(|id| products.iter().any(|(p, _)| p == id));
    let on_product = {
        let chosen_product = chosen_product.clone();
        Callback::from(move |value: Option<String>| chosen_product.set(value))
    };
    let changes = use_whop_changes();
    let overview = use_state(|| None::<Result<Rc<RevenueOverview>, String>>);
    let scope = RevenueScope { business: business.clone(), product: product.clone() };
    {
        let overview = overview.clone();
        use_effect_with((changes, scope.clone()), move |(_, scope)| {
            let query = SummaryQuery { scope: scope.clone(), month: None };
            wasm_bindgen_futures::spawn_local(async move {
                let answer = invoke::<RevenueGetOverview>(&query).await;
                overview.set(Some(answer.map(Rc::new).map_err(|e| e.message)));
            });
        });
    }
    let month = match &*overview {
        Some(Ok(o)) if !o.summary.month.is_empty() => Some(month_label(&o.summary.month)),
        _ => None,
    };
    let body = match (connected, &*overview) {
        (Some(false), _) => connect_whop(
            "revenue-connect",
            "MRR, net revenue, churn and cohorts are worked out from the payments Whop syncs. Connect Whop to see them.",
        ),
        (_, None) => html! { <Skeleton rows={8} /> },
        (_, Some(Err(message))) => {
            html! { <div class="banner error" id="revenue-error" role="alert">{ format!("Cannot work out the revenue: {message}") }</div> }
        }
        (_, Some(Ok(o))) if is_empty(o) => html! {
            <div id="revenue-empty">
                <EmptyState title={AttrValue::from("No revenue yet")}
                    hint={AttrValue::from("Revenue shows here once Whop has synced payments. Sync from the Whop screen.")} />
            </div>
        },
        (_, Some(Ok(o))) => html! { <RevenueBody overview={o.clone()} scope={scope.clone()} /> },
    };
    html! {
        <section class="page revenue-page" id="revenue-page">
            <header class="page-header">
                <h1>{ "Revenue" }</h1>
                if let Some(month) = month { <span class="count" id="revenue-month">{ month }</span> }
                { whop_badge() }
            </header>
            <div class="revenue-filters">
                <BusinessPicker id="revenue-business" {businesses} value={business} on_change={on_business} />
                <ProductPicker {products} value={product} on_change={on_product} />
            </div>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct BodyProps {
    overview: Rc<RevenueOverview>,
    scope: RevenueScope,
}

/// Everything below the pickers, with the currency the charts show and the figure drilled into.
#[function_component(RevenueBody)]
fn revenue_body(props: &BodyProps) -> Html {
    let chosen = use_state(|| None::<String>);
    let drill = use_state(|| None::<MrrDrill>);
    let figure = use_state(|| None::<(String, FigureQuery)>);
    let o = &props.overview;
    let available = currencies(&o.mrr.months);
    let currency = chosen_currency(&available, chosen.as_deref());
    let on_drill = {
        let (drill, scope, currency) = (drill.clone(), props.scope.clone(), currency.clone().unwrap_or_default());
        Callback::from(move |(month, movement): (String, Movement)| {
            drill.set(Some(MrrDrill { scope: scope.clone(), month, currency: currency.clone(), movement }));
        })
    };
    let close_drill = {
        let drill = drill.clone();
        Callback::from(move |_: ()| drill.set(None))
    };
    let on_figure: tables::OnFigure = {
        let figure = figure.clone();
        Callback::from(move |opened: (String, FigureQuery)| figure.set(Some(opened)))
    };
    let close_figure = {
        let figure = figure.clone();
        Callback::from(move |_: ()| figure.set(None))
    };
    let switcher = (available.len() > 1).then(|| {
        let options: Vec<(AttrValue, AttrValue)> =
            available.iter().map(|c| (AttrValue::from(c.clone()), AttrValue::from(currency_label(c)))).collect();
        let on_change = {
            let chosen = chosen.clone();
            Callback::from(move |value: String| chosen.set(Some(value)))
        };
        html! {
            <div class="revenue-currency">
                <Select id="revenue-currency" label={AttrValue::from("Currency")}
                    value={AttrValue::from(currency.clone().unwrap_or_default())} {options} {on_change} />
            </div>
        }
    });
    html! {
        <>
            { summary::excluded(&o.summary.excluded, &o.mrr.excluded) }
            { summary::cards(&o.summary) }
            if let Some(currency) = currency.clone() {
                <mrr::MrrCard months={o.mrr.months.clone()} currency={currency.clone()}
                    switcher={switcher.unwrap_or_default()} on_drill={on_drill} />
                { tables::net_revenue(&o.net_revenue, &net_currency(&o.net_revenue, &currency), &props.scope, &on_figure) }
            } else {
                <Card title={AttrValue::from("MRR per month")} id="revenue-mrr">
                    <div class="chart-empty">{ "No renewal plans paid yet: MRR starts with the first paid renewal." }</div>
                </Card>
            }
            { tables::cohorts(&o.cohorts, &props.scope, &on_figure) }
            <div class="charts">
                { tables::ltv(&o.ltv, &props.scope, &on_figure) }
                { tables::top_customers(&o.top_customers) }
            </div>
            if let Some(d) = (*drill).clone() {
                <mrr::DrillPanel drill={d} on_close={close_drill} />
            }
            if let Some((title, query)) = (*figure).clone() {
                <figures::FigurePanel {title} {query} on_close={close_figure} />
            }
        </>
    }
}
