//! `mjhook`: normalize, detect, verify and track Midjourney vendor payloads.
//!
//! Exit status: 0 on success, 1 when an input is rejected (the reason on
//! stderr names the file and the line its body starts on) or stdout cannot
//! be written, 2 on a usage error. A reader that goes away (`| head -1`)
//! ends the program quietly, with the status of what was read so far.

#![forbid(unsafe_code)]

// The submodules live in `mjhook/`, beside this file, which stays the
// binary's root so `[[bin]]` needs no change.
#[path = "mjhook/decode.rs"]
mod decode;
#[path = "mjhook/docs.rs"]
mod docs;
#[path = "mjhook/input.rs"]
mod input;
#[path = "mjhook/provider_arg.rs"]
mod provider_arg;
#[path = "mjhook/report.rs"]
mod report;
#[path = "mjhook/verify.rs"]
mod verify;

use std::io::{self, ErrorKind, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mjhook::JobEvent;

use crate::report::{Halt, Log, Out};

/// Normalize Midjourney vendor webhook and polling payloads into one JobEvent.
#[derive(Debug, Parser)]
#[command(name = "mjhook", version, about)]
#[command(after_help = top_help())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The end of `mjhook --help`: the providers by name (from the library, so
/// the list cannot fall behind), then inputs, exit status and examples.
fn top_help() -> String {
    format!(
        "Providers (--provider): {}.\n\n{TOP_HELP}",
        provider_arg::names()
    )
}

const TOP_HELP: &str = "\
Inputs: FILE, DIR (its *.json and *.ndjson files, any case, sorted) or -
(standard input, also read when no FILE is given). An input may hold
several bodies, as NDJSON or one after another; each is one delivery with
its own --max-bytes limit.

Exit status: 0 on success; 1 when an input is rejected (stderr names the
input and the line its body starts on) or stdout cannot be written; 2 on a
usage error. A closed stdout (`| head -1`) ends mjhook quietly.

Examples:
  mjhook normalize delivery.json
  curl -s \"$POLL_URL\" | mjhook normalize --provider goapi
  jq -c . a.json b.json | mjhook normalize --with-source
  mjhook detect fixtures/
  mjhook track deliveries.ndjson
  mjhook verify -p asyncapi --secret-env MJ_KEY -H \"X-Midjourney-Signature: $SIG\" body.json
  mjhook completions bash > ~/.local/share/bash-completion/completions/mjhook
  mjhook man | man -l -";

/// One variant, and one arm in [`run`], per subcommand.
#[derive(Debug, Subcommand)]
enum Command {
    /// Print each body's job events as JSON, one per line.
    Normalize(decode::NormalizeArgs),
    /// Print the provider of each body (`FILE: provider` when there are
    /// several inputs).
    Detect(decode::DetectArgs),
    /// Fold the bodies' events, in order, into one state per job, printed as
    /// JSON lines in order of each job's first event.
    Track(decode::TrackArgs),
    /// Check that a request is authentic (signature, shared secret or URL
    /// token, per provider); print `authentic`, or the reason on stderr.
    Verify(verify::VerifyArgs),
    /// Print the JSON Schema of a JobEvent.
    Schema,
    /// Print a shell completion script.
    Completions(docs::CompletionsArgs),
    /// Print the manual page, in roff.
    Man(docs::ManArgs),
    /// Run the webhook gateway: verify, store, fold and forward deliveries.
    #[cfg(feature = "serve")]
    Serve(mjhook::serve::ServeArgs),
    /// Manage the gateway's forward outbox.
    #[cfg(feature = "serve")]
    Outbox(mjhook::serve::OutboxArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(usage) => {
            // Help and version go to stdout with status 0; mistakes exit 2.
            let printed = usage.print();
            if !usage.use_stderr() {
                if let Err(error) = printed.as_ref() {
                    if error.kind() != ErrorKind::BrokenPipe {
                        report::say(format_args!("writing output: {error}"));
                        return ExitCode::from(1);
                    }
                }
            }
            if !cfg!(feature = "serve") {
                use clap::error::{ContextKind, ContextValue};
                let asked = usage.get(ContextKind::InvalidSubcommand);
                if matches!(asked, Some(ContextValue::String(name)) if name == "serve" || name == "outbox")
                {
                    report::say(format_args!(
                        "this mjhook was built without the gateway (`serve`, `outbox`): build it with `--features serve`, as in `cargo install --path . --features serve`"
                    ));
                }
            }
            return if usage.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // The gateway runs for as long as it is up and reports through its logs.
    #[cfg(feature = "serve")]
    let cli = match cli.command {
        Command::Serve(args) => return mjhook::serve::run(args),
        Command::Outbox(args) => return mjhook::serve::outbox(args),
        _ => cli,
    };
    let stdout = io::stdout();
    let mut out = Out::new(stdout.lock());
    let mut log = Log::default();
    let ran = run(&cli.command, &mut out, &mut log).and_then(|()| out.flush());
    let written = match ran {
        Ok(()) => true,
        Err(Halt::Usage) => return ExitCode::from(2),
        // Whoever reads stdout has all they wanted, as after `| head -1`:
        // status 0 whatever came before, so a pipeline's status does not
        // depend on how far the program got before the reader left.
        Err(Halt::Output(error)) if error.kind() == ErrorKind::BrokenPipe => {
            return ExitCode::SUCCESS
        }
        Err(Halt::Output(error)) => {
            report::say(format_args!("writing output: {error}"));
            false
        }
    };
    if written && !log.rejected() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn run(command: &Command, out: &mut Out<impl Write>, log: &mut Log) -> Result<(), Halt> {
    match command {
        Command::Normalize(args) => decode::normalize(args, out, log),
        Command::Detect(args) => decode::detect(args, out, log),
        Command::Track(args) => decode::track(args, out, log),
        Command::Verify(args) => verify::verify(args, out, log),
        Command::Schema => out.json(&schemars::schema_for!(JobEvent), true),
        Command::Completions(args) => docs::completions(args, out),
        Command::Man(args) => docs::man(args, out, log),
        // Dispatched in `main` before any output is set up.
        #[cfg(feature = "serve")]
        Command::Serve(_) | Command::Outbox(_) => Ok(()),
    }
}
