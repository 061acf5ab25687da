//! SPI devices through spidev (`/dev/spidevB.C`).
//!
//! - [`SpidevDevice`]: a device with the kernel driving its chip select; implements
//!   embedded-hal [`SpiDevice`](embedded_hal::spi::SpiDevice) for `u8`, `u16` and `u32`
//!   words. One `SPI_IOC_MESSAGE` ioctl per transaction; a transaction larger than
//!   spidev's buffer (`bufsiz`) is split into several messages with chip select kept
//!   asserted between them ([`SplitPolicy`]).
//! - [`SpidevBus`]: the bus alone, for a chip select on a GPIO line (embedded-hal-bus
//!   `ExclusiveDevice`); implements [`SpiBus`](embedded_hal::spi::SpiBus).
//! - [`Transfer`]: the full `spi_ioc_transfer` (per-transfer speed, word size, delay,
//!   word delay, `cs_change`) through [`SpidevDevice::message`].
//! - with feature `tokio`, [`asynch`]: embedded-hal-async `SpiDevice` and `SpiBus`.
//!
//! [`Config`] sets mode 0-3, LSB-first, CS-high, 3-wire, no-CS, word size and speed;
//! [`SpidevDevice::configure`] reads back what the kernel accepted and reports a refused
//! setting as [`Error::Refused`].
//!
//! ```no_run
//! use embedded_hal::spi::{Operation, SpiDevice};
//! use udrv_core::spi::{Config, Mode, SpidevDevice};
//!
//! # fn main() -> Result<(), udrv_core::spi::Error> {
//! let mut adc = SpidevDevice::open_with(
//!     "/dev/spidev0.0",
//!     &Config::new().mode(Mode::Mode0).max_speed_hz(1_000_000),
//! )?;
//! // MCP3008 channel 0: start bit, single-ended channel 0, then 10 bits back.
//! let mut rx = [0u8; 3];
//! adc.transfer(&mut rx, &[0x01, 0x80, 0x00])?;
//! let value = (u16::from(rx[1] & 0x03) << 8) | u16::from(rx[2]);
//! # let _ = value; Ok(()) }
//! ```

mod error;
mod hal;
mod split;

#[cfg(feature = "tokio")]
pub mod asynch;

pub use crate::sys::spi::Word;
pub use error::{Error, Op, Setting};

use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::sys::spi as sys;
use crate::sys::spi::Xfer;

/// Result of SPI operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Clock polarity and phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// CPOL 0, CPHA 0.
    #[default]
    Mode0,
    /// CPOL 0, CPHA 1.
    Mode1,
    /// CPOL 1, CPHA 0.
    Mode2,
    /// CPOL 1, CPHA 1.
    Mode3,
}

impl Mode {
    fn bits(self) -> u32 {
        match self {
            Mode::Mode0 => 0,
            Mode::Mode1 => sys::SPI_CPHA,
            Mode::Mode2 => sys::SPI_CPOL,
            Mode::Mode3 => sys::SPI_CPOL | sys::SPI_CPHA,
        }
    }

    fn from_bits(bits: u32) -> Mode {
        match (bits & sys::SPI_CPOL != 0, bits & sys::SPI_CPHA != 0) {
            (false, false) => Mode::Mode0,
            (false, true) => Mode::Mode1,
            (true, false) => Mode::Mode2,
            (true, true) => Mode::Mode3,
        }
    }
}

impl From<embedded_hal::spi::Mode> for Mode {
    fn from(m: embedded_hal::spi::Mode) -> Mode {
        use embedded_hal::spi::{Phase, Polarity};
        match (m.polarity, m.phase) {
            (Polarity::IdleLow, Phase::CaptureOnFirstTransition) => Mode::Mode0,
            (Polarity::IdleLow, Phase::CaptureOnSecondTransition) => Mode::Mode1,
            (Polarity::IdleHigh, Phase::CaptureOnFirstTransition) => Mode::Mode2,
            (Polarity::IdleHigh, Phase::CaptureOnSecondTransition) => Mode::Mode3,
        }
    }
}

