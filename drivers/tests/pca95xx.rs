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

#[test]
fn datasheet_directions_and_levels_pca9554() {
    // PCA9554 §6.2 (register 3, configuration): a bit set makes its pin an input, a bit
    // cleared an output; FFh at power-on (all inputs). Pins IO0..IO7 (pinning table).
    let ex = [
        T::write_read(0x20, vec![0x03], vec![0xFF]),
        T::write_read(0x20, vec![0x03], vec![0xF0]),
        T::write_read(0x20, vec![0x00], vec![0x5A]),
        T::write_read(0x20, vec![0x01], vec![0x05]),
    ];
    let mut m = Mock::new(&ex);
    let mut io = Pca95xx::pca9554(m.clone(), 0x20);
    let d = io.directions().unwrap();
    assert_eq!((d.bits(), d.pins()), (0xFF, 8));
    assert!(d.iter().all(|(_, dir)| dir == Direction::Input), "power-on");
    let d = block_on(io.directions_async()).unwrap();
    assert_eq!(d.get(3), Some(Direction::Output));
    assert_eq!(d.get(4), Some(Direction::Input));
    assert_eq!(d.get(8), None, "no such pin");
    let names: Vec<String> = d.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(
        names,
        ["IO0", "IO1", "IO2", "IO3", "IO4", "IO5", "IO6", "IO7"]
    );
    // Register 0 (input port): the levels the pins read; register 1: the output latches.
    let inputs = io.inputs().unwrap();
    assert_eq!(inputs.bits(), 0x5A);
    let high: Vec<u8> = inputs
        .iter()
        .filter(|&(_, h)| h)
        .map(|(p, _)| p.index())
        .collect();
    assert_eq!(high, [1, 3, 4, 6]);
    assert_eq!(inputs.is_high(0), Some(false));
    assert_eq!(inputs.is_high(8), None);
    let outputs = io.outputs().unwrap();
    assert_eq!(
        (outputs.is_high(0), outputs.is_high(1)),
        (Some(true), Some(false))
    );
    m.done();
}

#[test]
fn datasheet_directions_and_levels_pca9535() {
    // PCA9535 §6.2: configuration registers 6 (port 0) and 7 (port 1), read as a pair,
    // port 0 first; pins IO0_0..IO0_7, IO1_0..IO1_7 (pinning table).
    let ex = [
        T::write_read(0x27, vec![0x06], vec![0x00, 0xFF]),
        T::write_read(0x27, vec![0x00], vec![0x34, 0xA5]),
        T::write_read(0x27, vec![0x02], vec![0xFF, 0xFF]),
    ];
    let mut m = Mock::new(&ex);
    let mut io = Pca95xx::pca9535(m.clone(), 0x27);
    let d = io.directions().unwrap();
    assert_eq!((d.bits(), d.pins()), (0xFF00, 16));
    assert_eq!(d.get(7), Some(Direction::Output), "IO0_7");
    assert_eq!(d.get(8), Some(Direction::Input), "IO1_0");
    let pins: Vec<(String, Direction)> = d.iter().map(|(p, x)| (p.to_string(), x)).collect();
    assert_eq!(pins.len(), 16);
    assert_eq!(pins[0], ("IO0_0".to_string(), Direction::Output));
    assert_eq!(pins[10], ("IO1_2".to_string(), Direction::Input));
    assert_eq!(pins[15].0, "IO1_7");
    let inputs = io.inputs().unwrap();
    assert_eq!(inputs.bits(), 0xA534);
    let ten = inputs.iter().nth(10).unwrap();
    assert_eq!((ten.0.port(), ten.0.bit(), ten.1), (1, 2, true));
    assert_eq!(inputs.is_high(15), Some(true));
    assert_eq!(block_on(io.outputs_async()).unwrap().bits(), 0xFFFF);
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use udrv_drivers::pca95xx::model::Pca95xxModel;

    #[test]
    fn pca9535_against_model() {
        let (bus, chip) = common::sim_bus(0x21, Pca95xxModel::pca9535());
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
        let (bus, chip) = common::sim_bus(0x38, Pca95xxModel::pca9554());
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

    #[test]
    fn pca9535_blocking_change_reads_the_inputs_that_pulled_int_low() {
        let (bus, chip) = common::sim_bus(0x20, Pca95xxModel::pca9535());
        let mut line = chip.lock().int_pin();
        let mut io = Pca95xx::pca9535(bus.clone(), 0x20);
        assert_eq!(
            io.read_inputs().unwrap(),
            0x0000,
            "no pull-ups: floating reads low"
        );
        assert!(line.is_high());
        let c = chip.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            c.lock().set_input(9, Some(true));
        });
        // Polls the line (an InputPin) until the input change pulls it low.
        let v = io.next_change(&mut line).unwrap();
        t.join().unwrap();
        assert_eq!(v, 1 << 9, "P11 (pin 9) driven high, the rest floating low");
        assert!(line.is_high(), "reading the inputs clears INT");
    }
}
