//! embedded-hal-async `SpiDevice` and `SpiBus` over tokio (feature `tokio`).
//!
//! spidev has no pollable interface: each message is a blocking ioctl. These types run it
//! on tokio's blocking pool (`spawn_blocking`) so it never stalls the reactor, copying
//! the buffers in and out; the blocking code path is the very same as
//! [`SpidevDevice`]'s. A future dropped early does not cancel a message already handed
//! to the pool: it completes and its result is discarded.

use embedded_hal::spi::{ErrorType, Operation};
use embedded_hal_async::spi::{SpiBus, SpiDevice};

use super::{Error, Op, Result, SpidevBus, SpidevDevice, Word};

/// An owned copy of one embedded-hal operation, to cross into the blocking pool.
enum Owned<W> {
    Read(Vec<W>),
    Write(Vec<W>),
    Transfer(Vec<W>, Vec<W>),
    InPlace(Vec<W>),
    Delay(u32),
}

async fn run_blocking<T, F>(dev: &SpidevDevice, f: F) -> Result<T>
where
    F: FnOnce(&SpidevDevice) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let dev = dev.clone();
    let path = dev.path().to_path_buf();
    let fail = |text: String| Error::Io {
        path: path.clone(),
        op: Op::Async,
        source: std::io::Error::other(text),
    };
    let handle = tokio::runtime::Handle::try_current().map_err(|e| fail(e.to_string()))?;
    match handle.spawn_blocking(move || f(&dev)).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(fail(format!("the blocking task failed: {e}"))),
    }
}

async fn transaction<W: Word>(dev: &SpidevDevice, ops: &mut [Operation<'_, W>]) -> Result<()> {
    let owned: Vec<Owned<W>> = ops
        .iter()
        .map(|op| match op {
            Operation::Read(b) => Owned::Read(vec![W::default(); b.len()]),
            Operation::Write(b) => Owned::Write(b.to_vec()),
            Operation::Transfer(r, w) => Owned::Transfer(vec![W::default(); r.len()], w.to_vec()),
            Operation::TransferInPlace(b) => Owned::InPlace(b.to_vec()),
            Operation::DelayNs(ns) => Owned::Delay(*ns),
        })
        .collect();
    let owned = run_blocking(dev, move |dev| {
        let mut owned = owned;
        let mut hal: Vec<Operation<'_, W>> = owned
            .iter_mut()
            .map(|o| match o {
                Owned::Read(b) => Operation::Read(b),
                Owned::Write(b) => Operation::Write(b),
                Owned::Transfer(r, w) => Operation::Transfer(r, w),
                Owned::InPlace(b) => Operation::TransferInPlace(b),
                Owned::Delay(ns) => Operation::DelayNs(*ns),
            })
            .collect();
        dev.transaction_ops(&mut hal)?;
        drop(hal);
        Ok(owned)
    })
    .await?;
    for (op, o) in ops.iter_mut().zip(owned) {
        match (op, o) {
            (Operation::Read(b), Owned::Read(v))
            | (Operation::Transfer(b, _), Owned::Transfer(v, _))
            | (Operation::TransferInPlace(b), Owned::InPlace(v)) => b.copy_from_slice(&v),
            _ => {}
        }
    }
    Ok(())
}

/// A [`SpidevDevice`] for async code (embedded-hal-async `SpiDevice` for `u8`, `u16`
/// and `u32` words). Cheap to clone; needs a tokio runtime.
///
/// ```no_run
/// use embedded_hal_async::spi::SpiDevice;
/// use udrv_core::spi::{asynch::AsyncSpidevDevice, SpidevDevice};
/// # async fn run() -> Result<(), udrv_core::spi::Error> {
/// let mut dev = AsyncSpidevDevice::new(SpidevDevice::open("/dev/spidev0.0")?);
/// let mut id = [0x9fu8, 0, 0, 0];
/// dev.transfer_in_place(&mut id).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AsyncSpidevDevice {
    dev: SpidevDevice,
}

impl AsyncSpidevDevice {
    /// Wraps a device handle.
    pub fn new(dev: SpidevDevice) -> Self {
        AsyncSpidevDevice { dev }
    }

    /// The blocking handle.
    pub fn inner(&self) -> &SpidevDevice {
        &self.dev
    }

    /// Unwraps the blocking handle.
    pub fn into_inner(self) -> SpidevDevice {
        self.dev
    }
}

impl ErrorType for AsyncSpidevDevice {
    type Error = Error;
}

impl<W: Word> SpiDevice<W> for AsyncSpidevDevice {
    async fn transaction(&mut self, operations: &mut [Operation<'_, W>]) -> Result<()> {
        transaction(&self.dev, operations).await
    }
}

/// A [`SpidevBus`] for async code (embedded-hal-async `SpiBus`), e.g. under
/// embedded-hal-bus's async `ExclusiveDevice` with a GPIO chip select.
#[derive(Clone, Debug)]
pub struct AsyncSpidevBus {
    bus: SpidevBus,
}

impl AsyncSpidevBus {
    /// Wraps a bus handle.
    pub fn new(bus: SpidevBus) -> Self {
        AsyncSpidevBus { bus }
    }

    /// Unwraps the blocking handle.
    pub fn into_inner(self) -> SpidevBus {
        self.bus
    }
}

impl ErrorType for AsyncSpidevBus {
    type Error = Error;
}

impl<W: Word> SpiBus<W> for AsyncSpidevBus {
    async fn read(&mut self, words: &mut [W]) -> Result<()> {
        transaction(&self.bus.dev, &mut [Operation::Read(words)]).await
    }

    async fn write(&mut self, words: &[W]) -> Result<()> {
        transaction(&self.bus.dev, &mut [Operation::Write(words)]).await
    }

    async fn transfer(&mut self, read: &mut [W], write: &[W]) -> Result<()> {
        transaction(&self.bus.dev, &mut [Operation::Transfer(read, write)]).await
    }

    async fn transfer_in_place(&mut self, words: &mut [W]) -> Result<()> {
        transaction(&self.bus.dev, &mut [Operation::TransferInPlace(words)]).await
    }

    async fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}
