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
//!   ([`DecodeError::Vendor`], code `FAILED`, since TTAPI sends no code),
//!   and so is `FAILED` beside a list of tasks: the request failed. A
//!   `jobId` beside a list must be its one task's.
//! - The snake-case submit reply `{status, message, data: {job_id}}` is
//!   byte for byte AsyncAPI's created reply: detection calls it a tie
//!   between the two ([`DecodeError::Ambiguous`]), and either, when named,
//!   reads it as the same pending event.
//! - A bare task without a status (the edit product's `data`) is running
//!   while its `progress` is short of 100 (its images are previews; `"0"`
//!   without images is pending), and otherwise completed when it carries
//!   images.
//! - `SUCCESS` is completed in a task body, although the shared status table
//!   leaves `success` unknown (other vendors use it for a submission).
//! - `fetch-list` records: integer `status` 2 is completed (the only
//!   documented value, on a finished upscale); other integers are unknown.
//! - `cdnImage` and `discordImage` (each URL once) are the grid (`make_square`
//!   too: a zoom-out, an outpaint), one image for an upscale or an operation
//!   outside Midjourney's grid-making ones, and the input of a describe;
//!   `width`/`height` describe them. `images` and `cdnImages` are the
//!   quarters (tl, tr, bl, br). The keys' images come in payload order:
//!   clients show the keys in several orders.
//! - A describe has no `prompt`: `data.prompt` holds its numbered prompts.
//! - `occurred_at` is `finishTime` once the task is finished or failed;
//!   `created_at` is `submitTime`.
//! - `components`, `quota`, `mode`, `seed`, `hookUrl` and `notify_id` have no
//!   place in the model and are not read (`mode` only to refuse a Flux task).
//! - Tasks of TTAPI's other APIs come in the same envelope and are refused
//!   by what they carry: Suno's songs (`musics`) and model (`mv`), GPT-4o
//!   image's input images (`referImages`), Luma's `userPrompt`, face swap's
//!   `targetImage` and `swapImage`, Grok image's `aspectRatio`, a `mode`
//!   that is none of Midjourney's speed modes (Flux's `flux1-pro`), or a
//!   `model` that is neither a mode (`fetch-list` records write theirs
//!   there) nor Midjourney's (Sora's `sora-2`). A GPT image task while it
//!   waits (`{prompt, quota, hookUrl}`) shows nothing of the kind and
//!   cannot be told from a Midjourney task.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Envelope, Format, Signature, StatusMark};
use super::{finish, push_finished_images, At, Check, Events, Provider};
use crate::error::DecodeError;
use crate::event::{
    is_word, Image, ImageRole, JobError, JobEvent, JobId, JobStatus, Operation, Progress,
};
use crate::quirks::{
    clean_prompts, is_blank, present, BorrowedText, EmptyAsNone, NullableList, OneOrMany, Percent,
    Pixels, Skipped, StringOrInt, Timestamp,
};

const PROVIDER: Provider = Provider::Ttapi;