/// Describes mode bits, e.g. `mode 3, lsb-first, 3-wire`.
pub(crate) fn describe_mode(bits: u32) -> String {
    let mut s = format!("mode {}", bits & 3);
    for (bit, name) in [
        (sys::SPI_CS_HIGH, "cs-high"),
        (sys::SPI_LSB_FIRST, "lsb-first"),
        (sys::SPI_3WIRE, "3-wire"),
        (sys::SPI_LOOP, "loopback"),
        (sys::SPI_NO_CS, "no-cs"),
        (sys::SPI_READY, "ready"),
    ] {
        if bits & bit != 0 {
            s.push_str(", ");
            s.push_str(name);
        }
    }
    s
}

/// A spidev configuration. Build with [`Config::new`] and the builder methods; apply
/// with [`SpidevDevice::configure`] or [`SpidevDevice::open_with`].
///
/// ```
/// use udrv_core::spi::{Config, Mode};
/// let c = Config::new().mode(Mode::Mode3).bits_per_word(16).max_speed_hz(500_000);
/// assert_eq!(c.bits_per_word, 16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Clock polarity and phase.
    pub mode: Mode,
    /// Least significant bit first (`SPI_LSB_FIRST`).
    pub lsb_first: bool,
    /// Chip select active high (`SPI_CS_HIGH`).
    pub cs_high: bool,
    /// One shared data line (`SPI_3WIRE`).
    pub three_wire: bool,
    /// No chip select (`SPI_NO_CS`): for a chip select on a GPIO line.
    pub no_cs: bool,
    /// Loopback (`SPI_LOOP`), where the controller supports it.
    pub loopback: bool,
    /// Bits per word (8, 16 and 32 are the common ones; the controller decides).
    pub bits_per_word: u8,
    /// Maximum clock speed; `None` leaves the device's as it is.
    pub max_speed_hz: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Mode0,
            lsb_first: false,
            cs_high: false,
            three_wire: false,
            no_cs: false,
            loopback: false,
            bits_per_word: 8,
            max_speed_hz: None,
        }
    }
}

/// Builder setters, with the doc comments given: `name: Type;` makes
/// `fn name(self, v: Type) -> Self` that sets the field `name` to `v` ([`Config`]);
/// `name(Type) => set;` makes one that calls `self.x.set(v)` ([`Transfer`]).
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, v: $ty) -> Self {
                self.$name = v;
                self
            }
        )*
    };
    ($($(#[$doc:meta])* $name:ident($ty:ty) => $set:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, v: $ty) -> Self {
                self.x.$set(v);
                self
            }
        )*
    };
}

impl Config {
    /// Mode 0, MSB first, 8 bits per word, speed unchanged.
    pub fn new() -> Config {
        Config::default()
    }
    /// Sets the clock mode.
    pub fn mode(mut self, mode: impl Into<Mode>) -> Self {
        self.mode = mode.into();
        self
    }
    setters! {
        /// Sets LSB-first.
        lsb_first: bool;
        /// Sets chip select active high.
        cs_high: bool;
        /// Sets 3-wire (shared data line).
        three_wire: bool;
        /// Sets no chip select.
        no_cs: bool;
        /// Sets loopback.
        loopback: bool;
        /// Sets the word size.
        bits_per_word: u8;
    }
    /// Sets the maximum clock speed.
    pub fn max_speed_hz(mut self, hz: u32) -> Self {
        self.max_speed_hz = Some(hz);
        self
    }

    /// The kernel's mode bits for this configuration (`SPI_CPHA`, `SPI_CPOL`,
    /// `SPI_CS_HIGH`, `SPI_LSB_FIRST`, `SPI_3WIRE`, `SPI_LOOP`, `SPI_NO_CS`).
    pub fn mode_bits(&self) -> u32 {
        let mut m = self.mode.bits();
        for (on, bit) in [
            (self.lsb_first, sys::SPI_LSB_FIRST),
            (self.cs_high, sys::SPI_CS_HIGH),
            (self.three_wire, sys::SPI_3WIRE),
            (self.no_cs, sys::SPI_NO_CS),
            (self.loopback, sys::SPI_LOOP),
        ] {
            if on {
                m |= bit;
            }
        }
        m
    }

    fn from_kernel(mode: u32, bits: u8, speed: u32) -> Config {
        Config {
            mode: Mode::from_bits(mode),
            lsb_first: mode & sys::SPI_LSB_FIRST != 0,
            cs_high: mode & sys::SPI_CS_HIGH != 0,
            three_wire: mode & sys::SPI_3WIRE != 0,
            no_cs: mode & sys::SPI_NO_CS != 0,
            loopback: mode & sys::SPI_LOOP != 0,
            // The kernel reports 0 for its default, 8.
            bits_per_word: if bits == 0 { 8 } else { bits },
            max_speed_hz: Some(speed),
        }
    }
}

