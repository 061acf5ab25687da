//! Chips the kernel drives on the emulated Raspberry Pi 3B (`cargo xtask vmtest --board
//! rpi3b --only rpi_kernel_drivers`), read through `udrv read` and compared with what
//! udrv's own drivers read from the same QEMU models:
//!
//! - hwmon: the kernel's `lm75` driver holds QEMU's tmp105 `t49` at 0x49 (the device
//!   tree's `ti,tmp105` node, xtask/guest-rpi/dtb-edits); `udrv read lm75@i2c-1:0x49`
//!   reads it through that driver, and gives what udrv's TMP102 driver (the same 12-bit
//!   register format) reads from `t48` at 0x48 set to the same temperature over QMP (both
//!   at 12 bits: the kernel's driver sets the tmp105's resolution, the test sets t48's).
//! - IIO: the kernel's `dps310` driver bound to QEMU's dps310 at 0x77 (`new_device`; the
//!   module is in the Pi tier's image for this); `udrv read dps310@i2c-1:0x77` reads it
//!   through the driver's IIO device and gives what udrv's DPS310 driver computes from the
//!   same registers at the oversampling ratios the kernel's driver uses. (udrv's own
//!   catalog read refuses QEMU's model: it does not implement the product ID register,
//!   which the kernel's driver does not read.) The device is deleted at the end, so
//!   `rpi_dps310` finds the address free.
#![cfg(udrv_guest_rpi)]

#[path = "../../xtask/guest-rpi/host.rs"]
mod host;

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use embedded_hal::i2c::I2c;
use serde_json::Value;
use udrv_boards::StdDelay;
use udrv_core::i2c::I2cBus;
use udrv_drivers::dps310::{Config, Dps310, Oversampling};

/// `udrv [--json] read SPEC`: its standard output, after checking it succeeded.
fn udrv_read_text(json: bool, spec: &str) -> (String, String) {
    let json = if json { &["--json"][..] } else { &[] };
    let o = Command::new("udrv")
        .args(json)
        .args(["read", spec])
        .env_remove("UDRV_BOARD")
        .output()
        .expect("run udrv");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "udrv read {spec}: {err}");
    (String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

/// `udrv --json read SPEC`: the reading's `data`.
fn udrv_read(spec: &str) -> Vec<Value> {
    let (out, _) = udrv_read_text(true, spec);
    let v: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("udrv read {spec}: not JSON ({e}): {out}"));
    v["data"].as_array().cloned().unwrap_or_default()
}

/// Asserts `udrv read SPEC` says it reads through the kernel's `driver`.
fn assert_through(spec: &str, driver: &str) {
    let (_, err) = udrv_read_text(false, spec);
    let want = format!("is held by the kernel driver `{driver}`");
    assert!(err.contains(&want), "udrv read {spec}: {err}");
}

/// The value of quantity `q` in `data`.
fn value(data: &[Value], q: &str) -> f64 {
    data.iter()
        .find(|r| r["quantity"] == q)
        .and_then(|r| r["value"].as_f64())
        .unwrap_or_else(|| panic!("no {q} in {data:?}"))
}

fn bus() -> I2cBus {
    I2cBus::open(1).expect("open /dev/i2c-1")
}

/// Writes t48's configuration register (R1:R0, bits 6-5, the resolution).
fn t48_config(config: u8) {
    bus().write(0x48u8, &[0x01, config]).expect("tmp105 config");
}

