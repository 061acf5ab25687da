//! GPIO against the real kernel (gpio-sim), run inside the QEMU guest by
//! `cargo xtask vmtest --only guest_gpio`. Fixtures come from `xtask/guest/fixtures.sh`:
//! `UDRV_GPIO_SIM_CHIP` (16 lines, 0:led 1:button 2:relay 3:irq 7:spare),
//! `UDRV_GPIO_SIM_SYSFS` (its `sim_gpioN/{pull,value}`), `UDRV_GPIO_SIM2_CHIP`
//! (8 lines, 0:motor 5:door).
//!
//! Lines are driven from "outside" by writing `pull-up`/`pull-down` to `sim_gpioN/pull`;
//! what an output drives is read back from `sim_gpioN/value`.
//!
//! A test that makes an edge while a call waits for it makes the edge once the waiting
//! thread is asleep in that call (`common/asleep.rs`), not after a guessed delay; waits
//! for what must come have a deadline that only guards against a hang.
// The docs come first: on the host the crate is empty and still needs them (missing_docs).
#![cfg(udrv_guest)]

#[path = "common/asleep.rs"]
mod asleep;
mod common;

use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asleep::when_asleep;
use common::env;

use udrv_core::gpio::{
    self, Abi, AbiLimit, Bias, Chip, Direction, Drive, EdgeDetection, EdgeKind, Error, EventClock,
    InfoChangeKind, InvalidConfig, Pin, Request, Value,
};

/// How long an event the kernel must deliver may take before the test fails: a guard
/// against a hang (TCG on a loaded host is slow, not this slow).
const WAIT: Duration = Duration::from_secs(30);

fn sim() -> PathBuf {
    env("UDRV_GPIO_SIM_CHIP").into()
}

fn sim2() -> PathBuf {
    env("UDRV_GPIO_SIM2_CHIP").into()
}

/// Drives sim line `n` of udrv-sim from outside: `true` pulls it up.
fn pull(n: u32, up: bool) {
    let p = format!("{}/sim_gpio{n}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" })
        .unwrap_or_else(|e| panic!("write {p}: {e}"));
}

/// What the simulator sees on line `n` (the level an output drives): 0 or 1.
fn sim_value(n: u32) -> u8 {
    let p = format!("{}/sim_gpio{n}/value", env("UDRV_GPIO_SIM_SYSFS"));
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {p}: {e}"));
    s.trim().parse().unwrap_or_else(|_| panic!("{p}: {s:?}"))
}

fn sim_pull(n: u32) -> String {
    let p = format!("{}/sim_gpio{n}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::read_to_string(&p).unwrap().trim().to_string()
}

/// Lets the simulator's interrupt work run between two pull changes, so the kernel sees
/// every edge separately. (On the guest's one CPU the interrupt thread, a real-time one,
/// runs before the write to `pull` returns to the test; this is a margin on top, and a
/// loaded host only makes it longer in guest time.)
fn settle() {
    thread::sleep(Duration::from_millis(5));
}

fn open(abi: Abi) -> Chip {
    Chip::open(sim()).unwrap().with_abi(abi)
}

#[test]
fn chips_are_listed_and_found_by_label() {
    let chips = gpio::chips().unwrap();
    let a = chips
        .iter()
        .find(|c| c.path == sim())
        .expect("udrv-sim chip listed");
    assert_eq!(a.label, "udrv-sim");
    assert_eq!(a.lines, 16);
    assert!(a.name.starts_with("gpiochip"), "{a:?}");
    let b = gpio::find_chip("udrv-sim2").unwrap();
    assert_eq!(b.path, sim2());
    assert_eq!(b.lines, 8);
    // By kernel name too.
    assert_eq!(gpio::find_chip(&a.name).unwrap().path, sim());
    assert!(matches!(
        gpio::find_chip("no-such-chip"),
        Err(Error::ChipNotFound { .. })
    ));
    let chip = Chip::open_by_label("udrv-sim2").unwrap();
    assert_eq!(chip.path(), sim2());
    assert_eq!(chip.num_lines(), 8);
}

#[test]
fn lines_are_found_by_name_across_chips() {
    let b = gpio::find_line("button").unwrap();
    assert_eq!((b.chip.clone(), b.offset), (sim(), 1));
    assert_eq!(b.info.name.as_deref(), Some("button"));
    let d = gpio::find_line("door").unwrap();
    assert_eq!((d.chip.clone(), d.offset), (sim2(), 5));
    let m = gpio::find_lines("motor").unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].chip.clone(), m[0].offset), (sim2(), 0));
    assert!(matches!(
        gpio::find_line("no-such-line"),
        Err(Error::LineNotFound { .. })
    ));
    // And a request straight from the found line.
    let req = Request::builder()
        .with_found_line(&d)
        .as_input()
        .request()
        .unwrap();
    assert_eq!(req.chip_path(), sim2());
    assert_eq!(req.offsets(), &[5]);
}

#[test]
fn abi_is_v2_by_default_and_forcible() {
    assert_eq!(Chip::open(sim()).unwrap().abi(), Abi::V2);
    std::env::set_var("UDRV_GPIO_ABI", "v1");
    let forced = Chip::open(sim()).unwrap().abi();
    std::env::remove_var("UDRV_GPIO_ABI");
    assert_eq!(forced, Abi::V1);
    let chip = Chip::open(sim()).unwrap().with_abi(Abi::V1);
    assert_eq!(chip.abi(), Abi::V1);
    let req = chip.request().with_line(0).as_input().request().unwrap();
    assert_eq!(req.abi(), Abi::V1);
}

