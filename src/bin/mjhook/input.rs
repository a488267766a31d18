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
    /// its own limit: one over it is refused and skipped, without being
    /// held, and the next is read; reading stops only when that body runs on
    /// past 8 times the limit.
    #[arg(long, value_name = "BYTES", default_value_t = mjhook::DecodeOptions::DEFAULT_MAX_BYTES, value_parser = byte_limit)]
    pub max_bytes: usize,
    /// Payload files, or directories to search for `*.json` and `*.ndjson`
    /// files (the extension in any case; sorted by name). `-` or no FILE reads standard input. Each may
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
    /// The column (1-based, in bytes) of the body's first byte on that line.
    pub column: usize,
    /// Whether the input is standard input or another file that is not a
    /// regular one (a named pipe), which may be a live stream whose reader
    /// wants each result as soon as it is known.
    pub live: bool,
    /// The body, from its first to its last byte.
    pub bytes: Vec<u8>,
}

impl Body<'_> {
    /// Reports why the body was refused as `FILE:LINE: error`, `LINE` being
    /// where the body starts.
    pub fn reject(&self, error: mjhook::DecodeError, log: &mut Log) {
        let error = in_input(error, (self.line, self.column));
        log.reject(format_args!("{}:{}: {error}", self.source, self.line));
    }
}

/// `error` of the body that starts at `start` (line and column) with its
/// line and column counted in the input, where an editor finds them, rather
/// than from the body's first byte.
fn in_input(mut error: mjhook::DecodeError, start: (usize, usize)) -> mjhook::DecodeError {
    // Line 0 is serde_json's "no position": it stays as it is.
    let shift = |(line, column): (usize, usize)| match line {
        0 => (line, column),
        1 => (start.0, start.1 - 1 + column),
        _ => (start.0 + line - 1, column),
    };
    match &mut error {
        mjhook::DecodeError::Syntax { line, column, .. } => {
            (*line, *column) = shift((*line, *column));
        }
        mjhook::DecodeError::Field {
            position: Some(position),
            ..
        } => *position = shift(*position),
        _ => {}
    }
    error
}

/// Calls `visit` on every body of every input, in order. Inputs that cannot
/// be read, bodies over the limit and bytes that are not JSON with no body
/// after them within the limit are reported on `log`; reading goes on with
/// the next input. Stops early only when `visit` does (a write to stdout
/// failed).
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
        // `BODY.JSON` from a case-insensitive file system counts too.
        let payload = path.extension().is_some_and(|extension| {
            extension.eq_ignore_ascii_case("json") || extension.eq_ignore_ascii_case("ndjson")
        });
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
        Ok(opened) => {
            // A named pipe or a terminal (`/dev/stdin`) may be a live stream,
            // as standard input is: its reader wants each result at once.
            let live = opened.metadata().is_ok_and(|meta| !meta.is_file());
            stream(&name, live, BufReader::new(opened), limit, log, visit)
        }
        Err(error) => {
            log.reject(format_args!("{name}: cannot read: {error}"));
            Ok(())
        }
    }
}

