//! Pure planning of how a list of transfers becomes `SPI_IOC_MESSAGE` ioctls.
//!
//! spidev copies each message through two bounce buffers of `bufsiz` bytes (one for
//! transmit data, one for receive data), each transfer rounded up to the kernel's
//! `ARCH_KMALLOC_MINALIGN`; a message that does not fit fails with `EMSGSIZE`. One ioctl
//! also carries at most 511 transfers. A larger transaction is sent as several messages.
//!
//! Chip select: the SPI core deasserts chip select at the end of a message unless its
//! last transfer has `cs_change` set, in which case it stays asserted until the next
//! message. So at each cut the plan sets `cs_change` on the message's last part to keep
//! chip select asserted, except where the caller asked for a chip select toggle
//! (`cs_change` on that transfer) anyway: there the message simply ends, which deasserts
//! it, and the next message asserts it again — the same toggle. A transfer cut in the
//! middle continues in the next message with no toggle; its delay and `cs_change` stay on
//! its last part.

/// What the plan needs to know about one transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    pub len: usize,
    pub tx: bool,
    pub rx: bool,
    /// Bytes per word: cuts fall on word boundaries.
    pub word: usize,
    pub cs_change: bool,
}

/// A part of transfer `index`: bytes `offset..offset + len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    pub index: usize,
    pub offset: usize,
    pub len: usize,
    /// Whether this part ends its transfer (it then carries the delay).
    pub last_of_transfer: bool,
    /// The `cs_change` to send with this part.
    pub cs_change: bool,
}

/// Limits of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub bufsiz: usize,
    pub align: usize,
    pub max_transfers: usize,
}

/// The parts of each message, in order.
pub(crate) type Plan = Vec<Vec<Part>>;

fn align_up(n: usize, a: usize) -> usize {
    n.div_ceil(a) * a
}

