//! BeagleBone Black / Green data: the P8 and P9 headers, GPIO banks, the line names the
//! device tree publishes, and the buses.
//!
//! Sources:
//! - Header pin <-> GPIO bank/offset: `include/dt-bindings/board/am335x-bone-pins.h`
//!   (`gpio_P9_12 = &gpio1 28`, ...) in beagleboard/BeagleBoard-DeviceTrees, which agrees
//!   with the BeagleBone Black System Reference Manual, section 7 (expansion headers).
//! - Line names: `gpio-line-names` of `&gpio0`..`&gpio3` in the kernel's
//!   `arch/arm/boot/dts/ti/omap/am335x-boneblack.dts` (mainline and beagleboard/linux):
//!   `"P9_12"`, `"P8_13 [ehrpwm2b]"`, `"P8_3 [mmc1_dat6]"`, ... (no zero padding; pins
//!   wired to two balls are named `P9_41A`/`P9_41B`). Other kernels name lines
//!   `"P9_12 [GPIO1_28]"` or `"P8_03"`: [`line_name_matches`] accepts all of these.
//! - Chip labels: `drivers/gpio/gpio-omap.c` labels each bank `gpio-<first>-<last>` by
//!   probe order (`gpio-32-63`); which bank gets which label is therefore not guaranteed,
//!   and banks are identified by line names first, then by the controller's address in
//!   sysfs (`4804c000.gpio`), and only then by label.
//! - HDMI and eMMC pins: `am335x-boneblack-hdmi.dtsi` (LCD data, sync and McASP0 audio
//!   pins, claimed by the TDA19988 framer) and the `&mmc2` eMMC node of
//!   `am335x-boneblack-common.dtsi`; the `disable_uboot_overlay_*` lines are U-Boot's
//!   (`/boot/uEnv.txt` on BeagleBoard.org images).
//! - Buses: controller addresses from `am33xx-l4.dtsi` (I2C1 `4802a000`, I2C2
//!   `4819c000`, McSPI0 `48030000`, McSPI1 `481a0000`, UART0 `44e09000`, UART1
//!   `48022000`, UART2 `48024000`, UART4 `481a8000`); overlays from
//!   beagleboard/bb.org-overlays (`BB-I2C1-00A0.dtbo`, `BB-SPIDEV0-00A0.dtbo`, ...).

/// Labels gpio-omap gives the four banks (in probe order).
pub(crate) const BANK_LABELS: [&str; 4] = ["gpio-0-31", "gpio-32-63", "gpio-64-95", "gpio-96-127"];

/// The banks' platform devices (address.name), as they appear in sysfs paths.
pub(crate) const BANK_DEVICES: [&str; 4] = [
    "44e07000.gpio",
    "4804c000.gpio",
    "481ac000.gpio",
    "481ae000.gpio",
];

