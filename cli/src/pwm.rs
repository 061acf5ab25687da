//! `udrv pwm`: PWM outputs a kernel driver drives (`/sys/class/pwm`), listed and set
//! ([`udrv_core::pwm`]). A channel is named `pwmchipN/M` (also `N/M`), or by the header pin
//! it drives (`GPIO18`, physical `12`, `P9_14`): the board's table
//! ([`udrv_boards::pwm`]) names the controller, found by its device, and the channel.
//! `UDRV_ROOT` reads another root's `/sys`.

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use udrv_boards::pwm::PwmError;
use udrv_boards::PinSpec;
use udrv_core::pwm::{self, Polarity, PwmChip};
use udrv_core::sysfs::SysRoot;

use crate::out::json_line;
use crate::{Cli, Failure, Outcome};

/// `udrv pwm ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the PWM chips and their channels: exported or not, period, duty, polarity,
    /// enabled.
    List,
    /// Set a channel's frequency and duty cycle and enable it (exported first if needed).
    Set {
        /// The channel: `pwmchipN/M`, `N/M`, or the header pin it drives (`GPIO18`, `12`,
        /// `P9_14`; the board detected or `--board`).
        #[arg(value_name = "PIN")]
        pin: String,
        /// The frequency in Hz.
        #[arg(long = "freq", value_name = "HZ")]
        freq: f64,
        /// The duty cycle in percent (0-100).
        #[arg(long = "duty", value_name = "PERCENT")]
        duty: f64,
        /// The polarity (most drivers take it only while the output is off).
        #[arg(long = "polarity", value_enum)]
        polarity: Option<PolarityArg>,
        /// Leave the output disabled (configure only).
        #[arg(long = "disabled")]
        disabled: bool,
    },
}

/// `--polarity`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PolarityArg {
    /// High for the duty cycle.
    Normal,
    /// Low for the duty cycle.
    Inversed,
}

/// Runs an `udrv pwm` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    let root = SysRoot::from_env();
    match cmd {
        Cmd::List => list(&root, cli),
        Cmd::Set {
            pin,
            freq,
            duty,
            polarity,
            disabled,
        } => set(&root, pin, *freq, *duty, *polarity, !disabled, cli),
    }
}

/// `pwmchip0/1`, `0/1` → (0, 1); `None` when it is not of that form.
fn parse_channel(pin: &str) -> Option<(u32, u32)> {
    let (chip, ch) = pin.split_once('/')?;
    let chip = chip.strip_prefix("pwmchip").unwrap_or(chip);
    Some((chip.parse().ok()?, ch.parse().ok()?))
}

/// The chip and channel `pin` names: `pwmchipN/M`, or a header pin through the board's
/// PWM table (its controller found in `/sys/class/pwm` by device).
fn resolve(root: &SysRoot, pin: &str, cli: &Cli) -> Result<(u32, u32), Failure> {
    if let Some(c) = parse_channel(pin) {
        return Ok(c);
    }
    if pin.contains('/') || pin.starts_with("pwmchip") {
        return Err(Failure::usage(format!(
            "`{pin}`: name the channel as pwmchipN/CHANNEL (`pwmchip0/1`, also `0/1`; `udrv \
             pwm list` shows them) or by its header pin (`GPIO18`, `P9_14`)"
        )));
    }
    let board = crate::open::board(cli).map_err(|f| {
        Failure::op(format!(
            "{pin}: a header pin needs the board's PWM table, and {}; name the channel as \
             pwmchipN/CHANNEL instead (`udrv pwm list`)",
            f.message
        ))
    })?;
    let spec = match pin.parse::<u32>() {
        Ok(n) => PinSpec::Physical(n),
        Err(_) => PinSpec::Name(pin),
    };
    let p = udrv_boards::pwm::pin_pwm(&*board, spec).map_err(|e| match e {
        PwmError::NoChannel { .. } | PwmError::Board(_) => Failure::usage(e),
        PwmError::NotEnabled(_) => Failure::op(e),
    })?;
    let chip = p.chip(root).map_err(Failure::op)?;
    Ok((chip, p.channel))
}

