//! Kernel uevents: a `NETLINK_KOBJECT_UEVENT` socket bound to the kernel's multicast group
//! (group 1), and the parser of its datagrams.
//!
//! The kernel sends one datagram per event, from port id 0 (`nl_pid == 0`), laid out as
//! NUL-terminated strings: a header `ACTION@DEVPATH`, then `KEY=VALUE` pairs
//! (`lib/kobject_uevent.c`, `alloc_uevent_skb`):
//!
//! ```text
//! add@/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3\0ACTION=add\0DEVPATH=/devices/...\0
//! SUBSYSTEM=i2c-dev\0DEVNAME=i2c-3\0SEQNUM=1234\0MAJOR=89\0MINOR=3\0
//! ```
//!
//! udevd re-broadcasts processed events on group 2 in its own format, which starts with the
//! magic `libudev\0`; those are not kernel uevents and are rejected, as is anything whose
//! sender is not the kernel (a process with `CAP_NET_ADMIN` may send to group 1 too).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use super::cvt;

/// The kernel's uevent multicast group (udevd's own re-broadcast is group 2).
pub(crate) const KERNEL_GROUP: u32 = 1;

/// The largest uevent the kernel sends: `UEVENT_BUFFER_SIZE` (2048) bytes of environment
/// plus the `ACTION@DEVPATH` header (a devpath is at most a page). 16 KiB leaves room.
pub(crate) const RECV_BUFFER: usize = 16 * 1024;

/// How much the kernel may queue for the socket before dropping events (`ENOBUFS`).
/// Best effort: `SO_RCVBUFFORCE` needs `CAP_NET_ADMIN`, `SO_RCVBUF` is capped by
/// `net.core.rmem_max`.
const RCVBUF_BYTES: libc::c_int = 4 * 1024 * 1024;

/// `struct sockaddr_nl` (`<linux/netlink.h>`), declared here so it can be built without
/// touching libc's private padding field.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SockaddrNl {
    pub nl_family: libc::sa_family_t,
    pub nl_pad: u16,
    /// The port id: 0 for the kernel.
    pub nl_pid: u32,
    /// The multicast groups (a bit mask).
    pub nl_groups: u32,
}

/// A non-blocking, close-on-exec `NETLINK_KOBJECT_UEVENT` socket (not yet bound).
pub(crate) fn socket() -> io::Result<OwnedFd> {
    // SAFETY: socket(2) takes three integers and returns a new descriptor or -1.
    let fd = cvt(unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            libc::NETLINK_KOBJECT_UEVENT,
        )
    })?;
    // SAFETY: `fd` was just returned by socket(2), is open and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Binds the socket to the multicast groups `groups` (a bit mask; [`KERNEL_GROUP`] for
/// kernel uevents), letting the kernel choose the port id.
pub(crate) fn bind(fd: BorrowedFd<'_>, groups: u32) -> io::Result<()> {
    let addr = SockaddrNl {
        nl_family: libc::AF_NETLINK as libc::sa_family_t,
        nl_pad: 0,
        nl_pid: 0,
        nl_groups: groups,
    };
    // SAFETY: `addr` is a live, initialised `sockaddr_nl` and the length passed is its size.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const SockaddrNl).cast(),
            std::mem::size_of::<SockaddrNl>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Asks for a large receive queue so bursts of events (a USB hub with four adapters) are
/// not dropped: `SO_RCVBUFFORCE` (root), else `SO_RCVBUF` (capped by `rmem_max`).
pub(crate) fn grow_receive_buffer(fd: BorrowedFd<'_>) -> io::Result<()> {
    let set = |opt: libc::c_int| {
        // SAFETY: `RCVBUF_BYTES` is read as a live `c_int` whose size is passed.
        cvt(unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&RCVBUF_BYTES as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        })
    };
    set(libc::SO_RCVBUFFORCE)
        .or_else(|_| set(libc::SO_RCVBUF))
        .map(drop)
}