/// Plans the messages. `Err(())` when a single word cannot fit a message at all
/// (`bufsiz` smaller than the alignment or the word).
pub(crate) fn plan(pieces: &[Piece], lim: Limits) -> Result<Plan, ()> {
    let align = lim.align.max(1);
    let mut msgs: Plan = Vec::new();
    let mut cur: Vec<Part> = Vec::new();
    let (mut tx_used, mut rx_used) = (0usize, 0usize);
    for (index, p) in pieces.iter().enumerate() {
        let step = align.max(p.word.max(1));
        let mut offset = 0;
        loop {
            let remaining = p.len - offset;
            let room = |used: usize, needs: bool| {
                if needs {
                    lim.bufsiz.saturating_sub(used)
                } else {
                    usize::MAX
                }
            };
            let cap = if cur.len() >= lim.max_transfers {
                None
            } else {
                Some(room(tx_used, p.tx).min(room(rx_used, p.rx)))
            };
            let take = match cap {
                None => None,
                Some(cap) if align_up(remaining, align) <= cap => Some(remaining),
                Some(cap) => Some(cap / step * step).filter(|t| *t > 0),
            };
            let Some(take) = take else {
                if cur.is_empty() {
                    return Err(());
                }
                msgs.push(std::mem::take(&mut cur));
                tx_used = 0;
                rx_used = 0;
                continue;
            };
            let last = offset + take == p.len;
            cur.push(Part {
                index,
                offset,
                len: take,
                last_of_transfer: last,
                cs_change: last && p.cs_change,
            });
            if p.tx {
                tx_used += align_up(take, align);
            }
            if p.rx {
                rx_used += align_up(take, align);
            }
            offset += take;
            if last {
                break;
            }
        }
    }
    if !cur.is_empty() || msgs.is_empty() {
        msgs.push(cur);
    }
    // At every cut: keep chip select asserted, unless the caller toggles it there anyway.
    let n = msgs.len();
    for m in &mut msgs[..n - 1] {
        if let Some(last) = m.last_mut() {
            last.cs_change = !(last.last_of_transfer && last.cs_change);
        }
    }
    Ok(msgs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: Limits = Limits {
        bufsiz: 4096,
        align: 8,
        max_transfers: 511,
    };

    fn tx(len: usize) -> Piece {
        Piece {
            len,
            tx: true,
            rx: false,
            word: 1,
            cs_change: false,
        }
    }
    fn duplex(len: usize) -> Piece {
        Piece {
            rx: true,
            ..tx(len)
        }
    }
    fn rx(len: usize) -> Piece {
        Piece {
            tx: false,
            ..duplex(len)
        }
    }
    fn shape(p: &Plan) -> Vec<Vec<(usize, usize, usize, bool)>> {
        p.iter()
            .map(|m| {
                m.iter()
                    .map(|x| (x.index, x.offset, x.len, x.cs_change))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn what_fits_is_one_message_untouched() {
        let p = plan(&[tx(1), rx(4000), duplex(32)], LIM).unwrap();
        assert_eq!(
            shape(&p),
            vec![vec![
                (0, 0, 1, false),
                (1, 0, 4000, false),
                (2, 0, 32, false)
            ]]
        );
        // Exactly bufsiz in each direction still fits.
        let p = plan(&[duplex(4096)], LIM).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(plan(&[], LIM).unwrap(), vec![Vec::<Part>::new()]);
    }

    #[test]
    fn a_long_transfer_is_cut_with_chip_select_kept() {
        let p = plan(&[duplex(10_000)], LIM).unwrap();
        assert_eq!(
            shape(&p),
            vec![
                vec![(0, 0, 4096, true)],
                vec![(0, 4096, 4096, true)],
                vec![(0, 8192, 1808, false)]
            ]
        );
        assert!(!p[0][0].last_of_transfer && p[2][0].last_of_transfer);
    }

    #[test]
    fn alignment_counts_against_the_buffer() {
        // 5 bytes take 8 of the bounce buffer: 512 five-byte writes need 4096 bytes.
        let pieces = vec![tx(5); 513];
        let p = plan(&pieces, LIM).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].len(), 511); // the transfer-count limit came first
        let pieces = vec![tx(5); 600];
        let lim = Limits {
            max_transfers: 10_000,
            ..LIM
        };
        let p = plan(&pieces, lim).unwrap();
        assert_eq!(p[0].len(), 512);
        // A cut inside a transfer falls on an aligned boundary.
        let p = plan(&[tx(4093), tx(100)], LIM).unwrap();
        assert_eq!(
            shape(&p),
            vec![vec![(0, 0, 4093, true)], vec![(1, 0, 100, false)]]
        );
        let p = plan(&[tx(4000), tx(100)], LIM).unwrap();
        assert_eq!(
            shape(&p),
            vec![
                vec![(0, 0, 4000, false), (1, 0, 96, true)],
                vec![(1, 96, 4, false)]
            ]
        );
    }

    #[test]
    fn directions_have_separate_buffers() {
        let p = plan(&[tx(4096), rx(4096)], LIM).unwrap();
        assert_eq!(p.len(), 1);
        let p = plan(&[tx(4096), duplex(8)], LIM).unwrap();
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn a_requested_toggle_at_a_cut_ends_the_message_instead() {
        let toggle = Piece {
            cs_change: true,
            ..tx(4096)
        };
        let p = plan(&[toggle, tx(10)], LIM).unwrap();
        // The message ends (chip select deasserts), the next asserts it: the toggle asked.
        assert_eq!(
            shape(&p),
            vec![vec![(0, 0, 4096, false)], vec![(1, 0, 10, false)]]
        );
        // The caller's cs_change on the very last transfer passes through.
        let last = Piece {
            cs_change: true,
            ..tx(10)
        };
        let p = plan(&[tx(4096), last], LIM).unwrap();
        assert_eq!(
            shape(&p),
            vec![vec![(0, 0, 4096, true)], vec![(1, 0, 10, true)]]
        );
    }

    #[test]
    fn cuts_fall_on_words_and_zero_length_parts_fit_anywhere() {
        let lim = Limits {
            bufsiz: 4096,
            align: 1,
            max_transfers: 511,
        };
        let words = Piece {
            word: 4,
            ..duplex(4098 + 2)
        };
        let p = plan(&[tx(2), words], lim).unwrap();
        assert_eq!(
            shape(&p),
            vec![
                vec![(0, 0, 2, false), (1, 0, 4092, true)],
                vec![(1, 4092, 8, false)]
            ]
        );
        let p = plan(&[tx(4096), tx(0)], LIM).unwrap();
        assert_eq!(p.len(), 1);
        let tiny = Limits {
            bufsiz: 4,
            align: 8,
            max_transfers: 511,
        };
        assert_eq!(plan(&[tx(1)], tiny), Err(()));
    }
}
