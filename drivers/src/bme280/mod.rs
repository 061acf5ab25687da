//! Bosch BME280 (and BMP280) temperature, pressure and humidity sensor over I2C or SPI.
//!
//! [`Bme280::new_i2c`] / [`Bme280::new_spi`], then [`init`](Bme280::init) (checks the chip
//! ID and reads the calibration), [`set_config`](Bme280::set_config), and either
//! [`measure_forced`](Bme280::measure_forced) or normal mode plus
//! [`read_measurement`](Bme280::read_measurement). Values use the datasheet's integer
//! compensation (temperature 0.01 °C, pressure Q24.8 Pa, humidity Q22.10 %RH).
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c, D: embedded_hal::delay::DelayNs>(i2c: I, mut delay: D)
//! # -> Result<(), udrv_drivers::bme280::Error<I::Error>> {
//! use udrv_drivers::bme280::{Bme280, Config, Oversampling};
//! let mut bme = Bme280::new_i2c(i2c, 0x76);
//! bme.init()?;
//! bme.set_config(Config { pressure: Oversampling::X4, ..Config::default() })?;
//! let m = bme.measure_forced(&mut delay)?;
//! println!("{:.2} °C {:.2} hPa", m.temperature.as_celsius_f32(), m.pressure.unwrap().as_hectopascal_f32());
//! # Ok(()) }
//! ```

pub mod compensation;
#[cfg(feature = "sim")]
pub mod model;
mod registers;
mod types;

pub use types::*;

use crate::{Humidity, Pressure, Temperature};
use embedded_hal::i2c::I2c;
use embedded_hal::spi::{Operation, SpiDevice};
use embedded_hal_async::i2c::I2c as AsyncI2c;
use embedded_hal_async::spi::SpiDevice as AsyncSpiDevice;
use registers::*;

/// Errors of the BME280 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// The chip ID register did not hold 0x60 (BME280) or 0x58 (BMP280).
    WrongChipId(u8),
    /// A measurement was read before [`Bme280::init`] read the calibration.
    NotInitialized,
    /// Temperature oversampling is skipped: nothing can be compensated.
    NoTemperature,
    /// A forced measurement (or the NVM copy after reset) did not finish in time.
    Timeout,
}

impl_error!(Error, |f, e| {
    match e {
        Error::Bus(b) => write!(f, "BME280: bus error: {b}"),
        Error::WrongChipId(id) => write!(
            f,
            "BME280: chip ID 0x{id:02x} is neither a BME280 (0x60) nor a \
            BMP280 (0x58): check the address (0x76 or 0x77)"
        ),
        Error::NotInitialized => {
            f.write_str("BME280: call init() first (it reads the calibration)")
        }
        Error::NoTemperature => f.write_str(
            "BME280: temperature oversampling is 'skipped': set it to \
            compensate pressure and humidity",
        ),
        Error::Timeout => {
            f.write_str("BME280: the measurement (or NVM copy) did not finish in time")
        }
    }
});

/// Register access over I2C: the chip's address and the bus.
#[derive(Debug)]
pub struct I2cInterface<I2C> {
    i2c: I2C,
    address: u8,
}

/// Register access over SPI (4-wire, mode 0 or 3).
#[derive(Debug)]
pub struct SpiInterface<SPI> {
    spi: SPI,
}

/// Blocking register access (implemented for [`I2cInterface`] and [`SpiInterface`]).
pub trait Interface {
    /// The bus error.
    type Error;
    /// Burst-read registers starting at `reg`.
    fn read_regs(&mut self, reg: u8, buf: &mut [u8]) -> Result<(), Self::Error>;
    /// Write one register.
    fn write_reg(&mut self, reg: u8, value: u8) -> Result<(), Self::Error>;
}

/// Async register access (implemented for [`I2cInterface`] and [`SpiInterface`]).
#[allow(async_fn_in_trait)]
pub trait AsyncInterface {
    /// The bus error.
    type Error;
    /// Burst-read registers starting at `reg`.
    async fn read_regs(&mut self, reg: u8, buf: &mut [u8]) -> Result<(), Self::Error>;
    /// Write one register.
    async fn write_reg(&mut self, reg: u8, value: u8) -> Result<(), Self::Error>;
}

dual_impl!({
    #[asynch(impl AsyncInterface, I2C: AsyncI2c)]
    impl<I2C> Interface for I2cInterface<I2C>
    where
        I2C: I2c,
    {
        type Error = I2C::Error;
        fn read_regs(&mut self, reg: u8, buf: &mut [u8]) -> Result<(), Self::Error> {
            io!(self.i2c.write_read(self.address, &[reg], buf))
        }
        fn write_reg(&mut self, reg: u8, value: u8) -> Result<(), Self::Error> {
            io!(self.i2c.write(self.address, &[reg, value]))
        }
    }
});

