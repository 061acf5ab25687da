//! Serial ports (ttys) for RS485/RS232 work: raw mode at any baud rate (standard or not,
//! through `termios2`/`BOTHER`), parity, data and stop bits, the kernel's RS485 mode
//! (`TIOCSRS485`, read back after setting), low-latency mode for USB adapters
//! (`ASYNC_LOW_LATENCY`, the FTDI `latency_timer`) with an estimate of the timestamp
//! resolution that results, the driver's error counters (`TIOCGICOUNT`), non-blocking reads
//! with a timeout, and pseudo-terminal pairs for tests.
//!
//! ```no_run
//! use std::time::Duration;
//! use udrv_core::serial::{LineSettings, SerialPort};
//!
//! let line: LineSettings = "19200 8E1".parse()?;
//! let mut port = SerialPort::open("/dev/ttyUSB0", &line)?;
//! let latency = port.set_low_latency();
//! eprintln!("timestamps good to {:?}", latency.resolution);
//! let mut buf = [0u8; 256];
//! match port.read_timeout(&mut buf, Some(Duration::from_millis(100)))? {
//!     udrv_core::serial::ReadOutcome::Data(n) => println!("{:02x?}", &buf[..n]),
//!     other => println!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::error::{describe, DeviceClass, Hint};
use crate::sys::serial as sys;

