//! The flags of `mjhook serve` and `mjhook outbox`, and the checks that turn
//! them into a configuration the server can trust.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::verify::{Method, Verifier};
use crate::{DecodeOptions, Provider};

use super::Error;

/// The flags of `mjhook serve`. Its `Debug` shows no secret, token or key.
#[derive(Clone, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on (`127.0.0.1:8080`, `[::1]:8080`, or a host
    /// name and port such as `localhost:8080`, resolved once at start, the
    /// first address it has); a non-loopback address needs `--api-token`.
    /// Port 0 picks a free port (the log says which).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = listen_address)]
    pub listen: SocketAddr,

    /// The SQLite store, created on first start.
    #[arg(long, value_name = "FILE", default_value = "mjhook.db")]
    pub store: PathBuf,

    /// The webhook secret of a provider that signs (`asyncapi`, and `kie`
    /// once its HMAC is enabled: its HMAC key) or echoes a secret header
    /// (`apiframe`, `goapi`, and `legnext` when a secret can be set), as
    /// PROVIDER=SECRET; repeat to rotate. Also read from
    /// `MJHOOK_SECRET_<PROVIDER>` for a provider no `--secret` or `--token`
    /// names (a flag overrides the variables).
    #[arg(long, value_name = "PROVIDER=SECRET", value_parser = PairParser)]
    pub secret: Vec<(Provider, String)>,

    /// The URL token of a provider that sends no signal (every provider but
    /// `asyncapi`, `apiframe` and `goapi`; `kie` and `legnext` take a
    /// secret or a token, not both), checked against `?token=`, as
    /// PROVIDER=TOKEN. A `MJHOOK_SECRET_*` or `MJHOOK_TOKEN_*` variable
    /// naming no provider stops the start.
    /// Also read from `MJHOOK_TOKEN_<PROVIDER>` for a provider no flag names.
    #[arg(long, value_name = "PROVIDER=TOKEN", value_parser = PairParser)]
    pub token: Vec<(Provider, String)>,

    /// Accept this provider's deliveries without any authenticity check.
    #[arg(long, value_name = "PROVIDER")]
    pub insecure_accept: Vec<Provider>,

    /// POST every accepted event to this URL, signed as a Standard Webhook.
    #[arg(long, value_name = "URL")]
    pub forward: Option<reqwest::Url>,

    /// The Standard Webhooks signing secret for `--forward` (`whsec_` and
    /// base64). Also read from MJHOOK_FORWARD_SECRET.
    #[arg(
        long,
        value_name = "whsec_...",
        env = "MJHOOK_FORWARD_SECRET",
        hide_env_values = true
    )]
    pub forward_secret: Option<String>,

    /// Attempts per forwarded event before it becomes a dead letter.
    #[arg(long, value_name = "N", default_value_t = 12)]
    pub forward_attempts: u32,

    /// The first retry delay; each later one doubles, with jitter.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "1s",
        hide = true,
        env = "MJHOOK_FORWARD_BACKOFF"
    )]
    pub forward_backoff: humantime::Duration,

    /// The longest retry delay.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "1h",
        hide = true,
        env = "MJHOOK_FORWARD_BACKOFF_MAX"
    )]
    pub forward_backoff_max: humantime::Duration,

    /// The bearer token that `/jobs` and `/events` require. Also read from
    /// MJHOOK_API_TOKEN.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "MJHOOK_API_TOKEN",
        hide_env_values = true
    )]
    pub api_token: Option<String>,

    /// The largest delivery body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DecodeOptions::DEFAULT_MAX_BYTES)]
    pub max_body: usize,

    /// Refuse a delivery whose signed time is further than this many
    /// seconds from the clock: an `asyncapi` body's `timestamp` (none when
    /// omitted: vendors retry old events), and the `X-Webhook-Timestamp` of
    /// `kie`'s HMAC (300 when omitted: that HMAC signs only the task id and
    /// the time, so without a window one captured delivery would vouch for
    /// any body about its task for ever).
    #[arg(long, value_name = "SECS")]
    pub tolerance: Option<u64>,

    /// Drop the raw bytes of deliveries older than this (`30d`, `12h`); their
    /// events and job states stay. Kept for ever when omitted.
    #[arg(long, value_name = "DURATION")]
    pub retain: Option<humantime::Duration>,

    /// The log format on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Commit without waiting for the disk (`synchronous=OFF`): a power cut
    /// can lose answered deliveries. For measurements only.
    #[arg(long, hide = true)]
    pub unsafe_no_fsync: bool,

    /// Answer every POST with an empty 200 and do nothing else: the floor
    /// that the load script compares the gateway with.
    #[arg(long, hide = true)]
    pub bare: bool,
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field named, so that a new one cannot be left out unseen.
        let ServeArgs {
            listen,
            store,
            secret,
            token,
            insecure_accept,
            forward,
            forward_secret,
            forward_attempts,
            forward_backoff,
            forward_backoff_max,
            api_token,
            max_body,
            tolerance,
            retain,
            log_format,
            unsafe_no_fsync,
            bare,
        } = self;
        let providers = |pairs: &[(Provider, String)]| {
            pairs
                .iter()
                .map(|(provider, _)| (*provider, REDACTED))
                .collect::<Vec<_>>()
        };
        f.debug_struct("ServeArgs")
            .field("listen", listen)
            .field("store", store)
            .field("secret", &providers(secret))
            .field("token", &providers(token))
            .field("insecure_accept", insecure_accept)
            .field("forward", forward)
            .field("forward_secret", &forward_secret.as_ref().map(|_| REDACTED))
            .field("forward_attempts", forward_attempts)
            .field("forward_backoff", forward_backoff)
            .field("forward_backoff_max", forward_backoff_max)
            .field("api_token", &api_token.as_ref().map(|_| REDACTED))
            .field("max_body", max_body)
            .field("tolerance", tolerance)
            .field("retain", retain)
            .field("log_format", log_format)
            .field("unsafe_no_fsync", unsafe_no_fsync)
            .field("bare", bare)
            .finish()
    }
}

