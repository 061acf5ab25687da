//! The local time zone, for `--localtime` and `%L` (libgpiod formats those with the C
//! library's `localtime_r`; udrv has no C library calls outside udrv-core's audited ABI
//! module, so it reads the zone the way the C library does).
//!
//! `TZ` unset: `/etc/localtime`. `TZ` empty: UTC. `TZ=:NAME` or `TZ=NAME`: the TZif file
//! `NAME` when absolute, else `$TZDIR/NAME` (`/usr/share/zoneinfo/NAME`); when there is no
//! such file, NAME is read as a POSIX TZ rule (`CET-1CEST,M3.5.0,M10.5.0/3`). Anything
//! unreadable means UTC, as for the C library.

/// A time zone: UTC offsets over time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Zone {
    /// Transition instants (Unix seconds), ascending.
    at: Vec<i64>,
    /// The local time type from each transition on (index into `offsets`).
    kind: Vec<usize>,
    /// The UTC offsets of the local time types, in seconds east of UTC.
    offsets: Vec<i64>,
    /// The rule for instants after the last transition (the TZif footer, or `TZ` itself).
    rule: Option<Rule>,
}

/// A POSIX TZ rule: standard offset, and daylight saving time with its two changes.
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    /// Standard time's offset, seconds east of UTC.
    std: i64,
    /// Daylight saving time's offset and when it starts and ends (local times).
    dst: Option<(i64, Change, Change)>,
}

/// When a change happens: a day of the year and a local time of that day.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Change {
    day: Day,
    /// Seconds after local midnight (may be negative or past 24 h).
    time: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Day {
    /// `Jn`: day 1..=365, February 29 never counted.
    Julian(i64),
    /// `n`: day 0..=365, February 29 counted.
    Zero(i64),
    /// `Mm.w.d`: weekday `d` (0 = Sunday) of week `w` (5 = the last) of month `m`.
    Month(i64, i64, i64),
}

impl Zone {
    /// The zone the C library would use for this process.
    pub fn local() -> Zone {
        match std::env::var("TZ") {
            Err(_) => Zone::from_file("/etc/localtime").unwrap_or_default(),
            Ok(tz) => Zone::named(&tz),
        }
    }

    /// The zone for a `TZ` value.
    pub fn named(tz: &str) -> Zone {
        let name = tz.strip_prefix(':').unwrap_or(tz);
        if name.is_empty() {
            return Zone::default();
        }
        let path = if name.starts_with('/') {
            name.to_string()
        } else {
            let dir = std::env::var("TZDIR").unwrap_or_else(|_| "/usr/share/zoneinfo".into());
            format!("{dir}/{name}")
        };
        if let Some(z) = Zone::from_file(&path) {
            return z;
        }
        match parse_rule(name) {
            Some(rule) => Zone {
                rule: Some(rule),
                ..Zone::default()
            },
            None => Zone::default(),
        }
    }

    fn from_file(path: &str) -> Option<Zone> {
        parse_tzif(&std::fs::read(path).ok()?)
    }

    /// The UTC offset (seconds east) in force at Unix time `t`.
    pub fn offset(&self, t: i64) -> i64 {
        let n = self.at.partition_point(|&a| a <= t);
        if n == self.at.len() {
            if let Some(rule) = &self.rule {
                return rule.offset(t);
            }
        }
        let kind = if n == 0 {
            // Before the first transition: the first local time type (RFC 8536 3.2).
            0
        } else {
            self.kind[n - 1]
        };
        self.offsets.get(kind).copied().unwrap_or(0)
    }
}

fn be32(b: &[u8], i: usize) -> Option<i64> {
    Some(i64::from(i32::from_be_bytes(
        b.get(i..i + 4)?.try_into().ok()?,
    )))
}

fn be64(b: &[u8], i: usize) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(i..i + 8)?.try_into().ok()?))
}

/// Parses a TZif file (RFC 8536): the 64-bit block of version 2+, else version 1's.
fn parse_tzif(b: &[u8]) -> Option<Zone> {
    if b.get(0..4)? != b"TZif" {
        return None;
    }
    let counts = |h: usize| -> Option<[usize; 6]> {
        let mut c = [0usize; 6];
        for (k, v) in c.iter_mut().enumerate() {
            *v = usize::try_from(be32(b, h + 20 + 4 * k)?).ok()?;
        }
        Some(c)
    };
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    let [isut, isstd, leap, time, types, chars] = counts(0)?;
    let v1_len = time * 5 + types * 6 + chars + leap * 8 + isstd + isut;
    let (h, size) = if b[4] >= b'2' {
        (44 + v1_len, 8)
    } else {
        (0, 4)
    };
    let [isut, isstd, leap, time, types, chars] = counts(h)?;
    if types == 0 {
        return None;
    }
    let mut p = h + 44;
    let mut zone = Zone::default();
    for k in 0..time {
        zone.at.push(if size == 8 {
            be64(b, p + 8 * k)?
        } else {
            be32(b, p + 4 * k)?
        });
    }
    p += time * size;
    for k in 0..time {
        let kind = usize::from(*b.get(p + k)?);
        if kind >= types {
            return None;
        }
        zone.kind.push(kind);
    }
    p += time;
    for k in 0..types {
        zone.offsets.push(be32(b, p + 6 * k)?);
    }
    p += types * 6 + chars + leap * (size + 4) + isstd + isut;
    if size == 8 {
        // The footer: "\nRULE\n".
        let rest = b.get(p..)?;
        if rest.first() == Some(&b'\n') {
            if let Some(end) = rest[1..].iter().position(|&c| c == b'\n') {
                zone.rule = std::str::from_utf8(&rest[1..1 + end])
                    .ok()
                    .and_then(parse_rule);
            }
        }
    }
    Some(zone)
}

