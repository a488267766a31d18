//! Webhook authenticity: check a request on its raw bytes before trusting its
//! body.
//!
//! ```
//! use mjhook::verify::{sign, Request, Verifier, SIGNATURE_HEADER};
//! use mjhook::{JobStatus, Provider};
//!
//! // In a receiver, the body is the request's raw bytes and the headers are
//! // the request's headers (an `http::HeaderMap` with the `http` feature).
//! let body = br#"{"event":"job.progress","job_id":"3f2b8c1e-6d4a-4b7e-9a51-2c8e0f7d1a93","status":"in_progress","progress":45,"timestamp":"2024-05-01T12:00:20Z"}"#;
//! let headers = [(SIGNATURE_HEADER, sign("my-webhook-secret", body))];
//!
//! let verifier = Verifier::new(Provider::Asyncapi).secret("my-webhook-secret");
//! let event = verifier.verify_and_decode(&Request::new(body).headers(&headers))?;
//! assert_eq!(event.status, JobStatus::InProgress);
//!
//! // The same body signed with another secret is refused before it is decoded.
//! let forged = [(SIGNATURE_HEADER, sign("a guess", body))];
//! let refused = verifier.verify_and_decode(&Request::new(body).headers(&forged));
//! assert!(matches!(refused, Err(mjhook::ReceiveError::Verify(_))));
//! # Ok::<(), mjhook::ReceiveError>(())
//! ```
//!
//! # What each vendor sends, and what a check proves
//!
//! | provider | the vendor sends | [`Method`] | a passing check proves |
//! |---|---|---|---|
//! | `asyncapi` | `X-Midjourney-Signature`: HMAC-SHA256 of the raw body, keyed with the webhook secret of the API key | [`Method::Signature`] | the sender knows the secret **and** the body is the one it signed; with a [replay window](Verifier::tolerance), also that the signed `timestamp` is recent |
//! | `apiframe` | the `webhook_secret` given at job creation, echoed verbatim in `x-webhook-secret` (APIFRAME v1, JourneyAPI) | [`Method::SharedSecret`] | only that the sender knows the secret. The body is not bound to it: whoever sees one request can send any body with that header, and replay it |
//! | `goapi` | the same: `webhook_secret` / `webhook_config.secret` echoed in `x-webhook-secret` | [`Method::SharedSecret`] | as for `apiframe` |
//! | `imagineapi` | nothing: no secret, no signature, no auth header | [`Method::UrlToken`] | only that the sender knows the hook URL, token included. Put an unguessable token in the webhook URL you register; confirm important events with a `GET /items/images/{id}` of your own |
//! | `midjourney_api` | nothing: `hookUrl` has no secret or signing field beside it | [`Method::UrlToken`] | as for `imagineapi`; confirm with `job-status` |
//! | `midjourney_proxy` | nothing: the bare task, unsigned (`mj-api-secret` authenticates callers *to* the proxy, never its callbacks); `properties.notifyHook` echoes the hook URL, token included | [`Method::UrlToken`] | as for `imagineapi`; confirm with `/mj/task/{id}/fetch`, and do not log bodies verbatim |
//! | `ttapi` | nothing: no signature or secret header; `data.hookUrl` echoes the hook URL | [`Method::UrlToken`] | as for `imagineapi`; confirm with `/midjourney/v1/fetch` |
//! | `legnext` | nothing known: the job echoes `webhook_config.secret`, always `""`, and the request takes no secret beside `callback`. GoAPI, whose design it copies, echoes a set secret in `x-webhook-secret` | [`Method::UrlToken`]; [`Method::SharedSecret`] with [`Verifier::using`], for an account that can set a secret | as for `imagineapi`, or as for `apiframe`; confirm with `GET /v1/job/{job_id}` |
//! | `kie` | nothing by default. An account that enables its `webhookHmacKey` gets on every callback `X-Webhook-Timestamp` (Unix seconds) and `X-Webhook-Signature`: base64 HMAC-SHA256 of `<data.taskId>.<timestamp>` | [`Method::UrlToken`]; [`Method::TaskSignature`] with [`Verifier::using`], once the HMAC is enabled | by the URL token, as for `imagineapi`. By the HMAC: that the sender knows the key, that the body's task id is the signed one, and, with a [replay window](Verifier::tolerance), that the signed time is recent. The rest of the body is **not** signed: whoever sees one callback can send another body about the same task with its headers until the window closes. Confirm with `record-info` |
//! | `acedata` | nothing: `callback_url` is POSTed to plainly, with no header, secret or signature | [`Method::UrlToken`] | as for `imagineapi`; confirm with `/midjourney/tasks` `retrieve` |
//! | `imaginepro` | nothing: the account webhook (or `webhookOverride`) gets no secret or signature; `ref` is the caller's, echoed, not a secret | [`Method::UrlToken`] | as for `imagineapi`; the account webhook also receives jobs you did not start; confirm with the message endpoint |
//!
//! A shared secret or URL token is only as private as the transport: use
//! HTTPS, and keep URLs with tokens out of access logs. APIFRAME v2's
//! `X-Webhook-Signature` (a different, camelCase format) is not handled here.
//!
//! # The `X-Midjourney-Signature` value
//!
//! The AsyncAPI document names the header and the algorithm but neither the
//! encoding nor a prefix, so the check accepts the common spellings of one
//! HMAC-SHA256 over the raw body and nothing else:
//!
//! - 64 hex digits, in either case, or 44 characters of padded standard
//!   base64 (canonical: no stray bits before the `=`);
//! - either one after an optional `sha256=`, whose case does not matter
//!   (`SHA256=` too: the digest after it is checked in full all the same);
//! - white space around the whole value is ignored, as HTTP ignores it around
//!   a field value; white space inside (`sha256= abc…`) is not.
//!
//! Refused, with a [`SignatureProblem`] that says why: an empty value;
//! another prefix (`sha1=`, `v0=`, Standard Webhooks' `v1,<base64>`, which
//! signs `id.timestamp.body`, not the body);
//! unpadded base64 and base64url (43 characters: nothing suggests the vendor
//! sends them, and two lengths keep the decoding unambiguous); any other
//! length, such as a truncated digest. A well-formed value that is not the
//! HMAC of these exact bytes under a configured secret is a
//! [`VerifyError::Mismatch`]: verify the bytes as received, never a body
//! parsed and serialized again.
//!
//! A header sent more than once has each value tried; a value a proxy joined
//! with commas is not split, because `v1,<base64>` looks just like one.
//!
//! # KIE.ai's `X-Webhook-Signature`
//!
//! With [`Method::TaskSignature`], the check reads the task id from the raw
//! body (`data.taskId`, or `data.task_id` as KIE.ai's own sample reads it;
//! a body with both, or neither, is a [`VerifyError::MissingTaskId`]) and
//! computes the HMAC-SHA256 of `<task id>.<X-Webhook-Timestamp>`, the time
//! exactly as sent. `X-Webhook-Timestamp` must come once, as 1 to 12 ASCII
//! digits; `X-Webhook-Signature` as 44 characters of padded standard base64,
//! each value tried when there are several. White space around a value is
//! ignored. Anything else is a [`VerifyError::MalformedHeader`], and a
//! well-formed value that matches no secret a [`VerifyError::Mismatch`].
//!
//! KIE.ai documents the HMAC for its whole API, "all callback requests" of
//! an account that enables it; no Midjourney callback with the headers has
//! been published, so whether they carry them is the vendor's to confirm.
//!
//! # Secrets and rotation
//!
//! A [`Verifier`] holds any number of [`Secret`]s and accepts a request that
//! matches any one of them, so a new secret can be added before the old one is
//! retired. An empty secret is ignored: with no other secret the verifier
//! refuses everything ([`VerifyError::NoSecret`]). Comparisons are constant
//! time (`Mac::verify_slice` for HMACs, `subtle` for shared secrets and
//! tokens), and every configured secret is tried, so timing does not tell
//! which one matched. [`Secret`] prints as `Secret("[REDACTED]")`, and no
//! [`VerifyError`] holds a secret, a header value, a URL or an expected
//! signature.
//!
//! # Replay window
//!
//! The AsyncAPI payload carries its own `timestamp`, inside the signed bytes.
//! With [`Verifier::tolerance`] set, a verified body whose `timestamp` is
//! further than the tolerance in the past ([`VerifyError::Stale`]) or the
//! future ([`VerifyError::Future`]) is refused; exactly at the tolerance is
//! still accepted. The timestamp is read only after the signature holds, with
//! a parse of that one field, as the decoder reads it: the spec's RFC 3339
//! `date-time`, or epoch seconds or milliseconds (the event's `occurred_at`
//! is the same instant). A missing, unset (`""`, `0`) or unreadable one is an
//! error, never "fresh".
//! [`Verifier::verify_at`] takes the clock as an argument; [`Verifier::verify`]
//! reads the system clock and calls it. KIE.ai's HMAC signs its
//! `X-Webhook-Timestamp`, which the same window checks. The other methods
//! sign no time, so asking them for a window is a
//! [`VerifyError::ReplayWindowUnsupported`].
//!
//! # Testing your own receiver
//!
//! [`sign`] and [`signature_header`] produce what an `asyncapi` sender would
//! send, [`secret_header`] what `apiframe` and `goapi` send,
//! [`task_signature_headers`] what KIE.ai sends once its HMAC is enabled,
//! and [`url_with_token`] the hook URL to register for `imagineapi`,
//! `midjourney_api`, `legnext` and `kie`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::{DecodeError, SignatureProblem, VerifyError};
use crate::event::JobEvent;
use crate::providers::{DecodeOptions, Provider};

/// The header an `asyncapi` sender signs its body in.
pub const SIGNATURE_HEADER: &str = "X-Midjourney-Signature";

/// The header `apiframe` and `goapi` echo the webhook secret in.
pub const SECRET_HEADER: &str = "x-webhook-secret";

/// The header KIE.ai signs a callback's task id and time in, once the
/// account enables its HMAC ([`Method::TaskSignature`]).
pub const TASK_SIGNATURE_HEADER: &str = "X-Webhook-Signature";

/// The header holding the Unix seconds [`TASK_SIGNATURE_HEADER`] signs.
pub const TASK_TIMESTAMP_HEADER: &str = "X-Webhook-Timestamp";

/// The query parameter a URL token is read from unless
/// [`Verifier::token_param`] names another.
pub const DEFAULT_TOKEN_PARAM: &str = "token";

type HmacSha256 = Hmac<Sha256>;

/// A webhook secret or URL token. Its `Debug` output is
/// `Secret("[REDACTED]")`, and it has no `Display`.
///
/// The bytes are held in a [`secrecy::SecretSlice`](https://docs.rs/secrecy/0.10/secrecy/type.SecretSlice.html), so they are zeroed
/// when the secret is dropped; a `secrecy::SecretString` or `SecretSlice<u8>`
/// a caller already keeps converts with `From`.
#[derive(Clone)]
pub struct Secret(SecretSlice<u8>);

