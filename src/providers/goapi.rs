//! GoAPI / PiAPI (one back end, two brands), in both generations:
//!
//! - the legacy v2 fetch body (`task_result`, epoch-second `meta.*_at`,
//!   `finished`, `error_messages`), which is also the v2 webhook body;
//! - the unified task (`output`, RFC 3339 `meta.*_at` with Go's zero time for
//!   "not yet", an `error` object that is always there), bare, as the webhook
//!   `{timestamp, data}`, or as the GET reply `{code, data, message}`.
//!
//! Decisions where the vendor is silent:
//! - `image_url` (and its copies `discord_image_url`, `permanent_url`) is the
//!   grid of an operation that makes one (or of a task that names none), and
//!   otherwise the one result image (an upscale). Like every provider's,
//!   the images of a pending or running task are previews.
//!   `image_urls` and `temporary_image_urls` are the four quarters;
//!   `intermediate_image_urls` are previews. A describe's `input.image_url`
//!   (the echo of its request) is its `input` image.
//! - `error` is reported for a failed task only: from the unified `error`
//!   object (`{"code": 0, "message": ""}` is no error; its `message`, with
//!   `raw_message` after it in brackets when that adds the reason), or v2's
//!   `error_messages` (blank entries skipped; else `task_result.message`),
//!   else the task's top-level `message`.
//! - An envelope whose `code` is neither 0 nor 200 is the vendor's error
//!   reply ([`DecodeError::Vendor`]), whatever its `data`.
//! - `occurred_at` is the webhook's `timestamp`; a polled task in a terminal
//!   state (or a webhook's whose `timestamp` is `0` or blank) occurred at
//!   `meta.ended_at` (as Legnext's); otherwise none.
//! - The prompt comes from the unified `input` echo or v2's
//!   `meta.task_request`; both may lack it.
//! - The v2 submit reply `{task_id, status: "success"}` is a pending task
//!   without a provider status: "success" is the request's outcome.
//! - Account notifications (`{type, time, message}`) are refused: they are
//!   not tasks. So is a unified task whose `model` is not `midjourney`
//!   (in a list, every task's): GoAPI's other APIs (Kling, Luma, Flux, its
//!   face swap, …) send the same task format. A task that names no model
//!   must have a Midjourney task type (`imagine`, `upscale`, …): the other
//!   APIs' types (`txt2img`, `video_generation`) say whose it is.
//! - Where v2 puts a describe's prompts is undocumented; only the unified
//!   `output.description` / `output.descriptions` are read.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Envelope, Format, Signature, StatusMark, WordKey};
use super::{finish, push_finished_images, At, Check, Events, Provider, MIDJOURNEY_MODELS};
use crate::error::DecodeError;
use crate::event::{is_word, Image, ImageRole, JobError, JobEvent, JobStatus, Operation};
use crate::quirks::{
    clean_prompts, is_blank, BorrowedText, EmptyAsNone, ErrorDetail, NullableList, ObjectOnly,
    OneOrMany, Percent, Skipped, StringOrInt, Timestamp,
};

const PROVIDER: Provider = Provider::Goapi;

/// A v2 fetch body, a unified task, or one of the unified envelopes around a
/// task (which add `timestamp`, `code`, `message` and `data`).
///
/// `Data` is the type of `data`: a body is a `Task<OneOrMany<Task>>`; the
/// task inside an envelope is a `Task`, whose own `data`, if any, is skipped.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Task<'a, Data = Skipped> {
    /// The task's id.
    #[serde(borrow)]
    pub task_id: Option<StringOrInt<'a>>,
    /// `pending`, `staged`, `processing`, `finished` (v2), `completed`
    /// (unified), `failed`, sometimes capitalised.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    /// `imagine`, `upscale`, `variation`, `reroll`, `describe`, `blend`,
    /// `seed`, `inpaint`, `outpaint`, `pan`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub task_type: Option<Cow<'a, str>>,
    /// Unified: `midjourney`. A task of another model (GoAPI's Kling, Luma,
    /// Flux, …) is refused.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
    /// Times and the original request.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub meta: Option<Meta<'a>>,
    /// v2: the results.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub task_result: Option<TaskResult<'a>>,
    /// Unified: an echo of the request (may be `{}`).
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub input: Option<Input<'a>>,
    /// Unified: the results (`null` while pending).
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub output: Option<Output<'a>>,
    /// Unified: always present; code 0 and empty messages mean "no error".
    #[serde(borrow)]
    pub error: Option<ErrorDetail<'a>>,
    /// Webhook envelope: when it was sent, in epoch seconds.
    #[serde(borrow)]
    pub timestamp: Option<Timestamp<'a>>,
    /// GET envelope: 200 on success.
    #[serde(borrow)]
    pub code: Option<StringOrInt<'a>>,
    /// GET envelope and v2 submit reply.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub message: Option<Cow<'a, str>>,
    /// The task inside a webhook or GET envelope.
    pub data: Option<Data>,
    /// Account notifications (`mj_penalty_triggered`, …) share the webhook
    /// URL but are not tasks.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow, rename = "type")]
    pub notification_type: Option<Cow<'a, str>>,
}

