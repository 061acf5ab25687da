//! Simulation: register-level chip models on simulated buses (feature `sim`).
//!
//! * [`I2cTarget`] is what an I2C chip model implements; [`SimI2cBus`] routes embedded-hal
//!   [`I2c`](embedded_hal::i2c::I2c) (blocking and async) transactions to the model at the
//!   addressed slot and NACKs absent addresses, like a real bus.
//! * [`SpiTarget`] is what an SPI chip model implements; [`SimSpiDevice`] is one chip select
//!   on a simulated bus, implementing embedded-hal [`SpiDevice`](embedded_hal::spi::SpiDevice)
//!   (blocking and async).
//! * [`RegisterFile`] is the byte-register protocol most I2C chips share (a register
//!   pointer set by the first byte written, auto-increment); a model implementing it is an
//!   [`I2cTarget`].
//! * [`SimHandle`] is a shared handle to an attached model, used to set its physical inputs
//!   (temperature, voltage, pin levels, time) while drivers talk to it.
//! * [`SimLine`] is an output level of a model (an interrupt or alert pin) that can be read,
//!   waited on (embedded-hal [`InputPin`](embedded_hal::digital::InputPin) and async
//!   [`Wait`](embedded_hal_async::digital::Wait)) or subscribed to through a channel.
//!
//! All types are cheap to clone (`Arc<Mutex<..>>` inside) so one board can hand the same
//! bus to several drivers and a CLI. The models never import the drivers' register
//! definitions: each is written from the datasheet on its own.
//!
//! ```
//! use udrv_drivers::sim::SimI2cBus;
//! use udrv_drivers::lm75::{model::Lm75Model, Lm75};
//! use udrv_drivers::Temperature;
//!
//! let bus = SimI2cBus::new();
//! let chip = bus.attach(0x48, Lm75Model::lm75());
//! chip.lock().set_temperature(Temperature::from_millicelsius(-12_500));
//! let mut lm75 = Lm75::new(bus.clone(), 0x48);
//! assert_eq!(lm75.temperature().unwrap().as_millicelsius(), -12_500);
//! ```

pub mod fault;
pub mod registers;
pub(crate) mod rtc;

pub use registers::{RegisterFile, RegisterPointer, WordPointer};

use core::fmt;
use core::future::poll_fn;
use core::task::{Poll, Waker};
use embedded_hal::i2c::{self, ErrorKind, NoAcknowledgeSource};
use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
use std::vec::Vec;

/// The direction of an I2C transfer phase (the R/W bit after a START).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Controller writes to the target.
    Write,
    /// Controller reads from the target.
    Read,
}

/// How a model refuses a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimError {
    /// The target does not acknowledge its address (absent, busy in a write cycle, or a
    /// read header while no data is ready).
    AddressNack,
    /// The target does not acknowledge a data byte.
    DataNack,
    /// Any other failure (for example a simulated bus fault).
    Other,
}

/// An I2C target (slave) model.
///
/// The bus calls, for every embedded-hal transaction: [`start`](Self::start) at the
/// START and at each repeated START (a change of direction), then [`write`](Self::write)
/// or [`read`](Self::read) for each operation (adjacent operations of one direction
/// belong to one phase: a model must treat two `write` calls without `start` between them
/// as one continuous byte stream), and [`stop`](Self::stop) once at the end, also after
/// an error.
pub trait I2cTarget: Send {
    /// A START or repeated START with this target's `address` (a model attached at
    /// several addresses, like an AT24C16, learns which one); `Err` NACKs the address.
    fn start(&mut self, address: u8, dir: Direction) -> Result<(), SimError> {
        let _ = (address, dir);
        Ok(())
    }
    /// Bytes written by the controller in the current write phase.
    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError>;
    /// Bytes read by the controller in the current read phase.
    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError>;
    /// The STOP condition.
    fn stop(&mut self) {}
}

/// An SPI target model: one byte at a time, full duplex, framed by chip select.
pub trait SpiTarget: Send {
    /// Chip select asserted.
    fn select(&mut self) {}
    /// One byte shifted in on MOSI; returns the byte shifted out on MISO at the same time.
    fn transfer(&mut self, mosi: u8) -> u8;
    /// Chip select released.
    fn deselect(&mut self) {}
}

