//! The side panel that lists the customers behind a figure: its frame (shared with the MRR
//! drill-down) and the panel for net revenue months, cohort cells and LTV rows.

use super::person_link;
use crate::components::display::Skeleton;
use crate::components::hooks::use_invoked;
use crate::components::overlay::Drawer;
use crate::state::revenue::{figure_amount, figure_count};
use dealdesk_model::ipc::RevenueFigureCustomers;
use dealdesk_model::revenue::FigureQuery;
use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CustomersDrawerProps {
    pub title: AttrValue,
    /// How many customers came (`None` while they are on their way, or why they cannot come).
    pub loaded: Option<Result<usize, String>>,
    pub on_close: Callback<()>,
    /// The table of customers, shown once there are some.
    pub children: Html,
}

/// What a panel's loading comes to, for [`CustomersDrawer`].
pub fn loaded<T>(rows: &Option<Result<Vec<T>, String>>) -> Option<Result<usize, String>> {
    rows.as_ref().map(|r| r.as_ref().map(Vec::len).map_err(Clone::clone))
}

/// `#revenue-drill`: a drawer titled with the figure, its count and Close (which takes the focus,
/// so Escape closes it and Tab starts there), then the rows (or a skeleton, the error, or that
/// nobody is behind the figure).
#[function_component(CustomersDrawer)]
pub fn customers_drawer(props: &CustomersDrawerProps) -> Html {
    let close_ref = use_node_ref();
    {
        let close_ref = close_ref.clone();
        use_effect_with((), move |_| {
            if let Some(button) = close_ref.cast::<HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let close = props.on_close.reform(|_: MouseEvent| ());
    let (count, body) = match &props.loaded {
        None => (None, html! { <Skeleton rows={4} /> }),
        Some(Err(message)) => (None, html! { <div class="banner error" role="alert">{ message.clone() }</div> }),
        Some(Ok(0)) => (
            Some(figure_count(0)),
            html! { <div class="muted" id="revenue-drill-empty">{ "Nobody behind this figure." }</div> },
        ),
        Some(Ok(n)) => (Some(figure_count(*n)), props.children.clone()),
    };
    html! {
        <Drawer title={props.title.clone()} id="revenue-drill" on_close={props.on_close.clone()}>
            <div class="revenue-drill-head">
                <span class="muted" id="revenue-drill-count">{ count.unwrap_or_default() }</span>
                <button ref={close_ref} type="button" class="btn small" id="revenue-drill-close" onclick={close}>{ "Close" }</button>
            </div>
            { body }
        </Drawer>
    }
}

#[derive(Properties, PartialEq)]
pub struct FigurePanelProps {
    pub title: String,
    pub query: FigureQuery,
    pub on_close: Callback<()>,
}

/// The customers behind a net revenue month, a cohort cell or an LTV row, each opening their
/// person page, with what they paid within the figure.
#[function_component(FigurePanel)]
pub fn figure_panel(props: &FigurePanelProps) -> Html {
    let rows = use_invoked::<RevenueFigureCustomers>(props.query.clone());
    let figure = &props.query.figure;
    let list = rows.as_ref().and_then(|r| r.as_ref().ok()).cloned().unwrap_or_default();
    let amounts = list.first().and_then(|r| figure_amount(r, figure)).is_some();
    let table = html! {
        <table class="whop-table revenue-drill-rows">
            <thead><tr>
                <th scope="col">{ "Customer" }</th>
                if amounts { <th scope="col" class="num">{ "Paid" }</th> }
            </tr></thead>
            <tbody>
                { for list.iter().map(|r| html! {
                    <tr class="revenue-drill-row" key={r.customer.clone()} data-customer={r.customer.clone()}>
                        <td>{ person_link(r.person_id, &r.name) }</td>
                        if let Some(text) = figure_amount(r, figure) { <td class="num">{ text }</td> }
                    </tr>
                }) }
            </tbody>
        </table>
    };
    html! {
        <CustomersDrawer title={AttrValue::from(props.title.clone())} loaded={loaded(&rows)} on_close={props.on_close.clone()}>
            { table }
        </CustomersDrawer>
    }
}
