//! What Sensirion's I2C sensors share: the CRC-8 that follows every 16-bit data word
//! (SHT3x-DIS datasheet §4.12, SHTC3 datasheet §5.10: the same parameters), and their
//! measurement type.

use crate::{Humidity, Temperature};

/// A temperature and relative humidity measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measurement {
    /// Temperature.
    pub temperature: Temperature,
    /// Relative humidity.
    pub humidity: Humidity,
}

/// CRC-8 of Sensirion's data words: polynomial 0x31 (x^8 + x^5 + x^4 + 1), init 0xFF,
/// no reflection, no final XOR (CRC(0xBEEF) = 0x92).
pub fn crc8(data: &[u8]) -> u8 {
    let mut crc = 0xFFu8;
    for &b in data {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x31
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The 16-bit word of a 3-byte group (word, CRC) if its CRC matches.
pub(crate) fn checked_word(b: &[u8]) -> Option<u16> {
    (crc8(&b[..2]) == b[2]).then(|| u16::from_be_bytes([b[0], b[1]]))
}

/// `span × s / den` rounded to the nearest integer (half up): the conversion of a raw
/// 16-bit signal to milli-units (`den` is 2^16 - 1 for the SHT3x, 2^16 for the SHTC3).
pub(crate) fn scale(s: u16, span: u32, den: u32) -> u32 {
    let n = u64::from(span) * u64::from(s);
    ((2 * n + u64::from(den)) / (2 * u64::from(den))) as u32
}
