//! Hot-plug: devices appearing and going, from the kernel's uevents (no udevd needed).
//!
//! USB I2C/SPI bridges, GPIO expanders and serial adapters come and go while a program
//! runs. The kernel announces each change as a *uevent* on a netlink socket
//! (`NETLINK_KOBJECT_UEVENT`, multicast group 1); a [`Monitor`] listens there directly, so
//! it works on boards without udevd (busybox, initramfs, containers that share the host's
//! network namespace). Messages not sent by the kernel, and udevd's own re-broadcasts
//! (libudev format), are ignored.
//!
//! - [`Monitor::open`], filtered with [`Monitor::with_class`] (udrv's device kinds) or
//!   [`Monitor::with_subsystem`] (`i2c-dev`, `spidev`, `gpio`, `tty`, `uio`, any other).
//! - Each [`Event`] has an [`Action`] (`Add`, `Remove`, `Bind`, ...), the subsystem, the
//!   sysfs devpath, the device node (`/dev/...`) and every property; [`Event::device`]
//!   names the udrv [`Device`] (I2C bus number from `DEVNAME=i2c-3`, GPIO chip, ...);
//!   [`Parent::of`] its [`Event::sysfs_path`] says where it comes from (the parent's
//!   subsystem, driver and name in sysfs).
//! - Blocking: [`Monitor::next`], [`Monitor::next_timeout`], [`Monitor::try_next`],
//!   [`Monitor::iter`]; [`Monitor::wait_for`] waits for a matching event and
//!   [`Monitor::wait_for_node`] for a device node to be there.
//! - Async (feature `tokio`): [`AsyncMonitor::next_async`] and a `Stream`, on tokio's
//!   reactor (no thread blocks).
//!
//! Open the monitor *before* looking at what exists, then act on events: nothing that
//! appears in between is missed.
//!
//! ```no_run
//! use std::time::Duration;
//! use udrv_core::error::DeviceClass;
//! use udrv_core::hotplug::{Action, Device, Monitor};
//!
//! # fn main() -> Result<(), udrv_core::hotplug::Error> {
//! let mut mon = Monitor::open()?
//!     .with_class(DeviceClass::I2c)
//!     .with_class(DeviceClass::Serial);
//! for ev in mon.iter() {
//!     let ev = ev?;
//!     match (&ev.action, ev.device()) {
//!         (Action::Add, Some(Device::I2cBus { bus })) => println!("I2C bus {bus} is here"),
//!         (Action::Remove, Some(dev @ Device::Serial { .. })) => println!("{dev} unplugged"),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Waiting for an adapter to come back:
//!
//! ```no_run
//! # use std::time::Duration;
//! # use udrv_core::hotplug::Monitor;
//! # fn main() -> Result<(), udrv_core::hotplug::Error> {
//! let mut mon = Monitor::open()?.with_subsystem("tty");
//! if mon.wait_for_node("/dev/ttyUSB0", Duration::from_secs(30))? {
//!     println!("ttyUSB0 is back");
//! }
//! # Ok(())
//! # }
//! ```

mod error;
mod event;
mod parent;

#[cfg(feature = "tokio")]
mod asynch;

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::DeviceClass;
use crate::sys;
use crate::sys::uevent;

pub use error::{Error, Operation, Result};
pub use event::{Action, Device, Event};
pub use parent::Parent;

#[cfg(feature = "tokio")]
pub use asynch::{AsyncMonitor, EventStream};

/// A listener for the kernel's uevents, optionally filtered by subsystem.
///
/// The socket is non-blocking and close-on-exec; the kernel queues events for it from
/// [`open`](Monitor::open) on (up to a few MiB: read them promptly, or
/// [`Error::Overflow`] reports that some were dropped).
///
/// ```no_run
/// use std::time::Duration;
/// use udrv_core::hotplug::{Action, Monitor};
///
/// # fn main() -> Result<(), udrv_core::hotplug::Error> {
/// let mut mon = Monitor::open()?.with_subsystem("gpio");
/// while let Some(ev) = mon.next_timeout(Duration::from_secs(5))? {
///     if ev.action == Action::Add {
///         println!("new GPIO chip {}", ev.devname.unwrap().display());
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Monitor {
    fd: OwnedFd,
    subsystems: Vec<String>,
    buf: Vec<u8>,
    rejected: u64,
}

