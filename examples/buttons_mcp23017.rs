//! Interrupt-driven button reader: buttons on an MCP23017's GPA0-GPA3 (pull-ups on,
//! pressed = low), the chip's INTA output wired to a GPIO input, so a press or release
//! arrives as an async edge event instead of being polled for.
//!
//! On the virtual board INTA is wired to `GPIO17` (pin 11) and a simulated finger presses
//! the buttons in turn; on a real board the GPIO edge comes from the kernel
//! (`udrv_core::gpio::AsyncPin` on tokio's reactor).
//!
//! ```sh
//! cargo run -p udrv-examples --example buttons_mcp23017              # virtual board
//! cargo run -p udrv-examples --example buttons_mcp23017 -- --board rpi4b --i2c 1 --int GPIO17
//! ```
//!
//! Options: `--address ADDR` (0x20), `--int PIN` (GPIO17), `-n COUNT` events (8 on the
//! virtual board, unlimited on a real one).

use std::io::Write;
use std::time::Duration;

use embedded_hal_async::digital::Wait;
use udrv_boards::r#virtual::{Peripherals, VirtualBoard};
use udrv_boards::PinSpec;
use udrv_drivers::mcp23017::Mcp23017;
use udrv_examples::{exit_on_error, with_board, Options, UsageError};

/// The buttons: GPA0-GPA3.
pub const BUTTONS: u16 = 0x000f;

/// What the reader does.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The I2C bus.
    pub bus: String,
    /// The MCP23017's address.
    pub address: u8,
    /// The GPIO input INTA is wired to.
    pub int_pin: String,
    /// Stop after this many button events (`None`: run until stopped).
    pub events: Option<u64>,
}

impl Settings {
    /// Settings from the command line.
    pub fn from_options(o: &Options) -> Result<Settings, UsageError> {
        let a = o.get("address", "0x20".to_string())?;
        Ok(Settings {
            bus: o.i2c.clone(),
            address: u8::from_str_radix(a.trim_start_matches("0x"), 16)
                .map_err(|_| UsageError(format!("--address {a}: give an address like 0x20")))?,
            int_pin: o.get("int", "GPIO17".to_string())?,
            events: o.count.or(o.is_virtual().then_some(8)),
        })
    }
}

/// A button pressed or released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Press {
    /// The button (0 = GPA0).
    pub button: u8,
    /// Pressed (`true`) or released.
    pub pressed: bool,
}

/// Sets the MCP23017 up and reports button events until `s.events` have arrived.
pub async fn run<P: Peripherals>(
    p: &P,
    s: &Settings,
    out: &mut impl Write,
) -> Result<Vec<Press>, Box<dyn std::error::Error>>
where
    <P::I2c as embedded_hal::i2c::ErrorType>::Error: std::fmt::Display,
    <P::Input as embedded_hal::digital::ErrorType>::Error: std::fmt::Display,
{
    let mut io = Mcp23017::new(p.open_i2c(&s.bus)?, s.address);
    let chip = |e| format!("MCP23017 at {:#04x}: {e}", s.address);
    io.set_directions(0xffff).map_err(chip)?;
    io.set_pullups(BUTTONS).map_err(chip)?;
    // Interrupt on any change of a button pin (compared with its previous value).
    io.set_interrupts(BUTTONS, 0, 0).map_err(chip)?;
    io.take_interrupt().map_err(chip)?; // clear anything pending
    let mut int = p.open_input(PinSpec::Name(&s.int_pin))?;
    writeln!(
        out,
        "waiting for buttons on GPA0-GPA3 (INTA on {})",
        s.int_pin
    )?;
    let mut seen = Vec::new();
    while s.events.is_none_or(|n| (seen.len() as u64) < n) {
        // INTA is active low: wait for it without polling the chip...
        int.wait_for_low()
            .await
            .map_err(|e| format!("{}: {e}", s.int_pin))?;
        // ...then read which pin changed and its level when it did (this read releases
        // INTA). The I2C read is a short blocking call.
        let ev = io.take_interrupt().map_err(chip)?;
        for b in 0..4u8 {
            if ev.flags & (1 << b) != 0 {
                let press = Press {
                    button: b,
                    pressed: ev.captured & (1 << b) == 0,
                };
                writeln!(
                    out,
                    "button {} {}",
                    b,
                    if press.pressed { "pressed" } else { "released" }
                )?;
                seen.push(press);
            }
        }
    }
    Ok(seen)
}

/// A simulated finger on the virtual board: presses and releases the buttons in turn
/// (0, 1, 2, 3, 0, ...), `hold` apart, each time after the reader has taken the previous
/// interrupt (INTA back high), `count` actions in all.
pub fn finger(board: &VirtualBoard, count: u64, hold: Duration) -> std::thread::JoinHandle<()> {
    let board = board.clone();
    std::thread::spawn(move || {
        for i in 0..count {
            let t0 = std::time::Instant::now();
            while !board.level("GPIO17").unwrap_or(true) {
                if t0.elapsed() > Duration::from_secs(10) {
                    return; // the reader is gone
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(hold);
            board.set_button((i / 2 % 4) as usize, i % 2 == 0);
        }
    })
}

fn main() {
    let (opts, settings) =
        Options::with_settings_from_env(&["address", "int"], Settings::from_options);
    let target = opts.open_board_or_exit();
    // The GPIO edge of a real board is awaited on tokio's reactor.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let udrv_examples::Target::Virtual(board) = &target {
        finger(
            board,
            settings.events.unwrap_or(8),
            Duration::from_millis(300),
        );
    }
    let r = with_board!(target, p => rt.block_on(run(p, &settings, &mut std::io::stdout())));
    exit_on_error("buttons_mcp23017", r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_press_and_release_arrives_as_an_event() {
        let board = VirtualBoard::at(Duration::ZERO);
        let opts = Options::parse(["--board", "virtual", "-n", "10"], &["address", "int"]).unwrap();
        let s = Settings::from_options(&opts).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let f = finger(&board, 10, Duration::from_millis(5));
        let mut out = Vec::new();
        let seen = rt.block_on(run(&board, &s, &mut out)).unwrap();
        f.join().unwrap();
        let expected: Vec<Press> = (0..10u8)
            .map(|i| Press {
                button: i / 2 % 4,
                pressed: i % 2 == 0,
            })
            .collect();
        assert_eq!(seen, expected);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("button 3 released"), "{text}");
        assert!(
            board.level(11).unwrap(),
            "INTA released after the last event"
        );
        let (_, falls) = board.input("GPIO17").unwrap().edges();
        assert_eq!(falls, 10, "one INTA edge per event");
    }

    #[test]
    fn wrong_interrupt_pin_is_reported() {
        let board = VirtualBoard::at(Duration::ZERO);
        let opts = Options::parse(["--int", "GPIO3"], &["address", "int"]).unwrap();
        let s = Settings::from_options(&opts).unwrap();
        let e = udrv_drivers::sim::block_on(run(&board, &s, &mut Vec::new())).unwrap_err();
        assert!(e.to_string().contains("GPIO3"), "{e}");
    }
}
