//! `udrv read CHIP@BUS[:ADDR]...`: readings of known chips through their drivers, on
//! Linux buses (`udrv-core`) or on the virtual board (`--board virtual`), where `udrv
//! read` without a chip reads every chip of the board.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::I2c;
use embedded_hal::spi::SpiDevice;
use serde_json::json;
use udrv_boards::catalog::{self, ChipKind, ChipSpec, Location, SpecError};
use udrv_boards::r#virtual::{StdDelay, VirtualBoard, CHIPS as VIRTUAL_CHIPS};
use udrv_boards::{Board, BoardId};
use udrv_core::i2c::I2cBus;
use udrv_core::record::{Log, Replay, ReplayDevice};
use udrv_core::spi::{self, SpidevDevice};
use udrv_drivers::sim::fault::Faults;
use udrv_drivers::sim::{SimI2cBus, SimSpiDevice};

use crate::chips::{self, ChipRead, ReadError, Reading};
use crate::i2c::syntax::parse_number;
use crate::out::json_line;
use crate::{Cli, Failure, Outcome};

/// `udrv read`
#[derive(Args, Debug)]
pub struct ReadArgs {
    /// Chips to read, as `CHIP@BUS[:ADDR]`: `bme280@i2c-1:0x76`, `lm75@1:0x48`,
    /// `bme280@spidev0.0` (also `0.0`, or the board's `spi0.0`). Without ADDR, the chip's
    /// usual address. Without any, on the virtual board: every chip of the board (whose
    /// world follows the wall clock, or the time in seconds that UDRV_VIRTUAL_TIME gives,
    /// for reproducible output). Chips with an ID register are checked by it; the others
    /// are said not identified.
    #[arg(value_name = "CHIP@BUS[:ADDR]")]
    devices: Vec<String>,
    /// Read again every SECONDS (until interrupted, or -n rounds).
    #[arg(short = 'w', long = "watch", value_name = "SECONDS")]
    watch: Option<f64>,
    /// Read COUNT rounds (one second apart unless --watch says otherwise).
    #[arg(short = 'n', long = "count", value_name = "COUNT")]
    count: Option<u64>,
    /// List the chips `udrv read` knows, their buses and addresses, and what a read
    /// sends to each.
    #[arg(long = "list", conflicts_with = "devices")]
    list: bool,
    /// Also write every bus transaction to FILE (udrv's text record format), to replay
    /// the session later without the hardware: with --replay, or in Rust tests through
    /// `udrv_core::record::Replay`.
    #[arg(long = "record", value_name = "FILE", conflicts_with = "replay")]
    record: Option<std::path::PathBuf>,
    /// Answer from a recording instead of the buses: no device is opened. Without chips,
    /// the chips the recording has are read. Every transaction must match the recording,
    /// and each chip read must use up its recorded lines: without -n, as many rounds are
    /// read as were recorded.
    #[arg(long = "replay", value_name = "FILE")]
    replay: Option<std::path::PathBuf>,
}

/// Where a chip is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// On an I2C bus (as the user named it) at an address.
    I2c {
        /// The bus: `i2c-1`, `1`, `/dev/i2c-1`, an adapter name or a board role.
        bus: String,
        /// The 7-bit address, and the switch channel in front of it.
        at: I2cAt,
    },
    /// An SPI device (`spidev0.0`, `/dev/spidev0.0`).
    Spi {
        /// The device as the user named it.
        device: String,
        /// The chip's hardware address (A2..A0) for chips that share a chip select
        /// (`mcp23s17@spidev0.0:5`).
        hw: Option<u8>,
    },
}

/// Where on an I2C bus a chip answers: its address, behind a channel of a PCA9546/PCA9548
/// switch when the bus was named `BUS/SWITCH.CHANNEL` (`i2c-1/0x70.3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct I2cAt {
    /// The chip's 7-bit address.
    pub address: u8,
    /// The switch in front of the chip, if any.
    pub switch: Option<Switch>,
}

/// A PCA9546/PCA9548 switch's address and the channel to select on it.
pub type Switch = (u8, u8);

/// One chip to read: what it is and where.
#[derive(Clone, Debug)]
pub struct Device {
    /// The chip's kind.
    pub kind: ChipKind,
    /// Where.
    pub target: Target,
    /// `bme280@i2c-1:0x76`: how the output names it (the catalog's spec, printed).
    pub label: String,
}

