//! I2C against the real kernel, in the QEMU guest (`cargo xtask vmtest --only guest_i2c`).
//!
//! Fixtures (xtask/guest/fixtures.sh): i2c-stub (SMBus-only; chips at 0x48 0x50 0x52
//! 0x53, block data enabled, `dummy` driver bound at 0x53) and i2c-parport type=1 (plain
//! I2C adapter: every address acknowledges, reads return 0x00).
#![cfg(udrv_guest)] // on the host this file compiles to nothing (the docs above stay)

mod common;

use common::{
    check_cross_process_lock, env, off_the_reactor, on_threads, one_thread_runtime, parport, stub,
};

use std::time::Duration;

use embedded_hal::i2c::{Error as _, ErrorKind, I2c, NoAcknowledgeSource, Operation};
use udrv_core::i2c::{self, Error, Funcs, I2cBus, Op};

fn driver_addr() -> u16 {
    let s = env("UDRV_I2C_STUB_DRIVER_ADDR");
    u16::from_str_radix(s.trim_start_matches("0x"), 16).expect("UDRV_I2C_STUB_DRIVER_ADDR is hex")
}

// ---- opening, capabilities --------------------------------------------------------------

#[test]
fn stub_capabilities_are_decoded() {
    let bus = stub();
    assert_eq!(bus.name(), "SMBus stub driver");
    let f = bus.funcs();
    // What the fixture asked of i2c-stub: its default plus block data.
    assert_eq!(f.bits(), 0x0f7f_0000, "{f:?}");
    assert!(f.contains(Funcs::SMBUS_QUICK | Funcs::SMBUS_BYTE_DATA | Funcs::SMBUS_BLOCK_DATA));
    assert!(!f.intersects(Funcs::I2C | Funcs::SMBUS_PEC | Funcs::SMBUS_PROC_CALL));
    // No device tree on a PC guest: no configured clock to report.
    assert_eq!(bus.clock_frequency_hz(), None);
}

#[test]
fn parport_capabilities_are_decoded() {
    let bus = parport();
    let f = bus.funcs();
    assert!(
        f.contains(Funcs::I2C | Funcs::TEN_BIT_ADDR | Funcs::SMBUS_PEC),
        "{f:?}"
    );
    assert!(bus.name().contains("Parallel port"), "{}", bus.name());
}