impl Secret {
    /// A secret from its bytes (a string's UTF-8 bytes).
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Secret(SecretSlice::from(secret.into()))
    }

    /// The secret's bytes, for callers who need to hand it on (to a vendor's
    /// job-creation request, say).
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret()
    }

    /// Whether the secret is empty (and so ignored by a [`Verifier`]).
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// Whether the secret begins or ends with ASCII white space: header
    /// values and URL tokens arrive without it, and an HMAC key with it is a
    /// copying slip (a CRLF file's carriage return), so such a secret would
    /// refuse every request. The CLI and `mjhook serve` refuse it.
    pub fn is_padded(&self) -> bool {
        let secret = self.expose();
        secret.trim_ascii().len() != secret.len()
    }
}

impl ExposeSecret<[u8]> for Secret {
    fn expose_secret(&self) -> &[u8] {
        self.expose()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Secret").field(&"[REDACTED]").finish()
    }
}

impl From<&str> for Secret {
    fn from(secret: &str) -> Self {
        Secret::new(secret)
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Self {
        Secret::new(secret)
    }
}

impl From<&String> for Secret {
    fn from(secret: &String) -> Self {
        Secret::new(secret.as_str())
    }
}

impl From<&[u8]> for Secret {
    fn from(secret: &[u8]) -> Self {
        Secret::new(secret)
    }
}

impl From<Vec<u8>> for Secret {
    fn from(secret: Vec<u8>) -> Self {
        Secret::new(secret)
    }
}

impl From<SecretString> for Secret {
    fn from(secret: SecretString) -> Self {
        Secret::new(secret.expose_secret().as_bytes())
    }
}

impl From<&SecretString> for Secret {
    fn from(secret: &SecretString) -> Self {
        Secret::new(secret.expose_secret().as_bytes())
    }
}

impl From<SecretSlice<u8>> for Secret {
    fn from(secret: SecretSlice<u8>) -> Self {
        Secret(secret)
    }
}

/// Request headers, however a web framework holds them.
///
/// Implemented for slices, arrays and `Vec`s of `(name, value)` pairs, for
/// `HashMap` and `BTreeMap`, for references to any of them, and, with the
/// `http` feature, for `http::HeaderMap`.
///
/// ```
/// use mjhook::verify::HeaderSource;
///
/// let headers = [("X-Webhook-Secret", "a"), ("content-type", "application/json"), ("x-webhook-secret", "b")];
/// assert_eq!(headers.header_values("x-webhook-secret"), [b"a".as_slice(), b"b".as_slice()]);
/// ```
pub trait HeaderSource {
    /// Every value of the header `name`, matched ignoring ASCII case, in the
    /// order received (several when the header was repeated).
    fn header_values(&self, name: &str) -> Vec<&[u8]>;
}

impl<T: HeaderSource + ?Sized> HeaderSource for &T {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        (**self).header_values(name)
    }
}

/// The values of the pairs whose name is `name`, ignoring ASCII case.
fn values_named<'a, K, V>(pairs: impl Iterator<Item = (&'a K, &'a V)>, name: &str) -> Vec<&'a [u8]>
where
    K: AsRef<str> + 'a + ?Sized,
    V: AsRef<[u8]> + 'a + ?Sized,
{
    pairs
        .filter(|(key, _)| key.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_ref())
        .collect()
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderSource for [(K, V)] {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        values_named(self.iter().map(|(key, value)| (key, value)), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> HeaderSource for [(K, V); N] {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.as_slice().header_values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderSource for Vec<(K, V)> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.as_slice().header_values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, S: BuildHasher> HeaderSource for HashMap<K, V, S> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        values_named(self.iter(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderSource for BTreeMap<K, V> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        values_named(self.iter(), name)
    }
}

#[cfg(feature = "http")]
impl<T: AsRef<[u8]>> HeaderSource for http::HeaderMap<T> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        // `HeaderMap` stores names lowercased and folds the looked-up name
        // the same way; a name that is not a valid header name finds nothing.
        self.get_all(name).iter().map(AsRef::as_ref).collect()
    }
}

/// The content coding a request's `Content-Encoding` names (`gzip`, `br`,
/// `deflate`, `zstd`, `aes128gcm`: any of IANA's registry but `identity`),
/// if any of its values does. Bodies are verified and decoded as sent, so
/// such a body would only fail later as "not JSON", or be read as a plain
/// body it is not; other labels (`identity`, a stray `utf-8`) leave the
/// body as it is. Answered 415 by the axum extractor and `mjhook serve`.
#[cfg(feature = "http")]
pub fn compression<T: AsRef<[u8]>>(headers: &http::HeaderMap<T>) -> Option<String> {
    /// IANA's HTTP Content Coding Registry, `identity` aside.
    const CODINGS: &[&str] = &[
        "gzip",
        "x-gzip",
        "deflate",
        "br",
        "compress",
        "x-compress",
        "zstd",
        "aes128gcm",
        "exi",
        "pack200-gzip",
        "dcb",
        "dcz",
    ];
    headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .filter_map(|value| std::str::from_utf8(value.as_ref()).ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .find(|coding| CODINGS.iter().any(|c| coding.eq_ignore_ascii_case(c)))
        .map(str::to_ascii_lowercase)
}

/// Headers of a request that has none.
struct NoHeaders;

impl HeaderSource for NoHeaders {
    fn header_values(&self, _name: &str) -> Vec<&[u8]> {
        Vec::new()
    }
}

/// What a verifier looks at: the raw body, the headers, and, for the
/// URL-token providers, the URL the request was sent to.
///
/// Its `Debug` output shows the body's length and whether a URL is present,
/// never the URL (it holds a token) or the headers.
///
/// A `Request` is `Send` and `Sync` (its headers must be `Sync`, as every
/// [`HeaderSource`] this crate implements is when its contents are), so an
/// async handler can hold one across an `.await`:
///
/// ```
/// use mjhook::{Provider, Request, Verifier};
///
/// async fn handle(verifier: &Verifier, body: &[u8], headers: &http_like::Headers) -> bool {
///     let request = Request::new(body).headers(headers);
///     http_like::log_arrival().await; // the request lives across this point
///     verifier.verify(&request).is_ok()
/// }
///
/// fn assert_send<T: Send>(_: T) {}
/// let verifier = Verifier::new(Provider::Goapi).secret("s3cret");
/// let headers = vec![("x-webhook-secret".to_owned(), "s3cret".to_owned())];
/// assert_send(handle(&verifier, b"{}", &headers));
/// # mod http_like {
/// #     pub type Headers = Vec<(String, String)>;
/// #     pub async fn log_arrival() {}
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct Request<'a> {
    body: &'a [u8],
    headers: &'a (dyn HeaderSource + Sync),
    url: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A request with this body, no headers and no URL.
    pub fn new(body: &'a [u8]) -> Self {
        Request {
            body,
            headers: &NoHeaders,
            url: None,
        }
    }

    /// The request's headers.
    pub fn headers<H: HeaderSource + Sync>(mut self, headers: &'a H) -> Self {
        self.headers = headers;
        self
    }

    /// The URL the request was sent to: a full URL or the request target
    /// (`/hook?token=…`). Only the query (after `?`, before `#`) is read,
    /// as `application/x-www-form-urlencoded` (`form_urlencoded::parse`:
    /// `%XX` and `+` for a space, the way web frameworks' query extractors
    /// read it). A token is text: an escape that is not UTF-8 reads as
    /// U+FFFD, so a URL token should be printable ASCII, as
    /// [`url_with_token`] writes any token.
    pub fn url(mut self, url: &'a str) -> Self {
        self.url = Some(url);
        self
    }

    /// The raw body.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("body_len", &self.body.len())
            .field("url", &self.url.map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

/// How a provider's requests are authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// An HMAC-SHA256 of the raw body in [`SIGNATURE_HEADER`] (`asyncapi`).
    Signature,
    /// The secret itself, echoed in [`SECRET_HEADER`] (`apiframe`, `goapi`).
    SharedSecret,
    /// A token in the hook URL's query, because the vendor sends no signal
    /// (`imagineapi`, `midjourney_api`, `midjourney_proxy`, `ttapi`, `legnext`, `kie`,
    /// `acedata`, `imaginepro`).
    UrlToken,
    /// KIE.ai's optional HMAC, once an account enables its `webhookHmacKey`:
    /// base64 HMAC-SHA256 of `<data.taskId>.<X-Webhook-Timestamp>` in
    /// [`TASK_SIGNATURE_HEADER`], the time in [`TASK_TIMESTAMP_HEADER`]
    /// (`kie`, chosen with [`Verifier::using`]). It signs the task id and
    /// the time, not the body.
    TaskSignature,
}

impl Method {
    /// The method for a provider's requests.
    pub fn of(provider: Provider) -> Method {
        match provider {
            Provider::Asyncapi => Method::Signature,
            Provider::Apiframe | Provider::Goapi => Method::SharedSecret,
            Provider::Imagineapi
            | Provider::MidjourneyApi
            | Provider::MidjourneyProxy
            | Provider::Ttapi => Method::UrlToken,
            // Legnext's secret and KIE.ai's HMAC are optional, off until the
            // user sets them up: the URL token is what every account has.
            Provider::Legnext | Provider::Kie => Method::UrlToken,
            Provider::Acedata | Provider::Imaginepro => Method::UrlToken,
        }
    }

    /// Every method a provider's requests can be checked by, its default
    /// ([`Method::of`]) first; [`Verifier::using`] picks another.
    ///
    /// ```
    /// use mjhook::{verify::Method, Provider};
    ///
    /// assert_eq!(Method::supported(Provider::Kie), [Method::UrlToken, Method::TaskSignature]);
    /// assert_eq!(Method::supported(Provider::Asyncapi), [Method::Signature]);
    /// ```
    pub fn supported(provider: Provider) -> &'static [Method] {
        match provider {
            // Legnext's job echoes `webhook_config.secret`, GoAPI's design,
            // whose secret comes back in `x-webhook-secret`; an account that
            // can set one can have it checked.
            Provider::Legnext => &[Method::UrlToken, Method::SharedSecret],
            Provider::Kie => &[Method::UrlToken, Method::TaskSignature],
            _ => match Method::of(provider) {
                Method::Signature => &[Method::Signature],
                Method::SharedSecret => &[Method::SharedSecret],
                Method::UrlToken => &[Method::UrlToken],
                Method::TaskSignature => &[Method::TaskSignature],
            },
        }
    }

    /// What the configured credentials are called for this method: the
    /// URL's is a token, the others secrets.
    pub fn credential(self) -> &'static str {
        match self {
            Method::Signature | Method::SharedSecret | Method::TaskSignature => "secret",
            Method::UrlToken => "token",
        }
    }

    /// The header whose presence shows a request was sent for this method,
    /// if it has one (the URL token's is in the URL).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Method::Signature => Some(SIGNATURE_HEADER),
            Method::SharedSecret => Some(SECRET_HEADER),
            Method::TaskSignature => Some(TASK_SIGNATURE_HEADER),
            Method::UrlToken => None,
        }
    }

    /// Whether the method signs a time, which a replay window checks
    /// (`asyncapi`'s body `timestamp`, KIE.ai's `X-Webhook-Timestamp`).
    pub fn signs_time(self) -> bool {
        matches!(self, Method::Signature | Method::TaskSignature)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Signature => "the `X-Midjourney-Signature` HMAC of the body",
            Method::SharedSecret => "the `x-webhook-secret` header",
            Method::UrlToken => "the hook URL's token",
            Method::TaskSignature => "the `X-Webhook-Signature` HMAC of the task id and time",
        })
    }
}

