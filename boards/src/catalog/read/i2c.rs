//! How each I2C kind is read.

use std::error::Error;

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::I2c;
use udrv_drivers::kinds::ChipKind;
use udrv_drivers::{
    ads1x1x, at24, bh1750, bme280, dps310, ds1307, ds3231, ina219, lm75, mcp23017, pca954x,
    pca95xx, pca9685, sht3x, shtc3,
};

use super::{
    failed, mcp23x17, rtc_seconds, sensirion, Out, ReadError, INA219_SHUNT_MICRO_OHM,
    PCA9685_OSCILLATOR_HZ,
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
    I::Error: Error + 'static,
{
    match kind {
        ChipKind::Bme280 => super::bme280(&mut bme280::Bme280::new_i2c(i2c, address), delay, out),
        ChipKind::Sht3x => {
            let m = sht3x::Sht3x::new(i2c, address)
                .measure(sht3x::Repeatability::High, delay)
                .map_err(failed)?;
            sensirion(out, &m);
            Ok(())
        }
        // The only address is 0x70 (the driver knows it).
        ChipKind::Shtc3 => shtc3(shtc3::Shtc3::new(i2c), delay, out),
        ChipKind::Bh1750 => {
            let mut s = bh1750::Bh1750::new(i2c, address);
            s.power_on().map_err(failed)?;
            let lux = s
                .measure_one_time(bh1750::Resolution::High, delay)
                .map_err(failed)?;
            out.push(Quantity::Illuminance, None, lux.as_lux_f64());
            Ok(())
        }
        ChipKind::Lm75 => {
            let t = lm75::Lm75::new(i2c, address)
                .temperature()
                .map_err(failed)?;
            out.push(Quantity::Temperature, None, t.as_celsius_f64());
            Ok(())
        }
        ChipKind::Tmp102 => {
            let t = lm75::Tmp102::new(i2c, address)
                .temperature()
                .map_err(failed)?;
            out.push(Quantity::Temperature, None, t.as_celsius_f64());
            Ok(())
        }
        ChipKind::Ads1115 | ChipKind::Ads1015 => {
            let variant = if kind == ChipKind::Ads1115 {
                ads1x1x::Variant::Ads1115
            } else {
                ads1x1x::Variant::Ads1015
            };
            let mut adc = ads1x1x::Ads1x1x::new(i2c, address, variant);
            adc.set_full_scale(ads1x1x::FullScale::V4_096)
                .map_err(failed)?;
            let channels = [
                ads1x1x::Channel::SingleA0,
                ads1x1x::Channel::SingleA1,
                ads1x1x::Channel::SingleA2,
                ads1x1x::Channel::SingleA3,
            ];
            for (i, ch) in channels.into_iter().enumerate() {
                let u = adc.measure(ch, delay).map_err(failed)?;
                out.push(
                    Quantity::Voltage,
                    Some(&format!("ain{i}")),
                    u.as_volts_f64(),
                );
            }
            Ok(())
        }
        ChipKind::Ina219 => {
            let m = ina219::Ina219::new(i2c, address)
                .measure_with_shunt(INA219_SHUNT_MICRO_OHM)
                .map_err(failed)?;
            out.push(Quantity::Voltage, Some("bus"), m.bus.voltage.as_volts_f64());
            out.push(Quantity::Voltage, Some("shunt"), m.shunt.as_volts_f64());
            out.push(Quantity::Current, None, m.current.as_amps_f64());
            out.push(Quantity::Power, None, m.power.as_watts_f64());
            Ok(())
        }
        ChipKind::Ds3231 => {
            let mut rtc = ds3231::Ds3231::new(i2c);
            let t = rtc.datetime().map_err(failed)?;
            let temp = rtc.temperature().map_err(failed)?;
            let stopped = rtc.oscillator_stopped().map_err(failed)?;
            out.push(Quantity::Time, None, rtc_seconds(&t));
            out.push(Quantity::Temperature, None, temp.as_celsius_f64());
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
            let t = rtc.datetime().map_err(failed)?;
            let running = rtc.is_running().map_err(failed)?;
            out.push(Quantity::Time, None, rtc_seconds(&t));
            out.pin("clock_halted", !running);
            if variant == ds1307::Variant::Ds1338 {
                let stopped = rtc.oscillator_stopped().map_err(failed)?;
                out.pin("oscillator_stopped", stopped);
            }
            let control = rtc.control().map_err(failed)?;
            out.raw("control", None, &[control]);
            Ok(())
        }
        ChipKind::Dps310 => {
            let mut d = dps310::Dps310::new(i2c, address);
            let product = d.product_id().map_err(failed)?;
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
            d.read_calibration().map_err(failed)?;
            let m = d.measure(delay).map_err(failed)?;
            out.push(Quantity::Temperature, None, m.temperature.as_celsius_f64());
            out.push(Quantity::Pressure, None, m.pressure.as_pascal_f64());
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
                .map_err(failed)?;
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
            let inputs = io.inputs().map_err(failed)?;
            let dirs = io.directions().map_err(failed)?;
            // The datasheets' names: IO0..IO7, or IO0_0..IO1_7 with two ports.
            for (pin, high) in inputs.iter() {
                out.pin(&pin.to_string(), high);
            }
            out.raw(
                "configuration",
                None,
                &dirs.bits().to_le_bytes()[..usize::from(dirs.pins() / 8)],
            );
            Ok(())
        }
        ChipKind::Pca9685 => {
            let mut pwm =
                pca9685::Pca9685::new(i2c, address).with_oscillator(PCA9685_OSCILLATOR_HZ);
            let mode1 = pwm.mode1().map_err(failed)?;
            let frequency = pwm.frequency().map_err(failed)?;
            out.push(Quantity::Frequency, None, frequency.as_hz_f64());
            // SLEEP: the oscillator is off, so are the outputs.
            out.pin("sleep", pca9685::Mode1(mode1).sleep());
            for ch in 0..16 {
                let duty = pwm.duty(ch).map_err(failed)?;
                out.push(
                    Quantity::DutyCycle,
                    Some(&format!("ch{ch}")),
                    duty.as_percent_f64(),
                );
            }
            out.raw("mode1", None, &[mode1]);
            out.raw("prescale", None, &[frequency.prescale]);
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
                .map_err(failed)?;
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
    I::Error: Error + 'static,
{
    s.wakeup().map_err(failed)?;
    delay.delay_us(shtc3::WAKEUP_TIME_US);
    let who = s.read_id().map_err(|e| match e {
        shtc3::Error::WrongId(_) | shtc3::Error::Crc => {
            ReadError::WrongChip(format!("{e} (the ID register, command 0xefc8)"))
        }
        e => failed(e),
    })?;
    out.id = Some(format!("ID register {who:#06x}: an SHTC3"));
    let m = s.measure(shtc3::PowerMode::Normal, delay).map_err(failed)?;
    s.sleep().map_err(failed)?;
    sensirion(out, &m);
    Ok(())
}
