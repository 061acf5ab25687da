//! The MCP23017's register map (the same chip behind SPI; public, as there: the register
//! access methods take a [`Reg`]) and the SPI control byte (datasheet figure 1-3:
//! `0 1 0 0 A2 A1 A0 R/W`).

pub use crate::mcp23017::registers::*;

/// The fixed bits of the control byte (`0100`).
pub(super) const OPCODE: u8 = 0b0100_0000;
/// The control byte's read bit (R/W = 1).
pub(super) const READ: u8 = 0b0000_0001;
