//! The hybrid logical clock that stamps every change-log row.

use std::time::Duration;
use uhlc::{HLC, HLCBuilder, NTP64, Timestamp};

pub struct Clock {
    hlc: HLC,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    pub fn new() -> Self {
        // A generous max delta: after a restart we feed the clock the newest stamp already stored,
        // which may be ahead of the wall clock if the system time was moved back.
        Clock { hlc: HLCBuilder::new().with_max_delta(Duration::from_secs(365 * 24 * 3600)).build() }
    }

    /// A new, strictly increasing stamp as sortable text: 16 hex digits of NTP64 time, `/`, the id.
    pub fn stamp(&self) -> String {
        let ts = self.hlc.new_timestamp();
        format!("{:016x}/{}", ts.get_time().as_u64(), ts.get_id())
    }

    /// Moves the clock past a stamp read back from the database, so stamps stay increasing across
    /// restarts. Unreadable stamps are ignored with a warning.
    pub fn observe(&self, stamp: &str) {
        let Some(time) = stamp.split('/').next().and_then(|hex| u64::from_str_radix(hex, 16).ok()) else {
            tracing::warn!(stamp, "ignoring an unreadable change-log stamp");
            return;
        };
        let ts = Timestamp::new(NTP64(time), *self.hlc.get_id());
        if let Err(error) = self.hlc.update_with_timestamp(&ts) {
            tracing::warn!(%error, "the newest stored change-log stamp is far in the future");
        }
    }
}

/// The wall-clock time a stamp carries (the time of the change it stamps), `None` when unreadable.
pub fn stamp_time(stamp: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let time = stamp.split('/').next().and_then(|hex| u64::from_str_radix(hex, 16).ok())?;
    let since_epoch = NTP64(time).to_duration();
    chrono::DateTime::from_timestamp(i64::try_from(since_epoch.as_secs()).ok()?, since_epoch.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_carries_its_time() {
        let before = chrono::Utc::now();
        let at = stamp_time(&Clock::new().stamp()).unwrap();
        assert!((at - before).num_milliseconds().abs() < 1_000, "{at} vs {before}");
        assert_eq!(stamp_time("zz/1"), None);
    }

    #[test]
    fn stamps_increase_as_text() {
        let clock = Clock::new();
        let a = clock.stamp();
        let b = clock.stamp();
        assert!(a < b, "{a} < {b}");
    }

    #[test]
    fn observing_a_future_stamp_moves_the_clock_past_it() {
        let clock = Clock::new();
        let now = clock.stamp();
        let time = u64::from_str_radix(now.split('/').next().unwrap(), 16).unwrap();
        let future = format!("{:016x}/1", time + (10u64 << 32));
        clock.observe(&future);
        assert!(clock.stamp() > future);
    }
}
