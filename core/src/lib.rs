#![doc = include_str!("../README.md")]
#![cfg(target_os = "linux")]

pub mod error;
pub mod gpio;
pub mod hotplug;
pub mod i2c;
pub mod lock;
pub mod record;
pub mod serial;
pub mod spi;
mod sys;
pub mod uio;
