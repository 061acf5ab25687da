//! Chip pins the service holds (`[[line]] line = "mcp23017@i2c-1:0x20/B3"`): each chip is
//! opened once by its spec, through the catalog's buses (the virtual board's or this
//! machine's), and its pins share it and one lock, so that the read-modify-write of an
//! output register (OLAT, OUTPUT, IODIR, CONFIG) by one pin never loses another pin's
//! bit. A PCA9685 channel is set by its duty. An MCP23017's input pins declared with
//! `interrupt` get their edges from the GPIO line wired to INTA/INTB: the service
//! mirrors INTA and INTB, makes them open drain, enables interrupt-on-change for the
//! pin, requests the line with falling-edge detection and, on each edge, reads INTF and
//! INTCAP (the pin that changed and its level then) and gives the pin's watchers an
//! [`Event`] stamped with the kernel's time of the INT edge. No polling.

use std::collections::BTreeMap;
use std::fmt::{self, Display};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use embedded_hal::i2c::{Error as _, ErrorKind, ErrorType, I2c, Operation};
use udrv_boards::catalog::{Buses, ChipBus, ChipKind, ChipSpec};
use udrv_core::gpio::{EdgeDetection, EdgeKind, Request};
use udrv_drivers::mcp23017::registers::{Reg, MIRROR, ODR};
use udrv_drivers::mcp23017::Mcp23017;
use udrv_drivers::pca95xx::registers::{CONFIG, INPUT, OUTPUT};
use udrv_drivers::pca95xx::Pca95xx;
use udrv_drivers::pca9685::{Duty, Pca9685};

use crate::lines::{edge_reader, fan_out, Edge, Reader, Watchers, CONSUMER};
use crate::log;

/// A chip's I2C bus as the service opened it: this machine's, or the virtual board's.
pub(crate) enum PinBus {
    Linux(udrv_core::i2c::I2cBus),
    Virtual(udrv_drivers::sim::SimI2cBus),
}

/// A bus error: the bus's own message and its kind.
#[derive(Debug)]
pub(crate) struct BusError(String, ErrorKind);

impl Display for BusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl embedded_hal::i2c::Error for BusError {
    fn kind(&self) -> ErrorKind {
        self.1
    }
}

impl ErrorType for PinBus {
    type Error = BusError;
}

impl I2c for PinBus {
    fn transaction(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), BusError> {
        match self {
            PinBus::Linux(b) => b
                .transaction(address, ops)
                .map_err(|e| BusError(e.to_string(), e.kind())),
            PinBus::Virtual(b) => b
                .transaction(address, ops)
                .map_err(|e| BusError(format!("{e:?}"), e.kind())),
        }
    }
}

/// The watchers of one interrupt-driven pin.
struct IrqPin {
    active_low: bool,
    watchers: Watchers,
}

type IrqPins = Arc<Mutex<BTreeMap<u8, IrqPin>>>;

/// The thread reading a chip's interrupt line (stopped and joined when dropped).
struct Irq {
    /// The line as declared (`GPIO17`).
    line: String,
    pins: IrqPins,
    _thread: Reader,
}

/// One chip whose pins the service holds: opened once, its pins share its lock.
pub(crate) struct PinChip {
    spec: ChipSpec,
    address: u8,
    dev: Arc<Mutex<PinBus>>,
    irq: Mutex<Option<Irq>>,
}

/// The message of a failed transfer: the chip and what to check.
fn failed(spec: &ChipSpec, e: &dyn Display) -> String {
    format!("{spec}: {e}; check that the chip answers (`udrv probe`) and its wiring")
}

/// `v` with bit `bit` set (`on`) or cleared.
fn with_bit(v: u16, bit: u8, on: bool) -> u16 {
    if on {
        v | 1 << bit
    } else {
        v & !(1 << bit)
    }
}

/// Sets or clears bit `pin % 8` of `reg`, read from the chip first (the other pins keep
/// theirs).
fn mcp_rmw(m: &mut Mcp23017<&mut PinBus>, reg: Reg, pin: u8, on: bool) -> McpResult {
    let v = m.read_register(reg, pin / 8)?;
    m.write_register(reg, pin / 8, with_bit(v.into(), pin % 8, on) as u8)
}

/// As [`mcp_rmw`], on a PCA95xx register function.
fn pca_rmw(p: &mut Pca95xx<&mut PinBus>, function: u8, pin: u8, on: bool) -> PcaResult {
    let v = p.read_reg(function)?;
    p.write_reg(function, with_bit(v, pin, on))
}

type McpResult = Result<(), udrv_drivers::mcp23017::Error<BusError>>;
type PcaResult = Result<(), udrv_drivers::pca95xx::Error<BusError>>;