fn line_info_on(abi: Abi) {
    let chip = open(abi);
    let led = chip.line_info(0).unwrap();
    assert_eq!(led.name.as_deref(), Some("led"));
    assert!(!led.used, "{led:?}");
    assert_eq!(led.consumer, None);
    assert_eq!(led.abi, abi);
    let names: Vec<_> = chip
        .line_infos()
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names.len(), 16);
    assert_eq!(names[7].as_deref(), Some("spare"));
    assert_eq!(names[4], None);

    let req = chip
        .request()
        .with_consumer("info-test")
        .with_line(0)
        .as_output(Value::Inactive)
        .as_active_low()
        .with_drive(Drive::OpenDrain)
        .request()
        .unwrap();
    let i = chip.line_info(0).unwrap();
    assert!(i.used);
    assert_eq!(i.consumer.as_deref(), Some("info-test"));
    assert_eq!(i.direction, Direction::Output);
    assert!(i.active_low);
    assert_eq!(i.drive, Drive::OpenDrain);
    drop(req);
    let req = chip
        .request()
        .with_line(1)
        .as_input()
        .with_bias(Bias::PullUp)
        .request()
        .unwrap();
    let i = chip.line_info(1).unwrap();
    assert_eq!(i.direction, Direction::Input);
    assert_eq!(i.bias, Some(Bias::PullUp));
    assert_eq!(i.consumer.as_deref(), Some("udrv"));
    drop(req);
    assert!(!chip.line_info(1).unwrap().used);
    assert!(matches!(
        chip.line_info(16),
        Err(Error::InvalidConfig {
            reason: InvalidConfig::OffsetOutOfRange { .. },
            ..
        })
    ));
}

#[test]
fn line_info_v2() {
    line_info_on(Abi::V2);
}

#[test]
fn line_info_v1() {
    line_info_on(Abi::V1);
}

#[test]
fn line_info_v2_shows_edges_and_debounce() {
    let chip = open(Abi::V2);
    let _req = chip
        .request()
        .with_line(3)
        .with_edge_detection(EdgeDetection::Falling)
        .with_debounce(Duration::from_millis(3))
        .with_event_clock(EventClock::Realtime)
        .request()
        .unwrap();
    let i = chip.line_info(3).unwrap();
    assert_eq!(i.edge, Some(EdgeDetection::Falling));
    assert_eq!(i.debounce, Some(Duration::from_millis(3)));
    assert_eq!(i.event_clock, EventClock::Realtime);
}

fn events_on(abi: Abi) {
    pull(3, false);
    let req = open(abi)
        .request()
        .with_line(3)
        .with_edge_detection(EdgeDetection::Both)
        .request()
        .unwrap();
    assert_eq!(req.try_read_edge_event().unwrap(), None);
    pull(3, true);
    let a = req.wait_edge_event(WAIT).unwrap().expect("rising edge");
    pull(3, false);
    let b = req.read_edge_event().unwrap();
    assert_eq!((a.offset, a.kind), (3, EdgeKind::Rising));
    assert_eq!((b.offset, b.kind), (3, EdgeKind::Falling));
    // The guest's clock may be coarse (jiffies): equal stamps are possible.
    assert!(b.timestamp_ns >= a.timestamp_ns, "{a:?} {b:?}");
    assert!(a.timestamp_ns > 0);
    match abi {
        Abi::V2 => {
            assert_eq!((a.seqno, a.line_seqno), (Some(1), Some(1)));
            assert_eq!((b.seqno, b.line_seqno), (Some(2), Some(2)));
            assert_eq!((a.lost_before, b.lost_before), (Some(0), Some(0)));
        }
        Abi::V1 => {
            assert_eq!((a.seqno, a.line_seqno), (None, None));
            assert_eq!(
                (a.lost_before, b.lost_before),
                (None, None),
                "v1 cannot tell about lost events"
            );
            assert_eq!(req.lost_events(), None);
        }
    }
    // Nothing more: a timeout, and the non-blocking read says so at once.
    assert_eq!(
        req.wait_edge_event(Duration::from_millis(100)).unwrap(),
        None
    );
    assert_eq!(req.try_read_edge_event().unwrap(), None);
    assert_eq!(req.value(3).unwrap(), Value::Inactive);
}

#[test]
fn edge_events_v2() {
    events_on(Abi::V2);
}

#[test]
fn edge_events_v1() {
    events_on(Abi::V1);
}

#[test]
fn edge_events_of_active_low_and_single_edges() {
    for abi in [Abi::V2, Abi::V1] {
        pull(3, true);
        let req = open(abi)
            .request()
            .with_line(3)
            .with_edge_detection(EdgeDetection::Rising)
            .as_active_low()
            .request()
            .unwrap();
        assert_eq!(req.value(3).unwrap(), Value::Inactive, "{abi}");
        pull(3, false); // physical fall = logical rise
        settle();
        pull(3, true); // logical fall: not asked for
        let e = req.wait_edge_event(WAIT).unwrap().expect("an event");
        assert_eq!(e.kind, EdgeKind::Rising, "{abi}");
        assert_eq!(
            req.wait_edge_event(Duration::from_millis(100)).unwrap(),
            None,
            "{abi}: falling edges were not requested"
        );
    }
}

