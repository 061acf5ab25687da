//! `udrv`: one command-line tool for I2C, SPI, GPIO, UIO, boards and RS485 capture.
//!
//! The CLI holds no bus logic: each command parses and validates its arguments completely
//! (nothing touches a device before that), calls `udrv-core` (or the boards, drivers and
//! rs485 crates), and prints text in the conventions of the tools people know (i2c-tools,
//! libgpiod) or, with `--json`, JSON (one object per line for streams).

/// `println!` for the CLI's output: see [`out::emit`] (a closed pipe ends the process
/// quietly instead of panicking).
macro_rules! outln {
    () => { $crate::out::emit(format_args!("\n")) };
    ($($t:tt)*) => { $crate::out::emit(format_args!("{}\n", format_args!($($t)*))) };
}

/// `print!` for the CLI's output: see [`out::emit`].
macro_rules! out {
    ($($t:tt)*) => { $crate::out::emit(format_args!($($t)*)) };
}

mod board;
mod capture;
mod gpio;
mod i2c;
mod iio;
mod man;
mod open;
mod out;
mod probe;
mod pwm;
mod read;
#[cfg(feature = "serve")]
mod serve;
mod spi;
mod uio;
mod w1;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// What `udrv --help` and udrv(1) say first.
const LONG_ABOUT: &str = "udrv: one command-line tool for I2C, SPI, GPIO, UIO, boards and \
RS485 capture on Linux.

udrv drives peripherals from user space: I2C buses and chips (in the conventions of \
i2c-tools), SPI devices (spidev), GPIO lines (in those of libgpiod), UIO devices, the board's \
header and buses, and RS485 lines captured into pcap files for Wireshark. Every command \
checks all its arguments before it touches a device. With --board virtual, every bus and \
chip is simulated inside udrv: the commands can be tried without hardware.

With --json, commands print JSON: those that print as things happen (read, gpio mon, uio \
wait, watch) one object per line, the others one document; an error is one JSON object on \
standard error. Each command has its own page (udrv man COMMAND), listed below.";

/// Command-line tool for Linux peripherals: I2C, SPI, GPIO, UIO, boards, RS485 capture.
#[derive(Parser, Debug)]
#[command(
    name = "udrv",
    version,
    about,
    long_about = LONG_ABOUT,
    propagate_version = true
)]
pub struct Cli {
    /// Board to use: detected from the device tree by default; `virtual` simulates every
    /// bus and chip (also from the UDRV_BOARD environment variable).
    #[arg(
        long,
        global = true,
        env = "UDRV_BOARD",
        value_name = "NAME",
        value_parser = BoardName
    )]
    pub board: Option<String>,
    /// Print JSON instead of text (one object per line for streams).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

/// `--board`'s value: any name is taken here (the boards crate checks it, naming the
/// boards it knows when it is not one of them); the known boards are its possible values,
/// which the shell completions offer and the help lists.
#[derive(Clone, Debug)]
struct BoardName;

