//! Every driver under injected bus faults (`sim::fault`): each bus operation of a driver
//! call is failed in turn with each fault (address/data NACK, timeout, EIO, EAGAIN,
//! EBUSY), before it reaches the chip and after. The driver must return that fault, typed
//! (`Error::Bus(FaultError::Injected(fault))`), stop at the failed operation (no retry:
//! none of these operations is a poll), never panic, and work again once the fault is
//! gone. The AT24's page writes are checked byte by byte against the chip model: a failed
//! write says which bytes are written and which may be.
#![cfg(feature = "sim")]

use embedded_hal::digital::ErrorKind as PinErrorKind;
use embedded_hal::i2c::NoAcknowledgeSource;
use udrv_drivers::sim::fault::{
    BusKind, Effect, Fault, FaultError, Faults, FaultyI2c, FaultyPin, FaultySpi, Rule,
};
use udrv_drivers::sim::{block_on, SimI2cBus, SimLine, SimSpiDevice};
use udrv_drivers::*;

#[macro_use]
mod fault_sweep;
use fault_sweep::*;

#[test]
fn i2c_drivers_report_every_fault_typed_and_never_retry() {
    let mut ops = 0;
    ops += sweep(
        "lm75 temperature + thresholds",
        |f| lm75::Lm75::new(i2c_with(f, 0x48, lm75::model::Lm75Model::lm75()), 0x48),
        |d| {
            d.temperature()?;
            d.set_os_temperature(Temperature::from_millicelsius(60_000))?;
            d.config().map(|_| ())
        },
        bus_of!(lm75),
    );
    ops += sweep(
        "bme280 init + measure",
        |f| bme280::Bme280::new_i2c(i2c_with(f, 0x76, bme280::model::Bme280Model::new()), 0x76),
        |d| {
            d.init()?;
            d.set_config(bme280::Config::default())?;
            d.measure_forced(&mut NoDelay).map(|_| ())
        },
        bus_of!(bme280),
    );
    ops += sweep(
        "sht3x measure + status",
        |f| sht3x::Sht3x::new(i2c_with(f, 0x44, sht3x::model::Sht3xModel::new()), 0x44),
        |d| {
            d.measure_stretching(sht3x::Repeatability::High)?;
            d.status().map(|_| ())
        },
        bus_of!(sht3x),
    );
    ops += sweep(
        "ads1115 single shot",
        |f| {
            ads1x1x::Ads1x1x::new(
                i2c_with(f, 0x48, ads1x1x::model::Ads1x1xModel::ads1115()),
                0x48,
                ads1x1x::Variant::Ads1115,
            )
        },
        |d| {
            d.measure(ads1x1x::Channel::DiffA0A1, &mut NoDelay)
                .map(|_| ())
        },
        bus_of!(ads1x1x),
    );
    ops += sweep(
        "ina219 calibrate + measure",
        |f| ina219::Ina219::new(i2c_with(f, 0x40, ina219::model::Ina219Model::new()), 0x40),
        |d| {
            d.calibrate(Current::from_microamps(100), 100_000)?;
            d.measure().map(|_| ())
        },
        bus_of!(ina219),
    );
    ops += sweep(
        "pca9685 init + channel",
        |f| {
            let bus = SimI2cBus::new();
            pca9685::model::Pca9685Model::new(0x40).attach(&bus);
            pca9685::Pca9685::new(FaultyI2c::new(bus, f), 0x40)
        },
        |d| {
            d.init()?;
            d.set_prescale(30)?;
            d.set_channel(3, 100, 2000)
        },
        bus_of!(pca9685),
    );
    ops += sweep(
        "ds3231 set + read the time",
        |f| ds3231::Ds3231::new(i2c_with(f, 0x68, ds3231::model::Ds3231Model::new())),
        |d| {
            d.set_datetime(&ds3231::DateTime::new(2026, 11, 22, 7, 1, 2, 3).unwrap())?;
            d.datetime().map(|_| ())
        },
        bus_of!(ds3231),
    );
    ops += sweep(
        "mcp23017 directions + pin",
        |f| {
            mcp23017::Mcp23017::new(
                i2c_with(f, 0x20, mcp23017::model::Mcp23017Model::new()),
                0x20,
            )
        },
        |d| {
            d.set_directions(0xFF00)?;
            d.set_pin(3, true)?;
            d.read_gpio().map(|_| ())
        },
        bus_of!(mcp23017),
    );
    ops += sweep(
        "pca9535 pin + inputs",
        |f| {
            pca95xx::Pca95xx::pca9535(
                i2c_with(f, 0x21, pca95xx::model::Pca95xxModel::pca9535()),
                0x21,
            )
        },
        |d| {
            d.set_directions(0x00FF)?;
            d.set_pin(9, true)?;
            d.read_inputs().map(|_| ())
        },
        bus_of!(pca95xx),
    );
    ops += sweep(
        "at24 reads",
        |f| {
            let bus = SimI2cBus::new();
            at24::model::At24Model::new(2048, 16, 1, 0x50).attach(&bus);
            at24::At24::new(FaultyI2c::new(bus, f), 0x50, at24::Variant::AT24C16)
        },
        |d| {
            let mut b = [0; 300]; // crosses a 256-byte block: two device addresses
            d.read(0xF0, &mut b)?;
            d.read_byte(7).map(|_| ())
        },
        bus_of!(at24),
    );
    assert!(ops >= 40, "only {ops} operations swept");
}

