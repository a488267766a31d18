//! midjourney-proxy (the open-source `/mj/*` API) and the relays built on it:
//! the task object that `GET /mj/task/{id}/fetch` returns and that is posted
//! bare to a `notifyHook`, `list-by-condition`'s bare array of tasks, and the
//! `{code, description, result}` replies of `/mj/submit/*`.
//!
//! A task has `id`, `action` (`IMAGINE`, `UPSCALE`, …), `status`
//! (`NOT_START`, `SUBMITTED`, `MODAL`, `IN_PROGRESS`, `SUCCESS`, `FAILURE`,
//! `CANCEL`), `progress` (`"65%"`), `imageUrl`, `failReason` and epoch-ms
//! `submitTime`/`startTime`/`finishTime`. Resellers add `imageUrls`
//! (`[{url, thumbnail}]` or strings); apimart's variant spells
//! `grid_image_url`, `image_urls` and `fail_reason`; a hybrid relay sends
//! `task_id` instead of `id`.
//!
//! Decisions where the vendor is silent:
//! - Submit replies with code 1 (submitted), 21 (exists) or 22 (queued) are
//!   pending events whose job id is `result`; any other code is
//!   [`DecodeError::Vendor`] with `description` as the message. Code 21
//!   ("exists") takes the existing task's `properties.status`, and its
//!   `properties.imageUrl` as a task's `imageUrl` whose action is not known
//!   (a grid); without them it is pending too.
//! - `SUCCESS` is completed here, although the shared status table leaves
//!   `success` unknown (other vendors use it for a submission's outcome).
//! - `occurred_at` is `finishTime` once the task is finished, cancelled or
//!   failed (no event time is sent); `created_at` is `submitTime`.
//! - Failure text is `failReason` (or `fail_reason`); `description` is never
//!   taken for it: it echoes the command (`/imagine …`) or says "Submit
//!   success".
//! - `imageUrl` is the grid, except for an upscale or an operation outside
//!   Midjourney's grid-making ones (`SWAP_FACE`, …), where it is one image,
//!   and for a describe, where it is the uploaded input (whatever the status).
//!   While the task runs it is a preview.
//! - A describe has no `prompt`: its prompts come from
//!   `properties.finalPrompt`, else (apimart) from `prompt`. A shorten keeps
//!   its `prompt` (the prompt it shortened) and takes only the numbered lines
//!   after `## Shortened prompts`. `finalZhPrompt` (a translation) is not
//!   read.
//! - Video results are not images: URLs whose path ends in `.mp4` are
//!   skipped wherever they stand, and `videoUrl`/`videoUrls` are not read.
//!   A video action's (`VIDEO`, `VIDEO_EXTEND`, `SWAP_VIDEO_FACE`)
//!   `imageUrl` and image lists are its videos (the fork sets `imageUrl` to
//!   the mp4; a relay rewrites it to a URL of its own without the
//!   extension), so such a task has no images.
//! - Fields the model has no place for (`buttons`, `state`, `seed`, the
//!   fork's `jobId` (Midjourney's own id), `width`/`height`, `customId`,
//!   `botType`, `mode`, …) are not read.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_with::de::DeserializeAsWrap;
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Envelope, Format, Signature, StatusMark, WordKey};
use super::midjourney_api::ImageUrl;
use super::{finish, is_video_url, push_finished_images, At, Check, Events, Provider};
use crate::error::DecodeError;
use crate::event::{is_word, Image, ImageRole, JobError, JobEvent, JobStatus, Operation};
use crate::quirks::{
    clean_prompts, is_blank, BorrowedText, EmptyAsNone, NullableList, ObjectOnly, OneOrMany,
    Percent, Skipped, StringOrInt, Timestamp,
};

const PROVIDER: Provider = Provider::MidjourneyProxy;

