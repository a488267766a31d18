//! Decoding speed over the fixture corpus.
//!
//! The design's goal: `decode_auto` (detection plus one typed pass) takes at
//! most half the time of `serde_json::from_slice::<serde_json::Value>` on the
//! same bytes. Each group measures both side by side, per provider, over every
//! fixture of that provider that decodes.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mjhook::{decode_all, Provider};

fn corpus(provider: Provider) -> Vec<Vec<u8>> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(provider.as_str());
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap_or_else(|err| panic!("{}: {err}", folder.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|path| std::fs::read(path).ok())
        .filter(|bytes| decode_all(None, bytes).is_ok())
        .collect()
}

fn decode_versus_value(c: &mut Criterion) {
    for provider in Provider::ALL {
        let bodies = corpus(provider);
        let bytes: usize = bodies.iter().map(Vec::len).sum();
        let mut group = c.benchmark_group(provider.as_str());
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("decode_auto", |b| {
            b.iter(|| {
                for body in &bodies {
                    let _ = black_box(mjhook::decode_all(None, black_box(body)));
                }
            })
        });
        group.bench_function("decode_known_provider", |b| {
            b.iter(|| {
                for body in &bodies {
                    let _ = black_box(mjhook::decode_all(Some(provider), black_box(body)));
                }
            })
        });
        group.bench_function("serde_json_value", |b| {
            b.iter(|| {
                for body in &bodies {
                    let _ = black_box(serde_json::from_slice::<serde_json::Value>(black_box(body)));
                }
            })
        });
        group.bench_function("detect", |b| {
            b.iter(|| {
                for body in &bodies {
                    let _ = black_box(mjhook::detect(black_box(body)));
                }
            })
        });
        group.finish();
    }
}

/// A body just under the size limit listing as many distinct URLs as fit:
/// decoding and folding must stay linear in their number (a quadratic
/// de-duplication took seconds here).
fn many_urls(c: &mut Criterion) {
    let mut body = String::from(r#"{"task_id": "t", "status": "finished", "image_urls": ["#);
    let mut n = 0;
    while body.len() < mjhook::DecodeOptions::DEFAULT_MAX_BYTES - 64 {
        body.push_str(&format!("\"https://example.com/{n}\","));
        n += 1;
    }
    body.push_str(r#""https://example.com/last"]}"#);
    let body = body.into_bytes();
    let mut group = c.benchmark_group("many_urls");
    group.sample_size(10);
    group.bench_function("decode", |b| {
        b.iter(|| black_box(mjhook::decode(Provider::Apiframe, black_box(&body))))
    });
    let event = mjhook::decode(Provider::Apiframe, &body).expect("the body decodes");
    group.bench_function("track", |b| {
        b.iter(|| {
            let mut state = mjhook::JobState::new(black_box(&event));
            black_box(state.apply(&event))
        })
    });
    group.finish();
}

criterion_group!(benches, decode_versus_value, many_urls);
criterion_main!(benches);
