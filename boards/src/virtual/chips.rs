//! The virtual board's chips: which kind of chip sits where, as typed data. The kinds,
//! their address options and the specs (`bme280@i2c-1:0x76`) come from the catalog
//! ([`crate::catalog`]); this table says only which of them the board has and where each
//! is wired, and the board attaches its models from it.

use crate::catalog::{ChipKind, ChipSpec, I2cBus, Location, SpiDevice, Switch};

/// The number of the virtual board's I2C bus (`i2c-1`).
pub const I2C_BUS: u32 = 1;

/// The address of the virtual board's PCA9548 I2C switch on `i2c-1`.
pub const SWITCH: u8 = 0x73;

/// The PCA9548 channel with the room's LM75 behind it.
pub const ROOM_CHANNEL: u8 = 2;

/// The PCA9548 channel with the outdoor LM75 behind it.
pub const OUTDOOR_CHANNEL: u8 = 5;

/// Where a chip of the virtual board is wired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Wiring {
    /// On `i2c-1` itself.
    I2c {
        /// The chip's 7-bit address (one of its kind's, [`ChipKind::addresses`]).
        address: u8,
    },
    /// On `i2c-1` behind a channel of the PCA9548 at [`SWITCH`].
    Switched {
        /// The switch channel (0-7).
        channel: u8,
        /// The chip's 7-bit address.
        address: u8,
    },
    /// On an SPI device, `spidevBUS.CS`.
    Spi {
        /// The SPI bus.
        bus: u32,
        /// The chip select.
        cs: u32,
    },
}

/// One chip of the virtual board, for listings and `udrv --board virtual read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VirtualChip {
    kind: ChipKind,
    wiring: Wiring,
    what: &'static str,
}

impl VirtualChip {
    /// The chip's kind in the catalog.
    pub fn kind(&self) -> ChipKind {
        self.kind
    }

    /// Where it is wired.
    pub fn wiring(&self) -> Wiring {
        self.wiring
    }

    /// What it measures or does on this board.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// The chip's name as `udrv read` spells it (`bme280`): its kind's name.
    pub fn chip(&self) -> &'static str {
        self.kind.name()
    }

    /// The I2C address (`None` on SPI).
    pub fn address(&self) -> Option<u8> {
        match self.wiring {
            Wiring::I2c { address } | Wiring::Switched { address, .. } => Some(address),
            Wiring::Spi { .. } => None,
        }
    }

    /// The chip's spec in the catalog (kind, bus, switch channel, address), built from
    /// its parts and checked by the catalog (the address is one of the kind's).
    ///
    /// # Panics
    /// Never for the chips of [`CHIPS`] (a test builds every one).
    pub fn chip_spec(&self) -> ChipSpec {
        let location = match self.wiring {
            Wiring::I2c { address } => Location::I2c {
                bus: I2cBus::Number(I2C_BUS),
                switch: None,
                address,
            },
            Wiring::Switched { channel, address } => Location::I2c {
                bus: I2cBus::Number(I2C_BUS),
                switch: Switch::new(SWITCH, channel),
                address,
            },
            Wiring::Spi { bus, cs } => Location::Spi {
                device: SpiDevice::Spidev { bus, cs },
                hardware_address: None,
            },
        };
        ChipSpec::new(self.kind, location, None)
            .unwrap_or_else(|e| panic!("the virtual board's {}: {e}", self.kind))
    }

    /// `bme280@i2c-1:0x76`, `bme280@spidev1.0`: the `udrv read` argument, as the
    /// catalog prints [`chip_spec`](Self::chip_spec).
    pub fn spec(&self) -> String {
        self.chip_spec().to_string()
    }

    /// The bus as a spec names it: `i2c-1`, `spidev1.0`; `i2c-1/0x73.2` for channel 2 of
    /// the switch at 0x73 on `i2c-1`.
    pub fn bus(&self) -> String {
        match self.chip_spec().location() {
            Location::I2c {
                bus,
                switch: Some(s),
                ..
            } => format!("{bus}/{:#04x}.{}", s.address(), s.channel()),
            Location::I2c { bus, .. } => bus.to_string(),
            Location::Spi { device, .. } => device.to_string(),
            Location::W1 { .. } => "w1".to_string(),
        }
    }
}

