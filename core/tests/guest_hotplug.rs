//! Hot-plug against the real kernel, in the QEMU guest (`cargo xtask vmtest --only
//! guest_hotplug`): the kernel's own uevents, received on its netlink socket (the guest
//! runs no udevd).
//!
//! Devices really come and go: gpio-sim chips created and removed through configfs
//! (gpiochip add/remove), an I2C device instantiated with `new_device` on the i2c-stub bus
//! and deleted again (the `dummy` driver binds and unbinds). The fixtures' i2c-dev, spidev,
//! UIO, tty and GPIO nodes are announced again by writing `change` to their `uevent` file in
//! sysfs (what `udevadm trigger` does), which checks each kind's properties as the kernel
//! sends them. A flood of such events nobody reads overflows the socket's queue, which must
//! be reported (`ENOBUFS`) without ending the monitor. Each test uses its own chip names and
//! I2C address.
//!
//! No test asserts how long anything took. Where a call must wait for the kernel, the
//! device comes once the waiting thread is asleep in that call (`common/asleep.rs`); that
//! the async monitor leaves tokio's reactor free is shown by a timer firing before the
//! event it waits for is even made; every wait has a deadline that only guards against a
//! hang and names what it waited for.
#![cfg(udrv_guest)] // on the host this file compiles to nothing (the docs above stay)

#[path = "common/asleep.rs"]
mod asleep;
mod common;
#[path = "common/gpio_sim.rs"]
mod gpio_sim;

use asleep::when_asleep;
use common::env;
use gpio_sim::{write, SimChip};

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use udrv_core::error::DeviceClass;
use udrv_core::hotplug::{Action, Device, Error, Event, Monitor};

/// How long any event the kernel must send may take before the test fails: a guard
/// against a hang (TCG on a loaded host is slow, but not this slow).
const WAIT: Duration = Duration::from_secs(30);

/// The number after `prefix` in the last component of the fixture path `var`.
fn env_number(var: &str, prefix: &str) -> u32 {
    let v = env(var);
    let name = v.rsplit('/').next().unwrap();
    name.strip_prefix(prefix)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{var}={v} is not {prefix}N"))
}

/// Ends the whole test binary if a blocking call has not come back in time: a missing
/// event must fail the run, not hang the guest until the harness's timeout.
struct Watchdog(Option<mpsc::Sender<()>>);

fn watchdog(what: &'static str) -> Watchdog {
    let (tx, rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(WAIT * 3) {
            eprintln!("watchdog: {what} did not finish in {:?}", WAIT * 3);
            std::process::exit(101);
        }
    });
    Watchdog(Some(tx))
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

/// The hot-plug device a gpio-sim chip is.
fn device_of(chip: &SimChip) -> Device {
    Device::GpioChip {
        number: chip.number,
    }
}

/// The events the monitor passes on about `device`, until one has action `last` (or the
/// wait runs out: then the test fails, naming what was seen).
fn events_about(mon: &mut Monitor, device: &Device, last: Action) -> Vec<Event> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match mon.next_timeout(left).expect("receive") {
            Some(ev) if ev.device().as_ref() == Some(device) => {
                let done = ev.action == last;
                seen.push(ev);
                if done {
                    return seen;
                }
            }
            Some(_) => {}
            None => panic!("no {last} event for {device} in {WAIT:?}; seen: {seen:#?}"),
        }
    }
}

fn actions(evs: &[Event]) -> Vec<Action> {
    evs.iter().map(|e| e.action.clone()).collect()
}

