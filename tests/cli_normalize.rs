//! The `normalize`, `detect`, `schema`, `completions` and `man` commands, run
//! as a user would.
#![cfg(feature = "cli")]

use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use predicates::prelude::*;

fn mjhook() -> Command {
    let mut command = cargo_bin_cmd!("mjhook");
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn lines(stdout: &[u8]) -> Vec<String> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn normalize_prints_one_compact_event_per_line() {
    let output = mjhook()
        .args([
            "normalize",
            "fixtures/apiframe/webhook-pending-imagine.json",
            "fixtures/apiframe/fetch-many-three-tasks.json",
        ])
        .assert()
        .code(0)
        .stderr("")
        .get_output()
        .clone();
    let lines = lines(&output.stdout);
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
    let body = r#"{"taskId": "abc", "status": 1, "images": ["https://example.com/0.png"]}"#;
    mjhook()
        .args(["normalize", "--pretty", "-"])
        .write_stdin(body)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "\n  \"provider\": \"midjourney_api\"",
        ));
}

#[test]
fn a_rejected_input_exits_1_and_names_file_provider_path_and_position() {
    let mut stderr = predicate::str::contains("apiframe__percentage-out-of-range.json").boxed();
    for part in ["apiframe:", "`percentage`", "line 5", "found 150"] {
        stderr = stderr.and(predicate::str::contains(part)).boxed();
    }
    mjhook()
        .args([
            "normalize",
            "--provider",
            "apiframe",
            "fixtures/bad/apiframe__percentage-out-of-range.json",
        ])
        .assert()
        .code(1)
        .stdout("")
        .stderr(stderr);
}

#[test]
fn good_files_still_print_when_another_is_rejected() {
    let output = mjhook()
        .args([
            "normalize",
            "fixtures/bad/auto__truncated-json.json",
            "fixtures/goapi/v2-pending.json",
        ])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("auto__truncated-json.json")
                .and(predicate::str::contains("line")),
        )
        .get_output()
        .clone();
    assert_eq!(lines(&output.stdout).len(), 1);
}

#[test]
fn usage_errors_exit_2() {
    mjhook()
        .args(["normalize", "--provider", "discord", "-"])
        .write_stdin("{}")
        .assert()
        .code(2);
    mjhook().arg("frobnicate").assert().code(2);
    // More than a pipe holds, so the write always meets the closed pipe of a
    // command that gave up before reading its input.
    mjhook()
        .args(["normalize", "--provider", "discord", "-"])
        .write_stdin(vec![b' '; 1 << 20])
        .assert()
        .code(2);
}

#[test]
fn an_unknown_provider_is_named_with_the_known_ones() {
    let mut known = predicate::str::contains("discord").boxed();
    for provider in mjhook::Provider::ALL {
        known = known
            .and(predicate::str::contains(provider.as_str()))
            .boxed();
    }
    mjhook()
        .args(["normalize", "--provider", "discord"])
        .assert()
        .code(2)
        .stderr(known);
    // The library's spelling rules hold on the command line too.
    mjhook()
        .args(["normalize", "--provider", "Midjourney-API", "-"])
        .write_stdin(r#"{"taskId": "abc", "status": 1}"#)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(r#""provider":"midjourney_api""#));
}

#[test]
fn help_lists_every_provider_and_examples() {
    for command in ["normalize", "detect", "track", "verify"] {
        let mut help = predicate::str::contains("Examples:").boxed();
        for provider in mjhook::Provider::ALL {
            help = help
                .and(predicate::str::contains(provider.as_str()))
                .boxed();
        }
        mjhook()
            .args([command, "--help"])
            .assert()
            .code(0)
            .stdout(help);
    }
    mjhook()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Examples:").and(predicate::str::contains("NDJSON")));
}

#[test]
fn detect_names_the_provider_and_prefixes_files_when_there_are_several() {
    let one = mjhook()
        .args(["detect", "fixtures/imagineapi/webhook-create-pending.json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_eq!(lines(&one.stdout), ["imagineapi"]);
    let several = mjhook()
        .args([
            "detect",
            "fixtures/goapi/v2-pending.json",
            "fixtures/bad/auto__unknown-shape.json",
            "fixtures/asyncapi/webhook-cancelled.json",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(
        lines(&several.stdout),
        [
            "fixtures/goapi/v2-pending.json: goapi",
            "fixtures/asyncapi/webhook-cancelled.json: asyncapi"
        ]
    );
}

#[test]
fn schema_prints_a_json_schema() {
    let output = mjhook().arg("schema").assert().code(0).get_output().clone();
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["title"], "JobEvent");
    assert!(schema["properties"]["provider"].is_object());
}

#[test]
fn bash_completions_offer_the_commands_and_providers() {
    mjhook()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stderr("")
        .stdout(
            predicate::str::contains("_mjhook()")
                .and(predicate::str::contains("complete -F _mjhook"))
                .and(predicate::str::contains("normalize"))
                .and(predicate::str::contains("midjourney_api")),
        );
    mjhook().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_prints_roff_pages() {
    let page = mjhook()
        .arg("man")
        .assert()
        .code(0)
        .stderr("")
        .get_output()
        .clone();
    let roff = String::from_utf8(page.stdout).unwrap();
    assert!(roff.starts_with(".ie \\n(.g .ds Aq"), "{roff}");
    for part in [
        ".TH mjhook 1",
        ".SH NAME",
        ".SH SYNOPSIS",
        "normalize",
        "completions",
    ] {
        assert!(roff.contains(part), "{part} missing from {roff}");
    }
    mjhook().args(["man", "normalize"]).assert().code(0).stdout(
        predicate::str::contains(concat!(
            ".TH mjhook-normalize 1  \"mjhook ",
            env!("CARGO_PKG_VERSION"),
            "\""
        ))
        .and(predicate::str::contains("with\\-source"))
        .and(predicate::str::contains("goapi")),
    );
    mjhook()
        .args(["man", "frobnicate"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no command \"frobnicate\""));
}
