//! The readers of kernel-driven devices (`udrv_core::{hwmon, iio, w1, pwm}`) on sysfs
//! trees laid out as the kernel defines them, built in temporary folders:
//!
//! - hwmon: Documentation/hwmon/sysfs-interface.rst (`/sys/class/hwmon/hwmonN` a link to
//!   the device's `hwmon/hwmonN`, whose `device` links to the chip: an I2C client
//!   `N-00AA`, named by `i2c_dev_set_name` in drivers/i2c/i2c-core-base.c);
//! - IIO: Documentation/ABI/testing/sysfs-bus-iio (`/sys/bus/iio/devices/iio:deviceN`,
//!   `in_<type><index>[_<modifier>]_{raw,input,offset,scale}`, the scale and offset shared
//!   by type as `in_<type>_scale`, differential `in_<type>-<type>_scale`), values from
//!   the kernel's IIO dummy driver (drivers/iio/dummy/iio_simple_dummy.c);
//! - 1-Wire: Documentation/w1/slaves/w1_therm.rst and `w1_slave_show` in
//!   drivers/w1/slaves/w1_therm.c (`: crc=%02x %s` with `YES`/`NO`, then `t=%d`);
//! - PWM: Documentation/ABI/testing/sysfs-class-pwm (`npwm`, `export`, `unexport`,
//!   `pwmN/{period,duty_cycle,polarity,enable}`).
//!
//! The failure modes: a missing attribute, garbage in one, a scale of 0, a device removed
//! while read, a CRC failure, an unanswered 1-Wire read, a duty above the period, a channel
//! that is not there or does not export.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use embedded_hal::pwm::SetDutyCycle;
use udrv_core::sysfs::{AttrError, Problem, SysRoot};
use udrv_core::{hwmon, iio, pwm, w1};

/// A temporary root folder, removed when dropped.
struct Tree(PathBuf);

impl Tree {
    fn new() -> Tree {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "udrv-sysfs-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Tree(p)
    }

    fn root(&self) -> SysRoot {
        SysRoot::new(&self.0)
    }

    fn path(&self, abs: &str) -> PathBuf {
        self.0.join(abs.trim_start_matches('/'))
    }

    /// Writes `abs` with `text` and a newline, as sysfs shows attributes.
    fn attr(&self, abs: &str, text: &str) {
        let p = self.path(abs);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, format!("{text}\n")).unwrap();
    }

    /// A relative symlink `abs` → `target` (both absolute system paths).
    fn link(&self, abs: &str, target: &str) {
        let p = self.path(abs);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::create_dir_all(self.path(target)).unwrap();
        symlink(
            relative(Path::new(abs).parent().unwrap(), Path::new(target)),
            p,
        )
        .unwrap();
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `to` relative to the folder `from` (both absolute), as sysfs links are.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut p = PathBuf::new();
    for _ in common..f.len() {
        p.push("..");
    }
    for c in &t[common..] {
        p.push(c);
    }
    p
}

const I2C1: &str = "/sys/devices/platform/soc/fe804000.i2c/i2c-1";

/// An I2C client `1-00AA` bound to `driver`, as the I2C core lays it out.
fn i2c_client(t: &Tree, addr: u16, driver: &str) -> String {
    let dir = format!("{I2C1}/1-{addr:04x}");
    t.attr(&format!("{dir}/name"), driver);
    t.link(
        &format!("{dir}/driver"),
        &format!("/sys/bus/i2c/drivers/{driver}"),
    );
    dir
}

