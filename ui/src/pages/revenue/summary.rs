//! The month at a glance, and the notices for payments the totals leave out.

use crate::components::display::Card;
use crate::state::revenue::{
    ALL_IN_USD_LABEL, amount, excluded_notices, rate_text, recovery_detail, totals_text, without_repeated_total,
};
use dealdesk_model::revenue::{ALL_IN_USD, Excluded, RevenueSummary};
use yew::prelude::*;

/// One line per currency: the amount, and what the cross-currency total is.
fn per_currency(items: Vec<(String, i64)>, id: &'static str) -> Html {
    if items.is_empty() {
        return html! { <div class="kpi-value" id={id}>{ "—" }</div> };
    }
    html! {
        <ul class="kpi-lines" id={id}>
            { for items.into_iter().map(|(currency, micros)| html! {
                <li data-currency={currency.clone()}>
                    <span class="kpi-amount">{ amount(micros, &currency) }</span>
                    if currency == ALL_IN_USD { <span class="kpi-detail">{ ALL_IN_USD_LABEL }</span> }
                </li>
            }) }
        </ul>
    }
}

fn kpi(label: &'static str, value: Html, detail: Option<String>) -> Html {
    html! {
        <Card class="kpi">
            <div class="kpi-label">{ label }</div>
            { value }
            if let Some(detail) = detail { <div class="kpi-detail">{ detail }</div> }
        </Card>
    }
}

fn single(id: &'static str, text: String) -> Html {
    html! { <div class="kpi-value" id={id}>{ text }</div> }
}

/// MRR now, net revenue, churn and recovery for the month.
pub fn cards(s: &RevenueSummary) -> Html {
    let mrr = without_repeated_total(s.mrr.iter().map(|m| (m.currency.clone(), m.mrr_micros)).collect());
    let net = s.net_revenue.iter().map(|n| (n.currency.clone(), n.net_micros)).collect();
    html! {
        <div class="kpis revenue-kpis" id="revenue-summary">
            { kpi("MRR now", per_currency(mrr, "revenue-mrr-now"), None) }
            { kpi("Net revenue this month", per_currency(net, "revenue-net-now"), Some("Paid, less refunds".to_string())) }
            { kpi("Customer churn rate", single("revenue-customer-churn", rate_text(s.customer_churn_rate)),
                Some("Customers who stopped paying this month, of those paying at its start".to_string())) }
            { kpi("Revenue churn rate", single("revenue-revenue-churn", rate_text(s.revenue_churn_rate)),
                Some("Churned and contracted MRR, of the MRR at the month's start (Whop's USD amounts)".to_string())) }
            { kpi("Recovered this month", single("revenue-recovered", totals_text(&s.recovery.recovered)),
                Some("Failed payments paid after all".to_string())) }
            { kpi("Recovery rate", single("revenue-recovery-rate", rate_text(s.recovery.recovery_rate)),
                Some(recovery_detail(&s.recovery))) }
        </div>
    }
}

/// Every payment a figure leaves out, said once and never hidden.
pub fn excluded(summary: &[Excluded], series: &[Excluded]) -> Html {
    let notices = excluded_notices(&[series, summary]);
    if notices.is_empty() {
        return html! {};
    }
    html! {
        <div class="banner warning revenue-excluded" id="revenue-excluded" role="status">
            <ul>{ for notices.into_iter().map(|n| html! { <li>{ n }</li> }) }</ul>
        </div>
    }
}
