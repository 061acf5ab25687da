//! Reading a chip into [`ChipRead`]: one function per bus, generic over embedded-hal, so
//! the same code reads a chip on a Linux bus (`udrv-core`), on the virtual board or on a
//! recording.

mod i2c;
mod spi;

use std::error::Error;
use std::fmt::{self, Display};
use std::time::SystemTime;

use embedded_hal::delay::DelayNs;
use udrv_drivers::{bme280, ds3231, mcp23017, pca9685, sht3x};

use super::parts::Channel;
use super::quantity::Quantity;
use super::reading::{ChipRead, Identity, Raw, Reading, Sequence};
use super::spec::{ChipSpec, Location};

/// The shunt resistor udrv assumes in front of an INA219, in µΩ (0.1 Ω, the breakout
/// boards' R100).
pub const INA219_SHUNT_MICRO_OHM: u32 = 100_000;

/// The oscillator udrv assumes a PCA9685 runs on, in Hz: its internal one (datasheet
/// §7.3.5: 25 MHz), not a clock on EXTCLK.
pub const PCA9685_OSCILLATOR_HZ: u32 = pca9685::OSC_HZ;

/// The reference udrv assumes for an MCP3008/MCP3208, in µV (3.3 V).
pub const MCP3X08_VREF_MICROVOLT: u32 = 3_300_000;

/// Why a read failed. `Display` is one line naming the chip and saying what to check.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError {
    /// The chip's ID register (or command) gave another chip's answer: what was read.
    WrongChip(String),
    /// The bus's message (naming the device and what to do) or the driver's.
    Failed(String),
    /// The spec names a bus of the other kind (`read_i2c` of an SPI spec): the spec.
    WrongBus(String),
}

impl Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::WrongChip(m) | ReadError::Failed(m) => f.write_str(m),
            ReadError::WrongBus(s) => write!(
                f,
                "{s}: read it on the bus its spec names (read_i2c for I2C, read_spi for SPI)"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<String> for ReadError {
    fn from(m: String) -> ReadError {
        ReadError::Failed(m)
    }
}

/// A driver error as [`ReadError::Failed`], one line: when the bus failed, the bus's own
/// message (the driver error's `source()`; it names the device and says what to do), else
/// the driver's (it names the chip and says what to check).
fn failed(e: impl Error) -> ReadError {
    ReadError::Failed(match e.source() {
        Some(bus) => bus.to_string(),
        None => e.to_string(),
    })
}

/// What a read collects: readings stamped as they come, raw bytes, the identity.
struct Out<'a> {
    spec: &'a ChipSpec,
    seq: &'a mut Sequence,
    time: SystemTime,
    readings: Vec<Reading>,
    raw: Vec<Raw>,
    id: Option<String>,
}

impl<'a> Out<'a> {
    /// Nothing collected yet for `spec`: readings numbered from `seq`, stamped `time`.
    fn new(spec: &'a ChipSpec, seq: &'a mut Sequence, time: SystemTime) -> Out<'a> {
        Out {
            spec,
            seq,
            time,
            readings: Vec::new(),
            raw: Vec::new(),
            id: None,
        }
    }

    fn push(&mut self, quantity: Quantity, channel: Option<&str>, value: f64) {
        let channel = channel.and_then(Channel::new);
        self.readings.push(Reading {
            seq: self.seq.next_seq(),
            time: self.time,
            source: self.spec.with_channel(channel),
            quantity,
            value,
        });
    }

    fn raw(&mut self, name: &'static str, offset: Option<u32>, bytes: &[u8]) {
        self.raw.push(Raw {
            name,
            offset,
            bytes: bytes.to_vec(),
        });
    }

    /// A pin's level, 1 or 0.
    fn pin(&mut self, name: &str, high: bool) {
        self.push(
            Quantity::DigitalState,
            Some(name),
            f64::from(u8::from(high)),
        );
    }

    fn finish(self) -> ChipRead {
        let identity = match self.id {
            Some(t) => Identity::Identified(t),
            None => Identity::NotIdentified(format!(
                "no ID register: whatever answers is read as {}",
                self.spec.kind()
            )),
        };
        ChipRead {
            readings: self.readings,
            raw: self.raw,
            identity,
        }
    }
}

