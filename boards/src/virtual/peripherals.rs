//! [`Peripherals`]: a board's buses and lines opened as embedded-hal devices, the same
//! way on the virtual board and on real ones, so one program runs on both.

use std::time::Duration;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{InputPin, OutputPin, StatefulOutputPin};
use udrv_core::gpio::{AsyncPin, EdgeDetection, Pin, Value};
use udrv_core::i2c::I2cBus;
use udrv_core::spi::SpidevDevice;
use udrv_drivers::sim::{SimI2cBus, SimLine, SimSpiDevice};

use super::{VirtualBoard, VirtualOutput};
use crate::board::Board;
use crate::error::{Error, Result};
use crate::pin::PinSpec;
use crate::{BeagleBone, RaspberryPi};

/// A board's peripherals as embedded-hal devices.
///
/// Write a program once, generic over `P: Peripherals`, and run it on
/// [`VirtualBoard`] (simulated chips) or on a real board (`RaspberryPi`, `BeagleBone`,
/// or the `Box<dyn Board>` that [`open`](crate::open) returns), whose devices are
/// `udrv-core`'s I2C bus, spidev device and GPIO lines.
///
/// ```no_run
/// use udrv_boards::r#virtual::{Peripherals, VirtualBoard};
/// use udrv_drivers::lm75::Lm75;
///
/// fn board_temperature<P: Peripherals>(p: &P) -> f32 {
///     let mut lm75 = Lm75::new(p.open_i2c("i2c-1").unwrap(), 0x4f);
///     lm75.temperature().unwrap().as_celsius_f32()
/// }
/// println!("{}", board_temperature(&VirtualBoard::new()));
/// println!("{}", board_temperature(&udrv_boards::open().unwrap()));
/// ```
pub trait Peripherals {
    /// The I2C bus type.
    type I2c: embedded_hal::i2c::I2c;
    /// The SPI device type.
    type Spi: embedded_hal::spi::SpiDevice;
    /// An output line.
    type Output: OutputPin + StatefulOutputPin;
    /// An input line whose edges can be awaited.
    type Input: InputPin + embedded_hal_async::digital::Wait;
    /// A blocking delay that fits the board's clock.
    type Delay: DelayNs;

    /// An I2C bus by role (`i2c_arm`), number (`1`), name (`i2c-1`) or path
    /// (`/dev/i2c-1`).
    fn open_i2c(&self, name: &str) -> Result<Self::I2c>;

    /// The SPI device on `bus`, chip select `cs`.
    fn open_spi(&self, bus: u32, cs: u32) -> Result<Self::Spi>;