#[test]
fn spi_drivers_report_every_fault_typed_and_never_retry() {
    sweep(
        "mcp3008 read",
        |f| {
            let (spi, _m) = SimSpiDevice::new(mcp3x08::model::Mcp3x08Model::mcp3008(3_300_000));
            mcp3x08::Mcp3x08::new(FaultySpi::new(spi, f), mcp3x08::Variant::Mcp3008, 3_300_000)
        },
        |d| {
            d.read_raw(mcp3x08::Input::Single(2))?;
            d.read_voltage(mcp3x08::Input::Single(5)).map(|_| ())
        },
        bus_of!(mcp3x08),
    );
    sweep(
        "max31855 read",
        |f| {
            let (spi, _m) = SimSpiDevice::new(max31855::model::Max31855Model::new());
            max31855::Max31855::new(FaultySpi::new(spi, f))
        },
        |d| d.read().map(|_| ()),
        bus_of!(max31855),
    );
    sweep(
        "bme280 over SPI",
        |f| {
            let (spi, _m) = SimSpiDevice::new(bme280::model::Bme280Model::new());
            bme280::Bme280::new_spi(FaultySpi::new(spi, f))
        },
        |d| {
            d.init()?;
            d.set_config(bme280::Config::default())?;
            d.measure_forced(&mut NoDelay).map(|_| ())
        },
        bus_of!(bme280),
    );
}

#[test]
fn interrupt_line_faults_are_reported_with_their_kind() {
    let faults = Faults::new();
    let bus = SimI2cBus::new();
    let chip = bus.attach(0x20, mcp23017::model::Mcp23017Model::new());
    let mut mcp = mcp23017::Mcp23017::new(bus.clone(), 0x20);
    let mut line = FaultyPin::new(chip.lock().int_a(), &faults);
    faults.add(Rule::new(Fault::Io).pin().times(1));
    assert_eq!(
        mcp.next_interrupt(&mut line),
        Err(mcp23017::Error::InterruptLine(PinErrorKind::Other))
    );
    faults.add(Rule::new(Fault::Busy).pin().times(1));
    assert_eq!(
        block_on(mcp.next_interrupt_async(&mut line)),
        Err(mcp23017::Error::InterruptLine(PinErrorKind::Other))
    );
    assert_eq!(faults.injected().len(), 2);
    assert_eq!(chip.lock().int_a().is_high(), line.into_inner().is_high());
}