/// `MAJOR:MINOR` from sysfs's `dev` attribute.
fn sysfs_devnum(ev: &Event) -> (u32, u32) {
    let s = std::fs::read_to_string(ev.sysfs_path().join("dev")).expect("sysfs dev");
    let (a, b) = s.trim().split_once(':').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

// ---- devices appearing and going -------------------------------------------------------

#[test]
fn a_gpio_chip_is_seen_appearing_and_going() {
    let _w = watchdog("a_gpio_chip_is_seen_appearing_and_going");
    let mut mon = Monitor::open()
        .expect("open the uevent monitor")
        .with_class(DeviceClass::Gpio);
    let sim = SimChip::create("udrv-hotplug-a");
    let dev = device_of(&sim);
    let node = sim.node();

    // The gpiochip device is added, then bound to gpiolib's stub driver (6.1 binds one
    // to every chip for fw_devlink).
    let added = events_about(&mut mon, &dev, Action::Bind);
    assert_eq!(actions(&added), [Action::Add, Action::Bind], "{added:#?}");
    assert_eq!(added[1].driver(), Some("gpio_stub_drv"));
    let ev = &added[0];
    assert_eq!(ev.subsystem, "gpio");
    assert_eq!(ev.devname.as_deref(), Some(node.as_path()));
    assert!(
        node.exists(),
        "devtmpfs made {} before the event",
        node.display()
    );
    assert!(
        ev.devpath.ends_with(&format!("/gpiochip{}", sim.number)),
        "{ev}"
    );
    assert!(ev.sysfs_path().is_dir(), "{}", ev.sysfs_path().display());
    assert_eq!(ev.devnum(), Some(sysfs_devnum(ev)));
    assert_eq!(ev.device().unwrap().node().as_deref(), Some(node.as_path()));
    assert_eq!(ev.device().unwrap().class(), DeviceClass::Gpio);
    let add_seq = ev.seqnum().expect("SEQNUM");
    // The chip opens by the node the event named.
    let label = udrv_core::gpio::Chip::open(&node)
        .expect("open the new chip")
        .info()
        .expect("chip info")
        .label;
    assert_eq!(label, "udrv-hotplug-a");

    sim.remove();
    let removed = events_about(&mut mon, &dev, Action::Remove);
    assert_eq!(
        actions(&removed),
        [Action::Unbind, Action::Remove],
        "{removed:#?}"
    );
    let ev = &removed[1];
    assert_eq!(ev.devname.as_deref(), Some(node.as_path()));
    assert!(ev.seqnum().unwrap() > add_seq);
    assert!(!node.exists(), "{} is gone", node.display());
    // The filter passed on gpio events only, and every datagram was the kernel's.
    assert!(added.iter().chain(&removed).all(|e| e.subsystem == "gpio"));
    assert_eq!(mon.rejected(), 0);
}

#[test]
fn an_i2c_device_is_seen_added_bound_unbound_and_removed() {
    let _w = watchdog("an_i2c_device_is_seen_added_bound_unbound_and_removed");
    let bus: u32 = env("UDRV_I2C_STUB_BUS").parse().unwrap();
    let adapter = format!("/sys/bus/i2c/devices/i2c-{bus}");
    let mut mon = Monitor::open().unwrap().with_class(DeviceClass::I2c);
    let dev = Device::I2cClient {
        bus,
        addr: 0x2c,
        ten_bit: false,
    };

    write(format!("{adapter}/new_device"), "dummy 0x2c");
    let evs = events_about(&mut mon, &dev, Action::Bind);
    assert_eq!(actions(&evs), [Action::Add, Action::Bind], "{evs:#?}");
    assert_eq!(evs[0].subsystem, "i2c");
    assert_eq!(evs[0].property("MODALIAS"), Some("i2c:dummy"));
    assert_eq!(evs[0].kernel_name(), format!("{bus}-002c"));
    assert_eq!(evs[0].devname, None, "an I2C client has no node");
    assert_eq!(evs[1].driver(), Some("dummy"));
    assert_eq!(dev.node(), Some(PathBuf::from(format!("/dev/i2c-{bus}"))));
    assert_eq!(dev.to_string(), format!("i2c-{bus}:0x2c"));

    write(format!("{adapter}/delete_device"), "0x2c");
    let evs = events_about(&mut mon, &dev, Action::Remove);
    assert_eq!(actions(&evs), [Action::Unbind, Action::Remove], "{evs:#?}");
    assert_eq!(evs[0].driver(), None, "unbound");
    assert!(!Path::new(&format!("{adapter}/{bus}-002c")).exists());
    assert_eq!(mon.rejected(), 0);
}

#[test]
fn every_kind_of_udrv_node_is_named_from_its_event() {
    let _w = watchdog("every_kind_of_udrv_node_is_named_from_its_event");
    let i2c = env_number("UDRV_I2C_STUB_BUS", "");
    let spidev = env("UDRV_SPIDEV");
    let spi_name = spidev.trim_start_matches("/dev/").to_string();
    let (spi_bus, spi_cs) = spi_name
        .strip_prefix("spidev")
        .and_then(|s| s.split_once('.'))
        .map(|(b, c)| (b.parse().unwrap(), c.parse().unwrap()))
        .unwrap_or_else(|| panic!("UDRV_SPIDEV={spidev}"));
    let uio = env_number("UDRV_UIO", "uio");
    let gpio = env_number("UDRV_GPIO_SIM_CHIP", "gpiochip");
    let cases = [
        (
            format!("/sys/class/i2c-dev/i2c-{i2c}/uevent"),
            "i2c-dev",
            Device::I2cBus { bus: i2c },
        ),
        (
            format!("/sys/class/spidev/{spi_name}/uevent"),
            "spidev",
            Device::Spidev {
                bus: spi_bus,
                cs: spi_cs,
            },
        ),
        (
            format!("/sys/class/uio/uio{uio}/uevent"),
            "uio",
            Device::Uio { number: uio },
        ),
        (
            format!("/sys/bus/gpio/devices/gpiochip{gpio}/uevent"),
            "gpio",
            Device::GpioChip { number: gpio },
        ),
        (
            "/sys/class/tty/ttyS0/uevent".to_string(),
            "tty",
            Device::Serial {
                name: "ttyS0".into(),
            },
        ),
    ];
    let mut mon = Monitor::open()
        .unwrap()
        .with_class(DeviceClass::I2c)
        .with_class(DeviceClass::Spi)
        .with_class(DeviceClass::Uio)
        .with_class(DeviceClass::Gpio)
        .with_class(DeviceClass::Serial);
    for (uevent, subsystem, dev) in cases {
        // The kernel sends a synthetic `change` event for the device (as `udevadm trigger`).
        write(&uevent, "change");
        let evs = events_about(&mut mon, &dev, Action::Change);
        let ev = evs.last().unwrap();
        assert_eq!(ev.subsystem, subsystem, "{ev}");
        let node = dev.node().unwrap();
        assert_eq!(ev.devname.as_deref(), Some(node.as_path()), "{ev}");
        assert!(node.exists(), "{}", node.display());
        assert_eq!(ev.devnum(), Some(sysfs_devnum(ev)), "{ev}");
        assert_eq!(ev.property("SYNTH_UUID"), Some("0"), "{ev:#?}");
        assert_eq!(
            ev.sysfs_path().canonicalize().unwrap(),
            Path::new(&uevent).parent().unwrap().canonicalize().unwrap()
        );
    }
    assert_eq!(mon.rejected(), 0);
}

// ---- filters, timeouts, waiting ---------------------------------------------------------

#[test]
fn filtered_out_events_do_not_end_a_timed_wait() {
    let _w = watchdog("filtered_out_events_do_not_end_a_timed_wait");
    let uio = env_number("UDRV_UIO", "uio");
    let mut uio_only = Monitor::open().unwrap().with_subsystem("uio");
    let mut all = Monitor::open().unwrap();
    write("/sys/class/tty/ttyS0/uevent", "change");
    let t = Instant::now();
    let got = uio_only.next_timeout(Duration::from_millis(500)).unwrap();
    let waited = t.elapsed();
    assert!(got.is_none(), "the uio filter passed {got:?}");
    // The tty event (queued before the wait began) did not end it early.
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    // The tty event was sent: the unfiltered monitor got it.
    let tty = Device::Serial {
        name: "ttyS0".into(),
    };
    events_about(&mut all, &tty, Action::Change);
    assert_eq!(all.rejected(), 0);
    // And the filter passes what it should.
    write(format!("/sys/class/uio/uio{uio}/uevent"), "change");
    let ev = uio_only.next_timeout(WAIT).unwrap().expect("the uio event");
    assert_eq!(ev.device(), Some(Device::Uio { number: uio }));
    assert_eq!(uio_only.try_next().unwrap(), None, "one event, consumed");
}

#[test]
fn blocking_next_and_the_iterator_wait_for_the_kernel() {
    let _w = watchdog("blocking_next_and_the_iterator_wait_for_the_kernel");
    let gpio = env_number("UDRV_GPIO_SIM_CHIP", "gpiochip");
    let uevent = format!("/sys/bus/gpio/devices/gpiochip{gpio}/uevent");
    let mut mon = Monitor::open().unwrap().with_subsystem("gpio");
    // Nothing is queued yet: next() really waits (this thread is asleep in it before the
    // kernel sends anything), until the kernel sends the event.
    let u = uevent.clone();
    let t = when_asleep(move || write(&u, "change"));
    let ev = mon.next().unwrap();
    assert_eq!(ev.action, Action::Change);
    assert_eq!(ev.device(), Some(Device::GpioChip { number: gpio }));
    t.join().unwrap();
    // Three more through the iterator, in the kernel's order.
    for _ in 0..3 {
        write(&uevent, "change");
    }
    let evs: Vec<Event> = mon.iter().take(3).map(Result::unwrap).collect();
    let seqs: Vec<u64> = evs.iter().map(|e| e.seqnum().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(seqs[0] > ev.seqnum().unwrap());
    assert!(evs
        .iter()
        .all(|e| e.device() == Some(Device::GpioChip { number: gpio })));
}

#[test]
fn wait_for_node_sees_a_device_come_back() {
    let _w = watchdog("wait_for_node_sees_a_device_come_back");
    // The chip number a new chip gets here (the lowest free one), then gone again: as a
    // USB adapter unplugged, whose node is to come back.
    let first = SimChip::create("udrv-hotplug-back");
    let node = first.node();
    first.remove();
    assert!(!node.exists());

    let mut mon = Monitor::open().unwrap().with_class(DeviceClass::Gpio);
    let t = Instant::now();
    assert!(!mon
        .wait_for_node(&node, Duration::from_millis(300))
        .unwrap());
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "not before its timeout"
    );

    // Plugged in again while this thread is asleep in wait_for_node.
    let (tx, rx) = mpsc::channel();
    let replug = when_asleep(move || {
        tx.send(SimChip::create("udrv-hotplug-back")).unwrap();
    });
    assert!(
        mon.wait_for_node(&node, WAIT).unwrap(),
        "{} did not come back in {WAIT:?}",
        node.display()
    );
    assert!(node.exists());
    replug.join().unwrap();
    let again = rx.recv().unwrap();
    assert_eq!(
        again.node(),
        node,
        "the chip came back under its old number"
    );
    // Present now: no wait at all, so no time to wait is enough.
    assert!(
        mon.wait_for_node(&node, Duration::ZERO).unwrap(),
        "a node that is there must not need an event"
    );

    // wait_for skips what does not match, and gives the first that does.
    let dev = device_of(&again);
    again.remove();
    let ev = mon
        .wait_for(
            |e| e.action == Action::Remove && e.device() == Some(dev.clone()),
            WAIT,
        )
        .unwrap()
        .expect("the remove event");
    assert_eq!(ev.devname.as_deref(), Some(node.as_path()));
    assert!(mon
        .wait_for(|_| true, Duration::from_millis(200))
        .unwrap()
        .is_none());
}

/// The `Drops` column of `/proc/net/netlink` summed over the uevent sockets (protocol 15).
fn uevent_socket_drops() -> u64 {
    let t = std::fs::read_to_string("/proc/net/netlink").expect("/proc/net/netlink");
    t.lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|c| c.get(1) == Some(&"15"))
        .map(|c| c[8].parse::<u64>().unwrap())
        .sum()
}

