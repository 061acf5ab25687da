//! `udrv man`: the manual pages, one per command as git has them: `udrv(1)` with the
//! commands listed, `udrv-i2c(1)` with its subcommands, `udrv-i2c-get(1)` and so on. Each
//! page has the command's synopsis, description and options (from clap's definitions, so
//! they match `--help`), then EXAMPLES, ENVIRONMENT, EXIT STATUS and SEE ALSO.
//!
//! `udrv man` prints `udrv(1)`, `udrv man i2c get` (or `udrv man udrv-i2c-get`) one page,
//! and `udrv man --dir DIR` writes them all (what the Debian package and the tarball ship).

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;
use udrv_boards::BoardId;

use crate::{Cli, Failure, Outcome};

/// `udrv man`
#[derive(Args, Debug)]
pub struct ManArgs {
    /// The command whose page to print, as its words (`i2c get`) or as the page's name
    /// (`udrv-i2c-get`); without it, the page of udrv itself, udrv(1).
    #[arg(value_name = "COMMAND")]
    command: Vec<String>,
    /// Write every page (udrv.1, udrv-i2c.1, udrv-i2c-get.1, ...) into DIR, created when
    /// missing, and print the path of each file written, instead of printing one page.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    dir: Option<PathBuf>,
}

/// What roff's writer puts first in every piece it renders (clap_mangen renders each
/// section apart): kept once, at the top of the page.
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// One page: a command of the tree and where it sits.
struct Page {
    /// The command (built: its bin name is `udrv i2c get`, its display name `udrv-i2c-get`).
    cmd: clap::Command,
    /// The words after `udrv` (`["i2c", "get"]`).
    path: Vec<String>,
}

impl Page {
    /// `udrv-i2c-get`: the page's name, and its file's without `.1`.
    fn name(&self) -> String {
        std::iter::once("udrv")
            .chain(self.path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The parent's page name (none for udrv(1)).
    fn parent(&self) -> Option<String> {
        (!self.path.is_empty()).then(|| {
            std::iter::once("udrv")
                .chain(self.path[..self.path.len() - 1].iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("-")
        })
    }
}

/// Every page, udrv(1) first, each parent before its subcommands. clap's `help`
/// subcommand has no page (`--help` is documented on every page instead).
fn pages() -> Vec<Page> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Page>) {
        out.push(Page {
            cmd: cmd.clone(),
            path: path.clone(),
        });
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, out);
        }
    }
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut out = Vec::new();
    walk(&root, Vec::new(), &mut out);
    out
}

/// The page of one command, as roff.
fn render(page: &Page, all: &[Page]) -> std::io::Result<String> {
    let man = Man::new(page.cmd.clone())
        .title(page.name())
        .source(format!("udrv {}", env!("CARGO_PKG_VERSION")))
        .manual("udrv manual");
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    if page.cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf)?;
    }
    if page.cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut buf)?;
    }
    let mut roff = Roff::new();
    if let Some(after) = page
        .cmd
        .get_after_long_help()
        .or_else(|| page.cmd.get_after_help())
    {
        roff.control("SH", ["NOTES"]);
        for line in after.to_string().lines() {
            if line.trim().is_empty() {
                roff.control("PP", []);
            } else {
                roff.text([roman(line)]);
            }
        }
    }
    examples_section(&mut roff, &page.path);
    environment_section(&mut roff);
    exit_status_section(&mut roff);
    see_also_section(&mut roff, page, all);
    roff.to_writer(&mut buf)?;
    man.render_version_section(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).replace(PREAMBLE, "");
    Ok(format!("{PREAMBLE}{text}"))
}

/// A list of `.TP` entries: a bold tag, then its text.
fn tagged(roff: &mut Roff, heading: &str, entries: &[(String, String)]) {
    roff.control("SH", [heading]);
    for (tag, text) in entries {
        roff.control("TP", []);
        roff.text([bold(tag.as_str())]);
        roff.text([roman(text.as_str())]);
    }
}

