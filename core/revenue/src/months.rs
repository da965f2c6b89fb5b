//! Calendar months (UTC) as one integer (`year * 12 + month - 1`), their `YYYY-MM` text, and the
//! instants the metrics are taken at, as the Julian day numbers SQLite's `julianday()` gives.

use crate::error::RevenueError;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// A calendar month: `year * 12 + (month - 1)`, so consecutive months are consecutive integers.
pub type MonthIndex = i64;

pub fn index_of(at: DateTime<Utc>) -> MonthIndex {
    i64::from(at.year()) * 12 + i64::from(at.month0())
}

/// `2026-11` → its index; anything else is refused.
pub fn parse(text: &str) -> Result<MonthIndex, RevenueError> {
    let bad = || RevenueError::BadMonth(text.to_string());
    let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(bad());
    }
    let year: i64 = year.parse().map_err(|_| bad())?;
    let month: i64 = month.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(1970..=9999).contains(&year) {
        return Err(bad());
    }
    Ok(year * 12 + month - 1)
}

pub fn text(month: MonthIndex) -> String {
    format!("{:04}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1)
}

/// The first instant of the month.
pub fn start(month: MonthIndex) -> DateTime<Utc> {
    let year = i32::try_from(month.div_euclid(12)).unwrap_or(1970);
    let month0 = u32::try_from(month.rem_euclid(12)).unwrap_or(0);
    NaiveDate::from_ymd_opt(year, month0 + 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or_else(|| Utc.timestamp_opt(0, 0).single().unwrap_or_default(), |d| Utc.from_utc_datetime(&d))
}

/// The instant a month's figures are taken at: its end (the start of the next month), or `as_of`
/// for the month in progress.
pub fn measured_at(month: MonthIndex, as_of: DateTime<Utc>) -> DateTime<Utc> {
    start(month + 1).min(as_of)
}

/// SQLite's `julianday()` of an instant.
pub fn julian(at: DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64 / 86_400_000_000.0 + 2_440_587.5
}

/// The store's timestamp text (`dealdesk_store::time::format`), for comparisons with stored text.
pub fn stored(at: DateTime<Utc>) -> String {
    dealdesk_store::time::format(at)
}

/// The grid the SQL reads with `json_each`: `[[month, julian day measured at], …]`.
pub fn grid_json(months: impl IntoIterator<Item = MonthIndex>, as_of: DateTime<Utc>) -> String {
    let cells: Vec<serde_json::Value> =
        months.into_iter().map(|m| serde_json::json!([m, julian(measured_at(m, as_of))])).collect();
    serde_json::Value::Array(cells).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_round_trip_and_bad_text_is_refused() {
        let m = parse("2026-11").unwrap();
        assert_eq!(text(m), "2026-11");
        assert_eq!(text(m + 2), "2027-01");
        assert_eq!(start(m + 2), Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "", "2026-00", "abcd-ef"] {
            assert!(matches!(parse(bad), Err(RevenueError::BadMonth(_))), "{bad}");
        }
    }

    #[test]
    fn julian_days_match_sqlite() {
        // SQLite: julianday('2000-01-01T12:00:00Z') = 2451545.0
        assert_eq!(julian(Utc.with_ymd_and_hms(2000, 1, 1, 12, 0, 0).unwrap()), 2_451_545.0);
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
        assert_eq!(measured_at(index_of(now), now), now);
        assert_eq!(measured_at(index_of(now) - 1, now), Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    }
}