/// A shared handle to a model attached to a simulated bus; clone it freely.
pub struct SimHandle<M: ?Sized>(Arc<Mutex<M>>);

impl<M: ?Sized> Clone for SimHandle<M> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<M> SimHandle<M> {
    /// Wrap a model (not yet attached to anything).
    pub fn new(model: M) -> Self {
        Self(Arc::new(Mutex::new(model)))
    }
}

impl<M: ?Sized> SimHandle<M> {
    /// Lock the model to read or set its state. Do not hold the guard across bus calls
    /// to the same model (that would deadlock).
    pub fn lock(&self) -> MutexGuard<'_, M> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<M: ?Sized> fmt::Debug for SimHandle<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimHandle")
    }
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The error of [`SimI2cBus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimI2cError {
    /// The target address of the failed transaction.
    pub address: u8,
    /// What went wrong, in embedded-hal terms.
    pub kind: ErrorKind,
}

impl fmt::Display for SimI2cError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "simulated I2C 0x{:02x}: {}", self.address, self.kind)
    }
}

impl std::error::Error for SimI2cError {}

impl i2c::Error for SimI2cError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

fn sim_kind(e: SimError) -> ErrorKind {
    match e {
        SimError::AddressNack => ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address),
        SimError::DataNack => ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data),
        SimError::Other => ErrorKind::Other,
    }
}

type SharedTarget = Arc<Mutex<dyn I2cTarget>>;

/// A simulated I2C bus: models attached at 7-bit addresses.
///
/// Implements embedded-hal [`I2c`](embedded_hal::i2c::I2c) and its async twin. Clones
/// share the same bus; each transaction holds the bus for its whole length.
#[derive(Clone, Default)]
pub struct SimI2cBus {
    targets: Arc<Mutex<BTreeMap<u8, SharedTarget>>>,
}

impl fmt::Debug for SimI2cBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimI2cBus")
            .field("addresses", &self.addresses())
            .finish()
    }
}

impl SimI2cBus {
    /// An empty bus: every address NACKs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Attach `model` at `address` (replacing what was there) and return its handle.
    pub fn attach<M: I2cTarget + 'static>(&self, address: u8, model: M) -> SimHandle<M> {
        let h = SimHandle::new(model);
        self.attach_handle(address, &h);
        h
    }

    /// Attach an existing model handle at `address` (one model may answer several
    /// addresses, for example the PCA9685's all-call address).
    pub fn attach_handle<M: I2cTarget + 'static>(&self, address: u8, handle: &SimHandle<M>) {
        let t: SharedTarget = handle.0.clone();
        lock(&self.targets).insert(address, t);
    }

    /// Remove the model at `address`; returns whether there was one.
    pub fn detach(&self, address: u8) -> bool {
        lock(&self.targets).remove(&address).is_some()
    }

    /// The addresses that have a model attached, ascending.
    pub fn addresses(&self) -> Vec<u8> {
        lock(&self.targets).keys().copied().collect()
    }

    fn run(&self, address: u8, ops: &mut [i2c::Operation<'_>]) -> Result<(), SimI2cError> {
        let targets = lock(&self.targets);
        let err = |e: SimError| SimI2cError {
            address,
            kind: sim_kind(e),
        };
        let Some(target) = targets.get(&address) else {
            return Err(err(SimError::AddressNack));
        };
        let mut t = lock(target);
        let mut phase: Option<Direction> = None;
        let mut res = Ok(());
        for op in ops.iter_mut() {
            let dir = match op {
                i2c::Operation::Write(_) => Direction::Write,
                i2c::Operation::Read(_) => Direction::Read,
            };
            if phase != Some(dir) {
                if let Err(e) = t.start(address, dir) {
                    res = Err(err(e));
                    break;
                }
                phase = Some(dir);
            }
            let r = match op {
                i2c::Operation::Write(b) => t.write(b),
                i2c::Operation::Read(b) => t.read(b),
            };
            if let Err(e) = r {
                res = Err(err(e));
                break;
            }
        }
        if phase.is_some() {
            t.stop();
        }
        res
    }
}

impl i2c::ErrorType for SimI2cBus {
    type Error = SimI2cError;
}

impl i2c::I2c for SimI2cBus {
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [i2c::Operation<'_>],
    ) -> Result<(), Self::Error> {
        self.run(address, operations)
    }
}

impl embedded_hal_async::i2c::I2c for SimI2cBus {
    async fn transaction(
        &mut self,
        address: u8,
        operations: &mut [i2c::Operation<'_>],
    ) -> Result<(), Self::Error> {
        self.run(address, operations)
    }
}

/// The error of [`SimSpiDevice`]: only produced when a failure was injected with
/// [`SimSpiDevice::fail_next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimSpiError;

impl fmt::Display for SimSpiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("simulated SPI fault")
    }
}

