//! Record on real hardware, replay in tests: I2C, SPI and pins, blocking and async.
//!
//! * [`Log`] is where a session is written: a file, any writer, or memory. Cheap to clone;
//!   every device recorded into it appends to the same destination, in order.
//! * [`Recorder`] wraps any embedded-hal 1.0 I2C bus (7- and 10-bit addresses), SPI device,
//!   input or output pin, or embedded-hal-async I2C bus or SPI device, passes every call
//!   through unchanged (same data, same errors) and appends each transaction with its
//!   outcome to the log, under a name the program chooses (`log.record("i2c-1", bus)`).
//! * [`Replay`] reads a log back and hands out [`ReplayDevice`]s by the same names; they
//!   implement the same traits and answer with the recorded read data and errors. A
//!   transaction that differs from the log is an [`Error::Mismatch`] that names the file,
//!   the line, what was expected and what came; [`Replay::finish`] reports lines never
//!   replayed.
//!
//! So a driver's session on a real board becomes a test that runs anywhere, without the
//! board, and fails when the driver starts talking to the chip differently.
//!
//! # Example
//!
//! On the board, record a driver reading a real chip (here an LM75 on `/dev/i2c-1`, a
//! status LED and a flash chip on spidev), then keep the file:
//!
//! ```no_run
//! use embedded_hal::digital::OutputPin;
//! use embedded_hal::spi::SpiDevice;
//! use udrv_core::gpio::{Pin, Value};
//! use udrv_core::i2c::I2cBus;
//! use udrv_core::record::Log;
//! use udrv_core::spi::SpidevDevice;
//! use udrv_drivers::lm75::Lm75;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let log = Log::create("lm75-session.log")?;
//! log.comment("LM75 at 0x48 on a Raspberry Pi 4, 21 °C room");
//! let mut lm75 = Lm75::new(log.record("i2c-1", I2cBus::open(1)?), 0x48);
//! let mut led = log.record("led", Pin::find_output("GPIO17", Value::Inactive)?);
//! let mut flash = log.record("flash", SpidevDevice::open("/dev/spidev0.0")?);
//!
//! led.set_high()?;
//! let t = lm75.temperature().map_err(|e| format!("{e:?}"))?;
//! println!("{} m°C", t.as_millicelsius());
//! let mut id = [0x9f, 0, 0, 0];
//! flash.transfer_in_place(&mut id)?;
//! log.flush()?; // the first error writing the log, if any
//! # Ok(()) }
//! ```
//!
//! The file reads like this (one transaction per line, bytes in hex):
//!
//! ```text
//! # udrv-record 1
//! # LM75 at 0x48 on a Raspberry Pi 4, 21 °C room
//! pin led set high
//! i2c i2c-1 0x48 w 00 r 15 00
//! spi flash xi 9f 00 00 00 -> ff ef 40 16
//! ```
//!
//! In a test (no board needed), the same driver code runs on the replay: every reading is
//! what the chip answered on the board, and any change in what the driver sends fails the
//! test with the line that differs. Here the "board" is the simulated LM75 of
//! `udrv-drivers`, recorded into memory, so the example runs anywhere:
//!
//! ```
//! use udrv_core::record::{Log, Replay};
//! use udrv_drivers::lm75::{model::Lm75Model, Lm75};
//! use udrv_drivers::sim::SimI2cBus;
//! use udrv_drivers::Temperature;
//!
//! // Record.
//! let bus = SimI2cBus::new();
//! bus.attach(0x48, Lm75Model::lm75())
//!     .lock()
//!     .set_temperature(Temperature::from_millicelsius(21_500));
//! let log = Log::memory();
//! let mut lm75 = Lm75::new(log.record("i2c-1", bus), 0x48);
//! let recorded = lm75.temperature().unwrap();
//! let text = log.text().unwrap();
//! assert_eq!(text, "# udrv-record 1\ni2c i2c-1 0x48 w 00 r 15 80\n");
//!
//! // Replay (normally: Replay::open("tests/data/lm75-session.log")).
//! let replay = Replay::parse("lm75-session.log", &text).unwrap();
//! let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x48);
//! assert_eq!(lm75.temperature().unwrap(), recorded);
//! replay.finish().unwrap(); // every recorded line was replayed
//!
//! // A driver that asks something else is told where and how it differs.
//! let replay = Replay::parse("lm75-session.log", &text).unwrap();
//! let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x49);
//! let e = format!("{:?}", lm75.temperature().unwrap_err());
//! assert!(e.contains("line: 2"), "{e}");
//! assert!(replay.finish().is_err());
//! ```
//!
//! # The log format
//!
//! Plain text, one transaction per line, so logs can be read, diffed, edited and kept next
//! to the tests. The first line is `# udrv-record 1` (the format's version); lines starting
//! with `#` are comments, and a `#` word ends a line's content; blank lines are skipped.
//! Every other line is a device kind, the device's name, the transaction, and, when it
//! failed, `!` and the embedded-hal error kind. Bytes are two hex digits each.
//!
//! | line | meaning |
//! |---|---|
//! | `i2c i2c-1 0x76 w d0 r 60` | I2C at 7-bit address 0x76: write `d0`, then (repeated START) read one byte, `60` |
//! | `i2c i2c-1 0x150/10 w 01 02` | I2C at 10-bit address 0x150: write two bytes |
//! | `i2c i2c-1 0x50 w 00 r ?? ?? ! nack-address` | failed: the address was not acknowledged; the two bytes read are unknown |
//! | `i2c i2c-1 0x50 w` | an empty write (a probe) |
//! | `spi flash w 9f r ef 40 16` | SPI transaction with chip select held: write `9f`, then read three bytes |
//! | `spi flash x 9f 00 -> ff ef` | full duplex transfer: two bytes written while two are read (the sides may differ in length) |
//! | `spi flash xi 9f 00 -> ff ef` | transfer in place: the buffer held `9f 00`, then `ff ef` |
//! | `spi flash w 06 d 1000 w 02 00` | a 1000 ns delay inside the transaction (recorded, not compared) |
//! | `spi adc x 01 80 00 -> ?? ?? ?? ! overrun` | failed with `ErrorKind::Overrun` |
//! | `pin led set high` / `pin led set low` | `set_high` / `set_low` (`set_state` is one of them) |
//! | `pin button get low` | `is_high` or `is_low`: the level read |
//! | `pin led is-set high` | `is_set_high` or `is_set_low`: the level the output is set to |
//! | `pin led toggle` | `toggle` |
//! | `pin button get ! other` | a failed read (pins have only `ErrorKind::Other`) |
//!
//! Error kinds: I2C `bus`, `arbitration-loss`, `nack-address`, `nack-data`, `nack` (source
//! unknown), `overrun`, `other`; SPI `overrun`, `mode-fault`, `frame-format`,
//! `chip-select-fault`, `other`; pins `other`. A kind newer than this library is written
//! `other`.
//!
//! Each call is one line: `read`, `write`, `write_read` and `transaction` all write the
//! transaction's operations, so a replay device answers a `write_read` recorded from a
//! `transaction` of the same shape, and the other way round. A replayed call matches its
//! line when it is the same kind of transaction with the same address, the same
//! operations in the same order, the same bytes written and the same read lengths. SPI
//! delays are skipped on both sides and not waited for.
//!
//! # Notes
//!
//! * Lines appear in the order transactions *finished*. Replay checks the order per
//!   device; [`Replay::in_order`] makes the order across devices binding too.
//! * Writing the log never changes what a call returns: a write error is kept and
//!   reported by [`Log::flush`].
//! * Not recorded: embedded-hal-async's digital `Wait`, `SpiBus` (record the
//!   `SpiDevice` above it) and words wider than `u8`.

mod error;
mod format;
mod log;
mod recorder;
mod replay;

pub use error::{Error, RecordedKind};
pub use log::Log;
pub use recorder::{RecordAddress, Recorder};
pub use replay::{Replay, ReplayDevice};

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, going on with what it holds even when a thread panicked while holding it
/// (the log and the replay state stay usable; a panic is the caller's to report).
fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
