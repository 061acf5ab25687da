//! [`SerialPort`]: an open tty in raw mode, its kind and low-latency set-up, the driver's
//! counters, reads with a timeout and [`poll_ports`] over several ports.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Error, LineSettings, Parity, Rs485Config, StopBits};
use crate::error::describe;
use crate::sys::serial as sys;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serial::Pty;

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