impl std::error::Error for SimSpiError {}

impl embedded_hal::spi::Error for SimSpiError {
    fn kind(&self) -> embedded_hal::spi::ErrorKind {
        embedded_hal::spi::ErrorKind::Other
    }
}

/// One simulated SPI chip select with a model behind it.
///
/// Implements embedded-hal [`SpiDevice`](embedded_hal::spi::SpiDevice) and its async
/// twin: each transaction asserts chip select, shifts every byte through the model
/// (`Read` sends 0x00), and releases chip select. Clones share the model.
#[derive(Clone)]
pub struct SimSpiDevice {
    target: Arc<Mutex<dyn SpiTarget>>,
    fail: Arc<Mutex<bool>>,
}

impl fmt::Debug for SimSpiDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimSpiDevice")
    }
}

impl SimSpiDevice {
    /// A device in front of `model`; returns the device and the model's handle.
    pub fn new<M: SpiTarget + 'static>(model: M) -> (Self, SimHandle<M>) {
        let h = SimHandle::new(model);
        (Self::from_handle(&h), h)
    }

    /// A device in front of an existing model handle.
    pub fn from_handle<M: SpiTarget + 'static>(handle: &SimHandle<M>) -> Self {
        Self {
            target: handle.0.clone(),
            fail: Arc::new(Mutex::new(false)),
        }
    }

    /// Make the next transaction fail with [`SimSpiError`] without touching the model.
    pub fn fail_next(&self) {
        *lock(&self.fail) = true;
    }

    fn run(&self, ops: &mut [embedded_hal::spi::Operation<'_, u8>]) -> Result<(), SimSpiError> {
        use embedded_hal::spi::Operation;
        if core::mem::take(&mut *lock(&self.fail)) {
            return Err(SimSpiError);
        }
        let mut t = lock(&self.target);
        t.select();
        for op in ops.iter_mut() {
            match op {
                Operation::Read(b) => b.iter_mut().for_each(|x| *x = t.transfer(0)),
                Operation::Write(b) => b.iter().for_each(|&x| {
                    t.transfer(x);
                }),
                Operation::Transfer(r, w) => {
                    for i in 0..r.len().max(w.len()) {
                        let miso = t.transfer(w.get(i).copied().unwrap_or(0));
                        if let Some(x) = r.get_mut(i) {
                            *x = miso;
                        }
                    }
                }
                Operation::TransferInPlace(b) => b.iter_mut().for_each(|x| *x = t.transfer(*x)),
                Operation::DelayNs(_) => {}
            }
        }
        t.deselect();
        Ok(())
    }
}

impl embedded_hal::spi::ErrorType for SimSpiDevice {
    type Error = SimSpiError;
}

impl embedded_hal::spi::SpiDevice for SimSpiDevice {
    fn transaction(
        &mut self,
        operations: &mut [embedded_hal::spi::Operation<'_, u8>],
    ) -> Result<(), Self::Error> {
        self.run(operations)
    }
}

impl embedded_hal_async::spi::SpiDevice for SimSpiDevice {
    async fn transaction(
        &mut self,
        operations: &mut [embedded_hal::spi::Operation<'_, u8>],
    ) -> Result<(), Self::Error> {
        self.run(operations)
    }
}

struct LineState {
    high: bool,
    rises: u64,
    falls: u64,
    subscribers: Vec<mpsc::Sender<bool>>,
    wakers: Vec<Waker>,
}

struct LineInner {
    state: Mutex<LineState>,
    changed: Condvar,
}

/// An output level driven by a model (interrupt, alert, square-wave pin), `true` = high.
///
/// Read it with [`is_high`](Self::is_high), block on it with
/// [`wait_change`](Self::wait_change), subscribe with [`subscribe`](Self::subscribe)
/// (a channel that receives every new level), or use it as an embedded-hal
/// [`InputPin`](embedded_hal::digital::InputPin) / async
/// [`Wait`](embedded_hal_async::digital::Wait), so a virtual board can wire it to a
/// simulated GPIO line and a driver can await an edge. Clones share the line.
#[derive(Clone)]
pub struct SimLine {
    inner: Arc<LineInner>,
}

impl fmt::Debug for SimLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimLine")
            .field("high", &self.is_high())
            .finish()
    }
}

