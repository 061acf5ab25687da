//! Register functions and addresses (datasheet §3.5, tables 3-3 and 3-4).

/// A register function (the same for both ports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reg {
    /// Direction (1 = input).
    Iodir = 0,
    /// Input polarity (1 = inverted).
    Ipol = 1,
    /// Interrupt-on-change enable.
    Gpinten = 2,
    /// Default compare value.
    Defval = 3,
    /// Interrupt control (1 = compare against DEFVAL, 0 = against previous value).
    Intcon = 4,
    /// Configuration (shared by both ports).
    Iocon = 5,
    /// Pull-up enable.
    Gppu = 6,
    /// Interrupt flags (read-only).
    Intf = 7,
    /// Interrupt capture (read-only).
    Intcap = 8,
    /// Port value.
    Gpio = 9,
    /// Output latch.
    Olat = 10,
}

/// The address of `reg` for `port` (0 = A, 1 = B): with BANK = 0 the ports are
/// interleaved (`2 × reg + port`), with BANK = 1 port B is 0x10 higher.
pub fn address(bank1: bool, reg: Reg, port: u8) -> u8 {
    if bank1 {
        reg as u8 + 0x10 * port
    } else {
        2 * reg as u8 + port
    }
}

/// IOCON: bank 1 addressing.
pub const BANK: u8 = 0b1000_0000;
/// IOCON: INTA and INTB mirrored (OR'ed).
pub const MIRROR: u8 = 0b0100_0000;
/// IOCON: sequential addressing disabled.
pub const SEQOP: u8 = 0b0010_0000;
/// IOCON: SDA slew rate control disabled.
pub const DISSLW: u8 = 0b0001_0000;
/// IOCON: hardware address enable (MCP23S17 only).
pub const HAEN: u8 = 0b0000_1000;
/// IOCON: INT pins open drain.
pub const ODR: u8 = 0b0000_0100;
/// IOCON: INT pins active high.
pub const INTPOL: u8 = 0b0000_0010;
