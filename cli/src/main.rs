//! `udrv`: the command-line tool. Placeholder until the CLI issue lands.

fn main() {
    println!("udrv {}", env!("CARGO_PKG_VERSION"));
}