dual_impl!({
    #[asynch(impl AsyncInterface, SPI: AsyncSpiDevice)]
    impl<SPI> Interface for SpiInterface<SPI>
    where
        SPI: SpiDevice,
    {
        type Error = SPI::Error;
        fn read_regs(&mut self, reg: u8, buf: &mut [u8]) -> Result<(), Self::Error> {
            io!(self
                .spi
                .transaction(&mut [Operation::Write(&[reg | SPI_READ]), Operation::Read(buf)]))
        }
        fn write_reg(&mut self, reg: u8, value: u8) -> Result<(), Self::Error> {
            io!(self.spi.write(&[reg & !SPI_READ, value]))
        }
    }
});

/// A BME280 (or BMP280).
#[derive(Debug)]
pub struct Bme280<IF> {
    iface: IF,
    calibration: Option<Calibration>,
    config: Config,
    humidity: bool,
}

impl<I2C> Bme280<I2cInterface<I2C>> {
    /// A BME280 on I2C at `address` (0x76 with SDO low, 0x77 with SDO high).
    pub fn new_i2c(i2c: I2C, address: u8) -> Self {
        Self::with_interface(I2cInterface { i2c, address })
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.iface.i2c
    }
}

impl<SPI> Bme280<SpiInterface<SPI>> {
    /// A BME280 on an SPI device (its chip select).
    pub fn new_spi(spi: SPI) -> Self {
        Self::with_interface(SpiInterface { spi })
    }

    /// Give the SPI device back.
    pub fn release(self) -> SPI {
        self.iface.spi
    }
}

impl<IF> Bme280<IF> {
    fn with_interface(iface: IF) -> Self {
        Self {
            iface,
            calibration: None,
            config: Config::default(),
            humidity: true,
        }
    }

    /// The calibration read by [`init`](Self::init).
    pub fn calibration(&self) -> Option<&Calibration> {
        self.calibration.as_ref()
    }

    /// Use a known calibration instead of reading it (for tests and replays).
    pub fn set_calibration(&mut self, c: Calibration) {
        self.calibration = Some(c);
    }

    /// The settings last written.
    pub fn config(&self) -> Config {
        self.config
    }

    /// Compensate raw data with the calibration (datasheet §4.2.3).
    pub fn compensate<E>(&self, raw: &RawData) -> Result<Measurement, Error<E>> {
        let c = self.calibration.as_ref().ok_or(Error::NotInitialized)?;
        compensate(c, raw, self.humidity)
    }

    fn ctrl_meas(&self, mode: Mode) -> u8 {
        (self.config.temperature as u8) << 5 | (self.config.pressure as u8) << 2 | mode as u8
    }
}

/// Compensate raw data (`humidity`: whether the chip has a humidity sensor).
pub fn compensate<E>(
    c: &Calibration,
    raw: &RawData,
    humidity: bool,
) -> Result<Measurement, Error<E>> {
    if raw.temperature == 0x80000 {
        return Err(Error::NoTemperature);
    }
    let tf = compensation::t_fine(c, raw.temperature as i32);
    Ok(Measurement {
        temperature: Temperature(compensation::temperature(tf) * 10),
        pressure: (raw.pressure != 0x80000)
            .then(|| Pressure(compensation::pressure(c, tf, raw.pressure as i32))),
        humidity: (humidity && raw.humidity != 0x8000).then(|| {
            let q = compensation::humidity(c, tf, raw.humidity as i32);
            Humidity(((q as u64 * 1000 + 512) / 1024) as u32)
        }),
    })
}

