//! `udrv gpio` against libgpiod 2.x's own tools (bookworm-backports' gpiod, in the guest
//! at `$UDRV_PEER_BIN`), on the same gpio-sim lines in the same boot: the same arguments
//! must give the same results. What the other side sees is the judge: line levels in
//! gpio-sim's sysfs, line info (consumer, direction, bias, debounce) as the kernel reports
//! it and as gpioinfo prints it, the events and the text each tool prints for them.
//!
//! Edges are made through gpio-sim's `pull` attributes, and only once the monitor's
//! banner says edge detection is armed; each edge is awaited in the monitor's output
//! before the next is made.
#![cfg(udrv_guest)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use common::{env, sim_value, stderr, stdout};
use udrv_core::gpio::{Chip, LineInfo};

/// How long anything the kernel or a tool must do may take (TCG is slow, not this slow).
const WAIT: Duration = Duration::from_secs(30);

fn chip() -> String {
    env("UDRV_GPIO_SIM_CHIP")
}

/// The chip's kernel name (`gpiochipN`), as the tools print it.
fn chip_name() -> String {
    chip().trim_start_matches("/dev/").to_string()
}

fn pull(offset: u32, up: bool) {
    let p = format!("{}/sim_gpio{offset}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" }).expect(&p);
}

fn info_on(chip: &str, offset: u32) -> LineInfo {
    Chip::open(chip)
        .expect("open the sim chip")
        .line_info(offset)
        .expect("line info")
}

fn info(offset: u32) -> LineInfo {
    info_on(&chip(), offset)
}

/// Waits (at most `WAIT`) until `ok()`; fails naming `what` otherwise.
fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !ok() {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// libgpiod's tool `name` (gpioset...) and udrv's command for it (`udrv gpio set`), each
/// with a label for messages.
fn both(name: &str) -> [(String, Command); 2] {
    let sub = match name {
        "gpiodetect" => "detect",
        "gpioinfo" => "info",
        "gpioget" => "get",
        "gpioset" => "set",
        "gpiomon" => "mon",
        "gpionotify" => "notify",
        other => panic!("no udrv command for {other}"),
    };
    let mut u = Command::new("udrv");
    u.args(["gpio", sub]);
    [
        (name.to_string(), peer(name)),
        (format!("udrv gpio {sub}"), u),
    ]
}

/// Runs libgpiod's tool `name` and udrv's command for it with each case's arguments: the
/// same standard output and exit status.
fn assert_same_output(name: &str, cases: &[Vec<&str>]) {
    for args in cases {
        let [(n0, c0), (n1, c1)] = both(name);
        let a = run(c0, args, &n0);
        let b = run(c1, args, &n1);
        assert_eq!(
            (stdout(&a), a.status.code()),
            (stdout(&b), b.status.code()),
            "{args:?}: {name} said {:?}, udrv {:?}",
            stderr(&a),
            stderr(&b)
        );
    }
}

/// Runs libgpiod's tool `name` and udrv's command for it, each with `args` after `setup`:
/// its first line (the banner), then the lines it prints for what `events` does. Each must
/// exit with success: per tool, its label, its lines and its output after them.
fn banner_and_lines<const N: usize>(
    name: &str,
    args: &[&str],
    setup: impl Fn(),
    events: impl Fn(&Proc) -> [String; N],
) -> Vec<(String, Vec<String>, Output)> {
    let mut outs = Vec::new();
    for (name, mut c) in both(name) {
        setup();
        c.args(args);
        let p = Proc::spawn(c, &name);
        let mut lines = vec![p.line()];
        lines.extend(events(&p));
        let o = p.finish();
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        outs.push((name, lines, o));
    }
    outs
}

fn peer(name: &str) -> Command {
    Command::new(format!("{}/{name}", env("UDRV_PEER_BIN")))
}

/// Runs a command to its end (at most `WAIT`: a command that should return and does not
/// fails the test instead of hanging the guest).
fn output(c: Command, what: &str) -> Output {
    Proc::spawn(c, what).finish()
}

fn run(mut c: Command, args: &[&str], what: &str) -> Output {
    c.args(args);
    output(c, &format!("{what} {args:?}"))
}

/// A running tool: its standard output line by line, its standard error collected; killed
/// when dropped.
struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
    err: Arc<Mutex<Vec<u8>>>,
    what: String,
}

