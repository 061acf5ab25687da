//! How `udrv read` takes one reading of each chip kind of the catalog
//! (`udrv_boards::catalog`, which holds the list of kinds, their buses and addresses)
//! through its driver, as text. Every reader is generic over embedded-hal, so the same
//! code reads a chip on a Linux bus (`udrv-core`) and on the virtual board.

use std::fmt::{self, Display};

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::I2c;
use embedded_hal::spi::SpiDevice;
use serde_json::json;
use udrv_boards::catalog::ChipKind;
use udrv_drivers::{
    ads1x1x, at24, bh1750, bme280, dps310, ds1307, ds3231, ina219, lm75, max31855, mcp23017,
    mcp23s17, mcp3x08, pca954x, pca95xx, pca9685, sht3x, shtc3, w25q,
};

/// A value read.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number printed with this many decimals.
    Number(f64, usize),
    /// Text (a date, a state).
    Text(String),
    /// Numbers shown one way in text (`0b00000101 (inputs 0b11111111)`, `0x10`, a hex
    /// dump) and given as numbers in JSON: `json` is the reading's whole JSON object
    /// (`{"value": 5, "inputs_mask": 255}`).
    Data {
        /// The text form.
        text: String,
        /// The JSON object.
        json: serde_json::Value,
    },
}

impl Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(v, d) => write!(f, "{v:.d$}"),
            Value::Text(t) | Value::Data { text: t, .. } => f.write_str(t),
        }
    }
}

/// What a read found out about which chip answered: the catalog's type.
pub use udrv_boards::catalog::Identity;

/// One read of a chip: its readings and what is known of its identity.
#[derive(Clone, Debug, PartialEq)]
pub struct ChipRead {
    /// The readings.
    pub readings: Vec<Reading>,
    /// Whether (and how) the chip was identified.
    pub identity: Identity,
}

/// Why a read failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The chip's ID register (or command) gave another chip's answer: the message says
    /// what was read.
    WrongChip(String),
    /// Anything else: the bus's message (naming the device and what to do) or the
    /// driver's.
    Failed(String),
}

impl Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::WrongChip(m) | ReadError::Failed(m) => f.write_str(m),
        }
    }
}

impl From<String> for ReadError {
    fn from(m: String) -> ReadError {
        ReadError::Failed(m)
    }
}

/// The identity of a read of `kind`: `id` (what its ID register said) or, for a chip
/// without one, that it was not identified.
fn identity(kind: ChipKind, id: Option<String>) -> Identity {
    match id {
        Some(t) => Identity::Identified(t),
        None => Identity::NotIdentified(format!(
            "no ID register: whatever answers is read as {}",
            kind.name()
        )),
    }
}

/// One quantity of one chip.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// `temperature`, `ain0`, `time`.
    pub quantity: String,
    /// The value.
    pub value: Value,
    /// `°C`, `%RH`, `hPa`, `V`, `A`; empty for text.
    pub unit: &'static str,
}

fn num(quantity: impl Into<String>, v: f64, decimals: usize, unit: &'static str) -> Reading {
    Reading {
        quantity: quantity.into(),
        value: Value::Number(v, decimals),
        unit,
    }
}

fn text(quantity: impl Into<String>, t: String) -> Reading {
    Reading {
        quantity: quantity.into(),
        value: Value::Text(t),
        unit: "",
    }
}

fn data(quantity: impl Into<String>, text: String, json: serde_json::Value) -> Reading {
    Reading {
        quantity: quantity.into(),
        value: Value::Data { text, json },
        unit: "",
    }
}

/// A register value: `0x10` in text, a number in JSON.
fn register(quantity: impl Into<String>, v: u8) -> Reading {
    data(quantity, format!("{v:#04x}"), json!({ "value": v }))
}

/// An I/O port: its levels and which pins are inputs (`0b00000101 (inputs 0b11111111)`
/// in text, `{"value": 5, "inputs_mask": 255}` in JSON).
fn port(quantity: impl Into<String>, value: u8, inputs: u8) -> Reading {
    data(
        quantity,
        format!("{value:#010b} (inputs {inputs:#010b})"),
        json!({ "value": value, "inputs_mask": inputs }),
    )
}

