//! The documentation's word on udrv, checked against the built binary so it cannot drift:
//! every `udrv` command line in the Markdown files' shell blocks runs on the virtual board
//! (at a fixed `UDRV_VIRTUAL_TIME`) and prints the output the document shows for it, or is
//! listed here as not runnable with the reason; BENCHMARKS.md's line count of the virtual
//! read is what it prints; what the README says about writes on the virtual board (each
//! command starts it afresh) is what happens.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{stderr, stdout};

const README: &str = include_str!("../../README.md");

fn udrv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(["--board", "virtual"])
        .args(args)
        .env_remove("UDRV_BOARD")
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .env("UDRV_VIRTUAL_TIME", "1000")
        .output()
        .expect("run udrv")
}

/// The README's example commands `udrv WHAT ...` (comments and `--board` dropped) that read
/// named chips or probe: every one must work on the virtual board.
fn examples(what: &str) -> Vec<Vec<String>> {
    README
        .lines()
        .filter_map(|l| l.trim().strip_prefix("udrv "))
        .map(|l| l.split('#').next().unwrap_or_default())
        .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|w| w.first().is_some_and(|c| c == what))
        .filter(|w| !w.iter().any(|a| a.starts_with("--re")))
        .collect()
}

#[test]
fn the_readme_read_and_probe_examples_work_on_the_virtual_board() {
    let reads: Vec<Vec<String>> = examples("read")
        .into_iter()
        .filter(|w| w.iter().any(|a| a.contains('@')))
        .collect();
    assert!(reads.len() >= 2, "{reads:?}");
    for w in reads.iter().chain(&examples("probe")) {
        let args: Vec<&str> = w.iter().map(String::as_str).collect();
        let o = udrv(&args);
        assert!(
            o.status.success() && !stdout(&o).is_empty(),
            "README `udrv {}` on the virtual board: {}",
            args.join(" "),
            stderr(&o)
        );
    }
}