impl Proc {
    fn spawn(mut c: Command, what: &str) -> Proc {
        let child = c
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        Proc::wrap(child, what)
    }

    fn wrap(mut child: Child, what: &str) -> Proc {
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        let err = Arc::new(Mutex::new(Vec::new()));
        let mut e = child.stderr.take().expect("piped stderr");
        let sink = err.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = e.read_to_end(&mut buf);
            sink.lock().unwrap().extend_from_slice(&buf);
        });
        Proc {
            child,
            lines,
            err,
            what: what.to_string(),
        }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    /// The next line of standard output (at most `WAIT`).
    fn line(&self) -> String {
        self.lines.recv_timeout(WAIT).unwrap_or_else(|_| {
            panic!(
                "{}: no output line within {WAIT:?}; stderr: {}",
                self.what,
                self.stderr()
            )
        })
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Waits for the process to end by itself (at most `WAIT`).
    fn finish(mut self) -> Output {
        let deadline = Instant::now() + WAIT;
        let status: ExitStatus = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not end by itself within {WAIT:?}",
                self.what
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut out = Vec::new();
        // The reader thread ends at EOF, which comes with the exit.
        while let Ok(l) = self.lines.recv_timeout(WAIT) {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        }
        // Let the stderr thread drain.
        let deadline = Instant::now() + WAIT;
        while Arc::strong_count(&self.err) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        Output {
            status,
            stdout: out,
            stderr: self.err.lock().unwrap().clone(),
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process's scheduler state (`S`: asleep, waiting for something).
    fn state(&self) -> char {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        stat.rsplit(')')
            .next()
            .and_then(|s| s.trim().chars().next())
            .unwrap_or('?')
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The pid of the process one of whose arguments is exactly `marker`.
fn pid_with_arg(marker: &str) -> Option<u32> {
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        if cmdline.split(|&b| b == 0).any(|a| a == marker.as_bytes()) {
            return Some(pid);
        }
    }
    None
}

/// Kills a background holder by pid when dropped (a failing test must not leave a line
/// held for the tests after it).
struct Background(u32);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.to_string()).status();
    }
}