impl clap::builder::TypedValueParser for BoardName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let name = clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)?;
        // An unknown board is a bad argument (exit 2), named with the boards udrv knows.
        board::name(&name)
            .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{e}\n")))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(udrv_boards::BoardId::ALL.iter().map(|b| {
            clap::builder::PossibleValue::new(b.slug()).help(b.name())
        })))
    }
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// I2C buses: list, detect, get, set, dump, transfer (i2c-tools conventions).
    #[command(subcommand)]
    I2c(i2c::Cmd),
    /// GPIO lines: detect, info, get, set, mon (libgpiod conventions; lines by name).
    #[command(subcommand)]
    Gpio(gpio::Cmd),
    /// SPI devices: transfer (hex in, hex out).
    #[command(subcommand)]
    Spi(spi::Cmd),
    /// UIO devices: list, info, wait for interrupts.
    #[command(subcommand)]
    Uio(uio::Cmd),
    /// IIO devices a kernel driver drives: list, read (scale and offset applied).
    #[command(subcommand)]
    Iio(iio::Cmd),
    /// 1-Wire devices: list, read thermometers (DS18B20 and relatives, CRC-checked).
    #[command(subcommand)]
    W1(w1::Cmd),
    /// PWM outputs a kernel driver drives: list, set a channel's frequency and duty.
    #[command(subcommand)]
    Pwm(pwm::Cmd),
    /// The board: model, buses and how to enable them, the header pins.
    #[command(subcommand)]
    Board(board::Cmd),
    /// Read known chips through their drivers: `read bme280@i2c-1:0x76`; with
    /// `--board virtual` and no chip, every chip of the virtual board.
    Read(read::ReadArgs),
    /// Identify known chips on an I2C bus from their ID registers (reads only; `udrv probe
    /// --help` says what is sent to each chip).
    #[command(long_about = probe::HELP)]
    Probe(probe::ProbeArgs),
    /// Run the board as a service: chips read on a schedule into JSON lines and MQTT
    /// (Home Assistant discovery), through an on-disk queue (`--config FILE`, `--check
    /// FILE`).
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
    /// Capture a serial (RS485) line into pcap/pcapng, cut into protocol frames.
    Capture(capture::CaptureArgs),
    /// Print devices appearing and going (I2C, SPI, GPIO, UIO, serial; kernel uevents, no
    /// udevd needed); `--wait NODE` waits for a device node, for scripts.
    Watch(watch::WatchArgs),
    /// Print shell completions for SHELL (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to generate completions for.
        shell: clap_complete::Shell,
    },
    /// Print the man page of udrv or of one command (roff), or write them all with --dir.
    Man(man::ManArgs),
}

/// A failure to report: one line, naming the device and what to do.
#[derive(Debug)]
pub struct Failure {
    /// The message (without the `udrv: ` prefix).
    pub message: String,
    /// The process exit status: 1 for a failed operation, 2 for bad arguments.
    pub code: u8,
}

impl Failure {
    /// A failed operation (exit status 1).
    pub fn op(message: impl std::fmt::Display) -> Failure {
        Failure {
            message: message.to_string(),
            code: 1,
        }
    }

    /// Bad arguments (exit status 2).
    pub fn usage(message: impl std::fmt::Display) -> Failure {
        Failure {
            message: message.to_string(),
            code: 2,
        }
    }

    /// Some of `total` devices (`what`: `chips`, `devices`) failed to read, each already
    /// reported: how many, and which (exit status 1).
    pub fn unread(what: &str, failed: &[String], total: usize) -> Failure {
        Failure::op(format!(
            "{} of {total} {what} could not be read: {}",
            failed.len(),
            failed.join(", ")
        ))
    }
}

impl From<i2c::syntax::SyntaxError> for Failure {
    fn from(e: i2c::syntax::SyntaxError) -> Failure {
        Failure::usage(e)
    }
}

/// What every command returns.
pub type Outcome = Result<(), Failure>;

/// Why a command that talks to the kernel's devices has no virtual-board form, and what to
/// use instead.
fn not_on_the_virtual_board(cmd: &Cmd) -> Failure {
    let (what, instead) = match cmd {
        Cmd::Gpio(_) => (
            "gpio",
            "its GPIO lines are simulated inside udrv: `udrv --board virtual board pins` shows \
             them with their levels, the examples drive them",
        ),
        Cmd::Iio(_) => ("iio", "it has no kernel-driven devices"),
        Cmd::W1(_) => ("w1", "it has no kernel-driven devices"),
        Cmd::Pwm(_) => (
            "pwm",
            "it has no kernel-driven devices (its PCA9685 is read with `udrv read`)",
        ),
        _ => ("uio", "it has no UIO devices"),
    };
    Failure::usage(format!(
        "`udrv {what}` does not run on the virtual board: {instead}; without --board \
         virtual it uses this machine's devices"
    ))
}

