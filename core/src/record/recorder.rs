//! [`Recorder`]: any embedded-hal bus, device or pin, with its transactions logged.

use embedded_hal::digital::{self, InputPin, OutputPin, StatefulOutputPin};
use embedded_hal::i2c;
use embedded_hal::spi;

use super::format::{valid_name, Address, Data, Entry, Op, PinOp, Tx};
use super::{Log, RecordedKind};

mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u16 {}
}

/// The I2C address modes a [`Recorder`] and a [`ReplayDevice`](super::ReplayDevice) carry:
/// embedded-hal's [`SevenBitAddress`](i2c::SevenBitAddress) (`u8`, written `0x76` in the
/// log) and [`TenBitAddress`](i2c::TenBitAddress) (`u16`, written `0x150/10`). Sealed.
pub trait RecordAddress: i2c::AddressMode + Copy + sealed::Sealed {
    /// The address and whether it is a 10-bit one.
    #[doc(hidden)]
    fn split(self) -> (u16, bool);
}

impl RecordAddress for u8 {
    fn split(self) -> (u16, bool) {
        (u16::from(self), false)
    }
}

impl RecordAddress for u16 {
    fn split(self) -> (u16, bool) {
        (self, true)
    }
}

pub(crate) fn address<A: RecordAddress>(a: A) -> Address {
    let (addr, ten_bit) = a.split();
    Address { addr, ten_bit }
}

/// An I2C bus, SPI device or pin whose every call goes through to the wrapped one
/// unchanged, and is appended to a [`Log`] with its outcome.
///
/// Made by [`Log::record`] (or [`Recorder::new`]). It implements whichever of these the
/// wrapped `B` implements, with `B`'s own error type:
///
/// * embedded-hal [`I2c`](i2c::I2c) with 7-bit and 10-bit addresses, and
///   embedded-hal-async [`I2c`](embedded_hal_async::i2c::I2c): one line per call
///   (`read`, `write`, `write_read` and `transaction` alike);
/// * embedded-hal [`SpiDevice<u8>`](spi::SpiDevice) and embedded-hal-async
///   [`SpiDevice<u8>`](embedded_hal_async::spi::SpiDevice): one line per call;
/// * [`InputPin`], [`OutputPin`] and [`StatefulOutputPin`]: one line per call.
///
/// Calls made through [`inner_mut`](Self::inner_mut) are not recorded.
#[derive(Debug, Clone)]
pub struct Recorder<B> {
    inner: B,
    name: String,
    log: Log,
}

impl<B> Recorder<B> {
    /// Wraps `inner`, appending its transactions to `log` under `name`; the same as
    /// [`log.record(name, inner)`](Log::record).
    ///
    /// # Panics
    ///
    /// If `name` is not one word of printable ASCII without `#` (and not starting with
    /// `!`).
    pub fn new(log: &Log, name: &str, inner: B) -> Self {
        assert!(
            valid_name(name),
            "udrv record: a device name is one word of printable ASCII without `#`, not {name:?}"
        );
        Recorder {
            inner,
            name: name.to_string(),
            log: log.clone(),
        }
    }

    /// The device's name in the log.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The log this recorder appends to.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// The wrapped bus, device or pin.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The wrapped bus, device or pin; calls through this reference are not recorded.
    pub fn inner_mut(&mut self) -> &mut B {
        &mut self.inner
    }

    /// Gives the wrapped bus, device or pin back.
    pub fn into_inner(self) -> B {
        self.inner
    }

    fn append(&self, tx: Tx, outcome: Result<(), RecordedKind>) {
        self.log.append(&Entry {
            name: self.name.clone(),
            tx,
            outcome,
        });
    }

    fn i2c<A: RecordAddress, E: i2c::Error>(&self, a: A, ops: Vec<Op>, r: &Result<(), E>) {
        let outcome = r
            .as_ref()
            .map(|_| ())
            .map_err(|e| RecordedKind::I2c(e.kind()));
        self.append(
            Tx::I2c {
                address: address(a),
                ops,
            },
            outcome,
        );
    }

    fn spi<E: spi::Error>(&self, ops: Vec<Op>, r: &Result<(), E>) {
        let outcome = r
            .as_ref()
            .map(|_| ())
            .map_err(|e| RecordedKind::Spi(e.kind()));
        self.append(Tx::Spi { ops }, outcome);
    }

    fn pin<E: digital::Error>(&self, op: PinOp, r: &Result<(), E>) {
        let outcome = r
            .as_ref()
            .map(|_| ())
            .map_err(|e| RecordedKind::Pin(e.kind()));
        self.append(Tx::Pin(op), outcome);
    }

