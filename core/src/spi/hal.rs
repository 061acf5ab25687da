//! embedded-hal 1.0 blocking [`SpiDevice`] and [`SpiBus`] for spidev.

use embedded_hal::spi::{ErrorType, Operation, SpiBus, SpiDevice};

use super::{Error, Result, SpidevBus, SpidevDevice, Stack, Transfer, Word};

impl ErrorType for SpidevDevice {
    type Error = Error;
}

impl ErrorType for SpidevBus {
    type Error = Error;
}

/// The longest delay one transfer carries (`delay_usecs` is 16 bits).
const MAX_DELAY_US: u32 = u16::MAX as u32;

/// Appends a delay of `ns` nanoseconds (rounded up to microseconds) after the last
/// transfer, adding pauses when it is longer than one transfer's delay can be.
pub(crate) fn push_delay(ts: &mut Stack<Transfer<'_>, 8>, ns: u32) {
    let mut us = ns.div_ceil(1000);
    if let Some(last) = ts.last_mut() {
        let room = MAX_DELAY_US - u32::from(last.delay_us());
        let add = us.min(room);
        last.x
            .set_delay_usecs((u32::from(last.delay_us()) + add) as u16);
        us -= add;
    }
    while us > 0 {
        let d = us.min(MAX_DELAY_US);
        ts.push(Transfer::pause().with_delay_us(d as u16));
        us -= d;
    }
}

/// Appends an embedded-hal transfer: full duplex over the shorter length, then the rest
/// of the longer buffer alone (embedded-hal: the transfer runs for the longer length).
fn push_transfer<'a, W: Word>(ts: &mut Stack<Transfer<'a>, 8>, read: &'a mut [W], write: &'a [W]) {
    let n = read.len().min(write.len());
    let (r1, r2) = read.split_at_mut(n);
    let (w1, w2) = write.split_at(n);
    if n > 0 || (r2.is_empty() && w2.is_empty()) {
        ts.push(Transfer::duplex(w1, r1));
    }
    if !r2.is_empty() {
        ts.push(Transfer::read(r2));
    }
    if !w2.is_empty() {
        ts.push(Transfer::write(w2));
    }
}

impl SpidevDevice {
    /// An embedded-hal transaction as one message.
    pub(crate) fn transaction_ops<W: Word>(&self, ops: &mut [Operation<'_, W>]) -> Result<()> {
        let mut ts: Stack<Transfer<'_>, 8> = Stack::new(ops.len(), |_| Transfer::pause());
        for op in ops.iter_mut() {
            match op {
                Operation::Read(b) => ts.push(Transfer::read(b)),
                Operation::Write(b) => ts.push(Transfer::write(b)),
                Operation::Transfer(r, w) => push_transfer(&mut ts, r, w),
                Operation::TransferInPlace(b) => ts.push(Transfer::in_place(b)),
                Operation::DelayNs(ns) => push_delay(&mut ts, *ns),
            }
        }
        self.message(ts.as_mut_slice())
    }
}

/// One `SPI_IOC_MESSAGE` per transaction, chip select asserted throughout; `DelayNs`
/// becomes the delay of the transfer before it (rounded up to microseconds).
///
/// Implemented for `u8`, `u16` and `u32` words, so untyped integer literals need a
/// suffix: `dev.write(&[0x06u8])`.
///
/// Word sizes: words of
/// 9-16 bits use `u16`, 17-32 bits `u32`: when the device's word size does not fit the
/// buffer type, the transfers carry the type's size (16 or 32).
impl<W: Word> SpiDevice<W> for SpidevDevice {
    fn transaction(&mut self, operations: &mut [Operation<'_, W>]) -> Result<()> {
        self.transaction_ops(operations)
    }
}

impl<W: Word> SpiBus<W> for SpidevBus {
    fn read(&mut self, words: &mut [W]) -> Result<()> {
        self.dev.message(&mut [Transfer::read(words)])
    }

    fn write(&mut self, words: &[W]) -> Result<()> {
        self.dev.message(&mut [Transfer::write(words)])
    }

    fn transfer(&mut self, read: &mut [W], write: &[W]) -> Result<()> {
        let mut ts: Stack<Transfer<'_>, 8> = Stack::new(2, |_| Transfer::pause());
        push_transfer(&mut ts, read, write);
        self.dev.message(ts.as_mut_slice())
    }

    fn transfer_in_place(&mut self, words: &mut [W]) -> Result<()> {
        self.dev.message(&mut [Transfer::in_place(words)])
    }

    /// spidev transfers are complete when the ioctl returns.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delays(ts: &mut Stack<Transfer<'_>, 8>) -> Vec<(usize, u16)> {
        ts.as_mut_slice()
            .iter()
            .map(|t| (t.len(), t.delay_us()))
            .collect()
    }

    #[test]
    fn delays_go_on_the_previous_transfer() {
        let w = [1u8, 2];
        let mut ts: Stack<Transfer<'_>, 8> = Stack::new(3, |_| Transfer::pause());
        ts.push(Transfer::write(&w));
        push_delay(&mut ts, 1);
        push_delay(&mut ts, 1500);
        assert_eq!(delays(&mut ts), vec![(2, 3)]);
        // Longer than 65535 us: the rest in pauses.
        push_delay(&mut ts, 100_000_000);
        assert_eq!(delays(&mut ts), vec![(2, 65535), (0, 34_468)]);
        // A leading delay is a pause of its own.
        let mut ts: Stack<Transfer<'_>, 8> = Stack::new(3, |_| Transfer::pause());
        push_delay(&mut ts, 10_000);
        assert_eq!(delays(&mut ts), vec![(0, 10)]);
        push_delay(&mut ts, 0);
        assert_eq!(delays(&mut ts), vec![(0, 10)]);
    }

    /// The transfers `push_transfer` makes of `read` and `write`: (length in bytes,
    /// whether it sends, whether it receives) each.
    fn pushed<W: Word>(read: &mut [W], write: &[W]) -> Vec<(usize, bool, bool)> {
        let mut ts: Stack<Transfer<'_>, 8> = Stack::new(3, |_| Transfer::pause());
        push_transfer(&mut ts, read, write);
        ts.as_mut_slice()
            .iter()
            .map(|t| (t.len(), t.x.has_tx(), t.x.has_rx()))
            .collect()
    }

    #[test]
    fn unequal_transfers_run_for_the_longer_buffer() {
        assert_eq!(
            pushed(&mut [0u8; 5], &[1u8, 2]),
            vec![(2, true, true), (3, false, true)]
        );
        assert_eq!(
            pushed(&mut [0u16; 1], &[1u16, 2, 3]),
            vec![(2, true, true), (4, true, false)]
        );
    }
}
