//! The AsyncAPI 2.6 "Midjourney Image Generation Webhooks" format.
//!
//! One payload serves four events (`job.progress`, `job.completed`,
//! `job.failed`, `job.cancelled`). Besides the webhook this module reads the
//! spec's REST bodies a receiver may poll: the job object (`id` instead of
//! `job_id`), the job list `{data: [...], total, limit, offset}`, the creation
//! reply `{status: "SUCCESS", data: {job_id}}` and the error reply
//! `{status: "ERROR", code, message}`.
//!
//! Decisions where the spec is silent:
//! - The creation reply `{status: "SUCCESS", message, data: {job_id}}` and
//!   nothing beside is byte for byte TTAPI's submit reply too: detection
//!   calls it a tie ([`DecodeError::Ambiguous`]); named, it decodes.
//! - `status` decides, even when it is a word this crate does not know
//!   (`unknown`, the word kept in `provider_status`); `event` decides only
//!   when `status` is missing, `null` or `""`, and a body with neither is an
//!   error. A mismatch (`job.progress` with `completed`) is not an error:
//!   the status field is the one the spec requires.
//! - `id` is read only when `job_id` is absent (or empty).
//! - Image `index` is 1–4 on the wire and 0–3 in the event; another number is
//!   an error. An image without `index` is the grid of a job that makes one
//!   (or of an unnamed type); an upscale's (or another single-image job's)
//!   is the result, a describe's the image described. (Like every provider's, the images of
//!   a pending or running job are previews.)
//! - `error` is reported only for a failed job: the spec's examples carry an
//!   error object on running and completed jobs too.
//! - `occurred_at` is `timestamp` (or, in a polled job object, `updated_at`,
//!   else, once the job ended, `completed_at`).
//!   A `timestamp` that is a number is refused: the spec's is a date-time
//!   string, and `{event: "job.completed", job_id, status, timestamp:
//!   1718000000}` is other job services' notice.
//! - Many APIs send `{job_id, event, status}` or `{id, type, status}`
//!   objects. A body is AsyncAPI's only when nearly all its keys are ones
//!   the spec documents (see [`Signature::closed`]), its `error`, if any,
//!   is an object, and, for `job_id` without `event`, one of the spec's
//!   status words stands beside the payload's `timestamp` or a job `type`;
//!   a `result` with keys but neither `images` nor `prompts` is an error.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_with::de::DeserializeAsWrap;
use serde_with::{serde_as, skip_serializing_none, DefaultOnError};

use super::format::{fields_of, Envelope, Format, Signature, StatusMark, WordKey};
use super::{finish, At, Check, Events, Provider};
use crate::error::DecodeError;
use crate::event::{is_word, Image, ImageRole, JobEvent, JobStatus, Operation};
use crate::quirks::{
    clean_prompts, is_blank, BorrowedText, ErrorDetail, NullableList, ObjectOnly, OneOrMany,
    Percent, Skipped, StringOrInt, Timestamp,
};

const PROVIDER: Provider = Provider::Asyncapi;

/// `JobWebhookPayload`, the REST job object, or one of the REST envelopes
/// around it (which reuse `status` and add `data`, `code`, `message`).
///
/// `Data` is the type of `data`: a body is a `Wire<OneOrMany<Wire>>`; a job
/// inside an envelope is a `Wire`, whose own `data`, if any, is skipped.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Wire<'a, Data = Skipped> {
    /// `job.progress`, `job.completed`, `job.failed`, `job.cancelled`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub event: Option<Cow<'a, str>>,
    /// The job's id in the webhook.
    #[serde(borrow)]
    pub job_id: Option<StringOrInt<'a>>,
    /// The job's id in the REST job object.
    #[serde(borrow)]
    pub id: Option<StringOrInt<'a>>,
    /// `pending`, `in_progress`, `completed`, `failed`, `cancelled`; in the
    /// REST envelopes `SUCCESS` or `ERROR`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    /// 0–100.
    #[serde(borrow)]
    pub progress: Option<Percent<'a>>,
    /// `imagine`, `upscale`, `variation`, `describe`, `blend`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    /// The prompt.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub prompt: Option<Cow<'a, str>>,
    /// Present once the job completed.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub result: Option<JobResult<'a>>,
    /// Present once the job failed (and, in practice, sometimes otherwise).
    #[serde(borrow)]
    pub error: Option<ErrorDetail<'a>>,
    /// When the event was generated.
    #[serde(borrow)]
    pub timestamp: Option<Timestamp<'a>>,
    /// REST job object only.
    #[serde(borrow)]
    pub created_at: Option<Timestamp<'a>>,
    /// REST job object only.
    #[serde(borrow)]
    pub updated_at: Option<Timestamp<'a>>,
    /// REST job object only: when the job ended (read only where it is
    /// the fallback for `occurred_at`, so a value that is no date-time is
    /// none).
    #[serde_as(as = "DefaultOnError")]
    #[serde(borrow, default)]
    pub completed_at: Option<Timestamp<'a>>,
    /// REST envelopes: the job list, or `{job_id}` after creation.
    pub data: Option<Data>,
    /// REST error reply (a string; a number is read as its decimal text).
    #[serde(borrow)]
    pub code: Option<StringOrInt<'a>>,
    /// REST envelopes.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub message: Option<Cow<'a, str>>,
}

