//! Board arithmetic: where a dropped card lands, and which deals are rotting.

use chrono::{DateTime, Duration, Utc};

/// A position strictly between two neighbours (either may be missing at a column's ends).
pub fn position_between(before: Option<f64>, after: Option<f64>) -> f64 {
    match (before, after) {
        (Some(b), Some(a)) => (b + a) / 2.0,
        (Some(b), None) => b + 1.0,
        (None, Some(a)) => a - 1.0,
        (None, None) => 1.0,
    }
}

/// The position for a card dropped at `index` into a column whose other cards have `positions`
/// (in order, without the moved card).
pub fn drop_position(positions: &[f64], index: usize) -> f64 {
    let index = index.min(positions.len());
    let before = index.checked_sub(1).and_then(|i| positions.get(i)).copied();
    let after = positions.get(index).copied();
    position_between(before, after)
}

/// A deal rots when nothing happened to it for longer than its stage allows.
pub fn is_rotting(last_activity: DateTime<Utc>, rotting_days: Option<u32>, now: DateTime<Utc>) -> bool {
    rotting_days.is_some_and(|days| now - last_activity > Duration::days(i64::from(days)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_land_between_neighbours() {
        let column = [1.0, 2.0, 3.0];
        assert_eq!(drop_position(&column, 0), 0.0);
        assert_eq!(drop_position(&column, 1), 1.5);
        assert_eq!(drop_position(&column, 3), 4.0);
        assert_eq!(drop_position(&column, 99), 4.0);
        assert_eq!(drop_position(&[], 0), 1.0);
        let p = drop_position(&[1.0, 1.5], 1);
        assert!(p > 1.0 && p < 1.5);
    }

    #[test]
    fn rotting_needs_a_limit_and_enough_idle_days() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert!(is_rotting(now - Duration::days(8), Some(7), now));
        assert!(!is_rotting(now - Duration::days(6), Some(7), now));
        assert!(!is_rotting(now - Duration::days(600), None, now));
    }
}
