//! A GPIO chip: info, line info, info-change watches, and the request ioctls.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::sys::fs::{open_device, read_one, set_nonblocking, wait_next, wait_next_for, Pod};
use crate::sys::gpio_v1 as v1;
use crate::sys::gpio_v2 as v2;

use super::config::{Config, V1Plan};
use super::error::{AbiLimit, Error, InvalidConfig, Operation, Result};
use super::{cstr, non_empty, Abi, Bias, Direction, Drive, EdgeDetection, EventClock, FoundLine};

/// A chip's identity, from `GPIO_GET_CHIPINFO_IOCTL`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ChipInfo {
    /// The device node, e.g. `/dev/gpiochip0`.
    pub path: PathBuf,
    /// The kernel's name for the chip, e.g. `gpiochip0`.
    pub name: String,
    /// The chip's label, e.g. `pinctrl-bcm2711` (may be empty).
    pub label: String,
    /// The number of lines.
    pub lines: u32,
}

/// The state of one line, from the line info ioctls.
///
/// Under [`Abi::V1`] the kernel reports neither edge detection, nor debounce, nor the
/// event clock: those fields then read `None`/`Monotonic` whatever the line's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LineInfo {
    /// The offset on the chip.
    pub offset: u32,
    /// The line's name (from the device tree, ACPI or the driver), if any.
    pub name: Option<String>,
    /// The label of whoever holds the line, if it is held and labelled.
    pub consumer: Option<String>,
    /// Whether the line is in use (by the kernel or by a user-space request).
    pub used: bool,
    /// Input or output.
    pub direction: Direction,
    /// Whether the line is active-low.
    pub active_low: bool,
    /// Bias, when the kernel knows it.
    pub bias: Option<Bias>,
    /// Output drive.
    pub drive: Drive,
    /// Edge detection in use (v2 only).
    pub edge: Option<EdgeDetection>,
    /// The event clock in use (v2 only).
    pub event_clock: EventClock,
    /// The debounce period in use (v2 only).
    pub debounce: Option<Duration>,
    /// The uAPI version this info was read with.
    pub abi: Abi,
}

impl LineInfo {
    pub(crate) fn from_v2(i: &v2::LineInfo) -> LineInfo {
        let debounce = i.attrs[..(i.num_attrs as usize).min(v2::NUM_ATTRS_MAX)]
            .iter()
            .find_map(|a| a.get_debounce_us())
            .filter(|&us| us > 0)
            .map(|us| Duration::from_micros(u64::from(us)));
        LineInfo {
            offset: i.offset,
            name: non_empty(cstr(&i.name)),
            consumer: non_empty(cstr(&i.consumer)),
            debounce,
            ..LineInfo::of_v2_flags(i.flags, Abi::V2)
        }
    }

    /// The info of a v1 line: its flags translated to v2's (v1 reports no edges, event
    /// clock or debounce).
    pub(crate) fn from_v1(i: &v1::LineInfo) -> LineInfo {
        LineInfo {
            offset: i.line_offset,
            name: non_empty(cstr(&i.name)),
            consumer: non_empty(cstr(&i.consumer)),
            ..LineInfo::of_v2_flags(v1::v2_of_line_flags(i.flags), Abi::V1)
        }
    }

    /// The settings that v2 line flags `f` say, for a line still to be named (offset 0,
    /// no name, consumer or debounce).
    fn of_v2_flags(f: u64, abi: Abi) -> LineInfo {
        use v2::flag::*;
        LineInfo {
            offset: 0,
            name: None,
            consumer: None,
            used: f & USED != 0,
            direction: if f & OUTPUT != 0 {
                Direction::Output
            } else {
                Direction::Input
            },
            active_low: f & ACTIVE_LOW != 0,
            bias: bias_of(
                f & BIAS_PULL_UP != 0,
                f & BIAS_PULL_DOWN != 0,
                f & BIAS_DISABLED != 0,
            ),
            drive: drive_of(f & OPEN_DRAIN != 0, f & OPEN_SOURCE != 0),
            edge: match (f & EDGE_RISING != 0, f & EDGE_FALLING != 0) {
                (true, true) => Some(EdgeDetection::Both),
                (true, false) => Some(EdgeDetection::Rising),
                (false, true) => Some(EdgeDetection::Falling),
                (false, false) => None,
            },
            event_clock: if f & EVENT_CLOCK_REALTIME != 0 {
                EventClock::Realtime
            } else if f & EVENT_CLOCK_HTE != 0 {
                EventClock::Hte
            } else {
                EventClock::Monotonic
            },
            debounce: None,
            abi,
        }
    }
}

