//! Which PWM channel drives a header pin, on each board: the controller (found in
//! `/sys/class/pwm` by its device, never by its `pwmchipN` number, which moves between
//! kernels), the channel on it, and what to put in the boot configuration when the kernel
//! has not enabled it.
//!
//! Where the mappings come from:
//! - Raspberry Pi 3/Zero 2 W (BCM2837) and 4/400/CM4 (BCM2711): PWM0 at bus address
//!   `0x7e20c000`, which the ARM sees at `0x3f20c000` (BCM2837) and `0xfe20c000`
//!   (BCM2711), hence the devices `3f20c000.pwm` and `fe20c000.pwm` (BCM2835 and BCM2711
//!   ARM peripherals datasheets, PWM chapter); channel 0 on GPIO12 (ALT0) or GPIO18
//!   (ALT5), channel 1 on GPIO13 (ALT0) or GPIO19 (ALT5), and the `pwm`/`pwm-2chan`
//!   overlays' `func` values for them, 4 (ALT0) and 2 (ALT5): the overlays' README in the
//!   Raspberry Pi kernel (`arch/arm/boot/dts/overlays/README`).
//! - Raspberry Pi 5: the RP1's PWM0 (`1f00098000.pwm`; RP1 peripherals datasheet) has four
//!   channels: GPIO12, 13, 18 and 19 are its channels 0 to 3 (RP1's GPIO function table:
//!   `PWM0_CHAN0..3`). The same overlays enable it with the same `func` values: RP1's
//!   pin controller translates the BCM2711 function numbers. Its PWM1 (`1f0009c000.pwm`)
//!   drives the fan connector, not the header.
//! - BeagleBone Black/Green (AM335x): the PWM subsystems at `0x48300000`, `0x48302000` and
//!   `0x48304000`, each with an eHRPWM at `+0x200` (channels A and B) and an eCAP at
//!   `+0x100` (AM335x technical reference manual, memory map); the header balls from the
//!   boards' system reference manuals (P9_22/P9_21 eHRPWM0A/B, P9_14/P9_16 eHRPWM1A/B,
//!   P8_19/P8_13 eHRPWM2A/B, P9_42 eCAP0). The universal cape's `config-pin PIN pwm` puts
//!   a pin in PWM mode.

use std::fmt;

use udrv_core::sysfs::SysRoot;

use crate::board::Board;
use crate::detect::BoardId;
use crate::pin::PinSpec;

/// One header pin's PWM channel on a board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PwmPin {
    /// The pin's name on the board (`GPIO18`, `P9_14`).
    pub pin: String,
    /// The controller's device name in sysfs (`fe20c000.pwm`): its unit address is what
    /// finds the `pwmchipN`.
    pub controller: &'static str,
    /// The channel on that controller (`pwmN` once exported).
    pub channel: u32,
    /// The controller's name in the SoC's documentation (`PWM0`, `eHRPWM1`).
    pub block: &'static str,
    /// What puts the pin in PWM mode and enables the controller (a config.txt line, a
    /// `config-pin` command).
    pub enable: String,
}

/// What went wrong finding a pin's PWM channel.
#[derive(Debug)]
pub enum PwmError {
    /// The pin is not one the board can drive from a PWM controller.
    NoChannel {
        /// The pin as given.
        pin: String,
        /// The board.
        board: BoardId,
        /// The pins that have one.
        pins: Vec<&'static str>,
    },
    /// The board has a channel for the pin but the kernel has not enabled its controller.
    NotEnabled(PwmPin),
    /// The pin is not on the board at all.
    Board(crate::Error),
}

impl fmt::Display for PwmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PwmError::NoChannel { pin, board, pins } if pins.is_empty() => write!(
                f,
                "{pin}: the {} has no header pin udrv knows a PWM controller for",
                board.name()
            ),
            PwmError::NoChannel { pin, board, pins } => write!(
                f,
                "{pin}: no PWM controller drives this pin on the {}; the pins with one: {}",
                board.name(),
                pins.join(", ")
            ),
            PwmError::NotEnabled(p) => write!(
                f,
                "{}: {} channel {} ({}) is not in /sys/class/pwm: the kernel has not enabled \
                 it; {} and reboot",
                p.pin, p.block, p.channel, p.controller, p.enable
            ),
            PwmError::Board(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PwmError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PwmError::Board(e) => Some(e),
            _ => None,
        }
    }
}

