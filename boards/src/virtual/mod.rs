//! The virtual board: simulated I2C and SPI buses and GPIO lines in one process, populated
//! with the chip models of `udrv-drivers` (feature `sim`), so that programs, the CLI and
//! tests run on a machine with no hardware.
//!
//! | bus / line | what is there |
//! |---|---|
//! | `i2c-1` (also `1`, `i2c_arm`) | BME280 @0x76, SHT3x @0x44, ADS1115 @0x48, INA219 @0x40, LM75 @0x4f, AT24C32 @0x50, PCA9685 @0x41 (all-call moved to 0x6f), DS3231 @0x68, MCP23017 @0x20, PCA9554 @0x21, DPS310 @0x77, PCA9548 @0x73 with an LM75 @0x49 behind channel 2 (room) and one behind channel 5 (outdoors), BH1750 @0x23 (ADDR low), SHTC3 @0x70 |
//! | `spidev0.0` (`spi(0, 0)`) | MCP3008 (3.3 V reference): joystick X/Y on CH0/CH1, 1.65 V on CH2 |
//! | `spidev0.1` (`spi(0, 1)`) | MAX31855 with a type-K thermocouple in an oven |
//! | `spidev1.0` (`spi(1, 0)`) | BME280 (SPI), outdoors |
//! | `spidev1.1` (`spi(1, 1)`) | W25Q32 flash, 4 MiB (a text at 0x000000) |
//! | `spidev1.2` (`spi(1, 2)`) | MCP23S17 (A2..A0 tied low): a DIP switch on GPB0-GPB3 set to 0101 |
//! | `GPIO17` (pin 11), input | MCP23017 INTA (active low) |
//! | `GPIO4` (pin 7), input | DS3231 INT/SQW (active low) |
//! | `GPIO5` (pin 29), input | ADS1115 ALERT/RDY |
//! | `GPIO6` (pin 31), input | LM75 OS (active low) |
//! | `GPIO24` (pin 18), input | PCA9554 INT (active low) |
//! | `GPIO27` (pin 13), output | heater relay: warms the room the sensors measure |
//! | `GPIO22` (pin 15), output | LED |
//!
//! The header is the Raspberry Pi 4's 40-pin J8, so `pin(11)` and `pin("GPIO17")` name
//! the same line as on a Pi. The physical inputs come from an [`Environment`] that varies
//! smoothly with time (see [`env`](mod@env)).
//!
//! 0x70 is the SHTC3's only address, and also the PCA9685's all-call address, which the
//! PCA9685 answers from power-up (its datasheet: "must not be used as a regular I2C-bus
//! slave address"). A PCA9548 channel would not separate them (an enabled channel joins
//! the parent bus), so the board's start-up moves the PCA9685's all-call address to
//! 0x6f (ALLCALLADR, register 0x05, as a program would before talking to the SHTC3):
//! the PCA9685 answers 0x41 and 0x6f, the SHTC3 0x70. The BH1750 has its ADDR pin low
//! (0x23; 0x5c is its other address).
//!
//! Code written against a board runs unchanged on the virtual one through the
//! [`Peripherals`] trait (I2C, SPI and GPIO as embedded-hal devices), which real boards
//! implement with the core's buses; the [`Board`] trait (pins, buses and info) is
//! implemented too, but its methods that return kernel device nodes
//! ([`Board::i2c`], [`Board::spi`], [`Board::lookup_pin`]) report
//! [`Error::Unsupported`] here, since no device node is behind a simulated bus.
//!
//! ```
//! use udrv_boards::r#virtual::{Peripherals, VirtualBoard};
//! use udrv_drivers::bme280::Bme280;
//!
//! let board = VirtualBoard::new();
//! let mut sensor = Bme280::new_i2c(board.open_i2c("i2c-1").unwrap(), 0x76);
//! sensor.init().unwrap();
//! let m = sensor.measure_forced(&mut board.delay()).unwrap();
//! assert!((10.0..40.0).contains(&m.temperature.as_celsius_f32()));
//! ```

