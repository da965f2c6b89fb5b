use super::{error_banner, use_list};
use crate::components::hooks::use_changes_of;
use dealdesk_model::ipc::ListDeals;
use dealdesk_model::{DealQuery, DealStatus, RecordKind};
use yew::prelude::*;

#[function_component(DealsPage)]
pub fn deals_page() -> Html {
    let version = use_changes_of(RecordKind::Deal);
    let list = use_list::<ListDeals, _>(DealQuery { limit: Some(200), ..Default::default() }, version);
    html! {
        <section class="page">
            <header class="page-header"><h1>{ "Deals" }</h1><span class="count">{ list.items.len() }</span></header>
            { error_banner(&list.error) }
            if list.items.is_empty() && !list.loading && list.error.is_none() {
                <div class="empty">{ "No deals yet." }</div>
            } else {
                <table class="records" id="deals-table">
                    <thead><tr>
                        <th>{ "Deal" }</th><th class="num">{ "Amount" }</th><th>{ "Stage" }</th>
                        <th class="num">{ "Probability" }</th><th>{ "Status" }</th><th>{ "Company" }</th><th>{ "Contact" }</th>
                    </tr></thead>
                    <tbody>
                        { for list.items.iter().map(|d| {
                            let status = match d.status { DealStatus::Open => "open", DealStatus::Won => "won", DealStatus::Lost => "lost" };
                            html! {
                                <tr key={d.id.to_string()} data-id={d.id.to_string()}>
                                    <td class="name">{ d.name.clone() }</td>
                                    <td class="num">{ d.amount.display() }</td>
                                    <td><span class="pill">{ d.stage_name.clone() }</span></td>
                                    <td class="num">{ format!("{}%", d.probability) }</td>
                                    <td><span class={classes!("status", status)}>{ status }</span></td>
                                    <td>{ d.company_name.clone().unwrap_or_default() }</td>
                                    <td>{ d.contact_name.clone().unwrap_or_default() }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
