//! PCA9546A / PCA9548A: the control register (PCA9548A datasheet §6.2.1, table 5: bit n
//! enables channel n, 00h = no channel), byte-exact mock tests of selection and forwarding
//! (blocking and async, errors, every mock done), the three ways to share the switch, and
//! the driver with real chip drivers behind the model's channels.

mod common;
use common::block_on;
use core::cell::RefCell;
use embedded_hal::i2c::{ErrorKind, I2c, Operation};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::pca954x::*;

const MUX: u8 = 0x70;

#[test]
fn mock_selection_is_written_once_and_forwarding_is_exact() {
    let ex = [
        // table 5: B2 = 1 selects channel 2
        T::write(MUX, vec![0b0000_0100]),
        T::transaction_start(0x48),
        T::write(0x48, vec![0x00]),
        T::read(0x48, vec![0x19, 0x80]),
        T::transaction_end(0x48),
        T::transaction_start(0x48),
        T::write(0x48, vec![0x01, 0x60]),
        T::transaction_end(0x48),
        // channel 7 (B7), then a read of the control register
        T::write(MUX, vec![0b1000_0000]),
        T::transaction_start(0x50),
        T::write(0x50, vec![0x10]),
        T::read(0x50, vec![1, 2, 3]),
        T::transaction_end(0x50),
        T::read(MUX, vec![0x80]),
        // several channels at once, then none
        T::write(MUX, vec![0b0010_0101]),
        T::write(MUX, vec![0x00]),
        // a failed selection is written again next time
        T::write(MUX, vec![0b0000_0010]).with_error(ErrorKind::Other),
        T::write(MUX, vec![0b0000_0010]),
        T::transaction_start(0x48),
        T::write(0x48, vec![0x00]),
        T::transaction_end(0x48),
    ];
    let mut m = Mock::new(&ex);
    let mut mux = Pca954x::new(m.clone(), MUX, Variant::Pca9548);
    {
        let mut ch2 = mux.channel(2).unwrap();
        let mut b = [0; 2];
        ch2.write_read(0x48, &[0x00], &mut b).unwrap();
        assert_eq!(b, [0x19, 0x80]);
        block_on(embedded_hal_async::i2c::I2c::write(
            &mut ch2,
            0x48,
            &[0x01, 0x60],
        ))
        .unwrap();
    }
    let mut three = [0; 3];
    mux.transaction_on(
        7,
        0x50,
        &mut [Operation::Write(&[0x10]), Operation::Read(&mut three)],
    )
    .unwrap();
    assert_eq!(three, [1, 2, 3]);
    assert_eq!(mux.channels().unwrap(), 0x80);
    block_on(mux.set_channels_async(0b0010_0101)).unwrap();
    mux.set_channels(0).unwrap();
    assert_eq!(
        mux.select(1),
        Err(Error::Bus(ErrorKind::Other)),
        "selection failed"
    );
    let mut ch1 = mux.channel(1).unwrap();
    ch1.write(0x48, &[0x00]).unwrap();
    // Rejected before the bus.
    assert!(matches!(mux.channel(8), Err(Error::InvalidChannel(8))));
    assert_eq!(
        mux.transaction_on(0, MUX, &mut []),
        Err(Error::SwitchAddress)
    );
    m.done();

    // PCA9546A: 4 channels (table 4), bits 7:4 are not channels.
    let mut m = Mock::new(&[T::write(MUX + 3, vec![0x08])]);
    let mut mux = Pca954x::new(m.clone(), MUX + 3, Variant::Pca9546);
    assert!(matches!(mux.channel(4), Err(Error::InvalidChannel(4))));
    assert_eq!(mux.set_channels(0x10), Err(Error::InvalidChannel(0x10)));
    mux.select(3).unwrap();
    mux.select(3).unwrap();
    m.done();
}

