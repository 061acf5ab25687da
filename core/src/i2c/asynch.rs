//! embedded-hal-async `I2c` over tokio (feature `tokio`).
//!
//! i2c-dev has no pollable interface: each transfer is a blocking ioctl. [`AsyncI2cBus`]
//! runs it on tokio's blocking pool (`spawn_blocking`) so it never stalls the reactor,
//! copying the buffers in and out. The blocking code path is the very same
//! ([`I2cBus`]'s), so both behave alike.
//!
//! A future dropped before it completes does not cancel the transfer already handed to
//! the blocking pool; it finishes, and its result is discarded.

use embedded_hal::i2c::{Operation, SevenBitAddress, TenBitAddress};
use embedded_hal_async::i2c::I2c;

use super::{Error, I2cBus, Op, Result};

/// An [`I2cBus`] for async code: implements embedded-hal-async `I2c` for 7-bit and
/// 10-bit addresses. Cheap to clone; needs a tokio runtime.
///
/// ```no_run
/// use embedded_hal_async::i2c::I2c;
/// use udrv_core::i2c::{asynch::AsyncI2cBus, I2cBus};
///
/// # async fn run() -> Result<(), udrv_core::i2c::Error> {
/// let mut bus = AsyncI2cBus::new(I2cBus::open(1)?);
/// let mut id = [0u8; 1];
/// bus.write_read(0x76u8, &[0xd0], &mut id).await?;
/// // The blocking API stays available, also off the reactor:
/// let v = bus.run(|b| b.smbus_read_byte_data(0x76, 0xd0)).await?;
/// # let _ = v; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AsyncI2cBus {
    bus: I2cBus,
}

impl AsyncI2cBus {
    /// Wraps a bus handle.
    pub fn new(bus: I2cBus) -> Self {
        AsyncI2cBus { bus }
    }

    /// The blocking handle.
    pub fn inner(&self) -> &I2cBus {
        &self.bus
    }

    /// Unwraps the blocking handle.
    pub fn into_inner(self) -> I2cBus {
        self.bus
    }

    /// Runs any blocking operation on the bus (SMBus commands, settings) on tokio's
    /// blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&I2cBus) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let bus = self.bus.clone();
        let path = bus.path().to_path_buf();
        let fail = |text: String| Error::Io {
            path: path.clone(),
            op: Op::Async,
            addr: None,
            source: std::io::Error::other(text),
        };
        let handle = tokio::runtime::Handle::try_current().map_err(|e| fail(e.to_string()))?;
        match handle.spawn_blocking(move || f(&bus)).await {
            Ok(r) => r,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(fail(format!("the blocking task failed: {e}"))),
        }
    }

    async fn transaction_at(
        &self,
        addr: u16,
        ten_bit: bool,
        ops: &mut [Operation<'_>],
    ) -> Result<()> {
        // Owned copies: writes carry their data, reads a buffer of the right length.
        let owned: Vec<(bool, Vec<u8>)> = ops
            .iter()
            .map(|op| match op {
                Operation::Read(b) => (true, vec![0; b.len()]),
                Operation::Write(b) => (false, b.to_vec()),
            })
            .collect();
        let owned = self
            .run(move |bus| {
                let mut owned = owned;
                let mut hal_ops: Vec<Operation<'_>> = owned
                    .iter_mut()
                    .map(|(read, buf)| {
                        if *read {
                            Operation::Read(buf.as_mut_slice())
                        } else {
                            Operation::Write(buf.as_slice())
                        }
                    })
                    .collect();
                bus.transaction_at(addr, ten_bit, &mut hal_ops)?;
                drop(hal_ops);
                Ok(owned)
            })
            .await?;
        for (op, (_, buf)) in ops.iter_mut().zip(owned) {
            if let Operation::Read(b) = op {
                b.copy_from_slice(&buf);
            }
        }
        Ok(())
    }
}

impl embedded_hal::i2c::ErrorType for AsyncI2cBus {
    type Error = Error;
}

impl I2c<SevenBitAddress> for AsyncI2cBus {
    async fn transaction(&mut self, address: u8, operations: &mut [Operation<'_>]) -> Result<()> {
        self.transaction_at(address.into(), false, operations).await
    }
}

impl I2c<TenBitAddress> for AsyncI2cBus {
    async fn transaction(&mut self, address: u16, operations: &mut [Operation<'_>]) -> Result<()> {
        self.transaction_at(address, true, operations).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn async_handle_is_send_sync_static() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<AsyncI2cBus>();
    }
}