    /// A GPIO line as an output driven to `high`.
    fn open_output(&self, pin: PinSpec<'_>, high: bool) -> Result<Self::Output>;

    /// A GPIO line as an input with both edges detected, for `Wait`. On a real board
    /// this registers the line with tokio: call it inside a tokio runtime with IO
    /// enabled.
    fn open_input(&self, pin: PinSpec<'_>) -> Result<Self::Input>;

    /// A delay for drivers (`measure_forced(&mut delay)`).
    fn delay(&self) -> Self::Delay;

    /// Waits `d` on the board's clock (on the virtual board with a manual clock this
    /// moves the clock instead of sleeping).
    fn sleep(&self, d: Duration) {
        let ns = d.as_nanos().min(u32::MAX as u128) as u32;
        let mut delay = self.delay();
        let mut left = d.as_nanos();
        while left > 0 {
            let step = left.min(u128::from(ns.max(1)));
            delay.delay_ns(step as u32);
            left -= step;
        }
    }
}

pub use crate::delay::StdDelay;

/// The virtual board's delay: sleeps on the real clock, or moves a manual clock.
#[derive(Clone, Debug)]
pub struct VirtualDelay {
    board: VirtualBoard,
}

impl DelayNs for VirtualDelay {
    fn delay_ns(&mut self, ns: u32) {
        let d = Duration::from_nanos(ns.into());
        if self.board.environment().is_manual() {
            self.board.environment().advance(d);
        } else {
            std::thread::sleep(d);
        }
    }
}

impl Peripherals for VirtualBoard {
    type I2c = SimI2cBus;
    type Spi = SimSpiDevice;
    type Output = VirtualOutput;
    type Input = SimLine;
    type Delay = VirtualDelay;

    fn open_i2c(&self, name: &str) -> Result<SimI2cBus> {
        self.i2c_bus(name)
    }

    fn open_spi(&self, bus: u32, cs: u32) -> Result<SimSpiDevice> {
        self.spi_device(bus, cs)
    }

    fn open_output(&self, pin: PinSpec<'_>, high: bool) -> Result<VirtualOutput> {
        self.output(pin, high)
    }

    fn open_input(&self, pin: PinSpec<'_>) -> Result<SimLine> {
        self.input(pin)
    }

    fn delay(&self) -> VirtualDelay {
        VirtualDelay {
            board: self.clone(),
        }
    }
}

/// The bus number in `1`, `i2c-1` or `/dev/i2c-1`.
fn i2c_number(name: &str) -> Option<u32> {
    let n = name.trim();
    let n = n.strip_prefix("/dev/").unwrap_or(n);
    n.strip_prefix("i2c-").unwrap_or(n).parse().ok()
}

fn real_open_i2c<B: Board + ?Sized>(board: &B, name: &str) -> Result<I2cBus> {
    match board.i2c(name) {
        Ok(r) => r.open(),
        Err(Error::UnknownBus { .. }) if i2c_number(name).is_some() => {
            Ok(I2cBus::open(i2c_number(name).unwrap_or(0))?)
        }
        Err(e) => Err(e),
    }
}

fn real_open_spi<B: Board + ?Sized>(board: &B, bus: u32, cs: u32) -> Result<SpidevDevice> {
    match board.spi(bus, cs) {
        Ok(r) => r.open(),
        Err(Error::UnknownBus { .. }) => {
            SpidevDevice::open(format!("/dev/spidev{bus}.{cs}")).map_err(Error::Spi)
        }
        Err(e) => Err(e),
    }
}

fn real_open_input<B: Board + ?Sized>(board: &B, pin: PinSpec<'_>) -> Result<AsyncPin> {
    let r = board.lookup_pin(pin, crate::pin::Reserved::Refuse)?;
    let req = r
        .request()
        .as_input()
        .with_edge_detection(EdgeDetection::Both)
        .request()?;
    Ok(AsyncPin::new(Pin::new(req)?)?)
}

macro_rules! real_peripherals {
    ($($t:ty),*) => {$(
        impl Peripherals for $t {
            type I2c = I2cBus;
            type Spi = SpidevDevice;
            type Output = Pin;
            type Input = AsyncPin;
            type Delay = StdDelay;

            fn open_i2c(&self, name: &str) -> Result<I2cBus> {
                real_open_i2c(self, name)
            }

            fn open_spi(&self, bus: u32, cs: u32) -> Result<SpidevDevice> {
                real_open_spi(self, bus, cs)
            }

            fn open_output(&self, pin: PinSpec<'_>, high: bool) -> Result<Pin> {
                let value = if high { Value::Active } else { Value::Inactive };
                self.lookup_pin(pin, crate::pin::Reserved::Refuse)?
                    .request_output(value)
            }

            fn open_input(&self, pin: PinSpec<'_>) -> Result<AsyncPin> {
                real_open_input(self, pin)
            }

            fn delay(&self) -> StdDelay {
                StdDelay
            }
        }
    )*};
}

real_peripherals!(RaspberryPi, BeagleBone, Box<dyn Board>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_numbers() {
        assert_eq!(i2c_number("1"), Some(1));
        assert_eq!(i2c_number("i2c-11"), Some(11));
        assert_eq!(i2c_number("/dev/i2c-3"), Some(3));
        assert_eq!(i2c_number("i2c_arm"), None);
    }
}
