//! Shared test helpers.
#![allow(dead_code)]

use embedded_hal_mock::eh1::i2c::Transaction;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use udrv_drivers::ds3231::DateTime;

struct Unpark(std::thread::Thread);
impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Run a future to completion (the mocks never pend).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// The I2C address of the DS1307/DS1338 and of the DS3231.
pub const RTC_ADDR: u8 = 0x68;
/// Their first time register (seconds; 00h..06h hold the time alike).
pub const SECONDS: u8 = 0x00;

/// The bytes of a DS1307/DS3231 reading 11:59:59 PM in 12-hour mode, day 7, 31 Dec 2099,
/// then being set to 07:30:00, day 1, 22 Nov 2026.
pub fn rtc_time_transactions() -> [Transaction; 2] {
    [
        Transaction::write_read(
            RTC_ADDR,
            vec![SECONDS],
            vec![0x59, 0x59, 0x71, 0x07, 0x31, 0x12, 0x99],
        ),
        Transaction::write(
            RTC_ADDR,
            vec![SECONDS, 0x00, 0x30, 0x07, 0x01, 0x22, 0x11, 0x26],
        ),
    ]
}

/// A Sensirion data word with its CRC, computed here bit by bit from the datasheets'
/// parameters (SHT3x-DIS §4.12 table 19, SHTC3 §5.10: width 8, polynomial 0x31 =
/// x^8 + x^5 + x^4 + 1, init 0xFF).
pub fn sensirion_word(w: u16) -> Vec<u8> {
    let b = w.to_be_bytes();
    // Init 0xFF = the first 8 message bits inverted; append 8 zero bits; long division.
    let mut r: u32 = (u32::from(w) ^ 0xFF00) << 8;
    for i in (8..24).rev() {
        if r & (1 << i) != 0 {
            r ^= 0x131 << (i - 8);
        }
    }
    vec![b[0], b[1], r as u8]
}

/// Check a Sensirion driver's conversions against `T = -45 + 175 × S / den` and
/// `RH = 100 × S / den` in floating point, across the raw range: each result within half
/// a milli-unit (rounded to nearest).
pub fn check_sensirion_conversion(
    den: f64,
    temperature: impl Fn(u16) -> udrv_drivers::Temperature,
    humidity: impl Fn(u16) -> udrv_drivers::Humidity,
) {
    for s in (0..=0xFFFFu32).step_by(977) {
        let t = -45.0 + 175.0 * s as f64 / den;
        let rh = 100.0 * s as f64 / den;
        let got_t = temperature(s as u16).as_millicelsius() as f64 / 1000.0;
        let got_rh = humidity(s as u16).as_millipercent() as f64 / 1000.0;
        assert!((got_t - t).abs() <= 0.000_500_1, "{s}: {got_t} vs {t}");
        assert!((got_rh - rh).abs() <= 0.000_500_1, "{s}: {got_rh} vs {rh}");
    }
}

/// Run `f` on another thread 20 ms from now (a button pressed while a driver waits).
pub fn later(f: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        f()
    })
}

/// The DPS310's compensation (datasheet §4.9.1 and §4.9.2) evaluated in f64 straight from
/// the datasheet's text: (temperature in °C, pressure in Pa) from the raw results and
/// their scale factors kP, kT.
pub fn dps310_reference(
    c: &udrv_drivers::dps310::Calibration,
    praw: i32,
    kp: f64,
    traw: i32,
    kt: f64,
) -> (f64, f64) {
    let t_sc = traw as f64 / kt;
    let p_sc = praw as f64 / kp;
    let t = c.c0 as f64 * 0.5 + c.c1 as f64 * t_sc;
    let p = c.c00 as f64
        + p_sc * (c.c10 as f64 + p_sc * (c.c20 as f64 + p_sc * c.c30 as f64))
        + t_sc * c.c01 as f64
        + t_sc * p_sc * (c.c11 as f64 + p_sc * c.c21 as f64);
    (t, p)
}

#[cfg(udrv_guest)]
pub mod guest;

/// A simulated I2C bus with `model` attached at `address`, and the model's handle.
#[cfg(feature = "sim")]
pub fn sim_bus<M: udrv_drivers::sim::I2cTarget + 'static>(
    address: u8,
    model: M,
) -> (
    udrv_drivers::sim::SimI2cBus,
    udrv_drivers::sim::SimHandle<M>,
) {
    let bus = udrv_drivers::sim::SimI2cBus::new();
    let chip = bus.attach(address, model);
    (bus, chip)
}

/// A checked date and time of the DS3231 / DS1307 drivers (panics if out of range).
pub fn dt(y: u16, mo: u8, d: u8, wd: u8, h: u8, mi: u8, s: u8) -> DateTime {
    DateTime::new(y, mo, d, wd, h, mi, s).unwrap()
}

/// `len` test bytes that differ from their neighbours: byte `i` is `i × step + seed`
/// (wrapping).
pub fn pattern(len: usize, step: u8, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(step).wrapping_add(seed))
        .collect()
}
