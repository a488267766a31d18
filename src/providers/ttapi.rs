//! TTAPI's Midjourney API: the `/midjourney/v1/fetch` reply, the identical
//! body posted to a `hookUrl`, submit replies, `fetch-list` history, and
//! TTAPI's error replies.
//!
//! Every body is an envelope `{status, message, jobId, data}`. In a task body
//! `status` is the task's (`PENDING_QUEUE`, `ON_QUEUE`, `SUCCESS`,
//! `FAILED`) and `data` holds `action`, `progress` (`"100"`), `prompt`,
//! `cdnImage`, `discordImage`, `images`, `components`, …; in a submit or
//! error reply it is the request's outcome. `fetch-list` puts snake_case
//! records with an integer `status` in `data`.
//!
//! Decisions where the vendor is silent:
//! - A body is a task when it has a top-level `jobId`, or when `data` holds
//!   more than the job id. `{status, message, data: {jobId}}` is a submit
//!   reply: a pending event without a provider status (the top `status` is
//!   the request's). `FAILED` with no job id anywhere is the vendor's error
//!   ([`DecodeError::Vendor`], code `FAILED`, since TTAPI sends no code).
//! - The snake-case submit reply `{status, message, data: {job_id}}` is
//!   byte for byte AsyncAPI's created reply; it is left to `asyncapi`, which
//!   reads it as the same pending event.
//! - `SUCCESS` is completed in a task body, although the shared status table
//!   leaves `success` unknown (other vendors use it for a submission).
//! - `fetch-list` records: integer `status` 2 is completed (the only
//!   documented value, on a finished upscale); other integers are unknown.
//! - `cdnImage` and `discordImage` (each URL once, `discordImage` first) are
//!   the grid, one image for an upscale or an operation outside Midjourney's
//!   grid-making ones (`make_square`, …), and the input of a describe;
//!   `width`/`height` describe them. `images` and `cdnImages` are the
//!   quarters (tl, tr, bl, br).
//! - A describe has no `prompt`: `data.prompt` holds its numbered prompts.
//! - `occurred_at` is `finishTime` once the task is finished or failed;
//!   `created_at` is `submitTime`.
//! - `components`, `quota`, `mode`, `seed`, `hookUrl` and `notify_id` have no
//!   place in the model and are not read.

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Envelope, Format, Signature, StatusMark};
use super::{finish, push_finished_images, Provider};
use crate::error::DecodeError;
use crate::event::{Image, ImageRole, JobError, JobEvent, JobStatus, Operation};
use crate::quirks::{
    clean_prompts, EmptyAsNone, NullableList, OneOrMany, Percent, Skipped, StringOrInt, Timestamp,
};

const PROVIDER: Provider = Provider::Ttapi;

/// The envelope every TTAPI reply and callback comes in.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Body {
    /// The task's status, or the request's outcome (`SUCCESS`, `FAILED`).
    pub status: Option<String>,
    /// `""`, `"success"`, `null`, or why the task or request failed.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub message: Option<String>,
    /// The task id (fetch and callback bodies).
    pub job_id: Option<StringOrInt>,
    /// The task, `fetch-list`'s records, or `null` on an error.
    pub data: Option<OneOrMany<Task>>,
}

