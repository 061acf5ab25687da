//! A real PWM chip in the x86 guest: the kernel's `pwm-gpio` driver (Linux 6.11 and later,
//! drivers/pwm/pwm-gpio.c) toggling a GPIO line from an hrtimer, driven through the PWM
//! core's sysfs interface (Documentation/ABI/testing/sysfs-class-pwm) by `udrv_core::pwm`
//! and `udrv pwm set`, its waveform read back as GPIO edge events with the kernel's
//! timestamps.
//!
//! The x86 guest has no device tree to describe a PWM on a GPIO line, and gpio-sim's lines
//! sleep (pwm-gpio refuses them), so the fixture module `udrv_pwm_loop`
//! (xtask/guest/udrv_pwm_loop.c) provides a non-sleeping two-line chip whose line 0
//! (`pwm-out`, given to the `pwm-gpio` platform device through a GPIO lookup table) is
//! wired to line 1 (`pwm-in`), whose edges raise interrupts. Everything between the sysfs
//! writes and the edges is the kernel's own code.
//!
//! The waveform is measured by the median of many periods' edge timestamps (see
//! `waveform` for the windows a busy host spoils) and compared with what was set within
//! 15 %: a wrong period, duty or polarity (a factor of 3 here) or
//! no output at all fails, while the emulator's timer jitter on a loaded host does not.
//! Edges are at least 10 ms apart. The tests share the chip's one channel, so they take turns (`CHANNEL`).
#![cfg(udrv_guest)]

mod common;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::{assert_stderr_has, json_lines, run, stderr, stdout, udrv};
use embedded_hal::pwm::SetDutyCycle;
use udrv_core::gpio::{Chip, EdgeDetection, EdgeEvent, EdgeKind, Request, Value};
use udrv_core::pwm::{self, Error, Polarity, PwmChannel, PwmChip};
use udrv_core::sysfs::SysRoot;

/// The one channel, taken in turn by the tests.
static CHANNEL: Mutex<()> = Mutex::new(());

/// How long an edge that must come may take: a guard against a hang, not a measure.
const WAIT: Duration = Duration::from_secs(10);

const MS: u64 = 1_000_000;

/// The fixture: the pwm-gpio chip's number and the looped GPIO chip, with the channel
/// taken, disabled and at normal polarity.
struct Fixture {
    pwmchip: u32,
    gpio: Chip,
    _turn: MutexGuard<'static, ()>,
}

impl Fixture {
    fn take() -> Fixture {
        let turn = CHANNEL.lock().unwrap_or_else(|e| e.into_inner());
        // Loaded by the first test (modprobe of a loaded module does nothing).
        let o = run("modprobe", &["udrv_pwm_loop"]);
        assert!(o.status.success(), "modprobe udrv_pwm_loop: {}", stderr(&o));
        let root = SysRoot::system();
        let pwmchip = pwm::chips(&root)
            .into_iter()
            .find(|n| {
                let dev = std::fs::read_link(format!("/sys/class/pwm/pwmchip{n}/device"));
                dev.is_ok_and(|d| d.file_name().is_some_and(|f| f == "pwm-gpio"))
            })
            .unwrap_or_else(|| {
                panic!(
                    "no pwmchip whose device is pwm-gpio; chips: {:?}",
                    pwm::chips(&root)
                )
            });
        let gpio = Chip::open_by_label("udrv-pwm-loop").expect("the looped GPIO chip");
        let f = Fixture {
            pwmchip,
            gpio,
            _turn: turn,
        };
        let mut ch = f.channel();
        ch.enable(false).unwrap();
        ch.set_polarity(Polarity::Normal).unwrap();
        f
    }

    fn chip(&self) -> PwmChip {
        PwmChip::open(&SysRoot::system(), self.pwmchip).unwrap()
    }

    fn channel(&self) -> PwmChannel {
        self.chip().channel(0).unwrap()
    }

    fn attr(&self, name: &str) -> String {
        let p = self.attr_path(name);
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .trim()
            .to_string()
    }

    fn attr_path(&self, name: &str) -> PathBuf {
        format!("/sys/class/pwm/pwmchip{}/pwm0/{name}", self.pwmchip).into()
    }

    /// `pwm-in`, the line wired to the PWM's output, watched for both edges.
    fn watch(&self) -> Request {
        self.gpio
            .request()
            .with_consumer("pwm-watch")
            .with_line(1)
            .with_edge_detection(EdgeDetection::Both)
            .request()
            .unwrap()
    }
}

/// The next `n` edges on `req`.
fn edges(req: &Request, n: usize) -> Vec<EdgeEvent> {
    (0..n)
        .map(|i| {
            req.wait_edge_event(WAIT)
                .unwrap()
                .unwrap_or_else(|| panic!("no edge {i} of {n} within {WAIT:?}"))
        })
        .collect()
}

