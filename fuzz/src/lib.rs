//! The invariants the fuzz targets assert, shared so that each target stays a
//! few lines. A failed assertion is a crash: libFuzzer saves and minimizes the
//! input exactly as it does for a panic inside mjhook.

use mjhook::{DecodeError, JobEvent, JobStatus, Provider};

/// What the canonical model promises about every decoded event (DESIGN.md,
/// "The canonical model").
pub fn check_event(event: &JobEvent) {
    if let Some(progress) = event.progress {
        assert!(progress.get() <= 100, "progress {progress} is over 100");
    }
    if event.status == JobStatus::Completed {
        assert!(event.progress.is_some(), "a completed job has no progress");
    }
    for (n, image) in event.images.iter().enumerate() {
        assert!(!image.url.is_empty(), "images[{n}] has an empty URL");
        assert!(
            !event.images[..n].iter().any(|seen| seen.url == image.url),
            "images[{n}] repeats the URL {:?}",
            image.url
        );
        if let Some(index) = image.index {
            assert!(index < 4, "images[{n}] has grid index {index}");
        }
    }
    for prompt in &event.prompts {
        assert!(
            !prompt.is_empty() && prompt.trim() == prompt,
            "prompt {prompt:?} is empty or not trimmed"
        );
    }
    if let Some(error) = &event.error {
        assert!(
            !error.message.trim().is_empty(),
            "an error with an empty message"
        );
    }
}

/// Checks one body's results: `one` from a single-event entry point (`decode`,
/// `decode_auto`), `all` from `decode_all` on the same bytes, as `provider`.
///
/// `decode` is `decode_all`'s only event, `SeveralJobs` when there are more,
/// and the same error when `decode_all` fails. `decode_all` never succeeds
/// with no event, and every event is the provider's and keeps the model's
/// promises.
pub fn check_results(
    provider: Provider,
    one: &Result<JobEvent, DecodeError>,
    all: &Result<Vec<JobEvent>, DecodeError>,
) {
    match (one, all) {
        (Ok(event), Ok(events)) => assert_eq!(events, std::slice::from_ref(event)),
        (Err(DecodeError::SeveralJobs { count, .. }), Ok(events)) => {
            assert!(
                *count >= 2 && *count == events.len(),
                "SeveralJobs {count} for {} events",
                events.len()
            );
        }
        (Err(error), Err(same)) => assert_eq!(error, same),
        _ => panic!("the single-event result {one:?} disagrees with decode_all's {all:?}"),
    }
    for event in all.iter().flatten() {
        assert_eq!(
            event.provider, provider,
            "decoded as {provider}, labelled {}",
            event.provider
        );
        check_event(event);
    }
}

/// The body of every `decode_<provider>` target: the provider module's
/// `decode` and `decode_all`, each twice (the same bytes give the same
/// result), and [`check_results`].
pub fn check_provider(
    provider: Provider,
    bytes: &[u8],
    decode: fn(&[u8]) -> Result<JobEvent, DecodeError>,
    decode_all: fn(&[u8]) -> Result<Vec<JobEvent>, DecodeError>,
) {
    let one = decode(bytes);
    let all = decode_all(bytes);
    assert_eq!(
        one,
        decode(bytes),
        "decode gave two results for the same bytes"
    );
    assert_eq!(
        all,
        decode_all(bytes),
        "decode_all gave two results for the same bytes"
    );
    assert_eq!(
        one,
        mjhook::decode(provider, bytes),
        "the module's decode differs from mjhook::decode"
    );
    check_results(provider, &one, &all);
}

/// An event serializes to JSON that deserializes to an equal event, and
/// serializing that again gives the same bytes.
pub fn check_round_trip(event: &JobEvent) {
    let json = serde_json::to_string(event).expect("a JobEvent always serializes");
    let back: JobEvent = serde_json::from_str(&json)
        .unwrap_or_else(|error| panic!("{json} does not deserialize: {error}"));
    assert_eq!(&back, event, "{json} deserializes to a different event");
    let again = serde_json::to_string(&back).expect("a JobEvent always serializes");
    assert_eq!(again, json, "serializing the deserialized event changed it");
}