mod chips;
pub mod env;
mod gpio;
mod live;
mod peripherals;
mod settings;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use udrv_drivers::ads1x1x::model::Ads1x1xModel;
use udrv_drivers::at24::model::At24Model;
use udrv_drivers::bh1750::model::Bh1750Model;
use udrv_drivers::bme280::model::Bme280Model;
use udrv_drivers::dps310::model::Dps310Model;
use udrv_drivers::ds3231::model::{civil_from_unix, Ds3231Model};
use udrv_drivers::ina219::model::Ina219Model;
use udrv_drivers::lm75::model::Lm75Model;
use udrv_drivers::max31855::model::Max31855Model;
use udrv_drivers::mcp23017::model::Mcp23017Model;
use udrv_drivers::mcp23s17::model::Mcp23s17Model;
use udrv_drivers::mcp3x08::model::Mcp3x08Model;
use udrv_drivers::pca954x::model::Pca954xModel;
use udrv_drivers::pca95xx::model::Pca95xxModel;
use udrv_drivers::pca9685::model::Pca9685Model;
use udrv_drivers::sht3x::model::Sht3xModel;
use udrv_drivers::shtc3::model::Shtc3Model;
use udrv_drivers::sim::{I2cTarget, SimHandle, SimI2cBus, SimLine, SimSpiDevice};
use udrv_drivers::w25q::model::W25qModel;
use udrv_drivers::{at24, pca954x, pca9685, Humidity, Temperature};

pub use chips::{VirtualChip, Wiring, CHIPS, I2C_BUS, OUTDOOR_CHANNEL, ROOM_CHANNEL, SWITCH};
pub use env::{Conditions, Environment};
pub use gpio::{LineRole, VirtualLine, VirtualOutput};
pub use peripherals::{Peripherals, StdDelay, VirtualDelay};
pub use settings::{SettingsError, VirtualSettings, ENV_VIRTUAL_FAULTS, ENV_VIRTUAL_TIME};

use crate::board::{
    Board, BusKind, BusStatus, ChipStatus, I2cRef, LineState, PinRow, PinTable, SpiRef, UartRef,
};
use crate::catalog::{ChipKind, MCP3X08_VREF_MICROVOLT};
use crate::detect::{BoardId, Source};
use crate::error::{Error, Result};
use crate::pin::{GpioLine, HeaderPin, PinKind, PinRef, PinSpec, Reserved};
use crate::rpi::RaspberryPi;
use chips::{behind, on_bus, on_spi};

/// The shunt resistor in front of the virtual INA219, in µΩ: the one the catalog reads an
/// INA219 with (0.1 Ω).
pub use crate::catalog::INA219_SHUNT_MICRO_OHM;

/// The label of the virtual board's GPIO "chip".
pub const GPIO_LABEL: &str = "udrv-virtual";

/// The "device node" `board info` and `board pins` give the virtual board's GPIO chip
/// (there is no kernel device behind it).
pub const GPIO_CHIP: &str = "virtual:gpiochip";

/// Where the virtual board moves the PCA9685's all-call address at start, so that the
/// SHTC3 can have 0x70 (see the [module documentation](self)).
pub const PCA9685_ALL_CALL: u8 = 0x6f;

/// The levels of the DIP switch on the virtual MCP23S17's GPB0-GPB3 (on = high).
pub const MCP23S17_DIP: u8 = 0b0101;

/// The first bytes of the virtual AT24C32: an identification record, as on a HAT EEPROM.
pub const EEPROM_ID: &[u8] = b"udrv virtual board\0";

