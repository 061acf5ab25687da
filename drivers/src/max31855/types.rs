//! The value types of [`max31855`](super) (re-exported there).

use super::*;

/// The fault bits (datasheet table 2, D2..D0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Faults {
    /// D0: thermocouple open (no connection).
    pub open_circuit: bool,
    /// D1: thermocouple shorted to GND.
    pub short_to_gnd: bool,
    /// D2: thermocouple shorted to VCC.
    pub short_to_vcc: bool,
}

/// A reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Cold-junction compensated thermocouple temperature (0.25 °C steps).
    pub thermocouple: Temperature,
    /// Internal (cold junction) temperature (0.0625 °C steps, rounded to the m°C).
    pub internal: Temperature,
}