/// The median of `v` (sorted in place).
fn median(v: &mut [u64]) -> u64 {
    assert!(!v.is_empty());
    v.sort_unstable();
    v[v.len() / 2]
}

/// The waveform in `ev`: the median high time (a rising edge to the falling one after it)
/// and the median period (rising to rising across one falling edge), in ns.
///
/// The kernel stamps an edge in its interrupt handler but tells rising from falling by
/// reading the line in its handler thread: when the emulator's CPU is descheduled by a
/// busy host, an edge and the next one fire together and the first is read with the
/// second's level (two falling edges in a row, seen here under load). Such windows are
/// left out; at least half of the windows must be clean, so a line that never alternates
/// fails.
fn waveform(ev: &[EdgeEvent]) -> (u64, u64) {
    let dt = |a: &EdgeEvent, b: &EdgeEvent| b.timestamp_ns - a.timestamp_ns;
    let mut highs: Vec<u64> = ev
        .windows(2)
        .filter(|w| (w[0].kind, w[1].kind) == (EdgeKind::Rising, EdgeKind::Falling))
        .map(|w| dt(&w[0], &w[1]))
        .collect();
    let mut periods: Vec<u64> = ev
        .windows(3)
        .filter(|w| {
            (w[0].kind, w[1].kind, w[2].kind)
                == (EdgeKind::Rising, EdgeKind::Falling, EdgeKind::Rising)
        })
        .map(|w| dt(&w[0], &w[2]))
        .collect();
    let windows = ev.len() / 2;
    assert!(
        highs.len() * 2 >= windows && periods.len() * 2 >= windows,
        "fewer than half of the windows alternate ({} high times, {} periods of {windows}): \
         {ev:?}",
        highs.len(),
        periods.len()
    );
    (median(&mut highs), median(&mut periods))
}

/// `got` within 15 % of `want`.
#[track_caller]
fn near(what: &str, got: u64, want: u64) {
    let ratio = got as f64 / want as f64;
    assert!(
        (0.85..=1.15).contains(&ratio),
        "{what}: measured {got} ns, set {want} ns (ratio {ratio:.3})"
    );
}

/// `n` edges of `req` once the output runs what was just set: the edges already queued
/// are dropped, then two more (pwm-gpio applies a new state when the running period ends).
fn settled_edges(req: &Request, n: usize) -> Vec<EdgeEvent> {
    while req.wait_edge_event(Duration::ZERO).unwrap().is_some() {}
    edges(req, 2);
    edges(req, n)
}

/// Waits until `req` has seen no edge for 200 ms (longer than any period here).
fn quiet(req: &Request) {
    while req
        .wait_edge_event(Duration::from_millis(200))
        .unwrap()
        .is_some()
    {}
}

#[test]
fn the_kernels_pwm_gpio_follows_period_duty_and_polarity_set_through_udrv() {
    let f = Fixture::take();
    let watch = f.watch();
    let mut ch = f.channel();
    // 25 Hz, 25 %: high for 10 ms of each 40 ms (edges at least 10 ms apart, so that the
    // kernel's threaded handler reads each edge's level before the next one).
    ch.configure(40 * MS, 10 * MS).unwrap();
    ch.enable(true).unwrap();
    assert_eq!(
        (ch.period_ns().unwrap(), ch.duty_ns().unwrap()),
        (40 * MS, 10 * MS)
    );
    assert!(ch.enabled().unwrap());
    let (high, period) = waveform(&settled_edges(&watch, 41));
    near("period at 25 Hz", period, 40 * MS);
    near("high time at 25 %", high, 10 * MS);

    // embedded-hal's SetDutyCycle on the running output: 75 %.
    ch.set_duty_cycle_percent(75).unwrap();
    assert_eq!(ch.duty_ns().unwrap(), 30 * MS);
    let (high, period) = waveform(&settled_edges(&watch, 41));
    near("period after set_duty_cycle_percent(75)", period, 40 * MS);
    near("high time at 75 %", high, 30 * MS);

    // Inversed polarity (taken while disabled): low for the duty, high for the rest.
    ch.enable(false).unwrap();
    ch.set_duty_cycle_percent(25).unwrap();
    ch.set_polarity(Polarity::Inversed).unwrap();
    assert_eq!(ch.polarity().unwrap(), Polarity::Inversed);
    ch.enable(true).unwrap();
    let (high, period) = waveform(&settled_edges(&watch, 41));
    near("period, inversed", period, 40 * MS);
    near("high time at 25 % inversed", high, 30 * MS);

    // Disabled: the output rests at its inactive level (high when inversed), no edges.
    ch.enable(false).unwrap();
    quiet(&watch);
    assert_eq!(
        watch.value(1).unwrap(),
        Value::Active,
        "inversed output at rest"
    );
    ch.set_polarity(Polarity::Normal).unwrap();
    ch.enable(true).unwrap();
    ch.set_duty_cycle(0).unwrap();
    // Duty 0: the line stays low once the running period ends.
    let mut last = None;
    while let Some(e) = watch.wait_edge_event(Duration::from_millis(200)).unwrap() {
        last = Some(e.kind);
    }
    assert_ne!(
        last,
        Some(EdgeKind::Rising),
        "an output at 0 % must end low"
    );
    assert_eq!(watch.value(1).unwrap(), Value::Inactive, "output at 0 %");
    ch.enable(false).unwrap();
}