#[test]
fn multi_line_edge_events_carry_offsets_and_request_seqno() {
    pull(13, false);
    pull(14, false);
    let req = open(Abi::V2)
        .request()
        .with_lines(&[13, 14])
        .with_edge_detection(EdgeDetection::Both)
        .request()
        .unwrap();
    pull(13, true);
    settle();
    pull(14, true);
    settle();
    pull(13, false);
    let mut evs = Vec::new();
    while evs.len() < 3 {
        let e = req.wait_edge_event(WAIT).unwrap().expect("three events");
        evs.push(e);
    }
    let got: Vec<_> = evs
        .iter()
        .map(|e| (e.offset, e.kind, e.seqno, e.line_seqno))
        .collect();
    assert_eq!(
        got,
        vec![
            (13, EdgeKind::Rising, Some(1), Some(1)),
            (14, EdgeKind::Rising, Some(2), Some(1)),
            (13, EdgeKind::Falling, Some(3), Some(2)),
        ]
    );
    assert!(evs.iter().all(|e| e.lost_before == Some(0)));
}

/// Seconds since boot, from `/proc/uptime`.
fn uptime_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/uptime").unwrap();
    let secs: f64 = s.split_whitespace().next().unwrap().parse().unwrap();
    (secs * 1e9) as u64
}

#[test]
fn event_clocks_monotonic_and_realtime() {
    pull(3, false);
    let req = open(Abi::V2)
        .request()
        .with_line(3)
        .with_edge_detection(EdgeDetection::Rising)
        .request()
        .unwrap();
    pull(3, true);
    let m = req.wait_edge_event(WAIT).unwrap().expect("event");
    let up = uptime_ns();
    assert!(
        m.timestamp_ns <= up + 1_000_000_000,
        "monotonic stamp {} vs uptime {up}",
        m.timestamp_ns
    );
    drop(req);

    pull(3, false);
    let req = open(Abi::V2)
        .request()
        .with_line(3)
        .with_edge_detection(EdgeDetection::Rising)
        .with_event_clock(EventClock::Realtime)
        .request()
        .unwrap();
    let realtime_ns = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    };
    let before = realtime_ns();
    pull(3, true);
    let e = req.wait_edge_event(WAIT).unwrap().expect("event");
    let after = realtime_ns();
    // Stamped by the kernel between the pull and the read, on the same clock.
    assert!(
        (before..=after).contains(&e.timestamp_ns),
        "realtime stamp {} is not between {before} (the pull) and {after} (read)",
        e.timestamp_ns
    );
    assert!(
        e.timestamp_ns.abs_diff(uptime_ns()) > 3_600_000_000_000,
        "a realtime stamp ({}) is wall-clock time, not time since boot",
        e.timestamp_ns
    );
}

#[test]
fn kernel_buffer_overflow_is_reported_as_lost_events() {
    pull(14, false);
    let req = open(Abi::V2)
        .request()
        .with_line(14)
        .with_edge_detection(EdgeDetection::Both)
        .with_event_buffer_size(4)
        .request()
        .unwrap();
    // 40 edges, none read: the kernel keeps the newest 4.
    for _ in 0..20 {
        pull(14, true);
        settle();
        pull(14, false);
        settle();
    }
    let mut evs = Vec::new();
    while let Some(e) = req.try_read_edge_event().unwrap() {
        evs.push(e);
    }
    assert!(!evs.is_empty());
    assert!(
        evs.len() <= 4,
        "buffer of 4 held {} events: {evs:?}",
        evs.len()
    );
    let lost: u32 = evs.iter().map(|e| e.lost_before.unwrap()).sum();
    let last = evs.last().unwrap().seqno.unwrap();
    assert!(lost > 0, "the overflow must be reported: {evs:?}");
    assert_eq!(lost as usize + evs.len(), last as usize, "{evs:?}");
    assert_eq!(
        evs[0].lost_before,
        Some(evs[0].seqno.unwrap() - 1),
        "the gap sits before the first event read"
    );
    assert!(evs[1..].iter().all(|e| e.lost_before == Some(0)), "{evs:?}");
    assert!(
        last >= 20,
        "most of the 40 edges were seen by the kernel: {last}"
    );
    assert_eq!(req.lost_events(), Some(u64::from(lost)));
    // Later events continue the numbering with no new loss.
    pull(14, true);
    let e = req.wait_edge_event(WAIT).unwrap().expect("event");
    assert_eq!(e.seqno, Some(last + 1));
    assert_eq!(e.lost_before, Some(0));
}

