//! Kernel-driven chips in the catalog (`catalog::KernelChip`): hwmon and IIO devices whose
//! parent is an I2C client `N-00AA` sit at that bus and address, and read into readings
//! with the quantities, units and channels udrv's own drivers give the same chips (checked
//! against the virtual board's reads of the same kinds). The sysfs trees are laid out as
//! Documentation/hwmon/sysfs-interface.rst and Documentation/ABI/testing/sysfs-bus-iio
//! define them (I2C clients named as `i2c_dev_set_name` in drivers/i2c/i2c-core-base.c
//! names them), in temporary folders.

#[path = "../../core/tests/common/sysfs_tree.rs"]
mod sysfs_tree;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::UNIX_EPOCH;

use udrv_boards::catalog::{
    Buses, ChipRead, ChipReader, ChipSpec, KernelChip, Quantity, ReadError, Sequence,
};
use udrv_boards::r#virtual::VirtualBoard;
use udrv_core::sysfs::SysRoot;

use sysfs_tree::{attr, link};

const I2C1: &str = "sys/devices/platform/soc/fe804000.i2c/i2c-1";

/// An I2C client on i2c-1 bound to `driver`, named `name`: its folder.
fn client(root: &Path, addr: u16, driver: &str, name: &str) -> String {
    let dir = format!("{I2C1}/1-{addr:04x}");
    attr(root, &format!("{dir}/name"), name);
    link(
        root,
        &format!("{dir}/driver"),
        &format!("sys/bus/i2c/drivers/{driver}"),
    );
    dir
}

fn hwmon(root: &Path, n: u32, parent: &str, name: &str, attrs: &[(&str, &str)]) {
    let dir = format!("{parent}/hwmon/hwmon{n}");
    attr(root, &format!("{dir}/name"), name);
    for (a, v) in attrs {
        attr(root, &format!("{dir}/{a}"), v);
    }
    link(root, &format!("{dir}/device"), parent);
    link(root, &format!("sys/class/hwmon/hwmon{n}"), &dir);
}

fn iio(root: &Path, n: u32, parent: &str, attrs: &[(&str, &str)]) {
    let dir = format!("{parent}/iio:device{n}");
    for (a, v) in attrs {
        attr(root, &format!("{dir}/{a}"), v);
    }
    link(root, &format!("sys/bus/iio/devices/iio:device{n}"), &dir);
}

/// lm75 (hwmon) at 0x48, ina219 (ina2xx, hwmon) at 0x40, bme280 (bmp280, IIO) at 0x76,
/// and the SoC's sensor (no I2C parent).
fn tree() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let lm75 = client(r, 0x48, "lm75", "lm75");
    hwmon(r, 2, &lm75, "lm75", &[("temp1_input", "23500")]);
    let ina = client(r, 0x40, "ina2xx", "ina219");
    hwmon(
        r,
        3,
        &ina,
        "ina219",
        &[
            ("in0_input", "12"),
            ("in1_input", "5016"),
            ("curr1_input", "120"),
            ("power1_input", "601920"),
        ],
    );
    let bme = client(r, 0x76, "bmp280", "bme280");
    iio(
        r,
        0,
        &bme,
        &[
            ("name", "bme280"),
            ("in_temp_input", "23450"),
            ("in_pressure_input", "101.325000000"),
            ("in_humidityrelative_input", "45123"),
        ],
    );
    // An accelerometer (no quantity udrv has) at 0x1d: adxl345, IIO.
    let acc = client(r, 0x1d, "adxl345_i2c", "adxl345");
    iio(
        r,
        1,
        &acc,
        &[
            ("name", "adxl345"),
            ("in_accel_x_raw", "12"),
            ("in_accel_scale", "0.038"),
        ],
    );
    hwmon(
        r,
        0,
        "sys/devices/virtual/thermal/thermal_zone0",
        "cpu_thermal",
        &[("temp1_input", "48312")],
    );
    t
}

fn spec(s: &str) -> ChipSpec {
    s.parse().unwrap()
}

/// The (quantity, channel) pairs of a read.
fn shape(r: &ChipRead) -> BTreeSet<(Quantity, Option<String>)> {
    r.readings
        .iter()
        .map(|x| (x.quantity, x.channel().map(str::to_string)))
        .collect()
}

/// The same kind read by udrv's own driver on the virtual board.
fn own(s: &str) -> ChipRead {
    let board = VirtualBoard::new();
    let mut r = ChipReader::open(spec(s), Buses::Virtual(&board)).unwrap();
    r.read(&mut Sequence::new(), r.now()).unwrap()
}

