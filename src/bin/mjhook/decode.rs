//! `normalize`, `detect` and `track`: payload streams in, JSON lines out.

use std::io::Write;

use serde::Serialize;

use crate::input::{each_body, Body, InputArgs};
use crate::provider_arg::{ProviderArg, ProviderParser};
use crate::report::{FileName, Halt, Log, Out};

/// `mjhook normalize`'s arguments.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  mjhook normalize delivery.json
  mjhook normalize --provider goapi fixtures/goapi/
  cat delivery.json | mjhook normalize
  jq -c . a.json b.json | mjhook normalize --with-source")]
pub struct NormalizeArgs {
    /// The vendor format; detected from each body when omitted.
    #[arg(long, short, value_parser = ProviderParser)]
    pub provider: Option<ProviderArg>,
    /// Indent the JSON.
    #[arg(long)]
    pub pretty: bool,
    /// Wrap each event as {"source": FILE, "line": N, "event": {...}}, where
    /// N is the line on which its body starts (standard input is
    /// "<stdin>").
    #[arg(long)]
    pub with_source: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

/// `mjhook detect`'s arguments.
#[derive(Debug, clap::Args)]
#[command(after_help = detect_help())]
pub struct DetectArgs {
    /// Print {"source": FILE, "line": N, "provider": P} lines instead.
    #[arg(long)]
    pub with_source: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

/// The end of `mjhook detect --help`: the names it prints, then examples.
fn detect_help() -> String {
    format!(
        "Providers (printed): {}.\n\n\
         Examples:\n  \
         mjhook detect delivery.json\n  \
         mjhook detect fixtures/          # FILE: provider, one line per body\n  \
         mjhook detect --with-source < deliveries.ndjson",
        crate::provider_arg::names()
    )
}

/// `mjhook track`'s arguments.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  mjhook track pending.json progress.json completed.json
  mjhook track deliveries.ndjson
  mjhook track --provider imagineapi deliveries/
  mjhook track --max-jobs 1000 < endless.ndjson")]
pub struct TrackArgs {
    /// The vendor format; detected from each body when omitted.
    #[arg(long, short, value_parser = ProviderParser)]
    pub provider: Option<ProviderArg>,
    /// The most jobs held at once. When a new job would pass it, the job
    /// that appeared first is written out then and forgotten (an event of
    /// it that comes later starts it again, on a line of its own), so memory
    /// stays bounded however long the input.
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_jobs: u32,
    #[command(flatten)]
    pub input: InputArgs,
}

/// An output line tagged with where its body came from.
#[derive(Serialize)]
struct Sourced<'a, K: Serialize> {
    source: &'a str,
    line: usize,
    #[serde(flatten)]
    value: K,
}

#[derive(Serialize)]
struct EventField<'a> {
    event: &'a mjhook::JobEvent,
}

#[derive(Serialize)]
struct ProviderField {
    provider: mjhook::Provider,
}

/// Decodes every body, printing events for the good ones and reasons for
/// the rest.
pub fn normalize(
    args: &NormalizeArgs,
    out: &mut Out<impl Write>,
    log: &mut Log,
) -> Result<(), Halt> {
    let options = args.input.decode_options();
    let provider = args.provider.map(|ProviderArg(provider)| provider);
    each_body(&args.input, log, |body, log| {
        match options.decode_all(provider, &body.bytes) {
            Ok(events) => {
                for event in &events {
                    if args.with_source {
                        let value = EventField { event };
                        out.json(&sourced(&body, value), args.pretty)?;
                    } else {
                        out.json(event, args.pretty)?;
                    }
                }
            }
            Err(error) => body.reject(error, log),
        }
        after_body(&body, out)
    })
}

/// Names each body's provider; when several inputs are given each line
/// starts with the file's name, so the lines still match the files when one
/// fails.
pub fn detect(args: &DetectArgs, out: &mut Out<impl Write>, log: &mut Log) -> Result<(), Halt> {
    let options = args.input.decode_options();
    let several = args.input.several();
    each_body(&args.input, log, |body, log| {
        match options.detect(&body.bytes) {
            Ok(provider) if args.with_source => {
                out.json(&sourced(&body, ProviderField { provider }), false)?;
            }
            // One line per body, whatever the file is called.
            Ok(provider) if several => {
                out.line(format_args!("{}: {provider}", FileName(body.source)))?;
            }
            Ok(provider) => out.line(provider)?,
            Err(error) => body.reject(error, log),
        }
        after_body(&body, out)
    })
}

/// Folds the events of every body that decodes, then prints each job's
/// state in order of its first event; the states are printed even when some
/// bodies were rejected.
pub fn track(args: &TrackArgs, out: &mut Out<impl Write>, log: &mut Log) -> Result<(), Halt> {
    let options = args.input.decode_options();
    let provider = args.provider.map(|ProviderArg(provider)| provider);
    let mut tracker = mjhook::Tracker::with_max_jobs(args.max_jobs as usize);
    each_body(&args.input, log, |body, log| {
        match options.decode_all(provider, &body.bytes) {
            Ok(events) => {
                for event in &events {
                    // The oldest job goes first, so lines stay in the order
                    // in which jobs first appeared.
                    if let (_, Some(evicted)) = tracker.apply_evicting(event) {
                        out.json(&evicted, false)?;
                        // A reader of a live stream sees it now, not at the end.
                        after_body(&body, out)?;
                    }
                }
            }
            Err(error) => body.reject(error, log),
        }
        Ok(())
    })?;
    for state in &tracker {
        out.json(state, false)?;
    }
    Ok(())
}

fn sourced<'a, K: Serialize>(body: &'a Body<'_>, value: K) -> Sourced<'a, K> {
    Sourced {
        source: body.source,
        line: body.line,
        value,
    }
}

/// A reader of a live stream gets each body's lines before mjhook waits for
/// the next body; files are written in large blocks.
fn after_body(body: &Body<'_>, out: &mut Out<impl Write>) -> Result<(), Halt> {
    if body.live {
        out.flush()
    } else {
        Ok(())
    }
}
