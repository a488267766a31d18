//! Any bytes given to the kie decoder: an event or an error, never a panic,
//! and every event keeps the model's promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mjhook::providers::kie;
use mjhook::Provider;

fuzz_target!(|bytes: &[u8]| {
    mjhook_fuzz::check_provider(Provider::Kie, bytes, kie::decode, kie::decode_all);
});
