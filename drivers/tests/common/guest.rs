//! Helpers of the guest tiers' tests (`guest_*` in the x86 guest, `rpi_*` on the emulated
//! Raspberry Pi): the buses their fixtures set up, and a delay that sleeps.

use udrv_core::i2c::I2cBus;

/// The I2C bus whose number the fixture `fixture` exported in the environment variable
/// `var` (`UDRV_I2C_STUB_BUS`, `UDRV_RPI_I2C_BUS`).
pub fn bus_from_env(var: &str, fixture: &str) -> I2cBus {
    let n: u32 = std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} not set: {fixture} failed (see the console)"))
        .parse()
        .unwrap_or_else(|_| panic!("{var} is a number"));
    I2cBus::open(n).unwrap_or_else(|e| panic!("open /dev/i2c-{n} ({fixture}): {e}"))
}

/// The emulated Raspberry Pi's `/dev/i2c-1`, with the QEMU chip models on it.
pub fn rpi_bus() -> I2cBus {
    bus_from_env("UDRV_RPI_I2C_BUS", "the rpi fixtures")
}

/// A delay that sleeps the thread (real time, for real hardware and emulated chips).
pub struct Sleep;

impl embedded_hal::delay::DelayNs for Sleep {
    fn delay_ns(&mut self, ns: u32) {
        std::thread::sleep(std::time::Duration::from_nanos(ns.into()));
    }
}
