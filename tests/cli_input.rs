//! How the commands read and write: standard input, streams of bodies,
//! directories, limits, closed and full outputs, and messages that payloads
//! cannot forge.
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use predicates::prelude::*;

fn mjhook() -> Command {
    let mut command = cargo_bin_cmd!("mjhook");
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The good fixtures, `fixtures/*/*.json` without `bad/` and `foreign/`, sorted.
fn good_fixtures() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() || dir.ends_with("bad") || dir.ends_with("foreign") {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                found.push(file);
            }
        }
    }
    found.sort();
    assert!(found.len() > 100, "fixtures missing: {found:?}");
    found
}

/// What `mjhook normalize` prints for these files, one at a time.
fn normalized_one_by_one(files: &[PathBuf]) -> String {
    let mut all = String::new();
    for file in files {
        let output = mjhook().arg("normalize").arg(file).assert().code(0);
        all.push_str(std::str::from_utf8(&output.get_output().stdout).unwrap());
    }
    all
}

/// A body as `jq -c .` prints it.
fn compact(path: &Path) -> String {
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    value.to_string()
}

/// A fresh directory under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stdout_of(command: &mut Command) -> String {
    let output = command.assert().code(0).stderr("");
    String::from_utf8(output.get_output().stdout.clone()).unwrap()
}

/// Runs `normalize` on `first` (if any) and then on many times the
/// fixtures, far more output than a pipe holds, and closes its stdout after
/// the first line, as `head -1` does: its stderr and status.
fn normalize_then_close_stdout(first: Option<&Path>) -> std::process::Output {
    let fixtures = good_fixtures();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .arg("normalize")
        .args(first)
        .args((0..20).flat_map(|_| fixtures.iter()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with(r#"{"provider":"#), "{line}");
    // The reader is dropped here, as `head -1` exits.
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly_with_status_0() {
    let output = normalize_then_close_stdout(None);
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "nothing on stderr"
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_closed_stdout_is_status_0_after_a_rejected_input_too() {
    let bad = root().join("fixtures/bad/apiframe__task-id-empty-string.json");
    assert!(bad.is_file(), "the rejected input is there");
    let output = normalize_then_close_stdout(Some(&bad));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "only the rejection: {stderr}");
    assert_eq!(output.status.code(), Some(0));
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_one_message_and_status_1() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .arg("normalize")
        .args(good_fixtures())
        .stdin(Stdio::null())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "mjhook: writing output: No space left on device (os error 28)\n"
    );
    // Help and version too: they are output like any other.
    for flag in ["--help", "--version"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_mjhook"))
            .arg(flag)
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{flag}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "mjhook: writing output: No space left on device (os error 28)\n",
            "{flag}"
        );
    }
}

#[test]
fn stdin_is_read_when_no_file_is_given() {
    let path = root().join("fixtures/goapi/v2-pending.json");
    let expected = normalized_one_by_one(std::slice::from_ref(&path));
    let body = std::fs::read(&path).unwrap();
    assert_eq!(
        stdout_of(mjhook().arg("normalize").write_stdin(body.clone())),
        expected
    );
    assert_eq!(
        stdout_of(mjhook().arg("detect").write_stdin(body.clone())),
        "goapi\n"
    );
    let state = stdout_of(mjhook().arg("track").write_stdin(body));
    assert!(state.contains(r#""status":"pending""#), "{state}");
    // An empty input holds no delivery at all.
    mjhook()
        .arg("normalize")
        .assert()
        .code(1)
        .stdout("")
        .stderr("mjhook: <stdin>: holds no JSON body\n");
}

#[test]
fn a_byte_limit_of_zero_is_a_usage_error() {
    mjhook()
        .args(["normalize", "--max-bytes", "0"])
        .write_stdin("{}")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least 1 byte"));
}

#[test]
fn detect_writes_one_line_per_body_whatever_the_file_is_called() {
    let dir = scratch("detect-names");
    let body = std::fs::read(root().join("fixtures/goapi/v2-pending.json")).unwrap();
    std::fs::write(dir.join("two\nlines.json"), &body).unwrap();
    std::fs::write(dir.join("back\\nslash.json"), &body).unwrap();
    std::fs::write(dir.join("plain.json"), &body).unwrap();
    let listed = stdout_of(mjhook().arg("detect").arg(&dir));
    let expected = format!(
        "{dir}/back\\\\nslash.json: goapi\n{dir}/plain.json: goapi\n{dir}/two\\nlines.json: goapi\n",
        dir = dir.display()
    );
    assert_eq!(listed, expected);
}

#[test]
fn ndjson_and_concatenated_bodies_are_one_delivery_each() {
    let files = good_fixtures();
    let expected = normalized_one_by_one(&files);
    // `jq -c . FILES... | mjhook normalize -`: each body on one line. (A
    // newline is never inside a JSON string, so joining a body's lines keeps
    // it intact, key order included, even where it nests too deep for
    // `serde_json::Value`.)
    let ndjson: String = files
        .iter()
        .map(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .replace(['\r', '\n'], " ")
                + "\n"
        })
        .collect();
    assert_eq!(ndjson.lines().count(), files.len());
    assert_eq!(
        stdout_of(
            mjhook()
                .args(["normalize", "-"])
                .write_stdin(ndjson.clone())
        ),
        expected
    );
    // The files' own text, back to back: no separator at all.
    let concatenated: Vec<u8> = files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            text.trim().as_bytes().to_vec()
        })
        .collect();
    assert_eq!(
        stdout_of(mjhook().arg("normalize").write_stdin(concatenated)),
        expected
    );
    // A byte-order mark begins the stream (as an editor saves it), not its
    // first body: every body still reads, from a file as from stdin.
    let marked = [b"\xEF\xBB\xBF".as_slice(), ndjson.as_bytes()].concat();
    assert_eq!(
        stdout_of(mjhook().arg("normalize").write_stdin(marked.clone())),
        expected
    );
    let file = scratch("marked").join("marked.ndjson");
    std::fs::write(&file, &marked).unwrap();
    assert_eq!(stdout_of(mjhook().arg("normalize").arg(&file)), expected);
    // One mark, not two: the library refuses a second one, and so does the
    // command.
    let twice = [b"\xEF\xBB\xBF".as_slice(), &marked].concat();
    mjhook()
        .arg("normalize")
        .write_stdin(twice)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "<stdin>:1: two byte-order marks begin the input",
        ));
}

