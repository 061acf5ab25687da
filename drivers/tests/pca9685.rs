//! PCA9685: datasheet prescale and LED register examples, byte-exact mock tests, and the
//! driver against the model (outputs, sleep/restart, all-call, software reset).

mod common;
use common::block_on;
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::delay::{CheckedDelay, Transaction as D};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::pca9685::*;

// Register map again (datasheet §7.3 table 4).
const MODE1: u8 = 0x00;
const MODE2: u8 = 0x01;
const ALLCALLADR: u8 = 0x05;
const LED0_ON_L: u8 = 0x06;
const ALL_LED_ON_L: u8 = 0xFA;
const PRE_SCALE: u8 = 0xFE;
const ADDR: u8 = 0x40;

#[test]
fn datasheet_prescale_example() {
    // §7.3.5: prescale = round(25 MHz / (4096 × 200 Hz)) − 1 = 30 (1Eh, the reset
    // value); the register's extremes are 3 (1526 Hz) and 255 (24 Hz, more exactly
    // 25 MHz / (4096 × 256) = 23.8 Hz, so 24 Hz itself rounds to 254.3 − 1 = 253).
    assert_eq!(prescale_for(200, 25_000_000), Some(0x1E));
    assert_eq!(prescale_for(1526, 25_000_000), Some(3));
    assert_eq!(prescale_for(24, 25_000_000), Some(253));
    assert_eq!(prescale_for(1800, 25_000_000), None);
    assert_eq!(prescale_for(23, 25_000_000), None);
    assert_eq!(prescale_for(0, 25_000_000), None);
}

#[test]
fn datasheet_led_examples_bytes() {
    // §7.3.3 example 1: delay 10 %, duty 20 %: LED0_ON = 199h, LED0_OFF = 4CCh.
    // Example 2: delay 90 %, duty 90 %: LED4_ON = E65h, LED4_OFF = CCBh.
    let ex = [
        T::write(ADDR, vec![LED0_ON_L, 0x99, 0x01, 0xCC, 0x04]),
        T::write(ADDR, vec![LED0_ON_L + 16, 0x65, 0x0E, 0xCB, 0x0C]),
        T::write(ADDR, vec![LED0_ON_L + 4 * 15, 0, 0x10, 0, 0]),
        T::write(ADDR, vec![LED0_ON_L + 4, 0, 0, 0, 0x10]),
        T::write(ADDR, vec![LED0_ON_L + 8, 0, 0, 0x33, 0x01]),
        T::write(ADDR, vec![LED0_ON_L + 8, 0, 0x10, 0, 0]),
        T::write(ADDR, vec![LED0_ON_L + 8, 0, 0, 0, 0x10]),
        T::write(ADDR, vec![ALL_LED_ON_L, 0, 0, 0xFF, 0x07]),
        T::write_read(ADDR, vec![LED0_ON_L + 16], vec![0x65, 0x0E, 0xCB, 0x0C]),
    ];
    let mut m = Mock::new(&ex);
    let mut pwm = Pca9685::new(m.clone(), ADDR);
    pwm.set_channel(0, 0x199, 0x4CC).unwrap();
    block_on(pwm.set_channel_async(4, 3685, 3275)).unwrap();
    pwm.set_channel_full_on(15).unwrap();
    pwm.set_channel_full_off(1).unwrap();
    pwm.set_duty(2, 307).unwrap();
    pwm.set_duty(2, 4096).unwrap();
    pwm.set_duty(2, 0).unwrap();
    pwm.set_all(0, 2047).unwrap();
    assert_eq!(pwm.channel(4).unwrap(), (3685, 3275));
    // Rejected before the bus.
    assert_eq!(pwm.set_channel(16, 0, 1), Err(Error::InvalidChannel));
    assert_eq!(pwm.set_channel(0, 4096, 1), Err(Error::InvalidValue));
    assert_eq!(pwm.set_duty(0, 4097), Err(Error::InvalidValue));
    m.done();
}

