//! Measurement newtypes shared by all drivers: fixed-point integers, no floats needed.
//!
//! Each type stores one integer in a documented unit; the `as_*_f32` accessors are for
//! display only, and the `as_*_f64` ones give the value in its SI unit (or one the SI
//! accepts: °C, %) for data that leaves the integer world, such as a reading published
//! as a number (an `f64` holds every stored integer exactly, so the only rounding is the
//! one division). Where a chip's own step is finer than the unit (a TMP102 LSB is 62.5
//! m°C), the driver rounds to the nearest unit and says so; the raw register value is
//! always available from the driver too.

macro_rules! unit {
    ($(#[$m:meta])* $name:ident($int:ty), $unit:literal, $get:ident, $from:ident, $f:ident, $fdoc:literal, $div:expr,
     $f64:ident, $f64doc:literal, $div64:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $int);

        impl $name {
            #[doc = concat!("From a value in ", $unit, ".")]
            pub const fn $from(v: $int) -> Self {
                Self(v)
            }
            #[doc = concat!("The value in ", $unit, ".")]
            pub const fn $get(self) -> $int {
                self.0
            }
            #[doc = concat!("The value in ", $fdoc, " as `f32` (for display).")]
            pub fn $f(self) -> f32 {
                self.0 as f32 / $div
            }
            #[doc = concat!("The value in ", $f64doc, " as `f64`: the stored integer divided by ", stringify!($div64), ".")]
            pub fn $f64(self) -> f64 {
                self.0 as f64 / $div64
            }
        }
    };
}

unit!(
    /// A temperature in milli-degrees Celsius.
    Temperature(i32), "milli-degrees Celsius", as_millicelsius, from_millicelsius,
    as_celsius_f32, "degrees Celsius", 1000.0,
    as_celsius_f64, "degrees Celsius", 1000.0
);
unit!(
    /// A relative humidity in milli-percent (0 ..= 100 000).
    Humidity(u32), "milli-percent relative humidity", as_millipercent, from_millipercent,
    as_percent_f32, "percent", 1000.0,
    as_percent_f64, "percent", 1000.0
);
unit!(
    /// A pressure in 1/256 pascal (the BME280's Q24.8 output format).
    Pressure(u32), "1/256 Pa (Q24.8 pascal)", as_q24_8_pascal, from_q24_8_pascal,
    as_hectopascal_f32, "hectopascal", 25600.0,
    as_pascal_f64, "pascal", 256.0
);
unit!(
    /// A voltage in microvolts.
    Voltage(i32), "microvolts", as_microvolts, from_microvolts,
    as_volts_f32, "volts", 1_000_000.0,
    as_volts_f64, "volts", 1_000_000.0
);
unit!(
    /// A current in microamperes.
    Current(i32), "microamperes", as_microamps, from_microamps,
    as_amps_f32, "amperes", 1_000_000.0,
    as_amps_f64, "amperes", 1_000_000.0
);
unit!(
    /// A power in microwatts.
    Power(i32), "microwatts", as_microwatts, from_microwatts,
    as_watts_f32, "watts", 1_000_000.0,
    as_watts_f64, "watts", 1_000_000.0
);
unit!(
    /// An illuminance in millilux.
    Illuminance(u32), "millilux", as_millilux, from_millilux,
    as_lux_f32, "lux", 1000.0,
    as_lux_f64, "lux", 1000.0
);

impl Pressure {
    /// The pressure in whole pascal (truncated).
    pub const fn as_pascal(self) -> u32 {
        self.0 >> 8
    }
}

impl Voltage {
    /// The voltage in millivolts (truncated toward zero).
    pub const fn as_millivolts(self) -> i32 {
        self.0 / 1000
    }
}

impl Temperature {
    /// Round a value in `num/den` degrees Celsius to the nearest milli-degree, half away
    /// from zero.
    pub(crate) const fn from_fraction(num: i32, den: i32) -> Self {
        let n = num as i64 * 1000;
        let d = den as i64;
        let q = if n >= 0 {
            (n + d / 2) / d
        } else {
            (n - d / 2) / d
        };
        Self(q as i32)
    }
}