/// `meta`.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta<'a> {
    /// v2: epoch seconds; unified: RFC 3339.
    #[serde(borrow)]
    pub created_at: Option<Timestamp<'a>>,
    /// As `created_at`; Go's zero time until started.
    #[serde(borrow)]
    pub started_at: Option<Timestamp<'a>>,
    /// As `created_at`; Go's zero time until ended.
    #[serde(borrow)]
    pub ended_at: Option<Timestamp<'a>>,
    /// v2's task type.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub task_type: Option<Cow<'a, str>>,
    /// v2: the original request.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub task_request: Option<Input<'a>>,
}

/// The request fields this crate reads (`input`, `meta.task_request`).
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Input<'a> {
    /// The prompt as submitted.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub prompt: Option<Cow<'a, str>>,
    /// A describe's source image.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image_url: Option<Cow<'a, str>>,
}

/// v2 `task_result`.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskResult<'a> {
    /// The Discord attachment of the grid (plan-gated, often `""`).
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub discord_image_url: Option<Cow<'a, str>>,
    /// GoAPI's cached copy of the result.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image_url: Option<Cow<'a, str>>,
    /// The four quarters.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub image_urls: Vec<Cow<'a, str>>,
    /// A permanent copy (paid plans), else `""`.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub permanent_url: Option<Cow<'a, str>>,
    /// 0–100 (plan-gated).
    #[serde(borrow)]
    pub task_progress: Option<Percent<'a>>,
    /// Previews while running.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub intermediate_image_urls: Vec<Cow<'a, str>>,
    /// GoAPI's message, `""` when none.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
    /// GoAPI's and Midjourney's errors.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub error_messages: Vec<Cow<'a, str>>,
}

/// Unified `output`.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Output<'a> {
    /// The result (the grid, or an upscale).
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image_url: Option<Cow<'a, str>>,
    /// The four quarters on Midjourney's CDN (some plans, some months).
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub image_urls: Vec<Cow<'a, str>>,
    /// The four quarters on GoAPI's CDN (the others).
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub temporary_image_urls: Vec<Cow<'a, str>>,
    /// The Discord attachment, `""` when not given.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub discord_image_url: Option<Cow<'a, str>>,
    /// 0–100.
    #[serde(borrow)]
    pub progress: Option<Percent<'a>>,
    /// Previews while running.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub intermediate_image_urls: Vec<Cow<'a, str>>,
    /// Describe: the prompts in one string.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub description: Option<Cow<'a, str>>,
    /// Describe, in some clients' types: the prompts as a list.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub descriptions: Vec<Cow<'a, str>>,
}

/// GoAPI's own keys beside `task_id`: where it keeps results and metadata.
const MARKS: &[&str] = &[
    "task_result",
    "output",
    "input",
    "config",
    "detail",
    "logs",
    "process_time",
    "retry_count",
];

/// Keys of the unified task beside its id that look-alike vendors send too
/// (other APIs' tasks have a model, a type, an error): evidence only inside
/// GoAPI's own envelope, on a task of GoAPI's keys. [`MARKS`] counts
/// anywhere.
const UNIFIED_KEYS: &[&str] = &["model", "task_type", "error"];

