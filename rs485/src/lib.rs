#![doc = include_str!("../README.md")]
#![cfg(target_os = "linux")]

pub mod capture;
pub mod crc;
pub mod extcap;
pub mod frame;
pub mod framer;
pub mod pcap;
pub mod rawlog;
pub mod rotate;
pub mod time;

pub use capture::{run, CaptureConfig, Output, PortSpec, StopReason, Summary};
pub use frame::{Direction, Frame, Status};
pub use framer::{Framer, FramerKind};
pub use pcap::{Format, LinkType};
pub use time::Timestamp;
pub use udrv_core::serial::{LineSettings, Parity, StopBits};
