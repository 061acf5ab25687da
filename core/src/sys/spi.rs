//! spidev: `<linux/spi/spidev.h>` and `<linux/spi/spi.h>` (mode bits).
//!
//! [`Xfer`] borrows the buffers of one `spi_ioc_transfer` for its lifetime, so
//! [`message`] can hand any slice of them to the kernel soundly.
#![allow(non_camel_case_types, dead_code)]

use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::{cvt, ioc, IOC_READ, IOC_WRITE};

/// `SPI_IOC_MAGIC`.
pub(crate) const SPI_IOC_MAGIC: u8 = b'k';

// Mode bits (`SPI_*` in <linux/spi/spi.h>).
/// `SPI_CPHA`: clock phase.
pub(crate) const SPI_CPHA: u32 = 0x01;
/// `SPI_CPOL`: clock polarity.
pub(crate) const SPI_CPOL: u32 = 0x02;
/// `SPI_CS_HIGH`: chip select active high.
pub(crate) const SPI_CS_HIGH: u32 = 0x04;
/// `SPI_LSB_FIRST`: per-word bits on the wire, least significant first.
pub(crate) const SPI_LSB_FIRST: u32 = 0x08;
/// `SPI_3WIRE`: SI/SO signals shared.
pub(crate) const SPI_3WIRE: u32 = 0x10;
/// `SPI_LOOP`: loopback mode.
pub(crate) const SPI_LOOP: u32 = 0x20;
/// `SPI_NO_CS`: one device per bus, no chip select.
pub(crate) const SPI_NO_CS: u32 = 0x40;
/// `SPI_READY`: the target pulls low to pause.
pub(crate) const SPI_READY: u32 = 0x80;

/// The size of one `struct spi_ioc_transfer`.
pub(crate) const SPI_IOC_TRANSFER_SIZE: usize = 32;
/// The most transfers one `SPI_IOC_MESSAGE(n)` can carry: the ioctl's 14-bit size field
/// must hold `n * 32` (`SPI_MSGSIZE`).
pub(crate) const SPI_IOC_MAX_TRANSFERS: usize = ((1 << 14) - 1) / SPI_IOC_TRANSFER_SIZE;

/// `SPI_IOC_MESSAGE(n)`.
pub(crate) const fn spi_ioc_message(n: usize) -> libc::c_ulong {
    let size = n * SPI_IOC_TRANSFER_SIZE;
    let size = if size < (1 << 14) { size } else { 0 };
    ioc(IOC_WRITE, SPI_IOC_MAGIC, 0, size)
}
/// `SPI_IOC_RD_MODE`.
pub(crate) const SPI_IOC_RD_MODE: libc::c_ulong = ioc(IOC_READ, SPI_IOC_MAGIC, 1, 1);
/// `SPI_IOC_WR_MODE`.
pub(crate) const SPI_IOC_WR_MODE: libc::c_ulong = ioc(IOC_WRITE, SPI_IOC_MAGIC, 1, 1);
/// `SPI_IOC_RD_LSB_FIRST`.
pub(crate) const SPI_IOC_RD_LSB_FIRST: libc::c_ulong = ioc(IOC_READ, SPI_IOC_MAGIC, 2, 1);
/// `SPI_IOC_WR_LSB_FIRST`.
pub(crate) const SPI_IOC_WR_LSB_FIRST: libc::c_ulong = ioc(IOC_WRITE, SPI_IOC_MAGIC, 2, 1);
/// `SPI_IOC_RD_BITS_PER_WORD`.
pub(crate) const SPI_IOC_RD_BITS_PER_WORD: libc::c_ulong = ioc(IOC_READ, SPI_IOC_MAGIC, 3, 1);
/// `SPI_IOC_WR_BITS_PER_WORD`.
pub(crate) const SPI_IOC_WR_BITS_PER_WORD: libc::c_ulong = ioc(IOC_WRITE, SPI_IOC_MAGIC, 3, 1);
/// `SPI_IOC_RD_MAX_SPEED_HZ`.
pub(crate) const SPI_IOC_RD_MAX_SPEED_HZ: libc::c_ulong = ioc(IOC_READ, SPI_IOC_MAGIC, 4, 4);
/// `SPI_IOC_WR_MAX_SPEED_HZ`.
pub(crate) const SPI_IOC_WR_MAX_SPEED_HZ: libc::c_ulong = ioc(IOC_WRITE, SPI_IOC_MAGIC, 4, 4);
/// `SPI_IOC_RD_MODE32`.
pub(crate) const SPI_IOC_RD_MODE32: libc::c_ulong = ioc(IOC_READ, SPI_IOC_MAGIC, 5, 4);
/// `SPI_IOC_WR_MODE32`.
pub(crate) const SPI_IOC_WR_MODE32: libc::c_ulong = ioc(IOC_WRITE, SPI_IOC_MAGIC, 5, 4);

mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u16 {}
    impl Sealed for u32 {}
}

/// A word type for SPI transfers: `u8`, `u16` or `u32`, in host byte order as spidev
/// expects for 9 to 16 and 17 to 32 bits per word. Sealed: the kernel writes received
/// words straight into these buffers, which is sound only for plain integers.
pub trait Word: sealed::Sealed + Copy + Default + Send + Sync + 'static {
    /// The size in bytes.
    const BYTES: usize;
    /// The word sizes (bits per word) this type carries.
    const BITS: std::ops::RangeInclusive<u8>;
}
impl Word for u8 {
    const BYTES: usize = 1;
    const BITS: std::ops::RangeInclusive<u8> = 1..=8;
}
impl Word for u16 {
    const BYTES: usize = 2;
    const BITS: std::ops::RangeInclusive<u8> = 9..=16;
}
impl Word for u32 {
    const BYTES: usize = 4;
    const BITS: std::ops::RangeInclusive<u8> = 17..=32;
}

/// `struct spi_ioc_transfer`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct spi_ioc_transfer {
    pub tx_buf: u64,
    pub rx_buf: u64,
    pub len: u32,
    pub speed_hz: u32,
    pub delay_usecs: u16,
    pub bits_per_word: u8,
    pub cs_change: u8,
    pub tx_nbits: u8,
    pub rx_nbits: u8,
    pub word_delay_usecs: u8,
    pub pad: u8,
}

/// A [`spi_ioc_transfer`] that borrows its buffers for `'a`: the kernel reads `tx` and
/// writes `rx`, both `len` bytes. The settings (speed, delays, `cs_change`, word size)
/// are plain values and freely settable.
#[repr(transparent)]
#[derive(Debug)]
pub(crate) struct Xfer<'a> {
    raw: spi_ioc_transfer,
    _buf: PhantomData<&'a mut [u8]>,
}

impl<'a> Xfer<'a> {
    fn with(tx: *const u8, rx: *mut u8, len: usize) -> Self {
        Xfer {
            raw: spi_ioc_transfer {
                tx_buf: tx as usize as u64,
                rx_buf: rx as usize as u64,
                // Lengths past u32 are cut; spidev refuses far smaller ones anyway.
                len: u32::try_from(len).unwrap_or(u32::MAX),
                ..Default::default()
            },
            _buf: PhantomData,
        }
    }

    /// Sends `tx`, receiving nothing.
    pub(crate) fn write<W: Word>(tx: &'a [W]) -> Self {
        Self::with(
            tx.as_ptr().cast(),
            std::ptr::null_mut(),
            std::mem::size_of_val(tx),
        )
    }

    /// Receives `rx.len()` words (sending zeroes or whatever the controller sends).
    pub(crate) fn read<W: Word>(rx: &'a mut [W]) -> Self {
        let len = std::mem::size_of_val(rx);
        Self::with(std::ptr::null(), rx.as_mut_ptr().cast(), len)
    }

    /// Full duplex over the shorter of the two lengths (callers pass equal lengths).
    pub(crate) fn duplex<W: Word>(tx: &'a [W], rx: &'a mut [W]) -> Self {
        let len = std::mem::size_of_val(tx).min(std::mem::size_of_val(rx));
        Self::with(tx.as_ptr().cast(), rx.as_mut_ptr().cast(), len)
    }

