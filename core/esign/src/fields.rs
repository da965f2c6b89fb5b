//! The merge fields a contract template can use, and their values on a deal.

use super::error::EsignError;
use dealdesk_crm::Crm;
use dealdesk_model::contract::ContractField;
use dealdesk_model::money::Money;
use dealdesk_store::Store;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Every field a template can name, with its label. Custom fields add `deal.custom.KEY`,
/// `company.custom.KEY` and `contact.custom.KEY`.
pub const CATALOGUE: &[(&str, &str)] = &[
    ("today", "Today's date"),
    ("sender.company", "Your company (Settings → Contracts)"),
    ("sender.name", "Your name (Settings → Contracts)"),
    ("deal.title", "Deal title"),
    ("deal.amount", "Deal amount with currency"),
    ("deal.currency", "Deal currency"),
    ("deal.stage", "Deal stage"),
    ("deal.close_date", "Expected close date"),
    ("company.name", "Company name"),
    ("company.domain", "Company domain"),
    ("company.address", "Company address"),
    ("contact.name", "Contact's full name"),
    ("contact.first_name", "Contact's first name"),
    ("contact.last_name", "Contact's last name"),
    ("contact.email", "Contact's email"),
    ("contact.phone", "Contact's phone"),
    ("contact.job_title", "Contact's job title"),
    ("whop.product", "Whop product"),
    ("whop.plan", "Whop plan (type and billing period)"),
    ("whop.price", "Whop plan price"),
    ("whop.membership_status", "Whop membership status"),
];

/// Whether `name` is a field a template may use.
pub fn is_known(name: &str) -> bool {
    CATALOGUE.iter().any(|(n, _)| *n == name)
        || ["deal.custom.", "company.custom.", "contact.custom."]
            .iter()
            .any(|p| name.strip_prefix(p).is_some_and(|key| !key.is_empty() && super::render::is_field_name(key)))
}

/// The sender's details, from the e-sign settings.
pub struct Sender<'a> {
    pub company: &'a str,
    pub name: &'a str,
}

/// The values of every field on one deal (absent fields have no value).
pub async fn gather(
    crm: &Crm,
    store: &Store,
    deal_id: Uuid,
    sender: &Sender<'_>,
) -> Result<BTreeMap<String, String>, EsignError> {
    let mut values = BTreeMap::new();
    let mut put = |name: &str, value: Option<String>| {
        if let Some(value) = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
            values.insert(name.to_string(), value);
        }
    };
    put("today", Some(chrono::Local::now().format("%B %-d, %Y").to_string()));
    put("sender.company", Some(sender.company.to_string()));
    put("sender.name", Some(sender.name.to_string()));
    let deal = crm.get_deal(deal_id).await?;
    put("deal.title", Some(deal.name.clone()));
    put("deal.amount", (deal.amount.micros != 0).then(|| deal.amount.display()));
    put("deal.currency", Some(deal.amount.currency.clone()));
    put("deal.stage", Some(deal.stage_name.clone()));
    put("deal.close_date", deal.close_date.map(|d| d.format("%B %-d, %Y").to_string()));
    for (key, value) in &deal.custom {
        put(&format!("deal.custom.{key}"), scalar(value));
    }
    if let Some(company_id) = deal.company_id
        && let Ok(company) = crm.get_company(company_id).await
    {
        put("company.name", Some(company.name.clone()));
        put("company.domain", company.domain.clone());
        put("company.address", company.address.clone());
        for (key, value) in &company.custom {
            put(&format!("company.custom.{key}"), scalar(value));
        }
    }
    let mut whop_users = Vec::new();
    if let Some(contact_id) = deal.contact_id
        && let Ok(person) = crm.get_person(contact_id).await
    {
        put("contact.name", Some(person.full_name()));
        put("contact.first_name", Some(person.first_name.clone()));
        put("contact.last_name", Some(person.last_name.clone()));
        put("contact.email", person.email.clone());
        put("contact.phone", person.phone.clone());
        put("contact.job_title", person.job_title.clone());
        for (key, value) in &person.custom {
            put(&format!("contact.custom.{key}"), scalar(value));
        }
        whop_users = sqlx::query_scalar("SELECT user_id FROM whop_person WHERE person_id = ?")
            .bind(person.id.to_string())
            .fetch_all(store.pool())
            .await?;
    }
    if let Some(offer) = whop_offer(store, deal_id, &whop_users).await? {
        put("whop.product", offer.product);
        put("whop.plan", offer.plan);
        put("whop.price", offer.price);
        put("whop.membership_status", offer.status);
    }
    Ok(values)
}

/// The catalogue with each field's value on the deal (the editor's completion list).
pub fn describe(values: &BTreeMap<String, String>) -> Vec<ContractField> {
    let mut fields: Vec<ContractField> = CATALOGUE
        .iter()
        .map(|(name, label)| ContractField {
            name: (*name).to_string(),
            label: (*label).to_string(),
            value: values.get(*name).cloned(),
        })
        .collect();
    for (name, value) in values {
        if name.contains(".custom.") {
            fields.push(ContractField {
                name: name.clone(),
                label: format!("Custom field {name}"),
                value: Some(value.clone()),
            });
        }
    }
    fields
}

fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(if *b { "yes".into() } else { "no".into() }),
        _ => None,
    }
}

struct WhopOffer {
    product: Option<String>,
    plan: Option<String>,
    price: Option<String>,
    status: Option<String>,
}

/// The Whop membership behind the deal: the one it mirrors, else the contact's newest live one.
async fn whop_offer(store: &Store, deal_id: Uuid, users: &[String]) -> Result<Option<WhopOffer>, EsignError> {
    type Row = (Option<String>, Option<String>, Option<i64>, Option<i64>, Option<i64>, Option<String>, Option<String>);
    const SELECT: &str = "SELECT p.title, l.plan_type, l.billing_period, l.initial_price_micros, l.renewal_price_micros,
                coalesce(l.currency, m.currency), m.status
         FROM whop_membership m LEFT JOIN whop_product p ON p.id = m.product_id LEFT JOIN whop_plan l ON l.id = m.plan_id";
    let pool = store.pool();
    let mirrored: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.id = (SELECT membership_id FROM whop_deal WHERE deal_id = ?)"
    )))
    .bind(deal_id.to_string())
    .fetch_optional(pool)
    .await?;
    let row = match mirrored {
        Some(row) => Some(row),
        None if !users.is_empty() => {
            let users = serde_json::to_string(users).unwrap_or_else(|_| "[]".into());
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE m.user_id IN (SELECT value FROM json_each(?))
                 ORDER BY m.status IN ('active', 'trialing', 'completed') DESC, m.created_at DESC LIMIT 1"
            )))
            .bind(users)
            .fetch_optional(pool)
            .await?
        }
        None => None,
    };
    Ok(row.map(|(product, plan_type, period, initial, renewal, currency, status)| {
        let currency = currency.unwrap_or_else(|| "USD".into()).to_uppercase();
        let price = renewal.filter(|m| *m > 0).or(initial).map(|micros| Money { micros, currency }.display());
        let plan = plan_type.map(|kind| match (kind.as_str(), period) {
            ("renewal", Some(days)) if days > 0 => format!("renews every {days} days"),
            ("one_time", _) => "one-time payment".to_string(),
            (other, _) => other.replace('_', " "),
        });
        WhopOffer { product, plan, price, status }
    }))
}
