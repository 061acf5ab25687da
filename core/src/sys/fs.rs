//! Generic file-level system calls: `poll`, `fcntl(O_NONBLOCK)`, `read` of plain-data
//! records, `mmap`/`munmap` with checked volatile access.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use super::cvt;

/// Implements `AsFd` and `AsRawFd` for a handle type through its file-descriptor field
/// (`fd_through!(Chip, file)`): the handles hand out the descriptor they own.
macro_rules! fd_through {
    ($handle:ty, $field:ident) => {
        impl std::os::fd::AsFd for $handle {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.$field)
            }
        }

        impl std::os::fd::AsRawFd for $handle {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.$field)
            }
        }
    };
}
pub(crate) use fd_through;

/// Plain old data: a `#[repr(C)]` type made only of integers (and arrays of them), for
/// which every bit pattern is valid and all-zero is a valid value.
///
/// # Safety
/// Implement only for types with no padding-sensitive invariants, no references, no
/// pointers, no `bool`/`char`/enums: the kernel writes arbitrary bytes into them.
pub(crate) unsafe trait Pod: Copy + 'static {
    /// The all-zero value.
    fn zeroed() -> Self {
        // SAFETY: `Pod` types are integers and arrays of integers, for which the all-zero
        // bit pattern is a valid value.
        unsafe { std::mem::zeroed() }
    }
}

// SAFETY: an integer.
unsafe impl Pod for u32 {}

/// `CLOCK_MONOTONIC` now: the clock of the kernel's GPIO event timestamps.
pub(crate) fn clock_monotonic() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call;
    // CLOCK_MONOTONIC always exists on Linux, so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Sets `O_NONBLOCK` on `fd` (keeping its other status flags).
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: F_GETFL takes no argument and only reads the descriptor's flags.
    let flags = cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: F_SETFL with an int argument; the descriptor is valid (borrowed).
        cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    }
    Ok(())
}

/// Sets (`on`) or clears `O_NONBLOCK` on `fd`'s open file description with one system
/// call (`ioctl(FIONBIO)`), leaving its other status flags as they are.
pub(crate) fn set_nonblocking_to(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    let mut v = libc::c_int::from(on);
    // SAFETY: FIONBIO reads one int through the pointer, which points to a live `c_int`;
    // the descriptor is valid (borrowed).
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONBIO as _, &mut v) })?;
    Ok(())
}

/// Waits until `fd` is readable (`POLLIN`) or `timeout` passes (`None`: forever).
/// Returns `Ok(true)` when readable, `Ok(false)` on timeout. Restarts after `EINTR`
/// with the remaining time. `POLLERR`/`POLLHUP`/`POLLNVAL` count as readable: the next
/// `read` reports the actual error.
pub(crate) fn poll_readable(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<bool> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let ms: libc::c_int = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                // Round up so a 0.5 ms timeout does not become a busy 0 ms poll.
                let ms = left.as_nanos().div_ceil(1_000_000);
                ms.min(libc::c_int::MAX as u128) as libc::c_int
            }
        };
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid `pollfd` that lives across the call; nfds = 1.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r > 0 {
            return Ok(true);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
    }
}

/// Opens a device node read-write, non-blocking and close-on-exec.
pub(crate) fn open_device(path: &std::path::Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

/// One `read(2)` into `buf`, as whole records of `T`. Returns the number of records read.
/// `EINTR` is retried; `EAGAIN` is returned as `io::ErrorKind::WouldBlock`.
pub(crate) fn read_records<T: Pod>(fd: BorrowedFd<'_>, buf: &mut [T]) -> io::Result<usize> {
    let size = std::mem::size_of_val(buf);
    loop {
        // SAFETY: `buf` is valid for writes of `size` bytes, and any bytes the kernel
        // writes form valid `T` values (`Pod`).
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), size) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        return Ok(n as usize / std::mem::size_of::<T>());
    }
}