    /// Full duplex in place: sends `buf`, then overwrites it with what was received.
    /// (spidev copies the transmit data to its own buffer before the transfer.)
    pub(crate) fn in_place<W: Word>(buf: &'a mut [W]) -> Self {
        let len = std::mem::size_of_val(buf);
        let p = buf.as_mut_ptr().cast::<u8>();
        Self::with(p, p, len)
    }

    /// No data: only the delay and `cs_change` act.
    pub(crate) fn empty() -> Self {
        Self::with(std::ptr::null(), std::ptr::null_mut(), 0)
    }

    /// The part `[offset, offset + len)` of this transfer, with the same settings.
    /// Out-of-range parts are clamped to the transfer, so they never leave its buffers.
    pub(crate) fn part(&self, offset: usize, len: usize) -> Xfer<'a> {
        let total = self.raw.len as usize;
        let offset = offset.min(total);
        let len = len.min(total - offset);
        let mut raw = self.raw;
        raw.len = len as u32;
        if raw.tx_buf != 0 {
            raw.tx_buf += offset as u64;
        }
        if raw.rx_buf != 0 {
            raw.rx_buf += offset as u64;
        }
        Xfer {
            raw,
            _buf: PhantomData,
        }
    }

    /// Length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.raw.len as usize
    }
    /// Whether the kernel reads from a transmit buffer.
    pub(crate) fn has_tx(&self) -> bool {
        self.raw.tx_buf != 0
    }
    /// Whether the kernel writes into a receive buffer.
    pub(crate) fn has_rx(&self) -> bool {
        self.raw.rx_buf != 0
    }
    /// The plain settings of the transfer (buffers aside).
    pub(crate) fn raw(&self) -> &spi_ioc_transfer {
        &self.raw
    }
    /// `speed_hz` (0: the device's).
    pub(crate) fn set_speed_hz(&mut self, hz: u32) {
        self.raw.speed_hz = hz;
    }
    /// `delay_usecs` after the transfer.
    pub(crate) fn set_delay_usecs(&mut self, us: u16) {
        self.raw.delay_usecs = us;
    }
    /// `bits_per_word` (0: the device's).
    pub(crate) fn set_bits_per_word(&mut self, bits: u8) {
        self.raw.bits_per_word = bits;
    }
    /// `cs_change`.
    pub(crate) fn set_cs_change(&mut self, on: bool) {
        self.raw.cs_change = on.into();
    }
    /// `word_delay_usecs`.
    pub(crate) fn set_word_delay_usecs(&mut self, us: u8) {
        self.raw.word_delay_usecs = us;
    }
}

/// `SPI_IOC_MESSAGE(n)`: the transfers as one SPI message (chip select asserted from the
/// first to the end of the last, unless `cs_change` says otherwise). Returns the number
/// of bytes transferred.
pub(crate) fn message(fd: BorrowedFd<'_>, xfers: &mut [Xfer<'_>]) -> io::Result<usize> {
    if xfers.len() > SPI_IOC_MAX_TRANSFERS {
        return Err(io::Error::from_raw_os_error(libc::EMSGSIZE));
    }
    let req = spi_ioc_message(xfers.len());
    // SAFETY: `Xfer` is `repr(transparent)` over `spi_ioc_transfer`; the request's size
    // field is `xfers.len() * 32`, exactly the array passed. Every buffer pointer is null
    // or comes from a slice borrowed (mutably, for receive buffers) for the `Xfer`'s
    // lifetime, which outlives this call, with `len` not past its end.
    let n = cvt(unsafe { libc::ioctl(fd.as_raw_fd(), req as _, xfers.as_mut_ptr()) })?;
    Ok(n as usize)
}

/// Reads an 8-bit setting (`SPI_IOC_RD_MODE`, `_LSB_FIRST`, `_BITS_PER_WORD`).
pub(crate) fn read_u8(fd: BorrowedFd<'_>, req: libc::c_ulong) -> io::Result<u8> {
    let mut v: u8 = 0;
    // SAFETY: the 8-bit read requests write one byte to the pointer, a live local.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), req as _, &mut v as *mut u8) })?;
    Ok(v)
}