/// Memory bytes: a hex and ASCII dump in text, the bytes in JSON.
fn dump(quantity: impl Into<String>, bytes: &[u8]) -> Reading {
    data(quantity, hex_ascii(bytes), json!({ "value": bytes }))
}

/// A driver error as one line: the bus's own message (it names the device and says what
/// to do), or the driver's message of what it found wrong (it names the chip and says what
/// to check).
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

fn ex<E: Explain>(e: E) -> String {
    e.explain()
}

/// An SHT3x's or SHTC3's measurement (the same Sensirion format) as readings.
fn sensirion_readings(m: &sht3x::Measurement) -> Vec<Reading> {
    vec![
        num(
            "temperature",
            m.temperature.as_millicelsius() as f64 / 1000.0,
            2,
            "°C",
        ),
        num(
            "humidity",
            m.humidity.as_millipercent() as f64 / 1000.0,
            1,
            "%RH",
        ),
    ]
}

fn bme280_readings<IF>(
    s: &mut bme280::Bme280<IF>,
    delay: &mut impl DelayNs,
    id: &mut Option<String>,
) -> Result<Vec<Reading>, ReadError>
where
    IF: bme280::Interface,
    IF::Error: Display + fmt::Debug,
{
    s.init().map_err(|e| match e {
        bme280::Error::WrongChipId(_) => ReadError::WrongChip(e.to_string()),
        e => ReadError::Failed(ex(e)),
    })?;
    s.set_config(bme280::Config::default()).map_err(ex)?;
    let m = s.measure_forced(delay).map_err(ex)?;
    let mut v = vec![num(
        "temperature",
        m.temperature.as_millicelsius() as f64 / 1000.0,
        2,
        "°C",
    )];
    if let Some(h) = m.humidity {
        v.push(num(
            "humidity",
            h.as_millipercent() as f64 / 1000.0,
            1,
            "%RH",
        ));
    }
    if let Some(p) = m.pressure {
        v.push(num(
            "pressure",
            p.as_q24_8_pascal() as f64 / 25_600.0,
            2,
            "hPa",
        ));
    }
    // The driver took the chip ID (0x60 or 0x58) and reads humidity only from a BME280.
    *id = Some(if m.humidity.is_some() {
        "chip ID register 0xd0 = 0x60: a BME280".to_string()
    } else {
        "chip ID register 0xd0 = 0x58: a BMP280 (no humidity)".to_string()
    });
    Ok(v)
}

fn hex_ascii(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let ascii: String = bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{}  |{ascii}|", hex.join(" "))
}

/// Reads chip kind `kind` at `address` on an I2C bus; a chip with an ID register
/// (`KindInfo::id_text`) is identified by it, and a read of another chip fails with
/// [`ReadError::WrongChip`].
pub fn read_i2c<I>(
    kind: ChipKind,
    i2c: I,
    address: u8,
    delay: &mut impl DelayNs,
) -> Result<ChipRead, ReadError>
where
    I: I2c,
    I::Error: Display + fmt::Debug,
{
    let mut id = None;
    let readings = i2c_readings(kind, i2c, address, delay, &mut id)?;
    Ok(ChipRead {
        readings,
        identity: identity(kind, id),
    })
}

