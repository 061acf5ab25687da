//! NXP PCA9546A / PCA9548A I2C switches (4 or 8 channels) over I2C: the control register
//! (one enable bit per channel, several channels at once allowed), and each channel usable
//! as an I2C bus of its own: an embedded-hal [`I2c`] (blocking and async) that selects its
//! channel, then forwards the transaction.
//!
//! Three ways to hold the channels:
//! * [`Pca954x::channel`]: one channel at a time, borrowing the driver mutably;
//! * [`RefCellChannel`]: any number of channels sharing one driver in a
//!   [`RefCell`] (one thread, `no_std`, like embedded-hal-bus's
//!   `RefCellDevice`); a channel used while another holds the bus (an async transaction
//!   in flight) fails with [`Error::Busy`] instead of panicking;
//! * `MutexChannel` (feature `std`): channels sharing the driver in a
//!   `std::sync::Mutex`, for several threads (blocking only).
//!
//! The driver remembers the channel it selected last and writes the control register only
//! when a different one is needed (after any error it writes again). If something else
//! may change the switch (another process, a reset pulse), call
//! [`Pca954x::forget_selection`].
//!
//! Control register (PCA9548A datasheet §6.2.1 "Control register", table 5; PCA9546A
//! table 4): bit n = 1 enables channel n; 00h at power-up (no channel selected); a new
//! selection takes effect at the STOP; a read returns the register.
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c>(i2c: I) -> Result<(), udrv_drivers::pca954x::Error<I::Error>> {
//! use core::cell::RefCell;
//! use udrv_drivers::lm75::Lm75;
//! use udrv_drivers::pca954x::{Pca954x, RefCellChannel, Variant};
//! let mux = RefCell::new(Pca954x::new(i2c, 0x70, Variant::Pca9548));
//! // two identical sensors at 0x48, behind channels 2 and 5
//! let mut left = Lm75::new(RefCellChannel::new(&mux, 2)?, 0x48);
//! let mut right = Lm75::new(RefCellChannel::new(&mux, 5)?, 0x48);
//! let (l, r) = (left.temperature(), right.temperature());
//! # let _ = (l, r);
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
mod types;

pub use types::*;

use core::cell::RefCell;
use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, Operation};
use embedded_hal_async::i2c::I2c as AsyncI2c;

/// The address with A2..A0 low; A2..A0 add 0..7.
pub const BASE_ADDRESS: u8 = 0x70;

/// Errors of the PCA954x driver and of its channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed (selecting the channel, or the forwarded transaction).
    Bus(E),
    /// No such channel (the value given), or a channel mask with bits past the last one.
    InvalidChannel(u8),
    /// A transaction through a channel to the switch's own address (it would reach the
    /// switch, not a device behind it, and change the selection).
    SwitchAddress,
    /// The shared switch is in use by another channel (a [`RefCellChannel`] whose
    /// transaction is still in flight, or a poisoned `MutexChannel`).
    Busy,
}

impl_error!(Error + From, |f, e| match e {
    Error::Bus(b) => write!(f, "PCA954x: I2C error: {b}"),
    Error::InvalidChannel(c) => write!(
        f,
        "PCA954x: no channel {c} (or mask 0x{c:02x}) on this switch"
    ),
    Error::SwitchAddress =>
        f.write_str("PCA954x: a device behind a channel cannot use the switch's own address"),
    Error::Busy => f.write_str("PCA954x: the switch is in use by another channel"),
});

impl<E: embedded_hal::i2c::Error> embedded_hal::i2c::Error for Error<E> {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Bus(e) => e.kind(),
            _ => ErrorKind::Other,
        }
    }
}

/// A PCA9546A / PCA9548A.
#[derive(Debug)]
pub struct Pca954x<I2C> {
    i2c: I2C,
    address: u8,
    variant: Variant,
    selected: Option<u8>,
}

impl<I2C> Pca954x<I2C> {
    /// A driver for the switch at `address` (0x70..=0x77).
    pub fn new(i2c: I2C, address: u8, variant: Variant) -> Self {
        Self {
            i2c,
            address,
            variant,
            selected: None,
        }
    }

    /// The switch's address.
    pub fn address(&self) -> u8 {
        self.address
    }