/// A task as `/mj/task/{id}/fetch` returns it and `notifyHook` receives it;
/// with `code`, a `/mj/submit/*` reply.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task<'a> {
    /// The task id: a snowflake string, `task_…`, or a number.
    #[serde(borrow)]
    pub id: Option<StringOrInt<'a>>,
    /// A hybrid relay's name for `id`.
    #[serde(borrow, rename = "task_id")]
    pub task_id: Option<StringOrInt<'a>>,
    /// `IMAGINE`, `UPSCALE`, `VARIATION`, `REROLL`, `DESCRIBE`, `BLEND`,
    /// `ZOOM`, `PAN`, `INPAINT`, `SHORTEN`, …
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub action: Option<Cow<'a, str>>,
    /// `NOT_START`, `SUBMITTED`, `MODAL`, `IN_PROGRESS`, `SUCCESS`,
    /// `FAILURE`, `CANCEL`; relays add `FAILED`, `RUNNING`, `PENDING`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    /// `"65%"`; `""` on failure.
    #[serde(borrow)]
    pub progress: Option<Percent<'a>>,
    /// The prompt as the user wrote it (possibly not in English).
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub prompt: Option<Cow<'a, str>>,
    /// The prompt translated to English.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub prompt_en: Option<Cow<'a, str>>,
    /// A human description (`/imagine …`, `Submit success`); a submit
    /// reply's message.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub description: Option<Cow<'a, str>>,
    /// Submitted, epoch milliseconds.
    #[serde(borrow)]
    pub submit_time: Option<Timestamp<'a>>,
    /// Started, epoch milliseconds (not read: no canonical field).
    pub start_time: Option<Skipped>,
    /// Finished, epoch milliseconds.
    #[serde(borrow)]
    pub finish_time: Option<Timestamp<'a>>,
    /// A preview while running, then the grid or the upscale; a describe's input.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image_url: Option<Cow<'a, str>>,
    /// The four quarters, as `{url, thumbnail}` objects or strings.
    #[serde_as(as = "NullableList")]
    #[serde(default)]
    pub image_urls: Vec<ImageUrl>,
    /// apimart: the grid.
    #[serde(borrow, rename = "grid_image_url")]
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub grid_image_url: Option<Cow<'a, str>>,
    /// apimart: the quarters, or an upscale's one image.
    #[serde(borrow, rename = "image_urls")]
    #[serde_as(as = "NullableList")]
    #[serde(default)]
    pub image_urls_snake: Vec<Cow<'a, str>>,
    /// Why the task failed.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub fail_reason: Option<Cow<'a, str>>,
    /// apimart: why the task failed.
    #[serde(borrow, rename = "fail_reason")]
    #[serde_as(as = "EmptyAsNone")]
    #[serde(default)]
    pub fail_reason_snake: Option<Cow<'a, str>>,
    /// Internal extras; a describe's or shorten's result in `finalPrompt`.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub properties: Option<Properties<'a>>,
    /// Follow-up actions (not read).
    pub buttons: Option<Skipped>,
    /// A video result (not read).
    pub video_url: Option<Skipped>,
    /// Video results (not read).
    pub video_urls: Option<Skipped>,
    /// Submit reply: 1 submitted, 21 exists, 22 queued; others are errors.
    #[serde(borrow)]
    pub code: Option<StringOrInt<'a>>,
    /// Submit reply: the new task's id.
    #[serde(borrow)]
    pub result: Option<StringOrInt<'a>>,
}

/// A task's `properties`.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Properties<'a> {
    /// The prompt sent to Midjourney; a describe's or shorten's result.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub final_prompt: Option<Cow<'a, str>>,
    /// Submit reply 21 ("exists"): the existing task's status.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    /// Submit reply 21 ("exists"): the existing task's image.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub image_url: Option<Cow<'a, str>>,
}

/// Keys of the task object that no other format sends.
const MARKS: &[&str] = &["promptEn", "promptFull", "failReason"];