/// `result` of a completed job: the spec's `images` and `prompts`. Keys the
/// spec does not name are ignored beside one of them; a result with keys
/// but neither is another API's (`{job_id, status, result: {urls}}`) and an
/// error, never a job that finished with no images.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct JobResult<'a> {
    /// The grid and the images.
    #[serde_as(as = "NullableList<ObjectOnly>")]
    pub images: Vec<WireImage<'a>>,
    /// Describe's prompt suggestions.
    #[serde_as(as = "NullableList")]
    pub prompts: Vec<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for JobResult<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(field_identifier, rename_all = "lowercase")]
        enum Field {
            Images,
            Prompts,
            #[serde(other)]
            Other,
        }

        struct ResultVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for ResultVisitor<'a> {
            type Value = JobResult<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with `images` or `prompts`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut images, mut prompts) = (None, None);
                let mut others = false;
                while let Some(field) = map.next_key()? {
                    match field {
                        Field::Images if images.is_some() => {
                            return Err(de::Error::duplicate_field("images"))
                        }
                        Field::Prompts if prompts.is_some() => {
                            return Err(de::Error::duplicate_field("prompts"))
                        }
                        // `null` is read as an empty list: `Some(None)`.
                        Field::Images => {
                            let list = map.next_value::<Option<
                                DeserializeAsWrap<_, NullableList<ObjectOnly>>,
                            >>()?;
                            images = Some(list.map(DeserializeAsWrap::into_inner));
                        }
                        Field::Prompts => {
                            let list =
                                map.next_value::<Option<DeserializeAsWrap<_, NullableList>>>()?;
                            prompts = Some(list.map(DeserializeAsWrap::into_inner));
                        }
                        Field::Other => {
                            others = true;
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                // A `null` list is no evidence that the result is the spec's.
                let spec_keys = matches!(images, Some(Some(_))) || matches!(prompts, Some(Some(_)));
                if others && !spec_keys {
                    return Err(de::Error::custom(
                        "a result without `images` or `prompts`, the spec's keys",
                    ));
                }
                Ok(JobResult {
                    images: images.flatten().unwrap_or_default(),
                    prompts: prompts.flatten().unwrap_or_default(),
                })
            }
        }

        deserializer.deserialize_struct(
            "JobResult",
            &["images", "prompts"],
            ResultVisitor(PhantomData),
        )
    }
}

/// One generated image.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WireImage<'a> {
    /// The image's URL.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub url: Option<Cow<'a, str>>,
    /// 1 (top left) to 4 (bottom right); absent or null for a grid or an upscale.
    pub index: Option<i64>,
    /// Pixels.
    pub width: Option<u32>,
    /// Pixels.
    pub height: Option<u32>,
}

/// The spec's job status words.
const STATUSES: StatusMark =
    StatusMark::Words(&["pending", "in_progress", "completed", "failed", "cancelled"]);

/// The spec's webhook event names.
const EVENTS: &[&str] = &[
    "job.progress",
    "job.completed",
    "job.failed",
    "job.cancelled",
];

/// The keys of the webhook payload and of the job object it echoes: not the
/// list's `data` and counts, nor the error reply's `code` and `message`,
/// which other job APIs' webhooks send beside these words.
const JOB_KEYS: &[&str] = &[
    "job_id",
    "id",
    "event",
    "status",
    "timestamp",
    "type",
    "progress",
    "prompt",
    "result",
    "error",
    "parameters",
    "parent_job_id",
    "image_index",
    "created_at",
    "updated_at",
    "completed_at",
    "webhook_url",
    "webhook_type",
];

/// The spec's job types.
const TYPES: &[&str] = &["imagine", "upscale", "variation", "describe", "blend"];

