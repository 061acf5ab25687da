//! The DS1307, DPS310, PCA954x, W25Qxx, BH1750, SHTC3 and MCP23S17 drivers under injected bus faults
//! (`sim::fault`), as `faults.rs` does for the others: each bus operation of a call is
//! failed in turn with each fault (address/data NACK, timeout, EIO, EAGAIN, EBUSY), before
//! it reaches the chip and after. The driver must return that fault, typed
//! (`Error::Bus(FaultError::Injected(fault))`), stop at the failed operation (the DPS310's
//! ready polls and the W25Q's BUSY polls included: a failed poll is not retried), never
//! panic, and work again once the fault is gone (the PCA954x selects its channel again).
#![cfg(feature = "sim")]

use embedded_hal::i2c::I2c;
use udrv_drivers::sim::fault::{FaultyI2c, FaultySpi};
use udrv_drivers::sim::{SimI2cBus, SimSpiDevice};
use udrv_drivers::*;

#[macro_use]
mod fault_sweep;
use fault_sweep::*;

#[test]
fn ds1307_and_dps310_report_every_fault() {
    let n = sweep(
        "ds1338 set/read time, RAM, control",
        |f| {
            ds1307::Ds1307::new(
                i2c_with(f, 0x68, ds1307::model::Ds1307Model::ds1338()),
                ds1307::Variant::Ds1338,
            )
        },
        |d| {
            d.set_datetime(&ds1307::DateTime::new(2030, 5, 6, 1, 7, 8, 9).unwrap())?;
            d.datetime()?;
            d.write_ram(3, b"abc")?;
            d.read_ram(3, &mut [0; 3])?;
            d.set_running(true)?;
            d.clear_oscillator_stopped()
        },
        bus_of!(ds1307),
    );
    assert!(n >= 8, "{n}");
    let n = sweep(
        "dps310 init, config, measure (ready polls), background",
        |f| dps310::Dps310::new(i2c_with(f, 0x77, dps310::model::Dps310Model::new()), 0x77),
        |d| {
            d.init()?;
            d.set_config(dps310::Config {
                pressure_oversampling: dps310::Oversampling::X16,
                ..dps310::Config::default()
            })?;
            d.measure(&mut NoDelay)?;
            d.set_mode(dps310::Mode::BackgroundBoth)?;
            d.read_measurement()?;
            d.set_mode(dps310::Mode::Idle)
        },
        bus_of!(dps310),
    );
    assert!(n >= 15, "{n}");
}

#[test]
fn pca954x_channels_report_every_fault_and_reselect_after() {
    use pca954x::model::Pca954xModel;
    let n = sweep(
        "pca9548 channel 2 then 5, LM75 behind each",
        |f| {
            let bus = SimI2cBus::new();
            let mux = Pca954xModel::attach(&bus, 0x70, 8);
            mux.attach(2, 0x48, lm75::model::Lm75Model::lm75());
            mux.attach(5, 0x48, lm75::model::Lm75Model::lm75());
            pca954x::Pca954x::new(FaultyI2c::new(bus, f), 0x70, pca954x::Variant::Pca9548)
        },
        |m| {
            let mut b = [0; 2];
            m.channel(2)?.write_read(0x48, &[0x00], &mut b)?;
            m.channel(5)?.write_read(0x48, &[0x00], &mut b)?;
            m.channels().map(|_| ())
        },
        bus_of!(pca954x),
    );
    assert_eq!(n, 5);
}

#[test]
fn w25q_reports_every_fault() {
    let n = sweep(
        "w25q32 id, erase, program across pages (BUSY polls), read",
        |f| {
            let (spi, h) = SimSpiDevice::new(w25q::model::W25qModel::w25q32());
            h.lock().set_busy_polls(1);
            w25q::W25q::new(FaultySpi::new(spi, f))
        },
        |d| {
            // After a failure mid-erase the chip may still be busy, and a busy chip ignores
            // every instruction but the status reads (its JEDEC ID reads FFh): wait first.
            d.wait_idle(&mut NoDelay, 400_000, 1000)?;
            d.init()?;
            d.erase_sector(0x1000, &mut NoDelay)?;
            d.program(0x10F0, &[0x5A; 40], &mut NoDelay)?;
            let mut b = [0; 40];
            d.read(0x10F0, &mut b)?;
            assert_eq!(b, [0x5A; 40]);
            d.status().map(|_| ())
        },
        bus_of!(w25q),
    );
    assert!(n >= 15, "{n}");
}