/// Writes an 8-bit setting (`SPI_IOC_WR_MODE`, `_LSB_FIRST`, `_BITS_PER_WORD`).
pub(crate) fn write_u8(fd: BorrowedFd<'_>, req: libc::c_ulong, v: u8) -> io::Result<()> {
    // SAFETY: the 8-bit write requests read one byte from the pointer, a live local.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), req as _, &v as *const u8) })?;
    Ok(())
}

/// Reads a 32-bit setting (`SPI_IOC_RD_MAX_SPEED_HZ`, `_MODE32`).
pub(crate) fn read_u32(fd: BorrowedFd<'_>, req: libc::c_ulong) -> io::Result<u32> {
    let mut v: u32 = 0;
    // SAFETY: the 32-bit read requests write one u32 to the pointer, a live local.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), req as _, &mut v as *mut u32) })?;
    Ok(v)
}

/// Writes a 32-bit setting (`SPI_IOC_WR_MAX_SPEED_HZ`, `_MODE32`).
pub(crate) fn write_u32(fd: BorrowedFd<'_>, req: libc::c_ulong, v: u32) -> io::Result<()> {
    // SAFETY: the 32-bit write requests read one u32 from the pointer, a live local.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), req as _, &v as *const u32) })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_linux_spidev_h() {
        // Values from <linux/spi/spidev.h> on x86_64/arm/arm64 (asm-generic ioctl.h).
        assert_eq!(spi_ioc_message(1), 0x4020_6b00);
        assert_eq!(spi_ioc_message(2), 0x4040_6b00);
        assert_eq!(spi_ioc_message(511), 0x7fe0_6b00);
        // SPI_MSGSIZE is 0 once n * 32 no longer fits the 14-bit size field.
        assert_eq!(spi_ioc_message(512), 0x4000_6b00);
        assert_eq!(SPI_IOC_MAX_TRANSFERS, 511);
        assert_eq!(SPI_IOC_RD_MODE, 0x8001_6b01);
        assert_eq!(SPI_IOC_WR_MODE, 0x4001_6b01);
        assert_eq!(SPI_IOC_RD_LSB_FIRST, 0x8001_6b02);
        assert_eq!(SPI_IOC_WR_LSB_FIRST, 0x4001_6b02);
        assert_eq!(SPI_IOC_RD_BITS_PER_WORD, 0x8001_6b03);
        assert_eq!(SPI_IOC_WR_BITS_PER_WORD, 0x4001_6b03);
        assert_eq!(SPI_IOC_RD_MAX_SPEED_HZ, 0x8004_6b04);
        assert_eq!(SPI_IOC_WR_MAX_SPEED_HZ, 0x4004_6b04);
        assert_eq!(SPI_IOC_RD_MODE32, 0x8004_6b05);
        assert_eq!(SPI_IOC_WR_MODE32, 0x4004_6b05);
    }

    #[test]
    fn transfer_layout_matches_the_kernel() {
        assert_eq!(std::mem::size_of::<spi_ioc_transfer>(), 32);
        assert_eq!(std::mem::size_of::<Xfer<'_>>(), 32);
        let t = spi_ioc_transfer::default();
        let base = &t as *const _ as usize;
        assert_eq!(&t.len as *const _ as usize - base, 16);
        assert_eq!(&t.speed_hz as *const _ as usize - base, 20);
        assert_eq!(&t.delay_usecs as *const _ as usize - base, 24);
        assert_eq!(&t.bits_per_word as *const _ as usize - base, 26);
        assert_eq!(&t.cs_change as *const _ as usize - base, 27);
        assert_eq!(&t.word_delay_usecs as *const _ as usize - base, 30);
    }

    #[test]
    fn parts_stay_inside_their_buffers() {
        let tx = [1u8; 10];
        let x = Xfer::write(&tx);
        let p = x.part(4, 100);
        assert_eq!(p.len(), 6);
        assert_eq!(p.raw().tx_buf, x.raw().tx_buf + 4);
        assert!(!p.has_rx());
        let q = x.part(50, 5);
        assert_eq!(q.len(), 0);
    }
}
