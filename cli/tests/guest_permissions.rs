//! Permissions in the real-kernel guest: as the unprivileged user `udrv` (uid 1000, in no
//! device group), each device node (root-only, as the kernel creates it without udev)
//! gives a message naming the group and the udev rule, with exit status 1; after the
//! shipped udev rule's group and mode are applied by hand (`packaging/60-udrv.rules`,
//! parsed here: udev does not run in the guest) and the user is added to the group in
//! /etc/group, the same command works. Each test puts the node and /etc/group back.
#![cfg(udrv_guest)]

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Output};

use common::env;

/// The shipped rule, compiled in (the guest has no source tree).
const RULES: &str = include_str!("../../packaging/60-udrv.rules");

/// `(subsystem, kernel glob, group, mode)` of every rule line.
fn rules() -> Vec<(String, String, String, u32)> {
    let field = |line: &str, key: &str| -> Option<String> {
        let at = line
            .find(&format!("{key}=="))
            .map(|i| i + key.len() + 2)
            .or_else(|| line.find(&format!("{key}=")).map(|i| i + key.len() + 1))?;
        let rest = line[at..].strip_prefix('"')?;
        Some(rest[..rest.find('"')?].to_string())
    };
    RULES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            (
                field(l, "SUBSYSTEM").expect("SUBSYSTEM"),
                field(l, "KERNEL").expect("KERNEL"),
                field(l, "GROUP").expect("GROUP"),
                u32::from_str_radix(&field(l, "MODE").expect("MODE"), 8).expect("octal MODE"),
            )
        })
        .collect()
}

/// A udev KERNEL glob with `*` and `[0-9]` (what the rule uses).
fn glob(pat: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some(b'*') => (0..=n.len()).any(|k| go(&p[1..], &n[k..])),
            Some(b'[') => {
                let end = p.iter().position(|&c| c == b']').unwrap();
                let (lo, hi) = (p[1], p[3]);
                !n.is_empty() && (lo..=hi).contains(&n[0]) && go(&p[end + 1..], &n[1..])
            }
            Some(&c) => n.first() == Some(&c) && go(&p[1..], &n[1..]),
        }
    }
    go(pat.as_bytes(), name.as_bytes())
}

/// The group and mode the shipped rule gives `/dev/<name>` of `subsystem`.
fn rule_for(subsystem: &str, name: &str) -> (String, u32) {
    rules()
        .into_iter()
        .find(|(s, k, _, _)| s == subsystem && glob(k, name))
        .map(|(_, _, g, m)| (g, m))
        .unwrap_or_else(|| panic!("60-udrv.rules has no rule for {subsystem} {name}"))
}

