//! `mjhook serve` over real HTTP on loopback: every status code, the store's
//! contents, restarts, forwarding to a local Standard Webhooks receiver, and
//! a kill -9 during a burst.
#![cfg(feature = "serve")]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use mjhook::serve::Signer;
use mjhook::verify::{sign, task_signature_headers, SECRET_HEADER, SIGNATURE_HEADER};
use serde_json::Value;

const FORWARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ASYNC_SECRET: &str = "async-secret";
const APIFRAME_SECRET: &str = "apiframe-secret";
/// Every wait in these tests gives up after this long.
const PATIENCE: Duration = Duration::from_secs(20);

/// A spawned `mjhook serve`, killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(store: &Path, extra: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mjhook"));
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
                "--store",
            ])
            .arg(store)
            .args(extra)
            .env_remove("MJHOOK_API_TOKEN")
            .env_remove("MJHOOK_FORWARD_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn mjhook serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(record) = serde_json::from_str::<Value>(&line) {
                    if record["message"] == "listening" {
                        let _ =
                            addr_tx.send(record["addr"].as_str().unwrap_or_default().to_owned());
                    }
                }
                lines.lock().expect("log lock").push(line);
            }
        });
        let addr = match addr_rx.recv_timeout(PATIENCE) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "mjhook serve did not start: {:?}",
                    log.lock().expect("log lock")
                );
            }
        };
        let addr: SocketAddr = addr.parse().expect("a socket address");
        Server {
            child,
            base: format!("http://{addr}"),
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGTERM, then the exit status (bounded).
    fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "no exit after SIGTERM: {:?}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A store path in a fresh directory, removed when the returned guard drops.
fn temp_store(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("mjhook-serve-{name}-"))
        .tempdir()
        .expect("temp dir");
    let store = dir.path().join("mjhook.db");
    (dir, store)
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(path),
    )
    .expect("fixture")
}

/// An AsyncAPI webhook body for one job.
fn asyncapi_body(job_id: &str, status: &str, progress: u32) -> Vec<u8> {
    format!(
        r#"{{"event":"job.progress","job_id":"{job_id}","status":"{status}","progress":{progress},"timestamp":"2025-05-06T07:09:{:02}Z"}}"#,
        progress % 60
    )
    .into_bytes()
}

async fn post_signed(client: &reqwest::Client, server: &Server, body: &[u8]) -> reqwest::Response {
    client
        .post(server.url("/webhooks/asyncapi"))
        .header(SIGNATURE_HEADER, sign(ASYNC_SECRET, body))
        .body(body.to_vec())
        .send()
        .await
        .expect("POST")
}

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

/// The status of a refused request and the `error` its JSON answer names.
async fn refusal(request: reqwest::RequestBuilder) -> (u16, String) {
    let (status, answer) = json(request.send().await.expect("request")).await;
    let error = answer["error"].as_str().unwrap_or("(no error field)");
    (status, error.to_owned())
}

async fn get_json(client: &reqwest::Client, url: String) -> (u16, Value) {
    json(client.get(url).send().await.expect("GET")).await
}

async fn get_text(client: &reqwest::Client, url: String) -> String {
    let response = client.get(url).send().await.expect("GET");
    response.text().await.expect("text")
}

