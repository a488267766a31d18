//! ImagineAPI: the webhook `{event: "images.items.create" | "images.items.update",
//! payload: <image>}` and the polling replies `{data: <image>}` (GET by id)
//! and `{data: [<image>, …]}` (list). An image object on its own (a GET
//! reply's `data`, unwrapped by the client) is accepted too.
//!
//! Decisions:
//! - Every event is an imagine: the vendor has no other operation.
//! - `url` is a partial preview until the image is completed, and the grid
//!   from then on; `upscaled_urls` are the four quarters (top left, top right,
//!   bottom left, bottom right). `upscaled` holds asset ids, not URLs, and
//!   is not read.
//! - `event` does not decide anything: the row is re-read when the webhook is
//!   sent, so a create event may already show a later state. An unknown
//!   event name is accepted, unless it names another Directus collection's
//!   items (`videos.items.create`).
//! - The payload has no event time, so `occurred_at` is always null;
//!   `date_created` is `created_at`.
//! - Directus's error reply `{"errors": [{message, extensions: {code}}]}`
//!   (403 `FORBIDDEN` for an unknown id) is [`DecodeError::Vendor`]; the
//!   bot-status reply of `GET /items/status` (`data.bot_status`) is refused:
//!   neither is an image.
//! - A list reply may carry Directus's `meta` counts (asked for with
//!   `?meta=total_count`); they are not read.
//! - Fields the model has no place for (`results`, `user_created`,
//!   `upscaled`, `ref`) are not read, so an unexpected value there cannot
//!   fail the decode.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Envelope, Format, Signature, StatusMark, WordKey};
use super::{finish, push_finished_images, At, Check, Events, Provider};
use crate::error::DecodeError;
use crate::event::{Image, ImageRole, JobError, JobEvent, JobStatus, Operation};
use crate::quirks::{
    present, BorrowedText, EmptyAsNone, NullableList, ObjectOnly, OneOrMany, Percent, Skipped,
    StringOrInt, Timestamp,
};

const PROVIDER: Provider = Provider::Imagineapi;

/// An `images` item, and the envelopes around it: the webhook adds `event`
/// and `payload`, the GET reply `data`. The item is the same object in
/// webhooks and GET replies, and clients also hand it on unwrapped.
///
/// `Payload` and `Data` are the envelope fields' types: a body is a
/// [`Body`]; the image inside an envelope is an `ImageRecord`, whose own
/// `payload` and `data`, if any, are skipped.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageRecord<'a, Payload = Skipped, Data = Skipped> {
    /// `images.items.create` or `images.items.update` (webhook).
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub event: Option<Cow<'a, str>>,
    /// The image, in a webhook.
    pub payload: Option<Payload>,
    /// The image (or a list of them), in a GET reply.
    pub data: Option<Data>,
    /// The image's id (a UUID).
    #[serde(borrow)]
    pub id: Option<StringOrInt<'a>>,
    /// The prompt as submitted.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub prompt: Option<Cow<'a, str>>,
    /// When the image was requested, RFC 3339 with milliseconds.
    #[serde(borrow)]
    pub date_created: Option<Timestamp<'a>>,
    /// `pending`, `queued`, `in-progress`, `completed`, `failed`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    /// 0–100 while running; null when pending and when completed.
    #[serde(borrow)]
    pub progress: Option<Percent<'a>>,
    /// A preview while running, the grid once completed.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub url: Option<Cow<'a, str>>,
    /// Why it failed.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub error: Option<Cow<'a, str>>,
    /// The four quarters, once completed.
    #[serde_as(as = "NullableList")]
    #[serde(borrow, default)]
    pub upscaled_urls: Vec<Cow<'a, str>>,
    /// Directus's error reply, instead of `data`.
    #[serde_as(as = "NullableList<ObjectOnly>")]
    #[serde(borrow, default)]
    pub errors: Vec<DirectusError<'a>>,
    /// The bot's health, in the reply of `GET /items/status` (not an image).
    #[serde(
        rename = "bot_status",
        default,
        deserialize_with = "present",
        skip_serializing
    )]
    bot_status: Option<Skipped>,
    /// Directus's counts beside a list (`{data: [...], meta: {total_count,
    /// filter_count}}`), sent when the query asks for them with `?meta=`
    /// (not read).
    #[serde(rename = "meta", default, skip_serializing)]
    directus_meta: Option<Skipped>,
    /// Directus's own (legacy) webhook has it; ImagineAPI's flow does not.
    #[serde(
        rename = "collection",
        default,
        deserialize_with = "present",
        skip_serializing
    )]
    directus_collection: Option<Skipped>,
}

