//! Serial port (tty) kernel ABI: `termios2`, `struct serial_rs485`, `struct serial_struct`,
//! `struct serial_icounter_struct`, and one function per ioctl, plus `openpty` and `poll`.
//!
//! Layouts follow `include/uapi/linux/serial.h` and `asm-generic/termbits.h`; request
//! numbers come from `libc`, which carries the per-architecture values (MIPS, SPARC and
//! PowerPC differ from the generic ones).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use super::cvt;

pub(crate) use libc::termios2 as Termios2;

/// `struct serial_rs485` (32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SerialRs485 {
    pub flags: u32,
    pub delay_rts_before_send: u32,
    pub delay_rts_after_send: u32,
    /// `addr_recv`, `addr_dest` and padding (the union with `padding[5]`).
    pub addr_recv: u8,
    pub addr_dest: u8,
    pub padding0: [u8; 2],
    pub padding1: [u32; 4],
}

/// `struct serial_struct`, used by TIOCGSERIAL/TIOCSSERIAL.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct SerialStruct {
    pub type_: libc::c_int,
    pub line: libc::c_int,
    pub port: libc::c_uint,
    pub irq: libc::c_int,
    pub flags: libc::c_int,
    pub xmit_fifo_size: libc::c_int,
    pub custom_divisor: libc::c_int,
    pub baud_base: libc::c_int,
    pub close_delay: libc::c_ushort,
    pub io_type: libc::c_char,
    pub reserved_char: [libc::c_char; 1],
    pub hub6: libc::c_int,
    pub closing_wait: libc::c_ushort,
    pub closing_wait2: libc::c_ushort,
    pub iomem_base: *mut libc::c_uchar,
    pub iomem_reg_shift: libc::c_ushort,
    pub port_high: libc::c_uint,
    pub iomap_base: libc::c_ulong,
}

impl Default for SerialStruct {
    fn default() -> Self {
        SerialStruct {
            type_: 0,
            line: 0,
            port: 0,
            irq: 0,
            flags: 0,
            xmit_fifo_size: 0,
            custom_divisor: 0,
            baud_base: 0,
            close_delay: 0,
            io_type: 0,
            reserved_char: [0],
            hub6: 0,
            closing_wait: 0,
            closing_wait2: 0,
            iomem_base: std::ptr::null_mut(),
            iomem_reg_shift: 0,
            port_high: 0,
            iomap_base: 0,
        }
    }
}

/// `ASYNC_LOW_LATENCY` in `serial_struct.flags` (`include/uapi/linux/tty_flags.h`).
pub(crate) const ASYNC_LOW_LATENCY: libc::c_int = 1 << 13;

/// `struct serial_icounter_struct`, filled by TIOCGICOUNT.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SerialIcounter {
    pub cts: libc::c_int,
    pub dsr: libc::c_int,
    pub rng: libc::c_int,
    pub dcd: libc::c_int,
    pub rx: libc::c_int,
    pub tx: libc::c_int,
    pub frame: libc::c_int,
    pub overrun: libc::c_int,
    pub parity: libc::c_int,
    pub brk: libc::c_int,
    pub buf_overrun: libc::c_int,
    pub reserved: [libc::c_int; 9],
}

/// `ioctl(fd, req, arg)` for the tty ioctls that read and/or write one `T` through
/// their argument.
///
/// # Safety
/// `req` must access at most one `T` (our `repr(C)` copy of the kernel's struct).
unsafe fn ioctl_one<T>(fd: BorrowedFd<'_>, req: libc::Ioctl, arg: &mut T) -> io::Result<()> {
    // SAFETY: `arg` is valid and exclusively borrowed for the call, and the caller
    // promises that `req` accesses no more than one `T` through it.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), req, arg as *mut T) })?;
    Ok(())
}

/// Reads one `T` with `req`, into a default value.
///
/// # Safety
/// As [`ioctl_one`]: `req` writes at most one `T`.
unsafe fn ioctl_get<T: Default>(fd: BorrowedFd<'_>, req: libc::Ioctl) -> io::Result<T> {
    let mut v = T::default();
    // SAFETY: the caller's promise, passed on.
    unsafe { ioctl_one(fd, req, &mut v) }?;
    Ok(v)
}

/// TCGETS2: reads the port's `termios2`.
pub(crate) fn tcgets2(fd: BorrowedFd<'_>) -> io::Result<Termios2> {
    // SAFETY: termios2 is plain data; all-zero is a valid value.
    let mut t: Termios2 = unsafe { std::mem::zeroed() };
    // SAFETY: TCGETS2 writes one termios2.
    unsafe { ioctl_one(fd, libc::TCGETS2 as _, &mut t) }?;
    Ok(t)
}

/// TCSETS2: sets the port's `termios2` now.
pub(crate) fn tcsets2(fd: BorrowedFd<'_>, t: &Termios2) -> io::Result<()> {
    // SAFETY: TCSETS2 only reads one termios2 (from a copy of `t`).
    unsafe { ioctl_one(fd, libc::TCSETS2 as _, &mut t.clone()) }
}

