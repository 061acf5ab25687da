//! `UDRV_BOARD` overrides the device tree, and `--board` overrides `UDRV_BOARD`. One test
//! in its own binary, because it sets a process-wide environment variable.

mod overridden;

use std::path::PathBuf;

use overridden::assert_overridden;
use udrv_boards::{detect_with, BoardId, Error, Root, ENV_BOARD};

#[test]
fn the_environment_variable_overrides_and_the_option_wins() {
    let root = Root::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rpi4b"));
    std::env::remove_var(ENV_BOARD);
    assert_eq!(detect_with(&root, None).unwrap().id, BoardId::Rpi4B);

    std::env::set_var(ENV_BOARD, "bbb");
    let d = detect_with(&root, None).unwrap();
    assert_overridden(&d, BoardId::BeagleBoneBlack, "UDRV_BOARD");
    let d = detect_with(&root, Some("rpi5")).unwrap();
    assert_overridden(&d, BoardId::Rpi5, "--board");

    std::env::set_var(ENV_BOARD, "  ");
    assert_eq!(
        detect_with(&root, None).unwrap().id,
        BoardId::Rpi4B,
        "blank = unset"
    );

    std::env::set_var(ENV_BOARD, "banana-pi");
    let e = detect_with(&root, None).unwrap_err();
    assert!(matches!(e, Error::UnknownBoardName { .. }), "{e:?}");
    assert!(e.to_string().contains("banana-pi"), "{e}");
    std::env::remove_var(ENV_BOARD);
}