impl Monitor {
    /// Opens a netlink socket and joins the kernel's uevent group. It receives every
    /// subsystem's events until filtered with [`with_subsystem`](Monitor::with_subsystem)
    /// or [`with_class`](Monitor::with_class). Needs no privilege.
    pub fn open() -> Result<Monitor> {
        let fd = uevent::socket().map_err(|e| Error::io(Operation::Open, e))?;
        // Best effort: a small queue only means an earlier Overflow in a burst.
        let _ = uevent::grow_receive_buffer(fd.as_fd());
        uevent::bind(fd.as_fd(), uevent::KERNEL_GROUP)
            .map_err(|e| Error::io(Operation::Bind, e))?;
        Ok(Monitor {
            fd,
            subsystems: Vec::new(),
            buf: vec![0; uevent::RECV_BUFFER],
            rejected: 0,
        })
    }

    /// Adds `subsystem` (the event's `SUBSYSTEM`, e.g. `i2c-dev`, `spidev`, `gpio`,
    /// `tty`, `uio`, `usb`) to the ones passed on; without any, every event is.
    pub fn with_subsystem(mut self, subsystem: impl Into<String>) -> Monitor {
        let s = subsystem.into();
        if !self.subsystems.contains(&s) {
            self.subsystems.push(s);
        }
        self
    }

    /// Passes on the events about a kind of udrv device:
    ///
    /// | class | subsystems | events |
    /// |---|---|---|
    /// | `I2c` | `i2c-dev`, `i2c` | `/dev/i2c-N` nodes; devices on buses (driver `bind`/`unbind`) |
    /// | `Spi` | `spidev`, `spi` | `/dev/spidevB.C` nodes; devices on buses |
    /// | `Gpio` | `gpio` | `/dev/gpiochipN` |
    /// | `Uio` | `uio` | `/dev/uioN` |
    /// | `Serial` | `tty` | `/dev/ttyUSB0`, `/dev/ttyACM0`, ... |
    pub fn with_class(self, class: DeviceClass) -> Monitor {
        event::class_subsystems(class)
            .iter()
            .fold(self, |m, s| m.with_subsystem(*s))
    }

    /// The subsystems passed on (empty: all).
    pub fn subsystems(&self) -> &[String] {
        &self.subsystems
    }

    /// Whether the filter passes `event` on.
    pub fn matches(&self, event: &Event) -> bool {
        self.subsystems.is_empty() || self.subsystems.contains(&event.subsystem)
    }

    /// How many datagrams were dropped because they were not kernel uevents: sent by
    /// another process, in libudev's format, malformed or truncated.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The next event the filter passes, if one is queued already (never blocks).
    pub fn try_next(&mut self) -> Result<Option<Event>> {
        loop {
            let dgram = match uevent::recv(self.fd.as_fd(), &mut self.buf) {
                Ok(d) => d,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(Error::io(Operation::Receive, e)),
            };
            let event = uevent::accept(&dgram, &self.buf)
                .map_err(Error::from)
                .and_then(Event::from_raw);
            match event {
                Ok(ev) if self.matches(&ev) => return Ok(Some(ev)),
                Ok(_) => {}
                Err(_) => self.rejected += 1,
            }
        }
    }

