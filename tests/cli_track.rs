#![cfg(feature = "cli")]
//! `mjhook track` over fixture sequences: what a service would see after
//! receiving those deliveries in that order.

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

fn track(args: &[&str], fixtures: &[&str]) -> Output {
    cargo_bin_cmd!("mjhook")
        .arg("track")
        .args(args)
        .args(fixtures.iter().map(|path| fixture(path)))
        .output()
        .expect("the mjhook binary runs")
}

/// The job lines of a run that must succeed.
fn jobs(fixtures: &[&str]) -> Vec<Value> {
    let output = track(&[], fixtures);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    lines(&output)
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON value per line"))
        .collect()
}

fn urls(job: &Value) -> Vec<(&str, &str)> {
    job["images"]
        .as_array()
        .expect("images is a list")
        .iter()
        .map(|image| {
            (
                image["url"].as_str().unwrap_or_default(),
                image["role"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn each_line_holds_the_folded_state() {
    let jobs = jobs(&["asyncapi/webhook-progress-in-progress.json"]);
    assert_eq!(jobs.len(), 1);
    let job = jobs[0].as_object().expect("an object");
    for key in [
        "provider",
        "job_id",
        "status",
        "progress",
        "operation",
        "prompt",
        "images",
        "prompts",
        "error",
        "created_at",
        "last_occurred_at",
        "provider_status",
        "events_applied",
        "events_ignored",
    ] {
        assert!(job.contains_key(key), "missing {key}: {job:?}");
    }
    assert_eq!(job["provider"], "asyncapi");
    assert_eq!(job["status"], "in_progress");
    assert_eq!(job["progress"], 45);
}

#[test]
fn late_progress_after_completion_is_ignored() {
    let jobs = jobs(&[
        "imagineapi/webhook-create-pending.json",
        "imagineapi/webhook-update-in-progress-progress-15.json",
        "imagineapi/quirk-in-progress-progress-numeric-string.json",
        "imagineapi/webhook-update-completed.json",
        "imagineapi/quirk-late-in-progress-after-completed.json",
    ]);
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job["job_id"], "638be8fd-ac77-4d2c-8541-0c51215d4d04");
    assert_eq!(job["status"], "completed");
    assert_eq!(job["progress"], 100);
    assert_eq!(job["provider_status"], "completed");
    assert_eq!(
        job["prompt"],
        "a ginger cat astronaut floating in a space station, cozy lighting --ar 1:1"
    );
    assert_eq!(job["created_at"], "2025-02-10T14:03:27.815Z");
    assert_eq!(
        (&job["events_applied"], &job["events_ignored"]),
        (&4.into(), &1.into())
    );
    // The grid and its four quarters, then the two previews seen on the way.
    let roles: Vec<&str> = urls(job).into_iter().map(|(_, role)| role).collect();
    assert_eq!(
        roles,
        ["grid", "image", "image", "image", "image", "preview", "preview"]
    );
}

#[test]
fn late_progress_first_seen_after_completion_keeps_its_preview_last() {
    let jobs = jobs(&[
        "imagineapi/webhook-update-completed.json",
        "imagineapi/quirk-late-in-progress-after-completed.json",
    ]);
    let job = &jobs[0];
    assert_eq!(job["status"], "completed");
    assert_eq!(job["progress"], 100);
    let images = urls(job);
    assert_eq!(images.first().map(|(_, role)| *role), Some("grid"));
    assert_eq!(images.last().map(|(_, role)| *role), Some("preview"));
}

#[test]
fn duplicate_completion_counts_once() {
    let jobs = jobs(&[
        "imagineapi/webhook-update-completed.json",
        "imagineapi/quirk-duplicate-delivery-completed.json",
    ]);
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job["status"], "completed");
    assert_eq!(job["events_applied"], 1);
    assert_eq!(job["events_ignored"], 1);
    assert_eq!(urls(job).len(), 5);
}

#[test]
fn interleaved_jobs_print_in_order_of_first_appearance() {
    let jobs = jobs(&[
        "goapi/unified-pending-webhook.json",
        "asyncapi/webhook-progress-pending.json",
        "goapi/unified-processing-get.json",
        "asyncapi/webhook-progress-in-progress.json",
        "asyncapi/webhook-completed-imagine.json",
        "goapi/unified-completed-image-urls-webhook.json",
        "goapi/unified-processing-webhook.json",
    ]);
    let order: Vec<(&str, &str, &str)> = jobs
        .iter()
        .map(|job| {
            (
                job["provider"].as_str().unwrap_or_default(),
                job["job_id"].as_str().unwrap_or_default(),
                job["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("goapi", "f4deee89-c042-4c79-a44f-66690a44e0d4", "completed"),
            (
                "asyncapi",
                "4a8577df-e77e-41e1-893d-5dd9d3a9eaf7",
                "completed"
            ),
        ]
    );
    assert_eq!(jobs[0]["progress"], 100);
    assert_eq!(jobs[1]["operation"], "imagine");
    assert_eq!(
        jobs[1]["prompt"],
        "a lighthouse at dusk, watercolor --ar 3:2"
    );
}

#[test]
fn webhook_and_job_status_batch_merge() {
    let jobs = jobs(&[
        "midjourney_api/job-status-three-records.json",
        "midjourney_api/track-webhook-completed.json",
        "midjourney_api/job-status-three-records.json",
    ]);
    let summary: Vec<(&str, &str)> = jobs
        .iter()
        .map(|job| {
            (
                job["job_id"].as_str().unwrap_or_default(),
                job["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("jBabEBPh9UmuyQL8vAOwL", "completed"),
            ("1eqjA8lV3_zO8xCwcKRhV", "failed"),
            ("mQ3qPsFxJPi-6L_FHfjNv", "completed"),
        ]
    );
    let merged = &jobs[0];
    assert_eq!(merged["provider"], "midjourney_api");
    assert_eq!(merged["provider_status"], "1");
    assert_eq!(merged["events_applied"], 2);
    assert_eq!(merged["events_ignored"], 1);
    assert_eq!(urls(merged).len(), 5);
    assert_eq!(
        jobs[1]["error"]["message"],
        "Invalid parameter value: ``--chaos 250`` is out of range"
    );
}

#[test]
fn a_named_provider_decodes_every_file_as_it() {
    let output = track(
        &["--provider", "imagineapi"],
        &[
            "imagineapi/webhook-update-in-progress-progress-15.json",
            "imagineapi/track-get-completed.json",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let jobs = lines(&output);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["status"], "completed");
    assert_eq!(jobs[0]["events_applied"], 2);
}

#[test]
fn a_bad_file_is_reported_and_the_rest_still_fold() {
    let output = track(
        &[],
        &[
            "asyncapi/webhook-progress-pending.json",
            "bad/auto__truncated-json.json",
            "asyncapi/webhook-completed-imagine.json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("auto__truncated-json.json"), "{stderr}");
    let jobs = lines(&output);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["status"], "completed");
    assert_eq!(jobs[0]["events_applied"], 2);
}

#[test]
fn without_files_standard_input_is_folded() {
    let body = std::fs::read(fixture("asyncapi/webhook-progress-in-progress.json")).unwrap();
    let output = cargo_bin_cmd!("mjhook")
        .arg("track")
        .write_stdin(body)
        .assert()
        .code(0)
        .stderr("")
        .get_output()
        .clone();
    assert_eq!(
        lines(&output),
        jobs(&["asyncapi/webhook-progress-in-progress.json"])
    );
    // Nothing on stdin is no delivery: rejected, not an empty success.
    cargo_bin_cmd!("mjhook")
        .arg("track")
        .assert()
        .code(1)
        .stdout("")
        .stderr("mjhook: <stdin>: holds no JSON body\n");
}

#[test]
fn max_jobs_writes_the_oldest_job_out_to_make_room() {
    let stream = "\
{\"task_id\":\"a\",\"status\":\"processing\",\"task_result\":{}}
{\"task_id\":\"b\",\"status\":\"pending\",\"task_result\":{}}
{\"task_id\":\"c\",\"status\":\"pending\",\"task_result\":{}}
{\"task_id\":\"a\",\"status\":\"finished\",\"task_result\":{\"image_url\":\"https://example.com/a.png\"}}
";
    let run = |max_jobs: &str| {
        let output = cargo_bin_cmd!("mjhook")
            .args(["track", "--provider", "goapi", "--max-jobs", max_jobs])
            .write_stdin(stream)
            .assert()
            .code(0)
            .stderr("")
            .get_output()
            .clone();
        lines(&output)
            .iter()
            .map(|job| format!("{} {}", job["job_id"], job["status"]))
            .collect::<Vec<_>>()
    };
    // Room for all: one line per job, in order of first appearance.
    assert_eq!(
        run("3"),
        [r#""a" "completed""#, r#""b" "pending""#, r#""c" "pending""#]
    );
    // Room for two: `a` is written when `c` arrives; its later event starts
    // it again, which writes `b` out.
    assert_eq!(
        run("2"),
        [
            r#""a" "in_progress""#,
            r#""b" "pending""#,
            r#""c" "pending""#,
            r#""a" "completed""#
        ]
    );
    cargo_bin_cmd!("mjhook")
        .args(["track", "--max-jobs", "0"])
        .write_stdin(stream)
        .assert()
        .code(2);
}

#[test]
fn a_padded_url_and_the_same_url_are_one_image() {
    let stream = "\
{\"task_id\":\"a\",\"status\":\"finished\",\"task_result\":{\"image_url\":\" https://example.com/a.png\\n\"}}
{\"task_id\":\"a\",\"status\":\"finished\",\"task_result\":{\"image_url\":\"https://example.com/a.png\"}}
";
    let output = cargo_bin_cmd!("mjhook")
        .args(["track", "--provider", "goapi"])
        .write_stdin(stream)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let jobs = lines(&output);
    assert_eq!(urls(&jobs[0]), [("https://example.com/a.png", "grid")]);
    assert_eq!(jobs[0]["events_ignored"], 1);
}
