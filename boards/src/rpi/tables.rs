//! Raspberry Pi data: the 40-pin header (J8), alternate functions, the GPIO line names
//! each model's device tree publishes, and the buses.
//!
//! Sources:
//! - Header and alternate functions: the Raspberry Pi documentation, "GPIO and the
//!   40-pin header" and the BCM2835/BCM2711 ARM Peripherals datasheets (function select
//!   ALT0..ALT5); for the Pi 5, "RP1 Peripherals" (function tables of GPIO0-27).
//! - Line names: `gpio-line-names` of the `&gpio` / `&rp1_gpio` nodes in the Raspberry Pi
//!   kernel's device trees (raspberrypi/linux, rpi-6.6.y):
//!   `arch/arm/boot/dts/broadcom/bcm2710-rpi-3-b.dts`, `bcm2710-rpi-3-b-plus.dts`,
//!   `bcm2710-rpi-zero-2-w.dts`, `bcm2711-rpi-4-b.dts` (also included by
//!   `bcm2711-rpi-400.dts`), `bcm2711-rpi-cm4.dts`, and
//!   `arch/arm64/boot/dts/broadcom/bcm2712-rpi-5-b.dts`.
//! - Chip labels: the pinctrl drivers' `gpio_chip.label` (`pinctrl-bcm2835`,
//!   `pinctrl-bcm2711` in `drivers/pinctrl/bcm/pinctrl-bcm2835.c`; `pinctrl-rp1` in
//!   `drivers/pinctrl/pinctrl-rp1.c`).
//! - Buses: controller addresses from `bcm283x.dtsi`, `bcm2711.dtsi` and `rp1.dtsi`
//!   (I2C1 `i2c@7e804000`, SPI0 `spi@7e204000`, SPI1 `spi@7e215080`, mini UART
//!   `serial@7e215040`; RP1 `i2c@74000`, `spi@50000`, `spi@54000`, `serial@30000`);
//!   enable lines from `/boot/firmware/overlays/README` (`dtparam=i2c_arm=on`,
//!   `dtparam=spi=on`, `dtoverlay=spi0-1cs`, `dtoverlay=spi1-3cs`, `enable_uart=1`,
//!   `dtparam=uart0=on` on the Pi 5).

/// What a pin of the 40-pin header is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum J8 {
    /// BCM GPIO number (= line offset on the SoC's GPIO chip).
    Gpio(u32),
    /// A supply (`3V3`, `5V`).
    Power(&'static str),
    /// Ground.
    Ground,
}

use J8::{Gpio, Ground as G, Power as P};

/// The 40-pin header, physical pin 1..=40 (index = pin - 1). The same on every
/// 40-pin model (3B, 3B+, 4B, 400, 5, Zero 2 W, CM4 IO board).
pub(crate) const HEADER: [J8; 40] = [
    P("3V3"), // 1
    P("5V"),  // 2
    Gpio(2),  // 3
    P("5V"),  // 4
    Gpio(3),  // 5
    G,        // 6
    Gpio(4),  // 7
    Gpio(14), // 8
    G,        // 9
    Gpio(15), // 10
    Gpio(17), // 11
    Gpio(18), // 12
    Gpio(27), // 13
    G,        // 14
    Gpio(22), // 15
    Gpio(23), // 16
    P("3V3"), // 17
    Gpio(24), // 18
    Gpio(10), // 19
    G,        // 20
    Gpio(9),  // 21
    Gpio(25), // 22
    Gpio(11), // 23
    Gpio(8),  // 24
    G,        // 25
    Gpio(7),  // 26
    Gpio(0),  // 27
    Gpio(1),  // 28
    Gpio(5),  // 29
    G,        // 30
    Gpio(6),  // 31
    Gpio(12), // 32
    Gpio(13), // 33
    G,        // 34
    Gpio(19), // 35
    Gpio(16), // 36
    Gpio(26), // 37
    Gpio(20), // 38
    G,        // 39
    Gpio(21), // 40
];

