//! Any bytes given to the ttapi decoder: an event or an error, never a panic,
//! and every event keeps the model's promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mjhook::providers::ttapi;
use mjhook::Provider;

fuzz_target!(|bytes: &[u8]| {
    mjhook_fuzz::check_provider(Provider::Ttapi, bytes, ttapi::decode, ttapi::decode_all);
});
