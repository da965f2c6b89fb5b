//! Which Whop permissions Dealdesk asked for, which Whop granted, and which a 403 showed missing.
//! Kept in the `whop.permissions` setting (nothing secret: names only), shown in Settings and by
//! `whop doctor`, and used to name the missing permission when Whop refuses a call.

use super::contract;
use super::error::WhopError;
use dealdesk_model::whop::{PermissionState, WhopPermission};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub const PERMISSIONS_SETTING: &str = "whop.permissions";

/// What logins asked for before Dealdesk recorded what Whop grants (read permissions only; some
/// lists now need more, and every action does).
const LEGACY_SCOPES: [&str; 11] = [
    "openid",
    "profile",
    "email",
    "company:basic:read",
    "access_pass:basic:read",
    "plan:basic:read",
    "member:basic:read",
    "member:email:read",
    "payment:basic:read",
    "promo_code:basic:read",
    "lead:basic:read",
];

/// What the last login asked for and got, and what Whop refused since.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRecord {
    pub requested: Vec<String>,
    /// What the token may do: the token response's `scope`, or what was asked for when it lists
    /// none (RFC 6749 §5.1). `None` only for a login from before this was recorded.
    pub granted: Option<Vec<String>>,
    /// Permissions a 403 named (or, when nothing says what was granted, the ones the refused call
    /// needs). A new login clears them.
    #[serde(default)]
    pub refused: Vec<String>,
}

impl PermissionRecord {
    /// A connection made before Dealdesk recorded permissions: it asked for the old read scopes,
    /// and what Whop granted is not known.
    pub fn legacy() -> PermissionRecord {
        PermissionRecord {
            requested: LEGACY_SCOPES.iter().map(|s| s.to_string()).collect(),
            granted: None,
            refused: Vec::new(),
        }
    }

    /// What the token may do, when known: the granted scopes less those refused since.
    pub fn granted_set(&self) -> Option<BTreeSet<String>> {
        let refused: BTreeSet<&String> = self.refused.iter().collect();
        self.granted.as_ref().map(|g| g.iter().filter(|p| !refused.contains(p)).cloned().collect())
    }

    /// Notes a 403 that names permissions known to be missing (a 403 of an account that lost
    /// access, or one nothing explains, says nothing about permissions). Answers whether anything
    /// new was learnt.
    pub fn note_refusal(&mut self, error: &WhopError) -> bool {
        let WhopError::Forbidden(refusal) = error else { return false };
        let Some(named) = refusal.missing.as_deref() else { return false };
        let before = self.refused.len();
        for permission in named {
            if !self.refused.contains(permission) {
                self.refused.push(permission.clone());
            }
        }
        self.refused.len() > before
    }

    /// Every permission Dealdesk can need, and where each stands.
    pub fn view(&self, actions_enabled: bool) -> Result<Vec<WhopPermission>, WhopError> {
        let wanted: BTreeSet<String> = contract::scopes(actions_enabled)?.into_iter().collect();
        let requested: BTreeSet<&String> = self.requested.iter().collect();
        let granted = self.granted_set();
        Ok(contract::scopes(true)?
            .into_iter()
            .map(|permission| {
                let state = if !wanted.contains(&permission) {
                    PermissionState::NotRequested
                } else if self.refused.contains(&permission) {
                    PermissionState::Missing
                } else if let Some(granted) = &granted {
                    if granted.contains(&permission) { PermissionState::Granted } else { PermissionState::Missing }
                } else if requested.contains(&permission) {
                    PermissionState::Requested
                } else {
                    // Needed now but not asked for at the last login (actions switched on since).
                    PermissionState::Missing
                };
                WhopPermission { purpose: contract::purpose(&permission).to_string(), permission, state }
            })
            .collect())
    }
}

/// The permissions a view shows missing.
pub fn missing(view: &[WhopPermission]) -> Vec<String> {
    view.iter().filter(|p| p.state == PermissionState::Missing).map(|p| p.permission.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(missing: Option<Vec<&str>>) -> WhopError {
        WhopError::Forbidden(Box::new(crate::error::Refusal {
            call: "POST /payments/{id}/refund".into(),
            url: "u".into(),
            required: vec!["payment:manage".into(), "plan:basic:read".into()],
            missing: missing.map(|m| m.into_iter().map(str::to_string).collect()),
            message: "no".into(),
        }))
    }

    #[test]
    fn states_follow_what_was_granted_and_refused() {
        let reads = contract::scopes(false).unwrap();
        let mut record =
            PermissionRecord { requested: reads.clone(), granted: Some(reads.clone()), refused: Vec::new() };
        let view = record.view(false).unwrap();
        let state = |view: &[WhopPermission], p: &str| view.iter().find(|x| x.permission == p).unwrap().state;
        assert_eq!(state(&view, "member:basic:read"), PermissionState::Granted);
        assert_eq!(state(&view, "payment:manage"), PermissionState::NotRequested);
        assert!(missing(&view).is_empty());
        // Actions switched on after a read-only login: their permissions are missing until a reconnect.
        assert_eq!(state(&record.view(true).unwrap(), "payment:manage"), PermissionState::Missing);

        assert!(record.note_refusal(&forbidden(Some(vec!["plan:basic:read"]))));
        assert!(!record.note_refusal(&forbidden(Some(vec!["plan:basic:read"]))), "nothing new");
        assert!(!record.note_refusal(&forbidden(None)), "an unexplained 403 names nothing");
        assert_eq!(missing(&record.view(false).unwrap()), ["plan:basic:read"]);
        assert!(!record.granted_set().unwrap().contains("plan:basic:read"));

        // A connection from before: the old read scopes were asked for, the rest never was.
        let legacy = PermissionRecord::legacy().view(true).unwrap();
        assert_eq!(state(&legacy, "member:basic:read"), PermissionState::Requested);
        assert_eq!(state(&legacy, "openid"), PermissionState::Requested);
        assert_eq!(state(&legacy, "member:phone:read"), PermissionState::Missing);
        assert_eq!(state(&legacy, "payment:manage"), PermissionState::Missing);
        let _ = reads;
    }
}
