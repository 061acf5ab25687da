//! The simulation plumbing itself: how `SimI2cBus` frames transactions for a target
//! (START per direction change, merged writes, STOP also after an error), NACK kinds,
//! `SimSpiDevice` operations, and `SimLine` levels, edges, subscriptions and waits.
#![cfg(feature = "sim")]

#[path = "../../core/tests/common/asleep.rs"]
mod asleep;

use asleep::{Sleeper, ASLEEP_WAIT};
use embedded_hal::i2c::{Error as _, ErrorKind, I2c, NoAcknowledgeSource, Operation};
use embedded_hal::spi::{Operation as SpiOp, SpiDevice};
use embedded_hal_async::digital::Wait;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use udrv_drivers::sim::*;

#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Start(u8, Direction),
    Write(Vec<u8>),
    Read(usize),
    Stop,
}

#[derive(Default)]
struct Recorder {
    log: Arc<Mutex<Vec<Ev>>>,
    nack_reads: bool,
    nack_data_after: Option<usize>,
}

impl I2cTarget for Recorder {
    fn start(&mut self, address: u8, dir: Direction) -> Result<(), SimError> {
        self.log.lock().unwrap().push(Ev::Start(address, dir));
        if self.nack_reads && dir == Direction::Read {
            return Err(SimError::AddressNack);
        }
        Ok(())
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        self.log.lock().unwrap().push(Ev::Write(bytes.to_vec()));
        match self.nack_data_after {
            Some(n) if bytes.len() > n => Err(SimError::DataNack),
            _ => Ok(()),
        }
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        self.log.lock().unwrap().push(Ev::Read(buf.len()));
        buf.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        Ok(())
    }
    fn stop(&mut self) {
        self.log.lock().unwrap().push(Ev::Stop);
    }
}

#[test]
fn i2c_transactions_are_framed_like_the_wire() {
    let bus = SimI2cBus::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    bus.attach(
        0x3C,
        Recorder {
            log: log.clone(),
            ..Default::default()
        },
    );
    let mut b = bus.clone();
    let mut r = [0; 3];
    b.transaction(
        0x3C,
        &mut [
            Operation::Write(&[1]),
            Operation::Write(&[2, 3]),
            Operation::Read(&mut r),
            Operation::Write(&[4]),
        ],
    )
    .unwrap();
    assert_eq!(r, [0, 1, 2]);
    use Direction::*;
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            Ev::Start(0x3C, Write),
            Ev::Write(vec![1]),
            Ev::Write(vec![2, 3]), // merged: no START between adjacent writes
            Ev::Start(0x3C, Read), // repeated START on a direction change
            Ev::Read(3),
            Ev::Start(0x3C, Write),
            Ev::Write(vec![4]),
            Ev::Stop, // one STOP at the end
        ]
    );
    assert_eq!(bus.addresses(), vec![0x3C]);
}

#[test]
fn nacks_and_stop_after_errors() {
    let bus = SimI2cBus::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    bus.attach(
        0x10,
        Recorder {
            log: log.clone(),
            nack_reads: true,
            nack_data_after: Some(2),
        },
    );
    let mut b = bus.clone();
    // Absent address: NACK of the address, the target list untouched.
    let e = b.write(0x11, &[0]).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)
    );
    assert_eq!(e.address, 0x11);
    // A refused read header: address NACK, and the transaction still ends with STOP.
    let e = b.write_read(0x10, &[7], &mut [0; 2]).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)
    );
    assert_eq!(log.lock().unwrap().last(), Some(&Ev::Stop));
    // A data NACK.
    let e = b.write(0x10, &[1, 2, 3]).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data)
    );
    assert_eq!(log.lock().unwrap().last(), Some(&Ev::Stop));
    assert!(bus.detach(0x10));
    assert!(!bus.detach(0x10));
    assert!(b.write(0x10, &[]).is_err());
    // The async implementation routes the same way.
    let bus2 = SimI2cBus::new();
    bus2.attach(0x22, Recorder::default());
    let mut a = bus2.clone();
    let mut r = [0; 2];
    block_on(embedded_hal_async::i2c::I2c::write_read(
        &mut a,
        0x22,
        &[0],
        &mut r,
    ))
    .unwrap();
    assert_eq!(r, [0, 1]);
}

struct Echo {
    selected: bool,
    frames: Vec<Vec<u8>>,
}

