//! MCP23017: register addresses in both banks (datasheet tables 3-3/3-4), byte-exact
//! mock tests, and the driver against the model: directions, pull-ups, polarity,
//! outputs, interrupts on change and against DEFVAL, INTF/INTCAP, INTA/INTB with MIRROR
//! and polarity, and an interrupt arriving as an async event on a wired line.

mod common;
use common::block_on;
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::mcp23017::registers::{address, Reg};
use udrv_drivers::mcp23017::*;

const ADDR: u8 = 0x20;

#[test]
fn register_addresses_both_banks() {
    // Table 3-3 (BANK = 1) and 3-4 (BANK = 0), declared again here:
    // (reg, bank1 A, bank1 B, bank0 A, bank0 B)
    let table = [
        (Reg::Iodir, 0x00, 0x10, 0x00, 0x01),
        (Reg::Ipol, 0x01, 0x11, 0x02, 0x03),
        (Reg::Gpinten, 0x02, 0x12, 0x04, 0x05),
        (Reg::Defval, 0x03, 0x13, 0x06, 0x07),
        (Reg::Intcon, 0x04, 0x14, 0x08, 0x09),
        (Reg::Iocon, 0x05, 0x15, 0x0A, 0x0B),
        (Reg::Gppu, 0x06, 0x16, 0x0C, 0x0D),
        (Reg::Intf, 0x07, 0x17, 0x0E, 0x0F),
        (Reg::Intcap, 0x08, 0x18, 0x10, 0x11),
        (Reg::Gpio, 0x09, 0x19, 0x12, 0x13),
        (Reg::Olat, 0x0A, 0x1A, 0x14, 0x15),
    ];
    for (r, b1a, b1b, b0a, b0b) in table {
        assert_eq!(
            [
                address(true, r, 0),
                address(true, r, 1),
                address(false, r, 0),
                address(false, r, 1)
            ],
            [b1a, b1b, b0a, b0b],
            "{r:?}"
        );
    }
    // IOCON bits (§3.5.6): BANK 7, MIRROR 6, SEQOP 5, DISSLW 4, HAEN 3, ODR 2, INTPOL 1.
    let all = Iocon {
        bank1: true,
        mirror: true,
        no_sequential: true,
        no_slew: true,
        hardware_address: true,
        int_open_drain: true,
        int_active_high: true,
    };
    assert_eq!(all.bits(), 0b1111_1110);
}

#[test]
fn bank0_mock_bytes() {
    let ex = [
        T::write(ADDR, vec![0x0A, 0b0100_0010]),
        T::write(ADDR, vec![0x00, 0x0F, 0xF0]),
        T::write(ADDR, vec![0x0C, 0xFF, 0x00]),
        T::write(ADDR, vec![0x02, 0x01, 0x80]),
        T::write(ADDR, vec![0x14, 0xA0, 0x05]),
        T::write(ADDR, vec![0x15, 0x07]),
        T::write_read(ADDR, vec![0x12], vec![0x34, 0x12]),
        T::write_read(ADDR, vec![0x13], vec![0x02]),
        T::write(ADDR, vec![0x06, 0x00, 0xFF]),
        T::write(ADDR, vec![0x08, 0x00, 0x0F]),
        T::write(ADDR, vec![0x04, 0xFF, 0x0F]),
        T::write_read(ADDR, vec![0x0E], vec![0x08, 0x00, 0xF7, 0x00]),
        T::write_read(ADDR, vec![0x0E], vec![0, 0]).with_error(ErrorKind::Bus),
    ];
    let mut m = Mock::new(&ex);
    let mut io = Mcp23017::new(m.clone(), ADDR);
    io.set_iocon(Iocon {
        mirror: true,
        int_active_high: true,
        ..Default::default()
    })
    .unwrap();
    io.set_directions(0xF00F).unwrap();
    io.set_pullups(0x00FF).unwrap();
    io.set_polarity(0x8001).unwrap();
    io.write_gpio(0x05A0).unwrap();
    block_on(io.set_pin_async(9, true)).unwrap();
    assert_eq!(io.read_gpio().unwrap(), 0x1234);
    assert!(io.is_high(9).unwrap());
    io.set_interrupts(0x0FFF, 0x0F00, 0xFF00).unwrap();
    let ev = io.take_interrupt().unwrap();
    assert_eq!(
        ev,
        InterruptEvent {
            flags: 0x0008,
            captured: 0x00F7
        }
    );
    assert_eq!(io.interrupt_flags(), Err(Error::Bus(ErrorKind::Bus)));
    assert_eq!(io.set_pin(16, true), Err(Error::InvalidPin));
    m.done();
}

