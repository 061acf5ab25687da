//! LM75 / TMP102 configuration types.

/// How the OS / ALERT output behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OsMode {
    /// Active while above the high threshold, until below the low threshold (thermostat).
    #[default]
    Comparator,
    /// Pulses active on each threshold crossing until any register is read.
    Interrupt,
}

/// Active level of the OS / ALERT output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OsPolarity {
    /// Active low (power-on default).
    #[default]
    ActiveLow,
    /// Active high.
    ActiveHigh,
}

/// Consecutive faulty conversions needed to change the OS / ALERT output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaultQueue {
    /// One (power-on default).
    #[default]
    One,
    /// Two.
    Two,
    /// Four.
    Four,
    /// Six.
    Six,
}

impl FaultQueue {
    pub(crate) fn bits(self) -> u8 {
        self as u8
    }
    pub(crate) fn from_bits(b: u8) -> Self {
        [Self::One, Self::Two, Self::Four, Self::Six][(b & 3) as usize]
    }
}

/// Temperature resolution of an LM75-family chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resolution {
    /// 9 bits, 0.5 °C (LM75, LM75B, DS75 default).
    #[default]
    Bits9,
    /// 11 bits, 0.125 °C (LM75A, and register-compatible parts such as the PCT2075).
    Bits11,
}

/// LM75 configuration register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lm75Config {
    /// Shutdown (conversions stop, the last value stays readable).
    pub shutdown: bool,
    /// OS output mode.
    pub os_mode: OsMode,
    /// OS output polarity.
    pub os_polarity: OsPolarity,
    /// Fault queue.
    pub fault_queue: FaultQueue,
}

/// TMP102 conversion rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConversionRate {
    /// 0.25 Hz.
    Hz0_25,
    /// 1 Hz.
    Hz1,
    /// 4 Hz (power-on default).
    #[default]
    Hz4,
    /// 8 Hz.
    Hz8,
}

/// TMP102 configuration register (the writable part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tmp102Config {
    /// Shutdown mode (use [`one_shot`](super::Tmp102::one_shot) to convert).
    pub shutdown: bool,
    /// Thermostat (ALERT) mode.
    pub thermostat: OsMode,
    /// ALERT polarity.
    pub polarity: OsPolarity,
    /// Fault queue.
    pub fault_queue: FaultQueue,
    /// Conversion rate.
    pub conversion_rate: ConversionRate,
    /// Extended mode: 13-bit temperatures up to 150 °C.
    pub extended: bool,
}
