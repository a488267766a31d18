//! The outbox forwarder: POSTs each accepted event to `--forward`, signed as a
//! Standard Webhook, at least once and in order per job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use rusqlite::Connection;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use super::config::Forward;
use super::{store, Error};

/// Signs forwarded events as the Standard Webhooks specification says:
/// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed with
/// the base64-decoded part of a `whsec_` secret.
///
/// ```
/// use mjhook::serve::Signer;
///
/// let signer = Signer::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
/// let signature = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#)?;
/// assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
/// # Ok::<(), mjhook::serve::Error>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    webhook: Arc<standardwebhooks::Webhook>,
    key_bytes: usize,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { [REDACTED] }")
    }
}

impl Signer {
    /// A signer for a `whsec_…` secret (the prefix is optional, as for the
    /// Standard Webhooks libraries that verify it; the rest must be standard
    /// base64).
    pub fn new(secret: &str) -> Result<Signer, Error> {
        use base64::Engine as _;
        let key = secret.strip_prefix("whsec_").unwrap_or(secret);
        if key.is_empty() {
            return Err(Error::Config("the forward secret is empty".into()));
        }
        let refused = || {
            Error::Config(format!(
                "the forward secret is not standard base64, with or without a `whsec_` prefix \
                 ({} characters{})",
                key.len(),
                if key.len() < secret.len() {
                    " after the prefix"
                } else {
                    ""
                }
            ))
        };
        let webhook = standardwebhooks::Webhook::new(secret).map_err(|_| refused())?;
        let key_bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|_| refused())?
            .len();
        Ok(Signer {
            webhook: Arc::new(webhook),
            key_bytes,
        })
    }

    /// How many bytes the key has: Standard Webhooks asks for 24 to 64
    /// random ones.
    pub(crate) fn key_bytes(&self) -> usize {
        self.key_bytes
    }

    /// The `webhook-signature` value for one message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String, Error> {
        self.webhook
            .sign(msg_id, timestamp, body)
            .map_err(|err| Error::Config(format!("cannot sign the message {msg_id}: {err}")))
    }
}

/// What became of one attempt.
enum Attempt {
    Delivered,
    Failed {
        error: String,
        retry_after: Option<Duration>,
    },
    Gone,
}

pub(crate) struct Forwarder {
    pub config: Forward,
    pub conn: Arc<Mutex<Connection>>,
    pub wake: Arc<Notify>,
    pub stop: watch::Receiver<bool>,
}

/// How many heads are sent at once (each from a different job).
const PARALLEL: usize = 16;

/// How long an idle forwarder waits before it reads the outbox again
/// unprompted.
const IDLE_POLL: Duration = Duration::from_secs(5);

