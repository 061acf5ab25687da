//! Line settings, request configurations, and their encoding into the v2 and v1 ABI.

use std::time::Duration;

use crate::sys::fs::Pod;
use crate::sys::gpio_v1 as v1;
use crate::sys::gpio_v2 as v2;

use super::error::{AbiLimit, InvalidConfig};
use super::{micros_u32, Bias, Direction, Drive, EdgeDetection, EventClock, Value};

/// The settings of one line in a request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LineSettings {
    /// Input, output, or `None` to leave the direction as it is.
    pub direction: Option<Direction>,
    /// The value an output starts with (`None`: inactive).
    pub value: Option<Value>,
    /// Active-low: the logical value is the inverse of the physical level.
    pub active_low: bool,
    /// Pull resistors (`None`: as is).
    pub bias: Option<Bias>,
    /// Output drive (`None`: push-pull).
    pub drive: Option<Drive>,
    /// Edge detection (`None`: off).
    pub edge: Option<EdgeDetection>,
    /// Debounce period (`None`: off; v2 only).
    pub debounce: Option<Duration>,
    /// The clock of event timestamps (`None`: monotonic).
    pub event_clock: Option<EventClock>,
}

impl LineSettings {
    /// Whether these settings make the line detect edges.
    pub fn detects_edges(&self) -> bool {
        self.edge.is_some()
    }

    /// Checks the rules the kernel enforces, naming `offset` in the error.
    pub(crate) fn validate(&self, offset: u32) -> Result<(), InvalidConfig> {
        if self.edge.is_some() && self.direction != Some(Direction::Input) {
            return Err(InvalidConfig::EdgeNeedsInput(offset));
        }
        if matches!(self.drive, Some(Drive::OpenDrain | Drive::OpenSource))
            && self.direction != Some(Direction::Output)
        {
            return Err(InvalidConfig::DriveNeedsOutput(offset));
        }
        if self.bias.is_some() && self.direction.is_none() {
            return Err(InvalidConfig::BiasNeedsDirection(offset));
        }
        if let Some(d) = self.debounce {
            if self.direction != Some(Direction::Input) {
                return Err(InvalidConfig::DebounceNeedsInput(offset));
            }
            if micros_u32(d).is_none() {
                return Err(InvalidConfig::DebounceTooLong(offset));
            }
        }
        Ok(())
    }

    /// The v2 flags (`GPIO_V2_LINE_FLAG_*`) for these settings.
    pub(crate) fn v2_flags(&self) -> u64 {
        use v2::flag::*;
        let mut f = 0;
        match self.direction {
            Some(Direction::Input) => f |= INPUT,
            Some(Direction::Output) => f |= OUTPUT,
            None => {}
        }
        if self.active_low {
            f |= ACTIVE_LOW;
        }
        match self.bias {
            Some(Bias::PullUp) => f |= BIAS_PULL_UP,
            Some(Bias::PullDown) => f |= BIAS_PULL_DOWN,
            Some(Bias::Disabled) => f |= BIAS_DISABLED,
            None => {}
        }
        match self.drive {
            Some(Drive::OpenDrain) => f |= OPEN_DRAIN,
            Some(Drive::OpenSource) => f |= OPEN_SOURCE,
            _ => {}
        }
        match self.edge {
            Some(EdgeDetection::Rising) => f |= EDGE_RISING,
            Some(EdgeDetection::Falling) => f |= EDGE_FALLING,
            Some(EdgeDetection::Both) => f |= EDGE_RISING | EDGE_FALLING,
            None => {}
        }
        match self.event_clock {
            Some(EventClock::Realtime) => f |= EVENT_CLOCK_REALTIME,
            Some(EventClock::Hte) => f |= EVENT_CLOCK_HTE,
            _ => {}
        }
        f
    }

    /// The v1 handle flags (`GPIOHANDLE_REQUEST_*`) for these settings: the v2 flags
    /// that v1 also knows, translated (v1 handles carry no edges and no event clock).
    pub(crate) fn v1_flags(&self) -> u32 {
        v1::handle_flags_of_v2(self.v2_flags())
    }
}

