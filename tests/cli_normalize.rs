//! The `normalize`, `detect` and `schema` commands, run as a user would.
#![cfg(feature = "cli")]

use std::io::{ErrorKind, Write};
use std::process::{Command, Output, Stdio};

fn mjhook(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A usage error exits before reading stdin, so the pipe may already be
    // closed; what the command printed is what the test checks.
    if let Err(error) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(
            error.kind(),
            ErrorKind::BrokenPipe,
            "cannot write stdin: {error}"
        );
    }
    child.wait_with_output().unwrap()
}

fn lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn normalize_prints_one_compact_event_per_line() {
    let output = mjhook(
        &[
            "normalize",
            "fixtures/apiframe/webhook-pending-imagine.json",
            "fixtures/apiframe/fetch-many-three-tasks.json",
        ],
        b"",
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = lines(&output);
    assert_eq!(lines.len(), 4, "one event, then the batch's three");
    for line in &lines {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["provider"], "apiframe");
        // The contract's field order, compactly.
        assert!(
            line.starts_with(r#"{"provider":"apiframe","job_id":"#),
            "{line}"
        );
    }
}

#[test]
fn normalize_reads_stdin_and_pretty_prints() {
    let body = br#"{"taskId": "abc", "status": 1, "images": ["https://example.com/0.png"]}"#;
    let output = mjhook(&["normalize", "--pretty", "-"], body);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("\n  \"provider\": \"midjourney_api\""),
        "{text}"
    );
}

#[test]
fn a_rejected_input_exits_1_and_names_file_provider_path_and_position() {
    let output = mjhook(
        &[
            "normalize",
            "--provider",
            "apiframe",
            "fixtures/bad/apiframe__percentage-out-of-range.json",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    for part in [
        "apiframe__percentage-out-of-range.json",
        "apiframe:",
        "`percentage`",
        "line 5",
        "found 150",
    ] {
        assert!(stderr.contains(part), "{part} missing from {stderr}");
    }
    assert!(output.stdout.is_empty());
}

#[test]
fn good_files_still_print_when_another_is_rejected() {
    let output = mjhook(
        &[
            "normalize",
            "fixtures/bad/auto__truncated-json.json",
            "fixtures/goapi/v2-pending.json",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(lines(&output).len(), 1);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("auto__truncated-json.json") && stderr.contains("line"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(mjhook(&["normalize"], b"").status.code(), Some(2));
    assert_eq!(
        mjhook(&["normalize", "--provider", "discord", "-"], b"{}")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(mjhook(&["frobnicate"], b"").status.code(), Some(2));
    // More than a pipe holds, so the write always meets the closed pipe of a
    // command that gave up before reading its input.
    let unread = vec![b' '; 1 << 20];
    assert_eq!(
        mjhook(&["normalize", "--provider", "discord", "-"], &unread)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn detect_names_the_provider_and_prefixes_files_when_there_are_several() {
    let one = mjhook(
        &["detect", "fixtures/imagineapi/webhook-create-pending.json"],
        b"",
    );
    assert_eq!(lines(&one), ["imagineapi"]);
    let several = mjhook(
        &[
            "detect",
            "fixtures/goapi/v2-pending.json",
            "fixtures/bad/auto__unknown-shape.json",
            "fixtures/asyncapi/webhook-cancelled.json",
        ],
        b"",
    );
    assert_eq!(several.status.code(), Some(1));
    assert_eq!(
        lines(&several),
        [
            "fixtures/goapi/v2-pending.json: goapi",
            "fixtures/asyncapi/webhook-cancelled.json: asyncapi"
        ]
    );
}

#[test]
fn schema_prints_a_json_schema() {
    let output = mjhook(&["schema"], b"");
    assert_eq!(output.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["title"], "JobEvent");
    assert!(schema["properties"]["provider"].is_object());
}
