//! `udrv gpio get/set` through `udrv serve` when it owns the lines: the service's socket
//! (`UDRV_SERVE_SOCKET`, else `/run/udrv/serve.sock`) is asked which lines it holds; a
//! line named as the service names it (`heater`), as its configuration gives it
//! (`GPIO27`) or by chip and offset (`gpiochip0:27`, `-c 0 27`) goes through it, with
//! one line on stderr saying so. `set` then returns at once: the service holds the value.
//! A PWM channel the service holds (a PCA9685's) takes a duty in percent: `udrv gpio set
//! fan=25%` (`fan=1` is full on, `fan=0` off).
//! Without a service answering, the commands go to the device as before.

use serde_json::json;
use udrv_core::gpio::Value;
use udrv_service::client::{self, Client, LineState};

use super::lines::Scope;
use crate::out::json_line;
use crate::{Failure, Outcome};

/// The service's client and, for each line asked, its name there.
pub(super) struct Through {
    client: Client,
    names: Vec<String>,
}

/// `gpiochip0` for `/dev/gpiochip0`, `gpiochip0` and `0`.
fn chip_name(c: &str) -> String {
    let c = c.strip_prefix("/dev/").unwrap_or(c);
    if c.chars().all(|x| x.is_ascii_digit()) {
        format!("gpiochip{c}")
    } else {
        c.to_string()
    }
}

fn matches(spec: &str, scope: &Scope, l: &LineState) -> bool {
    let place = |chip: &str, offset: &str| {
        l.chip.as_deref().map(chip_name) == Some(chip_name(chip))
            && l.offset.map(|o| o.to_string()).as_deref() == Some(offset)
    };
    if let Some(c) = &scope.chip {
        if !scope.by_name && spec.chars().all(|x| x.is_ascii_digit()) {
            return place(c, spec) || l.line == format!("{c}:{spec}");
        }
        return l.line == spec;
    }
    if spec == l.name || spec == l.line {
        return true;
    }
    match spec.rsplit_once(':') {
        Some((chip, offset)) => place(chip, offset),
        None => false,
    }
}

/// Asks the service which of `specs` it holds: `None` when no service answers or it
/// holds none of them; an error when it holds some but not all.
pub(super) fn owned(specs: &[String], scope: &Scope) -> Result<Option<Through>, Failure> {
    let path = client::socket_path();
    let mut c = match Client::connect(&path) {
        Ok(c) => c,
        // The service is there but this user may not use it: say so, not "busy".
        Err(e) => {
            if matches!(&e, client::ClientError::Connect(io)
                if io.kind() == std::io::ErrorKind::PermissionDenied)
            {
                return Err(Failure::op(format!("{e} ({})", path.display())));
            }
            return Ok(None);
        }
    };
    let held = c.list().map_err(Failure::op)?;
    let names: Vec<Option<&LineState>> = specs
        .iter()
        .map(|s| held.iter().find(|l| matches(s, scope, l)))
        .collect();
    if names.iter().all(Option::is_none) {
        return Ok(None);
    }
    if let Some(i) = names.iter().position(Option::is_none) {
        let theirs: Vec<&str> = names.iter().flatten().map(|l| l.name.as_str()).collect();
        return Err(Failure::usage(format!(
            "udrv serve holds {} but not {}: ask for the service's lines and the others in \
             separate commands",
            theirs.join(", "),
            specs[i]
        )));
    }
    let names: Vec<String> = names
        .into_iter()
        .flatten()
        .map(|l| l.name.clone())
        .collect();
    eprintln!(
        "udrv: through udrv serve ({}), which holds {}",
        path.display(),
        names.join(", ")
    );
    Ok(Some(Through { client: c, names }))
}

