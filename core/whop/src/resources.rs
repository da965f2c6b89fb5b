//! The Whop resources Dealdesk mirrors, in the order a sync runs them (referenced objects first),
//! and how each object's columns are read from its JSON. Reading is defensive: any field may be
//! missing, null or of an unexpected type, and unknown fields are kept in `raw`.

use dealdesk_crm::record::Cell;
use dealdesk_model::money::parse_decimal_micros;
use dealdesk_store::time;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Accounts,
    Products,
    Plans,
    Members,
    Memberships,
    Payments,
    Refunds,
    Reviews,
    PromoCodes,
    Leads,
}

impl Resource {
    pub const ALL: [Resource; 10] = [
        Resource::Accounts,
        Resource::Products,
        Resource::Plans,
        Resource::Members,
        Resource::Memberships,
        Resource::Payments,
        Resource::Refunds,
        Resource::Reviews,
        Resource::PromoCodes,
        Resource::Leads,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Resource::Accounts => "accounts",
            Resource::Products => "products",
            Resource::Plans => "plans",
            Resource::Members => "members",
            Resource::Memberships => "memberships",
            Resource::Payments => "payments",
            Resource::Refunds => "refunds",
            Resource::Reviews => "reviews",
            Resource::PromoCodes => "promo_codes",
            Resource::Leads => "leads",
        }
    }

    pub fn from_name(name: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The SDK method that lists it (its endpoint in the contract).
    pub fn sdk_method(self) -> &'static str {
        match self {
            Resource::Accounts => "accounts.list",
            Resource::Products => "products.list",
            Resource::Plans => "plans.list",
            Resource::Members => "members.list",
            Resource::Memberships => "memberships.list",
            Resource::Payments => "payments.list",
            Resource::Refunds => "refunds.list",
            Resource::Reviews => "reviews.list",
            Resource::PromoCodes => "promoCodes.list",
            Resource::Leads => "leads.list",
        }
    }

    /// The resources synced per business, in order (reviews come after, per product).
    pub const PER_BUSINESS: [Resource; 8] = [
        Resource::Products,
        Resource::Plans,
        Resource::Members,
        Resource::Memberships,
        Resource::Payments,
        Resource::Refunds,
        Resource::PromoCodes,
        Resource::Leads,
    ];

    pub fn table(self) -> &'static str {
        match self {
            Resource::Accounts => "whop_account",
            Resource::Products => "whop_product",
            Resource::Plans => "whop_plan",
            Resource::Members => "whop_member",
            Resource::Memberships => "whop_membership",
            Resource::Payments => "whop_payment",
            Resource::Refunds => "whop_refund",
            Resource::Reviews => "whop_review",
            Resource::PromoCodes => "whop_promo_code",
            Resource::Leads => "whop_lead",
        }
    }

    /// Whether a complete re-scan marks the objects it no longer lists as deleted on Whop
    /// (`remote_deleted_at`). Only the kinds Whop removes from its lists: products and plans (it
    /// deletes them) and memberships (a deleted one answers 404 and leaves the lists). Payments,
    /// refunds, members, leads, reviews and promo codes have no delete on Whop; they end in a
    /// status (void, refunded, left, removed, archived) and stay listed, so one missing from a
    /// list is not evidence it is gone, and revenue must not drop on it.
    pub fn marks_remote_deletes(self) -> bool {
        matches!(self, Resource::Products | Resource::Plans | Resource::Memberships)
    }

    /// The outbox's name for records of this resource, when Dealdesk can change them.
    pub fn outbox_kind(self) -> Option<&'static str> {
        match self {
            Resource::Memberships => Some("whop_membership"),
            Resource::Payments => Some("whop_payment"),
            Resource::PromoCodes => Some("whop_promo_code"),
            _ => None,
        }
    }

    /// The extracted columns (besides id, timestamps and raw), in [`Resource::extract`] order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Resource::Accounts => &["title", "route"],
            Resource::Products => &["title", "visibility"],
            Resource::Plans => &[
                "product_id",
                "plan_type",
                "billing_period",
                "initial_price_micros",
                "renewal_price_micros",
                "currency",
                "title",
                "trial_period_days",
            ],
            Resource::Members => &[
                "user_id",
                "email",
                "name",
                "username",
                "status",
                "usd_total_spent_micros",
                "most_recent_action",
                "most_recent_action_at",
            ],
            Resource::Memberships => &[
                "status",
                "user_id",
                "member_id",
                "product_id",
                "plan_id",
                "currency",
                "cancel_at_period_end",
                "canceled_at",
                "renewal_period_end",
                "payment_collection_paused",
                "joined_at",
                "renewal_period_start",
            ],
            Resource::Payments => &[
                "status",
                "substatus",
                "user_id",
                "member_id",
                "membership_id",
                "product_id",
                "total_micros",
                "refunded_micros",
                "currency",
                "paid_at",
                "plan_id",
                "usd_total_micros",
                "tax_micros",
                "billing_reason",
                "failure_message",
                "payments_failed",
                "retryable",
                "next_payment_attempt",
                "refunded_at",
            ],
            Resource::Refunds => &["payment_id", "amount_micros", "currency", "status"],
            Resource::Reviews => &["user_id", "product_id", "stars", "status"],
            Resource::PromoCodes => &["code", "status", "promo_type"],
            Resource::Leads => &["user_id", "member_id", "product_id"],
        }
    }

    /// The columns' values. `scope` is what the list was asked for: reviews are listed per
    /// product and do not name it themselves.
    pub fn extract(self, item: &Value, scope: &str) -> Vec<Cell> {
        let t = |path: &str| text(item, path).into();
        match self {
            Resource::Accounts => vec![t("title"), t("route")],
            Resource::Products => vec![t("title"), t("visibility")],
            Resource::Plans => vec![
                t("product.id"),
                t("plan_type"),
                integer(item, "billing_period").into(),
                money(item, "initial_price").into(),
                money(item, "renewal_price").into(),
                currency(item).into(),
                t("title"),
                integer(item, "trial_period_days").into(),
            ],
            Resource::Members => vec![
                t("user.id"),
                t("user.email"),
                t("user.name"),
                t("user.username"),
                t("status"),
                money(item, "usd_total_spent").into(),
                t("most_recent_action"),
                timestamp(item, "most_recent_action_at").into(),
            ],
            Resource::Memberships => vec![
                t("status"),
                t("user.id"),
                t("member.id"),
                t("product.id"),
                t("plan.id"),
                currency(item).into(),
                boolean(item, "cancel_at_period_end").into(),
                timestamp(item, "canceled_at").into(),
                timestamp(item, "renewal_period_end").into(),
                boolean(item, "payment_collection_paused").into(),
                timestamp(item, "joined_at").into(),
                timestamp(item, "renewal_period_start").into(),
            ],
            Resource::Payments => vec![
                t("status"),
                t("substatus"),
                t("user.id"),
                t("member.id"),
                t("membership.id"),
                t("product.id"),
                money(item, "total").into(),
                money(item, "refunded_amount").into(),
                currency(item).into(),
                timestamp(item, "paid_at").into(),
                t("plan.id"),
                money(item, "usd_total").into(),
                money(item, "tax_amount").into(),
                t("billing_reason"),
                t("failure_message"),
                integer(item, "payments_failed").into(),
                boolean(item, "retryable").into(),
                timestamp(item, "next_payment_attempt").into(),
                timestamp(item, "refunded_at").into(),
            ],
            Resource::Refunds => {
                vec![t("payment.id"), money(item, "amount").into(), currency(item).into(), t("status")]
            }
            Resource::Reviews => {
                let product = text(item, "product.id").or_else(|| (!scope.is_empty()).then(|| scope.to_string()));
                vec![t("user.id"), product.into(), integer(item, "stars").into(), t("status")]
            }
            Resource::PromoCodes => vec![t("code"), t("status"), t("promo_type")],
            Resource::Leads => vec![t("user.id"), t("member.id"), t("product.id")],
        }
    }
}