/// hwmon: an LM75 on i2c-1 at 0x48 (hwmon2), an INA219 at 0x40 (hwmon3, ina2xx driver),
/// an SHT3x at 0x44 (hwmon4) and the SoC's sensor without I2C parent (hwmon0).
fn hwmon_tree() -> Tree {
    let t = Tree::new();
    let add = |n: u32, parent: &str, name: &str, attrs: &[(&str, &str)]| {
        let dir = format!("{parent}/hwmon/hwmon{n}");
        t.attr(&format!("{dir}/name"), name);
        for (a, v) in attrs {
            t.attr(&format!("{dir}/{a}"), v);
        }
        t.link(&format!("{dir}/device"), parent);
        t.link(&format!("/sys/class/hwmon/hwmon{n}"), &dir);
    };
    let lm75 = i2c_client(&t, 0x48, "lm75");
    add(
        2,
        &lm75,
        "lm75",
        &[("temp1_input", "23500"), ("temp1_max", "80000")],
    );
    let ina = i2c_client(&t, 0x40, "ina2xx");
    add(
        3,
        &ina,
        "ina219",
        &[
            ("in0_input", "12"),
            ("in0_label", "shunt"),
            ("in1_input", "5016"),
            ("curr1_input", "120"),
            ("power1_input", "601920"),
        ],
    );
    let sht = i2c_client(&t, 0x44, "sht3x");
    add(
        4,
        &sht,
        "sht3x",
        &[("temp1_input", "-5250"), ("humidity1_input", "45600")],
    );
    add(
        0,
        "/sys/devices/virtual/thermal/thermal_zone0",
        "cpu_thermal",
        &[("temp1_input", "48312"), ("temp1_label", "cpu")],
    );
    t
}

#[test]
fn hwmon_reads_every_kind_in_si_units_with_labels_and_i2c_parents() {
    let t = hwmon_tree();
    let all = hwmon::list(&t.root());
    let ids: Vec<&str> = all.iter().map(|h| h.id()).collect();
    assert_eq!(ids, ["hwmon0", "hwmon2", "hwmon3", "hwmon4"]);
    let lm75 = hwmon::Hwmon::open(&t.root(), "hwmon2").unwrap();
    assert_eq!(lm75.name(), "lm75");
    assert_eq!(lm75.i2c_client(), Some((1, 0x48)));
    assert_eq!(lm75.driver().as_deref(), Some("lm75"));
    let s = lm75.read_all().unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].channel.to_string(), s[0].value),
        ("temp1".into(), 23.5)
    );
    let ina = hwmon::Hwmon::open(&t.root(), "ina219").unwrap();
    assert_eq!(ina.driver().as_deref(), Some("ina2xx"));
    let v: Vec<(String, Option<String>, f64)> = ina
        .read_all()
        .unwrap()
        .into_iter()
        .map(|s| (s.channel.to_string(), s.label, s.value))
        .collect();
    assert_eq!(
        v,
        [
            ("in0".into(), Some("shunt".into()), 0.012),
            ("in1".into(), None, 5.016),
            ("curr1".into(), None, 0.12),
            ("power1".into(), None, 0.60192),
        ]
    );
    let sht = hwmon::Hwmon::open(&t.root(), "hwmon4").unwrap();
    let v: Vec<f64> = sht.read_all().unwrap().iter().map(|s| s.value).collect();
    assert_eq!(v, [-5.25, 45.6]);
    let soc = hwmon::Hwmon::open(&t.root(), "hwmon0").unwrap();
    assert_eq!(soc.i2c_client(), None);
    assert_eq!(soc.read_all().unwrap()[0].label.as_deref(), Some("cpu"));
}

/// The error's problem, for matching.
fn problem(e: &AttrError) -> &Problem {
    &e.problem
}

#[test]
fn hwmon_bad_input_is_one_clear_error() {
    let t = hwmon_tree();
    let h = hwmon::Hwmon::open(&t.root(), "hwmon2").unwrap();
    let ch = h.channels()[0].clone();
    // Garbage in the attribute.
    t.attr(&format!("{I2C1}/1-0048/hwmon/hwmon2/temp1_input"), "banana");
    let e = h.read(&ch).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("hwmon2 (lm75)") && msg.contains("temp1_input") && msg.contains("banana"),
        "{msg}"
    );
    // The attribute missing.
    fs::remove_file(t.path(&format!("{I2C1}/1-0048/hwmon/hwmon2/temp1_input"))).unwrap();
    match h.read(&ch).unwrap_err() {
        hwmon::Error::Attr(a) => assert!(matches!(problem(&a), Problem::Missing), "{a}"),
        e => panic!("{e}"),
    }
    // The device removed while read.
    fs::remove_dir_all(t.path(&format!("{I2C1}/1-0048"))).unwrap();
    let e = h.read(&ch).unwrap_err();
    assert!(e.to_string().contains("the device is gone"), "{e}");
    // A name no device has.
    let e = hwmon::Hwmon::open(&t.root(), "hwmon9").unwrap_err();
    assert!(e.to_string().contains("no hwmon device `hwmon9`"), "{e}");
    // No hwmon class at all: no devices, no error.
    assert!(hwmon::list(&Tree::new().root()).is_empty());
}