/// Parses `CHIP@BUS[:ADDR]` with the catalog ([`ChipSpec`]), which checks it against the
/// chip's interfaces and addresses.
pub fn parse_device(text: &str) -> Result<Device, Failure> {
    let spec: ChipSpec = text.parse().map_err(|e| match e {
        SpecError::UnknownChip(_) => Failure::usage(format!("{e} (see udrv read --list)")),
        e => Failure::usage(e.to_string()),
    })?;
    if let Some(c) = spec.channel() {
        return Err(Failure::usage(format!(
            "`{text}`: udrv read reads whole chips; name the chip without `#{c}` ({})",
            spec.with_channel(None)
        )));
    }
    let target = match spec.location() {
        Location::I2c {
            bus,
            switch,
            address,
        } => Target::I2c {
            bus: bus.to_string(),
            at: I2cAt {
                address: *address,
                switch: switch.map(|s| (s.address(), s.channel())),
            },
        },
        Location::Spi {
            device,
            hardware_address,
        } => Target::Spi {
            device: device.to_string(),
            hw: *hardware_address,
        },
    };
    Ok(Device {
        kind: spec.kind(),
        target,
        label: spec.to_string(),
    })
}

/// Whether `--board` (or `UDRV_BOARD`) names the virtual board.
pub fn is_virtual(cli: &Cli) -> bool {
    cli.board
        .as_deref()
        .and_then(BoardId::from_name)
        .is_some_and(|b| b == BoardId::Virtual)
}

/// The environment variable that fixes the virtual board's clock (seconds since the Unix
/// epoch, fractions allowed) for reproducible output; unset, the clock is the wall clock.
pub const ENV_VIRTUAL_TIME: &str = "UDRV_VIRTUAL_TIME";

/// The virtual board, on the wall clock or at the time `UDRV_VIRTUAL_TIME` gives.
pub fn virtual_board() -> Result<VirtualBoard, Failure> {
    match std::env::var(ENV_VIRTUAL_TIME) {
        Err(_) => Ok(VirtualBoard::wall_clock()),
        Ok(t) => match t.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(VirtualBoard::at(Duration::from_secs_f64(x))),
            _ => Err(Failure::usage(format!(
                "{ENV_VIRTUAL_TIME}={t}: give the virtual board's time in seconds (e.g. 100.5)"
            ))),
        },
    }
}

/// The real board named by `--board`, when one is named (for I2C roles like `i2c_arm`).
fn named_board(cli: &Cli) -> Result<Option<Box<dyn Board>>, Failure> {
    match cli.board.as_deref() {
        None => Ok(None),
        Some(_) => crate::board::open(cli).map(Some),
    }
}

/// Opens a Linux I2C bus given as a number, `i2c-N`, a `/dev` path, a board role
/// (`i2c_arm`, with `--board`) or an adapter name.
pub fn open_linux_i2c(spec: &str, board: Option<&dyn Board>) -> Result<I2cBus, Failure> {
    let r = if let Ok(n) = parse_number(spec) {
        I2cBus::open(n as u32)
    } else if spec.starts_with('/') {
        I2cBus::open_path(spec)
    } else if let Some(n) = spec.strip_prefix("i2c-").and_then(|n| n.parse().ok()) {
        I2cBus::open(n)
    } else if let Some(b) = board {
        return b.i2c(spec).and_then(|r| r.open()).map_err(Failure::op);
    } else {
        I2cBus::open_by_name(spec)
    };
    r.map_err(Failure::op)
}

/// Opens a spidev node (a board's `spiB.C` through the board) and sets what `kind` needs:
/// mode 0, 8-bit words, its clock (the node keeps whatever the last user set, e.g. 3-wire
/// mode, otherwise).
fn open_linux_spi(spec: &str, kind: ChipKind, cli: &Cli) -> Result<SpidevDevice, Failure> {
    let path = crate::spi::device_path(spec, cli)?;
    let config = spi::Config::new()
        .mode(spi::Mode::Mode0)
        .bits_per_word(8)
        .max_speed_hz(kind.spi().map_or(1_000_000, |s| s.max_hz));
    SpidevDevice::open_with(&path, &config).map_err(Failure::op)
}

