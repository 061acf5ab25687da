//! Property tests of the i2c-tools syntax parsers (`syntax/`): arbitrary arguments never
//! panic and every accepted transfer or i2cset command respects the limits; random
//! transfers and i2cset commands written out in any number notation, with fill suffixes
//! and trailing modes, parse back to themselves.

use proptest::prelude::*;

use super::syntax::*;

/// A number written in one of the C notations `parse_number` accepts.
fn notation(v: u64) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(format!("{v}")),
        Just(format!("0x{v:x}")),
        Just(format!("0X{v:X}")),
        Just(format!("0b{v:b}")),
        Just(format!("0{v:o}")),
    ]
}

/// One message and the arguments that spell it.
fn message(force: bool) -> impl Strategy<Value = (Msg, Vec<String>)> {
    let addr = if force { 0u16..=0x7f } else { 0x08u16..=0x77 };
    (
        any::<bool>(),
        addr,
        0usize..40,
        prop::collection::vec(any::<u8>(), 40),
        prop::option::of((0usize..40, prop::sample::select(vec!['=', '+', '-', 'p']))),
    )
        .prop_flat_map(|(write, addr, len, bytes, fill)| {
            (
                Just((write, addr, len, bytes, fill)),
                notation(len as u64),
                notation(u64::from(addr)),
            )
        })
        .prop_map(|((write, addr, len, bytes, fill), len_s, addr_s)| {
            let dir = if write { Dir::Write } else { Dir::Read };
            let mut args = vec![format!("{}{len_s}@{addr_s}", if write { 'w' } else { 'r' })];
            let mut data = Vec::new();
            if write {
                // Explicit bytes up to the fill point, then one byte with a suffix.
                let explicit = fill.map_or(len, |(k, _)| k.min(len));
                for &b in &bytes[..explicit] {
                    args.push(format!("{b:#04x}"));
                    data.push(b);
                }
                if let (Some((_, c)), true) = (fill, explicit < len) {
                    let mut x = bytes[explicit];
                    args.push(format!("{x:#x}{c}"));
                    while data.len() < len {
                        data.push(x);
                        x = match c {
                            '=' => x,
                            '+' => x.wrapping_add(1),
                            '-' => x.wrapping_sub(1),
                            // i2c-tools 4.3's AXR: data = (data ^ 27) + 13, rotated left.
                            _ => {
                                let y = (x ^ 27).wrapping_add(13);
                                y.rotate_left(1)
                            }
                        };
                    }
                }
            }
            (
                Msg {
                    dir,
                    addr,
                    len,
                    data,
                },
                args,
            )
        })
}

fn arg() -> impl Strategy<Value = String> {
    prop_oneof![
        "[rwRW][0-9xXbB]{0,8}(@[0-9a-fA-Fx]{0,6})?",
        "[0-9a-fA-FxXbB]{0,6}[=+p-]?",
        ".{0,12}",
        Just("w65536@0x50".to_string()),
        Just("r0x10000@0x50".to_string()),
        Just("w18446744073709551616@0x50".to_string()),
    ]
}

