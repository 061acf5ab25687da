//! The virtual board's physical world: air temperature, humidity and pressure, light, ADC
//! voltages, a supply rail, and a room that a heater relay warms.
//!
//! Every quantity is a deterministic function of the elapsed time (smooth sines with
//! different periods), so repeated reads show values that change like a real room, and a
//! test that sets the clock gets the same values every run. The one piece of state is the
//! heater: while the relay line is on, the room warms with a first-order thermal model
//! (`dH/dt = P·on − H/τ`), integrated exactly between the moments the relay changes, so a
//! thermostat on the virtual board closes a real control loop.

use std::f64::consts::TAU;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use udrv_drivers::{Current, Humidity, Illuminance, Pressure, Temperature, Voltage};

/// Heating power of the simulated heater, in °C per second (with the room at ambient).
pub const HEATER_RATE: f64 = 0.06;
/// Time constant of the room's heat loss, in seconds.
pub const ROOM_TAU_S: f64 = 150.0;
/// The current the heater draws through the INA219's shunt, in amperes.
pub const HEATER_AMPS: f64 = 1.5;

/// The physical inputs at one moment, as every simulated chip sees them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conditions {
    /// The environment's clock: time since it started, or since the Unix epoch for
    /// [`Environment::wall_clock`], or what [`Environment::set_elapsed`] set.
    pub elapsed: Duration,
    /// Time since the environment was made (its clock minus where it started).
    pub uptime: Duration,
    /// Room air temperature (BME280 on `i2c-1`; the SHT3x reads 0.3 °C more, being nearer
    /// the window, the SHTC3 0.2 °C less, by the door).
    pub temperature: Temperature,
    /// Room relative humidity.
    pub humidity: Humidity,
    /// Air pressure.
    pub pressure: Pressure,
    /// Temperature on the board itself, near the processor (LM75).
    pub board_temperature: Temperature,
    /// Outdoor temperature (the BME280 on SPI).
    pub outdoor_temperature: Temperature,
    /// Outdoor relative humidity.
    pub outdoor_humidity: Humidity,
    /// The light in the room, 30-800 lx (BH1750), rising and falling every 2 minutes with
    /// the ADS1115's light sensor on AIN1.
    pub illuminance: Illuminance,
    /// ADS1115 inputs AIN0..AIN3: a potentiometer sweeping 0.45-2.85 V, a light sensor
    /// 0.2-2.8 V, a 1.250 V reference, and ground.
    pub adc: [Voltage; 4],
    /// MCP3008 inputs CH0..CH7 (3.3 V reference): a joystick's X and Y (0.15-3.15 V,
    /// circling every 13 s), a half-supply divider (1.65 V) on CH2, ground on the rest.
    pub spi_adc: [Voltage; 8],
    /// The thermocouple of the MAX31855: an oven cycling between 160 and 200 °C.
    pub thermocouple: Temperature,
    /// The MAX31855's cold junction (its own die, on the board).
    pub cold_junction: Temperature,
    /// The 5 V rail the INA219 measures (sags with the load).
    pub bus_voltage: Voltage,
    /// The load current through the INA219's 0.1 Ω shunt (1.5 A more while the heater is
    /// on).
    pub current: Current,
    /// Whether the heater relay is on.
    pub heater_on: bool,
}

#[derive(Clone, Copy, Debug)]
enum Clock {
    /// `base` seconds at `start`.
    Real {
        start: Instant,
        base: f64,
    },
    Manual(Duration),
}

/// Values a test pins in place of the functions of time.
#[derive(Clone, Copy, Debug, Default)]
struct Holds {
    temperature: Option<Temperature>,
    humidity: Option<Humidity>,
    pressure: Option<Pressure>,
    board_temperature: Option<Temperature>,
    adc: [Option<Voltage>; 4],
    bus_voltage: Option<Voltage>,
    current: Option<Current>,
}

