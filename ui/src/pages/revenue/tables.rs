//! Net revenue per month, the cohort grid, LTV by product and plan, and the top customers. A net
//! revenue month, a cohort cell and an LTV row each open the customers behind them.

use super::person_link;
use crate::components::display::Card;
use crate::state::revenue::{
    amount, cohort_cells, cohort_width, currency_label, figure_query, ltv_figure, ltv_names, month_label, net_rows,
};
use dealdesk_model::revenue::{CohortGrid, Figure, FigureQuery, LtvRow, NetRevenueMonth, RevenueScope, TopCustomer};
use yew::prelude::*;

/// Opens the customers behind a figure: the panel's title and what it asks the core for.
pub type OnFigure = Callback<(String, FigureQuery)>;

/// A figure as a button that opens the customers behind it.
fn figure_button(text: String, aria: String, open: &OnFigure, opened: (String, FigureQuery)) -> Html {
    let open = open.clone();
    html! {
        <button type="button" class="figure-btn" aria-label={aria} onclick={Callback::from(move |_| open.emit(opened.clone()))}>
            { text }
        </button>
    }
}

/// `#revenue-net`: gross, refunds and net per month in the chosen currency.
pub fn net_revenue(net: &[NetRevenueMonth], currency: &str, scope: &RevenueScope, on_figure: &OnFigure) -> Html {
    let rows = net_rows(net, currency);
    let label = currency_label(currency);
    let body = if rows.is_empty() {
        html! { <div class="muted" id="revenue-net-empty">{ format!("No payments in {label} in these months.") }</div> }
    } else {
        html! {
            <div class="table-scroll">
                <table class="whop-table revenue-net-table">
                    <caption class="visually-hidden">{ format!("Net revenue per month, in {label}") }</caption>
                    <thead><tr>
                        <th scope="col">{ "Month" }</th><th scope="col" class="num">{ "Gross" }</th>
                        <th scope="col" class="num">{ "Refunds" }</th><th scope="col" class="num">{ "Net" }</th>
                        <th scope="col" class="num">{ "Payments" }</th><th scope="col" class="num">{ "Refunded payments" }</th>
                    </tr></thead>
                    <tbody>
                        { for rows.iter().rev().map(|n| html! {
                            <tr class="revenue-net-row" key={n.month.clone()} data-month={n.month.clone()}>
                                <th scope="row">{ month_label(&n.month) }</th>
                                <td class="num">{ amount(n.gross_micros, &n.currency) }</td>
                                <td class="num">{ if n.refunded_micros == 0 { "—".to_string() } else { format!("−{}", amount(n.refunded_micros, &n.currency)) } }</td>
                                <td class="num revenue-net-value">{ if n.payments + n.refunds == 0 {
                                    // A month without payments has nobody behind it: plain text.
                                    html! { amount(n.net_micros, &n.currency) }
                                } else {
                                    figure_button(
                                        amount(n.net_micros, &n.currency),
                                        format!("Customers behind the net revenue of {}: {}", month_label(&n.month), amount(n.net_micros, &n.currency)),
                                        on_figure,
                                        figure_query(scope, Figure::NetRevenue { month: n.month.clone(), currency: n.currency.clone() }),
                                    )
                                } }</td>
                                <td class="num">{ n.payments }</td>
                                <td class="num">{ n.refunds }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        }
    };
    html! {
        <Card title={AttrValue::from(format!("Net revenue per month ({label})"))} id="revenue-net" class="revenue-net">
            { body }
        </Card>
    }
}

/// The month column headings: `M0` on screen, the full words for screen readers.
fn month_heading(k: usize) -> Html {
    let words = match k {
        0 => "First month".to_string(),
        1 => "1 month later".to_string(),
        n => format!("{n} months later"),
    };
    html! {
        <th scope="col" class="num cohort-month" title={words.clone()}>
            <span aria-hidden="true">{ format!("M{k}") }</span><span class="visually-hidden">{ words }</span>
        </th>
    }
}

/// `#revenue-cohorts`: customers by the month they first paid, and the share still paying in
/// each month after, shaded.
pub fn cohorts(grid: &CohortGrid, scope: &RevenueScope, on_figure: &OnFigure) -> Html {
    let width = cohort_width(grid);
    let body = if grid.rows.is_empty() {
        html! { <div class="muted" id="revenue-cohorts-empty">{ "No customers yet: cohorts start with the first paid payment." }</div> }
    } else {
        html! {
            <div class="table-scroll">
                <table class="whop-table cohort-grid" id="revenue-cohort-grid">
                    <caption class="visually-hidden">
                        { "Customers by the month of their first payment, and the share of them still customers in each month after" }
                    </caption>
                    <thead><tr>
                        <th scope="col">{ "Cohort" }</th><th scope="col" class="num">{ "Customers" }</th>
                        { for (0..width).map(month_heading) }
                    </tr></thead>
                    <tbody>
                        { for grid.rows.iter().map(|row| html! {
                            <tr class="cohort-row" key={row.cohort.clone()} data-cohort={row.cohort.clone()}>
                                <th scope="row">{ month_label(&row.cohort) }</th>
                                <td class="num">{ row.customers }</td>
                                { for cohort_cells(row, width).into_iter().map(|cell| match cell {
                                    Some(c) => {
                                        let month = c.month.clone();
                                        html! {
                                            <td class={classes!("num", "cohort-cell", format!("cohort-shade-{}", c.shade))} title={c.title.clone()}
                                                data-shade={c.shade.to_string()}>
                                                if c.shade == 0 {
                                                    // Nobody is left in it: nothing to open.
                                                    { c.text.clone() }<span class="visually-hidden">{ format!(" ({})", c.title) }</span>
                                                } else {
                                                    { figure_button(c.text.clone(), format!("Customers behind {}: {}", c.text, c.title), on_figure,
                                                        figure_query(scope, Figure::Cohort { cohort: row.cohort.clone(), month })) }
                                                }
                                            </td>
                                        }
                                    }
                                    None => html! { <td class="cohort-cell cohort-none" /> },
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        }
    };
    html! {
        <Card title={AttrValue::from("Cohorts: customers still paying")} id="revenue-cohorts" class="revenue-cohorts">
            { body }
        </Card>
    }
}

/// `#revenue-ltv`: what a customer brings per product and plan, net of refunds.
pub fn ltv(rows: &[LtvRow], scope: &RevenueScope, on_figure: &OnFigure) -> Html {
    let body = if rows.is_empty() {
        html! { <div class="muted">{ "No paid payments yet." }</div> }
    } else {
        html! {
            <table class="whop-table revenue-ltv-table">
                <thead><tr>
                    <th scope="col">{ "Product" }</th><th scope="col">{ "Plan" }</th><th scope="col" class="num">{ "Customers" }</th>
                    <th scope="col" class="num">{ "Net revenue" }</th><th scope="col" class="num">{ "LTV" }</th>
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|r| {
                        let (product, plan) = ltv_names(r);
                        let key = format!("{}-{}-{}", r.product_id, r.plan_id.as_deref().unwrap_or(""), r.currency);
                        let aria = format!("The {} customers of {product} · {plan}", r.customers);
                        html! {
                            <tr class={classes!("revenue-ltv-row", r.plan_id.is_none().then_some("product-total"))} {key}
                                data-product={r.product_id.clone()}>
                                <td>{ product }</td>
                                <td>{ plan }</td>
                                <td class="num">{ figure_button(r.customers.to_string(),
                                    aria, on_figure, ltv_figure(scope, r)) }</td>
                                <td class="num">{ amount(r.net_micros, &r.currency) }</td>
                                <td class="num">{ amount(r.ltv_micros, &r.currency) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        }
    };
    html! {
        <Card title={AttrValue::from("Lifetime value by product and plan")} id="revenue-ltv" class="revenue-ltv">{ body }</Card>
    }
}

/// `#revenue-top-customers`: the customers who brought the most, in Whop's USD amounts.
pub fn top_customers(rows: &[TopCustomer]) -> Html {
    let body = if rows.is_empty() {
        html! { <div class="muted">{ "No paying customers yet." }</div> }
    } else {
        html! {
            <table class="whop-table revenue-top-table">
                <thead><tr>
                    <th scope="col">{ "Customer" }</th><th scope="col" class="num">{ "Payments" }</th>
                    <th scope="col" class="num">{ "Net (Whop's USD amounts)" }</th>
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|c| html! {
                        <tr class="revenue-top-row" key={c.user_id.clone()} data-user={c.user_id.clone()}>
                            <td>{ person_link(c.person_id, &c.name) }</td>
                            <td class="num">{ c.payments }</td>
                            <td class="num">{ amount(c.net_usd_micros, "USD") }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        }
    };
    html! {
        <Card title={AttrValue::from("Top customers")} id="revenue-top-customers" class="revenue-top">{ body }</Card>
    }
}