impl SpiTarget for Echo {
    fn select(&mut self) {
        self.selected = true;
        self.frames.push(Vec::new());
    }
    fn transfer(&mut self, mosi: u8) -> u8 {
        assert!(self.selected, "bytes only while selected");
        self.frames.last_mut().unwrap().push(mosi);
        !mosi
    }
    fn deselect(&mut self) {
        self.selected = false;
    }
}

#[test]
fn spi_operations_in_one_chip_select() {
    let (mut dev, echo) = SimSpiDevice::new(Echo {
        selected: false,
        frames: vec![],
    });
    let mut rd = [0; 2];
    let mut tr = [0; 3];
    let mut inplace = [0x0F, 0xF0];
    dev.transaction(&mut [
        SpiOp::Write(&[1, 2]),
        SpiOp::Read(&mut rd),
        SpiOp::Transfer(&mut tr, &[9]),
        SpiOp::TransferInPlace(&mut inplace),
        SpiOp::DelayNs(100),
    ])
    .unwrap();
    assert_eq!(rd, [0xFF, 0xFF], "reads send 0x00");
    assert_eq!(tr, [!9, 0xFF, 0xFF], "a short write is padded with 0x00");
    assert_eq!(inplace, [0xF0, 0x0F]);
    assert_eq!(
        echo.lock().frames,
        vec![vec![1, 2, 0, 0, 9, 0, 0, 0x0F, 0xF0]]
    );
    assert!(!echo.lock().selected);
    dev.fail_next();
    assert!(dev.write(&[1]).is_err());
    assert_eq!(
        echo.lock().frames.len(),
        1,
        "a failed transaction never selects"
    );
    block_on(embedded_hal_async::spi::SpiDevice::write(&mut dev, &[5])).unwrap();
    assert_eq!(echo.lock().frames.len(), 2);
}

#[test]
fn lines_report_levels_edges_and_wake_waiters() {
    let line = SimLine::new(true);
    let rx = line.subscribe();
    line.set(true); // no change, no edge
    line.set(false);
    line.set(true);
    assert_eq!(line.edges(), (1, 1));
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![false, true]);
    // A blocking wait and an async wait, each woken by another thread once this one is
    // asleep in it (not after a guessed delay: a late wait would see the wrong change).
    let l2 = line.clone();
    let waiter = Sleeper::this_thread("the test thread");
    let woken = Arc::new(AtomicBool::new(false));
    let woken2 = woken.clone();
    let t = std::thread::spawn(move || {
        // (Past the deadline the change comes anyway: the test then fails, not hangs.)
        waiter.asleep_within(ASLEEP_WAIT);
        l2.set(false);
        while !woken2.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        waiter.asleep_within(ASLEEP_WAIT);
        l2.set(true);
    });
    assert!(
        !line.wait_change(ASLEEP_WAIT * 2),
        "the change to low woke the wait"
    );
    woken.store(true, Ordering::SeqCst);
    let mut w = line.clone();
    block_on(w.wait_for_rising_edge()).unwrap();
    t.join().unwrap();
    assert!(line.is_high());
    // A level that already holds completes at once; a timeout returns the level.
    block_on(w.wait_for_high()).unwrap();
    assert!(line.wait_change(Duration::from_millis(10)));
    assert!(embedded_hal::digital::InputPin::is_high(&mut w).unwrap());
}

#[test]
fn shareable_across_threads_and_tasks() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<SimI2cBus>();
    send_sync::<SimSpiDevice>();
    send_sync::<SimLine>();
    send_sync::<SimHandle<udrv_drivers::lm75::model::Lm75Model>>();
    // Driver futures over the simulated buses can go to a multi-threaded executor.
    let bus = SimI2cBus::new();
    bus.attach(0x48, udrv_drivers::lm75::model::Lm75Model::lm75());
    let mut lm75 = udrv_drivers::lm75::Lm75::new(bus.clone(), 0x48);
    let fut = lm75.temperature_async();
    send(&fut);
    assert_eq!(block_on(fut).unwrap().as_millicelsius(), 0);
    let mut line = SimLine::new(true);
    let wait = line.wait_for_low();
    send(&wait);
    drop(wait);
    // And a bus used from several threads at once keeps transactions whole.
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let bus = bus.clone();
            std::thread::spawn(move || {
                let mut d = udrv_drivers::lm75::Lm75::new(bus, 0x48);
                for _ in 0..200 {
                    d.temperature().unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
}