/// The one chip of `kind` that `wired` accepts.
fn find(kind: ChipKind, wired: impl Fn(Wiring) -> bool) -> &'static VirtualChip {
    let mut found = CHIPS.iter().filter(|c| c.kind == kind && wired(c.wiring));
    match (found.next(), found.next()) {
        (Some(c), None) => c,
        _ => panic!("CHIPS has not exactly one such {kind}"),
    }
}

/// The address of the chip of `kind` on `i2c-1` itself, as [`CHIPS`] gives it.
pub(super) fn on_bus(kind: ChipKind) -> u8 {
    let c = find(kind, |w| matches!(w, Wiring::I2c { .. }));
    c.address().unwrap_or_default()
}

/// The address of the chip of `kind` behind switch channel `channel`, as [`CHIPS`] gives
/// it.
pub(super) fn behind(kind: ChipKind, channel: u8) -> u8 {
    let c = find(
        kind,
        |w| matches!(w, Wiring::Switched { channel: ch, .. } if ch == channel),
    );
    c.address().unwrap_or_default()
}

/// The SPI bus and chip select of the chip of `kind`, as [`CHIPS`] gives them.
pub(super) fn on_spi(kind: ChipKind) -> (u32, u32) {
    match find(kind, |w| matches!(w, Wiring::Spi { .. })).wiring {
        Wiring::Spi { bus, cs } => (bus, cs),
        _ => unreachable!("find kept SPI wiring only"),
    }
}

