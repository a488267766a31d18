//! The input limits: size is checked before parsing, and nesting stays
//! bounded whatever the input.

use mjhook::{decode, decode_all, decode_auto, DecodeError, DecodeOptions, Provider};

#[test]
fn oversized_input_is_refused_before_parsing() {
    // Not even JSON: only a size check that runs before the parser can say
    // "too large" rather than "invalid JSON".
    let body = vec![b'{'; DecodeOptions::DEFAULT_MAX_BYTES + 1];
    for result in [
        decode_auto(&body).map(|_| ()),
        decode(Provider::Goapi, &body).map(|_| ()),
    ] {
        assert_eq!(
            result,
            Err(DecodeError::TooLarge {
                provider: result.as_ref().err().and_then(DecodeError::provider),
                size: DecodeOptions::DEFAULT_MAX_BYTES + 1,
                limit: DecodeOptions::DEFAULT_MAX_BYTES,
            })
        );
    }
    assert!(matches!(
        decode(Provider::Apiframe, &body),
        Err(DecodeError::TooLarge {
            provider: Some(Provider::Apiframe),
            ..
        })
    ));
}

#[test]
fn the_size_limit_is_configurable_and_inclusive() {
    let body = br#"{"task_id": "t-1", "status": "processing", "percentage": "40"}"#;
    let exact = DecodeOptions::new().max_bytes(body.len());
    assert!(exact.decode(Provider::Apiframe, body).is_ok());
    let smaller = DecodeOptions::new().max_bytes(body.len() - 1);
    assert!(
        matches!(smaller.decode_auto(body), Err(DecodeError::TooLarge { size, limit, .. }) if size == body.len() && limit == body.len() - 1)
    );
    assert!(matches!(
        smaller.detect(body),
        Err(DecodeError::TooLarge { .. })
    ));
}

fn nested(open: &str, depth: usize, core: &str, close: &str) -> Vec<u8> {
    format!("{}{}{}", open.repeat(depth), core, close.repeat(depth)).into_bytes()
}

#[test]
fn envelopes_nested_in_envelopes_are_skipped_not_recursed_into() {
    // A record inside an envelope skips its own `data`/`tasks`, so the typed
    // decoder goes at most a few levels deep, whatever the input: no stack
    // overflow even on a test thread's small stack.
    let cases = [
        (Provider::Goapi, nested(r#"{"data":"#, 5_000, "{}", "}")),
        (
            Provider::MidjourneyApi,
            nested(r#"{"data":"#, 5_000, "{}", "}"),
        ),
        (
            Provider::Asyncapi,
            nested(r#"{"data":["#, 5_000, "{}", "]}"),
        ),
        (
            Provider::Apiframe,
            nested(r#"{"tasks":["#, 5_000, "{}", "]}"),
        ),
        (
            Provider::Imagineapi,
            nested(r#"{"data":"#, 5_000, "{}", "}"),
        ),
        (Provider::Legnext, nested(r#"{"data":"#, 5_000, "{}", "}")),
        (
            Provider::Kie,
            nested(r#"{"code":200,"data":"#, 5_000, "{}", "}"),
        ),
    ];
    for (provider, body) in cases {
        let error = decode_all(Some(provider), &body).unwrap_err();
        // Refused for the record it lacks, or, reading deeper, for nesting
        // past serde_json's limit, as a `Value` parse refuses it.
        assert!(
            matches!(
                error,
                DecodeError::Field { .. } | DecodeError::WrongProvider { .. }
            ) || error.to_string().contains("recursion limit exceeded"),
            "{provider}: {error}"
        );
        assert!(
            decode_all(None, &body).is_err(),
            "{provider}: auto-detection"
        );
    }
}

#[test]
fn deep_nesting_in_skipped_values_is_refused_as_a_value_parse_refuses_it() {
    // A value no decoder reads is still read, so serde_json's depth limit
    // holds there too: the body is refused where a `Value` parse refuses
    // it, with no stack overflow on a test thread's small stack.
    let deep = String::from_utf8(nested("[", 100_000, "1", "]")).unwrap();
    let body = format!(
        r#"{{"task_id": "t-2", "percentage": 10, "status": "processing", "extra": {deep}}}"#
    );
    let value_parse = serde_json::from_str::<serde_json::Value>(&body).unwrap_err();
    for result in [
        decode(Provider::Apiframe, body.as_bytes()),
        decode_auto(body.as_bytes()),
    ] {
        let error = result.unwrap_err();
        assert!(
            error.to_string().contains("recursion limit exceeded"),
            "{error}"
        );
        assert_eq!(
            error.position(),
            Some((value_parse.line(), value_parse.column()))
        );
    }
}
