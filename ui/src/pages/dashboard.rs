//! The dashboard: pipeline value by stage, weighted forecast, deals won per month, the tasks due
//! today or overdue, and (once Whop syncs) Whop revenue by product, per business.

use crate::components::charts::{BarChart, LineChart};
use crate::components::display::{Card, Skeleton};
use crate::components::hooks::use_changes_of;
use crate::ipc::invoke;
use crate::route::Route;
use crate::state::format::compact_micros;
use dealdesk_model::ipc::GetDashboard;
use dealdesk_model::{Dashboard, Money, RecordKind, Task};
use yew::prelude::*;
use yew_router::prelude::*;

fn money(micros: i64, currency: &str) -> String {
    Money { micros, currency: currency.to_string() }.display()
}

fn task_list(tasks: &[Task], empty: &str) -> Html {
    if tasks.is_empty() {
        return html! { <div class="muted">{ empty.to_string() }</div> };
    }
    html! {
        <ul class="task-list">
            { for tasks.iter().map(|t| {
                let target = t.targets.first().and_then(|r| crate::shell::record_route(*r));
                html! {
                    <li class="task">
                        <span class="task-title">{ t.title.clone() }</span>
                        <span class="muted">{ t.due_at.map(|d| d.date_naive().to_string()).unwrap_or_default() }</span>
                        if let Some(route) = target { <Link<Route> to={route} classes="link-btn">{ "open" }</Link<Route>> }
                    </li>
                }
            }) }
        </ul>
    }
}

/// Whop revenue by product, for one synced business or all; nothing until a business syncs.
#[function_component(WhopDashboard)]
fn whop_dashboard() -> Html {
    let businesses = crate::pages::whop::use_synced_businesses();
    let (business, on_change) = crate::pages::whop::use_business_filter(&businesses);
    if businesses.is_empty() {
        return html! {};
    }
    html! {
        <div class="dashboard-whop" id="dashboard-whop">
            <crate::pages::whop::BusinessPicker id="dashboard-whop-business" {businesses} value={business.clone()} {on_change} />
            <crate::pages::whop::WhopRevenue {business} />
        </div>
    }
}

#[function_component(DashboardPage)]
pub fn dashboard_page() -> Html {
    let deals = use_changes_of(RecordKind::Deal);
    let tasks = use_changes_of(RecordKind::Task);
    let data = use_state(|| None::<Dashboard>);
    {
        let data = data.clone();
        use_effect_with((deals, tasks), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(d) = invoke::<GetDashboard>(&()).await {
                    data.set(Some(d));
                }
            });
        });
    }
    let Some(d) = (*data).clone() else {
        return html! { <section class="page"><header class="page-header"><h1>{ "Dashboard" }</h1></header><Skeleton rows={8} /></section> };
    };
    let currency = d.currency.clone();
    let by_stage: Vec<(String, f64, String)> =
        d.stages.iter().map(|s| (s.name.clone(), s.value_micros as f64, money(s.value_micros, &currency))).collect();
    let won: Vec<(String, f64, String)> = d
        .won_per_month
        .iter()
        .map(|m| {
            (
                m.month[5..].to_string(),
                m.value_micros as f64,
                format!("{} deals, {}", m.count, money(m.value_micros, &currency)),
            )
        })
        .collect();
    let axis = Callback::from(|v: f64| compact_micros(v as i64));
    let won_total: i64 = d.won_per_month.iter().map(|m| m.value_micros).sum();
    html! {
        <section class="page dashboard" id="dashboard">
            <header class="page-header">
                <h1>{ "Dashboard" }</h1>
                <span class="count">{ format!("{} · {}", d.pipeline_name, d.currency) }</span>
            </header>
            <div class="kpis">
                <Card class="kpi"><div class="kpi-label">{ "Open pipeline" }</div><div class="kpi-value" id="kpi-open">{ money(d.open_value_micros, &currency) }</div></Card>
                <Card class="kpi"><div class="kpi-label">{ "Weighted forecast" }</div><div class="kpi-value" id="kpi-forecast">{ money(d.weighted_forecast_micros, &currency) }</div></Card>
                <Card class="kpi"><div class="kpi-label">{ "Won, last 12 months" }</div><div class="kpi-value">{ money(won_total, &currency) }</div></Card>
                <Card class="kpi"><div class="kpi-label">{ "Tasks due today / overdue" }</div><div class="kpi-value">{ format!("{} / {}", d.tasks_due_today.len(), d.tasks_overdue.len()) }</div></Card>
            </div>
            if !d.other_currencies.is_empty() {
                <div class="muted">{ format!("Deals in {} are not included (no conversion).", d.other_currencies.join(", ")) }</div>
            }
            <div class="charts">
                <Card title={AttrValue::from("Pipeline value by stage")}>
                    <BarChart title="Pipeline value by stage" data={by_stage} axis={axis.clone()} />
                </Card>
                <Card title={AttrValue::from("Deals won per month")}>
                    if won_total == 0 {
                        <div class="chart-empty">{ "No deals won in the last 12 months yet. Won deals show up here by the month they closed." }</div>
                    } else {
                        <LineChart title="Deals won per month" data={won} {axis} />
                    }
                </Card>
            </div>
            <div class="charts">
                <Card title={AttrValue::from("Due today")}>{ task_list(&d.tasks_due_today, "Nothing due today.") }</Card>
                <Card title={AttrValue::from("Overdue")}>{ task_list(&d.tasks_overdue, "Nothing overdue.") }</Card>
            </div>
            <WhopDashboard />
        </section>
    }
}