#[test]
fn the_kernels_lm75_on_a_tmp105_reads_as_udrvs_driver() {
    // t48 at 12 bits (R1:R0 = 11), as the kernel's lm75 driver runs the tmp105 at 0x49.
    t48_config(0x60);
    for mc in [-10_063, 21_938, 85_000] {
        host::set_temperature("t48", mc);
        host::set_temperature("t49", mc);
        let own = value(&udrv_read("tmp102@i2c-1:0x48"), "temperature");
        // The kernel's driver caches a reading for its sample period: wait for it.
        let deadline = Instant::now() + Duration::from_secs(60);
        let kernel = loop {
            let k = value(&udrv_read("lm75@i2c-1:0x49"), "temperature");
            if (k - own).abs() <= 0.0011 || Instant::now() > deadline {
                break k;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        // Both to the milli-degree: the kernel's in its attribute, udrv's rounded.
        assert!(
            (kernel - own).abs() <= 0.0011,
            "at {mc} m°C: through the kernel's lm75 {kernel} °C, udrv's driver {own} °C"
        );
    }
    assert_through("lm75@i2c-1:0x49", "lm75");
    t48_config(0x00);
}

/// Deletes the kernel's device at 0x77 when dropped, however the test ends.
struct Dps310Device;

impl Drop for Dps310Device {
    fn drop(&mut self) {
        let _ = fs::write("/sys/bus/i2c/devices/i2c-1/delete_device", "0x77");
    }
}

/// The oversampling ratio the kernel's driver shows for `channel` (`temp`, `pressure`).
fn kernel_oversampling(iio: &std::path::Path, channel: &str) -> Oversampling {
    let f = iio.join(format!("in_{channel}_oversampling_ratio"));
    let text = fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    use Oversampling::*;
    match text.trim() {
        "1" => X1,
        "2" => X2,
        "4" => X4,
        "8" => X8,
        "16" => X16,
        "32" => X32,
        "64" => X64,
        "128" => X128,
        other => panic!("{}: {other:?} is no DPS310 oversampling ratio", f.display()),
    }
}

#[test]
fn the_kernels_dps310_reads_through_iio_as_udrvs_driver_computes() {
    let _device = Dps310Device;
    let o = Command::new("modprobe")
        .arg("dps310")
        .output()
        .expect("run modprobe");
    assert!(
        o.status.success(),
        "modprobe dps310: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    fs::write("/sys/bus/i2c/devices/i2c-1/new_device", "dps310 0x77")
        .expect("new_device dps310 0x77");
    let client = std::path::Path::new("/sys/bus/i2c/devices/1-0077");
    let deadline = Instant::now() + Duration::from_secs(30);
    let iio = loop {
        let found = fs::read_dir(client)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("iio:device"))
            });
        if let Some(p) = found {
            break p;
        }
        assert!(
            Instant::now() < deadline,
            "the kernel's dps310 driver made no IIO device under {} (driver bound: {:?})",
            client.display(),
            fs::read_link(client.join("driver")).ok()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let (pressure_os, temperature_os) = (
        kernel_oversampling(&iio, "pressure"),
        kernel_oversampling(&iio, "temp"),
    );
    assert_through("dps310@i2c-1:0x77", "dps310");
    let through_kernel = udrv_read("dps310@i2c-1:0x77");
    let (kt, kp) = (
        value(&through_kernel, "temperature"),
        value(&through_kernel, "pressure"),
    );

    // Unbound: udrv's driver on the same registers at the kernel's oversampling.
    fs::write("/sys/bus/i2c/devices/i2c-1/delete_device", "0x77").expect("delete_device");
    let mut d = Dps310::new(bus(), 0x77);
    d.soft_reset().unwrap();
    d.read_calibration().expect("coefficients");
    d.set_config(Config {
        pressure_oversampling: pressure_os,
        temperature_oversampling: temperature_os,
        ..Config::default()
    })
    .unwrap();
    let m = d.measure(&mut StdDelay).unwrap();
    let (ut, up) = (m.temperature.as_celsius_f64(), m.pressure.as_pascal_f64());
    // The kernel computes in integers (milli-°C, and kPa as a fraction): within a
    // thousandth of a degree and a pascal.
    assert!(
        (kt - ut).abs() <= 0.001,
        "temperature: through the kernel {kt} °C, udrv's driver {ut} °C \
         ({pressure_os:?}/{temperature_os:?})"
    );
    assert!(
        (kp - up).abs() <= 1.0,
        "pressure: through the kernel {kp} Pa, udrv's driver {up} Pa"
    );
    assert!((20.0..30.0).contains(&ut) && (90_000.0..100_000.0).contains(&up));
}
