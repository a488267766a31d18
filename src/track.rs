//! Folding a job's events into its current state.
//!
//! Vendors retry deliveries, re-send whole records and deliver out of order,
//! and callers often poll as well as receive webhooks. [`JobState::apply`]
//! folds every [`JobEvent`] of one job, in whatever order they arrive, into
//! one state and says what each event did ([`Applied`]). It is pure (no I/O,
//! no clock) and serializable, so a service keeps the state in its own store
//! (Redis, Postgres, a file) between deliveries; [`Tracker`] folds many jobs
//! in memory.
//!
//! ```
//! use mjhook::{decode, Applied, JobState, JobStatus, Provider};
//!
//! let running = decode(
//!     Provider::Apiframe,
//!     br#"{"task_id": "t-1", "task_type": "imagine", "status": "processing", "percentage": "40"}"#,
//! )?;
//! // APIFRAME's finished webhook carries no status: its results say completed.
//! let finished = decode(
//!     Provider::Apiframe,
//!     br#"{"task_id": "t-1", "task_type": "imagine",
//!         "original_image_url": "https://cdn.example.com/t-1/grid.png"}"#,
//! )?;
//!
//! let mut state = JobState::new(&running);
//! assert_eq!(state.apply(&finished), Applied::Advanced);
//! // The vendor retries the delivery: nothing changes.
//! assert_eq!(state.apply(&finished), Applied::Duplicate);
//! // A progress report that arrives late does not undo the completion.
//! assert_eq!(state.apply(&running), Applied::StaleIgnored);
//! assert_eq!(state.status(), JobStatus::Completed);
//! assert_eq!(state.progress().map(|p| p.get()), Some(100));
//! assert_eq!((state.events_applied(), state.events_ignored()), (2, 2));
//!
//! // Keep it wherever you like, and carry on folding after reading it back.
//! let stored = serde_json::to_string(&state)?;
//! let restored: JobState = serde_json::from_str(&stored)?;
//! assert_eq!(restored, state);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Rules
//!
//! - **One job.** A state belongs to one `(provider, job_id)`; an event of
//!   another job is [`Applied::OtherJob`] and changes nothing. A webhook event
//!   and a polled reply of the same job fold into the same state.
//! - **Status only moves forward**, along `unknown` < `pending` <
//!   `in_progress` < any terminal status (`completed`, `failed`,
//!   `cancelled`). A terminal status is never replaced by a non-terminal one,
//!   a `pending` report never undoes `in_progress`, and an `unknown` status
//!   (a word this crate does not know) never replaces a known one, since
//!   nobody can tell whether it is ahead or behind; it still counts when the
//!   state knows nothing better.
//! - **Two different terminal statuses**: `completed` beats `failed`, which
//!   beats `cancelled`, whatever the order they arrive in, and the event is
//!   reported as [`Applied::ConflictingTerminal`]. APIFRAME and JourneyAPI
//!   retry failed tasks upstream, so a `completed` after `failed` is a real
//!   outcome, and only a completion carries results: keeping the failure
//!   would throw the images away. A failure's message says more than a bare
//!   cancellation. Because the rule is an order, not "first wins", replaying
//!   the same events in any order gives the same status.
//! - **Progress never moves backwards**: it is the highest progress any event
//!   of the job reported, and 100 once the job is completed.
//! - **Images and prompts are gathered from every event**, stale ones too, so
//!   no URL a vendor sent is lost: each URL once, final images (`grid`,
//!   `image`, `input`) ahead of previews, each group in order of first
//!   appearance. A URL seen first as a preview and later as a final image
//!   becomes the final image; a size or grid index missing from the first
//!   sighting of a URL is filled in from a later one. Prompt texts are kept
//!   once each, in order of first appearance.
//! - **Caps**: a job holds at most [`JobState::MAX_IMAGES`] images and
//!   [`JobState::MAX_PROMPTS`] prompts; new ones beyond are left out and
//!   counted ([`JobState::images_dropped`], [`JobState::prompts_dropped`]).
//! - **First known wins** for `prompt` (blank prompts do not count),
//!   `operation` and `created_at`.
//! - **Errors** belong to the failure they explain: only a `failed` or
//!   `cancelled` event's error is kept (the canonical model sets `error` only
//!   for failures). The event that makes the job failed or cancelled brings
//!   its error; a later event with that same status fills it in when it was
//!   missing, otherwise the first error stays. A completed job has no error,
//!   even when a failed attempt came first.
//! - **`provider_status`** is the vendor's wording from the latest event
//!   whose status the state holds; when the status changes it is the wording
//!   of the event that changed it (none, if that event had none).
//! - **`last_occurred_at`** is the latest `occurred_at` of the events that
//!   changed the state.
//!
//! An event is a **duplicate** ([`Applied::Duplicate`]) when it reports the
//! state's own status, its progress (if it gives one) equals the state's,
//! and folding it changes none of the job's fields. `occurred_at` is not
//! compared: a vendor that re-stamps a retried delivery still sends a
//! duplicate, and so does a poll that repeats what the webhook said.
//!
//! A state counts the events of its job: [`JobState::events_applied`] those
//! that changed it (the first one included) and [`JobState::events_ignored`]
//! those that did not ([`Applied::Duplicate`], [`Applied::StaleIgnored`], and
//! a losing terminal status that brought nothing new). Events of other jobs
//! are not counted.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Image, ImageRole, JobError, JobEvent, JobId, JobStatus, Operation, Progress};
use crate::providers::Provider;

/// What [`JobState::apply`] (or [`Tracker::apply`]) did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Applied {
    /// The first event of a job: a new state was made from it (only
    /// [`Tracker::apply`] reports this; [`JobState::new`] is its equivalent).
    New,
    /// The job moved forward: the event's status is now the state's and
    /// either the status changed or the progress rose.
    Advanced,
    /// The job did not move forward, but the event brought something the
    /// state lacked (an image, a prompt, the operation, an error, the
    /// vendor's wording, ...). Stale events that carry new images land here.
    Merged,
    /// A re-delivery of what the state already says; nothing changed.
    Duplicate,
    /// The event is behind the state (a non-terminal status after a terminal
    /// one, `pending` after `in_progress`, a lower progress, an unknown
    /// status) and brought nothing new; nothing changed.
    StaleIgnored,
    /// The job was already in another terminal status. The state's status is
    /// now `kept` (see the module docs for which one wins); images and
    /// prompts of the event were gathered either way.
    ConflictingTerminal {
        /// The terminal status the state holds after the event.
        kept: JobStatus,
        /// The terminal status that lost.
        dropped: JobStatus,
    },
    /// The event belongs to another job (provider or job id differ); the
    /// state is unchanged.
    OtherJob,
}

/// The folded state of one job: everything its events have said so far.
///
/// Build it from a job's first event with [`JobState::new`], then fold each
/// later event in with [`JobState::apply`]. The module docs list the rules.
/// Its JSON form holds the fields of a [`JobEvent`] (with `last_occurred_at`
/// in place of `occurred_at`) plus `events_applied` and `events_ignored`,
/// and `images_dropped` / `prompts_dropped` when a cap was reached.
///
/// # Cost and caps
///
/// Folding an event costs time in proportion to the event (its images and
/// prompts), not to what the state already holds: the state keeps an index
/// of its URLs and prompts (rebuilt once after deserializing), and nothing
/// is re-sorted. The one exception is bounded: an event that brings a new
/// final image moves the previews the state holds, at most
/// [`JobState::MAX_IMAGES`].
///
/// A job holds at most [`JobState::MAX_IMAGES`] images and
/// [`JobState::MAX_PROMPTS`] prompts, far more than any Midjourney job makes
/// (a grid, four quarters and a few previews). Once a job is full, an image
/// with a new URL (or a new prompt) is left out and counted in
/// [`JobState::images_dropped`] (or [`JobState::prompts_dropped`]); every
/// sighting counts, re-deliveries included, since the state does not keep
/// what it left out. Images it already holds are still promoted and filled
/// in, and the rest of the event folds as usual. An event whose only news
/// was left out changes nothing else, so it is reported as the duplicate or
/// stale event it then is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct JobState {
    provider: Provider,
    job_id: JobId,
    status: JobStatus,
    progress: Option<Progress>,
    operation: Option<Operation>,
    prompt: Option<String>,
    #[serde(default)]
    images: Vec<Image>,
    #[serde(default)]
    prompts: Vec<String>,
    error: Option<JobError>,
    created_at: Option<DateTime<Utc>>,
    last_occurred_at: Option<DateTime<Utc>>,
    provider_status: Option<String>,
    #[serde(default)]
    events_applied: u64,
    #[serde(default)]
    events_ignored: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    images_dropped: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    prompts_dropped: u64,
    /// Where each image URL is in `images`, and which prompts are held.
    #[serde(skip)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    index: Index,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// A state's lookup tables, derived from its lists: never serialized and
