//! Whop's API as the pinned SDK defines it: `tests/specs/whop/contract.json`, extracted from
//! `@whop/sdk` by `tests/whop-sdk/extract.mjs` (docs/decisions/0019). Requests are built from it
//! (which params an endpoint takes, its page-size maximum) and so are the permissions Dealdesk
//! asks for at login and names when Whop answers 403.

use super::WhopError;
use dealdesk_model::whop_contract::{Endpoint, WhopContract};
pub use dealdesk_model::whop_contract::{OPENID_SCOPES, UNDOCUMENTED_MAX_FIRST};
use std::collections::BTreeSet;

/// What the sync reads: the lists, in the order a run takes them.
pub const SYNC_READS: [&str; 10] = [
    "accounts.list",
    "products.list",
    "plans.list",
    "members.list",
    "memberships.list",
    "payments.list",
    "refunds.list",
    "reviews.list",
    "promoCodes.list",
    "leads.list",
];

/// What Dealdesk's Whop actions call: the writes, and the reads that check whether an operation
/// whose idempotency key has expired already took effect.
pub const ACTION_CALLS: [&str; 15] = [
    "memberships.update",
    "memberships.cancel",
    "memberships.uncancel",
    "memberships.pause",
    "memberships.resume",
    "memberships.addFreeDays",
    "payments.refund",
    "payments.retry",
    "promoCodes.create",
    "promoCodes.delete",
    "dmChannels.create",
    "messages.create",
    "memberships.retrieve",
    "payments.retrieve",
    "promoCodes.retrieve",
];

pub fn contract() -> Result<&'static WhopContract, WhopError> {
    dealdesk_model::whop_contract::embedded().map_err(WhopError::Config)
}

/// The endpoint of an SDK method Dealdesk calls.
pub fn endpoint(sdk_method: &str) -> Result<&'static Endpoint, WhopError> {
    contract()?
        .sdk_method(sdk_method)
        .ok_or_else(|| WhopError::Config(format!("{sdk_method} is not in the Whop contract")))
}

/// The page size to ask an endpoint for: the configured one, capped by the endpoint's maximum.
pub fn page_size(endpoint: &Endpoint, configured: u32) -> u32 {
    configured.clamp(1, endpoint.max_first.unwrap_or(UNDOCUMENTED_MAX_FIRST).max(1))
}

/// The permissions the given SDK methods need, together.
pub fn permissions_of(methods: &[&str]) -> Result<BTreeSet<String>, WhopError> {
    let mut all = BTreeSet::new();
    for method in methods {
        all.extend(endpoint(method)?.permissions.iter().cloned());
    }
    Ok(all)
}

/// What a login asks for: the OpenID scopes, what the sync reads need, and with `actions` what
/// the Whop actions need.
pub fn scopes(actions: bool) -> Result<Vec<String>, WhopError> {
    let mut permissions = permissions_of(&SYNC_READS)?;
    if actions {
        permissions.extend(permissions_of(&ACTION_CALLS)?);
    }
    Ok(OPENID_SCOPES.iter().map(|s| s.to_string()).chain(permissions).collect())
}

/// What each permission Dealdesk asks for is used for, as Settings and `whop doctor` show it.
pub fn purpose(permission: &str) -> &'static str {
    match permission {
        "member:basic:read" => "read your customers and their memberships",
        "member:email:read" => "read customers' email addresses (to match them to people)",
        "member:phone:read" => "read customers' phone numbers (Whop requires it to list members and payments)",
        "lead:basic:read" => "read leads",
        "access_pass:basic:read" => "read the products payments, promo codes and leads refer to",
        "plan:basic:read" => "read the plans payments refer to",
        "payment:basic:read" => "read payments and refunds",
        "promo_code:basic:read" => "read promo codes",
        "payment:dispute:read" => "read a payment's disputes (Whop asks for it on refunds and retries)",
        "payment:resolution_center_case:read" => {
            "read a payment's resolution cases (Whop asks for it on refunds and retries)"
        }
        "member:manage" => "pause, resume, un-cancel, extend and tag memberships",
        "membership:cancel" => "cancel memberships",
        "payment:manage" => "refund payments and retry failed ones",
        "promo_code:create" => "create promo codes",
        "promo_code:delete" => "archive promo codes",
        "chat:message:create" => "message customers on Whop",
        "openid" | "profile" | "email" => "know who signed in",
        _ => "used by Whop for a call Dealdesk makes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_pins_the_clients_version_and_has_every_call() {
        let c = contract().unwrap();
        assert_eq!(c.api_version_date, super::super::config::API_VERSION_DATE);
        for method in SYNC_READS.iter().chain(&ACTION_CALLS) {
            endpoint(method).unwrap();
        }
        assert_eq!(page_size(endpoint("accounts.list").unwrap(), 100), 50);
        assert_eq!(page_size(endpoint("memberships.list").unwrap(), 500), UNDOCUMENTED_MAX_FIRST);
    }

    #[test]
    fn scopes_cover_reads_and_only_with_actions_the_writes() {
        let reads = scopes(false).unwrap();
        let all = scopes(true).unwrap();
        assert!(reads.contains(&"member:email:read".to_string()));
        assert!(!reads.contains(&"payment:manage".to_string()));
        for needed in [
            "member:manage",
            "membership:cancel",
            "payment:manage",
            "promo_code:create",
            "promo_code:delete",
            "chat:message:create",
        ] {
            assert!(all.contains(&needed.to_string()), "{needed}");
        }
        for scope in &all {
            assert_ne!(purpose(scope), "used by Whop for a call Dealdesk makes", "{scope} needs a purpose");
        }
    }
}
