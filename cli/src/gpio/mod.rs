//! `udrv gpio`: detect, info, get, set, mon, notify, spelled as libgpiod 2.x's tools
//! (gpiodetect, gpioinfo, gpioget, gpioset, gpiomon, gpionotify) are: the same options,
//! the same periods (`-p 10ms`), the same output. udrv adds, never contradicts: `--json`,
//! chips by label, lines as `CHIP:OFFSET`, `--abi-v1`, `mon --buffer` and lost-event
//! reports. The README's "Differences from libgpiod's tools" lists what still differs.
//!
//! Lines are named the way users think of them: by the name the kernel publishes
//! (`button`, `GPIO17`), by offset on a chip given with `-c` (`-c gpiochip0 17`), or as
//! `CHIP:OFFSET` where CHIP is `gpiochip0`, `/dev/gpiochip0`, `0` or a chip label
//! (`pinctrl-bcm2711:17`).

mod events;
mod format;
mod lines;
mod period;
#[cfg(feature = "serve")]
mod service;
mod set;
mod show;
mod tz;

use std::path::Path;
use std::time::Duration;

use clap::{ArgAction, Args, Subcommand, ValueEnum};
use udrv_core::gpio::{self, Bias, Drive, EdgeDetection, EventClock, Request, RequestBuilder};

use crate::{Cli, Failure, Outcome};

pub use lines::Scope;

/// Chips and periods, as libgpiod's tools explain them after their options.
const CHIPS_AND_PERIODS: &str =
    "Chips: N, gpiochipN or /dev/gpiochipN (and, in udrv, a chip's label).\n\
Periods: a whole number and a unit, us, ms, s or m (minutes); milliseconds without one \
(10ms, 500us, 2s, 20).";

/// `udrv gpio ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List GPIO chips, their labels and number of lines (as gpiodetect): all, or the
    /// chips given (N, gpiochipN, /dev/gpiochipN or a label).
    #[command(disable_version_flag = true, infer_long_args = true)]
    Detect(DetectArgs),
    /// Print information about GPIO lines: every chip's, one chip's (-c) or the lines
    /// named (as gpioinfo): name, direction, bias, drive, edges, consumer.
    #[command(disable_version_flag = true, infer_long_args = true)]
    Info(InfoArgs),
    /// Read values of GPIO lines (as gpioget).
    #[command(disable_version_flag = true, infer_long_args = true)]
    Get(GetArgs),
    /// Set values of GPIO lines and hold them until killed (as gpioset 2.x): `-z` holds
    /// them from a background process and returns, `-t` toggles them, `-t 0` sets them
    /// and exits.
    #[command(disable_version_flag = true, infer_long_args = true)]
    Set(SetArgs),
    /// Wait for edge events on GPIO lines and print them (as gpiomon), with kernel
    /// timestamps; lost events are reported on stderr.
    #[command(disable_version_flag = true, infer_long_args = true)]
    Mon(MonArgs),
    /// Wait for changes to the info of GPIO lines (requested, released, reconfigured)
    /// and print them (as gpionotify).
    #[command(disable_version_flag = true, infer_long_args = true)]
    Notify(NotifyArgs),
}

/// `-v`/`--version`, as every libgpiod tool takes it (`-V` too, as udrv's other
/// commands).
#[derive(Args, Debug)]
pub struct Version {
    /// Print version information and exit.
    #[arg(short = 'v', short_alias = 'V', long = "version", action = ArgAction::Version)]
    version: Option<bool>,
}

/// Options shared by get, set and mon.
#[derive(Args, Debug)]
pub struct LineOpts {
    #[command(flatten)]
    scope: Scope,
    /// Treat the lines as active low.
    #[arg(short = 'l', long = "active-low")]
    active_low: bool,
    /// Line bias: pull-up, pull-down or disabled (default: leave it unchanged).
    #[arg(short = 'b', long = "bias", value_enum, value_name = "BIAS")]
    bias: Option<BiasArg>,
    /// Consumer name the kernel shows for the lines (default: udrv-get, udrv-set,
    /// udrv-mon, so that gpioinfo tells udrv's requests from libgpiod's).
    #[arg(short = 'C', long = "consumer", value_name = "NAME")]
    consumer: Option<String>,
    /// Use the GPIO uAPI v1 (default: v2 with fallback to v1 on old kernels).
    #[arg(long = "abi-v1")]
    abi_v1: bool,
    #[command(flatten)]
    version: Version,
}

