//! `udrv serve` while a bus goes away and comes back, in the guest (`cargo xtask vmtest
//! --only guest_serve_hotplug`): an LM75 on the i2c-stub fixture at 0x48 read into JSON
//! lines; `rmmod i2c-stub` takes the adapter and its `/dev/i2c-N` away (as unplugging a
//! USB I2C adapter does), `modprobe i2c-stub` brings it back. The service says the chip
//! is offline (one line), hears the kernel announce the bus again (udrv-core's hot-plug
//! monitor) and reads it at once, says it is back (one line), and goes on without a
//! restart. The fixture is restored as fixtures.sh left it (same parameters, `dummy` at
//! 0x53) for the test binaries after this one.
//!
//! The service's `[[line]]`s live through their GPIO chip going away the same way: a
//! gpio-sim device of this test's own (so that the fixture's chips, which later tests
//! use, keep their numbers) is disabled through configfs `live` and enabled again; the
//! service says each line offline (one line), refuses clients for them naming why, and
//! when the kernel announces the chip again requests them again (the output at its level,
//! the input with its watchers), saying so in one line each. The input's edges are in the
//! JSON lines beside the LM75's readings before the chip goes and again after it is back.
//!
//! No test asserts how long anything took: every wait has a deadline that only guards
//! against a hang and names what it waited for.
#![cfg(udrv_guest)]
#![cfg(feature = "serve")]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