/// What to do with a transaction larger than spidev's buffer (`bufsiz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SplitPolicy {
    /// Send it as several messages, keeping chip select asserted between them (the last
    /// transfer of each message but the final one gets `cs_change`, which makes the SPI
    /// core leave chip select asserted). Another device on the same controller could be
    /// addressed between two of the messages while chip select is held; use the
    /// cross-process bus lock if other programs share the controller.
    #[default]
    KeepChipSelect,
    /// Refuse it with [`Error::TooLarge`]; nothing is sent.
    Never,
}

/// One transfer of a [`SpidevDevice::message`] call: the full `spi_ioc_transfer`.
///
/// Chip select stays asserted from the first transfer to the end of the last, unless
/// [`with_cs_change`](Self::with_cs_change) says otherwise.
///
/// ```no_run
/// use udrv_core::spi::{SpidevDevice, Transfer};
/// # fn main() -> Result<(), udrv_core::spi::Error> {
/// let dev = SpidevDevice::open("/dev/spidev0.0")?;
/// let cmd = [0x9fu8];
/// let mut id = [0u8; 3];
/// dev.message(&mut [
///     Transfer::write(&cmd).with_delay_us(10),
///     Transfer::read(&mut id).with_speed_hz(500_000),
/// ])?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Transfer<'a> {
    x: Xfer<'a>,
    /// Bytes per word of the buffers.
    word: usize,
    /// Word sizes the buffers' type carries.
    bits: std::ops::RangeInclusive<u8>,
    /// Why the transfer cannot be sent, if it cannot.
    invalid: Option<String>,
}

impl<'a> Transfer<'a> {
    fn new<W: Word>(x: Xfer<'a>) -> Self {
        Transfer {
            x,
            word: W::BYTES,
            bits: W::BITS,
            invalid: None,
        }
    }

    /// Sends `tx`; what comes back is discarded.
    pub fn write<W: Word>(tx: &'a [W]) -> Self {
        Self::new::<W>(Xfer::write(tx))
    }

    /// Receives into `rx` (the controller sends zeroes, usually).
    pub fn read<W: Word>(rx: &'a mut [W]) -> Self {
        Self::new::<W>(Xfer::read(rx))
    }

    /// Sends `tx` while receiving into `rx`; both must have the same length
    /// ([`Error::InvalidTransfer`] otherwise).
    pub fn duplex<W: Word>(tx: &'a [W], rx: &'a mut [W]) -> Self {
        let (t, r) = (tx.len(), rx.len());
        let mut me = Self::new::<W>(Xfer::duplex(tx, rx));
        if t != r {
            me.invalid = Some(format!(
                "full duplex with {t} words to send and {r} to receive"
            ));
        }
        me
    }

    /// Sends `buf` and replaces its contents with what was received.
    pub fn in_place<W: Word>(buf: &'a mut [W]) -> Self {
        Self::new::<W>(Xfer::in_place(buf))
    }

    /// No data: only a delay (set with [`with_delay_us`](Self::with_delay_us)) and/or a
    /// chip select change.
    pub fn pause() -> Self {
        Self::new::<u8>(Xfer::empty())
    }

    setters! {
        /// Waits this long after the transfer, before the next one or the end of the message.
        with_delay_us(u16) => set_delay_usecs;
        /// Deasserts chip select after this transfer (and asserts it again for the next);
        /// on the last transfer: leaves chip select asserted after the message.
        with_cs_change(bool) => set_cs_change;
        /// Waits this long between words.
        with_word_delay_us(u8) => set_word_delay_usecs;
        /// Clock speed of this transfer (0: the device's).
        with_speed_hz(u32) => set_speed_hz;
        /// Word size of this transfer (0: the device's, or the buffer type's when the
        /// device's does not fit it, e.g. 16 for `u16` buffers on an 8-bit device).
        with_bits_per_word(u8) => set_bits_per_word;
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether the transfer moves no data.
    pub fn is_empty(&self) -> bool {
        self.x.len() == 0
    }

    fn delay_us(&self) -> u16 {
        self.x.raw().delay_usecs
    }
}

/// The kernel rounds each transfer's share of spidev's buffers up to
/// `ARCH_KMALLOC_MINALIGN`: 8 on x86; up to 128 elsewhere (arm64), so be conservative.
const KMALLOC_ALIGN: usize = if cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
    8
} else {
    128
};