#[derive(Debug)]
struct State {
    clock: Clock,
    /// The clock's reading when the environment was made.
    origin: f64,
    live: bool,
    heater_on: bool,
    /// Degrees above ambient that the heater has added, as of `heat_at` seconds.
    heat: f64,
    heat_at: f64,
    holds: Holds,
}

/// The simulated world shared by every chip of a [`VirtualBoard`](super::VirtualBoard).
///
/// By default the clock is real (time since the board was made) and the environment is
/// *live*: before every bus transaction a chip's physical inputs are set from
/// [`conditions`](Self::conditions). Tests make it deterministic with
/// [`set_elapsed`](Self::set_elapsed) / [`advance`](Self::advance) (a manual clock), pin a
/// quantity with the `hold_*` methods, or turn the updates off with
/// [`set_live(false)`](Self::set_live) to drive the chips' models through their handles.
#[derive(Debug)]
pub struct Environment {
    state: Mutex<State>,
}

impl Default for Environment {
    fn default() -> Self {
        Self::new()
    }
}

fn wave(t: f64, period_s: f64, phase: f64) -> f64 {
    (TAU * t / period_s + phase).sin()
}

impl Environment {
    /// A live environment on the real clock, starting at zero now, heater off.
    pub fn new() -> Self {
        Self::starting_at(0.0)
    }

