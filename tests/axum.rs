//! The axum extractor, driven through a router with `tower::ServiceExt::oneshot`.
#![cfg(feature = "axum")]

use std::future::Future;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{FromRef, FromRequest};
use axum::handler::Handler;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use mjhook::axum::{FixedProvider, Verifiers, Webhook};
use mjhook::verify::{secret_header, signature_header, url_with_token, SIGNATURE_HEADER};
use mjhook::{DecodeOptions, JobEvent, Provider, Verifier};
use serde_json::Value;
use tower::ServiceExt as _;

const ASYNCAPI_SECRET: &str = "asyncapi-signing-secret";
const APIFRAME_SECRET: &str = "apiframe-webhook-secret";
const IMAGINE_TOKEN: &str = "imagine url/token";
const MJAPI_TOKEN: &str = "mj-api-token";

async fn receive(webhook: Webhook) -> Json<Vec<JobEvent>> {
    Json(webhook.events)
}

fn verifiers() -> Verifiers {
    Verifiers::new()
        .with(Verifier::new(Provider::Asyncapi).secret(ASYNCAPI_SECRET))
        .with(Verifier::new(Provider::Apiframe).secret(APIFRAME_SECRET))
        .with(Verifier::new(Provider::Imagineapi).secret(IMAGINE_TOKEN))
        .with(Verifier::new(Provider::MidjourneyApi).secret(MJAPI_TOKEN))
}

fn app(verifiers: Verifiers) -> Router {
    Router::new()
        .route("/webhooks/{provider}", post(receive))
        .route(
            "/fixed/asyncapi",
            post(receive).layer(FixedProvider::layer(Provider::Asyncapi)),
        )
        .route("/no-provider", post(receive))
        .route("/other/{id}", post(receive))
        .with_state(verifiers)
}

fn fixture(path: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn post_to(uri: &str, headers: &[(&str, String)], body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(uri);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.body(body.into()).expect("a valid request")
}

async fn send(app: Router, request: Request<Body>) -> (StatusCode, Value) {
    let response: Response = app.oneshot(request).await.expect("infallible");
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value == "application/json");
    assert!(is_json, "{status}: content type {:?}", response.headers());
    let body = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let json = serde_json::from_slice(&body).expect("a JSON body");
    (status, json)
}

fn expected_events(provider: Provider, body: &[u8]) -> Value {
    let events = mjhook::decode_all(Some(provider), body).expect("the fixture decodes");
    serde_json::to_value(events).expect("events serialize")
}

fn signed(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![signature_header(ASYNCAPI_SECRET, body)]
}