#[test]
fn the_readme_says_each_command_starts_the_virtual_board_afresh() {
    // What happens: a write lasts for its command only. The PCA9685's PRE_SCALE (written
    // while it sleeps, as at power-on) is back at its power-on value in the next command.
    let o = udrv(&["i2c", "set", "-y", "1", "0x41", "0xfe", "0x79"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = udrv(&["i2c", "get", "-y", "1", "0x41", "0xfe"]);
    assert_eq!(stdout(&o).trim(), "0x1e", "the power-on value again");
    // What the README says, where it describes the virtual board.
    let para = README
        .split("\n\n")
        .find(|p| p.contains("`--board virtual` runs"))
        .expect("the README's paragraph on --board virtual");
    assert!(
        para.contains("afresh") && para.contains("`i2c set`"),
        "the README does not say that writes last one command:\n{para}"
    );
}

// ---------------------------------------------------------------------------------------
// Every `udrv` command line of the documentation, run.
//
// The documents are every Markdown file of the workspace. Their command lines are the lines
// of ```sh (or bash, shell) blocks that run `udrv` (or `cargo run -p udrv-cli --`, the same
// program). Each one either runs here on the virtual board or is listed in `NOT_RUN` with
// the reason, so a new command that does neither fails `every_documented_command_runs`.

/// The virtual board's clock for the documents' commands (`UDRV_VIRTUAL_TIME`, seconds since
/// the Unix epoch: 2026-11-22 00:55:24 UTC), unless an output block names its own.
const TIME: &str = "1795308924";

/// A second clock, 100 days later: output the documents show without naming a time must
/// print the same at both (it must not depend on the clock).
const OTHER_TIME: &str = "1803948924";

/// Commands of the documents that do not run on the virtual board: (a pattern, why).
/// A pattern is words that must appear one after the other in the command's arguments (after
/// `udrv`); a word ending in `*` matches any word starting with what comes before it. Every
/// pattern must match at least one command of the documents (`the_lists_match_the_documents`).
const NOT_RUN: &[(&str, &str)] = &[
    (
        "gpio",
        "gpio uses the kernel's GPIO character devices and refuses --board virtual",
    ),
    (
        "uio",
        "uio uses the kernel's UIO devices and refuses --board virtual",
    ),
    (
        "watch",
        "watch follows this machine's kernel uevents (never the virtual board's) until a \
         device comes or its timeout",
    ),
    (
        "capture /dev/*",
        "captures a real serial port (none here) until interrupted",
    ),
    (
        "capture --tap /dev/*",
        "captures two real serial ports (none here) until interrupted",
    ),
    (
        "capture --extcap-install",
        "links udrv into this machine's Wireshark folders (changes the system)",
    ),
    (
        "--board rpi4b",
        "a real board's bus by its role: needs that board's /dev/i2c-1",
    ),
];

/// Files the documents' commands read that no earlier command of theirs writes: (name, why).
/// The test writes each into the folder the commands run in (`provide`); each must be named
/// by a command that runs (`the_lists_match_the_documents`).
const PROVIDED: &[(&str, &str)] = &[
    (
        "examples/serve-virtual.toml",
        "the example configuration of `udrv serve`, in the source tree beside the README",
    ),
    (
        "etc/udrv/udrv.toml",
        "the service's configuration, which the README copies with `sudo cp` from the \
         package's example (the same file as examples/serve-virtual.toml)",
    ),
    (
        "bus.udrvraw",
        "the raw log `capture --raw-log` writes on a real port: one Modbus exchange, written \
     here in the format rs485/README.md gives",
    ),
];

/// Writes the file `name` of `PROVIDED` into `dir`.
fn provide(dir: &Path, name: &str) {
    match name {
        // The same file: the example, and where the README copies it.
        "examples/serve-virtual.toml" | "etc/udrv/udrv.toml" => {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, include_str!("../../examples/serve-virtual.toml")).unwrap();
        }
        "bus.udrvraw" => {
            // rs485/README.md's "Raw log format", little-endian.
            let port = b"/dev/ttyUSB0";
            let mut rest = Vec::new();
            rest.extend_from_slice(&19200u32.to_le_bytes());
            rest.extend_from_slice(&[8, b'E', 1, 1]);
            rest.extend_from_slice(&(port.len() as u16).to_le_bytes());
            rest.extend_from_slice(port);
            rest.extend_from_slice(&200_000u64.to_le_bytes());
            let mut f = b"UDRVRAW\n".to_vec();
            f.extend_from_slice(&1u16.to_le_bytes());
            f.extend_from_slice(&(rest.len() as u16).to_le_bytes());
            f.extend_from_slice(&rest);
            let t0: u64 = TIME.parse::<u64>().unwrap() * 1_000_000_000;
            let record = |f: &mut Vec<u8>, ts: u64, flags: u8, data: &[u8]| {
                f.extend_from_slice(&ts.to_le_bytes());
                f.extend_from_slice(&[0, flags]);
                f.extend_from_slice(&(data.len() as u16).to_le_bytes());
                f.extend_from_slice(data);
            };
            // A read request, a silence (tick), the answer, a silence.
            record(&mut f, t0, 0, &common::frame(&[1, 3, 0, 0, 0, 2]));
            record(&mut f, t0 + 50_000_000, 1, &[]);
            record(
                &mut f,
                t0 + 60_000_000,
                0,
                &common::frame(&[1, 3, 4, 0, 1, 0, 2]),
            );
            record(&mut f, t0 + 110_000_000, 1, &[]);
            std::fs::write(dir.join(name), f).unwrap();
        }
        _ => panic!("PROVIDED names {name} but provide() does not write it"),
    }
}

/// A fenced block of a document.
struct Block {
    /// Its info string (`sh`, `text`, ...).
    lang: String,
    /// The line number (1-based) of its first content line.
    line: usize,
    /// Its lines, without the fence's indentation.
    lines: Vec<String>,
    /// The document's text between the previous block and this one.
    before: String,
    /// Whether a heading lies between the previous block and this one.
    after_heading: bool,
}

/// What a shell line runs of `udrv`.
#[derive(Debug, PartialEq)]
struct Invocation {
    /// `NAME=VALUE` words before the command.
    env: Vec<(String, String)>,
    /// The arguments after `udrv` (or after `cargo run -p udrv-cli --`), up to the first
    /// shell operator.
    args: Vec<String>,
    /// Its standard output goes to a file (`> FILE`).
    redirected: bool,
}

/// The output a document shows for a command.
#[derive(Debug, PartialEq)]
struct Shown {
    /// The line number of the block's first line.
    line: usize,
    /// The block's lines.
    lines: Vec<String>,
    /// The `UDRV_VIRTUAL_TIME` the document names for it.
    time: Option<String>,
}

/// One `udrv` command line of a document.
struct DocCommand {
    /// The document, relative to the workspace.
    doc: String,
    /// Its line number (1-based).
    line: usize,
    /// The line as written (continuation lines joined).
    text: String,
    /// What it runs.
    run: Invocation,
    /// The output the document shows for it.
    shown: Option<Shown>,
}

impl DocCommand {
    /// Where it is, for messages: `DOC:LINE: `the line``.
    fn place(&self) -> String {
        format!("{}:{}: `{}`", self.doc, self.line, self.text)
    }
}

/// The workspace's folder.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every Markdown file of the workspace (not under `target/` or hidden folders), sorted.
fn documents() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    walk(&p, out);
                }
            } else if name.ends_with(".md") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace(), &mut out);
    out.sort();
    out
}

