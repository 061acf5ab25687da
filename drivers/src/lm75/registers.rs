//! LM75 / TMP102 register map (LM75B datasheet §7.5, TMP102 datasheet §7.5).

/// Temperature register (read-only, two bytes, left-justified two's complement).
pub const TEMP: u8 = 0x00;
/// Configuration register (LM75: one byte; TMP102: two bytes).
pub const CONF: u8 = 0x01;
/// LM75 hysteresis (T_HYST) register; TMP102 T_LOW.
pub const THYST: u8 = 0x02;
/// LM75 overtemperature shutdown (T_OS) register; TMP102 T_HIGH.
pub const TOS: u8 = 0x03;

/// LM75 configuration bits.
pub mod lm75_conf {
    /// Shutdown.
    pub const SHUTDOWN: u8 = 0b0000_0001;
    /// OS in interrupt mode (0 = comparator).
    pub const INTERRUPT: u8 = 0b0000_0010;
    /// OS active high (0 = active low).
    pub const POL_HIGH: u8 = 0b0000_0100;
    /// Fault queue field (bits 4:3).
    pub const FAULT_QUEUE_SHIFT: u8 = 3;
}

/// TMP102 configuration bits, as a 16-bit value (first byte is the high byte).
pub mod tmp102_conf {
    /// One-shot / conversion ready.
    pub const OS: u16 = 0b1000_0000_0000_0000;
    /// Fault queue field (bits 12:11).
    pub const FAULT_QUEUE_SHIFT: u16 = 11;
    /// Alert pin active high.
    pub const POL: u16 = 0b0000_0100_0000_0000;
    /// Thermostat in interrupt mode.
    pub const TM: u16 = 0b0000_0010_0000_0000;
    /// Shutdown.
    pub const SD: u16 = 0b0000_0001_0000_0000;
    /// Conversion rate field (bits 7:6).
    pub const CR_SHIFT: u16 = 6;
    /// Alert status (read-only).
    pub const AL: u16 = 0b0000_0000_0010_0000;
    /// Extended (13-bit) mode.
    pub const EM: u16 = 0b0000_0000_0001_0000;
}
