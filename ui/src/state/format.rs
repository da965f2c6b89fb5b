//! Text for people: money, dates, relative times.

use chrono::{DateTime, Utc};

/// A compact amount for charts and column headers: `1.2M`, `45.3k`, `950`.
pub fn compact_micros(micros: i64) -> String {
    let units = micros as f64 / 1_000_000.0;
    let abs = units.abs();
    if abs >= 1_000_000.0 {
        format!("{:.1}M", units / 1_000_000.0)
    } else if abs >= 10_000.0 {
        format!("{:.0}k", units / 1_000.0)
    } else if abs >= 1_000.0 {
        format!("{:.1}k", units / 1_000.0)
    } else {
        format!("{units:.0}")
    }
}

/// "just now", "5 min ago", "3 h ago", "2 days ago", or the date.
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    match seconds {
        s if s < 60 => "just now".to_string(),
        s if s < 3_600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3_600),
        s if s < 86_400 * 30 => format!("{} days ago", s / 86_400),
        _ => at.format("%Y-%m-%d").to_string(),
    }
}

/// The current time from the browser clock (chrono's clock is not available in wasm here).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn compact_amounts() {
        assert_eq!(compact_micros(950_000_000), "950");
        assert_eq!(compact_micros(1_260_000_000), "1.3k");
        assert_eq!(compact_micros(45_300_000_000), "45k");
        assert_eq!(compact_micros(2_100_000_000_000), "2.1M");
    }

    #[test]
    fn relative_times() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(relative(now, now), "just now");
        assert_eq!(relative(now - Duration::minutes(5), now), "5 min ago");
        assert_eq!(relative(now - Duration::days(2), now), "2 days ago");
    }
}
