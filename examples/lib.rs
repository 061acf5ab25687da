#![doc = include_str!("README.md")]
//!
//! This library holds what the examples share: the command-line [`Options`] and the choice
//! of board ([`Options::open_board`], [`with_board!`]).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

pub use udrv_boards::r#virtual::{Peripherals, VirtualBoard};
use udrv_boards::{Board, BoardId};

/// The options every example takes, plus its own `--NAME VALUE` options.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// `--board NAME`: `virtual` (the default), a board name, or `auto` (detect).
    pub board: String,
    /// `--i2c BUS`: the I2C bus (`1`, `i2c-1`, a role such as `i2c_arm`); default `i2c-1`.
    pub i2c: String,
    /// `-n COUNT` / `--count COUNT`: how many rounds (examples have their own default).
    pub count: Option<u64>,
    /// `--interval SECONDS`: time between rounds (default 1 s).
    pub interval: Duration,
    /// The example's own options (`--setpoint 23`), by name without the dashes.
    pub extra: BTreeMap<String, String>,
}

/// A command line the example cannot use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

impl Options {
    /// Parses `args` (without the program name); `extra` names the example's own options.
    pub fn parse<I, S>(args: I, extra: &[&str]) -> Result<Options, UsageError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut o = Options {
            board: std::env::var("UDRV_BOARD").unwrap_or_else(|_| "virtual".into()),
            i2c: "i2c-1".into(),
            count: None,
            interval: Duration::from_secs(1),
            extra: BTreeMap::new(),
        };
        let mut it = args.into_iter().map(Into::into);
        while let Some(a) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .ok_or_else(|| UsageError(format!("{name} needs a value")))
            };
            match a.as_str() {
                "--board" => o.board = value("--board")?,
                "--i2c" => o.i2c = value("--i2c")?,
                "-n" | "--count" => {
                    let v = value(&a)?;
                    o.count = Some(v.parse().map_err(|_| {
                        UsageError(format!("{a} {v}: give a whole number of rounds"))
                    })?);
                }
                "--interval" => {
                    let v = value("--interval")?;
                    let s: f64 = v
                        .parse()
                        .ok()
                        .filter(|s: &f64| *s >= 0.0 && s.is_finite())
                        .ok_or_else(|| {
                            UsageError(format!("--interval {v}: give seconds, e.g. 0.5"))
                        })?;
                    o.interval = Duration::from_secs_f64(s);
                }
                other => match other.strip_prefix("--") {
                    Some(name) if extra.contains(&name) => {
                        let v = value(other)?;
                        o.extra.insert(name.to_string(), v);
                    }
                    _ => {
                        let mut known = vec!["--board", "--i2c", "-n/--count", "--interval"];
                        let own: Vec<String> = extra.iter().map(|e| format!("--{e}")).collect();
                        known.extend(own.iter().map(String::as_str));
                        return Err(UsageError(format!(
                            "unknown argument `{other}`; options: {}",
                            known.join(", ")
                        )));
                    }
                },
            }
        }
        Ok(o)
    }

    /// Parses the process's arguments, or exits with status 2 and the message.
    pub fn from_env(extra: &[&str]) -> Options {
        or_exit(Options::parse(std::env::args().skip(1), extra), EXIT_USAGE)
    }

    /// The process's arguments and the example's settings `parse` makes of them, or (on
    /// a bad option) the message printed on stderr and the process ended with
    /// [`EXIT_USAGE`].
    pub fn with_settings_from_env<S>(
        extra: &[&str],
        parse: impl FnOnce(&Options) -> Result<S, UsageError>,
    ) -> (Options, S) {
        let opts = Options::from_env(extra);
        let settings = or_exit(parse(&opts), EXIT_USAGE);
        (opts, settings)
    }

    /// An example option parsed as `T`, or `default` when not given.
    pub fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, UsageError> {
        match self.extra.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| UsageError(format!("--{name} {v}: not a valid value"))),
        }
    }

    /// Whether the board is the virtual one.
    pub fn is_virtual(&self) -> bool {
        BoardId::from_name(&self.board) == Some(BoardId::Virtual)
    }

    /// Opens the board: the virtual board (live, on the wall clock), the one named, or
    /// (`auto`) the one detected.
    pub fn open_board(&self) -> Result<Target, udrv_boards::Error> {
        if self.is_virtual() {
            return Ok(Target::Virtual(Box::new(VirtualBoard::wall_clock())));
        }
        let b = if self.board == "auto" {
            udrv_boards::open()?
        } else {
            udrv_boards::board(self.board.parse()?)?
        };
        if b.id() == BoardId::Virtual {
            // `auto` with UDRV_BOARD=virtual: the simulated devices, not kernel ones.
            return Ok(Target::Virtual(Box::new(VirtualBoard::wall_clock())));
        }
        Ok(Target::Real(b))
    }

    /// [`open_board`](Self::open_board), or the reason printed on stderr and the process
    /// ended with [`EXIT_FAILURE`].
    pub fn open_board_or_exit(&self) -> Target {
        or_exit(self.open_board(), EXIT_FAILURE)
    }
}