#[test]
fn an_overflowing_queue_is_reported_and_the_monitor_goes_on() {
    let _w = watchdog("an_overflowing_queue_is_reported_and_the_monitor_goes_on");
    let gpio = env_number("UDRV_GPIO_SIM_CHIP", "gpiochip");
    let uevent = format!("/sys/bus/gpio/devices/gpiochip{gpio}/uevent");
    let before = uevent_socket_drops();
    let mut mon = Monitor::open().unwrap().with_subsystem("gpio");
    // Events nobody reads, until the kernel drops some (the queue holds a few MiB).
    let mut sent = 0;
    while uevent_socket_drops() == before {
        for _ in 0..500 {
            write(&uevent, "change");
        }
        sent += 500;
        assert!(sent < 200_000, "no drop after {sent} events");
    }
    let e = mon.try_next().unwrap_err();
    assert!(matches!(e, Error::Overflow), "{e:?}");
    assert_eq!(e.errno(), Some(libc::ENOBUFS));
    assert!(e.to_string().contains("unseen"), "{e}");
    // What was queued before the drop is still there, then the monitor goes on.
    let mut queued = 0;
    while let Some(ev) = mon.try_next().unwrap() {
        assert_eq!(ev.device(), Some(Device::GpioChip { number: gpio }));
        queued += 1;
    }
    assert!(queued > 100 && queued < sent, "{queued} of {sent}");
    write(&uevent, "change");
    let ev = mon
        .next_timeout(WAIT)
        .unwrap()
        .expect("an event after the overflow");
    assert_eq!(ev.action, Action::Change);
    assert_eq!(mon.rejected(), 0);
}