impl SimLine {
    /// A line at the given idle level.
    pub fn new(high: bool) -> Self {
        Self {
            inner: Arc::new(LineInner {
                state: Mutex::new(LineState {
                    high,
                    rises: 0,
                    falls: 0,
                    subscribers: Vec::new(),
                    wakers: Vec::new(),
                }),
                changed: Condvar::new(),
            }),
        }
    }

    /// Whether the line is high.
    pub fn is_high(&self) -> bool {
        lock(&self.inner.state).high
    }

    /// Whether the line is low.
    pub fn is_low(&self) -> bool {
        !self.is_high()
    }

    /// Number of (rising, falling) edges since the line was created.
    pub fn edges(&self) -> (u64, u64) {
        let s = lock(&self.inner.state);
        (s.rises, s.falls)
    }

    /// Drive the line (models call this); notifies waiters and subscribers on a change.
    pub fn set(&self, high: bool) {
        let mut s = lock(&self.inner.state);
        if s.high == high {
            return;
        }
        s.high = high;
        if high {
            s.rises += 1;
        } else {
            s.falls += 1;
        }
        s.subscribers.retain(|tx| tx.send(high).is_ok());
        for w in s.wakers.drain(..) {
            w.wake();
        }
        self.inner.changed.notify_all();
    }

    /// A channel that receives the new level at every change from now on.
    pub fn subscribe(&self) -> mpsc::Receiver<bool> {
        let (tx, rx) = mpsc::channel();
        lock(&self.inner.state).subscribers.push(tx);
        rx
    }

    /// Block until the line changes or `timeout` passes; returns the level then.
    pub fn wait_change(&self, timeout: Duration) -> bool {
        let s = lock(&self.inner.state);
        let edges = s.rises + s.falls;
        let (s, _) = self
            .inner
            .changed
            .wait_timeout_while(s, timeout, |s| s.rises + s.falls == edges)
            .unwrap_or_else(|e| e.into_inner());
        s.high
    }

    async fn wait_until(&self, done: impl Fn(&LineState) -> bool) {
        poll_fn(|cx| {
            let mut s = lock(&self.inner.state);
            if done(&s) {
                Poll::Ready(())
            } else {
                s.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

impl embedded_hal::digital::ErrorType for SimLine {
    type Error = core::convert::Infallible;
}

impl embedded_hal::digital::InputPin for SimLine {
    fn is_high(&mut self) -> Result<bool, Self::Error> {
        Ok(SimLine::is_high(self))
    }
    fn is_low(&mut self) -> Result<bool, Self::Error> {
        Ok(SimLine::is_low(self))
    }
}

impl embedded_hal_async::digital::Wait for SimLine {
    async fn wait_for_high(&mut self) -> Result<(), Self::Error> {
        self.wait_until(|s| s.high).await;
        Ok(())
    }
    async fn wait_for_low(&mut self) -> Result<(), Self::Error> {
        self.wait_until(|s| !s.high).await;
        Ok(())
    }
    async fn wait_for_rising_edge(&mut self) -> Result<(), Self::Error> {
        let n = self.edges().0;
        self.wait_until(move |s| s.rises > n).await;
        Ok(())
    }
    async fn wait_for_falling_edge(&mut self) -> Result<(), Self::Error> {
        let n = self.edges().1;
        self.wait_until(move |s| s.falls > n).await;
        Ok(())
    }
    async fn wait_for_any_edge(&mut self) -> Result<(), Self::Error> {
        let (r, f) = self.edges();
        self.wait_until(move |s| s.rises + s.falls > r + f).await;
        Ok(())
    }
}

/// Run a future to completion on the current thread (for tests, examples and the
/// virtual board; the simulated buses never return `Pending`).
pub fn block_on<F: core::future::Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = core::task::Context::from_waker(&waker);
    let mut fut = core::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
