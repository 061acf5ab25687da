#![doc = include_str!("../README.md")]
#![cfg(target_os = "linux")]

mod beaglebone;
mod board;
mod bus;
pub mod catalog;
mod delay;
pub mod detect;
mod error;
mod id;
mod pin;
pub mod pwm;
mod rpi;
mod sysfs;
#[cfg(feature = "virtual")]
pub mod r#virtual;

pub use beaglebone::BeagleBone;
pub use board::{
    Board, BoardInfo, BusKind, BusStatus, ChipStatus, I2cRef, LineState, PinRow, PinTable, SpiRef,
    UartRef,
};
pub use delay::StdDelay;
pub use detect::{detect, detect_in, detect_with, BoardId, Detected, Family, Source, ENV_BOARD};
pub use error::{Error, Result};
pub use pin::{ChipFoundBy, GpioLine, HeaderPin, PinKind, PinRef, PinSpec, Reservation, Reserved};
pub use rpi::RaspberryPi;
pub use sysfs::{FoundBy, Root};

/// Detects the board (`UDRV_BOARD`, else the device tree) and opens it.
pub fn open() -> Result<Box<dyn Board>> {
    open_with(&Root::system(), None)
}

/// Detects the board under `root` (or takes `override_name`, the CLI's `--board`, or
/// `UDRV_BOARD`) and opens it with its `/dev`, `/sys` and `/boot` under `root`.
pub fn open_with(root: &Root, override_name: Option<&str>) -> Result<Box<dyn Board>> {
    let d = detect_with(root, override_name)?;
    board_for(d, root.clone())
}

/// Opens a detected board with its devices under `root` (use [`Root::system`] for a real
/// board even when the detection read a fixture device tree).
pub fn board_for(detected: Detected, root: Root) -> Result<Box<dyn Board>> {
    let id = detected.id;
    match id.family() {
        Family::RaspberryPi => Ok(Box::new(
            RaspberryPi::with_root(id, root)?.with_detected(detected),
        )),
        Family::BeagleBone => Ok(Box::new(
            BeagleBone::with_root(id, root)?.with_detected(detected),
        )),
        // The virtual board: simulated chips, environment on the wall clock (as the CLI
        // uses it). `root` does not apply.
        #[cfg(feature = "virtual")]
        Family::Virtual => Ok(Box::new(r#virtual::VirtualBoard::wall_clock())),
        #[cfg(not(feature = "virtual"))]
        Family::Virtual => Err(Error::NotBuiltIn { id }),
    }
}

/// Opens board `id` on this system, without detection.
pub fn board(id: BoardId) -> Result<Box<dyn Board>> {
    board_for(
        Detected {
            id,
            model: None,
            compatible: vec![],
            source: Source::Override {
                from: "code".into(),
            },
        },
        Root::system(),
    )
}
