//! midjourney-api.com: `hookUrl` callbacks and `job-status` polling.
//!
//! Every reply is an envelope `{status, message?, data}` whose `status` is an
//! API result code (0 = OK; 1001 = quota, 1002 = concurrency), around one task
//! record (the webhook) or an array of them (job-status). A bare record is
//! accepted too, but not a bare `{taskId}`: the submit reply's `data` comes
//! in its envelope, and an id alone is many APIs' reply. A record's own
//! `status` is 0 (in progress), 1 (completed) or 2 (failed), as a number or
//! a numeric string.
//!
//! Decisions where the vendor is silent:
//! - An envelope with a non-zero result code is [`DecodeError::Vendor`].
//! - A record without `status` is completed when it carries images, failed
//!   when it carries a `failReason`, and otherwise pending (the submit reply
//!   `{taskId}`). A status word (not a documented form) is read as a status
//!   word of any vendor, so `"processing"` is in progress and an unknown one
//!   is `unknown`.
//! - Failure text: `failReason`, else the record's own `message`, else its
//!   `error` (text or `{code, message}`), as other clients of this API read
//!   them.
//! - A body with `taskId` is a bare record, unless its `data` holds a record
//!   (any key a record has): then it is an envelope echoing the id, and its
//!   `status` is the API result code.
//! - Every event is an imagine: the vendor has no other operation.
//! - `images` are the four quarters; `image`, when it is not one of them, is
//!   taken to be the grid (as in the TTAPI format this vendor resembles).
//!   `images` elements may also be `{"url": …}` objects.
//! - `jobId` (Midjourney's own UUID) is not read: the model has no place
//!   for it.
//! - `prompt` is preferred over `mjPrompt` (the text actually sent to
//!   Midjourney), unless it is empty. `meta.width`/`meta.height` are not mapped: which image
//!   they describe is undocumented.

use std::fmt;

use std::borrow::Cow;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Envelope, Format, Signature, StatusMark};
use super::{finish, push_finished_images, At, Check, Events, Provider};
use crate::error::DecodeError;
use crate::event::{Image, ImageRole, JobError, JobEvent, JobStatus, Operation};
use crate::quirks::{
    is_blank, AnyErrorValue, BorrowedText, EmptyAsNone, ErrorDetail, NullableList, OneOrMany,
    Skipped, StringOrInt, Timestamp,
};

const PROVIDER: Provider = Provider::MidjourneyApi;

/// A task record; with `data`, the envelope around one or several (its
/// `status` is then the API result code).
///
/// `Data` is the type of `data`: a body is a `Record<OneOrMany<Record>>`; a
/// record inside an envelope is a `Record`, whose own `data`, if any, is
/// skipped.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a, Data = Skipped> {
    /// The vendor's 21-character task id.
    #[serde(borrow)]
    pub task_id: Option<StringOrInt<'a>>,
    /// Record: 0, 1 or 2. Envelope: the API result code.
    #[serde(borrow)]
    pub status: Option<StringOrInt<'a>>,
    /// When the task was created, epoch milliseconds.
    #[serde(borrow)]
    pub created_at: Option<Timestamp<'a>>,
    /// Why the task failed.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub fail_reason: Option<Cow<'a, str>>,
    /// A result image.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image: Option<Cow<'a, str>>,
    /// The four quarters.
    #[serde_as(as = "NullableList")]
    #[serde(default)]
    pub images: Vec<ImageUrl>,
    /// The prompt as submitted.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub prompt: Option<Cow<'a, str>>,
    /// The prompt as sent to Midjourney.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub mj_prompt: Option<Cow<'a, str>>,
    /// Envelope: `"success"` or the reason for a non-zero code. Record:
    /// failure text, where `failReason` is missing.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
    /// Record: failure text or `{code, message}`, where neither `failReason`
    /// nor `message` is given (the vendor's clients read all three).
    #[serde_as(as = "AnyErrorValue")]
    #[serde(borrow, default)]
    pub error: Option<Box<ErrorDetail<'a>>>,
    /// Envelope: one record (webhook) or several (job-status).
    pub data: Option<Data>,
}

