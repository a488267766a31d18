//! What the ratio benchmarks share: the bodies they measure.

use std::path::{Path, PathBuf};

use mjhook::{decode_auto, Provider};

/// Every single-event fixture that auto-detection decodes, with its
/// provider and path, in a fixed order.
pub fn fixtures() -> Vec<(Provider, PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for provider in Provider::ALL {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(provider.as_str());
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            // Single-event bodies that auto-detection decodes.
            if decode_auto(&bytes).is_ok() {
                found.push((provider, path, bytes));
            }
        }
    }
    found
}