#[test]
fn no_overflow_with_a_big_enough_buffer() {
    pull(14, false);
    let req = open(Abi::V2)
        .request()
        .with_line(14)
        .with_edge_detection(EdgeDetection::Both)
        .with_event_buffer_size(64)
        .request()
        .unwrap();
    for _ in 0..10 {
        pull(14, true);
        settle();
        pull(14, false);
        settle();
    }
    let mut evs = Vec::new();
    req.read_edge_events(&mut evs).unwrap();
    while evs.len() < 20 {
        match req.wait_edge_event(WAIT).unwrap() {
            Some(e) => evs.push(e),
            None => panic!("only {} of 20 events in {WAIT:?}: {evs:?}", evs.len()),
        }
    }
    assert_eq!(
        req.try_read_edge_event().unwrap(),
        None,
        "more than 20 events"
    );
    assert!(evs.iter().all(|e| e.lost_before == Some(0)));
    let kinds: Vec<_> = evs.iter().map(|e| e.kind).collect();
    assert!(kinds
        .chunks(2)
        .all(|c| c == [EdgeKind::Rising, EdgeKind::Falling]));
}

fn bias_on(abi: Abi) {
    let chip = open(abi);
    let req = chip
        .request()
        .with_line(4)
        .as_input()
        .with_bias(Bias::PullUp)
        .request()
        .unwrap();
    assert_eq!(req.value(4).unwrap(), Value::Active, "{abi}");
    assert_eq!(sim_pull(4), "pull-up");
    let mut cfg = req.config();
    cfg.with_line(4).with_bias(Bias::PullDown);
    req.reconfigure(&cfg).unwrap();
    assert_eq!(req.value(4).unwrap(), Value::Inactive, "{abi}");
    assert_eq!(sim_pull(4), "pull-down");
    assert_eq!(chip.line_info(4).unwrap().bias, Some(Bias::PullDown));
}

#[test]
fn bias_v2() {
    bias_on(Abi::V2);
}

#[test]
fn bias_v1() {
    bias_on(Abi::V1);
}

fn active_low_on(abi: Abi) {
    pull(5, false);
    let req = open(abi)
        .request()
        .with_line(5)
        .as_input()
        .as_active_low()
        .request()
        .unwrap();
    assert_eq!(req.value(5).unwrap(), Value::Active, "{abi}: low is active");
    pull(5, true);
    assert_eq!(req.value(5).unwrap(), Value::Inactive, "{abi}");
    drop(req);
    let out = open(abi)
        .request()
        .with_line(6)
        .as_output(Value::Active)
        .as_active_low()
        .request()
        .unwrap();
    assert_eq!(sim_value(6), 0, "{abi}: active drives low");
    out.set_value(6, Value::Inactive).unwrap();
    assert_eq!(sim_value(6), 1, "{abi}");
}

#[test]
fn active_low_v2() {
    active_low_on(Abi::V2);
}

#[test]
fn active_low_v1() {
    active_low_on(Abi::V1);
}

/// The debounce period of `debounce_filters_glitches_v2`. Time itself is the stimulus
/// there: a glitch is two writes to `pull` one after the other (a millisecond or so under
/// TCG, some tens of milliseconds when the host is loaded), and the period must stay far
/// longer than that, by ten times and more.
const DEBOUNCE: Duration = Duration::from_secs(2);

#[test]
fn debounce_filters_glitches_v2() {
    pull(13, false);
    let req = open(Abi::V2)
        .request()
        .with_line(13)
        .with_edge_detection(EdgeDetection::Both)
        .with_debounce(DEBOUNCE)
        .request()
        .unwrap();
    // A glitch much shorter than the debounce period: no event, not at the end of the
    // period (when the kernel looks at the line again) nor later.
    let t = Instant::now();
    pull(13, true);
    pull(13, false);
    let glitch = t.elapsed();
    assert_eq!(
        req.wait_edge_event(DEBOUNCE * 2).unwrap(),
        None,
        "a glitch of {glitch:?} (at most), shorter than the {DEBOUNCE:?} debounce period, \
         must not be reported"
    );
    // A stable change: one event, after the period.
    pull(13, true);
    let e = req
        .wait_edge_event(DEBOUNCE + WAIT)
        .unwrap()
        .expect("debounced edge");
    assert_eq!(e.kind, EdgeKind::Rising);
    assert_eq!(e.lost_before, Some(0));
    assert_eq!(req.try_read_edge_event().unwrap(), None, "one event");
    assert_eq!(
        Chip::open(sim()).unwrap().line_info(13).unwrap().debounce,
        Some(DEBOUNCE)
    );
}

#[test]
fn v1_refuses_what_it_cannot_do() {
    let chip = open(Abi::V1);
    let unsupported = |r: gpio::Result<Request>| match r {
        Err(Error::Unsupported {
            abi: Abi::V1, what, ..
        }) => what,
        other => panic!("expected Unsupported, got {other:?}"),
    };
    assert_eq!(
        unsupported(
            chip.request()
                .with_line(3)
                .with_debounce(Duration::from_millis(1))
                .request()
        ),
        AbiLimit::Debounce
    );
    assert_eq!(
        unsupported(
            chip.request()
                .with_line(3)
                .with_edge_detection(EdgeDetection::Both)
                .with_event_buffer_size(64)
                .request()
        ),
        AbiLimit::EventBufferSize
    );
    assert_eq!(
        unsupported(
            chip.request()
                .with_lines(&[3, 4])
                .with_edge_detection(EdgeDetection::Both)
                .request()
        ),
        AbiLimit::MultiLineEdges
    );
    assert_eq!(
        unsupported(
            chip.request()
                .with_line(3)
                .with_edge_detection(EdgeDetection::Both)
                .with_event_clock(EventClock::Realtime)
                .request()
        ),
        AbiLimit::EventClock
    );
    assert_eq!(
        unsupported(
            chip.request()
                .with_line(8)
                .as_input()
                .with_line(9)
                .as_output(Value::Active)
                .request()
        ),
        AbiLimit::MixedLineConfig
    );
    // An edge request cannot be reconfigured under v1.
    let req = chip
        .request()
        .with_line(3)
        .with_edge_detection(EdgeDetection::Both)
        .request()
        .unwrap();
    let e = req.reconfigure(&req.config()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Unsupported {
                what: AbiLimit::ReconfigureEdges,
                ..
            }
        ),
        "{e}"
    );
    // Errors name the ABI and the chip.
    let s = e.to_string();
    assert!(
        s.contains("v1") && s.contains(&*sim().to_string_lossy()),
        "{s}"
    );
}