/// The configuration of a set of lines: each line's [`LineSettings`], in request order.
///
/// Built with the same chained methods as [`RequestBuilder`](super::RequestBuilder):
/// `with_line`/`with_lines` select lines (adding them with default settings when new),
/// and the setting methods apply to the lines selected last. Take a request's current
/// configuration with [`Request::config`](super::Request::config), change it, and apply it
/// with [`Request::reconfigure`](super::Request::reconfigure).
///
/// ```
/// use udrv_core::gpio::{Bias, Config, Direction, Value};
///
/// let mut cfg = Config::default();
/// cfg.with_lines(&[1, 2]).as_input().with_bias(Bias::PullUp);
/// cfg.with_line(0).as_output(Value::Active);
/// assert_eq!(cfg.offsets(), vec![1, 2, 0]);
/// assert_eq!(cfg.line(2).unwrap().bias, Some(Bias::PullUp));
/// assert_eq!(cfg.line(0).unwrap().direction, Some(Direction::Output));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    lines: Vec<(u32, LineSettings)>,
    selected: Vec<usize>,
}

impl Config {
    /// Selects `offset` (adding it with default settings if new).
    pub fn with_line(&mut self, offset: u32) -> &mut Self {
        self.with_lines(&[offset])
    }

    /// Selects `offsets` (adding the new ones with default settings).
    pub fn with_lines(&mut self, offsets: &[u32]) -> &mut Self {
        self.selected.clear();
        for &o in offsets {
            let i = match self.lines.iter().position(|(x, _)| *x == o) {
                Some(i) => i,
                None => {
                    self.lines.push((o, LineSettings::default()));
                    self.lines.len() - 1
                }
            };
            if !self.selected.contains(&i) {
                self.selected.push(i);
            }
        }
        self
    }

    /// Removes `offset` from the configuration.
    pub fn without_line(&mut self, offset: u32) -> &mut Self {
        if let Some(i) = self.lines.iter().position(|(x, _)| *x == offset) {
            self.lines.remove(i);
            self.selected.retain(|&s| s != i);
            for s in &mut self.selected {
                if *s > i {
                    *s -= 1;
                }
            }
        }
        self
    }

    /// Replaces the settings of `offset` (adding and selecting it).
    pub fn with_line_settings(&mut self, offset: u32, settings: LineSettings) -> &mut Self {
        self.with_line(offset);
        self.apply(|s| *s = settings.clone())
    }

    fn apply(&mut self, f: impl Fn(&mut LineSettings)) -> &mut Self {
        for &i in &self.selected {
            f(&mut self.lines[i].1);
        }
        self
    }

    /// Selected lines become inputs (clearing output value and drive).
    pub fn as_input(&mut self) -> &mut Self {
        self.apply(|s| {
            s.direction = Some(Direction::Input);
            s.value = None;
            s.drive = None;
        })
    }

    /// Selected lines become outputs starting at `value` (clearing edge detection and
    /// debounce).
    pub fn as_output(&mut self, value: Value) -> &mut Self {
        self.apply(|s| {
            s.direction = Some(Direction::Output);
            s.value = Some(value);
            s.edge = None;
            s.debounce = None;
        })
    }

    /// Selected lines keep the direction they have.
    pub fn as_is(&mut self) -> &mut Self {
        self.apply(|s| {
            s.direction = None;
            s.value = None;
        })
    }

    /// Sets the output value of the selected lines.
    pub fn with_value(&mut self, value: Value) -> &mut Self {
        self.apply(|s| s.value = Some(value))
    }

    /// Selected lines are active-low.
    pub fn as_active_low(&mut self) -> &mut Self {
        self.apply(|s| s.active_low = true)
    }

    /// Selected lines are active-high (the default).
    pub fn as_active_high(&mut self) -> &mut Self {
        self.apply(|s| s.active_low = false)
    }

    /// Sets the bias of the selected lines.
    pub fn with_bias(&mut self, bias: Bias) -> &mut Self {
        self.apply(|s| s.bias = Some(bias))
    }

    /// Sets the drive of the selected lines (open-drain/source need an output).
    pub fn with_drive(&mut self, drive: Drive) -> &mut Self {
        self.apply(|s| s.drive = Some(drive))
    }