/// gpioinfo's line for `offset` on the sim chip.
fn gpioinfo_line(offset: u32) -> String {
    let o = run(
        peer("gpioinfo"),
        &["-c", &chip(), &offset.to_string()],
        "gpioinfo",
    );
    assert!(o.status.success(), "gpioinfo: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn set_holds_the_line_until_killed_as_gpioset_does() {
    let chip = chip();
    pull(4, false);
    for (name, mut c) in both("gpioset") {
        // gpioset's spelling, as typed at a shell: no confirmation, no extra option.
        c.args(["-c", &chip, "4=1"]);
        let mut p = Proc::spawn(c, &name);
        // Holding: the line is ours and the process sleeps, waiting to be killed (a
        // tool that sets and exits is never seen asleep with the line).
        wait_until(&format!("{name} holds line 4, asleep"), || {
            info(4).used && p.state() == 'S'
        });
        assert_eq!(sim_value(4), "1", "{name} drives the line high");
        let seen = gpioinfo_line(4);
        assert!(
            seen.contains("\toutput consumer="),
            "{name}: gpioinfo shows {seen:?}"
        );
        assert!(p.running(), "{name} exited instead of holding the line");
        p.kill();
        wait_until(&format!("line 4 released after {name} was killed"), || {
            !info(4).used
        });
        assert_eq!(sim_value(4), "0", "released: the pull-down decides again");
    }
}

#[test]
fn set_options_give_the_same_line_state_as_gpioset() {
    let chip2 = env("UDRV_GPIO_SIM2_CHIP");
    let mut seen = Vec::new();
    for (name, mut c) in both("gpioset") {
        c.args([
            "-C",
            "cmp",
            "-b",
            "pull-up",
            "-d",
            "open-drain",
            "-l",
            "door=0",
        ]);
        let mut p = Proc::spawn(c, &name);
        wait_until(&format!("{name} holds door"), || info_on(&chip2, 5).used);
        let o = run(peer("gpioinfo"), &["door"], "gpioinfo");
        let line = stdout(&o);
        // udrv's info prints the same line for the same state.
        let o = run(
            Command::new("udrv"),
            &["gpio", "info", "door"],
            "udrv gpio info",
        );
        assert_eq!(stdout(&o), line, "udrv gpio info and gpioinfo differ");
        seen.push(line);
        p.kill();
        wait_until("door released", || !info_on(&chip2, 5).used);
    }
    assert_eq!(
        seen[0],
        format!(
            "{} 5\t\"door\"          \toutput active-low drive=open-drain bias=pull-up \
             consumer=\"cmp\"\n",
            chip2.trim_start_matches("/dev/")
        )
    );
    assert_eq!(seen[0], seen[1], "gpioset and udrv leave different states");
}

#[test]
fn set_daemonize_returns_at_once_and_holds_in_the_background() {
    let chip = chip();
    pull(5, false);
    for (name, mut c) in both("gpioset") {
        let consumer = format!("zd-{}", name.replace(' ', "-"));
        c.args(["-z", "-C", &consumer, "-c", &chip, "5=1"]);
        // It must return by itself (`output` fails the test if it does not).
        let o = output(c, &name);
        assert!(o.status.success(), "{name} -z: {}", stderr(&o));
        let l = info(5);
        assert!(l.used, "{name} -z returned without the line held");
        assert_eq!(l.consumer.as_deref(), Some(consumer.as_str()));
        assert_eq!(sim_value(5), "1");
        let pid = pid_with_arg(&consumer)
            .unwrap_or_else(|| panic!("no background process of {name} holds line 5"));
        let holder = Background(pid);
        drop(holder);
        wait_until(
            &format!("line 5 released when {name}'s holder is killed"),
            || !info(5).used,
        );
    }
}

#[test]
fn set_toggles_with_periods_in_units_then_exits() {
    let chip = chip();
    // Pulled up: once released the line reads 1 again, so a 0 seen while it is held
    // can only be the toggle.
    pull(6, true);
    for (name, mut c) in both("gpioset") {
        c.args(["-p", "10ms", "-t", "100ms,1s,0", "-c", &chip, "6=1"]);
        let mut p = Proc::spawn(c, &name);
        let mut levels: Vec<String> = Vec::new();
        let deadline = Instant::now() + WAIT;
        while p.running() {
            assert!(Instant::now() < deadline, "{name} -t ...,0 did not exit");
            let before = info(6).used;
            let v = sim_value(6);
            if before && info(6).used && levels.last() != Some(&v) {
                levels.push(v);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let o = p.finish();
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert!(
            levels.windows(2).any(|w| w == ["1", "0"]),
            "{name}: levels while held {levels:?}: set to 1, then toggled to 0"
        );
        wait_until("line 6 released", || !info(6).used);
    }
    // -t 0: set the line and exit at once.
    for (name, c) in both("gpioset") {
        let o = run(c, &["-t", "0", "-c", &chip, "6=0"], &name);
        assert!(o.status.success(), "{name} -t 0: {}", stderr(&o));
        assert!(!info(6).used, "{name} -t 0 left the line held");
    }
}

#[test]
fn set_banner_and_lines_on_two_chips_as_gpioset() {
    let chip = chip();
    let chip2 = env("UDRV_GPIO_SIM2_CHIP");
    let mut banners = Vec::new();
    for (name, mut c) in both("gpioset") {
        c.args(["--banner", "-C", "two", "relay=1", "door=1"]);
        let mut p = Proc::spawn(c, &name);
        banners.push(p.line());
        wait_until(&format!("{name} holds relay and door"), || {
            info(2).used && info_on(&chip2, 5).used
        });
        assert_eq!(info(2).consumer.as_deref(), Some("two"));
        assert_eq!(info_on(&chip2, 5).consumer.as_deref(), Some("two"));
        assert_eq!(sim_value(2), "1");
        p.kill();
        wait_until("relay and door released", || {
            !info(2).used && !info_on(&chip2, 5).used
        });
    }
    assert_eq!(banners[0], "Setting lines 'relay', and 'door'...");
    assert_eq!(banners[0], banners[1]);
    // -t 0 with a banner: the same text, then exit.
    let mut outs = Vec::new();
    for (name, c) in both("gpioset") {
        let o = run(c, &["--banner", "-t", "0", "-c", &chip, "13=1"], &name);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        outs.push(stdout(&o));
    }
    assert_eq!(outs[0], "Setting line '13'...\n");
    assert_eq!(outs[0], outs[1]);
}

#[test]
fn get_prints_what_gpioget_prints() {
    let chip = chip();
    pull(1, true); // button
    pull(3, false); // irq
    let cases: Vec<Vec<&str>> = vec![
        vec!["button", "irq"],
        vec!["--numeric", "button", "irq"],
        vec!["--unquoted", "-l", "button"],
        vec!["-a", "-p", "10ms", "-c", &chip, "1", "3"],
        vec!["-c", &chip, "--by-name", "button"],
        vec!["button", "motor"],
        vec!["GPIO17"],
        vec!["-s", "GPIO17"],
        vec!["-c", &chip, "16"],
        vec!["no-such-line"],
    ];
    assert_same_output("gpioget", &cases);
    // And the values are the sim's.
    let o = run(
        Command::new("udrv"),
        &["gpio", "get", "button", "irq"],
        "udrv",
    );
    assert_eq!(stdout(&o), "\"button\"=active \"irq\"=inactive\n");
}

#[test]
fn info_and_detect_print_what_gpioinfo_and_gpiodetect_print() {
    let chip = chip();
    let name = chip_name();
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["-c", &chip],
        vec!["-c", &name, "--unquoted"],
        vec!["irq", "button"],
        vec!["-c", &chip, "3", "led"],
        vec!["NC"],
        vec!["-s", "NC"],
        vec!["GPIO17", "P8_25 [mmc1_dat0]"],
        vec!["no-such-line"],
    ];
    assert_same_output("gpioinfo", &cases);
    let number = name.trim_start_matches("gpiochip").to_string();
    let cases: Vec<Vec<&str>> = vec![vec![], vec![&number, &name, &chip], vec!["no-such-chip"]];
    assert_same_output("gpiodetect", &cases);
}

#[test]
fn mon_format_num_events_and_edges_as_gpiomon() {
    let chip = chip();
    let fmt = "%o %e %E %l %c %% %x";
    let args = ["--banner", "-n", "3", "-F", fmt, "-c", &chip, "9", "spare"];
    let setup = || {
        pull(9, false);
        pull(7, false);
    };
    let edges = |p: &Proc| {
        let edges = [(9, true), (7, true), (9, false)];
        edges.map(|(off, up)| {
            pull(off, up);
            p.line()
        })
    };
    let mut outs = Vec::new();
    for (name, lines, o) in banner_and_lines("gpiomon", &args, setup, edges) {
        assert_eq!(stdout(&o), "", "{name}: nothing after the 3 events of -n 3");
        outs.push(lines);
    }
    let n = chip_name();
    assert_eq!(
        outs[0],
        [
            "Monitoring lines '9', and 'spare'...".to_string(),
            format!("9 1 rising unnamed {n} % %x"),
            format!("7 1 rising spare {n} % %x"),
            format!("9 2 falling unnamed {n} % %x"),
        ]
    );
    assert_eq!(outs[0], outs[1]);

    // The default format, -e rising, --unquoted: a falling edge is not printed.
    let mut outs = Vec::new();
    for (name, mut c) in both("gpiomon") {
        pull(9, false);
        pull(7, false);
        c.args([
            "--banner",
            "--unquoted",
            "-e",
            "rising",
            "-n",
            "2",
            "-c",
            &chip,
            "9",
            "spare",
        ]);
        let p = Proc::spawn(c, &name);
        let banner = p.line();
        pull(9, true);
        let first = p.line();
        pull(9, false);
        pull(7, true);
        let second = p.line();
        assert!(p.finish().status.success(), "{name}");
        let mut lines = vec![banner];
        for l in [first, second] {
            let (ts, rest) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("{name}: {l:?}"));
            let t: f64 = ts
                .parse()
                .unwrap_or_else(|_| panic!("{name}: timestamp {ts:?}"));
            assert!(t > 0.0, "{name}: {l:?}");
            assert_eq!(
                ts.split_once('.').map(|(_, f)| f.len()),
                Some(9),
                "{name}: {ts}"
            );
            lines.push(rest.to_string());
        }
        outs.push(lines);
    }
    assert_eq!(
        outs[0],
        [
            "Monitoring lines '9', and 'spare'...".to_string(),
            format!("rising\t{n} 9"),
            format!("rising\t{n} 7 spare"),
        ]
    );
    assert_eq!(outs[0], outs[1]);
}

#[test]
fn mon_debounce_period_with_units_reaches_the_kernel_as_with_gpiomon() {
    let chip = chip();
    let mut seen = Vec::new();
    for (name, mut c) in both("gpiomon") {
        c.args(["--banner", "-C", "deb", "-p", "10ms", "-c", &chip, "11"]);
        let p = Proc::spawn(c, &name);
        assert_eq!(p.line(), "Monitoring line '11'...");
        seen.push(gpioinfo_line(11));
        drop(p);
        wait_until("line 11 released", || !info(11).used);
    }
    // (gpioinfo 2.1 does not quote the consumer of an unnamed line.)
    assert_eq!(
        seen[0],
        format!(
            "{} 11\tunnamed         \tinput edges=both debounce-period=10ms consumer=deb\n",
            chip_name()
        )
    );
    assert_eq!(seen[0], seen[1]);
    let d = info(11).debounce;
    assert!(d.is_none() || d == Some(Duration::ZERO), "released: {d:?}");
}

/// A TZif file of a zone two hours east of UTC, all year.
fn plus_two_hours_zone() -> String {
    let path = "/tmp/udrv-test-zone-plus2";
    let header = |n_time: u32, n_types: u32, n_chars: u32| {
        let mut h = b"TZif2".to_vec();
        h.extend_from_slice(&[0; 15]);
        for c in [0, 0, 0, n_time, n_types, n_chars] {
            h.extend_from_slice(&c.to_be_bytes());
        }
        h
    };
    let mut f = Vec::new();
    for _ in 0..2 {
        f.extend(header(0, 1, 4));
        f.extend_from_slice(&7200i32.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(b"XXX\0");
    }
    f.extend_from_slice(b"\nXXX-2\n");
    std::fs::write(path, f).unwrap();
    path.to_string()
}

/// Seconds since 1970 of `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn[Z]`, and whether it ended in Z.
fn iso(s: &str) -> (i64, bool) {
    let z = s.ends_with('Z');
    let s = s.trim_end_matches('Z');
    let (date, time) = s.split_once('T').unwrap_or_else(|| panic!("{s:?}"));
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (hms, frac) = time.split_once('.').unwrap_or_else(|| panic!("{s:?}"));
    assert_eq!(frac.len(), 9, "{s:?}");
    let t: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1])
    } else {
        (d[0], d[1])
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d[2] - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    (days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2], z)
}