/// A device opened for reading.
enum Opened {
    LinuxI2c(I2cBus, I2cAt),
    LinuxSpi(SpidevDevice),
    SimI2c(SimI2cBus, I2cAt),
    SimSpi(SimSpiDevice),
    /// A recorded device (`--replay`): where it is when it is on I2C.
    Replay(ReplayDevice, Option<I2cAt>),
}

impl Opened {
    /// Reads chip `def`; with `rec`, every transaction also goes to that log as `name`;
    /// `faults` (UDRV_VIRTUAL_FAULTS, one plan for the whole command) wrap the virtual
    /// board's buses, never real ones.
    fn read(
        &mut self,
        dev: &Device,
        rec: Option<&Log>,
        faults: Option<&Faults>,
    ) -> Result<ChipRead, String> {
        let (def, name) = (dev.kind, &record_name(dev));
        let hw = match dev.target {
            Target::Spi { hw, .. } => hw,
            Target::I2c { .. } => None,
        };
        use udrv_drivers::sim::fault::{FaultyI2c, FaultySpi};
        let mut delay = StdDelay;
        let d = &mut delay;
        match (self, faults) {
            (Opened::LinuxI2c(bus, a), _) => read_i2c(def, bus, *a, d, rec, name),
            (Opened::LinuxSpi(spi), _) => read_spi(def, spi, hw, d, rec, name),
            (Opened::SimI2c(bus, a), None) => read_i2c(def, bus.clone(), *a, d, rec, name),
            (Opened::SimI2c(bus, a), Some(f)) => {
                read_i2c(def, FaultyI2c::new(bus.clone(), f), *a, d, rec, name)
            }
            (Opened::SimSpi(spi), None) => read_spi(def, spi.clone(), hw, d, rec, name),
            (Opened::SimSpi(spi), Some(f)) => {
                read_spi(def, FaultySpi::new(spi.clone(), f), hw, d, rec, name)
            }
            (Opened::Replay(r, Some(a)), _) => read_i2c(def, r.clone(), *a, d, None, name),
            (Opened::Replay(r, None), _) => {
                chips::read_spi(def, r.clone(), hw, d).map_err(|e| e.to_string())
            }
        }
    }
}

/// [`chips::read_i2c`] at `at`, through a [`Recorder`](udrv_core::record::Recorder) when
/// recording (the bus's traffic, switch selection included).
fn read_i2c<B>(
    def: ChipKind,
    bus: B,
    at: I2cAt,
    delay: &mut impl DelayNs,
    rec: Option<&Log>,
    name: &str,
) -> Result<ChipRead, String>
where
    B: I2c,
    B::Error: std::fmt::Display,
{
    match rec {
        Some(log) => behind_switch(def, log.record(name, bus), at, delay),
        None => behind_switch(def, bus, at, delay),
    }
}

/// [`chips::read_i2c`], through the switch channel `at` names, if any. The switch is
/// checked first: a PCA9546/PCA9548 answers a plain read with its control register (so
/// nothing is written to another chip at its address), and reads back the channel written.
fn behind_switch<B>(
    def: ChipKind,
    mut bus: B,
    at: I2cAt,
    delay: &mut impl DelayNs,
) -> Result<ChipRead, String>
where
    B: I2c,
    B::Error: std::fmt::Display,
{
    use udrv_drivers::pca954x::{Pca954x, Variant};
    let Some((sw, channel)) = at.switch else {
        return read_named(def, &mut bus, at.address, delay);
    };
    let mut switch = Pca954x::new(&mut bus, sw, Variant::Pca9548);
    let mask = 1u8 << channel;
    // The bus's own message for a bus error (it names the address and the errno).
    let why = |e: udrv_drivers::pca954x::Error<B::Error>| match e {
        udrv_drivers::pca954x::Error::Bus(b) => b.to_string(),
        other => other.to_string(),
    };
    let checked = match switch.channels() {
        Err(e) => Err(format!("a plain read failed: {}", why(e))),
        Ok(_) => match switch.select(channel).and_then(|()| switch.channels()) {
            Ok(now) if now == mask => Ok(()),
            Ok(now) => Err(format!(
                "channel mask {mask:#04x} written, {now:#04x} read back"
            )),
            Err(e) => Err(why(e)),
        },
    };
    if let Err(why) = checked {
        return Err(not_a_switch(switch.release(), sw, &why));
    }
    let channel = switch.channel(channel).map_err(|e| e.to_string())?;
    read_named(def, &mut SwitchChannel(channel), at.address, delay)
}