/// The proxy's actions, its forks' and its relays' (research §5).
const ACTIONS: &[&str] = &[
    "IMAGINE",
    "UPSCALE",
    "UPSCALE_HD",
    "VARIATION",
    "HIGH_VARIATION",
    "LOW_VARIATION",
    "REROLL",
    "DESCRIBE",
    "BLEND",
    "BLEAND",
    "ZOOM",
    "CUSTOM_ZOOM",
    "OUTPAINT",
    "PAN",
    "INPAINT",
    "VARY_REGION",
    "SHORTEN",
    "MODAL",
    "ACTION",
    "SHOW",
    "SWAP_FACE",
    "SWAP_VIDEO_FACE",
    "VIDEO",
    "VIDEO_EXTEND",
    "EDIT",
    "EDITS",
    "RETEXTURE",
    "PIC_READER",
    "UPLOAD",
];

/// The proxy's status words and its relays' (research §4): on a body
/// whose evidence is keys other APIs have too, a status must be one of
/// them (`{id, status: "WORKING", startTime}` is a build server's).
const STATUS_WORDS: &[&str] = &[
    "NOT_START",
    "SUBMITTED",
    "MODAL",
    "IN_PROGRESS",
    "SUCCESS",
    "FAILURE",
    "CANCEL",
    "FAILED",
    "PENDING",
    "RUNNING",
    "UNKNOWN",
];

/// Keys beside the id that other APIs' objects have too (an image URL,
/// camelCase times): evidence only on a body of keys the proxy knows.
const COMMON: &[&str] = &[
    "imageUrl",
    "imageUrls",
    "submitTime",
    "startTime",
    "finishTime",
    "grid_image_url",
    "buttons",
];

/// How midjourney-proxy bodies look: a bare task keyed by `id` (a hybrid
/// relay's `task_id`) with the proxy's camelCase keys, a bare array of them,
/// or a submit reply `{code, description, result, properties}`.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Task>().to_vec(),
    also_sends: &[
        "state",
        "parentId",
        "botType",
        "mode",
        "seed",
        "jobId",
        "width",
        "height",
        "url",
        "proxyUrl",
        "thumbnailUrl",
        "baseImageUrl",
        "isPartner",
        "partnerTaskInfo",
        "isOfficial",
        "customId",
        "maskBase64",
        "promptFull",
        "displays",
        "isCompleted",
        // The rest of the C# fork's task, which writes every property.
        "realBotType",
        "userId",
        "isWhite",
        "nonce",
        "interactionMetadataId",
        "messageId",
        "remixModalMessageId",
        "remixAutoSubmit",
        "remixModaling",
        "instanceId",
        "subInstanceId",
        "messageIds",
        "language",
        "hasAIReviewRetried",
        "isPartnerRelax",
        "partnerTaskId",
        "officialTaskId",
        "officialTaskInfo",
        "isDiscord",
        "seedError",
        "seedMessageId",
        "clientIp",
        "isReplicate",
        "replicateSource",
        "replicateTarget",
        "requestMode",
        "accountFilter",
        "size",
        "contentType",
        "imageHeight",
        "imageWidth",
        "videoGenOriginImageUrl",
        "videoDuration",
        "frameCount",
        "useTime",
        "version",
        "storageOption",
        "videoType",
        "isHdVideo",
    ],
    record: &[
        Signature::keys(&["id"], MARKS),
        // Keys other APIs share with it: a status word of its own too
        // (every proxy writes `status`; a scheduler's `{id, state,
        // submitTime, startTime}` states its status under `state`).
        Signature::keys(&["id"], COMMON)
            .status(StatusMark::Words(STATUS_WORDS))
            .closed(),
        // The snake-case twin some relays write: other task APIs (Suno
        // relays' `{id, status, clips, fail_reason}`) write it too, so only
        // on a body of keys the proxy knows.
        Signature::keys(&["id", "fail_reason"], &[]).closed(),
        // A status word of its own, or an action as it writes them, in
        // capitals: `{id, action: "render", status: "done", url}` is a video
        // API's callback, `{id, action: "upload", status: "done"}` and
        // `{id, action: "edit"}` any API's log entries.
        Signature::keys(&["id", "action"], &[])
            .word_in_capitals(WordKey::Action, ACTIONS)
            .closed(),
        Signature::keys(&["id", "action"], &[])
            .status(StatusMark::Words(STATUS_WORDS))
            .closed(),
        Signature::keys(&["task_id"], &["imageUrl", "failReason"]),
    ],
    envelopes: &[Envelope {
        key: Envelope::LIST,
        outer: None,
        carries_id: None,
        record: &[],
    }],
    replies: &[Signature::keys(&["code", "description"], &[]).closed()],
};

