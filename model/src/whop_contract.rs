//! Whop's API as Dealdesk may use it: every endpoint Dealdesk calls, with its required and
//! optional params, page-size maximum and required permissions, as extracted from Whop's official
//! TypeScript SDK into `tests/specs/whop/contract.json` (by `tests/whop-sdk/extract.mjs`; its
//! provenance is in the file). The core builds its requests and the permissions it asks for from
//! this; the sandbox refuses whatever it does not allow. Pure data: parsing only, no I/O.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The page size where the SDK documents no maximum: Whop's usual one. Dealdesk asks for no more
/// and the sandbox allows no more.
pub const UNDOCUMENTED_MAX_FIRST: u32 = 100;

/// The OpenID scopes a login asks for besides the permissions (who signed in).
pub const OPENID_SCOPES: [&str; 3] = ["openid", "profile", "email"];

static EMBEDDED: LazyLock<Result<WhopContract, String>> = LazyLock::new(|| {
    WhopContract::parse(include_str!("../../tests/specs/whop/contract.json")).map_err(|e| e.to_string())
});

/// The contract of the pinned version, embedded at build time (parsed on first use; a unit test
/// proves it parses).
pub fn embedded() -> Result<&'static WhopContract, String> {
    EMBEDDED.as_ref().map_err(|e| format!("tests/specs/whop/contract.json is unreadable: {e}"))
}

/// The extract of one pinned API version.
#[derive(Debug, Clone, Deserialize)]
pub struct WhopContract {
    /// The `Api-Version-Date` the SDK pins and every request carries.
    pub api_version_date: String,
    pub provenance: Provenance,
    pub endpoints: Vec<Endpoint>,
    /// Named JSON Schemas of the answers (`response` refers to them as `#/schemas/NAME`).
    #[serde(default)]
    pub schemas: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Provenance {
    pub package: String,
    pub version: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    /// The SDK method, `memberships.cancel`.
    pub sdk_method: String,
    /// `GET`, `POST`, `PATCH`, `DELETE`.
    pub method: String,
    /// Under the API base, with `{id}` for path params: `/memberships/{id}/cancel`.
    pub path: String,
    /// A cursor-paged list (`first`, `after`; answers `{data, page_info}`).
    pub paginated: bool,
    /// The documented page-size maximum; `None` when the SDK documents none.
    pub max_first: Option<u32>,
    /// What the token must have been granted ("Required permissions").
    pub permissions: Vec<String>,
    pub query: BTreeMap<String, Param>,
    pub body: BTreeMap<String, Param>,
    /// The answer's schema (for lists: one item).
    #[serde(default)]
    pub response: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Param {
    pub required: bool,
    #[serde(default)]
    pub schema: Value,
}

impl WhopContract {
    pub fn parse(json: &str) -> Result<WhopContract, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The endpoint a request goes to, and its path params (`id` → `mem_1`).
    pub fn route(&self, method: &str, path: &str) -> Option<(&Endpoint, BTreeMap<String, String>)> {
        self.endpoints.iter().find_map(|e| e.matches(method, path).map(|params| (e, params)))
    }

    /// The endpoint of an SDK method (`payments.refund`).
    pub fn sdk_method(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.sdk_method == name)
    }
}

impl Endpoint {
    /// The path params when `method` and `path` (under the API base, no query) are this endpoint.
    pub fn matches(&self, method: &str, path: &str) -> Option<BTreeMap<String, String>> {
        if !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let mut params = BTreeMap::new();
        let mut pattern = self.path.split('/');
        let mut actual = path.split('/');
        loop {
            match (pattern.next(), actual.next()) {
                (None, None) => return Some(params),
                (Some(p), Some(a)) if p.starts_with('{') && p.ends_with('}') && !a.is_empty() => {
                    params.insert(p[1..p.len() - 1].to_string(), a.to_string());
                }
                (Some(p), Some(a)) if p == a => {}
                _ => return None,
            }
        }
    }

    /// A query param this endpoint takes.
    pub fn takes(&self, param: &str) -> bool {
        self.query.contains_key(param)
    }

    /// The params that must be present: the query's, then the body's.
    pub fn required(&self) -> impl Iterator<Item = &str> {
        self.query.iter().chain(&self.body).filter(|(_, p)| p.required).map(|(name, _)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> WhopContract {
        WhopContract::parse(
            r#"{"api_version_date":"2026-07-20","provenance":{"package":"@whop/sdk","version":"0.0.42"},
                "endpoints":[{"sdk_method":"memberships.cancel","method":"POST","path":"/memberships/{id}/cancel",
                  "paginated":false,"max_first":null,"permissions":["membership:cancel"],"query":{},
                  "body":{"cancellation_mode":{"required":false,"schema":{}}}},
                 {"sdk_method":"products.list","method":"GET","path":"/products","paginated":true,"max_first":100,
                  "permissions":[],"query":{"account_id":{"required":true},"first":{"required":false}},"body":{}}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_embedded_contract_parses() {
        let c = embedded().unwrap();
        assert_eq!(c.api_version_date, "2026-07-20");
        assert_eq!(c.provenance.package, "@whop/sdk");
    }

    #[test]
    fn routes_match_method_and_path_with_params() {
        let c = contract();
        let (e, params) = c.route("POST", "/memberships/mem_1/cancel").unwrap();
        assert_eq!(e.sdk_method, "memberships.cancel");
        assert_eq!(params.get("id").map(String::as_str), Some("mem_1"));
        assert!(c.route("GET", "/memberships/mem_1/cancel").is_none());
        assert!(c.route("POST", "/memberships//cancel").is_none());
        assert!(c.route("POST", "/memberships/mem_1/cancel/x").is_none());
        let products = c.sdk_method("products.list").unwrap();
        assert_eq!(products.required().collect::<Vec<_>>(), ["account_id"]);
        assert!(products.takes("first") && !products.takes("order"));
    }
}
