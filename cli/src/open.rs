//! The one place where commands open the board `--board` names (or the detected one) and
//! its buses: the virtual board with its settings from the environment
//! (`UDRV_VIRTUAL_TIME`, `UDRV_VIRTUAL_FAULTS`, read by `udrv_boards`), a real board, a
//! Linux I2C bus by any of its names.

use udrv_boards::r#virtual::{VirtualBoard, VirtualSettings};
use udrv_boards::{Board, BoardId, Root};
use udrv_core::i2c::I2cBus;

use crate::i2c::syntax::parse_number;
use crate::{Cli, Failure};

/// Whether `--board` (or `UDRV_BOARD`) names the virtual board.
pub fn is_virtual(cli: &Cli) -> bool {
    cli.board
        .as_deref()
        .and_then(BoardId::from_name)
        .is_some_and(|b| b == BoardId::Virtual)
}

/// The virtual board's settings; a bad one is a usage error (exit status 2), found before
/// any device is touched.
pub fn virtual_settings() -> Result<VirtualSettings, Failure> {
    VirtualSettings::from_env().map_err(Failure::usage)
}

/// The virtual board, on the wall clock or at the time `UDRV_VIRTUAL_TIME` gives (its
/// settings checked, faults included, so that every command refuses bad ones alike).
pub fn virtual_board() -> Result<VirtualBoard, Failure> {
    Ok(virtual_settings()?.board())
}

/// The filesystem root that detection reads (`/proc/device-tree`, `/sys`, `/dev`):
/// `/`, or `UDRV_ROOT` for tests and for inspecting another system's files.
fn root() -> Root {
    match std::env::var_os("UDRV_ROOT") {
        Some(p) => Root::new(p),
        None => Root::system(),
    }
}

/// Opens the board named by `--board`/`UDRV_BOARD`, else the detected one; the virtual
/// board with its settings.
pub fn board(cli: &Cli) -> Result<Box<dyn Board>, Failure> {
    if is_virtual(cli) {
        return Ok(Box::new(virtual_board()?));
    }
    udrv_boards::open_with(&root(), cli.board.as_deref()).map_err(Failure::op)
}

/// The board named by `--board`, when one is named (for its names of buses, `i2c_arm`).
pub fn named_board(cli: &Cli) -> Result<Option<Box<dyn Board>>, Failure> {
    match cli.board.as_deref() {
        None => Ok(None),
        Some(_) => board(cli).map(Some),
    }
}

/// Opens a Linux I2C bus given as a number, `i2c-N`, a `/dev` path, a board's name for
/// it (`i2c_arm`, with `--board`) or an adapter name.
pub fn linux_i2c(spec: &str, board: Option<&dyn Board>) -> Result<I2cBus, Failure> {
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
