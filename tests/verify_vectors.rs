//! The AsyncAPI signature vectors in `tests/data/` (see its README for their
//! source), checked through the public API. The file is compiled in, so a
//! missing or renamed file fails the build of this test instead of passing.

use mjhook::verify::{sign, Request, Verifier, SIGNATURE_HEADER};
use mjhook::{Provider, VerifyError};
use serde_json::Value;

const VECTORS: &str = include_str!("data/asyncapi-signature-vectors.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("tests/data/asyncapi-signature-vectors.json is JSON")
}

fn text<'v>(value: &'v Value, what: &str) -> &'v str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, found {value}"))
}

fn section<'v>(file: &'v Value, name: &str) -> Vec<(&'v str, &'v str)> {
    let entries = file[name]
        .as_object()
        .unwrap_or_else(|| panic!("no `{name}` object in the vectors"));
    assert!(!entries.is_empty(), "`{name}` is empty");
    entries
        .iter()
        .map(|(key, value)| (key.as_str(), text(value, key)))
        .collect()
}

fn check(secret: &str, body: &str, signature: &str) -> Result<(), VerifyError> {
    let headers = [(SIGNATURE_HEADER, signature)];
    Verifier::new(Provider::Asyncapi)
        .secret(secret)
        .verify(&Request::new(body.as_bytes()).headers(&headers))
        .map(|_| ())
}

#[test]
fn the_vectors_file_is_the_one_described() {
    let file = vectors();
    let body = text(&file["body"], "body");
    assert_eq!(file["body_len"].as_u64(), Some(body.len() as u64));
    assert_eq!(
        text(&file["rfc4231_case2"]["hmac_sha256_hex"], "rfc4231_case2"),
        sign(
            text(&file["rfc4231_case2"]["key_utf8"], "key_utf8"),
            text(&file["rfc4231_case2"]["message_utf8"], "message_utf8").as_bytes()
        )
    );
}

#[test]
fn sign_reproduces_the_lowercase_hex_vector() {
    let file = vectors();
    let (secret, body) = (text(&file["secret"], "secret"), text(&file["body"], "body"));
    let accept = section(&file, "accept");
    let hex = accept.iter().find(|(name, _)| *name == "hex_lower");
    assert_eq!(
        hex.map(|(_, value)| *value),
        Some(sign(secret, body.as_bytes()).as_str())
    );
}

#[test]
fn every_accept_vector_is_accepted() {
    let file = vectors();
    let (secret, body) = (text(&file["secret"], "secret"), text(&file["body"], "body"));
    for (name, signature) in section(&file, "accept") {
        assert_eq!(check(secret, body, signature), Ok(()), "{name}");
    }
}

#[test]
fn every_reject_vector_is_rejected() {
    let file = vectors();
    let (secret, body) = (text(&file["secret"], "secret"), text(&file["body"], "body"));
    for (name, signature) in section(&file, "reject") {
        assert!(check(secret, body, signature).is_err(), "{name}");
    }
}

#[test]
fn policy_vectors_get_the_documented_choice() {
    let file = vectors();
    let (secret, body) = (text(&file["secret"], "secret"), text(&file["body"], "body"));
    let policy = section(&file, "policy_dependent");
    assert_eq!(policy.len(), 4, "a new policy vector needs a decision here");
    for (name, signature) in policy {
        let accepted = match name {
            // White space around a field value is not part of it in HTTP.
            "hex_with_surrounding_whitespace" => true,
            // The prefix names the algorithm; its case carries nothing.
            "SHA256_prefix_uppercase" => true,
            // Nothing suggests the vendor sends these; two lengths only.
            "base64url_unpadded" => false,
            // Standard Webhooks signs `id.timestamp.body`, not the body.
            "v1_comma_base64_standard_webhooks_style" => false,
            other => panic!("no decision for the policy vector {other}"),
        };
        assert_eq!(check(secret, body, signature).is_ok(), accepted, "{name}");
    }
}
