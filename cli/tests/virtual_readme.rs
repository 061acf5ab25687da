//! The README's word on the virtual board, checked against the built binary: its `udrv read`
//! and `udrv probe` examples run on the virtual board, and what it says about writes there
//! (each command starts the board afresh) is what happens.

mod common;

use std::process::{Command, Output};

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