#[test]
fn frequency_sleep_restart_bytes() {
    let ex = [
        T::write(ADDR, vec![MODE1, 0x21]),
        // set_frequency(50): sleep (AI|SLEEP|ALLCALL), prescale 121, wake, restart check
        T::write(ADDR, vec![MODE1, 0x31]),
        T::write(ADDR, vec![PRE_SCALE, 121]),
        T::write(ADDR, vec![MODE1, 0x21]),
        T::write_read(ADDR, vec![MODE1], vec![0xA1]),
        T::write(ADDR, vec![MODE1, 0xA1]),
        T::write(ADDR, vec![MODE2, 0x1C]),
        T::write(ADDR, vec![ALLCALLADR, 0xE6]),
        T::write(ADDR, vec![MODE1, 0x21]),
        T::write(ADDR, vec![MODE1, 0x20]),
        T::write(0x00, vec![0x06]),
        // after a software reset MODE1 is back to 11h (no auto-increment)
        T::write(ADDR, vec![MODE1, 0x11]).with_error(ErrorKind::Other),
    ];
    let mut m = Mock::new(&ex);
    let mut delay = CheckedDelay::new(&[D::blocking_delay_us(500)]);
    let mut pwm = Pca9685::new(m.clone(), ADDR);
    pwm.init().unwrap();
    // round(25e6 / (4096 × 50)) − 1 = 121
    pwm.set_frequency(50, &mut delay).unwrap();
    pwm.set_output_config(OutputConfig {
        invert: true,
        totem_pole: true,
        change_on_ack: true,
    })
    .unwrap();
    pwm.set_all_call(Some(0x73)).unwrap();
    pwm.set_all_call(None).unwrap();
    pwm.software_reset().unwrap();
    assert_eq!(pwm.sleep(), Err(Error::Bus(ErrorKind::Other)));
    assert_eq!(
        pwm.set_frequency(2000, &mut delay),
        Err(Error::InvalidFrequency)
    );
    delay.done();
    m.done();
}

#[test]
fn datasheet_frequency_from_prescale() {
    // §7.3.5 equation 1 solved for the update rate: osc / (4096 × (prescale + 1)).
    // PRE_SCALE's reset value 1Eh with the 25 MHz internal oscillator (§7.3.5, the
    // "200 Hz" default): 25 MHz / (4096 × 31) = 196.8876 Hz.
    let f = PwmFrequency::new(0x1E, 25_000_000);
    assert_eq!(f.as_millihertz(), 196_888, "rounded to the nearest mHz");
    assert_eq!(f.as_hz_f64(), 25_000_000.0 / (4096.0 * 31.0));
    // The register's extremes (§7.3.5): 03h gives the maximum, 1526 Hz (1525.879),
    // FFh the minimum, 24 Hz (23.842).
    assert_eq!(PwmFrequency::new(3, 25_000_000).as_millihertz(), 1_525_879);
    assert_eq!(PwmFrequency::new(0xFF, 25_000_000).as_millihertz(), 23_842);
    assert_eq!(
        PwmFrequency::new(0xFF, 25_000_000).as_hz_f64(),
        23.841_857_910_156_25
    );
    // An external clock on EXTCLK (§7.3.5: up to 50 MHz) scales it.
    assert_eq!(PwmFrequency::new(0x1E, 50_000_000).as_millihertz(), 393_775);
    // The driver reads PRE_SCALE and applies its oscillator (25 MHz unless told).
    let ex = [
        T::write_read(ADDR, vec![PRE_SCALE], vec![121]),
        T::write_read(ADDR, vec![PRE_SCALE], vec![121]),
    ];
    let mut m = Mock::new(&ex);
    let mut pwm = Pca9685::new(m.clone(), ADDR);
    assert_eq!(pwm.oscillator_hz(), 25_000_000);
    // prescale_for(50 Hz) is 121 (see frequency_sleep_restart_bytes): 50.029 Hz back.
    assert_eq!(pwm.frequency().unwrap().as_millihertz(), 50_029);
    let mut pwm = Pca9685::new(pwm.release(), ADDR).with_oscillator(50_000_000);
    assert_eq!(
        block_on(pwm.frequency_async()).unwrap(),
        PwmFrequency::new(121, 50_000_000)
    );
    m.done();
}

