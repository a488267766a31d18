//! `mjhook verify`: one request body, byte for byte, read under the limit.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use crate::input::STDIN_NAME;
use crate::provider_arg::{ProviderArg, ProviderParser};
use crate::report::{Halt, Log, Out};

/// `mjhook verify`'s arguments. Secrets, header values and the URL are kept
/// in types whose `Debug` output hides them.
#[derive(Debug, clap::Args)]
#[command(group(
    clap::ArgGroup::new("secrets")
        .required(true)
        .multiple(true)
        .args(["secret", "secret_env"])
))]
#[command(after_help = "\
Examples:
  mjhook verify -p asyncapi --secret-env MJ_KEY -H 'X-Midjourney-Signature: 9f2c…' body.json
  mjhook verify -p goapi --secret-env GOAPI_SECRET -H 'x-webhook-secret: …' < body.json
  mjhook verify -p imagineapi --secret-env TOKEN --url 'https://hooks.example.com/mj?token=…' body.json
  mjhook verify -p kie --secret-env KIE_HMAC_KEY -H 'X-Webhook-Signature: …' -H 'X-Webhook-Timestamp: 1714564800' body.json

kie and legnext are checked by the URL token unless the request's headers
carry kie's X-Webhook-Signature (its optional HMAC) or legnext's
x-webhook-secret: then by that.")]
pub struct VerifyArgs {
    /// The vendor that sent the request.
    #[arg(long, short, value_parser = ProviderParser)]
    provider: ProviderArg,
    /// A secret: the asyncapi signing key, the apiframe/goapi (or legnext)
    /// webhook secret, kie's HMAC key, or, for a provider that signs
    /// nothing, the URL token. Repeat to accept any of several (rotation).
    #[arg(long, value_name = "SECRET", value_parser = secret_arg)]
    secret: Vec<mjhook::Secret>,
    /// The name of an environment variable holding a secret, which keeps it
    /// out of the process list. Repeatable.
    #[arg(long, value_name = "VAR")]
    secret_env: Vec<String>,
    /// A request header, as `Name: value`. Repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = hidden_arg)]
    headers: Vec<Hidden>,
    /// Refuse an asyncapi body whose `timestamp`, or a kie request whose
    /// signed X-Webhook-Timestamp, is more than this many seconds before or
    /// after now. Without it no time is checked, so a saved delivery can be
    /// checked later; give it (`mjhook serve` uses 300 for kie) to refuse a
    /// replayed one: kie's HMAC signs only the task id and the time.
    #[arg(long, value_name = "SECS")]
    tolerance: Option<u64>,
    /// The time to measure the tolerance from, instead of the clock.
    #[arg(long, value_name = "RFC3339", requires = "tolerance", value_parser = rfc3339_arg)]
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// The URL the request was sent to (for the URL-token providers: the
    /// token is in its query).
    #[arg(long, value_name = "URL", value_parser = hidden_arg)]
    url: Option<Hidden>,
    /// The query parameter holding the URL token.
    #[arg(long, value_name = "NAME", default_value = mjhook::verify::DEFAULT_TOKEN_PARAM)]
    token_param: String,
    /// Refuse a body larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = mjhook::DecodeOptions::DEFAULT_MAX_BYTES, value_parser = crate::input::byte_limit)]
    max_bytes: usize,
    /// The request body, byte for byte as received (one body, not a
    /// stream); `-` or none reads standard input.
    #[arg(value_name = "FILE|-")]
    file: Option<PathBuf>,
}

/// A command-line value that may hold a secret: shown as `[REDACTED]`.
#[derive(Clone)]
struct Hidden(String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

fn hidden_arg(value: &str) -> Result<Hidden, std::convert::Infallible> {
    Ok(Hidden(value.to_owned()))
}

fn secret_arg(value: &str) -> Result<mjhook::Secret, std::convert::Infallible> {
    Ok(mjhook::Secret::from(value))
}

fn rfc3339_arg(value: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|time| time.with_timezone(&chrono::Utc))
        .map_err(|error| {
            format!("expected an RFC 3339 date-time such as 2024-05-01T12:00:00Z: {error}")
        })
}

/// Why a secret with white space at its ends is refused ([`mjhook::Secret::is_padded`]).
const PADDED: &str =
    "has white space at its start or end (a carriage return from a CRLF file?): remove it";

