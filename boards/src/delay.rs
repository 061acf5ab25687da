//! A delay on the host's clock, for drivers read on Linux buses.

use std::time::Duration;

use embedded_hal::delay::DelayNs;

/// A delay on the host's clock (`std::thread::sleep`).
#[derive(Clone, Copy, Debug, Default)]
pub struct StdDelay;

impl DelayNs for StdDelay {
    fn delay_ns(&mut self, ns: u32) {
        std::thread::sleep(Duration::from_nanos(ns.into()));
    }
}
