//! What a line the service owns costs its clients, on gpio-sim in the real-kernel guest
//! (`cargo xtask vmbench`, after udrv-core's benchmark):
//!
//! - a `set` through the service's socket (`udrv_service::client`, the service in this
//!   process, its state file written and fsynced as every `set` writes it) against
//!   `set_value` on a line of the same chip already held by a direct request, in the same
//!   run, rounds interleaved (ratio of medians); and a `get` through the socket, the
//!   round trip without the state file;
//! - edge fan-out: one input watched by 1, 10 and 100 clients, edges made by gpio-sim's
//!   sysfs `pull` as fast as the slowest client keeps up (at most half the kernel's
//!   buffer ahead): edges per second delivered to all clients together, per client, and
//!   the ratio to one client; edges lost (must be 0).
//!
//! Prints `BENCH` lines (Markdown tables through xtask); asserts no number. On the host
//! this program is built (and linted) but only says how to run it.

#[cfg_attr(not(udrv_guest), allow(dead_code))]
mod guest {
    use std::path::Path;
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use udrv_core::gpio::{Pin, Value};
    use udrv_service::client::Client;
    use udrv_service::{serve, BoardChoice, Options};

    fn env(name: &str) -> String {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} not set: fixture missing"))
    }

    fn pull(offset: u32, up: bool) {
        let p = format!("{}/sim_gpio{offset}/pull", env("UDRV_GPIO_SIM_SYSFS"));
        std::fs::write(&p, if up { "pull-up" } else { "pull-down" }).expect(&p);
    }

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    /// Sets per round, rounds.
    const SETS: u32 = 2000;
    const ROUNDS: usize = 5;
    /// Edges per fan-out case.
    const EDGES: u32 = 1000;
    /// How far the stimulus may run ahead of the slowest client (half the kernel's buffer).
    const AHEAD: u32 = 512;

    /// Starts the service in this process (lines only, on this machine's chips) and waits
    /// for its socket.
    fn start_service(dir: &Path) -> std::path::PathBuf {
        let socket = dir.join("serve.sock");
        let config = dir.join("udrv.toml");
        std::fs::write(
            &config,
            format!(
                "board = \"bench\"\n[state]\ndir = \"{0}/state\"\n[socket]\npath = \"{1}\"\n\
                 [[line]]\nname = \"out\"\nline = \"spare\"\ndirection = \"output\"\n\
                 [[line]]\nname = \"kept\"\nline = \"led\"\ndirection = \"output\"\n\
                 restore = true\n\
                 [[line]]\nname = \"in\"\nline = \"button\"\ndirection = \"input\"\n",
                dir.display(),
                socket.display()
            ),
        )
        .unwrap();
        let opts = Options {
            config,
            board: BoardChoice::Linux { board: None },
            count: None,
            duration: Some(Duration::from_secs(280)),
            machine_id: "/etc/machine-id".into(),
        };
        std::thread::spawn(move || serve(&opts).expect("udrv serve"));
        let end = Instant::now() + Duration::from_secs(30);
        while Client::connect(&socket).is_err() {
            assert!(Instant::now() < end, "the service never answered");
            std::thread::sleep(Duration::from_millis(20));
        }
        socket
    }

    fn sets(socket: &Path) {
        let chip = env("UDRV_GPIO_SIM_CHIP");
        // `relay` (offset 2), another line of the same chip, held directly.
        let direct = Pin::output(&chip, 2, Value::Inactive).unwrap();
        let mut c = Client::connect(socket).unwrap();
        let (mut base, mut set, mut kept, mut get) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let per_op = |t: Instant| t.elapsed().as_nanos() as f64 / f64::from(SETS);
        for _ in 0..ROUNDS {
            let t = Instant::now();
            for i in 0..SETS {
                direct.set_value(Value::from(i % 2 == 0)).unwrap();
            }
            base.push(per_op(t));
            let t = Instant::now();
            for i in 0..SETS {
                c.set("out", i % 2 == 0).unwrap();
            }
            set.push(per_op(t));
            // `restore = true`: each set writes the state file (fsync, rename, fsync).
            let t = Instant::now();
            for i in 0..SETS {
                c.set("kept", i % 2 == 0).unwrap();
            }
            kept.push(per_op(t));
            let t = Instant::now();
            for _ in 0..SETS {
                std::hint::black_box(c.get("out").unwrap());
            }
            get.push(per_op(t));
        }
        let (b, s, k, g) = (median(base), median(set), median(kept), median(get));
        println!(
            "BENCH table a held line ({SETS} operations a round, {ROUNDS} rounds, medians) | \
             direct set_value ns | set through the socket ns (no state file written) | \
             ratio | set of a `restore = true` line ns (the state file written) | ratio | \
             get through the socket ns | ratio"
        );
        println!(
            "BENCH {b:.0} | {s:.0} | {:.1} | {k:.0} | {:.1} | {g:.0} | {:.1}",
            s / b,
            k / b,
            g / b
        );
    }

    /// `clients` watchers of `in`; (edges per second delivered to all, edges lost).
    fn fan_out(socket: &Path, clients: usize) -> (f64, u64) {
        let seen: Arc<Vec<AtomicU32>> = Arc::new((0..clients).map(|_| AtomicU32::new(0)).collect());
        let lost = Arc::new(AtomicU64::new(0));
        let mut threads = Vec::new();
        for i in 0..clients {
            let mut w = Client::connect(socket).unwrap().watch("in").unwrap();
            let (seen, lost) = (seen.clone(), lost.clone());
            threads.push(std::thread::spawn(move || {
                let mut n = 0;
                while n < EDGES {
                    let e = w.next_event().unwrap().expect("the service went away");
                    lost.fetch_add(e.lost, Ordering::Relaxed);
                    n += 1 + e.lost as u32;
                    seen[i].store(n, Ordering::Release);
                }
            }));
        }
        let slowest = || {
            seen.iter()
                .map(|s| s.load(Ordering::Acquire))
                .min()
                .unwrap()
        };
        let t = Instant::now();
        for k in 1..=EDGES {
            while k > AHEAD && slowest() < k - AHEAD {
                std::thread::yield_now();
            }
            pull(1, k % 2 == 1);
        }
        for th in threads {
            th.join().unwrap();
        }
        let took = t.elapsed().as_secs_f64();
        (
            f64::from(EDGES) * clients as f64 / took,
            lost.load(Ordering::Relaxed),
        )
    }

    pub fn run() {
        let dir = std::env::temp_dir().join("udrv-bench-lines");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        pull(1, false);
        let socket = start_service(&dir);
        sets(&socket);
        println!(
            "BENCH table edge fan-out ({EDGES} edges, stimulus at most {AHEAD} ahead of the \
             slowest client) | clients | edges/s delivered (all clients) | per client | \
             ratio to 1 client (all) | lost"
        );
        let mut one = None;
        for clients in [1, 10, 100] {
            // Each case starts from the line low, as the first edge expects.
            pull(1, false);
            std::thread::sleep(Duration::from_millis(200));
            let (rate, lost) = fan_out(&socket, clients);
            let base = *one.get_or_insert(rate);
            println!(
                "BENCH {clients} | {rate:.0} | {:.0} | {:.2} | {lost}",
                rate / clients as f64,
                rate / base
            );
        }
        std::process::exit(0);
    }
}

fn main() {
    #[cfg(udrv_guest)]
    guest::run();
    #[cfg(not(udrv_guest))]
    eprintln!("this benchmark runs in the real-kernel guest: `cargo xtask vmbench`");
}
