//! The chip catalog: the chip kinds udrv knows, chip specs that say where one sits, and
//! reading a chip into readings as data.
//!
//! ```
//! use std::time::SystemTime;
//! use udrv_boards::catalog::{self, ChipSpec, Quantity, Sequence};
//! use udrv_boards::r#virtual::{Peripherals, VirtualBoard};
//!
//! let spec: ChipSpec = "bme280@i2c-1:0x76".parse().unwrap();
//! let board = VirtualBoard::new();
//! let bus = board.i2c_bus("i2c-1").unwrap();
//! let mut seq = Sequence::new();
//! let read = catalog::read_i2c(&spec, bus, &mut board.delay(), &mut seq, SystemTime::now())
//!     .unwrap();
//! let t = read.get(Quantity::Temperature, None).unwrap();
//! assert_eq!((t.unit(), t.seq), ("°C", 1));
//! println!("{}", serde_json::to_string(t).unwrap());
//! ```
//!
//! # Where it lives, and why
//!
//! The list of kinds ([`ChipKind`], [`KindInfo`]: names, buses, the datasheets' address
//! options, identification, what a read sends) is `no_std` data in `udrv-drivers`
//! (module `kinds`), beside the drivers it describes: the drivers' `probe` takes its
//! address options from it, and so can a microcontroller. Everything that names Linux
//! buses or needs `std` is here, in `udrv-boards`, the crate that already opens buses by
//! name and holds the virtual board: chip specs ([`ChipSpec`]: `bme280@i2c-1:0x76`),
//! readings ([`Reading`]: quantity, unit, number, where, when, sequence number) with
//! their one serialization, and how each kind is read ([`read_i2c`], [`read_spi`]). A
//! library user gets it without the CLI; the virtual board takes its chips from it; the
//! service will read chips through it ([`ChipReader`]: a chip's bus opened once by its
//! spec, on this machine or on the virtual board, and read as often as asked, through its
//! switch channel when it has one: [`read_i2c_bus`]). No new crate: a catalog crate would sit between
//! `udrv-drivers` and `udrv-boards` and add a layer without adding a boundary.
//!
//! # Readings as data
//!
//! A reading is a [`Quantity`] from a closed vocabulary (`#[non_exhaustive]`: it grows,
//! it takes no typos), its value as an `f64` in the quantity's unit ([`Quantity::unit`]:
//! SI units, or the convention docs/catalog.md gives for the others), the chip's spec
//! with the reading's channel (`ads1115@i2c-1:0x48#ain0`), the time it was taken and a
//! sequence number. [`QuantityInfo`] gives each quantity's Home Assistant component,
//! device class and unit, and its Prometheus base unit and metric name. Bytes a chip
//! returns that are no quantity (IDs, configuration registers, memory) come back as
//! [`Raw`] beside the readings.

mod kernel;
mod open;
mod parts;
pub mod probe;
mod quantity;
mod read;
mod reading;
mod spec;
mod switch;
mod w1;

pub use kernel::{iio_quantity, KernelChip, KernelInterface};
pub use open::{Buses, ChipBus, ChipReader, OpenError};
pub use parts::{parse_number, Channel, I2cBus, SpiDevice, Switch};
pub use quantity::{Quantity, QuantityInfo, UnknownQuantity};
pub use read::{
    read_i2c, read_spi, ReadError, INA219_SHUNT_MICRO_OHM, MCP3X08_VREF_MICROVOLT,
    PCA9685_OSCILLATOR_HZ,
};
pub use reading::{ChipRead, Identity, Raw, Reading, Sequence};
pub use spec::{names, ChipSpec, Location, SpecError};
pub use switch::{read_i2c_bus, AnyI2c, ChipError, WhatAnswers};
pub use udrv_drivers::kinds::{ChipKind, Identification, KindInfo, SpiInfo};
pub use w1::{read_w1, W1Id};
