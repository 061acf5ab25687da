//! `udrv gpio mon` and `notify`: gpiomon and gpionotify. One request (or watching chip)
//! per chip, each read by its own thread; events are printed as they come.

use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use udrv_core::gpio::{
    self, Chip, EdgeEvent, EdgeKind, EventClock, InfoChangeEvent, InfoChangeKind,
};

use super::format::{
    banner_lines, event_time, line_attr_list, line_attrs, line_id, template, Stamp,
};
use super::lines::{self, Resolved};
use super::{builder, clock, edges, fail, ClockArg, InfoEventArg, MonArgs, NotifyArgs};
use crate::{Cli, Outcome};

/// Reads `read` in a thread per source and hands each result to `each` in the calling
/// thread, until `each` says stop, `idle` passes without one, or a read fails.
fn pump<S, E>(
    sources: Vec<S>,
    read: fn(&S) -> gpio::Result<E>,
    idle: Option<Duration>,
    mut each: impl FnMut(usize, E) -> bool,
) -> Outcome
where
    S: Send + 'static,
    E: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    for (i, s) in sources.into_iter().enumerate() {
        let tx = tx.clone();
        std::thread::spawn(move || loop {
            let r = read(&s);
            let failed = r.is_err();
            if tx.send((i, r)).is_err() || failed {
                return;
            }
        });
    }
    drop(tx);
    loop {
        let got = match idle {
            Some(t) => match rx.recv_timeout(t) {
                Ok(m) => m,
                // Idle for the whole period: gpiomon's --idle-timeout ends quietly.
                Err(_) => return Ok(()),
            },
            None => match rx.recv() {
                Ok(m) => m,
                Err(_) => return Ok(()),
            },
        };
        let (i, r) = got;
        if !each(i, r.map_err(fail)?) {
            return Ok(());
        }
    }
}

/// The line of `r` at (`chip`, `offset`).
fn line_at(r: &Resolved, chip: usize, offset: u32) -> Option<&lines::Line> {
    r.lines
        .iter()
        .find(|l| l.chip == chip && l.offset == offset)
}

/// Prints a `--banner`: on stderr under `--json`, so stdout stays JSON lines.
fn banner(cli: &Cli, text: &str) {
    if cli.json {
        eprintln!("udrv: {text}");
    } else {
        outln!("{text}");
    }
}

/// How mon and notify print their events (`--quiet`, `--json`, `--format`) and count them
/// (`--num-events`).
struct Printer<'a> {
    cli: &'a Cli,
    quiet: bool,
    format: Option<&'a str>,
    num_events: u64,
    seen: u64,
}

impl<'a> Printer<'a> {
    fn new(cli: &'a Cli, quiet: bool, format: Option<&'a str>, num_events: u64) -> Self {
        Printer {
            cli,
            quiet,
            format,
            num_events,
            seen: 0,
        }
    }

    /// Prints an event: nothing with `--quiet`, `json()` with `--json`, the `--format`
    /// template (`field` gives its fields), else `plain()`. False once `--num-events`
    /// events came.
    fn print(
        &mut self,
        json: impl FnOnce() -> serde_json::Value,
        field: impl Fn(char) -> Option<String>,
        plain: impl FnOnce() -> String,
    ) -> bool {
        if self.quiet {
        } else if self.cli.json {
            outln!("{}", json());
        } else if let Some(f) = self.format {
            outln!("{}", template(f, field));
        } else {
            outln!("{}", plain());
        }
        self.seen += 1;
        self.num_events == 0 || self.seen < self.num_events
    }
}

/// `gpiomon [OPTIONS] LINE...`
pub fn mon(a: &MonArgs, cli: &Cli) -> Outcome {
    #[cfg(feature = "serve")]
    if let Some(t) = super::service::owned(&a.lines, &a.opts.scope)? {
        super::service_settings(&a.opts)?;
        return t.mon(&a.lines, a, cli.json);
    }
    let r = lines::resolve(&a.lines, &a.opts.scope, a.opts.abi_v1)?;
    // gpiomon's defaults: --utc/--localtime alone mean the realtime clock; -E realtime
    // alone means UTC.
    let mut stamp = Stamp::chosen(a.events.localtime, a.events.utc);
    let clk = match a.event_clock {
        None if stamp != Stamp::Raw => ClockArg::Realtime,
        None => ClockArg::Monotonic,
        Some(c) => c,
    };
    if a.event_clock == Some(ClockArg::Realtime) && stamp == Stamp::Raw {
        stamp = Stamp::Utc;
    }
    let mut requests = Vec::new();
    for (ci, chip) in r.chips.iter().enumerate() {
        let offsets: Vec<u32> = r.on_chip(ci).iter().map(|&i| r.lines[i].offset).collect();
        let mut b = builder(&chip.path, &offsets, &a.opts, "udrv-mon");
        b.as_input().with_edge_detection(edges(a.edges));
        if let Some(p) = a.debounce.filter(|p| !p.is_zero()) {
            b.with_debounce(p);
        }
        if clock(clk) != EventClock::Monotonic {
            b.with_event_clock(clock(clk));
        }
        if let Some(n) = a.buffer {
            b.with_event_buffer_size(n);
        }
        requests.push(b.request().map_err(fail)?);
    }
    if a.events.banner {
        // The requests are made: edge detection is armed from here on.
        banner(cli, &format!("Monitoring {}...", banner_lines(&a.lines)));
    }
    let chip_given = a.opts.scope.chip.is_some();
    let mut out = Printer::new(
        cli,
        a.events.quiet,
        a.format.as_deref(),
        a.events.num_events,
    );
    let mut lost_total = 0u64;
    pump(
        requests,
        |r| r.read_edge_event(),
        a.events.idle_timeout,
        |ci, e: EdgeEvent| {
            if let Some(lost) = e.lost_before.filter(|&n| n > 0) {
                lost_total += u64::from(lost);
                eprintln!(
                    "udrv: {lost} events lost before this one: the kernel's buffer overflowed \
                 (raise --buffer); {lost_total} lost so far"
                );
            }
            let line = line_at(&r, ci, e.offset);
            let name = line.and_then(|l| l.name.as_deref());
            let chip = &r.chips[ci];
            let (edge, code) = match e.kind {
                EdgeKind::Rising => ("rising", 1),
                EdgeKind::Falling => ("falling", 2),
            };
            out.print(
                || {
                    json!({
                        "timestamp_ns": e.timestamp_ns, "edge": edge,
                        "line": line.map(|l| l.spec.as_str()), "name": name,
                        "chip": chip.path, "chip_name": chip.name, "offset": e.offset,
                        "seqno": e.seqno, "line_seqno": e.line_seqno, "lost_before": e.lost_before,
                    })
                },
                |c| {
                    Some(match c {
                        'c' => chip.name.clone(),
                        'e' => code.to_string(),
                        'E' => edge.to_string(),
                        'l' => name.unwrap_or("unnamed").to_string(),
                        'L' => event_time(e.timestamp_ns, Stamp::Local),
                        'o' => e.offset.to_string(),
                        'S' => event_time(e.timestamp_ns, Stamp::Raw),
                        'U' => event_time(e.timestamp_ns, Stamp::Utc),
                        's' => e.seqno.map(|n| n.to_string()).unwrap_or_default(),
                        'n' => e.line_seqno.map(|n| n.to_string()).unwrap_or_default(),
                        _ => return None,
                    })
                },
                || {
                    format!(
                        "{}\t{edge}\t{}",
                        event_time(e.timestamp_ns, stamp),
                        line_id(&chip.name, e.offset, name, chip_given, a.events.unquoted)
                    )
                },
            )
        },
    )
}