impl PinChip {
    /// Opens the bus of the chip `spec` names on `on` (a chip a kernel driver holds is
    /// refused: its lines are the kernel's).
    pub(crate) fn open(spec: &ChipSpec, on: Buses<'_>) -> Result<PinChip, String> {
        let bus = match ChipBus::open(spec, on).map_err(|e| format!("{spec}: {e}"))? {
            ChipBus::LinuxI2c(b) => PinBus::Linux(b),
            ChipBus::VirtualI2c(b) => PinBus::Virtual(b),
            ChipBus::Kernel(k) => {
                return Err(format!(
                    "{spec}: the kernel's {} driver holds it: use its gpiochip's lines \
                     (`udrv gpio info`), or unbind the driver",
                    k.driver()
                ))
            }
            _ => return Err(format!("{spec}: the service holds pins of I2C chips only")),
        };
        Ok(PinChip {
            spec: spec.clone(),
            address: spec.address().unwrap_or(0),
            dev: Arc::new(Mutex::new(bus)),
            irq: Mutex::new(None),
        })
    }

    fn bus(&self) -> std::sync::MutexGuard<'_, PinBus> {
        self.dev.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `pin` an output at level `high` (the latch first, then the direction: no
    /// glitch), or an input (with the MCP23017's pull-up when `pull_up`).
    pub(crate) fn setup(&self, pin: u8, output: Option<bool>, pull_up: bool) -> Result<(), String> {
        let mut bus = self.bus();
        let (spec, a) = (&self.spec, self.address);
        match spec.kind() {
            ChipKind::Mcp23017 => {
                let mut m = Mcp23017::new(&mut *bus, a);
                match output {
                    Some(high) => mcp_rmw(&mut m, Reg::Olat, pin, high)
                        .and_then(|()| mcp_rmw(&mut m, Reg::Iodir, pin, false)),
                    None => mcp_rmw(&mut m, Reg::Gppu, pin, pull_up)
                        .and_then(|()| mcp_rmw(&mut m, Reg::Iodir, pin, true)),
                }
                .map_err(|e| failed(spec, &e))
            }
            ChipKind::Pca9685 => {
                let mut p = Pca9685::new(&mut *bus, a);
                // Awake with auto-increment (what the channel registers need).
                let m = p.mode1().map_err(|e| failed(spec, &e))?;
                if m & 0x10 != 0 || m & 0x20 == 0 {
                    p.init().map_err(|e| failed(spec, &e))?;
                }
                Ok(())
            }
            _ => {
                let mut p = pca95xx(&mut bus, spec.kind(), a);
                match output {
                    Some(high) => pca_rmw(&mut p, OUTPUT, pin, high)
                        .and_then(|()| pca_rmw(&mut p, CONFIG, pin, false)),
                    None => pca_rmw(&mut p, CONFIG, pin, true),
                }
                .map_err(|e| failed(spec, &e))
            }
        }
    }

    /// Sets output `pin` to `high`: a read-modify-write of the output register, under
    /// the chip's lock.
    pub(crate) fn write(&self, pin: u8, high: bool) -> Result<(), String> {
        let mut bus = self.bus();
        let (spec, a) = (&self.spec, self.address);
        match spec.kind() {
            ChipKind::Mcp23017 => mcp_rmw(&mut Mcp23017::new(&mut *bus, a), Reg::Olat, pin, high)
                .map_err(|e| failed(spec, &e)),
            kind => pca_rmw(&mut pca95xx(&mut bus, kind, a), OUTPUT, pin, high)
                .map_err(|e| failed(spec, &e)),
        }
    }

    /// The level of `pin`: the latch of an output, the port of an input.
    pub(crate) fn read(&self, pin: u8, output: bool) -> Result<bool, String> {
        let mut bus = self.bus();
        let (spec, a) = (&self.spec, self.address);
        let bits = match spec.kind() {
            ChipKind::Mcp23017 => {
                let reg = if output { Reg::Olat } else { Reg::Gpio };
                Mcp23017::new(&mut *bus, a)
                    .read_register(reg, pin / 8)
                    .map(|v| u16::from(v) << (8 * (pin / 8)))
                    .map_err(|e| failed(spec, &e))?
            }
            kind => pca95xx(&mut bus, kind, a)
                .read_reg(if output { OUTPUT } else { INPUT })
                .map_err(|e| failed(spec, &e))?,
        };
        Ok(bits & (1 << pin) != 0)
    }

    /// Sets PWM channel `pin` to `duty` (0.0..=1.0, in 1/4096 steps).
    pub(crate) fn set_duty(&self, pin: u8, duty: f64) -> Result<(), String> {
        let counts = (duty.clamp(0.0, 1.0) * 4096.0).round() as u16;
        Pca9685::new(&mut *self.bus(), self.address)
            .set_duty(pin, counts)
            .map_err(|e| failed(&self.spec, &e))
    }

    /// The duty of PWM channel `pin` now, read from the chip.
    pub(crate) fn duty(&self, pin: u8) -> Result<f64, String> {
        let d = Pca9685::new(&mut *self.bus(), self.address)
            .duty(pin)
            .map_err(|e| failed(&self.spec, &e))?;
        Ok(match d {
            Duty::FullOn => 1.0,
            Duty::FullOff => 0.0,
            Duty::Pwm { on, off } => f64::from((off + 4096 - on) % 4096) / 4096.0,
        })
    }

    /// Gives input `pin`'s edges, from the interrupt line `line` (requested at the
    /// first pin: the pins of one chip share it), to `watchers`.
    pub(crate) fn interrupt(
        &self,
        line: &str,
        place: (PathBuf, u32),
        pin: u8,
        active_low: bool,
        watchers: Watchers,
    ) -> Result<(), String> {
        let spec = &self.spec;
        {
            let mut bus = self.bus();
            let mut m = Mcp23017::new(&mut *bus, self.address);
            // INTA and INTB both report both ports, open drain (wired-OR, active low).
            let iocon = m
                .read_register(Reg::Iocon, 0)
                .map_err(|e| failed(spec, &e))?;
            m.write_register(Reg::Iocon, 0, iocon | MIRROR | ODR)
                .and_then(|()| mcp_rmw(&mut m, Reg::Intcon, pin, false))
                .and_then(|()| mcp_rmw(&mut m, Reg::Gpinten, pin, true))
                .map_err(|e| failed(spec, &e))?;
        }
        let mut irq = self.irq.lock().unwrap_or_else(|e| e.into_inner());
        if irq.is_none() {
            *irq = Some(self.start_irq(line, place)?);
        }
        let Some(irq) = irq.as_ref() else {
            unreachable!("started above")
        };
        if irq.line != line {
            return Err(format!(
                "{spec}: its pins' interrupt line is {}: the pins of one chip share it",
                irq.line
            ));
        }
        irq.pins.lock().unwrap_or_else(|e| e.into_inner()).insert(
            pin,
            IrqPin {
                active_low,
                watchers,
            },
        );
        Ok(())
    }

    /// Stops giving `pin`'s edges (its line released); the interrupt stays enabled for
    /// the chip's other pins.
    pub(crate) fn forget(&self, pin: u8) {
        if let Some(irq) = self.irq.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            irq.pins
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&pin);
        }
        let mut bus = self.bus();
        let _ = mcp_rmw(
            &mut Mcp23017::new(&mut *bus, self.address),
            Reg::Gpinten,
            pin,
            false,
        );
    }

    /// Requests the interrupt line with falling-edge detection and starts its reader.
    fn start_irq(&self, line: &str, (chip, offset): (PathBuf, u32)) -> Result<Irq, String> {
        let spec = self.spec.clone();
        let req = Request::builder()
            .on_chip(&chip)
            .with_line(offset)
            .with_consumer(CONSUMER)
            .with_edge_detection(EdgeDetection::Falling)
            .request()
            .map_err(|e| format!("{spec}: its interrupt line {line}: {e}"))?;
        let pins: IrqPins = Arc::default();
        let (dev, p, address) = (self.dev.clone(), pins.clone(), self.address);
        // A pending interrupt from before would hold INT low: no falling edge would come.
        let _ = Mcp23017::new(&mut *self.bus(), address).take_interrupt();
        let what = format!("{spec}'s interrupt line {line}");
        let thread = edge_reader(&what, Arc::new(req), true, move |batch| {
            for ev in batch.iter().filter(|ev| ev.kind == EdgeKind::Falling) {
                let got =
                    Mcp23017::new(&mut *dev.lock().unwrap_or_else(|e| e.into_inner()), address)
                        .take_interrupt();
                let got = match got {
                    Ok(g) => g,
                    Err(e) => {
                        log(&failed(&spec, &e));
                        continue;
                    }
                };
                let pins = p.lock().unwrap_or_else(|e| e.into_inner());
                for (pin, ip) in pins.iter().filter(|(pin, _)| got.flags & (1 << **pin) != 0) {
                    let high = got.captured & (1 << pin) != 0;
                    let mut ws = ip.watchers.lock().unwrap_or_else(|e| e.into_inner());
                    // The INT line's edge, as the pin's: its level from INTCAP.
                    let edge = Edge {
                        rising: high != ip.active_low,
                        ..Edge::of(ev)
                    };
                    fan_out(&mut ws, edge);
                }
            }
        })?;
        Ok(Irq {
            line: line.to_string(),
            pins,
            _thread: thread,
        })
    }
}

/// The PCA9554 or PCA9535 driver at `address` on `bus`.
fn pca95xx(bus: &mut PinBus, kind: ChipKind, address: u8) -> Pca95xx<&mut PinBus> {
    if kind == ChipKind::Pca9535 {
        Pca95xx::pca9535(bus, address)
    } else {
        Pca95xx::pca9554(bus, address)
    }
}