/// Checks that requests come from a provider, using the [`Method`] that
/// provider supports.
///
/// ```
/// use std::time::Duration;
/// use chrono::{DateTime, Utc};
/// use mjhook::verify::{signature_header, Request, Verifier};
/// use mjhook::{Provider, VerifyError};
///
/// let body = br#"{"event":"job.completed","job_id":"j-1","status":"completed","timestamp":"2024-05-01T12:00:20Z"}"#;
/// let headers = [signature_header("new-secret", body)];
/// let verifier = Verifier::new(Provider::Asyncapi)
///     .secret("old-secret")
///     .secret("new-secret") // rotation: either one is accepted
///     .tolerance(Duration::from_secs(300));
/// let request = Request::new(body).headers(&headers);
///
/// let now: DateTime<Utc> = "2024-05-01T12:04:00Z".parse()?;
/// assert!(verifier.verify_at(&request, now).is_ok());
///
/// let later: DateTime<Utc> = "2024-05-01T13:00:00Z".parse()?;
/// assert!(matches!(verifier.verify_at(&request, later), Err(VerifyError::Stale { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Verifier {
    provider: Provider,
    method: Method,
    secrets: Vec<Secret>,
    tolerance: Option<Duration>,
    token_param: String,
    options: DecodeOptions,
}

impl Verifier {
    /// A verifier for `provider`'s requests, with no secret yet (it refuses
    /// everything until one is added), no replay window, the token parameter
    /// [`DEFAULT_TOKEN_PARAM`] and the default [`DecodeOptions`].
    pub fn new(provider: Provider) -> Self {
        Verifier {
            provider,
            method: Method::of(provider),
            secrets: Vec::new(),
            tolerance: None,
            token_param: DEFAULT_TOKEN_PARAM.to_owned(),
            options: DecodeOptions::default(),
        }
    }

    /// Checks requests by `method` instead of the provider's default
    /// ([`Method::of`]): one of [`Method::supported`], such as KIE.ai's
    /// HMAC once the account has enabled it. Another is a
    /// [`VerifyError::UnsupportedMethod`] on every request.
    ///
    /// ```
    /// use mjhook::verify::{task_signature_headers, Method, Request, Verifier};
    /// use mjhook::Provider;
    ///
    /// let body = br#"{"code":200,"msg":"success","data":{"taskId":"mj_task_1","resultUrls":[]}}"#;
    /// let headers = task_signature_headers("my-hmac-key", "mj_task_1", 1_714_564_800);
    /// let verifier = Verifier::new(Provider::Kie)
    ///     .using(Method::TaskSignature)
    ///     .secret("my-hmac-key");
    /// assert!(verifier.verify(&Request::new(body).headers(&headers)).is_ok());
    /// ```
    pub fn using(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Adds a secret: the `asyncapi` signing key, the `apiframe`/`goapi`
    /// webhook secret, KIE.ai's HMAC key, or the URL token. Add several to
    /// rotate.
    pub fn secret(mut self, secret: impl Into<Secret>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Adds several secrets.
    pub fn secrets<S: Into<Secret>>(mut self, secrets: impl IntoIterator<Item = S>) -> Self {
        self.secrets.extend(secrets.into_iter().map(Into::into));
        self
    }

    /// Refuses an `asyncapi` body whose `timestamp`, or a KIE.ai request
    /// whose signed `X-Webhook-Timestamp` ([`Method::TaskSignature`]), is
    /// more than `tolerance` before or after the clock. Other methods sign no
    /// time, and verifying by them with a window set is
    /// [`VerifyError::ReplayWindowUnsupported`].
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// The query parameter that holds the URL token (`imagineapi`,
    /// `midjourney_api`); [`DEFAULT_TOKEN_PARAM`] unless set. Other providers
    /// do not read it.
    pub fn token_param(mut self, name: impl Into<String>) -> Self {
        self.token_param = name.into();
        self
    }

    /// The limits [`verify_and_decode`](Verifier::verify_and_decode) and
    /// [`Verified::decode`] use.
    pub fn decode_options(mut self, options: DecodeOptions) -> Self {
        self.options = options;
        self
    }

    /// The provider this verifier is for.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// How this verifier authenticates requests: [`Method::of`] its
    /// provider, unless [`Verifier::using`] chose another.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The body size limit of its [`DecodeOptions`]: a larger body is
    /// refused unread.
    pub fn limit(&self) -> usize {
        self.options.limit()
    }

    /// Verifies a request, reading the system clock for the replay window.
    pub fn verify<'a>(&self, request: &Request<'a>) -> Result<Verified<'a>, VerifyError> {
        self.verify_at(request, DateTime::<Utc>::from(SystemTime::now()))
    }

    /// Verifies a request as of `now`, which only the replay window uses.
    ///
    /// Configuration errors (no secret, a window for a provider without
    /// signed timestamps) are reported before the request is looked at.
    pub fn verify_at<'a>(
        &self,
        request: &Request<'a>,
        now: DateTime<Utc>,
    ) -> Result<Verified<'a>, VerifyError> {
        let method = self.method;
        if !Method::supported(self.provider).contains(&method) {
            return Err(VerifyError::UnsupportedMethod {
                provider: self.provider,
                method,
            });
        }
        if self.tolerance.is_some() && !method.signs_time() {
            return Err(VerifyError::ReplayWindowUnsupported {
                provider: self.provider,
                method,
            });
        }
        let secrets: Vec<&[u8]> = self
            .secrets
            .iter()
            .map(Secret::expose)
            .filter(|secret| !secret.is_empty())
            .collect();
        if secrets.is_empty() {
            return Err(VerifyError::NoSecret {
                provider: self.provider,
            });
        }
        match method {
            Method::Signature => {
                check_signature(&secrets, request)?;
                if let Some(tolerance) = self.tolerance {
                    check_window(request.body, tolerance, now)?;
                }
            }
            Method::SharedSecret => {
                let sent = request.headers.header_values(SECRET_HEADER);
                if sent.is_empty() {
                    return Err(VerifyError::MissingHeader {
                        name: SECRET_HEADER,
                    });
                }
                let sent = sent.into_iter().map(<[u8]>::trim_ascii);
                check_equal(&secrets, sent, method)?;
            }
            Method::TaskSignature => {
                let signed_at = check_task_signature(&secrets, request)?;
                if let Some(tolerance) = self.tolerance {
                    check_age(signed_at, tolerance, now)?;
                }
            }
            Method::UrlToken => {
                let url = request.url.ok_or(VerifyError::MissingUrl {
                    provider: self.provider,
                })?;
                let sent = query_values(url, &self.token_param);
                if sent.is_empty() {
                    return Err(VerifyError::MissingToken {
                        param: self.token_param.clone(),
                    });
                }
                check_equal(&secrets, sent.iter().map(Vec::as_slice), method)?;
            }
        }
        Ok(Verified {
            provider: self.provider,
            body: request.body,
            options: self.options,
        })
    }

    /// Verifies a request, then decodes its one job's event.
    ///
    /// A body over the [`DecodeOptions`] size limit is refused first, as a
    /// [`DecodeError::TooLarge`], without computing anything over it.
    pub fn verify_and_decode(&self, request: &Request<'_>) -> Result<JobEvent, ReceiveError> {
        self.check_size(request)?;
        Ok(self.verify(request)?.decode()?)
    }

    /// Verifies a request, then decodes every job its body holds.
    pub fn verify_and_decode_all(
        &self,
        request: &Request<'_>,
    ) -> Result<Vec<JobEvent>, ReceiveError> {
        self.check_size(request)?;
        Ok(self.verify(request)?.decode_all()?)
    }

    fn check_size(&self, request: &Request<'_>) -> Result<(), DecodeError> {
        let limit = self.options.limit();
        if request.body.len() > limit {
            return Err(DecodeError::TooLarge {
                provider: Some(self.provider),
                size: request.body.len(),
                limit,
            });
        }
        Ok(())
    }
}

/// A body that passed verification, ready to decode as its provider.
#[derive(Clone, Copy)]
pub struct Verified<'a> {
    provider: Provider,
    body: &'a [u8],
    options: DecodeOptions,
}

impl<'a> Verified<'a> {
    /// The provider whose check the body passed.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The authenticated raw body.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Decodes the body's one job's event as the verified provider.
    pub fn decode(&self) -> Result<JobEvent, DecodeError> {
        self.options.decode(self.provider, self.body)
    }

    /// Decodes every job the body holds as the verified provider.
    pub fn decode_all(&self) -> Result<Vec<JobEvent>, DecodeError> {
        self.options.decode_all(Some(self.provider), self.body)
    }
}

impl fmt::Debug for Verified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("provider", &self.provider)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Why a received webhook gave no events: it was not authentic, or it was
/// authentic but did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The request failed verification; its body was not parsed. A server
    /// answers 401 (or 500 when [`VerifyError::is_configuration`]).
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The request is authentic, but its body is not a job event this crate
    /// can decode. A server answers 2xx or 422 as its vendor's retry policy
    /// makes sensible. The one exception is [`DecodeError::TooLarge`]: a
    /// body over the size limit is refused before verification, so nothing
    /// is known of its authenticity, and a server answers 413.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// The `X-Midjourney-Signature` value for `body` signed with `secret`: the
