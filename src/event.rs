//! The canonical model every provider decodes into.
//!
//! Its JSON form is a public contract (see the crate docs): field names, enum
//! spellings and nulls are fixed, and a [`JobEvent`] a decoder made,
//! serialized to JSON, deserializes back to an equal value. (An event built
//! by hand may not: `Operation::Other("upscale")` reads back as
//! `Operation::Upscale`, the value a decoder gives for that word.)

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::providers::Provider;
use crate::quirks::is_blank;

/// One observation of a Midjourney job, as one vendor reported it.
///
/// Decoding is deterministic: the same bytes always give the same event (no
/// field is filled from the clock at decode time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct JobEvent {
    /// The vendor whose wire format this event was decoded from.
    pub provider: Provider,
    /// The vendor's job or task id, verbatim.
    pub job_id: JobId,
    /// Where the job stands.
    pub status: JobStatus,
    /// Percent complete, when the payload says (100 for a completed job that
    /// does not say).
    pub progress: Option<Progress>,
    /// What kind of Midjourney operation the job is, when the payload says.
    pub operation: Option<Operation>,
    /// The prompt the job was given, when the payload carries it.
    pub prompt: Option<String>,
    /// Every image URL the payload carries, each once, in payload order.
    pub images: Vec<Image>,
    /// The prompt texts a describe or shorten job produced.
    pub prompts: Vec<String>,
    /// Why the job failed, when the vendor said.
    pub error: Option<JobError>,
    /// When the vendor emitted this event, if the payload says.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When the job was created, if the payload says.
    pub created_at: Option<DateTime<Utc>>,
    /// The vendor's own status value, verbatim (an integer as its decimal string).
    pub provider_status: Option<String>,
}

impl JobEvent {
    /// A bare event: the given job and status, everything else empty.
    ///
    /// Decoders fill in the rest; tests and callers building events by hand
    /// can too, since every field is public.
    pub fn new(provider: Provider, job_id: JobId, status: JobStatus) -> Self {
        JobEvent {
            provider,
            job_id,
            status,
            progress: None,
            operation: None,
            prompt: None,
            images: Vec::new(),
            prompts: Vec::new(),
            error: None,
            occurred_at: None,
            created_at: None,
            provider_status: None,
        }
    }

    /// Adds an image unless its URL is empty (or only white space) or
    /// already present.
    ///
    /// Vendors repeat URLs (a grid echoed in two fields, a duplicated index),
    /// and the model promises each URL once, first occurrence first. Each
    /// call looks through the images already there, so it suits events built
    /// by hand; the decoders de-duplicate a whole payload in one pass.
    pub fn push_image(&mut self, image: Image) {
        if is_blank(&image.url) || self.images.iter().any(|seen| seen.url == image.url) {
            return;
        }
        self.images.push(image);
    }
}

/// A vendor's job or task id, kept verbatim as a string.
///
/// Ids are never validated: vendors send UUIDs, UUID-shaped strings that are
/// not RFC 4122, 21-character nanoids and plain integers. A numeric id is kept
/// as its decimal string.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct JobId(String);

impl JobId {
    /// Wraps a vendor's id.
    pub fn new(id: impl Into<String>) -> Self {
        JobId(id.into())
    }