/// spidev's default buffer size.
const DEFAULT_BUFSIZ: usize = 4096;

/// spidev's buffer size from sysfs (its default when unreadable).
fn read_bufsiz() -> usize {
    std::fs::read_to_string("/sys/module/spidev/parameters/bufsiz")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(DEFAULT_BUFSIZ)
}

struct State {
    /// The device's bits per word, as last read or set.
    bits_per_word: u8,
}

struct Shared {
    fd: OwnedFd,
    path: PathBuf,
    bufsiz: usize,
    /// The device's settings, and the lock that keeps a split transaction and a
    /// reconfiguration from interleaving with other threads' transfers.
    state: Mutex<State>,
}

/// A spidev device, with the kernel driving chip select. Cheap to clone, `Send + Sync`:
/// clones share the file descriptor and the device settings; each has its own
/// [`SplitPolicy`].
///
/// ```no_run
/// use embedded_hal::spi::SpiDevice;
/// use udrv_core::spi::SpidevDevice;
/// # fn main() -> Result<(), udrv_core::spi::Error> {
/// let mut dev = SpidevDevice::open("/dev/spidev0.0")?;
/// println!("{:?}, buffer {} bytes", dev.config()?, dev.bufsiz());
/// let mut buf = [0x9fu8, 0, 0, 0];
/// dev.transfer_in_place(&mut buf)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SpidevDevice {
    shared: Arc<Shared>,
    split: SplitPolicy,
}

impl fmt::Debug for SpidevDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpidevDevice")
            .field("path", &self.shared.path)
            .field("bufsiz", &self.shared.bufsiz)
            .field("split", &self.split)
            .finish()
    }
}

/// A small vector on the stack for the common case of a few transfers.
pub(crate) enum Stack<T, const N: usize> {
    Inline([T; N], usize),
    Heap(Vec<T>),
}

impl<T, const N: usize> Stack<T, N> {
    pub(crate) fn new(len_hint: usize, fill: impl FnMut(usize) -> T) -> Self {
        if len_hint <= N {
            Stack::Inline(std::array::from_fn(fill), 0)
        } else {
            Stack::Heap(Vec::with_capacity(len_hint))
        }
    }
    pub(crate) fn push(&mut self, v: T) {
        match self {
            Stack::Inline(a, n) if *n < N => {
                a[*n] = v;
                *n += 1;
            }
            Stack::Inline(..) => {
                // Full: move what is there to the heap.
                let old = std::mem::replace(self, Stack::Heap(Vec::new()));
                let mut vec = Vec::with_capacity(2 * N + 1);
                if let Stack::Inline(a, n) = old {
                    vec.extend(a.into_iter().take(n));
                }
                vec.push(v);
                *self = Stack::Heap(vec);
            }
            Stack::Heap(vec) => vec.push(v),
        }
    }
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Stack::Inline(a, n) => &mut a[..*n],
            Stack::Heap(v) => v,
        }
    }
    pub(crate) fn last_mut(&mut self) -> Option<&mut T> {
        self.as_mut_slice().last_mut()
    }
}

impl SpidevDevice {
    /// Opens a spidev node, keeping its current settings.
    pub fn open(path: impl AsRef<Path>) -> Result<SpidevDevice> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| Error::Open {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(open_err)?;
        let fd = OwnedFd::from(file);
        // Also proves it is a spidev node (ENOTTY otherwise).
        let bits = sys::read_u8(fd.as_fd(), sys::SPI_IOC_RD_BITS_PER_WORD).map_err(open_err)?;
        Ok(SpidevDevice {
            shared: Arc::new(Shared {
                fd,
                path,
                bufsiz: read_bufsiz(),
                state: Mutex::new(State {
                    bits_per_word: if bits == 0 { 8 } else { bits },
                }),
            }),
            split: SplitPolicy::default(),
        })
    }

    /// Opens a spidev node and applies `config` ([`configure`](Self::configure)).
    pub fn open_with(path: impl AsRef<Path>, config: &Config) -> Result<SpidevDevice> {
        let dev = Self::open(path)?;
        dev.configure(config)?;
        Ok(dev)
    }