impl Forwarder {
    /// Runs until `stop` turns true or the receiver answers 410.
    pub async fn run(mut self) {
        let signer = self.config.signer.clone();
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("mjhook/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(client) => client,
            Err(err) => {
                tracing::error!(error = %err, "forwarding disabled: no HTTP client");
                return;
            }
        };
        tracing::info!(url = %self.config.url, "forwarding accepted events");
        // Scraped from the start, not from the first time each happens: a
        // rate or an alert needs the series to exist at 0.
        metrics::counter!("mjhook_forwarded_total").increment(0);
        metrics::counter!("mjhook_forward_retries_total").increment(0);
        metrics::counter!("mjhook_dead_letters_total").increment(0);
        metrics::gauge!("mjhook_forward_gone").set(0.0);
        // Sends run side by side, each job's head at most once: a slow
        // receiver for one job holds back that job's later events only.
        let mut sends = JoinSet::new();
        // By task, the outbox row each send carries (the body left out).
        let mut in_flight: HashMap<tokio::task::Id, store::Due> = HashMap::new();
        let mut gone = false;
        loop {
            let stopping = *self.stop.borrow() || gone;
            if stopping && sends.is_empty() {
                break;
            }
            let mut next = None;
            if !stopping && sends.len() < PARALLEL {
                let now = store::now_ms();
                let conn = Arc::clone(&self.conn);
                // The heads in flight are still pending: ask for room for them.
                let limit = PARALLEL + in_flight.len();
                let found = blocking(move || {
                    let conn = lock(&conn);
                    let due = store::due(&conn, now, limit)?;
                    let next = store::next_due(&conn)?;
                    let stats = store::outbox_stats(&conn, now)?;
                    Ok((due, next, stats))
                })
                .await;
                let (due, next_at, stats) = match found {
                    Ok(found) => found,
                    Err(err) => {
                        tracing::error!(error = %err, "cannot read the outbox; trying again in 1 s");
                        self.pause(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                show_outbox(stats);
                for item in due {
                    if sends.len() == PARALLEL {
                        break;
                    }
                    if in_flight.values().any(|sent| sent.seq == item.seq) {
                        continue;
                    }
                    let row = store::Due {
                        body: String::new(),
                        ..item.clone()
                    };
                    let client = client.clone();
                    let signer = signer.clone();
                    let url = self.config.url.clone();
                    let task = sends.spawn(async move {
                        let outcome = send(&client, &signer, &url, &item).await;
                        (item, outcome)
                    });
                    in_flight.insert(task.id(), row);
                }
                next = next_at.map(|at| {
                    Duration::from_millis(u64::try_from(at.saturating_sub(now)).unwrap_or(0).max(1))
                });
            }
            // Idle, the outbox is read again when an event arrives, when the
            // next retry is due, or every few seconds (`mjhook outbox retry`
            // re-queues from another process); busy, at least every second,
            // for the heads not in flight.
            let wait = match (sends.is_empty(), next) {
                (true, next) => next.unwrap_or(IDLE_POLL).min(IDLE_POLL),
                (false, _) => Duration::from_secs(1),
            };
            if sends.is_empty() {
                self.pause(wait).await;
                continue;
            }
            let finished = tokio::select! {
                joined = sends.join_next_with_id() => joined,
                () = self.wake.notified(), if !stopping => None,
                () = tokio::time::sleep(wait), if !stopping => None,
            };
            let (item, outcome) = match finished {
                Some(Ok((task, sent))) => {
                    in_flight.remove(&task);
                    sent
                }
                // A send that panicked is a failed attempt like another:
                // retried later, and a dead letter after the last.
                Some(Err(failed)) => match in_flight.remove(&failed.id()) {
                    Some(row) => {
                        let error = "the send failed unexpectedly (a panic)".to_owned();
                        let outcome = Attempt::Failed {
                            error,
                            retry_after: None,
                        };
                        (row, outcome)
                    }
                    None => continue,
                },
                None => continue,
            };
            gone |= matches!(outcome, Attempt::Gone);
            if let Err(err) = self.record(item, outcome).await {
                tracing::error!(error = %err, "cannot record a forward attempt");
            }
        }
        if gone {
            metrics::gauge!("mjhook_forward_gone").set(1.0);
            tracing::error!(
                url = %self.config.url,
                "the receiver answered 410 Gone: forwarding stopped until the next start; undelivered events stay in the outbox"
            );
            self.watch_outbox().await;
        }
    }

    /// Once forwarding has stopped, keeps the outbox gauges current until
    /// the server stops: the pending count and the lag grow, and an alert
    /// on them fires.
    async fn watch_outbox(&mut self) {
        const EVERY: Duration = Duration::from_secs(5);
        while !*self.stop.borrow() {
            let conn = Arc::clone(&self.conn);
            let now = store::now_ms();
            match blocking(move || store::outbox_stats(&lock(&conn), now)).await {
                Ok(stats) => show_outbox(stats),
                Err(err) => tracing::error!(error = %err, "cannot read the outbox"),
            }
            self.pause(EVERY).await;
        }
    }

    async fn record(&self, item: store::Due, outcome: Attempt) -> Result<(), Error> {
        let conn = Arc::clone(&self.conn);
        let attempts = item.attempts + 1;
        match outcome {
            Attempt::Delivered => {
                metrics::counter!("mjhook_forwarded_total").increment(1);
                tracing::debug!(msg_id = %item.msg_id, attempts, "forwarded");
                blocking(move || store::delivered(&lock(&conn), item.seq)).await
            }
            Attempt::Gone => Ok(()),
            Attempt::Failed { error, .. } if attempts >= self.config.attempts => {
                let seq = item.seq;
                let died = blocking(move || store::dead(&mut lock(&conn), seq, &error)).await?;
                metrics::counter!("mjhook_dead_letters_total").increment(died as u64);
                tracing::warn!(
                    msg_id = %item.msg_id,
                    attempts,
                    dead_letters = died,
                    "gave up forwarding; the event (and its job's later ones) are dead letters, re-queued by `mjhook outbox retry`"
                );
                Ok(())
            }
            Attempt::Failed { error, retry_after } => {
                let delay = retry_after
                    .unwrap_or_else(|| backoff(&self.config, item.attempts))
                    .min(Duration::from_secs(24 * 3600));
                metrics::counter!("mjhook_forward_retries_total").increment(1);
                tracing::info!(msg_id = %item.msg_id, attempts, error = %error, retry_in_ms = delay.as_millis() as u64, "forward failed; will retry");
                let next_at =
                    store::now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
                let seq = item.seq;
                blocking(move || store::retry_at(&lock(&conn), seq, next_at, &error)).await
            }
        }
    }

    /// Sleeps for `wait`, or less when new events arrive or on shutdown.
    async fn pause(&mut self, wait: Duration) {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.wake.notified() => {}
            _ = self.stop.changed() => {}
        }
    }
}

/// Sets the outbox gauges from `(pending, dead letters, lag in ms)`.
fn show_outbox((pending, dead, lag_ms): (i64, i64, i64)) {
    metrics::gauge!("mjhook_outbox_pending").set(pending as f64);
    metrics::gauge!("mjhook_outbox_dead_letters").set(dead as f64);
    metrics::gauge!("mjhook_outbox_lag_seconds").set(lag_ms as f64 / 1000.0);
}

/// The delay before attempt `failed + 1`: the base doubled per failure, capped,
/// then a random point in its upper half so that retries spread out.
fn backoff(config: &Forward, failed: u32) -> Duration {
    let full = config
        .backoff
        .saturating_mul(2u32.saturating_pow(failed.min(30)))
        .min(config.backoff_max);
    let half = full / 2;
    half + half.mul_f64(fastrand::f64())
}

async fn send(
    client: &reqwest::Client,
    signer: &Signer,
    url: &reqwest::Url,
    item: &store::Due,
) -> Attempt {
    let timestamp = store::now_ms() / 1000;
    let signature = match signer.sign(&item.msg_id, timestamp, item.body.as_bytes()) {
        Ok(signature) => signature,
        Err(err) => {
            return Attempt::Failed {
                error: err.to_string(),
                retry_after: None,
            }
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in [
        ("webhook-id", item.msg_id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    let response = client
        .post(url.clone())
        .headers(headers)
        .body(item.body.clone())
        .send()
        .await;
    match response {
        Ok(response) if response.status().is_success() => Attempt::Delivered,
        Ok(response) if response.status() == StatusCode::GONE => Attempt::Gone,
        Ok(response) => Attempt::Failed {
            error: format!("the receiver answered {}", response.status()),
            retry_after: response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(parse_retry_after),
        },
        Err(err) => Attempt::Failed {
            error: with_causes(&err),
            retry_after: None,
        },
    }
}

/// An error and what caused it ("error sending request …: operation timed
/// out"): reqwest's own text names neither a timeout nor a refused
/// connection, which an operator needs told apart.
fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(next) = cause {
        let next_text = next.to_string();
        // Layers often repeat their inner error's words.
        if !text.contains(&next_text) {
            text.push_str(": ");
            text.push_str(&next_text);
        }
        cause = next.source();
    }
    if err
        .downcast_ref::<reqwest::Error>()
        .is_some_and(reqwest::Error::is_timeout)
        && !text.contains("timed out")
    {
        text.push_str(": timed out");
    }
    text
}

/// `Retry-After`: delay seconds, or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.timestamp_millis() - store::now_ms();
    Some(Duration::from_millis(u64::try_from(wait).unwrap_or(0)))
}

pub(crate) fn lock<T>(shared: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite half-written (the
    // transaction rolls back), nor a plain value half-set, so what is behind
    // it stays usable.
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, Error> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(Error::sql),
        Err(err) => Err(Error::Internal(format!("a store task failed: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_specification_vector() {
        let signer = Signer::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid secret");
        let signature = signer
            .sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#,
            )
            .expect("utf-8 body");
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn refuses_a_secret_that_is_not_base64() {
        assert!(Signer::new("whsec_not base64!").is_err());
        assert!(Signer::new("whsec_").is_err());
    }

    #[tokio::test]
    async fn a_failed_send_says_why_beyond_reqwest_s_words() {
        // A port nobody listens on: the connection is refused.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        drop(listener);
        let err = reqwest::Client::new()
            .post(url)
            .send()
            .await
            .expect_err("nothing listens");
        let text = with_causes(&err);
        assert!(text.starts_with("error sending request"), "{text}");
        assert!(text.to_lowercase().contains("refused"), "{text}");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let config = Forward {
            url: "http://127.0.0.1:1/".parse().expect("url"),
            signer: Signer::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid secret"),
            attempts: 5,
            backoff: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
        };
        for failed in 0..8u32 {
            let full = (100u64 << failed).min(1000);
            let delay = backoff(&config, failed).as_millis() as u64;
            assert!(
                delay >= full / 2 && delay <= full,
                "{failed}: {delay} of {full}"
            );
        }
    }
}