/// Errors from serial ports. Each carries the port's path and the errno.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The port could not be opened.
    Open {
        /// The device path.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A set-up step (termios, flush) failed.
    Configure {
        /// The device path.
        path: PathBuf,
        /// What was being set up.
        what: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The driver does not accept the requested baud rate.
    BaudNotAccepted {
        /// The device path.
        path: PathBuf,
        /// The rate asked for.
        requested: u32,
        /// The rate the driver reports after setting.
        actual: u32,
    },
    /// The port does not support an optional feature (RS485 mode, `TIOCGSERIAL`,
    /// `TIOCGICOUNT`). ptys and many USB adapters refuse these; capture works without them.
    Unsupported {
        /// The device path.
        path: PathBuf,
        /// The feature.
        what: &'static str,
        /// The OS error (usually ENOTTY or EINVAL).
        source: io::Error,
    },
    /// The port supports the feature but refused these settings (EINVAL): for RS485, a
    /// flag combination the driver does not do (often ADDRB, ADDR_RECV/ADDR_DEST or
    /// MODE_RS422).
    Refused {
        /// The device path.
        path: PathBuf,
        /// The settings, e.g. `RS485 flags 0x201`.
        what: String,
        /// The OS error (EINVAL).
        source: io::Error,
    },
    /// Reading or writing failed.
    Io {
        /// The device path.
        path: PathBuf,
        /// `read`, `write` or `poll`.
        op: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The string is not a line setting such as `9600 8N1` or `19200,8E1`.
    Parse(String),
}

impl Error {
    /// The OS error number, when there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Open { source, .. }
            | Error::Configure { source, .. }
            | Error::Unsupported { source, .. }
            | Error::Refused { source, .. }
            | Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// True when the error says the device has gone away: EIO after a hang-up (a pty whose
    /// other side closed, a USB adapter mid-unplug), ENODEV or ENXIO (unplugged).
    pub fn is_vanished(&self) -> bool {
        matches!(
            self.errno(),
            Some(libc::EIO) | Some(libc::ENODEV) | Some(libc::ENXIO) | Some(libc::ESHUTDOWN)
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = |e: &io::Error| Hint(DeviceClass::Serial, e.raw_os_error());
        match self {
            Error::Open { path, source } => write!(
                f,
                "cannot open serial port {}: {}{}",
                path.display(),
                describe(source),
                h(source)
            ),
            Error::Configure { path, what, source } => write!(
                f,
                "cannot set {what} on {}: {}{}",
                path.display(),
                describe(source),
                h(source)
            ),
            Error::BaudNotAccepted {
                path,
                requested,
                actual,
            } => write!(
                f,
                "{} does not accept {requested} baud (the driver set {actual}); \
                 pick a rate the adapter supports",
                path.display()
            ),
            Error::Unsupported { path, what, source } => write!(
                f,
                "{} does not support {what}: {}; ptys and many USB adapters refuse it, \
                 capture works without it",
                path.display(),
                describe(source)
            ),
            Error::Refused { path, what, source } => write!(
                f,
                "{}: the driver refused {what}: {}; the port does RS485, but not this \
                 combination (ADDRB, ADDR_RECV/ADDR_DEST and MODE_RS422 are often refused)",
                path.display(),
                describe(source)
            ),
            Error::Io { path, op, source } => {
                write!(
                    f,
                    "{op} on {} failed: {}{}",
                    path.display(),
                    describe(source),
                    h(source)
                )
            }
            Error::Parse(s) => write!(
                f,
                "`{s}` is not a line setting: write BAUD and FORMAT, e.g. `9600 8N1`, `19200,8E1`"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Open { source, .. }
            | Error::Configure { source, .. }
            | Error::Unsupported { source, .. }
            | Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Parity bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Parity {
    /// No parity bit.
    #[default]
    None,
    /// Even parity.
    Even,
    /// Odd parity.
    Odd,
    /// Parity bit always 1 (CMSPAR).
    Mark,
    /// Parity bit always 0 (CMSPAR).
    Space,
}

impl Parity {
    /// The letter used in `8N1`-style formats.
    pub fn letter(self) -> char {
        match self {
            Parity::None => 'N',
            Parity::Even => 'E',
            Parity::Odd => 'O',
            Parity::Mark => 'M',
            Parity::Space => 'S',
        }
    }

    /// Parses a letter (`N`, `E`, `O`, `M`, `S`) or a word (`none`, `even`, ...).
    pub fn parse(s: &str) -> Option<Parity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "n" | "none" => Parity::None,
            "e" | "even" => Parity::Even,
            "o" | "odd" => Parity::Odd,
            "m" | "mark" => Parity::Mark,
            "s" | "space" => Parity::Space,
            _ => return None,
        })
    }
}

/// Number of stop bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StopBits {
    /// One stop bit.
    #[default]
    One,
    /// Two stop bits.
    Two,
}

/// A character format and speed: baud rate, data bits (5 to 8), parity and stop bits.
///
/// Displays and parses as `9600 8N1` (a comma also works: `19200,8E1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LineSettings {
    /// Bits per second; any value the driver accepts, standard or not.
    pub baud: u32,
    /// Data bits per character, 5 to 8.
    pub data_bits: u8,
    /// Parity bit.
    pub parity: Parity,
    /// Stop bits.
    pub stop_bits: StopBits,
}

impl Default for LineSettings {
    /// 19200 8E1, the Modbus RTU default.
    fn default() -> Self {
        LineSettings {
            baud: 19200,
            data_bits: 8,
            parity: Parity::Even,
            stop_bits: StopBits::One,
        }
    }
}

impl LineSettings {
    /// `baud` with 8 data bits, no parity, one stop bit.
    pub fn new_8n1(baud: u32) -> Self {
        LineSettings {
            baud,
            data_bits: 8,
            parity: Parity::None,
            stop_bits: StopBits::One,
        }
    }

    /// Bits on the wire per character: start + data + parity + stop.
    pub fn bits_per_char(&self) -> u32 {
        1 + self.data_bits as u32
            + u32::from(self.parity != Parity::None)
            + match self.stop_bits {
                StopBits::One => 1,
                StopBits::Two => 2,
            }
    }

    /// Time one character takes on the wire, in nanoseconds.
    pub fn char_time_ns(&self) -> u64 {
        (self.bits_per_char() as u64 * 1_000_000_000).div_ceil(self.baud.max(1) as u64)
    }

    /// The format part alone, e.g. `8E1`.
    pub fn format(&self) -> String {
        format!(
            "{}{}{}",
            self.data_bits,
            self.parity.letter(),
            match self.stop_bits {
                StopBits::One => 1,
                StopBits::Two => 2,
            }
        )
    }
}

impl fmt::Display for LineSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.baud, self.format())
    }
}

impl FromStr for LineSettings {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::Parse(s.to_string());
        let mut parts = s.split([',', ' ', ':']).filter(|p| !p.is_empty());
        let baud: u32 = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        if baud == 0 {
            return Err(bad());
        }
        let mut line = LineSettings::new_8n1(baud);
        if let Some(fmt) = parts.next() {
            let b = fmt.as_bytes();
            if b.len() != 3 || !(b'5'..=b'8').contains(&b[0]) {
                return Err(bad());
            }
            line.data_bits = b[0] - b'0';
            line.parity = Parity::parse(&fmt[1..2]).ok_or_else(bad)?;
            line.stop_bits = match b[2] {
                b'1' => StopBits::One,
                b'2' => StopBits::Two,
                _ => return Err(bad()),
            };
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(line)
    }
}

