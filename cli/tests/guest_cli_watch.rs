//! `udrv watch` in the real-kernel guest (`cargo xtask vmtest --only guest_cli_watch`):
//! devices really come and go while it runs (gpio-sim chips made and removed through
//! configfs; an I2C device instantiated on the i2c-stub bus with `new_device` and deleted
//! again; the serial port ttyS0 announced again by writing `change` to its `uevent` file),
//! and the lines it prints are checked. `--wait` is run against a node that appears later
//! and one that never does. Every wait has a deadline: a missed event fails the test. No
//! test asserts how long anything took: times printed are checked to lie between the
//! moment the event was caused and the moment its line was read.
#![cfg(udrv_guest)] // on the host this file compiles to nothing (the docs above stay)

#[path = "../../core/tests/common/asleep.rs"]
mod asleep;
mod common;
#[path = "../../core/tests/common/gpio_sim.rs"]
mod gpio_sim;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asleep::Sleeper;
use common::{env, stderr, stdout, udrv, Watch, WAIT};
use gpio_sim::{write, SimChip};
use serde_json::Value;

/// One test at a time: the chips' numbers and the events seen must be this test's own.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Milliseconds since midnight UTC of a wall-clock time, truncated as `HH:MM:SS.mmm` is.
fn utc_day_ms(t: SystemTime) -> u64 {
    (t.duration_since(UNIX_EPOCH).unwrap().as_millis() % 86_400_000) as u64
}

/// Checks a text line's leading `HH:MM:SS.mmm`: the UTC time of a moment between `since`
/// (taken before the event was caused) and now (its line has been read).
fn check_clock(line: &str, since: SystemTime) {
    let (a, b) = (utc_day_ms(since), utc_day_ms(SystemTime::now()));
    let clock = &line[..12];
    let c = clock.as_bytes();
    assert!(
        c[2] == b':' && c[5] == b':' && c[8] == b'.',
        "not HH:MM:SS.mmm: {line:?}"
    );
    let n = |r: std::ops::Range<usize>| clock[r].parse::<u64>().unwrap();
    let ms = ((n(0..2) * 60 + n(3..5)) * 60 + n(6..8)) * 1000 + n(9..12);
    // (Midnight may fall in between.)
    let within = if a <= b {
        (a..=b).contains(&ms)
    } else {
        ms >= a || ms <= b
    };
    assert!(
        within,
        "{line:?}: {ms} ms after midnight UTC is not between {a} (the event was caused) and \
         {b} (its line was read)"
    );
    assert_eq!(&line[12..14], "  ", "{line:?}");
}

/// Seconds since the epoch, as `udrv watch --json` gives its `time`.
fn epoch_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_nanos() as f64 / 1e9
}

/// A field of a JSON line, as text.
fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

#[test]
fn json_lines_follow_a_gpio_chip_coming_and_going() {
    let _one = serial();
    let w = Watch::start(&["--json"]);
    let since = SystemTime::now();
    let sim = SimChip::create("udrv-watch-json");
    let node = sim.node().display().to_string();
    let n = sim.number;
    let about_chip = |v: &Value| v["subsystem"] == "gpio" && v["device"]["number"] == n;

    let added = w.until_json(|v| about_chip(v) && v["action"] == "bind");
    let ours: Vec<&Value> = added.iter().filter(|v| about_chip(v)).collect();
    assert_eq!(ours.len(), 2, "add, then bind: {added:#?}");
    let add = ours[0];
    assert_eq!(s(add, "action"), "add");
    assert_eq!(s(add, "subsystem"), "gpio");
    assert_eq!(s(add, "devname"), node);
    assert!(
        s(add, "devpath").ends_with(&format!("/gpiochip{n}")),
        "{add}"
    );
    assert_eq!(s(add, "class"), "gpio");
    assert_eq!(add["device"]["type"], "gpiochip");
    assert_eq!(add["device"]["number"], n);
    assert_eq!(add["device"]["node"], node.as_str());
    assert_eq!(add["device"]["name"], format!("gpiochip{n}").as_str());
    // Where it comes from: the gpio-sim platform device, read from sysfs.
    assert_eq!(add["parent"]["subsystem"], "platform", "{add}");
    assert_eq!(add["parent"]["driver"], "gpio-sim", "{add}");
    let add_seq = add["seqnum"].as_u64().expect("seqnum");
    let t = add["time"].as_f64().expect("time");
    let (since, now) = (epoch_secs(since), epoch_secs(SystemTime::now()));
    assert!(
        since <= t && t <= now,
        "time {t} is not between {since} (the chip was made) and {now} (its line was read)"
    );
    let bind = ours[1];
    assert_eq!(s(bind, "action"), "bind");
    assert_eq!(s(bind, "driver"), "gpio_stub_drv", "{bind}");
    assert!(bind["seqnum"].as_u64().unwrap() > add_seq);

    sim.remove();
    let removed = w.until_json(|v| about_chip(v) && v["action"] == "remove");
    let ours: Vec<&Value> = removed.iter().filter(|v| about_chip(v)).collect();
    let actions: Vec<&str> = ours.iter().map(|v| s(v, "action")).collect();
    assert_eq!(actions, ["unbind", "remove"], "{removed:#?}");
    let remove = ours[1];
    assert_eq!(s(remove, "devname"), node);
    assert_eq!(
        remove["parent"],
        Value::Null,
        "a removed device has no parent"
    );
    assert!(remove["seqnum"].as_u64().unwrap() > add_seq);

    // The default filter: udrv's kinds only (gpio-sim's platform device came and went too).
    for v in added.iter().chain(&removed) {
        assert!(
            ["i2c-dev", "i2c", "spidev", "spi", "gpio", "uio", "tty"].contains(&s(v, "subsystem")),
            "the default filter passed {v}"
        );
    }
}

