//! Text as libgpiod 2.x's tools print it: event times, line attributes, line names and
//! `-F` format templates.

use udrv_core::gpio::{Bias, Direction, Drive, EdgeDetection, EventClock, LineInfo};

use super::tz::{civil_from_days, Zone};

/// How event timestamps are printed (`--utc`, `--localtime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// Seconds and nanoseconds as they come: `1234.000456789`.
    Raw,
    /// An ISO 8601 UTC time: `2024-05-01T12:00:00.000456789Z`.
    Utc,
    /// An ISO 8601 local time, no zone suffix: `2024-05-01T14:00:00.000456789`.
    Local,
}

impl Stamp {
    /// The stamp `--localtime` and `--utc` ask for (`--localtime` first), else [`Stamp::Raw`].
    pub fn chosen(localtime: bool, utc: bool) -> Stamp {
        if localtime {
            Stamp::Local
        } else if utc {
            Stamp::Utc
        } else {
            Stamp::Raw
        }
    }
}

/// `ns` (nanoseconds since the clock's epoch) printed as `how` says.
pub fn event_time(ns: u64, how: Stamp) -> String {
    let (secs, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    let civil = |t: i64| {
        let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
        let s = t.rem_euclid(86_400);
        format!(
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    };
    match how {
        Stamp::Raw => format!("{secs}.{frac:09}"),
        Stamp::Utc => format!("{}Z", civil(secs)),
        Stamp::Local => {
            let zone = Zone::local();
            civil(secs.saturating_add(zone.offset(secs)))
        }
    }
}

/// The parts of a line's info that gpioinfo prints as attributes.
#[derive(Clone, Debug, Default)]
pub struct Attrs<'a> {
    /// Output rather than input.
    pub output: bool,
    /// Active-low.
    pub active_low: bool,
    /// Output drive.
    pub drive: Drive,
    /// Bias, when known.
    pub bias: Option<Bias>,
    /// Edge detection.
    pub edge: Option<EdgeDetection>,
    /// Event clock.
    pub event_clock: EventClock,
    /// Debounce period.
    pub debounce: Option<std::time::Duration>,
    /// In use, and by whom (`None`: no label, which gpioinfo calls `kernel`).
    pub used: Option<Option<&'a str>>,
}

impl<'a> Attrs<'a> {
    /// The attributes of a line's info.
    pub fn of(l: &'a LineInfo) -> Attrs<'a> {
        Attrs {
            output: l.direction == Direction::Output,
            active_low: l.active_low,
            drive: l.drive,
            bias: l.bias,
            edge: l.edge,
            event_clock: l.event_clock,
            debounce: l.debounce,
            used: l.used.then_some(l.consumer.as_deref()),
        }
    }
}

/// A line's attributes as gpioinfo prints them: `output active-low drive=open-drain
/// bias=pull-up edges=both event-clock=realtime debounce-period=10ms consumer="x"`.
pub fn line_attrs(l: &LineInfo, unquoted: bool) -> String {
    attrs_text(&Attrs::of(l), unquoted)
}

fn attrs_text(l: &Attrs<'_>, unquoted: bool) -> String {
    attr_list(l, unquoted).join(" ")
}

/// The attributes one by one (for JSON).
pub fn line_attr_list(l: &LineInfo) -> Vec<String> {
    attr_list(&Attrs::of(l), false)
}

fn attr_list(l: &Attrs<'_>, unquoted: bool) -> Vec<String> {
    let mut a = vec![(if l.output { "output" } else { "input" }).to_string()];
    if l.active_low {
        a.push("active-low".into());
    }
    match l.drive {
        Drive::OpenDrain => a.push("drive=open-drain".into()),
        Drive::OpenSource => a.push("drive=open-source".into()),
        Drive::PushPull => {}
    }
    match l.bias {
        Some(Bias::PullUp) => a.push("bias=pull-up".into()),
        Some(Bias::PullDown) => a.push("bias=pull-down".into()),
        Some(Bias::Disabled) => a.push("bias=disabled".into()),
        None => {}
    }
    match l.edge {
        Some(EdgeDetection::Both) => a.push("edges=both".into()),
        Some(EdgeDetection::Rising) => a.push("edges=rising".into()),
        Some(EdgeDetection::Falling) => a.push("edges=falling".into()),
        None => {}
    }
    match l.event_clock {
        EventClock::Realtime => a.push("event-clock=realtime".into()),
        EventClock::Hte => a.push("event-clock=hte".into()),
        EventClock::Monotonic => {}
    }
    if let Some(d) = l.debounce.filter(|d| !d.is_zero()) {
        a.push(format!("debounce-period={}", period(d.as_micros())));
    }
    if let Some(consumer) = l.used {
        let c = consumer.unwrap_or("kernel");
        if unquoted {
            a.push(format!("consumer={c}"));
        } else {
            a.push(format!("consumer=\"{c}\""));
        }
    }
    a
}

/// Microseconds in the largest unit that keeps them whole: `10ms`, `1s`, `250us`.
fn period(us: u128) -> String {
    if us % 1_000_000 == 0 {
        format!("{}s", us / 1_000_000)
    } else if us % 1000 == 0 {
        format!("{}ms", us / 1000)
    } else {
        format!("{us}us")
    }
}

/// A line's name in gpioinfo's column: quoted and padded to 16 characters, `unnamed`
/// for a line without one.
pub fn info_name(name: Option<&str>, unquoted: bool) -> String {
    match name {
        None => format!("{:<16}", "unnamed"),
        Some(n) if unquoted => format!("{n:<16}"),
        Some(n) => format!("{:<16}", format!("\"{n}\"")),
    }
}

/// How gpiomon and gpionotify name a line in their default output: `"name"`, or
/// `gpiochipN OFFSET "name"` when a chip was given with `-c`, or `gpiochipN OFFSET` for
/// a line without a name.
pub fn line_id(
    chip_name: &str,
    offset: u32,
    name: Option<&str>,
    chip_given: bool,
    unquoted: bool,
) -> String {
    let Some(n) = name else {
        return format!("{chip_name} {offset}");
    };
    let n = if unquoted {
        n.to_string()
    } else {
        format!("\"{n}\"")
    };
    if chip_given {
        format!("{chip_name} {offset} {n}")
    } else {
        n
    }
}

/// Expands a `-F` template: `%X` becomes what `field` writes for `X` (when it returns
/// false, `%X` stays as it is, as libgpiod leaves unknown specifiers), `%%` is `%`, and
/// a `%` at the very end stays.
pub fn template(fmt: &str, field: impl Fn(char) -> Option<String>) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            None => out.push('%'),
            Some('%') => out.push('%'),
            Some(x) => match field(x) {
                Some(s) => out.push_str(&s),
                None => {
                    out.push('%');
                    out.push(x);
                }
            },
        }
    }
    out
}

