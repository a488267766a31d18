//! A webhook receiver built on the standard library alone: it verifies each
//! delivery, decodes it, folds its events into a shared [`Tracker`] and
//! serves the tracked jobs.
//!
//! ```text
//! POST /webhooks/<provider>   asyncapi, apiframe, goapi, imagineapi, midjourney_api,
//!                             midjourney_proxy, ttapi
//! GET  /jobs                  every tracked job's state, as a JSON array
//! ```
//!
//! The route names the provider, so nothing is guessed from the body. Each
//! provider is configured by one environment variable; a provider without one
//! answers 500, since the fault is the receiver's, not the sender's:
//!
//! | provider | variable | the sender proves it with |
//! |---|---|---|
//! | `asyncapi` | `MJHOOK_ASYNCAPI_SECRET` | `X-Midjourney-Signature`, an HMAC of the body |
//! | `apiframe` | `MJHOOK_APIFRAME_SECRET` | the secret echoed in `x-webhook-secret` |
//! | `goapi` | `MJHOOK_GOAPI_SECRET` | the same |
//! | `imagineapi` | `MJHOOK_IMAGINEAPI_TOKEN` | `?token=…` in the hook URL you register |
//! | `midjourney_api` | `MJHOOK_MIDJOURNEY_API_TOKEN` | the same |
//! | `midjourney_proxy` | `MJHOOK_MIDJOURNEY_PROXY_TOKEN` | the same |
//! | `ttapi` | `MJHOOK_TTAPI_TOKEN` | the same |
//!
//! Run it (the listen address is the first argument, else `MJHOOK_LISTEN`,
//! else `127.0.0.1:8080`):
//!
//! ```sh
//! MJHOOK_ASYNCAPI_SECRET=whsec-demo cargo run --example receiver
//! ```
//!
//! Then send it what the vendor would. The signature is the one
//! `mjhook verify --provider asyncapi` checks: the hex HMAC-SHA256 of the raw
//! body, so sign exactly the bytes you send.
//!
//! ```sh
//! BODY='{"event":"job.progress","job_id":"j-1","status":"in_progress","progress":45,"timestamp":"2024-05-01T12:00:20Z"}'
//! SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac whsec-demo | awk '{print $NF}')
//! curl -i http://127.0.0.1:8080/webhooks/asyncapi -H "X-Midjourney-Signature: $SIG" --data-binary "$BODY"
//! curl -s http://127.0.0.1:8080/jobs
//! ```
//!
//! For `apiframe`/`goapi` send `-H "x-webhook-secret: $SECRET"` instead; for
//! `imagineapi`/`midjourney_api` post to `/webhooks/imagineapi?token=$TOKEN`.
//!
//! Answers: 200 with the number of events accepted; 401 when the request is
//! not authentic; 422 with the reason when it is authentic but not a job
//! event; 500 when the provider's variable is unset; 400, 404, 405, 408,
//! 411, 413 and 431 for HTTP-level problems. One request per connection, one
//! thread per connection: enough for an example, not a production server (put
//! a real one, and TLS, in front).

use std::env;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use mjhook::verify::Method;
use mjhook::{DecodeOptions, Provider, ReceiveError, Request, Tracker, Verifier};

/// The request line and headers together; a sender needs far less.
const MAX_HEAD: usize = 16 * 1024;
/// The same limit the verifier applies, checked before the body is read so an
/// oversize delivery costs no memory.
const MAX_BODY: usize = DecodeOptions::DEFAULT_MAX_BYTES;
const TIMEOUT: Duration = Duration::from_secs(10);

struct State {
    verifiers: Vec<Verifier>,
    tracker: Mutex<Tracker>,
}

impl State {
    /// `lookup` reads a variable by name: the environment in `main`, a fixed
    /// list in the tests.
    fn new(lookup: impl Fn(&str) -> Option<String>) -> State {
        let verifiers = Provider::ALL
            .into_iter()
            .map(|provider| {
                let verifier = Verifier::new(provider);
                match lookup(&variable(provider)) {
                    Some(secret) => verifier.secret(secret),
                    None => verifier,
                }
            })
            .collect();
        State {
            verifiers,
            tracker: Mutex::new(Tracker::new()),
        }
    }
}

fn variable(provider: Provider) -> String {
    let kind = match Method::of(provider) {
        Method::UrlToken => "TOKEN",
        _ => "SECRET",
    };
    format!("MJHOOK_{}_{kind}", provider.as_str().to_ascii_uppercase())
}

