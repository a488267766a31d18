//! `mjhook`: normalize, detect, verify and track Midjourney vendor payloads.
//!
//! Exit status: 0 on success, 1 when an input is rejected (the reason on
//! stderr names the file), 2 on a usage error.

#![forbid(unsafe_code)]

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mjhook::{DecodeOptions, JobEvent, Provider};

/// Normalize Midjourney vendor webhook and polling payloads into one JobEvent.
#[derive(Debug, Parser)]
#[command(name = "mjhook", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print each file's job events as JSON, one per line.
    Normalize {
        /// The vendor format; detected from each body when omitted.
        #[arg(long, short)]
        provider: Option<Provider>,
        /// Indent the JSON.
        #[arg(long)]
        pretty: bool,
        /// Refuse inputs larger than this many bytes.
        #[arg(long, default_value_t = DecodeOptions::DEFAULT_MAX_BYTES)]
        max_bytes: usize,
        /// Payload files; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the provider of each file.
    Detect {
        /// Payload files; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of a JobEvent.
    Schema,
}

/// An input that was rejected: exit status 1.
struct Rejected;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(usage) => {
            // Help and version go to stdout with status 0; mistakes exit 2.
            let _ = usage.print();
            return if usage.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let outcome = match cli.command {
        Command::Normalize {
            provider,
            pretty,
            max_bytes,
            files,
        } => normalize(
            &mut out,
            provider,
            pretty,
            DecodeOptions::new().max_bytes(max_bytes),
            &files,
        ),
        Command::Detect { files } => detect(&mut out, &files),
        Command::Schema => schema(&mut out),
    };
    if out.flush().is_err() {
        return ExitCode::from(1);
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Rejected) => ExitCode::from(1),
    }
}

/// Decodes every file, printing events for the good ones and reasons for the
/// rest; rejected if any file was.
fn normalize(
    out: &mut impl Write,
    provider: Option<Provider>,
    pretty: bool,
    options: DecodeOptions,
    files: &[PathBuf],
) -> Result<(), Rejected> {
    each_file(files, |name, bytes| {
        let events = options
            .decode_all(provider, bytes)
            .map_err(|error| format!("{name}: {error}"))?;
        for event in &events {
            print_json(out, event, pretty)?;
        }
        Ok(())
    })
}

fn detect(out: &mut impl Write, files: &[PathBuf]) -> Result<(), Rejected> {
    each_file(files, |name, bytes| {
        let provider = mjhook::detect(bytes).map_err(|error| format!("{name}: {error}"))?;
        writeln!(out, "{provider}").map_err(|error| format!("writing output: {error}"))
    })
}

fn schema(out: &mut impl Write) -> Result<(), Rejected> {
    let schema = schemars::schema_for!(JobEvent);
    print_json(out, &schema, true).map_err(|message| {
        eprintln!("mjhook: {message}");
        Rejected
    })
}

fn print_json(
    out: &mut impl Write,
    value: &impl serde::Serialize,
    pretty: bool,
) -> Result<(), String> {
    let written = if pretty {
        serde_json::to_writer_pretty(&mut *out, value)
    } else {
        serde_json::to_writer(&mut *out, value)
    };
    written
        .map_err(io::Error::from)
        .and_then(|()| writeln!(out))
        .map_err(|error| format!("writing output: {error}"))
}

/// Runs `work` on each file's bytes (`-` is standard input), reporting each
/// failure on stderr and going on with the next file.
fn each_file(
    files: &[PathBuf],
    mut work: impl FnMut(&str, &[u8]) -> Result<(), String>,
) -> Result<(), Rejected> {
    let mut rejected = false;
    for path in files {
        let name = path.display().to_string();
        let outcome = read_input(path)
            .map_err(|error| format!("{name}: cannot read: {error}"))
            .and_then(|bytes| work(&name, &bytes));
        if let Err(message) = outcome {
            eprintln!("mjhook: {message}");
            rejected = true;
        }
    }
    if rejected {
        Err(Rejected)
    } else {
        Ok(())
    }
}

fn read_input(path: &PathBuf) -> io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}
