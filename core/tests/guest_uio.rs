//! UIO against the real kernel: QEMU's `edu` PCI device bound to uio_pci_generic, run
//! inside the guest by `cargo xtask vmtest --only guest_uio`. Fixtures from
//! `xtask/guest/fixtures.sh`: `UDRV_UIO` (/dev/uioN) and `UDRV_EDU_PCI` (PCI address).
//!
//! edu BAR0 (map 0): 0x00 identification 0x010000ed; 0x04 liveness (reads back the
//! inverse of what was written); 0x24 interrupt status; 0x60 raise interrupt
//! (status |= value); 0x64 acknowledge (status &= !value); 0x80 DMA source address
//! (64-bit). Below 0x80 edu answers only 4-byte accesses (narrower reads return 0).
// The docs come first: on the host the crate is empty and still needs them (missing_docs).
#![cfg(udrv_guest)]

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use udrv_core::uio::{self, Error, Mapping, Uio};

const EDU_ID: u32 = 0x0100_00ed;
const REG_ID: usize = 0x00;
const REG_LIVENESS: usize = 0x04;
const REG_IRQ_STATUS: usize = 0x24;
const REG_IRQ_RAISE: usize = 0x60;
const REG_IRQ_ACK: usize = 0x64;
const REG_DMA_SRC: usize = 0x80;

fn fixture(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("fixture variable {name} is not set: xtask/guest/fixtures.sh could not set it up")
    })
}

fn uio_path() -> PathBuf {
    fixture("UDRV_UIO").into()
}

fn uio_number() -> u32 {
    let p = uio_path();
    let n = p.file_name().unwrap().to_str().unwrap();
    n.strip_prefix("uio").unwrap().parse().unwrap()
}

/// Kills the test binary if a blocking wait hangs (instead of hanging the guest until the
/// harness's timeout). Disarmed on drop.
struct Watchdog(mpsc::Sender<()>);

fn watchdog(what: &'static str) -> Watchdog {
    let (tx, rx) = mpsc::channel::<()>();
    thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_secs(60)) {
            eprintln!("watchdog: {what} hung for 60 s");
            std::process::exit(3);
        }
    });
    Watchdog(tx)
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// Opens the device, maps BAR0, and makes sure the interrupt path is clean: no pending
/// status, INTx enabled, no unread interrupt.
fn setup() -> (Uio, Mapping) {
    let dev = Uio::open_path(uio_path()).unwrap();
    let bar = dev.map(0).unwrap();
    let st = bar.read32(REG_IRQ_STATUS).unwrap();
    if st != 0 {
        bar.write32(REG_IRQ_ACK, st).unwrap();
    }
    dev.pci_intx_enable().unwrap();
    while dev.try_wait_irq().unwrap().is_some() {}
    (dev, bar)
}

/// Acknowledges the interrupt in the device and re-enables it.
fn ack(dev: &Uio, bar: &Mapping) {
    let st = bar.read32(REG_IRQ_STATUS).unwrap();
    bar.write32(REG_IRQ_ACK, st).unwrap();
    assert_eq!(bar.read32(REG_IRQ_STATUS).unwrap(), 0);
    dev.rearm().unwrap();
}

