//! Pure decisions behind a transaction: merging adjacent operations of one direction into
//! messages, and which SMBus command (if any) carries a transaction exactly.

use super::Funcs;

/// The direction of an operation or message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Read,
    Write,
}

/// A run of adjacent operations `start..end` of one direction: one I2C message of `len`
/// bytes (embedded-hal: no repeated start between adjacent operations of one direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    pub dir: Dir,
    pub start: usize,
    pub end: usize,
    pub len: usize,
}

impl Run {
    /// Whether several operations share this message (their buffers must be joined).
    pub(crate) fn merged(&self) -> bool {
        self.end - self.start > 1
    }
}

/// Runs of at most `N` messages, kept on the stack (the kernel takes at most 42).
pub(crate) struct Runs<const N: usize> {
    runs: [Run; N],
    n: usize,
}

impl<const N: usize> Runs<N> {
    pub(crate) fn as_slice(&self) -> &[Run] {
        &self.runs[..self.n]
    }
}

/// Groups operations (direction, length) into messages. `Err(count)` with the number of
/// messages needed when there are more than `N`.
pub(crate) fn runs<const N: usize>(
    ops: impl Iterator<Item = (Dir, usize)> + Clone,
) -> Result<Runs<N>, usize> {
    // First count, so nothing is built for a transaction that cannot be sent.
    let mut count = 0usize;
    let mut last = None;
    for (dir, _) in ops.clone() {
        if last != Some(dir) {
            count += 1;
            last = Some(dir);
        }
    }
    if count > N {
        return Err(count);
    }
    let empty = Run {
        dir: Dir::Write,
        start: 0,
        end: 0,
        len: 0,
    };
    let mut out = Runs {
        runs: [empty; N],
        n: 0,
    };
    for (i, (dir, len)) in ops.enumerate() {
        if out.n > 0 && out.runs[out.n - 1].dir == dir {
            let r = &mut out.runs[out.n - 1];
            r.end = i + 1;
            r.len += len;
        } else {
            out.runs[out.n] = Run {
                dir,
                start: i,
                end: i + 1,
                len,
            };
            out.n += 1;
        }
    }
    Ok(out)
}

/// The SMBus command that carries a transaction exactly (same bytes on the wire, same
/// starts and stop), for adapters without `I2C_FUNC_I2C`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SmbusPlan {
    /// No operations: nothing to do.
    Nothing,
    /// Empty write: quick command, write bit.
    QuickWrite,
    /// Empty read: quick command, read bit.
    QuickRead,
    /// Write 1 byte: send byte.
    SendByte,
    /// Read 1 byte: receive byte.
    ReceiveByte,
    /// Write `[cmd, v]`: write byte data.
    WriteByteData,
    /// Write `[cmd, lo, hi]`: write word data.
    WriteWordData,
    /// Write `[cmd, data..]` (1..=32 data bytes): I2C block write.
    WriteI2cBlock,
    /// Write `[cmd]`, read 1: read byte data.
    ReadByteData,
    /// Write `[cmd]`, read 2: read word data.
    ReadWordData,
    /// Write `[cmd]`, read 1..=32: I2C block read.
    ReadI2cBlock,
    /// Write `[cmd, lo, hi]`, read 2: process call.
    ProcessCall,
}

impl SmbusPlan {
    /// The capability the command needs.
    pub(crate) fn needs(self) -> Funcs {
        match self {
            SmbusPlan::Nothing => Funcs::empty(),
            SmbusPlan::QuickWrite | SmbusPlan::QuickRead => Funcs::SMBUS_QUICK,
            SmbusPlan::SendByte => Funcs::SMBUS_WRITE_BYTE,
            SmbusPlan::ReceiveByte => Funcs::SMBUS_READ_BYTE,
            SmbusPlan::WriteByteData => Funcs::SMBUS_WRITE_BYTE_DATA,
            SmbusPlan::WriteWordData => Funcs::SMBUS_WRITE_WORD_DATA,
            SmbusPlan::WriteI2cBlock => Funcs::SMBUS_WRITE_I2C_BLOCK,
            SmbusPlan::ReadByteData => Funcs::SMBUS_READ_BYTE_DATA,
            SmbusPlan::ReadWordData => Funcs::SMBUS_READ_WORD_DATA,
            SmbusPlan::ReadI2cBlock => Funcs::SMBUS_READ_I2C_BLOCK,
            SmbusPlan::ProcessCall => Funcs::SMBUS_PROC_CALL,
        }
    }
}

