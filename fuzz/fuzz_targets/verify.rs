//! Any request given to every verify entry point: a verdict, never a panic.
//! A request that carries the right credential for a configured secret
//! passes; the verdict does not depend on how the headers are held or, without
//! a replay window, on the clock; verifying and decoding in one call agrees
//! with doing it in two; and Debug output never depends on the secrets.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use base64::Engine as _;
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use mjhook::verify::{
    self, Method, Request, Verifier, SECRET_HEADER, SIGNATURE_HEADER, TASK_SIGNATURE_HEADER,
    TASK_TIMESTAMP_HEADER,
};
use mjhook::{Provider, ReceiveError, Verified, VerifyError};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    provider: u8,
    /// Which of the provider's methods ([`Method::supported`]) to check by.
    method: u8,
    secrets: Vec<&'a [u8]>,
    headers: Vec<(Name<'a>, &'a [u8])>,
    url: Option<&'a str>,
    token_param: Option<&'a str>,
    tolerance_secs: Option<u64>,
    now_secs: i64,
    /// Add the right credential for the first secret, spelled this way.
    credential: Option<Form>,
    body: &'a [u8],
}

/// A header name: the ones verification reads, in several cases, or any.
#[derive(Debug, Arbitrary)]
enum Name<'a> {
    Signature,
    SignatureLower,
    Secret,
    SecretUpper,
    TaskSignature,
    TaskTimestamp,
    Other(&'a str),
}

/// How an `X-Midjourney-Signature` value spells the HMAC.
#[derive(Clone, Copy, Debug, Arbitrary)]
enum Form {
    Hex,
    HexUpper,
    Base64,
    Prefixed,
    PrefixedUpper,
    Padded,
}

fuzz_target!(|input: Input| {
    let provider = Provider::ALL[usize::from(input.provider) % Provider::ALL.len()];
    let methods = Method::supported(provider);
    let method = methods[usize::from(input.method) % methods.len()];
    let param = input.token_param.unwrap_or(verify::DEFAULT_TOKEN_PARAM);
    let mut headers: Vec<(String, Vec<u8>)> = input
        .headers
        .iter()
        .map(|(name, value)| (name.spelled().to_owned(), value.to_vec()))
        .collect();
    let mut url = input.url.map(str::to_owned);
    let planted = match (input.credential, input.secrets.first()) {
        (Some(form), Some(secret)) => plant(
            method,
            input.now_secs,
            form,
            secret,
            input.body,
            param,
            &mut headers,
            &mut url,
        ),
        _ => false,
    };

    let configure = |secrets: Vec<&[u8]>| {
        let verifier = Verifier::new(provider)
            .using(method)
            .secrets(secrets)
            .token_param(param);
        match input.tolerance_secs {
            Some(secs) => verifier.tolerance(Duration::from_secs(secs)),
            None => verifier,
        }
    };
    let verifier = configure(input.secrets.clone());
    let decoy = configure(input.secrets.iter().map(|_| b"x".as_slice()).collect());
    assert_eq!(
        format!("{verifier:?}"),
        format!("{decoy:?}"),
        "a secret shows in Debug"
    );
    assert_eq!(verifier.method(), method);

    let mut request = Request::new(input.body).headers(&headers);
    if let Some(url) = &url {
        request = request.url(url);
        let other = request.url("");
        assert_eq!(
            format!("{request:?}"),
            format!("{other:?}"),
            "the URL shows in Debug"
        );
    }
    let now = DateTime::from_timestamp(input.now_secs, 0).unwrap_or_default();
    // The verdict, as the provider that passed (with the body untouched).
    let judge = |verdict: Result<Verified, VerifyError>| {
        verdict.map(|ok| {
            assert_eq!(ok.body(), input.body, "verification changed the body");
            ok.provider()
        })
    };
    let verdict = judge(verifier.verify_at(&request, now));
    let again = judge(verifier.verify_at(&request, now));
    assert_eq!(verdict, again, "two verdicts for the same request");
    if let Some(map) = header_map(&headers) {
        let same = judge(verifier.verify_at(&request.headers(&map), now));
        assert_eq!(verdict, same, "an http::HeaderMap gives another verdict");
    }
    if input.tolerance_secs.is_none() {
        let unclocked = judge(verifier.verify(&request));
        assert_eq!(
            verdict, unclocked,
            "the clock matters without a replay window"
        );
        assert!(
            !planted || verdict.is_ok(),
            "the right credential was refused: {verdict:?}"
        );
    }

    // One call or two: the same outcome (both read the system clock).
    let verified = verifier.verify(&request);
    let one = verified
        .clone()
        .map_err(ReceiveError::from)
        .and_then(|ok| Ok(ok.decode()?));
    let all = verified
        .clone()
        .map_err(ReceiveError::from)
        .and_then(|ok| Ok(ok.decode_all()?));
    assert_eq!(verifier.verify_and_decode(&request), one);
    assert_eq!(verifier.verify_and_decode_all(&request), all);
    if let Ok(ok) = verified {
        mjhook_fuzz::check_results(provider, &ok.decode(), &ok.decode_all());
    }
});