fn info_watch_on(abi: Abi) {
    let chip = open(abi);
    let now = chip.watch_line_info(2).unwrap();
    assert_eq!(now.name.as_deref(), Some("relay"));
    assert!(!now.used);
    assert_eq!(chip.try_read_info_change().unwrap(), None);

    let req = open(abi)
        .request()
        .with_consumer("watched")
        .with_line(2)
        .as_output(Value::Inactive)
        .request()
        .unwrap();
    let e = chip.wait_info_change(WAIT).unwrap().expect("requested");
    assert_eq!(e.kind, InfoChangeKind::Requested, "{abi}");
    assert_eq!(e.info.offset, 2);
    assert!(e.info.used);
    assert_eq!(e.info.consumer.as_deref(), Some("watched"));
    assert!(e.timestamp_ns > 0);

    let mut cfg = req.config();
    cfg.with_line(2).as_output(Value::Active).as_active_low();
    req.reconfigure(&cfg).unwrap();
    let e = chip.wait_info_change(WAIT).unwrap().expect("reconfigured");
    assert_eq!(e.kind, InfoChangeKind::Reconfigured, "{abi}");
    assert!(e.info.active_low);

    drop(req);
    let e = chip.read_info_change().unwrap();
    assert_eq!(e.kind, InfoChangeKind::Released, "{abi}");
    assert!(!e.info.used);

    chip.unwatch_line_info(2).unwrap();
    let again = open(abi)
        .request()
        .with_line(2)
        .as_input()
        .request()
        .unwrap();
    assert_eq!(
        chip.wait_info_change(Duration::from_millis(200)).unwrap(),
        None,
        "{abi}: no events after unwatch"
    );
    drop(again);
}

#[test]
fn info_change_watch_v2() {
    info_watch_on(Abi::V2);
}

#[test]
fn info_change_watch_v1() {
    info_watch_on(Abi::V1);
}

fn multi_line_on(abi: Abi) {
    let req = open(abi)
        .request()
        .with_lines(&[8, 9, 10, 11])
        .as_output(Value::Inactive)
        .with_line(9)
        .with_value(Value::Active)
        .with_line(11)
        .with_value(Value::Active)
        .request()
        .unwrap();
    assert_eq!(
        [8, 9, 10, 11].map(sim_value),
        [0, 1, 0, 1],
        "{abi}: initial values"
    );
    assert_eq!(
        req.values().unwrap(),
        vec![
            Value::Inactive,
            Value::Active,
            Value::Inactive,
            Value::Active
        ]
    );
    req.set_values(&[(8, Value::Active), (11, Value::Inactive)])
        .unwrap();
    assert_eq!([8, 9, 10, 11].map(sim_value), [1, 1, 0, 0], "{abi}");
    assert_eq!(
        req.get_values(&[11, 8]).unwrap(),
        vec![Value::Inactive, Value::Active]
    );
    req.set_value(10, Value::Active).unwrap();
    assert_eq!([8, 9, 10, 11].map(sim_value), [1, 1, 1, 0], "{abi}");
    assert!(matches!(
        req.set_value(12, Value::Active),
        Err(Error::InvalidConfig {
            reason: InvalidConfig::NotRequested(12),
            ..
        })
    ));
    drop(req);

    // Inputs on the second chip, read in one call.
    let chip2 = Chip::open(sim2()).unwrap().with_abi(abi);
    let inputs = chip2
        .request()
        .with_lines(&[1, 2, 3])
        .as_input()
        .with_bias(Bias::PullDown)
        .request()
        .unwrap();
    assert_eq!(inputs.values().unwrap(), vec![Value::Inactive; 3]);
    let mut cfg = inputs.config();
    cfg.with_line(2).with_bias(Bias::PullUp);
    if abi == Abi::V2 {
        inputs.reconfigure(&cfg).unwrap();
        assert_eq!(
            inputs.values().unwrap(),
            vec![Value::Inactive, Value::Active, Value::Inactive]
        );
    } else {
        // Per-line settings are v2 only.
        assert!(matches!(
            inputs.reconfigure(&cfg),
            Err(Error::Unsupported {
                what: AbiLimit::MixedLineConfig,
                ..
            })
        ));
    }
}

#[test]
fn multi_line_values_v2() {
    multi_line_on(Abi::V2);
}

#[test]
fn multi_line_values_v1() {
    multi_line_on(Abi::V1);
}