/// Parses a POSIX TZ rule such as `EST5EDT,M3.2.0,M11.1.0` or `<+0530>-5:30`.
fn parse_rule(s: &str) -> Option<Rule> {
    let mut p = Parser { s: s.as_bytes() };
    p.name()?;
    let std = -p.hms(true)?;
    if p.s.is_empty() {
        return Some(Rule { std, dst: None });
    }
    p.name()?;
    let dst_off = if p.s.first().is_some_and(|c| *c != b',') {
        -p.hms(true)?
    } else {
        std + 3600
    };
    // Without explicit changes the C library uses the US rules of 2007.
    let (start, end) = if p.s.is_empty() {
        (
            Change {
                day: Day::Month(3, 2, 0),
                time: 7200,
            },
            Change {
                day: Day::Month(11, 1, 0),
                time: 7200,
            },
        )
    } else {
        p.eat(b',')?;
        let start = p.change()?;
        p.eat(b',')?;
        let end = p.change()?;
        (start, end)
    };
    p.s.is_empty().then_some(Rule {
        std,
        dst: Some((dst_off, start, end)),
    })
}

struct Parser<'a> {
    s: &'a [u8],
}

impl Parser<'_> {
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.s.first() == Some(&c)).then(|| self.s = &self.s[1..])
    }

    fn name(&mut self) -> Option<()> {
        let n = if self.s.first() == Some(&b'<') {
            self.s.iter().position(|&c| c == b'>')? + 1
        } else {
            let n = self
                .s
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            if n < 3 {
                return None;
            }
            n
        };
        self.s = &self.s[n..];
        Some(())
    }

    fn number(&mut self) -> Option<i64> {
        let n = self.s.iter().take_while(|c| c.is_ascii_digit()).count();
        let v = std::str::from_utf8(&self.s[..n]).ok()?.parse().ok()?;
        self.s = &self.s[n..];
        Some(v)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds (`signed`: the sign is allowed).
    fn hms(&mut self, signed: bool) -> Option<i64> {
        let mut sign = 1;
        if signed || self.s.first() == Some(&b'-') {
            if self.eat(b'-').is_some() {
                sign = -1;
            } else {
                let _ = self.eat(b'+');
            }
        }
        let mut v = self.number()? * 3600;
        if self.eat(b':').is_some() {
            v += self.number()? * 60;
            if self.eat(b':').is_some() {
                v += self.number()?;
            }
        }
        Some(sign * v)
    }

    fn change(&mut self) -> Option<Change> {
        let day = if self.eat(b'J').is_some() {
            Day::Julian(self.number()?)
        } else if self.eat(b'M').is_some() {
            let m = self.number()?;
            self.eat(b'.')?;
            let w = self.number()?;
            self.eat(b'.')?;
            Day::Month(m, w, self.number()?)
        } else {
            Day::Zero(self.number()?)
        };
        let time = if self.eat(b'/').is_some() {
            self.hms(false)?
        } else {
            7200
        };
        Some(Change { day, time })
    }
}

use udrv_drivers::calendar::is_leap_year as is_leap;

/// Days since 1970-01-01 of a civil date ([`udrv_drivers::calendar::days_from_civil`]).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    udrv_drivers::calendar::days_from_civil(y, m as u32, d as u32)
}

/// The civil date (year, month, day) of a day count since 1970-01-01
/// ([`udrv_drivers::calendar::civil_from_days`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let (y, m, d) = udrv_drivers::calendar::civil_from_days(z);
    (y, m.into(), d.into())
}

