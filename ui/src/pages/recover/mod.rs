//! The Recover screen (`/recover`): every membership that is past due or whose latest payment
//! failed, most at stake first (the core's order), with what Whop said, when it retries and when
//! it cancels; this month's recovered revenue and rate and what is at stake on top. From a row:
//! Retry payment (the shared Whop action dialog), Message on Whop (a compose dialog), Add task,
//! and the customer's page.

use crate::components::display::{Card, EmptyState, Skeleton};
use crate::components::hooks::use_whop_data_changes;
use crate::ipc::invoke;
use crate::pages::revenue::{connect_whop, use_whop_connected};
use crate::pages::whop::{BusinessPicker, use_business_filter, use_synced_businesses, whop_badge};
use crate::pages::whop_actions::use_action_dialog;
use crate::state::format::now;
use crate::state::revenue::{NO_FAILED_PAYMENTS, item_key, rate_text, recover_count, recovery_detail, totals_text};
use dealdesk_model::ipc::RecoverGetList;
use dealdesk_model::revenue::{RecoverList, RevenueScope};
use yew::prelude::*;

mod message;
mod row;

use message::use_message_dialog;
use row::RecoverRow;

fn kpi(label: &'static str, id: &'static str, value: String, detail: Option<String>) -> Html {
    html! {
        <Card class="kpi">
            <div class="kpi-label">{ label }</div>
            <div class="kpi-value" id={id}>{ value }</div>
            if let Some(detail) = detail { <div class="kpi-detail">{ detail }</div> }
        </Card>
    }
}

#[function_component(RecoverPage)]
pub fn recover_page() -> Html {
    let connected = use_whop_connected();
    let businesses = use_synced_businesses();
    let (business, on_business) = use_business_filter(&businesses);
    // Syncs, and the outbox (a retry queued, sent, refused) move the list.
    let changes = use_whop_data_changes(None);
    let list = use_state(|| None::<Result<RecoverList, String>>);
    {
        let list = list.clone();
        use_effect_with((changes, business.clone()), move |(_, business)| {
            let scope = RevenueScope { business: business.clone(), product: None };
            wasm_bindgen_futures::spawn_local(async move {
                list.set(Some(invoke::<RecoverGetList>(&scope).await.map_err(|e| e.message)));
            });
        });
    }
    let (open, dialog) = use_action_dialog(Callback::noop());
    let (compose, composer) = use_message_dialog();
    let count = match &*list {
        Some(Ok(l)) if connected != Some(false) => Some(recover_count(l.items.len())),
        _ => None,
    };
    let body = match (connected, &*list) {
        (Some(false), _) => connect_whop(
            "recover-connect",
            "Recover lists the renewals Whop could not charge, from the payments it syncs. Connect Whop to see them.",
        ),
        (_, None) => html! { <Skeleton rows={6} /> },
        (_, Some(Err(message))) => html! {
            <div class="banner error" id="recover-error" role="alert">{ format!("Cannot read the failed payments: {message}") }</div>
        },
        (_, Some(Ok(l))) => {
            let now = now();
            html! {
                <>
                    <div class="kpis recover-kpis" id="recover-summary">
                        { kpi("Recovered this month", "recover-recovered", totals_text(&l.recovery.recovered),
                            Some("Failed payments paid after all".to_string())) }
                        { kpi("Recovery rate", "recover-rate", rate_text(l.recovery.recovery_rate), Some(recovery_detail(&l.recovery))) }
                        { kpi("At stake", "recover-at-stake", totals_text(&l.at_stake),
                            Some("What the memberships below renew for".to_string())) }
                    </div>
                    if l.items.is_empty() {
                        <div id="recover-empty">
                            <EmptyState title={AttrValue::from(NO_FAILED_PAYMENTS)}
                                hint={AttrValue::from("Payments Whop cannot charge show up here after the next sync, with Whop's reason and its next retry.")} />
                        </div>
                    } else {
                        <Card title={AttrValue::from("Failed payments and past-due memberships")} id="recover-list" class="recover-list"
                            actions={whop_badge()}>
                            <div class="muted whop-readonly">
                                { "Most at stake first. Whop retries failed renewals by itself; Retry payment charges the card again now." }
                            </div>
                            <div class="table-scroll">
                                <table class="whop-table recover-table" id="recover-table">
                                    <thead><tr>
                                        <th scope="col">{ "Customer" }</th>
                                        <th scope="col">{ "Product and plan" }</th>
                                        <th scope="col" class="num">{ "Amount" }</th>
                                        <th scope="col">{ "Whop says" }</th>
                                        <th scope="col" class="num">{ "Attempts" }</th>
                                        <th scope="col">{ "Next retry" }</th>
                                        <th scope="col">{ "Whop cancels" }</th>
                                        <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                                    </tr></thead>
                                    <tbody>
                                        { for l.items.iter().enumerate().map(|(i, item)| html! {
                                            <RecoverRow key={item_key(item, i)} item={item.clone()} {now} on_action={open.clone()}
                                                on_message={compose.clone()} />
                                        }) }
                                    </tbody>
                                </table>
                            </div>
                        </Card>
                    }
                </>
            }
        }
    };
    html! {
        <section class="page recover-page" id="recover-page">
            <header class="page-header">
                <h1>{ "Recover" }</h1>
                if let Some(count) = count { <span class="count" id="recover-count">{ count }</span> }
            </header>
            <div class="revenue-filters">
                <BusinessPicker id="recover-business" {businesses} value={business} on_change={on_business} />
            </div>
            { body }
            { dialog }
            { composer }
        </section>
    }
}
