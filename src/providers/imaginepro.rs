//! ImaginePro (`api.imaginepro.ai`, formerly mymidjourney.ai).
//!
//! The progress endpoint (`/api/v1/midjourney/message/{id}`, later
//! `/api/v1/message/fetch/{id}`) returns a flat camelCase message
//! `{messageId, prompt, originalUrl, uri, progress, status, createdAt,
//! updatedAt, buttons, originatingMessageId, ref, error}`, and the account
//! webhook (or `webhookOverride`) receives the same object. Statuses are
//! `QUEUED`, `PROCESSING`, `DONE` and `FAIL`. Submit calls answer
//! `{success, messageId, createdAt}`; errors are `{message, error,
//! statusCode}` or `{success: false, error}`, both [`DecodeError::Vendor`].
//!
//! Decisions where the vendor is silent:
//! - The submit reply (no `status`) is a pending event with its `createdAt`;
//!   one with a `messageId` and an `error` (`success: false`) is a failed
//!   event with that error.
//! - `originalUrl` (Discord's, valid 24 hours) comes before `uri` (the
//!   durable CDN copy), each once, as the vendor's messages list them. While queued or processing they are
//!   previews; once done they are the grid when `buttons` offers `U1`…`U4`,
//!   otherwise a single image (an upscale: the body names no operation).
//! - The operation is always null: a message does not say which call made
//!   it, and a reroll, a variation, a pan and an imagine end with the same
//!   buttons.
//! - `FAILED` (which receivers handle) is failed like `FAIL`; the text in
//!   `error` is the message, with no code.
//! - An error reply's code is its `statusCode`; its message is `message`,
//!   then `error` in brackets when it says something else (NestJS puts the
//!   HTTP phrase there, some replies the reason). A
//!   `{success: false, error}` reply has no code; it is given `success=false`.
//! - `ref`, `originatingMessageId` (`originalMessageId` in one schema),
//!   the string `success` of one schema, and video jobs' `videoUrl` and
//!   `results` (videos, not images) are not read.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Format, Signature, StatusMark};
use super::{finish, At, Check, Events, Provider};
use crate::error::DecodeError;
use crate::event::{Image, ImageRole, JobEvent, JobStatus};
use crate::quirks::{
    is_blank, BorrowedText, EmptyAsNone, ErrorDetail, NullableList, Percent, Skipped, StringOrInt,
    TextOrTexts, Timestamp,
};

const PROVIDER: Provider = Provider::Imaginepro;

/// A message (progress reply and webhook body), a submit reply, or an error
/// reply.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message<'a> {
    /// The job's id (a UUID).
    #[serde(borrow)]
    pub message_id: Option<StringOrInt<'a>>,
    /// The prompt (for a button job, the original prompt).
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub prompt: Option<Cow<'a, str>>,
    /// The image on Discord's CDN, valid for 24 hours.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub original_url: Option<Cow<'a, str>>,
    /// The image on ImaginePro's CDN; a preview while processing.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub uri: Option<Cow<'a, str>>,
    /// Out of 100: a number, or a numeric string in one schema.
    #[serde(borrow)]
    pub progress: Option<Percent<'a>>,
    /// `QUEUED`, `PROCESSING`, `DONE`, `FAIL`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    /// When the job was created (RFC 3339).
    #[serde(borrow)]
    pub created_at: Option<Timestamp<'a>>,
    /// When the message last changed (RFC 3339).
    #[serde(borrow)]
    pub updated_at: Option<Timestamp<'a>>,
    /// The buttons the image offers next: `U1`, `V2`, `🔄`, `Zoom Out 2x`, …
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub buttons: Vec<Cow<'a, str>>,
    /// The job a button job came from (not read).
    pub originating_message_id: Option<Skipped>,
    /// `originatingMessageId` as one schema names it (not read).
    pub original_message_id: Option<Skipped>,
    /// The caller's correlation value, `""` when unset (not read).
    #[serde(rename = "ref")]
    pub reference: Option<Skipped>,
    /// A failed job's reason; an error reply's HTTP phrase or reason.
    #[serde(borrow)]
    pub error: Option<ErrorDetail<'a>>,
    /// Submit replies: `true` (not read; typed as a status word in the SDK
    /// and as a request id in one schema).
    pub success: Option<Skipped>,
    /// Video jobs: the video (not read).
    pub video_url: Option<Skipped>,
    /// Video jobs: `[{url, index}]` of videos (not read).
    pub results: Option<Skipped>,
    /// Error replies: what went wrong (a list of texts from its request
    /// validation, joined by `"; "`).
    #[serde_as(as = "TextOrTexts")]
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
    /// Error replies: the HTTP status.
    #[serde(borrow)]
    pub status_code: Option<StringOrInt<'a>>,
}

/// ImaginePro's status words.
const STATUS_WORDS: &[&str] = &["QUEUED", "PROCESSING", "DONE", "FAIL", "FAILED"];

/// Keys beside `messageId` that only a Midjourney message has: its images,
/// the message it follows up, its buttons.
const MARKS: &[&str] = &[
    "uri",
    "originalUrl",
    "originatingMessageId",
    "originalMessageId",
    "buttons",
];

