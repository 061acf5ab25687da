//! udrv-core's per-operation cost against raw libc loops doing the same work, measured side
//! by side in one boot of the real-kernel guest: `cargo xtask vmbench`.
//!
//! Each case runs the raw loop and the udrv loop alternately for several rounds and
//! reports the median time per operation of each and their ratio (udrv / raw). The raw
//! loops are the baseline, so they are written with plain `libc` calls and their own
//! `#[repr(C)]` structs here and in `common/mod.rs` (shared with `rpi_bench.rs`: the benchmarks
//! are the one place outside `core/src/sys` with `unsafe`; they are not part of the library).
//!
//! On the host this program is built (and linted) but only says how to run it.

mod common;

// Built on the host too (so `cargo clippy --all-targets` checks it, peers included), run
// only in the guest.
#[cfg_attr(not(udrv_guest), allow(dead_code))]
#[allow(unsafe_code)]
mod guest {
    use std::fs::{File, OpenOptions};
    use std::os::fd::AsRawFd;
    use std::time::Instant;

    use embedded_hal::i2c::I2c;
    use embedded_hal::spi::SpiDevice;
    use udrv_core::gpio::{EdgeDetection, Request};
    use udrv_core::i2c::I2cBus;
    use udrv_core::spi::SpidevDevice;

    use crate::common::{check, measure, raw_write_read, report, Case};

