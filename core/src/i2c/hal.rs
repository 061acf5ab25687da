//! embedded-hal 1.0 blocking [`I2c`] for [`I2cBus`], 7-bit and 10-bit addresses.

use embedded_hal::i2c::{ErrorType, I2c, Operation, SevenBitAddress, TenBitAddress};

use super::plan::{self, Dir, SmbusPlan};
use super::{Error, Funcs, I2cBus, Op, Result};
use crate::sys::i2c as sys;

impl ErrorType for I2cBus {
    type Error = Error;
}

/// One `I2C_RDWR` per transaction (adjacent operations of one direction merged into one
/// message); on SMBus-only adapters, the one SMBus command with the same bytes on the
/// wire, or [`Error::Unsupported`]. A kernel driver's address gives
/// [`Error::AddressBusy`] unless [`I2cBus::set_force`] is on.
impl I2c<SevenBitAddress> for I2cBus {
    fn transaction(&mut self, address: u8, operations: &mut [Operation<'_>]) -> Result<()> {
        self.transaction_at(address.into(), false, operations)
    }

    /// The same as [`transaction`](I2c::transaction) with one write; on an SMBus-only
    /// adapter it goes straight to the SMBus command (no operation list to walk).
    fn write(&mut self, address: u8, write: &[u8]) -> Result<()> {
        match self.smbus_only(address) {
            Some(addr) => self.smbus_shape(addr, &[(Dir::Write, write.len())], write, &mut []),
            None => self.transaction(address, &mut [Operation::Write(write)]),
        }
    }

    /// The same as [`transaction`](I2c::transaction) with one read; on an SMBus-only
    /// adapter it goes straight to the SMBus command.
    fn read(&mut self, address: u8, read: &mut [u8]) -> Result<()> {
        match self.smbus_only(address) {
            Some(addr) => self.smbus_shape(addr, &[(Dir::Read, read.len())], &[], read),
            None => self.transaction(address, &mut [Operation::Read(read)]),
        }
    }

    /// The same as [`transaction`](I2c::transaction) with a write and a read (a register
    /// read); on an SMBus-only adapter it goes straight to the SMBus command.
    fn write_read(&mut self, address: u8, write: &[u8], read: &mut [u8]) -> Result<()> {
        match self.smbus_only(address) {
            Some(addr) if !write.is_empty() && !read.is_empty() => {
                let shape = [(Dir::Write, write.len()), (Dir::Read, read.len())];
                self.smbus_shape(addr, &shape, write, read)
            }
            _ => self.transaction(
                address,
                &mut [Operation::Write(write), Operation::Read(read)],
            ),
        }
    }
}

/// Sets `I2C_M_TEN` on every message; needs `I2C_FUNC_10BIT_ADDR` and `I2C_FUNC_I2C`
/// ([`Error::Unsupported`] otherwise, before any I/O). The kernel-driver check of 7-bit
/// addresses does not apply: i2c-dev has no busy check for 10-bit targets.
impl I2c<TenBitAddress> for I2cBus {
    fn transaction(&mut self, address: u16, operations: &mut [Operation<'_>]) -> Result<()> {
        self.transaction_at(address, true, operations)
    }
}

fn dir_len(op: &Operation<'_>) -> (Dir, usize) {
    match op {
        Operation::Read(b) => (Dir::Read, b.len()),
        Operation::Write(b) => (Dir::Write, b.len()),
    }
}

impl I2cBus {
    /// An embedded-hal transaction at `addr` (10-bit when `ten_bit`).
    pub(crate) fn transaction_at(
        &self,
        addr: u16,
        ten_bit: bool,
        ops: &mut [Operation<'_>],
    ) -> Result<()> {
        self.check_addr(addr, ten_bit)?;
        if ten_bit {
            self.require(
                Op::Transfer,
                Some(addr),
                Funcs::I2C | Funcs::TEN_BIT_ADDR,
                None,
            )?;
        }
        if self.funcs().contains(Funcs::I2C) {
            self.rdwr(addr, ten_bit, ops)
        } else {
            self.smbus_transaction(addr, ops)
        }
    }

    /// The transaction as one `I2C_RDWR`. One or two messages (a register read or write,
    /// the usual transaction) are planned and laid out in arrays of two: building and
    /// copying arrays sized for the kernel's 42 messages was most of udrv's own work per
    /// transaction (about 830 instructions more than a raw `ioctl` loop, BENCHMARKS.md).
    fn rdwr(&self, addr: u16, ten_bit: bool, ops: &mut [Operation<'_>]) -> Result<()> {
        const MAX: usize = sys::I2C_RDWR_IOCTL_MAX_MSGS;
        if let Ok(runs) = plan::runs::<2>(ops.iter().map(dir_len)) {
            return self.rdwr_runs::<2>(addr, ten_bit, ops, runs.as_slice());
        }
        let runs =
            plan::runs::<MAX>(ops.iter().map(dir_len)).map_err(|count| Error::TooManyMessages {
                path: self.path().to_path_buf(),
                addr,
                count,
                max: MAX,
            })?;
        self.rdwr_runs::<MAX>(addr, ten_bit, ops, runs.as_slice())
    }

    /// [`rdwr`](Self::rdwr) of planned `runs` (at most `N`, `N` at most the kernel's 42).
    fn rdwr_runs<const N: usize>(
        &self,
        addr: u16,
        ten_bit: bool,
        ops: &mut [Operation<'_>],
        runs: &[plan::Run],
    ) -> Result<()> {
        if runs.is_empty() {
            return Ok(());
        }
        if let Some(r) = runs.iter().find(|r| r.len > sys::I2C_RDWR_MAX_MSG_LEN) {
            return Err(Error::InvalidLength {
                path: self.path().to_path_buf(),
                op: Op::Transfer,
                addr: Some(addr),
                len: r.len,
                max: sys::I2C_RDWR_MAX_MSG_LEN,
            });
        }
        // Joined buffers of the merged runs, in order.
        let mut joined: Vec<Vec<u8>> = Vec::new();
        for r in runs.iter().filter(|r| r.merged()) {
            let mut v = Vec::with_capacity(r.len);
            match r.dir {
                Dir::Write => {
                    for op in &ops[r.start..r.end] {
                        if let Operation::Write(b) = op {
                            v.extend_from_slice(b);
                        }
                    }
                }
                Dir::Read => v.resize(r.len, 0),
            }
            joined.push(v);
        }
        let flags = if ten_bit { sys::I2C_M_TEN } else { 0 };
        // `I2C_RDWR` carries the address in each message: the address's file only serves
        // the kernel's busy check, done once, under the lock, until the file is pinned.
        let first = !ten_bit && self.ready(addr).is_none();
        if first {
            let mut st = self.state();
            self.select(&mut st, addr)?;
        }
        {
            let mut msgs: [sys::Msg<'_>; N] = std::array::from_fn(|_| sys::Msg::write(0, 0, &[]));
            let mut joined_it = joined.iter_mut();
            let mut ops_it = ops.iter_mut();
            for (msg, r) in msgs.iter_mut().zip(runs) {
                if r.merged() {
                    ops_it.nth(r.end - r.start - 1);
                    let buf = joined_it.next().expect("one joined buffer per merged run");
                    *msg = match r.dir {
                        Dir::Write => sys::Msg::write(addr, flags, buf),
                        Dir::Read => sys::Msg::read(addr, flags, buf),
                    };
                } else {
                    *msg = match ops_it.next().expect("one operation per single run") {
                        Operation::Write(b) => sys::Msg::write(addr, flags, b),
                        Operation::Read(b) => sys::Msg::read(addr, flags, b),
                    };
                }
            }
            let n = sys::rdwr(self.fd(), &mut msgs[..runs.len()])
                .map_err(|e| self.io(Op::Transfer, Some(addr), e))?;
            if n as usize != runs.len() {
                return Err(self.io(
                    Op::Transfer,
                    Some(addr),
                    std::io::Error::other(format!(
                        "the adapter transferred {n} of {} messages",
                        runs.len()
                    )),
                ));
            }
        }
        if first {
            let mut st = self.state();
            if let Some(i) = st.slot_of(addr, self.pec()) {
                self.pin(&mut st, i);
            }
        }
        // Scatter merged reads back into their operations.
        let mut joined_it = joined.iter();
        for r in runs.iter().filter(|r| r.merged()) {
            let buf = joined_it.next().expect("one joined buffer per merged run");
            if r.dir == Dir::Read {
                scatter(buf, &mut ops[r.start..r.end]);
            }
        }
        Ok(())
    }

    /// The transaction as one SMBus command, on adapters without `I2C_FUNC_I2C`.
    fn smbus_transaction(&self, addr: u16, ops: &mut [Operation<'_>]) -> Result<()> {
        // The messages, in one pass on the stack: every SMBus command is at most a write
        // and a read, so a transaction with more has no SMBus equivalent.
        let mut shape = [(Dir::Write, 0usize); 2];
        let mut n = 0;
        for (dir, len) in ops.iter().map(dir_len) {
            if n > 0 && shape[n - 1].0 == dir {
                shape[n - 1].1 += len;
            } else if n < 2 {
                shape[n] = (dir, len);
                n += 1;
            } else {
                return Err(self.no_smbus_equivalent(addr, ops, Funcs::I2C));
            }
        }
        let shape = &shape[..n];
        let how = plan::smbus_plan(shape, self.funcs())
            .map_err(|missing| self.unsupported_shape(addr, shape, missing))?;
        // The bytes written: the write operation's own buffer when there is one (a register
        // pointer, a register write), else the writes joined on the stack (at most 33).
        let mut joined = [0u8; sys::I2C_SMBUS_BLOCK_MAX + 1];
        let mut writes = ops.iter().filter_map(|op| match op {
            Operation::Write(b) => Some(*b),
            Operation::Read(_) => None,
        });
        let w: &[u8] = match (writes.next(), writes.next()) {
            (None, _) => &[],
            (Some(b), None) => b,
            (Some(_), Some(_)) => {
                let mut wn = 0;
                for op in ops.iter() {
                    if let Operation::Write(b) = op {
                        joined[wn..wn + b.len()].copy_from_slice(b);
                        wn += b.len();
                    }
                }
                &joined[..wn]
            }
        };
        // What is read goes straight into the read operation's buffer when there is one,
        // else onto the stack and then out to the operations in order.
        let rn = shape
            .iter()
            .find(|(d, _)| *d == Dir::Read)
            .map_or(0, |r| r.1);
        let one_read = ops
            .iter()
            .filter(|op| matches!(op, Operation::Read(_)))
            .count()
            <= 1;
        let mut stack = [0u8; sys::I2C_SMBUS_BLOCK_MAX];
        {
            let r: &mut [u8] = match ops.iter_mut().find_map(|op| match op {
                Operation::Read(b) if one_read => Some(&mut **b),
                _ => None,
            }) {
                Some(b) => b,
                None => &mut stack[..rn],
            };
            self.smbus_as_planned(how, addr, w, r)?;
        }
        if !one_read {
            scatter(&stack[..rn], ops);
        }
        Ok(())
    }

    /// The 7-bit `address` as the SMBus path takes it, when the adapter is SMBus-only and
    /// the address is valid (`None`: take the general path, which also reports a bad
    /// address).
    fn smbus_only(&self, address: u8) -> Option<u16> {
        (address <= 0x7f && !self.funcs().contains(Funcs::I2C)).then_some(u16::from(address))
    }

    /// A transaction of the messages `shape` (one write `w` and/or one read into `r`),
    /// carried out as the SMBus command that has the same bytes on the wire.
    fn smbus_shape(&self, addr: u16, shape: &[(Dir, usize)], w: &[u8], r: &mut [u8]) -> Result<()> {
        let how = plan::smbus_plan(shape, self.funcs())
            .map_err(|missing| self.unsupported_shape(addr, shape, missing))?;
        self.smbus_as_planned(how, addr, w, r)
    }

    /// Carries out `how` with the bytes `w` written and `r` (as long as the transaction's
    /// read) filled with what is read.
    fn smbus_as_planned(&self, how: SmbusPlan, addr: u16, w: &[u8], r: &mut [u8]) -> Result<()> {
        match how {
            SmbusPlan::Nothing => {}
            SmbusPlan::QuickWrite => self.smbus_quick(addr, false)?,
            SmbusPlan::QuickRead => self.smbus_quick(addr, true)?,
            SmbusPlan::SendByte => self.smbus_write_byte(addr, w[0])?,
            SmbusPlan::ReceiveByte => r[0] = self.smbus_read_byte(addr)?,
            SmbusPlan::WriteByteData => self.smbus_write_byte_data(addr, w[0], w[1])?,
            SmbusPlan::WriteWordData => {
                self.smbus_write_word_data(addr, w[0], u16::from_le_bytes([w[1], w[2]]))?
            }
            SmbusPlan::WriteI2cBlock => self.smbus_write_i2c_block_data(addr, w[0], &w[1..])?,
            SmbusPlan::ReadByteData => r[0] = self.smbus_read_byte_data(addr, w[0])?,
            SmbusPlan::ReadWordData => {
                [r[0], r[1]] = self.smbus_read_word_data(addr, w[0])?.to_le_bytes();
            }
            SmbusPlan::ReadI2cBlock => {
                let got = self.smbus_read_i2c_block_data(addr, w[0], r)?;
                if got != r.len() {
                    return Err(self.io(
                        Op::SmbusReadI2cBlockData,
                        Some(addr),
                        std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            format!("short I2C block read: {got} of {} bytes", r.len()),
                        ),
                    ));
                }
            }
            SmbusPlan::ProcessCall => {
                let v = self.smbus_process_call(addr, w[0], u16::from_le_bytes([w[1], w[2]]))?;
                [r[0], r[1]] = v.to_le_bytes();
            }
        }
        Ok(())
    }

    /// The typed refusal of a transaction no SMBus command carries on this adapter, with
    /// the transaction's shape (e.g. `[write 1, read 3, write 1]`).
    #[cold]
    #[inline(never)]
    fn no_smbus_equivalent(&self, addr: u16, ops: &[Operation<'_>], missing: Funcs) -> Error {
        let mut shape: Vec<(Dir, usize)> = Vec::new();
        for (dir, len) in ops.iter().map(dir_len) {
            match shape.last_mut() {
                Some((d, n)) if *d == dir => *n += len,
                _ => shape.push((dir, len)),
            }
        }
        self.unsupported_shape(addr, &shape, missing)
    }

    /// [`Self::no_smbus_equivalent`] for messages already merged.
    #[cold]
    #[inline(never)]
    fn unsupported_shape(&self, addr: u16, shape: &[(Dir, usize)], missing: Funcs) -> Error {
        Error::Unsupported {
            path: self.path().to_path_buf(),
            adapter: self.name().to_string(),
            op: Op::Transfer,
            addr: Some(addr),
            missing,
            transaction: Some(plan::shape(shape)),
        }
    }
}

/// Copies `data` into the read operations of `ops`, in order.
fn scatter(data: &[u8], ops: &mut [Operation<'_>]) {
    let mut off = 0;
    for op in ops {
        if let Operation::Read(b) = op {
            let n = b.len();
            b.copy_from_slice(&data[off..off + n]);
            off += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_fills_reads_in_order_and_skips_writes() {
        let (mut a, mut b) = ([0u8; 2], [0u8; 3]);
        let w = [9u8];
        let mut ops = [
            Operation::Read(&mut a),
            Operation::Write(&w),
            Operation::Read(&mut b),
        ];
        scatter(&[1, 2, 3, 4, 5], &mut ops);
        assert_eq!((a, b), ([1, 2], [3, 4, 5]));
    }
}