/// A task under `data`, or a `fetch-list` record; at the top, the envelope
/// `{status, message, jobId, data}` (or a bare task, as the edit product's
/// docs show it).
///
/// `Data` is the type of `data`: a body is a `Task<OneOrMany<Task>>`; a task
/// inside the envelope is a `Task`, whose own `data`, if any, is skipped.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task<'a, Data = Skipped> {
    /// Envelope: the task's status word, or the request's outcome
    /// (`SUCCESS`, `FAILED`). `fetch-list` record: an integer.
    #[serde(borrow)]
    pub status: Option<StringOrInt<'a>>,
    /// Envelope: `""`, `"success"`, `null`, or why the task or request failed.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
    /// Envelope: the task, `fetch-list`'s records, or `null` on an error.
    pub data: Option<Data>,
    /// The task id.
    #[serde(borrow)]
    pub job_id: Option<StringOrInt<'a>>,
    /// Submit replies and `fetch-list` records: the task id.
    #[serde(borrow, rename = "job_id")]
    pub job_id_snake: Option<StringOrInt<'a>>,
    /// `imagine`, `upsample1`…`4`, `variation1`…`4`, `reroll`,
    /// `zoom_out_2`, `pan_left`, `describe`, …
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub action: Option<Cow<'a, str>>,
    /// The legacy callback's name for `action`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub actions: Option<Cow<'a, str>>,
    /// `"100"`.
    #[serde(borrow)]
    pub progress: Option<Percent<'a>>,
    /// The prompt; a describe's numbered prompts.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub prompt: Option<Cow<'a, str>>,
    /// The result on Discord's CDN (often the same URL as `cdnImage`).
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub discord_image: Option<Cow<'a, str>>,
    /// The result on TTAPI's CDN.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub cdn_image: Option<Cow<'a, str>>,
    /// `fetch-list`: `discordImage`.
    #[serde(borrow, rename = "discord_image")]
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub discord_image_snake: Option<Cow<'a, str>>,
    /// `fetch-list`: `cdnImage`.
    #[serde(borrow, rename = "cdn_image")]
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub cdn_image_snake: Option<Cow<'a, str>>,
    /// Width of `cdnImage`, in pixels (a number, or its digits as a string,
    /// as TTAPI writes `progress` and `quota`).
    #[serde_as(as = "Option<Pixels>")]
    #[serde(default)]
    pub width: Option<u32>,
    /// Height of `cdnImage`, in pixels, written as `width` is.
    #[serde_as(as = "Option<Pixels>")]
    #[serde(default)]
    pub height: Option<u32>,
    /// The four quarters.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub images: Vec<Cow<'a, str>>,
    /// The edit product's TTAPI copies of the quarters.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub cdn_images: Vec<Cow<'a, str>>,
    /// Submitted, RFC 3339.
    #[serde(borrow)]
    pub submit_time: Option<Timestamp<'a>>,
    /// Finished, RFC 3339.
    #[serde(borrow)]
    pub finish_time: Option<Timestamp<'a>>,
    /// Next actions (not read).
    pub components: Option<Skipped>,
    /// Credits used (not read).
    pub quota: Option<Skipped>,
    /// `fast`, `relax`, `turbo`; in a Flux task, its model (`flux1-pro`,
    /// …), read only to refuse it.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub mode: Option<Cow<'a, str>>,
    /// `fetch-list`: the mode (`fast`, …); in a task of another of TTAPI's
    /// APIs, its model (`sora-2`, …), read only to refuse it.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
    /// A seed task's result (not read).
    pub seed: Option<Skipped>,
    /// An echo of the hook URL (not read: it holds the caller's token).
    pub hook_url: Option<Skipped>,
    /// An echo of the caller's reference (not read).
    #[serde(rename = "notify_id")]
    pub notify_id: Option<Skipped>,
    /// A TTAPI Suno task's model (read only to refuse it).
    #[serde(default, deserialize_with = "present")]
    pub mv: Option<Skipped>,
    /// A TTAPI Suno task's songs (read only to refuse it).
    #[serde(default, deserialize_with = "present")]
    pub musics: Option<Skipped>,
    /// A TTAPI GPT-4o image task's input images (read only to refuse it).
    #[serde(default, deserialize_with = "present")]
    pub refer_images: Option<Skipped>,
    /// A TTAPI Luma task's prompt (read only to refuse it).
    #[serde(default, deserialize_with = "present")]
    pub user_prompt: Option<Skipped>,
    /// A TTAPI face-swap task's target image (read only to refuse it).
    #[serde(default, deserialize_with = "present")]
    pub target_image: Option<Skipped>,
    /// A TTAPI face-swap task's face image (read only to refuse it).
    #[serde(default, deserialize_with = "present")]
    pub swap_image: Option<Skipped>,
    /// A TTAPI Grok image task's aspect ratio (read only to refuse it).
    #[serde(default, deserialize_with = "present")]
    pub aspect_ratio: Option<Skipped>,
}