    fn env(name: &str) -> String {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} not set: fixture missing"))
    }

    // ---- raw ABI (baseline) ---------------------------------------------------------
    const I2C_SLAVE: libc::c_ulong = 0x0703;
    const I2C_SMBUS: libc::c_ulong = 0x0720;
    const I2C_SMBUS_READ: u8 = 1;
    const I2C_SMBUS_BYTE_DATA: u32 = 2;

    #[repr(C)]
    struct SmbusData {
        read_write: u8,
        command: u8,
        size: u32,
        data: *mut [u8; 34],
    }

    #[repr(C)]
    #[derive(Default)]
    struct SpiIocTransfer {
        tx_buf: u64,
        rx_buf: u64,
        len: u32,
        speed_hz: u32,
        delay_usecs: u16,
        bits_per_word: u8,
        cs_change: u8,
        tx_nbits: u8,
        rx_nbits: u8,
        word_delay_usecs: u8,
        pad: u8,
    }
    /// `SPI_IOC_MESSAGE(1)`.
    const SPI_IOC_MESSAGE_1: libc::c_ulong = 0x4020_6b00;

    /// The baseline: `n` SMBus read-byte-data ioctls of register 0 on `fd` (whose
    /// `I2C_SLAVE` address is set), with nothing around them.
    #[inline(always)]
    pub(crate) fn raw_smbus_reads(fd: libc::c_int, n: u32) {
        let mut data = [0u8; 34];
        for _ in 0..n {
            let mut args = SmbusData {
                read_write: I2C_SMBUS_READ,
                command: 0,
                size: I2C_SMBUS_BYTE_DATA,
                data: &mut data,
            };
            // SAFETY: args points at live, correctly laid out data.
            check(
                unsafe { libc::ioctl(fd, I2C_SMBUS, &mut args) },
                "I2C_SMBUS",
            );
        }
    }

    // ---- measurement (common/mod.rs) ---------------------------------------------------

    /// Rounds of the fast cases (about a microsecond per operation under TCG): many short
    /// rounds, so that the host's other work preempting the emulator lands inside few
    /// rounds, and the median of the per-round ratios ignores those.
    pub(crate) const ROUNDS: usize = 201;
    /// Operations per side and round of the fast cases (about a millisecond).
    pub(crate) const OPS: u32 = 1_000;

    /// A row the peer cannot do: what it answers instead.
    fn refused(name: &str, answer: &str) {
        println!("BENCH {name} | - | - | - | the peer answers: {answer}");
    }

    pub fn run() {
        let mut cases = Vec::new();

        // 1. SMBus read byte data on i2c-stub.
        let stub: u32 = env("UDRV_I2C_STUB_BUS").parse().unwrap();
        let f = File::options()
            .read(true)
            .write(true)
            .open(format!("/dev/i2c-{stub}"))
            .unwrap();
        let fd = f.as_raw_fd();
        // SAFETY: plain ioctl on an open i2c-dev fd with an integer argument.
        check(
            unsafe { libc::ioctl(fd, I2C_SLAVE, 0x48 as libc::c_ulong) },
            "I2C_SLAVE",
        );
        let bus = I2cBus::open(stub).unwrap();
        cases.push(measure(
            "SMBus read byte data (i2c-stub)",
            ROUNDS,
            OPS,
            |n| raw_smbus_reads(fd, n),
            |n| {
                for _ in 0..n {
                    bus.smbus_read_byte_data(0x48, 0).unwrap();
                }
            },
        ));

        // 1b. What an uncontended lock costs here: the raw loop again, each ioctl taken
        // under a std Mutex, as udrv's shareable handle does (I2C_SLAVE and the transfer
        // must not interleave with another thread's).
        let lock = std::sync::Mutex::new(0u16);
        cases.push(measure(
            "  (raw SMBus read + an uncontended Mutex)",
            ROUNDS,
            OPS,
            |n| raw_smbus_reads(fd, n),
            |n| {
                for _ in 0..n {
                    let g = lock.lock().unwrap();
                    raw_smbus_reads(fd, 1);
                    drop(std::hint::black_box(g));
                }
            },
        ));

        // 1c. What a driver pays: embedded-hal `write_read` of one register byte on the
        // SMBus-only stub, which udrv carries out as SMBus read byte data (the transaction
        // is matched to an SMBus command first), against the same raw loop.
        let mut hal_bus = bus.clone();
        cases.push(measure(
            "embedded-hal write_read 1+1 as SMBus (i2c-stub)",
            ROUNDS,
            OPS,
            |n| raw_smbus_reads(fd, n),
            |n| {
                let mut b = [0u8; 1];
                for _ in 0..n {
                    hal_bus.write_read(0x48u8, &[0], &mut b).unwrap();
                }
            },
        ));

        // 2. I2C_RDWR write-read on the plain (bit-banged) adapter.
        let pp: u32 = env("UDRV_I2C_PARPORT_BUS").parse().unwrap();
        let f2 = File::options()
            .read(true)
            .write(true)
            .open(format!("/dev/i2c-{pp}"))
            .unwrap();
        let fd2 = f2.as_raw_fd();
        let mut pbus = I2cBus::open(pp).unwrap();
        cases.push(measure(
            "I2C_RDWR write 1 + read 2 (i2c-parport)",
            5,
            40,
            |n| raw_write_read(fd2, 0x50, 0, &mut [0u8; 2], n),
            |n| {
                let mut buf = [0u8; 2];
                for _ in 0..n {
                    pbus.write_read(0x50u8, &[0], &mut buf).unwrap();
                }
            },
        ));

        // 3. A 32-byte full-duplex SPI transfer.
        let spi_path = env("UDRV_SPIDEV");
        let f3 = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&spi_path)
            .unwrap();
        let fd3 = f3.as_raw_fd();
        let mut dev = SpidevDevice::open(&spi_path).unwrap();
        // spi-lm70llp starts in 3-wire mode, where a full-duplex transfer is invalid.
        dev.configure(&udrv_core::spi::Config::new()).unwrap();
        cases.push(measure(
            "SPI 32-byte transfer (spidev, lm70llp)",
            5,
            40,
            |n| {
                let tx = [0x5au8; 32];
                let mut rx = [0u8; 32];
                for _ in 0..n {
                    let mut t = SpiIocTransfer {
                        tx_buf: tx.as_ptr() as u64,
                        rx_buf: rx.as_mut_ptr() as u64,
                        len: 32,
                        ..Default::default()
                    };
                    // SAFETY: the buffers outlive the call; one transfer.
                    check(
                        unsafe { libc::ioctl(fd3, SPI_IOC_MESSAGE_1, &mut t) },
                        "SPI_IOC_MESSAGE",
                    );
                }
            },
            |n| {
                let tx = [0x5au8; 32];
                let mut rx = [0u8; 32];
                for _ in 0..n {
                    dev.transfer(&mut rx, &tx).unwrap();
                }
            },
        ));

        // 4. Reading gpio-sim edge events: 1000 edges are queued (not timed) by flipping
        // the sim pull, then read one by one; 10 rounds = 10k events per side.
        let chip = env("UDRV_GPIO_SIM_CHIP");
        let pull = format!("{}/sim_gpio15/pull", env("UDRV_GPIO_SIM_SYSFS"));
        let req = Request::builder()
            .on_chip(&chip)
            .with_line(15)
            .with_edge_detection(EdgeDetection::Both)
            .with_event_buffer_size(1024)
            .with_consumer("bench")
            .request()
            .unwrap();
        let efd = req.as_raw_fd();
        let mut up = false;
        let mut queue = |n: u32| {
            for _ in 0..n {
                up = !up;
                std::fs::write(&pull, if up { "pull-up" } else { "pull-down" }).unwrap();
            }
        };
        const BATCH: u32 = 1000;
        let mut raw_t = Vec::new();
        let mut udrv_t = Vec::new();
        for _ in 0..10 {
            queue(BATCH);
            let t = Instant::now();
            let mut ev = [0u8; 48];
            for _ in 0..BATCH {
                // SAFETY: reads one 48-byte gpio_v2_line_event into a 48-byte buffer.
                let r = unsafe { libc::read(efd, ev.as_mut_ptr().cast(), ev.len()) };
                assert_eq!(r, 48, "raw event read");
            }
            raw_t.push(t.elapsed());
            queue(BATCH);
            let t = Instant::now();
            for _ in 0..BATCH {
                // (lost_before is not checked: the raw rounds read events behind udrv's
                // back, so its sequence tracker sees jumps between rounds.)
                std::hint::black_box(req.read_edge_event().unwrap());
            }
            udrv_t.push(t.elapsed());
        }
        cases.push(Case {
            name: "read gpio-sim edge event (10k)",
            raw: raw_t,
            udrv: udrv_t,
            ops: BATCH,
        });

        report("udrv against raw ioctl loops", "raw", &mut cases);
        // The peers request gpio-sim line 15 themselves.
        drop(req);
        peers::run();
    }

    /// The same operations through the libraries a user would otherwise pick, alternating
    /// with udrv round after round in the same boot.
    mod peers {
        use super::{env, measure, refused, report, Case, OPS, ROUNDS};

        use std::time::{Duration, Instant};

        use embedded_hal::i2c::I2c;
        use embedded_hal::spi::SpiDevice;
        use i2cdev::core::I2CDevice;
        use udrv_core::gpio::{EdgeDetection, Request, Value};
        use udrv_core::i2c::I2cBus;

        pub fn run() {
            let mut cases = Vec::new();
            let stub: u32 = env("UDRV_I2C_STUB_BUS").parse().unwrap();
            let stub_path = format!("/dev/i2c-{stub}");
            let bus = I2cBus::open(stub).unwrap();

            // SMBus read byte data: i2cdev's LinuxI2CDevice (a file per device).
            let mut dev = i2cdev::linux::LinuxI2CDevice::new(&stub_path, 0x48).unwrap();
            cases.push(measure(
                "SMBus read byte data (i2c-stub) vs i2cdev",
                ROUNDS,
                OPS,
                |n| {
                    for _ in 0..n {
                        std::hint::black_box(dev.smbus_read_byte_data(0).unwrap());
                    }
                },
                |n| {
                    for _ in 0..n {
                        std::hint::black_box(bus.smbus_read_byte_data(0x48, 0).unwrap());
                    }
                },
            ));

            // Two chips read in turn: i2cdev with one LinuxI2CDevice each.
            let mut dev2 = i2cdev::linux::LinuxI2CDevice::new(&stub_path, 0x50).unwrap();
            let mut i2cdev_turns = |n| {
                for _ in 0..n {
                    std::hint::black_box(dev.smbus_read_byte_data(0).unwrap());
                    std::hint::black_box(dev2.smbus_read_byte_data(0).unwrap());
                }
            };
            // udrv with one handle for both chips...
            cases.push(measure(
                "SMBus read byte data, 0x48 and 0x50 in turn (i2c-stub) vs i2cdev",
                ROUNDS,
                OPS / 2,
                &mut i2cdev_turns,
                |n| {
                    for _ in 0..n {
                        std::hint::black_box(bus.smbus_read_byte_data(0x48, 0).unwrap());
                        std::hint::black_box(bus.smbus_read_byte_data(0x50, 0).unwrap());
                    }
                },
            ));
            // ... and with a clone per chip, as drivers are given them.
            let (b48, b50) = (bus.clone(), bus.clone());
            cases.push(measure(
                "SMBus read byte data, 0x48 and 0x50 in turn, a clone per chip (i2c-stub) vs i2cdev",
                ROUNDS,
                OPS / 2,
                &mut i2cdev_turns,
                |n| {
                    for _ in 0..n {
                        std::hint::black_box(b48.smbus_read_byte_data(0x48, 0).unwrap());
                        std::hint::black_box(b50.smbus_read_byte_data(0x50, 0).unwrap());
                    }
                },
            ));

            // embedded-hal write_read on the SMBus-only stub: linux-embedded-hal sends
            // I2C_RDWR, which the stub does not have.
            let mut leh_stub = linux_embedded_hal::I2cdev::new(&stub_path).unwrap();
            let mut b = [0u8; 1];
            match leh_stub.write_read(0x48u8, &[0], &mut b) {
                Ok(()) => println!("BENCH note: linux-embedded-hal write_read on i2c-stub worked"),
                Err(e) => refused(
                    "embedded-hal write_read 1+1 (i2c-stub) vs linux-embedded-hal",
                    &format!("{e:?}").replace('|', "/"),
                ),
            }

            // embedded-hal write_read on the plain I2C adapter (bit-banged: milliseconds).
            let pp: u32 = env("UDRV_I2C_PARPORT_BUS").parse().unwrap();
            let pp_path = format!("/dev/i2c-{pp}");
            let mut leh = linux_embedded_hal::I2cdev::new(&pp_path).unwrap();
            let mut pbus = I2cBus::open(pp).unwrap();
            cases.push(measure(
                "embedded-hal write_read 1+2 (i2c-parport) vs linux-embedded-hal",
                5,
                40,
                |n| {
                    let mut buf = [0u8; 2];
                    for _ in 0..n {
                        leh.write_read(0x50u8, &[0], &mut buf).unwrap();
                    }
                },
                |n| {
                    let mut buf = [0u8; 2];
                    for _ in 0..n {
                        pbus.write_read(0x50u8, &[0], &mut buf).unwrap();
                    }
                },
            ));
            cases.push(measure(
                "embedded-hal write_read 1+2, 0x50 and 0x51 in turn (i2c-parport) vs linux-embedded-hal",
                5,
                20,
                |n| {
                    let mut buf = [0u8; 2];
                    for _ in 0..n {
                        leh.write_read(0x50u8, &[0], &mut buf).unwrap();
                        leh.write_read(0x51u8, &[0], &mut buf).unwrap();
                    }
                },
                |n| {
                    let mut buf = [0u8; 2];
                    for _ in 0..n {
                        pbus.write_read(0x50u8, &[0], &mut buf).unwrap();
                        pbus.write_read(0x51u8, &[0], &mut buf).unwrap();
                    }
                },
            ));

            // SPI: a 32-byte full-duplex transfer.
            let spi_path = env("UDRV_SPIDEV");
            let mut ours = udrv_core::spi::SpidevDevice::open(&spi_path).unwrap();
            // spi-lm70llp starts in 3-wire mode, where a full-duplex transfer is invalid.
            ours.configure(&udrv_core::spi::Config::new()).unwrap();
            let mut leh_spi = linux_embedded_hal::SpidevDevice::open(&spi_path).unwrap();
            let tx = [0x5au8; 32];
            cases.push(measure(
                "SPI 32-byte transfer (lm70llp) vs linux-embedded-hal SpidevDevice",
                5,
                40,
                |n| {
                    let mut rx = [0u8; 32];
                    for _ in 0..n {
                        leh_spi.transfer(&mut rx, &tx).unwrap();
                    }
                },
                |n| {
                    let mut rx = [0u8; 32];
                    for _ in 0..n {
                        ours.transfer(&mut rx, &tx).unwrap();
                    }
                },
            ));
            drop(leh_spi);
            let spidev = spidev::Spidev::open(&spi_path).unwrap();
            cases.push(measure(
                "SPI 32-byte transfer (lm70llp) vs spidev",
                5,
                40,
                |n| {
                    let mut rx = [0u8; 32];
                    for _ in 0..n {
                        let mut t = spidev::SpidevTransfer::read_write(&tx, &mut rx);
                        spidev.transfer(&mut t).unwrap();
                    }
                },
                |n| {
                    let mut rx = [0u8; 32];
                    for _ in 0..n {
                        ours.transfer(&mut rx, &tx).unwrap();
                    }
                },
            ));

            #[cfg(not(udrv_libgpiod))]
            println!("BENCH note: libgpiod's rows left out: the benchmark was built without UDRV_LIBGPIOD (`cargo xtask vmbench` sets it)");
            gpio(&mut cases);
            report("udrv against the peers", "peer", &mut cases);
            edge_latency();
            queued_read();
        }

        /// gpio-sim line 15 requested through udrv for both edges (the latency rows).
        fn udrv_edges(chip: &str) -> Request {
            let mut b = Request::builder();
            b.on_chip(chip).with_line(15);
            b.with_edge_detection(EdgeDetection::Both);
            b.with_consumer("bench").request().unwrap()
        }

        /// gpio-sim line 15 requested through gpiocdev for both edges (the latency rows).
        fn gpiocdev_edges(chip: &str) -> gpiocdev::Request {
            let mut b = gpiocdev::Request::builder();
            b.on_chip(chip).with_line(15);
            b.with_edge_detection(gpiocdev::line::EdgeDetection::BothEdges);
            b.with_consumer("bench").request().unwrap()
        }

        /// The work around the `read` in the blocking latency rows, without the wait:
        /// `read_edge_event` on each library when the edge is already queued (one `read`
        /// each, nothing to sleep for), and udrv's `try_read_edge_event` likewise (its
        /// non-blocking path). Each read is timed alone, after its edge was made and seen
        /// ready (not timed); udrv and gpiocdev alternate by round.
        fn queued_read() {
            const ROUNDS: usize = 21;
            const READS: u32 = 200;
            const READY: Duration = Duration::from_secs(10);
            let chip = env("UDRV_GPIO_SIM_CHIP");
            let pull = format!("{}/sim_gpio15/pull", env("UDRV_GPIO_SIM_SYSFS"));
            // No request holds the line now: this edge is queued nowhere.
            std::fs::write(&pull, "pull-down").unwrap();
            let mut up = false;
            let mut flip = || {
                up = !up;
                std::fs::write(&pull, if up { "pull-up" } else { "pull-down" }).unwrap();
            };
            type Read = fn(&Request) -> udrv_core::gpio::EdgeEvent;
            let ours: [(&'static str, Read); 2] = [
                (
                    "read_edge_event of an edge already queued (one read each) vs gpiocdev (v2)",
                    |r| r.read_edge_event().unwrap(),
                ),
                (
                    "try_read_edge_event of an edge already queued vs gpiocdev's read_edge_event (v2)",
                    |r| r.try_read_edge_event().unwrap().expect("queued"),
                ),
            ];
            let mut cases: Vec<Case> = ours
                .iter()
                .map(|(name, _)| Case {
                    name,
                    raw: Vec::new(),
                    udrv: Vec::new(),
                    ops: READS,
                })
                .collect();
            // `READS` reads, each timed alone after its edge was made and `ready` saw it.
            let mut timed = |ready: &dyn Fn() -> bool, read: &dyn Fn()| {
                let mut took = Duration::ZERO;
                for _ in 0..READS {
                    flip();
                    assert!(ready(), "no edge queued");
                    let t = Instant::now();
                    read();
                    took += t.elapsed();
                }
                took
            };
            for _ in 0..ROUNDS {
                for (case, (_, read)) in cases.iter_mut().zip(ours) {
                    let req = gpiocdev_edges(&chip);
                    case.raw
                        .push(timed(&|| req.wait_edge_event(READY).unwrap(), &|| {
                            std::hint::black_box(req.read_edge_event().unwrap());
                        }));
                    drop(req);
                    let req = udrv_edges(&chip);
                    case.udrv
                        .push(timed(&|| req.has_edge_event(READY).unwrap(), &|| {
                            std::hint::black_box(read(&req));
                        }));
                }
            }
            report(
                "one queued edge event per read (the latency rows' work around the read)",
                "gpiocdev",
                &mut cases,
            );
        }

        /// The gpio-sim lines the toggle and read rows take in turn, one a round.
        const LINES: [u32; 4] = [10, 11, 12, 13];

        /// A GPIO row: each round, the peer then udrv request the round's line (`LINES`,
        /// a different one each round), run `OPS` operations on it (timed) and release it
        /// (not timed). Which line, and so which of the kernel's allocations, a side holds
        /// changed its cost under TCG by up to a fifth on Linux 6.12 (udrv 1300 ns a
        /// toggle on line 10, 1080 ns on line 13, in one boot): with a line of its own
        /// for the whole run, each library measured its line as much as itself.
        fn on_lines<P, U>(
            name: &'static str,
            mut peer: impl FnMut(u32) -> P,
            mut peer_ops: impl FnMut(&P, u32),
            mut ours: impl FnMut(u32) -> U,
            mut ours_ops: impl FnMut(&U, u32),
        ) -> Case {
            let mut c = Case {
                name,
                raw: Vec::new(),
                udrv: Vec::new(),
                ops: OPS,
            };
            peer_ops(&peer(LINES[0]), OPS / 10 + 1);
            ours_ops(&ours(LINES[0]), OPS / 10 + 1);
            for r in 0..ROUNDS {
                let line = LINES[r % LINES.len()];
                let p = peer(line);
                let t = Instant::now();
                peer_ops(&p, OPS);
                c.raw.push(t.elapsed());
                drop(p);
                let u = ours(line);
                let t = Instant::now();
                ours_ops(&u, OPS);
                c.udrv.push(t.elapsed());
            }
            c
        }

        /// GPIO rows: toggle and read a line, each library on the same lines in turn.
        fn gpio(cases: &mut Vec<Case>) {
            let chip = env("UDRV_GPIO_SIM_CHIP");
            let ours = |line: u32| {
                let req = Request::builder()
                    .on_chip(&chip)
                    .with_line(line)
                    .as_output(Value::Inactive)
                    .with_consumer("bench-udrv")
                    .request()
                    .unwrap();
                (req, line)
            };
            let toggle_ours = |(req, line): &(Request, u32), n: u32| {
                for k in 0..n {
                    req.set_value(*line, Value::from(k & 1 == 0)).unwrap();
                }
            };
            let read_ours = |(req, line): &(Request, u32), n: u32| {
                for _ in 0..n {
                    std::hint::black_box(req.value(*line).unwrap());
                }
            };
            let v2 = |line: u32| {
                let req = gpiocdev::Request::builder()
                    .on_chip(&chip)
                    .with_line(line)
                    .as_output(gpiocdev::line::Value::Inactive)
                    .with_consumer("bench-gpiocdev")
                    .request()
                    .unwrap();
                (req, line)
            };
            let mut v1chip = gpio_cdev::Chip::new(&chip).unwrap();
            let mut v1 = |line: u32| {
                v1chip
                    .get_line(line)
                    .unwrap()
                    .request(gpio_cdev::LineRequestFlags::OUTPUT, 0, "bench-gpio-cdev")
                    .unwrap()
            };
            cases.push(on_lines(
                "GPIO toggle a line vs gpiocdev (v2)",
                v2,
                |(req, line), n| {
                    for k in 0..n {
                        let v = if k & 1 == 0 {
                            gpiocdev::line::Value::Active
                        } else {
                            gpiocdev::line::Value::Inactive
                        };
                        req.set_value(*line, v).unwrap();
                    }
                },
                ours,
                toggle_ours,
            ));
            cases.push(on_lines(
                "GPIO toggle a line vs gpio-cdev (v1)",
                &mut v1,
                |h, n| {
                    for k in 0..n {
                        h.set_value(u8::from(k & 1 == 0)).unwrap();
                    }
                },
                ours,
                toggle_ours,
            ));
            cases.push(on_lines(
                "GPIO read a line vs gpiocdev (v2)",
                v2,
                |(req, line), n| {
                    for _ in 0..n {
                        std::hint::black_box(req.value(*line).unwrap());
                    }
                },
                ours,
                read_ours,
            ));
            cases.push(on_lines(
                "GPIO read a line vs gpio-cdev (v1)",
                &mut v1,
                |h, n| {
                    for _ in 0..n {
                        std::hint::black_box(h.get_value().unwrap());
                    }
                },
                ours,
                read_ours,
            ));
            // libgpiod 2.x's C library: its loops run in C, a call per round.
            #[cfg(udrv_libgpiod)]
            {
                let lg = |line: u32| libgpiod::Line::output(&chip, line);
                cases.push(on_lines(
                    libgpiod::row("GPIO toggle a line", ""),
                    lg,
                    |l, n| l.toggle(n),
                    ours,
                    toggle_ours,
                ));
                cases.push(on_lines(
                    libgpiod::row("GPIO read a line", ""),
                    lg,
                    |l, n| {
                        std::hint::black_box(l.read(n));
                    },
                    ours,
                    read_ours,
                ));
            }

            // Edge events: 1000 edges queued (not timed) by flipping the sim pull of line
            // 15, then read one by one through each library's usual call; each side
            // requests the line for its round and releases it. 10 rounds = 10k events.
            let pull = format!("{}/sim_gpio15/pull", env("UDRV_GPIO_SIM_SYSFS"));
            let mut up = false;
            let mut queue = |n: u32| {
                for _ in 0..n {
                    up = !up;
                    std::fs::write(&pull, if up { "pull-up" } else { "pull-down" }).unwrap();
                }
            };
            const BATCH: u32 = 1000;
            // `batched`: through `read_edge_events` (one `read` of up to 64 events, decoded
            // under one lock), the counterpart of gpiocdev's `EdgeEventBuffer`; else one
            // `read_edge_event` per event.
            let udrv_round = |queue: &mut dyn FnMut(u32), batched: bool| {
                let req = Request::builder()
                    .on_chip(&chip)
                    .with_line(15)
                    .with_edge_detection(EdgeDetection::Both)
                    .with_event_buffer_size(1024)
                    .with_consumer("bench")
                    .request()
                    .unwrap();
                queue(BATCH);
                let mut events = Vec::with_capacity(64);
                let t = Instant::now();
                if batched {
                    let mut got = 0;
                    while got < BATCH as usize {
                        events.clear();
                        got += req.read_edge_events(&mut events).unwrap();
                        std::hint::black_box(&events);
                    }
                } else {
                    for _ in 0..BATCH {
                        std::hint::black_box(req.read_edge_event().unwrap());
                    }
                }
                t.elapsed()
            };
            let mut v2_case = Case {
                name: "read 10k gpio-sim edge events vs gpiocdev (v2)",
                raw: Vec::new(),
                udrv: Vec::new(),
                ops: BATCH,
            };
            let mut buf_case = Case {
                name: "read 10k gpio-sim edge events in batches (read_edge_events) vs gpiocdev (v2), 16-event buffer",
                raw: Vec::new(),
                udrv: Vec::new(),
                ops: BATCH,
            };
            const V1_BURSTS: u32 = 62;
            let mut v1_case = Case {
                name: "read 10k gpio-sim edge events (bursts of 16) vs gpio-cdev (v1)",
                raw: Vec::new(),
                udrv: Vec::new(),
                ops: V1_BURSTS * 16,
            };
            #[cfg(udrv_libgpiod)]
            const BATCHED: &str = "read 10k gpio-sim edge events in batches (read_edge_events)";
            // libgpiod's `gpiod_edge_event_buffer` of one event (its own example's, against
            // udrv's one-event `read_edge_event`), of 16 (the gpiocdev row's) and of 64
            // (udrv's batch, and libgpiod's default), against udrv's `read_edge_events`.
            #[cfg(udrv_libgpiod)]
            let mut lg_cases = [
                (1, "read 10k gpio-sim edge events", ", 1-event buffer"),
                (16, BATCHED, ", 16-event buffer"),
                (64, BATCHED, ", 64-event buffer"),
            ]
            .map(|(size, what, buffer)| {
                let case = Case {
                    name: libgpiod::row(what, buffer),
                    raw: Vec::new(),
                    udrv: Vec::new(),
                    ops: BATCH,
                };
                (size, case)
            });
            for _ in 0..10 {
                #[cfg(udrv_libgpiod)]
                for (size, case) in &mut lg_cases {
                    let line = libgpiod::Line::edges(&chip, 15, 1024);
                    let buffer = libgpiod::Buffer::new(*size);
                    queue(BATCH);
                    let t = Instant::now();
                    let seqnos = line.read_events(&buffer, BATCH);
                    case.raw.push(t.elapsed());
                    // A fresh request numbers its line's events 1, 2, ...
                    assert_eq!(
                        seqnos,
                        u64::from(BATCH * (BATCH + 1) / 2),
                        "libgpiod: the events of line 15 were not 1..={BATCH}"
                    );
                    drop((buffer, line));
                    case.udrv.push(udrv_round(&mut queue, *size > 1));
                }
                let req = gpiocdev::Request::builder()
                    .on_chip(&chip)
                    .with_line(15)
                    .with_edge_detection(gpiocdev::line::EdgeDetection::BothEdges)
                    .with_kernel_event_buffer_size(1024)
                    .with_consumer("bench")
                    .request()
                    .unwrap();
                queue(BATCH);
                let t = Instant::now();
                for _ in 0..BATCH {
                    std::hint::black_box(req.read_edge_event().unwrap());
                }
                v2_case.raw.push(t.elapsed());
                drop(req);
                v2_case.udrv.push(udrv_round(&mut queue, false));

                // gpiocdev's batched reads (udrv reads up to 16 events per system call).
                let req = gpiocdev::Request::builder()
                    .on_chip(&chip)
                    .with_line(15)
                    .with_edge_detection(gpiocdev::line::EdgeDetection::BothEdges)
                    .with_kernel_event_buffer_size(1024)
                    .with_consumer("bench")
                    .request()
                    .unwrap();
                let mut buf = req.new_edge_event_buffer(16);
                queue(BATCH);
                let t = Instant::now();
                for _ in 0..BATCH {
                    std::hint::black_box(buf.read_event().unwrap());
                }
                buf_case.raw.push(t.elapsed());
                drop(buf);
                drop(req);
                buf_case.udrv.push(udrv_round(&mut queue, true));

                // uAPI v1 keeps at most 16 events per request in the kernel: both sides
                // read 62 bursts of 16 (queued untimed), the same way.
                let mut events = gpio_cdev::Chip::new(&chip)
                    .unwrap()
                    .get_line(15)
                    .unwrap()
                    .events(
                        gpio_cdev::LineRequestFlags::INPUT,
                        gpio_cdev::EventRequestFlags::BOTH_EDGES,
                        "bench",
                    )
                    .unwrap();
                let mut took = Duration::ZERO;
                for _ in 0..V1_BURSTS {
                    queue(16);
                    let t = Instant::now();
                    for _ in 0..16 {
                        std::hint::black_box(events.get_event().unwrap());
                    }
                    took += t.elapsed();
                }
                v1_case.raw.push(took);
                drop(events);
                let req = Request::builder()
                    .on_chip(&chip)
                    .with_line(15)
                    .with_edge_detection(EdgeDetection::Both)
                    .with_consumer("bench")
                    .request()
                    .unwrap();
                let mut took = Duration::ZERO;
                for _ in 0..V1_BURSTS {
                    queue(16);
                    let t = Instant::now();
                    for _ in 0..16 {
                        std::hint::black_box(req.read_edge_event().unwrap());
                    }
                    took += t.elapsed();
                }
                v1_case.udrv.push(took);
            }
            cases.push(v2_case);
            cases.push(buf_case);
            cases.push(v1_case);
            #[cfg(udrv_libgpiod)]
            cases.extend(lg_cases.map(|(_, case)| case));
        }

        /// Edge latency: a second thread flips line 15's pull through sysfs; the time from
        /// just before its `write` to the event being returned to the caller, udrv and
        /// gpiocdev (uAPI v2) in alternating rounds, blocking and on tokio (udrv's
        /// `AsyncRequest`; gpiocdev's request in tokio's `AsyncFd`, which is what its own
        /// async wrapper does), and libgpiod's C library blocking when it is linked in
        /// (`udrv_libgpiod`). Prints p50 and p99 of every sample of each side.
        pub fn edge_latency() {
            use std::sync::mpsc;
            use tokio::io::unix::AsyncFd;
            use udrv_core::gpio::AsyncRequest;

            const ROUNDS: usize = 10;
            const SAMPLES: usize = 100;
            let chip = env("UDRV_GPIO_SIM_CHIP");
            let pull = format!("{}/sim_gpio15/pull", env("UDRV_GPIO_SIM_SYSFS"));
            // No request holds the line now: this edge is queued nowhere.
            std::fs::write(&pull, "pull-down").unwrap();
            let base = Instant::now();
            let (go, flips) = mpsc::channel::<()>();
            let (sent, when) = mpsc::channel::<Duration>();
            let flipper = std::thread::spawn(move || {
                let mut up = false;
                for () in flips {
                    up = !up;
                    let t0 = base.elapsed();
                    std::fs::write(&pull, if up { "pull-up" } else { "pull-down" }).unwrap();
                    sent.send(t0).unwrap();
                }
            });
            // One sample: flip, wait for the event (`read`), the time since the flip.
            let sample = |read: &mut dyn FnMut()| {
                go.send(()).unwrap();
                read();
                let t1 = base.elapsed();
                t1.saturating_sub(when.recv().unwrap())
            };
            let ours = || udrv_edges(&chip);
            let theirs = || gpiocdev_edges(&chip);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            // [blocking udrv, blocking gpiocdev, tokio udrv, tokio gpiocdev, blocking libgpiod]
            let mut lat: [Vec<Duration>; 5] = Default::default();
            // Each round's p50 of each side, for the spread of the per-round ratios.
            let mut round_p50: [Vec<f64>; 5] = Default::default();
            for _ in 0..ROUNDS {
                let req = ours();
                for _ in 0..SAMPLES {
                    lat[0].push(sample(&mut || {
                        std::hint::black_box(req.read_edge_event().unwrap());
                    }));
                }
                drop(req);
                let req = theirs();
                for _ in 0..SAMPLES {
                    lat[1].push(sample(&mut || {
                        std::hint::black_box(req.read_edge_event().unwrap());
                    }));
                }
                drop(req);
                // libgpiod: `gpiod_line_request_read_edge_events` into a buffer of one event,
                // as libgpiod's own example of waiting for edges does.
                #[cfg(udrv_libgpiod)]
                {
                    let line = libgpiod::Line::edges(&chip, 15, 0);
                    let buffer = libgpiod::Buffer::new(1);
                    for k in 1..=SAMPLES {
                        let mut seqno = 0;
                        lat[4].push(sample(&mut || seqno = line.read_events(&buffer, 1)));
                        assert_eq!(seqno, k as u64, "libgpiod: edge {k} of the round");
                    }
                }
                rt.block_on(async {
                    let req = AsyncRequest::new(ours()).unwrap();
                    for _ in 0..SAMPLES {
                        go.send(()).unwrap();
                        std::hint::black_box(req.read_edge_event().await.unwrap());
                        let t1 = base.elapsed();
                        lat[2].push(t1.saturating_sub(when.recv().unwrap()));
                    }
                    drop(req);
                    // SAFETY: the request owns its descriptor, open until `req` is dropped.
                    let req = unsafe { AsyncFd::register(theirs()) }
                        .unwrap_or_else(|_| panic!("gpiocdev's request on tokio"));
                    for _ in 0..SAMPLES {
                        go.send(()).unwrap();
                        let mut ready = req.readable().await.unwrap();
                        std::hint::black_box(req.get_ref().read_edge_event().unwrap());
                        ready.clear_ready();
                        let t1 = base.elapsed();
                        lat[3].push(t1.saturating_sub(when.recv().unwrap()));
                    }
                });
                for (side, v) in lat.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                    let mut this: Vec<Duration> = v[v.len() - SAMPLES..].to_vec();
                    this.sort();
                    round_p50[side].push(this[SAMPLES / 2].as_secs_f64());
                }
            }
            drop(go);
            flipper.join().unwrap();
            println!("BENCH table edge latency (gpio-sim pull written by a second thread -> event returned), {ROUNDS} rounds of {SAMPLES} per side | case | p50 µs | p99 µs | udrv p50 / gpiocdev p50 | rounds' p50 ratios, middle half");
            let pct = |v: &mut Vec<Duration>, p: usize| {
                v.sort();
                v[(v.len() * p / 100).min(v.len() - 1)].as_secs_f64() * 1e6
            };
            // The middle half of the rounds' p50 ratios, side `u` over side `g`.
            let spread = |u: usize, g: usize| {
                let mut ratios: Vec<f64> = round_p50[u]
                    .iter()
                    .zip(&round_p50[g])
                    .map(|(a, b)| a / b)
                    .collect();
                ratios.sort_by(f64::total_cmp);
                (ratios[ROUNDS / 4], ratios[ROUNDS * 3 / 4])
            };
            for (name, u, g) in [("blocking", 0, 1), ("tokio", 2, 3)] {
                let (up50, up99) = (pct(&mut lat[u], 50), pct(&mut lat[u], 99));
                let (gp50, gp99) = (pct(&mut lat[g], 50), pct(&mut lat[g], 99));
                let (lo, hi) = spread(u, g);
                println!(
                    "BENCH {name}: udrv | {up50:.1} | {up99:.1} | {:.3} | {lo:.3}-{hi:.3}",
                    up50 / gp50
                );
                println!("BENCH {name}: gpiocdev | {gp50:.1} | {gp99:.1} | | ");
            }
            #[cfg(udrv_libgpiod)]
            {
                let up50 = pct(&mut lat[0], 50);
                let (lp50, lp99) = (pct(&mut lat[4], 50), pct(&mut lat[4], 99));
                let (lo, hi) = spread(0, 4);
                println!(
                    "BENCH blocking: libgpiod {} (C) | {lp50:.1} | {lp99:.1} | udrv / libgpiod: {:.3} | {lo:.3}-{hi:.3}",
                    libgpiod::version(),
                    up50 / lp50
                );
            }
        }

        /// libgpiod 2.x's C library (`core/benches/libgpiod_peer.c`: loops of libgpiod's
        /// own calls), linked when `cargo xtask vmbench` built the benchmark with it
        /// (`core/build.rs`, `--cfg udrv_libgpiod`).
        #[cfg(udrv_libgpiod)]
        pub(super) mod libgpiod {
            use std::ffi::{c_char, c_int, c_long, c_uint, CStr, CString};
            use std::io;

            /// `struct gpiod_line_request` (opaque).
            #[repr(C)]
            struct RawRequest {
                _opaque: [u8; 0],
            }

            /// `struct gpiod_edge_event_buffer` (opaque).
            #[repr(C)]
            struct RawBuffer {
                _opaque: [u8; 0],
            }

            extern "C" {
                fn udrv_lg_request(
                    path: *const c_char,
                    offset: c_uint,
                    output: c_int,
                    event_buffer_size: usize,
                    consumer: *const c_char,
                ) -> *mut RawRequest;
                fn udrv_lg_release(request: *mut RawRequest);
                fn udrv_lg_toggle(request: *mut RawRequest, offset: c_uint, n: c_uint) -> c_int;
                fn udrv_lg_read(request: *mut RawRequest, offset: c_uint, n: c_uint) -> c_long;
                fn udrv_lg_buffer_new(capacity: usize) -> *mut RawBuffer;
                fn udrv_lg_buffer_free(buffer: *mut RawBuffer);
                fn udrv_lg_read_events(
                    request: *mut RawRequest,
                    buffer: *mut RawBuffer,
                    n: c_uint,
                ) -> c_long;
                fn udrv_lg_version() -> *const c_char;
            }

            /// The linked library's version (`gpiod_api_version`).
            pub fn version() -> String {
                // SAFETY: libgpiod returns a static NUL-terminated string.
                unsafe { CStr::from_ptr(udrv_lg_version()) }
                    .to_string_lossy()
                    .into_owned()
            }

            /// A row's name: `what` against libgpiod and its version, then `after`.
            pub fn row(what: &str, after: &str) -> &'static str {
                // A handful of rows per run: leaking their names is harmless.
                Box::leak(format!("{what} vs libgpiod {} (C){after}", version()).into_boxed_str())
            }

            /// One line requested through libgpiod, released on drop.
            pub struct Line {
                req: *mut RawRequest,
                chip: String,
                offset: u32,
            }

            impl Line {
                fn request(chip: &str, offset: u32, output: bool, queue: usize) -> Line {
                    let path = CString::new(chip).unwrap();
                    let consumer = c"bench-libgpiod";
                    // SAFETY: both strings are NUL-terminated and outlive the call.
                    let req = unsafe {
                        udrv_lg_request(
                            path.as_ptr(),
                            offset,
                            c_int::from(output),
                            queue,
                            consumer.as_ptr(),
                        )
                    };
                    assert!(
                        !req.is_null(),
                        "libgpiod: requesting line {offset} of {chip}: {}",
                        io::Error::last_os_error()
                    );
                    Line {
                        req,
                        chip: chip.into(),
                        offset,
                    }
                }

                /// The line as an output, driven inactive.
                pub fn output(chip: &str, offset: u32) -> Line {
                    Line::request(chip, offset, true, 0)
                }

                /// The line as an input detecting both edges, `queue` events deep in the
                /// kernel.
                pub fn edges(chip: &str, offset: u32, queue: usize) -> Line {
                    Line::request(chip, offset, false, queue)
                }

                fn fail(&self, call: &str) -> ! {
                    panic!(
                        "libgpiod: {call} on line {} of {}: {}",
                        self.offset,
                        self.chip,
                        io::Error::last_os_error()
                    )
                }

                /// `n` calls of `gpiod_line_request_set_value`, active and inactive in turn.
                pub fn toggle(&self, n: u32) {
                    // SAFETY: `req` is a live request of this line.
                    if unsafe { udrv_lg_toggle(self.req, self.offset, n) } < 0 {
                        self.fail("gpiod_line_request_set_value");
                    }
                }

                /// `n` calls of `gpiod_line_request_get_value`: how many read active.
                pub fn read(&self, n: u32) -> u64 {
                    // SAFETY: `req` is a live request of this line.
                    let r = unsafe { udrv_lg_read(self.req, self.offset, n) };
                    u64::try_from(r).unwrap_or_else(|_| self.fail("gpiod_line_request_get_value"))
                }

                /// Reads `n` edge events through `buffer` (blocking); the sum of their line
                /// sequence numbers.
                pub fn read_events(&self, buffer: &Buffer, n: u32) -> u64 {
                    // SAFETY: `req` and the buffer are live and belong to this thread.
                    let r = unsafe { udrv_lg_read_events(self.req, buffer.0, n) };
                    u64::try_from(r)
                        .unwrap_or_else(|_| self.fail("gpiod_line_request_read_edge_events"))
                }
            }

            impl Drop for Line {
                fn drop(&mut self) {
                    // SAFETY: `req` came from `udrv_lg_request` and is released once.
                    unsafe { udrv_lg_release(self.req) }
                }
            }

            /// A `gpiod_edge_event_buffer`, freed on drop.
            pub struct Buffer(*mut RawBuffer);

            impl Buffer {
                /// A buffer for `capacity` events.
                pub fn new(capacity: usize) -> Buffer {
                    // SAFETY: plain allocation; checked for NULL below.
                    let b = unsafe { udrv_lg_buffer_new(capacity) };
                    assert!(
                        !b.is_null(),
                        "libgpiod: gpiod_edge_event_buffer_new({capacity}) failed"
                    );
                    Buffer(b)
                }
            }

            impl Drop for Buffer {
                fn drop(&mut self) {
                    // SAFETY: the buffer came from `udrv_lg_buffer_new` and is freed once.
                    unsafe { udrv_lg_buffer_free(self.0) }
                }
            }
        }
    }
}

