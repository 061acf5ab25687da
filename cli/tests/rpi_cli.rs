//! `udrv` as a user runs it on the emulated Raspberry Pi 3B (`cargo xtask vmtest --board
//! rpi3b`): `udrv i2c detect` against busybox's `i2cdetect` on the Pi's real I2C controller
//! with QEMU's chip models and two kernel-bound addresses, and `udrv capture` on the PL011
//! (`/dev/ttyAMA0`) while the host writes a Modbus RTU exchange with real gaps into the
//! UART; the capture file goes back to the host, where the real `tshark` decodes it; and
//! `udrv watch` following an I2C device made and deleted on the Pi's bus.
#![cfg(udrv_guest_rpi)]

mod common;
#[path = "../../xtask/guest-rpi/host.rs"]
mod host;
#[path = "../../rs485/tests/common/reads.rs"]
mod reads;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{frame, run, stderr, stdout, wait_created, Watch};
use reads::{Reads, READ_WAIT};

#[test]
fn udrv_i2c_detect_draws_the_same_grid_as_busybox_i2cdetect() {
    let a = run("udrv", &["i2c", "detect", "-y", "1"]);
    // udrv scans 0x08-0x77 like i2c-tools 4 (busybox 1.35 starts at 0x03).
    let b = run("busybox", &["i2cdetect", "-y", "1", "0x08", "0x77"]);
    assert!(a.status.success(), "udrv: {}", stderr(&a));
    assert!(b.status.success(), "busybox: {}", stderr(&b));
    let grid = stdout(&a);
    assert_eq!(grid, stdout(&b), "udrv vs busybox i2cdetect");
    // The chips on the bus: tmp105 0x48, lm75-bound tmp105 0x49 (UU), EEPROMs 0x50, 0x54,
    // at24-bound 0x57 (UU), ds1338 0x68, pca9548 0x70, dps310 0x77.
    for row in [
        "40: -- -- -- -- -- -- -- -- 48 UU -- -- -- -- -- -- ",
        "50: 50 -- -- -- 54 -- -- UU -- -- -- -- -- -- -- -- ",
        "60: -- -- -- -- -- -- -- -- 68 -- -- -- -- -- -- -- ",
        "70: 70 -- -- -- -- -- -- 77",
    ] {
        assert!(grid.contains(row), "missing `{row}` in\n{grid}");
    }
    assert_eq!(grid.matches("UU").count(), 2, "{grid}");
}