/// What `Debug` shows for a secret.
const REDACTED: &str = "[REDACTED]";

/// Parses `--secret` and `--token` values with [`parse_pair`]. clap's own
/// message for a refused value quotes it whole, which would print a secret:
/// this parser's message never does.
#[derive(Clone, Copy, Debug)]
struct PairParser;

impl clap::builder::TypedValueParser for PairParser {
    type Value = (Provider, String);

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let reason = match value.to_str() {
            Some(text) => match parse_pair(text) {
                Ok(pair) => return Ok(pair),
                Err(reason) => reason,
            },
            None => "the value is not UTF-8".to_owned(),
        };
        let flag = arg.map_or_else(String::new, |arg| format!(" for '{arg}'"));
        let mut command = command.clone();
        Err(command.error(
            clap::error::ErrorKind::ValueValidation,
            format!("invalid value{flag}: {reason}"),
        ))
    }
}

/// The format of the log lines on standard error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

/// The flags of `mjhook outbox`.
#[derive(Clone, Debug, clap::Args)]
pub struct OutboxArgs {
    /// What to do with the outbox.
    #[command(subcommand)]
    pub command: OutboxCommand,
}

/// The `mjhook outbox` subcommands.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum OutboxCommand {
    /// Queue every dead letter for delivery again (a running `mjhook serve`
    /// sends them within 5 s, or the next one does).
    Retry {
        /// The SQLite store of `mjhook serve`.
        #[arg(long, value_name = "FILE", default_value = "mjhook.db")]
        store: PathBuf,
    },
}

fn parse_pair(text: &str) -> Result<(Provider, String), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| {
        format!(
            "expected PROVIDER=VALUE, found no `=` in {:?}",
            redact(text)
        )
    })?;
    let provider = name.parse::<Provider>().map_err(|err| err.to_string())?;
    if value.is_empty() {
        return Err(format!("the value for {provider} is empty"));
    }
    Ok((provider, value.to_owned()))
}

/// Shows where a malformed secret went wrong without printing it whole.
fn redact(text: &str) -> String {
    let head: String = text.chars().take(3).collect();
    format!("{head}…({} characters)", text.chars().count())
}