/// Reads the bodies of one input. Bytes that are not JSON are handed over as
/// one body, up to the next line that starts a body (`{` or `[` first on the
/// line, as every NDJSON line and every `jq` output starts): the library then
/// says what is wrong with them in its usual words, and reading goes on with
/// the bodies after them.
fn stream(
    source: &str,
    live: bool,
    mut reader: impl BufRead,
    limit: usize,
    log: &mut Log,
    visit: &mut impl FnMut(Body<'_>, &mut Log) -> Result<(), Halt>,
) -> Result<(), Halt> {
    let mut marked = match skip_byte_order_mark(&mut reader) {
        Ok(marked) => marked,
        Err(error) => {
            log.reject(format_args!("{source}:1: cannot read: {error}"));
            return Ok(());
        }
    };
    let mut bodies = Bodies::new(reader, limit);
    let mut count = 0usize;
    loop {
        match bodies.next_body() {
            Next::Body { at, bytes } => {
                count += 1;
                // The library skips one mark before a body, as this did
                // before the input's first: a second is refused here.
                if std::mem::take(&mut marked) && bytes.starts_with(BYTE_ORDER_MARK) {
                    log.reject(format_args!(
                        "{source}:{line}: two byte-order marks begin the input; one is skipped, \
                         not two",
                        line = at.0
                    ));
                    continue;
                }
                let body = Body {
                    source,
                    line: at.0,
                    column: at.1,
                    live,
                    bytes,
                };
                visit(body, log)?;
            }
            Next::End => break,
            Next::TooLarge {
                line,
                skipped: true,
            } => {
                count += 1;
                log.reject(format_args!(
                    "{source}:{line}: the body is larger than the limit of {limit} bytes \
                     (--max-bytes)"
                ));
            }
            Next::TooLarge {
                line,
                skipped: false,
            } => {
                log.reject(format_args!(
                    "{source}:{line}: the body is larger than the limit of {limit} bytes \
                     (--max-bytes); stopped reading {source}: it runs on past {skip} bytes",
                    skip = skip_limit(limit),
                ));
                return Ok(());
            }
            Next::Unreadable { line, error } => {
                log.reject(format_args!("{source}:{line}: cannot read: {error}"));
                return Ok(());
            }
            Next::Unsplittable { at, bytes } => {
                // What serde_json says of the kept bytes (not JSON, so an
                // error), in the library's words.
                let fault = mjhook::DecodeOptions::new().max_bytes(limit).detect(&bytes);
                let fault = fault.err().map(|error| in_input(error, at).to_string());
                log.reject(format_args!(
                    "{source}:{line}: {fault}; stopped reading {source}: no line within \
                     the limit of {limit} bytes (--max-bytes) starts another body",
                    line = at.0,
                    fault = fault.as_deref().unwrap_or("invalid JSON"),
                ));
                return Ok(());
            }
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
/// Returns whether there was one.
fn skip_byte_order_mark(reader: &mut impl BufRead) -> io::Result<bool> {
    let marked = reader.fill_buf()?.starts_with(BYTE_ORDER_MARK);
    if marked {
        reader.consume(BYTE_ORDER_MARK.len());
    }
    Ok(marked)
}

/// UTF-8's byte-order mark.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// What the next read of a stream gave.
#[derive(Debug)]
enum Next {
    /// A complete JSON value, or bytes that are not one (up to where the
    /// next body starts, at most the limit), starting at this line and
    /// column of the input.
    Body { at: (usize, usize), bytes: Vec<u8> },
    /// Bytes that are not JSON, as many as the limit, with no line that
    /// starts a body among them: the stream cannot be split further.
    Unsplittable { at: (usize, usize), bytes: Vec<u8> },
    /// Nothing but whitespace was left.
    End,
    /// The body starting on `line` outgrew the limit; `skipped`: whether
    /// the stream was read past it, to where the next body starts, within
    /// [`skip_limit`].
    TooLarge { line: usize, skipped: bool },
    /// The input could not be read.
    Unreadable { line: usize, error: io::Error },
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
                pending: None,
                current: Current {
                    limit,
                    bytes: Vec::new(),
                    started: false,
                    over: false,
                    discarded: 0,
                    last: None,
                    at: (1, 0),
                    start: (1, 1),
                },
            },
            done: false,
        }
    }

    fn next_body(&mut self) -> Next {
        if self.done {
            return Next::End;
        }
        self.reader.current.restart();
        // A fresh deserializer per body: it reads only as far as the end of
        // one value (plus one byte after a bare number, which no vendor
        // sends as a body), so nothing of the next body is lost.
        let parsed = {
            let mut deserializer = serde_json::Deserializer::from_reader(&mut self.reader);
            IgnoredAny::deserialize(&mut deserializer)
        };
        let at = self.reader.current.start;
        if self.reader.current.over {
            // Past the limit, the body is read to its end without being
            // kept; one that also breaks somewhere is read on to where the
            // next body starts, as other broken bytes are.
            let current = &self.reader.current;
            let skipped = match parsed {
                Ok(IgnoredAny) => Ok(Skipped::ToNextBody),
                // The reader gave up: the body ran on past the skip limit.
                Err(error) if error.is_io() && current.discarded >= skip_limit(current.limit) => {
                    Ok(Skipped::PastLimit)
                }
                Err(error) if error.is_io() => Err(io::Error::from(error)),
                Err(_) => self.reader.skip_to_next_body(),
            };
            let skipped = match skipped {
                Ok(Skipped::ToNextBody) => true,
                Ok(Skipped::ToEnd) => {
                    self.done = true;
                    true
                }
                Ok(Skipped::PastLimit) => {
                    self.done = true;
                    false
                }
                Err(error) => {
                    self.done = true;
                    return Next::Unreadable {
                        line: self.reader.current.at.0,
                        error,
                    };
                }
            };
            return Next::TooLarge {
                line: at.0,
                skipped,
            };
        }
        let current = &mut self.reader.current;
        let error = match parsed {
            Ok(IgnoredAny) => {
                return Next::Body {
                    at,
                    bytes: std::mem::take(&mut current.bytes),
                }
            }
            Err(error) => error,
        };
        if error.is_io() {
            self.done = true;
            return Next::Unreadable {
                line: current.at.0,
                error: io::Error::from(error),
            };
        }
        if !current.started {
            // Only whitespace before the end of the input.
            self.done = true;
            return Next::End;
        }
        let skipped = self.reader.skip_to_next_body();
        let bytes = std::mem::take(&mut self.reader.current.bytes);
        match skipped {
            Ok(Skipped::ToNextBody) => Next::Body { at, bytes },
            Ok(Skipped::ToEnd) => {
                self.done = true;
                Next::Body { at, bytes }
            }
            Ok(Skipped::PastLimit) => {
                self.done = true;
                Next::Unsplittable { at, bytes }
            }
            Err(error) => {
                self.done = true;
                Next::Unreadable {
                    line: self.reader.current.at.0,
                    error,
                }
            }
        }
    }
}

/// A reader that records the current body's bytes (from its first
/// non-whitespace byte) up to the limit, reads on past it without keeping
/// them, and refuses to read past [`skip_limit`].
struct Counting<R> {
    inner: R,
    /// A byte read and given back: the first of the next body.
    pending: Option<u8>,
    current: Current,
}

/// The body being read, and where the reading is.
struct Current {
    limit: usize,
    bytes: Vec<u8>,
    /// Whether the body's first byte has been read.
    started: bool,
    /// Whether the body outgrew the limit.
    over: bool,
    /// How many of its bytes past the limit were read and not kept.
    discarded: usize,
    /// The last byte read, kept or not.
    last: Option<u8>,
    /// The line and column (1-based, in bytes; column 0 at the start of a
    /// line) of the last byte read.
    at: (usize, usize),
    /// Where the body's first byte is.
    start: (usize, usize),
}

/// How far bytes that are not JSON reach.
enum Skipped {
    /// To a line that starts a body.
    ToNextBody,
    /// To the end of the input.
    ToEnd,
    /// Past the limit, with no line starting a body before it.
    PastLimit,
}

/// How far a body over `limit` is read, not kept, to find where the next
/// one starts: a delivery somewhat over the limit is skipped, while an
/// endless one stops the input before much is read.
fn skip_limit(limit: usize) -> usize {
    limit.saturating_mul(8)
}

/// A `{` or `[` first on its line starts a body: a JSON line, or a value as
/// `jq` prints it.
fn starts_a_body(byte: u8) -> bool {
    matches!(byte, b'{' | b'[')
}

impl Current {
    fn restart(&mut self) {
        self.bytes = Vec::new();
        self.started = false;
        self.over = false;
        self.discarded = 0;
    }

    fn too_large(&self) -> io::Error {
        let skip = skip_limit(self.limit);
        io::Error::other(format!("a body runs on past {skip} bytes"))
    }

    /// Takes `byte` as the input's next: into the body unless it is
    /// whitespace before the body's start, or the body is full. False when
    /// the body runs on past [`skip_limit`].
    fn take(&mut self, byte: u8) -> bool {
        let blank = matches!(byte, b' ' | b'\t' | b'\n' | b'\r');
        if self.started || !blank {
            if self.bytes.len() >= self.limit {
                self.over = true;
                if self.discarded >= skip_limit(self.limit) {
                    return false;
                }
                self.discarded += 1;
                self.advance(byte);
                return true;
            }
            if !self.started {
                self.started = true;
                self.start = (self.at.0, self.at.1 + 1);
            }
            if self.bytes.len() == self.bytes.capacity() {
                // Grow as a Vec would, but never past the limit.
                let room = self.limit - self.bytes.len();
                self.bytes
                    .reserve_exact(self.bytes.capacity().max(4096).min(room));
            }
            self.bytes.push(byte);
        }
        self.advance(byte);
        true
    }

    fn advance(&mut self, byte: u8) {
        self.last = Some(byte);
        self.at = match byte {
            b'\n' => (self.at.0 + 1, 0),
            _ => (self.at.0, self.at.1 + 1),
        };
    }
}

impl<R: BufRead> Counting<R> {
    /// After bytes that are not JSON: reads on to where the next body
    /// starts (see [`starts_a_body`]). serde_json stops at the byte it could
    /// not take, which is the next body's first when a line was cut short
    /// (`{"a":1,` then a new line): that byte is given back. False at the
    /// end of the input.
    fn skip_to_next_body(&mut self) -> io::Result<Skipped> {
        let current = &mut self.current;
        let last = current.last;
        let longer = current.over || current.bytes.len() > 1;
        if current.at.1 == 1 && longer && last.is_some_and(starts_a_body) {
            if !current.over {
                current.bytes.pop();
            }
            self.pending = last;
            current.at.1 = 0;
            return Ok(Skipped::ToNextBody);
        }
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                return Ok(Skipped::ToEnd);
            }
            let mut line_start = current.at.1 == 0;
            let next_body = chunk.iter().position(|&byte| {
                let found = line_start && starts_a_body(byte);
                line_start = byte == b'\n';
                found
            });
            // The broken bytes are held to the limit, like any body's; the
            // fault is within what serde_json read, so within what is kept.
            // Those of a body already over it are only counted.
            let keep = !current.over;
            let room = match keep {
                true => current.limit - current.bytes.len(),
                false => skip_limit(current.limit) - current.discarded,
            };
            let taken = next_body.unwrap_or(chunk.len()).min(room);
            for &byte in &chunk[..taken] {
                match keep {
                    true => current.bytes.push(byte),
                    false => current.discarded += 1,
                }
                current.advance(byte);
            }
            self.inner.consume(taken);
            match next_body {
                Some(at) if at == taken => return Ok(Skipped::ToNextBody),
                _ if taken == room => return Ok(Skipped::PastLimit),
                _ => {}
            }
        }
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let current = &mut self.current;
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(byte) = self.pending.take() {
            if !current.take(byte) {
                return Err(current.too_large());
            }
            buf[0] = byte;
            return Ok(1);
        }
        let chunk = self.inner.fill_buf()?;
        let mut taken = 0;
        let mut gave_up = false;
        for (&byte, slot) in chunk.iter().zip(buf.iter_mut()) {
            if !current.take(byte) {
                gave_up = true;
                break;
            }
            *slot = byte;
            taken += 1;
        }
        self.inner.consume(taken);
        if taken == 0 && gave_up {
            return Err(current.too_large());
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
                Next::Body {
                    at: (line, column),
                    bytes,
                } => {
                    format!("{line}.{column}:{}", String::from_utf8_lossy(&bytes))
                }
                Next::Unsplittable {
                    at: (line, column),
                    bytes,
                } => {
                    format!(
                        "unsplittable {line}.{column}:{}",
                        String::from_utf8_lossy(&bytes)
                    )
                }
                Next::End => break,
                Next::TooLarge { line, skipped } => match skipped {
                    true => format!("too large {line}, skipped"),
                    false => format!("too large {line}, stopped"),
                },
                Next::Unreadable { line, error } => format!("unreadable {line}: {error}"),
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
                "1.1:{\"a\": 1}",
                "2.1:{\"b\": [2]}",
                "4.3:{\"c\":\n 3}",
                "5.4:{\"d\":4}",
                "5.11:[5]",
                "5.15:\"six\""
            ]
        );
    }

    #[test]
    fn a_body_exactly_at_the_limit_passes_and_one_byte_more_is_skipped() {
        assert_eq!(
            bodies(b"  {\"a\":1}  {\"a\":12}\n{\"b\":2}", 7),
            ["1.3:{\"a\":1}", "too large 1, skipped", "2.1:{\"b\":2}"]
        );
    }

    #[test]
    fn a_body_over_the_limit_is_read_to_its_end_within_the_skip_limit() {
        // Up to 8 times the limit: read, not kept, and the next body read.
        let long = format!("{{\"a\": \"{}\"}}\n[1]", "x".repeat(70));
        assert_eq!(
            bodies(long.as_bytes(), 10),
            ["too large 1, skipped", "2.1:[1]"]
        );
        // One more byte and it is not: the input stops.
        let longer = format!("{{\"a\": \"{}\"}}\n[1]", "x".repeat(90));
        assert_eq!(bodies(longer.as_bytes(), 10), ["too large 1, stopped"]);
        // Broken past the limit: skipped to the next line that starts a
        // body, within the same reach.
        let broken = format!("{{\"a\": \"{}\",,\n  2}}\n{{\"c\":3}}", "x".repeat(20));
        assert_eq!(
            bodies(broken.as_bytes(), 10),
            ["too large 1, skipped", "3.1:{\"c\":3}"]
        );
        // Cut short by the next body's line.
        assert_eq!(
            bodies(b"{\"a\": 1111111111,\n{\"c\":3}", 10),
            ["too large 1, skipped", "2.1:{\"c\":3}"]
        );
        let endless = format!("{{\"a\": \"{}\",,", "x".repeat(200));
        assert_eq!(bodies(endless.as_bytes(), 10), ["too large 1, stopped"]);
        // At the end of the input.
        assert_eq!(bodies(b"[1, 2, 3, 4, 5]", 10), ["too large 1, skipped"]);
    }

    #[test]
    fn whitespace_between_bodies_does_not_count() {
        let input = [b"{}".as_slice(), &[b' '; 5000], b"{}"].concat();
        assert_eq!(bodies(&input, 2), ["1.1:{}", "1.5003:{}"]);
    }

    #[test]
    fn broken_json_is_handed_over_up_to_the_next_line_that_starts_a_body() {
        // A broken line of NDJSON, then a good one.
        assert_eq!(
            bodies(b"{\"a\":1}\n{\"b\" 2}\n{\"c\":3}\n", 100),
            ["1.1:{\"a\":1}", "2.1:{\"b\" 2}\n", "3.1:{\"c\":3}"]
        );
        // A pretty-printed body broken inside: its indented lines belong to
        // it, and the next body starts at the next `{` first on a line.
        assert_eq!(
            bodies(b"{\n  \"b\":\n  2,,\n  \"c\": {\"d\": 1}\n}\n[1]\n", 100),
            [
                "1.1:{\n  \"b\":\n  2,,\n  \"c\": {\"d\": 1}\n}\n",
                "6.1:[1]"
            ]
        );
        // A line cut short: the next line's `{` that serde_json stopped at
        // starts the next body.
        assert_eq!(
            bodies(b"{\"a\":1,\n{\"b\":2}\n{\"c\":\"x\n[3]", 100),
            [
                "1.1:{\"a\":1,\n",
                "2.1:{\"b\":2}",
                "3.1:{\"c\":\"x\n",
                "4.1:[3]"
            ]
        );
        // Broken bytes past the limit with no line starting a body: the
        // stream cannot be split further; the limit's worth is kept, which
        // holds the fault.
        assert_eq!(
            bodies(&[0u8; 1000], 100),
            [format!("unsplittable 1.1:{}", "\0".repeat(100))]
        );
        let long = [b"{}\n\n {\"a\":\n  1,]".as_slice(), &[b' '; 200], b"\n{}"].concat();
        let kept = String::from_utf8_lossy(&long[5..105]).into_owned();
        assert_eq!(
            bodies(&long, 100),
            ["1.1:{}".to_owned(), format!("unsplittable 3.2:{kept}")]
        );
        // Within the limit, the next body is found.
        let kept = String::from_utf8_lossy(&long[5..long.len() - 2]).into_owned();
        assert_eq!(
            bodies(&long, 300),
            [
                "1.1:{}".to_owned(),
                format!("3.2:{kept}"),
                "5.1:{}".to_owned()
            ]
        );
        assert_eq!(bodies(b"{\"a\"", 100), ["1.1:{\"a\""]);
        // Broken bytes on one line with later bodies: nothing starts a line.
        assert_eq!(bodies(b"{,}{\"a\":1}", 100), ["1.1:{,}{\"a\":1}"]);
    }

    #[test]
    fn empty_and_blank_inputs_hold_no_body() {
        assert!(bodies(b"", 10).is_empty());
        assert!(bodies(b" \n\t\r\n", 10).is_empty());
    }
}
