//! Which board: [`BoardId`], the supported board models, their names and how a device
//! tree names them, and their [`Family`].
//!
//! Plain data with no error type: [`crate::error`] names boards with it and
//! [`crate::detect`] finds one, so neither imports the other.

use std::fmt;

/// A supported board model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub enum BoardId {
    /// Raspberry Pi 3 Model B (BCM2837, `pinctrl-bcm2835`).
    Rpi3B,
    /// Raspberry Pi 3 Model B+ (BCM2837B0, `pinctrl-bcm2835`).
    Rpi3BPlus,
    /// Raspberry Pi 4 Model B (BCM2711, `pinctrl-bcm2711`).
    Rpi4B,
    /// Raspberry Pi 400 (BCM2711, `pinctrl-bcm2711`).
    Rpi400,
    /// Raspberry Pi 5 (BCM2712 + RP1, `pinctrl-rp1`).
    Rpi5,
    /// Raspberry Pi Zero 2 W (RP3A0 = BCM2837, `pinctrl-bcm2835`).
    RpiZero2W,
    /// Raspberry Pi Compute Module 4 (BCM2711, `pinctrl-bcm2711`), on an IO board with the
    /// 40-pin header.
    RpiCm4,
    /// BeagleBone Black (AM335x), with HDMI and eMMC.
    BeagleBoneBlack,
    /// BeagleBone Green (AM335x), with eMMC, no HDMI.
    BeagleBoneGreen,
    /// The virtual board (simulated chips; see the `virtual` module when present).
    Virtual,
}

/// A board family: boards of one family share tables and resolution rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Family {
    /// Raspberry Pi with the 40-pin header.
    RaspberryPi,
    /// BeagleBone with the P8 and P9 headers.
    BeagleBone,
    /// The virtual board.
    Virtual,
}

