//! Timestamps as stored: UTC, microseconds, one fixed width, so text order is time order.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// `2026-11-26T19:09:04.123456Z`.
pub fn format(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc))
}

/// 0.5 s, 1 s, 2 s, 4 s … up to `max`, with ±25% jitter so many clients do not retry in step.
/// Reads retry within the request (up to 8 s); the outbox retries writes durably (up to minutes).
pub fn backoff(attempt: u32, max: std::time::Duration) -> std::time::Duration {
    let base = (0.5 * 2f64.powi(attempt.min(20) as i32)).min(max.as_secs_f64());
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let jitter = 0.75 + 0.5 * (f64::from(nanos % 1000) / 1000.0);
    std::time::Duration::from_secs_f64(base * jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_fixed_width_and_round_trips() {
        let a = parse("2026-01-02T03:04:05Z").unwrap();
        let b = parse("2026-01-02T03:04:05.000001Z").unwrap();
        assert_eq!(format(a), "2026-01-02T03:04:05.000000Z");
        assert!(format(a) < format(b));
        assert_eq!(parse(&format(b)).unwrap(), b);
    }
}
