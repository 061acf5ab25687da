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
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::sys;

/// An exclusive cross-process lock on a bus device node, held until dropped.
pub struct BusLock {
    file: File,
    path: PathBuf,
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
            file,
            path: path.to_path_buf(),
        })
    }

    /// Takes the lock if it is free; `Ok(None)` when another holder has it.
    pub fn try_lock(path: impl AsRef<Path>) -> io::Result<Option<BusLock>> {
        let path = path.as_ref();
        let file = Self::open(path)?;
        if sys::flock(file.as_fd(), true, false)? {
            Ok(Some(BusLock {
                file,
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
                    file,
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
        // Closing the file releases the lock too; unlocking first makes it immediate even
        // if a forked child inherited the descriptor.
        let _ = sys::funlock(self.file.as_fd());
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
