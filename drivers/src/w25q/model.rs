//! Behavioural model of a Winbond W25Qxx flash, written from the W25Q32JV datasheet
//! (rev. F) without the driver's definitions: instructions framed by chip select and
//! executed when /CS goes high (Write Enable / Disable, Page Program, the erases), status
//! register 1 (BUSY, WEL, and the protection bits stored as written by Write Status
//! Register 01h — protection itself is not modelled), status register 2, Read Data (03h)
//! and Fast Read (0Bh, one dummy byte) wrapping at the end of the memory, Page Program
//! (02h) wrapping at the end of its 256-byte page and only clearing bits (1 -> 0), erases
//! to FFh (20h 4 KB, 52h 32 KB, D8h 64 KB, C7h/60h chip), JEDEC ID (9Fh), Power-down (B9h)
//! and Release Power-down / Device ID (ABh). Program and erase are ignored unless WEL is
//! set; while BUSY (for [`W25qModel::set_busy_polls`] status reads after each program or
//! erase) every instruction but the status reads is ignored; WEL clears when the cycle
//! ends.

use crate::sim::SpiTarget;
use std::vec::Vec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    Program { addr: u32 },
    Erase { addr: u32, len: u32 },
    ChipErase,
}

/// A W25Qxx.
#[derive(Debug)]
pub struct W25qModel {
    id: [u8; 3],
    mem: Vec<u8>,
    sr1: u8,
    sr2: u8,
    busy_left: u32,
    busy_polls: u32,
    powered_down: bool,
    // the current /CS frame
    frame: Vec<u8>,
    page: Vec<(u32, u8)>,
    pending: Pending,
    programs: u32,
    erases: u32,
}

impl W25qModel {
    /// A W25Q32 (4 MiB, JEDEC ID EF 40 16), erased.
    pub fn w25q32() -> Self {
        Self::new([0xEF, 0x40, 0x16])
    }

    /// A W25Q64 (8 MiB, EF 40 17), erased.
    pub fn w25q64() -> Self {
        Self::new([0xEF, 0x40, 0x17])
    }

    /// A flash answering `jedec_id`, its size 2^(third byte) bytes, erased.
    pub fn new(jedec_id: [u8; 3]) -> Self {
        Self {
            id: jedec_id,
            mem: std::vec![0xFF; 1usize << jedec_id[2]],
            sr1: 0,
            sr2: 0,
            busy_left: 0,
            busy_polls: 2,
            powered_down: false,
            frame: Vec::new(),
            page: Vec::new(),
            pending: Pending::None,
            programs: 0,
            erases: 0,
        }
    }

    /// How many status-register reads a program or erase stays BUSY (default 2).
    pub fn set_busy_polls(&mut self, n: u32) {
        self.busy_polls = n;
    }

    /// The memory contents.
    pub fn memory(&self) -> &[u8] {
        &self.mem
    }

    /// Write the memory directly (as a programmer would before soldering).
    pub fn load(&mut self, addr: u32, data: &[u8]) {
        self.mem[addr as usize..addr as usize + data.len()].copy_from_slice(data);
    }

    /// Status register 1.
    pub fn status(&self) -> u8 {
        self.sr1 | if self.busy_left > 0 { 1 } else { 0 }
    }

    /// Page programs executed.
    pub fn programs(&self) -> u32 {
        self.programs
    }

    /// Erases executed.
    pub fn erases(&self) -> u32 {
        self.erases
    }

    /// Whether the chip is in power-down.
    pub fn powered_down(&self) -> bool {
        self.powered_down
    }

    fn size(&self) -> u32 {
        self.mem.len() as u32
    }

    fn addr(&self) -> u32 {
        ((u32::from(self.frame[1]) << 16)
            | (u32::from(self.frame[2]) << 8)
            | u32::from(self.frame[3]))
            % self.size()
    }

    fn busy(&self) -> bool {
        self.busy_left > 0
    }

    fn start_cycle(&mut self) {
        self.busy_left = self.busy_polls;
        if self.busy_left == 0 {
            self.sr1 &= !0x02;
        }
    }
}