/// An i2cset command after the data address (`[VALUE]... [MODE]`) and what it means.
fn set_command() -> impl Strategy<Value = (SetSpec, Vec<String>)> {
    (
        prop::sample::select(vec![
            Mode::Byte,
            Mode::Word,
            Mode::SmbusBlock,
            Mode::I2cBlock,
            Mode::Plain,
        ]),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(any::<u16>(), 1..=BLOCK_MAX),
    )
        .prop_flat_map(|(mode, pec, explicit, raw)| {
            let pec = pec && mode != Mode::I2cBlock;
            let values: Vec<u16> = match mode {
                Mode::Plain => vec![],
                Mode::Word => vec![raw[0]],
                Mode::Byte => vec![raw[0] & 0xff],
                _ => raw.iter().map(|v| v & 0xff).collect(),
            };
            let spelled: Vec<BoxedStrategy<String>> =
                values.iter().map(|&v| notation(v.into()).boxed()).collect();
            (Just((mode, pec, explicit, values)), spelled)
        })
        .prop_map(|((mode, pec, explicit, values), mut args)| {
            // The trailing mode may be left out only where i2cset implies it: b with one
            // value and c without PEC.
            let implied = match mode {
                Mode::Byte => !pec,
                Mode::Plain => !pec,
                _ => false,
            };
            if explicit || !implied {
                args.push(format!("{}{}", mode.letter(), if pec { "p" } else { "" }));
            }
            (SetSpec { mode, pec, values }, args)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn i2cset_commands_round_trip_in_any_notation((want, args) in set_command()) {
        prop_assert_eq!(parse_set(&args, None).unwrap(), want);
    }

    #[test]
    fn any_i2cset_arguments_parse_or_fail_cleanly_and_accepted_ones_respect_the_limits(
        args in prop::collection::vec(
            prop_oneof![
                "[bwsicWp]{1,2}",
                "(0x)?[0-9a-fA-F]{1,5}",
                ".{0,8}",
            ],
            0..40,
        ),
        mode in prop::option::of("[bwsicWpx]{1,2}"),
    ) {
        match parse_set(&args, mode.as_deref()) {
            Ok(s) => match s.mode {
                Mode::Plain => prop_assert!(s.values.is_empty()),
                Mode::Byte => prop_assert!(s.values.len() == 1 && s.values[0] <= 0xff),
                Mode::Word => prop_assert_eq!(s.values.len(), 1),
                Mode::SmbusBlock | Mode::I2cBlock => {
                    prop_assert!((1..=BLOCK_MAX).contains(&s.values.len()));
                    prop_assert!(s.values.iter().all(|&v| v <= 0xff));
                    prop_assert!(!(s.pec && s.mode == Mode::I2cBlock));
                }
                Mode::EvenWord => prop_assert!(false, "i2cset has no mode W"),
            },
            Err(e) => prop_assert!(!e.0.is_empty()),
        }
    }

    #[test]
    fn any_arguments_parse_or_fail_cleanly_and_accepted_ones_respect_the_limits(
        args in prop::collection::vec(arg(), 0..8),
        force in any::<bool>(),
    ) {
        match parse_transfer(&args, force) {
            Ok(msgs) => {
                prop_assert!(!msgs.is_empty());
                for m in &msgs {
                    prop_assert!(m.len <= MAX_MSG_LEN);
                    prop_assert!(m.addr <= 0x7f);
                    prop_assert!(force || !is_reserved_address(m.addr));
                    match m.dir {
                        Dir::Write => prop_assert_eq!(m.data.len(), m.len),
                        Dir::Read => prop_assert!(m.data.is_empty()),
                    }
                }
            }
            Err(e) => prop_assert!(!e.0.is_empty()),
        }
    }

    #[test]
    fn transfers_round_trip_in_any_notation(
        msgs in prop::collection::vec(message(false), 1..5),
    ) {
        let args: Vec<String> = msgs.iter().flat_map(|(_, a)| a.clone()).collect();
        let want: Vec<Msg> = msgs.into_iter().map(|(m, _)| m).collect();
        prop_assert_eq!(parse_transfer(&args, false).unwrap(), want);
    }

    #[test]
    fn reserved_addresses_need_force(
        (m, args) in message(true),
    ) {
        let r = parse_transfer(&args, false);
        if is_reserved_address(m.addr) {
            let e = r.unwrap_err();
            prop_assert!(e.0.contains("reserved") && e.0.contains("--force"), "{}", e);
        } else {
            prop_assert_eq!(r.unwrap(), vec![m.clone()]);
        }
        prop_assert_eq!(parse_transfer(&args, true).unwrap(), vec![m]);
    }

    #[test]
    fn numbers_parse_in_every_notation(v in any::<u64>(), pick in 0usize..5) {
        let s = [
            format!("{v}"),
            format!("0x{v:x}"),
            format!("0X{v:X}"),
            format!("0b{v:b}"),
            format!("0{v:o}"),
        ][pick]
            .clone();
        prop_assert_eq!(parse_number(&s).unwrap(), v);
        let bad = s.clone() + "z";
        prop_assert!(parse_number(&bad).is_err());
    }

    #[test]
    fn bytes_and_ranges_reject_what_is_out_of_range(v in any::<u64>(), lo in 0u64..100, span in 0u64..300) {
        let hi = lo + span;
        let r = parse_in_range(&format!("{v:#x}"), "register", lo, hi);
        prop_assert_eq!(r.is_ok(), (lo..=hi).contains(&v));
        if let Err(e) = r {
            prop_assert!(e.0.contains("out of range"), "{}", e);
        }
        prop_assert_eq!(parse_byte(&v.to_string(), "data byte").is_ok(), v <= 0xff);
    }
}

#[test]
fn absurd_lengths_are_refused_with_the_limit() {
    for (a, want) in [
        ("w65536@0x50", "too long (at most 65535)"),
        ("r1048576@0x50", "too long (at most 65535)"),
        ("r18446744073709551616@0x50", "is not a number"),
    ] {
        let e = parse_transfer(&[a.to_string()], false).unwrap_err();
        assert!(e.0.contains(want), "{a}: {e}");
    }
    // Zero-length messages are valid (i2ctransfer allows them: a quick write probe).
    let m = parse_transfer(&["w0@0x50".to_string(), "r0".to_string()], false).unwrap();
    assert_eq!((m[0].len, m[1].len, m[1].addr), (0, 0, 0x50));
}
