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
mod chips;
mod faults;
mod gpio;
mod i2c;
mod out;
mod probe;
mod read;
mod spi;
mod uio;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Command-line tool for Linux peripherals: I2C, SPI, GPIO, UIO, boards, RS485 capture.
#[derive(Parser, Debug)]
#[command(name = "udrv", version, about, propagate_version = true)]
pub struct Cli {
    /// Board to use: detected from the device tree by default; `virtual` simulates every
    /// bus and chip (also from the UDRV_BOARD environment variable).
    #[arg(long, global = true, env = "UDRV_BOARD", value_name = "NAME", value_parser = board::name)]
    pub board: Option<String>,
    /// Print JSON instead of text (one object per line for streams).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    cmd: Cmd,
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
    /// Print the man page (roff) to standard output.
    Man,
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
}

impl From<i2c::syntax::SyntaxError> for Failure {
    fn from(e: i2c::syntax::SyntaxError) -> Failure {
        Failure::usage(e)
    }
}

/// What every command returns.
pub type Outcome = Result<(), Failure>;

/// The man page: the top-level page, then a section per subcommand (every level) with
/// its synopsis, description and options, so `man udrv` documents every command.
fn man_page() -> Result<Vec<u8>, Failure> {
    fn subcommands(cmd: &clap::Command, path: &str, page: &mut Vec<u8>) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = format!("{path} {}", sub.get_name());
            let sub = sub.clone().bin_name(name.clone());
            let man = clap_mangen::Man::new(sub.clone());
            page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
            man.render_synopsis_section(page)?;
            man.render_description_section(page)?;
            if sub.get_arguments().any(|a| !a.is_hide_set()) {
                man.render_options_section(page)?;
            }
            subcommands(&sub, &name, page)?;
        }
        Ok(())
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .map_err(Failure::op)?;
    subcommands(&cmd, "udrv", &mut page).map_err(Failure::op)?;
    Ok(page)
}

/// Why a command that talks to the kernel's devices has no virtual-board form, and what to
/// use instead.
fn not_on_the_virtual_board(cmd: &Cmd) -> Failure {
    let (what, instead) = match cmd {
        Cmd::Gpio(_) => (
            "gpio",
            "its GPIO lines are simulated inside udrv: `udrv --board virtual board pins` shows \
             them with their levels, the examples drive them",
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
    let mut cli = Cli::parse();
    // An empty UDRV_BOARD names no board (as `udrv_boards::detect` takes it).
    cli.board = cli.board.filter(|b| !b.trim().is_empty());
    let result = match &cli.cmd {
        Cmd::Gpio(_) | Cmd::Uio(_) if read::is_virtual(&cli) => {
            Err(not_on_the_virtual_board(&cli.cmd))
        }
        Cmd::I2c(c) => i2c::run(c, &cli),
        Cmd::Gpio(c) => gpio::run(c, &cli),
        Cmd::Spi(c) => spi::run(c, &cli),
        Cmd::Uio(c) => uio::run(c, &cli),
        Cmd::Board(c) => board::run(c, &cli),
        Cmd::Read(a) => read::run(a, &cli),
        Cmd::Probe(a) => probe::run(a, &cli),
        Cmd::Capture(a) => capture::run(a, &cli),
        Cmd::Watch(a) => watch::run(a, &cli),
        Cmd::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "udrv", &mut buf);
            out::emit_bytes(&buf);
            Ok(())
        }
        Cmd::Man => man_page().map(|page| out::emit_bytes(&page)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("udrv: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