#[test]
fn mon_realtime_utc_and_local_time_as_gpiomon() {
    let chip = chip();
    let zone = plus_two_hours_zone();
    for (name, mut c) in both("gpiomon") {
        pull(10, false);
        c.env("TZ", &zone).args([
            "--banner", "-E", "realtime", "-n", "1", "-F", "%U %L %S", "-c", &chip, "10",
        ]);
        let p = Proc::spawn(c, &name);
        p.line();
        pull(10, true);
        let l = p.line();
        let f: Vec<&str> = l.split(' ').collect();
        let (utc, z) = iso(f[0]);
        let (local, lz) = iso(f[1]);
        assert!(z && !lz, "{name}: {l:?}");
        assert_eq!(
            local - utc,
            7200,
            "{name}: %L is two hours ahead of %U: {l:?}"
        );
        let secs: f64 = f[2].parse().unwrap();
        assert_eq!(
            secs as i64, utc,
            "{name}: %S is the realtime clock's: {l:?}"
        );
        assert!(utc > 1_600_000_000, "{name}: a realtime timestamp: {l:?}");
        assert!(p.finish().status.success());
    }
    // The default format of -E realtime is UTC.
    for (name, mut c) in both("gpiomon") {
        pull(10, false);
        c.env("TZ", &zone)
            .args(["--banner", "-E", "realtime", "-n", "1", "-c", &chip, "10"]);
        let p = Proc::spawn(c, &name);
        p.line();
        pull(10, true);
        let l = p.line();
        assert!(l.contains("\trising\t"), "{name}: {l:?}");
        assert!(p.finish().status.success());
        let ts = l.split('\t').next().unwrap();
        assert!(iso(ts).1, "{name}: realtime is printed as UTC: {l:?}");
    }
    for (name, mut c) in both("gpiomon") {
        pull(10, false);
        c.env("TZ", &zone)
            .args(["--banner", "--localtime", "-n", "1", "-c", &chip, "10"]);
        let p = Proc::spawn(c, &name);
        p.line();
        pull(10, true);
        let l = p.line();
        let (local, z) = iso(l.split('\t').next().unwrap());
        assert!(!z, "{name}: {l:?}");
        assert!(
            local > 1_600_000_000,
            "{name}: --localtime means the realtime clock: {l:?}"
        );
        assert!(p.finish().status.success());
    }
}

