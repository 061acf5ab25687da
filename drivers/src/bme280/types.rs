//! BME280 configuration types, calibration and measurements.

use crate::{Humidity, Pressure, Temperature};

/// Oversampling of one measurement (`osrs_x` fields, datasheet §5.4.3-5.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Oversampling {
    /// Measurement skipped (output 0x80000 / 0x8000).
    Skipped = 0,
    /// ×1.
    #[default]
    X1 = 1,
    /// ×2.
    X2 = 2,
    /// ×4.
    X4 = 3,
    /// ×8.
    X8 = 4,
    /// ×16.
    X16 = 5,
}

/// IIR filter coefficient (`filter` field, datasheet §3.4.4, table 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    /// Off.
    #[default]
    Off = 0,
    /// Coefficient 2.
    X2 = 1,
    /// Coefficient 4.
    X4 = 2,
    /// Coefficient 8.
    X8 = 3,
    /// Coefficient 16.
    X16 = 4,
}

/// Inactive time between normal-mode measurements (`t_sb`, BME280 datasheet table 27).
/// On a BMP280 the last two codes mean 2000 ms and 4000 ms instead of 10 ms and 20 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Standby {
    /// 0.5 ms.
    #[default]
    Ms0_5 = 0,
    /// 62.5 ms.
    Ms62_5 = 1,
    /// 125 ms.
    Ms125 = 2,
    /// 250 ms.
    Ms250 = 3,
    /// 500 ms.
    Ms500 = 4,
    /// 1000 ms.
    Ms1000 = 5,
    /// 10 ms.
    Ms10 = 6,
    /// 20 ms.
    Ms20 = 7,
}

/// Sensor mode (`mode` field, datasheet §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// No measurements, lowest power (power-on mode).
    #[default]
    Sleep = 0,
    /// One measurement, then back to sleep.
    Forced = 1,
    /// Continuous measurements separated by the standby time.
    Normal = 3,
}

/// Measurement settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Config {
    /// Temperature oversampling (must not be skipped to compensate the others).
    pub temperature: Oversampling,
    /// Pressure oversampling.
    pub pressure: Oversampling,
    /// Humidity oversampling (BME280 only).
    pub humidity: Oversampling,
    /// IIR filter.
    pub filter: Filter,
    /// Normal-mode standby time.
    pub standby: Standby,
}

impl Config {
    /// Maximum measurement time in microseconds (datasheet §9.1, appendix B):
    /// 1.25 ms + 2.3 ms × T + (2.3 ms × P + 0.575 ms) + (2.3 ms × H + 0.575 ms),
    /// where T, P, H are the oversampling factors and skipped terms drop out.
    pub fn max_measurement_time_us(&self) -> u32 {
        fn n(o: Oversampling) -> u32 {
            match o {
                Oversampling::Skipped => 0,
                o => 1 << (o as u32 - 1),
            }
        }
        let mut t = 1250 + 2300 * n(self.temperature);
        if self.pressure != Oversampling::Skipped {
            t += 2300 * n(self.pressure) + 575;
        }
        if self.humidity != Oversampling::Skipped {
            t += 2300 * n(self.humidity) + 575;
        }
        t
    }
}

/// Trimming parameters read from the chip's NVM (datasheet §4.2.2, table 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct Calibration {
    pub t1: u16,
    pub t2: i16,
    pub t3: i16,
    pub p1: u16,
    pub p2: i16,
    pub p3: i16,
    pub p4: i16,
    pub p5: i16,
    pub p6: i16,
    pub p7: i16,
    pub p8: i16,
    pub p9: i16,
    pub h1: u8,
    pub h2: i16,
    pub h3: u8,
    pub h4: i16,
    pub h5: i16,
    pub h6: i8,
}

impl Calibration {
    /// Parse the two calibration blocks: 0x88..=0xA1 (26 bytes) and 0xE1..=0xE7 (7 bytes).
    pub fn from_registers(a: &[u8; 26], b: &[u8; 7]) -> Self {
        let u = |i: usize| u16::from_le_bytes([a[i], a[i + 1]]);
        let s = |i: usize| u(i) as i16;
        Self {
            t1: u(0),
            t2: s(2),
            t3: s(4),
            p1: u(6),
            p2: s(8),
            p3: s(10),
            p4: s(12),
            p5: s(14),
            p6: s(16),
            p7: s(18),
            p8: s(20),
            p9: s(22),
            h1: a[25],
            h2: i16::from_le_bytes([b[0], b[1]]),
            h3: b[2],
            // dig_H4: 0xE4[7:0] -> bits 11:4, 0xE5[3:0] -> bits 3:0 (signed 12 bit).
            h4: (((b[3] as i8 as i16) << 4) | (b[4] & 0x0F) as i16),
            // dig_H5: 0xE6[7:0] -> bits 11:4, 0xE5[7:4] -> bits 3:0 (signed 12 bit).
            h5: (((b[5] as i8 as i16) << 4) | (b[4] >> 4) as i16),
            h6: b[6] as i8,
        }
    }
}

/// Raw ADC outputs from the data registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawData {
    /// 20-bit pressure (0x80000 when skipped).
    pub pressure: u32,
    /// 20-bit temperature (0x80000 when skipped).
    pub temperature: u32,
    /// 16-bit humidity (0x8000 when skipped).
    pub humidity: u16,
}

impl RawData {
    /// Parse the 8 data bytes 0xF7..=0xFE (datasheet §5.4.7-5.4.9).
    pub fn from_registers(d: &[u8; 8]) -> Self {
        let twenty =
            |i: usize| (d[i] as u32) << 12 | (d[i + 1] as u32) << 4 | (d[i + 2] as u32) >> 4;
        Self {
            pressure: twenty(0),
            temperature: twenty(3),
            humidity: u16::from_be_bytes([d[6], d[7]]),
        }
    }
}

/// A compensated measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measurement {
    /// Temperature (0.01 °C resolution from the datasheet formula).
    pub temperature: Temperature,
    /// Pressure, `None` when skipped.
    pub pressure: Option<Pressure>,
    /// Relative humidity, `None` when skipped or on a BMP280.
    pub humidity: Option<Humidity>,
}