/// A task under `data`, or a `fetch-list` record.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The task id.
    pub job_id: Option<StringOrInt>,
    /// Submit replies and `fetch-list` records: the task id.
    #[serde(rename = "job_id")]
    pub job_id_snake: Option<StringOrInt>,
    /// `imagine`, `upsample1`…`4`, `variation1`…`4`, `reroll`,
    /// `zoom_out_2`, `pan_left`, `describe`, …
    pub action: Option<String>,
    /// The legacy callback's name for `action`.
    pub actions: Option<String>,
    /// `fetch-list` records only: an integer status.
    pub status: Option<StringOrInt>,
    /// `"100"`.
    pub progress: Option<Percent>,
    /// The prompt; a describe's numbered prompts.
    pub prompt: Option<String>,
    /// The result on Discord's CDN (often the same URL as `cdnImage`).
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub discord_image: Option<String>,
    /// The result on TTAPI's CDN.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub cdn_image: Option<String>,
    /// `fetch-list`: `discordImage`.
    #[serde(rename = "discord_image")]
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub discord_image_snake: Option<String>,
    /// `fetch-list`: `cdnImage`.
    #[serde(rename = "cdn_image")]
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub cdn_image_snake: Option<String>,
    /// Width of `cdnImage`, in pixels.
    pub width: Option<u32>,
    /// Height of `cdnImage`, in pixels.
    pub height: Option<u32>,
    /// The four quarters.
    #[serde_as(as = "NullableList")]
    #[serde(default)]
    pub images: Vec<String>,
    /// The edit product's TTAPI copies of the quarters.
    #[serde_as(as = "NullableList")]
    #[serde(default)]
    pub cdn_images: Vec<String>,
    /// Submitted, RFC 3339.
    pub submit_time: Option<Timestamp>,
    /// Finished, RFC 3339.
    pub finish_time: Option<Timestamp>,
    /// Next actions (not read).
    pub components: Option<Skipped>,
    /// Credits used (not read).
    pub quota: Option<Skipped>,
    /// `fast`, `relax`, `turbo` (not read).
    pub mode: Option<Skipped>,
    /// `fetch-list`: the mode (not read).
    pub model: Option<Skipped>,
    /// A seed task's result (not read).
    pub seed: Option<Skipped>,
    /// An echo of the hook URL (not read: it holds the caller's token).
    pub hook_url: Option<Skipped>,
    /// An echo of the caller's reference (not read).
    #[serde(rename = "notify_id")]
    pub notify_id: Option<Skipped>,
}

/// Keys of a TTAPI task that no other format sends.
const MARKS: &[&str] = &[
    "cdnImage",
    "discordImage",
    "cdnImages",
    "components",
    "quota",
    "cdn_image",
    "discord_image",
];

/// The envelope's status words.
const STATUSES: StatusMark = StatusMark::Words(&["PENDING_QUEUE", "ON_QUEUE", "SUCCESS", "FAILED"]);

/// How TTAPI bodies look: the envelope `{status, message, jobId, data}` with
/// a status word of TTAPI's, around a task with TTAPI's image keys, a task
/// whose id the envelope carries, or the submit reply's `{jobId}`; error
/// replies `{status: "FAILED", message, data?}`.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || {
        let mut keys = fields_of::<Body>().to_vec();
        keys.extend(fields_of::<Task>());
        keys
    },
    also_sends: &[],
    record: &[
        Signature::keys(&[], MARKS),
        Signature::keys(&["jobId"], &["progress", "action", "actions", "prompt"]).closed(),
    ],
    envelopes: &[Envelope {
        key: "data",
        outer: Some(Signature::keys(&["status"], &[]).status(STATUSES)),
        carries_id: Some("jobId"),
        record: &[Signature::keys(&["jobId"], &[]).closed()],
    }],
    replies: &[
        Signature::keys(&["status", "message"], &[])
            .status(StatusMark::Words(&["FAILED"]))
            .only(),
        Signature::keys(&["status", "message", "data"], &[])
            .status(StatusMark::Words(&["FAILED"]))
            .only(),
    ],
};

/// Every task in a TTAPI body (several for `fetch-list`).
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// One task's event from a TTAPI body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    let body: Body = super::parse(PROVIDER, bytes)?;
    let (task, records) = match body.data {
        Some(OneOrMany::One(task)) => (Some(*task), Vec::new()),
        Some(OneOrMany::Many(records)) => (None, records),
        None => (None, Vec::new()),
    };
    if !records.is_empty() {
        return super::normalize_records(PROVIDER, "data", OneOrMany::Many(records), record);
    }
    let task = task.unwrap_or_default();
    let ids = [
        body.job_id.as_ref(),
        task.job_id.as_ref(),
        task.job_id_snake.as_ref(),
    ];
    let status_word = body.status.as_deref().unwrap_or_default();
    if ids.iter().all(Option::is_none) && status_word.trim().eq_ignore_ascii_case("failed") {
        return Err(DecodeError::Vendor {
            provider: PROVIDER,
            code: "FAILED".to_owned(),
            message: body.message,
        });
    }
    let job_id = super::job_id(
        PROVIDER,
        "jobId".to_owned(),
        "missing field `jobId` (or `data.jobId`)",
        &ids,
    )?;
    if body.job_id.is_none() && task.is_only_an_id() {
        // A submit reply: its status is the request's, not the task's.
        return Ok(vec![finish(JobEvent::new(
            PROVIDER,
            job_id,
            JobStatus::Pending,
        ))]);
    }
    let status = task_status(status_word);
    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.provider_status = body.status;
    fill(&mut event, task);
    if status == JobStatus::Failed {
        event.error = JobError::from_vendor(None, body.message);
    }
    Ok(vec![finish(event)])
}