fn examples_section(roff: &mut Roff, path: &[String]) {
    let key = path.join(" ");
    let entries: Vec<(String, String)> = EXAMPLES
        .iter()
        .filter(|(cmd, _, _)| *cmd == key)
        .map(|(_, line, what)| (line.to_string(), what.to_string()))
        .collect();
    tagged(roff, "EXAMPLES", &entries);
}

fn environment_section(roff: &mut Roff) {
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

fn exit_status_section(roff: &mut Roff) {
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
fn see_also_section(roff: &mut Roff, page: &Page, all: &[Page]) {
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

/// Examples per command (its words after `udrv`): the command line, what it does. Those on
/// `--board virtual` run anywhere, and the tests run them.
const EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "",
        "udrv board info",
        "Which board this is, its buses (enabled or not, and the line of config.txt or \
         uEnv.txt that enables them) and GPIO chips.",
    ),
    (
        "",
        "udrv --board virtual read",
        "Read every chip of the virtual board: simulated buses and chips, no hardware.",
    ),
    (
        "",
        "udrv i2c detect -y 1",
        "Scan I2C bus 1 for chips, as i2cdetect -y 1.",
    ),
    (
        "",
        "udrv read bme280@i2c-1:0x76 --json",
        "Read a BME280 through its driver, as one JSON object.",
    ),
    (
        "i2c",
        "udrv --board virtual i2c list",
        "The I2C buses of the virtual board.",
    ),
    (
        "i2c",
        "udrv i2c get -y 1 0x76 0xd0",
        "Read register 0xd0 of the chip at 0x76 on bus 1 (a BME280 answers 0x60).",
    ),
    (
        "i2c list",
        "udrv i2c list",
        "The I2C buses, as i2cdetect -l.",
    ),
    (
        "i2c list",
        "udrv --board virtual --json i2c list",
        "The virtual board's buses as a JSON array.",
    ),
    (
        "i2c detect",
        "udrv --board virtual i2c detect -y 1",
        "Scan the virtual board's I2C bus.",
    ),
    (
        "i2c detect",
        "udrv i2c detect -F 1",
        "What the adapter of bus 1 can do (I2C_FUNCS).",
    ),
    (
        "i2c get",
        "udrv --board virtual i2c get -y 1 0x76 0xd0",
        "Read the BME280's chip ID register (0x60).",
    ),
    (
        "i2c get",
        "udrv i2c get -y 1 0x48 0x00 w",
        "Read a word register (an LM75's temperature).",
    ),
    (
        "i2c set",
        "udrv --board virtual i2c set -y 1 0x41 0x00 0x01",
        "Write 0x01 into register 0x00 (MODE1) of the virtual PCA9685.",
    ),
    (
        "i2c set",
        "udrv i2c set -y -m i 1 0x50 0x00 0x12 0x34",
        "Write two bytes from register 0x00 as one I2C block write.",
    ),
    (
        "i2c dump",
        "udrv --board virtual i2c dump -y -r 0xd0-0xdf 1 0x76",
        "Dump registers 0xd0-0xdf of the virtual BME280.",
    ),
    (
        "i2c transfer",
        "udrv --board virtual i2c transfer -y 1 w2@0x50 0x00 0x00 r16",
        "Set the EEPROM's address pointer to 0x0000 and read 16 bytes, in one transaction \
         (a repeated start between the messages).",
    ),
    ("gpio", "udrv gpio info", "Every line of every GPIO chip."),
    (
        "gpio detect",
        "udrv gpio detect",
        "The GPIO chips, as gpiodetect.",
    ),
    (
        "gpio info",
        "udrv gpio info gpiochip0",
        "The lines of one chip: name, direction, consumer.",
    ),
    (
        "gpio get",
        "udrv gpio get GPIO17",
        "Read a line by its name.",
    ),
    (
        "gpio get",
        "udrv --json gpio get -c gpiochip0 17 27",
        "Read two lines given as offsets, as JSON.",
    ),
    (
        "gpio set",
        "udrv gpio set -y GPIO17=1",
        "Drive a line high and exit (the kernel decides what the line does next).",
    ),
    (
        "gpio set",
        "udrv gpio set -y --hold GPIO17=1",
        "Drive a line high until Ctrl-C.",
    ),
    (
        "gpio mon",
        "udrv gpio mon -e rising -n 1 GPIO27",
        "Wait for one rising edge on a line and print it.",
    ),
    (
        "gpio notify",
        "udrv gpio notify -e requested -n 1 GPIO17",
        "Wait until a program requests a line and print who (as gpionotify).",
    ),
    (
        "spi",
        "udrv --board virtual spi transfer -y 1.1 9f 00 00 00",
        "Read the JEDEC ID of the virtual board's W25Q32 flash.",
    ),
    (
        "spi transfer",
        "udrv --board virtual spi transfer -y 1.1 9f 00 00 00",
        "Send 0x9f and three bytes; print the four bytes received (the JEDEC ID after the \
         first).",
    ),
    (
        "spi transfer",
        "udrv spi transfer -y -s 1000000 /dev/spidev0.0 01 80 00",
        "One MCP3008 conversion of channel 0 at 1 MHz.",
    ),
    ("uio", "udrv uio list", "The UIO devices."),
    (
        "uio list",
        "udrv --json uio list",
        "The UIO devices as a JSON array.",
    ),
    (
        "uio info",
        "udrv uio info uio0",
        "A device's name, version, interrupt count and memory maps.",
    ),
    (
        "uio wait",
        "udrv uio wait -n 3 -t 5000 uio0",
        "Wait for three interrupts, giving up after 5 s without one.",
    ),
    (
        "board",
        "udrv --board virtual board pins",
        "The virtual board's header.",
    ),
    (
        "board info",
        "udrv board info",
        "This board, its buses and how to enable them.",
    ),
    (
        "board info",
        "udrv --board virtual --json board info",
        "The virtual board, as one JSON object.",
    ),
    (
        "board pins",
        "udrv --board virtual board pins",
        "The virtual board's header, with the levels of its GPIO lines.",
    ),
    (
        "board pins",
        "udrv --board rpi4b board pins --no-values",
        "A Raspberry Pi 4's header, without touching any line.",
    ),
    (
        "read",
        "udrv --board virtual read",
        "Every chip of the virtual board, one reading per line.",
    ),
    (
        "read",
        "udrv --board virtual read --json -n 2 -w 0.5 lm75@1:0x4f",
        "Two readings of the virtual LM75, half a second apart, one JSON object per line.",
    ),
    (
        "read",
        "udrv read --list",
        "The chips udrv read knows, their addresses and what a read sends.",
    ),
    (
        "read",
        "udrv read bme280@i2c-1:0x76 --record bme.log",
        "Read a BME280 and record every bus transaction into bme.log; udrv read --replay \
         bme.log reads it again without the hardware.",
    ),
    (
        "probe",
        "udrv --board virtual probe 1",
        "Identify the chips on the virtual board's I2C bus.",
    ),
    (
        "probe",
        "udrv probe --board rpi4b i2c_arm",
        "Identify the chips on a Raspberry Pi's header I2C bus, by its role.",
    ),
    (
        "serve",
        "udrv serve --check /etc/udrv/udrv.toml",
        "Check the configuration: every mistake with its line and column, status 2 if any.",
    ),
    (
        "serve",
        "UDRV_BOARD=virtual udrv serve --config examples/serve-virtual.toml --count 20",
        "The example configuration on the virtual board (from a udrv source tree): 20 \
         readings as JSON lines.",
    ),
    (
        "serve",
        "udrv serve",
        "Run as the service with /etc/udrv/udrv.toml until SIGTERM; SIGHUP reloads the file.",
    ),
    (
        "capture",
        "udrv capture /dev/ttyUSB0 -l '9600 8N1' -w bus.pcapng",
        "Capture a Modbus RTU line at 9600 8N1 into a file for Wireshark.",
    ),
    (
        "capture",
        "udrv capture /dev/ttyUSB0 -w - | wireshark -k -i -",
        "Watch the frames live in Wireshark.",
    ),
    (
        "capture",
        "udrv capture --extcap-install",
        "Make the capture an interface in Wireshark's list.",
    ),
    (
        "watch",
        "udrv watch --class serial -c 1",
        "Wait for the next serial adapter to be plugged in or out.",
    ),
    (
        "watch",
        "udrv watch --wait /dev/ttyUSB0 --timeout 30",
        "Wait until /dev/ttyUSB0 exists (status 1 after 30 s without it).",
    ),
    (
        "completions",
        "udrv completions bash > /etc/bash_completion.d/udrv",
        "Install the bash completions (the Debian package installs them for bash, zsh and \
         fish).",
    ),
    (
        "man",
        "udrv man i2c get | man -l -",
        "Read the page of udrv i2c get without installing it.",
    ),
    (
        "man",
        "udrv man --dir /usr/local/share/man/man1",
        "Install every page.",
    ),
];

/// The page of the command `words` names: its words (`i2c get`) or one page name
/// (`udrv-i2c-get`, `udrv-i2c-get.1`).
fn find<'a>(all: &'a [Page], words: &[String]) -> Result<&'a Page, Failure> {
    let wanted = match words {
        [one] if one.starts_with("udrv") => one.trim_end_matches(".1").to_string(),
        _ => std::iter::once("udrv")
            .chain(words.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-"),
    };
    all.iter().find(|p| p.name() == wanted).ok_or_else(|| {
        let known: Vec<String> = all
            .iter()
            .filter(|p| !p.path.is_empty())
            .map(|p| p.path.join(" "))
            .collect();
        Failure::usage(format!(
            "udrv man: no command `{}`: the commands are {}",
            words.join(" "),
            known.join(", ")
        ))
    })
}