/// Chooses the SMBus command for a transaction of the given messages (after merging).
/// `Err(missing)`: the capability that would be needed (`I2C_FUNC_I2C` when no SMBus
/// command has the same shape).
pub(crate) fn smbus_plan(msgs: &[(Dir, usize)], funcs: Funcs) -> Result<SmbusPlan, Funcs> {
    use Dir::*;
    use SmbusPlan::*;
    const MAX: usize = crate::sys::i2c::I2C_SMBUS_BLOCK_MAX;
    // Candidates with identical wire traffic, the most specific first.
    let candidates: &[SmbusPlan] = match msgs {
        [] => &[Nothing],
        [(Write, 0)] => &[QuickWrite],
        [(Read, 0)] => &[QuickRead],
        [(Write, 1)] => &[SendByte],
        [(Read, 1)] => &[ReceiveByte],
        [(Write, 2)] => &[WriteByteData, WriteI2cBlock],
        [(Write, 3)] => &[WriteWordData, WriteI2cBlock],
        [(Write, n)] if *n >= 2 && *n <= MAX + 1 => &[WriteI2cBlock],
        [(Write, 1), (Read, 1)] => &[ReadByteData, ReadI2cBlock],
        [(Write, 1), (Read, 2)] => &[ReadWordData, ReadI2cBlock],
        [(Write, 1), (Read, n)] if *n >= 1 && *n <= MAX => &[ReadI2cBlock],
        [(Write, 3), (Read, 2)] => &[ProcessCall],
        _ => return Err(Funcs::I2C),
    };
    candidates
        .iter()
        .copied()
        .find(|c| funcs.contains(c.needs()))
        .ok_or(candidates[0].needs())
}