fn bias_of(up: bool, down: bool, disabled: bool) -> Option<Bias> {
    if up {
        Some(Bias::PullUp)
    } else if down {
        Some(Bias::PullDown)
    } else if disabled {
        Some(Bias::Disabled)
    } else {
        None
    }
}

fn drive_of(open_drain: bool, open_source: bool) -> Drive {
    if open_drain {
        Drive::OpenDrain
    } else if open_source {
        Drive::OpenSource
    } else {
        Drive::PushPull
    }
}

/// What happened to a watched line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InfoChangeKind {
    /// The line was requested.
    Requested,
    /// The line was released.
    Released,
    /// The line's configuration changed.
    Reconfigured,
}

/// A change of a watched line's info (see [`Chip::watch_line_info`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct InfoChangeEvent {
    /// The line's info after the change.
    pub info: LineInfo,
    /// When it happened (`CLOCK_MONOTONIC`, ns).
    pub timestamp_ns: u64,
    /// What happened.
    pub kind: InfoChangeKind,
}

fn change_kind(t: u32) -> InfoChangeKind {
    match t {
        v2::LINE_CHANGED_REQUESTED => InfoChangeKind::Requested,
        v2::LINE_CHANGED_RELEASED => InfoChangeKind::Released,
        v2::LINE_CHANGED_CONFIG => InfoChangeKind::Reconfigured,
        // A kernel newer than this code may add kinds: the info still changed.
        _ => InfoChangeKind::Reconfigured,
    }
}

/// An open GPIO chip (`/dev/gpiochipN`).
///
/// ```no_run
/// use udrv_core::gpio::{Chip, Value};
///
/// # fn main() -> Result<(), udrv_core::gpio::Error> {
/// let chip = Chip::open("/dev/gpiochip0")?;
/// let info = chip.info()?;
/// println!("{} [{}]: {} lines, uAPI {}", info.name, info.label, info.lines, chip.abi());
/// for line in chip.line_infos()? {
///     println!("{:3} {:?} {:?}", line.offset, line.name, line.consumer);
/// }
/// let relay = chip.request().with_line(2).as_output(Value::Active).request()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Chip {
    file: File,
    path: PathBuf,
    abi: Abi,
    lines: u32,
}

impl Chip {
    /// Opens a chip by device node path. The uAPI version is v2 when the kernel has it,
    /// else v1, unless `UDRV_GPIO_ABI` (`v1`/`v2`) says otherwise.
    pub fn open(path: impl AsRef<Path>) -> Result<Chip> {
        let path = path.as_ref().to_path_buf();
        let file = open_device(&path).map_err(|e| Error::io(&path, Operation::Open, &[], e))?;
        let info = v2::get_chipinfo(file.as_fd())
            .map_err(|e| Error::io(&path, Operation::ChipInfo, &[], e))?;
        let abi = pick_abi(Abi::from_env(), info.lines, || {
            v2::get_lineinfo(file.as_fd(), 0).map(drop)
        })
        .map_err(|e| Error::io(&path, Operation::LineInfo, &[0], e))?;
        Ok(Chip {
            file,
            path,
            abi,
            lines: info.lines,
        })
    }

    /// Opens `/dev/gpiochipN`.
    pub fn open_number(n: u32) -> Result<Chip> {
        Chip::open(format!("/dev/gpiochip{n}"))
    }

    /// Opens the chip with this label (or kernel name).
    pub fn open_by_label(label: &str) -> Result<Chip> {
        Chip::open(super::find_chip(label)?.path)
    }

    /// Uses uAPI `abi` from now on (for tests, or to avoid v2 on a kernel whose v2 is
    /// broken). Requests made through [`Chip::request`] inherit it.
    pub fn with_abi(mut self, abi: Abi) -> Chip {
        self.abi = abi;
        self
    }

    /// The uAPI version in use.
    pub fn abi(&self) -> Abi {
        self.abi
    }

    /// The device node path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of lines.
    pub fn num_lines(&self) -> u32 {
        self.lines
    }

    /// Name, label and line count.
    pub fn info(&self) -> Result<ChipInfo> {
        let i = v2::get_chipinfo(self.file.as_fd())
            .map_err(|e| self.err(Operation::ChipInfo, &[], e))?;
        Ok(ChipInfo {
            path: self.path.clone(),
            name: cstr(&i.name),
            label: cstr(&i.label),
            lines: i.lines,
        })
    }

