//! The raw kernel ABI: `#[repr(C)]` structures, ioctl numbers and one small function per
//! system call. This is the only module of udrv-core allowed to use `unsafe`; everything
//! above it is safe code over these functions.
//!
//! Each function takes a borrowed file descriptor and plain Rust values, and returns
//! `io::Result` with the errno preserved, so the safe layers can map it to typed errors.
#![allow(unsafe_code)]

pub(crate) mod fs;
pub(crate) mod gpio_v1;
pub(crate) mod gpio_v2;
pub(crate) mod i2c;
pub(crate) mod serial;
pub(crate) mod spi;
pub(crate) mod uevent;
pub(crate) mod uio;

use std::io;

/// Converts a libc return value (`-1` plus `errno` on failure) to `io::Result`.
pub(crate) fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Linux `_IOC` ioctl request encoding (asm-generic; x86, ARM and arm64 share it).
pub(crate) const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> libc::c_ulong {
    ((dir << 30) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32) as libc::c_ulong
}
/// `_IOC_WRITE` (user space writes, the kernel reads).
pub(crate) const IOC_WRITE: u32 = 1;
/// `_IOC_READ` (the kernel writes, user space reads).
pub(crate) const IOC_READ: u32 = 2;

/// `flock(2)`: `exclusive` selects `LOCK_EX` (else `LOCK_SH`), `wait` false adds `LOCK_NB`.
/// Returns `Ok(false)` when `wait` is false and another open file holds the lock.
pub(crate) fn flock(
    fd: std::os::fd::BorrowedFd<'_>,
    exclusive: bool,
    wait: bool,
) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    let mut op = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    if !wait {
        op |= libc::LOCK_NB;
    }
    loop {
        // SAFETY: flock takes a file descriptor and an integer; the fd is borrowed, so it
        // stays open for the duration of the call.
        match cvt(unsafe { libc::flock(fd.as_raw_fd(), op) }) {
            Ok(_) => return Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(e) if !wait && e.raw_os_error() == Some(libc::EWOULDBLOCK) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
}

/// Releases a `flock(2)` lock.
pub(crate) fn funlock(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: as in `flock`.
    cvt(unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_UN) }).map(drop)
}
