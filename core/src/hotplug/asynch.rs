//! Uevents on tokio's reactor (feature `tokio`).

use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::io::unix::AsyncFd;

use crate::sys::fs::async_fd;

use super::{Error, Event, Monitor, Operation, Result};

/// A [`Monitor`] whose events are awaited on tokio's reactor (the socket is registered
/// with epoll; no thread blocks). It is also a [`Stream`] of events that never ends.
///
/// ```no_run
/// use udrv_core::error::DeviceClass;
/// use udrv_core::hotplug::{Action, AsyncMonitor, Monitor};
///
/// # async fn run() -> Result<(), udrv_core::hotplug::Error> {
/// let mut mon = AsyncMonitor::new(Monitor::open()?.with_class(DeviceClass::Gpio))?;
/// loop {
///     let ev = mon.next_async().await?;
///     if ev.action == Action::Add {
///         println!("{ev}");
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncMonitor {
    mon: Monitor,
    fd: AsyncFd<OwnedFd>,
}

impl AsyncMonitor {
    /// Registers the monitor with the current tokio runtime (needs IO enabled).
    pub fn new(mon: Monitor) -> Result<AsyncMonitor> {
        let fd = async_fd(mon.as_fd()).map_err(|e| Error::io(Operation::Wait, e))?;
        Ok(AsyncMonitor { mon, fd })
    }

    /// The monitor (for its filter and counters).
    pub fn get_ref(&self) -> &Monitor {
        &self.mon
    }

    /// Deregisters and gives back the monitor.
    pub fn into_inner(self) -> Monitor {
        self.mon
    }

    /// The next event the filter passes.
    pub async fn next_async(&mut self) -> Result<Event> {
        std::future::poll_fn(|cx| self.poll_next_event(cx)).await
    }

    /// The first event that satisfies `pred`, or `None` when `timeout` passes first (needs
    /// a runtime with time enabled). Events that do not satisfy `pred` are consumed.
    pub async fn wait_for(
        &mut self,
        mut pred: impl FnMut(&Event) -> bool,
        timeout: Duration,
    ) -> Result<Option<Event>> {
        let wait = async {
            loop {
                let ev = self.next_async().await?;
                if pred(&ev) {
                    return Ok(ev);
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(r) => r.map(Some),
            Err(_elapsed) => Ok(None),
        }
    }

    /// A stream borrowing this monitor.
    pub fn events(&mut self) -> EventStream<'_> {
        EventStream { mon: self }
    }

    /// Polls for an event (for hand-written futures).
    pub fn poll_next_event(&mut self, cx: &mut Context<'_>) -> Poll<Result<Event>> {
        loop {
            if let Some(ev) = self.mon.try_next()? {
                return Poll::Ready(Ok(ev));
            }
            let mut guard =
                ready!(self.fd.poll_read_ready(cx)).map_err(|e| Error::io(Operation::Wait, e))?;
            match self.mon.try_next()? {
                Some(ev) => return Poll::Ready(Ok(ev)),
                // Everything queued was filtered out or rejected: wait for more.
                None => guard.clear_ready(),
            }
        }
    }
}

impl Monitor {
    /// Registers the monitor with the current tokio runtime: [`AsyncMonitor::new`].
    pub fn into_async(self) -> Result<AsyncMonitor> {
        AsyncMonitor::new(self)
    }
}

impl Stream for AsyncMonitor {
    type Item = Result<Event>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_event(cx).map(Some)
    }
}

/// A `Stream` of events borrowing an [`AsyncMonitor`]. It never ends by itself.
#[derive(Debug)]
pub struct EventStream<'a> {
    mon: &'a mut AsyncMonitor,
}

impl Stream for EventStream<'_> {
    type Item = Result<Event>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().mon.poll_next_event(cx).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_idle_monitor_times_out_without_blocking_the_reactor() {
        let mut mon = AsyncMonitor::new(Monitor::open().unwrap()).unwrap();
        // On this single-threaded runtime the ticker only runs if the monitor's wait
        // yields to the reactor instead of blocking the thread.
        let t0 = std::time::Instant::now();
        let (got, ticked) = tokio::join!(
            mon.wait_for(
                |e| e.subsystem == "udrv-no-such-subsystem",
                Duration::from_millis(300)
            ),
            async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                t0.elapsed()
            }
        );
        assert!(got.unwrap().is_none());
        assert!(ticked < Duration::from_millis(200), "{ticked:?}");
        assert!(t0.elapsed() >= Duration::from_millis(300));
        assert!(mon.into_inner().subsystems().is_empty());
    }
}