// ---- async ------------------------------------------------------------------------------

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_monitor_sees_a_chip_come_and_go_without_blocking_the_reactor() {
    use futures_core::Stream;
    use udrv_core::hotplug::AsyncMonitor;

    let _w = watchdog("async_monitor_sees_a_chip_come_and_go_without_blocking_the_reactor");
    let mut mon =
        AsyncMonitor::new(Monitor::open().unwrap().with_class(DeviceClass::Gpio)).unwrap();
    // The chip is made only once a 50 ms timer of this runtime (it has one thread) has
    // fired while the monitor waits: a monitor that blocked the thread would hold the timer
    // back, the chip would come only after WAIT and the add event would find it unfired.
    let ticked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (go, went) = mpsc::channel::<()>();
    let (tx, rx) = mpsc::channel();
    let plug = std::thread::spawn(move || {
        let _ = went.recv_timeout(WAIT);
        let sim = SimChip::create("udrv-hotplug-async");
        let dev = device_of(&sim);
        sim.remove();
        tx.send(dev).unwrap();
    });
    let ((added, ticked_first), _) = tokio::join!(
        async {
            loop {
                let ev = tokio::time::timeout(WAIT * 2, mon.next_async())
                    .await
                    .expect("an add event in time")
                    .unwrap();
                if ev.action == Action::Add {
                    return (ev, ticked.load(std::sync::atomic::Ordering::SeqCst));
                }
            }
        },
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            ticked.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = go.send(());
        }
    );
    assert!(
        ticked_first,
        "the reactor was blocked: the timer had not fired when the add event came"
    );
    // The removal through the Stream.
    let removed = loop {
        let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut mon).poll_next(cx));
        let ev = tokio::time::timeout(WAIT, next)
            .await
            .expect("a remove event in time")
            .expect("the stream never ends")
            .unwrap();
        if ev.action == Action::Remove {
            break ev;
        }
    };
    plug.join().unwrap();
    let dev = rx.recv().unwrap();
    assert_eq!(added.device(), Some(dev.clone()));
    assert_eq!(removed.device(), Some(dev.clone()));
    assert!(removed.seqnum().unwrap() > added.seqnum().unwrap());

    // wait_for: nothing matching in time is None, not an error.
    let none = mon
        .wait_for(
            |e| e.device() == Some(dev.clone()),
            Duration::from_millis(200),
        )
        .await
        .unwrap();
    assert!(none.is_none(), "{none:?}");
    assert_eq!(mon.get_ref().rejected(), 0);
}
