//! How each SPI kind is read.

use std::error::Error;

use embedded_hal::delay::DelayNs;
use embedded_hal::spi::SpiDevice;
use udrv_drivers::kinds::ChipKind;
use udrv_drivers::{bme280, max31855, mcp23s17, mcp3x08, w25q};

use super::{failed, mcp23x17, Out, ReadError, MCP3X08_VREF_MICROVOLT};
use crate::catalog::quantity::Quantity;

/// Reads `kind` on `spi` into `out`; `hw` is the hardware address (A2..A0) of a chip
/// that shares its chip select that way (IOCON.HAEN set); `None`: address 0, which every
/// such chip answers at power-on.
pub(super) fn read<S>(
    kind: ChipKind,
    spi: S,
    hw: Option<u8>,
    delay: &mut impl DelayNs,
    out: &mut Out<'_>,
) -> Result<(), ReadError>
where
    S: SpiDevice,
    S::Error: Error + 'static,
{
    match kind {
        ChipKind::Bme280 => super::bme280(&mut bme280::Bme280::new_spi(spi), delay, out),
        ChipKind::Mcp3008 | ChipKind::Mcp3208 => {
            let variant = if kind == ChipKind::Mcp3008 {
                mcp3x08::Variant::Mcp3008
            } else {
                mcp3x08::Variant::Mcp3208
            };
            let mut adc = mcp3x08::Mcp3x08::new(spi, variant, MCP3X08_VREF_MICROVOLT);
            for ch in 0..8 {
                let v = adc
                    .read_voltage(mcp3x08::Input::Single(ch))
                    .map_err(failed)?;
                out.push(
                    Quantity::Voltage,
                    Some(&format!("ch{ch}")),
                    v.as_volts_f64(),
                );
            }
            Ok(())
        }
        ChipKind::Mcp23s17 => mcp23x17(
            match hw {
                None => mcp23s17::Mcp23s17::new(spi, 0),
                Some(a) => mcp23s17::Mcp23s17::new_with_hardware_address(spi, a),
            },
            out,
        ),
        ChipKind::W25q32 => {
            let mut f = w25q::W25q::new(spi);
            let jedec = f.jedec_id().map_err(failed)?;
            let bytes = [jedec.manufacturer, jedec.memory_type, jedec.capacity];
            // No manufacturer is 0x00 or 0xff: that is a line nothing drives, or a chip
            // that does not know the command.
            if matches!(jedec.manufacturer, 0x00 | 0xff) {
                return Err(ReadError::WrongChip(format!(
                    "W25Q: the JEDEC ID (command 0x9f) reads {:02x} {:02x} {:02x}: no SPI NOR \
                     flash answers on this chip select (check the device and the wiring)",
                    bytes[0], bytes[1], bytes[2]
                )));
            }
            out.id = Some(format!(
                "JEDEC ID {:02x} {:02x} {:02x}",
                bytes[0], bytes[1], bytes[2]
            ));
            let status = f.status().map_err(failed)?;
            let size = jedec.capacity_bytes();
            let mut f = w25q::W25q::with_capacity(f.release(), size.unwrap_or(16));
            let mut buf = [0u8; 16];
            f.read(0, &mut buf).map_err(failed)?;
            if let Some(s) = size {
                out.push(Quantity::DataSize, None, s as f64);
            }
            out.raw("jedec_id", None, &bytes);
            out.raw("status", None, &[status]);
            out.raw("memory", Some(0), &buf);
            Ok(())
        }
        ChipKind::Max31855 => match max31855::Max31855::new(spi).read() {
            Ok(r) => {
                out.push(
                    Quantity::Temperature,
                    Some("thermocouple"),
                    r.thermocouple.as_celsius_f64(),
                );
                out.push(
                    Quantity::Temperature,
                    Some("cold_junction"),
                    r.internal.as_celsius_f64(),
                );
                Ok(())
            }
            Err(max31855::Error::Fault(f, _)) => {
                let mut what = Vec::new();
                if f.open_circuit {
                    what.push("open circuit (no thermocouple connected)");
                }
                if f.short_to_gnd {
                    what.push("thermocouple shorted to GND");
                }
                if f.short_to_vcc {
                    what.push("thermocouple shorted to VCC");
                }
                Err(ReadError::Failed(format!(
                    "MAX31855 fault: {}",
                    what.join(", ")
                )))
            }
            Err(e) => Err(failed(e)),
        },
        other => Err(ReadError::Failed(format!("{other} has no SPI interface"))),
    }
}
