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
//!
//! The module is laid out like the other buses: [`Error`] in `error.rs`, [`LineSettings`]
//! and [`Rs485Config`] in `line.rs`, [`SerialPort`] and [`poll_ports`] in `port.rs`,
//! [`Pty`] in `pty.rs`; everything is re-exported here. There is no async port yet, so
//! no `asynch.rs`.

mod error;
mod line;
mod port;
mod pty;

pub use error::Error;
pub use line::{LineSettings, Parity, Rs485Config, StopBits};
pub use port::{poll_ports, Counters, LowLatency, PortKind, ReadOutcome, Readiness, SerialPort};
pub use pty::Pty;