#[test]
fn udrv_capture_on_the_pl011_gives_a_file_tshark_decodes() {
    let port = Path::new("/dev/ttyAMA0");
    let out = Path::new("/tmp/rpi-capture.pcapng");
    let _ = std::fs::remove_file(out);
    let child = Command::new("udrv")
        .args(["--json", "capture"])
        .arg(port)
        .arg("-w")
        .arg(out)
        .args(["--line", "115200 8N1", "--linktype", "upper_pdu", "-c", "4"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn udrv capture");
    // The capture creates its file once the PL011 is open and set up (bytes before that
    // are discarded): from then on frames are captured.
    wait_created(out, READ_WAIT);
    // A read-holding-registers request and its answer, a write-single-register request
    // and its echo, each written by the host once the capture has read the one before,
    // and after 30 ms of silence (far above t3.5 = 1.75 ms at 115200 baud).
    let frames = [
        frame(&[0x11, 0x03, 0x00, 0x6b, 0x00, 0x02]),
        frame(&[0x11, 0x03, 0x04, 0x02, 0x2b, 0x00, 0x64]),
        frame(&[0x11, 0x06, 0x00, 0x01, 0x00, 0x03]),
        frame(&[0x11, 0x06, 0x00, 0x01, 0x00, 0x03]),
    ];
    let reads = Reads::process(child.id());
    for (i, f) in frames.iter().enumerate() {
        std::thread::sleep(Duration::from_millis(30));
        let before = reads.count();
        host::uart_write(f);
        // (After the fourth frame the capture ends by itself: -c 4.)
        if i + 1 < frames.len() {
            reads.wait(before, f.len(), &format!("frame {i} from the PL011"));
        }
    }
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "udrv capture: {:?}: {err}", o.status);
    let summary: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("udrv capture --json summary");
    assert_eq!(summary["frames"], 4, "{summary}");
    assert_eq!(summary["crc_errors"], 0, "{summary}");
    let decoded = host::tshark_fields(out, &["mbrtu.unit_id", "modbus.func_code"]);
    assert_eq!(
        decoded,
        ["17,3", "17,3", "17,6", "17,6"],
        "tshark on the host"
    );
    // The frames keep the gaps between them in their timestamps: each came in reads of
    // its own, at least 30 ms after the one before was read (less the frame's own 0.7 ms
    // on the line, by which its start is dated back), never merged.
    let deltas = host::tshark_fields(out, &["frame.time_delta"]);
    for d in &deltas[1..] {
        let s: f64 = d.parse().expect("a time delta");
        assert!(s >= 0.003, "inter-frame gaps {deltas:?}");
    }
}

fn udrv_ok(args: &[&str]) -> String {
    let o = run("udrv", args);
    assert!(o.status.success(), "udrv {args:?}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn udrv_read_gives_the_temperature_the_host_set_over_qmp() {
    // 9-bit resolution (the tmp105's power-on configuration, as an LM75 has it).
    let o = run("busybox", &["i2cset", "-y", "1", "0x48", "0x01", "0x00"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (mc, shown) in [(-25_500, "-25.5"), (0, "0.0"), (99_000, "99.0")] {
        host::set_temperature("t48", mc);
        assert_eq!(
            udrv_ok(&["read", "lm75@i2c-1:0x48"]),
            format!("lm75@i2c-1:0x48  temperature   {shown} °C\n")
        );
    }
}

#[test]
fn udrv_gpio_get_by_line_name_follows_the_host() {
    for (high, shown) in [(true, "active"), (false, "inactive")] {
        host::gpio_input(17, high);
        assert_eq!(
            udrv_ok(&["gpio", "get", "GPIO17"]).trim(),
            format!("\"GPIO17\"={shown}")
        );
    }
}

#[test]
fn udrv_board_info_and_pins_describe_the_emulated_pi() {
    let info = udrv_ok(&["board", "info"]);
    for needle in [
        "Raspberry Pi 3 Model B (rpi3b)",
        "/dev/gpiochip0 [pinctrl-bcm2835] 54 lines",
    ] {
        assert!(info.contains(needle), "no `{needle}` in\n{info}");
    }
    let row = |name: &str| {
        info.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no {name} in\n{info}"))
            .to_string()
    };
    assert!(row("i2c_arm").contains("/dev/i2c-1"), "{info}");
    assert!(row("spi0.0").contains("/dev/spidev0.0"), "{info}");
    assert!(row("spi0.1").contains("/dev/spidev0.1"), "{info}");
    host::gpio_input(17, true);
    let pins = udrv_ok(&["board", "pins"]);
    let line = |pin: &str| {
        pins.lines()
            .find(|l| l.contains(pin))
            .unwrap_or_else(|| panic!("no `{pin}` in\n{pins}"))
            .to_string()
    };
    // Pin 11 (GPIO17) is on the left: its value comes first on the row.
    let p11 = line("GPIO17 (11)");
    assert!(p11.trim_start().starts_with("in=1"), "{p11}");
    // Pin 24 (GPIO8) is held by spi-bcm2835 as CE0.
    assert!(line("(24) GPIO8").contains("[spi0 CS0]"), "{pins}");
    host::gpio_input(17, false);
    let pins = udrv_ok(&["board", "pins"]);
    let p11 = pins.lines().find(|l| l.contains("GPIO17 (11)")).unwrap();
    assert!(p11.trim_start().starts_with("in=0"), "{p11}");
}

#[test]
fn udrv_spi_transfer_reads_the_flash_ids_on_both_chip_selects() {
    // On the x86 tier nothing answers on MISO; here QEMU's flash chips do.
    for (dev, id) in [
        ("/dev/spidev0.0", "ef 40 16"),
        ("/dev/spidev0.1", "ef 40 17"),
    ] {
        assert_eq!(
            udrv_ok(&["spi", "transfer", "-y", dev, "9f", "00", "00", "00"]).trim(),
            format!("00 {id}"),
            "{dev}"
        );
    }
}

#[test]
fn udrv_watch_follows_an_i2c_device_made_and_deleted_on_the_pis_bus() {
    let adapter = "/sys/bus/i2c/devices/i2c-1";
    let w = Watch::start(&["--json", "--class", "i2c"]);
    // No driver claims the name: an add and a remove, nothing bound.
    std::fs::write(format!("{adapter}/new_device"), "udrv-test 0x2c").expect("new_device");
    let about = |v: &serde_json::Value| {
        v["device"]["type"] == "i2c-client" && v["device"]["address"] == 0x2c
    };
    let added = w.until_json(|v| about(v) && v["action"] == "add");
    let add = added.iter().find(|v| about(v)).unwrap();
    assert_eq!(add["subsystem"], "i2c", "{add}");
    assert_eq!(add["device"]["bus"], 1, "{add}");
    std::fs::write(format!("{adapter}/delete_device"), "0x2c").expect("delete_device");
    let removed = w.until_json(|v| about(v) && v["action"] == "remove");
    assert!(removed.iter().any(|v| about(v)), "{removed:#?}");
}
