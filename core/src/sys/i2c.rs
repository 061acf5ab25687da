//! i2c-dev: `<linux/i2c.h>` and `<linux/i2c-dev.h>`.
//!
//! The structures that carry user buffers ([`Msg`]) borrow those buffers for their whole
//! lifetime, so the safe functions below can hand them to the kernel soundly.
#![allow(non_camel_case_types, dead_code)]

use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use super::cvt;

// ioctl requests of i2c-dev. These are plain numbers, not `_IOC` encodings.
/// `I2C_RETRIES`: number of times a device address is polled when not acknowledging.
pub(crate) const I2C_RETRIES: libc::c_ulong = 0x0701;
/// `I2C_TIMEOUT`: adapter timeout in units of 10 ms.
pub(crate) const I2C_TIMEOUT: libc::c_ulong = 0x0702;
/// `I2C_SLAVE`: use this target address (EBUSY when a kernel driver holds it).
pub(crate) const I2C_SLAVE: libc::c_ulong = 0x0703;
/// `I2C_TENBIT`: 0 for 7-bit addresses, non-zero for 10-bit.
pub(crate) const I2C_TENBIT: libc::c_ulong = 0x0704;
/// `I2C_FUNCS`: get the adapter functionality mask.
pub(crate) const I2C_FUNCS: libc::c_ulong = 0x0705;
/// `I2C_SLAVE_FORCE`: use this target address even if a kernel driver holds it.
pub(crate) const I2C_SLAVE_FORCE: libc::c_ulong = 0x0706;
/// `I2C_RDWR`: combined read/write transfer, one STOP at the end.
pub(crate) const I2C_RDWR: libc::c_ulong = 0x0707;
/// `I2C_PEC`: non-zero to use Packet Error Checking with SMBus.
pub(crate) const I2C_PEC: libc::c_ulong = 0x0708;
/// `I2C_SMBUS`: one SMBus transfer.
pub(crate) const I2C_SMBUS: libc::c_ulong = 0x0720;

/// `I2C_RDWR_IOCTL_MAX_MSGS`: the kernel refuses more messages in one `I2C_RDWR`.
pub(crate) const I2C_RDWR_IOCTL_MAX_MSGS: usize = 42;
/// The kernel refuses (EINVAL) a single `I2C_RDWR` message longer than this.
pub(crate) const I2C_RDWR_MAX_MSG_LEN: usize = 8192;
/// `I2C_SMBUS_BLOCK_MAX`: the longest SMBus block.
pub(crate) const I2C_SMBUS_BLOCK_MAX: usize = 32;

// i2c_msg flags.
/// `I2C_M_RD`: read data, from target to controller.
pub(crate) const I2C_M_RD: u16 = 0x0001;
/// `I2C_M_TEN`: a 10-bit target address.
pub(crate) const I2C_M_TEN: u16 = 0x0010;
/// `I2C_M_RECV_LEN`: the message length is the first byte received.
pub(crate) const I2C_M_RECV_LEN: u16 = 0x0400;
/// `I2C_M_NOSTART`: no repeated start before this message.
pub(crate) const I2C_M_NOSTART: u16 = 0x4000;

// I2C_SMBUS read_write values.
/// `I2C_SMBUS_READ`.
pub(crate) const I2C_SMBUS_READ: u8 = 1;
/// `I2C_SMBUS_WRITE`.
pub(crate) const I2C_SMBUS_WRITE: u8 = 0;

// I2C_SMBUS transaction types (`size`).
/// `I2C_SMBUS_QUICK`.
pub(crate) const I2C_SMBUS_QUICK: u32 = 0;
/// `I2C_SMBUS_BYTE`.
pub(crate) const I2C_SMBUS_BYTE: u32 = 1;
/// `I2C_SMBUS_BYTE_DATA`.
pub(crate) const I2C_SMBUS_BYTE_DATA: u32 = 2;
/// `I2C_SMBUS_WORD_DATA`.
pub(crate) const I2C_SMBUS_WORD_DATA: u32 = 3;
/// `I2C_SMBUS_PROC_CALL`.
pub(crate) const I2C_SMBUS_PROC_CALL: u32 = 4;
/// `I2C_SMBUS_BLOCK_DATA`.
pub(crate) const I2C_SMBUS_BLOCK_DATA: u32 = 5;
/// `I2C_SMBUS_BLOCK_PROC_CALL`.
pub(crate) const I2C_SMBUS_BLOCK_PROC_CALL: u32 = 7;
/// `I2C_SMBUS_I2C_BLOCK_DATA`.
pub(crate) const I2C_SMBUS_I2C_BLOCK_DATA: u32 = 8;