/// Alternate functions of GPIO0..=27 on BCM2835/2837/2711 (most used first).
pub(crate) const FUNCS_BCM: [&[&str]; 28] = [
    &["I2C0 SDA (HAT EEPROM)"],       // 0
    &["I2C0 SCL (HAT EEPROM)"],       // 1
    &["I2C1 SDA"],                    // 2
    &["I2C1 SCL"],                    // 3
    &["GPCLK0"],                      // 4
    &["GPCLK1"],                      // 5
    &["GPCLK2"],                      // 6
    &["SPI0 CE1"],                    // 7
    &["SPI0 CE0"],                    // 8
    &["SPI0 MISO"],                   // 9
    &["SPI0 MOSI"],                   // 10
    &["SPI0 SCLK"],                   // 11
    &["PWM0"],                        // 12
    &["PWM1"],                        // 13
    &["UART TXD"],                    // 14
    &["UART RXD"],                    // 15
    &["SPI1 CE2"],                    // 16
    &["SPI1 CE1"],                    // 17
    &["PWM0", "PCM CLK", "SPI1 CE0"], // 18
    &["PWM1", "PCM FS", "SPI1 MISO"], // 19
    &["PCM DIN", "SPI1 MOSI"],        // 20
    &["PCM DOUT", "SPI1 SCLK"],       // 21
    &[],                              // 22
    &[],                              // 23
    &[],                              // 24
    &[],                              // 25
    &[],                              // 26
    &[],                              // 27
];

/// Alternate functions of GPIO0..=27 on the Pi 5's RP1 (PWM0 has four channels there).
pub(crate) const FUNCS_RP1: [&[&str]; 28] = [
    &["I2C0 SDA (HAT EEPROM)"],             // 0
    &["I2C0 SCL (HAT EEPROM)"],             // 1
    &["I2C1 SDA"],                          // 2
    &["I2C1 SCL"],                          // 3
    &["GPCLK0"],                            // 4
    &["GPCLK1"],                            // 5
    &["GPCLK2"],                            // 6
    &["SPI0 CE1"],                          // 7
    &["SPI0 CE0"],                          // 8
    &["SPI0 MISO"],                         // 9
    &["SPI0 MOSI"],                         // 10
    &["SPI0 SCLK"],                         // 11
    &["PWM0 CHAN0"],                        // 12
    &["PWM0 CHAN1"],                        // 13
    &["UART TXD"],                          // 14
    &["UART RXD"],                          // 15
    &["SPI1 CE2"],                          // 16
    &["SPI1 CE1"],                          // 17
    &["PWM0 CHAN2", "PCM CLK", "SPI1 CE0"], // 18
    &["PWM0 CHAN3", "PCM FS", "SPI1 MISO"], // 19
    &["PCM DIN", "SPI1 MOSI"],              // 20
    &["PCM DOUT", "SPI1 SCLK"],             // 21
    &[],                                    // 22
    &[],                                    // 23
    &[],                                    // 24
    &[],                                    // 25
    &[],                                    // 26
    &[],                                    // 27
];

/// Schematic names older kernels (and the 3B, CM4 in some releases) give header lines,
/// accepted as names on every model: (name, BCM GPIO).
pub(crate) const LEGACY_NAMES: &[(&str, u32)] = &[
    ("ID_SDA", 0),
    ("ID_SCL", 1),
    ("SDA1", 2),
    ("SCL1", 3),
    ("GPIO_GCLK", 4),
    ("SPI_CE1_N", 7),
    ("SPI_CE0_N", 8),
    ("SPI_MISO", 9),
    ("SPI_MOSI", 10),
    ("SPI_SCLK", 11),
    ("TXD1", 14),
    ("RXD1", 15),
];

