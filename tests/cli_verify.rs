#![cfg(feature = "cli")]
//! `mjhook verify`, run as a process: exit 0 and `authentic`, 1 and the
//! reason on stderr, 2 for a usage error; never a secret on either stream.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;

use mjhook::verify::{secret_header, sign, task_signature_headers, url_with_token};

const SECRET: &str = "cli-Secret-7f3a9c";
const ASYNCAPI: &str = "fixtures/asyncapi/webhook-progress-in-progress.json";
/// The `timestamp` of that fixture.
const STAMPED: &str = "2025-03-04T08:15:31Z";
const GOAPI: &str = "fixtures/goapi/unified-processing-webhook.json";
const IMAGINEAPI: &str = "fixtures/imagineapi/webhook-update-in-progress-progress-15.json";
const MIDJOURNEY_API: &str = "fixtures/midjourney_api/webhook-in-progress.json";
const LEGNEXT: &str = "fixtures/legnext/webhook-diffusion-completed.json";
const KIE: &str = "fixtures/kie/callback-imagine-success.json";

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn body(path: &str) -> Vec<u8> {
    match std::fs::read(fixture(path)) {
        Ok(bytes) => bytes,
        Err(error) => panic!("{path}: {error}"),
    }
}

fn mjhook(args: &[&str]) -> Output {
    mjhook_with_stdin(args, None)
}

fn mjhook_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = cargo_bin_cmd!("mjhook");
    command.args(args).env_remove("MJHOOK_TEST_SECRET");
    if let Some(input) = stdin {
        // A command that exits before reading stdin closes the pipe early;
        // its exit code and output are what the tests check.
        command.write_stdin(input);
    }
    match command.output() {
        Ok(output) => output,
        Err(error) => panic!("mjhook did not finish: {error}"),
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Exit 0 and exactly `authentic` on stdout.
fn assert_authentic(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(output));
    assert_eq!(stdout(output), "authentic\n");
}

/// Exit `code`, nothing on stdout, `reason` on stderr, and no secret anywhere.
fn assert_refused(output: &Output, code: i32, reason: &str, secrets: &[&str]) {
    let (out, err) = (stdout(output), stderr(output));
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {out}\nstderr: {err}"
    );
    assert!(out.is_empty(), "stdout: {out}");
    assert!(err.contains(reason), "expected {reason:?} in stderr: {err}");
    for secret in secrets {
        assert!(!err.contains(secret), "secret in stderr: {err}");
    }
}

fn signature(path: &str) -> String {
    format!("X-Midjourney-Signature: {}", sign(SECRET, &body(path)))
}

fn asyncapi_args<'a>(header: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["verify", "--provider", "asyncapi", "--secret", SECRET];
    args.extend(["--header", header]);
    args.extend(extra);
    args
}

#[test]
fn asyncapi_signed_fixture_is_authentic() {
    let header = signature(ASYNCAPI);
    let path = fixture(ASYNCAPI);
    let path = path.to_string_lossy();
    assert_authentic(&mjhook(&asyncapi_args(&header, &[&path])));

    // Header names in any case; the sha256= prefix and base64 too.
    let lower = header.replace("X-Midjourney-Signature", "x-midjourney-signature");
    assert_authentic(&mjhook(&asyncapi_args(&lower, &[&path])));
    let prefixed = header.replace(": ", ": sha256=");
    assert_authentic(&mjhook(&asyncapi_args(&prefixed, &[&path])));
}

#[test]
fn asyncapi_body_from_stdin() {
    let header = signature(ASYNCAPI);
    let output = mjhook_with_stdin(&asyncapi_args(&header, &["-"]), Some(&body(ASYNCAPI)));
    assert_authentic(&output);
}

#[test]
fn asyncapi_altered_body_is_refused() {
    let header = signature(ASYNCAPI);
    let mut altered = body(ASYNCAPI);
    altered.push(b'\n');
    let output = mjhook_with_stdin(&asyncapi_args(&header, &["-"]), Some(&altered));
    assert_refused(
        &output,
        1,
        "does not match any configured secret",
        &[SECRET],
    );
    assert!(stderr(&output).contains("not authentic as asyncapi"));
}