    /// One line's info.
    pub fn line_info(&self, offset: u32) -> Result<LineInfo> {
        self.info_by(
            offset,
            Operation::LineInfo,
            v2::get_lineinfo,
            v1::get_lineinfo,
        )
    }

    /// `offset`'s info through `v2_call` or `v1_call`, as the chip's ABI is.
    fn info_by(
        &self,
        offset: u32,
        op: Operation,
        v2_call: fn(BorrowedFd<'_>, u32) -> io::Result<v2::LineInfo>,
        v1_call: fn(BorrowedFd<'_>, u32) -> io::Result<v1::LineInfo>,
    ) -> Result<LineInfo> {
        self.check_offset(offset)?;
        let fd = self.file.as_fd();
        match self.abi {
            Abi::V2 => v2_call(fd, offset).map(|i| LineInfo::from_v2(&i)),
            Abi::V1 => v1_call(fd, offset).map(|i| LineInfo::from_v1(&i)),
        }
        .map_err(|e| self.err(op, &[offset], e))
    }

    /// Every line's info, by offset.
    pub fn line_infos(&self) -> Result<Vec<LineInfo>> {
        (0..self.lines).map(|o| self.line_info(o)).collect()
    }

    /// The first line named `name` on this chip.
    pub fn find_line(&self, name: &str) -> Result<Option<FoundLine>> {
        for o in 0..self.lines {
            let info = self.line_info(o)?;
            if info.name.as_deref() == Some(name) {
                return Ok(Some(FoundLine {
                    chip: self.path.clone(),
                    offset: o,
                    info,
                }));
            }
        }
        Ok(None)
    }

    /// Starts watching `offset` for changes (requested, released, reconfigured) and
    /// returns its info now. Read the changes with [`Chip::read_info_change`],
    /// [`Chip::wait_info_change`] or [`Chip::try_read_info_change`]. The kernel keeps up
    /// to 32 changes per chip fd and drops newer ones when full.
    pub fn watch_line_info(&self, offset: u32) -> Result<LineInfo> {
        self.info_by(
            offset,
            Operation::WatchLineInfo,
            v2::watch_lineinfo,
            v1::watch_lineinfo,
        )
    }

    /// Stops watching `offset`.
    pub fn unwatch_line_info(&self, offset: u32) -> Result<()> {
        v2::unwatch_lineinfo(self.file.as_fd(), offset)
            .map_err(|e| self.err(Operation::UnwatchLineInfo, &[offset], e))
    }

    /// The next info change of a watched line, waiting as long as it takes.
    pub fn read_info_change(&self) -> Result<InfoChangeEvent> {
        wait_next(
            self.file.as_fd(),
            || self.try_read_info_change(),
            |e| self.err(Operation::ReadInfoChange, &[], e),
        )
    }

    /// The next info change, or `None` when `timeout` passes first.
    pub fn wait_info_change(&self, timeout: Duration) -> Result<Option<InfoChangeEvent>> {
        wait_next_for(
            self.file.as_fd(),
            Some(timeout),
            || self.try_read_info_change(),
            |e| self.err(Operation::ReadInfoChange, &[], e),
        )
    }

    /// An info change that has already happened, without waiting.
    pub fn try_read_info_change(&self) -> Result<Option<InfoChangeEvent>> {
        let fd = self.file.as_fd();
        let r = match self.abi {
            Abi::V2 => read_one(fd, v2::read_info_changed).map(|c| {
                c.map(|c| InfoChangeEvent {
                    info: LineInfo::from_v2(&c.info),
                    timestamp_ns: c.timestamp_ns,
                    kind: change_kind(c.event_type),
                })
            }),
            Abi::V1 => read_one(fd, v1::read_info_changed).map(|c| {
                c.map(|c| InfoChangeEvent {
                    info: LineInfo::from_v1(&c.info),
                    timestamp_ns: c.timestamp,
                    kind: change_kind(c.event_type),
                })
            }),
        };
        match r {
            Ok(ev) => Ok(ev),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(self.err(Operation::ReadInfoChange, &[], e)),
        }
    }

    /// A [`RequestBuilder`](super::RequestBuilder) for lines of this chip, using this
    /// chip's uAPI version.
    pub fn request(&self) -> super::RequestBuilder {
        let mut b = super::Request::builder();
        b.on_chip(&self.path).with_abi(self.abi);
        b
    }

    fn check_offset(&self, offset: u32) -> Result<()> {
        if offset >= self.lines {
            return Err(Error::invalid(
                &self.path,
                InvalidConfig::OffsetOutOfRange {
                    offset,
                    lines: self.lines,
                },
            ));
        }
        Ok(())
    }

    fn err(&self, op: Operation, lines: &[u32], e: io::Error) -> Error {
        Error::io(&self.path, op, lines, e)
    }

    /// Requests the lines of `config`; returns the line fd (non-blocking) and what kind
    /// of v1 request it is (when v1).
    pub(crate) fn request_lines(
        &self,
        consumer: &str,
        event_buffer_size: Option<u32>,
        config: &Config,
    ) -> Result<(OwnedFd, Option<V1Plan>)> {
        let offsets = config.offsets();
        for &o in &offsets {
            self.check_offset(o)?;
        }
        let label = consumer_label(consumer).map_err(|r| Error::invalid(&self.path, r))?;
        let fd = self.file.as_fd();
        let (res, plan) = match self.abi {
            Abi::V2 => {
                let mut req = v2::LineRequest::zeroed();
                req.config = config
                    .encode_v2()
                    .map_err(|r| Error::invalid(&self.path, r))?;
                req.offsets[..offsets.len()].copy_from_slice(&offsets);
                req.num_lines = offsets.len() as u32;
                req.consumer = label;
                // The kernel's kfifo needs at least two slots.
                req.event_buffer_size = event_buffer_size.map_or(0, |n| n.max(2));
                (v2::get_line(fd, &mut req), None)
            }
            Abi::V1 => {
                let plan = config
                    .encode_v1()
                    .map_err(|r| Error::invalid(&self.path, r))?
                    .map_err(|l| Error::unsupported(&self.path, Abi::V1, l))?;
                if event_buffer_size.is_some() {
                    return Err(Error::unsupported(
                        &self.path,
                        Abi::V1,
                        AbiLimit::EventBufferSize,
                    ));
                }
                let r = match plan {
                    V1Plan::Handle { flags, values } => {
                        let mut req = v1::HandleRequest::zeroed();
                        req.lineoffsets[..offsets.len()].copy_from_slice(&offsets);
                        req.flags = flags;
                        req.default_values = values;
                        req.consumer_label = label;
                        req.lines = offsets.len() as u32;
                        v1::get_linehandle(fd, &mut req)
                    }
                    V1Plan::Event {
                        offset,
                        handleflags,
                        eventflags,
                    } => {
                        let mut req = v1::EventRequest::zeroed();
                        req.lineoffset = offset;
                        req.handleflags = handleflags;
                        req.eventflags = eventflags;
                        req.consumer_label = label;
                        v1::get_lineevent(fd, &mut req)
                    }
                };
                (r, Some(plan))
            }
        };
        let line_fd = res.map_err(|e| self.request_error(&offsets, e))?;
        set_nonblocking(line_fd.as_fd()).map_err(|e| self.err(Operation::Request, &offsets, e))?;
        Ok((line_fd, plan))
    }

    /// The error for a failed request; for `EBUSY` it names the line's holder.
    fn request_error(&self, offsets: &[u32], e: io::Error) -> Error {
        let mut err = self.err(Operation::Request, offsets, e);
        if err.is_busy() {
            let holder = offsets.iter().find_map(|&o| {
                let info = self.line_info(o).ok()?;
                info.used.then(|| (o, info.consumer.unwrap_or_default()))
            });
            if let Error::Io { holder: h, .. } = &mut err {
                *h = holder;
            }
        }
        err
    }
}

/// The uAPI version to use: the forced one, else v2 when a harmless v2 ioctl (`probe`,
/// line info of line 0) works, v1 when it fails with `ENOTTY`/`EINVAL` (kernels before
/// 5.10, or built without v2), and the probe's error otherwise.
fn pick_abi(
    forced: Option<Abi>,
    lines: u32,
    probe: impl FnOnce() -> io::Result<()>,
) -> io::Result<Abi> {
    match forced {
        Some(abi) => Ok(abi),
        // Nothing to probe with; no line can be requested anyway.
        None if lines == 0 => Ok(Abi::V2),
        None => match probe() {
            Ok(()) => Ok(Abi::V2),
            Err(e) if is_abi_missing(&e) => Ok(Abi::V1),
            Err(e) => Err(e),
        },
    }
}

/// Whether an error from a v2 ioctl means "this kernel has no uAPI v2".
pub(crate) fn is_abi_missing(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOTTY) | Some(libc::EINVAL))
}

