//! The sections every page has after clap's: EXAMPLES, ENVIRONMENT, EXIT STATUS and SEE
//! ALSO.

use clap_mangen::roff::{bold, roman, Roff};
use udrv_boards::BoardId;

use super::examples::EXAMPLES;
use super::Page;

/// A list of `.TP` entries: a bold tag, then its text.
pub(super) fn tagged(roff: &mut Roff, heading: &str, entries: &[(String, String)]) {
    roff.control("SH", [heading]);
    for (tag, text) in entries {
        roff.control("TP", []);
        roff.text([bold(tag.as_str())]);
        roff.text([roman(text.as_str())]);
    }
}

pub(super) fn examples_section(roff: &mut Roff, path: &[String]) {
    let key = path.join(" ");
    let entries: Vec<(String, String)> = EXAMPLES
        .iter()
        .filter(|(cmd, _, _)| *cmd == key)
        .map(|(_, line, what)| (line.to_string(), what.to_string()))
        .collect();
    tagged(roff, "EXAMPLES", &entries);
}

pub(super) fn environment_section(roff: &mut Roff) {
    let boards = BoardId::supported_list();
    let entries = [
        (
            "UDRV_BOARD".to_string(),
            format!(
                "The board, as --board NAME names it (--board wins): {boards}. Without \
                 either, the board is detected from the device tree \
                 (/proc/device-tree/compatible and model). \"virtual\" is the simulated \
                 board: every bus and chip inside udrv, no hardware needed."
            ),
        ),
        (
            "UDRV_VIRTUAL_TIME".to_string(),
            "On the virtual board: the time of its simulated world, in seconds since the Unix \
             epoch (e.g. 1000 or 100.5), instead of the wall clock, so that every run reads \
             the same values."
                .to_string(),
        ),
        (
            "UDRV_VIRTUAL_FAULTS".to_string(),
            "On the virtual board: faults injected into its buses, to see what udrv does when \
             a chip does not answer. Rules separated by \";\", each \
             BUS[@ADDR]:FAULT[:OPTION]...: BUS is i2c or spi, @ADDR one I2C address; FAULT \
             is nack-addr, nack-data, timeout, eio, eagain or ebusy; options are after=N \
             (let N operations through first), times=N (fail N of them), reads, writes, \
             sent (the operation reaches the chip, then fails) and partial=N (only N bytes \
             written reach the chip). Example: i2c@0x50:nack-data:times=1. Real buses are \
             never affected."
                .to_string(),
        ),
        (
            "UDRV_MACHINE_ID_FILE".to_string(),
            "udrv serve: the machine ID file the board's name derives from when the \
             configuration names none (default /etc/machine-id; the name is m and 12 hex \
             digits of an HMAC of the ID, not the ID itself)."
                .to_string(),
        ),
        (
            "UDRV_ROOT".to_string(),
            "The directory that board detection and udrv board read instead of / \
             (proc/device-tree, sys, dev under it): to inspect another system's files."
                .to_string(),
        ),
        (
            "UDRV_GPIO_ABI".to_string(),
            "v1 or v2: the GPIO character device uAPI to use (default: v2, falling back to \
             v1 on kernels without it)."
                .to_string(),
        ),
    ];
    tagged(roff, "ENVIRONMENT", &entries);
}

pub(super) fn exit_status_section(roff: &mut Roff) {
    let entries = [
        ("0", "Success."),
        (
            "1",
            "The operation failed: a device could not be opened or did not answer, a chip \
             read failed, a wait ended without what it waited for (uio wait --timeout-ms, \
             watch --timeout with -c or --wait), a captured port went away.",
        ),
        (
            "2",
            "Bad usage: an unknown option, a malformed argument, or a write refused because \
             -y was not given and standard input is not a terminal (nobody can confirm).",
        ),
        (
            "141",
            "Standard output was closed by its reader (udrv ... | head -1): udrv stops \
             quietly, as a program killed by SIGPIPE does.",
        ),
    ];
    let entries: Vec<(String, String)> = entries
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    tagged(roff, "EXIT STATUS", &entries);
    roff.control("PP", []);
    roff.text([roman(
        "The reason is one line on standard error, naming the device and what to do. With \
         --json it is one JSON object instead, {\"error\": MESSAGE, \"exit\": STATUS, ...}, \
         for bad usage too.",
    )]);
}

/// The parent page, then the other subcommands of the same parent; for udrv(1), where to
/// start.
pub(super) fn see_also_section(roff: &mut Roff, page: &Page, all: &[Page]) {
    let refs: Vec<String> = match page.parent() {
        Some(parent) => std::iter::once(parent.clone())
            .chain(
                all.iter()
                    .filter(|p| p.parent().as_deref() == Some(parent.as_str()))
                    .map(Page::name)
                    .filter(|n| *n != page.name()),
            )
            .collect(),
        None => ["udrv-board", "udrv-read", "udrv-i2c", "udrv-capture"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    roff.control("SH", ["SEE ALSO"]);
    let list: Vec<String> = refs.iter().map(|r| format!("{r}(1)")).collect();
    roff.text([roman(format!("{}.", list.join(", ")))]);
}
