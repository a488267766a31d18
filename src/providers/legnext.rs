//! Legnext (`api.legnext.ai`): a near-copy of GoAPI's unified task, keyed by
//! `job_id` instead of `task_id`.
//!
//! Bodies: the job object that every create call and `GET /v1/job/{job_id}`
//! return (bare); the callback `{timestamp, data: <job>}`; a GoAPI-style
//! `{code, data, message}` envelope (not seen for jobs, read defensively);
//! the error reply `{code, message, raw_message, detail}`; and an error shaped
//! like a failed job whose `job_id` is `""`.
//!
//! Decisions where the vendor is silent:
//! - `task_type` `diffusion` is an imagine (shared table); `remix`, `edit`,
//!   `retexture`, `upload-paint`, `enhance`, `remove-background` and the video
//!   tasks stay verbatim.
//! - `output.image_url` is the one image of a single-image or video task
//!   (`upscale`, `enhance`, `remove-background`, `video-upscale`,
//!   `video-diffusion`, `extend-video`) and the grid of every other task;
//!   `output.image_urls` are the grid's quarters, with their positions when
//!   there are two to four of them. As everywhere, the images of a pending
//!   or running job are previews.
//! - Video outputs have no documented field names and are never images: an
//!   `.mp4` in either field is left out (the shared rule).
//! - `prompts` come from `output.prompts`, else from `output.finalPrompt`
//!   split at its numbering (a shorten text's `## Important tokens` part is
//!   no prompt); `promptEn` and `description` are not prompts.
//! - The prompt comes from `input.prompt`, else `input.text` (the name of
//!   Legnext's diffusion request field), when `input` is an object that has
//!   one (GoAPI's twin does; Legnext's examples send `input: null`).
//! - `error` is reported for a failed job only (`{"code": 0, "message": ""}`
//!   is no error); its message is `message` with the upstream `raw_message`
//!   after it in brackets when that adds something, else either alone.
//! - `occurred_at` is the callback's `timestamp`; a polled job in a terminal
//!   state (or a callback's whose `timestamp` is `0` or blank) occurred at
//!   `meta.ended_at`; otherwise none.
//! - A `job_id` of `""` with a non-zero `error.code` is the vendor's error
//!   reply ([`DecodeError::Vendor`]), as is a top-level `code` beside no job,
//!   or an envelope `code` other than 0 or 200.
//! - A job whose `model` is not `midjourney` (as GoAPI's tasks of other
//!   models are) is refused.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Envelope, Format, Signature};
use super::{finish, At, Check, Events, Provider};
use crate::error::DecodeError;
use crate::event::{is_word, Image, ImageRole, JobEvent, JobStatus, Operation};
use crate::quirks::{
    clean_prompts, is_blank, with_upstream_text, BorrowedText, EmptyAsNone, ErrorDetail,
    NullableList, ObjectOnly, OneOrMany, Skipped, StringOrInt, Timestamp,
};

const PROVIDER: Provider = Provider::Legnext;

/// A job object; with `timestamp`, `code`, `message` or `data`, an envelope
/// around one; with `code`, `message` and `raw_message` alone, the error reply.
///
/// `Data` is the type of `data`: a body is a `Job<OneOrMany<Job>>`; the job
/// inside an envelope is a `Job`, whose own `data`, if any, is skipped.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Job<'a, Data = Skipped> {
    /// The job's UUID; `""` in an error shaped like a job.
    #[serde(borrow)]
    pub job_id: Option<StringOrInt<'a>>,
    /// `midjourney` (`""` in the error reply); a job of another model is
    /// refused.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
    /// `diffusion`, `variation`, `upscale`, `reroll`, `blend`, `describe`,
    /// `shorten`, `pan`, `outpaint`, `inpaint`, `remix`, `edit`, …
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub task_type: Option<Cow<'a, str>>,
    /// `pending`, `staged`, `processing`, `completed`, `failed`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    /// The service mode and the callback echo (not read).
    pub config: Option<Skipped>,
    /// An echo of the request; `null` in every example.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub input: Option<Input<'a>>,
    /// The results; `null` in error bodies.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub output: Option<Output<'a>>,
    /// Times and billing; `null` in error bodies.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub meta: Option<Meta<'a>>,
    /// Always `null` on jobs; the error reply's details (not read).
    pub detail: Option<Skipped>,
    /// `[]` or `null` (not read).
    pub logs: Option<Skipped>,
    /// Always present on jobs; code 0 and empty messages mean "no error".
    #[serde(borrow)]
    pub error: Option<ErrorDetail<'a>>,
    /// Callback envelope: when it was sent.
    #[serde(borrow)]
    pub timestamp: Option<Timestamp<'a>>,
    /// Error reply and GET envelope: the result code (200 on success).
    #[serde(borrow)]
    pub code: Option<StringOrInt<'a>>,
    /// Error reply and GET envelope: the result text.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
    /// Error reply: the upstream text behind `message`.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub raw_message: Option<Cow<'a, str>>,
    /// The job inside a callback or GET envelope.
    pub data: Option<Data>,
}

