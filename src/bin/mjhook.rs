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
    /// Print the provider of each file (`FILE: provider` when there are
    /// several).
    Detect {
        /// Refuse inputs larger than this many bytes.
        #[arg(long, default_value_t = DecodeOptions::DEFAULT_MAX_BYTES)]
        max_bytes: usize,
        /// Payload files; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Fold the files' events, in order, into one state per job, printed as
    /// JSON lines in order of each job's first event.
    Track {
        /// The vendor format; detected from each body when omitted.
        #[arg(long, short)]
        provider: Option<Provider>,
        /// Refuse inputs larger than this many bytes.
        #[arg(long, default_value_t = DecodeOptions::DEFAULT_MAX_BYTES)]
        max_bytes: usize,
        /// Payload files, in delivery order; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check that a request is authentic (signature, shared secret or URL
    /// token, per provider); print `authentic`, or the reason on stderr.
    Verify(VerifyArgs),
    /// Print the JSON Schema of a JobEvent.
    Schema,
    /// Run the webhook gateway: verify, store, fold and forward deliveries.
    #[cfg(feature = "serve")]
    Serve(mjhook::serve::ServeArgs),
    /// Manage the gateway's forward outbox.
    #[cfg(feature = "serve")]
    Outbox(mjhook::serve::OutboxArgs),
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
    #[cfg(feature = "serve")]
    let cli = match cli.command {
        Command::Serve(args) => return mjhook::serve::run(args),
        Command::Outbox(args) => return mjhook::serve::outbox(args),
        _ => cli,
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
        Command::Detect { max_bytes, files } => {
            detect(&mut out, DecodeOptions::new().max_bytes(max_bytes), &files)
        }
        Command::Track {
            provider,
            max_bytes,
            files,
        } => track(
            &mut out,
            provider,
            DecodeOptions::new().max_bytes(max_bytes),
            &files,
        ),
        Command::Verify(args) => match verify(&mut out, &args) {
            Ok(()) => Ok(()),
            Err(VerifyFailure::Rejected) => Err(Rejected),
            Err(VerifyFailure::Usage) => return ExitCode::from(2),
        },
        Command::Schema => schema(&mut out),
        #[cfg(feature = "serve")]
        Command::Serve(_) | Command::Outbox(_) => Ok(()),
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

/// Names each file's provider; with several files each line starts with
/// the file's name, so the lines still match the files when one fails.
fn detect(out: &mut impl Write, options: DecodeOptions, files: &[PathBuf]) -> Result<(), Rejected> {
    let several = files.len() > 1;
    each_file(files, |name, bytes| {
        let provider = options
            .detect(bytes)
            .map_err(|error| format!("{name}: {error}"))?;
        let written = if several {
            writeln!(out, "{name}: {provider}")
        } else {
            writeln!(out, "{provider}")
        };
        written.map_err(|error| format!("writing output: {error}"))
    })
}

/// Folds the events of every file that decodes, then prints each job's state;
/// rejected if any file was (the states of the others are still printed).
fn track(
    out: &mut impl Write,
    provider: Option<Provider>,
    options: DecodeOptions,
    files: &[PathBuf],
) -> Result<(), Rejected> {
    let mut tracker = mjhook::Tracker::new();
    let outcome = each_file(files, |name, bytes| {
        let events = options
            .decode_all(provider, bytes)
            .map_err(|error| format!("{name}: {error}"))?;
        for event in &events {
            tracker.apply(event);
        }
        Ok(())
    });
    for state in &tracker {
        if let Err(message) = print_json(out, state, false) {
            eprintln!("mjhook: {message}");
            return Err(Rejected);
        }
    }
    outcome
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

/// `mjhook verify`'s arguments. Secrets, header values and the URL are kept
/// in types whose `Debug` output hides them.
#[derive(Debug, clap::Args)]
#[command(group(
    clap::ArgGroup::new("secrets")
        .required(true)
        .multiple(true)
        .args(["secret", "secret_env"])
))]
struct VerifyArgs {
    /// The vendor that sent the request.
    #[arg(long, short)]
    provider: Provider,
    /// A secret: the asyncapi signing key, the apiframe/goapi webhook secret,
    /// or the imagineapi/midjourney_api URL token. Repeat to accept any of
    /// several (rotation).
    #[arg(long, value_name = "SECRET", value_parser = secret_arg)]
    secret: Vec<mjhook::Secret>,
    /// The name of an environment variable holding a secret, which keeps it
    /// out of the process list. Repeatable.
    #[arg(long, value_name = "VAR")]
    secret_env: Vec<String>,
    /// A request header, as `Name: value`. Repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = hidden_arg)]
    headers: Vec<Hidden>,
    /// Refuse an asyncapi body whose `timestamp` is more than this many
    /// seconds before or after now.
    #[arg(long, value_name = "SECS")]
    tolerance: Option<u64>,
    /// The time to measure the tolerance from, instead of the clock.
    #[arg(long, value_name = "RFC3339", requires = "tolerance", value_parser = rfc3339_arg)]
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// The URL the request was sent to (imagineapi, midjourney_api: the
    /// token is in its query).
    #[arg(long, value_name = "URL", value_parser = hidden_arg)]
    url: Option<Hidden>,
    /// The query parameter holding the URL token.
    #[arg(long, value_name = "NAME", default_value = mjhook::verify::DEFAULT_TOKEN_PARAM)]
    token_param: String,
    /// The request body, byte for byte as received; `-` reads standard input.
    file: PathBuf,
}

/// A command-line value that may hold a secret: shown as `[REDACTED]`.
#[derive(Clone)]
struct Hidden(String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

fn hidden_arg(value: &str) -> Result<Hidden, std::convert::Infallible> {
    Ok(Hidden(value.to_owned()))
}

fn secret_arg(value: &str) -> Result<mjhook::Secret, std::convert::Infallible> {
    Ok(mjhook::Secret::from(value))
}

fn rfc3339_arg(value: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|time| time.with_timezone(&chrono::Utc))
        .map_err(|error| {
            format!("expected an RFC 3339 date-time such as 2024-05-01T12:00:00Z: {error}")
        })
}

/// Why `verify` did not print `authentic`: the request (exit 1) or the
/// command line (exit 2).
enum VerifyFailure {
    Rejected,
    Usage,
}

fn verify(out: &mut impl Write, args: &VerifyArgs) -> Result<(), VerifyFailure> {
    // Messages name arguments by position, never by value: a header value
    // or URL may be the very secret.
    let usage = |message: String| {
        eprintln!("mjhook: verify: {message}");
        VerifyFailure::Usage
    };
    let mut secrets = args.secret.clone();
    for var in &args.secret_env {
        let value = std::env::var_os(var)
            .ok_or_else(|| usage(format!("the environment variable {var} is not set")))?;
        secrets.push(mjhook::Secret::new(value.into_encoded_bytes()));
    }
    let mut headers = Vec::with_capacity(args.headers.len());
    for (n, Hidden(header)) in (1..).zip(&args.headers) {
        match header.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                headers.push((name.trim(), value.trim()));
            }
            _ => {
                return Err(usage(format!(
                    "--header number {n} is not of the form `Name: value`"
                )))
            }
        }
    }

    let name = args.file.display().to_string();
    let body = read_input(&args.file).map_err(|error| {
        eprintln!("mjhook: {name}: cannot read: {error}");
        VerifyFailure::Rejected
    })?;

    let mut verifier = mjhook::Verifier::new(args.provider)
        .secrets(secrets)
        .token_param(args.token_param.as_str());
    if let Some(seconds) = args.tolerance {
        verifier = verifier.tolerance(std::time::Duration::from_secs(seconds));
    }
    let mut request = mjhook::Request::new(&body).headers(&headers);
    if let Some(Hidden(url)) = &args.url {
        request = request.url(url);
    }
    let verified = match args.now {
        Some(now) => verifier.verify_at(&request, now),
        None => verifier.verify(&request),
    };
    match verified {
        Ok(_) => writeln!(out, "authentic").map_err(|error| {
            eprintln!("mjhook: writing output: {error}");
            VerifyFailure::Rejected
        }),
        Err(error) if error.is_configuration() => Err(usage(error.to_string())),
        Err(error) => {
            eprintln!(
                "mjhook: {name}: not authentic as {}: {error}",
                args.provider
            );
            Err(VerifyFailure::Rejected)
        }
    }
}
