//! Every event the decoders emit validates against the JSON Schema that
//! `mjhook schema` prints.
#![cfg(feature = "cli")]

use std::process::Command;

use mjhook::{decode_all, JobEvent};

fn schema_from_cli() -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_mjhook"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_cli_prints_the_libraries_schema() {
    let library = serde_json::to_value(schemars::schema_for!(JobEvent)).unwrap();
    assert_eq!(schema_from_cli(), library);
}

#[test]
fn every_fixture_event_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema_from_cli()).unwrap();
    let mut checked = 0;
    for folder in [
        "asyncapi",
        "apiframe",
        "goapi",
        "imagineapi",
        "midjourney_api",
        "legnext",
        "kie",
    ] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(folder);
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for event in decode_all(None, &bytes).unwrap_or_default() {
                let instance = serde_json::to_value(&event).unwrap();
                let errors: Vec<String> = validator
                    .iter_errors(&instance)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errors.is_empty(), "{}: {errors:?}", path.display());
                checked += 1;
            }
        }
    }
    assert!(checked > 150, "only {checked} events checked");
}

#[test]
fn the_schema_rejects_what_the_model_forbids() {
    let validator = jsonschema::validator_for(&schema_from_cli()).unwrap();
    let event = decode_all(
        None,
        br#"{"task_id": "t-1", "status": "processing", "percentage": "40"}"#,
    )
    .unwrap();
    let mut instance = serde_json::to_value(&event[0]).unwrap();
    assert!(validator.is_valid(&instance));
    instance["progress"] = serde_json::json!(101);
    assert!(
        !validator.is_valid(&instance),
        "progress 101 must not validate"
    );
    instance["progress"] = serde_json::json!(40);
    instance["status"] = serde_json::json!("done");
    assert!(
        !validator.is_valid(&instance),
        "an unknown status spelling must not validate"
    );
}
