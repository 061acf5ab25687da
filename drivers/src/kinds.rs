//! The chip kinds udrv knows: one typed list, with what the datasheets say about each
//! kind's buses, addresses and identification, and what a read of it sends.
//!
//! This is the one list of chips in udrv. It is `no_std` data beside the drivers so that
//! [`probe`](crate::probe) and any embedded user can use it; `udrv_boards::catalog`
//! builds chip specs (`bme280@i2c-1:0x76`) and readings as data on top of it, and the
//! CLI, the virtual board and the examples take their chips from there.
//!
//! Where udrv's earlier lists disagreed, the datasheet decided (see [`ChipKind::Pca9685`]).

/// A chip kind udrv knows: one per `udrv read` name (aliases name the same kind).
///
/// Adding a kind: a variant here (in `--list` order), its [`KindInfo`] row in the table,
/// how to read it in `udrv_boards::catalog`, and its model test there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ChipKind {
    /// Bosch BME280 (and BMP280): temperature, humidity, pressure; I2C or SPI.
    Bme280,
    /// Sensirion SHT30/SHT31/SHT35: temperature and humidity.
    Sht3x,
    /// Sensirion SHTC3: temperature and humidity.
    Shtc3,
    /// ROHM BH1750FVI: illuminance.
    Bh1750,
    /// LM75 family (LM75A/B, DS75): temperature.
    Lm75,
    /// TI TMP102: temperature.
    Tmp102,
    /// TI ADS1115: 16-bit ADC, four inputs.
    Ads1115,
    /// TI ADS1015: 12-bit ADC, four inputs.
    Ads1015,
    /// TI INA219: bus and shunt voltage, current, power.
    Ina219,
    /// Maxim DS3231 (DS3232): real-time clock with a temperature sensor.
    Ds3231,
    /// Maxim DS1307: real-time clock.
    Ds1307,
    /// Maxim DS1338: real-time clock with an oscillator-stop flag.
    Ds1338,
    /// Infineon DPS310: temperature and pressure.
    Dps310,
    /// NXP/TI PCA9548A/TCA9548A: 8-channel I2C switch.
    Pca9548,
    /// NXP/TI PCA9546A/TCA9546A: 4-channel I2C switch.
    Pca9546,
    /// Microchip MCP23017: 16 GPIOs on I2C.
    Mcp23017,
    /// Microchip MCP23S17: 16 GPIOs on SPI, hardware address A2..A0.
    Mcp23s17,
    /// NXP/TI PCA9554/PCA9554A/TCA9554: 8 GPIOs.
    Pca9554,
    /// NXP/TI PCA9535/TCA9535: 16 GPIOs.
    Pca9535,
    /// NXP PCA9685: 16-channel PWM.
    ///
    /// Addresses 0x40-0x77 except 0x70. udrv's lists disagreed (the CLI had 0x40-0x77,
    /// the probe 0x40-0x7f except 0x70); the PCA9685 datasheet (Rev. 4, §7.1) gives A5..A0
    /// = 0x40-0x7f, but 0x70 is the LED All Call address every PCA9685 answers from
    /// power-up ("must not be used as a regular I2C-bus slave address", §7.1.2), and
    /// 0x78-0x7f are reserved by the I2C-bus specification (UM10204, §3.1.12: 10-bit
    /// addressing and future use), which the datasheet says to heed and which no udrv
    /// command scans.
    Pca9685,
    /// Microchip/Atmel AT24C32 (and larger, 2 address bytes): EEPROM.
    At24c32,
    /// Microchip/Atmel AT24C02 (and smaller, 1 address byte): EEPROM.
    At24c02,
    /// Microchip MCP3008: 10-bit ADC, 8 inputs, SPI.
    Mcp3008,
    /// Microchip MCP3208: 12-bit ADC, 8 inputs, SPI.
    Mcp3208,
    /// Winbond W25Q SPI NOR flash (W25Q16/32/64/128).
    W25q32,
    /// Maxim MAX31855: thermocouple converter, SPI.
    Max31855,
    /// Maxim DS18B20 and the other 1-Wire thermometers the Linux kernel's `w1_therm`
    /// driver reads (DS1822, DS18S20, DS1825/MAX31850, DS28EA00): temperature, read
    /// through the kernel (`ds18b20@w1:28-00000a1b2c3d`); the family code of the device's
    /// 1-Wire ID says which chip it is.
    Ds18b20,
}

/// A chip's SPI interface as udrv drives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpiInfo {
    /// The clock udrv sets (mode 0, 8-bit words), within the datasheet's limit.
    pub max_hz: u32,
    /// Whether several of the chip share one chip select, told apart by hardware address
    /// pins A2..A0 (`mcp23s17@spidev0.0:5`).
    pub hardware_address: bool,
}

/// What tells a chip of this kind from another at the same address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identification {
    /// Nothing: whatever answers is read as this kind, and `probe` lists it only as a
    /// candidate for its address.
    None,
    /// An ID register: a write of register pointer `pointer`, then a one-byte read, gives
    /// one of `ids`. `probe` reads it (a read changes nothing) and so does every read.
    IdRegister {
        /// The register.
        pointer: u8,
        /// The values the kind's chips hold there.
        ids: &'static [u8],
    },
    /// An ID read by a command (a write the chip acts on): every read sends it, `probe`
    /// does not (at the same address a switch would take it as its channel selection).
    IdCommand {
        /// The command, as sent.
        command: &'static [u8],
    },
    /// The JEDEC ID (SPI command 0x9f): manufacturer, memory type, capacity.
    JedecId,
    /// No ID register, but register values `probe` recognises (power-on values, bits
    /// that always read 0): it reads the registers at these pointers, nothing more.
    Registers {
        /// The registers `probe` reads.
        pointers: &'static [u8],
        /// How many bytes it reads at each pointer (a block of consecutive registers
        /// when more than the register's width).
        bytes: u8,
    },
    /// A plain read (no pointer written) of `bytes` bytes is what `probe` recognises:
    /// a register file in order, or the answer of an EEPROM's address range.
    PlainRead {
        /// How many bytes.
        bytes: u8,
    },
}