/// The consumer label as the kernel's NUL-terminated 32-byte field.
pub(crate) fn consumer_label(
    consumer: &str,
) -> std::result::Result<[u8; v2::MAX_NAME_SIZE], InvalidConfig> {
    let b = consumer.as_bytes();
    if b.len() >= v2::MAX_NAME_SIZE || b.contains(&0) {
        return Err(InvalidConfig::BadConsumer(consumer.to_string()));
    }
    let mut out = [0u8; v2::MAX_NAME_SIZE];
    out[..b.len()].copy_from_slice(b);
    Ok(out)
}

crate::sys::fs::fd_through!(Chip, file);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_labels_fit_the_kernel_field() {
        let l = consumer_label("udrv").unwrap();
        assert_eq!(&l[..5], b"udrv\0");
        assert!(consumer_label(&"x".repeat(31)).is_ok());
        assert!(consumer_label(&"x".repeat(32)).is_err());
        assert!(consumer_label("a\0b").is_err());
    }

    #[test]
    fn v2_line_info_decodes_flags_and_debounce() {
        let mut raw = v2::LineInfo::zeroed();
        raw.name[..6].copy_from_slice(b"button");
        raw.consumer[..3].copy_from_slice(b"app");
        raw.offset = 1;
        raw.flags = v2::flag::USED
            | v2::flag::INPUT
            | v2::flag::ACTIVE_LOW
            | v2::flag::BIAS_PULL_UP
            | v2::flag::EDGE_FALLING
            | v2::flag::EVENT_CLOCK_REALTIME;
        raw.num_attrs = 1;
        raw.attrs[0] = v2::LineAttribute::debounce(1500);
        let i = LineInfo::from_v2(&raw);
        assert_eq!(i.name.as_deref(), Some("button"));
        assert_eq!(i.consumer.as_deref(), Some("app"));
        assert!(i.used && i.active_low);
        assert_eq!(i.direction, Direction::Input);
        assert_eq!(i.bias, Some(Bias::PullUp));
        assert_eq!(i.edge, Some(EdgeDetection::Falling));
        assert_eq!(i.event_clock, EventClock::Realtime);
        assert_eq!(i.debounce, Some(Duration::from_micros(1500)));
        assert_eq!(i.drive, Drive::PushPull);
    }

    #[test]
    fn v1_line_info_decodes_flags() {
        let mut raw = v1::LineInfo::zeroed();
        raw.line_offset = 4;
        raw.flags = v1::line_flag::KERNEL | v1::line_flag::IS_OUT | v1::line_flag::OPEN_DRAIN;
        let i = LineInfo::from_v1(&raw);
        assert_eq!(i.offset, 4);
        assert_eq!(i.name, None);
        assert!(i.used);
        assert_eq!(i.direction, Direction::Output);
        assert_eq!(i.drive, Drive::OpenDrain);
        assert_eq!(i.bias, None);
        assert_eq!(i.abi, Abi::V1);
    }

    #[test]
    fn abi_falls_back_to_v1_only_when_v2_is_missing() {
        let err = |n| move || Err(io::Error::from_raw_os_error(n));
        assert_eq!(pick_abi(None, 8, || Ok(())).unwrap(), Abi::V2);
        assert_eq!(pick_abi(None, 8, err(libc::ENOTTY)).unwrap(), Abi::V1);
        assert_eq!(pick_abi(None, 8, err(libc::EINVAL)).unwrap(), Abi::V1);
        assert_eq!(
            pick_abi(None, 8, err(libc::EACCES))
                .unwrap_err()
                .raw_os_error(),
            Some(libc::EACCES)
        );
        // Forced: no probe at all.
        assert_eq!(
            pick_abi(Some(Abi::V1), 8, || panic!("probed")).unwrap(),
            Abi::V1
        );
        assert_eq!(
            pick_abi(Some(Abi::V2), 8, err(libc::ENOTTY)).unwrap(),
            Abi::V2
        );
        assert_eq!(pick_abi(None, 0, || panic!("probed")).unwrap(), Abi::V2);
    }

    #[test]
    fn a_file_that_is_not_a_chip_is_reported() {
        let e = Chip::open("/dev/null").unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOTTY), "{e}");
        assert!(e.to_string().contains("not a GPIO character device"), "{e}");
        let e = Chip::open("/nonexistent/gpiochip9").unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOENT));
        assert!(e.to_string().contains("udrv gpio detect"), "{e}");
    }

    #[test]
    fn enotty_and_einval_mean_no_v2() {
        assert!(is_abi_missing(&io::Error::from_raw_os_error(libc::ENOTTY)));
        assert!(is_abi_missing(&io::Error::from_raw_os_error(libc::EINVAL)));
        assert!(!is_abi_missing(&io::Error::from_raw_os_error(libc::EACCES)));
    }
}
