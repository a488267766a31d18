//! Every event any decoder makes from any bytes round-trips through its JSON
//! form: it deserializes to an equal event, which serializes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mjhook::Provider;

fuzz_target!(|bytes: &[u8]| {
    for provider in Provider::ALL {
        for event in mjhook::decode_all(Some(provider), bytes).iter().flatten() {
            mjhook_fuzz::check_round_trip(event);
        }
    }
});
