//! The value types of [`ds1307`](super) (re-exported there).

/// Which chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// DS1307 (5 V; no oscillator-stop flag).
    Ds1307,
    /// DS1338 (3.3 V; oscillator-stop flag in the control register).
    Ds1338,
}

/// Square-wave frequency on SQW/OUT (RS1:RS0, DS1307 table 3 "Square-Wave Output
/// Frequency").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SquareWave {
    /// 1 Hz.
    Hz1 = 0,
    /// 4.096 kHz.
    Hz4096 = 1,
    /// 8.192 kHz.
    Hz8192 = 2,
    /// 32.768 kHz.
    Hz32768 = 3,
}