    /// The device node.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// spidev's buffer size (`/sys/module/spidev/parameters/bufsiz`, read at open): the
    /// most bytes one message moves in each direction.
    pub fn bufsiz(&self) -> usize {
        self.shared.bufsiz
    }

    /// This handle's [`SplitPolicy`].
    pub fn split_policy(&self) -> SplitPolicy {
        self.split
    }

    /// Sets this handle's [`SplitPolicy`].
    pub fn set_split_policy(&mut self, split: SplitPolicy) {
        self.split = split;
    }

    /// Takes the cross-process lock of this device ([`crate::lock::BusLock`] on its
    /// device node), blocking until no other process holds it.
    pub fn lock(&self) -> Result<crate::lock::BusLock> {
        crate::lock::BusLock::lock(self.path()).map_err(|e| self.io(Op::Lock, e))
    }

    /// Takes the cross-process lock if it is free (`Ok(None)` when another holds it).
    pub fn try_lock(&self) -> Result<Option<crate::lock::BusLock>> {
        crate::lock::BusLock::try_lock(self.path()).map_err(|e| self.io(Op::Lock, e))
    }

    /// The settings in force, read from the kernel. (spidev reports the speed last
    /// asked for; the controller may clock slower.)
    pub fn config(&self) -> Result<Config> {
        let mut st = self.state();
        let c = self.read_config()?;
        // Another program may have changed it: refresh the word size used for buffers.
        st.bits_per_word = c.bits_per_word;
        Ok(c)
    }

    /// Applies `config`: the mode bits, the word size, then the speed (when given), each
    /// read back. A setting the controller refuses gives [`Error::Refused`] (that
    /// setting keeps its previous value, earlier ones stay applied); a different value
    /// read back gives [`Error::Mismatch`]. Returns the settings in force.
    pub fn configure(&self, config: &Config) -> Result<Config> {
        let mut st = self.state();
        let fd = self.fd();
        let refused = |setting, requested, source| Error::Refused {
            path: self.shared.path.clone(),
            setting,
            requested,
            source,
        };
        let mode = config.mode_bits();
        sys::write_u8(fd, sys::SPI_IOC_WR_MODE, mode as u8)
            .map_err(|e| refused(Setting::Mode, mode, e))?;
        let bits = config.bits_per_word;
        match sys::write_u8(fd, sys::SPI_IOC_WR_BITS_PER_WORD, bits) {
            Ok(()) => st.bits_per_word = if bits == 0 { 8 } else { bits },
            Err(e) => return Err(refused(Setting::BitsPerWord, bits.into(), e)),
        }
        if let Some(hz) = config.max_speed_hz {
            sys::write_u32(fd, sys::SPI_IOC_WR_MAX_SPEED_HZ, hz)
                .map_err(|e| refused(Setting::MaxSpeedHz, hz, e))?;
        }
        let now = self.read_config()?;
        st.bits_per_word = now.bits_per_word;
        let mismatch = |setting, requested, accepted| Error::Mismatch {
            path: self.shared.path.clone(),
            setting,
            requested,
            accepted,
        };
        if now.mode_bits() != mode {
            return Err(mismatch(Setting::Mode, mode, now.mode_bits()));
        }
        let want_bits = if bits == 0 { 8 } else { bits };
        if now.bits_per_word != want_bits {
            return Err(mismatch(
                Setting::BitsPerWord,
                bits.into(),
                now.bits_per_word.into(),
            ));
        }
        if let (Some(want), Some(got)) = (config.max_speed_hz, now.max_speed_hz) {
            if want != got {
                return Err(mismatch(Setting::MaxSpeedHz, want, got));
            }
        }
        Ok(now)
    }

