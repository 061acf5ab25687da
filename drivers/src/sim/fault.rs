//! Fault injection: wrappers around any embedded-hal I2C bus, SPI device or GPIO pin that
//! make chosen operations fail the way Linux buses fail (feature `sim`).
//!
//! [`Faults`] is a shared, cloneable plan: rules ([`Rule`]) say which operations fail
//! (bus kind, address, reads or writes, the n-th match, how many times, or pseudo-randomly
//! from a seed) and how ([`Fault`]: address or data NACK, timeout, `EIO`, `EAGAIN`
//! arbitration lost, `EBUSY`), and whether the operation reached the bus first
//! ([`Effect`]: not sent, sent in full, or only its first bytes written, like a NACK in
//! the middle of a page write). [`FaultyI2c`], [`FaultySpi`] and [`FaultyPin`] wrap a bus
//! and consult the plan on every operation; the plan records every operation and every
//! injected fault so a test can check what a driver did after a failure (for example that
//! it never resent a write).
//!
//! Errors are [`FaultError`]: `Injected(Fault)` or the wrapped bus's own error, with
//! embedded-hal kinds following the kernel's I2C fault codes (`ENXIO` address NACK,
//! `ENODEV` data NACK, `EAGAIN` arbitration loss, `EIO`/`EBUSY` bus error, `ETIMEDOUT`
//! other).
//!
//! ```
//! use embedded_hal::i2c::NoAcknowledgeSource;
//! use udrv_drivers::lm75::{model::Lm75Model, Error, Lm75};
//! use udrv_drivers::sim::fault::{Fault, FaultError, Faults, FaultyI2c, Rule};
//! use udrv_drivers::sim::SimI2cBus;
//!
//! let bus = SimI2cBus::new();
//! bus.attach(0x48, Lm75Model::lm75());
//! let faults = Faults::new();
//! let mut lm75 = Lm75::new(FaultyI2c::new(bus, &faults), 0x48);
//! faults.add(Rule::new(Fault::Nack(NoAcknowledgeSource::Address)).i2c_address(0x48).times(1));
//! assert!(matches!(lm75.temperature(), Err(Error::Bus(FaultError::Injected(Fault::Nack(_))))));
//! assert!(lm75.temperature().is_ok()); // the fault was for one operation only
//! assert_eq!(faults.injected().len(), 1);
//! ```

use core::fmt;
use embedded_hal::digital;
use embedded_hal::i2c::{self, ErrorKind, NoAcknowledgeSource, Operation};
use embedded_hal::spi;
use std::sync::{Arc, Mutex, MutexGuard};
use std::vec::Vec;

/// How an operation fails, named after the Linux errno a real bus returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The target did not acknowledge: its address (`ENXIO`) or a data byte (`ENODEV`).
    Nack(NoAcknowledgeSource),
    /// The bus timed out (`ETIMEDOUT`): a device holds SCL or SDA low.
    Timeout,
    /// Input/output error (`EIO`): the adapter gave up.
    Io,
    /// Arbitration lost to another controller (`EAGAIN`).
    ArbitrationLoss,
    /// The bus or device is busy (`EBUSY`).
    Busy,
}

impl Fault {
    /// Every fault, for tests that try them all.
    pub const ALL: [Fault; 6] = [
        Fault::Nack(NoAcknowledgeSource::Address),
        Fault::Nack(NoAcknowledgeSource::Data),
        Fault::Timeout,
        Fault::Io,
        Fault::ArbitrationLoss,
        Fault::Busy,
    ];

