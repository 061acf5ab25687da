//! The reconnect state machine ([`CaptureConfig::reconnect`]): which ports are away, when
//! to look for them again, when to give up.
//!
//! Each port is present or away. A port that vanishes goes away (or, without reconnect,
//! ends the capture); while away its path is looked at every [`LOOK_EVERY`]; when it can be
//! opened again it is back, and when the wait has run out first the capture ends. The
//! machine holds no port and reads no clock: the caller passes the monotonic time and a
//! function that tries to open the port, so tests drive it through every transition with
//! made-up times and injected failures.
//!
//! [`CaptureConfig::reconnect`]: super::CaptureConfig::reconnect

use std::time::{Duration, Instant};

use crate::time::Timestamp;

/// How often a capture with reconnect looks for a port that went away.
pub(crate) const LOOK_EVERY: Duration = Duration::from_millis(100);

/// What trying to open an away port found.
#[derive(Debug)]
pub(crate) enum Found<P> {
    /// Its path does not exist (yet).
    Absent,
    /// The path is there but opening or setting it up failed: why.
    Failed(String),
    /// Opened and set up.
    Opened(P),
}

/// What [`Reconnect::look`] saw happen.
#[derive(Debug)]
pub(crate) enum Change<P> {
    /// `port` is back, opened: it went at `gone_at`.
    Back {
        /// The port's index.
        port: usize,
        /// When it went (the time given to [`Reconnect::vanished`]).
        gone_at: Timestamp,
        /// The port, opened again.
        opened: P,
    },
    /// `port` did not come back in time: the capture stops. Always the last change.
    GaveUp {
        /// The port's index.
        port: usize,
        /// Why the last open failed, when its path was there.
        last_error: Option<String>,
    },
}

/// A port that went away, waited for.
#[derive(Debug)]
struct Away {
    /// When it went (the raw log's `Gone` record; the gap's start).
    at: Timestamp,
    /// When to give up (`None`: never).
    until: Option<Instant>,
    /// When to look for its path next.
    next_look: Instant,
    /// Why the last open failed, when the path was there.
    last_error: Option<String>,
}

/// The state of every port of a capture: present or away.
#[derive(Debug)]
pub(crate) struct Reconnect {
    limit: Option<Duration>,
    away: Vec<Option<Away>>,
}

impl Reconnect {
    /// `ports` ports, all present; a vanished port is waited for up to `limit` (`None`: not
    /// at all, the capture stops).
    pub(crate) fn new(ports: usize, limit: Option<Duration>) -> Reconnect {
        Reconnect {
            limit,
            away: (0..ports).map(|_| None).collect(),
        }
    }

    /// Whether `port` is away.
    #[cfg(test)]
    pub(crate) fn is_away(&self, port: usize) -> bool {
        self.away[port].is_some()
    }

    /// `port` vanished at `at` (wall clock, for the gap) and `now` (monotonic, for the
    /// wait). Returns how long it is waited for, or `None` when there is no reconnect and
    /// the capture stops.
    pub(crate) fn vanished(
        &mut self,
        port: usize,
        at: Timestamp,
        now: Instant,
    ) -> Option<Duration> {
        let limit = self.limit?;
        self.away[port] = Some(Away {
            at,
            // (A wait too long for the clock has no end.)
            until: now.checked_add(limit),
            next_look: now + LOOK_EVERY,
            last_error: None,
        });
        Some(limit)
    }