    /// Turns on edge detection on the selected lines, making them inputs.
    pub fn with_edge_detection(&mut self, edge: EdgeDetection) -> &mut Self {
        self.apply(|s| {
            s.direction = Some(Direction::Input);
            s.value = None;
            s.drive = None;
            s.edge = Some(edge);
        })
    }

    /// Turns off edge detection on the selected lines.
    pub fn without_edge_detection(&mut self) -> &mut Self {
        self.apply(|s| s.edge = None)
    }

    /// Sets the debounce period of the selected lines, making them inputs (v2 only;
    /// `Duration::ZERO` turns debounce off).
    pub fn with_debounce(&mut self, period: Duration) -> &mut Self {
        self.apply(|s| {
            s.direction = Some(Direction::Input);
            s.value = None;
            s.drive = None;
            s.debounce = (!period.is_zero()).then_some(period);
        })
    }

    /// Sets the clock of event timestamps of the selected lines.
    pub fn with_event_clock(&mut self, clock: EventClock) -> &mut Self {
        self.apply(|s| s.event_clock = Some(clock))
    }

    /// The offsets, in request order.
    pub fn offsets(&self) -> Vec<u32> {
        self.lines.iter().map(|(o, _)| *o).collect()
    }

    /// The settings of `offset`.
    pub fn line(&self, offset: u32) -> Option<&LineSettings> {
        self.lines
            .iter()
            .find(|(o, _)| *o == offset)
            .map(|(_, s)| s)
    }

    /// Every line with its settings, in request order.
    pub fn lines(&self) -> impl Iterator<Item = (u32, &LineSettings)> {
        self.lines.iter().map(|(o, s)| (*o, s))
    }

    /// Sets the output value of `offset` without changing the selection.
    pub(crate) fn set_value(&mut self, offset: u32, value: Value) {
        if let Some((_, s)) = self.lines.iter_mut().find(|(o, _)| *o == offset) {
            s.value = Some(value);
        }
    }

    /// Whether any line detects edges.
    pub(crate) fn detects_edges(&self) -> bool {
        self.lines.iter().any(|(_, s)| s.detects_edges())
    }

    /// Checks the kernel's rules for every line and the line count.
    pub(crate) fn validate(&self) -> Result<(), InvalidConfig> {
        if self.lines.is_empty() {
            return Err(InvalidConfig::NoLines);
        }
        if self.lines.len() > v2::LINES_MAX {
            return Err(InvalidConfig::TooManyLines(self.lines.len()));
        }
        for (o, s) in &self.lines {
            s.validate(*o)?;
        }
        Ok(())
    }

    /// Encodes into `struct gpio_v2_line_config`: the most common flags become the
    /// default, every other distinct flag set, the output values and every distinct
    /// debounce period become attributes with a mask of request indexes.
    pub(crate) fn encode_v2(&self) -> Result<v2::LineConfig, InvalidConfig> {
        self.validate()?;
        let flags: Vec<u64> = self.lines.iter().map(|(_, s)| s.v2_flags()).collect();
        // The most common flag set (first on ties) is the default.
        let mut distinct: Vec<(u64, usize)> = Vec::new();
        for &f in &flags {
            match distinct.iter_mut().find(|(x, _)| *x == f) {
                Some((_, n)) => *n += 1,
                None => distinct.push((f, 1)),
            }
        }
        let default = distinct
            .iter()
            .fold(
                (0u64, 0usize),
                |best, &(f, n)| if n > best.1 { (f, n) } else { best },
            )
            .0;
        let mut attrs: Vec<v2::LineConfigAttribute> = Vec::new();
        let mask_of = |pred: &dyn Fn(usize) -> bool| -> u64 {
            (0..self.lines.len())
                .filter(|&i| pred(i))
                .fold(0u64, |m, i| m | (1u64 << i))
        };
        for &(f, _) in &distinct {
            if f != default {
                attrs.push(v2::LineConfigAttribute {
                    attr: v2::LineAttribute::flags(f),
                    mask: mask_of(&|i| flags[i] == f),
                });
            }
        }
        let outputs = mask_of(&|i| self.lines[i].1.direction == Some(Direction::Output));
        if outputs != 0 {
            let bits = mask_of(&|i| self.lines[i].1.value == Some(Value::Active)) & outputs;
            attrs.push(v2::LineConfigAttribute {
                attr: v2::LineAttribute::output_values(bits),
                mask: outputs,
            });
        }
        let mut periods: Vec<u32> = Vec::new();
        for (_, s) in &self.lines {
            if let Some(us) = s.debounce.and_then(micros_u32) {
                if !periods.contains(&us) {
                    periods.push(us);
                }
            }
        }
        for us in periods {
            attrs.push(v2::LineConfigAttribute {
                attr: v2::LineAttribute::debounce(us),
                mask: mask_of(&|i| self.lines[i].1.debounce.and_then(micros_u32) == Some(us)),
            });
        }
        if attrs.len() > v2::NUM_ATTRS_MAX {
            return Err(InvalidConfig::TooManyAttributes);
        }
        let mut cfg = v2::LineConfig::zeroed();
        cfg.flags = default;
        cfg.num_attrs = attrs.len() as u32;
        cfg.attrs[..attrs.len()].copy_from_slice(&attrs);
        Ok(cfg)
    }