/// The fenced blocks of a Markdown text.
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize, usize, Vec<String>)> = None;
    let mut before = String::new();
    let mut after_heading = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        match open.take() {
            Some((lang, start, indent, lines)) => {
                if t.starts_with("```") {
                    out.push(Block {
                        lang,
                        line: start,
                        lines,
                        before: std::mem::take(&mut before),
                        after_heading,
                    });
                    after_heading = false;
                } else {
                    let cut = line.len() - line.trim_start().len();
                    let mut lines = lines;
                    lines.push(line[cut.min(indent)..].to_string());
                    open = Some((lang, start, indent, lines));
                }
            }
            None => {
                if let Some(info) = t.strip_prefix("```") {
                    let indent = line.len() - t.len();
                    open = Some((info.trim().to_string(), i + 2, indent, Vec::new()));
                } else {
                    if t.starts_with('#') {
                        after_heading = true;
                    }
                    before.push_str(line);
                    before.push('\n');
                }
            }
        }
    }
    out
}

/// A shell word or operator.
#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Op(String),
}

/// Splits a shell command line into words and operators (`|`, `>`, `&&`, ...), as sh
/// would: quotes, backslashes, and a comment from an unquoted `#` starting a word.
fn shell_words(line: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(Tok::Word(std::mem::take(&mut cur)));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            cur.push(chars.next().unwrap())
                        }
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    cur.push(c);
                }
            }
            '|' | '&' | ';' | '<' | '>' => {
                let mut op = String::new();
                // `2>` and `1>`: the number belongs to the redirection.
                if in_word && (cur == "1" || cur == "2") && c == '>' {
                    op = std::mem::take(&mut cur);
                } else if in_word {
                    out.push(Tok::Word(std::mem::take(&mut cur)));
                }
                in_word = false;
                op.push(c);
                while let Some(&n) = chars.peek() {
                    if matches!(n, '|' | '&' | '>') {
                        op.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Op(op));
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(Tok::Word(cur));
    }
    out
}

