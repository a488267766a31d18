//! AceDataCloud's Midjourney API (`api.acedata.cloud/midjourney/*`).
//!
//! One flat, snake_case result object is the synchronous reply of
//! `/midjourney/imagine` (and `/describe`, `/videos`, `/edits`), each line of
//! its NDJSON stream, and the body POSTed to `callback_url`:
//! `{success, task_id, image_id, image_url, image_width, image_height,
//! raw_image_url, raw_image_width, raw_image_height, progress, actions}`,
//! or `{success: false, task_id, error: {code, message}}` when the task
//! failed. `/midjourney/tasks` returns task records `{id, created_at,
//! finished_at, type, request, response}` (the result object under
//! `response`, float epoch seconds), several as `{items, count}`. An error
//! reply `{success: false, error, trace_id}` (`success` is left out in some)
//! has no task id and is [`DecodeError::Vendor`].
//!
//! Decisions where the vendor is silent:
//! - Results carry no status word: `success: false` is failed; a `progress`
//!   below 100 is in progress; 100, or results without a progress, is
//!   completed; `{success: true, task_id}` with neither is the callback-mode
//!   acknowledgement, pending. A record takes its `response`'s status; a
//!   record without one is in progress. `provider_status` stays null: the
//!   vendor has no word to quote.
//! - `image_url` (thumbnail-sized) and `raw_image_url` (full size) are both
//!   kept, in that order, each with its own width and height. They are
//!   previews while the task runs. Once done they are the grid when the
//!   record's `request.action` makes one, when the four `sub_image_urls` are
//!   there, or when `actions` offers `upscale1`…`upscale4` (`upsample1`…
//!   from Zhishuyun, AceData's earlier name); otherwise a single
//!   image (an upscale, and the safe reading when nothing says "grid").
//!   `sub_image_urls` are the quarters, indexes 0–3.
//! - A videos reply's `image_url` is the input frame; `video_urls` are not
//!   images. A record's `request.image_url` is an input image.
//! - Result bodies name no operation, except that `descriptions` only comes
//!   from describe. Records: `request.action` (`generate` is imagine,
//!   `variation_region` inpaint, `zoom_out_*` outpaint), else `type`; a
//!   video result's `generate` is the videos API's, and `type` names it.
//! - `prompt` is the record's `request.prompt`; results carry none.
//! - `image_id` (a Discord message id) and `job_id` (Midjourney's) are not
//!   the task id and are not read.
//! - `{task_id}` alone, the immediate reply in callback mode, is pending. It
//!   is byte for byte APIFRAME's submit reply, so detection names APIFRAME
//!   for it (the two events agree but for `provider`); naming `acedata`
//!   decodes it as AceData's.
//! - Records of AceData's other APIs share the task store: a record is
//!   Midjourney's when its `type` is `imagine`, `describe` or `edits`, or
//!   its `response` shows a Midjourney result; a record still running or
//!   failed with neither could be any API's and is refused. A `response`
//!   with keys no result object has and nothing of a Midjourney result
//!   (Suno's `data`, Luma's `state`), or a `request` naming a `model` other
//!   than Midjourney's, refuses the body (in a batch, the whole batch).
//!   So does a result with `image_size` (the face-swap API's) or `seed`
//!   (the artistic-QR-code API's), which are otherwise a Midjourney
//!   result's `task_id`, `image_url` and size, and a result whose image
//!   comes with nothing of a Midjourney result (`image_id`,
//!   `raw_image_url`, `actions`, `progress`, sub-images, descriptions, a
//!   video): the artistic-QR-code API's documented reply.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{CowStrDeserializer, MapAccessDeserializer};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, some_keys, Envelope, Format, KeyTable, Signature};
use super::{finish, At, Check, Events, Provider};
use crate::detect::Key;
use crate::error::DecodeError;
use crate::event::{is_word, Image, ImageRole, JobEvent, JobId, JobStatus, Operation, Progress};
use crate::quirks::{
    clean_prompts, is_blank, shown_key, BorrowedText, EmptyAsNone, ErrorDetail, FractionalEpoch,
    NullableList, ObjectOnly, OneOrMany, Percent, Skipped, StringOrInt,
};

const PROVIDER: Provider = Provider::Acedata;

