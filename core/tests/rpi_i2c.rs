//! Core I2C on the emulated Raspberry Pi 3B's real BSC controller (`i2c-bcm2835`, a full
//! I2C adapter) against QEMU's chip models (`cargo xtask vmtest --board rpi3b`).
//!
//! `/dev/i2c-1`: at24c-eeprom 256 B at 0x50 (user space), tmp105 at 0x48 (user space),
//! tmp105 at 0x49 bound to the kernel's `lm75`, at24c-eeprom at 0x57 bound to `at24`
//! (see `xtask/src/rpi.rs`). The EEPROM model keeps one address counter: a write sets it
//! from the first byte(s) after a START, reads continue from it and wrap at the end.
#![cfg(udrv_guest_rpi)]

use embedded_hal::i2c::{Error as _, ErrorKind, I2c, Operation};
use udrv_core::i2c::{Error, Funcs, I2cBus};

const EEPROM: u8 = 0x50;

fn bus() -> I2cBus {
    let n: u32 = std::env::var("UDRV_RPI_I2C_BUS")
        .expect("UDRV_RPI_I2C_BUS not set: the rpi fixtures failed (see the console)")
        .parse()
        .expect("a bus number");
    I2cBus::open(n).expect("open /dev/i2c-1")
}

#[test]
fn the_header_bus_is_the_bcm2835_with_plain_i2c() {
    let bus = bus();
    assert_eq!(bus.number(), Some(1));
    assert!(
        bus.name().contains("bcm2835"),
        "adapter name {:?}",
        bus.name()
    );
    assert!(bus.funcs().contains(Funcs::I2C), "funcs {}", bus.funcs());
    // The BSC has no 10-bit addressing and no SMBus PEC in hardware.
    assert!(
        !bus.funcs().contains(Funcs::TEN_BIT_ADDR),
        "funcs {}",
        bus.funcs()
    );
}

