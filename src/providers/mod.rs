//! The vendor wire formats and the entry points that decode them.
//!
//! Every provider module has the same shape: `Wire` types mirroring the
//! vendor's JSON, one `normalize` function mapping them to [`JobEvent`]s, and
//! `decode` / `decode_all` over raw bytes.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_with::de::DeserializeAsWrap;

use crate::error::DecodeError;
use crate::event::{is_word, Image, ImageRole, JobEvent, JobId, JobStatus, Operation, Progress};
use crate::quirks::{is_blank, trim_in_place, ObjectOnly, OneOrMany, StringOrInt, Timestamp};

pub mod acedata;
pub mod apiframe;
pub mod asyncapi;
pub mod format;
pub mod goapi;
pub mod imagineapi;
pub mod imaginepro;
pub mod kie;
pub mod legnext;
pub mod midjourney_api;
pub mod midjourney_proxy;
pub mod ttapi;

/// A vendor wire format.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// The AsyncAPI 2.6 "Midjourney Image Generation Webhooks" spec.
    Asyncapi,
    /// APIFRAME v1 and JourneyAPI (`task_id`, `original_image_url`, `image_urls`).
    Apiframe,
    /// GoAPI / PiAPI, legacy v2 and unified API.
    Goapi,
    /// ImagineAPI (`images.items.create` / `images.items.update`).
    Imagineapi,
    /// midjourney-api.com (`taskId`, `hookUrl`, job-status).
    MidjourneyApi,
    /// midjourney-proxy and its relays (`id`, `action`, `imageUrl`, `"65%"`).
    MidjourneyProxy,
    /// TTAPI (`{status, message, jobId, data}`, `cdnImage`).
    Ttapi,
    /// Legnext (`job_id`, `task_type`, `output`, `meta`; callback `{timestamp, data}`).
    Legnext,
    /// KIE.ai and midapi.ai (`{code, msg, data: {taskId, …}}`).
    Kie,
    /// AceDataCloud (`success`, `task_id`, `image_id`, `raw_image_url`; task records).
    Acedata,
    /// ImaginePro (`messageId`, `uri`, `originalUrl`; QUEUED/PROCESSING/DONE/FAIL).
    Imaginepro,
}

impl Provider {
    /// Every provider, in a fixed order.
    pub const ALL: [Provider; 11] = [
        Provider::Asyncapi,
        Provider::Apiframe,
        Provider::Goapi,
        Provider::Imagineapi,
        Provider::MidjourneyApi,
        Provider::MidjourneyProxy,
        Provider::Ttapi,
        Provider::Legnext,
        Provider::Kie,
        Provider::Acedata,
        Provider::Imaginepro,
    ];

    /// The provider's name, as in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Asyncapi => "asyncapi",
            Provider::Apiframe => "apiframe",
            Provider::Goapi => "goapi",
            Provider::Imagineapi => "imagineapi",
            Provider::MidjourneyApi => "midjourney_api",
            Provider::MidjourneyProxy => "midjourney_proxy",
            Provider::Ttapi => "ttapi",
            Provider::Legnext => "legnext",
            Provider::Kie => "kie",
            Provider::Acedata => "acedata",
            Provider::Imaginepro => "imaginepro",
        }
    }

    /// Its position in [`Provider::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// How this provider's bodies look: the keys it knows, the evidence
    /// that identifies it, its envelopes.
    pub fn format(self) -> &'static format::Format {
        match self {
            Provider::Asyncapi => &asyncapi::FORMAT,
            Provider::Apiframe => &apiframe::FORMAT,
            Provider::Goapi => &goapi::FORMAT,
            Provider::Imagineapi => &imagineapi::FORMAT,
            Provider::MidjourneyApi => &midjourney_api::FORMAT,
            Provider::MidjourneyProxy => &midjourney_proxy::FORMAT,
            Provider::Ttapi => &ttapi::FORMAT,
            Provider::Legnext => &legnext::FORMAT,
            Provider::Kie => &kie::FORMAT,
            Provider::Acedata => &acedata::FORMAT,
            Provider::Imaginepro => &imaginepro::FORMAT,
        }
    }

    /// Decodes one job's event from `bytes` in this provider's format, with
    /// the default [`DecodeOptions`].
    pub fn decode(self, bytes: &[u8]) -> Result<JobEvent, DecodeError> {
        DecodeOptions::default().decode(self, bytes)
    }

    /// Every job's event in `text`, with the format check `check` asks for
    /// (the size check is the caller's).
    fn events(self, text: &str, check: Check) -> Result<Events, DecodeError> {
        self.events_unlocated(text, check)
            .map_err(|error| error.located_in(text))
    }

    fn events_unlocated(self, text: &str, check: Check) -> Result<Events, DecodeError> {
        match self {
            Provider::Asyncapi => asyncapi::events(text, check),
            Provider::Apiframe => apiframe::events(text, check),
            Provider::Goapi => goapi::events(text, check),
            Provider::Imagineapi => imagineapi::events(text, check),
            Provider::MidjourneyApi => midjourney_api::events(text, check),
            Provider::MidjourneyProxy => midjourney_proxy::events(text, check),
            Provider::Ttapi => ttapi::events(text, check),
            Provider::Legnext => legnext::events(text, check),
            Provider::Kie => kie::events(text, check),
            Provider::Acedata => acedata::events(text, check),
            Provider::Imaginepro => imaginepro::events(text, check),
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown provider name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?}; expected one of {names}", names = provider_names())]
pub struct UnknownProvider(String);

fn provider_names() -> String {
    let names: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
    names.join(", ")
}

impl FromStr for Provider {
    type Err = UnknownProvider;

    /// Reads a provider name; `-` and `_` are alike (`midjourney-api`).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let folded = name.trim().to_ascii_lowercase().replace('-', "_");
        Provider::ALL
            .into_iter()
            .find(|provider| provider.as_str() == folded)
            .ok_or_else(|| UnknownProvider(name.to_owned()))
    }
}

