//! Register map (datasheet table 2, "Timekeeper Registers").

/// Seconds (the first of the seven timekeeping registers).
pub const SECONDS: u8 = 0x00;
/// Control.
pub const CONTROL: u8 = 0x07;
/// The first byte of RAM.
pub const RAM: u8 = 0x08;
/// Seconds: clock halt.
pub const CH: u8 = 0b1000_0000;
/// Control: output level when the square wave is off.
pub const OUT: u8 = 0b1000_0000;
/// Control (DS1338): oscillator stop flag.
pub const OSF: u8 = 0b0010_0000;
/// Control: square wave enable.
pub const SQWE: u8 = 0b0001_0000;