#[test]
fn asyncapi_wrong_secret_is_refused_and_rotation_accepts() {
    let header = signature(ASYNCAPI);
    let path = fixture(ASYNCAPI);
    let path = path.to_string_lossy();
    let wrong = [
        "verify",
        "--provider",
        "asyncapi",
        "--secret",
        "old-Secret-1",
        "--header",
        &header,
        &path,
    ];
    let output = mjhook(&wrong);
    assert_refused(&output, 1, "does not match", &["old-Secret-1", SECRET]);
    assert!(!stderr(&output).contains(&header["X-Midjourney-Signature: ".len()..]));

    let rotated = [
        "verify",
        "--provider",
        "asyncapi",
        "--secret",
        "old-Secret-1",
        "--secret",
        SECRET,
        "--header",
        &header,
        &path,
    ];
    assert_authentic(&mjhook(&rotated));
}

#[test]
fn secret_from_the_environment() {
    let header = signature(ASYNCAPI);
    let path = fixture(ASYNCAPI);
    let output = cargo_bin_cmd!("mjhook")
        .args(["verify", "--provider", "asyncapi"])
        .args(["--secret-env", "MJHOOK_TEST_SECRET", "--header", &header])
        .arg(&path)
        .env("MJHOOK_TEST_SECRET", SECRET)
        .output();
    match output {
        Ok(output) => assert_authentic(&output),
        Err(error) => panic!("cannot run mjhook: {error}"),
    }
    let unset = mjhook(&[
        "verify",
        "--provider",
        "asyncapi",
        "--secret-env",
        "MJHOOK_TEST_SECRET",
        "--header",
        &header,
        &path.to_string_lossy(),
    ]);
    assert_refused(&unset, 2, "MJHOOK_TEST_SECRET is not set", &[SECRET]);
    let empty = cargo_bin_cmd!("mjhook")
        .args(["verify", "--provider", "asyncapi"])
        .args(["--secret-env", "MJHOOK_TEST_SECRET", "--header", &header])
        .arg(&path)
        .env("MJHOOK_TEST_SECRET", "")
        .output();
    match empty {
        Ok(output) => assert_refused(&output, 2, "MJHOOK_TEST_SECRET is empty", &[]),
        Err(error) => panic!("cannot run mjhook: {error}"),
    }
}

#[test]
fn asyncapi_missing_and_malformed_signatures() {
    let path = fixture(ASYNCAPI);
    let path = path.to_string_lossy();
    let missing = asyncapi_args("Content-Type: application/json", &[&path]);
    assert_refused(
        &mjhook(&missing),
        1,
        "`X-Midjourney-Signature` header is missing",
        &[SECRET],
    );
    let sha1 = format!("X-Midjourney-Signature: sha1={SECRET}");
    assert_refused(
        &mjhook(&asyncapi_args(&sha1, &[&path])),
        1,
        "prefix other than `sha256=`",
        &[SECRET],
    );
    assert_refused(
        &mjhook(&asyncapi_args("X-Midjourney-Signature: abc123", &[&path])),
        1,
        "6 characters long",
        &[SECRET],
    );
}

#[test]
fn asyncapi_replay_window_edges() {
    let header = signature(ASYNCAPI);
    let path = fixture(ASYNCAPI);
    let path = path.to_string_lossy();
    let at = |now: &str| {
        let window = ["--tolerance", "300", "--now", now, &path];
        mjhook(&asyncapi_args(&header, &window))
    };
    assert_authentic(&at("2025-03-04T08:20:31Z"));
    assert_authentic(&at("2025-03-04T08:10:31Z"));
    assert_authentic(&at(STAMPED));
    assert_refused(&at("2025-03-04T08:20:32Z"), 1, "5 min 1 s old", &[SECRET]);
    assert_refused(
        &at("2025-03-04T08:10:30Z"),
        1,
        "5 min 1 s in the future",
        &[SECRET],
    );
}