/// The `udrv` command of a shell line, if it runs one.
fn udrv_command(line: &str) -> Option<Invocation> {
    let toks = shell_words(line);
    let mut words = toks.iter().map_while(|t| match t {
        Tok::Word(w) => Some(w.as_str()),
        Tok::Op(_) => None,
    });
    let mut env = Vec::new();
    let mut w = words.next()?;
    while let Some((name, value)) = w.split_once('=') {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            break;
        }
        env.push((name.to_string(), value.to_string()));
        w = words.next()?;
    }
    if w == "sudo" {
        w = words.next()?;
    }
    let rest: Vec<&str> = words.collect();
    let args: Vec<&str> = match w {
        "udrv" => rest,
        // `cargo run -p udrv-cli -- ARGS` runs `udrv ARGS`.
        "cargo" if rest.first() == Some(&"run") => {
            let dashes = rest.iter().position(|a| *a == "--");
            let before = &rest[..dashes.unwrap_or(rest.len())];
            if !before.contains(&"udrv-cli") {
                return None;
            }
            dashes.map_or(Vec::new(), |d| rest[d + 1..].to_vec())
        }
        _ => return None,
    };
    let redirected = toks
        .iter()
        .any(|t| matches!(t, Tok::Op(o) if o == ">" || o == ">>" || o == "1>"));
    Some(Invocation {
        env,
        args: args.into_iter().map(str::to_string).collect(),
        redirected,
    })
}

/// The time `UDRV_VIRTUAL_TIME=SECONDS` names in `text`, if it names one.
fn named_time(text: &str) -> Option<String> {
    text.split("UDRV_VIRTUAL_TIME=").skip(1).find_map(|t| {
        let n: String = t
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        n.parse::<f64>().is_ok().then_some(n)
    })
}

/// The `udrv` command lines of one document, with the output it shows for them: a ```text
/// block that follows a shell block with only prose between (no heading) shows the output of
/// that block's one `udrv` command.
fn doc_commands(doc: &str, text: &str) -> Vec<DocCommand> {
    let mut out: Vec<DocCommand> = Vec::new();
    let mut last_shell: Option<(usize, usize)> = None; // (its first command, how many)
    for b in blocks(text) {
        match b.lang.as_str() {
            "sh" | "bash" | "shell" | "console" => {
                let first = out.len();
                let mut i = 0;
                while i < b.lines.len() {
                    let line_no = b.line + i;
                    let mut line = b.lines[i].clone();
                    while line.ends_with('\\') && i + 1 < b.lines.len() {
                        line.pop();
                        i += 1;
                        line.push(' ');
                        line.push_str(b.lines[i].trim_start());
                    }
                    i += 1;
                    if let Some(run) = udrv_command(&line) {
                        out.push(DocCommand {
                            doc: doc.to_string(),
                            line: line_no,
                            text: line.split_whitespace().collect::<Vec<_>>().join(" "),
                            run,
                            shown: None,
                        });
                    }
                }
                last_shell = Some((first, out.len() - first));
            }
            "text" => {
                if let Some((first, n)) = last_shell.take().filter(|_| !b.after_heading) {
                    if n == 0 {
                        continue;
                    }
                    assert!(
                        n == 1,
                        "{doc}:{}: this output block follows a block of {n} udrv commands \
                         (from line {}): show one command's output after a block of its own",
                        b.line,
                        out[first].line
                    );
                    let time = named_time(&out[first].text).or_else(|| named_time(&b.before));
                    out[first].shown = Some(Shown {
                        line: b.line,
                        lines: b.lines,
                        time,
                    });
                }
            }
            _ => last_shell = None,
        }
    }
    out
}