dual_impl!({
    #[asynch(IF: AsyncInterface)]
    impl<IF> Bme280<IF>
    where
        IF: Interface,
    {
        /// Read the chip ID register.
        #[asynch(chip_id_async)]
        pub fn chip_id(&mut self) -> Result<u8, Error<IF::Error>> {
            let mut id = [0];
            io!(self.iface.read_regs(ID, &mut id)).map_err(Error::Bus)?;
            Ok(id[0])
        }

        /// Check the chip ID (0x60 BME280, 0x58 BMP280), wait while the chip copies its
        /// NVM (status `im_update`, about 2 ms after power-on or reset; at most 10 000
        /// polls) and read the calibration.
        #[asynch(init_async)]
        pub fn init(&mut self) -> Result<(), Error<IF::Error>> {
            let mut id = [0];
            io!(self.iface.read_regs(ID, &mut id)).map_err(Error::Bus)?;
            self.humidity = match id[0] {
                CHIP_ID_BME280 => true,
                CHIP_ID_BMP280 => false,
                other => return Err(Error::WrongChipId(other)),
            };
            let mut polls = 0;
            loop {
                let mut s = [0];
                io!(self.iface.read_regs(STATUS, &mut s)).map_err(Error::Bus)?;
                if s[0] & STATUS_IM_UPDATE == 0 {
                    break;
                }
                polls += 1;
                if polls >= 10_000 {
                    return Err(Error::Timeout);
                }
            }
            let mut a = [0; 26];
            let mut b = [0; 7];
            io!(self.iface.read_regs(CALIB00, &mut a)).map_err(Error::Bus)?;
            if self.humidity {
                io!(self.iface.read_regs(CALIB26, &mut b)).map_err(Error::Bus)?;
            }
            self.calibration = Some(Calibration::from_registers(&a, &b));
            Ok(())
        }

        /// Soft reset (all settings back to power-on, sleep mode).
        #[asynch(reset_async)]
        pub fn reset(&mut self) -> Result<(), Error<IF::Error>> {
            io!(self.iface.write_reg(RESET, RESET_MAGIC)).map_err(Error::Bus)?;
            self.config = Config::default();
            Ok(())
        }

        /// Write the settings, leaving the chip in sleep mode (the datasheet guarantees
        /// `config` writes only in sleep mode; `ctrl_hum` takes effect with `ctrl_meas`).
        #[asynch(set_config_async)]
        pub fn set_config(&mut self, config: Config) -> Result<(), Error<IF::Error>> {
            self.config = config;
            io!(self.iface.write_reg(CTRL_MEAS, self.ctrl_meas(Mode::Sleep)))
                .map_err(Error::Bus)?;
            if self.humidity {
                // ctrl_hum exists on the BME280 only.
                io!(self.iface.write_reg(CTRL_HUM, config.humidity as u8)).map_err(Error::Bus)?;
            }
            io!(self.iface.write_reg(
                CONFIG,
                (config.standby as u8) << 5 | (config.filter as u8) << 2
            ))
            .map_err(Error::Bus)?;
            io!(self.iface.write_reg(CTRL_MEAS, self.ctrl_meas(Mode::Sleep)))
                .map_err(Error::Bus)?;
            Ok(())
        }

        /// Set the mode (forced starts one measurement).
        #[asynch(set_mode_async)]
        pub fn set_mode(&mut self, mode: Mode) -> Result<(), Error<IF::Error>> {
            io!(self.iface.write_reg(CTRL_MEAS, self.ctrl_meas(mode))).map_err(Error::Bus)?;
            Ok(())
        }

        /// Whether a conversion is running (status bit `measuring`).
        #[asynch(is_measuring_async)]
        pub fn is_measuring(&mut self) -> Result<bool, Error<IF::Error>> {
            let mut s = [0];
            io!(self.iface.read_regs(STATUS, &mut s)).map_err(Error::Bus)?;
            Ok(s[0] & STATUS_MEASURING != 0)
        }

        /// Burst-read the data registers 0xF7..=0xFE (one read keeps them consistent).
        #[asynch(read_raw_async)]
        pub fn read_raw(&mut self) -> Result<RawData, Error<IF::Error>> {
            let mut d = [0; 8];
            io!(self.iface.read_regs(PRESS_MSB, &mut d)).map_err(Error::Bus)?;
            Ok(RawData::from_registers(&d))
        }

        /// Read and compensate the latest measurement.
        #[asynch(read_measurement_async)]
        pub fn read_measurement(&mut self) -> Result<Measurement, Error<IF::Error>> {
            let c = self.calibration.ok_or(Error::NotInitialized)?;
            let mut d = [0; 8];
            io!(self.iface.read_regs(PRESS_MSB, &mut d)).map_err(Error::Bus)?;
            compensate(&c, &RawData::from_registers(&d), self.humidity)
        }
    }
});

dual_impl!({
    #[asynch(IF: AsyncInterface)]
    impl<IF> Bme280<IF>
    where
        IF: Interface,
    {
        /// Start a forced measurement, wait the datasheet's maximum measurement time, poll
        /// `measuring` (1 ms steps, at most 100), then read it.
        #[asynch(measure_forced_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn measure_forced<D>(&mut self, delay: &mut D) -> Result<Measurement, Error<IF::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            call!(self.set_mode / set_mode_async(Mode::Forced))?;
            io!(delay.delay_us(self.config.max_measurement_time_us()));
            for _ in 0..100 {
                if !call!(self.is_measuring / is_measuring_async())? {
                    return call!(self.read_measurement / read_measurement_async());
                }
                io!(delay.delay_ms(1));
            }
            Err(Error::Timeout)
        }
    }
});