/// Asserts the status and the `error` code, and returns the body.
async fn rejected(app: Router, request: Request<Body>, status: StatusCode, code: &str) -> Value {
    let (got, body) = send(app, request).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

#[tokio::test]
async fn a_signed_asyncapi_delivery_is_200_with_its_events() {
    let body = fixture("asyncapi/webhook-completed-imagine.json");
    let request = post_to("/webhooks/asyncapi", &signed(&body), body.clone());
    let (status, json) = send(app(verifiers()), request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, expected_events(Provider::Asyncapi, &body));
    assert_eq!(json.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_batch_body_gives_every_event() {
    let body = fixture("asyncapi/list-jobs-two-jobs.json");
    let request = post_to("/webhooks/asyncapi", &signed(&body), body.clone());
    let (status, json) = send(app(verifiers()), request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json.as_array().map(Vec::len), Some(2));
    assert_eq!(json, expected_events(Provider::Asyncapi, &body));
}

#[tokio::test]
async fn an_apiframe_delivery_with_its_secret_is_200() {
    let body = fixture("apiframe/webhook-finished-imagine-with-status.json");
    let headers = [secret_header(APIFRAME_SECRET)];
    let request = post_to("/webhooks/apiframe", &headers, body.clone());
    let (status, json) = send(app(verifiers()), request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, expected_events(Provider::Apiframe, &body));
}

#[tokio::test]
async fn a_compressed_body_is_415_and_another_label_passes() {
    let body = fixture("apiframe/webhook-finished-imagine-with-status.json");
    // Compressed, or encrypted (RFC 8188): no plain body either way.
    for encoding in ["identity, gzip", "AES128GCM"] {
        let headers = [
            secret_header(APIFRAME_SECRET),
            ("content-encoding", encoding.to_owned()),
        ];
        let request = post_to("/webhooks/apiframe", &headers, body.clone());
        rejected(
            app(verifiers()),
            request,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
        )
        .await;
    }
    let labelled = [
        secret_header(APIFRAME_SECRET),
        ("content-encoding", "utf-8".to_owned()),
    ];
    let request = post_to("/webhooks/apiframe", &labelled, body.clone());
    let (status, json) = send(app(verifiers()), request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, expected_events(Provider::Apiframe, &body));
}

#[tokio::test]
async fn url_token_providers_read_the_query() {
    let body = fixture("imagineapi/webhook-update-completed.json");
    let uri = url_with_token("/webhooks/imagineapi?src=mj", "token", IMAGINE_TOKEN);
    let (status, json) = send(app(verifiers()), post_to(&uri, &[], body.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, expected_events(Provider::Imagineapi, &body));

    // `-` and `_` are alike in the provider segment.
    let body = fixture("midjourney_api/job-status-single-record.json");
    let uri = url_with_token("/webhooks/midjourney-api", "token", MJAPI_TOKEN);
    let (status, json) = send(app(verifiers()), post_to(&uri, &[], body.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, expected_events(Provider::MidjourneyApi, &body));

    let uri = url_with_token("/webhooks/imagineapi", "token", "a guess");
    let request = post_to(
        &uri,
        &[],
        fixture("imagineapi/webhook-update-completed.json"),
    );
    rejected(
        app(verifiers()),
        request,
        StatusCode::UNAUTHORIZED,
        "not_authentic",
    )
    .await;

    let request = post_to("/webhooks/imagineapi", &[], body);
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::UNAUTHORIZED,
        "not_authentic",
    )
    .await;
    assert!(
        json["message"].as_str().unwrap_or("").contains("token"),
        "{json}"
    );
}

#[tokio::test]
async fn a_fixed_provider_route_needs_no_path_parameter() {
    let body = fixture("asyncapi/webhook-progress-in-progress.json");
    let request = post_to("/fixed/asyncapi", &signed(&body), body.clone());
    let (status, json) = send(app(verifiers()), request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, expected_events(Provider::Asyncapi, &body));
}

#[tokio::test]
async fn deliveries_that_are_not_authentic_are_401() {
    let body = fixture("asyncapi/webhook-completed-imagine.json");
    let forged = [signature_header("a guess", &body)];
    let request = post_to("/webhooks/asyncapi", &forged, body.clone());
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::UNAUTHORIZED,
        "not_authentic",
    )
    .await;
    assert!(!json.to_string().contains(ASYNCAPI_SECRET));
    assert_eq!(json["provider"], "asyncapi");

    let request = post_to("/webhooks/asyncapi", &[], body.clone());
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::UNAUTHORIZED,
        "not_authentic",
    )
    .await;
    assert!(
        json["message"]
            .as_str()
            .unwrap_or("")
            .contains(SIGNATURE_HEADER),
        "{json}"
    );

    // The signature of other bytes: the body was changed on the way.
    let mut tampered = body.clone();
    tampered.push(b'\n');
    let request = post_to("/webhooks/asyncapi", &signed(&body), tampered);
    rejected(
        app(verifiers()),
        request,
        StatusCode::UNAUTHORIZED,
        "not_authentic",
    )
    .await;

    let body = fixture("apiframe/webhook-finished-imagine-with-status.json");
    let request = post_to("/webhooks/apiframe", &[secret_header("wrong")], body);
    rejected(
        app(verifiers()),
        request,
        StatusCode::UNAUTHORIZED,
        "not_authentic",
    )
    .await;
}

#[tokio::test]
async fn a_stale_signed_timestamp_is_401() {
    let verifiers = Verifiers::new().with(
        Verifier::new(Provider::Asyncapi)
            .secret(ASYNCAPI_SECRET)
            .tolerance(Duration::from_secs(300)),
    );
    // The fixture's timestamp is years old.
    let body = fixture("asyncapi/webhook-completed-imagine.json");
    let request = post_to("/webhooks/asyncapi", &signed(&body), body);
    rejected(
        app(verifiers),
        request,
        StatusCode::UNAUTHORIZED,
        "not_authentic",
    )
    .await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let small = Verifiers::new().with(
        Verifier::new(Provider::Asyncapi)
            .secret(ASYNCAPI_SECRET)
            .decode_options(DecodeOptions::new().max_bytes(64)),
    );
    let body = fixture("asyncapi/webhook-completed-imagine.json");
    assert!(body.len() > 64);
    let request = post_to("/webhooks/asyncapi", &signed(&body), body.clone());
    let json = rejected(
        app(small.clone()),
        request,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    )
    .await;
    assert_eq!(json["limit"], 64);
    assert_eq!(json["provider"], "asyncapi");

    // No declared length: the limit stops the stream.
    let chunks: Vec<Result<Bytes, std::io::Error>> = body
        .chunks(16)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    let streamed = Body::from_stream(futures_util::stream::iter(chunks));
    let request = post_to("/webhooks/asyncapi", &signed(&body), streamed);
    rejected(
        app(small.clone()),
        request,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    )
    .await;

    // A body exactly at the limit is read; one byte less is refused.
    for (limit, status) in [
        (body.len(), StatusCode::OK),
        (body.len() - 1, StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let verifiers = Verifiers::new().with(
            Verifier::new(Provider::Asyncapi)
                .secret(ASYNCAPI_SECRET)
                .decode_options(DecodeOptions::new().max_bytes(limit)),
        );
        let request = post_to("/webhooks/asyncapi", &signed(&body), body.clone());
        let (got, json) = send(app(verifiers), request).await;
        assert_eq!(got, status, "limit {limit}: {json}");
    }

    // The default limit.
    let huge = vec![b' '; DecodeOptions::DEFAULT_MAX_BYTES + 1];
    let request = post_to("/webhooks/asyncapi", &signed(&huge), huge);
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    )
    .await;
    assert_eq!(json["limit"], DecodeOptions::DEFAULT_MAX_BYTES);
}

#[tokio::test]
async fn authentic_bodies_that_are_not_json_are_400() {
    for body in [&b"not json"[..], b"", b"{\"job_id\": "] {
        let request = post_to("/webhooks/asyncapi", &signed(body), body.to_vec());
        let json = rejected(
            app(verifiers()),
            request,
            StatusCode::BAD_REQUEST,
            "not_json",
        )
        .await;
        assert_eq!(json["provider"], "asyncapi", "{json}");
    }
    let request = post_to("/webhooks/asyncapi", &signed(b"{\n  x"), &b"{\n  x"[..]);
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::BAD_REQUEST,
        "not_json",
    )
    .await;
    assert_eq!(
        (json["line"].clone(), json["column"].clone()),
        (2.into(), 3.into())
    );
}

#[tokio::test]
async fn authentic_json_that_is_no_job_event_of_the_provider_is_422() {
    // JSON, but no object: 422, as `mjhook serve` answers it.
    for body in [&b"[1, 2]"[..], b"\"a string\"", b"null"] {
        let request = post_to("/webhooks/asyncapi", &signed(body), body.to_vec());
        rejected(
            app(verifiers()),
            request,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_job_event",
        )
        .await;
    }

    // Another vendor's format.
    let body = fixture("apiframe/webhook-finished-imagine-with-status.json");
    let request = post_to("/webhooks/asyncapi", &signed(&body), body);
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_a_job_event",
    )
    .await;
    assert_eq!(json["provider"], "asyncapi");

    // A field of the wrong type: the path names it.
    let body = br#"{"event":"job.progress","job_id":"j-1","status":"in_progress","progress":"lots","timestamp":"2024-05-01T12:00:20Z"}"#;
    let request = post_to("/webhooks/asyncapi", &signed(body), body.to_vec());
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_a_job_event",
    )
    .await;
    assert_eq!(json["path"], "progress", "{json}");

    let body = b"{}";
    let request = post_to(
        "/webhooks/apiframe",
        &[secret_header(APIFRAME_SECRET)],
        body.to_vec(),
    );
    rejected(
        app(verifiers()),
        request,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_a_job_event",
    )
    .await;
}

