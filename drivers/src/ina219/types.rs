//! The value types of [`ina219`](super) (re-exported there).

use super::*;

/// Bus voltage full-scale range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BusRange {
    /// 16 V.
    V16,
    /// 32 V (power-on default).
    #[default]
    V32,
}

/// PGA gain: shunt voltage full-scale range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShuntRange {
    /// ±40 mV (gain 1).
    Mv40 = 0,
    /// ±80 mV (gain /2).
    Mv80 = 1,
    /// ±160 mV (gain /4).
    Mv160 = 2,
    /// ±320 mV (gain /8, power-on default).
    #[default]
    Mv320 = 3,
}

/// ADC resolution or averaging (BADC / SADC field values, datasheet table 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Adc {
    /// 9 bits, 84 µs.
    Bits9 = 0b0000,
    /// 10 bits, 148 µs.
    Bits10 = 0b0001,
    /// 11 bits, 276 µs.
    Bits11 = 0b0010,
    /// 12 bits, 532 µs (power-on default).
    #[default]
    Bits12 = 0b0011,
    /// 12 bits, 2 samples averaged, 1.06 ms.
    Avg2 = 0b1001,
    /// 4 samples, 2.13 ms.
    Avg4 = 0b1010,
    /// 8 samples, 4.26 ms.
    Avg8 = 0b1011,
    /// 16 samples, 8.51 ms.
    Avg16 = 0b1100,
    /// 32 samples, 17.02 ms.
    Avg32 = 0b1101,
    /// 64 samples, 34.05 ms.
    Avg64 = 0b1110,
    /// 128 samples, 68.10 ms.
    Avg128 = 0b1111,
}

/// Operating mode (datasheet table 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Power-down.
    PowerDown = 0,
    /// Shunt voltage, triggered.
    ShuntTriggered = 1,
    /// Bus voltage, triggered.
    BusTriggered = 2,
    /// Shunt and bus, triggered.
    ShuntBusTriggered = 3,
    /// ADC off.
    AdcOff = 4,
    /// Shunt voltage, continuous.
    ShuntContinuous = 5,
    /// Bus voltage, continuous.
    BusContinuous = 6,
    /// Shunt and bus, continuous (power-on default).
    #[default]
    ShuntBusContinuous = 7,
}

/// The configuration register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Config {
    /// Bus voltage range.
    pub bus_range: BusRange,
    /// Shunt voltage range.
    pub shunt_range: ShuntRange,
    /// Bus ADC.
    pub bus_adc: Adc,
    /// Shunt ADC.
    pub shunt_adc: Adc,
    /// Mode.
    pub mode: Mode,
}

impl Config {
    /// The register value (`Config::default()` is 0x399F, the power-on value).
    pub fn bits(&self) -> u16 {
        let mut v = (self.shunt_range as u16) << PG_SHIFT
            | (self.bus_adc as u16) << BADC_SHIFT
            | (self.shunt_adc as u16) << SADC_SHIFT
            | self.mode as u16;
        if self.bus_range == BusRange::V32 {
            v |= BRNG;
        }
        v
    }
}

/// A bus voltage reading with its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusVoltage {
    /// The voltage (4 mV steps).
    pub voltage: Voltage,
    /// CNVR: a conversion finished since the last power read or config write.
    pub conversion_ready: bool,
    /// OVF: current or power calculations overflowed.
    pub overflow: bool,
}

/// What [`Ina219::measure_with_shunt`] reads, decoded with the shunt resistance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShuntMeasurement {
    /// The shunt voltage (10 µV steps).
    pub shunt: Voltage,
    /// The bus voltage, with the CNVR and OVF flags (OVF is about the chip's own current
    /// and power registers, which this measurement does not use).
    pub bus: BusVoltage,
    /// The current through the shunt: [`shunt_current`].
    pub current: Current,
    /// The power: the bus voltage × the current, [`power_from`].
    pub power: Power,
}