/// `--bias` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BiasArg {
    /// Pull-up resistor.
    PullUp,
    /// Pull-down resistor.
    PullDown,
    /// No pull.
    Disabled,
}

/// `--drive` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DriveArg {
    /// Drive high and low.
    PushPull,
    /// Drive low only.
    OpenDrain,
    /// Drive high only.
    OpenSource,
}

/// `--edges` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EdgesArg {
    /// Inactive to active.
    Rising,
    /// Active to inactive.
    Falling,
    /// Both.
    Both,
}

/// `--event-clock` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    /// CLOCK_MONOTONIC (the default).
    Monotonic,
    /// CLOCK_REALTIME (printed as UTC unless --localtime).
    Realtime,
    /// A hardware timestamp engine.
    Hte,
}

/// `notify --event` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InfoEventArg {
    /// The line was requested.
    Requested,
    /// The line was released.
    Released,
    /// The line's configuration changed.
    Reconfigured,
}

/// `-t`'s periods.
#[derive(Clone, Debug)]
pub struct Periods(pub Vec<Duration>);

fn parse_periods(s: &str) -> Result<Periods, String> {
    period::parse_list(s).map(Periods)
}

/// `udrv gpio detect`
#[derive(Args, Debug)]
pub struct DetectArgs {
    #[command(flatten)]
    version: Version,
    /// Chips: N, gpiochipN, /dev/gpiochipN or (udrv) a label; all chips when absent.
    #[arg(value_name = "CHIP")]
    chips: Vec<String>,
}

/// `udrv gpio info`
#[derive(Args, Debug)]
pub struct InfoArgs {
    #[command(flatten)]
    scope: Scope,
    /// Don't quote line or consumer names.
    #[arg(long = "unquoted")]
    unquoted: bool,
    #[command(flatten)]
    version: Version,
    /// Lines: names, or offsets with -c; all lines when absent. (udrv: a chip given here,
    /// without -c, lists that chip's lines.)
    #[arg(value_name = "LINE")]
    lines: Vec<String>,
}

/// `udrv gpio get`
#[derive(Args, Debug)]
#[command(after_help = CHIPS_AND_PERIODS)]
pub struct GetArgs {
    #[command(flatten)]
    opts: LineOpts,
    /// Leave the line direction unchanged, not forced to input.
    #[arg(short = 'a', long = "as-is")]
    as_is: bool,
    /// Wait this long between requesting the lines and reading the values.
    #[arg(short = 'p', long = "hold-period", value_parser = period::parse, value_name = "PERIOD")]
    hold_period: Option<Duration>,
    /// Display line values as '0' (inactive) or '1' (active) (udrv: also -n).
    #[arg(short = 'n', long = "numeric")]
    numeric: bool,
    /// Don't quote line names.
    #[arg(long = "unquoted")]
    unquoted: bool,
    /// Lines: names, offsets with -c, or (udrv) CHIP:OFFSET.
    #[arg(required = true, value_name = "LINE")]
    lines: Vec<String>,
}

/// `udrv gpio set`
#[derive(Args, Debug)]
#[command(after_help = CHIPS_AND_PERIODS)]
pub struct SetArgs {
    #[command(flatten)]
    opts: LineOpts,
    /// Output drive: push-pull (the default), open-drain or open-source.
    #[arg(short = 'd', long = "drive", value_enum, value_name = "DRIVE")]
    drive: Option<DriveArg>,
    /// The minimum time to hold the lines at the requested values (each toggle period
    /// is at least this long).
    #[arg(short = 'p', long = "hold-period", value_parser = period::parse, value_name = "PERIOD")]
    hold_period: Option<Duration>,
    /// Toggle the lines after each period; when the last period is 0, exit after the
    /// sequence, else repeat it. `-t 0` sets the lines and exits at once.
    #[arg(short = 't', long = "toggle", value_parser = parse_periods, value_name = "PERIOD[,PERIOD]...")]
    toggle: Option<Periods>,
    /// Set the values, then return and hold them from a background process (until it is
    /// killed).
    #[arg(short = 'z', long = "daemonize")]
    daemonize: bool,
    /// Print "Setting line 'X'..." once the lines are set.
    #[arg(long = "banner")]
    banner: bool,
    /// Don't quote line names.
    #[arg(long = "unquoted")]
    unquoted: bool,
    /// Holding until killed is the default (as for gpioset 2.x); this was udrv's spelling
    /// for it and is still accepted.
    #[arg(long = "hold", hide = true)]
    hold: bool,
    /// Accepted and ignored: set does not ask for confirmation, as gpioset does not.
    #[arg(short = 'y', long = "yes", hide = true)]
    yes: bool,
    /// LINE=VALUE pairs; VALUE is 1/0, active/inactive, on/off, true/false (udrv: also
    /// high/low, in any case); LINE may be quoted ("LINE"=VALUE). A PWM channel udrv serve
    /// holds takes a duty in percent (fan=25%).
    #[arg(required = true, value_name = "LINE=VALUE")]
    assignments: Vec<String>,
}

