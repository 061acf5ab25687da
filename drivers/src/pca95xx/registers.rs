//! Register functions (PCA9554 datasheet §6.2 table 3, PCA9535 §6.2 table 4): the
//! command byte is `function` on the PCA9554 and `2 × function + port` on the PCA9535.

/// Input port (read-only).
pub const INPUT: u8 = 0;
/// Output port.
pub const OUTPUT: u8 = 1;
/// Polarity inversion.
pub const POLARITY: u8 = 2;
/// Configuration (1 = input).
pub const CONFIG: u8 = 3;