/// never compared (two states with equal lists are equal). Empty until
/// first needed, so a deserialized state builds it on its first event.
#[derive(Clone, Debug, Default)]
struct Index {
    built: bool,
    urls: HashMap<String, usize>,
    /// How many images are final: they come first.
    finals: usize,
    prompts: HashSet<String>,
}

impl PartialEq for Index {
    fn eq(&self, _: &Index) -> bool {
        true
    }
}

impl Eq for Index {}

/// Counts the steps of folding, so a test can check that the work grows
/// with the events and not with the state.
#[cfg(test)]
mod work {
    use std::cell::Cell;

    thread_local!(static STEPS: Cell<u64> = const { Cell::new(0) });

    pub(super) fn step(count: usize) {
        STEPS.with(|steps| steps.set(steps.get() + count as u64));
    }

    pub(super) fn take() -> u64 {
        STEPS.with(|steps| steps.replace(0))
    }
}

#[cfg(not(test))]
mod work {
    #[inline(always)]
    pub(super) fn step(_: usize) {}
}

impl JobState {
    /// The most images a job holds; see "Cost and caps" above.
    pub const MAX_IMAGES: usize = 1_000;

    /// The most prompts a job holds; see "Cost and caps" above.
    pub const MAX_PROMPTS: usize = 1_000;

    /// The state of a job after its first event.
    pub fn new(event: &JobEvent) -> JobState {
        let mut state = JobState {
            provider: event.provider,
            job_id: event.job_id.clone(),
            // The bottom of the status order: whatever the event says wins.
            status: JobStatus::Unknown,
            progress: None,
            operation: None,
            prompt: None,
            images: Vec::new(),
            prompts: Vec::new(),
            error: None,
            created_at: None,
            last_occurred_at: None,
            provider_status: None,
            events_applied: 0,
            events_ignored: 0,
            images_dropped: 0,
            prompts_dropped: 0,
            index: Index::default(),
        };
        state.fold(event);
        state.events_applied = 1;
        state.last_occurred_at = event.occurred_at;
        state
    }

    /// Folds one event into the state and says what it did.
    ///
    /// An event of another job changes nothing and is not counted.
    pub fn apply(&mut self, event: &JobEvent) -> Applied {
        if !self.is_job_of(event) {
            return Applied::OtherJob;
        }
        let fold = self.fold(event);
        if fold.changed {
            self.events_applied += 1;
            self.last_occurred_at = self.last_occurred_at.max(event.occurred_at);
        } else {
            self.events_ignored += 1;
        }
        if let Some((kept, dropped)) = fold.conflict {
            Applied::ConflictingTerminal { kept, dropped }
        } else if fold.advanced {
            Applied::Advanced
        } else if fold.changed {
            Applied::Merged
        } else if fold.agrees {
            Applied::Duplicate
        } else {
            Applied::StaleIgnored
        }
    }

    /// Whether `event` belongs to this state's job (same provider and job id).
    pub fn is_job_of(&self, event: &JobEvent) -> bool {
        self.provider == event.provider && self.job_id == event.job_id
    }

    /// Merges `event` (of this job) into the state, without counting it.
    fn fold(&mut self, event: &JobEvent) -> Fold {
        let old_status = self.status;
        let old_progress = self.progress;
        let mut changed = false;

        if rank(event.status) > rank(self.status) {
            self.status = event.status;
        }
        let status_changed = self.status != old_status;
        // The event's status is the one the state now holds: its wording and
        // its error describe the job as it stands.
        let accepted = self.status == event.status;
        let conflict =
            (old_status.is_terminal() && event.status.is_terminal() && old_status != event.status)
                .then(|| {
                    let dropped = if status_changed {
                        old_status
                    } else {
                        event.status
                    };
                    (self.status, dropped)
                });

        if status_changed {
            self.provider_status = event.provider_status.clone();
        } else if accepted {
            if let Some(wording) = &event.provider_status {
                changed |= replace(&mut self.provider_status, wording);
            }
        }

        let reported = effective_progress(event);
        self.progress = self.progress.max(reported);
        if self.status == JobStatus::Completed {
            self.progress = Some(Progress::DONE);
        }

        if self.status == JobStatus::Completed {
            changed |= self.error.take().is_some();
        } else if accepted && matches!(self.status, JobStatus::Failed | JobStatus::Cancelled) {
            if status_changed {
                changed |= self.error != event.error;
                self.error.clone_from(&event.error);
            } else if self.error.is_none() {
                if let Some(error) = &event.error {
                    self.error = Some(error.clone());
                    changed = true;
                }
            }
        }

        if self.operation.is_none() {
            if let Some(operation) = &event.operation {
                self.operation = Some(operation.clone());
                changed = true;
            }
        }
        if self.prompt.is_none() {
            if let Some(prompt) = event.prompt.as_ref().filter(|p| !p.trim().is_empty()) {
                self.prompt = Some(prompt.clone());
                changed = true;
            }
        }
        if self.created_at.is_none() && event.created_at.is_some() {
            self.created_at = event.created_at;
            changed = true;
        }
        changed |= self.gather_images(&event.images);
        changed |= self.gather_prompts(&event.prompts);

        let progressed = self.progress > old_progress;
        Fold {
            conflict,
            advanced: accepted && (status_changed || progressed),
            changed: changed || status_changed || self.progress != old_progress,
            agrees: accepted && reported.is_none_or(|p| Some(p) == self.progress),
        }
    }

    /// Builds the index of a state that has none (a new or deserialized
    /// one). A hand-edited state may repeat a URL or hold previews ahead of
    /// final images: the first of each URL is kept and the order restored,
    /// so the index and the rules hold from here on.
    fn ensure_index(&mut self) {
        if self.index.built {
            return;
        }
        let mut seen = HashSet::with_capacity(self.images.len());
        self.images.retain(|image| seen.insert(image.url.clone()));
        self.images
            .sort_by_key(|image| image.role == ImageRole::Preview);
        self.index.urls = self
            .images
            .iter()
            .enumerate()
            .map(|(at, image)| (image.url.clone(), at))
            .collect();
        self.index.finals = self
            .images
            .iter()
            .take_while(|image| image.role != ImageRole::Preview)
            .count();
        let mut prompts = HashSet::with_capacity(self.prompts.len());
        self.prompts.retain(|prompt| prompts.insert(prompt.clone()));
        self.index.prompts = prompts;
        self.index.built = true;
    }