/// What a request records of the values set (beside its configuration, without a lock):
/// `config()` reports them, a reconfiguration from `config()` keeps the outputs driven as
/// they were, and a reconfiguration to active-low reaches a pin's levels.
fn recorded_values_on(abi: Abi) {
    let req = open(abi)
        .request()
        .with_lines(&[8, 9])
        .as_output(Value::Inactive)
        .request()
        .unwrap();
    req.set_value(8, Value::Active).unwrap();
    let cfg = req.config();
    let set = |o| cfg.line(o).and_then(|s| s.value);
    assert_eq!(
        (set(8), set(9)),
        (Some(Value::Active), Some(Value::Inactive)),
        "{abi}"
    );
    req.reconfigure(&req.config()).unwrap();
    req.set_value(9, Value::Active).unwrap();
    assert_eq!(
        [8, 9].map(sim_value),
        [1, 1],
        "{abi}: kept through reconfigure"
    );
    drop(req);

    let pin = Pin::try_from(
        open(abi)
            .request()
            .with_line(10)
            .as_output(Value::Inactive)
            .request()
            .unwrap(),
    )
    .unwrap();
    pin.set_level(true).unwrap();
    assert_eq!(sim_value(10), 1, "{abi}");
    let mut cfg = pin.request().config();
    cfg.with_line(10).as_active_low();
    pin.request().reconfigure(&cfg).unwrap();
    pin.set_level(false).unwrap();
    assert_eq!(sim_value(10), 0, "{abi}: a low level once active-low");
    assert!(!pin.level().unwrap(), "{abi}");
    pin.set_level(true).unwrap();
    assert_eq!(sim_value(10), 1, "{abi}: a high level once active-low");
}

#[test]
fn recorded_values_v2_and_v1() {
    for abi in [Abi::V2, Abi::V1] {
        recorded_values_on(abi);
    }
}

#[test]
fn mixed_directions_in_one_v2_request() {
    pull(12, true);
    let req = open(Abi::V2)
        .request()
        .with_line(12)
        .as_input()
        .with_line(15)
        .as_output(Value::Active)
        .request()
        .unwrap();
    assert_eq!(req.value(12).unwrap(), Value::Active);
    assert_eq!(sim_value(15), 1);
    let chip = Chip::open(sim()).unwrap();
    assert_eq!(chip.line_info(12).unwrap().direction, Direction::Input);
    assert_eq!(chip.line_info(15).unwrap().direction, Direction::Output);
}

#[test]
fn reconfigure_input_to_output_and_back() {
    for abi in [Abi::V2, Abi::V1] {
        pull(4, true);
        let req = open(abi)
            .request()
            .with_line(4)
            .as_input()
            .request()
            .unwrap();
        assert_eq!(req.value(4).unwrap(), Value::Active);
        let mut cfg = req.config();
        cfg.with_line(4).as_output(Value::Inactive);
        req.reconfigure(&cfg).unwrap();
        assert_eq!(sim_value(4), 0, "{abi}: drives low now");
        cfg.with_line(4).as_input();
        req.reconfigure(&cfg).unwrap();
        assert_eq!(
            Chip::open(sim()).unwrap().line_info(4).unwrap().direction,
            Direction::Input
        );
        // gpio-sim keeps the last driven level until the pull changes again.
        pull(4, true);
        assert_eq!(
            req.value(4).unwrap(),
            Value::Active,
            "{abi}: reads the pull"
        );
        let mut other = req.config();
        other.with_line(5).as_input();
        assert!(matches!(
            req.reconfigure(&other),
            Err(Error::InvalidConfig {
                reason: InvalidConfig::LinesDiffer,
                ..
            })
        ));
    }
}

fn drives_on(abi: Abi) {
    // Open drain: "active" releases the line, so it follows its pull.
    pull(12, false);
    let od = open(abi)
        .request()
        .with_line(12)
        .as_output(Value::Active)
        .with_drive(Drive::OpenDrain)
        .request()
        .unwrap();
    assert_eq!(
        sim_value(12),
        0,
        "{abi}: open drain does not drive high; the pull-down wins"
    );
    od.set_value(12, Value::Inactive).unwrap();
    assert_eq!(sim_value(12), 0, "{abi}: open drain drives low");
    drop(od);
    // Open source: "inactive" releases the line.
    pull(15, true);
    let os = open(abi)
        .request()
        .with_line(15)
        .as_output(Value::Inactive)
        .with_drive(Drive::OpenSource)
        .request()
        .unwrap();
    assert_eq!(
        sim_value(15),
        1,
        "{abi}: open source does not drive low; the pull-up wins"
    );
    os.set_value(15, Value::Active).unwrap();
    assert_eq!(sim_value(15), 1, "{abi}: open source drives high");
    drop(os);
    // Push-pull under the same pull does drive.
    pull(12, false);
    let pp = open(abi)
        .request()
        .with_line(12)
        .as_output(Value::Active)
        .request()
        .unwrap();
    assert_eq!(sim_value(12), 1, "{abi}: push-pull drives high");
    drop(pp);
}

#[test]
fn open_drain_and_open_source_v2() {
    drives_on(Abi::V2);
}

#[test]
fn open_drain_and_open_source_v1() {
    drives_on(Abi::V1);
}