/// The request echo's fields this crate reads.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Input<'a> {
    /// The prompt as submitted.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub prompt: Option<Cow<'a, str>>,
    /// The prompt under the name Legnext's diffusion request gives it.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
}

/// `output`: images for image tasks, prompts for describe and shorten.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Output<'a> {
    /// The grid, or a single-image task's result; `""` or `null` when none.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image_url: Option<Cow<'a, str>>,
    /// The four quarters; `null` until done.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub image_urls: Vec<Cow<'a, str>>,
    /// The seed as a string, `""` until done (not read).
    pub seed: Option<Skipped>,
    /// Follow-up actions per image index, mixing lists and booleans (not read).
    pub available_actions: Option<Skipped>,
    /// Describe: the first prompt in English (not read).
    #[serde(rename = "promptEn")]
    pub prompt_en: Option<Skipped>,
    /// Describe: a description of the image (not read).
    pub description: Option<Skipped>,
    /// Describe and shorten: every prompt in one numbered string.
    #[serde(borrow, rename = "finalPrompt")]
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub final_prompt: Option<Cow<'a, str>>,
    /// Describe and shorten: the prompts; `[]` while pending.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub prompts: Vec<Cow<'a, str>>,
}

/// `meta`.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta<'a> {
    /// RFC 3339; `""` in some create replies.
    #[serde(borrow)]
    pub created_at: Option<Timestamp<'a>>,
    /// As `created_at`; Go's zero time, `""` or absent until started.
    #[serde(borrow)]
    pub started_at: Option<Timestamp<'a>>,
    /// As `created_at`; Go's zero time, `""` or absent until ended.
    #[serde(borrow)]
    pub ended_at: Option<Timestamp<'a>>,
    /// Points frozen and consumed (not read).
    pub usage: Option<Skipped>,
}

/// Keys beside `job_id` that only a Legnext job has together with it.
const MARKS: &[&str] = &[
    "task_type",
    "model",
    "config",
    "input",
    "output",
    "meta",
    "detail",
    "logs",
];

/// How Legnext bodies look: a job keyed by `job_id` with GoAPI's blocks
/// (`task_type`, `output`, `meta`, …), bare or in the callback `{timestamp,
/// data}` (or a GET-style `{code, data, message}`); the error reply is
/// GoAPI's error object at the top level, with `raw_message`.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Job>().to_vec(),
    also_sends: &[],
    record: &[Signature::keys(&["job_id"], MARKS)],
    envelopes: &[Envelope {
        key: "data",
        outer: None,
        carries_id: None,
        record: &[],
    }],
    replies: &[Signature::keys(&["code", "raw_message"], &[])],
};

/// The job in a Legnext body, as a one-element list.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// The job's event from a Legnext body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let mut body: Job<OneOrMany<Job>> = super::parse(PROVIDER, text, check)?;
    if body.job_id.is_some() {
        return Ok(Events::One(normalize(body, At::TOP, None)?));
    }
    // An envelope (or the error reply): a code other than success is the
    // vendor's error, whatever `data` holds.
    if let Some(code) = &body.code {
        if !matches!(code.as_int(), Some(0 | 200)) {
            return Err(DecodeError::Vendor {
                provider: PROVIDER,
                code: code.to_text().into_owned(),
                message: with_upstream_text(body.message.as_deref(), body.raw_message.as_deref())
                    .map(Cow::into_owned),
            });
        }
    }
    let sent_at = body.timestamp.take();
    match body.data.take() {
        Some(data) => super::normalize_records(PROVIDER, "data", data, |job, at| {
            normalize(job, at, sent_at.as_ref())
        }),
        None if sent_at.is_some() || body.code.is_some() => Err(DecodeError::NoJob {
            provider: PROVIDER,
            path: "data".to_owned(),
        }),
        None => Ok(Events::One(normalize(body, At::TOP, None)?)),
    }
}