#[test]
fn refcell_channels_share_the_switch_and_report_contention() {
    let ex = [
        T::write(MUX, vec![0x01]),
        T::transaction_start(0x48),
        T::write(0x48, vec![0xA0]),
        T::transaction_end(0x48),
        T::write(MUX, vec![0x20]),
        T::transaction_start(0x48),
        T::write(0x48, vec![0xA5]),
        T::transaction_end(0x48),
        T::transaction_start(0x48),
        T::write(0x48, vec![0xA6]),
        T::transaction_end(0x48),
        T::write(MUX, vec![0x01]),
        T::transaction_start(0x48),
        T::write(0x48, vec![0xA1]),
        T::transaction_end(0x48),
        T::write(MUX, vec![0x20]),
        T::transaction_start(0x48),
        T::read(0x48, vec![0x55]),
        T::transaction_end(0x48),
    ];
    let mut m = Mock::new(&ex);
    let cell = RefCell::new(Pca954x::new(m.clone(), MUX, Variant::Pca9548));
    let mut a = RefCellChannel::new(&cell, 0).unwrap();
    let mut b = RefCellChannel::new(&cell, 5).unwrap();
    assert!(matches!(
        RefCellChannel::new(&cell, 9),
        Err(Error::InvalidChannel(9))
    ));
    a.write(0x48, &[0xA0]).unwrap();
    b.write(0x48, &[0xA5]).unwrap();
    b.write(0x48, &[0xA6]).unwrap();
    block_on(embedded_hal_async::i2c::I2c::write(&mut a, 0x48, &[0xA1])).unwrap();
    {
        let _held = cell.borrow_mut();
        assert_eq!(a.write(0x48, &[0]), Err(Error::Busy));
    }
    let mut x = [0];
    b.read(0x48, &mut x).unwrap();
    assert_eq!(x, [0x55]);
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use std::sync::Mutex;
    use udrv_drivers::at24::{model::At24Model, At24, Variant as Ee};
    use udrv_drivers::lm75::{model::Lm75Model, Lm75};
    use udrv_drivers::pca954x::model::Pca954xModel;
    use udrv_drivers::sim::SimI2cBus;
    use udrv_drivers::Temperature;

    #[test]
    fn identical_sensors_behind_two_channels() {
        let bus = SimI2cBus::new();
        let mux = Pca954xModel::attach(&bus, MUX, 8);
        let left = mux.attach(2, 0x48, Lm75Model::lm75());
        let right = mux.attach(5, 0x48, Lm75Model::lm75());
        let cell = RefCell::new(Pca954x::new(bus.clone(), MUX, Variant::Pca9548));
        let mut l = Lm75::new(RefCellChannel::new(&cell, 2).unwrap(), 0x48);
        let mut r = Lm75::new(RefCellChannel::new(&cell, 5).unwrap(), 0x48);
        for (a, b) in [(-25_000, 80_000), (21_500, -0), (125_000, -55_000)] {
            left.lock()
                .set_temperature(Temperature::from_millicelsius(a));
            right
                .lock()
                .set_temperature(Temperature::from_millicelsius(b));
            assert_eq!(l.temperature().unwrap().as_millicelsius(), a);
            assert_eq!(r.temperature().unwrap().as_millicelsius(), b);
            assert_eq!(l.temperature().unwrap().as_millicelsius(), a);
        }
        // one selection per change of channel: 2 5 2, then (2 cached) 5 2, 5 2
        assert_eq!(mux.handle().lock().writes(), 7);
        assert_eq!(mux.handle().lock().control(), 0x04);
        // with no channel selected the devices are not on the bus
        cell.borrow_mut().set_channels(0).unwrap();
        let mut raw = bus.clone();
        assert!(raw.write(0x48, &[0]).is_err());
        // the wrong channel does not reach them either
        cell.borrow_mut().set_channels(1 << 3).unwrap();
        assert!(raw.write(0x48, &[0]).is_err());
        // through a channel without the device: the NACK comes back with its kind
        let mut ch3 = RefCellChannel::new(&cell, 3).unwrap();
        let e = ch3.write(0x48, &[0]).unwrap_err();
        assert_eq!(
            embedded_hal::i2c::Error::kind(&e),
            ErrorKind::NoAcknowledge(embedded_hal::i2c::NoAcknowledgeSource::Address)
        );
    }

    #[test]
    fn control_register_keeps_the_last_byte_and_reads_back() {
        let bus = SimI2cBus::new();
        let mux = Pca954xModel::attach(&bus, MUX + 2, 4);
        let mut raw = bus.clone();
        // "if multiple bytes are received ... it will save the last byte received"
        raw.write(MUX + 2, &[0x01, 0x02, 0x0C]).unwrap();
        let mut drv = Pca954x::new(bus.clone(), MUX + 2, Variant::Pca9546);
        assert_eq!(drv.channels().unwrap(), 0x0C);
        // a PCA9546A has 4 channels: higher bits are not kept
        raw.write(MUX + 2, &[0xF1]).unwrap();
        assert_eq!(drv.channels().unwrap(), 0x01);
        mux.handle().lock().reset();
        assert_eq!(drv.channels().unwrap(), 0x00, "RESET: no channel");
    }

    #[test]
    fn two_enabled_channels_with_the_same_address_are_wired_and() {
        let bus = SimI2cBus::new();
        let mux = Pca954xModel::attach(&bus, MUX, 8);
        let a = mux.attach(0, 0x48, Lm75Model::lm75());
        let b = mux.attach(1, 0x48, Lm75Model::lm75());
        a.lock()
            .set_temperature(Temperature::from_millicelsius(25_000)); // 0x1900
        b.lock()
            .set_temperature(Temperature::from_millicelsius(-500)); // 0xFF80
        let mut drv = Pca954x::new(bus.clone(), MUX, Variant::Pca9548);
        drv.set_channels(0b11).unwrap();
        let mut raw = bus.clone();
        let mut t = [0; 2];
        raw.write_read(0x48, &[0x00], &mut t).unwrap();
        // LM75 registers (its datasheet): 25 °C = 1900h, -0.5 °C = FF80h; both drive SDA
        let (a, b) = (0x1900u16, 0xFF80u16);
        assert_eq!(t, (a & b).to_be_bytes());
    }

    #[test]
    fn eeprom_and_sensor_behind_a_mutex_from_threads() {
        let bus = SimI2cBus::new();
        let mux = Pca954xModel::attach(&bus, MUX, 8);
        mux.attach(2, 0x4a, Lm75Model::lm75())
            .lock()
            .set_temperature(Temperature::from_millicelsius(-12_500));
        let ee = mux.attach(5, 0x51, At24Model::new(256, 8, 1, 0x51));
        let shared = Mutex::new(Pca954x::new(bus, MUX, Variant::Pca9548));
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut t = Lm75::new(MutexChannel::new(&shared, 2).unwrap(), 0x4a);
                for _ in 0..50 {
                    assert_eq!(t.temperature().unwrap().as_millicelsius(), -12_500);
                }
            });
            s.spawn(|| {
                let mut e = At24::new(MutexChannel::new(&shared, 5).unwrap(), 0x51, Ee::AT24C02);
                for i in 0..20u8 {
                    e.write(u32::from(i) * 8, &[i; 8]).unwrap();
                    let mut back = [0; 8];
                    e.read(u32::from(i) * 8, &mut back).unwrap();
                    assert_eq!(back, [i; 8]);
                }
            });
        });
        assert_eq!(ee.lock().memory()[19 * 8], 19);
    }

    #[test]
    #[should_panic(expected = "already used on the parent bus")]
    fn a_device_behind_a_channel_cannot_take_an_address_of_the_parent() {
        let bus = SimI2cBus::new();
        bus.attach(0x48, Lm75Model::lm75());
        let mux = Pca954xModel::attach(&bus, MUX, 8);
        mux.attach(0, 0x48, Lm75Model::lm75());
    }
}