/// The exit status of an example given a bad option.
pub const EXIT_USAGE: i32 = 2;
/// The exit status of an example that failed (the board, a device, the bus).
pub const EXIT_FAILURE: i32 = 1;

/// The value, or, on an error, the error printed on stderr and the process ended with
/// `status` ([`EXIT_USAGE`] for a bad option, [`EXIT_FAILURE`] for a failure).
pub fn or_exit<T, E: fmt::Display>(result: Result<T, E>, status: i32) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(status)
    })
}

/// The value, or, on an error, `{example}: {error}` printed on stderr and the process
/// ended with [`EXIT_FAILURE`] (the end of an example's `main`).
pub fn exit_on_error<T, E: fmt::Display>(example: &str, result: Result<T, E>) -> T {
    or_exit(result.map_err(|e| format!("{example}: {e}")), EXIT_FAILURE)
}

/// The board an example runs on.
#[derive(Debug)]
pub enum Target {
    /// The virtual board.
    Virtual(Box<VirtualBoard>),
    /// A real board.
    Real(Box<dyn Board>),
}

/// Runs `$body` with `$p` bound to the target's
/// [`Peripherals`]: the body is compiled once per kind
/// of board, so it can call generic code.
///
/// ```no_run
/// use udrv_boards::r#virtual::Peripherals;
/// use udrv_examples::{with_board, Options};
///
/// let opts = Options::parse(["--board", "virtual"], &[]).unwrap();
/// let target = opts.open_board().unwrap();
/// with_board!(target, p => {
///     let _bus = p.open_i2c(&opts.i2c).unwrap();
/// });
/// ```
#[macro_export]
macro_rules! with_board {
    ($target:expr, $p:ident => $body:expr) => {
        match $target {
            $crate::Target::Virtual(board) => {
                let $p: &$crate::VirtualBoard = &board;
                $body
            }
            $crate::Target::Real(board) => {
                let $p = &board;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let o = Options::parse(
            [
                "--board",
                "rpi4b",
                "--i2c",
                "1",
                "-n",
                "5",
                "--interval",
                "0.25",
                "--setpoint",
                "21",
            ],
            &["setpoint"],
        )
        .unwrap();
        assert_eq!(o.board, "rpi4b");
        assert_eq!(o.i2c, "1");
        assert_eq!(o.count, Some(5));
        assert_eq!(o.interval, Duration::from_millis(250));
        assert_eq!(o.get("setpoint", 0.0).unwrap(), 21.0);
        assert_eq!(o.get("hysteresis", 0.5).unwrap(), 0.5);
        assert!(!o.is_virtual());
        let e = Options::parse(["--frobnicate"], &["setpoint"]).unwrap_err();
        assert!(e.0.contains("--setpoint"), "{e}");
        assert!(Options::parse(["-n", "x"], &[]).is_err());
        assert!(Options::parse(["--interval"], &[]).is_err());
        let v = Options::parse(["--board", "sim"], &[]).unwrap();
        assert!(v.is_virtual());
    }
}