#[test]
fn output_and_input_pins_fail_as_planned() {
    use embedded_hal::digital::{InputPin, OutputPin};
    struct Out(SimLine);
    impl embedded_hal::digital::ErrorType for Out {
        type Error = core::convert::Infallible;
    }
    impl OutputPin for Out {
        fn set_low(&mut self) -> Result<(), Self::Error> {
            self.0.set(false);
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Self::Error> {
            self.0.set(true);
            Ok(())
        }
    }
    let line = SimLine::new(false);
    let faults = Faults::new();
    let mut out = FaultyPin::new(Out(line.clone()), &faults);
    let mut inp = FaultyPin::new(line.clone(), &faults);
    faults.add(Rule::new(Fault::Busy).pin().writes().times(1));
    faults.add(
        Rule::new(Fault::Timeout)
            .pin()
            .writes()
            .times(1)
            .effect(Effect::Sent),
    );
    assert_eq!(out.set_high(), Err(FaultError::Injected(Fault::Busy)));
    assert!(line.is_low(), "not sent");
    assert_eq!(out.set_high(), Err(FaultError::Injected(Fault::Timeout)));
    assert!(line.is_high(), "sent, then failed");
    out.set_low().unwrap();
    faults.add(Rule::new(Fault::Io).pin().reads().after(1).times(1));
    assert_eq!(inp.is_high(), Ok(false));
    assert_eq!(inp.is_low(), Err(FaultError::Injected(Fault::Io)));
    assert_eq!(inp.is_low(), Ok(true));
    let log = faults.log();
    assert_eq!(log.len(), 6);
    assert!(log.iter().all(|o| o.bus == BusKind::Pin));
    assert_eq!(faults.injected().len(), 3);
}

/// Memory before and the data: check what an AT24 write left, given its result.
fn check_at24_result(
    case: &str,
    r: Result<(), at24::Error<FaultError<sim::SimI2cError>>>,
    fault: Fault,
    old: &[u8],
    now: &[u8],
    mem: usize,
    data: &[u8],
) {
    let end = mem + data.len();
    let unchanged_outside = |lo: usize, hi: usize| {
        for (a, (o, n)) in old.iter().zip(now).enumerate() {
            if !(lo..hi).contains(&a) {
                assert_eq!(
                    o, n,
                    "{case}: byte 0x{a:04x} changed outside 0x{lo:04x}..0x{hi:04x}"
                );
            }
        }
    };
    match r {
        Ok(()) => {
            // Only NACKs of an acknowledge poll are retried (a poll is idempotent).
            assert!(matches!(fault, Fault::Nack(_)), "{case}: {fault} hidden");
            assert_eq!(&now[mem..end], data, "{case}");
            unchanged_outside(mem, end);
        }
        Err(at24::Error::Bus(FaultError::Injected(f))) => {
            assert_eq!(f, fault, "{case}");
            assert_eq!(old, now, "{case}: Bus error, yet the memory changed");
        }
        Err(at24::Error::Incomplete {
            at,
            written,
            uncertain,
            error,
        }) => {
            assert_eq!(error, Some(FaultError::Injected(fault)), "{case}");
            let (at, written, uncertain) = (at as usize, written as usize, uncertain as usize);
            assert_eq!(at, mem + written, "{case}");
            assert!(at + uncertain <= end, "{case}");
            assert_eq!(&now[mem..at], &data[..written], "{case}: 'written' bytes");
            for a in at..at + uncertain {
                let (o, n, d) = (old[a], now[a], data[a - mem]);
                assert!(
                    n == o || n == d,
                    "{case}: uncertain byte 0x{a:04x} is {n:#x}"
                );
            }
            unchanged_outside(mem, at + uncertain);
            // The message says which bytes.
            let msg = at24::Error::<FaultError<sim::SimI2cError>>::Incomplete {
                at: at as u32,
                written: written as u32,
                uncertain: uncertain as u32,
                error,
            }
            .to_string();
            assert!(msg.contains(&format!("{written} byte(s) written")), "{msg}");
            if uncertain > 0 {
                assert!(
                    msg.contains(&format!("0x{at:04x}..0x{:04x}", at + uncertain)),
                    "{msg}"
                );
            }
        }
        Err(e) => panic!("{case}: {e:?}"),
    }
}

#[test]
fn at24_failed_page_writes_say_which_bytes_may_have_been_written() {
    let mem = 0x0F0usize;
    let data: Vec<u8> = (0..70u8).map(|i| i ^ 0x5A).collect(); // pages of 16, 32, 22 bytes
    let fresh = |f: &Faults| {
        let bus = SimI2cBus::new();
        let chip = at24::model::At24Model::new(4096, 32, 2, 0x50).attach(&bus);
        chip.lock().set_busy_polls(2);
        (
            at24::At24::new(FaultyI2c::new(bus, f), 0x50, at24::Variant::AT24C32),
            chip,
        )
    };
    let faults = Faults::new();
    let (mut e, _) = fresh(&faults);
    e.write(mem as u32, &data).unwrap();
    let n = faults.operations();
    // Three pages, each a page write and three polls (two NACKed while busy, one ACKed).
    assert_eq!(n, 3 * 4);
    let mut cases = 0;
    let mut incomplete = 0;
    for fault in Fault::ALL {
        // An address NACK reaches nothing; the others may fail before, after or during.
        let effects: &[Effect] = match fault {
            Fault::Nack(NoAcknowledgeSource::Address) => &[Effect::NotSent],
            _ => &[
                Effect::NotSent,
                Effect::Sent,
                Effect::Partial(2),
                Effect::Partial(9),
            ],
        };
        for &effect in effects {
            for i in 0..n {
                let faults = Faults::new();
                let (mut e, chip) = fresh(&faults);
                let old = chip.lock().memory().to_vec();
                faults.add(Rule::new(fault).after(i).times(1).effect(effect));
                let case = format!("op {i}, {fault}, {effect:?}");
                let r = e.write(mem as u32, &data);
                incomplete += usize::from(matches!(r, Err(at24::Error::Incomplete { .. })));
                let now = chip.lock().memory().to_vec();
                check_at24_result(&case, r, fault, &old, &now, mem, &data);
                // No page was sent twice (only empty acknowledge polls repeat).
                let log = faults.log();
                let pages: Vec<_> = log.iter().filter(|o| o.written.len() > 2).collect();
                for (k, p) in pages.iter().enumerate() {
                    assert!(
                        !pages[k + 1..].iter().any(|q| q.written == p.written),
                        "{case}: resent"
                    );
                }
                cases += 1;
            }
        }
    }
    assert!(
        cases > 150 && incomplete > 50,
        "{cases} cases, {incomplete} incomplete"
    );
}

#[test]
fn at24_single_byte_and_async_writes_report_the_byte() {
    let faults = Faults::new();
    let bus = SimI2cBus::new();
    let chip = at24::model::At24Model::new(256, 8, 1, 0x50).attach(&bus);
    // The write cycle ends at once (after a failed poll it could still be running, and
    // the next page write would be NACKed: a bus error, nothing written).
    chip.lock().set_busy_polls(0);
    let mut e = at24::At24::new(FaultyI2c::new(bus, &faults), 0x50, at24::Variant::AT24C02);
    // The byte went out, the first poll failed with EIO: the byte may be written.
    faults.add(Rule::new(Fault::Io).writes().after(1).times(1));
    assert_eq!(
        e.write_byte(0x42, 0x99),
        Err(at24::Error::Incomplete {
            at: 0x42,
            written: 0,
            uncertain: 1,
            error: Some(FaultError::Injected(Fault::Io))
        })
    );
    // The async twin: a data NACK after 2 bytes of the second page (1 address + 1 data).
    faults.add(
        Rule::new(Fault::Nack(NoAcknowledgeSource::Data))
            .after(2)
            .times(1)
            .effect(Effect::Partial(2)),
    );
    let r = block_on(e.write_async(0x06, &[1, 2, 3, 4]));
    assert_eq!(
        r,
        Err(at24::Error::Incomplete {
            at: 0x08,
            written: 2,
            uncertain: 2,
            error: Some(FaultError::Injected(Fault::Nack(NoAcknowledgeSource::Data)))
        })
    );
    let m = chip.lock().memory().to_vec();
    assert_eq!(&m[6..8], &[1, 2]);
    assert!(m[8] == 3 || m[8] == 0xFF, "{:#x}", m[8]);
    assert_eq!(m[9], 0xFF, "beyond the data NACK nothing reached the chip");
    // A NACKed device address on the first page: nothing written, a plain bus error.
    faults.add(Rule::new(Fault::Nack(NoAcknowledgeSource::Address)).times(1));
    assert_eq!(
        e.write(0x20, &[1, 2]),
        Err(at24::Error::Bus(FaultError::Injected(Fault::Nack(
            NoAcknowledgeSource::Address
        ))))
    );
}

#[test]
fn random_faults_over_many_writes_never_corrupt_unreported_bytes() {
    // Random faults (seeded) over 300 random writes: after each, the memory matches what
    // the result says, tracked in a shadow copy where uncertain bytes are read back.
    let faults = Faults::new();
    let bus = SimI2cBus::new();
    let chip = at24::model::At24Model::new(4096, 32, 2, 0x50).attach(&bus);
    chip.lock().set_busy_polls(0);
    let mut e = at24::At24::new(FaultyI2c::new(bus, &faults), 0x50, at24::Variant::AT24C32);
    let mut x = 0x1234_5678u32;
    let mut rnd = move |m: u32| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x % m
    };
    faults.add(
        Rule::new(Fault::Io)
            .randomly(7, 9)
            .effect(Effect::Partial(5)),
    );
    faults.add(
        Rule::new(Fault::Timeout)
            .randomly(11, 13)
            .effect(Effect::Sent),
    );
    faults.add(Rule::new(Fault::ArbitrationLoss).randomly(13, 17));
    let mut failures = 0;
    for round in 0..300 {
        let mem = rnd(4000) as usize;
        let len = 1 + rnd(90).min(4095 - mem as u32) as usize;
        let data: Vec<u8> = (0..len).map(|_| rnd(256) as u8).collect();
        let old = chip.lock().memory().to_vec();
        let r = e.write(mem as u32, &data);
        let now = chip.lock().memory().to_vec();
        let fault = match &r {
            Err(at24::Error::Bus(FaultError::Injected(f))) => *f,
            Err(at24::Error::Incomplete {
                error: Some(FaultError::Injected(f)),
                ..
            }) => *f,
            Ok(()) => Fault::Nack(NoAcknowledgeSource::Unknown),
            Err(e) => panic!("round {round}: {e:?}"),
        };
        failures += usize::from(r.is_err());
        check_at24_result(&format!("round {round}"), r, fault, &old, &now, mem, &data);
    }
    assert!(failures > 30, "only {failures} failures injected");
}
