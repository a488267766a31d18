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

use std::collections::{HashMap, HashSet};

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
/// in place of `occurred_at`) plus `events_applied` and `events_ignored`.
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
}

impl JobState {
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

    /// Gathers an event's images: each URL once, final images ahead of
    /// previews (each group in the order first seen), a preview seen again
    /// as a final image promoted, a missing index or size filled in from a
    /// later sighting. Linear in the number of images (plus a sort), so a
    /// body listing many URLs cannot make folding quadratic.
    fn gather_images(&mut self, incoming: &[Image]) -> bool {
        let mut changed = false;
        let mut position: HashMap<String, usize> = self
            .images
            .iter()
            .enumerate()
            .map(|(at, image)| (image.url.clone(), at))
            .collect();
        for image in incoming.iter().filter(|image| !image.url.is_empty()) {
            let Some(seen) = position
                .get(&image.url)
                .and_then(|at| self.images.get_mut(*at))
            else {
                position.insert(image.url.clone(), self.images.len());
                self.images.push(image.clone());
                changed = true;
                continue;
            };
            if seen.role == ImageRole::Preview && image.role != ImageRole::Preview {
                let mut promoted = image.clone();
                fill_in(&mut promoted, seen);
                *seen = promoted;
                changed = true;
            } else {
                changed |= fill_in(seen, image);
            }
        }
        if changed {
            // Stable: finals keep their order, and so do previews.
            self.images
                .sort_by_key(|image| image.role == ImageRole::Preview);
        }
        changed
    }

    /// Gathers an event's prompts, each once, in the order first seen.
    fn gather_prompts(&mut self, incoming: &[String]) -> bool {
        let mut known: HashSet<&str> = self.prompts.iter().map(String::as_str).collect();
        let fresh: Vec<String> = incoming
            .iter()
            .filter(|prompt| !prompt.is_empty() && known.insert(prompt.as_str()))
            .cloned()
            .collect();
        let changed = !fresh.is_empty();
        self.prompts.extend(fresh);
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
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    states: Vec<JobState>,
    positions: HashMap<Provider, HashMap<String, usize>>,
}

impl Tracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Tracker::default()
    }

    /// Folds `event` into its job's state, making the state
    /// ([`Applied::New`]) when the job is new.
    pub fn apply(&mut self, event: &JobEvent) -> Applied {
        let known = self.position(event.provider, event.job_id.as_str());
        if let Some(state) = known.and_then(|at| self.states.get_mut(at)) {
            return state.apply(event);
        }
        self.positions
            .entry(event.provider)
            .or_default()
            .insert(event.job_id.as_str().to_owned(), self.states.len());
        self.states.push(JobState::new(event));
        Applied::New
    }

    /// The state of a job, if any of its events was applied.
    pub fn get(&self, provider: Provider, job_id: &str) -> Option<&JobState> {
        self.position(provider, job_id)
            .and_then(|at| self.states.get(at))
    }

    /// The states, in order of each job's first event.
    pub fn iter(&self) -> std::slice::Iter<'_, JobState> {
        self.states.iter()
    }

    /// How many jobs are tracked.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether no event was applied yet.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    fn position(&self, provider: Provider, job_id: &str) -> Option<usize> {
        self.positions.get(&provider)?.get(job_id).copied()
    }
}

impl<'a> IntoIterator for &'a Tracker {
    type Item = &'a JobState;
    type IntoIter = std::slice::Iter<'a, JobState>;

    fn into_iter(self) -> Self::IntoIter {
        self.states.iter()
    }
}

/// The states, in order of each job's first event.
impl IntoIterator for Tracker {
    type Item = JobState;
    type IntoIter = std::vec::IntoIter<JobState>;

    fn into_iter(self) -> Self::IntoIter {
        self.states.into_iter()
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
        event.error = JobError::from_vendor(None, Some(message.to_owned()));
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
        running.error = JobError::from_vendor(None, Some("retrying".into()));
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