    /// Gathers an event's images: each URL once, final images ahead of
    /// previews (each group in the order first seen), a preview seen again
    /// as a final image promoted, a missing index or size filled in from a
    /// later sighting; beyond [`JobState::MAX_IMAGES`], new URLs are counted
    /// and left out.
    ///
    /// New images go to the end of the list and a promoted preview changes
    /// in place; only when a final image landed behind a preview is the
    /// list from its first preview on put back in order (a stable
    /// partition), which touches the previews but not the final images
    /// ahead of them.
    fn gather_images(&mut self, incoming: &[Image]) -> bool {
        self.ensure_index();
        let mut changed = false;
        // Where the list may be out of order from: the first preview at the
        // time a final image landed behind it.
        let mut reorder_from: Option<usize> = None;
        for image in incoming.iter().filter(|image| !image.url.trim().is_empty()) {
            work::step(1);
            let is_final = image.role != ImageRole::Preview;
            let Some(&at) = self.index.urls.get(&image.url) else {
                if self.images.len() >= JobState::MAX_IMAGES {
                    self.images_dropped += 1;
                    continue;
                }
                if is_final {
                    if self.index.finals == self.images.len() && reorder_from.is_none() {
                        // No preview yet: the list stays in order.
                        self.index.finals += 1;
                    } else {
                        reorder_from.get_or_insert(self.index.finals);
                    }
                }
                self.index.urls.insert(image.url.clone(), self.images.len());
                self.images.push(image.clone());
                changed = true;
                continue;
            };
            let Some(seen) = self.images.get_mut(at) else {
                continue;
            };
            if seen.role == ImageRole::Preview && is_final {
                let mut promoted = image.clone();
                fill_in(&mut promoted, seen);
                *seen = promoted;
                changed = true;
                reorder_from.get_or_insert(self.index.finals);
            } else {
                changed |= fill_in(seen, image);
            }
        }
        if let Some(from) = reorder_from {
            self.partition_from(from);
        }
        changed
    }

    /// Puts final images ahead of previews in `images[from..]`, keeping each
    /// group's order, and re-indexes what moved. `from` is where the final
    /// images ended before the event, so the part before it is in order.
    fn partition_from(&mut self, from: usize) {
        if from >= self.images.len() {
            return;
        }
        let tail: Vec<Image> = self.images.drain(from..).collect();
        work::step(tail.len());
        let (finals, previews): (Vec<Image>, Vec<Image>) = tail
            .into_iter()
            .partition(|image| image.role != ImageRole::Preview);
        self.index.finals = from + finals.len();
        self.images.extend(finals);
        self.images.extend(previews);
        for (at, image) in self.images.iter().enumerate().skip(from) {
            if let Some(slot) = self.index.urls.get_mut(&image.url) {
                *slot = at;
            }
        }
    }

    /// Gathers an event's prompts, each once, in the order first seen;
    /// beyond [`JobState::MAX_PROMPTS`], new prompts are counted and left
    /// out.
    fn gather_prompts(&mut self, incoming: &[String]) -> bool {
        self.ensure_index();
        let mut changed = false;
        for prompt in incoming.iter().filter(|prompt| !prompt.trim().is_empty()) {
            work::step(1);
            if self.index.prompts.contains(prompt) {
                continue;
            }
            if self.prompts.len() >= JobState::MAX_PROMPTS {
                self.prompts_dropped += 1;
                continue;
            }
            self.index.prompts.insert(prompt.clone());
            self.prompts.push(prompt.clone());
            changed = true;
        }
        changed
    }

    /// The vendor whose events these are.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The vendor's job or task id.
    pub fn job_id(&self) -> &JobId {
        &self.job_id
    }

    /// Where the job stands.
    pub fn status(&self) -> JobStatus {
        self.status
    }

    /// Whether the job has finished (completed, failed or cancelled).
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// The highest progress reported so far (100 once completed).
    pub fn progress(&self) -> Option<Progress> {
        self.progress
    }

    /// The operation, as first reported.
    pub fn operation(&self) -> Option<&Operation> {
        self.operation.as_ref()
    }

    /// The prompt, as first reported.
    pub fn prompt(&self) -> Option<&str> {
        self.prompt.as_deref()
    }

    /// Every image URL reported, each once: final images, then previews.
    pub fn images(&self) -> &[Image] {
        &self.images
    }

    /// Every prompt text a describe or shorten job reported, each once.
    pub fn prompts(&self) -> &[String] {
        &self.prompts
    }

    /// Why the job failed or was cancelled, when a vendor said.
    pub fn error(&self) -> Option<&JobError> {
        self.error.as_ref()
    }

    /// When the job was created, as first reported.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created_at
    }

    /// The latest `occurred_at` of the events that changed the state.
    pub fn last_occurred_at(&self) -> Option<DateTime<Utc>> {
        self.last_occurred_at
    }

    /// The vendor's own wording of the status the state holds.
    pub fn provider_status(&self) -> Option<&str> {
        self.provider_status.as_deref()
    }

    /// How many events changed the state, the first one included.
    pub fn events_applied(&self) -> u64 {
        self.events_applied
    }

    /// How many events of this job changed nothing (duplicates, stale events).
    pub fn events_ignored(&self) -> u64 {
        self.events_ignored
    }

    /// How many images with a new URL were left out because the job already
    /// held [`JobState::MAX_IMAGES`] (each sighting counts).
    pub fn images_dropped(&self) -> u64 {
        self.images_dropped
    }

    /// How many new prompts were left out because the job already held
    /// [`JobState::MAX_PROMPTS`] (each sighting counts).
    pub fn prompts_dropped(&self) -> u64 {
        self.prompts_dropped
    }

    /// The state as one canonical event, for code that consumes
    /// [`JobEvent`]s; `occurred_at` is [`JobState::last_occurred_at`].
    pub fn to_event(&self) -> JobEvent {
        JobEvent {
            provider: self.provider,
            job_id: self.job_id.clone(),
            status: self.status,
            progress: self.progress,
            operation: self.operation.clone(),
            prompt: self.prompt.clone(),
            images: self.images.clone(),
            prompts: self.prompts.clone(),
            error: self.error.clone(),
            occurred_at: self.last_occurred_at,
            created_at: self.created_at,
            provider_status: self.provider_status.clone(),
        }
    }
}

/// What folding one event did, before it is counted and named.
struct Fold {
    conflict: Option<(JobStatus, JobStatus)>,
    advanced: bool,
    changed: bool,
    agrees: bool,
}

/// The status order. Terminal statuses rank above the rest, and among them
/// the one that carries most (results, then a reason) ranks highest.
fn rank(status: JobStatus) -> u8 {
    match status {
        JobStatus::Unknown => 0,
        JobStatus::Pending => 1,
        JobStatus::InProgress => 2,
        JobStatus::Cancelled => 3,
        JobStatus::Failed => 4,
        JobStatus::Completed => 5,
    }
}

/// A completed event is at 100 whether or not it says so.
fn effective_progress(event: &JobEvent) -> Option<Progress> {
    if event.status == JobStatus::Completed {
        Some(Progress::DONE)
    } else {
        event.progress
    }
}

fn replace(slot: &mut Option<String>, value: &str) -> bool {
    if slot.as_deref() == Some(value) {
        return false;
    }
    *slot = Some(value.to_owned());
    true
}

/// Copies the index and size `from` knows and `into` lacks.
fn fill_in(into: &mut Image, from: &Image) -> bool {
    let before = (into.index, into.width, into.height);
    into.index = into.index.or(from.index);
    into.width = into.width.or(from.width);
    into.height = into.height.or(from.height);
    before != (into.index, into.width, into.height)
}