/// Maps one job; `at` prefixes JSON paths in errors, `sent_at` is the
/// callback envelope's timestamp.
fn normalize<Data>(
    job: Job<Data>,
    at: At,
    sent_at: Option<&Timestamp>,
) -> Result<JobEvent, DecodeError> {
    let failure = job.error.as_ref().and_then(ErrorDetail::to_job_error);
    // A job-shaped body without a job: the vendor's error reply (HTTP 403).
    let blank_id = job.job_id.as_ref().is_some_and(StringOrInt::is_blank);
    if blank_id {
        if let Some(failure) = failure.as_ref().filter(|failure| failure.code.is_some()) {
            return Err(DecodeError::Vendor {
                provider: PROVIDER,
                code: failure.code.clone().unwrap_or_default(),
                message: Some(failure.message.clone()),
            });
        }
    }
    // Its twin GoAPI sells other models on this task; Legnext's docs show
    // none, but a job that names one is no Midjourney job.
    super::refuse_other_model(
        PROVIDER,
        at,
        "model",
        job.model.as_deref(),
        "Kling, Flux, …",
    )?;
    let job_id = super::job_id(
        PROVIDER,
        at,
        "missing field `job_id`",
        [("job_id", job.job_id)],
    )?;
    let provider_status = job.status.ok_or_else(|| {
        DecodeError::field(
            PROVIDER,
            format!("{at}status"),
            "missing field `status` (or it is null)",
        )
    })?;
    let status = JobStatus::from_vendor(&provider_status);
    let meta = job.meta.unwrap_or_default();

    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.operation = job.task_type.as_deref().and_then(Operation::from_vendor);
    event.prompt = job
        .input
        .and_then(|input| input.prompt.or(input.text))
        .map(Cow::into_owned);
    if let Some(output) = job.output {
        let single = event.operation.as_ref().is_some_and(makes_one_image);
        if let Some(url) = output.image_url {
            let role = if single {
                ImageRole::Image
            } else {
                ImageRole::Grid
            };
            event.images.push(Image::new(url, role));
        }
        // Every image task but the single-image ones returns a grid, so the
        // list is its quarters even for verbatim types (`remix`, `edit`).
        let positions_known = !single && (2..=4).contains(&output.image_urls.len());
        for (position, url) in output.image_urls.into_iter().enumerate() {
            let mut image = Image::new(url, ImageRole::Image);
            image.index = u8::try_from(position).ok().filter(|_| positions_known);
            event.images.push(image);
        }
        event.prompts = if output.prompts.iter().any(|p| !is_blank(p)) {
            clean_prompts(&output.prompts)
        } else {
            clean_prompts(output.final_prompt.as_deref())
        };
    }
    event.error = failure.filter(|_| status == JobStatus::Failed);
    event.provider_status = Some(provider_status.into_owned());
    event.occurred_at = super::sent_or_ended(sent_at, status, meta.ended_at.as_ref());
    event.created_at = meta.created_at.as_ref().and_then(Timestamp::to_utc);
    finish(&mut event);
    Ok(event)
}

/// The tasks whose `image_url` is their one image rather than a grid (a
/// video task's, beside its videos, which are no images).
fn makes_one_image(operation: &Operation) -> bool {
    const SINGLE: [&str; 5] = [
        "enhance",
        "remove_background",
        "video_upscale",
        "video_diffusion",
        "extend_video",
    ];
    match operation {
        Operation::Upscale => true,
        // Folded as status words are: Legnext writes `remove-background`
        // and `remove_background`.
        Operation::Other(kind) => SINGLE.iter().any(|single| is_word(kind, single)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_of_another_model_is_refused() {
        let job = |model: &str| {
            format!(
                r#"{{"job_id": "j-1", "model": "{model}", "task_type": "diffusion", "status": "completed",
                    "output": {{"image_url": "https://example.com/a.png"}}, "meta": {{}}}}"#
            )
        };
        assert!(decode(job("midjourney").as_bytes()).is_ok());
        // The error reply's blank model says nothing.
        assert!(decode(job("").as_bytes()).is_ok());
        let error = decode(job("kling").as_bytes()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`model` names the model \"kling\""),
            "{error}"
        );
    }
}
