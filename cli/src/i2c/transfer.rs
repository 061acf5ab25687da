//! `udrv i2c transfer`: messages in one transaction, as `i2ctransfer`.

use serde_json::json;

use super::bus::Bus;
use super::syntax::{self, Dir};
use super::{hex_bytes, TransferArgs};
use crate::out::{confirm, json_line};
use crate::{Cli, Failure, Outcome};

/// The kernel's limit of messages in one `I2C_RDWR` ioctl (`I2C_RDWR_IOCTL_MAX_MSGS`).
pub(super) const MAX_MESSAGES: usize = 42;

pub(super) fn transfer(a: &TransferArgs, cli: &Cli) -> Outcome {
    let msgs = syntax::parse_transfer(&a.msgs, a.common.reserved_ok())?;
    if msgs.len() > MAX_MESSAGES {
        return Err(Failure::usage(format!(
            "{} messages given; the kernel's I2C_RDWR takes at most {MAX_MESSAGES}",
            msgs.len()
        )));
    }
    let mut bus = Bus::open(&a.bus, cli)?;
    #[cfg(feature = "serve")]
    {
        let writes: Vec<u16> = msgs
            .iter()
            .filter(|m| m.dir == Dir::Write)
            .map(|m| m.addr)
            .collect();
        super::held::refuse_held(&bus, &a.bus, &writes)?;
    }
    if msgs.iter().any(|m| m.dir == Dir::Write) {
        confirm(
            a.common.yes,
            &format!("send {} messages on {}", msgs.len(), bus.path()),
        )?;
    }
    bus.set_force(a.common.force);
    let mut bufs: Vec<Vec<u8>> = msgs
        .iter()
        .map(|m| {
            if m.dir == Dir::Read {
                vec![0; m.len]
            } else {
                m.data.clone()
            }
        })
        .collect();
    // One I2C_RDWR ioctl, each message as given (repeated starts, no merging).
    bus.transfer(&msgs, &mut bufs)?;
    if cli.json {
        let reads: Vec<&Vec<u8>> = msgs
            .iter()
            .zip(&bufs)
            .filter(|(m, _)| m.dir == Dir::Read)
            .map(|(_, b)| b)
            .collect();
        json_line(&json!({"bus": bus.number(), "reads": reads}));
        return Ok(());
    }
    // As i2ctransfer: the bytes of each non-empty read; with -v every message, with a
    // header, and the written bytes too.
    for (i, (m, b)) in msgs.iter().zip(&bufs).enumerate() {
        let read = m.dir == Dir::Read;
        if a.verbose {
            let dir = if read { "read" } else { "write" };
            let head = format!("msg {i}: addr 0x{:02x}, {dir}, len {}", m.addr, m.len);
            if b.is_empty() {
                outln!("{head}");
            } else {
                outln!("{head}, buf {}", hex_bytes(b));
            }
        } else if read && !b.is_empty() {
            outln!("{}", hex_bytes(b));
        }
    }
    Ok(())
}