    /// Plans a v1 request: a handle (values, no edges) or an event request (one line).
    pub(crate) fn encode_v1(&self) -> Result<Result<V1Plan, AbiLimit>, InvalidConfig> {
        self.validate()?;
        Ok(self.plan_v1())
    }

    fn plan_v1(&self) -> Result<V1Plan, AbiLimit> {
        if self.lines.iter().any(|(_, s)| s.debounce.is_some()) {
            return Err(AbiLimit::Debounce);
        }
        if self
            .lines
            .iter()
            .any(|(_, s)| !matches!(s.event_clock, None | Some(EventClock::Monotonic)))
        {
            return Err(AbiLimit::EventClock);
        }
        let first = &self.lines[0].1;
        if self.detects_edges() {
            if self.lines.len() != 1 {
                return Err(AbiLimit::MultiLineEdges);
            }
            let eventflags = match first.edge {
                Some(EdgeDetection::Rising) => v1::EVENT_REQUEST_RISING_EDGE,
                Some(EdgeDetection::Falling) => v1::EVENT_REQUEST_FALLING_EDGE,
                _ => v1::EVENT_REQUEST_RISING_EDGE | v1::EVENT_REQUEST_FALLING_EDGE,
            };
            return Ok(V1Plan::Event {
                offset: self.lines[0].0,
                handleflags: first.v1_flags(),
                eventflags,
            });
        }
        let flags = first.v1_flags();
        if self.lines.iter().any(|(_, s)| s.v1_flags() != flags) {
            return Err(AbiLimit::MixedLineConfig);
        }
        let mut values = [0u8; v1::HANDLES_MAX];
        for (i, (_, s)) in self.lines.iter().enumerate() {
            values[i] = u8::from(s.value == Some(Value::Active));
        }
        Ok(V1Plan::Handle { flags, values })
    }

    /// The `struct gpiohandle_config` for reconfiguring a v1 handle.
    pub(crate) fn encode_v1_handle_config(&self) -> Result<v1::HandleConfig, AbiLimit> {
        match self.plan_v1()? {
            V1Plan::Handle { flags, values } => {
                let mut c = v1::HandleConfig::zeroed();
                c.flags = flags;
                c.default_values = values;
                Ok(c)
            }
            V1Plan::Event { .. } => Err(AbiLimit::ReconfigureEdges),
        }
    }
}