/// How GoAPI bodies look: a v2 or unified task keyed by `task_id`, bare or in
/// `data` beside `timestamp` (webhook) or `code` and `message` (GET), which
/// may echo the id; the v2 submit reply `{task_id, status: "success"}`;
/// error replies and account notifications.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Task>().to_vec(),
    also_sends: &[
        "process_time",
        "retry_count",
        "config",
        "detail",
        "logs",
        "time",
    ],
    record: &[
        // v2's results and bookkeeping.
        Signature::keys(
            &["task_id"],
            &["task_result", "process_time", "retry_count"],
        )
        .word(WordKey::Model, MIDJOURNEY_MODELS),
        // The unified task: its results beside its metadata or request.
        Signature::keys(
            &["task_id", "meta"],
            &["model", "task_type", "input", "output"],
        )
        .word(WordKey::Model, MIDJOURNEY_MODELS),
        Signature::keys(
            &["task_id", "output"],
            &["input", "config", "detail", "logs"],
        )
        .word(WordKey::Model, MIDJOURNEY_MODELS),
        Signature::keys(&["task_id"], MARKS)
            .word(WordKey::Model, MIDJOURNEY_MODELS)
            .closed(),
        // A v2 reply with nothing but its status and message, in v2's words
        // as it writes them (`{task_id, status, message}` is many task
        // servers' reply, Celery's with `PENDING`).
        Signature::keys(&["task_id", "status", "message"], &[])
            .status(StatusMark::Exact(&[
                "success",
                "pending",
                "processing",
                "finished",
                "failed",
                "retry",
            ]))
            .only(),
    ],
    envelopes: &[Envelope {
        key: "data",
        outer: Some(Signature::keys(&[], &["timestamp", "code"])),
        carries_id: Some("task_id"),
        // `{code, message, data: {task_id, status}}` alone is many APIs'
        // submit reply: the unified task has more.
        record: &[Signature::keys(&["task_id"], UNIFIED_KEYS)
            .word(WordKey::Model, MIDJOURNEY_MODELS)
            .closed()],
    }],
    // GoAPI answers in HTTP statuses; `{code: 0, message}` is other APIs'.
    replies: &[
        Signature::keys(&["code", "message"], &[])
            .only()
            .http_code(),
        Signature::keys(&["code", "message", "data"], &[])
            .only()
            .http_code(),
        Signature::keys(&["type", "time"], &[]),
    ],
};

/// The task in a GoAPI body, as a one-element list.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// The task's event from a GoAPI body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let mut body: Task<OneOrMany<Task>> = super::parse(PROVIDER, text, check)?;
    // A task on its own; beside a `data` that holds a task, `task_id` is the
    // envelope echoing it.
    let data_holds_a_task = body
        .data
        .as_ref()
        .is_some_and(|data| data.any(|task| task.task_id.is_some() || task.status.is_some()));
    if body.task_id.is_some() && !data_holds_a_task {
        return Ok(Events::One(normalize(body, At::TOP, None)?));
    }
    let envelope_task_id = body.task_id.take();
    // An envelope: the GET reply's code says whether `data` is a task.
    if let Some(code) = &body.code {
        if !matches!(code.as_int(), Some(0 | 200)) {
            return Err(DecodeError::Vendor {
                provider: PROVIDER,
                code: code.to_text().into_owned(),
                message: body.message.map(Cow::into_owned),
            });
        }
    }
    let sent_at = body.timestamp.take();
    match body.data.take() {
        Some(data) => {
            super::check_envelope_id(
                PROVIDER,
                "task_id",
                "data",
                envelope_task_id.as_ref(),
                &data,
                |task| task.task_id.as_ref(),
            )?;
            super::normalize_records(PROVIDER, "data", data, |mut task, at| {
                if task.task_id.is_none() {
                    task.task_id.clone_from(&envelope_task_id);
                }
                normalize(task, at, sent_at.as_ref())
            })
        }
        None if body.notification_type.is_some() => {
            let kind = body.notification_type.unwrap_or_default();
            Err(DecodeError::field(
                PROVIDER,
                "type",
                format!("an account notification ({kind:?}), not a task"),
            ))
        }
        None if body.code.is_some() => Err(DecodeError::NoJob {
            provider: PROVIDER,
            path: "data".to_owned(),
        }),
        None => Ok(Events::One(normalize(body, At::TOP, None)?)),
    }
}