/// HMAC-SHA256 as 64 lowercase hex digits, the plainest form a
/// [`Verifier`] accepts.
///
/// For tests of receivers; RFC 4231 test case 2:
///
/// ```
/// assert_eq!(
///     mjhook::verify::sign("Jefe", b"what do ya want for nothing?"),
///     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
/// );
/// ```
pub fn sign(secret: impl AsRef<[u8]>, body: &[u8]) -> String {
    // Hmac accepts keys of any length, so there is no failure to report;
    // an empty string would fail verification if there ever were one.
    mac_of(secret.as_ref(), &[body])
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// The HMAC-SHA256 keyed with `secret` over `parts`, one after another:
/// the raw body for `asyncapi`, `<task id>.<timestamp>` for KIE.ai.
fn mac_of(secret: &[u8], parts: &[&[u8]]) -> Option<HmacSha256> {
    let mac = HmacSha256::new_from_slice(secret).ok()?;
    Some(parts.iter().fold(mac, |mac, part| mac.chain_update(part)))
}

/// Whether the HMAC of `parts` under any secret is `digest`. Every secret
/// is tried, matched or not, so timing does not reveal which one matched.
fn any_secret_signed(secrets: &[&[u8]], parts: &[&[u8]], digest: &[u8; 32]) -> bool {
    secrets.iter().fold(false, |matched, secret| {
        let this = mac_of(secret, parts).is_some_and(|mac| mac.verify_slice(digest).is_ok());
        matched | this
    })
}

/// The 32-byte digest that 44 characters of padded standard base64 spell.
fn base64_digest(value: &[u8]) -> Option<[u8; 32]> {
    let mut digest = [0u8; 32];
    let decoded = base64::engine::general_purpose::STANDARD.decode_slice(value, &mut digest);
    (value.len() == 44 && decoded == Ok(32)).then_some(digest)
}

/// The `(name, value)` header an `asyncapi` sender would attach to `body`.
pub fn signature_header(secret: impl AsRef<[u8]>, body: &[u8]) -> (&'static str, String) {
    (SIGNATURE_HEADER, sign(secret, body))
}

/// The `(name, value)` header `apiframe` and `goapi` attach: the secret itself.
pub fn secret_header(secret: impl Into<String>) -> (&'static str, String) {
    (SECRET_HEADER, secret.into())
}

/// KIE.ai's `X-Webhook-Signature` value for a callback about `task_id`
/// sent at `timestamp` (its `X-Webhook-Timestamp`, as sent): base64 of the
/// HMAC-SHA256 of `<task_id>.<timestamp>` keyed with `secret`.
pub fn sign_task(secret: impl AsRef<[u8]>, task_id: &str, timestamp: &str) -> String {
    // As in `sign`: Hmac takes keys of any length.
    mac_of(
        secret.as_ref(),
        &[task_id.as_bytes(), b".", timestamp.as_bytes()],
    )
    .map(|mac| base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
    .unwrap_or_default()
}

/// The two headers a KIE.ai account with its HMAC enabled attaches to a
/// callback about `task_id` sent at `unix_seconds`.
pub fn task_signature_headers(
    secret: impl AsRef<[u8]>,
    task_id: &str,
    unix_seconds: i64,
) -> [(&'static str, String); 2] {
    let timestamp = unix_seconds.to_string();
    [
        (
            TASK_SIGNATURE_HEADER,
            sign_task(secret, task_id, &timestamp),
        ),
        (TASK_TIMESTAMP_HEADER, timestamp),
    ]
}

/// `url` with `param=token` added to its query (percent-encoded as needed),
/// before any `#fragment`: the hook URL to register with `imagineapi`,
/// `midjourney_api`, `midjourney_proxy` or `ttapi`, and the URL to put in a
/// test [`Request`].
///
/// ```
/// let url = mjhook::verify::url_with_token("https://example.com/hook?src=mj", "token", "a b/c");
/// assert_eq!(url, "https://example.com/hook?src=mj&token=a%20b%2Fc");
/// ```
pub fn url_with_token(url: &str, param: &str, token: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let separator = match base.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some((_, query)) if query.ends_with('&') => "",
        Some(_) => "&",
    };
    let mut out = format!(
        "{base}{separator}{}={}",
        percent_encode(param),
        percent_encode(token)
    );
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Tries every well-formed signature value against every secret; the body
/// passes when any pair matches.
fn check_signature(secrets: &[&[u8]], request: &Request<'_>) -> Result<(), VerifyError> {
    let values = request.headers.header_values(SIGNATURE_HEADER);
    if values.is_empty() {
        return Err(VerifyError::MissingHeader {
            name: SIGNATURE_HEADER,
        });
    }
    let mut first_problem = None;
    let mut well_formed = false;
    let mut matched = false;
    for value in values {
        match parse_signature(value) {
            Ok(digest) => {
                well_formed = true;
                matched |= any_secret_signed(secrets, &[request.body], &digest);
            }
            Err(problem) => {
                first_problem.get_or_insert(problem);
            }
        }
    }
    match (matched, well_formed, first_problem) {
        (true, ..) => Ok(()),
        (false, false, Some(problem)) => Err(VerifyError::MalformedSignature { problem }),
        _ => Err(VerifyError::Mismatch {
            method: Method::Signature,
        }),
    }
}

/// The 32-byte digest a signature value spells, or what is wrong with it.
fn parse_signature(value: &[u8]) -> Result<[u8; 32], SignatureProblem> {
    let value = value.trim_ascii();
    let digits = strip_prefix_ignore_case(value, b"sha256=").unwrap_or(value);
    let mut digest = [0u8; 32];
    match digits.len() {
        0 => Err(SignatureProblem::Empty),
        64 => match hex::decode_to_slice(digits, &mut digest) {
            Ok(()) => Ok(digest),
            Err(_) if has_foreign_prefix(digits) => Err(SignatureProblem::Prefix),
            Err(_) => Err(SignatureProblem::NotHex),
        },
        44 => match base64_digest(digits) {
            Some(digest) => Ok(digest),
            None if has_foreign_prefix(digits) => Err(SignatureProblem::Prefix),
            None => Err(SignatureProblem::NotBase64),
        },
        _ if has_foreign_prefix(digits) => Err(SignatureProblem::Prefix),
        found => Err(SignatureProblem::Length { found }),
    }
}

fn strip_prefix_ignore_case<'v>(value: &'v [u8], prefix: &[u8]) -> Option<&'v [u8]> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| value.get(prefix.len()..))
        .flatten()
}

/// Whether the value starts like `sha1=…`, `v0=…` or `v1,…`: a short label,
/// then `=` or `,`, then more. Neither hex nor a 44-character base64 value
/// can look like this, since base64's `=` only pads the end.
fn has_foreign_prefix(value: &[u8]) -> bool {
    let label_len = value
        .iter()
        .take_while(|byte| byte.is_ascii_alphanumeric() || **byte == b'-' || **byte == b'_')
        .count();
    (1..=16).contains(&label_len)
        && matches!(
            value.get(label_len..),
            Some([b'=' | b',', rest @ ..]) if !rest.is_empty()
        )
}

/// Whether any sent value equals any secret, in constant time for each pair
/// of equal length (a length difference is not hidden, as usual).
fn check_equal<'s>(
    secrets: &[&[u8]],
    sent: impl IntoIterator<Item = &'s [u8]>,
    method: Method,
) -> Result<(), VerifyError> {
    let mut matched = subtle::Choice::from(0);
    for value in sent {
        for secret in secrets {
            matched |= value.ct_eq(*secret);
        }
    }
    if bool::from(matched) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch { method })
    }
}

/// The task id a KIE.ai HMAC signs: `data.taskId` of the callback, or
/// `data.task_id`, as the vendor's own sample reads it.
#[derive(Deserialize)]
struct TaskBody<'a> {
    #[serde(borrow)]
    data: Option<TaskData<'a>>,
}

#[derive(Deserialize)]
struct TaskData<'a> {
    #[serde(borrow, rename = "taskId", alias = "task_id")]
    task_id: Option<std::borrow::Cow<'a, str>>,
}

/// Checks KIE.ai's `X-Webhook-Signature` over `<taskId>.<timestamp>`
/// against every secret; gives the signed time.
fn check_task_signature(
    secrets: &[&[u8]],
    request: &Request<'_>,
) -> Result<DateTime<Utc>, VerifyError> {
    let signatures = request.headers.header_values(TASK_SIGNATURE_HEADER);
    if signatures.is_empty() {
        return Err(VerifyError::MissingHeader {
            name: TASK_SIGNATURE_HEADER,
        });
    }
    // The signed string holds the time as sent: one value, of digits only,
    // so that no two spellings of one time sign differently.
    let timestamp = match request.headers.header_values(TASK_TIMESTAMP_HEADER)[..] {
        [] => {
            return Err(VerifyError::MissingHeader {
                name: TASK_TIMESTAMP_HEADER,
            })
        }
        [value] => value.trim_ascii(),
        _ => {
            return Err(VerifyError::MalformedHeader {
                name: TASK_TIMESTAMP_HEADER,
                problem: "it is sent more than once",
            })
        }
    };
    let signed_at = std::str::from_utf8(timestamp)
        .ok()
        .filter(|digits| (1..=12).contains(&digits.len()))
        .filter(|digits| digits.bytes().all(|byte| byte.is_ascii_digit()))
        .and_then(|digits| digits.parse::<i64>().ok())
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
        .ok_or(VerifyError::MalformedHeader {
            name: TASK_TIMESTAMP_HEADER,
            problem: "it is not a Unix time in seconds (up to 12 digits)",
        })?;
    let task_id = serde_json::from_slice::<TaskBody>(request.body)
        .map_err(|error| error.to_string())
        .and_then(|body| {
            (body.data.and_then(|data| data.task_id))
                .filter(|id| !id.is_empty())
                .ok_or_else(|| "it has none".to_owned())
        })
        .map_err(|reason| VerifyError::MissingTaskId { reason })?;

    let signed = [task_id.as_bytes(), b".", timestamp];
    let mut well_formed = false;
    let mut matched = false;
    for digest in signatures
        .iter()
        .filter_map(|value| base64_digest(value.trim_ascii()))
    {
        well_formed = true;
        matched |= any_secret_signed(secrets, &signed, &digest);
    }
    match (matched, well_formed) {
        (true, _) => Ok(signed_at),
        (false, false) => Err(VerifyError::MalformedHeader {
            name: TASK_SIGNATURE_HEADER,
            problem: "it is not 44 characters of padded standard base64 (an HMAC-SHA256)",
        }),
        (false, true) => Err(VerifyError::Mismatch {
            method: Method::TaskSignature,
        }),
    }
}

/// The AsyncAPI body's own time, read with a parse of that one field, as
/// the decoder reads it (an event's `occurred_at`).
#[derive(Deserialize)]
struct Stamped<'a> {
    #[serde(borrow)]
    timestamp: Option<crate::quirks::Timestamp<'a>>,
}

fn check_window(body: &[u8], tolerance: Duration, now: DateTime<Utc>) -> Result<(), VerifyError> {
    let stamped: Stamped =
        serde_json::from_slice(body).map_err(|error| VerifyError::BadTimestamp {
            reason: error.to_string(),
        })?;
    // `""`, `0` and Go's zero time say "not set": never fresh.
    let at = (stamped.timestamp.as_ref())
        .and_then(crate::quirks::Timestamp::to_utc)
        .ok_or(VerifyError::MissingTimestamp)?;
    check_age(at, tolerance, now)
}

