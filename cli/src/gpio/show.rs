//! `udrv gpio detect`, `info` and `get`: gpiodetect, gpioinfo and gpioget.

use serde_json::json;
use udrv_core::gpio::{self, Chip, Direction, LineInfo};

use super::format::{info_name, line_attr_list, line_attrs};
use super::lines::{self, as_offset, resolve_chip, Scanned};
use super::{builder, fail, GetArgs, InfoArgs};
use crate::out::json_line;
use crate::{Cli, Failure, Outcome};

/// Joins failures met along the way (libgpiod reports each and carries on) into one.
fn first_failures(failures: Vec<Failure>) -> Outcome {
    if failures.is_empty() {
        return Ok(());
    }
    let code = failures.iter().map(|f| f.code).max().unwrap_or(1);
    Err(Failure {
        message: failures
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
            .join("; "),
        code,
    })
}

/// `gpiodetect [CHIP]...`
pub fn detect(chips: &[String], cli: &Cli) -> Outcome {
    let mut failures = Vec::new();
    let paths = if chips.is_empty() {
        gpio::chip_paths().map_err(fail)?
    } else {
        let mut v = Vec::new();
        for c in chips {
            match resolve_chip(c) {
                Ok(p) => v.push(p),
                Err(f) => failures.push(f),
            }
        }
        v
    };
    let mut found = Vec::new();
    for p in &paths {
        match Chip::open(p).and_then(|c| c.info()) {
            Ok(info) => found.push(info),
            Err(e) => failures.push(fail(e)),
        }
    }
    if cli.json {
        let v: Vec<_> = found
            .iter()
            .map(|c| json!({"name": c.name, "path": c.path, "label": c.label, "lines": c.lines}))
            .collect();
        json_line(&json!(v));
    } else {
        if found.is_empty() && chips.is_empty() && failures.is_empty() {
            eprintln!("udrv: no GPIO chips found in /dev (is the GPIO character device enabled?)");
        }
        for c in &found {
            outln!("{} [{}] ({} lines)", c.name, c.label, c.lines);
        }
    }
    first_failures(failures)
}

/// One line of `gpio info --json`.
fn info_value(chip: &Scanned, l: &LineInfo) -> serde_json::Value {
    json!({
        "chip": chip.name, "path": chip.path, "label": chip.label, "offset": l.offset, "name": l.name,
        "consumer": l.consumer, "used": l.used,
        "direction": if l.direction == Direction::Output { "output" } else { "input" },
        "active_low": l.active_low,
        "attributes": line_attr_list(l),
    })
}

/// Prints one chip's lines as gpioinfo does without line arguments.
fn list_chip(chip: &Scanned, a: &InfoArgs, cli: &Cli, rows: &mut Vec<serde_json::Value>) {
    if cli.json {
        rows.extend(chip.lines.iter().map(|l| info_value(chip, l)));
        return;
    }
    outln!("{} - {} lines:", chip.name, chip.lines.len());
    for l in &chip.lines {
        outln!(
            "\tline {:>3}:\t{}\t{}",
            l.offset,
            info_name(l.name.as_deref(), a.unquoted),
            line_attrs(l, a.unquoted)
        );
    }
}

/// `gpioinfo [-c CHIP] [LINE]...`. With `--json`, one document: the array of the lines
/// shown (empty when there are none), printed before any error.
pub fn info(a: &InfoArgs, cli: &Cli) -> Outcome {
    let mut rows = Vec::new();
    let outcome = info_rows(a, cli, &mut rows);
    if cli.json {
        json_line(&serde_json::Value::Array(rows));
    }
    outcome
}