/// A task status word; `SUCCESS` is completed here, although the shared
/// table keeps `success` unknown (other vendors use it for a submission).
fn task_status(word: &str) -> JobStatus {
    if word.trim().eq_ignore_ascii_case("success") {
        JobStatus::Completed
    } else {
        JobStatus::from_vendor(word)
    }
}

/// A `fetch-list` record; `at` prefixes JSON paths in errors.
fn record(task: Task, at: &str) -> Result<JobEvent, DecodeError> {
    let job_id = super::job_id(
        PROVIDER,
        format!("{at}job_id"),
        "missing field `job_id`",
        &[task.job_id_snake.as_ref(), task.job_id.as_ref()],
    )?;
    let status = match &task.status {
        Some(code) => match code.as_int() {
            Some(2) => JobStatus::Completed,
            Some(_) => JobStatus::Unknown,
            None => task_status(&code.to_text()),
        },
        None => JobStatus::Unknown,
    };
    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.provider_status = task.status.as_ref().map(|code| code.to_text().into_owned());
    fill(&mut event, task);
    Ok(finish(event))
}

impl Task {
    /// Whether the task says nothing but its id (a submit reply's `data`).
    fn is_only_an_id(&self) -> bool {
        let Task {
            job_id: _,
            job_id_snake: _,
            action,
            actions,
            status,
            progress,
            prompt,
            discord_image,
            cdn_image,
            discord_image_snake,
            cdn_image_snake,
            width,
            height,
            images,
            cdn_images,
            submit_time,
            finish_time,
            components,
            quota,
            mode,
            model,
            seed,
            hook_url,
            notify_id,
        } = self;
        action.is_none()
            && actions.is_none()
            && status.is_none()
            && progress.is_none()
            && prompt.is_none()
            && discord_image.is_none()
            && cdn_image.is_none()
            && discord_image_snake.is_none()
            && cdn_image_snake.is_none()
            && width.is_none()
            && height.is_none()
            && images.is_empty()
            && cdn_images.is_empty()
            && submit_time.is_none()
            && finish_time.is_none()
            && components.is_none()
            && quota.is_none()
            && mode.is_none()
            && model.is_none()
            && seed.is_none()
            && hook_url.is_none()
            && notify_id.is_none()
    }
}

/// Maps a task's fields onto an event whose id and status are set.
fn fill(event: &mut JobEvent, task: Task) {
    event.progress = task.progress.as_ref().and_then(Percent::progress);
    event.operation = task
        .action
        .or(task.actions)
        .as_deref()
        .and_then(Operation::from_vendor);
    let prompt = task.prompt.filter(|prompt| !prompt.trim().is_empty());
    if event.operation == Some(Operation::Describe) {
        event.prompts = prompt
            .as_deref()
            .map(|text| clean_prompts([text]))
            .unwrap_or_default();
    } else {
        event.prompt = prompt;
    }
    let role = match &event.operation {
        Some(Operation::Describe) => ImageRole::Input,
        Some(Operation::Upscale | Operation::Other(_)) => ImageRole::Image,
        _ => ImageRole::Grid,
    };
    let results = [
        task.discord_image,
        task.cdn_image,
        task.discord_image_snake,
        task.cdn_image_snake,
    ];
    for url in results.into_iter().flatten() {
        let mut image = Image::new(url, role);
        image.width = task.width;
        image.height = task.height;
        event.images.push(image);
    }
    push_finished_images(event, &task.images);
    push_finished_images(event, &task.cdn_images);
    if event.status.is_terminal() {
        event.occurred_at = task.finish_time.as_ref().and_then(Timestamp::to_utc);
    }
    event.created_at = task.submit_time.as_ref().and_then(Timestamp::to_utc);
}