/// A row of a board's table: the pin, its controller, channel and block, and the
/// enabling line.
type Row = (&'static str, &'static str, u32, &'static str, &'static str);

/// Raspberry Pi before the 5: one PWM0 with two channels, each on two pins.
macro_rules! bcm_rows {
    ($dev:literal) => {
        [
            (
                "GPIO12",
                $dev,
                0,
                "PWM0",
                "add `dtoverlay=pwm,pin=12,func=4` to config.txt",
            ),
            (
                "GPIO13",
                $dev,
                1,
                "PWM0",
                "add `dtoverlay=pwm,pin=13,func=4` to config.txt",
            ),
            (
                "GPIO18",
                $dev,
                0,
                "PWM0",
                "add `dtoverlay=pwm,pin=18,func=2` to config.txt",
            ),
            (
                "GPIO19",
                $dev,
                1,
                "PWM0",
                "add `dtoverlay=pwm,pin=19,func=2` to config.txt",
            ),
        ]
    };
}

const BCM2837: [Row; 4] = bcm_rows!("3f20c000.pwm");
const BCM2711: [Row; 4] = bcm_rows!("fe20c000.pwm");

const RP1: [Row; 4] = [
    (
        "GPIO12",
        "1f00098000.pwm",
        0,
        "PWM0",
        "add `dtoverlay=pwm,pin=12,func=4` to config.txt",
    ),
    (
        "GPIO13",
        "1f00098000.pwm",
        1,
        "PWM0",
        "add `dtoverlay=pwm,pin=13,func=4` to config.txt",
    ),
    (
        "GPIO18",
        "1f00098000.pwm",
        2,
        "PWM0",
        "add `dtoverlay=pwm,pin=18,func=2` to config.txt",
    ),
    (
        "GPIO19",
        "1f00098000.pwm",
        3,
        "PWM0",
        "add `dtoverlay=pwm,pin=19,func=2` to config.txt",
    ),
];

const AM335X: [Row; 7] = [
    (
        "P9_22",
        "48300200.pwm",
        0,
        "eHRPWM0",
        "run `config-pin P9_22 pwm`",
    ),
    (
        "P9_21",
        "48300200.pwm",
        1,
        "eHRPWM0",
        "run `config-pin P9_21 pwm`",
    ),
    (
        "P9_14",
        "48302200.pwm",
        0,
        "eHRPWM1",
        "run `config-pin P9_14 pwm`",
    ),
    (
        "P9_16",
        "48302200.pwm",
        1,
        "eHRPWM1",
        "run `config-pin P9_16 pwm`",
    ),
    (
        "P8_19",
        "48304200.pwm",
        0,
        "eHRPWM2",
        "run `config-pin P8_19 pwm`",
    ),
    (
        "P8_13",
        "48304200.pwm",
        1,
        "eHRPWM2",
        "run `config-pin P8_13 pwm`",
    ),
    (
        "P9_42",
        "48300100.pwm",
        0,
        "eCAP0",
        "run `config-pin P9_42 pwm`",
    ),
];

fn table(board: BoardId) -> &'static [Row] {
    match board {
        BoardId::Rpi3B | BoardId::Rpi3BPlus | BoardId::RpiZero2W => &BCM2837,
        BoardId::Rpi4B | BoardId::Rpi400 | BoardId::RpiCm4 => &BCM2711,
        BoardId::Rpi5 => &RP1,
        BoardId::BeagleBoneBlack | BoardId::BeagleBoneGreen => &AM335X,
        BoardId::Virtual => &[],
    }
}

fn pwm_pin(row: &Row) -> PwmPin {
    let &(pin, controller, channel, block, enable) = row;
    PwmPin {
        pin: pin.to_string(),
        controller,
        channel,
        block,
        enable: enable.to_string(),
    }
}

/// Every header pin of `board` with a PWM channel, in table order.
pub fn pwm_pins(board: BoardId) -> Vec<PwmPin> {
    table(board).iter().map(pwm_pin).collect()
}

/// The PWM channel of a header pin (`"GPIO18"`, `12` the physical pin, `"P9_14"`).
pub fn pin_pwm<'a>(board: &dyn Board, pin: impl Into<PinSpec<'a>>) -> Result<PwmPin, PwmError> {
    let spec = pin.into();
    let header = board.header_pin(spec).map_err(PwmError::Board)?;
    let rows = table(board.id());
    rows.iter()
        .find(|r| r.0 == header.name)
        .map(pwm_pin)
        .ok_or_else(|| PwmError::NoChannel {
            pin: if header.name == spec.to_string() {
                header.name.to_string()
            } else {
                format!("{spec} ({})", header.name)
            },
            board: board.id(),
            pins: rows.iter().map(|r| r.0).collect(),
        })
}

