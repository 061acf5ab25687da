//! Winbond W25Qxx SPI NOR flash (W25Q16 … W25Q128, and other 25-series chips with
//! 3-byte addresses and the same basic instructions): JEDEC ID, read and fast read,
//! page program split at the 256-byte pages, 4 KiB sector / 32 KiB / 64 KiB block / chip
//! erase, write enable checked in the status register, BUSY polling with the datasheet's
//! maximum times, power-down.
//!
//! Instruction set (W25Q32JV datasheet §8.1.2 "Instruction Set Table 1"): 06h Write
//! Enable, 04h Write Disable, 05h Read Status Register-1, 35h Read Status Register-2, 03h
//! Read Data (A23-A16, A15-A8, A7-A0, then data), 0Bh Fast Read (address, one dummy
//! byte, then data), 02h Page Program (address, 1..256 bytes), 20h Sector Erase (4 KB),
//! 52h Block Erase (32 KB), D8h Block Erase (64 KB), C7h Chip Erase, B9h Power-down, ABh
//! Release Power-down, 9Fh JEDEC ID (manufacturer EFh, memory type, capacity). Status
//! register 1 (§7.1): BUSY bit 0, WEL bit 1, BP2:BP0 bits 4:2, TB bit 5, SEC bit 6, SRP
//! bit 7.
//!
//! Writes program bits from 1 to 0 only: erase first. A page program that runs past the
//! end of its page wraps to the page's start on the chip, so [`W25q::program`] splits at
//! page boundaries.
//!
//! ```no_run
//! # fn demo<S: embedded_hal::spi::SpiDevice, D: embedded_hal::delay::DelayNs>(spi: S, mut delay: D)
//! # -> Result<(), udrv_drivers::w25q::Error<S::Error>> {
//! use udrv_drivers::w25q::W25q;
//! let mut flash = W25q::new(spi);
//! let id = flash.init()?; // JEDEC ID -> capacity
//! flash.erase_sector(0x1000, &mut delay)?;
//! flash.program(0x10f0, b"crosses a page boundary", &mut delay)?;
//! let mut buf = [0; 23];
//! flash.read(0x10f0, &mut buf)?;
//! # let _ = id; Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
mod registers;
mod types;

pub use types::*;

use embedded_hal::spi::{Operation, SpiDevice};
use embedded_hal_async::spi::SpiDevice as AsyncSpiDevice;

/// Page size: the most one page program writes.
pub const PAGE_SIZE: u32 = 256;
/// Sector (smallest erase) size.
pub const SECTOR_SIZE: u32 = 4096;

use registers::*;
pub use registers::{BUSY, WEL};

/// Errors of the W25Qxx driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// The access goes past the end of the memory (or the capacity is not known yet:
    /// call [`W25q::init`] or build with [`W25q::with_capacity`]).
    OutOfRange,
    /// An erase address not aligned to the erase size.
    Misaligned,
    /// WEL did not read 1 after Write Enable: the chip is absent, powered down or busy.
    WriteEnableFailed,
    /// BUSY stayed set past the datasheet's maximum time for the operation.
    Timeout,
    /// The JEDEC ID gives no capacity this driver can address with 3 bytes (the ID read).
    UnsupportedId(JedecId),
}

impl_error!(Error + From, |f, e| {
    match e {
        Error::Bus(b) => write!(f, "W25Q: SPI error: {b}"),
        Error::OutOfRange => f.write_str(
            "W25Q: the access goes past the end of the flash (capacity known? \
            call init())",
        ),
        Error::Misaligned => f.write_str("W25Q: erase address not aligned to the erase size"),
        Error::WriteEnableFailed => f.write_str(
            "W25Q: write enable did not set WEL (chip absent, powered down or \
            busy? check wiring and /WP)",
        ),
        Error::Timeout => {
            f.write_str("W25Q: the chip stayed busy past the datasheet's maximum time")
        }
        Error::UnsupportedId(id) => write!(
            f,
            "W25Q: JEDEC ID {:02x} {:02x} {:02x}: not a 3-byte-address \
            25-series flash (is MISO connected?)",
            id.manufacturer, id.memory_type, id.capacity
        ),
    }
});

/// Maximum page program time tPP (3 ms), in µs.
pub const PAGE_PROGRAM_MAX_US: u32 = 3_000;
/// Maximum chip erase time allowed, in µs (tCE: 50 s on the W25Q32JV, 100 s W25Q64JV,
/// 200 s W25Q128JV: the largest).
pub const CHIP_ERASE_MAX_US: u32 = 200_000_000;

/// A W25Qxx flash on one chip select.
#[derive(Debug)]
pub struct W25q<SPI> {
    spi: SPI,
    capacity: u32,
}

impl<SPI> W25q<SPI> {
    /// A driver whose capacity is learnt from the JEDEC ID by [`init`](Self::init).
    pub fn new(spi: SPI) -> Self {
        Self { spi, capacity: 0 }
    }

    /// A driver for a flash of `bytes` bytes (no ID read needed).
    pub fn with_capacity(spi: SPI, bytes: u32) -> Self {
        Self {
            spi,
            capacity: bytes,
        }
    }