/// Reads the chip `spec` names on `i2c`, the bus it answers on (for a chip behind a
/// switch channel: the channel, selected). Readings are numbered from `seq` and stamped
/// `time`. A chip with an ID register is identified by it, and a read of another chip
/// fails with [`ReadError::WrongChip`].
pub fn read_i2c<I>(
    spec: &ChipSpec,
    i2c: I,
    delay: &mut impl DelayNs,
    seq: &mut Sequence,
    time: SystemTime,
) -> Result<ChipRead, ReadError>
where
    I: embedded_hal::i2c::I2c,
    I::Error: Error + 'static,
{
    let Location::I2c { address, .. } = *spec.location() else {
        return Err(ReadError::WrongBus(spec.to_string()));
    };
    let mut out = Out::new(spec, seq, time);
    i2c::read(spec.kind(), i2c, address, delay, &mut out)?;
    Ok(out.finish())
}

/// Reads the chip `spec` names on `spi`, its SPI device (set up for the kind's clock,
/// mode 0, 8-bit words); as [`read_i2c`] otherwise.
pub fn read_spi<S>(
    spec: &ChipSpec,
    spi: S,
    delay: &mut impl DelayNs,
    seq: &mut Sequence,
    time: SystemTime,
) -> Result<ChipRead, ReadError>
where
    S: embedded_hal::spi::SpiDevice,
    S::Error: Error + 'static,
{
    let Location::Spi {
        hardware_address, ..
    } = *spec.location()
    else {
        return Err(ReadError::WrongBus(spec.to_string()));
    };
    let mut out = Out::new(spec, seq, time);
    spi::read(spec.kind(), spi, hardware_address, delay, &mut out)?;
    Ok(out.finish())
}

/// An RTC's date as seconds since the Unix epoch, the date read as UTC.
fn rtc_seconds(t: &ds3231::DateTime) -> f64 {
    t.unix_seconds() as f64
}

/// An SHT3x's or SHTC3's measurement (the same Sensirion format).
fn sensirion(out: &mut Out<'_>, m: &sht3x::Measurement) {
    out.push(Quantity::Temperature, None, m.temperature.as_celsius_f64());
    out.push(Quantity::Humidity, None, m.humidity.as_percent_f64());
}

/// A BME280 or BMP280 (on either bus): the ID register says which.
fn bme280<IF>(
    s: &mut bme280::Bme280<IF>,
    delay: &mut impl DelayNs,
    out: &mut Out<'_>,
) -> Result<(), ReadError>
where
    IF: bme280::Interface,
    IF::Error: Error + 'static,
{
    s.init().map_err(|e| match e {
        bme280::Error::WrongChipId(_) => ReadError::WrongChip(e.to_string()),
        e => failed(e),
    })?;
    s.set_config(bme280::Config::default()).map_err(failed)?;
    let m = s.measure_forced(delay).map_err(failed)?;
    out.push(Quantity::Temperature, None, m.temperature.as_celsius_f64());
    if let Some(h) = m.humidity {
        out.push(Quantity::Humidity, None, h.as_percent_f64());
    }
    if let Some(p) = m.pressure {
        out.push(Quantity::Pressure, None, p.as_pascal_f64());
    }
    // The driver took the chip ID (0x60 or 0x58) and reads humidity only from a BME280.
    out.id = Some(if m.humidity.is_some() {
        "chip ID register 0xd0 = 0x60: a BME280".to_string()
    } else {
        "chip ID register 0xd0 = 0x58: a BMP280 (no humidity)".to_string()
    });
    Ok(())
}

/// An MCP23017's or MCP23S17's pins (`A0`..`B7`) and IODIR (port A, port B).
fn mcp23x17<R>(mut io: mcp23017::Mcp23x17<R>, out: &mut Out<'_>) -> Result<(), ReadError>
where
    R: mcp23017::Registers,
    R::Error: Error + 'static,
{
    let dir = io
        .read_pair(mcp23017::registers::Reg::Iodir)
        .map_err(failed)?;
    let gpio = io.read_gpio().map_err(failed)?;
    for n in 0..16 {
        let port = if n < 8 { 'A' } else { 'B' };
        out.pin(&format!("{port}{}", n % 8), gpio & (1 << n) != 0);
    }
    out.raw("iodir", None, &dir.to_le_bytes());
    Ok(())
}
