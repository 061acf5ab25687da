//! The value types of [`sht3x`](super) (re-exported there).

/// Measurement repeatability (duration and noise trade-off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Repeatability {
    /// High: max 15.5 ms.
    #[default]
    High = 0,
    /// Medium: max 6.5 ms.
    Medium = 1,
    /// Low: max 4.5 ms.
    Low = 2,
}

impl Repeatability {
    /// Maximum measurement duration in microseconds (datasheet table 4, low VDD).
    pub fn max_duration_us(self) -> u32 {
        [15_500, 6_500, 4_500][self as usize]
    }
}

/// Periodic measurement rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// 0.5 measurements per second.
    Mps0_5 = 0,
    /// 1 per second.
    Mps1 = 1,
    /// 2 per second.
    Mps2 = 2,
    /// 4 per second.
    Mps4 = 3,
    /// 10 per second.
    Mps10 = 4,
}

/// The status register (datasheet §4.11, table 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u16);

impl Status {
    /// At least one alert pending (bit 15).
    pub fn alert_pending(self) -> bool {
        self.0 & 0x8000 != 0
    }
    /// Heater on (bit 13).
    pub fn heater_on(self) -> bool {
        self.0 & 0x2000 != 0
    }
    /// Humidity tracking alert (bit 11).
    pub fn humidity_alert(self) -> bool {
        self.0 & 0x0800 != 0
    }
    /// Temperature tracking alert (bit 10).
    pub fn temperature_alert(self) -> bool {
        self.0 & 0x0400 != 0
    }
    /// A reset (power-on, soft, general call) happened since the last clear (bit 4).
    pub fn reset_detected(self) -> bool {
        self.0 & 0x0010 != 0
    }
    /// The last command was not processed (bit 1).
    pub fn command_failed(self) -> bool {
        self.0 & 0x0002 != 0
    }
    /// The last write's checksum was wrong (bit 0).
    pub fn write_crc_failed(self) -> bool {
        self.0 & 0x0001 != 0
    }
}

/// One of the four alert limits ("Alert Mode of SHT3x-DIS" application note, §2 and
/// table 2). The ALERT pin goes high when a periodic measurement reaches a *set* limit
/// and low again once it is back past the matching *clear* limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertLimit {
    /// High alert set (default 60 °C, 80 %RH).
    HighSet = 0,
    /// High alert clear (default 58 °C, 79 %RH).
    HighClear = 1,
    /// Low alert clear (default -9 °C, 22 %RH).
    LowClear = 2,
    /// Low alert set (default -10 °C, 20 %RH).
    LowSet = 3,
}