/// A result object, a task record, the batch `{items, count}` or an error
/// reply: AceData's bodies share one flat namespace.
///
/// `Items` is the type of `items` and `Response` the type of `response`: a
/// body is a `Task<OneOrMany<Task<Skipped, Response>>, Response>`; a record
/// inside `items` is a `Task<Skipped, Response>`, and a record's `response`
/// holds a plain `Task`, whose own `items` and `response`, if any, are
/// skipped.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Task<'a, Items = Skipped, Response = Skipped> {
    /// `true` when the task succeeded (or is running); `false` on failure.
    pub success: Option<bool>,
    /// The task id (a UUID).
    #[serde(borrow)]
    pub task_id: Option<StringOrInt<'a>>,
    /// The Discord message id to pass with the next action (not read).
    pub image_id: Option<Skipped>,
    /// The image, thumbnail-sized.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image_url: Option<Cow<'a, str>>,
    /// `image_url`'s width.
    pub image_width: Option<u32>,
    /// `image_url`'s height.
    pub image_height: Option<u32>,
    /// The same image, full size.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub raw_image_url: Option<Cow<'a, str>>,
    /// `raw_image_url`'s width.
    pub raw_image_width: Option<u32>,
    /// `raw_image_url`'s height.
    pub raw_image_height: Option<u32>,
    /// The four quarters of the grid (edits, `split_images`).
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub sub_image_urls: Vec<Cow<'a, str>>,
    /// 0–100.
    #[serde(borrow)]
    pub progress: Option<Percent<'a>>,
    /// The actions the image offers next (`upscale1`, `variation_subtle`, …);
    /// `[]` while running.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub actions: Vec<Cow<'a, str>>,
    /// Describe's four prompts.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub descriptions: Vec<Cow<'a, str>>,
    /// A video task's id (not read).
    pub video_id: Option<Skipped>,
    /// A video task's results: videos, not images (only their presence is read).
    pub video_urls: Option<Skipped>,
    /// Why the task or the request failed: `{code, message}`.
    #[serde(borrow)]
    pub error: Option<ErrorDetail<'a>>,
    /// Error replies: the request's trace id (not read).
    pub trace_id: Option<Skipped>,
    /// Midjourney's own job id (not read).
    pub job_id: Option<Skipped>,
    /// Records: the hold flag (not read).
    pub hold: Option<Skipped>,
    /// The result file's size in bytes, which AceData's face-swap API sends
    /// with its image and no Midjourney result does (read only to refuse it).
    pub image_size: Option<Skipped>,
    /// The seed AceData's artistic-QR-code API sends with its image, and no
    /// Midjourney result does (read only to refuse it).
    pub seed: Option<Skipped>,
    /// Records: the storage id (not read).
    #[serde(rename = "_id")]
    pub storage_id: Option<Skipped>,
    /// Records: the task id.
    #[serde(borrow)]
    pub id: Option<StringOrInt<'a>>,
    /// Records: the account's application (not read).
    pub application_id: Option<Skipped>,
    /// Records: the credential used (not read).
    pub credential_id: Option<Skipped>,
    /// Records: when the task was created, float epoch seconds.
    pub created_at: Option<FractionalEpoch>,
    /// Records: when it started, float epoch seconds (not read).
    pub started_at: Option<Skipped>,
    /// Records: when it finished, float epoch seconds.
    pub finished_at: Option<FractionalEpoch>,
    /// Records: the request's speed, `fast`, `relax` or `turbo` (not read).
    pub mode: Option<Skipped>,
    /// Records: the account's e-mail address (not read).
    pub email: Option<Skipped>,
    /// Records: the API called (not read).
    pub api_id: Option<Skipped>,
    /// Records: the account's user (not read).
    pub user_id: Option<Skipped>,
    /// Records: the run time in seconds (not read).
    pub duration: Option<Skipped>,
    /// Records: the API family, `imagine` or `describe`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    /// Records: the request as sent.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub request: Option<Request<'a>>,
    /// Records: the result object.
    pub response: Option<Response>,
    /// `/midjourney/tasks` `retrieve_batch`: the records.
    pub items: Option<Items>,
    /// `retrieve_batch`: how many records (not read).
    pub count: Option<Skipped>,
}

