//! Raw `I2C_RDWR` transfers: messages exactly as given, as `i2ctransfer` sends them.

use super::{Error, Funcs, I2cBus, Op, Result};
use crate::sys::i2c as sys;

/// What a [`Message`] does with its buffer.
#[derive(Debug)]
enum Buf<'a> {
    Read(&'a mut [u8]),
    Write(&'a [u8]),
}

/// One message of a raw transfer ([`I2cBus::transfer`]): its own target address and
/// direction, started with a (repeated) start condition. Unlike an embedded-hal
/// transaction, adjacent messages are never merged and may address different chips.
///
/// ```
/// use udrv_core::i2c::Message;
/// let reg = [0x00u8];
/// let mut data = [0u8; 4];
/// let msgs = [Message::write(0x50, &reg), Message::read(0x50, &mut data)];
/// assert_eq!(msgs[1].len(), 4);
/// ```
#[derive(Debug)]
pub struct Message<'a> {
    addr: u16,
    ten_bit: bool,
    buf: Buf<'a>,
}

impl<'a> Message<'a> {
    /// A write of `data` to the 7-bit address `addr`.
    pub fn write(addr: u16, data: &'a [u8]) -> Self {
        Message {
            addr,
            ten_bit: false,
            buf: Buf::Write(data),
        }
    }

    /// A read into `buf` from the 7-bit address `addr`.
    pub fn read(addr: u16, buf: &'a mut [u8]) -> Self {
        Message {
            addr,
            ten_bit: false,
            buf: Buf::Read(buf),
        }
    }

    /// Makes the address a 10-bit one (`I2C_M_TEN`).
    pub fn ten_bit(mut self) -> Self {
        self.ten_bit = true;
        self
    }

    /// The target address.
    pub fn addr(&self) -> u16 {
        self.addr
    }

    /// Whether this message reads.
    pub fn is_read(&self) -> bool {
        matches!(self.buf, Buf::Read(_))
    }

    /// The number of bytes it carries.
    pub fn len(&self) -> usize {
        match &self.buf {
            Buf::Read(b) => b.len(),
            Buf::Write(b) => b.len(),
        }
    }

    /// Whether it carries no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl I2cBus {
    /// Sends `msgs` in one `I2C_RDWR` ioctl, each message as given (no merging), with a
    /// repeated start between them: the semantics of `i2ctransfer`.
    ///
    /// Checked before any I/O: the adapter can do plain I2C (and 10-bit addressing when a
    /// message asks for it), at most 42 messages, at most 8192 bytes each, addresses in
    /// range, and, unless [`set_force`](Self::set_force) is on, no 7-bit address held by
    /// a kernel driver (`I2C_RDWR` itself would not stop you).
    pub fn transfer(&self, msgs: &mut [Message<'_>]) -> Result<()> {
        const MAX: usize = sys::I2C_RDWR_IOCTL_MAX_MSGS;
        let first = msgs.first().map(|m| m.addr);
        if msgs.is_empty() {
            return Ok(());
        }
        let any_ten = msgs.iter().any(|m| m.ten_bit);
        let needs = if any_ten {
            Funcs::I2C | Funcs::TEN_BIT_ADDR
        } else {
            Funcs::I2C
        };
        self.require(Op::Transfer, first, needs, None)?;
        if msgs.len() > MAX {
            return Err(Error::TooManyMessages {
                path: self.path().to_path_buf(),
                addr: first.unwrap_or(0),
                count: msgs.len(),
                max: MAX,
            });
        }
        for m in msgs.iter() {
            self.check_addr(m.addr, m.ten_bit)?;
            if m.len() > sys::I2C_RDWR_MAX_MSG_LEN {
                return Err(Error::InvalidLength {
                    path: self.path().to_path_buf(),
                    op: Op::Transfer,
                    addr: Some(m.addr),
                    len: m.len(),
                    max: sys::I2C_RDWR_MAX_MSG_LEN,
                });
            }
        }
        if !self.force() {
            let mut seen: Vec<u16> = Vec::new();
            for m in msgs.iter().filter(|m| !m.ten_bit) {
                if seen.contains(&m.addr) {
                    continue;
                }
                seen.push(m.addr);
                if let Some(driver) = self.address_user(m.addr)? {
                    return Err(Error::AddressBusy {
                        path: self.path().to_path_buf(),
                        addr: m.addr,
                        driver: Some(driver),
                    });
                }
            }
        }
        let n = msgs.len();
        let mut raw: Vec<sys::Msg<'_>> = msgs
            .iter_mut()
            .map(|m| {
                let flags = if m.ten_bit { sys::I2C_M_TEN } else { 0 };
                match &mut m.buf {
                    Buf::Read(b) => sys::Msg::read(m.addr, flags, b),
                    Buf::Write(b) => sys::Msg::write(m.addr, flags, b),
                }
            })
            .collect();
        let done = {
            let _st = self.state();
            sys::rdwr(self.fd(), &mut raw).map_err(|e| self.io(Op::Transfer, first, e))?
        };
        if done as usize != n {
            return Err(self.io(
                Op::Transfer,
                first,
                std::io::Error::other(format!("the adapter transferred {done} of {n} messages")),
            ));
        }
        Ok(())
    }
}
