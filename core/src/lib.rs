#![doc = include_str!("../README.md")]
#![cfg(target_os = "linux")]

pub mod error;
pub mod gpio;
pub mod hotplug;
pub mod hwmon;
pub mod i2c;
pub mod iio;
pub mod lock;
pub mod pwm;
pub mod record;
pub mod serial;
pub mod spi;
mod sys;
pub mod sysfs;
pub mod uio;
pub mod w1;
