//! Chips the real kernel drives, in the x86 guest:
//!
//! - the kernel's `lm75` hwmon driver bound to the i2c-stub's chip at 0x48 (`new_device`),
//!   its reading compared with udrv's own LM75 driver reading the same registers before
//!   the kernel took the address (equal within the kernel driver's 0.5 °C resolution:
//!   drivers/hwmon/lm75.c reads a plain `lm75` with 9 bits), and `udrv read` / `udrv
//!   probe` of the address the kernel now holds, and `udrv serve` reading it into JSON
//!   lines through the same driver;
//! - the kernel's IIO dummy device (drivers/iio/dummy/iio_simple_dummy.c, created through
//!   configfs) read by value, its scale and offset applied.
//!
//! The stub's 0x48 is shared with other guest tests: the lm75 module is unloaded at the
//! end (which removes the client however it was made), so the address is free again.
#![cfg(udrv_guest)]

mod common;

use std::fs;
use std::process::Output;
use std::time::Duration;

use common::procs::{wait_for, Proc};
use common::{env, run, stderr, stdout};
use serde_json::json;
use udrv_core::sysfs::SysRoot;

fn bus() -> String {
    env("UDRV_I2C_STUB_BUS")
}

/// `i2cset -f -y BUS 0x48 REG WORD w`, the big-endian chip register as the stub holds
/// it (forced: the chip's temperature changes while the kernel holds the address).
fn set_be(reg: u8, value: u16) {
    let b = bus();
    let (reg, word) = (format!("{reg:#04x}"), format!("{:#x}", value.swap_bytes()));
    let o = run(
        "busybox",
        &["i2cset", "-f", "-y", &b, "0x48", &reg, &word, "w"],
    );
    assert!(o.status.success(), "i2cset: {}", stderr(&o));
}

fn udrv(args: &[&str]) -> Output {
    std::process::Command::new("udrv")
        .args(args)
        .env_remove("UDRV_BOARD")
        .env_remove("UDRV_ROOT")
        .output()
        .unwrap()
}