/// A record's `response`: a result object.
///
/// AceData's other APIs (Suno, Luma, Kling, Flux, …) keep their records in
/// the same task store, with results of their own (`data`, `state`,
/// `video_url`, …): a response that shows no Midjourney result but keys no
/// result object has is theirs, and refused. It would otherwise read as a
/// Midjourney task still pending.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Response<'a> {
    /// The result object.
    #[serde(flatten)]
    pub result: Task<'a>,
    /// The keys no result object has, each with a value other than `null`
    /// (only their names are read, and they are not written back).
    #[serde(skip)]
    pub other: Vec<String>,
}

/// Reads the result object and, on the way, the names of the keys that no
/// result object has, which its derived `Deserialize` would skip unseen.
impl<'de: 'a, 'a> Deserialize<'de> for Response<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ResponseVisitor;
        impl<'de> Visitor<'de> for ResponseVisitor {
            type Value = Response<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a result object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Response<'de>, A::Error> {
                let mut other = Vec::new();
                let keys = ResultKeys {
                    map,
                    other: &mut other,
                    table: KeyTable::get(),
                };
                let result = Task::deserialize(MapAccessDeserializer::new(keys))?;
                Ok(Response { result, other })
            }
        }
        deserializer.deserialize_map(ResponseVisitor)
    }
}

/// The entries of a result object, less the keys AceData does not know,
/// whose names go to `other`.
struct ResultKeys<'o, A> {
    map: A,
    other: &'o mut Vec<String>,
    table: &'static KeyTable,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for ResultKeys<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(Key(key)) = self.map.next_key::<Key<'de>>()? {
            let info = self.table.lookup(&key);
            if info
                .id
                .is_some_and(|id| self.table.owners(id).has(PROVIDER))
            {
                return seed.deserialize(CowStrDeserializer::new(key)).map(Some);
            }
            if self.map.next_value::<Option<IgnoredAny>>()?.is_some() {
                self.other.push(key.into_owned());
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

impl Response<'_> {
    /// Whether this is another API's result: keys of its own, and nothing
    /// a Midjourney result shows.
    fn is_another_apis(&self) -> bool {
        let result = &self.result;
        // Discord's message id and Midjourney's job id are Midjourney's own.
        let shows_midjourney = result.success == Some(false)
            || has_result(result)
            || result.image_id.is_some()
            || result.job_id.is_some()
            || result.progress.is_some()
            || !result.actions.is_empty()
            || result.error.is_some();
        !shows_midjourney && !self.other.is_empty()
    }
}

/// A record's `request`: what the caller sent.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Request<'a> {
    /// `generate`, `upscale1`…`upscale4`, `upscale_2x`, `variation1`,
    /// `variation_subtle`, `variation_region`, `reroll`, `zoom_out_2x`,
    /// `pan_left`, …
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub action: Option<Cow<'a, str>>,
    /// The prompt.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub prompt: Option<Cow<'a, str>>,
    /// The input image (describe, edits).
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image_url: Option<Cow<'a, str>>,
    /// The model a request to AceData's other APIs names (`kling-v1`,
    /// `chirp-v4`, …); a Midjourney request names none. Read only to refuse
    /// such a record.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
}

/// A result's keys that no other format sends.
const MARKS: &[&str] = &[
    "image_id",
    "raw_image_url",
    "image_width",
    "sub_image_urls",
    "descriptions",
    "video_id",
];

/// How AceData bodies look: a result keyed by `task_id` beside a boolean
/// `success`; a task record keyed by `id` with its `request` and the
/// account's ids; `{items, count}` around records; error replies with a
/// `trace_id`.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Task>().to_vec(),
    also_sends: &[],
    record: &[
        // Of AceData's keys only: `{success, task_id, request_id}` is
        // another API's submit reply.
        Signature::keys(&["task_id", "success"], &[]).closed(),
        Signature::keys(&["task_id"], MARKS),
        // `id`, `request` and `response` alone are any HTTP log's or mock
        // server's record: the account's ids tell AceData's apart.
        Signature::keys(&["id", "request"], &["application_id", "credential_id"]),
        // The callback-mode acknowledgement: APIFRAME's submit reply too,
        // which detection names; decoded as AceData's when the caller says so.
        Signature::keys(&["task_id"], &[]).only().named_only(),
    ],
    envelopes: &[Envelope {
        key: "items",
        outer: None,
        carries_id: None,
        record: &[],
    }],
    // `{success: false, error, trace_id}`; AceData's OpenAPI examples of
    // 403 and 504 leave `success` out.
    replies: &[
        Signature::keys(&["success", "error", "trace_id"], &[]),
        Signature::keys(&["error", "trace_id"], &[])
            .error_object()
            .only(),
        // Without its trace id (the vendor's own mocks): `{success: false,
        // error: {code, message}}`, where ImaginePro's `error` is text.
        Signature::keys(&["success", "error"], &[])
            .error_object()
            .only(),
    ],
};

