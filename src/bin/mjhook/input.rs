//! Where bodies come from: files, directories and standard input, each read
//! as a stream of JSON bodies (NDJSON or simply concatenated), one bounded
//! body at a time.
//!
//! serde_json finds where each top-level value ends, reading through
//! [`Counting`], which keeps the bytes of the current body and fails the
//! read as soon as the body outgrows the limit: no more than the limit is
//! ever held, however long the input.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, IgnoredAny};

use crate::report::{Halt, Log};

/// A `--max-bytes` value: a limit of 0 would refuse every body.
pub fn byte_limit(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("the limit must be at least 1 byte".to_owned()),
        Ok(limit) => Ok(limit),
        Err(err) => Err(err.to_string()),
    }
}

/// The inputs and the per-body limit, shared by the commands that read
/// payload streams.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Refuse a body larger than this many bytes. Each body of a stream has
    /// its own limit; reading stops at the first body over it.
    #[arg(long, value_name = "BYTES", default_value_t = mjhook::DecodeOptions::DEFAULT_MAX_BYTES, value_parser = byte_limit)]
    pub max_bytes: usize,
    /// Payload files, or directories to search for `*.json` and `*.ndjson`
    /// files (sorted by name). `-` or no FILE reads standard input. Each may
    /// hold several bodies, as NDJSON or one after another.
    #[arg(value_name = "FILE|DIR|-")]
    pub files: Vec<PathBuf>,
}

impl InputArgs {
    /// The options the library decodes each body with.
    pub fn decode_options(&self) -> mjhook::DecodeOptions {
        mjhook::DecodeOptions::new().max_bytes(self.max_bytes)
    }

    /// Whether output lines should say which input they belong to: more
    /// than one argument, or a directory (whose file count is not known
    /// until it is walked).
    pub fn several(&self) -> bool {
        self.files.len() > 1 || self.files.iter().any(|path| path.is_dir())
    }
}

/// The name standard input goes by in messages and `--with-source` output.
pub const STDIN_NAME: &str = "<stdin>";

/// One body: where it came from and its bytes.
pub struct Body<'a> {
    /// The file's path as given or found, or [`STDIN_NAME`].
    pub source: &'a str,
    /// The line of the input on which the body starts (1-based).
    pub line: usize,
    /// Whether the input is standard input, which may be a live stream
    /// whose reader wants each result as soon as it is known.
    pub live: bool,
    /// The body, from its first to its last byte.
    pub bytes: Vec<u8>,
}

/// Calls `visit` on every body of every input, in order. Inputs that cannot
/// be read, bodies over the limit and streams that stop being JSON are
/// reported on `log`; reading goes on with the next input. Stops early only
/// when `visit` does (a write to stdout failed).
pub fn each_body(
    args: &InputArgs,
    log: &mut Log,
    mut visit: impl FnMut(Body<'_>, &mut Log) -> Result<(), Halt>,
) -> Result<(), Halt> {
    let stdin_arg = Path::new("-");
    if args.files.iter().filter(|path| *path == stdin_arg).count() > 1 {
        // Standard input can be read only once; a second `-` would silently
        // be empty.
        return Err(log.usage("`-` (standard input) is given more than once"));
    }
    let default = [stdin_arg.to_path_buf()];
    let files = if args.files.is_empty() {
        &default[..]
    } else {
        &args.files[..]
    };
    for path in files {
        if path == stdin_arg {
            let stdin = io::stdin();
            stream(
                STDIN_NAME,
                true,
                stdin.lock(),
                args.max_bytes,
                log,
                &mut visit,
            )?;
        } else if path.is_dir() {
            walk(path, args.max_bytes, log, &mut visit)?;
        } else {
            file(path, args.max_bytes, log, &mut visit)?;
        }
    }
    Ok(())
}

/// Reads every `*.json` and `*.ndjson` file under `dir`, sorted by name.
fn walk(
    dir: &Path,
    limit: usize,
    log: &mut Log,
    visit: &mut impl FnMut(Body<'_>, &mut Log) -> Result<(), Halt>,
) -> Result<(), Halt> {
    let mut found = false;
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let at = error.path().unwrap_or(dir).display().to_string();
                log.reject(format_args!("{at}: cannot read: {error}"));
                continue;
            }
        };
        let path = entry.path();
        // A link to a file counts as the file; links to directories are not
        // followed, so a cycle cannot make the walk endless.
        let is_file = entry.file_type().is_file() || (entry.path_is_symlink() && path.is_file());
        let payload = path
            .extension()
            .is_some_and(|extension| extension == "json" || extension == "ndjson");
        if is_file && payload {
            found = true;
            file(path, limit, log, visit)?;
        } else if payload && entry.path_is_symlink() {
            // A link to nothing (or to what cannot be read) named like a
            // body is reported, as the same file named alone would be.
            if let Err(error) = std::fs::metadata(path) {
                found = true;
                log.reject(format_args!("{}: cannot read: {error}", path.display()));
            }
        }
    }
    if !found {
        log.reject(format_args!(
            "{}: holds no *.json or *.ndjson file",
            dir.display()
        ));
    }
    Ok(())
}