/// Every task in a midjourney-proxy body (several for `list-by-condition`).
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// One task's event from a midjourney-proxy body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let starts_a_list = super::first_json_byte(text) == Some(b'[');
    if starts_a_list {
        // A list is parsed by its own path, so its format is checked by a scan.
        super::check_by_scan(PROVIDER, text, check)?;
        let tasks = parse_list(text)?;
        return super::normalize_records(PROVIDER, "", OneOrMany::Many(tasks), normalize);
    }
    let task: Task = super::parse(PROVIDER, text, check)?;
    if task.id.is_none() && task.task_id.is_none() {
        if let Some(code) = &task.code {
            return reply(&task, code).map(Events::One);
        }
    }
    Ok(Events::One(normalize(task, At::TOP)?))
}

/// `list-by-condition`: a JSON array of task objects.
fn parse_list(text: &str) -> Result<Vec<Task<'_>>, DecodeError> {
    type List<'a> = DeserializeAsWrap<Vec<Task<'a>>, Vec<ObjectOnly>>;
    super::parse_located::<List>(PROVIDER, text).map(DeserializeAsWrap::into_inner)
}

/// Whether `action` makes a video, whose URLs are videos whatever they
/// end in.
fn is_video_action(action: &str) -> bool {
    ["VIDEO", "VIDEO_EXTEND", "SWAP_VIDEO_FACE"]
        .iter()
        .any(|video| is_word(action, video))
}

/// A `/mj/submit/*` reply: accepted (a pending event) or the vendor's error.
fn reply(task: &Task, code: &StringOrInt) -> Result<JobEvent, DecodeError> {
    if !matches!(code.as_int(), Some(1 | 21 | 22)) {
        return Err(DecodeError::Vendor {
            provider: PROVIDER,
            code: code.to_text().into_owned(),
            message: task.description.as_deref().map(str::to_owned),
        });
    }
    let job_id = super::job_id(
        PROVIDER,
        At::TOP,
        "missing field `result` (the accepted task's id)",
        [("result", task.result.clone())],
    )?;
    let mut event = JobEvent::new(PROVIDER, job_id, JobStatus::Pending);
    // An existing task (21) is as its `properties` say, if they do.
    let existing = (task.properties.as_ref()).filter(|_| code.as_int() == Some(21));
    if let Some(status) = existing.and_then(|existing| existing.status.as_deref()) {
        event.status = JobStatus::from_task_word(status);
        event.provider_status = Some(status.to_owned());
    }
    if let Some(url) = existing.and_then(|existing| existing.image_url.as_deref()) {
        if !is_video_url(url) {
            // As a task's `imageUrl` when the action is not known.
            event.images.push(Image::new(url, ImageRole::Grid));
        }
    }
    finish(&mut event);
    Ok(event)
}