/// The device name of `pwmchipN` under `root` (`fe20c000.pwm`), from its `device` link.
pub fn chip_device(root: &SysRoot, n: u32) -> Option<String> {
    let dev = std::fs::canonicalize(root.join(format!("/sys/class/pwm/pwmchip{n}/device"))).ok()?;
    Some(dev.file_name()?.to_str()?.to_string())
}

/// The unit address of a device name: `48300100` of `48300100.ecap`.
fn unit(device: &str) -> &str {
    device.split('.').next().unwrap_or(device)
}

/// The header pins of `board` that channel `channel` of the controller `device` drives.
pub fn pins_of(board: BoardId, device: &str, channel: u32) -> Vec<&'static str> {
    table(board)
        .iter()
        .filter(|r| unit(r.1) == unit(device) && r.2 == channel)
        .map(|r| r.0)
        .collect()
}

impl PwmPin {
    /// The number `N` of the `pwmchipN` under `root` whose device is this pin's controller
    /// (matched by the unit address before the dot: `48300100.ecap` on older BeagleBone
    /// kernels is the same controller as `48300100.pwm`). The error says what to enable.
    pub fn chip(&self, root: &SysRoot) -> Result<u32, PwmError> {
        udrv_core::pwm::chips(root)
            .into_iter()
            .find(|n| chip_device(root, *n).is_some_and(|d| unit(&d) == unit(self.controller)))
            .ok_or_else(|| PwmError::NotEnabled(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BeagleBone, RaspberryPi, Root};

    fn board(id: BoardId) -> Box<dyn Board> {
        let root = Root::new("/nonexistent");
        match id.family() {
            crate::Family::RaspberryPi => Box::new(RaspberryPi::with_root(id, root).unwrap()),
            _ => Box::new(BeagleBone::with_root(id, root).unwrap()),
        }
    }

    #[test]
    fn every_pin_of_every_table_is_a_header_pin_whose_functions_name_its_controller() {
        for id in BoardId::ALL
            .iter()
            .copied()
            .filter(|b| *b != BoardId::Virtual)
        {
            let b = board(id);
            let pins = pwm_pins(id);
            assert!(!pins.is_empty(), "{id:?} has no PWM table");
            for p in &pins {
                let h = b.header_pin(PinSpec::Name(&p.pin)).unwrap();
                let f = h.functions.join(" ").to_ascii_lowercase();
                let block = p.block.to_ascii_lowercase();
                // The BCM tables call PWM0's channel 1 (GPIO13/19) "PWM1".
                assert!(
                    f.contains(&block) || f.contains(&block.replace("pwm0", "pwm1")),
                    "{id:?} {}: functions {f:?} do not name {block}",
                    p.pin
                );
                assert_eq!(pin_pwm(&*b, PinSpec::Name(&p.pin)).unwrap(), *p);
            }
        }
    }

    #[test]
    fn the_pi_5_numbers_its_four_channels_by_pin_and_older_pis_share_two() {
        let ch = |id, pin| pin_pwm(&*board(id), PinSpec::Name(pin)).unwrap().channel;
        assert_eq!(
            ["GPIO12", "GPIO13", "GPIO18", "GPIO19"].map(|p| ch(BoardId::Rpi5, p)),
            [0, 1, 2, 3]
        );
        assert_eq!(
            ["GPIO12", "GPIO13", "GPIO18", "GPIO19"].map(|p| ch(BoardId::Rpi4B, p)),
            [0, 1, 0, 1]
        );
        // Physical pin 12 is GPIO18.
        let p = pin_pwm(&*board(BoardId::Rpi4B), PinSpec::Physical(12)).unwrap();
        assert_eq!((p.pin.as_str(), p.controller), ("GPIO18", "fe20c000.pwm"));
        let e = pin_pwm(&*board(BoardId::Rpi5), PinSpec::Physical(11)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "11 (GPIO17): no PWM controller drives this pin on the Raspberry Pi 5; the pins \
             with one: GPIO12, GPIO13, GPIO18, GPIO19"
        );
    }
}