/// The states of many jobs, keyed by provider and job id, in order of first
/// appearance.
///
/// ```
/// use mjhook::{decode_all, Applied, JobStatus, Provider, Tracker};
///
/// let mut tracker = Tracker::new();
/// for body in [
///     &br#"{"tasks": [{"task_id": "a", "status": "processing", "percentage": 20},
///                    {"task_id": "b", "status": "pending"}]}"#[..],
///     br#"{"task_id": "a", "status": "failed", "message": "banned prompt"}"#,
/// ] {
///     for event in decode_all(Some(Provider::Apiframe), body)? {
///         tracker.apply(&event);
///     }
/// }
/// let statuses: Vec<_> = tracker.iter().map(|job| (job.job_id().as_str(), job.status())).collect();
/// assert_eq!(statuses, [("a", JobStatus::Failed), ("b", JobStatus::Pending)]);
/// let a = tracker.get(Provider::Apiframe, "a").unwrap();
/// assert_eq!(a.error().map(|e| e.message.as_str()), Some("banned prompt"));
/// # Ok::<(), mjhook::DecodeError>(())
/// ```
///
/// # Removing and capping jobs
///
/// A tracker keeps every job until told otherwise: [`Tracker::remove`] takes
/// one job out, [`Tracker::retain`] keeps the jobs a test accepts (say,
/// `|job| !job.is_terminal()` once finished jobs are stored elsewhere). A
/// tracker made with [`Tracker::with_max_jobs`] holds at most that many
/// jobs: when an event of a new job arrives and the tracker is full, the job
/// that appeared first (the oldest first event among the jobs held) is
/// evicted to make room, whatever its status. [`Tracker::apply_evicting`]
/// hands the evicted state back, to store it; [`Tracker::jobs_evicted`]
/// counts evictions. Each of these costs constant time per job, amortized.
///
/// ```
/// use mjhook::{JobEvent, JobId, JobStatus, Provider, Tracker};
///
/// let job = |id: &str| JobEvent::new(Provider::Goapi, JobId::new(id), JobStatus::Pending);
/// let mut tracker = Tracker::with_max_jobs(2);
/// tracker.apply(&job("a"));
/// tracker.apply(&job("b"));
/// let (_, evicted) = tracker.apply_evicting(&job("c"));
/// assert_eq!(evicted.map(|state| state.job_id().to_string()), Some("a".to_owned()));
/// let held: Vec<_> = tracker.iter().map(|state| state.job_id().as_str()).collect();
/// assert_eq!(held, ["b", "c"]);
///
/// assert!(tracker.remove(Provider::Goapi, "b").is_some());
/// tracker.retain(|state| state.job_id().as_str() != "c");
/// assert!(tracker.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    /// The jobs in order of first appearance; `None` where one was removed.
    slots: VecDeque<Option<JobState>>,
    /// The number of `slots[0]`: a job's slot is its number minus this, so
    /// evicting from the front renumbers nothing.
    first: u64,
    /// Each job's number, by provider and job id.
    numbers: HashMap<Provider, HashMap<String, u64>>,
    len: usize,
    max_jobs: Option<usize>,
    evicted: u64,
}

impl Tracker {
    /// An empty tracker without a cap on jobs.
    pub fn new() -> Self {
        Tracker::default()
    }

    /// An empty tracker that holds at most `max_jobs` jobs (at least one),
    /// evicting the oldest to make room for a new one.
    pub fn with_max_jobs(max_jobs: usize) -> Self {
        Tracker {
            max_jobs: Some(max_jobs.max(1)),
            ..Tracker::default()
        }
    }

    /// The cap on jobs, if there is one.
    pub fn max_jobs(&self) -> Option<usize> {
        self.max_jobs
    }

    /// Folds `event` into its job's state, making the state
    /// ([`Applied::New`]) when the job is new. In a full tracker, a new job
    /// evicts the oldest one; [`Tracker::apply_evicting`] returns it.
    pub fn apply(&mut self, event: &JobEvent) -> Applied {
        self.apply_evicting(event).0
    }

    /// [`Tracker::apply`], also handing back the state a new job evicted
    /// from a full tracker.
    pub fn apply_evicting(&mut self, event: &JobEvent) -> (Applied, Option<JobState>) {
        let known = self.slot(event.provider, event.job_id.as_str());
        if let Some(state) = known
            .and_then(|at| self.slots.get_mut(at))
            .and_then(Option::as_mut)
        {
            return (state.apply(event), None);
        }
        let evicted = match self.max_jobs {
            Some(max) if self.len >= max => self.evict_oldest(),
            _ => None,
        };
        let number = self.first + self.slots.len() as u64;
        self.numbers
            .entry(event.provider)
            .or_default()
            .insert(event.job_id.as_str().to_owned(), number);
        self.slots.push_back(Some(JobState::new(event)));
        self.len += 1;
        (Applied::New, evicted)
    }

    /// The state of a job, if any of its events was applied (and it was not
    /// removed or evicted since).
    pub fn get(&self, provider: Provider, job_id: &str) -> Option<&JobState> {
        self.slot(provider, job_id)
            .and_then(|at| self.slots.get(at))
            .and_then(Option::as_ref)
    }

    /// Takes a job out of the tracker, returning its state. A later event of
    /// the job starts a new state, at the end of the order.
    pub fn remove(&mut self, provider: Provider, job_id: &str) -> Option<JobState> {
        let at = self.slot(provider, job_id)?;
        let state = self.slots.get_mut(at)?.take()?;
        self.forget(&state);
        self.len -= 1;
        self.compact_if_sparse();
        Some(state)
    }

    /// Keeps only the jobs for which `keep` returns `true`, in their order.
    pub fn retain(&mut self, mut keep: impl FnMut(&JobState) -> bool) {
        let mut dropped = Vec::new();
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|state| !keep(state)) {
                dropped.extend(slot.take());
            }
        }
        for state in &dropped {
            self.forget(state);
        }
        self.len -= dropped.len();
        self.compact_if_sparse();
    }

    /// How many jobs a full tracker has evicted so far.
    pub fn jobs_evicted(&self) -> u64 {
        self.evicted
    }

    /// The states, in order of each job's first event.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            slots: self.slots.iter(),
            left: self.len,
        }
    }

    /// How many jobs are tracked.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no job is tracked.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn slot(&self, provider: Provider, job_id: &str) -> Option<usize> {
        let number = *self.numbers.get(&provider)?.get(job_id)?;
        usize::try_from(number.checked_sub(self.first)?).ok()
    }

    fn forget(&mut self, state: &JobState) {
        if let Some(ids) = self.numbers.get_mut(&state.provider) {
            ids.remove(state.job_id.as_str());
        }
    }

    /// Takes out the job that appeared first; removed jobs' empty slots in
    /// front of it go too.
    fn evict_oldest(&mut self) -> Option<JobState> {
        while let Some(slot) = self.slots.pop_front() {
            self.first += 1;
            if let Some(state) = slot {
                self.forget(&state);
                self.len -= 1;
                self.evicted += 1;
                return Some(state);
            }
        }
        None
    }

    /// Drops the empty slots once they outnumber the jobs, renumbering the
    /// jobs: linear in the jobs, at most once per as many removals, so
    /// constant per removal, amortized.
    fn compact_if_sparse(&mut self) {
        if self.slots.len() <= 2 * self.len + 16 {
            return;
        }
        self.slots.retain(Option::is_some);
        self.first = 0;
        for (number, state) in self.slots.iter().flatten().enumerate() {
            if let Some(slot) = self
                .numbers
                .get_mut(&state.provider)
                .and_then(|ids| ids.get_mut(state.job_id.as_str()))
            {
                *slot = number as u64;
            }
        }
    }
}