#[test]
fn track_folds_a_stream_as_it_folds_files() {
    let files = [
        "fixtures/imagineapi/webhook-create-pending.json",
        "fixtures/imagineapi/webhook-update-in-progress-progress-15.json",
        "fixtures/imagineapi/webhook-update-completed.json",
        "fixtures/imagineapi/quirk-late-in-progress-after-completed.json",
    ];
    let from_files = stdout_of(mjhook().arg("track").args(files));
    let ndjson: String = files
        .iter()
        .map(|path| compact(&root().join(path)) + "\n")
        .collect();
    assert_eq!(
        stdout_of(mjhook().arg("track").write_stdin(ndjson)),
        from_files
    );
    assert!(
        from_files.contains(r#""events_applied":4,"events_ignored":0"#),
        "{from_files}"
    );
}

#[test]
fn an_error_names_the_file_and_the_line_of_its_body() {
    let good = compact(&root().join("fixtures/apiframe/webhook-pending-imagine.json"));
    let bad = compact(&root().join("fixtures/bad/apiframe__percentage-out-of-range.json"));
    let stream = format!("{good}\n{good}\n{bad}\n{good}\n");
    let dir = scratch("line-of-the-third-body");
    let path = dir.join("deliveries.ndjson");
    std::fs::write(&path, &stream).unwrap();

    let output = mjhook()
        .args(["normalize", "--provider", "apiframe"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(
            predicate::str::starts_with(format!("mjhook: {}:3: apiframe: ", path.display()))
                .and(predicate::str::contains("found 150")),
        )
        .get_output()
        .clone();
    // The bodies around it still decode.
    assert_eq!(output.stdout.iter().filter(|&&b| b == b'\n').count(), 3);

    mjhook()
        .args(["normalize", "--provider", "apiframe"])
        .write_stdin(stream)
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("mjhook: <stdin>:3: apiframe: "));

    // A body that is not JSON is reported in the library's words, its
    // position counted in the input; the stream goes on at the next line
    // that starts a body.
    let broken = format!("{good}\n\n{{\"task_id\": \"a\",,}}\n{good}\n");
    let output = mjhook()
        .args(["normalize", "-"])
        .write_stdin(broken)
        .assert()
        .code(1)
        .stderr("mjhook: <stdin>:3: invalid JSON at line 3, column 17: key must be a string\n")
        .get_output()
        .clone();
    assert_eq!(output.stdout.iter().filter(|&&b| b == b'\n').count(), 2);

    // A line cut short (a writer stopped mid-body) loses only itself.
    // serde_json stops at the next line's `{`, which still starts a body.
    let first_member = good.find(',').unwrap() + 1;
    let cut = format!("{}\n{good}\n", &good[..first_member]);
    let output = mjhook()
        .args(["normalize", "-"])
        .write_stdin(cut)
        .assert()
        .code(1)
        .stderr("mjhook: <stdin>:1: invalid JSON at line 2, column 0: EOF while parsing a value\n")
        .get_output()
        .clone();
    assert_eq!(output.stdout.iter().filter(|&&b| b == b'\n').count(), 1);

    // A field's position too is the input's, for a body that starts
    // mid-line: `150` ends on the body's column 58, after `{good} `.
    let late =
        format!("{good} {{\"task_id\": \"b\", \"status\": \"processing\", \"percentage\": 150}}\n");
    mjhook()
        .args(["normalize", "--provider", "apiframe"])
        .write_stdin(late)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "`percentage` (line 1, column {})",
            good.len() + 1 + 58
        )));
}