impl BoardId {
    /// Every board, in the order they are listed in messages.
    pub const ALL: &'static [BoardId] = &[
        BoardId::Rpi3B,
        BoardId::Rpi3BPlus,
        BoardId::Rpi4B,
        BoardId::Rpi400,
        BoardId::Rpi5,
        BoardId::RpiZero2W,
        BoardId::RpiCm4,
        BoardId::BeagleBoneBlack,
        BoardId::BeagleBoneGreen,
        BoardId::Virtual,
    ];

    /// The short name used by `--board` and `UDRV_BOARD` (`rpi4b`, `rpi5`, `bbb`, ...).
    pub fn slug(self) -> &'static str {
        match self {
            BoardId::Rpi3B => "rpi3b",
            BoardId::Rpi3BPlus => "rpi3b+",
            BoardId::Rpi4B => "rpi4b",
            BoardId::Rpi400 => "rpi400",
            BoardId::Rpi5 => "rpi5",
            BoardId::RpiZero2W => "rpizero2w",
            BoardId::RpiCm4 => "rpicm4",
            BoardId::BeagleBoneBlack => "bbb",
            BoardId::BeagleBoneGreen => "bbg",
            BoardId::Virtual => "virtual",
        }
    }

    /// Other accepted spellings of the short name.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            BoardId::Rpi3B => &["rpi3", "pi3b", "pi3"],
            BoardId::Rpi3BPlus => &["rpi3bplus", "rpi3bp", "pi3b+"],
            BoardId::Rpi4B => &["rpi4", "pi4b", "pi4"],
            BoardId::Rpi400 => &["pi400"],
            BoardId::Rpi5 => &["rpi5b", "pi5"],
            BoardId::RpiZero2W => &["rpiz2w", "zero2w", "pizero2w"],
            BoardId::RpiCm4 => &["cm4"],
            BoardId::BeagleBoneBlack => &["beaglebone-black", "beaglebone", "bbbw"],
            BoardId::BeagleBoneGreen => &["beaglebone-green"],
            BoardId::Virtual => &["sim"],
        }
    }

    /// The board's full name (`Raspberry Pi 4 Model B`).
    pub fn name(self) -> &'static str {
        match self {
            BoardId::Rpi3B => "Raspberry Pi 3 Model B",
            BoardId::Rpi3BPlus => "Raspberry Pi 3 Model B+",
            BoardId::Rpi4B => "Raspberry Pi 4 Model B",
            BoardId::Rpi400 => "Raspberry Pi 400",
            BoardId::Rpi5 => "Raspberry Pi 5",
            BoardId::RpiZero2W => "Raspberry Pi Zero 2 W",
            BoardId::RpiCm4 => "Raspberry Pi Compute Module 4",
            BoardId::BeagleBoneBlack => "BeagleBone Black",
            BoardId::BeagleBoneGreen => "BeagleBone Green",
            BoardId::Virtual => "virtual board",
        }
    }

    /// The family (which tables apply).
    pub fn family(self) -> Family {
        match self {
            BoardId::BeagleBoneBlack | BoardId::BeagleBoneGreen => Family::BeagleBone,
            BoardId::Virtual => Family::Virtual,
            _ => Family::RaspberryPi,
        }
    }

    /// The board named `name` (a [`slug`](Self::slug) or an alias, any case).
    pub fn from_name(name: &str) -> Option<BoardId> {
        let n = name.trim().to_ascii_lowercase().replace('_', "-");
        BoardId::ALL
            .iter()
            .copied()
            .find(|b| b.slug() == n || b.aliases().contains(&n.as_str()))
    }

    /// `rpi3b, rpi3b+, ...`: the short names, for messages.
    pub fn supported_list() -> String {
        BoardId::ALL
            .iter()
            .map(|b| b.slug())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The board a device tree describes: `compatible` entries first (exact), then the
    /// `model` string (by prefix).
    pub fn identify(model: Option<&str>, compatible: &[String]) -> Option<BoardId> {
        // Order matters: the BeagleBone Green also lists "ti,am335x-bone-black".
        const BY_COMPATIBLE: &[(&str, BoardId)] = &[
            ("raspberrypi,3-model-b", BoardId::Rpi3B),
            ("raspberrypi,3-model-b-plus", BoardId::Rpi3BPlus),
            ("raspberrypi,4-model-b", BoardId::Rpi4B),
            ("raspberrypi,400", BoardId::Rpi400),
            ("raspberrypi,5-model-b", BoardId::Rpi5),
            ("raspberrypi,model-zero-2-w", BoardId::RpiZero2W),
            ("raspberrypi,4-compute-module", BoardId::RpiCm4),
            ("ti,am335x-bone-green", BoardId::BeagleBoneGreen),
            ("ti,am335x-bone-green-wireless", BoardId::BeagleBoneGreen),
            ("ti,am335x-bone-black", BoardId::BeagleBoneBlack),
            ("ti,am335x-bone-black-wireless", BoardId::BeagleBoneBlack),
        ];
        for (c, id) in BY_COMPATIBLE {
            if compatible.iter().any(|x| x == c) {
                return Some(*id);
            }
        }
        // Longest prefixes first ("... 3 Model B Plus" before "... 3 Model B").
        const BY_MODEL: &[(&str, BoardId)] = &[
            ("Raspberry Pi 3 Model B Plus", BoardId::Rpi3BPlus),
            ("Raspberry Pi 3 Model B+", BoardId::Rpi3BPlus),
            ("Raspberry Pi 3 Model B", BoardId::Rpi3B),
            ("Raspberry Pi 4 Model B", BoardId::Rpi4B),
            ("Raspberry Pi 400", BoardId::Rpi400),
            ("Raspberry Pi 5", BoardId::Rpi5),
            ("Raspberry Pi Zero 2 W", BoardId::RpiZero2W),
            ("Raspberry Pi Compute Module 4 Rev", BoardId::RpiCm4),
            ("TI AM335x BeagleBone Green", BoardId::BeagleBoneGreen),
            ("TI AM335x BeagleBone Black", BoardId::BeagleBoneBlack),
        ];
        let model = model?.trim();
        BY_MODEL
            .iter()
            .find(|(m, _)| model.starts_with(m))
            .map(|(_, id)| *id)
    }
}

impl fmt::Display for BoardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_aliases_round_trip() {
        for b in BoardId::ALL {
            assert_eq!(BoardId::from_name(b.slug()), Some(*b));
            assert_eq!(BoardId::from_name(&b.slug().to_uppercase()), Some(*b));
        }
        assert_eq!(BoardId::from_name("rpi4"), Some(BoardId::Rpi4B));
        assert_eq!(BoardId::from_name("cm4"), Some(BoardId::RpiCm4));
        assert_eq!(BoardId::from_name("orange-pi"), None);
    }

    #[test]
    fn green_wins_over_black_it_also_lists() {
        let c: Vec<String> = [
            "ti,am335x-bone-green",
            "ti,am335x-bone-black",
            "ti,am335x-bone",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(BoardId::identify(None, &c), Some(BoardId::BeagleBoneGreen));
    }

    #[test]
    fn model_prefixes_distinguish_3b_and_3b_plus() {
        let none: Vec<String> = vec![];
        assert_eq!(
            BoardId::identify(Some("Raspberry Pi 3 Model B Plus Rev 1.3"), &none),
            Some(BoardId::Rpi3BPlus)
        );
        assert_eq!(
            BoardId::identify(Some("Raspberry Pi 3 Model B Rev 1.2"), &none),
            Some(BoardId::Rpi3B)
        );
        // The CM4S has no 40-pin header: not a CM4.
        assert_eq!(
            BoardId::identify(Some("Raspberry Pi Compute Module 4S Rev 1.0"), &none),
            None
        );
    }
}