#[test]
fn notify_prints_what_gpionotify_prints() {
    let chip = chip();
    let fmt = "%o %e %E %C %l %c [%a]";
    let args = ["--banner", "-n", "2", "-F", fmt, "-c", &chip, "12"];
    let request_release = |p: &Proc| {
        let g = run(
            peer("gpioget"),
            &["-C", "trig", "-c", &chip, "12"],
            "gpioget",
        );
        assert!(g.status.success(), "{}", stderr(&g));
        [p.line(), p.line()]
    };
    let outs: Vec<Vec<String>> = banner_and_lines("gpionotify", &args, || {}, request_release)
        .into_iter()
        .map(|(_, lines, _)| lines)
        .collect();
    let n = chip_name();
    assert_eq!(
        outs[0],
        [
            "Watching line '12'...".to_string(),
            format!("12 1 requested trig unnamed {n} [input consumer=\"trig\"]"),
            format!("12 2 released unused unnamed {n} [input]"),
        ]
    );
    assert_eq!(outs[0], outs[1]);
    // The default format with -e: only releases.
    let mut outs = Vec::new();
    for (name, mut c) in both("gpionotify") {
        c.args(["--banner", "-e", "released", "-n", "1", "-c", &chip, "12"]);
        let p = Proc::spawn(c, &name);
        p.line();
        let g = run(peer("gpioget"), &["-c", &chip, "12"], "gpioget");
        assert!(g.status.success());
        let l = p.line();
        assert!(p.finish().status.success());
        let (ts, rest) = l.split_once('\t').unwrap();
        assert!(ts.parse::<f64>().is_ok(), "{name}: {l:?}");
        outs.push(rest.to_string());
    }
    assert_eq!(outs[0], format!("released\t{n} 12"));
    assert_eq!(outs[0], outs[1]);
}