/// `gpio-line-names` of `&gpio0`..`&gpio3` in `am335x-boneblack.dts`.
pub(crate) const LINE_NAMES: [[&str; 32]; 4] = [
    [
        "[mdio_data]",
        "[mdio_clk]",
        "P9_22 [spi0_sclk]",
        "P9_21 [spi0_d0]",
        "P9_18 [spi0_d1]",
        "P9_17 [spi0_cs0]",
        "[mmc0_cd]",
        "P9_42A [ecappwm0]",
        "P8_35 [lcd d12]",
        "P8_33 [lcd d13]",
        "P8_31 [lcd d14]",
        "P8_32 [lcd d15]",
        "P9_20 [i2c2_sda]",
        "P9_19 [i2c2_scl]",
        "P9_26 [uart1_rxd]",
        "P9_24 [uart1_txd]",
        "[rmii1_txd3]",
        "[rmii1_txd2]",
        "[usb0_drvvbus]",
        "[hdmi cec]",
        "P9_41B",
        "[rmii1_txd1]",
        "P8_19 [ehrpwm2a]",
        "P8_13 [ehrpwm2b]",
        "NC",
        "NC",
        "P8_14",
        "P8_17",
        "[rmii1_txd0]",
        "[rmii1_refclk]",
        "P9_11 [uart4_rxd]",
        "P9_13 [uart4_txd]",
    ],
    [
        "P8_25 [mmc1_dat0]",
        "[mmc1_dat1]",
        "P8_5 [mmc1_dat2]",
        "P8_6 [mmc1_dat3]",
        "P8_23 [mmc1_dat4]",
        "P8_22 [mmc1_dat5]",
        "P8_3 [mmc1_dat6]",
        "P8_4 [mmc1_dat7]",
        "NC",
        "NC",
        "NC",
        "NC",
        "P8_12",
        "P8_11",
        "P8_16",
        "P8_15",
        "P9_15A",
        "P9_23",
        "P9_14 [ehrpwm1a]",
        "P9_16 [ehrpwm1b]",
        "[emmc rst]",
        "[usr0 led]",
        "[usr1 led]",
        "[usr2 led]",
        "[usr3 led]",
        "[hdmi irq]",
        "[usb vbus oc]",
        "[hdmi audio]",
        "P9_12",
        "P8_26",
        "P8_21 [emmc]",
        "P8_20 [emmc]",
    ],
    [
        "P9_15B",
        "P8_18",
        "P8_7",
        "P8_8",
        "P8_10",
        "P8_9",
        "P8_45 [hdmi]",
        "P8_46 [hdmi]",
        "P8_43 [hdmi]",
        "P8_44 [hdmi]",
        "P8_41 [hdmi]",
        "P8_42 [hdmi]",
        "P8_39 [hdmi]",
        "P8_40 [hdmi]",
        "P8_37 [hdmi]",
        "P8_38 [hdmi]",
        "P8_36 [hdmi]",
        "P8_34 [hdmi]",
        "[rmii1_rxd3]",
        "[rmii1_rxd2]",
        "[rmii1_rxd1]",
        "[rmii1_rxd0]",
        "P8_27 [hdmi]",
        "P8_29 [hdmi]",
        "P8_28 [hdmi]",
        "P8_30 [hdmi]",
        "[mmc0_dat3]",
        "[mmc0_dat2]",
        "[mmc0_dat1]",
        "[mmc0_dat0]",
        "[mmc0_clk]",
        "[mmc0_cmd]",
    ],
    [
        "[mii col]",
        "[mii crs]",
        "[mii rx err]",
        "[mii tx en]",
        "[mii rx dv]",
        "[i2c0 sda]",
        "[i2c0 scl]",
        "[jtag emu0]",
        "[jtag emu1]",
        "[mii tx clk]",
        "[mii rx clk]",
        "NC",
        "NC",
        "[usb vbus en]",
        "P9_31 [spi1_sclk]",
        "P9_29 [spi1_d0]",
        "P9_30 [spi1_d1]",
        "P9_28 [spi1_cs0]",
        "P9_42B [ecappwm0]",
        "P9_27",
        "P9_41A",
        "P9_25",
        "NC",
        "NC",
        "NC",
        "NC",
        "NC",
        "NC",
        "NC",
        "NC",
        "NC",
        "NC",
    ],
];

/// What holds a pin by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hold {
    /// The HDMI framer's LCD interface (BeagleBone Black only).
    Hdmi,
    /// The HDMI framer's audio (McASP0; BeagleBone Black only).
    HdmiAudio,
    /// The on-board eMMC.
    Emmc,
}

impl Hold {
    pub(crate) fn by(self) -> &'static str {
        match self {
            Hold::Hdmi => "HDMI",
            Hold::HdmiAudio => "HDMI audio",
            Hold::Emmc => "eMMC",
        }
    }

    pub(crate) fn free_with(self) -> &'static str {
        match self {
            Hold::Hdmi => "add disable_uboot_overlay_video=1 to /boot/uEnv.txt and reboot (HDMI video is then off)",
            Hold::HdmiAudio => "add disable_uboot_overlay_audio=1 to /boot/uEnv.txt and reboot (HDMI audio is then off)",
            Hold::Emmc => "boot from the microSD card with disable_uboot_overlay_emmc=1 in /boot/uEnv.txt (the eMMC is then unusable)",
        }
    }
}

/// A P8/P9 pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bb {
    /// A GPIO: bank, offset, alternate functions, default holder.
    Gpio(u32, u32, &'static [&'static str], Option<Hold>),
    /// A supply.
    Power(&'static str),
    /// Ground.
    Ground(&'static str),
    /// Analog input, reset, power button.
    Other(&'static str),
}

use Bb::{Ground as G, Other as O, Power as P};
use Hold::{Emmc as EMMC, Hdmi as HDMI, HdmiAudio as AUDIO};

const fn g(bank: u32, off: u32, f: &'static [&'static str]) -> Bb {
    Bb::Gpio(bank, off, f, None)
}

const fn held(bank: u32, off: u32, f: &'static [&'static str], h: Hold) -> Bb {
    Bb::Gpio(bank, off, f, Some(h))
}