    /// The id as the vendor sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a UUID, when it parses as one (any version or variant).
    pub fn as_uuid(&self) -> Option<uuid::Uuid> {
        uuid::Uuid::try_parse(&self.0).ok()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for JobId {
    fn from(id: &str) -> Self {
        JobId::new(id)
    }
}

/// Where a job stands.
///
/// In JSON it is the canonical spelling ([`JobStatus::as_str`]). Reading JSON
/// is forward compatible: a string this version does not know (a status a
/// later version added, say) reads as [`JobStatus::Unknown`] rather than
/// failing, so events stored by a newer version still load; anything but a
/// string is an error.
///
/// [`FromStr`] reads the canonical spellings only
/// (ignoring case, with `-`, `_` and spaces alike) and refuses any other word
/// with [`UnknownStatus`]: it is for text people type or programs store (a
/// command-line flag, a database column), where a typo should not pass as
/// `unknown`. Vendors' words go through [`JobStatus::from_vendor`].
///
/// ```
/// use mjhook::JobStatus;
///
/// assert_eq!("in_progress".parse(), Ok(JobStatus::InProgress));
/// assert_eq!("In-Progress".parse(), Ok(JobStatus::InProgress));
/// assert!("processing".parse::<JobStatus>().is_err()); // a vendor word
/// assert_eq!(JobStatus::from_vendor("processing"), JobStatus::InProgress);
///
/// let stored: JobStatus = serde_json::from_str(r#""paused""#)?;
/// assert_eq!(stored, JobStatus::Unknown);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(
        description = "Where a job stands. A reader meets `unknown` for a status it does not know yet."
    )
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobStatus {
    /// Accepted, queued or staged; not started yet.
    Pending,
    /// Starting, running, processing or waiting to be retried.
    InProgress,
    /// Finished with results.
    Completed,
    /// Finished without results.
    Failed,
    /// Stopped at someone's request.
    Cancelled,
    /// A status this crate does not know yet; `provider_status` holds it.
    Unknown,
}

impl JobStatus {
    /// Maps a vendor's status word, ignoring case and treating `-`, `_` and
    /// spaces alike; a word no vendor is known to use is [`JobStatus::Unknown`].
    ///
    /// One table serves every provider: the vocabularies do not clash.
    /// `success` is deliberately unknown: vendors use it for the outcome of a
    /// submission, not for the state of the job.
    pub fn from_vendor(status: &str) -> JobStatus {
        match &*fold_word(status) {
            b"pending" | b"queued" | b"staged" | b"submitted" | b"waiting" | b"pending_queue"
            | b"accepted" | b"not_start" | b"not_started" | b"modal" => JobStatus::Pending,
            // TTAPI's `ON_QUEUE` is its "processing" state.
            b"in_progress" | b"starting" | b"started" | b"running" | b"processing" | b"retry"
            | b"retrying" | b"on_queue" => JobStatus::InProgress,
            b"completed" | b"complete" | b"finished" | b"succeeded" | b"done" => {
                JobStatus::Completed
            }
            b"failed" | b"failure" | b"error" | b"fail" => JobStatus::Failed,
            b"cancelled" | b"canceled" | b"cancel" => JobStatus::Cancelled,
            _ => JobStatus::Unknown,
        }
    }

    /// Maps a task's own status word, where `SUCCESS` is the task's state
    /// (midjourney-proxy's and TTAPI's tasks), not a submission's outcome as
    /// [`JobStatus::from_vendor`] reads it.
    pub(crate) fn from_task_word(status: &str) -> JobStatus {
        if is_word(status, "success") {
            JobStatus::Completed
        } else {
            JobStatus::from_vendor(status)
        }
    }

    /// Pending and in-progress jobs (whose images so far are previews, as
    /// is the last one a failed or cancelled job showed). `Unknown` is
    /// neither running nor terminal.
    pub fn is_running(self) -> bool {
        matches!(self, JobStatus::Pending | JobStatus::InProgress)
    }

    /// Completed, failed and cancelled jobs do not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled
        )
    }

    /// Every status, in the order of the canonical model's list.
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Pending,
        JobStatus::InProgress,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
        JobStatus::Unknown,
    ];

    /// The canonical spelling, as in the JSON form.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::InProgress => "in_progress",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Unknown => "unknown",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = UnknownStatus;

    /// Reads a canonical spelling, ignoring case and surrounding white space,
    /// with `-`, `_` and spaces alike; any other word is an error.
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        let folded = fold_word(word);
        JobStatus::ALL
            .into_iter()
            .find(|status| status.as_str().as_bytes() == &*folded)
            .ok_or_else(|| UnknownStatus(word.to_owned()))
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = Cow::<str>::deserialize(deserializer)?;
        // Exact spellings only: this is the canonical form, not a vendor's.
        Ok(JobStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == word)
            .unwrap_or(JobStatus::Unknown))
    }
}