/// Describes the messages of a transaction, e.g. `[write 1, read 3]`.
pub(crate) fn shape(msgs: &[(Dir, usize)]) -> String {
    let parts: Vec<String> = msgs
        .iter()
        .map(|(d, n)| match d {
            Dir::Read => format!("read {n}"),
            Dir::Write => format!("write {n}"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dir::*;

    fn lens<const N: usize>(
        ops: &[(Dir, usize)],
    ) -> Result<Vec<(Dir, usize, usize, usize)>, usize> {
        runs::<N>(ops.iter().copied()).map(|r| {
            r.as_slice()
                .iter()
                .map(|r| (r.dir, r.start, r.end, r.len))
                .collect()
        })
    }

    #[test]
    fn adjacent_operations_of_one_direction_merge() {
        assert_eq!(lens::<42>(&[]), Ok(vec![]));
        assert_eq!(
            lens::<42>(&[(Write, 1), (Read, 2)]),
            Ok(vec![(Write, 0, 1, 1), (Read, 1, 2, 2)])
        );
        assert_eq!(
            lens::<42>(&[
                (Write, 1),
                (Write, 3),
                (Read, 2),
                (Read, 0),
                (Read, 4),
                (Write, 1)
            ]),
            Ok(vec![(Write, 0, 2, 4), (Read, 2, 5, 6), (Write, 5, 6, 1)])
        );
        let r = runs::<42>([(Write, 1), (Write, 1)].into_iter()).unwrap();
        assert!(r.as_slice()[0].merged());
    }

    #[test]
    fn more_than_the_limit_reports_the_count_needed() {
        let alternate = |n: usize| -> Vec<(Dir, usize)> {
            (0..n)
                .map(|i| if i % 2 == 0 { (Write, 1) } else { (Read, 1) })
                .collect()
        };
        assert_eq!(lens::<42>(&alternate(42)).map(|v| v.len()), Ok(42));
        assert_eq!(lens::<42>(&alternate(43)), Err(43));
        assert_eq!(lens::<42>(&alternate(100)), Err(100));
        // 100 operations that merge into 2 messages are fine.
        let mut many = vec![(Write, 1); 50];
        many.extend(vec![(Read, 1); 50]);
        assert_eq!(lens::<42>(&many).map(|v| v.len()), Ok(2));
        // Counting merges same-direction neighbours: alternate(42) ends with a read, so
        // two more reads join it and two writes add one message.
        let mut ops = alternate(42);
        ops.extend([(Read, 1), (Read, 1), (Write, 1), (Write, 1)]);
        assert_eq!(lens::<42>(&ops), Err(43));
        assert_eq!(
            lens::<2>(&[(Write, 1), (Read, 1), (Read, 1), (Write, 1)]),
            Err(3)
        );
    }

    const STUB: Funcs = Funcs::from_bits(0x0c7f_0000);

    #[test]
    fn smbus_mapping_on_the_stub() {
        use SmbusPlan::*;
        let p = |m: &[(Dir, usize)]| smbus_plan(m, STUB);
        assert_eq!(p(&[]), Ok(Nothing));
        assert_eq!(p(&[(Write, 0)]), Ok(QuickWrite));
        assert_eq!(p(&[(Read, 0)]), Ok(QuickRead));
        assert_eq!(p(&[(Write, 1)]), Ok(SendByte));
        assert_eq!(p(&[(Read, 1)]), Ok(ReceiveByte));
        assert_eq!(p(&[(Write, 2)]), Ok(WriteByteData));
        assert_eq!(p(&[(Write, 3)]), Ok(WriteWordData));
        assert_eq!(p(&[(Write, 4)]), Ok(WriteI2cBlock));
        assert_eq!(p(&[(Write, 33)]), Ok(WriteI2cBlock));
        assert_eq!(p(&[(Write, 1), (Read, 1)]), Ok(ReadByteData));
        assert_eq!(p(&[(Write, 1), (Read, 2)]), Ok(ReadWordData));
        assert_eq!(p(&[(Write, 1), (Read, 3)]), Ok(ReadI2cBlock));
        assert_eq!(p(&[(Write, 1), (Read, 32)]), Ok(ReadI2cBlock));
        // The stub has no process call.
        assert_eq!(p(&[(Write, 3), (Read, 2)]), Err(Funcs::SMBUS_PROC_CALL));
    }

    #[test]
    fn smbus_mapping_refuses_what_has_no_smbus_shape() {
        let p = |m: &[(Dir, usize)]| smbus_plan(m, STUB);
        assert_eq!(p(&[(Write, 34)]), Err(Funcs::I2C));
        assert_eq!(p(&[(Read, 2)]), Err(Funcs::I2C));
        assert_eq!(p(&[(Write, 1), (Read, 33)]), Err(Funcs::I2C));
        assert_eq!(p(&[(Write, 2), (Read, 1)]), Err(Funcs::I2C));
        assert_eq!(p(&[(Write, 0), (Read, 1)]), Err(Funcs::I2C));
        assert_eq!(p(&[(Write, 1), (Read, 1), (Write, 1)]), Err(Funcs::I2C));
        assert_eq!(p(&[(Read, 1), (Write, 1)]), Err(Funcs::I2C));
    }

    #[test]
    fn smbus_mapping_falls_back_to_equivalent_commands() {
        use SmbusPlan::*;
        let only_block = Funcs::SMBUS_I2C_BLOCK;
        assert_eq!(smbus_plan(&[(Write, 2)], only_block), Ok(WriteI2cBlock));
        assert_eq!(smbus_plan(&[(Write, 3)], only_block), Ok(WriteI2cBlock));
        assert_eq!(
            smbus_plan(&[(Write, 1), (Read, 2)], only_block),
            Ok(ReadI2cBlock)
        );
        // Neither: name the most specific missing capability.
        assert_eq!(
            smbus_plan(&[(Write, 1), (Read, 2)], Funcs::SMBUS_QUICK),
            Err(Funcs::SMBUS_READ_WORD_DATA)
        );
        assert_eq!(
            smbus_plan(&[(Write, 5)], Funcs::SMBUS_BYTE_DATA),
            Err(Funcs::SMBUS_WRITE_I2C_BLOCK)
        );
        assert_eq!(
            smbus_plan(&[(Write, 3), (Read, 2)], Funcs::from_bits(0x0fff_801f)),
            Ok(ProcessCall)
        );
    }

    #[test]
    fn shapes_read_well() {
        assert_eq!(
            shape(&[(Write, 1), (Read, 3), (Write, 1)]),
            "[write 1, read 3, write 1]"
        );
        assert_eq!(shape(&[]), "[]");
    }
}