    /// Runs the transfers as one SPI message (chip select asserted throughout unless a
    /// transfer's `cs_change` says otherwise): one `SPI_IOC_MESSAGE` ioctl, or several
    /// when the message exceeds spidev's buffer ([`SplitPolicy`]).
    pub fn message(&self, transfers: &mut [Transfer<'_>]) -> Result<()> {
        if let Some(t) = transfers.iter().find_map(|t| t.invalid.as_ref()) {
            return Err(Error::InvalidTransfer {
                path: self.shared.path.clone(),
                reason: t.clone(),
            });
        }
        if transfers.is_empty() {
            return Ok(());
        }
        let st = self.state();
        // Word size: the device's when the buffer type carries it, else the type's.
        for t in transfers.iter_mut() {
            let bits = t.x.raw().bits_per_word;
            if bits == 0 {
                if !t.bits.contains(&st.bits_per_word) {
                    t.x.set_bits_per_word(*t.bits.end());
                }
            } else if !t.bits.contains(&bits) {
                return Err(Error::InvalidTransfer {
                    path: self.shared.path.clone(),
                    reason: format!("{bits} bits per word do not fit {}-byte words", t.word),
                });
            }
        }
        let limits = split::Limits {
            bufsiz: self.shared.bufsiz,
            align: KMALLOC_ALIGN,
            max_transfers: sys::SPI_IOC_MAX_TRANSFERS,
        };
        if fits(transfers, &limits) {
            let mut xs: Stack<Xfer<'_>, 8> = Stack::new(transfers.len(), |_| Xfer::empty());
            for t in transfers.iter() {
                xs.push(t.x.part(0, t.x.len()));
            }
            sys::message(self.fd(), xs.as_mut_slice()).map_err(|e| self.io(Op::Transfer, e))?;
            drop(st);
            return Ok(());
        }
        let total: usize = transfers.iter().map(|t| t.len()).sum();
        let too_large = || Error::TooLarge {
            path: self.shared.path.clone(),
            len: total,
            bufsiz: self.shared.bufsiz,
        };
        if self.split == SplitPolicy::Never {
            return Err(too_large());
        }
        let pieces: Vec<split::Piece> = transfers
            .iter()
            .map(|t| split::Piece {
                len: t.len(),
                tx: t.x.has_tx(),
                rx: t.x.has_rx(),
                word: t.word,
                cs_change: t.x.raw().cs_change != 0,
            })
            .collect();
        let plan = split::plan(&pieces, limits).map_err(|()| too_large())?;
        for (k, msg) in plan.iter().enumerate() {
            let mut xs: Vec<Xfer<'_>> = msg
                .iter()
                .map(|p| {
                    let t = &transfers[p.index];
                    let mut x = t.x.part(p.offset, p.len);
                    x.set_cs_change(p.cs_change);
                    x.set_delay_usecs(if p.last_of_transfer { t.delay_us() } else { 0 });
                    x
                })
                .collect();
            if let Err(e) = sys::message(self.fd(), &mut xs) {
                if k == 0 {
                    return Err(self.io(Op::Transfer, e));
                }
                // Chip select may still be asserted from the previous message: an empty
                // message asserts and then releases it.
                let _ = sys::message(self.fd(), &mut [Xfer::empty()]);
                return Err(Error::PartialTransfer {
                    path: self.shared.path.clone(),
                    done: k,
                    total: plan.len(),
                    source: e,
                });
            }
        }
        drop(st);
        Ok(())
    }

    fn fd(&self) -> BorrowedFd<'_> {
        self.shared.fd.as_fd()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is re-read from the kernel where it matters; a poisoned lock is fine.
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn io(&self, op: Op, source: io::Error) -> Error {
        Error::Io {
            path: self.shared.path.clone(),
            op,
            source,
        }
    }

    fn read_config(&self) -> Result<Config> {
        let fd = self.fd();
        let err = |e| self.io(Op::ReadConfig, e);
        let mode = sys::read_u8(fd, sys::SPI_IOC_RD_MODE).map_err(err)?;
        let bits = sys::read_u8(fd, sys::SPI_IOC_RD_BITS_PER_WORD).map_err(err)?;
        let speed = sys::read_u32(fd, sys::SPI_IOC_RD_MAX_SPEED_HZ).map_err(err)?;
        Ok(Config::from_kernel(mode.into(), bits, speed))
    }
}

/// Whether the transfers fit one message as they are.
fn fits(ts: &[Transfer<'_>], lim: &split::Limits) -> bool {
    if ts.len() > lim.max_transfers {
        return false;
    }
    let (mut tx, mut rx) = (0, 0);
    for t in ts {
        let n = t.len().div_ceil(lim.align) * lim.align;
        if t.x.has_tx() {
            tx += n;
        }
        if t.x.has_rx() {
            rx += n;
        }
    }
    tx <= lim.bufsiz && rx <= lim.bufsiz
}

/// A spidev device used as a bare bus, for a chip select driven elsewhere (a GPIO line,
/// through embedded-hal-bus `ExclusiveDevice`). Implements
/// [`SpiBus`](embedded_hal::spi::SpiBus): each call is one `SPI_IOC_MESSAGE` (split past
/// `bufsiz` as [`SpidevDevice`] does).
///
/// ```no_run
/// use embedded_hal::spi::SpiBus;
/// use udrv_core::spi::SpidevBus;
/// # fn main() -> Result<(), udrv_core::spi::Error> {
/// let mut bus = SpidevBus::open("/dev/spidev0.0")?; // sets SPI_NO_CS
/// bus.write(&[0x06u8])?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SpidevBus {
    dev: SpidevDevice,
}

impl SpidevBus {
    /// Opens a spidev node and sets `SPI_NO_CS`, so its own chip select stays idle. A
    /// controller that cannot do without chip select gives [`Error::Refused`]; then use
    /// [`SpidevBus::new`] with a [`SpidevDevice`], accepting that the node's kernel chip
    /// select toggles around each call.
    pub fn open(path: impl AsRef<Path>) -> Result<SpidevBus> {
        let dev = SpidevDevice::open(path)?;
        let config = dev.config()?.no_cs(true);
        dev.configure(&config)?;
        Ok(SpidevBus { dev })
    }