    /// The capacity in bytes (0 before [`init`](Self::init)).
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Give the bus back.
    pub fn release(self) -> SPI {
        self.spi
    }

    fn check<E>(&self, addr: u32, len: usize) -> Result<(), Error<E>> {
        if u64::from(addr) + len as u64 > u64::from(self.capacity) {
            return Err(Error::OutOfRange);
        }
        Ok(())
    }
}

fn cmd_addr(cmd: u8, addr: u32) -> [u8; 4] {
    [cmd, (addr >> 16) as u8, (addr >> 8) as u8, addr as u8]
}

/// The length of the first page-program chunk of `len` bytes at `addr`.
pub fn page_chunk(addr: u32, len: usize) -> usize {
    ((PAGE_SIZE - addr % PAGE_SIZE) as usize).min(len)
}

dual_impl!({
    #[asynch(SPI: AsyncSpiDevice)]
    impl<SPI> W25q<SPI>
    where
        SPI: SpiDevice,
    {
        /// Read the JEDEC ID (9Fh).
        #[asynch(jedec_id_async)]
        pub fn jedec_id(&mut self) -> Result<JedecId, Error<SPI::Error>> {
            let mut id = [0; 3];
            io!(self
                .spi
                .transaction(&mut [Operation::Write(&[JEDEC_ID]), Operation::Read(&mut id)]))?;
            Ok(JedecId {
                manufacturer: id[0],
                memory_type: id[1],
                capacity: id[2],
            })
        }

        /// Read the JEDEC ID and take the capacity from it. A chip still busy with a program
        /// or erase (after an error part-way through one) ignores the instruction and the ID
        /// reads FFh ([`Error::UnsupportedId`]): [`wait_idle`](Self::wait_idle) first.
        #[asynch(init_async)]
        pub fn init(&mut self) -> Result<JedecId, Error<SPI::Error>> {
            let mut id = [0; 3];
            io!(self
                .spi
                .transaction(&mut [Operation::Write(&[JEDEC_ID]), Operation::Read(&mut id)]))?;
            let id = JedecId {
                manufacturer: id[0],
                memory_type: id[1],
                capacity: id[2],
            };
            self.capacity = id.capacity_bytes().ok_or(Error::UnsupportedId(id))?;
            Ok(id)
        }

        /// Read the status register that instruction `read` reads.
        #[asynch(read_status_async)]
        fn read_status(&mut self, read: u8) -> Result<u8, Error<SPI::Error>> {
            let mut s = [0];
            io!(self
                .spi
                .transaction(&mut [Operation::Write(&[read]), Operation::Read(&mut s)]))?;
            Ok(s[0])
        }

        /// Read status register 1 (05h).
        #[asynch(status_async)]
        pub fn status(&mut self) -> Result<u8, Error<SPI::Error>> {
            call!(self.read_status / read_status_async(READ_STATUS1))
        }

        /// Read status register 2 (35h).
        #[asynch(status2_async)]
        pub fn status2(&mut self) -> Result<u8, Error<SPI::Error>> {
            call!(self.read_status / read_status_async(READ_STATUS2))
        }

        /// Whether an erase or program is in progress (BUSY).
        #[asynch(is_busy_async)]
        pub fn is_busy(&mut self) -> Result<bool, Error<SPI::Error>> {
            Ok(call!(self.status / status_async())? & BUSY != 0)
        }

        /// Write Enable (06h), then check that WEL reads 1.
        #[asynch(write_enable_async)]
        pub fn write_enable(&mut self) -> Result<(), Error<SPI::Error>> {
            io!(self.spi.write(&[WRITE_ENABLE]))?;
            if call!(self.status / status_async())? & (WEL | BUSY) != WEL {
                return Err(Error::WriteEnableFailed);
            }
            Ok(())
        }

        /// Write Disable (04h).
        #[asynch(write_disable_async)]
        pub fn write_disable(&mut self) -> Result<(), Error<SPI::Error>> {
            io!(self.spi.write(&[WRITE_DISABLE]))?;
            Ok(())
        }

        /// Read Data (03h): `buf.len()` bytes from `addr`, in one transaction.
        #[asynch(read_async)]
        pub fn read(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), Error<SPI::Error>> {
            self.check(addr, buf.len())?;
            io!(self.spi.transaction(&mut [
                Operation::Write(&cmd_addr(READ_DATA, addr)),
                Operation::Read(buf)
            ]))?;
            Ok(())
        }

        /// Fast Read (0Bh: the address, then one dummy byte — 8 clocks — before the data).
        #[asynch(fast_read_async)]
        pub fn fast_read(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), Error<SPI::Error>> {
            self.check(addr, buf.len())?;
            let c = cmd_addr(FAST_READ, addr);
            io!(self.spi.transaction(&mut [
                Operation::Write(&[c[0], c[1], c[2], c[3], 0]),
                Operation::Read(buf)
            ]))?;
            Ok(())
        }

        /// Write Enable, then Page Program (02h) `data` at `addr`, which must stay inside one
        /// 256-byte page (else [`Error::OutOfRange`]); does not wait for the end of the cycle
        /// (see [`program`](Self::program)).
        #[asynch(start_page_program_async)]
        pub fn start_page_program(
            &mut self,
            addr: u32,
            data: &[u8],
        ) -> Result<(), Error<SPI::Error>> {
            self.check(addr, data.len())?;
            if data.is_empty() {
                return Ok(());
            }
            if page_chunk(addr, data.len()) != data.len() {
                return Err(Error::OutOfRange);
            }
            call!(self.write_enable / write_enable_async())?;
            io!(self.spi.transaction(&mut [
                Operation::Write(&cmd_addr(PAGE_PROGRAM, addr)),
                Operation::Write(data)
            ]))?;
            Ok(())
        }

        /// Write Enable, then erase the sector or block at `addr` (aligned to its size); does
        /// not wait.
        #[asynch(start_erase_async)]
        pub fn start_erase(&mut self, size: EraseSize, addr: u32) -> Result<(), Error<SPI::Error>> {
            self.check(addr, size.bytes() as usize)?;
            if addr % size.bytes() != 0 {
                return Err(Error::Misaligned);
            }
            call!(self.write_enable / write_enable_async())?;
            io!(self.spi.write(&cmd_addr(size.instruction(), addr)))?;
            Ok(())
        }

        /// Write Enable, then Chip Erase (C7h); does not wait.
        #[asynch(start_chip_erase_async)]
        pub fn start_chip_erase(&mut self) -> Result<(), Error<SPI::Error>> {
            call!(self.write_enable / write_enable_async())?;
            io!(self.spi.write(&[CHIP_ERASE]))?;
            Ok(())
        }

        /// Power-down (B9h): only Release Power-down is obeyed until then.
        #[asynch(power_down_async)]
        pub fn power_down(&mut self) -> Result<(), Error<SPI::Error>> {
            io!(self.spi.write(&[POWER_DOWN]))?;
            Ok(())
        }

        /// Release Power-down (ABh); the chip needs tRES1 (3 µs) before the next instruction.
        #[asynch(release_power_down_async)]
        pub fn release_power_down(&mut self) -> Result<(), Error<SPI::Error>> {
            io!(self.spi.write(&[RELEASE_POWER_DOWN]))?;
            Ok(())
        }
    }
});

