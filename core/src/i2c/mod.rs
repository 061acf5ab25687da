//! I2C buses through i2c-dev (`/dev/i2c-N`).
//!
//! [`I2cBus`] opens a bus by number, path or adapter name, knows the adapter's
//! capabilities ([`Funcs`]) and checks them before any I/O, and offers:
//!
//! - embedded-hal 1.0 [`I2c`](embedded_hal::i2c::I2c) for 7-bit and 10-bit addresses
//!   (module `hal`): one `I2C_RDWR` ioctl per transaction, adjacent operations of one
//!   direction merged into one message as the embedded-hal contract requires; on
//!   SMBus-only adapters `write`, `read` and `write_read` are carried out by the SMBus
//!   command with the same bytes on the wire, or refused with [`Error::Unsupported`];
//! - the SMBus commands (`smbus_*` methods), with Packet Error Checking per handle;
//! - embedded-hal-async [`I2c`](embedded_hal_async::i2c::I2c) with feature `tokio`
//!   ([`asynch::AsyncI2cBus`]).
//!
//! A handle is cheap to clone and `Send + Sync`: clones share the bus's files (one per
//! device address, opened when the address is first used, its `I2C_SLAVE` address set
//! once, so chips taking turns on one bus cost one system call per transaction). Once a
//! transaction with an address has succeeded, its file is pinned to it (up to seven per
//! bus) and later transactions take no lock: each is one `ioctl`, which the kernel runs
//! as one atomic step on the adapter; only aiming a file at an address takes the
//! handle's mutex. Give each driver its own clone (`Driver::new(bus.clone(), addr)`).
//!
//! Addresses held by a kernel driver are refused with [`Error::AddressBusy`] naming the
//! driver; [`I2cBus::set_force`] opts in to `I2C_SLAVE_FORCE`.
//!
//! ```no_run
//! use embedded_hal::i2c::I2c;
//! use udrv_core::i2c::{Funcs, I2cBus};
//!
//! # fn main() -> Result<(), udrv_core::i2c::Error> {
//! let mut bus = I2cBus::open(1)?; // /dev/i2c-1
//! println!("{} can do {}", bus.name(), bus.funcs());
//! // A temperature sensor's register 0, through the embedded-hal trait:
//! let mut raw = [0u8; 2];
//! bus.write_read(0x48u8, &[0x00], &mut raw)?;
//! // The same through SMBus (works on SMBus-only adapters too):
//! let word = bus.smbus_read_word_data(0x48, 0x00)?;
//! # let _ = (word, Funcs::I2C);
//! # Ok(()) }
//! ```

mod error;
mod funcs;
mod hal;
mod plan;
mod transfer;

#[cfg(feature = "tokio")]
pub mod asynch;

pub use error::{Error, Op};
pub use funcs::Funcs;
pub use transfer::Message;

use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::sys::i2c::{self as sys, Short};

/// Result of I2C operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An I2C adapter found in sysfs (`/sys/class/i2c-dev`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adapter {
    /// The bus number `N` of `/dev/i2c-N`.
    pub number: u32,
    /// The device node, `/dev/i2c-N`.
    pub path: PathBuf,
    /// The adapter's name, e.g. `bcm2835 (i2c@7e804000)` or `SMBus stub driver`.
    pub name: String,
}

impl Adapter {
    /// Opens this adapter's bus.
    pub fn open(&self) -> Result<I2cBus> {
        I2cBus::open_path(&self.path)
    }
}

const SYS_CLASS: &str = "/sys/class/i2c-dev";

/// The I2C adapters that have an i2c-dev node, by bus number. Empty when there are none
/// (for example when the `i2c-dev` module is not loaded).
///
/// ```no_run
/// for a in udrv_core::i2c::adapters()? {
///     println!("i2c-{}\t{}", a.number, a.name);
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn adapters() -> io::Result<Vec<Adapter>> {
    adapters_in(Path::new(SYS_CLASS), Path::new("/dev"))
}

