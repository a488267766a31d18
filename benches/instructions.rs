//! Decoding cost as a ratio of `serde_json::from_slice::<serde_json::Value>`
//! on the same bytes, counted in instructions with valgrind's callgrind.
//! Run it with `scripts/instruction-ratio`.
//!
//! Times on a shared machine move by several hundredths from run to run
//! (`scripts/bench-ratio`); instruction counts do not, so they show what a
//! change did. They are not times: a struct move or an allocation costs more
//! time than its instructions say, and the time ratios stay the goal.
//!
//! The benchmark runs itself under callgrind, once per fixture and decoder:
//! the child decodes the body once (to warm the key table and the detection
//! guess, as a service's steady state), then `ROUNDS` times inside
//! [`measured`], the only function whose instructions are counted.

use std::hint::black_box;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use mjhook::{decode, decode_auto, Provider};

mod common;
use common::fixtures;

/// Decodes per count: enough to make the child's own setup negligible.
const ROUNDS: u64 = 20;

/// The three ways a body is decoded.
const DECODERS: [&str; 3] = ["value", "auto", "named"];

#[inline(never)]
fn measured(decoder: &str, provider: Provider, bytes: &[u8]) {
    for _ in 0..ROUNDS {
        match decoder {
            "value" => {
                black_box(serde_json::from_slice::<serde_json::Value>(black_box(bytes)).ok());
            }
            "auto" => {
                black_box(decode_auto(black_box(bytes)).ok());
            }
            _ => {
                black_box(decode(provider, black_box(bytes)).ok());
            }
        }
    }
}

/// Run by the parent under callgrind: `child <decoder> <provider> <path>`.
fn child(decoder: &str, provider: &str, path: &str) {
    let provider: Provider = provider.parse().expect("a provider name");
    let bytes = std::fs::read(path).expect("a readable fixture");
    black_box(decode_auto(&bytes).ok());
    measured(decoder, provider, &bytes);
}

/// The instructions per decode of `decoder` on the fixture at `path`.
fn count(decoder: &str, provider: Provider, path: &str) -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let output = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--toggle-collect=instructions::measured",
            "--callgrind-out-file=/dev/null",
        ])
        .arg(exe)
        .args(["child", decoder, provider.as_str(), path])
        .output()
        .map_err(|error| format!("valgrind could not be run ({error}): install it first"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let collected = stderr
        .lines()
        .find_map(|line| {
            line.split_once("Collected : ")
                .map(|(_, count)| count.trim())
        })
        .and_then(|count| count.parse::<f64>().ok())
        .filter(|_| output.status.success())
        .ok_or_else(|| format!("callgrind counted nothing for {path}:\n{stderr}"))?;
    Ok(collected / ROUNDS as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, decoder, provider, path] = &args[..] {
        if mode == "child" {
            child(decoder, provider, path);
            return;
        }
    }
    let bodies: Vec<(Provider, String, usize)> = fixtures()
        .into_iter()
        .map(|(provider, path, bytes)| (provider, path.display().to_string(), bytes.len()))
        .collect();
    assert!(!bodies.is_empty(), "no fixtures found");
    // Two workers (the machine's cores) take the fixtures in turn.
    let next = AtomicUsize::new(0);
    let rows: Vec<Mutex<Option<[f64; 3]>>> = bodies.iter().map(|_| Mutex::new(None)).collect();
    let worker = || -> Result<(), String> {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some((provider, path, _)) = bodies.get(index) else {
                return Ok(());
            };
            let mut counts = [0.0; 3];
            for (slot, decoder) in counts.iter_mut().zip(DECODERS) {
                *slot = count(decoder, *provider, path)?;
            }
            *rows[index].lock().expect("no worker panicked") = Some(counts);
        }
    };
    let outcomes = std::thread::scope(|scope| {
        let workers = [scope.spawn(worker), scope.spawn(worker)];
        workers.map(|worker| worker.join().expect("a worker finished"))
    });
    if let Some(Err(error)) = outcomes.into_iter().find(Result::is_err) {
        eprintln!("{error}");
        std::process::exit(1);
    }
    println!(
        "{:<70} {:>7} {:>9} {:>6} {:>6}",
        "fixture", "bytes", "Value", "auto", "named"
    );
    let mut logs = [0.0; 2];
    for ((provider, path, size), counts) in bodies.iter().zip(rows) {
        let [value, auto, named] = counts
            .into_inner()
            .expect("no worker panicked")
            .expect("every fixture was counted");
        let name = format!("{provider}/{}", path.rsplit('/').next().unwrap_or_default());
        println!(
            "{name:<70} {size:>7} {value:>9.0} {:>6.2} {:>6.2}",
            auto / value,
            named / value
        );
        logs[0] += (auto / value).ln();
        logs[1] += (named / value).ln();
    }
    let count = bodies.len() as f64;
    println!();
    println!("single-event fixtures: {}", bodies.len());
    println!(
        "geometric mean of instructions, decode_auto / Value parse: {:.3}",
        (logs[0] / count).exp()
    );
    println!(
        "geometric mean of instructions, named decode / Value parse: {:.3}",
        (logs[1] / count).exp()
    );
}
