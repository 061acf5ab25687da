//! Behavioural model of the MCP23017, written from its datasheet (Microchip DS20001952)
//! without the driver's register definitions: both IOCON.BANK layouts, sequential and
//! byte mode addressing (in bank 0 byte mode the pointer toggles within an A/B pair),
//! IODIR (power-on 0xFF), IPOL, GPPU pull-ups, GPIO / OLAT, interrupt on change or
//! against DEFVAL with INTF / INTCAP (first event captures, cleared by reading GPIO or
//! INTCAP of the port, re-asserted while a DEFVAL mismatch persists), INTA / INTB with
//! MIRROR, INTPOL and ODR.

use crate::sim::{RegisterFile, RegisterPointer, SimLine};

/// An MCP23017.
#[derive(Debug)]
pub struct Mcp23017Model {
    iodir: [u8; 2],
    ipol: [u8; 2],
    gpinten: [u8; 2],
    defval: [u8; 2],
    intcon: [u8; 2],
    iocon: u8,
    gppu: [u8; 2],
    intf: [u8; 2],
    intcap: [u8; 2],
    olat: [u8; 2],
    /// External drive of each pin: `Some(level)` or floating.
    external: [Option<bool>; 16],
    last: [u8; 2],
    pointer: RegisterPointer,
    int_a: SimLine,
    int_b: SimLine,
}

impl Default for Mcp23017Model {
    fn default() -> Self {
        Self::new()
    }
}

/// Register functions in bank-1 order (address = function + 0x10 × port).
const FUNCS: usize = 11;

impl Mcp23017Model {
    /// An MCP23017 at power-on: all inputs, nothing driven externally.
    pub fn new() -> Self {
        let m = Self {
            iodir: [0xFF; 2],
            ipol: [0; 2],
            gpinten: [0; 2],
            defval: [0; 2],
            intcon: [0; 2],
            iocon: 0,
            gppu: [0; 2],
            intf: [0; 2],
            intcap: [0; 2],
            olat: [0; 2],
            external: [None; 16],
            last: [0; 2],
            pointer: RegisterPointer::default(),
            int_a: SimLine::new(true),
            int_b: SimLine::new(true),
        };
        m.drive_int();
        m
    }

    /// The INTA pin.
    pub fn int_a(&self) -> SimLine {
        self.int_a.clone()
    }

    /// The INTB pin.
    pub fn int_b(&self) -> SimLine {
        self.int_b.clone()
    }

    /// Drive pin `n` (0..16: GPA0..GPB7) from outside, or let it float (`None`; a
    /// floating input reads high with its pull-up, else low).
    pub fn set_input(&mut self, n: usize, level: Option<bool>) {
        self.external[n] = level;
        self.evaluate();
    }

    /// The electrical level of pin `n` (an output drives its latch).
    pub fn pin_level(&self, n: usize) -> bool {
        self.levels() & (1 << n) != 0
    }

    /// IOCON as the chip holds it.
    pub fn iocon(&self) -> u8 {
        self.iocon
    }

    fn levels(&self) -> u16 {
        let mut v = 0u16;
        for n in 0..16 {
            let (port, bit) = (n / 8, 1u8 << (n % 8));
            let level = if self.iodir[port] & bit == 0 {
                self.olat[port] & bit != 0
            } else {
                self.external[n].unwrap_or(self.gppu[port] & bit != 0)
            };
            if level {
                v |= 1 << n;
            }
        }
        v
    }

    fn gpio(&self, port: usize) -> u8 {
        let l = self.levels().to_le_bytes()[port];
        // IPOL inverts input pins only.
        l ^ (self.ipol[port] & self.iodir[port])
    }

    fn evaluate(&mut self) {
        let levels = self.levels().to_le_bytes();
        for (p, &level) in levels.iter().enumerate() {
            let en = self.gpinten[p] & self.iodir[p];
            let against = (self.intcon[p] & self.defval[p]) | (!self.intcon[p] & self.last[p]);
            let fired = (level ^ against) & en;
            if fired != 0 && self.intf[p] == 0 {
                // The first event captures the port; later ones wait for the clear.
                self.intf[p] = fired;
                self.intcap[p] = self.gpio(p);
            }
            self.last[p] = level;
        }
        self.drive_int();
    }

    fn clear(&mut self, port: usize) {
        self.intf[port] = 0;
        // A DEFVAL mismatch that persists re-asserts at once; a change does not.
        self.last[port] = self.levels().to_le_bytes()[port];
        self.evaluate();
    }

    fn drive_int(&self) {
        let (a, b) = (self.intf[0] != 0, self.intf[1] != 0);
        let (a, b) = if self.iocon & 0x40 != 0 {
            (a || b, a || b)
        } else {
            (a, b)
        };
        // ODR (open drain) wins over INTPOL: active low with the pull-up.
        let active_high = self.iocon & 0x04 == 0 && self.iocon & 0x02 != 0;
        self.int_a.set(a == active_high);
        self.int_b.set(b == active_high);
    }

    /// (function, port) for an address in the current bank, or `None` if unimplemented.
    fn decode(&self, addr: u8) -> Option<(usize, usize)> {
        if self.iocon & 0x80 != 0 {
            let (port, f) = ((addr >> 4) as usize, (addr & 0x0F) as usize);
            (port < 2 && f < FUNCS).then_some((f, port))
        } else {
            let (f, port) = ((addr / 2) as usize, (addr % 2) as usize);
            (f < FUNCS).then_some((f, port))
        }
    }
}

impl RegisterFile for Mcp23017Model {
    fn pointer(&mut self) -> &mut RegisterPointer {
        &mut self.pointer
    }

    fn read_register(&mut self, addr: u8) -> u8 {
        let Some((f, p)) = self.decode(addr) else {
            return 0;
        };
        match f {
            0 => self.iodir[p],
            1 => self.ipol[p],
            2 => self.gpinten[p],
            3 => self.defval[p],
            4 => self.intcon[p],
            5 => self.iocon,
            6 => self.gppu[p],
            7 => self.intf[p],
            8 => {
                let v = self.intcap[p];
                self.clear(p);
                v
            }
            9 => {
                let v = self.gpio(p);
                self.clear(p);
                v
            }
            _ => self.olat[p],
        }
    }

    fn write_register(&mut self, addr: u8, v: u8) {
        let Some((f, p)) = self.decode(addr) else {
            return;
        };
        match f {
            0 => self.iodir[p] = v,
            1 => self.ipol[p] = v,
            2 => self.gpinten[p] = v,
            3 => self.defval[p] = v,
            4 => self.intcon[p] = v,
            5 => self.iocon = v & 0xFE,
            6 => self.gppu[p] = v,
            7 | 8 => {}            // INTF, INTCAP read-only
            _ => self.olat[p] = v, // GPIO and OLAT writes both set the latch
        }
        self.evaluate();
    }

    fn next_register(&self, addr: u8) -> u8 {
        let bank1 = self.iocon & 0x80 != 0;
        if self.iocon & 0x20 != 0 {
            // Byte mode: bank 0 toggles within the A/B pair, bank 1 stays.
            return if bank1 { addr } else { addr ^ 1 };
        }
        // "The Address Pointer will roll over to address zero after reaching the last
        // register address" (§3.2.2.3): 15h in bank 0, 1Ah in bank 1 (passing the
        // unimplemented 0Bh..0Fh, which read 0).
        let last = if bank1 { 0x1A } else { 0x15 };
        if addr >= last {
            0
        } else {
            addr + 1
        }
    }
}