#[tokio::test]
async fn a_verifier_that_cannot_check_anything_is_500() {
    let body = fixture("asyncapi/webhook-completed-imagine.json");
    let no_secret = Verifiers::new().with(Verifier::new(Provider::Asyncapi));
    let request = post_to("/webhooks/asyncapi", &signed(&body), body.clone());
    let json = rejected(
        app(no_secret),
        request,
        StatusCode::INTERNAL_SERVER_ERROR,
        "verifier_misconfigured",
    )
    .await;
    assert_eq!(json["provider"], "asyncapi");

    let empty_secret = Verifiers::new().with(Verifier::new(Provider::Asyncapi).secret(""));
    let request = post_to("/webhooks/asyncapi", &signed(&body), body.clone());
    rejected(
        app(empty_secret),
        request,
        StatusCode::INTERNAL_SERVER_ERROR,
        "verifier_misconfigured",
    )
    .await;

    // A replay window for a provider that signs no timestamp.
    let window = Verifiers::new().with(
        Verifier::new(Provider::Imagineapi)
            .secret(IMAGINE_TOKEN)
            .tolerance(Duration::from_secs(60)),
    );
    let uri = url_with_token("/webhooks/imagineapi", "token", IMAGINE_TOKEN);
    let request = post_to(
        &uri,
        &[],
        fixture("imagineapi/webhook-update-completed.json"),
    );
    rejected(
        app(window),
        request,
        StatusCode::INTERNAL_SERVER_ERROR,
        "verifier_misconfigured",
    )
    .await;

    // A route that names no provider is the router's mistake.
    let request = post_to("/no-provider", &signed(&body), body.clone());
    rejected(
        app(verifiers()),
        request,
        StatusCode::INTERNAL_SERVER_ERROR,
        "no_provider",
    )
    .await;
    let request = post_to("/other/7", &signed(&body), body);
    rejected(
        app(verifiers()),
        request,
        StatusCode::INTERNAL_SERVER_ERROR,
        "no_provider",
    )
    .await;
}