/// Handles to the virtual board's chip models: read their state, or (with the
/// environment not live, see [`Environment::set_live`]) set their physical inputs.
#[derive(Clone, Debug)]
pub struct VirtualChips {
    /// BME280 @0x76 on `i2c-1`.
    pub bme280: SimHandle<Bme280Model>,
    /// SHT3x @0x44.
    pub sht3x: SimHandle<Sht3xModel>,
    /// LM75 @0x4f.
    pub lm75: SimHandle<Lm75Model>,
    /// ADS1115 @0x48.
    pub ads1115: SimHandle<Ads1x1xModel>,
    /// INA219 @0x40 (0.1 Ω shunt).
    pub ina219: SimHandle<Ina219Model>,
    /// DS3231 @0x68.
    pub ds3231: SimHandle<Ds3231Model>,
    /// MCP23017 @0x20: drive its pins with `set_input` to press buttons.
    pub mcp23017: SimHandle<Mcp23017Model>,
    /// PCA9554 @0x21: drive its pins with `set_input`.
    pub pca9554: SimHandle<Pca95xxModel>,
    /// PCA9685 @0x41.
    pub pca9685: SimHandle<Pca9685Model>,
    /// AT24C32 @0x50.
    pub at24c32: SimHandle<At24Model>,
    /// MCP3008 on `spidev0.0`.
    pub mcp3008: SimHandle<Mcp3x08Model>,
    /// MAX31855 on `spidev0.1` (`set_faults` to break the thermocouple).
    pub max31855: SimHandle<Max31855Model>,
    /// BME280 on `spidev1.0`.
    pub bme280_spi: SimHandle<Bme280Model>,
    /// DPS310 @0x77 on `i2c-1`.
    pub dps310: SimHandle<Dps310Model>,
    /// PCA9548 @0x73 on `i2c-1` (its control register).
    pub pca9548: SimHandle<Pca954xModel>,
    /// LM75 @0x49 behind channel 2 of the PCA9548 (the room).
    pub lm75_ch2: SimHandle<Lm75Model>,
    /// LM75 @0x49 behind channel 5 of the PCA9548 (outdoors).
    pub lm75_ch5: SimHandle<Lm75Model>,
    /// W25Q32 on `spidev1.1`.
    pub w25q32: SimHandle<W25qModel>,
    /// BH1750 @0x23 on `i2c-1`.
    pub bh1750: SimHandle<Bh1750Model>,
    /// SHTC3 @0x70 on `i2c-1`.
    pub shtc3: SimHandle<Shtc3Model>,
    /// MCP23S17 on `spidev1.2`: drive its pins with `set_input`.
    pub mcp23s17: SimHandle<Mcp23s17Model>,
}

/// The virtual board (see the [module documentation](self)). Cheap to clone: clones share
/// the buses, lines and environment.
#[derive(Clone, Debug)]
pub struct VirtualBoard {
    env: Arc<Environment>,
    i2c1: SimI2cBus,
    spi: BTreeMap<(u32, u32), SimSpiDevice>,
    lines: BTreeMap<&'static str, VirtualLine>,
    chips: VirtualChips,
    header: RaspberryPi,
}

impl Default for VirtualBoard {
    fn default() -> Self {
        Self::new()
    }
}

fn attach_live<M: I2cTarget + 'static>(
    bus: &SimI2cBus,
    env: &Arc<Environment>,
    address: u8,
    model: M,
    apply: live::Apply<M>,
) -> SimHandle<M> {
    let h = SimHandle::new(model);
    bus.attach(
        address,
        live::Live {
            model: h.clone(),
            env: env.clone(),
            apply,
        },
    );
    h
}

fn offset(t: Temperature, milli: i32) -> Temperature {
    Temperature(t.0 + milli)
}

fn humidity_plus(h: Humidity, milli: i32) -> Humidity {
    Humidity(h.0.saturating_add_signed(milli).min(100_000))
}

/// Writes `bytes` to a model through its own bus interface (one write transaction at
/// `address`), as a program at the board's start-up would.
fn write_at_start(model: &mut impl I2cTarget, address: u8, bytes: &[u8]) {
    use udrv_drivers::sim::Direction;
    let _ = model.start(address, Direction::Write);
    let _ = model.write(bytes);
    model.stop();
}

impl VirtualBoard {
    /// A board with its environment live on the real clock (starting at zero).
    pub fn new() -> Self {
        Self::with_environment(Environment::new())
    }

    /// A board whose environment follows the wall clock ([`Environment::wall_clock`]):
    /// what the CLI uses, so that successive runs see the world move on.
    pub fn wall_clock() -> Self {
        Self::with_environment(Environment::wall_clock())
    }

    /// A board whose environment's clock is manual and starts at `elapsed`: every read
    /// gives the same values until the clock is moved (for tests and reproducible runs).
    pub fn at(elapsed: Duration) -> Self {
        Self::with_environment(Environment::manual(elapsed))
    }