/// TIOCGRS485: reads the RS485 settings. Fails with ENOTTY on ports without RS485 support.
pub(crate) fn get_rs485(fd: BorrowedFd<'_>) -> io::Result<SerialRs485> {
    // SAFETY: TIOCGRS485 writes one serial_rs485 (32 bytes, our repr(C) layout).
    unsafe { ioctl_get(fd, libc::TIOCGRS485 as _) }
}

/// TIOCSRS485: sets the RS485 settings; the kernel writes back what it accepted.
pub(crate) fn set_rs485(fd: BorrowedFd<'_>, r: &mut SerialRs485) -> io::Result<()> {
    // SAFETY: TIOCSRS485 reads and writes back one serial_rs485.
    unsafe { ioctl_one(fd, libc::TIOCSRS485 as _, r) }
}

/// TIOCGSERIAL: reads `serial_struct`. ptys and some USB adapters answer ENOTTY.
pub(crate) fn get_serial(fd: BorrowedFd<'_>) -> io::Result<SerialStruct> {
    // SAFETY: TIOCGSERIAL writes one serial_struct (our repr(C) copy of the uapi layout).
    unsafe { ioctl_get(fd, libc::TIOCGSERIAL as _) }
}

/// TIOCSSERIAL: writes `serial_struct`.
pub(crate) fn set_serial(fd: BorrowedFd<'_>, s: &SerialStruct) -> io::Result<()> {
    // SAFETY: TIOCSSERIAL only reads one serial_struct (from a copy of `s`).
    unsafe { ioctl_one(fd, libc::TIOCSSERIAL as _, &mut s.clone()) }
}

/// TIOCGICOUNT: the driver's interrupt counters (rx/tx bytes, framing, parity, overrun).
pub(crate) fn get_icount(fd: BorrowedFd<'_>) -> io::Result<SerialIcounter> {
    // SAFETY: TIOCGICOUNT writes one serial_icounter_struct.
    unsafe { ioctl_get(fd, libc::TIOCGICOUNT as _) }
}

/// tcflush(fd, TCIFLUSH): discards bytes received but not read.
pub(crate) fn flush_input(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: tcflush takes an fd and a constant; no memory is passed.
    cvt(unsafe { libc::tcflush(fd.as_raw_fd(), libc::TCIFLUSH) })?;
    Ok(())
}

/// openpty(3): a new pseudo-terminal pair, returned as (master, slave).
pub(crate) fn openpty() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut master: libc::c_int = -1;
    let mut slave: libc::c_int = -1;
    // SAFETY: openpty writes two fds into the valid out-pointers; name, termios and winsize
    // are allowed to be null.
    cvt(unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    })?;
    // SAFETY: on success both fds are new, open and owned by nobody else.
    let fds = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    for fd in [&fds.0, &fds.1] {
        // SAFETY: F_SETFD with FD_CLOEXEC on an fd we own; no memory is passed.
        cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
    }
    Ok(fds)
}

/// ptsname_r(3) for a pty master: the slave's path (`/dev/pts/N`).
pub(crate) fn ptsname(master: BorrowedFd<'_>) -> io::Result<String> {
    let mut buf = [0u8; 128];
    // SAFETY: ptsname_r writes a NUL-terminated string of at most `buf.len()` bytes.
    let rc = unsafe { libc::ptsname_r(master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..len]).into_owned())
}

/// What `poll` said about one fd.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PollState {
    /// POLLIN: bytes can be read.
    pub readable: bool,
    /// POLLHUP: the other side hung up (pty closed, USB adapter unplugged).
    pub hangup: bool,
    /// POLLERR or POLLNVAL.
    pub error: bool,
}

/// poll(2) for input on several fds. `None` waits forever. EINTR is returned as an error
/// so that callers can look at their signal flags.
pub(crate) fn poll_in(
    fds: &[BorrowedFd<'_>],
    timeout: Option<Duration>,
) -> io::Result<Vec<PollState>> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = match timeout {
        None => -1,
        // Round up so that a deadline 0.3 ms away does not spin with timeout 0.
        Some(d) => d.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int,
    };
    // SAFETY: `pfds` is a valid, exclusively borrowed array of `pfds.len()` pollfd.
    cvt(unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) })?;
    Ok(pfds
        .iter()
        .map(|p| PollState {
            readable: p.revents & libc::POLLIN != 0,
            hangup: p.revents & libc::POLLHUP != 0,
            error: p.revents & (libc::POLLERR | libc::POLLNVAL) != 0,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// Sizes from the kernel headers (`include/uapi/linux/serial.h`): a wrong layout here
    /// would let TIOCGSERIAL/TIOCGICOUNT write past our structs.
    #[test]
    fn layouts_match_the_kernel() {
        assert_eq!(size_of::<SerialRs485>(), 32);
        assert_eq!(size_of::<SerialIcounter>(), 80);
        let serial_struct = if size_of::<usize>() == 8 { 72 } else { 60 };
        assert_eq!(size_of::<SerialStruct>(), serial_struct);
    }
}
