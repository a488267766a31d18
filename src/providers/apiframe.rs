//! APIFRAME v1 and its clone JourneyAPI: `task_id`, `task_type`, `status`,
//! `percentage`, `original_image_url`, `image_urls`.
//!
//! The webhook body is the `/fetch` object; `/fetch-many` wraps several in
//! `{"tasks": [...]}`.
//!
//! Decisions where the vendors are silent:
//! - A body without `status` is running when its `percentage` is between 1
//!   and 99 (its images are previews), or 100 with no result attached yet;
//!   completed when it carries a result
//!   (`original_image_url`, `image_urls`, `image_url` but a describe's, which
//!   echoes its input, `content`, `seed`, a video), failed when it carries
//!   failure text (`error`, `message`), and
//!   otherwise pending: `{task_id}` alone is the submit acknowledgement.
//!   `"status": ""` counts as no status.
//! - Failure text is `error` (JourneyAPI), else `message` (APIFRAME); an
//!   empty `error` does not hide a `message`.
//! - `image_url` is the output (an upscale, a face swap, a one-image model)
//!   except in a describe, where it echoes the input image.
//! - Video URLs (`video_urls`, `video_url`) are not images and are left out.
//! - Fields the model has no place for (`seed`, `sref`, `full_content`,
//!   `actions`) are not read, so an unexpected value there cannot fail the
//!   decode; `seed` and the video fields still count as a result.
//! - Tasks of the vendors' other models decode, as the research note asks,
//!   with an operation that says so: APIFRAME's task types (`flux-imagine`,
//!   `runway`, …) verbatim, and JourneyAPI's `model` (`flux-pro`, under
//!   `task_type: imagine`) verbatim in place of the task type, which would
//!   claim a Midjourney imagine. A `/fetch-many` list may mix them.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Envelope, Format, Signature, StatusMark};
use super::{finish, push_finished_images, At, Check, Events, Provider, MIDJOURNEY_MODELS};
use crate::error::DecodeError;
use crate::event::{is_word, Image, ImageRole, JobError, JobEvent, JobStatus, Operation};
use crate::quirks::{
    clean_prompts, filled, is_blank, BorrowedText, EmptyAsNone, ErrorDetail, NullableList,
    OneOrMany, Percent, Skipped, StringOrInt,
};

const PROVIDER: Provider = Provider::Apiframe;

/// A task as `/fetch` and the webhook send it; with `tasks`, the `/fetch-many`
/// wrapper around several.
///
/// `Tasks` is the type of `tasks`: a body is a `Task<OneOrMany<Task>>`; a
/// task inside `/fetch-many` is a `Task`, whose own `tasks`, if any, is
/// skipped.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Task<'a, Tasks = Skipped> {
    /// The task's id: a UUID, a legacy integer, or (one APIFRAME example) `taskId`.
    #[serde(borrow, alias = "taskId")]
    pub task_id: Option<StringOrInt<'a>>,
    /// `imagine`, `upscale#1`, `variation-strong`, `outpaint-2`, `pan-left`, …
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub task_type: Option<Cow<'a, str>>,
    /// `staged`, `pending`, `starting`, `processing`, `finished`, `failed`,
    /// `retry`, `retrying`; missing on many finished bodies.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    /// `"80"` on Midjourney tasks, `40` on others.
    #[serde(borrow)]
    pub percentage: Option<Percent<'a>>,
    /// The 2×2 grid.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub original_image_url: Option<Cow<'a, str>>,
    /// The four images of the grid.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub image_urls: Vec<Cow<'a, str>>,
    /// One output image, or describe's input.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image_url: Option<Cow<'a, str>>,
    /// Describe's four prompts, shorten's three, with keycap numbering.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub content: Vec<Cow<'a, str>>,
    /// A seed task's result (only whether it holds anything is read: `""`
    /// is no result).
    #[serde(default, deserialize_with = "filled")]
    pub seed: Option<Skipped>,
    /// imagine-video's results (only whether they hold anything is read).
    #[serde(default, deserialize_with = "filled")]
    pub video_urls: Option<Skipped>,
    /// A non-Midjourney video task's result (only whether it holds anything
    /// is read).
    #[serde(default, deserialize_with = "filled")]
    pub video_url: Option<Skipped>,
    /// JourneyAPI's model: `midjourney`, or another it serves through the
    /// same task object (`flux-pro`, …), which is then the operation.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
    /// JourneyAPI's failure text.
    #[serde(borrow)]
    pub error: Option<ErrorDetail<'a>>,
    /// APIFRAME's failure text.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
    /// `/fetch-many`: the tasks.
    pub tasks: Option<Tasks>,
}

/// Keys beside the id that only APIFRAME sends: its progress and results.
const MARKS: &[&str] = &[
    "percentage",
    "original_image_url",
    "image_urls",
    "content",
    "full_content",
    "sref",
    "video_urls",
];

/// Keys beside the id that look-alike vendors send too: evidence only on a
/// body with no key APIFRAME does not know.
const COMMON: &[&str] = &[
    "task_type",
    "image_url",
    "seed",
    "video_url",
    "actions",
    "model",
];

