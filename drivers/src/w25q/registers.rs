//! Instructions (datasheet §8.1 instruction tables) and status register 1 bits.

pub const WRITE_ENABLE: u8 = 0x06;
pub const WRITE_DISABLE: u8 = 0x04;
pub const READ_STATUS1: u8 = 0x05;
pub const READ_STATUS2: u8 = 0x35;
pub const READ_DATA: u8 = 0x03;
pub const FAST_READ: u8 = 0x0B;
pub const PAGE_PROGRAM: u8 = 0x02;
pub const SECTOR_ERASE: u8 = 0x20;
pub const BLOCK_ERASE_32K: u8 = 0x52;
pub const BLOCK_ERASE_64K: u8 = 0xD8;
pub const CHIP_ERASE: u8 = 0xC7;
pub const POWER_DOWN: u8 = 0xB9;
pub const RELEASE_POWER_DOWN: u8 = 0xAB;
pub const JEDEC_ID: u8 = 0x9F;

/// Status register 1: erase or write in progress.
pub const BUSY: u8 = 0b0000_0001;
/// Status register 1: write enable latch.
pub const WEL: u8 = 0b0000_0010;
