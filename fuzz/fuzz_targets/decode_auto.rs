//! Any bytes given to detection and the detecting entry points: they agree
//! with each other and with decoding as the detected provider, and refuse
//! every body serde_json refuses as a `Value`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mjhook::{DecodeError, DecodeOptions};

fuzz_target!(|bytes: &[u8]| {
    let detected = mjhook::detect(bytes);
    let one = mjhook::decode_auto(bytes);
    let all = mjhook::decode_all(None, bytes);
    assert_eq!(
        detected,
        mjhook::detect(bytes),
        "detect gave two results for the same bytes"
    );
    assert_eq!(
        one,
        mjhook::decode_auto(bytes),
        "decode_auto gave two results for the same bytes"
    );

    match detected {
        Ok(provider) => {
            assert_eq!(
                all,
                mjhook::decode_all(Some(provider), bytes),
                "detecting changed the result"
            );
            mjhook_fuzz::check_results(provider, &one, &all);
        }
        Err(error) => {
            assert_eq!(
                one,
                Err(error.clone()),
                "decode_auto decoded an undetected body"
            );
            assert_eq!(all, Err(error), "decode_all decoded an undetected body");
        }
    }

    // Exactly the text serde_json reads as a `Value` is read: invalid UTF-8,
    // lone surrogate escapes, numbers out of range and nesting past
    // serde_json's limit are refused even where no decoder looks.
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if serde_json::from_slice::<serde_json::Value>(text).is_err() {
        assert!(
            all.is_err(),
            "a body serde_json refuses was decoded: {all:?}"
        );
    }

    // The size limit is checked before anything is parsed.
    if let Some(limit) = bytes.len().checked_sub(1) {
        let refused = DecodeOptions::new()
            .max_bytes(limit)
            .decode_all(None, bytes);
        assert!(
            matches!(refused, Err(DecodeError::TooLarge { .. })),
            "{refused:?}"
        );
    }
});