fn adapters_in(class: &Path, dev: &Path) -> io::Result<Vec<Adapter>> {
    let dir = match std::fs::read_dir(class) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in dir {
        let entry = entry?;
        let file = entry.file_name();
        let Some(number) = file
            .to_str()
            .and_then(|s| s.strip_prefix("i2c-"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let name = std::fs::read_to_string(entry.path().join("name"))
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default();
        out.push(Adapter {
            number,
            path: dev.join(format!("i2c-{number}")),
            name,
        });
    }
    out.sort_by_key(|a| a.number);
    Ok(out)
}

/// The target address set on one of the bus's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Target {
    addr: u16,
    /// Set with `I2C_SLAVE_FORCE`: the kernel's busy check was skipped.
    forced: bool,
}

/// At most this many files per bus (the first one included): beyond it, a file that is
/// not pinned is pointed at the new address (`I2C_SLAVE` again), so a scan of every
/// address does not hold 112 descriptors.
const MAX_FILES: usize = 8;

/// At most this many files are pinned (see [`Shared::ready`]), so one always roams.
const MAX_PINNED: usize = MAX_FILES - 1;

/// The index of `(addr, pec)` in [`State::by_key`] (`addr` 7-bit).
#[inline]
fn key(addr: u16, pec: bool) -> usize {
    usize::from(addr & 0x7f) | usize::from(pec) << 7
}

/// Which of [`Shared::ready`]'s four tables a handle looks its files up in: its PEC
/// setting and force policy, fixed until [`I2cBus::set_pec`] or [`I2cBus::set_force`].
#[inline]
fn table(pec: bool, force: bool) -> usize {
    usize::from(pec) | usize::from(force) << 1
}

/// A table of pinned files by 7-bit address: the descriptor number, or -1 (see
/// [`Shared::ready`]).
type Pinned = [AtomicI32; 128];

/// A table of pinned files with none in it.
fn unknown() -> Pinned {
    [const { AtomicI32::new(-1) }; 128]
}

/// The kernel state mirrored for one open file of the bus (`None`: unknown). i2c-dev
/// keeps the `I2C_SLAVE` address and the PEC flag per open file, so a file per device
/// address lets several chips on one bus take turns without re-selecting.
#[derive(Debug)]
struct Slot {
    target: Option<Target>,
    pec: Option<bool>,
    /// Published in [`Shared::ready`]: never re-aimed and its PEC never changed again.
    pinned: bool,
}

/// What only the slow path changes, under the mutex: which file is aimed where. Slot `i`
/// is file `i` of the bus ([`Shared::file`]).
#[derive(Debug)]
struct State {
    slots: Vec<Slot>,
    /// Where to look first for a file to re-aim when all `MAX_FILES` are in use.
    victim: usize,
    /// How many slots are pinned.
    pinned: usize,
    /// For each [`key`], 1 + the index of the slot aimed at that address with that PEC
    /// setting (0: none).
    by_key: [u8; 256],
}

impl State {
    /// The key slot `i` answers for, if its address and PEC setting are known.
    fn key_of(&self, i: usize) -> Option<usize> {
        let s = &self.slots[i];
        Some(key(s.target?.addr, s.pec?))
    }

    /// Records slot `i`'s new target and PEC setting, keeping `by_key` in step.
    fn set(&mut self, i: usize, target: Option<Target>, pec: Option<bool>) {
        if let Some(k) = self.key_of(i) {
            if usize::from(self.by_key[k]) == i + 1 {
                self.by_key[k] = 0;
            }
        }
        self.slots[i].target = target;
        self.slots[i].pec = pec;
        if let Some(k) = self.key_of(i) {
            self.by_key[k] = i as u8 + 1;
        }
    }

    /// The slot aimed at `addr` with this PEC setting, if any.
    #[inline]
    fn slot_of(&self, addr: u16, pec: bool) -> Option<usize> {
        let k = self.by_key[key(addr, pec)];
        (k != 0).then(|| usize::from(k) - 1)
    }
}

impl Default for State {
    fn default() -> Self {
        // A freshly opened i2c-dev fd has no address and PEC off.
        State {
            slots: vec![Slot {
                target: None,
                pec: Some(false),
                pinned: false,
            }],
            victim: 0,
            pinned: 0,
            by_key: [0; 256],
        }
    }
}

struct Shared {
    /// The bus's main file (file 0).
    fd: OwnedFd,
    /// Files 1 to `MAX_FILES - 1`, opened when needed and kept until the last handle goes.
    more: [OnceLock<OwnedFd>; MAX_FILES - 1],
    /// The pinned files by [`table`] and 7-bit address: the descriptor number of a pinned
    /// file aimed at that address with that PEC setting, or -1. The tables of forcing
    /// handles (2 and 3) list every pinned file; those of the others (0 and 1) leave out
    /// files aimed with `I2C_SLAVE_FORCE` (the kernel's busy check skipped). A pinned file
    /// is never re-aimed, nor closed before this `Shared`, so a transaction finds its file
    /// with one indexed load from its handle's copy of its table ([`I2cBus::known`]) and
    /// no lock, whichever address the handle used last: one system call, nothing else
    /// shared, as a peer with one file per device does.
    ready: [Arc<Pinned>; 4],
    path: PathBuf,
    bus: Option<u32>,
    name: String,
    funcs: Funcs,
    state: Mutex<State>,
    gate: Arc<crate::lock::Gate>,
}

impl Shared {
    /// File `i` of the bus, once it is open.
    #[inline]
    fn file(&self, i: usize) -> Option<BorrowedFd<'_>> {
        match i.checked_sub(1) {
            None => Some(self.fd.as_fd()),
            Some(j) => Some(self.more.get(j)?.get()?.as_fd()),
        }
    }
}

/// An open I2C bus (`/dev/i2c-N`): cheap to clone, shareable across threads.
///
/// Clones share the bus's files and the adapter; each clone has its own
/// [`force`](Self::set_force) and [`PEC`](Self::set_pec) settings, so two drivers on one
/// bus can differ. Adapter-wide settings ([`set_timeout`](Self::set_timeout),
/// [`set_retries`](Self::set_retries)) affect every user of the adapter.
///
/// ```no_run
/// use udrv_core::i2c::I2cBus;
/// # fn main() -> Result<(), udrv_core::i2c::Error> {
/// let bus = I2cBus::open_by_name("SMBus stub driver")?;
/// bus.smbus_write_byte_data(0x50, 0x10, 0xab)?;
/// assert_eq!(bus.smbus_read_byte_data(0x50, 0x10)?, 0xab);
/// let sensor_bus = bus.clone(); // give it to a driver; same fd, own settings
/// # drop(sensor_bus); Ok(()) }
/// ```
pub struct I2cBus {
    shared: Arc<Shared>,
    /// The adapter's capabilities (as in `Shared`, which never changes them): the usual
    /// transaction tests them without reaching for the bus's shared state.
    funcs: Funcs,
    /// This handle's table in [`Shared::ready`] ([`table`] of `pec` and `force`).
    pinned: Arc<Pinned>,
    /// This handle's own copy of the entries of `pinned` it has used (-1: not yet, or not
    /// pinned), in an allocation of the handle's own (boxed, so that a handle stays small
    /// enough to move and to sit in an enum): the usual transaction loads its file from
    /// here with one load indexed by the address, wherever it last went, and touches no
    /// memory shared with other handles. Entries never go stale: a pinned file is never
    /// re-aimed nor closed while the bus is open.
    known: Box<Pinned>,
    force: bool,
    pec: bool,
}

