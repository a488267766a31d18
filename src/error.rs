//! Errors: [`DecodeError`] for bytes that do not make a [`JobEvent`](crate::JobEvent).
//!
//! Every error says which provider was decoding (when one was), where in the
//! body the problem is (a JSON path such as `data.output.progress`, and the
//! line and column where serde_json knows them) and what was found. None of
//! them carries a secret or more of the input than the offending value.

use std::fmt::{self, Write as _};

use crate::providers::Provider;

/// Why some bytes did not decode into job events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input is larger than the configured limit; it was not parsed.
    #[error("{}the input is {size} bytes, over the limit of {limit} bytes", Prefix(*provider))]
    TooLarge {
        /// The provider, when one was named.
        provider: Option<Provider>,
        /// The input's size in bytes.
        size: usize,
        /// The limit in force.
        limit: usize,
    },

    /// The input is not JSON (or not UTF-8, or has trailing characters, or
    /// nests deeper than 128 levels).
    #[error("{}invalid JSON at line {line}, column {column}: {message}", Prefix(*provider))]
    Syntax {
        /// The provider, when one was named.
        provider: Option<Provider>,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem (0 before the first character of a
        /// line, as in an empty input).
        column: usize,
        /// What serde_json found.
        message: String,
    },

    /// The JSON is well formed but a field does not fit the provider's format.
    #[error("{provider}: {}{}: {message}", PathText(path), Position(*position))]
    Field {
        /// The provider whose format was being decoded.
        provider: Provider,
        /// JSON path of the field (`.` for the whole body), e.g. `tasks[0].percentage`.
        path: String,
        /// Line and column of the value, when serde_json reported them.
        position: Option<(usize, usize)>,
        /// What was expected and what was found.
        message: String,
    },

    /// The body carries keys that another known format sends and the named
    /// provider does not, or lacks the evidence that identifies the named
    /// provider's format: it is not that provider's body, and decoding it as
    /// one would drop what it says.
    #[error("{provider}: this body is not {provider}: {}", Why(foreign, lacks))]
    WrongProvider {
        /// The provider that was asked to decode.
        provider: Provider,
        /// JSON path of the first foreign key (`.` when there is none).
        path: String,
        /// Foreign keys (JSON paths) with the formats that send them, at most
        /// [`DecodeError::LISTED`].
        foreign: Vec<(String, Vec<Provider>)>,
        /// Why the body shows none of the provider's evidence, when it has
        /// no foreign key, in words: "it has no `task_id`", or what the
        /// nearest piece of evidence asks for beside the keys it has ("it
        /// has `job_id` and `status`, but a `status` other than …").
        lacks: Option<String>,
    },

    /// The body is valid JSON but not an object (every vendor sends objects).
    #[error("{}the body is {found}, not a JSON object", Prefix(*provider))]
    NotAnObject {
        /// The provider, when one was named.
        provider: Option<Provider>,
        /// What the body is: "an array", "a string", "null", …
        found: String,
    },

    /// Auto-detection found no format with evidence for it: an unknown
    /// format.
    #[error(
        "unknown format: no known format fits this body (keys seen: {}); {}",
        Keys(seen),
        Reasons(tried)
    )]
    Undetected {
        /// The keys seen at the top level and, after `data.`/`payload.`/`tasks.`,
        /// one level in (at most [`DecodeError::LISTED`], then a count).
        seen: Vec<String>,
        /// Each format, and why it does not fit: first the formats that know
        /// every key seen and lack only evidence, then the others, with the
        /// keys they do not know.
        tried: Vec<(Provider, String)>,
    },

    /// Auto-detection found several formats with evidence and no foreign key.
    #[error(
        "the body fits {} equally well (keys seen: {}); name the provider to decode it",
        Providers(candidates),
        Keys(seen)
    )]
    Ambiguous {
        /// The keys seen.
        seen: Vec<String>,
        /// The providers that fit.
        candidates: Vec<Provider>,
    },

    /// The body is the vendor's own error reply, not a job (for example
    /// midjourney-api.com's `{"status": 1001, "message": "quota not enough"}`).
    #[error("{provider}: the vendor reported an error instead of a job (code {}){}", PayloadText(code), Message(message.as_deref()))]
    Vendor {
        /// The provider.
        provider: Provider,
        /// The vendor's result code, as a string.
        code: String,
        /// The vendor's message, if any.
        message: Option<String>,
    },

    /// A batch body (`/fetch-many`, job-status) holds more than one job, but
    /// one event was asked for.
    #[error("{provider}: the body holds {count} jobs; use decode_all to get one event per job")]
    SeveralJobs {
        /// The provider.
        provider: Provider,
        /// How many jobs the body holds.
        count: usize,
    },

    /// A batch body holds no job at all.
    #[error("{provider}: {} holds no job", PathText(path))]
    NoJob {
        /// The provider.
        provider: Provider,
        /// JSON path of the empty list.
        path: String,
    },
}

