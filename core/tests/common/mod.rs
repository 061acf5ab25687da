//! Helpers shared by the core crate's guest tests (`mod common;` in each file that uses
//! them): the fixtures' environment and the I2C adapters they set up. Each test binary
//! uses some of them; what one leaves unused is not dead code.
#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use udrv_core::i2c::I2cBus;

/// A fixture variable (xtask/guest/fixtures.sh); its absence fails the test, naming it.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("fixture variable {name} is not set (see xtask/guest/fixtures.sh)")
    })
}

/// The i2c-stub bus: SMBus-only, register-file chips at 0x48 0x50 0x52 0x53.
pub fn stub() -> I2cBus {
    let n: u32 = env("UDRV_I2C_STUB_BUS")
        .parse()
        .expect("UDRV_I2C_STUB_BUS is a number");
    I2cBus::open(n).expect("open the i2c-stub bus")
}

/// The i2c-parport bus: a plain I2C adapter where every address acknowledges.
pub fn parport() -> I2cBus {
    let n: u32 = env("UDRV_I2C_PARPORT_BUS")
        .parse()
        .expect("UDRV_I2C_PARPORT_BUS is a number");
    I2cBus::open(n).expect("open the i2c-parport bus")
}

/// A single-threaded tokio runtime with timers: an async call that blocked its thread
/// would stop everything else on it.
pub fn one_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// Awaits `op` (on a [`one_thread_runtime`]) while a ticker task counts the milliseconds,
/// and fails unless `op` took at least `min` (long enough to tell) and the ticker advanced
/// meanwhile: `op` ran off the reactor thread. What `op` returned.
pub async fn off_the_reactor<T>(min: Duration, op: impl Future<Output = T>) -> T {
    let ticks = Arc::new(AtomicUsize::new(0));
    let t = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
            t.fetch_add(1, Ordering::Relaxed);
        }
    });
    tokio::task::yield_now().await;
    let before = ticks.load(Ordering::Relaxed);
    let started = Instant::now();
    let r = op.await;
    let during = ticks.load(Ordering::Relaxed) - before;
    let took = started.elapsed();
    assert!(took >= min, "the transfer was too quick to tell: {took:?}");
    assert!(
        during > 0,
        "no tick during a {took:?} transfer: the reactor was blocked"
    );
    ticker.abort();
    r
}

/// Runs `work` on a thread of its own for each of `items` (each thread gets its own clone
/// of `work` and what it captured) and waits for them all; a panic on one fails the test.
pub fn on_threads<T: Send + 'static>(
    items: impl IntoIterator<Item = T>,
    work: impl FnOnce(T) + Clone + Send + 'static,
) {
    let threads: Vec<_> = items
        .into_iter()
        .map(|item| {
            let work = work.clone();
            std::thread::spawn(move || work(item))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Checks a handle's cross-process lock on its device node `node`: `lock` takes it there;
/// while it is held `try_lock` finds it taken (flock locks belong to an open file
/// description: a second one, even in this process, must wait), and free once dropped.
pub fn check_cross_process_lock<E: std::fmt::Debug>(
    node: &std::path::Path,
    lock: impl Fn() -> Result<udrv_core::lock::BusLock, E>,
    try_lock: impl Fn() -> Result<Option<udrv_core::lock::BusLock>, E>,
) {
    let guard = lock().unwrap();
    assert_eq!(guard.path(), node);
    assert!(try_lock().unwrap().is_none());
    drop(guard);
    assert!(try_lock().unwrap().is_some());
}