/// Every task in an AceData body (several in a `retrieve_batch` reply).
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// One task's event from an AceData body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let mut body: Task<OneOrMany<Task<Skipped, Response>>, Response> =
        super::parse(PROVIDER, text, check)?;
    let has_id = body.task_id.is_some() || body.id.is_some();
    // A failure without a task is the reply to a request that never made
    // one; beside a batch query's `items`, it says the query failed, and
    // none of its items can be reported.
    let failed = match body.success {
        Some(success) => !success,
        None => body.error.is_some(),
    };
    if !has_id && !failed {
        if let Some(items) = body.items.take() {
            return super::normalize_records(PROVIDER, "items", items, |record, at| {
                normalize(record, at)
            });
        }
    }
    if failed && !has_id {
        let (code, message) = match &body.error {
            Some(ErrorDetail::Object(error)) => (
                error.code.as_ref().map(|code| code.to_text().into_owned()),
                error.message.clone(),
            ),
            Some(ErrorDetail::Text(text)) => (None, Some(text.clone())),
            None => (None, None),
        };
        return Err(DecodeError::Vendor {
            provider: PROVIDER,
            code: code.unwrap_or_else(|| "success=false".to_owned()),
            message: message.map(Cow::into_owned),
        });
    }
    Ok(Events::One(normalize(body, At::TOP)?))
}

/// Maps a result object or a task record; `at` prefixes JSON paths in errors.
fn normalize<Items>(mut task: Task<Items, Response>, at: At) -> Result<JobEvent, DecodeError> {
    let is_record = task.id.is_some() || task.request.is_some() || task.response.is_some();
    if !is_record {
        refuse_other_image_apis(&task, at)?;
        let job_id = super::job_id(
            PROVIDER,
            at,
            "missing field `task_id`",
            [("task_id", task.task_id.take())],
        )?;
        let mut event = result_event(job_id, task, None);
        finish(&mut event);
        return Ok(event);
    }

    let job_id = super::job_id(
        PROVIDER,
        at,
        "missing field `id` (nor is there a `response.task_id`)",
        [
            ("id", task.id.take()),
            (
                "response.task_id",
                task.response.as_mut().and_then(|r| r.result.task_id.take()),
            ),
        ],
    )?;
    let request = task.request.take().unwrap_or_default();
    super::refuse_other_model(
        PROVIDER,
        at,
        "request.model",
        request.model.as_deref(),
        "Kling, Suno, …",
    )?;
    if let Some(response) = &task.response {
        if response.is_another_apis() {
            let keys: Vec<Cow<'_, str>> = response.other.iter().map(|key| shown_key(key)).collect();
            let first = keys.first().map_or("", |key| key.as_ref());
            return Err(DecodeError::another_api(
                PROVIDER,
                format!("{at}response.{first}"),
                format!(
                    "its `{at}response` shows no Midjourney result but {}, \
                     as the records of AceData's other APIs (Suno, Luma, Kling, …) do",
                    some_keys(&keys)
                ),
            ));
        }
        refuse_other_image_apis(&response.result, At::inside(&format!("{at}response")))?;
    }
    let names_a_model = request
        .model
        .as_deref()
        .is_some_and(|model| !is_blank(model));
    refuse_other_records(&task, names_a_model, at)?;
    // The videos API's `generate` is no imagine: a video result generated
    // takes its operation from the record's type (`videos`), verbatim.
    let shows_a_video = task.response.as_ref().is_some_and(|response| {
        response.result.video_urls.is_some() || response.result.video_id.is_some()
    });
    let action = request.action.as_deref().filter(|action| {
        !(shows_a_video && Operation::from_vendor(action) == Some(Operation::Imagine))
    });
    let operation = action
        .or(task.kind.as_deref())
        .and_then(Operation::from_vendor);
    let mut event = match task.response {
        Some(response) => result_event(job_id, response.result, operation.as_ref()),
        // Not shown by the vendor: a record whose result has not come yet.
        None => JobEvent::new(PROVIDER, job_id, JobStatus::InProgress),
    };
    if let Some(input) = request.image_url {
        event.images.insert(0, Image::new(input, ImageRole::Input));
    }
    event.operation = operation.or(event.operation);
    event.prompt = request.prompt.map(Cow::into_owned);
    event.created_at = task.created_at.and_then(FractionalEpoch::to_utc);
    event.occurred_at = task.finished_at.and_then(FractionalEpoch::to_utc);
    finish(&mut event);
    Ok(event)
}