impl Clone for I2cBus {
    fn clone(&self) -> Self {
        I2cBus {
            shared: Arc::clone(&self.shared),
            funcs: self.funcs,
            pinned: Arc::clone(&self.pinned),
            known: Box::new(std::array::from_fn(|i| {
                AtomicI32::new(self.known[i].load(Ordering::Relaxed))
            })),
            force: self.force,
            pec: self.pec,
        }
    }
}

impl fmt::Debug for I2cBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("I2cBus")
            .field("path", &self.shared.path)
            .field("name", &self.shared.name)
            .field("funcs", &self.shared.funcs)
            .field("force", &self.force)
            .field("pec", &self.pec)
            .finish()
    }
}

/// The (major, minor) numbers of a device number.
fn major_minor(rdev: u64) -> (u64, u64) {
    let major = ((rdev >> 32) & 0xffff_f000) | ((rdev >> 8) & 0x0fff);
    let minor = ((rdev >> 12) & 0xffff_ff00) | (rdev & 0x00ff);
    (major, minor)
}

impl I2cBus {
    /// Opens `/dev/i2c-{bus}`.
    pub fn open(bus: u32) -> Result<I2cBus> {
        Self::open_path(format!("/dev/i2c-{bus}"))
    }

    /// Opens an i2c-dev node by path (symlinks, e.g. from udev rules, are fine). Reads the
    /// adapter's capabilities; a file that is not an i2c-dev node gives [`Error::Open`]
    /// with `ENOTTY`.
    pub fn open_path(path: impl AsRef<Path>) -> Result<I2cBus> {
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
        let rdev = file.metadata().map_err(open_err)?.rdev();
        let fd = OwnedFd::from(file);
        let funcs = Funcs::from_bits(sys::funcs(fd.as_fd()).map_err(open_err)?);
        // Identify the adapter through its device number: works for any path.
        let (major, minor) = major_minor(rdev);
        let sysdir = PathBuf::from(format!("/sys/dev/char/{major}:{minor}"));
        let name = std::fs::read_to_string(sysdir.join("name"))
            .map(|s| s.trim_end().to_string())
            .unwrap_or_else(|_| path.display().to_string());
        let bus = std::fs::read_link(&sysdir).ok().and_then(|l| {
            l.file_name()?
                .to_str()?
                .strip_prefix("i2c-")?
                .parse::<u32>()
                .ok()
        });
        let ready: [Arc<Pinned>; 4] = std::array::from_fn(|_| Arc::new(unknown()));
        let pinned = Arc::clone(&ready[table(false, false)]);
        Ok(I2cBus {
            shared: Arc::new(Shared {
                fd,
                more: Default::default(),
                ready,
                path: path.clone(),
                bus,
                name,
                funcs,
                state: Mutex::new(State::default()),
                gate: crate::lock::Gate::new(&path),
            }),
            funcs,
            pinned,
            known: Box::new(unknown()),
            force: false,
            pec: false,
        })
    }

    /// Opens the bus whose adapter has exactly this name (`/sys/class/i2c-dev/*/name`),
    /// so code keeps working when bus numbers change between kernels or boots.
    pub fn open_by_name(name: &str) -> Result<I2cBus> {
        let all = adapters().map_err(|source| Error::Open {
            path: SYS_CLASS.into(),
            source,
        })?;
        let matching: Vec<&Adapter> = all.iter().filter(|a| a.name == name).collect();
        match matching.as_slice() {
            [one] => one.open(),
            [] => Err(Error::NoSuchAdapter {
                name: name.to_string(),
                available: all.iter().map(|a| a.name.clone()).collect(),
            }),
            many => Err(Error::AmbiguousAdapter {
                name: name.to_string(),
                buses: many.iter().map(|a| a.number).collect(),
            }),
        }
    }

    /// The device node.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The bus number, when sysfs tells it.
    pub fn number(&self) -> Option<u32> {
        self.shared.bus
    }

    /// The adapter's name (the path when sysfs does not tell it).
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// What the adapter can do (`I2C_FUNCS`, read once at open).
    pub fn funcs(&self) -> Funcs {
        self.funcs
    }

    /// The bus clock the platform configured, from the device tree (`clock-frequency` of
    /// the adapter's node), when there is one (Raspberry Pi, BeagleBone; not PCs).
    /// i2c-dev can neither read the real clock nor change it: on a Pi set it with
    /// `dtparam=i2c_arm_baudrate=400000` in config.txt.
    pub fn clock_frequency_hz(&self) -> Option<u32> {
        let bus = self.shared.bus?;
        let raw = std::fs::read(format!(
            "/sys/bus/i2c/devices/i2c-{bus}/of_node/clock-frequency"
        ))
        .ok()?;
        dt_u32(&raw)
    }

    /// Whether this handle accesses addresses a kernel driver holds.
    pub fn force(&self) -> bool {
        self.force
    }

