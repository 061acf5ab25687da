//! Line requests: the builder, values, reconfiguration and edge events.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::sys::fs::{poll_readable, set_nonblocking_to, Pod};
use crate::sys::gpio_v1 as v1;
use crate::sys::gpio_v2 as v2;

use super::chip::Chip;
use super::config::{Config, V1Plan};
use super::error::{AbiLimit, Error, InvalidConfig, Operation, Result};
use super::event::{EdgeEvent, SeqTracker};
use super::{Abi, Bias, Drive, EdgeDetection, EventClock, FoundLine, Value};

/// Builds a [`Request`]: chip, consumer label, kernel event buffer size, uAPI version and
/// the settings of each line.
///
/// Lines are selected with [`with_line`](Self::with_line) or
/// [`with_lines`](Self::with_lines) (or [`with_found_line`](Self::with_found_line)); the
/// setting methods that follow apply to the lines selected last.
///
/// ```no_run
/// use std::time::Duration;
/// use udrv_core::gpio::{Bias, Drive, EdgeDetection, EventClock, Request, Value};
///
/// # fn main() -> Result<(), udrv_core::gpio::Error> {
/// let req = Request::builder()
///     .on_chip("/dev/gpiochip0")
///     .with_consumer("doorbell")
///     .with_event_buffer_size(256)
///     .with_line(4)
///     .with_edge_detection(EdgeDetection::Falling)
///     .with_bias(Bias::PullUp)
///     .with_debounce(Duration::from_millis(10))
///     .with_event_clock(EventClock::Realtime)
///     .with_lines(&[17, 27])
///     .as_output(Value::Inactive)
///     .with_drive(Drive::OpenDrain)
///     .request()?;
/// req.set_values(&[(17, Value::Active), (27, Value::Active)])?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct RequestBuilder {
    chip: Option<PathBuf>,
    abi: Option<Abi>,
    consumer: String,
    event_buffer_size: Option<u32>,
    config: Config,
    deferred: Option<InvalidConfig>,
}

impl Default for RequestBuilder {
    fn default() -> Self {
        RequestBuilder {
            chip: None,
            abi: None,
            consumer: "udrv".into(),
            event_buffer_size: None,
            config: Config::default(),
            deferred: None,
        }
    }
}

