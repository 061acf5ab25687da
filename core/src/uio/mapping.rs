//! A memory map of a UIO device, with checked volatile register access.

use std::fmt;

use crate::sys::fs::{MmapRegion, Pod};

use super::error::{Error, Result};

/// One memory map of a UIO device (see [`Uio::map`](super::Uio::map)), unmapped on drop.
///
/// Register accesses are volatile, of exactly the width asked, bounds-checked against the
/// map's size and checked for natural alignment: a bad offset is an error, never a stray
/// access. A `Mapping` may be shared between threads.
///
/// ```no_run
/// use udrv_core::uio::Uio;
///
/// # fn main() -> Result<(), udrv_core::uio::Error> {
/// let dev = Uio::open(0)?;
/// let regs = dev.map(0)?;
/// let id = regs.read32(0x00)?;
/// regs.write32(0x04, 0x1234_5678)?;
/// assert!(regs.read32(regs.size()).is_err()); // past the end
/// # Ok(())
/// # }
/// ```
pub struct Mapping {
    region: MmapRegion,
    /// Where the map starts inside the mapping (its offset within the first page).
    start: usize,
    size: usize,
    index: usize,
}

impl fmt::Debug for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping")
            .field("index", &self.index)
            .field("size", &self.size)
            .field("start", &self.start)
            .finish()
    }
}

impl Mapping {
    pub(crate) fn new(region: MmapRegion, start: usize, size: usize, index: usize) -> Mapping {
        // Never claim more than was mapped.
        let size = size.min(region.len().saturating_sub(start));
        Mapping {
            region,
            start,
            size,
            index,
        }
    }

    /// The map's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The map's index on its device.
    pub fn index(&self) -> usize {
        self.index
    }

    fn check<T>(&self, offset: usize) -> Result<usize> {
        let width = std::mem::size_of::<T>();
        if offset.checked_add(width).is_none_or(|end| end > self.size) {
            return Err(Error::OutOfRange {
                offset,
                width,
                size: self.size,
            });
        }
        if offset % width != 0 || (self.start + offset) % width != 0 {
            return Err(Error::Misaligned { offset, width });
        }
        Ok(self.start + offset)
    }

    fn read<T: Pod>(&self, offset: usize) -> Result<T> {
        let at = self.check::<T>(offset)?;
        self.region.read::<T>(at).ok_or(Error::OutOfRange {
            offset,
            width: std::mem::size_of::<T>(),
            size: self.size,
        })
    }

    fn write<T: Pod>(&self, offset: usize, value: T) -> Result<()> {
        let at = self.check::<T>(offset)?;
        self.region.write::<T>(at, value).ok_or(Error::OutOfRange {
            offset,
            width: std::mem::size_of::<T>(),
            size: self.size,
        })
    }

    /// Reads the byte at `offset`.
    pub fn read8(&self, offset: usize) -> Result<u8> {
        self.read(offset)
    }
    /// Reads the 16-bit register at `offset` (2-byte aligned).
    pub fn read16(&self, offset: usize) -> Result<u16> {
        self.read(offset)
    }
    /// Reads the 32-bit register at `offset` (4-byte aligned).
    pub fn read32(&self, offset: usize) -> Result<u32> {
        self.read(offset)
    }
    /// Reads the 64-bit register at `offset` (8-byte aligned; one access on 64-bit CPUs).
    pub fn read64(&self, offset: usize) -> Result<u64> {
        self.read(offset)
    }
    /// Writes the byte at `offset`.
    pub fn write8(&self, offset: usize, value: u8) -> Result<()> {
        self.write(offset, value)
    }
    /// Writes the 16-bit register at `offset`.
    pub fn write16(&self, offset: usize, value: u16) -> Result<()> {
        self.write(offset, value)
    }
    /// Writes the 32-bit register at `offset`.
    pub fn write32(&self, offset: usize, value: u32) -> Result<()> {
        self.write(offset, value)
    }
    /// Writes the 64-bit register at `offset`.
    pub fn write64(&self, offset: usize, value: u64) -> Result<()> {
        self.write(offset, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;

    fn file_mapping(start: usize, size: usize) -> Mapping {
        let mut f = crate::sys::fs::scratch_file(&format!("uio-map-{start}-{size}"));
        f.write_all(&vec![0u8; 4096]).unwrap();
        let r = MmapRegion::map(f.as_fd(), 4096, 0).unwrap();
        Mapping::new(r, start, size, 0)
    }

    #[test]
    fn accesses_inside_the_map_work() {
        let m = file_mapping(0, 0x100);
        m.write32(0x10, 0x0102_0304).unwrap();
        assert_eq!(m.read32(0x10).unwrap(), 0x0102_0304);
        m.write8(0xff, 0xaa).unwrap();
        assert_eq!(m.read8(0xff).unwrap(), 0xaa);
        m.write16(0xfe, 0x1234).unwrap();
        assert_eq!(m.read16(0xfe).unwrap(), 0x1234);
        m.write64(0xf8, u64::MAX).unwrap();
        assert_eq!(m.read64(0xf8).unwrap(), u64::MAX);
    }

    #[test]
    fn out_of_range_is_an_error() {
        let m = file_mapping(0, 0x100);
        assert!(matches!(
            m.read32(0x100),
            Err(Error::OutOfRange {
                offset: 0x100,
                width: 4,
                size: 0x100
            })
        ));
        // Inside the page but past the map's size: still refused.
        assert!(matches!(m.write8(0x100, 1), Err(Error::OutOfRange { .. })));
        assert!(matches!(m.read64(0xfc), Err(Error::OutOfRange { .. })));
        assert!(matches!(
            m.read32(usize::MAX - 1),
            Err(Error::OutOfRange { .. })
        ));
    }

    #[test]
    fn misaligned_is_an_error() {
        let m = file_mapping(0, 0x100);
        assert!(matches!(
            m.read32(2),
            Err(Error::Misaligned {
                offset: 2,
                width: 4
            })
        ));
        assert!(matches!(m.write16(1, 0), Err(Error::Misaligned { .. })));
        assert!(m.read8(3).is_ok());
    }

    #[test]
    fn offsets_are_relative_to_the_map_start() {
        let m = file_mapping(0x20, 0x40);
        m.write32(0, 7).unwrap();
        assert_eq!(m.region.read::<u32>(0x20), Some(7));
        assert!(m.read32(0x40).is_err());
        assert_eq!(m.size(), 0x40);
    }

    #[test]
    fn size_never_exceeds_what_was_mapped() {
        let m = file_mapping(0x800, 0x10_0000);
        assert_eq!(m.size(), 0x800);
    }
}