/// Limits and entry points for decoding.
///
/// ```
/// let options = mjhook::DecodeOptions::new().max_bytes(64 * 1024);
/// let body = br#"{"task_id": "t-1", "status": "processing", "percentage": "40"}"#;
/// let event = options.decode(mjhook::Provider::Apiframe, body)?;
/// assert_eq!(event.progress.map(|p| p.get()), Some(40));
/// # Ok::<(), mjhook::DecodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    max_bytes: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_bytes: DecodeOptions::DEFAULT_MAX_BYTES,
        }
    }
}

impl DecodeOptions {
    /// 1 MiB: far above any vendor's payload, far below what hurts a server.
    pub const DEFAULT_MAX_BYTES: usize = 1024 * 1024;

    /// The defaults.
    pub fn new() -> Self {
        DecodeOptions::default()
    }

    /// Refuse inputs larger than `max_bytes` before parsing them.
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The size limit in force.
    pub fn limit(&self) -> usize {
        self.max_bytes
    }

    /// Decodes one job's event in `provider`'s format.
    ///
    /// A batch body holding exactly one job gives that job; one holding
    /// several is [`DecodeError::SeveralJobs`].
    pub fn decode(&self, provider: Provider, bytes: &[u8]) -> Result<JobEvent, DecodeError> {
        let text = self.checked_text(Some(provider), bytes)?;
        single(provider, provider.events(text, Check::Named)?)
    }

    /// Detects the provider, then decodes one job's event.
    pub fn decode_auto(&self, bytes: &[u8]) -> Result<JobEvent, DecodeError> {
        let text = self.checked_text(None, bytes)?;
        let (provider, events) = auto_events(text)?;
        single(provider, events)
    }

    /// Decodes every job a body holds (one for most bodies, several for
    /// `/fetch-many` and job-status lists), detecting the provider when it is
    /// `None`.
    ///
    /// A list that holds no job (`{"tasks": []}`, a poll of ids the vendor
    /// does not know) is [`DecodeError::NoJob`], never an empty `Vec`: the
    /// body reports nothing, and a caller that treats it as an empty success
    /// can match that variant. Without a provider, such a body may also be
    /// undecidable ([`DecodeError::Ambiguous`]): an empty list shows no
    /// format's evidence.
    pub fn decode_all(
        &self,
        provider: Option<Provider>,
        bytes: &[u8],
    ) -> Result<Vec<JobEvent>, DecodeError> {
        let text = self.checked_text(provider, bytes)?;
        match provider {
            // A named provider skips the choice but not the evidence: a body
            // of another format is refused, never read as an emptier event.
            Some(provider) => provider.events(text, Check::Named),
            None => auto_events(text).map(|(_, events)| events),
        }
        .map(Events::into_vec)
    }

    /// Names the provider whose format `bytes` has.
    pub fn detect(&self, bytes: &[u8]) -> Result<Provider, DecodeError> {
        crate::detect::detect_unchecked(self.checked_text(None, bytes)?)
    }

    /// The body as text, after a byte-order mark; refuses what is too
    /// large, or not text that `serde_json::from_slice::<Value>` would read,
    /// before any parsing.
    fn checked_text<'a>(
        &self,
        provider: Option<Provider>,
        bytes: &'a [u8],
    ) -> Result<&'a str, DecodeError> {
        if bytes.len() > self.max_bytes {
            return Err(DecodeError::TooLarge {
                provider,
                size: bytes.len(),
                limit: self.max_bytes,
            });
        }
        check_text(provider, without_bom(bytes))
    }
}

/// Decodes one job's event from `bytes` in `provider`'s format.
///
/// Detection is skipped: the caller knows who sent the body (by route or
/// header). A body of another vendor's format is an error, never a silently
/// empty event.
#[inline]
pub fn decode(provider: Provider, bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    DecodeOptions::default().decode(provider, bytes)
}

/// Detects the provider from the body's keys, then decodes one job's event.
#[inline]
pub fn decode_auto(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    DecodeOptions::default().decode_auto(bytes)
}

/// Decodes every job a body holds, detecting the provider when it is `None`.
#[inline]
pub fn decode_all(provider: Option<Provider>, bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    DecodeOptions::default().decode_all(provider, bytes)
}