/// `udrv gpio set fan=25%`: the duties of PWM channels the service holds (a PCA9685's),
/// in percent. `Ok(false)` when no assignment is a duty (the levels go on as before).
pub(super) fn set_duties(
    assignments: &[String],
    scope: &Scope,
    json: bool,
) -> Result<bool, Failure> {
    fn duty(a: &str) -> Option<(&str, &str)> {
        a.rsplit_once('=').filter(|(_, v)| v.ends_with('%'))
    }
    if !assignments.iter().any(|a| duty(a).is_some()) {
        return Ok(false);
    }
    let mut specs = Vec::new();
    let mut duties = Vec::new();
    for a in assignments {
        let Some((line, v)) = duty(a) else {
            return Err(Failure::usage(format!(
                "`{a}`: give the levels and the duties (NAME=25%) in separate commands"
            )));
        };
        let pct: f64 = v
            .trim_end_matches('%')
            .parse()
            .ok()
            .filter(|p: &f64| (0.0..=100.0).contains(p))
            .ok_or_else(|| {
                Failure::usage(format!(
                    "`{v}` in `{a}` is not a duty: give 0%..100% (fan=25%)"
                ))
            })?;
        specs.push(line.trim_matches('"').to_string());
        duties.push(pct / 100.0);
    }
    let Some(mut t) = owned(&specs, scope)? else {
        return Err(Failure::usage(format!(
            "{}: a duty (NAME=25%) is for a PWM channel udrv serve holds, and no service \
             on {} holds it; set a PWM output with `udrv pwm set`",
            specs.join(", "),
            client::socket_path().display()
        )));
    };
    for (n, d) in t.names.iter().zip(&duties) {
        t.client.set_duty(n, *d).map_err(Failure::op)?;
    }
    if json {
        json_line(&json!({
            "set": specs.iter().zip(&t.names).zip(&duties).map(|((s, n), d)| json!({
                "line": s, "service": n, "duty": d,
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(true)
}

impl Through {
    /// The values, in the order asked.
    pub(super) fn get(&mut self) -> Result<Vec<Value>, Failure> {
        let mut out = Vec::new();
        for n in &self.names {
            out.push(Value::from(self.client.get(n).map_err(Failure::op)?));
        }
        Ok(out)
    }

    /// Sets the lines (the service holds them); JSON as `set` prints it with `--json`.
    pub(super) fn set(&mut self, specs: &[String], values: &[Value], json: bool) -> Outcome {
        for (n, v) in self.names.iter().zip(values) {
            self.client.set(n, v.is_active()).map_err(Failure::op)?;
        }
        if json {
            json_line(&json!({
                "set": specs.iter().zip(&self.names).zip(values).map(|((s, n), v)| json!({
                    "line": s, "service": n, "active": v.is_active(),
                })).collect::<Vec<_>>(),
            }));
        }
        Ok(())
    }

    /// `mon` through the service: one watch per line, edges printed as they come (the
    /// default format as gpiomon's, or `--json`), the edges a client lost said on stderr.
    pub(super) fn mon(self, specs: &[String], a: &super::MonArgs, json: bool) -> Outcome {
        use super::format::{event_time, Stamp};
        use super::EdgesArg;
        if a.format.is_some()
            || a.event_clock.is_some()
            || a.events.localtime
            || a.events.utc
            || a.debounce.is_some()
            || a.buffer.is_some()
        {
            return Err(Failure::usage(
                "udrv serve holds these lines and watches them with its own settings \
                 (CLOCK_MONOTONIC, both edges): leave out -F, -E, --localtime, --utc, -p and \
                 --buffer",
            ));
        }
        let path = client::socket_path();
        let (tx, rx) = std::sync::mpsc::channel();
        for (spec, name) in specs.iter().zip(&self.names) {
            let mut w = Client::connect(&path)
                .and_then(|c| c.watch(name))
                .map_err(Failure::op)?;
            let (tx, spec) = (tx.clone(), spec.clone());
            std::thread::spawn(move || loop {
                let e = w.next_event();
                let end = !matches!(e, Ok(Some(_)));
                if tx.send((spec.clone(), e)).is_err() || end {
                    return;
                }
            });
        }
        drop(tx);
        if a.events.banner {
            let text = format!("Monitoring {}...", super::format::banner_lines(specs));
            if json {
                eprintln!("udrv: {text}");
            } else {
                outln!("{text}");
            }
        }
        let mut seen = 0u64;
        loop {
            let got = match a.events.idle_timeout {
                Some(t) => match rx.recv_timeout(t) {
                    Ok(x) => x,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Ok(()),
                    Err(_) => return Err(Failure::op("udrv serve: the service went away")),
                },
                None => rx
                    .recv()
                    .map_err(|_| Failure::op("udrv serve: the service went away"))?,
            };
            let e = match got.1 {
                Ok(Some(e)) => e,
                Ok(None) => return Err(Failure::op("udrv serve: the service went away")),
                Err(e) => return Err(Failure::op(e)),
            };
            if e.lost > 0 {
                eprintln!(
                    "udrv: {} edges of {} lost before this one: this client fell behind the \
                     service",
                    e.lost, got.0
                );
            }
            let wanted = match a.edges {
                EdgesArg::Both => true,
                EdgesArg::Rising => e.edge == "rising",
                EdgesArg::Falling => e.edge == "falling",
            };
            if !wanted {
                continue;
            }
            if a.events.quiet {
            } else if json {
                json_line(&json!({
                    "timestamp_ns": e.timestamp_ns, "edge": e.edge, "line": got.0,
                    "service": e.name, "seqno": e.seqno, "line_seqno": e.line_seqno,
                    "lost_before": e.lost,
                }));
            } else if a.events.unquoted {
                outln!(
                    "{}\t{}\t{}",
                    event_time(e.timestamp_ns, Stamp::Raw),
                    e.edge,
                    got.0
                );
            } else {
                outln!(
                    "{}\t{}\t\"{}\"",
                    event_time(e.timestamp_ns, Stamp::Raw),
                    e.edge,
                    got.0
                );
            }
            seen += 1;
            if a.events.num_events != 0 && seen >= a.events.num_events {
                return Ok(());
            }
        }
    }

    /// The service's names of the lines, in the order asked.
    pub(super) fn names(&self) -> &[String] {
        &self.names
    }
}