/// Waits until the kernel counted more than `count` interrupts (sysfs `event`).
fn wait_count_above(count: u32) -> u32 {
    let t0 = Instant::now();
    loop {
        let now = uio::info(uio_number()).unwrap().event_count;
        if now > count {
            return now;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "interrupt count stuck at {now}"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn devices_are_listed_with_their_maps() {
    let all = uio::devices().unwrap();
    let d = all
        .iter()
        .find(|d| d.path == uio_path())
        .unwrap_or_else(|| panic!("{} not in {all:?}", uio_path().display()));
    assert_eq!(d.name, "uio_pci_generic");
    assert!(!d.version.is_empty());
    assert!(!d.maps.is_empty(), "{d:?}");
    let m0 = &d.maps[0];
    assert_eq!(m0.index, 0);
    assert_eq!(m0.size, 1 << 20, "edu BAR0 is 1 MiB: {m0:?}");
    assert_ne!(m0.addr, 0);
    // The map's address is the PCI BAR's.
    let res = std::fs::read_to_string(format!(
        "/sys/bus/pci/devices/{}/resource",
        fixture("UDRV_EDU_PCI")
    ))
    .unwrap();
    let bar0 = res
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert_eq!(
        u64::from_str_radix(bar0.trim_start_matches("0x"), 16).unwrap(),
        m0.addr
    );
    assert_eq!(uio::find("uio_pci_generic").unwrap().number, d.number);
    assert!(matches!(
        uio::find("no-such-uio"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn open_by_number_path_and_name() {
    let n = uio_number();
    assert_eq!(Uio::open(n).unwrap().number(), n);
    assert_eq!(Uio::open_path(uio_path()).unwrap().number(), n);
    assert_eq!(Uio::open_by_name("uio_pci_generic").unwrap().number(), n);
    let e = Uio::open(250).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT), "{e}");
    assert!(e.to_string().contains("/dev/uio250"));
}

#[test]
fn map_reads_the_id_register() {
    let dev = Uio::open_path(uio_path()).unwrap();
    let bar = dev.map(0).unwrap();
    assert_eq!(bar.size(), 1 << 20);
    assert_eq!(bar.read32(REG_ID).unwrap(), EDU_ID);
    // edu's DMA source address register (0x80) takes 64-bit accesses.
    bar.write64(REG_DMA_SRC, 0x1122_3344_5566_7788).unwrap();
    assert_eq!(bar.read64(REG_DMA_SRC).unwrap(), 0x1122_3344_5566_7788);
    bar.write64(REG_DMA_SRC, 0).unwrap();
    for v in [0u32, 0x1234_5678, 0xffff_ffff] {
        bar.write32(REG_LIVENESS, v).unwrap();
        assert_eq!(bar.read32(REG_LIVENESS).unwrap(), !v);
    }
}

#[test]
fn register_access_is_checked() {
    let dev = Uio::open_path(uio_path()).unwrap();
    let bar = dev.map(0).unwrap();
    let size = bar.size();
    assert!(matches!(
        bar.read32(size),
        Err(Error::OutOfRange { offset, width: 4, size: s }) if offset == size && s == size
    ));
    assert!(matches!(
        bar.write32(size - 2, 0),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        bar.read32(REG_LIVENESS + 1),
        Err(Error::Misaligned {
            offset: 5,
            width: 4
        })
    ));
    assert!(matches!(dev.map(4), Err(Error::NoSuchMap { index: 4, .. })));
    // The device still answers after the refused accesses.
    assert_eq!(bar.read32(REG_ID).unwrap(), EDU_ID);
}

#[test]
fn irqcontrol_is_reported_unsupported_by_uio_pci_generic() {
    let dev = Uio::open_path(uio_path()).unwrap();
    match dev.enable_irq() {
        Err(Error::IrqControlUnsupported { errno, .. }) => assert_eq!(errno, libc::ENOSYS),
        other => panic!("expected IrqControlUnsupported, got {other:?}"),
    }
    assert!(matches!(
        dev.disable_irq(),
        Err(Error::IrqControlUnsupported { .. })
    ));
    // The PCI path works instead.
    dev.pci_intx_disable().unwrap();
    dev.pci_intx_enable().unwrap();
    dev.rearm().unwrap();
}

#[test]
fn interrupt_blocking_wait() {
    let (dev, bar) = setup();
    let before = uio::info(uio_number()).unwrap().event_count;
    let _wd = watchdog("blocking wait_irq");
    let b2 = dev.map(0).unwrap();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        b2.write32(REG_IRQ_RAISE, 0x1).unwrap();
    });
    let irq = dev.wait_irq().unwrap();
    t.join().unwrap();
    assert_eq!(irq.count, before + 1);
    assert_eq!(irq.missed, 0);
    assert_eq!(bar.read32(REG_IRQ_STATUS).unwrap(), 0x1);
    ack(&dev, &bar);
    // A second one after re-arming.
    bar.write32(REG_IRQ_RAISE, 0x2).unwrap();
    let irq = dev.wait_irq().unwrap();
    assert_eq!(irq.count, before + 2);
    assert_eq!(irq.missed, 0);
    ack(&dev, &bar);
}

#[test]
fn interrupt_wait_with_timeout() {
    let (dev, bar) = setup();
    // Nothing raised: the wait times out.
    let t0 = Instant::now();
    assert_eq!(
        dev.wait_irq_timeout(Duration::from_millis(300)).unwrap(),
        None
    );
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(dev.try_wait_irq().unwrap(), None);
    // Raised: the wait returns it.
    bar.write32(REG_IRQ_RAISE, 0x4).unwrap();
    let irq = dev
        .wait_irq_timeout(Duration::from_secs(60))
        .unwrap()
        .expect("interrupt within the timeout");
    assert_eq!(irq.missed, 0);
    ack(&dev, &bar);
}

#[test]
fn interrupt_is_masked_until_rearmed() {
    let (dev, bar) = setup();
    bar.write32(REG_IRQ_RAISE, 0x1).unwrap();
    dev.wait_irq_timeout(Duration::from_secs(60))
        .unwrap()
        .expect("first interrupt");
    // Acknowledge in the device but do not re-enable INTx: the next one is held back.
    bar.write32(REG_IRQ_ACK, 0x1).unwrap();
    bar.write32(REG_IRQ_RAISE, 0x1).unwrap();
    assert_eq!(
        dev.wait_irq_timeout(Duration::from_millis(300)).unwrap(),
        None,
        "uio_pci_generic masks INTx after each interrupt"
    );
    dev.rearm().unwrap();
    dev.wait_irq_timeout(Duration::from_secs(60))
        .unwrap()
        .expect("delivered once re-armed");
    ack(&dev, &bar);
}

#[test]
fn missed_interrupts_are_counted() {
    let (dev, bar) = setup();
    let start = uio::info(uio_number()).unwrap().event_count;
    // Two interrupts, neither read.
    bar.write32(REG_IRQ_RAISE, 0x1).unwrap();
    let c = wait_count_above(start);
    ack(&dev, &bar);
    bar.write32(REG_IRQ_RAISE, 0x1).unwrap();
    wait_count_above(c);
    ack(&dev, &bar);
    let irq = dev.try_wait_irq().unwrap().expect("interrupts pending");
    assert_eq!(irq.count, start + 2);
    assert_eq!(irq.missed, 1, "{irq:?}");
    assert_eq!(dev.try_wait_irq().unwrap(), None);
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn interrupt_async_wait() {
    use uio::AsyncUio;
    let (dev, bar) = setup();
    let dev = AsyncUio::new(dev).unwrap();
    let b2 = dev.get_ref().map(0).unwrap();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        b2.write32(REG_IRQ_RAISE, 0x8).unwrap();
    });
    let irq = tokio::time::timeout(Duration::from_secs(60), dev.wait_irq())
        .await
        .expect("interrupt in time")
        .unwrap();
    t.join().unwrap();
    assert_eq!(irq.missed, 0);
    assert_eq!(bar.read32(REG_IRQ_STATUS).unwrap(), 0x8);
    ack(dev.get_ref(), &bar);
    // No interrupt: the async wait stays pending.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), dev.wait_irq())
            .await
            .is_err()
    );
    // Two waits in a row, each for its own interrupt.
    for bit in [0x10u32, 0x20] {
        bar.write32(REG_IRQ_RAISE, bit).unwrap();
        let irq = tokio::time::timeout(Duration::from_secs(60), dev.wait_irq())
            .await
            .expect("interrupt in time")
            .unwrap();
        assert_eq!(irq.missed, 0);
        ack(dev.get_ref(), &bar);
    }
}
