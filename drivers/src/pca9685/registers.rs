//! Register map (datasheet §7.3, table 4).

// The datasheet's map in full, also the bits the driver leaves alone.
#![allow(dead_code)]

/// MODE1.
pub const MODE1: u8 = 0x00;
/// MODE2.
pub const MODE2: u8 = 0x01;
/// Sub-address 1..3 registers start.
pub const SUBADR1: u8 = 0x02;
/// All-call address register.
pub const ALLCALLADR: u8 = 0x05;
/// LED0_ON_L; channel n starts at `LED0_ON_L + 4 n`.
pub const LED0_ON_L: u8 = 0x06;
/// ALL_LED_ON_L.
pub const ALL_LED_ON_L: u8 = 0xFA;
/// PRE_SCALE.
pub const PRE_SCALE: u8 = 0xFE;
/// MODE1: restart.
pub const RESTART: u8 = 0b1000_0000;
/// MODE1: external clock.
pub const EXTCLK: u8 = 0b0100_0000;
/// MODE1: register auto-increment.
pub const AI: u8 = 0b0010_0000;
/// MODE1: low-power sleep (oscillator off).
pub const SLEEP: u8 = 0b0001_0000;
/// MODE1: respond to sub-address 1.
pub const SUB1: u8 = 0b0000_1000;
/// MODE1: respond to the all-call address.
pub const ALLCALL: u8 = 0b0000_0001;
/// MODE2: invert outputs.
pub const INVRT: u8 = 0b0001_0000;
/// MODE2: outputs change on ACK (else on STOP).
pub const OCH: u8 = 0b0000_1000;
/// MODE2: totem pole outputs (else open drain).
pub const OUTDRV: u8 = 0b0000_0100;
/// ON_H / OFF_H: full on / full off bit.
pub const FULL: u8 = 0b0001_0000;
/// The internal oscillator, Hz.
pub const OSC_HZ: u32 = 25_000_000;
/// Software reset data byte sent to the general call address 0x00.
pub const SWRST: u8 = 0x06;