#[test]
fn datasheet_duty_from_registers() {
    // §7.3.3 example 1: LED0_ON = 199h, LED0_OFF = 4CCh: high for 4CCh − 199h = 819
    // counts of 4096 (the example's "20 %" duty, 19.995 % exactly).
    let d = Duty::from_registers(0x199, 0x4CC);
    assert_eq!(
        d,
        Duty::Pwm {
            on: 0x199,
            off: 0x4CC
        }
    );
    assert_eq!(d.high_counts(), 819);
    assert_eq!(d.as_percent_f64(), 819.0 * 100.0 / 4096.0);
    // Example 2: LED4_ON = E65h, LED4_OFF = CCBh: the OFF count comes first, so the
    // high time wraps: 4096 − E65h + CCBh = 3686 counts (the example's "90 %").
    assert_eq!(Duty::from_registers(0xE65, 0xCCB).high_counts(), 3686);
    // §7.3.3 table 7: bit 4 of LEDn_ON_H (bit 12 of the ON value) is full on, bit 4 of
    // LEDn_OFF_H full off, and full off wins when both are set; the counts are
    // ignored then.
    assert_eq!(Duty::from_registers(0x1000, 0), Duty::FullOn);
    assert_eq!(Duty::from_registers(0x1000, 0x0800).high_counts(), 4096);
    assert_eq!(Duty::from_registers(0x1000, 0x1000), Duty::FullOff);
    assert_eq!(Duty::from_registers(0x0123, 0x1456), Duty::FullOff);
    assert_eq!(Duty::FullOff.high_counts(), 0);
    assert_eq!(Duty::FullOn.as_percent_f64(), 100.0);
    assert_eq!(Duty::from_registers(0, 2048).as_percent_f64(), 50.0);
    // ON = OFF: the output turns on and off at the same count: low all period.
    assert_eq!(Duty::from_registers(0x100, 0x100).high_counts(), 0);
    // The driver reads a channel's four registers.
    let ex = [
        T::write_read(ADDR, vec![LED0_ON_L + 16], vec![0x65, 0x0E, 0xCB, 0x0C]),
        T::write_read(ADDR, vec![LED0_ON_L + 60], vec![0, 0x10, 0, 0]),
    ];
    let mut m = Mock::new(&ex);
    let mut pwm = Pca9685::new(m.clone(), ADDR);
    assert_eq!(pwm.duty(4).unwrap().high_counts(), 3686);
    assert_eq!(block_on(pwm.duty_async(15)).unwrap(), Duty::FullOn);
    assert_eq!(pwm.duty(16), Err(Error::InvalidChannel));
    m.done();
}