fn as_udrv(cmd: &str) -> Output {
    Command::new("su")
        .args(["udrv", "-c", cmd])
        .output()
        .expect("busybox su")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Gid of `group` in /etc/group.
fn gid(group: &str) -> u32 {
    std::fs::read_to_string("/etc/group")
        .unwrap()
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f[0] == group).then(|| f[2].parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no group {group} in /etc/group"))
}

/// Puts a node's owner, group and mode and /etc/group back when dropped.
struct Restore {
    node: String,
    uid: u32,
    gid: u32,
    mode: u32,
    groups: String,
}

impl Restore {
    fn new(node: &str) -> Restore {
        let m = std::fs::metadata(node).unwrap();
        Restore {
            node: node.to_string(),
            uid: m.uid(),
            gid: m.gid(),
            mode: m.mode() & 0o7777,
            groups: std::fs::read_to_string("/etc/group").unwrap(),
        }
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::os::unix::fs::chown(&self.node, Some(self.uid), Some(self.gid));
        let _ = std::fs::set_permissions(&self.node, std::fs::Permissions::from_mode(self.mode));
        let _ = std::fs::write("/etc/group", &self.groups);
    }
}

/// Adds user `udrv` to `group` in /etc/group.
fn add_to_group(group: &str) {
    let g = std::fs::read_to_string("/etc/group").unwrap();
    let out: String = g
        .lines()
        .map(|l| {
            if l.split(':').next() == Some(group) {
                let sep = if l.ends_with(':') { "" } else { "," };
                format!("{l}{sep}udrv\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write("/etc/group", out).unwrap();
}

/// The whole story for one device node: refused with advice, refused with only one of
/// the two steps, then working once the rule's permissions and the group are in place.
fn story(subsystem: &str, node: &str, cmd: &str, class_group: &str) {
    let name = node.trim_start_matches("/dev/");
    let _restore = Restore::new(node);
    let m = std::fs::metadata(node).unwrap();
    assert_eq!(
        m.mode() & 0o077,
        0,
        "{node} is expected root-only without udev"
    );
    // 1. Refused, with the group and the udev rule named.
    let o = as_udrv(cmd);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{cmd}: {err}");
    assert!(
        err.contains("Permission denied (EACCES)")
            && err.contains(&format!("group `{class_group}`"))
            && err.contains(&format!("usermod -aG {class_group}"))
            && err.contains("60-udrv.rules"),
        "{cmd}: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // 2. The rule applied as udev would, the user not yet in the group: still refused.
    let (group, mode) = rule_for(subsystem, name);
    assert_eq!(
        group, class_group,
        "the rule and the message name the same group"
    );
    assert_eq!(mode, 0o660);
    std::os::unix::fs::chown(node, None, Some(gid(&group))).unwrap();
    std::fs::set_permissions(node, std::fs::Permissions::from_mode(mode)).unwrap();
    let o = as_udrv(cmd);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{cmd} without the group: {:?}",
        text(&o)
    );
    // 3. In the group: it works.
    add_to_group(&group);
    let id = as_udrv("id");
    assert!(
        text(&id).0.contains(&format!("({group})")),
        "{:?}",
        text(&id)
    );
    let o = as_udrv(cmd);
    let (out, err) = text(&o);
    assert!(
        o.status.success(),
        "{cmd} with the rule and the group: {err}"
    );
    assert!(!out.is_empty() || cmd.contains(" set "), "{cmd}: no output");
}

#[test]
fn i2c_needs_the_i2c_group_and_the_rule() {
    let bus = env("UDRV_I2C_STUB_BUS");
    story(
        "i2c-dev",
        &format!("/dev/i2c-{bus}"),
        &format!("udrv i2c get -y {bus} 0x48 0x00"),
        "i2c",
    );
}

#[test]
fn spidev_needs_the_spi_group_and_the_rule() {
    let dev = env("UDRV_SPIDEV");
    story(
        "spidev",
        &dev,
        &format!("udrv spi transfer -y {dev} 00 00"),
        "spi",
    );
}

#[test]
fn gpiochip_needs_the_gpio_group_and_the_rule() {
    let chip = env("UDRV_GPIO_SIM_CHIP");
    story("gpio", &chip, &format!("udrv gpio info {chip}"), "gpio");
}

#[test]
fn uio_needs_the_uio_group_and_the_rule() {
    let dev = env("UDRV_UIO");
    story("uio", &dev, &format!("udrv uio info {dev}"), "uio");
}

#[test]
fn the_rule_covers_every_device_class_and_nothing_else() {
    let r = rules();
    let subsystems: Vec<&str> = r.iter().map(|(s, _, _, _)| s.as_str()).collect();
    assert_eq!(subsystems, ["i2c-dev", "spidev", "gpio", "uio"]);
    assert!(glob("i2c-[0-9]*", "i2c-10") && !glob("i2c-[0-9]*", "i2c-x"));
    assert!(glob("gpiochip[0-9]*", "gpiochip3") && !glob("gpiochip[0-9]*", "gpiochipX"));
    // No rule opens a node to everyone.
    assert!(r.iter().all(|(_, _, _, m)| m & 0o007 == 0), "{r:?}");
}