/// Midjourney's speed modes: what a task puts in `mode`, and `fetch-list`
/// records in `model`.
const MODES: &[&str] = &["fast", "relax", "relaxed", "turbo"];

impl<Data> Task<'_, Data> {
    /// Refuses a task of another of TTAPI's APIs, which come in the same
    /// envelope and task keys (`jobId`, `progress`, `prompt`, `quota`):
    /// Suno's songs (`musics`) and model (`mv`), GPT-4o image's inputs
    /// (`referImages`), Luma's `userPrompt`, face swap's `targetImage` and
    /// `swapImage`, Grok image's `aspectRatio`, a `mode` that is no speed
    /// mode (Flux's `flux1-pro`), or a `model` (Sora's `sora-2`, …) that is
    /// neither a mode nor Midjourney's.
    fn refuse_other_api(&self, at: At) -> Result<(), DecodeError> {
        let marks = [
            (self.musics.is_some(), "musics", "Suno"),
            (self.mv.is_some(), "mv", "Suno"),
            (self.refer_images.is_some(), "referImages", "GPT-4o image"),
            (self.user_prompt.is_some(), "userPrompt", "Luma"),
            (self.target_image.is_some(), "targetImage", "face swap"),
            (self.swap_image.is_some(), "swapImage", "face swap"),
            (self.aspect_ratio.is_some(), "aspectRatio", "Grok image"),
        ];
        // A model named is the surest sign (Sora's tasks carry
        // `referImages` too); Flux's tasks name theirs in `mode`.
        super::refuse_model_outside(PROVIDER, at, "mode", self.mode.as_deref(), MODES, "Flux, …")?;
        let is_mode = |word: &str| MODES.iter().any(|mode| is_word(word, mode));
        let model = (self.model.as_deref()).filter(|model| !is_mode(model));
        super::refuse_other_model(PROVIDER, at, "model", model, "Sora, Suno, …")?;
        match marks.into_iter().find(|(carried, ..)| *carried) {
            Some((_, key, api)) => Err(DecodeError::another_api(
                PROVIDER,
                format!("{at}{key}"),
                format!(
                    "it carries `{at}{key}`, as tasks of TTAPI's {api} API do: a Midjourney \
                     task has none"
                ),
            )),
            None => Ok(()),
        }
    }
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
const STATUS_WORDS: &[&str] = &["PENDING_QUEUE", "ON_QUEUE", "SUCCESS", "FAILED"];
const STATUSES: StatusMark = StatusMark::Words(STATUS_WORDS);