/// `struct i2c_msg`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct i2c_msg {
    pub addr: u16,
    pub flags: u16,
    pub len: u16,
    pub buf: *mut u8,
}

/// `struct i2c_rdwr_ioctl_data`.
#[repr(C)]
pub(crate) struct i2c_rdwr_ioctl_data {
    pub msgs: *mut i2c_msg,
    pub nmsgs: u32,
}

/// `union i2c_smbus_data`: a byte, a little word, or a block (`block[0]` is the length).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) union i2c_smbus_data {
    pub byte: u8,
    pub word: u16,
    pub block: [u8; I2C_SMBUS_BLOCK_MAX + 2],
}

impl i2c_smbus_data {
    /// All zeroes.
    pub(crate) fn zeroed() -> Self {
        i2c_smbus_data {
            block: [0; I2C_SMBUS_BLOCK_MAX + 2],
        }
    }

    /// A `byte` payload.
    pub(crate) fn with_byte(b: u8) -> Self {
        let mut d = Self::zeroed();
        d.bytes_mut()[0] = b;
        d
    }

    /// A `word` payload (host byte order, as the kernel expects).
    pub(crate) fn with_word(w: u16) -> Self {
        let mut d = Self::zeroed();
        d.bytes_mut()[..2].copy_from_slice(&w.to_ne_bytes());
        d
    }

    /// A block payload: `block[0] = data.len()`, then the data (at most 32 bytes; the
    /// caller checks, longer data is cut).
    pub(crate) fn with_block(data: &[u8]) -> Self {
        let mut d = Self::zeroed();
        let n = data.len().min(I2C_SMBUS_BLOCK_MAX);
        d.bytes_mut()[0] = n as u8;
        d.bytes_mut()[1..=n].copy_from_slice(&data[..n]);
        d
    }

    /// The payload as a block array.
    pub(crate) fn bytes(&self) -> &[u8; I2C_SMBUS_BLOCK_MAX + 2] {
        // SAFETY: every field of the union is plain integers with no invalid bit
        // patterns, and `block` covers all of its bytes.
        unsafe { &self.block }
    }

    /// The payload as a block array, mutable.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8; I2C_SMBUS_BLOCK_MAX + 2] {
        // SAFETY: as in `bytes`; any byte pattern written is valid for every field.
        unsafe { &mut self.block }
    }

    /// The `byte` field.
    pub(crate) fn byte(&self) -> u8 {
        self.bytes()[0]
    }

    /// The `word` field.
    pub(crate) fn word(&self) -> u16 {
        let b = self.bytes();
        u16::from_ne_bytes([b[0], b[1]])
    }
}

/// `struct i2c_smbus_ioctl_data`.
#[repr(C)]
pub(crate) struct i2c_smbus_ioctl_data {
    pub read_write: u8,
    pub command: u8,
    pub size: u32,
    pub data: *mut i2c_smbus_data,
}

/// An [`i2c_msg`] that borrows its buffer for `'a`, so it can only reach the kernel while
/// the buffer is alive. Read messages borrow mutably.
#[repr(transparent)]
pub(crate) struct Msg<'a> {
    raw: i2c_msg,
    _buf: PhantomData<&'a mut [u8]>,
}

impl<'a> Msg<'a> {
    /// A write message. `I2C_M_RD` and `I2C_M_RECV_LEN` are cleared from `flags`. A buffer
    /// longer than `u16::MAX` is cut (callers check the kernel's 8192-byte limit first).
    pub(crate) fn write(addr: u16, flags: u16, buf: &'a [u8]) -> Self {
        Msg {
            raw: i2c_msg {
                addr,
                flags: flags & !(I2C_M_RD | I2C_M_RECV_LEN),
                len: u16::try_from(buf.len()).unwrap_or(u16::MAX),
                // The kernel only reads the buffer of a message without I2C_M_RD.
                buf: buf.as_ptr().cast_mut(),
            },
            _buf: PhantomData,
        }
    }

    /// A read message (`I2C_M_RD` is set, `I2C_M_RECV_LEN` cleared).
    pub(crate) fn read(addr: u16, flags: u16, buf: &'a mut [u8]) -> Self {
        Msg {
            raw: i2c_msg {
                addr,
                flags: (flags | I2C_M_RD) & !I2C_M_RECV_LEN,
                len: u16::try_from(buf.len()).unwrap_or(u16::MAX),
                buf: buf.as_mut_ptr(),
            },
            _buf: PhantomData,
        }
    }

    /// The raw message.
    pub(crate) fn raw(&self) -> &i2c_msg {
        &self.raw
    }
}