/// The kernel's RS485 mode (`struct serial_rs485`). Delays are in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rs485Config {
    /// Flag bits, see the `RS485_*` constants.
    pub flags: u32,
    /// Delay before send, ms.
    pub delay_rts_before_send: u32,
    /// Delay after send, ms.
    pub delay_rts_after_send: u32,
}

impl Rs485Config {
    /// `SER_RS485_ENABLED`.
    pub const ENABLED: u32 = 1 << 0;
    /// `SER_RS485_RTS_ON_SEND`: RTS level while sending.
    pub const RTS_ON_SEND: u32 = 1 << 1;
    /// `SER_RS485_RTS_AFTER_SEND`: RTS level after sending.
    pub const RTS_AFTER_SEND: u32 = 1 << 2;
    /// `SER_RS485_RX_DURING_TX`: keep receiving while sending (hear our own frames).
    pub const RX_DURING_TX: u32 = 1 << 4;
    /// `SER_RS485_TERMINATE_BUS`: switch the bus termination on (where wired).
    pub const TERMINATE_BUS: u32 = 1 << 5;
    /// `SER_RS485_ADDRB`: 9-bit address mode.
    pub const ADDRB: u32 = 1 << 6;
    /// `SER_RS485_ADDR_RECV`.
    pub const ADDR_RECV: u32 = 1 << 7;
    /// `SER_RS485_ADDR_DEST`.
    pub const ADDR_DEST: u32 = 1 << 8;
    /// `SER_RS485_MODE_RS422`.
    pub const MODE_RS422: u32 = 1 << 9;

    /// RS485 on, RTS high while sending, low after: what most transceivers want.
    pub fn enabled() -> Self {
        Rs485Config {
            flags: Self::ENABLED | Self::RTS_ON_SEND,
            ..Default::default()
        }
    }

    /// True when `ENABLED` is set.
    pub fn is_enabled(&self) -> bool {
        self.flags & Self::ENABLED != 0
    }
}

/// The kind of port, guessed from its device name; decides the timestamp resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PortKind {
    /// An on-chip or on-board UART (`ttyS*`, `ttyAMA*`, `ttymxc*`, ...).
    Native,
    /// A USB-serial converter (`ttyUSB*`: FTDI, CP210x, CH34x, PL2303).
    UsbSerial,
    /// A USB CDC-ACM device (`ttyACM*`).
    UsbAcm,
    /// A pseudo-terminal (`/dev/pts/*`).
    Pty,
    /// Anything else.
    Unknown,
}

impl PortKind {
    /// Guesses the kind from a device path (symlinks such as `/dev/serial/by-id/..` resolved).
    pub fn of(path: &Path) -> PortKind {
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let name = real.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if real.starts_with("/dev/pts") {
            PortKind::Pty
        } else if name.starts_with("ttyUSB") {
            PortKind::UsbSerial
        } else if name.starts_with("ttyACM") {
            PortKind::UsbAcm
        } else if [
            "ttyS", "ttyAMA", "ttymxc", "ttyO", "ttyTHS", "ttySC", "ttyLP",
        ]
        .iter()
        .any(|p| name.starts_with(p))
        {
            PortKind::Native
        } else {
            PortKind::Unknown
        }
    }
}

/// What [`SerialPort::set_low_latency`] achieved, and the timestamp resolution that follows.
#[derive(Clone, Debug)]
pub struct LowLatency {
    /// The port's kind.
    pub kind: PortKind,
    /// `Some(true)` when `ASYNC_LOW_LATENCY` is now set, `None` when the port has no
    /// `TIOCGSERIAL` (ptys, some adapters).
    pub async_low_latency: Option<bool>,
    /// The FTDI `latency_timer` in ms after trying to set it to 1, when the file exists.
    pub latency_timer_ms: Option<u32>,
    /// How late a read may return after the bytes arrived: the uncertainty of timestamps.
    pub resolution: Duration,
    /// Why a step did not work (permissions, unsupported), for the user.
    pub notes: Vec<String>,
}

