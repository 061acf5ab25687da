//! The civil calendar: dates in the proleptic Gregorian calendar to and from day counts
//! since 1970-01-01, the Unix epoch.
//!
//! The one implementation in the workspace: the DS3231 model, the virtual board, the chip
//! catalog and the RS485 capture's timestamps all call it. Howard Hinnant's algorithms
//! (<https://howardhinnant.github.io/date_algorithms.html>): integer arithmetic only, no
//! tables, exact for any year within millions of years of today.
//!
//! ```
//! use udrv_drivers::calendar::{civil_from_days, days_from_civil, iso_weekday};
//!
//! assert_eq!(days_from_civil(2000, 2, 29), 11_016);
//! assert_eq!(civil_from_days(11_016), (2000, 2, 29));
//! assert_eq!(iso_weekday(0), 4); // 1970-01-01 was a Thursday
//! ```

/// Days from 0000-03-01 (the start of Hinnant's eras) to 1970-01-01.
const EPOCH_SHIFT: i64 = 719_468;
/// Days in a 400-year era of the Gregorian calendar.
const ERA_DAYS: i64 = 146_097;

/// Days since 1970-01-01 of the date `year`-`month`-`day` (month 1..=12, day 1..=31);
/// negative before 1970. The date is not checked: 2023-02-29 gives the day after
/// 2023-02-28, as March 1 does.
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * ERA_DAYS + doe - EPOCH_SHIFT
}

/// The date (year, month 1..=12, day 1..=31) `days` days after 1970-01-01 (before it
/// when negative).
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + EPOCH_SHIFT;
    let era = z.div_euclid(ERA_DAYS);
    let doe = z.rem_euclid(ERA_DAYS);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// The ISO weekday (1 = Monday .. 7 = Sunday) of the day `days` days after 1970-01-01.
pub const fn iso_weekday(days: i64) -> u32 {
    // 1970-01-01 was a Thursday (ISO 4).
    ((days + 3).rem_euclid(7) + 1) as u32
}

/// Whether `year` has a February 29 in the Gregorian calendar: divisible by 4, except
/// centuries not divisible by 400.
pub const fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Seconds since 1970-01-01 00:00:00 UTC (no leap seconds, as Unix time counts) to the
/// date and the time of day: (year, month, day, hour, minute, second).
pub const fn civil_from_unix(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    (
        y,
        m,
        d,
        (sod / 3600) as u32,
        (sod / 60 % 60) as u32,
        (sod % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dates and their day numbers, independently of this module: each number is
    /// `date -u -d DATE +%s` (GNU coreutils 9, proleptic Gregorian) divided by 86 400, and
    /// each weekday `date -u -d DATE +%u`.
    const KNOWN: [(i64, u32, u32, i64, u32); 15] = [
        (1970, 1, 1, 0, 4),
        (1969, 12, 31, -1, 3),
        (2000, 1, 1, 10_957, 6),
        (2000, 2, 29, 11_016, 2),
        (2000, 3, 1, 11_017, 3),
        (1900, 2, 28, -25_509, 3),
        (1900, 3, 1, -25_508, 4),
        (2100, 2, 28, 47_540, 7),
        (2100, 3, 1, 47_541, 1),
        (2024, 2, 29, 19_782, 4),
        (2026, 12, 6, 20_793, 7),
        (1600, 2, 29, -135_081, 2),
        (1, 1, 1, -719_162, 1),
        (9999, 12, 31, 2_932_896, 5),
        (2038, 1, 19, 24_855, 2),
    ];

    #[test]
    fn known_dates_both_ways() {
        for (y, m, d, days, wd) in KNOWN {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
            assert_eq!(iso_weekday(days), wd, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn leap_rules() {
        // Every 4 years, not every 100, every 400.
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(1600));
        assert!(!is_leap_year(2023) && !is_leap_year(1900) && !is_leap_year(2100));
        // The day after February 28 is February 29 exactly in leap years.
        for y in 1583..=2500 {
            let next = civil_from_days(days_from_civil(y, 2, 28) + 1);
            let want = if is_leap_year(y) {
                (y, 2, 29)
            } else {
                (y, 3, 1)
            };
            assert_eq!(next, want, "{y}");
            let len = days_from_civil(y + 1, 1, 1) - days_from_civil(y, 1, 1);
            assert_eq!(len, if is_leap_year(y) { 366 } else { 365 }, "{y}");
        }
    }

    #[test]
    fn every_day_follows_the_one_before() {
        // Across four 400-year eras, around the epoch: the next day is the next date.
        let mut prev = civil_from_days(-300_000);
        for z in -299_999..300_000 {
            let (y, m, d) = civil_from_days(z);
            let (py, pm, pd) = prev;
            let ok = (y, m, d) == (py, pm, pd + 1)
                || (y == py && m == pm + 1 && d == 1)
                || (y == py + 1 && (m, d) == (1, 1) && (pm, pd) == (12, 31));
            assert!(ok, "day {z}: {prev:?} then {:?}", (y, m, d));
            assert_eq!(days_from_civil(y, m, d), z);
            prev = (y, m, d);
        }
    }

    #[test]
    fn unix_seconds() {
        // `date -u -d @951782399`: Mon 28 Feb 2000 23:59:59; one second later Feb 29.
        assert_eq!(civil_from_unix(951_782_399), (2000, 2, 28, 23, 59, 59));
        assert_eq!(civil_from_unix(951_782_400), (2000, 2, 29, 0, 0, 0));
        // `date -u -d @-1`: 1969-12-31 23:59:59.
        assert_eq!(civil_from_unix(-1), (1969, 12, 31, 23, 59, 59));
        // `date -u -d @2147483647`: 2038-01-19 03:14:07.
        assert_eq!(civil_from_unix(2_147_483_647), (2038, 1, 19, 3, 14, 7));
    }
}
