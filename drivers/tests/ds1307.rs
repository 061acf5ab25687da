//! DS1307 / DS1338: datasheet register formats (table 2 "Timekeeper Registers", BCD,
//! 12/24-hour, CH; table 3 square-wave rates; control register), byte-exact mock tests
//! (blocking and async, errors), and the driver against the model: dates across the range,
//! rollovers, clock halt, RAM and its pointer wrap, OSF on the DS1338 only.

mod common;
use common::{block_on, dt, rtc_time_transactions, RTC_ADDR as ADDR, SECONDS};
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::ds1307::*;

// Register map again (DS1307 table 2; the address and SECONDS in `common`).
const CONTROL: u8 = 0x07;
const RAM0: u8 = 0x08;

#[test]
fn register_formats_of_table_2() {
    // 00h: CH | 10 seconds (bits 6:4) | seconds; 01h: 10 minutes | minutes; 02h: 12/24
    // (bit 6), PM or 20 hours (bit 5), 10 hours (bit 4), hours; 03h: day 1..7; 04h: 10 date
    // | date; 05h: 10 month | month; 06h: 10 year | year.
    assert_eq!(
        encode_datetime(&dt(2026, 11, 22, 7, 23, 45, 59)),
        Some([0x59, 0x45, 0x23, 0x07, 0x22, 0x11, 0x26])
    );
    assert_eq!(
        encode_datetime(&dt(2000, 1, 1, 1, 0, 0, 0)),
        Some([0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00])
    );
    // No century: 2100 and later cannot be stored.
    assert_eq!(encode_datetime(&dt(2100, 1, 1, 1, 0, 0, 0)), None);
    // CH (bit 7 of 00h) is not part of the seconds.
    assert_eq!(
        decode_datetime(&[0x80 | 0x30, 0x15, 0x08, 0x03, 0x29, 0x02, 0x28]),
        Some(dt(2028, 2, 29, 3, 8, 15, 30))
    );
    // 12-hour mode: 0x52 = 12 AM (00 h), 0x72 = 12 PM, 0x71 = 11 PM.
    for (h, want) in [(0x52u8, 0u8), (0x72, 12), (0x71, 23), (0x41, 1), (0x69, 21)] {
        let t = decode_datetime(&[0, 0, h, 1, 1, 1, 0]).unwrap();
        assert_eq!(t.hour, want, "hours register {h:#04x}");
    }
    // Not BCD, or not a date.
    assert_eq!(decode_datetime(&[0x5A, 0, 0, 1, 1, 1, 0]), None);
    assert_eq!(decode_datetime(&[0, 0, 0, 1, 0x31, 0x04, 0x26]), None);
    assert_eq!(decode_datetime(&[0, 0, 0x24, 1, 1, 1, 0]), None);
}

