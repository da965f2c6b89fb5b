//! A person's Whop card.

use super::*;

#[derive(Properties, PartialEq)]
pub struct WhopPersonProps {
    pub person: Uuid,
}

/// A person's memberships, recent payments and lifetime value, with the Whop actions on each
/// membership and payment (pending ones marked); nothing when the person has no Whop user.
#[function_component(WhopPersonCard)]
pub fn whop_person_card(props: &WhopPersonProps) -> Html {
    let changes = use_whop_data_changes(Some(RecordKind::Person));
    let summary = use_state(|| None::<WhopPersonSummary>);
    let business = use_state(|| None::<String>);
    let (open, dialog) = use_action_dialog(Callback::noop());
    {
        let summary = summary.clone();
        use_effect_with((props.person, changes, (*business).clone()), move |(id, _, business)| {
            let query = WhopPersonQuery { person_id: *id, business_id: business.clone() };
            wasm_bindgen_futures::spawn_local(async move {
                summary.set(invoke::<WhopGetPersonSummary>(&query).await.ok());
            });
        });
    }
    let Some(s) = summary.as_ref().filter(|s| !s.user_ids.is_empty()) else {
        return html! {};
    };
    let businesses = s.businesses.clone();
    let on_business = {
        let business = business.clone();
        Callback::from(move |value: Option<String>| business.set(value))
    };
    html! {
        <Card title={AttrValue::from("Whop")} id="whop-person" class="whop-person" actions={whop_badge()}>
            <div class="muted whop-readonly">{ "These fields come from Whop and change with sync; actions taken here show at once and reach Whop when Dealdesk is online." }</div>
            <BusinessPicker id="whop-person-business" {businesses} value={(*business).clone()} on_change={on_business} />
            <div class="field-row">
                <div class="field-row-label">{ if s.user_ids.len() == 1 { "Whop user" } else { "Whop users" } }</div>
                <div class="field-row-value"><code>{ s.user_ids.join(", ") }</code></div>
            </div>
            <div class="field-row">
                <div class="field-row-label">{ "Lifetime value" }</div>
                <div class="field-row-value whop-ltv" id="whop-ltv">
                    if s.lifetime_value.is_empty() { <span class="muted">{ "—" }</span> } else { { s.lifetime_value.join(" · ") } }
                </div>
            </div>
            <h4 class="whop-subhead">{ "Memberships" }</h4>
            if s.memberships.is_empty() {
                <div class="muted">{ "No memberships." }</div>
            } else {
                <ul class="whop-list whop-memberships">
                    { for s.memberships.iter().map(|m| html! {
                        <MembershipRow key={m.id.clone()} membership={m.clone()} on_action={open.clone()} />
                    }) }
                </ul>
            }
            <h4 class="whop-subhead">
                { "Recent payments" }
                <span class="count whop-payment-count">{ payments_label(s.payment_count) }</span>
            </h4>
            if s.payments.is_empty() {
                <div class="muted">{ "No payments." }</div>
            } else {
                <table class="whop-table whop-payments">
                    <thead><tr>
                        <th class="num">{ "Amount" }</th><th>{ "Status" }</th><th class="num">{ "Refunded" }</th>
                        <th>{ "Product" }</th><th>{ "Date" }</th><th />
                    </tr></thead>
                    <tbody>
                        { for s.payments.iter().map(|p| html! {
                            <tr class="whop-payment" key={p.id.clone()} data-payment={p.id.clone()} data-status={p.status.clone()}>
                                <td class="num">{ p.amount.clone() }</td>
                                <td>
                                    <Badge text={p.status.replace('_', " ")} tone={tone(payment_tone(&p.status))} />
                                    { " " }<PendingBadges pending={p.pending.clone()} />
                                    if let Some(why) = &p.failure_message { <div class="muted whop-failure">{ why.clone() }</div> }
                                </td>
                                <td class="num">{ p.refunded.clone().unwrap_or_else(|| "—".into()) }</td>
                                <td>{ p.product.clone().unwrap_or_default() }</td>
                                <td>{ p.paid_at.as_deref().map(short_date).unwrap_or_default() }</td>
                                <td class="row-buttons">{ refund_button(p, &open) }{ retry_button(p, &open) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            { dialog }
        </Card>
    }
}
