//! Properties of `JobState::apply` over generated event sequences of one job:
//! idempotence, terminal statuses that win in any order, monotonic progress,
//! each image URL once, and a state that survives JSON.

use std::collections::BTreeSet;

use mjhook::{
    Applied, Image, ImageRole, JobError, JobEvent, JobId, JobState, JobStatus, Operation, Progress,
    Provider, Tracker,
};
use proptest::prelude::*;
use proptest::{collection::vec, option, sample::select};

const URLS: [&str; 6] = [
    "https://example.com/jobs/7/grid.png",
    "https://example.com/jobs/7/0_0.png",
    "https://example.com/jobs/7/0_1.png",
    "https://example.com/jobs/7/progress-30.webp",
    "https://example.com/jobs/7/progress-70.webp",
    "https://example.com/jobs/7/source.jpg",
];
const PROMPTS: [&str; 3] = [
    "a tin robot watering tulips",
    "a tin robot in a greenhouse",
    "tulips and a robot, 1950s poster",
];
const WORDINGS: [&str; 4] = ["queued", "processing", "retry", "done"];
const TIMES: [&str; 3] = [
    "2025-06-01T10:00:00Z",
    "2025-06-01T10:00:30Z",
    "2025-06-01T10:01:00Z",
];

fn non_terminal() -> impl Strategy<Value = JobStatus> {
    select(vec![
        JobStatus::Pending,
        JobStatus::InProgress,
        JobStatus::Unknown,
    ])
}

fn terminal() -> impl Strategy<Value = JobStatus> {
    select(vec![
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ])
}

fn any_status() -> impl Strategy<Value = JobStatus> {
    prop_oneof![2 => non_terminal(), 1 => terminal()]
}

fn role() -> impl Strategy<Value = ImageRole> {
    select(vec![
        ImageRole::Grid,
        ImageRole::Image,
        ImageRole::Preview,
        ImageRole::Input,
    ])
}

fn time() -> impl Strategy<Value = Option<chrono::DateTime<chrono::Utc>>> {
    option::of(select(TIMES.to_vec())).prop_map(|time| time.and_then(|t| t.parse().ok()))
}

/// Events of job `job-7` at GoAPI (or of `job_id` when given) with `status`.
fn event_of(
    job_id: &'static str,
    status: impl Strategy<Value = JobStatus>,
) -> impl Strategy<Value = JobEvent> {
    (
        status,
        option::of(0u8..=100),
        vec((0..URLS.len(), role(), option::of(0u8..4)), 0..4),
        vec(select(PROMPTS.to_vec()), 0..3),
        option::of(select(PROMPTS.to_vec())),
        option::of(select(vec!["imagine", "upscale#2", "variation-strong"])),
        option::of(select(vec!["timeout", "banned prompt"])),
        option::of(select(WORDINGS.to_vec())),
        time(),
        time(),
    )
        .prop_map(
            move |(
                status,
                progress,
                images,
                prompts,
                prompt,
                operation,
                error,
                wording,
                created_at,
                occurred_at,
            )| {
                let mut event = JobEvent::new(Provider::Goapi, JobId::new(job_id), status);
                event.progress = progress.and_then(Progress::new);
                for (url, role, index) in images {
                    let mut image = Image::new(URLS[url], role);
                    image.index = index;
                    event.push_image(image);
                }
                for prompt in prompts {
                    if !event.prompts.iter().any(|seen| seen == prompt) {
                        event.prompts.push(prompt.to_owned());
                    }
                }
                event.prompt = prompt.map(str::to_owned);
                event.operation = operation.and_then(Operation::from_vendor);
                event.error = error
                    .and_then(|message| JobError::from_vendor(Some("E1".into()), Some(message)));
                event.provider_status = wording.map(str::to_owned);
                event.created_at = created_at;
                event.occurred_at = occurred_at;
                event
            },
        )
}

fn event(status: impl Strategy<Value = JobStatus>) -> impl Strategy<Value = JobEvent> {
    event_of("job-7", status)
}