#[test]
fn directories_are_walked_in_name_order_for_json_and_ndjson() {
    let dir = scratch("walked");
    let goapi = root().join("fixtures/goapi/v2-pending.json");
    let asyncapi = root().join("fixtures/asyncapi/webhook-cancelled.json");
    let imagineapi = root().join("fixtures/imagineapi/webhook-create-pending.json");
    std::fs::create_dir_all(dir.join("b/inner")).unwrap();
    std::fs::copy(&goapi, dir.join("b/inner/z.json")).unwrap();
    std::fs::copy(&asyncapi, dir.join("a.json")).unwrap();
    std::fs::write(
        dir.join("c.ndjson"),
        compact(&imagineapi) + "\n" + &compact(&goapi) + "\n",
    )
    .unwrap();
    // An extension in capitals, as case-insensitive file systems keep it.
    std::fs::copy(&asyncapi, dir.join("d.JSON")).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a payload").unwrap();

    let expected =
        normalized_one_by_one(&[asyncapi.clone(), goapi.clone(), imagineapi, goapi, asyncapi]);
    assert_eq!(stdout_of(mjhook().arg("normalize").arg(&dir)), expected);
    let detected = stdout_of(mjhook().arg("detect").arg(&dir));
    let name = dir.display();
    assert_eq!(
        detected,
        format!(
            "{name}/a.json: asyncapi\n{name}/b/inner/z.json: goapi\n\
             {name}/c.ndjson: imagineapi\n{name}/c.ndjson: goapi\n\
             {name}/d.JSON: asyncapi\n"
        )
    );

    let empty = scratch("walked-empty");
    mjhook()
        .arg("normalize")
        .arg(&empty)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("holds no *.json or *.ndjson file"));
}

/// A link named like a body that points to nothing is reported, as the
/// same path named alone is; the walk goes on past it.
#[cfg(unix)]
#[test]
fn a_dangling_link_in_a_walked_directory_is_reported() {
    let dir = scratch("walked-dangling");
    std::fs::create_dir_all(&dir).unwrap();
    let asyncapi = root().join("fixtures/asyncapi/webhook-cancelled.json");
    std::fs::copy(&asyncapi, dir.join("b.json")).unwrap();
    std::os::unix::fs::symlink(dir.join("missing-target"), dir.join("a.json")).unwrap();
    mjhook()
        .arg("normalize")
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(normalized_one_by_one(&[asyncapi]))
        .stderr(
            predicate::str::contains(format!("{}: cannot read: ", dir.join("a.json").display()))
                .and(predicate::str::contains("holds no").not()),
        );
}