/// `I2C_FUNCS`: the adapter's functionality mask.
pub(crate) fn funcs(fd: BorrowedFd<'_>) -> io::Result<u64> {
    let mut funcs: libc::c_ulong = 0;
    // SAFETY: I2C_FUNCS writes one `unsigned long` to the pointer, which points to a live
    // local of that type.
    cvt(unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            I2C_FUNCS as _,
            &mut funcs as *mut libc::c_ulong,
        )
    })?;
    Ok(funcs as u64)
}

/// Issues an i2c-dev ioctl whose argument is a plain integer value.
fn ioctl_value(fd: BorrowedFd<'_>, request: libc::c_ulong, value: libc::c_ulong) -> io::Result<()> {
    // SAFETY: the requests passed here (I2C_SLAVE, I2C_SLAVE_FORCE, I2C_TENBIT, I2C_PEC,
    // I2C_TIMEOUT, I2C_RETRIES) take their argument by value; no memory is accessed.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), request as _, value) })?;
    Ok(())
}

/// `I2C_SLAVE` (or `I2C_SLAVE_FORCE` when `force`): the target address of later SMBus
/// transfers on this file descriptor.
pub(crate) fn set_slave(fd: BorrowedFd<'_>, addr: u16, force: bool) -> io::Result<()> {
    let req = if force { I2C_SLAVE_FORCE } else { I2C_SLAVE };
    ioctl_value(fd, req, addr.into())
}

/// `I2C_TENBIT`.
pub(crate) fn set_tenbit(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    ioctl_value(fd, I2C_TENBIT, on.into())
}

/// `I2C_PEC`.
pub(crate) fn set_pec(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    ioctl_value(fd, I2C_PEC, on.into())
}

/// `I2C_TIMEOUT`, in units of 10 ms.
pub(crate) fn set_timeout(fd: BorrowedFd<'_>, tens_of_ms: u32) -> io::Result<()> {
    ioctl_value(fd, I2C_TIMEOUT, tens_of_ms as libc::c_ulong)
}

/// `I2C_RETRIES`.
pub(crate) fn set_retries(fd: BorrowedFd<'_>, retries: u32) -> io::Result<()> {
    ioctl_value(fd, I2C_RETRIES, retries as libc::c_ulong)
}

/// `I2C_RDWR`: the messages as one transaction (repeated starts, one STOP). Returns the
/// number of messages transferred.
pub(crate) fn rdwr(fd: BorrowedFd<'_>, msgs: &mut [Msg<'_>]) -> io::Result<u32> {
    let mut data = i2c_rdwr_ioctl_data {
        // `Msg` is `repr(transparent)` over `i2c_msg`.
        msgs: msgs.as_mut_ptr().cast::<i2c_msg>(),
        nmsgs: u32::try_from(msgs.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?,
    };
    // SAFETY: `data` points to `nmsgs` valid `i2c_msg`s; each one's `buf`/`len` come from
    // a slice borrowed for the lifetime of its `Msg`, which outlives this call; read
    // messages (the only ones the kernel writes into) borrow their slice mutably.
    let n = cvt(unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            I2C_RDWR as _,
            &mut data as *mut i2c_rdwr_ioctl_data,
        )
    })?;
    Ok(n as u32)
}

/// `I2C_SMBUS`: one SMBus transfer of type `size` with `command`, reading or writing
/// `data` (`None` only for quick and send-byte, which carry no data).
pub(crate) fn smbus(
    fd: BorrowedFd<'_>,
    read_write: u8,
    command: u8,
    size: u32,
    data: Option<&mut i2c_smbus_data>,
) -> io::Result<()> {
    smbus_raw(fd.as_raw_fd(), read_write, command, size, data)
}

/// [`smbus`] on a descriptor number that the caller keeps open for the call (the bus's
/// table of pinned files holds the numbers of files it owns until it is dropped).
#[inline]
pub(crate) fn smbus_raw(
    fd: RawFd,
    read_write: u8,
    command: u8,
    size: u32,
    data: Option<&mut i2c_smbus_data>,
) -> io::Result<()> {
    let mut args = i2c_smbus_ioctl_data {
        read_write,
        command,
        size,
        data: data.map_or(std::ptr::null_mut(), |d| d as *mut i2c_smbus_data),
    };
    // SAFETY: `args` is a valid `i2c_smbus_ioctl_data`; its `data` pointer is null or
    // points to a live, exclusively borrowed `i2c_smbus_data`, the full size the kernel
    // reads or writes for any transfer type.
    cvt(unsafe { libc::ioctl(fd, I2C_SMBUS as _, &mut args as *mut i2c_smbus_ioctl_data) })?;
    Ok(())
}

