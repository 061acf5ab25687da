//! `udrv gpio` in the real-kernel guest, against gpio-sim: lines by name, the sim side
//! driving inputs through its sysfs `pull` attribute and reading outputs through `value`.
#![cfg(udrv_guest)]

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{env, sim_value, stderr, stdout, udrv};
use udrv_core::gpio::Chip;

fn chip_used(offset: u32) -> bool {
    Chip::open(env("UDRV_GPIO_SIM_CHIP"))
        .unwrap()
        .line_info(offset)
        .unwrap()
        .used
}

/// The pid of a process one of whose arguments is `arg`.
fn holder_pid(arg: &str) -> Option<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .find(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == arg.as_bytes()))
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
}

fn spawn(args: &[&str]) -> Child {
    Command::new("udrv")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn udrv")
}

fn pull(offset: u32, up: bool) {
    let p = format!("{}/sim_gpio{offset}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" }).expect(&p);
}

/// Waits for a child at most `secs` seconds; kills it and fails with what it printed when
/// it does not finish (a missed edge must fail the test, not hang the guest).
fn finish(mut child: Child, secs: u64) -> Output {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let o = child.wait_with_output().expect("wait");
            panic!(
                "udrv did not finish within {secs} s; stdout: {:?} stderr: {:?}",
                stdout(&o),
                stderr(&o)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait")
}

/// Starts `udrv gpio mon --banner ...` and returns once its banner says edge detection is
/// armed (on stdout as gpiomon prints it; on stderr with --json, which keeps stdout
/// JSON). Seeing the consumer in line info is not enough: the kernel marks the line used
/// before it sets up edge detection, and an edge in between is missed.
fn spawn_mon(args: &[&str]) -> (Child, std::io::BufReader<std::process::ChildStdout>) {
    use std::io::BufRead;
    let json = args.first() == Some(&"--json");
    let mut all = vec!["gpio", "mon", "--banner"];
    if json {
        all.insert(0, "--json");
        all.extend_from_slice(&args[1..]);
    } else {
        all.extend_from_slice(args);
    }
    let mut child = spawn(&all);
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    if json {
        let mut err = std::io::BufReader::new(child.stderr.take().expect("piped stderr"));
        err.read_line(&mut line).expect("read banner");
        // Keep reading stderr (lost-event reports) so that udrv never writes to a closed
        // pipe.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut rest);
        });
    } else {
        out.read_line(&mut line).expect("read banner");
    }
    assert!(
        line.starts_with(if json {
            "udrv: Monitoring line"
        } else {
            "Monitoring line"
        }),
        "no banner from udrv gpio mon: {line:?}"
    );
    (child, out)
}

/// The rest of a monitor's output once it has ended (at most `secs` seconds).
fn finish_mon(
    (child, mut out): (Child, std::io::BufReader<std::process::ChildStdout>),
    secs: u64,
) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let o = finish(child, secs);
    (o.status, reader.join().expect("reader"))
}

/// Waits until a line is requested with the given consumer (the child is ready).
fn wait_consumer(offset: u32, consumer: &str) {
    let chip = Chip::open(env("UDRV_GPIO_SIM_CHIP")).expect("open sim chip");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = chip.line_info(offset).expect("line info");
        if info.used && info.consumer.as_deref() == Some(consumer) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "line {offset} never got consumer {consumer}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn detect_lists_the_sim_chips() {
    let o = udrv(&["gpio", "detect"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("[udrv-sim] (16 lines)"), "{text}");
    assert!(text.contains("[udrv-sim2] (8 lines)"), "{text}");
}

#[test]
fn get_by_name_and_by_chip_offset_follow_the_pull() {
    pull(1, true);
    let o = udrv(&["gpio", "get", "button"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "\"button\"=active");
    pull(1, false);
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "button"])).trim(),
        "\"button\"=inactive"
    );
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "-n", "udrv-sim:1"])).trim(),
        "0"
    );
    pull(1, true);
    let chip = env("UDRV_GPIO_SIM_CHIP");
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "-n", "-c", &chip, "1"])).trim(),
        "1"
    );
    // active-low inverts the logical value
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "-n", "--active-low", "button"])).trim(),
        "0"
    );
    // the v1 uAPI gives the same answer
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "-n", "--abi-v1", "button"])).trim(),
        "1"
    );
}

#[test]
fn set_hold_drives_the_line_and_info_names_the_consumer() {
    let mut child = spawn(&["gpio", "set", "-y", "--hold", "led=1"]);
    wait_consumer(0, "udrv-set");
    assert_eq!(sim_value(0), "1");
    let o = udrv(&["gpio", "info", "udrv-sim"]);
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.contains("\"led\""))
        .expect("led line");
    assert!(
        line.contains("output") && line.contains("consumer=\"udrv-set\""),
        "{line}"
    );
    // A second user gets EBUSY with the holder named.
    let o = udrv(&["gpio", "get", "led"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("udrv-set"), "{}", stderr(&o));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn mon_prints_edges_with_kernel_sequence_numbers_in_its_format() {
    pull(3, false);
    // udrv's %s and %n: the kernel's sequence numbers (of the request, of the line).
    let mon = spawn_mon(&["-n", "2", "-F", "%S %E %l %s %n", "irq"]);
    pull(3, true);
    std::thread::sleep(Duration::from_millis(50));
    pull(3, false);
    let (status, out) = finish_mon(mon, 30);
    assert!(status.success());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with(" rising irq 1 1"), "{}", lines[0]);
    assert!(lines[1].ends_with(" falling irq 2 2"), "{}", lines[1]);
    let ts: Vec<f64> = lines
        .iter()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(ts[1] > ts[0], "kernel timestamps increase: {ts:?}");
}