    /// A board living in `env`.
    pub fn with_environment(env: Environment) -> Self {
        let env = Arc::new(env);
        let i2c1 = SimI2cBus::new();
        let bme280 = attach_live(
            &i2c1,
            &env,
            on_bus(ChipKind::Bme280),
            Bme280Model::new(),
            |c, m| {
                m.set_temperature(c.temperature);
                m.set_humidity(c.humidity);
                m.set_pressure(c.pressure);
            },
        );
        let sht3x = attach_live(
            &i2c1,
            &env,
            on_bus(ChipKind::Sht3x),
            Sht3xModel::new(),
            |c, m| {
                m.set_temperature(offset(c.temperature, 300));
                m.set_humidity(humidity_plus(c.humidity, 1_500));
            },
        );
        let lm75 = attach_live(
            &i2c1,
            &env,
            on_bus(ChipKind::Lm75),
            Lm75Model::lm75(),
            |c, m| m.set_temperature(c.board_temperature),
        );
        let ads1115 = attach_live(
            &i2c1,
            &env,
            on_bus(ChipKind::Ads1115),
            Ads1x1xModel::ads1115(),
            |c, m| {
                for (i, v) in c.adc.iter().enumerate() {
                    m.set_input(i, *v);
                }
            },
        );
        let ina219 = attach_live(
            &i2c1,
            &env,
            on_bus(ChipKind::Ina219),
            Ina219Model::new(),
            |c, m| {
                m.set_bus_voltage(c.bus_voltage);
                m.set_current(c.current, INA219_SHUNT_MICRO_OHM);
            },
        );
        let mut rtc = Ds3231Model::new();
        set_rtc(&mut rtc, env.elapsed().as_secs());
        let ds3231 = attach_live(&i2c1, &env, on_bus(ChipKind::Ds3231), rtc, |c, m| {
            m.set_temperature(offset(c.temperature, 1_000));
            // The RTC counts the environment's seconds (so a manual clock moves it too).
            let target = c.uptime.as_secs();
            if target > m.ticks() {
                m.advance(target - m.ticks());
            }
        });
        let mcp23017 = SimHandle::new(Mcp23017Model::new());
        i2c1.attach_handle(on_bus(ChipKind::Mcp23017), &mcp23017);
        let pca9554 = i2c1.attach(on_bus(ChipKind::Pca9554), Pca95xxModel::pca9554());
        for (n, on) in [(4, true), (5, false), (6, true), (7, false)] {
            // A DIP switch that is on pulls its pin to ground.
            pca9554.lock().set_input(n, on.then_some(false));
        }
        let pwm_at = on_bus(ChipKind::Pca9685);
        let pca9685 = Pca9685Model::new(pwm_at).attach(&i2c1);
        // ALLCALLADR holds the 8-bit form (address << 1); the SHTC3 replaces the PCA9685
        // at 0x70 below.
        write_at_start(
            &mut *pca9685.lock(),
            pwm_at,
            &[pca9685::ALLCALLADR, PCA9685_ALL_CALL << 1],
        );
        i2c1.attach_handle(PCA9685_ALL_CALL, &pca9685);
        let geometry = at24::Variant::AT24C32;
        let mut eeprom = At24Model::new(
            geometry.size as usize,
            usize::from(geometry.page_size),
            usize::from(geometry.address_bytes),
            on_bus(ChipKind::At24c32),
        );
        eeprom.memory_mut()[..EEPROM_ID.len()].copy_from_slice(EEPROM_ID);
        let at24c32 = eeprom.attach(&i2c1);
        let dps310 = attach_live(
            &i2c1,
            &env,
            on_bus(ChipKind::Dps310),
            Dps310Model::new(),
            |c, m| {
                m.set_temperature(offset(c.temperature, 500));
                m.set_pressure(c.pressure);
            },
        );
        let mux = Pca954xModel::attach(
            &i2c1,
            on_bus(ChipKind::Pca9548),
            pca954x::Variant::Pca9548.channels(),
        );
        let lm75_ch2 = SimHandle::new(Lm75Model::lm75());
        mux.attach(
            ROOM_CHANNEL,
            behind(ChipKind::Lm75, ROOM_CHANNEL),
            live::Live {
                model: lm75_ch2.clone(),
                env: env.clone(),
                apply: |c: &Conditions, m: &mut Lm75Model| m.set_temperature(c.temperature),
            },
        );
        let lm75_ch5 = SimHandle::new(Lm75Model::lm75());
        mux.attach(
            OUTDOOR_CHANNEL,
            behind(ChipKind::Lm75, OUTDOOR_CHANNEL),
            live::Live {
                model: lm75_ch5.clone(),
                env: env.clone(),
                apply: |c: &Conditions, m: &mut Lm75Model| m.set_temperature(c.outdoor_temperature),
            },
        );
        let pca9548 = mux.handle();
        let bh1750 = attach_live(
            &i2c1,
            &env,
            on_bus(ChipKind::Bh1750),
            Bh1750Model::new(),
            |c, m| m.set_illuminance(c.illuminance),
        );
        let shtc3 = attach_live(
            &i2c1,
            &env,
            on_bus(ChipKind::Shtc3),
            Shtc3Model::new(),
            |c, m| {
                m.set_temperature(offset(c.temperature, -200));
                m.set_humidity(humidity_plus(c.humidity, -1_000));
            },
        );

        let bme280_spi = SimHandle::new(Bme280Model::new());
        let outdoor = SimSpiDevice::new(live::Live {
            model: bme280_spi.clone(),
            env: env.clone(),
            apply: |c: &Conditions, m: &mut Bme280Model| {
                m.set_temperature(c.outdoor_temperature);
                m.set_humidity(c.outdoor_humidity);
                m.set_pressure(c.pressure);
            },
        })
        .0;
        let mcp3008 = SimHandle::new(Mcp3x08Model::mcp3008(MCP3X08_VREF_MICROVOLT));
        let max31855 = SimHandle::new(Max31855Model::new());
        let mut spi = BTreeMap::new();
        spi.insert(
            on_spi(ChipKind::Mcp3008),
            SimSpiDevice::from_handle(&SimHandle::new(live::Live {
                model: mcp3008.clone(),
                env: env.clone(),
                apply: |c: &Conditions, m: &mut Mcp3x08Model| {
                    for (i, v) in c.spi_adc.iter().enumerate() {
                        m.set_input(i, *v);
                    }
                },
            })),
        );
        spi.insert(
            on_spi(ChipKind::Max31855),
            SimSpiDevice::from_handle(&SimHandle::new(live::Live {
                model: max31855.clone(),
                env: env.clone(),
                apply: |c: &Conditions, m: &mut Max31855Model| {
                    m.set_thermocouple(c.thermocouple);
                    m.set_internal(c.cold_junction);
                },
            })),
        );
        spi.insert(on_spi(ChipKind::Bme280), outdoor);
        let w25q32 = SimHandle::new(W25qModel::w25q32());
        w25q32.lock().load(0, b"udrv virtual board\n");
        spi.insert(on_spi(ChipKind::W25q32), SimSpiDevice::from_handle(&w25q32));
        let mcp23s17 = SimHandle::new(Mcp23s17Model::new(0b000));
        for n in 0..4 {
            mcp23s17
                .lock()
                .set_input(8 + n, Some(MCP23S17_DIP & (1 << n) != 0));
        }
        spi.insert(
            on_spi(ChipKind::Mcp23s17),
            SimSpiDevice::from_handle(&mcp23s17),
        );

        let mut lines = BTreeMap::new();
        let mut input = |name, wired_to, line: SimLine| {
            lines.insert(
                name,
                VirtualLine {
                    name,
                    role: LineRole::Input,
                    wired_to,
                    line,
                    on_change: None,
                },
            );
        };
        input("GPIO17", "MCP23017 INTA", mcp23017.lock().int_a());
        input("GPIO4", "DS3231 INT/SQW", ds3231.lock().int_pin());
        input("GPIO5", "ADS1115 ALERT/RDY", ads1115.lock().alert_pin());
        input("GPIO6", "LM75 OS", lm75.lock().os_pin());
        input("GPIO24", "PCA9554 INT", pca9554.lock().int_pin());
        let heater_env = env.clone();
        lines.insert(
            "GPIO27",
            VirtualLine {
                name: "GPIO27",
                role: LineRole::Output,
                wired_to: "heater relay",
                line: SimLine::new(false),
                on_change: Some(Arc::new(move |on| heater_env.set_heater(on))),
            },
        );
        lines.insert(
            "GPIO22",
            VirtualLine {
                name: "GPIO22",
                role: LineRole::Output,
                wired_to: "LED",
                line: SimLine::new(false),
                on_change: None,
            },
        );

        VirtualBoard {
            env,
            i2c1,
            spi,
            lines,
            chips: VirtualChips {
                bme280,
                sht3x,
                lm75,
                ads1115,
                ina219,
                ds3231,
                mcp23017,
                pca9554,
                pca9685,
                at24c32,
                mcp3008,
                max31855,
                bme280_spi,
                dps310,
                pca9548,
                lm75_ch2,
                lm75_ch5,
                w25q32,
                bh1750,
                shtc3,
                mcp23s17,
            },
            header: RaspberryPi::new(BoardId::Rpi4B).expect("the Pi 4 is a Raspberry Pi"),
        }
    }

