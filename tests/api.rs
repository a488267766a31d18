//! Promises of the public API that a fresh crate relies on: thread-safety
//! for async handlers, forward-compatible stored events, status parsing and
//! the re-exported crates.

use mjhook::verify::{secret_header, HeaderSource};
use mjhook::{
    DecodeError, JobEvent, JobId, JobState, JobStatus, Provider, ReceiveError, Request, Secret,
    Tracker, UnknownStatus, Verifier, VerifyError,
};

fn assert_send_sync<T: Send + Sync>() {}

fn assert_send<T: Send>(_: T) {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<Request<'static>>();
    assert_send_sync::<Verifier>();
    assert_send_sync::<Secret>();
    assert_send_sync::<JobEvent>();
    assert_send_sync::<JobState>();
    assert_send_sync::<Tracker>();
    assert_send_sync::<DecodeError>();
    assert_send_sync::<VerifyError>();
    assert_send_sync::<ReceiveError>();
    assert_send_sync::<UnknownStatus>();
}

/// Something an async handler awaits while it holds the request.
async fn elsewhere() {}

async fn receive<H: HeaderSource + Sync>(verifier: &Verifier, body: &[u8], headers: &H) -> bool {
    let request = Request::new(body).headers(headers);
    elsewhere().await;
    verifier.verify_and_decode(&request).is_ok()
}

#[test]
fn a_request_can_be_held_across_an_await_in_a_send_future() {
    let verifier = Verifier::new(Provider::Goapi).secret("s3cret");
    let headers = vec![secret_header("s3cret")];
    let body = br#"{"task_id": "t-1", "status": "processing"}"#;
    assert_send(receive(&verifier, body, &headers));
    let map: std::collections::HashMap<String, String> =
        [("x-webhook-secret".to_owned(), "s3cret".to_owned())].into();
    assert_send(receive(&verifier, body, &map));
}

#[cfg(feature = "http")]
#[test]
fn a_request_with_an_http_header_map_can_be_held_across_an_await() {
    let verifier = Verifier::new(Provider::Goapi).secret("s3cret");
    let mut headers = http::HeaderMap::new();
    headers.insert("x-webhook-secret", http::HeaderValue::from_static("s3cret"));
    assert_send(receive(&verifier, b"{}", &headers));
}

#[test]
fn a_stored_event_with_a_status_this_version_does_not_know_reads_as_unknown() {
    let mut event = JobEvent::new(Provider::Goapi, JobId::new("t-1"), JobStatus::InProgress);
    event.provider_status = Some("paused".into());
    let mut stored = serde_json::to_value(&event).unwrap();
    // What a later version might have written.
    stored["status"] = "paused".into();
    let read: JobEvent = serde_json::from_value(stored).unwrap();
    assert_eq!(read.status, JobStatus::Unknown);
    assert_eq!(read.provider_status.as_deref(), Some("paused"));
    // Everything else survives, and it writes back as `unknown`.
    let mut back = read.clone();
    back.status = JobStatus::InProgress;
    assert_eq!(back, event);
    assert_eq!(serde_json::to_value(&read).unwrap()["status"], "unknown");

    // A stored job state too.
    let state = JobState::new(&event);
    let mut stored = serde_json::to_value(&state).unwrap();
    stored["status"] = "archived".into();
    let read: JobState = serde_json::from_value(stored).unwrap();
    assert_eq!(read.status(), JobStatus::Unknown);
}

#[test]
fn job_status_parses_its_canonical_spellings() {
    for status in JobStatus::ALL {
        assert_eq!(status.to_string().parse::<JobStatus>(), Ok(status));
    }
    let error = "finished".parse::<JobStatus>().unwrap_err();
    assert_eq!(error.word(), "finished");
    assert!(error.to_string().contains("in_progress"), "{error}");
}

#[test]
fn chrono_and_uuid_are_re_exported() {
    let at: mjhook::chrono::DateTime<mjhook::chrono::Utc> = "2024-05-01T12:00:00Z".parse().unwrap();
    let mut event = JobEvent::new(
        Provider::Asyncapi,
        JobId::new("3f2b8c1e-6d4a-4b7e-9a51-2c8e0f7d1a93"),
        JobStatus::Pending,
    );
    event.occurred_at = Some(at);
    let id: Option<mjhook::uuid::Uuid> = event.job_id.as_uuid();
    assert!(id.is_some());
}
