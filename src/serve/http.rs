//! The routes of `mjhook serve`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, OriginalUri, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use rusqlite::Connection;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};
use tower_http::timeout::TimeoutLayer;

use crate::error::DecodeError;
use crate::verify::Request as VerifyRequest;
use crate::{DecodeOptions, JobStatus, Provider, ReceiveError};

use super::config::{Auth, Config};
use super::forward::{blocking, lock};
use super::{store, Error, Job, Message};

/// A request that takes longer than this (a slow sender trickling its body)
/// is answered 408 and its connection closed.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The most items one `/jobs` or `/events` page holds.
const MAX_PAGE: usize = 1000;
const DEFAULT_PAGE: usize = 100;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Inner>);

struct Inner {
    providers: BTreeMap<Provider, Auth>,
    queue: mpsc::Sender<Message>,
    reader: Arc<Mutex<Connection>>,
    api_token: Option<secrecy::SecretString>,
    max_body: usize,
    metrics: PrometheusHandle,
    /// Why the last delivery could not be committed, until one is: the
    /// store may answer reads while it refuses every write (a full disk).
    commit_failure: Mutex<Option<String>>,
}

impl AppState {
    pub fn new(
        config: &Config,
        queue: mpsc::Sender<Message>,
        reader: Arc<Mutex<Connection>>,
        metrics: PrometheusHandle,
    ) -> AppState {
        // Scraped from the start: a rate or an alert needs the series at 0.
        for provider in config.providers.keys() {
            metrics::counter!("mjhook_deliveries_accepted_total", "provider" => provider.as_str())
                .increment(0);
        }
        metrics::counter!("mjhook_deliveries_duplicate_total").increment(0);
        AppState(Arc::new(Inner {
            providers: config.providers.clone(),
            queue,
            reader,
            api_token: config.api_token.clone(),
            max_body: config.max_body,
            metrics,
            commit_failure: Mutex::new(None),
        }))
    }
}

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use.
pub(crate) fn metrics_handle() -> Result<PrometheusHandle, Error> {
    if let Some(handle) = METRICS.get() {
        return Ok(handle.clone());
    }
    let build = || {
        PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("mjhook_commit_batch_size".into()),
                &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
            )?
            .set_buckets_for_metric(
                Matcher::Full("mjhook_commit_seconds".into()),
                &[
                    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ],
            )?
            .install_recorder()
    };
    let handle = build().map_err(|err| Error::Internal(format!("cannot set up metrics: {err}")))?;
    describe_metrics();
    Ok(METRICS.get_or_init(|| handle).clone())
}

fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "mjhook_deliveries_accepted_total",
        "Deliveries committed and answered 200 (first copies)."
    );
    describe_counter!(
        "mjhook_deliveries_rejected_total",
        "Deliveries refused, by reason."
    );
    describe_counter!(
        "mjhook_deliveries_duplicate_total",
        "Deliveries whose exact bytes were already accepted."
    );
    describe_histogram!(
        "mjhook_commit_batch_size",
        Unit::Count,
        "Deliveries per store transaction."
    );
    describe_histogram!(
        "mjhook_commit_seconds",
        Unit::Seconds,
        "Time to write and commit one transaction."
    );
    describe_counter!(
        "mjhook_forwarded_total",
        "Events the --forward receiver accepted."
    );
    describe_counter!(
        "mjhook_forward_retries_total",
        "Forward attempts that failed and were scheduled again."
    );
    describe_counter!(
        "mjhook_dead_letters_total",
        "Events given up after the last attempt."
    );
    describe_gauge!("mjhook_outbox_pending", "Events waiting to be forwarded.");
    describe_gauge!(
        "mjhook_outbox_dead_letters",
        "Dead letters in the store (mjhook outbox retry re-queues them)."
    );
    describe_gauge!(
        "mjhook_outbox_lag_seconds",
        Unit::Seconds,
        "Age of the oldest event waiting to be forwarded."
    );
    describe_gauge!(
        "mjhook_forward_gone",
        "1 after the receiver answered 410 Gone and forwarding stopped."
    );
}

/// The gateway's routes.
pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/jobs", get(list_jobs))
        .route("/jobs/{provider}/{job_id}", get(get_job))
        .route("/events", get(list_events))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    let webhooks = Router::new()
        .route("/webhooks/{provider}", post(receive))
        // As registered with a vendor, a hook URL may end in a slash.
        .route("/webhooks/{provider}/", post(receive))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_declared_oversize,
        ));
    Router::new()
        .merge(webhooks)
        .route("/healthz", get(healthz))
        .route("/metrics", get(render_metrics))
        .merge(api)
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "not_found", "no such route".into()) })
        .layer(DefaultBodyLimit::max(state.0.max_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::map_response(explain_bare_errors))
        .with_state(state)
}

