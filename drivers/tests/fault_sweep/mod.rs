//! Helpers of the fault-sweep tests (`faults.rs`, `faults_new_drivers.rs`): run a driver
//! call once to count its bus operations, then fail each operation in turn with each
//! fault, and check the driver reports it typed, stops there and works again after.
#![allow(dead_code)]

use embedded_hal::delay::DelayNs;
use udrv_drivers::sim::fault::{Effect, Fault, FaultError, Faults, FaultyI2c, Op, Rule};
use udrv_drivers::sim::{self, SimI2cBus};

/// A delay that does not wait.
pub struct NoDelay;
impl DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}

/// A failed call must end at the failed operation: nothing after it in the log.
pub fn assert_stopped_at_fault(what: &str, log: &[Op]) {
    let at = log
        .iter()
        .position(|o| o.fault.is_some())
        .unwrap_or_else(|| panic!("{what}: no fault was injected: {log:?}"));
    assert_eq!(
        at,
        log.len() - 1,
        "{what}: the driver went on after the failed operation {:?}: {:?}",
        log[at],
        &log[at + 1..]
    );
}

/// Run `call` on a fresh driver once without faults (counting its bus operations), then
/// once per (operation, fault, effect) with that one operation failing. `make` builds the
/// driver over a faulty bus; `bus_err` extracts the driver's `Error::Bus` payload.
pub fn sweep<D, E, B: core::fmt::Debug>(
    what: &str,
    make: impl Fn(&Faults) -> D,
    call: impl Fn(&mut D) -> Result<(), E>,
    bus_err: impl Fn(&E) -> Option<&FaultError<B>>,
) -> u64
where
    E: core::fmt::Debug,
{
    let faults = Faults::new();
    let mut d = make(&faults);
    let before = faults.operations();
    call(&mut d).unwrap_or_else(|e| panic!("{what} without faults: {e:?}"));
    let n = faults.operations() - before;
    assert!(n > 0, "{what}: no bus operation");
    for fault in Fault::ALL {
        for effect in [Effect::NotSent, Effect::Sent] {
            for i in 0..n {
                let faults = Faults::new();
                let mut d = make(&faults);
                faults.clear_log();
                faults.add(Rule::new(fault).after(i).times(1).effect(effect));
                let case = format!("{what}: op {i}/{n}, {fault}, {effect:?}");
                match call(&mut d) {
                    Err(e) => match bus_err(&e) {
                        Some(FaultError::Injected(f)) => assert_eq!(*f, fault, "{case}"),
                        _ => panic!("{case}: wrong error {e:?}"),
                    },
                    Ok(()) => panic!("{case}: the fault was hidden"),
                }
                assert_stopped_at_fault(&case, &faults.log());
                faults.clear();
                call(&mut d).unwrap_or_else(|e| panic!("{case}: not working after: {e:?}"));
            }
        }
    }
    n
}

/// The `Error::Bus` payload of a driver module's error.
macro_rules! bus_of {
    ($m:ident) => {
        |e: &$m::Error<_>| match e {
            $m::Error::Bus(b) => Some(b),
            _ => None,
        }
    };
}

/// A simulated bus with `model` at `addr`, behind `f`.
pub fn i2c_with<M: sim::I2cTarget + 'static>(
    f: &Faults,
    addr: u8,
    model: M,
) -> FaultyI2c<SimI2cBus> {
    let bus = SimI2cBus::new();
    bus.attach(addr, model);
    FaultyI2c::new(bus, f)
}
