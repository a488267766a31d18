//! Any bytes given to the midjourney_api decoder: an event or an error, never a panic,
//! and every event keeps the model's promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mjhook::providers::midjourney_api;
use mjhook::Provider;

fuzz_target!(|bytes: &[u8]| {
    mjhook_fuzz::check_provider(
        Provider::MidjourneyApi,
        bytes,
        midjourney_api::decode,
        midjourney_api::decode_all,
    );
});
