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

/// A field name for people: `renewal_period_end` → `renewal period end`.
pub fn field_label(field: Option<&str>) -> String {
    field.map(|f| f.replace('_', " ")).unwrap_or_else(|| "—".to_string())
}

/// A stored value for people: text as it is, nothing as a dash, the rest as compact JSON.
pub fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".to_string(),
        serde_json::Value::String(s) if s.is_empty() => "(empty)".to_string(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "yes".to_string(),
        serde_json::Value::Bool(false) => "no".to_string(),
        other => other.to_string(),
    }
}

/// The question before a timeline Restore: what the field goes back to.
pub fn restore_prompt(field: &str, before: &serde_json::Value) -> String {
    let label = field_label(Some(field));
    let mut chars = label.chars();
    let name: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    match before {
        serde_json::Value::Null => format!("{name} is emptied again, as it was before this change."),
        value => format!("{name} goes back to “{}”, the value it had before this change.", value_text(value)),
    }
}

/// The toast after a Restore.
pub fn restored_text(field: &str) -> String {
    format!("Restored the earlier value of {}", field_label(Some(field)))
}

/// `2026-11-26T19:09:04.123456Z` → `2026-11-26 19:09 UTC`; other text stays as it is.
pub fn short_time(text: &str) -> String {
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.to_utc().format("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => text.to_string(),
    }
}

/// The date part of a timestamp.
pub fn short_date(text: &str) -> String {
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.to_utc().format("%Y-%m-%d").to_string(),
        Err(_) => text.chars().take(10).collect(),
    }
}

/// Money in micros with its currency, as the core writes it: `USD 1234.50`.
pub fn money_text(micros: i64, currency: &str) -> String {
    dealdesk_model::whop::amount_text(micros, Some(currency))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn restore_texts() {
        assert_eq!(
            restore_prompt("job_title", &serde_json::Value::from("CTO")),
            "Job title goes back to “CTO”, the value it had before this change."
        );
        assert_eq!(
            restore_prompt("city", &serde_json::Value::Null),
            "City is emptied again, as it was before this change."
        );
        assert_eq!(restored_text("email"), "Restored the earlier value of email");
        assert_eq!(value_text(&serde_json::Value::from(12)), "12");
        assert_eq!(field_label(None), "—");
    }

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
