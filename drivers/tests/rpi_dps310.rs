//! The DPS310 driver on the emulated Raspberry Pi 3B's real I2C controller against QEMU's
//! `dps310` model at 0x77 on `/dev/i2c-1` (`cargo xtask vmtest --board rpi3b --only
//! rpi_dps310`): a model written by others.
//!
//! QEMU's model (hw/sensor/dps310.c) holds fixed register contents taken from a real chip
//! (its reset table, quoted below): the results never change and there is no QOM property
//! to set a temperature or pressure, so the driver is checked on those raw values at every
//! oversampling rate, against the datasheet's §4.9 formulas evaluated here in floating
//! point. Differences from the datasheet, each checked below:
//! * the product ID register 0Dh is not implemented: it reads FFh (datasheet: 10h), so
//!   `init()` refuses the chip and `read_calibration()` is the way in;
//! * MEAS_CFG is stored whole when written: its status bits (COEF_RDY, SENSOR_RDY, TMP_RDY,
//!   PRS_RDY, read-only on the chip) are lost if written 0 — the driver writes MEAS_CFG
//!   back with the bits it read, so it works either way;
//! * TMP_RDY / PRS_RDY stay set after the results are read (the datasheet clears them).
#![cfg(udrv_guest_rpi)]

mod common;

use common::dps310_reference;
use common::guest::{rpi_bus as bus, Sleep};
use embedded_hal::i2c::I2c;
use udrv_core::i2c::I2cBus;
use udrv_drivers::dps310::{Calibration, Config, Dps310, Error, Mode, Oversampling};

const ADDR: u8 = 0x77;

/// QEMU's `dps310_reset` table, registers 00h..=28h (hw/sensor/dps310.c).
const QEMU_RESET: [u8; 0x29] = [
    0xfe, 0x2f, 0xee, 0x02, 0x69, 0xa6, 0x00, 0x80, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
    0x0e, 0x1e, 0xdd, 0x13, 0xca, 0x5f, 0x21, 0x52, 0xf9, 0xc6, 0x04, 0xd1, 0xdb, 0x47, 0x00, 0x5b,
    0xfb, 0x3a, 0x00, 0x00, 0x20, 0x49, 0x4e, 0xa5, 0x90,
];

/// A driver on a freshly reset model (soft reset: 1001 in 0Ch), coefficients read.
fn dps() -> Dps310<I2cBus> {
    let mut d = Dps310::new(bus(), ADDR);
    d.soft_reset().unwrap();
    d.read_calibration().expect("coefficients");
    d
}

fn raw24(b: &[u8]) -> i32 {
    let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
    ((v << 8) as i32) >> 8
}

#[test]
fn product_id_is_not_implemented_by_qemu() {
    let mut d = Dps310::new(bus(), ADDR);
    assert_eq!(
        d.product_id().unwrap(),
        0xFF,
        "QEMU now implements register 0Dh (datasheet: 10h): update this test"
    );
    assert!(matches!(d.init(), Err(Error::WrongChipId(0xFF))));
}

#[test]
fn coefficients_and_their_sensor_are_qemus() {
    let mut d = Dps310::new(bus(), ADDR);
    d.soft_reset().unwrap();
    let cal = d.read_calibration().unwrap();
    let mut coef = [0u8; 18];
    coef.copy_from_slice(&QEMU_RESET[0x10..0x22]);
    assert_eq!(cal, Calibration::from_registers(&coef));
    // COEF_SRCE 90h: bit 7, the external sensor; TMP_CFG gets TMP_EXT
    assert!(d.uses_external_sensor());
    let mut t = [0u8];
    bus().write_read(ADDR, &[0x07], &mut t).unwrap();
    assert_eq!(t[0] & 0x80, 0x80);
}

#[test]
fn measurements_follow_the_datasheet_at_every_oversampling() {
    let mut d = dps();
    let cal = d.calibration().unwrap();
    let praw = raw24(&QEMU_RESET[0..3]);
    let traw = raw24(&QEMU_RESET[3..6]);
    use Oversampling::*;
    for (po, to) in [(X1, X1), (X2, X8), (X16, X1), (X64, X128), (X128, X4)] {
        d.set_config(Config {
            pressure_oversampling: po,
            temperature_oversampling: to,
            ..Config::default()
        })
        .unwrap();
        // the result shifts above 8x are set in CFG_REG
        let mut c = [0u8];
        bus().write_read(ADDR, &[0x09], &mut c).unwrap();
        assert_eq!(c[0] & 0x04 != 0, po > X8, "P_SHIFT for {po:?}");
        assert_eq!(c[0] & 0x08 != 0, to > X8, "T_SHIFT for {to:?}");
        let m = d.measure(&mut Sleep).unwrap();
        let (t, p) = dps310_reference(
            &cal,
            praw,
            po.scale_factor() as f64,
            traw,
            to.scale_factor() as f64,
        );
        assert!(
            (m.temperature.as_millicelsius() as f64 - t * 1000.0).abs() <= 0.5,
            "{po:?}/{to:?}: {m:?} vs {t} °C"
        );
        assert!(
            (m.pressure.as_q24_8_pascal() as f64 / 256.0 - p).abs() <= 0.5 / 256.0,
            "{po:?}/{to:?}: {m:?} vs {p} Pa"
        );
        // background mode gives the same numbers from one burst
        d.set_mode(Mode::BackgroundBoth).unwrap();
        assert_eq!(d.read_measurement().unwrap(), m);
        d.set_mode(Mode::Idle).unwrap();
    }
    // at 1x: a room (about 24.7 °C, 929 hPa)
    d.set_config(Config::default()).unwrap();
    let m = d.measure(&mut Sleep).unwrap();
    assert!(
        (20_000..30_000).contains(&m.temperature.as_millicelsius()),
        "{m:?}"
    );
    assert!((90_000..100_000).contains(&m.pressure.as_pascal()), "{m:?}");
}

#[test]
fn qemu_stores_meas_cfg_whole_and_keeps_the_ready_flags() {
    let mut d = dps();
    // after reset: COEF_RDY, SENSOR_RDY, TMP_RDY, PRS_RDY
    assert_eq!(d.status().unwrap() & 0xF0, 0xF0);
    // the driver's mode write keeps them
    d.set_mode(Mode::CommandTemperature).unwrap();
    assert_eq!(d.status().unwrap(), 0xF2);
    let _ = d.read_raw_temperature().unwrap();
    assert_eq!(
        d.ready().unwrap(),
        (true, true),
        "datasheet: TMP_RDY clears when the result is read"
    );
    // a plain write of the mode bits loses the read-only status bits in QEMU
    let mut raw = bus();
    raw.write(ADDR, &[0x08, 0x02]).unwrap();
    assert_eq!(
        d.status().unwrap(),
        0x02,
        "datasheet: COEF_RDY and SENSOR_RDY are read-only and stay 1"
    );
    assert!(matches!(d.read_calibration(), Err(Error::NotReady)));
    // the soft reset brings them back
    d.soft_reset().unwrap();
    assert_eq!(d.status().unwrap() & 0xC0, 0xC0);
    d.read_calibration().unwrap();
}