/// One entry of Directus's `errors`.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectusError<'a> {
    /// What went wrong, for people.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub message: Option<Cow<'a, str>>,
    /// `{"code": "FORBIDDEN"}` and the like.
    #[serde_as(as = "Option<ObjectOnly>")]
    #[serde(borrow, default)]
    pub extensions: Option<DirectusErrorExtensions<'a>>,
}

/// The `extensions` of a Directus error.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectusErrorExtensions<'a> {
    /// Directus's error code, such as `FORBIDDEN`.
    #[serde_as(as = "Option<BorrowedText>")]
    #[serde(borrow)]
    pub code: Option<Cow<'a, str>>,
}

/// A whole ImagineAPI body: a webhook, a GET reply, or an image on its own.
pub type Body<'a> = ImageRecord<'a, OneOrMany<ImageRecord<'a>>, OneOrMany<ImageRecord<'a>>>;

/// The events of ImagineAPI's webhook flow (Directus's item events).
const EVENTS: &[&str] = &["images.items.create", "images.items.update"];

/// ImagineAPI's own keys beside an image's `id`.
const MARKS: &[&str] = &[
    "upscaled_urls",
    "upscaled",
    "discord_message_id",
    "discord_image_url",
    "generation_type",
];

/// The image statuses.
const STATUSES: StatusMark =
    StatusMark::Words(&["pending", "queued", "in-progress", "completed", "failed"]);

/// Directus's item fields, which every Directus collection (and many
/// other APIs' objects) has: evidence only with an image's `prompt` and
/// status, on a body of ImagineAPI's keys. `{id, status, date_created}` is
/// any Directus item's.
const ITEM_FIELDS: &[&str] = &[
    "user_created",
    "user_updated",
    "date_created",
    "date_updated",
    "results",
    "ref",
];

/// How ImagineAPI bodies look: an image keyed by `id` with its Directus item
/// fields, in a webhook's `payload`, a GET reply's `data`, or on its own;
/// Directus's error reply `{errors}`; the bot-status reply.
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<ImageRecord>().to_vec(),
    also_sends: &[
        "upscaled",
        "user_created",
        "user_updated",
        "date_updated",
        "results",
        "ref",
        "discord_message_id",
        "discord_image_url",
        "generation_type",
        // The bot-status reply's and Directus's own webhook's keys.
        "message",
        "accountability",
        "keys",
    ],
    record: &[
        Signature::keys(&["id"], MARKS),
        Signature::keys(&["id", "prompt"], ITEM_FIELDS)
            .status(STATUSES)
            .closed(),
        Signature::keys(&["bot_status"], &[]),
        // Directus's own webhook, which holds no image: recognised so that
        // decoding can say so.
        Signature::keys(&["collection"], &["payload", "keys"]),
    ],
    envelopes: &[
        // The webhook: `event` beside the image.
        Envelope {
            key: "payload",
            outer: Some(Signature::keys(&["event"], &[])),
            carries_id: None,
            record: &[],
        },
        // An image with few of its fields (a pending one) counts when the
        // event is one of ImagineAPI's: other APIs send `{event, payload:
        // {id}}` too.
        Envelope {
            key: "payload",
            outer: Some(Signature::keys(&["event"], &[]).word(WordKey::Event, EVENTS)),
            carries_id: None,
            record: &[Signature::keys(&["id"], &[]).closed()],
        },
        Envelope {
            key: "data",
            outer: None,
            carries_id: None,
            record: &[],
        },
        // Directus's error reply: `errors` alone, each entry a `message`
        // (and its `extensions`, a key no other format knows either, so
        // naming it would make it foreign to them). `{errors: [...]}` is
        // many APIs' error reply: entries with another format's keys
        // (`code`, `type`, `detail`) are not Directus's.
        Envelope {
            key: "errors",
            outer: Some(Signature::keys(&["errors"], &[]).only()),
            carries_id: None,
            record: &[Signature::keys(&["message"], &[])],
        },
    ],
    replies: &[],
};

