//! The value types of [`pca9685`](super) (re-exported there).

use super::*;

/// The PWM frequency (the datasheet's update rate) that a PRE_SCALE value gives with an
/// oscillator: `osc / (4096 × (prescale + 1))` (datasheet §7.3.5, equation 1 solved for
/// the rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PwmFrequency {
    /// The PRE_SCALE register.
    pub prescale: u8,
    /// The oscillator, Hz: the internal 25 MHz ([`OSC_HZ`]) or the clock on EXTCLK.
    pub osc_hz: u32,
}

impl PwmFrequency {
    /// The frequency `prescale` gives with an oscillator of `osc_hz`.
    pub const fn new(prescale: u8, osc_hz: u32) -> Self {
        Self { prescale, osc_hz }
    }

    /// 4096 × (prescale + 1): oscillator cycles per PWM period.
    pub(super) const fn divisor(self) -> u64 {
        4096 * (self.prescale as u64 + 1)
    }

    /// The frequency in millihertz, rounded to the nearest.
    pub const fn as_millihertz(self) -> u32 {
        let den = self.divisor();
        // At most u32::MAX × 1000 / 4096: fits a u32.
        ((self.osc_hz as u64 * 2000 + den) / (2 * den)) as u32
    }

    /// The frequency in hertz as `f64`: the oscillator over the divisor, one division.
    pub fn as_hz_f64(self) -> f64 {
        self.osc_hz as f64 / (4096.0 * (self.prescale as f64 + 1.0))
    }
}

/// A channel's output as its LEDn_ON and LEDn_OFF registers set it (datasheet §7.3.3,
/// table 7): 13-bit values, bit 12 the full-on / full-off bit, bits 11..0 the count at
/// which the output turns on / off in each 4096-count period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duty {
    /// LEDn_ON bit 12 set (LEDn_OFF bit 12 clear): always high.
    FullOn,
    /// LEDn_OFF bit 12 set: always low, whatever else is set (it takes precedence over
    /// full on).
    FullOff,
    /// High from count `on` to count `off` (0..=4095 each), wrapping past 4095 when
    /// `off` comes before `on`; `on == off` is low all period.
    Pwm {
        /// The count at which the output turns on.
        on: u16,
        /// The count at which the output turns off.
        off: u16,
    },
}

impl Duty {
    /// Decode a channel's ON and OFF values, as [`Pca9685::channel`] returns them.
    pub const fn from_registers(on: u16, off: u16) -> Self {
        let full = (FULL as u16) << 8;
        if off & full != 0 {
            Duty::FullOff
        } else if on & full != 0 {
            Duty::FullOn
        } else {
            Duty::Pwm {
                on: on & 0x0FFF,
                off: off & 0x0FFF,
            }
        }
    }

    /// The counts of each 4096-count period the output is high: 0..=4096.
    pub const fn high_counts(self) -> u16 {
        match self {
            Duty::FullOn => 4096,
            Duty::FullOff => 0,
            Duty::Pwm { on, off } => off.wrapping_sub(on) & 0x0FFF,
        }
    }

    /// The duty cycle in percent as `f64`: `high_counts × 100 / 4096`.
    pub fn as_percent_f64(self) -> f64 {
        self.high_counts() as f64 * 100.0 / 4096.0
    }
}

/// MODE1 (datasheet §7.3.1, table 5), its bits by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mode1(pub u8);

impl Mode1 {
    /// RESTART (bit 7): PWM was running when the chip was put to sleep.
    pub const fn restart(self) -> bool {
        self.0 & RESTART != 0
    }
    /// EXTCLK (bit 6): the clock on EXTCLK drives the PWM, not the internal oscillator.
    pub const fn external_clock(self) -> bool {
        self.0 & EXTCLK != 0
    }
    /// AI (bit 5): register auto-increment.
    pub const fn auto_increment(self) -> bool {
        self.0 & AI != 0
    }
    /// SLEEP (bit 4): low-power mode, oscillator off, so are the outputs (set at
    /// power-on).
    pub const fn sleep(self) -> bool {
        self.0 & SLEEP != 0
    }
    /// ALLCALL (bit 0): the chip answers the LED All Call address.
    pub const fn all_call(self) -> bool {
        self.0 & ALLCALL != 0
    }
}

/// Output stage settings (MODE2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputConfig {
    /// Invert the outputs.
    pub invert: bool,
    /// Totem pole (default) instead of open drain.
    pub totem_pole: bool,
    /// Outputs change on each ACK instead of at STOP.
    pub change_on_ack: bool,
}

impl Default for OutputConfig {
    fn default() -> Self {
        Self {
            invert: false,
            totem_pole: true,
            change_on_ack: false,
        }
    }
}