    /// At `now`, looks for every away port that is due, in order, with `open`; returns
    /// what changed. A port that is back is present again; one whose wait has run out
    /// ends the look ([`Change::GaveUp`] comes last and the capture stops).
    pub(crate) fn look<P>(
        &mut self,
        now: Instant,
        mut open: impl FnMut(usize) -> Found<P>,
    ) -> Vec<Change<P>> {
        let mut changes = Vec::new();
        for (port, slot) in self.away.iter_mut().enumerate() {
            let Some(a) = slot else { continue };
            if now < a.next_look {
                continue;
            }
            a.next_look = now + LOOK_EVERY;
            let opened = match open(port) {
                Found::Opened(p) => Some(p),
                Found::Failed(e) => {
                    a.last_error = Some(e);
                    None
                }
                Found::Absent => None,
            };
            match opened {
                Some(opened) => {
                    changes.push(Change::Back {
                        port,
                        gone_at: a.at,
                        opened,
                    });
                    *slot = None;
                }
                None if a.until.is_some_and(|u| now >= u) => {
                    changes.push(Change::GaveUp {
                        port,
                        last_error: a.last_error.clone(),
                    });
                    break;
                }
                None => {}
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    /// A port whose open attempts follow a script, one answer per attempt, and that
    /// counts them: the fault injection.
    struct Script {
        answers: Vec<Found<&'static str>>,
        attempts: usize,
    }

    impl Script {
        fn new(answers: Vec<Found<&'static str>>) -> Script {
            Script {
                answers,
                attempts: 0,
            }
        }

        fn open(&mut self, _port: usize) -> Found<&'static str> {
            self.attempts += 1;
            if self.answers.is_empty() {
                Found::Absent
            } else {
                self.answers.remove(0)
            }
        }
    }

    fn t(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn without_reconnect_a_vanished_port_stops_the_capture() {
        let mut r = Reconnect::new(1, None);
        assert_eq!(r.vanished(0, Timestamp(5), Instant::now()), None);
        assert!(!r.is_away(0));
    }

    #[test]
    fn vanishes_waits_reappears_resumes() {
        let base = Instant::now();
        let mut r = Reconnect::new(1, Some(10 * SEC));
        let gone = Timestamp::from_nanos(1_000);
        assert_eq!(r.vanished(0, gone, base), Some(10 * SEC));
        assert!(r.is_away(0));
        let mut port = Script::new(vec![
            Found::Absent,
            Found::Absent,
            Found::Opened("ttyUSB0 again"),
        ]);
        // Not due before LOOK_EVERY: the port is not even tried.
        assert!(r.look(t(base, 50), |i| port.open(i)).is_empty());
        assert_eq!(port.attempts, 0);
        // Absent twice (the by-id link not yet recreated): still away, no change.
        assert!(r.look(t(base, 100), |i| port.open(i)).is_empty());
        assert!(r.look(t(base, 150), |i| port.open(i)).is_empty()); // not due again yet
        assert!(r.look(t(base, 200), |i| port.open(i)).is_empty());
        assert_eq!(port.attempts, 2);
        assert!(r.is_away(0));
        // Back: the port as opened, and when it went.
        let changes = r.look(t(base, 300), |i| port.open(i));
        assert_eq!(port.attempts, 3);
        match changes.as_slice() {
            [Change::Back {
                port: 0,
                gone_at,
                opened: "ttyUSB0 again",
            }] => assert_eq!(*gone_at, gone),
            other => panic!("{other:?}"),
        }
        // Present again: no more looks, whatever the time.
        assert!(!r.is_away(0));
        assert!(r.look(t(base, 60_000), |i| port.open(i)).is_empty());
        assert_eq!(port.attempts, 3);
    }

    #[test]
    fn gives_up_at_the_limit_with_the_last_open_error() {
        let base = Instant::now();
        let mut r = Reconnect::new(1, Some(SEC));
        r.vanished(0, Timestamp(1), base);
        // The path comes back but cannot be opened (a udev rule not yet applied).
        let mut port = Script::new(vec![Found::Failed("permission denied".into())]);
        assert!(r.look(t(base, 100), |i| port.open(i)).is_empty());
        // Absent again, still before the limit: waiting.
        assert!(r.look(t(base, 900), |i| port.open(i)).is_empty());
        assert!(r.is_away(0));
        // At the limit, still not there: given up, saying what the last try found.
        match r.look(t(base, 1_000), |i| port.open(i)).as_slice() {
            [Change::GaveUp {
                port: 0,
                last_error: Some(e),
            }] => assert_eq!(e, "permission denied"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gives_up_with_no_error_when_the_path_never_came_back() {
        let base = Instant::now();
        let mut r = Reconnect::new(1, Some(SEC));
        r.vanished(0, Timestamp(1), base);
        let mut port = Script::new(vec![]);
        assert!(r.look(t(base, 999), |i| port.open(i)).is_empty());
        match r.look(t(base, 1_100), |i| port.open(i)).as_slice() {
            [Change::GaveUp {
                port: 0,
                last_error: None,
            }] => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_port_back_at_the_limit_is_back() {
        // The open is tried before the limit is checked: a port found at the last look
        // resumes rather than ending the capture.
        let base = Instant::now();
        let mut r = Reconnect::new(1, Some(SEC));
        r.vanished(0, Timestamp(1), base);
        let mut port = Script::new(vec![Found::Opened("back")]);
        let changes = r.look(t(base, 5_000), |i| port.open(i));
        assert!(matches!(changes.as_slice(), [Change::Back { port: 0, .. }]));
    }

    #[test]
    fn a_wait_too_long_for_the_clock_never_ends() {
        let base = Instant::now();
        let mut r = Reconnect::new(1, Some(Duration::MAX));
        assert_eq!(r.vanished(0, Timestamp(1), base), Some(Duration::MAX));
        let mut port = Script::new(vec![]);
        for hours in 1..=48u64 {
            let now = base + Duration::from_secs(hours * 3600);
            assert!(r.look(now, |i| port.open(i)).is_empty());
        }
        assert_eq!(port.attempts, 48);
        assert!(r.is_away(0));
    }

    #[test]
    fn a_tap_waits_for_one_port_and_leaves_the_other_alone() {
        let base = Instant::now();
        let mut r = Reconnect::new(2, Some(10 * SEC));
        r.vanished(1, Timestamp(7), base);
        assert!(!r.is_away(0));
        let mut tried = Vec::new();
        let changes = r.look(t(base, 100), |i| {
            tried.push(i);
            Found::<()>::Opened(())
        });
        // Only the away port is tried.
        assert_eq!(tried, [1]);
        assert!(matches!(changes.as_slice(), [Change::Back { port: 1, .. }]));
    }

    #[test]
    fn giving_up_ends_the_look() {
        // Both ports away, port 0 out of time: the capture stops, port 1 is not tried.
        let base = Instant::now();
        let mut r = Reconnect::new(2, Some(SEC));
        r.vanished(0, Timestamp(1), base);
        r.vanished(1, Timestamp(2), base);
        let mut tried = Vec::new();
        let changes = r.look(t(base, 2_000), |i| {
            tried.push(i);
            Found::<()>::Absent
        });
        assert_eq!(tried, [0]);
        assert!(matches!(
            changes.as_slice(),
            [Change::GaveUp { port: 0, .. }]
        ));
    }

    #[test]
    fn a_port_can_go_away_again_after_coming_back() {
        let base = Instant::now();
        let mut r = Reconnect::new(1, Some(SEC));
        r.vanished(0, Timestamp(1), base);
        let back = r.look(t(base, 100), |_| Found::Opened(()));
        assert_eq!(back.len(), 1);
        // The second time the wait starts again from when it went, with a fresh error.
        r.vanished(0, Timestamp(50), t(base, 5_000));
        assert!(r.is_away(0));
        assert!(r.look(t(base, 5_900), |_| Found::<()>::Absent).is_empty());
        match r.look(t(base, 6_000), |_| Found::<()>::Absent).as_slice() {
            [Change::GaveUp {
                port: 0,
                last_error: None,
            }] => {}
            other => panic!("{other:?}"),
        }
    }
}