/// Refuses the results of AceData's other image APIs, which come keyed by
/// `task_id` with an `image_url` and its size, as a Midjourney result does:
/// those with a key besides that no Midjourney result has (the face-swap
/// API's byte size `image_size`, the artistic-QR-code API's `seed`), and
/// those with nothing besides (the artistic-QR-code API's documented reply),
/// since a Midjourney result always shows one of its own: its `image_id`,
/// `raw_image_url`, `actions`, `progress`, or an endpoint's own result.
fn refuse_other_image_apis<Items, Response>(
    result: &Task<Items, Response>,
    at: At,
) -> Result<(), DecodeError> {
    let shows_midjourney = shows_a_midjourney_result(result);
    let (key, api) = match result {
        Task {
            image_size: Some(_),
            ..
        } => ("image_size", "face-swap"),
        Task { seed: Some(_), .. } => ("seed", "artistic-QR-code"),
        Task {
            image_url: Some(_), ..
        } if !shows_midjourney => {
            return Err(DecodeError::another_api(
                PROVIDER,
                format!("{at}image_url"),
                format!(
                    "its `{at}image_url` comes with none of `image_id`, `raw_image_url`, \
                     `actions`, `progress`, as results of AceData's other image APIs \
                     (artistic QR code, face swap) do: a Midjourney result shows one"
                ),
            ))
        }
        _ => return Ok(()),
    };
    Err(DecodeError::another_api(
        PROVIDER,
        format!("{at}{key}"),
        format!(
            "it carries `{at}{key}`, as results of AceData's {api} API do: \
             a Midjourney result has none"
        ),
    ))
}

/// Whether a result shows one of a Midjourney result's own keys: its
/// `image_id`, `raw_image_url`, `actions`, `progress`, or an endpoint's own
/// result (quarters, descriptions, a video).
fn shows_a_midjourney_result<Items, Response>(result: &Task<Items, Response>) -> bool {
    result.image_id.is_some()
        || result.raw_image_url.is_some()
        || !result.actions.is_empty()
        || result.progress.is_some()
        || !result.sub_image_urls.is_empty()
        || !result.descriptions.is_empty()
        || result.video_id.is_some()
        || result.video_urls.is_some()
}

/// The record `type`s of AceData's Midjourney APIs, where documented
/// (`imagine`, `describe`) or sent by the fixtures' sources (`edits`).
const MIDJOURNEY_TYPES: [&str; 3] = ["imagine", "describe", "edits"];

/// Refuses a task record of AceData's other APIs, which share the task store
/// and its record (`id`, `request`, `response`, the account's ids): a
/// Midjourney record has one of the Midjourney APIs' `type`s, a `response`
/// that shows a Midjourney result, or a `request.model` (which
/// [`super::refuse_other_model`] has found to be Midjourney's: `names_a_model`). A record
/// still running (no `response`) or failed, with none of them, could be any
/// API's.
fn refuse_other_records<Items>(
    task: &Task<Items, Response>,
    names_a_model: bool,
    at: At,
) -> Result<(), DecodeError> {
    let midjourney_type = task
        .kind
        .as_deref()
        .is_some_and(|kind| MIDJOURNEY_TYPES.iter().any(|mj| is_word(kind, mj)));
    let midjourney_result = task
        .response
        .as_ref()
        .is_some_and(|response| shows_a_midjourney_result(&response.result));
    if midjourney_type || midjourney_result || names_a_model {
        return Ok(());
    }
    let kind = super::key_as_found(at, "type", task.kind.as_deref());
    let result = match task.response {
        Some(_) => format!("its `{at}response` shows no Midjourney result"),
        None => format!("it has no `{at}response` yet"),
    };
    Err(DecodeError::another_api(
        PROVIDER,
        format!("{at}type"),
        format!(
            "{kind} (a Midjourney record's is `imagine`, `describe` or `edits`) and {result}: \
             the records of AceData's other APIs (Luma, Suno, face swap, …) look the same"
        ),
    ))
}