/// Every answer but a success carries a JSON `{error, message}` body: the
/// ones axum and tower-http make without one (405 for a wrong method, 408
/// for a sender too slow) get it here.
async fn explain_bare_errors(response: Response) -> Response {
    let status = response.status();
    if status.is_success() || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "this route does not take that method")
        }
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "the request did not arrive in time"),
        _ => ("error", status.canonical_reason().unwrap_or("error")),
    };
    let mut answer = problem(status, code, message.to_owned());
    if let Some(allow) = response.headers().get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}

/// `--bare`: the same listener answering every POST with an empty 200.
pub(crate) fn bare_router() -> Router {
    Router::new().route(
        "/webhooks/{provider}",
        post(|_body: Bytes| async { StatusCode::OK }),
    )
}

/// A JSON error body: `{"error": code, "message": …}`.
fn problem(status: StatusCode, code: &str, message: String) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

/// Refuses a delivery to `/webhooks/{route}` (`route` as the request gave
/// it, which the log line names: a refusal says whose delivery it was).
fn rejected(route: &str, status: StatusCode, reason: &'static str, message: String) -> Response {
    metrics::counter!("mjhook_deliveries_rejected_total", "reason" => reason).increment(1);
    // Not `message`: the JSON log's line has one already.
    tracing::info!(
        provider = %route.escape_debug(),
        status = status.as_u16(),
        reason,
        detail = %message,
        "delivery refused"
    );
    problem(status, reason, message)
}

/// The 413 of a body over `--max-body`.
fn too_large(route: &str, max_body: usize) -> Response {
    rejected(
        route,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the body is over the limit of {max_body} bytes"),
    )
}

async fn receive(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let name = match path {
        Ok(Path(name)) => name,
        Err(rejection) => {
            // Counted and logged as every refused delivery is.
            let route = uri.path().trim_start_matches("/webhooks/");
            let message = rejection.body_text();
            return rejected(route, StatusCode::BAD_REQUEST, "bad_path", message);
        }
    };
    let Ok(provider) = name.parse::<Provider>() else {
        return rejected(
            &name,
            StatusCode::NOT_FOUND,
            "unknown_provider",
            format!(
                "no provider is called {name:?}; known: {}",
                known_providers()
            ),
        );
    };
    let Some(auth) = state.0.providers.get(&provider) else {
        return rejected(
            &name,
            StatusCode::NOT_FOUND,
            "provider_not_configured",
            format!(
                "{provider} deliveries are not accepted here: the gateway has no {} for it ({}) and no --insecure-accept",
                super::config::credential_words(provider),
                super::config::credential_options(provider)
            ),
        );
    };
    if let Some(encoding) = crate::verify::compression(&headers) {
        return rejected(
            &name,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            format!("the body is sent with Content-Encoding {encoding:?}; only uncompressed bodies are read"),
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return too_large(&name, state.0.max_body);
        }
        Err(rejection) => {
            return rejected(
                &name,
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                rejection.body_text(),
            );
        }
    };
    let decoded = match auth {
        Auth::Verify(verifier) => {
            let url = uri.to_string();
            verifier.verify_and_decode_all(&VerifyRequest::new(&body).headers(&headers).url(&url))
        }
        Auth::Insecure => DecodeOptions::new()
            .max_bytes(state.0.max_body)
            .decode_all(Some(provider), &body)
            .map_err(ReceiveError::from),
    };
    let events = match decoded {
        Ok(events) => events,
        Err(ReceiveError::Verify(err)) if err.is_configuration() => {
            return rejected(
                &name,
                StatusCode::INTERNAL_SERVER_ERROR,
                "misconfigured",
                err.to_string(),
            );
        }
        Err(ReceiveError::Verify(err)) => {
            return rejected(
                &name,
                StatusCode::UNAUTHORIZED,
                "not_authentic",
                err.to_string(),
            );
        }
        Err(ReceiveError::Decode(err @ DecodeError::TooLarge { .. })) => {
            return rejected(
                &name,
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                err.to_string(),
            );
        }
        Err(ReceiveError::Decode(err @ DecodeError::Syntax { .. })) => {
            return rejected(&name, StatusCode::BAD_REQUEST, "not_json", err.to_string());
        }
        Err(err) => {
            return rejected(
                &name,
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_a_job_event",
                err.to_string(),
            );
        }
    };

    let hash: [u8; 32] = Sha256::digest(&body).into();
    let (reply, receipt) = oneshot::channel();
    let job = Job {
        delivery: store::Delivery {
            provider,
            hash,
            body,
            events,
        },
        reply,
    };
    if state.0.queue.send(Message::Deliver(job)).await.is_err() {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the store writer has stopped".into(),
        );
    }
    let receipt = receipt.await;
    *lock(&state.0.commit_failure) = match &receipt {
        Ok(Ok(_)) => None,
        Ok(Err(message)) => Some(message.clone()),
        Err(_) => Some("the store writer stopped".to_owned()),
    };
    match receipt {
        Ok(Ok(receipt)) => {
            if receipt.duplicate_of.is_some() {
                metrics::counter!("mjhook_deliveries_duplicate_total").increment(1);
            } else {
                metrics::counter!("mjhook_deliveries_accepted_total", "provider" => provider.as_str())
                    .increment(1);
            }
            tracing::debug!(%provider, delivery = receipt.delivery, duplicate = receipt.duplicate_of.is_some(), "delivery committed");
            (StatusCode::OK, Json(receipt)).into_response()
        }
        Ok(Err(message)) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_failed",
            format!("the delivery was not stored: {message}"),
        ),
        Err(_) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_failed",
            "the store writer stopped before committing the delivery".into(),
        ),
    }
}

