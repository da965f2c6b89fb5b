//! Revenue per business, and the business filter the Whop screens share.

use super::*;

#[derive(Properties, PartialEq, Default)]
pub struct BusinessProps {
    /// One business (its id), or all of them.
    #[prop_or_default]
    pub business: Option<String>,
}

/// Revenue per product, paid minus refunded, of one business or all.
#[function_component(WhopRevenue)]
pub fn whop_revenue(props: &BusinessProps) -> Html {
    let changes = use_whop_changes();
    let revenue = use_state(|| None::<Result<Vec<ProductRevenue>, String>>);
    {
        let revenue = revenue.clone();
        use_effect_with((changes, props.business.clone()), move |(_, business)| {
            let business = business.clone();
            wasm_bindgen_futures::spawn_local(async move {
                revenue.set(Some(invoke::<WhopGetProductRevenue>(&business).await.map_err(|e| e.message)));
            });
        });
    }
    html! {
        <Card title={AttrValue::from("Revenue by product")} id="whop-revenue" class="whop-revenue" actions={whop_badge()}>
            { match &*revenue {
                None => html! { <Skeleton rows={3} /> },
                Some(Err(message)) => html! { <div class="banner error" role="alert">{ message.clone() }</div> },
                Some(Ok(rows)) if rows.is_empty() => html! { <div class="muted">{ "No payments synced yet." }</div> },
                Some(Ok(rows)) => html! {
                    <table class="whop-table">
                        <thead><tr><th>{ "Product" }</th><th class="num">{ "Payments" }</th><th class="num">{ "Revenue" }</th></tr></thead>
                        <tbody>
                            { for rows.iter().map(|r| html! {
                                <tr class="whop-revenue-row" key={format!("{}-{}-{}", r.business_id.as_deref().unwrap_or(""), r.product_id, r.currency)}
                                    data-product={r.product_id.clone()} data-currency={r.currency.clone()}>
                                    <td>{ r.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| r.product_id.clone()) }</td>
                                    <td class="num">{ r.payments }</td>
                                    <td class="num">{ money_text(r.revenue_micros, &r.currency) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                },
            } }
        </Card>
    }
}

/// The synced businesses, for pickers: empty until the status is read.
#[hook]
pub fn use_synced_businesses() -> Vec<WhopAccount> {
    let changes = use_whop_changes();
    let businesses = use_state(Vec::<WhopAccount>::new);
    {
        let businesses = businesses.clone();
        use_effect_with(changes, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(status) = invoke::<WhopGetStatus>(&()).await {
                    businesses.set(
                        status
                            .businesses
                            .into_iter()
                            .filter(|b| b.selected)
                            .map(|b| WhopAccount { id: b.id, title: b.title })
                            .collect(),
                    );
                }
            });
        });
    }
    (*businesses).clone()
}

/// A business filter: its value, and the setter for pickers (a business that stops syncing falls
/// back to all of them).
#[hook]
pub fn use_business_filter(businesses: &[WhopAccount]) -> (Option<String>, Callback<Option<String>>) {
    let business = use_state(|| None::<String>);
    let current = (*business).clone().filter(|id| businesses.iter().any(|b| &b.id == id));
    let set = {
        let business = business.clone();
        Callback::from(move |value: Option<String>| business.set(value))
    };
    (current, set)
}

#[derive(Properties, PartialEq)]
pub struct BusinessPickerProps {
    pub id: AttrValue,
    pub businesses: Vec<WhopAccount>,
    pub value: Option<String>,
    pub on_change: Callback<Option<String>>,
}

/// "All businesses" or one of them; nothing when at most one business syncs.
#[function_component(BusinessPicker)]
pub fn business_picker(props: &BusinessPickerProps) -> Html {
    if props.businesses.len() < 2 {
        return html! {};
    }
    let on_change = props.on_change.reform(|value: String| (!value.is_empty()).then_some(value));
    let options: Vec<(AttrValue, AttrValue)> =
        std::iter::once((AttrValue::from(""), AttrValue::from("All businesses")))
            .chain(props.businesses.iter().map(|b| (AttrValue::from(b.id.clone()), AttrValue::from(b.title.clone()))))
            .collect();
    html! {
        <div class="whop-business-picker">
            <Select id={props.id.clone()} label={AttrValue::from("Business")}
                value={AttrValue::from(props.value.clone().unwrap_or_default())} {options} {on_change} />
        </div>
    }
}
