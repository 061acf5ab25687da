//! Where a capture's bytes come from: live serial ports ([`Live`](super::live::Live)) or a
//! raw log replayed ([`Replay`](super::replay::Replay)), behind one trait that
//! [`run`](super::run) drives the same way.

use std::time::Duration;

use udrv_core::serial::{Counters, LineSettings};

use super::engine::Engine;
use super::{Error, StopReason};
use crate::pcap::Interface;

/// What a source is: what [`run`](super::run) needs to set up the framers, the output and
/// the raw log.
#[derive(Clone, Debug)]
pub(crate) struct Setup {
    /// The line settings the bytes were sent with.
    pub(crate) line: LineSettings,
    /// One name per port (one pcapng interface each).
    pub(crate) names: Vec<String>,
    /// The timestamp resolution the framers trust.
    pub(crate) resolution: Duration,
    /// Live (flush each frame to the output) or a replay.
    pub(crate) live: bool,
}

/// A source of stamped bytes, port events and ticks, fed into an [`Engine`].
pub(crate) trait Source {
    /// What the source is.
    fn setup(&self) -> &Setup;

    /// The output is open: the capture starts (tells the progress which).
    fn begin(&mut self, engine: &mut Engine<'_>, interfaces: &[Interface]);

    /// One round: waits (briefly) for input and hands all of it to `engine`. `Some` when
    /// the capture must stop.
    fn step(&mut self, engine: &mut Engine<'_>) -> Result<Option<StopReason>, Error>;

    /// The capture stops for `reason`: hands over what is already received (which may
    /// change the reason, e.g. to the frame limit), warns about what the user should know.
    fn end(&mut self, engine: &mut Engine<'_>, reason: &mut StopReason) -> Result<(), Error>;

    /// Per port, what the driver counted during the capture (see
    /// [`Summary::line_errors`](super::Summary::line_errors)).
    fn line_errors(&self) -> Vec<Option<Counters>>;
}
