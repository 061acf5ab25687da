//! PCA9554 / PCA9535: command bytes (datasheet register tables), byte-exact mock tests,
//! and the driver against the model (directions, latches, polarity, pair access, INT).

mod common;
use common::block_on;
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::pca95xx::*;

#[test]
fn pca9554_bytes() {
    // PCA9554 command bytes: 0 input, 1 output, 2 polarity inversion, 3 configuration.
    let ex = [
        T::write(0x20, vec![0x03, 0xF0]),
        T::write(0x20, vec![0x02, 0x80]),
        T::write(0x20, vec![0x01, 0x05]),
        T::write(0x20, vec![0x01, 0x0D]),
        T::write_read(0x20, vec![0x00], vec![0x5A]),
        T::write_read(0x20, vec![0x00], vec![0x08]),
        T::write_read(0x20, vec![0x03], vec![0xF0]),
        T::write_read(0x20, vec![0x00], vec![0]).with_error(ErrorKind::Other),
    ];
    let mut m = Mock::new(&ex);
    let mut io = Pca95xx::pca9554(m.clone(), 0x20);
    assert_eq!(io.pins(), 8);
    io.set_directions(0x00F0).unwrap();
    io.set_polarity(0x0080).unwrap();
    io.write_outputs(0x0005).unwrap();
    io.set_pin(3, true).unwrap();
    assert_eq!(io.read_inputs().unwrap(), 0x5A);
    assert!(io.is_high(3).unwrap());
    assert_eq!(io.read_reg(registers::CONFIG).unwrap(), 0xF0);
    assert_eq!(io.read_inputs(), Err(Error::Bus(ErrorKind::Other)));
    assert_eq!(io.set_pin(8, true), Err(Error::InvalidPin));
    m.done();
}

#[test]
fn pca9535_bytes() {
    // PCA9535 command bytes: 0/1 input port 0/1, 2/3 output, 4/5 polarity, 6/7 config;
    // a two-byte access covers the pair.
    let ex = [
        T::write(0x27, vec![0x06, 0x00, 0xFF]),
        T::write(0x27, vec![0x04, 0x00, 0x0F]),
        T::write(0x27, vec![0x02, 0x34, 0x12]),
        T::write(0x27, vec![0x02, 0x34, 0x92]),
        T::write_read(0x27, vec![0x00], vec![0x34, 0xA5]),
        T::write_read(0x27, vec![0x01], vec![0x80]),
    ];
    let mut m = Mock::new(&ex);
    let mut io = Pca95xx::pca9535(m.clone(), 0x27);
    io.set_directions(0xFF00).unwrap();
    io.set_polarity(0x0F00).unwrap();
    block_on(io.write_outputs_async(0x1234)).unwrap();
    io.set_pin(15, true).unwrap();
    assert_eq!(io.read_inputs().unwrap(), 0xA534);
    assert!(block_on(io.is_high_async(15)).unwrap());
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use udrv_drivers::pca95xx::model::Pca95xxModel;
    use udrv_drivers::sim::SimI2cBus;

    #[test]
    fn pca9535_against_model() {
        let bus = SimI2cBus::new();
        let chip = bus.attach(0x21, Pca95xxModel::pca9535());
        let mut io = Pca95xx::pca9535(bus.clone(), 0x21);
        // Power-on (datasheet register defaults): outputs FFh, polarity 00h, config FFh.
        assert_eq!(io.read_reg(registers::OUTPUT).unwrap(), 0xFFFF);
        assert_eq!(io.read_reg(registers::POLARITY).unwrap(), 0x0000);
        assert_eq!(io.read_reg(registers::CONFIG).unwrap(), 0xFFFF);
        assert_eq!(io.read_inputs().unwrap(), 0x0000, "floating, no pull-ups");
        io.set_directions(0xFF00).unwrap();
        io.write_outputs(0x00A5).unwrap();
        for n in 0..8 {
            assert_eq!(chip.lock().pin_level(n), 0xA5 & (1 << n) != 0);
        }
        chip.lock().set_input(9, Some(true));
        chip.lock().set_input(15, Some(true));
        assert_eq!(io.read_inputs().unwrap(), 0x82A5, "outputs read back too");
        io.set_polarity(0x8001).unwrap();
        assert_eq!(io.read_inputs().unwrap(), 0x02A4);
        io.set_pin(1, true).unwrap();
        assert!(chip.lock().pin_level(1));
        // A 3-byte read toggles back to port 0.
        let mut raw = bus.clone();
        let mut b = [0; 3];
        raw.write_read(0x21, &[0x06], &mut b).unwrap();
        assert_eq!(b, [0x00, 0xFF, 0x00]);
    }

    #[test]
    fn pca9554_int_and_async_change() {
        let bus = SimI2cBus::new();
        let chip = bus.attach(0x38, Pca95xxModel::pca9554());
        let mut line = chip.lock().int_pin();
        let mut io = Pca95xx::pca9554(bus.clone(), 0x38);
        assert_eq!(io.read_inputs().unwrap(), 0xFF, "internal pull-ups");
        io.set_directions(0x0F).unwrap();
        assert!(line.is_high());
        chip.lock().set_input(2, Some(false));
        assert!(line.is_low(), "input change asserts INT");
        chip.lock().set_input(2, None);
        assert!(line.is_high(), "back to the last-read state clears it");
        chip.lock().set_input(0, Some(false));
        assert_eq!(io.read_inputs().unwrap() & 0x0F, 0x0E);
        assert!(line.is_high(), "reading the inputs clears it");
        // Output pins never raise INT.
        io.write_outputs(0x00).unwrap();
        assert!(line.is_high());
        let c = chip.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            c.lock().set_input(3, Some(false));
        });
        let v = udrv_drivers::sim::block_on(io.next_change_async(&mut line)).unwrap();
        t.join().unwrap();
        assert_eq!(v & 0x0F, 0x06);
        assert!(line.is_high());
    }
}