/// `bcm2710-rpi-3-b.dts`: 54 lines of `pinctrl-bcm2835` (the 3B keeps the schematic
/// names for GPIO2-4, 7-11, 14-15).
pub(crate) const LINES_3B: [&str; 54] = [
    "ID_SDA",
    "ID_SCL",
    "SDA1",
    "SCL1",
    "GPIO_GCLK",
    "GPIO5",
    "GPIO6",
    "SPI_CE1_N",
    "SPI_CE0_N",
    "SPI_MISO",
    "SPI_MOSI",
    "SPI_SCLK",
    "GPIO12",
    "GPIO13",
    "TXD1",
    "RXD1",
    "GPIO16",
    "GPIO17",
    "GPIO18",
    "GPIO19",
    "GPIO20",
    "GPIO21",
    "GPIO22",
    "GPIO23",
    "GPIO24",
    "GPIO25",
    "GPIO26",
    "GPIO27",
    "NC",
    "LAN_RUN_BOOT",
    "CTS0",
    "RTS0",
    "TXD0",
    "RXD0",
    "SD1_CLK",
    "SD1_CMD",
    "SD1_DATA0",
    "SD1_DATA1",
    "SD1_DATA2",
    "SD1_DATA3",
    "PWM0_OUT",
    "PWM1_OUT",
    "ETH_CLK",
    "WIFI_CLK",
    "SDA0",
    "SCL0",
    "SMPS_SCL",
    "SMPS_SDA",
    "SD_CLK_R",
    "SD_CMD_R",
    "SD_DATA0_R",
    "SD_DATA1_R",
    "SD_DATA2_R",
    "SD_DATA3_R",
];

/// `bcm2710-rpi-3-b-plus.dts`: 54 lines of `pinctrl-bcm2835`.
pub(crate) const LINES_3BPLUS: [&str; 54] = [
    "ID_SDA",
    "ID_SCL",
    "GPIO2",
    "GPIO3",
    "GPIO4",
    "GPIO5",
    "GPIO6",
    "GPIO7",
    "GPIO8",
    "GPIO9",
    "GPIO10",
    "GPIO11",
    "GPIO12",
    "GPIO13",
    "GPIO14",
    "GPIO15",
    "GPIO16",
    "GPIO17",
    "GPIO18",
    "GPIO19",
    "GPIO20",
    "GPIO21",
    "GPIO22",
    "GPIO23",
    "GPIO24",
    "GPIO25",
    "GPIO26",
    "GPIO27",
    "HDMI_HPD_N",
    "STATUS_LED_G",
    "CTS0",
    "RTS0",
    "TXD0",
    "RXD0",
    "SD1_CLK",
    "SD1_CMD",
    "SD1_DATA0",
    "SD1_DATA1",
    "SD1_DATA2",
    "SD1_DATA3",
    "PWM0_OUT",
    "PWM1_OUT",
    "ETH_CLK",
    "WIFI_CLK",
    "SDA0",
    "SCL0",
    "SMPS_SCL",
    "SMPS_SDA",
    "SD_CLK_R",
    "SD_CMD_R",
    "SD_DATA0_R",
    "SD_DATA1_R",
    "SD_DATA2_R",
    "SD_DATA3_R",
];

/// `bcm2710-rpi-zero-2-w.dts`: 54 lines of `pinctrl-bcm2835`.
pub(crate) const LINES_ZERO2W: [&str; 54] = [
    "ID_SDA",
    "ID_SCL",
    "GPIO2",
    "GPIO3",
    "GPIO4",
    "GPIO5",
    "GPIO6",
    "GPIO7",
    "GPIO8",
    "GPIO9",
    "GPIO10",
    "GPIO11",
    "GPIO12",
    "GPIO13",
    "GPIO14",
    "GPIO15",
    "GPIO16",
    "GPIO17",
    "GPIO18",
    "GPIO19",
    "GPIO20",
    "GPIO21",
    "GPIO22",
    "GPIO23",
    "GPIO24",
    "GPIO25",
    "GPIO26",
    "GPIO27",
    "HDMI_HPD_N",
    "STATUS_LED_N",
    "CTS0",
    "RTS0",
    "TXD0",
    "RXD0",
    "SD1_CLK",
    "SD1_CMD",
    "SD1_DATA0",
    "SD1_DATA1",
    "SD1_DATA2",
    "SD1_DATA3",
    "CAM_GPIO1",
    "WL_ON",
    "BT_ON",
    "WIFI_CLK",
    "SDA0",
    "SCL0",
    "SMPS_SCL",
    "SMPS_SDA",
    "SD_CLK_R",
    "SD_CMD_R",
    "SD_DATA0_R",
    "SD_DATA1_R",
    "SD_DATA2_R",
    "SD_DATA3_R",
];

