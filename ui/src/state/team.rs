//! Team workspace texts for the top bar and Settings → Team, pure and tested.

use chrono::{DateTime, Utc};
use dealdesk_model::team::{TeamAccess, TeamStatus};

/// How the top bar shows the team state: its text, and whether it needs the user's attention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamPill {
    pub text: String,
    pub title: String,
    pub attention: bool,
}

/// The top bar's team state: synced, syncing N, offline, refused (why), or left. `None` when
/// this desktop is in no workspace.
pub fn team_pill(status: Option<&TeamStatus>) -> Option<TeamPill> {
    let status = status?;
    let name = &status.workspace_name;
    if let Some(reason) = &status.left_reason {
        return Some(TeamPill {
            text: "Team: left".into(),
            title: format!("No longer in {name} ({reason}); this computer keeps its copy"),
            attention: true,
        });
    }
    Some(match status.last_error.as_deref() {
        Some("offline") => TeamPill {
            text: "Team: offline".into(),
            title: format!("{name}: the hub cannot be reached; edits wait here ({} waiting)", status.waiting),
            attention: false,
        },
        Some(error) => TeamPill {
            text: "Team: refused".into(),
            title: format!("{name}: {}", error.trim_start_matches("refused: ")),
            attention: true,
        },
        None if status.waiting > 0 => TeamPill {
            text: format!("Team: syncing {}", status.waiting),
            title: format!("{name}: {} of your changes wait to reach the team", status.waiting),
            attention: false,
        },
        None => TeamPill {
            text: "Team: synced".into(),
            title: format!("{name}: everything here reached the team"),
            attention: false,
        },
    })
}

pub fn access_label(access: TeamAccess) -> &'static str {
    match access {
        TeamAccess::Owner => "Owner",
        TeamAccess::Member => "Member",
        TeamAccess::ReadOnly => "Read-only",
    }
}

/// "2 min ago", or "never".
pub fn last_sync_text(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    at.map_or_else(|| "never".to_string(), |at| super::format::relative(at, now))
}

/// Where the workspace's Whop automations run, and whether this computer may take them over.
pub fn whop_runner(status: &TeamStatus) -> (String, bool) {
    let may_take = status.access != TeamAccess::ReadOnly;
    match (status.whop_here, status.whop_desktop.as_deref()) {
        (true, _) if !status.whop_chosen => {
            ("each computer that syncs Whop, until one takes them".to_string(), may_take)
        }
        (true, _) => ("this computer".to_string(), false),
        (false, who) => {
            let text =
                who.map_or_else(|| "another member's computer".to_string(), |email| format!("{email}'s computer"));
            (text, may_take)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> TeamStatus {
        TeamStatus {
            hub: "db:5432/acme".into(),
            workspace: "w".into(),
            workspace_name: "Acme sales".into(),
            email: "ann@acme.com".into(),
            access: TeamAccess::Member,
            joined_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            left_at: None,
            left_reason: None,
            last_push_at: None,
            last_pull_at: None,
            waiting: 0,
            held: 0,
            pulled_seq: 0,
            last_error: None,
            hub_version: Some(2),
            whop_here: false,
            whop_chosen: true,
            whop_desktop: Some("owner@acme.com".into()),
        }
    }

    #[test]
    fn whop_automations_run_on_one_computer_which_another_member_can_take_over() {
        assert_eq!(whop_runner(&status()), ("owner@acme.com's computer".to_string(), true));
        assert_eq!(whop_runner(&TeamStatus { whop_here: true, ..status() }), ("this computer".to_string(), false));
        let nobody = TeamStatus { whop_here: true, whop_chosen: false, whop_desktop: None, ..status() };
        assert_eq!(whop_runner(&nobody), ("each computer that syncs Whop, until one takes them".to_string(), true));
        let read_only = TeamStatus { access: TeamAccess::ReadOnly, whop_desktop: None, ..status() };
        assert_eq!(whop_runner(&read_only), ("another member's computer".to_string(), false));
    }

    #[test]
    fn the_pill_says_synced_syncing_offline_refused_or_left() {
        assert_eq!(team_pill(None), None);
        assert_eq!(team_pill(Some(&status())).unwrap().text, "Team: synced");
        let waiting = TeamStatus { waiting: 3, ..status() };
        assert_eq!(team_pill(Some(&waiting)).unwrap().text, "Team: syncing 3");
        let offline = TeamStatus { waiting: 3, last_error: Some("offline".into()), ..status() };
        let pill = team_pill(Some(&offline)).unwrap();
        assert_eq!((pill.text.as_str(), pill.attention), ("Team: offline", false));
        assert!(pill.title.contains("3 waiting"), "{}", pill.title);
        let refused =
            TeamStatus { last_error: Some("refused: this computer's clock is 600 s ahead".into()), ..status() };
        let pill = team_pill(Some(&refused)).unwrap();
        assert_eq!((pill.text.as_str(), pill.attention), ("Team: refused", true));
        assert_eq!(pill.title, "Acme sales: this computer's clock is 600 s ahead");
        let left = TeamStatus { left_reason: Some("removed by the workspace's owner".into()), ..status() };
        assert_eq!(team_pill(Some(&left)).unwrap().text, "Team: left");
    }
}