    /// A live environment whose clock reads the time since the Unix epoch, so that
    /// separate processes (each `udrv --board virtual read`) see the same world at the
    /// same moment, and later runs see it changed.
    pub fn wall_clock() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        Self::starting_at(now)
    }

    /// A live environment on a manual clock that starts at `start` (its uptime counts
    /// from there): every reading is the same until the clock is moved.
    pub fn manual(start: Duration) -> Self {
        let e = Self::starting_at(start.as_secs_f64());
        e.lock().clock = Clock::Manual(start);
        e
    }

    fn starting_at(base: f64) -> Self {
        Environment {
            state: Mutex::new(State {
                clock: Clock::Real {
                    start: Instant::now(),
                    base,
                },
                origin: base,
                live: true,
                heater_on: false,
                heat: 0.0,
                heat_at: base,
                holds: Holds::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether chips follow the environment (see the type's documentation).
    pub fn is_live(&self) -> bool {
        self.lock().live
    }

    /// Turn the environment's updates of the chips on or off. Off, the models keep what
    /// their handles set.
    pub fn set_live(&self, live: bool) {
        self.lock().live = live;
    }

    /// The elapsed time now.
    pub fn elapsed(&self) -> Duration {
        match self.lock().clock {
            Clock::Real { start, base } => Duration::from_secs_f64(base) + start.elapsed(),
            Clock::Manual(d) => d,
        }
    }

    /// Whether the clock is manual (set by [`set_elapsed`](Self::set_elapsed)).
    pub fn is_manual(&self) -> bool {
        matches!(self.lock().clock, Clock::Manual(_))
    }

    /// Stop the real clock and set the elapsed time (time may also go back: the heater's
    /// history is then reset to "off since the start").
    pub fn set_elapsed(&self, d: Duration) {
        let mut s = self.lock();
        let now = d.as_secs_f64();
        if now < s.heat_at {
            s.heat = 0.0;
            s.heat_at = now;
        } else {
            integrate(&mut s, now);
        }
        s.clock = Clock::Manual(d);
    }

    /// Move the clock forward by `d` (switching to a manual clock at the current time).
    pub fn advance(&self, d: Duration) {
        let now = self.elapsed();
        self.set_elapsed(now + d);
    }

    /// Whether the heater relay is on.
    pub fn heater_on(&self) -> bool {
        self.lock().heater_on
    }

    /// Switch the heater (the virtual board calls this when its relay line changes).
    pub fn set_heater(&self, on: bool) {
        let t = self.elapsed().as_secs_f64();
        let mut s = self.lock();
        integrate(&mut s, t);
        s.heater_on = on;
    }

    /// Pin the room temperature (`None`: follow time again).
    pub fn hold_temperature(&self, t: Option<Temperature>) {
        self.lock().holds.temperature = t;
    }

    /// Pin the room humidity.
    pub fn hold_humidity(&self, h: Option<Humidity>) {
        self.lock().holds.humidity = h;
    }

    /// Pin the air pressure.
    pub fn hold_pressure(&self, p: Option<Pressure>) {
        self.lock().holds.pressure = p;
    }

    /// Pin the board temperature (LM75).
    pub fn hold_board_temperature(&self, t: Option<Temperature>) {
        self.lock().holds.board_temperature = t;
    }

    /// Pin ADS1115 input `channel` (0..4).
    ///
    /// # Panics
    /// When `channel` is 4 or more.
    pub fn hold_adc(&self, channel: usize, v: Option<Voltage>) {
        self.lock().holds.adc[channel] = v;
    }

    /// Pin the INA219's bus voltage.
    pub fn hold_bus_voltage(&self, v: Option<Voltage>) {
        self.lock().holds.bus_voltage = v;
    }

    /// Pin the INA219's load current.
    pub fn hold_current(&self, i: Option<Current>) {
        self.lock().holds.current = i;
    }

    /// The conditions now.
    pub fn conditions(&self) -> Conditions {
        let elapsed = self.elapsed();
        let t = elapsed.as_secs_f64();
        let mut s = self.lock();
        integrate(&mut s, t);
        let uptime = Duration::from_secs_f64((t - s.origin).max(0.0));
        conditions_at(elapsed, uptime, s.heat, s.heater_on, &s.holds)
    }
}

/// Bring the heater's contribution forward to `t` seconds: the exact solution of
/// `dH/dt = P·on − H/τ` over a stretch where `on` is constant.
fn integrate(s: &mut State, t: f64) {
    let dt = t - s.heat_at;
    if dt <= 0.0 {
        return;
    }
    let decay = (-dt / ROOM_TAU_S).exp();
    let target = if s.heater_on {
        HEATER_RATE * ROOM_TAU_S
    } else {
        0.0
    };
    s.heat = target + (s.heat - target) * decay;
    s.heat_at = t;
}

fn millis(x: f64) -> i32 {
    (x * 1000.0).round() as i32
}

fn micros(x: f64) -> i32 {
    (x * 1_000_000.0).round() as i32
}

fn percent(x: f64) -> Humidity {
    Humidity((x.clamp(0.0, 100.0) * 1000.0).round() as u32)
}

fn conditions_at(
    elapsed: Duration,
    uptime: Duration,
    heat: f64,
    heater_on: bool,
    h: &Holds,
) -> Conditions {
    let t = elapsed.as_secs_f64();
    let ambient = 21.0 + 1.5 * wave(t, 300.0, 0.0) + 0.3 * wave(t, 23.0, 0.0);
    let room = ambient + heat;
    let humidity = 45.0 + 8.0 * wave(t, 240.0, 1.0) - 2.0 * heat;
    let hpa = 1013.25 + 0.8 * wave(t, 600.0, 0.5);
    let board = room + 9.0 + 0.5 * wave(t, 40.0, 0.0);
    let outdoor = 8.0 + 4.0 * wave(t, 900.0, 2.0);
    let outdoor_rh = 70.0 + 10.0 * wave(t, 500.0, 0.0);
    let pot = 1.65 + 1.2 * wave(t, 30.0, 0.0);
    // The room's light, 0 (dim) to 1 (bright): the ADS1115's light sensor and the BH1750.
    let brightness = 0.5 + 0.5 * wave(t, 120.0, -1.0);
    let light = 0.2 + 2.6 * brightness;
    let lux = 30.0 + 770.0 * brightness;
    let amps = 0.120 + 0.030 * wave(t, 7.0, 0.0) + if heater_on { HEATER_AMPS } else { 0.0 };
    let current = h.current.unwrap_or(Current(micros(amps)));
    let volts = 5.05 - 0.1 * current.0 as f64 / 1e6;
    let fixed = [micros(pot), micros(light), 1_250_000, 0];
    let mut adc = [Voltage(0); 4];
    for (i, v) in adc.iter_mut().enumerate() {
        *v = h.adc[i].unwrap_or(Voltage(fixed[i]));
    }
    let mut spi_adc = [Voltage(0); 8];
    spi_adc[0] = Voltage(micros(1.65 + 1.5 * wave(t, 13.0, 0.0)));
    spi_adc[1] = Voltage(micros(1.65 + 1.5 * wave(t, 13.0, TAU / 4.0)));
    spi_adc[2] = Voltage(1_650_000);
    Conditions {
        elapsed,
        uptime,
        spi_adc,
        thermocouple: Temperature(millis(180.0 + 20.0 * wave(t, 400.0, 0.0))),
        cold_junction: Temperature(millis(board - 3.0)),
        temperature: h.temperature.unwrap_or(Temperature(millis(room))),
        humidity: h.humidity.unwrap_or(percent(humidity)),
        pressure: h
            .pressure
            .unwrap_or(Pressure((hpa * 100.0 * 256.0).round() as u32)),
        board_temperature: h.board_temperature.unwrap_or(Temperature(millis(board))),
        outdoor_temperature: Temperature(millis(outdoor)),
        outdoor_humidity: percent(outdoor_rh),
        illuminance: Illuminance((lux * 1000.0).round() as u32),
        adc,
        bus_voltage: h.bus_voltage.unwrap_or(Voltage(micros(volts))),
        current,
        heater_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_time_same_values_and_time_changes_them() {
        let a = Environment::new();
        let b = Environment::new();
        a.set_elapsed(Duration::from_secs(42));
        b.set_elapsed(Duration::from_secs(42));
        assert_eq!(a.conditions(), b.conditions());
        let before = a.conditions();
        a.advance(Duration::from_secs(20));
        let after = a.conditions();
        assert_ne!(before.temperature, after.temperature);
        assert_ne!(before.adc[0], after.adc[0]);
        assert_eq!(after.adc[2], Voltage(1_250_000));
    }

    #[test]
    fn heater_warms_the_room_and_draws_current() {
        let e = Environment::new();
        e.set_elapsed(Duration::ZERO);
        let cold = e.conditions();
        e.set_heater(true);
        e.advance(Duration::from_secs(60));
        let warm = e.conditions();
        // Ambient moves by at most ~1.8 °C in a minute; the heater adds
        // 9 * (1 - e^-0.4) = 2.97 °C.
        let ambient_only = {
            let f = Environment::new();
            f.set_elapsed(Duration::from_secs(60));
            f.conditions().temperature.0
        };
        let added = warm.temperature.0 - ambient_only;
        assert!((2_900..=3_000).contains(&added), "heater added {added} m°C");
        assert!(warm.current.0 - cold.current.0 > 1_400_000);
        e.set_heater(false);
        e.advance(Duration::from_secs(600));
        let f = Environment::new();
        f.set_elapsed(Duration::from_secs(660));
        let left = e.conditions().temperature.0 - f.conditions().temperature.0;
        assert!(
            (0..100).contains(&left),
            "heat left after 10 min: {left} m°C"
        );
    }

    #[test]
    fn holds_pin_values() {
        let e = Environment::new();
        e.hold_temperature(Some(Temperature(-5_000)));
        e.hold_adc(3, Some(Voltage(777)));
        e.advance(Duration::from_secs(13));
        let c = e.conditions();
        assert_eq!(c.temperature, Temperature(-5_000));
        assert_eq!(c.adc[3], Voltage(777));
        e.hold_temperature(None);
        assert_ne!(e.conditions().temperature, Temperature(-5_000));
    }
}