/// Maps one task; `at` prefixes JSON paths in errors, `sent_at` is the
/// webhook envelope's timestamp.
fn normalize<Data>(
    task: Task<Data>,
    at: At,
    sent_at: Option<&Timestamp>,
) -> Result<JobEvent, DecodeError> {
    let job_id = super::job_id(
        PROVIDER,
        at,
        "missing field `task_id`",
        [("task_id", task.task_id)],
    )?;
    // Detection reads the first task's model; each task of a list is read
    // here.
    super::refuse_other_model(
        PROVIDER,
        at,
        "model",
        task.model.as_deref(),
        "Kling, Luma, Flux, …",
    )?;
    let provider_status = task.status.ok_or_else(|| {
        DecodeError::field(
            PROVIDER,
            format!("{at}status"),
            "missing field `status` (or it is null)",
        )
    })?;
    let meta = task.meta.unwrap_or_default();

    // The v2 submit reply `{task_id, status: "success"}` acknowledges a task
    // that has not started; elsewhere "success" is no task status.
    let acknowledged =
        is_word(&provider_status, "success") && task.task_result.is_none() && task.output.is_none();
    let status = if acknowledged {
        JobStatus::Pending
    } else {
        JobStatus::from_vendor(&provider_status)
    };

    let task_type = task.task_type.or(meta.task_type);
    let names_a_model = task.model.as_deref().is_some_and(|model| !is_blank(model));
    if let Some(kind) = task_type.as_deref().filter(|_| !names_a_model) {
        refuse_other_task_type(kind, at)?;
    }

    let mut event = JobEvent::new(PROVIDER, job_id, status);
    let mut failure = None;
    event.operation = task_type.as_deref().and_then(Operation::from_vendor);
    let (prompt, source_image) = task
        .input
        .map_or((None, None), |input| (input.prompt, input.image_url));
    event.prompt = prompt
        .or(meta.task_request.and_then(|request| request.prompt))
        .map(Cow::into_owned);
    // The image a describe was given, echoed with its request; other
    // operations' echoes name no image of their own.
    if event.operation == Some(Operation::Describe) {
        if let Some(url) = source_image {
            event.images.push(Image::new(url, ImageRole::Input));
        }
    }
    // The one result URL: the grid of an operation that makes one (or of an
    // unnamed one), else the one image. (While the task runs, `finish` makes
    // it a preview.)
    let result_role = if event.operation.as_ref().is_none_or(Operation::makes_grid) {
        ImageRole::Grid
    } else {
        ImageRole::Image
    };
    if let Some(result) = task.task_result {
        event.progress = result.task_progress.as_ref().and_then(Percent::progress);
        // In the order the vendor's bodies list them (payload order).
        for url in [result.discord_image_url, result.image_url]
            .into_iter()
            .flatten()
        {
            event.images.push(Image::new(url, result_role));
        }
        push_finished_images(&mut event, result.image_urls);
        if let Some(url) = result.permanent_url {
            event.images.push(Image::new(url, result_role));
        }
        push_previews(&mut event, result.intermediate_image_urls);
        let messages: Vec<&str> = result
            .error_messages
            .iter()
            .map(|message| message.trim())
            .filter(|message| !message.is_empty())
            .collect();
        failure = if messages.is_empty() {
            JobError::from_vendor(None, result.message)
        } else {
            JobError::from_vendor(None, Some(messages.join("; ")))
        };
    }
    if let Some(output) = task.output {
        event.progress = output.progress.as_ref().and_then(Percent::progress);
        // In the order the vendor's bodies list them (payload order).
        if let Some(url) = output.image_url {
            event.images.push(Image::new(url, result_role));
        }
        push_finished_images(&mut event, output.image_urls);
        push_finished_images(&mut event, output.temporary_image_urls);
        if let Some(url) = output.discord_image_url {
            event.images.push(Image::new(url, result_role));
        }
        push_previews(&mut event, output.intermediate_image_urls);
        // `descriptions` is the list that `description` numbers in one text:
        // read one of the two, never both, so a prompt sent twice in the
        // list stays twice.
        event.prompts = clean_prompts(&output.descriptions);
        if event.prompts.is_empty() {
            event.prompts = clean_prompts(&output.description);
        }
    }
    if let Some(error) = task.error.as_ref().and_then(ErrorDetail::to_job_error) {
        failure = Some(error);
    }
    // A v2 reply may carry no result at all, only its top-level `message`
    // (beside a `code`, the message is the envelope's "success").
    let failure = failure.or_else(|| {
        let message = task.message.filter(|_| task.code.is_none());
        JobError::from_vendor(None, message)
    });
    // Vendors send error text on tasks that go on (a retried step, a
    // warning); the model reports an error only for a failed job.
    event.error = failure.filter(|_| status == JobStatus::Failed);
    // The submit reply's "success" is the request's outcome, not the task's
    // status (as the other vendors' submit replies have none).
    event.provider_status = (!acknowledged).then(|| provider_status.into_owned());
    event.occurred_at = super::sent_or_ended(sent_at, status, meta.ended_at.as_ref());
    event.created_at = meta.created_at.as_ref().and_then(Timestamp::to_utc);
    finish(&mut event);
    Ok(event)
}

