//! The table behind [`ChipKind::info`]: one row per kind, in [`ChipKind::ALL`] order.
//! Addresses are the datasheets' address options, the usual (power-on, pins low or the
//! breakout boards' default) one first.

use super::{ChipKind as K, Identification as Id, KindInfo, SpiInfo};

const fn range<const N: usize>(first: u8) -> [u8; N] {
    let mut a = [0u8; N];
    let mut i = 0;
    while i < N {
        a[i] = first + i as u8;
        i += 1;
    }
    a
}

const A20_27: [u8; 8] = range(0x20);
const A40_4F: [u8; 16] = range(0x40);
const A48_4F: [u8; 8] = range(0x48);
const A48_4B: [u8; 4] = range(0x48);
const A50_57: [u8; 8] = range(0x50);
const A70_77: [u8; 8] = range(0x70);

/// PCA9554 0x20-0x27, PCA9554A 0x38-0x3f (PCA9554/PCA9554A datasheet, §6.1).
const PCA9554: [u8; 16] = {
    let mut a = [0u8; 16];
    let mut i = 0;
    while i < 8 {
        a[i] = 0x20 + i as u8;
        a[8 + i] = 0x38 + i as u8;
        i += 1;
    }
    a
};

/// PCA9685: 0x40-0x77 without the All Call address 0x70 (see [`ChipKind::Pca9685`]).
const PCA9685: [u8; 55] = {
    let mut a = [0u8; 55];
    let mut i = 0;
    let mut x = 0x40u8;
    while x <= 0x77 {
        if x != 0x70 {
            a[i] = x;
            i += 1;
        }
        x += 1;
    }
    a
};

const SPI_1MHZ: Option<SpiInfo> = Some(SpiInfo {
    max_hz: 1_000_000,
    hardware_address: false,
});

