//! How each I2C kind is read.

use std::fmt::{self, Display};

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::I2c;
use udrv_drivers::kinds::ChipKind;
use udrv_drivers::{
    ads1x1x, at24, bh1750, bme280, dps310, ds1307, ds3231, ina219, lm75, mcp23017, pca954x,
    pca95xx, pca9685, sht3x, shtc3,
};

use super::{
    celsius, ex, mcp23x17, pascals, rtc_seconds, sensirion, volts, Out, ReadError,
    INA219_SHUNT_MICRO_OHM, PCA9685_OSCILLATOR_HZ,
};
use crate::catalog::quantity::Quantity;

/// Reads `kind` at `address` on `i2c` into `out`.
pub(super) fn read<I>(
    kind: ChipKind,
    i2c: I,
    address: u8,
    delay: &mut impl DelayNs,
    out: &mut Out<'_>,
) -> Result<(), ReadError>
where
    I: I2c,
    I::Error: Display + fmt::Debug,
{
    match kind {
        ChipKind::Bme280 => super::bme280(&mut bme280::Bme280::new_i2c(i2c, address), delay, out),
        ChipKind::Sht3x => {
            let m = sht3x::Sht3x::new(i2c, address)
                .measure(sht3x::Repeatability::High, delay)
                .map_err(ex)?;
            sensirion(out, &m);
            Ok(())
        }
        // The only address is 0x70 (the driver knows it).
        ChipKind::Shtc3 => shtc3(shtc3::Shtc3::new(i2c), delay, out),
        ChipKind::Bh1750 => {
            let mut s = bh1750::Bh1750::new(i2c, address);
            s.power_on().map_err(ex)?;
            let lux = s
                .measure_one_time(bh1750::Resolution::High, delay)
                .map_err(ex)?;
            out.push(
                Quantity::Illuminance,
                None,
                f64::from(lux.as_millilux()) / 1000.0,
            );
            Ok(())
        }
        ChipKind::Lm75 => {
            let t = lm75::Lm75::new(i2c, address).temperature().map_err(ex)?;
            out.push(Quantity::Temperature, None, celsius(t));
            Ok(())
        }
        ChipKind::Tmp102 => {
            let t = lm75::Tmp102::new(i2c, address).temperature().map_err(ex)?;
            out.push(Quantity::Temperature, None, celsius(t));
            Ok(())
        }
        ChipKind::Ads1115 | ChipKind::Ads1015 => {
            let variant = if kind == ChipKind::Ads1115 {
                ads1x1x::Variant::Ads1115
            } else {
                ads1x1x::Variant::Ads1015
            };
            let mut adc = ads1x1x::Ads1x1x::new(i2c, address, variant);
            adc.set_full_scale(ads1x1x::FullScale::V4_096).map_err(ex)?;
            let channels = [
                ads1x1x::Channel::SingleA0,
                ads1x1x::Channel::SingleA1,
                ads1x1x::Channel::SingleA2,
                ads1x1x::Channel::SingleA3,
            ];
            for (i, ch) in channels.into_iter().enumerate() {
                let u = adc.measure(ch, delay).map_err(ex)?;
                out.push(Quantity::Voltage, Some(&format!("ain{i}")), volts(u));
            }
            Ok(())
        }
        ChipKind::Ina219 => {
            let mut ina = ina219::Ina219::new(i2c, address);
            let shunt = ina.shunt_voltage().map_err(ex)?;
            let bus = ina.bus_voltage().map_err(ex)?;
            let v = volts(bus.voltage);
            let amps = volts(shunt) * 1e6 / f64::from(INA219_SHUNT_MICRO_OHM);
            out.push(Quantity::Voltage, Some("bus"), v);
            out.push(Quantity::Voltage, Some("shunt"), volts(shunt));
            out.push(Quantity::Current, None, amps);
            out.push(Quantity::Power, None, v * amps);
            Ok(())
        }
        ChipKind::Ds3231 => {
            let mut rtc = ds3231::Ds3231::new(i2c);
            let t = rtc.datetime().map_err(ex)?;
            let temp = rtc.temperature().map_err(ex)?;
            let stopped = rtc.oscillator_stopped().map_err(ex)?;
            out.push(Quantity::Time, None, rtc_seconds(&t));
            out.push(Quantity::Temperature, None, celsius(temp));
            out.pin("oscillator_stopped", stopped);
            Ok(())
        }
        ChipKind::Ds1307 | ChipKind::Ds1338 => {
            let variant = if kind == ChipKind::Ds1338 {
                ds1307::Variant::Ds1338
            } else {
                ds1307::Variant::Ds1307
            };
            let mut rtc = ds1307::Ds1307::new(i2c, variant);
            let t = rtc.datetime().map_err(ex)?;
            let running = rtc.is_running().map_err(ex)?;
            out.push(Quantity::Time, None, rtc_seconds(&t));
            out.pin("clock_halted", !running);
            if variant == ds1307::Variant::Ds1338 {
                let stopped = rtc.oscillator_stopped().map_err(ex)?;
                out.pin("oscillator_stopped", stopped);
            }
            let control = rtc.control().map_err(ex)?;
            out.raw("control", None, &[control]);
            Ok(())
        }
        ChipKind::Dps310 => {
            let mut d = dps310::Dps310::new(i2c, address);
            let product = d.product_id().map_err(ex)?;
            // PROD_ID (bits 3-0) is 0, REV_ID (bits 7-4) is not (0x10).
            if product & 0x0f != 0 || product >> 4 == 0 {
                return Err(ReadError::WrongChip(format!(
                    "DPS310: product ID register 0x0d reads {product:#04x}, not a DPS310's \
                     (0x10): another chip answers at {address:#04x}"
                )));
            }
            out.id = Some(format!(
                "product ID register 0x0d = {product:#04x}: a DPS310"
            ));
            d.read_calibration().map_err(ex)?;
            let m = d.measure(delay).map_err(ex)?;
            out.push(Quantity::Temperature, None, celsius(m.temperature));
            out.push(Quantity::Pressure, None, pascals(m.pressure));
            out.raw("product_id", None, &[product]);
            Ok(())
        }
        ChipKind::Pca9548 | ChipKind::Pca9546 => {
            let variant = if kind == ChipKind::Pca9546 {
                pca954x::Variant::Pca9546
            } else {
                pca954x::Variant::Pca9548
            };
            let c = pca954x::Pca954x::new(i2c, address, variant)
                .channels()
                .map_err(ex)?;
            for ch in 0..variant.channels() {
                out.pin(&format!("ch{ch}"), c & (1 << ch) != 0);
            }
            Ok(())
        }
        ChipKind::Mcp23017 => mcp23x17(mcp23017::Mcp23017::new(i2c, address), out),
        ChipKind::Pca9554 | ChipKind::Pca9535 => {
            let mut io = if kind == ChipKind::Pca9554 {
                pca95xx::Pca95xx::pca9554(i2c, address)
            } else {
                pca95xx::Pca95xx::pca9535(i2c, address)
            };
            let inputs = io.read_inputs().map_err(ex)?;
            let dirs = io.read_reg(3).map_err(ex)?;
            let pins = io.pins();
            for n in 0..pins {
                // The datasheets' names: IO0..IO7, or IO0_0..IO1_7 with two ports.
                let name = if pins == 8 {
                    format!("IO{n}")
                } else {
                    format!("IO{}_{}", n / 8, n % 8)
                };
                out.pin(&name, inputs & (1 << n) != 0);
            }
            out.raw(
                "configuration",
                None,
                &dirs.to_le_bytes()[..usize::from(pins / 8)],
            );
            Ok(())
        }
        ChipKind::Pca9685 => {
            let mut pwm = pca9685::Pca9685::new(i2c, address);
            let mode1 = pwm.mode1().map_err(ex)?;
            let prescale = pwm.prescale().map_err(ex)?;
            let hz = f64::from(PCA9685_OSCILLATOR_HZ) / (4096.0 * (f64::from(prescale) + 1.0));
            out.push(Quantity::Frequency, None, hz);
            // MODE1 bit 4, SLEEP: the oscillator is off, so are the outputs.
            out.pin("sleep", mode1 & 0x10 != 0);
            for ch in 0..16 {
                let (on, off) = pwm.channel(ch).map_err(ex)?;
                out.push(
                    Quantity::DutyCycle,
                    Some(&format!("ch{ch}")),
                    duty_percent(on, off),
                );
            }
            out.raw("mode1", None, &[mode1]);
            out.raw("prescale", None, &[prescale]);
            Ok(())
        }
        ChipKind::At24c32 | ChipKind::At24c02 => {
            let variant = if kind == ChipKind::At24c32 {
                at24::Variant::AT24C32
            } else {
                at24::Variant::AT24C02
            };
            let mut buf = [0u8; 32];
            at24::At24::new(i2c, address, variant)
                .read(0, &mut buf)
                .map_err(ex)?;
            out.raw("memory", Some(0), &buf);
            Ok(())
        }
        other => Err(ReadError::Failed(format!("{other} has no I2C interface"))),
    }
}