    /// Appends a level read (`op`: `Get` or `IsSet`): the level, when the answer `r` to
    /// "is it high" (`high`) or "is it low" is known; else the failure.
    fn level<E: digital::Error>(
        &self,
        op: fn(Option<bool>) -> PinOp,
        high: bool,
        r: &Result<bool, E>,
    ) {
        match r {
            Ok(yes) => self.append(Tx::Pin(op(Some(*yes == high))), Ok(())),
            Err(e) => self.append(Tx::Pin(op(None)), Err(RecordedKind::Pin(e.kind()))),
        }
    }
}

/// The read data after the call: the bytes, or only their number when it failed.
fn read_data(buf: &[u8], ok: bool) -> Data {
    if ok {
        Data::Known(buf.to_vec())
    } else {
        Data::Unknown(buf.len())
    }
}

fn i2c_ops(ops: &[i2c::Operation<'_>], ok: bool) -> Vec<Op> {
    ops.iter()
        .map(|op| match op {
            i2c::Operation::Write(b) => Op::Write(b.to_vec()),
            i2c::Operation::Read(b) => Op::Read(read_data(b, ok)),
        })
        .collect()
}

/// An SPI transaction before the call: what is written (in-place buffers hold it only
/// now), read lengths.
pub(crate) fn spi_before(ops: &[spi::Operation<'_, u8>]) -> Vec<Op> {
    ops.iter()
        .map(|op| match op {
            spi::Operation::Read(b) => Op::Read(Data::Unknown(b.len())),
            spi::Operation::Write(b) => Op::Write(b.to_vec()),
            spi::Operation::Transfer(r, w) => Op::Transfer {
                write: w.to_vec(),
                read: Data::Unknown(r.len()),
            },
            spi::Operation::TransferInPlace(b) => Op::InPlace {
                write: b.to_vec(),
                read: Data::Unknown(b.len()),
            },
            spi::Operation::DelayNs(ns) => Op::Delay(*ns),
        })
        .collect()
}

/// Fills in the bytes read by a successful SPI transaction.
fn spi_after(before: &mut [Op], ops: &[spi::Operation<'_, u8>]) {
    for (rec, op) in before.iter_mut().zip(ops) {
        match (rec, op) {
            (Op::Read(d), spi::Operation::Read(b))
            | (Op::Transfer { read: d, .. }, spi::Operation::Transfer(b, _))
            | (Op::InPlace { read: d, .. }, spi::Operation::TransferInPlace(b)) => {
                *d = Data::Known(b.to_vec())
            }
            _ => {}
        }
    }
}

// ---- I2C ---------------------------------------------------------------------------------

impl<B: i2c::ErrorType> i2c::ErrorType for Recorder<B> {
    type Error = B::Error;
}

impl<A: RecordAddress, B: i2c::I2c<A>> i2c::I2c<A> for Recorder<B> {
    fn read(&mut self, address: A, read: &mut [u8]) -> Result<(), Self::Error> {
        let r = self.inner.read(address, read);
        self.i2c(address, vec![Op::Read(read_data(read, r.is_ok()))], &r);
        r
    }

    fn write(&mut self, address: A, write: &[u8]) -> Result<(), Self::Error> {
        let r = self.inner.write(address, write);
        self.i2c(address, vec![Op::Write(write.to_vec())], &r);
        r
    }

    fn write_read(&mut self, address: A, write: &[u8], read: &mut [u8]) -> Result<(), Self::Error> {
        let r = self.inner.write_read(address, write, read);
        let ops = vec![
            Op::Write(write.to_vec()),
            Op::Read(read_data(read, r.is_ok())),
        ];
        self.i2c(address, ops, &r);
        r
    }

    fn transaction(
        &mut self,
        address: A,
        operations: &mut [i2c::Operation<'_>],
    ) -> Result<(), Self::Error> {
        let r = self.inner.transaction(address, operations);
        self.i2c(address, i2c_ops(operations, r.is_ok()), &r);
        r
    }
}

impl<A: RecordAddress, B: embedded_hal_async::i2c::I2c<A>> embedded_hal_async::i2c::I2c<A>
    for Recorder<B>
{
    async fn read(&mut self, address: A, read: &mut [u8]) -> Result<(), Self::Error> {
        let r = self.inner.read(address, read).await;
        self.i2c(address, vec![Op::Read(read_data(read, r.is_ok()))], &r);
        r
    }

    async fn write(&mut self, address: A, write: &[u8]) -> Result<(), Self::Error> {
        let r = self.inner.write(address, write).await;
        self.i2c(address, vec![Op::Write(write.to_vec())], &r);
        r
    }

    async fn write_read(
        &mut self,
        address: A,
        write: &[u8],
        read: &mut [u8],
    ) -> Result<(), Self::Error> {
        let r = self.inner.write_read(address, write, read).await;
        let ops = vec![
            Op::Write(write.to_vec()),
            Op::Read(read_data(read, r.is_ok())),
        ];
        self.i2c(address, ops, &r);
        r
    }

    async fn transaction(
        &mut self,
        address: A,
        operations: &mut [i2c::Operation<'_>],
    ) -> Result<(), Self::Error> {
        let r = self.inner.transaction(address, operations).await;
        self.i2c(address, i2c_ops(operations, r.is_ok()), &r);
        r
    }
}

// ---- SPI ---------------------------------------------------------------------------------

impl<B: spi::ErrorType> spi::ErrorType for Recorder<B> {
    type Error = B::Error;
}

impl<B: spi::SpiDevice<u8>> spi::SpiDevice<u8> for Recorder<B> {
    fn transaction(
        &mut self,
        operations: &mut [spi::Operation<'_, u8>],
    ) -> Result<(), Self::Error> {
        let mut ops = spi_before(operations);
        let r = self.inner.transaction(operations);
        if r.is_ok() {
            spi_after(&mut ops, operations);
        }
        self.spi(ops, &r);
        r
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), Self::Error> {
        let r = self.inner.read(buf);
        self.spi(vec![Op::Read(read_data(buf, r.is_ok()))], &r);
        r
    }

    fn write(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        let r = self.inner.write(buf);
        self.spi(vec![Op::Write(buf.to_vec())], &r);
        r
    }

    fn transfer(&mut self, read: &mut [u8], write: &[u8]) -> Result<(), Self::Error> {
        let r = self.inner.transfer(read, write);
        let op = Op::Transfer {
            write: write.to_vec(),
            read: read_data(read, r.is_ok()),
        };
        self.spi(vec![op], &r);
        r
    }

    fn transfer_in_place(&mut self, buf: &mut [u8]) -> Result<(), Self::Error> {
        let write = buf.to_vec();
        let r = self.inner.transfer_in_place(buf);
        let op = Op::InPlace {
            write,
            read: read_data(buf, r.is_ok()),
        };
        self.spi(vec![op], &r);
        r
    }
}

impl<B: embedded_hal_async::spi::SpiDevice<u8>> embedded_hal_async::spi::SpiDevice<u8>
    for Recorder<B>
{
    async fn transaction(
        &mut self,
        operations: &mut [spi::Operation<'_, u8>],
    ) -> Result<(), Self::Error> {
        let mut ops = spi_before(operations);
        let r = self.inner.transaction(operations).await;
        if r.is_ok() {
            spi_after(&mut ops, operations);
        }
        self.spi(ops, &r);
        r
    }

    async fn read(&mut self, buf: &mut [u8]) -> Result<(), Self::Error> {
        let r = self.inner.read(buf).await;
        self.spi(vec![Op::Read(read_data(buf, r.is_ok()))], &r);
        r
    }

    async fn write(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        let r = self.inner.write(buf).await;
        self.spi(vec![Op::Write(buf.to_vec())], &r);
        r
    }

    async fn transfer(&mut self, read: &mut [u8], write: &[u8]) -> Result<(), Self::Error> {
        let r = self.inner.transfer(read, write).await;
        let op = Op::Transfer {
            write: write.to_vec(),
            read: read_data(read, r.is_ok()),
        };
        self.spi(vec![op], &r);
        r
    }

    async fn transfer_in_place(&mut self, buf: &mut [u8]) -> Result<(), Self::Error> {
        let write = buf.to_vec();
        let r = self.inner.transfer_in_place(buf).await;
        let op = Op::InPlace {
            write,
            read: read_data(buf, r.is_ok()),
        };
        self.spi(vec![op], &r);
        r
    }
}

// ---- pins --------------------------------------------------------------------------------

impl<B: digital::ErrorType> digital::ErrorType for Recorder<B> {
    type Error = B::Error;
}

impl<B: InputPin> InputPin for Recorder<B> {
    fn is_high(&mut self) -> Result<bool, Self::Error> {
        let r = self.inner.is_high();
        self.level(PinOp::Get, true, &r);
        r
    }

    fn is_low(&mut self) -> Result<bool, Self::Error> {
        let r = self.inner.is_low();
        self.level(PinOp::Get, false, &r);
        r
    }
}

impl<B: OutputPin> OutputPin for Recorder<B> {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        let r = self.inner.set_low();
        self.pin(PinOp::Set(false), &r);
        r
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        let r = self.inner.set_high();
        self.pin(PinOp::Set(true), &r);
        r
    }
}

impl<B: StatefulOutputPin> StatefulOutputPin for Recorder<B> {
    fn is_set_high(&mut self) -> Result<bool, Self::Error> {
        let r = self.inner.is_set_high();
        self.level(PinOp::IsSet, true, &r);
        r
    }

    fn is_set_low(&mut self) -> Result<bool, Self::Error> {
        let r = self.inner.is_set_low();
        self.level(PinOp::IsSet, false, &r);
        r
    }

    fn toggle(&mut self) -> Result<(), Self::Error> {
        let r = self.inner.toggle();
        self.pin(PinOp::Toggle, &r);
        r
    }
}