impl DecodeError {
    /// How many keys an error lists before it says how many more there are.
    pub const LISTED: usize = 24;

    /// The provider that was decoding, if known.
    pub fn provider(&self) -> Option<Provider> {
        match self {
            DecodeError::TooLarge { provider, .. }
            | DecodeError::Syntax { provider, .. }
            | DecodeError::NotAnObject { provider, .. } => *provider,
            DecodeError::Field { provider, .. }
            | DecodeError::WrongProvider { provider, .. }
            | DecodeError::Vendor { provider, .. }
            | DecodeError::SeveralJobs { provider, .. }
            | DecodeError::NoJob { provider, .. } => Some(*provider),
            DecodeError::Undetected { .. } | DecodeError::Ambiguous { .. } => None,
        }
    }

    /// The JSON path of the offending field, if the error is about one.
    pub fn path(&self) -> Option<&str> {
        match self {
            DecodeError::Field { path, .. }
            | DecodeError::WrongProvider { path, .. }
            | DecodeError::NoJob { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The error of a field found wrong after the parse (an empty id),
    /// with the line and column of its value in `text`, which serde_json
    /// gives only for what the parse itself refuses.
    pub(crate) fn located_in(mut self, text: &str) -> Self {
        if let DecodeError::Field {
            path,
            position: position @ None,
            ..
        } = &mut self
        {
            *position = crate::locate::position(text, path);
        }
        self
    }

    /// 1-based line and column of the problem, where serde_json reported them.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            DecodeError::Syntax { line, column, .. } => Some((*line, *column)),
            DecodeError::Field { position, .. } => *position,
            _ => None,
        }
    }

    /// A field error found after parsing (no line or column).
    pub(crate) fn field(
        provider: Provider,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        DecodeError::Field {
            provider,
            path: path.into(),
            position: None,
            message: message.into(),
        }
    }

    /// A body that shows the provider's evidence but, read further, is
    /// another API's (`lacks` says why, in words), found after parsing.
    pub(crate) fn another_api(provider: Provider, path: String, lacks: String) -> Self {
        DecodeError::WrongProvider {
            provider,
            path,
            foreign: Vec::new(),
            lacks: Some(lacks),
        }
    }

    /// Converts a serde_json error, with the path serde_path_to_error tracked.
    pub(crate) fn from_json(
        provider: Option<Provider>,
        path: String,
        error: serde_json::Error,
    ) -> Self {
        let (line, column) = (error.line(), error.column());
        let message = message_without_position(&error);
        match (error.classify(), provider) {
            (serde_json::error::Category::Data, Some(provider)) => DecodeError::Field {
                provider,
                path,
                position: (line > 0).then_some((line, column)),
                message,
            },
            _ => DecodeError::Syntax {
                provider,
                line,
                column,
                message,
            },
        }
    }
}

/// serde_json appends " at line L column C" to its messages; the position is
/// reported separately here.
fn message_without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => text,
    }
}

struct Prefix(Option<Provider>);
impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(provider) => write!(f, "{provider}: "),
            None => Ok(()),
        }
    }
}

struct PathText<'a>(&'a str);
impl fmt::Display for PathText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            "" | "." => f.write_str("the body"),
            path => write!(f, "`{path}`"),
        }
    }
}

struct Position(Option<(usize, usize)>);
impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some((line, column)) => write!(f, " (line {line}, column {column})"),
            None => Ok(()),
        }
    }
}

/// Key names for a message, or "none".
pub(crate) struct Keys<'a>(pub(crate) &'a [String]);
impl fmt::Display for Keys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (n, key) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

