//! MRR per month: the bar chart, the movement table under it (each figure opens the customers
//! behind it), and the side panel that lists them.

use super::figures::{CustomersDrawer, loaded};
use super::person_link;
use crate::components::charts::BarChart;
use crate::components::display::Card;
use crate::components::hooks::use_invoked;
use crate::state::format::compact_micros;
use crate::state::revenue::{
    MOVEMENTS, chart_summary, currency_label, drill_change, drill_title, month_label, movement_aria, movement_cells,
    movement_label, mrr_bars, series,
};
use dealdesk_model::ipc::RevenueDrill;
use dealdesk_model::revenue::{Movement, MrrDrill, MrrMonth};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MrrProps {
    /// Every currency's months (the card shows `currency`'s).
    pub months: Vec<MrrMonth>,
    pub currency: String,
    /// The currency switcher, when there are several.
    #[prop_or_default]
    pub switcher: Html,
    /// Opens the customers behind a figure: `(month, movement)`.
    pub on_drill: Callback<(String, Movement)>,
}

/// `#revenue-mrr`: the chart of the chosen currency and its movement per month.
#[function_component(MrrCard)]
pub fn mrr_card(props: &MrrProps) -> Html {
    let months = series(&props.months, &props.currency);
    let label = currency_label(&props.currency);
    let on_bar = {
        let (on_drill, order): (_, Vec<String>) =
            (props.on_drill.clone(), months.iter().map(|m| m.month.clone()).collect());
        Callback::from(move |i: usize| {
            if let Some(month) = order.get(i) {
                on_drill.emit((month.clone(), Movement::Active));
            }
        })
    };
    let axis = Callback::from(|v: f64| compact_micros(v as i64));
    html! {
        <Card title={AttrValue::from("MRR per month")} id="revenue-mrr" class="revenue-mrr" actions={props.switcher.clone()}>
            <BarChart id="revenue-mrr-chart" title={AttrValue::from(format!("MRR per month in {label}"))}
                description={AttrValue::from(chart_summary(&months, &props.currency))}
                data={mrr_bars(&months)} {axis} on_select={on_bar} />
            <div class="table-scroll">
                <table class="whop-table revenue-movements" id="revenue-movements">
                    <caption class="visually-hidden">
                        { format!("MRR and how it moved per month, in {label}. Each figure opens the customers behind it.") }
                    </caption>
                    <thead><tr>
                        <th scope="col">{ "Month" }</th>
                        <th scope="col" class="num">{ movement_label(Movement::Active) }</th>
                        <th scope="col" class="num">{ "Customers" }</th>
                        { for MOVEMENTS.iter().map(|m| html! { <th scope="col" class="num">{ movement_label(*m) }</th> }) }
                    </tr></thead>
                    <tbody>
                        { for months.iter().rev().map(|m| movement_row(m, &props.on_drill)) }
                    </tbody>
                </table>
            </div>
        </Card>
    }
}

/// A month's row: its MRR, customers, then each movement; figures with customers are buttons.
fn movement_row(m: &MrrMonth, on_drill: &Callback<(String, Movement)>) -> Html {
    let cells = movement_cells(m);
    let figure = |index: usize| -> Html {
        let Some(cell) = cells.get(index) else { return html! { <td class="num" /> } };
        let class = classes!("num", format!("movement-{}", movement_label(cell.movement).to_lowercase()));
        if !cell.drillable {
            return html! { <td {class}>{ cell.text.clone() }</td> };
        }
        let (on_drill, month, movement) = (on_drill.clone(), m.month.clone(), cell.movement);
        html! {
            <td {class}>
                <button type="button" class="figure-btn" aria-label={movement_aria(cell, &m.month)}
                    data-movement={movement_label(movement).to_lowercase()}
                    onclick={Callback::from(move |_| on_drill.emit((month.clone(), movement)))}>
                    { cell.text.clone() }
                </button>
            </td>
        }
    };
    html! {
        <tr class="revenue-month" key={m.month.clone()} data-month={m.month.clone()}>
            <th scope="row">{ month_label(&m.month) }</th>
            { figure(0) }
            <td class="num">{ m.customers }</td>
            { for (1..cells.len()).map(figure) }
        </tr>
    }
}

#[derive(Properties, PartialEq)]
pub struct DrillProps {
    pub drill: MrrDrill,
    pub on_close: Callback<()>,
}

/// `#revenue-drill`: the customers behind one MRR figure, each opening their person page.
#[function_component(DrillPanel)]
pub fn drill_panel(props: &DrillProps) -> Html {
    let rows = use_invoked::<RevenueDrill>(props.drill.clone());
    let d = &props.drill;
    let list = rows.as_ref().and_then(|r| r.as_ref().ok()).cloned().unwrap_or_default();
    let table = html! {
        <table class="whop-table revenue-drill-rows">
            <thead><tr><th scope="col">{ "Customer" }</th><th scope="col" class="num">{ "MRR before → after" }</th></tr></thead>
            <tbody>
                { for list.iter().map(|r| html! {
                    <tr class="revenue-drill-row" key={r.customer.clone()} data-customer={r.customer.clone()}>
                        <td>{ person_link(r.person_id, &r.name) }</td>
                        <td class="num">{ drill_change(r, &d.currency) }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    };
    html! {
        <CustomersDrawer title={AttrValue::from(drill_title(d.movement, &d.month, &d.currency))} loaded={loaded(&rows)}
            on_close={props.on_close.clone()}>
            { table }
        </CustomersDrawer>
    }
}
