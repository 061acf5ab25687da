//! Stop conditions shared by live capture and replay: SIGINT and SIGTERM, the caller's
//! stop flag, the time limit.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::{CaptureConfig, Error, StopReason};

/// Stop conditions shared by live capture and replay.
pub(crate) struct Stopper {
    signal: Arc<AtomicUsize>,
    ids: Vec<signal_hook::SigId>,
    external: Option<Arc<AtomicBool>>,
    until: Option<Instant>,
}

impl Stopper {
    /// Installs the signal handlers `config` asks for.
    pub(crate) fn new(config: &CaptureConfig) -> Result<Stopper, Error> {
        let signal = Arc::new(AtomicUsize::new(0));
        let mut ids = Vec::new();
        if config.handle_signals {
            let armed = Arc::new(AtomicBool::new(false));
            for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                let reg = |r: io::Result<signal_hook::SigId>| {
                    r.map_err(|e| Error::Config(format!("cannot install signal handler: {e}")))
                };
                // A second signal exits at once, in case the first one's clean stop hangs.
                ids.push(reg(signal_hook::flag::register_conditional_shutdown(
                    sig,
                    130,
                    armed.clone(),
                ))?);
                ids.push(reg(signal_hook::flag::register(sig, armed.clone()))?);
                ids.push(reg(signal_hook::flag::register_usize(
                    sig,
                    signal.clone(),
                    sig as usize,
                ))?);
            }
        }
        Ok(Stopper {
            signal,
            ids,
            external: config.stop.clone(),
            until: config.max_duration.map(|d| Instant::now() + d),
        })
    }

    /// Why the capture must stop now, if it must.
    pub(crate) fn check(&self) -> Option<StopReason> {
        match self.signal.load(Ordering::SeqCst) {
            0 => {}
            n => return Some(StopReason::Signal(n as i32)),
        }
        if self
            .external
            .as_ref()
            .is_some_and(|s| s.load(Ordering::SeqCst))
        {
            return Some(StopReason::Stopped);
        }
        if self.until.is_some_and(|u| Instant::now() >= u) {
            return Some(StopReason::TimeLimit);
        }
        None
    }
}

impl Drop for Stopper {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
