//! GPIO over the Linux GPIO character device (`/dev/gpiochipN`).
//!
//! - Chips and lines by name: [`chips`], [`find_chip`], [`find_line`] search every chip,
//!   so a program does not depend on chip numbering (which changes between kernels and
//!   boards).
//! - uAPI v2 (Linux 5.10+), with automatic fallback to v1 on older kernels; force either
//!   with [`Chip::with_abi`], [`RequestBuilder::with_abi`] or the environment variable
//!   `UDRV_GPIO_ABI=v1` / `v2`. What v1 cannot do is reported as
//!   [`Error::Unsupported`], never silently ignored.
//! - Requests of one or many lines through a [`RequestBuilder`]: direction, initial
//!   values, bias, drive, active-low, debounce, edge detection, event clock, kernel event
//!   buffer size; [`Request::reconfigure`]; values of many lines in one call.
//! - Edge events ([`EdgeEvent`]) with kernel timestamps and sequence numbers. Events the
//!   kernel dropped because its buffer overflowed are reported in
//!   [`EdgeEvent::lost_before`], never hidden. (uAPI v1 has no sequence numbers: there
//!   `lost_before` is `None`, meaning "cannot tell".)
//! - Line info and info-change watches ([`Chip::watch_line_info`]).
//! - embedded-hal 1.0 digital traits on a single-line [`Pin`]; with the `tokio` feature,
//!   embedded-hal-async `Wait` on [`AsyncPin`] and a `Stream` of edge events from
//!   [`AsyncRequest`].
//!
//! ```no_run
//! use std::time::Duration;
//! use udrv_core::gpio::{self, Bias, EdgeDetection, Request, Value};
//!
//! # fn main() -> Result<(), gpio::Error> {
//! // Find the lines by name, wherever they are.
//! let button = gpio::find_line("button")?;
//! let led = gpio::find_line("led")?;
//!
//! let input = Request::builder()
//!     .with_found_line(&button)
//!     .as_input()
//!     .with_bias(Bias::PullUp)
//!     .with_edge_detection(EdgeDetection::Both)
//!     .with_debounce(Duration::from_millis(5))
//!     .with_consumer("example")
//!     .request()?;
//! let output = Request::builder()
//!     .with_found_line(&led)
//!     .as_output(Value::Inactive)
//!     .request()?;
//!
//! while let Some(ev) = input.wait_edge_event(Duration::from_secs(10))? {
//!     if let Some(lost) = ev.lost_before.filter(|n| *n > 0) {
//!         eprintln!("the kernel dropped {lost} events before this one");
//!     }
//!     output.set_value(led.offset, ev.kind.into())?;
//! }
//! # Ok(())
//! # }
//! ```

mod chip;
mod config;
mod error;
mod event;
mod hal;
mod request;

#[cfg(feature = "tokio")]
mod asynch;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use chip::{Chip, ChipInfo, InfoChangeEvent, InfoChangeKind, LineInfo};
pub use config::{Config, LineSettings};
pub use error::{AbiLimit, Error, InvalidConfig, Operation, Result};
pub use event::{monotonic_now_ns, EdgeEvent, EdgeKind};
pub use hal::Pin;
pub use request::{EdgeEvents, Request, RequestBuilder};

#[cfg(feature = "tokio")]
pub use asynch::{AsyncChip, AsyncPin, AsyncRequest, EdgeEventStream};

/// The logical value of a line: `Active` is high unless the line is active-low.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Value {
    /// Not asserted (physically low, or high for an active-low line).
    #[default]
    Inactive,
    /// Asserted (physically high, or low for an active-low line).
    Active,
}

impl std::ops::Not for Value {
    type Output = Value;
    /// The other value.
    fn not(self) -> Value {
        match self {
            Value::Inactive => Value::Active,
            Value::Active => Value::Inactive,
        }
    }
}

impl Value {
    /// `true` for `Active`.
    pub fn is_active(self) -> bool {
        self == Value::Active
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        if b {
            Value::Active
        } else {
            Value::Inactive
        }
    }
}

impl From<Value> for bool {
    fn from(v: Value) -> bool {
        v.is_active()
    }
}

