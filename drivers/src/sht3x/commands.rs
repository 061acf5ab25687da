//! Commands (datasheet §4.3-4.11, tables 9-17).

/// Single shot, clock stretching: high, medium, low repeatability.
pub const SINGLE_STRETCH: [u16; 3] = [0x2C06, 0x2C0D, 0x2C10];
/// Single shot, no clock stretching: high, medium, low repeatability.
pub const SINGLE_NO_STRETCH: [u16; 3] = [0x2400, 0x240B, 0x2416];
/// Periodic, indexed `[rate][repeatability]`, for 0.5, 1, 2, 4, 10 measurements per second.
pub const PERIODIC: [[u16; 3]; 5] = [
    [0x2032, 0x2024, 0x202F],
    [0x2130, 0x2126, 0x212D],
    [0x2236, 0x2220, 0x222B],
    [0x2334, 0x2322, 0x2329],
    [0x2737, 0x2721, 0x272A],
];
/// Fetch periodic data.
pub const FETCH_DATA: u16 = 0xE000;
/// Accelerated response time (4 Hz periodic).
pub const ART: u16 = 0x2B32;
/// Stop periodic mode.
pub const BREAK: u16 = 0x3093;
/// Soft reset.
pub const SOFT_RESET: u16 = 0x30A2;
/// Heater on.
pub const HEATER_ENABLE: u16 = 0x306D;
/// Heater off.
pub const HEATER_DISABLE: u16 = 0x3066;
/// Read the status register.
pub const READ_STATUS: u16 = 0xF32D;
/// Clear the status flags.
pub const CLEAR_STATUS: u16 = 0x3041;
/// Read an alert limit ("Alert Mode of SHT3x-DIS" application note, table 2), indexed
/// like [`AlertLimit`](super::AlertLimit): high set, high clear, low clear, low set.
pub const ALERT_READ: [u16; 4] = [0xE11F, 0xE114, 0xE109, 0xE102];
/// Write an alert limit (same application note, table 2), indexed like
/// [`AlertLimit`](super::AlertLimit); the 16-bit limit word and its CRC follow.
pub const ALERT_WRITE: [u16; 4] = [0x611D, 0x6116, 0x610B, 0x6100];