/// What the typed parse checks of a body's format, on the shape it gathers
/// in the same pass.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Check<'a> {
    /// The caller named the provider: the body must show its evidence and
    /// no key of another format.
    Named,
    /// Detection already chose the provider from a scan.
    Detected,
    /// A guess: the body must be detected as this provider; if it is
    /// another, `outcome` says which, and the result is to be discarded.
    Guess(&'a Cell<Guess>),
}

/// How a guessed parse ([`Check::Guess`]) turned out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Guess {
    /// The guess was right: the result stands.
    Right,
    /// The body is this other provider's.
    Wrong(Provider),
    /// The guessed type could not hold the body: detect with a scan.
    Unparsed,
}

thread_local! {
    /// The provider `decode_auto` found last on this thread: bodies come in
    /// runs from one vendor, so it is the best first guess, and a right
    /// guess decodes the body in one pass.
    static LAST_DETECTED: Cell<Option<Provider>> = const { Cell::new(None) };
}

/// Every event of a body whose provider is to be detected.
///
/// The last provider detected on this thread is tried first, with the
/// detection done on the shape its parse gathers; the result stands only when
/// detection names that same provider. Otherwise the body is detected
/// (from the shape, or by a scan when the guessed type could not parse it)
/// and decoded as the provider found. The guess changes the cost, never the
/// result.
fn auto_events(text: &str) -> Result<(Provider, Events), DecodeError> {
    let remember = |provider: Provider| LAST_DETECTED.with(|last| last.set(Some(provider)));
    if let Some(guess) = LAST_DETECTED.with(Cell::get) {
        let outcome = Cell::new(Guess::Right);
        let result = guess.events(text, Check::Guess(&outcome));
        match outcome.get() {
            Guess::Right => return Ok((guess, result?)),
            Guess::Wrong(provider) => {
                remember(provider);
                return Ok((provider, provider.events(text, Check::Detected)?));
            }
            Guess::Unparsed => {}
        }
    }
    let provider = crate::detect::detect_unchecked(text)?;
    remember(provider);
    Ok((provider, provider.events(text, Check::Detected)?))
}

/// The body as text: refuses invalid UTF-8 anywhere in it, values the
/// decoders skip included, as a syntax error with serde_json's own line,
/// column and words.
///
/// UTF-8 is checked in full, once: the typed pass then reads the text as a
/// `str`, and serde_json checks no string of it again. Everything else a
/// `serde_json::from_slice::<Value>` refuses (a lone surrogate escape, a
/// number out of range, nesting past its limit) is refused by the typed pass
/// itself, which reads even the values it skips
/// ([`Strict`](crate::detect::Strict)).
fn check_text(provider: Option<Provider>, bytes: &[u8]) -> Result<&str, DecodeError> {
    let text = std::str::from_utf8(bytes);
    if text.is_err() {
        // A `Value` checks every string's UTF-8, so invalid text fails
        // here, where serde_json says where.
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
            .and_then(|_| serde_json::from_slice::<serde_json::Value>(bytes).map(|_| ()))
            .map_err(|error| DecodeError::from_json(provider, ".".to_owned(), error))?;
    }
    text.map_err(|error| {
        let error = <serde_json::Error as serde::de::Error>::custom(error);
        DecodeError::from_json(provider, ".".to_owned(), error)
    })
}

/// The bytes after a UTF-8 byte-order mark, which RFC 8259 lets a parser
/// ignore and which files saved by some editors begin with.
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The events of one body: most hold one job, which needs no list.
#[derive(Debug, PartialEq)]
pub(crate) enum Events {
    /// A body about one job.
    One(JobEvent),
    /// A batch (possibly of one).
    Many(Vec<JobEvent>),
}

impl Events {
    fn into_vec(self) -> Vec<JobEvent> {
        match self {
            Events::One(event) => vec![event],
            Events::Many(events) => events,
        }
    }
}

#[inline]
fn single(provider: Provider, events: Events) -> Result<JobEvent, DecodeError> {
    let mut events = match events {
        Events::One(event) => return Ok(event),
        Events::Many(events) => events,
    };
    match events.len() {
        1 => Ok(events.remove(0)),
        // The decoders report an empty batch themselves, with its path.
        0 => Err(DecodeError::NoJob {
            provider,
            path: ".".to_owned(),
        }),
        count => Err(DecodeError::SeveralJobs { provider, count }),
    }
}

