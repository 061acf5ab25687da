//! MCP23S17: the SPI control byte (datasheet §1.4.2, figure 1-3) declared again,
//! byte-exact mock tests (blocking and async, HAEN switching the address in, both banks,
//! errors), and the driver against the model: hardware addressing with two chips on one
//! chip select, pins, and an interrupt arriving as an async event.

mod common;
use common::block_on;
use embedded_hal_mock::eh1::spi::{Mock, Transaction as S};
use udrv_drivers::mcp23s17::*;

/// One chip-select frame: control byte and register address, then data written.
fn write(control: u8, reg: u8, data: &[u8]) -> [S<u8>; 4] {
    [
        S::transaction_start(),
        S::write_vec(vec![control, reg]),
        S::write_vec(data.to_vec()),
        S::transaction_end(),
    ]
}

/// One chip-select frame: control byte and register address, then data read.
fn read(control: u8, reg: u8, data: &[u8]) -> [S<u8>; 4] {
    [
        S::transaction_start(),
        S::write_vec(vec![control, reg]),
        S::read_vec(data.to_vec()),
        S::transaction_end(),
    ]
}

#[test]
fn control_byte() {
    // Figure 1-3: 0 1 0 0 A2 A1 A0 R/W, R/W = 1 to read (the bytes below); HAEN is IOCON
    // bit 3 (§3.5.6).
    assert_eq!(registers::HAEN, 0b0000_1000);
    let io = Mcp23s17::new((), 0b101);
    assert_eq!(
        (
            io.registers().control_byte(false),
            io.registers().control_byte(true)
        ),
        (0x40, 0x41),
        "HAEN off at power-on: address 0"
    );
    let io = Mcp23s17::new_with_hardware_address((), 0b101);
    assert_eq!(
        (
            io.registers().control_byte(false),
            io.registers().control_byte(true)
        ),
        (0b0100_1010, 0b0100_1011)
    );
    let io = Mcp23s17::new_with_hardware_address((), 0xFF);
    assert_eq!(io.registers().control_byte(true), 0x4F, "only A2..A0");
}

#[test]
fn mock_bytes_haen_and_bank0() {
    let mut ex = Vec::new();
    // IOCON (0x0A in bank 0) with HAEN and MIRROR, sent to address 0: HAEN was off.
    ex.extend(write(0x40, 0x0A, &[0b0100_1000]));
    // From now on A2..A0 = 110: control bytes 0x4C / 0x4D.
    ex.extend(write(0x4C, 0x00, &[0x0F, 0xF0]));
    ex.extend(write(0x4C, 0x0C, &[0xFF, 0x00]));
    ex.extend(write(0x4C, 0x14, &[0xA0, 0x05]));
    ex.extend(write(0x4C, 0x15, &[0x07]));
    ex.extend(read(0x4D, 0x12, &[0x34, 0x12]));
    ex.extend(read(0x4D, 0x13, &[0x02]));
    ex.extend(write(0x4C, 0x06, &[0x00, 0xFF]));
    ex.extend(write(0x4C, 0x08, &[0x00, 0x0F]));
    ex.extend(write(0x4C, 0x04, &[0xFF, 0x0F]));
    ex.extend(read(0x4D, 0x0E, &[0x08, 0x00, 0xF7, 0x00]));
    let mut m = Mock::new(&ex);
    let mut io = Mcp23s17::new(m.clone(), 0b110);
    io.set_iocon(Iocon {
        mirror: true,
        hardware_address: true,
        ..Default::default()
    })
    .unwrap();
    io.set_directions(0xF00F).unwrap();
    io.set_pullups(0x00FF).unwrap();
    io.write_gpio(0x05A0).unwrap();
    io.set_pin(9, true).unwrap();
    assert_eq!(io.read_gpio().unwrap(), 0x1234);
    assert!(io.is_high(9).unwrap());
    io.set_interrupts(0x0FFF, 0x0F00, 0xFF00).unwrap();
    assert_eq!(
        io.take_interrupt().unwrap(),
        InterruptEvent {
            flags: 0x0008,
            captured: 0x00F7
        }
    );
    assert_eq!(io.set_pin(16, true), Err(Error::InvalidPin));
    m.done();
}

