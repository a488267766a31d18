//! Snapshots every fixture's decoded events (or its error), and checks that
//! auto-detection decodes each provider's fixtures exactly as naming the
//! provider does.
//!
//! `fixtures/<provider>/*.json` decode as that provider. `fixtures/bad/` files
//! are named `<provider>__<case>.json` (decode as that provider) or
//! `auto__<case>.json` (detect first). `fixtures/foreign/` holds bodies of
//! other APIs: detection and every provider must refuse each one.

use std::path::Path;

use mjhook::{decode_all, DecodeError, JobEvent, Provider};
use serde_json::json;

/// The provider a fixture is decoded as (`None`: detect it).
fn provider_of(path: &Path) -> Option<Provider> {
    let folder = path.parent()?.file_name()?.to_str()?;
    if folder == "foreign" {
        return None;
    }
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
        let folder = path.parent().and_then(Path::file_name);
        let in_bad = folder.is_some_and(|folder| folder == "bad");
        let foreign = folder.is_some_and(|folder| folder == "foreign");
        let name = path.display();
        if foreign {
            for named in Provider::ALL {
                if let Ok(events) = decode_all(Some(named), &bytes) {
                    problems.push(format!(
                        "{name}: a foreign body decoded as {named}: {events:?}"
                    ));
                }
            }
        }
        if in_bad || foreign {
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

/// Every fixture with one key removed (at the top level or one level in):
/// whenever naming the provider still decodes it, auto-detection must decode
/// it the same way. Vendors omit optional fields freely, so detection must
/// not lean on any one of them.
#[test]
fn detection_holds_on_sparser_bodies() {
    let mut problems = Vec::new();
    for provider in Provider::ALL {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(provider.as_str());
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            let Ok(serde_json::Value::Object(body)) =
                serde_json::from_slice(&std::fs::read(&path).unwrap())
            else {
                continue;
            };
            for (removed, sparser) in sparser_versions(&body) {
                let bytes = serde_json::to_vec(&sparser).unwrap();
                let named = decode_all(Some(provider), &bytes);
                let detected = decode_all(None, &bytes);
                // A body that two formats read alike is a tie, which is no
                // disagreement.
                let tie = matches!(&detected, Err(DecodeError::Ambiguous { candidates, .. })
                    if candidates.contains(&provider));
                // Nor is a shape that detection leaves to another format
                // (a named-only signature) when that format reads it alike.
                let alike = same_but_provider(&detected, &named);
                if named.is_ok() && detected != named && !tie && !alike {
                    problems.push(format!("{} without `{removed}`", path.display()));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "auto-detection disagrees:\n{}",
        problems.join("\n")
    );
}

/// Whether two decodes give the same events apart from `provider`.
fn same_but_provider(
    a: &Result<Vec<JobEvent>, DecodeError>,
    b: &Result<Vec<JobEvent>, DecodeError>,
) -> bool {
    let (Ok(a), Ok(b)) = (a, b) else {
        return false;
    };
    a.len() == b.len()
        && a.iter().zip(b).all(|(a, b)| {
            let mut a = a.clone();
            a.provider = b.provider;
            &a == b
        })
}

fn sparser_versions(
    body: &serde_json::Map<String, serde_json::Value>,
) -> Vec<(String, serde_json::Map<String, serde_json::Value>)> {
    let mut versions = Vec::new();
    for (key, value) in body {
        let mut without = body.clone();
        without.remove(key);
        versions.push((key.clone(), without));
        if let serde_json::Value::Object(inner) = value {
            for inner_key in inner.keys() {
                let mut without = body.clone();
                if let Some(serde_json::Value::Object(inner)) = without.get_mut(key) {
                    inner.remove(inner_key);
                }
                versions.push((format!("{key}.{inner_key}"), without));
            }
        }
    }
    versions
}

/// Every provider's fixture, decoded as each other provider, is refused or
/// reads the same apart from `provider`: naming a provider never changes
/// what a body says.
#[test]
fn naming_another_provider_refuses_or_agrees() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for provider in Provider::ALL {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(provider.as_str());
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let Ok(own) = decode_all(Some(provider), &bytes) else {
                continue;
            };
            for other in Provider::ALL.into_iter().filter(|p| *p != provider) {
                checked += 1;
                let Ok(mut theirs) = decode_all(Some(other), &bytes) else {
                    continue;
                };
                for event in &mut theirs {
                    event.provider = provider;
                }
                if theirs != own {
                    problems.push(format!(
                        "{} as {other}: {theirs:?}\n  as {provider}: {own:?}",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(
        checked > 500,
        "only {checked} cross decodes: fixtures missing?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `fixtures/foreign/` is not empty: the refusal check above runs on real
/// bodies, not on nothing.
#[test]
fn the_foreign_corpus_is_there() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/foreign");
    let bodies = std::fs::read_dir(folder)
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|entry| entry.path().extension().is_some_and(|ext| ext == "json"))
        })
        .count();
    assert!(bodies >= 30, "only {bodies} foreign bodies");
}
