#![doc = include_str!("../README.md")]

pub mod client;
pub mod config;
mod influx;
mod lines;
mod mqtt;
mod prometheus;
pub mod queue;
mod run;
mod socket;
mod source;
mod state;

pub use config::{Config, ConfigError, Problem};
pub use run::{board_name, serve, Options, ServeError, FLUSH};
pub use source::BoardChoice;

/// One line on standard error, as the service reports (`udrv serve: ...`).
pub(crate) fn log(message: &str) {
    eprintln!("udrv serve: {message}");
}