/// The states of a [`Tracker`], in order of each job's first event.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    slots: std::collections::vec_deque::Iter<'a, Option<JobState>>,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a JobState;

    fn next(&mut self) -> Option<Self::Item> {
        let state = self.slots.by_ref().flatten().next()?;
        self.left -= 1;
        Some(state)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Tracker {
    type Item = &'a JobState;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The states of a [`Tracker`], owned, in order of each job's first event.
#[derive(Debug)]
pub struct IntoIter {
    slots: std::collections::vec_deque::IntoIter<Option<JobState>>,
    left: usize,
}

impl Iterator for IntoIter {
    type Item = JobState;

    fn next(&mut self) -> Option<Self::Item> {
        let state = self.slots.by_ref().flatten().next()?;
        self.left -= 1;
        Some(state)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for IntoIter {}

/// The states, in order of each job's first event.
impl IntoIterator for Tracker {
    type Item = JobState;
    type IntoIter = IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        IntoIter {
            slots: self.slots.into_iter(),
            left: self.len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(status: JobStatus) -> JobEvent {
        JobEvent::new(Provider::Goapi, JobId::new("job-1"), status)
    }

    fn with_progress(status: JobStatus, percent: u8) -> JobEvent {
        let mut event = event(status);
        event.progress = Progress::new(percent);
        event
    }

    fn with_images(status: JobStatus, images: &[(&str, ImageRole)]) -> JobEvent {
        let mut event = event(status);
        for (url, role) in images {
            event.push_image(Image::new(*url, *role));
        }
        event
    }

    fn failed(message: &str) -> JobEvent {
        let mut event = event(JobStatus::Failed);
        event.error = JobError::from_vendor(None, Some(message));
        event
    }

    fn urls(state: &JobState) -> Vec<(&str, ImageRole)> {
        state
            .images()
            .iter()
            .map(|image| (image.url.as_str(), image.role))
            .collect()
    }

    /// The job's fields, leaving out the counters.
    fn fields(state: &JobState) -> JobEvent {
        state.to_event()
    }

    #[test]
    fn the_first_event_makes_the_state() {
        let mut first = with_progress(JobStatus::InProgress, 30);
        first.provider_status = Some("processing".into());
        first.prompt = Some("a kite over dunes".into());
        let state = JobState::new(&first);
        assert_eq!(state.status(), JobStatus::InProgress);
        assert_eq!(state.progress(), Progress::new(30));
        assert_eq!(state.provider_status(), Some("processing"));
        assert_eq!(state.prompt(), Some("a kite over dunes"));
        assert_eq!((state.events_applied(), state.events_ignored()), (1, 0));

        let mut tracker = Tracker::new();
        assert_eq!(tracker.apply(&first), Applied::New);
        assert_eq!(tracker.get(Provider::Goapi, "job-1"), Some(&state));
    }

    #[test]
    fn an_empty_first_event_still_counts() {
        let state = JobState::new(&event(JobStatus::Unknown));
        assert_eq!((state.events_applied(), state.events_ignored()), (1, 0));
    }

    #[test]
    fn advanced_by_status_and_by_progress() {
        let mut state = JobState::new(&event(JobStatus::Pending));
        assert_eq!(
            state.apply(&with_progress(JobStatus::InProgress, 20)),
            Applied::Advanced
        );
        assert_eq!(
            state.apply(&with_progress(JobStatus::InProgress, 55)),
            Applied::Advanced
        );
        assert_eq!(state.progress(), Progress::new(55));
        assert_eq!(state.apply(&event(JobStatus::Completed)), Applied::Advanced);
        assert_eq!(state.progress(), Some(Progress::DONE));
        assert_eq!((state.events_applied(), state.events_ignored()), (4, 0));
    }

    #[test]
    fn merged_when_the_event_adds_without_moving_the_job() {
        let grid = ("https://example.com/grid.png", ImageRole::Grid);
        let quarter = ("https://example.com/0_0.png", ImageRole::Image);
        let mut state = JobState::new(&with_images(JobStatus::Completed, &[grid]));
        assert_eq!(
            state.apply(&with_images(JobStatus::Completed, &[grid, quarter])),
            Applied::Merged
        );
        assert_eq!(urls(&state), [grid, quarter]);

        let mut retry = with_progress(JobStatus::InProgress, 10);
        retry.provider_status = Some("processing".into());
        let mut state = JobState::new(&retry);
        retry.provider_status = Some("retry".into());
        assert_eq!(state.apply(&retry), Applied::Merged);
        assert_eq!(state.provider_status(), Some("retry"));
    }

    #[test]
    fn duplicate_changes_nothing_but_the_count() {
        let mut delivery = with_images(
            JobStatus::Completed,
            &[("https://example.com/grid.png", ImageRole::Grid)],
        );
        delivery.occurred_at = "2025-01-02T03:04:05Z".parse().ok();
        let mut state = JobState::new(&delivery);
        let before = fields(&state);
        assert_eq!(state.apply(&delivery), Applied::Duplicate);
        // A re-stamped re-delivery is still the same news.
        delivery.occurred_at = "2025-01-02T03:09:00Z".parse().ok();
        assert_eq!(state.apply(&delivery), Applied::Duplicate);
        assert_eq!(fields(&state), before);
        assert_eq!((state.events_applied(), state.events_ignored()), (1, 2));
    }

    #[test]
    fn stale_events_do_not_move_the_job_back() {
        let mut state = JobState::new(&event(JobStatus::Completed));
        assert_eq!(
            state.apply(&with_progress(JobStatus::InProgress, 80)),
            Applied::StaleIgnored
        );
        assert_eq!(state.status(), JobStatus::Completed);
        assert_eq!(state.progress(), Some(Progress::DONE));

        let mut state = JobState::new(&with_progress(JobStatus::InProgress, 60));
        assert_eq!(
            state.apply(&event(JobStatus::Pending)),
            Applied::StaleIgnored
        );
        assert_eq!(
            state.apply(&with_progress(JobStatus::InProgress, 40)),
            Applied::StaleIgnored
        );
        assert_eq!(
            state.apply(&event(JobStatus::Unknown)),
            Applied::StaleIgnored
        );
        assert_eq!(
            (state.status(), state.progress()),
            (JobStatus::InProgress, Progress::new(60))
        );
        assert_eq!((state.events_applied(), state.events_ignored()), (1, 3));
    }

    #[test]
    fn a_stale_event_still_brings_its_images() {
        let grid = ("https://example.com/grid.png", ImageRole::Grid);
        let preview = ("https://example.com/40.webp", ImageRole::Preview);
        let mut state = JobState::new(&with_images(JobStatus::Completed, &[grid]));
        let late = with_images(JobStatus::InProgress, &[preview]);
        assert_eq!(state.apply(&late), Applied::Merged);
        assert_eq!(state.status(), JobStatus::Completed);
        assert_eq!(urls(&state), [grid, preview]);
        assert_eq!(state.apply(&late), Applied::StaleIgnored);
    }

    #[test]
    fn completed_after_failed_wins_and_drops_the_error() {
        let mut state = JobState::new(&failed("queue timeout"));
        let mut done = with_images(
            JobStatus::Completed,
            &[("https://example.com/grid.png", ImageRole::Grid)],
        );
        done.provider_status = Some("finished".into());
        assert_eq!(
            state.apply(&done),
            Applied::ConflictingTerminal {
                kept: JobStatus::Completed,
                dropped: JobStatus::Failed
            }
        );
        assert_eq!(state.status(), JobStatus::Completed);
        assert_eq!(state.error(), None);
        assert_eq!(state.provider_status(), Some("finished"));

        // The other order ends in the same job.
        let mut other = JobState::new(&done);
        assert_eq!(
            other.apply(&failed("queue timeout")),
            Applied::ConflictingTerminal {
                kept: JobStatus::Completed,
                dropped: JobStatus::Failed
            }
        );
        assert_eq!(fields(&other), fields(&state));
        // Nothing of the failure was kept, so the second order ignored it.
        assert_eq!((other.events_applied(), other.events_ignored()), (1, 1));
    }

    #[test]
    fn failed_beats_cancelled_and_brings_its_error() {
        let mut state = JobState::new(&event(JobStatus::Cancelled));
        assert_eq!(
            state.apply(&failed("banned prompt")),
            Applied::ConflictingTerminal {
                kept: JobStatus::Failed,
                dropped: JobStatus::Cancelled
            }
        );
        assert_eq!(
            state.error().map(|e| e.message.as_str()),
            Some("banned prompt")
        );
        assert_eq!(
            state.apply(&event(JobStatus::Cancelled)),
            Applied::ConflictingTerminal {
                kept: JobStatus::Failed,
                dropped: JobStatus::Cancelled
            }
        );
        assert_eq!(state.status(), JobStatus::Failed);
    }

    #[test]
    fn errors_come_from_failures_and_the_first_stays() {
        let mut running = event(JobStatus::InProgress);
        running.error = JobError::from_vendor(None, Some("retrying"));
        let mut state = JobState::new(&running);
        assert_eq!(state.error(), None);
        assert_eq!(state.apply(&event(JobStatus::Failed)), Applied::Advanced);
        assert_eq!(state.error(), None);
        assert_eq!(state.apply(&failed("first reason")), Applied::Merged);
        assert_eq!(state.apply(&failed("second reason")), Applied::Duplicate);
        assert_eq!(
            state.error().map(|e| e.message.as_str()),
            Some("first reason")
        );
    }

    #[test]
    fn other_jobs_are_left_alone() {
        let mut state = JobState::new(&event(JobStatus::Pending));
        let before = state.clone();
        let other_id = JobEvent::new(Provider::Goapi, JobId::new("job-2"), JobStatus::Completed);
        let other_vendor = JobEvent::new(
            Provider::Apiframe,
            JobId::new("job-1"),
            JobStatus::Completed,
        );
        assert_eq!(state.apply(&other_id), Applied::OtherJob);
        assert_eq!(state.apply(&other_vendor), Applied::OtherJob);
        assert_eq!(state, before);
    }

    #[test]
    fn final_images_go_ahead_of_previews() {
        let preview = ("https://example.com/p.webp", ImageRole::Preview);
        let grid = ("https://example.com/grid.png", ImageRole::Grid);
        let input = ("https://example.com/in.png", ImageRole::Input);
        let mut state = JobState::new(&with_images(JobStatus::InProgress, &[preview]));
        state.apply(&with_images(JobStatus::Completed, &[grid]));
        state.apply(&with_images(JobStatus::Completed, &[input]));
        assert_eq!(urls(&state), [grid, input, preview]);

        // A URL first seen as a preview becomes the final image it turned into.
        let promoted = ("https://example.com/p.webp", ImageRole::Grid);
        let mut event = with_images(JobStatus::Completed, &[]);
        event.push_image(Image::new(promoted.0, promoted.1));
        assert_eq!(state.apply(&event), Applied::Merged);
        assert_eq!(urls(&state), [grid, input, promoted]);
    }

    #[test]
    fn missing_sizes_are_filled_in() {
        let bare = with_images(
            JobStatus::Completed,
            &[("https://example.com/0_0.png", ImageRole::Image)],
        );
        let mut state = JobState::new(&bare);
        let mut sized = bare.clone();
        if let Some(image) = sized.images.first_mut() {
            image.index = Some(0);
            image.width = Some(1024);
            image.height = Some(1024);
        }
        assert_eq!(state.apply(&sized), Applied::Merged);
        assert_eq!(state.images(), sized.images.as_slice());
        assert_eq!(state.apply(&bare), Applied::Duplicate);
    }

    #[test]
    fn first_prompt_operation_and_creation_time_stay() {
        let mut first = event(JobStatus::Pending);
        first.prompt = Some("  ".into());
        first.created_at = "2025-01-01T00:00:00Z".parse().ok();
        let mut state = JobState::new(&first);
        let mut second = event(JobStatus::Pending);
        second.prompt = Some("a paper boat".into());
        second.operation = Operation::from_vendor("upscale#2");
        second.created_at = "2025-01-01T00:00:09Z".parse().ok();
        assert_eq!(state.apply(&second), Applied::Merged);
        let mut third = second.clone();
        third.prompt = Some("another prompt".into());
        third.operation = Some(Operation::Imagine);
        assert_eq!(state.apply(&third), Applied::Duplicate);
        assert_eq!(state.prompt(), Some("a paper boat"));
        assert_eq!(state.operation(), Some(&Operation::Upscale));
        assert_eq!(state.created_at(), first.created_at);
    }

    #[test]
    fn unknown_status_counts_only_until_a_known_one_arrives() {
        let mut odd = event(JobStatus::Unknown);
        odd.provider_status = Some("moderated".into());
        let mut state = JobState::new(&odd);
        assert_eq!(state.provider_status(), Some("moderated"));
        let mut queued = event(JobStatus::Pending);
        queued.provider_status = Some("queued".into());
        assert_eq!(state.apply(&queued), Applied::Advanced);
        assert_eq!(state.apply(&odd), Applied::StaleIgnored);
        assert_eq!(
            (state.status(), state.provider_status()),
            (JobStatus::Pending, Some("queued"))
        );
    }

    #[test]
    fn tracker_keeps_order_of_first_appearance() {
        let mut tracker = Tracker::new();
        assert!(tracker.is_empty());
        let b = JobEvent::new(Provider::Goapi, JobId::new("b"), JobStatus::Pending);
        let a = JobEvent::new(Provider::Goapi, JobId::new("a"), JobStatus::Pending);
        let a_vendor = JobEvent::new(Provider::Asyncapi, JobId::new("a"), JobStatus::Pending);
        assert_eq!(tracker.apply(&b), Applied::New);
        assert_eq!(tracker.apply(&a), Applied::New);
        assert_eq!(tracker.apply(&a_vendor), Applied::New);
        assert_eq!(tracker.apply(&b), Applied::Duplicate);
        let order: Vec<_> = tracker
            .iter()
            .map(|state| (state.provider(), state.job_id().as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (Provider::Goapi, "b"),
                (Provider::Goapi, "a"),
                (Provider::Asyncapi, "a")
            ]
        );
        assert_eq!(tracker.len(), 3);
        assert!(tracker.get(Provider::Apiframe, "a").is_none());
        assert_eq!(tracker.into_iter().count(), 3);
    }

    /// An event of job-1 with `count` images whose URLs start at `from`.
    fn many_images(status: JobStatus, role: ImageRole, from: usize, count: usize) -> JobEvent {
        let mut event = event(status);
        event.images = (from..from + count)
            .map(|n| Image::new(format!("https://cdn.example.com/{n}.png"), role))
            .collect();
        event
    }

    /// The steps of folding `events` events into one job: each brings 40
    /// URLs, half of them seen in the event before (a re-delivery
    /// overlapping the last), as previews and then as finals. Forty of them
    /// stay below the image cap, so every URL is looked up, added, promoted
    /// or moved, not left out.
    fn steps_for(events: usize) -> u64 {
        work::take();
        let mut state = JobState::new(&event(JobStatus::InProgress));
        for n in 0..events {
            let role = if n % 2 == 0 {
                ImageRole::Preview
            } else {
                ImageRole::Image
            };
            let status = if n % 2 == 0 {
                JobStatus::InProgress
            } else {
                JobStatus::Completed
            };
            state.apply(&many_images(status, role, n * 20, 40));
        }
        work::take()
    }

    /// The steps of folding `events` events of 5,000 URLs each, half new
    /// and half from the event before: far past the image cap, as the
    /// largest bodies a vendor could send would be.
    fn steps_for_large(events: usize) -> u64 {
        work::take();
        let mut state = JobState::new(&event(JobStatus::InProgress));
        for n in 0..events {
            let (status, role) = if n % 2 == 0 {
                (JobStatus::InProgress, ImageRole::Preview)
            } else {
                (JobStatus::Completed, ImageRole::Image)
            };
            state.apply(&many_images(status, role, n * 2_500, 5_000));
        }
        assert_eq!(state.images().len(), JobState::MAX_IMAGES);
        work::take()
    }

    #[test]
    fn folding_large_events_past_the_cap_is_linear_too() {
        let (ten, twenty, forty) = (
            steps_for_large(10),
            steps_for_large(20),
            steps_for_large(40),
        );
        for (small, large) in [(ten, twenty), (twenty, forty)] {
            let ratio = large as f64 / small as f64;
            assert!((1.9..=2.1).contains(&ratio), "{small} -> {large} steps");
        }
    }

    #[test]
    fn folding_work_grows_with_the_events_not_the_state() {
        let (ten, twenty, forty) = (steps_for(10), steps_for(20), steps_for(40));
        // Each event is the same size, so doubling the events doubles the
        // work (within the previews a final image moves, bounded by the
        // cap). A fold that revisited the state per event would quadruple it.
        for (small, large) in [(ten, twenty), (twenty, forty)] {
            let ratio = large as f64 / small as f64;
            assert!((1.8..=2.2).contains(&ratio), "{small} -> {large} steps");
        }
        // The last event of a long history costs what an early one does.
        let mut state = JobState::new(&event(JobStatus::InProgress));
        work::take();
        state.apply(&many_images(
            JobStatus::InProgress,
            ImageRole::Preview,
            0,
            200,
        ));
        let early = work::take();
        for n in 1..=40 {
            state.apply(&many_images(
                JobStatus::InProgress,
                ImageRole::Preview,
                n * 10,
                200,
            ));
        }
        work::take();
        state.apply(&many_images(
            JobStatus::InProgress,
            ImageRole::Preview,
            410,
            200,
        ));
        assert_eq!(work::take(), early);
    }

    #[test]
    fn a_job_holds_at_most_max_images_and_counts_the_rest() {
        let max = JobState::MAX_IMAGES;
        let mut state = JobState::new(&many_images(
            JobStatus::InProgress,
            ImageRole::Preview,
            0,
            max - 2,
        ));
        // Five new URLs: two fit, three are left out; the status still moves.
        let done = many_images(JobStatus::Completed, ImageRole::Image, max - 2, 5);
        assert_eq!(state.apply(&done), Applied::Advanced);
        assert_eq!(state.images().len(), max);
        assert_eq!(state.images_dropped(), 3);
        // The two that fit are final, so they come first.
        assert_eq!(
            state.images()[..2]
                .iter()
                .map(|i| i.url.as_str())
                .collect::<Vec<_>>(),
            [
                format!("https://cdn.example.com/{}.png", max - 2),
                format!("https://cdn.example.com/{}.png", max - 1)
            ]
        );
        // A re-delivery changes nothing but the count of what was left out.
        assert_eq!(state.apply(&done), Applied::Duplicate);
        assert_eq!(state.images_dropped(), 6);
        // Images the job holds are still promoted when full.
        let promote = many_images(JobStatus::Completed, ImageRole::Image, 0, 1);
        assert_eq!(state.apply(&promote), Applied::Merged);
        assert_eq!(state.images()[2].role, ImageRole::Image);
        assert_eq!(state.images()[3].role, ImageRole::Preview);
        // The count is in the JSON form, and read back.
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["images_dropped"], 6);
        let restored: JobState = serde_json::from_value(json).unwrap();
        assert_eq!(restored, state);
    }

    #[test]
    fn a_job_holds_at_most_max_prompts() {
        let mut first = event(JobStatus::Completed);
        first.prompts = (0..JobState::MAX_PROMPTS + 2)
            .map(|n| format!("prompt {n}"))
            .collect();
        let state = JobState::new(&first);
        assert_eq!(state.prompts().len(), JobState::MAX_PROMPTS);
        assert_eq!(state.prompts_dropped(), 2);
    }

    #[test]
    fn json_form_is_unchanged_and_a_restored_state_folds_on() {
        let preview = ("https://example.com/p.webp", ImageRole::Preview);
        let grid = ("https://example.com/grid.png", ImageRole::Grid);
        let state = JobState::new(&with_images(JobStatus::InProgress, &[preview]));
        let json = serde_json::to_value(&state).unwrap();
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        // The keys, not their order (serde_json's map is sorted).
        assert_eq!(
            keys,
            [
                "created_at",
                "error",
                "events_applied",
                "events_ignored",
                "images",
                "job_id",
                "last_occurred_at",
                "operation",
                "progress",
                "prompt",
                "prompts",
                "provider",
                "provider_status",
                "status"
            ]
        );
        let mut restored: JobState = serde_json::from_value(json).unwrap();
        assert_eq!(restored, state);
        // The index is rebuilt: the old URL is known, the new final goes first.
        assert_eq!(
            restored.apply(&with_images(JobStatus::Completed, &[grid, preview])),
            Applied::Advanced
        );
        assert_eq!(urls(&restored), [grid, preview]);
    }

    #[test]
    fn a_hand_edited_state_is_put_in_order_on_its_next_event() {
        let json = serde_json::json!({
            "provider": "goapi", "job_id": "job-1", "status": "in_progress",
            "progress": null, "operation": null, "prompt": null,
            "images": [
                {"url": "https://example.com/p.webp", "role": "preview", "index": null, "width": null, "height": null},
                {"url": "https://example.com/g.png", "role": "grid", "index": null, "width": null, "height": null},
                {"url": "https://example.com/p.webp", "role": "preview", "index": null, "width": null, "height": null}
            ],
            "prompts": ["a", "a"], "error": null, "created_at": null,
            "last_occurred_at": null, "provider_status": null
        });
        let mut state: JobState = serde_json::from_value(json).unwrap();
        state.apply(&event(JobStatus::InProgress));
        assert_eq!(
            urls(&state),
            [
                ("https://example.com/g.png", ImageRole::Grid),
                ("https://example.com/p.webp", ImageRole::Preview)
            ]
        );
        assert_eq!(state.prompts(), ["a"]);
    }

    #[test]
    fn white_space_urls_and_prompts_are_not_gathered() {
        let mut blank = event(JobStatus::Completed);
        blank.images = vec![Image::new(" \t", ImageRole::Image)];
        blank.prompts = vec![" ".into()];
        let state = JobState::new(&blank);
        assert!(state.images().is_empty());
        assert!(state.prompts().is_empty());
    }

    fn goapi_job(id: &str) -> JobEvent {
        JobEvent::new(Provider::Goapi, JobId::new(id), JobStatus::Pending)
    }

    fn ids(tracker: &Tracker) -> Vec<&str> {
        tracker
            .iter()
            .map(|state| state.job_id().as_str())
            .collect()
    }

    #[test]
    fn tracker_removes_and_retains_jobs_in_order() {
        let mut tracker = Tracker::new();
        for id in ["a", "b", "c", "d"] {
            tracker.apply(&goapi_job(id));
        }
        let removed = tracker.remove(Provider::Goapi, "b");
        assert_eq!(
            removed.map(|state| state.job_id().to_string()),
            Some("b".into())
        );
        assert_eq!(tracker.remove(Provider::Goapi, "b"), None);
        assert_eq!(tracker.remove(Provider::Asyncapi, "a"), None);
        assert_eq!(ids(&tracker), ["a", "c", "d"]);
        assert_eq!(tracker.len(), 3);
        tracker.retain(|state| state.job_id().as_str() != "c");
        assert_eq!(ids(&tracker), ["a", "d"]);
        assert!(tracker.get(Provider::Goapi, "c").is_none());
        // A removed job that comes back starts over, at the end.
        assert_eq!(tracker.apply(&goapi_job("b")), Applied::New);
        assert_eq!(ids(&tracker), ["a", "d", "b"]);
        assert_eq!(tracker.iter().len(), 3);
        assert_eq!(tracker.clone().into_iter().len(), 3);
    }

    #[test]
    fn a_full_tracker_evicts_the_job_that_appeared_first() {
        let mut tracker = Tracker::with_max_jobs(3);
        assert_eq!(tracker.max_jobs(), Some(3));
        for id in ["a", "b", "c"] {
            assert_eq!(tracker.apply_evicting(&goapi_job(id)), (Applied::New, None));
        }
        // An event of a job it holds evicts nothing, however recent.
        assert_eq!(tracker.apply(&goapi_job("a")), Applied::Duplicate);
        let (applied, evicted) = tracker.apply_evicting(&goapi_job("d"));
        assert_eq!(applied, Applied::New);
        assert_eq!(
            evicted.map(|state| state.job_id().to_string()),
            Some("a".into())
        );
        assert_eq!(ids(&tracker), ["b", "c", "d"]);
        // A removed job's place is skipped; the next oldest goes.
        tracker.remove(Provider::Goapi, "b");
        tracker.apply(&goapi_job("e"));
        assert_eq!(ids(&tracker), ["c", "d", "e"]);
        tracker.apply(&goapi_job("f"));
        assert_eq!(ids(&tracker), ["d", "e", "f"]);
        assert_eq!(tracker.jobs_evicted(), 2);
        assert_eq!(Tracker::with_max_jobs(0).max_jobs(), Some(1));
    }

    #[test]
    fn tracker_stays_consistent_through_many_removals() {
        let mut tracker = Tracker::with_max_jobs(50);
        for n in 0..1_000 {
            tracker.apply(&goapi_job(&n.to_string()));
            if n % 3 == 0 {
                tracker.remove(Provider::Goapi, &(n / 2).to_string());
            }
            if n % 97 == 0 {
                tracker.retain(|state| !state.job_id().as_str().ends_with('7'));
            }
        }
        assert!(tracker.len() <= 50);
        assert_eq!(tracker.iter().count(), tracker.len());
        for state in tracker.iter() {
            let found = tracker.get(Provider::Goapi, state.job_id().as_str());
            assert_eq!(found.map(JobState::job_id), Some(state.job_id()));
        }
        let order: Vec<u32> = tracker
            .iter()
            .map(|state| state.job_id().as_str().parse().unwrap())
            .collect();
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{order:?}");
    }

    fn fixture(provider: Provider, name: &str) -> Vec<JobEvent> {
        let path = format!(
            "{}/fixtures/{provider}/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
        crate::decode_all(Some(provider), &bytes).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    fn one(provider: Provider, name: &str) -> JobEvent {
        let mut events = fixture(provider, name);
        assert_eq!(events.len(), 1, "{name}");
        events.remove(0)
    }

    #[test]
    fn asyncapi_webhook_and_polled_job_merge() {
        let p = Provider::Asyncapi;
        let mut state = JobState::new(&one(p, "webhook-progress-pending"));
        assert_eq!(
            state.apply(&one(p, "webhook-progress-in-progress")),
            Applied::Advanced
        );
        assert_eq!(
            state.apply(&one(p, "track-get-job-completed")),
            Applied::Advanced
        );
        assert_eq!(state.status(), JobStatus::Completed);
        assert_eq!(state.images().len(), 5);
        // Only the polled job object says when the job was created.
        assert_eq!(state.created_at(), "2025-03-04T08:14:58Z".parse().ok());
        // The webhook repeats the poll's images, with their sizes.
        assert_eq!(
            state.apply(&one(p, "webhook-completed-imagine")),
            Applied::Merged
        );
        assert_eq!(state.images().len(), 5);
        assert!(state.images().iter().all(|image| image.width.is_some()));
        assert_eq!(
            state.prompt(),
            Some("a lighthouse at dusk, watercolor --ar 3:2")
        );
        assert_eq!(
            state.last_occurred_at(),
            "2025-03-04T08:16:05Z".parse().ok()
        );
    }

    #[test]
    fn apiframe_webhook_and_fetch_merge() {
        let p = Provider::Apiframe;
        let mut state = JobState::new(&one(p, "webhook-pending-imagine"));
        assert_eq!(
            state.apply(&one(p, "fetch-processing-percentage-with-percent-sign")),
            Applied::Advanced
        );
        // An older poll reply answered after a newer one.
        assert_eq!(
            state.apply(&one(p, "fetch-processing-percentage-number")),
            Applied::StaleIgnored
        );
        // Without a percentage, a processing reply says nothing new.
        assert_eq!(
            state.apply(&one(p, "fetch-processing-percentage-empty-string")),
            Applied::Duplicate
        );
        assert_eq!(
            state.apply(&one(p, "webhook-finished-imagine-with-status")),
            Applied::Advanced
        );
        assert_eq!(
            state.apply(&one(p, "fetch-processing-percentage-string")),
            Applied::StaleIgnored
        );
        assert_eq!(state.status(), JobStatus::Completed);
        assert_eq!(state.progress(), Some(Progress::DONE));
        assert_eq!(state.images().len(), 5);
        assert_eq!(state.provider_status(), Some("finished"));
        assert_eq!((state.events_applied(), state.events_ignored()), (3, 3));
    }

    #[test]
    fn goapi_webhook_and_get_merge() {
        let p = Provider::Goapi;
        let mut state = JobState::new(&one(p, "unified-pending-webhook"));
        assert_eq!(
            state.apply(&one(p, "unified-processing-webhook")),
            Applied::Advanced
        );
        assert_eq!(
            state.apply(&one(p, "unified-completed-image-urls-get")),
            Applied::Advanced
        );
        // A poll answered before completion but read after it: its status is
        // stale, its newer preview is still gathered.
        assert_eq!(
            state.apply(&one(p, "unified-processing-get")),
            Applied::Merged
        );
        assert_eq!(
            state.apply(&one(p, "unified-completed-image-urls-webhook")),
            Applied::Duplicate
        );
        assert_eq!(state.status(), JobStatus::Completed);
        assert_eq!(state.progress(), Some(Progress::DONE));
        assert_eq!(state.provider_status(), Some("completed"));
        let roles: Vec<_> = state.images().iter().map(|image| image.role).collect();
        assert_eq!(
            roles,
            [
                ImageRole::Grid,
                ImageRole::Image,
                ImageRole::Image,
                ImageRole::Image,
                ImageRole::Image,
                ImageRole::Preview,
                ImageRole::Preview
            ]
        );
    }

    #[test]
    fn imagineapi_webhook_and_get_merge() {
        let p = Provider::Imagineapi;
        let mut state = JobState::new(&one(p, "webhook-create-pending"));
        assert_eq!(
            state.apply(&one(p, "webhook-update-in-progress-progress-15")),
            Applied::Advanced
        );
        assert_eq!(
            state.apply(&one(p, "track-get-completed")),
            Applied::Advanced
        );
        // The webhook says what the poll said.
        assert_eq!(
            state.apply(&one(p, "webhook-update-completed")),
            Applied::Duplicate
        );
        assert_eq!(
            state.apply(&one(p, "quirk-duplicate-delivery-completed")),
            Applied::Duplicate
        );
        assert_eq!(state.status(), JobStatus::Completed);
        assert_eq!(
            state.images().first().map(|image| image.role),
            Some(ImageRole::Grid)
        );
        assert_eq!(
            state.images().last().map(|image| image.role),
            Some(ImageRole::Preview)
        );
        assert_eq!((state.events_applied(), state.events_ignored()), (3, 2));
    }

    #[test]
    fn midjourney_api_job_status_and_webhook_merge() {
        let p = Provider::MidjourneyApi;
        let mut tracker = Tracker::new();
        for event in fixture(p, "job-status-three-records") {
            assert_eq!(tracker.apply(&event), Applied::New);
        }
        let webhook = one(p, "track-webhook-completed");
        assert_eq!(tracker.apply(&webhook), Applied::Advanced);
        assert_eq!(tracker.len(), 3);
        let state = tracker.get(p, "jBabEBPh9UmuyQL8vAOwL");
        assert_eq!(state.map(JobState::status), Some(JobStatus::Completed));
        assert_eq!(state.map(|s| s.images().len()), Some(5));
        assert_eq!(state.map(JobState::provider_status), Some(Some("1")));
        // Polling again after the webhook does not undo it.
        for event in fixture(p, "job-status-three-records") {
            let applied = tracker.apply(&event);
            assert!(
                matches!(applied, Applied::StaleIgnored | Applied::Duplicate),
                "{}: {applied:?}",
                event.job_id
            );
        }
        let state = tracker.get(p, "jBabEBPh9UmuyQL8vAOwL");
        assert_eq!(state.map(JobState::status), Some(JobStatus::Completed));
    }
}
