//! Chips and lines named as libgpiod 2.x's tools name them, plus udrv's additions.
//!
//! A chip (`-c`) is a number (`0`), a path (`/dev/gpiochip0`) or a device name
//! (`gpiochip0`), as for libgpiod; udrv also takes a chip's label (`pinctrl-bcm2711`).
//!
//! A line is a name, looked up on every chip in order (or on the `-c` chip); with `-c`
//! and without `--by-name`, a number is an offset on that chip. Without `--strict` the
//! first line of that name is used (libgpiod's rule; udrv also says on stderr where the
//! others are); with it a name found twice is an error. udrv also takes `CHIP:OFFSET`
//! (`gpiochip0:17`, `pinctrl-bcm2711:17`) for a spec that names no line.

use std::path::{Path, PathBuf};

use udrv_core::gpio::{self, Chip, LineInfo};

use crate::Failure;

/// Where to look for lines (`-c`, `--by-name`, `-s`), as all of libgpiod's tools take it.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Scope {
    /// Restrict scope to a particular chip: N, gpiochipN, /dev/gpiochipN or (udrv) a chip
    /// label; lines given as numbers are then offsets on it.
    #[arg(short = 'c', long = "chip", value_name = "CHIP")]
    pub chip: Option<String>,
    /// Treat lines as names even if they would parse as an offset.
    #[arg(long = "by-name")]
    pub by_name: bool,
    /// Abort if requested line names are not unique (without it the first line of that
    /// name is used; udrv names the others on stderr).
    #[arg(short = 's', long = "strict")]
    pub strict: bool,
}

/// A chip some of the lines are on.
#[derive(Debug, Clone)]
pub struct ChipRef {
    /// Its device node.
    pub path: PathBuf,
    /// Its kernel name (`gpiochip0`).
    pub name: String,
}

/// A resolved line.
#[derive(Debug, Clone)]
pub struct Line {
    /// The argument that named it (as the user wrote it).
    pub spec: String,
    /// Index into [`Resolved::chips`].
    pub chip: usize,
    /// Offset on the chip.
    pub offset: u32,
    /// The line's name, as the kernel has it.
    pub name: Option<String>,
}

/// Lines, in the order given, and the chips they are on, in libgpiod's order.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The chips, each once.
    pub chips: Vec<ChipRef>,
    /// The lines, in argument order.
    pub lines: Vec<Line>,
}

impl Resolved {
    /// The indices into `lines` of the lines on chip `chip`, in argument order.
    pub fn on_chip(&self, chip: usize) -> Vec<usize> {
        (0..self.lines.len())
            .filter(|&i| self.lines[i].chip == chip)
            .collect()
    }
}

/// Resolves a chip as libgpiod does (a number, a path, a device name in /dev), then by
/// label.
pub fn resolve_chip(spec: &str) -> Result<PathBuf, Failure> {
    if !spec.is_empty() && spec.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(PathBuf::from(format!("/dev/gpiochip{spec}")));
    }
    if spec.contains('/') {
        return Ok(PathBuf::from(spec));
    }
    if spec
        .strip_prefix("gpiochip")
        .is_some_and(|n| n.parse::<u32>().is_ok())
    {
        return Ok(PathBuf::from(format!("/dev/{spec}")));
    }
    let dev = Path::new("/dev").join(spec);
    if !spec.is_empty() && dev.exists() {
        return Ok(dev);
    }
    gpio::find_chip(spec).map(|c| c.path).map_err(Failure::op)
}

/// Whether opening a chip failed for want of permission (libgpiod skips such chips
/// when looking for names on all chips).
pub fn denied(e: &gpio::Error) -> bool {
    const EACCES: i32 = 13;
    e.errno() == Some(EACCES)
}

/// A chip opened for a look at its lines.
pub struct Scanned {
    /// The chip's device node.
    pub path: PathBuf,
    /// Its kernel name.
    pub name: String,
    /// Its label.
    pub label: String,
    /// Its lines' info.
    pub lines: Vec<LineInfo>,
}

impl Scanned {
    /// Opens the chip at `path` and reads its info and every line's.
    pub fn open(path: &Path, abi_v1: bool) -> Result<Scanned, gpio::Error> {
        let c = Chip::open(path)?;
        let c = if abi_v1 { c.with_abi(gpio::Abi::V1) } else { c };
        let info = c.info()?;
        Ok(Scanned {
            path: path.to_path_buf(),
            name: info.name,
            label: info.label,
            lines: c.line_infos()?,
        })
    }
}

