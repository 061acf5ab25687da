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
    /// `i2c_arm` with `--board`.
    bus: String,
}

/// Runs `udrv probe`.
pub fn run(a: &ProbeArgs, cli: &Cli) -> Outcome {
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