impl Identification {
    /// Whether `udrv probe` names the kind from what it reads (register reads only).
    pub fn probe_identifies(self) -> bool {
        matches!(
            self,
            Identification::IdRegister { .. }
                | Identification::Registers { .. }
                | Identification::PlainRead { .. }
        )
    }

    /// Whether every read checks the chip's identity (a read of another chip fails).
    pub fn read_checks(self) -> bool {
        matches!(
            self,
            Identification::IdRegister { .. }
                | Identification::IdCommand { .. }
                | Identification::JedecId
        )
    }
}

/// What udrv knows about one chip kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindInfo {
    /// The kind.
    pub kind: ChipKind,
    /// The name to type (`bme280`).
    pub name: &'static str,
    /// Other accepted names (`bmp280`, `sht31`).
    pub aliases: &'static [&'static str],
    /// The I2C addresses the chip can have, the usual one first; empty: no I2C.
    pub addresses: &'static [u8],
    /// The SPI interface, if any.
    pub spi: Option<SpiInfo>,
    /// What tells it apart.
    pub identification: Identification,
    /// The register (or command) that identifies the chip, in words
    /// (`udrv read --list`); `None` when it has none.
    pub id_text: Option<&'static str>,
    /// What a read sends to the chip (`udrv read --list`).
    pub reads: &'static str,
    /// The 1-Wire family codes of its chips (the first byte of a 1-Wire ID); empty: no
    /// 1-Wire.
    pub w1_families: &'static [u8],
}

mod table;

impl ChipKind {
    /// Every kind, in `udrv read --list` order.
    pub const ALL: [ChipKind; 27] = [
        ChipKind::Bme280,
        ChipKind::Sht3x,
        ChipKind::Shtc3,
        ChipKind::Bh1750,
        ChipKind::Lm75,
        ChipKind::Tmp102,
        ChipKind::Ads1115,
        ChipKind::Ads1015,
        ChipKind::Ina219,
        ChipKind::Ds3231,
        ChipKind::Ds1307,
        ChipKind::Ds1338,
        ChipKind::Dps310,
        ChipKind::Pca9548,
        ChipKind::Pca9546,
        ChipKind::Mcp23017,
        ChipKind::Mcp23s17,
        ChipKind::Pca9554,
        ChipKind::Pca9535,
        ChipKind::Pca9685,
        ChipKind::At24c32,
        ChipKind::At24c02,
        ChipKind::Mcp3008,
        ChipKind::Mcp3208,
        ChipKind::W25q32,
        ChipKind::Max31855,
        ChipKind::Ds18b20,
    ];

    /// Everything udrv knows about the kind.
    pub fn info(self) -> &'static KindInfo {
        // The table holds the kinds in `ALL` order (checked by a test).
        &table::KINDS[self as usize]
    }

    /// The name to type (`bme280`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The I2C addresses the chip can have, the usual one first; empty: no I2C.
    pub fn addresses(self) -> &'static [u8] {
        self.info().addresses
    }

    /// The SPI interface, if any.
    pub fn spi(self) -> Option<SpiInfo> {
        self.info().spi
    }

    /// The 1-Wire family codes of its chips; empty: no 1-Wire.
    pub fn w1_families(self) -> &'static [u8] {
        self.info().w1_families
    }

    /// Whether the kind has an I2C interface.
    pub fn has_i2c(self) -> bool {
        !self.addresses().is_empty()
    }

    /// What tells it apart.
    pub fn identification(self) -> Identification {
        self.info().identification
    }

    /// Whether the chip can answer at `address`.
    pub fn can_be_at(self, address: u8) -> bool {
        self.addresses().contains(&address)
    }

    /// The kind called `name` or one of its aliases, in any case, blanks around ignored.
    pub fn find(name: &str) -> Option<ChipKind> {
        let n = name.trim();
        Self::ALL.into_iter().find(|k| {
            let i = k.info();
            i.name.eq_ignore_ascii_case(n) || i.aliases.iter().any(|a| a.eq_ignore_ascii_case(n))
        })
    }

    /// The kinds that can answer at I2C address `address`, in list order.
    pub fn candidates(address: u8) -> impl Iterator<Item = ChipKind> {
        Self::ALL.into_iter().filter(move |k| k.can_be_at(address))
    }
}

impl core::fmt::Display for ChipKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The addresses as text, as `udrv read --list` prints them: `0x76, 0x77`, or a run of
/// more than three consecutive ones as `0x48-0x4f`, runs and single ones joined by `, `.
pub fn write_addresses(f: &mut impl core::fmt::Write, addresses: &[u8]) -> core::fmt::Result {
    let mut i = 0;
    while i < addresses.len() {
        let mut j = i;
        while j + 1 < addresses.len() && addresses[j + 1] == addresses[j].wrapping_add(1) {
            j += 1;
        }
        if i > 0 {
            f.write_str(", ")?;
        }
        if j - i >= 3 {
            write!(f, "{:#04x}-{:#04x}", addresses[i], addresses[j])?;
            i = j + 1;
        } else {
            write!(f, "{:#04x}", addresses[i])?;
            i += 1;
        }
    }
    Ok(())
}
