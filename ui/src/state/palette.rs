//! The command palette: screens and commands matched by words, then records from search.

use super::shell::Screen;
use dealdesk_model::revenue::ChurnSegment;
use dealdesk_model::{RecordKind, RecordRef, SearchHit};

#[derive(Debug, Clone, PartialEq)]
pub enum PaletteAction {
    Go(Screen),
    New(RecordKind),
    Open(RecordRef),
    Backup,
    Design,
    /// Opens the Import CSV dialog.
    Import,
    Welcome,
    /// Help → Diagnostics.
    Diagnostics,
    /// Deleted records.
    Trash,
    /// Churn, opened on one segment.
    Churn(ChurnSegment),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaletteItem {
    pub label: String,
    pub hint: String,
    pub action: PaletteAction,
}

fn commands() -> Vec<PaletteItem> {
    let mut items: Vec<PaletteItem> = Screen::ALL
        .into_iter()
        .map(|s| PaletteItem {
            label: format!("Go to {}", s.label()),
            hint: "screen".into(),
            action: PaletteAction::Go(s),
        })
        .collect();
    items.extend(ChurnSegment::ALL.into_iter().map(|segment| PaletteItem {
        label: format!("Churn: {}", segment.label()),
        hint: "segment".into(),
        action: PaletteAction::Churn(segment),
    }));
    for (kind, label) in [
        (RecordKind::Person, "New person"),
        (RecordKind::Company, "New company"),
        (RecordKind::Deal, "New deal"),
        (RecordKind::Task, "New task"),
    ] {
        items.push(PaletteItem { label: label.into(), hint: "command".into(), action: PaletteAction::New(kind) });
    }
    items.push(PaletteItem {
        label: "Back up the database".into(),
        hint: "command".into(),
        action: PaletteAction::Backup,
    });
    items.push(PaletteItem { label: "Import CSV…".into(), hint: "command".into(), action: PaletteAction::Import });
    items.push(PaletteItem { label: "Welcome".into(), hint: "screen".into(), action: PaletteAction::Welcome });
    items.push(PaletteItem { label: "Diagnostics".into(), hint: "help".into(), action: PaletteAction::Diagnostics });
    items.push(PaletteItem { label: "Trash".into(), hint: "screen".into(), action: PaletteAction::Trash });
    items.push(PaletteItem {
        label: "Open the design system".into(),
        hint: "screen".into(),
        action: PaletteAction::Design,
    });
    items
}

/// Commands whose label contains every word of the query (all of them for an empty query).
pub fn matching_commands(query: &str) -> Vec<PaletteItem> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    commands().into_iter().filter(|c| words.iter().all(|w| c.label.to_lowercase().contains(w.as_str()))).collect()
}

/// Search hits as palette items.
pub fn record_items(hits: &[SearchHit]) -> Vec<PaletteItem> {
    hits.iter()
        .map(|h| PaletteItem {
            label: h.title.clone(),
            hint: match &h.subtitle {
                Some(s) => format!("{} · {s}", h.record.kind),
                None => h.record.kind.to_string(),
            },
            action: PaletteAction::Open(h.record),
        })
        .collect()
}

/// Moves the highlighted row by `delta`, wrapping around.
pub fn move_selection(current: usize, delta: i32, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let len = len as i64;
    ((current as i64 + i64::from(delta)).rem_euclid(len)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn commands_match_every_word() {
        let found = matching_commands("new de");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].action, PaletteAction::New(RecordKind::Deal));
        assert!(matching_commands("").len() > 10);
        assert!(matching_commands("zzz").is_empty());
        assert!(matching_commands("go board").iter().any(|c| c.action == PaletteAction::Go(Screen::Board)));
        assert_eq!(matching_commands("import csv")[0].action, PaletteAction::Import);
        assert_eq!(matching_commands("diagnostics")[0].action, PaletteAction::Diagnostics);
        assert!(matching_commands("welcome").iter().any(|c| c.action == PaletteAction::Welcome));
        assert_eq!(matching_commands("go revenue")[0].action, PaletteAction::Go(Screen::Revenue));
        assert_eq!(matching_commands("recover")[0].action, PaletteAction::Go(Screen::Recover));
        assert_eq!(matching_commands("go churn")[0].action, PaletteAction::Go(Screen::Churn));
        assert_eq!(matching_commands("past due")[0].action, PaletteAction::Churn(ChurnSegment::PastDue));
        assert_eq!(matching_commands("churn").len(), 1 + ChurnSegment::ALL.len(), "the screen and each segment");
    }

    #[test]
    fn hits_become_items_and_selection_wraps() {
        let hit = SearchHit {
            record: RecordRef { kind: RecordKind::Person, id: Uuid::nil() },
            title: "Ann Lee".into(),
            subtitle: Some("ann@x.io".into()),
            rank: -1.0,
        };
        let items = record_items(&[hit]);
        assert_eq!(items[0].hint, "person · ann@x.io");
        assert_eq!(move_selection(0, -1, 3), 2);
        assert_eq!(move_selection(2, 1, 3), 0);
        assert_eq!(move_selection(0, 1, 0), 0);
    }
}