    /// Lets this handle access addresses a kernel driver holds (`I2C_SLAVE_FORCE`).
    /// Off by default: such addresses give [`Error::AddressBusy`]. Forcing can confuse
    /// the driver (and the device); use it knowingly.
    pub fn set_force(&mut self, force: bool) {
        self.force = force;
        self.pinned = Arc::clone(&self.shared.ready[table(self.pec, force)]);
        *self.known = unknown();
    }

    /// [`set_force`](Self::set_force), builder style.
    pub fn with_force(mut self, force: bool) -> Self {
        self.set_force(force);
        self
    }

    /// Whether this handle's SMBus commands use Packet Error Checking.
    pub fn pec(&self) -> bool {
        self.pec
    }

    /// Turns SMBus Packet Error Checking on or off for this handle's SMBus commands (and
    /// the SMBus commands that carry embedded-hal operations on SMBus-only adapters).
    /// Plain I2C transactions (`I2C_RDWR`) never carry PEC. Turning it on needs
    /// [`Funcs::SMBUS_PEC`] ([`Error::Unsupported`] otherwise).
    pub fn set_pec(&mut self, pec: bool) -> Result<()> {
        if pec {
            self.require(Op::SetPec, None, Funcs::SMBUS_PEC, None)?;
        }
        self.pec = pec;
        self.pinned = Arc::clone(&self.shared.ready[table(pec, self.force)]);
        *self.known = unknown();
        Ok(())
    }

    /// Sets the adapter's timeout (`I2C_TIMEOUT`, rounded up to 10 ms units). It applies
    /// to the whole adapter, for every user.
    pub fn set_timeout(&self, timeout: Duration) -> Result<()> {
        let tens = timeout.as_millis().div_ceil(10);
        let tens = u32::try_from(tens)
            .ok()
            .filter(|t| *t <= i32::MAX as u32)
            .ok_or_else(|| {
                self.io(
                    Op::SetTimeout,
                    None,
                    io::Error::from_raw_os_error(libc::EINVAL),
                )
            })?;
        sys::set_timeout(self.fd(), tens).map_err(|e| self.io(Op::SetTimeout, None, e))
    }

    /// Sets how many times the adapter retries an unacknowledged address (`I2C_RETRIES`).
    /// It applies to the whole adapter, for every user.
    pub fn set_retries(&self, retries: u32) -> Result<()> {
        sys::set_retries(self.fd(), retries).map_err(|e| self.io(Op::SetRetries, None, e))
    }

    /// Which kernel driver holds a 7-bit address, if any: `Ok(Some(name))` when
    /// `I2C_SLAVE` reports the address busy (`UU` in `i2cdetect`), with the driver's name
    /// from sysfs (or `"unknown"`), `Ok(None)` when it is free.
    pub fn address_user(&self, addr: u16) -> Result<Option<String>> {
        self.check_addr(addr, false)?;
        let mut st = self.state();
        // Always asks the kernel (a driver may have bound since the address was selected).
        // On its own address a file's `I2C_SLAVE` changes nothing but the busy check, so a
        // pinned file may be asked too.
        let aimed = match st.slot_of(addr, self.pec) {
            Some(i) => self
                .aim(&mut st, i, addr, false)
                .map(|i| self.publish(&st, i)),
            None => self.new_slot(&mut st, addr, false).map(drop),
        };
        match aimed {
            Ok(()) => Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => Ok(Some(
                self.driver_at(addr).unwrap_or_else(|| "unknown".into()),
            )),
            Err(e) => Err(self.io(Op::SetAddress, Some(addr), e)),
        }
    }

    /// Takes the cross-process lock of this bus ([`crate::lock::BusLock`] on its device
    /// node), blocking until no other holder has it: another process, or another thread
    /// of this one using this bus or a clone of it. Hold the guard across a sequence of
    /// transactions that other programs must not interleave with.
    ///
    /// The bus locks through one descriptor of its own, opened on first use and kept,
    /// plus a process-local mutex: `flock` locks belong to an open file description,
    /// which every thread shares, so the mutex makes the threads take turns and the one
    /// `flock` excludes the other processes (and `flock /dev/i2c-N` in shell scripts).
    /// The transactions' own files never take `flock`, so they cannot lock each other out.
    pub fn lock(&self) -> Result<crate::lock::BusLock> {
        crate::lock::Gate::lock(&self.shared.gate).map_err(|e| self.io(Op::Lock, None, e))
    }

    /// Takes the cross-process lock if it is free (`Ok(None)` when another process or
    /// another thread of this one holds it).
    pub fn try_lock(&self) -> Result<Option<crate::lock::BusLock>> {
        crate::lock::Gate::try_lock(&self.shared.gate).map_err(|e| self.io(Op::Lock, None, e))
    }

    // ---- SMBus -------------------------------------------------------------------------

    /// SMBus quick command: only the read/write bit (`read` true for read) after the
    /// address. Used to probe for devices.
    #[inline]
    pub fn smbus_quick(&self, addr: u16, read: bool) -> Result<()> {
        let rw = if read {
            sys::I2C_SMBUS_READ
        } else {
            sys::I2C_SMBUS_WRITE
        };
        self.smbus_short(Op::SmbusQuick, addr, rw, 0, Short::Quick, [0; 2])
            .map(drop)
    }

    /// SMBus receive byte: reads one byte with no command.
    #[inline]
    pub fn smbus_read_byte(&self, addr: u16) -> Result<u8> {
        let op = Op::SmbusReceiveByte;
        let d = self.smbus_short(op, addr, sys::I2C_SMBUS_READ, 0, Short::Byte, [0; 2])?;
        Ok(d[0])
    }

