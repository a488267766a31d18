//! `mjhook` turns the webhook and polling payloads of Midjourney API vendors
//! into one canonical, typed [`JobEvent`].
//!
//! ```
//! use mjhook::{decode_auto, JobStatus, Provider};
//!
//! let body = br#"{
//!     "task_id": "9b2f6c1e-4d3a-4e8b-a1c2-3d4e5f607182",
//!     "task_type": "upscale#2",
//!     "status": "processing",
//!     "percentage": "45%"
//! }"#;
//! let event = decode_auto(body)?;
//! assert_eq!(event.provider, Provider::Apiframe);
//! assert_eq!(event.status, JobStatus::InProgress);
//! assert_eq!(event.progress.map(|p| p.get()), Some(45));
//! assert_eq!(event.operation.as_ref().map(|op| op.as_str()), Some("upscale"));
//! # Ok::<(), mjhook::DecodeError>(())
//! ```
//!
//! # Providers
//!
//! | [`Provider`] | wire format |
//! |---|---|
//! | `asyncapi` | the AsyncAPI 2.6 "Midjourney Image Generation Webhooks" spec, plus its REST job object and list |
//! | `apiframe` | APIFRAME v1 and JourneyAPI: `task_id`, `original_image_url`, `image_urls`; `/fetch-many` |
//! | `goapi` | GoAPI / PiAPI: legacy v2 fetch bodies and unified tasks, bare or in their envelopes |
//! | `imagineapi` | ImagineAPI `{event, payload}` webhooks, `{data}` GET replies, and image objects on their own |
//! | `midjourney_api` | midjourney-api.com `hookUrl` callbacks and `job-status` replies |
//! | `midjourney_proxy` | midjourney-proxy and its relays: `notifyHook` tasks, `/mj/task/{id}/fetch`, `list-by-condition` arrays, `/mj/submit/*` replies |
//! | `ttapi` | TTAPI `{status, message, jobId, data}`: `hookUrl` callbacks, `fetch`, `fetch-list`, submit and error replies |
//! | `legnext` | Legnext jobs (`job_id`, `task_type`, `output`, `meta`): create replies, `GET /v1/job`, callbacks `{timestamp, data}`, error replies |
//! | `kie` | KIE.ai and midapi.ai `{code, msg, data}`: callbacks, `record-info` polls, submit replies, error replies |
//! | `acedata` | AceDataCloud: result objects (sync reply, NDJSON stream line, `callback_url` body), `/midjourney/tasks` records and `{items, count}` |
//! | `imaginepro` | ImaginePro: the message object (progress endpoint and webhook) and submit replies |
//!
//! Each provider module documents the decisions it makes where its vendor is
//! silent (which field is the grid, when a body without a status is
//! completed, and so on).
//!
//! # Entry points
//!
//! - [`decode`]: the caller names the provider (by route or header); the
//!   choice is skipped, the evidence is not. A body that carries a key another
//!   known format sends and the named one does not (whatever its value,
//!   `null` included), or that lacks the named format's evidence, is a
//!   [`DecodeError::WrongProvider`] saying which keys and formats, never a
//!   silently emptier event.
//! - [`decode_auto`]: [`detect()`] the format, then decode. A format is named
//!   only on positive evidence and when no key of another format is there;
//!   a body of an API mjhook does not know is "unknown format", with the keys
//!   seen and why each format does not fit, and a tie is an error too.
//!   Each format's keys, evidence and envelopes are declared once, as data:
//!   [`Provider::format`].
//! - [`decode_all`]: every job in a batch body (APIFRAME `/fetch-many`,
//!   midjourney-api.com job-status, the AsyncAPI and ImagineAPI list replies).
//!   `decode` and `decode_auto` refuse a batch of several jobs with
//!   [`DecodeError::SeveralJobs`].
//! - [`DecodeOptions`]: the same with a different size limit.
//! - [`Verifier::verify_and_decode`]: check a webhook's authenticity on its
//!   raw bytes and headers (an HMAC signature, an echoed shared secret or a
//!   URL token, per vendor), then decode it; a [`ReceiveError`] keeps
//!   [`VerifyError`] and [`DecodeError`] apart. The [`verify`] module says
//!   what each vendor sends and what its check proves.
//!
//! # The canonical model
//!
//! [`JobEvent`] serializes to the JSON contract of the project's design:
//! `provider`, `job_id`, `status` (`pending`, `in_progress`, `completed`,
//! `failed`, `cancelled`, `unknown`), `progress` (0–100), `operation`,
//! `prompt`, `images` (each with a `role`: `grid`, `image`, `preview`,
//! `input`; and a 0-based grid `index`), `prompts`, `error`, `occurred_at`,
//! `created_at` and `provider_status`. An event a decoder made deserializes
//! back to an equal value.
//!
//! Rules shared by every provider:
//! - Status words are matched ignoring case, with `-` and `_` alike; a word
//!   no vendor is known to use is [`JobStatus::Unknown`], not an error, and
//!   `provider_status` keeps it verbatim.
//! - A completed job that does not state its progress, or states 0, is at
//!   100.
//! - Each image URL appears once, first occurrence first; `""` and `null` are
//!   not images, but keep their place in a list, so the quarters after them
//!   keep their grid positions. Only a grid's quarters (two to four URLs from
//!   an operation that makes a grid, or an unnamed one) have an `index`.
//! - The images of a job that has not completed are previews (partial
//!   results): a pending or running job's, and the last one a failed or
//!   cancelled job showed.
//! - An event's prompts keep the count their list gives: one prompt listed
//!   twice is there twice. A vendor that writes one list in two fields
//!   (GoAPI's `description` and `descriptions`) is read from one of them.
//!   A [`JobState`] gathers each prompt of its events once.
//! - A missing, `null` or `""` job id is an error naming the field.
//! - `error` is set only for a failed job, from what the vendor said about
//!   the failure; error text on a job that goes on (a warning, a retried
//!   step) and the error object a vendor always sends (GoAPI's
//!   `{"code": 0, "message": ""}`) are no error.
//! - Times are UTC. Epochs of 10¹¹ or more are milliseconds, smaller ones
//!   seconds (a fraction is read to the millisecond); `0`, Go's zero time (as text or epoch) and `""` mean "not
//!   set". Offsets may be written `+00:00` or `+0000`; a time without an
//!   offset is an error. Nothing is filled from the clock: the same bytes
//!   always give the same event.
//!
//! # Job state
//!
//! Vendors retry, re-send and reorder deliveries. [`JobState::apply`] folds a
//! job's events (webhooks and polled replies alike) into its current state:
//! duplicates change nothing, a terminal status is never undone by a late
//! progress report, progress never moves backwards, and images and prompts
//! are gathered, each once. Folding costs time in proportion to each event,
//! and a job holds at most [`JobState::MAX_IMAGES`] images. The state is
//! serializable for the caller's own store; [`Tracker`] folds many jobs in
//! memory, and can remove, retain and cap them. The [`track`] module lists
//! the rules.
//!
//! # Errors and limits
//!
//! A [`DecodeError`] names the provider (when known), the JSON path of the bad
//! field (`tasks[1].percentage`), what was expected and what was found, and
//! for syntax errors the line and column. Inputs over 1 MiB (configurable
//! with [`DecodeOptions::max_bytes`]) are refused before parsing. Nesting
//! cannot exhaust the stack: the typed decoders go only a few levels deep
//! (a record inside an envelope skips a nested envelope), and values under
//! keys they do not read are skipped by serde_json without recursion. Wire
//! structs are read only from JSON objects. No input makes a public function
//! panic; the fuzz targets in `fuzz/` exercise that.
//!
//! # Out of scope, on purpose
//!
//! - **Video results** (`video_urls`, `video_url` of APIFRAME's video tasks,
//!   `.mp4` files in a result list) are not images and are left out; the
//!   task still decodes, with its operation kept verbatim (`imagine-video`).
//! - **Fields the model has no place for**: APIFRAME's `seed`, `sref`,
//!   `full_content` and `actions`; GoAPI's `actions`, `usage`, `meta.*_utc`
//!   twins and `image_id`; ImagineAPI's `upscaled` asset ids (not URLs) and
//!   `ref`; midjourney-api.com's `jobId` and `meta.width`/`meta.height`
//!   (which image they describe is undocumented).
//! - **GoAPI v2 describe prompts**: where v2 puts them is undocumented; only
//!   the unified `output.description`/`descriptions` are read.
//! - **Bodies that are not job events** are errors, not events: vendors'
//!   error replies ([`DecodeError::Vendor`]), GoAPI account notifications,
//!   Directus's own webhook format, and request bodies.
//! - **APIFRAME v2** has a format of its own and is not decoded.
//! - **Delivery semantics** (retries, duplicates, reordering, account-wide
//!   fan-out) cannot be seen in one body; [`track`] folds them away. URL
//!   lifetimes (GoAPI keeps images five days) are the caller's concern:
//!   download promptly.
//! - **The raw payload** is not kept beside the event; keep the bytes if you
//!   need them.
//! - **Lenient JSON** (comments and trailing commas, as printed in some vendor
//!   docs) is refused: vendors send strict JSON.
//!
//! # Embedding in axum
//!
//! With the `axum` feature, [`axum::Webhook`] is an extractor that reads the
//! raw body under the size limit, verifies it with the [`Verifier`] the
//! router state holds for the route's provider, and decodes every event, so
//! a receiving handler is one line:
//!
//! ```ignore
//! async fn receive(webhook: mjhook::axum::Webhook) -> Json<Vec<JobEvent>> { Json(webhook.events) }
//! ```
//!
//! Its rejections answer with a JSON body: 401 not authentic, 413 too large,
//! 400 not JSON, 422 not a job event of that provider, 404 an unknown or
//! unconfigured provider, 500 a verifier that cannot check anything. The
//! [`axum`] module has the router set-up; `examples/axum_receiver.rs` is a
//! complete receiver.
//!
//! # Async handlers
//!
//! Everything is synchronous and does no I/O, so it is called from async
//! code as it is. [`Request`], [`Verifier`], [`JobEvent`] and [`JobState`]
//! are `Send` and `Sync`: a handler may hold a `Request` across an `.await`.
//! [`chrono`](https://docs.rs/chrono) and [`uuid`](https://docs.rs/uuid), whose types appear in the API, are re-exported,
//! so `mjhook::chrono::DateTime` needs no dependency of its own.
//!
//! # Numbers
//!
//! JSON numbers are read as the nearest `f64` to the decimal written
//! (serde_json's `float_roundtrip`, turned on by this crate, so the library,
//! the binary and the tests read them alike). A progress is judged by that
//! value: `100.00000000000001` is above 100 and an error, while
//! `100.000000000000001` is nearer to 100 than to any other `f64` and reads
//! as 100.
//!
//! # Features
//!
#![doc = document_features::document_features!()]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "axum")]
pub mod axum;
pub mod detect;
pub mod error;
pub mod event;
mod locate;
pub mod providers;
pub mod quirks;
#[cfg(feature = "serve")]
pub mod serve;
pub mod track;
pub mod verify;

/// The `chrono` crate, whose `DateTime<Utc>` is in [`JobEvent`]'s fields.
pub use chrono;
/// The `uuid` crate, whose `Uuid` [`JobId::as_uuid`] returns.
pub use uuid;

pub use detect::detect;
pub use error::DecodeError;
pub use error::VerifyError;
pub use event::{
    Image, ImageRole, JobError, JobEvent, JobId, JobStatus, Operation, Progress, UnknownStatus,
};
pub use providers::{decode, decode_all, decode_auto, DecodeOptions, Provider, UnknownProvider};
pub use track::{Applied, JobState, Tracker};
pub use verify::{HeaderSource, ReceiveError, Request, Secret, Verified, Verifier};

/// The README's examples, run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
