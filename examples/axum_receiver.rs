//! A webhook receiver in axum: `POST /webhooks/{provider}` verifies the
//! delivery, decodes it and answers 200 with its events as a JSON array.
//!
//! ```sh
//! MJHOOK_SECRET_ASYNCAPI=whsec-demo cargo run --features axum --example axum_receiver
//! ```
//!
//! Secrets (`asyncapi`, `apiframe`, `goapi`) come from `MJHOOK_SECRET_<PROVIDER>`,
//! URL tokens (`imagineapi`, `midjourney_api`) from `MJHOOK_TOKEN_<PROVIDER>`,
//! e.g. `MJHOOK_TOKEN_MIDJOURNEY_API`; the address from `MJHOOK_LISTEN`
//! (default `127.0.0.1:3000`; port 0 picks a free one).

use std::env;

use axum::{routing::post, Json, Router};
use mjhook::axum::{Verifiers, Webhook};
use mjhook::verify::Method;
use mjhook::{JobEvent, Provider, Verifier};

async fn receive(webhook: Webhook) -> Json<Vec<JobEvent>> {
    Json(webhook.events)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut verifiers = Verifiers::new();
    for provider in Provider::ALL {
        let name = provider.as_str().to_uppercase();
        let (used, unused) = match Method::of(provider) {
            Method::UrlToken => ("TOKEN", "SECRET"),
            _ => ("SECRET", "TOKEN"),
        };
        if env::var_os(format!("MJHOOK_{unused}_{name}")).is_some() {
            eprintln!("ignoring MJHOOK_{unused}_{name}: {provider} is checked with a {used}");
        }
        if let Ok(secret) = env::var(format!("MJHOOK_{used}_{name}")) {
            verifiers.insert(Verifier::new(provider).secret(secret));
        }
    }
    if verifiers.is_empty() {
        return Err(
            "no provider configured: set MJHOOK_SECRET_<PROVIDER> or MJHOOK_TOKEN_<PROVIDER>"
                .into(),
        );
    }
    let listen = env::var("MJHOOK_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let providers: Vec<&str> = verifiers.providers().iter().map(|p| p.as_str()).collect();
    eprintln!(
        "listening on {} for {}",
        listener.local_addr()?,
        providers.join(", ")
    );
    let app = Router::new()
        .route("/webhooks/{provider}", post(receive))
        .with_state(verifiers);
    axum::serve(listener, app).await?;
    Ok(())
}