/// "not goapi, ttapi: it carries `id`; not kie: …": formats with the same
/// reason share it, so that eleven formats' reasons stay readable.
struct Reasons<'a>(&'a [(Provider, String)]);
impl fmt::Display for Reasons<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, (first, reason)) in self.0.iter().enumerate() {
            if self.0[..n].iter().any(|(_, earlier)| earlier == reason) {
                continue;
            }
            if n > 0 {
                f.write_str("; ")?;
            }
            write!(f, "not {first}")?;
            for (provider, _) in self.0[n + 1..].iter().filter(|(_, other)| other == reason) {
                write!(f, ", {provider}")?;
            }
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

struct Why<'a>(&'a [(String, Vec<Provider>)], &'a Option<String>);
impl fmt::Display for Why<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(lacks) = self.1 {
            return f.write_str(lacks);
        }
        f.write_str("it carries ")?;
        write_foreign(f, self.0)
    }
}

/// "`images` (midjourney_api), `x` (goapi, legnext)".
pub(crate) fn write_foreign(
    f: &mut fmt::Formatter<'_>,
    foreign: &[(String, Vec<Provider>)],
) -> fmt::Result {
    for (n, (key, owners)) in foreign.iter().enumerate() {
        if n > 0 {
            f.write_str(", ")?;
        }
        write!(f, "`{key}` (")?;
        for (m, owner) in owners.iter().enumerate() {
            if m > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{owner}")?;
        }
        f.write_str(")")?;
    }
    Ok(())
}

struct Providers<'a>(&'a [Provider]);
impl fmt::Display for Providers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, provider) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(" and ")?;
            }
            write!(f, "{provider}")?;
        }
        Ok(())
    }
}

struct Message<'a>(Option<&'a str>);
impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(message) => write!(f, ": {}", PayloadText(message)),
            None => Ok(()),
        }
    }
}

/// Text from a payload, as a message shows it: what would not print as
/// itself (controls, line separators, direction overrides) and backslashes
/// escaped as Rust's `Debug` escapes them, quotes left alone (a vendor's
/// text must not forge a line of the log it lands in), and no more than
/// [`PayloadText::SHOWN`] characters.
pub(crate) struct PayloadText<'a>(pub(crate) &'a str);

impl PayloadText<'_> {
    const SHOWN: usize = 500;
}

impl fmt::Display for PayloadText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(Self::SHOWN) {
            if matches!(c, '"' | '\'') {
                f.write_char(c)?;
            } else {
                write!(f, "{}", c.escape_debug())?;
            }
        }
        match chars.count() {
            0 => Ok(()),
            more => write!(f, "… ({more} more chars)"),
        }
    }
}

/// Why a webhook request was not accepted as authentic
/// (see [`verify`](crate::verify)).
///
/// No variant holds a secret, a header value, a URL or an expected signature:
/// the messages say what was wrong, never with what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No non-empty secret is configured, so nothing could be checked. An
    /// empty secret counts as none: it would authenticate anyone.
    #[error("no secret is configured for {provider}; every request is refused")]
    NoSecret {
        /// The provider being verified.
        provider: Provider,
    },

    /// The header that carries the credential is absent.
    #[error("the `{name}` header is missing")]
    MissingHeader {
        /// The header's name.
        name: &'static str,
    },

    /// A header the method reads is not in the form it signs: KIE.ai's
    /// `X-Webhook-Timestamp` (Unix seconds) or `X-Webhook-Signature`
    /// (base64).
    #[error("the `{name}` header is malformed: {problem}")]
    MalformedHeader {
        /// The header's name.
        name: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },

    /// KIE.ai's HMAC signs the body's task id, and the body has none that
    /// can be read.
    #[error("the signature covers the body's `data.taskId`, which cannot be read: {reason}")]
    MissingTaskId {
        /// What the parse found.
        reason: String,
    },

    /// The `X-Midjourney-Signature` value is not one of the accepted forms.
    #[error("the `X-Midjourney-Signature` header is malformed: {problem}")]
    MalformedSignature {
        /// What is wrong with it.
        problem: SignatureProblem,
    },

    /// The credential is well formed but matches none of the configured secrets.
    #[error("{method} does not match any configured {}", method.credential())]
    Mismatch {
        /// Which credential was compared.
        method: crate::verify::Method,
    },

    /// The provider is authenticated by a token in the hook URL, but no
    /// request URL was given to the verifier.
    #[error("no request URL was given, and {provider} requests are checked here by a token in the hook URL's query")]
    MissingUrl {
        /// The provider being verified.
        provider: Provider,
    },

    /// The request URL has no query parameter of the configured name.
    #[error("the request URL has no `{param}` query parameter")]
    MissingToken {
        /// The query parameter that should hold the token.
        param: String,
    },

    /// A replay window is set, but the body has no `timestamp`, or one that
    /// says "not set" (`""`, `0`, Go's zero time).
    #[error("the body has no `timestamp` (or an unset one: \"\", 0, Go's zero time), so its age cannot be checked")]
    MissingTimestamp,

    /// A replay window is set, but the body's `timestamp` is not an RFC 3339
    /// date-time (or the body is not a JSON object).
    #[error("the body's `timestamp` cannot be read: {reason}")]
    BadTimestamp {
        /// What the parser found.
        reason: String,
    },

    /// The signed time (the AsyncAPI body's `timestamp`, KIE.ai's
    /// `X-Webhook-Timestamp`) is older than the tolerance allows.
    #[error(
        "the signed timestamp is {} old, beyond the tolerance of {} (a replayed request?)",
        Span(*age),
        Span(*tolerance)
    )]
    Stale {
        /// How old the timestamp is.
        age: std::time::Duration,
        /// The tolerance in force.
        tolerance: std::time::Duration,
    },

    /// The signed time is further in the future than the tolerance allows.
    #[error(
        "the signed timestamp is {} in the future, beyond the tolerance of {}",
        Span(*ahead),
        Span(*tolerance)
    )]
    Future {
        /// How far ahead of the clock the timestamp is.
        ahead: std::time::Duration,
        /// The tolerance in force.
        tolerance: std::time::Duration,
    },

    /// A replay window was asked for a method that signs no time, so it
    /// could not protect anything.
    #[error("{provider} requests checked by {method} carry no signed time, so a replay window cannot apply; it applies to asyncapi's signature and kie's HMAC")]
    ReplayWindowUnsupported {
        /// The provider being verified.
        provider: Provider,
        /// The method in force.
        method: crate::verify::Method,
    },

    /// The verifier was set to a method the provider's requests cannot be
    /// checked by ([`Method::supported`](crate::verify::Method::supported)).
    #[error("{provider} requests cannot be checked by {method}")]
    UnsupportedMethod {
        /// The provider being verified.
        provider: Provider,
        /// The method asked for.
        method: crate::verify::Method,
    },
}