fn info_rows(a: &InfoArgs, cli: &Cli, rows: &mut Vec<serde_json::Value>) -> Outcome {
    let mut failures = Vec::new();
    if a.lines.is_empty() {
        let paths = match &a.scope.chip {
            Some(c) => vec![resolve_chip(c)?],
            None => gpio::chip_paths().map_err(fail)?,
        };
        for p in &paths {
            match Scanned::open(p, false) {
                Ok(chip) => list_chip(&chip, a, cli, rows),
                // With -c, libgpiod stops at once; without, it goes on to the next chip.
                Err(e) if a.scope.chip.is_some() => return Err(fail(e)),
                Err(e) => failures.push(fail(e)),
            }
        }
        return first_failures(failures);
    }
    let (scanned, _) = lines::scan(a.scope.chip.as_deref(), false)?;
    let by_name = a.scope.by_name || a.scope.chip.is_none();
    // (chip index, offset) each argument resolved to, as gpioinfo's resolver keeps it.
    let mut resolved: Vec<Option<(usize, u32)>> = vec![None; a.lines.len()];
    if !by_name {
        if let Some(first) = scanned.first() {
            for (i, spec) in a.lines.iter().enumerate() {
                if let Some(off) = as_offset(spec).filter(|&o| (o as usize) < first.lines.len()) {
                    resolved[i] = Some((0, off));
                }
            }
        }
    }
    let mut printed = Vec::new();
    for (ci, chip) in scanned.iter().enumerate() {
        for l in &chip.lines {
            let mut hit = false;
            for (i, spec) in a.lines.iter().enumerate() {
                if resolved[i] == Some((ci, l.offset)) {
                    hit = true;
                }
                if resolved[i].is_some() && !a.scope.strict {
                    continue;
                }
                if l.name.as_deref() == Some(spec.as_str()) {
                    resolved[i] = Some((ci, l.offset));
                    hit = true;
                }
            }
            if !hit {
                continue;
            }
            printed.push((ci, l.offset));
            if cli.json {
                rows.push(info_value(chip, l));
            } else {
                outln!(
                    "{} {}\t{}\t{}",
                    chip.name,
                    l.offset,
                    info_name(l.name.as_deref(), a.unquoted),
                    line_attrs(l, a.unquoted)
                );
            }
        }
    }
    for (i, spec) in a.lines.iter().enumerate() {
        if resolved[i].is_some() {
            continue;
        }
        // udrv: a chip given where a line was expected lists that chip's lines.
        if a.scope.chip.is_none() {
            if let Ok(path) = resolve_chip(spec) {
                match Scanned::open(&path, false) {
                    Ok(chip) => list_chip(&chip, a, cli, rows),
                    Err(e) => failures.push(fail(e)),
                }
                continue;
            }
        }
        failures.push(match (&a.scope.chip, scanned.first(), as_offset(spec)) {
            (Some(_), Some(chip), Some(off)) if !by_name => {
                lines::out_of_range(off, &chip.path, chip.lines.len() as u32)
            }
            _ => Failure::op(format!(
                "no GPIO line is named `{spec}`: `udrv gpio info` lists the lines"
            )),
        });
    }
    // gpioinfo fails when it printed more lines than it was given: with -s, a name on
    // several lines.
    if printed.len() > a.lines.len() {
        let several: Vec<String> = a
            .lines
            .iter()
            .filter(|spec| {
                scanned
                    .iter()
                    .flat_map(|c| &c.lines)
                    .filter(|l| l.name.as_deref() == Some(spec.as_str()))
                    .count()
                    > 1
            })
            .map(|spec| format!("`{spec}`"))
            .collect();
        failures.push(Failure::op(format!(
            "line names not unique: {} name more than one line (listed above, as -s asks)",
            several.join(", ")
        )));
    }
    for (i, a_res) in resolved.iter().enumerate() {
        if let Some(r) = a_res {
            if let Some(j) = resolved[..i].iter().position(|b| b == a_res) {
                failures.push(Failure::usage(format!(
                    "lines `{}` and `{}` are the same line ({} {})",
                    a.lines[j], a.lines[i], scanned[r.0].name, r.1
                )));
            }
        }
    }
    first_failures(failures)
}

/// `gpioget [OPTIONS] LINE...`
pub fn get(a: &GetArgs, cli: &Cli) -> Outcome {
    #[cfg(feature = "serve")]
    if let Some(mut t) = super::service::owned(&a.lines, &a.opts.scope)? {
        super::service_settings(&a.opts)?;
        let values = t.get()?;
        if cli.json {
            let v: Vec<_> = a
                .lines
                .iter()
                .zip(t.names())
                .zip(&values)
                .map(|((l, n), v)| json!({"line": l, "service": n, "active": v.is_active()}))
                .collect();
            json_line(&json!(v));
        } else {
            let v: Vec<String> = a
                .lines
                .iter()
                .zip(&values)
                .map(|(l, v)| match (a.numeric, a.unquoted) {
                    (true, _) => (if v.is_active() { "1" } else { "0" }).to_string(),
                    (false, true) => format!("{l}={v}"),
                    (false, false) => format!("\"{l}\"={v}"),
                })
                .collect();
            outln!("{}", v.join(" "));
        }
        return Ok(());
    }
    let r = lines::resolve(&a.lines, &a.opts.scope, a.opts.abi_v1)?;
    let mut values = vec![None; r.lines.len()];
    for (ci, chip) in r.chips.iter().enumerate() {
        let idx = r.on_chip(ci);
        let offsets: Vec<u32> = idx.iter().map(|&i| r.lines[i].offset).collect();
        let mut b = builder(&chip.path, &offsets, &a.opts, "udrv-get");
        if a.as_is {
            b.as_is();
        } else {
            b.as_input();
        }
        let req = b.request().map_err(fail)?;
        if let Some(p) = a.hold_period {
            std::thread::sleep(p);
        }
        let v = req.get_values(&offsets).map_err(fail)?;
        for (k, &i) in idx.iter().enumerate() {
            values[i] = Some(v[k]);
        }
    }
    let values: Vec<_> = values.into_iter().flatten().collect();
    if cli.json {
        let v: Vec<_> = r
            .lines
            .iter()
            .zip(&values)
            .map(|(l, v)| {
                json!({"line": l.spec, "chip": r.chips[l.chip].path, "offset": l.offset,
                       "active": v.is_active()})
            })
            .collect();
        json_line(&json!(v));
    } else {
        let v: Vec<String> = r
            .lines
            .iter()
            .zip(&values)
            .map(|(l, v)| match (a.numeric, a.unquoted) {
                (true, _) => (if v.is_active() { "1" } else { "0" }).to_string(),
                (false, true) => format!("{}={v}", l.spec),
                (false, false) => format!("\"{}\"={v}", l.spec),
            })
            .collect();
        outln!("{}", v.join(" "));
    }
    Ok(())
}
