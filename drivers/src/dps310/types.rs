//! The value types of [`dps310`](super) (re-exported there).

use super::*;

/// Oversampling rate (PM_PRC / TMP_PRC, datasheet §8.3 and §8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Oversampling {
    /// Single measurement.
    #[default]
    X1 = 0,
    /// 2 times.
    X2 = 1,
    /// 4 times.
    X4 = 2,
    /// 8 times.
    X8 = 3,
    /// 16 times (needs the result shift, set by the driver).
    X16 = 4,
    /// 32 times (result shift).
    X32 = 5,
    /// 64 times (result shift).
    X64 = 6,
    /// 128 times (result shift).
    X128 = 7,
}

impl Oversampling {
    /// The compensation scale factor kP / kT (datasheet §4.9.3, table 9 "Compensation
    /// Scale Factors").
    pub const fn scale_factor(self) -> i64 {
        match self {
            Oversampling::X1 => 524_288,
            Oversampling::X2 => 1_572_864,
            Oversampling::X4 => 3_670_016,
            Oversampling::X8 => 7_864_320,
            Oversampling::X16 => 253_952,
            Oversampling::X32 => 516_096,
            Oversampling::X64 => 1_040_384,
            Oversampling::X128 => 2_088_960,
        }
    }

    /// The measurement time in µs (datasheet table 16 "Pressure measurement time": 3.6,
    /// 5.2, 8.4, 14.8, 27.6, 53.2, 104.4, 206.8 ms; temperature takes as long).
    pub const fn measurement_time_us(self) -> u32 {
        match self {
            Oversampling::X1 => 3_600,
            Oversampling::X2 => 5_200,
            Oversampling::X4 => 8_400,
            Oversampling::X8 => 14_800,
            Oversampling::X16 => 27_600,
            Oversampling::X32 => 53_200,
            Oversampling::X64 => 104_400,
            Oversampling::X128 => 206_800,
        }
    }

    /// Whether the result needs P_SHIFT / T_SHIFT (more than 8 times).
    pub const fn needs_shift(self) -> bool {
        self as u8 > Oversampling::X8 as u8
    }

    /// From the 4-bit register field.
    pub fn from_bits(b: u8) -> Option<Self> {
        use Oversampling::*;
        [X1, X2, X4, X8, X16, X32, X64, X128]
            .get(b as usize)
            .copied()
    }
}

/// Measurement rate in background mode (PM_RATE / TMP_RATE, bits 6:4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rate {
    /// 1 per second.
    #[default]
    Hz1 = 0,
    /// 2 per second.
    Hz2 = 1,
    /// 4 per second.
    Hz4 = 2,
    /// 8 per second.
    Hz8 = 3,
    /// 16 per second.
    Hz16 = 4,
    /// 32 per second.
    Hz32 = 5,
    /// 64 per second.
    Hz64 = 6,
    /// 128 per second.
    Hz128 = 7,
}

/// Pressure and temperature configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Config {
    /// Pressure oversampling.
    pub pressure_oversampling: Oversampling,
    /// Pressure rate in background mode.
    pub pressure_rate: Rate,
    /// Temperature oversampling.
    pub temperature_oversampling: Oversampling,
    /// Temperature rate in background mode.
    pub temperature_rate: Rate,
}

/// Operating mode (MEAS_CTRL, bits 2:0 of MEAS_CFG).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Standby (000).
    Idle = 0b000,
    /// One pressure measurement (001).
    CommandPressure = 0b001,
    /// One temperature measurement (010).
    CommandTemperature = 0b010,
    /// Continuous pressure (101).
    BackgroundPressure = 0b101,
    /// Continuous temperature (110).
    BackgroundTemperature = 0b110,
    /// Continuous pressure and temperature (111).
    BackgroundBoth = 0b111,
}

/// The calibration coefficients (datasheet §8.11, registers 10h..21h, two's complement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Calibration {
    /// c0, 12 bits.
    pub c0: i32,
    /// c1, 12 bits.
    pub c1: i32,
    /// c00, 20 bits.
    pub c00: i32,
    /// c10, 20 bits.
    pub c10: i32,
    /// c01, 16 bits.
    pub c01: i32,
    /// c11, 16 bits.
    pub c11: i32,
    /// c20, 16 bits.
    pub c20: i32,
    /// c21, 16 bits.
    pub c21: i32,
    /// c30, 16 bits.
    pub c30: i32,
}

impl Calibration {
    /// Unpack registers 10h..=21h.
    pub fn from_registers(r: &[u8; 18]) -> Self {
        let b = |i: usize| u32::from(r[i]);
        let w = |i: usize| i32::from(i16::from_be_bytes([r[i], r[i + 1]]));
        Self {
            c0: sign_extend((b(0) << 4) | (b(1) >> 4), 12),
            c1: sign_extend(((b(1) & 0x0F) << 8) | b(2), 12),
            c00: sign_extend((b(3) << 12) | (b(4) << 4) | (b(5) >> 4), 20),
            c10: sign_extend(((b(5) & 0x0F) << 16) | (b(6) << 8) | b(7), 20),
            c01: w(8),
            c11: w(10),
            c20: w(12),
            c21: w(14),
            c30: w(16),
        }
    }
}

/// A compensated measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measurement {
    /// Temperature.
    pub temperature: Temperature,
    /// Pressure.
    pub pressure: Pressure,
}