/// [`read_i2c`]'s readings; `id` gets what identified the chip.
fn i2c_readings<I>(
    kind: ChipKind,
    i2c: I,
    address: u8,
    delay: &mut impl DelayNs,
    id: &mut Option<String>,
) -> Result<Vec<Reading>, ReadError>
where
    I: I2c,
    I::Error: Display + fmt::Debug,
{
    match kind {
        ChipKind::Bme280 => bme280_readings(&mut bme280::Bme280::new_i2c(i2c, address), delay, id),
        ChipKind::Sht3x => {
            let m = sht3x::Sht3x::new(i2c, address)
                .measure(sht3x::Repeatability::High, delay)
                .map_err(ex)?;
            Ok(sensirion_readings(&m))
        }
        ChipKind::Shtc3 => {
            // The only address is 0x70 (the driver knows it).
            let _ = address;
            let mut s = shtc3::Shtc3::new(i2c);
            s.wakeup().map_err(ex)?;
            delay.delay_us(shtc3::WAKEUP_TIME_US);
            // Its ID register (a command): another chip at 0x70 answers it wrong, or not
            // with a valid CRC.
            let who = s.read_id().map_err(|e| match e {
                shtc3::Error::WrongId(_) | shtc3::Error::Crc => {
                    ReadError::WrongChip(format!("{e} (the ID register, command 0xefc8)"))
                }
                e => ReadError::Failed(ex(e)),
            })?;
            *id = Some(format!("ID register {who:#06x}: an SHTC3"));
            let m = s.measure(shtc3::PowerMode::Normal, delay).map_err(ex)?;
            s.sleep().map_err(ex)?;
            Ok(sensirion_readings(&m))
        }
        ChipKind::Bh1750 => {
            let mut s = bh1750::Bh1750::new(i2c, address);
            s.power_on().map_err(ex)?;
            let lux = s
                .measure_one_time(bh1750::Resolution::High, delay)
                .map_err(ex)?;
            Ok(vec![num(
                "illuminance",
                lux.as_millilux() as f64 / 1000.0,
                1,
                "lx",
            )])
        }
        ChipKind::Lm75 => {
            let t = lm75::Lm75::new(i2c, address).temperature().map_err(ex)?;
            Ok(vec![num(
                "temperature",
                t.as_millicelsius() as f64 / 1000.0,
                1,
                "°C",
            )])
        }
        ChipKind::Tmp102 => {
            let t = lm75::Tmp102::new(i2c, address).temperature().map_err(ex)?;
            Ok(vec![num(
                "temperature",
                t.as_millicelsius() as f64 / 1000.0,
                3,
                "°C",
            )])
        }
        ChipKind::Ads1115 | ChipKind::Ads1015 => {
            let variant = if kind == ChipKind::Ads1115 {
                ads1x1x::Variant::Ads1115
            } else {
                ads1x1x::Variant::Ads1015
            };
            let mut adc = ads1x1x::Ads1x1x::new(i2c, address, variant);
            adc.set_full_scale(ads1x1x::FullScale::V4_096).map_err(ex)?;
            let channels = [
                ads1x1x::Channel::SingleA0,
                ads1x1x::Channel::SingleA1,
                ads1x1x::Channel::SingleA2,
                ads1x1x::Channel::SingleA3,
            ];
            let mut v = Vec::new();
            for (i, ch) in channels.into_iter().enumerate() {
                let u = adc.measure(ch, delay).map_err(ex)?;
                v.push(num(
                    format!("ain{i}"),
                    u.as_microvolts() as f64 / 1e6,
                    4,
                    "V",
                ));
            }
            Ok(v)
        }
        ChipKind::Ina219 => {
            let mut ina = ina219::Ina219::new(i2c, address);
            let shunt = ina.shunt_voltage().map_err(ex)?;
            let bus = ina.bus_voltage().map_err(ex)?;
            let volts = bus.voltage.as_microvolts() as f64 / 1e6;
            let amps = shunt.as_microvolts() as f64 / 1e6 / 0.1;
            Ok(vec![
                num("bus_voltage", volts, 3, "V"),
                num(
                    "shunt_voltage",
                    shunt.as_microvolts() as f64 / 1000.0,
                    2,
                    "mV",
                ),
                num("current", amps, 4, "A"),
                num("power", volts * amps, 3, "W"),
            ])
        }
        ChipKind::Ds3231 => {
            let mut rtc = ds3231::Ds3231::new(i2c);
            let t = rtc.datetime().map_err(ex)?;
            let temp = rtc.temperature().map_err(ex)?;
            let stopped = rtc.oscillator_stopped().map_err(ex)?;
            let mut when = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            );
            if stopped {
                when.push_str(" (oscillator stopped: time not valid)");
            }
            Ok(vec![
                text("time", when),
                num(
                    "temperature",
                    temp.as_millicelsius() as f64 / 1000.0,
                    2,
                    "°C",
                ),
            ])
        }
        ChipKind::Ds1307 | ChipKind::Ds1338 => {
            let variant = if kind == ChipKind::Ds1338 {
                ds1307::Variant::Ds1338
            } else {
                ds1307::Variant::Ds1307
            };
            let mut rtc = ds1307::Ds1307::new(i2c, variant);
            let t = rtc.datetime().map_err(ex)?;
            let mut when = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            );
            if !rtc.is_running().map_err(ex)? {
                when.push_str(" (clock halted: set the time to start it)");
            }
            if variant == ds1307::Variant::Ds1338 && rtc.oscillator_stopped().map_err(ex)? {
                when.push_str(" (oscillator stopped: time not valid)");
            }
            let control = rtc.control().map_err(ex)?;
            Ok(vec![text("time", when), register("control", control)])
        }
        ChipKind::Dps310 => {
            let mut d = dps310::Dps310::new(i2c, address);
            let product = d.product_id().map_err(ex)?;
            // PROD_ID (bits 3-0) is 0, REV_ID (bits 7-4) is not (0x10).
            if product & 0x0f != 0 || product >> 4 == 0 {
                return Err(ReadError::WrongChip(format!(
                    "DPS310: product ID register 0x0d reads {product:#04x}, not a DPS310's \
                     (0x10): another chip answers at {address:#04x}"
                )));
            }
            *id = Some(format!(
                "product ID register 0x0d = {product:#04x}: a DPS310"
            ));
            d.read_calibration().map_err(ex)?;
            let m = d.measure(delay).map_err(ex)?;
            Ok(vec![
                num(
                    "temperature",
                    m.temperature.as_millicelsius() as f64 / 1000.0,
                    2,
                    "°C",
                ),
                num(
                    "pressure",
                    m.pressure.as_q24_8_pascal() as f64 / 25_600.0,
                    2,
                    "hPa",
                ),
                register("product id", product),
            ])
        }
        ChipKind::Pca9548 | ChipKind::Pca9546 => {
            let variant = if kind == ChipKind::Pca9546 {
                pca954x::Variant::Pca9546
            } else {
                pca954x::Variant::Pca9548
            };
            let c = pca954x::Pca954x::new(i2c, address, variant)
                .channels()
                .map_err(ex)?;
            let on: Vec<u8> = (0..variant.channels())
                .filter(|b| c & (1 << b) != 0)
                .collect();
            let shown: Vec<String> = on.iter().map(u8::to_string).collect();
            Ok(vec![data(
                "channels",
                if on.is_empty() {
                    "none".to_string()
                } else {
                    shown.join(", ")
                },
                json!({ "value": on }),
            )])
        }
        ChipKind::Mcp23017 => mcp23x17_readings(mcp23017::Mcp23017::new(i2c, address)),
        ChipKind::Pca9554 | ChipKind::Pca9535 => {
            let mut io = if kind == ChipKind::Pca9554 {
                pca95xx::Pca95xx::pca9554(i2c, address)
            } else {
                pca95xx::Pca95xx::pca9535(i2c, address)
            };
            let inputs = io.read_inputs().map_err(ex)?;
            let dirs = io.read_reg(3).map_err(ex)?;
            let mut v = vec![port("port0", inputs as u8, dirs as u8)];
            if io.pins() == 16 {
                v.push(port("port1", (inputs >> 8) as u8, (dirs >> 8) as u8));
            }
            Ok(v)
        }
        ChipKind::Pca9685 => {
            let mut pwm = pca9685::Pca9685::new(i2c, address);
            let mode1 = pwm.mode1().map_err(ex)?;
            let prescale = pwm.prescale().map_err(ex)?;
            let hz = 25_000_000.0 / (4096.0 * (prescale as f64 + 1.0));
            let mut v = vec![
                num("frequency", hz, 1, "Hz"),
                text(
                    "state",
                    if mode1 & 0x10 != 0 {
                        "sleeping (outputs off)".into()
                    } else {
                        "running".into()
                    },
                ),
            ];
            let mut on = Vec::new();
            let mut duties = serde_json::Map::new();
            for ch in 0..16 {
                let (on_count, off_count) = pwm.channel(ch).map_err(ex)?;
                let duty = duty_percent(on_count, off_count);
                if duty > 0.0 {
                    on.push(format!("ch{ch}={duty:.1}%"));
                    // Rounded as the text shows it.
                    let shown = format!("{duty:.1}").parse::<f64>().unwrap_or(duty);
                    duties.insert(format!("ch{ch}"), json!(shown));
                }
            }
            v.push(data(
                "channels",
                if on.is_empty() {
                    "all off".into()
                } else {
                    on.join(" ")
                },
                json!({ "value": duties, "unit": "%" }),
            ));
            Ok(v)
        }
        ChipKind::At24c32 | ChipKind::At24c02 => {
            let variant = if kind == ChipKind::At24c32 {
                at24::Variant::AT24C32
            } else {
                at24::Variant::AT24C02
            };
            let mut buf = [0u8; 32];
            at24::At24::new(i2c, address, variant)
                .read(0, &mut buf)
                .map_err(ex)?;
            Ok(vec![dump("0x0000", &buf[..16]), dump("0x0010", &buf[16..])])
        }
        other => Err(format!("{other} has no I2C interface").into()),
    }
}

