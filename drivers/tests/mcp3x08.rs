//! MCP3008 / MCP3208: command framing (datasheet §6.1 figures 6-1/6-2 and tables 5-1/5-2),
//! byte-exact mock tests, and the driver against the bit-level model.

mod common;
use common::block_on;
use embedded_hal_mock::eh1::spi::{Mock, Transaction as S};
use udrv_drivers::mcp3x08::*;

#[test]
fn framing_tables() {
    // MCP3008: 0000 0001 | SGL D2 D1 D0 xxxx | xxxx xxxx; result in the last 10 bits.
    assert_eq!(
        command(Variant::Mcp3008, Input::Single(0)),
        Some([0x01, 0x80, 0x00])
    );
    assert_eq!(
        command(Variant::Mcp3008, Input::Single(7)),
        Some([0x01, 0xF0, 0x00])
    );
    // Table 5-2: differential CH2 = IN+, CH3 = IN- is D2..D0 = 010; CH3+/CH2- is 011.
    assert_eq!(
        command(Variant::Mcp3008, Input::Diff { plus: 2, minus: 3 }),
        Some([0x01, 0x20, 0x00])
    );
    assert_eq!(
        command(Variant::Mcp3008, Input::Diff { plus: 3, minus: 2 }),
        Some([0x01, 0x30, 0x00])
    );
    // MCP3208: 0000 01 SGL D2 | D1 D0 xx xxxx | xxxx xxxx; result in the last 12 bits.
    assert_eq!(
        command(Variant::Mcp3208, Input::Single(5)),
        Some([0x07, 0x40, 0x00])
    );
    assert_eq!(
        command(Variant::Mcp3208, Input::Diff { plus: 6, minus: 7 }),
        Some([0x05, 0x80, 0x00])
    );
    assert_eq!(command(Variant::Mcp3008, Input::Single(8)), None);
    assert_eq!(
        command(Variant::Mcp3008, Input::Diff { plus: 1, minus: 2 }),
        None
    );
    assert_eq!(result(Variant::Mcp3008, &[0xFF, 0xFE, 0x34]), 0x234);
    assert_eq!(result(Variant::Mcp3208, &[0xFF, 0xE7, 0x89]), 0x789);
}

#[test]
fn mock_bytes() {
    let ex = [
        S::transaction_start(),
        S::transfer_in_place(vec![0x01, 0x90, 0x00], vec![0x00, 0x03, 0xFF]),
        S::transaction_end(),
        S::transaction_start(),
        S::transfer_in_place(vec![0x06, 0x40, 0x00], vec![0x00, 0x08, 0x00]),
        S::transaction_end(),
    ];
    let mut spi = Mock::new(&ex);
    let mut adc = Mcp3x08::new(spi.clone(), Variant::Mcp3008, 3_300_000);
    assert_eq!(adc.read_raw(Input::Single(1)).unwrap(), 1023);
    let mut adc = Mcp3x08::new(adc.release(), Variant::Mcp3208, 4_096_000);
    // 2048 of 4096 at 4.096 V = 2.048 V
    assert_eq!(
        block_on(adc.read_voltage_async(Input::Single(1)))
            .unwrap()
            .0,
        2_048_000
    );
    assert_eq!(adc.read_raw(Input::Single(9)), Err(Error::InvalidInput));
    spi.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::spi::SpiDevice;
    use udrv_drivers::mcp3x08::model::Mcp3x08Model;
    use udrv_drivers::sim::SimSpiDevice;
    use udrv_drivers::Voltage;

    #[test]
    fn every_channel_and_pair_across_range() {
        for (variant, bits) in [(Variant::Mcp3008, 10u32), (Variant::Mcp3208, 12)] {
            let vref = 3_300_000u32;
            let model = match variant {
                Variant::Mcp3008 => Mcp3x08Model::mcp3008(vref),
                Variant::Mcp3208 => Mcp3x08Model::mcp3208(vref),
            };
            let (spi, chip) = SimSpiDevice::new(model);
            let mut adc = Mcp3x08::new(spi, variant, vref);
            let full = 1u32 << bits;
            for step in 0..=40u32 {
                // Channels 10 mV apart, the higher ones going below AGND at the bottom.
                let base = (step * vref / 40) as i32;
                let volts = |ch: u8| base - ch as i32 * 10_000;
                for ch in 0..8 {
                    chip.lock().set_input(ch as usize, Voltage(volts(ch)));
                }
                for ch in 0..8u8 {
                    let v = volts(ch).clamp(0, vref as i32) as u64;
                    // Datasheet eq. 4-1: code = 2^bits × VIN / VREF, saturating.
                    let want = (v * full as u64 / vref as u64).min(full as u64 - 1) as u16;
                    assert_eq!(
                        adc.read_raw(Input::Single(ch)).unwrap(),
                        want,
                        "{variant:?} ch{ch} {v}"
                    );
                }
                let diff = (10_000 * full as u64 / vref as u64) as u16;
                for pair in 0..4u8 {
                    let (a, b) = (2 * pair, 2 * pair + 1);
                    // CH(a) is 10 mV above CH(b): +diff reads 10 mV, the reverse reads 0.
                    let pos = adc.read_raw(Input::Diff { plus: a, minus: b }).unwrap();
                    let neg =
                        block_on(adc.read_raw_async(Input::Diff { plus: b, minus: a })).unwrap();
                    assert_eq!(pos, diff, "{variant:?} CH{a}-CH{b}");
                    assert_eq!(neg, 0, "pseudo-differential: IN+ below IN- gives 0");
                }
            }
        }
    }

    #[test]
    fn voltage_and_lsb_first_tail() {
        let (mut spi, chip) = SimSpiDevice::new(Mcp3x08Model::mcp3008(5_000_000));
        chip.lock().set_input(4, Voltage(2_500_000));
        let mut adc = Mcp3x08::new(spi.clone(), Variant::Mcp3008, 5_000_000);
        assert_eq!(adc.read_raw(Input::Single(4)).unwrap(), 512);
        assert_eq!(adc.read_voltage(Input::Single(4)).unwrap().0, 2_500_000);
        // Clocking on after B0 yields the result again LSB first (figure 6-1).
        let mut buf = [0x01, 0xC0, 0x00, 0x00, 0x00];
        spi.transfer_in_place(&mut buf).unwrap();
        let msb_first = u16::from(buf[1] & 3) << 8 | u16::from(buf[2]);
        assert_eq!(msb_first, 512);
        // After B0 come B1..B9: 512 = 10_0000_0000b, so the tail is 0 0000 0001 then 0s.
        let tail = u32::from_be_bytes([0, 0, buf[3], buf[4]]);
        assert_eq!(tail >> 7, 0b0_0000_0001);
        assert_eq!(chip.lock().conversions(), 3);
    }
}