impl Change {
    /// The local-time instant (seconds since 1970, in the zone's local reckoning) of this
    /// change in `year`.
    fn local_in(&self, year: i64) -> i64 {
        let jan1 = days_from_civil(year, 1, 1);
        let day = match self.day {
            Day::Julian(n) => {
                // Day 60 is March 1 whether or not the year is a leap year.
                jan1 + n - 1 + i64::from(is_leap(year) && n >= 60)
            }
            Day::Zero(n) => jan1 + n,
            Day::Month(m, w, d) => {
                let first = days_from_civil(year, m, 1);
                // 1970-01-01 was a Thursday (4).
                let wday = (first + 4).rem_euclid(7);
                let mut day = first + (d - wday).rem_euclid(7) + (w - 1) * 7;
                let next = if m == 12 {
                    days_from_civil(year + 1, 1, 1)
                } else {
                    days_from_civil(year, m + 1, 1)
                };
                while day >= next {
                    day -= 7;
                }
                day
            }
        };
        day * 86_400 + self.time
    }
}

impl Rule {
    fn offset(&self, t: i64) -> i64 {
        let Some((dst, start, end)) = self.dst else {
            return self.std;
        };
        let (year, _, _) = civil_from_days((t + self.std).div_euclid(86_400));
        // The start is given in standard time, the end in daylight saving time.
        let s = start.local_in(year) - self.std;
        let e = end.local_in(year) - dst;
        let in_dst = if s < e {
            t >= s && t < e
        } else {
            // Southern hemisphere: DST spans the new year.
            !(t >= e && t < s)
        };
        if in_dst {
            dst
        } else {
            self.std
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i64, m: i64, d: i64, h: i64, min: i64) -> i64 {
        days_from_civil(y, m, d) * 86_400 + h * 3600 + min * 60
    }

    #[test]
    fn civil_dates_round_trip() {
        for z in [-800_000, -1, 0, 1, 11_016, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z, "{z}: {y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn posix_rules() {
        let cet = Zone::named("CET-1CEST,M3.5.0,M10.5.0/3");
        // 2024: summer time from March 31 01:00 UTC to October 27 01:00 UTC.
        assert_eq!(cet.offset(utc(2024, 3, 31, 0, 59)), 3600);
        assert_eq!(cet.offset(utc(2024, 3, 31, 1, 0)), 7200);
        assert_eq!(cet.offset(utc(2024, 10, 27, 0, 59)), 7200);
        assert_eq!(cet.offset(utc(2024, 10, 27, 1, 0)), 3600);
        let us = Zone::named("EST5EDT");
        assert_eq!(us.offset(utc(2024, 7, 1, 12, 0)), -4 * 3600);
        assert_eq!(us.offset(utc(2024, 1, 1, 12, 0)), -5 * 3600);
        // Southern hemisphere: New Zealand.
        let nz = Zone::named("NZST-12NZDT,M9.5.0,M4.1.0/3");
        assert_eq!(nz.offset(utc(2024, 1, 15, 0, 0)), 13 * 3600);
        assert_eq!(nz.offset(utc(2024, 6, 15, 0, 0)), 12 * 3600);
        assert_eq!(Zone::named("<+0530>-5:30").offset(0), 19_800);
        assert_eq!(Zone::named("").offset(1_000_000), 0);
        assert_eq!(Zone::named("not a zone").offset(1_000_000), 0);
    }

    /// A TZif v2 file with one transition (at `at`, from +01:00 to +02:00) and `footer`.
    fn tzif(at: i64, footer: &str) -> Vec<u8> {
        let header = |n_time: u32, n_types: u32, n_chars: u32| {
            let mut h = b"TZif2".to_vec();
            h.extend_from_slice(&[0; 15]);
            for c in [0, 0, 0, n_time, n_types, n_chars] {
                h.extend_from_slice(&c.to_be_bytes());
            }
            h
        };
        let mut f = header(0, 1, 4);
        f.extend_from_slice(&3600i32.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(b"AAA\0");
        f.extend(header(1, 2, 8));
        f.extend_from_slice(&at.to_be_bytes());
        f.push(1);
        for (off, dst, idx) in [(3600i32, 0u8, 0u8), (7200, 1, 4)] {
            f.extend_from_slice(&off.to_be_bytes());
            f.extend_from_slice(&[dst, idx]);
        }
        f.extend_from_slice(b"AAA\0BBB\0");
        f.extend_from_slice(format!("\n{footer}\n").as_bytes());
        f
    }

    #[test]
    fn tzif_transitions_then_the_footer() {
        let z = parse_tzif(&tzif(1_000_000, "XXX-3")).unwrap();
        assert_eq!(z.offset(0), 3600, "before the transition: the first type");
        assert_eq!(z.offset(999_999), 3600);
        assert_eq!(z.offset(1_000_000), 10_800, "past the last one: the footer");
        let z = parse_tzif(&tzif(1_000_000, "")).unwrap();
        assert_eq!(z.offset(2_000_000), 7200, "no footer: the last type");
        assert_eq!(parse_tzif(b"TZif2 but short"), None);
        assert_eq!(parse_tzif(b"not a zone file at all, not at all"), None);
    }
}