/// Every `udrv` command line of the documents.
fn all_doc_commands() -> Vec<DocCommand> {
    let root = workspace();
    documents()
        .iter()
        .flat_map(|p| {
            let doc = p.strip_prefix(&root).unwrap().display().to_string();
            doc_commands(&doc, &std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

/// Whether pattern word `p` matches `word`.
fn word_matches(p: &str, word: &str) -> bool {
    match p.strip_suffix('*') {
        Some(prefix) => word.starts_with(prefix),
        None => word == p,
    }
}

/// The reason `NOT_RUN` gives for not running `args`, if it lists them.
fn not_run(args: &[String]) -> Option<(&'static str, &'static str)> {
    NOT_RUN.iter().copied().find(|(pattern, _)| {
        let p: Vec<&str> = pattern.split_whitespace().collect();
        args.windows(p.len())
            .any(|w| w.iter().zip(&p).all(|(a, p)| word_matches(p, a)))
    })
}

/// Whether `out` is what `shown` shows: the same lines in order (trailing blanks aside),
/// where a line `...` stands for any number of lines, none included.
fn matches_shown(out: &[&str], shown: &[String]) -> bool {
    let segs: Vec<Vec<&str>> = shown
        .split(|l| l.trim() == "...")
        .map(|s| s.iter().map(|l| l.trim_end()).collect())
        .collect();
    let out: Vec<&str> = out.iter().map(|l| l.trim_end()).collect();
    let at = |seg: &[&str], i: usize| out.len() >= i + seg.len() && out[i..i + seg.len()] == *seg;
    let (first, last) = (&segs[0], &segs[segs.len() - 1]);
    if segs.len() == 1 {
        return out == *first;
    }
    // Anchored at both ends; the middle segments found leftmost, in order.
    if !at(first, 0) || out.len() < first.len() + last.len() || !at(last, out.len() - last.len()) {
        return false;
    }
    let end = out.len() - last.len();
    let mut i = first.len();
    for seg in &segs[1..segs.len() - 1] {
        match (i..=end.saturating_sub(seg.len())).find(|&j| j + seg.len() <= end && at(seg, j)) {
            Some(j) => i = j + seg.len(),
            None => return false,
        }
    }
    true
}

/// The arguments the test runs a document's command with, in `dir`: on the virtual board
/// (`--board virtual` unless it names a board), absolute paths outside `/dev` moved into
/// `dir`, and a `read` that would go on forever bounded by its own `-n 1`.
fn test_args(c: &DocCommand, dir: &Path) -> Vec<String> {
    let mut args: Vec<String> = c
        .run
        .args
        .iter()
        .map(|a| {
            let (opt, path) = match a.split_once("=/") {
                Some((o, p)) if o.starts_with('-') => (format!("{o}="), format!("/{p}")),
                _ => (String::new(), a.clone()),
            };
            if path.starts_with('/') && !path.starts_with("/dev/") {
                format!("{opt}{}", dir.join(&path[1..]).display())
            } else {
                a.clone()
            }
        })
        .collect();
    if !args
        .iter()
        .any(|a| a == "--board" || a.starts_with("--board="))
    {
        args.splice(0..0, ["--board".to_string(), "virtual".to_string()]);
    }
    let sub = {
        let mut it = args.iter();
        let mut sub = None;
        while let Some(a) = it.next() {
            if a == "--board" {
                it.next();
            } else if !a.starts_with('-') {
                sub = Some(a.clone());
                break;
            }
        }
        sub
    };
    let has = |names: &[&str]| args.iter().any(|a| names.iter().any(|n| a.starts_with(n)));
    if sub.as_deref() == Some("read") && has(&["-w", "--watch"]) && !has(&["-n", "--count"]) {
        args.extend(["-n".to_string(), "1".to_string()]);
    }
    args
}

/// Runs a document's command as the test runs it (`test_args`) in `dir`, at `time`, with no
/// standard input (a write that asks first is refused, never left waiting).
fn run_doc_command(c: &DocCommand, dir: &Path, time: &str) -> (Vec<String>, Output) {
    let args = test_args(c, dir);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_udrv"));
    cmd.args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_remove("UDRV_BOARD")
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .env("UDRV_VIRTUAL_TIME", time);
    for (k, v) in &c.run.env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("run udrv");
    (args, o)
}

#[test]
fn every_documented_command_runs() {
    let commands = all_doc_commands();
    assert!(
        commands.iter().any(|c| c.shown.is_some()),
        "no udrv command with its output found in the documents: is the parser broken?"
    );
    let mut failures = Vec::new();
    let mut ran = 0;
    // The commands of one document run in order in one folder (a later one may read what an
    // earlier one wrote, as `read --replay s.rec` after `read ... --record s.rec`).
    let mut dirs: Vec<(String, tempfile::TempDir)> = Vec::new();
    for c in &commands {
        if let Some((pattern, why)) = not_run(&c.run.args) {
            println!("not run: {} (`{pattern}`: {why})", c.place());
            continue;
        }
        if !dirs.iter().any(|(d, _)| *d == c.doc) {
            let dir = tempfile::tempdir().unwrap();
            for (name, _) in PROVIDED {
                provide(dir.path(), name);
            }
            dirs.push((c.doc.clone(), dir));
        }
        let dir = dirs.iter().find(|(d, _)| *d == c.doc).unwrap().1.path();
        let times: Vec<&str> = match &c.shown {
            Some(Shown { time: Some(t), .. }) => vec![t.as_str()],
            Some(Shown { time: None, .. }) => vec![TIME, OTHER_TIME],
            None => vec![TIME],
        };
        for time in times {
            ran += 1;
            let (args, o) = run_doc_command(c, dir, time);
            println!("ran: {} as `udrv {}`", c.place(), args.join(" "));
            let how = format!(
                "{}\n  ran: UDRV_VIRTUAL_TIME={time} udrv {}",
                c.place(),
                args.join(" ")
            );
            if !o.status.success() {
                failures.push(format!(
                    "{how}\n  exit status {:?}: {}\n  (if it cannot run on the virtual \
                     board, list it in NOT_RUN with the reason)",
                    o.status.code(),
                    stderr(&o).trim_end()
                ));
                continue;
            }
            let out = stdout(&o);
            if c.run.redirected && out.is_empty() {
                failures.push(format!("{how}\n  printed nothing to write to its file"));
            }
            if let Some(shown) = &c.shown {
                let lines: Vec<&str> = out.lines().collect();
                if !matches_shown(&lines, &shown.lines) {
                    let missing: Vec<&String> = shown
                        .lines
                        .iter()
                        .filter(|l| l.trim() != "..." && !lines.contains(&l.trim_end()))
                        .collect();
                    let clock = if shown.time.is_none() {
                        "\n  (the document names no UDRV_VIRTUAL_TIME for it, so it must \
                         print this at any time; if its output moves with the clock, name \
                         the time it shows in the text before the block)"
                    } else {
                        ""
                    };
                    failures.push(format!(
                        "{how}\n  does not print what {}:{} shows (`...` stands for \
                         more lines).\n  Shown lines it did not print: {missing:#?}{clock}\n  \
                         It printed:\n{out}",
                        c.doc, shown.line
                    ));
                }
            }
        }
    }
    assert!(ran > 0, "no documented command ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_lists_match_the_documents() {
    let commands = all_doc_commands();
    for (pattern, why) in NOT_RUN {
        assert!(
            commands
                .iter()
                .any(|c| not_run(&c.run.args).is_some_and(|(p, _)| p == *pattern)),
            "NOT_RUN lists `{pattern}` ({why}), but no udrv command line of the documents \
             matches it (or an earlier pattern takes them all): remove it"
        );
    }
    for (name, why) in PROVIDED {
        assert!(
            commands.iter().any(|c| not_run(&c.run.args).is_none()
                    // An absolute path (`/etc/udrv/udrv.toml`) runs inside the folder.
                    && c.run.args.iter().any(|a| a.trim_start_matches('/') == *name)),
            "PROVIDED writes {name} ({why}), but no command that runs names it: remove it"
        );
    }
}

#[test]
fn benchmarks_count_the_lines_the_virtual_read_prints() {
    let o = Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(["--board", "virtual", "read"])
        .env_remove("UDRV_BOARD")
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .env("UDRV_VIRTUAL_TIME", TIME)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = stdout(&o).lines().count();
    let text = std::fs::read_to_string(workspace().join("BENCHMARKS.md")).unwrap();
    // Every "N lines" in BENCHMARKS.md's paragraphs on the virtual board's read.
    let said: Vec<usize> = text
        .split("\n\n")
        .filter(|p| p.contains("virtual board"))
        .flat_map(|p| {
            let words: Vec<&str> = p.split_whitespace().collect();
            words
                .windows(2)
                .filter(|w| w[1].trim_end_matches([',', ')', '.', ';', ':']) == "lines")
                .filter_map(|w| w[0].parse::<usize>().ok())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        !said.is_empty(),
        "BENCHMARKS.md no longer says how many lines `udrv --board virtual read` prints"
    );
    for n in said {
        assert_eq!(
            n,
            printed,
            "BENCHMARKS.md says `udrv --board virtual read` prints {n} lines; it prints \
             {printed}:\n{}",
            stdout(&o)
        );
    }
}

#[test]
fn the_command_parser_reads_shell_as_sh_does() {
    // The parts the tests above rely on, each able to fail.
    assert_eq!(
        shell_words(r#"udrv capture /dev/ttyUSB0 -l "19200 8E1" -w - | wireshark  # x"#),
        [
            "udrv",
            "capture",
            "/dev/ttyUSB0",
            "-l",
            "19200 8E1",
            "-w",
            "-"
        ]
        .map(|w| Tok::Word(w.into()))
        .into_iter()
        .chain([Tok::Op("|".into()), Tok::Word("wireshark".into())])
        .collect::<Vec<_>>()
    );
    assert_eq!(
        udrv_command("UDRV_VIRTUAL_TIME=5 udrv completions bash > /etc/x"),
        Some(Invocation {
            env: vec![("UDRV_VIRTUAL_TIME".to_string(), "5".to_string())],
            args: vec!["completions".to_string(), "bash".to_string()],
            redirected: true,
        })
    );
    let run = udrv_command("cargo run -p udrv-cli -- --board virtual read").unwrap();
    assert_eq!(run.args, ["--board", "virtual", "read"]);
    assert!(!run.redirected);
    assert!(udrv_command("cargo xtask test").is_none());
    let doc = "```sh\nudrv a \\\n  b\n```\n\nat `UDRV_VIRTUAL_TIME=12.5`:\n\n```text\nx\n```\n\
               # heading\n```sh\nudrv c\n```\n# h\n```text\ny\n```\n";
    let c = doc_commands("d", doc);
    assert_eq!(c.len(), 2);
    assert_eq!(
        (c[0].line, c[0].run.args.clone()),
        (2, vec!["a".into(), "b".into()])
    );
    assert_eq!(
        c[0].shown,
        Some(Shown {
            line: 9,
            lines: vec!["x".to_string()],
            time: Some("12.5".to_string())
        })
    );
    assert_eq!(c[1].shown, None, "a heading parts a command from a block");
    let s = |v: &[&str]| v.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches_shown(&["a", "b", "c"], &s(&["a", "...", "c"])));
    assert!(matches_shown(&["a", "b", "c"], &s(&["a", "b", "c", "..."])));
    assert!(matches_shown(&["a", "b", "c"], &s(&["...", "b", "..."])));
    assert!(!matches_shown(&["a", "b", "c"], &s(&["a", "b"])));
    assert!(!matches_shown(
        &["a", "b", "c"],
        &s(&["...", "c", "b", "..."])
    ));
    assert!(!matches_shown(&["a", "b", "c"], &s(&["a", "...", "b"])));
    assert!(!matches_shown(&["a"], &s(&["a", "...", "a"])));
}

#[test]
fn a_documented_read_that_repeats_runs_one_round() {
    // `read -w SECONDS` alone reads until interrupted: the test bounds it with `-n 1`.
    let c = DocCommand {
        doc: "d".to_string(),
        line: 1,
        text: "udrv read -w 1 bme280@i2c-1:0x76".to_string(),
        run: udrv_command("udrv read -w 1 bme280@i2c-1:0x76").unwrap(),
        shown: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let want = "--board virtual read -w 1 bme280@i2c-1:0x76 -n 1";
    assert_eq!(test_args(&c, dir.path()).join(" "), want);
    let (_, o) = run_doc_command(&c, dir.path(), TIME);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
}

#[test]
fn paths_outside_dev_go_into_the_tests_folder() {
    let line = "udrv man --dir /usr/share/man/man1 --x=/etc/y /dev/spidev0.0";
    let c = DocCommand {
        doc: "d".to_string(),
        line: 1,
        text: line.to_string(),
        run: udrv_command(line).unwrap(),
        shown: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    assert_eq!(
        test_args(&c, dir.path()).join(" "),
        format!("--board virtual man --dir {d}/usr/share/man/man1 --x={d}/etc/y /dev/spidev0.0")
    );
}
