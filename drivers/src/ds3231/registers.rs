//! Register map and bits (datasheet figure 1, "Timekeeping Registers").

// The datasheet's map in full, also the bits the driver leaves alone.
#![allow(dead_code)]

/// Seconds (first of 7 time registers).
pub const SECONDS: u8 = 0x00;
/// Alarm 1 seconds (first of 4).
pub const ALARM1: u8 = 0x07;
/// Alarm 2 minutes (first of 3).
pub const ALARM2: u8 = 0x0B;
/// Control.
pub const CONTROL: u8 = 0x0E;
/// Control/status.
pub const STATUS: u8 = 0x0F;
/// Aging offset.
pub const AGING: u8 = 0x10;
/// Temperature MSB (LSB follows).
pub const TEMP_MSB: u8 = 0x11;
/// Hours: 12-hour mode.
pub const H12: u8 = 0b0100_0000;
/// Hours (12-hour mode): PM.
pub const PM: u8 = 0b0010_0000;
/// Month: century.
pub const CENTURY: u8 = 0b1000_0000;
/// Alarm mask bit (AxMy), bit 7 of each alarm register.
pub const AM: u8 = 0b1000_0000;
/// Alarm day/date register: match the day of week.
pub const DY: u8 = 0b0100_0000;
/// Control: oscillator disabled on battery.
pub const EOSC: u8 = 0b1000_0000;
/// Control: battery-backed square wave.
pub const BBSQW: u8 = 0b0100_0000;
/// Control: convert temperature.
pub const CONV: u8 = 0b0010_0000;
/// Control: rate select shift (RS2:RS1, bits 4:3).
pub const RS_SHIFT: u8 = 3;
/// Control: INT/SQW is the alarm interrupt (else square wave).
pub const INTCN: u8 = 0b0000_0100;
/// Control: alarm 2 interrupt enable.
pub const A2IE: u8 = 0b0000_0010;
/// Control: alarm 1 interrupt enable.
pub const A1IE: u8 = 0b0000_0001;
/// Status: oscillator stop flag.
pub const OSF: u8 = 0b1000_0000;
/// Status: 32 kHz output enabled.
pub const EN32KHZ: u8 = 0b0000_1000;
/// Status: busy (temperature conversion).
pub const BSY: u8 = 0b0000_0100;
/// Status: alarm 2 flag.
pub const A2F: u8 = 0b0000_0010;
/// Status: alarm 1 flag.
pub const A1F: u8 = 0b0000_0001;
