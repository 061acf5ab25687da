#![no_std]
#![doc = include_str!("../README.md")]
#![deny(unsafe_code, missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

#[cfg(feature = "std")]
extern crate std;

#[macro_use]
mod dual;
mod i2c_regs;

pub mod units;

pub mod ads1x1x;
pub mod at24;
pub mod bh1750;
pub mod bme280;
pub mod calendar;
pub mod dps310;
pub mod ds1307;
pub mod ds3231;
pub mod ina219;
pub mod kinds;
pub mod lm75;
pub mod max31855;
pub mod mcp23017;
pub mod mcp23s17;
pub mod mcp3x08;
pub mod pca954x;
pub mod pca95xx;
pub mod pca9685;
pub mod probe;
mod sensirion;
pub mod sht3x;
pub mod shtc3;
pub mod w25q;

#[cfg(feature = "sim")]
pub mod sim;

pub use kinds::ChipKind;
pub use units::{Current, Humidity, Illuminance, Power, Pressure, Temperature, Voltage};