fn main() -> io::Result<()> {
    let addr = env::args()
        .nth(1)
        .or_else(|| env::var("MJHOOK_LISTEN").ok())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let state = Arc::new(State::new(|name| env::var(name).ok()));
    let listener = TcpListener::bind(&addr)?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    for provider in Provider::ALL {
        let set = env::var_os(variable(provider)).is_some_and(|v| !v.is_empty());
        let note = if set { "set" } else { "NOT SET: answers 500" };
        eprintln!(
            "  POST /webhooks/{provider}  ({} {note})",
            variable(provider)
        );
    }
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                eprintln!("accept: {error}");
                continue;
            }
        };
        let state = Arc::clone(&state);
        // Builder rather than thread::spawn: running out of threads is logged,
        // not a panic that takes the listener down.
        let spawned = thread::Builder::new().spawn(move || {
            // A sender that stalls must not hold its thread for ever.
            let timeouts = stream
                .set_read_timeout(Some(TIMEOUT))
                .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)));
            if timeouts.is_ok() {
                handle(stream, &state);
            }
        });
        if let Err(error) = spawned {
            eprintln!("spawn: {error}");
        }
    }
    Ok(())
}

/// Serves one request on `stream` and answers it.
fn handle<S: Read + Write>(mut stream: S, state: &State) {
    let reply = {
        let mut reader = BufReader::new(&mut stream);
        respond(&mut reader, state).unwrap_or_else(|reply| reply)
    };
    let allow = reply.allow.map(|m| format!("Allow: {m}\r\n"));
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n",
        reply.status,
        reason(reply.status),
        reply.content_type,
        reply.body.len(),
        allow.unwrap_or_default(),
    );
    // The sender may be gone already; there is nobody left to tell.
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&reply.body))
        .and_then(|()| stream.flush());
}

struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    allow: Option<&'static str>,
}

fn text(status: u16, message: impl Into<String>) -> Reply {
    let mut body = message.into().into_bytes();
    body.push(b'\n');
    Reply {
        status,
        content_type: "text/plain; charset=utf-8",
        body,
        allow: None,
    }
}

fn json(body: Vec<u8>) -> Reply {
    Reply {
        status: 200,
        content_type: "application/json",
        body,
        allow: None,
    }
}

fn not_allowed(allow: &'static str) -> Reply {
    Reply {
        allow: Some(allow),
        ..text(405, "method not allowed")
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

/// Reads the request (routing before the body, so a wrong route or an
/// oversize body is refused unread) and decides the answer. `Err` is an early
/// answer, so `?` can stop anywhere.
fn respond(reader: &mut impl BufRead, state: &State) -> Result<Reply, Reply> {
    let mut budget = MAX_HEAD;
    let line = read_line(reader, &mut budget)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(text(400, "malformed request line"));
    };
    if !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Err(text(400, "malformed request line"));
    }
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .filter(|(name, _)| !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| text(400, "malformed header"))?;
        headers.push((name.to_owned(), value.trim().as_bytes().to_vec()));
    }

    let path = target.split(['?', '#']).next().unwrap_or_default();
    if path == "/jobs" {
        if method != "GET" {
            return Err(not_allowed("GET"));
        }
        let tracker = state.tracker.lock().unwrap_or_else(PoisonError::into_inner);
        let states: Vec<_> = tracker.iter().collect();
        return serde_json::to_vec(&states)
            .map(json)
            .map_err(|error| text(500, error.to_string()));
    }
    let provider = path
        .strip_prefix("/webhooks/")
        .and_then(|name| name.parse::<Provider>().ok())
        .ok_or_else(|| text(404, "no such route"))?;
    if method != "POST" {
        return Err(not_allowed("POST"));
    }
    let body = read_body(reader, &headers)?;
    let verifier = state
        .verifiers
        .iter()
        .find(|verifier| verifier.provider() == provider)
        .ok_or_else(|| text(500, "no verifier"))?;
    // The request target carries the query, which is all a URL-token check
    // reads. It is never logged: it holds the token.
    let request = Request::new(&body).headers(&headers).url(target);
    match verifier.verify_and_decode_all(&request) {
        Ok(events) => {
            let mut tracker = state.tracker.lock().unwrap_or_else(PoisonError::into_inner);
            for event in &events {
                let applied = tracker.apply(event);
                // Debug-quote the job id: it is the sender's text, and must
                // not be able to forge log lines.
                eprintln!(
                    "{provider} {:?} {}: {applied:?}",
                    event.job_id.as_str(),
                    event.status
                );
            }
            Ok(json(
                format!("{{\"accepted\":{}}}\n", events.len()).into_bytes(),
            ))
        }
        Err(ReceiveError::Verify(error)) if error.is_configuration() => {
            eprintln!("{provider}: misconfigured: {error}");
            Err(text(500, "receiver misconfigured"))
        }
        // The reason goes to the log, not to a sender who may be probing.
        Err(ReceiveError::Verify(error)) => {
            eprintln!("{provider}: refused: {error}");
            Err(text(401, "not authentic"))
        }
        // Authentic but unreadable: the vendor's integrator needs the reason.
        Err(ReceiveError::Decode(error)) => {
            eprintln!("{provider}: undecodable: {error}");
            Err(text(422, error.to_string()))
        }
        Err(error) => Err(text(500, error.to_string())),
    }
}