/// Counters kept by the driver (`TIOCGICOUNT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes received.
    pub rx: u32,
    /// Bytes sent.
    pub tx: u32,
    /// Framing errors (bad stop bit).
    pub frame: u32,
    /// Hardware FIFO overruns.
    pub overrun: u32,
    /// Parity errors.
    pub parity: u32,
    /// Breaks received.
    pub brk: u32,
    /// Overruns of the tty buffer (the reader was too slow).
    pub buf_overrun: u32,
}

impl Counters {
    /// The counts since `earlier` (the driver's counters wrap; so does this).
    pub fn since(&self, earlier: &Counters) -> Counters {
        Counters {
            rx: self.rx.wrapping_sub(earlier.rx),
            tx: self.tx.wrapping_sub(earlier.tx),
            frame: self.frame.wrapping_sub(earlier.frame),
            overrun: self.overrun.wrapping_sub(earlier.overrun),
            parity: self.parity.wrapping_sub(earlier.parity),
            brk: self.brk.wrapping_sub(earlier.brk),
            buf_overrun: self.buf_overrun.wrapping_sub(earlier.buf_overrun),
        }
    }

    /// True when any line error (framing, parity, overrun, break, buffer overrun) counted.
    pub fn has_errors(&self) -> bool {
        self.frame + self.overrun + self.parity + self.brk + self.buf_overrun > 0
    }
}

/// The result of [`SerialPort::read_timeout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// This many bytes were read into the buffer.
    Data(usize),
    /// Nothing arrived before the timeout.
    Timeout,
    /// The port has gone away: hang-up (a pty whose other side closed) or end of file.
    Vanished,
}

/// An open serial port in raw mode, non-blocking.
#[derive(Debug)]
pub struct SerialPort {
    file: File,
    path: PathBuf,
    line: LineSettings,
}