#[test]
fn datasheet_mode1_bits() {
    // §7.3.1 table 5: MODE1 bit 7 RESTART, 6 EXTCLK, 5 AI, 4 SLEEP, 0 ALLCALL; the
    // power-on value is 11h: asleep, answering the all-call address.
    let m = Mode1(0x11);
    assert!(m.sleep() && m.all_call());
    assert!(!m.restart() && !m.external_clock() && !m.auto_increment());
    let m = Mode1(0xE0);
    assert!(m.restart() && m.external_clock() && m.auto_increment());
    assert!(!m.sleep() && !m.all_call());
    let ex = [
        T::write_read(ADDR, vec![MODE1], vec![0x11]),
        T::write_read(ADDR, vec![MODE1], vec![0x21]),
    ];
    let mut m = Mock::new(&ex);
    let mut pwm = Pca9685::new(m.clone(), ADDR);
    assert!(pwm.is_asleep().unwrap());
    assert!(!block_on(pwm.is_asleep_async()).unwrap());
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal_mock::eh1::delay::NoopDelay;
    use udrv_drivers::pca9685::model::{GeneralCall, Pca9685Model};
    use udrv_drivers::sim::SimI2cBus;

    #[test]
    fn power_on_state_and_outputs() {
        let bus = SimI2cBus::new();
        let chip = Pca9685Model::new(ADDR).attach(&bus);
        let mut pwm = Pca9685::new(bus.clone(), ADDR);
        // Power-on: MODE1 11h (sleep, all-call), prescale 1Eh (200 Hz), all full off.
        assert_eq!(pwm.mode1().unwrap(), 0x11);
        assert_eq!(pwm.prescale().unwrap(), 0x1E);
        // Without auto-increment (power-on) a 4-byte read repeats LED7_ON_L.
        assert_eq!(pwm.channel(7).unwrap(), (0, 0));
        assert!(!chip.lock().running());
        pwm.init().unwrap();
        assert!(chip.lock().running());
        assert_eq!(pwm.channel(7).unwrap(), (0, 0x1000));
        pwm.set_channel(0, 0x199, 0x4CC).unwrap();
        pwm.set_channel(4, 0xE65, 0xCCB).unwrap();
        let c = chip.lock();
        assert_eq!(c.output(0), Some((409, 1228)));
        assert_eq!(c.duty(0), 819, "20 % of 4096");
        assert_eq!(c.duty(4), 3686, "90 % of 4096");
        drop(c);
        for ch in 0..16u8 {
            let d = ch as u16 * 273;
            pwm.set_duty(ch, d).unwrap();
            assert_eq!(chip.lock().duty(ch as usize), d);
            assert_eq!(
                pwm.channel(ch).unwrap(),
                if d == 0 { (0, 0x1000) } else { (0, d) }
            );
        }
        pwm.set_duty(3, 4096).unwrap();
        assert_eq!(chip.lock().output(3), Some((0, 4096)));
        pwm.set_all(100, 300).unwrap();
        assert!((0..16).all(|ch| chip.lock().output(ch) == Some((100, 300))));
        // Inverted outputs: high outside the on window.
        pwm.set_output_config(OutputConfig {
            invert: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(chip.lock().duty(5), 4096 - 200);
    }

    #[test]
    fn frequency_needs_sleep_and_restart_resumes() {
        let bus = SimI2cBus::new();
        let chip = Pca9685Model::new(ADDR).attach(&bus);
        let mut pwm = Pca9685::new(bus.clone(), ADDR);
        pwm.init().unwrap();
        pwm.set_duty(0, 1000).unwrap();
        // PRE_SCALE writes are blocked while awake (§7.3.5).
        let mut raw = bus.clone();
        embedded_hal::i2c::I2c::write(&mut raw, ADDR, &[PRE_SCALE, 99]).unwrap();
        assert_eq!(pwm.prescale().unwrap(), 0x1E);
        block_on(pwm.set_frequency_async(50, &mut NoopDelay)).unwrap();
        assert_eq!(chip.lock().register(PRE_SCALE), 121);
        let f = chip.lock().frequency_hz();
        assert!((f - 50.0).abs() < 0.5, "{f}");
        assert!(chip.lock().running(), "restarted");
        assert_eq!(chip.lock().duty(0), 1000);
        // Sleep while running sets RESTART; wake alone does not resume.
        pwm.sleep().unwrap();
        assert_eq!(chip.lock().duty(0), 0);
        pwm.wake().unwrap();
        assert_eq!(pwm.mode1().unwrap() & 0x80, 0x80);
        assert!(!chip.lock().running());
        assert!(pwm.restart().unwrap());
        assert!(chip.lock().running());
        assert_eq!(pwm.mode1().unwrap(), 0x21);
        assert!(!pwm.restart().unwrap(), "nothing to restart");
    }

    #[test]
    fn auto_increment_rollover_and_reserved_addresses() {
        let bus = SimI2cBus::new();
        let _chip = Pca9685Model::new(ADDR).attach(&bus);
        let mut pwm = Pca9685::new(bus.clone(), ADDR);
        pwm.init().unwrap();
        let mut raw = bus.clone();
        use embedded_hal::i2c::I2c;
        // Table 3 remark: past 45h the pointer goes to MODE1 (00h) ...
        let mut b = [0; 2];
        raw.write_read(ADDR, &[0x45], &mut b).unwrap();
        assert_eq!(b, [0x10, 0x21], "LED15_OFF_H (full off), then MODE1");
        // ... and from FAh it runs to FEh (ALL_LED read as zero), then rolls over to 0.
        let mut b = [0xAA; 6];
        raw.write_read(ADDR, &[0xFA], &mut b).unwrap();
        assert_eq!(b, [0, 0, 0, 0, 0x1E, 0x21]);
        // Reserved addresses are not acknowledged.
        assert!(raw.write_read(ADDR, &[0x46], &mut [0]).is_err());
        assert!(raw.write(ADDR, &[0xF9, 1]).is_err());
    }

    #[test]
    fn all_call_sub_address_and_software_reset() {
        let bus = SimI2cBus::new();
        let a = Pca9685Model::new(0x40).attach(&bus);
        let b = Pca9685Model::new(0x41);
        // Two chips share the all-call address: the second one is reached through a
        // bus of its own here, the general call resets both.
        let bus2 = SimI2cBus::new();
        let b = b.attach(&bus2);
        GeneralCall::attach(&bus, vec![a.clone(), b.clone()]);
        let mut all = Pca9685::new(bus.clone(), 0x70);
        all.init().unwrap();
        all.set_duty(9, 2048).unwrap();
        assert_eq!(a.lock().duty(9), 2048, "all-call reaches the chip");
        let mut pwm = Pca9685::new(bus.clone(), 0x40);
        pwm.set_all_call(None).unwrap();
        assert!(
            matches!(all.set_duty(9, 1), Err(Error::Bus(_))),
            "all-call off: NACK"
        );
        pwm.set_all_call(Some(0x7E)).unwrap();
        assert_eq!(a.lock().register(ALLCALLADR), 0xFC);
        bus.attach_handle(0x7E, &a);
        let mut moved = Pca9685::new(bus.clone(), 0x7E);
        moved.set_duty(9, 3).unwrap();
        assert_eq!(a.lock().duty(9), 3);
        Pca9685::new(bus2.clone(), 0x41).init().unwrap();
        pwm.software_reset().unwrap();
        assert_eq!(a.lock().register(MODE1), 0x11);
        assert_eq!(b.lock().register(MODE1), 0x11);
        assert_eq!(a.lock().duty(9), 0);
    }
}