/// A word that is not a canonical [`JobStatus`] spelling, from
/// [`JobStatus`]'s `FromStr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownStatus(String);

impl UnknownStatus {
    /// The word, as given.
    pub fn word(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` escapes control characters, so a word from outside cannot
        // forge log lines.
        write!(
            f,
            "unknown job status {:?}; expected one of pending, in_progress, completed, failed, cancelled, unknown",
            self.0
        )
    }
}

impl std::error::Error for UnknownStatus {}

/// A vendor word lower-cased, with `-` and spaces folded into `_`: the form
/// the status and operation tables are written in.
///
/// Every word a table knows is short, so a word is folded into a buffer on
/// the stack: matching a status costs no allocation. Longer words (which no
/// table lists, but whose prefix an operation family may still match) are
/// folded into a `String`.
#[derive(Clone, Debug)]
pub(crate) enum Folded<'a> {
    /// Already in folded form.
    Borrowed(&'a str),
    /// Folded into a stack buffer of `len` bytes; `true` when folding
    /// changed nothing (the word was sent in folded form).
    Inline([u8; Folded::INLINE], u8, bool),
    /// Folded into the heap.
    Owned(String),
}

// A status is matched without an allocation and moved cheaply.
const _: () = assert!(std::mem::size_of::<Folded>() == 32);

impl Folded<'_> {
    /// Room for the task types and status words vendors send, in 32 bytes
    /// with the length and the flag (whose spare values hold the tag).
    pub(crate) const INLINE: usize = 30;

    /// `word` folded on the stack, or `None` when it is longer than any
    /// word a table knows.
    pub(crate) fn inline(word: &str) -> Option<Folded<'static>> {
        let word = trim_word(word);
        if word.len() > Folded::INLINE {
            return None;
        }
        // One pass over a fixed buffer: cheaper than first checking whether
        // the word is folded already.
        let mut buffer = [0; Folded::INLINE];
        let mut as_sent = true;
        for (slot, byte) in buffer.iter_mut().zip(word.bytes()) {
            *slot = Folded::fold_byte(byte);
            as_sent &= *slot == byte;
        }
        Some(Folded::Inline(buffer, word.len() as u8, as_sent))
    }

    fn fold_byte(byte: u8) -> u8 {
        match byte {
            b'-' | b' ' => b'_',
            byte => byte.to_ascii_lowercase(),
        }
    }

    /// Whether `word` folds to this (for tables written in any spelling).
    pub(crate) fn matches(&self, word: &str) -> bool {
        let word = trim_word(word).as_bytes();
        let folded = self.as_bytes();
        folded.len() == word.len()
            && folded
                .iter()
                .zip(word)
                .all(|(&a, &b)| a == Folded::fold_byte(b))
    }

    /// Whether the word was sent as it is folded (lower case, `_` between
    /// parts), white space around it aside.
    pub(crate) fn is_as_sent(&self) -> bool {
        match self {
            Folded::Borrowed(_) => true,
            Folded::Inline(_, _, as_sent) => *as_sent,
            // `fold_word` borrows a word that needs no folding.
            Folded::Owned(_) => false,
        }
    }

    /// The folded word as text, for messages.
    pub(crate) fn to_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Folded::Borrowed(word) => word.as_bytes(),
            Folded::Inline(buffer, len, _) => &buffer[..usize::from(*len)],
            Folded::Owned(word) => word.as_bytes(),
        }
    }
}

impl PartialEq for Folded<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Folded<'_> {}

/// The folded bytes: the tables match bytes, so a word folded on the stack
/// is never checked as UTF-8 again (it is: folding maps ASCII bytes to ASCII
/// bytes and keeps every other byte).
impl std::ops::Deref for Folded<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Whether a vendor word is the table word `expected`, folded as the status
/// tables are (case, `-`, `_` and spaces alike, around white space).
pub(crate) fn is_word(word: &str, expected: &str) -> bool {
    fold_word(word).matches(expected)
}

/// Folds a vendor word (see [`Folded`]): on the stack when it is short, as
/// every word a table knows is; a long word borrows when it is already in
/// folded form.
pub(crate) fn fold_word(word: &str) -> Folded<'_> {
    let word = trim_word(word);
    // Most vendors write their words folded already (`pending`, `imagine`):
    // one look at each byte, and nothing is copied.
    if word.bytes().all(|byte| Folded::fold_byte(byte) == byte) {
        return Folded::Borrowed(word);
    }
    if let Some(folded) = Folded::inline(word) {
        return folded;
    }
    Folded::Owned(
        word.chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect(),
    )
}

/// `word` without the white space around it. A word that begins and ends
/// with a visible ASCII character, as vendors' words do, has none, which
/// two bytes tell without `trim`'s walk over characters from both ends.
fn trim_word(word: &str) -> &str {
    let bytes = word.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => word,
        _ => word.trim(),
    }
}

/// Percent complete, 0 to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Progress(u8);

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Progress {
    fn schema_name() -> Cow<'static, str> {
        "Progress".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Percent complete",
            "type": "integer",
            "minimum": 0,
            "maximum": 100
        })
    }
}

impl Progress {
    /// 100 percent.
    pub const DONE: Progress = Progress(100);

    /// The progress, if `percent` is within 0–100.
    pub fn new(percent: u8) -> Option<Self> {
        (percent <= 100).then_some(Progress(percent))
    }

    /// The percentage.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Progress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let percent = u8::deserialize(deserializer)?;
        Progress::new(percent).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "expected a progress from 0 to 100, found {percent}"
            ))
        })
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// What kind of Midjourney operation a job is.
///
/// Vendor spellings map to their family (`upscale#3`, `upscale-creative` and
/// `upscale-2x` are all [`Operation::Upscale`]); anything else is kept
/// verbatim in [`Operation::Other`]. In JSON it is the lower-case family name
/// or the vendor's string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// A text prompt to a 2×2 grid.
    Imagine,
    /// One image of a grid, enlarged (`upscale#N`, `-1x`, `-2x`, `-4x`, `-creative`, `-subtle`).
    Upscale,
    /// A new grid varied from one image (`variation-N`, `-strong`, `-subtle`).
    Variation,
    /// The same prompt again.
    Reroll,
    /// Prompts suggested for an image.
    Describe,
    /// Several images blended into a grid.
    Blend,
    /// Zoom out (`outpaint-2`, `outpaint-1.5`, `zoom`).
    Outpaint,
    /// Extend in one direction (`pan-left`, …).
    Pan,
    /// Vary region.
    Inpaint,
    /// The seed of a finished job.
    Seed,
    /// Shorter prompts suggested for a prompt.
    Shorten,
    /// An operation this crate does not map, as the vendor spelled it.
    Other(String),
}

impl Operation {
    /// Maps a vendor's operation or task type to its family, ignoring case and
    /// treating `-`, `_` and spaces alike. `None` for an empty string.
    pub fn from_vendor(kind: &str) -> Option<Operation> {
        if is_blank(kind) {
            return None;
        }
        let folded = fold_word(kind);
        let folded: &[u8] = &folded;
        // KIE.ai prefixes its task types with `mj_` (`mj_txt2img`, `mj_upscale`).
        let word = folded.strip_prefix(b"mj_").unwrap_or(folded);
        let kie_imagine = matches!(
            folded,
            b"mj_txt2img" | b"mj_img2img" | b"mj_style_reference" | b"mj_omni_reference"
        );
        // A family name, optionally followed by a suffix that picks a variant
        // of it: `#3`, `-creative`, `2x`, `_left`, `-1.5`.
        let family = |name: &str| {
            word.strip_prefix(name.as_bytes())
                .is_some_and(|rest| match rest.first() {
                    None => true,
                    Some(next) => matches!(next, b'#' | b'_') || next.is_ascii_digit(),
                })
        };
        // `vary_region` and AceData's `variation_region` are inpainting,
        // not variations.
        // Task types are short: scanning their windows is cheaper than the
        // searcher `str::contains` sets up, and this runs on every decode.
        let mentions = |part: &str| {
            word.windows(part.len())
                .any(|window| window == part.as_bytes())
        };
        let region = || mentions("region");
        let operation = if family("imagine") && !mentions("video")
            || word == b"generate"
            // Legnext's name, and KIE.ai's kinds of imagine (with image
            // prompts or references); GoAPI's plain `txt2img` is another model.
            || family("diffusion")
            || kie_imagine
        {
            Operation::Imagine
        } else if family("upscale") || family("upsample") || family("redo_upscale") {
            Operation::Upscale
        } else if (family("variation")
            || family("variations")
            || family("high_variation")
            || family("low_variation")
            || family("vary"))
            && !region()
        {
            Operation::Variation
        } else if family("reroll") {
            Operation::Reroll
        } else if family("describe") {
            Operation::Describe
        } else if family("blend") {
            Operation::Blend
        } else if family("outpaint")
            || family("zoom")
            || family("custom_zoom")
            // Midjourney lists Make Square among its zoom-outs: it widens the
            // canvas to a square and returns a new grid.
            || family("make_square")
        {
            Operation::Outpaint
        } else if family("pan") {
            Operation::Pan
        } else if family("inpaint") || (family("vary") || family("variation")) && region() {
            Operation::Inpaint
        } else if family("seed") {
            Operation::Seed
        } else if family("shorten") {
            Operation::Shorten
        } else {
            Operation::Other(kind.to_owned())
        };
        Some(operation)
    }

