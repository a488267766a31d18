//! Receiving webhooks in an [axum](https://docs.rs/axum/0.8) router (feature
//! `axum`).
//!
//! [`Webhook`] is an extractor that does the whole receiving side in one
//! handler argument: it reads the raw body under the size limit, checks its
//! authenticity with the [`Verifier`] the router state holds for the route's
//! provider, and decodes every job event in it. Anything else is a
//! [`WebhookRejection`], answered with a JSON body and the status code a
//! vendor's retry logic expects.
//!
//! ```
//! use axum::{routing::post, Json, Router};
//! use mjhook::axum::{Verifiers, Webhook};
//! use mjhook::{JobEvent, Provider, Verifier};
//!
//! async fn receive(webhook: Webhook) -> Json<Vec<JobEvent>> {
//!     Json(webhook.events)
//! }
//!
//! let verifiers = Verifiers::new()
//!     .with(Verifier::new(Provider::Asyncapi).secret("whsec-from-the-dashboard"))
//!     .with(Verifier::new(Provider::Apiframe).secret("the-webhook_secret-you-sent"))
//!     .with(Verifier::new(Provider::Imagineapi).secret("an-unguessable-url-token"));
//! let app: Router = Router::new()
//!     .route("/webhooks/{provider}", post(receive))
//!     .with_state(verifiers);
//! ```
//!
//! # Which provider a route is for
//!
//! - A path parameter named `provider` (`/webhooks/{provider}`), read with
//!   [`Provider`]'s `FromStr` (`midjourney-api` and `midjourney_api` alike).
//!   A name that is no provider is a 404 ([`WebhookRejection::UnknownProvider`]).
//! - Or a provider fixed per route, with the [`FixedProvider`] layer:
//!   `post(receive).layer(FixedProvider::layer(Provider::Asyncapi))`. It
//!   takes precedence over a `{provider}` parameter.
//!
//! A provider the [`Verifiers`] hold no verifier for is refused with a 404
//! ([`WebhookRejection::NotConfigured`]): the receiver does not take that
//! vendor's deliveries. A route with neither is a 500
//! ([`WebhookRejection::NoProvider`]), a mistake in the router.
//!
//! # State
//!
//! The extractor finds the [`Verifiers`] with [`FromRef`](https://docs.rs/axum/0.8/axum/extract/trait.FromRef.html), so the router
//! state is either a `Verifiers` or an application state with a `Verifiers`
//! field and `#[derive(FromRef)]` (or a hand-written `FromRef`). `Verifiers`
//! is cheap to clone: the map is shared.
//!
//! # Limits
//!
//! The body limit is the [`Verifier`]'s own ([`Verifier::limit`],
//! [`DecodeOptions::DEFAULT_MAX_BYTES`] unless set with
//! [`Verifier::decode_options`]), so it can differ per provider. A body whose
//! `Content-Length` is over it is refused unread; a body that grows past it is
//! refused when the limit is reached. axum's `DefaultBodyLimit` does not
//! apply. The content type is not checked: vendors do not all send
//! `application/json`.
//!
//! # Status codes
//!
//! | status | `error` | when |
//! |---|---|---|
//! | 400 | `not_json` | the body is not JSON |
//! | 400 | `body_unreadable` | reading the body failed (the client went away) |
//! | 400 | `bad_path` | a path parameter is not UTF-8 |
//! | 401 | `not_authentic` | the signature, shared secret or URL token is missing or wrong, or the signed timestamp is outside the replay window |
//! | 404 | `unknown_provider` | the `{provider}` segment names no provider |
//! | 404 | `provider_not_configured` | no verifier for that provider |
//! | 413 | `too_large` | the body is over the limit |
//! | 415 | `unsupported_encoding` | the body is compressed or encrypted (`Content-Encoding` gzip, br, deflate, zstd, aes128gcm, …) |
//! | 422 | `not_a_job_event` | JSON, but not a job event of that provider (a vendor's error reply, another vendor's format, a bad field, an array or a string where an object belongs) |
//! | 500 | `verifier_misconfigured` | the verifier cannot check anything (no secret, a replay window for a provider without signed timestamps) |
//! | 500 | `no_provider` | the route has neither `{provider}` nor a [`FixedProvider`] |
//!
//! The body is `{"error": CODE, "message": TEXT}`, plus `provider` when it is
//! known and, for decoding errors, `path`, `line` and `column` where the
//! error has them, and `limit` for a 413. No message holds a secret.