#[test]
fn stdin_given_twice_is_a_usage_error() {
    mjhook()
        .args(["normalize", "-", "-"])
        .write_stdin(r#"{"taskId": "abc", "status": 1}"#)
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "mjhook: `-` (standard input) is given more than once\n\n\
             For more information, try '--help'.\n",
        );
}

#[test]
fn a_body_over_the_limit_is_refused_and_the_next_is_read() {
    let small = r#"{"task_id": "t-1", "status": "processing", "percentage": "40"}"#;
    let large = format!(
        r#"{{"task_id": "t-2", "status": "finished", "prompt": "{}"}}"#,
        "a".repeat(300)
    );
    let endless = format!(r#"{{"task_id": "t-3", "prompt": "{}"#, "a".repeat(1000));
    let stream = format!("{small}\n{large}\n{small}\n{endless}\n{small}\n");
    let output = mjhook()
        .args(["normalize", "--provider", "apiframe", "--max-bytes", "100"])
        .write_stdin(stream)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    // The bodies before and after the large one; none after the one that
    // runs on past 8 times the limit.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout
        .lines()
        .all(|line| line.contains(r#""job_id":"t-1""#)));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "mjhook: <stdin>:2: the body is larger than the limit of 100 bytes (--max-bytes)\n\
         mjhook: <stdin>:4: the body is larger than the limit of 100 bytes (--max-bytes); \
         stopped reading <stdin>: it runs on past 800 bytes\n"
    );
}

#[cfg(unix)]
#[test]
fn an_endless_input_stops_at_the_limit() {
    let started = Instant::now();
    mjhook()
        .args(["normalize", "--max-bytes", "100", "/dev/zero"])
        .timeout(Duration::from_secs(10))
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "mjhook: /dev/zero:1: invalid JSON at line 1, column 1: expected value; stopped \
             reading /dev/zero: no line within the limit of 100 bytes (--max-bytes) starts \
             another body\n",
        );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_huge_stdin_body_is_refused_without_reading_it_all() {
    const TOTAL: usize = 300 << 20;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .arg("normalize")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // One JSON string that never ends, made as it is written.
        let chunk = vec![b'x'; 64 << 10];
        let mut written = stdin.write(b"{\"prompt\": \"").unwrap();
        while written < TOTAL {
            match stdin.write(&chunk) {
                Ok(n) => written += n,
                Err(error) => {
                    assert_eq!(error.kind(), ErrorKind::BrokenPipe, "{error}");
                    return written;
                }
            }
        }
        written
    });
    let output = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("<stdin>:1: the body is larger than the limit of 1048576 bytes"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        written < 16 << 20,
        "the writer could write {written} bytes: mjhook read on past the limit"
    );
}