#[test]
fn kernel_chips_are_found_by_their_i2c_client() {
    let t = tree();
    let root = SysRoot::new(t.path());
    let all: Vec<(u32, u16, String, String)> = KernelChip::all(&root)
        .iter()
        .map(|c| {
            (
                c.bus(),
                c.address(),
                c.driver().to_string(),
                c.interface_id().to_string(),
            )
        })
        .collect();
    assert_eq!(
        all,
        [
            (1, 0x1d, "adxl345_i2c".into(), "iio:device1".into()),
            (1, 0x40, "ina2xx".into(), "hwmon3".into()),
            (1, 0x48, "lm75".into(), "hwmon2".into()),
            (1, 0x76, "bmp280".into(), "iio:device0".into()),
        ]
    );
    let lm75 = KernelChip::find(&root, 1, 0x48).unwrap();
    assert_eq!(lm75.spec().unwrap().to_string(), "lm75@i2c-1:0x48");
    assert!(KernelChip::find(&root, 1, 0x49).is_none());
    assert!(KernelChip::find(&root, 2, 0x48).is_none());
}

#[test]
fn kernel_reads_have_the_quantities_units_and_channels_of_udrvs_drivers() {
    let t = tree();
    let root = SysRoot::new(t.path());
    let mut seq = Sequence::new();
    for (s, addr) in [
        ("lm75@i2c-1:0x48", 0x48),
        ("ina219@i2c-1:0x40", 0x40),
        ("bme280@i2c-1:0x76", 0x76),
    ] {
        let chip = KernelChip::find(&root, 1, addr).unwrap();
        let r = chip.read(&spec(s), &mut seq, UNIX_EPOCH).unwrap();
        assert_eq!(shape(&r), shape(&own(s)), "{s}");
        assert!(
            r.identity.text().contains(chip.driver()),
            "{:?}",
            r.identity
        );
    }
    let read = |s: &str, a: u16| {
        KernelChip::find(&root, 1, a)
            .unwrap()
            .read(&spec(s), &mut Sequence::new(), UNIX_EPOCH)
            .unwrap()
    };
    let lm75 = read("lm75@i2c-1:0x48", 0x48);
    let t = lm75.get(Quantity::Temperature, None).unwrap();
    assert_eq!((t.value, t.unit(), t.seq), (23.5, "°C", 1));
    let bme = read("bme280@i2c-1:0x76", 0x76);
    let v = |q| bme.get(q, None).unwrap().value;
    assert!((v(Quantity::Temperature) - 23.45).abs() < 1e-9);
    assert!((v(Quantity::Pressure) - 101_325.0).abs() < 1e-6);
    assert!((v(Quantity::Humidity) - 45.123).abs() < 1e-9);
    let ina = read("ina219@i2c-1:0x40", 0x40);
    assert_eq!(
        ina.get(Quantity::Voltage, Some("shunt")).unwrap().value,
        0.012
    );
    assert_eq!(
        ina.get(Quantity::Voltage, Some("bus")).unwrap().value,
        5.016
    );
    assert!((ina.get(Quantity::Power, None).unwrap().value - 0.60192).abs() < 1e-12);
    let json = serde_json::to_string(ina.get(Quantity::Current, None).unwrap()).unwrap();
    assert!(
        json.contains(r#""device":"ina219@i2c-1:0x40""#) && json.contains(r#""unit":"A""#),
        "{json}"
    );
}

#[test]
fn a_spec_of_another_kind_or_a_failing_attribute_is_one_clear_error() {
    let t = tree();
    let root = SysRoot::new(t.path());
    let lm75 = KernelChip::find(&root, 1, 0x48).unwrap();
    let e = lm75
        .read(&spec("tmp102@i2c-1:0x48"), &mut Sequence::new(), UNIX_EPOCH)
        .unwrap_err();
    assert!(matches!(e, ReadError::WrongChip(_)), "{e}");
    let m = e.to_string();
    assert!(
        m.contains("the kernel driver `lm75` (hwmon2) drives a lm75 at 0x48, not a tmp102")
            && m.contains("read `lm75@i2c-1:0x48`"),
        "{m}"
    );
    attr(
        t.path(),
        &format!("{I2C1}/1-0048/hwmon/hwmon2/temp1_input"),
        "-",
    );
    let e = lm75
        .read(&spec("lm75@i2c-1:0x48"), &mut Sequence::new(), UNIX_EPOCH)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("hwmon2 (lm75)") && e.contains("temp1_input"),
        "{e}"
    );
}

#[test]
fn a_kernel_chip_with_no_quantity_udrv_has_says_where_to_look() {
    let t = tree();
    let root = SysRoot::new(t.path());
    let acc = KernelChip::find(&root, 1, 0x1d).unwrap();
    assert_eq!(acc.kind(), None);
    // Any spec at that address reads through the driver; nothing maps: one clear error.
    let e = acc
        .read(&spec("lm75@i2c-1:0x48"), &mut Sequence::new(), UNIX_EPOCH)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the kernel driver `adxl345_i2c` (iio:device1) gives no value")
            && e.contains("`udrv iio read iio:device1`"),
        "{e}"
    );
}