/// Every chip of the virtual board, in the order `udrv --board virtual read` prints them.
pub const CHIPS: &[VirtualChip] = &[
    VirtualChip {
        kind: ChipKind::Bme280,
        wiring: Wiring::I2c { address: 0x76 },
        what: "room temperature, humidity, pressure",
    },
    VirtualChip {
        kind: ChipKind::Sht3x,
        wiring: Wiring::I2c { address: 0x44 },
        what: "room temperature and humidity, by the window",
    },
    VirtualChip {
        kind: ChipKind::Lm75,
        wiring: Wiring::I2c { address: 0x4f },
        what: "board temperature",
    },
    VirtualChip {
        kind: ChipKind::Ads1115,
        wiring: Wiring::I2c { address: 0x48 },
        what: "AIN0 potentiometer, AIN1 light sensor, AIN2 1.25 V reference, AIN3 ground",
    },
    VirtualChip {
        kind: ChipKind::Ina219,
        wiring: Wiring::I2c { address: 0x40 },
        what: "5 V rail and load current (0.1 ohm shunt; the heater draws 1.5 A)",
    },
    VirtualChip {
        kind: ChipKind::Ds3231,
        wiring: Wiring::I2c { address: 0x68 },
        what: "real-time clock (set at start to the board's clock: UTC on the wall clock)",
    },
    VirtualChip {
        kind: ChipKind::Mcp23017,
        wiring: Wiring::I2c { address: 0x20 },
        what: "16 GPIOs, buttons on GPA0-GPA3 (INTA on GPIO17)",
    },
    VirtualChip {
        kind: ChipKind::Pca9554,
        wiring: Wiring::I2c { address: 0x21 },
        what: "8 GPIOs: DIP switches on IO4-IO7 (on, off, on, off), IO0-IO3 free (INT on GPIO24)",
    },
    VirtualChip {
        kind: ChipKind::Pca9685,
        wiring: Wiring::I2c { address: 0x41 },
        what: "16-channel PWM (all-call address moved to 0x6f: 0x70 is the SHTC3's)",
    },
    VirtualChip {
        kind: ChipKind::At24c32,
        wiring: Wiring::I2c { address: 0x50 },
        what: "4 KiB EEPROM (an ID record at 0x0000)",
    },
    VirtualChip {
        kind: ChipKind::Dps310,
        wiring: Wiring::I2c { address: 0x77 },
        what: "barometer (room)",
    },
    VirtualChip {
        kind: ChipKind::Pca9548,
        wiring: Wiring::I2c { address: SWITCH },
        what: "I2C switch: LM75 @0x49 on channel 2 (room) and on channel 5 (outdoors)",
    },
    VirtualChip {
        kind: ChipKind::Lm75,
        wiring: Wiring::Switched {
            channel: ROOM_CHANNEL,
            address: 0x49,
        },
        what: "room temperature, behind channel 2 of the PCA9548",
    },
    VirtualChip {
        kind: ChipKind::Lm75,
        wiring: Wiring::Switched {
            channel: OUTDOOR_CHANNEL,
            address: 0x49,
        },
        what: "outdoor temperature, behind channel 5 of the PCA9548",
    },
    VirtualChip {
        kind: ChipKind::Bh1750,
        wiring: Wiring::I2c { address: 0x23 },
        what: "ambient light in the room (30-800 lx)",
    },
    VirtualChip {
        kind: ChipKind::Shtc3,
        wiring: Wiring::I2c { address: 0x70 },
        what: "room temperature and humidity, by the door",
    },
    VirtualChip {
        kind: ChipKind::Mcp3008,
        wiring: Wiring::Spi { bus: 0, cs: 0 },
        what: "10-bit ADC, 3.3 V reference: joystick X/Y on CH0/CH1, 1.65 V on CH2",
    },
    VirtualChip {
        kind: ChipKind::Max31855,
        wiring: Wiring::Spi { bus: 0, cs: 1 },
        what: "type-K thermocouple in an oven (160-200 °C)",
    },
    VirtualChip {
        kind: ChipKind::Bme280,
        wiring: Wiring::Spi { bus: 1, cs: 0 },
        what: "outdoor temperature, humidity, pressure",
    },
    VirtualChip {
        kind: ChipKind::W25q32,
        wiring: Wiring::Spi { bus: 1, cs: 1 },
        what: "4 MiB SPI NOR flash (a text at 0x000000)",
    },
    VirtualChip {
        kind: ChipKind::Mcp23s17,
        wiring: Wiring::Spi { bus: 1, cs: 2 },
        what: "16 GPIOs over SPI (A2..A0 low): a DIP switch on GPB0-GPB3 set to 0101",
    },
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_chip_has_a_catalog_spec_and_a_place_of_its_own() {
        let (mut on_the_bus, mut switched, mut spi) =
            (HashSet::new(), HashSet::new(), HashSet::new());
        for c in CHIPS {
            // Built from its parts: the catalog checks the kind has the bus and the address.
            let spec = c.chip_spec();
            assert_eq!(spec.kind(), c.kind());
            assert_eq!(spec.address(), c.address());
            assert_eq!(Ok(spec.clone()), c.spec().parse(), "{spec}");
            // One chip per place, and the board finds each by its kind and place.
            match c.wiring() {
                Wiring::I2c { address } => {
                    assert!(on_the_bus.insert(address), "{spec} shares its address");
                    assert_eq!(on_bus(c.kind()), address, "{spec}");
                }
                Wiring::Switched { channel, address } => {
                    assert!(
                        switched.insert((channel, address)),
                        "{spec} shares its place"
                    );
                    assert_eq!(behind(c.kind(), channel), address, "{spec}");
                }
                Wiring::Spi { bus, cs } => {
                    assert!(spi.insert((bus, cs)), "{spec} shares its chip select");
                    assert_eq!(on_spi(c.kind()), (bus, cs), "{spec}");
                }
            }
        }
        // An enabled channel joins the bus: no chip behind one has a bus chip's address.
        for (_, address) in &switched {
            assert!(
                !on_the_bus.contains(address),
                "{address:#04x} on the bus and behind the switch"
            );
        }
        assert!(on_the_bus.contains(&SWITCH));
    }
}
