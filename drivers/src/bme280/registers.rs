//! BME280 register map (datasheet BST-BME280-DS002 §5.3, table 18).

/// First calibration block, 0x88..=0xA1 (26 bytes: dig_T1..dig_P9, reserved, dig_H1).
pub const CALIB00: u8 = 0x88;
/// Chip ID (0x60 for the BME280, 0x58 for the BMP280).
pub const ID: u8 = 0xD0;
/// Soft reset: write [`RESET_MAGIC`].
pub const RESET: u8 = 0xE0;
/// Second calibration block, 0xE1..=0xE7 (dig_H2..dig_H6).
pub const CALIB26: u8 = 0xE1;
/// Humidity oversampling (takes effect after the next `CTRL_MEAS` write).
pub const CTRL_HUM: u8 = 0xF2;
/// Status: bit 3 measuring, bit 0 im_update.
pub const STATUS: u8 = 0xF3;
/// Temperature/pressure oversampling and mode.
pub const CTRL_MEAS: u8 = 0xF4;
/// Standby time, IIR filter, SPI 3-wire.
pub const CONFIG: u8 = 0xF5;
/// First data register (press_msb); 8 bytes up to hum_lsb (0xFE).
pub const PRESS_MSB: u8 = 0xF7;

/// The soft-reset command.
pub const RESET_MAGIC: u8 = 0xB6;
/// BME280 chip ID.
pub const CHIP_ID_BME280: u8 = 0x60;
/// BMP280 chip ID (no humidity).
pub const CHIP_ID_BMP280: u8 = 0x58;

/// Status bit: a conversion is running.
pub const STATUS_MEASURING: u8 = 0b0000_1000;
/// Status bit: NVM data being copied to image registers.
pub const STATUS_IM_UPDATE: u8 = 0b0000_0001;

/// SPI: register address bit 7 set for a read, cleared for a write.
pub const SPI_READ: u8 = 0b1000_0000;