#[test]
fn busy_line_error_names_the_consumer() {
    for abi in [Abi::V2, Abi::V1] {
        let _holder = open(abi)
            .request()
            .with_consumer("holder")
            .with_line(7)
            .as_input()
            .request()
            .unwrap();
        let e = open(abi)
            .request()
            .with_lines(&[6, 7])
            .as_input()
            .request()
            .unwrap_err();
        assert!(e.is_busy(), "{abi}: {e}");
        match &e {
            Error::Io { holder, lines, .. } => {
                assert_eq!(holder, &Some((7, "holder".to_string())), "{abi}");
                assert_eq!(lines, &vec![6, 7]);
            }
            other => panic!("{other:?}"),
        }
        let s = e.to_string();
        assert!(s.contains("\"holder\""), "{s}");
        assert!(s.contains("EBUSY"), "{s}");
        assert!(s.contains(&*sim().to_string_lossy()), "{s}");
    }
}

#[test]
fn invalid_requests_fail_before_the_kernel() {
    let chip = open(Abi::V2);
    let e = chip
        .request()
        .with_line(16)
        .as_input()
        .request()
        .unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidConfig {
            reason: InvalidConfig::OffsetOutOfRange {
                offset: 16,
                lines: 16
            },
            ..
        }
    ));
    let e = chip
        .request()
        .with_line(1)
        .as_input()
        .with_drive(Drive::OpenDrain)
        .request()
        .unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidConfig {
            reason: InvalidConfig::DriveNeedsOutput(1),
            ..
        }
    ));
    // Reading events of a request without edge detection would wait forever.
    let req = chip.request().with_line(1).as_input().request().unwrap();
    assert!(matches!(
        req.wait_edge_event(Duration::from_millis(10)),
        Err(Error::InvalidConfig {
            reason: InvalidConfig::NoEdgeDetection,
            ..
        })
    ));
}

#[test]
fn embedded_hal_pins() {
    use embedded_hal::digital::{InputPin, OutputPin, StatefulOutputPin};
    // Output on the second chip's "motor" line, found by name.
    let mut motor = Pin::find_output("motor", Value::Inactive).unwrap();
    assert!(motor.is_set_low().unwrap());
    motor.set_high().unwrap();
    assert!(motor.is_set_high().unwrap());
    assert_eq!(motor.request().chip_path(), sim2());
    motor.toggle().unwrap();
    assert!(motor.is_set_low().unwrap());

    // Physical levels on an active-low output of the first chip.
    let req = Request::builder()
        .on_chip(sim())
        .with_line(6)
        .as_output(Value::Inactive)
        .as_active_low()
        .request()
        .unwrap();
    let mut p = Pin::new(req).unwrap();
    assert_eq!(sim_value(6), 1, "inactive active-low is high");
    p.set_low().unwrap();
    assert_eq!(sim_value(6), 0);
    assert_eq!(p.value().unwrap(), Value::Active);
    assert!(p.is_set_low().unwrap());
    p.set_high().unwrap();
    assert_eq!(sim_value(6), 1);
    drop(p);

    // Input.
    pull(1, true);
    let mut button = Pin::find_input("button").unwrap();
    assert!(button.is_high().unwrap());
    pull(1, false);
    assert!(button.is_low().unwrap());

    // A request of two lines is not a pin.
    let two = Request::builder()
        .on_chip(sim())
        .with_lines(&[8, 9])
        .as_input()
        .request()
        .unwrap();
    assert!(matches!(
        Pin::new(two),
        Err(Error::InvalidConfig {
            reason: InvalidConfig::NotOneLine(2),
            ..
        })
    ));
}

#[test]
fn a_request_shared_between_threads_loses_nothing() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    pull(13, false);
    let req = Arc::new(
        open(Abi::V2)
            .request()
            .with_line(13)
            .with_edge_detection(EdgeDetection::Both)
            .with_event_buffer_size(128)
            .request()
            .unwrap(),
    );
    // The readers read until told to stop (not until a silence, which a slow host can
    // make anywhere), and count what they read.
    let read = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (req, read, stop) = (Arc::clone(&req), Arc::clone(&read), Arc::clone(&stop));
            thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    if let Some(e) = req.wait_edge_event(Duration::from_millis(20)).unwrap() {
                        seen.push(e);
                        read.fetch_add(1, Ordering::SeqCst);
                    }
                }
                seen
            })
        })
        .collect();
    for _ in 0..15 {
        pull(13, true);
        settle();
        pull(13, false);
        settle();
    }
    let deadline = Instant::now() + WAIT;
    while read.load(Ordering::SeqCst) < 30 {
        assert!(
            Instant::now() < deadline,
            "{} of the 30 events read in {WAIT:?}",
            read.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::SeqCst);
    let mut all: Vec<_> = readers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_by_key(|e| e.seqno);
    let seqnos: Vec<u32> = all.iter().map(|e| e.seqno.unwrap()).collect();
    assert_eq!(
        seqnos,
        (1..=30).collect::<Vec<u32>>(),
        "each event read once"
    );
    assert!(all.iter().all(|e| e.lost_before == Some(0)), "{all:?}");
    assert_eq!(req.lost_events(), Some(0));
    assert_eq!(
        req.try_read_edge_event().unwrap(),
        None,
        "no event left unread"
    );
}

