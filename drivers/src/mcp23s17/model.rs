//! Behavioural model of the MCP23S17: the MCP23017 model's register file and pin logic
//! ([`Mcp23017Model`], reached through `Deref`) behind the SPI interface of the datasheet
//! (Microchip DS20001952, §1.3.3 and §1.4.2): a frame is the control byte
//! `0100 A2 A1 A0 R/W`, the register address, then data (sequential or byte mode as IOCON
//! says). The chip answers a control byte whose address is that of its A2..A0 pins with
//! IOCON.HAEN set, or 0 with HAEN clear; otherwise it ignores the frame and leaves SO
//! undriven (read here as 0xFF).

use crate::mcp23017::model::Mcp23017Model;
use crate::sim::{RegisterFile, SpiTarget};
use core::ops::{Deref, DerefMut};

/// An MCP23S17.
#[derive(Debug)]
pub struct Mcp23s17Model {
    chip: Mcp23017Model,
    pins: u8,
    position: usize,
    addressed: bool,
    read: bool,
    pointer: u8,
}

impl Mcp23s17Model {
    /// An MCP23S17 at power-on whose A2..A0 pins are tied to `pins` (0..=7).
    pub fn new(pins: u8) -> Self {
        Self {
            chip: Mcp23017Model::new(),
            pins: pins & 0b111,
            position: 0,
            addressed: false,
            read: false,
            pointer: 0,
        }
    }

    /// The address the chip answers now: its pins with HAEN set, 0 without.
    pub fn answers_address(&self) -> u8 {
        if self.chip.iocon() & 0b0000_1000 != 0 {
            self.pins
        } else {
            0
        }
    }
}

impl Deref for Mcp23s17Model {
    type Target = Mcp23017Model;
    fn deref(&self) -> &Mcp23017Model {
        &self.chip
    }
}

impl DerefMut for Mcp23s17Model {
    fn deref_mut(&mut self) -> &mut Mcp23017Model {
        &mut self.chip
    }
}

impl SpiTarget for Mcp23s17Model {
    fn select(&mut self) {
        self.position = 0;
        self.addressed = false;
    }

    fn transfer(&mut self, mosi: u8) -> u8 {
        let at = self.position;
        self.position += 1;
        match at {
            0 => {
                self.addressed =
                    mosi >> 4 == 0b0100 && (mosi >> 1) & 0b111 == self.answers_address();
                self.read = mosi & 1 == 1;
                0xFF
            }
            1 => {
                if self.addressed {
                    self.pointer = mosi;
                }
                0xFF
            }
            _ if !self.addressed => 0xFF,
            _ => {
                let out = if self.read {
                    self.chip.read_register(self.pointer)
                } else {
                    self.chip.write_register(self.pointer, mosi);
                    0xFF
                };
                self.pointer = self.chip.next_register(self.pointer);
                out
            }
        }
    }
}