#[test]
fn async_mock_bytes_bank1_byte_mode_and_haen_off_again() {
    let mut ex = Vec::new();
    // A chip that already has HAEN (A2..A0 = 011: 0x46/0x47): bank 1, byte mode.
    ex.extend(write(0x46, 0x0A, &[0b1010_1000]));
    ex.extend(write(0x46, 0x00, &[0x00]));
    ex.extend(write(0x46, 0x10, &[0xFF]));
    ex.extend(read(0x47, 0x09, &[0x11]));
    ex.extend(read(0x47, 0x19, &[0x22]));
    // IOCON is 0x05 in bank 1; clearing HAEN goes back to address 0.
    ex.extend(write(0x46, 0x05, &[0x00]));
    ex.extend(read(0x41, 0x12, &[0x55, 0xAA]));
    let mut m = Mock::new(&ex);
    let mut io = Mcp23s17::new_with_hardware_address(m.clone(), 3);
    block_on(async {
        io.set_iocon_async(Iocon {
            bank1: true,
            no_sequential: true,
            hardware_address: true,
            ..Default::default()
        })
        .await
        .unwrap();
        io.set_directions_async(0xFF00).await.unwrap();
        assert_eq!(io.read_gpio_async().await.unwrap(), 0x2211);
        io.set_iocon_async(Iocon::default()).await.unwrap();
        assert_eq!(io.read_gpio_async().await.unwrap(), 0xAA55);
    });
    m.done();
    let _spi: Mock<u8> = io.release();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::spi::SpiDevice;
    use udrv_drivers::mcp23s17::model::Mcp23s17Model;
    use udrv_drivers::sim::{SimHandle, SimSpiDevice, SpiTarget};

    /// Several MCP23S17s on one chip select: each byte reaches every chip; SO lines are
    /// wired together (an undriven one reads 1: the driving chip's bits win by AND).
    struct SharedSelect(Vec<SimHandle<Mcp23s17Model>>);

    impl SpiTarget for SharedSelect {
        fn select(&mut self) {
            self.0.iter().for_each(|c| c.lock().select());
        }
        fn transfer(&mut self, mosi: u8) -> u8 {
            self.0
                .iter()
                .fold(0xFF, |so, c| so & c.lock().transfer(mosi))
        }
        fn deselect(&mut self) {
            self.0.iter().for_each(|c| c.lock().deselect());
        }
    }

    fn two_chips() -> (
        [SimHandle<Mcp23s17Model>; 2],
        Mcp23s17<SimSpiDevice>,
        Mcp23s17<SimSpiDevice>,
    ) {
        let chips = [
            SimHandle::new(Mcp23s17Model::new(0)),
            SimHandle::new(Mcp23s17Model::new(5)),
        ];
        let (spi, _) = SimSpiDevice::new(SharedSelect(chips.to_vec()));
        let a = Mcp23s17::new(spi.clone(), 0);
        let b = Mcp23s17::new(spi, 5);
        (chips, a, b)
    }

    #[test]
    fn hardware_addressing_two_chips_on_one_chip_select() {
        let (chips, mut a, mut b) = two_chips();
        // HAEN off: both answer address 0, so a write through either reaches both.
        b.set_pullups(0x0F00).unwrap();
        for c in &chips {
            assert!(c.lock().pin_level(8) && !c.lock().pin_level(0));
        }
        // One IOCON write (at address 0) sets HAEN in both.
        a.set_iocon(Iocon {
            hardware_address: true,
            ..Default::default()
        })
        .unwrap();
        b.set_iocon(Iocon {
            hardware_address: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            [
                chips[0].lock().answers_address(),
                chips[1].lock().answers_address()
            ],
            [0, 5]
        );
        assert_eq!(chips[1].lock().iocon(), 0b0000_1000);
        // Now each driver reaches only its own chip.
        a.set_directions(0xFF00).unwrap();
        a.write_gpio(0x00A5).unwrap();
        b.set_directions(0x00FF).unwrap();
        b.write_gpio(0x3C00).unwrap();
        for n in 0..8 {
            assert_eq!(chips[0].lock().pin_level(n), 0xA5 & (1 << n) != 0, "a {n}");
            assert!(!chips[1].lock().pin_level(n), "b's port A is input");
            assert_eq!(
                chips[1].lock().pin_level(8 + n),
                0x3C & (1 << n) != 0,
                "b {n}"
            );
        }
        chips[0].lock().set_input(12, Some(false));
        chips[1].lock().set_input(3, Some(true));
        assert_eq!(a.read_gpio().unwrap(), 0x0FA5);
        assert_eq!(b.read_gpio().unwrap(), 0x3C08);
        // A driver still using address 0 for chip 5 is not answered (SO undriven).
        let mut stale = Mcp23s17::new(b.release(), 5);
        assert_eq!(
            stale.read_gpio().unwrap(),
            0x0FA5,
            "chip 0 answers address 0"
        );
        let mut raw = stale.release();
        let mut f = [0x4B, 0x12, 0, 0];
        raw.transfer_in_place(&mut f).unwrap();
        assert_eq!(f[2..], [0x08, 0x3C], "address 5 reads chip 5");
        let mut f = [0x4F, 0x12, 0, 0];
        raw.transfer_in_place(&mut f).unwrap();
        assert_eq!(f[2..], [0xFF, 0xFF], "nobody at address 7");
    }

    #[test]
    fn both_banks_and_interrupt_as_async_event() {
        let (spi, chip) = SimSpiDevice::new(Mcp23s17Model::new(2));
        let mut io = Mcp23s17::new(spi.clone(), 2);
        // A failed transfer comes back typed, and nothing reached the chip.
        spi.fail_next();
        assert!(matches!(io.set_pullups(0xFFFF), Err(Error::Bus(_))));
        assert_eq!(io.read_pair(Reg::Gppu).unwrap(), 0);
        for bank1 in [true, false] {
            io.set_iocon(Iocon {
                bank1,
                hardware_address: true,
                ..Default::default()
            })
            .unwrap();
            assert_eq!(io.read_pair(Reg::Iodir).unwrap(), 0xFFFF);
            io.set_directions(0x0F0F).unwrap();
            io.write_gpio(0xA050).unwrap();
            assert_eq!(io.read_pair(Reg::Olat).unwrap(), 0xA050, "bank1 {bank1}");
            assert!(chip.lock().pin_level(15) && !chip.lock().pin_level(14));
            io.set_directions(0xFFFF).unwrap();
        }
        let mut line = chip.lock().int_a();
        io.set_pullups(0x00FF).unwrap();
        io.set_interrupts(0x00FF, 0, 0).unwrap();
        let c = chip.clone();
        let presser = common::later(move || c.lock().set_input(1, Some(false)));
        let ev = udrv_drivers::sim::block_on(io.next_interrupt_async(&mut line)).unwrap();
        presser.join().unwrap();
        assert_eq!(
            ev,
            InterruptEvent {
                flags: 1 << 1,
                captured: 0x00FD
            }
        );
        assert!(line.is_high(), "cleared by reading INTCAP");
    }
}