#[test]
fn shared_secret_providers() {
    for path in [GOAPI, "fixtures/apiframe/webhook-pending-imagine.json"] {
        let provider = if path == GOAPI { "goapi" } else { "apiframe" };
        let path = fixture(path);
        let path = path.to_string_lossy();
        let run = |header: &str| {
            mjhook(&[
                "verify",
                "--provider",
                provider,
                "--secret",
                SECRET,
                "-H",
                header,
                &path,
            ])
        };
        assert_authentic(&run(&format!("x-webhook-secret: {SECRET}")));
        assert_authentic(&run(&format!("X-Webhook-Secret:{SECRET}")));
        let prefix = &SECRET[..SECRET.len() - 1];
        let upper = SECRET.to_uppercase();
        for sent in [prefix, upper.as_str(), "guess"] {
            assert_refused(
                &run(&format!("x-webhook-secret: {sent}")),
                1,
                "`x-webhook-secret` header does not match",
                &[SECRET, sent],
            );
        }
        assert_refused(
            &run("content-type: application/json"),
            1,
            "`x-webhook-secret` header is missing",
            &[SECRET],
        );
    }
}

#[test]
fn url_token_providers() {
    for (provider, path) in [
        ("imagineapi", IMAGINEAPI),
        ("midjourney_api", MIDJOURNEY_API),
        ("legnext", LEGNEXT),
        ("kie", KIE),
    ] {
        let path = fixture(path);
        let path = path.to_string_lossy();
        let good = url_with_token("https://hooks.example.com/mj", "token", SECRET);
        let run = |extra: &[&str]| {
            let mut args = vec!["verify", "--provider", provider, "--secret", SECRET];
            args.extend(extra);
            args.push(&path);
            mjhook(&args)
        };
        assert_authentic(&run(&["--url", &good]));
        let named = url_with_token("/mj?x=1", "k", SECRET);
        assert_authentic(&run(&["--url", &named, "--token-param", "k"]));

        let wrong = url_with_token("https://hooks.example.com/mj", "token", "guess-token");
        assert_refused(
            &run(&["--url", &wrong]),
            1,
            "hook URL's token does not match",
            &[SECRET, "guess-token"],
        );
        assert_refused(
            &run(&["--url", "https://hooks.example.com/mj"]),
            1,
            "no `token` query parameter",
            &[SECRET],
        );
        assert_refused(&run(&[]), 2, "no request URL was given", &[SECRET]);
    }
}