impl<Data> Record<'_, Data> {
    /// Whether the record states a job of its own (its images, its prompt,
    /// its time or its failure): no envelope's reply does.
    fn shows_a_result(&self) -> bool {
        self.image.is_some()
            || !self.images.is_empty()
            || self.prompt.is_some()
            || self.mj_prompt.is_some()
            || self.created_at.is_some()
            || self.fail_reason.is_some()
    }
}

/// An image URL, sent as a string or as `{"url": …}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageUrl(pub String);

impl Serialize for ImageUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ImageUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ImageUrlVisitor;
        impl<'de> Visitor<'de> for ImageUrlVisitor {
            type Value = ImageUrl;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an image URL string or an object with a `url`")
            }
            fn visit_str<E: de::Error>(self, url: &str) -> Result<ImageUrl, E> {
                Ok(ImageUrl(url.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ImageUrl, A::Error> {
                // A `null` or missing `url` is no image, as a `null` item
                // is: it keeps its place in the list (an empty URL).
                #[derive(Deserialize)]
                struct UrlObject {
                    url: Option<String>,
                }
                UrlObject::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|object| ImageUrl(object.url.unwrap_or_default()))
            }
        }
        deserializer.deserialize_any(ImageUrlVisitor)
    }
}

/// midjourney-api.com's own keys beside `taskId`.
const MARKS: &[&str] = &[
    "jobId",
    "images",
    "image",
    "failReason",
    "createdAt",
    "mjPrompt",
    "hookUrl",
];

/// How midjourney-api.com bodies look: a record keyed by `taskId` whose
/// `status` is a number (0/1/2), bare or in the envelope `{status, message,
/// data}` whose `status` is the API result code (the envelope may carry the
/// `taskId`); error replies `{status: 1001, message}`.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Record>().to_vec(),
    // The request's `mode` may be echoed, as `hookUrl` is (a key another
    // format knows, so naming it here makes no body foreign to the others).
    also_sends: &["jobId", "hookUrl", "mode", "meta", "action", "seed"],
    record: &[
        // Its statuses are numbers: a record with a status word is other
        // APIs' (`{taskId, status: "succeeded", images}`).
        Signature::keys(&["taskId"], MARKS)
            .status(StatusMark::NoneOrCode)
            .closed(),
        Signature::keys(&["taskId"], &[])
            .status(StatusMark::Code)
            .closed(),
        // `{taskId}` alone is many APIs' submit reply, and this vendor's
        // only inside its envelope (below).
    ],
    envelopes: &[
        Envelope {
            key: "data",
            // Only the vendor's own keys beside `data` (the job-status
            // sample has neither its result code nor its message), and
            // records whose status, if any, is a number, or the submit
            // reply's `{taskId}`.
            outer: Some(Signature::keys(&[], &[]).closed()),
            carries_id: Some("taskId"),
            record: &[Signature::keys(&["taskId"], &[]).only()],
        },
        Envelope {
            key: "data",
            // With the vendor's result code beside `data`, and only its own
            // keys.
            outer: Some(
                Signature::keys(&["status"], &[])
                    .status(StatusMark::Code)
                    .closed(),
            ),
            carries_id: Some("taskId"),
            // A status word (undocumented, but sent by hybrids) on a record
            // of its own keys, inside the vendor's envelope with its result
            // code: `{taskId, status}` with a word, bare or in a `data` on
            // its own, is what other APIs send too.
            record: &[Signature::keys(&["taskId", "status"], &[]).closed()],
        },
    ],
    replies: &[
        Signature::keys(&["status", "message"], &[])
            .status(StatusMark::Code)
            .only(),
        Signature::keys(&["status", "message", "data"], &[])
            .status(StatusMark::Code)
            .only(),
    ],
};