fn file(
    path: &Path,
    limit: usize,
    log: &mut Log,
    visit: &mut impl FnMut(Body<'_>, &mut Log) -> Result<(), Halt>,
) -> Result<(), Halt> {
    let name = path.display().to_string();
    match File::open(path) {
        Ok(opened) => stream(&name, false, BufReader::new(opened), limit, log, visit),
        Err(error) => {
            log.reject(format_args!("{name}: cannot read: {error}"));
            Ok(())
        }
    }
}

/// Reads the bodies of one input. A stream that stops being JSON cannot be
/// resynchronised, so the first such body (with the rest of the input, up to
/// the limit) is handed over as the last one: the library then says what is
/// wrong with it in its usual words.
fn stream(
    source: &str,
    live: bool,
    mut reader: impl BufRead,
    limit: usize,
    log: &mut Log,
    visit: &mut impl FnMut(Body<'_>, &mut Log) -> Result<(), Halt>,
) -> Result<(), Halt> {
    if let Err(error) = skip_byte_order_mark(&mut reader) {
        log.reject(format_args!("{source}:1: cannot read: {error}"));
        return Ok(());
    }
    let mut bodies = Bodies::new(reader, limit);
    let mut count = 0usize;
    loop {
        match bodies.next_body() {
            Next::Body { line, bytes } | Next::Last { line, bytes } => {
                count += 1;
                let body = Body {
                    source,
                    line,
                    live,
                    bytes,
                };
                visit(body, log)?;
            }
            Next::End => break,
            Next::TooLarge { line } => {
                log.reject(format_args!(
                    "{source}:{line}: the body is larger than the limit of {limit} bytes \
                     (--max-bytes); stopped reading {source}"
                ));
                return Ok(());
            }
            Next::Unreadable { line, error } => {
                log.reject(format_args!("{source}:{line}: cannot read: {error}"));
                return Ok(());
            }
            Next::Invalid {
                line,
                at: (at_line, at_column),
                message,
            } => {
                log.reject(format_args!(
                    "{source}:{line}: invalid JSON at line {at_line}, column {at_column}: \
                     {message}; stopped reading {source}, whose rest is larger than the \
                     limit of {limit} bytes (--max-bytes)"
                ));
                return Ok(());
            }
        }
        if bodies.done {
            break;
        }
    }
    if count == 0 {
        log.reject(format_args!("{source}: holds no JSON body"));
    }
    Ok(())
}

/// Skips a UTF-8 byte-order mark at the start of an input, which some
/// editors save: it begins the file, not its first body, and a stream of
/// several bodies would otherwise not read as JSON. (The library skips one
/// before a body too.)
fn skip_byte_order_mark(reader: &mut impl BufRead) -> io::Result<()> {
    const MARK: &[u8] = b"\xEF\xBB\xBF";
    if reader.fill_buf()?.starts_with(MARK) {
        reader.consume(MARK.len());
    }
    Ok(())
}

/// What the next read of a stream gave.
#[derive(Debug)]
enum Next {
    /// A complete JSON value.
    Body { line: usize, bytes: Vec<u8> },
    /// Bytes that are not one JSON value, up to the end of the input: the
    /// stream ends here.
    Last { line: usize, bytes: Vec<u8> },
    /// Nothing but whitespace was left.
    End,
    /// The body starting on `line` outgrew the limit.
    TooLarge { line: usize },
    /// The input could not be read.
    Unreadable { line: usize, error: io::Error },
    /// The body starting on `line` is not JSON, at this line and column of
    /// the body, and the rest of the input is larger than the limit.
    Invalid {
        line: usize,
        at: (usize, usize),
        message: String,
    },
}

/// A stream of bodies.
struct Bodies<R> {
    reader: Counting<R>,
    done: bool,
}

impl<R: BufRead> Bodies<R> {
    fn new(inner: R, limit: usize) -> Self {
        Bodies {
            reader: Counting {
                inner,
                limit,
                body: Vec::new(),
                started: false,
                over: false,
                line: 1,
                start_line: 1,
                at: (1, 0),
            },
            done: false,
        }
    }

    fn next_body(&mut self) -> Next {
        if self.done {
            return Next::End;
        }
        self.reader.restart();
        // A fresh deserializer per body: it reads only as far as the end of
        // one value (plus one byte after a bare number, which no vendor
        // sends as a body), so nothing of the next body is lost.
        let parsed = {
            let mut deserializer = serde_json::Deserializer::from_reader(&mut self.reader);
            IgnoredAny::deserialize(&mut deserializer)
        };
        let line = self.reader.start_line;
        let error = match parsed {
            Ok(IgnoredAny) => {
                return Next::Body {
                    line,
                    bytes: std::mem::take(&mut self.reader.body),
                }
            }
            Err(error) => error,
        };
        self.done = true;
        if self.reader.over {
            return Next::TooLarge { line };
        }
        if error.is_io() {
            return Next::Unreadable {
                line: self.reader.line,
                error: io::Error::from(error),
            };
        }
        if !self.reader.started {
            // Only whitespace before the end of the input.
            return Next::End;
        }
        // Not JSON: keep the rest (within the limit) so the library can say
        // what it is.
        let at = self.reader.at;
        match io::copy(&mut self.reader, &mut io::sink()) {
            Ok(_) => Next::Last {
                line,
                bytes: std::mem::take(&mut self.reader.body),
            },
            Err(_) if self.reader.over => {
                // serde_json's own position counts from the end of the
                // previous body; the body's is the one the library would give.
                let text = error.to_string();
                let message = match text.rsplit_once(" at line ") {
                    Some((message, _)) => message.to_owned(),
                    None => text,
                };
                Next::Invalid { line, at, message }
            }
            Err(error) => Next::Unreadable {
                line: self.reader.line,
                error,
            },
        }
    }
}

/// A reader that records the current body's bytes (from its first
/// non-whitespace byte) and refuses to read past the limit.
struct Counting<R> {
    inner: R,
    limit: usize,
    body: Vec<u8>,
    /// Whether the current body's first byte has been read.
    started: bool,
    /// Whether the current body outgrew the limit.
    over: bool,
    /// The line of the next byte to read.
    line: usize,
    start_line: usize,
    /// The line and column (1-based, in bytes) of the last byte read, counted
    /// from the body's first byte.
    at: (usize, usize),
}

impl<R> Counting<R> {
    fn restart(&mut self) {
        self.body = Vec::new();
        self.started = false;
        self.over = false;
    }

    fn too_large(&self) -> io::Error {
        io::Error::other(format!("a body is larger than {} bytes", self.limit))
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.over {
            return Err(self.too_large());
        }
        let chunk = self.inner.fill_buf()?;
        let mut taken = 0;
        for (&byte, slot) in chunk.iter().zip(buf.iter_mut()) {
            let blank = matches!(byte, b' ' | b'\t' | b'\n' | b'\r');
            if self.started || !blank {
                if !self.started {
                    self.started = true;
                    self.start_line = self.line;
                    self.at = (1, 0);
                }
                if self.body.len() >= self.limit {
                    self.over = true;
                    break;
                }
                if self.body.len() == self.body.capacity() {
                    // Grow as a Vec would, but never past the limit.
                    let room = self.limit - self.body.len();
                    self.body
                        .reserve_exact(self.body.capacity().max(4096).min(room));
                }
                self.body.push(byte);
            }
            if byte == b'\n' {
                self.line += 1;
            }
            if self.started {
                self.at = match byte {
                    b'\n' => (self.at.0 + 1, 0),
                    _ => (self.at.0, self.at.1 + 1),
                };
            }
            *slot = byte;
            taken += 1;
        }
        self.inner.consume(taken);
        if taken == 0 && self.over {
            return Err(self.too_large());
        }
        Ok(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(input: &[u8], limit: usize) -> Vec<String> {
        let mut bodies = Bodies::new(input, limit);
        let mut seen = Vec::new();
        loop {
            let next = bodies.next_body();
            let text = match next {
                Next::Body { line, bytes } => {
                    format!("{line}:{}", String::from_utf8_lossy(&bytes))
                }
                Next::Last { line, bytes } => {
                    format!("last {line}:{}", String::from_utf8_lossy(&bytes))
                }
                Next::End => break,
                Next::TooLarge { line } => format!("too large {line}"),
                Next::Unreadable { line, error } => format!("unreadable {line}: {error}"),
                Next::Invalid { line, at, message } => {
                    format!("invalid {line} at {at:?}: {message}")
                }
            };
            seen.push(text);
        }
        seen
    }

    #[test]
    fn ndjson_and_concatenated_bodies_with_their_lines() {
        let input = b"{\"a\": 1}\n{\"b\": [2]}\n\n  {\"c\":\n 3}{\"d\":4}[5] \"six\"\n";
        assert_eq!(
            bodies(input, 100),
            [
                "1:{\"a\": 1}",
                "2:{\"b\": [2]}",
                "4:{\"c\":\n 3}",
                "5:{\"d\":4}",
                "5:[5]",
                "5:\"six\""
            ]
        );
    }

    #[test]
    fn a_body_exactly_at_the_limit_passes_and_one_byte_more_stops() {
        assert_eq!(
            bodies(b"  {\"a\":1}  {\"a\":12}", 7),
            ["1:{\"a\":1}", "too large 1"]
        );
    }

    #[test]
    fn whitespace_between_bodies_does_not_count() {
        let input = [b"{}".as_slice(), &[b' '; 5000], b"{}"].concat();
        assert_eq!(bodies(&input, 2), ["1:{}", "1:{}"]);
    }

    #[test]
    fn broken_json_is_handed_over_with_the_rest_of_the_input() {
        assert_eq!(
            bodies(b"{\"a\":1}\n{\"b\":\n2,,}\n{\"c\":3}\n", 100),
            ["1:{\"a\":1}", "last 2:{\"b\":\n2,,}\n{\"c\":3}\n"]
        );
        // Unless the rest is over the limit.
        assert_eq!(
            bodies(&[0u8; 1000], 100),
            ["invalid 1 at (1, 1): expected value"]
        );
        let long = [b"{}\n\n {\"a\":\n  1,]".as_slice(), &[b' '; 200]].concat();
        assert_eq!(
            bodies(&long, 100),
            ["1:{}", "invalid 3 at (2, 5): key must be a string"]
        );
        assert_eq!(bodies(b"{\"a\"", 100), ["last 1:{\"a\""]);
    }

    #[test]
    fn empty_and_blank_inputs_hold_no_body() {
        assert!(bodies(b"", 10).is_empty());
        assert!(bodies(b" \n\t\r\n", 10).is_empty());
    }
}
