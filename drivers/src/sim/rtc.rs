//! What the BCD real-time clock models (DS1307/DS1338 and DS3231) share, each written
//! from the datasheets, which describe these registers alike: BCD digits, the hours
//! register in 12- or 24-hour mode, the month lengths the chips count, the time
//! registers 00h..06h, and following the host's clock.

use std::time::{Duration, Instant};

/// Binary (0..=99) to two BCD digits.
pub(crate) fn to_bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

/// Two BCD digits to binary.
pub(crate) fn from_bcd(b: u8) -> u8 {
    (b >> 4) * 10 + (b & 0x0F)
}

/// The hour (0..=23) an hours register holds: bit 6 selects 12-hour mode, where bit 5
/// is PM and 12 is the first hour of each half.
pub(crate) fn hour24(reg: u8) -> u8 {
    if reg & 0x40 != 0 {
        from_bcd(reg & 0x1F) % 12 + if reg & 0x20 != 0 { 12 } else { 0 }
    } else {
        from_bcd(reg & 0x3F)
    }
}

/// The hours register for hour `h` (0..=23) in the 12- or 24-hour mode of `reg`.
pub(crate) fn hours_register(reg: u8, h: u8) -> u8 {
    if reg & 0x40 != 0 {
        let h12 = if h % 12 == 0 { 12 } else { h % 12 };
        0x40 | if h >= 12 { 0x20 } else { 0 } | to_bcd(h12)
    } else {
        to_bcd(h)
    }
}

/// The days of `month` in the year ending in `yy` (00..=99), as the chips count them: a
/// leap year every fourth year.
pub(crate) fn days_in_month(yy: u8, month: u8) -> u8 {
    match month {
        2 if yy % 4 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The time registers 00h..06h (seconds, minutes, hours in 24-hour mode, weekday, date,
/// month, the year's last two digits) for `(year, month, day, weekday, hour, minute,
/// second)`, each field brought into its range.
pub(crate) fn time_registers(t: (u16, u8, u8, u8, u8, u8, u8)) -> [u8; 7] {
    let (year, month, day, weekday, hour, minute, second) = t;
    [
        to_bcd(second % 60),
        to_bcd(minute % 60),
        to_bcd(hour % 24),
        weekday.clamp(1, 7),
        to_bcd(day.clamp(1, 31)),
        to_bcd(month.clamp(1, 12)),
        to_bcd((year % 100) as u8),
    ]
}

/// The host's clock, once a model follows it: the whole seconds that passed.
#[derive(Debug, Default)]
pub(crate) struct HostClock(Option<Instant>);

impl HostClock {
    /// Follow the host's clock from now on.
    pub(crate) fn start(&mut self) {
        self.0 = Some(Instant::now());
    }

    /// The time was written: the current second starts now (when following).
    pub(crate) fn restart(&mut self) {
        if let Some(t) = &mut self.0 {
            *t = Instant::now();
        }
    }

    /// The whole seconds passed since they were last taken (0 when not following).
    pub(crate) fn take_seconds(&mut self) -> u64 {
        let Some(t0) = self.0 else {
            return 0;
        };
        let elapsed = t0.elapsed().as_secs();
        self.0 = Some(t0 + Duration::from_secs(elapsed));
        elapsed
    }
}