/// Every task in a midjourney-api.com body.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// One task's event from a midjourney-api.com body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let mut body: Record<OneOrMany<Record>> = super::parse(PROVIDER, text, check)?;
    // A record with `taskId` on its own. Beside a `data` that holds a
    // record (any of a record's keys), `taskId` is the envelope's (the
    // vendor's own handlers read `data.taskId || taskId`), and the
    // envelope's `status` is its API code: the record is never dropped.
    // Without `data`, a record's own keys (its images, its prompt) make a
    // record too, whose missing `taskId` is the error, not its `status`
    // read as an API code.
    let bare = match &body.data {
        Some(data) => body.task_id.is_some() && !data.any(|record| *record != Record::default()),
        None => body.task_id.is_some() || body.shows_a_result(),
    };
    if bare {
        return Ok(Events::One(normalize(body, At::TOP)?));
    }
    let envelope_task_id = body.task_id.take();
    // An envelope: its status is the API result code, not a task status.
    if let Some(code) = &body.status {
        match code.as_int() {
            Some(0) => {}
            Some(_) => {
                return Err(DecodeError::Vendor {
                    provider: PROVIDER,
                    code: code.to_text().into_owned(),
                    message: body.message.map(Cow::into_owned),
                });
            }
            None => {
                return Err(DecodeError::field(
                    PROVIDER,
                    "status",
                    format!(
                        "expected an API result code (0 for success), found {:?}",
                        code.to_text()
                    ),
                ));
            }
        }
    }
    match body.data.take() {
        Some(data) => {
            super::check_envelope_id(
                PROVIDER,
                "taskId",
                "data",
                envelope_task_id.as_ref(),
                &data,
                |record| record.task_id.as_ref(),
            )?;
            super::normalize_records(PROVIDER, "data", data, |mut record, at| {
                if record.task_id.is_none() {
                    record.task_id.clone_from(&envelope_task_id);
                }
                normalize(record, at)
            })
        }
        None => Err(DecodeError::field(
            PROVIDER,
            ".",
            "missing field `data` (an envelope) or `taskId` (a bare record)",
        )),
    }
}

/// Maps one task record; `at` prefixes JSON paths in errors.
fn normalize<Data>(record: Record<Data>, at: At) -> Result<JobEvent, DecodeError> {
    let task_id = super::job_id(
        PROVIDER,
        at,
        "missing field `taskId`",
        [("taskId", record.task_id)],
    )?;
    let has_images = record.image.is_some() || record.images.iter().any(|url| !is_blank(&url.0));
    // `""` is no status, as a missing key is.
    let stated = record
        .status
        .filter(|code| !matches!(code, StringOrInt::Str(text) if is_blank(text)));
    let status = match &stated {
        None if has_images => JobStatus::Completed,
        None if record.fail_reason.is_some() => JobStatus::Failed,
        None => JobStatus::Pending,
        Some(code) => match code.as_int() {
            Some(0) => JobStatus::InProgress,
            Some(1) => JobStatus::Completed,
            Some(2) => JobStatus::Failed,
            Some(_) => JobStatus::Unknown,
            None => JobStatus::from_vendor(&code.to_text()),
        },
    };

    let mut event = JobEvent::new(PROVIDER, task_id, status);
    event.provider_status = stated.map(|code| code.to_text().into_owned());
    event.operation = Some(Operation::Imagine);
    event.prompt = [record.prompt, record.mj_prompt]
        .into_iter()
        .flatten()
        .find(|prompt| !prompt.is_empty())
        .map(Cow::into_owned);
    let quarters: Vec<String> = record.images.into_iter().map(|url| url.0).collect();
    if let Some(image) = record
        .image
        .filter(|image| !quarters.iter().any(|quarter| quarter == image))
    {
        event.images.push(Image::new(image, ImageRole::Grid));
    }
    push_finished_images(&mut event, quarters);
    if status == JobStatus::Failed {
        event.error = JobError::from_vendor(None, record.fail_reason)
            .or_else(|| JobError::from_vendor(None, record.message))
            .or_else(|| record.error.as_deref().and_then(ErrorDetail::to_job_error));
    }
    event.created_at = record.created_at.as_ref().and_then(Timestamp::to_utc);
    finish(&mut event);
    Ok(event)
}
