//! The support screens' texts: durations and sizes for Help → Diagnostics and the backups list,
//! and the restore question.

use crate::state::format::short_time;
use dealdesk_model::support::{BackupInfo, Backups, RestoredInPlace};

/// A duration for people: `850 ms`, `1.2 s`, `14 s`, `2 min 5 s`, `1 h 3 min`.
pub fn duration_text(ms: u64) -> String {
    match ms {
        ms if ms < 1_000 => format!("{ms} ms"),
        ms if ms < 9_950 => {
            // One decimal, rounded, without going through floats' formatting surprises.
            let tenths = (ms + 50) / 100;
            if tenths % 10 == 0 { format!("{} s", tenths / 10) } else { format!("{}.{} s", tenths / 10, tenths % 10) }
        }
        ms if ms < 59_500 => format!("{} s", (ms + 500) / 1_000),
        ms if ms < 3_599_500 => {
            let seconds = (ms + 500) / 1_000;
            match seconds % 60 {
                0 => format!("{} min", seconds / 60),
                s => format!("{} min {s} s", seconds / 60),
            }
        }
        ms => {
            let minutes = (ms + 30_000) / 60_000;
            match minutes % 60 {
                0 => format!("{} h", minutes / 60),
                m => format!("{} h {m} min", minutes / 60),
            }
        }
    }
}

/// An optional duration: a dash while it runs or when unknown.
pub fn maybe_duration_text(ms: Option<u64>) -> String {
    ms.map(duration_text).unwrap_or_else(|| "—".to_string())
}

/// A file size for people: `512 B`, `1.5 KB`, `12.3 MB`, `1.1 GB` (binary units).
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 100.0 { format!("{value:.0} {}", UNITS[unit]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// The confirm dialog's question before a restore.
pub fn restore_question(backup: &BackupInfo) -> String {
    format!(
        "Restore the backup from {}? Dealdesk takes a copy of the current database first, then restarts.",
        short_time(&backup.created_at)
    )
}

/// The toast once a restore is scheduled.
pub fn restore_scheduled_text(backup: &BackupInfo) -> String {
    format!("Restoring the backup from {}: Dealdesk restarts now", short_time(&backup.created_at))
}

/// "Automatic backups kept: 7".
pub fn kept_text(backups: &Backups) -> String {
    format!("Automatic backups kept: {}", backups.keep)
}

/// The banner while a restore waits for the next start.
pub fn pending_text(name: &str) -> String {
    format!(
        "A restore of {name} is waiting: it is applied the next time the database opens (Dealdesk starting again, or a dealdesk-cli command)."
    )
}

/// The question before a backup replaces a database that cannot be opened.
pub fn restore_in_place_question(backup: &BackupInfo) -> String {
    format!(
        "Put the backup from {} in place of the database that cannot be opened? The damaged file is kept beside it (dealdesk.sqlite3.damaged-…), nothing is deleted, and Dealdesk restarts.",
        short_time(&backup.created_at)
    )
}

/// What a restore over a database that could not be opened did, while Dealdesk restarts.
pub fn restored_in_place_text(restored: &RestoredInPlace) -> String {
    let mut text = format!("Restored the backup from {}.", short_time(&restored.backup.created_at));
    if let Some(kept) = restored.kept_aside.first() {
        text.push_str(&format!(" The damaged file is kept as {kept}."));
    }
    text.push_str(" Dealdesk restarts now…");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealdesk_model::support::BackupReason;

    #[test]
    fn durations() {
        assert_eq!(duration_text(0), "0 ms");
        assert_eq!(duration_text(999), "999 ms");
        assert_eq!(duration_text(1_000), "1 s");
        assert_eq!(duration_text(1_240), "1.2 s");
        assert_eq!(duration_text(1_960), "2 s");
        assert_eq!(duration_text(9_960), "10 s");
        assert_eq!(duration_text(14_400), "14 s");
        assert_eq!(duration_text(59_400), "59 s");
        assert_eq!(duration_text(59_700), "1 min");
        assert_eq!(duration_text(3_599_400), "59 min 59 s");
        assert_eq!(duration_text(60_000), "1 min");
        assert_eq!(duration_text(125_000), "2 min 5 s");
        assert_eq!(duration_text(3_600_000), "1 h");
        assert_eq!(duration_text(3_780_000), "1 h 3 min");
        assert_eq!(maybe_duration_text(None), "—");
        assert_eq!(maybe_duration_text(Some(12)), "12 ms");
    }

    #[test]
    fn sizes() {
        assert_eq!(size_text(0), "0 B");
        assert_eq!(size_text(1023), "1023 B");
        assert_eq!(size_text(1536), "1.5 KB");
        assert_eq!(size_text(12_900_000), "12.3 MB");
        assert_eq!(size_text(250 * 1024 * 1024), "250 MB");
        assert_eq!(size_text(1_181_116_006), "1.1 GB");
    }

    #[test]
    fn backup_texts() {
        let backup = BackupInfo {
            name: "dealdesk-2026-01-02T030405Z-daily.sqlite".into(),
            path: "/data/backups/x.sqlite".into(),
            bytes: 2048,
            created_at: "2026-01-02T03:04:05Z".into(),
            reason: BackupReason::Daily,
        };
        assert_eq!(
            restore_question(&backup),
            "Restore the backup from 2026-01-02 03:04 UTC? Dealdesk takes a copy of the current database first, then restarts."
        );
        assert!(restore_scheduled_text(&backup).contains("2026-01-02 03:04 UTC"));
        let backups = Backups { dir: "/data/backups".into(), keep: 7, backups: vec![backup], restore_pending: None };
        assert_eq!(kept_text(&backups), "Automatic backups kept: 7");
        assert!(pending_text("x.sqlite").contains("x.sqlite"));
        assert!(
            restore_in_place_question(&backups.backups[0])
                .starts_with("Put the backup from 2026-01-02 03:04 UTC in place")
        );
        let restored = RestoredInPlace {
            backup: backups.backups[0].clone(),
            database: "/data/dealdesk.sqlite3".into(),
            kept_aside: vec!["/data/dealdesk.sqlite3.damaged-20260103-090000".into()],
        };
        assert_eq!(
            restored_in_place_text(&restored),
            "Restored the backup from 2026-01-02 03:04 UTC. The damaged file is kept as /data/dealdesk.sqlite3.damaged-20260103-090000. Dealdesk restarts now…"
        );
    }
}
