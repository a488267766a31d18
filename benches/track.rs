//! Folding speed: one job, 10, 20 and 40 large events.
//!
//! Each event carries 20,000 image URLs (about the most a 1 MiB body holds),
//! alternating between a running job's previews and a completed job's final
//! images, half of them repeated from the event before, so lookups,
//! promotions, the image cap and the re-ordering of previews all take part.
//! The events cycle through four pre-built bodies, as a receiver folds one
//! delivery at a time: the input in memory stays the same size whatever the
//! count, so the timing shows the fold, not the caches filling up with 40
//! bodies held at once. Folding is meant to cost time in proportion to the
//! events: 40 events should take about four times as long as 10. After
//! criterion's measurements the benchmark prints that ratio from its own
//! timing (the median of interleaved runs).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mjhook::{Image, ImageRole, JobEvent, JobId, JobState, JobStatus, Provider};

const URLS_PER_EVENT: usize = 20_000;
const COUNTS: [usize; 3] = [10, 20, 40];

/// The distinct bodies the events cycle through.
const POOL: usize = 4;

fn pool() -> Vec<JobEvent> {
    (0..POOL)
        .map(|n| {
            let (status, role) = if n % 2 == 0 {
                (JobStatus::InProgress, ImageRole::Preview)
            } else {
                (JobStatus::Completed, ImageRole::Image)
            };
            let mut event = JobEvent::new(Provider::Goapi, JobId::new("job-1"), status);
            let first = n * URLS_PER_EVENT / 2;
            event.images = (first..first + URLS_PER_EVENT)
                .map(|url| Image::new(format!("https://cdn.example.com/job-1/{url}.png"), role))
                .collect();
            event
        })
        .collect()
}

fn fold(pool: &[JobEvent], count: usize) -> JobState {
    let mut events = pool.iter().cycle().take(count);
    let mut state = JobState::new(events.next().expect("at least one event"));
    for event in events {
        black_box(state.apply(event));
    }
    state
}

fn track(c: &mut Criterion) {
    let pool = pool();
    let mut group = c.benchmark_group("track");
    group.sample_size(10);
    for count in COUNTS {
        group.throughput(Throughput::Elements((count * URLS_PER_EVENT) as u64));
        group.bench_with_input(BenchmarkId::new("fold", count), &count, |b, &count| {
            b.iter(|| black_box(fold(&pool, count)))
        });
    }
    group.finish();

    // Interleaved, so a change in the machine's load hits every count alike,
    // and the median of each.
    let mut runs: Vec<Vec<Duration>> = vec![Vec::new(); COUNTS.len()];
    for _ in 0..15 {
        for (count, times) in COUNTS.iter().zip(&mut runs) {
            let started = Instant::now();
            black_box(fold(&pool, *count));
            times.push(started.elapsed());
        }
    }
    let medians: Vec<Duration> = runs
        .iter_mut()
        .map(|times| {
            times.sort();
            times[times.len() / 2]
        })
        .collect();
    for (count, time) in COUNTS.iter().zip(&medians) {
        println!("track/fold {count} events: median {time:?}");
    }
    let ratio = medians[2].as_secs_f64() / medians[0].as_secs_f64();
    println!("track/fold time(40)/time(10) = {ratio:.2} (linear: about 4)");
}

criterion_group!(benches, track);
criterion_main!(benches);
