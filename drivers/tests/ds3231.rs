//! DS3231: datasheet register formats (BCD, 12/24 h, century, alarm mask table 2,
//! temperature), byte-exact mock tests, and the driver against the model: calendar
//! rollovers, every alarm mode firing at the right second, INT/SQW, OSF, temperature.

mod common;
use common::{block_on, dt, rtc_time_transactions, RTC_ADDR as ADDR, SECONDS};
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::ds3231::*;

// Register map again (datasheet figure 1; the address and SECONDS in `common`).
const ALARM1: u8 = 0x07;
const ALARM2: u8 = 0x0B;
const CONTROL: u8 = 0x0E;
const STATUS: u8 = 0x0F;
const AGING: u8 = 0x10;
const TEMP: u8 = 0x11;

#[test]
fn unix_seconds() {
    // The chip's first date (datasheet table 1, timekeeping registers: years 00..99 of
    // 2000..2099, month and date from 01) is 946 684 800 s after 1970-01-01 UTC.
    assert_eq!(dt(2000, 1, 1, 6, 0, 0, 0).unix_seconds(), 946_684_800);
    // 2026-01-02 03:04:05: 20 455 days and 11 045 s after the epoch.
    assert_eq!(dt(2026, 1, 2, 5, 3, 4, 5).unix_seconds(), 1_767_323_045);
    // A leap day (2024 is divisible by 4: the chip's leap-year rule, Gregorian too).
    assert_eq!(dt(2024, 2, 29, 4, 12, 0, 0).unix_seconds(), 1_709_208_000);
    // The last second before the century bit flips, and after (2100 is no Gregorian leap
    // year: 2100-03-01 follows 2100-02-28).
    assert_eq!(
        dt(2099, 12, 31, 4, 23, 59, 59).unix_seconds(),
        4_102_444_799
    );
    assert_eq!(
        dt(2100, 3, 1, 1, 0, 0, 0).unix_seconds() - dt(2100, 2, 28, 7, 0, 0, 0).unix_seconds(),
        86_400
    );
}

#[test]
fn register_formats() {
    // Datasheet "Temperature Registers": +25.25 °C = 00011001 01b (MSB 19h, LSB 40h).
    assert_eq!(decode_temperature(0x19, 0x40).as_millicelsius(), 25_250);
    // 10-bit two's complement: 11 1111 1111b = -0.25 °C; 10 0000 0000b = -128 °C.
    assert_eq!(decode_temperature(0xFF, 0xC0).as_millicelsius(), -250);
    assert_eq!(decode_temperature(0x80, 0x00).as_millicelsius(), -128_000);
    assert_eq!(decode_temperature(0xE7, 0x80).as_millicelsius(), -24_500);
    // Hours register: bit 6 = 12-hour mode, bit 5 = PM (figure 1).
    assert_eq!(decode_hour(0x52), Some(0), "12 AM");
    assert_eq!(decode_hour(0x72), Some(12), "12 PM");
    assert_eq!(decode_hour(0x69), Some(21), "9 PM");
    assert_eq!(decode_hour(0x23), Some(23));
    assert_eq!(decode_hour(0x24), None);
    assert_eq!(decode_hour(0x1A), None, "not BCD");
    let d = dt(2126, 7, 4, 6, 23, 5, 9);
    assert_eq!(d.to_registers(), [0x09, 0x05, 0x23, 0x06, 0x04, 0x87, 0x26]);
    assert_eq!(DateTime::from_registers(&d.to_registers()), Some(d));
    assert!(DateTime::new(2023, 2, 29, 1, 0, 0, 0).is_none());
    assert!(DateTime::new(2024, 2, 29, 1, 0, 0, 0).is_some());
    assert!(DateTime::new(2024, 4, 31, 1, 0, 0, 0).is_none());
}