/// Maps one task; `at` prefixes JSON paths in errors.
fn normalize(mut task: Task, at: At) -> Result<JobEvent, DecodeError> {
    let job_id = super::job_id(
        PROVIDER,
        at,
        "missing field `id`",
        [("id", task.id), ("task_id", task.task_id)],
    )?;
    let status = task
        .status
        .as_deref()
        .map_or(JobStatus::Unknown, JobStatus::from_task_word);

    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.provider_status = task.status.map(Cow::into_owned);
    event.progress = task.progress.as_ref().and_then(Percent::progress);
    event.operation = task.action.as_deref().and_then(Operation::from_vendor);
    let describe = event.operation == Some(Operation::Describe);
    let final_prompt = task.properties.and_then(|p| p.final_prompt);
    let prompt = [task.prompt, task.prompt_en]
        .into_iter()
        .flatten()
        .find(|prompt| !is_blank(prompt));

    event.prompts = match &event.operation {
        Some(Operation::Describe) => match final_prompt.as_deref().or(prompt.as_deref()) {
            Some(text) => clean_prompts([text]),
            None => Vec::new(),
        },
        Some(Operation::Shorten) => match final_prompt.as_deref() {
            Some(text) => clean_prompts([text]),
            None => Vec::new(),
        },
        _ => Vec::new(),
    };
    if !describe {
        event.prompt = prompt.map(Cow::into_owned);
    }

    // A video action's `imageUrl` and lists hold its videos, under a relay's
    // URL without an extension too: none of them is an image.
    let video_action = task.action.as_deref().is_some_and(is_video_action);
    if video_action {
        task.image_url = None;
        task.grid_image_url = None;
        task.image_urls.clear();
        task.image_urls_snake.clear();
    }
    if let Some(url) = task.image_url.filter(|url| !is_video_url(url)) {
        let role = match &event.operation {
            Some(Operation::Describe) => ImageRole::Input,
            Some(Operation::Upscale | Operation::Other(_)) => ImageRole::Image,
            _ => ImageRole::Grid,
        };
        event.images.push(Image::new(url, role));
    }
    if let Some(url) = task.grid_image_url.filter(|url| !is_video_url(url)) {
        event.images.push(Image::new(url, ImageRole::Grid));
    }
    for list in [
        task.image_urls
            .into_iter()
            .map(|url| Cow::Owned(url.0))
            .collect(),
        task.image_urls_snake,
    ] {
        // A video keeps its place, so the quarters after it keep theirs.
        let urls: Vec<Cow<'_, str>> = list
            .into_iter()
            .map(|url| {
                if is_video_url(&url) {
                    Cow::Borrowed("")
                } else {
                    url
                }
            })
            .collect();
        push_finished_images(&mut event, urls);
    }

    if status == JobStatus::Failed {
        let reason = task.fail_reason.or(task.fail_reason_snake);
        event.error = JobError::from_vendor(None, reason);
    }
    if status.is_terminal() {
        event.occurred_at = task.finish_time.as_ref().and_then(Timestamp::to_utc);
    }
    event.created_at = task.submit_time.as_ref().and_then(Timestamp::to_utc);
    finish(&mut event);
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_submit_codes_are_pending_and_others_are_vendor_errors() {
        let accepted = br#"{"code": 22, "description": "queued", "result": 1732000000000302}"#;
        let event = decode(accepted).unwrap();
        assert_eq!(event.job_id.as_str(), "1732000000000302");
        assert_eq!(event.status, JobStatus::Pending);
        let refused = br#"{"code": 23, "description": "queue full"}"#;
        assert_eq!(
            decode(refused),
            Err(DecodeError::Vendor {
                provider: PROVIDER,
                code: "23".to_owned(),
                message: Some("queue full".to_owned()),
            })
        );
    }

    #[test]
    fn an_existing_task_is_as_its_properties_say() {
        let reply = |code: u32, properties: &str| {
            let body = format!(
                r#"{{"code": {code}, "description": "d", "result": "t-1", "properties": {properties}}}"#
            );
            decode(body.as_bytes()).unwrap()
        };
        let running = reply(21, r#"{"status": "IN_PROGRESS"}"#);
        assert_eq!(running.status, JobStatus::InProgress);
        assert_eq!(running.provider_status.as_deref(), Some("IN_PROGRESS"));
        assert!(running.images.is_empty());
        // Without a status, and under another code, the reply is pending.
        assert_eq!(reply(21, "{}").status, JobStatus::Pending);
        let queued = reply(
            22,
            r#"{"status": "SUCCESS", "imageUrl": "https://example.com/a.png"}"#,
        );
        assert_eq!(queued.status, JobStatus::Pending);
        assert!(queued.images.is_empty());
    }

    #[test]
    fn a_list_element_error_names_its_position() {
        let body = br#"[{"id": "a", "action": "IMAGINE", "status": "SUCCESS"}, {"id": "b", "progress": "abc"}]"#;
        let error = decode_all(body).unwrap_err();
        assert_eq!(error.path(), Some("[1].progress"), "{error}");
    }
}
