//! The value types of [`shtc3`](super) (re-exported there).

/// Measurement mode (datasheet table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PowerMode {
    /// Normal mode: max 12.1 ms.
    #[default]
    Normal = 0,
    /// Low-power mode: max 0.8 ms, more noise.
    LowPower = 1,
}

impl PowerMode {
    /// Maximum measurement duration in microseconds (datasheet table 5).
    pub fn max_duration_us(self) -> u32 {
        [12_100, 800][self as usize]
    }
}

/// Which quantity the sensor sends first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Temperature, then relative humidity.
    #[default]
    TemperatureFirst = 0,
    /// Relative humidity, then temperature.
    HumidityFirst = 1,
}