impl VerifyError {
    /// Whether the verifier, not the request, is at fault: no secret, a
    /// method the provider does not support, a replay window for a method
    /// without signed time, or no URL
    /// passed for a URL-token provider. A server answers these with a 500
    /// rather than a 401, and fixes its configuration.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            VerifyError::NoSecret { .. }
                | VerifyError::MissingUrl { .. }
                | VerifyError::ReplayWindowUnsupported { .. }
                | VerifyError::UnsupportedMethod { .. }
        )
    }
}

/// What is wrong with an `X-Midjourney-Signature` value. The value itself is
/// never repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureProblem {
    /// Nothing (or only white space, or only `sha256=`).
    Empty,
    /// A prefix other than `sha256=`, such as `sha1=`, `v0=` or `v1,`: another
    /// algorithm or another signed string, which this check does not do.
    Prefix,
    /// A length that is neither a hex nor a base64 HMAC-SHA256.
    Length {
        /// The number of bytes found (after the optional `sha256=`).
        found: usize,
    },
    /// 64 characters that are not all hex digits.
    NotHex,
    /// 44 characters that are not padded standard base64 of 32 bytes.
    NotBase64,
}

impl fmt::Display for SignatureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureProblem::Empty => f.write_str("it is empty"),
            SignatureProblem::Prefix => f.write_str(
                "it has a prefix other than `sha256=` (only HMAC-SHA256 of the raw body is checked)",
            ),
            SignatureProblem::Length { found } => write!(
                f,
                "it is {found} characters long; expected 64 hex digits or 44 characters of padded base64, optionally after `sha256=`"
            ),
            SignatureProblem::NotHex => f.write_str("it is 64 characters long but not hex"),
            SignatureProblem::NotBase64 => f.write_str(
                "it is 44 characters long but not padded standard base64 of a 32-byte digest",
            ),
        }
    }
}

