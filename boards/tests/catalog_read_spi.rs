//! The catalog's reading of every SPI chip kind against the kind's simulated model (the
//! I2C ones: `catalog_read.rs`), and reads of a spec on the bus it does not name.

mod catalog_helpers;

use std::time::{SystemTime, UNIX_EPOCH};

use catalog_helpers::*;
use udrv_boards::catalog::{self, ChipSpec, Quantity, ReadError, Sequence};
use udrv_drivers::sim::SimI2cBus;
use udrv_drivers::{Temperature, Voltage};

#[test]
fn mcp23s17() {
    use udrv_drivers::mcp23s17::model::Mcp23s17Model;
    let mut m = Mcp23s17Model::new(0);
    m.set_input(15, Some(true));
    mcp_pins(&spi("mcp23s17@spidev1.2", m), &["B7"]);
}

fn adc(spec: &str, mut m: udrv_drivers::mcp3x08::model::Mcp3x08Model) {
    m.set_input(2, Voltage(1_650_000));
    let r = spi(spec, m);
    let want: Vec<String> = (0..8).map(|c| format!("voltage#ch{c} V")).collect();
    assert_eq!(shape(&r), want);
    near(value(&r, Quantity::Voltage, Some("ch2")), 1.65, 0.0033);
    assert_eq!(value(&r, Quantity::Voltage, Some("ch0")), 0.0);
}

#[test]
fn mcp3008() {
    use udrv_drivers::mcp3x08::model::Mcp3x08Model;
    adc("mcp3008@spidev0.0", Mcp3x08Model::mcp3008(3_300_000));
}

#[test]
fn mcp3208() {
    use udrv_drivers::mcp3x08::model::Mcp3x08Model;
    adc("mcp3208@0.1", Mcp3x08Model::mcp3208(3_300_000));
}

#[test]
fn w25q32() {
    let mut m = udrv_drivers::w25q::model::W25qModel::w25q32();
    m.load(0, b"abc");
    let r = spi("w25q32@spidev1.1", m);
    assert_eq!(shape(&r), ["data_size B"]);
    assert_eq!(value(&r, Quantity::DataSize, None), 4_194_304.0);
    assert_eq!(r.raw("jedec_id").unwrap().bytes, [0xef, 0x40, 0x16]);
    assert_eq!(&r.raw("memory").unwrap().bytes[..3], b"abc");
    assert!(r.identity.is_identified());
}

#[test]
fn max31855() {
    let mut m = udrv_drivers::max31855::model::Max31855Model::new();
    m.set_thermocouple(Temperature(180_250));
    m.set_internal(Temperature(25_125));
    let r = spi("max31855@spidev0.1", m);
    assert_eq!(
        shape(&r),
        [
            "temperature#thermocouple °C",
            "temperature#cold_junction °C"
        ]
    );
    assert_eq!(
        value(&r, Quantity::Temperature, Some("thermocouple")),
        180.25
    );
    assert_eq!(
        value(&r, Quantity::Temperature, Some("cold_junction")),
        25.125
    );
}

#[test]
fn a_spec_is_read_on_its_own_bus_and_sequences_go_on() {
    let spec: ChipSpec = "mcp3008@spidev0.0".parse().unwrap();
    let e = catalog::read_i2c(
        &spec,
        SimI2cBus::new(),
        &mut NoDelay,
        &mut Sequence::new(),
        SystemTime::now(),
    );
    assert!(matches!(e, Err(ReadError::WrongBus(_))), "{e:?}");
    // Two reads with one sequence: the second's numbers follow the first's.
    let bus = SimI2cBus::new();
    bus.attach(0x48, udrv_drivers::lm75::model::Lm75Model::lm75());
    let spec: ChipSpec = "lm75@i2c-1".parse().unwrap();
    let mut seq = Sequence::new();
    for first in [1, 2] {
        let r =
            catalog::read_i2c(&spec, bus.clone(), &mut NoDelay, &mut seq, UNIX_EPOCH + AT).unwrap();
        stamped(&spec, &r, first);
    }
    // Nothing at the address: the bus's error, one line.
    let e =
        catalog::read_i2c(&spec, SimI2cBus::new(), &mut NoDelay, &mut seq, UNIX_EPOCH).unwrap_err();
    assert!(matches!(e, ReadError::Failed(_)) && !e.to_string().contains('\n'));
}
