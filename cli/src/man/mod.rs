//! `udrv man`: the manual pages, one per command as git has them: `udrv(1)` with the
//! commands listed, `udrv-i2c(1)` with its subcommands, `udrv-i2c-get(1)` and so on. Each
//! page has the command's synopsis, description and options (from clap's definitions, so
//! they match `--help`), then EXAMPLES, ENVIRONMENT, EXIT STATUS and SEE ALSO.
//!
//! `udrv man` prints `udrv(1)`, `udrv man i2c get` (or `udrv man udrv-i2c-get`) one page,
//! and `udrv man --dir DIR` writes them all (what the Debian package and the tarball ship).

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_mangen::roff::{roman, Roff};
use clap_mangen::Man;

use crate::{Cli, Failure, Outcome};

mod examples;
mod sections;

use sections::{environment_section, examples_section, exit_status_section, see_also_section};

/// `udrv man`
#[derive(Args, Debug)]
pub struct ManArgs {
    /// The command whose page to print, as its words (`i2c get`) or as the page's name
    /// (`udrv-i2c-get`); without it, the page of udrv itself, udrv(1).
    #[arg(value_name = "COMMAND")]
    command: Vec<String>,
    /// Write every page (udrv.1, udrv-i2c.1, udrv-i2c-get.1, ...) into DIR, created when
    /// missing, and print the path of each file written, instead of printing one page.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    dir: Option<PathBuf>,
}

/// What roff's writer puts first in every piece it renders (clap_mangen renders each
/// section apart): kept once, at the top of the page.
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// One page: a command of the tree and where it sits.
struct Page {
    /// The command (built: its bin name is `udrv i2c get`, its display name `udrv-i2c-get`).
    cmd: clap::Command,
    /// The words after `udrv` (`["i2c", "get"]`).
    path: Vec<String>,
}

impl Page {
    /// `udrv-i2c-get`: the page's name, and its file's without `.1`.
    fn name(&self) -> String {
        std::iter::once("udrv")
            .chain(self.path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The parent's page name (none for udrv(1)).
    fn parent(&self) -> Option<String> {
        (!self.path.is_empty()).then(|| {
            std::iter::once("udrv")
                .chain(self.path[..self.path.len() - 1].iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("-")
        })
    }
}

/// Every page, udrv(1) first, each parent before its subcommands. clap's `help`
/// subcommand has no page (`--help` is documented on every page instead).
fn pages() -> Vec<Page> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Page>) {
        out.push(Page {
            cmd: cmd.clone(),
            path: path.clone(),
        });
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, out);
        }
    }
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut out = Vec::new();
    walk(&root, Vec::new(), &mut out);
    out
}

/// The page of one command, as roff.
fn render(page: &Page, all: &[Page]) -> std::io::Result<String> {
    let man = Man::new(page.cmd.clone())
        .title(page.name())
        .source(format!("udrv {}", env!("CARGO_PKG_VERSION")))
        .manual("udrv manual");
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    if page.cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf)?;
    }
    if page.cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut buf)?;
    }
    let mut roff = Roff::new();
    if let Some(after) = page
        .cmd
        .get_after_long_help()
        .or_else(|| page.cmd.get_after_help())
    {
        roff.control("SH", ["NOTES"]);
        for line in after.to_string().lines() {
            if line.trim().is_empty() {
                roff.control("PP", []);
            } else {
                roff.text([roman(line)]);
            }
        }
    }
    examples_section(&mut roff, &page.path);
    environment_section(&mut roff);
    exit_status_section(&mut roff);
    see_also_section(&mut roff, page, all);
    roff.to_writer(&mut buf)?;
    man.render_version_section(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).replace(PREAMBLE, "");
    Ok(format!("{PREAMBLE}{text}"))
}

/// The page of the command `words` names: its words (`i2c get`) or one page name
/// (`udrv-i2c-get`, `udrv-i2c-get.1`).
fn find<'a>(all: &'a [Page], words: &[String]) -> Result<&'a Page, Failure> {
    let wanted = match words {
        [one] if one.starts_with("udrv") => one.trim_end_matches(".1").to_string(),
        _ => std::iter::once("udrv")
            .chain(words.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-"),
    };
    all.iter().find(|p| p.name() == wanted).ok_or_else(|| {
        let known: Vec<String> = all
            .iter()
            .filter(|p| !p.path.is_empty())
            .map(|p| p.path.join(" "))
            .collect();
        Failure::usage(format!(
            "udrv man: no command `{}`: the commands are {}",
            words.join(" "),
            known.join(", ")
        ))
    })
}

/// Writes every page into `dir`, returning their paths.
fn write_all(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::op(format!(
            "udrv man: cannot create {}: {e} (choose a directory you can write)",
            dir.display()
        ))
    })?;
    let all = pages();
    let mut written = Vec::new();
    for page in &all {
        let file = dir.join(format!("{}.1", page.name()));
        let text = render(page, &all).map_err(Failure::op)?;
        std::fs::write(&file, text)
            .map_err(|e| Failure::op(format!("udrv man: cannot write {}: {e}", file.display())))?;
        written.push(file);
    }
    Ok(written)
}

/// The page of the command `words` names (`["i2c", "get"]`; none for udrv(1)), as roff.
pub fn page(words: &[&str]) -> Result<String, Failure> {
    let all = pages();
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    render(find(&all, &words)?, &all).map_err(Failure::op)
}

/// Runs `udrv man`.
pub fn run(a: &ManArgs) -> Outcome {
    if let Some(dir) = &a.dir {
        for file in write_all(dir)? {
            outln!("{}", file.display());
        }
        return Ok(());
    }
    let words: Vec<&str> = a.command.iter().map(String::as_str).collect();
    out!("{}", page(&words)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::examples::EXAMPLES;
    use super::*;

    /// Every example is for a command that exists, and every command has one.
    #[test]
    fn examples_name_existing_commands_and_cover_every_page() {
        let all = pages();
        for (cmd, line, _) in EXAMPLES {
            assert!(
                all.iter().any(|p| p.path.join(" ") == *cmd),
                "example for unknown command `{cmd}`: {line}"
            );
            assert!(
                cmd.is_empty() || format!("{line} ").contains(&format!(" {cmd} ")),
                "example `{line}` is filed under `{cmd}`"
            );
        }
        for p in &all {
            assert!(
                EXAMPLES.iter().any(|(c, _, _)| *c == p.path.join(" ")),
                "no example for `udrv {}`",
                p.path.join(" ")
            );
        }
    }
}