#[test]
fn bank1_and_byte_mode_mock_bytes() {
    let ex = [
        // IOCON is at 0x0A in bank 0; afterwards port B is 0x10 up and pairs are split.
        T::write(ADDR, vec![0x0A, 0b1010_0100]),
        T::write(ADDR, vec![0x00, 0x00]),
        T::write(ADDR, vec![0x10, 0xFF]),
        T::write_read(ADDR, vec![0x09], vec![0x11]),
        T::write_read(ADDR, vec![0x19], vec![0x22]),
        T::write_read(ADDR, vec![0x07], vec![0x01]),
        T::write_read(ADDR, vec![0x08], vec![0x10]),
        T::write_read(ADDR, vec![0x17], vec![0x00]),
        T::write_read(ADDR, vec![0x18], vec![0x00]),
        T::write(ADDR, vec![0x0A, 0x80]),
        T::write(ADDR, vec![0x05, 0x00]),
    ];
    let mut m = Mock::new(&ex);
    let mut io = Mcp23017::new(m.clone(), ADDR);
    io.set_iocon(Iocon {
        bank1: true,
        no_sequential: true,
        int_open_drain: true,
        ..Default::default()
    })
    .unwrap();
    io.set_directions(0xFF00).unwrap();
    assert_eq!(io.read_gpio().unwrap(), 0x2211);
    let ev = block_on(io.take_interrupt_async()).unwrap();
    assert_eq!(
        ev,
        InterruptEvent {
            flags: 0x0001,
            captured: 0x0010
        }
    );
    io.set_pin(7, true).unwrap();
    io.set_iocon(Iocon::default()).unwrap();
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use udrv_drivers::mcp23017::model::Mcp23017Model;
    use udrv_drivers::sim::{SimHandle, SimI2cBus};

    fn setup() -> (SimHandle<Mcp23017Model>, Mcp23017<SimI2cBus>) {
        let (bus, chip) = common::sim_bus(ADDR, Mcp23017Model::new());
        (chip, Mcp23017::new(bus, ADDR))
    }

    #[test]
    fn directions_pullups_polarity_outputs() {
        for bank1 in [false, true] {
            for no_sequential in [false, true] {
                let (chip, mut io) = setup();
                io.set_iocon(Iocon {
                    bank1,
                    no_sequential,
                    ..Default::default()
                })
                .unwrap();
                // Power-on: all inputs, floating ones read low, with pull-ups high.
                assert_eq!(io.read_pair(Reg::Iodir).unwrap(), 0xFFFF);
                assert_eq!(io.read_gpio().unwrap(), 0x0000);
                io.set_pullups(0x00FF).unwrap();
                assert_eq!(io.read_gpio().unwrap(), 0x00FF);
                chip.lock().set_input(3, Some(false));
                chip.lock().set_input(12, Some(true));
                assert_eq!(io.read_gpio().unwrap(), 0x10F7);
                io.set_polarity(0x1001).unwrap();
                assert_eq!(io.read_gpio().unwrap(), 0x00F6);
                // Outputs on the upper nibble of each port.
                io.set_directions(0x0F0F).unwrap();
                io.write_gpio(0xA050).unwrap();
                for n in [4, 6, 13, 15] {
                    assert!(chip.lock().pin_level(n), "pin {n} bank1 {bank1}");
                }
                assert!(!chip.lock().pin_level(5));
                io.set_pin(5, true).unwrap();
                io.set_pin(15, false).unwrap();
                assert!(chip.lock().pin_level(5) && !chip.lock().pin_level(15));
                assert_eq!(io.read_pair(Reg::Olat).unwrap(), 0x2070);
                assert!(io.is_high(13).unwrap() && !io.is_high(14).unwrap());
            }
        }
    }

    #[test]
    fn interrupt_on_change_capture_and_clear() {
        let (chip, mut io) = setup();
        let int_a = chip.lock().int_a();
        let int_b = chip.lock().int_b();
        io.set_pullups(0xFFFF).unwrap();
        io.set_interrupts(0xFFFF, 0x0000, 0x0000).unwrap();
        assert!(int_a.is_high() && int_b.is_high(), "active low, idle high");
        chip.lock().set_input(2, Some(false)); // button on GPA2 pressed
        assert!(int_a.is_low() && int_b.is_high());
        chip.lock().set_input(5, Some(false)); // a second change waits for the clear
        let ev = io.take_interrupt().unwrap();
        // INTCAPB captured nothing (no port B event): it reads its reset value 0.
        assert_eq!(
            ev,
            InterruptEvent {
                flags: 1 << 2,
                captured: 0x00FB
            }
        );
        assert!(int_a.is_high(), "cleared by reading INTCAP");
        assert_eq!(
            io.interrupt_flags().unwrap(),
            0,
            "on-change: no new event after clear"
        );
        assert_eq!(io.read_gpio().unwrap(), 0xFFDB);
        // Port B reports on INTB.
        chip.lock().set_input(8 + 7, Some(false));
        assert!(int_b.is_low() && int_a.is_high());
        assert_eq!(io.interrupt_flags().unwrap(), 0x8000);
        io.read_gpio().unwrap();
        assert!(int_b.is_high(), "cleared by reading GPIO");
    }

    #[test]
    fn interrupt_against_defval_persists_and_mirror_polarity() {
        let (chip, mut io) = setup();
        let int_a = chip.lock().int_a();
        io.set_iocon(Iocon {
            mirror: true,
            int_active_high: true,
            ..Default::default()
        })
        .unwrap();
        assert!(int_a.is_low(), "active high, idle low");
        io.set_pullups(0xFF00).unwrap();
        // Port B pins against DEFVAL = 1: an interrupt while a pin is low.
        io.set_interrupts(0xFF00, 0xFF00, 0xFF00).unwrap();
        chip.lock().set_input(9, Some(false));
        assert!(int_a.is_high(), "MIRROR: port B shows on INTA");
        let ev = io.take_interrupt().unwrap();
        assert_eq!(ev.flags, 0x0200);
        assert!(int_a.is_high(), "still low against DEFVAL: re-asserted");
        chip.lock().set_input(9, None); // released: the pull-up brings it back to 1
        io.take_interrupt().unwrap();
        assert!(int_a.is_low());
        // Open drain overrides INTPOL: active low.
        io.set_iocon(Iocon {
            int_open_drain: true,
            int_active_high: true,
            ..Default::default()
        })
        .unwrap();
        assert!(int_a.is_high());
        assert_eq!(chip.lock().iocon(), 0b0000_0110);
    }

    #[test]
    fn pin_change_arrives_as_async_event() {
        let (chip, mut io) = setup();
        let mut line = chip.lock().int_a();
        io.set_pullups(0x00FF).unwrap();
        io.set_interrupts(0x00FF, 0, 0).unwrap();
        let c = chip.clone();
        let presser = common::later(move || c.lock().set_input(6, Some(false)));
        let ev = udrv_drivers::sim::block_on(io.next_interrupt_async(&mut line)).unwrap();
        presser.join().unwrap();
        assert_eq!(
            ev,
            InterruptEvent {
                flags: 1 << 6,
                captured: 0x00BF
            }
        );
        // The blocking variant sees a level that is already low.
        chip.lock().set_input(6, None);
        let ev = io.next_interrupt(&mut line).unwrap();
        assert_eq!(ev.flags, 1 << 6);
    }

    #[test]
    fn sequential_read_wraps_and_byte_mode_toggles() {
        let (bus, _chip) = common::sim_bus(ADDR, Mcp23017Model::new());
        let mut raw = bus.clone();
        // Bank 0 sequential: 0x15 (OLATB) is followed by 0x00 (IODIRA).
        let mut b = [0; 2];
        raw.write_read(ADDR, &[0x15], &mut b).unwrap();
        assert_eq!(b, [0x00, 0xFF]);
        // Byte mode in bank 0: the pointer toggles IODIRA <-> IODIRB.
        raw.write(ADDR, &[0x0A, 0x20]).unwrap();
        raw.write(ADDR, &[0x00, 0x12, 0x34, 0x56]).unwrap();
        raw.write_read(ADDR, &[0x00], &mut b).unwrap();
        assert_eq!(b, [0x56, 0x34]);
    }
}
