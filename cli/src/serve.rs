//! `udrv serve`: the board as a service (crate `udrv-service`): chips read on a schedule
//! into JSON lines and MQTT with Home Assistant discovery, through an on-disk queue.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use udrv_service::{BoardChoice, Config, Options};

use crate::{Cli, Failure, Outcome};

/// The environment variable naming the machine ID file (`/etc/machine-id` unset), for
/// tests.
pub const ENV_MACHINE_ID: &str = "UDRV_MACHINE_ID_FILE";

/// `udrv serve` arguments.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The configuration file (TOML; examples/serve-virtual.toml is a commented example).
    #[arg(long, value_name = "FILE", default_value = udrv_service::config::DEFAULT_PATH)]
    pub config: PathBuf,
    /// Check FILE and report every mistake (line and column), then exit: 0 when there
    /// is none.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["count", "duration"])]
    pub check: Option<PathBuf>,
    /// Stop after at least N readings (the chip read that reaches N is whole), after
    /// delivering what is queued (up to 5 s).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after SECONDS, after delivering what is queued (up to 5 s).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
}

/// Runs `udrv serve`.
pub fn run(a: &ServeArgs, cli: &Cli) -> Outcome {
    if let Some(path) = &a.check {
        return match Config::load(path) {
            Ok(c) => {
                let lines = if c.lines.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", {} line{} (clients on {})",
                        c.lines.len(),
                        if c.lines.len() == 1 { "" } else { "s" },
                        c.socket.path.display()
                    )
                };
                outln!(
                    "{}: good: {} chips{lines}; {}",
                    path.display(),
                    c.chips.len(),
                    c.outputs()
                );
                Ok(())
            }
            Err(e) => Err(config_failure(&e)),
        };
    }
    if a.count == Some(0) {
        return Err(Failure::usage("--count 0: give at least one reading"));
    }
    let duration = match a.duration {
        Some(d) if d.is_finite() && d > 0.0 => Some(Duration::from_secs_f64(d)),
        Some(d) => {
            return Err(Failure::usage(format!(
                "--duration {d}: give a positive number of seconds"
            )))
        }
        None => None,
    };
    let board = if crate::open::is_virtual(cli) {
        let settings = crate::open::virtual_settings()?;
        BoardChoice::Virtual {
            time: settings.time(),
            faults: settings.faults().cloned(),
        }
    } else {
        BoardChoice::Linux {
            board: cli.board.clone(),
        }
    };
    let machine_id = std::env::var_os(ENV_MACHINE_ID)
        .map_or_else(|| PathBuf::from("/etc/machine-id"), PathBuf::from);
    let opts = Options {
        config: a.config.clone(),
        board,
        count: a.count,
        duration,
        machine_id,
    };
    udrv_service::serve(&opts).map_err(|e| match e {
        udrv_service::ServeError::Config(c) => config_failure(&c),
        other => Failure::op(other),
    })
}

/// A refused configuration: one line per mistake on standard error (`udrv:
/// FILE:LINE:COLUMN: message`), then the count as the failure (exit status 2).
fn config_failure(e: &udrv_service::ConfigError) -> Failure {
    if e.problems.is_empty() {
        return Failure::usage(e);
    }
    for line in e.to_string().lines() {
        crate::out::report_failure(line, 2, serde_json::Map::new());
    }
    let n = e.problems.len();
    Failure::usage(format!(
        "{}: {n} mistake{} (each above with its line and column); nothing was started",
        e.path.display(),
        if n == 1 { "" } else { "s" }
    ))
}