/// IIO: a BME280 on i2c-1 at 0x76 (processed channels, bmp280 driver), the dummy
/// device's channels and values (iio_simple_dummy.c: raw 73, offset 7, scale 0.001333;
/// differential raw 33 and -34, shared scale 0.000001344 (IIO_VAL_INT_PLUS_NANO); accel_x raw 34) and a trigger.
fn iio_tree() -> Tree {
    let t = Tree::new();
    let bme = i2c_client(&t, 0x76, "bmp280");
    let dev = format!("{bme}/iio:device0");
    for (a, v) in [
        ("name", "bme280"),
        ("in_temp_input", "23450"),
        ("in_pressure_input", "101.325000000"),
        ("in_humidityrelative_input", "45123"),
        ("in_temp_oversampling_ratio", "2"),
    ] {
        t.attr(&format!("{dev}/{a}"), v);
    }
    t.link("/sys/bus/iio/devices/iio:device0", &dev);
    let dummy = "/sys/devices/iio:device1";
    for (a, v) in [
        ("name", "dummy0"),
        ("in_voltage0_raw", "73"),
        ("in_voltage0_offset", "7"),
        ("in_voltage0_scale", "0.001333"),
        ("in_voltage1-voltage2_raw", "33"),
        ("in_voltage3-voltage4_raw", "-34"),
        ("in_voltage-voltage_scale", "0.000001344"),
        ("in_accel_x_raw", "34"),
        ("in_accel_x_calibbias", "-7"),
        ("in_sampling_frequency", "3.033"),
    ] {
        t.attr(&format!("{dummy}/{a}"), v);
    }
    t.link("/sys/bus/iio/devices/iio:device1", dummy);
    t.attr("/sys/devices/trigger0/name", "dummytrig");
    t.link("/sys/bus/iio/devices/trigger0", "/sys/devices/trigger0");
    t
}

#[test]
fn iio_reads_channels_with_offset_and_scale_applied() {
    let t = iio_tree();
    let all = iio::list(&t.root());
    let ids: Vec<&str> = all.iter().map(|d| d.id()).collect();
    assert_eq!(ids, ["iio:device0", "iio:device1"]);
    let bme = iio::IioDevice::open(&t.root(), "0").unwrap();
    assert_eq!(bme.name(), Some("bme280"));
    assert_eq!(bme.i2c_client(), Some((1, 0x76)));
    assert_eq!(bme.driver().as_deref(), Some("bmp280"));
    let names: Vec<String> = bme.channels().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["humidityrelative", "pressure", "temp"]);
    let v = |d: &iio::IioDevice, c: &str| d.read(&d.channel(c).unwrap()).unwrap().value;
    assert_eq!(v(&bme, "temp"), 23450.0);
    assert_eq!(v(&bme, "pressure"), 101.325);
    assert_eq!(v(&bme, "humidityrelative"), 45123.0);
    let dummy = iio::IioDevice::open(&t.root(), "dummy0").unwrap();
    assert_eq!(dummy.i2c_client(), None);
    let r = dummy.read(&dummy.channel("voltage0").unwrap()).unwrap();
    assert_eq!((r.raw, r.offset, r.scale), (Some(73), 7.0, 0.001333));
    assert!((r.value - 80.0 * 0.001333).abs() < 1e-12, "{r:?}");
    assert!((v(&dummy, "voltage1-voltage2") - 33.0 * 0.000001344).abs() < 1e-15);
    assert!((v(&dummy, "voltage3-voltage4") + 34.0 * 0.000001344).abs() < 1e-15);
    // No scale, no offset: the raw value as it is.
    assert_eq!(v(&dummy, "accel_x"), 34.0);
    let e = dummy.channel("temp").unwrap_err();
    assert!(e.to_string().contains("accel_x, voltage0"), "{e}");
}