/// The event a result object describes; `operation` is the record's, when
/// the result is a record's `response`.
fn result_event<Items, Response>(
    job_id: JobId,
    result: Task<Items, Response>,
    operation: Option<&Operation>,
) -> JobEvent {
    let progress = result.progress.as_ref().and_then(Percent::progress);
    let has_result = has_result(&result);
    let failure = result.error.as_ref().and_then(ErrorDetail::to_job_error);
    let status = match (result.success, progress) {
        (Some(false), _) => JobStatus::Failed,
        // Without a word on success, an error beside no result is the
        // task's failure.
        (None, _) if failure.is_some() && !has_result => JobStatus::Failed,
        (_, Some(progress)) if progress < Progress::DONE => JobStatus::InProgress,
        (_, Some(_)) => JobStatus::Completed,
        (_, None) if has_result => JobStatus::Completed,
        (_, None) => JobStatus::Pending,
    };

    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.progress = progress;
    if result.descriptions.iter().any(|text| !is_blank(text)) {
        event.operation = Some(Operation::Describe);
    }
    let role = if result.video_urls.is_some() {
        ImageRole::Input
    } else if shows_a_grid(&result, operation) {
        ImageRole::Grid
    } else {
        ImageRole::Image
    };
    // AceData's imagine callback lists `image_url` first, its edits callback
    // `sub_image_urls`.
    let mut order = super::PayloadOrder::default();
    let sized = [
        (result.image_url, result.image_width, result.image_height),
        (
            result.raw_image_url,
            result.raw_image_width,
            result.raw_image_height,
        ),
    ];
    for (url, width, height) in sized {
        order.block(&event, url.as_ref());
        if let Some(url) = url {
            let mut image = Image::new(url, role);
            image.width = width;
            image.height = height;
            event.images.push(image);
        }
    }
    order.block(&event, result.sub_image_urls.first());
    for (position, url) in result.sub_image_urls.into_iter().enumerate() {
        let image = Image::new(url, ImageRole::Image);
        event.images.push(match u8::try_from(position) {
            Ok(index) if index < 4 => image.at(index),
            _ => image,
        });
    }
    order.apply(&mut event);
    event.prompts = clean_prompts(&result.descriptions);
    if status == JobStatus::Failed {
        event.error = failure;
    }
    event
}

/// Whether a result object holds what a finished task leaves: images,
/// prompts or videos.
fn has_result<Items, Response>(result: &Task<Items, Response>) -> bool {
    result.image_url.is_some()
        || result.raw_image_url.is_some()
        || result.sub_image_urls.iter().any(|url| !is_blank(url))
        || result.descriptions.iter().any(|text| !is_blank(text))
        || result.video_urls.is_some()
}