#[test]
fn mock_bytes_blocking_and_async() {
    let ex: Vec<T> = rtc_time_transactions()
        .into_iter()
        .chain([
            T::write_read(ADDR, vec![SECONDS], vec![0x80]),
            T::write_read(ADDR, vec![SECONDS], vec![0x80 | 0x42]),
            T::write(ADDR, vec![SECONDS, 0x42]),
            T::write_read(ADDR, vec![SECONDS], vec![0x17]),
            T::write(ADDR, vec![SECONDS, 0x97]),
            // table 3: SQWE (bit 4) with RS1:RS0 = 00 1 Hz .. 11 32.768 kHz; OSF kept (DS1338)
            T::write(ADDR, vec![CONTROL, 0x10 | 0x20]),
            T::write(ADDR, vec![CONTROL, 0x13 | 0x20]),
            T::write(ADDR, vec![CONTROL, 0x80 | 0x20]),
            T::write(ADDR, vec![CONTROL, 0x20]),
            T::write_read(ADDR, vec![CONTROL], vec![0xB3]),
            T::write_read(ADDR, vec![CONTROL], vec![0xB3]),
            T::write(ADDR, vec![CONTROL, 0x93]),
            T::write(ADDR, vec![RAM0 + 50, 1, 2, 3, 4, 5, 6]),
            T::write_read(ADDR, vec![RAM0], vec![9, 8]),
            T::write_read(ADDR, vec![CONTROL], vec![0]).with_error(ErrorKind::Other),
        ])
        .collect();
    let mut m = Mock::new(&ex);
    let mut rtc = Ds1307::new(m.clone(), Variant::Ds1338);
    // 11:59:59 PM in 12-hour mode, day 7, 31 Dec 2099
    assert_eq!(rtc.datetime().unwrap(), dt(2099, 12, 31, 7, 23, 59, 59));
    block_on(rtc.set_datetime_async(&dt(2026, 11, 22, 1, 7, 30, 0))).unwrap();
    assert!(!rtc.is_running().unwrap());
    block_on(rtc.set_running_async(true)).unwrap();
    rtc.set_running(false).unwrap();
    rtc.set_square_wave(SquareWave::Hz1).unwrap();
    block_on(rtc.set_square_wave_async(SquareWave::Hz32768)).unwrap();
    rtc.set_output_level(true).unwrap();
    rtc.set_output_level(false).unwrap();
    assert!(rtc.oscillator_stopped().unwrap());
    rtc.clear_oscillator_stopped().unwrap();
    rtc.write_ram(50, &[1, 2, 3, 4, 5, 6]).unwrap();
    let mut two = [0; 2];
    block_on(rtc.read_ram_async(0, &mut two)).unwrap();
    assert_eq!(two, [9, 8]);
    assert_eq!(rtc.control(), Err(Error::Bus(ErrorKind::Other)));
    // Rejected before the bus.
    assert_eq!(rtc.write_ram(51, &[0; 6]), Err(Error::OutOfRange));
    assert_eq!(rtc.read_ram(56, &mut [0]), Err(Error::OutOfRange));
    assert_eq!(
        rtc.set_datetime(&dt(2100, 1, 1, 5, 0, 0, 0)),
        Err(Error::InvalidInput)
    );
    m.done();

    // The DS1307 has no OSF: nothing is sent for it, and control writes keep bit 5 at 0.
    let ex = [T::write(ADDR, vec![CONTROL, 0x12])];
    let mut m = Mock::new(&ex);
    let mut rtc = Ds1307::new(m.clone(), Variant::Ds1307);
    assert_eq!(rtc.oscillator_stopped(), Err(Error::Unsupported));
    assert_eq!(rtc.clear_oscillator_stopped(), Err(Error::Unsupported));
    rtc.set_square_wave(SquareWave::Hz8192).unwrap();
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use udrv_drivers::ds1307::model::Ds1307Model;
    use udrv_drivers::sim::SimI2cBus;

    fn setup(model: Ds1307Model) -> (SimI2cBus, udrv_drivers::sim::SimHandle<Ds1307Model>) {
        let (bus, h) = common::sim_bus(ADDR, model);
        (bus, h)
    }

    #[test]
    fn power_up_is_halted_at_2000_01_01_and_setting_the_time_starts_it() {
        let (bus, h) = setup(Ds1307Model::ds1307());
        let mut rtc = Ds1307::new(bus, Variant::Ds1307);
        assert!(!rtc.is_running().unwrap());
        assert_eq!(rtc.datetime().unwrap(), dt(2000, 1, 1, 1, 0, 0, 0));
        h.lock().advance(10);
        assert_eq!(rtc.datetime().unwrap().second, 0, "halted: CH = 1");
        rtc.set_datetime(&dt(2024, 2, 28, 3, 23, 59, 58)).unwrap();
        assert!(rtc.is_running().unwrap());
        h.lock().advance(3);
        assert_eq!(rtc.datetime().unwrap(), dt(2024, 2, 29, 4, 0, 0, 1));
        rtc.set_running(false).unwrap();
        h.lock().advance(100);
        assert_eq!(rtc.datetime().unwrap(), dt(2024, 2, 29, 4, 0, 0, 1));
        rtc.set_running(true).unwrap();
        h.lock().advance(59);
        assert_eq!(rtc.datetime().unwrap(), dt(2024, 2, 29, 4, 0, 1, 0));
    }

    #[test]
    fn every_month_end_rolls_over_like_the_calendar() {
        let (bus, h) = setup(Ds1307Model::ds1338());
        let mut rtc = Ds1307::new(bus, Variant::Ds1338);
        for year in [2000u16, 2023, 2024, 2099] {
            for month in 1..=12u8 {
                let last = udrv_drivers::ds3231::days_in_month(year, month);
                rtc.set_datetime(&dt(year, month, last, 7, 23, 59, 59))
                    .unwrap();
                h.lock().advance(1);
                let next = rtc.datetime().unwrap();
                let (ny, nm) = if month == 12 {
                    (if year == 2099 { 2000 } else { year + 1 }, 1)
                } else {
                    (year, month + 1)
                };
                assert_eq!(
                    next,
                    dt(ny, nm, 1, 1, 0, 0, 0),
                    "after {year}-{month}-{last}"
                );
            }
        }
    }

    #[test]
    fn driver_and_model_agree_over_the_whole_range() {
        let (bus, _h) = setup(Ds1307Model::ds1307());
        let mut rtc = Ds1307::new(bus, Variant::Ds1307);
        let mut n = 0;
        for year in (2000u16..=2099).step_by(7) {
            for month in 1..=12u8 {
                let day = ((year % 100) as u8 + month)
                    % udrv_drivers::ds3231::days_in_month(year, month)
                    + 1;
                let h = ((year % 100) as u8 + 3 * month) % 24;
                let t = dt(
                    year,
                    month,
                    day,
                    month % 7 + 1,
                    h,
                    (day * 2) % 60,
                    (month * 5) % 60,
                );
                rtc.set_datetime(&t).unwrap();
                assert_eq!(rtc.datetime().unwrap(), t);
                n += 1;
            }
        }
        assert!(n > 150);
    }

    #[test]
    fn twelve_hour_mode_keeps_counting_in_12_hour_mode() {
        let (mut bus, h) = setup(Ds1307Model::ds1307());
        // 11:59:59 PM, written directly (the driver writes 24-hour mode)
        bus.write(ADDR, &[SECONDS, 0x59, 0x59, 0x71, 0x01, 0x31, 0x12, 0x26])
            .unwrap();
        h.lock().advance(1);
        // midnight is 12 AM: 0x52
        assert_eq!(h.lock().register(2), 0x52);
        let mut rtc = Ds1307::new(bus, Variant::Ds1307);
        assert_eq!(rtc.datetime().unwrap(), dt(2027, 1, 1, 2, 0, 0, 0));
        h.lock().advance(12 * 3600);
        assert_eq!(h.lock().register(2), 0x72, "12 PM");
        assert_eq!(rtc.datetime().unwrap().hour, 12);
    }

    #[test]
    fn ram_holds_56_bytes_and_the_pointer_wraps_from_3f_to_00() {
        let (mut bus, h) = setup(Ds1307Model::ds1307());
        let mut rtc = Ds1307::new(bus.clone(), Variant::Ds1307);
        let data: Vec<u8> = (0..56u8).map(|i| i.wrapping_mul(37) ^ 0x5A).collect();
        rtc.write_ram(0, &data).unwrap();
        let mut back = [0u8; 56];
        rtc.read_ram(0, &mut back).unwrap();
        assert_eq!(back[..], data[..]);
        rtc.write_ram(55, &[0xEE]).unwrap();
        assert_eq!(h.lock().register(0x3F), 0xEE);
        // A burst from 3Fh continues at 00h (the seconds).
        rtc.set_datetime(&dt(2030, 6, 15, 6, 10, 20, 30)).unwrap();
        let mut two = [0u8; 2];
        bus.write_read(ADDR, &[0x3F], &mut two).unwrap();
        assert_eq!(two, [0xEE, 0x30]);
        // The time is untouched by RAM writes.
        assert_eq!(rtc.datetime().unwrap(), dt(2030, 6, 15, 6, 10, 20, 30));
    }

    #[test]
    fn square_wave_and_out_level_reach_the_pin() {
        let (bus, h) = setup(Ds1307Model::ds1307());
        let mut rtc = Ds1307::new(bus, Variant::Ds1307);
        rtc.set_datetime(&dt(2030, 1, 1, 1, 0, 0, 0)).unwrap();
        for (f, hz) in [
            (SquareWave::Hz1, 1),
            (SquareWave::Hz4096, 4096),
            (SquareWave::Hz8192, 8192),
            (SquareWave::Hz32768, 32768),
        ] {
            rtc.set_square_wave(f).unwrap();
            assert_eq!(h.lock().square_wave_hz(), Some(hz));
        }
        rtc.set_output_level(true).unwrap();
        assert_eq!(h.lock().square_wave_hz(), None);
        assert!(h.lock().out_level());
        rtc.set_output_level(false).unwrap();
        assert!(!h.lock().out_level());
        assert_eq!(rtc.control().unwrap(), 0x00);
    }

    #[test]
    fn osf_is_set_at_power_up_and_when_the_oscillator_stops_and_only_cleared() {
        let (bus, h) = setup(Ds1307Model::ds1338());
        let mut rtc = Ds1307::new(bus, Variant::Ds1338);
        assert!(rtc.oscillator_stopped().unwrap());
        rtc.set_datetime(&dt(2030, 1, 1, 1, 0, 0, 0)).unwrap();
        rtc.clear_oscillator_stopped().unwrap();
        assert!(!rtc.oscillator_stopped().unwrap());
        // Writing the control register never sets OSF (the driver writes 1 to keep it).
        rtc.set_square_wave(SquareWave::Hz1).unwrap();
        assert!(!rtc.oscillator_stopped().unwrap());
        assert_eq!(rtc.control().unwrap(), 0x10);
        rtc.set_running(false).unwrap();
        assert!(rtc.oscillator_stopped().unwrap(), "CH stops the oscillator");
        rtc.set_running(true).unwrap();
        rtc.clear_oscillator_stopped().unwrap();
        h.lock().stop_oscillator();
        assert!(rtc.oscillator_stopped().unwrap());
        assert!(!rtc.is_running().unwrap());
    }
}