/// An SHTC3: woken, identified by its ID register (a command: another chip at 0x70
/// answers it wrong, or not with a valid CRC), measured, put back to sleep.
fn shtc3<I>(
    mut s: shtc3::Shtc3<I>,
    delay: &mut impl DelayNs,
    out: &mut Out<'_>,
) -> Result<(), ReadError>
where
    I: I2c,
    I::Error: Display + fmt::Debug,
{
    s.wakeup().map_err(ex)?;
    delay.delay_us(shtc3::WAKEUP_TIME_US);
    let who = s.read_id().map_err(|e| match e {
        shtc3::Error::WrongId(_) | shtc3::Error::Crc => {
            ReadError::WrongChip(format!("{e} (the ID register, command 0xefc8)"))
        }
        e => ex(e),
    })?;
    out.id = Some(format!("ID register {who:#06x}: an SHTC3"));
    let m = s.measure(shtc3::PowerMode::Normal, delay).map_err(ex)?;
    s.sleep().map_err(ex)?;
    sensirion(out, &m);
    Ok(())
}

/// The duty cycle in percent of a PCA9685 channel from its ON and OFF registers (full-on
/// and full-off bits included: bit 12 of ON / OFF; full-off wins, datasheet §7.3.3).
pub(crate) fn duty_percent(on: u16, off: u16) -> f64 {
    if off & 0x1000 != 0 {
        return 0.0;
    }
    if on & 0x1000 != 0 {
        return 100.0;
    }
    let (on, off) = (on & 0x0fff, off & 0x0fff);
    let high = (i32::from(off) - i32::from(on)).rem_euclid(4096);
    f64::from(high) * 100.0 / 4096.0
}

#[cfg(test)]
mod tests {
    use super::duty_percent;

    #[test]
    fn pca9685_duty() {
        assert_eq!(duty_percent(0, 0x1000), 0.0);
        assert_eq!(duty_percent(0x1000, 0x1000), 0.0, "full-off wins");
        assert_eq!(duty_percent(0x1000, 0), 100.0);
        assert_eq!(duty_percent(0, 2048), 50.0);
        assert_eq!(duty_percent(4000, 1024), (1024.0 + 96.0) * 100.0 / 4096.0);
    }
}