    /// A bus over a device as it is configured.
    pub fn new(dev: SpidevDevice) -> SpidevBus {
        SpidevBus { dev }
    }

    /// The device underneath (for its configuration).
    pub fn device(&self) -> &SpidevDevice {
        &self.dev
    }

    /// Unwraps the device.
    pub fn into_device(self) -> SpidevDevice {
        self.dev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_map_to_cpol_cpha() {
        assert_eq!(Config::new().mode(Mode::Mode0).mode_bits(), 0);
        assert_eq!(Config::new().mode(Mode::Mode1).mode_bits(), 1);
        assert_eq!(Config::new().mode(Mode::Mode2).mode_bits(), 2);
        assert_eq!(Config::new().mode(Mode::Mode3).mode_bits(), 3);
        assert_eq!(Mode::from(embedded_hal::spi::MODE_3), Mode::Mode3);
        assert_eq!(Mode::from(embedded_hal::spi::MODE_1), Mode::Mode1);
        let all = Config::new()
            .lsb_first(true)
            .cs_high(true)
            .three_wire(true)
            .no_cs(true)
            .loopback(true);
        assert_eq!(all.mode_bits(), 0x08 | 0x04 | 0x10 | 0x40 | 0x20);
        for bits in 0..0x80u32 {
            assert_eq!(Config::from_kernel(bits, 8, 1).mode_bits(), bits);
        }
        assert_eq!(describe_mode(0x13), "mode 3, 3-wire");
    }

    #[test]
    fn transfers_know_their_words() {
        let w = [0u16; 4];
        let t = Transfer::write(&w);
        assert_eq!((t.len(), t.word), (8, 2));
        let mut r = [0u32; 2];
        let t = Transfer::duplex(&[1u32, 2, 3], &mut r);
        assert!(t.invalid.is_some());
        assert!(Transfer::pause().with_delay_us(5).is_empty());
    }

    #[test]
    fn fitting_counts_aligned_lengths_per_direction() {
        let lim = split::Limits {
            bufsiz: 16,
            align: 8,
            max_transfers: 511,
        };
        let (a, b) = ([0u8; 9], [0u8; 8]);
        assert!(!fits(&[Transfer::write(&a), Transfer::write(&b)], &lim));
        let mut r = [0u8; 16];
        assert!(fits(&[Transfer::write(&b), Transfer::read(&mut r)], &lim));
    }

    #[test]
    fn the_stack_vector_spills_to_the_heap() {
        let mut s: Stack<u32, 2> = Stack::new(1, |_| 0);
        for i in 0..5 {
            s.push(i);
        }
        assert_eq!(s.as_mut_slice(), &[0, 1, 2, 3, 4]);
        *s.last_mut().unwrap() = 9;
        assert_eq!(s.as_mut_slice()[4], 9);
    }

    #[test]
    fn opening_a_non_spidev_file_is_a_typed_open_error() {
        let e = SpidevDevice::open("/dev/null").unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOTTY));
        assert!(e.to_string().contains("not a spidev device"), "{e}");
    }

    #[test]
    fn handles_are_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        fn error<E: std::error::Error + Send + Sync + 'static>() {}
        error::<Error>();
        check::<SpidevDevice>();
        check::<SpidevBus>();
    }
}