#[test]
fn iio_bad_input_is_one_clear_error() {
    let t = iio_tree();
    let dummy = iio::IioDevice::open(&t.root(), "iio:device1").unwrap();
    let ch = dummy.channel("voltage0").unwrap();
    // A scale of 0.
    t.attr("/sys/devices/iio:device1/in_voltage0_scale", "0.000000");
    let e = dummy.read(&ch).unwrap_err().to_string();
    assert!(
        e.contains("iio:device1 (dummy0)")
            && e.contains("in_voltage0_scale")
            && e.contains("would be 0"),
        "{e}"
    );
    // Garbage in the scale, then in the raw value.
    t.attr("/sys/devices/iio:device1/in_voltage0_scale", "fast");
    let e = dummy.read(&ch).unwrap_err().to_string();
    assert!(e.contains("`fast`, not a number"), "{e}");
    t.attr("/sys/devices/iio:device1/in_voltage0_raw", "0x1f");
    let e = dummy.read(&ch).unwrap_err().to_string();
    assert!(
        e.contains("in_voltage0_raw") && e.contains("not an integer"),
        "{e}"
    );
    // The raw attribute gone.
    fs::remove_file(t.path("/sys/devices/iio:device1/in_voltage0_raw")).unwrap();
    match dummy.read(&ch).unwrap_err() {
        iio::Error::Attr(a) => assert!(matches!(problem(&a), Problem::Missing), "{a}"),
        e => panic!("{e}"),
    }
    // The device removed while read.
    fs::remove_dir_all(t.path("/sys/devices/iio:device1")).unwrap();
    let e = dummy.read(&dummy_ch("accel_x")).unwrap_err().to_string();
    assert!(e.contains("the device is gone"), "{e}");
    let e = iio::IioDevice::open(&t.root(), "iio:device7").unwrap_err();
    assert!(e.to_string().contains("no IIO device `iio:device7`"), "{e}");
}

fn dummy_ch(name: &str) -> iio::Channel {
    iio::Channel {
        name: name.into(),
        kind: "accel".into(),
        index: None,
        modifier: Some("x".into()),
        differential: false,
        processed: false,
    }
}

/// 1-Wire: a bus master, a DS18B20 read well, one whose CRC failed, one that did not
/// answer, and a DS2413 (family 3a, no thermometer).
fn w1_tree() -> Tree {
    let t = Tree::new();
    let m = "/sys/devices/w1_bus_master1";
    t.attr(&format!("{m}/w1_master_slave_count"), "4");
    t.link("/sys/bus/w1/devices/w1_bus_master1", m);
    let add = |id: &str, attrs: &[(&str, &str)]| {
        let dir = format!("{m}/{id}");
        t.attr(&format!("{dir}/name"), id);
        for (a, v) in attrs {
            t.attr(&format!("{dir}/{a}"), v);
        }
        t.link(&format!("/sys/bus/w1/devices/{id}"), &dir);
    };
    add(
        "28-00000a1b2c3d",
        &[
            (
                "w1_slave",
                "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125",
            ),
            ("resolution", "12"),
            ("temperature", "23125"),
        ],
    );
    add(
        "28-00000a1b2c3e",
        &[(
            "w1_slave",
            "72 01 4b 46 7f ff 0e 10 56 : crc=57 NO\n72 01 4b 46 7f ff 0e 10 56 t=23125",
        )],
    );
    add(
        "28-00000a1b2c3f",
        &[(
            "w1_slave",
            "ff ff ff ff ff ff ff ff ff : crc=c9 YES\nff ff ff ff ff ff ff ff ff t=-62",
        )],
    );
    add("3a-0000005d1f29", &[("state", "\u{f}")]);
    t
}