impl SerialPort {
    /// Opens `path` and sets raw mode with `line`. Non-standard rates use `BOTHER`.
    pub fn open(path: impl AsRef<Path>, line: &LineSettings) -> Result<SerialPort, Error> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
            .open(&path)
            .map_err(|source| Error::Open {
                path: path.clone(),
                source,
            })?;
        let mut port = SerialPort {
            file,
            path,
            line: *line,
        };
        port.configure(line)?;
        Ok(port)
    }

    /// Sets raw mode and `line`; checks the driver kept the baud rate.
    pub fn configure(&mut self, line: &LineSettings) -> Result<(), Error> {
        let cfg = |what, source| Error::Configure {
            path: self.path.clone(),
            what,
            source,
        };
        if !(5..=8).contains(&line.data_bits) || line.baud == 0 {
            return Err(Error::Parse(line.to_string()));
        }
        let mut t = sys::tcgets2(self.file.as_fd()).map_err(|e| cfg("termios", e))?;
        // Raw: no input or output processing, no echo, no signals, VMIN 1 / VTIME 0.
        // No INPCK: a byte with a parity error is passed on as received (a sniffer wants
        // it; the frame's CRC flags it) and counted by the driver, see `counters`.
        t.c_iflag = 0;
        t.c_oflag = 0;
        t.c_lflag = 0;
        t.c_cc = [0; 19];
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        let mut c = t.c_cflag;
        c &= !(libc::CBAUD | libc::CIBAUD | libc::CSIZE | libc::PARENB | libc::PARODD);
        c &= !(libc::CMSPAR | libc::CSTOPB | libc::CRTSCTS);
        c |= libc::BOTHER | libc::CREAD | libc::CLOCAL;
        c |= match line.data_bits {
            5 => libc::CS5,
            6 => libc::CS6,
            7 => libc::CS7,
            _ => libc::CS8,
        };
        c |= match line.parity {
            Parity::None => 0,
            Parity::Even => libc::PARENB,
            Parity::Odd => libc::PARENB | libc::PARODD,
            Parity::Mark => libc::PARENB | libc::CMSPAR | libc::PARODD,
            Parity::Space => libc::PARENB | libc::CMSPAR,
        };
        if line.stop_bits == StopBits::Two {
            c |= libc::CSTOPB;
        }
        t.c_cflag = c;
        t.c_ispeed = line.baud;
        t.c_ospeed = line.baud;
        sys::tcsets2(self.file.as_fd(), &t).map_err(|e| cfg("termios", e))?;
        let back = sys::tcgets2(self.file.as_fd()).map_err(|e| cfg("termios", e))?;
        // Drivers round to what their divisor can do; more than 3 % off breaks reception.
        let actual = back.c_ospeed;
        if actual != 0 && (actual as u64).abs_diff(line.baud as u64) * 100 > 3 * line.baud as u64 {
            return Err(Error::BaudNotAccepted {
                path: self.path.clone(),
                requested: line.baud,
                actual,
            });
        }
        self.line = *line;
        Ok(())
    }

    /// The device path the port was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The line settings in force.
    pub fn line(&self) -> &LineSettings {
        &self.line
    }

    /// The kind of port, from its device name.
    pub fn kind(&self) -> PortKind {
        PortKind::of(&self.path)
    }

    fn unsupported(&self, what: &'static str, source: io::Error) -> Error {
        Error::Unsupported {
            path: self.path.clone(),
            what,
            source,
        }
    }

    /// Reads the kernel's RS485 settings. ptys and many adapters answer
    /// [`Error::Unsupported`].
    pub fn rs485(&self) -> Result<Rs485Config, Error> {
        let r = sys::get_rs485(self.file.as_fd()).map_err(|e| self.unsupported("RS485 mode", e))?;
        Ok(Rs485Config {
            flags: r.flags,
            delay_rts_before_send: r.delay_rts_before_send,
            delay_rts_after_send: r.delay_rts_after_send,
        })
    }

    /// Sets the kernel's RS485 mode and returns what the kernel kept (it sanitises flags
    /// and clamps delays), read back with `TIOCGRS485`.
    pub fn set_rs485(&mut self, cfg: &Rs485Config) -> Result<Rs485Config, Error> {
        let mut r = sys::SerialRs485 {
            flags: cfg.flags,
            delay_rts_before_send: cfg.delay_rts_before_send,
            delay_rts_after_send: cfg.delay_rts_after_send,
            ..Default::default()
        };
        sys::set_rs485(self.file.as_fd(), &mut r).map_err(|e| {
            if e.raw_os_error() == Some(libc::EINVAL) {
                Error::Refused {
                    path: self.path.clone(),
                    what: format!("RS485 flags {:#x}", cfg.flags),
                    source: e,
                }
            } else {
                self.unsupported("RS485 mode", e)
            }
        })?;
        self.rs485()
    }

    /// Asks for the lowest read latency the port can give: `ASYNC_LOW_LATENCY` and, for
    /// FTDI adapters, `latency_timer` = 1 ms. Never fails: what did not work is in
    /// [`LowLatency::notes`], and [`LowLatency::resolution`] says how good timestamps are.
    pub fn set_low_latency(&mut self) -> LowLatency {
        let kind = self.kind();
        let mut notes = Vec::new();
        let async_low_latency = match sys::get_serial(self.file.as_fd()) {
            Ok(mut s) => {
                if s.flags & sys::ASYNC_LOW_LATENCY == 0 {
                    s.flags |= sys::ASYNC_LOW_LATENCY;
                    if let Err(e) = sys::set_serial(self.file.as_fd(), &s) {
                        notes.push(format!("cannot set ASYNC_LOW_LATENCY: {}", describe(&e)));
                    }
                }
                sys::get_serial(self.file.as_fd())
                    .ok()
                    .map(|s| s.flags & sys::ASYNC_LOW_LATENCY != 0)
            }
            Err(e) => {
                notes.push(format!("no TIOCGSERIAL: {}", describe(&e)));
                None
            }
        };
        let latency_timer_ms = self.latency_timer_file().and_then(|file| {
            let read = || {
                std::fs::read_to_string(&file)
                    .ok()?
                    .trim()
                    .parse::<u32>()
                    .ok()
            };
            if read() != Some(1) {
                if let Err(e) = std::fs::write(&file, "1") {
                    notes.push(format!(
                        "cannot write 1 to {}: {} (needs root or a udev rule)",
                        file.display(),
                        describe(&e)
                    ));
                }
            }
            read()
        });
        let char_ns = self.line.char_time_ns();
        let resolution = match kind {
            PortKind::Pty => Duration::from_micros(200),
            PortKind::UsbSerial => match (latency_timer_ms, async_low_latency) {
                (Some(ms), _) => Duration::from_millis(ms.max(1) as u64),
                (None, Some(true)) => Duration::from_millis(1),
                _ => Duration::from_millis(16),
            },
            PortKind::UsbAcm => Duration::from_millis(1),
            // A 16550-style FIFO interrupts after 4 idle character times.
            PortKind::Native | PortKind::Unknown => {
                Duration::from_nanos((4 * char_ns).max(100_000))
            }
        };
        LowLatency {
            kind,
            async_low_latency,
            latency_timer_ms,
            resolution,
            notes,
        }
    }

    /// `/sys/bus/usb-serial/devices/ttyUSBn/latency_timer`, when it exists (FTDI).
    fn latency_timer_file(&self) -> Option<PathBuf> {
        let real = std::fs::canonicalize(&self.path).ok()?;
        let name = real.file_name()?;
        let p = Path::new("/sys/bus/usb-serial/devices")
            .join(name)
            .join("latency_timer");
        p.exists().then_some(p)
    }

    /// The driver's counters (`TIOCGICOUNT`); ptys answer [`Error::Unsupported`].
    pub fn counters(&self) -> Result<Counters, Error> {
        let c =
            sys::get_icount(self.file.as_fd()).map_err(|e| self.unsupported("TIOCGICOUNT", e))?;
        Ok(Counters {
            rx: c.rx as u32,
            tx: c.tx as u32,
            frame: c.frame as u32,
            overrun: c.overrun as u32,
            parity: c.parity as u32,
            brk: c.brk as u32,
            buf_overrun: c.buf_overrun as u32,
        })
    }

    /// Discards bytes received but not yet read.
    pub fn discard_input(&self) -> Result<(), Error> {
        sys::flush_input(self.file.as_fd()).map_err(|source| Error::Configure {
            path: self.path.clone(),
            what: "input flush",
            source,
        })
    }

    /// Waits up to `timeout` (`None`: forever) for bytes and reads what is there.
    /// A signal interrupting the wait returns [`ReadOutcome::Timeout`] early, so callers
    /// can check their stop flags.
    pub fn read_timeout(
        &mut self,
        buf: &mut [u8],
        timeout: Option<Duration>,
    ) -> Result<ReadOutcome, Error> {
        match poll_ports(&[self.file.as_fd()], timeout) {
            Ok(states) if states[0] == Readiness::Idle => return Ok(ReadOutcome::Timeout),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(ReadOutcome::Timeout),
            Err(source) => {
                return Err(Error::Io {
                    path: self.path.clone(),
                    op: "poll",
                    source,
                })
            }
        }
        self.read_now(buf)
    }

    /// Reads what is buffered without waiting: [`ReadOutcome::Timeout`] when nothing is.
    pub fn read_now(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, Error> {
        loop {
            return match self.file.read(buf) {
                Ok(0) => Ok(ReadOutcome::Vanished),
                Ok(n) => Ok(ReadOutcome::Data(n)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(ReadOutcome::Timeout),
                Err(source) => {
                    let err = Error::Io {
                        path: self.path.clone(),
                        op: "read",
                        source,
                    };
                    if err.is_vanished() {
                        Ok(ReadOutcome::Vanished)
                    } else {
                        Err(err)
                    }
                }
            };
        }
    }

    /// Writes all of `data` (waiting while the output buffer is full).
    pub fn write_all(&mut self, data: &[u8]) -> Result<(), Error> {
        let mut rest = data;
        while !rest.is_empty() {
            match self.file.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(source) => {
                    return Err(Error::Io {
                        path: self.path.clone(),
                        op: "write",
                        source,
                    })
                }
            }
        }
        Ok(())
    }
}

