//! `udrv gpio set`: gpioset 2.x. The lines are requested at their values (never glitching
//! through another level) and held until the process is killed: the kernel releases a
//! line when its requester goes, and what the line does then is up to the driver. `-z`
//! holds them from a background process and returns; `-t` toggles them; a `-t` list
//! ending in 0 exits after the sequence (`-t 0`: at once).
//!
//! When `udrv serve` owns the lines, `set` asks it instead and returns at once, the
//! service holding the level (see `service.rs`); without one, this is gpioset's
//! behaviour.
//!
//! `-z` starts udrv again as the holder (a new process group, no terminal, standard
//! streams on /dev/null, working directory `/`) instead of forking: the caller returns
//! once the holder says the lines are set, or with the holder's error.

use std::io::{IsTerminal, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use udrv_core::gpio::{Request, Value};

use super::format::banner_lines;
use super::lines::{self, Resolved};
use super::{builder, drive, fail, SetArgs};
use crate::out::{emit_bytes, json_line};
use crate::{Cli, Failure, Outcome};

/// Set in the environment of the background holder that `-z` starts.
const HOLDER_ENV: &str = "UDRV_GPIO_SET_HOLDER";
/// What the holder writes once the lines are set (after the banner and JSON, if any).
const READY: &[u8] = b"\0udrv-gpio-set: ready\n";
/// What the holder writes before its exit status and error message when it fails.
const FAILED: &[u8] = b"\0udrv-gpio-set: failed ";

/// gpioset's values (`1`/`0`, `active`/`inactive`, `on`/`off`, `true`/`false`); udrv also
/// takes `high`/`low` and any case.
pub fn parse_value(s: &str) -> Option<Value> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "active" | "on" | "true" | "high" => Some(Value::Active),
        "0" | "inactive" | "off" | "false" | "low" => Some(Value::Inactive),
        _ => None,
    }
}

/// `LINE=VALUE` or `"LINE"=VALUE` (gpioset's two forms).
pub fn parse_assignment(asg: &str) -> Result<(String, Value), Failure> {
    let split = match asg.strip_prefix('"') {
        Some(rest) => rest.split_once("\"="),
        None => asg.split_once('='),
    };
    let (line, value) =
        split.ok_or_else(|| Failure::usage(format!("`{asg}` is not LINE=VALUE (e.g. led=1)")))?;
    let v = parse_value(value).ok_or_else(|| {
        Failure::usage(format!(
            "`{value}` in `{asg}` is not a line value: use 1/0, active/inactive, on/off, \
             true/false"
        ))
    })?;
    Ok((line.to_string(), v))
}

/// Runs `udrv gpio set`.
pub fn set(a: &SetArgs, cli: &Cli) -> Outcome {
    let holder = a.daemonize && std::env::var_os(HOLDER_ENV).is_some();
    let r = run(a, cli, holder);
    if holder {
        if let Err(f) = &r {
            // The caller waits for this on our standard output (stderr is /dev/null).
            let mut m = FAILED.to_vec();
            m.extend_from_slice(format!("{}\n{}", f.code, f.message).as_bytes());
            emit_bytes(&m);
        }
    }
    r
}

fn run(a: &SetArgs, cli: &Cli, holder: bool) -> Outcome {
    #[cfg(feature = "serve")]
    if !holder && super::service::set_duties(&a.assignments, &a.opts.scope, cli.json)? {
        return Ok(());
    }
    let mut specs = Vec::new();
    let mut values = Vec::new();
    for asg in &a.assignments {
        let (line, v) = parse_assignment(asg)?;
        specs.push(line);
        values.push(v);
    }
    #[cfg(feature = "serve")]
    if !holder {
        if let Some(mut t) = super::service::owned(&specs, &a.opts.scope)? {
            super::service_settings(&a.opts)?;
            if a.drive.is_some() || a.toggle.is_some() {
                return Err(Failure::usage(
                    "udrv serve holds these lines: its [[line]] sets their drive, and it \
                     holds a value rather than toggling it: leave out -d and -t",
                ));
            }
            t.set(&specs, &values, cli.json)?;
            if a.banner {
                outln!("Setting {}...", banner_lines(&specs));
            }
            return Ok(());
        }
    }
    let r = lines::resolve(&specs, &a.opts.scope, a.opts.abi_v1)?;
    if a.daemonize && !holder {
        return start_holder();
    }
    let mut requests = Vec::new();
    for (ci, chip) in r.chips.iter().enumerate() {
        let idx = r.on_chip(ci);
        let offsets: Vec<u32> = idx.iter().map(|&i| r.lines[i].offset).collect();
        let mut b = builder(&chip.path, &offsets, &a.opts, "udrv-set");
        b.as_output(Value::Inactive);
        if let Some(d) = a.drive {
            b.with_drive(drive(d));
        }
        // Request the lines already at their values, so they never glitch.
        for &i in &idx {
            b.with_line(r.lines[i].offset).with_value(values[i]);
        }
        requests.push(b.request().map_err(fail)?);
    }
    apply(&requests, &r, &values).map_err(fail)?;
    if a.banner {
        outln!("Setting {}...", banner_lines(&specs));
    }
    if cli.json {
        json_line(&json!({
            "set": r.lines.iter().zip(&values).map(|(l, v)| json!({
                "line": l.spec, "chip": r.chips[l.chip].path, "offset": l.offset,
                "active": v.is_active(),
            })).collect::<Vec<_>>(),
        }));
    }
    if holder {
        // From here on nothing is written: the caller has gone, and so has the pipe.
        emit_bytes(READY);
        let _ = std::env::set_current_dir("/");
    }
    let hold = a.hold_period.unwrap_or_default();
    if let Some(t) = &a.toggle {
        let mut periods = t.0.clone();
        let n = periods.len();
        for (i, p) in periods.iter_mut().enumerate() {
            if hold > *p && (i != n - 1 || !p.is_zero()) {
                *p = hold;
            }
        }
        toggle(&periods, &requests, &r, &mut values, holder);
        std::thread::sleep(hold);
        return Ok(());
    }
    std::thread::sleep(hold);
    if !holder && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        eprintln!("udrv: holding the lines until killed (Ctrl-C releases them)");
    }
    hold_until_killed(&requests[0])
}

