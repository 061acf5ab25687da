//! UIO (`/dev/uioN`) system calls: map N is mapped at mmap offset `N * page size`; a
//! 4-byte `read` returns the interrupt count; a 4-byte `write` of 1/0 enables/disables the
//! interrupt through the driver's `irqcontrol` (ENOSYS when it has none).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::fs::{page_size, read_records, MmapRegion};

/// Maps `len` bytes of UIO map `index` (offset `index * page size`).
pub(crate) fn map(fd: BorrowedFd<'_>, index: usize, len: usize) -> io::Result<MmapRegion> {
    let off = (index as u64)
        .checked_mul(page_size() as u64)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EOVERFLOW))?;
    MmapRegion::map(fd, len, off)
}

/// Reads the interrupt count (one 4-byte read). Blocks unless the fd is non-blocking
/// (then `WouldBlock` when no interrupt happened since the last read).
pub(crate) fn read_count(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let mut buf = [0u32; 1];
    let n = read_records(fd, &mut buf)?;
    if n != 1 {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
    }
    Ok(buf[0])
}

/// Writes the 4-byte `irqcontrol` value (1 enables, 0 disables the interrupt).
pub(crate) fn irq_control(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    let v: i32 = i32::from(on);
    loop {
        // SAFETY: writes 4 bytes from a live local `i32`.
        let n = unsafe {
            libc::write(
                fd.as_raw_fd(),
                (&v as *const i32).cast(),
                std::mem::size_of::<i32>(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        return Ok(());
    }
}
