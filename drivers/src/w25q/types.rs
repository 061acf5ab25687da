//! The value types of [`w25q`](super) (re-exported there).

use super::*;

/// The three bytes of the JEDEC ID instruction (9Fh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JedecId {
    /// Manufacturer (EFh: Winbond).
    pub manufacturer: u8,
    /// Memory type (40h: W25Q..IQ/JV in SPI mode, 60h: ..DW, 70h: ..JV-IM/JM).
    pub memory_type: u8,
    /// Capacity code: the size is 2^code bytes (16h: 4 MiB W25Q32, 17h: 8 MiB W25Q64).
    pub capacity: u8,
}

impl JedecId {
    /// The size in bytes, for capacity codes 10h..=18h (64 KiB .. 16 MiB, reachable with
    /// 3-byte addresses).
    pub fn capacity_bytes(&self) -> Option<u32> {
        (0x10..=0x18)
            .contains(&self.capacity)
            .then(|| 1u32 << self.capacity)
    }
}

/// What an erase covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EraseSize {
    /// 4 KiB sector (20h).
    Sector4K,
    /// 32 KiB block (52h).
    Block32K,
    /// 64 KiB block (D8h).
    Block64K,
}

impl EraseSize {
    /// Bytes erased.
    pub const fn bytes(self) -> u32 {
        match self {
            EraseSize::Sector4K => 4096,
            EraseSize::Block32K => 32 * 1024,
            EraseSize::Block64K => 64 * 1024,
        }
    }

    pub(super) const fn instruction(self) -> u8 {
        match self {
            EraseSize::Sector4K => SECTOR_ERASE,
            EraseSize::Block32K => BLOCK_ERASE_32K,
            EraseSize::Block64K => BLOCK_ERASE_64K,
        }
    }

    /// The maximum erase time in µs (W25Q32JV §9.6 "AC Electrical Characteristics": tSE
    /// 400 ms, tBE1 1.6 s, tBE2 2 s).
    pub const fn max_time_us(self) -> u32 {
        match self {
            EraseSize::Sector4K => 400_000,
            EraseSize::Block32K => 1_600_000,
            EraseSize::Block64K => 2_000_000,
        }
    }
}
