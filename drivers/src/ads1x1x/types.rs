//! The value types of [`ads1x1x`](super) (re-exported there).

/// Which chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// 16-bit, 8..860 SPS.
    Ads1115,
    /// 12-bit, 128..3300 SPS (result left-justified).
    Ads1015,
}

/// Input multiplexer setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    /// AIN0 - AIN1 (power-on default).
    #[default]
    DiffA0A1 = 0,
    /// AIN0 - AIN3.
    DiffA0A3 = 1,
    /// AIN1 - AIN3.
    DiffA1A3 = 2,
    /// AIN2 - AIN3.
    DiffA2A3 = 3,
    /// AIN0 - GND.
    SingleA0 = 4,
    /// AIN1 - GND.
    SingleA1 = 5,
    /// AIN2 - GND.
    SingleA2 = 6,
    /// AIN3 - GND.
    SingleA3 = 7,
}

/// Programmable gain amplifier: full-scale range (datasheet table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FullScale {
    /// ±6.144 V.
    V6_144 = 0,
    /// ±4.096 V.
    V4_096 = 1,
    /// ±2.048 V (power-on default).
    #[default]
    V2_048 = 2,
    /// ±1.024 V.
    V1_024 = 3,
    /// ±0.512 V.
    V0_512 = 4,
    /// ±0.256 V.
    V0_256 = 5,
}

impl FullScale {
    /// The full-scale voltage in microvolts.
    pub fn microvolts(self) -> i32 {
        [6_144_000, 4_096_000, 2_048_000, 1_024_000, 512_000, 256_000][self as usize]
    }
}

/// Data rate (samples per second); the meaning of each code depends on the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataRate {
    /// ADS1115 8 SPS, ADS1015 128 SPS.
    R0 = 0,
    /// ADS1115 16 SPS, ADS1015 250 SPS.
    R1 = 1,
    /// ADS1115 32 SPS, ADS1015 490 SPS.
    R2 = 2,
    /// ADS1115 64 SPS, ADS1015 920 SPS.
    R3 = 3,
    /// ADS1115 128 SPS (default), ADS1015 1600 SPS (default).
    #[default]
    R4 = 4,
    /// ADS1115 250 SPS, ADS1015 2400 SPS.
    R5 = 5,
    /// ADS1115 475 SPS, ADS1015 3300 SPS.
    R6 = 6,
    /// ADS1115 860 SPS, ADS1015 3300 SPS.
    R7 = 7,
}

impl DataRate {
    /// Samples per second for `variant` (datasheet table 8, DR field).
    pub fn sps(self, variant: Variant) -> u32 {
        match variant {
            Variant::Ads1115 => [8, 16, 32, 64, 128, 250, 475, 860][self as usize],
            Variant::Ads1015 => [128, 250, 490, 920, 1600, 2400, 3300, 3300][self as usize],
        }
    }
}

/// Comparator behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComparatorMode {
    /// Asserts above the high threshold, releases below the low threshold.
    #[default]
    Traditional,
    /// Asserts outside the window [low, high].
    Window,
}

/// Comparator queue: conversions beyond a threshold before ALERT asserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComparatorQueue {
    /// One conversion.
    #[default]
    One = 0,
    /// Two conversions.
    Two = 1,
    /// Four conversions.
    Four = 2,
}

/// Comparator / ALERT-RDY configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Comparator {
    /// Traditional or window.
    pub mode: ComparatorMode,
    /// ALERT/RDY active high (default active low).
    pub active_high: bool,
    /// Latch the alert until the conversion register is read.
    pub latching: bool,
    /// Queue length.
    pub queue: ComparatorQueue,
}
