//! The PCA954x driver on the emulated Raspberry Pi 3B's real I2C controller against QEMU's
//! `pca9548` model at 0x70 on `/dev/i2c-1`, with a tmp105 (`t4a`, 0x4a) behind channel 2
//! and a 256-byte at24c-eeprom (`ee51`, 0x51) behind channel 5 (`cargo xtask vmtest
//! --board rpi3b --only rpi_pca9548`): the channels as I2C buses for the LM75 and AT24
//! drivers, the tmp105's temperature set from the host over QMP.
//!
//! QEMU's model (hw/i2c/i2c_mux_pca954x.c) differs from the PCA9548A datasheet where a
//! write carries more than one byte: it refuses the write and keeps the old selection
//! ("extra data after channel selection mask"); the datasheet saves the last byte
//! received. Checked below.
#![cfg(udrv_guest_rpi)]

mod common;

#[path = "../../xtask/guest-rpi/host.rs"]
mod host;

use common::guest::rpi_bus as bus;
use core::cell::RefCell;

use embedded_hal::i2c::{Error as _, ErrorKind, I2c};
use udrv_core::i2c::I2cBus;
use udrv_drivers::at24::{At24, Variant as Ee};
use udrv_drivers::lm75::Lm75;
use udrv_drivers::pca954x::{Pca954x, RefCellChannel, Variant};

const MUX: u8 = 0x70;

/// Deselects every channel when dropped (also when a test fails): other binaries of the
/// boot expect nothing at 0x4a and 0x51 on the parent bus.
struct AllOff;
impl Drop for AllOff {
    fn drop(&mut self) {
        let _ = bus().write(MUX, &[0x00]);
    }
}

fn mux() -> Pca954x<I2cBus> {
    Pca954x::new(bus(), MUX, Variant::Pca9548)
}

/// What the tmp105 register holds at 9 bits (its power-on resolution) for `mc`, in m°C:
/// 8.8 fixed point truncated toward zero, bits below 0.5 °C cleared (rpi_drivers.rs).
fn nine_bit(mc: i32) -> i32 {
    let q = (mc as i64 * 256 / 1000) as i16;
    ((q & !0x7F) as i64 * 1000 / 256) as i32
}

#[test]
fn control_register_selects_any_set_of_channels() {
    let _off = AllOff;
    let mut m = mux();
    for mask in [0x00u8, 0x04, 0x20, 0x24, 0xFF, 0x81, 0x00] {
        m.set_channels(mask).unwrap();
        assert_eq!(m.channels().unwrap(), mask);
    }
}

#[test]
fn lm75_behind_channel_2_over_the_whole_range() {
    let _off = AllOff;
    let mut m = mux();
    {
        let mut ch = m.channel(2).unwrap();
        ch.write(0x4a, &[0x01, 0x00]).unwrap(); // 9 bits
    }
    let mut lm75 = Lm75::new(m.channel(2).unwrap(), 0x4a);
    for mc in [-55_000, -25_000, -500, 0, 500, 23_500, 85_000, 125_000] {
        host::set_temperature("t4a", mc);
        let t = lm75.temperature().unwrap().as_millicelsius();
        assert_eq!(t, nine_bit(mc), "set {mc} m°C");
    }
    drop(lm75);
    assert_eq!(m.channels().unwrap(), 0x04, "channel 2 alone");
}

#[test]
fn eeprom_behind_channel_5_and_the_sensor_not_there() {
    let _off = AllOff;
    let mut m = mux();
    let data: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(13) ^ 0x3C).collect();
    {
        let mut ee = At24::new(m.channel(5).unwrap(), 0x51, Ee::AT24C02);
        ee.write(0x30, &data).unwrap(); // 8-byte pages: 6 page writes
        let mut back = vec![0u8; 40];
        ee.read(0x30, &mut back).unwrap();
        assert_eq!(back, data);
    }
    // the tmp105 is on channel 2: through channel 5 it does not answer
    let mut ch5 = m.channel(5).unwrap();
    let e = ch5.write(0x4a, &[0x00]).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NoAcknowledge(_)), "{e:?}");
    // and with no channel selected neither answers on the parent bus
    m.set_channels(0).unwrap();
    let mut raw = bus();
    assert!(raw.write(0x51u8, &[0x00]).is_err());
    assert!(raw.write(0x4au8, &[0x00]).is_err());
}

#[test]
fn two_drivers_share_the_switch_through_refcell_channels() {
    let _off = AllOff;
    let shared = RefCell::new(mux());
    shared.borrow_mut().forget_selection();
    let mut c2 = RefCellChannel::new(&shared, 2).unwrap();
    c2.write(0x4a, &[0x01, 0x00]).unwrap(); // tmp105 at 9 bits
    let mut t = Lm75::new(c2, 0x4a);
    let mut ee = At24::new(RefCellChannel::new(&shared, 5).unwrap(), 0x51, Ee::AT24C02);
    for (i, mc) in [-10_000, 40_000, 0, 99_500].into_iter().enumerate() {
        host::set_temperature("t4a", mc);
        assert_eq!(t.temperature().unwrap().as_millicelsius(), nine_bit(mc));
        ee.write_byte(0xF0 + i as u32, i as u8 ^ 0x5A).unwrap();
        assert_eq!(ee.read_byte(0xF0 + i as u32).unwrap(), i as u8 ^ 0x5A);
    }
    drop((t, ee));
    assert_eq!(
        shared.borrow_mut().channels().unwrap(),
        0x20,
        "channel 5 last"
    );
}

#[test]
fn qemu_refuses_a_write_of_more_than_one_byte() {
    let _off = AllOff;
    let mut m = mux();
    m.set_channels(0x00).unwrap();
    let mut raw = bus();
    // datasheet: "it will save the last byte received" -> 0x04
    raw.write(MUX, &[0x01, 0x04]).unwrap();
    assert_eq!(
        m.channels().unwrap(),
        0x00,
        "QEMU's pca9548 now keeps the last byte: update this test"
    );
}
