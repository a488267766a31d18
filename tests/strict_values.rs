//! Values the canonical model cannot hold are refused, and numbers are read
//! the same by the library, the binary and the tests.

use mjhook::{decode, Provider};

fn refused(provider: Provider, body: &str) -> String {
    match decode(provider, body.as_bytes()) {
        Ok(event) => panic!("{body}: decoded to {event:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn timestamps_rfc_3339_cannot_write_are_errors_naming_the_field() {
    let asyncapi = |stamp: &str| {
        format!(
            r#"{{"event": "job.progress", "job_id": "j", "status": "pending", "timestamp": {stamp}}}"#
        )
    };
    for (body, says) in [
        (
            asyncapi(r#""9999-12-31T23:59:59-01:00""#),
            "the year 10000 in UTC",
        ),
        (asyncapi(r#""2024-05-01T12:34:60Z""#), "leap second"),
        (asyncapi("8210266876799999"), "the year 262142 in UTC"),
    ] {
        let error = refused(Provider::Asyncapi, &body);
        assert!(
            error.contains("timestamp") && error.contains(says),
            "{body}: {error}"
        );
    }
    let error = refused(
        Provider::MidjourneyApi,
        r#"{"status": 0, "data": {"taskId": "t", "status": 1, "createdAt": 8210266876799999}}"#,
    );
    assert!(
        error.contains("data.createdAt") && error.contains("262142"),
        "{error}"
    );
    let error = refused(
        Provider::Imagineapi,
        r#"{"event": "images.items.create", "payload": {"id": "i", "status": "pending", "date_created": "0000-01-01T00:00:00+00:01"}}"#,
    );
    assert!(
        error.contains("payload.date_created") && error.contains("the year -1"),
        "{error}"
    );
    // The edges still decode.
    let edge = decode(
        Provider::Asyncapi,
        asyncapi(r#""9999-12-31T23:59:59.999Z""#).as_bytes(),
    );
    assert!(edge.is_ok(), "{edge:?}");
}

#[test]
fn white_space_urls_are_no_images() {
    for (provider, body) in [
        (
            Provider::Apiframe,
            r#"{"task_id": "t", "status": "finished", "original_image_url": " ", "image_urls": ["\t", "https://example.com/1.png", " "]}"#,
        ),
        (
            Provider::Goapi,
            r#"{"task_id": "t", "status": "completed", "output": {"image_url": " ", "image_urls": [" ", "https://example.com/1.png"], "temporary_image_urls": ["\n"]}, "meta": {}, "error": {"code": 0, "message": ""}}"#,
        ),
        (
            Provider::Imagineapi,
            r#"{"data": {"id": "i", "status": "completed", "url": "\t", "upscaled_urls": [" ", "https://example.com/1.png"]}}"#,
        ),
        (
            Provider::MidjourneyApi,
            r#"{"taskId": "t", "status": 1, "image": " ", "images": ["\t", "https://example.com/1.png", {"url": " "}]}"#,
        ),
    ] {
        let event =
            decode(provider, body.as_bytes()).unwrap_or_else(|error| panic!("{body}: {error}"));
        let urls: Vec<_> = event
            .images
            .iter()
            .map(|image| image.url.as_str())
            .collect();
        assert_eq!(urls, ["https://example.com/1.png"], "{provider}: {body}");
    }
}

/// `100.00000000000001` is nearer to a double above 100 than to 100, so it
/// is above 100 and refused; `100.000000000000001` is nearer to 100 and is
/// 100. With serde_json's fast (not round-trip) float parser the first read
/// as 100 in the binary while the tests, built with `float_roundtrip`,
/// refused it.
const ABOVE_100: &str =
    r#"{"task_id": "t", "status": "processing", "percentage": 100.00000000000001}"#;
const AT_100: &str =
    r#"{"task_id": "t", "status": "processing", "percentage": 100.000000000000001}"#;

#[test]
fn progress_is_judged_by_the_number_s_value() {
    let error = decode(Provider::Apiframe, ABOVE_100.as_bytes()).unwrap_err();
    let error = error.to_string();
    assert!(
        error.contains("percentage") && error.contains("100.00000000000001"),
        "{error}"
    );
    let event = decode(Provider::Apiframe, AT_100.as_bytes()).unwrap();
    assert_eq!(event.progress.map(|p| p.get()), Some(100));
}

#[cfg(feature = "cli")]
#[test]
fn the_binary_reads_numbers_as_the_library_does() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    for (body, decodes) in [(ABOVE_100, false), (AT_100, true)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mjhook"))
            .args(["normalize", "--provider", "apiframe", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mjhook runs");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(body.as_bytes())
            .expect("mjhook reads stdin");
        let output = child.wait_with_output().expect("mjhook finishes");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.success(), decodes, "{body}: {stderr}");
        if !decodes {
            assert!(stderr.contains("percentage"), "{stderr}");
        }
    }
}