fn list(root: &SysRoot, cli: &Cli) -> Outcome {
    let chips = pwm::chips(root);
    // The header pins of each channel, when the board is known.
    let board = crate::open::board(cli).ok().map(|b| b.id());
    let mut all = Vec::new();
    for n in &chips {
        let chip = PwmChip::open(root, *n).map_err(Failure::op)?;
        let npwm = chip.npwm().map_err(Failure::op)?;
        let device = udrv_boards::pwm::chip_device(root, *n);
        let pins = |c: u32| match (board, &device) {
            (Some(b), Some(d)) => udrv_boards::pwm::pins_of(b, d, c),
            _ => Vec::new(),
        };
        let mut chans = Vec::new();
        for c in 0..npwm {
            if !chip.is_exported(c) {
                chans.push(json!({"channel": c, "pins": pins(c), "exported": false}));
                continue;
            }
            let ch = chip.channel(c).map_err(Failure::op)?;
            let period = ch.period_ns().map_err(Failure::op)?;
            let duty = ch.duty_ns().map_err(Failure::op)?;
            let pol = ch.polarity().map_err(Failure::op)?;
            let on = ch.enabled().map_err(Failure::op)?;
            chans.push(json!({
                "channel": c, "pins": pins(c), "exported": true, "period_ns": period,
                "duty_ns": duty,
                "polarity": if pol == Polarity::Normal { "normal" } else { "inversed" },
                "enabled": on,
            }));
        }
        all.push(json!({"chip": n, "device": device, "npwm": npwm, "channels": chans}));
    }
    if cli.json {
        json_line(&json!(all));
        return Ok(());
    }
    if chips.is_empty() {
        outln!(
            "no PWM chips (none in /sys/class/pwm: on a Raspberry Pi enable one with \
             `dtoverlay=pwm` or `dtoverlay=pwm-2chan` in config.txt)"
        );
    }
    for c in &all {
        let device = c["device"]
            .as_str()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        outln!("pwmchip{}{device}  {} channels", c["chip"], c["npwm"]);
        for ch in c["channels"].as_array().into_iter().flatten() {
            let pins: Vec<&str> = ch["pins"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str())
                .collect();
            let pins = if pins.is_empty() {
                String::new()
            } else {
                format!("  [{}]", pins.join(", "))
            };
            if ch["exported"] == json!(false) {
                outln!("  {}  not exported{pins}", ch["channel"]);
                continue;
            }
            let (p, d) = (
                ch["period_ns"].as_u64().unwrap_or(0),
                ch["duty_ns"].as_u64().unwrap_or(0),
            );
            let freq = if p > 0 { 1e9 / p as f64 } else { 0.0 };
            let pct = if p > 0 {
                100.0 * d as f64 / p as f64
            } else {
                0.0
            };
            outln!(
                "  {}  {freq:.3} Hz  {pct:.2} %  (period {p} ns, duty {d} ns)  {}  {}{pins}",
                ch["channel"],
                ch["polarity"].as_str().unwrap_or("?"),
                if ch["enabled"] == json!(true) {
                    "enabled"
                } else {
                    "disabled"
                }
            );
        }
    }
    Ok(())
}

fn set(
    root: &SysRoot,
    pin: &str,
    freq: f64,
    duty: f64,
    polarity: Option<PolarityArg>,
    enable: bool,
    cli: &Cli,
) -> Outcome {
    if !(freq.is_finite() && freq > 0.0) {
        return Err(Failure::usage(format!(
            "--freq {freq}: give a frequency above 0 Hz"
        )));
    }
    if !(0.0..=100.0).contains(&duty) {
        return Err(Failure::usage(format!(
            "--duty {duty}: give a duty cycle from 0 to 100 (percent)"
        )));
    }
    let period = (1e9 / freq).round();
    if period < 1.0 || period > u32::MAX as f64 * 4.0 {
        return Err(Failure::usage(format!(
            "--freq {freq}: the period would be {period} ns; give a frequency from 0.25 Hz \
             to 1 GHz"
        )));
    }
    let period = period as u64;
    let duty_ns = (period as f64 * duty / 100.0).round() as u64;
    let (chip_n, ch_n) = resolve(root, pin, cli)?;
    let chip = PwmChip::open(root, chip_n).map_err(Failure::op)?;
    let mut ch = chip.channel(ch_n).map_err(Failure::op)?;
    if let Some(p) = polarity {
        ch.enable(false).map_err(Failure::op)?;
        let p = match p {
            PolarityArg::Normal => Polarity::Normal,
            PolarityArg::Inversed => Polarity::Inversed,
        };
        ch.set_polarity(p).map_err(Failure::op)?;
    }
    ch.configure(period, duty_ns).map_err(Failure::op)?;
    ch.enable(enable).map_err(Failure::op)?;
    if cli.json {
        json_line(&json!({
            "chip": chip_n, "channel": ch_n, "period_ns": period, "duty_ns": duty_ns,
            "frequency": 1e9 / period as f64, "duty_cycle": 100.0 * duty_ns as f64 / period as f64,
            "enabled": enable,
        }));
    } else {
        outln!(
            "{}: {:.3} Hz ({period} ns), duty {:.2} % ({duty_ns} ns), {}",
            ch.name(),
            1e9 / period as f64,
            100.0 * duty_ns as f64 / period as f64,
            if enable { "enabled" } else { "disabled" }
        );
    }
    Ok(())
}