    /// The errno name Linux uses for this fault.
    pub fn errno_name(self) -> &'static str {
        match self {
            Fault::Nack(NoAcknowledgeSource::Address) => "ENXIO",
            Fault::Nack(NoAcknowledgeSource::Data) => "ENODEV",
            Fault::Nack(NoAcknowledgeSource::Unknown) => "EREMOTEIO",
            Fault::Timeout => "ETIMEDOUT",
            Fault::Io => "EIO",
            Fault::ArbitrationLoss => "EAGAIN",
            Fault::Busy => "EBUSY",
        }
    }

    /// The embedded-hal I2C kind, as udrv-core maps the errno.
    pub fn i2c_kind(self) -> ErrorKind {
        match self {
            Fault::Nack(src) => ErrorKind::NoAcknowledge(src),
            Fault::ArbitrationLoss => ErrorKind::ArbitrationLoss,
            Fault::Io | Fault::Busy => ErrorKind::Bus,
            Fault::Timeout => ErrorKind::Other,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            Fault::Nack(NoAcknowledgeSource::Address) => "address not acknowledged",
            Fault::Nack(NoAcknowledgeSource::Data) => "data byte not acknowledged",
            Fault::Nack(NoAcknowledgeSource::Unknown) => "not acknowledged",
            Fault::Timeout => "bus timed out",
            Fault::Io => "input/output error",
            Fault::ArbitrationLoss => "arbitration lost",
            Fault::Busy => "bus busy",
        };
        write!(f, "{what} ({})", self.errno_name())
    }
}

/// The error of a faulty bus: an injected fault or the wrapped bus's own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultError<E> {
    /// A fault injected by the plan.
    Injected(Fault),
    /// The wrapped bus failed by itself.
    Bus(E),
}

impl<E: fmt::Display> fmt::Display for FaultError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultError::Injected(x) => write!(f, "injected fault: {x}"),
            FaultError::Bus(e) => e.fmt(f),
        }
    }
}

/// The wrapped bus's error is the `source()` of [`FaultError::Bus`].
impl<E: std::error::Error + 'static> std::error::Error for FaultError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FaultError::Injected(_) => None,
            FaultError::Bus(e) => Some(e),
        }
    }
}

impl<E: i2c::Error> i2c::Error for FaultError<E> {
    fn kind(&self) -> ErrorKind {
        match self {
            FaultError::Injected(x) => x.i2c_kind(),
            FaultError::Bus(e) => e.kind(),
        }
    }
}

impl<E: spi::Error> spi::Error for FaultError<E> {
    fn kind(&self) -> spi::ErrorKind {
        match self {
            FaultError::Injected(_) => spi::ErrorKind::Other,
            FaultError::Bus(e) => e.kind(),
        }
    }
}

impl<E: digital::Error> digital::Error for FaultError<E> {
    fn kind(&self) -> digital::ErrorKind {
        match self {
            FaultError::Injected(_) => digital::ErrorKind::Other,
            FaultError::Bus(e) => e.kind(),
        }
    }
}

/// Which kind of bus an operation went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusKind {
    /// An I2C transaction (or read, write, write_read).
    I2c,
    /// An SPI device transaction.
    Spi,
    /// A GPIO pin read or write (or an async wait).
    Pin,
}

/// One operation as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Its sequence number in the plan (from 0, over every wrapped bus).
    pub index: u64,
    /// The bus.
    pub bus: BusKind,
    /// The I2C address (7-bit), `None` on SPI and pins.
    pub address: Option<u8>,
    /// Bytes written (the concatenation of the write operations; for a pin, the level set
    /// as one byte, 0 or 1).
    pub written: Vec<u8>,
    /// Bytes read (I2C, SPI) or levels read (pin).
    pub read_len: usize,
    /// The fault injected into it, if any.
    pub fault: Option<(Fault, Effect)>,
}

impl Op {
    /// Whether the operation reads anything (an I2C write-read reads).
    pub fn reads(&self) -> bool {
        self.read_len > 0
    }
}

/// What reaches the wrapped bus when a fault is injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing: the operation fails before it starts.
    NotSent,
    /// All of it: the operation completed on the bus, then the error is reported (a lost
    /// final ACK, a timeout after the last byte).
    Sent,
    /// Only the first `n` bytes of its writes (I2C only: a data NACK after `n` bytes; the
    /// reads are dropped). On SPI and pins this is [`Effect::NotSent`].
    Partial(usize),
}

/// Which operations a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Any,
    Reads,
    Writes,
}

/// A rule of the plan: which operations fail, how, and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    fault: Fault,
    effect: Effect,
    bus: Option<BusKind>,
    address: Option<u8>,
    dir: Dir,
    skip: u64,
    times: Option<u64>,
    random: Option<(u64, u32)>,
}

