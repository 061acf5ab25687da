//! A cross-process advisory lock per bus, for multi-transaction sequences.
//!
//! One ioctl is atomic, but a sequence (select a register page, then read it; start a
//! conversion, poll, read) is not: another process can slip its own transactions in
//! between. [`BusLock`] takes an exclusive `flock(2)` lock on the bus's device node
//! (`/dev/i2c-1`, `/dev/spidev0.0`, ...), so every process that locks the same node
//! waits its turn. It needs no extra permission (only read access to the node, which
//! using the bus needs anyway), no daemon and no lock-file folder, and it interoperates
//! with shell scripts: `flock /dev/i2c-1 i2cset -y 1 0x48 0x01 0x60` takes the same lock.
//!
//! The lock is advisory: it excludes processes that also lock, not ones that don't. It is
//! released when the guard is dropped or the process dies (the kernel drops `flock` locks
//! with the last descriptor), so a crashed process never leaves a bus locked.
//!
//! ```no_run
//! use udrv_core::lock::BusLock;
//! # fn main() -> std::io::Result<()> {
//! let _guard = BusLock::lock("/dev/i2c-1")?; // blocks until no other process holds it
//! // ... several transactions that must not be interleaved ...
//! # Ok(()) }
//! ```

use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::sys;

/// An exclusive cross-process lock on a bus device node, held until dropped.
pub struct BusLock {
    holder: Holder,
    path: PathBuf,
}

/// What a [`BusLock`] holds: its own file ([`BusLock::lock`]) or its turn at a bus's
/// [`Gate`] (`I2cBus::lock`).
enum Holder {
    Own(File),
    Gate(Arc<Gate>),
}

/// A bus's lock within one process: one descriptor of its own (opened on first use, kept)
/// for the `flock`, and a mutex so that the threads take turns.
///
/// `flock` locks belong to an open file description, which every thread using the bus
/// shares: a second `LOCK_EX` through it succeeds at once and one unlock releases it for
/// everyone. So the threads are excluded by `held` (no system call), and the one `flock`
/// excludes the other processes. The descriptor is separate from the files transactions
/// use, which never take `flock` and so never lock each other out.
pub(crate) struct Gate {
    path: PathBuf,
    file: OnceLock<File>,
    held: Mutex<bool>,
    freed: Condvar,
}

impl Gate {
    /// The gate of the bus node at `path` (opens nothing yet).
    pub(crate) fn new(path: &Path) -> Arc<Gate> {
        Arc::new(Gate {
            path: path.to_path_buf(),
            file: OnceLock::new(),
            held: Mutex::new(false),
            freed: Condvar::new(),
        })
    }

    fn held(&self) -> MutexGuard<'_, bool> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The descriptor, opened on first use. Only called by the thread whose turn it is.
    fn fd(&self) -> io::Result<BorrowedFd<'_>> {
        if self.file.get().is_none() {
            let _ = self.file.set(BusLock::open(&self.path)?);
        }
        Ok(self.file.get().expect("set above").as_fd())
    }

    /// This thread's turn is over.
    fn release(&self) {
        *self.held() = false;
        self.freed.notify_one();
    }

    /// After the turn is taken: the `flock`, blocking or not. The turn is given back
    /// unless the lock was taken.
    fn flock(gate: &Arc<Gate>, wait: bool) -> io::Result<Option<BusLock>> {
        let got = gate.fd().and_then(|fd| sys::flock(fd, true, wait));
        match got {
            Ok(true) => Ok(Some(BusLock {
                holder: Holder::Gate(gate.clone()),
                path: gate.path.clone(),
            })),
            Ok(false) => {
                gate.release();
                Ok(None)
            }
            Err(e) => {
                gate.release();
                Err(e)
            }
        }
    }

    /// Waits for this process's other threads, then for other processes.
    pub(crate) fn lock(gate: &Arc<Gate>) -> io::Result<BusLock> {
        let mut held = gate.held();
        while *held {
            held = gate.freed.wait(held).unwrap_or_else(|p| p.into_inner());
        }
        *held = true;
        drop(held);
        Ok(Self::flock(gate, true)?.expect("a blocking flock returns only when taken"))
    }

    /// `Ok(None)` when another thread of this process or another process holds it.
    pub(crate) fn try_lock(gate: &Arc<Gate>) -> io::Result<Option<BusLock>> {
        {
            let mut held = gate.held();
            if *held {
                return Ok(None);
            }
            *held = true;
        }
        Self::flock(gate, false)
    }
}

impl fmt::Debug for BusLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BusLock").field("path", &self.path).finish()
    }
}

impl BusLock {
    fn open(path: &Path) -> io::Result<File> {
        File::open(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("lock {}: {}", path.display(), crate::error::describe(&e)),
            )
        })
    }

    /// Blocks until this process holds the lock on `path`.
    pub fn lock(path: impl AsRef<Path>) -> io::Result<BusLock> {
        let path = path.as_ref();
        let file = Self::open(path)?;
        sys::flock(file.as_fd(), true, true)?;
        Ok(BusLock {
            holder: Holder::Own(file),
            path: path.to_path_buf(),
        })
    }

    /// Takes the lock if it is free; `Ok(None)` when another holder has it.
    pub fn try_lock(path: impl AsRef<Path>) -> io::Result<Option<BusLock>> {
        let path = path.as_ref();
        let file = Self::open(path)?;
        if sys::flock(file.as_fd(), true, false)? {
            Ok(Some(BusLock {
                holder: Holder::Own(file),
                path: path.to_path_buf(),
            }))
        } else {
            Ok(None)
        }
    }

    /// Waits at most `timeout` for the lock; an error of kind `TimedOut` when it stays
    /// taken. Polls every millisecond (flock has no timed wait).
    pub fn lock_timeout(path: impl AsRef<Path>, timeout: Duration) -> io::Result<BusLock> {
        let path = path.as_ref();
        let file = Self::open(path)?;
        let deadline = Instant::now() + timeout;
        loop {
            if sys::flock(file.as_fd(), true, false)? {
                return Ok(BusLock {
                    holder: Holder::Own(file),
                    path: path.to_path_buf(),
                });
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "lock {}: still held by another process after {:?} \
                         (`fuser -v {}` shows who has the device open)",
                        path.display(),
                        timeout,
                        path.display()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The locked device node.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for BusLock {
    fn drop(&mut self) {
        match &self.holder {
            // Closing the file releases the lock too; unlocking first makes it immediate
            // even if a forked child inherited the descriptor.
            Holder::Own(file) => {
                let _ = sys::funlock(file.as_fd());
            }
            // The gate's descriptor stays open: unlock, then give the turn back.
            Holder::Gate(gate) => {
                if let Some(file) = gate.file.get() {
                    let _ = sys::funlock(file.as_fd());
                }
                gate.release();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_node() -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "udrv-lock-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&p, b"").unwrap();
        p
    }

    #[test]
    fn second_holder_waits_until_first_drops() {
        let p = temp_node();
        let first = BusLock::lock(&p).unwrap();
        // A separate open file description conflicts even within one process.
        assert!(BusLock::try_lock(&p).unwrap().is_none());
        let err = BusLock::lock_timeout(&p, Duration::from_millis(20)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(first);
        let second = BusLock::try_lock(&p).unwrap();
        assert!(second.is_some());
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn missing_node_names_the_path() {
        let err = BusLock::lock("/nonexistent/udrv-bus").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/udrv-bus"), "{err}");
        assert!(err.to_string().contains("ENOENT"), "{err}");
    }
}