const fn row(kind: K, name: &'static str, aliases: &'static [&'static str]) -> KindInfo {
    KindInfo {
        kind,
        name,
        aliases,
        addresses: &[],
        spi: None,
        identification: Id::None,
        id_text: None,
        reads: "",
        w1_families: &[],
    }
}

/// Every kind's row, in [`ChipKind::ALL`] order.
pub(super) const KINDS: [KindInfo; 27] = [
    KindInfo {
        addresses: &[0x76, 0x77],
        spi: SPI_1MHZ,
        identification: Id::IdRegister {
            pointer: 0xd0,
            ids: &[0x60, 0x58],
        },
        id_text: Some("chip ID register 0xd0 (0x60 BME280, 0x58 BMP280)"),
        reads: "reads the ID and calibration, writes ctrl_hum/ctrl_meas/config (oversampling x1, \
                forced mode) and reads the result",
        ..row(K::Bme280, "bme280", &["bmp280"])
    },
    KindInfo {
        addresses: &[0x44, 0x45],
        reads: "sends the single-shot command 0x2400 (high repeatability) and reads 6 bytes",
        ..row(K::Sht3x, "sht3x", &["sht30", "sht31", "sht35"])
    },
    KindInfo {
        addresses: &[0x70],
        identification: Id::IdCommand {
            command: &[0xef, 0xc8],
        },
        id_text: Some("ID register, command 0xefc8"),
        reads: "sends wakeup 0x3517, the measurement command 0x7866 (normal mode, temperature \
                first, no clock stretching), reads 6 bytes after 12.1 ms, then sends sleep \
                0xb098",
        ..row(K::Shtc3, "shtc3", &[])
    },
    KindInfo {
        addresses: &[0x23, 0x5c],
        reads: "sends power on 0x01 and one-time H-resolution 0x20 (1 lx, MTreg 69), reads 2 \
                bytes after 180 ms (the chip powers down by itself)",
        ..row(K::Bh1750, "bh1750", &["bh1750fvi"])
    },
    KindInfo {
        addresses: &A48_4F,
        identification: Id::Registers {
            pointers: &[0x01, 0x02, 0x03],
            bytes: 2,
        },
        reads: "reads the temperature register (9-bit)",
        ..row(K::Lm75, "lm75", &["lm75a", "lm75b", "ds75"])
    },
    KindInfo {
        addresses: &A48_4B,
        identification: Id::Registers {
            pointers: &[0x01, 0x02, 0x03],
            bytes: 2,
        },
        reads: "reads the temperature register",
        ..row(K::Tmp102, "tmp102", &[])
    },
    KindInfo {
        addresses: &A48_4B,
        identification: Id::Registers {
            pointers: &[0x02, 0x03],
            bytes: 2,
        },
        reads: "writes the config register for one single-shot conversion per input \
                (AIN0-AIN3 to GND, +-4.096 V) and reads each result",
        ..row(K::Ads1115, "ads1115", &[])
    },
    KindInfo {
        addresses: &A48_4B,
        reads: "as ads1115, 12-bit",
        ..row(K::Ads1015, "ads1015", &[])
    },
    KindInfo {
        addresses: &A40_4F,
        identification: Id::Registers {
            pointers: &[0x00, 0x02, 0x05],
            bytes: 2,
        },
        reads: "reads the shunt and bus voltage registers (nothing written); the current is \
                computed with a 0.1 ohm shunt",
        ..row(K::Ina219, "ina219", &[])
    },
    KindInfo {
        addresses: &[0x68],
        identification: Id::Registers {
            pointers: &[0x00],
            bytes: 19,
        },
        reads: "reads the time and temperature registers",
        ..row(K::Ds3231, "ds3231", &["ds3232"])
    },
    KindInfo {
        addresses: &[0x68],
        reads: "reads the time registers and the control register (nothing written)",
        ..row(K::Ds1307, "ds1307", &[])
    },
    KindInfo {
        addresses: &[0x68],
        reads: "as ds1307, and the oscillator-stop flag",
        ..row(K::Ds1338, "ds1338", &[])
    },
    KindInfo {
        addresses: &[0x77, 0x76],
        identification: Id::IdRegister {
            pointer: 0x0d,
            ids: &[0x10],
        },
        id_text: Some("product ID register 0x0d (0x10)"),
        reads: "reads the product ID and the coefficients, writes the configuration (1x, \
                1/s), runs one temperature and one pressure measurement (command mode)",
        ..row(K::Dps310, "dps310", &[])
    },
    KindInfo {
        addresses: &A70_77,
        reads: "reads the control register: the enabled channels (nothing written)",
        ..row(K::Pca9548, "pca9548", &["pca9548a", "tca9548a"])
    },
    KindInfo {
        addresses: &A70_77,
        reads: "as pca9548, 4 channels",
        ..row(K::Pca9546, "pca9546", &["pca9546a", "tca9546a"])
    },
    KindInfo {
        addresses: &A20_27,
        identification: Id::PlainRead { bytes: 22 },
        reads: "reads IODIR and GPIO of both ports",
        ..row(K::Mcp23017, "mcp23017", &[])
    },
    KindInfo {
        spi: Some(SpiInfo {
            max_hz: 1_000_000,
            hardware_address: true,
        }),
        reads: "sets SPI mode 0 at 1 MHz, reads IODIR and GPIO of both ports (control byte \
                0x41: hardware address 0, which every MCP23S17 answers while IOCON.HAEN is \
                off, as at power-on; with @spidevB.C:N, address N of chips with HAEN on)",
        ..row(K::Mcp23s17, "mcp23s17", &[])
    },
    KindInfo {
        addresses: &PCA9554,
        reads: "reads the input port and configuration registers",
        ..row(K::Pca9554, "pca9554", &["pca9554a", "tca9554"])
    },
    KindInfo {
        addresses: &A20_27,
        reads: "reads the input port and configuration registers of both ports",
        ..row(K::Pca9535, "pca9535", &["tca9535"])
    },
    KindInfo {
        addresses: &PCA9685,
        identification: Id::Registers {
            pointers: &[0x00, 0x01, 0xfe, 0xfa],
            bytes: 1,
        },
        reads: "reads MODE1, PRE_SCALE and the 16 channel registers",
        ..row(K::Pca9685, "pca9685", &[])
    },
    KindInfo {
        addresses: &A50_57,
        identification: Id::PlainRead { bytes: 1 },
        reads: "reads the first 32 bytes (sets the address pointer to 0x0000)",
        ..row(K::At24c32, "at24c32", &["24c32", "at24c64", "24c64"])
    },
    KindInfo {
        addresses: &A50_57,
        reads: "reads the first 32 bytes (sets the address pointer to 0x00)",
        ..row(K::At24c02, "at24c02", &["24c02", "at24c01"])
    },
    KindInfo {
        spi: SPI_1MHZ,
        reads: "sets SPI mode 0 at 1 MHz, converts CH0-CH7 against AGND (3 bytes per channel), \
                3.3 V reference",
        ..row(K::Mcp3008, "mcp3008", &[])
    },
    KindInfo {
        spi: SPI_1MHZ,
        reads: "as mcp3008, 12-bit",
        ..row(K::Mcp3208, "mcp3208", &[])
    },
    KindInfo {
        spi: SPI_1MHZ,
        identification: Id::JedecId,
        id_text: Some("JEDEC ID, command 0x9f (manufacturer, type, capacity)"),
        reads: "sets SPI mode 0 at 1 MHz, reads the JEDEC ID, status register 1 and the first \
                16 bytes (nothing written)",
        ..row(
            K::W25q32,
            "w25q32",
            &["w25q", "w25q16", "w25q64", "w25q128"],
        )
    },
    KindInfo {
        spi: Some(SpiInfo {
            max_hz: 4_000_000,
            hardware_address: false,
        }),
        reads: "sets SPI mode 0 at 4 MHz and reads its 32-bit word (MOSI is not connected)",
        ..row(K::Max31855, "max31855", &[])
    },
    KindInfo {
        // The families w1_therm drives (drivers/w1/slaves/w1_therm.c): DS18S20 0x10,
        // DS1822 0x22, DS18B20 0x28, DS1825/MAX31850 0x3b, DS28EA00 0x42.
        w1_families: &[0x28, 0x22, 0x10, 0x3b, 0x42],
        reads: "reads w1_slave through the kernel's w1_therm driver (one conversion, up to 750 \
                ms; the kernel's CRC verdict checked)",
        ..row(
            K::Ds18b20,
            "ds18b20",
            &["ds1822", "ds18s20", "ds1825", "max31850", "ds28ea00"],
        )
    },
];