/// `bcm2711-rpi-4-b.dts` (and the 400, which includes it, and `bcm2711-rpi-cm4.dts`):
/// 58 lines of `pinctrl-bcm2711`.
pub(crate) const LINES_PI4: [&str; 58] = [
    "ID_SDA",
    "ID_SCL",
    "GPIO2",
    "GPIO3",
    "GPIO4",
    "GPIO5",
    "GPIO6",
    "GPIO7",
    "GPIO8",
    "GPIO9",
    "GPIO10",
    "GPIO11",
    "GPIO12",
    "GPIO13",
    "GPIO14",
    "GPIO15",
    "GPIO16",
    "GPIO17",
    "GPIO18",
    "GPIO19",
    "GPIO20",
    "GPIO21",
    "GPIO22",
    "GPIO23",
    "GPIO24",
    "GPIO25",
    "GPIO26",
    "GPIO27",
    "RGMII_MDIO",
    "RGMIO_MDC",
    "CTS0",
    "RTS0",
    "TXD0",
    "RXD0",
    "SD1_CLK",
    "SD1_CMD",
    "SD1_DATA0",
    "SD1_DATA1",
    "SD1_DATA2",
    "SD1_DATA3",
    "PWM0_MISO",
    "PWM1_MOSI",
    "STATUS_LED_G_CLK",
    "SPIFLASH_CE_N",
    "SDA0",
    "SCL0",
    "RGMII_RXCLK",
    "RGMII_RXCTL",
    "RGMII_RXD0",
    "RGMII_RXD1",
    "RGMII_RXD2",
    "RGMII_RXD3",
    "RGMII_TXCLK",
    "RGMII_TXCTL",
    "RGMII_TXD0",
    "RGMII_TXD1",
    "RGMII_TXD2",
    "RGMII_TXD3",
];

/// `bcm2712-rpi-5-b.dts`, `&rp1_gpio`: 54 lines of `pinctrl-rp1`.
pub(crate) const LINES_PI5: [&str; 54] = [
    "ID_SDA",
    "ID_SCL",
    "GPIO2",
    "GPIO3",
    "GPIO4",
    "GPIO5",
    "GPIO6",
    "GPIO7",
    "GPIO8",
    "GPIO9",
    "GPIO10",
    "GPIO11",
    "GPIO12",
    "GPIO13",
    "GPIO14",
    "GPIO15",
    "GPIO16",
    "GPIO17",
    "GPIO18",
    "GPIO19",
    "GPIO20",
    "GPIO21",
    "GPIO22",
    "GPIO23",
    "GPIO24",
    "GPIO25",
    "GPIO26",
    "GPIO27",
    "PCIE_RP1_WAKE",
    "FAN_TACH",
    "HOST_SDA",
    "HOST_SCL",
    "ETH_RST_N",
    "-",
    "CD0_IO0_MICCLK",
    "CD0_IO0_MICDAT0",
    "RP1_PCIE_CLKREQ_N",
    "-",
    "CD0_SDA",
    "CD0_SCL",
    "CD1_SDA",
    "CD1_SCL",
    "USB_VBUS_EN",
    "USB_OC_N",
    "RP1_STAT_LED",
    "FAN_PWM",
    "CD1_IO0_MICCLK",
    "2712_WAKE",
    "CD1_IO1_MICDAT1",
    "EN_MAX_USB_CUR",
    "-",
    "-",
    "-",
    "-",
];