#[test]
fn w1_reads_ds18b20_with_the_kernels_crc_verdict() {
    let t = w1_tree();
    let ids: Vec<String> = w1::list(&t.root())
        .iter()
        .map(|d| d.id().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "28-00000a1b2c3d",
            "28-00000a1b2c3e",
            "28-00000a1b2c3f",
            "3a-0000005d1f29"
        ]
    );
    let d = w1::W1Device::open(&t.root(), "28-00000a1b2c3d").unwrap();
    assert_eq!((d.family(), d.chip()), (0x28, Some("DS18B20")));
    assert_eq!(d.read_temperature().unwrap(), 23.125);
    assert_eq!(d.resolution().unwrap(), 12);
    d.set_resolution(10).unwrap();
    assert_eq!(d.resolution().unwrap(), 10);
}

#[test]
fn w1_bad_reads_are_one_clear_error() {
    let t = w1_tree();
    let open = |id: &str| w1::W1Device::open(&t.root(), id).unwrap();
    let e = open("28-00000a1b2c3e").read_temperature().unwrap_err();
    assert!(matches!(e, w1::Error::Crc { .. }), "{e}");
    assert!(e.to_string().contains("CRC check") && e.to_string().contains("pull-up"));
    let e = open("28-00000a1b2c3f").read_temperature().unwrap_err();
    assert!(matches!(e, w1::Error::NoAnswer { .. }), "{e}");
    let e = open("3a-0000005d1f29").read_temperature().unwrap_err();
    assert!(matches!(e, w1::Error::NotAThermometer { .. }), "{e}");
    let d = open("28-00000a1b2c3d");
    let e = d.set_resolution(8).unwrap_err();
    assert!(e.to_string().contains("give 9, 10, 11 or 12"), "{e}");
    t.attr(
        "/sys/devices/w1_bus_master1/28-00000a1b2c3d/resolution",
        "twelve",
    );
    assert!(d.resolution().unwrap_err().to_string().contains("`twelve`"));
    t.attr(
        "/sys/devices/w1_bus_master1/28-00000a1b2c3d/w1_slave",
        "garbage",
    );
    let e = d.read_temperature().unwrap_err().to_string();
    assert!(e.contains("`garbage`, not two scratchpad lines"), "{e}");
    // Removed while read (the sensor unplugged: the w1 core removes its folder).
    fs::remove_dir_all(t.path("/sys/devices/w1_bus_master1/28-00000a1b2c3d")).unwrap();
    let e = d.read_temperature().unwrap_err().to_string();
    assert!(e.contains("the device is gone"), "{e}");
    let e = w1::W1Device::open(&t.root(), "28-000000000000").unwrap_err();
    assert!(e.to_string().contains("dtoverlay=w1-gpio"), "{e}");
}

/// PWM: pwmchip0 with 2 channels, channel 0 exported (1 ms period, 0.6 ms duty).
fn pwm_tree() -> Tree {
    let t = Tree::new();
    let c = "/sys/devices/platform/soc/fe20c000.pwm/pwm/pwmchip0";
    t.attr(&format!("{c}/npwm"), "2");
    t.attr(&format!("{c}/export"), "");
    t.attr(&format!("{c}/unexport"), "");
    for (a, v) in [
        ("period", "1000000"),
        ("duty_cycle", "600000"),
        ("polarity", "normal"),
        ("enable", "0"),
    ] {
        t.attr(&format!("{c}/pwm0/{a}"), v);
    }
    t.link("/sys/class/pwm/pwmchip0", c);
    t
}

