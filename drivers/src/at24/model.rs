//! Behavioural model of an AT24Cxx EEPROM (Microchip AT24C01..AT24CM01 datasheets,
//! "Write Operations", "Read Operations", "Acknowledge Polling").
//!
//! Attach the same handle at every device address the chip answers (see
//! [`At24Model::attach`]). Behaviour: the memory address arrives in 1 or 2 bytes after
//! the device address (bits above them come from the device address); data bytes go into
//! the page buffer and the address rolls over inside the page (a write past the page end
//! overwrites the start of the page); at STOP the page is programmed and the chip NACKs
//! its address for the next [`set_busy_polls`](At24Model::set_busy_polls) attempts (the
//! write cycle); reads increment the address and roll over at the end of the memory.

use crate::sim::{Direction, I2cTarget, SimError, SimHandle, SimI2cBus};
use std::vec;
use std::vec::Vec;

/// An AT24Cxx EEPROM.
#[derive(Debug)]
pub struct At24Model {
    mem: Vec<u8>,
    page: usize,
    addr_bytes: usize,
    base: u8,
    counter: usize,
    dir: Direction,
    got_addr: usize,
    pending: Vec<(usize, u8)>,
    busy: u32,
    busy_polls: u32,
    write_protect: bool,
    page_writes: u32,
}

impl At24Model {
    /// A blank (all 0xFF) EEPROM of `size` bytes with `page` byte pages and
    /// `addr_bytes` address bytes, answering at `base` (its A2..A0 pins).
    pub fn new(size: usize, page: usize, addr_bytes: usize, base: u8) -> Self {
        Self {
            mem: vec![0xFF; size],
            page,
            addr_bytes,
            base,
            counter: 0,
            dir: Direction::Write,
            got_addr: 0,
            pending: Vec::new(),
            busy: 0,
            busy_polls: 3,
            write_protect: false,
            page_writes: 0,
        }
    }

    /// Attach the chip to `bus` at every address it answers and return the handle.
    pub fn attach(self, bus: &SimI2cBus) -> SimHandle<Self> {
        let blocks = (self.mem.len() >> (8 * self.addr_bytes)).max(1);
        let base = self.base;
        let h = SimHandle::new(self);
        for b in 0..blocks {
            bus.attach_handle(base | b as u8, &h);
        }
        h
    }

    /// The memory contents.
    pub fn memory(&self) -> &[u8] {
        &self.mem
    }

    /// Mutable memory contents (to preload an image).
    pub fn memory_mut(&mut self) -> &mut [u8] {
        &mut self.mem
    }

    /// How many address attempts to NACK after each write (default 3).
    pub fn set_busy_polls(&mut self, polls: u32) {
        self.busy_polls = polls;
    }

    /// Drive the WP pin: when high, data bytes are ignored and nothing is programmed.
    pub fn set_write_protect(&mut self, wp: bool) {
        self.write_protect = wp;
    }

    /// Number of write cycles (page programs) so far.
    pub fn page_writes(&self) -> u32 {
        self.page_writes
    }
}

impl I2cTarget for At24Model {
    fn start(&mut self, address: u8, dir: Direction) -> Result<(), SimError> {
        if self.busy > 0 {
            self.busy -= 1;
            return Err(SimError::AddressNack);
        }
        self.dir = dir;
        if dir == Direction::Write {
            let hi = usize::from(address.wrapping_sub(self.base) & 0x07);
            self.counter = (hi << (8 * self.addr_bytes)) % self.mem.len();
            self.got_addr = 0;
            self.pending.clear();
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        for &b in bytes {
            if self.got_addr < self.addr_bytes {
                let shift = 8 * (self.addr_bytes - 1 - self.got_addr);
                let keep = !(0xFF << shift);
                self.counter = ((self.counter & keep) | (usize::from(b) << shift)) % self.mem.len();
                self.got_addr += 1;
                continue;
            }
            if self.write_protect {
                continue;
            }
            self.pending.push((self.counter, b));
            let page_start = self.counter - self.counter % self.page;
            self.counter = page_start + (self.counter + 1) % self.page;
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        for b in buf.iter_mut() {
            *b = self.mem[self.counter];
            self.counter = (self.counter + 1) % self.mem.len();
        }
        Ok(())
    }

    fn stop(&mut self) {
        if self.dir == Direction::Write && !self.pending.is_empty() {
            for (a, v) in self.pending.drain(..) {
                self.mem[a] = v;
            }
            self.page_writes += 1;
            self.busy = self.busy_polls;
        }
    }
}