#[test]
fn write_then_repeated_start_read_returns_what_was_written() {
    let mut bus = bus();
    bus.write(EEPROM, &[0x10, 0xde, 0xad, 0xbe, 0xef])
        .expect("address + data write");
    let mut back = [0u8; 4];
    bus.write_read(EEPROM, &[0x10], &mut back)
        .expect("address write + repeated-start read");
    assert_eq!(back, [0xde, 0xad, 0xbe, 0xef]);
    // The counter went on past the bytes read: a plain read continues at 0x14.
    bus.write(EEPROM, &[0x14, 0x42]).unwrap();
    bus.write(EEPROM, &[0x10]).unwrap();
    let mut four = [0u8; 4];
    bus.read(EEPROM, &mut four).unwrap();
    let mut next = [0u8; 1];
    bus.read(EEPROM, &mut next).unwrap();
    assert_eq!(four, [0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(next, [0x42]);
}

#[test]
fn adjacent_writes_in_a_transaction_are_one_message() {
    // Were the two writes two messages, the repeated START would make the model take the
    // first data byte as a new address.
    let mut bus = bus();
    bus.transaction(
        EEPROM,
        &mut [Operation::Write(&[0x30]), Operation::Write(&[1, 2, 3, 4])],
    )
    .unwrap();
    let (mut a, mut b) = ([0u8; 2], [0u8; 2]);
    // Adjacent reads are one message too: the four bytes come in order.
    bus.transaction(
        EEPROM,
        &mut [
            Operation::Write(&[0x30]),
            Operation::Read(&mut a),
            Operation::Read(&mut b),
        ],
    )
    .unwrap();
    assert_eq!((a, b), ([1, 2], [3, 4]));
}

#[test]
fn sequential_read_wraps_from_the_last_byte_to_the_first() {
    let mut bus = bus();
    bus.write(EEPROM, &[0xfe, 0xa1, 0xa2]).unwrap();
    bus.write(EEPROM, &[0x00, 0xb1, 0xb2]).unwrap();
    let mut buf = [0u8; 4];
    bus.write_read(EEPROM, &[0xfe], &mut buf).unwrap();
    assert_eq!(buf, [0xa1, 0xa2, 0xb1, 0xb2]);
}

#[test]
fn smbus_commands_are_emulated_over_the_i2c_controller() {
    let bus = bus();
    bus.smbus_write_byte_data(EEPROM as u16, 0x40, 0x5a)
        .unwrap();
    assert_eq!(bus.smbus_read_byte_data(EEPROM as u16, 0x40).unwrap(), 0x5a);
    bus.smbus_write_i2c_block_data(EEPROM as u16, 0x41, &[9, 8, 7])
        .unwrap();
    let mut blk = [0u8; 4];
    let n = bus
        .smbus_read_i2c_block_data(EEPROM as u16, 0x40, &mut blk)
        .unwrap();
    assert_eq!(&blk[..n], &[0x5a, 9, 8, 7]);
    // SMBus words are little-endian; the tmp105's registers are big-endian: the same
    // bytes as an I2C read, swapped.
    let mut raw = [0u8; 2];
    let mut hal = bus.clone();
    hal.write_read(0x48u8, &[0x00], &mut raw).unwrap();
    let word = bus.smbus_read_word_data(0x48, 0x00).unwrap();
    assert_eq!(word.to_le_bytes(), raw);
}

#[test]
fn addresses_bound_by_kernel_drivers_are_uu() {
    let bus = bus();
    assert_eq!(bus.address_user(0x49).unwrap().as_deref(), Some("lm75"));
    assert_eq!(bus.address_user(0x57).unwrap().as_deref(), Some("at24"));
    assert_eq!(bus.address_user(0x48).unwrap(), None);
    assert_eq!(bus.address_user(0x50).unwrap(), None);
    match bus.smbus_read_byte_data(0x49, 0x01) {
        Err(Error::AddressBusy { addr, driver, .. }) => {
            assert_eq!(addr, 0x49);
            assert_eq!(driver.as_deref(), Some("lm75"));
        }
        other => panic!("SMBus at a driver's address: {other:?}"),
    }
    // I2C_SLAVE_FORCE reaches it anyway: the tmp105 config register.
    let forced = bus.clone().with_force(true);
    forced
        .smbus_read_byte_data(0x49, 0x01)
        .expect("forced read");
}

#[test]
fn an_absent_address_is_not_acknowledged() {
    let mut bus = bus();
    let err = bus.write(0x51u8, &[0x00]).expect_err("nothing at 0x51");
    // i2c-bcm2835 reports a NAK as EREMOTEIO, which does not say which byte was refused.
    assert!(
        matches!(err.kind(), ErrorKind::NoAcknowledge(_)),
        "{err} -> {:?}",
        err.kind()
    );
    println!("NAK on i2c-bcm2835: {err}");
    let mut b = [0u8; 1];
    let err = bus.read(0x51u8, &mut b).expect_err("nothing at 0x51");
    assert!(matches!(err.kind(), ErrorKind::NoAcknowledge(_)), "{err}");
    // The bus still works after the NAKs.
    bus.write_read(EEPROM, &[0x10], &mut b).unwrap();
}

#[test]
fn the_kernel_at24_driver_sees_what_its_address_holds() {
    // The at24 driver's sysfs file and a forced raw read agree (0x57, 24c02).
    let path = "/sys/bus/i2c/devices/1-0057/eeprom";
    std::fs::write(path, b"udrv-rpi").expect("write through the at24 driver");
    let mut raw = [0u8; 8];
    let mut forced = bus().with_force(true);
    forced.write_read(0x57u8, &[0x00], &mut raw).unwrap();
    assert_eq!(&raw, b"udrv-rpi");
}

#[test]
fn a_pca9548_channel_reaches_the_chips_behind_it() {
    // QEMU's pca9548 at 0x70: tmp105 0x4a behind channel 2, at24c-eeprom 0x51 behind
    // channel 5. The control register is one byte, a bit per channel.
    let mut bus = bus();
    let mut b = [0u8; 2];
    bus.write(0x70u8, &[1 << 2]).unwrap();
    let mut ctl = [0u8; 1];
    bus.read(0x70u8, &mut ctl).unwrap();
    assert_eq!(ctl, [1 << 2]);
    bus.write_read(0x4au8, &[0x00], &mut b)
        .expect("tmp105 behind channel 2");
    assert!(
        bus.write_read(0x51u8, &[0x00], &mut b).is_err(),
        "0x51 is on channel 5"
    );
    bus.write(0x70u8, &[1 << 5]).unwrap();
    bus.write_read(0x51u8, &[0x00], &mut b)
        .expect("EEPROM behind channel 5");
    assert!(
        bus.write_read(0x4au8, &[0x00], &mut b).is_err(),
        "channel 2 is off"
    );
    bus.write(0x70u8, &[0]).unwrap();
    assert!(
        bus.write_read(0x51u8, &[0x00], &mut b).is_err(),
        "all channels off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_transactions_from_concurrent_tasks_on_the_bcm2835() {
    use embedded_hal_async::i2c::I2c as AsyncI2c;
    use udrv_core::i2c::asynch::AsyncI2cBus;

    let mut bus = AsyncI2cBus::new(bus());
    bus.write(EEPROM, &[0x60, 0x11, 0x22, 0x33]).await.unwrap();
    let mut three = [0u8; 3];
    bus.write_read(EEPROM, &[0x60], &mut three).await.unwrap();
    assert_eq!(three, [0x11, 0x22, 0x33]);
    // Clones share the adapter; tasks on two threads interleave whole transactions.
    let tasks: Vec<_> = (0..4u8)
        .map(|t| {
            let mut b = AsyncI2cBus::new(bus.inner().clone());
            tokio::spawn(async move {
                for i in 0..10u8 {
                    let at = 0x70 + t * 4;
                    b.write(EEPROM, &[at, t, i]).await.unwrap();
                    let mut back = [0u8; 2];
                    b.write_read(EEPROM, &[at], &mut back).await.unwrap();
                    assert_eq!(back, [t, i], "task {t} round {i}");
                    let mut temp = [0u8; 2];
                    b.write_read(0x48u8, &[0x00], &mut temp).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}
