//! Commands (datasheet §5.3 table 9 and §5.4 table 10): 16 bits, most significant byte
//! first.

/// Enter sleep mode (only [`WAKEUP`] is answered then).
pub const SLEEP: u16 = 0xB098;
/// Leave sleep mode.
pub const WAKEUP: u16 = 0x3517;
/// Soft reset.
pub const SOFT_RESET: u16 = 0x805D;
/// Read the ID register (a word and its CRC follow).
pub const READ_ID: u16 = 0xEFC8;
/// Measurement with clock stretching, indexed `[mode][order]`: mode as
/// [`PowerMode`](super::PowerMode) (normal, low power), order as
/// [`Order`](super::Order) (T first, RH first).
pub const MEASURE_STRETCH: [[u16; 2]; 2] = [[0x7CA2, 0x5C24], [0x6458, 0x44DE]];
/// Measurement without clock stretching (poll the read header), indexed like
/// [`MEASURE_STRETCH`].
pub const MEASURE_NO_STRETCH: [[u16; 2]; 2] = [[0x7866, 0x58E0], [0x609C, 0x401A]];