#[test]
fn udrv_pwm_set_and_list_drive_the_kernels_pwm_gpio() {
    let f = Fixture::take();
    let watch = f.watch();
    let name = format!("pwmchip{}/0", f.pwmchip);
    let o = udrv(&[
        "--json", "pwm", "set", &name, "--freq", "20", "--duty", "20",
    ]);
    assert!(o.status.success(), "udrv pwm set: {}", stderr(&o));
    let v = &json_lines(&o)[0];
    assert_eq!(
        (v["period_ns"].as_u64(), v["duty_ns"].as_u64()),
        (Some(50 * MS), Some(10 * MS))
    );
    assert_eq!(
        (f.attr("period"), f.attr("duty_cycle"), f.attr("enable")),
        ("50000000".into(), "10000000".into(), "1".into())
    );
    let (high, period) = waveform(&settled_edges(&watch, 41));
    near("period at 20 Hz (udrv pwm set)", period, 50 * MS);
    near("high time at 20 % (udrv pwm set)", high, 10 * MS);

    // `udrv pwm list` names the chip's driver and shows the channel as set.
    let o = udrv(&["pwm", "list"]);
    assert!(o.status.success(), "udrv pwm list: {}", stderr(&o));
    let text = stdout(&o);
    let line = format!("pwmchip{} (pwm-gpio)  1 channels", f.pwmchip);
    assert!(text.contains(&line), "no `{line}` in:\n{text}");
    assert!(
        text.contains(
            "20.000 Hz  20.00 %  (period 50000000 ns, duty 10000000 ns)  normal  enabled"
        ),
        "{text}"
    );

    // --disabled stops the output; the line rests low.
    let o = udrv(&[
        "pwm",
        "set",
        &name,
        "--freq",
        "20",
        "--duty",
        "20",
        "--disabled",
    ]);
    assert!(
        o.status.success(),
        "udrv pwm set --disabled: {}",
        stderr(&o)
    );
    assert_eq!(f.attr("enable"), "0");
    quiet(&watch);
    assert_eq!(watch.value(1).unwrap(), Value::Inactive);
}

#[test]
fn what_the_real_kernel_refuses_is_refused_clearly() {
    let f = Fixture::take();
    let mut ch = f.channel();
    ch.configure(20 * MS, 15 * MS).unwrap();
    ch.enable(true).unwrap();

    // A period shorter than the running output's duty: the kernel refuses it (EINVAL,
    // drivers/pwm/core.c checks an enabled state), which is why configure writes the duty
    // first then.
    let e = std::fs::write(f.attr_path("period"), "1000000").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
    ch.configure(MS, MS / 2).unwrap();
    assert_eq!(
        (f.attr("period"), f.attr("duty_cycle")),
        ("1000000".into(), "500000".into())
    );
    ch.enable(false).unwrap();

    // A duty above the period is refused before anything is written.
    let e = ch.configure(MS, 2 * MS).unwrap_err();
    assert!(matches!(e, Error::DutyAbovePeriod { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains(&format!("pwmchip{}/pwm0", f.pwmchip)),
        "{e}"
    );
    assert_eq!(f.attr("duty_cycle"), "500000");
    let name = format!("pwmchip{}/0", f.pwmchip);
    let o = udrv(&["pwm", "set", &name, "--freq", "50", "--duty", "150"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_stderr_has(&o, "--duty 150");

    // The GPIO line pwm-gpio drives is the kernel's: a request names its consumer.
    let e = f
        .gpio
        .request()
        .with_line(0)
        .as_output(Value::Inactive)
        .request()
        .unwrap_err();
    assert!(e.is_busy(), "{e:?}");
    assert!(e.to_string().contains("consumer \"pwm-gpio\""), "{e}");

    // A channel another program unexported under our handle: the next write names it.
    std::fs::write(format!("/sys/class/pwm/pwmchip{}/unexport", f.pwmchip), "0").unwrap();
    let e = ch.enable(true).unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("pwmchip{}/pwm0", f.pwmchip)),
        "{e}"
    );
    // A channel the chip lacks.
    let e = f.chip().channel(1).unwrap_err();
    assert!(matches!(e, Error::NoChannel { npwm: 1, .. }), "{e:?}");
    let o = udrv(&[
        "pwm",
        "set",
        &format!("pwmchip{}/1", f.pwmchip),
        "--freq",
        "50",
        "--duty",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_stderr_has(&o, "has no channel 1: it has 1");
}
