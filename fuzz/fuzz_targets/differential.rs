//! Any bytes, decoded with detection and under every named provider: a named
//! provider never changes what a body says.
//!
//! - `decode_all(None, b)` equals `decode_all(Some(detect(b)?), b)`, and is
//!   detection's error when detection fails;
//! - every named decode that succeeds gives the same events as every other
//!   one that succeeds (and as detection's), apart from `provider`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mjhook::{JobEvent, Provider};

/// The events with `provider` blanked out, to compare across providers.
fn apart_from_provider(mut events: Vec<JobEvent>) -> Vec<JobEvent> {
    for event in &mut events {
        event.provider = Provider::Asyncapi;
    }
    events
}

fuzz_target!(|bytes: &[u8]| {
    let auto = mjhook::decode_all(None, bytes);
    match mjhook::detect(bytes) {
        Ok(provider) => assert_eq!(
            auto,
            mjhook::decode_all(Some(provider), bytes),
            "decode_auto and decode(detect) differ"
        ),
        Err(error) => assert_eq!(auto, Err(error), "decode_auto decoded an undetected body"),
    }
    let mut agreed: Option<Vec<JobEvent>> = auto.ok().map(apart_from_provider);
    for provider in Provider::ALL {
        let Ok(events) = mjhook::decode_all(Some(provider), bytes) else {
            continue;
        };
        let events = apart_from_provider(events);
        match &agreed {
            Some(earlier) => assert_eq!(
                earlier, &events,
                "{provider} reads the body differently from another provider"
            ),
            None => agreed = Some(events),
        }
    }
});
