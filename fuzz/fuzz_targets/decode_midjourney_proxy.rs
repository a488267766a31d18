//! Any bytes given to the midjourney_proxy decoder: an event or an error, never a panic,
//! and every event keeps the model's promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mjhook::providers::midjourney_proxy;
use mjhook::Provider;

fuzz_target!(|bytes: &[u8]| {
    mjhook_fuzz::check_provider(
        Provider::MidjourneyProxy,
        bytes,
        midjourney_proxy::decode,
        midjourney_proxy::decode_all,
    );
});