macro_rules! delegate {
    ($($(#[$m:meta])* $name:ident($($arg:ident: $t:ty),*);)*) => {$(
        $(#[$m])*
        pub fn $name(&mut self, $($arg: $t),*) -> &mut Self {
            self.config.$name($($arg),*);
            self
        }
    )*};
}

impl RequestBuilder {
    /// The chip, by device node path.
    pub fn on_chip(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.set_chip(path.as_ref());
        self
    }

    fn set_chip(&mut self, path: &Path) {
        match &self.chip {
            Some(c) if c != path => {
                self.deferred = Some(InvalidConfig::ChipMismatch {
                    request: c.clone(),
                    line: path.to_path_buf(),
                })
            }
            _ => self.chip = Some(path.to_path_buf()),
        }
    }

    /// Selects a line found by name (setting the chip; all lines of one request must be
    /// on the same chip).
    pub fn with_found_line(&mut self, line: &FoundLine) -> &mut Self {
        self.set_chip(&line.chip);
        self.config.with_line(line.offset);
        self
    }

    /// Forces a uAPI version (default: the chip's, see [`Chip::open`]).
    pub fn with_abi(&mut self, abi: Abi) -> &mut Self {
        self.abi = Some(abi);
        self
    }

    /// The consumer label the kernel shows for the lines (at most 31 bytes; default
    /// `udrv`).
    pub fn with_consumer(&mut self, consumer: &str) -> &mut Self {
        self.consumer = consumer.to_string();
        self
    }

    /// How many edge events the kernel should buffer for this request (v2 only; the
    /// kernel's default is 16 per line, its maximum 1024, and it rounds up to a power of
    /// two; values below 2 are raised to 2, the smallest buffer it can allocate). When the
    /// buffer is full the kernel drops the oldest event; the gap is reported in
    /// [`EdgeEvent::lost_before`] and [`Request::lost_events`].
    pub fn with_event_buffer_size(&mut self, events: u32) -> &mut Self {
        self.event_buffer_size = Some(events);
        self
    }

    /// Replaces the whole line configuration.
    pub fn with_config(&mut self, config: Config) -> &mut Self {
        self.config = config;
        self
    }

    /// The line configuration so far.
    pub fn config(&self) -> &Config {
        &self.config
    }

    delegate! {
        /// Selects `offset` (adding it with default settings when new).
        with_line(offset: u32);
        /// Selects `offsets`.
        with_lines(offsets: &[u32]);
        /// Selected lines become inputs.
        as_input();
        /// Selected lines become outputs starting at `value`.
        as_output(value: Value);
        /// Selected lines keep their direction.
        as_is();
        /// Sets the output value of the selected lines.
        with_value(value: Value);
        /// Selected lines are active-low.
        as_active_low();
        /// Selected lines are active-high.
        as_active_high();
        /// Sets the bias of the selected lines.
        with_bias(bias: Bias);
        /// Sets the drive of the selected lines.
        with_drive(drive: Drive);
        /// Turns on edge detection on the selected lines (making them inputs).
        with_edge_detection(edge: EdgeDetection);
        /// Turns off edge detection on the selected lines.
        without_edge_detection();
        /// Sets the debounce period of the selected lines (v2 only).
        with_debounce(period: Duration);
        /// Sets the event clock of the selected lines (v2 only, besides monotonic).
        with_event_clock(clock: EventClock);
    }

    /// Opens the chip and requests the lines.
    pub fn request(&self) -> Result<Request> {
        if let Some(r) = &self.deferred {
            let chip = self.chip.clone().unwrap_or_default();
            return Err(Error::invalid(&chip, r.clone()));
        }
        let Some(path) = &self.chip else {
            return Err(Error::invalid(Path::new(""), InvalidConfig::NoChip));
        };
        let mut chip = Chip::open(path)?;
        if let Some(abi) = self.abi {
            chip = chip.with_abi(abi);
        }
        self.request_on(&chip)
    }

    /// Requests the lines on an already open chip (its uAPI version unless one was
    /// forced with [`with_abi`](Self::with_abi)).
    pub fn request_on(&self, chip: &Chip) -> Result<Request> {
        if let Some(r) = &self.deferred {
            return Err(Error::invalid(chip.path(), r.clone()));
        }
        let abi = self.abi.unwrap_or(chip.abi());
        let forced;
        let chip = if abi != chip.abi() {
            forced = Chip::open(chip.path())?.with_abi(abi);
            &forced
        } else {
            chip
        };
        let (fd, plan) =
            chip.request_lines(&self.consumer, self.event_buffer_size, &self.config)?;
        let kind = match plan {
            None => Kind::V2,
            Some(V1Plan::Handle { .. }) => Kind::V1Handle,
            Some(V1Plan::Event { offset, .. }) => Kind::V1Event(offset),
        };
        Ok(Request::new(
            fd,
            chip.path().to_path_buf(),
            kind,
            self.config.clone(),
        ))
    }
}

/// Which kind of kernel object the request fd is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A v2 line request.
    V2,
    /// A v1 line handle (values, no events).
    V1Handle,
    /// A v1 line event request for one line.
    V1Event(u32),
}

/// How many raw events one `read` takes at most.
const READ_BATCH: usize = 64;

#[derive(Debug)]
enum RawEvents {
    V2(Vec<v2::LineEvent>),
    V1(Vec<v1::EventData>),
}

impl RawEvents {
    /// One `read` of as many events as fit; `WouldBlock` on a non-blocking descriptor
    /// with none queued.
    fn read(&mut self, fd: BorrowedFd<'_>) -> io::Result<usize> {
        match self {
            RawEvents::V2(raw) => v2::read_events(fd, raw),
            RawEvents::V1(raw) => v1::read_events(fd, raw),
        }
    }
}

#[derive(Debug)]
struct State {
    config: Config,
    raw: RawEvents,
    pos: usize,
    len: usize,
    seq: SeqTracker,
    /// Whether the descriptor is `O_NONBLOCK` (as udrv last set it): a wait without a
    /// timeout clears it and sleeps in `read`, any other read sets it; each switches only
    /// when the mode changes, so a run of either kind costs no extra system call.
    nonblocking: bool,
    /// A thread sleeps in a blocking `read` of the descriptor, without the lock, `raw`
    /// taken along: no other thread reads the descriptor until it is back (the events
    /// stay in order, each read by one thread).
    reading: bool,
    /// Threads waiting on [`Request::read_done`] for that `read` to end.
    waiters: u32,
}

/// Requested lines: values, reconfiguration, edge events. Released on drop.
///
/// All methods take `&self`: a request can be shared between threads (`Arc<Request>`);
/// event reads are serialized inside, so lost-event accounting stays exact.
///
/// ```no_run
/// use std::time::Duration;
/// use udrv_core::gpio::{EdgeDetection, Request};
///
/// # fn main() -> Result<(), udrv_core::gpio::Error> {
/// let req = Request::builder()
///     .on_chip("/dev/gpiochip0")
///     .with_lines(&[5, 6])
///     .with_edge_detection(EdgeDetection::Both)
///     .request()?;
/// println!("now: {:?}", req.values()?);
/// loop {
///     match req.wait_edge_event(Duration::from_secs(1))? {
///         Some(ev) => println!("{} {:?} at {} ns (lost before: {:?})",
///                              ev.offset, ev.kind, ev.timestamp_ns, ev.lost_before),
///         None => println!("quiet second"),
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Request {
    fd: OwnedFd,
    chip: PathBuf,
    kind: Kind,
    offsets: Vec<u32>,
    /// The value last set on each line (by index in the request), since the request or
    /// its last reconfiguration: [`UNSET`], [`SET_INACTIVE`] or [`SET_ACTIVE`]. Kept
    /// beside the configuration rather than in it, so that setting a value takes no lock:
    /// one plain store per line after the ioctl.
    last: Box<[AtomicU8]>,
    /// Which lines (by index) are active-low in the configuration, for the embedded-hal
    /// pins' level conversions without the lock.
    active_low: AtomicU64,
    state: Mutex<State>,
    /// Signalled when a blocking `read` ([`State::reading`]) ends, to the threads that
    /// wait for it.
    read_done: Condvar,
}

/// The active-low lines of `config` as a mask of their indexes in `offsets`.
fn active_low_mask(config: &Config, offsets: &[u32]) -> u64 {
    offsets
        .iter()
        .enumerate()
        .filter(|(_, &o)| config.line(o).is_some_and(|s| s.active_low))
        .fold(0, |m, (i, _)| m | 1 << i)
}

/// In [`Request::last`]: no value set since the configuration (which tells).
const UNSET: u8 = 0;
/// In [`Request::last`]: last set inactive.
const SET_INACTIVE: u8 = 1;
/// In [`Request::last`]: last set active.
const SET_ACTIVE: u8 = 2;

impl Request {
    /// A builder for a request.
    pub fn builder() -> RequestBuilder {
        RequestBuilder::default()
    }

    fn new(fd: OwnedFd, chip: PathBuf, kind: Kind, config: Config) -> Request {
        let raw = match kind {
            Kind::V2 => RawEvents::V2(vec![v2::LineEvent::zeroed(); READ_BATCH]),
            _ => RawEvents::V1(vec![v1::EventData::zeroed(); 16]),
        };
        let offsets = config.offsets();
        Request {
            fd,
            chip,
            kind,
            last: offsets.iter().map(|_| AtomicU8::new(UNSET)).collect(),
            active_low: AtomicU64::new(active_low_mask(&config, &offsets)),
            offsets,
            state: Mutex::new(State {
                config,
                raw,
                pos: 0,
                len: 0,
                seq: SeqTracker::default(),
                // The chip opens every request's descriptor non-blocking.
                nonblocking: true,
                reading: false,
                waiters: 0,
            }),
            read_done: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind: keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The chip's device node.
    pub fn chip_path(&self) -> &Path {
        &self.chip
    }

    /// The uAPI version of this request.
    pub fn abi(&self) -> Abi {
        match self.kind {
            Kind::V2 => Abi::V2,
            _ => Abi::V1,
        }
    }

    /// The requested offsets, in request order.
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// How many edge events the kernel dropped so far for this request (the sum of
    /// [`EdgeEvent::lost_before`] over the events read). `None` under uAPI v1, which
    /// cannot tell.
    pub fn lost_events(&self) -> Option<u64> {
        (self.kind == Kind::V2).then(|| self.lock().seq.total())
    }

    /// The current configuration (as last requested, reconfigured or set).
    pub fn config(&self) -> Config {
        let mut config = self.lock().config.clone();
        for (i, &o) in self.offsets.iter().enumerate() {
            if let Some(v) = self.last_set(i) {
                config.set_value(o, v);
            }
        }
        config
    }

    /// The value last set on line `i` (by index) since the configuration, if any.
    fn last_set(&self, i: usize) -> Option<Value> {
        match self.last[i].load(Ordering::Relaxed) {
            SET_INACTIVE => Some(Value::Inactive),
            SET_ACTIVE => Some(Value::Active),
            _ => None,
        }
    }

    /// Records the values just set (lines by index: `mask`, active ones: `bits`).
    #[inline]
    fn record(&self, mask: u64, bits: u64) {
        for (i, last) in self.last.iter().enumerate() {
            if mask & (1 << i) != 0 {
                let v = if bits & (1 << i) != 0 {
                    SET_ACTIVE
                } else {
                    SET_INACTIVE
                };
                last.store(v, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn is_active_low(&self, offset: u32) -> bool {
        let low = self.active_low.load(Ordering::Relaxed);
        self.offsets
            .iter()
            .position(|&o| o == offset)
            .is_some_and(|i| low & (1 << i) != 0)
    }

    #[cold]
    #[inline(never)]
    fn err(&self, op: Operation, lines: &[u32], e: io::Error) -> Error {
        Error::io(&self.chip, op, lines, e)
    }

    #[inline]
    fn index(&self, offset: u32) -> Result<usize> {
        match self.offsets.iter().position(|&o| o == offset) {
            Some(i) => Ok(i),
            None => Err(self.not_requested(offset)),
        }
    }

    #[cold]
    #[inline(never)]
    fn not_requested(&self, offset: u32) -> Error {
        Error::invalid(&self.chip, InvalidConfig::NotRequested(offset))
    }

    /// The logical value of one line.
    pub fn value(&self, offset: u32) -> Result<Value> {
        // One line: no Vec (polling loops call it at full speed), and the v1 path (a
        // 64-byte array on the stack) out of line, so the usual call has a small frame.
        let i = self.index(offset)?;
        if self.kind != Kind::V2 {
            return self.value_v1(offset, i);
        }
        let bit = 1u64 << i;
        match v2::get_values(self.fd.as_fd(), bit) {
            Ok(bits) => Ok(Value::from(bits & bit != 0)),
            Err(e) => Err(self.err(Operation::GetValues, &[offset], e)),
        }
    }

    /// [`Self::value`] of line `i` under uAPI v1.
    #[inline(never)]
    fn value_v1(&self, offset: u32, i: usize) -> Result<Value> {
        let vals = v1::get_values(self.fd.as_fd())
            .map_err(|e| self.err(Operation::GetValues, &[offset], e))?;
        Ok(Value::from(vals[i] != 0))
    }

    /// The logical values of all lines, in request order.
    pub fn values(&self) -> Result<Vec<Value>> {
        self.get_values(&self.offsets)
    }

    /// The logical values of `offsets` (in that order), read in one system call.
    pub fn get_values(&self, offsets: &[u32]) -> Result<Vec<Value>> {
        let idx: Vec<usize> = offsets
            .iter()
            .map(|&o| self.index(o))
            .collect::<Result<_>>()?;
        let fd = self.fd.as_fd();
        match self.kind {
            Kind::V2 => {
                let mask = idx.iter().fold(0u64, |m, &i| m | (1 << i));
                let bits = v2::get_values(fd, mask)
                    .map_err(|e| self.err(Operation::GetValues, offsets, e))?;
                Ok(idx
                    .iter()
                    .map(|&i| Value::from(bits & (1 << i) != 0))
                    .collect())
            }
            Kind::V1Handle | Kind::V1Event(_) => {
                let vals =
                    v1::get_values(fd).map_err(|e| self.err(Operation::GetValues, offsets, e))?;
                Ok(idx.iter().map(|&i| Value::from(vals[i] != 0)).collect())
            }
        }
    }

    /// Sets one output line.
    pub fn set_value(&self, offset: u32, value: Value) -> Result<()> {
        if self.kind != Kind::V2 {
            return self.set_value_v1(offset, value);
        }
        // One line under uAPI v2 (bit-banging loops): its bit, the ioctl, the record.
        let i = self.index(offset)?;
        let bit = 1u64 << i;
        let (bits, last) = if value.is_active() {
            (bit, SET_ACTIVE)
        } else {
            (0, SET_INACTIVE)
        };
        if let Err(e) = v2::set_values(self.fd.as_fd(), bits, bit) {
            return Err(self.err(Operation::SetValues, &[offset], e));
        }
        self.last[i].store(last, Ordering::Relaxed);
        Ok(())
    }

    /// [`Self::set_value`] under uAPI v1: out of line, so that the v2 call keeps a small
    /// frame.
    #[inline(never)]
    fn set_value_v1(&self, offset: u32, value: Value) -> Result<()> {
        self.set_values(&[(offset, value)])
    }

    /// Sets several output lines in one system call. Allocates nothing (bit-banging
    /// loops call it at full speed), except to build an error.
    pub fn set_values(&self, values: &[(u32, Value)]) -> Result<()> {
        // The lines' indexes in the request, as a mask, and the active ones among them.
        let mut mask = 0u64;
        let mut bits = 0u64;
        for &(o, v) in values {
            let i = self.index(o)?;
            mask |= 1 << i;
            if v.is_active() {
                bits |= 1 << i;
            } else {
                bits &= !(1 << i);
            }
        }
        let offsets = || values.iter().map(|(o, _)| *o).collect::<Vec<u32>>();
        let fd = self.fd.as_fd();
        match self.kind {
            Kind::V2 => {
                v2::set_values(fd, bits, mask)
                    .map_err(|e| self.err(Operation::SetValues, &offsets(), e))?;
                self.record(mask, bits);
                Ok(())
            }
            Kind::V1Handle => {
                // v1 sets every line of the handle at once: fill in the others from the
                // values last set.
                // The lock makes concurrent calls fill in each other's values in turn.
                let st = self.lock();
                let mut all = [0u8; v1::HANDLES_MAX];
                for (i, (_, s)) in st.config.lines().enumerate() {
                    let v = self.last_set(i).or(s.value);
                    all[i] = u8::from(v == Some(Value::Active));
                }
                for (i, a) in all.iter_mut().enumerate() {
                    if mask & (1 << i) != 0 {
                        *a = u8::from(bits & (1 << i) != 0);
                    }
                }
                v1::set_values(fd, &all)
                    .map_err(|e| self.err(Operation::SetValues, &offsets(), e))?;
                self.record(mask, bits);
                drop(st);
                Ok(())
            }
            Kind::V1Event(_) => Err(Error::unsupported(
                &self.chip,
                Abi::V1,
                AbiLimit::SetValuesOnEvents,
            )),
        }
    }

    /// Applies a new configuration to the same lines without releasing them.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), udrv_core::gpio::Error> {
    /// # let req = udrv_core::gpio::Request::builder().on_chip("/dev/gpiochip0").with_line(3).as_input().request()?;
    /// use udrv_core::gpio::Value;
    /// let mut cfg = req.config();
    /// cfg.with_line(3).as_output(Value::Active);
    /// req.reconfigure(&cfg)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn reconfigure(&self, config: &Config) -> Result<()> {
        let mut a = config.offsets();
        let mut b = self.offsets.clone();
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            return Err(Error::invalid(&self.chip, InvalidConfig::LinesDiffer));
        }
        // Keep the request's index order (value bitmaps depend on it).
        let mut ordered = Config::default();
        for &o in &self.offsets {
            let s = config.line(o).cloned().unwrap_or_default();
            ordered.with_line_settings(o, s);
        }
        let fd = self.fd.as_fd();
        match self.kind {
            Kind::V2 => {
                let c = ordered
                    .encode_v2()
                    .map_err(|r| Error::invalid(&self.chip, r))?;
                v2::set_config(fd, &c)
                    .map_err(|e| self.err(Operation::Reconfigure, &self.offsets, e))?;
            }
            Kind::V1Handle => {
                ordered
                    .validate()
                    .map_err(|r| Error::invalid(&self.chip, r))?;
                let c = ordered
                    .encode_v1_handle_config()
                    .map_err(|l| Error::unsupported(&self.chip, Abi::V1, l))?;
                v1::set_config(fd, &c)
                    .map_err(|e| self.err(Operation::Reconfigure, &self.offsets, e))?;
            }
            Kind::V1Event(_) => {
                return Err(Error::unsupported(
                    &self.chip,
                    Abi::V1,
                    AbiLimit::ReconfigureEdges,
                ))
            }
        }
        let mut st = self.lock();
        self.active_low
            .store(active_low_mask(&ordered, &self.offsets), Ordering::Relaxed);
        st.config = ordered;
        for last in self.last.iter() {
            last.store(UNSET, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The next edge event, waiting as long as it takes.
    ///
    /// With none buffered it sleeps in `read(2)`: the request's descriptor is blocking
    /// from then on, until a read that must not block (`try_read_edge_event`, a wait
    /// with a timeout, tokio) makes it non-blocking again. Code that polls the descriptor
    /// itself ([`AsFd`]) should read through `try_read_edge_event`.
    pub fn read_edge_event(&self) -> Result<EdgeEvent> {
        loop {
            if let Some(ev) = self.next_event(None, true)? {
                return Ok(ev);
            }
        }
    }

    /// The next edge event, or `None` when `timeout` passes first.
    pub fn wait_edge_event(&self, timeout: Duration) -> Result<Option<EdgeEvent>> {
        self.next_event(Some(timeout), true)
    }

    /// An edge event that has already happened, without waiting.
    pub fn try_read_edge_event(&self) -> Result<Option<EdgeEvent>> {
        self.next_event(None, false)
    }

    /// Whether an edge event is ready to read (waiting up to `timeout`).
    pub fn has_edge_event(&self, timeout: Duration) -> Result<bool> {
        {
            let st = self.lock();
            if st.pos < st.len {
                return Ok(true);
            }
        }
        poll_readable(self.fd.as_fd(), Some(timeout))
            .map_err(|e| self.err(Operation::WaitEvents, &self.offsets, e))
    }

    /// Waits for at least one edge event, then appends every event already available
    /// (in the internal buffer and one kernel read) to `out`. Returns how many it added.
    pub fn read_edge_events(&self, out: &mut Vec<EdgeEvent>) -> Result<usize> {
        let first = self.read_edge_event()?;
        out.push(first);
        let mut n = 1;
        let mut st = self.lock();
        while st.pos < st.len {
            out.push(self.pop(&mut st));
            n += 1;
        }
        Ok(n)
    }

    /// A blocking iterator over edge events. It never ends by itself: each item is the
    /// next event or the error that stopped reading.
    pub fn edge_events(&self) -> EdgeEvents<'_> {
        EdgeEvents { req: self }
    }

    fn pop(&self, st: &mut State) -> EdgeEvent {
        let i = st.pos;
        st.pos += 1;
        match (&st.raw, self.kind) {
            (RawEvents::V2(raw), _) => {
                let e = raw[i];
                EdgeEvent::from_v2(&e, &mut st.seq)
            }
            (RawEvents::V1(raw), Kind::V1Event(offset)) => EdgeEvent::from_v1(&raw[i], offset),
            (RawEvents::V1(raw), _) => EdgeEvent::from_v1(&raw[i], self.offsets[0]),
        }
    }

    /// Pops a buffered event, else reads the kernel; waits when `wait` (up to `timeout`,
    /// `None`: as long as it takes).
    ///
    /// A wait without a timeout sleeps in `read` itself on a blocking descriptor, so an
    /// event that comes later costs one system call, as a blocking `read` of one's own
    /// would; every other call reads the descriptor non-blocking (and a wait with a
    /// timeout then `poll`s). While one thread sleeps in that `read` the others do not
    /// read the descriptor: a try returns `None` (what comes next is that thread's), a
    /// wait waits until the thread is back and takes what it left in the buffer, or reads
    /// itself.
    pub(crate) fn next_event(
        &self,
        timeout: Option<Duration>,
        wait: bool,
    ) -> Result<Option<EdgeEvent>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let fd = self.fd.as_fd();
        let mut st = self.lock();
        loop {
            if st.pos < st.len {
                return Ok(Some(self.pop(&mut st)));
            }
            if !st.config.detects_edges() {
                return Err(Error::invalid(&self.chip, InvalidConfig::NoEdgeDetection));
            }
            if st.reading {
                if !wait {
                    return Ok(None);
                }
                st.waiters += 1;
                st = match deadline {
                    None => self
                        .read_done
                        .wait(st)
                        .unwrap_or_else(PoisonError::into_inner),
                    Some(d) => {
                        let left = d.saturating_duration_since(Instant::now());
                        let (g, _) = self
                            .read_done
                            .wait_timeout(st, left)
                            .unwrap_or_else(PoisonError::into_inner);
                        g
                    }
                };
                st.waiters -= 1;
                if st.reading && deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(None);
                }
                continue;
            }
            let blocking = wait && deadline.is_none();
            if st.nonblocking == blocking {
                set_nonblocking_to(fd, !blocking)
                    .map_err(|e| self.err(Operation::ReadEvents, &self.offsets, e))?;
                st.nonblocking = !blocking;
            }
            let r = if blocking {
                let mut raw = std::mem::replace(&mut st.raw, RawEvents::V2(Vec::new()));
                st.reading = true;
                drop(st);
                let r = raw.read(fd);
                st = self.lock();
                st.raw = raw;
                st.reading = false;
                if st.waiters > 0 {
                    self.read_done.notify_all();
                }
                r
            } else {
                st.raw.read(fd)
            };
            match r {
                Ok(n) if n > 0 => {
                    st.pos = 0;
                    st.len = n;
                    return Ok(Some(self.pop(&mut st)));
                }
                Ok(_) => {}
                // Blocking, only when `O_NONBLOCK` was set behind udrv's back (through
                // `AsFd`): switch back, next time round.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => st.nonblocking = true,
                Err(e) => return Err(self.err(Operation::ReadEvents, &self.offsets, e)),
            }
            if !wait {
                return Ok(None);
            }
            if blocking {
                continue;
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left.is_some_and(|l| l.is_zero()) {
                return Ok(None);
            }
            drop(st);
            let ready = poll_readable(fd, left)
                .map_err(|e| self.err(Operation::WaitEvents, &self.offsets, e))?;
            if !ready {
                return Ok(None);
            }
            st = self.lock();
        }
    }
}

/// Blocking iterator over a request's edge events (see [`Request::edge_events`]).
#[derive(Debug)]
pub struct EdgeEvents<'a> {
    req: &'a Request,
}

impl Iterator for EdgeEvents<'_> {
    type Item = Result<EdgeEvent>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.req.read_edge_event())
    }
}

impl AsFd for Request {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Request {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_without_chip_is_an_error() {
        let e = Request::builder()
            .with_line(1)
            .as_input()
            .request()
            .unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidConfig {
                reason: InvalidConfig::NoChip,
                ..
            }
        ));
    }

    #[test]
    fn lines_of_two_chips_in_one_request_are_refused() {
        let a = FoundLine {
            chip: "/dev/gpiochip0".into(),
            offset: 1,
            info: crate::gpio::LineInfo::from_v2(&v2::LineInfo::zeroed()),
        };
        let mut b = a.clone();
        b.chip = "/dev/gpiochip1".into();
        let e = Request::builder()
            .with_found_line(&a)
            .with_found_line(&b)
            .as_input()
            .request()
            .unwrap_err();
        assert!(
            matches!(
                &e,
                Error::InvalidConfig {
                    reason: InvalidConfig::ChipMismatch { .. },
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn builder_settings_reach_the_config() {
        let mut b = Request::builder();
        b.with_line(3)
            .with_edge_detection(EdgeDetection::Rising)
            .with_bias(Bias::PullDown)
            .with_lines(&[4, 5])
            .as_output(Value::Active);
        let c = b.config();
        assert_eq!(c.offsets(), vec![3, 4, 5]);
        assert_eq!(c.line(3).unwrap().edge, Some(EdgeDetection::Rising));
        assert_eq!(c.line(5).unwrap().value, Some(Value::Active));
        assert_eq!(c.line(4).unwrap().bias, None);
    }
}