    /// The canonical spelling, or the vendor's for [`Operation::Other`].
    pub fn as_str(&self) -> &str {
        match self {
            Operation::Imagine => "imagine",
            Operation::Upscale => "upscale",
            Operation::Variation => "variation",
            Operation::Reroll => "reroll",
            Operation::Describe => "describe",
            Operation::Blend => "blend",
            Operation::Outpaint => "outpaint",
            Operation::Pan => "pan",
            Operation::Inpaint => "inpaint",
            Operation::Seed => "seed",
            Operation::Shorten => "shorten",
            Operation::Other(kind) => kind,
        }
    }

    /// Whether the operation's result is a 2×2 grid (rather than one image or
    /// text).
    pub fn makes_grid(&self) -> bool {
        matches!(
            self,
            Operation::Imagine
                | Operation::Variation
                | Operation::Reroll
                | Operation::Blend
                | Operation::Outpaint
                | Operation::Pan
                | Operation::Inpaint
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Operation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Reads with [`Operation::from_vendor`], so any string round-trips: a
/// canonical name gives its family, anything else stays [`Operation::Other`].
impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let kind = Cow::<str>::deserialize(deserializer)?;
        Operation::from_vendor(&kind)
            .ok_or_else(|| serde::de::Error::custom("expected an operation, found an empty string"))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Operation {
    fn schema_name() -> Cow<'static, str> {
        "Operation".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "imagine, upscale, variation, reroll, describe, blend, outpaint, pan, inpaint, seed, shorten, or the vendor's own operation name",
            "type": "string",
            "minLength": 1
        })
    }
}

/// One image URL a payload carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Image {
    /// The URL, verbatim.
    pub url: String,
    /// What the image is.
    pub role: ImageRole,
    /// 0-based position in the 2×2 grid, when known.
    #[cfg_attr(feature = "schema", schemars(range(max = 3)))]
    pub index: Option<u8>,
    /// Width in pixels, when the payload says.
    pub width: Option<u32>,
    /// Height in pixels, when the payload says.
    pub height: Option<u32>,
}