/// How AsyncAPI bodies look: a job keyed by `job_id` (the webhook) or `id`
/// (the REST job object), bare or in the REST list's `data`; the REST error
/// reply `{status: "ERROR", code, message}`.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Wire>().to_vec(),
    also_sends: &[
        "parameters",
        "parent_job_id",
        "image_index",
        "webhook_url",
        "webhook_type",
        "total",
        "limit",
        "offset",
    ],
    record: &[
        // The webhook: one of the spec's event names or status words, on a
        // body of the payload's and the job object's documented keys
        // (`{job_id, event|status}` with keys of its own is what many other
        // APIs send). A `type`, wherever sent, is one of the spec's. Without
        // an event, the spec's status words need the payload's `timestamp`
        // or a job type beside them: `{job_id, status, progress, created_at,
        // completed_at}` in those words is other job APIs' status reply too.
        // Its `error` is an object, where other job APIs send text. An
        // event without a status (which then decides) needs a job type or a
        // result beside it: `{job_id, event: "job.completed", timestamp}`
        // is any job system's notice, and would be a completed job with
        // nothing in it.
        Signature::keys(&["job_id", "event"], &["status", "type", "result"])
            .word(WordKey::Event, EVENTS)
            .word(WordKey::Type, TYPES)
            .error_object()
            .only_among(JOB_KEYS),
        Signature::keys(&["job_id", "status"], &["timestamp", "type"])
            .status(STATUSES)
            .word(WordKey::Type, TYPES)
            .error_object()
            .only_among(JOB_KEYS),
        // The REST job object: `id` with one of the spec's job types, on a
        // body of the job object's documented keys (`{id, type, status}` is
        // the shape of many other APIs' objects too).
        Signature::keys(&["id", "type"], &[])
            .word(WordKey::Type, TYPES)
            .error_object()
            .closed(),
        Signature::keys(
            &["id"],
            &[
                "parameters",
                "parent_job_id",
                "image_index",
                "webhook_url",
                "webhook_type",
            ],
        )
        .word(WordKey::Type, TYPES)
        .error_object()
        .closed(),
    ],
    envelopes: &[
        // The job list.
        Envelope {
            key: "data",
            outer: None,
            carries_id: None,
            record: &[],
        },
        // The creation reply, `{status: "SUCCESS", message, data: {job_id}}`:
        // the new job's id alone (bare, `{job_id}` is other APIs' submit
        // reply, and no AsyncAPI body).
        Envelope {
            key: "data",
            outer: Some(Signature::keys(&["status"], &[]).status(StatusMark::Words(&["SUCCESS"]))),
            carries_id: None,
            record: &[Signature::keys(&["job_id"], &[]).only()],
        },
    ],
    // `ErrorResponse`, `{status: "ERROR", code, message}` and nothing else:
    // beside a job's keys (`id`, `error`, `timestamp`) the same word is
    // other APIs' failed job.
    replies: &[Signature::keys(&["status"], &["code", "message"])
        .status(StatusMark::Words(&["error"]))
        .only()],
};

/// Every job in an AsyncAPI body: one for a webhook or job object, each
/// element of a job list.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// One job's event from an AsyncAPI body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let wire: Wire<OneOrMany<Wire>> = super::parse(PROVIDER, text, check)?;
    normalize_body(wire)
}

/// Unwraps the REST envelopes, then normalizes each job.
fn normalize_body(mut wire: Wire<OneOrMany<Wire>>) -> Result<Events, DecodeError> {
    let has_id = wire.job_id.is_some() || wire.id.is_some();
    let envelope_says = |word: &str| {
        wire.status
            .as_deref()
            .is_some_and(|status| is_word(status, word))
    };
    if !has_id && envelope_says("ERROR") {
        return Err(DecodeError::Vendor {
            provider: PROVIDER,
            code: wire
                .code
                .map_or_else(|| "ERROR".to_owned(), |code| code.to_text().into_owned()),
            message: wire.message.map(Cow::into_owned),
        });
    }
    match wire.data.take() {
        Some(data) if !has_id => {
            // `{status: "SUCCESS", data: {job_id}}` acknowledges a new job.
            let accepted = envelope_says("SUCCESS");
            super::normalize_records(PROVIDER, "data", data, |record, at| {
                normalize(record, at, accepted)
            })
        }
        _ => Ok(Events::One(normalize(wire, At::TOP, false)?)),
    }
}