#[test]
fn alarm_mask_table_2() {
    // Table 2: A1M4..A1M1 (bit 7 of 0Ah..07h) and DY/DT (bit 6 of 0Ah).
    let m = 0x80;
    use Alarm1 as A1;
    for (alarm, want) in [
        (A1::EverySecond, Some([m, m, m, m])),
        (A1::Seconds { second: 45 }, Some([0x45, m, m, m])),
        (
            A1::MinutesSeconds {
                minute: 30,
                second: 1,
            },
            Some([0x01, 0x30, m, m]),
        ),
        (
            A1::HoursMinutesSeconds {
                hour: 17,
                minute: 59,
                second: 58,
            },
            Some([0x58, 0x59, 0x17, m]),
        ),
        (
            A1::Date {
                date: 31,
                hour: 0,
                minute: 0,
                second: 0,
            },
            Some([0, 0, 0, 0x31]),
        ),
        (
            A1::Weekday {
                weekday: 7,
                hour: 6,
                minute: 0,
                second: 0,
            },
            Some([0, 0, 0x06, 0x47]),
        ),
        (A1::Seconds { second: 60 }, None),
    ] {
        assert_eq!(encode_alarm1(&alarm), want, "{alarm:?}");
    }
    // A2M4..A2M2 (bit 7 of 0Dh..0Bh), DY/DT (bit 6 of 0Dh).
    use Alarm2 as A2;
    for (alarm, want) in [
        (A2::EveryMinute, Some([m, m, m])),
        (A2::Minutes { minute: 7 }, Some([0x07, m, m])),
        (
            A2::HoursMinutes {
                hour: 7,
                minute: 30,
            },
            Some([0x30, 0x07, m]),
        ),
        (
            A2::Date {
                date: 15,
                hour: 12,
                minute: 0,
            },
            Some([0x00, 0x12, 0x15]),
        ),
        (
            A2::Weekday {
                weekday: 1,
                hour: 8,
                minute: 15,
            },
            Some([0x15, 0x08, 0x41]),
        ),
        (
            A2::Weekday {
                weekday: 0,
                hour: 8,
                minute: 15,
            },
            None,
        ),
    ] {
        assert_eq!(encode_alarm2(&alarm), want, "{alarm:?}");
    }
}

