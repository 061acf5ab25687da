//! Register map and fields (datasheet §8.6, table 2).

// The datasheet's map in full, also the bits the driver leaves alone.
#![allow(dead_code)]

/// Configuration.
pub const CONFIG: u8 = 0x00;
/// Shunt voltage (read-only, 10 µV LSB).
pub const SHUNT_VOLTAGE: u8 = 0x01;
/// Bus voltage (read-only, bits 15:3 with 4 mV LSB, CNVR bit 1, OVF bit 0).
pub const BUS_VOLTAGE: u8 = 0x02;
/// Power (read-only, 20 × current LSB).
pub const POWER: u8 = 0x03;
/// Current (read-only, current LSB).
pub const CURRENT: u8 = 0x04;
/// Calibration.
pub const CALIBRATION: u8 = 0x05;
/// Config: reset.
pub const RST: u16 = 0b1000_0000_0000_0000;
/// Config: 32 V bus range.
pub const BRNG: u16 = 0b0010_0000_0000_0000;
/// Config: PGA shift (bits 12:11).
pub const PG_SHIFT: u16 = 11;
/// Config: bus ADC shift (bits 10:7).
pub const BADC_SHIFT: u16 = 7;
/// Config: shunt ADC shift (bits 6:3).
pub const SADC_SHIFT: u16 = 3;
/// Bus voltage: conversion ready.
pub const CNVR: u16 = 0b0000_0000_0000_0010;
/// Bus voltage: math overflow.
pub const OVF: u16 = 0b0000_0000_0000_0001;
/// Power-on configuration.
pub const CONFIG_DEFAULT: u16 = 0x399F;
