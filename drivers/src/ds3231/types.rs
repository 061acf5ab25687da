//! The value types of [`ds3231`](super) (re-exported there).

use super::*;

/// A calendar date and 24-hour time, years 2000..=2199.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Year, 2000..=2199.
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of month, 1..=31 (checked against the month, leap years as the chip has them).
    pub day: u8,
    /// Day of week, 1..=7 (user-defined but sequential, as the datasheet says).
    pub weekday: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=59.
    pub second: u8,
}

impl DateTime {
    /// A checked date and time.
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        weekday: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Option<Self> {
        let ok = (2000..=2199).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && (1..=7).contains(&weekday)
            && hour < 24
            && minute < 60
            && second < 60;
        ok.then_some(Self {
            year,
            month,
            day,
            weekday,
            hour,
            minute,
            second,
        })
    }

    /// Seconds since 1970-01-01 00:00:00 UTC, the date read as UTC (the chip has no time
    /// zone), in the Gregorian calendar. (The DS3231 counts 2100 as a leap year, which
    /// it is not: a chip date of 2100-02-29 gives the second of 2100-03-01.)
    pub const fn unix_seconds(&self) -> i64 {
        let days =
            crate::calendar::days_from_civil(self.year as i64, self.month as u32, self.day as u32);
        days * 86_400 + self.hour as i64 * 3600 + self.minute as i64 * 60 + self.second as i64
    }

    /// The 7 time registers (24-hour mode, century bit for 2100..=2199).
    pub fn to_registers(&self) -> [u8; 7] {
        let century = if self.year >= 2100 { CENTURY } else { 0 };
        [
            bcd(self.second),
            bcd(self.minute),
            bcd(self.hour),
            self.weekday,
            bcd(self.day),
            bcd(self.month) | century,
            bcd((self.year % 100) as u8),
        ]
    }

    /// Parse the 7 time registers (either hour mode).
    pub fn from_registers(r: &[u8; 7]) -> Option<Self> {
        let year = 2000 + u16::from(from_bcd(r[6])?) + if r[5] & CENTURY != 0 { 100 } else { 0 };
        Self::new(
            year,
            from_bcd(r[5] & 0x1F)?,
            from_bcd(r[4])?,
            r[3] & 0x07,
            decode_hour(r[2])?,
            from_bcd(r[1])?,
            from_bcd(r[0])?,
        )
    }
}

/// Alarm 1 match modes (datasheet table 2, A1M4..A1M1 and DY/DT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alarm1 {
    /// Once per second (1111).
    EverySecond,
    /// When seconds match (1110).
    Seconds {
        /// 0..=59
        second: u8,
    },
    /// When minutes and seconds match (1100).
    MinutesSeconds {
        /// 0..=59
        minute: u8,
        /// 0..=59
        second: u8,
    },
    /// When hours, minutes and seconds match (1000).
    HoursMinutesSeconds {
        /// 0..=23
        hour: u8,
        /// 0..=59
        minute: u8,
        /// 0..=59
        second: u8,
    },
    /// When date, hours, minutes and seconds match (0000, DY/DT = 0).
    Date {
        /// 1..=31
        date: u8,
        /// 0..=23
        hour: u8,
        /// 0..=59
        minute: u8,
        /// 0..=59
        second: u8,
    },
    /// When day of week, hours, minutes and seconds match (0000, DY/DT = 1).
    Weekday {
        /// 1..=7
        weekday: u8,
        /// 0..=23
        hour: u8,
        /// 0..=59
        minute: u8,
        /// 0..=59
        second: u8,
    },
}

/// Alarm 2 match modes (datasheet table 2, A2M4..A2M2 and DY/DT). Alarm 2 has no
/// seconds register: it fires at second 00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alarm2 {
    /// Once per minute, at 00 seconds (111).
    EveryMinute,
    /// When minutes match (110).
    Minutes {
        /// 0..=59
        minute: u8,
    },
    /// When hours and minutes match (100).
    HoursMinutes {
        /// 0..=23
        hour: u8,
        /// 0..=59
        minute: u8,
    },
    /// When date, hours and minutes match (000, DY/DT = 0).
    Date {
        /// 1..=31
        date: u8,
        /// 0..=23
        hour: u8,
        /// 0..=59
        minute: u8,
    },
    /// When day of week, hours and minutes match (000, DY/DT = 1).
    Weekday {
        /// 1..=7
        weekday: u8,
        /// 0..=23
        hour: u8,
        /// 0..=59
        minute: u8,
    },
}

/// Square-wave frequency on INT/SQW (RS2:RS1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SquareWave {
    /// 1 Hz.
    Hz1 = 0,
    /// 1.024 kHz.
    Hz1024 = 1,
    /// 4.096 kHz.
    Hz4096 = 2,
    /// 8.192 kHz.
    Hz8192 = 3,
}
