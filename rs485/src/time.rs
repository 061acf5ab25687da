//! Timestamps: nanoseconds since the Unix epoch (CLOCK_REALTIME).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time, in nanoseconds since 1970-01-01 00:00:00 UTC.
///
/// Framers never read the clock: every time they use arrives with the bytes
/// ([`crate::framer::Framer::push`]) or a tick ([`crate::framer::Framer::tick`]), so a
/// test or a replay injects any clock it likes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The wall clock now (CLOCK_REALTIME).
    pub fn now() -> Timestamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(d.as_nanos() as u64)
    }

    /// From nanoseconds since the epoch.
    pub const fn from_nanos(ns: u64) -> Timestamp {
        Timestamp(ns)
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch.
    pub const fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    /// The nanoseconds within the second.
    pub const fn subsec_nanos(self) -> u32 {
        (self.0 % 1_000_000_000) as u32
    }

    /// `self + d`.
    pub fn plus(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(d.as_nanos() as u64))
    }

    /// The time from `earlier` to `self`, zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// `YYYYmmddHHMMSS` in UTC, for file names.
    pub fn utc_compact(self) -> String {
        let (y, mo, d, h, mi, s) = civil(self.secs());
        format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with nanoseconds: `2026-11-22T00:15:35.123456789Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = civil(self.secs());
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:09}Z",
            self.subsec_nanos()
        )
    }
}

/// Seconds since the epoch to (year, month, day, hour, minute, second) in UTC.
fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    // Seconds since 1970 fit an i64 until the year 292 277 026 596.
    udrv_drivers::calendar::civil_from_unix(secs as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        let t = Timestamp::from_nanos(1_763_770_535_000_000_007);
        assert_eq!(t.to_string(), "2025-11-22T00:15:35.000000007Z");
        assert_eq!(t.utc_compact(), "20251122001535");
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            Timestamp(951_782_400 * 1_000_000_000).utc_compact(),
            "20000229000000"
        );
    }
}
