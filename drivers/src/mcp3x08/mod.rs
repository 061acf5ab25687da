//! Microchip MCP3008 (10-bit) and MCP3208 (12-bit) 8-channel SPI ADCs, single-ended and
//! pseudo-differential inputs, one conversion per 3-byte transaction.
//!
//! ```no_run
//! # fn demo<S: embedded_hal::spi::SpiDevice>(spi: S) -> Result<(), udrv_drivers::mcp3x08::Error<S::Error>> {
//! use udrv_drivers::mcp3x08::{Input, Mcp3x08, Variant};
//! let mut adc = Mcp3x08::new(spi, Variant::Mcp3008, 3_300_000); // VREF = 3.3 V
//! let code = adc.read_raw(Input::Single(0))?;
//! let v = adc.read_voltage(Input::Diff { plus: 2, minus: 3 })?;
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
mod types;

pub use types::*;

use crate::Voltage;
use embedded_hal::spi::SpiDevice;
use embedded_hal_async::spi::SpiDevice as AsyncSpiDevice;

/// Errors of the MCP3x08 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// A channel beyond 7, or a differential pair that is not CH0/1, 2/3, 4/5 or 6/7.
    InvalidInput,
}

impl_error!(Error + From, |f, e| match e {
    Error::Bus(b) => write!(f, "MCP3x08: SPI error: {b}"),
    Error::InvalidInput =>
        f.write_str("MCP3x08: channels are 0..8; differential pairs are 0/1, 2/3, 4/5, 6/7",),
});

/// The 3 bytes to send for `input` (datasheet §6.1, "Using the MCP3008 with MCU SPI
/// ports": start bit aligned so the result ends at the last bit).
pub fn command(variant: Variant, input: Input) -> Option<[u8; 3]> {
    let (sgl, d) = input.config_bits()?;
    let sgl = sgl as u8;
    Some(match variant {
        Variant::Mcp3008 => [0x01, (sgl << 7) | (d << 4), 0x00],
        Variant::Mcp3208 => [0x04 | (sgl << 1) | (d >> 2), (d & 0x03) << 6, 0x00],
    })
}

/// The result in the received bytes.
pub fn result(variant: Variant, rx: &[u8; 3]) -> u16 {
    match variant {
        Variant::Mcp3008 => u16::from(rx[1] & 0x03) << 8 | u16::from(rx[2]),
        Variant::Mcp3208 => u16::from(rx[1] & 0x0F) << 8 | u16::from(rx[2]),
    }
}

/// An MCP3008 or MCP3208 on an SPI device (mode 0 or 3).
#[derive(Debug)]
pub struct Mcp3x08<SPI> {
    spi: SPI,
    variant: Variant,
    vref_uv: u32,
}

impl<SPI> Mcp3x08<SPI> {
    /// A driver with the reference voltage in µV (for [`read_voltage`](Self::read_voltage)).
    pub fn new(spi: SPI, variant: Variant, vref_uv: u32) -> Self {
        Self {
            spi,
            variant,
            vref_uv,
        }
    }

    /// Give the SPI device back.
    pub fn release(self) -> SPI {
        self.spi
    }

    /// Convert a code to a voltage: `VIN = code × VREF / 2^bits` (datasheet eq. 4-1
    /// solved for VIN), rounded down to the µV.
    pub fn to_voltage(&self, code: u16) -> Voltage {
        Voltage(((code as u64 * self.vref_uv as u64) >> self.variant.bits()) as i32)
    }
}

dual_impl!({
    #[asynch(SPI: AsyncSpiDevice)]
    impl<SPI> Mcp3x08<SPI>
    where
        SPI: SpiDevice,
    {
        /// Convert `input` and return the code (0..1024 or 0..4096).
        #[asynch(read_raw_async)]
        pub fn read_raw(&mut self, input: Input) -> Result<u16, Error<SPI::Error>> {
            let tx = command(self.variant, input).ok_or(Error::InvalidInput)?;
            let mut rx = tx;
            io!(self.spi.transfer_in_place(&mut rx))?;
            Ok(result(self.variant, &rx))
        }

        /// Convert `input` and return the voltage.
        #[asynch(read_voltage_async)]
        pub fn read_voltage(&mut self, input: Input) -> Result<Voltage, Error<SPI::Error>> {
            let tx = command(self.variant, input).ok_or(Error::InvalidInput)?;
            let mut rx = tx;
            io!(self.spi.transfer_in_place(&mut rx))?;
            Ok(self.to_voltage(result(self.variant, &rx)))
        }
    }
});