/// Parses `text` into a provider's wire type in one typed pass, checking
/// the body's format as `check` says on the shape gathered in that pass.
///
/// Tracking the JSON path of every value costs more than the parse itself,
/// so the path is tracked only on the way to an error: a body that fails is
/// parsed again with serde_path_to_error, which fails at the same place (the
/// parse is deterministic) and says where.
#[inline]
pub(crate) fn parse<'de, T: Deserialize<'de>>(
    provider: Provider,
    text: &'de str,
    check: Check,
) -> Result<T, DecodeError> {
    if let Check::Detected = check {
        return parse_located::<DeserializeAsWrap<T, ObjectOnly>>(provider, text)
            .map(DeserializeAsWrap::into_inner);
    }
    let mut shape = crate::detect::Shape::of(text);
    match crate::detect::parse_noting::<DeserializeAsWrap<T, ObjectOnly>>(text, &mut shape) {
        Ok(wire) => {
            match check {
                Check::Named => shape.check(provider)?,
                Check::Guess(outcome) => match shape.detect()? {
                    found if found == provider => {}
                    found => {
                        outcome.set(Guess::Wrong(found));
                        return Err(DecodeError::NoJob {
                            provider: found,
                            path: ".".to_owned(),
                        });
                    }
                },
                Check::Detected => {}
            }
            Ok(wire.into_inner())
        }
        Err(_) => {
            if let Check::Guess(outcome) = check {
                outcome.set(Guess::Unparsed);
                return Err(DecodeError::NoJob {
                    provider,
                    path: ".".to_owned(),
                });
            }
            // A body of another format fails for that reason first.
            crate::detect::check(provider, text)?;
            Err(located_error::<DeserializeAsWrap<T, ObjectOnly>>(
                provider, text,
            ))
        }
    }
}

/// Parses `text` as `W` with no format check, reading what `W` skips as a
/// `Value` parse would; a failure is located ([`located_error`]).
pub(crate) fn parse_located<'de, W: Deserialize<'de>>(
    provider: Provider,
    text: &'de str,
) -> Result<W, DecodeError> {
    crate::detect::parse_strict::<W>(text).map_err(|_| located_error::<W>(provider, text))
}

/// The format check of [`parse`], for a body a module parses by a path of
/// its own (a bare list): by a scan before that parse.
pub(crate) fn check_by_scan(
    provider: Provider,
    text: &str,
    check: Check,
) -> Result<(), DecodeError> {
    match check {
        Check::Named => crate::detect::check(provider, text),
        Check::Detected => Ok(()),
        Check::Guess(outcome) => match crate::detect::detect_unchecked(text)? {
            found if found == provider => Ok(()),
            found => {
                outcome.set(Guess::Wrong(found));
                Err(DecodeError::NoJob {
                    provider: found,
                    path: ".".to_owned(),
                })
            }
        },
    }
}

/// Why `text` does not parse as `W`, with the JSON path where it fails: the
/// parse is done again, strictly as before, with serde_path_to_error, which
/// fails at the same place (the parse is deterministic).
#[cold]
fn located_error<'de, W: Deserialize<'de>>(provider: Provider, text: &'de str) -> DecodeError {
    let mut json = serde_json::Deserializer::from_str(text);
    let strict = crate::detect::Strict(&mut json);
    match serde_path_to_error::deserialize::<_, W>(strict) {
        Err(error) => match json_type_if_not_object(text) {
            // A list body failing inside (`[null]` for a format that sends
            // lists) is better told by the item's path.
            Some(found) if error.path().iter().next().is_none() => DecodeError::NotAnObject {
                provider: Some(provider),
                found: found.to_owned(),
            },
            _ => {
                let path = error.path().to_string();
                DecodeError::from_json(Some(provider), path, error.into_inner())
            }
        },
        Ok(_) => match json.end() {
            Err(error) => DecodeError::from_json(Some(provider), ".".to_owned(), error),
            // Unreachable in practice: the plain parse failed on this text.
            Ok(()) => DecodeError::field(provider, ".", "the body could not be parsed"),
        },
    }
}

/// The first byte of a JSON text that is not white space (RFC 8259's four
/// characters, not Unicode's).
fn first_json_byte(text: &str) -> Option<u8> {
    text.trim_start_matches([' ', '\t', '\n', '\r'])
        .bytes()
        .next()
}

/// What a body that is valid JSON but not an object is ("an array", …).
fn json_type_if_not_object(text: &str) -> Option<&'static str> {
    let first = first_json_byte(text)?;
    let found = match first {
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        b'-' | b'0'..=b'9' => "a number",
        _ => return None,
    };
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .is_ok()
        .then_some(found)
}

/// Where a record sits in its body, for the JSON paths of errors: the body
/// itself, the record under an envelope key, or one of a list's records.
/// Paths are written only when an error needs one (`format!("{at}status")`),
/// so a decode that succeeds builds none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct At<'a> {
    /// The envelope key (`""` for the body, or a bare list).
    envelope: &'a str,
    /// The record's place in a list.
    index: Option<usize>,
}

impl<'a> At<'a> {
    /// The body itself.
    pub(crate) const TOP: At<'static> = At {
        envelope: "",
        index: None,
    };

    /// The one record under `envelope`.
    pub(crate) fn inside(envelope: &'a str) -> Self {
        At {
            envelope,
            index: None,
        }
    }

    /// Record `index` of the list under `envelope` (`""`: a bare list).
    pub(crate) fn item(envelope: &'a str, index: usize) -> Self {
        At {
            envelope,
            index: Some(index),
        }
    }
}

impl fmt::Display for At<'_> {
    /// The prefix of the record's fields' paths: ``, `data.`, `data[2].`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.envelope, self.index) {
            ("", None) => Ok(()),
            (envelope, None) => write!(f, "{envelope}."),
            (envelope, Some(index)) => write!(f, "{envelope}[{index}]."),
        }
    }
}