impl AsFd for SerialPort {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

/// What [`poll_ports`] found for one fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Nothing to read yet.
    Idle,
    /// Bytes are waiting.
    Readable,
    /// Hung up or in error: a read will say what happened (data left, then EOF/EIO).
    HangUp,
}

/// Waits until one of `fds` is readable or hung up, or `timeout` passes. Returns one
/// [`Readiness`] per fd. An interrupting signal gives `ErrorKind::Interrupted`.
pub fn poll_ports(fds: &[BorrowedFd<'_>], timeout: Option<Duration>) -> io::Result<Vec<Readiness>> {
    Ok(sys::poll_in(fds, timeout)?
        .into_iter()
        .map(|s| {
            if s.readable {
                Readiness::Readable
            } else if s.hangup || s.error {
                Readiness::HangUp
            } else {
                Readiness::Idle
            }
        })
        .collect())
}

/// A pseudo-terminal pair for tests: write into [`Pty::master`] and the bytes come out of
/// the slave device at [`Pty::slave_path`], which opens like any serial port. Dropping the
/// master hangs the slave up, as unplugging an adapter does.
#[derive(Debug)]
pub struct Pty {
    /// The master side.
    pub master: File,
    /// The slave side, kept open so the pty survives until the test opens it by path;
    /// drop it (`slave.take()`) once the port is open.
    pub slave: Option<File>,
    /// `/dev/pts/N`.
    pub slave_path: PathBuf,
}

impl Pty {
    /// Opens a new pty pair, both sides in raw mode.
    pub fn open() -> Result<Pty, Error> {
        let ptmx = || PathBuf::from("/dev/ptmx");
        let (m, s) = sys::openpty().map_err(|source| Error::Open {
            path: ptmx(),
            source,
        })?;
        let name = sys::ptsname(m.as_fd()).map_err(|source| Error::Open {
            path: ptmx(),
            source,
        })?;
        let master = File::from(m);
        let slave = File::from(s);
        for (f, p) in [(&master, ptmx()), (&slave, PathBuf::from(&name))] {
            let mut t = sys::tcgets2(f.as_fd()).map_err(|source| Error::Configure {
                path: p.clone(),
                what: "termios",
                source,
            })?;
            t.c_iflag = 0;
            t.c_oflag = 0;
            t.c_lflag = 0;
            t.c_cc[libc::VMIN] = 1;
            t.c_cc[libc::VTIME] = 0;
            sys::tcsets2(f.as_fd(), &t).map_err(|source| Error::Configure {
                path: p,
                what: "termios",
                source,
            })?;
        }
        Ok(Pty {
            master,
            slave: Some(slave),
            slave_path: PathBuf::from(name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_settings_parse_and_display() {
        let l: LineSettings = "9600 8E1".parse().unwrap();
        assert_eq!(
            l,
            LineSettings {
                baud: 9600,
                data_bits: 8,
                parity: Parity::Even,
                stop_bits: StopBits::One
            }
        );
        assert_eq!(l.to_string(), "9600 8E1");
        assert_eq!(l.bits_per_char(), 11);
        let l: LineSettings = "115200,7O2".parse().unwrap();
        assert_eq!(l.format(), "7O2");
        assert_eq!(
            "115200".parse::<LineSettings>().unwrap(),
            LineSettings::new_8n1(115200)
        );
        assert!("fast 8N1".parse::<LineSettings>().is_err());
        assert!("9600 9N1".parse::<LineSettings>().is_err());
        assert!("9600 8X1".parse::<LineSettings>().is_err());
    }

    #[test]
    fn char_time_at_9600_8e1_is_11_bits() {
        let l: LineSettings = "9600 8E1".parse().unwrap();
        assert_eq!(l.char_time_ns(), 1_145_834); // 11 / 9600 s, rounded up
    }

    #[test]
    fn pty_carries_bytes_and_refuses_rs485() {
        let mut pty = Pty::open().unwrap();
        let mut port = SerialPort::open(&pty.slave_path, &"250000 8N1".parse().unwrap()).unwrap();
        assert_eq!(port.kind(), PortKind::Pty);
        pty.master.write_all(&[1, 2, 3]).unwrap();
        let mut buf = [0u8; 16];
        let mut got = Vec::new();
        while got.len() < 3 {
            match port
                .read_timeout(&mut buf, Some(Duration::from_secs(2)))
                .unwrap()
            {
                ReadOutcome::Data(n) => got.extend_from_slice(&buf[..n]),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(got, [1, 2, 3]);
        let err = port.set_rs485(&Rs485Config::enabled()).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("capture works without it"));
        assert!(matches!(port.counters(), Err(Error::Unsupported { .. })));
        let ll = port.set_low_latency();
        assert_eq!(ll.kind, PortKind::Pty);
        assert!(ll.resolution < Duration::from_millis(1));
        // Hang-up: closing every master fd makes the slave report that the port vanished.
        drop(pty.slave.take());
        drop(pty);
        let outcome = port
            .read_timeout(&mut buf, Some(Duration::from_secs(2)))
            .unwrap();
        assert_eq!(outcome, ReadOutcome::Vanished);
    }

    #[test]
    fn open_missing_port_hints() {
        let err =
            SerialPort::open("/dev/ttyUSB-nonexistent", &LineSettings::default()).unwrap_err();
        assert!(err.to_string().contains("no such serial port"), "{err}");
    }
}