/// How a configuration maps onto uAPI v1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum V1Plan {
    /// `GPIO_GET_LINEHANDLE_IOCTL` for all lines with one flag set.
    Handle {
        flags: u32,
        values: [u8; v1::HANDLES_MAX],
    },
    /// `GPIO_GET_LINEEVENT_IOCTL` for one line.
    Event {
        offset: u32,
        handleflags: u32,
        eventflags: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use v2::flag;

    fn attr_list(c: &v2::LineConfig) -> Vec<(u32, u64, u64)> {
        c.attrs[..c.num_attrs as usize]
            .iter()
            .map(|a| {
                let val = a
                    .attr
                    .get_flags()
                    .or(a.attr.get_output_values())
                    .or(a.attr.get_debounce_us().map(u64::from))
                    .unwrap();
                (a.attr.id, val, a.mask)
            })
            .collect()
    }

    #[test]
    fn selection_applies_to_the_last_selected_lines() {
        let mut c = Config::default();
        c.with_lines(&[3, 4]).as_input().with_bias(Bias::PullDown);
        c.with_line(7)
            .as_output(Value::Active)
            .with_drive(Drive::OpenDrain);
        c.with_line(3).as_active_low();
        assert_eq!(c.offsets(), vec![3, 4, 7]);
        assert!(c.line(3).unwrap().active_low);
        assert!(!c.line(4).unwrap().active_low);
        assert_eq!(c.line(4).unwrap().bias, Some(Bias::PullDown));
        assert_eq!(c.line(7).unwrap().drive, Some(Drive::OpenDrain));
        assert_eq!(c.line(7).unwrap().bias, None);
        c.without_line(4);
        assert_eq!(c.offsets(), vec![3, 7]);
    }

    #[test]
    fn validation_catches_what_the_kernel_rejects() {
        assert_eq!(Config::default().validate(), Err(InvalidConfig::NoLines));
        let mut c = Config::default();
        c.with_line(1).as_output(Value::Inactive);
        c.with_line(1).apply(|s| s.edge = Some(EdgeDetection::Both));
        assert_eq!(c.validate(), Err(InvalidConfig::EdgeNeedsInput(1)));

        let mut c = Config::default();
        c.with_line(2).as_input().with_drive(Drive::OpenSource);
        assert_eq!(c.validate(), Err(InvalidConfig::DriveNeedsOutput(2)));

        let mut c = Config::default();
        c.with_line(5).with_bias(Bias::PullUp);
        assert_eq!(c.validate(), Err(InvalidConfig::BiasNeedsDirection(5)));

        let mut c = Config::default();
        c.with_line(6).with_debounce(Duration::from_secs(5000));
        assert_eq!(c.validate(), Err(InvalidConfig::DebounceTooLong(6)));

        let mut c = Config::default();
        c.with_lines(&(0..65).collect::<Vec<_>>()).as_input();
        assert_eq!(c.validate(), Err(InvalidConfig::TooManyLines(65)));

        let mut c = Config::default();
        c.with_line(0)
            .as_input()
            .with_edge_detection(EdgeDetection::Rising);
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn v2_encoding_uses_the_common_flags_as_default() {
        let mut c = Config::default();
        c.with_lines(&[10, 11, 12])
            .as_input()
            .with_bias(Bias::PullUp);
        c.with_line(13).as_output(Value::Active).as_active_low();
        c.with_line(14).as_output(Value::Inactive);
        let e = c.encode_v2().unwrap();
        assert_eq!(e.flags, flag::INPUT | flag::BIAS_PULL_UP);
        assert_eq!(
            attr_list(&e),
            vec![
                (v2::ATTR_ID_FLAGS, flag::OUTPUT | flag::ACTIVE_LOW, 0b01000),
                (v2::ATTR_ID_FLAGS, flag::OUTPUT, 0b10000),
                (v2::ATTR_ID_OUTPUT_VALUES, 0b01000, 0b11000),
            ]
        );
    }

    #[test]
    fn v1_flags_translate_what_v1_knows() {
        use v1::handle_flag as h;
        let cases = [
            (LineSettings::default(), 0),
            (
                LineSettings {
                    direction: Some(Direction::Input),
                    bias: Some(Bias::PullUp),
                    edge: Some(EdgeDetection::Both),
                    event_clock: Some(EventClock::Realtime),
                    ..LineSettings::default()
                },
                h::INPUT | h::BIAS_PULL_UP,
            ),
            (
                LineSettings {
                    direction: Some(Direction::Output),
                    active_low: true,
                    bias: Some(Bias::Disabled),
                    drive: Some(Drive::OpenDrain),
                    ..LineSettings::default()
                },
                h::OUTPUT | h::ACTIVE_LOW | h::BIAS_DISABLE | h::OPEN_DRAIN,
            ),
            (
                LineSettings {
                    bias: Some(Bias::PullDown),
                    drive: Some(Drive::OpenSource),
                    ..LineSettings::default()
                },
                h::BIAS_PULL_DOWN | h::OPEN_SOURCE,
            ),
        ];
        for (settings, want) in cases {
            assert_eq!(settings.v1_flags(), want, "{settings:?}");
        }
    }

    #[test]
    fn v2_encoding_of_edges_debounce_and_clock() {
        let mut c = Config::default();
        c.with_line(1)
            .with_edge_detection(EdgeDetection::Both)
            .with_debounce(Duration::from_millis(2))
            .with_event_clock(EventClock::Realtime);
        c.with_line(2)
            .with_edge_detection(EdgeDetection::Falling)
            .with_debounce(Duration::from_micros(300));
        c.with_line(3).with_edge_detection(EdgeDetection::Falling);
        let e = c.encode_v2().unwrap();
        assert_eq!(e.flags, flag::INPUT | flag::EDGE_FALLING);
        assert_eq!(
            attr_list(&e),
            vec![
                (
                    v2::ATTR_ID_FLAGS,
                    flag::INPUT
                        | flag::EDGE_RISING
                        | flag::EDGE_FALLING
                        | flag::EVENT_CLOCK_REALTIME,
                    0b001
                ),
                (v2::ATTR_ID_DEBOUNCE, 2000, 0b001),
                (v2::ATTR_ID_DEBOUNCE, 300, 0b010),
            ]
        );
    }

    #[test]
    fn v2_encoding_limits_attributes() {
        let mut c = Config::default();
        for o in 0..12u32 {
            c.with_line(o)
                .as_input()
                .with_debounce(Duration::from_micros(u64::from(o) + 1));
        }
        assert_eq!(c.encode_v2().unwrap_err(), InvalidConfig::TooManyAttributes);
    }

    #[test]
    fn v1_plans_and_limits() {
        let mut c = Config::default();
        c.with_lines(&[0, 1]).as_output(Value::Inactive);
        c.with_line(1).with_value(Value::Active);
        match c.encode_v1().unwrap().unwrap() {
            V1Plan::Handle { flags, values } => {
                assert_eq!(flags, v1::handle_flag::OUTPUT);
                assert_eq!(&values[..3], &[0, 1, 0]);
            }
            other => panic!("{other:?}"),
        }

        let mut c = Config::default();
        c.with_line(4)
            .with_edge_detection(EdgeDetection::Falling)
            .with_bias(Bias::PullUp)
            .as_active_low();
        assert_eq!(
            c.encode_v1().unwrap().unwrap(),
            V1Plan::Event {
                offset: 4,
                handleflags: v1::handle_flag::INPUT
                    | v1::handle_flag::BIAS_PULL_UP
                    | v1::handle_flag::ACTIVE_LOW,
                eventflags: v1::EVENT_REQUEST_FALLING_EDGE,
            }
        );
        assert_eq!(
            c.encode_v1_handle_config().unwrap_err(),
            AbiLimit::ReconfigureEdges
        );

        c.with_line(5).as_input();
        assert_eq!(c.encode_v1().unwrap(), Err(AbiLimit::MultiLineEdges));

        let mut c = Config::default();
        c.with_line(0).as_input();
        c.with_line(1).as_input().as_active_low();
        assert_eq!(c.encode_v1().unwrap(), Err(AbiLimit::MixedLineConfig));

        let mut c = Config::default();
        c.with_line(0).with_debounce(Duration::from_millis(1));
        assert_eq!(c.encode_v1().unwrap(), Err(AbiLimit::Debounce));

        let mut c = Config::default();
        c.with_line(0)
            .with_edge_detection(EdgeDetection::Both)
            .with_event_clock(EventClock::Realtime);
        assert_eq!(c.encode_v1().unwrap(), Err(AbiLimit::EventClock));
    }
}