#[test]
fn bh1750_reports_every_fault() {
    let n = sweep(
        "bh1750 power on, MTreg, continuous read, one time, power down",
        |f| bh1750::Bh1750::new(i2c_with(f, 0x23, bh1750::model::Bh1750Model::new()), 0x23),
        |d| {
            d.power_on()?;
            d.set_measurement_time(100)?;
            d.start_continuous(bh1750::Resolution::High2)?;
            d.read()?;
            d.measure_one_time(bh1750::Resolution::Low, &mut NoDelay)?;
            d.power_down()
        },
        bus_of!(bh1750),
    );
    assert_eq!(n, 8, "one opcode per write, one read per result");
}

#[test]
fn shtc3_reports_every_fault() {
    let n = sweep(
        "shtc3 wakeup, ID, start, measure stretching both ways, sleep",
        |f| shtc3::Shtc3::new(i2c_with(f, 0x70, shtc3::model::Shtc3Model::new())),
        |d| {
            d.wakeup()?;
            d.read_id()?;
            d.start_measurement(shtc3::PowerMode::Normal, shtc3::Order::TemperatureFirst)?;
            d.measure_stretching(shtc3::PowerMode::Normal, shtc3::Order::HumidityFirst)?;
            d.measure_stretching(shtc3::PowerMode::LowPower, shtc3::Order::TemperatureFirst)?;
            d.sleep()
        },
        bus_of!(shtc3),
    );
    assert_eq!(n, 9, "a command per write, each result one read");
    // Polling without clock stretching: a NACKed read header means "still measuring"
    // (datasheet §5.4); every other fault of that read is a bus error.
    use udrv_drivers::sim::fault::{Fault, FaultError, Faults, Rule};
    for fault in Fault::ALL {
        let faults = Faults::new();
        let mut d = shtc3::Shtc3::new(i2c_with(&faults, 0x70, shtc3::model::Shtc3Model::new()));
        faults.add(Rule::new(fault).reads().times(1));
        let got = d.measure(shtc3::PowerMode::LowPower, &mut NoDelay);
        match fault {
            Fault::Nack(embedded_hal::i2c::NoAcknowledgeSource::Address) => {
                assert_eq!(got, Err(shtc3::Error::NotReady), "{fault}")
            }
            _ => assert!(
                matches!(got, Err(shtc3::Error::Bus(FaultError::Injected(f))) if f == fault),
                "{fault}: {got:?}"
            ),
        }
        faults.clear();
        assert!(
            d.measure(shtc3::PowerMode::LowPower, &mut NoDelay).is_ok(),
            "{fault}"
        );
    }
}

#[test]
fn mcp23s17_reports_every_fault() {
    let n = sweep(
        "mcp23s17 IOCON (HAEN), directions, outputs, inputs, interrupt",
        |f| {
            let (spi, _) = SimSpiDevice::new(mcp23s17::model::Mcp23s17Model::new(4));
            // HAEN may already be set by an earlier, interrupted run: start with it on.
            mcp23s17::Mcp23s17::new_with_hardware_address(FaultySpi::new(spi, f), 4)
        },
        |d| {
            d.set_iocon(mcp23s17::Iocon {
                hardware_address: true,
                ..Default::default()
            })?;
            d.set_directions(0x00FF)?;
            d.write_gpio(0x5A00)?;
            d.set_pin(3, true)?;
            d.read_gpio()?;
            d.take_interrupt().map(|_| ())
        },
        bus_of!(mcp23s17),
    );
    assert_eq!(n, 6, "one chip-select frame per register transfer");
}