/// APIFRAME's status words.
const STATUS_WORDS: &[&str] = &[
    "staged",
    "pending",
    "starting",
    "processing",
    "finished",
    "failed",
    "retry",
    "retrying",
];

/// How APIFRAME and JourneyAPI bodies look: a task keyed by `task_id` (once
/// `taskId`) with its results at the top, or `/fetch-many`'s `tasks`; the
/// submit reply is the id alone.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Task>().to_vec(),
    // `audio_url` and `songs` come with its Suno and Udio tasks, sent on the
    // same envelope and decoded as jobs of an operation mjhook does not know.
    also_sends: &[
        "sref",
        "full_content",
        "actions",
        "model",
        "audio_url",
        "songs",
    ],
    record: &[
        Signature::keys(&["task_id"], MARKS),
        Signature::keys(&["taskId"], MARKS),
        // Look-alike keys: no status, or APIFRAME's own.
        Signature::keys(&["task_id"], COMMON)
            .status(StatusMark::NoneOrWords(STATUS_WORDS))
            .closed(),
        // Its status words as it writes them: `{task_id, status: "PENDING"}`
        // is a Celery task server's.
        Signature::keys(&["task_id"], &[])
            .status(StatusMark::Exact(STATUS_WORDS))
            .closed(),
        Signature::keys(&["task_id"], &[]).only(),
        Signature::keys(&["task_id"], &["message", "error"]).only(),
    ],
    envelopes: &[Envelope {
        key: "tasks",
        outer: None,
        carries_id: None,
        record: &[],
    }],
    replies: &[],
};

/// Every task in an APIFRAME or JourneyAPI body.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// One task's event from an APIFRAME or JourneyAPI body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let mut task: Task<OneOrMany<Task>> = super::parse(PROVIDER, text, check)?;
    match task.tasks.take() {
        Some(_) if task.task_id.is_some() => Err(DecodeError::field(
            PROVIDER,
            "tasks",
            "`task_id` (one task) beside `tasks` (/fetch-many's list) in one body: which is it?",
        )),
        Some(tasks) => super::normalize_records(PROVIDER, "tasks", tasks, normalize),
        _ => Ok(Events::One(normalize(task, At::TOP)?)),
    }
}

fn is_success_word(text: &str) -> bool {
    ["success", "ok"].iter().any(|word| is_word(text, word))
}

/// Maps one task; `at` prefixes JSON paths in errors.
fn normalize<Tasks>(task: Task<Tasks>, at: At) -> Result<JobEvent, DecodeError> {
    let job_id = super::job_id(
        PROVIDER,
        at,
        "missing field `task_id` (nor is there a `taskId`)",
        [("task_id", task.task_id)],
    )?;
    let failure = task
        .error
        .as_ref()
        .and_then(ErrorDetail::to_job_error)
        .or_else(|| {
            // A submission's `"message": "success"` is no failure text.
            let message = task.message.clone().filter(|text| !is_success_word(text));
            JobError::from_vendor(None, message)
        });
    // JourneyAPI's model (`flux-pro`) comes under Midjourney's task types
    // (`imagine`): the model, verbatim, is what was done.
    let operation = match super::model_outside(task.model.as_deref(), MIDJOURNEY_MODELS) {
        Some(model) => Some(Operation::Other(model.to_owned())),
        None => task.task_type.as_deref().and_then(Operation::from_vendor),
    };
    // A describe's `image_url` echoes its input: its result is `content`.
    let describes = operation == Some(Operation::Describe);
    let has_result = task.original_image_url.is_some()
        || task.image_urls.iter().any(|url| !is_blank(url))
        || (task.image_url.is_some() && !describes)
        || task.content.iter().any(|prompt| !is_blank(prompt))
        || task.seed.is_some()
        || task.video_urls.is_some()
        || task.video_url.is_some();
    let progress = task.percentage.as_ref().and_then(Percent::progress);
    // A job part of the way through is running, whatever it shows so far;
    // one at 100 % is too until its result comes: 100 % of nothing is not
    // a pending job, nor a finished one.
    let part_way = progress.is_some_and(|progress| match progress.get() {
        1..=99 => true,
        100 => !has_result,
        _ => false,
    });
    // `""` is no status, like a missing one.
    let status = match task.status.as_deref().filter(|status| !is_blank(status)) {
        Some(status) => JobStatus::from_vendor(status),
        None if failure.is_some() && (part_way || !has_result) => JobStatus::Failed,
        None if part_way => JobStatus::InProgress,
        None if has_result => JobStatus::Completed,
        None => JobStatus::Pending,
    };

    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.provider_status = task.status.map(Cow::into_owned);
    event.progress = progress;
    event.operation = operation;
    if let Some(grid) = task.original_image_url {
        event.images.push(Image::new(grid, ImageRole::Grid));
    }
    push_finished_images(&mut event, task.image_urls);
    if let Some(url) = task.image_url {
        let role = if describes {
            ImageRole::Input
        } else {
            ImageRole::Image
        };
        event.images.push(Image::new(url, role));
    }
    event.prompts = clean_prompts(&task.content);
    if status == JobStatus::Failed {
        event.error = failure;
    }
    finish(&mut event);
    Ok(event)
}