/// One record read with `read` (a [`read_records`] of some `T`); `None` when it read none.
pub(crate) fn read_one<T: Pod>(
    fd: BorrowedFd<'_>,
    read: fn(BorrowedFd<'_>, &mut [T]) -> io::Result<usize>,
) -> io::Result<Option<T>> {
    let mut buf = [T::zeroed()];
    let n = read(fd, &mut buf)?;
    Ok((n == 1).then_some(buf[0]))
}

/// Registers a duplicate of `fd` for read readiness with the current tokio runtime. The
/// duplicate shares the file description, so readiness reflects reads made through the
/// original descriptor.
#[cfg(feature = "tokio")]
pub(crate) fn async_fd(
    fd: BorrowedFd<'_>,
) -> io::Result<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>> {
    let dup = fd.try_clone_to_owned()?;
    // SAFETY: an `OwnedFd` is a valid open descriptor, owned by the `AsyncFd` until it is
    // dropped or taken back, and its `as_raw_fd` always returns that same descriptor.
    unsafe { tokio::io::unix::AsyncFd::register_with_interest(dup, tokio::io::Interest::READABLE) }
        .map_err(io::Error::from)
}

/// The next value `try_next` gives, polling `fd` readable between tries; `None` when
/// `timeout` passes first (`None` waits as long as it takes). `poll_err` turns a failed
/// `poll(2)` into the caller's error.
pub(crate) fn wait_next_for<T, E>(
    fd: BorrowedFd<'_>,
    timeout: Option<Duration>,
    mut try_next: impl FnMut() -> Result<Option<T>, E>,
    poll_err: impl Fn(io::Error) -> E,
) -> Result<Option<T>, E> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        if let Some(v) = try_next()? {
            return Ok(Some(v));
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            return Ok(None);
        }
        if !poll_readable(fd, left).map_err(&poll_err)? {
            return Ok(None);
        }
    }
}

/// The next value `try_next` gives, waiting on `fd` as long as it takes.
pub(crate) fn wait_next<T, E>(
    fd: BorrowedFd<'_>,
    mut try_next: impl FnMut() -> Result<Option<T>, E>,
    poll_err: impl Fn(io::Error) -> E,
) -> Result<T, E> {
    loop {
        if let Some(v) = wait_next_for(fd, None, &mut try_next, &poll_err)? {
            return Ok(v);
        }
    }
}

/// Polls for the next value `try_next` gives (for hand-written futures): tries, waits
/// for `fd`'s read readiness, and tries again before clearing it. `ready_err` turns a
/// failed readiness wait into the caller's error.
#[cfg(feature = "tokio")]
pub(crate) fn poll_next<T, E>(
    fd: &tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
    cx: &mut std::task::Context<'_>,
    mut try_next: impl FnMut() -> Result<Option<T>, E>,
    ready_err: impl Fn(io::Error) -> E,
) -> std::task::Poll<Result<T, E>> {
    use std::task::Poll;
    loop {
        if let Some(v) = try_next()? {
            return Poll::Ready(Ok(v));
        }
        let mut guard = std::task::ready!(fd.poll_read_ready(cx)).map_err(&ready_err)?;
        match try_next()? {
            Some(v) => return Poll::Ready(Ok(v)),
            None => guard.clear_ready(),
        }
    }
}

/// The system's page size (`sysconf(_SC_PAGESIZE)`).
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// A shared, read-write memory mapping of a device file, unmapped on drop. Accesses are
/// volatile and checked: out-of-range or misaligned offsets return `None` instead of
/// touching memory.
#[derive(Debug)]
pub(crate) struct MmapRegion {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the region is device memory shared with the kernel; all access goes through
// volatile reads and writes of whole naturally aligned words, which are as safe from two
// threads as from one (there is no Rust-visible data behind the pointer).
unsafe impl Send for MmapRegion {}
// SAFETY: see `Send`; `&MmapRegion` only allows volatile accesses.
unsafe impl Sync for MmapRegion {}

impl MmapRegion {
    /// `mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED, fd, offset)`.
    pub(crate) fn map(fd: BorrowedFd<'_>, len: usize, offset: u64) -> io::Result<MmapRegion> {
        if len == 0 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let off = libc::off_t::try_from(offset)
            .map_err(|_| io::Error::from_raw_os_error(libc::EOVERFLOW))?;
        // SAFETY: a fresh mapping chosen by the kernel (addr NULL); no existing memory is
        // affected. The result is checked against MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                off,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave NULL"))?;
        Ok(MmapRegion { ptr, len })
    }