impl From<EdgeKind> for Value {
    /// The value a line has just after an edge: `Active` after a rising edge.
    fn from(k: EdgeKind) -> Value {
        match k {
            EdgeKind::Rising => Value::Active,
            EdgeKind::Falling => Value::Inactive,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Value::Inactive => "inactive",
            Value::Active => "active",
        })
    }
}

/// Direction of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The line is read.
    Input,
    /// The line is driven.
    Output,
}

/// Internal pull resistor setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bias {
    /// Pull-up enabled.
    PullUp,
    /// Pull-down enabled.
    PullDown,
    /// Pulls disabled.
    Disabled,
}

/// Output drive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Drive {
    /// Drives both high and low.
    #[default]
    PushPull,
    /// Drives low only; high is high impedance.
    OpenDrain,
    /// Drives high only; low is high impedance.
    OpenSource,
}

/// Which edges to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeDetection {
    /// Inactive to active.
    Rising,
    /// Active to inactive.
    Falling,
    /// Both.
    Both,
}

/// The clock of edge-event timestamps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EventClock {
    /// `CLOCK_MONOTONIC` (the default; good for intervals).
    #[default]
    Monotonic,
    /// `CLOCK_REALTIME` (wall clock; v2 only).
    Realtime,
    /// A hardware timestamp engine (v2 only, Linux 5.19+, needs HTE support).
    Hte,
}

/// The GPIO character device uAPI version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Abi {
    /// uAPI v1 (deprecated; all kernels with the character device, 4.8+). No debounce,
    /// no event sequence numbers (lost events cannot be detected), no event clock choice,
    /// a fixed 16-event kernel buffer, one line per edge-detecting request, one set of
    /// flags per request.
    V1,
    /// uAPI v2 (Linux 5.10+).
    V2,
}

impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Abi::V1 => "v1",
            Abi::V2 => "v2",
        })
    }
}

impl Abi {
    /// The version forced by the environment variable `UDRV_GPIO_ABI` (`v1` or `v2`),
    /// if set to one of those.
    pub fn from_env() -> Option<Abi> {
        match std::env::var("UDRV_GPIO_ABI").ok()?.trim() {
            "v1" | "V1" | "1" => Some(Abi::V1),
            "v2" | "V2" | "2" => Some(Abi::V2),
            _ => None,
        }
    }
}

macro_rules! display_words {
    ($($t:ty { $($v:path => $w:literal),* $(,)? })*) => {$(
        impl fmt::Display for $t {
            /// The word libgpiod's tools use (e.g. `pull-up`, `open-drain`).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $($v => $w),* })
            }
        }
    )*};
}

display_words! {
    Direction { Direction::Input => "input", Direction::Output => "output" }
    Bias { Bias::PullUp => "pull-up", Bias::PullDown => "pull-down", Bias::Disabled => "disabled" }
    Drive {
        Drive::PushPull => "push-pull",
        Drive::OpenDrain => "open-drain",
        Drive::OpenSource => "open-source",
    }
    EdgeDetection {
        EdgeDetection::Rising => "rising",
        EdgeDetection::Falling => "falling",
        EdgeDetection::Both => "both",
    }
    EventClock {
        EventClock::Monotonic => "monotonic",
        EventClock::Realtime => "realtime",
        EventClock::Hte => "hte",
    }
    EdgeKind { EdgeKind::Rising => "rising", EdgeKind::Falling => "falling" }
    InfoChangeKind {
        InfoChangeKind::Requested => "requested",
        InfoChangeKind::Released => "released",
        InfoChangeKind::Reconfigured => "reconfigured",
    }
}

/// A line found by name: its chip and offset, and its info at the time of the search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundLine {
    /// The chip's device node.
    pub chip: PathBuf,
    /// The line's offset on the chip.
    pub offset: u32,
    /// The line's info when found.
    pub info: LineInfo,
}

/// The GPIO chip device nodes (`/dev/gpiochip*`), in numeric order.
pub fn chip_paths() -> Result<Vec<PathBuf>> {
    chip_paths_in(Path::new("/dev"))
}