/// The pins of an MCP23017 or MCP23S17: GPIO and IODIR of both ports.
fn mcp23x17_readings<R>(mut io: mcp23017::Mcp23x17<R>) -> Result<Vec<Reading>, ReadError>
where
    R: mcp23017::Registers,
    R::Error: Display + fmt::Debug,
{
    let dir = io.read_pair(mcp23017::registers::Reg::Iodir).map_err(ex)?;
    let gpio = io.read_gpio().map_err(ex)?;
    Ok(vec![
        port("gpioa", gpio as u8, dir as u8),
        port("gpiob", (gpio >> 8) as u8, (dir >> 8) as u8),
    ])
}

/// The duty cycle of a PCA9685 channel from its ON and OFF registers (full-on and
/// full-off bits included: bit 12 of ON / OFF).
fn duty_percent(on: u16, off: u16) -> f64 {
    if off & 0x1000 != 0 {
        return 0.0;
    }
    if on & 0x1000 != 0 {
        return 100.0;
    }
    let (on, off) = (on & 0x0fff, off & 0x0fff);
    let high = (off as i32 - on as i32).rem_euclid(4096);
    high as f64 * 100.0 / 4096.0
}

/// Reads chip kind `kind` on an SPI device; `hw` is the chip's hardware address (A2..A0) for
/// chips that share a chip select that way (`SpiInfo::hardware_address`), whose IOCON has
/// HAEN set; `None`: address 0, which every such chip answers at power-on. Chips are
/// identified as by [`read_i2c`].
pub fn read_spi<S>(
    kind: ChipKind,
    spi: S,
    hw: Option<u8>,
    delay: &mut impl DelayNs,
) -> Result<ChipRead, ReadError>
where
    S: SpiDevice,
    S::Error: Display + fmt::Debug,
{
    let mut id = None;
    let readings = spi_readings(kind, spi, hw, delay, &mut id)?;
    Ok(ChipRead {
        readings,
        identity: identity(kind, id),
    })
}