#[test]
fn text_lines_follow_an_i2c_device_and_class_filters() {
    let _one = serial();
    let bus = env("UDRV_I2C_STUB_BUS");
    let adapter = format!("/sys/bus/i2c/devices/i2c-{bus}");
    let adapter_name = std::fs::read_to_string(format!("{adapter}/name")).unwrap();
    let w = Watch::start(&["--class", "i2c"]);
    let since = SystemTime::now();
    // Not an I2C event: filtered out, so the first line is the I2C device's.
    write("/sys/class/tty/ttyS0/uevent", "change");
    write(format!("{adapter}/new_device"), "dummy 0x2d");
    let name = format!("i2c-{bus}:0x2d");
    let lines = w.until(|l| l.contains(" bind ") && l.contains(&name));
    assert_eq!(lines.len(), 2, "add, then bind: {lines:#?}");
    for l in &lines {
        check_clock(l, since);
    }
    assert_eq!(
        &lines[0][12..],
        format!(
            "  add     i2c     {name}  (i2c \"{}\")",
            adapter_name.trim()
        ),
        "{lines:#?}"
    );
    assert_eq!(
        &lines[1][12..],
        format!("  bind    i2c     {name}  (driver dummy)")
    );

    write(format!("{adapter}/delete_device"), "0x2d");
    let lines = w.until(|l| l.contains(" remove ") && l.contains(&name));
    assert_eq!(lines.len(), 2, "unbind, then remove: {lines:#?}");
    assert_eq!(&lines[0][12..], format!("  unbind  i2c     {name}"));
    assert_eq!(&lines[1][12..], format!("  remove  i2c     {name}"));
}

#[test]
fn all_and_subsystem_show_other_subsystems() {
    let _one = serial();
    let all = Watch::start(&["--json", "--all"]);
    let platform = Watch::start(&["--subsystem", "platform"]);
    let since = SystemTime::now();
    let sim = SimChip::create("udrv-watch-all");
    let n = sim.number;
    // gpio-sim makes a platform device, which makes the chip: --all shows both.
    let seen = all.until_json(|v| {
        v["subsystem"] == "gpio" && v["device"]["number"] == n && v["action"] == "add"
    });
    let dev = seen
        .iter()
        .find(|v| s(v, "subsystem") == "platform" && s(v, "action") == "add")
        .unwrap_or_else(|| panic!("no platform add before the chip's: {seen:#?}"));
    assert!(s(dev, "devpath").contains("/gpio-sim."), "{dev}");
    assert_eq!(dev["class"], Value::Null);
    assert_eq!(dev["device"], Value::Null);
    // --subsystem platform: that one, by its devpath, and not the chip.
    let lines = platform.until(|l| l.contains(" add ") && l.contains("/gpio-sim."));
    let l = lines.last().unwrap();
    check_clock(l, since);
    assert!(
        l[12..].starts_with("  add     platform /devices/platform/gpio-sim."),
        "{l}"
    );
    sim.remove();
    let lines = platform.until(|l| l.contains(" remove ") && l.contains("/gpio-sim."));
    assert!(
        lines.iter().all(|l| l.contains(" platform ")),
        "only platform events: {lines:#?}"
    );
}