fn sh(cmd: &str) {
    let o = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(
        o.status.success(),
        "{cmd}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn wait_for(what: &str, dump: impl Fn() -> String, done: impl Fn() -> bool) {
    let end = Instant::now() + WAIT;
    while !done() {
        assert!(
            Instant::now() < end,
            "no {what} within {WAIT:?}\n{}",
            dump()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

#[test]
fn the_service_reads_on_when_its_bus_goes_away_and_comes_back() {
    let bus = std::env::var("UDRV_I2C_STUB_BUS")
        .expect("UDRV_I2C_STUB_BUS is not set: the i2c-stub fixture failed (see the console)");
    // 25.5 °C: 0x1980 big-endian, an SMBus word low byte first.
    let set_temperature = format!("busybox i2cset -y {bus} 0x48 0x00 0x8019 w");
    sh(&set_temperature);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("udrv.toml");
    std::fs::write(
        &config,
        format!(
            "board = \"guest\"\ninterval = 0.1\n[[chip]]\nname = \"t\"\n\
             spec = \"lm75@i2c-{bus}:0x48\"\n"
        ),
    )
    .unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = Command::new("udrv")
        .args(["serve", "--config"])
        .arg(&config)
        .env_remove("UDRV_BOARD")
        .env_remove("JOURNAL_STREAM")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let dump = || format!("stdout:\n{}\nstderr:\n{}", read(&out), read(&err));
    let lines = || read(&out).lines().count();
    wait_for("3 readings", dump, || lines() >= 3);

    sh("rmmod i2c-stub");
    let node = format!("/dev/i2c-{bus}");
    assert!(!Path::new(&node).exists(), "{node} is still there");
    wait_for("the chip said offline", dump, || {
        read(&err).contains("offline")
    });
    // Away long enough for the retries to back off (after 0.1, 0.3, 0.7, 1.5, 3.1 s the
    // next is at 6.3 s): the bus comes back between two of them, so what reads it at
    // once is the kernel's announcement (the line counted below).
    std::thread::sleep(Duration::from_secs(4));
    let before = lines();

    sh("modprobe i2c-stub chip_addr=0x20,0x48,0x50,0x52,0x53 functionality=0x0f7f0000");
    let name = read(Path::new(&format!("/sys/class/i2c-dev/i2c-{bus}/name")));
    assert!(
        name.contains("SMBus stub"),
        "i2c-stub came back on another bus than i2c-{bus} ({name:?}): the spec names that one"
    );
    sh(&format!(
        "echo dummy 0x53 > /sys/bus/i2c/devices/i2c-{bus}/new_device"
    ));
    sh(&set_temperature);
    wait_for("the chip said back", dump, || {
        read(&err).contains("answers again")
    });
    wait_for("25.5 °C read after the bus came back", dump, || {
        read(&out)
            .lines()
            .skip(before)
            .any(|l| serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["value"] == 25.5))
    });
    sh(&format!("kill -TERM {}", child.id()));
    let status = child.wait().unwrap();
    assert!(status.success(), "{}", dump());

    let e = read(&err);
    let count = |s: &str| e.lines().filter(|l| l.contains(s)).count();
    assert_eq!(count("offline, retrying"), 1, "{e}");
    assert_eq!(
        count("chip t (lm75@i2c-"),
        1,
        "one line when it is back\n{e}"
    );
    assert_eq!(
        count(&format!("{node} appeared: reading the 1 offline chips now")),
        1,
        "the kernel's announcement made the retry\n{e}"
    );
    // Every line is a reading of the chip, numbered on without a restart.
    let seqs: Vec<u64> = read(&out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["device"], format!("lm75@i2c-{bus}:0x48"));
            v["seq"].as_u64().unwrap()
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

/// This test's gpio-sim device in configfs.
const SIM: &str = "/sys/kernel/config/gpio-sim/udrv-hotplug";

/// The sysfs folder of the device's chip now (its numbers change when it comes back).
fn sim_sysfs() -> String {
    let dev = read(Path::new(&format!("{SIM}/dev_name")));
    let chip = read(Path::new(&format!("{SIM}/bank0/chip_name")));
    format!("/sys/devices/platform/{}/{}", dev.trim(), chip.trim())
}

#[test]
fn held_lines_go_offline_with_their_chip_and_are_held_again_when_it_comes_back() {
    use common::procs::{serve_config, start_serve};
    use udrv_service::client::{Client, ClientError};

    let bus = std::env::var("UDRV_I2C_STUB_BUS")
        .expect("UDRV_I2C_STUB_BUS is not set: the i2c-stub fixture failed (see the console)");
    sh(&format!("busybox i2cset -y {bus} 0x48 0x00 0x8019 w"));
    sh(&format!(
        "mkdir {SIM} {SIM}/bank0 {SIM}/bank0/line0 {SIM}/bank0/line1 && \
         echo 4 > {SIM}/bank0/num_lines && echo udrv-hotplug > {SIM}/bank0/label && \
         echo hp-out > {SIM}/bank0/line0/name && echo hp-in > {SIM}/bank0/line1/name && \
         echo 1 > {SIM}/live"
    ));
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("serve.sock");
    let config = serve_config(
        dir.path(),
        &socket,
        &format!(
            "[[chip]]\nname = \"t\"\nspec = \"lm75@i2c-{bus}:0x48\"\ninterval = 0.1\n\
             [[line]]\nname = \"lamp\"\nline = \"hp-out\"\ndirection = \"output\"\n\
             [[line]]\nname = \"bell\"\nline = \"hp-in\"\ndirection = \"input\"\n"
        ),
    );
    let mut service = start_serve(&config, &socket, dir.path(), &[], Duration::from_secs(280));
    let dump = || {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            service.stdout(),
            service.stderr()
        )
    };
    let mut c = Client::connect(&socket).unwrap();
    c.set("lamp", true).unwrap();
    let value = |line: u32| read(Path::new(&format!("{}/sim_gpio{line}/value", sim_sysfs())));
    assert_eq!(value(0).trim(), "1", "{}", dump());
    let pull = |up: bool| {
        let p = format!("{}/sim_gpio1/pull", sim_sysfs());
        std::fs::write(&p, if up { "pull-up" } else { "pull-down" }).expect(&p);
    };
    let mut watch = Client::connect(&socket).unwrap().watch("bell").unwrap();
    let (tx, edges) = std::sync::mpsc::channel();
    let watcher = std::thread::spawn(move || {
        while let Ok(Some(e)) = watch.next_event() {
            if tx.send(e).is_err() {
                return;
            }
        }
    });
    pull(true);
    let e = edges
        .recv_timeout(WAIT)
        .expect("an edge before the chip goes");
    assert_eq!(e.edge, "rising");
    pull(false);
    assert_eq!(edges.recv_timeout(WAIT).unwrap().edge, "falling");
    let readings = || service.stdout().lines().count();
    wait_for("a reading", dump, || readings() >= 1);
    // The input's changes are in the JSON lines too (the service's change records).
    let changes = || -> Vec<(String, String)> {
        let out = service.stdout();
        let records = out.lines().filter_map(|l| serde_json::from_str(l).ok());
        records
            .filter(|v: &serde_json::Value| v["line"] == "bell")
            .map(|v| {
                (
                    v["edge"].as_str().unwrap_or("?").into(),
                    v["source"].as_str().unwrap_or("?").into(),
                )
            })
            .collect()
    };
    wait_for("the input's two changes in the JSON lines", dump, || {
        changes().len() >= 2
    });

    // The chip goes: each line said offline, once; clients refused, naming why.
    sh(&format!("echo 0 > {SIM}/live"));
    wait_for("both lines said offline", dump, || {
        service.stderr().matches("its chip went away").count() >= 2
    });
    for r in [c.get("lamp"), c.set("lamp", false).map(|_| true)] {
        match r {
            Err(ClientError::Refused(m)) => {
                assert!(m.contains("line lamp (hp-out) is offline"), "{m}")
            }
            other => panic!("a line whose chip is away answered: {other:?}"),
        }
    }

    // It comes back: held again at 1, the input's watcher gets its edges again; the
    // LM75 was read all along.
    let before = readings();
    sh(&format!("echo 1 > {SIM}/live"));
    wait_for("both lines said back", dump, || {
        service.stderr().matches("is back on").count() >= 2
    });
    assert_eq!(
        value(0).trim(),
        "1",
        "the output is back at its level\n{}",
        dump()
    );
    assert!(c.get("lamp").unwrap());
    pull(true);
    let e = edges
        .recv_timeout(WAIT)
        .expect("an edge after the chip came back");
    assert_eq!((e.edge.as_str(), e.lost), ("rising", 0), "{e:?}");
    wait_for("readings after the chip came back", dump, || {
        readings() > before
    });
    wait_for(
        "the input's change after the chip came back, in the JSON lines",
        dump,
        || changes().len() >= 3,
    );
    let edge = |e: &str| (e.to_string(), "edge".to_string());
    assert_eq!(
        changes(),
        [edge("rising"), edge("falling"), edge("rising")],
        "{}",
        dump()
    );
    sh(&format!("kill -TERM {}", service.child.id()));
    let status = service.wait();
    assert!(status.success(), "{}", service.stderr());
    watcher.join().unwrap();

    let err = service.stderr();
    assert_eq!(err.matches("its chip went away").count(), 2, "{err}");
    assert_eq!(err.matches("is back on").count(), 2, "{err}");
    assert!(
        err.lines()
            .filter(|l| l.contains("is back on"))
            .all(|l| l.contains("appeared)")),
        "the kernel's announcement brought them back\n{err}"
    );
    sh(&format!(
        "echo 0 > {SIM}/live && rmdir {SIM}/bank0/line0 {SIM}/bank0/line1 {SIM}/bank0 {SIM}"
    ));
}
