//! GPIO calls that bit-banging and polling loops make at full speed allocate nothing
//! (`cargo xtask vmtest --only guest_gpio_alloc`): a counting global allocator watches
//! this thread while `Request::set_value`, `set_values` and `value` run on gpio-sim.
#![cfg(udrv_guest)] // on the host this file compiles to nothing (the docs above stay)
#![allow(unsafe_code)] // the counting allocator

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use udrv_core::gpio::{Request, Value};

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting the allocations of each thread.
struct Counting;

// SAFETY: every call is passed to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn chip() -> String {
    std::env::var("UDRV_GPIO_SIM_CHIP")
        .expect("fixture variable UDRV_GPIO_SIM_CHIP is not set (see xtask/guest/fixtures.sh)")
}

#[test]
fn setting_and_reading_lines_allocates_nothing() {
    let req = Request::builder()
        .on_chip(chip())
        .with_lines(&[12, 13])
        .as_output(Value::Inactive)
        .with_consumer("alloc-test")
        .request()
        .unwrap();
    let sim = std::env::var("UDRV_GPIO_SIM_SYSFS").unwrap();
    let before = allocations();
    for k in 0..1000u32 {
        let v = Value::from(k % 2 == 1);
        req.set_value(12, v).unwrap();
        req.set_values(&[(12, v), (13, !v)]).unwrap();
        assert_eq!(req.value(13).unwrap(), !v);
    }
    let during = allocations() - before;
    assert_eq!(
        during, 0,
        "{during} allocations in 1000 rounds of set/set/read"
    );
    // The lines really moved: the simulator sees the last values driven.
    let level = |n: u32| std::fs::read_to_string(format!("{sim}/sim_gpio{n}/value")).unwrap();
    assert_eq!((level(12).trim(), level(13).trim()), ("1", "0"));
    // Errors still name the line (allocating is fine there).
    let e = req.set_value(14, Value::Active).unwrap_err();
    assert!(e.to_string().contains("14"), "{e}");
}
