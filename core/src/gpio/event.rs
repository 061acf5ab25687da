//! Edge events and lost-event detection.

use crate::sys::gpio_v1 as v1;
use crate::sys::gpio_v2 as v2;

/// The kind of edge, in logical terms: `Rising` is inactive to active (for an active-low
/// line, a physical high-to-low transition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// Inactive to active.
    Rising,
    /// Active to inactive.
    Falling,
}

/// An edge on a requested line, as the kernel recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct EdgeEvent {
    /// Kernel timestamp in nanoseconds, from the request's event clock
    /// (`CLOCK_MONOTONIC` unless [`EventClock::Realtime`](super::EventClock) was asked).
    pub timestamp_ns: u64,
    /// The line's offset on its chip.
    pub offset: u32,
    /// Rising or falling.
    pub kind: EdgeKind,
    /// Sequence number of this event among all events of the request, from 1 (v2 only).
    pub seqno: Option<u32>,
    /// Sequence number of this event among the events of its line, from 1 (v2 only).
    pub line_seqno: Option<u32>,
    /// How many events of this request the kernel dropped just before this one because
    /// its buffer was full (the reader was too slow; raise
    /// [`event_buffer_size`](super::RequestBuilder::with_event_buffer_size) or read
    /// sooner). `Some(0)`: none. `None`: unknown — uAPI v1 has no sequence numbers, so
    /// overflow of its 16-event buffer cannot be detected there.
    pub lost_before: Option<u32>,
}

/// Now, in nanoseconds on `CLOCK_MONOTONIC`: the clock of line-info change timestamps and
/// (by default) of edge-event timestamps, to relate them to the wall clock as gpionotify
/// does (`SystemTime::now()` read around this call).
pub fn monotonic_now_ns() -> u64 {
    let d = crate::sys::fs::clock_monotonic();
    d.as_secs() * 1_000_000_000 + u64::from(d.subsec_nanos())
}

/// Turns request sequence numbers into "lost before" counts.
///
/// The kernel numbers each request's events from 1 and, when its buffer is full, drops
/// the oldest event to make room; a reader therefore sees a jump in `seqno`. The tracker
/// remembers the last number seen by any reader of the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeqTracker {
    last: u32,
    total: u64,
}

impl SeqTracker {
    /// Accounts for an event numbered `seqno`; returns how many were skipped before it.
    pub(crate) fn observe(&mut self, seqno: u32) -> u32 {
        let gap = seqno.wrapping_sub(self.last).wrapping_sub(1);
        self.last = seqno;
        // A number not after the last one (only if the kernel restarted numbering) is
        // not a loss.
        let lost = if gap >= u32::MAX / 2 { 0 } else { gap };
        self.total += u64::from(lost);
        lost
    }

    /// All events lost so far.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }
}

impl EdgeEvent {
    pub(crate) fn from_v2(e: &v2::LineEvent, tracker: &mut SeqTracker) -> EdgeEvent {
        EdgeEvent {
            timestamp_ns: e.timestamp_ns,
            offset: e.offset,
            kind: match e.id {
                v2::LINE_EVENT_RISING_EDGE => EdgeKind::Rising,
                v2::LINE_EVENT_FALLING_EDGE => EdgeKind::Falling,
                // Unknown ids do not exist in any kernel so far.
                _ => EdgeKind::Falling,
            },
            seqno: Some(e.seqno),
            line_seqno: Some(e.line_seqno),
            lost_before: Some(tracker.observe(e.seqno)),
        }
    }

    pub(crate) fn from_v1(e: &v1::EventData, offset: u32) -> EdgeEvent {
        EdgeEvent {
            timestamp_ns: e.timestamp,
            offset,
            kind: match e.id {
                v1::EVENT_RISING_EDGE => EdgeKind::Rising,
                v1::EVENT_FALLING_EDGE => EdgeKind::Falling,
                _ => EdgeKind::Falling,
            },
            seqno: None,
            line_seqno: None,
            lost_before: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monotonic_clock_never_goes_back() {
        let mut last = monotonic_now_ns();
        assert!(last > 0);
        for _ in 0..1000 {
            let now = monotonic_now_ns();
            assert!(now >= last, "{now} < {last}");
            last = now;
        }
    }

    #[test]
    fn consecutive_numbers_lose_nothing() {
        let mut t = SeqTracker::default();
        assert_eq!(t.observe(1), 0);
        assert_eq!(t.observe(2), 0);
        assert_eq!(t.observe(3), 0);
    }

    #[test]
    fn a_jump_is_reported_once() {
        let mut t = SeqTracker::default();
        assert_eq!(t.observe(1), 0);
        assert_eq!(t.observe(9), 7);
        assert_eq!(t.observe(10), 0);
        assert_eq!(t.total(), 7);
    }

    #[test]
    fn losses_before_the_first_read_event_count() {
        let mut t = SeqTracker::default();
        assert_eq!(t.observe(5), 4);
    }

    #[test]
    fn wrapping_numbers() {
        let mut t = SeqTracker {
            last: u32::MAX - 1,
            total: 0,
        };
        assert_eq!(t.observe(u32::MAX), 0);
        assert_eq!(t.observe(0), 0);
        assert_eq!(t.observe(3), 2);
    }

    #[test]
    fn going_backwards_is_not_a_loss() {
        let mut t = SeqTracker {
            last: 100,
            total: 0,
        };
        assert_eq!(t.observe(50), 0);
        assert_eq!(t.observe(51), 0);
    }

    #[test]
    fn v2_events_convert() {
        let mut t = SeqTracker::default();
        let raw = v2::LineEvent {
            timestamp_ns: 42,
            id: v2::LINE_EVENT_FALLING_EDGE,
            offset: 3,
            seqno: 3,
            line_seqno: 2,
            padding: [0; 6],
        };
        let e = EdgeEvent::from_v2(&raw, &mut t);
        assert_eq!(e.kind, EdgeKind::Falling);
        assert_eq!(e.offset, 3);
        assert_eq!(e.seqno, Some(3));
        assert_eq!(e.line_seqno, Some(2));
        assert_eq!(e.lost_before, Some(2));
        let v1e = EdgeEvent::from_v1(
            &v1::EventData {
                timestamp: 7,
                id: v1::EVENT_RISING_EDGE,
            },
            9,
        );
        assert_eq!(v1e.kind, EdgeKind::Rising);
        assert_eq!(v1e.lost_before, None);
        assert_eq!(v1e.offset, 9);
    }
}