/// P8, pins 1..=46 (index = pin - 1).
pub(crate) const P8: [Bb; 46] = [
    G("GND"),                                        // 1
    G("GND"),                                        // 2
    held(1, 6, &["MMC1_DAT6"], EMMC),                // 3
    held(1, 7, &["MMC1_DAT7"], EMMC),                // 4
    held(1, 2, &["MMC1_DAT2"], EMMC),                // 5
    held(1, 3, &["MMC1_DAT3"], EMMC),                // 6
    g(2, 2, &["TIMER4"]),                            // 7
    g(2, 3, &["TIMER7"]),                            // 8
    g(2, 5, &["TIMER5"]),                            // 9
    g(2, 4, &["TIMER6"]),                            // 10
    g(1, 13, &["EQEP2B", "PRU0 OUT15"]),             // 11
    g(1, 12, &["EQEP2A", "PRU0 OUT14"]),             // 12
    g(0, 23, &["EHRPWM2B"]),                         // 13
    g(0, 26, &[]),                                   // 14
    g(1, 15, &["EQEP2 STROBE", "PRU0 IN15"]),        // 15
    g(1, 14, &["EQEP2 INDEX", "PRU0 IN14"]),         // 16
    g(0, 27, &[]),                                   // 17
    g(2, 1, &[]),                                    // 18
    g(0, 22, &["EHRPWM2A"]),                         // 19
    held(1, 31, &["MMC1_CMD"], EMMC),                // 20
    held(1, 30, &["MMC1_CLK"], EMMC),                // 21
    held(1, 5, &["MMC1_DAT5"], EMMC),                // 22
    held(1, 4, &["MMC1_DAT4"], EMMC),                // 23
    held(1, 1, &["MMC1_DAT1"], EMMC),                // 24
    held(1, 0, &["MMC1_DAT0"], EMMC),                // 25
    g(1, 29, &[]),                                   // 26
    held(2, 22, &["LCD_VSYNC"], HDMI),               // 27
    held(2, 24, &["LCD_PCLK"], HDMI),                // 28
    held(2, 23, &["LCD_HSYNC"], HDMI),               // 29
    held(2, 25, &["LCD_AC_BIAS"], HDMI),             // 30
    held(0, 10, &["LCD_DATA14", "UART5 CTS"], HDMI), // 31
    held(0, 11, &["LCD_DATA15", "UART5 RTS"], HDMI), // 32
    held(0, 9, &["LCD_DATA13", "UART4 RTS"], HDMI),  // 33
    held(2, 17, &["LCD_DATA11", "UART3 RTS"], HDMI), // 34
    held(0, 8, &["LCD_DATA12", "UART4 CTS"], HDMI),  // 35
    held(2, 16, &["LCD_DATA10", "UART3 CTS"], HDMI), // 36
    held(2, 14, &["LCD_DATA8", "UART5 TXD"], HDMI),  // 37
    held(2, 15, &["LCD_DATA9", "UART5 RXD"], HDMI),  // 38
    held(2, 12, &["LCD_DATA6"], HDMI),               // 39
    held(2, 13, &["LCD_DATA7"], HDMI),               // 40
    held(2, 10, &["LCD_DATA4"], HDMI),               // 41
    held(2, 11, &["LCD_DATA5"], HDMI),               // 42
    held(2, 8, &["LCD_DATA2"], HDMI),                // 43
    held(2, 9, &["LCD_DATA3"], HDMI),                // 44
    held(2, 6, &["LCD_DATA0"], HDMI),                // 45
    held(2, 7, &["LCD_DATA1"], HDMI),                // 46
];