    /// SMBus send byte: writes one byte with no command.
    #[inline]
    pub fn smbus_write_byte(&self, addr: u16, value: u8) -> Result<()> {
        let op = Op::SmbusSendByte;
        self.smbus_short(op, addr, sys::I2C_SMBUS_WRITE, value, Short::Byte, [0; 2])
            .map(drop)
    }

    /// SMBus read byte data: the byte of register `cmd`.
    #[inline]
    pub fn smbus_read_byte_data(&self, addr: u16, cmd: u8) -> Result<u8> {
        let op = Op::SmbusReadByteData;
        let d = self.smbus_short(op, addr, sys::I2C_SMBUS_READ, cmd, Short::ByteData, [0; 2])?;
        Ok(d[0])
    }

    /// SMBus write byte data: writes `value` to register `cmd`.
    #[inline]
    pub fn smbus_write_byte_data(&self, addr: u16, cmd: u8, value: u8) -> Result<()> {
        let op = Op::SmbusWriteByteData;
        let d = [value, 0];
        self.smbus_short(op, addr, sys::I2C_SMBUS_WRITE, cmd, Short::ByteData, d)
            .map(drop)
    }

    /// SMBus read word data: the 16-bit word of register `cmd` (SMBus words are
    /// little-endian on the wire: the first byte received is the low byte).
    #[inline]
    pub fn smbus_read_word_data(&self, addr: u16, cmd: u8) -> Result<u16> {
        let op = Op::SmbusReadWordData;
        let d = self.smbus_short(op, addr, sys::I2C_SMBUS_READ, cmd, Short::WordData, [0; 2])?;
        Ok(u16::from_ne_bytes(d))
    }

    /// SMBus write word data: writes `value` (low byte first) to register `cmd`.
    #[inline]
    pub fn smbus_write_word_data(&self, addr: u16, cmd: u8, value: u16) -> Result<()> {
        let op = Op::SmbusWriteWordData;
        let d = value.to_ne_bytes();
        self.smbus_short(op, addr, sys::I2C_SMBUS_WRITE, cmd, Short::WordData, d)
            .map(drop)
    }

    /// SMBus process call: writes a word to register `cmd` and reads a word back.
    #[inline]
    pub fn smbus_process_call(&self, addr: u16, cmd: u8, value: u16) -> Result<u16> {
        let op = Op::SmbusProcessCall;
        let d = value.to_ne_bytes();
        let d = self.smbus_short(op, addr, sys::I2C_SMBUS_WRITE, cmd, Short::ProcCall, d)?;
        Ok(u16::from_ne_bytes(d))
    }

    /// SMBus block read: the device sends a count (1 to 32) and that many bytes.
    pub fn smbus_read_block_data(&self, addr: u16, cmd: u8) -> Result<Vec<u8>> {
        let mut d = sys::i2c_smbus_data::zeroed();
        self.smbus(
            Op::SmbusReadBlockData,
            addr,
            sys::I2C_SMBUS_READ,
            cmd,
            sys::I2C_SMBUS_BLOCK_DATA,
            &mut d,
        )?;
        Ok(block_of(&d))
    }

    /// SMBus block write: a count and `data` (1 to 32 bytes) to register `cmd`.
    pub fn smbus_write_block_data(&self, addr: u16, cmd: u8, data: &[u8]) -> Result<()> {
        let op = Op::SmbusWriteBlockData;
        self.check_block(op, addr, data.len())?;
        let mut d = sys::i2c_smbus_data::with_block(data);
        self.smbus(
            op,
            addr,
            sys::I2C_SMBUS_WRITE,
            cmd,
            sys::I2C_SMBUS_BLOCK_DATA,
            &mut d,
        )
    }

    /// SMBus block process call: writes a block (1 to 32 bytes) and reads a block back.
    pub fn smbus_block_process_call(&self, addr: u16, cmd: u8, data: &[u8]) -> Result<Vec<u8>> {
        let op = Op::SmbusBlockProcessCall;
        self.check_block(op, addr, data.len())?;
        let mut d = sys::i2c_smbus_data::with_block(data);
        self.smbus(
            op,
            addr,
            sys::I2C_SMBUS_WRITE,
            cmd,
            sys::I2C_SMBUS_BLOCK_PROC_CALL,
            &mut d,
        )?;
        Ok(block_of(&d))
    }

    /// I2C block read: writes `cmd`, then reads `buf.len()` bytes (1 to 32) with a
    /// repeated start. Returns how many bytes the kernel read (it may stop early).
    pub fn smbus_read_i2c_block_data(&self, addr: u16, cmd: u8, buf: &mut [u8]) -> Result<usize> {
        let op = Op::SmbusReadI2cBlockData;
        self.check_block(op, addr, buf.len())?;
        let mut d = sys::i2c_smbus_data::with_byte(buf.len() as u8);
        self.smbus(
            op,
            addr,
            sys::I2C_SMBUS_READ,
            cmd,
            sys::I2C_SMBUS_I2C_BLOCK_DATA,
            &mut d,
        )?;
        let b = d.bytes();
        let n = (b[0] as usize).min(buf.len());
        buf[..n].copy_from_slice(&b[1..=n]);
        Ok(n)
    }

