//! Line settings: the character format and speed ([`LineSettings`]: baud rate, data bits,
//! [`Parity`], [`StopBits`]), parsed from and shown as `9600 8N1`, and the kernel's RS485
//! mode ([`Rs485Config`]).

use std::fmt;
use std::str::FromStr;

use super::Error;

/// Parity bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Parity {
    /// No parity bit.
    #[default]
    None,
    /// Even parity.
    Even,
    /// Odd parity.
    Odd,
    /// Parity bit always 1 (CMSPAR).
    Mark,
    /// Parity bit always 0 (CMSPAR).
    Space,
}

impl Parity {
    /// The letter used in `8N1`-style formats.
    pub fn letter(self) -> char {
        match self {
            Parity::None => 'N',
            Parity::Even => 'E',
            Parity::Odd => 'O',
            Parity::Mark => 'M',
            Parity::Space => 'S',
        }
    }

    /// Parses a letter (`N`, `E`, `O`, `M`, `S`) or a word (`none`, `even`, ...).
    pub fn parse(s: &str) -> Option<Parity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "n" | "none" => Parity::None,
            "e" | "even" => Parity::Even,
            "o" | "odd" => Parity::Odd,
            "m" | "mark" => Parity::Mark,
            "s" | "space" => Parity::Space,
            _ => return None,
        })
    }
}

/// Number of stop bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StopBits {
    /// One stop bit.
    #[default]
    One,
    /// Two stop bits.
    Two,
}

/// A character format and speed: baud rate, data bits (5 to 8), parity and stop bits.
///
/// Displays and parses as `9600 8N1` (a comma also works: `19200,8E1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LineSettings {
    /// Bits per second; any value the driver accepts, standard or not.
    pub baud: u32,
    /// Data bits per character, 5 to 8.
    pub data_bits: u8,
    /// Parity bit.
    pub parity: Parity,
    /// Stop bits.
    pub stop_bits: StopBits,
}

impl Default for LineSettings {
    /// 19200 8E1, the Modbus RTU default.
    fn default() -> Self {
        LineSettings {
            baud: 19200,
            data_bits: 8,
            parity: Parity::Even,
            stop_bits: StopBits::One,
        }
    }
}

impl LineSettings {
    /// `baud` with 8 data bits, no parity, one stop bit.
    pub fn new_8n1(baud: u32) -> Self {
        LineSettings {
            baud,
            data_bits: 8,
            parity: Parity::None,
            stop_bits: StopBits::One,
        }
    }

    /// Bits on the wire per character: start + data + parity + stop.
    pub fn bits_per_char(&self) -> u32 {
        1 + self.data_bits as u32
            + u32::from(self.parity != Parity::None)
            + match self.stop_bits {
                StopBits::One => 1,
                StopBits::Two => 2,
            }
    }

    /// Time one character takes on the wire, in nanoseconds.
    pub fn char_time_ns(&self) -> u64 {
        (self.bits_per_char() as u64 * 1_000_000_000).div_ceil(self.baud.max(1) as u64)
    }

    /// The format part alone, e.g. `8E1`.
    pub fn format(&self) -> String {
        format!(
            "{}{}{}",
            self.data_bits,
            self.parity.letter(),
            match self.stop_bits {
                StopBits::One => 1,
                StopBits::Two => 2,
            }
        )
    }
}

impl fmt::Display for LineSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.baud, self.format())
    }
}

impl FromStr for LineSettings {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::Parse(s.to_string());
        let mut parts = s.split([',', ' ', ':']).filter(|p| !p.is_empty());
        let baud: u32 = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        if baud == 0 {
            return Err(bad());
        }
        let mut line = LineSettings::new_8n1(baud);
        if let Some(fmt) = parts.next() {
            let b = fmt.as_bytes();
            if b.len() != 3 || !(b'5'..=b'8').contains(&b[0]) {
                return Err(bad());
            }
            line.data_bits = b[0] - b'0';
            line.parity = Parity::parse(&fmt[1..2]).ok_or_else(bad)?;
            line.stop_bits = match b[2] {
                b'1' => StopBits::One,
                b'2' => StopBits::Two,
                _ => return Err(bad()),
            };
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(line)
    }
}

/// The kernel's RS485 mode (`struct serial_rs485`). Delays are in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rs485Config {
    /// Flag bits, see the `RS485_*` constants.
    pub flags: u32,
    /// Delay before send, ms.
    pub delay_rts_before_send: u32,
    /// Delay after send, ms.
    pub delay_rts_after_send: u32,
}

impl Rs485Config {
    /// `SER_RS485_ENABLED`.
    pub const ENABLED: u32 = 1 << 0;
    /// `SER_RS485_RTS_ON_SEND`: RTS level while sending.
    pub const RTS_ON_SEND: u32 = 1 << 1;
    /// `SER_RS485_RTS_AFTER_SEND`: RTS level after sending.
    pub const RTS_AFTER_SEND: u32 = 1 << 2;
    /// `SER_RS485_RX_DURING_TX`: keep receiving while sending (hear our own frames).
    pub const RX_DURING_TX: u32 = 1 << 4;
    /// `SER_RS485_TERMINATE_BUS`: switch the bus termination on (where wired).
    pub const TERMINATE_BUS: u32 = 1 << 5;
    /// `SER_RS485_ADDRB`: 9-bit address mode.
    pub const ADDRB: u32 = 1 << 6;
    /// `SER_RS485_ADDR_RECV`.
    pub const ADDR_RECV: u32 = 1 << 7;
    /// `SER_RS485_ADDR_DEST`.
    pub const ADDR_DEST: u32 = 1 << 8;
    /// `SER_RS485_MODE_RS422`.
    pub const MODE_RS422: u32 = 1 << 9;

    /// RS485 on, RTS high while sending, low after: what most transceivers want.
    pub fn enabled() -> Self {
        Rs485Config {
            flags: Self::ENABLED | Self::RTS_ON_SEND,
            ..Default::default()
        }
    }

    /// True when `ENABLED` is set.
    pub fn is_enabled(&self) -> bool {
        self.flags & Self::ENABLED != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_settings_parse_and_display() {
        let l: LineSettings = "9600 8E1".parse().unwrap();
        assert_eq!(
            l,
            LineSettings {
                baud: 9600,
                data_bits: 8,
                parity: Parity::Even,
                stop_bits: StopBits::One
            }
        );
        assert_eq!(l.to_string(), "9600 8E1");
        assert_eq!(l.bits_per_char(), 11);
        let l: LineSettings = "115200,7O2".parse().unwrap();
        assert_eq!(l.format(), "7O2");
        assert_eq!(
            "115200".parse::<LineSettings>().unwrap(),
            LineSettings::new_8n1(115200)
        );
        assert!("fast 8N1".parse::<LineSettings>().is_err());
        assert!("9600 9N1".parse::<LineSettings>().is_err());
        assert!("9600 8X1".parse::<LineSettings>().is_err());
    }

    #[test]
    fn char_time_at_9600_8e1_is_11_bits() {
        let l: LineSettings = "9600 8E1".parse().unwrap();
        assert_eq!(l.char_time_ns(), 1_145_834); // 11 / 9600 s, rounded up
    }
}
