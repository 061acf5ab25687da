//! The value types of [`at24`](super) (re-exported there).

/// The geometry of one EEPROM type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Size in bytes (a power of two).
    pub size: u32,
    /// Page size in bytes (a power of two): a write must stay inside one page.
    pub page_size: u16,
    /// Memory address bytes sent after the device address (1 or 2); address bits above
    /// them go into the low bits of the device address.
    pub address_bytes: u8,
}

impl Variant {
    /// 128 bytes, 8-byte pages.
    pub const AT24C01: Self = Self::new(128, 8, 1);
    /// 256 bytes, 8-byte pages.
    pub const AT24C02: Self = Self::new(256, 8, 1);
    /// 512 bytes, 16-byte pages, A8 in the device address.
    pub const AT24C04: Self = Self::new(512, 16, 1);
    /// 1 KiB, 16-byte pages, A9..A8 in the device address.
    pub const AT24C08: Self = Self::new(1024, 16, 1);
    /// 2 KiB, 16-byte pages, A10..A8 in the device address.
    pub const AT24C16: Self = Self::new(2048, 16, 1);
    /// 4 KiB, 32-byte pages.
    pub const AT24C32: Self = Self::new(4096, 32, 2);
    /// 8 KiB, 32-byte pages.
    pub const AT24C64: Self = Self::new(8192, 32, 2);
    /// 16 KiB, 64-byte pages.
    pub const AT24C128: Self = Self::new(16384, 64, 2);
    /// 32 KiB, 64-byte pages.
    pub const AT24C256: Self = Self::new(32768, 64, 2);
    /// 64 KiB, 128-byte pages.
    pub const AT24C512: Self = Self::new(65536, 128, 2);
    /// 128 KiB, 256-byte pages, A16 in the device address.
    pub const AT24CM01: Self = Self::new(131072, 256, 2);

    /// A custom geometry.
    pub const fn new(size: u32, page_size: u16, address_bytes: u8) -> Self {
        Self {
            size,
            page_size,
            address_bytes,
        }
    }

    /// Bytes reachable with one device address (256 or 65 536, or less for small chips).
    pub const fn block_size(&self) -> u32 {
        let b = 1u32 << (8 * self.address_bytes as u32);
        if b < self.size {
            b
        } else {
            self.size
        }
    }

    /// Device address and memory address bytes for `mem`.
    pub fn addressing(&self, base: u8, mem: u32) -> (u8, [u8; 2], usize) {
        let n = self.address_bytes as usize;
        let hi = (mem >> (8 * n as u32)) as u8;
        let bytes = if n == 1 {
            [mem as u8, 0]
        } else {
            [(mem >> 8) as u8, mem as u8]
        };
        (base | hi, bytes, n)
    }

    /// Length of the first chunk of a write of `len` bytes at `mem` that stays in a page.
    pub fn page_chunk(&self, mem: u32, len: usize) -> usize {
        let page = u32::from(self.page_size);
        let room = (page - mem % page) as usize;
        room.min(len)
    }
}