use std::collections::HashMap;
use std::sync::Arc;

use ::axum::body::{Body, Bytes, HttpBody as _};
use ::axum::extract::rejection::RawPathParamsRejection;
use ::axum::extract::{FromRef, FromRequest, RawPathParams, Request as AxumRequest};
use ::axum::response::{IntoResponse, Response};
use ::axum::Extension;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde_json::{json, Map, Value};

use crate::error::{DecodeError, VerifyError};
use crate::event::JobEvent;
#[cfg(doc)]
use crate::providers::DecodeOptions;
use crate::providers::Provider;
use crate::verify::{ReceiveError, Request, Verifier};

/// The name of the path parameter the provider is read from.
pub const PROVIDER_PARAM: &str = "provider";

/// One [`Verifier`] per provider: the router state [`Webhook`] reads.
///
/// ```
/// use mjhook::axum::Verifiers;
/// use mjhook::{Provider, Verifier};
///
/// let verifiers: Verifiers = [
///     Verifier::new(Provider::Asyncapi).secret("s1"),
///     Verifier::new(Provider::Goapi).secret("s2"),
/// ]
/// .into_iter()
/// .collect();
/// assert!(verifiers.get(Provider::Goapi).is_some());
/// assert!(verifiers.get(Provider::Apiframe).is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Verifiers {
    by_provider: Arc<HashMap<Provider, Verifier>>,
}

impl Verifiers {
    /// No verifier: every delivery is refused with a 404.
    pub fn new() -> Self {
        Verifiers::default()
    }

    /// Adds `verifier` for its provider, replacing any earlier one.
    pub fn with(mut self, verifier: Verifier) -> Self {
        self.insert(verifier);
        self
    }

    /// Adds `verifier` for its provider; returns the one it replaces.
    pub fn insert(&mut self, verifier: Verifier) -> Option<Verifier> {
        Arc::make_mut(&mut self.by_provider).insert(verifier.provider(), verifier)
    }

    /// The verifier for `provider`, if there is one.
    pub fn get(&self, provider: Provider) -> Option<&Verifier> {
        self.by_provider.get(&provider)
    }

    /// The providers that have a verifier, in [`Provider::ALL`]'s order.
    pub fn providers(&self) -> Vec<Provider> {
        let mut providers: Vec<Provider> = self.by_provider.keys().copied().collect();
        providers.sort();
        providers
    }

    /// How many providers have a verifier.
    pub fn len(&self) -> usize {
        self.by_provider.len()
    }

    /// Whether no provider has a verifier.
    pub fn is_empty(&self) -> bool {
        self.by_provider.is_empty()
    }
}

impl FromIterator<Verifier> for Verifiers {
    fn from_iter<I: IntoIterator<Item = Verifier>>(verifiers: I) -> Self {
        let mut all = Verifiers::new();
        all.extend(verifiers);
        all
    }
}

impl Extend<Verifier> for Verifiers {
    fn extend<I: IntoIterator<Item = Verifier>>(&mut self, verifiers: I) {
        let map = Arc::make_mut(&mut self.by_provider);
        for verifier in verifiers {
            map.insert(verifier.provider(), verifier);
        }
    }
}

/// The provider of a route without a `{provider}` path parameter, set as a
/// request extension.
///
/// ```
/// use axum::{routing::post, Router};
/// use mjhook::axum::{FixedProvider, Verifiers, Webhook};
/// use mjhook::{Provider, Verifier};
///
/// async fn receive(webhook: Webhook) -> String {
///     format!("{} events", webhook.events.len())
/// }
///
/// let app: Router = Router::new()
///     .route("/hooks/asyncapi", post(receive).layer(FixedProvider::layer(Provider::Asyncapi)))
///     .route("/hooks/apiframe", post(receive).layer(FixedProvider::layer(Provider::Apiframe)))
///     .with_state(Verifiers::new().with(Verifier::new(Provider::Asyncapi).secret("s")));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedProvider(pub Provider);

impl FixedProvider {
    /// The layer that fixes a route's provider.
    pub fn layer(provider: Provider) -> Extension<FixedProvider> {
        Extension(FixedProvider(provider))
    }
}

/// A verified webhook delivery and the job events it holds: an axum
/// extractor. It consumes the body, so it is the handler's last argument.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Webhook {
    /// The provider whose verifier accepted the delivery.
    pub provider: Provider,
    /// Every job event in the body, in body order (one for a plain webhook,
    /// several for a batch body).
    pub events: Vec<JobEvent>,
    /// The raw body, as verified, for callers who keep deliveries.
    pub body: Bytes,
}