/// The port id the kernel gave the socket when it was bound (`getsockname`).
#[cfg_attr(not(test), allow(dead_code))] // the host tests' forged-sender check
pub(crate) fn port_id(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let mut addr = SockaddrNl::default();
    let mut len = std::mem::size_of::<SockaddrNl>() as libc::socklen_t;
    // SAFETY: `addr` is a live `sockaddr_nl` and `len` holds its size, which the kernel
    // does not exceed.
    cvt(unsafe {
        libc::getsockname(
            fd.as_raw_fd(),
            (&mut addr as *mut SockaddrNl).cast(),
            &mut len,
        )
    })?;
    Ok(addr.nl_pid)
}

/// Sends `msg` to netlink port `port` (unicast). Any process may do this to any uevent
/// socket, without privilege, which is why [`accept`] checks the sender.
#[cfg_attr(not(test), allow(dead_code))] // the host tests' forged-sender check
pub(crate) fn send_to_port(fd: BorrowedFd<'_>, port: u32, msg: &[u8]) -> io::Result<()> {
    let to = SockaddrNl {
        nl_family: libc::AF_NETLINK as libc::sa_family_t,
        nl_pad: 0,
        nl_pid: port,
        nl_groups: 0,
    };
    // SAFETY: `msg` is valid for reads of `msg.len()` bytes; `to` is a live `sockaddr_nl`
    // whose size is passed.
    let n = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            libc::MSG_DONTWAIT,
            (&to as *const SockaddrNl).cast(),
            std::mem::size_of::<SockaddrNl>() as libc::socklen_t,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// One datagram received by [`recv`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Datagram {
    /// Its length in bytes (the buffer holds `min(len, buffer length)` of them).
    pub len: usize,
    /// The sender's address, when the kernel gave a netlink address.
    pub from: Option<SockaddrNl>,
}

impl Datagram {
    /// Whether the datagram was longer than the buffer (the rest was discarded).
    pub(crate) fn truncated(&self, buf_len: usize) -> bool {
        self.len > buf_len
    }
}

/// Receives one datagram into `buf` without blocking (`WouldBlock` when none is queued).
/// `EINTR` is retried. `ENOBUFS` means the kernel dropped events because the queue was
/// full (the socket stays usable).
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Datagram> {
    loop {
        let mut from = SockaddrNl::default();
        let mut from_len = std::mem::size_of::<SockaddrNl>() as libc::socklen_t;
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes; `from` is a live
        // `sockaddr_nl` and `from_len` holds its size, which the kernel never exceeds.
        // MSG_TRUNC makes the return value the datagram's real length.
        let n = unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT | libc::MSG_TRUNC,
                (&mut from as *mut SockaddrNl).cast(),
                &mut from_len,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let valid = from_len as usize == std::mem::size_of::<SockaddrNl>()
            && from.nl_family == libc::AF_NETLINK as libc::sa_family_t;
        return Ok(Datagram {
            len: n as usize,
            from: valid.then_some(from),
        });
    }
}

/// Why a datagram is not a kernel uevent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    /// The sender is not the kernel (its port id, or `None` without a netlink address).
    NotKernel(Option<u32>),
    /// udevd's (libudev) format, `libudev\0` magic.
    Libudev,
    /// Longer than the receive buffer; the rest was lost.
    Truncated(usize),
    /// Not in the kernel's format; the text says what is wrong.
    Malformed(String),
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reject::NotKernel(Some(pid)) => {
                write!(f, "sent by netlink port {pid}, not by the kernel (port 0)")
            }
            Reject::NotKernel(None) => f.write_str("sent without a netlink address"),
            Reject::Libudev => f.write_str("a libudev (udevd) message, not a kernel uevent"),
            Reject::Truncated(len) => write!(f, "{len} bytes, longer than the receive buffer"),
            Reject::Malformed(why) => f.write_str(why),
        }
    }
}

/// A parsed uevent: the header's action and devpath, and the `KEY=VALUE` pairs in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawUevent {
    pub action: String,
    pub devpath: String,
    pub env: Vec<(String, String)>,
}

/// The magic that starts every libudev monitor message (`udev_monitor_netlink_header`).
const LIBUDEV_MAGIC: &[u8] = b"libudev\0";

