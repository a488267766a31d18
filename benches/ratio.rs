//! Decoding time as a ratio of `serde_json::from_slice::<serde_json::Value>`
//! on the same bytes, measured side by side in one process, with allocations
//! counted per decode. Run it with `scripts/bench-ratio`.
//!
//! For every single-event fixture of every provider, the three decoders run
//! in interleaved rounds (so a noisy neighbour slows all three alike); each
//! keeps its fastest round. Printed: per fixture, `decode_auto / Value` and
//! `decode(provider) / Value` and allocations per call; then the geometric
//! means, which the design's goal speaks of (`decode_auto` at most 0.7×),
//! and for scale the same mean of serde_json's tokenizer alone
//! (`IgnoredAny`), which builds nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mjhook::{decode, decode_auto};

mod common;
use common::fixtures;

/// Counts allocations, so the report can say how many each decode makes.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_of(run: impl Fn()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    run();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// The fastest of `rounds` rounds of `iterations` calls, per call.
fn per_call(iterations: u32, run: &impl Fn()) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        run();
    }
    start.elapsed() / iterations
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let rounds = if quick { 3 } else { 15 };
    let bodies = fixtures();
    assert!(!bodies.is_empty(), "no fixtures found");
    let mut auto_logs = 0.0;
    let mut named_logs = 0.0;
    let mut tokens_logs = 0.0;
    let mut auto_allocations = 0;
    let mut named_allocations = 0;
    let mut value_allocations = 0;
    println!(
        "{:<70} {:>7} {:>6} {:>6} {:>7} {:>7} {:>7}",
        "fixture", "bytes", "auto", "named", "a.alloc", "n.alloc", "v.alloc"
    );
    for (provider, path, bytes) in &bodies {
        let value = || {
            black_box(serde_json::from_slice::<serde_json::Value>(black_box(bytes)).ok());
        };
        let auto = || {
            black_box(decode_auto(black_box(bytes)).ok());
        };
        let named = || {
            black_box(decode(*provider, black_box(bytes)).ok());
        };
        // serde_json's tokenizer alone, building nothing: the floor of any
        // decoder that reads every byte through it.
        let tokens = || {
            black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(bytes)).ok());
        };
        // Enough calls per round for about a millisecond.
        let probe = per_call(50, &value).max(Duration::from_nanos(50));
        let iterations = (Duration::from_millis(1).as_nanos() / probe.as_nanos()).max(10) as u32;
        let mut best = [Duration::MAX; 4];
        for _ in 0..rounds {
            for (n, run) in [&value as &dyn Fn(), &auto, &named, &tokens]
                .into_iter()
                .enumerate()
            {
                best[n] = best[n].min(per_call(iterations, &run));
            }
        }
        let [value_time, auto_time, named_time, tokens_time] = best.map(|d| d.as_secs_f64());
        let auto_ratio = auto_time / value_time;
        let named_ratio = named_time / value_time;
        auto_logs += auto_ratio.ln();
        named_logs += named_ratio.ln();
        tokens_logs += (tokens_time / value_time).ln();
        let allocations = [
            allocations_of(auto),
            allocations_of(named),
            allocations_of(value),
        ];
        auto_allocations += allocations[0];
        named_allocations += allocations[1];
        value_allocations += allocations[2];
        let name = format!(
            "{}/{}",
            provider,
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        println!(
            "{name:<70} {:>7} {auto_ratio:>6.2} {named_ratio:>6.2} {:>7} {:>7} {:>7}",
            bytes.len(),
            allocations[0],
            allocations[1],
            allocations[2]
        );
    }
    let count = bodies.len() as f64;
    println!();
    println!("single-event fixtures: {}", bodies.len());
    println!(
        "geometric mean, decode_auto / Value parse: {:.2}",
        (auto_logs / count).exp()
    );
    println!(
        "geometric mean, named decode / Value parse: {:.2}",
        (named_logs / count).exp()
    );
    println!(
        "geometric mean, serde_json's tokenizer alone (IgnoredAny) / Value parse: {:.2}",
        (tokens_logs / count).exp()
    );
    println!(
        "allocations per body (mean): decode_auto {:.1}, named decode {:.1}, Value parse {:.1}",
        auto_allocations as f64 / count,
        named_allocations as f64 / count,
        value_allocations as f64 / count
    );
}