fn chip_paths_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, Operation::Enumerate, &[], e))?;
    let mut v: Vec<(u32, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let n = name.to_str()?.strip_prefix("gpiochip")?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    v.sort();
    Ok(v.into_iter().map(|(_, p)| p).collect())
}

/// Every GPIO chip's info (name, label, line count), in numeric order.
///
/// ```no_run
/// for chip in udrv_core::gpio::chips()? {
///     println!("{} [{}] ({} lines)", chip.name, chip.label, chip.lines);
/// }
/// # Ok::<(), udrv_core::gpio::Error>(())
/// ```
pub fn chips() -> Result<Vec<ChipInfo>> {
    chip_paths()?
        .into_iter()
        .map(|p| Chip::open(&p)?.info())
        .collect()
}

/// The chip whose label (or kernel name, e.g. `gpiochip0`) is `label`.
pub fn find_chip(label: &str) -> Result<ChipInfo> {
    let all = chips()?;
    let by_label = all.iter().position(|c| c.label == label);
    let by_name = all.iter().position(|c| c.name == label);
    match by_label.or(by_name) {
        Some(i) => Ok(all[i].clone()),
        None => Err(Error::ChipNotFound {
            label: label.to_string(),
        }),
    }
}

/// The first line named `name` on any chip (chips in numeric order).
pub fn find_line(name: &str) -> Result<FoundLine> {
    for path in chip_paths()? {
        let chip = Chip::open(&path)?;
        if let Some(found) = chip.find_line(name)? {
            return Ok(found);
        }
    }
    Err(Error::LineNotFound {
        name: name.to_string(),
    })
}

/// Every line named `name` on every chip (names are not guaranteed unique).
pub fn find_lines(name: &str) -> Result<Vec<FoundLine>> {
    let mut out = Vec::new();
    for path in chip_paths()? {
        let chip = Chip::open(&path)?;
        for info in chip.line_infos()? {
            if info.name.as_deref() == Some(name) {
                out.push(FoundLine {
                    chip: path.clone(),
                    offset: info.offset,
                    info,
                });
            }
        }
    }
    Ok(out)
}

/// Converts a kernel NUL-terminated name buffer to a `String` (lossy UTF-8).
pub(crate) fn cstr(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// `None` for an empty string.
pub(crate) fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Microseconds in a `Duration`, when it fits the kernel's `u32`.
pub(crate) fn micros_u32(d: Duration) -> Option<u32> {
    u32::try_from(d.as_micros()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chip_paths_sort_numerically_and_skip_others() {
        let dir = std::env::temp_dir().join(format!("udrv-gpio-enum-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for n in ["gpiochip10", "gpiochip2", "gpiochip0", "gpiochipx", "i2c-1"] {
            std::fs::write(dir.join(n), b"").unwrap();
        }
        let v = chip_paths_in(&dir).unwrap();
        let names: Vec<_> = v
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["gpiochip0", "gpiochip2", "gpiochip10"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cstr_stops_at_nul() {
        assert_eq!(cstr(b"led\0garbage"), "led");
        assert_eq!(cstr(b"full"), "full");
        assert_eq!(non_empty(cstr(b"\0x")), None);
    }

    #[test]
    fn words_match_libgpiod() {
        assert_eq!(Bias::PullUp.to_string(), "pull-up");
        assert_eq!(Drive::OpenSource.to_string(), "open-source");
        assert_eq!(EdgeDetection::Both.to_string(), "both");
        assert_eq!(InfoChangeKind::Reconfigured.to_string(), "reconfigured");
        assert_eq!(Direction::Output.to_string(), "output");
    }

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Chip>();
        check::<Request>();
        check::<Pin>();
        check::<Error>();
        #[cfg(feature = "tokio")]
        check::<AsyncRequest>();
        #[cfg(feature = "tokio")]
        check::<AsyncChip>();
    }

    #[test]
    fn value_conversions() {
        assert_eq!(Value::from(true), Value::Active);
        assert_eq!(!Value::Active, Value::Inactive);
        assert_eq!(Value::from(EdgeKind::Falling), Value::Inactive);
        assert!(bool::from(Value::Active));
    }
}