impl<S> FromRequest<S> for Webhook
where
    Verifiers: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: AxumRequest, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let provider = match parts.extensions.get::<FixedProvider>() {
            Some(FixedProvider(provider)) => *provider,
            None => provider_from_path(&mut parts, state).await?,
        };
        let verifiers = Verifiers::from_ref(state);
        let verifier = verifiers
            .get(provider)
            .ok_or(WebhookRejection::NotConfigured { provider })?;
        if let Some(encoding) = crate::verify::compression(&parts.headers) {
            return Err(WebhookRejection::Compressed { encoding });
        }
        let body = read_body(body, provider, verifier.limit()).await?;
        // Verified synchronously, after the last await: a `Request` borrows
        // the headers as a trait object and is not held across a suspension.
        let url = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let request = Request::new(&body).headers(&parts.headers).url(url);
        let events = verifier
            .verify_and_decode_all(&request)
            .map_err(|error| match error {
                ReceiveError::Verify(error) => WebhookRejection::Verify { provider, error },
                ReceiveError::Decode(error) => WebhookRejection::Decode(error),
            })?;
        Ok(Webhook {
            provider,
            events,
            body,
        })
    }
}

/// How much of an unknown provider name a rejection repeats.
const MAX_ECHOED_NAME: usize = 64;

/// The provider named by the `{provider}` path parameter.
async fn provider_from_path<S: Send + Sync>(
    parts: &mut http::request::Parts,
    state: &S,
) -> Result<Provider, WebhookRejection> {
    use ::axum::extract::FromRequestParts as _;
    let params = match RawPathParams::from_request_parts(parts, state).await {
        Ok(params) => params,
        Err(RawPathParamsRejection::MissingPathParams(_)) => {
            return Err(WebhookRejection::NoProvider)
        }
        Err(rejection) => {
            return Err(WebhookRejection::BadPath {
                reason: rejection.body_text(),
            })
        }
    };
    let name = params
        .iter()
        .find(|(key, _)| *key == PROVIDER_PARAM)
        .map(|(_, value)| value)
        .ok_or(WebhookRejection::NoProvider)?;
    name.parse().map_err(|_| WebhookRejection::UnknownProvider {
        // Echoed in the response: a long path segment is cut, not reflected.
        name: name.chars().take(MAX_ECHOED_NAME).collect(),
    })
}

/// The whole body, or a rejection once it is over `limit` bytes.
async fn read_body(
    body: Body,
    provider: Provider,
    limit: usize,
) -> Result<Bytes, WebhookRejection> {
    let too_large = WebhookRejection::TooLarge { provider, limit };
    // A declared length over the limit is refused before reading anything.
    if usize::try_from(body.size_hint().lower()).map_or(true, |declared| declared > limit) {
        return Err(too_large);
    }
    ::axum::body::to_bytes(body, limit).await.map_err(|error| {
        let error = error.into_inner();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error.as_ref());
        while let Some(current) = source {
            if current.is::<http_body_util::LengthLimitError>() {
                return too_large.clone();
            }
            source = current.source();
        }
        WebhookRejection::BodyUnreadable {
            reason: error.to_string(),
        }
    })
}

