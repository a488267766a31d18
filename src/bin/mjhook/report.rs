//! The two streams: results on stdout, one line per problem on stderr.
//!
//! Every stdout write goes through [`Out`], so a failed write stops the
//! program at once (quietly when the reader went away). Every stderr line
//! goes through [`Log`], which escapes what a payload could use to forge log
//! lines and cuts what would flood the terminal.

use std::fmt::{self, Display, Write as _};
use std::io::{self, Write};

/// Why a command stopped before its end.
#[derive(Debug)]
pub enum Halt {
    /// The command line makes no sense (exit 2); the reason is on stderr.
    Usage,
    /// Writing to stdout failed; nothing more can be shown.
    Output(io::Error),
}

/// Stdout, buffered. A failed write becomes [`Halt::Output`].
pub struct Out<W: Write> {
    inner: io::BufWriter<W>,
    scratch: Vec<u8>,
}

impl<W: Write> Out<W> {
    pub fn new(inner: W) -> Self {
        Out {
            inner: io::BufWriter::new(inner),
            scratch: Vec::new(),
        }
    }

    /// One JSON value and a newline.
    pub fn json(&mut self, value: &impl serde::Serialize, pretty: bool) -> Result<(), Halt> {
        self.scratch.clear();
        let written = if pretty {
            serde_json::to_writer_pretty(&mut self.scratch, value)
        } else {
            serde_json::to_writer(&mut self.scratch, value)
        };
        // Writing into a Vec fails only if a value cannot be JSON at all.
        written.map_err(|error| Halt::Output(io::Error::other(error)))?;
        self.scratch.push(b'\n');
        self.inner.write_all(&self.scratch).map_err(Halt::Output)
    }

    /// One line of text.
    pub fn line(&mut self, text: impl Display) -> Result<(), Halt> {
        writeln!(self.inner, "{text}").map_err(Halt::Output)
    }

    /// Bytes as they are (roff, shell scripts).
    pub fn bytes(&mut self, bytes: &[u8]) -> Result<(), Halt> {
        self.inner.write_all(bytes).map_err(Halt::Output)
    }

    /// Hands what is buffered to the reader, so a live stream (stdin) sees
    /// each body's output before the next body arrives.
    pub fn flush(&mut self) -> Result<(), Halt> {
        self.inner.flush().map_err(Halt::Output)
    }
}

/// Stderr: `mjhook: ` and one cleaned line per message; remembers whether
/// an input was rejected (exit 1).
#[derive(Debug, Default)]
pub struct Log {
    rejected: bool,
}

impl Log {
    /// Reports a rejected input; the program goes on with the next one.
    pub fn reject(&mut self, message: impl Display) {
        self.rejected = true;
        say(message);
    }

    /// Reports a usage mistake found after parsing; the caller stops with
    /// [`Halt::Usage`].
    pub fn usage(&mut self, message: impl Display) -> Halt {
        say(message);
        // The argument parser's own errors end with the same hint.
        let _ = io::stderr()
            .lock()
            .write_all(b"\nFor more information, try '--help'.\n");
        Halt::Usage
    }

    /// Whether any input was rejected.
    pub fn rejected(&self) -> bool {
        self.rejected
    }
}

/// Writes one line to stderr. A stderr that cannot be written to leaves
/// nobody to tell, so its errors are dropped rather than panicking.
pub fn say(message: impl Display) {
    let line = format!("mjhook: {}\n", Clean(&message.to_string()));
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// At most this many characters of a message reach the terminal.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A message made safe for a one-line log: control characters, line and
/// paragraph separators and bidirectional overrides are written as escapes
/// (`\n`, `\u{1b}`), and anything past [`MAX_MESSAGE_CHARS`] is replaced by
/// a count of what was left out.
pub struct Clean<'a>(pub &'a str);

impl Display for Clean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut written = 0;
        let mut chars = self.0.chars();
        for c in chars.by_ref() {
            if written >= MAX_MESSAGE_CHARS {
                // The character in hand is not written either.
                let more = 1 + chars.count();
                return write!(f, "… ({more} more chars)");
            }
            written += write_escaped(f, c, false)?;
        }
        Ok(())
    }
}

/// A file's name on a line of output: escaped as [`Clean`] escapes a
/// message, backslashes too (so `a\nb` and a name with a line break in it
/// read differently), and never cut short, since it is data.
pub struct FileName<'a>(pub &'a str);

impl Display for FileName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            write_escaped(f, c, true)?;
        }
        Ok(())
    }
}

/// Writes `c`, or its escape when it is a control character, an invisible
/// layout character or (if `backslash`) a backslash; returns how many
/// characters were written.
fn write_escaped(
    f: &mut fmt::Formatter<'_>,
    c: char,
    backslash: bool,
) -> Result<usize, fmt::Error> {
    let mut written = 0;
    let mut write = |escaped: char| {
        written += 1;
        f.write_char(escaped)
    };
    if c.is_control() || (backslash && c == '\\') {
        c.escape_default().try_for_each(&mut write)?;
    } else if invisible_layout(c) {
        c.escape_unicode().try_for_each(&mut write)?;
    } else {
        write(c)?;
    }
    Ok(written)
}

/// Characters that are not controls (`char::is_control`) but still break a
/// line or reorder what a terminal shows.
fn invisible_layout(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_plain_text_kept() {
        let text = "quota \"not\" enough\nmjhook: forged\r\u{1b}[31m\u{202E}é\\";
        assert_eq!(
            Clean(text).to_string(),
            "quota \"not\" enough\\nmjhook: forged\\r\\u{1b}[31m\\u{202e}é\\"
        );
    }

    #[test]
    fn long_messages_are_cut_with_a_count() {
        let text = "k".repeat(MAX_MESSAGE_CHARS + 2345);
        let shown = Clean(&text).to_string();
        assert_eq!(
            shown,
            format!("{}… (2345 more chars)", "k".repeat(MAX_MESSAGE_CHARS))
        );
        let exact = "k".repeat(MAX_MESSAGE_CHARS);
        assert_eq!(Clean(&exact).to_string(), exact);
    }
}