/// The value at a dotted path (`user.email`).
pub fn field<'a>(item: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(item, |value, key| value.get(key)).filter(|v| !v.is_null())
}

/// A string (or number shown as text) at `path`, trimmed, control characters removed, bounded.
pub fn text(item: &Value, path: &str) -> Option<String> {
    let value = match field(item, path)? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    let clean: String = value.chars().filter(|c| !c.is_control()).take(500).collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_string())
}

pub(crate) fn integer(item: &Value, path: &str) -> Option<i64> {
    match field(item, path)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn boolean(item: &Value, path: &str) -> Option<bool> {
    field(item, path).and_then(Value::as_bool)
}

/// Money in major units (`10.43`, or `"10.43"`) as integer micros, without float arithmetic on
/// the stored value: the number's shortest decimal text is parsed.
pub fn money(item: &Value, path: &str) -> Option<i64> {
    let text = match field(item, path)? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    parse_decimal_micros(&text).ok().or_else(|| {
        // More than six decimals: round through f64 (money needs no more precision than micros).
        text.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| (f * 1e6).round() as i64)
    })
}

/// The currency as an upper-case ISO code (Whop sends lower case), if it looks like one.
pub fn currency(item: &Value) -> Option<String> {
    let code = text(item, "currency")?.to_ascii_uppercase();
    (code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())).then_some(code)
}

/// A timestamp at `path` normalised to the store's fixed-width UTC text (so text order is time
/// order). ISO 8601 strings and Unix seconds (number or digits) are both accepted.
pub fn timestamp(item: &Value, path: &str) -> Option<String> {
    let parsed = match field(item, path)? {
        Value::String(s) => match time::parse(s.trim()) {
            Ok(t) => Some(t),
            Err(_) => s.trim().parse::<i64>().ok().and_then(|secs| chrono::DateTime::from_timestamp(secs, 0)),
        },
        Value::Number(n) => n.as_i64().and_then(|secs| chrono::DateTime::from_timestamp(secs, 0)),
        _ => None,
    }?;
    Some(time::format(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_fields_defensively() {
        let item = json!({
            "id": "pay_1", "total": 10.43, "refunded_amount": "2.5", "currency": "usd",
            "user": {"id": "user_1", "email": " a@b.co\u{7} "}, "paid_at": 1700000000,
            "created_at": "2026-03-04T10:20:30.123Z", "status": null
        });
        assert_eq!(money(&item, "total"), Some(10_430_000));
        assert_eq!(money(&item, "refunded_amount"), Some(2_500_000));
        assert_eq!(currency(&item).as_deref(), Some("USD"));
        assert_eq!(text(&item, "user.email").as_deref(), Some("a@b.co"));
        assert_eq!(text(&item, "status"), None);
        assert_eq!(text(&item, "missing.deeper"), None);
        assert_eq!(timestamp(&item, "created_at").as_deref(), Some("2026-03-04T10:20:30.123000Z"));
        assert_eq!(timestamp(&item, "paid_at").as_deref(), Some("2023-11-14T22:13:20.000000Z"));
    }

    #[test]
    fn every_resource_extracts_one_cell_per_column() {
        for resource in Resource::ALL {
            assert_eq!(resource.extract(&json!({"id": "x"}), "").len(), resource.columns().len(), "{resource:?}");
            assert_eq!(Resource::from_name(resource.name()), Some(resource));
        }
    }
}