/// How TTAPI bodies look: the envelope `{status, message, jobId, data}` with
/// a status word of TTAPI's, around a task with TTAPI's image keys, a task
/// whose id the envelope carries, or the submit reply's `{jobId}`; error
/// replies `{status: "FAILED", message, data?}`.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Task>().to_vec(),
    // `fetch-list` records are documented only in part (the copies end
    // after `cdn_image`); these likely snake_case times are read nowhere.
    also_sends: &["created_at", "updated_at"],
    record: &[
        // A task by its id, in either case, beside a key of TTAPI's own
        // (`quota` alone is any account object's).
        Signature::keys(&["jobId"], MARKS),
        Signature::keys(&["job_id"], MARKS),
        // A task without its envelope: its `status`, if any, is TTAPI's,
        // in its capitals (`{jobId, status: "success", progress}` is what
        // other APIs send).
        Signature::keys(&["jobId"], &["progress", "action", "actions", "prompt"])
            .status(StatusMark::NoneOrCapitals(STATUS_WORDS))
            .closed(),
        // The whole envelope, its task's id on top and `data: null`: a task
        // that failed or waits, never one that finished.
        Signature::keys(&["status", "message", "jobId", "data"], &[])
            .status(StatusMark::Words(&["FAILED", "ON_QUEUE", "PENDING_QUEUE"]))
            .only(),
    ],
    envelopes: &[
        Envelope {
            key: "data",
            outer: Some(Signature::keys(&["status"], &[]).status(STATUSES)),
            carries_id: Some("jobId"),
            record: &[Signature::keys(&["jobId"], &[]).closed()],
        },
        // The snake-case submit reply, AsyncAPI's created reply to the byte,
        // and nothing beside: `{status, message, data: {job_id}}`.
        Envelope {
            key: "data",
            outer: Some(
                Signature::keys(&["status"], &[])
                    .status(StatusMark::Words(&["SUCCESS"]))
                    .only_among(&["message", "data"]),
            ),
            carries_id: None,
            record: &[Signature::keys(&["job_id"], &[]).only()],
        },
    ],
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

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let mut body: Task<OneOrMany<Task>> = super::parse(PROVIDER, text, check)?;
    let status_word = body.status.take().map(StringOrInt::into_text);
    let task = match body.data.take() {
        Some(OneOrMany::Many(records)) if !records.is_empty() => {
            // Ids alone under the request's `SUCCESS` are submit replies, as
            // one is in an object (`fetch-list` records carry their status).
            let submitted = says(status_word.as_deref(), "success");
            // A list is `fetch-list`'s: a `FAILED` beside it is the request's
            // failure, not each task's, and no task of it can be reported.
            if says(status_word.as_deref(), "failed") {
                return Err(failed_request(body.message));
            }
            let records = OneOrMany::Many(records);
            super::check_envelope_id(
                PROVIDER,
                "jobId",
                "data",
                body.job_id.as_ref(),
                &records,
                |task| task.job_id.as_ref().or(task.job_id_snake.as_ref()),
            )?;
            return super::normalize_records(PROVIDER, "data", records, |task, at| {
                if submitted && task.is_only_an_id() {
                    submit_reply(task, at)
                } else {
                    record(task, at)
                }
            });
        }
        Some(OneOrMany::One(task)) => Some(*task),
        // `fetch-list` with no task, rather than a task without an id (a
        // failed request's reply is the vendor's error, below).
        Some(OneOrMany::Many(_))
            if body.job_id.is_none()
                && body.job_id_snake.is_none()
                && !says(status_word.as_deref(), "failed") =>
        {
            return Err(DecodeError::NoJob {
                provider: PROVIDER,
                path: "data".to_owned(),
            });
        }
        // `data: []` (a queued task, one client says) or no `data`: the
        // task's fields, if any, are at the top.
        Some(OneOrMany::Many(_)) | None => None,
    };
    let message = body.message.take();
    let top_job_id = body.job_id.take();
    match task {
        Some(task) => task_event(status_word, message, top_job_id, task, false),
        None => task_event(status_word, message, top_job_id, body, true),
    }
}

/// The vendor's error for a request that failed (`FAILED` with no task to
/// report): TTAPI sends no code, so the word stands for one.
fn failed_request(message: Option<Cow<'_, str>>) -> DecodeError {
    DecodeError::Vendor {
        provider: PROVIDER,
        code: "FAILED".to_owned(),
        message: message.map(Cow::into_owned),
    }
}

/// Whether the envelope's `status` is `word` (the shared folding).
fn says(status: Option<&str>, word: &str) -> bool {
    status.is_some_and(|status| is_word(status, word))
}