    /// I2C block write: writes `cmd` then `data` (1 to 32 bytes), no count byte.
    pub fn smbus_write_i2c_block_data(&self, addr: u16, cmd: u8, data: &[u8]) -> Result<()> {
        let op = Op::SmbusWriteI2cBlockData;
        self.check_block(op, addr, data.len())?;
        let mut d = sys::i2c_smbus_data::with_block(data);
        self.smbus(
            op,
            addr,
            sys::I2C_SMBUS_WRITE,
            cmd,
            sys::I2C_SMBUS_I2C_BLOCK_DATA,
            &mut d,
        )
    }

    // ---- internals ---------------------------------------------------------------------

    fn fd(&self) -> BorrowedFd<'_> {
        self.shared.fd.as_fd()
    }

    #[inline]
    fn state(&self) -> MutexGuard<'_, State> {
        match self.shared.state.lock() {
            Ok(g) => g,
            Err(poisoned) => Self::unpoison(poisoned),
        }
    }

    /// A panic while holding the lock may have left the mirror stale: forget it (but for
    /// the pinned files, which are only ever asked about their own address).
    #[cold]
    #[inline(never)]
    fn unpoison(poisoned: std::sync::PoisonError<MutexGuard<'_, State>>) -> MutexGuard<'_, State> {
        let mut g = poisoned.into_inner();
        for i in 0..g.slots.len() {
            if !g.slots[i].pinned {
                g.set(i, None, None);
            }
        }
        g
    }

    #[cold]
    #[inline(never)]
    fn io(&self, op: Op, addr: Option<u16>, source: io::Error) -> Error {
        Error::Io {
            path: self.shared.path.clone(),
            op,
            addr,
            source,
        }
    }

    /// `Err(Unsupported)` unless the adapter has every capability in `needs`.
    fn require(
        &self,
        op: Op,
        addr: Option<u16>,
        needs: Funcs,
        transaction: Option<String>,
    ) -> Result<()> {
        let missing = self.shared.funcs.missing(needs);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::Unsupported {
                path: self.shared.path.clone(),
                adapter: self.shared.name.clone(),
                op,
                addr,
                missing,
                transaction,
            })
        }
    }

    fn check_addr(&self, addr: u16, ten_bit: bool) -> Result<()> {
        let max = if ten_bit { 0x3ff } else { 0x7f };
        if addr > max {
            return Err(Error::InvalidAddress {
                path: self.shared.path.clone(),
                addr,
                ten_bit,
            });
        }
        Ok(())
    }

    fn check_block(&self, op: Op, addr: u16, len: usize) -> Result<()> {
        if len == 0 || len > sys::I2C_SMBUS_BLOCK_MAX {
            return Err(Error::InvalidLength {
                path: self.shared.path.clone(),
                op,
                addr: Some(addr),
                len,
                max: sys::I2C_SMBUS_BLOCK_MAX,
            });
        }
        Ok(())
    }

    /// The kernel driver bound to a 7-bit address, from sysfs.
    fn driver_at(&self, addr: u16) -> Option<String> {
        let bus = self.shared.bus?;
        let link =
            std::fs::read_link(format!("/sys/bus/i2c/devices/{bus}-{addr:04x}/driver")).ok()?;
        Some(link.file_name()?.to_string_lossy().into_owned())
    }

    /// The file of slot `i` (every slot has its file: it is opened before the slot is
    /// added).
    fn slot_fd(&self, i: usize) -> BorrowedFd<'_> {
        self.shared.file(i).expect("every slot's file is open")
    }

    /// The pinned file aimed at `addr` (7-bit) with this handle's PEC setting and force
    /// policy, if there is one: one indexed load, no lock. A target set by a forcing clone
    /// is not used by a non-forcing one (the kernel's busy check was skipped for it).
    /// Fills in the handle's own copy ([`Self::known`]).
    #[inline]
    fn ready(&self, addr: u16) -> Option<RawFd> {
        let at = usize::from(addr & 0x7f);
        let fd = self.known[at].load(Ordering::Acquire);
        if fd >= 0 {
            return Some(fd);
        }
        let fd = self.pinned[at].load(Ordering::Acquire);
        if fd < 0 {
            return None;
        }
        self.known[at].store(fd, Ordering::Release);
        Some(fd)
    }

    /// Points slot `i`'s file at `addr` (`I2C_SLAVE`, or `I2C_SLAVE_FORCE`). When the
    /// kernel refuses, the file keeps its address (i2c-dev checks before it changes it).
    fn aim(&self, st: &mut State, i: usize, addr: u16, force: bool) -> io::Result<usize> {
        let r = sys::set_slave(self.slot_fd(i), addr, force);
        let pec = st.slots[i].pec;
        match r {
            Ok(()) => st.set(
                i,
                Some(Target {
                    addr,
                    forced: force,
                }),
                pec,
            ),
            Err(_) if st.slots[i].pinned => {}
            Err(_) => st.set(i, None, pec),
        }
        r.map(|()| i)
    }

    /// A file for `addr`: a new one while there are fewer than [`MAX_FILES`] (the main
    /// file first, while it has no address), else one that is not pinned, re-aimed.
    fn new_slot(&self, st: &mut State, addr: u16, force: bool) -> io::Result<usize> {
        if let Some(i) = st
            .slots
            .iter()
            .position(|s| s.target.is_none() && !s.pinned)
        {
            return self.aim(st, i, addr, force);
        }
        let n = st.slots.len();
        if n < MAX_FILES {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.shared.path)?;
            // The slot count only grows, under the lock: file `n` is not open yet.
            let _ = self.shared.more[n - 1].set(OwnedFd::from(file));
            st.slots.push(Slot {
                target: None,
                pec: Some(false),
                pinned: false,
            });
            return self.aim(st, n, addr, force);
        }
        // At most MAX_PINNED of the MAX_FILES slots are pinned: one is found.
        let i = (0..n)
            .map(|k| (st.victim + k) % n)
            .find(|&i| !st.slots[i].pinned)
            .expect("one file is never pinned");
        st.victim = i + 1;
        self.aim(st, i, addr, force)
    }

    /// The slot whose file is aimed at `addr` (7-bit) with this handle's force policy and
    /// PEC setting, aiming one if none is: the busy check of `I2C_SLAVE` happens once per
    /// file.
    fn select(&self, st: &mut State, addr: u16) -> Result<usize> {
        let r = match st.slot_of(addr, self.pec) {
            Some(i) => match st.slots[i].target {
                Some(t) if self.force || !t.forced => Ok(i),
                // The same address again, with the busy check: harmless to a pinned
                // file's other users.
                _ => self.aim(st, i, addr, self.force),
            },
            None => self.new_slot(st, addr, self.force),
        };
        let i = match r {
            Ok(i) => i,
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && !self.force => {
                return Err(Error::AddressBusy {
                    path: self.shared.path.clone(),
                    addr,
                    driver: self.driver_at(addr),
                })
            }
            Err(e) => return Err(self.io(Op::SetAddress, Some(addr), e)),
        };
        if st.slots[i].pec != Some(self.pec) {
            // Only a file that is not pinned gets here (a pinned one answers for its own
            // PEC setting only).
            let target = st.slots[i].target;
            st.set(i, target, None);
            sys::set_pec(self.slot_fd(i), self.pec)
                .map_err(|e| self.io(Op::SetPec, Some(addr), e))?;
            st.set(i, target, Some(self.pec));
        }
        self.publish(st, i);
        Ok(i)
    }

    /// Pins slot `i` (after a transaction through it succeeded) while fewer than
    /// [`MAX_PINNED`] are: from then on its address's transactions take no lock. Only
    /// files that reached a device are pinned, so a scan of empty addresses pins nothing.
    fn pin(&self, st: &mut State, i: usize) {
        if !st.slots[i].pinned && st.pinned < MAX_PINNED && st.key_of(i).is_some() {
            st.slots[i].pinned = true;
            st.pinned += 1;
        }
        self.publish(st, i);
    }

    /// Updates slot `i`'s entries in [`Shared::ready`] if it is pinned (its force flag may
    /// have been cleared by a busy check): forcing handles may use it either way, the
    /// others once a busy check has passed on it.
    fn publish(&self, st: &State, i: usize) {
        let s = &st.slots[i];
        if let (true, Some(t), Some(pec)) = (s.pinned, s.target, s.pec) {
            let fd = self.slot_fd(i).as_raw_fd();
            let at = usize::from(t.addr & 0x7f);
            let ready = &self.shared.ready;
            ready[table(pec, true)][at].store(fd, Ordering::Release);
            let checked = if t.forced { -1 } else { fd };
            ready[table(pec, false)][at].store(checked, Ordering::Release);
        }
    }

    /// The file of a transaction of `op` with `addr` on the usual path: the address's
    /// pinned file, when the adapter can do `op` and `addr` has 7 bits. `None` sends the
    /// caller to [`Self::smbus_slow`], which says which it was.
    ///
    /// Every register access of every driver comes through here, so the usual call is a
    /// mask test, an address compare, one indexed load from the handle's copy of its table
    /// of pinned files, and then the ioctl: no lock (each pinned file keeps its `I2C_SLAVE` target
    /// and PEC setting for good), and the same work whether the handle's last transaction
    /// was with this address or another. The first transaction with an address, and any
    /// while its file is not pinned, go through [`Self::smbus_slow`], out of line, as does
    /// everything that builds an error ([`Self::smbus_refused`], [`Self::io`]).
    #[inline(always)]
    fn usual_fd(&self, op: Op, addr: u16) -> Option<RawFd> {
        if self.funcs.contains(op.needs()) && addr <= 0x7f {
            let fd = self.known[usize::from(addr)].load(Ordering::Acquire);
            (fd >= 0).then_some(fd)
        } else {
            None
        }
    }

    /// One SMBus command whose data is at most a word (`data`: the union's first two
    /// bytes, [`sys::smbus_short`]): what `data` holds after the transfer.
    #[inline(always)]
    fn smbus_short(
        &self,
        op: Op,
        addr: u16,
        read_write: u8,
        cmd: u8,
        size: Short,
        mut data: [u8; 2],
    ) -> Result<[u8; 2]> {
        let Some(fd) = self.usual_fd(op, addr) else {
            return self.smbus_short_slow(op, addr, (read_write, cmd, size), data);
        };
        match sys::smbus_short(fd, read_write, cmd, size, &mut data) {
            Ok(()) => Ok(data),
            Err(e) => Err(self.io(op, Some(addr), e)),
        }
    }

    /// [`Self::smbus_short`] off the usual path (once per address and handle settings, or
    /// a refusal): cold, so the usual path prepares nothing for it.
    #[cold]
    #[inline(never)]
    fn smbus_short_slow(
        &self,
        op: Op,
        addr: u16,
        (read_write, cmd, size): (u8, u8, Short),
        mut data: [u8; 2],
    ) -> Result<[u8; 2]> {
        self.smbus_slow(op, addr, &mut |fd| {
            sys::smbus_short(fd, read_write, cmd, size, &mut data)
        })?;
        Ok(data)
    }

    /// One SMBus command with the whole data union (the block commands).
    #[inline]
    fn smbus(
        &self,
        op: Op,
        addr: u16,
        read_write: u8,
        cmd: u8,
        size: u32,
        data: &mut sys::i2c_smbus_data,
    ) -> Result<()> {
        let Some(fd) = self.usual_fd(op, addr) else {
            return self.smbus_slow(op, addr, &mut |fd| {
                sys::smbus_raw(fd, read_write, cmd, size, Some(&mut *data))
            });
        };
        match sys::smbus_raw(fd, read_write, cmd, size, Some(data)) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.io(op, Some(addr), e)),
        }
    }

    /// A transaction off the usual path ([`Self::usual_fd`]): refused before any I/O
    /// ([`Self::smbus_refused`]), or the first with `addr` (or one while its file is not
    /// pinned): aims a file, under the lock, runs `transfer` on it, and pins the file if it
    /// succeeded. Kept out of line so that the usual call carries none of its state.
    #[inline(never)]
    fn smbus_slow(
        &self,
        op: Op,
        addr: u16,
        transfer: &mut dyn FnMut(RawFd) -> io::Result<()>,
    ) -> Result<()> {
        if !self.funcs.contains(op.needs()) || addr > 0x7f {
            return Err(self.smbus_refused(op, addr));
        }
        if let Some(fd) = self.ready(addr) {
            // Pinned (through another handle): from now on this handle's copy has it.
            return transfer(fd).map_err(|e| self.io(op, Some(addr), e));
        }
        let mut st = self.state();
        let i = self.select(&mut st, addr)?;
        transfer(self.slot_fd(i).as_raw_fd()).map_err(|e| self.io(op, Some(addr), e))?;
        self.pin(&mut st, i);
        drop(st);
        let _ = self.ready(addr);
        Ok(())
    }

    /// Why [`Self::smbus_slow`] refused before touching the bus: a missing capability (reported
    /// first) or an address beyond 7 bits.
    #[cold]
    #[inline(never)]
    fn smbus_refused(&self, op: Op, addr: u16) -> Error {
        match self.require(op, Some(addr), op.needs(), None) {
            Err(e) => e,
            Ok(()) => Error::InvalidAddress {
                path: self.shared.path.clone(),
                addr,
                ten_bit: false,
            },
        }
    }
}

