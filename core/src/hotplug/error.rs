//! The hot-plug error type.

use std::fmt;
use std::io;

/// What udrv was doing with the kernel's uevent socket when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Creating the `NETLINK_KOBJECT_UEVENT` socket.
    Open,
    /// Joining the kernel's uevent multicast group (`bind`).
    Bind,
    /// Receiving an event.
    Receive,
    /// Waiting for the socket to become readable.
    Wait,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Open => "open",
            Operation::Bind => "join the kernel's event group (bind) on",
            Operation::Receive => "receive from",
            Operation::Wait => "wait on",
        })
    }
}

/// Errors of the [`hotplug`](super) module.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A system call on the uevent socket failed.
    Io {
        /// What was being done.
        op: Operation,
        /// The OS error.
        source: io::Error,
    },
    /// The kernel dropped events because the socket's receive queue was full
    /// (`ENOBUFS`): devices may have come or gone unseen. The monitor keeps working; look
    /// at the current state (`/dev`, `/sys/class/...`) to catch up.
    Overflow,
    /// [`Event::parse`](super::Event::parse) was given something that is not a kernel
    /// uevent.
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
}

/// Shorthand for `Result<T, hotplug::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

/// How the uevent socket is named in messages.
const SOCKET: &str = "the kernel uevent socket (netlink NETLINK_KOBJECT_UEVENT, group 1)";

impl Error {
    pub(crate) fn io(op: Operation, source: io::Error) -> Error {
        if source.raw_os_error() == Some(libc::ENOBUFS) && op == Operation::Receive {
            return Error::Overflow;
        }
        Error::Io { op, source }
    }

    /// The OS error number, when the error came from a system call (`ENOBUFS` for
    /// [`Error::Overflow`]).
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } => source.raw_os_error(),
            Error::Overflow => Some(libc::ENOBUFS),
            Error::Malformed { .. } => None,
        }
    }
}

/// `description (ENAME)`, naming the errnos a netlink socket gives that the shared table
/// does not know.
fn describe(err: &io::Error) -> String {
    let name = match err.raw_os_error() {
        Some(libc::EAFNOSUPPORT) => "EAFNOSUPPORT",
        Some(libc::EPROTONOSUPPORT) => "EPROTONOSUPPORT",
        Some(libc::ESOCKTNOSUPPORT) => "ESOCKTNOSUPPORT",
        _ => return crate::error::describe(err),
    };
    let text = err.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    format!("{text} ({name})")
}

/// What the user can do about `errno` during `op`.
fn hint(op: Operation, errno: i32) -> Option<&'static str> {
    Some(match (op, errno) {
        (Operation::Open | Operation::Bind, libc::EPERM | libc::EACCES) => {
            "a security policy forbids netlink sockets here, as in containers (a seccomp \
             profile, AppArmor or SELinux): run on the host, or allow AF_NETLINK sockets \
             (docker: a seccomp profile that permits them); note that kernel uevents reach a \
             container only if its network namespace belongs to the initial user namespace \
             (not rootless or user-namespaced containers)"
        }
        (
            Operation::Open,
            libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT | libc::ESOCKTNOSUPPORT | libc::EINVAL,
        ) => {
            "this kernel has no netlink sockets (built without CONFIG_NET), so it sends no \
             uevents: enable CONFIG_NET, or poll /dev for the device node instead"
        }
        (_, libc::EMFILE | libc::ENFILE) => {
            "too many open files: close monitors that are no longer needed (one per process \
             is enough; filter its events instead of opening more)"
        }
        _ => return None,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { op, source } => {
                write!(f, "hotplug: cannot {op} {SOCKET}: {}", describe(source))?;
                if let Some(h) = source.raw_os_error().and_then(|e| hint(*op, e)) {
                    write!(f, "; {h}")?;
                }
                Ok(())
            }
            Error::Overflow => write!(
                f,
                "hotplug: the kernel dropped events on {SOCKET}: its receive queue was full \
                 (ENOBUFS); devices may have come or gone unseen, so check the current state \
                 (`ls /dev`, `udrv i2c list`, `udrv gpio detect`); read events more promptly \
                 to avoid this"
            ),
            Error::Malformed { reason } => write!(f, "hotplug: not a kernel uevent: {reason}"),
        }
    }
}

crate::error::io_error_source!(Error);

#[cfg(test)]
mod tests {
    use super::*;

    fn err(op: Operation, errno: i32) -> Error {
        Error::io(op, io::Error::from_raw_os_error(errno))
    }

    #[test]
    fn container_permission_errors_say_what_to_do() {
        for errno in [libc::EPERM, libc::EACCES] {
            let s = err(Operation::Bind, errno).to_string();
            assert!(
                s.starts_with("hotplug: cannot join the kernel's event group"),
                "{s}"
            );
            assert!(s.contains("NETLINK_KOBJECT_UEVENT"), "{s}");
            assert!(s.contains(crate::error::errno_name(errno)), "{s}");
            assert!(s.contains("container") && s.contains("AF_NETLINK"), "{s}");
        }
        let s = err(Operation::Open, libc::EPERM).to_string();
        assert!(s.contains("cannot open the kernel uevent socket"), "{s}");
        assert!(s.contains("seccomp"), "{s}");
    }

    #[test]
    fn a_kernel_without_netlink_is_named() {
        let e = err(Operation::Open, libc::EAFNOSUPPORT);
        let s = e.to_string();
        assert!(
            s.contains("(EAFNOSUPPORT)") && s.contains("CONFIG_NET"),
            "{s}"
        );
        assert_eq!(e.errno(), Some(libc::EAFNOSUPPORT));
        let s = err(Operation::Open, libc::EPROTONOSUPPORT).to_string();
        assert!(
            s.contains("(EPROTONOSUPPORT)") && s.contains("CONFIG_NET"),
            "{s}"
        );
        // Not a hint for a receive.
        let s = err(Operation::Receive, libc::EINVAL).to_string();
        assert!(!s.contains("CONFIG_NET") && s.contains("(EINVAL)"), "{s}");
    }

    #[test]
    fn enobufs_on_receive_is_an_overflow() {
        let e = err(Operation::Receive, libc::ENOBUFS);
        assert!(matches!(e, Error::Overflow), "{e:?}");
        assert_eq!(e.errno(), Some(libc::ENOBUFS));
        let s = e.to_string();
        assert!(s.contains("ENOBUFS") && s.contains("unseen"), "{s}");
        // Elsewhere ENOBUFS stays an I/O error.
        assert!(matches!(
            err(Operation::Open, libc::ENOBUFS),
            Error::Io { .. }
        ));
        let e = Error::Malformed {
            reason: "empty message".into(),
        };
        assert_eq!(e.to_string(), "hotplug: not a kernel uevent: empty message");
        assert_eq!(e.errno(), None);
        use std::error::Error as _;
        assert!(err(Operation::Wait, libc::EBADF).source().is_some());
    }
}