/// Every image in an ImagineAPI body.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// One image's event from an ImagineAPI body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let mut body: Body = super::parse(PROVIDER, text, check)?;
    if body.directus_collection.is_some() {
        return Err(DecodeError::field(
            PROVIDER,
            "collection",
            "this is Directus's own webhook format (partial `payload`, `keys`, `collection`), not ImagineAPI's image webhook",
        ));
    }
    // Directus names a flow's event after its collection: another
    // collection's items (`videos.items.create`) are no images.
    let collection = body
        .event
        .as_deref()
        .and_then(|event| event.split_once(".items."));
    if let Some((collection, _)) = collection.filter(|(collection, _)| *collection != "images") {
        return Err(DecodeError::another_api(
            PROVIDER,
            "event".to_owned(),
            format!(
                "its `event` names the Directus collection {}, where ImagineAPI's images \
                 send `images.items.create` and `images.items.update`",
                crate::quirks::shown(collection)
            ),
        ));
    }
    // Directus sends its counts beside a list of items, never beside one
    // item or inside one: there, `meta` is another API's.
    if body.directus_meta.is_some() && !matches!(body.data, Some(OneOrMany::Many(_))) {
        return Err(DecodeError::another_api(
            PROVIDER,
            "meta".to_owned(),
            "its `meta` stands beside no list, where Directus sends it only with a list \
             of items (`?meta=total_count`)"
                .to_owned(),
        ));
    }
    if body.payload.is_none() && body.data.is_none() {
        if let Some(error) = body.errors.first() {
            return Err(DecodeError::Vendor {
                provider: PROVIDER,
                code: error
                    .extensions
                    .as_ref()
                    .and_then(|extensions| extensions.code.as_deref())
                    .unwrap_or("errors")
                    .to_owned(),
                message: error.message.as_deref().map(str::to_owned),
            });
        }
    }
    match (body.payload.take(), body.data.take()) {
        (Some(_), Some(_)) => Err(DecodeError::field(
            PROVIDER,
            "data",
            "`payload` (a webhook's image) and `data` (a GET reply's) in one body: which image is it?",
        )),
        (Some(payload), None) => super::normalize_records(PROVIDER, "payload", payload, |image, at| {
            normalize(image, at)
        }),
        (None, Some(data)) => super::normalize_records(PROVIDER, "data", data, |image, at| {
            normalize(image, at)
        }),
        (None, None) if body.id.is_none() => Err(DecodeError::field(
            PROVIDER,
            ".",
            "missing field `payload` (a webhook), `data` (a GET reply) or `id` (an image on its own)",
        )),
        // The GET reply's `data` object on its own: clients often unwrap it.
        (None, None) => Ok(Events::One(normalize(body, At::TOP)?)),
    }
}

/// Maps one image; `at` prefixes JSON paths in errors.
fn normalize<Payload, Data>(
    image: ImageRecord<Payload, Data>,
    at: At,
) -> Result<JobEvent, DecodeError> {
    if image.bot_status.is_some() {
        return Err(DecodeError::field(
            PROVIDER,
            format!("{at}bot_status"),
            "the bot's status (the reply of GET /items/status), not an image",
        ));
    }
    if image.directus_meta.is_some() {
        return Err(DecodeError::another_api(
            PROVIDER,
            format!("{at}meta"),
            "an image has no `meta` of its own (Directus sends it beside a list)".to_owned(),
        ));
    }
    let id = super::job_id(PROVIDER, at, "missing field `id`", [("id", image.id)])?;
    let status = image
        .status
        .as_deref()
        .map_or(JobStatus::Unknown, JobStatus::from_vendor);

    let mut event = JobEvent::new(PROVIDER, id, status);
    event.provider_status = image.status.map(Cow::into_owned);
    event.progress = image.progress.as_ref().and_then(Percent::progress);
    event.operation = Some(Operation::Imagine);
    event.prompt = image
        .prompt
        .filter(|prompt| !prompt.is_empty())
        .map(Cow::into_owned);
    if let Some(url) = image.url {
        let role = match status {
            JobStatus::Completed => ImageRole::Grid,
            _ => ImageRole::Preview,
        };
        event.images.push(Image::new(url, role));
    }
    push_finished_images(&mut event, image.upscaled_urls);
    if status == JobStatus::Failed {
        event.error = JobError::from_vendor(None, image.error);
    }
    event.created_at = image.date_created.as_ref().and_then(Timestamp::to_utc);
    finish(&mut event);
    Ok(event)
}