/// A named pipe given as a path is a live stream, as standard input is:
/// each body's event is written before the writer closes the pipe.
#[cfg(unix)]
#[test]
fn a_named_pipe_gets_each_event_at_once() {
    let dir = scratch("named-pipe");
    let fifo = dir.join("deliveries");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .arg("normalize")
        .arg(&fifo)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let body = compact(&root().join("fixtures/goapi/v2-pending.json")) + "\n";
    writer.write_all(body.as_bytes()).unwrap();
    writer.flush().unwrap();
    // Read on another thread: an event held back until the pipe closes
    // fails the test in time instead of hanging it.
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let read = BufReader::new(stdout).read_line(&mut first);
        let _ = sender.send(read.map(|_| first));
    });
    let first = receiver.recv_timeout(Duration::from_secs(30));
    if first.is_err() {
        let _ = child.kill();
    }
    let first = first
        .expect("the event, written while the pipe is still open")
        .unwrap();
    assert!(first.starts_with(r#"{"provider":"goapi""#), "{first}");
    drop(writer);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn with_source_lines_are_ndjson_naming_file_and_line() {
    let path = "fixtures/apiframe/fetch-many-three-tasks.json";
    let single = "fixtures/goapi/v2-pending.json";
    let stdin = compact(&root().join(single)) + "\n" + &compact(&root().join(single)) + "\n";
    let out = stdout_of(
        mjhook()
            .args(["normalize", "--with-source", path, "-"])
            .write_stdin(stdin),
    );
    let expected_events: Vec<serde_json::Value> =
        normalized_one_by_one(&[root().join(path), root().join(single), root().join(single)])
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON value"))
        .collect();
    let tags: Vec<(&str, u64)> = lines
        .iter()
        .map(|line| {
            assert_eq!(line.as_object().unwrap().len(), 3, "{line}");
            (
                line["source"].as_str().unwrap(),
                line["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tags,
        [
            (path, 1),
            (path, 1),
            (path, 1),
            ("<stdin>", 1),
            ("<stdin>", 2)
        ]
    );
    let events: Vec<serde_json::Value> = lines.iter().map(|line| line["event"].clone()).collect();
    assert_eq!(events, expected_events);

    let detected = stdout_of(
        mjhook()
            .args(["detect", "--with-source", single])
            .write_stdin(""),
    );
    assert_eq!(
        detected,
        format!("{{\"source\":\"{single}\",\"line\":1,\"provider\":\"goapi\"}}\n")
    );
}

#[test]
fn payload_text_cannot_forge_or_flood_log_lines() {
    let vendor = r#"{"status": 1001, "message": "quota not enough\nmjhook: all good\u001b[0m"}"#;
    mjhook()
        .args(["normalize", "--provider", "midjourney_api"])
        .write_stdin(vendor)
        .assert()
        .code(1)
        .stderr(
            "mjhook: <stdin>:1: midjourney_api: the vendor reported an error instead of a job \
             (code 1001): quota not enough\\nmjhook: all good\\u{1b}[0m\n",
        );

    // An unknown body with 90,000 keys: one line, cut to a readable size.
    let keys: Vec<String> = (0..90_000).map(|n| format!("\"key{n}\": 1")).collect();
    let body = format!("{{{}}}", keys.join(","));
    let output = mjhook()
        .arg("normalize")
        .write_stdin(body)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.chars().count() < 1100, "{} chars", stderr.len());
    assert!(stderr.starts_with("mjhook: <stdin>:1: "), "{stderr}");
}

#[test]
fn verify_reads_stdin_under_a_limit() {
    let path = root().join("fixtures/goapi/unified-processing-webhook.json");
    let body = std::fs::read(&path).unwrap();
    let args = [
        "verify",
        "--provider",
        "goapi",
        "--secret",
        "s3cret-value",
        "-H",
        "x-webhook-secret: s3cret-value",
    ];
    mjhook()
        .args(args)
        .write_stdin(body.clone())
        .assert()
        .code(0)
        .stdout("authentic\n");
    mjhook()
        .args(args)
        .args(["--max-bytes", "100"])
        .write_stdin(body.clone())
        .assert()
        .code(1)
        .stdout("")
        .stderr("mjhook: <stdin>: the body is larger than the limit of 100 bytes (--max-bytes)\n");
    mjhook()
        .args(args)
        .args(["--max-bytes", &body.len().to_string()])
        .arg(&path)
        .assert()
        .code(0)
        .stdout("authentic\n");
    mjhook()
        .args(args)
        .args(["--max-bytes", &(body.len() - 1).to_string()])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("larger than the limit"));
}

#[test]
fn each_stdin_body_is_answered_before_the_next_arrives() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .arg("normalize")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for job in ["first", "second"] {
        // The pipe stays open: mjhook must answer without seeing its end.
        writeln!(stdin, r#"{{"taskId": "{job}", "status": 1}}"#).unwrap();
        stdin.flush().unwrap();
        let line = received
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no line for the {job} body while stdin is open"));
        assert!(line.contains(&format!(r#""job_id":"{job}""#)), "{line}");
    }
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert_eq!(status.code(), Some(0));
}