dual_impl!({
    #[asynch(SPI: AsyncSpiDevice)]
    impl<SPI> W25q<SPI>
    where
        SPI: SpiDevice,
    {
        /// Poll BUSY every `step_us` until it clears, for at most `max_us`.
        #[asynch(wait_idle_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn wait_idle<D>(
            &mut self,
            delay: &mut D,
            max_us: u32,
            step_us: u32,
        ) -> Result<(), Error<SPI::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            let mut waited: u32 = 0;
            loop {
                if call!(self.status / status_async())? & BUSY == 0 {
                    break Ok(());
                }
                if waited >= max_us {
                    break Err(Error::Timeout);
                }
                io!(delay.delay_us(step_us));
                waited = waited.saturating_add(step_us);
            }
        }

        /// Program `data` at `addr`: one page program per 256-byte page touched, each
        /// followed by BUSY polling (every 100 µs, at most tPP). The bytes must be erased.
        #[asynch(program_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn program<D>(
            &mut self,
            addr: u32,
            data: &[u8],
            delay: &mut D,
        ) -> Result<(), Error<SPI::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            self.check(addr, data.len())?;
            let mut done = 0;
            while done < data.len() {
                let at = addr + done as u32;
                let n = page_chunk(at, data.len() - done);
                call!(
                    self.start_page_program / start_page_program_async(at, &data[done..done + n])
                )?;
                call!(self.wait_idle / wait_idle_async(delay, PAGE_PROGRAM_MAX_US, 100))?;
                done += n;
            }
            Ok(())
        }

        /// Erase the sector or block at `addr` and wait (polling every millisecond).
        #[asynch(erase_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn erase<D>(
            &mut self,
            size: EraseSize,
            addr: u32,
            delay: &mut D,
        ) -> Result<(), Error<SPI::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            call!(self.start_erase / start_erase_async(size, addr))?;
            call!(self.wait_idle / wait_idle_async(delay, size.max_time_us(), 1000))
        }

        /// Erase the 4 KiB sector at `addr` (aligned) and wait.
        #[asynch(erase_sector_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn erase_sector<D>(&mut self, addr: u32, delay: &mut D) -> Result<(), Error<SPI::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            call!(self.erase / erase_async(EraseSize::Sector4K, addr, delay))
        }

        /// Erase the whole chip and wait (polling every 10 ms).
        #[asynch(erase_chip_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn erase_chip<D>(&mut self, delay: &mut D) -> Result<(), Error<SPI::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            call!(self.start_chip_erase / start_chip_erase_async())?;
            call!(self.wait_idle / wait_idle_async(delay, CHIP_ERASE_MAX_US, 10_000))
        }
    }
});
