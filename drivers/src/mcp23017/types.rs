//! The value types of [`mcp23017`](super) (re-exported there).

use super::*;

/// The IOCON configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Iocon {
    /// Register bank 1 (ports separated) instead of 0 (interleaved, power-on).
    pub bank1: bool,
    /// INTA and INTB both report either port.
    pub mirror: bool,
    /// Disable address auto-increment.
    pub no_sequential: bool,
    /// Disable SDA slew rate control.
    pub no_slew: bool,
    /// HAEN: the MCP23S17 answers only opcodes carrying its A2..A0 pins' address (off at
    /// power-on: the pins are ignored and the address is 0). The MCP23017 always uses its
    /// pins and ignores this bit.
    pub hardware_address: bool,
    /// INT pins open drain (overrides `int_active_high`).
    pub int_open_drain: bool,
    /// INT pins active high (push-pull).
    pub int_active_high: bool,
}

impl Iocon {
    /// The register value.
    pub fn bits(&self) -> u8 {
        use registers::*;
        let mut v = 0;
        for (on, bit) in [
            (self.bank1, BANK),
            (self.mirror, MIRROR),
            (self.no_sequential, SEQOP),
            (self.no_slew, DISSLW),
            (self.hardware_address, HAEN),
            (self.int_open_drain, ODR),
            (self.int_active_high, INTPOL),
        ] {
            if on {
                v |= bit;
            }
        }
        v
    }
}

/// What an interrupt reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterruptEvent {
    /// INTF: the pin(s) that caused it.
    pub flags: u16,
    /// INTCAP: the port values captured when it happened.
    pub captured: u16,
}