fn known_providers() -> String {
    Provider::ALL
        .iter()
        .map(|provider| provider.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A delivery whose `Content-Length` is over the limit is answered 413 at
/// once, before a byte of its body is read: the body limit alone would wait
/// for the body, holding the connection until the request timeout.
async fn refuse_declared_oversize(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let declared = (request.headers().get(header::CONTENT_LENGTH))
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > state.0.max_body as u64) {
        let path = request.uri().path();
        return too_large(
            path.strip_prefix("/webhooks/").unwrap_or(path),
            state.0.max_body,
        );
    }
    next.run(request).await
}

async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(token) = &state.0.api_token {
        let sent = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim_start().split_once(' '))
            // The scheme's name is case-insensitive (RFC 9110, 11.1).
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let authorized = sent.is_some_and(|sent| {
            bool::from(sent.as_bytes().ct_eq(token.expose_secret().as_bytes()))
        });
        if !authorized {
            let mut response = problem(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send `Authorization: Bearer <api token>`".into(),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            return response;
        }
    }
    next.run(request).await
}

fn store_error(err: Error) -> Response {
    tracing::error!(error = %err, "store read failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "store_failed",
        err.to_string(),
    )
}

/// A path whose segments cannot be read (`%ff` is no UTF-8): answered in
/// JSON as every other error is, not in axum's plain text.
fn bad_path(rejection: &PathRejection) -> Response {
    problem(StatusCode::BAD_REQUEST, "bad_path", rejection.body_text())
}

fn bad_query(rejection: QueryRejection) -> Response {
    // The cause names the parameter and the problem ("after: invalid digit
    // found in string"), as the other `bad_query` answers do; axum's own
    // text wraps it in "Failed to deserialize query string".
    let message = match &rejection {
        QueryRejection::FailedToDeserializeQueryString(failed) => {
            std::error::Error::source(failed).map(|cause| format!("in the query string, {cause}"))
        }
        _ => None,
    };
    let message = message.unwrap_or_else(|| rejection.body_text());
    problem(StatusCode::BAD_REQUEST, "bad_query", message)
}

async fn get_job(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let (name, job_id) = match path {
        Ok(Path(segments)) => segments,
        Err(rejection) => return bad_path(&rejection),
    };
    let Ok(provider) = name.parse::<Provider>() else {
        return problem(
            StatusCode::NOT_FOUND,
            "unknown_provider",
            format!(
                "no provider is called {name:?}; known: {}",
                known_providers()
            ),
        );
    };
    let reader = Arc::clone(&state.0.reader);
    let id = job_id.clone();
    match blocking(move || store::job(&lock(&reader), provider, &id)).await {
        Ok(Some(state)) => Json(state).into_response(),
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            "unknown_job",
            format!("no {provider} job {job_id:?} has been received"),
        ),
        Err(err) => store_error(err),
    }
}

/// The query of `GET /jobs`.
#[derive(Debug, Deserialize)]
// A typo (`statuss=failed`) must not list everything quietly.
#[serde(deny_unknown_fields)]
struct JobsQuery {
    provider: Option<String>,
    status: Option<String>,
    /// Signed, so that `-1` gets the range's message, not the parser's.
    limit: Option<i64>,
    after: Option<u64>,
}

/// The page size asked for, or why it is refused.
fn page_limit(limit: Option<i64>) -> Result<usize, String> {
    let Some(limit) = limit else {
        return Ok(DEFAULT_PAGE);
    };
    usize::try_from(limit)
        .ok()
        .filter(|limit| (1..=MAX_PAGE).contains(limit))
        .ok_or_else(|| format!("limit must be between 1 and {MAX_PAGE}, found {limit}"))
}

