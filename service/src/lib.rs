#![doc = include_str!("../README.md")]

pub mod client;
pub mod config;
mod influx;
mod lines;
mod log;
mod mqtt;
mod notify;
mod pins;
mod prometheus;
pub mod queue;
mod run;
mod socket;
mod source;
mod state;

pub use config::{Config, ConfigError, Problem};
pub use run::{board_name, serve, Options, ServeError, FLUSH};
pub use source::BoardChoice;

/// One line on standard error, as the service reports (`udrv serve: ...`, or with the
/// journal's `<6>` prefix when standard error is the journal: see [`log`](mod@log)).
pub(crate) fn log(message: &str) {
    log::write(log::Priority::Info, message);
}