/// Writes every page into `dir`, returning their paths.
fn write_all(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::op(format!(
            "udrv man: cannot create {}: {e} (choose a directory you can write)",
            dir.display()
        ))
    })?;
    let all = pages();
    let mut written = Vec::new();
    for page in &all {
        let file = dir.join(format!("{}.1", page.name()));
        let text = render(page, &all).map_err(Failure::op)?;
        std::fs::write(&file, text)
            .map_err(|e| Failure::op(format!("udrv man: cannot write {}: {e}", file.display())))?;
        written.push(file);
    }
    Ok(written)
}

/// The page of the command `words` names (`["i2c", "get"]`; none for udrv(1)), as roff.
pub fn page(words: &[&str]) -> Result<String, Failure> {
    let all = pages();
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    render(find(&all, &words)?, &all).map_err(Failure::op)
}

/// Runs `udrv man`.
pub fn run(a: &ManArgs) -> Outcome {
    if let Some(dir) = &a.dir {
        for file in write_all(dir)? {
            outln!("{}", file.display());
        }
        return Ok(());
    }
    let words: Vec<&str> = a.command.iter().map(String::as_str).collect();
    out!("{}", page(&words)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example is for a command that exists, and every command has one.
    #[test]
    fn examples_name_existing_commands_and_cover_every_page() {
        let all = pages();
        for (cmd, line, _) in EXAMPLES {
            assert!(
                all.iter().any(|p| p.path.join(" ") == *cmd),
                "example for unknown command `{cmd}`: {line}"
            );
            assert!(
                cmd.is_empty() || format!("{line} ").contains(&format!(" {cmd} ")),
                "example `{line}` is filed under `{cmd}`"
            );
        }
        for p in &all {
            assert!(
                EXAMPLES.iter().any(|(c, _, _)| *c == p.path.join(" ")),
                "no example for `udrv {}`",
                p.path.join(" ")
            );
        }
    }
}