/// The `model` a Midjourney task names where a vendor's other APIs (video,
/// music, other image models) share its task format: GoAPI's unified task,
/// KIE's request echo, AceData's task records.
pub(crate) const MIDJOURNEY_MODELS: &[&str] = &["midjourney"];

/// Refuses a task of one of the vendor's other APIs: a `model`, at `key` of
/// the record `at`, that is none of [`MIDJOURNEY_MODELS`] (a blank one says
/// nothing). `others` names a few of those APIs, for the message.
pub(crate) fn refuse_other_model(
    provider: Provider,
    at: At,
    key: &str,
    model: Option<&str>,
    others: &str,
) -> Result<(), DecodeError> {
    refuse_model_outside(provider, at, key, model, MIDJOURNEY_MODELS, others)
}

/// The model a task names, when it is none of `known` (a blank one names
/// none).
pub(crate) fn model_outside<'m>(model: Option<&'m str>, known: &[&str]) -> Option<&'m str> {
    model.filter(|model| !is_blank(model) && !known.iter().any(|word| is_word(model, word)))
}

/// What a body holds at `key` of the record `at`, for a message: "its
/// `data.type` is \"videos\"", or "it has no `data.type`".
pub(crate) fn key_as_found(at: At, key: &str, value: Option<&str>) -> String {
    match value {
        Some(value) => format!("its `{at}{key}` is {}", crate::quirks::shown(value)),
        None => format!("it has no `{at}{key}`"),
    }
}

/// Refuses a task of one of the vendor's other APIs by the model it names at
/// `key` of the record `at`: one that is none of `known` (the words a
/// Midjourney task puts there; a blank one says nothing). `others` names a
/// few of those APIs, for the message.
pub(crate) fn refuse_model_outside(
    provider: Provider,
    at: At,
    key: &str,
    model: Option<&str>,
    known: &[&str],
    others: &str,
) -> Result<(), DecodeError> {
    match model_outside(model, known) {
        Some(model) => {
            let path = format!("{at}{key}");
            let lacks = format!(
                "its `{path}` names the model {}, none of {}, as tasks of the vendor's \
                 other APIs ({others}) do",
                crate::quirks::shown(model),
                known.join(", ")
            );
            Err(DecodeError::another_api(provider, path, lacks))
        }
        _ => Ok(()),
    }
}

/// The job id every event needs: the first of `ids` (each with its key in
/// the record `at`, the one a vendor names first leading) present and not
/// blank (`""` is vendors' "none"). An id that is missing, `null` or blank
/// is an error at the key that held the first blank one, or at the first
/// key, saying `missing`, when there is none at all.
pub(crate) fn job_id<'a, 'k>(
    provider: Provider,
    at: At,
    missing: &str,
    ids: impl IntoIterator<Item = (&'k str, Option<StringOrInt<'a>>)>,
) -> Result<JobId, DecodeError> {
    let mut first_key = None;
    let mut blank = None;
    for (key, id) in ids {
        first_key.get_or_insert(key);
        let Some(id) = id else { continue };
        let text = id.into_text();
        if !is_blank(&text) {
            return Ok(JobId::new(text));
        }
        blank.get_or_insert((key, text.is_empty()));
    }
    let (key, reason) = match blank {
        Some((key, true)) => (key, "expected a job id, found an empty string"),
        Some((key, false)) => (key, "expected a job id, found only white space"),
        None => (first_key.unwrap_or_default(), missing),
    };
    Err(DecodeError::field(provider, format!("{at}{key}"), reason))
}

/// Refuses an envelope whose own copy of the record id (`id_key`) says
/// something its records do not: a different id than the record's, or an
/// id beside several records (which one would it be?). Silently preferring
/// one side would report a job the body may not be about.
pub(crate) fn check_envelope_id<R>(
    provider: Provider,
    id_key: &str,
    envelope: &str,
    envelope_id: Option<&StringOrInt<'_>>,
    records: &OneOrMany<R>,
    record_id: impl Fn(&R) -> Option<&StringOrInt<'_>>,
) -> Result<(), DecodeError> {
    let Some(envelope_id) = envelope_id else {
        return Ok(());
    };
    let records = match records {
        OneOrMany::One(record) => std::slice::from_ref(record.as_ref()),
        OneOrMany::Many(records) if records.len() > 1 => {
            return Err(DecodeError::field(
                provider,
                id_key,
                format!(
                    "`{id_key}` {:?} stands beside {} records in `{envelope}`: it cannot be the id of all of them",
                    envelope_id.to_text(),
                    records.len()
                ),
            ));
        }
        OneOrMany::Many(records) => records.as_slice(),
    };
    check_record_ids(provider, id_key, envelope, envelope_id, records, record_id)
}

