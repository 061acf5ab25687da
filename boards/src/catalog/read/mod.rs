//! Reading a chip into [`ChipRead`]: one function per bus, generic over embedded-hal, so
//! the same code reads a chip on a Linux bus (`udrv-core`), on the virtual board or on a
//! recording.

mod i2c;
mod spi;

use std::fmt::{self, Display};
use std::time::SystemTime;

use embedded_hal::delay::DelayNs;
use udrv_drivers::{
    ads1x1x, at24, bh1750, bme280, dps310, ds1307, ds3231, ina219, lm75, max31855, mcp23017,
    mcp3x08, pca954x, pca95xx, pca9685, sht3x, shtc3, w25q,
};

use super::parts::Channel;
use super::quantity::Quantity;
use super::reading::{days_from_civil, ChipRead, Identity, Raw, Reading, Sequence};
use super::spec::{ChipSpec, Location};

/// The shunt resistor udrv assumes in front of an INA219, in µΩ (0.1 Ω, the breakout
/// boards' R100).
pub const INA219_SHUNT_MICRO_OHM: u32 = 100_000;

/// The PCA9685's internal oscillator, in Hz (datasheet §7.3.5: 25 MHz).
pub const PCA9685_OSCILLATOR_HZ: u32 = 25_000_000;

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

/// A driver error as one line: the bus's own message (it names the device and says what
/// to do), or the driver's message of what it found wrong.
trait Explain {
    fn explain(self) -> String;
}

macro_rules! explain {
    ($($m:ident),*) => {$(
        impl<E: Display + fmt::Debug> Explain for $m::Error<E> {
            fn explain(self) -> String {
                match self {
                    $m::Error::Bus(e) => e.to_string(),
                    other => other.to_string(),
                }
            }
        }
    )*};
}

explain!(
    ads1x1x, at24, bh1750, bme280, dps310, ds1307, ds3231, ina219, lm75, max31855, mcp23017,
    mcp3x08, pca954x, pca95xx, pca9685, sht3x, shtc3, w25q
);

fn ex<E: Explain>(e: E) -> ReadError {
    ReadError::Failed(e.explain())
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

impl Out<'_> {
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
    I::Error: Display + fmt::Debug,
{
    let Location::I2c { address, .. } = *spec.location() else {
        return Err(ReadError::WrongBus(spec.to_string()));
    };
    let mut out = Out {
        spec,
        seq,
        time,
        readings: Vec::new(),
        raw: Vec::new(),
        id: None,
    };
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
    S::Error: Display + fmt::Debug,
{
    let Location::Spi {
        hardware_address, ..
    } = *spec.location()
    else {
        return Err(ReadError::WrongBus(spec.to_string()));
    };
    let mut out = Out {
        spec,
        seq,
        time,
        readings: Vec::new(),
        raw: Vec::new(),
        id: None,
    };
    spi::read(spec.kind(), spi, hardware_address, delay, &mut out)?;
    Ok(out.finish())
}

/// An RTC's date as seconds since the Unix epoch, the date read as UTC.
fn rtc_seconds(t: &ds3231::DateTime) -> f64 {
    let days = days_from_civil(i64::from(t.year), u32::from(t.month), u32::from(t.day));
    let s =
        days * 86_400 + i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second);
    s as f64
}

/// An SHT3x's or SHTC3's measurement (the same Sensirion format).
fn sensirion(out: &mut Out<'_>, m: &sht3x::Measurement) {
    out.push(Quantity::Temperature, None, celsius(m.temperature));
    out.push(
        Quantity::Humidity,
        None,
        f64::from(m.humidity.as_millipercent()) / 1000.0,
    );
}

fn celsius(t: udrv_drivers::Temperature) -> f64 {
    f64::from(t.as_millicelsius()) / 1000.0
}

fn volts(v: udrv_drivers::Voltage) -> f64 {
    f64::from(v.as_microvolts()) / 1e6
}

fn pascals(p: udrv_drivers::Pressure) -> f64 {
    f64::from(p.as_q24_8_pascal()) / 256.0
}

/// A BME280 or BMP280 (on either bus): the ID register says which.
fn bme280<IF>(
    s: &mut bme280::Bme280<IF>,
    delay: &mut impl DelayNs,
    out: &mut Out<'_>,
) -> Result<(), ReadError>
where
    IF: bme280::Interface,
    IF::Error: Display + fmt::Debug,
{
    s.init().map_err(|e| match e {
        bme280::Error::WrongChipId(_) => ReadError::WrongChip(e.to_string()),
        e => ex(e),
    })?;
    s.set_config(bme280::Config::default()).map_err(ex)?;
    let m = s.measure_forced(delay).map_err(ex)?;
    out.push(Quantity::Temperature, None, celsius(m.temperature));
    if let Some(h) = m.humidity {
        out.push(
            Quantity::Humidity,
            None,
            f64::from(h.as_millipercent()) / 1000.0,
        );
    }
    if let Some(p) = m.pressure {
        out.push(Quantity::Pressure, None, pascals(p));
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
    R::Error: Display + fmt::Debug,
{
    let dir = io.read_pair(mcp23017::registers::Reg::Iodir).map_err(ex)?;
    let gpio = io.read_gpio().map_err(ex)?;
    for n in 0..16 {
        let port = if n < 8 { 'A' } else { 'B' };
        out.pin(&format!("{port}{}", n % 8), gpio & (1 << n) != 0);
    }
    out.raw("iodir", None, &dir.to_le_bytes());
    Ok(())
}
