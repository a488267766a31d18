//! `mjhook completions` and `mjhook man`: generated from the same clap
//! definition as `--help`, so they never disagree with it.

use std::io::Write;

use clap::CommandFactory;

use crate::report::{Halt, Log, Out};
use crate::Cli;

/// `mjhook completions`' arguments.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  mjhook completions bash > ~/.local/share/bash-completion/completions/mjhook
  mjhook completions zsh > ~/.zfunc/_mjhook
  mjhook completions fish > ~/.config/fish/completions/mjhook.fish")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    shell: clap_complete::Shell,
}

/// `mjhook man`'s arguments.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  mjhook man > mjhook.1 && man ./mjhook.1
  mjhook man normalize > mjhook-normalize.1")]
pub struct ManArgs {
    /// A subcommand whose page to print (mjhook-COMMAND(1)) instead of
    /// mjhook(1).
    command: Option<String>,
}

/// Prints the completion script for the shell.
pub fn completions(args: &CompletionsArgs, out: &mut Out<impl Write>) -> Result<(), Halt> {
    // clap_complete panics on a failed write, so the script is built in
    // memory and written like every other output.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "mjhook", &mut script);
    out.bytes(&script)
}

/// Prints a man page, in roff.
pub fn man(args: &ManArgs, out: &mut Out<impl Write>, log: &mut Log) -> Result<(), Halt> {
    let mut command = Cli::command();
    // Building fills in the subcommands' `mjhook-COMMAND` names.
    command.build();
    let page = match &args.command {
        None => command,
        Some(name) => match command.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = command
                    .get_subcommands()
                    .map(clap::Command::get_name)
                    .collect();
                return Err(log.usage(format_args!(
                    "man: no command {name:?}; expected one of {}",
                    names.join(", ")
                )));
            }
        },
    };
    let mut roff = Vec::new();
    // Every page names mjhook and its version: a subcommand has none of its own.
    clap_mangen::Man::new(page)
        .source(concat!("mjhook ", env!("CARGO_PKG_VERSION")))
        .render(&mut roff)
        .map_err(Halt::Output)?;
    out.bytes(&roff)
}