/// `/metrics` once it holds `series` (or, after a while, as it is, for the
/// caller's assertion to show).
async fn metrics_showing(client: &reqwest::Client, server: &Server, series: &str) -> String {
    let started = Instant::now();
    loop {
        let metrics = get_text(client, server.url("/metrics")).await;
        if metrics.contains(series) || started.elapsed() > PATIENCE {
            return metrics;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn query_one(store: &Path, sql: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open store");
    conn.query_row(sql, [], |row| row.get(0)).expect(sql)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// What a local Standard Webhooks receiver saw.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    body: Value,
    valid: bool,
    answered: u16,
}

/// A receiver on loopback that checks each request's signature and answers
/// with `answer(n)` for the n-th request (from 0).
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

type Answer = Arc<dyn Fn(usize) -> (u16, Option<&'static str>) + Send + Sync>;

/// How long the receiver takes to answer an event.
type Delay = Arc<dyn Fn(&Value) -> Duration + Send + Sync>;

#[derive(Clone)]
struct ReceiverState {
    seen: Arc<Mutex<Vec<Received>>>,
    count: Arc<AtomicUsize>,
    answer: Answer,
    delay: Delay,
}

impl Receiver {
    async fn start(
        answer: impl Fn(usize) -> (u16, Option<&'static str>) + Send + Sync + 'static,
    ) -> Receiver {
        Receiver::start_slow(answer, |_| Duration::ZERO).await
    }

    /// A receiver that takes `delay(event)` to answer each event (and
    /// notes it as seen when it answers).
    async fn start_slow(
        answer: impl Fn(usize) -> (u16, Option<&'static str>) + Send + Sync + 'static,
        delay: impl Fn(&Value) -> Duration + Send + Sync + 'static,
    ) -> Receiver {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = ReceiverState {
            seen: Arc::clone(&seen),
            count: Arc::new(AtomicUsize::new(0)),
            answer: Arc::new(answer),
            delay: Arc::new(delay),
        };
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            seen,
        }
    }

    fn seen(&self) -> Vec<Received> {
        self.seen.lock().expect("seen lock").clone()
    }

    fn delivered(&self) -> Vec<Received> {
        self.seen()
            .into_iter()
            .filter(|seen| seen.answered < 300)
            .collect()
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let webhook = standardwebhooks::Webhook::new(FORWARD_SECRET).expect("secret");
    let valid = webhook.verify(&body, &headers).is_ok();
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    tokio::time::sleep((state.delay)(&event)).await;
    let n = state.count.fetch_add(1, Ordering::SeqCst);
    let (status, retry_after) = (state.answer)(n);
    state.seen.lock().expect("seen lock").push(Received {
        id: headers
            .get("webhook-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: event,
        valid,
        answered: status,
    });
    let mut response = StatusCode::from_u16(status)
        .expect("status")
        .into_response();
    if let Some(retry_after) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", retry_after.parse().expect("header value"));
    }
    response
}

fn forward_args<'a>(receiver: &'a Receiver, backoff: &'a str) -> Vec<&'a str> {
    vec![
        "--secret",
        "asyncapi=async-secret",
        "--forward",
        &receiver.url,
        "--forward-secret",
        FORWARD_SECRET,
        "--forward-backoff",
        backoff,
    ]
}

#[test]
fn the_signer_matches_the_specification_vector() {
    let signer = Signer::new(FORWARD_SECRET).expect("valid secret");
    let signature = signer
        .sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        )
        .expect("sign");
    assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

#[test]
fn refuses_a_non_loopback_listener_without_an_api_token() {
    let (_dir, store) = temp_store("open");
    let output = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .args(["serve", "--listen", "0.0.0.0:0", "--store"])
        .arg(&store)
        .env_remove("MJHOOK_API_TOKEN")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "a usage error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("mjhook serve: ") && stderr.contains("--api-token"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "said once: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colours off a terminal: {stderr}"
    );
    assert!(
        !store.exists(),
        "nothing is created before the flags are checked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_code_and_the_store_after_each_request() {
    let (_dir, store) = temp_store("status");
    let server = Server::start(
        &store,
        &[
            "--secret",
            "asyncapi=async-secret",
            "--secret",
            "apiframe=apiframe-secret",
            "--token",
            "imagineapi=the-token",
            "--insecure-accept",
            "goapi",
            "--api-token",
            "api-secret",
            "--max-body",
            "4096",
        ],
    );
    let client = reqwest::Client::new();
    let deliveries = || query_one(&store, "SELECT COUNT(*) FROM deliveries");

    // 200: a signed AsyncAPI delivery; its job, event and delivery are stored.
    let body = asyncapi_body("job-a", "in_progress", 40);
    let (status, answer) = json(post_signed(&client, &server, &body).await).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["jobs"][0]["job_id"], "job-a");
    assert_eq!(answer["jobs"][0]["status"], "in_progress");
    assert_eq!(answer["jobs"][0]["applied"], "new");
    assert_eq!(deliveries(), 1);
    assert_eq!(
        query_one(&store, "SELECT COUNT(*) FROM events WHERE job_id = 'job-a'"),
        1
    );
    assert_eq!(
        query_one(&store, "SELECT length(body) FROM deliveries"),
        body.len() as i64
    );

    // 200 again for the same bytes: a duplicate, with no new event.
    let (status, answer) = json(post_signed(&client, &server, &body).await).await;
    assert_eq!(status, 200);
    assert_eq!(answer["duplicate_of"], 1);
    assert_eq!(deliveries(), 2);
    assert_eq!(query_one(&store, "SELECT COUNT(*) FROM events"), 1);
    assert_eq!(
        query_one(
            &store,
            "SELECT COUNT(*) FROM deliveries WHERE duplicate_of = 1"
        ),
        1
    );

    // The job folds a later event.
    let done = asyncapi_body("job-a", "completed", 100);
    let (status, answer) = json(post_signed(&client, &server, &done).await).await;
    assert_eq!(
        (status, &answer["jobs"][0]["status"]),
        (200, &Value::from("completed"))
    );
    assert_eq!(
        query_one(
            &store,
            "SELECT COUNT(*) FROM jobs WHERE status = 'completed'"
        ),
        1
    );

    // 401: a wrong signature, and none at all; nothing stored.
    let forged = client
        .post(server.url("/webhooks/asyncapi"))
        .header(SIGNATURE_HEADER, sign("a guess", &body))
        .body(asyncapi_body("job-x", "completed", 100))
        .send()
        .await
        .expect("POST");
    let (status, answer) = json(forged).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("not_authentic"))
    );
    let unsigned = client
        .post(server.url("/webhooks/asyncapi"))
        .body(body.clone())
        .send()
        .await
        .expect("POST");
    assert_eq!(unsigned.status(), 401);
    assert_eq!(deliveries(), 3);

    // 400: authentic bytes that are not JSON.
    let (status, answer) = json(post_signed(&client, &server, b"{not json").await).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("not_json")));

    // 422: JSON that is not an AsyncAPI job event.
    let (status, answer) =
        json(post_signed(&client, &server, br#"{"hello": "world"}"#).await).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("not_a_job_event")),
        "{answer}"
    );

    // 413: over --max-body, with and without a Content-Length.
    let big = vec![b' '; 5000];
    let (status, answer) = json(post_signed(&client, &server, &big).await).await;
    assert_eq!((status, answer["error"].as_str()), (413, Some("too_large")));
    let signature = [(SIGNATURE_HEADER, sign(ASYNC_SECRET, &big))];
    assert_eq!(
        post_chunked(&server, "/webhooks/asyncapi", &signature, &big).await,
        413
    );
    // A declared length over the limit is answered at once, unread.
    let declared = tokio::time::timeout(
        Duration::from_secs(10),
        post_declaring(&server, "/webhooks/asyncapi", 99_999_999, b"{}"),
    )
    .await;
    assert_eq!(declared.ok(), Some(413));
    // A chunked body under the limit is read like any other.
    let small = asyncapi_body("job-chunked", "pending", 0);
    let signature = [(SIGNATURE_HEADER, sign(ASYNC_SECRET, &small))];
    assert_eq!(
        post_chunked(&server, "/webhooks/asyncapi", &signature, &small).await,
        200
    );

    // 404: an unknown provider, and a known one with no secret or token.
    let nope = client.post(server.url("/webhooks/nope")).body("{}");
    assert_eq!(refusal(nope).await, (404, "unknown_provider".into()));
    let unconfigured = client.post(server.url("/webhooks/midjourney_api"));
    assert_eq!(
        refusal(unconfigured.body("{}")).await,
        (404, "provider_not_configured".into())
    );
    // 400: a path segment that is no UTF-8, in JSON as every refusal is.
    for path in ["/webhooks/%ff", "/jobs/%ff/x", "/jobs/apiframe/%ff"] {
        let request = if path.starts_with("/webhooks") {
            client.post(server.url(path)).body("{}")
        } else {
            client.get(server.url(path)).bearer_auth("api-secret")
        };
        assert_eq!(refusal(request).await, (400, "bad_path".into()), "{path}");
    }
    // 415: a compressed body, which would otherwise fail as "not JSON".
    let gzip = (client.post(server.url("/webhooks/asyncapi")))
        .header("content-encoding", "identity, GZIP")
        .body(vec![0x1f, 0x8b, 0x08, 0x00]);
    assert_eq!(refusal(gzip).await, (415, "unsupported_encoding".into()));
    // 405: a GET on the webhook route, explained like every other refusal.
    let (status, answer) = get_json(&client, server.url("/webhooks/asyncapi")).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
    assert_eq!(deliveries(), 4, "refused deliveries are not stored");

    // APIFRAME's echoed secret, ImagineAPI's URL token, GoAPI accepted insecurely.
    let apiframe = fixture("apiframe/webhook-finished-imagine-with-status.json");
    let ok = client
        .post(server.url("/webhooks/apiframe"))
        .header(SECRET_HEADER, APIFRAME_SECRET)
        .body(apiframe.clone())
        .send()
        .await
        .expect("POST");
    assert_eq!(ok.status(), 200);
    let wrong = client
        .post(server.url("/webhooks/apiframe"))
        .header(SECRET_HEADER, "nope")
        .body(apiframe)
        .send()
        .await
        .expect("POST");
    assert_eq!(wrong.status(), 401);
    let imagine = fixture("imagineapi/get-pending.json");
    let no_token = client
        .post(server.url("/webhooks/imagineapi"))
        .body(imagine.clone())
        .send()
        .await
        .expect("POST");
    assert_eq!(no_token.status(), 401);
    let with_token = client
        .post(server.url("/webhooks/imagineapi?token=the-token"))
        .body(imagine)
        .send()
        .await
        .expect("POST");
    assert_eq!(with_token.status(), 200);
    let goapi = client
        .post(server.url("/webhooks/goapi"))
        // A label that is no compression leaves the body as it is.
        .header("content-encoding", "utf-8")
        .body(fixture("goapi/unified-blend-completed-webhook.json"))
        .send()
        .await
        .expect("POST");
    assert_eq!(goapi.status(), 200);
    assert_eq!(
        query_one(&store, "SELECT COUNT(DISTINCT provider) FROM jobs"),
        4
    );

    // The read API needs the bearer token.
    let anonymous = client.get(server.url("/jobs")).send().await.expect("GET");
    assert_eq!(anonymous.status(), 401);
    let wrong = client
        .get(server.url("/events"))
        .bearer_auth("guess")
        .send()
        .await
        .expect("GET");
    assert_eq!(wrong.status(), 401);
    let lower_case_scheme = client
        .get(server.url("/events"))
        .header("authorization", "bearer api-secret")
        .send()
        .await
        .expect("GET");
    assert_eq!(lower_case_scheme.status(), 200, "the scheme's case is free");
    let get = |path: &str| {
        client
            .get(server.url(path))
            .bearer_auth("api-secret")
            .send()
    };
    let (status, state) = json(get("/jobs/asyncapi/job-a").await.expect("GET")).await;
    assert_eq!((status, &state["status"]), (200, &Value::from("completed")));
    assert_eq!(state["events_applied"], 2);
    let (status, answer) = json(get("/jobs/asyncapi/unknown").await.expect("GET")).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_job"))
    );
    let (status, _) = json(get("/jobs/nope/job-a").await.expect("GET")).await;
    assert_eq!(status, 404);
    let (status, page) = json(
        get("/jobs?provider=asyncapi&status=completed")
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["jobs"].as_array().map(Vec::len), Some(1));
    let (status, page) = json(get("/jobs?limit=2").await.expect("GET")).await;
    assert_eq!(status, 200);
    assert_eq!(page["jobs"].as_array().map(Vec::len), Some(2));
    let after = page["next"].as_i64().expect("a next page");
    let (_, rest) = json(
        get(&format!("/jobs?limit=2&after={after}"))
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(rest["jobs"].as_array().map(Vec::len), Some(2));
    let after = rest["next"].as_i64().expect("a last page");
    let (_, last) = json(
        get(&format!("/jobs?limit=2&after={after}"))
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(last["jobs"].as_array().map(Vec::len), Some(1));
    assert_eq!(last["next"], Value::Null);
    for bad in [
        "/jobs?limit=0",
        "/jobs?status=bogus",
        "/jobs?provider=nope",
        "/events?after=x",
    ] {
        let (status, answer) = json(get(bad).await.expect("GET")).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("bad_query")),
            "{bad}"
        );
    }
    // A parameter there is not (a typo) is refused, not ignored.
    for (bad, unknown) in [
        ("/jobs?statuss=failed", "statuss"),
        ("/events?afte=3", "afte"),
    ] {
        let (status, answer) = json(get(bad).await.expect("GET")).await;
        assert_eq!(status, 400, "{bad}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("unknown field `{unknown}`")),
            "{bad}: {answer}"
        );
    }
    // A negative limit is out of range, as 0 is, and said the same way.
    for bad in ["/jobs?limit=-1", "/events?limit=-1"] {
        let (status, answer) = json(get(bad).await.expect("GET")).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(
            answer["message"].as_str(),
            Some("limit must be between 1 and 1000, found -1"),
            "{bad}: {answer}"
        );
    }
    let (status, page) = json(get("/events?limit=1").await.expect("GET")).await;
    assert_eq!(status, 200);
    assert_eq!(page["events"][0]["event"]["status"], "in_progress");
    let next = page["next"].as_i64().expect("cursor");
    let (_, page) = json(get(&format!("/events?after={next}")).await.expect("GET")).await;
    assert_eq!(page["events"][0]["event"]["status"], "completed");
    assert_eq!(page["events"].as_array().map(Vec::len), Some(5));

    // Health and metrics are open.
    let health = client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("GET");
    assert_eq!(health.status(), 200);
    let metrics = get_text(&client, server.url("/metrics")).await;
    for line in [
        "mjhook_deliveries_accepted_total{provider=\"asyncapi\"} 3",
        "mjhook_deliveries_duplicate_total 1",
        "mjhook_deliveries_rejected_total{reason=\"not_authentic\"} 4",
        "mjhook_deliveries_rejected_total{reason=\"too_large\"} 3",
        "mjhook_commit_batch_size_count",
        "mjhook_commit_seconds_bucket",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
    let status = server.terminate();
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
}

/// POSTs `body` with `Transfer-Encoding: chunked` (no Content-Length) and
/// returns the status code.
/// POSTs `body` with a `Content-Length` of `declared`, which may be more
/// than is sent; the status code of the answer.
async fn post_declaring(server: &Server, path: &str, declared: u64, body: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {declared}\r\n\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    // The answer's status line, without waiting for the connection to close.
    let mut response = vec![0u8; 64];
    let read = stream.read(&mut response).await.unwrap_or(0);
    let text = String::from_utf8_lossy(&response[..read]);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"))
}

async fn post_chunked(server: &Server, path: &str, headers: &[(&str, String)], body: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    for chunk in body.chunks(1000) {
        bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        bytes.extend_from_slice(chunk);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before reading everything.
    let _ = stream.write_all(&bytes).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_signed_in_order_through_failures_and_duplicates_once() {
    let (_dir, store) = temp_store("forward");
    // The first three requests fail (one with Retry-After), then all succeed.
    let receiver = Receiver::start(|n| match n {
        0 => (503, Some("0")),
        1 | 2 => (500, None),
        _ => (200, None),
    })
    .await;
    let server = Server::start(&store, &forward_args(&receiver, "50ms"));
    let client = reqwest::Client::new();
    for progress in [10, 20, 30, 40] {
        let body = asyncapi_body("job-order", "in_progress", progress);
        assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
        if progress == 20 {
            // The same bytes again: answered 200, forwarded once.
            assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
        }
    }
    wait_for("four deliveries", || receiver.delivered().len() >= 4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = receiver.seen();
    assert!(
        seen.iter().all(|seen| seen.valid),
        "every signature verifies: {seen:?}"
    );
    let delivered = receiver.delivered();
    let progress: Vec<&Value> = delivered
        .iter()
        .map(|seen| &seen.body["progress"])
        .collect();
    assert_eq!(progress, [10, 20, 30, 40], "in order, the duplicate once");
    // The failed attempts were all of the first event, under one id.
    assert_eq!(seen.len(), 7);
    assert!(
        seen[..4]
            .iter()
            .all(|attempt| attempt.id == delivered[0].id),
        "{seen:?}"
    );
    let ids: std::collections::BTreeSet<&str> =
        delivered.iter().map(|seen| seen.id.as_str()).collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(
        query_one(
            &store,
            "SELECT COUNT(*) FROM outbox WHERE state = 'delivered'"
        ),
        4
    );
    let metrics = get_text(&client, server.url("/metrics")).await;
    assert!(metrics.contains("mjhook_forwarded_total 4"), "{metrics}");
    assert!(
        metrics.contains("mjhook_forward_retries_total 3"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_for_one_job_holds_back_no_other_job() {
    let (_dir, store) = temp_store("head-of-line");
    let receiver = Receiver::start_slow(
        |_| (200, None),
        |event| match event["job_id"].as_str() {
            Some("job-slow") => Duration::from_secs(3),
            _ => Duration::ZERO,
        },
    )
    .await;
    let server = Server::start(&store, &forward_args(&receiver, "50ms"));
    let client = reqwest::Client::new();
    let slow = asyncapi_body("job-slow", "in_progress", 10);
    assert_eq!(post_signed(&client, &server, &slow).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for job in ["job-fast-1", "job-fast-2"] {
        let body = asyncapi_body(job, "in_progress", 10);
        assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
    }
    wait_for("three deliveries", || receiver.delivered().len() >= 3).await;
    let jobs: Vec<Value> = receiver
        .delivered()
        .iter()
        .map(|seen| seen.body["job_id"].clone())
        .collect();
    // The two fast jobs' events are sent side by side, in either order.
    assert_eq!(
        jobs[2], "job-slow",
        "the other jobs' events arrive while the slow one is in flight: {jobs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_over_a_long_backoff() {
    let (_dir, store) = temp_store("retry-after");
    let receiver = Receiver::start(|n| {
        if n == 0 {
            (429, Some("1"))
        } else {
            (200, None)
        }
    })
    .await;
    // With a one-hour backoff, only Retry-After can bring the second attempt.
    let server = Server::start(&store, &forward_args(&receiver, "1h"));
    let client = reqwest::Client::new();
    let body = asyncapi_body("job-ra", "completed", 100);
    assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
    let started = Instant::now();
    wait_for("the retry", || receiver.delivered().len() == 1).await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_stops_forwarding_and_keeps_the_outbox() {
    let (_dir, store) = temp_store("gone");
    let receiver = Receiver::start(|_| (410, None)).await;
    let server = Server::start(&store, &forward_args(&receiver, "50ms"));
    let client = reqwest::Client::new();
    let at_start = metrics_showing(&client, &server, "mjhook_forward_gone").await;
    for series in [
        "mjhook_forwarded_total 0",
        "mjhook_forward_retries_total 0",
        "mjhook_dead_letters_total 0",
        "mjhook_forward_gone 0",
    ] {
        assert!(
            at_start.contains(series),
            "{series} before any event: {at_start}"
        );
    }
    for progress in [10, 20] {
        let body = asyncapi_body("job-gone", "in_progress", progress);
        assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
    }
    wait_for("the 410", || !receiver.seen().is_empty()).await;
    wait_for("the log line", || {
        server.log().iter().any(|line| line.contains("410 Gone"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.seen().len(), 1, "nothing more is sent after a 410");
    assert_eq!(
        query_one(
            &store,
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
        ),
        2
    );
    let metrics = get_text(&client, server.url("/metrics")).await;
    assert!(metrics.contains("mjhook_forward_gone 1"), "{metrics}");
    // The outbox gauges still follow what waits, so an alert on them fires.
    let body = asyncapi_body("job-gone", "in_progress", 30);
    assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
    let metrics = metrics_showing(&client, &server, "mjhook_outbox_pending 3").await;
    assert!(metrics.contains("mjhook_outbox_pending 3"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_states_events_and_the_outbox_and_dead_letters_retry() {
    let (_dir, store) = temp_store("restart");
    // Every attempt fails: after two, the job's events are dead letters.
    let failing = Receiver::start(|_| (500, None)).await;
    let mut args = forward_args(&failing, "20ms");
    args.extend(["--forward-attempts", "2"]);
    let server = Server::start(&store, &args);
    let client = reqwest::Client::new();
    for progress in [10, 90] {
        let body = asyncapi_body("job-r", "in_progress", progress);
        assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
    }
    wait_for("dead letters", || {
        query_one(&store, "SELECT COUNT(*) FROM outbox WHERE state = 'dead'") == 2
    })
    .await;
    assert_eq!(
        failing.seen().len(),
        2,
        "the later event waited for the first"
    );
    // An event that arrives behind its job's dead letters joins them.
    let body = asyncapi_body("job-r", "in_progress", 95);
    assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
    assert_eq!(
        query_one(&store, "SELECT COUNT(*) FROM outbox WHERE state = 'dead'"),
        3
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        failing.seen().len(),
        2,
        "not sent ahead of the dead letters"
    );
    let metrics = get_text(&client, server.url("/metrics")).await;
    assert!(
        metrics.contains("mjhook_dead_letters_total 3"),
        "the one that joined them counts: {metrics}"
    );
    let before = get_text(&client, server.url("/events")).await;
    assert!(server.terminate().success());

    let retry = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .args(["outbox", "retry", "--store"])
        .arg(&store)
        .output()
        .expect("run");
    assert!(retry.status.success());
    assert_eq!(
        String::from_utf8_lossy(&retry.stdout).trim(),
        "3 dead letters queued again"
    );

    let receiver = Receiver::start(|_| (200, None)).await;
    let server = Server::start(&store, &forward_args(&receiver, "20ms"));
    wait_for("the re-queued events", || receiver.delivered().len() == 3).await;
    let progress: Vec<Value> = receiver
        .delivered()
        .into_iter()
        .map(|seen| seen.body["progress"].clone())
        .collect();
    assert_eq!(progress, [10, 90, 95]);
    let after = get_text(&client, server.url("/events")).await;
    assert_eq!(before, after, "the events survive the restart");
    let (status, state) = get_json(&client, server.url("/jobs/asyncapi/job-r")).await;
    assert_eq!((status, &state["progress"]), (200, &Value::from(95)));

    // Undelivered events survive a restart too: stop before they go out.
    assert!(server.terminate().success());
    let down = Receiver::start(|_| (503, Some("3600"))).await;
    let server = Server::start(&store, &forward_args(&down, "1h"));
    let body = asyncapi_body("job-s", "completed", 100);
    assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
    wait_for("one attempt", || down.seen().len() == 1).await;
    assert!(server.terminate().success());
    let up = Receiver::start(|_| (200, None)).await;
    let _server = Server::start(&store, &forward_args(&up, "20ms"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(up.seen().is_empty(), "Retry-After is kept across a restart");
    assert_eq!(
        query_one(
            &store,
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_burst_loses_no_answered_delivery() {
    let (_dir, store) = temp_store("kill");
    let mut server = Server::start(&store, &["--secret", "asyncapi=async-secret"]);
    let client = reqwest::Client::new();
    let answered = Arc::new(Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for sender in 0..16 {
        let client = client.clone();
        let url = server.url("/webhooks/asyncapi");
        let answered = Arc::clone(&answered);
        senders.push(tokio::spawn(async move {
            for n in 0..100_000 {
                let job = format!("burst-{sender}-{n}");
                let body = asyncapi_body(&job, "in_progress", 50);
                let response = client
                    .post(&url)
                    .header(SIGNATURE_HEADER, sign(ASYNC_SECRET, &body))
                    .body(body)
                    .send()
                    .await;
                match response {
                    Ok(response) if response.status() == 200 => {
                        answered.lock().expect("lock").push(job)
                    }
                    _ => return,
                }
            }
        }));
    }
    wait_for("a few hundred deliveries", || {
        answered.lock().expect("lock").len() > 300
    })
    .await;
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    for sender in senders {
        let _ = tokio::time::timeout(PATIENCE, sender).await;
    }
    let answered = answered.lock().expect("lock").clone();
    let conn = rusqlite::Connection::open(&store).expect("open the store after the crash");
    let mut missing = Vec::new();
    for job in &answered {
        let found: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM jobs j JOIN events e ON e.job_id = j.job_id WHERE j.job_id = ?1",
                [job],
                |row| row.get(0),
            )
            .expect("query");
        if found != 1 {
            missing.push(job.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} answered deliveries lost: {:?}",
        missing.len(),
        answered.len(),
        &missing[..missing.len().min(5)]
    );
    drop(conn);
    // The store opens again, with everything.
    let server = Server::start(&store, &["--secret", "asyncapi=async-secret"]);
    let stored = query_one(&store, "SELECT COUNT(*) FROM deliveries") as usize;
    assert!(stored >= answered.len());
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retain_drops_old_raw_bytes_but_keeps_events_and_states() {
    let (_dir, store) = temp_store("retain");
    let server = Server::start(
        &store,
        &["--secret", "asyncapi=async-secret", "--retain", "1s"],
    );
    let client = reqwest::Client::new();
    let body = asyncapi_body("job-old", "completed", 100);
    assert_eq!(post_signed(&client, &server, &body).await.status(), 200);
    assert_eq!(query_one(&store, "SELECT COUNT(body) FROM deliveries"), 1);
    wait_for("the raw bytes to go", || {
        query_one(&store, "SELECT COUNT(body) FROM deliveries") == 0
    })
    .await;
    assert_eq!(query_one(&store, "SELECT COUNT(*) FROM events"), 1);
    assert_eq!(query_one(&store, "SELECT COUNT(*) FROM jobs"), 1);
    // The hash stays, so the same bytes are still known as a duplicate.
    let (status, answer) = json(post_signed(&client, &server, &body).await).await;
    assert_eq!((status, &answer["duplicate_of"]), (200, &Value::from(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kie_callbacks_are_checked_by_their_hmac_when_given_a_secret() {
    let (_dir, store) = temp_store("kie-hmac");
    let server = Server::start(&store, &["--secret", "kie=kie-hmac-key"]);
    let client = reqwest::Client::new();
    let body = fixture("kie/callback-imagine-success.json");
    let post = |headers: [(&'static str, String); 2]| {
        // A hook URL registered with a trailing slash reaches the same route.
        let mut request = client.post(server.url("/webhooks/kie/")).body(body.clone());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let sent_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64);
    let forged = task_signature_headers("a guess", "mj_task_3c1d5e7f9a2b", sent_at);
    assert_eq!(post(forged).await.expect("POST").status(), 401);
    let other_task = task_signature_headers("kie-hmac-key", "mj_task_other", sent_at);
    assert_eq!(post(other_task).await.expect("POST").status(), 401);
    // The HMAC signs the task and the time, not the body: a captured pair of
    // headers must not vouch for another body later. Without --tolerance the
    // gateway allows five minutes.
    let captured = task_signature_headers("kie-hmac-key", "mj_task_3c1d5e7f9a2b", sent_at - 301);
    assert_eq!(post(captured).await.expect("POST").status(), 401);
    assert_eq!(query_one(&store, "SELECT COUNT(*) FROM events"), 0);

    let signed = task_signature_headers("kie-hmac-key", "mj_task_3c1d5e7f9a2b", sent_at);
    let (status, _) = json(post(signed).await.expect("POST")).await;
    assert_eq!(status, 200);
    assert_eq!(query_one(&store, "SELECT COUNT(*) FROM events"), 1);
}

#[test]
fn a_port_in_use_is_reported() {
    let (_dir, store) = temp_store("busy");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .args(["serve", "--listen", &addr, "--store"])
        .arg(&store)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "no colours off a terminal: {stderr}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn outbox_retry_says_when_it_cannot_write() {
    let (_dir, store) = temp_store("outbox-full");
    let server = Server::start(&store, &["--insecure-accept", "apiframe"]);
    assert!(server.terminate().success());
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let retry = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .args(["outbox", "retry", "--store"])
        .arg(&store)
        .stdout(full)
        .output()
        .expect("run");
    assert_eq!(retry.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&retry.stderr),
        "mjhook: writing output: No space left on device (os error 28)\n"
    );
}

#[test]
fn a_short_forward_key_is_used_with_a_warning() {
    let (_dir, store) = temp_store("short-key");
    let server = Server::start(
        &store,
        &[
            "--insecure-accept",
            "apiframe",
            "--forward",
            "http://127.0.0.1:9/",
            "--forward-secret",
            "nope",
        ],
    );
    let log = server.log();
    assert!(
        log.iter().any(|line| line.contains("key is 3 bytes")),
        "{log:?}"
    );
}

#[test]
fn a_second_server_on_the_same_store_refuses_to_start() {
    let (_dir, store) = temp_store("twice");
    let first = Server::start(&store, &["--insecure-accept", "apiframe"]);
    // The same database by another name is the same store.
    let alias = store.with_file_name("alias.db");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&store, &alias).expect("symlink");
    #[cfg(not(unix))]
    let alias = store.clone();
    for name in [store.clone(), alias] {
        refused_as_taken(&name);
    }
    // Once the first has stopped, the store is free again.
    assert!(first.terminate().success());
    let third = Server::start(&store, &["--insecure-accept", "apiframe"]);
    assert!(third.terminate().success());
}

/// Runs a second `mjhook serve` on `store` and expects it to exit 1 at once,
/// saying that another server holds the store.
fn refused_as_taken(store: &Path) {
    let mut second = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--insecure-accept",
            "apiframe",
            "--store",
        ])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = second.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = second.kill();
            panic!("a second server on the store kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().expect("piped"), &mut stderr)
        .expect("read stderr");
    assert!(
        stderr.contains("is in use by another mjhook serve"),
        "{stderr}"
    );
}

#[test]
fn another_applications_database_is_never_written() {
    let (_dir, store) = temp_store("foreign-db");
    let conn = rusqlite::Connection::open(&store).expect("create");
    conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .expect("another application's table");
    drop(conn);
    let before = std::fs::read(&store).expect("read");
    let outbox = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .args(["outbox", "retry", "--store"])
        .arg(&store)
        .output()
        .expect("run");
    assert_eq!(outbox.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&outbox.stderr);
    assert!(
        stderr.starts_with("mjhook: ") && stderr.contains("is not an mjhook store"),
        "{stderr}"
    );
    let serve = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--insecure-accept",
            "apiframe",
            "--store",
        ])
        .arg(&store)
        .output()
        .expect("run");
    assert_eq!(serve.status.code(), Some(1));
    assert_eq!(
        std::fs::read(&store).expect("read"),
        before,
        "left as it was"
    );

    // An empty file is a store only for `serve`, which makes one of it.
    let (_dir, empty) = temp_store("empty-db");
    std::fs::write(&empty, b"").expect("empty file");
    let outbox = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .args(["outbox", "retry", "--store"])
        .arg(&empty)
        .output()
        .expect("run");
    assert_eq!(outbox.status.code(), Some(1));
    assert!(std::fs::read(&empty).expect("read").is_empty());
}

#[test]
fn a_client_that_never_finishes_its_headers_holds_neither_its_connection_nor_shutdown() {
    use std::io::{Read, Write};
    let (_dir, store) = temp_store("slow-headers");
    let mut server = Server::start(&store, &["--insecure-accept", "apiframe"]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stalled = std::net::TcpStream::connect(&addr).expect("connect");
    stalled
        .write_all(b"POST /webhooks/apiframe HTTP/1.1\r\nHost: example.com\r\n")
        .expect("write");
    stalled
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());
    // The server stops accepting at once, but gives the connection until
    // its headers are due (30 s), then closes it and exits.
    let mut answer = Vec::new();
    let _ = stalled.read_to_end(&mut answer);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "no exit after SIGTERM: {:?}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(40), "exited after {waited:?}");
}