    /// Blocks until an event the filter passes arrives.
    // Not `Iterator::next`: this never ends and each call can fail (see `iter`).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Event> {
        loop {
            if let Some(ev) = self.next_before(None)? {
                return Ok(ev);
            }
        }
    }

    /// The next event the filter passes, or `None` when `timeout` passes first.
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<Event>> {
        self.next_before(deadline(timeout))
    }

    fn next_before(&mut self, deadline: Option<Instant>) -> Result<Option<Event>> {
        loop {
            if let Some(ev) = self.try_next()? {
                return Ok(Some(ev));
            }
            let left = match deadline {
                None => None,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    Some(left)
                }
            };
            sys::fs::poll_readable(self.fd.as_fd(), left)
                .map_err(|e| Error::io(Operation::Wait, e))?;
        }
    }

    /// A blocking iterator over the events (it never ends; each item can be an error,
    /// after which iterating goes on).
    pub fn iter(&mut self) -> Events<'_> {
        Events { mon: self }
    }

    /// Waits until an event the filter passes satisfies `pred` and returns it, or `None`
    /// when `timeout` passes first. Events that do not satisfy `pred` are consumed.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use udrv_core::hotplug::{Action, Device, Monitor};
    ///
    /// # fn main() -> Result<(), udrv_core::hotplug::Error> {
    /// let mut mon = Monitor::open()?.with_subsystem("i2c-dev");
    /// // ... plug in a USB-I2C bridge ...
    /// let ev = mon.wait_for(
    ///     |e| e.action == Action::Add && matches!(e.device(), Some(Device::I2cBus { .. })),
    ///     Duration::from_secs(10),
    /// )?;
    /// if let Some(Device::I2cBus { bus }) = ev.and_then(|e| e.device()) {
    ///     let i2c = udrv_core::i2c::I2cBus::open(bus).expect("the new bus opens");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn wait_for(
        &mut self,
        mut pred: impl FnMut(&Event) -> bool,
        timeout: Duration,
    ) -> Result<Option<Event>> {
        let deadline = deadline(timeout);
        while let Some(ev) = self.next_before(deadline)? {
            if pred(&ev) {
                return Ok(Some(ev));
            }
        }
        Ok(None)
    }

    /// Waits until `path` exists: `true` at once if it does, else as soon as an `add`
    /// event for that device node arrives (devtmpfs has created the node by then), `false`
    /// when `timeout` passes. `path` may also be a udev symlink (`/dev/serial/by-id/...`),
    /// which has no event of its own: it is looked for again at least every
    /// [`RECHECK`](Self::RECHECK). The filter must pass the node's subsystem for the
    /// event to end the wait early. A queue overflow is not an error here: the path is
    /// looked for again.
    pub fn wait_for_node(&mut self, path: impl AsRef<Path>, timeout: Duration) -> Result<bool> {
        let path = path.as_ref();
        let deadline = deadline(timeout);
        loop {
            if path.exists() {
                return Ok(true);
            }
            let left = deadline.map_or(Self::RECHECK, |d| {
                d.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                return Ok(false);
            }
            let added = |e: &Event| e.action == Action::Add && e.devname.as_deref() == Some(path);
            match self.wait_for(added, left.min(Self::RECHECK)) {
                Ok(Some(_)) => return Ok(true),
                Ok(None) | Err(Error::Overflow) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// How often [`wait_for_node`](Self::wait_for_node) looks for its path between events.
    pub const RECHECK: Duration = Duration::from_secs(1);
}

/// `timeout` from now, or no deadline at all when that is past what `Instant` can hold
/// (`Duration::MAX` waits for ever instead of panicking).
fn deadline(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

impl AsFd for Monitor {
    /// The netlink socket (non-blocking), for poll loops of one's own: readable when an
    /// event is queued, then [`try_next`](Monitor::try_next).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The blocking iterator of [`Monitor::iter`].
#[derive(Debug)]
pub struct Events<'a> {
    mon: &'a mut Monitor,
}

impl Iterator for Events<'_> {
    type Item = Result<Event>;
    fn next(&mut self) -> Option<Result<Event>> {
        Some(self.mon.next())
    }
}

impl<'a> IntoIterator for &'a mut Monitor {
    type Item = Result<Event>;
    type IntoIter = Events<'a>;
    fn into_iter(self) -> Events<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(subsystem: &str) -> Event {
        Event::parse(
            format!("add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM={subsystem}\0")
                .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn timeouts_past_what_instant_holds_mean_no_deadline() {
        assert!(deadline(Duration::MAX).is_none());
        assert!(deadline(Duration::from_secs(1)).is_some());
    }

    #[test]
    fn wait_for_node_finds_a_symlink_that_has_no_event() {
        let dir = std::env::temp_dir().join(format!("udrv-hotplug-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("ttyTARGET");
        std::fs::write(&target, b"").unwrap();
        let link = dir.join("usb-adapter-if00");
        let mut mon = monitor();
        // Missing, and nothing makes it: false when the time is up.
        assert!(!mon
            .wait_for_node(&link, Duration::from_millis(200))
            .unwrap());
        // Made later by someone else (as udev makes /dev/serial/by-id links): found,
        // although no event names it.
        let (t, l) = (target.clone(), link.clone());
        let maker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            std::os::unix::fs::symlink(t, l).unwrap();
        });
        let started = Instant::now();
        let found = mon.wait_for_node(&link, Duration::from_secs(30)).unwrap();
        let waited = started.elapsed();
        maker.join().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(found);
        // Not a speed target: it must not merely look again when the 30 s are up.
        assert!(
            waited < Duration::from_secs(20),
            "found only at the timeout"
        );
    }

    /// A monitor whose socket is a plain (unbound) uevent socket: filters only.
    fn monitor() -> Monitor {
        Monitor {
            fd: uevent::socket().unwrap(),
            subsystems: Vec::new(),
            buf: vec![0; 64],
            rejected: 0,
        }
    }

    #[test]
    fn filters_pass_their_subsystems_only() {
        let m = monitor();
        assert!(m.subsystems().is_empty());
        assert!(m.matches(&event("usb")) && m.matches(&event("i2c-dev")));

        let m = monitor().with_subsystem("gpio").with_subsystem("gpio");
        assert_eq!(m.subsystems(), ["gpio"]);
        assert!(m.matches(&event("gpio")));
        assert!(!m.matches(&event("gpio-sim")) && !m.matches(&event("platform")));

        let m = monitor()
            .with_class(DeviceClass::I2c)
            .with_class(DeviceClass::Serial)
            .with_subsystem("tty");
        assert_eq!(m.subsystems(), ["i2c-dev", "i2c", "tty"]);
        assert!(m.matches(&event("i2c")) && m.matches(&event("tty")));
        assert!(!m.matches(&event("spidev")) && !m.matches(&event("uio")));
    }

    #[test]
    fn events_forged_by_a_process_are_rejected() {
        // Any process may send a datagram straight to a uevent socket's port (no
        // privilege needed): the monitor must drop it because the sender is not the
        // kernel (port 0).
        let mut mon = Monitor::open().unwrap().with_subsystem("udrv-forged");
        let port = uevent::port_id(mon.as_fd()).unwrap();
        assert_ne!(port, 0);
        let forged = b"add@/devices/udrv/forged\0ACTION=add\0DEVPATH=/devices/udrv/forged\0\
            SUBSYSTEM=udrv-forged\0DEVNAME=ttyUSB9\0SEQNUM=1\0";
        // Were it from the kernel, it would be a perfectly good event for this filter.
        assert!(mon.matches(&Event::parse(forged).unwrap()));
        let tx = uevent::socket().unwrap();
        uevent::send_to_port(tx.as_fd(), port, forged).unwrap();
        uevent::send_to_port(tx.as_fd(), port, b"libudev\0\xfe\xed\xca\xfe").unwrap();
        assert!(mon
            .next_timeout(Duration::from_millis(200))
            .unwrap()
            .is_none());
        assert_eq!(mon.rejected(), 2);
    }

    #[test]
    fn nothing_queued_means_none_and_a_timeout() {
        let mut m = monitor();
        assert!(m.try_next().unwrap().is_none());
        let t = Instant::now();
        assert!(m.next_timeout(Duration::from_millis(30)).unwrap().is_none());
        assert!(t.elapsed() >= Duration::from_millis(30));
        assert!(m
            .wait_for(|_| true, Duration::from_millis(10))
            .unwrap()
            .is_none());
        assert!(!m
            .wait_for_node("/dev/udrv-no-such-node", Duration::from_millis(10))
            .unwrap());
        // An existing path returns at once, whatever the timeout.
        assert!(m.wait_for_node("/", Duration::from_secs(3600)).unwrap());
        assert_eq!(m.rejected(), 0);
    }
}