fn main() -> ExitCode {
    // Wireshark runs extcap programs with `--extcap-*` options and no subcommand.
    if let Some(code) = udrv_rs485::extcap::main(std::env::args_os()) {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    out::set_json_errors(json_on_command_line(&args));
    let matches = match Cli::command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => return usage_error(&e, &args),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return usage_error(&e.format(&mut Cli::command()), &args),
    };
    let mut cli = cli;
    // An empty UDRV_BOARD names no board (as `udrv_boards::detect` takes it).
    cli.board = cli.board.filter(|b| !b.trim().is_empty());
    let result = match &cli.cmd {
        Cmd::Gpio(_) | Cmd::Uio(_) | Cmd::Iio(_) | Cmd::W1(_) | Cmd::Pwm(_)
            if open::is_virtual(&cli) =>
        {
            Err(not_on_the_virtual_board(&cli.cmd))
        }
        Cmd::I2c(c) => i2c::run(c, &cli),
        Cmd::Gpio(c) => gpio::run(c, &cli),
        Cmd::Spi(c) => spi::run(c, &cli),
        Cmd::Uio(c) => uio::run(c, &cli),
        Cmd::Iio(c) => iio::run(c, &cli),
        Cmd::W1(c) => w1::run(c, &cli),
        Cmd::Pwm(c) => pwm::run(c, &cli),
        Cmd::Board(c) => board::run(c, &cli),
        Cmd::Read(a) => read::run(a, &cli),
        Cmd::Probe(a) => probe::run(a, &cli),
        #[cfg(feature = "serve")]
        Cmd::Serve(a) => serve::run(a, &cli),
        Cmd::Capture(a) => capture::run(a, &cli),
        Cmd::Watch(a) => watch::run(a, &cli),
        Cmd::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "udrv", &mut buf);
            out::emit_bytes(&buf);
            Ok(())
        }
        Cmd::Man(a) => man::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let mut fields = serde_json::Map::new();
            fields.insert("command".into(), command_words(&matches).into());
            out::report_failure(&f.message, f.code, fields);
            ExitCode::from(f.code)
        }
    }
}

/// Whether `--json` is on the command line as the option (not after `--`, where it is an
/// argument): then even errors found while parsing it are reported as JSON.
fn json_on_command_line(args: &[std::ffi::OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// The subcommand words of a parsed command line: `i2c get`.
fn command_words(matches: &clap::ArgMatches) -> String {
    let mut words = Vec::new();
    let mut m = matches;
    while let Some((name, sub)) = m.subcommand() {
        words.push(name);
        m = sub;
    }
    words.join(" ")
}

/// The usage line (`udrv spi transfer [OPTIONS] <DEVICE> [DATA]...`) of the deepest
/// command the words of `args` name.
fn usage_of_words(args: &[std::ffi::OsString]) -> String {
    let mut root = Cli::command();
    root.build();
    let mut cmd = &root;
    for word in args.iter().skip(1).take_while(|a| *a != "--") {
        if let Some(sub) = word.to_str().and_then(|w| cmd.find_subcommand(w)) {
            cmd = sub;
        }
    }
    let usage = cmd.clone().render_usage().to_string();
    usage.trim().trim_start_matches("Usage: ").to_string()
}

/// A command line clap refused (or `--help`/`--version`, which it handles as errors that
/// print to standard output): as clap prints it, or with `--json` as one JSON object
/// (docs/cli-json.md): `error` (clap's message, its lines joined), `exit`, `kind` (clap's
/// error kind, `unknown-argument`), `usage` and `tips` when clap gives them.
fn usage_error(e: &clap::Error, args: &[std::ffi::OsString]) -> ExitCode {
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    if !e.use_stderr() || !out::json_errors() {
        let _ = e.print();
        return ExitCode::from(code);
    }
    let text = e.render().to_string();
    let mut fields = serde_json::Map::new();
    let kind = format!("{:?}", e.kind());
    let mut kebab = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(c.to_ascii_lowercase());
    }
    fields.insert("kind".into(), kebab.into());
    // clap's usage line when its message has one, else the usage of the deepest command
    // the words name.
    let usage = text
        .lines()
        .find_map(|l| l.strip_prefix("Usage: "))
        .map(|u| u.trim().to_string())
        .unwrap_or_else(|| usage_of_words(args));
    fields.insert("usage".into(), usage.clone().into());
    let tips: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("tip: "))
        .collect();
    if !tips.is_empty() {
        fields.insert("tips".into(), tips.into());
    }
    let message = if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // clap's "message" is the whole help text: say what is missing instead.
        let program = usage
            .split(" [")
            .next()
            .and_then(|u| u.split(" <").next())
            .unwrap_or("udrv");
        format!("`{program}` needs a command: `{program} --help` lists them")
    } else {
        // The first paragraph, without clap's `error: `, its lines joined.
        text.split("\n\n")
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
    };
    out::report_failure(&message, code, fields);
    ExitCode::from(code)
}
