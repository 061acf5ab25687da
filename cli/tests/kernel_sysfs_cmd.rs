//! `udrv iio`, `udrv w1`, `udrv pwm` and `udrv board info`'s list of what the kernel
//! drives, run as the built binary on a sysfs tree under `UDRV_ROOT`, laid out as the
//! kernel's documentation defines it (Documentation/ABI/testing/sysfs-bus-iio,
//! Documentation/hwmon/sysfs-interface.rst, Documentation/w1/slaves/w1_therm.rst,
//! Documentation/ABI/testing/sysfs-class-pwm). The real kernel's devices are read in
//! `cli/tests/guest_kernel_drivers.rs`.

mod common;
#[path = "../../core/tests/common/sysfs_tree.rs"]
mod sysfs_tree;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{assert_stderr_has, assert_stdout_has, json_lines, stderr, stdout};
use serde_json::json;
use sysfs_tree::{attr, link};

/// Attributes `(name, text)` in the folder `dir` (relative to `root`).
fn attrs(root: &Path, dir: &str, pairs: &[(&str, &str)]) {
    for (a, v) in pairs {
        attr(root, &format!("{dir}/{a}"), v);
    }
}

/// The Raspberry Pi 4 fixture (its device tree) with, in its /sys: an LM75 on i2c-1 at
/// 0x48 bound to lm75 (hwmon2), a BME280 at 0x76 bound to bmp280 (iio:device0), the IIO
/// dummy device (iio:device1), two DS18B20s (one whose CRC failed) and pwmchip0.
fn fixture() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let rpi = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../boards/tests/fixtures/rpi4b"
    );
    let ok = Command::new("cp")
        .args(["-r", &format!("{rpi}/."), &r.display().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let i2c = "sys/devices/platform/soc/fe804000.i2c/i2c-1";
    for (addr, driver, name) in [(0x48, "lm75", "lm75"), (0x76, "bmp280", "bme280")] {
        let dir = format!("{i2c}/1-{addr:04x}");
        attr(r, &format!("{dir}/name"), name);
        link(
            r,
            &format!("{dir}/driver"),
            &format!("sys/bus/i2c/drivers/{driver}"),
        );
    }
    let hw = format!("{i2c}/1-0048/hwmon/hwmon2");
    attr(r, &format!("{hw}/name"), "lm75");
    attr(r, &format!("{hw}/temp1_input"), "23500");
    link(r, &format!("{hw}/device"), &format!("{i2c}/1-0048"));
    link(r, "sys/class/hwmon/hwmon2", &hw);
    let bme = format!("{i2c}/1-0076/iio:device0");
    attrs(
        r,
        &bme,
        &[
            ("name", "bme280"),
            ("in_temp_input", "23450"),
            ("in_pressure_input", "101.325"),
            ("in_humidityrelative_input", "45123"),
        ],
    );
    link(r, "sys/bus/iio/devices/iio:device0", &bme);
    let dummy = "sys/devices/iio:device1";
    attrs(
        r,
        dummy,
        &[
            ("name", "dummy0"),
            ("in_voltage0_raw", "73"),
            ("in_voltage0_offset", "7"),
            ("in_voltage0_scale", "0.001333"),
            ("in_accel_x_raw", "34"),
        ],
    );
    link(r, "sys/bus/iio/devices/iio:device1", dummy);
    let m = "sys/devices/w1_bus_master1";
    for (id, slave) in [
        (
            "28-00000a1b2c3d",
            "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125",
        ),
        (
            "28-00000a1b2c3e",
            "72 01 4b 46 7f ff 0e 10 56 : crc=57 NO\n72 01 4b 46 7f ff 0e 10 56 t=23125",
        ),
    ] {
        attr(r, &format!("{m}/{id}/w1_slave"), slave);
        attr(r, &format!("{m}/{id}/resolution"), "12");
        link(r, &format!("sys/bus/w1/devices/{id}"), &format!("{m}/{id}"));
    }
    pwm_chip(r, 0, "sys/devices/platform/soc/fe20c000.pwm", 2, &[1]);
    t
}

/// A PWM chip `pwmchipN` of `channels` channels whose device is `dev` (a path under
/// `sys/devices`), laid out as the kernel does (class link, `device` link, `export`), with
/// the channels `exported` exported.
fn pwm_chip(r: &Path, n: u32, dev: &str, channels: u32, exported: &[u32]) -> std::path::PathBuf {
    let c = format!("{dev}/pwm/pwmchip{n}");
    attr(r, &format!("{c}/npwm"), &channels.to_string());
    attr(r, &format!("{c}/export"), "");
    for ch in exported {
        let fresh = [
            ("period", "0"),
            ("duty_cycle", "0"),
            ("polarity", "normal"),
            ("enable", "0"),
        ];
        attrs(r, &format!("{c}/pwm{ch}"), &fresh);
    }
    link(r, &format!("sys/class/pwm/pwmchip{n}"), &c);
    link(r, &format!("{c}/device"), dev);
    r.join(c)
}

/// The fixture's exported channel: the Pi 4's PWM0 channel 1.
const PI4_PWM1: &str = "sys/devices/platform/soc/fe20c000.pwm/pwm/pwmchip0/pwm1";

fn udrv(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(args)
        .env("UDRV_ROOT", root)
        .env_remove("UDRV_BOARD")
        .output()
        .unwrap()
}

#[test]
fn iio_list_and_read_apply_scale_and_offset() {
    let t = fixture();
    let o = udrv(t.path(), &["iio", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("iio:device0") && out.contains("i2c-1 0x76 (driver bmp280)"),
        "{out}"
    );
    assert!(out.contains("accel_x, voltage0"), "{out}");
    let o = udrv(t.path(), &["--json", "iio", "read", "bme280"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_lines(&o);
    let p = v.iter().find(|x| x["channel"] == "pressure").unwrap();
    assert_eq!(
        (p["quantity"].as_str(), p["unit"].as_str()),
        (Some("pressure"), Some("Pa"))
    );
    assert!(
        (p["value"].as_f64().unwrap() - 101_325.0).abs() < 1e-6,
        "{p}"
    );
    let o = udrv(t.path(), &["--json", "iio", "read", "1", "voltage0"]);
    let v = json_lines(&o);
    assert_eq!(v[0]["raw"], 73);
    assert!(
        (v[0]["value"].as_f64().unwrap() - 80.0 * 0.001333e-3).abs() < 1e-15,
        "{}",
        v[0]
    );
    // A bad scale: one line naming the device and the attribute, exit status 1.
    attr(t.path(), "sys/devices/iio:device1/in_voltage0_scale", "0");
    let o = udrv(t.path(), &["iio", "read", "dummy0", "voltage0"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("iio:device1 (dummy0)") && e.contains("in_voltage0_scale"),
        "{e}"
    );
    let o = udrv(t.path(), &["iio", "read", "dummy0", "temp"]);
    assert_stderr_has(&o, "has no channel `temp`");
}

#[test]
fn w1_list_and_read_check_the_crc() {
    let t = fixture();
    let o = udrv(t.path(), &["w1", "list"]);
    assert_stdout_has(&o, "28-00000a1b2c3d  DS18B20   thermometer");
    let o = udrv(t.path(), &["w1", "read", "28-00000a1b2c3d"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "28-00000a1b2c3d  temperature 23.125 °C (12-bit)\n"
    );
    // Both: the good one read, the bad one's CRC failure said, exit status 1.
    let o = udrv(t.path(), &["--json", "w1", "read"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json_lines(&o);
    assert_eq!((v.len(), v[0]["value"].as_f64()), (1, Some(23.125)));
    assert_stderr_has(&o, "28-00000a1b2c3e: the kernel's CRC check");
    let o = udrv(
        t.path(),
        &["w1", "read", "--resolution", "13", "28-00000a1b2c3d"],
    );
    assert_stderr_has(&o, "give 9, 10, 11 or 12");
}

#[test]
fn pwm_set_writes_period_duty_and_enable() {
    let t = fixture();
    let c = t.path().join(PI4_PWM1);
    let read = |a: &str| fs::read_to_string(c.join(a)).unwrap();
    let o = udrv(
        t.path(),
        &["pwm", "set", "pwmchip0/1", "--freq", "50", "--duty", "7.5"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        (read("period"), read("duty_cycle"), read("enable")),
        ("20000000".into(), "1500000".into(), "1".into())
    );
    let o = udrv(t.path(), &["--json", "pwm", "list"]);
    let v = json_lines(&o);
    assert_eq!(v[0][0]["channels"][1]["duty_ns"], 1_500_000);
    assert_eq!(v[0][0]["channels"][0]["exported"], false);
    // The Pi 4's table: which header pins each channel drives.
    assert_eq!(v[0][0]["device"], "fe20c000.pwm");
    assert_eq!(v[0][0]["channels"][1]["pins"], json!(["GPIO13", "GPIO19"]));
    let o = udrv(t.path(), &["pwm", "list"]);
    assert!(
        stdout(&o)
            .contains("pwmchip0 (fe20c000.pwm)  2 channels\n  0  not exported  [GPIO12, GPIO18]"),
        "{}",
        stdout(&o)
    );
    for (args, code, text) in [
        (
            &["pwm", "set", "0/1", "--freq", "50", "--duty", "120"][..],
            2,
            "from 0 to 100",
        ),
        (
            &["pwm", "set", "GPIO17", "--freq", "50", "--duty", "5"][..],
            2,
            "no PWM controller drives this pin on the Raspberry Pi 4 Model B; the pins with \
             one: GPIO12, GPIO13, GPIO18, GPIO19",
        ),
        (
            &["pwm", "set", "GPIO99", "--freq", "50", "--duty", "5"][..],
            2,
            "GPIO99",
        ),
        (
            &["pwm", "set", "pwmchip0/x", "--freq", "50", "--duty", "5"][..],
            2,
            "name the channel as pwmchipN/CHANNEL",
        ),
        (
            &["pwm", "set", "pwmchip0", "--freq", "50", "--duty", "5"][..],
            2,
            "`pwmchip0`: name the channel as pwmchipN/CHANNEL",
        ),
        (
            &["pwm", "set", "0/5", "--freq", "50", "--duty", "5"][..],
            1,
            "has no channel 5",
        ),
        (
            &["pwm", "set", "4/0", "--freq", "50", "--duty", "5"][..],
            1,
            "no pwmchip4",
        ),
        (
            &["pwm", "set", "0/1", "--freq", "0", "--duty", "5"][..],
            2,
            "above 0 Hz",
        ),
    ] {
        let o = udrv(t.path(), args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(text), "{args:?}: {}", stderr(&o));
    }
}

/// Header pins name their channel through the board's table: the controller is found by
/// its device, whatever its `pwmchipN` number (the Pi 5's moved between kernels).
#[test]
fn pwm_set_by_header_pin_finds_the_controller_by_device() {
    let t = fixture();
    // Pi 4: GPIO13 and physical pin 33 (GPIO13) are PWM0 channel 1 = pwmchip0/pwm1.
    let c = t.path().join(PI4_PWM1);
    for pin in ["GPIO13", "33"] {
        fs::write(c.join("duty_cycle"), "0\n").unwrap();
        let o = udrv(
            t.path(),
            &["pwm", "set", pin, "--freq", "1000", "--duty", "25"],
        );
        assert!(o.status.success(), "{pin}: {}", stderr(&o));
        assert_eq!(fs::read_to_string(c.join("duty_cycle")).unwrap(), "250000");
    }

    // Pi 5: the fan's PWM1 is pwmchip0, the header's PWM0 pwmchip2; GPIO18 is its channel 2.
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    attr(
        r,
        "proc/device-tree/model",
        "Raspberry Pi 5 Model B Rev 1.0",
    );
    let rp1 = "sys/devices/platform/axi/1000120000.pcie/1f00000000.rp1";
    let fan = pwm_chip(r, 0, &format!("{rp1}/1f0009c000.pwm"), 4, &[2]);
    let header = pwm_chip(r, 2, &format!("{rp1}/1f00098000.pwm"), 4, &[2]);
    let o = udrv(r, &["pwm", "set", "GPIO18", "--freq", "50", "--duty", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(header.join("pwm2/period")).unwrap(),
        "20000000"
    );
    assert_eq!(fs::read_to_string(header.join("pwm2/enable")).unwrap(), "1");
    assert_eq!(fs::read_to_string(fan.join("pwm2/period")).unwrap(), "0\n");

    // The header's controller not enabled: what to put in config.txt.
    fs::remove_file(r.join("sys/class/pwm/pwmchip2")).unwrap();
    let o = udrv(r, &["pwm", "set", "GPIO12", "--freq", "50", "--duty", "10"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "GPIO12: PWM0 channel 0 (1f00098000.pwm) is not in /sys/class/pwm: the kernel has \
             not enabled it; add `dtoverlay=pwm,pin=12,func=4` to config.txt and reboot"
        ),
        "{}",
        stderr(&o)
    );

    // BeagleBone Black: P9_14 is eHRPWM1A, channel 0 of 48302200.pwm.
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    attr(r, "proc/device-tree/model", "TI AM335x BeagleBone Black");
    let ocp = "sys/devices/platform/ocp";
    pwm_chip(
        r,
        0,
        &format!("{ocp}/48300000.epwmss/48300200.pwm"),
        2,
        &[0],
    );
    let ehrpwm1 = pwm_chip(
        r,
        3,
        &format!("{ocp}/48302000.epwmss/48302200.pwm"),
        2,
        &[0],
    );
    let o = udrv(r, &["pwm", "set", "P9_14", "--freq", "50", "--duty", "50"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(ehrpwm1.join("pwm0/duty_cycle")).unwrap(),
        "10000000"
    );
}

/// The fixture's dummy device with a buffer, as iio_simple_dummy.c declares its scan
/// elements, a trigger `dummytrig` (trigger0) and its device node holding two scans of
/// voltage0 (7) and the timestamp (1000, 2000 ns).
fn buffered(r: &Path) {
    let d = "sys/devices/iio:device1";
    for (n, index, ty) in [
        ("in_voltage0", 0, "le:u13/16>>0"),
        ("in_voltage1-voltage2", 1, "le:s12/16>>0"),
        ("in_timestamp", 4, "le:s64/64>>0"),
    ] {
        attr(r, &format!("{d}/scan_elements/{n}_en"), "0");
        attr(
            r,
            &format!("{d}/scan_elements/{n}_index"),
            &index.to_string(),
        );
        attr(r, &format!("{d}/scan_elements/{n}_type"), ty);
    }
    attrs(
        r,
        d,
        &[
            ("in_voltage1-voltage2_raw", "-33"),
            ("in_voltage-voltage_scale", "0.000001344"),
            ("buffer/enable", "0"),
            ("buffer/length", "0"),
            ("trigger/current_trigger", ""),
        ],
    );
    let trig = "sys/devices/trigger0";
    attrs(
        r,
        trig,
        &[("name", "dummytrig"), ("sampling_frequency", "0")],
    );
    link(r, "sys/bus/iio/devices/trigger0", trig);
    let mut scans = Vec::new();
    for ts in [1_000i64, 2_000] {
        scans.extend(7u16.to_le_bytes());
        scans.extend([0xee; 6]); // padding to the timestamp's alignment
        scans.extend(ts.to_le_bytes());
    }
    fs::create_dir_all(r.join("dev")).unwrap();
    fs::write(r.join("dev/iio:device1"), scans).unwrap();
}

#[test]
fn iio_read_buffer_prints_scans_and_disables_the_buffer() {
    let t = fixture();
    let r = t.path();
    buffered(r);
    let read = |a: &str| fs::read_to_string(r.join("sys/devices/iio:device1").join(a)).unwrap();
    let args = [
        "--json",
        "iio",
        "read",
        "dummy0",
        "voltage0",
        "--buffer",
        "--trigger",
        "dummytrig",
        "--rate",
        "100",
        "--count",
        "2",
    ];
    let o = udrv(r, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v.len(), 2, "{}", stdout(&o));
    for (i, s) in v.iter().enumerate() {
        assert_eq!(
            (&s["scan"], &s["timestamp_ns"]),
            (&json!(i + 1), &json!(1000 * (i + 1)))
        );
        let x = &s["values"][0];
        assert_eq!(
            (&x["channel"], &x["raw"], &x["unit"]),
            (&json!("voltage0"), &json!(7), &json!("V"))
        );
        // (raw + offset) x scale, in mV by the kernel: V.
        assert!(
            (x["value"].as_f64().unwrap() - 14.0 * 0.001333e-3).abs() < 1e-15,
            "{x}"
        );
    }
    assert_eq!(
        fs::read_to_string(r.join("sys/devices/trigger0/sampling_frequency")).unwrap(),
        "100"
    );
    assert_eq!(read("scan_elements/in_voltage0_en"), "1");
    assert_eq!(read("trigger/current_trigger"), "dummytrig");
    assert_eq!(read("buffer/enable"), "0", "disabled again");
    // Text; without --trigger, the one the device has set now.
    let o = udrv(r, &["iio", "read", "1", "--buffer", "--count", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("     1  voltage0 "),
        "{}",
        stdout(&o)
    );
    // The device node ends after two scans: one error naming it, the buffer disabled.
    let o = udrv(
        r,
        &[
            "iio", "read", "dummy0", "voltage0", "--buffer", "--count", "3",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("dev/iio:device1"), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert_eq!(read("buffer/enable"), "0");
}

#[test]
fn iio_read_buffer_bad_requests_name_the_device() {
    let t = fixture();
    let r = t.path();
    buffered(r);
    for (args, says) in [
        (
            vec!["--trigger", "nosuch"],
            "iio:device1 (dummy0): no trigger `nosuch`; the triggers are: dummytrig",
        ),
        (vec![], "iio:device1 (dummy0) has no trigger set and none of its own: give --trigger NAME (the triggers are: dummytrig)"),
        (vec!["accel_x"], "iio:device1 (dummy0) has no buffered channel `accel_x`; it has: voltage0, voltage1-voltage2"),
    ] {
        let mut a = vec!["iio", "read", "dummy0", "--buffer"];
        a.extend(&args);
        let o = udrv(r, &a);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    let o = udrv(
        r,
        &[
            "iio",
            "read",
            "dummy0",
            "--buffer",
            "--trigger",
            "dummytrig",
            "--rate",
            "0",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--rate 0: give a positive number"),
        "{}",
        stderr(&o)
    );
    let o = udrv(r, &["iio", "read", "dummy0", "--count", "2"]);
    assert_eq!(o.status.code(), Some(2), "--count without --buffer");
    // A device without a buffer.
    let o = udrv(r, &["iio", "read", "bme280", "--buffer"]);
    assert!(
        stderr(&o).contains("iio:device0 (bme280) has no buffer"),
        "{}",
        stderr(&o)
    );
    // No refusal left the buffer enabled.
    let enable = fs::read_to_string(r.join("sys/devices/iio:device1/buffer/enable")).unwrap();
    assert_eq!(enable.trim(), "0");
}

/// The fixture's good DS18B20 (23.125 °C) and the one whose CRC check failed.
const DS18B20: &str = "ds18b20@w1:28-00000a1b2c3d";
const DS18B20_CRC_NO: &str = "ds18b20@w1:28-00000a1b2c3e";

#[test]
fn w1_thermometers_read_through_the_catalog() {
    let t = fixture();
    let o = udrv(t.path(), &["read", DS18B20]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with(DS18B20) && stdout(&o).contains("23.1"),
        "{}",
        stdout(&o)
    );
    let o = udrv(t.path(), &["--json", "read", "DS18B20@w1:28-00000A1B2C3D"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(
        (&v[0]["device"], &v[0]["chip"], &v[0]["bus"]),
        (&json!(DS18B20), &json!("ds18b20"), &json!("w1"))
    );
    assert_eq!(v[0]["identified"], true, "{}", v[0]);
    let d = &v[0]["data"][0];
    assert_eq!(
        (&d["quantity"], &d["value"], &d["unit"], &d["device"]),
        (
            &json!("temperature"),
            &json!(23.125),
            &json!("°C"),
            &json!(DS18B20)
        ),
        "{d}"
    );
    // `udrv probe w1` and `udrv board info` name the spec of each device.
    let o = udrv(t.path(), &["probe", "w1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("28-00000a1b2c3d  DS18B20   udrv read {DS18B20}")),
        "{}",
        stdout(&o)
    );
    let o = udrv(t.path(), &["--json", "probe", "w1"]);
    assert_eq!(json_lines(&o)[0]["found"][1]["spec"], DS18B20_CRC_NO);
    let o = udrv(t.path(), &["board", "info"]);
    assert!(
        stdout(&o).contains(&format!(
            "1-Wire 28-00000a1b2c3d  DS18B20: udrv read {DS18B20}"
        )),
        "{}",
        stdout(&o)
    );
    let o = udrv(t.path(), &["--json", "board", "info"]);
    assert_eq!(json_lines(&o)[0]["kernel_driven"]["w1"][0]["spec"], DS18B20);
}

#[test]
fn w1_catalog_reads_fail_naming_the_device() {
    let t = fixture();
    // The kernel's CRC verdict `NO`: an error naming the device, no temperature.
    let o = udrv(t.path(), &["read", DS18B20_CRC_NO]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    let e = stderr(&o);
    assert!(
        e.contains("28-00000a1b2c3e: the kernel's CRC check") && e.contains(DS18B20_CRC_NO),
        "{e}"
    );
    // A device whose folder went away while its link is still listed, then one the bus
    // no longer lists at all.
    let m = t.path().join("sys/devices/w1_bus_master1/28-00000a1b2c3d");
    fs::remove_dir_all(&m).unwrap();
    let o = udrv(t.path(), &["read", DS18B20]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("28-00000a1b2c3d"), "{}", stderr(&o));
    fs::remove_file(t.path().join("sys/bus/w1/devices/28-00000a1b2c3d")).unwrap();
    let o = udrv(t.path(), &["read", DS18B20]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no 1-Wire device `28-00000a1b2c3d`"),
        "{}",
        stderr(&o)
    );
    // Bad specs: usage errors that say what to give.
    for (spec, says) in [
        (
            "ds18b20@w1:05-00000a1b2c3d",
            "1-Wire family 05 is no ds18b20",
        ),
        ("ds18b20@w1:28-0a1b2c3d", "is not a 1-Wire ID"),
        ("ds18b20@w1", "is not a 1-Wire ID"),
        (
            "ds18b20@i2c-1:0x48",
            "is a 1-Wire chip: name it by its 1-Wire ID",
        ),
        ("lm75@w1:28-00000a1b2c3d", "lm75 has no 1-Wire interface"),
    ] {
        let o = udrv(t.path(), &["read", spec]);
        assert_eq!(o.status.code(), Some(2), "{spec}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{spec}: {}", stderr(&o));
    }
}

#[cfg(feature = "serve")]
#[test]
fn serve_reads_a_w1_thermometer_into_json_lines() {
    let t = fixture();
    let config = t.path().join("udrv.toml");
    fs::write(
        &config,
        format!("board = \"w1\"\ninterval = 0.1\n[[chip]]\nname = \"t\"\nspec = \"{DS18B20}\"\n"),
    )
    .unwrap();
    let o = udrv(
        t.path(),
        &[
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--count",
            "2",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v.len(), 2, "{}", stdout(&o));
    for r in &v {
        assert_eq!(
            (&r["device"], &r["quantity"], &r["value"]),
            (&json!(DS18B20), &json!("temperature"), &json!(23.125)),
            "{r}"
        );
    }
}

#[test]
fn board_info_lists_what_the_kernel_drives() {
    let t = fixture();
    let o = udrv(t.path(), &["board", "info"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Kernel drivers drive:"), "{out}");
    assert!(
        out.contains("i2c-1 0x48  lm75 (lm75, hwmon2): udrv read lm75@i2c-1:0x48"),
        "{out}"
    );
    assert!(
        out.contains("i2c-1 0x76  bme280 (bmp280, iio:device0): udrv read bme280@i2c-1:0x76"),
        "{out}"
    );
    assert!(
        out.contains("1-Wire 28-00000a1b2c3d  DS18B20") && out.contains("pwmchip0  2 channels"),
        "{out}"
    );
    let o = udrv(t.path(), &["--json", "board", "info"]);
    let v = json_lines(&o);
    assert_eq!(v[0]["kernel_driven"]["i2c"][0]["spec"], "lm75@i2c-1:0x48");
    // Not on the virtual board.
    let o = udrv(t.path(), &["--board", "virtual", "iio", "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert_stderr_has(&o, "does not run on the virtual board");
}