fn events() -> impl Strategy<Value = Vec<JobEvent>> {
    vec(event(any_status()), 1..10)
}

fn fold(events: &[JobEvent]) -> JobState {
    let (first, rest) = events.split_first().expect("sequences are never empty");
    let mut state = JobState::new(first);
    for event in rest {
        assert_ne!(state.apply(event), Applied::OtherJob);
    }
    state
}

/// Later terminal statuses beat earlier ones in this order.
fn precedence(status: JobStatus) -> u8 {
    match status {
        JobStatus::Completed => 3,
        JobStatus::Failed => 2,
        JobStatus::Cancelled => 1,
        _ => 0,
    }
}

fn rank(status: JobStatus) -> u8 {
    match status {
        JobStatus::Unknown => 0,
        JobStatus::Pending => 1,
        JobStatus::InProgress => 2,
        _ => 3 + precedence(status),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn applying_an_event_twice_equals_applying_it_once(
        events in events(),
        pick in any::<prop::sample::Index>(),
    ) {
        let at = pick.index(events.len());
        let mut once = fold(&events[..=at]);
        let mut twice = once.clone();
        let again = twice.apply(&events[at]);
        prop_assert!(
            matches!(
                again,
                Applied::Duplicate | Applied::StaleIgnored | Applied::ConflictingTerminal { .. }
            ),
            "{:?}",
            again
        );
        prop_assert_eq!(twice.to_event(), once.to_event());
        prop_assert_eq!(twice.events_applied(), once.events_applied());
        prop_assert_eq!(twice.events_ignored(), once.events_ignored() + 1);

        // And the rest of the sequence folds the same way after it.
        for event in &events[at + 1..] {
            prop_assert_eq!(once.apply(event), twice.apply(event));
        }
        prop_assert_eq!(twice.to_event(), once.to_event());
    }

    #[test]
    fn every_delivery_twice_gives_the_same_job(events in events()) {
        let doubled: Vec<JobEvent> = events
            .iter()
            .flat_map(|event| [event.clone(), event.clone()])
            .collect();
        let once = fold(&events);
        let twice = fold(&doubled);
        prop_assert_eq!(twice.to_event(), once.to_event());
        prop_assert_eq!(twice.events_applied(), once.events_applied());
        prop_assert_eq!(
            twice.events_applied() + twice.events_ignored(),
            doubled.len() as u64
        );
    }

    #[test]
    fn the_one_terminal_status_wins_in_any_order(
        events in (vec(event(non_terminal()), 0..8), event(terminal()))
            .prop_flat_map(|(mut events, last)| {
                events.push(last);
                Just(events).prop_shuffle()
            })
    ) {
        let terminal = events
            .iter()
            .map(|event| event.status)
            .find(|status| status.is_terminal());
        let state = fold(&events);
        prop_assert_eq!(Some(state.status()), terminal);
    }

    #[test]
    fn several_terminal_statuses_end_in_the_strongest_in_any_order(
        events in (vec(event(any_status()), 0..6), vec(event(terminal()), 2..4))
            .prop_flat_map(|(mut events, terminals)| {
                events.extend(terminals);
                Just(events).prop_shuffle()
            })
    ) {
        let strongest = events
            .iter()
            .map(|event| event.status)
            .max_by_key(|status| precedence(*status));
        let state = fold(&events);
        prop_assert_eq!(Some(state.status()), strongest);
        if state.status() == JobStatus::Completed {
            prop_assert_eq!(state.error(), None);
        }
    }

    #[test]
    fn status_never_moves_back(events in events()) {
        let mut state = JobState::new(&events[0]);
        for event in &events[1..] {
            let before = state.status();
            let applied = state.apply(event);
            prop_assert!(rank(state.status()) >= rank(before));
            if before.is_terminal() {
                prop_assert!(state.is_terminal());
            }
            if state.status() != before {
                let conflict = matches!(applied, Applied::ConflictingTerminal { .. });
                prop_assert!(applied == Applied::Advanced || conflict, "{:?}", applied);
            }
        }
    }

    #[test]
    fn progress_is_the_highest_seen(events in events()) {
        let state = fold(&events);
        let expected = if events.iter().any(|event| event.status == JobStatus::Completed) {
            Some(Progress::DONE)
        } else {
            events.iter().filter_map(|event| event.progress).max()
        };
        prop_assert_eq!(state.progress(), expected);
    }

    #[test]
    fn progress_never_moves_back(events in events()) {
        let mut state = JobState::new(&events[0]);
        for event in &events[1..] {
            let before = state.progress();
            state.apply(event);
            prop_assert!(state.progress() >= before);
        }
    }

    #[test]
    fn every_image_url_appears_once_finals_first(events in events()) {
        let state = fold(&events);
        let seen: BTreeSet<&str> = events
            .iter()
            .flat_map(|event| event.images.iter().map(|image| image.url.as_str()))
            .collect();
        let kept: Vec<&str> = state.images().iter().map(|image| image.url.as_str()).collect();
        prop_assert_eq!(kept.len(), seen.len(), "{:?}", kept);
        prop_assert_eq!(kept.iter().copied().collect::<BTreeSet<_>>(), seen);

        let first_preview = state
            .images()
            .iter()
            .position(|image| image.role == ImageRole::Preview)
            .unwrap_or(state.images().len());
        prop_assert!(state.images()[first_preview..]
            .iter()
            .all(|image| image.role == ImageRole::Preview));
        // A URL any event called final is final in the state.
        for image in state.images() {
            let ever_final = events
                .iter()
                .flat_map(|event| &event.images)
                .any(|seen| seen.url == image.url && seen.role != ImageRole::Preview);
            prop_assert_eq!(image.role != ImageRole::Preview, ever_final);
        }
    }

    #[test]
    fn every_prompt_text_appears_once(events in events()) {
        let state = fold(&events);
        let seen: BTreeSet<&str> = events
            .iter()
            .flat_map(|event| event.prompts.iter().map(String::as_str))
            .collect();
        prop_assert_eq!(state.prompts().len(), seen.len());
        prop_assert_eq!(
            state.prompts().iter().map(String::as_str).collect::<BTreeSet<_>>(),
            seen
        );
    }

    #[test]
    fn the_state_round_trips_through_json(events in events()) {
        let state = fold(&events);
        let json = serde_json::to_string(&state).unwrap();
        let back: JobState = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &state);
        // A restored state carries on folding exactly like the original.
        let (mut original, mut restored) = (state, back);
        for event in &events {
            prop_assert_eq!(original.apply(event), restored.apply(event));
        }
        prop_assert_eq!(original, restored);
    }

    #[test]
    fn a_tracker_folds_interleaved_jobs_like_separate_states(
        a in vec(event_of("job-a", any_status()), 1..6),
        b in vec(event_of("job-b", any_status()), 1..6),
        choices in vec(any::<bool>(), 12),
    ) {
        let (mut from_a, mut from_b) = (a.iter(), b.iter());
        let mut interleaved = Vec::new();
        for take_a in choices.iter().chain(std::iter::repeat_n(&true, 12)) {
            let next = if *take_a { from_a.next().or_else(|| from_b.next()) } else { from_b.next().or_else(|| from_a.next()) };
            match next {
                Some(event) => interleaved.push(event),
                None => break,
            }
        }
        let mut tracker = Tracker::new();
        for event in &interleaved {
            tracker.apply(event);
        }
        prop_assert_eq!(tracker.len(), 2);
        prop_assert_eq!(tracker.get(Provider::Goapi, "job-a"), Some(&fold(&a)));
        prop_assert_eq!(tracker.get(Provider::Goapi, "job-b"), Some(&fold(&b)));
        let first = tracker.iter().next().map(|state| state.job_id().as_str().to_owned());
        prop_assert_eq!(first, interleaved.first().map(|event| event.job_id.to_string()));
    }
}