fn push_previews(event: &mut JobEvent, urls: Vec<Cow<'_, str>>) {
    for url in urls {
        event.images.push(Image::new(url, ImageRole::Preview));
    }
}

/// Refuses a task that names no model and a task type that is no
/// Midjourney operation: GoAPI's other models' tasks (Flux's `txt2img`,
/// Kling's `video_generation`, …) come in the same task object, and a
/// Midjourney task that leaves out its `model` (every v2 task does) still
/// has a Midjourney task type (`imagine`, `upscale`, …, in any spelling
/// [`Operation::from_vendor`] knows).
fn refuse_other_task_type(kind: &str, at: At) -> Result<(), DecodeError> {
    if !matches!(Operation::from_vendor(kind), Some(Operation::Other(_))) {
        return Ok(());
    }
    Err(DecodeError::another_api(
        PROVIDER,
        format!("{at}task_type"),
        format!(
            "{}, no Midjourney operation, and it names no `model`, as tasks of GoAPI's other \
             models (Flux, Kling, Luma, …) do",
            super::key_as_found(at, "task_type", Some(kind)),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Detection reads a list's first task; a task of another model later
    /// in the list is refused as well, in either order.
    #[test]
    fn every_task_of_a_list_is_a_midjourney_task() {
        let task = |id: &str, model: &str| {
            format!(
                r#"{{"task_id": "{id}", "model": "{model}", "task_type": "imagine", "status": "completed", "output": {{"image_url": "https://example.com/{id}.png"}}, "meta": {{}}, "error": {{"code": 0, "message": ""}}}}"#
            )
        };
        let (mj, kling) = (task("a", "midjourney"), task("b", "kling"));
        for list in [format!("[{mj}, {kling}]"), format!("[{kling}, {mj}]")] {
            let body = format!(r#"{{"code": 200, "message": "success", "data": {list}}}"#);
            assert!(decode_all(body.as_bytes()).is_err(), "{body}");
            assert!(crate::decode_all(None, body.as_bytes()).is_err(), "{body}");
        }
        let also_mj = task("c", "Midjourney");
        let body = format!(r#"{{"code": 200, "message": "success", "data": [{mj}, {also_mj}]}}"#);
        assert_eq!(decode_all(body.as_bytes()).unwrap().len(), 2);
    }

    /// `description` and `descriptions` are one list written twice: it is
    /// read once, and a prompt the list repeats stays repeated.
    #[test]
    fn a_describe_reads_one_of_its_two_lists() {
        let describe = |output: &str| {
            let body = format!(
                r#"{{"task_id": "d", "model": "midjourney", "task_type": "describe", "status": "completed", "output": {output}, "meta": {{}}, "error": {{"code": 0, "message": ""}}}}"#
            );
            decode_all(body.as_bytes()).unwrap().remove(0).prompts
        };
        let both = describe(
            r#"{"description": "1️⃣ a fox\n\n2️⃣ a fox\n\n3️⃣ a hare", "descriptions": ["a fox", "a fox", "a hare"]}"#,
        );
        assert_eq!(both, ["a fox", "a fox", "a hare"]);
        let text_only = describe(r#"{"description": "1️⃣ a fox\n\n2️⃣ a hare", "descriptions": []}"#);
        assert_eq!(text_only, ["a fox", "a hare"]);
    }
}
