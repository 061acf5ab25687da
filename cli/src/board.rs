//! `udrv board`: which board this is, which buses are enabled (and how to enable the
//! others), and the header drawn as a table.

use clap::Subcommand;

use crate::out::json_line;
use crate::{Cli, Failure, Outcome};

/// `udrv board ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// The model, its buses (enabled or not, with the line that enables them), GPIO chips.
    Info,
    /// The header as a table: pin, name, function, and for GPIO pins the current
    /// direction and value (read only from lines nobody holds) and consumer.
    Pins {
        /// Do not read line values (no line is requested at all).
        #[arg(long = "no-values")]
        no_values: bool,
    },
}

/// Checks a `--board` / `UDRV_BOARD` value as the command line is parsed, so that a name
/// that names no board is a bad argument (exit status 2) whatever the command. Empty is
/// accepted: it means no board (detection).
pub fn name(value: &str) -> Result<String, String> {
    if value.trim().is_empty() || udrv_boards::BoardId::from_name(value).is_some() {
        Ok(value.to_string())
    } else {
        Err(udrv_boards::Error::UnknownBoardName {
            name: value.to_string(),
        }
        .to_string())
    }
}

/// Runs an `udrv board` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    let board = crate::open::board(cli)?;
    match cmd {
        Cmd::Info => {
            let info = board.info();
            // What the kernel drives (not on the virtual board: its chips are simulated).
            let kernel = (!crate::open::is_virtual(cli))
                .then(|| crate::iio::kernel_driven(&udrv_core::sysfs::SysRoot::from_env()));
            if cli.json {
                let mut v = serde_json::to_value(&info).map_err(Failure::op)?;
                if let (Some(o), Some((_, k))) = (v.as_object_mut(), kernel) {
                    o.insert("kernel_driven".into(), k);
                }
                json_line(&v);
            } else {
                out!("{info}");
                if let Some((lines, _)) = kernel.filter(|(l, _)| !l.is_empty()) {
                    outln!("Kernel drivers drive:");
                    for l in lines {
                        outln!("  {l}");
                    }
                }
            }
        }
        Cmd::Pins { no_values } => {
            let table = board.pin_table(!no_values);
            if cli.json {
                json_line(&serde_json::to_value(&table).map_err(Failure::op)?);
            } else {
                out!("{}", table.render());
            }
        }
    }
    Ok(())
}