#[test]
fn count_ends_the_watch_after_that_many_events() {
    let _one = serial();
    let w = Watch::start(&["-c", "1", "--class", "serial"]);
    let since = SystemTime::now();
    write("/sys/class/tty/ttyS0/uevent", "change");
    let (status, lines, err) = w.exit();
    assert!(status.success(), "{status}: {err}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    check_clock(&lines[0], since);
    assert!(
        lines[0][12..].starts_with("  change  serial  /dev/ttyS0"),
        "{lines:?}"
    );

    // Fewer events than -c asks for before --timeout: status 1, and why.
    let w = Watch::start(&["-c", "2", "--timeout", "1", "--class", "serial"]);
    write("/sys/class/tty/ttyS0/uevent", "change");
    let (status, lines, err) = w.exit();
    assert_eq!(status.code(), Some(1), "{lines:?} {err}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        err.ends_with("udrv: only 1 of the 2 events asked for (-c 2) came within 1 s"),
        "{err}"
    );
    // --timeout alone ends the watch with status 0.
    let w = Watch::start(&["--timeout", "0.5", "--class", "uio"]);
    let (status, lines, err) = w.exit();
    assert!(
        status.success() && lines.is_empty(),
        "{status} {lines:?} {err}"
    );
}

#[test]
fn a_closed_pipe_ends_the_watch_quietly() {
    let _one = serial();
    let mut child = Command::new("udrv")
        .args(["watch", "--banner", "--class", "serial"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    err.read_line(&mut banner).unwrap();
    assert!(banner.starts_with("udrv: watching "), "{banner}");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    write("/sys/class/tty/ttyS0/uevent", "change");
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("/dev/ttyS0"), "{first}");
    // The reader goes away (as `head -1` does); the next event's line ends udrv.
    drop(out);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        write("/sys/class/tty/ttyS0/uevent", "change");
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("udrv watch went on writing to a closed pipe");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert_eq!(status.code(), Some(141), "{rest}");
    assert!(rest.is_empty(), "quietly: {rest}");
}

#[test]
fn wait_returns_once_the_node_appears() {
    let _one = serial();
    // The node a new chip gets here, gone again: as an unplugged adapter to come back.
    let first = SimChip::create("udrv-watch-back");
    let node = first.node().display().to_string();
    first.remove();
    assert!(!Path::new(&node).exists());

    let mut child = Command::new("udrv")
        .args(["watch", "--wait", &node, "--timeout", "300"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // udrv waits in slices (it looks for the path again every second): it must go on
    // waiting after one. Seen by the kernel's count of its sleeps: asleep, then asleep
    // twice more (so woken at least once from its wait), the node still not there.
    let udrv_proc = Sleeper::process(child.id(), "udrv watch --wait");
    udrv_proc.wait_asleep();
    udrv_proc.wait_asleep_again(udrv_proc.sleeps() + 1);
    assert!(
        child.try_wait().unwrap().is_none(),
        "udrv watch --wait {node} ended before the node was there"
    );
    let again = SimChip::create("udrv-watch-back");
    assert_eq!(
        again.node(),
        node,
        "the chip came back under its old number"
    );
    let deadline = Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("udrv watch --wait {node} did not see the node appear");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty() && stderr(&o).is_empty(), "silent");

    // Present already: at once, even with no time to wait (a wait would time out and exit
    // 1); a name in /dev is enough.
    let name = node.trim_start_matches("/dev/");
    for args in [
        ["watch", "--wait", node.as_str(), "--timeout", "0"],
        ["watch", "--wait", name, "--timeout", "0"],
    ] {
        let o = udrv(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    again.remove();
}

#[test]
fn wait_times_out_with_a_message() {
    let _one = serial();
    let t = Instant::now();
    let o = udrv(&["watch", "--wait", "/dev/ttyUSB9", "--timeout", "0.5"]);
    let waited = t.elapsed();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.starts_with("udrv: /dev/ttyUSB9 did not appear within 0.5 s: is the device plugged in?"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(stdout(&o).is_empty());
    // Not before its timeout (timed from before udrv started).
    assert!(waited >= Duration::from_millis(500), "{waited:?}");

    // Bad arguments: status 2, one line, before anything is opened.
    for (args, needle) in [
        (&["watch", "-c", "0"][..], "-c 0"),
        (&["watch", "--wait", "ttyUSB9", "--all"], "--wait waits"),
        (&["watch", "--timeout", "soon"], "not a number of seconds"),
    ] {
        let o = udrv(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(
            e.starts_with("udrv: ") && e.contains(needle),
            "{args:?}: {e}"
        );
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}
