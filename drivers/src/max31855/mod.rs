//! Maxim MAX31855 cold-junction compensated thermocouple-to-digital converter (SPI,
//! read-only): thermocouple temperature (14 bits, 0.25 °C), internal (cold junction)
//! temperature (12 bits, 0.0625 °C) and the fault bits OC, SCG, SCV.
//!
//! ```no_run
//! # fn demo<S: embedded_hal::spi::SpiDevice>(spi: S) -> Result<(), udrv_drivers::max31855::Error<S::Error>> {
//! use udrv_drivers::max31855::Max31855;
//! let mut tc = Max31855::new(spi);
//! let r = tc.read()?;
//! println!("{:.2} °C (cold junction {:.4} °C)", r.thermocouple.as_celsius_f32(), r.internal.as_celsius_f32());
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
mod types;

pub use types::*;

use crate::Temperature;
use embedded_hal::spi::SpiDevice;
use embedded_hal_async::spi::SpiDevice as AsyncSpiDevice;

/// Errors of the MAX31855 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// The chip reports a thermocouple fault (D16 set); the internal temperature is
    /// still valid and given here.
    Fault(Faults, Temperature),
}

impl_error!(Error + From, |f, e| match e {
    Error::Bus(b) => write!(f, "MAX31855: SPI error: {b}"),
    Error::Fault(faults, _) => {
        f.write_str("MAX31855: thermocouple fault:")?;
        if faults.open_circuit {
            f.write_str(" open circuit (is it connected?)")?;
        }
        if faults.short_to_gnd {
            f.write_str(" short to GND")?;
        }
        if faults.short_to_vcc {
            f.write_str(" short to VCC")?;
        }
        Ok(())
    }
});

/// Decode the 14-bit thermocouple field (D31..D18), two's complement, 0.25 °C.
pub fn decode_thermocouple(word: u32) -> Temperature {
    Temperature(((word as i32) >> 18) * 250)
}

/// Decode the 12-bit internal temperature field (D15..D4), two's complement, 0.0625 °C.
pub fn decode_internal(word: u32) -> Temperature {
    Temperature::from_fraction(((word as i32) << 16) >> 20, 16)
}

/// Decode the 32-bit word.
pub fn decode<E>(word: u32) -> Result<Reading, Error<E>> {
    let internal = decode_internal(word);
    if word & (1 << 16) != 0 {
        return Err(Error::Fault(
            Faults {
                open_circuit: word & 1 != 0,
                short_to_gnd: word & 2 != 0,
                short_to_vcc: word & 4 != 0,
            },
            internal,
        ));
    }
    Ok(Reading {
        thermocouple: decode_thermocouple(word),
        internal,
    })
}

/// A MAX31855 on an SPI device (mode 0, up to 5 MHz).
#[derive(Debug)]
pub struct Max31855<SPI> {
    spi: SPI,
}

impl<SPI> Max31855<SPI> {
    /// A driver for the chip behind `spi`.
    pub fn new(spi: SPI) -> Self {
        Self { spi }
    }

    /// Give the SPI device back.
    pub fn release(self) -> SPI {
        self.spi
    }
}

dual_impl!({
    #[asynch(SPI: AsyncSpiDevice)]
    impl<SPI> Max31855<SPI>
    where
        SPI: SpiDevice,
    {
        /// Read the raw 32-bit word.
        #[asynch(read_raw_async)]
        pub fn read_raw(&mut self) -> Result<u32, Error<SPI::Error>> {
            let mut b = [0; 4];
            io!(self.spi.read(&mut b))?;
            Ok(u32::from_be_bytes(b))
        }

        /// Read both temperatures, or the faults.
        #[asynch(read_async)]
        pub fn read(&mut self) -> Result<Reading, Error<SPI::Error>> {
            let mut b = [0; 4];
            io!(self.spi.read(&mut b))?;
            decode(u32::from_be_bytes(b))
        }

        /// Read only the first 16 bits (thermocouple temperature and the fault flag),
        /// ending the transfer early as the datasheet allows.
        #[asynch(thermocouple_async)]
        pub fn thermocouple(&mut self) -> Result<Temperature, Error<SPI::Error>> {
            let mut b = [0; 2];
            io!(self.spi.read(&mut b))?;
            let word = (u16::from_be_bytes(b) as u32) << 16;
            if word & (1 << 16) != 0 {
                // Fault details are in the lower half: read the whole word for them.
                return Err(Error::Fault(Faults::default(), Temperature(0)));
            }
            Ok(decode_thermocouple(word))
        }
    }
});