impl Name<'_> {
    fn spelled(&self) -> &str {
        match self {
            Name::Signature => SIGNATURE_HEADER,
            Name::SignatureLower => "x-midjourney-signature",
            Name::Secret => SECRET_HEADER,
            Name::SecretUpper => "X-Webhook-Secret",
            Name::TaskSignature => TASK_SIGNATURE_HEADER,
            Name::TaskTimestamp => "x-webhook-timestamp",
            Name::Other(name) => name,
        }
    }
}

/// Adds the right credential for `secret`, as a vendor sends it by `method`
/// (KIE.ai's HMAC as sent at `now_secs`). False when there is none: an empty
/// secret (it authenticates nobody), a shared secret with white space around
/// it (HTTP trims header values), a URL token that is not UTF-8, or a body
/// whose task id is not plainly one string.
#[allow(clippy::too_many_arguments)]
fn plant(
    method: Method,
    now_secs: i64,
    form: Form,
    secret: &[u8],
    body: &[u8],
    param: &str,
    headers: &mut Vec<(String, Vec<u8>)>,
    url: &mut Option<String>,
) -> bool {
    if secret.is_empty() {
        return false;
    }
    match method {
        Method::TaskSignature => {
            let Some(task_id) = plain_task_id(body) else {
                return false;
            };
            if !(0..=999_999_999_999).contains(&now_secs) {
                return false;
            }
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case(TASK_TIMESTAMP_HEADER));
            for (name, value) in verify::task_signature_headers(secret, &task_id, now_secs) {
                headers.push((name.to_owned(), value.into_bytes()));
            }
        }
        Method::Signature => {
            let (name, hex) = verify::signature_header(secret, body);
            let value = match form {
                Form::Hex => hex,
                Form::HexUpper => hex.to_uppercase(),
                Form::Base64 => base64::engine::general_purpose::STANDARD
                    .encode(hex::decode(&hex).expect("sign gives hex")),
                Form::Prefixed => format!("sha256={hex}"),
                Form::PrefixedUpper => format!("SHA256={}", hex.to_uppercase()),
                Form::Padded => format!(" \t{hex} "),
            };
            headers.push((name.to_owned(), value.into_bytes()));
        }
        Method::SharedSecret if secret.trim_ascii() == secret => {
            match std::str::from_utf8(secret) {
                Ok(text) => {
                    let (name, value) = verify::secret_header(text);
                    headers.push((name.to_owned(), value.into_bytes()));
                }
                Err(_) => headers.push((SECRET_HEADER.to_owned(), secret.to_vec())),
            }
        }
        Method::UrlToken => match std::str::from_utf8(secret) {
            Ok(token) => {
                *url = Some(verify::url_with_token(
                    url.as_deref().unwrap_or("/hook"),
                    param,
                    token,
                ))
            }
            Err(_) => return false,
        },
        _ => return false,
    }
    true
}

/// `data.taskId` (or `data.task_id`) of a body that names it once, with no
/// escape anywhere and one `data`: where any reading of the JSON agrees.
fn plain_task_id(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let once = |key: &str| text.matches(key).count() == 1;
    let keys = text.matches("\"taskId\"").count() + text.matches("\"task_id\"").count();
    if text.contains('\\') || !once("\"data\"") || keys != 1 {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let data = value.get("data")?;
    let id = data
        .get("taskId")
        .or_else(|| data.get("task_id"))?
        .as_str()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// The same headers in an `http::HeaderMap`, when they are all valid there.
fn header_map(headers: &[(String, Vec<u8>)]) -> Option<http::HeaderMap> {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).ok()?;
        map.append(name, http::HeaderValue::from_bytes(value).ok()?);
    }
    Some(map)
}
