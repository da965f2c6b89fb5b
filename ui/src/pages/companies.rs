use super::{error_banner, use_list};
use crate::components::hooks::use_changes_of;
use dealdesk_model::ipc::ListCompanies;
use dealdesk_model::{CompanyQuery, RecordKind};
use yew::prelude::*;

#[function_component(CompaniesPage)]
pub fn companies_page() -> Html {
    let version = use_changes_of(RecordKind::Company);
    let list = use_list::<ListCompanies, _>(CompanyQuery { limit: Some(200), ..Default::default() }, version);
    html! {
        <section class="page">
            <header class="page-header"><h1>{ "Companies" }</h1><span class="count">{ list.items.len() }</span></header>
            { error_banner(&list.error) }
            if list.items.is_empty() && !list.loading && list.error.is_none() {
                <div class="empty">{ "No companies yet." }</div>
            } else {
                <table class="records" id="companies-table">
                    <thead><tr><th>{ "Name" }</th><th>{ "Domain" }</th><th>{ "Tags" }</th></tr></thead>
                    <tbody>
                        { for list.items.iter().map(|c| html! {
                            <tr key={c.id.to_string()} data-id={c.id.to_string()}>
                                <td class="name">{ c.name.clone() }</td>
                                <td>{ c.domain.clone().unwrap_or_default() }</td>
                                <td>{ c.tags.join(", ") }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