/// Sets every line to its value in `values` (argument order), one call per chip.
fn apply(requests: &[Request], r: &Resolved, values: &[Value]) -> udrv_core::gpio::Result<()> {
    for (ci, req) in requests.iter().enumerate() {
        let pairs: Vec<(u32, Value)> = r
            .on_chip(ci)
            .into_iter()
            .map(|i| (r.lines[i].offset, values[i]))
            .collect();
        req.set_values(&pairs)?;
    }
    Ok(())
}

/// gpioset's toggle sequence: wait, invert every line, next period; a last period of 0
/// ends it, any other repeats it forever.
fn toggle(
    periods: &[Duration],
    requests: &[Request],
    r: &Resolved,
    values: &mut [Value],
    quiet: bool,
) {
    if periods == [Duration::ZERO] {
        return;
    }
    let mut i = 0;
    loop {
        std::thread::sleep(periods[i]);
        for v in values.iter_mut() {
            *v = match v {
                Value::Active => Value::Inactive,
                Value::Inactive => Value::Active,
            };
        }
        if let Err(e) = apply(requests, r, values) {
            // gpioset reports it and goes on.
            if !quiet {
                eprintln!("udrv: {e}");
            }
        }
        i += 1;
        if i == periods.len() - 1 && periods[i].is_zero() {
            return;
        }
        if i == periods.len() {
            i = 0;
        }
    }
}

/// Waits until the process is killed. The request's file never becomes readable (it has
/// no edge detection) unless its chip goes away: then the error says so.
fn hold_until_killed(req: &Request) -> Outcome {
    loop {
        if req
            .has_edge_event(Duration::from_secs(3600))
            .map_err(fail)?
        {
            req.values().map_err(fail)?;
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// `-z`: starts this same command again as the background holder and returns once it
/// has set the lines (relaying its banner and JSON), or fails with its error.
fn start_holder() -> Outcome {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| {
        Failure::op(format!(
            "cannot hold the lines in the background: udrv cannot find its own executable \
             ({e}); run without -z and put it in the background with `&`"
        ))
    })?;
    let mut child = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(HOLDER_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| Failure::op(format!("cannot start the background holder: {e}")))?;
    let mut pipe = child.stdout.take().expect("piped stdout");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = match pipe.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => 0,
        };
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = find(&buf, READY) {
            emit_bytes(&buf[..pos]);
            return Ok(());
        }
    }
    let status = child.wait();
    if let Some(pos) = find(&buf, FAILED) {
        emit_bytes(&buf[..pos]);
        let rest = String::from_utf8_lossy(&buf[pos + FAILED.len()..]).into_owned();
        let (code, message) = rest.split_once('\n').unwrap_or(("1", rest.as_str()));
        return Err(Failure {
            message: message.to_string(),
            code: code.parse().unwrap_or(1),
        });
    }
    Err(Failure::op(format!(
        "the background holder ended before setting the lines ({})",
        match status {
            Ok(s) => s.to_string(),
            Err(e) => e.to_string(),
        }
    )))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpiosets_assignments() {
        assert_eq!(
            parse_assignment("led=1").unwrap(),
            ("led".into(), Value::Active)
        );
        assert_eq!(
            parse_assignment("\"my led\"=off").unwrap(),
            ("my led".into(), Value::Inactive)
        );
        for (s, v) in [
            ("0", Value::Inactive),
            ("inactive", Value::Inactive),
            ("false", Value::Inactive),
            ("on", Value::Active),
            ("true", Value::Active),
            ("HIGH", Value::Active),
        ] {
            assert_eq!(parse_value(s), Some(v), "{s}");
        }
        assert_eq!(parse_assignment("relay").unwrap_err().code, 2);
        let e = parse_assignment("relay=maybe").unwrap_err();
        assert!(e.message.contains("not a line value"), "{}", e.message);
        assert!(parse_assignment("\"relay=1").is_err(), "an unclosed quote");
    }
}