/// Checks a received datagram's origin, then parses it.
pub(crate) fn accept(dgram: &Datagram, buf: &[u8]) -> Result<RawUevent, Reject> {
    match dgram.from {
        Some(from) if from.nl_pid == 0 => {}
        Some(from) => return Err(Reject::NotKernel(Some(from.nl_pid))),
        None => return Err(Reject::NotKernel(None)),
    }
    if dgram.truncated(buf.len()) {
        return Err(Reject::Truncated(dgram.len));
    }
    parse(&buf[..dgram.len])
}

/// Parses a kernel uevent payload: `ACTION@DEVPATH\0KEY=VALUE\0...`. Values that are not
/// UTF-8 are converted lossily; a trailing NUL (the kernel's) is optional. When `ACTION`
/// and `DEVPATH` pairs are present they must agree with the header.
pub(crate) fn parse(msg: &[u8]) -> Result<RawUevent, Reject> {
    if msg.starts_with(LIBUDEV_MAGIC) {
        return Err(Reject::Libudev);
    }
    let malformed = |why: String| Err(Reject::Malformed(why));
    if msg.is_empty() {
        return malformed("empty message".into());
    }
    let mut parts = msg.split(|&b| b == 0);
    let header = parts.next().unwrap_or_default();
    let header = String::from_utf8_lossy(header);
    let Some((action, devpath)) = header.split_once('@') else {
        return malformed(format!("no ACTION@DEVPATH header: {header:?}"));
    };
    if action.is_empty() || !action.bytes().all(|b| b.is_ascii_lowercase()) {
        return malformed(format!("bad action in header {header:?}"));
    }
    if !devpath.starts_with('/') {
        return malformed(format!("devpath not absolute in header {header:?}"));
    }
    let mut env = Vec::new();
    for part in parts {
        if part.is_empty() {
            continue; // the terminating NUL (or padding)
        }
        let text = String::from_utf8_lossy(part);
        let Some((key, value)) = text.split_once('=') else {
            return malformed(format!("not KEY=VALUE: {text:?}"));
        };
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        {
            return malformed(format!("bad key in {text:?}"));
        }
        env.push((key.to_string(), value.to_string()));
    }
    for (key, expected) in [("ACTION", action), ("DEVPATH", devpath)] {
        if let Some((_, v)) = env.iter().find(|(k, _)| k == key) {
            if v != expected {
                return malformed(format!("{key}={v} disagrees with the header {header:?}"));
            }
        }
    }
    Ok(RawUevent {
        action: action.to_string(),
        devpath: devpath.to_string(),
        env,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel() -> Datagram {
        Datagram {
            len: 0,
            from: Some(SockaddrNl {
                nl_family: libc::AF_NETLINK as libc::sa_family_t,
                nl_pad: 0,
                nl_pid: 0,
                nl_groups: KERNEL_GROUP,
            }),
        }
    }

    const I2C_ADD: &[u8] = b"add@/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3\0\
        ACTION=add\0DEVPATH=/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3\0\
        SUBSYSTEM=i2c-dev\0DEVNAME=i2c-3\0SEQNUM=1234\0MAJOR=89\0MINOR=3\0";

    #[test]
    fn sockaddr_nl_layout_matches_the_kernel() {
        assert_eq!(std::mem::size_of::<SockaddrNl>(), 12);
        assert_eq!(
            std::mem::size_of::<SockaddrNl>(),
            std::mem::size_of::<libc::sockaddr_nl>()
        );
        let a = SockaddrNl::default();
        let base = &a as *const _ as usize;
        assert_eq!(&a.nl_pid as *const _ as usize - base, 4);
        assert_eq!(&a.nl_groups as *const _ as usize - base, 8);
        assert_eq!(libc::NETLINK_KOBJECT_UEVENT, 15);
    }

    #[test]
    fn parses_a_kernel_uevent() {
        let ev = parse(I2C_ADD).unwrap();
        assert_eq!(ev.action, "add");
        assert_eq!(ev.devpath, "/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3");
        let keys: Vec<&str> = ev.env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "ACTION",
                "DEVPATH",
                "SUBSYSTEM",
                "DEVNAME",
                "SEQNUM",
                "MAJOR",
                "MINOR"
            ]
        );
        assert_eq!(ev.env[3], ("DEVNAME".into(), "i2c-3".into()));
        // Without the final NUL, and with values holding '=' and '@'.
        let ev = parse(b"change@/devices/x\0SUBSYSTEM=tty\0NAME=a=b@c").unwrap();
        assert_eq!(ev.action, "change");
        assert_eq!(
            ev.env,
            [
                ("SUBSYSTEM".into(), "tty".into()),
                ("NAME".into(), "a=b@c".into())
            ]
        );
        // An empty value is a value.
        let ev = parse(b"bind@/devices/y\0DRIVER=\0").unwrap();
        assert_eq!(ev.env, [("DRIVER".into(), String::new())]);
    }

    #[test]
    fn rejects_malformed_payloads() {
        for (bad, why) in [
            (&b""[..], "empty"),
            (b"\0ACTION=add\0", "header"),
            (b"add/devices/x\0ACTION=add\0", "header"),
            (b"@/devices/x\0", "action"),
            (b"ADD@/devices/x\0", "action"),
            (b"add@devices/x\0", "absolute"),
            (b"add@/devices/x\0ACTION\0", "KEY=VALUE"),
            (b"add@/devices/x\0=value\0", "bad key"),
            (b"add@/devices/x\0KEY WITH SPACE=1\0", "bad key"),
            (b"add@/devices/x\0ACTION=remove\0", "disagrees"),
            (b"add@/devices/x\0DEVPATH=/devices/y\0", "disagrees"),
        ] {
            match parse(bad) {
                Err(Reject::Malformed(m)) => assert!(m.contains(why), "{bad:?}: {m}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_libudev_messages_and_other_senders() {
        let mut udev = b"libudev\0".to_vec();
        udev.extend_from_slice(&[0xfe, 0xed, 0xca, 0xfe, 40, 0, 0, 0]);
        udev.extend_from_slice(I2C_ADD);
        assert_eq!(parse(&udev), Err(Reject::Libudev));
        let d = Datagram {
            len: udev.len(),
            ..kernel()
        };
        assert_eq!(accept(&d, &udev), Err(Reject::Libudev));

        let mut from_process = kernel();
        from_process.len = I2C_ADD.len();
        from_process.from.as_mut().unwrap().nl_pid = 4242;
        assert_eq!(
            accept(&from_process, I2C_ADD),
            Err(Reject::NotKernel(Some(4242)))
        );
        let no_addr = Datagram {
            len: I2C_ADD.len(),
            from: None,
        };
        assert_eq!(accept(&no_addr, I2C_ADD), Err(Reject::NotKernel(None)));

        let ok = Datagram {
            len: I2C_ADD.len(),
            ..kernel()
        };
        assert_eq!(accept(&ok, I2C_ADD).unwrap().action, "add");
        // Only the received length counts, not the rest of the buffer.
        let mut buf = I2C_ADD.to_vec();
        buf.extend_from_slice(b"GARBAGE WITHOUT EQUALS\0");
        assert_eq!(accept(&ok, &buf).unwrap().env.len(), 7);
        // Longer than the buffer: the kernel cut it.
        let long = Datagram {
            len: I2C_ADD.len() + 1,
            ..kernel()
        };
        assert_eq!(
            accept(&long, I2C_ADD),
            Err(Reject::Truncated(I2C_ADD.len() + 1))
        );
        assert!(Reject::NotKernel(Some(7)).to_string().contains("port 7"));
    }

    #[test]
    fn the_socket_opens_and_receives_nothing_unbound() {
        // Creating the socket needs no privilege; unbound it joins no group, so a receive
        // would block (and does not, the socket being non-blocking).
        let s = socket().expect("a NETLINK_KOBJECT_UEVENT socket");
        let mut buf = [0u8; 64];
        let e = recv(std::os::fd::AsFd::as_fd(&s), &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }
}
