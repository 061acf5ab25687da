//! MAX31855: the datasheet's data format tables, byte-exact mock tests, and the driver
//! against the model (range, negatives, faults).

mod common;
use common::block_on;
use embedded_hal_mock::eh1::spi::{Mock, Transaction as S};
use udrv_drivers::max31855::*;

fn word(tc14: u32, fault: bool, int12: u32, faults: u32) -> u32 {
    (tc14 & 0x3FFF) << 18 | (fault as u32) << 16 | (int12 & 0xFFF) << 4 | faults
}

#[test]
fn datasheet_tables() {
    // Table 3, thermocouple temperature data format (14 bits, D31..D18).
    let tc: [(u32, i32); 8] = [
        (0b01_1001_0000_0000, 1_600_000),
        (0b00_1111_1010_0000, 1_000_000),
        (0b00_0001_1001_0011, 100_750),
        (0b00_0000_0110_0100, 25_000),
        (0, 0),
        (0b11_1111_1111_1111, -250),
        (0b11_1111_1111_1100, -1_000),
        (0b11_1100_0001_1000, -250_000),
    ];
    for (bits, milli) in tc {
        assert_eq!(
            decode_thermocouple(word(bits, false, 0, 0)).as_millicelsius(),
            milli
        );
    }
    // Table 4, internal temperature data format (12 bits, D15..D4).
    let int: [(u32, i32); 8] = [
        (0b0111_1111_0000, 127_000),
        (0b0110_0100_1001, 100_563), // 100.5625 °C, rounded to the m°C
        (0b0001_1001_0000, 25_000),
        (0, 0),
        (0b1111_1111_1111, -63), // -0.0625 °C
        (0b1111_1111_0000, -1_000),
        (0b1110_1100_0000, -20_000),
        (0b1100_1001_0000, -55_000),
    ];
    for (bits, milli) in int {
        assert_eq!(
            decode_internal(word(0, false, bits, 0)).as_millicelsius(),
            milli
        );
    }
}

#[test]
fn mock_bytes_and_faults() {
    let ok = word(0x0064, false, 0x190, 0).to_be_bytes().to_vec();
    let open = word(0, true, 0xEC0, 0b001).to_be_bytes().to_vec();
    let scv = word(0, true, 0x190, 0b100).to_be_bytes().to_vec();
    let ex = [
        S::transaction_start(),
        S::read_vec(ok.clone()),
        S::transaction_end(),
        S::transaction_start(),
        S::read_vec(open),
        S::transaction_end(),
        S::transaction_start(),
        S::read_vec(scv),
        S::transaction_end(),
        S::transaction_start(),
        S::read_vec(ok[..2].to_vec()),
        S::transaction_end(),
    ];
    let mut spi = Mock::new(&ex);
    let mut tc = Max31855::new(spi.clone());
    let r = tc.read().unwrap();
    assert_eq!((r.thermocouple.0, r.internal.0), (25_000, 25_000));
    let open = Faults {
        open_circuit: true,
        ..Default::default()
    };
    assert_eq!(
        tc.read(),
        Err(Error::Fault(open, udrv_drivers::Temperature(-20_000)))
    );
    let scv = Faults {
        short_to_vcc: true,
        ..Default::default()
    };
    assert!(matches!(block_on(tc.read_async()), Err(Error::Fault(f, _)) if f == scv));
    assert_eq!(tc.thermocouple().unwrap().0, 25_000);
    spi.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use udrv_drivers::max31855::model::Max31855Model;
    use udrv_drivers::sim::SimSpiDevice;
    use udrv_drivers::Temperature;

    #[test]
    fn range_and_faults_against_model() {
        let (spi, chip) = SimSpiDevice::new(Max31855Model::new());
        let mut tc = Max31855::new(spi.clone());
        // Type K range -270..1372 °C in 0.25 °C steps (every 1.25 °C here); the cold
        // junction -55..125 °C in 0.0625 °C steps.
        for (i, q) in (-1080..=5488).step_by(5).enumerate() {
            let cj16 = -880 + (i as i32 * 7) % 2880;
            chip.lock().set_thermocouple(Temperature(q * 250));
            chip.lock()
                .set_internal(Temperature((cj16 * 625 + 9).div_euclid(10)));
            let r = tc.read().unwrap();
            assert_eq!(r.thermocouple.as_millicelsius(), q * 250);
            let want = if cj16 >= 0 {
                (cj16 * 625 + 5) / 10
            } else {
                (cj16 * 625 - 5) / 10
            };
            assert_eq!(r.internal.as_millicelsius(), want, "{cj16}");
        }
        chip.lock().set_internal(Temperature(21_000));
        for (oc, scg, scv) in [
            (true, false, false),
            (false, true, false),
            (false, false, true),
        ] {
            chip.lock().set_faults(oc, scg, scv);
            let want = Faults {
                open_circuit: oc,
                short_to_gnd: scg,
                short_to_vcc: scv,
            };
            assert_eq!(
                block_on(tc.read_async()),
                Err(Error::Fault(want, Temperature(21_000)))
            );
            assert!(matches!(tc.thermocouple(), Err(Error::Fault(..))));
        }
        chip.lock().set_faults(false, false, false);
        chip.lock().set_thermocouple(Temperature(-123_250));
        assert_eq!(tc.thermocouple().unwrap().0, -123_250);
        let n = chip.lock().reads();
        spi.fail_next();
        assert!(matches!(tc.read(), Err(Error::Bus(_))));
        assert_eq!(
            chip.lock().reads(),
            n,
            "a failed transfer never reached the chip"
        );
    }
}