impl Rule {
    /// Fail every operation with `fault` (narrow it with the other methods).
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            effect: Effect::NotSent,
            bus: None,
            address: None,
            dir: Dir::Any,
            skip: 0,
            times: None,
            random: None,
        }
    }
    /// Only I2C operations.
    pub fn i2c(mut self) -> Self {
        self.bus = Some(BusKind::I2c);
        self
    }
    /// Only I2C operations to `address`.
    pub fn i2c_address(mut self, address: u8) -> Self {
        self.bus = Some(BusKind::I2c);
        self.address = Some(address);
        self
    }
    /// Only SPI operations.
    pub fn spi(mut self) -> Self {
        self.bus = Some(BusKind::Spi);
        self
    }
    /// Only pin operations.
    pub fn pin(mut self) -> Self {
        self.bus = Some(BusKind::Pin);
        self
    }
    /// Only operations that read (I2C reads and write-reads, SPI with a read, pin reads).
    pub fn reads(mut self) -> Self {
        self.dir = Dir::Reads;
        self
    }
    /// Only operations that read nothing (I2C writes, SPI writes, pin sets).
    pub fn writes(mut self) -> Self {
        self.dir = Dir::Writes;
        self
    }
    /// Let the first `n` matching operations through, then fail.
    pub fn after(mut self, n: u64) -> Self {
        self.skip = n;
        self
    }
    /// Fail at most `n` operations, then let everything through.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }
    /// Fail each matching operation with probability 1/`one_in`, from a seeded generator
    /// (reproducible).
    pub fn randomly(mut self, seed: u64, one_in: u32) -> Self {
        self.random = Some((seed | 1, one_in.max(1)));
        self
    }
    /// What reaches the bus (default [`Effect::NotSent`]).
    pub fn effect(mut self, effect: Effect) -> Self {
        self.effect = effect;
        self
    }

    fn matches(&self, op: &Op) -> bool {
        self.bus.is_none_or(|b| b == op.bus)
            && self.address.is_none_or(|a| Some(a) == op.address)
            && match self.dir {
                Dir::Any => true,
                Dir::Reads => op.reads(),
                Dir::Writes => !op.reads(),
            }
    }

    /// Decide for one matching operation; updates the counters.
    fn fire(&mut self) -> bool {
        if self.skip > 0 {
            self.skip -= 1;
            return false;
        }
        if self.times == Some(0) {
            return false;
        }
        if let Some((state, one_in)) = &mut self.random {
            // xorshift64
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            if *state % u64::from(*one_in) != 0 {
                return false;
            }
        }
        if let Some(t) = &mut self.times {
            *t -= 1;
        }
        true
    }
}

#[derive(Debug, Default)]
struct Plan {
    rules: Vec<Rule>,
    log: Vec<Op>,
    next: u64,
    keep_log: bool,
}

/// The shared fault plan: rules, and a log of every operation through the wrappers.
/// Clone it freely (an `Arc` inside): give one clone to the wrappers, keep one to steer.
#[derive(Debug, Clone)]
pub struct Faults(Arc<Mutex<Plan>>);

impl Default for Faults {
    fn default() -> Self {
        Self::new()
    }
}