/// KIE's optional HMAC and Legnext's secret header are checked when the
/// request carries them; without them, the URL token is (above).
#[test]
fn kie_hmac_and_legnext_secret_headers_choose_their_method() {
    let kie = fixture(KIE);
    let kie = kie.to_string_lossy();
    // `data.taskId` of the fixture, sent at 2024-05-01T12:00:00Z.
    let [signature, timestamp] =
        task_signature_headers(SECRET, "mj_task_3c1d5e7f9a2b", 1_714_564_800);
    let signature = format!("{}: {}", signature.0, signature.1);
    let timestamp = format!("{}: {}", timestamp.0, timestamp.1);
    let run = |secret: &str, extra: &[&str]| {
        let mut args = vec!["verify", "-p", "kie", "--secret", secret, "-H", &signature];
        args.extend(extra);
        args.push(&kie);
        mjhook(&args)
    };
    assert_authentic(&run(SECRET, &["-H", &timestamp]));
    let within = |now: &str| {
        run(
            SECRET,
            &["-H", &timestamp, "--tolerance", "60", "--now", now],
        )
    };
    assert_authentic(&within("2024-05-01T12:01:00Z"));
    assert_refused(
        &within("2024-05-01T12:01:01Z"),
        1,
        "the signed timestamp is 1 min 1 s old",
        &[SECRET],
    );
    assert_refused(
        &run("guess-key", &["-H", &timestamp]),
        1,
        "`X-Webhook-Signature` HMAC of the task id and time does not match",
        &[SECRET, "guess-key"],
    );
    assert_refused(
        &run(SECRET, &[]),
        1,
        "`X-Webhook-Timestamp` header is missing",
        &[SECRET],
    );

    let legnext = fixture(LEGNEXT);
    let legnext = legnext.to_string_lossy();
    for (sent, authentic) in [(SECRET, true), ("guess-secret", false)] {
        let (name, value) = secret_header(sent);
        let header = format!("{name}: {value}");
        let output = mjhook(&[
            "verify", "-p", "legnext", "--secret", SECRET, "-H", &header, &legnext,
        ]);
        if authentic {
            assert_authentic(&output);
        } else {
            assert_refused(
                &output,
                1,
                "`x-webhook-secret` header does not match",
                &[SECRET, "guess-secret"],
            );
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let path = fixture(ASYNCAPI);
    let path = path.to_string_lossy();
    let header = signature(ASYNCAPI);
    // No secret at all, or only an empty one.
    assert_eq!(
        mjhook(&[
            "verify",
            "--provider",
            "asyncapi",
            "--header",
            &header,
            &path
        ])
        .status
        .code(),
        Some(2)
    );
    assert_refused(
        &mjhook(&[
            "verify",
            "--provider",
            "asyncapi",
            "--secret",
            "",
            "--header",
            &header,
            &path,
        ]),
        2,
        "--secret number 1 is empty",
        &[],
    );
    // An unknown provider; --now without --tolerance; a bad --now.
    assert_eq!(
        mjhook(&["verify", "--provider", "nope", "--secret", SECRET, &path])
            .status
            .code(),
        Some(2)
    );
    let no_window = asyncapi_args(&header, &["--now", STAMPED, &path]);
    assert_eq!(mjhook(&no_window).status.code(), Some(2));
    let bad_now = asyncapi_args(&header, &["--tolerance", "5", "--now", "noon", &path]);
    assert_refused(&mjhook(&bad_now), 2, "RFC 3339", &[SECRET]);
    // A header without a colon is refused without repeating it.
    let no_colon = format!("x-webhook-secret={SECRET}");
    assert_refused(
        &mjhook(&[
            "verify",
            "--provider",
            "goapi",
            "--secret",
            SECRET,
            "--header",
            &no_colon,
            &path,
        ]),
        2,
        "--header number 1 is not of the form",
        &[SECRET],
    );
    // A replay window for a provider that signs nothing.
    assert_refused(
        &mjhook(&[
            "verify",
            "--provider",
            "goapi",
            "--secret",
            SECRET,
            "--header",
            &format!("x-webhook-secret: {SECRET}"),
            "--tolerance",
            "300",
            &path,
        ]),
        2,
        "so a replay window cannot apply",
        &[SECRET],
    );
    // A header name no request can have; a URL that is none; a secret with
    // a carriage return from a CRLF file, which could never match.
    let spaced_name = format!("x webhook secret: {SECRET}");
    let goapi = |header: &str, secret: &str| {
        mjhook(&[
            "verify", "-p", "goapi", "--secret", secret, "-H", header, &path,
        ])
    };
    assert_refused(
        &goapi(&spaced_name, SECRET),
        2,
        "--header number 1 is not of the form `Name: value` with a valid header name",
        &[SECRET],
    );
    let with_cr = format!("{SECRET}\r");
    assert_refused(
        &goapi(&format!("x-webhook-secret: {SECRET}"), &with_cr),
        2,
        "--secret number 1 has white space at its start or end",
        &[SECRET],
    );
    let from_env = cargo_bin_cmd!("mjhook")
        .args([
            "verify",
            "-p",
            "goapi",
            "--secret-env",
            "MJHOOK_TEST_SECRET",
        ])
        .args(["-H", &format!("x-webhook-secret: {SECRET}"), &path])
        .env("MJHOOK_TEST_SECRET", &with_cr)
        .output()
        .expect("mjhook runs");
    assert_refused(
        &from_env,
        2,
        "the environment variable MJHOOK_TEST_SECRET has white space at its start or end",
        &[SECRET],
    );
}

#[test]
fn an_unreadable_file_is_rejected() {
    let header = signature(ASYNCAPI);
    let output = mjhook(&asyncapi_args(&header, &["no/such/file.json"]));
    assert_refused(&output, 1, "no/such/file.json: cannot read", &[SECRET]);
}