/// P9, pins 1..=46 (index = pin - 1).
pub(crate) const P9: [Bb; 46] = [
    G("GND"),                                           // 1
    G("GND"),                                           // 2
    P("3V3"),                                           // 3
    P("3V3"),                                           // 4
    P("VDD_5V"),                                        // 5
    P("VDD_5V"),                                        // 6
    P("SYS_5V"),                                        // 7
    P("SYS_5V"),                                        // 8
    O("PWR_BUT"),                                       // 9
    O("SYS_RESETN"),                                    // 10
    g(0, 30, &["UART4 RXD"]),                           // 11
    g(1, 28, &[]),                                      // 12
    g(0, 31, &["UART4 TXD"]),                           // 13
    g(1, 18, &["EHRPWM1A"]),                            // 14
    g(1, 16, &[]),                                      // 15
    g(1, 19, &["EHRPWM1B"]),                            // 16
    g(0, 5, &["SPI0 CS0", "I2C1 SCL"]),                 // 17
    g(0, 4, &["SPI0 D1", "I2C1 SDA"]),                  // 18
    g(0, 13, &["I2C2 SCL", "UART1 RTS"]),               // 19
    g(0, 12, &["I2C2 SDA", "UART1 CTS"]),               // 20
    g(0, 3, &["SPI0 D0", "UART2 TXD", "EHRPWM0B"]),     // 21
    g(0, 2, &["SPI0 SCLK", "UART2 RXD", "EHRPWM0A"]),   // 22
    g(1, 17, &[]),                                      // 23
    g(0, 15, &["UART1 TXD", "I2C1 SCL"]),               // 24
    held(3, 21, &["MCASP0 AHCLKX"], AUDIO),             // 25
    g(0, 14, &["UART1 RXD", "I2C1 SDA"]),               // 26
    g(3, 19, &[]),                                      // 27
    held(3, 17, &["SPI1 CS0", "MCASP0 AXR2"], AUDIO),   // 28
    held(3, 15, &["SPI1 D0", "MCASP0 FSX"], AUDIO),     // 29
    g(3, 16, &["SPI1 D1"]),                             // 30
    held(3, 14, &["SPI1 SCLK", "MCASP0 ACLKX"], AUDIO), // 31
    P("VDD_ADC"),                                       // 32
    O("AIN4"),                                          // 33
    G("GNDA_ADC"),                                      // 34
    O("AIN6"),                                          // 35
    O("AIN5"),                                          // 36
    O("AIN2"),                                          // 37
    O("AIN3"),                                          // 38
    O("AIN0"),                                          // 39
    O("AIN1"),                                          // 40
    g(0, 20, &["CLKOUT2", "also GPIO3_20 (P9_41B)"]),   // 41
    g(0, 7, &["ECAP0 PWM", "also GPIO3_18 (P9_42B)"]),  // 42
    G("GND"),                                           // 43
    G("GND"),                                           // 44
    G("GND"),                                           // 45
    G("GND"),                                           // 46
];

/// The second GPIO wired to P9_41 and P9_42: (name, header pin, bank, offset).
pub(crate) const SECOND_BALLS: [(&str, u32, u32, u32); 2] =
    [("P9_41B", 41, 3, 20), ("P9_42B", 42, 3, 18)];

/// Whether a kernel line name names header pin `pin` (`P9_12`): accepts `P9_12`,
/// `P9_12 [GPIO1_28]`, `P9_12[...]`, `P8_03`/`P8_3`, in any case. For the pins wired to
/// two balls the `A`/`B` suffix is ignored: the mainline device tree names GPIO0_20
/// `P9_41B` and GPIO3_20 `P9_41A`, the opposite of `am335x-bone-pins.h`; callers match at
/// a known offset, so the base name is enough.
pub(crate) fn line_name_matches(pin: &str, line: &str) -> bool {
    let token = line.split([' ', '[']).next().unwrap_or("");
    let base = |s: &str| {
        let n = normalize(s);
        match n.strip_suffix(['A', 'B']) {
            Some(b) if b.ends_with(|c: char| c.is_ascii_digit()) => b.to_string(),
            _ => n,
        }
    };
    let b = base(pin);
    !b.is_empty() && base(token) == b
}

/// `p8_03` -> `P8_3`, `P9.12` -> `P9_12`; other strings upper-cased.
pub(crate) fn normalize(name: &str) -> String {
    let up = name.trim().to_ascii_uppercase().replace(['.', '-'], "_");
    let Some((h, rest)) = up.split_once('_') else {
        return up;
    };
    if h != "P8" && h != "P9" {
        return up;
    }
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let tail = &rest[digits.len()..];
    match digits.parse::<u32>() {
        Ok(n) => format!("{h}_{n}{tail}"),
        Err(_) => up,
    }
}
