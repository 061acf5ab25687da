//! `udrv serve` owning a gpio-sim line in the real-kernel guest: it holds the output at
//! its start value (read back from gpio-sim's sysfs), `udrv gpio set` from another process
//! changes it through the service, a direct request gets the kernel's busy error naming
//! the service as consumer, and after SIGKILL (the kernel frees the line) a new service
//! restores the last value set.
#![cfg(udrv_guest)]
#![cfg(feature = "serve")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{env, sim_value, stderr, stdout};
use udrv_core::gpio::Request;
use udrv_service::client::Client;

fn start(config: &Path, socket: &Path) -> Child {
    let log = config.with_extension("log");
    let mut child = Command::new("udrv")
        .args(["serve", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("spawn udrv serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Client::connect(socket).is_err() {
        let gone = child.try_wait().unwrap();
        if gone.is_some() || Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "udrv serve never answered ({gone:?}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn pull(offset: u32, up: bool) {
    let p = format!("{}/sim_gpio{offset}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" }).expect(&p);
}

fn gpio(socket: &Path, args: &[&str]) -> std::process::Output {
    Command::new("udrv")
        .args(args)
        .env("UDRV_SERVE_SOCKET", socket)
        .stdin(Stdio::null())
        .output()
        .expect("udrv")
}

#[test]
fn the_service_holds_a_gpio_sim_line_clients_go_through_it_and_a_restart_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    let socket: PathBuf = dir.path().join("serve.sock");
    let config = dir.path().join("udrv.toml");
    std::fs::write(
        &config,
        format!(
            "board = \"guest\"\n[state]\ndir = \"{0}/state\"\n[socket]\npath = \"{1}\"\n\
             group = \"65534\"\n[[line]]\n\
             name = \"fan\"\nline = \"spare\"\ndirection = \"output\"\nstart = 1\n\
             restore = true\n[[line]]\nname = \"door\"\nline = \"button\"\n\
             direction = \"input\"\n",
            dir.path().display(),
            socket.display()
        ),
    )
    .unwrap();
    pull(1, false);
    let mut service = start(&config, &socket);
    assert_eq!(sim_value(7), "1", "held at its start value");

    // Two clients watch the input: both get every edge, in order, with the kernel's
    // sequence numbers (the stimulus paced so that the kernel's buffer never fills).
    let mut watchers: Vec<_> = (0..2)
        .map(|_| Client::connect(&socket).unwrap().watch("door").unwrap())
        .collect();
    const EDGES: usize = 20;
    for i in 0..EDGES {
        pull(1, i % 2 == 0);
        std::thread::sleep(Duration::from_millis(20));
    }
    for w in &mut watchers {
        let mut last = None;
        for i in 0..EDGES {
            let e = w.next_event().unwrap().expect("an edge");
            assert_eq!(e.name, "door");
            assert_eq!(
                e.edge,
                if i % 2 == 0 { "rising" } else { "falling" },
                "{e:?}"
            );
            assert_eq!(e.lost, 0, "{e:?}");
            if let (Some(a), Some(b)) = (last, e.line_seqno) {
                assert_eq!(b, a + 1, "{e:?}");
            }
            last = e.line_seqno;
        }
        assert!(last.is_some(), "the kernel's sequence numbers are given");
    }
    drop(watchers);

    // `udrv gpio mon` through the service: its banner once the watch is on, then the edges.
    let mut mon = Command::new("udrv")
        .args(["gpio", "mon", "--banner", "-n", "2", "door"])
        .env("UDRV_SERVE_SOCKET", &socket)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(mon.stdout.take().unwrap());
    let mut banner = String::new();
    std::io::BufRead::read_line(&mut out, &mut banner).unwrap();
    assert!(banner.starts_with("Monitoring"), "{banner}");
    pull(1, true);
    std::thread::sleep(Duration::from_millis(20));
    pull(1, false);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let o = mon.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let edges: Vec<&str> = rest
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(edges, ["rising", "falling"], "{rest}");
    assert!(stderr(&o).contains("through udrv serve"), "{}", stderr(&o));

    // Another process sets it through the service, by the service's name and by chip
    // and offset; the service keeps the line.
    let o = gpio(&socket, &["gpio", "set", "fan=0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("through udrv serve"), "{}", stderr(&o));
    assert_eq!(sim_value(7), "0");
    let chip = env("UDRV_GPIO_SIM_CHIP");
    let o = gpio(&socket, &["gpio", "get", "-n", "-c", &chip, "7"]);
    assert_eq!(stdout(&o), "0\n", "{}", stderr(&o));

    // The socket's group is the access control: uid 65534 in group 65534 may use it, in
    // another group it is refused (and told so, not sent to the busy device).
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_user = |gid: u32| {
        Command::new("udrv")
            .args(["gpio", "get", "-n", "fan"])
            .env("UDRV_SERVE_SOCKET", &socket)
            .uid(65534)
            .gid(gid)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let o = as_user(65534);
    assert_eq!(stdout(&o), "0\n", "in the group: {}", stderr(&o));
    let o = as_user(4321);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot connect to udrv serve") && stderr(&o).contains("group"),
        "{}",
        stderr(&o)
    );

    // A client that does not find the socket: told by the kernel's consumer name.
    let o = gpio(
        &dir.path().join("elsewhere.sock"),
        &["gpio", "get", "spare"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("udrv serve holds the line, but does not answer"),
        "{}",
        stderr(&o)
    );

    // A direct request: busy, naming the service.
    let e = Request::builder()
        .on_chip(&chip)
        .with_line(7)
        .as_input()
        .request()
        .expect_err("the service holds the line");
    assert!(e.to_string().contains("udrv-serve"), "{e}");

    // SIGKILL: the kernel frees the line; a new service restores 0 (not its start, 1).
    service.kill().unwrap();
    service.wait().unwrap();
    let free = Request::builder()
        .on_chip(&chip)
        .with_line(7)
        .as_input()
        .request();
    assert!(free.is_ok(), "the kernel freed the line: {:?}", free.err());
    drop(free);
    let mut service = start(&config, &socket);
    assert_eq!(sim_value(7), "0", "the last value set is back");
    service.kill().unwrap();
    service.wait().unwrap();
}
