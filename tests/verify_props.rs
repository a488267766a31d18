//! Properties of webhook verification: what `sign` makes, `verify` accepts;
//! any one changed byte of the body or of the signature is refused.

use base64::Engine as _;
use mjhook::error::VerifyError;
use mjhook::verify::{
    sign, task_signature_headers, Method, Request, Verifier, SIGNATURE_HEADER,
    TASK_SIGNATURE_HEADER, TASK_TIMESTAMP_HEADER,
};
use mjhook::Provider;
use proptest::prelude::*;

fn verify(secrets: &[&[u8]], body: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
    let headers = [(SIGNATURE_HEADER, signature)];
    Verifier::new(Provider::Asyncapi)
        .secrets(secrets.iter().copied())
        .verify(&Request::new(body).headers(&headers))
        .map(|_| ())
}

/// The same digest as standard padded base64, the other accepted encoding.
fn as_base64(hex_signature: &str) -> String {
    let digest = hex::decode(hex_signature).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(digest)
}

fn flip(bytes: &[u8], at: prop::sample::Index, mask: u8) -> (Vec<u8>, u8, u8) {
    let mut flipped = bytes.to_vec();
    let at = at.index(flipped.len());
    let before = flipped[at];
    flipped[at] ^= mask;
    (flipped, before, before ^ mask)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn signed_bodies_are_accepted(
        body in prop::collection::vec(any::<u8>(), 0..512),
        secret in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let signature = sign(&secret, &body);
        prop_assert_eq!(verify(&[&secret], &body, signature.as_bytes()), Ok(()));
        prop_assert_eq!(verify(&[&secret], &body, signature.to_uppercase().as_bytes()), Ok(()));
        prop_assert_eq!(verify(&[&secret], &body, as_base64(&signature).as_bytes()), Ok(()));
        let prefixed = format!("sha256={signature}");
        prop_assert_eq!(verify(&[&secret], &body, prefixed.as_bytes()), Ok(()));
    }

    #[test]
    fn any_one_of_several_secrets_is_enough(
        body in prop::collection::vec(any::<u8>(), 0..256),
        secrets in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..32), 1..5),
        which in any::<prop::sample::Index>(),
    ) {
        let signing = &secrets[which.index(secrets.len())];
        let signature = sign(signing, &body);
        let secrets: Vec<&[u8]> = secrets.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(verify(&secrets, &body, signature.as_bytes()), Ok(()));
    }

    #[test]
    fn a_flipped_body_byte_is_refused(
        body in prop::collection::vec(any::<u8>(), 1..512),
        secret in prop::collection::vec(any::<u8>(), 1..64),
        at in any::<prop::sample::Index>(),
        mask in 1..=u8::MAX,
    ) {
        let signature = sign(&secret, &body);
        let (tampered, _, _) = flip(&body, at, mask);
        prop_assert_eq!(
            verify(&[&secret], &tampered, signature.as_bytes()),
            Err(VerifyError::Mismatch { method: Method::Signature })
        );
    }

    #[test]
    fn a_flipped_hex_signature_byte_is_refused(
        body in prop::collection::vec(any::<u8>(), 0..512),
        secret in prop::collection::vec(any::<u8>(), 1..64),
        at in any::<prop::sample::Index>(),
        mask in 1..=u8::MAX,
    ) {
        let signature = sign(&secret, &body);
        let (tampered, before, after) = flip(signature.as_bytes(), at, mask);
        // Hex digits are read in either case by design, so turning `a` into
        // `A` changes nothing; every other change must be refused.
        prop_assume!(!before.eq_ignore_ascii_case(&after));
        prop_assert!(verify(&[&secret], &body, &tampered).is_err());
    }

    #[test]
    fn a_flipped_base64_signature_byte_is_refused(
        body in prop::collection::vec(any::<u8>(), 0..512),
        secret in prop::collection::vec(any::<u8>(), 1..64),
        at in any::<prop::sample::Index>(),
        mask in 1..=u8::MAX,
    ) {
        let signature = as_base64(&sign(&secret, &body));
        let (tampered, _, _) = flip(signature.as_bytes(), at, mask);
        prop_assert!(verify(&[&secret], &body, &tampered).is_err());
    }

    #[test]
    fn another_secret_is_refused(
        body in prop::collection::vec(any::<u8>(), 0..256),
        secret in prop::collection::vec(any::<u8>(), 1..64),
        other in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        prop_assume!(secret != other);
        let signature = sign(&other, &body);
        prop_assert_eq!(
            verify(&[&secret], &body, signature.as_bytes()),
            Err(VerifyError::Mismatch { method: Method::Signature })
        );
    }

    #[test]
    fn kie_hmac_accepts_its_own_task_and_time_only(
        task_id in "[A-Za-z0-9_-]{1,40}",
        other_id in "[A-Za-z0-9_-]{1,40}",
        sent_at in 0i64..100_000_000_000,
        key in prop::collection::vec(any::<u8>(), 1..64),
        other_key in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let body = format!(r#"{{"code":200,"msg":"success","data":{{"taskId":"{task_id}"}}}}"#);
        let verify = |key: &[u8], headers: &[(&str, String)]| {
            Verifier::new(Provider::Kie)
                .using(Method::TaskSignature)
                .secret(key)
                .verify(&Request::new(body.as_bytes()).headers(&headers))
                .map(|_| ())
        };
        let mismatch = Err(VerifyError::Mismatch { method: Method::TaskSignature });
        prop_assert_eq!(verify(&key, &task_signature_headers(&key, &task_id, sent_at)), Ok(()));
        if other_key != key {
            prop_assert_eq!(verify(&key, &task_signature_headers(&other_key, &task_id, sent_at)), mismatch.clone());
        }
        if other_id != task_id {
            prop_assert_eq!(verify(&key, &task_signature_headers(&key, &other_id, sent_at)), mismatch.clone());
        }
        let [signature, _] = task_signature_headers(&key, &task_id, sent_at);
        let later = [signature, (TASK_TIMESTAMP_HEADER, (sent_at + 1).to_string())];
        prop_assert_eq!(verify(&key, &later), mismatch);
    }

    #[test]
    fn arbitrary_credentials_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..256),
        value in prop::collection::vec(any::<u8>(), 0..96),
        url in ".{0,64}",
    ) {
        for provider in Provider::ALL {
            let headers = [
                (SIGNATURE_HEADER, value.as_slice()),
                ("x-webhook-secret", value.as_slice()),
                (TASK_SIGNATURE_HEADER, value.as_slice()),
                (TASK_TIMESTAMP_HEADER, value.as_slice()),
            ];
            for method in Method::supported(provider) {
                let verifier = Verifier::new(provider).using(*method).secret("s3cret-value");
                let outcome = verifier.verify(&Request::new(&body).headers(&headers).url(&url));
                if let Err(error) = outcome {
                    prop_assert!(!error.to_string().contains("s3cret-value"));
                }
            }
        }
    }
}
