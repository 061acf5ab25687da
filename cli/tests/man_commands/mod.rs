//! Every `udrv` command, found the way a user finds them: by reading `udrv --help`, then
//! `udrv CMD --help` for each command it lists, and so on down (`mod man_commands;` in the
//! test files that check something of every command). Independent of the man page and
//! completion generators, which read clap's command tree directly.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// `udrv args...` with no standard input.
pub fn udrv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run udrv")
}

/// `udrv PATH... --help` as text.
pub fn help(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let o = udrv(&args);
    assert!(o.status.success(), "udrv {args:?} failed");
    String::from_utf8(o.stdout).expect("help is UTF-8")
}

/// The entries of a `Heading:` section of help text: each line indented by two spaces up
/// to the first blank line, its first word (continuation lines, indented deeper, are
/// skipped).
fn section<'a>(help: &'a str, heading: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// The subcommands `udrv PATH... --help` lists (without clap's `help`).
pub fn subcommands(path: &[String]) -> Vec<String> {
    section(&help(path), "Commands:")
        .into_iter()
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

/// Every command as its words after `udrv` (`["i2c", "get"]`), parents before their
/// subcommands, the top-level command (no words) first.
pub fn all() -> Vec<Vec<String>> {
    let mut found = vec![vec![]];
    let mut i = 0;
    while i < found.len() {
        let path = found[i].clone();
        for sub in subcommands(&path) {
            let mut p = path.clone();
            p.push(sub);
            found.push(p);
        }
        i += 1;
    }
    found
}

/// The commands that do something themselves (have no subcommands).
pub fn leaves() -> Vec<Vec<String>> {
    let all = all();
    all.iter()
        .filter(|p| {
            !all.iter()
                .any(|q| q.len() == p.len() + 1 && q.starts_with(p))
        })
        .cloned()
        .collect()
}

/// The long options (`--json`) `udrv PATH... --help` lists.
pub fn long_options(path: &[String]) -> Vec<String> {
    let text = help(path);
    let mut opts: Vec<String> = text
        .lines()
        .skip_while(|l| *l != "Options:")
        // Option lines are indented 2 to 6 spaces; descriptions (long help) deeper.
        .filter(|l| l.len() - l.trim_start().len() < 8 && l.trim_start().starts_with('-'))
        .filter_map(|l| {
            l.split([',', ' ', '[', '='])
                .find(|w| w.starts_with("--") && w.len() > 2)
                .map(String::from)
        })
        .collect();
    opts.dedup();
    opts
}