#[test]
fn readiness_and_iterator() {
    pull(3, false);
    let req = open(Abi::V2)
        .request()
        .with_line(3)
        .with_edge_detection(EdgeDetection::Both)
        .request()
        .unwrap();
    assert!(!req.has_edge_event(Duration::from_millis(50)).unwrap());
    pull(3, true);
    assert!(req.has_edge_event(WAIT).unwrap());
    settle();
    pull(3, false);
    let kinds: Vec<_> = req.edge_events().take(2).map(|e| e.unwrap().kind).collect();
    assert_eq!(kinds, vec![EdgeKind::Rising, EdgeKind::Falling]);
}

#[test]
fn blocking_read_waits_for_the_edge() {
    pull(3, false);
    let req = open(Abi::V2)
        .request()
        .with_line(3)
        .with_edge_detection(EdgeDetection::Rising)
        .request()
        .unwrap();
    // The edge comes once this thread is asleep in the read.
    let t = when_asleep(|| pull(3, true));
    let e = req.read_edge_event().unwrap();
    assert_eq!(e.kind, EdgeKind::Rising);
    t.join().unwrap();
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_stream_of_edge_events() {
    use futures_core::Stream;
    use gpio::AsyncRequest;
    for abi in [Abi::V2, Abi::V1] {
        pull(3, false);
        let req = open(abi)
            .request()
            .with_line(3)
            .with_edge_detection(EdgeDetection::Both)
            .request()
            .unwrap();
        let mut events = AsyncRequest::new(req).unwrap();
        let t = when_asleep(|| {
            pull(3, true);
            settle();
            pull(3, false);
        });
        let mut got = Vec::new();
        while got.len() < 2 {
            let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut events).poll_next(cx));
            let e = tokio::time::timeout(WAIT, next)
                .await
                .expect("event in time")
                .expect("stream never ends")
                .unwrap();
            got.push(e.kind);
        }
        assert_eq!(got, vec![EdgeKind::Rising, EdgeKind::Falling], "{abi}");
        t.join().unwrap();
        // And the borrowing API.
        let t = when_asleep(|| pull(3, true));
        let e = tokio::time::timeout(WAIT, events.read_edge_event())
            .await
            .expect("event in time")
            .unwrap();
        assert_eq!(e.kind, EdgeKind::Rising);
        t.join().unwrap();
        // The request is still usable for values.
        assert_eq!(events.get_ref().value(3).unwrap(), Value::Active);
    }
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_wait_trait() {
    use embedded_hal_async::digital::Wait;
    use gpio::AsyncPin;
    pull(1, false);
    let mut button = AsyncPin::new(Pin::find_input("button").unwrap()).unwrap();
    // Already low: returns at once.
    tokio::time::timeout(WAIT, button.wait_for_low())
        .await
        .expect("already low")
        .unwrap();
    // Each change below comes once the runtime's thread sleeps, i.e. once the wait is
    // set up (old events drained) and pending on the kernel.
    let t = when_asleep(|| pull(1, true));
    tokio::time::timeout(WAIT, button.wait_for_high())
        .await
        .expect("goes high")
        .unwrap();
    t.join().unwrap();
    let t = when_asleep(|| {
        pull(1, false);
        settle();
        pull(1, true);
    });
    tokio::time::timeout(WAIT, button.wait_for_rising_edge())
        .await
        .expect("rising edge")
        .unwrap();
    t.join().unwrap();
    let t = when_asleep(|| pull(1, false));
    tokio::time::timeout(WAIT, button.wait_for_any_edge())
        .await
        .expect("any edge")
        .unwrap();
    t.join().unwrap();
    // No edge: the wait does not return by itself.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), button.wait_for_falling_edge())
            .await
            .is_err(),
        "no falling edge happened"
    );
    let t = when_asleep(|| {
        pull(1, true);
        settle();
        pull(1, false);
    });
    tokio::time::timeout(WAIT, button.wait_for_falling_edge())
        .await
        .expect("falling edge")
        .unwrap();
    t.join().unwrap();
    // Events that happened before a wait do not satisfy it: this one is in the kernel's
    // queue when the wait begins.
    pull(1, true);
    assert!(
        button.request().get_ref().has_edge_event(WAIT).unwrap(),
        "the rising edge is queued"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(200), button.wait_for_rising_edge())
            .await
            .is_err(),
        "an old edge must not count"
    );
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_info_change_watch() {
    use gpio::AsyncChip;
    let chip = AsyncChip::new(Chip::open(sim()).unwrap()).unwrap();
    chip.get_ref().watch_line_info(7).unwrap();
    let t = when_asleep(|| {
        let r = Request::builder()
            .on_chip(sim())
            .with_consumer("async-watch")
            .with_line(7)
            .as_input()
            .request()
            .unwrap();
        drop(r);
    });
    let a = tokio::time::timeout(WAIT, chip.read_info_change())
        .await
        .expect("requested in time")
        .unwrap();
    let b = tokio::time::timeout(WAIT, chip.read_info_change())
        .await
        .expect("released in time")
        .unwrap();
    t.join().unwrap();
    assert_eq!(
        (a.kind, a.info.consumer.as_deref()),
        (InfoChangeKind::Requested, Some("async-watch"))
    );
    assert_eq!(b.kind, InfoChangeKind::Released);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), chip.read_info_change())
            .await
            .is_err(),
        "nothing else changed"
    );
}