/// A duration for people: its two largest units, cut (not rounded) below
/// them: `632 d 1 h`, `15 h 10 min`, `5 min 0.5 s`, `45 s`, `0.25 s`. Under
/// a minute the seconds keep up to three decimals, so an age just past a
/// tolerance of seconds still reads as more than it.
struct Span(std::time::Duration);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        const DAY: u64 = 24 * HOUR;
        let seconds = self.0.as_secs();
        let millis = self.0.subsec_millis();
        let with_unit =
            |f: &mut fmt::Formatter<'_>, big: u64, big_unit: &str, small: u64, small_unit: &str| {
                write!(f, "{big} {big_unit}")?;
                if small > 0 {
                    write!(f, " {small} {small_unit}")?;
                }
                Ok(())
            };
        if seconds >= DAY {
            with_unit(f, seconds / DAY, "d", seconds % DAY / HOUR, "h")
        } else if seconds >= HOUR {
            with_unit(f, seconds / HOUR, "h", seconds % HOUR / MINUTE, "min")
        } else if seconds >= MINUTE {
            write!(f, "{} min", seconds / MINUTE)?;
            match (seconds % MINUTE, millis) {
                (0, 0) => Ok(()),
                (whole, 0) => write!(f, " {whole} s"),
                (whole, millis) => write!(f, " {}", Seconds(whole, millis)),
            }
        } else if seconds == 0 && millis == 0 && self.0.subsec_nanos() > 0 {
            f.write_str("less than 1 ms")
        } else {
            Seconds(seconds, millis).fmt(f)
        }
    }
}

/// Whole seconds and milliseconds as `12 s` or `12.25 s`.
struct Seconds(u64, u32);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Seconds(whole, millis) = *self;
        if millis == 0 {
            return write!(f, "{whole} s");
        }
        let fraction = format!("{millis:03}");
        write!(f, "{whole}.{} s", fraction.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_vendor_message_cannot_forge_a_log_line_or_flood_it() {
        let body = br#"{"status": 1001, "message": "quota\nmjhook: forged \u001b[31mred"}"#;
        let error = crate::decode(Provider::MidjourneyApi, body).unwrap_err();
        let shown = error.to_string();
        assert!(
            !shown.contains('\n') && !shown.contains('\u{1b}'),
            "{shown}"
        );
        assert!(
            shown.ends_with(r"quota\nmjhook: forged \u{1b}[31mred"),
            "{shown}"
        );
        let body = r#"{"status": 1001, "message": "a \u2028 b \u202e c \\n \"d\""}"#;
        let error = crate::decode(Provider::MidjourneyApi, body.as_bytes()).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with(r#"a \u{2028} b \u{202e} c \\n "d""#),
            "{error}"
        );

        let long = format!(r#"{{"status": 1001, "message": "{}"}}"#, "é".repeat(10_000));
        let error = crate::decode(Provider::MidjourneyApi, long.as_bytes()).unwrap_err();
        assert!(
            error.to_string().ends_with("é… (9500 more chars)"),
            "{error}"
        );
    }

    #[test]
    fn spans_read_like_people_write_them() {
        let span = |duration: Duration| Span(duration).to_string();
        assert_eq!(span(Duration::new(54_611_867, 928_932_954)), "632 d 1 h");
        assert_eq!(
            span(Duration::from_secs(15 * 3600 + 10 * 60 + 7)),
            "15 h 10 min"
        );
        assert_eq!(span(Duration::from_secs(86_400)), "1 d");
        assert_eq!(span(Duration::from_secs(7_200)), "2 h");
        assert_eq!(span(Duration::from_secs(300)), "5 min");
        assert_eq!(span(Duration::from_millis(300_500)), "5 min 0.5 s");
        assert_eq!(span(Duration::from_secs(301)), "5 min 1 s");
        assert_eq!(span(Duration::from_secs(45)), "45 s");
        assert_eq!(span(Duration::from_millis(250)), "0.25 s");
        assert_eq!(span(Duration::from_millis(1_001)), "1.001 s");
        assert_eq!(span(Duration::ZERO), "0 s");
        assert_eq!(span(Duration::from_nanos(1)), "less than 1 ms");
        assert_eq!(span(Duration::MAX), "213503982334601 d 7 h");
    }

    #[test]
    fn stale_and_future_say_their_durations_for_people() {
        let stale = VerifyError::Stale {
            age: Duration::new(54_611_867, 928_932_954),
            tolerance: Duration::from_secs(300),
        };
        assert_eq!(
            stale.to_string(),
            "the signed timestamp is 632 d 1 h old, beyond the tolerance of 5 min (a replayed request?)"
        );
        let future = VerifyError::Future {
            ahead: Duration::from_secs(15 * 3600 + 10 * 60),
            tolerance: Duration::from_secs(90),
        };
        assert_eq!(
            future.to_string(),
            "the signed timestamp is 15 h 10 min in the future, beyond the tolerance of 1 min 30 s"
        );
    }
}