impl Image {
    /// An image with no index or size.
    pub fn new(url: impl Into<String>, role: ImageRole) -> Self {
        Image {
            url: url.into(),
            role,
            index: None,
            width: None,
            height: None,
        }
    }

    /// The same image at a 0-based grid position.
    pub fn at(mut self, index: u8) -> Self {
        self.index = Some(index);
        self
    }
}

/// What an image is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ImageRole {
    /// The 2×2 composite.
    Grid,
    /// One finished image: an upscale, or one quarter of a grid.
    Image,
    /// A partial image while the job runs, or the last one a job that
    /// failed or was cancelled showed.
    Preview,
    /// An image the job was given, such as a describe source.
    Input,
}

/// Why a job failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct JobError {
    /// The vendor's error code, as a string.
    pub code: Option<String>,
    /// The vendor's message (or its code, when it gave no message).
    pub message: String,
}

impl JobError {
    /// An error from a vendor's code and message; `None` when both are empty.
    ///
    /// The canonical message is never empty, so a code without a message
    /// doubles as the message. The message may be any text (a wire type's
    /// borrowed `Cow<str>`, a `&str`): it is copied only when kept.
    pub fn from_vendor(
        code: Option<String>,
        message: Option<impl AsRef<str> + Into<String>>,
    ) -> Option<JobError> {
        let code = code.filter(|code| !is_blank(code));
        let message = message
            .filter(|message| !is_blank(message.as_ref()))
            .map(Into::into);
        match (code, message) {
            (code, Some(message)) => Some(JobError { code, message }),
            (Some(code), None) => Some(JobError {
                message: code.clone(),
                code: Some(code),
            }),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_alike_whatever_their_length_or_script() {
        for (word, folded) in [
            ("  In-Progress ", "in_progress"),
            ("processing", "processing"),
            (
                "Variation Region Strong Extra Long Name",
                "variation_region_strong_extra_long_name",
            ),
            ("ÉCHEC-Total", "Échec_total"),
        ] {
            assert_eq!(&*fold_word(word), folded.as_bytes(), "{word:?}");
            assert!(fold_word(folded).matches(word), "{word:?}");
        }
        assert_eq!(
            Operation::from_vendor("Vary-Region-Strong-With-A-Very-Long-Suffix"),
            Some(Operation::Inpaint)
        );
    }

    #[test]
    fn status_words_fold_case_and_separators() {
        assert_eq!(JobStatus::from_vendor("in-progress"), JobStatus::InProgress);
        assert_eq!(JobStatus::from_vendor("IN_PROGRESS"), JobStatus::InProgress);
        assert_eq!(JobStatus::from_vendor("Completed"), JobStatus::Completed);
        assert_eq!(JobStatus::from_vendor("finished"), JobStatus::Completed);
        assert_eq!(JobStatus::from_vendor("staged"), JobStatus::Pending);
        assert_eq!(JobStatus::from_vendor("Accepted"), JobStatus::Pending);
        assert_eq!(JobStatus::from_vendor("NOT_STARTED"), JobStatus::Pending);
        assert_eq!(JobStatus::from_vendor("retrying"), JobStatus::InProgress);
        assert_eq!(JobStatus::from_vendor("canceled"), JobStatus::Cancelled);
        assert_eq!(JobStatus::from_vendor("success"), JobStatus::Unknown);
        assert_eq!(JobStatus::from_vendor("NOT_START"), JobStatus::Pending);
        assert_eq!(JobStatus::from_vendor("MODAL"), JobStatus::Pending);
        assert_eq!(JobStatus::from_vendor("PENDING_QUEUE"), JobStatus::Pending);
        assert_eq!(JobStatus::from_vendor("ON_QUEUE"), JobStatus::InProgress);
        assert_eq!(JobStatus::from_vendor("CANCEL"), JobStatus::Cancelled);
        assert_eq!(JobStatus::from_vendor("DONE"), JobStatus::Completed);
        assert_eq!(JobStatus::from_vendor("FAIL"), JobStatus::Failed);
        assert_eq!(JobStatus::from_vendor(""), JobStatus::Unknown);
    }

    #[test]
    fn status_from_str_reads_canonical_spellings_only() {
        for status in JobStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
            assert_eq!(status.to_string().to_uppercase().parse(), Ok(status));
        }
        assert_eq!(" in progress ".parse(), Ok(JobStatus::InProgress));
        for word in ["processing", "canceled", "", "done", "pending!"] {
            let error = word.parse::<JobStatus>().unwrap_err();
            assert_eq!(error.word(), word);
        }
        let error = "bad\nline".parse::<JobStatus>().unwrap_err().to_string();
        assert!(error.contains(r#""bad\nline""#), "{error}");
    }

    #[test]
    fn status_json_reads_unknown_words_as_unknown() {
        for status in JobStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(serde_json::from_str::<JobStatus>(&json).unwrap(), status);
        }
        for word in [r#""paused""#, r#""Completed""#, r#""""#] {
            assert_eq!(
                serde_json::from_str::<JobStatus>(word).unwrap(),
                JobStatus::Unknown,
                "{word}"
            );
        }
        assert!(serde_json::from_str::<JobStatus>("3").is_err());
        assert!(serde_json::from_str::<JobStatus>("null").is_err());
    }

    #[test]
    fn operation_families() {
        let family = |kind| Operation::from_vendor(kind).unwrap();
        for kind in [
            "upscale#3",
            "upscale-1x",
            "upscale-creative",
            "upscale_2x",
            "Upscale",
            "UPSCALE_HD",
            "upsample2",
            "redo_upscale_creative",
        ] {
            assert_eq!(family(kind), Operation::Upscale, "{kind}");
        }
        for kind in [
            "variation-strong",
            "variation-1",
            "variation",
            "HIGH_VARIATION",
            "low_variation",
        ] {
            assert_eq!(family(kind), Operation::Variation, "{kind}");
        }
        assert_eq!(family("outpaint-1.5"), Operation::Outpaint);
        assert_eq!(family("CUSTOM_ZOOM"), Operation::Outpaint);
        assert_eq!(family("zoom_out_1_5"), Operation::Outpaint);
        assert_eq!(family("make_square"), Operation::Outpaint);
        assert_eq!(family("MAKE-SQUARE"), Operation::Outpaint);
        assert_eq!(family("pan-left"), Operation::Pan);
        assert_eq!(family("vary-region"), Operation::Inpaint);
        assert_eq!(family("variation_region"), Operation::Inpaint);
        assert_eq!(family("generate"), Operation::Imagine);
        assert_eq!(family("zoom_out_1_5x"), Operation::Outpaint);
        assert_eq!(family("faceswap"), Operation::Other("faceswap".into()));
        assert_eq!(
            family("imagine-video"),
            Operation::Other("imagine-video".into())
        );
        assert_eq!(family("panorama"), Operation::Other("panorama".into()));
        for kind in ["diffusion", "mj_txt2img", "mj_img2img", "mj_omni_reference"] {
            assert_eq!(family(kind), Operation::Imagine, "{kind}");
        }
        assert_eq!(family("mj_upscale"), Operation::Upscale);
        assert_eq!(family("mj_vary"), Operation::Variation);
        assert_eq!(
            family("mj_video_hd"),
            Operation::Other("mj_video_hd".into())
        );
        assert_eq!(family("txt2img"), Operation::Other("txt2img".into()));
        assert_eq!(
            family("video-diffusion"),
            Operation::Other("video-diffusion".into())
        );
        assert_eq!(Operation::from_vendor("  "), None);
    }

    #[test]
    fn operation_json_round_trips_through_from_vendor() {
        for kind in ["imagine", "outpaint", "faceswap", "flux-imagine"] {
            let operation = Operation::from_vendor(kind).unwrap();
            let json = serde_json::to_string(&operation).unwrap();
            assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), operation);
        }
    }

    #[test]
    fn progress_is_bounded() {
        assert_eq!(Progress::new(100), Some(Progress::DONE));
        assert_eq!(Progress::new(101), None);
        let err = serde_json::from_str::<Progress>("101").unwrap_err();
        assert!(err.to_string().contains("found 101"), "{err}");
    }

    #[test]
    fn job_error_needs_a_code_or_a_message() {
        assert_eq!(
            JobError::from_vendor(Some("0".into()).filter(|_| false), Some(String::new())),
            None
        );
        let error = JobError::from_vendor(Some("E42".into()), None::<String>).unwrap();
        assert_eq!(
            (error.code.as_deref(), error.message.as_str()),
            (Some("E42"), "E42")
        );
    }
}
