//! Register addresses and config fields (ADS1115 datasheet §9.6, tables 8-9).

/// Conversion result (read-only).
pub const CONVERSION: u8 = 0x00;
/// Configuration.
pub const CONFIG: u8 = 0x01;
/// Comparator low threshold.
pub const LO_THRESH: u8 = 0x02;
/// Comparator high threshold.
pub const HI_THRESH: u8 = 0x03;
/// OS: write 1 starts a single conversion; reads 1 when idle.
pub const OS: u16 = 0b1000_0000_0000_0000;
/// MUX field shift (bits 14:12).
pub const MUX_SHIFT: u16 = 12;
/// PGA field shift (bits 11:9).
pub const PGA_SHIFT: u16 = 9;
/// MODE: 1 = single-shot / power-down.
pub const MODE_SINGLE: u16 = 0b0000_0001_0000_0000;
/// DR field shift (bits 7:5).
pub const DR_SHIFT: u16 = 5;
/// COMP_MODE: window comparator.
pub const COMP_WINDOW: u16 = 0b0000_0000_0001_0000;
/// COMP_POL: active high.
pub const COMP_POL_HIGH: u16 = 0b0000_0000_0000_1000;
/// COMP_LAT: latching.
pub const COMP_LAT: u16 = 0b0000_0000_0000_0100;
/// COMP_QUE field mask (bits 1:0); 0b11 disables the comparator.
pub const COMP_QUE_MASK: u16 = 0b0000_0000_0000_0011;
/// Power-on config value.
pub const CONFIG_DEFAULT: u16 = 0x8583;