/// The event of a task body: the envelope's `status`, `message` and `jobId`
/// around `task` (the envelope itself when `bare`).
fn task_event<Data>(
    status_word: Option<Cow<'_, str>>,
    message: Option<Cow<'_, str>>,
    top_job_id: Option<StringOrInt<'_>>,
    task: Task<'_, Data>,
    bare: bool,
) -> Result<Events, DecodeError> {
    task.refuse_other_api(if bare { At::TOP } else { At::inside("data") })?;
    let ids = [
        top_job_id.as_ref(),
        task.job_id.as_ref(),
        task.job_id_snake.as_ref(),
    ];
    if let (Some(top_job_id), false) = (&top_job_id, bare) {
        super::check_record_ids(
            PROVIDER,
            "jobId",
            "data",
            top_job_id,
            std::slice::from_ref(&task),
            |task| task.job_id.as_ref().or(task.job_id_snake.as_ref()),
        )?;
    }
    let request_failed = says(status_word.as_deref(), "failed");
    if request_failed && ids.iter().all(Option::is_none) {
        return Err(failed_request(message));
    }
    let (job_id_key, job_id_snake_key) = match bare {
        true => ("jobId", "job_id"),
        false => ("data.jobId", "data.job_id"),
    };
    let keys = ["jobId", job_id_key, job_id_snake_key];
    let job_id = super::job_id(
        PROVIDER,
        At::TOP,
        "missing field `jobId` (or `data.jobId`)",
        keys.into_iter().zip(ids.map(|id| id.cloned())),
    )?;
    let request_succeeded = status_word
        .as_deref()
        .is_none_or(|word| is_word(word, "success"));
    if top_job_id.is_none() && !bare && task.is_only_an_id() && request_succeeded {
        // A submit reply: its status is the request's, not the task's (a
        // task word such as `ON_QUEUE` or `FAILED` is the task's own).
        let mut event = JobEvent::new(PROVIDER, job_id, JobStatus::Pending);
        finish(&mut event);
        return Ok(Events::One(event));
    }
    // A bare task (the edit product's docs) says nothing of its status: a
    // progress short of 100 says it is running (its images are previews),
    // else its results say it finished.
    let progress = task.progress.as_ref().and_then(Percent::progress);
    let status = match status_word.as_deref() {
        Some(word) => JobStatus::from_task_word(word),
        None => match progress.map(Progress::get) {
            Some(0) if !task.has_results() => JobStatus::Pending,
            Some(0..=99) => JobStatus::InProgress,
            _ if task.has_results() => JobStatus::Completed,
            _ => JobStatus::Unknown,
        },
    };
    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.provider_status = status_word.map(Cow::into_owned);
    fill(&mut event, task);
    if status == JobStatus::Failed {
        event.error = JobError::from_vendor(None, message);
    }
    finish(&mut event);
    Ok(Events::One(event))
}

/// A `fetch-list` record; `at` prefixes JSON paths in errors.
/// A `fetch-list` record's id (`job_id`, or `jobId`).
fn record_id(task: &mut Task, at: At) -> Result<JobId, DecodeError> {
    super::job_id(
        PROVIDER,
        at,
        "missing field `job_id`",
        [
            ("job_id", task.job_id_snake.take()),
            ("jobId", task.job_id.take()),
        ],
    )
}

/// A submit reply's task: its id, pending.
fn submit_reply(mut task: Task, at: At) -> Result<JobEvent, DecodeError> {
    let mut event = JobEvent::new(PROVIDER, record_id(&mut task, at)?, JobStatus::Pending);
    finish(&mut event);
    Ok(event)
}

fn record(mut task: Task, at: At) -> Result<JobEvent, DecodeError> {
    task.refuse_other_api(at)?;
    let job_id = record_id(&mut task, at)?;
    let status = match &task.status {
        Some(code) => match code.as_int() {
            Some(2) => JobStatus::Completed,
            Some(_) => JobStatus::Unknown,
            None => JobStatus::from_task_word(&code.to_text()),
        },
        None => JobStatus::Unknown,
    };
    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.provider_status = task.status.as_ref().map(|code| code.to_text().into_owned());
    fill(&mut event, task);
    finish(&mut event);
    Ok(event)
}