#[test]
fn pwm_sets_period_duty_polarity_and_enable_in_a_valid_order() {
    let t = pwm_tree();
    let c = "/sys/devices/platform/soc/fe20c000.pwm/pwm/pwmchip0/pwm0";
    let read = |a: &str| fs::read_to_string(t.path(&format!("{c}/{a}"))).unwrap();
    assert_eq!(pwm::chips(&t.root()), [0]);
    let chip = pwm::PwmChip::open(&t.root(), 0).unwrap();
    assert_eq!(chip.npwm().unwrap(), 2);
    let mut ch = chip.channel(0).unwrap();
    assert_eq!(read("period").trim(), "1000000");
    // A shorter period than the current duty: the duty is written first (the kernel
    // would refuse the period otherwise); the file's last write is what remains.
    ch.configure(500_000, 125_000).unwrap();
    assert_eq!(
        (read("period"), read("duty_cycle")),
        ("500000".into(), "125000".into())
    );
    assert_eq!(ch.period_ns().unwrap(), 500_000);
    ch.set_polarity(pwm::Polarity::Inversed).unwrap();
    assert_eq!(read("polarity"), "inversed");
    ch.enable(true).unwrap();
    assert_eq!(read("enable"), "1");
    assert!(ch.enabled().unwrap());
    // embedded-hal: the duty in 1/60000 steps of the period (50 % is 30000/60000 of
    // 500 000 ns, exactly; with 1/65535 steps it was 249 996 ns).
    assert_eq!(ch.max_duty_cycle(), pwm::DUTY_STEPS);
    ch.set_duty_cycle_percent(50).unwrap();
    assert_eq!(read("duty_cycle"), "250000");
    ch.set_duty_cycle_fraction(1, 3).unwrap();
    assert_eq!(read("duty_cycle"), "166667");
    ch.set_duty_cycle_fraction(1, 5).unwrap();
    assert_eq!(read("duty_cycle"), "100000");
    ch.set_duty_cycle_fully_on().unwrap();
    assert_eq!(read("duty_cycle"), "500000");
    ch.unexport().unwrap();
    let path = "/sys/devices/platform/soc/fe20c000.pwm/pwm/pwmchip0/unexport";
    assert_eq!(fs::read_to_string(t.path(path)).unwrap(), "0");
}

#[test]
fn pwm_bad_requests_are_one_clear_error_before_anything_is_written() {
    let t = pwm_tree();
    let c = "/sys/devices/platform/soc/fe20c000.pwm/pwm/pwmchip0";
    let chip = pwm::PwmChip::open(&t.root(), 0).unwrap();
    let mut ch = chip.channel(0).unwrap();
    // A duty above the period: refused, nothing written.
    let e = ch.configure(1_000, 2_000).unwrap_err();
    assert!(matches!(e, pwm::Error::DutyAbovePeriod { .. }), "{e}");
    assert!(e.to_string().contains("pwmchip0/pwm0"), "{e}");
    let e = ch.set_duty_ns(1_000_001).unwrap_err();
    assert!(e.to_string().contains("longer than the period"), "{e}");
    let duty = fs::read_to_string(t.path(&format!("{c}/pwm0/duty_cycle"))).unwrap();
    assert_eq!(duty.trim(), "600000");
    let e = ch.configure(0, 0).unwrap_err();
    assert!(e.to_string().contains("at least 1 ns"), "{e}");
    // Garbage.
    t.attr(&format!("{c}/pwm0/polarity"), "upside-down");
    let e = ch.polarity().unwrap_err().to_string();
    assert!(
        e.contains("`upside-down`, not `normal` or `inversed`"),
        "{e}"
    );
    // A channel the chip does not have.
    let e = chip.channel(2).unwrap_err().to_string();
    assert!(e.contains("has no channel 2: it has 2 (0-1)"), "{e}");
    // Export written, but no folder appeared (what a refused export leaves).
    let e = chip.channel(1).unwrap_err();
    assert!(matches!(e, pwm::Error::NotExported { .. }), "{e}");
    let export = fs::read_to_string(t.path(&format!("{c}/export"))).unwrap();
    assert_eq!(export, "1");
    // No such chip.
    let e = pwm::PwmChip::open(&t.root(), 3).unwrap_err().to_string();
    assert!(e.contains("no pwmchip3; there are: pwmchip0"), "{e}");
    let e = pwm::PwmChip::open(&Tree::new().root(), 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("dtoverlay=pwm"), "{e}");
    // The channel removed while used (the chip's driver unbound).
    fs::remove_dir_all(t.path(c)).unwrap();
    let e = ch.period_ns().unwrap_err().to_string();
    assert!(e.contains("the device is gone"), "{e}");
}