/// `'a'`, `'a', and 'b'`, `'a', 'b', and 'c'`: the lines of a `--banner`, as libgpiod
/// lists them.
pub fn banner_lines(specs: &[String]) -> String {
    match specs {
        [one] => format!("line '{one}'"),
        [rest @ .., last] => {
            let mut s = String::from("lines ");
            for r in rest {
                s.push_str(&format!("'{r}', "));
            }
            s.push_str(&format!("and '{last}'"));
            s
        }
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times() {
        assert_eq!(event_time(1_234_000_456_789, Stamp::Raw), "1234.000456789");
        assert_eq!(event_time(5, Stamp::Raw), "0.000000005");
        assert_eq!(
            event_time(1_714_564_800_000_000_001, Stamp::Utc),
            "2024-05-01T12:00:00.000000001Z"
        );
        assert_eq!(
            event_time(1_234_000_456_789, Stamp::Utc),
            "1970-01-01T00:20:34.000456789Z"
        );
    }

    #[test]
    fn attributes_in_gpioinfos_order() {
        let mut l = Attrs::default();
        assert_eq!(attrs_text(&l, false), "input");
        l.output = true;
        l.active_low = true;
        l.drive = Drive::OpenDrain;
        l.bias = Some(Bias::PullUp);
        l.edge = Some(EdgeDetection::Both);
        l.event_clock = EventClock::Realtime;
        l.debounce = Some(Duration::from_millis(10));
        l.used = Some(Some("gpioset"));
        assert_eq!(
            attrs_text(&l, false),
            "output active-low drive=open-drain bias=pull-up edges=both \
             event-clock=realtime debounce-period=10ms consumer=\"gpioset\""
        );
        l.used = Some(None);
        l.debounce = Some(Duration::from_micros(1500));
        assert!(attrs_text(&l, true).ends_with("debounce-period=1500us consumer=kernel"));
        l.debounce = Some(Duration::from_secs(2));
        assert!(attrs_text(&l, true).contains("debounce-period=2s"));
    }

    #[test]
    fn names_and_ids() {
        assert_eq!(info_name(Some("led"), false), "\"led\"           ");
        assert_eq!(info_name(Some("led"), true), "led             ");
        assert_eq!(info_name(None, false), "unnamed         ");
        let long = "a-very-long-line-name";
        assert_eq!(info_name(Some(long), false), format!("\"{long}\""));
        assert_eq!(
            line_id("gpiochip3", 7, Some("spare"), false, false),
            "\"spare\""
        );
        assert_eq!(
            line_id("gpiochip3", 7, Some("spare"), true, true),
            "gpiochip3 7 spare"
        );
        assert_eq!(line_id("gpiochip3", 8, None, false, false), "gpiochip3 8");
    }

    #[test]
    fn templates_as_libgpiod_expands_them() {
        let f = |c: char| (c == 'o').then(|| "7".to_string());
        assert_eq!(template("%o %x %% 100%", f), "7 %x % 100%");
        assert_eq!(template("plain", f), "plain");
        assert_eq!(template("%é%o", f), "%é7");
    }

    #[test]
    fn banners() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(banner_lines(&s(&["led"])), "line 'led'");
        assert_eq!(banner_lines(&s(&["a", "b"])), "lines 'a', and 'b'");
        assert_eq!(
            banner_lines(&s(&["a", "b", "c"])),
            "lines 'a', 'b', and 'c'"
        );
    }
}