/// Opens the chips to search: the `-c` chip, or every chip in /dev in number order (those
/// this user may not open are left out, and counted).
pub fn scan(chip: Option<&str>, abi_v1: bool) -> Result<(Vec<Scanned>, usize), Failure> {
    let paths = match chip {
        Some(c) => vec![resolve_chip(c)?],
        None => gpio::chip_paths().map_err(Failure::op)?,
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    for p in paths {
        match Scanned::open(&p, abi_v1) {
            Ok(s) => out.push(s),
            Err(e) if chip.is_none() && denied(&e) => skipped += 1,
            Err(e) => return Err(Failure::op(e)),
        }
    }
    Ok((out, skipped))
}

/// libgpiod's reading of a number as an offset (`parse_uint`: digits, at most `INT_MAX`).
pub fn as_offset(spec: &str) -> Option<u32> {
    if spec.is_empty() || !spec.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    spec.parse::<u32>().ok().filter(|&n| n <= i32::MAX as u32)
}

/// Resolves line arguments (see the module documentation).
pub fn resolve(specs: &[String], scope: &Scope, abi_v1: bool) -> Result<Resolved, Failure> {
    let (scanned, skipped) = scan(scope.chip.as_deref(), abi_v1)?;
    let by_name = scope.by_name || scope.chip.is_none();
    // (scanned chip index, offset) per spec, then any other lines of the same name.
    let mut found: Vec<Option<(usize, u32)>> = vec![None; specs.len()];
    let mut by_offset = vec![false; specs.len()];
    let mut others: Vec<Vec<String>> = vec![Vec::new(); specs.len()];
    if !by_name {
        if let Some(first) = scanned.first() {
            for (i, spec) in specs.iter().enumerate() {
                if let Some(off) = as_offset(spec).filter(|&o| (o as usize) < first.lines.len()) {
                    found[i] = Some((0, off));
                    by_offset[i] = true;
                }
            }
        }
    }
    for (ci, chip) in scanned.iter().enumerate() {
        for l in &chip.lines {
            let Some(name) = &l.name else { continue };
            for (i, spec) in specs.iter().enumerate() {
                if name != spec || by_offset[i] {
                    continue;
                }
                match found[i] {
                    None => found[i] = Some((ci, l.offset)),
                    Some((fc, fo)) => {
                        if scope.strict {
                            return Err(Failure::op(format!(
                                "line `{spec}` is not unique: {} {fo} and {} {} (--strict); \
                                 choose one with -c CHIP",
                                scanned[fc].name, chip.name, l.offset
                            )));
                        }
                        others[i].push(format!("{} {}", chip.name, l.offset));
                    }
                }
            }
        }
    }
    let mut chips: Vec<ChipRef> = Vec::new();
    let mut chip_index = |path: &Path, name: &str| -> usize {
        match chips.iter().position(|c| c.path == path) {
            Some(i) => i,
            None => {
                chips.push(ChipRef {
                    path: path.to_path_buf(),
                    name: name.to_string(),
                });
                chips.len() - 1
            }
        }
    };
    // libgpiod orders the chips as it found them in the scan.
    let mut used: Vec<usize> = found.iter().flatten().map(|&(c, _)| c).collect();
    used.sort_unstable();
    used.dedup();
    for &c in &used {
        chip_index(&scanned[c].path, &scanned[c].name);
    }
    let mut lines = Vec::new();
    let mut missing = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        if let Some((c, off)) = found[i] {
            let chip = &scanned[c];
            if !others[i].is_empty() {
                eprintln!(
                    "udrv: warning: line name `{spec}` is also on {}: using {} {off} \
                     (-c CHIP chooses, -s refuses)",
                    others[i].join(", "),
                    chip.name
                );
            }
            lines.push(Line {
                spec: spec.clone(),
                chip: chip_index(&chip.path, &chip.name),
                offset: off,
                name: chip.lines.get(off as usize).and_then(|l| l.name.clone()),
            });
            continue;
        }
        // udrv's CHIP:OFFSET.
        if let Some((c, o)) = spec.rsplit_once(':') {
            if let Some(off) = as_offset(o) {
                let path = resolve_chip(c)?;
                let chip = Chip::open(&path).map_err(Failure::op)?;
                let info = chip.info().map_err(Failure::op)?;
                if off >= info.lines {
                    return Err(out_of_range(off, &path, info.lines));
                }
                let name = chip.line_info(off).map_err(Failure::op)?.name;
                lines.push(Line {
                    spec: spec.clone(),
                    chip: chip_index(&path, &info.name),
                    offset: off,
                    name,
                });
                continue;
            }
        }
        missing.push(spec.clone());
    }
    if let Some(spec) = missing.first() {
        if let (Some(chip), false, Some(off)) = (scanned.first(), by_name, as_offset(spec)) {
            if scope.chip.is_some() {
                return Err(out_of_range(off, &chip.path, chip.lines.len() as u32));
            }
        }
        let also = if missing.len() > 1 {
            format!(
                " (nor {})",
                missing[1..]
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            String::new()
        };
        let place = match (&scope.chip, scanned.first()) {
            (Some(_), Some(c)) => format!(" on {}", c.path.display()),
            _ => String::new(),
        };
        let denied = if skipped > 0 {
            format!(
                "; {skipped} chip(s) could not be opened (permission denied: add your user to \
                 group `gpio`)"
            )
        } else {
            String::new()
        };
        return Err(Failure::op(format!(
            "no GPIO line is named `{spec}`{place}{also}: `udrv gpio info` lists the lines{denied}"
        )));
    }
    for (i, a) in lines.iter().enumerate() {
        if let Some(b) = lines[..i]
            .iter()
            .find(|b| b.chip == a.chip && b.offset == a.offset)
        {
            return Err(Failure::usage(format!(
                "lines `{}` and `{}` are the same line ({} {})",
                b.spec, a.spec, chips[a.chip].name, a.offset
            )));
        }
    }
    Ok(Resolved { chips, lines })
}

/// An offset past the chip's last line.
pub fn out_of_range(off: u32, chip: &Path, lines: u32) -> Failure {
    Failure::op(format!(
        "line {off} does not exist on {} (the chip has {lines} lines, 0 to {}): `udrv gpio \
         info -c {}` lists them",
        chip.display(),
        lines.saturating_sub(1),
        chip.display()
    ))
}