impl Faults {
    /// An empty plan (nothing fails) that logs every operation.
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(Plan {
            keep_log: true,
            ..Plan::default()
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Plan> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Add a rule (rules are tried in order; the first that fires wins).
    pub fn add(&self, rule: Rule) {
        self.lock().rules.push(rule);
    }

    /// Remove every rule (the log stays).
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// Stop (or restart) logging operations (for long soak runs).
    pub fn set_logging(&self, on: bool) {
        self.lock().keep_log = on;
    }

    /// Every operation logged so far, in order.
    pub fn log(&self) -> Vec<Op> {
        self.lock().log.clone()
    }

    /// The logged operations that had a fault injected.
    pub fn injected(&self) -> Vec<Op> {
        self.lock()
            .log
            .iter()
            .filter(|o| o.fault.is_some())
            .cloned()
            .collect()
    }

    /// How many operations went through the wrappers (logged or not).
    pub fn operations(&self) -> u64 {
        self.lock().next
    }

    /// Forget the log (the rules and the operation count stay).
    pub fn clear_log(&self) {
        self.lock().log.clear();
    }

    /// Record `op` and decide its fate.
    fn decide(&self, mut op: Op) -> Option<(Fault, Effect)> {
        let mut plan = self.lock();
        op.index = plan.next;
        plan.next += 1;
        let mut verdict = None;
        for rule in plan.rules.iter_mut() {
            if rule.matches(&op) && rule.fire() {
                verdict = Some((rule.fault, rule.effect));
                break;
            }
        }
        op.fault = verdict;
        if plan.keep_log {
            plan.log.push(op);
        }
        verdict
    }
}

fn i2c_op(address: u8, ops: &[Operation<'_>]) -> Op {
    let mut written = Vec::new();
    let mut read_len = 0;
    for o in ops {
        match o {
            Operation::Write(w) => written.extend_from_slice(w),
            Operation::Read(r) => read_len += r.len(),
        }
    }
    Op {
        index: 0,
        bus: BusKind::I2c,
        address: Some(address),
        written,
        read_len,
        fault: None,
    }
}

/// An I2C bus that fails when its [`Faults`] plan says so.
#[derive(Debug, Clone)]
pub struct FaultyI2c<I> {
    inner: I,
    faults: Faults,
}

impl<I> FaultyI2c<I> {
    /// Wrap `inner`, consulting `faults` (a clone of it is kept).
    pub fn new(inner: I, faults: &Faults) -> Self {
        Self {
            inner,
            faults: faults.clone(),
        }
    }
    /// The wrapped bus.
    pub fn inner(&mut self) -> &mut I {
        &mut self.inner
    }
    /// Give the wrapped bus back.
    pub fn into_inner(self) -> I {
        self.inner
    }
}

/// The write operations of `ops` cut to their first `n` bytes in total.
fn truncated_writes<'a>(ops: &'a [Operation<'_>], mut n: usize) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    for o in ops {
        if let Operation::Write(w) = o {
            let k = w.len().min(n);
            out.push(&w[..k]);
            n -= k;
        }
    }
    out
}

macro_rules! i2c_transaction_body {
    ($self:ident, $address:ident, $ops:ident, $($aw:tt)*) => {{
        let op = i2c_op($address, $ops);
        match $self.faults.decide(op) {
            None => $self.inner.transaction($address, $ops)$($aw)*.map_err(FaultError::Bus),
            Some((fault, effect)) => {
                match effect {
                    Effect::NotSent => {}
                    Effect::Sent => {
                        let _ = $self.inner.transaction($address, $ops)$($aw)*;
                    }
                    Effect::Partial(n) => {
                        let parts = truncated_writes($ops, n);
                        let mut wops: Vec<Operation<'_>> =
                            parts.into_iter().map(Operation::Write).collect();
                        let _ = $self.inner.transaction($address, &mut wops)$($aw)*;
                    }
                }
                Err(FaultError::Injected(fault))
            }
        }
    }};
}

impl<I: i2c::ErrorType> i2c::ErrorType for FaultyI2c<I> {
    type Error = FaultError<I::Error>;
}

impl<I: i2c::I2c> i2c::I2c for FaultyI2c<I> {
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        i2c_transaction_body!(self, address, operations,)
    }
}

impl<I: embedded_hal_async::i2c::I2c> embedded_hal_async::i2c::I2c for FaultyI2c<I> {
    async fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        i2c_transaction_body!(self, address, operations, .await)
    }
}

/// An SPI device that fails when its [`Faults`] plan says so.
#[derive(Debug, Clone)]
pub struct FaultySpi<S> {
    inner: S,
    faults: Faults,
}

