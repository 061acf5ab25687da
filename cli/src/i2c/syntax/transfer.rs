//! The `i2ctransfer` message syntax: `w2@0x50 0x00 0x10 r4`.

use super::{err, parse_address, parse_byte, parse_number, SyntaxError};

/// Direction of one `i2ctransfer` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `r`: read.
    Read,
    /// `w`: write.
    Write,
}

/// One message of an `i2ctransfer` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// Read or write.
    pub dir: Dir,
    /// The target address (the last one given, if this message has none).
    pub addr: u16,
    /// For reads, how many bytes.
    pub len: usize,
    /// For writes, the bytes (after expanding fill suffixes).
    pub data: Vec<u8>,
}

/// Largest message length the kernel's `I2C_RDWR` accepts (`__u16 len`), and i2c-tools'
/// limit.
pub const MAX_MSG_LEN: usize = 0xffff;

/// The byte after `x` in i2ctransfer's `p` fill (i2c-tools 4.3, `tools/i2ctransfer.c`: an
/// 8-bit AXR generator with a = 13 and b = 27): `x = rotate_left((x ^ 27) + 13, 1)`.
pub fn next_pseudo_random(x: u8) -> u8 {
    ((x ^ 27).wrapping_add(13)).rotate_left(1)
}

/// Parses `i2ctransfer` message arguments: `{r|w}LENGTH[@ADDRESS]`, each write followed by
/// LENGTH data bytes. A data byte may end in a fill suffix that generates the rest of the
/// message: `=` (repeat), `+` (increment), `-` (decrement), `p` (pseudo-random, i2c-tools'
/// generator: see [`next_pseudo_random`]). The first message must name its address; later
/// ones default to the last. Reserved addresses need `all` (`-a`).
pub fn parse_transfer(args: &[String], all: bool) -> Result<Vec<Msg>, SyntaxError> {
    let mut msgs = Vec::new();
    let mut addr: Option<u16> = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let (dir, rest) = match a.chars().next() {
            Some('r') | Some('R') => (Dir::Read, &a[1..]),
            Some('w') | Some('W') => (Dir::Write, &a[1..]),
            _ => {
                return err(format!(
                    "expected a message like `w2@0x50` or `r4`, found `{a}`"
                ))
            }
        };
        let (len_s, addr_s) = match rest.split_once('@') {
            Some((l, ad)) => (l, Some(ad)),
            None => (rest, None),
        };
        let len = parse_number(len_s)
            .map_err(|_| SyntaxError(format!("message `{a}`: length `{len_s}` is not a number")))?
            as usize;
        if len > MAX_MSG_LEN {
            return err(format!(
                "message `{a}`: length {len} is too long (at most {MAX_MSG_LEN})"
            ));
        }
        if let Some(ad) = addr_s {
            addr = Some(
                parse_address(ad, all).map_err(|e| SyntaxError(format!("message `{a}`: {e}")))?,
            );
        }
        let Some(addr) = addr else {
            return err(format!(
                "message `{a}` has no address: the first message needs one, e.g. `{a}@0x50`"
            ));
        };
        i += 1;
        let mut data = Vec::new();
        if dir == Dir::Write {
            while data.len() < len {
                let Some(d) = args.get(i) else {
                    return err(format!(
                        "message `{a}` needs {len} data bytes, found {}",
                        data.len()
                    ));
                };
                i += 1;
                let (num, suffix) = match d.char_indices().last() {
                    // None of the suffixes is a hex digit, so `0x1p` is unambiguous.
                    Some((k, c @ ('=' | '+' | '-' | 'p'))) => (&d[..k], Some(c)),
                    _ => (d.as_str(), None),
                };
                let v = parse_byte(num, "data byte")
                    .map_err(|e| SyntaxError(format!("message `{a}`: {e}")))?;
                match suffix {
                    None => data.push(v),
                    Some(c) => {
                        let mut x = v;
                        while data.len() < len {
                            data.push(x);
                            x = match c {
                                '=' => x,
                                '+' => x.wrapping_add(1),
                                '-' => x.wrapping_sub(1),
                                _ => next_pseudo_random(x),
                            };
                        }
                    }
                }
            }
        }
        msgs.push(Msg {
            dir,
            addr,
            len,
            data,
        });
    }
    if msgs.is_empty() {
        return err("no messages given: e.g. `w1@0x50 0x00 r2`");
    }
    Ok(msgs)
}