#[tokio::test]
async fn unknown_and_unconfigured_providers_are_404() {
    let body = fixture("asyncapi/webhook-completed-imagine.json");
    let request = post_to("/webhooks/nope", &signed(&body), body.clone());
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::NOT_FOUND,
        "unknown_provider",
    )
    .await;
    assert!(
        json["message"].as_str().unwrap_or("").contains("\"nope\""),
        "{json}"
    );

    let long = format!("/webhooks/{}", "y".repeat(5000));
    let json = rejected(
        app(verifiers()),
        post_to(&long, &[], Body::empty()),
        StatusCode::NOT_FOUND,
        "unknown_provider",
    )
    .await;
    assert!(json["message"].as_str().unwrap_or("").len() < 400, "{json}");

    let request = post_to("/webhooks/goapi", &[secret_header("s")], body.clone());
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::NOT_FOUND,
        "provider_not_configured",
    )
    .await;
    assert_eq!(json["provider"], "goapi");

    let request = post_to("/webhooks/%FF", &signed(&body), body);
    rejected(
        app(verifiers()),
        request,
        StatusCode::BAD_REQUEST,
        "bad_path",
    )
    .await;
}

#[tokio::test]
async fn a_body_that_fails_to_arrive_is_400() {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"{\"event\":")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "peer went away",
        )),
    ];
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    let request = post_to("/webhooks/asyncapi", &signed(b"x"), body);
    let json = rejected(
        app(verifiers()),
        request,
        StatusCode::BAD_REQUEST,
        "body_unreadable",
    )
    .await;
    assert!(
        json["message"]
            .as_str()
            .unwrap_or("")
            .contains("peer went away"),
        "{json}"
    );
}

/// An application state that holds the verifiers among other things.
#[derive(Clone)]
struct AppState {
    verifiers: Verifiers,
    greeting: &'static str,
}

impl FromRef<AppState> for Verifiers {
    fn from_ref(state: &AppState) -> Verifiers {
        state.verifiers.clone()
    }
}

#[tokio::test]
async fn the_verifiers_can_live_in_an_application_state() {
    async fn greet(
        axum::extract::State(state): axum::extract::State<AppState>,
        webhook: Webhook,
    ) -> String {
        format!("{} {}", state.greeting, webhook.events.len())
    }
    let state = AppState {
        verifiers: verifiers(),
        greeting: "got",
    };
    let app = Router::new()
        .route("/webhooks/{provider}", post(greet))
        .with_state(state);
    let body = fixture("asyncapi/list-jobs-two-jobs.json");
    let response = app
        .oneshot(post_to("/webhooks/asyncapi", &signed(&body), body))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let text = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    assert_eq!(&text[..], b"got 2");
}

#[tokio::test]
async fn the_webhook_keeps_the_raw_body_and_provider() {
    let body = fixture("asyncapi/webhook-completed-imagine.json");
    // Outside a router there is no path parameter: the provider is fixed.
    let mut request = post_to("/webhooks/asyncapi", &signed(&body), body.clone());
    request
        .extensions_mut()
        .insert(FixedProvider(Provider::Asyncapi));
    let webhook = Webhook::from_request(request, &verifiers())
        .await
        .expect("accepted");
    assert_eq!(webhook.provider, Provider::Asyncapi);
    assert_eq!(&webhook.body[..], &body[..]);
    assert_eq!(webhook.events.len(), 1);
}

fn assert_handler<H: Handler<T, S>, T, S>(_: &H) {}
fn assert_send<F: Future + Send>(future: F) -> F {
    future
}

#[tokio::test]
async fn the_extractor_holds_in_send_handlers() {
    // A handler that awaits after extracting, as real ones do.
    async fn store(webhook: Webhook) -> Json<usize> {
        tokio::task::yield_now().await;
        Json(webhook.events.len())
    }
    assert_handler::<_, _, Verifiers>(&store);
    assert_handler::<_, _, Verifiers>(&receive);

    let body = fixture("asyncapi/webhook-completed-imagine.json");
    let mut request = post_to("/webhooks/asyncapi", &signed(&body), body);
    request
        .extensions_mut()
        .insert(FixedProvider(Provider::Asyncapi));
    let state = verifiers();
    let extracting = assert_send(Webhook::from_request(request, &state));
    // And it runs on another task of the multi-threaded runtime.
    let handle = tokio::spawn(async move {
        let response = app(verifiers())
            .oneshot(post_to("/webhooks/nope", &[], Body::empty()))
            .await;
        response.map(|r| r.status())
    });
    assert_eq!(
        handle.await.ok().and_then(Result::ok),
        Some(StatusCode::NOT_FOUND)
    );
    assert!(extracting.await.is_ok());
}