/// The options of `mon` and `notify` for how long they run and how they print events
/// (`mon` and `notify` give `--localtime`, `--utc`, `--unquoted` and `--banner` their own
/// help texts).
#[derive(Args, Debug)]
pub struct EventOpts {
    /// Exit (status 0) when no event comes for this period.
    #[arg(long = "idle-timeout", value_parser = period::parse, value_name = "PERIOD")]
    idle_timeout: Option<Duration>,
    /// Exit after this many events (0: never).
    #[arg(
        short = 'n',
        long = "num-events",
        default_value_t = 0,
        value_name = "NUM"
    )]
    num_events: u64,
    /// Don't print the events.
    #[arg(short = 'q', long = "quiet", visible_alias = "silent")]
    quiet: bool,
    /// Convert the timestamps to local time.
    #[arg(long = "localtime", overrides_with = "utc")]
    localtime: bool,
    /// Convert the timestamps to UTC.
    #[arg(long = "utc", overrides_with = "localtime")]
    utc: bool,
    /// Don't quote line names.
    #[arg(long = "unquoted")]
    unquoted: bool,
    /// Print a banner once the lines are watched (on stdout; with --json on stderr).
    #[arg(long = "banner")]
    banner: bool,
}

/// `udrv gpio mon`
#[derive(Args, Debug)]
#[command(
    after_help = CHIPS_AND_PERIODS,
    mut_arg("localtime", |a| a.help(
        "Print timestamps as local time (and use the realtime clock unless -E says)"
    )),
    mut_arg("utc", |a| a.help(
        "Print timestamps as UTC (and use the realtime clock unless -E says)"
    )),
    mut_arg("banner", |a| a.help(
        "Print \"Monitoring line 'X'...\" once edge detection is on (on stdout as \
         gpiomon; with --json on stderr, keeping stdout JSON)"
    )),
)]
pub struct MonArgs {
    #[command(flatten)]
    opts: LineOpts,
    /// Edges to report: rising, falling or both (with -l, rising is inactive to active).
    #[arg(
        short = 'e',
        long = "edges",
        value_enum,
        default_value = "both",
        value_name = "EDGES"
    )]
    edges: EdgesArg,
    /// Clock of the event timestamps: monotonic (the default), realtime (printed as UTC)
    /// or hte.
    #[arg(short = 'E', long = "event-clock", value_enum, value_name = "CLOCK")]
    event_clock: Option<ClockArg>,
    /// Custom output format: %o offset, %l line name, %c chip name, %e event type (1
    /// rising, 2 falling), %E rising/falling, %S timestamp in seconds, %U as UTC, %L as
    /// local time, %% a percent sign; udrv adds %s and %n, the kernel's sequence numbers
    /// (of the request, of the line).
    #[arg(short = 'F', long = "format", value_name = "FMT")]
    format: Option<String>,
    /// Debounce the lines with this period (uAPI v2).
    #[arg(short = 'p', long = "debounce-period", value_parser = period::parse, value_name = "PERIOD")]
    debounce: Option<Duration>,
    #[command(flatten)]
    events: EventOpts,
    /// Kernel event buffer size in events (uAPI v2; default 16 per line).
    #[arg(long = "buffer", value_name = "EVENTS")]
    buffer: Option<u32>,
    /// Lines: names, offsets with -c, or (udrv) CHIP:OFFSET.
    #[arg(required = true, value_name = "LINE")]
    lines: Vec<String>,
}