/// Maps one webhook payload or job object; `at` prefixes JSON paths in
/// errors. A job just `accepted` by the creation reply has no status yet and
/// is pending.
fn normalize<Data>(wire: Wire<Data>, at: At, accepted: bool) -> Result<JobEvent, DecodeError> {
    let job_id = super::job_id(
        PROVIDER,
        at,
        "missing field `job_id` (nor is there an `id`)",
        [("job_id", wire.job_id), ("id", wire.id)],
    )?;
    if let Some(Timestamp::Epoch(_) | Timestamp::EpochMillis(_)) = &wire.timestamp {
        // The spec's one time is a date-time string; an epoch beside a job
        // id and a status is another job service's notice.
        return Err(DecodeError::another_api(
            PROVIDER,
            format!("{at}timestamp"),
            format!(
                "its `{at}timestamp` is a number, as other job services send it, where the \
                 spec's webhook sends an ISO 8601 date-time string"
            ),
        ));
    }
    // `""` is no status, as a missing one (a shared rule of the decoders).
    let status_word = wire.status.as_deref().filter(|status| !is_blank(status));
    let status = match (status_word, wire.event.as_deref(), accepted) {
        // A word of its own, known or not, is the status: an unknown one
        // stays unknown rather than borrow a meaning from `event`.
        (Some(status), _, _) => JobStatus::from_vendor(status),
        (None, Some(event), _) => status_of_event(event),
        (None, None, true) => JobStatus::Pending,
        (None, None, false) => {
            return Err(DecodeError::field(
                PROVIDER,
                format!("{at}status"),
                "missing field `status` (nor is there an `event`)",
            ));
        }
    };

    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.provider_status = wire.status.map(Cow::into_owned);
    event.progress = wire.progress.as_ref().and_then(Percent::progress);
    event.operation = wire.kind.as_deref().and_then(Operation::from_vendor);
    event.prompt = wire
        .prompt
        .filter(|prompt| !prompt.is_empty())
        .map(Cow::into_owned);
    if let Some(result) = wire.result {
        let single_image = event.operation == Some(Operation::Upscale);
        // Without an index, an image is the grid only of a job that makes
        // one: a describe's is the image described, another job's its result.
        let unindexed = match &event.operation {
            Some(Operation::Describe) => ImageRole::Input,
            Some(operation) if !operation.makes_grid() => ImageRole::Image,
            _ => ImageRole::Grid,
        };
        for (n, image) in result.images.into_iter().enumerate() {
            let Some(url) = image.url else { continue };
            let index = grid_index(image.index, at, n)?;
            // An upscale is one finished image, not a position in a grid.
            let index = index.filter(|_| !single_image);
            let role = if index.is_some() {
                ImageRole::Image
            } else {
                unindexed
            };
            let mut image_out = Image::new(url, role);
            image_out.index = index;
            image_out.width = image.width;
            image_out.height = image.height;
            event.images.push(image_out);
        }
        event.prompts = clean_prompts(&result.prompts);
    }
    if status == JobStatus::Failed {
        event.error = wire.error.as_ref().and_then(ErrorDetail::to_job_error);
    }
    // A job that ended and says nothing later happened when it ended.
    let ended_at = wire.completed_at.filter(|_| status.is_terminal());
    event.occurred_at = (wire.timestamp.or(wire.updated_at).as_ref())
        .and_then(Timestamp::to_utc)
        .or_else(|| ended_at.as_ref().and_then(Timestamp::to_utc));
    event.created_at = wire.created_at.as_ref().and_then(Timestamp::to_utc);
    finish(&mut event);
    Ok(event)
}

/// The status an event name implies, for payloads without a `status`.
fn status_of_event(event: &str) -> JobStatus {
    match event.strip_prefix("job.") {
        Some(state @ ("completed" | "failed" | "cancelled")) => JobStatus::from_vendor(state),
        Some("progress") => JobStatus::InProgress,
        _ => JobStatus::Unknown,
    }
}

/// Image `n`'s 1-based grid position (the spec's), 0-based; a position off the grid is
/// an error at `{at}result.images[n].index`.
fn grid_index(index: Option<i64>, at: At, n: usize) -> Result<Option<u8>, DecodeError> {
    match index {
        None => Ok(None),
        Some(index @ 1..=4) => Ok(u8::try_from(index - 1).ok()),
        Some(other) => Err(DecodeError::field(
            PROVIDER,
            format!("{at}result.images[{n}].index"),
            format!("expected a grid position from 1 to 4, found {other}"),
        )),
    }
}