impl<S> FaultySpi<S> {
    /// Wrap `inner`, consulting `faults`.
    pub fn new(inner: S, faults: &Faults) -> Self {
        Self {
            inner,
            faults: faults.clone(),
        }
    }
    /// Give the wrapped device back.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

fn spi_op(ops: &[spi::Operation<'_, u8>]) -> Op {
    let mut written = Vec::new();
    let mut read_len = 0;
    for o in ops {
        match o {
            spi::Operation::Write(w) => written.extend_from_slice(w),
            spi::Operation::Read(r) => read_len += r.len(),
            spi::Operation::Transfer(r, w) => {
                written.extend_from_slice(w);
                read_len += r.len();
            }
            spi::Operation::TransferInPlace(b) => {
                written.extend_from_slice(b);
                read_len += b.len();
            }
            spi::Operation::DelayNs(_) => {}
        }
    }
    Op {
        index: 0,
        bus: BusKind::Spi,
        address: None,
        written,
        read_len,
        fault: None,
    }
}

impl<S: spi::ErrorType> spi::ErrorType for FaultySpi<S> {
    type Error = FaultError<S::Error>;
}

impl<S: spi::SpiDevice> spi::SpiDevice for FaultySpi<S> {
    fn transaction(
        &mut self,
        operations: &mut [spi::Operation<'_, u8>],
    ) -> Result<(), Self::Error> {
        match self.faults.decide(spi_op(operations)) {
            None => self.inner.transaction(operations).map_err(FaultError::Bus),
            Some((fault, effect)) => {
                if effect == Effect::Sent {
                    let _ = self.inner.transaction(operations);
                }
                Err(FaultError::Injected(fault))
            }
        }
    }
}

impl<S: embedded_hal_async::spi::SpiDevice> embedded_hal_async::spi::SpiDevice for FaultySpi<S> {
    async fn transaction(
        &mut self,
        operations: &mut [spi::Operation<'_, u8>],
    ) -> Result<(), Self::Error> {
        match self.faults.decide(spi_op(operations)) {
            None => self
                .inner
                .transaction(operations)
                .await
                .map_err(FaultError::Bus),
            Some((fault, effect)) => {
                if effect == Effect::Sent {
                    let _ = self.inner.transaction(operations).await;
                }
                Err(FaultError::Injected(fault))
            }
        }
    }
}

/// A GPIO pin (input, output or both) that fails when its [`Faults`] plan says so.
#[derive(Debug, Clone)]
pub struct FaultyPin<P> {
    inner: P,
    faults: Faults,
}

impl<P> FaultyPin<P> {
    /// Wrap `inner`, consulting `faults`.
    pub fn new(inner: P, faults: &Faults) -> Self {
        Self {
            inner,
            faults: faults.clone(),
        }
    }
    /// Give the wrapped pin back.
    pub fn into_inner(self) -> P {
        self.inner
    }
}

fn pin_op(written: Option<u8>) -> Op {
    Op {
        index: 0,
        bus: BusKind::Pin,
        address: None,
        read_len: usize::from(written.is_none()),
        written: written.into_iter().collect(),
        fault: None,
    }
}

impl<P: digital::ErrorType> digital::ErrorType for FaultyPin<P> {
    type Error = FaultError<P::Error>;
}

macro_rules! pin_call {
    ($self:ident, $written:expr, $call:expr) => {
        match $self.faults.decide(pin_op($written)) {
            None => $call.map_err(FaultError::Bus),
            Some((fault, effect)) => {
                if effect == Effect::Sent {
                    let _ = $call;
                }
                Err(FaultError::Injected(fault))
            }
        }
    };
}

impl<P: digital::InputPin> digital::InputPin for FaultyPin<P> {
    fn is_high(&mut self) -> Result<bool, Self::Error> {
        pin_call!(self, None, self.inner.is_high())
    }
    fn is_low(&mut self) -> Result<bool, Self::Error> {
        pin_call!(self, None, self.inner.is_low())
    }
}

impl<P: digital::OutputPin> digital::OutputPin for FaultyPin<P> {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        pin_call!(self, Some(0), self.inner.set_low())
    }
    fn set_high(&mut self) -> Result<(), Self::Error> {
        pin_call!(self, Some(1), self.inner.set_high())
    }
}

impl<P: embedded_hal_async::digital::Wait> embedded_hal_async::digital::Wait for FaultyPin<P> {
    async fn wait_for_high(&mut self) -> Result<(), Self::Error> {
        pin_call!(self, None, self.inner.wait_for_high().await)
    }
    async fn wait_for_low(&mut self) -> Result<(), Self::Error> {
        pin_call!(self, None, self.inner.wait_for_low().await)
    }
    async fn wait_for_rising_edge(&mut self) -> Result<(), Self::Error> {
        pin_call!(self, None, self.inner.wait_for_rising_edge().await)
    }
    async fn wait_for_falling_edge(&mut self) -> Result<(), Self::Error> {
        pin_call!(self, None, self.inner.wait_for_falling_edge().await)
    }
    async fn wait_for_any_edge(&mut self) -> Result<(), Self::Error> {
        pin_call!(self, None, self.inner.wait_for_any_edge().await)
    }
}