/// Refuses a signed time further than `tolerance` from `now`, either way.
fn check_age(
    at: DateTime<Utc>,
    tolerance: Duration,
    now: DateTime<Utc>,
) -> Result<(), VerifyError> {
    // A tolerance beyond chrono's range admits every time there is.
    let Ok(limit) = TimeDelta::from_std(tolerance) else {
        return Ok(());
    };
    let age = now.signed_duration_since(at);
    if age > limit {
        return Err(VerifyError::Stale {
            age: age.to_std().unwrap_or(Duration::MAX),
            tolerance,
        });
    }
    if -age > limit {
        return Err(VerifyError::Future {
            ahead: (-age).to_std().unwrap_or(Duration::MAX),
            tolerance,
        });
    }
    Ok(())
}

/// Every value of `param` in the URL's query, decoded as
/// `application/x-www-form-urlencoded` (`%XX`, and `+` for a space).
fn query_values(url: &str, param: &str) -> Vec<Vec<u8>> {
    let url = url.split_once('#').map_or(url, |(url, _)| url);
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == param)
        .map(|(_, value)| value.into_owned().into_bytes())
        .collect()
}

/// Everything but RFC 3986's unreserved characters is escaped, so the
/// result reads back the same whichever query decoding the server uses
/// (form decoding would turn a `+` into a space).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn percent_encode(text: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        match DateTime::parse_from_rfc3339(text) {
            Ok(time) => time.with_timezone(&Utc),
            Err(error) => panic!("bad test time {text}: {error}"),
        }
    }

    fn asyncapi(secrets: &[&str]) -> Verifier {
        Verifier::new(Provider::Asyncapi).secrets(secrets.iter().copied())
    }

    fn check(verifier: &Verifier, body: &[u8], signature: &str) -> Result<(), VerifyError> {
        let headers = [(SIGNATURE_HEADER, signature)];
        verifier
            .verify_at(&Request::new(body).headers(&headers), at(STAMP))
            .map(|_| ())
    }

    /// The vectors of `tests/data/asyncapi-signature-vectors.json` (its README
    /// names their source), which `tests/verify_vectors.rs` checks through
    /// the public API; here they also exercise the reasons for refusals.
    const SECRET: &str = "mj_test_webhook_secret";
    const BODY: &str = r#"{"event":"job.progress","job_id":"3f2b8c1e-6d4a-4b7e-9a51-2c8e0f7d1a93","status":"in_progress","progress":45,"type":"imagine","prompt":"a red fox in snow --ar 3:2","timestamp":"2024-05-01T12:00:20Z"}"#;
    const STAMP: &str = "2024-05-01T12:00:20Z";
    const ACCEPT: [(&str, &str); 5] = [
        (
            "hex_lower",
            "49ecc49cb3fe7122d6b976e1e1cf4ab93f336eb89975d9408addb786a92c54f0",
        ),
        (
            "hex_upper",
            "49ECC49CB3FE7122D6B976E1E1CF4AB93F336EB89975D9408ADDB786A92C54F0",
        ),
        (
            "sha256_prefix_hex",
            "sha256=49ecc49cb3fe7122d6b976e1e1cf4ab93f336eb89975d9408addb786a92c54f0",
        ),
        (
            "base64_std_padded",
            "SezEnLP+cSLWuXbh4c9KuT8zbriZddlAit23hqksVPA=",
        ),
        (
            "sha256_prefix_base64",
            "sha256=SezEnLP+cSLWuXbh4c9KuT8zbriZddlAit23hqksVPA=",
        ),
    ];
    const REJECT: [(&str, &str); 6] = [
        (
            "same_secret_body_plus_trailing_newline_hex",
            "7f193a365693dd69b4957ffc75d0d79cec10a58e458a1ebe9d5e61b8aa64f17a",
        ),
        (
            "same_secret_pretty_printed_body_hex",
            "896722de633c5a36893165097f6accccffaab224eb48b958425b37e267bf529c",
        ),
        (
            "truncated_hex_first_32_chars",
            "49ecc49cb3fe7122d6b976e1e1cf4ab9",
        ),
        ("empty", ""),
        (
            "sha1_prefix_with_sha256_hex",
            "sha1=49ecc49cb3fe7122d6b976e1e1cf4ab93f336eb89975d9408addb786a92c54f0",
        ),
        (
            "wrong_secret_hex",
            "2df945d3c69deceda78d5cabb26a0d57242b072c90f22c6a46a3218c23f0a132",
        ),
    ];
    const BASE64URL_UNPADDED: &str = "SezEnLP-cSLWuXbh4c9KuT8zbriZddlAit23hqksVPA";
    const HEX_WITH_WHITESPACE: &str =
        "  49ecc49cb3fe7122d6b976e1e1cf4ab93f336eb89975d9408addb786a92c54f0 ";
    const SHA256_PREFIX_UPPERCASE: &str =
        "SHA256=49ecc49cb3fe7122d6b976e1e1cf4ab93f336eb89975d9408addb786a92c54f0";
    const V1_COMMA_BASE64: &str = "v1,SezEnLP+cSLWuXbh4c9KuT8zbriZddlAit23hqksVPA=";

    #[test]
    fn rfc4231_case_2() {
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let verifier = asyncapi(&["Jefe"]);
        let body = b"what do ya want for nothing?";
        let headers = [signature_header("Jefe", body)];
        assert!(verifier
            .verify(&Request::new(body).headers(&headers))
            .is_ok());
    }

    #[test]
    fn sign_reproduces_the_vector() {
        assert_eq!(sign(SECRET, BODY.as_bytes()), ACCEPT[0].1);
    }

    #[test]
    fn every_accept_vector_is_accepted() {
        let verifier = asyncapi(&[SECRET]);
        for (name, signature) in ACCEPT {
            assert_eq!(
                check(&verifier, BODY.as_bytes(), signature),
                Ok(()),
                "{name}"
            );
        }
    }

    #[test]
    fn every_reject_vector_is_rejected_for_its_reason() {
        let verifier = asyncapi(&[SECRET]);
        let mismatch = Err(VerifyError::Mismatch {
            method: Method::Signature,
        });
        let malformed = |problem| Err(VerifyError::MalformedSignature { problem });
        let expected = [
            mismatch.clone(),
            mismatch.clone(),
            malformed(SignatureProblem::Length { found: 32 }),
            malformed(SignatureProblem::Empty),
            malformed(SignatureProblem::Prefix),
            mismatch,
        ];
        for ((name, signature), expected) in REJECT.into_iter().zip(expected) {
            assert_eq!(
                check(&verifier, BODY.as_bytes(), signature),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn reject_vectors_hold_for_the_bodies_they_were_made_from() {
        // The first two reject vectors are right for a re-serialized body;
        // checking that keeps them from being rejected by accident.
        let verifier = asyncapi(&[SECRET]);
        let with_newline = format!("{BODY}\n");
        assert_eq!(
            check(&verifier, with_newline.as_bytes(), REJECT[0].1),
            Ok(())
        );
        assert_eq!(
            check(
                &asyncapi(&["some other secret"]),
                BODY.as_bytes(),
                REJECT[5].1
            ),
            Err(VerifyError::Mismatch {
                method: Method::Signature
            })
        );
    }

    #[test]
    fn policy_base64url_and_unpadded_base64_are_refused() {
        let verifier = asyncapi(&[SECRET]);
        assert_eq!(
            check(&verifier, BODY.as_bytes(), BASE64URL_UNPADDED),
            Err(VerifyError::MalformedSignature {
                problem: SignatureProblem::Length { found: 43 }
            })
        );
        let unpadded_standard = ACCEPT[3].1.trim_end_matches('=');
        assert!(check(&verifier, BODY.as_bytes(), unpadded_standard).is_err());
        let padded_url_alphabet = ACCEPT[3].1.replace('+', "-");
        assert_eq!(
            check(&verifier, BODY.as_bytes(), &padded_url_alphabet),
            Err(VerifyError::MalformedSignature {
                problem: SignatureProblem::NotBase64
            })
        );
    }

    #[test]
    fn policy_surrounding_white_space_is_ignored_inner_is_not() {
        let verifier = asyncapi(&[SECRET]);
        assert_eq!(
            check(&verifier, BODY.as_bytes(), HEX_WITH_WHITESPACE),
            Ok(())
        );
        assert_eq!(
            check(&verifier, BODY.as_bytes(), &format!("\t{}\t", ACCEPT[4].1)),
            Ok(())
        );
        let inner = format!("sha256= {}", ACCEPT[0].1);
        assert_eq!(
            check(&verifier, BODY.as_bytes(), &inner),
            Err(VerifyError::MalformedSignature {
                problem: SignatureProblem::Length { found: 65 }
            })
        );
        assert_eq!(
            check(&verifier, BODY.as_bytes(), "   "),
            Err(VerifyError::MalformedSignature {
                problem: SignatureProblem::Empty
            })
        );
    }

    #[test]
    fn policy_the_sha256_prefix_matches_in_any_case() {
        let verifier = asyncapi(&[SECRET]);
        assert_eq!(
            check(&verifier, BODY.as_bytes(), SHA256_PREFIX_UPPERCASE),
            Ok(())
        );
        let mixed = format!("Sha256={}", ACCEPT[3].1);
        assert_eq!(check(&verifier, BODY.as_bytes(), &mixed), Ok(()));
        assert_eq!(
            check(&verifier, BODY.as_bytes(), "sha256="),
            Err(VerifyError::MalformedSignature {
                problem: SignatureProblem::Empty
            })
        );
    }

    #[test]
    fn policy_standard_webhooks_v1_form_is_refused() {
        let verifier = asyncapi(&[SECRET]);
        assert_eq!(
            check(&verifier, BODY.as_bytes(), V1_COMMA_BASE64),
            Err(VerifyError::MalformedSignature {
                problem: SignatureProblem::Prefix
            })
        );
        for other in [
            "v0=49ecc49cb3fe7122d6b976e1e1cf4ab93f336eb89975d9408addb786a92c54f0",
            "t=1714564820,v1=49ecc49cb3fe7122d6b976e1e1cf4ab93f336eb89975d9408addb786a92c54f0",
            "sha512=49ecc49cb3fe7122d6b976e1e1cf4ab93f336eb89975d9408addb786a92c5",
        ] {
            assert_eq!(
                check(&verifier, BODY.as_bytes(), other),
                Err(VerifyError::MalformedSignature {
                    problem: SignatureProblem::Prefix
                }),
                "{other}"
            );
        }
    }

    #[test]
    fn non_hex_and_non_ascii_values_are_malformed() {
        let verifier = asyncapi(&[SECRET]);
        let not_hex = format!("{}zz", &ACCEPT[0].1[..62]);
        assert_eq!(
            check(&verifier, BODY.as_bytes(), &not_hex),
            Err(VerifyError::MalformedSignature {
                problem: SignatureProblem::NotHex
            })
        );
        let headers = [(SIGNATURE_HEADER, vec![0xff_u8; 64])];
        let request = Request::new(BODY.as_bytes()).headers(&headers);
        assert_eq!(
            verifier.verify_at(&request, at(STAMP)).map(|_| ()),
            Err(VerifyError::MalformedSignature {
                problem: SignatureProblem::NotHex
            })
        );
    }

    #[test]
    fn rotation_accepts_any_configured_secret() {
        let body = BODY.as_bytes();
        for secrets in [
            &[SECRET, "next"][..],
            &["previous", SECRET][..],
            &["a", "b", SECRET, "c"][..],
        ] {
            assert_eq!(check(&asyncapi(secrets), body, ACCEPT[0].1), Ok(()));
        }
        assert!(check(&asyncapi(&["previous", "next"]), body, ACCEPT[0].1).is_err());

        let goapi = Verifier::new(Provider::Goapi).secrets(["old", "new"]);
        for sent in ["old", "new"] {
            let headers = [secret_header(sent)];
            assert!(goapi.verify(&Request::new(b"{}").headers(&headers)).is_ok());
        }
    }

    #[test]
    fn several_header_values_are_each_tried() {
        let verifier = asyncapi(&[SECRET]);
        let headers = [
            (SIGNATURE_HEADER, "sha1=0000"),
            ("x-midjourney-signature", REJECT[5].1),
            ("X-MIDJOURNEY-SIGNATURE", ACCEPT[3].1),
        ];
        let request = Request::new(BODY.as_bytes()).headers(&headers);
        assert!(verifier.verify_at(&request, at(STAMP)).is_ok());

        // Without a good one, a well-formed value makes it a mismatch, and
        // only malformed ones make it malformed.
        let headers = [
            (SIGNATURE_HEADER, "sha1=0000"),
            (SIGNATURE_HEADER, REJECT[5].1),
        ];
        let request = Request::new(BODY.as_bytes()).headers(&headers);
        assert_eq!(
            verifier.verify_at(&request, at(STAMP)).map(|_| ()),
            Err(VerifyError::Mismatch {
                method: Method::Signature
            })
        );
        let headers = [(SIGNATURE_HEADER, "sha1=0000"), (SIGNATURE_HEADER, "")];
        let request = Request::new(BODY.as_bytes()).headers(&headers);
        assert_eq!(
            verifier.verify_at(&request, at(STAMP)).map(|_| ()),
            Err(VerifyError::MalformedSignature {
                problem: SignatureProblem::Prefix
            })
        );
    }

    #[test]
    fn a_comma_joined_header_is_not_split() {
        let verifier = asyncapi(&[SECRET]);
        let joined = format!("{}, {}", ACCEPT[0].1, ACCEPT[0].1);
        assert!(check(&verifier, BODY.as_bytes(), &joined).is_err());
    }

    #[test]
    fn header_names_match_in_any_case() {
        let body = BODY.as_bytes();
        for name in [
            "X-Midjourney-Signature",
            "x-midjourney-signature",
            "X-MIDJOURNEY-SIGNATURE",
            "x-MidJourney-signaTURE",
        ] {
            let headers = vec![(name.to_owned(), ACCEPT[0].1.to_owned())];
            let request = Request::new(body).headers(&headers);
            assert!(asyncapi(&[SECRET]).verify(&request).is_ok(), "{name}");
        }
        for name in ["X-Webhook-Secret", "x-webhook-secret", "X-WEBHOOK-SECRET"] {
            let headers: HashMap<&str, &str> = [(name, "s3cret")].into_iter().collect();
            let request = Request::new(b"{}").headers(&headers);
            let apiframe = Verifier::new(Provider::Apiframe).secret("s3cret");
            assert!(apiframe.verify(&request).is_ok(), "{name}");
        }
        let headers: BTreeMap<String, String> =
            [("X-Webhook-Secret".to_owned(), "s3cret".to_owned())].into();
        let request = Request::new(b"{}").headers(&headers);
        assert!(Verifier::new(Provider::Goapi)
            .secret("s3cret")
            .verify(&request)
            .is_ok());
    }

    #[cfg(feature = "http")]
    #[test]
    fn http_header_map_is_a_header_source() {
        let mut headers = http::HeaderMap::new();
        headers.append(
            "x-midjourney-signature",
            http::HeaderValue::from_static("sha1=00"),
        );
        headers.append(
            "X-Midjourney-Signature",
            http::HeaderValue::from_static(ACCEPT[1].1),
        );
        assert_eq!(headers.header_values("X-MIDJOURNEY-SIGNATURE").len(), 2);
        assert!(headers.header_values("not a header name").is_empty());
        let request = Request::new(BODY.as_bytes()).headers(&headers);
        assert!(asyncapi(&[SECRET]).verify_at(&request, at(STAMP)).is_ok());
    }

    #[test]
    fn a_missing_header_is_reported_by_name() {
        let body = BODY.as_bytes();
        let other = [("content-type", "application/json")];
        assert_eq!(
            asyncapi(&[SECRET])
                .verify(&Request::new(body).headers(&other))
                .map(|_| ()),
            Err(VerifyError::MissingHeader {
                name: SIGNATURE_HEADER
            })
        );
        for provider in [Provider::Apiframe, Provider::Goapi] {
            assert_eq!(
                Verifier::new(provider)
                    .secret("s")
                    .verify(&Request::new(body))
                    .map(|_| ()),
                Err(VerifyError::MissingHeader {
                    name: SECRET_HEADER
                })
            );
        }
    }

    #[test]
    fn no_secret_refuses_everything() {
        for provider in Provider::ALL {
            for verifier in [
                Verifier::new(provider),
                Verifier::new(provider).secret(""),
                Verifier::new(provider).secrets(["", ""]),
            ] {
                let body = BODY.as_bytes();
                let headers = [signature_header("", body), secret_header("")];
                let request = Request::new(body)
                    .headers(&headers)
                    .url("https://example.com/hook?token=");
                let refused = verifier.verify(&request).map(|_| ());
                assert_eq!(refused, Err(VerifyError::NoSecret { provider }));
                assert!(refused.is_err_and(|error| error.is_configuration()));
            }
        }
    }

    fn windowed(seconds: u64) -> Verifier {
        asyncapi(&[SECRET]).tolerance(Duration::from_secs(seconds))
    }

    fn check_now(verifier: &Verifier, body: &str, now: &str) -> Result<(), VerifyError> {
        let headers = [signature_header(SECRET, body.as_bytes())];
        verifier
            .verify_at(&Request::new(body.as_bytes()).headers(&headers), at(now))
            .map(|_| ())
    }

    #[test]
    fn replay_window_edges_in_the_past() {
        let verifier = windowed(300);
        assert_eq!(check_now(&verifier, BODY, "2024-05-01T12:05:20Z"), Ok(()));
        assert_eq!(
            check_now(&verifier, BODY, "2024-05-01T12:05:21Z"),
            Err(VerifyError::Stale {
                age: Duration::from_secs(301),
                tolerance: Duration::from_secs(300)
            })
        );
    }

    #[test]
    fn replay_window_edges_in_the_future() {
        let verifier = windowed(300);
        assert_eq!(check_now(&verifier, BODY, "2024-05-01T11:55:20Z"), Ok(()));
        assert_eq!(
            check_now(&verifier, BODY, "2024-05-01T11:55:19Z"),
            Err(VerifyError::Future {
                ahead: Duration::from_secs(301),
                tolerance: Duration::from_secs(300)
            })
        );
    }

    #[test]
    fn replay_window_reads_offsets_and_fractions() {
        let verifier = windowed(60);
        let body = r#"{"status":"completed","timestamp":"2024-05-01T14:00:20.500+02:00"}"#;
        assert_eq!(check_now(&verifier, body, "2024-05-01T12:01:20.5Z"), Ok(()));
        assert!(matches!(
            check_now(&verifier, body, "2024-05-01T12:01:21Z"),
            Err(VerifyError::Stale { .. })
        ));
        let huge = asyncapi(&[SECRET]).tolerance(Duration::MAX);
        assert_eq!(check_now(&huge, body, "9999-12-31T23:59:59Z"), Ok(()));
    }

    #[test]
    fn replay_window_needs_a_readable_timestamp() {
        let verifier = windowed(300);
        let now = "2024-05-01T12:00:20Z";
        assert_eq!(
            check_now(&verifier, r#"{"status":"completed"}"#, now),
            Err(VerifyError::MissingTimestamp)
        );
        for unset in ["null", "\"\"", "0"] {
            assert_eq!(
                check_now(&verifier, &format!(r#"{{"timestamp":{unset}}}"#), now),
                Err(VerifyError::MissingTimestamp),
                "{unset}"
            );
        }
        // An epoch is the instant the decoder reads from it.
        for epoch in ["1714564820", "1714564820000", "\"1714564820\""] {
            let body = format!(r#"{{"timestamp":{epoch}}}"#);
            assert_eq!(check_now(&verifier, &body, now), Ok(()), "{body}");
        }
        for body in [
            r#"{"timestamp":"yesterday"}"#,
            r#"{"timestamp":"2024-05-01 12:00:20"}"#,
            r#"{"timestamp":"2024-05-01T12:00:20Z","timestamp":"2024-05-01T12:00:20Z"}"#,
            r#"[{"timestamp":"2024-05-01T12:00:20Z"}]"#,
            "not json",
        ] {
            assert!(
                matches!(
                    check_now(&verifier, body, now),
                    Err(VerifyError::BadTimestamp { .. })
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn the_timestamp_is_read_only_after_the_signature_holds() {
        let verifier = windowed(300);
        let headers = [(SIGNATURE_HEADER, REJECT[5].1)];
        let request = Request::new(b"not json").headers(&headers);
        assert_eq!(
            verifier.verify_at(&request, at(STAMP)).map(|_| ()),
            Err(VerifyError::Mismatch {
                method: Method::Signature
            })
        );
    }

    #[test]
    fn replay_window_is_for_signed_providers_only() {
        for provider in [
            Provider::Apiframe,
            Provider::Goapi,
            Provider::Imagineapi,
            Provider::MidjourneyApi,
        ] {
            let verifier = Verifier::new(provider)
                .secret("s")
                .tolerance(Duration::from_secs(300));
            let refused = verifier.verify(&Request::new(b"{}")).map(|_| ());
            assert_eq!(
                refused,
                Err(VerifyError::ReplayWindowUnsupported {
                    provider,
                    method: Method::of(provider),
                })
            );
        }
        // KIE's URL token signs nothing either; its HMAC signs a time.
        let kie = Verifier::new(Provider::Kie)
            .secret("s")
            .tolerance(Duration::from_secs(300));
        assert_eq!(
            kie.verify(&Request::new(b"{}")).map(|_| ()),
            Err(VerifyError::ReplayWindowUnsupported {
                provider: Provider::Kie,
                method: Method::UrlToken,
            })
        );
    }

    const KIE_KEY: &str = "kie-hmac-key";
    const KIE_BODY: &[u8] = br#"{"code":200,"msg":"success","data":{"taskId":"mj_task_7","resultUrls":["https://example.com/0.png"]}}"#;
    /// 2024-05-01T12:00:00Z.
    const KIE_SENT: i64 = 1_714_564_800;

    fn kie_hmac() -> Verifier {
        Verifier::new(Provider::Kie)
            .using(Method::TaskSignature)
            .secret(KIE_KEY)
    }

    fn kie_check(
        verifier: &Verifier,
        body: &[u8],
        headers: &[(&str, String)],
    ) -> Result<(), VerifyError> {
        let now = at("2024-05-01T12:02:00Z");
        verifier
            .verify_at(&Request::new(body).headers(&headers), now)
            .map(|_| ())
    }

    #[test]
    fn kie_hmac_signs_task_id_dot_timestamp_in_base64() {
        // Worked out apart from `sign_task`, from the documented rule:
        // base64(HMAC-SHA256(key, "<taskId>.<timestamp>")).
        let mac = HmacSha256::new_from_slice(KIE_KEY.as_bytes())
            .expect("any key length")
            .chain_update(b"mj_task_7.1714564800")
            .finalize()
            .into_bytes();
        let expected = base64::engine::general_purpose::STANDARD.encode(mac);
        assert_eq!(sign_task(KIE_KEY, "mj_task_7", "1714564800"), expected);
        let headers = task_signature_headers(KIE_KEY, "mj_task_7", KIE_SENT);
        assert_eq!(headers[0], (TASK_SIGNATURE_HEADER, expected));
        assert_eq!(headers[1], (TASK_TIMESTAMP_HEADER, "1714564800".to_owned()));
        assert_eq!(kie_check(&kie_hmac(), KIE_BODY, &headers), Ok(()));
        // The vendor's sample reads `data.task_id`; and rotation works.
        let snake = br#"{"code":200,"data":{"task_id":"mj_task_7"}}"#;
        let rotated = kie_hmac().secret("new-key");
        let headers = task_signature_headers("new-key", "mj_task_7", KIE_SENT);
        assert_eq!(kie_check(&rotated, snake, &headers), Ok(()));
        // Header names are matched ignoring case, values trimmed.
        let lower = [
            (
                "x-webhook-signature",
                format!(" {} ", sign_task(KIE_KEY, "mj_task_7", "1714564800")),
            ),
            ("x-webhook-timestamp", "1714564800 ".to_owned()),
        ];
        assert_eq!(kie_check(&kie_hmac(), KIE_BODY, &lower), Ok(()));
    }

    #[test]
    fn kie_hmac_refuses_another_task_time_or_key() {
        let mismatch = Err(VerifyError::Mismatch {
            method: Method::TaskSignature,
        });
        for headers in [
            task_signature_headers(KIE_KEY, "mj_task_8", KIE_SENT),
            task_signature_headers("a guess", "mj_task_7", KIE_SENT),
        ] {
            assert_eq!(kie_check(&kie_hmac(), KIE_BODY, &headers), mismatch);
        }
        // The time as signed, not another spelling or another second.
        let mut moved = task_signature_headers(KIE_KEY, "mj_task_7", KIE_SENT);
        moved[1].1 = (KIE_SENT + 1).to_string();
        assert_eq!(kie_check(&kie_hmac(), KIE_BODY, &moved), mismatch);
        let mut padded = task_signature_headers(KIE_KEY, "mj_task_7", KIE_SENT);
        padded[1].1 = format!("0{KIE_SENT}");
        assert_eq!(kie_check(&kie_hmac(), KIE_BODY, &padded), mismatch);
    }

    /// Whether the headers are refused as `name` malformed.
    fn malformed(headers: &[(&str, String)], name: &str) -> bool {
        matches!(
            kie_check(&kie_hmac(), KIE_BODY, headers),
            Err(VerifyError::MalformedHeader { name: found, .. }) if found == name
        )
    }

    #[test]
    fn kie_hmac_needs_both_headers_and_a_task_id() {
        let [signature, timestamp] = task_signature_headers(KIE_KEY, "mj_task_7", KIE_SENT);
        assert_eq!(
            kie_check(&kie_hmac(), KIE_BODY, std::slice::from_ref(&timestamp)),
            Err(VerifyError::MissingHeader {
                name: TASK_SIGNATURE_HEADER
            })
        );
        assert_eq!(
            kie_check(&kie_hmac(), KIE_BODY, std::slice::from_ref(&signature)),
            Err(VerifyError::MissingHeader {
                name: TASK_TIMESTAMP_HEADER
            })
        );
        for bad_time in [
            "",
            "1714564800.5",
            "-1714564800",
            "2024-05-01T12:00:00Z",
            "9999999999999",
        ] {
            let headers = [
                signature.clone(),
                (TASK_TIMESTAMP_HEADER, bad_time.to_owned()),
            ];
            assert!(malformed(&headers, TASK_TIMESTAMP_HEADER), "{bad_time:?}");
        }
        let twice = [signature.clone(), timestamp.clone(), timestamp.clone()];
        assert!(malformed(&twice, TASK_TIMESTAMP_HEADER));
        for bad_signature in ["", "abc", &hex::encode([0u8; 32])] {
            let headers = [
                (TASK_SIGNATURE_HEADER, bad_signature.to_owned()),
                timestamp.clone(),
            ];
            assert!(
                malformed(&headers, TASK_SIGNATURE_HEADER),
                "{bad_signature:?}"
            );
        }
        let headers = [signature, timestamp];
        for body in [
            &b"{}"[..],
            br#"{"data":{"taskId":""}}"#,
            br#"{"data":"mj_task_7"}"#,
            b"not json",
        ] {
            assert!(
                matches!(
                    kie_check(&kie_hmac(), body, &headers),
                    Err(VerifyError::MissingTaskId { .. })
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn kie_hmac_time_is_a_replay_window() {
        let verifier = kie_hmac().tolerance(Duration::from_secs(60));
        let headers = task_signature_headers(KIE_KEY, "mj_task_7", KIE_SENT);
        let request = Request::new(KIE_BODY).headers(&headers);
        assert!(verifier
            .verify_at(&request, at("2024-05-01T12:01:00Z"))
            .is_ok());
        assert!(matches!(
            verifier.verify_at(&request, at("2024-05-01T12:01:01Z")),
            Err(VerifyError::Stale { .. })
        ));
        assert!(matches!(
            verifier.verify_at(&request, at("2024-05-01T11:58:59Z")),
            Err(VerifyError::Future { .. })
        ));
    }

    #[test]
    fn methods_outside_a_providers_list_are_a_configuration_error() {
        let headers = [secret_header("s")];
        for (provider, method) in [
            (Provider::Asyncapi, Method::UrlToken),
            (Provider::Ttapi, Method::TaskSignature),
            (Provider::Kie, Method::SharedSecret),
            (Provider::Acedata, Method::SharedSecret),
        ] {
            let refused = Verifier::new(provider)
                .using(method)
                .secret("s")
                .verify(&Request::new(b"{}").headers(&headers))
                .map(|_| ());
            let expected = VerifyError::UnsupportedMethod { provider, method };
            assert!(expected.is_configuration());
            assert_eq!(refused, Err(expected));
        }
        for provider in Provider::ALL {
            assert_eq!(Method::supported(provider)[0], Method::of(provider));
        }
    }

    #[test]
    fn legnext_can_check_the_echoed_secret_header() {
        let verifier = Verifier::new(Provider::Legnext)
            .using(Method::SharedSecret)
            .secret("lg-secret");
        let good = [secret_header("lg-secret")];
        assert!(verifier.verify(&Request::new(b"{}").headers(&good)).is_ok());
        let bad = [secret_header("lg-guess")];
        assert_eq!(
            verifier
                .verify(&Request::new(b"{}").headers(&bad))
                .map(|_| ()),
            Err(VerifyError::Mismatch {
                method: Method::SharedSecret
            })
        );
        // By default, the URL token.
        let url = url_with_token("https://example.com/hook", "token", "lg-secret");
        let by_token = Verifier::new(Provider::Legnext).secret("lg-secret");
        assert!(by_token.verify(&Request::new(b"{}").url(&url)).is_ok());
        assert!(by_token
            .verify(&Request::new(b"{}").headers(&good))
            .is_err());
    }

    #[test]
    fn shared_secret_prefix_case_and_extension_attacks_fail() {
        let secret = "s3cr3t-Token_42";
        for provider in [Provider::Apiframe, Provider::Goapi] {
            let verifier = Verifier::new(provider).secret(secret);
            let good = [secret_header(secret)];
            assert!(verifier.verify(&Request::new(b"{}").headers(&good)).is_ok());
            let padded = [(SECRET_HEADER, format!(" {secret} "))];
            assert!(verifier
                .verify(&Request::new(b"{}").headers(&padded))
                .is_ok());
            for attack in [
                "s3cr3t-Token_4",
                "s",
                "",
                "S3CR3T-TOKEN_42",
                "s3cr3t-token_42",
                "s3cr3t-Token_421",
                "s3cr3t-Token_42\0",
                "xs3cr3t-Token_42",
            ] {
                let headers = [(SECRET_HEADER, attack)];
                assert_eq!(
                    verifier
                        .verify(&Request::new(b"{}").headers(&headers))
                        .map(|_| ()),
                    Err(VerifyError::Mismatch {
                        method: Method::SharedSecret
                    }),
                    "{attack:?}"
                );
            }
        }
    }

    #[test]
    fn url_tokens_are_read_from_the_query() {
        let token = "tok/en+1 ok";
        for provider in [
            Provider::Imagineapi,
            Provider::MidjourneyApi,
            Provider::Legnext,
            Provider::Kie,
        ] {
            let verifier = Verifier::new(provider).secret(token);
            let url = url_with_token("https://example.com/hook", "token", token);
            assert!(verifier.verify(&Request::new(b"{}").url(&url)).is_ok());
            let target = url_with_token("/hook?a=1#frag", "token", token);
            assert_eq!(target, "/hook?a=1&token=tok%2Fen%2B1%20ok#frag");
            assert!(verifier.verify(&Request::new(b"{}").url(&target)).is_ok());
            // `+` for a space, as a form-urlencoded query has it.
            let plus = "/hook?token=tok%2Fen%2B1+ok";
            assert!(verifier.verify(&Request::new(b"{}").url(plus)).is_ok());
            let repeated = "/hook?token=wrong&token=tok%2Fen%2B1%20ok";
            assert!(verifier.verify(&Request::new(b"{}").url(repeated)).is_ok());

            for (url, expected) in [
                (
                    "/hook?token=tok%2Fen%2B1",
                    VerifyError::Mismatch {
                        method: Method::UrlToken,
                    },
                ),
                (
                    "/hook?token=TOK%2FEN%2B1%20OK",
                    VerifyError::Mismatch {
                        method: Method::UrlToken,
                    },
                ),
                (
                    "/hook?token=",
                    VerifyError::Mismatch {
                        method: Method::UrlToken,
                    },
                ),
                (
                    "/hook?Token=tok%2Fen%2B1%20ok",
                    VerifyError::MissingToken {
                        param: "token".to_owned(),
                    },
                ),
                (
                    "/hook#token=tok%2Fen%2B1%20ok",
                    VerifyError::MissingToken {
                        param: "token".to_owned(),
                    },
                ),
                (
                    "/hook#frag?token=tok%2Fen%2B1%20ok",
                    VerifyError::MissingToken {
                        param: "token".to_owned(),
                    },
                ),
                (
                    "/hook?x=1#&token=tok%2Fen%2B1%20ok",
                    VerifyError::MissingToken {
                        param: "token".to_owned(),
                    },
                ),
            ] {
                assert_eq!(
                    verifier.verify(&Request::new(b"{}").url(url)).map(|_| ()),
                    Err(expected),
                    "{url}"
                );
            }
            assert_eq!(
                verifier.verify(&Request::new(b"{}")).map(|_| ()),
                Err(VerifyError::MissingUrl { provider })
            );
        }
    }

    #[test]
    fn the_token_parameter_is_configurable() {
        let verifier = Verifier::new(Provider::Imagineapi)
            .secret("abc")
            .token_param("mjhook_key");
        assert!(verifier
            .verify(&Request::new(b"{}").url("/in?mjhook_key=abc"))
            .is_ok());
        assert_eq!(
            verifier
                .verify(&Request::new(b"{}").url("/in?token=abc"))
                .map(|_| ()),
            Err(VerifyError::MissingToken {
                param: "mjhook_key".to_owned()
            })
        );
    }

    #[test]
    fn query_values_are_form_decoded_and_keep_stray_percent_signs() {
        let values = |url| query_values(url, "t");
        assert_eq!(values("/h?t=a%2"), [b"a%2"]);
        assert_eq!(values("/h?t=%zz%41"), [b"%zzA"]);
        assert_eq!(values("/h?t=%e2%9c%93+"), ["\u{2713} ".as_bytes()]);
        assert_eq!(values("/h?t&x=1&t=2&%74=3"), [&b""[..], b"2", b"3"]);
        // Not UTF-8: the replacement character, never the raw byte.
        assert_eq!(values("/h?t=%ff"), ["\u{fffd}".as_bytes()]);
        assert!(values("/h").is_empty());
        assert!(values("/h#?t=1").is_empty());
    }

    #[test]
    fn secrets_from_secrecy_types() {
        let text = SecretString::from("s3cret");
        let bytes = SecretSlice::from(b"s3cret".to_vec());
        for secret in [Secret::from(&text), Secret::from(text), Secret::from(bytes)] {
            assert_eq!(secret.expose_secret(), b"s3cret");
            assert_eq!(format!("{secret:?}"), "Secret(\"[REDACTED]\")");
        }
    }

    #[test]
    fn verify_then_decode_keeps_the_error_kinds_apart() {
        let verifier = asyncapi(&[SECRET]);
        let body = BODY.as_bytes();
        let headers = [signature_header(SECRET, body)];
        let event = verifier.verify_and_decode(&Request::new(body).headers(&headers));
        assert!(event
            .is_ok_and(|event| event.job_id.as_str() == "3f2b8c1e-6d4a-4b7e-9a51-2c8e0f7d1a93"));

        let bad = [signature_header("other", body)];
        assert!(matches!(
            verifier.verify_and_decode(&Request::new(body).headers(&bad)),
            Err(ReceiveError::Verify(VerifyError::Mismatch { .. }))
        ));

        let not_a_job = br#"{"hello":"world"}"#;
        let headers = [signature_header(SECRET, not_a_job)];
        assert!(matches!(
            verifier.verify_and_decode_all(&Request::new(not_a_job).headers(&headers)),
            Err(ReceiveError::Decode(_))
        ));

        let small = asyncapi(&[SECRET]).decode_options(DecodeOptions::new().max_bytes(10));
        assert!(matches!(
            small.verify_and_decode(&Request::new(body).headers(&bad)),
            Err(ReceiveError::Decode(DecodeError::TooLarge { .. }))
        ));
    }

    #[test]
    fn verified_decodes_as_its_provider() {
        let body = br#"{"task_id":"t-1","status":"processing","percentage":"40"}"#;
        let headers = [secret_header("s")];
        let request = Request::new(body).headers(&headers);
        let verified = Verifier::new(Provider::Apiframe)
            .secret("s")
            .verify(&request);
        let Ok(verified) = verified else {
            panic!("not verified: {verified:?}");
        };
        assert_eq!(verified.provider(), Provider::Apiframe);
        assert_eq!(verified.body(), body);
        assert!(verified.decode().is_ok());
        assert_eq!(verified.decode_all().map(|events| events.len()), Ok(1));
    }

    /// Headers and an optional URL.
    type Case = (Vec<(&'static str, String)>, Option<String>);

    #[test]
    fn secrets_appear_in_no_error_or_debug_string() {
        let secret = "Sup3r-s3cret-value";
        let body = BODY.as_bytes();
        let expected_signature = sign(secret, body);
        let mut texts = Vec::new();
        for provider in Provider::ALL {
            let verifier = Verifier::new(provider).secret(secret).secret("another");
            texts.push(format!("{verifier:?}"));
            let requests: Vec<Case> = vec![
                (vec![], None),
                (vec![(SIGNATURE_HEADER, sign("wrong", body))], None),
                (vec![(SIGNATURE_HEADER, format!("sha1={secret}"))], None),
                (vec![(SIGNATURE_HEADER, format!("{secret}{secret}"))], None),
                (vec![(SECRET_HEADER, format!("{secret}x"))], None),
                (vec![(SECRET_HEADER, secret[..4].to_owned())], None),
                (vec![], Some(url_with_token("/h", "token", &secret[1..]))),
                (vec![], Some(url_with_token("/h", "tok", secret))),
            ];
            for (headers, url) in &requests {
                let mut request = Request::new(body).headers(headers);
                if let Some(url) = url {
                    request = request.url(url);
                }
                texts.push(format!("{request:?}"));
                for verifier in [verifier.clone(), verifier.clone().tolerance(Duration::ZERO)] {
                    if let Err(error) = verifier.verify_at(&request, at("2030-01-01T00:00:00Z")) {
                        texts.push(error.to_string());
                        texts.push(format!("{error:?}"));
                        let received = ReceiveError::from(error);
                        texts.push(received.to_string());
                        texts.push(format!("{received:?}"));
                    }
                }
            }
        }
        texts.push(format!("{:?}", Secret::from(secret)));
        assert_eq!(
            texts.last().map(String::as_str),
            Some("Secret(\"[REDACTED]\")")
        );
        assert!(texts.len() > 60);
        for text in &texts {
            assert!(!text.contains(secret), "{text}");
            assert!(!text.contains(&secret[..8]), "{text}");
            assert!(!text.contains(&expected_signature), "{text}");
            assert!(!text.contains(&expected_signature[..16]), "{text}");
        }
    }

    #[test]
    fn has_foreign_prefix_never_fires_on_well_formed_digests() {
        assert!(!has_foreign_prefix(ACCEPT[0].1.as_bytes()));
        assert!(!has_foreign_prefix(ACCEPT[3].1.as_bytes()));
        assert!(!has_foreign_prefix(b"abc="));
        assert!(has_foreign_prefix(b"v1,x"));
        assert!(!has_foreign_prefix(b"v1,"));
    }

    #[test]
    fn method_follows_the_provider() {
        assert_eq!(Method::of(Provider::Asyncapi), Method::Signature);
        assert_eq!(Method::of(Provider::Apiframe), Method::SharedSecret);
        assert_eq!(Method::of(Provider::Goapi), Method::SharedSecret);
        assert_eq!(Method::of(Provider::Imagineapi), Method::UrlToken);
        assert_eq!(Method::of(Provider::MidjourneyApi), Method::UrlToken);
        assert_eq!(Method::of(Provider::Legnext), Method::UrlToken);
        assert_eq!(Method::of(Provider::Kie), Method::UrlToken);
    }

    #[test]
    fn the_proxy_and_ttapi_send_nothing_so_the_url_token_decides() {
        // Both post unsigned bodies (and echo the hook URL in them).
        for provider in [Provider::MidjourneyProxy, Provider::Ttapi] {
            assert_eq!(Method::of(provider), Method::UrlToken);
            let verifier = Verifier::new(provider).secret("tok-1");
            let good = url_with_token("https://example.com/hook", "token", "tok-1");
            assert!(verifier.verify(&Request::new(b"{}").url(&good)).is_ok());
            let bad = url_with_token("https://example.com/hook", "token", "tok-2");
            assert!(verifier.verify(&Request::new(b"{}").url(&bad)).is_err());
            assert!(verifier.verify(&Request::new(b"{}")).is_err());
        }
    }

    #[test]
    fn acedata_and_imaginepro_callbacks_are_checked_by_the_url_token() {
        let token = "r4nd0m-t0ken";
        for provider in [Provider::Acedata, Provider::Imaginepro] {
            assert_eq!(Method::of(provider), Method::UrlToken);
            let verifier = Verifier::new(provider).secret(token);
            let url = url_with_token("https://example.com/hooks/mj", "token", token);
            assert!(verifier.verify(&Request::new(b"{}").url(&url)).is_ok());
            // A header carrying the secret is not what these vendors send,
            // and proves nothing.
            let headers = [("x-webhook-secret", token)];
            let without_token = Request::new(b"{}")
                .headers(&headers)
                .url("https://example.com/hooks/mj");
            assert_eq!(
                verifier.verify(&without_token).map(|_| ()),
                Err(VerifyError::MissingToken {
                    param: "token".to_owned()
                })
            );
            let wrong = url_with_token("https://example.com/hooks/mj", "token", "guess");
            assert_eq!(
                verifier
                    .verify(&Request::new(b"{}").url(&wrong))
                    .map(|_| ()),
                Err(VerifyError::Mismatch {
                    method: Method::UrlToken
                })
            );
        }
    }
}