#[test]
fn mon_json_is_one_object_per_line() {
    pull(7, false);
    let mon = spawn_mon(&["--json", "-n", "1", "--edges", "rising", "spare"]);
    pull(7, true);
    let (_, out) = finish_mon(mon, 30);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON line");
    assert_eq!(v["edge"], "rising");
    assert_eq!(v["line"], "spare");
    assert_eq!(v["name"], "spare");
    assert_eq!(v["offset"], 7);
    assert_eq!(v["seqno"], 1);
    assert_eq!(v["lost_before"], 0);
    assert!(v["timestamp_ns"].is_u64(), "{v}");
}

#[test]
fn notify_json_is_one_object_per_line() {
    use std::io::BufRead;
    let mut child = spawn(&["--json", "gpio", "notify", "--banner", "-n", "2", "spare"]);
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    err.read_line(&mut banner).unwrap();
    assert_eq!(banner, "udrv: Watching line 'spare'...\n");
    let o = udrv(&["gpio", "get", "-C", "peek", "spare"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = finish(child, 30);
    let v: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(v[0]["event"], "requested");
    assert_eq!(v[0]["consumer"], "peek");
    assert_eq!(v[0]["offset"], 7);
    assert_eq!(v[1]["event"], "released");
    assert_eq!(v[1]["used"], false);
    assert!(v[1]["timestamp_ns"].as_u64() > v[0]["timestamp_ns"].as_u64());
}

#[test]
fn set_from_a_script_needs_no_confirmation_and_reports_json() {
    // Standard input is not a terminal here: gpioset's spelling still works.
    let o = udrv(&["--json", "gpio", "set", "-t", "0", "relay=1", "motor=0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    assert_eq!(v["set"][0]["line"], "relay");
    assert_eq!(v["set"][0]["offset"], 2);
    assert_eq!(v["set"][0]["active"], true);
    assert_eq!(v["set"][1]["offset"], 0);
    assert_eq!(v["set"][1]["chip"], env("UDRV_GPIO_SIM2_CHIP").as_str());
    let chip = Chip::open(env("UDRV_GPIO_SIM_CHIP")).unwrap();
    assert!(!chip.line_info(2).unwrap().used, "-t 0 exits and releases");
}

#[test]
fn set_daemonize_relays_the_banner_or_the_holders_error() {
    // The line is busy: the background holder cannot take it, and the caller says why.
    let mut busy = spawn(&["gpio", "set", "-C", "first", "relay=1"]);
    wait_consumer(2, "first");
    let o = udrv(&["gpio", "set", "-z", "--banner", "-C", "second", "relay=0"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("EBUSY") && stderr(&o).contains("\"first\""),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "", "no banner: nothing was set");
    assert_eq!(sim_value(2), "1", "the first holder's level");
    assert!(
        holder_pid("second").is_none(),
        "the failed holder is not left running"
    );
    busy.kill().unwrap();
    busy.wait().unwrap();
    // Free: the banner comes back through the caller, and the line stays held.
    let o = udrv(&["gpio", "set", "-z", "--banner", "-C", "zbanner", "relay=0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Setting line 'relay'...\n");
    wait_consumer(2, "zbanner");
    assert_eq!(sim_value(2), "0");
    let pid = holder_pid("zbanner").expect("the background holder");
    assert!(Command::new("kill").arg(&pid).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while chip_used(2) {
        assert!(Instant::now() < deadline, "the holder never released relay");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_name_on_several_chips_is_taken_from_the_first_and_the_others_named() {
    // GPIO17 is on the Pi 4 and the Pi 5 sim chips: libgpiod takes the first; udrv too,
    // and says where the other is; -s refuses.
    let o = udrv(&["gpio", "get", "GPIO17"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("also on gpiochip"), "{e}");
    let o = udrv(&["gpio", "get", "-s", "GPIO17"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not unique"), "{}", stderr(&o));
}

#[test]
fn bad_arguments_are_refused_and_lines_left_alone() {
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["gpio", "get", "no-such-line"],
            1,
            "no GPIO line is named `no-such-line`",
        ),
        (&["gpio", "set", "relay=maybe"], 2, "not a line value"),
        (&["gpio", "set", "relay"], 2, "not LINE=VALUE"),
        (
            &["gpio", "set", "-t", "1s,,0", "relay=1"],
            2,
            "invalid period",
        ),
        (
            &["gpio", "set", "-p", "10u", "relay=1"],
            2,
            "invalid period",
        ),
        (
            &["gpio", "mon", "--debounce-period", "1.5ms", "relay"],
            2,
            "invalid period",
        ),
        (
            &["gpio", "set", "relay=1", "udrv-sim:2=0"],
            2,
            "the same line",
        ),
        (
            &["gpio", "get", "-c", "udrv-sim", "--by-name", "2"],
            1,
            "no GPIO line is named `2`",
        ),
        (&["gpio", "info", "gpiochip99"], 1, "gpiochip99"),
    ];
    for (args, code, needle) in cases {
        let o = udrv(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(*code), "udrv {args:?}: {e}");
        assert!(e.contains(needle), "udrv {args:?}: `{e}` lacks `{needle}`");
        // One line (`udrv: ...`), or clap's for a bad option value: the reason, then
        // where to find help.
        assert!(
            e.lines().filter(|l| !l.trim().is_empty()).count() <= if *code == 2 { 2 } else { 1 },
            "{e}"
        );
    }
    let chip = Chip::open(env("UDRV_GPIO_SIM_CHIP")).unwrap();
    let relay = chip.line_info(2).unwrap();
    assert!(
        !relay.used,
        "a refused set must not request the line: {relay:?}"
    );
}