#[test]
fn mock_bytes() {
    let ex: Vec<T> = rtc_time_transactions()
        .into_iter()
        .chain([
            T::write(ADDR, vec![ALARM1, 0x00, 0x00, 0x12, 0x80]),
            T::write(ADDR, vec![ALARM2, 0x30, 0x07, 0x80]),
            T::write_read(ADDR, vec![CONTROL], vec![0x18]),
            T::write(ADDR, vec![CONTROL, 0x1E]),
            T::write_read(ADDR, vec![STATUS], vec![0x8B]),
            T::write_read(ADDR, vec![STATUS], vec![0x8B]),
            T::write(ADDR, vec![STATUS, 0x8A]),
            T::write_read(ADDR, vec![CONTROL], vec![0x1E]),
            T::write(ADDR, vec![CONTROL, 0x0A]),
            T::write_read(ADDR, vec![STATUS], vec![0x88]),
            T::write(ADDR, vec![STATUS, 0x0B]),
            T::write_read(ADDR, vec![TEMP], vec![0x19, 0x40]),
            T::write_read(ADDR, vec![CONTROL], vec![0x1C, 0x04]),
            T::write_read(ADDR, vec![CONTROL], vec![0x1C, 0x00]),
            T::write(ADDR, vec![CONTROL, 0x3C]),
            T::write(ADDR, vec![AGING, 0xFE]),
            T::write_read(ADDR, vec![SECONDS], vec![0x60, 0, 0, 1, 1, 1, 0]),
            T::write_read(ADDR, vec![STATUS], vec![0]).with_error(ErrorKind::Other),
        ])
        .collect();
    let mut m = Mock::new(&ex);
    let mut rtc = Ds3231::new(m.clone());
    // 11:59:59 PM (12-hour mode), Sunday (7), 31 Dec 2099
    assert_eq!(rtc.datetime().unwrap(), dt(2099, 12, 31, 7, 23, 59, 59));
    block_on(rtc.set_datetime_async(&dt(2026, 11, 22, 1, 7, 30, 0))).unwrap();
    rtc.set_alarm1(Alarm1::HoursMinutesSeconds {
        hour: 12,
        minute: 0,
        second: 0,
    })
    .unwrap();
    rtc.set_alarm2(Alarm2::HoursMinutes {
        hour: 7,
        minute: 30,
    })
    .unwrap();
    rtc.set_alarm_interrupts(false, true).unwrap();
    assert_eq!(rtc.alarm_flags().unwrap(), (true, true));
    rtc.clear_alarm_flags(true, false).unwrap();
    rtc.set_square_wave(SquareWave::Hz1024).unwrap();
    rtc.clear_oscillator_stopped().unwrap();
    assert_eq!(rtc.temperature().unwrap().as_millicelsius(), 25_250);
    assert_eq!(rtc.convert_temperature(), Err(Error::Busy));
    rtc.convert_temperature().unwrap();
    rtc.set_aging_offset(-2).unwrap();
    assert_eq!(rtc.datetime(), Err(Error::InvalidRegister));
    assert_eq!(rtc.status(), Err(Error::Bus(ErrorKind::Other)));
    // Rejected before the bus.
    assert_eq!(
        rtc.set_datetime(&DateTime {
            day: 31,
            month: 4,
            ..dt(2026, 1, 1, 1, 0, 0, 0)
        }),
        Err(Error::InvalidInput)
    );
    assert_eq!(
        rtc.set_alarm2(Alarm2::HoursMinutes {
            hour: 24,
            minute: 0
        }),
        Err(Error::InvalidInput)
    );
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use udrv_drivers::ds3231::model::Ds3231Model;
    use udrv_drivers::sim::{SimHandle, SimI2cBus};
    use udrv_drivers::Temperature;

    fn setup() -> (SimHandle<Ds3231Model>, Ds3231<SimI2cBus>, SimI2cBus) {
        let (bus, chip) = common::sim_bus(ADDR, Ds3231Model::new());
        (chip, Ds3231::new(bus.clone()), bus)
    }

    #[test]
    fn power_on_and_osf() {
        let (chip, mut rtc, _) = setup();
        assert!(
            rtc.oscillator_stopped().unwrap(),
            "OSF set at first power-up"
        );
        assert_eq!(rtc.datetime().unwrap(), dt(2000, 1, 1, 1, 0, 0, 0));
        assert_eq!(rtc.control().unwrap(), 0x1C);
        rtc.clear_oscillator_stopped().unwrap();
        assert!(!rtc.oscillator_stopped().unwrap());
        chip.lock().stop_oscillator();
        assert!(block_on(rtc.oscillator_stopped_async()).unwrap());
        rtc.set_32khz_output(false).unwrap();
        assert_eq!(chip.lock().register(STATUS) & 0x08, 0);
        assert!(rtc.oscillator_stopped().unwrap(), "EN32kHz write keeps OSF");
    }

    #[test]
    fn calendar_rollovers() {
        let (chip, mut rtc, _) = setup();
        let cases = [
            (dt(2099, 12, 31, 7, 23, 59, 59), dt(2100, 1, 1, 1, 0, 0, 0)),
            (dt(2024, 2, 28, 3, 23, 59, 59), dt(2024, 2, 29, 4, 0, 0, 0)),
            (dt(2023, 2, 28, 2, 23, 59, 59), dt(2023, 3, 1, 3, 0, 0, 0)),
            (dt(2026, 4, 30, 4, 23, 59, 59), dt(2026, 5, 1, 5, 0, 0, 0)),
            (dt(2026, 1, 31, 6, 9, 59, 59), dt(2026, 1, 31, 6, 10, 0, 0)),
            (dt(2199, 12, 31, 5, 23, 59, 59), dt(2000, 1, 1, 6, 0, 0, 0)),
        ];
        for (from, to) in cases {
            rtc.set_datetime(&from).unwrap();
            chip.lock().advance(1);
            assert_eq!(rtc.datetime().unwrap(), to, "{from:?}");
        }
        // A whole non-leap year of seconds.
        rtc.set_datetime(&dt(2025, 1, 1, 3, 0, 0, 0)).unwrap();
        chip.lock().advance(365 * 86_400);
        assert_eq!(rtc.datetime().unwrap(), dt(2026, 1, 1, 4, 0, 0, 0));
    }

    #[test]
    fn twelve_hour_mode_ticks() {
        let (chip, mut rtc, bus) = setup();
        let mut raw = bus.clone();
        // 11:59:59 PM written in 12-hour mode by someone else
        raw.write(ADDR, &[SECONDS, 0x59, 0x59, 0x71, 0x03, 0x10, 0x06, 0x26])
            .unwrap();
        chip.lock().advance(1);
        assert_eq!(chip.lock().register(2), 0x52, "12 AM, still 12-hour mode");
        assert_eq!(rtc.datetime().unwrap(), dt(2026, 6, 11, 4, 0, 0, 0));
        chip.lock().advance(12 * 3600);
        assert_eq!(chip.lock().register(2), 0x72, "12 PM");
        assert_eq!(rtc.datetime().unwrap().hour, 12);
    }

    /// Seconds from `start` until alarm `a1` (or 2) sets its flag, at most `max`.
    fn seconds_to_flag(
        chip: &SimHandle<Ds3231Model>,
        rtc: &mut Ds3231<SimI2cBus>,
        start: DateTime,
        flag: u8,
        max: u64,
    ) -> Option<u64> {
        rtc.set_datetime(&start).unwrap();
        rtc.clear_alarm_flags(true, true).unwrap();
        for n in 1..=max {
            chip.lock().advance(1);
            if chip.lock().register(STATUS) & flag != 0 {
                return Some(n);
            }
        }
        None
    }

    #[test]
    fn every_alarm1_mode_fires_at_the_right_second() {
        let (chip, mut rtc, _) = setup();
        let start = dt(2026, 3, 10, 2, 8, 0, 0); // Tuesday = 2 (user-defined)
        let cases = [
            (Alarm1::EverySecond, 1),
            (Alarm1::Seconds { second: 30 }, 30),
            (
                Alarm1::MinutesSeconds {
                    minute: 1,
                    second: 5,
                },
                65,
            ),
            (
                Alarm1::HoursMinutesSeconds {
                    hour: 9,
                    minute: 0,
                    second: 1,
                },
                3601,
            ),
            (
                Alarm1::Date {
                    date: 11,
                    hour: 8,
                    minute: 0,
                    second: 0,
                },
                86_400,
            ),
            (
                Alarm1::Weekday {
                    weekday: 1,
                    hour: 8,
                    minute: 0,
                    second: 0,
                },
                6 * 86_400,
            ),
        ];
        for (alarm, want) in cases {
            rtc.set_alarm1(alarm).unwrap();
            let got = seconds_to_flag(&chip, &mut rtc, start, 0x01, 7 * 86_400);
            assert_eq!(got, Some(want), "{alarm:?}");
        }
    }

    #[test]
    fn every_alarm2_mode_fires_at_second_zero() {
        let (chip, mut rtc, _) = setup();
        let start = dt(2026, 3, 10, 2, 8, 0, 30);
        let cases = [
            (Alarm2::EveryMinute, 30),
            (Alarm2::Minutes { minute: 2 }, 90),
            (Alarm2::HoursMinutes { hour: 8, minute: 0 }, 86_400 - 30),
            (
                Alarm2::Date {
                    date: 10,
                    hour: 8,
                    minute: 1,
                },
                30,
            ),
            (
                Alarm2::Weekday {
                    weekday: 3,
                    hour: 0,
                    minute: 0,
                },
                16 * 3600 - 30,
            ),
        ];
        for (alarm, want) in cases {
            block_on(rtc.set_alarm2_async(alarm)).unwrap();
            let got = seconds_to_flag(&chip, &mut rtc, start, 0x02, 7 * 86_400);
            assert_eq!(got, Some(want), "{alarm:?}");
        }
    }

    #[test]
    fn int_pin_and_square_wave() {
        let (chip, mut rtc, _) = setup();
        let int = chip.lock().int_pin();
        rtc.set_datetime(&dt(2026, 1, 1, 4, 6, 59, 58)).unwrap();
        rtc.set_alarm2(Alarm2::HoursMinutes { hour: 7, minute: 0 })
            .unwrap();
        rtc.set_alarm1(Alarm1::EverySecond).unwrap();
        rtc.set_alarm_interrupts(false, true).unwrap();
        chip.lock().advance(1);
        assert!(
            int.is_high(),
            "alarm 1 flag set but its interrupt is disabled"
        );
        assert_eq!(rtc.alarm_flags().unwrap(), (true, false));
        chip.lock().advance(1);
        assert!(int.is_low(), "07:00:00: alarm 2 asserts INT");
        rtc.clear_alarm_flags(false, true).unwrap();
        assert!(int.is_high());
        assert_eq!(rtc.alarm_flags().unwrap(), (true, false), "A1F kept");
        // 1 Hz square wave: one pulse per second.
        rtc.set_square_wave(SquareWave::Hz1).unwrap();
        let (_, falls) = int.edges();
        chip.lock().advance(5);
        assert_eq!(int.edges().1, falls + 5);
    }

    #[test]
    fn temperature_range_and_conversion() {
        let (chip, mut rtc, _) = setup();
        assert_eq!(rtc.temperature().unwrap().as_millicelsius(), 25_000);
        // Operating range -40..85 °C in 0.25 °C steps.
        for q in -160..=340 {
            chip.lock().set_temperature(Temperature(q * 250));
            assert_eq!(rtc.temperature().unwrap().as_millicelsius(), q * 250);
        }
        rtc.convert_temperature().unwrap();
        assert_eq!(chip.lock().register(STATUS) & 0x04, 0x04, "BSY");
        assert_eq!(rtc.convert_temperature(), Err(Error::Busy));
        assert!(!rtc.is_converting().unwrap());
        rtc.set_aging_offset(-7).unwrap();
        assert_eq!(chip.lock().register(AGING), 0xF9);
    }

    #[test]
    fn model_time_setters_for_a_board() {
        use udrv_drivers::ds3231::model::civil_from_unix;
        // Known instants (UTC) with their ISO weekdays.
        assert_eq!(civil_from_unix(946_684_800), (2000, 1, 1, 6, 0, 0, 0));
        assert_eq!(civil_from_unix(1_709_164_800), (2024, 2, 29, 4, 0, 0, 0));
        assert_eq!(
            civil_from_unix(4_102_444_799),
            (2099, 12, 31, 4, 23, 59, 59)
        );
        let (chip, mut rtc, _) = setup();
        chip.lock().set_time((2126, 7, 4, 6, 23, 5, 9));
        assert_eq!(rtc.datetime().unwrap(), dt(2126, 7, 4, 6, 23, 5, 9));
        assert!(rtc.oscillator_stopped().unwrap());
        let unix = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        let before = unix();
        chip.lock().set_to_system_time();
        let after = unix();
        assert!(!rtc.oscillator_stopped().unwrap());
        let t = rtc.datetime().unwrap();
        let got = (
            t.year, t.month, t.day, t.weekday, t.hour, t.minute, t.second,
        );
        assert!(
            (before..=after).any(|s| civil_from_unix(s) == got),
            "{got:?} not between {before} and {after}"
        );
    }
}