/// Whether a finished result's `image_url` is a 2×2 grid rather than one image.
fn shows_a_grid<Items, Response>(
    result: &Task<Items, Response>,
    operation: Option<&Operation>,
) -> bool {
    // `upsample1`…: Zhishuyun, AceData's earlier name, still offers these.
    let quarter_upscale = |action: &Cow<'_, str>| {
        let action = action.trim();
        ["upscale", "upsample"].into_iter().any(|word| {
            action
                .get(..word.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(word))
                && matches!(action.get(word.len()..), Some("1" | "2" | "3" | "4"))
        })
    };
    match operation {
        Some(Operation::Upscale) => false,
        Some(operation) if operation.makes_grid() => true,
        _ => {
            result.sub_image_urls.iter().any(|url| !is_blank(url))
                || result.actions.iter().any(quarter_upscale)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_mode_acknowledgement_is_pending_when_named() {
        let body = br#"{"task_id": "b8b7fdc2-628e-40dd-bc0c-671c3ddac9e9"}"#;
        let event = decode(body).unwrap();
        assert_eq!(event.provider, Provider::Acedata);
        assert_eq!(event.status, JobStatus::Pending);
        assert_eq!(
            event.job_id.as_str(),
            "b8b7fdc2-628e-40dd-bc0c-671c3ddac9e9"
        );
        // Detection leaves the shared shape to APIFRAME, whose event agrees.
        let mut detected = crate::decode_auto(body).unwrap();
        assert_eq!(detected.provider, Provider::Apiframe);
        detected.provider = Provider::Acedata;
        assert_eq!(detected, event);
    }

    /// A record of AceData's other APIs is refused, in a batch too, where it
    /// would read as a Midjourney task still pending.
    #[test]
    fn a_record_whose_response_has_data_is_another_apis() {
        let record = r#"{"id": "r-1", "application_id": "a-1", "request": {"action": "generate", "prompt": "a song"},
            "response": {"success": true, "task_id": "r-1", "data": [{"audio_url": "https://example.com/a.mp3"}]}}"#;
        let batch = format!(r#"{{"items": [{record}], "count": 1}}"#);
        for (body, path) in [
            (record.to_owned(), "response.data"),
            (batch, "items[0].response.data"),
        ] {
            match decode_all(body.as_bytes()) {
                Err(DecodeError::WrongProvider { path: at, .. }) => assert_eq!(at, path),
                other => panic!("{body}: {other:?}"),
            }
        }
        // Luma's and Kling's records: results of their own, or a model.
        let luma = r#"{"id": "r-2", "application_id": "a-1", "request": {"action": "generate"},
            "response": {"success": true, "task_id": "r-2", "video_url": "https://example.com/v.mp4", "state": "completed"}}"#;
        let kling = r#"{"id": "r-3", "application_id": "a-1", "type": "videos",
            "request": {"action": "text2video", "model": "kling-v1"}}"#;
        for (body, path) in [(luma, "response.video_url"), (kling, "request.model")] {
            match decode(body.as_bytes()) {
                Err(DecodeError::WrongProvider { path: at, .. }) => assert_eq!(at, path),
                other => panic!("{body}: {other:?}"),
            }
        }
        // A model that is Midjourney's, and a Midjourney result with a key
        // of its own beside an image, stand.
        let named = r#"{"id": "r-5", "application_id": "a-1", "request": {"action": "generate", "model": "midjourney"}}"#;
        assert_eq!(
            decode(named.as_bytes()).unwrap().status,
            JobStatus::InProgress
        );
        // A blank model names none: such a record is any API's.
        let blank = named.replace(r#""midjourney""#, r#""  ""#);
        match decode(blank.as_bytes()) {
            Err(DecodeError::WrongProvider { path, .. }) => assert_eq!(path, "type"),
            other => panic!("{blank}: {other:?}"),
        }
        let tolerated = r#"{"id": "r-4", "application_id": "a-1", "request": {"action": "generate"},
            "response": {"success": true, "task_id": "r-4", "image_id": "1262731000000000004", "image_url": "https://example.com/g.png", "state": "done"}}"#;
        assert_eq!(
            decode(tolerated.as_bytes()).unwrap().status,
            JobStatus::Completed
        );
        // An image with nothing of a Midjourney result beside it is another
        // image API's (the artistic QR code's reply), in a record too.
        let bare = tolerated.replace(r#""image_id": "1262731000000000004", "#, "");
        match decode(bare.as_bytes()) {
            Err(DecodeError::WrongProvider { path, .. }) => assert_eq!(path, "response.image_url"),
            other => panic!("{bare}: {other:?}"),
        }
        // A record without a result yet is Midjourney's only by its type:
        // the other APIs' records look the same.
        let pending = r#"{"id": "r-1", "application_id": "a-1", "type": "imagine", "request": {"action": "generate"}, "response": {"success": true, "task_id": "r-1", "data": null}}"#;
        assert_eq!(
            decode(pending.as_bytes()).unwrap().status,
            JobStatus::Pending
        );
        let untyped = pending.replace(r#""type": "imagine", "#, "");
        match decode(untyped.as_bytes()) {
            Err(DecodeError::WrongProvider { path, .. }) => assert_eq!(path, "type"),
            other => panic!("{untyped}: {other:?}"),
        }
    }

    #[test]
    fn an_error_reply_is_a_vendor_error_and_a_bare_describe_reply_is_no_job() {
        let reply = br#"{"success": false, "error": {"code": "api_error", "message": "fetch failed"}, "trace_id": "t"}"#;
        assert_eq!(
            decode(reply),
            Err(DecodeError::Vendor {
                provider: Provider::Acedata,
                code: "api_error".to_owned(),
                message: Some("fetch failed".to_owned()),
            })
        );
        assert_eq!(crate::detect(reply), Ok(Provider::Acedata));
        let describe = br#"{"descriptions": ["a quiet harbour at dawn"]}"#;
        assert!(decode(describe).is_err());
        assert!(crate::decode_auto(describe).is_err());
    }
}