/// On the host: the instructions of one SMBus read byte data through udrv, i2cdev and the
/// raw loop, counted by callgrind with the kernel's i2c-dev ioctls stood in for by
/// `i2c_ioctl_shim.c` (`LD_PRELOAD`): `guest_bench count SIDE N FILE` runs N reads of
/// register 0 on FILE (any regular file) through SIDE: `raw`, `i2cdev`, `udrv` (at 0x48),
/// `i2cdev-turns`, `udrv-turns` (0x48 and 0x50 in turn, N/2 pairs: i2cdev with a
/// `LinuxI2CDevice` per chip, udrv with one handle). The difference between two counts
/// (N and 0) over N is the instructions per read, the ioctl itself (the shim) excepted.
#[cfg(not(udrv_guest))]
#[allow(unsafe_code)]
mod count {
    use i2cdev::core::I2CDevice;
    use std::hint::black_box;
    use std::os::fd::AsRawFd;

    pub fn run(side: &str, n: u32, file: &str) {
        let i2cdev_at = |addr| i2cdev::linux::LinuxI2CDevice::new(file, addr).unwrap();
        let udrv = || {
            let bus = udrv_core::i2c::I2cBus::open_path(file).unwrap();
            // The first read with each address aims (and pins) its file: not counted.
            bus.smbus_read_byte_data(0x48, 0).unwrap();
            bus.smbus_read_byte_data(0x50, 0).unwrap();
            bus
        };
        match side {
            "raw" => {
                let f = crate::common::open_rw(file);
                // SAFETY: I2C_SLAVE takes an integer argument.
                assert_eq!(unsafe { libc::ioctl(f.as_raw_fd(), 0x0703, 0x48) }, 0);
                crate::guest::raw_smbus_reads(f.as_raw_fd(), n);
            }
            "i2cdev" => {
                let mut dev = i2cdev_at(0x48);
                for _ in 0..n {
                    black_box(dev.smbus_read_byte_data(0).unwrap());
                }
            }
            "i2cdev-turns" => {
                let (mut a, mut b) = (i2cdev_at(0x48), i2cdev_at(0x50));
                for _ in 0..n / 2 {
                    black_box(a.smbus_read_byte_data(0).unwrap());
                    black_box(b.smbus_read_byte_data(0).unwrap());
                }
            }
            "udrv" => {
                let bus = udrv();
                for _ in 0..n {
                    black_box(bus.smbus_read_byte_data(0x48, 0).unwrap());
                }
            }
            "udrv-turns" => {
                let bus = udrv();
                for _ in 0..n / 2 {
                    black_box(bus.smbus_read_byte_data(0x48, 0).unwrap());
                    black_box(bus.smbus_read_byte_data(0x50, 0).unwrap());
                }
            }
            other => panic!("unknown side {other}"),
        }
    }
}

fn main() {
    #[cfg(udrv_guest)]
    guest::run();
    #[cfg(not(udrv_guest))]
    common::host_main(
        "guest_bench count raw|i2cdev|udrv|i2cdev-turns|udrv-turns N FILE",
        "in the real-kernel guest: `cargo xtask vmbench`",
        count::run,
    );
}
