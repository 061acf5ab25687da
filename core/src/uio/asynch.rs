//! Waiting for UIO interrupts on tokio's reactor (feature `tokio`).

use std::os::fd::{AsFd, OwnedFd};
use std::task::{Context, Poll};

use tokio::io::unix::AsyncFd;

use crate::sys::fs::{async_fd, poll_next};

use super::{Error, Irq, Operation, Result, Uio};

/// A [`Uio`] whose interrupts are awaited on tokio's reactor (no thread blocks).
///
/// ```no_run
/// use udrv_core::uio::{AsyncUio, Uio};
///
/// # async fn run() -> Result<(), udrv_core::uio::Error> {
/// let dev = AsyncUio::new(Uio::open(0)?)?;
/// let irq = dev.wait_irq().await?;
/// println!("interrupt #{}", irq.count);
/// dev.get_ref().rearm()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncUio {
    uio: Uio,
    fd: AsyncFd<OwnedFd>,
}

impl AsyncUio {
    /// Registers the device with the current tokio runtime (needs IO enabled).
    pub fn new(uio: Uio) -> Result<AsyncUio> {
        let fd = async_fd(uio.as_fd()).map_err(|e| Error::io(uio.path(), Operation::WaitIrq, e))?;
        Ok(AsyncUio { uio, fd })
    }

    /// The device (for maps and re-arming).
    pub fn get_ref(&self) -> &Uio {
        &self.uio
    }

    /// Gives back the device.
    pub fn into_inner(self) -> Uio {
        self.uio
    }

    /// Waits for the next interrupt.
    pub async fn wait_irq(&self) -> Result<Irq> {
        std::future::poll_fn(|cx| self.poll_irq(cx)).await
    }

    /// Polls for an interrupt (for hand-written futures).
    pub fn poll_irq(&self, cx: &mut Context<'_>) -> Poll<Result<Irq>> {
        poll_next(
            &self.fd,
            cx,
            || self.uio.try_wait_irq(),
            |e| Error::io(self.uio.path(), Operation::WaitIrq, e),
        )
    }
}
