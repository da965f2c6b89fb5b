//! The Trash screen's view state: which kind it shows, and the words for the retention setting
//! and for deleting for good.

use dealdesk_model::RecordKind;
use dealdesk_model::trash::{MAX_RETENTION_DAYS, TrashItem};

/// The kind filter's options: every kind, then each kind (value, label).
pub fn kind_options() -> Vec<(&'static str, &'static str)> {
    let mut options = vec![("", "Everything")];
    options.extend(RecordKind::ALL.iter().map(|kind| (kind.as_str(), plural(*kind))));
    options
}

/// The filter's value back as a kind (`None`: everything).
pub fn kind_of(value: &str) -> Option<RecordKind> {
    RecordKind::parse(value)
}

pub fn plural(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "People",
        RecordKind::Company => "Companies",
        RecordKind::Deal => "Deals",
        RecordKind::Note => "Notes",
        RecordKind::Task => "Tasks",
    }
}

pub fn singular(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "Person",
        RecordKind::Company => "Company",
        RecordKind::Deal => "Deal",
        RecordKind::Note => "Note",
        RecordKind::Task => "Task",
    }
}

/// What the retention line says.
pub fn retention_text(days: u32) -> String {
    match days {
        0 => "Records stay in the trash until you delete them.".to_string(),
        1 => "Records in the trash are deleted for good after 1 day.".to_string(),
        days => format!("Records in the trash are deleted for good after {days} days."),
    }
}

/// The retention field's text as days, or why it is not.
pub fn parse_retention(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(days) if days <= MAX_RETENTION_DAYS => Ok(days),
        _ => Err(format!("A whole number of days from 0 (keep until deleted) to {MAX_RETENTION_DAYS}")),
    }
}

/// The confirmation for deleting one record for good.
pub fn delete_text(item: &TrashItem) -> String {
    format!("“{}” and its history are deleted for good. This cannot be undone. Records linked to it stay.", item.title)
}

/// The confirmation for emptying the trash, or the part of it the screen shows.
pub fn empty_text(total: u64, kind: Option<RecordKind>) -> String {
    let what = match (total, kind) {
        (1, None) => "The 1 record in the trash".to_string(),
        (n, None) => format!("All {n} records in the trash"),
        (n, Some(kind)) => format!("The {} in the trash ({n})", plural(kind).to_lowercase()),
    };
    format!(
        "{what} and their history are deleted for good, except Whop customers and memberships and deals \
         with contracts, which stay. This cannot be undone."
    )
}

/// The count under the title: "3 records", or "showing 500 of 812".
pub fn count_text(shown: usize, total: u64) -> String {
    match total {
        0 => String::new(),
        1 => "1 record".to_string(),
        n if shown as u64 == n => format!("{n} records"),
        n => format!("showing the {shown} most recently deleted of {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealdesk_model::RecordRef;

    #[test]
    fn the_filter_offers_everything_then_each_kind_and_reads_back() {
        let options = kind_options();
        assert_eq!(options.first(), Some(&("", "Everything")));
        assert_eq!(options.len(), 1 + RecordKind::ALL.len());
        for (value, _) in &options[1..] {
            assert!(kind_of(value).is_some(), "{value}");
        }
        assert_eq!(kind_of(""), None);
    }

    #[test]
    fn retention_reads_whole_days_within_the_limit() {
        assert_eq!(parse_retention(" 30 "), Ok(30));
        assert_eq!(parse_retention("0"), Ok(0));
        assert!(parse_retention("-1").is_err());
        assert!(parse_retention("1.5").is_err());
        assert!(parse_retention(&(MAX_RETENTION_DAYS + 1).to_string()).is_err());
        assert_eq!(retention_text(0), "Records stay in the trash until you delete them.");
        assert!(retention_text(30).contains("after 30 days"));
    }

    #[test]
    fn confirmations_name_what_goes() {
        let item = TrashItem {
            record: RecordRef { kind: RecordKind::Person, id: uuid::Uuid::nil() },
            title: "Ada Lovelace".into(),
            detail: None,
            deleted_at: "2026-12-07T10:00:00.000000Z".into(),
            kept: None,
        };
        assert!(delete_text(&item).contains("“Ada Lovelace”"));
        assert!(empty_text(3, None).starts_with("All 3 records"));
        assert!(empty_text(2, Some(RecordKind::Note)).starts_with("The notes in the trash (2)"));
        assert_eq!(count_text(2, 2), "2 records");
        assert_eq!(count_text(500, 812), "showing the 500 most recently deleted of 812");
    }
}