    /// The length of the mapping in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn at<T>(&self, offset: usize) -> Option<*mut T> {
        let size = std::mem::size_of::<T>();
        let end = offset.checked_add(size)?;
        if end > self.len || offset % size != 0 {
            return None;
        }
        // SAFETY: `offset + size <= len`, so the result stays inside the mapping.
        Some(unsafe { self.ptr.as_ptr().add(offset) }.cast())
    }

    /// Volatile read of a `T` (u8/u16/u32/u64) at `offset`; `None` when out of range or
    /// not aligned to `size_of::<T>()`.
    pub(crate) fn read<T: Pod>(&self, offset: usize) -> Option<T> {
        let p = self.at::<T>(offset)?;
        // SAFETY: `p` is inside the live mapping and aligned (the mapping starts on a page
        // boundary and `offset` is a multiple of the size); `T` is plain data.
        Some(unsafe { std::ptr::read_volatile(p) })
    }

    /// Volatile write of a `T` at `offset`; `None` when out of range or misaligned.
    pub(crate) fn write<T: Pod>(&self, offset: usize, value: T) -> Option<()> {
        let p = self.at::<T>(offset)?;
        // SAFETY: as for `read`; the mapping is PROT_WRITE and shared with the device.
        unsafe { std::ptr::write_volatile(p, value) };
        Some(())
    }
}

impl Drop for MmapRegion {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` describe a mapping this value created and still owns; no
        // reference into it outlives `self` (accessors copy values out).
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

// SAFETY: integers.
unsafe impl Pod for u8 {}
// SAFETY: integers.
unsafe impl Pod for u16 {}
// SAFETY: integers.
unsafe impl Pod for u64 {}

/// A new, empty file opened for reading and writing, already unlinked (gone when
/// closed): something real to map in tests. `name` keeps tests' files apart.
#[cfg(test)]
pub(crate) fn scratch_file(name: &str) -> std::fs::File {
    let p = std::env::temp_dir().join(format!("udrv-{name}-{}", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&p)
        .unwrap();
    std::fs::remove_file(&p).unwrap();
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;

    #[test]
    fn poll_times_out_on_an_empty_pipe_and_sees_data() {
        let (r, mut w) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(!poll_readable(r.as_fd(), Some(Duration::from_millis(10))).unwrap());
        w.write_all(&7u32.to_ne_bytes()).unwrap();
        assert!(poll_readable(r.as_fd(), Some(Duration::from_millis(10))).unwrap());
        let mut buf = [0u32; 2];
        assert_eq!(read_records(r.as_fd(), &mut buf).unwrap(), 1);
        assert_eq!(buf[0], 7);
    }

    #[test]
    fn nonblocking_read_would_block() {
        let (r, _w) = std::os::unix::net::UnixStream::pair().unwrap();
        set_nonblocking(r.as_fd()).unwrap();
        let mut buf = [0u32; 1];
        let e = read_records(r.as_fd(), &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn mapping_checks_bounds_and_alignment() {
        let mut f = scratch_file("mmap");
        f.write_all(&[0u8; 64]).unwrap();
        let m = MmapRegion::map(f.as_fd(), 64, 0).unwrap();
        assert_eq!(m.len(), 64);
        assert_eq!(m.write::<u32>(60, 0xdead_beef), Some(()));
        assert_eq!(m.read::<u32>(60), Some(0xdead_beef));
        assert_eq!(m.read::<u8>(60), Some(0xef));
        assert_eq!(m.read::<u32>(61), None, "misaligned");
        assert_eq!(m.read::<u32>(64), None, "past the end");
        assert_eq!(m.read::<u64>(60), None, "misaligned and straddling the end");
        #[cfg(target_endian = "little")]
        assert_eq!(m.read::<u64>(56), Some(0xdead_beef_0000_0000u64));
        assert_eq!(m.write::<u16>(usize::MAX - 1, 1), None, "overflow");
    }
}