#[test]
fn kernel_refusals_name_the_device_the_errno_and_what_to_do() {
    // EBUSY and EINVAL come from the kernel only (a regular file takes any write): the
    // message each gives, as the readers build it from the errno.
    let busy = AttrError {
        subsystem: "pwm",
        device: "pwmchip0".into(),
        path: "/sys/class/pwm/pwmchip0/export".into(),
        write: true,
        problem: Problem::Io(std::io::Error::from_raw_os_error(libc_ebusy())),
    };
    let s = busy.to_string();
    assert!(
        s.contains("pwm: pwmchip0: cannot write export")
            && s.contains("EBUSY")
            && s.contains("busy"),
        "{s}"
    );
    assert_eq!(busy.errno(), Some(libc_ebusy()));
}

fn libc_ebusy() -> i32 {
    16
}

#[test]
fn iio_buffer_scans_are_unpacked_by_their_scan_types() {
    let t = iio_tree();
    let d = "/sys/devices/iio:device1";
    // scan_elements as the dummy driver declares them (iio_simple_dummy.c scan_type).
    for (n, index, ty) in [
        ("in_voltage0", 0, "le:u13/16>>0"),
        ("in_voltage1-voltage2", 1, "le:s12/16>>0"),
        ("in_accel_x", 3, "le:s16/16>>0"),
        ("in_timestamp", 4, "le:s64/64>>0"),
    ] {
        t.attr(&format!("{d}/scan_elements/{n}_en"), "0");
        t.attr(&format!("{d}/scan_elements/{n}_index"), &index.to_string());
        t.attr(&format!("{d}/scan_elements/{n}_type"), ty);
    }
    t.attr(&format!("{d}/buffer/enable"), "0");
    t.attr(&format!("{d}/buffer/length"), "0");
    t.attr(&format!("{d}/trigger/current_trigger"), "");
    // Two scans of voltage0 (7), accel_x (-2) and the timestamp, 16 bytes each.
    let mut scans = Vec::new();
    for ts in [1_000i64, 2_000] {
        scans.extend(7u16.to_le_bytes());
        scans.extend((-2i16).to_le_bytes());
        scans.extend([0xee; 4]); // padding to the timestamp's alignment
        scans.extend(ts.to_le_bytes());
    }
    fs::create_dir_all(t.path("/dev")).unwrap();
    fs::write(t.path("/dev/iio:device1"), &scans).unwrap();
    let dev = iio::IioDevice::open(&t.root(), "dummy0").unwrap();
    let mut b = dev
        .buffer(&["accel_x", "voltage0"], true, "dummytrig", 8)
        .unwrap();
    let read = |a: &str| fs::read_to_string(t.path(&format!("{d}/{a}"))).unwrap();
    assert_eq!(read("scan_elements/in_voltage0_en"), "1");
    assert_eq!(read("scan_elements/in_voltage1-voltage2_en"), "0");
    assert_eq!(
        (read("trigger/current_trigger"), read("buffer/length")),
        ("dummytrig".into(), "8".into())
    );
    assert_eq!((read("buffer/enable"), b.scan_size()), ("1".into(), 16));
    for ts in [1_000, 2_000] {
        let s = b.read_scan().unwrap();
        let v: Vec<(&str, i64)> = s.iter().map(|x| (x.channel.as_str(), x.raw)).collect();
        assert_eq!(v, [("voltage0", 7), ("accel_x", -2), ("timestamp", ts)]);
        assert!((s[0].value - 14.0 * 0.001333).abs() < 1e-12, "{s:?}");
    }
    // The end of the data: an error naming the device node, no panic.
    let e = b.read_scan().unwrap_err().to_string();
    assert!(
        e.contains("iio:device1 (dummy0)") && e.contains("dev/iio:device1"),
        "{e}"
    );
    drop(b);
    assert_eq!(read("buffer/enable"), "0");
    // A scan type the kernel would not write.
    t.attr(
        &format!("{d}/scan_elements/in_accel_x_type"),
        "le:s99/16>>0",
    );
    let e = dev
        .buffer(&["accel_x"], false, "dummytrig", 8)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`le:s99/16>>0`, not a scan type"), "{e}");
}