    /// Which switch.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// Forget which channels were selected: the next channel transaction writes the
    /// control register again.
    pub fn forget_selection(&mut self) {
        self.selected = None;
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    fn check_mask<E>(&self, mask: u8) -> Result<(), Error<E>> {
        let n = self.variant.channels();
        if n < 8 && mask >> n != 0 {
            return Err(Error::InvalidChannel(mask));
        }
        Ok(())
    }

    fn check_channel<E>(&self, channel: u8) -> Result<(), Error<E>> {
        if channel >= self.variant.channels() {
            return Err(Error::InvalidChannel(channel));
        }
        Ok(())
    }
}

impl<I2C: ErrorType> Pca954x<I2C> {
    /// One channel as an I2C bus, borrowing the driver (`Err(InvalidChannel)` past the
    /// last channel).
    pub fn channel(&mut self, channel: u8) -> Result<Channel<'_, I2C>, Error<I2C::Error>> {
        self.check_channel(channel)?;
        Ok(Channel { mux: self, channel })
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Pca954x<I2C>
    where
        I2C: I2c,
    {
        /// Enable exactly the channels whose bits are set in `mask` (0 disconnects all); the
        /// switch applies it at the STOP.
        #[asynch(set_channels_async)]
        pub fn set_channels(&mut self, mask: u8) -> Result<(), Error<I2C::Error>> {
            self.check_mask(mask)?;
            self.selected = None;
            io!(self.i2c.write(self.address, &[mask]))?;
            self.selected = Some(mask);
            Ok(())
        }

        /// Read the control register (the enabled channels).
        #[asynch(channels_async)]
        pub fn channels(&mut self) -> Result<u8, Error<I2C::Error>> {
            let mut b = [0];
            io!(self.i2c.read(self.address, &mut b))?;
            Ok(b[0])
        }

        /// Select one channel alone (written only if not already the selection).
        #[asynch(select_async)]
        pub fn select(&mut self, channel: u8) -> Result<(), Error<I2C::Error>> {
            self.check_channel(channel)?;
            let mask = 1 << channel;
            if self.selected != Some(mask) {
                self.selected = None;
                io!(self.i2c.write(self.address, &[mask]))?;
                self.selected = Some(mask);
            }
            Ok(())
        }

        /// Select `channel`, then run `operations` on `address` behind it.
        #[asynch(transaction_on_async)]
        pub fn transaction_on(
            &mut self,
            channel: u8,
            address: u8,
            operations: &mut [Operation<'_>],
        ) -> Result<(), Error<I2C::Error>> {
            if address == self.address {
                return Err(Error::SwitchAddress);
            }
            call!(self.select / select_async(channel))?;
            io!(self.i2c.transaction(address, operations))?;
            Ok(())
        }
    }
});

/// One channel of a switch borrowed mutably ([`Pca954x::channel`]): an I2C bus.
#[derive(Debug)]
pub struct Channel<'a, I2C> {
    mux: &'a mut Pca954x<I2C>,
    channel: u8,
}

impl<I2C: ErrorType> ErrorType for Channel<'_, I2C> {
    type Error = Error<I2C::Error>;
}

dual_impl!({
    #[asynch(impl AsyncI2c, I2C: AsyncI2c)]
    impl<I2C> I2c for Channel<'_, I2C>
    where
        I2C: I2c,
    {
        fn transaction(
            &mut self,
            address: u8,
            operations: &mut [Operation<'_>],
        ) -> Result<(), Self::Error> {
            call!(self.mux.transaction_on / transaction_on_async(self.channel, address, operations))
        }
    }
});

/// One channel of a switch shared through a `RefCell` (one thread, `no_std`).
#[derive(Debug, Clone, Copy)]
pub struct RefCellChannel<'a, I2C> {
    mux: &'a RefCell<Pca954x<I2C>>,
    channel: u8,
}

impl<'a, I2C: ErrorType> RefCellChannel<'a, I2C> {
    /// Channel `channel` of the shared switch (`Err(InvalidChannel)` past the last one,
    /// `Err(Busy)` if the switch is borrowed right now).
    pub fn new(mux: &'a RefCell<Pca954x<I2C>>, channel: u8) -> Result<Self, Error<I2C::Error>> {
        mux.try_borrow()
            .map_err(|_| Error::Busy)?
            .check_channel(channel)?;
        Ok(Self { mux, channel })
    }

    /// The channel number.
    pub fn channel(&self) -> u8 {
        self.channel
    }
}

impl<I2C: ErrorType> ErrorType for RefCellChannel<'_, I2C> {
    type Error = Error<I2C::Error>;
}

dual_impl!({
    #[asynch(impl AsyncI2c, I2C: AsyncI2c)]
    impl<I2C> I2c for RefCellChannel<'_, I2C>
    where
        I2C: I2c,
    {
        // The borrow is held across the transaction on purpose (the switch must stay on this
        // channel until it ends); another channel trying meanwhile gets `Error::Busy`.
        #[allow(clippy::await_holding_refcell_ref)]
        fn transaction(
            &mut self,
            address: u8,
            operations: &mut [Operation<'_>],
        ) -> Result<(), Self::Error> {
            let mut mux = self.mux.try_borrow_mut().map_err(|_| Error::Busy)?;
            call!(mux.transaction_on / transaction_on_async(self.channel, address, operations))
        }
    }
});

/// One channel of a switch shared through a `std::sync::Mutex` (several threads; feature
/// `std`; blocking only: a `std` mutex held across an `.await` could block the executor —
/// for async sharing use [`RefCellChannel`] on one executor).
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy)]
pub struct MutexChannel<'a, I2C> {
    mux: &'a std::sync::Mutex<Pca954x<I2C>>,
    channel: u8,
}

#[cfg(feature = "std")]
impl<'a, I2C: ErrorType> MutexChannel<'a, I2C> {
    /// Channel `channel` of the shared switch (`Err(Busy)` if the mutex is poisoned).
    pub fn new(
        mux: &'a std::sync::Mutex<Pca954x<I2C>>,
        channel: u8,
    ) -> Result<Self, Error<I2C::Error>> {
        mux.lock()
            .map_err(|_| Error::Busy)?
            .check_channel(channel)?;
        Ok(Self { mux, channel })
    }

    /// The channel number.
    pub fn channel(&self) -> u8 {
        self.channel
    }
}

#[cfg(feature = "std")]
impl<I2C: ErrorType> ErrorType for MutexChannel<'_, I2C> {
    type Error = Error<I2C::Error>;
}

#[cfg(feature = "std")]
impl<I2C: I2c> I2c for MutexChannel<'_, I2C> {
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        let mut mux = self.mux.lock().map_err(|_| Error::Busy)?;
        mux.transaction_on(self.channel, address, operations)
    }
}
