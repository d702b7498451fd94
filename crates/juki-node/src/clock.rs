//! The clock, injected (BRIEF §7): code never reads the system time directly, so tests and
//! the simulator can set and move it. Instants are UTC; calendar rules use Asia/Tokyo.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{TimeZone, offset};
use std::sync::Mutex;

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;

    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }

    /// Today's date in Asia/Tokyo.
    fn today_tokyo(&self) -> Date {
        tokyo().to_datetime(self.now()).date()
    }
}

/// Asia/Tokyo. Japan has kept UTC+9 without daylight saving since 1951, so a fixed offset is
/// exact for every instant juki handles and needs no time-zone database.
pub fn tokyo() -> TimeZone {
    TimeZone::fixed(offset(9))
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until moved: for tests.
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn new(at: Timestamp) -> FixedClock {
        FixedClock(Mutex::new(at))
    }

    pub fn set(&self, at: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyo_date_turns_at_15_utc() {
        let c = FixedClock::new("2026-04-01T14:59:59Z".parse().unwrap());
        assert_eq!(c.today_tokyo(), Date::constant(2026, 4, 1));
        c.set("2026-04-01T15:00:00Z".parse().unwrap());
        assert_eq!(c.today_tokyo(), Date::constant(2026, 4, 2));
    }
}
