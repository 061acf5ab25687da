//! Async edge events on tokio's reactor (feature `tokio`): a `Stream` of events and
//! embedded-hal-async `Wait`.

use std::pin::Pin as StdPin;
use std::task::{Context, Poll};

use embedded_hal::digital::{ErrorType, InputPin};
use futures_core::Stream;
use std::os::fd::{AsFd, OwnedFd};

use tokio::io::unix::AsyncFd;

use crate::sys::fs::{async_fd, poll_next};

use super::error::{AbiLimit, Error, Operation, Result};
use super::{Abi, Chip, EdgeDetection, EdgeEvent, EdgeKind, InfoChangeEvent, Pin, Request};

/// A [`Request`] whose edge events are awaited on tokio's reactor (the request fd is
/// registered with epoll; no thread blocks). It is a [`Stream`] of events; lost events are
/// reported in [`EdgeEvent::lost_before`] as with the blocking API.
///
/// ```no_run
/// use udrv_core::gpio::{AsyncRequest, EdgeDetection, Request};
///
/// # async fn run() -> Result<(), udrv_core::gpio::Error> {
/// let req = Request::builder()
///     .on_chip("/dev/gpiochip0")
///     .with_line(4)
///     .with_edge_detection(EdgeDetection::Both)
///     .request()?;
/// let events = AsyncRequest::new(req)?;
/// loop {
///     let ev = events.read_edge_event().await?;
///     println!("{:?} on line {}", ev.kind, ev.offset);
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncRequest {
    req: Request,
    fd: AsyncFd<OwnedFd>,
}

impl AsyncRequest {
    /// Registers the request with the current tokio runtime (needs a runtime with IO
    /// enabled).
    pub fn new(req: Request) -> Result<AsyncRequest> {
        let chip = req.chip_path().to_path_buf();
        let lines = req.offsets().to_vec();
        let fd = async_fd(req.as_fd())
            .map_err(|e| Error::io(&chip, Operation::WaitEvents, &lines, e))?;
        Ok(AsyncRequest { req, fd })
    }

    /// The request (for values and reconfiguration).
    pub fn get_ref(&self) -> &Request {
        &self.req
    }

    /// Deregisters and gives back the request.
    pub fn into_inner(self) -> Request {
        self.req
    }

    /// The next edge event.
    pub async fn read_edge_event(&self) -> Result<EdgeEvent> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    /// A stream borrowing this request.
    pub fn edge_events(&self) -> EdgeEventStream<'_> {
        EdgeEventStream { req: self }
    }

    /// Discards events already received (so a wait concerns edges from now on).
    fn drain(&self) -> Result<()> {
        while self.get_ref().try_read_edge_event()?.is_some() {}
        Ok(())
    }

    fn poll_event(&self, cx: &mut Context<'_>) -> Poll<Result<EdgeEvent>> {
        let req = self.get_ref();
        poll_next(
            &self.fd,
            cx,
            || req.try_read_edge_event(),
            |e| Error::io(req.chip_path(), Operation::WaitEvents, req.offsets(), e),
        )
    }
}

impl Stream for AsyncRequest {
    type Item = Result<EdgeEvent>;
    fn poll_next(self: StdPin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_event(cx).map(Some)
    }
}

/// A `Stream` of edge events borrowing an [`AsyncRequest`]. It never ends by itself.
#[derive(Debug)]
pub struct EdgeEventStream<'a> {
    req: &'a AsyncRequest,
}

impl Stream for EdgeEventStream<'_> {
    type Item = Result<EdgeEvent>;
    fn poll_next(self: StdPin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.req.poll_event(cx).map(Some)
    }
}

/// A single input line with embedded-hal-async's `Wait` (and the blocking `InputPin`).
///
/// Waiting needs edge detection on both edges; [`AsyncPin::new`] turns it on (under uAPI
/// v1, which cannot reconfigure an edge request, request the line with
/// `with_edge_detection(EdgeDetection::Both)` first). Levels and edges are physical, as in
/// embedded-hal (an active-low line's logical rising edge is a physical falling edge).
///
/// ```no_run
/// use embedded_hal_async::digital::Wait;
/// use udrv_core::gpio::{AsyncPin, Pin};
///
/// # async fn run() -> Result<(), udrv_core::gpio::Error> {
/// let mut button = AsyncPin::new(Pin::find_input("button")?)?;
/// button.wait_for_falling_edge().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncPin {
    req: AsyncRequest,
    offset: u32,
}