async fn list_jobs(
    State(state): State<AppState>,
    query: Result<Query<JobsQuery>, QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => return bad_query(rejection),
    };
    let limit = match page_limit(query.limit) {
        Ok(limit) => limit,
        Err(message) => return problem(StatusCode::BAD_REQUEST, "bad_query", message),
    };
    let provider = match query
        .provider
        .as_deref()
        .map(str::parse::<Provider>)
        .transpose()
    {
        Ok(provider) => provider,
        Err(err) => return problem(StatusCode::BAD_REQUEST, "bad_query", err.to_string()),
    };
    // The canonical spellings only: a typo must not list nothing quietly.
    let status = match query.status.as_deref().map(str::parse::<JobStatus>) {
        None => None,
        Some(Ok(status)) => Some(status.as_str().to_owned()),
        Some(Err(error)) => {
            return problem(StatusCode::BAD_REQUEST, "bad_query", error.to_string());
        }
    };
    // Past the last sequence number, a cursor is as good as the last.
    let after = i64::try_from(query.after.unwrap_or(0)).unwrap_or(i64::MAX);
    let reader = Arc::clone(&state.0.reader);
    match blocking(move || store::jobs(&lock(&reader), provider, status.as_deref(), after, limit))
        .await
    {
        Ok(page) => Json(page).into_response(),
        Err(err) => store_error(err),
    }
}

/// The query of `GET /events`.
#[derive(Debug, Deserialize)]
// A typo (`statuss=failed`) must not list everything quietly.
#[serde(deny_unknown_fields)]
struct EventsQuery {
    after: Option<u64>,
    /// Signed, as [`JobsQuery::limit`].
    limit: Option<i64>,
}

async fn list_events(
    State(state): State<AppState>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => return bad_query(rejection),
    };
    let limit = match page_limit(query.limit) {
        Ok(limit) => limit,
        Err(message) => return problem(StatusCode::BAD_REQUEST, "bad_query", message),
    };
    // Past the last sequence number, a cursor is as good as the last.
    let after = i64::try_from(query.after.unwrap_or(0)).unwrap_or(i64::MAX);
    let reader = Arc::clone(&state.0.reader);
    match blocking(move || store::events(&lock(&reader), after, limit)).await {
        Ok(page) => Json(page).into_response(),
        Err(err) => store_error(err),
    }
}

async fn healthz(State(state): State<AppState>) -> Response {
    let reader = Arc::clone(&state.0.reader);
    let read =
        blocking(move || lock(&reader).query_row("SELECT 1", [], |row| row.get::<_, i64>(0)))
            .await
            .map(drop);
    let commit_failure = lock(&state.0.commit_failure).clone();
    health(read, commit_failure)
}

/// Healthy while the store answers and the last delivery was committed.
fn health(read: Result<(), Error>, commit_failure: Option<String>) -> Response {
    match (read, commit_failure) {
        (Err(err), _) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_failed",
            err.to_string(),
        ),
        (Ok(()), Some(message)) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_failed",
            format!("the last delivery could not be committed: {message}"),
        ),
        (Ok(()), None) => Json(json!({ "status": "ok" })).into_response(),
    }
}

async fn render_metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.0.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[tokio::test]
    async fn health_fails_while_commits_fail_though_reads_work() {
        assert_eq!(health(Ok(()), None).status(), StatusCode::OK);
        let failing = health(Ok(()), Some("database or disk is full".into()));
        assert_eq!(failing.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = body_of(failing).await;
        assert_eq!(body["error"], "store_failed");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("disk is full")),
            "{body}"
        );
    }

    #[tokio::test]
    async fn a_bare_error_gets_a_json_body_and_keeps_its_allow_header() {
        let timeout = explain_bare_errors(StatusCode::REQUEST_TIMEOUT.into_response()).await;
        assert_eq!(timeout.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(body_of(timeout).await["error"], "request_timeout");

        let mut wrong_method = StatusCode::METHOD_NOT_ALLOWED.into_response();
        wrong_method
            .headers_mut()
            .insert(header::ALLOW, "POST".parse().expect("header"));
        let answer = explain_bare_errors(wrong_method).await;
        assert_eq!(answer.headers()[header::ALLOW], "POST");
        assert_eq!(body_of(answer).await["error"], "method_not_allowed");

        let explained = problem(StatusCode::NOT_FOUND, "not_found", "no such route".into());
        assert_eq!(
            body_of(explain_bare_errors(explained).await).await["message"],
            "no such route",
            "a body already there is kept"
        );
    }
}
