//! The I2C register read on the emulated Raspberry Pi 3B, `cargo xtask vmbench --board
//! rpi3b`: embedded-hal `write_read(0x48, [0], [2 bytes])` on QEMU's tmp105 through the
//! Pi's real I2C controller and its kernel driver (`i2c-bcm2835`, BSC1 = `/dev/i2c-1`),
//! through udrv's `I2cBus`, through linux-embedded-hal 0.5's `I2cdev` (both one `I2C_RDWR`
//! per call) and through a raw `I2C_RDWR` loop (the baseline), in alternating rounds
//! (`common/mod.rs`: the x86 guest's benchmark measures and reports the same way).
//!
//! On the host this program is built (and linted) but only says how to run it.

mod common;

// Built on the host too (so `cargo clippy --all-targets` checks it), run only on the Pi.
#[cfg_attr(not(udrv_guest_rpi), allow(dead_code))]
mod pi {
    use std::os::fd::AsRawFd;

    use embedded_hal::i2c::I2c;
    use udrv_core::i2c::I2cBus;

    use crate::common::{measure, open_rw, raw_write_read, report};

    /// The tmp105 the benchmark reads (QEMU's model, no kernel driver bound).
    const TMP105: u8 = 0x48;
    /// Its temperature register (two bytes, 12 bits left-justified).
    const TEMPERATURE: u8 = 0;
    /// What that register holds at the 25.000 °C the host sets at boot (`rpi.rs`): 25 in
    /// the first byte, no fraction (TMP105 datasheet, table 5).
    const AT_25C: [u8; 2] = [0x19, 0x00];
    /// Rounds per row: each round runs the baseline, then udrv. Many short rounds, so that
    /// the host's other work preempting the emulator spoils few of them and the median of
    /// the per-round ratios ignores those (as in the x86 guest's fast cases).
    const ROUNDS: usize = 4001;
    /// Register reads per side and round: a read takes 30-110 µs here (the emulated
    /// controller's interrupts and the driver's wake-ups; more when the host is busy), and
    /// about one in a hundred takes milliseconds (the emulator preempted, or the guest's
    /// timer tick): short rounds, so that such a read spoils few of them. A row takes 3-9 s.
    const OPS: u32 = 10;

    /// `n` register reads through an embedded-hal bus (udrv's or linux-embedded-hal's).
    pub(crate) fn hal_reads(i2c: &mut impl I2c, n: u32) {
        let mut buf = [0u8; 2];
        for _ in 0..n {
            i2c.write_read(TMP105, &[TEMPERATURE], &mut buf).unwrap();
        }
    }

    pub fn run() {
        let n: u32 = std::env::var("UDRV_RPI_I2C_BUS")
            .expect("UDRV_RPI_I2C_BUS not set: the rpi fixtures failed (see the console)")
            .parse()
            .expect("UDRV_RPI_I2C_BUS: a bus number");
        let path = format!("/dev/i2c-{n}");
        let raw = open_rw(&path);
        let fd = raw.as_raw_fd();
        let mut bus = I2cBus::open(n).unwrap();
        let mut leh = linux_embedded_hal::I2cdev::new(&path).unwrap();

        // The three read the chip, not something else: the same two bytes.
        let mut got = [[0u8; 2]; 3];
        raw_write_read(fd, TMP105.into(), TEMPERATURE, &mut got[0], 1);
        bus.write_read(TMP105, &[TEMPERATURE], &mut got[1]).unwrap();
        leh.write_read(TMP105, &[TEMPERATURE], &mut got[2]).unwrap();
        assert_eq!(got, [AT_25C; 3], "raw, udrv, linux-embedded-hal");

        let mut peers = vec![measure(
            "embedded-hal write_read 1+2 (tmp105, i2c-bcm2835) vs linux-embedded-hal",
            ROUNDS,
            OPS,
            |n| hal_reads(&mut leh, n),
            |n| hal_reads(&mut bus, n),
        )];
        let mut raws = vec![measure(
            "I2C_RDWR write 1 + read 2 (tmp105, i2c-bcm2835)",
            ROUNDS,
            OPS,
            |n| raw_write_read(fd, TMP105.into(), TEMPERATURE, &mut [0u8; 2], n),
            |n| hal_reads(&mut bus, n),
        )];
        report(
            "the emulated Pi 3B: udrv against the peers",
            "peer",
            &mut peers,
        );
        report(
            "the emulated Pi 3B: udrv against the raw ioctl loop",
            "raw",
            &mut raws,
        );
    }
}

/// On the host: the instructions of one register read through udrv, linux-embedded-hal and
/// the raw loop, counted by callgrind with the kernel's i2c-dev ioctls stood in for by
/// `i2c_rdwr_shim.c` (`LD_PRELOAD`; it also prints how many of each ioctl it answered):
/// `rpi_bench count SIDE N FILE` runs N register reads of 0x48 on FILE (any regular file)
/// through SIDE (`raw`, `udrv`, `leh`). The difference between two counts (N and 0) over N
/// is the instructions per read, the ioctl itself (the shim) excepted.
#[cfg(not(udrv_guest_rpi))]
mod count {
    use std::os::fd::AsRawFd;

    pub fn run(side: &str, n: u32, file: &str) {
        match side {
            "raw" => {
                let f = crate::common::open_rw(file);
                crate::common::raw_write_read(f.as_raw_fd(), 0x48, 0, &mut [0u8; 2], n);
            }
            "udrv" => {
                let mut bus = udrv_core::i2c::I2cBus::open_path(file).unwrap();
                // The first transaction with an address checks and pins its file: not counted.
                crate::pi::hal_reads(&mut bus, 1);
                crate::pi::hal_reads(&mut bus, n);
            }
            "leh" => {
                let mut dev = linux_embedded_hal::I2cdev::new(file).unwrap();
                // The first transaction sets the address (a new file): not counted.
                crate::pi::hal_reads(&mut dev, 1);
                crate::pi::hal_reads(&mut dev, n);
            }
            other => panic!("unknown side {other}"),
        }
    }
}

fn main() {
    #[cfg(udrv_guest_rpi)]
    pi::run();
    #[cfg(not(udrv_guest_rpi))]
    common::host_main(
        "rpi_bench count raw|udrv|leh N FILE",
        "on the emulated Raspberry Pi 3B: `cargo xtask vmbench --board rpi3b`",
        count::run,
    );
}