/// `udrv gpio notify`
#[derive(Args, Debug)]
#[command(
    after_help = CHIPS_AND_PERIODS,
    mut_arg("unquoted", |a| a.help("Don't quote line or consumer names")),
    mut_arg("banner", |a| a.help(
        "Print \"Watching line 'X'...\" once the lines are watched (on stdout as \
         gpionotify; with --json on stderr)"
    )),
)]
pub struct NotifyArgs {
    #[command(flatten)]
    scope: Scope,
    /// Events to report: requested, released or reconfigured (default: all).
    #[arg(short = 'e', long = "event", value_enum, value_name = "EVENT")]
    event: Option<InfoEventArg>,
    /// Custom output format: %o offset, %l line name, %c chip name, %e event type (1
    /// requested, 2 released, 3 reconfigured), %E its name, %a the line's attributes, %C
    /// its consumer, %S timestamp in seconds, %U as UTC, %L as local time, %% a percent
    /// sign.
    #[arg(short = 'F', long = "format", value_name = "FMT")]
    format: Option<String>,
    #[command(flatten)]
    events: EventOpts,
    #[command(flatten)]
    version: Version,
    /// Lines: names, offsets with -c, or (udrv) CHIP:OFFSET.
    #[arg(required = true, value_name = "LINE")]
    lines: Vec<String>,
}

/// Runs an `udrv gpio` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    match cmd {
        Cmd::Detect(a) => show::detect(&a.chips, cli),
        Cmd::Info(a) => show::info(a, cli),
        Cmd::Get(a) => show::get(a, cli),
        Cmd::Set(a) => set::set(a, cli),
        Cmd::Mon(a) => events::mon(a, cli),
        Cmd::Notify(a) => events::notify(a, cli),
    }
}

/// The line settings a command may not give for lines `udrv serve` holds (its
/// `[[line]]` decides them).
#[cfg(feature = "serve")]
fn service_settings(opts: &LineOpts) -> Outcome {
    if opts.active_low || opts.bias.is_some() || opts.abi_v1 || opts.consumer.is_some() {
        return Err(Failure::usage(
            "udrv serve holds these lines and its [[line]] settings apply: leave out -l, -b, \
             -C and --abi-v1",
        ));
    }
    Ok(())
}

fn fail(e: gpio::Error) -> Failure {
    // The kernel's consumer name: a line udrv serve holds while its socket did not answer.
    #[cfg(feature = "serve")]
    if let gpio::Error::Io {
        holder: Some((_, consumer)),
        ..
    } = &e
    {
        if consumer == udrv_service::client::CONSUMER {
            return Failure::op(format!(
                "{e}: udrv serve holds the line, but does not answer on {}: set \
                 UDRV_SERVE_SOCKET to its [socket] path",
                udrv_service::client::socket_path().display()
            ));
        }
    }
    Failure::op(e)
}

/// A request builder for `offsets` on `chip` with the shared options applied.
fn builder(chip: &Path, offsets: &[u32], opts: &LineOpts, consumer: &str) -> RequestBuilder {
    let mut b = Request::builder();
    b.on_chip(chip)
        .with_consumer(opts.consumer.as_deref().unwrap_or(consumer));
    b.with_lines(offsets);
    if opts.active_low {
        b.as_active_low();
    }
    if let Some(bias) = opts.bias {
        b.with_bias(match bias {
            BiasArg::PullUp => Bias::PullUp,
            BiasArg::PullDown => Bias::PullDown,
            BiasArg::Disabled => Bias::Disabled,
        });
    }
    if opts.abi_v1 {
        b.with_abi(gpio::Abi::V1);
    }
    b
}

fn drive(d: DriveArg) -> Drive {
    match d {
        DriveArg::PushPull => Drive::PushPull,
        DriveArg::OpenDrain => Drive::OpenDrain,
        DriveArg::OpenSource => Drive::OpenSource,
    }
}

fn edges(e: EdgesArg) -> EdgeDetection {
    match e {
        EdgesArg::Rising => EdgeDetection::Rising,
        EdgesArg::Falling => EdgeDetection::Falling,
        EdgesArg::Both => EdgeDetection::Both,
    }
}

fn clock(c: ClockArg) -> EventClock {
    match c {
        ClockArg::Monotonic => EventClock::Monotonic,
        ClockArg::Realtime => EventClock::Realtime,
        ClockArg::Hte => EventClock::Hte,
    }
}

#[cfg(test)]
mod tests;