/// Why the switch `sw` named in front of a chip is not one, naming what answers there.
fn not_a_switch<B: I2c>(bus: &mut B, sw: u8, why: &str) -> String {
    // A quick write (the address alone, no data) tells a chip that refuses reads from an
    // address nothing answers; a switch ignores it.
    if bus.write(sw, &[]).is_err() {
        return format!(
            "no PCA9546/PCA9548 switch at {sw:#04x}: nothing answers there ({why}); check \
             the switch's address (0x70-0x77, its A2..A0 pins)"
        );
    }
    format!(
        "no PCA9546/PCA9548 switch at {sw:#04x} ({why}; a switch answers a plain read with \
         its control register and reads back the channels written): {}",
        what_answers(bus, sw)
    )
}

/// [`chips::read_i2c`]; a chip with another chip's ID fails naming what answers at its
/// address, as `udrv probe` sees it.
fn read_named<I>(
    def: ChipKind,
    bus: &mut I,
    address: u8,
    delay: &mut impl DelayNs,
) -> Result<ChipRead, String>
where
    I: I2c,
    I::Error: std::fmt::Display,
{
    match chips::read_i2c(def, &mut *bus, address, delay) {
        Ok(r) => Ok(r),
        Err(ReadError::WrongChip(m)) => Err(format!("{m}; {}", what_answers(bus, address))),
        Err(ReadError::Failed(m)) => Err(m),
    }
}

/// What answers at `address`, as `udrv probe` identifies it (register reads only).
fn what_answers<I: I2c>(bus: &mut I, address: u8) -> String {
    let f = crate::probe::identify(bus, address);
    if f.known {
        format!(
            "`udrv probe` identifies what answers at {address:#04x} as {} ({})",
            f.chip, f.evidence
        )
    } else if f.chip != "(unknown)" {
        format!(
            "`udrv probe` guesses that what answers at {address:#04x} is {} (`udrv probe \
             BUS` says why)",
            f.chip
                .trim_start_matches('(')
                .trim_end_matches(')')
                .trim_end_matches('?')
        )
    } else {
        format!("`udrv probe` does not recognise what answers at {address:#04x}")
    }
}

/// A switch channel as a bus whose errors read as the bus's own (which name the device
/// and say what to do), or as the switch driver's message.
struct SwitchChannel<'a, B>(udrv_drivers::pca954x::Channel<'a, B>);

/// [`SwitchChannel`]'s errors.
#[derive(Debug)]
enum SwitchError<E> {
    Bus(E),
    Switch(String),
}

impl<E: std::fmt::Display> std::fmt::Display for SwitchError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SwitchError::Bus(e) => e.fmt(f),
            SwitchError::Switch(m) => f.write_str(m),
        }
    }
}

impl<E: embedded_hal::i2c::Error> embedded_hal::i2c::Error for SwitchError<E> {
    fn kind(&self) -> embedded_hal::i2c::ErrorKind {
        match self {
            SwitchError::Bus(e) => e.kind(),
            SwitchError::Switch(_) => embedded_hal::i2c::ErrorKind::Other,
        }
    }
}

impl<B: I2c> embedded_hal::i2c::ErrorType for SwitchChannel<'_, B> {
    type Error = SwitchError<B::Error>;
}

impl<B: I2c> I2c for SwitchChannel<'_, B>
where
    B::Error: std::fmt::Display,
{
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [embedded_hal::i2c::Operation<'_>],
    ) -> Result<(), Self::Error> {
        use udrv_drivers::pca954x::Error;
        self.0
            .transaction(address, operations)
            .map_err(|e| match e {
                Error::Bus(b) => SwitchError::Bus(b),
                other => SwitchError::Switch(other.to_string()),
            })
    }
}