/// How ImaginePro bodies look: a message keyed by `messageId`, with its
/// CDN and Discord URLs, its links to other messages, or its status words;
/// error replies `{message, error, statusCode}` and `{success: false, error}`.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Message>().to_vec(),
    also_sends: &[],
    record: &[
        // Beside keys no format knows, only its own status words, or none:
        // other Midjourney relays key their jobs by the Discord message's
        // id too (`{messageId, status: "completed", buttons, jobid, …}`).
        Signature::keys(&["messageId"], MARKS).status(StatusMark::NoneOrWords(STATUS_WORDS)),
        // Another status word (one not documented yet) beside its own keys.
        Signature::keys(&["messageId"], MARKS).closed(),
        // The submit reply: `{success, messageId}` alone is many message
        // APIs' answer (Firebase's), ImaginePro's has its `createdAt`.
        Signature::keys(&["messageId", "success", "createdAt"], &[]).closed(),
        // A message's status words beside its prompt: a `messageId` with a
        // status word, even with a progress, is what many message APIs send.
        Signature::keys(&["messageId", "prompt"], &[]).status(StatusMark::Words(STATUS_WORDS)),
        // Another status word (one not documented yet), or none, beside a
        // message's prompt and its own keys.
        Signature::keys(&["messageId", "prompt"], &[]).closed(),
        // Without a prompt, only its own status words, or none, beside its
        // own keys: many message APIs answer `{messageId, status:
        // "DELIVERED", createdAt, updatedAt}` (and `{messageId}`).
        Signature::keys(
            &["messageId"],
            &["progress", "createdAt", "updatedAt", "ref"],
        )
        .status(StatusMark::NoneOrWords(STATUS_WORDS))
        .closed(),
    ],
    envelopes: &[],
    replies: &[
        Signature::keys(&["statusCode", "message"], &[]).closed(),
        // Its `error` is a message; AceData's `{success: false, error}` has
        // an object.
        Signature::keys(&["success", "error"], &[])
            .error_text()
            .only(),
    ],
};

/// The message in an ImaginePro body, as a one-element list.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// The message's event from an ImaginePro body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let mut message: Message<'_> = super::parse(PROVIDER, text, check)?;
    if message.message_id.is_none() {
        let reason = message.error.take().and_then(|error| match error {
            ErrorDetail::Text(text) => Some(text),
            ErrorDetail::Object(object) => object.message,
        });
        if let Some(code) = message.status_code.take() {
            return Err(DecodeError::Vendor {
                provider: PROVIDER,
                code: code.to_text().into_owned(),
                message: match (message.message, reason) {
                    // Which of the two holds the HTTP phrase varies: both
                    // are kept.
                    (Some(text), Some(reason)) if !is_blank(&reason) && reason != text => {
                        Some(format!("{text} ({reason})"))
                    }
                    (text, reason) => text.or(reason).map(Cow::into_owned),
                },
            });
        }
        if reason.is_some() {
            return Err(DecodeError::Vendor {
                provider: PROVIDER,
                code: "success=false".to_owned(),
                message: reason.map(Cow::into_owned),
            });
        }
    }
    Ok(Events::One(normalize(message)?))
}

/// Maps one message.
fn normalize(message: Message) -> Result<JobEvent, DecodeError> {
    let job_id = super::job_id(
        PROVIDER,
        At::TOP,
        "missing field `messageId`",
        [("messageId", message.message_id)],
    )?;
    let failure = message.error.as_ref().and_then(ErrorDetail::to_job_error);
    let progress = message.progress.as_ref().and_then(Percent::progress);
    let has_result = [&message.original_url, &message.uri]
        .into_iter()
        .flatten()
        .any(|url| !is_blank(url));
    // `""` is no status, like a missing or null one.
    let status = match message.status.as_deref().filter(|word| !is_blank(word)) {
        Some(word) => JobStatus::from_vendor(word),
        None if failure.is_some() => JobStatus::Failed,
        // A message with images and no status is done, unless its progress
        // says it is part of the way through.
        None if has_result && progress.is_some_and(|p| p.get() < 100) => JobStatus::InProgress,
        None if has_result => JobStatus::Completed,
        // A submit reply has no status yet: the job is accepted, not
        // started.
        None => JobStatus::Pending,
    };

    let mut event = JobEvent::new(PROVIDER, job_id, status);
    event.provider_status = message.status.map(Cow::into_owned);
    event.progress = progress;
    event.prompt = message.prompt.map(Cow::into_owned);
    let offers_quarters = message
        .buttons
        .iter()
        .any(|button| matches!(button.trim(), "U1" | "U2" | "U3" | "U4"));
    let role = if offers_quarters {
        ImageRole::Grid
    } else {
        ImageRole::Image
    };
    for url in [message.original_url, message.uri].into_iter().flatten() {
        event.images.push(Image::new(url, role));
    }
    if status == JobStatus::Failed {
        event.error = failure;
    }
    event.created_at = message.created_at.as_ref().and_then(Timestamp::to_utc);
    event.occurred_at = message.updated_at.as_ref().and_then(Timestamp::to_utc);
    finish(&mut event);
    Ok(event)
}