/// How the server authenticates one provider's deliveries.
#[derive(Clone, Debug)]
pub(crate) enum Auth {
    /// Checked with the crate's verifier.
    Verify(Verifier),
    /// `--insecure-accept`: decoded as the provider without a check.
    Insecure,
}

/// The checked configuration.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub listen: SocketAddr,
    pub store: PathBuf,
    pub providers: BTreeMap<Provider, Auth>,
    pub forward: Option<Forward>,
    pub api_token: Option<secrecy::SecretString>,
    pub max_body: usize,
    pub retain: Option<Duration>,
    pub no_fsync: bool,
}

/// Where and how accepted events are forwarded.
#[derive(Clone, Debug)]
pub(crate) struct Forward {
    pub url: reqwest::Url,
    pub signer: super::forward::Signer,
    pub attempts: u32,
    pub backoff: Duration,
    pub backoff_max: Duration,
}

impl Config {
    /// Checks the flags and merges in the environment's secrets and tokens.
    pub fn from_args(args: &ServeArgs) -> Result<Config, Error> {
        let names = std::env::vars_os().map(|(name, _)| name.to_string_lossy().into_owned());
        check_variable_names(names)?;
        Config::from_args_env(args, |name| std::env::var(name).ok())
    }

    fn from_args_env(
        args: &ServeArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, Error> {
        let mut secrets: BTreeMap<Provider, (Method, Vec<String>)> = BTreeMap::new();
        let mut add = |provider: Provider, value: String, as_token: bool, source: &str| {
            let given = if as_token { "a URL token" } else { "a secret" };
            if crate::verify::Secret::from(value.as_str()).is_padded() {
                return Err(Error::Config(format!(
                    "{source} gives {provider} {given} with white space at its start or end (a carriage return from a CRLF file?): remove it"
                )));
            }
            // A token is for the URL-token method; a secret for the one
            // method a provider has that takes a secret (kie's HMAC,
            // legnext's secret header beside their URL tokens).
            let Some(method) = (Method::supported(provider).iter().copied())
                .find(|method| (*method == Method::UrlToken) == as_token)
            else {
                return Err(Error::Config(format!(
                    "{source} gives {provider} {given}, but {provider} authenticates with {}; use {}",
                    Method::of(provider),
                    credential_options(provider)
                )));
            };
            let (chosen, values) = secrets.entry(provider).or_insert((method, Vec::new()));
            if *chosen != method {
                return Err(Error::Config(format!(
                    "{source} gives {provider} {given} beside a {} for {}: give it secrets (--secret) or URL tokens (--token), not both",
                    chosen.credential(),
                    chosen
                )));
            }
            values.push(value);
            Ok(())
        };
        for (provider, value) in &args.secret {
            add(*provider, value.clone(), false, "--secret")?;
        }
        for (provider, value) in &args.token {
            add(*provider, value.clone(), true, "--token")?;
        }
        // A provider given on the command line takes its credentials from
        // there alone, as a flag overrides its variable: a variable left
        // over from before a rotation must not keep an old secret valid.
        let mut flagged: Vec<Provider> = (args.secret.iter().chain(&args.token))
            .map(|(provider, _)| *provider)
            .collect();
        flagged.sort_unstable();
        flagged.dedup();
        for provider in Provider::ALL.into_iter().filter(|p| !flagged.contains(p)) {
            for (prefix, as_token) in [("MJHOOK_SECRET_", false), ("MJHOOK_TOKEN_", true)] {
                let name = format!("{prefix}{}", env_suffix(provider));
                match env(&name) {
                    // As `--secret asyncapi=` is: an unset variable in a
                    // compose file must not turn a provider off unnoticed.
                    Some(value) if value.is_empty() => {
                        return Err(Error::Config(format!("{name} is set but empty")));
                    }
                    Some(value) => add(provider, value, as_token, &name)?,
                    None => {}
                }
            }
        }
        for provider in flagged.iter().copied() {
            for prefix in ["MJHOOK_SECRET_", "MJHOOK_TOKEN_"] {
                let name = format!("{prefix}{}", env_suffix(provider));
                if env(&name).is_some() {
                    tracing::info!(
                        variable = %name,
                        "{provider}'s credentials come from the command line: {name} is not read"
                    );
                }
            }
        }

        let max_body = args.max_body;
        let options = DecodeOptions::new().max_bytes(max_body);
        let mut providers: BTreeMap<Provider, Auth> = secrets
            .into_iter()
            .map(|(provider, (method, values))| {
                let verifier = Verifier::new(provider)
                    .using(method)
                    .secrets(values)
                    .decode_options(options);
                let verifier = match replay_window(method, args.tolerance) {
                    Some(window) => verifier.tolerance(window),
                    None => verifier,
                };
                (provider, Auth::Verify(verifier))
            })
            .collect();
        for provider in &args.insecure_accept {
            if providers.contains_key(provider) {
                return Err(Error::Config(format!(
                    "--insecure-accept {provider} conflicts with the secret or token given for {provider}"
                )));
            }
            providers.insert(*provider, Auth::Insecure);
        }

        // An empty token would be one nobody can present, or no token at
        // all: either way not what was meant.
        if args.api_token.as_deref() == Some("") {
            return Err(Error::Config(
                "--api-token (or MJHOOK_API_TOKEN) is set but empty".into(),
            ));
        }
        let api_token = args.api_token.clone().map(secrecy::SecretString::from);
        if !args.listen.ip().is_loopback() && api_token.is_none() {
            return Err(Error::Config(format!(
                "refusing to listen on {}, which is not a loopback address, without --api-token (or MJHOOK_API_TOKEN): /jobs and /events would be open to the network",
                args.listen
            )));
        }
        if max_body == 0 {
            return Err(Error::Config("--max-body must be at least 1 byte".into()));
        }

        let forward = match (&args.forward, &args.forward_secret) {
            (Some(url), Some(secret)) => {
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(Error::Config(format!(
                        "--forward needs an http or https URL, found the scheme {:?}",
                        url.scheme()
                    )));
                }
                let signer = super::forward::Signer::new(secret)?;
                let key_bytes = signer.key_bytes();
                if key_bytes < 24 {
                    tracing::warn!(
                        key_bytes,
                        "the forward secret's key is {key_bytes} bytes; Standard Webhooks asks for 24 to 64 random bytes (`whsec_` and the output of `openssl rand -base64 32`)"
                    );
                }
                if args.forward_attempts == 0 {
                    return Err(Error::Config(
                        "--forward-attempts must be at least 1".into(),
                    ));
                }
                Some(Forward {
                    url: url.clone(),
                    signer,
                    attempts: args.forward_attempts,
                    backoff: args.forward_backoff.into(),
                    backoff_max: args.forward_backoff_max.into(),
                })
            }
            (Some(_), None) => {
                return Err(Error::Config(
                    "--forward needs --forward-secret (or MJHOOK_FORWARD_SECRET)".into(),
                ))
            }
            (None, Some(_)) => {
                tracing::warn!(
                    "--forward-secret (or MJHOOK_FORWARD_SECRET) is set without --forward: nothing is forwarded"
                );
                None
            }
            (None, None) => None,
        };

        Ok(Config {
            listen: args.listen,
            store: args.store.clone(),
            providers,
            forward,
            api_token,
            max_body,
            retain: args.retain.map(Into::into),
            no_fsync: args.unsafe_no_fsync,
        })
    }
}

