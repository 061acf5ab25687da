//! `udrv probe BUS`: which known chips are on an I2C bus, judged from registers that
//! identify them, without writing data to any chip. The identification is the catalog's
//! ([`udrv_boards::catalog::probe`]); here, opening the bus and printing what was found.
//! What is sent to each address is [`HELP`], which `udrv probe --help` prints.

use clap::Args;
use serde_json::json;

use udrv_boards::catalog::probe::{probe_bus, Found};
use udrv_boards::catalog::KernelChip;
use udrv_core::sysfs::SysRoot;

use crate::i2c::syntax::is_reserved_address;
use crate::open::{is_virtual, linux_i2c as open_linux_i2c, named_board, virtual_board};
use crate::out::json_line;
use crate::{Cli, Failure, Outcome};

/// `udrv probe --help`: what the probe sends, per chip.
pub const HELP: &str = udrv_boards::catalog::probe::HELP;

/// `udrv probe`
#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// Probe every address 0x03-0x77, including the reserved ones below 0x08.
    #[arg(short = 'a', long = "all")]
    all: bool,
    /// The I2C bus: `i2c-1`, `1`, `/dev/i2c-1`, an adapter name, or a role such as
    /// `i2c_arm` with `--board`; or `w1`: the 1-Wire devices the kernel found, each with
    /// the `udrv read` spec that reads it.
    bus: String,
}

/// Runs `udrv probe`.
pub fn run(a: &ProbeArgs, cli: &Cli) -> Outcome {
    if a.bus == "w1" {
        return probe_w1(cli);
    }
    let first = if a.all { 0x03 } else { 0x08 };
    let addresses = (first..=0x77u8).filter(|x| a.all || !is_reserved_address(*x as u16));
    let results = if is_virtual(cli) {
        let mut bus = virtual_board()?.i2c_bus(&a.bus).map_err(Failure::op)?;
        probe_bus(&mut bus, addresses, |_| None)
    } else {
        let board = named_board(cli)?;
        let mut bus = open_linux_i2c(&a.bus, board.as_deref())?;
        let users: Vec<Option<String>> = (0..0x80u16)
            .map(|x| bus.address_user(x).ok().flatten())
            .collect();
        let mut found = probe_bus(&mut bus, addresses, |x| users[x as usize].clone());
        if let Some(n) = bus.number() {
            name_kernel_chips(&mut found, n);
        }
        found
    };
    if cli.json {
        let list: Vec<serde_json::Value> = results
            .iter()
            .map(|f| {
                json!({
                    "address": f.address,
                    "chip": f.known.then_some(&f.chip),
                    "guess": f.chip,
                    "evidence": f.evidence,
                })
            })
            .collect();
        json_line(&json!({"bus": a.bus, "found": list}));
    } else if results.is_empty() {
        outln!("no chips answered on {}", a.bus);
    } else {
        for f in &results {
            outln!("{:#04x}  {:<18} {}", f.address, f.chip, f.evidence);
        }
    }
    Ok(())
}

/// Names what a kernel driver reads at the addresses it holds (hwmon, IIO): the device,
/// its interface and the `udrv read` spec that reads it through the driver.
fn name_kernel_chips(found: &mut [Found], bus: u32) {
    let root = SysRoot::system();
    for f in found.iter_mut().filter(|f| f.chip == "(kernel driver)") {
        let Some(k) = KernelChip::find(&root, bus, f.address as u16) else {
            continue;
        };
        f.chip = format!("({} via kernel)", k.name());
        f.kind = k.kind();
        f.evidence.push_str(&format!(
            "; read through {}{}",
            k.describe(),
            k.spec()
                .map_or(String::new(), |s| format!(": `udrv read {s}`"))
        ));
    }
}

/// `udrv probe w1`: the 1-Wire devices under `/sys/bus/w1/devices` (`UDRV_ROOT` when
/// set), the chip their family code names, and the spec that reads each.
fn probe_w1(cli: &Cli) -> Outcome {
    if is_virtual(cli) {
        return Err(Failure::op(
            "probe w1: the virtual board has no 1-Wire bus; probe 1-Wire on this machine \
             (without --board virtual)",
        ));
    }
    let devs = udrv_core::w1::list(&SysRoot::from_env());
    let found: Vec<(String, Option<&str>, Option<String>)> = devs
        .iter()
        .map(|d| (d.id().to_string(), d.chip(), crate::iio::w1_spec(d.id())))
        .collect();
    if cli.json {
        let list: Vec<serde_json::Value> = found
            .iter()
            .map(|(id, chip, spec)| json!({"device": id, "chip": chip, "spec": spec}))
            .collect();
        json_line(&json!({"bus": "w1", "found": list}));
    } else if found.is_empty() {
        outln!(
            "no 1-Wire devices (none in /sys/bus/w1/devices: on a Raspberry Pi enable the bus \
             with `dtoverlay=w1-gpio` in config.txt)"
        );
    } else {
        for (id, chip, spec) in &found {
            let read = spec
                .as_ref()
                .map_or("(no reader in udrv)".to_string(), |s| {
                    format!("udrv read {s}")
                });
            outln!("{id:<16} {:<9} {read}", chip.unwrap_or("?"));
        }
    }
    Ok(())
}
