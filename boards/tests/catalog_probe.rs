//! `udrv probe`'s identification (`udrv_boards::catalog::probe`) on simulated buses:
//! chips told apart, guesses for chips that answer only commands, nothing written, a
//! PCA9685's call addresses named as the chip. (These were `cli/src/probe.rs`'s unit
//! tests, moved with the logic; assertions unchanged.)

use embedded_hal::i2c::I2c;
use udrv_boards::catalog::probe::{identify, probe_bus as probe, Found};
use udrv_drivers::ina219::{self, Ina219};
use udrv_drivers::lm75::model::{Lm75Model, Tmp102Model};
use udrv_drivers::sim::SimI2cBus;

fn all(bus: &mut SimI2cBus) -> Vec<Found> {
    probe(bus, 0x08..=0x77, |_| None)
}

#[test]
fn tmp102_and_lm75_are_told_apart() {
    let mut bus = SimI2cBus::new();
    bus.attach(0x49, Tmp102Model::new());
    bus.attach(0x4c, Lm75Model::lm75());
    let f = all(&mut bus);
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].address, f[0].chip.as_str()), (0x49, "tmp102"));
    assert!(f[0].evidence.contains("R1 R0 = 11"), "{:?}", f[0]);
    assert_eq!((f[1].address, f[1].chip.as_str()), (0x4c, "lm75"));
}

#[test]
fn a_configured_ina219_is_still_recognised() {
    let mut bus = SimI2cBus::new();
    bus.attach(0x45, udrv_drivers::ina219::model::Ina219Model::new());
    let mut ina = Ina219::new(bus.clone(), 0x45);
    ina.set_config(ina219::Config {
        bus_range: ina219::BusRange::V16,
        ..Default::default()
    })
    .unwrap();
    let f = identify(&mut bus, 0x45);
    assert_eq!(f.chip, "ina219", "{f:?}");
    assert!(f.evidence.contains("less certain"), "{f:?}");
}

#[test]
fn kernel_drivers_are_skipped_and_silence_is_nothing() {
    let mut bus = SimI2cBus::new();
    bus.attach(0x4c, Lm75Model::lm75());
    let f = probe(&mut bus, 0x08..=0x77, |a| {
        (a == 0x4c).then(|| "lm75".to_string())
    });
    assert_eq!(f.len(), 1);
    assert!(f[0].evidence.contains("`lm75`") && !f[0].known, "{f:?}");
    assert!(all(&mut SimI2cBus::new()).is_empty());
}

/// A chip that acknowledges everything and reads 0x00 (like the i2c-parport adapter with
/// nothing on it) is not taken for any chip.
struct Zeros;
impl udrv_drivers::sim::I2cTarget for Zeros {
    fn write(&mut self, _: &[u8]) -> Result<(), udrv_drivers::sim::SimError> {
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<(), udrv_drivers::sim::SimError> {
        buf.fill(0);
        Ok(())
    }
}

#[test]
fn command_chips_are_listed_and_sent_no_command() {
    use udrv_drivers::bh1750::model::Bh1750Model;
    use udrv_drivers::shtc3::model::Shtc3Model;
    let mut bus = SimI2cBus::new();
    let low = bus.attach(0x23, Bh1750Model::new());
    let high = bus.attach(0x5c, Bh1750Model::new());
    let sht = bus.attach(0x70, Shtc3Model::new());
    let f = all(&mut bus);
    let guesses: Vec<(u8, &str)> = f.iter().map(|f| (f.address, f.chip.as_str())).collect();
    assert_eq!(
        guesses,
        [(0x23, "(bh1750?)"), (0x5c, "(bh1750?)"), (0x70, "(shtc3?)")]
    );
    assert!(f.iter().all(|f| !f.known), "{f:?}");
    assert!(f[0].evidence.contains("mcp23017, pca9554, bh1750"), "{f:?}");
    assert!(f[1].evidence.contains("pca9685, bh1750"), "{f:?}");
    assert!(f[2].evidence.contains("udrv read shtc3@BUS"), "{f:?}");
    // Any byte written to a BH1750 is a command (0x00 power down, 0x01 power on, 0x07
    // reset, 0x4x/0x6x MTreg), two to an SHTC3 too: none was sent.
    for m in [&low, &high] {
        let m = m.lock();
        assert!(m.is_powered_down(), "power-on state kept");
        assert_eq!((m.measurements(), m.mtreg()), (0, 69));
    }
    assert_eq!(sht.lock().measurements(), (0, 0));
    assert!(!sht.lock().is_asleep());
}

#[test]
fn pca9685_call_addresses_are_named_as_the_chip() {
    use udrv_drivers::pca9685::model::Pca9685Model;
    let mut bus = SimI2cBus::new();
    let m = Pca9685Model::new(0x40).attach(&bus);
    // Power-on: all-call at 0x70 on; turn sub-call 1 (SUBADR1 0x71) on too.
    I2c::write(&mut bus, 0x40u8, &[0x00, 0x19]).unwrap();
    assert_eq!(m.lock().register(0x00), 0x19);
    let f = all(&mut bus);
    let at = |a: u8| f.iter().find(|f| f.address == a).unwrap();
    assert_eq!(f.len(), 3, "{f:?}");
    assert_eq!((at(0x40).chip.as_str(), at(0x40).known), ("pca9685", true));
    let all_call = at(0x70);
    assert_eq!(all_call.chip, "(pca9685 all-call)", "{all_call:?}");
    assert!(!all_call.known);
    assert!(
        all_call.evidence.contains("0x40") && all_call.evidence.contains("ALLCALLADR 0x05 = 0xe0"),
        "{all_call:?}"
    );
    let sub = at(0x71);
    assert_eq!(sub.chip, "(pca9685 sub-call)", "{sub:?}");
    assert!(sub.evidence.contains("SUBADR1 0x02 = 0xe2"), "{sub:?}");
}

#[test]
fn all_zero_registers_match_nothing() {
    let mut bus = SimI2cBus::new();
    for a in [0x20, 0x40, 0x44, 0x48, 0x68, 0x76] {
        bus.attach(a, Zeros);
    }
    for f in all(&mut bus) {
        assert!(!f.known, "{f:?}");
    }
    let f = identify(&mut bus, 0x48);
    assert!(f.evidence.contains("lm75, tmp102"), "{f:?}");
}
