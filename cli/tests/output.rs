//! The CLI's own output: a reader that goes away (`| head -1`) ends udrv quietly, as it
//! does a C tool; the man page documents every command; completions are generated.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod man_commands;

fn udrv() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_udrv"));
    c.env("UDRV_VIRTUAL_TIME", "1000");
    c
}

#[test]
fn a_closed_pipe_ends_the_process_quietly() {
    let mut child = udrv()
        .args(["--board", "virtual", "read", "-n", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader (this test, standing in for `head -1`) goes away here.
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(first.starts_with("bme280@i2c-1:0x76"), "{first}");
    assert_eq!(o.status.code(), Some(141), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Every command `udrv --help` leads to (walked recursively, independently of the man
/// page generator) has its page from `udrv man --dir`, and `udrv man WORDS...` prints the
/// same page: its synopsis names the command and every long option its `--help` lists is
/// documented there.
#[test]
fn the_man_page_documents_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let o = udrv()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let commands = man_commands::all();
    // i2c (6), gpio (5), spi (1), uio (3), board (2), read, probe, capture, watch,
    // completions, man and their 5 parents: a walk that finds fewer is broken.
    assert!(commands.len() >= 25, "only {commands:?}");
    for path in &commands {
        let name = std::iter::once("udrv")
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>();
        let file = dir.path().join(format!("{}.1", name.join("-")));
        let page = std::fs::read_to_string(&file).unwrap_or_else(|e| {
            panic!("no page for `{}`: {}: {e}", name.join(" "), file.display())
        });
        assert!(
            page.contains(&format!(".TH {} 1 ", name.join("-"))),
            "{}: no .TH",
            file.display()
        );
        assert!(
            page.contains(&format!("\\fB{}\\fR", name.join(" "))),
            "{}: the synopsis does not name `{}`",
            file.display(),
            name.join(" ")
        );
        for opt in man_commands::long_options(path) {
            assert!(
                page.contains(&opt.replace('-', "\\-")),
                "{}: `{}` lists {opt}, the page does not",
                file.display(),
                name.join(" ")
            );
        }
        let mut args = vec!["man".to_string()];
        args.extend(path.iter().cloned());
        let one = udrv().args(&args).output().unwrap();
        assert!(one.status.success(), "udrv {args:?}");
        assert_eq!(String::from_utf8_lossy(&one.stdout), page, "udrv {args:?}");
    }
    // Options of a subcommand are there, with their help.
    let capture = std::fs::read_to_string(dir.path().join("udrv-capture.1")).unwrap();
    assert!(
        capture.contains("a link `udrv\\-rs485` to this binary"),
        "{capture}"
    );
}

#[test]
fn completions_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let o = udrv().args(["completions", shell]).output().unwrap();
        assert!(o.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("capture") && text.contains("transfer"),
            "{shell}"
        );
    }
}

/// What bash's completion offers for `udrv WORDS... CUR` (the script `udrv completions
/// bash` prints, sourced into bash, asked as bash asks it), run in `dir`.
fn bash_completes(dir: &std::path::Path, words: &[&str], cur: &str) -> Vec<String> {
    let script = format!(
        "source <(\"$UDRV\" completions bash) || exit 3\n\
         COMP_WORDS=(udrv {words} \"$CUR\"); COMP_CWORD={cword}\n\
         _udrv udrv \"$CUR\" {prev} || exit 4\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = words.join(" "),
        cword = words.len() + 1,
        prev = words.last().unwrap(),
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .env("UDRV", env!("CARGO_BIN_EXE_udrv"))
        .env("CUR", cur)
        .current_dir(dir)
        .output()
        .expect("run bash");
    assert!(
        o.status.success(),
        "{words:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut got: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    got.sort();
    got
}

/// `--board` completes to the boards udrv knows (and `virtual`), not to file names, at the
/// top level and after a subcommand (it is a global option).
#[test]
fn bash_completes_board_names_not_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rpi-notes.txt"), "").unwrap();
    std::fs::write(dir.path().join("virtual.log"), "").unwrap();
    let mut boards: Vec<String> = udrv_boards::BoardId::ALL
        .iter()
        .map(|b| b.slug().to_string())
        .collect();
    boards.sort();
    assert!(boards.contains(&"virtual".to_string()), "{boards:?}");
    for words in [
        &["--board"][..],
        &["i2c", "get", "--board"],
        &["read", "--board"],
    ] {
        assert_eq!(bash_completes(dir.path(), words, ""), boards, "{words:?}");
        let rpi: Vec<String> = boards
            .iter()
            .filter(|b| b.starts_with("rpi"))
            .cloned()
            .collect();
        assert!(rpi.len() >= 5, "{rpi:?}");
        assert_eq!(bash_completes(dir.path(), words, "rpi"), rpi, "{words:?}");
        assert_eq!(
            bash_completes(dir.path(), words, "vir"),
            ["virtual"],
            "{words:?}"
        );
    }
}
