//! Team workspaces (docs/team.md): the one rule the desktop's database and the hub's reference
//! merge must agree on, so it is written once here: which *slot* of a record a change sets. Per
//! slot, the change with the greater (HLC, node) wins.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A member's rights in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamAccess {
    Owner,
    Member,
    ReadOnly,
}

impl TeamAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamAccess::Owner => "owner",
            TeamAccess::Member => "member",
            TeamAccess::ReadOnly => "read_only",
        }
    }

    pub fn parse(text: &str) -> Option<TeamAccess> {
        [TeamAccess::Owner, TeamAccess::Member, TeamAccess::ReadOnly].into_iter().find(|a| a.as_str() == text)
    }
}

/// This desktop's link to a team workspace, as `team status` and Settings → Team show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamStatus {
    /// `host:port/database`, or the socket directory for a local hub.
    pub hub: String,
    pub workspace: String,
    pub workspace_name: String,
    pub email: String,
    pub access: TeamAccess,
    pub joined_at: DateTime<Utc>,
    /// Set once this desktop left or was removed: the local copy stays, syncing stops.
    pub left_at: Option<DateTime<Utc>>,
    pub left_reason: Option<String>,
    pub last_push_at: Option<DateTime<Utc>>,
    pub last_pull_at: Option<DateTime<Utc>>,
    /// This desktop's own changes the hub does not have yet.
    pub waiting: i64,
    /// Pulled changes that wait for what they need (a record not arrived yet, a taken email).
    pub held: i64,
    /// The last hub change applied here.
    pub pulled_seq: i64,
    /// Why the last sync failed ("offline", "refused: …"); none after one that worked.
    pub last_error: Option<String>,
    /// The hub's schema version at the last sync (none before the first). Below
    /// [`HUB_SCHEMA_VERSION`], the owner can upgrade the hub.
    pub hub_version: Option<i32>,
    /// Workflows triggered by Whop events run on this desktop (the workspace's Whop desktop, or
    /// none is chosen yet).
    #[serde(default)]
    pub whop_here: bool,
    /// A desktop of the workspace runs them (else each desktop that syncs Whop does, until the
    /// first takes them at its next sync).
    #[serde(default)]
    pub whop_chosen: bool,
    /// The member whose desktop runs them, when it is another one (and known here).
    #[serde(default)]
    pub whop_desktop: Option<String>,
}

/// Settings → Team, "Create a workspace": the owner's hub URL (and password, when the URL has
/// none), the workspace's name and the owner's email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamInit {
    pub url: String,
    #[serde(default)]
    pub password: Option<String>,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamInvite {
    pub email: String,
    pub access: TeamAccess,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub email: String,
    pub access: TeamAccess,
    /// Used their join code.
    pub joined: bool,
    /// Removed by the owner: no access any more.
    pub removed: bool,
}

/// What one `team sync` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSyncReport {
    pub pushed: u64,
    pub pulled: u64,
    pub applied: u64,
    pub superseded: u64,
    pub held: u64,
}

/// A change another desktop made that cannot be applied here yet (Settings → Team, "Held"): it
/// is tried again at each sync, or discarded by the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamHeldChange {
    /// Its number in the hub's order: what `team discard-held` names.
    pub hub_seq: i64,
    /// The member who made it.
    pub author: String,
    /// What it changes, in words: "person 0193… · email".
    pub what: String,
    /// Why it waits: "person 0193… has not arrived yet", a taken email's constraint, …
    pub reason: String,
    pub held_at: DateTime<Utc>,
}

/// The team hub's schema version this Dealdesk writes and reads (`dealdesk-team`'s `hub.sql` and
/// its upgrades). A hub at an older version works; its owner can upgrade it.
pub const HUB_SCHEMA_VERSION: i32 = 2;

/// The slot of a record's trash mark, set by create (live), delete and restore.
pub const DELETED_SLOT: &str = "deleted";

/// The local setting that names the desktop (its node) running the workspace's Whop automations:
/// workflows triggered by Whop events run there only, so two desktops connected to one business
/// never both retry a payment or message a customer. Absent: this desktop is in no workspace.
pub const WHOP_DESKTOP_SETTING: &str = "team.whop_desktop";

/// The set member a `tag`, `untag` or `link` change adds or removes: `tag:NAME` (the value is the
/// tag's name), `link:FIELD:ID` (the value is the link's payload, naming the note or task it
/// links as `FIELD_id`). `None` for other operations or a malformed value.
pub fn member_slot(op: &str, field: Option<&str>, value: Option<&Value>) -> Option<String> {
    match (op, field, value) {
        ("tag" | "untag", _, Some(Value::String(name))) => Some(format!("tag:{name}")),
        ("link", Some(field), Some(payload)) => {
            let id = payload.get(format!("{field}_id")).and_then(Value::as_str)?;
            Some(format!("link:{field}:{id}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_and_links_are_set_members() {
        assert_eq!(member_slot("tag", Some("tags"), Some(&json!("vip"))).as_deref(), Some("tag:vip"));
        assert_eq!(member_slot("untag", Some("tags"), Some(&json!("vip"))).as_deref(), Some("tag:vip"));
        let payload = json!({"note_id": "n1", "excerpt": "Called"});
        assert_eq!(member_slot("link", Some("note"), Some(&payload)).as_deref(), Some("link:note:n1"));
        assert_eq!(member_slot("link", Some("task"), Some(&payload)), None);
        assert_eq!(member_slot("update", Some("city"), Some(&json!("Oslo"))), None);
    }
}