/// [`chips::read_spi`], through a [`Recorder`](udrv_core::record::Recorder) when recording.
fn read_spi<S>(
    def: ChipKind,
    dev: S,
    hw: Option<u8>,
    delay: &mut impl DelayNs,
    rec: Option<&Log>,
    name: &str,
) -> Result<ChipRead, String>
where
    S: SpiDevice,
    S::Error: std::fmt::Display,
{
    match rec {
        Some(log) => chips::read_spi(def, log.record(name, dev), hw, delay),
        None => chips::read_spi(def, dev, hw, delay),
    }
    .map_err(|e| e.to_string())
}

/// A device's name in a recording: its label, with any blank (adapter names may have
/// them) turned into `_`, as the record format's names are one word.
fn record_name(dev: &Device) -> String {
    dev.label
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '#' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn open(
    dev: &Device,
    virt: Option<&VirtualBoard>,
    board: Option<&dyn Board>,
    cli: &Cli,
) -> Result<Opened, Failure> {
    match (&dev.target, virt) {
        (Target::I2c { bus, at }, Some(v)) => v
            .i2c_bus(bus)
            .map(|b| Opened::SimI2c(b, *at))
            .map_err(Failure::op),
        (Target::Spi { device, .. }, Some(v)) => v
            .spi_device_by_name(device)
            .map(Opened::SimSpi)
            .map_err(Failure::op),
        (Target::I2c { bus, at }, None) => {
            open_linux_i2c(bus, board).map(|b| Opened::LinuxI2c(b, *at))
        }
        (Target::Spi { device, .. }, None) => {
            open_linux_spi(device, dev.kind, cli).map(Opened::LinuxSpi)
        }
    }
}

/// Ends a replay: every transaction matched, and the recorded lines of the chips read were
/// all used (lines of chips not named are no concern: one chip can be replayed from a
/// whole board's recording).
fn finish_replay(replay: &Replay, devices: &[Device]) -> Result<(), Failure> {
    use udrv_core::record::Error;
    let read: Vec<String> = devices.iter().map(record_name).collect();
    let read: Vec<&str> = read.iter().map(String::as_str).collect();
    match replay.finish_devices(&read) {
        Ok(()) => Ok(()),
        Err(e @ Error::Unfinished { .. }) => {
            let rounds =
                matches!(&e, Error::Unfinished { mismatches, .. } if mismatches.is_empty());
            let hint = if rounds {
                " (read as many rounds as were recorded: -n)"
            } else {
                ""
            };
            Err(Failure::op(format!("{e}{hint}")))
        }
        Err(e) => Err(Failure::op(e)),
    }
}

/// Says (on standard error, once) which chips were read without being identified: the
/// readings are theirs only if those chips are there.
fn note_not_identified(chips: &[(&Device, chips::Identity)]) {
    match chips {
        [] => {}
        [(d, id)] => eprintln!("udrv: note: {} was not identified ({})", d.label, id.text()),
        _ => eprintln!(
            "udrv: note: not identified (no ID register; whatever answers is read as the chip \
             named): {}",
            chips
                .iter()
                .map(|(d, _)| d.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The text lines of one chip's readings: `bme280@i2c-1:0x76  temperature  23.45 °C`.
pub fn format_text(label: &str, width: usize, readings: &[Reading]) -> String {
    let mut s = String::new();
    for r in readings {
        let line = format!("{label:<width$}  {:<13} {} {}", r.quantity, r.value, r.unit);
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// The JSON object of one chip's readings, and whether (how) the chip was identified.
pub fn format_json(dev: &Device, read: &ChipRead) -> serde_json::Value {
    let readings = &read.readings;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let mut values = serde_json::Map::new();
    for r in readings {
        let v = match &r.value {
            chips::Value::Number(x, d) => {
                // Rounded as the text shows it: the text itself, parsed (scaling, rounding
                // and scaling back can round a value such as 22.115 the other way).
                let shown = format!("{x:.d$}").parse::<f64>().unwrap_or(*x);
                json!({"value": shown, "unit": r.unit})
            }
            chips::Value::Text(t) => json!({"value": t}),
            chips::Value::Data { json, .. } => json.clone(),
        };
        values.insert(r.quantity.clone(), v);
    }
    let (bus, address) = match &dev.target {
        Target::I2c { bus, at } => (bus.clone(), Some(at.address)),
        Target::Spi { device, .. } => (device.clone(), None),
    };
    let switch = match &dev.target {
        Target::I2c {
            at: I2cAt {
                switch: Some((a, c)),
                ..
            },
            ..
        } => json!({"address": a, "channel": c}),
        _ => serde_json::Value::Null,
    };
    json!({
        "device": dev.label,
        "chip": dev.kind.name(),
        "bus": bus,
        "address": address,
        "switch": switch,
        "time": now,
        "identified": read.identity.is_identified(),
        "identification": read.identity.text(),
        "readings": values,
    })
}

/// `udrv read --list`: the chips udrv reads. With `--json`, one document: an array of
/// the chips (a list, not a stream).
fn list(cli: &Cli) -> Outcome {
    if cli.json {
        let chips: Vec<serde_json::Value> = ChipKind::ALL
            .iter()
            .map(|k| {
                let c = k.info();
                json!({
                    "chip": c.name,
                    "aliases": c.aliases,
                    "addresses": c.addresses,
                    "spi": c.spi.is_some(),
                    "reads": c.reads,
                    "id_register": c.id_text,
                })
            })
            .collect();
        json_line(&serde_json::Value::Array(chips));
        return Ok(());
    }
    for k in ChipKind::ALL {
        let c = k.info();
        let mut buses = Vec::new();
        if !c.addresses.is_empty() {
            let mut a = String::new();
            let _ = udrv_drivers::kinds::write_addresses(&mut a, c.addresses);
            buses.push(format!("I2C {a}"));
        }
        if c.spi.is_some() {
            buses.push("SPI".to_string());
        }
        outln!("{:<9} {:<22} {}", c.name, buses.join(", "), c.reads);
    }
    Ok(())
}

/// Runs `udrv read`.
pub fn run(a: &ReadArgs, cli: &Cli) -> Outcome {
    if a.list {
        return list(cli);
    }
    if let Some(w) = a.watch {
        if !(w.is_finite() && w > 0.0) {
            return Err(Failure::usage(format!(
                "--watch {w}: the interval must be a positive number of seconds"
            )));
        }
    }
    if a.count == Some(0) {
        return Err(Failure::usage("-n 0: read at least one round"));
    }
    let virt = is_virtual(cli);
    let replay = match &a.replay {
        Some(path) => Some(Replay::open(path).map_err(Failure::op)?),
        None => None,
    };
    let devices: Vec<Device> = if let (true, Some(r)) = (a.devices.is_empty(), &replay) {
        let recorded = r.devices();
        if recorded.is_empty() {
            return Err(Failure::op(format!(
                "replay of {}: the recording has no transactions",
                r.file()
            )));
        }
        recorded
            .iter()
            .map(|s| parse_device(s))
            .collect::<Result<_, _>>()?
    } else if a.devices.is_empty() {
        if !virt {
            return Err(Failure::usage(format!(
                "name a chip as CHIP@BUS[:ADDR], e.g. `udrv read bme280@i2c-1:0x76` (chips: \
                 {}); `udrv --board virtual read` reads every chip of the virtual board",
                catalog::names()
            )));
        }
        VIRTUAL_CHIPS
            .iter()
            .map(|c| parse_device(&c.spec()))
            .collect::<Result<_, _>>()?
    } else {
        a.devices
            .iter()
            .map(|s| parse_device(s))
            .collect::<Result<_, _>>()?
    };
    // Faults for the virtual board (UDRV_VIRTUAL_FAULTS): checked once, here, and one
    // plan for the whole command (its `after`/`times` count across chips and rounds).
    let faults = if virt && replay.is_none() {
        crate::faults::from_env()?
    } else {
        None
    };
    // Arguments are valid: now open the buses (nothing has touched a device so far).
    let mut opened = Vec::new();
    if let Some(r) = &replay {
        for d in &devices {
            let address = match d.target {
                Target::I2c { at, .. } => Some(at),
                Target::Spi { .. } => None,
            };
            opened.push(Opened::Replay(r.device(&record_name(d)), address));
        }
    } else {
        let board = if virt { None } else { named_board(cli)? };
        let vboard = if virt { Some(virtual_board()?) } else { None };
        for d in &devices {
            opened.push(open(d, vboard.as_ref(), board.as_deref(), cli)?);
        }
    }
    let log = match &a.record {
        Some(path) => Some(Log::create(path).map_err(|e| {
            Failure::op(format!(
                "{}: cannot create the recording: {e} (check the folder exists and is writable)",
                path.display()
            ))
        })?),
        None => None,
    };
    // A replay without -n reads as many rounds as were recorded: until the recorded lines
    // of the chips read are used up (or a round uses none).
    let replay_all = replay.is_some() && a.count.is_none();
    let rounds = a.count.unwrap_or(if a.watch.is_some() || replay_all {
        u64::MAX
    } else {
        1
    });
    let names: Vec<String> = devices.iter().map(record_name).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let interval = Duration::from_secs_f64(a.watch.unwrap_or(1.0));
    let width = devices.iter().map(|d| d.label.len()).max().unwrap_or(0);
    let mut failed = Vec::new();
    let mut round = 0;
    loop {
        let started = Instant::now();
        let left = replay.as_ref().map(Replay::remaining);
        let mut not_identified = Vec::new();
        for (d, o) in devices.iter().zip(opened.iter_mut()) {
            match o.read(d, log.as_ref(), faults.as_ref()) {
                Ok(r) => {
                    if cli.json {
                        json_line(&format_json(d, &r));
                    } else {
                        out!("{}", format_text(&d.label, width, &r.readings));
                    }
                    if !r.identity.is_identified() {
                        not_identified.push((d, r.identity));
                    }
                }
                Err(e) => {
                    if devices.len() == 1 && rounds == 1 {
                        return Err(Failure::op(format!("{}: {e}", d.label)));
                    }
                    eprintln!("udrv: {}: {e}", d.label);
                    if !failed.contains(&d.label) {
                        failed.push(d.label.clone());
                    }
                }
            }
        }
        if round == 0 && !cli.json {
            note_not_identified(&not_identified);
        }
        round += 1;
        if round >= rounds {
            break;
        }
        if let (true, Some(r), Some(left)) = (replay_all, &replay, left) {
            let used_up = r.finish_devices(&names).is_ok();
            let progress = r.remaining() < left;
            if used_up || !progress {
                break;
            }
        }
        if !cli.json {
            outln!();
        }
        if replay.is_none() {
            std::thread::sleep(interval.saturating_sub(started.elapsed()));
        }
    }
    if let (Some(log), Some(path)) = (&log, &a.record) {
        log.flush().map_err(|e| {
            Failure::op(format!(
                "{}: the recording is incomplete: {e}",
                path.display()
            ))
        })?;
    }
    if failed.is_empty() {
        match &replay {
            Some(r) => finish_replay(r, &devices),
            None => Ok(()),
        }
    } else {
        Err(Failure::op(format!(
            "{} of {} chips could not be read: {}",
            failed.len(),
            devices.len(),
            failed.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let d = parse_device("bme280@i2c-1:0x76").unwrap();
        assert_eq!(d.label, "bme280@i2c-1:0x76");
        assert_eq!(
            d.target,
            Target::I2c {
                bus: "i2c-1".into(),
                at: I2cAt {
                    address: 0x76,
                    switch: None
                }
            }
        );
        let d = parse_device("BMP280@1").unwrap();
        assert_eq!(d.label, "bme280@i2c-1:0x76");
        let d = parse_device("lm75@/dev/i2c-3:0x4f").unwrap();
        assert_eq!(d.label, "lm75@i2c-3:0x4f");
        let d = parse_device("bme280@spidev0.1").unwrap();
        assert_eq!(
            d.target,
            Target::Spi {
                device: "spidev0.1".into(),
                hw: None
            }
        );
        assert_eq!(d.label, "bme280@spidev0.1");
        // A chip that shares its chip select by hardware address.
        let d = parse_device("mcp23s17@/dev/spidev0.0:5").unwrap();
        assert_eq!(d.label, "mcp23s17@spidev0.0:5");
        assert_eq!(
            d.target,
            Target::Spi {
                device: "spidev0.0".into(),
                hw: Some(5)
            }
        );
        // SPI devices as `spi transfer` takes them: B.C, and a board's spiB.C.
        let d = parse_device("mcp3008@0.1").unwrap();
        assert_eq!(d.label, "mcp3008@spidev0.1");
        assert_eq!(
            d.target,
            Target::Spi {
                device: "spidev0.1".into(),
                hw: None
            }
        );
        let d = parse_device("mcp23s17@spi1.2:3").unwrap();
        assert_eq!(d.label, "mcp23s17@spi1.2:3");
        assert_eq!(
            d.target,
            Target::Spi {
                device: "spi1.2".into(),
                hw: Some(3)
            }
        );
        let d = parse_device("at24c32@my:adapter").unwrap();
        assert_eq!(
            d.target,
            Target::I2c {
                bus: "my:adapter".into(),
                at: I2cAt {
                    address: 0x50,
                    switch: None
                }
            }
        );
    }

    #[test]
    fn chips_behind_a_switch_channel() {
        let d = parse_device("lm75@i2c-1/0x73.2:0x49").unwrap();
        assert_eq!(d.label, "lm75@i2c-1/0x73.2:0x49");
        assert_eq!(
            d.target,
            Target::I2c {
                bus: "i2c-1".into(),
                at: I2cAt {
                    address: 0x49,
                    switch: Some((0x73, 2))
                }
            }
        );
        let d = parse_device("lm75@/dev/i2c-3/0x70.7").unwrap();
        assert_eq!(d.label, "lm75@i2c-3/0x70.7:0x48");
        // A path is a path, not a switch.
        let d = parse_device("lm75@/dev/i2c-3").unwrap();
        assert_eq!(d.label, "lm75@i2c-3:0x48");
        for bad in [
            "lm75@i2c-1/0x60.1:0x48",
            "lm75@i2c-1/0x70.8:0x48",
            "lm75@/0x70.1:0x48",
        ] {
            let e = parse_device(bad).unwrap_err();
            assert_eq!(e.code, 2, "{bad}: {}", e.message);
        }
        // Only the switch itself at its own address: refused.
        assert_eq!(parse_device("shtc3@i2c-1/0x70.1").unwrap_err().code, 2);
    }

    #[test]
    fn bad_specs_are_usage_errors() {
        for s in [
            "bme280",
            "bme280@",
            "bme680@i2c-1",
            "bme280@i2c-1:0x48",
            "bme280@i2c-1:0x1000",
            "sht3x@spidev0.0",
            "bme280@spidev0.0:1",
            "mcp23s17@spidev0.0:8",
            "mcp23s17@spidev0.0:x",
            "lm75@:0x48",
            // Not an address after a bus that cannot contain ':'.
            "bme280@i2c-1:abc",
            "bme280@1:0x7g",
            "lm75@/dev/i2c-1:x48",
            "lm75@i2c-1/0x73.2:zz",
            "lm75@adapter:0xzz",
        ] {
            let e = parse_device(s).unwrap_err();
            assert_eq!(e.code, 2, "{s}: {}", e.message);
        }
    }

    #[test]
    fn a_channel_of_a_chip_is_refused_naming_the_chip() {
        let e = parse_device("mcp23017@i2c-1:0x20#B3").unwrap_err();
        assert_eq!(e.code, 2);
        assert!(
            e.message.contains("reads whole chips") && e.message.contains("(mcp23017@i2c-1:0x20)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn json_numbers_are_the_texts() {
        let dev = parse_device("shtc3@i2c-1").unwrap();
        // 22115 m°C / 1000 is just below 22.115: the text shows 22.11, and so must JSON.
        let x = 22_115.0 / 1000.0;
        let r = vec![Reading {
            quantity: "temperature".into(),
            value: chips::Value::Number(x, 2),
            unit: "°C",
        }];
        assert!(format_text("shtc3", 5, &r).contains(" 22.11 °C"));
        let read = ChipRead {
            readings: r,
            identity: chips::Identity::Identified("ID register 0x0807".into()),
        };
        let v = format_json(&dev, &read);
        assert_eq!(v["identified"], true);
        assert_eq!(v["readings"]["temperature"]["value"].as_f64(), Some(22.11));
    }

    #[test]
    fn text_lines() {
        let r = vec![
            Reading {
                quantity: "temperature".into(),
                value: chips::Value::Number(23.456, 2),
                unit: "°C",
            },
            Reading {
                quantity: "time".into(),
                value: chips::Value::Text("2026-01-01 00:00:00".into()),
                unit: "",
            },
        ];
        assert_eq!(
            format_text("lm75@i2c-1:0x48", 17, &r),
            "lm75@i2c-1:0x48    temperature   23.46 °C\n\
             lm75@i2c-1:0x48    time          2026-01-01 00:00:00\n"
        );
    }
}
