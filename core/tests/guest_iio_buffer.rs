//! The IIO buffered interface on the real kernel (x86 guest), awaited on tokio's reactor:
//! the kernel's IIO dummy device (drivers/iio/dummy/iio_simple_dummy.c and
//! iio_simple_dummy_buffer.c) and an hrtimer software trigger, both made through configfs
//! (Documentation/iio/iio_configfs.rst). The blocking read is in
//! `cli/tests/guest_kernel_drivers.rs`.
#![cfg(udrv_guest)]

use std::fs;

use udrv_core::iio::IioDevice;
use udrv_core::sysfs::SysRoot;

/// Removes configfs folders when dropped.
struct Remove(&'static [&'static str]);

impl Drop for Remove {
    fn drop(&mut self) {
        for d in self.0 {
            let _ = fs::remove_dir(d);
        }
    }
}

#[tokio::test]
async fn dummy_scans_are_awaited_on_the_reactor() {
    const TRIG: &str = "/sys/kernel/config/iio/triggers/hrtimer/udrvasync";
    const DEV: &str = "/sys/kernel/config/iio/devices/dummy/udrvasync0";
    let _remove = Remove(&[DEV, TRIG]);
    fs::create_dir(TRIG).expect("mkdir configfs hrtimer trigger");
    fs::create_dir(DEV).expect("mkdir configfs iio dummy device");
    let trigger = fs::read_dir("/sys/bus/iio/devices")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| fs::read_to_string(p.join("name")).is_ok_and(|n| n.trim() == "udrvasync"))
        .expect("the trigger under /sys/bus/iio/devices");
    fs::write(trigger.join("sampling_frequency"), "500").unwrap();
    let dev = IioDevice::open(&SysRoot::system(), "udrvasync0").unwrap();
    let mut buf = dev
        .buffer(&["voltage1-voltage2", "voltage0"], true, "udrvasync", 32)
        .unwrap();
    // voltage0 (u13/16) at 0, voltage1-voltage2 (s12/16) at 2, the timestamp at 8.
    assert_eq!(buf.scan_size(), 16);
    let mut last = 0;
    for _ in 0..5 {
        let s = buf.read_scan_async().await.unwrap();
        let v: Vec<(&str, i64)> = s.iter().map(|x| (x.channel.as_str(), x.raw)).collect();
        // fakedata[] = { 7, -33, -2, 344 }: voltage0 7, voltage1-voltage2 -33.
        assert_eq!(&v[..2], [("voltage0", 7), ("voltage1-voltage2", -33)]);
        assert!((s[1].value - -33.0 * 0.000001344).abs() < 1e-15, "{s:?}");
        assert!(s[2].raw > last, "timestamps go forward: {s:?}");
        last = s[2].raw;
    }
    drop(buf);
    let enable = dev.path().join("buffer/enable");
    assert_eq!(fs::read_to_string(enable).unwrap().trim(), "0");
}