/// `--listen`: an IP address and port, or a host name and port resolved to
/// its first address.
fn listen_address(value: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = value.parse() {
        return Ok(address);
    }
    use std::net::ToSocketAddrs as _;
    let mut resolved = value.to_socket_addrs().map_err(|error| {
        format!("expected an address and port such as 127.0.0.1:8080 or localhost:8080: {error}")
    })?;
    resolved
        .next()
        .ok_or_else(|| format!("{value} resolves to no address"))
}

/// The window for KIE.ai's HMAC when `--tolerance` is not given.
pub(crate) const TASK_SIGNATURE_WINDOW: Duration = Duration::from_secs(300);

/// The replay window of a provider checked by `method`: `--tolerance` for
/// the methods that sign a time, and for KIE.ai's HMAC, which signs no more
/// of the body than its task id, five minutes when none is given.
fn replay_window(method: Method, tolerance: Option<u64>) -> Option<Duration> {
    match tolerance {
        _ if !method.signs_time() => None,
        Some(seconds) => Some(Duration::from_secs(seconds)),
        None if method == Method::TaskSignature => Some(TASK_SIGNATURE_WINDOW),
        None => None,
    }
}

/// Refuses a `MJHOOK_SECRET_*` or `MJHOOK_TOKEN_*` variable that names no
/// provider: a misspelled one would leave its provider refusing every
/// delivery, unnoticed until the first one.
fn check_variable_names(names: impl IntoIterator<Item = String>) -> Result<(), Error> {
    for name in names {
        let Some(suffix) = ["MJHOOK_SECRET_", "MJHOOK_TOKEN_"]
            .iter()
            .find_map(|prefix| name.strip_prefix(prefix))
        else {
            continue;
        };
        if !Provider::ALL
            .iter()
            .any(|provider| env_suffix(*provider) == suffix)
        {
            let known: Vec<String> = Provider::ALL.iter().map(|p| env_suffix(*p)).collect();
            return Err(Error::Config(format!(
                "the variable {name} names no provider; the suffixes are {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// `midjourney_api` → `MIDJOURNEY_API`, the suffix of its variables.
fn env_suffix(provider: Provider) -> String {
    provider.as_str().to_ascii_uppercase()
}

/// The flags and variables that give `provider` its credential, in the
/// words of messages: `--secret or MJHOOK_SECRET_ASYNCAPI`; for a provider
/// with two methods, both: `--token or MJHOOK_TOKEN_KIE, or --secret or
/// MJHOOK_SECRET_KIE for the … HMAC …`.
pub(crate) fn credential_options(provider: Provider) -> String {
    let options: Vec<String> = Method::supported(provider)
        .iter()
        .enumerate()
        .map(|(n, method)| {
            let credential = method.credential();
            let option = format!(
                "--{credential} or MJHOOK_{}_{}",
                credential.to_ascii_uppercase(),
                env_suffix(provider)
            );
            // The default needs no gloss; another method is named.
            if n == 0 {
                option
            } else {
                format!("{option} for {method}")
            }
        })
        .collect();
    options.join(", or ")
}

/// What `provider`'s credential is called: `secret`, `token`, or, for a
/// provider with two methods, `token or secret`.
pub(crate) fn credential_words(provider: Provider) -> String {
    let words: Vec<&str> = (Method::supported(provider).iter())
        .map(|method| method.credential())
        .collect();
    words.join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn args(argv: &[&str]) -> ServeArgs {
        let mut all = vec!["serve"];
        all.extend_from_slice(argv);
        Cli::try_parse_from(all).expect("flags parse").args
    }

    #[test]
    fn listen_takes_an_address_or_a_host_name() {
        assert_eq!(args(&["--listen", "127.0.0.1:9001"]).listen.port(), 9001);
        let named = args(&["--listen", "localhost:9002"]).listen;
        assert!(named.ip().is_loopback() && named.port() == 9002, "{named}");
        let portless = Cli::try_parse_from(["serve", "--listen", "localhost"]);
        assert!(portless.is_err(), "a port is needed");
    }

    #[test]
    fn a_flag_overrides_the_variables_of_its_provider() {
        let config = Config::from_args_env(&args(&["--secret", "apiframe=new"]), |name| {
            (name == "MJHOOK_SECRET_APIFRAME").then(|| "old".to_owned())
        })
        .expect("valid");
        let Some(Auth::Verify(verifier)) = config.providers.get(&Provider::Apiframe) else {
            panic!("apiframe is verified");
        };
        let request = |secret: &str| {
            let headers = [("x-webhook-secret", secret)];
            let request = crate::verify::Request::new(br#"{"task_id":"t"}"#).headers(&headers);
            verifier.verify(&request).map(|_| ())
        };
        assert!(request("new").is_ok());
        assert!(
            request("old").is_err(),
            "the variable's secret is not taken"
        );
    }

    #[test]
    fn a_credential_with_white_space_at_its_ends_is_refused() {
        for (given, variable) in [
            (&["--secret", "apiframe=sec\r"][..], None),
            (&[][..], Some("MJHOOK_SECRET_APIFRAME")),
            (&["--token", "imagineapi= tok"][..], None),
        ] {
            let err = Config::from_args_env(&args(given), |name| {
                (Some(name) == variable).then(|| "sec\r".to_owned())
            })
            .expect_err("refused");
            assert!(
                err.to_string().contains("white space at its start or end"),
                "{err}"
            );
        }
    }

    #[test]
    fn secrets_come_from_flags_and_environment() {
        let config = Config::from_args_env(
            &args(&["--secret", "asyncapi=s1", "--token", "imagineapi=t1"]),
            |name| (name == "MJHOOK_TOKEN_MIDJOURNEY_API").then(|| "t2".to_owned()),
        )
        .expect("valid");
        let names: Vec<Provider> = config.providers.keys().copied().collect();
        assert_eq!(
            names,
            [
                Provider::Asyncapi,
                Provider::Imagineapi,
                Provider::MidjourneyApi
            ]
        );
    }

    #[test]
    fn an_empty_variable_is_refused_as_an_empty_flag_is() {
        let err = Config::from_args_env(&args(&[]), |name| {
            (name == "MJHOOK_SECRET_ASYNCAPI").then(String::new)
        })
        .expect_err("empty");
        assert!(
            err.to_string()
                .contains("MJHOOK_SECRET_ASYNCAPI is set but empty"),
            "{err}"
        );
    }

    #[test]
    fn a_token_for_a_signing_provider_is_refused() {
        let err = Config::from_args_env(&args(&["--token", "asyncapi=t"]), |_| None)
            .expect_err("asyncapi signs");
        assert!(err.to_string().contains("MJHOOK_SECRET_ASYNCAPI"), "{err}");
    }

    #[test]
    fn kie_and_legnext_take_a_secret_or_a_token_not_both() {
        let method = |config: &Config, provider| match config.providers.get(&provider) {
            Some(Auth::Verify(verifier)) => Some(verifier.method()),
            _ => None,
        };
        let config = Config::from_args_env(
            &args(&["--secret", "kie=hmac-key", "--token", "legnext=t"]),
            |name| (name == "MJHOOK_SECRET_KIE").then(|| "old-hmac-key".to_owned()),
        )
        .expect("valid");
        assert_eq!(method(&config, Provider::Kie), Some(Method::TaskSignature));
        assert_eq!(method(&config, Provider::Legnext), Some(Method::UrlToken));
        let config = Config::from_args_env(
            &args(&["--secret", "legnext=s", "--token", "kie=t"]),
            |_| None,
        )
        .expect("valid");
        assert_eq!(
            method(&config, Provider::Legnext),
            Some(Method::SharedSecret)
        );
        assert_eq!(method(&config, Provider::Kie), Some(Method::UrlToken));

        let err =
            Config::from_args_env(&args(&["--token", "kie=t", "--secret", "kie=k"]), |_| None)
                .expect_err("both");
        assert!(err.to_string().contains("not both"), "{err}");
        let err = Config::from_args_env(&args(&["--secret", "ttapi=s"]), |_| None)
            .expect_err("ttapi signs nothing");
        assert!(err.to_string().contains("MJHOOK_TOKEN_TTAPI"), "{err}");
        assert_eq!(
            credential_options(Provider::Kie),
            "--token or MJHOOK_TOKEN_KIE, or --secret or MJHOOK_SECRET_KIE for the `X-Webhook-Signature` HMAC of the task id and time"
        );
        assert_eq!(credential_words(Provider::Kie), "token or secret");

        // KIE's HMAC always has a window; the body signature only when asked.
        assert_eq!(
            replay_window(Method::TaskSignature, None),
            Some(TASK_SIGNATURE_WINDOW)
        );
        assert_eq!(
            replay_window(Method::TaskSignature, Some(60)),
            Some(Duration::from_secs(60))
        );
        assert_eq!(replay_window(Method::Signature, None), None);
        assert_eq!(
            replay_window(Method::Signature, Some(60)),
            Some(Duration::from_secs(60))
        );
        assert_eq!(replay_window(Method::UrlToken, Some(60)), None);
        assert_eq!(replay_window(Method::SharedSecret, Some(60)), None);
        assert_eq!(credential_words(Provider::Asyncapi), "secret");
    }

    #[test]
    fn a_variable_naming_no_provider_is_refused() {
        let names = |names: &[&str]| {
            names
                .iter()
                .map(|name| (*name).to_owned())
                .collect::<Vec<_>>()
        };
        assert!(check_variable_names(names(&[
            "PATH",
            "MJHOOK_SECRET_ASYNCAPI",
            "MJHOOK_TOKEN_MIDJOURNEY_API",
            "MJHOOK_API_TOKEN",
            "MJHOOK_FORWARD_SECRET",
        ]))
        .is_ok());
        let err = check_variable_names(names(&["MJHOOK_SECRET_APIFRAM"])).expect_err("misspelled");
        assert!(
            err.to_string()
                .contains("MJHOOK_SECRET_APIFRAM names no provider")
                && err.to_string().contains("APIFRAME"),
            "{err}"
        );
        assert!(check_variable_names(names(&["MJHOOK_TOKEN_"])).is_err());
    }

    #[test]
    fn non_loopback_needs_an_api_token() {
        let err = Config::from_args_env(&args(&["--listen", "0.0.0.0:8080"]), |_| None)
            .expect_err("open listener");
        assert!(err.to_string().contains("--api-token"), "{err}");
        Config::from_args_env(
            &args(&["--listen", "0.0.0.0:8080", "--api-token", "x"]),
            |_| None,
        )
        .expect("with a token");
    }

    #[test]
    fn an_empty_api_token_is_refused() {
        let err =
            Config::from_args_env(&args(&["--api-token", ""]), |_| None).expect_err("empty token");
        assert!(err.to_string().contains("set but empty"), "{err}");
    }

    #[test]
    fn insecure_and_secret_for_one_provider_conflict() {
        let err = Config::from_args_env(
            &args(&["--secret", "apiframe=s", "--insecure-accept", "apiframe"]),
            |_| None,
        )
        .expect_err("conflict");
        assert!(err.to_string().contains("conflicts"), "{err}");
    }

    #[test]
    fn a_malformed_pair_does_not_echo_the_secret() {
        let err = parse_pair("asyncapi-supersecretvalue").expect_err("no =");
        assert!(!err.contains("supersecretvalue"), "{err}");
        // Nor does the message clap prints for the flag.
        for flag in [
            "--secret=asyncapi-supersecretvalue",
            "--secret=asyncap=supersecretvalue",
            "--token=kie-supersecretvalue",
        ] {
            let Err(err) = Cli::try_parse_from(["serve", flag]) else {
                panic!("{flag} parses");
            };
            let shown = err.render().to_string();
            assert!(!shown.contains("supersecretvalue"), "{shown}");
            assert!(shown.contains("invalid value for '--"), "{shown}");
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let args = args(&[
            "--secret",
            "asyncapi=secret-one",
            "--token",
            "kie=secret-two",
            "--forward",
            "http://127.0.0.1:9/",
            "--forward-secret",
            "whsec_c2VjcmV0LXRocmVl",
            "--api-token",
            "secret-four",
        ]);
        let shown = format!("{args:?}");
        assert!(
            !shown.contains("secret-") && !shown.contains("c2Vj"),
            "{shown}"
        );
        assert!(
            shown.contains("Asyncapi") && shown.contains("[REDACTED]"),
            "{shown}"
        );
        let config = Config::from_args_env(&args, |_| None).expect("valid flags");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("secret-") && !shown.contains("c2Vj"),
            "{shown}"
        );
    }
}