/// The SMBus transfer types whose data is at most a word. For these, i2c-dev reads from
/// and writes to the caller's `i2c_smbus_data` only its first two bytes (one for the byte
/// types, none for quick; `datasize` in the kernel's `i2cdev_ioctl_smbus`), so a two-byte
/// buffer ([`smbus_short`]) stands in for the 34-byte union: a register access need not
/// clear 34 bytes of stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Short {
    /// `I2C_SMBUS_QUICK`: no data.
    Quick = I2C_SMBUS_QUICK,
    /// `I2C_SMBUS_BYTE`: `byte`.
    Byte = I2C_SMBUS_BYTE,
    /// `I2C_SMBUS_BYTE_DATA`: `byte`.
    ByteData = I2C_SMBUS_BYTE_DATA,
    /// `I2C_SMBUS_WORD_DATA`: `word`.
    WordData = I2C_SMBUS_WORD_DATA,
    /// `I2C_SMBUS_PROC_CALL`: `word`, written and read back.
    ProcCall = I2C_SMBUS_PROC_CALL,
}

/// One SMBus transfer of a [`Short`] type on a descriptor number the caller keeps open for
/// the call: `data` holds the union's first two bytes (`byte` is `data[0]`, `word` is
/// `u16::from_ne_bytes(*data)`), written for writes and process calls, filled for reads.
#[inline]
pub(crate) fn smbus_short(
    fd: RawFd,
    read_write: u8,
    command: u8,
    size: Short,
    data: &mut [u8; 2],
) -> io::Result<()> {
    let mut args = i2c_smbus_ioctl_data {
        read_write,
        command,
        size: size as u32,
        data: data.as_mut_ptr().cast::<i2c_smbus_data>(),
    };
    // SAFETY: `args` is a valid `i2c_smbus_ioctl_data`; for the transfer types of `Short`
    // the kernel copies at most `sizeof(data->word)` = 2 bytes from and to `data`, which
    // points to a live, exclusively borrowed 2-byte buffer.
    cvt(unsafe { libc::ioctl(fd, I2C_SMBUS as _, &mut args as *mut i2c_smbus_ioctl_data) })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, size_of};

    #[test]
    fn ioctl_numbers_match_linux_i2c_dev_h() {
        assert_eq!(I2C_RETRIES, 0x0701);
        assert_eq!(I2C_TIMEOUT, 0x0702);
        assert_eq!(I2C_SLAVE, 0x0703);
        assert_eq!(I2C_TENBIT, 0x0704);
        assert_eq!(I2C_FUNCS, 0x0705);
        assert_eq!(I2C_SLAVE_FORCE, 0x0706);
        assert_eq!(I2C_RDWR, 0x0707);
        assert_eq!(I2C_PEC, 0x0708);
        assert_eq!(I2C_SMBUS, 0x0720);
        assert_eq!(I2C_RDWR_IOCTL_MAX_MSGS, 42);
    }

    #[test]
    fn struct_layouts_match_the_kernel() {
        // 64-bit layouts (x86_64, aarch64).
        #[cfg(target_pointer_width = "64")]
        {
            assert_eq!(size_of::<i2c_msg>(), 16);
            assert_eq!(size_of::<i2c_rdwr_ioctl_data>(), 16);
            assert_eq!(size_of::<i2c_smbus_ioctl_data>(), 16);
        }
        #[cfg(target_pointer_width = "32")]
        {
            assert_eq!(size_of::<i2c_msg>(), 12);
            assert_eq!(size_of::<i2c_rdwr_ioctl_data>(), 8);
            assert_eq!(size_of::<i2c_smbus_ioctl_data>(), 12);
        }
        assert_eq!(size_of::<i2c_smbus_data>(), 34);
        assert_eq!(align_of::<i2c_smbus_data>(), 2);
        assert_eq!(size_of::<Msg<'_>>(), size_of::<i2c_msg>());
    }

    #[test]
    fn smbus_data_accessors() {
        let d = i2c_smbus_data::with_word(0x1234);
        assert_eq!(d.word(), 0x1234);
        assert_eq!(i2c_smbus_data::with_byte(7).byte(), 7);
        let b = i2c_smbus_data::with_block(&[1, 2, 3]);
        assert_eq!(&b.bytes()[..4], &[3, 1, 2, 3]);
        let long = [9u8; 40];
        assert_eq!(i2c_smbus_data::with_block(&long).bytes()[0], 32);
    }

    #[test]
    fn msg_flags_follow_direction() {
        let w = [1u8, 2];
        let m = Msg::write(0x50, I2C_M_RD | I2C_M_TEN, &w);
        assert_eq!(m.raw().flags, I2C_M_TEN);
        assert_eq!(m.raw().len, 2);
        let mut r = [0u8; 3];
        let m = Msg::read(0x50, I2C_M_RECV_LEN, &mut r);
        assert_eq!(m.raw().flags, I2C_M_RD);
        assert_eq!(m.raw().len, 3);
    }
}
