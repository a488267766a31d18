//! Snapshots every fixture's decoded events (or its error), and checks that
//! auto-detection decodes each provider's fixtures exactly as naming the
//! provider does.
//!
//! `fixtures/<provider>/*.json` decode as that provider. `fixtures/bad/` files
//! are named `<provider>__<case>.json` (decode as that provider) or
//! `auto__<case>.json` (detect first).

use std::path::Path;

use mjhook::{decode_all, DecodeError, JobEvent, Provider};
use serde_json::json;

/// The provider a fixture is decoded as (`None`: detect it).
fn provider_of(path: &Path) -> Option<Provider> {
    let folder = path.parent()?.file_name()?.to_str()?;
    let name = if folder == "bad" {
        path.file_name()?.to_str()?.split_once("__")?.0
    } else {
        folder
    };
    if name == "auto" {
        return None;
    }
    Some(
        name.parse()
            .unwrap_or_else(|err| panic!("{}: {err}", path.display())),
    )
}

fn outcome(result: &Result<Vec<JobEvent>, DecodeError>) -> serde_json::Value {
    match result {
        Ok(events) => json!({ "events": events }),
        Err(error) => json!({
            "error": error.to_string(),
            "provider": error.provider(),
            "path": error.path(),
            "position": error.position(),
        }),
    }
}

#[test]
fn every_fixture_decodes_as_its_snapshot_says() {
    let mut problems = Vec::new();
    insta::glob!("../fixtures", "*/*.json", |path| {
        let bytes = std::fs::read(path).unwrap();
        let provider = provider_of(path);
        let result = decode_all(provider, &bytes);
        let in_bad = path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|folder| folder == "bad");
        let name = path.display();
        if in_bad {
            if result.is_ok() {
                problems.push(format!("{name}: a bad fixture decoded: {result:?}"));
            }
        } else {
            let detected = decode_all(None, &bytes);
            if detected != result {
                problems.push(format!("{name}: auto-detection gives {detected:?}"));
            }
            for event in result.as_deref().unwrap_or_default() {
                if Some(event.provider) != provider {
                    problems.push(format!("{name}: decoded as {}", event.provider));
                }
                let json = serde_json::to_string(event).unwrap();
                let back: JobEvent = serde_json::from_str(&json).unwrap();
                if &back != event {
                    problems.push(format!(
                        "{name}: the event does not round-trip through JSON"
                    ));
                }
            }
        }
        insta::assert_json_snapshot!(outcome(&result));
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
