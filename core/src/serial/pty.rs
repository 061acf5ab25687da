//! Pseudo-terminal pairs, for tests without serial hardware.

use std::fs::File;
use std::os::fd::AsFd;
use std::path::PathBuf;

use super::Error;
use crate::sys::serial as sys;

/// A pseudo-terminal pair for tests: write into [`Pty::master`] and the bytes come out of
/// the slave device at [`Pty::slave_path`], which opens like any serial port. Dropping the
/// master hangs the slave up, as unplugging an adapter does.
#[derive(Debug)]
pub struct Pty {
    /// The master side.
    pub master: File,
    /// The slave side, kept open so the pty survives until the test opens it by path;
    /// drop it (`slave.take()`) once the port is open.
    pub slave: Option<File>,
    /// `/dev/pts/N`.
    pub slave_path: PathBuf,
}

impl Pty {
    /// Opens a new pty pair, both sides in raw mode.
    pub fn open() -> Result<Pty, Error> {
        let ptmx = || PathBuf::from("/dev/ptmx");
        let (m, s) = sys::openpty().map_err(|source| Error::Open {
            path: ptmx(),
            source,
        })?;
        let name = sys::ptsname(m.as_fd()).map_err(|source| Error::Open {
            path: ptmx(),
            source,
        })?;
        let master = File::from(m);
        let slave = File::from(s);
        for (f, p) in [(&master, ptmx()), (&slave, PathBuf::from(&name))] {
            let mut t = sys::tcgets2(f.as_fd()).map_err(|source| Error::Configure {
                path: p.clone(),
                what: "termios",
                source,
            })?;
            t.c_iflag = 0;
            t.c_oflag = 0;
            t.c_lflag = 0;
            t.c_cc[libc::VMIN] = 1;
            t.c_cc[libc::VTIME] = 0;
            sys::tcsets2(f.as_fd(), &t).map_err(|source| Error::Configure {
                path: p,
                what: "termios",
                source,
            })?;
        }
        Ok(Pty {
            master,
            slave: Some(slave),
            slave_path: PathBuf::from(name),
        })
    }
}