/// A device-tree cell: one big-endian u32.
fn dt_u32(raw: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(raw.get(..4)?.try_into().ok()?))
}

fn block_of(d: &sys::i2c_smbus_data) -> Vec<u8> {
    let b = d.bytes();
    let n = (b[0] as usize).min(sys::I2C_SMBUS_BLOCK_MAX);
    b[1..=n].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_tree_cells_are_big_endian() {
        assert_eq!(dt_u32(&[0x00, 0x06, 0x1a, 0x80]), Some(400_000));
        assert_eq!(dt_u32(&[0x00, 0x01, 0x86, 0xa0, 0xff]), Some(100_000));
        assert_eq!(dt_u32(&[1, 2]), None);
    }

    #[test]
    fn handles_are_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        fn error<E: std::error::Error + Send + Sync + 'static>() {}
        error::<Error>();
        check::<I2cBus>();
    }

    #[test]
    fn device_numbers_split_like_glibc() {
        // glibc's makedev, written out independently.
        fn makedev(major: u64, minor: u64) -> u64 {
            ((major & 0xffff_f000) << 32)
                | ((major & 0xfff) << 8)
                | ((minor & 0xffff_ff00) << 12)
                | (minor & 0xff)
        }
        assert_eq!(major_minor((89 << 8) | 3), (89, 3));
        assert_eq!(major_minor(makedev(89, 3)), (89, 3));
        assert_eq!(major_minor(makedev(0x12345, 0x456789)), (0x12345, 0x456789));
    }

    #[test]
    fn adapters_are_listed_from_sysfs_by_number() {
        let dir = std::env::temp_dir().join(format!("udrv-i2c-class-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (n, name) in [
            (10, "ten"),
            (2, "SMBus stub driver"),
            (1, "bcm2835 (i2c@7e804000)"),
        ] {
            let d = dir.join(format!("i2c-{n}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("name"), format!("{name}\n")).unwrap();
        }
        std::fs::create_dir_all(dir.join("not-a-bus")).unwrap();
        let list = adapters_in(&dir, Path::new("/dev")).unwrap();
        let got: Vec<(u32, &str, &Path)> = list
            .iter()
            .map(|a| (a.number, a.name.as_str(), a.path.as_path()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "bcm2835 (i2c@7e804000)", Path::new("/dev/i2c-1")),
                (2, "SMBus stub driver", Path::new("/dev/i2c-2")),
                (10, "ten", Path::new("/dev/i2c-10")),
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(adapters_in(&dir, Path::new("/dev")).unwrap(), vec![]);
    }

    #[test]
    fn opening_a_non_i2c_file_is_a_typed_open_error() {
        let e = I2cBus::open_path("/dev/null").unwrap_err();
        match &e {
            Error::Open { path, source } => {
                assert_eq!(path, Path::new("/dev/null"));
                assert_eq!(source.raw_os_error(), Some(libc::ENOTTY));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(e.to_string().contains("not an I2C (i2c-dev) device"), "{e}");
        let e = I2cBus::open(4000).unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOENT));
        assert!(e.to_string().contains("modprobe i2c-dev"), "{e}");
    }
}