/// [`read_spi`]'s readings; `id` gets what identified the chip.
fn spi_readings<S>(
    kind: ChipKind,
    spi: S,
    hw: Option<u8>,
    delay: &mut impl DelayNs,
    id: &mut Option<String>,
) -> Result<Vec<Reading>, ReadError>
where
    S: SpiDevice,
    S::Error: Display + fmt::Debug,
{
    match kind {
        ChipKind::Bme280 => bme280_readings(&mut bme280::Bme280::new_spi(spi), delay, id),
        ChipKind::Mcp3008 | ChipKind::Mcp3208 => {
            let variant = if kind == ChipKind::Mcp3008 {
                mcp3x08::Variant::Mcp3008
            } else {
                mcp3x08::Variant::Mcp3208
            };
            let mut adc = mcp3x08::Mcp3x08::new(spi, variant, 3_300_000);
            (0..8)
                .map(|ch| {
                    let v = adc.read_voltage(mcp3x08::Input::Single(ch)).map_err(ex)?;
                    Ok(num(
                        format!("ch{ch}"),
                        v.as_microvolts() as f64 / 1e6,
                        3,
                        "V",
                    ))
                })
                .collect()
        }
        ChipKind::Mcp23s17 => mcp23x17_readings(match hw {
            None => mcp23s17::Mcp23s17::new(spi, 0),
            Some(a) => mcp23s17::Mcp23s17::new_with_hardware_address(spi, a),
        }),
        ChipKind::W25q32 => {
            let mut f = w25q::W25q::new(spi);
            let jedec = f.jedec_id().map_err(ex)?;
            let bytes = [jedec.manufacturer, jedec.memory_type, jedec.capacity];
            let shown = format!("{:02x} {:02x} {:02x}", bytes[0], bytes[1], bytes[2]);
            // No manufacturer is 0x00 or 0xff: that is a line nothing drives, or a chip
            // that does not know the command.
            if matches!(jedec.manufacturer, 0x00 | 0xff) {
                return Err(ReadError::WrongChip(format!(
                    "W25Q: the JEDEC ID (command 0x9f) reads {shown}: no SPI NOR flash answers \
                     on this chip select (check the device and the wiring)"
                )));
            }
            *id = Some(format!("JEDEC ID {shown}"));
            let status = f.status().map_err(ex)?;
            let size = jedec.capacity_bytes();
            let mut f = w25q::W25q::with_capacity(f.release(), size.unwrap_or(16));
            let mut buf = [0u8; 16];
            f.read(0, &mut buf).map_err(ex)?;
            Ok(vec![
                data("jedec id", shown, json!({ "value": bytes })),
                match size {
                    Some(s) => num("capacity", (s / 1024) as f64, 0, "KiB"),
                    None => text("capacity", "unknown".to_string()),
                },
                register("status", status),
                dump("0x000000", &buf),
            ])
        }
        ChipKind::Max31855 => match max31855::Max31855::new(spi).read() {
            Ok(r) => Ok(vec![
                num(
                    "thermocouple",
                    r.thermocouple.as_millicelsius() as f64 / 1000.0,
                    2,
                    "°C",
                ),
                num(
                    "cold_junction",
                    r.internal.as_millicelsius() as f64 / 1000.0,
                    2,
                    "°C",
                ),
            ]),
            Err(max31855::Error::Fault(f, _)) => {
                let mut what = Vec::new();
                if f.open_circuit {
                    what.push("open circuit (no thermocouple connected)");
                }
                if f.short_to_gnd {
                    what.push("thermocouple shorted to GND");
                }
                if f.short_to_vcc {
                    what.push("thermocouple shorted to VCC");
                }
                Err(format!("MAX31855 fault: {}", what.join(", ")).into())
            }
            Err(e) => Err(ex(e).into()),
        },
        other => Err(format!("{other} has no SPI interface").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalog's kind called `name` (the names and address lists themselves are
    /// tested with the one list, in `drivers/tests/kinds.rs`).
    fn find(name: &str) -> Option<ChipKind> {
        ChipKind::find(name)
    }

    fn value(r: &ChipRead, quantity: &str) -> Value {
        r.readings
            .iter()
            .find(|r| r.quantity == quantity)
            .unwrap_or_else(|| panic!("no {quantity} in {r:?}"))
            .value
            .clone()
    }

    #[test]
    fn bh1750_one_time_h_resolution() {
        use udrv_drivers::bh1750::model::Bh1750Model;
        use udrv_drivers::Illuminance;
        let bus = udrv_drivers::sim::SimI2cBus::new();
        let m = bus.attach(0x5c, Bh1750Model::new());
        m.lock().set_illuminance(Illuminance(500_000));
        let def = find("bh1750").unwrap();
        let r = read_i2c(def, bus, 0x5c, &mut NoDelay).unwrap();
        // 500 lx is a count of 600 at MTreg 69, and 600 / 1.2 = 500.0 lx.
        assert_eq!(value(&r, "illuminance"), Value::Number(500.0, 1));
        assert_eq!(r.readings[0].unit, "lx");
        assert!(
            !r.identity.is_identified(),
            "a BH1750 has no ID: {:?}",
            r.identity
        );
        let m = m.lock();
        assert_eq!((m.measurements(), m.data(), m.mtreg()), (1, 600, 69));
        assert!(m.is_powered_down() && !m.is_continuous(), "one-time mode");
    }

    #[test]
    fn shtc3_normal_mode_then_sleep() {
        use udrv_drivers::shtc3::model::Shtc3Model;
        use udrv_drivers::{Humidity, Temperature};
        let bus = udrv_drivers::sim::SimI2cBus::new();
        let m = bus.attach(0x70, Shtc3Model::new());
        m.lock().set_temperature(Temperature(-10_000));
        m.lock().set_humidity(Humidity(33_300));
        let def = find("shtc3").unwrap();
        let r = read_i2c(def, bus.clone(), 0x70, &mut NoDelay).unwrap();
        let Value::Number(t, 2) = value(&r, "temperature") else {
            panic!("{r:?}")
        };
        assert!((t + 10.0).abs() < 0.005, "{t}");
        assert_eq!(value(&r, "humidity").to_string(), "33.3");
        // Identified by its ID register (a command).
        assert!(r.identity.is_identified(), "{:?}", r.identity);
        assert_eq!(m.lock().measurements(), (1, 0), "one, in normal mode");
        assert!(m.lock().is_asleep(), "put back to sleep");
        // A sleeping SHTC3 is woken by the next read.
        assert!(read_i2c(def, bus, 0x70, &mut NoDelay).is_ok());
    }

    #[test]
    fn mcp23s17_pins_like_mcp23017() {
        use udrv_drivers::mcp23s17::model::Mcp23s17Model;
        let (spi, m) = udrv_drivers::sim::SimSpiDevice::new(Mcp23s17Model::new(0));
        m.lock().set_input(0, Some(true));
        m.lock().set_input(15, Some(true));
        let r = read_spi(find("mcp23s17").unwrap(), spi, None, &mut NoDelay).unwrap();
        assert_eq!(
            value(&r, "gpioa").to_string(),
            "0b00000001 (inputs 0b11111111)"
        );
        assert_eq!(
            value(&r, "gpiob").to_string(),
            "0b10000000 (inputs 0b11111111)"
        );
        // An MCP23S17 with HAEN on and other address pins ignores address 0: all 1s.
        let (spi, m) = udrv_drivers::sim::SimSpiDevice::new(Mcp23s17Model::new(5));
        let mut io = mcp23s17::Mcp23s17::new(spi.clone(), 5);
        io.set_iocon(mcp23s17::Iocon {
            hardware_address: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(m.lock().answers_address(), 5);
        let r = read_spi(find("mcp23s17").unwrap(), spi.clone(), None, &mut NoDelay).unwrap();
        assert_eq!(
            value(&r, "gpioa").to_string(),
            "0b11111111 (inputs 0b11111111)"
        );
        // Named by its address, it answers.
        m.lock().set_input(3, Some(true));
        let r = read_spi(find("mcp23s17").unwrap(), spi, Some(5), &mut NoDelay).unwrap();
        assert_eq!(
            value(&r, "gpioa").to_string(),
            "0b00001000 (inputs 0b11111111)"
        );
    }

    /// No waiting: the models answer at once.
    struct NoDelay;
    impl DelayNs for NoDelay {
        fn delay_ns(&mut self, _: u32) {}
    }

    #[test]
    fn pca9685_duty() {
        assert_eq!(duty_percent(0, 0x1000), 0.0);
        assert_eq!(duty_percent(0x1000, 0), 100.0);
        assert_eq!(duty_percent(0, 2048), 50.0);
        assert_eq!(duty_percent(4000, 1024), (1024.0 + 96.0) * 100.0 / 4096.0);
    }

    #[test]
    fn hex_dump() {
        assert_eq!(hex_ascii(b"ab\0"), "61 62 00  |ab.|");
    }
}