/// The temperature `udrv --json read` gives.
fn udrv_temperature(spec: &str) -> f64 {
    let o = udrv(&["--json", "read", spec]);
    assert!(o.status.success(), "udrv read {spec}: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    v["data"][0]["value"].as_f64().unwrap()
}

/// Unloads lm75 when dropped (removing the client at 0x48, however the test ends).
struct Lm75Module;

impl Drop for Lm75Module {
    fn drop(&mut self) {
        let b = bus();
        let _ = fs::write(
            format!("/sys/bus/i2c/devices/i2c-{b}/delete_device"),
            "0x48",
        );
        let _ = run("busybox", &["rmmod", "lm75"]);
    }
}

#[test]
fn the_kernels_lm75_reads_as_udrvs_driver_and_udrv_read_goes_through_it() {
    let b = bus();
    let spec = format!("lm75@i2c-{b}:0x48");
    // Limits as an LM75 holds them at power-up (80 °C, 75 °C), so the register file is
    // an LM75's; the temperature: 25.0 °C, which 9 bits hold exactly.
    set_be(0x03, 0x5000);
    set_be(0x02, 0x4b00);
    set_be(0x00, 0x1900);
    let own = udrv_temperature(&spec);
    assert_eq!(own, 25.0);
    let own_text = udrv(&["read", &spec]);
    assert!(own_text.status.success(), "{}", stderr(&own_text));
    let _unload = Lm75Module;
    let o = run("busybox", &["modprobe", "lm75"]);
    assert!(o.status.success(), "modprobe lm75: {}", stderr(&o));
    let client = format!("/sys/bus/i2c/devices/{b}-0048");
    if fs::metadata(format!("{client}/driver")).is_err() {
        fs::write(
            format!("/sys/bus/i2c/devices/i2c-{b}/new_device"),
            "lm75 0x48",
        )
        .expect("new_device lm75 0x48");
    }
    let driver = fs::read_link(format!("{client}/driver")).expect("lm75 bound");
    assert!(driver.ends_with("lm75"), "{driver:?}");

    // udrv-core's hwmon reader finds it under the client and reads it.
    let root = SysRoot::system();
    let hw = udrv_core::hwmon::list(&root)
        .into_iter()
        .find(|h| h.i2c_client() == Some((b.parse().unwrap(), 0x48)))
        .expect("a hwmon device under the i2c client");
    assert_eq!((hw.name(), hw.driver().as_deref()), ("lm75", Some("lm75")));
    let kernel = hw.read_all().unwrap()[0].value;
    assert_eq!(kernel, own);

    // `udrv read` of the address the kernel holds: through the driver, the same text as
    // udrv's driver printed, the driver named on standard error.
    let o = udrv(&["read", &spec]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&own_text));
    assert!(stdout(&o).contains("25.0 °C"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains(&format!("held by the kernel driver `lm75` ({})", hw.id())),
        "{}",
        stderr(&o)
    );
    // A temperature finer than 9 bits: the kernel's is within its 0.5 °C step of udrv's.
    set_be(0x00, 0xe6e0); // -25.125 °C with 11 bits
    let through_kernel = udrv_temperature(&spec);
    assert!(
        (through_kernel - -25.125).abs() <= 0.5 && through_kernel != 0.0,
        "{through_kernel}"
    );
    assert_eq!(through_kernel, hw.read_all().unwrap()[0].value);
    // Another kind at that address: refused, naming the driver and the spec to give.
    let o = udrv(&["read", &format!("tmp102@i2c-{b}:0x48")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!("read `lm75@i2c-{b}:0x48`")),
        "{}",
        stderr(&o)
    );
    // `udrv probe` says what reads the address.
    let o = udrv(&["probe", &b]);
    let line = stdout(&o)
        .lines()
        .find(|l| l.starts_with("0x48"))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(
        line.contains("(lm75 via kernel)") && line.contains(&format!("udrv read {spec}")),
        "{}",
        stdout(&o)
    );

    // `udrv serve` reads it through the kernel's driver as well (the catalog's one path):
    // JSON lines with the kernel's value.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("udrv.toml");
    let toml =
        format!("board = \"guest\"\ninterval = 0.1\n[[chip]]\nname = \"t\"\nspec = \"{spec}\"\n");
    fs::write(&config, toml).unwrap();
    let mut cmd = std::process::Command::new("udrv");
    cmd.args(["serve", "--config"]).arg(&config);
    cmd.env_remove("UDRV_BOARD").env_remove("JOURNAL_STREAM");
    let mut serve = Proc::start("serve", &mut cmd, dir.path(), Duration::from_secs(120));
    let readings = |p: &Proc| -> Vec<serde_json::Value> {
        let out = p.stdout();
        out.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    let dump = || format!("{}\n{}", serve.stdout(), serve.stderr());
    wait_for(
        "3 readings from udrv serve",
        Duration::from_secs(60),
        || readings(&serve).len() >= 3,
        dump,
    );
    serve.signal("-TERM");
    assert!(serve.wait().success(), "{}", serve.stderr());
    for v in readings(&serve) {
        assert_eq!(v["device"], spec.as_str(), "{v}");
        assert_eq!(v["value"], through_kernel, "{v}");
    }

    // Unbound again: udrv's driver reads the register itself.
    drop(_unload);
    set_be(0x00, 0x1900);
    assert_eq!(udrv_temperature(&spec), 25.0);
}

#[test]
fn the_iio_dummy_device_reads_by_value_with_scale_and_offset() {
    let dir = "/sys/kernel/config/iio/devices/dummy/udrv0";
    let _ = fs::remove_dir(dir);
    fs::create_dir(dir).expect("mkdir configfs iio dummy device");
    struct Remove(&'static str);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = fs::remove_dir(self.0);
        }
    }
    let _remove = Remove(dir);
    let root = SysRoot::system();
    let dev = udrv_core::iio::IioDevice::open(&root, "udrv0").expect("the dummy device");
    let names: Vec<String> = dev.channels().into_iter().map(|c| c.name).collect();
    for c in [
        "voltage0",
        "voltage1-voltage2",
        "voltage3-voltage4",
        "accel_x",
    ] {
        assert!(names.iter().any(|n| n == c), "{c} not in {names:?}");
    }
    // What the kernel shows, read here without udrv.
    let attr = |a: &str| -> f64 {
        fs::read_to_string(dev.path().join(a))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let expected =
        (attr("in_voltage0_raw") + attr("in_voltage0_offset")) * attr("in_voltage0_scale");
    let v = dev.read(&dev.channel("voltage0").unwrap()).unwrap();
    assert_eq!(
        v.raw,
        Some(73),
        "iio_simple_dummy.c: single_ended_adc_val = 73"
    );
    assert!((v.value - expected).abs() < 1e-12, "{v:?} vs {expected}");
    assert!((v.value - 80.0 * 0.001333).abs() < 1e-9, "{v:?}");
    let diff = dev
        .read(&dev.channel("voltage3-voltage4").unwrap())
        .unwrap();
    assert_eq!(diff.raw, Some(-34));
    // IIO_VAL_INT_PLUS_NANO: 0.000001344.
    assert!((diff.scale - 0.000001344).abs() < 1e-15, "{diff:?}");

    // The CLI: the same value, in volts (the catalog's unit for voltage).
    let o = udrv(&["--json", "iio", "read", "udrv0", "voltage0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(j["unit"], "V");
    assert!(
        (j["value"].as_f64().unwrap() - expected * 1e-3).abs() < 1e-15,
        "{j}"
    );
    let o = udrv(&["iio", "list"]);
    assert!(stdout(&o).contains("udrv0"), "{}", stdout(&o));
}

/// Removes configfs folders when dropped.
struct Remove([&'static str; 2]);

impl Drop for Remove {
    fn drop(&mut self) {
        for d in self.0 {
            let _ = fs::remove_dir(d);
        }
    }
}

/// A software trigger (iio-trig-hrtimer) `hrtimer/TRIG` at `hz` and a dummy device
/// `dummy/DEV`, made through configfs (Documentation/iio/iio_configfs.rst): removed when
/// the guard is dropped.
fn hrtimer_and_dummy(trig: &'static str, dev: &'static str, hz: &str) -> Remove {
    let _ = fs::remove_dir(dev);
    let _ = fs::remove_dir(trig);
    fs::create_dir(trig).expect("mkdir configfs hrtimer trigger");
    fs::create_dir(dev).expect("mkdir configfs iio dummy device");
    let remove = Remove([dev, trig]);
    let t = trigger_dir(trig.rsplit('/').next().unwrap());
    fs::write(t.join("sampling_frequency"), hz).unwrap();
    remove
}

/// The folder of the trigger called `name` under /sys/bus/iio/devices.
fn trigger_dir(name: &str) -> std::path::PathBuf {
    fs::read_dir("/sys/bus/iio/devices")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| fs::read_to_string(p.join("name")).is_ok_and(|n| n.trim() == name))
        .expect("the trigger under /sys/bus/iio/devices")
}

#[test]
fn the_iio_dummy_device_reads_by_buffer_on_the_hrtimer_trigger() {
    let _remove = hrtimer_and_dummy(
        "/sys/kernel/config/iio/triggers/hrtimer/udrvtrig",
        "/sys/kernel/config/iio/devices/dummy/udrvbuf",
        "200",
    );
    let root = SysRoot::system();
    let dev = udrv_core::iio::IioDevice::open(&root, "udrvbuf").unwrap();
    let mut buf = {
        let b = dev.buffer(&["voltage0", "accel_x"], true, "udrvtrig", 16);
        b.expect("buffer started")
    };
    // u13/16 at 0, s16/16 at 2, the 64-bit timestamp aligned at 8.
    assert_eq!(buf.scan_size(), 16);
    let mut last = 0;
    for _ in 0..3 {
        let s = buf.read_scan().unwrap();
        let names: Vec<&str> = s.iter().map(|v| v.channel.as_str()).collect();
        assert_eq!(names, ["voltage0", "accel_x", "timestamp"]);
        // iio_simple_dummy_buffer.c: fakedata[] = { 7, -33, -2, 344 }.
        assert_eq!((s[0].raw, s[1].raw), (7, 344), "{s:?}");
        assert!((s[0].value - 14.0 * 0.001333).abs() < 1e-12, "{s:?}");
        assert!(s[2].raw > last, "timestamps go forward: {s:?}");
        last = s[2].raw;
    }
}

#[test]
fn udrv_iio_read_buffer_prints_scans_until_count_or_sigterm() {
    let _remove = hrtimer_and_dummy(
        "/sys/kernel/config/iio/triggers/hrtimer/udrvclitrig",
        "/sys/kernel/config/iio/devices/dummy/udrvcli",
        "100",
    );
    let dev = udrv_core::iio::IioDevice::open(&SysRoot::system(), "udrvcli").unwrap();
    let enable = || fs::read_to_string(dev.path().join("buffer/enable")).unwrap();
    let o = udrv(&[
        "--json",
        "iio",
        "read",
        "udrvcli",
        "voltage0",
        "accel_x",
        "--buffer",
        "--trigger",
        "udrvclitrig",
        "--rate",
        "200",
        "--count",
        "4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let scans: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(scans.len(), 4, "{}", stdout(&o));
    let mut last = 0;
    for s in &scans {
        let v = &s["values"];
        // iio_simple_dummy_buffer.c: fakedata[] = { 7, -33, -2, 344 }: voltage0 7, accel_x
        // 344; voltage0's offset 7 and scale 0.001333 mV give V.
        assert_eq!(
            (&v[0]["raw"], &v[1]["raw"]),
            (&json!(7), &json!(344)),
            "{s}"
        );
        assert_eq!(
            (&v[0]["channel"], &v[0]["unit"]),
            (&json!("voltage0"), &json!("V"))
        );
        assert!(
            (v[0]["value"].as_f64().unwrap() - 14.0 * 0.001333e-3).abs() < 1e-15,
            "{s}"
        );
        let t = s["timestamp_ns"].as_i64().unwrap();
        assert!(t > last, "timestamps go forward: {s}");
        last = t;
    }
    assert_eq!(enable().trim(), "0", "the buffer disabled after --count");
    // The rate went to the hrtimer trigger.
    let trig = trigger_dir("udrvclitrig");
    let hz: f64 = fs::read_to_string(trig.join("sampling_frequency"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(hz, 200.0);

    // Without --count: scans until SIGTERM, then the buffer disabled and status 0.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new("udrv");
    cmd.args(["iio", "read", "udrvcli", "voltage0", "--buffer"]);
    cmd.args(["--trigger", "udrvclitrig"])
        .env_remove("UDRV_ROOT");
    let mut p = Proc::start("iio read", &mut cmd, dir.path(), Duration::from_secs(60));
    let dump = || format!("{}\n{}", p.stdout(), p.stderr());
    wait_for(
        "3 scans from udrv iio read --buffer",
        Duration::from_secs(30),
        || p.stdout().lines().count() >= 3,
        dump,
    );
    assert_eq!(enable().trim(), "1", "enabled while it reads");
    p.signal("-TERM");
    assert!(p.wait().success(), "{}", p.stderr());
    assert_eq!(enable().trim(), "0", "the buffer disabled after SIGTERM");
    assert!(
        p.stdout()
            .lines()
            .next()
            .unwrap()
            .starts_with("     1  voltage0 "),
        "{}",
        p.stdout()
    );
}