    /// The environment (clock, live updates, held values, heater).
    pub fn environment(&self) -> &Environment {
        &self.env
    }

    /// Handles to the chip models.
    pub fn chips(&self) -> &VirtualChips {
        &self.chips
    }

    /// The chips on the board, as [`CHIPS`] lists them.
    pub fn chip_list(&self) -> &'static [VirtualChip] {
        CHIPS
    }

    /// The I2C bus named `name`: `i2c-1`, `1`, `/dev/i2c-1` or the Pi's role `i2c_arm`.
    pub fn i2c_bus(&self, name: &str) -> Result<SimI2cBus> {
        match name.trim() {
            "i2c-1" | "1" | "i2c_arm" | "/dev/i2c-1" => Ok(self.i2c1.clone()),
            other => Err(Error::UnknownBus {
                kind: "I2C",
                name: other.to_string(),
                available: vec!["i2c-1 (also 1, i2c_arm)".into()],
            }),
        }
    }

    /// The SPI device on `bus`, chip select `cs`.
    pub fn spi_device(&self, bus: u32, cs: u32) -> Result<SimSpiDevice> {
        self.spi
            .get(&(bus, cs))
            .cloned()
            .ok_or_else(|| Error::UnknownBus {
                kind: "SPI",
                name: format!("spidev{bus}.{cs}"),
                available: self.spi_names(),
            })
    }

    /// The SPI device named `spidevB.C`, `/dev/spidevB.C`, `B.C` or `spiB.C` (the name
    /// [`Board::buses`] gives it, as on a Raspberry Pi).
    pub fn spi_device_by_name(&self, name: &str) -> Result<SimSpiDevice> {
        let n = name.trim();
        let n = n.strip_prefix("/dev/").unwrap_or(n);
        let n = n
            .strip_prefix("spidev")
            .or_else(|| n.strip_prefix("spi"))
            .unwrap_or(n);
        let parsed = n
            .split_once('.')
            .and_then(|(b, c)| Some((b.parse().ok()?, c.parse().ok()?)));
        match parsed {
            Some((b, c)) => self.spi_device(b, c),
            None => Err(Error::UnknownBus {
                kind: "SPI",
                name: name.to_string(),
                available: self.spi_names(),
            }),
        }
    }

    fn spi_names(&self) -> Vec<String> {
        self.spi
            .keys()
            .map(|(b, c)| format!("spidev{b}.{c}"))
            .collect()
    }

    /// The GPIO line of a pin, by header number or name (`11`, `GPIO17`).
    pub fn line<'a>(&self, spec: impl Into<PinSpec<'a>>) -> Result<VirtualLine> {
        let spec = spec.into();
        let pin = self.header_pin(spec)?;
        self.lines.get(pin.name.as_ref()).cloned().ok_or_else(|| {
            let wired: Vec<String> = self
                .lines
                .values()
                .map(|l| format!("{} ({})", l.name, l.wired_to))
                .collect();
            Error::NoSuchPin {
                board: BoardId::Virtual.name(),
                spec: spec.to_string(),
                hint: format!(
                    "{} is not wired on the virtual board; wired lines: {}",
                    pin.describe(),
                    wired.join(", ")
                ),
            }
        })
    }

    /// Every wired line.
    pub fn lines(&self) -> Vec<VirtualLine> {
        self.lines.values().cloned().collect()
    }

    /// An input line as an embedded-hal `InputPin` and async `Wait` (the chip output it is
    /// wired to).
    pub fn input<'a>(&self, spec: impl Into<PinSpec<'a>>) -> Result<SimLine> {
        Ok(self.line(spec)?.line)
    }

    /// An output line, driven to `high` now. Errors for lines that chips drive.
    pub fn output<'a>(&self, spec: impl Into<PinSpec<'a>>, high: bool) -> Result<VirtualOutput> {
        let l = self.line(spec)?;
        if l.role != LineRole::Output {
            return Err(Error::NoSuchPin {
                board: BoardId::Virtual.name(),
                spec: l.name.to_string(),
                hint: format!(
                    "{} is an input driven by the {}; outputs: {}",
                    l.name,
                    l.wired_to,
                    self.lines
                        .values()
                        .filter(|l| l.role == LineRole::Output)
                        .map(|l| format!("{} ({})", l.name, l.wired_to))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        Ok(VirtualOutput::new(l, high))
    }

    /// Press (`true`) or release a button wired to MCP23017 pin `n` (0..16: GPA0..GPB7;
    /// GPA0-GPA3 carry buttons on the virtual board). A pressed button pulls the pin low;
    /// a released one lets it float (high with the pin's pull-up enabled).
    ///
    /// # Panics
    /// When `n` is 16 or more.
    pub fn set_button(&self, n: usize, pressed: bool) {
        self.chips
            .mcp23017
            .lock()
            .set_input(n, pressed.then_some(false));
    }

    /// The level of a line now.
    pub fn level<'a>(&self, spec: impl Into<PinSpec<'a>>) -> Result<bool> {
        Ok(self.line(spec)?.line.is_high())
    }

    fn unsupported(&self, what: String) -> Error {
        Error::Unsupported {
            board: BoardId::Virtual,
            what,
        }
    }
}

/// 2000-01-01 00:00:00 UTC in Unix seconds: the DS3231's first date.
const Y2K: u64 = 946_684_800;

/// The DS3231's date at the environment's start: the clock's own reading when it is a
/// date (the wall clock, or a Unix time given to [`VirtualBoard::at`]), else (small test
/// times) that many seconds after 2000-01-01.
pub fn rtc_start(env_seconds: u64) -> u64 {
    if env_seconds >= Y2K {
        env_seconds
    } else {
        Y2K + env_seconds
    }
}

/// Sets the DS3231's registers to [`rtc_start`] and clears its oscillator-stopped flag,
/// as a battery-backed RTC set once would be.
fn set_rtc(rtc: &mut Ds3231Model, env_seconds: u64) {
    rtc.set_time(civil_from_unix(rtc_start(env_seconds)));
    rtc.clear_oscillator_stopped();
}

impl Board for VirtualBoard {
    fn id(&self) -> BoardId {
        BoardId::Virtual
    }

    fn model(&self) -> String {
        "udrv virtual board (simulated chips, Raspberry Pi 4 header)".into()
    }

    fn source(&self) -> Option<Source> {
        Some(Source::Override {
            from: "the virtual board".into(),
        })
    }

    fn header_pins(&self) -> Vec<HeaderPin> {
        self.header
            .header_pins()
            .into_iter()
            .map(|p| self.decorate(p))
            .collect()
    }

    fn header_pin(&self, spec: PinSpec<'_>) -> Result<HeaderPin> {
        self.header.header_pin(spec).map(|p| self.decorate(p))
    }

    fn lookup_pin(&self, spec: PinSpec<'_>, _reserved: Reserved) -> Result<PinRef> {
        let l = self.line(spec)?;
        Err(self.unsupported(format!(
            "give a kernel GPIO line for {} (it is simulated, wired to the {}): open it \
             with Peripherals::open_input/open_output or VirtualBoard::input/output",
            l.name, l.wired_to
        )))
    }

    fn i2c(&self, role: &str) -> Result<I2cRef> {
        self.i2c_bus(role)?;
        Err(self.unsupported(format!(
            "give a kernel device for I2C bus {role} (it is simulated): open it with \
             Peripherals::open_i2c or VirtualBoard::i2c_bus"
        )))
    }

    fn spi(&self, bus: u32, cs: u32) -> Result<SpiRef> {
        self.spi_device(bus, cs)?;
        Err(self.unsupported(format!(
            "give a kernel device for spidev{bus}.{cs} (it is simulated): open it with \
             Peripherals::open_spi or VirtualBoard::spi_device"
        )))
    }

    fn uart(&self, role: &str) -> Result<UartRef> {
        Err(Error::UnknownBus {
            kind: "UART",
            name: role.to_string(),
            available: vec![],
        })
    }

    fn buses(&self) -> Vec<BusStatus> {
        let on = |kind, name: &str, controller: &str, pins: &str, bus: &str| BusStatus {
            kind,
            name: name.to_string(),
            controller: controller.to_string(),
            pins: pins.to_string(),
            enabled: true,
            device: PathBuf::from(format!("virtual:{bus}")),
            found_by: None,
            enable_line: None,
            enable_file: None,
            note: Some(
                CHIPS
                    .iter()
                    .filter(|c| c.bus().split('/').next() == Some(bus))
                    .map(|c| match c.wiring() {
                        Wiring::Switched { channel, address } => {
                            format!(
                                "{} @{address:#04x} (behind {SWITCH:#04x}.{channel})",
                                c.chip()
                            )
                        }
                        Wiring::I2c { address } => format!("{} @{address:#04x}", c.chip()),
                        Wiring::Spi { .. } => c.chip().to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        };
        let mut v = vec![on(
            BusKind::I2c,
            "i2c_arm",
            "I2C1 (simulated)",
            "SDA=pin 3 (GPIO2), SCL=pin 5 (GPIO3)",
            "i2c-1",
        )];
        for (b, c) in self.spi.keys() {
            v.push(on(
                BusKind::Spi,
                &format!("spi{b}.{c}"),
                &format!("SPI{b} CE{c} (simulated)"),
                "",
                &format!("spidev{b}.{c}"),
            ));
        }
        v
    }

    /// The header with the virtual lines' states: wired lines with their direction and
    /// (with `read_values`) their level now, unwired GPIO pins as inputs with nothing on
    /// them (no level). Nobody holds a virtual line between programs: `used` is false.
    fn pin_table(&self, read_values: bool) -> PinTable {
        let rows = self
            .header_pins()
            .into_iter()
            .map(|pin| {
                let state = pin.gpio.as_ref().map(|g| {
                    let wired = self.lines.get(pin.name.as_ref());
                    LineState {
                        chip: PathBuf::from(GPIO_CHIP),
                        chip_label: GPIO_LABEL.to_string(),
                        offset: g.offset,
                        line_name: Some(pin.name.to_string()),
                        direction: match wired.map(|l| l.role) {
                            Some(LineRole::Output) => "out",
                            _ => "in",
                        }
                        .to_string(),
                        value: wired
                            .filter(|_| read_values)
                            .map(|l| u8::from(l.line.is_high())),
                        used: false,
                        consumer: None,
                        bias: None,
                        active_low: false,
                    }
                });
                PinRow { pin, state }
            })
            .collect();
        PinTable {
            board: BoardId::Virtual,
            model: self.model(),
            rows,
        }
    }

    fn gpio_chips(&self) -> Vec<ChipStatus> {
        vec![ChipStatus {
            role: "GPIO (simulated)".into(),
            label: GPIO_LABEL.into(),
            path: Some(PathBuf::from(GPIO_CHIP)),
            lines: Some(28),
        }]
    }
}

impl VirtualBoard {
    /// A Pi header pin with the virtual board's wiring in its functions.
    fn decorate(&self, mut p: HeaderPin) -> HeaderPin {
        if p.kind != PinKind::Gpio {
            return p;
        }
        if let Some(l) = self.lines.get(p.name.as_ref()) {
            p.functions.insert(0, l.wired_to.into());
        }
        p.gpio = p.gpio.map(|g| GpioLine {
            chip_label: GPIO_LABEL.into(),
            ..g
        });
        p
    }
}