impl AsyncPin {
    /// Makes `pin` an input with both-edge detection (keeping its bias, active-low and
    /// debounce) and registers it with tokio.
    pub fn new(pin: Pin) -> Result<AsyncPin> {
        let offset = pin.offset();
        let req = pin.into_request();
        let cfg = req.config();
        if cfg.line(offset).and_then(|s| s.edge) != Some(EdgeDetection::Both) {
            if req.abi() == Abi::V1 {
                return Err(Error::unsupported(
                    req.chip_path(),
                    Abi::V1,
                    AbiLimit::ReconfigureEdges,
                ));
            }
            let mut cfg = cfg;
            cfg.with_line(offset)
                .with_edge_detection(EdgeDetection::Both);
            req.reconfigure(&cfg)?;
        }
        Ok(AsyncPin {
            req: AsyncRequest::new(req)?,
            offset,
        })
    }

    /// The async request (for event streams).
    pub fn request(&self) -> &AsyncRequest {
        &self.req
    }

    /// The physical level now.
    pub fn level(&self) -> Result<bool> {
        let r = self.req.get_ref();
        Ok(r.value(self.offset)?.is_active() != r.is_active_low(self.offset))
    }

    /// The physical edge of an event: `true` for low-to-high.
    fn rises(&self, ev: &EdgeEvent) -> bool {
        (ev.kind == EdgeKind::Rising) != self.req.get_ref().is_active_low(self.offset)
    }

    async fn wait_level(&self, high: bool) -> Result<()> {
        self.req.drain()?;
        if self.level()? == high {
            return Ok(());
        }
        loop {
            let ev = self.req.read_edge_event().await?;
            if self.rises(&ev) == high {
                return Ok(());
            }
        }
    }

    async fn wait_edge(&self, rising: Option<bool>) -> Result<()> {
        self.req.drain()?;
        loop {
            let ev = self.req.read_edge_event().await?;
            if rising.is_none_or(|r| self.rises(&ev) == r) {
                return Ok(());
            }
        }
    }
}

impl ErrorType for AsyncPin {
    type Error = Error;
}

impl InputPin for AsyncPin {
    fn is_high(&mut self) -> Result<bool> {
        self.level()
    }
    fn is_low(&mut self) -> Result<bool> {
        Ok(!self.level()?)
    }
}

impl embedded_hal_async::digital::Wait for AsyncPin {
    async fn wait_for_high(&mut self) -> Result<()> {
        self.wait_level(true).await
    }
    async fn wait_for_low(&mut self) -> Result<()> {
        self.wait_level(false).await
    }
    async fn wait_for_rising_edge(&mut self) -> Result<()> {
        self.wait_edge(Some(true)).await
    }
    async fn wait_for_falling_edge(&mut self) -> Result<()> {
        self.wait_edge(Some(false)).await
    }
    async fn wait_for_any_edge(&mut self) -> Result<()> {
        self.wait_edge(None).await
    }
}

/// A [`Chip`] whose line info changes are awaited on tokio's reactor.
///
/// ```no_run
/// use udrv_core::gpio::{AsyncChip, Chip};
///
/// # async fn run() -> Result<(), udrv_core::gpio::Error> {
/// let chip = AsyncChip::new(Chip::open("/dev/gpiochip0")?)?;
/// chip.get_ref().watch_line_info(4)?;
/// loop {
///     let change = chip.read_info_change().await?;
///     println!("line {} {}", change.info.offset, change.kind);
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncChip {
    chip: Chip,
    fd: AsyncFd<OwnedFd>,
}

impl AsyncChip {
    /// Registers the chip with the current tokio runtime (needs IO enabled).
    pub fn new(chip: Chip) -> Result<AsyncChip> {
        let fd = async_fd(chip.as_fd())
            .map_err(|e| Error::io(chip.path(), Operation::ReadInfoChange, &[], e))?;
        Ok(AsyncChip { chip, fd })
    }

    /// The chip (to start and stop watches, read info, make requests).
    pub fn get_ref(&self) -> &Chip {
        &self.chip
    }

    /// Deregisters and gives back the chip.
    pub fn into_inner(self) -> Chip {
        self.chip
    }

    /// The next info change of a watched line.
    pub async fn read_info_change(&self) -> Result<InfoChangeEvent> {
        std::future::poll_fn(|cx| self.poll_info_change(cx)).await
    }

    /// Polls for an info change (for hand-written futures).
    pub fn poll_info_change(&self, cx: &mut Context<'_>) -> Poll<Result<InfoChangeEvent>> {
        poll_next(
            &self.fd,
            cx,
            || self.chip.try_read_info_change(),
            |e| Error::io(self.chip.path(), Operation::ReadInfoChange, &[], e),
        )
    }
}