/// One header line, without its line ending, charged against `budget`.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<String, Reply> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX);
    let read = reader
        .take(limit)
        .read_until(b'\n', &mut line)
        .map_err(io_reply)?;
    *budget = budget.saturating_sub(read);
    if line.pop() != Some(b'\n') {
        return Err(if *budget == 0 {
            text(431, "request head too large")
        } else {
            text(400, "truncated request")
        });
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| text(400, "request head is not UTF-8"))
}

fn read_body(reader: &mut impl BufRead, headers: &[(String, Vec<u8>)]) -> Result<Vec<u8>, Reply> {
    let named = |name: &'static str| {
        headers
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
    };
    // Chunked bodies are not supported, and a request with both framings is
    // the classic smuggling shape: ask for a plain Content-Length.
    if named("transfer-encoding").next().is_some() {
        return Err(text(411, "send a Content-Length, not a Transfer-Encoding"));
    }
    let mut lengths = named("content-length").map(|(_, value)| value);
    let value = match (lengths.next(), lengths.next()) {
        (Some(value), None) => value,
        (None, _) => return Err(text(411, "send a Content-Length")),
        _ => return Err(text(400, "several Content-Length headers")),
    };
    // Digits only: `str::parse` would also take a leading `+`.
    let length = Some(value)
        .filter(|value| !value.is_empty() && value.iter().all(u8::is_ascii_digit))
        .and_then(|value| std::str::from_utf8(value).ok()?.parse::<usize>().ok())
        .ok_or_else(|| text(400, "malformed Content-Length"))?;
    if length > MAX_BODY {
        return Err(text(413, format!("body over {MAX_BODY} bytes")));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(io_reply)?;
    Ok(body)
}