impl<Data> Task<'_, Data> {
    /// Whether the task carries a result image.
    fn has_results(&self) -> bool {
        [
            &self.discord_image,
            &self.cdn_image,
            &self.discord_image_snake,
            &self.cdn_image_snake,
        ]
        .iter()
        .any(|url| url.is_some())
            || self
                .images
                .iter()
                .chain(&self.cdn_images)
                .any(|url| !url.is_empty())
    }

    /// Whether the task says nothing but its id (a submit reply's `data`).
    fn is_only_an_id(&self) -> bool {
        let Task {
            message,
            data,
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
            mv,
            musics,
            refer_images,
            user_prompt,
            target_image,
            swap_image,
            aspect_ratio,
        } = self;
        message.is_none()
            && data.is_none()
            && action.is_none()
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
            && mv.is_none()
            && musics.is_none()
            && refer_images.is_none()
            && user_prompt.is_none()
            && target_image.is_none()
            && swap_image.is_none()
            && aspect_ratio.is_none()
    }
}

/// Maps a task's fields onto an event whose id and status are set.
fn fill<Data>(event: &mut JobEvent, task: Task<Data>) {
    event.progress = task.progress.as_ref().and_then(Percent::progress);
    event.operation = task
        .action
        .or(task.actions)
        .as_deref()
        .and_then(Operation::from_vendor);
    let prompt = task.prompt.filter(|prompt| !is_blank(prompt));
    if event.operation == Some(Operation::Describe) {
        event.prompts = prompt
            .as_deref()
            .map(|text| clean_prompts([text]))
            .unwrap_or_default();
    } else {
        event.prompt = prompt.map(Cow::into_owned);
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
    // In payload order: clients show TTAPI's keys in several orders.
    let mut order = super::PayloadOrder::default();
    for url in results.into_iter().flatten() {
        order.block(event, Some(&url));
        let mut image = Image::new(url, role);
        image.width = task.width;
        image.height = task.height;
        event.images.push(image);
    }
    order.block(event, task.images.first());
    push_finished_images(event, task.images);
    order.block(event, task.cdn_images.first());
    push_finished_images(event, task.cdn_images);
    order.apply(event);
    if event.status.is_terminal() {
        event.occurred_at = task.finish_time.as_ref().and_then(Timestamp::to_utc);
    }
    event.created_at = task.submit_time.as_ref().and_then(Timestamp::to_utc);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snake_case_submit_reply_is_a_tie_with_asyncapi_and_read_alike_when_named() {
        let body = br#"{"status": "SUCCESS", "message": "success", "data": {"job_id": "j-1"}}"#;
        assert!(matches!(
            crate::decode_auto(body),
            Err(DecodeError::Ambiguous { ref candidates, .. })
                if candidates == &[Provider::Asyncapi, Provider::Ttapi]
        ));
        let as_asyncapi = crate::decode(Provider::Asyncapi, body).unwrap();
        assert_eq!(as_asyncapi.status, JobStatus::Pending);
        assert_eq!(as_asyncapi.provider_status, None);
        let named = decode(body).unwrap();
        assert_eq!(
            JobEvent {
                provider: Provider::Asyncapi,
                ..named
            },
            as_asyncapi
        );
        // Beside anything else the snake-case id is no TTAPI body (AsyncAPI
        // reads the second as a job whose status is `SUCCESS`: found by the
        // differential fuzz target).
        for more in [
            r#"{"status": "SUCCESS", "message": "success", "data": {"job_id": "j-1", "type": "imagine"}}"#,
            r#"{"status": "SUCCESS", "job_id": "j-1", "data": {"job_id": "j-1"}}"#,
        ] {
            assert!(decode(more.as_bytes()).is_err(), "{more}");
        }
    }

    #[test]
    fn a_model_that_is_a_mode_is_read_and_another_model_refused() {
        let task = |model: &str| {
            format!(
                r#"{{"status": "ON_QUEUE", "message": "", "jobId": "j-1",
                    "data": {{"prompt": "p", "quota": "3", "model": "{model}"}}}}"#
            )
        };
        for mode in ["fast", "RELAX", "turbo", "midjourney", ""] {
            assert!(decode(task(mode).as_bytes()).is_ok(), "{mode}");
        }
        let error = decode(task("sora-2").as_bytes()).unwrap_err();
        assert!(error.to_string().contains("`data.model`"), "{error}");
    }

    #[test]
    fn a_speed_mode_is_read_and_a_flux_model_in_mode_refused() {
        let task = |mode: &str| {
            format!(
                r#"{{"status": "ON_QUEUE", "message": "", "jobId": "j-1",
                    "data": {{"prompt": "p", "quota": "3", "mode": "{mode}"}}}}"#
            )
        };
        for mode in ["fast", "Relax", "turbo", ""] {
            assert!(decode(task(mode).as_bytes()).is_ok(), "{mode}");
        }
        let error = decode(task("flux1-pro").as_bytes()).unwrap_err();
        assert!(error.to_string().contains("`data.mode`"), "{error}");
    }

    #[test]
    fn images_keep_payload_order_where_their_places_are_known() {
        let urls = |quarter: &str| {
            let body = format!(
                r#"{{"status": "SUCCESS", "jobId": "j-3", "data": {{"images": ["{quarter}"],
                    "action": "upscale1", "cdnImage": "https://example.com/u.png"}}}}"#
            );
            let event = decode(body.as_bytes()).unwrap();
            event
                .images
                .into_iter()
                .map(|image| image.url)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            urls("https://example.com/q.png"),
            ["https://example.com/q.png", "https://example.com/u.png"]
        );
        // An escaped URL is copied and its place is lost: the documented
        // order (the result keys first) stands.
        assert_eq!(
            urls(r"https:\/\/example.com\/q.png"),
            ["https://example.com/u.png", "https://example.com/q.png"]
        );
    }

    #[test]
    fn an_empty_data_list_beside_a_job_id_is_one_task() {
        // An empty list is no evidence for the formats that put records in
        // `data`: TTAPI's status word decides, named or detected.
        let body = br#"{"status": "PENDING_QUEUE", "message": "", "jobId": "j-2", "data": []}"#;
        let event = decode(body).unwrap();
        assert_eq!(event.job_id.as_str(), "j-2");
        assert_eq!(event.status, JobStatus::Pending);
        assert_eq!(event.provider_status.as_deref(), Some("PENDING_QUEUE"));
        assert_eq!(crate::decode_auto(body), Ok(event));
        let snake = br#"{"status": "ON_QUEUE", "message": "", "job_id": "j-3", "data": []}"#;
        assert_eq!(decode(snake).unwrap().job_id.as_str(), "j-3");
        let empty = br#"{"status": "SUCCESS", "message": "", "data": []}"#;
        assert_eq!(
            decode(empty),
            Err(DecodeError::NoJob {
                provider: PROVIDER,
                path: "data".to_owned()
            })
        );
    }

    #[test]
    fn ids_alone_in_a_success_list_are_submit_replies_as_asyncapi_reads_them() {
        // Found by the `differential` fuzz target: TTAPI read these records
        // as tasks of unknown status, AsyncAPI as submitted jobs.
        let body = br#"{"status": "SUCCESS", "data": [{"job_id": "j-1"}]}"#;
        let event = decode(body).unwrap();
        assert_eq!(event.status, JobStatus::Pending);
        let asyncapi = crate::decode(Provider::Asyncapi, body).unwrap();
        assert_eq!(
            event,
            JobEvent {
                provider: PROVIDER,
                ..asyncapi
            }
        );
    }

    #[test]
    fn a_failed_request_without_a_job_is_the_vendor_error() {
        let body = br#"{"status": "FAILED", "message": "Parameter error", "data": null}"#;
        assert_eq!(
            decode(body),
            Err(DecodeError::Vendor {
                provider: PROVIDER,
                code: "FAILED".to_owned(),
                message: Some("Parameter error".to_owned()),
            })
        );
    }
}
