//! Helpers shared by the core crate's guest tests (`mod common;` in each file that uses
//! them): the fixtures' environment and the I2C adapters they set up. Each test binary
//! uses some of them; what one leaves unused is not dead code.
#![allow(dead_code)]

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
