//! Core GPIO on the emulated Raspberry Pi 3B's real `pinctrl-bcm2835` driver (`cargo xtask
//! vmtest --board rpi3b`), both uAPI versions. The host sees the pins' levels in GPLEV0
//! (0x3f200034) and drives inputs through GPSET0/GPCLR0 over qtest (`xtask/src/rpi.rs`).
//! QEMU does not model edge detection, so edge events are tested on gpio-sim in the x86
//! tier; here it is the real SoC driver: names, directions, bias, several lines at once.
#![cfg(udrv_guest_rpi)]

#[path = "../../xtask/guest-rpi/host.rs"]
mod host;

use udrv_core::gpio::{Abi, Bias, Chip, Direction, Request, Value};

const GPLEV0: u32 = 0x3f20_0034;

fn chip() -> Chip {
    Chip::open_by_label("pinctrl-bcm2835").expect("the SoC's GPIO chip")
}

#[test]
fn the_soc_chip_has_54_named_lines_and_spi_holds_its_chip_selects() {
    let c = chip();
    assert_eq!(c.num_lines(), 54);
    let info = c.info().unwrap();
    assert_eq!(info.label, "pinctrl-bcm2835");
    let found = c.find_line("GPIO17").unwrap().expect("a line named GPIO17");
    assert_eq!(found.offset, 17);
    // spi-bcm2835 requested GPIO8 and GPIO7 as chip selects (cs-gpios in the DT).
    for off in [8, 7] {
        let li = c.line_info(off).unwrap();
        assert!(li.used, "{li:?}");
        assert_eq!(li.direction, Direction::Output, "{li:?}");
    }
}

fn request(abi: Abi) -> (Request, Request) {
    let path = chip().path().to_path_buf();
    let outs = Request::builder()
        .on_chip(&path)
        .with_abi(abi)
        .with_consumer("rpi-out")
        .with_lines(&[22, 23, 24])
        .as_output(Value::Inactive)
        .request()
        .expect("outputs 22..24");
    let ins = Request::builder()
        .on_chip(&path)
        .with_abi(abi)
        .with_consumer("rpi-in")
        .with_lines(&[17, 27])
        .as_input()
        .request()
        .expect("inputs 17, 27");
    (outs, ins)
}

#[test]
fn several_outputs_at_once_reach_the_level_register_with_both_abis() {
    for abi in [Abi::V2, Abi::V1] {
        let (outs, _ins) = request(abi);
        assert_eq!(outs.abi(), abi);
        outs.set_values(&[
            (22, Value::Active),
            (23, Value::Inactive),
            (24, Value::Active),
        ])
        .unwrap();
        let lev = host::readl(GPLEV0);
        assert_eq!((lev >> 22) & 0b111, 0b101, "{abi:?}: GPLEV0 {lev:#010x}");
        outs.set_values(&[
            (22, Value::Inactive),
            (23, Value::Active),
            (24, Value::Inactive),
        ])
        .unwrap();
        assert_eq!((host::readl(GPLEV0) >> 22) & 0b111, 0b010, "{abi:?}");
        assert_eq!(
            outs.values().unwrap(),
            [Value::Inactive, Value::Active, Value::Inactive]
        );
    }
}

#[test]
fn inputs_driven_by_the_host_read_back_with_both_abis() {
    for abi in [Abi::V2, Abi::V1] {
        let (_outs, ins) = request(abi);
        for (a, b) in [(true, false), (false, true), (true, true), (false, false)] {
            host::gpio_input(17, a);
            host::gpio_input(27, b);
            let v = ins.values().unwrap();
            let want = |h: bool| if h { Value::Active } else { Value::Inactive };
            assert_eq!(v, [want(a), want(b)], "{abi:?}: host drove 17={a} 27={b}");
        }
    }
}

#[test]
fn bias_and_consumer_show_in_the_line_info() {
    let c = chip();
    let path = c.path().to_path_buf();
    for (bias, line) in [(Bias::PullUp, 5), (Bias::PullDown, 6), (Bias::Disabled, 13)] {
        let _req = Request::builder()
            .on_chip(&path)
            .with_consumer("rpi-bias")
            .with_line(line)
            .as_input()
            .with_bias(bias)
            .request()
            .unwrap_or_else(|e| panic!("bias {bias:?} on GPIO{line}: {e}"));
        let li = c.line_info(line).unwrap();
        assert_eq!(li.bias, Some(bias), "{li:?}");
        assert_eq!(li.consumer.as_deref(), Some("rpi-bias"));
        assert_eq!(li.direction, Direction::Input);
    }
    // Released lines are free again.
    assert!(!c.line_info(5).unwrap().used);
}