/// Refuses records whose own id is not the envelope's `envelope_id`
/// (see [`check_envelope_id`]).
pub(crate) fn check_record_ids<R>(
    provider: Provider,
    id_key: &str,
    envelope: &str,
    envelope_id: &StringOrInt<'_>,
    records: &[R],
    record_id: impl Fn(&R) -> Option<&StringOrInt<'_>>,
) -> Result<(), DecodeError> {
    for record in records {
        if let Some(own) = record_id(record) {
            if own.to_text() != envelope_id.to_text() {
                return Err(DecodeError::field(
                    provider,
                    id_key,
                    format!(
                        "`{id_key}` {:?} contradicts `{envelope}.{id_key}` {:?}",
                        envelope_id.to_text(),
                        own.to_text()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The events of the record(s) under an envelope key: one record (paths
/// prefixed `key.`) or a list (paths prefixed `key[n].`; an empty list is
/// [`DecodeError::NoJob`]).
pub(crate) fn normalize_records<R>(
    provider: Provider,
    key: &str,
    records: OneOrMany<R>,
    mut normalize: impl FnMut(R, At) -> Result<JobEvent, DecodeError>,
) -> Result<Events, DecodeError> {
    let records = match records {
        OneOrMany::One(record) => return Ok(Events::One(normalize(*record, At::inside(key))?)),
        OneOrMany::Many(records) => records,
    };
    if records.is_empty() {
        // A body that is itself the list has the whole body's path.
        let path = if key.is_empty() { "." } else { key };
        return Err(DecodeError::NoJob {
            provider,
            path: path.to_owned(),
        });
    }
    records
        .into_iter()
        .enumerate()
        .map(|(n, record)| normalize(record, At::item(key, n)))
        .collect::<Result<_, _>>()
        .map(Events::Many)
}

/// Puts the images of a record in payload order: they are added key by key
/// (a vendor's documented order), each key's images a block that stands
/// where its first string stands in the body.
///
/// A string borrowed from the body has a place there; one with escapes was
/// copied and its place is lost. When a block's place is unknown, every
/// block keeps the order it was added in.
#[derive(Default)]
pub(crate) struct PayloadOrder {
    /// Where each block starts in `event.images`, and its first string's
    /// address in the body.
    blocks: smallvec::SmallVec<[(usize, Option<usize>); 6]>,
}

impl PayloadOrder {
    /// Starts a block: the images added to `event` from now on come from the
    /// key whose first string is `first` (`None`: the key is absent or
    /// empty, and the block will be too).
    pub(crate) fn block(&mut self, event: &JobEvent, first: Option<&Cow<'_, str>>) {
        let place = match first {
            Some(Cow::Borrowed(text)) => Some(text.as_ptr() as usize),
            Some(Cow::Owned(_)) => None,
            None => Some(usize::MAX),
        };
        self.blocks.push((event.images.len(), place));
    }

    /// Reorders the blocks of `event.images` by their places in the body
    /// (images added before the first block stay where they are).
    pub(crate) fn apply(self, event: &mut JobEvent) {
        let Some(&(first, _)) = self.blocks.first() else {
            return;
        };
        let mut blocks: smallvec::SmallVec<[(usize, usize, usize); 6]> = smallvec::SmallVec::new();
        for (n, &(start, place)) in self.blocks.iter().enumerate() {
            let end = self
                .blocks
                .get(n + 1)
                .map_or(event.images.len(), |next| next.0);
            match place {
                _ if start == end => {}
                Some(place) => blocks.push((place, start - first, end - first)),
                None => return,
            }
        }
        if blocks.is_sorted_by_key(|block| block.0) {
            return;
        }
        blocks.sort_by_key(|block| block.0);
        let mut added: Vec<Option<Image>> = event.images.drain(first..).map(Some).collect();
        for (_, start, end) in blocks {
            event
                .images
                .extend(added[start..end].iter_mut().filter_map(Option::take));
        }
    }
}

/// When a GoAPI-style task's event occurred (GoAPI's and Legnext's): the
/// webhook's `timestamp`, else, once the task has ended (a polled task, or
/// a webhook whose time is `0` or blank), its `meta.ended_at`.
pub(crate) fn sent_or_ended(
    sent_at: Option<&Timestamp>,
    status: JobStatus,
    ended_at: Option<&Timestamp>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let ended = || ended_at.and_then(Timestamp::to_utc);
    (sent_at.and_then(Timestamp::to_utc)).or_else(|| status.is_terminal().then(ended).flatten())
}

/// Adds a list of finished images (the quarters of a grid, or any other
/// list of results). Each has its 0-based grid position when the list is a
/// grid's quarters: two to four places (a `null` or `""` keeps its place)
/// from an operation that makes a grid, or one the body does not name. A
/// single URL, an upscale's copies or a non-Midjourney model's outputs are
/// images without a position.
pub(crate) fn push_finished_images(event: &mut JobEvent, urls: Vec<impl Into<String>>) {
    let positions_known =
        (2..=4).contains(&urls.len()) && event.operation.as_ref().is_none_or(Operation::makes_grid);
    event.images.reserve(urls.len());
    for (position, url) in urls.into_iter().enumerate() {
        let mut image = Image::new(url, ImageRole::Image);
        image.index = u8::try_from(position).ok().filter(|_| positions_known);
        event.images.push(image);
    }
}

/// Whether a URL names a video (its path ends in `.mp4`): a result list
/// may hold a video job's files, which are not images.
pub(crate) fn is_video_url(url: &str) -> bool {
    let ends_with = |text: &[u8], suffix: &[u8]| {
        text.len() >= suffix.len() && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    let url = url.as_bytes();
    // This runs on every image of every event: most URLs end in their
    // extension, with no query, and one compare tells.
    if ends_with(url, b".png") || ends_with(url, b".jpg") || ends_with(url, b".webp") {
        return false;
    }
    let path = memchr::memchr2(b'?', b'#', url).map_or(url, |end| &url[..end]);
    ends_with(path, b".mp4")
}

/// The rules every provider shares once its fields are mapped: each image
/// URL once, without white space around it (the first occurrence; empty
/// URLs and videos are not images, whatever list a vendor puts them in), the images
/// of a job that has not completed are previews (the canonical model: "a
/// partial image while in progress"; a failed or cancelled job keeps the
/// last one it showed, as midjourney-proxy's tasks do; a job of an unknown
/// status at 1–99 % is part of the way through), and a completed job
/// that does not state its progress, or states 0 (what GoAPI sends on plans
/// without progress reports), is at 100.
#[inline]
pub(crate) fn finish(event: &mut JobEvent) {
    for image in &mut event.images {
        trim_in_place(&mut image.url);
    }
    keep_first_of_each(&mut event.images, |image| image.url.as_str());
    let stopped_short = matches!(event.status, JobStatus::Failed | JobStatus::Cancelled);
    // A job of a status word mjhook does not know is still part of the way
    // through when its progress says so: what it shows is no result yet.
    let part_way = event.status == JobStatus::Unknown
        && event.progress.is_some_and(|p| (1..100).contains(&p.get()));
    if event.status.is_running() || stopped_short || part_way {
        for image in &mut event.images {
            if matches!(image.role, ImageRole::Grid | ImageRole::Image) {
                image.role = ImageRole::Preview;
            }
        }
    }
    if event.status == JobStatus::Completed && event.progress.is_none_or(|p| p.get() == 0) {
        event.progress = Some(Progress::DONE);
    }
}

/// Whether an image's URL can name an image: not blank, not a video.
fn is_image_url(url: &str) -> bool {
    !is_blank(url) && !is_video_url(url)
}

/// Keeps the first item of each key that [`is_image_url`], in one pass with
/// a set, so a body listing many URLs costs linear time.
fn keep_first_of_each<T>(items: &mut Vec<T>, key: impl Fn(&T) -> &str) {
    // Most lists hold a grid and its four quarters: comparing each with the
    // ones before it is cheaper than hashing, and allocates nothing.
    const SMALL: usize = 8;
    if items.len() <= SMALL {
        let mut kept = 0;
        for n in 0..items.len() {
            let url = key(&items[n]);
            let first = is_image_url(url) && !items[..kept].iter().any(|item| key(item) == url);
            if first {
                items.swap(kept, n);
                kept += 1;
            }
        }
        items.truncate(kept);
        return;
    }
    let mut seen = HashSet::with_capacity(items.len());
    let keep: Vec<bool> = items
        .iter()
        .map(|item| is_image_url(key(item)) && seen.insert(key(item)))
        .collect();
    let mut keep = keep.into_iter();
    items.retain(|_| keep.next().unwrap_or(false));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_order_moves_whole_blocks_and_only_when_every_place_is_known() {
        let body = String::from("q0 q1 g");
        let (quarters, grid) = (&body[..5], &body[6..]);
        let urls = |event: &JobEvent| -> Vec<String> {
            event.images.iter().map(|image| image.url.clone()).collect()
        };
        let gather = |grid: Cow<'_, str>| {
            let mut event = JobEvent::new(Provider::Ttapi, JobId::new("j"), JobStatus::Completed);
            event.images.push(Image::new("input", ImageRole::Input));
            let mut order = PayloadOrder::default();
            order.block(&event, Some(&grid));
            event
                .images
                .push(Image::new(grid.into_owned(), ImageRole::Grid));
            order.block(&event, None);
            order.block(&event, Some(&Cow::Borrowed(quarters)));
            for quarter in quarters.split(' ') {
                event.images.push(Image::new(quarter, ImageRole::Image));
            }
            order.apply(&mut event);
            urls(&event)
        };
        // The quarters stand first in the body; the input added before any
        // block stays first.
        assert_eq!(gather(Cow::Borrowed(grid)), ["input", "q0", "q1", "g"]);
        // A copied string has no place: the order of adding stands.
        assert_eq!(
            gather(Cow::Owned(grid.to_owned())),
            ["input", "g", "q0", "q1"]
        );
    }

    #[test]
    fn padded_urls_are_the_same_url_once() {
        let mut event = JobEvent::new(Provider::Goapi, JobId::new("j"), JobStatus::Completed);
        for url in [
            " https://example.com/0.png\n",
            "https://example.com/0.png",
            "\t ",
        ] {
            event.images.push(Image::new(url, ImageRole::Grid));
        }
        event
            .images
            .push(Image::new("https://example.com/1.mp4 ", ImageRole::Image));
        finish(&mut event);
        let urls: Vec<&str> = event
            .images
            .iter()
            .map(|image| image.url.as_str())
            .collect();
        assert_eq!(urls, ["https://example.com/0.png"]);
    }

    #[test]
    fn videos_are_not_images() {
        assert!(is_video_url("https://cdn.example.com/a/0.MP4?rand=1"));
        assert!(!is_video_url("https://cdn.example.com/a/0.png"));
        assert!(!is_video_url("mp4"));
    }

    /// Every body under `fixtures/`, good, bad and foreign.
    fn every_fixture() -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut found = Vec::new();
        for folder in std::fs::read_dir(root).unwrap() {
            let folder = folder.unwrap().path();
            if !folder.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&folder).unwrap() {
                let path = file.unwrap().path();
                if path.extension().is_some_and(|ext| ext == "json") {
                    let bytes = std::fs::read(&path).unwrap();
                    found.push((path, bytes));
                }
            }
        }
        assert!(found.len() > 250, "fixtures missing: {}", found.len());
        found
    }

    /// The one-pass checks (the shape gathered while parsing) decide as the
    /// scan does, for every provider named, for detection with any guess,
    /// and for every fixture, foreign and bad ones included.
    #[test]
    fn one_pass_checks_agree_with_the_scan() {
        for (path, bytes) in every_fixture() {
            // Text that is not UTF-8 is refused before any of these runs.
            let Ok(text) = std::str::from_utf8(without_bom(&bytes)) else {
                continue;
            };
            for provider in Provider::ALL {
                let scanned = crate::detect::check(provider, text)
                    .and_then(|()| provider.events(text, Check::Detected));
                let one_pass = provider.events(text, Check::Named);
                match (&scanned, &one_pass) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{} as {provider}", path.display()),
                    (Err(_), Err(_)) => {}
                    _ => panic!(
                        "{} as {provider}: scan {scanned:?}, one pass {one_pass:?}",
                        path.display()
                    ),
                }
            }
            let scanned = crate::detect::detect_unchecked(text)
                .and_then(|provider| provider.events(text, Check::Detected));
            for guess in Provider::ALL {
                LAST_DETECTED.with(|last| last.set(Some(guess)));
                let guessed = auto_events(text).map(|(_, events)| events);
                assert_eq!(
                    guessed.is_ok(),
                    scanned.is_ok(),
                    "{} guessing {guess}: {guessed:?} vs {scanned:?}",
                    path.display()
                );
                if let (Ok(a), Ok(b)) = (&guessed, &scanned) {
                    assert_eq!(a, b, "{} guessing {guess}", path.display());
                }
            }
        }
    }

    #[test]
    fn provider_names_read_back() {
        for provider in Provider::ALL {
            assert_eq!(provider.as_str().parse::<Provider>(), Ok(provider));
        }
        assert_eq!(
            "Midjourney-API".parse::<Provider>(),
            Ok(Provider::MidjourneyApi)
        );
        assert!("discord"
            .parse::<Provider>()
            .unwrap_err()
            .to_string()
            .contains("goapi"));
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let body = b"\xEF\xBB\xBF{\"task_id\": \"t-1\", \"status\": \"pending\"}";
        assert_eq!(
            decode_auto(body).map(|event| event.provider),
            Ok(Provider::Apiframe)
        );
    }

    #[test]
    fn any_number_of_image_urls_is_fine_and_only_a_grid_has_positions() {
        let urls: Vec<String> = (0..300)
            .map(|n| format!("\"https://cdn.example.com/{n}.png\""))
            .collect();
        let body = format!(r#"{{"task_id": "t", "image_urls": [{}]}}"#, urls.join(","));
        let event = decode(Provider::Apiframe, body.as_bytes()).unwrap();
        assert_eq!(event.images.len(), 300);
        assert!(event.images.iter().all(|image| image.index.is_none()));
    }

    #[test]
    fn repeated_urls_keep_their_first_occurrence() {
        // Every URL twice, and the grid again inside the list.
        let urls: Vec<String> = (0..5_000)
            .map(|n| format!("\"https://cdn.example.com/{}.png\"", n % 2_500))
            .collect();
        let body = format!(
            r#"{{"task_id": "t", "original_image_url": "https://cdn.example.com/7.png", "image_urls": [{}]}}"#,
            urls.join(",")
        );
        let event = decode(Provider::Apiframe, body.as_bytes()).unwrap();
        assert_eq!(event.images.len(), 2_500);
        assert_eq!(
            event.images[0].role,
            crate::ImageRole::Grid,
            "the grid came first"
        );
        assert_eq!(event.images[1].url, "https://cdn.example.com/0.png");
    }

    #[test]
    fn a_batch_of_several_jobs_needs_decode_all() {
        let body = br#"{"tasks": [{"task_id": "a"}, {"task_id": "b"}]}"#;
        assert_eq!(
            decode_all(Some(Provider::Apiframe), body).map(|events| events.len()),
            Ok(2)
        );
        let error = decode(Provider::Apiframe, body).unwrap_err();
        assert_eq!(
            error,
            DecodeError::SeveralJobs {
                provider: Provider::Apiframe,
                count: 2
            }
        );
        assert!(error.to_string().contains("use decode_all"), "{error}");
    }
}
