//! Instruction set (datasheet "Instruction Set Architecture", p. 5): every command is one
//! opcode byte, written alone (the chip takes no second opcode without a STOP, p. 10).

/// Power down: no active state.
pub const POWER_DOWN: u8 = 0b0000_0000;
/// Power on: waiting for a measurement command.
pub const POWER_ON: u8 = 0b0000_0001;
/// Reset the data register to 0 (not accepted while powered down).
pub const RESET: u8 = 0b0000_0111;
/// Continuous measurement, indexed like [`Resolution`](super::Resolution): H-resolution,
/// H-resolution mode 2, L-resolution.
pub const CONTINUOUS: [u8; 3] = [0b0001_0000, 0b0001_0001, 0b0001_0011];
/// One measurement, then power down, indexed like [`Resolution`](super::Resolution).
pub const ONE_TIME: [u8; 3] = [0b0010_0000, 0b0010_0001, 0b0010_0011];
/// Change measurement time, high bits: `01000_MT[7:5]`.
pub const MTREG_HIGH: u8 = 0b0100_0000;
/// Change measurement time, low bits: `011_MT[4:0]`.
pub const MTREG_LOW: u8 = 0b0110_0000;