/// A time on `CLOCK_MONOTONIC` moved to the wall clock, as gpionotify does: the offset
/// between the clocks, read with the wall clock sampled either side of the monotonic one.
fn monotonic_to_realtime(ns: u64) -> u64 {
    let wall = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    };
    let before = wall();
    let mono = gpio::monotonic_now_ns();
    let after = wall();
    (ns + before / 2 + after / 2).saturating_sub(mono)
}

/// `gpionotify [OPTIONS] LINE...`
pub fn notify(a: &NotifyArgs, cli: &Cli) -> Outcome {
    let r = lines::resolve(&a.lines, &a.scope, false)?;
    let stamp = Stamp::chosen(a.events.localtime, a.events.utc);
    let mut chips = Vec::new();
    for (ci, chip) in r.chips.iter().enumerate() {
        let c = Chip::open(&chip.path).map_err(fail)?;
        for i in r.on_chip(ci) {
            c.watch_line_info(r.lines[i].offset).map_err(fail)?;
        }
        chips.push(c);
    }
    if a.events.banner {
        banner(cli, &format!("Watching {}...", banner_lines(&a.lines)));
    }
    let chip_given = a.scope.chip.is_some();
    let mut out = Printer::new(
        cli,
        a.events.quiet,
        a.format.as_deref(),
        a.events.num_events,
    );
    pump(
        chips,
        |c| c.read_info_change(),
        a.events.idle_timeout,
        |ci, e: InfoChangeEvent| {
            let (kind, code, wanted) = match e.kind {
                InfoChangeKind::Requested => ("requested", 1, InfoEventArg::Requested),
                InfoChangeKind::Released => ("released", 2, InfoEventArg::Released),
                InfoChangeKind::Reconfigured => ("reconfigured", 3, InfoEventArg::Reconfigured),
            };
            if a.event.is_some_and(|w| w != wanted) {
                return true;
            }
            let offset = e.info.offset;
            let chip = &r.chips[ci];
            let line = line_at(&r, ci, offset);
            out.print(
                || {
                    json!({
                        "timestamp_ns": e.timestamp_ns, "event": kind,
                        "line": line.map(|l| l.spec.as_str()), "name": e.info.name,
                        "chip": chip.path, "chip_name": chip.name, "offset": offset,
                        "used": e.info.used, "consumer": e.info.consumer,
                        "attributes": line_attr_list(&e.info),
                    })
                },
                |c| {
                    Some(match c {
                        'a' => line_attrs(&e.info, a.events.unquoted),
                        'c' => chip.name.clone(),
                        'C' => match (e.info.used, &e.info.consumer) {
                            (false, _) => "unused".into(),
                            (true, None) => "kernel".into(),
                            (true, Some(c)) => c.clone(),
                        },
                        'e' => code.to_string(),
                        'E' => kind.to_string(),
                        'l' => e.info.name.clone().unwrap_or_else(|| "unnamed".into()),
                        'L' => event_time(monotonic_to_realtime(e.timestamp_ns), Stamp::Local),
                        'o' => offset.to_string(),
                        'S' => event_time(e.timestamp_ns, Stamp::Raw),
                        'U' => event_time(monotonic_to_realtime(e.timestamp_ns), Stamp::Utc),
                        _ => return None,
                    })
                },
                || {
                    let ts = match stamp {
                        Stamp::Raw => e.timestamp_ns,
                        _ => monotonic_to_realtime(e.timestamp_ns),
                    };
                    let name = line.and_then(|l| l.name.as_deref());
                    format!(
                        "{}\t{kind}\t{}",
                        event_time(ts, stamp),
                        line_id(&chip.name, offset, name, chip_given, a.events.unquoted)
                    )
                },
            )
        },
    )
}