/// Why a request gave no [`Webhook`]; its response is a JSON body with the
/// status code the [module documentation](self) tabulates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The `{provider}` path segment names no provider (404).
    #[error("unknown provider {name:?}; expected one of {}", ProviderNames)]
    UnknownProvider {
        /// The segment, percent-decoded (its first 64 characters).
        name: String,
    },
    /// The router state holds no verifier for this provider (404).
    #[error("this receiver takes no {provider} deliveries: no verifier is configured for it")]
    NotConfigured {
        /// The route's provider.
        provider: Provider,
    },
    /// The route has neither a `{provider}` parameter nor a [`FixedProvider`] (500).
    #[error("the route names no provider: it needs a {{provider}} path parameter or a FixedProvider layer")]
    NoProvider,
    /// A path parameter could not be read (400).
    #[error("the request path cannot be read: {reason}")]
    BadPath {
        /// axum's explanation.
        reason: String,
    },
    /// The body is over the verifier's limit (413); it was not read whole.
    #[error("{provider}: the body is over the limit of {limit} bytes")]
    TooLarge {
        /// The route's provider.
        provider: Provider,
        /// The limit in force.
        limit: usize,
    },
    /// The body is compressed (`Content-Encoding: gzip`, …), and is read
    /// only as sent (415).
    #[error(
        "the body is sent with Content-Encoding {encoding:?}; only uncompressed bodies are read"
    )]
    Compressed {
        /// The compression named.
        encoding: String,
    },
    /// Reading the body failed (400).
    #[error("the body could not be read: {reason}")]
    BodyUnreadable {
        /// What the body stream reported.
        reason: String,
    },
    /// Verification failed: 401, or 500 when the verifier is at fault
    /// ([`VerifyError::is_configuration`]).
    #[error("{provider}: {error}")]
    Verify {
        /// The route's provider.
        provider: Provider,
        /// Why the check failed.
        #[source]
        error: VerifyError,
    },
    /// The body is authentic but holds no job event of the provider: 400 when
    /// it is not JSON, 413 over the limit, 422 otherwise (JSON that is not
    /// an object included, as `mjhook serve` answers it).
    #[error(transparent)]
    Decode(DecodeError),
}

impl WebhookRejection {
    /// The response's status code.
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookRejection::UnknownProvider { .. } | WebhookRejection::NotConfigured { .. } => {
                StatusCode::NOT_FOUND
            }
            WebhookRejection::NoProvider => StatusCode::INTERNAL_SERVER_ERROR,
            WebhookRejection::BadPath { .. } | WebhookRejection::BodyUnreadable { .. } => {
                StatusCode::BAD_REQUEST
            }
            WebhookRejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookRejection::Compressed { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebhookRejection::Verify { error, .. } if error.is_configuration() => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            WebhookRejection::Verify { .. } => StatusCode::UNAUTHORIZED,
            WebhookRejection::Decode(error) => match error {
                DecodeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                DecodeError::Syntax { .. } => StatusCode::BAD_REQUEST,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            },
        }
    }

    /// The stable code in the body's `error` field (`not_authentic`,
    /// `too_large`, …; the module documentation lists them).
    pub fn code(&self) -> &'static str {
        match self {
            WebhookRejection::UnknownProvider { .. } => "unknown_provider",
            WebhookRejection::NotConfigured { .. } => "provider_not_configured",
            WebhookRejection::NoProvider => "no_provider",
            WebhookRejection::BadPath { .. } => "bad_path",
            WebhookRejection::TooLarge { .. } => "too_large",
            WebhookRejection::BodyUnreadable { .. } => "body_unreadable",
            WebhookRejection::Compressed { .. } => "unsupported_encoding",
            WebhookRejection::Verify { error, .. } if error.is_configuration() => {
                "verifier_misconfigured"
            }
            WebhookRejection::Verify { .. } => "not_authentic",
            WebhookRejection::Decode(error) => match error {
                DecodeError::TooLarge { .. } => "too_large",
                DecodeError::Syntax { .. } => "not_json",
                _ => "not_a_job_event",
            },
        }
    }

    /// The provider the request was for, when it is known.
    pub fn provider(&self) -> Option<Provider> {
        match self {
            WebhookRejection::NotConfigured { provider }
            | WebhookRejection::TooLarge { provider, .. }
            | WebhookRejection::Verify { provider, .. } => Some(*provider),
            WebhookRejection::Decode(error) => error.provider(),
            _ => None,
        }
    }

    /// The JSON body of the response.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("error".into(), self.code().into());
        body.insert("message".into(), self.to_string().into());
        if let Some(provider) = self.provider() {
            body.insert("provider".into(), provider.as_str().into());
        }
        match self {
            WebhookRejection::TooLarge { limit, .. }
            | WebhookRejection::Decode(DecodeError::TooLarge { limit, .. }) => {
                body.insert("limit".into(), json!(limit));
            }
            WebhookRejection::Decode(error) => {
                if let Some(path) = error.path() {
                    body.insert("path".into(), path.into());
                }
                if let Some((line, column)) = error.position() {
                    body.insert("line".into(), json!(line));
                    body.insert("column".into(), json!(column));
                }
            }
            _ => {}
        }
        Value::Object(body)
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.to_json().to_string()).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// The accepted provider names, for messages.
struct ProviderNames;

impl std::fmt::Display for ProviderNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, provider) in Provider::ALL.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            f.write_str(provider.as_str())?;
        }
        Ok(())
    }
}