#[test]
fn buses_open_by_name_and_are_listed() {
    let n: u32 = env("UDRV_I2C_STUB_BUS").parse().unwrap();
    let bus = I2cBus::open_by_name("SMBus stub driver").expect("open by name");
    assert_eq!(bus.number(), Some(n));
    assert_eq!(bus.path(), std::path::Path::new(&format!("/dev/i2c-{n}")));
    let list = i2c::adapters().unwrap();
    assert!(
        list.iter()
            .any(|a| a.number == n && a.name == "SMBus stub driver"),
        "{list:?}"
    );
    match I2cBus::open_by_name("no such adapter").unwrap_err() {
        Error::NoSuchAdapter { name, available } => {
            assert_eq!(name, "no such adapter");
            assert!(
                available.iter().any(|a| a == "SMBus stub driver"),
                "{available:?}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn opening_errors_are_typed_with_advice() {
    let e = I2cBus::open(250).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT));
    assert!(e.to_string().contains("modprobe i2c-dev"), "{e}");
    let e = I2cBus::open_path(env("UDRV_SPIDEV")).unwrap_err();
    assert!(matches!(e, Error::Open { .. }), "{e:?}");
    assert_eq!(e.errno(), Some(libc::ENOTTY), "{e}");
}

// ---- SMBus on i2c-stub -------------------------------------------------------------------

#[test]
fn smbus_byte_data_round_trip() {
    let bus = stub();
    bus.smbus_write_byte_data(0x50, 0x10, 0xa5).unwrap();
    bus.smbus_write_byte_data(0x50, 0x11, 0x5a).unwrap();
    assert_eq!(bus.smbus_read_byte_data(0x50, 0x10).unwrap(), 0xa5);
    assert_eq!(bus.smbus_read_byte_data(0x50, 0x11).unwrap(), 0x5a);
    // Another chip keeps its own registers.
    bus.smbus_write_byte_data(0x52, 0x10, 0x01).unwrap();
    assert_eq!(bus.smbus_read_byte_data(0x50, 0x10).unwrap(), 0xa5);
}

#[test]
fn smbus_word_data_round_trip() {
    let bus = stub();
    bus.smbus_write_word_data(0x48, 0x20, 0xbeef).unwrap();
    assert_eq!(bus.smbus_read_word_data(0x48, 0x20).unwrap(), 0xbeef);
    // Little-endian on the wire: the low byte is register 0x20's byte.
    assert_eq!(bus.smbus_read_byte_data(0x48, 0x20).unwrap(), 0xef);
}

#[test]
fn smbus_send_and_receive_byte() {
    let bus = stub();
    bus.smbus_write_byte_data(0x50, 0x30, 0x11).unwrap();
    bus.smbus_write_byte_data(0x50, 0x31, 0x22).unwrap();
    // i2c-stub: send byte sets the register pointer, receive byte reads and advances it.
    bus.smbus_write_byte(0x50, 0x30).unwrap();
    assert_eq!(bus.smbus_read_byte(0x50).unwrap(), 0x11);
    assert_eq!(bus.smbus_read_byte(0x50).unwrap(), 0x22);
}

#[test]
fn smbus_quick_finds_chips_and_reports_absent_ones() {
    let bus = stub();
    bus.smbus_quick(0x48, false).unwrap();
    bus.smbus_quick(0x52, true).unwrap();
    let e = bus.smbus_quick(0x49, false).unwrap_err();
    // i2c-stub answers ENODEV for an address without a chip.
    assert_eq!(e.errno(), Some(libc::ENODEV), "{e}");
    assert_eq!(
        e.kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data)
    );
    match &e {
        Error::Io { op, addr, .. } => assert_eq!((*op, *addr), (Op::SmbusQuick, Some(0x49))),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn smbus_block_data_round_trip() {
    let bus = stub();
    bus.smbus_write_block_data(0x52, 0x40, &[1, 2, 3, 4, 5])
        .unwrap();
    assert_eq!(
        bus.smbus_read_block_data(0x52, 0x40).unwrap(),
        vec![1, 2, 3, 4, 5]
    );
    let e = bus
        .smbus_write_block_data(0x52, 0x40, &[0; 33])
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidLength {
                len: 33,
                max: 32,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn smbus_i2c_block_round_trip() {
    let bus = stub();
    let data: Vec<u8> = (0..20).map(|i| 0x80 + i).collect();
    bus.smbus_write_i2c_block_data(0x48, 0x60, &data).unwrap();
    let mut back = [0u8; 20];
    assert_eq!(
        bus.smbus_read_i2c_block_data(0x48, 0x60, &mut back)
            .unwrap(),
        20
    );
    assert_eq!(&back[..], &data[..]);
    assert_eq!(bus.smbus_read_byte_data(0x48, 0x65).unwrap(), 0x85);
}

#[test]
fn what_the_stub_cannot_do_is_refused_before_any_io() {
    let bus = stub();
    for e in [
        bus.smbus_process_call(0x50, 0x00, 0x1234).unwrap_err(),
        bus.smbus_block_process_call(0x50, 0x00, &[1])
            .map(|_| ())
            .unwrap_err(),
    ] {
        match &e {
            Error::Unsupported {
                adapter, missing, ..
            } => {
                assert_eq!(adapter, "SMBus stub driver");
                assert!(
                    *missing == Funcs::SMBUS_PROC_CALL || *missing == Funcs::SMBUS_BLOCK_PROC_CALL,
                    "{missing:?}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(e.to_string().contains("SMBus stub driver"), "{e}");
    }
}

#[test]
fn smbus_commands_refuse_addresses_beyond_seven_bits() {
    let bus = stub();
    match bus.smbus_read_byte_data(0x80, 0x00).unwrap_err() {
        Error::InvalidAddress { addr, ten_bit, .. } => assert_eq!((addr, ten_bit), (0x80, false)),
        other => panic!("unexpected {other:?}"),
    }
    // A missing capability is the first thing reported, even at a bad address.
    match bus.smbus_process_call(0x80, 0x00, 1).unwrap_err() {
        Error::Unsupported { missing, addr, .. } => {
            assert_eq!((missing, addr), (Funcs::SMBUS_PROC_CALL, Some(0x80)))
        }
        other => panic!("unexpected {other:?}"),
    }
    // The refusals left the bus usable.
    bus.smbus_write_byte_data(0x50, 0x20, 0x5a).unwrap();
    assert_eq!(bus.smbus_read_byte_data(0x50, 0x20).unwrap(), 0x5a);
}

// ---- embedded-hal on the SMBus-only stub: SMBus emulation ----------------------------------

#[test]
fn write_read_on_the_stub_maps_to_smbus_commands() {
    let mut bus = stub();
    // i2c-stub keeps a 16-bit word per register: a word write fills one register.
    bus.smbus_write_word_data(0x50, 0x70, 0x3412).unwrap();
    let mut one = [0u8; 1];
    bus.write_read(0x50u8, &[0x70], &mut one).unwrap(); // read byte data
    assert_eq!(one, [0x12]);
    let mut two = [0u8; 2];
    bus.write_read(0x50u8, &[0x70], &mut two).unwrap(); // read word data
    assert_eq!(two, [0x12, 0x34]);
    // I2C block read: the low bytes of consecutive registers.
    for (reg, v) in [(0x80, 0x12), (0x81, 0x34), (0x82, 0x56)] {
        bus.smbus_write_byte_data(0x50, reg, v).unwrap();
    }
    let mut three = [0u8; 3];
    bus.write_read(0x50u8, &[0x80], &mut three).unwrap();
    assert_eq!(three, [0x12, 0x34, 0x56]);
    let mut many = [0u8; 32];
    bus.write_read(0x50u8, &[0x80], &mut many).unwrap();
    assert_eq!(&many[..3], &[0x12, 0x34, 0x56]);
}

#[test]
fn writes_on_the_stub_map_to_smbus_commands() {
    let mut bus = stub();
    bus.write(0x52u8, &[0x74, 0x99]).unwrap(); // write byte data
    assert_eq!(bus.smbus_read_byte_data(0x52, 0x74).unwrap(), 0x99);
    bus.write(0x52u8, &[0x75, 0xcd, 0xab]).unwrap(); // write word data
    assert_eq!(bus.smbus_read_word_data(0x52, 0x75).unwrap(), 0xabcd);
    bus.write(0x52u8, &[0x78, 1, 2, 3, 4]).unwrap(); // I2C block write
    let mut b = [0u8; 4];
    bus.smbus_read_i2c_block_data(0x52, 0x78, &mut b).unwrap();
    assert_eq!(b, [1, 2, 3, 4]);
    // Single byte write (send byte) then read (receive byte).
    bus.write(0x52u8, &[0x78]).unwrap();
    let mut r = [0u8; 1];
    bus.read(0x52u8, &mut r).unwrap();
    assert_eq!(r, [1]);
    // Empty write: quick command (a probe).
    bus.write(0x52u8, &[]).unwrap();
    assert!(bus.write(0x49u8, &[]).is_err());
}

#[test]
fn adjacent_writes_merge_into_one_smbus_command() {
    let mut bus = stub();
    // [write [reg], write [value]] is one message on the wire: write byte data.
    let (reg, val) = ([0x7cu8], [0x42u8]);
    bus.transaction(
        0x50u8,
        &mut [Operation::Write(&reg), Operation::Write(&val)],
    )
    .unwrap();
    assert_eq!(bus.smbus_read_byte_data(0x50, 0x7c).unwrap(), 0x42);
    // Adjacent reads merge too: [write [reg], read 1, read 1] is read word data.
    bus.smbus_write_word_data(0x50, 0x7d, 0x2211).unwrap();
    let (mut a, mut b) = ([0u8; 1], [0u8; 1]);
    bus.transaction(
        0x50u8,
        &mut [
            Operation::Write(&[0x7d]),
            Operation::Read(&mut a),
            Operation::Read(&mut b),
        ],
    )
    .unwrap();
    assert_eq!((a, b), ([0x11], [0x22]));
}

#[test]
fn transactions_without_smbus_equivalent_are_refused_typed() {
    let mut bus = stub();
    let mut r = [0u8; 3];
    let e = bus
        .transaction(
            0x50u8,
            &mut [
                Operation::Write(&[0]),
                Operation::Read(&mut r),
                Operation::Write(&[1]),
            ],
        )
        .unwrap_err();
    match &e {
        Error::Unsupported {
            adapter,
            op,
            addr,
            missing,
            transaction,
            ..
        } => {
            assert_eq!(adapter, "SMBus stub driver");
            assert_eq!((*op, *addr), (Op::Transfer, Some(0x50)));
            assert_eq!(*missing, Funcs::I2C);
            assert_eq!(transaction.as_deref(), Some("[write 1, read 3, write 1]"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(e.to_string().contains("I2C_FUNC_I2C"), "{e}");
    let mut two = [0u8; 2];
    assert!(matches!(
        bus.read(0x50u8, &mut two),
        Err(Error::Unsupported { .. })
    ));
    // 10-bit needs a plain I2C adapter with I2C_FUNC_10BIT_ADDR.
    match I2c::<u16>::write(&mut bus, 0x150, &[1]).unwrap_err() {
        Error::Unsupported { missing, .. } => {
            assert_eq!(missing, Funcs::I2C | Funcs::TEN_BIT_ADDR)
        }
        other => panic!("unexpected {other:?}"),
    }
}

// ---- PEC, timeout, retries -------------------------------------------------------------

#[test]
fn pec_is_refused_where_unsupported_and_checked_where_supported() {
    let mut s = stub();
    match s.set_pec(true).unwrap_err() {
        Error::Unsupported { missing, op, .. } => {
            assert_eq!((missing, op), (Funcs::SMBUS_PEC, Op::SetPec))
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!s.pec());
    // i2c-parport emulates SMBus with PEC. Nothing answers there (reads are 0x00), so a
    // PEC byte of 0x00 mismatches the CRC the kernel computes: EBADMSG proves PEC is on.
    let plain = parport();
    let mut with_pec = plain.clone();
    with_pec.set_pec(true).unwrap();
    assert_eq!(plain.smbus_read_byte_data(0x50, 0x00).unwrap(), 0x00);
    let e = with_pec.smbus_read_byte_data(0x50, 0x00).unwrap_err();
    assert_eq!(e.errno(), Some(libc::EBADMSG), "{e}");
    assert!(e.to_string().contains("PEC"), "{e}");
    // Per handle: the clone without PEC still reads fine, on the same fd.
    assert_eq!(plain.smbus_read_byte_data(0x50, 0x00).unwrap(), 0x00);
    with_pec.set_pec(false).unwrap();
    assert_eq!(with_pec.smbus_read_byte_data(0x50, 0x00).unwrap(), 0x00);
}

#[test]
fn timeout_and_retries_are_set() {
    let bus = parport();
    bus.set_timeout(Duration::from_millis(25)).unwrap();
    bus.set_retries(2).unwrap();
    bus.set_timeout(Duration::from_secs(1)).unwrap();
    bus.set_retries(0).unwrap();
}

// ---- I2C_RDWR on the parport adapter -------------------------------------------------------

#[test]
fn write_read_through_i2c_rdwr() {
    let mut bus = parport();
    let mut buf = [0xaau8; 4];
    bus.write_read(0x50u8, &[0x00, 0x10], &mut buf).unwrap();
    assert_eq!(buf, [0; 4]);
    // Merged reads are scattered back into each buffer.
    let (mut a, mut b) = ([0xaau8; 2], [0xaau8; 3]);
    bus.transaction(
        0x51u8,
        &mut [
            Operation::Write(&[1]),
            Operation::Write(&[2, 3]),
            Operation::Read(&mut a),
            Operation::Read(&mut b),
        ],
    )
    .unwrap();
    assert_eq!((a, b), ([0; 2], [0; 3]));
    // Longer than the kernel's 8192-byte message limit: refused before any I/O.
    let big = vec![0u8; 8193];
    match bus.write(0x50u8, &big).unwrap_err() {
        Error::InvalidLength { len, max, op, .. } => {
            assert_eq!((len, max, op), (8193, 8192, Op::Transfer))
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn ten_bit_addresses_through_i2c_rdwr() {
    let mut bus = parport();
    let mut buf = [0xaau8; 2];
    I2c::<u16>::write_read(&mut bus, 0x3a5, &[0x00], &mut buf).unwrap();
    assert_eq!(buf, [0, 0]);
    I2c::<u16>::write(&mut bus, 0x001, &[1, 2, 3]).unwrap();
    match I2c::<u16>::write(&mut bus, 0x400, &[1]).unwrap_err() {
        Error::InvalidAddress { addr, ten_bit, .. } => assert_eq!((addr, ten_bit), (0x400, true)),
        other => panic!("unexpected {other:?}"),
    }
    match I2c::<u8>::write(&mut bus, 0x80, &[1]).unwrap_err() {
        Error::InvalidAddress { addr, ten_bit, .. } => assert_eq!((addr, ten_bit), (0x80, false)),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_42_message_limit_is_a_typed_error() {
    let mut bus = parport();
    let w = [0u8; 1];
    let mut reads = [[0xaau8; 1]; 21];
    // 42 alternating operations: 42 messages, allowed.
    {
        let mut ops: Vec<Operation<'_>> = Vec::new();
        for r in reads.iter_mut() {
            ops.push(Operation::Write(&w));
            ops.push(Operation::Read(r));
        }
        assert_eq!(ops.len(), 42);
        bus.transaction(0x50u8, &mut ops).unwrap();
    }
    assert!(reads.iter().all(|r| r == &[0]));
    // 43: refused, nothing sent (the reads keep their fill).
    let mut reads = [[0xaau8; 1]; 21];
    let mut ops: Vec<Operation<'_>> = Vec::new();
    for r in reads.iter_mut() {
        ops.push(Operation::Write(&w));
        ops.push(Operation::Read(r));
    }
    ops.push(Operation::Write(&w));
    match bus.transaction(0x50u8, &mut ops).unwrap_err() {
        Error::TooManyMessages {
            count, max, addr, ..
        } => assert_eq!((count, max, addr), (43, 42, 0x50)),
        other => panic!("unexpected {other:?}"),
    }
    drop(ops);
    assert!(reads.iter().all(|r| r == &[0xaa]));
    // 100 operations that merge into 2 messages are fine.
    let many: Vec<[u8; 1]> = vec![[7]; 50];
    let mut back = [[0xaau8; 1]; 50];
    let mut ops: Vec<Operation<'_>> = many.iter().map(|b| Operation::Write(b)).collect();
    ops.extend(back.iter_mut().map(|b| Operation::Read(b)));
    bus.transaction(0x50u8, &mut ops).unwrap();
}

// ---- kernel drivers, force --------------------------------------------------------------

#[test]
fn an_address_held_by_a_kernel_driver_is_reported_and_forced_only_on_request() {
    let bus = stub();
    let addr = driver_addr();
    assert_eq!(bus.address_user(addr).unwrap().as_deref(), Some("dummy"));
    assert_eq!(bus.address_user(0x50).unwrap(), None);
    match bus.smbus_read_byte_data(addr, 0).unwrap_err() {
        Error::AddressBusy {
            addr: a, driver, ..
        } => {
            assert_eq!((a, driver.as_deref()), (addr, Some("dummy")))
        }
        other => panic!("unexpected {other:?}"),
    }
    let forced = bus.clone().with_force(true);
    forced.smbus_write_byte_data(addr, 0x01, 0x77).unwrap();
    assert_eq!(forced.smbus_read_byte_data(addr, 0x01).unwrap(), 0x77);
    // The forced address on the shared fd is not reused by a handle that does not force.
    let e = bus.smbus_read_byte_data(addr, 0x01).unwrap_err();
    assert!(matches!(e, Error::AddressBusy { .. }), "{e:?}");
    assert!(e.to_string().contains("`dummy`"), "{e}");
    // embedded-hal transactions obey the same rule.
    let mut b = bus.clone();
    assert!(matches!(
        b.write(addr as u8, &[0x01, 0x00]),
        Err(Error::AddressBusy { .. })
    ));
}

// ---- sharing, async ---------------------------------------------------------------------

#[test]
fn clones_share_the_bus_safely_across_threads() {
    let bus = stub();
    on_threads(
        [0x48u16, 0x50, 0x52].into_iter().enumerate(),
        move |(i, addr)| {
            for k in 0..200u32 {
                let v = (k as u8).wrapping_mul(3).wrapping_add(i as u8);
                bus.smbus_write_byte_data(addr, 0xe0, v).unwrap();
                assert_eq!(
                    bus.smbus_read_byte_data(addr, 0xe0).unwrap(),
                    v,
                    "addr {addr:#x}"
                );
            }
        },
    );
}

#[test]
fn async_transactions_work_and_leave_the_reactor_free() {
    use embedded_hal_async::i2c::I2c as AsyncI2c;
    use udrv_core::i2c::asynch::AsyncI2cBus;
    one_thread_runtime().block_on(async {
        let stub = stub();
        stub.smbus_write_word_data(0x48, 0xf0, 0x6655).unwrap();
        let mut a = AsyncI2cBus::new(stub);
        let mut buf = [0u8; 2];
        a.write_read(0x48u8, &[0xf0], &mut buf).await.unwrap();
        assert_eq!(buf, [0x55, 0x66]);
        a.write(0x48u8, &[0xf2, 0x99]).await.unwrap();
        assert_eq!(
            a.run(|b| b.smbus_read_byte_data(0x48, 0xf2)).await.unwrap(),
            0x99
        );
        let e = a
            .transaction(0x48u8, &mut [Operation::Read(&mut [0u8; 4])])
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");

        // A bit-banged transfer of 4000 bytes takes a while (microsecond delays per bit).
        // On this single-threaded runtime a ticker only advances while the transfer
        // runs if the transfer is off the reactor thread.
        let mut p = AsyncI2cBus::new(parport());
        let data = vec![0x55u8; 4000];
        let mut back = [0xaau8; 3];
        off_the_reactor(
            Duration::from_millis(10),
            AsyncI2c::<u16>::write(&mut p, 0x2aa, &data),
        )
        .await
        .unwrap();
        AsyncI2c::<u16>::write_read(&mut p, 0x2aa, &[1], &mut back)
            .await
            .unwrap();
        assert_eq!(back, [0; 3]);
    });
}

#[test]
fn the_cross_process_lock_is_taken_on_the_bus_node() {
    let bus = stub();
    check_cross_process_lock(bus.path(), || bus.lock(), || bus.try_lock());
}
