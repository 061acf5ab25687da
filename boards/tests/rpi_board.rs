//! The Raspberry Pi board support on an emulated Pi 3B (`cargo xtask vmtest --board rpi3b`):
//! Debian's arm64 kernel with Debian's `bcm2837-rpi-3-b.dtb`, so detection, the real
//! `pinctrl-bcm2835` GPIO chip and the buses are those of a Pi 3B running a mainline kernel.
//!
//! The host reads and drives the GPIO block's registers over qtest (`xtask/src/rpi.rs`):
//! GPLEV0 (0x3f200034) is the level of pins 0..31 as the hardware sees it; GPSET0/GPCLR0
//! change an input's level. SPI0 CE0 (GPIO8) selects a w25q32, CE1 (GPIO7) a w25q64.
#![cfg(udrv_guest_rpi)]

#[path = "../../xtask/guest-rpi/host.rs"]
mod host;

use embedded_hal::i2c::I2c;
use embedded_hal::spi::{Operation, SpiDevice};
use udrv_boards::{Board, BoardId};
use udrv_core::gpio::Value;

const GPLEV0: u32 = 0x3f20_0034;

fn board() -> Box<dyn Board> {
    udrv_boards::open().expect("detect the board from the device tree")
}

#[test]
fn the_device_tree_is_detected_as_a_pi_3b() {
    let b = board();
    assert_eq!(b.id(), BoardId::Rpi3B, "model {:?}", b.model());
    assert!(
        b.model().contains("Raspberry Pi 3 Model B"),
        "{}",
        b.model()
    );
}

#[test]
fn header_pin_11_and_gpio17_are_one_line_on_pinctrl_bcm2835() {
    let b = board();
    let by_pin = b.pin(11).expect("header pin 11");
    let by_name = b.pin("GPIO17").expect("GPIO17");
    assert_eq!(by_pin.chip, by_name.chip);
    assert_eq!(by_pin.offset, 17);
    assert_eq!(by_name.offset, 17);
    assert_eq!(by_pin.chip_label, "pinctrl-bcm2835");
    // Mainline's line names for the Pi 3B's header.
    assert_eq!(by_pin.line_name.as_deref(), Some("GPIO17"));
    assert_eq!(b.pin(13).unwrap().offset, 27);
    assert!(b.pin(1).is_err(), "pin 1 is 3V3, not a GPIO");
}

#[test]
fn an_output_set_through_the_board_is_the_pins_level() {
    let b = board();
    let pin = b.pin(13).unwrap(); // GPIO27
    let out = pin.request_output(Value::Active).expect("request GPIO27");
    assert!(out.level().unwrap());
    assert_ne!(
        host::readl(GPLEV0) & (1 << 27),
        0,
        "GPLEV0 bit 27 after high"
    );
    out.set_level(false).unwrap();
    assert!(!out.level().unwrap());
    assert_eq!(
        host::readl(GPLEV0) & (1 << 27),
        0,
        "GPLEV0 bit 27 after low"
    );
    out.set_level(true).unwrap();
    assert_ne!(host::readl(GPLEV0) & (1 << 27), 0);
    out.set_level(false).unwrap();
}

#[test]
fn an_input_level_driven_from_the_host_is_read_through_the_board() {
    let b = board();
    let input = b.pin(11).unwrap().request_input().expect("request GPIO17");
    for high in [true, false, true, false] {
        host::gpio_input(17, high);
        assert_eq!(
            input.level().unwrap(),
            high,
            "GPIO17 driven {high} by the host"
        );
    }
    // A line of the second bank (GPIO32..53, GPSET1/GPCLR1), not on the header: through
    // the core on the chip the board found.
    let chip = b.pin(11).unwrap().chip;
    let g40 = udrv_core::gpio::Pin::input(&chip, 40).expect("request GPIO40");
    host::gpio_input(40, true);
    assert!(g40.level().unwrap());
    host::gpio_input(40, false);
    assert!(!g40.level().unwrap());
}

#[test]
fn i2c_arm_is_the_header_bus() {
    let b = board();
    let r = b.i2c("i2c_arm").expect("i2c_arm");
    assert_eq!(r.path, std::path::Path::new("/dev/i2c-1"));
    assert_eq!(r.number, Some(1));
    let mut bus = r.open().unwrap();
    // The tmp105 at 0x48 answers on it.
    let mut conf = [0u8; 1];
    bus.write_read(0x48u8, &[0x01], &mut conf).unwrap();
}

fn jedec_id(dev: &mut udrv_core::spi::SpidevDevice) -> [u8; 3] {
    let mut id = [0u8; 3];
    dev.transaction(&mut [Operation::Write(&[0x9f]), Operation::Read(&mut id)])
        .expect("JEDEC ID");
    id
}

#[test]
fn spi0_ce0_and_ce1_reach_the_two_flash_chips() {
    let b = board();
    let ce0 = b.spi(0, 0).expect("SPI0 CE0");
    let ce1 = b.spi(0, 1).expect("SPI0 CE1");
    assert_eq!(ce0.path, std::path::Path::new("/dev/spidev0.0"));
    assert_eq!(ce1.path, std::path::Path::new("/dev/spidev0.1"));
    // Winbond (0xef), W25Q series (0x40), 32 Mbit (0x16) / 64 Mbit (0x17).
    assert_eq!(jedec_id(&mut ce0.open().unwrap()), [0xef, 0x40, 0x16]);
    assert_eq!(jedec_id(&mut ce1.open().unwrap()), [0xef, 0x40, 0x17]);
}