fn io_reply(error: io::Error) -> Reply {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => text(408, "timed out"),
        _ => text(400, "truncated request"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mjhook::verify::{secret_header, signature_header, url_with_token};
    use std::io::Cursor;

    /// A connection: the request to read, and what the server wrote back.
    struct Duplex {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Duplex {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Duplex {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const BODY: &str = r#"{"event":"job.progress","job_id":"j-1","status":"in_progress","progress":45,"timestamp":"2024-05-01T12:00:20Z"}"#;

    fn state() -> State {
        State::new(|name| match name {
            "MJHOOK_ASYNCAPI_SECRET" => Some("whsec-demo".into()),
            "MJHOOK_APIFRAME_SECRET" => Some("frame-secret".into()),
            "MJHOOK_MIDJOURNEY_API_TOKEN" => Some("tok en".into()),
            _ => None,
        })
    }

    /// Sends raw bytes; returns the status code and the response body.
    fn exchange(state: &State, raw: &[u8]) -> (u16, String) {
        let mut duplex = Duplex {
            input: Cursor::new(raw.to_vec()),
            output: Vec::new(),
        };
        handle(&mut duplex, state);
        let response = String::from_utf8_lossy(&duplex.output).into_owned();
        let status = response
            .get(9..12)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    fn post(state: &State, target: &str, headers: &[(&str, String)], body: &str) -> (u16, String) {
        let mut raw = format!("POST {target} HTTP/1.1\r\nHost: test\r\n");
        for (name, value) in headers {
            raw.push_str(&format!("{name}: {value}\r\n"));
        }
        raw.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        exchange(state, raw.as_bytes())
    }

    fn jobs(state: &State) -> serde_json::Value {
        let (status, body) = exchange(state, b"GET /jobs HTTP/1.1\r\n\r\n");
        assert_eq!(status, 200);
        serde_json::from_str(&body).unwrap_or_default()
    }

    #[test]
    fn a_signed_webhook_is_tracked() {
        let state = state();
        let signed = [signature_header("whsec-demo", BODY.as_bytes())];
        assert_eq!(post(&state, "/webhooks/asyncapi", &signed, BODY).0, 200);
        let jobs = jobs(&state);
        assert_eq!(jobs[0]["job_id"], "j-1");
        assert_eq!(jobs[0]["progress"], 45);
    }

    #[test]
    fn a_bad_signature_is_401_and_not_tracked() {
        let state = state();
        let forged = [signature_header("a guess", BODY.as_bytes())];
        assert_eq!(post(&state, "/webhooks/asyncapi", &forged, BODY).0, 401);
        assert_eq!(post(&state, "/webhooks/asyncapi", &[], BODY).0, 401);
        assert_eq!(jobs(&state), serde_json::json!([]));
    }

    #[test]
    fn routes_and_methods() {
        let state = state();
        assert_eq!(post(&state, "/hooks/asyncapi", &[], BODY).0, 404);
        assert_eq!(post(&state, "/webhooks/stripe", &[], BODY).0, 404);
        assert_eq!(
            exchange(&state, b"GET /webhooks/asyncapi HTTP/1.1\r\n\r\n").0,
            405
        );
        assert_eq!(post(&state, "/jobs", &[], "").0, 405);
        // No secret configured: the receiver's fault, not the sender's.
        assert_eq!(
            post(&state, "/webhooks/goapi", &[secret_header("")], "{}").0,
            500
        );
    }

    #[test]
    fn an_oversize_body_is_refused_unread() {
        let raw = format!(
            "POST /webhooks/asyncapi HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert_eq!(exchange(&state(), raw.as_bytes()).0, 413);
    }

    #[test]
    fn an_authentic_body_that_is_no_job_is_422() {
        let state = state();
        let secret = [secret_header("frame-secret")];
        let (status, message) = post(&state, "/webhooks/apiframe", &secret, "garbage");
        assert_eq!(status, 422);
        assert!(message.contains("apiframe"), "{message}");
    }

    #[test]
    fn url_tokens_are_read_from_the_target() {
        let state = state();
        let body = r#"{"taskId":"t-9","status":0}"#;
        let url = url_with_token("/webhooks/midjourney_api", "token", "tok en");
        assert_eq!(post(&state, &url, &[], body).0, 200);
        assert_eq!(
            post(&state, "/webhooks/midjourney_api?token=x", &[], body).0,
            401
        );
        assert_eq!(jobs(&state)[0]["job_id"], "t-9");
    }

    #[test]
    fn malformed_requests_get_4xx_not_panics() {
        let state = state();
        let hook = |rest: &str| format!("POST /webhooks/asyncapi HTTP/1.1\r\n{rest}\r\n");
        let cases: [(Vec<u8>, u16); 12] = [
            (b"".to_vec(), 400),
            (b"\xff\xfe\r\n\r\n".to_vec(), 400),
            (b"GET /jobs\r\n\r\n".to_vec(), 400),
            (b"GET jobs HTTP/1.1\r\n\r\n".to_vec(), 400),
            (b"GET /jobs HTTP/1.1\r\nno colon\r\n\r\n".to_vec(), 400),
            (b"GET /jobs HTTP/1.1\r\n".to_vec(), 400),
            (hook("").into(), 411),
            (hook("Transfer-Encoding: chunked\r\n").into(), 411),
            (hook("Content-Length: +5\r\n").into(), 400),
            (
                hook("Content-Length: 2\r\ncontent-length: 2\r\n").into(),
                400,
            ),
            (hook("Content-Length: 99\r\n\r\n{}").into(), 400),
            (
                hook(&format!("X: {}\r\n", "a".repeat(MAX_HEAD))).into(),
                431,
            ),
        ];
        for (raw, expected) in cases {
            let shown = String::from_utf8_lossy(raw.get(..60).unwrap_or(&raw)).into_owned();
            let (status, message) = exchange(&state, &raw);
            assert_eq!(status, expected, "{shown}: {message}");
        }
        // Every cut of a good request is refused, none accepted or panicking.
        let signed = format!(
            "POST /webhooks/asyncapi HTTP/1.1\r\nX-Midjourney-Signature: {}\r\nContent-Length: {}\r\n\r\n{BODY}",
            signature_header("whsec-demo", BODY.as_bytes()).1,
            BODY.len()
        );
        for cut in 0..signed.len() {
            let status = exchange(&state, &signed.as_bytes()[..cut]).0;
            assert!((400..500).contains(&status), "{cut}: {status}");
        }
        assert_eq!(exchange(&state, signed.as_bytes()).0, 200);
    }
}
