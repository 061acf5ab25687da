//! Raw `I2C_RDWR` transfers (`I2cBus::transfer`) on the real kernel: messages as given,
//! several addresses, the 42-message limit, SMBus-only adapters refused before any I/O.
#![cfg(udrv_guest)]

use udrv_core::i2c::{Error, I2cBus, Message};

fn bus(var: &str) -> I2cBus {
    let n: u32 = std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: its fixture failed"))
        .parse()
        .unwrap();
    I2cBus::open(n).unwrap()
}

#[test]
fn messages_to_several_addresses_in_one_ioctl() {
    let b = bus("UDRV_I2C_PARPORT_BUS");
    let reg = [0x00u8];
    let mut a = [0xffu8; 2];
    let mut c = [0xffu8; 3];
    let mut msgs = [
        Message::write(0x50, &reg),
        Message::read(0x51, &mut a),
        Message::read(0x52, &mut c),
    ];
    b.transfer(&mut msgs).unwrap();
    // Every address acknowledges on this adapter and the data line reads low.
    assert_eq!((a, c), ([0, 0], [0, 0, 0]));
}

#[test]
fn more_than_42_messages_are_refused_before_any_io() {
    let b = bus("UDRV_I2C_PARPORT_BUS");
    let data = [0u8];
    let mut msgs: Vec<Message<'_>> = (0..43).map(|_| Message::write(0x50, &data)).collect();
    match b.transfer(&mut msgs) {
        Err(Error::TooManyMessages {
            count: 43, max: 42, ..
        }) => {}
        other => panic!("expected TooManyMessages, got {other:?}"),
    }
}

#[test]
fn an_smbus_only_adapter_is_refused_naming_the_capability() {
    let b = bus("UDRV_I2C_STUB_BUS");
    let data = [0u8];
    let e = b.transfer(&mut [Message::write(0x48, &data)]).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("SMBus stub") && text.contains("I2C_FUNC_I2C"),
        "{text}"
    );
}

#[test]
fn out_of_range_address_is_refused() {
    let b = bus("UDRV_I2C_PARPORT_BUS");
    let data = [0u8];
    let e = b.transfer(&mut [Message::write(0x80, &data)]).unwrap_err();
    assert!(
        matches!(e, Error::InvalidAddress { addr: 0x80, .. }),
        "{e:?}"
    );
}