impl SpiTarget for W25qModel {
    fn select(&mut self) {
        self.frame.clear();
        self.page.clear();
        self.pending = Pending::None;
    }

    fn transfer(&mut self, mosi: u8) -> u8 {
        let i = self.frame.len();
        self.frame.push(mosi);
        let cmd = self.frame[0];
        if self.powered_down {
            // only ABh is obeyed; its device ID follows three dummy bytes
            return if cmd == 0xAB && i >= 4 {
                self.id[2] - 1
            } else {
                0xFF
            };
        }
        if self.busy() && !matches!(cmd, 0x05 | 0x35) {
            return 0xFF;
        }
        match cmd {
            0x05 if i >= 1 => {
                let s = self.status();
                if self.busy_left > 0 {
                    self.busy_left -= 1;
                    if self.busy_left == 0 {
                        self.sr1 &= !0x02; // the cycle ended: WEL clears
                    }
                }
                s
            }
            0x35 if i >= 1 => self.sr2,
            0x9F if (1..=3).contains(&i) => self.id[i - 1],
            0xAB if i >= 4 => self.id[2] - 1,
            0x03 if i >= 4 => self.mem[((self.addr() + (i as u32 - 4)) % self.size()) as usize],
            0x0B if i >= 5 => self.mem[((self.addr() + (i as u32 - 5)) % self.size()) as usize],
            0x02 if i == 3 => {
                self.pending = Pending::Program { addr: self.addr() };
                0xFF
            }
            0x02 if i >= 4 => {
                if let Pending::Program { addr } = self.pending {
                    // wraps inside the page: A7-A0 count, the page stays
                    let page = addr & !0xFF;
                    let a = page | ((addr + (i as u32 - 4)) & 0xFF);
                    self.page.push((a, mosi));
                }
                0xFF
            }
            0x20 | 0x52 | 0xD8 if i == 3 => {
                let len = match cmd {
                    0x20 => 4096,
                    0x52 => 32 * 1024,
                    _ => 64 * 1024,
                };
                self.pending = Pending::Erase {
                    addr: self.addr() & !(len - 1),
                    len,
                };
                0xFF
            }
            _ => 0xFF,
        }
    }

    fn deselect(&mut self) {
        let Some(&cmd) = self.frame.first() else {
            return;
        };
        let n = self.frame.len();
        if self.powered_down {
            if cmd == 0xAB {
                self.powered_down = false;
            }
            return;
        }
        if self.busy() {
            return;
        }
        let wel = self.sr1 & 0x02 != 0;
        match cmd {
            0x06 if n == 1 => self.sr1 |= 0x02,
            0x04 if n == 1 => self.sr1 &= !0x02,
            0x01 if n >= 2 && wel => {
                self.sr1 = (self.frame[1] & 0xFC) | (self.sr1 & 0x03);
                if n >= 3 {
                    self.sr2 = self.frame[2];
                }
                self.start_cycle();
            }
            0xB9 if n == 1 => self.powered_down = true,
            0xC7 | 0x60 if n == 1 && wel => self.pending = Pending::ChipErase,
            _ => {}
        }
        match self.pending {
            Pending::Program { .. } if wel && !self.page.is_empty() => {
                // more than 256 bytes: the later ones replace the earlier in the page buffer
                let mut seen = [false; 256];
                for &(a, b) in self.page.iter().rev() {
                    if !std::mem::replace(&mut seen[(a & 0xFF) as usize], true) {
                        self.mem[a as usize] &= b;
                    }
                }
                self.programs += 1;
                self.start_cycle();
            }
            Pending::Erase { addr, len } if wel && n == 4 => {
                self.mem[addr as usize..(addr + len) as usize].fill(0xFF);
                self.erases += 1;
                self.start_cycle();
            }
            Pending::ChipErase => {
                self.mem.fill(0xFF);
                self.erases += 1;
                self.start_cycle();
            }
            _ => {}
        }
        self.pending = Pending::None;
    }
}