/// Prints `authentic`, or rejects the request with the reason.
pub fn verify(args: &VerifyArgs, out: &mut Out<impl Write>, log: &mut Log) -> Result<(), Halt> {
    // Messages name arguments by position, never by value: a header value
    // or URL may be the very secret.
    let mut secrets = args.secret.clone();
    for var in &args.secret_env {
        let Some(value) = std::env::var_os(var) else {
            return Err(log.usage(format_args!(
                "verify: the environment variable {var} is not set"
            )));
        };
        if value.is_empty() {
            return Err(log.usage(format_args!(
                "verify: the environment variable {var} is empty: an empty secret would authenticate anyone"
            )));
        }
        let secret = mjhook::Secret::new(value.into_encoded_bytes());
        if secret.is_padded() {
            return Err(log.usage(format_args!(
                "verify: the environment variable {var} {PADDED}"
            )));
        }
        secrets.push(secret);
    }
    for (n, secret) in (1..).zip(&args.secret) {
        if secret.is_empty() {
            return Err(log.usage(format_args!(
                "verify: --secret number {n} is empty: an empty secret would authenticate anyone"
            )));
        }
        if secret.is_padded() {
            return Err(log.usage(format_args!("verify: --secret number {n} {PADDED}")));
        }
    }
    let mut headers = Vec::with_capacity(args.headers.len());
    for (n, Hidden(header)) in (1..).zip(&args.headers) {
        match header.split_once(':') {
            Some((name, value)) if http::HeaderName::from_bytes(name.trim().as_bytes()).is_ok() => {
                headers.push((name.trim(), value.trim()));
            }
            _ => {
                return Err(log.usage(format_args!(
                    "verify: --header number {n} is not of the form `Name: value` with a valid header name"
                )))
            }
        }
    }

    let (name, read) = match args.file.as_deref() {
        None => (
            STDIN_NAME.to_owned(),
            read_limited(io::stdin().lock(), args.max_bytes),
        ),
        Some(path) if path.as_os_str() == "-" => (
            STDIN_NAME.to_owned(),
            read_limited(io::stdin().lock(), args.max_bytes),
        ),
        Some(path) => (
            path.display().to_string(),
            File::open(path).and_then(|file| read_limited(file, args.max_bytes)),
        ),
    };
    let body = match read {
        Ok(Some(body)) => body,
        Ok(None) => {
            log.reject(format_args!(
                "{name}: the body is larger than the limit of {} bytes (--max-bytes)",
                args.max_bytes
            ));
            return Ok(());
        }
        Err(error) => {
            log.reject(format_args!("{name}: cannot read: {error}"));
            return Ok(());
        }
    };

    let mut verifier = mjhook::Verifier::new(args.provider.0)
        .secrets(secrets)
        .token_param(args.token_param.as_str())
        .decode_options(mjhook::DecodeOptions::new().max_bytes(args.max_bytes));
    // A provider with a second, optional method (kie's HMAC, legnext's
    // secret header) is checked by it when the request carries its header.
    let carries = |name: &str| {
        headers
            .iter()
            .any(|(sent, _)| sent.eq_ignore_ascii_case(name))
    };
    let optional = mjhook::verify::Method::supported(args.provider.0)
        .iter()
        .skip(1);
    if let Some(method) = optional
        .copied()
        .find(|method| method.header().is_some_and(carries))
    {
        verifier = verifier.using(method);
    }
    if let Some(seconds) = args.tolerance {
        verifier = verifier.tolerance(std::time::Duration::from_secs(seconds));
    }
    let mut request = mjhook::Request::new(&body).headers(&headers);
    if let Some(Hidden(url)) = &args.url {
        request = request.url(url);
    }
    let verified = match args.now {
        Some(now) => verifier.verify_at(&request, now),
        None => verifier.verify(&request),
    };
    match verified {
        Ok(_) => out.line("authentic"),
        Err(error) if error.is_configuration() => Err(log.usage(format_args!("verify: {error}"))),
        Err(error) => {
            log.reject(format_args!(
                "{name}: not authentic as {}: {error}",
                args.provider.0
            ));
            Ok(())
        }
    }
}

/// The whole of `reader` if it holds at most `limit` bytes; `None` as soon
/// as it is known to hold more, without reading further. The buffer never
/// grows past the limit.
fn read_limited(mut reader: impl Read, limit: usize) -> io::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(Some(body)),
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let room = limit - body.len();
        if n > room {
            return Ok(None);
        }
        if body.capacity() - body.len() < n {
            body.reserve_exact(body.capacity().max(n).min(room));
        }
        body.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_up_to_the_limit_is_read_and_one_byte_more_is_not() {
        let body = vec![b'x'; 20_000];
        let read = read_limited(&body[..], 20_000).unwrap();
        assert_eq!(read.as_deref(), Some(&body[..]));
        assert!(read.is_some_and(|read| read.capacity() <= 20_000));
        assert_eq!(read_limited(&body[..], 19_999).unwrap(), None);
        assert_eq!(read_limited(&b""[..], 0).unwrap(), Some(Vec::new()));
        // An endless input ends at the limit.
        assert_eq!(read_limited(io::repeat(b'x'), 100).unwrap(), None);
    }
}
